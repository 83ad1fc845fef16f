"""
Looking at TLS records on the wire, for tests that count them: record
headers parsed from raw bytes, and a splitter that feeds one of our TLS
protocols its input one record at a time, noting which records carried
application data (which, on TLS 1.3, only decryption can tell).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

ALERT = 21


def splitRecords(data: bytes) -> list[tuple[int, bytes]]:
    """
    @return: the complete records in C{data} as (content type, body); a
        trailing partial record is an error.
    """
    records = []
    offset = 0
    while offset < len(data):
        contentType, _, length = struct.unpack_from(">BHH", data, offset)
        body = data[offset + 5 : offset + 5 + length]
        if len(body) != length:
            raise ValueError(f"partial record at offset {offset}")
        records.append((contentType, body))
        offset += 5 + length
    return records


def plaintextAlerts(data: bytes) -> list[tuple[int, int]]:
    """
    @return: the (level, description) of each unencrypted alert record.
    """
    return [(body[0], body[1]) for t, body in splitRecords(data) if t == ALERT and len(body) == 2]


class RecordSplitter:
    """
    Replaces C{protocol.dataReceived} so that what arrives is handed on
    one whole record at a time, and remembers, per record, how many bytes
    of application data it delivered to the application (as read by
    C{delivered()}).

    @ivar records: (content type on the wire, length, application bytes
        delivered) for each record, in order.
    """

    def __init__(self, protocol: Any, delivered: Callable[[], int]) -> None:
        self._original = protocol.dataReceived
        self._delivered = delivered
        self._buffer = b""
        self.records: list[tuple[int, int, int]] = []
        protocol.dataReceived = self.dataReceived

    def dataReceived(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= 5:
            length = struct.unpack_from(">H", self._buffer, 3)[0]
            if len(self._buffer) < 5 + length:
                return
            record, self._buffer = self._buffer[: 5 + length], self._buffer[5 + length :]
            before = self._delivered()
            self._original(record)
            self.records.append((record[0], length, self._delivered() - before))

    def dataRecords(self) -> list[int]:
        """
        @return: the application bytes each record that carried any delivered.
        """
        return [n for _, _, n in self.records if n]
