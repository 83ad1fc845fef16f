# -*- test-case-name: tests.tls.test_engine -*-
"""
L{RecordIO}: the byte side of a L{connection.TLSConnection}, which builds
on it: records read and sealed (L{records}), handshake messages reassembled
(L{reassembly}), output buffered, whether records may still flow (closed
or failed), and the rules that hold whatever the handshake state (flights
share records, keys change only between messages, a peer making no
progress is cut off).  It is the output half of L{HandshakeIO} and
L{EstablishedIO}; what the bytes mean is the connection's business.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from .errors import AlertDescription, AlertLevel, LocalUsageError, PeerError, TLSAlertError
from .events import ApplicationData, ConnectionFailed, Event
from .reassembly import HandshakeBuffer
from .records import ContentType, RecordProtection, RecordReader, RecordWriter

__all__ = ["MAX_EARLY_DATA_SKIPPED", "MAX_USELESS_RECORDS", "RecordIO"]

A = AlertDescription

#: Records that carry no progress (empty application data, warning alerts)
#: allowed in a row before we call it a denial-of-service attempt, as Go's
#: maxUselessRecords does.
MAX_USELESS_RECORDS = 16

#: Bytes of refused 0-RTT data a server skips before it gives up.  Our
#: tickets never allow early data, so only a client resuming with another
#: server's ticket sends any; OpenSSL's default max_early_data is the same.
MAX_EARLY_DATA_SKIPPED = 16384


class RecordIO:
    """
    Records in and out for one connection.

    @ivar _events: the events of the batch being read.
    @ivar _appData: application data of the current batch, delivered as
        one event before the next record of another type.
    """

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._reader = RecordReader()
        self._writer = RecordWriter()
        self._handshakeIn = HandshakeBuffer()
        self._handshakeOut = bytearray()
        #: How much of L{_handshakeOut} earlier messages produced: output
        #: of the message being processed lies beyond it.
        self._completeOutput = 0
        self._out: list[bytes] = []
        self._events: list[Event] = []
        self._appData: list[bytes | memoryview] = []
        self._uselessRecords = 0
        self._failure: TLSAlertError | None = None
        self._closeSent = False
        self._closeReceived = False

    @property
    def failed(self) -> bool:
        return self._failure is not None

    @property
    def failure(self) -> TLSAlertError | None:
        return self._failure

    @property
    def closeSent(self) -> bool:
        return self._closeSent

    @property
    def closeReceived(self) -> bool:
        return self._closeReceived

    def _refuseIfClosed(self) -> None:
        """
        @raise LocalUsageError: once close_notify went out or the connection
            failed.  (A close_notify received is answered at once, so it is
            covered too.)
        """
        if self._closeSent or self._failure is not None:
            raise LocalUsageError("connection is closed")

    def dataToSend(self) -> bytes:
        """
        @return: all bytes waiting to go to the peer (and forget them).
        """
        return b"".join(self.dataToSendList())

    def dataToSendList(self) -> list[bytes]:
        """
        @return: the waiting records for C{writeSequence}, each as two
            pieces, header and body, as sealed (L{RecordWriter.sealRecords}):
            Twisted's TCP transport joins them into its buffer, the one copy
            it makes anyway.
        """
        self._flushHandshake()
        out, self._out = self._out, []
        return out

    def releaseIdleCiphers(self) -> bool:
        """
        Drop the cipher context of each direction that carried no record
        since the previous call (some 2.4 KiB each in OpenSSL; remade at
        the next record).  Call it now and then (the transport does, every
        tenth of a second while records flow): a connection idle between
        two calls keeps no cipher context.

        @return: whether no cipher context is held now (nothing to do
            until records flow again).
        """
        reader = self._reader.releaseIfIdle()
        return self._writer.releaseIfIdle() and reader

    def hasDataToSend(self) -> bool:
        return bool(self._out or self._handshakeOut)

    # --- HandshakeIO and EstablishedIO --------------------------------------

    def sendHandshake(self, raw: bytes) -> None:
        # Messages of one flight share records, as OpenSSL does; they are
        # flushed before any record of another type or key change.
        self._handshakeOut += raw

    def sendChangeCipherSpec(self) -> None:
        self._flushHandshake()
        self._writer.sealRecords(ContentType.change_cipher_spec, b"\x01", self._out)

    def changeWriteProtection(self, protection: RecordProtection) -> None:
        self._flushHandshake()
        self._writer.changeProtection(protection)

    def changeReadProtection(self, protection: RecordProtection) -> None:
        if self._handshakeIn.hasPartial():
            # Keys change at a message boundary or not at all (rustls'
            # check_aligned_handshake): a half message would otherwise be
            # completed with bytes under different keys.
            raise PeerError(A.unexpected_message, "key change inside a handshake message")
        self._reader.changeProtection(protection)

    def emit(self, event: Event) -> None:
        self._events.append(event)

    def skipEarlyData(self) -> None:
        self._reader.skipEarlyData(MAX_EARLY_DATA_SKIPPED)

    def now(self) -> datetime:
        return self._now()

    def flushHandshake(self) -> None:
        self._flushHandshake()

    def sendAlert(self, level: AlertLevel, description: AlertDescription) -> None:
        self._flushHandshake()
        self._writer.sealRecords(ContentType.alert, bytes((level, description)), self._out)

    def writeRecords(self, contentType: int, data: bytes | memoryview) -> None:
        self._writer.sealRecords(contentType, data, self._out)

    def recordsWritten(self) -> int:
        return self._writer.seq

    def atMessageBoundary(self) -> bool:
        return not self._handshakeIn.hasPartial()

    # --- for the connection -------------------------------------------------

    def _flushHandshake(self) -> None:
        self._completeOutput = 0
        if self._handshakeOut:
            data = bytes(self._handshakeOut)
            self._handshakeOut.clear()
            self._writer.sealRecords(ContentType.handshake, data, self._out)

    def _deliverAppData(self) -> None:
        if self._appData:
            # Authenticated data that arrived before a failure is still the
            # peer's data: deliver it, in order, before the failure event.
            # Only a failure (which sets _failure first) makes a
            # ConnectionFailed event: no search without one.
            events = self._events
            event = ApplicationData(b"".join(self._appData))
            self._appData = []
            if self._failure is None:
                events.append(event)
                return
            failureAt = next(
                (i for i, e in enumerate(events) if isinstance(e, ConnectionFailed)), len(events)
            )
            events.insert(failureAt, event)

    def _refuseInsideHandshakeMessage(self, contentType: int) -> None:
        if self._handshakeIn.hasPartial():
            # RFC 8446 5.1, which we apply to TLS 1.2 too: the fragments of
            # one handshake message come in a row.
            raise PeerError(
                A.unexpected_message,
                f"{ContentType(contentType).name} record inside a handshake message",
            )

    def _countUseless(self) -> None:
        self._uselessRecords += 1
        if self._uselessRecords > MAX_USELESS_RECORDS:
            raise PeerError(A.unexpected_message, "too many records without progress")
