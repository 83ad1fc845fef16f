# -*- test-case-name: tests.tls.test_engine -*-
"""
What a handshake of either TLS version needs from the connection that
drives it: L{HandshakeIO}.  Its own module so that TLS 1.2 and TLS 1.3 code
both depend on it without depending on each other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from .events import Event
from .records import RecordProtection


class HandshakeIO(Protocol):
    """
    What a handshake needs from the connection that drives it.
    """

    def sendHandshake(self, raw: bytes) -> None: ...

    def sendChangeCipherSpec(self) -> None: ...

    def changeReadProtection(self, protection: RecordProtection) -> None: ...

    def changeWriteProtection(self, protection: RecordProtection) -> None: ...

    def emit(self, event: Event) -> None: ...

    def now(self) -> datetime: ...

    def skipEarlyData(self) -> None:
        """
        TLS 1.3 server: the client offered 0-RTT, which we refuse; drop its
        early records (RFC 8446 4.2.10).
        """
