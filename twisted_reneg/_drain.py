# -*- test-case-name: tests.test_drain -*-
"""
Graceful drain when the reactor stops (C{SIGTERM} under C{twistd}, or
C{reactor.stop()}): every server connection of ours closes with
close_notify as soon as it is idle, and the reactor waits for that, up to
each listener's C{drainTimeout}; what is still open then is dropped.

Clients of idle keep-alive connections then see a clean TLS close instead
of a truncation error, and requests in flight get to finish, as with
nginx's graceful shutdown.  (The listeners themselves are closed by their
services, which C{twistd} stops in the same phase.)
"""

from __future__ import annotations

import time
import weakref
from typing import TYPE_CHECKING, Any

from twisted.internet import defer, task
from twisted.logger import Logger

from ._lifecycle import Phase
from .options import ServerOptions

if TYPE_CHECKING:
    from .transport import TLSFactory, TLSProtocol

_log = Logger()

#: How often a draining process looks for connections that became idle.
POLL_INTERVAL = 0.05

_factories: weakref.WeakSet[TLSFactory] = weakref.WeakSet()
_installed: set[int] = set()


def drainOnShutdown(factory: TLSFactory, reactor: Any) -> None:
    """
    Drain C{factory}'s connections when C{reactor} shuts down.
    """
    _factories.add(factory)
    if id(reactor) not in _installed:
        _installed.add(id(reactor))
        reactor.addSystemEventTrigger("before", "shutdown", drainAll, reactor)


def drainAll(reactor: Any) -> defer.Deferred[None] | None:
    """
    Ask every server connection to close once idle; fire when all have
    closed, or when the longest C{drainTimeout} of their listeners has
    passed (those still open are dropped then).
    """
    draining: list[tuple[TLSProtocol, float]] = []
    now = time.monotonic()
    for factory in list(_factories):
        options = factory.options
        assert isinstance(options, ServerOptions)  # only servers drain
        deadline = now + options.drainTimeout
        draining += [(connection, deadline) for connection in factory.protocols]
    if not draining:
        return None
    _log.info("Draining {count} TLS connection(s)", count=len(draining))
    done: defer.Deferred[None] = defer.Deferred()

    def poll() -> None:
        now = time.monotonic()
        remaining = []
        for connection, deadline in draining:
            if connectionGone(connection):
                continue
            if now >= deadline:
                connection.abortConnection()
                continue
            closeIfIdle(connection)
            remaining.append((connection, deadline))
        draining[:] = remaining
        if not remaining:
            loop.stop()

    loop = task.LoopingCall(poll)
    loop.clock = reactor
    # The first poll runs now: idle connections get close_notify at once.
    loop.start(POLL_INTERVAL).addCallback(lambda _: done.callback(None))
    return done


def connectionGone(connection: TLSProtocol) -> bool:
    """
    Whether C{connection} has ended (its C{connectionLost} was called).
    """
    return connection._phase is Phase.LOST


def closeIfIdle(connection: TLSProtocol) -> None:
    """
    Close C{connection} if nothing is in flight: the first handshake and
    any renegotiation done, nothing of ours unsent, and the application
    idle as far as it says (L{isIdle}).  Through the application's own
    C{loseConnection} if it has one: twisted.web's HTTP channel is a
    producer of ours until it unregisters there, and close_notify waits
    for producers.
    """
    if connection.disconnecting or connectionGone(connection) or not isIdle(connection):
        return
    close = getattr(application(connection), "loseConnection", None)
    if callable(close):
        close()
    else:
        connection.loseConnection()


def isIdle(connection: TLSProtocol) -> bool:
    """
    Whether closing C{connection} now would cut nothing short.  The
    application says through an C{isIdle()} method of its protocol if it
    has one; twisted.web's HTTP/1.1 channel is idle between requests (its
    C{requests} list is empty), its HTTP/2 connection without streams; any
    other protocol is idle once its data is out.
    """
    tls = connection._tls
    renegotiations = connection._renegotiations
    if (
        tls is None
        or not tls.handshakeComplete
        or connection._coalescer.chunks
        or (renegotiations is not None and renegotiations.running is not None)
    ):
        return False
    below = connection.transport
    # TCP's write buffer (Twisted's FileDescriptor keeps both parts).
    if getattr(below, "dataBuffer", b"") or getattr(below, "_tempDataLen", 0):
        return False
    app = application(connection)
    ownJudgement = getattr(app, "isIdle", None)
    if callable(ownJudgement):
        return bool(ownJudgement())
    requests = getattr(app, "requests", None)
    if isinstance(requests, list):
        return not requests
    streams = getattr(app, "streams", None)
    if isinstance(streams, dict):
        return not streams
    return True


def application(connection: TLSProtocol) -> Any:
    """
    The application's protocol: twisted.web's Site builds a wrapper that
    picks HTTP/1.1 or HTTP/2 by ALPN, and the channel it picked is the one
    that knows whether a request is open.
    """
    return getattr(connection.wrappedProtocol, "_channel", connection.wrappedProtocol)
