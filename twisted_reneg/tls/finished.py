# -*- test-case-name: tests.tls.test_engine -*-
"""
The check of a peer's Finished, the same in every TLS version and exchange
we implement (TLS 1.2 handshakes and renegotiations, TLS 1.3 handshakes and
post-handshake authentication); only the expected verify_data differs.
"""

from __future__ import annotations

import hmac

from .errors import AlertDescription, DecodeError, PeerError
from .keyschedule import finishedVerifyData13
from .messages import Finished

A = AlertDescription


def checkFinished(body: bytes, expected: bytes, who: str) -> bytes:
    """
    The peer's Finished must carry exactly C{expected}, compared in
    constant time (verify_data is a MAC).

    @param who: C{"client"} or C{"server"}, for the failure's reason.
    @return: the verify_data received (RFC 5746 keeps it).
    @raise DecodeError: for verify_data of another length: RFC 5246 7.4.9
        makes it 12 bytes and RFC 8446 4.4.4 the hash length, so any other
        length does not decode, whatever its contents.
    @raise PeerError: C{decrypt_error} for verify_data that does not match.
    """
    verifyData = Finished.parse(body).verifyData
    if len(verifyData) != len(expected):
        raise DecodeError(f"{who} Finished of {len(verifyData)} bytes")
    if not hmac.compare_digest(verifyData, expected):
        raise PeerError(A.decrypt_error, f"{who} Finished does not verify")
    return verifyData


def checkFinished13(
    body: bytes, hashName: str, baseKey: bytes, transcriptHash: bytes, who: str
) -> None:
    """
    RFC 8446 4.4.4: the peer's Finished must carry the verify_data of the
    transcript under C{baseKey}'s finished key (L{checkFinished}).

    @param baseKey: the peer's handshake traffic secret, or after the
        handshake its application traffic secret (RFC 8446 4.6.2).
    """
    checkFinished(body, finishedVerifyData13(hashName, baseKey, transcriptHash), who)
