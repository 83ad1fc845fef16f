# -*- test-case-name: tests.test_reassembly -*-
"""
Handshake message reassembly: one message may span many records and one
record may carry many messages (RFC 5246 section 6.2.1).
"""

from __future__ import annotations

from .errors import AlertDescription, PeerError

_CERTIFICATE = 11


class HandshakeBuffer:
    """
    Collects handshake-record payloads and yields whole messages.

    The declared length of a message is checked as soon as its 4-byte header
    is in, so a peer cannot make us buffer more than the limit.
    """

    def __init__(self, maxMessageLength: int = 65536, maxCertificateLength: int = 262144) -> None:
        self._maxMessage = maxMessageLength
        self._maxCertificate = maxCertificateLength
        self._buf = bytearray()

    def feed(self, fragment: bytes) -> None:
        self._buf += fragment

    def hasPartial(self) -> bool:
        return bool(self._buf)

    def nextMessage(self) -> tuple[int, bytes, bytes] | None:
        """
        @return: C{(msgType, body, raw)} with C{raw} including the header,
            or C{None} if no complete message is buffered.
        """
        buf = self._buf
        if len(buf) < 4:
            return None
        msgType = buf[0]
        length = int.from_bytes(buf[1:4], "big")
        limit = self._maxCertificate if msgType == _CERTIFICATE else self._maxMessage
        if length > limit:
            raise PeerError(
                AlertDescription.illegal_parameter,
                f"handshake message of {length} bytes exceeds limit {limit}",
            )
        end = 4 + length
        if len(buf) < end:
            return None
        raw = bytes(buf[:end])
        del buf[:end]
        return msgType, raw[4:], raw
