# -*- test-case-name: tests.test_coalescing -*-
"""
The write coalescer: what the application writes in one reactor turn
leaves in as few records as possible (the model is Twisted's
C{_AggregateSmallWrites} in C{twisted/protocols/tls.py}).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.internet.interfaces import IDelayedCall

from ._lifecycle import cancel
from .tls.records import MAX_PLAINTEXT

if TYPE_CHECKING:
    from .tls.connection import TLSConnection
    from .transport import TLSProtocol


class WriteCoalescer:
    """
    Application data written and not yet sealed into records, at most one
    record's worth (L{MAX_PLAINTEXT}).  It is sealed at the end of the
    transport's C{dataReceived} (writes made while it delivers data or
    events), by a C{callLater(0)} (writes from anywhere else), and before
    any other call into the engine, so the engine sees the same calls in
    the same order as without the buffer, only fewer and larger writes.

    Slotted: every connection has one, and a slotted object is the
    smallest.

    @ivar chunks: the writes, in order.
    @ivar size: bytes in C{chunks}.
    @ivar checked: the transport's C{write} checked that the connection is
        writable and that a flush is due, so that further writes may just
        append (its fast path).  Reset by the transport's flush and by
        whatever ends writing (every phase move, C{loseConnection}), so
        that the next write checks again.
    @ivar delivering: depth of the transport's C{dataReceived}; writes made
        inside it need no C{callLater}, its end seals them.
    @ivar _flushCall: the pending C{callLater(0)} that seals C{chunks}.  A
        call scheduled while the reactor handles I/O makes its next poll
        non-blocking, so the data leaves before the reactor next waits.
    """

    __slots__ = ("chunks", "size", "checked", "delivering", "_flushCall", "_protocol")

    def __init__(self, protocol: TLSProtocol) -> None:
        self._protocol = protocol
        self.chunks: list[bytes] = []
        self.size = 0
        self.checked = False
        self.delivering = 0
        self._flushCall: IDelayedCall | None = None

    def add(self, data: bytes, tls: TLSConnection) -> None:
        """
        The slow path of the transport's C{write}, once it knows the
        connection is writable: buffer C{data}, seal whole records at once,
        and make sure a flush is due.
        """
        if not data:
            return
        self.chunks.append(data)
        self.size += len(data)
        protocol = self._protocol
        if self.size >= MAX_PLAINTEXT:
            # Whole records are ready: bulk data does not wait for the turn
            # to end (and the buffer stays under one record).
            protocol._flush(wholeRecordsOnly=True)
        if (
            self.chunks
            and self._flushCall is None
            and not self.delivering
            and tls.handshakeComplete
        ):
            self._flushCall = protocol.factory.clock.callLater(0, self._flushSoon)
        # What follows this write, until the next flush, needs no new check:
        # a flush is due (or dataReceived is running, whose end flushes),
        # and the connection stays writable until something calls into the
        # engine, which always goes through the flush.
        self.checked = self._flushCall is not None or self.delivering > 0

    def _flushSoon(self) -> None:
        self._flushCall = None
        self._protocol._flush()

    def take(self, wholeRecordsOnly: bool) -> bytes | None:
        """
        What to seal now: all of it, or only as many whole records' worth
        as the buffer holds (the rest waits for more writes); C{None} if
        nothing.
        """
        size = self.size
        keep = size % MAX_PLAINTEXT if wholeRecordsOnly else 0
        if size == keep:
            return None
        chunks = self.chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if keep:
            data, rest = data[:-keep], data[-keep:]
            self.chunks, self.size = [rest], keep
        else:
            self.drop()
        return data

    def drop(self) -> None:
        """
        Forget what is buffered (the connection ends, or cannot send it),
        and the flush scheduled for it.
        """
        self.checked = False
        self.chunks, self.size = [], 0
        call, self._flushCall = self._flushCall, None
        if call is not None:
            cancel(call)
