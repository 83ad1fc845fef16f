# -*- test-case-name: tests.test_wire -*-
"""
Bounded reader and writer for TLS presentation-language vectors.

Every parser in the engine reads through L{Reader}: it never slices past its
end, every length prefix is checked against both the remaining bytes and a
caller-given maximum, and sub-readers must be consumed exactly.  Any failure is
one L{DecodeError}.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .errors import DecodeError


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
        return self.readUint(2)

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

    @contextmanager
    def vector(self, lengthBytes: int, maxLength: int, minLength: int = 0) -> Iterator[Reader]:
        """
        Yield a sub-reader over a length-prefixed block; the block must be
        consumed exactly by the time the C{with} body ends.
        """
        length = self.readUint(lengthBytes)
        if not minLength <= length <= maxLength:
            raise DecodeError(f"block length {length} outside [{minLength}, {maxLength}]")
        if self._pos + length > self._end:
            raise DecodeError(f"block of {length} bytes, have {self.remaining}")
        sub = Reader(self._data, self._pos, self._pos + length)
        self._pos += length
        yield sub
        sub.expectEnd()

    def expectEnd(self) -> None:
        if self._pos != self._end:
            raise DecodeError(f"{self.remaining} trailing bytes")


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

    def writeUint8(self, value: int) -> None:
        self.writeUint(value, 1)

    def writeUint16(self, value: int) -> None:
        self.writeUint(value, 2)

    def writeUint24(self, value: int) -> None:
        self.writeUint(value, 3)

    def writeVector(self, lengthBytes: int, data: bytes) -> None:
        if len(data) >= 1 << (8 * lengthBytes):
            raise ValueError(f"{len(data)} bytes do not fit a {lengthBytes}-byte length")
        self.writeUint(len(data), lengthBytes)
        self._buf += data

    @contextmanager
    def lengthPrefixed(self, lengthBytes: int) -> Iterator[Writer]:
        """
        Reserve a length prefix, let the C{with} body write the block, then
        back-fill the prefix with the block's length.
        """
        at = len(self._buf)
        self._buf += bytes(lengthBytes)
        yield self
        length = len(self._buf) - at - lengthBytes
        if length >= 1 << (8 * lengthBytes):
            raise ValueError(f"{length} bytes do not fit a {lengthBytes}-byte length")
        self._buf[at : at + lengthBytes] = length.to_bytes(lengthBytes, "big")
