# -*- test-case-name: tests.test_canames -*-
"""
Client certificates in both directions of a CertificateRequest: the CA names
a server sends (TLS 1.2 certificate_authorities, RFC 5246 7.4.4; the TLS 1.3
extension of that name, RFC 8446 4.2.4), and which of its certificates a
client answers with.

CA names stay DER bytes throughout.  The server sends the DER subjects of
its trust roots; the client compares them byte for byte with the DER
subjects and issuers of its chains, which is how OpenSSL and GnuTLS match
them too (a DistinguishedName has one DER encoding).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509

from .config import TLSConfig
from .credentials import Credential, KeyType
from .errors import AlertDescription, PeerError
from .extensions import (
    Extensions,
    ExtensionType,
    decodeCertificateAuthorities,
    decodeUint16List,
    encodeCertificateAuthorities,
    encodeUint16List,
)
from .messages import MAX_CERTIFICATE_AUTHORITIES, CertificateRequest12, CertificateRequest13
from .suites import SignatureScheme

A = AlertDescription

#: The most CA names a server sends, in bytes as they go on the wire.  A
#: private PKI needs a few hundred; a list the size of a public bundle (the
#: system one is about 15 KiB) tells a client nothing it can use, costs every
#: handshake, and may exceed what clients accept.  Past this, none are sent
#: rather than a partial list: a client reading a partial list would pass
#: over a certificate from a CA we trust but left out.
MAX_CA_NAMES_BYTES = 8 * 1024


def caNamesForRoots(roots: Sequence[x509.Certificate]) -> tuple[bytes, ...] | None:
    """
    The CA names a server sends for these trust roots: their DER subjects,
    in order, each once.  Computed once per configuration.

    @return: the names, or C{None} if they exceed L{MAX_CA_NAMES_BYTES} or
        L{MAX_CERTIFICATE_AUTHORITIES} (then none should be sent).
    """
    names: list[bytes] = []
    seen: set[bytes] = set()
    for root in roots:
        der = root.subject.public_bytes()
        if der not in seen:
            seen.add(der)
            names.append(der)
    if len(names) > MAX_CERTIFICATE_AUTHORITIES:
        return None
    if sum(2 + len(der) for der in names) > MAX_CA_NAMES_BYTES:
        return None
    return tuple(names)


def certificateRequest13(config: TLSConfig, context: bytes) -> CertificateRequest13:
    """
    A server's TLS 1.3 CertificateRequest, in the handshake (empty context)
    or after it: our signature schemes and, if we have them, CA names.
    """
    extensions = [
        (int(ExtensionType.signature_algorithms), encodeUint16List(config.signatureSchemes))
    ]
    if config.clientCANames:
        extensions.append(
            (
                int(ExtensionType.certificate_authorities),
                encodeCertificateAuthorities(config.clientCANames),
            )
        )
    return CertificateRequest13(context, Extensions(tuple(extensions)))


@dataclass(frozen=True)
class RequestedCertificate13:
    """
    What a TLS 1.3 CertificateRequest asks for.

    @ivar schemes: signature_algorithms (required).
    @ivar caNames: certificate_authorities, empty when absent.
    """

    context: bytes
    schemes: tuple[int, ...]
    caNames: tuple[bytes, ...]


def readCertificateRequest13(body: bytes) -> RequestedCertificate13:
    """
    Client: parse a TLS 1.3 CertificateRequest (in the handshake or after).

    @raise PeerError: C{missing_extension} without signature_algorithms,
        C{decode_error} for a malformed one or malformed CA names.
    """
    request = CertificateRequest13.parse(body)
    schemes = request.extensions.get(ExtensionType.signature_algorithms)
    if schemes is None:
        raise PeerError(A.missing_extension, "CertificateRequest without signature_algorithms")
    names = request.extensions.get(ExtensionType.certificate_authorities)
    return RequestedCertificate13(
        request.context,
        decodeUint16List(schemes),
        decodeCertificateAuthorities(names) if names is not None else (),
    )


def chainNames(credential: Credential) -> frozenset[bytes]:
    """
    The DER names a credential's chain reaches: every subject and issuer.
    A server naming any of them accepts the chain's root (or intermediate).
    """
    return frozenset(
        der
        for certificate in credential.chain
        for der in (certificate.subject.public_bytes(), certificate.issuer.public_bytes())
    )


def chooseClientCredential(
    config: TLSConfig, caNames: Sequence[bytes], usable: Callable[[Credential], bool]
) -> Credential | None:
    """
    Client: the certificate to answer a CertificateRequest with.

    Among the configured ones that C{usable} accepts (their key can sign
    with a scheme the server asked for), the application's
    C{chooseClientCredential} decides if it gave one; otherwise the first
    whose chain reaches a CA the server named, else the first usable one
    (the server named none, or names another spelling of a CA it trusts).

    @param caNames: the DER CA names the server sent (maybe none).
    @return: the credential, or C{None} to send an empty Certificate.
    @raise ValueError: the application's chooser returned a credential that
        was not among those offered to it (its bug; the connection then
        fails with internal_error).
    """
    candidates = tuple(c for c in config.clientCredentialCandidates if usable(c))
    if not candidates:
        return None
    names = tuple(caNames)
    if config.chooseClientCredential is not None:
        chosen = config.chooseClientCredential(names, candidates)
        if chosen is not None and chosen not in candidates:
            raise ValueError("chooseClientCredential returned a credential it was not offered")
        return chosen
    wanted = set(names)
    return next((c for c in candidates if chainNames(c) & wanted), candidates[0])


def chooseCertificateAndScheme(
    config: TLSConfig,
    caNames: Sequence[bytes],
    schemes: Sequence[int],
    tls13: bool = False,
    certificateTypes: bytes | None = None,
) -> tuple[Credential, SignatureScheme] | None:
    """
    Client, either TLS version: the certificate to answer a
    CertificateRequest with (L{chooseClientCredential}, among those whose
    key can sign with a scheme the server accepts) and that scheme.

    @param schemes: the signature schemes the request accepts.
    @param tls13: whether the schemes are TLS 1.3's (RFC 8446 4.2.3 allows
        fewer there).
    @param certificateTypes: TLS 1.2: the certificate types the request
        lists (RFC 5246 7.4.4); only a certificate of one of them answers.
    @return: the credential and the scheme its CertificateVerify signs
        with, or C{None} to send an empty Certificate (the server then
        decides whether to go on).
    """

    def usable(credential: Credential) -> bool:
        if certificateTypes is not None:
            wanted = (
                CertificateRequest12.RSA_SIGN
                if credential.keyType is KeyType.RSA
                else CertificateRequest12.ECDSA_SIGN
            )
            if wanted not in certificateTypes:
                return False
        return credential.chooseScheme(schemes, tls13) is not None

    credential = chooseClientCredential(config, caNames, usable)
    if credential is None:
        return None
    scheme = credential.chooseScheme(schemes, tls13)
    # Every candidate passed usable(), and the application's chooser may
    # return only a candidate.
    assert scheme is not None
    return credential, scheme
