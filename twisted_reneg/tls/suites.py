# -*- test-case-name: tests.tls.test_records, tests.tls.test_engine -*-
"""
Cipher suites, named groups and signature schemes, and the choices among them.

Only AEAD suites with ephemeral ECDH exist here: the security rules of the
project leave no room for anything else, so there is no table of weak suites
to keep disabled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class NamedGroup(IntEnum):
    """
    Key-exchange groups (RFC 8422, RFC 7748, RFC 8446).
    """

    secp256r1 = 0x0017
    secp384r1 = 0x0018
    x25519 = 0x001D
    x448 = 0x001E
    #: draft-ietf-tls-ecdhe-mlkem: ML-KEM-768 and X25519 together, TLS 1.3 only.
    X25519MLKEM768 = 0x11EC


#: Groups that only exist in TLS 1.3 (a TLS 1.2 ServerKeyExchange cannot
#: carry a KEM ciphertext).
TLS13_ONLY_GROUPS = frozenset({NamedGroup.X25519MLKEM768})


def groupsForTLS12(groups: tuple[NamedGroup, ...]) -> tuple[NamedGroup, ...]:
    """
    The elliptic-curve groups among C{groups}, in the same order.
    """
    return tuple(g for g in groups if g not in TLS13_ONLY_GROUPS)


class SignatureScheme(IntEnum):
    """
    Signature schemes (RFC 8446 section 4.2.3; in TLS 1.2 the same code
    points stand for the (hash, signature) pairs of RFC 5246).
    """

    rsa_pkcs1_sha256 = 0x0401
    rsa_pkcs1_sha384 = 0x0501
    rsa_pkcs1_sha512 = 0x0601
    ecdsa_secp256r1_sha256 = 0x0403
    ecdsa_secp384r1_sha384 = 0x0503
    rsa_pss_rsae_sha256 = 0x0804
    rsa_pss_rsae_sha384 = 0x0805
    rsa_pss_rsae_sha512 = 0x0806
    ed25519 = 0x0807


class KeyExchange(IntEnum):
    """
    TLS 1.2 key exchange: which certificate key type the suite requires.
    """

    ECDHE_RSA = 1
    ECDHE_ECDSA = 2


@dataclass(frozen=True)
class CipherSuite:
    """
    A TLS 1.2 AEAD cipher suite.

    @ivar code: the two-byte IANA code point.
    @ivar name: the IANA name without the C{TLS_} prefix.
    @ivar keyExchange: which certificate type it needs.
    @ivar aead: the AEAD name the record layer understands.
    @ivar keyLength: AEAD key size in bytes.
    @ivar ivLength: fixed IV size from the key block (4 for GCM, 12 for ChaCha).
    @ivar hashName: PRF hash.
    """

    code: int
    name: str
    keyExchange: KeyExchange
    aead: str
    keyLength: int
    ivLength: int
    hashName: str

    def __repr__(self) -> str:
        return f"<CipherSuite {self.name}>"


def _suite(code: int, name: str, aead: str, keyLength: int, ivLength: int, h: str) -> CipherSuite:
    kx = KeyExchange.ECDHE_ECDSA if name.startswith("ECDHE_ECDSA") else KeyExchange.ECDHE_RSA
    return CipherSuite(code, name, kx, aead, keyLength, ivLength, h)


#: TLS 1.2 suites in our default preference order: forward secrecy and AEAD
#: everywhere; AES-128-GCM first (hardware AES is the common case), then
#: ChaCha20 for peers without it, then AES-256-GCM.
TLS12_SUITES: tuple[CipherSuite, ...] = (
    _suite(0xC02B, "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "AES-128-GCM", 16, 4, "sha256"),
    _suite(0xC02F, "ECDHE_RSA_WITH_AES_128_GCM_SHA256", "AES-128-GCM", 16, 4, "sha256"),
    _suite(
        0xCCA9, "ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305", 32, 12, "sha256"
    ),
    _suite(
        0xCCA8, "ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305", 32, 12, "sha256"
    ),
    _suite(0xC02C, "ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "AES-256-GCM", 32, 4, "sha384"),
    _suite(0xC030, "ECDHE_RSA_WITH_AES_256_GCM_SHA384", "AES-256-GCM", 32, 4, "sha384"),
)

SUITES_BY_CODE: dict[int, CipherSuite] = {s.code: s for s in TLS12_SUITES}
SUITES_BY_NAME: dict[str, CipherSuite] = {s.name: s for s in TLS12_SUITES}

#: RFC 5746 signalling cipher suite value.
TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF

DEFAULT_GROUPS: tuple[NamedGroup, ...] = (
    NamedGroup.X25519MLKEM768,
    NamedGroup.x25519,
    NamedGroup.secp256r1,
    NamedGroup.secp384r1,
    NamedGroup.x448,
)

#: Signature schemes we accept from peers, in preference order.
DEFAULT_SIGNATURE_SCHEMES: tuple[SignatureScheme, ...] = (
    SignatureScheme.ed25519,
    SignatureScheme.ecdsa_secp256r1_sha256,
    SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.rsa_pss_rsae_sha256,
    SignatureScheme.rsa_pss_rsae_sha384,
    SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.rsa_pkcs1_sha256,
    SignatureScheme.rsa_pkcs1_sha384,
    SignatureScheme.rsa_pkcs1_sha512,
)


def suiteByName(name: str) -> CipherSuite:
    """
    Look a suite up by its IANA name, with or without the C{TLS_} prefix.

    @raise ValueError: for a name we do not implement.
    """
    key = name.upper().removeprefix("TLS_")
    try:
        return SUITES_BY_NAME[key]
    except KeyError:
        valid = ", ".join(sorted(SUITES_BY_NAME))
        raise ValueError(f"unsupported cipher suite {name!r}; valid: {valid}") from None


def groupByName(name: str) -> NamedGroup:
    """
    Look a group up by name (C{"x25519"}, C{"secp256r1"} or C{"P-256"} ...).

    @raise ValueError: for a group we do not implement.
    """
    aliases = {"p-256": "secp256r1", "p-384": "secp384r1", "prime256v1": "secp256r1"}
    key = aliases.get(name.lower(), name.lower())
    try:
        return NamedGroup[key]
    except KeyError:
        valid = ", ".join(g.name for g in NamedGroup)
        raise ValueError(f"unsupported group {name!r}; valid: {valid}") from None


@dataclass(frozen=True)
class CipherSuite13:
    """
    A TLS 1.3 cipher suite: only the AEAD and the hash.

    @ivar recordLimit: records to protect under one traffic secret before
        we update our keys (RFC 8446 5.5: 2^24.5 full-size records for
        AES-GCM; ChaCha20-Poly1305 has no practical limit).
    """

    code: int
    name: str
    aead: str
    keyLength: int
    hashName: str
    recordLimit: int = field(default=1 << 62, compare=False)

    def __repr__(self) -> str:
        return f"<CipherSuite13 {self.name}>"


#: Well inside RFC 8446's 2^24.5 for AES-GCM, as other stacks choose.
_GCM_LIMIT = 1 << 23

TLS13_SUITES: tuple[CipherSuite13, ...] = (
    CipherSuite13(0x1301, "TLS_AES_128_GCM_SHA256", "AES-128-GCM", 16, "sha256", _GCM_LIMIT),
    CipherSuite13(0x1303, "TLS_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305", 32, "sha256"),
    CipherSuite13(0x1302, "TLS_AES_256_GCM_SHA384", "AES-256-GCM", 32, "sha384", _GCM_LIMIT),
)
SUITES13_BY_CODE: dict[int, CipherSuite13] = {s.code: s for s in TLS13_SUITES}
SUITES13_BY_NAME: dict[str, CipherSuite13] = {s.name: s for s in TLS13_SUITES}
