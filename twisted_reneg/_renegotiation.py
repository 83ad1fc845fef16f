# -*- test-case-name: tests.test_renegotiation_transport -*-
"""
The Deferreds behind C{rehandshake()} and C{requestClientCertificate()}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall
from twisted.python.failure import Failure

from .tls.session import TLSSession


class PendingRenegotiation:
    """
    One renegotiation we asked for, and everybody waiting for it.

    Several calls while it is in flight share it: each gets its own
    Deferred, all fire together.

    @ivar timer: the pending timeout, if one was asked for.
    """

    def __init__(self) -> None:
        self._waiting: list[Deferred[TLSSession]] = []
        self.timer: IDelayedCall | None = None

    def newDeferred(self) -> Deferred[TLSSession]:
        d: Deferred[TLSSession] = Deferred()
        self._waiting.append(d)
        return d

    def startTimer(self, clock: Any, timeout: float, onTimeout: Callable[[], None]) -> None:
        """
        Arm the timeout; a shorter timeout from a later caller wins, because
        every caller's limit must hold.
        """
        if self.timer is not None and self.timer.active():
            if self.timer.getTime() <= clock.seconds() + timeout:
                return
            self.timer.cancel()
        self.timer = clock.callLater(timeout, onTimeout)

    def _stopTimer(self) -> None:
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None

    def succeed(self, session: TLSSession) -> None:
        self._stopTimer()
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.callback(session)

    def fail(self, reason: Failure) -> None:
        self._stopTimer()
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.errback(reason)
