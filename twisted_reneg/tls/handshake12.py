# -*- test-case-name: tests.test_engine -*-
"""
The TLS 1.2 handshake, client and server (RFC 5246, RFC 8422, RFC 7627,
RFC 5746), with renegotiation built in.

Each side is a list of states, one per expected message, read top to bottom
like the RFC's message flow.  A state's C{handle} checks one message, does
what it calls for (send the next flight, switch keys) and returns the next
state.  Everything one handshake learns lives on a L{_Handshake12} that is
thrown away when the handshake ends; what outlives it (verify_data for RFC
5746, the peer's leaf for the renegotiation identity check) is passed in
explicitly as L{PreviousHandshake}.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import ClassVar, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from .config import TLS12, TLS13, ClientAuth, TLSConfig
from .credentials import Credential, KeyType, verifySignature
from .errors import AlertDescription, PeerError, UnexpectedMessage
from .events import Event, PeerCertificateReceived, SessionTicketReceived
from .keyexchange import KeyShare
from .keyschedule import (
    Transcript,
    deriveTrafficKeys12,
    extendedMasterSecret12,
    masterSecret12,
    verifyData12,
)
from .messages import (
    EC_POINT_FORMAT_UNCOMPRESSED,
    Certificate12,
    CertificateRequest12,
    CertificateVerify,
    ClientHello,
    ClientKeyExchangeECDHE,
    Extensions,
    ExtensionType,
    Finished,
    HandshakeType,
    NewSessionTicket12,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchangeECDHE,
    decodeAlpn,
    decodeEcPointFormats,
    decodeEmpty,
    decodeRenegotiationInfo,
    decodeServerName,
    decodeUint16List,
    encodeAlpn,
    encodeEcPointFormats,
    encodeRenegotiationInfo,
    encodeServerName,
    encodeUint16List,
    messageName,
)
from .records import RecordProtection, tls12Protection
from .suites import (
    SUITES_BY_CODE,
    TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
    CipherSuite,
    KeyExchange,
    NamedGroup,
    SignatureScheme,
    groupsForTLS12,
)
from .tickets import DEFAULT_TICKET_LIFETIME, ClientSession12, SessionState12

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
    """

    clientVerifyData: bytes = field(repr=False)
    serverVerifyData: bytes = field(repr=False)
    serverChain: tuple[x509.Certificate, ...] = field(default=(), repr=False)
    extendedMasterSecret: bool = False


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

    def carryOver(self, isClient: bool) -> PreviousHandshake:
        return PreviousHandshake(
            self.clientVerifyData,
            self.serverVerifyData,
            self.peerChain if isClient else (),
            self.extendedMasterSecret,
        )


class _Handshake12:
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
    ) -> None:
        self.config = config
        self.io = io
        self.previous = previous
        self.clientAuth = clientAuth
        self.transcript = Transcript()
        self.clientRandom = b""
        self.serverRandom = b""
        self.suite: CipherSuite | None = None
        self.group: NamedGroup | None = None
        self.keyShare: KeyShare | None = None
        self.serverScheme: SignatureScheme | None = None
        self.serverName: str | None = None
        self.alpnProtocol: bytes | None = None
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
        #: resumption: the session ID in use (the server's choice), the one
        #: we sent, the session we offered (client) and whether a ticket
        #: comes in this handshake.
        self.sessionId = b""
        self.sessionIdSent = b""
        self.resumeSession: ClientSession12 | None = None
        self.resumed = False
        self.ticketOffered = False
        self.ticketPromised = False
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
        @return: (client write, server write) record protection.
        """
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
        return (
            tls12Protection(suite.aead, keys.clientWriteKey, keys.clientWriteIv),
            tls12Protection(suite.aead, keys.serverWriteKey, keys.serverWriteIv),
        )

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
        finished = Finished.parse(body)
        if not hmac.compare_digest(finished.verifyData, self.verifyData(peerIsClient)):
            who = "client" if peerIsClient else "server"
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
        )
        # Secrets die with the handshake object; only verify_data outlives it.
        self.masterSecret = b""
        self.keyShare = None

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
    try:
        return tuple(x509.load_der_x509_certificate(der) for der in ders)
    except ValueError as e:
        raise PeerError(A.bad_certificate, f"unparsable certificate: {e}") from None


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
    chain = loadChain(ders)
    if config.verifier is None:
        # Never accept a client certificate we cannot verify.
        raise PeerError(A.bad_certificate, "no trust roots for client certificates")
    config.verifier.verifyClient(chain, io.now())
    return chain


def checkSecureRenegotiation(
    hs: _Handshake12, received: bytes | None, expected: bytes, what: str
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


def checkServerIdentityUnchanged(hs: _Handshake12) -> None:
    """
    A renegotiation must not change who the server is (the triple-handshake
    attack, RFC 7627 section 1; Go's doFullHandshake): same chain.
    """
    if hs.previous is None:
        return
    if hs.peerChain != hs.previous.serverChain:
        raise PeerError(A.bad_certificate, "server certificate changed during renegotiation")


def checkExtendedMasterSecretKept(hs: _Handshake12) -> None:
    """
    A renegotiation must not drop RFC 7627 once it was in use: the session
    would lose its binding to the handshake.
    """
    if hs.previous is not None and hs.previous.extendedMasterSecret:
        if not hs.extendedMasterSecret:
            raise PeerError(A.handshake_failure, "renegotiation without extended master secret")


def _ext(exts: Extensions, t: ExtensionType) -> bytes | None:
    return exts.get(int(t))


# --- state machinery ----------------------------------------------------------


class _State:
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

    def __init__(self, hs: _Handshake12) -> None:
        self.hs = hs

    def receive(self, msgType: int, body: bytes, raw: bytes) -> _State:
        if msgType not in self.expected:
            raise UnexpectedMessage(self.expectedNames(), messageName(msgType))
        if self.transcriptFirst:
            self.hs.transcript.update(raw)
        return self.handle(msgType, body, raw)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        raise NotImplementedError

    def receiveChangeCipherSpec(self) -> _State:
        raise UnexpectedMessage(self.expectedNames(), "change_cipher_spec")

    def expectedNames(self) -> tuple[str, ...]:
        names = tuple(t.name for t in self.expected)
        return names + (("change_cipher_spec",) if self.expectsChangeCipherSpec else ())


class Complete(_State):
    """
    The handshake is over; the connection replaces the handshake object.
    """


class _ExpectChangeCipherSpec(_State):
    expectsChangeCipherSpec = True

    def __init__(self, hs: _Handshake12, next: type[_State]) -> None:
        super().__init__(hs)
        self.next = next

    def receiveChangeCipherSpec(self) -> _State:
        assert self.hs.pendingReadProtection is not None
        self.hs.io.changeReadProtection(self.hs.pendingReadProtection)
        self.hs.pendingReadProtection = None
        return self.next(self.hs)


class Handshake12:
    """
    One TLS 1.2 handshake, either side; the connection feeds it messages.

    @ivar result: set once the handshake is complete.
    """

    def __init__(
        self,
        config: TLSConfig,
        io: HandshakeIO,
        previous: PreviousHandshake | None = None,
        clientAuth: ClientAuth | None = None,
    ) -> None:
        """
        @param previous: what the handshake before this one left behind;
            C{None} for the first handshake of a connection.
        @param clientAuth: server only: overrides the configured client
            certificate request for this handshake
            (L{TLSConnection.requestClientCertificate}).
        """
        auth = config.clientAuth if clientAuth is None else clientAuth
        self._hs = _Handshake12(config, io, previous, auth)
        self._state: _State = (
            _ClientStart(self._hs) if config.isClient else _ServerExpectClientHello(self._hs)
        )

    @property
    def result(self) -> HandshakeResult | None:
        return self._hs.result

    @property
    def complete(self) -> bool:
        return isinstance(self._state, Complete)

    @property
    def started(self) -> bool:
        """
        Whether any message of this handshake has been sent or received.
        """
        return not isinstance(self._state, _ClientStart | _ServerExpectClientHello)

    @classmethod
    def afterClientHello(
        cls,
        config: TLSConfig,
        io: HandshakeIO,
        clientRandom: bytes,
        helloRaw: bytes,
        session: ClientSession12 | None,
        sessionIdSent: bytes,
    ) -> Handshake12:
        """
        Client: a TLS 1.2 handshake that takes over after a ClientHello
        offering TLS 1.3 and 1.2 was answered with TLS 1.2.

        @param session: the TLS 1.2 session that hello offered, if any.
        """
        handshake = cls(config, io)
        hs = handshake._hs
        hs.clientRandom = clientRandom
        hs.resumeSession = session
        hs.sessionIdSent = sessionIdSent
        hs.ticketOffered = True
        hs.transcript.update(helloRaw)
        handshake._state = _ClientExpectServerHello(hs)
        return handshake

    def start(self) -> None:
        """
        Client: send the ClientHello.
        """
        assert isinstance(self._state, _ClientStart)
        self._state = self._state.sendClientHello()

    def receiveMessage(self, msgType: int, body: bytes, raw: bytes) -> None:
        self._state = self._state.receive(msgType, body, raw)

    def receiveChangeCipherSpec(self) -> None:
        self._state = self._state.receiveChangeCipherSpec()


# --- client -------------------------------------------------------------------


def tls12HelloExtensions(
    config: TLSConfig, riValue: bytes, ticket: bytes | None
) -> list[tuple[int, bytes]]:
    """
    The ClientHello extensions only TLS 1.2 uses, also sent by a client
    that offers TLS 1.3 and 1.2 together.

    @param riValue: RFC 5746 3.4/3.5: empty on the first handshake, our last
        verify_data on a renegotiation.
    @param ticket: RFC 5077: a ticket to resume with, empty to ask for
        one, C{None} for no session_ticket extension.
    """
    exts = [(int(ExtensionType.ec_point_formats), encodeEcPointFormats())]
    if config.offerExtendedMasterSecret:
        exts.append((int(ExtensionType.extended_master_secret), b""))
    exts.append((int(ExtensionType.renegotiation_info), encodeRenegotiationInfo(riValue)))
    if ticket is not None:
        exts.append((int(ExtensionType.session_ticket), ticket))
    return exts


def sessionIdToOffer(session: ClientSession12 | None) -> bytes:
    """
    The session ID a ClientHello carries to resume C{session}: its own, or
    with a ticket a random one the server echoes to accept it (RFC 5077 3.4).
    """
    if session is None:
        return b""
    return os.urandom(32) if session.ticket else session.sessionId


class _ClientStart(_State):
    def sendClientHello(self) -> _State:
        hs = self.hs
        config = hs.config
        hs.clientRandom = os.urandom(32)
        exts = serverNameExtension(config)
        exts.append(
            (ExtensionType.supported_groups, encodeUint16List(groupsForTLS12(config.groups)))
        )
        exts.append(
            (ExtensionType.signature_algorithms, encodeUint16List(config.signatureSchemes))
        )
        if config.alpnProtocols:
            exts.append(
                (
                    ExtensionType.application_layer_protocol_negotiation,
                    encodeAlpn(config.alpnProtocols),
                )
            )
        previous = hs.previous
        # Renegotiation is always a full handshake: nothing to resume then,
        # but we still ask for a ticket (GnuTLS sends one either way).
        if previous is None:
            hs.resumeSession = resumable12(config, hs.io.now().timestamp())
            hs.sessionIdSent = sessionIdToOffer(hs.resumeSession)
        ticket = (hs.resumeSession.ticket if hs.resumeSession else None) or b""
        hs.ticketOffered = True
        exts += tls12HelloExtensions(
            config, previous.clientVerifyData if previous is not None else b"", ticket
        )
        hello = ClientHello(
            legacyVersion=TLS12,
            random=hs.clientRandom,
            sessionId=hs.sessionIdSent,
            cipherSuites=tuple(s.code for s in config.cipherSuites),
            compressionMethods=b"\x00",
            extensions=Extensions(tuple((int(t), d) for t, d in exts)),
        )
        hs.send(hello.toBytes())
        return _ClientExpectServerHello(hs)


class _ClientExpectServerHello(_State):
    expected = (HandshakeType.server_hello,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        config = hs.config
        hello = ServerHello.parse(body)
        if hello.legacyVersion != TLS12:
            raise PeerError(A.protocol_version, f"server chose version {hello.legacyVersion:#06x}")
        suite = SUITES_BY_CODE.get(hello.cipherSuite)
        if suite is None or suite not in config.cipherSuites:
            raise PeerError(A.illegal_parameter, f"server chose suite {hello.cipherSuite:#06x}")
        if hello.compressionMethod != 0:
            raise PeerError(A.illegal_parameter, "server chose compression")
        offered = {
            ExtensionType.server_name,
            ExtensionType.ec_point_formats,
            ExtensionType.application_layer_protocol_negotiation,
            ExtensionType.extended_master_secret,
            ExtensionType.renegotiation_info,
        }
        if hs.ticketOffered:
            offered.add(ExtensionType.session_ticket)
        for extType in hello.extensions.types():
            if extType not in offered:
                raise PeerError(A.unsupported_extension, f"server sent extension {extType}")
        exts = hello.extensions
        hs.serverRandom = hello.random
        hs.suite = suite
        hs.transcript.chooseHash(suite.hashName)

        sni = _ext(exts, ExtensionType.server_name)
        if sni is not None and sni != b"":
            raise PeerError(A.decode_error, "server_name in ServerHello must be empty")
        hs.serverName = config.serverName

        points = _ext(exts, ExtensionType.ec_point_formats)
        if points is not None and EC_POINT_FORMAT_UNCOMPRESSED not in decodeEcPointFormats(points):
            raise PeerError(A.illegal_parameter, "server does not support uncompressed points")

        alpn = _ext(exts, ExtensionType.application_layer_protocol_negotiation)
        if alpn is not None:
            chosen = decodeAlpn(alpn)
            if len(chosen) != 1 or chosen[0] not in config.alpnProtocols:
                raise PeerError(A.illegal_parameter, "server chose an ALPN protocol not offered")
            hs.alpnProtocol = chosen[0]

        ems = _ext(exts, ExtensionType.extended_master_secret)
        if ems is not None:
            if not config.offerExtendedMasterSecret:
                raise PeerError(A.unsupported_extension, "server sent extended_master_secret")
            decodeEmpty(ems, "extended_master_secret")
            hs.extendedMasterSecret = True
        elif config.requireExtendedMasterSecret:
            raise PeerError(A.handshake_failure, "server does not support extended master secret")
        checkExtendedMasterSecretKept(hs)

        ri = _ext(exts, ExtensionType.renegotiation_info)
        previous = hs.previous
        expected = (
            previous.clientVerifyData + previous.serverVerifyData if previous is not None else b""
        )
        checkSecureRenegotiation(
            hs, None if ri is None else decodeRenegotiationInfo(ri), expected, "server"
        )
        if not hs.secureRenegotiation:
            # Like OpenSSL 3 without SSL_OP_LEGACY_SERVER_CONNECT: a server
            # that cannot renegotiate securely is not talked to at all.
            raise PeerError(A.handshake_failure, "server does not support secure renegotiation")
        ticketExt = _ext(exts, ExtensionType.session_ticket)
        if ticketExt is not None:
            decodeEmpty(ticketExt, "session_ticket")
            hs.ticketPromised = True
        if hs.resumeSession is not None and hs.sessionIdSent == hello.sessionId != b"":
            return self.resume(hs.resumeSession.state)
        hs.sessionId = hello.sessionId
        return _ClientExpectCertificate(hs)

    def resume(self, state: SessionState12) -> _State:
        """
        The server echoed the session ID we offered: an abbreviated
        handshake on the session's master secret (RFC 5246 7.3).
        """
        hs = self.hs
        if hs.suite != state.suite:
            raise PeerError(A.illegal_parameter, "server resumed with another cipher suite")
        if hs.extendedMasterSecret != state.extendedMasterSecret:
            # RFC 7627 5.3: a session keeps its extended master secret.
            raise PeerError(A.handshake_failure, "extended master secret changed on resumption")
        hs.resumed = True
        hs.sessionId = hs.sessionIdSent
        hs.group, hs.masterSecret, hs.peerChain = state.group, state.masterSecret, state.peerChain
        clientWrite, serverWrite = hs.protections()
        hs.pendingReadProtection = serverWrite
        then = _ExpectChangeCipherSpec(hs, _ClientExpectResumedFinished)
        return _ExpectNewSessionTicket(hs, then) if hs.ticketPromised else then


class _ClientExpectCertificate(_State):
    expected = (HandshakeType.certificate,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        message = Certificate12.parse(body)
        if not message.certificates:
            raise PeerError(A.bad_certificate, "server sent no certificate")
        chain = verifiedServerChain(hs.config, hs.io, message.certificates)
        assert hs.suite is not None
        if not _keyTypeFits(_leafKeyType(chain[0]), hs.suite.keyExchange):
            raise PeerError(A.unsupported_certificate, "certificate key does not fit the suite")
        hs.peerChain = chain
        checkServerIdentityUnchanged(hs)
        hs.io.emit(PeerCertificateReceived(chain))
        return _ClientExpectServerKeyExchange(hs)


class _ClientExpectServerKeyExchange(_State):
    expected = (HandshakeType.server_key_exchange,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        config = hs.config
        ske = ServerKeyExchangeECDHE.parse(body)
        if ske.group not in groupsForTLS12(config.groups):
            raise PeerError(A.illegal_parameter, f"server chose group {ske.group:#06x}")
        if ske.signatureScheme not in config.signatureSchemes:
            raise PeerError(
                A.illegal_parameter, f"server signed with scheme {ske.signatureScheme:#06x}"
            )
        signed = hs.clientRandom + hs.serverRandom + ske.params
        verifySignature(hs.peerChain[0], ske.signatureScheme, ske.signature, signed)
        hs.group = NamedGroup(ske.group)
        hs.serverScheme = SignatureScheme(ske.signatureScheme)
        hs.keyShare = KeyShare.generate(hs.group)
        return _ClientExpectCertificateRequestOrDone(hs, ske.publicKey)


class _ClientExpectCertificateRequestOrDone(_State):
    expected = (HandshakeType.certificate_request, HandshakeType.server_hello_done)

    def __init__(self, hs: _Handshake12, serverPublic: bytes) -> None:
        super().__init__(hs)
        self.serverPublic = serverPublic

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        if msgType == HandshakeType.certificate_request:
            request = CertificateRequest12.parse(body)
            self.hs.certificateRequested = True
            self.hs.requestedSchemes = request.signatureSchemes
            self.hs.credential = _clientCredentialFor(self.hs.config.credential, request)
            return _ClientExpectServerHelloDone(self.hs, self.serverPublic)
        return _clientSendFlight(self.hs, body, self.serverPublic)


class _ClientExpectServerHelloDone(_State):
    expected = (HandshakeType.server_hello_done,)

    def __init__(self, hs: _Handshake12, serverPublic: bytes) -> None:
        super().__init__(hs)
        self.serverPublic = serverPublic

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        return _clientSendFlight(self.hs, body, self.serverPublic)


def _clientCredentialFor(
    credential: Credential | None, request: CertificateRequest12
) -> Credential | None:
    """
    The client certificate to send for a CertificateRequest, or C{None} to
    send an empty Certificate (the server then decides whether to go on).
    """
    if credential is None:
        return None
    wanted = (
        CertificateRequest12.RSA_SIGN
        if credential.keyType is KeyType.RSA
        else CertificateRequest12.ECDSA_SIGN
    )
    if wanted not in request.certificateTypes:
        return None
    if credential.chooseScheme(request.signatureSchemes) is None:
        return None
    return credential


def _clientSendFlight(hs: _Handshake12, doneBody: bytes, serverPublic: bytes) -> _State:
    """
    After ServerHelloDone: [Certificate], ClientKeyExchange,
    [CertificateVerify], ChangeCipherSpec, Finished.
    """
    ServerHelloDone.parse(doneBody)
    if hs.certificateRequested:
        chain = hs.credential.chain if hs.credential is not None else ()
        hs.send(Certificate12(tuple(c.public_bytes(_DER) for c in chain)).toBytes())
    assert hs.keyShare is not None
    preMasterSecret = hs.keyShare.exchange(serverPublic)
    hs.send(ClientKeyExchangeECDHE(hs.keyShare.publicBytes()).toBytes())
    hs.deriveMasterSecret(preMasterSecret)
    if hs.credential is not None:
        scheme = hs.credential.chooseScheme(hs.requestedSchemes)
        assert scheme is not None
        signature = hs.credential.sign(scheme, hs.transcript.messages())
        hs.send(CertificateVerify(scheme, signature).toBytes())
    clientWrite, serverWrite = hs.protections()
    hs.io.sendChangeCipherSpec()
    hs.io.changeWriteProtection(clientWrite)
    hs.pendingReadProtection = serverWrite
    hs.clientVerifyData = hs.verifyData(fromClient=True)
    hs.send(Finished(hs.clientVerifyData).toBytes())
    then = _ExpectChangeCipherSpec(hs, _ClientExpectFinished)
    return _ExpectNewSessionTicket(hs, then) if hs.ticketPromised else then


class _ExpectNewSessionTicket(_State):
    """
    Client: RFC 5077 3.3: the server promised a ticket; it comes right
    before its ChangeCipherSpec.
    """

    expected = (HandshakeType.new_session_ticket,)

    def __init__(self, hs: _Handshake12, then: _State) -> None:
        super().__init__(hs)
        self.then = then

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        self.hs.newTicket = NewSessionTicket12.parse(body)
        return self.then


class _ClientExpectResumedFinished(_State):
    """
    Abbreviated handshake: the server's Finished comes first; ours answers.
    """

    expected = (HandshakeType.finished,)
    transcriptFirst = False

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        hs.checkPeerFinished(body, raw)
        clientWrite, _ = hs.protections()
        hs.io.sendChangeCipherSpec()
        hs.io.changeWriteProtection(clientWrite)
        hs.clientVerifyData = hs.verifyData(fromClient=True)
        hs.send(Finished(hs.clientVerifyData).toBytes())
        hs.finish()
        return Complete(hs)


class _ClientExpectFinished(_State):
    expected = (HandshakeType.finished,)
    transcriptFirst = False

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        hs.checkPeerFinished(body, raw)
        hs.finish()
        return Complete(hs)


# --- server -------------------------------------------------------------------


class _ServerExpectClientHello(_State):
    expected = (HandshakeType.client_hello,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        config = hs.config
        hello = ClientHello.parse(body)
        exts = hello.extensions
        if hello.legacyVersion < TLS12:
            raise PeerError(
                A.protocol_version, f"client offers at most {hello.legacyVersion:#06x}"
            )
        if 0 not in hello.compressionMethods:
            raise PeerError(A.illegal_parameter, "client does not offer null compression")
        hs.clientRandom = hello.random

        self.checkRenegotiationInfo(hello)

        sni = _ext(exts, ExtensionType.server_name)
        hs.serverName = decodeServerName(sni) if sni is not None else None
        credential = config.credentialFor(hs.serverName)
        assert credential is not None

        groupsRaw = _ext(exts, ExtensionType.supported_groups)
        # RFC 8422 section 4: no supported_groups means any curve; P-256 is
        # the one everybody has.
        clientGroups = (
            decodeUint16List(groupsRaw) if groupsRaw is not None else (int(NamedGroup.secp256r1),)
        )
        group = next((g for g in groupsForTLS12(config.groups) if g in clientGroups), None)

        points = _ext(exts, ExtensionType.ec_point_formats)
        if points is not None and EC_POINT_FORMAT_UNCOMPRESSED not in decodeEcPointFormats(points):
            raise PeerError(A.illegal_parameter, "client does not support uncompressed points")

        schemesRaw = _ext(exts, ExtensionType.signature_algorithms)
        clientSchemes = decodeUint16List(schemesRaw) if schemesRaw is not None else ()
        scheme = credential.chooseScheme(clientSchemes)

        suite = next(
            (
                s
                for s in config.cipherSuites
                if s.code in hello.cipherSuites
                and credential.compatibleWith(s.keyExchange)
                and _certificateCurveAccepted(credential, groupsRaw is not None, clientGroups)
            ),
            None,
        )
        if suite is None:
            raise PeerError(A.handshake_failure, "no cipher suite in common")
        if group is None:
            raise PeerError(A.handshake_failure, "no key-exchange group in common")
        if scheme is None:
            raise PeerError(A.handshake_failure, "no signature scheme in common")

        alpn = _ext(exts, ExtensionType.application_layer_protocol_negotiation)
        if alpn is not None and config.alpnProtocols:
            offered = decodeAlpn(alpn)
            chosen = next((p for p in config.alpnProtocols if p in offered), None)
            if chosen is None:
                raise PeerError(A.no_application_protocol, "no ALPN protocol in common")
            hs.alpnProtocol = chosen

        ems = _ext(exts, ExtensionType.extended_master_secret)
        if ems is not None:
            decodeEmpty(ems, "extended_master_secret")
            hs.extendedMasterSecret = True
        elif config.requireExtendedMasterSecret:
            raise PeerError(A.handshake_failure, "client does not support extended master secret")
        checkExtendedMasterSecretKept(hs)

        ticket = _ext(exts, ExtensionType.session_ticket)
        hs.ticketOffered = ticket is not None
        if not hs.isRenegotiation:
            session = self.findSession(hello, ticket)
            if session is not None:
                return self.resume(hello, session, sni is not None)
        hs.suite = suite
        hs.group = group
        hs.serverScheme = scheme
        hs.credential = credential
        hs.transcript.chooseHash(suite.hashName)
        return self.sendServerFlight(sni is not None)

    def findSession(self, hello: ClientHello, ticket: bytes | None) -> SessionState12 | None:
        """
        The session the client offers to resume, by ticket (RFC 5077) or
        session ID, if we still have it and it fits this hello: same suite
        offered, same extended-master-secret use (RFC 7627 5.3), same
        server name, a client certificate if we require one.
        """
        hs = self.hs
        config = hs.config
        state = None
        if ticket and config.ticketKeys is not None:
            state = SessionState12.parse(config.ticketKeys.open(ticket) or b"")
        if state is None and hello.sessionId and config.sessionCache is not None:
            state = config.sessionCache.get(hello.sessionId)
        if (
            state is None
            or not state.validAt(hs.io.now().timestamp())
            or state.suite not in config.cipherSuites
            or state.suite.code not in hello.cipherSuites
            or state.extendedMasterSecret != hs.extendedMasterSecret
            or state.serverName != hs.serverName
            or (hs.clientAuth is ClientAuth.REQUIRE and not state.peerChain)
        ):
            return None
        return state

    def resume(self, hello: ClientHello, state: SessionState12, echoSni: bool) -> _State:
        """
        The abbreviated handshake: ServerHello echoing the client's session
        ID, a renewed ticket if tickets are in use, then our ChangeCipherSpec
        and Finished first.
        """
        hs = self.hs
        hs.resumed = True
        hs.suite, hs.group = state.suite, state.group
        hs.masterSecret, hs.peerChain = state.masterSecret, state.peerChain
        hs.transcript.chooseHash(state.suite.hashName)
        hs.sessionId = hello.sessionId
        self.sendServerHello(echoSni)
        if hs.ticketPromised:
            sendTicket12(hs, state)
        clientWrite, serverWrite = hs.protections()
        hs.io.sendChangeCipherSpec()
        hs.io.changeWriteProtection(serverWrite)
        hs.serverVerifyData = hs.verifyData(fromClient=False)
        hs.send(Finished(hs.serverVerifyData).toBytes())
        hs.pendingReadProtection = clientWrite
        return _ExpectChangeCipherSpec(hs, _ServerExpectResumedFinished)

    def checkRenegotiationInfo(self, hello: ClientHello) -> None:
        """
        RFC 5746 section 3.6 (initial) and 3.7 (renegotiation).
        """
        hs = self.hs
        ri = _ext(hello.extensions, ExtensionType.renegotiation_info)
        scsv = TLS_EMPTY_RENEGOTIATION_INFO_SCSV in hello.cipherSuites
        previous = hs.previous
        if previous is None:
            if ri is not None:
                checkSecureRenegotiation(hs, decodeRenegotiationInfo(ri), b"", "client")
            elif scsv:
                hs.secureRenegotiation = True
            return
        if scsv:
            raise PeerError(A.handshake_failure, "SCSV in a renegotiation ClientHello")
        checkSecureRenegotiation(
            hs,
            None if ri is None else decodeRenegotiationInfo(ri),
            previous.clientVerifyData,
            "client",
        )

    def sendServerHello(self, echoSni: bool) -> None:
        hs = self.hs
        config = hs.config
        assert hs.suite is not None
        # RFC 8446 4.1.3: a server able to do TLS 1.3 that settles on 1.2
        # says so in the last 8 bytes of its random, so a 1.3 client can
        # detect a downgrade forced by an attacker.
        hs.serverRandom = (
            os.urandom(24) + DOWNGRADE_TLS12 if config.maxVersion >= TLS13 else os.urandom(32)
        )
        exts: list[tuple[int, bytes]] = []
        if hs.secureRenegotiation:
            previous = hs.previous
            value = (
                previous.clientVerifyData + previous.serverVerifyData
                if previous is not None
                else b""
            )
            exts.append((ExtensionType.renegotiation_info, encodeRenegotiationInfo(value)))
        if hs.extendedMasterSecret:
            exts.append((ExtensionType.extended_master_secret, b""))
        if echoSni and hs.serverName is not None:
            exts.append((ExtensionType.server_name, b""))
        exts.append((ExtensionType.ec_point_formats, encodeEcPointFormats()))
        if hs.alpnProtocol is not None:
            exts.append(
                (
                    ExtensionType.application_layer_protocol_negotiation,
                    encodeAlpn([hs.alpnProtocol]),
                )
            )
        if hs.ticketOffered and config.ticketKeys is not None:
            # RFC 5077 3.2: an empty session_ticket says a ticket will come.
            # Also in a renegotiation (a full handshake may issue one; GnuTLS
            # waits for it once tickets were in use on the connection).
            hs.ticketPromised = True
            exts.append((ExtensionType.session_ticket, b""))
        hello = ServerHello(
            legacyVersion=TLS12,
            random=hs.serverRandom,
            sessionId=hs.sessionId,
            cipherSuite=hs.suite.code,
            compressionMethod=0,
            extensions=Extensions(tuple((int(t), d) for t, d in exts)),
        )
        hs.send(hello.toBytes())

    def sendServerFlight(self, echoSni: bool) -> _State:
        hs = self.hs
        config = hs.config
        assert hs.suite is not None and hs.group is not None and hs.credential is not None
        assert hs.serverScheme is not None
        if not hs.isRenegotiation and config.sessionCache is not None:
            hs.sessionId = os.urandom(32)
        self.sendServerHello(echoSni)
        hs.send(Certificate12(tuple(c.public_bytes(_DER) for c in hs.credential.chain)).toBytes())
        hs.keyShare = KeyShare.generate(hs.group)
        unsigned = ServerKeyExchangeECDHE(
            hs.group, hs.keyShare.publicBytes(), hs.serverScheme, b""
        )
        signature = hs.credential.sign(
            hs.serverScheme, hs.clientRandom + hs.serverRandom + unsigned.params
        )
        ske = ServerKeyExchangeECDHE(
            hs.group, hs.keyShare.publicBytes(), hs.serverScheme, signature
        )
        hs.send(ske.toBytes())

        if hs.clientAuth is not ClientAuth.NONE:
            hs.certificateRequested = True
            hs.requestedSchemes = tuple(config.signatureSchemes)
            hs.send(
                CertificateRequest12(
                    certificateTypes=bytes(
                        (CertificateRequest12.ECDSA_SIGN, CertificateRequest12.RSA_SIGN)
                    ),
                    signatureSchemes=hs.requestedSchemes,
                ).toBytes()
            )
        hs.send(ServerHelloDone().toBytes())
        if hs.certificateRequested:
            return _ServerExpectCertificate(hs)
        return _ServerExpectClientKeyExchange(hs)


class _ServerExpectCertificate(_State):
    expected = (HandshakeType.certificate,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        message = Certificate12.parse(body)
        if not message.certificates:
            if hs.clientAuth is ClientAuth.REQUIRE:
                raise PeerError(A.handshake_failure, "client certificate required")
            return _ServerExpectClientKeyExchange(hs)
        chain = verifiedClientChain(hs.config, hs.io, message.certificates)
        hs.peerChain = chain
        hs.io.emit(PeerCertificateReceived(chain))
        return _ServerExpectClientKeyExchange(hs)


class _ServerExpectClientKeyExchange(_State):
    expected = (HandshakeType.client_key_exchange,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        cke = ClientKeyExchangeECDHE.parse(body)
        assert hs.keyShare is not None
        preMasterSecret = hs.keyShare.exchange(cke.publicKey)
        hs.deriveMasterSecret(preMasterSecret)
        clientWrite, _ = hs.protections()
        hs.pendingReadProtection = clientWrite
        if hs.peerChain:
            return _ServerExpectCertificateVerify(hs)
        return _ExpectChangeCipherSpec(hs, _ServerExpectFinished)


class _ServerExpectCertificateVerify(_State):
    expected = (HandshakeType.certificate_verify,)
    transcriptFirst = False

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        verify = CertificateVerify.parse(body)
        if verify.signatureScheme not in hs.requestedSchemes:
            raise PeerError(
                A.illegal_parameter, f"client signed with scheme {verify.signatureScheme:#06x}"
            )
        verifySignature(
            hs.peerChain[0], verify.signatureScheme, verify.signature, hs.transcript.messages()
        )
        hs.transcript.update(raw)
        return _ExpectChangeCipherSpec(hs, _ServerExpectFinished)


class _ServerExpectFinished(_State):
    expected = (HandshakeType.finished,)
    transcriptFirst = False

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        hs.checkPeerFinished(body, raw)
        if hs.ticketPromised:
            sendTicket12(hs, hs.sessionState(hs.io.now().timestamp(), DEFAULT_TICKET_LIFETIME))
        _, serverWrite = hs.protections()
        hs.io.sendChangeCipherSpec()
        hs.io.changeWriteProtection(serverWrite)
        hs.serverVerifyData = hs.verifyData(fromClient=False)
        hs.send(Finished(hs.serverVerifyData).toBytes())
        hs.finish()
        return Complete(hs)


class _ServerExpectResumedFinished(_State):
    expected = (HandshakeType.finished,)
    transcriptFirst = False

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        hs.checkPeerFinished(body, raw)
        hs.finish()
        return Complete(hs)


def sendTicket12(hs: _Handshake12, state: SessionState12) -> None:
    """
    RFC 5077 3.3: the session sealed under our ticket keys, before our
    ChangeCipherSpec.
    """
    keys = hs.config.ticketKeys
    assert keys is not None
    ticket = keys.seal(state.toBytes())
    hs.send(NewSessionTicket12(min(keys.lifetime, state.lifetime), ticket).toBytes())


# --- helpers ------------------------------------------------------------------

_DER = Encoding.DER


def _leafKeyType(leaf: x509.Certificate) -> KeyType | None:
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


_CURVE_OF_KEY = {
    KeyType.ECDSA_P256: NamedGroup.secp256r1,
    KeyType.ECDSA_P384: NamedGroup.secp384r1,
}


def _certificateCurveAccepted(
    credential: Credential, groupsSent: bool, clientGroups: tuple[int, ...]
) -> bool:
    """
    RFC 8422 section 5.1: in TLS 1.2 the client's supported_groups also
    lists the curves it accepts in ECDSA certificates (OpenSSL enforces
    this: "wrong curve"), so an ECDSA certificate is usable only on a curve
    the client named.
    """
    curve = _CURVE_OF_KEY.get(credential.keyType)
    return curve is None or not groupsSent or curve in clientGroups


def _keyTypeFits(keyType: KeyType | None, keyExchange: KeyExchange) -> bool:
    if keyType is None:
        return False
    if keyExchange is KeyExchange.ECDHE_RSA:
        return keyType is KeyType.RSA
    return keyType is not KeyType.RSA


def serverNameExtension(config: TLSConfig) -> list[tuple[int, bytes]]:
    """
    A client's server_name extension, which RFC 6066 3 allows only for a
    host name, never an IP address literal.
    """
    name = config.serverName
    if name is None:
        return []
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return [(int(ExtensionType.server_name), encodeServerName(name))]
    return []
