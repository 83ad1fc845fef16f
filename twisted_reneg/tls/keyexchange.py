# -*- test-case-name: tests.test_keyexchange -*-
"""
Ephemeral ECDH for the named groups we support.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec, x448, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .errors import AlertDescription, PeerError
from .suites import NamedGroup

_CURVES: dict[NamedGroup, ec.EllipticCurve] = {
    NamedGroup.secp256r1: ec.SECP256R1(),
    NamedGroup.secp384r1: ec.SECP384R1(),
}
_POINT_LENGTH = {NamedGroup.secp256r1: 65, NamedGroup.secp384r1: 97}
_MONTGOMERY_LENGTH = {NamedGroup.x25519: 32, NamedGroup.x448: 56}


def _illegal(reason: str) -> PeerError:
    return PeerError(AlertDescription.illegal_parameter, reason)


class KeyShare:
    """
    One ephemeral key pair for one group, used for one handshake.
    """

    def __init__(self, group: NamedGroup, privateKey: object) -> None:
        self.group = group
        self._privateKey = privateKey

    @classmethod
    def generate(cls, group: NamedGroup) -> KeyShare:
        key: object
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
        """
        key = self._privateKey
        if isinstance(key, (x25519.X25519PrivateKey, x448.X448PrivateKey)):
            return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)

    def exchange(self, peerPublic: bytes) -> bytes:
        """
        @return: the shared secret.
        @raise PeerError: C{illegal_parameter} for an invalid public value.
        """
        group = self.group
        key = self._privateKey
        if group in _MONTGOMERY_LENGTH:
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
        if len(peerPublic) != _POINT_LENGTH[group] or peerPublic[0] != 4:
            raise _illegal(f"{group.name} public key is not an uncompressed point")
        try:
            peer = ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[group], peerPublic)
        except ValueError:
            raise _illegal(f"{group.name} public key is not on the curve") from None
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key.exchange(ec.ECDH(), peer)
