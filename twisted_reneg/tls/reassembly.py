# -*- test-case-name: tests.tls.test_reassembly -*-
"""
Handshake message reassembly: one message may span many records and one
record may carry many messages (RFC 5246 section 6.2.1).
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import AlertDescription, PeerError
from .messages import HandshakeType, maxBodyLength, messageName

#: What we accept of a Certificate message, whose syntax allows 2^24-1
#: bytes: sixteen certificates of 16 KiB, beyond any real chain.
MAX_CERTIFICATE_LENGTH = 262144


def _anyType(msgType: int) -> bool:
    return True


class HandshakeBuffer:
    """
    Collects handshake-record payloads and yields whole messages.

    The declared length of a message is checked as soon as its 4-byte header
    is in, so a peer cannot make us buffer more than its type allows:

      - a type that never travels (unknown to us, or message_hash) is an
        unexpected_message at once, whatever its length;
      - a length beyond what the type's syntax allows
        (L{messages.maxBodyLength}) is a decode_error: the message cannot
        conform to the formal syntax (RFC 8446 6.2);
      - a Certificate within the syntax but beyond C{maxCertificateLength}
        is an illegal_parameter: legal, but more than we hold.  That is a
        limit of ours, not a fault in the encoding, and the alert OpenSSL
        and BoringSSL send for their own limits.

    The state comes first, though: a message of a type the connection does
    not expect now is an unexpected_message however long it is (RFC 5246
    7.4 and 7.2.2, RFC 8446 6.2); only one of the type expected is judged
    by its length.  So the two length rules apply only where the caller's
    C{expects} says the type may come.
    """

    def __init__(self, maxCertificateLength: int = MAX_CERTIFICATE_LENGTH) -> None:
        self._maxCertificate = maxCertificateLength
        self._buf = bytearray()

    def feed(self, fragment: bytes | memoryview) -> None:
        self._buf += fragment

    def hasPartial(self) -> bool:
        return bool(self._buf)

    def nextMessage(
        self, expects: Callable[[int], bool] = _anyType
    ) -> tuple[int, bytes, bytes] | None:
        """
        @param expects: whether a message of a given type may come now
            (asked only of a message longer than we accept).
        @return: C{(msgType, body, raw)} with C{raw} including the header,
            or C{None} if no complete message is buffered.
        """
        buf = self._buf
        if len(buf) < 4:
            return None
        msgType = buf[0]
        length = int.from_bytes(buf[1:4], "big")
        self._checkLength(msgType, length, expects)
        end = 4 + length
        if len(buf) < end:
            return None
        raw = bytes(buf[:end])
        del buf[:end]
        return msgType, raw[4:], raw

    def _checkLength(self, msgType: int, length: int, expects: Callable[[int], bool]) -> None:
        limit = maxBodyLength(msgType)
        if limit is None:
            raise PeerError(
                AlertDescription.unexpected_message,
                f"handshake message of unknown type {msgType}",
            )
        tooLong = length > limit or (
            msgType == HandshakeType.certificate and length > self._maxCertificate
        )
        if tooLong and not expects(msgType):
            raise PeerError(
                AlertDescription.unexpected_message,
                f"{messageName(msgType)} (of {length} bytes) not expected now",
            )
        if length > limit:
            raise PeerError(
                AlertDescription.decode_error,
                f"{messageName(msgType)} of {length} bytes, longer than its syntax allows",
            )
        if msgType == HandshakeType.certificate and length > self._maxCertificate:
            raise PeerError(
                AlertDescription.illegal_parameter,
                f"certificate message of {length} bytes exceeds our limit {self._maxCertificate}",
            )
