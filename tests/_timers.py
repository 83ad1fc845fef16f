"""
The pending calls of a test clock, less the one timer every live
connection may hold while records flow; a test clock set to the wall time.
"""

from __future__ import annotations

import time

from twisted.internet.interfaces import IDelayedCall
from twisted.internet.task import Clock


def pendingTimers(clock: Clock) -> list[IDelayedCall]:
    """
    C{clock.getDelayedCalls()} without the transport's timer that releases
    idle cipher contexts (C{twisted_reneg.transport._releaseIdleCiphers}):
    tests that check that a timeout, a flush or a linger timer is gone are
    not about that one.
    """
    return [
        call
        for call in clock.getDelayedCalls()
        if getattr(call.func, "__name__", "") != "_releaseIdleCiphers"  # type: ignore[attr-defined]
    ]


def clockNow() -> Clock:
    """
    A test clock that reads the wall time (a new L{Clock} reads 0, 1970,
    when no certificate is valid yet): the time a connection's engine checks
    certificates at is its factory's clock.
    """
    clock = Clock()
    clock.advance(time.time())
    return clock
