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
            if connection.connectionGone:
                continue
            if now >= deadline:
                connection.abortConnection()
                continue
            connection.closeIfIdle()
            remaining.append((connection, deadline))
        draining[:] = remaining
        if not remaining:
            loop.stop()

    loop = task.LoopingCall(poll)
    loop.clock = reactor
    # The first poll runs now: idle connections get close_notify at once.
    loop.start(POLL_INTERVAL).addCallback(lambda _: done.callback(None))
    return done
