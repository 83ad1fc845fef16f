# -*- test-case-name: tests.tls.test_engine -*-
"""
L{TLSSession}: an immutable summary of what a handshake negotiated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography import x509


@dataclass(frozen=True)
class TLSSession:
    """
    What the most recent handshake (initial or renegotiation) agreed on.

    A new object is made after every handshake and key update, so holding on
    to one never shows values changing under you.

    @ivar version: C{"TLSv1.2"} or C{"TLSv1.3"}.
    @ivar cipherSuite: IANA name, e.g. C{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}.
    @ivar group: key-exchange group name, e.g. C{"x25519"}.
    @ivar signatureScheme: the scheme the server signed with, or C{None}.
    @ivar serverName: SNI host name sent by the client, if any.
    @ivar alpnProtocol: the negotiated ALPN protocol, if any.
    @ivar peerCertificates: the peer's chain, leaf first (empty if none).
    @ivar resumed: whether this was an abbreviated handshake.
    @ivar extendedMasterSecret: whether RFC 7627 was negotiated.
    @ivar secureRenegotiation: whether RFC 5746 was negotiated.
    @ivar renegotiations: completed renegotiations on this connection.
    @ivar keyUpdates: TLS 1.3 key updates on this connection.
    @ivar peerCertificateError: why the certificate the peer offered was
        not accepted, when a server asked for one after the first handshake
        (L{TLSConnection.requestClientCertificate
        <twisted_reneg.tls.connection.TLSConnection.requestClientCertificate>})
        and the chain failed verification: the connection stays up,
        C{peerCertificates} stays empty and the application decides; also
        for one offered in a handshake that asks with
        C{ClientAuth.ADVISORY}.  C{None} when no certificate was rejected.
    @ivar rejectedPeerCertificate: the leaf of the chain that
        C{peerCertificateError} refused (to name it to the visitor), or
        C{None}.
    @ivar clientCertificateRequested: server: the listener asks every
        handshake for a client certificate (its C{clientCertificates} is
        not C{"none"}; also true of a resumed session), so the client has
        answered already and asking again mid-connection is pointless.
        Client: the server asked us in the handshake.  Certificates asked
        for mid-connection (L{TLSConnection.requestClientCertificate
        <twisted_reneg.tls.connection.TLSConnection.requestClientCertificate>})
        do not set it.
    @ivar postHandshakeAuth: TLS 1.3: the client offered post-handshake
        authentication, so the server can ask it for a certificate
        mid-connection.  No browser does: such a client has to be sent to
        a listener that asks in its handshake.
    """

    version: str
    cipherSuite: str
    group: str
    signatureScheme: str | None
    serverName: str | None
    alpnProtocol: bytes | None
    peerCertificates: tuple[x509.Certificate, ...] = field(repr=False)
    resumed: bool = False
    extendedMasterSecret: bool = False
    secureRenegotiation: bool = False
    renegotiations: int = 0
    keyUpdates: int = 0
    peerCertificateError: str | None = None
    rejectedPeerCertificate: x509.Certificate | None = field(default=None, repr=False)
    clientCertificateRequested: bool = False
    postHandshakeAuth: bool = False

    @property
    def peerCertificate(self) -> x509.Certificate | None:
        """
        The peer's leaf certificate, or C{None}.
        """
        return self.peerCertificates[0] if self.peerCertificates else None


class HandshakeOutcome(Protocol):
    """
    What a completed handshake of either version reports: the fields of
    L{TLSSession} both versions share.
    """

    @property
    def group(self) -> Any: ...

    @property
    def serverSignatureScheme(self) -> Any: ...

    @property
    def serverName(self) -> str | None: ...

    @property
    def alpnProtocol(self) -> bytes | None: ...

    @property
    def peerChain(self) -> tuple[x509.Certificate, ...]: ...

    @property
    def resumed(self) -> bool: ...

    @property
    def peerCertificateError(self) -> str | None: ...

    @property
    def rejectedPeerCertificate(self) -> x509.Certificate | None: ...

    @property
    def clientCertificateRequested(self) -> bool: ...


def sessionOf(
    outcome: HandshakeOutcome, version: str, cipherSuite: str, **versionFields: Any
) -> TLSSession:
    """
    The session summary of a completed handshake: what both versions
    report, plus C{versionFields} (TLS 1.2's renegotiation and extended
    master secret flags, TLS 1.3's post-handshake auth).
    """
    scheme = outcome.serverSignatureScheme
    return TLSSession(
        version=version,
        cipherSuite=cipherSuite,
        group=outcome.group.name,
        signatureScheme=scheme.name if scheme else None,
        serverName=outcome.serverName,
        alpnProtocol=outcome.alpnProtocol,
        peerCertificates=outcome.peerChain,
        resumed=outcome.resumed,
        peerCertificateError=outcome.peerCertificateError,
        rejectedPeerCertificate=outcome.rejectedPeerCertificate,
        clientCertificateRequested=outcome.clientCertificateRequested,
        **versionFields,
    )
