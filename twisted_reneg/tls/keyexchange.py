# -*- test-case-name: tests.tls.test_keyexchange -*-
"""
Ephemeral key agreement for the named groups we support: ECDH on the NIST
curves, X25519 and X448, and the hybrid X25519MLKEM768 (ML-KEM-768
encapsulation beside X25519).

The initiator (the client in TLS 1.3, either side's first mover in 1.2)
calls L{KeyShare.generate} and later L{KeyShare.exchange}; the TLS 1.3
server answers a client's share with L{respond}, because for a KEM its
public value (a ciphertext) depends on the client's.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec, mlkem, x448, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .errors import AlertDescription, PeerError
from .suites import NamedGroup

_CURVES: dict[NamedGroup, ec.EllipticCurve] = {
    NamedGroup.secp256r1: ec.SECP256R1(),
    NamedGroup.secp384r1: ec.SECP384R1(),
}
_POINT_LENGTH = {NamedGroup.secp256r1: 65, NamedGroup.secp384r1: 97}
_MONTGOMERY_LENGTH = {NamedGroup.x25519: 32, NamedGroup.x448: 56}

#: draft-ietf-tls-ecdhe-mlkem section 4.1: the client sends the ML-KEM-768
#: encapsulation key then its X25519 share; the server the ciphertext then
#: its X25519 share; the secret is the ML-KEM secret then the X25519 one.
_MLKEM768_PUBLIC = 1184
_MLKEM768_CIPHERTEXT = 1088
_HYBRID = NamedGroup.X25519MLKEM768


def _illegal(reason: str) -> PeerError:
    return PeerError(AlertDescription.illegal_parameter, reason)


class KeyShare:
    """
    One ephemeral key pair for one group, used for one handshake.
    """

    def __init__(
        self, group: NamedGroup, privateKey: object, kemKey: mlkem.MLKEM768PrivateKey | None = None
    ) -> None:
        self.group = group
        self._privateKey = privateKey
        self._kemKey = kemKey
        self._public: bytes | None = None

    @classmethod
    def generate(cls, group: NamedGroup) -> KeyShare:
        key: object
        if group is _HYBRID:
            return cls(
                group, x25519.X25519PrivateKey.generate(), mlkem.MLKEM768PrivateKey.generate()
            )
        if group is NamedGroup.x25519:
            key = x25519.X25519PrivateKey.generate()
        elif group is NamedGroup.x448:
            key = x448.X448PrivateKey.generate()
        elif group in _CURVES:
            key = ec.generate_private_key(_CURVES[group])
        else:
            raise ValueError(f"unsupported group {group!r}")
        return cls(group, key)

    def __repr__(self) -> str:
        return f"<KeyShare {self.group.name}>"

    def publicBytes(self) -> bytes:
        """
        Raw bytes for X25519/X448; the uncompressed point for NIST curves
        (RFC 8422 5.4: the only format TLS 1.3 allows, and the one we send).
        Encoded once: a hello and a TLS 1.2 ServerKeyExchange (signed, then
        sent) ask more than once, and each encoding goes through
        C{cryptography}'s ABC isinstance checks.
        """
        if self._public is None:
            self._public = self._encodePublic()
        return self._public

    def _encodePublic(self) -> bytes:
        key = self._privateKey
        if self._kemKey is not None:
            assert isinstance(key, x25519.X25519PrivateKey)
            return (
                self._kemKey.public_key().public_bytes_raw() + key.public_key().public_bytes_raw()
            )
        if self.group in _MONTGOMERY_LENGTH:
            assert isinstance(key, (x25519.X25519PrivateKey, x448.X448PrivateKey))
            return key.public_key().public_bytes_raw()
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)

    def exchange(self, peerPublic: bytes) -> bytes:
        """
        @return: the shared secret.
        @raise PeerError: C{illegal_parameter} for an invalid public value.
        """
        group = self.group
        key = self._privateKey
        if self._kemKey is not None:
            # The initiator's side of the hybrid: the peer sent a ciphertext.
            if len(peerPublic) != _MLKEM768_CIPHERTEXT + 32:
                raise _illegal(f"{group.name} server share of {len(peerPublic)} bytes")
            kemSecret = self._kemKey.decapsulate(peerPublic[:_MLKEM768_CIPHERTEXT])
            return kemSecret + _montgomery(
                NamedGroup.x25519, key, peerPublic[_MLKEM768_CIPHERTEXT:]
            )
        if group in _MONTGOMERY_LENGTH:
            return _montgomery(group, key, peerPublic)
        if len(peerPublic) != _POINT_LENGTH[group] or peerPublic[0] != 4:
            raise _illegal(f"{group.name} public key is not an uncompressed point")
        try:
            peer = ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[group], peerPublic)
        except ValueError:
            raise _illegal(f"{group.name} public key is not on the curve") from None
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key.exchange(ec.ECDH(), peer)


def respond(group: NamedGroup, peerPublic: bytes) -> tuple[bytes, bytes]:
    """
    The responder's side (a TLS 1.3 server): answer the peer's share.

    @return: our public value (for the hybrid, the ML-KEM ciphertext and
        our X25519 share) and the shared secret.
    @raise PeerError: C{illegal_parameter} for an invalid public value.
    """
    if group is not _HYBRID:
        share = KeyShare.generate(group)
        secret = share.exchange(peerPublic)
        return share.publicBytes(), secret
    if len(peerPublic) != _MLKEM768_PUBLIC + 32:
        raise _illegal(f"{group.name} client share of {len(peerPublic)} bytes")
    try:
        encapsulationKey = mlkem.MLKEM768PublicKey.from_public_bytes(peerPublic[:_MLKEM768_PUBLIC])
    except ValueError:
        # FIPS 203 7.2: the modulus check on the encapsulation key failed.
        raise _illegal("ML-KEM-768 encapsulation key is invalid") from None
    kemSecret, ciphertext = encapsulationKey.encapsulate()
    ours = x25519.X25519PrivateKey.generate()
    ecdhSecret = _montgomery(NamedGroup.x25519, ours, peerPublic[_MLKEM768_PUBLIC:])
    return ciphertext + ours.public_key().public_bytes_raw(), kemSecret + ecdhSecret


def _montgomery(group: NamedGroup, key: object, peerPublic: bytes) -> bytes:
    if len(peerPublic) != _MONTGOMERY_LENGTH[group]:
        raise _illegal(f"{group.name} public key of {len(peerPublic)} bytes")
    try:
        if isinstance(key, x25519.X25519PrivateKey):
            secret = key.exchange(x25519.X25519PublicKey.from_public_bytes(peerPublic))
        else:
            assert isinstance(key, x448.X448PrivateKey)
            secret = key.exchange(x448.X448PublicKey.from_public_bytes(peerPublic))
    except ValueError:
        # cryptography refuses an all-zero result: a low-order point
        # (RFC 7748 section 6).
        raise _illegal(f"{group.name} public key of low order") from None
    if not any(secret):
        raise _illegal(f"{group.name} shared secret is zero")
    return secret
