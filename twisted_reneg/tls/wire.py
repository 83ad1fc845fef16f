# -*- test-case-name: tests.tls.test_wire -*-
"""
Bounded reader and writer for TLS presentation-language vectors.

Every parser in the engine reads through L{Reader}: it never slices past its
end, every length prefix is checked against both the remaining bytes and a
caller-given maximum, and sub-readers must be consumed exactly.  Any failure is
one L{DecodeError}.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from .errors import DecodeError


def unpackUint16s(raw: bytes) -> tuple[int, ...]:
    """
    The big-endian uint16s of C{raw}, whose length the caller has checked
    is even: cipher suites, groups, signature schemes, versions.  One
    C{struct} call instead of a slice and C{int.from_bytes} per item: a
    hello's lists are read on every handshake.
    """
    return struct.unpack(f">{len(raw) >> 1}H", raw)


class Reader:
    """
    A cursor over immutable bytes.
    """

    __slots__ = ("_data", "_pos", "_end")

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self._data = data
        self._pos = start
        self._end = len(data) if end is None else end

    @property
    def remaining(self) -> int:
        return self._end - self._pos

    def atEnd(self) -> bool:
        return self._pos == self._end

    # The readers below each do their own bounds check and slice rather
    # than call one another: a handshake makes a few hundred of these calls
    # (a ClientHello alone is dozens), and Python function calls were a
    # measurable share of a handshake's cost.  Every one still checks
    # against the end before it moves.

    def readBytes(self, n: int) -> bytes:
        start = self._pos
        end = start + n
        if n < 0 or end > self._end:
            raise DecodeError(f"need {n} bytes, have {self.remaining}")
        self._pos = end
        return self._data[start:end]

    def readUint(self, size: int) -> int:
        start = self._pos
        end = start + size
        if size < 0 or end > self._end:
            raise DecodeError(f"need {size} bytes, have {self.remaining}")
        self._pos = end
        return int.from_bytes(self._data[start:end], "big")

    def readUint8(self) -> int:
        start = self._pos
        if start >= self._end:
            raise DecodeError(f"need 1 bytes, have {self.remaining}")
        self._pos = start + 1
        return self._data[start]

    def readUint16(self) -> int:
        start = self._pos
        end = start + 2
        if end > self._end:
            raise DecodeError(f"need 2 bytes, have {self.remaining}")
        self._pos = end
        return int.from_bytes(self._data[start:end], "big")

    def readUint24(self) -> int:
        return self.readUint(3)

    def readVector(self, lengthBytes: int, maxLength: int, minLength: int = 0) -> bytes:
        """
        Read a length-prefixed opaque vector.

        @param lengthBytes: size of the length prefix (1, 2 or 3).
        @param maxLength: largest acceptable length.
        @param minLength: smallest acceptable length.
        """
        length = self.readUint(lengthBytes)
        if not minLength <= length <= maxLength:
            raise DecodeError(f"vector length {length} outside [{minLength}, {maxLength}]")
        start = self._pos
        end = start + length
        if end > self._end:
            raise DecodeError(f"need {length} bytes, have {self.remaining}")
        self._pos = end
        return self._data[start:end]

    def readRest(self) -> bytes:
        return self.readBytes(self.remaining)

    def vector(self, lengthBytes: int, maxLength: int, minLength: int = 0) -> _Block:
        """
        A sub-reader over a length-prefixed block, for a C{with} statement;
        the block must be consumed exactly by the time the C{with} body ends.
        """
        length = self.readUint(lengthBytes)
        if not minLength <= length <= maxLength:
            raise DecodeError(f"block length {length} outside [{minLength}, {maxLength}]")
        if self._pos + length > self._end:
            raise DecodeError(f"block of {length} bytes, have {self.remaining}")
        sub = Reader(self._data, self._pos, self._pos + length)
        self._pos += length
        return _Block(sub)

    def expectEnd(self) -> None:
        if self._pos != self._end:
            raise DecodeError(f"{self.remaining} trailing bytes")

    def typedVectors(self) -> Iterator[tuple[int, bytes]]:
        """
        The rest of this reader as C{(uint16 type, opaque<0..2^16-1>)}
        pairs, as an extensions block holds them, one at a time (so that
        the caller's checks on the pairs before a malformed one still come
        first).  One loop over local variables rather than two method calls
        per pair: a ClientHello's extensions parse in about half the time.
        Each length is checked against the end before it is used.
        """
        data, pos, end = self._data, self._pos, self._end
        while pos < end:
            if pos + 4 > end:
                raise DecodeError(f"need 4 bytes, have {end - pos}")
            start = pos + 4
            length = (data[pos + 2] << 8) | data[pos + 3]
            if start + length > end:
                raise DecodeError(f"need {length} bytes, have {end - start}")
            self._pos = start + length
            yield (data[pos] << 8) | data[pos + 1], data[start : self._pos]
            pos = self._pos


class _Block:
    """
    The C{with} of L{Reader.vector}: yields the sub-reader, and on a normal
    exit insists that it was used up.  A class rather than
    C{@contextmanager}, whose generator machinery cost several calls per
    block, a dozen blocks a handshake.
    """

    __slots__ = ("_reader",)

    def __init__(self, reader: Reader) -> None:
        self._reader = reader

    def __enter__(self) -> Reader:
        return self._reader

    def __exit__(self, excType: object, exc: object, tb: object) -> None:
        if excType is None:
            self._reader.expectEnd()


class Writer:
    """
    An append-only byte builder with back-filled length prefixes.
    """

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def getvalue(self) -> bytes:
        return bytes(self._buf)

    def writeBytes(self, data: bytes) -> None:
        self._buf += data

    def writeUint(self, value: int, size: int) -> None:
        self._buf += value.to_bytes(size, "big")

    # As in Reader: each writes its bytes itself rather than through
    # writeUint, to save a Python call on a path taken dozens of times a
    # handshake.

    def writeUint8(self, value: int) -> None:
        self._buf += value.to_bytes(1, "big")

    def writeUint16(self, value: int) -> None:
        self._buf += value.to_bytes(2, "big")

    def writeVector(self, lengthBytes: int, data: bytes) -> None:
        if len(data) >= 1 << (8 * lengthBytes):
            raise ValueError(f"{len(data)} bytes do not fit a {lengthBytes}-byte length")
        self._buf += len(data).to_bytes(lengthBytes, "big")
        self._buf += data

    def lengthPrefixed(self, lengthBytes: int) -> _Prefixed:
        """
        For a C{with} statement: reserve a length prefix, let the body write
        the block, then back-fill the prefix with the block's length.
        """
        at = len(self._buf)
        self._buf += bytes(lengthBytes)
        return _Prefixed(self, at, lengthBytes)


class _Prefixed:
    """
    The C{with} of L{Writer.lengthPrefixed} (a class for the reason
    L{_Block} is one): on a normal exit, back-fills the length.
    """

    __slots__ = ("_writer", "_at", "_lengthBytes")

    def __init__(self, writer: Writer, at: int, lengthBytes: int) -> None:
        self._writer = writer
        self._at = at
        self._lengthBytes = lengthBytes

    def __enter__(self) -> Writer:
        return self._writer

    def __exit__(self, excType: object, exc: object, tb: object) -> None:
        if excType is not None:
            return
        buf, at, lengthBytes = self._writer._buf, self._at, self._lengthBytes
        length = len(buf) - at - lengthBytes
        if length >= 1 << (8 * lengthBytes):
            raise ValueError(f"{length} bytes do not fit a {lengthBytes}-byte length")
        buf[at : at + lengthBytes] = length.to_bytes(lengthBytes, "big")
