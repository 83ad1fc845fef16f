# -*- test-case-name: tests.tls.test_credentials -*-
"""
Certificates and keys: our own (L{Credential}: chain, key, signing) and the
peer's handshake signatures (L{verifySignature}).  Chain verification is in
L{twisted_reneg.tls.verification}.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from .errors import AlertDescription, PeerError
from .suites import KeyExchange, SignatureScheme

A = AlertDescription
S = SignatureScheme

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class KeyType(Enum):
    RSA = "rsa"
    ECDSA_P256 = "ecdsa-p256"
    ECDSA_P384 = "ecdsa-p384"
    ED25519 = "ed25519"


def keyTypeOf(key: object) -> KeyType | None:
    """
    The L{KeyType} of a public or private key, or C{None} if unsupported.
    """
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return KeyType.RSA
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return KeyType.ED25519
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        if isinstance(key.curve, ec.SECP256R1):
            return KeyType.ECDSA_P256
        if isinstance(key.curve, ec.SECP384R1):
            return KeyType.ECDSA_P384
    return None


_HASH: dict[SignatureScheme, hashes.HashAlgorithm] = {
    S.rsa_pkcs1_sha256: hashes.SHA256(),
    S.rsa_pkcs1_sha384: hashes.SHA384(),
    S.rsa_pkcs1_sha512: hashes.SHA512(),
    S.rsa_pss_rsae_sha256: hashes.SHA256(),
    S.rsa_pss_rsae_sha384: hashes.SHA384(),
    S.rsa_pss_rsae_sha512: hashes.SHA512(),
    S.ecdsa_secp256r1_sha256: hashes.SHA256(),
    S.ecdsa_secp384r1_sha384: hashes.SHA384(),
}
_PSS = (S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512)
#: The signing parameters of each scheme, made once: immutable descriptions
#: that every server handshake would otherwise build again (the ECDSA one
#: checks its hash on construction).
_ECDSA: dict[SignatureScheme, ec.ECDSA] = {
    scheme: ec.ECDSA(_HASH[scheme])
    for scheme in (S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384)
}
_PKCS1 = (S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha384, S.rsa_pkcs1_sha512)
#: Every RSA scheme's padding (_PSS and _PKCS1 are all the RSA schemes there
#: are), for signing and for verifying alike.
_RSA_PADDING: dict[SignatureScheme, padding.AsymmetricPadding] = {
    **{
        scheme: padding.PSS(padding.MGF1(_HASH[scheme]), _HASH[scheme].digest_size)
        for scheme in _PSS
    },
    **dict.fromkeys(_PKCS1, padding.PKCS1v15()),
}

#: Which schemes a key type can use.  In TLS 1.2 the ECDSA code points name
#: only the hash, so any curve may use either; TLS 1.3 ties curve to hash.
_SCHEMES_12: dict[KeyType, tuple[SignatureScheme, ...]] = {
    KeyType.RSA: _PSS + _PKCS1,
    KeyType.ECDSA_P256: (S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384),
    KeyType.ECDSA_P384: (S.ecdsa_secp384r1_sha384, S.ecdsa_secp256r1_sha256),
    KeyType.ED25519: (S.ed25519,),
}
_SCHEMES_13: dict[KeyType, tuple[SignatureScheme, ...]] = {
    KeyType.RSA: _PSS,
    KeyType.ECDSA_P256: (S.ecdsa_secp256r1_sha256,),
    KeyType.ECDSA_P384: (S.ecdsa_secp384r1_sha384,),
    KeyType.ED25519: (S.ed25519,),
}


def _schemesFor(keyType: KeyType, tls13: bool) -> tuple[SignatureScheme, ...]:
    return (_SCHEMES_13 if tls13 else _SCHEMES_12)[keyType]


@dataclass(frozen=True)
class Credential:
    """
    Our certificate chain (leaf first) and the leaf's private key.
    """

    chain: tuple[x509.Certificate, ...] = field(repr=False)
    privateKey: PrivateKey = field(repr=False)
    keyType: KeyType = field(init=False)
    #: The chain in DER, leaf first: encoded once, since every handshake
    #: that uses this credential sends it.
    derChain: tuple[bytes, ...] = field(init=False, repr=False, compare=False)
    #: Handshake messages made from this credential alone, memoised by the
    #: handshake code that sends them (the Certificate message is the same
    #: on every connection), keyed by message name.
    encodedMessages: dict[str, bytes] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        chain = tuple(self.chain)
        object.__setattr__(self, "chain", chain)
        object.__setattr__(
            self, "derChain", tuple(c.public_bytes(serialization.Encoding.DER) for c in chain)
        )
        if not chain:
            raise ValueError("a credential needs at least one certificate")
        keyType = keyTypeOf(self.privateKey)
        if keyType is None:
            raise ValueError(f"unsupported private key type {type(self.privateKey).__name__}")
        leafKey = chain[0].public_key()
        fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if self.privateKey.public_key().public_bytes(*fmt) != leafKey.public_bytes(*fmt):
            raise ValueError("private key does not match the leaf certificate")
        object.__setattr__(self, "keyType", keyType)

    def __repr__(self) -> str:
        return f"<Credential {self.keyType.value} {self.chain[0].subject.rfc4514_string()}>"

    @classmethod
    def fromPEM(
        cls, certChainPEM: bytes, keyPEM: bytes, password: bytes | None = None
    ) -> Credential:
        chain = x509.load_pem_x509_certificates(certChainPEM)
        key = serialization.load_pem_private_key(keyPEM, password=password)
        return cls(tuple(chain), key)  # type: ignore[arg-type]

    @classmethod
    def fromFiles(cls, certChainPath: str, keyPath: str) -> Credential:
        with open(certChainPath, "rb") as c, open(keyPath, "rb") as k:
            return cls.fromPEM(c.read(), k.read())

    def signatureSchemes(self, tls13: bool = False) -> tuple[SignatureScheme, ...]:
        return _schemesFor(self.keyType, tls13)

    def chooseScheme(
        self, peerSchemes: Sequence[int], tls13: bool = False
    ) -> SignatureScheme | None:
        """
        Our most preferred scheme that the peer accepts.
        """
        return next((s for s in self.signatureSchemes(tls13) if s in peerSchemes), None)

    def compatibleWith(self, keyExchange: KeyExchange) -> bool:
        """
        RFC 8422 5.3: ECDHE_RSA needs an RSA certificate, ECDHE_ECDSA an
        ECDSA or EdDSA one.
        """
        if keyExchange is KeyExchange.ECDHE_RSA:
            return self.keyType is KeyType.RSA
        return self.keyType is not KeyType.RSA

    def sign(self, scheme: SignatureScheme, data: bytes) -> bytes:
        if scheme not in _schemesFor(self.keyType, False) and scheme not in _schemesFor(
            self.keyType, True
        ):
            raise ValueError(f"{scheme.name} cannot be used with a {self.keyType.value} key")
        key = self.privateKey
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, _ECDSA[scheme])
        return key.sign(data, _RSA_PADDING[scheme], _HASH[scheme])


def verifySignature(
    certificate: x509.Certificate,
    scheme: int,
    signature: bytes,
    data: bytes,
    tls13: bool = False,
) -> None:
    """
    Check a handshake signature made with C{certificate}'s key.

    @raise PeerError: C{illegal_parameter} for a scheme that does not fit
        the key, C{decrypt_error} for a signature that does not verify.
    """
    try:
        scheme = SignatureScheme(scheme)
    except ValueError:
        raise PeerError(A.illegal_parameter, f"unknown signature scheme {scheme:#06x}") from None
    key = certificate.public_key()
    keyType = keyTypeOf(key)
    if keyType is None or scheme not in _schemesFor(keyType, tls13):
        raise PeerError(
            A.illegal_parameter,
            f"signature scheme {scheme.name} does not fit the certificate's key",
        )
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, _ECDSA[scheme])
        else:
            assert isinstance(key, rsa.RSAPublicKey)
            key.verify(signature, data, _RSA_PADDING[scheme], _HASH[scheme])
    except InvalidSignature:
        raise PeerError(A.decrypt_error, f"{scheme.name} signature does not verify") from None


# Peer verification lives in its own module; these names stay importable
# from here for code written against earlier releases.
from .rejections import nameMatches  # noqa: E402
from .truststore import systemTrustRoots  # noqa: E402
from .verification import PeerVerifier  # noqa: E402

__all__ = [
    "Credential",
    "KeyType",
    "PeerVerifier",
    "keyTypeOf",
    "nameMatches",
    "systemTrustRoots",
    "verifySignature",
]
