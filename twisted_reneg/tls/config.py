# -*- test-case-name: tests.tls.test_engine -*-
"""
Immutable engine configuration.

The Twisted-facing L{twisted_reneg.options} build a L{TLSConfig}; the engine
never changes it.  Anything a handshake learns goes into its own state or into
the L{session.TLSSession} it produces.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from .credentials import Credential
from .suites import (
    DEFAULT_GROUPS,
    DEFAULT_SIGNATURE_SCHEMES,
    TLS12_SUITES,
    TLS13_SUITES,
    CipherSuite,
    CipherSuite13,
    NamedGroup,
    SignatureScheme,
    groupsForTLS12,
)
from .tickets import ClientSession12, ClientTicket13, ServerSessionCache, TicketKeys
from .verification import PeerVerifier


class ClientAuth(Enum):
    """
    Whether a server asks for client certificates in its handshakes.

    C{REQUEST} and C{REQUIRE} fail the handshake on a certificate that does
    not verify; C{ADVISORY} asks too but lets the application judge, as a
    certificate request made mid-connection does: a certificate that fails
    verification (its key must still sign the handshake) leaves the session
    without one, and C{TLSSession.peerCertificateError} says why.  That is
    what a site's certificate listener wants: a visitor with the wrong
    certificate gets a page saying so, not a browser's handshake error.
    """

    NONE = "none"
    REQUEST = "request"
    REQUIRE = "require"
    ADVISORY = "advisory"


TLS12 = 0x0303
TLS13 = 0x0304

#: A client's own choice of certificate for a CertificateRequest: called
#: with the DER names of the CAs the server accepts (empty if it named none)
#: and the credentials able to answer this request, in configured order;
#: returns one of them, or C{None} to send no certificate.
ChooseClientCredential = Callable[[tuple[bytes, ...], tuple[Credential, ...]], Credential | None]


@dataclass(frozen=True)
class RenegotiationPolicy:
    """
    Rules for TLS 1.2 renegotiation.

    Defaults follow the project's security rules: servers refuse
    renegotiations started by clients; clients accept a secure HelloRequest,
    because real servers use it to ask for a client certificate.

    TLS 1.3 key updates cannot be refused (RFC 8446 4.6.3: a request must
    be answered); a flood of them is cut off by the connection instead
    (L{connection.MAX_KEY_UPDATES_WITHOUT_DATA}).

    @ivar allowPeerInitiated: whether a renegotiation the peer starts is
        accepted.  C{None} means the default for our side.
    @ivar maxPeerInitiated: how many peer-started renegotiations are
        accepted within C{windowSeconds}.
    @ivar windowSeconds: the rate-limit window.
    @ivar closeOnLimit: past the limit, close the connection with a fatal
        alert instead of refusing with a warning.
    """

    allowPeerInitiated: bool | None = None
    maxPeerInitiated: int = 3
    windowSeconds: float = 60.0
    closeOnLimit: bool = False

    def __post_init__(self) -> None:
        if self.maxPeerInitiated < 0 or self.windowSeconds <= 0:
            raise ValueError("rate limit must be a non-negative count over a positive window")

    def peerMayRenegotiate(self, isClient: bool) -> bool:
        if self.allowPeerInitiated is None:
            return isClient
        return self.allowPeerInitiated


@dataclass(frozen=True)
class TLSConfig:
    """
    Everything one side of a connection needs to run handshakes.

    @ivar isClient: our role.
    @ivar credential: our certificate and key (servers: the default one;
        clients: the client certificate, if any: shorthand for a
        one-element C{clientCredentials}).
    @ivar clientCredentials: client only: the certificates to choose from
        when a server asks for one (L{clientauth.chooseClientCredential}).
    @ivar chooseClientCredential: client only: picks among
        C{clientCredentials} instead of the built-in rule.
    @ivar clientCANames: server only: DER subject names of the CAs we accept
        client certificates from, sent in every CertificateRequest
        (L{clientauth.caNamesForRoots}); empty sends none.
    @ivar sniCredentials: server only: host name (lower case) to credential.
    @ivar cipherSuites: acceptable suites in preference order.
    @ivar tls13Suites: acceptable TLS 1.3 suites in preference order.
    @ivar groups: acceptable key-exchange groups in preference order.
    @ivar signatureSchemes: schemes we accept from the peer.
    @ivar alpnProtocols: ALPN protocols in preference order.
    @ivar serverName: client only: the name to send in SNI and to verify.
    @ivar verifier: checks the peer's chain (client: the server's; server:
        the client's, when client certificates are requested).
    @ivar clientAuth: server only.
    @ivar requireExtendedMasterSecret: refuse peers without RFC 7627.
    @ivar offerExtendedMasterSecret: client only: offer RFC 7627.  Always on
        in real use; off only to test how peers treat clients without it.
    @ivar minVersion: lowest protocol version (L{TLS12} or L{TLS13}).
    @ivar maxVersion: highest protocol version.
    @ivar renegotiation: renegotiation and key-update policy.
    @ivar postHandshakeAuth: client only: offer TLS 1.3 post-handshake
        authentication.  C{None} (the default) offers it when we hold a
        certificate; C{True} always (a client without one then answers a
        request with an empty Certificate).
    @ivar ticketKeys: server only: seal session tickets with these, and
        accept them back; C{None} issues none.
    @ivar sessionCache: server only: keep TLS 1.2 sessions by session ID
        here, and resume them; C{None} gives out no session IDs.
    @ivar resumeTicket: client only: a session to offer in this connection's
        ClientHello (from L{tickets.ClientSessionCache}).
    @ivar resumesSessions: client only: we keep the sessions servers let us
        resume, so every TLS 1.3 ClientHello says which resumption we accept
        (psk_key_exchange_modes): RFC 8446 4.2.9 tells servers not to send
        tickets to a client that did not, and Go's and Java's follow it.
    @ivar keyLog: called with one NSS key log line (SSLKEYLOGFILE format)
        per handshake, for debugging with Wireshark; C{None} (the default)
        writes nothing anywhere.
    """

    isClient: bool
    credential: Credential | None = None
    sniCredentials: Mapping[str, Credential] = field(default_factory=dict)
    cipherSuites: tuple[CipherSuite, ...] = TLS12_SUITES
    tls13Suites: tuple[CipherSuite13, ...] = TLS13_SUITES
    groups: tuple[NamedGroup, ...] = DEFAULT_GROUPS
    signatureSchemes: tuple[SignatureScheme, ...] = DEFAULT_SIGNATURE_SCHEMES
    alpnProtocols: tuple[bytes, ...] = ()
    serverName: str | None = None
    verifier: PeerVerifier | None = None
    clientAuth: ClientAuth = ClientAuth.NONE
    requireExtendedMasterSecret: bool = False
    offerExtendedMasterSecret: bool = True
    minVersion: int = TLS12
    maxVersion: int = TLS13
    renegotiation: RenegotiationPolicy = RenegotiationPolicy()
    keyLog: Callable[[str], None] | None = field(default=None, repr=False)
    postHandshakeAuth: bool | None = None
    ticketKeys: TicketKeys | None = None
    sessionCache: ServerSessionCache | None = None
    resumeTicket: ClientTicket13 | ClientSession12 | None = field(default=None, repr=False)
    resumesSessions: bool = False
    clientCredentials: tuple[Credential, ...] = ()
    chooseClientCredential: ChooseClientCredential | None = field(default=None, repr=False)
    clientCANames: tuple[bytes, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if not self.isClient and self.credential is None and not self.sniCredentials:
            raise ValueError("a server needs a certificate and key")
        if self.isClient and self.clientAuth is not ClientAuth.NONE:
            raise ValueError("clientAuth is a server setting")
        if not self.isClient and self.postHandshakeAuth is not None:
            raise ValueError("postHandshakeAuth is a client setting")
        if not self.isClient and self.resumesSessions:
            raise ValueError("resumesSessions is a client setting")
        if not self.cipherSuites:
            raise ValueError("no cipher suites enabled")
        if not self.groups:
            raise ValueError("no key-exchange groups enabled")
        if self.maxVersion == TLS12 and not groupsForTLS12(self.groups):
            raise ValueError("TLS 1.2 needs an elliptic-curve group")
        if not TLS12 <= self.minVersion <= self.maxVersion <= TLS13:
            raise ValueError("versions must satisfy TLS 1.2 <= min <= max <= TLS 1.3")
        for name in self.alpnProtocols:
            if not 1 <= len(name) <= 255:
                raise ValueError(f"bad ALPN protocol name {name!r}")
        self._checkClientCertificateSettings()

    def _checkClientCertificateSettings(self) -> None:
        object.__setattr__(self, "clientCredentials", tuple(self.clientCredentials))
        object.__setattr__(self, "clientCANames", tuple(self.clientCANames))
        if self.isClient:
            if self.clientCANames:
                raise ValueError("clientCANames is a server setting")
            if self.credential is not None and self.clientCredentials:
                raise ValueError("give credential or clientCredentials, not both")
            return
        if self.clientCredentials or self.chooseClientCredential is not None:
            raise ValueError("clientCredentials and chooseClientCredential are client settings")
        # Checked here so that a CertificateRequest can always be written.
        if any(not 1 <= len(name) <= 0xFFFF for name in self.clientCANames):
            raise ValueError("a CA name must be 1 to 65535 bytes of DER")
        if sum(2 + len(name) for name in self.clientCANames) > 0xFFFF:
            raise ValueError("clientCANames do not fit a CertificateRequest")

    def withResumeTicket(self, ticket: ClientTicket13 | ClientSession12) -> TLSConfig:
        """
        This configuration, offering C{ticket}: what a client does on every
        connection it resumes.  A shallow copy with the one field set, not
        C{dataclasses.replace}, which rebuilds and re-checks all the other
        fields (tens of microseconds a connection); nothing checked or
        derived in L{__post_init__} depends on C{resumeTicket}.
        """
        clone = copy.copy(self)
        object.__setattr__(clone, "resumeTicket", ticket)
        return clone

    @property
    def clientCredentialCandidates(self) -> tuple[Credential, ...]:
        """
        Client: every certificate we may send, in configured order.
        """
        if self.clientCredentials:
            return self.clientCredentials
        return (self.credential,) if self.isClient and self.credential is not None else ()

    @property
    def offersPostHandshakeAuth(self) -> bool:
        if self.postHandshakeAuth is None:
            return bool(self.clientCredentialCandidates)
        return self.postHandshakeAuth

    def credentialFor(self, serverName: str | None) -> Credential | None:
        """
        Server side: the credential to present for an SNI name.
        """
        if serverName is not None:
            found = self.sniCredentials.get(serverName.lower())
            if found is not None:
                return found
        return self.credential
