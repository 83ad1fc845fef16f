# -*- test-case-name: tests.test_engine -*-
"""
What the TLS 1.2 client and server states share: the per-handshake facts
(L{HandshakeState12}, thrown away when the handshake ends), what a
renegotiation carries over (L{PreviousHandshake}), the result, the state
base class, and the checks both sides make (RFC 5746, RFC 7627, peer
chains, the renegotiation identity rule).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import ClassVar, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .config import ClientAuth, TLSConfig
from .credentials import Credential, KeyType
from .errors import AlertDescription, DecodeError, PeerError, UnexpectedMessage
from .events import Event, SessionTicketReceived
from .keyexchange import KeyShare
from .keyschedule import (
    Transcript,
    deriveTrafficKeys12,
    extendedMasterSecret12,
    masterSecret12,
    verifyData12,
)
from .messages import (
    Certificate12,
    Extensions,
    ExtensionType,
    Finished,
    HandshakeType,
    NewSessionTicket12,
    encodeServerName,
    messageName,
)
from .records import RecordProtection, tls12Protection
from .suites import (
    CipherSuite,
    KeyExchange,
    NamedGroup,
    SignatureScheme,
)
from .tickets import DEFAULT_TICKET_LIFETIME, ClientSession12, SessionState12
from .verification import addressLiteral

A = AlertDescription

#: RFC 8446 4.1.3 downgrade sentinel for a TLS 1.2 ServerHello.random.
DOWNGRADE_TLS12 = b"DOWNGRD\x01"
#: ... and for TLS 1.1 or below (refused here anyway, but the mark says more).
DOWNGRADE_TLS11 = b"DOWNGRD\x00"


class HandshakeIO(Protocol):
    """
    What a handshake needs from the connection that drives it.
    """

    def sendHandshake(self, raw: bytes) -> None: ...

    def sendChangeCipherSpec(self) -> None: ...

    def changeReadProtection(self, protection: RecordProtection) -> None: ...

    def changeWriteProtection(self, protection: RecordProtection) -> None: ...

    def emit(self, event: Event) -> None: ...

    def now(self) -> datetime: ...

    def skipEarlyData(self) -> None:
        """
        TLS 1.3 server: the client offered 0-RTT, which we refuse; drop its
        early records (RFC 8446 4.2.10).
        """


@dataclass(frozen=True)
class PreviousHandshake:
    """
    Facts a renegotiation carries over from the handshake before it.

    @ivar clientVerifyData: the client's last Finished verify_data.
    @ivar serverVerifyData: the server's last Finished verify_data.
    @ivar serverChain: the server's certificate chain, which a client
        insists stays the same (the triple-handshake defence).
    @ivar extendedMasterSecret: whether RFC 7627 was in use; a renegotiation
        must not drop it.
    @ivar alpnProtocol: the connection's application protocol, which a
        renegotiation keeps (L{chooseAlpn12}, L{alpnToOffer}).
    """

    clientVerifyData: bytes = field(repr=False)
    serverVerifyData: bytes = field(repr=False)
    serverChain: tuple[x509.Certificate, ...] = field(default=(), repr=False)
    extendedMasterSecret: bool = False
    alpnProtocol: bytes | None = None


@dataclass(frozen=True)
class HandshakeResult:
    """
    What a finished TLS 1.2 handshake produced.
    """

    suite: CipherSuite
    group: NamedGroup
    #: C{None} when resumed: nothing was signed.
    serverSignatureScheme: SignatureScheme | None
    serverName: str | None
    alpnProtocol: bytes | None
    peerChain: tuple[x509.Certificate, ...] = field(repr=False)
    extendedMasterSecret: bool
    secureRenegotiation: bool
    clientVerifyData: bytes = field(repr=False)
    serverVerifyData: bytes = field(repr=False)
    resumed: bool = False
    #: server: why the client's certificate was not accepted, when a
    #: certificate request made mid-connection leaves that to the application.
    peerCertificateError: str | None = None
    #: server: the listener asks every handshake for a client certificate
    #: (also when resuming a session); client: the server asked us.
    clientCertificateRequested: bool = False
    #: server: the leaf of the refused chain, with C{peerCertificateError}.
    rejectedPeerCertificate: x509.Certificate | None = field(default=None, repr=False)
    #: RFC 5705: what the keying-material exporters of this session need
    #: (the master secret outlives the handshake for them alone).
    masterSecret: bytes = field(default=b"", repr=False)
    clientRandom: bytes = field(default=b"", repr=False)
    serverRandom: bytes = field(default=b"", repr=False)

    def carryOver(self, isClient: bool) -> PreviousHandshake:
        return PreviousHandshake(
            self.clientVerifyData,
            self.serverVerifyData,
            self.peerChain if isClient else (),
            self.extendedMasterSecret,
            self.alpnProtocol,
        )


class HandshakeState12:
    """
    Per-handshake state shared by the states of one side; discarded at the
    end of the handshake.
    """

    def __init__(
        self,
        config: TLSConfig,
        io: HandshakeIO,
        previous: PreviousHandshake | None,
        clientAuth: ClientAuth,
        clientCertificateAdvisory: bool = False,
    ) -> None:
        self.config = config
        self.io = io
        self.previous = previous
        self.clientAuth = clientAuth
        #: server: a client certificate that fails verification ends the
        #: handshake without one instead of failing it (a request made
        #: mid-connection: the application decides what that means).
        self.clientCertificateAdvisory = (
            clientCertificateAdvisory or clientAuth is ClientAuth.ADVISORY
        )
        self.peerCertificateError: str | None = None
        #: server: the chain the client sent, verified or not; its leaf's key
        #: must still sign the CertificateVerify.
        self.offeredChain: tuple[x509.Certificate, ...] = ()
        self.transcript = Transcript()
        self.clientRandom = b""
        self.serverRandom = b""
        self.suite: CipherSuite | None = None
        self.group: NamedGroup | None = None
        self.keyShare: KeyShare | None = None
        self.serverScheme: SignatureScheme | None = None
        self.serverName: str | None = None
        #: the connection's application protocol (RFC 7301): chosen in the
        #: first handshake, kept by renegotiations.
        self.alpnProtocol: bytes | None = None
        #: server: the protocol our ServerHello names (a renegotiation names
        #: the kept one only if the client offered it again).
        self.alpnAnswer: bytes | None = None
        self.extendedMasterSecret = False
        self.secureRenegotiation = False
        self.peerChain: tuple[x509.Certificate, ...] = ()
        self.credential: Credential | None = None
        self.masterSecret = b""
        self.clientVerifyData = b""
        self.serverVerifyData = b""
        self.certificateRequested = False
        self.requestedSchemes: tuple[int, ...] = ()
        self.pendingReadProtection: RecordProtection | None = None
        self._protections: tuple[RecordProtection, RecordProtection] | None = None
        #: resumption: the session ID in use (the server's choice), the one
        #: we sent, the session we offered (client) and whether a ticket
        #: comes in this handshake.
        self.sessionId = b""
        self.sessionIdSent = b""
        self.resumeSession: ClientSession12 | None = None
        self.resumed = False
        self.ticketOffered = False
        self.ticketPromised = False
        #: client: the extension types of our ClientHello, the only ones the
        #: ServerHello may carry (RFC 5246 7.4.1.4).
        self.offeredExtensions: frozenset[int] = frozenset()
        #: server: whether the ClientHello carried ec_point_formats, which
        #: our ServerHello then answers (and otherwise must not carry).
        self.pointFormatsOffered = False
        self.newTicket: NewSessionTicket12 | None = None
        self.result: HandshakeResult | None = None

    @property
    def isRenegotiation(self) -> bool:
        return self.previous is not None

    def send(self, raw: bytes) -> None:
        self.transcript.update(raw)
        self.io.sendHandshake(raw)

    def deriveMasterSecret(self, preMasterSecret: bytes) -> None:
        assert self.suite is not None
        self._protections = None
        h = self.suite.hashName
        if self.extendedMasterSecret:
            # RFC 7627: the session hash covers the transcript through
            # ClientKeyExchange, which the caller has already added.
            self.masterSecret = extendedMasterSecret12(
                h, preMasterSecret, self.transcript.digest()
            )
        else:
            self.masterSecret = masterSecret12(
                h, preMasterSecret, self.clientRandom, self.serverRandom
            )
        if self.config.keyLog is not None:
            # NSS key log format, what SSLKEYLOGFILE means to every stack.
            self.config.keyLog(
                f"CLIENT_RANDOM {self.clientRandom.hex()} {self.masterSecret.hex()}"
            )

    def protections(self) -> tuple[RecordProtection, RecordProtection]:
        """
        @return: (client write, server write) record protection, derived
            once per handshake: each side asks for them twice, a direction
            at a time (server: the client's at ClientKeyExchange, its own
            at Finished), and the key block PRF and two AEAD contexts per
            call cost ~10 us (bench/engine.py tls12 rows).  Each object is
            installed for its one direction only once.
        """
        if self._protections is not None:
            return self._protections
        suite = self.suite
        assert suite is not None
        keys = deriveTrafficKeys12(
            suite.hashName,
            self.masterSecret,
            self.clientRandom,
            self.serverRandom,
            suite.keyLength,
            suite.ivLength,
        )
        self._protections = (
            tls12Protection(suite.aead, keys.clientWriteKey, keys.clientWriteIv),
            tls12Protection(suite.aead, keys.serverWriteKey, keys.serverWriteIv),
        )
        return self._protections

    def verifyData(self, fromClient: bool) -> bytes:
        assert self.suite is not None
        return verifyData12(
            self.suite.hashName, self.masterSecret, fromClient, self.transcript.digest()
        )

    def checkPeerFinished(self, body: bytes, raw: bytes) -> None:
        """
        The peer's Finished must carry the verify_data of the transcript so
        far (compared in constant time); it then joins the transcript, and
        its verify_data is kept for RFC 5746.
        """
        peerIsClient = not self.config.isClient
        who = "client" if peerIsClient else "server"
        finished = Finished.parse(body)
        expected = self.verifyData(peerIsClient)
        if len(finished.verifyData) != len(expected):
            # RFC 5246 7.4.9: verify_data is 12 bytes; any other length
            # does not decode, whatever its contents.
            raise DecodeError(f"{who} Finished of {len(finished.verifyData)} bytes")
        if not hmac.compare_digest(finished.verifyData, expected):
            raise PeerError(A.decrypt_error, f"{who} Finished does not verify")
        self.transcript.update(raw)
        if peerIsClient:
            self.clientVerifyData = finished.verifyData
        else:
            self.serverVerifyData = finished.verifyData

    def sessionState(self, issuedAt: float, lifetime: int) -> SessionState12:
        """
        This session, to resume later; the peer chain is the other side's.
        """
        assert self.suite is not None and self.group is not None
        return SessionState12(
            self.suite,
            self.group,
            self.masterSecret,
            self.extendedMasterSecret,
            issuedAt,
            lifetime,
            self.serverName,
            self.peerChain,
        )

    def finish(self) -> None:
        assert self.suite is not None and self.group is not None
        assert self.serverScheme is not None or self.resumed
        self.keepSession()
        self.result = HandshakeResult(
            suite=self.suite,
            group=self.group,
            serverSignatureScheme=self.serverScheme,
            serverName=self.serverName,
            alpnProtocol=self.alpnProtocol,
            peerChain=self.peerChain,
            extendedMasterSecret=self.extendedMasterSecret,
            secureRenegotiation=self.secureRenegotiation,
            clientVerifyData=self.clientVerifyData,
            serverVerifyData=self.serverVerifyData,
            resumed=self.resumed,
            peerCertificateError=self.peerCertificateError,
            rejectedPeerCertificate=(
                self.offeredChain[0]
                if self.peerCertificateError is not None and self.offeredChain
                else None
            ),
            clientCertificateRequested=(
                self.certificateRequested
                if self.config.isClient
                else self.config.clientAuth is not ClientAuth.NONE
            ),
            masterSecret=self.masterSecret,
            clientRandom=self.clientRandom,
            serverRandom=self.serverRandom,
        )
        # Secrets die with the handshake object; only verify_data and what
        # the exporters need (in the result) outlive it.
        self.masterSecret = b""
        self.keyShare = None
        self._protections = None

    def keepSession(self) -> None:
        """
        After a first handshake: a server keeps the session under its
        session ID; a client hands the session (ID and/or ticket) to the
        application's cache.
        """
        now = self.io.now().timestamp()
        if not self.config.isClient:
            cache = self.config.sessionCache
            if cache is not None and self.sessionId and not self.resumed:
                cache.store(self.sessionId, self.sessionState(now, DEFAULT_TICKET_LIFETIME))
            return
        previous = self.resumeSession if self.resumed else None
        ticket = self.newTicket
        if ticket is not None and ticket.ticket:
            lifetime = ticket.lifetimeHint or DEFAULT_TICKET_LIFETIME
            state = self.sessionState(now, min(lifetime, DEFAULT_TICKET_LIFETIME))
            if previous is not None:
                # A renewed ticket does not extend the session's life.
                state = replace(state, issuedAt=previous.state.issuedAt)
            kept = ClientSession12(self.sessionId, ticket.ticket, state)
        elif previous is not None:
            kept = previous
        elif self.sessionId:
            kept = ClientSession12(
                self.sessionId, None, self.sessionState(now, DEFAULT_TICKET_LIFETIME)
            )
        else:
            return
        self.io.emit(SessionTicketReceived(kept))


def resumable12(config: TLSConfig, now: float) -> ClientSession12 | None:
    """
    Client: the TLS 1.2 session in C{config} if it may be offered.
    """
    session = config.resumeTicket
    if (
        isinstance(session, ClientSession12)
        and session.validAt(now)
        and session.serverName == config.serverName
        and session.state.suite in config.cipherSuites
    ):
        return session
    return None


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


def verifiedClientChain(
    config: TLSConfig, io: HandshakeIO, ders: tuple[bytes, ...]
) -> tuple[x509.Certificate, ...]:
    """
    A client's non-empty chain, parsed and verified against our trust roots.
    """
    chain, rejection = judgedClientChain(config, io, ders)
    if rejection is not None:
        raise rejection
    return chain


def judgedClientChain(
    config: TLSConfig, io: HandshakeIO, ders: tuple[bytes, ...]
) -> tuple[tuple[x509.Certificate, ...], PeerError | None]:
    """
    A client's non-empty chain, parsed, and why verification refused it
    (C{None} if it did not).  A chain that does not parse is always fatal:
    that is a broken peer, not a certificate to judge.
    """
    chain = loadChain(ders)
    if config.verifier is None:
        # Never accept a client certificate we cannot verify.
        return chain, PeerError(A.bad_certificate, "no trust roots for client certificates")
    try:
        config.verifier.verifyClient(chain, io.now())
    except PeerError as e:
        return chain, e
    return chain, None


def checkSecureRenegotiation(
    hs: HandshakeState12, received: bytes | None, expected: bytes, what: str
) -> None:
    """
    RFC 5746 section 3.4/3.5/3.6/3.7: the renegotiation_info value must be
    exactly the previous verify_data (empty on the first handshake).  The
    comparison is constant time because verify_data is a MAC.
    """
    if received is None:
        if hs.isRenegotiation:
            raise PeerError(A.handshake_failure, f"{what} omitted renegotiation_info")
        return
    if not hmac.compare_digest(received, expected):
        raise PeerError(A.handshake_failure, f"{what} renegotiation_info does not match")
    hs.secureRenegotiation = True


def checkServerIdentityUnchanged(hs: HandshakeState12) -> None:
    """
    A renegotiation must not change who the server is (the triple-handshake
    attack, RFC 7627 section 1; Go's doFullHandshake): same chain.
    """
    if hs.previous is None:
        return
    if hs.peerChain != hs.previous.serverChain:
        raise PeerError(A.bad_certificate, "server certificate changed during renegotiation")


def checkExtendedMasterSecretKept(hs: HandshakeState12) -> None:
    """
    A renegotiation must not drop RFC 7627 once it was in use: the session
    would lose its binding to the handshake.
    """
    if hs.previous is not None and hs.previous.extendedMasterSecret:
        if not hs.extendedMasterSecret:
            raise PeerError(A.handshake_failure, "renegotiation without extended master secret")


def alpnToOffer(hs: HandshakeState12) -> tuple[bytes, ...]:
    """
    Client: the ALPN protocols of our ClientHello.  RFC 7301 3.1 makes the
    protocol a property of the connection, which goes on speaking it after
    a renegotiation: a renegotiating ClientHello offers only that protocol,
    or none if there is none.
    """
    previous = hs.previous
    if previous is None:
        return hs.config.alpnProtocols
    return () if previous.alpnProtocol is None else (previous.alpnProtocol,)


def chooseAlpn12(hs: HandshakeState12, offered: Sequence[bytes] | None) -> None:
    """
    Server: the application protocol, from the client's offer.  In a
    renegotiation the connection's protocol stays whatever the offer
    (RFC 7301 3.1); it is named again only if the client offered it, and a
    renegotiation cannot start one the first handshake did not choose.
    """
    previous = hs.previous
    if previous is not None:
        hs.alpnProtocol = previous.alpnProtocol
        if offered is not None and previous.alpnProtocol in offered:
            hs.alpnAnswer = previous.alpnProtocol
        return
    protocols = hs.config.alpnProtocols
    if offered is None or not protocols:
        return
    chosen = next((p for p in protocols if p in offered), None)
    if chosen is None:
        raise PeerError(A.no_application_protocol, "no ALPN protocol in common")
    hs.alpnProtocol = hs.alpnAnswer = chosen


def extensionData(exts: Extensions, t: ExtensionType) -> bytes | None:
    return exts.get(int(t))


# --- state machinery ----------------------------------------------------------


class State12:
    """
    One step of a handshake: the messages it accepts and what it does.

    @cvar expected: handshake types this state accepts.
    @cvar transcriptFirst: add the message to the transcript before
        C{handle} (all but Finished and CertificateVerify, which check the
        transcript as it was before them).
    """

    expected: ClassVar[tuple[HandshakeType, ...]] = ()
    transcriptFirst: ClassVar[bool] = True
    expectsChangeCipherSpec: ClassVar[bool] = False

    def __init__(self, hs: HandshakeState12) -> None:
        self.hs = hs

    def receive(self, msgType: int, body: bytes, raw: bytes) -> State12:
        if msgType not in self.expected:
            raise UnexpectedMessage(self.expectedNames(), messageName(msgType))
        if self.transcriptFirst:
            self.hs.transcript.update(raw)
        return self.handle(msgType, body, raw)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
        raise NotImplementedError

    def receiveChangeCipherSpec(self) -> State12:
        raise UnexpectedMessage(self.expectedNames(), "change_cipher_spec")

    def expectedNames(self) -> tuple[str, ...]:
        names = tuple(t.name for t in self.expected)
        return names + (("change_cipher_spec",) if self.expectsChangeCipherSpec else ())


class Complete(State12):
    """
    The handshake is over; the connection replaces the handshake object.
    """


class ExpectChangeCipherSpec(State12):
    expectsChangeCipherSpec = True

    def __init__(self, hs: HandshakeState12, next: type[State12]) -> None:
        super().__init__(hs)
        self.next = next

    def receiveChangeCipherSpec(self) -> State12:
        assert self.hs.pendingReadProtection is not None
        self.hs.io.changeReadProtection(self.hs.pendingReadProtection)
        self.hs.pendingReadProtection = None
        return self.next(self.hs)


def leafKeyType(leaf: x509.Certificate) -> KeyType | None:
    key = leaf.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return KeyType.RSA
    if isinstance(key, ed25519.Ed25519PublicKey):
        return KeyType.ED25519
    if isinstance(key, ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return KeyType.ECDSA_P256
        if isinstance(key.curve, ec.SECP384R1):
            return KeyType.ECDSA_P384
    return None


CURVE_OF_KEY = {
    KeyType.ECDSA_P256: NamedGroup.secp256r1,
    KeyType.ECDSA_P384: NamedGroup.secp384r1,
}


def certificateCurveAccepted(
    credential: Credential, groupsSent: bool, clientGroups: tuple[int, ...]
) -> bool:
    """
    RFC 8422 section 5.1: in TLS 1.2 the client's supported_groups also
    lists the curves it accepts in ECDSA certificates (OpenSSL enforces
    this: "wrong curve"), so an ECDSA certificate is usable only on a curve
    the client named.
    """
    curve = CURVE_OF_KEY.get(credential.keyType)
    return curve is None or not groupsSent or curve in clientGroups


def keyTypeFits(keyType: KeyType | None, keyExchange: KeyExchange) -> bool:
    if keyType is None:
        return False
    if keyExchange is KeyExchange.ECDHE_RSA:
        return keyType is KeyType.RSA
    return keyType is not KeyType.RSA


def certificateMessage12(credential: Credential | None) -> bytes:
    """
    Our Certificate message; for a credential, built once and reused, as
    it is the same bytes on every handshake.
    """
    if credential is None:
        return Certificate12(()).toBytes()
    message = credential.encodedMessages.get("certificate12")
    if message is None:
        message = Certificate12(credential.derChain).toBytes()
        credential.encodedMessages["certificate12"] = message
    return message


def serverNameExtension(config: TLSConfig) -> list[tuple[int, bytes]]:
    """
    A client's server_name extension, which RFC 6066 3 allows only for a
    host name, never an IP address literal.
    """
    name = config.serverName
    if name is None:
        return []
    return list(_serverNameExtension(name))


@lru_cache(maxsize=256)
def _serverNameExtension(name: str) -> tuple[tuple[int, bytes], ...]:
    # Every ClientHello to a server carries the same bytes (~2.5 us to make).
    if addressLiteral(name) is None:
        return ((int(ExtensionType.server_name), encodeServerName(name)),)
    return ()
