# -*- test-case-name: tests.tls.test_engine -*-
"""
The TLS 1.2 server (RFC 5246, RFC 8422, RFC 7627, RFC 5746, RFC 5077): one
state per expected message, from the ClientHello (suite, group, scheme,
ALPN, a session to resume) to the client's Finished; full and abbreviated
handshakes, client certificates, session tickets.
"""

from __future__ import annotations

import os

from .config import TLS12, TLS13, ClientAuth
from .credentials import verifySignature
from .errors import PeerError
from .extensions import (
    EC_POINT_FORMAT_UNCOMPRESSED,
    Extensions,
    ExtensionType,
    decodeAlpn,
    decodeEcPointFormats,
    decodeEmpty,
    decodeRenegotiationInfo,
    decodeServerName,
    decodeUint16List,
    encodeAlpn,
    encodeEcPointFormats,
    encodeRenegotiationInfo,
)
from .hellorules import DOWNGRADE_TLS12, checkNoFallback, checkTLS12Offered
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
from .peerchain import receiveClientChain
from .renegotiation12 import checkExtendedMasterSecretKept, checkSecureRenegotiation
from .state12 import (
    A,
    ExpectChangeCipherSpec,
    ExpectFinished12,
    HandshakeState12,
    State12,
    certificateCurveAccepted,
    certificateMessage12,
    chooseAlpn12,
    extensionData,
)
from .suites import (
    TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
    NamedGroup,
    groupsForTLS12,
)
from .tickets import DEFAULT_TICKET_LIFETIME, SessionState12


class ServerExpectClientHello12(State12):
    expected = (HandshakeType.client_hello,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
        hs = self.hs
        config = hs.config
        hello = ClientHello.parse(body)
        exts = hello.extensions
        checkTLS12Offered(hello, config.minVersion)
        checkNoFallback(hello, config.maxVersion, TLS12)
        if 0 not in hello.compressionMethods:
            # RFC 5246 7.4.1.2: the list "MUST contain ... CompressionMethod.null";
            # it parses, so illegal_parameter (what tlsfuzzer expects too).
            raise PeerError(A.illegal_parameter, "client does not offer null compression")
        hs.clientRandom = hello.random

        self.checkRenegotiationInfo(hello)

        sni = extensionData(exts, ExtensionType.server_name)
        hs.serverName = decodeServerName(sni) if sni is not None else None
        credential = config.credentialFor(hs.serverName)
        assert credential is not None

        groupsRaw = extensionData(exts, ExtensionType.supported_groups)
        # RFC 8422 section 4: no supported_groups means any curve; P-256 is
        # the one everybody has.
        clientGroups = (
            decodeUint16List(groupsRaw) if groupsRaw is not None else (int(NamedGroup.secp256r1),)
        )
        group = next((g for g in groupsForTLS12(config.groups) if g in clientGroups), None)

        points = extensionData(exts, ExtensionType.ec_point_formats)
        if points is not None and EC_POINT_FORMAT_UNCOMPRESSED not in decodeEcPointFormats(points):
            raise PeerError(A.illegal_parameter, "client does not support uncompressed points")

        schemesRaw = extensionData(exts, ExtensionType.signature_algorithms)
        clientSchemes = decodeUint16List(schemesRaw) if schemesRaw is not None else ()
        scheme = credential.chooseScheme(clientSchemes)

        suite = next(
            (
                s
                for s in config.cipherSuites
                if s.code in hello.cipherSuites
                and credential.compatibleWith(s.keyExchange)
                and certificateCurveAccepted(credential, groupsRaw is not None, clientGroups)
            ),
            None,
        )
        if suite is None:
            raise PeerError(A.handshake_failure, "no cipher suite in common")
        if group is None:
            raise PeerError(A.handshake_failure, "no key-exchange group in common")
        if scheme is None:
            raise PeerError(A.handshake_failure, "no signature scheme in common")

        alpn = extensionData(exts, ExtensionType.application_layer_protocol_negotiation)
        chooseAlpn12(hs, None if alpn is None else decodeAlpn(alpn))

        ems = extensionData(exts, ExtensionType.extended_master_secret)
        if ems is not None:
            decodeEmpty(ems, "extended_master_secret")
            hs.extendedMasterSecret = True
        elif config.requireExtendedMasterSecret:
            raise PeerError(A.handshake_failure, "client does not support extended master secret")
        checkExtendedMasterSecretKept(hs)

        hs.pointFormatsOffered = points is not None
        ticket = extensionData(exts, ExtensionType.session_ticket)
        hs.ticketOffered = ticket is not None
        if not hs.isRenegotiation:
            session = self.findSession(hello, ticket)
            if session is not None:
                return self.resume(hello, session)
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
        offered, same server name, a client certificate if we require one,
        and the same extended-master-secret use (RFC 7627 5.3).

        @raise PeerError: handshake_failure for a session that had the
            extended master secret offered by a hello without it: RFC 7627
            5.3, "the server MUST abort the abbreviated handshake".  (The
            reverse, a session without it and a hello with it, "MUST NOT"
            be resumed and goes on as a full handshake.)
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
            or state.serverName != hs.serverName
            or (hs.clientAuth is ClientAuth.REQUIRE and not state.peerChain)
        ):
            return None
        if state.extendedMasterSecret and not hs.extendedMasterSecret:
            raise PeerError(
                A.handshake_failure, "resumption without extended master secret (RFC 7627 5.3)"
            )
        if state.extendedMasterSecret != hs.extendedMasterSecret:
            return None
        return state

    def resume(self, hello: ClientHello, state: SessionState12) -> State12:
        """
        The abbreviated handshake: ServerHello echoing the client's session
        ID, a renewed ticket if tickets are in use, then our ChangeCipherSpec
        and Finished first.  No server_name in it: RFC 6066 3, "When
        resuming a session, the server MUST NOT include a server_name
        extension in the server hello".
        """
        hs = self.hs
        hs.resumed = True
        hs.suite, hs.group = state.suite, state.group
        hs.masterSecret, hs.peerChain = state.masterSecret, state.peerChain
        hs.transcript.chooseHash(state.suite.hashName)
        hs.sessionId = hello.sessionId
        self.sendServerHello(echoSni=False)
        if hs.ticketPromised:
            sendTicket12(hs, state)
        hs.sendFinished()
        clientWrite, _ = hs.protections()
        hs.pendingReadProtection = clientWrite
        return ExpectChangeCipherSpec(hs, ExpectFinished12)

    def checkRenegotiationInfo(self, hello: ClientHello) -> None:
        """
        RFC 5746 section 3.6 (initial) and 3.7 (renegotiation).
        """
        hs = self.hs
        ri = extensionData(hello.extensions, ExtensionType.renegotiation_info)
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
        if hs.pointFormatsOffered:
            # RFC 8422 5.2 and RFC 5246 7.4.1.4: only in answer to the
            # client's own; a strict client aborts on an unsolicited one.
            exts.append((ExtensionType.ec_point_formats, encodeEcPointFormats()))
        if hs.alpnAnswer is not None:
            exts.append(
                (
                    ExtensionType.application_layer_protocol_negotiation,
                    encodeAlpn([hs.alpnAnswer]),
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

    def sendServerFlight(self, echoSni: bool) -> State12:
        hs = self.hs
        config = hs.config
        assert hs.suite is not None and hs.group is not None and hs.credential is not None
        assert hs.serverScheme is not None
        if not hs.isRenegotiation and config.sessionCache is not None:
            hs.sessionId = os.urandom(32)
        self.sendServerHello(echoSni)
        hs.send(certificateMessage12(hs.credential))
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
                    authorities=config.clientCANames,
                ).toBytes()
            )
        hs.send(ServerHelloDone().toBytes())
        if hs.certificateRequested:
            return _ServerExpectCertificate(hs)
        return _ServerExpectClientKeyExchange(hs)


class _ServerExpectCertificate(State12):
    expected = (HandshakeType.certificate,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
        hs = self.hs
        message = Certificate12.parse(body)
        if not message.certificates:
            if hs.clientAuth is ClientAuth.REQUIRE:
                raise PeerError(A.handshake_failure, "client certificate required")
            return _ServerExpectClientKeyExchange(hs)
        judged = receiveClientChain(
            hs.config, hs.io, message.certificates, hs.clientCertificateAdvisory
        )
        hs.offeredChain, hs.peerChain = judged.offered, judged.accepted
        hs.peerCertificateError = judged.rejection
        return _ServerExpectClientKeyExchange(hs)


class _ServerExpectClientKeyExchange(State12):
    expected = (HandshakeType.client_key_exchange,)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
        hs = self.hs
        cke = ClientKeyExchangeECDHE.parse(body)
        assert hs.keyShare is not None
        preMasterSecret = hs.keyShare.exchange(cke.publicKey)
        hs.deriveMasterSecret(preMasterSecret)
        clientWrite, _ = hs.protections()
        hs.pendingReadProtection = clientWrite
        if hs.offeredChain:
            return _ServerExpectCertificateVerify(hs)
        return ExpectChangeCipherSpec(hs, _ServerExpectFinished)


class _ServerExpectCertificateVerify(State12):
    expected = (HandshakeType.certificate_verify,)
    transcriptFirst = False

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State12:
        hs = self.hs
        verify = CertificateVerify.parse(body)
        if verify.signatureScheme not in hs.requestedSchemes:
            raise PeerError(
                A.illegal_parameter, f"client signed with scheme {verify.signatureScheme:#06x}"
            )
        # Proof of possession is checked for a refused certificate too: a
        # client that cannot sign is broken or lying, whatever its chain.
        verifySignature(
            hs.offeredChain[0], verify.signatureScheme, verify.signature, hs.transcript.messages()
        )
        hs.transcript.update(raw)
        return ExpectChangeCipherSpec(hs, _ServerExpectFinished)


class _ServerExpectFinished(ExpectFinished12):
    def afterFinished(self) -> State12:
        hs = self.hs
        if hs.ticketPromised:
            sendTicket12(hs, hs.sessionState(hs.io.now().timestamp(), DEFAULT_TICKET_LIFETIME))
        hs.sendFinished()
        return super().afterFinished()


def sendTicket12(hs: HandshakeState12, state: SessionState12) -> None:
    """
    RFC 5077 3.3: the session sealed under our ticket keys, before our
    ChangeCipherSpec.
    """
    keys = hs.config.ticketKeys
    assert keys is not None
    ticket = keys.seal(state.toBytes())
    hs.send(NewSessionTicket12(min(keys.lifetime, state.lifetime), ticket).toBytes())
