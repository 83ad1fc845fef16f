# -*- test-case-name: tests.tls.test_engine -*-
"""
What the TLS 1.2 client and server states share: the per-handshake facts
(L{HandshakeState12}, thrown away when the handshake ends), what a
renegotiation carries over (L{PreviousHandshake}), the result, the state
base class and the states of either side (ChangeCipherSpec, the peer's
Finished), and the checks both sides make (RFC 5746, RFC 7627, the
renegotiation identity rule, the application protocol a renegotiation
keeps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .config import ClientAuth, TLSConfig
from .credentials import Credential, KeyType
from .errors import AlertDescription
from .events import SessionTicketReceived
from .extensions import Extensions, ExtensionType
from .finished import checkFinished
from .handshakeio import HandshakeIO
from .hellorules import chooseAlpn
from .keyexchange import KeyShare
from .keyschedule import (
    Transcript,
    deriveTrafficKeys12,
    extendedMasterSecret12,
    masterSecret12,
    verifyData12,
)
from .messages import Certificate12, Finished, HandshakeType, NewSessionTicket12
from .records import RecordProtection, tls12Protection
from .statemachine import HandshakeStep
from .suites import (
    CipherSuite,
    KeyExchange,
    NamedGroup,
    SignatureScheme,
)
from .tickets import DEFAULT_TICKET_LIFETIME, ClientSession12, SessionState12

A = AlertDescription


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
        #: server: the schemes our CertificateRequest accepts.
        self.requestedSchemes: tuple[int, ...] = ()
        #: client: the scheme our CertificateVerify signs with, chosen
        #: with C{credential} when the server asks for a certificate.
        self.clientScheme: SignatureScheme | None = None
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
            call are not cheap (bench/engine.py tls12 rows).  Each object is
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
        far (L{checkFinished}); it then joins the transcript, and its
        verify_data is kept for RFC 5746.
        """
        peerIsClient = not self.config.isClient
        verifyData = checkFinished(
            body, self.verifyData(peerIsClient), "client" if peerIsClient else "server"
        )
        self.transcript.update(raw)
        if peerIsClient:
            self.clientVerifyData = verifyData
        else:
            self.serverVerifyData = verifyData

    def sendFinished(self) -> None:
        """
        Our ChangeCipherSpec, then our Finished under our new write keys
        (RFC 5246 7.4.9); its verify_data is kept for RFC 5746.
        """
        isClient = self.config.isClient
        clientWrite, serverWrite = self.protections()
        self.io.sendChangeCipherSpec()
        self.io.changeWriteProtection(clientWrite if isClient else serverWrite)
        verifyData = self.verifyData(fromClient=isClient)
        if isClient:
            self.clientVerifyData = verifyData
        else:
            self.serverVerifyData = verifyData
        self.send(Finished(verifyData).toBytes())

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
    hs.alpnProtocol = hs.alpnAnswer = chooseAlpn(hs.config.alpnProtocols, offered)


def extensionData(exts: Extensions, t: ExtensionType) -> bytes | None:
    return exts.get(int(t))


# --- state machinery ----------------------------------------------------------


class State12(HandshakeStep[HandshakeState12, "State12"]):
    """
    One step of a TLS 1.2 handshake (L{HandshakeStep}).
    """


class Complete(State12):
    """
    The handshake is over; the connection replaces the handshake object.
    """


class ExpectFinished12(State12):
    """
    The peer's Finished (L{HandshakeState12.checkPeerFinished}); what
    follows it is the side's own (L{afterFinished}).
    """

    expected = (HandshakeType.finished,)
    transcriptFirst = False

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
        self.hs.checkPeerFinished(body, raw)
        return self.afterFinished()

    def afterFinished(self) -> State12:
        """
        Unless overridden, ours was sent before the peer's: the handshake
        is over.
        """
        self.hs.finish()
        return Complete(self.hs)


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
