# -*- test-case-name: tests.test_renegotiation_transport -*-
"""
The Deferreds behind C{rehandshake()} and C{requestClientCertificate()}:
each caller is a L{Waiter} with its own timeout, waiting in a queue
(L{QueuedRequest}) or on the renegotiation running in the engine
(L{PendingRenegotiation}).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall
from twisted.python.failure import Failure

from .tls.session import TLSSession


class Waiter:
    """
    One call to C{rehandshake()} or C{requestClientCertificate()}.

    Its timeout is its own: it runs from the call, covers the time spent
    queued behind another request, and when it expires only this caller
    gives up (L{PendingRenegotiation} decides whether the renegotiation
    itself is abandoned).

    @ivar deferred: what the caller got.
    @ivar clientCertificate: C{requestClientCertificate()} rather than
        C{rehandshake()} (a timeout says which).
    """

    def __init__(
        self,
        clock: Any,
        timeout: float | None,
        onTimeout: Callable[[Waiter], None],
        clientCertificate: bool = False,
    ) -> None:
        self.deferred: Deferred[TLSSession] = Deferred()
        self.clientCertificate = clientCertificate
        self._timer: IDelayedCall | None = (
            clock.callLater(timeout, onTimeout, self) if timeout is not None else None
        )

    def _stopTimer(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    def succeed(self, session: TLSSession) -> None:
        self._stopTimer()
        self.deferred.callback(session)

    def fail(self, reason: Failure) -> None:
        self._stopTimer()
        self.deferred.errback(reason)


@dataclass
class QueuedRequest:
    """
    A request waiting for the renegotiation ahead of it to end.

    @ivar clientCertificate: C{requestClientCertificate()} rather than
        C{rehandshake()}.
    """

    clientCertificate: bool
    waiter: Waiter


class PendingRenegotiation:
    """
    A renegotiation (or TLS 1.3 post-handshake auth) running in the engine,
    and the callers waiting for it.  Several callers may share one: each has
    its own L{Waiter}, all fire together when it ends.

    @ivar ours: whether we asked for it.  C{False} when it is the peer's, or
        one of ours that every caller gave up on and the engine could not
        drop: it is then only tracked, so that queued requests start after
        it, never abandoned.
    """

    def __init__(self, ours: bool) -> None:
        self.ours = ours
        self.waiters: list[Waiter] = []

    def add(self, waiter: Waiter) -> None:
        self.waiters.append(waiter)

    def remove(self, waiter: Waiter) -> bool:
        """
        @return: whether C{waiter} was waiting here.
        """
        if waiter in self.waiters:
            self.waiters.remove(waiter)
            return True
        return False

    def succeed(self, session: TLSSession) -> None:
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            waiter.succeed(session)

    def fail(self, reason: Failure) -> None:
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            waiter.fail(reason)
