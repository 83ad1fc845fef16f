# -*- test-case-name: tests.tls.test_engine -*-
"""
What the after-handshake back ends (L{established12.Established12},
L{established13.Established13}) need from the connection: L{EstablishedIO}.

The connection keeps the record layer, its output buffer and the session;
a back end sends, rekeys and reports only through these members, the way a
handshake does through L{HandshakeIO}.
"""

from __future__ import annotations

from typing import Protocol

from .config import TLSConfig
from .errors import AlertDescription, AlertLevel
from .handshakeio import HandshakeIO
from .session import TLSSession


class EstablishedIO(HandshakeIO, Protocol):
    """
    The connection as an established back end sees it.

    @ivar config: the connection's configuration (read at each use: a test
        may replace it between handshakes).
    @ivar session: the current session; a back end replaces it when a
        handshake, a key update or a post-handshake authentication changes
        what it says.
    """

    config: TLSConfig
    session: TLSSession | None

    @property
    def isClient(self) -> bool: ...

    @property
    def closeSent(self) -> bool:
        """
        Whether our close_notify is out: nothing may follow it.
        """

    def flushHandshake(self) -> None:
        """
        Seal the handshake messages sent so far into records now, so that
        what the caller sends next comes after them.
        """

    def sendAlert(self, level: AlertLevel, description: AlertDescription) -> None: ...

    def writeRecords(self, contentType: int, data: bytes | memoryview) -> None:
        """
        Seal C{data} into records of their own now, under the current
        write keys (handshake messages still buffered stay behind: flush
        them first when they must go before).
        """

    def recordsWritten(self) -> int:
        """
        Records sealed under the current write keys.
        """

    def atMessageBoundary(self) -> bool:
        """
        Whether no handshake message is partly received: keys may change
        only there (RFC 8446 5.1).
        """
