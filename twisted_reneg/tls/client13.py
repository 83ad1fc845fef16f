# -*- test-case-name: tests.tls.test_engine13 -*-
"""
The TLS 1.3 client (RFC 8446): one state class per expected message, from
our ClientHello (key shares, a ticket to resume with, TLS 1.2 offered too
when allowed) to our Finished; a HelloRetryRequest answered once; a server
choosing TLS 1.2 handed over to L{Handshake12} after the downgrade check.
"""

from __future__ import annotations

import os

from .client12 import sessionIdToOffer, tls12HelloExtensions
from .clientauth import readCertificateRequest13
from .config import TLS12, TLS13, TLSConfig
from .errors import PeerError, UnexpectedMessage
from .events import PeerCertificateReceived
from .extensions import (
    PSK_DHE_KE,
    Extensions,
    ExtensionType,
    OfferedPsks,
    decodeCookie,
    decodeKeyShareServer,
    decodeSelectedGroup,
    decodeSelectedIdentity,
    decodeSupportedVersionServer,
    encodeAlpn,
    encodeKeyShareClient,
    encodePskModes,
    encodeSupportedVersionsClient,
    encodeUint16List,
)
from .handshake12 import Handshake12
from .hellorules import (
    DOWNGRADE_TLS11,
    DOWNGRADE_TLS12,
    ENCRYPTED_EXTENSIONS,
    HELLO_RETRY_REQUEST,
    SERVER_HELLO_13,
    checkAlpnAnswer,
    checkResponseExtensions,
    serverNameExtension,
)
from .keyexchange import KeyShare
from .keyschedule import (
    Transcript,
    hashLength,
    pskBinder13,
)
from .messages import (
    Certificate13,
    ClientHello,
    EncryptedExtensions,
    Finished,
    HandshakeType,
    ServerHello,
)
from .peerchain import verifiedServerChain
from .state12 import resumable12
from .state13 import (
    HRR_RANDOM,
    A,
    Complete13,
    ExpectCertificateVerify13,
    ExpectFinished13,
    HandshakeState13,
    State13,
    sendClientCertificate13,
)
from .suites import (
    SUITES13_BY_CODE,
    TLS13_ONLY_GROUPS,
    CipherSuite13,
    NamedGroup,
    groupsForTLS12,
)
from .tickets import ClientTicket13

#: The one resumption mode we accept: psk_dhe_ke, a PSK with a fresh
#: key exchange (forward secrecy); never psk_ke (RFC 8446 4.2.9).
PSK_MODES = encodePskModes(bytes((PSK_DHE_KE,)))


class FellBackToTLS12(State13):
    """
    Client: the server chose TLS 1.2; C{handshake} goes on from here.
    """

    def __init__(self, hs: HandshakeState13, handshake: Handshake12) -> None:
        super().__init__(hs)
        self.handshake = handshake


class ClientStart13(State13):
    def sendClientHello(self) -> State13:
        hs = self.hs
        config = hs.config
        ticket = config.resumeTicket
        now = hs.io.now().timestamp()
        if config.minVersion <= TLS12:
            hs.offeredSession12 = resumable12(config, now)
        if (
            isinstance(ticket, ClientTicket13)
            and ticket.validAt(now)
            and ticket.serverName == config.serverName
            and any(s.hashName == ticket.suite.hashName for s in config.tls13Suites)
        ):
            hs.offeredTicket = ticket
        groups = initialShareGroups(config.groups)
        # A TLS 1.2 session ID to resume goes where 1.3 wants random bytes
        # (RFC 8446 4.1.2).
        sessionId = sessionIdToOffer(hs.offeredSession12) or os.urandom(32)
        hs.keyShares = {g: KeyShare.generate(g) for g in groups}
        hello = _clientHello(config, hs, os.urandom(32), sessionId)
        hs.offeredExtensions = frozenset(hello.extensions.types())
        hs.send(hello.toBytes())
        return _ClientExpectServerHello(hs, hello)


def initialShareGroups(groups: tuple[NamedGroup, ...]) -> tuple[NamedGroup, ...]:
    """
    The groups our first ClientHello carries shares for: the preferred one
    and, when that is the hybrid, also the first classical group, so that a
    server without ML-KEM need not send a HelloRetryRequest (as browsers do).
    """
    first = groups[0]
    if first not in TLS13_ONLY_GROUPS:
        return (first,)
    classical = groupsForTLS12(groups)
    return (first, classical[0]) if classical else (first,)


def _clientHello(
    config: TLSConfig,
    hs: HandshakeState13,
    random: bytes,
    sessionId: bytes,
    cookie: bytes | None = None,
) -> ClientHello:
    """
    Our ClientHello, with the key shares in C{hs.keyShares}; after a
    HelloRetryRequest the same hello with the share asked for (if it asked
    for one) and the cookie (if it sent one).
    """
    exts = serverNameExtension(config)
    alsoTLS12 = config.minVersion <= TLS12
    versions = [TLS13, TLS12] if alsoTLS12 else [TLS13]
    exts += [
        (ExtensionType.supported_versions, encodeSupportedVersionsClient(versions)),
        (ExtensionType.supported_groups, encodeUint16List(config.groups)),
        (ExtensionType.signature_algorithms, encodeUint16List(config.signatureSchemes)),
        (
            ExtensionType.key_share,
            encodeKeyShareClient([(g, share.publicBytes()) for g, share in hs.keyShares.items()]),
        ),
    ]
    if cookie is not None:
        exts.append((ExtensionType.cookie, cookie))
    if config.offersPostHandshakeAuth:
        hs.postHandshakeAuth = True
        exts.append((ExtensionType.post_handshake_auth, b""))
    if config.alpnProtocols:
        exts.append(
            (
                ExtensionType.application_layer_protocol_negotiation,
                encodeAlpn(config.alpnProtocols),
            )
        )
    suites = [s.code for s in config.tls13Suites]
    if alsoTLS12:
        session12 = hs.offeredSession12
        exts += tls12HelloExtensions(config, b"", (session12.ticket if session12 else None) or b"")
        suites += [s.code for s in config.cipherSuites]
    ticket = hs.offeredTicket
    if config.resumesSessions or ticket is not None:
        # RFC 8446 4.2.9: without it servers send no tickets; with a ticket
        # it must come, and before pre_shared_key, which is last (4.2.11).
        exts.append((ExtensionType.psk_key_exchange_modes, PSK_MODES))
    hello = ClientHello(
        legacyVersion=TLS12,
        random=random,
        sessionId=sessionId,  # middlebox compatibility mode (D.4)
        cipherSuites=tuple(suites),
        compressionMethods=b"\x00",
        extensions=Extensions(tuple((int(t), d) for t, d in exts)),
    )
    return hello if ticket is None else _withTicket(hello, ticket, hs)


def _withTicket(hello: ClientHello, ticket: ClientTicket13, hs: HandshakeState13) -> ClientHello:
    """
    RFC 8446 4.2.11: offer C{ticket}: pre_shared_key last (after the
    psk_key_exchange_modes that C{hello} has), its binder over the hello up
    to the binders.
    """
    hashName = ticket.suite.hashName
    age = ticket.obfuscatedAge(hs.io.now().timestamp())
    placeholder = OfferedPsks(((ticket.ticket, age),), (bytes(hashLength(hashName)),))
    offered = hello.withExtensions(
        Extensions(
            hello.extensions.items + ((int(ExtensionType.pre_shared_key), placeholder.toBytes()),)
        )
    )
    raw = offered.toBytes()
    truncated = raw[: len(raw) - placeholder.bindersLength()]
    if hs.retried:
        transcriptHash = hs.transcriptHashWith(truncated)
    else:
        first = Transcript()
        first.chooseHash(hashName)
        first.update(truncated)
        transcriptHash = first.digest()
    binder = pskBinder13(hashName, ticket.psk, transcriptHash)
    final = OfferedPsks(placeholder.identities, (binder,))
    # Framed once: the hello with the real binder differs from the one
    # just framed only in the binder's bytes (bench/engine.py's resumed
    # row, client column).
    return offered.withFinalBinders(final.toBytes(), final.bindersBytes())


class _ClientExpectServerHello(State13):
    expected = (HandshakeType.server_hello,)
    transcriptFirst = False

    def __init__(self, hs: HandshakeState13, hello: ClientHello, retried: bool = False) -> None:
        super().__init__(hs)
        self.hello = hello
        self.retried = retried

    @property
    def ccsAllowed(self) -> bool:  # type: ignore[override]
        # The server's compatibility CCS may follow its HelloRetryRequest.
        return self.retried

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State13:
        hs = self.hs
        hello = ServerHello.parse(body)
        versionRaw = hello.extensions.get(ExtensionType.supported_versions)
        if versionRaw is None and hs.config.minVersion <= TLS12 and not self.retried:
            return self.fallBack(hello, body, raw)
        if versionRaw is None:
            # RFC 5246 E.1: a version we do not accept is protocol_version.
            raise PeerError(A.protocol_version, "server did not choose TLS 1.3")
        if decodeSupportedVersionServer(versionRaw) != TLS13:
            # RFC 8446 4.2.1: "a version not offered by the client or ... a
            # version prior to TLS 1.3": illegal_parameter.
            raise PeerError(A.illegal_parameter, "supported_versions does not select TLS 1.3")
        if hello.sessionId != self.hello.sessionId:
            raise PeerError(A.illegal_parameter, "legacy_session_id_echo does not match")
        suite = SUITES13_BY_CODE.get(hello.cipherSuite)
        if suite is None or suite not in hs.config.tls13Suites or hello.compressionMethod != 0:
            raise PeerError(A.illegal_parameter, "server chose a suite we did not offer")
        if self.retried and suite is not hs.suite:
            raise PeerError(A.illegal_parameter, "suite changed after HelloRetryRequest")
        if hello.random == HRR_RANDOM:
            return self.retry(hello, suite, raw)
        checkResponseExtensions(
            hello.extensions.types(), hs.offeredExtensions, SERVER_HELLO_13, "ServerHello"
        )
        shareRaw = hello.extensions.get(ExtensionType.key_share)
        if shareRaw is None:
            raise PeerError(A.missing_extension, "no key_share in ServerHello")
        group, public = decodeKeyShareServer(shareRaw)
        share = hs.keyShares.get(group)
        if share is None:
            raise PeerError(A.illegal_parameter, "server key share for a group we did not share")
        hs.suite, hs.group = suite, NamedGroup(group)
        selected = hello.extensions.get(ExtensionType.pre_shared_key)
        ticket = hs.offeredTicket
        if selected is not None and ticket is not None:
            if decodeSelectedIdentity(selected) != 0:
                raise PeerError(A.illegal_parameter, "server selected a PSK we did not offer")
            if suite.hashName != ticket.suite.hashName:
                raise PeerError(A.illegal_parameter, "resumed with a suite of another hash")
            hs.psk, hs.peerChain = ticket.psk, ticket.peerChain
        if not self.retried:
            hs.transcript.chooseHash(suite.hashName)
        hs.transcript.update(raw)
        hs.deriveHandshakeSecrets(share.exchange(public))
        assert hs.handshakeSecrets is not None
        hs.io.changeReadProtection(hs.protection(hs.handshakeSecrets.server))
        # Our next records, an alert included if the server's flight fails
        # us, go under our handshake key, after the compatibility CCS (D.4).
        hs.io.sendChangeCipherSpec()
        hs.io.changeWriteProtection(hs.protection(hs.handshakeSecrets.client))
        return _ClientExpectEncryptedExtensions(hs)

    def fallBack(self, hello: ServerHello, body: bytes, raw: bytes) -> State13:
        """
        The server answered our offer of TLS 1.3 and 1.2 with 1.2: a
        L{Handshake12} takes over from our ClientHello.  RFC 8446 4.1.3: a
        server able to do 1.3 marks its random when it picks an older
        version; seeing the mark means someone removed our offer of 1.3.
        """
        hs = self.hs
        if hello.random[-8:] in (DOWNGRADE_TLS12, DOWNGRADE_TLS11):
            raise PeerError(A.illegal_parameter, "downgrade sentinel in a TLS 1.2 ServerHello")
        if hello.sessionId == self.hello.sessionId and hs.offeredSession12 is None:
            # Our session ID is random, for middleboxes: nothing to resume.
            raise PeerError(A.illegal_parameter, "server resumed a session we never had")
        hs.keyShares = {}
        handshake = Handshake12.afterClientHello(
            hs.config,
            hs.io,
            self.hello.random,
            self.hello.toBytes(),
            hs.offeredSession12,
            self.hello.sessionId,
            frozenset(self.hello.extensions.types()),
        )
        handshake.receiveMessage(HandshakeType.server_hello, body, raw)
        return FellBackToTLS12(hs, handshake)

    def retry(self, retry: ServerHello, suite: CipherSuite13, raw: bytes) -> State13:
        """
        RFC 8446 4.1.4: answer a HelloRetryRequest once, with a share for
        the group it names (a group we offered and did not share yet).
        """
        hs = self.hs
        if self.retried:
            raise UnexpectedMessage(("server_hello",), "a second HelloRetryRequest")
        # RFC 8446 4.2: cookie is the one extension a server may send unasked.
        checkResponseExtensions(
            retry.extensions.types(),
            hs.offeredExtensions | {int(ExtensionType.cookie)},
            HELLO_RETRY_REQUEST,
            "HelloRetryRequest",
        )
        selected = retry.extensions.get(ExtensionType.key_share)
        cookie = retry.extensions.get(ExtensionType.cookie)
        if selected is None and cookie is None:
            # RFC 8446 4.1.4: "if the HelloRetryRequest would not result in
            # any change in the ClientHello": illegal_parameter.
            raise PeerError(A.illegal_parameter, "HelloRetryRequest that asks for nothing")
        if cookie is not None:
            decodeCookie(cookie)  # well formed, or decode_error
        if selected is not None:
            group = decodeSelectedGroup(selected)
            # RFC 8446 4.2.8: a group we offered and did not share yet.
            if group not in hs.config.groups or group in hs.keyShares:
                raise PeerError(A.illegal_parameter, f"HelloRetryRequest for group {group:#06x}")
            hs.keyShares = {group: KeyShare.generate(NamedGroup(group))}
        hs.suite = suite
        hs.retried = True
        hs.restartTranscriptForRetry(self.hello.toBytes())
        hs.transcript.update(raw)
        if hs.offeredTicket is not None and hs.offeredTicket.suite.hashName != suite.hashName:
            hs.offeredTicket = None  # its binder could not cover this transcript
        # Without a group asked for, the same shares go again (RFC 8446
        # 4.1.2: the second hello changes only what the retry asks).
        second = _clientHello(hs.config, hs, self.hello.random, self.hello.sessionId, cookie)
        hs.offeredExtensions = frozenset(second.extensions.types())
        hs.send(second.toBytes())
        return _ClientExpectServerHello(hs, second, retried=True)


class _ClientExpectEncryptedExtensions(State13):
    expected = (HandshakeType.encrypted_extensions,)
    ccsAllowed = True

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State13:
        hs = self.hs
        ee = EncryptedExtensions.parse(body)
        checkResponseExtensions(
            ee.extensions.types(),
            hs.offeredExtensions,
            ENCRYPTED_EXTENSIONS,
            "EncryptedExtensions",
        )
        sni = ee.extensions.get(ExtensionType.server_name)
        if sni is not None and sni != b"":
            # RFC 6066 3: the server's "extension_data" field "SHALL be empty".
            raise PeerError(A.decode_error, "server_name in EncryptedExtensions must be empty")
        hs.alpnProtocol = checkAlpnAnswer(
            ee.extensions.get(ExtensionType.application_layer_protocol_negotiation),
            hs.config.alpnProtocols,
        )
        hs.serverName = hs.config.serverName
        if hs.resumed:
            return _ClientExpectFinished(hs)
        return _ClientExpectCertificate(hs)


class _ClientExpectCertificate(State13):
    expected = (HandshakeType.certificate_request, HandshakeType.certificate)
    ccsAllowed = True

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State13:
        hs = self.hs
        if msgType == HandshakeType.certificate_request:
            if hs.certificateRequested:
                raise UnexpectedMessage(("certificate",), "certificate_request")
            hs.certificateRequest = readCertificateRequest13(body)
            hs.certificateRequested = True
            return self
        message = Certificate13.parse(body)
        if message.context:
            raise PeerError(A.illegal_parameter, "certificate_request_context must be empty")
        if not message.certificates:
            raise PeerError(A.decode_error, "server sent no certificate")
        chain = verifiedServerChain(hs.config, hs.io, message.certificates)
        hs.peerChain = chain
        hs.io.emit(PeerCertificateReceived(chain))
        return ExpectCertificateVerify13(hs, _ClientExpectFinished)


class _ClientExpectFinished(ExpectFinished13):
    def afterFinished(self) -> State13:
        hs = self.hs
        assert hs.handshakeSecrets is not None and hs.master is not None
        # Both derive from Transcript-Hash(ClientHello..server Finished).
        throughFinished = hs.transcript.digest()
        hs.applicationSecrets = hs.master.trafficSecrets(throughFinished)
        hs.exporterMasterSecret = hs.master.exporterMasterSecret(throughFinished)
        hs.io.changeReadProtection(hs.protection(hs.applicationSecrets.server))
        if hs.certificateRequest is not None:
            # Chosen only now that the server's Finished has authenticated
            # the request, CA names included.
            sendClientCertificate13(hs.config, hs.certificateRequest, hs.transcript, hs.send)
        hs.send(Finished(hs.finishedFor(hs.handshakeSecrets.client)).toBytes())
        hs.io.changeWriteProtection(hs.protection(hs.applicationSecrets.client))
        hs.finish()
        return Complete13(hs)
