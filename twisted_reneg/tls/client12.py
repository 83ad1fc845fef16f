# -*- test-case-name: tests.tls.test_engine -*-
"""
The TLS 1.2 client (RFC 5246, RFC 8422, RFC 7627, RFC 5746, RFC 5077): one
state per expected message, read top to bottom like the RFC's flow, from
our ClientHello (a session to resume, renegotiation_info) to the server's
Finished; full and abbreviated handshakes.
"""

from __future__ import annotations

import os

from .clientauth import chooseCertificateAndScheme
from .config import TLS12, TLSConfig
from .credentials import verifySignature
from .errors import PeerError
from .events import PeerCertificateReceived
from .extensions import (
    EC_POINT_FORMAT_UNCOMPRESSED,
    Extensions,
    ExtensionType,
    decodeEcPointFormats,
    decodeEmpty,
    decodeRenegotiationInfo,
    encodeAlpn,
    encodeEcPointFormats,
    encodeRenegotiationInfo,
    encodeUint16List,
)
from .hellorules import checkAlpnAnswer, serverNameExtension
from .keyexchange import KeyShare
from .messages import (
    Certificate12,
    CertificateRequest12,
    CertificateVerify,
    ClientHello,
    ClientKeyExchangeECDHE,
    HandshakeType,
    NewSessionTicket12,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchangeECDHE,
)
from .peerchain import verifiedServerChain
from .renegotiation12 import (
    checkExtendedMasterSecretKept,
    checkSecureRenegotiation,
    checkServerIdentityUnchanged,
)
from .state12 import (
    A,
    ExpectChangeCipherSpec,
    ExpectFinished12,
    HandshakeState12,
    State12,
    alpnToOffer,
    certificateMessage12,
    extensionData,
    keyTypeFits,
    leafKeyType,
    resumable12,
)
from .suites import (
    SUITES_BY_CODE,
    NamedGroup,
    SignatureScheme,
    groupsForTLS12,
)
from .tickets import ClientSession12, SessionState12

#: The extensions of ours a TLS 1.2 ServerHello may answer.
_SERVER_HELLO_12 = frozenset(
    int(t)
    for t in (
        ExtensionType.server_name,
        ExtensionType.ec_point_formats,
        ExtensionType.application_layer_protocol_negotiation,
        ExtensionType.extended_master_secret,
        ExtensionType.renegotiation_info,
        ExtensionType.session_ticket,
    )
)


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


class ClientStart12(State12):
    def sendClientHello(self) -> State12:
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
        alpn = alpnToOffer(hs)
        if alpn:
            exts.append((ExtensionType.application_layer_protocol_negotiation, encodeAlpn(alpn)))
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
        hs.offeredExtensions = frozenset(hello.extensions.types())
        hs.send(hello.toBytes())
        return ClientExpectServerHello12(hs)


class ClientExpectServerHello12(State12):
    expected = (HandshakeType.server_hello,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
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
        # RFC 5246 7.4.1.4: "If a client receives an extension type in
        # ServerHello that it did not request in the associated ClientHello,
        # it MUST abort the handshake with an unsupported_extension fatal
        # alert."  Of those we requested, only these have a TLS 1.2 answer.
        answerable = hs.offeredExtensions & _SERVER_HELLO_12
        for extType in hello.extensions.types():
            if extType not in answerable:
                raise PeerError(A.unsupported_extension, f"server sent extension {extType}")
        exts = hello.extensions
        hs.serverRandom = hello.random
        hs.suite = suite
        hs.transcript.chooseHash(suite.hashName)

        sni = extensionData(exts, ExtensionType.server_name)
        if sni is not None and sni != b"":
            raise PeerError(A.decode_error, "server_name in ServerHello must be empty")
        hs.serverName = config.serverName

        points = extensionData(exts, ExtensionType.ec_point_formats)
        if points is not None and EC_POINT_FORMAT_UNCOMPRESSED not in decodeEcPointFormats(points):
            raise PeerError(A.illegal_parameter, "server does not support uncompressed points")

        hs.alpnProtocol = checkAlpnAnswer(
            extensionData(exts, ExtensionType.application_layer_protocol_negotiation),
            alpnToOffer(hs),
        )
        if hs.previous is not None:
            # We offered only the connection's protocol, which the server
            # may name again or not at all: it stays (RFC 7301 3.1).
            hs.alpnProtocol = hs.previous.alpnProtocol

        ems = extensionData(exts, ExtensionType.extended_master_secret)
        if ems is not None:
            decodeEmpty(ems, "extended_master_secret")
            hs.extendedMasterSecret = True
        elif config.requireExtendedMasterSecret:
            raise PeerError(A.handshake_failure, "server does not support extended master secret")
        checkExtendedMasterSecretKept(hs)

        ri = extensionData(exts, ExtensionType.renegotiation_info)
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
        ticketExt = extensionData(exts, ExtensionType.session_ticket)
        if ticketExt is not None:
            decodeEmpty(ticketExt, "session_ticket")
            hs.ticketPromised = True
        if hs.resumeSession is not None and hs.sessionIdSent == hello.sessionId != b"":
            return self.resume(hs.resumeSession.state)
        hs.sessionId = hello.sessionId
        return _ClientExpectCertificate(hs)

    def resume(self, state: SessionState12) -> State12:
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
        then = ExpectChangeCipherSpec(hs, _ClientExpectResumedFinished)
        return _ExpectNewSessionTicket(hs, then) if hs.ticketPromised else then


class _ClientExpectCertificate(State12):
    expected = (HandshakeType.certificate,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
        hs = self.hs
        message = Certificate12.parse(body)
        if not message.certificates:
            raise PeerError(A.bad_certificate, "server sent no certificate")
        chain = verifiedServerChain(hs.config, hs.io, message.certificates)
        assert hs.suite is not None
        if not keyTypeFits(leafKeyType(chain[0]), hs.suite.keyExchange):
            raise PeerError(A.unsupported_certificate, "certificate key does not fit the suite")
        hs.peerChain = chain
        checkServerIdentityUnchanged(hs)
        hs.io.emit(PeerCertificateReceived(chain))
        return _ClientExpectServerKeyExchange(hs)


class _ClientExpectServerKeyExchange(State12):
    expected = (HandshakeType.server_key_exchange,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
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


class _ClientExpectCertificateRequestOrDone(State12):
    expected = (HandshakeType.certificate_request, HandshakeType.server_hello_done)

    def __init__(self, hs: HandshakeState12, serverPublic: bytes) -> None:
        super().__init__(hs)
        self.serverPublic = serverPublic

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
        if msgType == HandshakeType.certificate_request:
            hs = self.hs
            request = CertificateRequest12.parse(body)
            hs.certificateRequested = True
            answer = chooseCertificateAndScheme(
                hs.config,
                request.authorities,
                request.signatureSchemes,
                certificateTypes=request.certificateTypes,
            )
            if answer is not None:
                hs.credential, hs.clientScheme = answer
            return _ClientExpectServerHelloDone(hs, self.serverPublic)
        return _clientSendFlight(self.hs, body, self.serverPublic)


class _ClientExpectServerHelloDone(State12):
    expected = (HandshakeType.server_hello_done,)

    def __init__(self, hs: HandshakeState12, serverPublic: bytes) -> None:
        super().__init__(hs)
        self.serverPublic = serverPublic

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
        return _clientSendFlight(self.hs, body, self.serverPublic)


def _clientSendFlight(hs: HandshakeState12, doneBody: bytes, serverPublic: bytes) -> State12:
    """
    After ServerHelloDone: [Certificate], ClientKeyExchange,
    [CertificateVerify], ChangeCipherSpec, Finished.
    """
    ServerHelloDone.parse(doneBody)
    if hs.certificateRequested:
        hs.send(certificateMessage12(hs.credential))
    assert hs.keyShare is not None
    preMasterSecret = hs.keyShare.exchange(serverPublic)
    hs.send(ClientKeyExchangeECDHE(hs.keyShare.publicBytes()).toBytes())
    hs.deriveMasterSecret(preMasterSecret)
    if hs.credential is not None:
        assert hs.clientScheme is not None
        signature = hs.credential.sign(hs.clientScheme, hs.transcript.messages())
        hs.send(CertificateVerify(hs.clientScheme, signature).toBytes())
    hs.sendFinished()
    _, serverWrite = hs.protections()
    hs.pendingReadProtection = serverWrite
    then = ExpectChangeCipherSpec(hs, ExpectFinished12)
    return _ExpectNewSessionTicket(hs, then) if hs.ticketPromised else then


class _ExpectNewSessionTicket(State12):
    """
    Client: RFC 5077 3.3: the server promised a ticket; it comes right
    before its ChangeCipherSpec.
    """

    expected = (HandshakeType.new_session_ticket,)

    def __init__(self, hs: HandshakeState12, then: State12) -> None:
        super().__init__(hs)
        self.then = then

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
        self.hs.newTicket = NewSessionTicket12.parse(body)
        return self.then


class _ClientExpectResumedFinished(ExpectFinished12):
    """
    Abbreviated handshake: the server's Finished comes first; ours answers.
    """

    def afterFinished(self) -> State12:
        self.hs.sendFinished()
        return super().afterFinished()
