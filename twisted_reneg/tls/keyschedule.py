# -*- test-case-name: tests.tls.test_keyschedule -*-
"""
Key derivation: the TLS 1.2 PRF (RFC 5246 section 5), the master secret and
its extended form (RFC 7627), the AEAD key block, Finished verify_data, and
the handshake transcript.  Pure functions, checked against known answers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384}
_HASH_SIZES = {"sha256": 32, "sha384": 48}
#: Each hash's block size, for HMAC's key padding.
_BLOCK_SIZES = {"sha256": 64, "sha384": 128}
#: RFC 2104's ipad and opad as translation tables: a padded key XORed with
#: either is one C{bytes.translate}.
_IPAD = bytes(byte ^ 0x36 for byte in range(256))
_OPAD = bytes(byte ^ 0x5C for byte in range(256))


def _paddedKey(hashName: str, key: bytes) -> tuple[Any, bytes]:
    """
    The hash constructor and C{key} as RFC 2104 pads it: hashed first if
    longer than the hash's block, then zero-filled to the block.
    """
    new, block = _hashFactory(hashName), _BLOCK_SIZES[hashName]
    if len(key) > block:
        key = new(key).digest()
    return new, bytes(key).ljust(block, b"\x00")


def _hmac(hashName: str, key: bytes, message: bytes) -> bytes:
    """
    HMAC (RFC 2104), H((K ^ opad) || H((K ^ ipad) || m)), made of two
    hashlib hashes.

    The same bytes as C{hmac.digest}, which for these short inputs costs
    more: OpenSSL 3's one-shot HMAC looks up its algorithms on every call,
    and a TLS 1.3 handshake makes about twenty HMACs a side (bench/engine.py,
    under py-spy, shows the share).
    """
    new, padded = _paddedKey(hashName, key)
    return new(padded.translate(_OPAD) + new(padded.translate(_IPAD) + message).digest()).digest()


def _hmacStates(hashName: str, key: bytes) -> tuple[Any, Any]:
    """
    The inner and outer hash states of HMAC under C{key}, for a key used
    for several HMACs (L{_hmacFrom} copies them).
    """
    new, padded = _paddedKey(hashName, key)
    return new(padded.translate(_IPAD)), new(padded.translate(_OPAD))


def _hmacFrom(inner: Any, outer: Any, message: bytes) -> bytes:
    """
    HMAC of C{message} from the keyed states L{_hmacStates} made.
    """
    h = inner.copy()
    h.update(message)
    o = outer.copy()
    o.update(h.digest())
    return bytes(o.digest())


def hashLength(hashName: str) -> int:
    """
    The digest size of a suite's hash: a secret's, a binder's length.
    """
    try:
        return _HASH_SIZES[hashName]
    except KeyError:
        raise ValueError(f"unsupported PRF hash {hashName!r}") from None


def _hashFactory(hashName: str) -> Any:
    try:
        return _HASHES[hashName]
    except KeyError:
        raise ValueError(f"unsupported PRF hash {hashName!r}") from None


def prf12(hashName: str, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """
    The TLS 1.2 PRF: C{P_hash(secret, label + seed)} cut to C{length} bytes.
    """
    inner, outer = _hmacStates(hashName, secret)
    fullSeed = label + seed
    # The keyed inner and outer hash states are made once and copied per
    # HMAC: the key is not padded and hashed again for every block.
    out = bytearray()
    a = fullSeed
    while len(out) < length:
        a = _hmacFrom(inner, outer, a)
        out += _hmacFrom(inner, outer, a + fullSeed)
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

    def fork(self) -> Transcript:
        """
        A transcript that goes on from this one's hash (without the raw
        messages, which only TLS 1.2 needs): TLS 1.3 post-handshake
        authentication branches off the finished handshake's transcript.
        """
        if self._hash is None:
            raise ValueError("transcript hash not chosen yet")
        forked = Transcript()
        forked._hash = self._hash.copy()
        return forked


# --- TLS 1.3 (RFC 8446 section 7) --------------------------------------------


def hkdfExtract(hashName: str, salt: bytes, ikm: bytes) -> bytes:
    """
    HKDF-Extract (RFC 5869); an empty salt means a string of zeros.
    """
    size = _HASH_SIZES[hashName]
    return _hmac(hashName, salt or bytes(size), ikm or bytes(size))


@lru_cache(maxsize=64)
def _labelPrefix(length: int, label: bytes) -> bytes:
    # HkdfLabel up to its context: the handful of (length, label) pairs
    # TLS 1.3 uses recur on every handshake (about twenty expansions a side).
    fullLabel = b"tls13 " + label
    return length.to_bytes(2, "big") + bytes((len(fullLabel),)) + fullLabel


#: HkdfLabel's context length byte, by length (a context is a transcript
#: hash, a ticket nonce or empty: one byte, never more than 255).
_LENGTH_BYTES = tuple(bytes((length,)) for length in range(256))


def hkdfExpandLabel(
    hashName: str, secret: bytes, label: bytes, context: bytes, length: int
) -> bytes:
    """
    HKDF-Expand-Label: HKDF-Expand with the C{HkdfLabel} structure, whose
    label is prefixed with C{"tls13 "}.
    """
    info = _labelPrefix(length, label) + _LENGTH_BYTES[len(context)] + context
    if length <= _HASH_SIZES[hashName]:
        # Every TLS 1.3 use: one block (T(1) = HMAC(secret, info || 0x01)),
        # cut only for keys and IVs (Derive-Secret takes it whole).
        block = _hmac(hashName, secret, info + b"\x01")
        return block if length == len(block) else block[:length]
    out = bytearray()
    block = b""
    counter = 1
    while len(out) < length:
        block = _hmac(hashName, secret, block + info + bytes((counter,)))
        out += block
        counter += 1
    return bytes(out[:length])


def deriveSecret(hashName: str, secret: bytes, label: bytes, transcriptHash: bytes) -> bytes:
    """
    Derive-Secret, taking the transcript hash already computed.
    """
    return hkdfExpandLabel(hashName, secret, label, transcriptHash, _HASH_SIZES[hashName])


@lru_cache(maxsize=4)
def _emptyHash(hashName: str) -> bytes:
    return bytes(_hashFactory(hashName)(b"").digest())


@dataclass(frozen=True)
class TrafficSecrets13:
    """
    A client and a server traffic secret of one stage.
    """

    client: bytes = field(repr=False)
    server: bytes = field(repr=False)


class EarlySecret13:
    """
    The first stage of the TLS 1.3 key schedule.  Each stage is consumed to
    make the next (C{intoHandshake}, C{intoMaster}), so a secret cannot be
    used at the wrong stage.
    """

    def __init__(self, hashName: str, psk: bytes | None = None) -> None:
        self.hashName = hashName
        self._withPsk = bool(psk)
        # Without a PSK the early secret is HKDF-Extract(0, 0), a constant of
        # the hash: made once, not on every full handshake.
        self._secret = hkdfExtract(hashName, b"", psk) if psk else _earlyWithoutPsk(hashName)

    def binderKey(self) -> bytes:
        """
        RFC 8446 7.1: the key of resumption PSK binders ("res binder").
        """
        return deriveSecret(self.hashName, self._secret, b"res binder", _emptyHash(self.hashName))

    def intoHandshake(self, sharedSecret: bytes) -> HandshakeSecret13:
        if self._withPsk:
            derived = deriveSecret(
                self.hashName, self._secret, b"derived", _emptyHash(self.hashName)
            )
        else:
            derived = _derivedWithoutPsk(self.hashName)
        return HandshakeSecret13(self.hashName, hkdfExtract(self.hashName, derived, sharedSecret))


@lru_cache(maxsize=4)
def _earlyWithoutPsk(hashName: str) -> bytes:
    """
    The early secret when there is no PSK: HKDF-Extract(0, 0).
    """
    return hkdfExtract(hashName, b"", b"")


@lru_cache(maxsize=4)
def _derivedWithoutPsk(hashName: str) -> bytes:
    """
    Derive-Secret(Early Secret, "derived", "") when there is no PSK: the
    early secret is then HKDF-Extract(0, 0), a constant of the hash, and so
    is this; every full handshake would otherwise recompute it.
    """
    return deriveSecret(hashName, _earlyWithoutPsk(hashName), b"derived", _emptyHash(hashName))


class HandshakeSecret13:
    def __init__(self, hashName: str, secret: bytes) -> None:
        self.hashName = hashName
        self._secret = secret

    def trafficSecrets(self, transcriptHash: bytes) -> TrafficSecrets13:
        """
        @param transcriptHash: Transcript-Hash(ClientHello..ServerHello).
        """
        h = self.hashName
        return TrafficSecrets13(
            deriveSecret(h, self._secret, b"c hs traffic", transcriptHash),
            deriveSecret(h, self._secret, b"s hs traffic", transcriptHash),
        )

    def intoMaster(self) -> MasterSecret13:
        h = self.hashName
        derived = deriveSecret(h, self._secret, b"derived", _emptyHash(h))
        return MasterSecret13(h, hkdfExtract(h, derived, b""))


class MasterSecret13:
    def __init__(self, hashName: str, secret: bytes) -> None:
        self.hashName = hashName
        self._secret = secret

    def trafficSecrets(self, transcriptHash: bytes) -> TrafficSecrets13:
        """
        @param transcriptHash: Transcript-Hash(ClientHello..server Finished).
        """
        h = self.hashName
        return TrafficSecrets13(
            deriveSecret(h, self._secret, b"c ap traffic", transcriptHash),
            deriveSecret(h, self._secret, b"s ap traffic", transcriptHash),
        )

    def resumptionMasterSecret(self, transcriptHash: bytes) -> bytes:
        """
        @param transcriptHash: Transcript-Hash(ClientHello..client Finished).
        """
        return deriveSecret(self.hashName, self._secret, b"res master", transcriptHash)

    def exporterMasterSecret(self, transcriptHash: bytes) -> bytes:
        """
        RFC 8446 7.1: the base of the keying-material exporters (7.5).

        @param transcriptHash: Transcript-Hash(ClientHello..server Finished),
            the same as for the application traffic secrets.
        """
        return deriveSecret(self.hashName, self._secret, b"exp master", transcriptHash)


def trafficKeys13(
    hashName: str, trafficSecret: bytes, keyLength: int, ivLength: int = 12
) -> tuple[bytes, bytes]:
    """
    @return: the record protection key and IV of a traffic secret.
    """
    return (
        hkdfExpandLabel(hashName, trafficSecret, b"key", b"", keyLength),
        hkdfExpandLabel(hashName, trafficSecret, b"iv", b"", ivLength),
    )


def finishedVerifyData13(hashName: str, baseKey: bytes, transcriptHash: bytes) -> bytes:
    """
    Finished.verify_data: HMAC of the transcript hash under the finished key
    derived from a handshake traffic secret.
    """
    finishedKey = hkdfExpandLabel(hashName, baseKey, b"finished", b"", _HASH_SIZES[hashName])
    return _hmac(hashName, finishedKey, transcriptHash)


def resumptionPsk13(hashName: str, resumptionMasterSecret: bytes, nonce: bytes) -> bytes:
    """
    RFC 8446 4.6.1: the PSK one NewSessionTicket stands for.
    """
    size = _HASH_SIZES[hashName]
    return hkdfExpandLabel(hashName, resumptionMasterSecret, b"resumption", nonce, size)


def pskBinder13(hashName: str, psk: bytes, transcriptHash: bytes) -> bytes:
    """
    RFC 8446 4.2.11.2: a PSK binder, computed as a Finished is, from the
    binder key, over the transcript up to the binders.
    """
    binderKey = EarlySecret13(hashName, psk).binderKey()
    return finishedVerifyData13(hashName, binderKey, transcriptHash)


def nextTrafficSecret13(hashName: str, trafficSecret: bytes) -> bytes:
    """
    The KeyUpdate successor of an application traffic secret.
    """
    size = _hashFactory(hashName)().digest_size
    return hkdfExpandLabel(hashName, trafficSecret, b"traffic upd", b"", size)


def exporter12(
    hashName: str,
    masterSecret: bytes,
    clientRandom: bytes,
    serverRandom: bytes,
    label: bytes,
    context: bytes | None,
    length: int,
) -> bytes:
    """
    RFC 5705 section 4: C{PRF(master_secret, label, client_random +
    server_random [+ context_value_length + context_value])}.  No context
    and an empty one differ: only a context (even empty) adds its length.
    """
    seed = clientRandom + serverRandom
    if context is not None:
        seed += len(context).to_bytes(2, "big") + context
    return prf12(hashName, masterSecret, label, seed, length)


def exporter13(
    hashName: str, exporterMasterSecret: bytes, label: bytes, context: bytes, length: int
) -> bytes:
    """
    RFC 8446 section 7.5: C{HKDF-Expand-Label(Derive-Secret(
    exporter_master_secret, label, ""), "exporter", Hash(context_value),
    length)}.  Derive-Secret of no messages hashes the empty string, and
    no context is the empty context.
    """
    secret = deriveSecret(hashName, exporterMasterSecret, label, _emptyHash(hashName))
    contextHash = bytes(_hashFactory(hashName)(context).digest())
    return hkdfExpandLabel(hashName, secret, b"exporter", contextHash, length)
