# -*- test-case-name: tests.test_exporters -*-
"""
Keying-material exporters (RFC 5705 for TLS 1.2, RFC 8446 section 7.5 for
TLS 1.3) and the TLS channel bindings of RFC 5929 and RFC 9266.

L{KeyingMaterial} is what one completed handshake leaves behind for them;
the connection replaces it after every handshake (a TLS 1.2 renegotiation
makes a new one, a TLS 1.3 KeyUpdate does not: the exporter secret belongs
to the handshake, not to the traffic keys).

Argument rules, the same on both versions so that code does not change
meaning when the version does:

  - C{label}: bytes, 1 to L{MAX_LABEL_LENGTH} long.  TLS 1.3 forbids the
    empty label and longer ones outright (its C{HkdfLabel.label} is
    C{opaque label<7..255>} including the C{"tls13 "} prefix).  The labels
    the TLS 1.2 PRF uses for itself (L{RESERVED_LABELS}, registered to RFC
    5246 and RFC 7627 in the TLS Exporter Labels registry) are refused.
    Which registered or C{EXPERIMENTAL} label to use is the caller's
    business.
  - C{length}: 1 to 255 times the hash length of the suite (HKDF-Expand's
    limit in TLS 1.3; on TLS 1.2 the PRF has none, the bound is ours).
  - C{context}: C{None} or bytes of at most 65535 (TLS 1.2 sends its length
    as a uint16).  On TLS 1.2 no context and an empty one give different
    values; on TLS 1.3 they are the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import SignatureAlgorithmOID

from .config import TLSConfig
from .errors import ChannelBindingUnavailable
from .keyschedule import exporter12, exporter13, hashLength
from .session import TLSSession

__all__ = [
    "CHANNEL_BINDING_TYPES",
    "MAX_CONTEXT_LENGTH",
    "MAX_LABEL_LENGTH",
    "RESERVED_LABELS",
    "TLS_EXPORTER_LABEL",
    "KeyingMaterial",
    "channelBinding",
    "checkChannelBindingType",
    "serverEndPoint",
]

#: Labels of the TLS 1.2 PRF's own outputs; an exporter never gives them.
RESERVED_LABELS = frozenset(
    {
        b"client finished",
        b"server finished",
        b"master secret",
        b"key expansion",
        b"extended master secret",
    }
)

#: 255 bytes of C{HkdfLabel.label} less C{"tls13 "}.
MAX_LABEL_LENGTH = 249

#: A uint16, the length field of the TLS 1.2 exporter context.
MAX_CONTEXT_LENGTH = 0xFFFF

#: RFC 9266 section 2: the C{tls-exporter} channel binding is this
#: exporter, with an empty context, 32 bytes long.
TLS_EXPORTER_LABEL = b"EXPORTER-Channel-Binding"
TLS_EXPORTER_LENGTH = 32

#: The channel binding types L{twisted_reneg.tls.connection.TLSConnection.channelBinding} knows.
CHANNEL_BINDING_TYPES = ("tls-unique", "tls-exporter", "tls-server-end-point")


def _checkedBytes(value: object, what: str) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
    return bytes(value)


@dataclass(frozen=True)
class KeyingMaterial:
    """
    What the exporters and channel bindings of one handshake need.

    @ivar version: C{"TLSv1.2"} or C{"TLSv1.3"}.
    @ivar hashName: the PRF / HKDF hash of the cipher suite.
    @ivar secret: TLS 1.2: the master secret; TLS 1.3: the
        exporter_master_secret.
    @ivar clientRandom: TLS 1.2: the ClientHello.random of the handshake.
    @ivar serverRandom: TLS 1.2: the ServerHello.random of the handshake.
    @ivar extendedMasterSecret: TLS 1.2: whether RFC 7627 was in use
        (without it, C{tls-unique} and C{tls-exporter} are not defined).
    @ivar firstFinished: TLS 1.2: the verify_data of the first Finished of
        the handshake (the client's in a full handshake, the server's in an
        abbreviated one): C{tls-unique}.
    """

    version: str
    hashName: str
    secret: bytes = field(repr=False)
    clientRandom: bytes = field(default=b"", repr=False)
    serverRandom: bytes = field(default=b"", repr=False)
    extendedMasterSecret: bool = True
    firstFinished: bytes = field(default=b"", repr=False)

    @property
    def maxLength(self) -> int:
        """
        The longest keying material one call gives.
        """
        return 255 * hashLength(self.hashName)

    def export(self, label: bytes, length: int, context: bytes | None = None) -> bytes:
        """
        RFC 5705 / RFC 8446 7.5 keying material.

        @raise TypeError: for a label or context that is not bytes, or a
            length that is not an integer.
        @raise ValueError: for a label, length or context out of bounds, or
            a reserved label (see the module's docstring).
        """
        label = _checkedBytes(label, "label")
        if not 1 <= len(label) <= MAX_LABEL_LENGTH:
            raise ValueError(
                f"an exporter label is 1 to {MAX_LABEL_LENGTH} bytes, not {len(label)}"
            )
        if label in RESERVED_LABELS:
            raise ValueError(f"the label {label!r} is reserved for TLS itself (RFC 5705 4)")
        if isinstance(length, bool) or not isinstance(length, int):
            raise TypeError(f"length must be an int, not {type(length).__name__}")
        if not 1 <= length <= self.maxLength:
            raise ValueError(
                f"exported keying material is 1 to {self.maxLength} bytes here, not {length}"
            )
        if context is not None:
            context = _checkedBytes(context, "context")
            if len(context) > MAX_CONTEXT_LENGTH:
                raise ValueError(
                    f"an exporter context is at most {MAX_CONTEXT_LENGTH} bytes, "
                    f"not {len(context)}"
                )
        if self.version == "TLSv1.3":
            return exporter13(self.hashName, self.secret, label, context or b"", length)
        return exporter12(
            self.hashName,
            self.secret,
            self.clientRandom,
            self.serverRandom,
            label,
            context,
            length,
        )

    def tlsUnique(self) -> bytes:
        """
        RFC 5929 section 3: the first Finished of the handshake.

        @raise ChannelBindingUnavailable: on TLS 1.3 (RFC 9266 section 3:
            not defined there) and on TLS 1.2 without the extended master
            secret (RFC 7627: the triple-handshake attack makes it
            non-unique).
        """
        if self.version == "TLSv1.3":
            raise ChannelBindingUnavailable(
                "tls-unique is not defined for TLS 1.3 (RFC 9266); use tls-exporter"
            )
        if not self.extendedMasterSecret:
            raise ChannelBindingUnavailable(
                "tls-unique is not unique without the extended master secret "
                "(RFC 7627), which this TLS 1.2 connection did not negotiate"
            )
        return self.firstFinished

    def tlsExporter(self) -> bytes:
        """
        RFC 9266 section 2.

        @raise ChannelBindingUnavailable: on TLS 1.2 without the extended
            master secret (RFC 9266 section 2 defines it only when master
            secrets are unique).
        """
        if self.version != "TLSv1.3" and not self.extendedMasterSecret:
            raise ChannelBindingUnavailable(
                "tls-exporter needs the extended master secret (RFC 9266, RFC 7627) "
                "on TLS 1.2, and this connection did not negotiate it"
            )
        return self.export(TLS_EXPORTER_LABEL, TLS_EXPORTER_LENGTH, b"")


def checkChannelBindingType(kind: str) -> None:
    """
    @raise ValueError: unless C{kind} is one of L{CHANNEL_BINDING_TYPES}.
    """
    if kind not in CHANNEL_BINDING_TYPES:
        raise ValueError(
            f"unknown channel binding type {kind!r}; "
            f"known types: {', '.join(CHANNEL_BINDING_TYPES)}"
        )


def channelBinding(
    kind: str, material: KeyingMaterial, session: TLSSession, config: TLSConfig
) -> bytes:
    """
    Channel-binding data of a session (RFC 5929, RFC 9266).

    @param kind: one of L{CHANNEL_BINDING_TYPES} (L{checkChannelBindingType}).
    @param material: what the session's handshake left for the exporters.
    @param config: our configuration: a server's certificate is its own.
    @raise ChannelBindingUnavailable: the kind is not defined here.
    """
    if kind == "tls-unique":
        return material.tlsUnique()
    if kind == "tls-exporter":
        return material.tlsExporter()
    if config.isClient:
        certificate = session.peerCertificate
        if certificate is None:
            raise ChannelBindingUnavailable("the server sent no certificate")
        der = certificate.public_bytes(Encoding.DER)
    else:
        credential = config.credentialFor(session.serverName)
        assert credential is not None
        certificate, der = credential.chain[0], credential.derChain[0]
    return serverEndPoint(certificate, der)


def serverEndPoint(certificate: x509.Certificate, der: bytes) -> bytes:
    """
    RFC 5929 section 4.1, C{tls-server-end-point}: the hash of the server's
    certificate (C{der}, as sent in its Certificate message) with the hash
    of that certificate's signature algorithm (the issuer's signature, not
    the server's key type), SHA-256 instead of MD5 or SHA-1.

    @raise ChannelBindingUnavailable: if the signature algorithm has no
        separate hash (a certificate signed with Ed25519 or Ed448): section
        4.1 leaves the binding undefined then, and OpenSSL (which
        PostgreSQL's SCRAM-SHA-256-PLUS relies on) finds no digest for it
        either; a value made up here would be one no peer must match.
    """
    try:
        algorithm = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm:
        algorithm = None
    if algorithm is None:
        oid = certificate.signature_algorithm_oid
        name = _UNHASHED_SIGNATURES.get(oid, oid.dotted_string)
        raise ChannelBindingUnavailable(
            f"tls-server-end-point is not defined for a certificate signed with {name}, "
            "which has no separate hash (RFC 5929 4.1); use tls-exporter"
        )
    if isinstance(algorithm, (hashes.MD5, hashes.SHA1)):
        algorithm = hashes.SHA256()
    digest = hashes.Hash(algorithm)
    digest.update(der)
    return digest.finalize()


_UNHASHED_SIGNATURES = {
    SignatureAlgorithmOID.ED25519: "Ed25519",
    SignatureAlgorithmOID.ED448: "Ed448",
}
