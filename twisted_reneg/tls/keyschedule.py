# -*- test-case-name: tests.test_keyschedule -*-
"""
Key derivation: the TLS 1.2 PRF (RFC 5246 section 5), the master secret and
its extended form (RFC 7627), the AEAD key block, Finished verify_data, and
the handshake transcript.  Pure functions, checked against known answers.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

_HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384}


def _hashFactory(hashName: str) -> Any:
    try:
        return _HASHES[hashName]
    except KeyError:
        raise ValueError(f"unsupported PRF hash {hashName!r}") from None


def prf12(hashName: str, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """
    The TLS 1.2 PRF: C{P_hash(secret, label + seed)} cut to C{length} bytes.
    """
    digest = _hashFactory(hashName)
    fullSeed = label + seed
    # One keyed HMAC object, copied per step: the key schedule of HMAC is
    # computed once instead of once per block.
    base = hmac.new(secret, digestmod=digest)
    out = bytearray()
    a = fullSeed
    while len(out) < length:
        h = base.copy()
        h.update(a)
        a = h.digest()
        h = base.copy()
        h.update(a + fullSeed)
        out += h.digest()
    return bytes(out[:length])


def masterSecret12(
    hashName: str, preMasterSecret: bytes, clientRandom: bytes, serverRandom: bytes
) -> bytes:
    return prf12(hashName, preMasterSecret, b"master secret", clientRandom + serverRandom, 48)


def extendedMasterSecret12(hashName: str, preMasterSecret: bytes, sessionHash: bytes) -> bytes:
    """
    RFC 7627 section 4: the master secret bound to the whole handshake.
    """
    return prf12(hashName, preMasterSecret, b"extended master secret", sessionHash, 48)


@dataclass(frozen=True)
class TrafficKeys12:
    """
    AEAD keys and fixed IVs of both directions.
    """

    clientWriteKey: bytes = field(repr=False)
    serverWriteKey: bytes = field(repr=False)
    clientWriteIv: bytes = field(repr=False)
    serverWriteIv: bytes = field(repr=False)


def deriveTrafficKeys12(
    hashName: str,
    masterSecret: bytes,
    clientRandom: bytes,
    serverRandom: bytes,
    keyLength: int,
    ivLength: int,
) -> TrafficKeys12:
    """
    RFC 5246 section 6.3, for AEAD suites (no MAC keys).  Note the seed
    order: server random first, unlike the master secret.
    """
    block = prf12(
        hashName,
        masterSecret,
        b"key expansion",
        serverRandom + clientRandom,
        2 * (keyLength + ivLength),
    )
    k, i = keyLength, ivLength
    return TrafficKeys12(
        clientWriteKey=block[:k],
        serverWriteKey=block[k : 2 * k],
        clientWriteIv=block[2 * k : 2 * k + i],
        serverWriteIv=block[2 * k + i : 2 * k + 2 * i],
    )


def verifyData12(
    hashName: str, masterSecret: bytes, fromClient: bool, handshakeHash: bytes
) -> bytes:
    label = b"client finished" if fromClient else b"server finished"
    return prf12(hashName, masterSecret, label, handshakeHash, 12)


class Transcript:
    """
    The handshake transcript.

    TLS 1.2 learns its hash only from the ServerHello, so messages are kept
    until C{chooseHash}; the raw bytes are kept for the whole handshake too,
    because a TLS 1.2 CertificateVerify signs the messages themselves.
    """

    def __init__(self) -> None:
        self._messages = bytearray()
        self._hash: Any = None

    def update(self, rawMessage: bytes) -> None:
        self._messages += rawMessage
        if self._hash is not None:
            self._hash.update(rawMessage)

    def chooseHash(self, hashName: str) -> None:
        if self._hash is not None:
            raise ValueError("transcript hash already chosen")
        self._hash = _hashFactory(hashName)(bytes(self._messages))

    def digest(self) -> bytes:
        if self._hash is None:
            raise ValueError("transcript hash not chosen yet")
        return bytes(self._hash.copy().digest())

    def messages(self) -> bytes:
        return bytes(self._messages)
