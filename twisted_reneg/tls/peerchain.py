# -*- test-case-name: tests.tls.test_verification -*-
"""
The peer's certificate chain as both TLS versions receive it: parsed from
DER (L{loadChain}), then verified, the server's for the name we connect to
(L{verifiedServerChain}), a client's against our trust roots
(L{receiveClientChain}), where a refusal may be left to the application.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from cryptography import x509

from .config import TLSConfig
from .errors import AlertDescription, PeerError
from .events import PeerCertificateReceived
from .handshakeio import HandshakeIO

A = AlertDescription


def loadChain(ders: tuple[bytes, ...]) -> tuple[x509.Certificate, ...]:
    """
    Parse a peer's DER certificates.

    @raise PeerError: C{bad_certificate} for anything that is not X.509 DER.
    """
    chain = []
    for position, der in enumerate(ders):
        try:
            certificate = _parsedCertificate(der)
        except ValueError as e:
            which = "the leaf" if position == 0 else f"certificate {position} of the chain"
            raise PeerError(A.bad_certificate, f"unparsable certificate ({which}): {e}") from None
        chain.append(certificate)
    return tuple(chain)


@lru_cache(maxsize=128)
def _parsedCertificate(der: bytes) -> x509.Certificate:
    """
    One DER certificate, parsed in full.  Cached on its exact bytes: a
    client meets the same server chain on every connection, and a server
    the same client certificates, and building the extension objects is
    about 20 microseconds a certificate.  Certificates are immutable, and
    what fails to parse is never cached.
    """
    certificate = x509.load_der_x509_certificate(der)
    # cryptography parses names and extensions lazily; a malformed one must
    # be a bad certificate here, not an error deep inside verification.
    certificate.subject  # noqa: B018
    certificate.issuer  # noqa: B018
    certificate.extensions  # noqa: B018
    return certificate


def verifiedServerChain(
    config: TLSConfig, io: HandshakeIO, ders: tuple[bytes, ...]
) -> tuple[x509.Certificate, ...]:
    """
    The server's chain, parsed and verified for the name we connect to (the
    one place both TLS versions do this).
    """
    chain = loadChain(ders)
    if config.verifier is not None:
        config.verifier.verifyServer(chain, config.serverName, io.now())
    return chain


@dataclass(frozen=True)
class JudgedClientChain:
    """
    A client's certificate chain and our verdict on it.

    @ivar offered: the chain as the client sent it, verified or not: its
        leaf's key must still sign the CertificateVerify (proof of
        possession holds for a refused certificate too).
    @ivar rejection: why verification refused the chain, or C{None}.
    """

    offered: tuple[x509.Certificate, ...] = field(repr=False)
    rejection: str | None

    @property
    def accepted(self) -> tuple[x509.Certificate, ...]:
        """
        The verified chain; empty when it was refused.
        """
        return self.offered if self.rejection is None else ()


def receiveClientChain(
    config: TLSConfig, io: HandshakeIO, ders: tuple[bytes, ...], advisory: bool
) -> JudgedClientChain:
    """
    Server: a client's non-empty chain (TLS 1.2, TLS 1.3, or after a TLS
    1.3 handshake), parsed and verified against our trust roots; an
    accepted chain is announced with L{PeerCertificateReceived}.

    @param advisory: a chain that verification refuses leaves the handshake
        without a client certificate, and the reason in the result, instead
        of failing it (the application decides what that means).
    @raise PeerError: for a chain that does not parse (always: that is a
        broken peer, not a certificate to judge), and for a refused one
        unless C{advisory}.
    """
    chain = loadChain(ders)
    rejection: PeerError | None = None
    if config.verifier is None:
        # Never accept a client certificate we cannot verify.
        rejection = PeerError(A.bad_certificate, "no trust roots for client certificates")
    else:
        try:
            config.verifier.verifyClient(chain, io.now())
        except PeerError as e:
            rejection = e
    if rejection is None:
        io.emit(PeerCertificateReceived(chain))
        return JudgedClientChain(chain, None)
    if not advisory:
        raise rejection
    return JudgedClientChain(chain, rejection.reason)
