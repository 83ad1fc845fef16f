# -*- test-case-name: tests.test_engine13 -*-
"""
The TLS 1.3 handshake (RFC 8446), 1-RTT with (EC)DHE, client and server.

Same shape as L{handshake12}: one state class per expected message, the
per-handshake facts on a L{_Handshake13} thrown away at the end.  A client
offering TLS 1.2 too hands over to L{Handshake12} when the server picks 1.2.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field, replace
from typing import ClassVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .config import TLS12, TLS13, ClientAuth, TLSConfig
from .credentials import Credential, verifySignature
from .errors import AlertDescription, PeerError, UnexpectedMessage
from .events import PeerCertificateReceived
from .handshake12 import (
    DOWNGRADE_TLS11,
    DOWNGRADE_TLS12,
    Handshake12,
    HandshakeIO,
    resumable12,
    sessionIdToOffer,
    tls12HelloExtensions,
    verifiedClientChain,
    verifiedServerChain,
)
from .keyexchange import KeyShare, respond
from .keyschedule import (
    EarlySecret13,
    MasterSecret13,
    TrafficSecrets13,
    Transcript,
    finishedVerifyData13,
    pskBinder13,
    trafficKeys13,
)
from .messages import (
    PSK_DHE_KE,
    Certificate13,
    CertificateRequest13,
    CertificateVerify,
    ClientHello,
    EncryptedExtensions,
    Extensions,
    ExtensionType,
    Finished,
    HandshakeType,
    OfferedPsks,
    ServerHello,
    decodeAlpn,
    decodeCookie,
    decodeKeyShareClient,
    decodeKeyShareServer,
    decodePskModes,
    decodeSelectedIdentity,
    decodeServerName,
    decodeSupportedVersionsClient,
    decodeSupportedVersionServer,
    decodeUint16List,
    encodeAlpn,
    encodeCookie,
    encodeKeyShareClient,
    encodeKeyShareServer,
    encodePskModes,
    encodeServerName,
    encodeSupportedVersionsClient,
    encodeUint16List,
    frameHandshake,
    messageName,
)
from .records import tls13Protection
from .suites import (
    SUITES13_BY_CODE,
    TLS13_ONLY_GROUPS,
    CipherSuite13,
    NamedGroup,
    SignatureScheme,
    groupsForTLS12,
)
from .tickets import ClientSession12, ClientTicket13, TicketState13

A = AlertDescription
_DER = Encoding.DER

#: RFC 8446 4.1.3: the ServerHello.random that makes it a HelloRetryRequest.
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

#: RFC 8446 4.4.3: what a CertificateVerify signature covers.
SERVER_SIGNATURE_CONTEXT = b" " * 64 + b"TLS 1.3, server CertificateVerify\x00"
CLIENT_SIGNATURE_CONTEXT = b" " * 64 + b"TLS 1.3, client CertificateVerify\x00"


@dataclass(frozen=True)
class HandshakeResult13:
    suite: CipherSuite13
    group: NamedGroup
    #: C{None} when resumed: no certificate was signed with.
    serverSignatureScheme: SignatureScheme | None
    serverName: str | None
    alpnProtocol: bytes | None
    peerChain: tuple[x509.Certificate, ...] = field(repr=False)
    applicationSecrets: TrafficSecrets13 = field(repr=False)
    #: when post-handshake authentication was offered: the transcript
    #: through the client Finished, for the exchanges to fork from.
    postHandshakeTranscript: Transcript | None = field(default=None, repr=False)
    #: RFC 8446 7.1, the base of the PSKs of tickets for this session.
    resumptionMasterSecret: bytes = field(default=b"", repr=False)
    resumed: bool = False


class _Handshake13:
    def __init__(self, config: TLSConfig, io: HandshakeIO) -> None:
        self.config = config
        self.io = io
        self.transcript = Transcript()
        self.suite: CipherSuite13 | None = None
        self.group: NamedGroup | None = None
        #: client: the key shares we offered, by group.
        self.keyShares: dict[int, KeyShare] = {}
        self.scheme: SignatureScheme | None = None
        self.serverName: str | None = None
        self.alpnProtocol: bytes | None = None
        self.peerChain: tuple[x509.Certificate, ...] = ()
        self.credential: Credential | None = None
        self.handshakeSecrets: TrafficSecrets13 | None = None
        self.master: MasterSecret13 | None = None
        self.applicationSecrets: TrafficSecrets13 | None = None
        self.certificateRequested = False
        self.requestedSchemes: tuple[int, ...] = ()
        self.requestContext = b""
        self.ccsSeen = False
        self.retried = False
        #: whether the client offered post_handshake_auth (RFC 8446 4.2.6).
        self.postHandshakeAuth = False
        #: client: the ticket offered in our ClientHello, if any, and the
        #: TLS 1.2 session offered beside it when we offer 1.2 too.
        self.offeredTicket: ClientTicket13 | None = None
        self.offeredSession12: ClientSession12 | None = None
        #: the resumption PSK in use, once both sides agreed on it.
        self.psk: bytes | None = None
        self.result: HandshakeResult13 | None = None

    @property
    def resumed(self) -> bool:
        return self.psk is not None

    def restartTranscriptForRetry(self, firstHello: bytes) -> None:
        """
        RFC 8446 4.4.1: after a HelloRetryRequest the first ClientHello is
        replaced in the transcript by a message_hash of it.
        """
        assert self.suite is not None
        first = Transcript()
        first.chooseHash(self.suite.hashName)
        first.update(firstHello)
        self.transcript = Transcript()
        self.transcript.chooseHash(self.suite.hashName)
        self.transcript.update(frameHandshake(HandshakeType.message_hash, first.digest()))

    def send(self, raw: bytes) -> None:
        self.transcript.update(raw)
        self.io.sendHandshake(raw)

    def transcriptHashWith(self, partial: bytes) -> bytes:
        """
        The transcript hash as if C{partial} (a truncated ClientHello, for
        a PSK binder) came next, leaving the transcript as it is.
        """
        forked = self.transcript.fork()
        forked.update(partial)
        return forked.digest()

    def protection(self, secret: bytes):  # type: ignore[no-untyped-def]
        suite = self.suite
        assert suite is not None
        key, iv = trafficKeys13(suite.hashName, secret, suite.keyLength)
        return tls13Protection(suite.aead, key, iv)

    def deriveHandshakeSecrets(self, sharedSecret: bytes) -> None:
        assert self.suite is not None
        early = EarlySecret13(self.suite.hashName, self.psk)
        handshake = early.intoHandshake(sharedSecret)
        self.handshakeSecrets = handshake.trafficSecrets(self.transcript.digest())
        self.master = handshake.intoMaster()

    def finishedFor(self, secret: bytes) -> bytes:
        assert self.suite is not None
        return finishedVerifyData13(self.suite.hashName, secret, self.transcript.digest())

    def finish(self) -> None:
        """
        The transcript now runs through the client Finished.
        """
        assert self.suite and self.group and self.applicationSecrets and self.master
        assert self.scheme or self.resumed
        self.result = HandshakeResult13(
            self.suite,
            self.group,
            self.scheme,
            self.serverName,
            self.alpnProtocol,
            self.peerChain,
            self.applicationSecrets,
            self.transcript.fork() if self.postHandshakeAuth else None,
            self.master.resumptionMasterSecret(self.transcript.digest()),
            self.resumed,
        )
        self.psk = None
        self.keyShares = {}
        self.master = None
        self.handshakeSecrets = None


class _State:
    expected: ClassVar[tuple[HandshakeType, ...]] = ()
    transcriptFirst: ClassVar[bool] = True
    #: RFC 8446 D.4: one ChangeCipherSpec may appear while the peer's
    #: handshake is in flight; it is ignored.
    ccsAllowed: ClassVar[bool] = False

    def __init__(self, hs: _Handshake13) -> None:
        self.hs = hs

    def receive(self, msgType: int, body: bytes, raw: bytes) -> _State:
        if msgType not in self.expected:
            raise UnexpectedMessage(tuple(t.name for t in self.expected), messageName(msgType))
        if self.transcriptFirst:
            self.hs.transcript.update(raw)
        return self.handle(msgType, body, raw)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        raise NotImplementedError

    def receiveChangeCipherSpec(self) -> _State:
        if not self.ccsAllowed or self.hs.ccsSeen:
            raise UnexpectedMessage(tuple(t.name for t in self.expected), "change_cipher_spec")
        self.hs.ccsSeen = True
        return self


class Complete13(_State):
    pass


class _FellBackToTLS12(_State):
    """
    Client: the server chose TLS 1.2; C{handshake} goes on from here.
    """

    def __init__(self, hs: _Handshake13, handshake: Handshake12) -> None:
        super().__init__(hs)
        self.handshake = handshake


class Handshake13:
    """
    One TLS 1.3 handshake; the connection feeds it messages.
    """

    version = TLS13

    def __init__(self, config: TLSConfig, io: HandshakeIO) -> None:
        self._hs = _Handshake13(config, io)
        self._state: _State = (
            _ClientStart(self._hs) if config.isClient else _ServerExpectClientHello(self._hs)
        )

    @property
    def result(self) -> HandshakeResult13 | None:
        return self._hs.result

    @property
    def complete(self) -> bool:
        return isinstance(self._state, Complete13)

    @property
    def fallback(self) -> Handshake12 | None:
        """
        Client: the TLS 1.2 handshake to go on with, once the server has
        chosen TLS 1.2.
        """
        state = self._state
        return state.handshake if isinstance(state, _FellBackToTLS12) else None

    @property
    def started(self) -> bool:
        return not isinstance(self._state, _ClientStart | _ServerExpectClientHello)

    def start(self) -> None:
        assert isinstance(self._state, _ClientStart)
        self._state = self._state.sendClientHello()

    def receiveMessage(self, msgType: int, body: bytes, raw: bytes) -> None:
        self._state = self._state.receive(msgType, body, raw)

    def receiveChangeCipherSpec(self) -> None:
        self._state = self._state.receiveChangeCipherSpec()


def offersTLS13(hello: ClientHello) -> bool:
    """
    Whether a ClientHello offers TLS 1.3 (RFC 8446 4.2.1).
    """
    data = hello.extensions.get(ExtensionType.supported_versions)
    return data is not None and TLS13 in decodeSupportedVersionsClient(data)


def certificateMessage13(credential: Credential | None, context: bytes = b"") -> bytes:
    chain = credential.chain if credential is not None else ()
    return Certificate13(context, tuple(c.public_bytes(_DER) for c in chain)).toBytes()


# --- server -------------------------------------------------------------------


class _ServerExpectClientHello(_State):
    expected = (HandshakeType.client_hello,)
    transcriptFirst = False

    def __init__(
        self, hs: _Handshake13, retryGroup: int | None = None, cookie: bytes = b""
    ) -> None:
        super().__init__(hs)
        self.retryGroup = retryGroup
        #: the cookie extension's body we sent in the HelloRetryRequest
        self.cookie = cookie

    @property
    def ccsAllowed(self) -> bool:  # type: ignore[override]
        # A client in compatibility mode sends its CCS before the second
        # ClientHello.
        return self.retryGroup is not None

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        config = hs.config
        hello = ClientHello.parse(body)
        exts = hello.extensions
        if hello.legacyVersion != TLS12:
            raise PeerError(A.protocol_version, "TLS 1.3 ClientHello must say 0x0303")
        if hello.compressionMethods != b"\x00":
            raise PeerError(A.illegal_parameter, "TLS 1.3 forbids compression")
        if not offersTLS13(hello):
            raise PeerError(A.protocol_version, "client does not offer TLS 1.3")
        sni = exts.get(ExtensionType.server_name)
        hs.serverName = decodeServerName(sni) if sni is not None else None
        pha = exts.get(ExtensionType.post_handshake_auth)
        if pha is not None and pha != b"":
            raise PeerError(A.decode_error, "post_handshake_auth must be empty")
        hs.postHandshakeAuth = pha is not None
        credential = config.credentialFor(hs.serverName)
        assert credential is not None
        schemesRaw = exts.get(ExtensionType.signature_algorithms)
        if schemesRaw is None:
            raise PeerError(A.missing_extension, "no signature_algorithms")
        scheme = credential.chooseScheme(decodeUint16List(schemesRaw), tls13=True)
        if scheme is None:
            raise PeerError(A.handshake_failure, "no signature scheme in common")
        suite = next((s for s in config.tls13Suites if s.code in hello.cipherSuites), None)
        if suite is None:
            raise PeerError(A.handshake_failure, "no TLS 1.3 cipher suite in common")
        sharesRaw = exts.get(ExtensionType.key_share)
        groupsRaw = exts.get(ExtensionType.supported_groups)
        if sharesRaw is None or groupsRaw is None:
            raise PeerError(A.missing_extension, "no key_share or supported_groups")
        shares = dict(decodeKeyShareClient(sharesRaw))
        clientGroups = decodeUint16List(groupsRaw)
        if any(g not in clientGroups for g in shares):
            raise PeerError(A.illegal_parameter, "key share for a group not in supported_groups")
        if self.retryGroup is not None:
            # RFC 8446 4.1.2: the second ClientHello carries exactly the
            # share we asked for, and the suite may not change.
            if list(shares) != [self.retryGroup] or suite is not hs.suite:
                raise PeerError(
                    A.illegal_parameter, "second ClientHello does not follow the retry"
                )
            echoed = exts.get(ExtensionType.cookie)
            if echoed is None:
                raise PeerError(A.missing_extension, "second ClientHello without our cookie")
            if not hmac.compare_digest(echoed, self.cookie):
                raise PeerError(A.illegal_parameter, "second ClientHello with another cookie")
        group = next((g for g in config.groups if g in shares), None)
        if group is None:
            retryGroup = next((g for g in config.groups if g in clientGroups), None)
            if retryGroup is None or self.retryGroup is not None:
                raise PeerError(A.handshake_failure, "no key-exchange group in common")
            return self.helloRetryRequest(hello, raw, suite, retryGroup)
        alpnRaw = exts.get(ExtensionType.application_layer_protocol_negotiation)
        if alpnRaw is not None and config.alpnProtocols:
            offered = decodeAlpn(alpnRaw)
            chosen = next((p for p in config.alpnProtocols if p in offered), None)
            if chosen is None:
                raise PeerError(A.no_application_protocol, "no ALPN protocol in common")
            hs.alpnProtocol = chosen
        hs.suite, hs.group = suite, NamedGroup(group)
        if self.retryGroup is None:
            hs.transcript.chooseHash(suite.hashName)
        accepted = self.acceptTicket(hello, raw, suite)
        if accepted is None:
            hs.scheme, hs.credential = scheme, credential
        else:
            hs.psk, hs.peerChain = accepted[1].psk, accepted[1].peerChain
        if exts.get(ExtensionType.early_data) is not None:
            # We never accept 0-RTT: the client's early records, under keys
            # we will not derive, are skipped (RFC 8446 4.2.10).
            hs.io.skipEarlyData()
        hs.transcript.update(raw)
        ourPublic, shared = respond(hs.group, shares[group])
        serverHello = ServerHello(
            legacyVersion=TLS12,
            random=os.urandom(32),
            sessionId=hello.sessionId,
            cipherSuite=suite.code,
            compressionMethod=0,
            extensions=Extensions(
                (
                    (int(ExtensionType.supported_versions), TLS13.to_bytes(2, "big")),
                    (
                        int(ExtensionType.key_share),
                        encodeKeyShareServer(group, ourPublic),
                    ),
                )
                + (
                    ((int(ExtensionType.pre_shared_key), accepted[0].to_bytes(2, "big")),)
                    if accepted is not None
                    else ()
                )
            ),
        )
        hs.send(serverHello.toBytes())
        if hello.sessionId and self.retryGroup is None:
            hs.io.sendChangeCipherSpec()  # middlebox compatibility (D.4)
        hs.deriveHandshakeSecrets(shared)
        assert hs.handshakeSecrets is not None
        hs.io.changeWriteProtection(hs.protection(hs.handshakeSecrets.server))
        hs.io.changeReadProtection(hs.protection(hs.handshakeSecrets.client))
        ee: list[tuple[int, bytes]] = []
        if hs.serverName is not None:
            ee.append((int(ExtensionType.server_name), b""))
        if hs.alpnProtocol is not None:
            ee.append(
                (
                    int(ExtensionType.application_layer_protocol_negotiation),
                    encodeAlpn([hs.alpnProtocol]),
                )
            )
        hs.send(EncryptedExtensions(Extensions(tuple(ee))).toBytes())
        if hs.resumed:
            # RFC 8446 2.2: the PSK authenticates both sides, no certificates.
            return self.sendFinished()
        if config.clientAuth is not ClientAuth.NONE:
            hs.certificateRequested = True
            hs.requestedSchemes = tuple(config.signatureSchemes)
            request = CertificateRequest13(
                b"",
                Extensions(
                    (
                        (
                            int(ExtensionType.signature_algorithms),
                            encodeUint16List(config.signatureSchemes),
                        ),
                    )
                ),
            )
            hs.send(request.toBytes())
        hs.send(certificateMessage13(credential))
        signature = credential.sign(scheme, SERVER_SIGNATURE_CONTEXT + hs.transcript.digest())
        hs.send(CertificateVerify(scheme, signature).toBytes())
        return self.sendFinished()

    def sendFinished(self) -> _State:
        hs = self.hs
        assert hs.handshakeSecrets is not None and hs.master is not None
        hs.send(Finished(hs.finishedFor(hs.handshakeSecrets.server)).toBytes())
        hs.applicationSecrets = hs.master.trafficSecrets(hs.transcript.digest())
        hs.io.changeWriteProtection(hs.protection(hs.applicationSecrets.server))
        if hs.certificateRequested:
            return _ServerExpectCertificate(hs)
        return _ServerExpectFinished(hs)

    def acceptTicket(
        self, hello: ClientHello, raw: bytes, suite: CipherSuite13
    ) -> tuple[int, TicketState13] | None:
        """
        RFC 8446 4.2.11: the first offered ticket we sealed, still valid,
        for a suite with our hash and the same server name, whose binder
        proves the client holds its PSK.  C{None} means a full handshake.

        @raise PeerError: for a malformed offer or a binder that does not
            verify (which no honest client sends).
        """
        hs = self.hs
        exts = hello.extensions
        offer = exts.get(ExtensionType.pre_shared_key)
        if offer is None:
            return None
        if exts.types()[-1] != ExtensionType.pre_shared_key:
            raise PeerError(A.illegal_parameter, "pre_shared_key is not the last extension")
        modes = exts.get(ExtensionType.psk_key_exchange_modes)
        if modes is None:
            raise PeerError(A.missing_extension, "pre_shared_key without psk_key_exchange_modes")
        keys = hs.config.ticketKeys
        offered = OfferedPsks.parse(offer)
        if keys is None or PSK_DHE_KE not in decodePskModes(modes):
            return None
        now = hs.io.now().timestamp()
        for index, (identity, _age) in enumerate(offered.identities):
            state = TicketState13.parse(keys.open(identity) or b"")
            if (
                state is None
                or not state.validAt(now)
                or state.suite.hashName != suite.hashName
                or state.serverName != hs.serverName
                or (hs.config.clientAuth is ClientAuth.REQUIRE and not state.peerChain)
            ):
                continue
            truncated = raw[: len(raw) - len(offered.bindersBytes())]
            expected = pskBinder13(suite.hashName, state.psk, hs.transcriptHashWith(truncated))
            if not hmac.compare_digest(offered.binders[index], expected):
                raise PeerError(A.decrypt_error, "PSK binder does not verify")
            return index, state
        return None

    def helloRetryRequest(
        self, hello: ClientHello, raw: bytes, suite: CipherSuite13, group: int
    ) -> _State:
        """
        RFC 8446 4.1.4: ask for a key share in a group we accept.
        """
        hs = self.hs
        hs.suite = suite
        hs.restartTranscriptForRetry(raw)
        # RFC 8446 4.2.2: a cookie the client must echo.  We keep our state
        # on the connection, so it only proves the second hello answers
        # this retry; random bytes do that.
        cookie = encodeCookie(os.urandom(32))
        retry = ServerHello(
            legacyVersion=TLS12,
            random=HRR_RANDOM,
            sessionId=hello.sessionId,
            cipherSuite=suite.code,
            compressionMethod=0,
            extensions=Extensions(
                (
                    (int(ExtensionType.supported_versions), TLS13.to_bytes(2, "big")),
                    (int(ExtensionType.key_share), group.to_bytes(2, "big")),
                    (int(ExtensionType.cookie), cookie),
                )
            ),
        )
        hs.send(retry.toBytes())
        if hello.sessionId:
            hs.io.sendChangeCipherSpec()  # middlebox compatibility (D.4)
        hs.retried = True
        return _ServerExpectClientHello(hs, retryGroup=group, cookie=cookie)


class _ServerExpectCertificate(_State):
    expected = (HandshakeType.certificate,)
    ccsAllowed = True

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        message = Certificate13.parse(body)
        if message.context:
            raise PeerError(A.illegal_parameter, "certificate_request_context must be empty")
        if not message.certificates:
            if hs.config.clientAuth is ClientAuth.REQUIRE:
                raise PeerError(A.certificate_required, "client certificate required")
            return _ServerExpectFinished(hs)
        chain = verifiedClientChain(hs.config, hs.io, message.certificates)
        hs.peerChain = chain
        hs.io.emit(PeerCertificateReceived(chain))
        return _ServerExpectCertificateVerify(hs)


class _ServerExpectCertificateVerify(_State):
    expected = (HandshakeType.certificate_verify,)
    transcriptFirst = False
    ccsAllowed = True

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        verify = CertificateVerify.parse(body)
        if verify.signatureScheme not in hs.requestedSchemes:
            raise PeerError(A.illegal_parameter, "client signed with a scheme we did not ask for")
        content = CLIENT_SIGNATURE_CONTEXT + hs.transcript.digest()
        verifySignature(hs.peerChain[0], verify.signatureScheme, verify.signature, content, True)
        hs.transcript.update(raw)
        return _ServerExpectFinished(hs)


class _ServerExpectFinished(_State):
    expected = (HandshakeType.finished,)
    transcriptFirst = False
    ccsAllowed = True

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        assert hs.handshakeSecrets is not None and hs.applicationSecrets is not None
        finished = Finished.parse(body)
        if not hmac.compare_digest(
            finished.verifyData, hs.finishedFor(hs.handshakeSecrets.client)
        ):
            raise PeerError(A.decrypt_error, "client Finished does not verify")
        hs.transcript.update(raw)
        hs.io.changeReadProtection(hs.protection(hs.applicationSecrets.client))
        hs.finish()
        return Complete13(hs)


# --- client -------------------------------------------------------------------


class _ClientStart(_State):
    def sendClientHello(self) -> _State:
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
        hello = _clientHello(config, groups, hs, os.urandom(32), sessionId)
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
    groups: tuple[NamedGroup, ...],
    hs: _Handshake13,
    random: bytes,
    sessionId: bytes,
    cookie: bytes | None = None,
) -> ClientHello:
    """
    Our ClientHello, with key shares for C{groups}; after a
    HelloRetryRequest the same hello with the share asked for and the cookie.
    """
    hs.keyShares = {g: KeyShare.generate(g) for g in groups}
    exts: list[tuple[int, bytes]] = []
    if config.serverName is not None and not _isAddress(config.serverName):
        exts.append((ExtensionType.server_name, encodeServerName(config.serverName)))
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
    hello = ClientHello(
        legacyVersion=TLS12,
        random=random,
        sessionId=sessionId,  # middlebox compatibility mode (D.4)
        cipherSuites=tuple(suites),
        compressionMethods=b"\x00",
        extensions=Extensions(tuple((int(t), d) for t, d in exts)),
    )
    ticket = hs.offeredTicket
    return hello if ticket is None else _withTicket(hello, ticket, hs)


def _withTicket(hello: ClientHello, ticket: ClientTicket13, hs: _Handshake13) -> ClientHello:
    """
    RFC 8446 4.2.11: offer C{ticket}: psk_key_exchange_modes, then
    pre_shared_key last, its binder over the hello up to the binders.
    """
    hashName = ticket.suite.hashName
    age = ticket.obfuscatedAge(hs.io.now().timestamp())
    placeholder = OfferedPsks(((ticket.ticket, age),), (bytes(_hashLength(hashName)),))

    def build(offer: OfferedPsks) -> ClientHello:
        extra = (
            (int(ExtensionType.psk_key_exchange_modes), encodePskModes(bytes((PSK_DHE_KE,)))),
            (int(ExtensionType.pre_shared_key), offer.toBytes()),
        )
        return replace(hello, extensions=Extensions(hello.extensions.items + extra))

    raw = build(placeholder).toBytes()
    truncated = raw[: len(raw) - len(placeholder.bindersBytes())]
    if hs.retried:
        transcriptHash = hs.transcriptHashWith(truncated)
    else:
        first = Transcript()
        first.chooseHash(hashName)
        first.update(truncated)
        transcriptHash = first.digest()
    binder = pskBinder13(hashName, ticket.psk, transcriptHash)
    return build(replace(placeholder, binders=(binder,)))


def _hashLength(hashName: str) -> int:
    return hashlib.new(hashName).digest_size


class _ClientExpectServerHello(_State):
    expected = (HandshakeType.server_hello,)
    transcriptFirst = False

    def __init__(self, hs: _Handshake13, hello: ClientHello, retried: bool = False) -> None:
        super().__init__(hs)
        self.hello = hello
        self.retried = retried

    @property
    def ccsAllowed(self) -> bool:  # type: ignore[override]
        # The server's compatibility CCS may follow its HelloRetryRequest.
        return self.retried

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        hello = ServerHello.parse(body)
        versionRaw = hello.extensions.get(ExtensionType.supported_versions)
        if versionRaw is None and hs.config.minVersion <= TLS12 and not self.retried:
            return self.fallBack(hello, body, raw)
        if versionRaw is None or decodeSupportedVersionServer(versionRaw) != TLS13:
            raise PeerError(A.protocol_version, "server did not choose TLS 1.3")
        if hello.sessionId != self.hello.sessionId:
            raise PeerError(A.illegal_parameter, "legacy_session_id_echo does not match")
        suite = SUITES13_BY_CODE.get(hello.cipherSuite)
        if suite is None or suite not in hs.config.tls13Suites or hello.compressionMethod != 0:
            raise PeerError(A.illegal_parameter, "server chose a suite we did not offer")
        if self.retried and suite is not hs.suite:
            raise PeerError(A.illegal_parameter, "suite changed after HelloRetryRequest")
        if hello.random == HRR_RANDOM:
            return self.retry(hello, suite, raw)
        allowed = {ExtensionType.supported_versions, ExtensionType.key_share}
        if hs.offeredTicket is not None:
            allowed.add(ExtensionType.pre_shared_key)
        for extType in hello.extensions.types():
            if extType not in allowed:
                raise PeerError(A.unsupported_extension, f"extension {extType} in ServerHello")
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

    def fallBack(self, hello: ServerHello, body: bytes, raw: bytes) -> _State:
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
        )
        handshake.receiveMessage(HandshakeType.server_hello, body, raw)
        return _FellBackToTLS12(hs, handshake)

    def retry(self, retry: ServerHello, suite: CipherSuite13, raw: bytes) -> _State:
        """
        RFC 8446 4.1.4: answer a HelloRetryRequest once, with a share for
        the group it names (a group we offered and did not share yet).
        """
        hs = self.hs
        if self.retried:
            raise UnexpectedMessage(("server_hello",), "a second HelloRetryRequest")
        allowed = {ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.cookie}
        for extType in retry.extensions.types():
            if extType not in allowed:
                raise PeerError(A.unsupported_extension, f"extension {extType} in HRR")
        selected = retry.extensions.get(ExtensionType.key_share)
        if selected is None or len(selected) != 2:
            raise PeerError(A.illegal_parameter, "HelloRetryRequest without a selected group")
        group = int.from_bytes(selected, "big")
        if group not in hs.config.groups or group in hs.keyShares:
            raise PeerError(A.illegal_parameter, f"HelloRetryRequest for group {group:#06x}")
        cookie = retry.extensions.get(ExtensionType.cookie)
        if cookie is not None:
            decodeCookie(cookie)  # well formed, or decode_error
        hs.suite = suite
        hs.retried = True
        hs.restartTranscriptForRetry(self.hello.toBytes())
        hs.transcript.update(raw)
        if hs.offeredTicket is not None and hs.offeredTicket.suite.hashName != suite.hashName:
            hs.offeredTicket = None  # its binder could not cover this transcript
        second = _clientHello(
            hs.config,
            (NamedGroup(group),),
            hs,
            self.hello.random,
            self.hello.sessionId,
            cookie,
        )
        hs.send(second.toBytes())
        return _ClientExpectServerHello(hs, second, retried=True)


class _ClientExpectEncryptedExtensions(_State):
    expected = (HandshakeType.encrypted_extensions,)
    ccsAllowed = True

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        ee = EncryptedExtensions.parse(body)
        allowed = {
            ExtensionType.server_name,
            ExtensionType.application_layer_protocol_negotiation,
            ExtensionType.supported_groups,
        }
        for extType in ee.extensions.types():
            if extType not in allowed:
                raise PeerError(A.unsupported_extension, f"extension {extType} in EE")
        alpn = ee.extensions.get(ExtensionType.application_layer_protocol_negotiation)
        if alpn is not None:
            chosen = decodeAlpn(alpn)
            if len(chosen) != 1 or chosen[0] not in hs.config.alpnProtocols:
                raise PeerError(A.illegal_parameter, "server chose an ALPN protocol not offered")
            hs.alpnProtocol = chosen[0]
        hs.serverName = hs.config.serverName
        if hs.resumed:
            return _ClientExpectFinished(hs)
        return _ClientExpectCertificate(hs)


class _ClientExpectCertificate(_State):
    expected = (HandshakeType.certificate_request, HandshakeType.certificate)
    ccsAllowed = True

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        if msgType == HandshakeType.certificate_request:
            if hs.certificateRequested:
                raise UnexpectedMessage(("certificate",), "certificate_request")
            request = CertificateRequest13.parse(body)
            schemes = request.extensions.get(ExtensionType.signature_algorithms)
            if schemes is None:
                raise PeerError(
                    A.missing_extension, "CertificateRequest without signature_algorithms"
                )
            hs.certificateRequested = True
            hs.requestedSchemes = decodeUint16List(schemes)
            hs.requestContext = request.context
            return self
        message = Certificate13.parse(body)
        if message.context:
            raise PeerError(A.illegal_parameter, "certificate_request_context must be empty")
        if not message.certificates:
            raise PeerError(A.decode_error, "server sent no certificate")
        chain = verifiedServerChain(hs.config, hs.io, message.certificates)
        hs.peerChain = chain
        hs.io.emit(PeerCertificateReceived(chain))
        return _ClientExpectCertificateVerify(hs)


class _ClientExpectCertificateVerify(_State):
    expected = (HandshakeType.certificate_verify,)
    transcriptFirst = False
    ccsAllowed = True

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        verify = CertificateVerify.parse(body)
        if verify.signatureScheme not in hs.config.signatureSchemes:
            raise PeerError(A.illegal_parameter, "server signed with a scheme we did not offer")
        content = SERVER_SIGNATURE_CONTEXT + hs.transcript.digest()
        verifySignature(hs.peerChain[0], verify.signatureScheme, verify.signature, content, True)
        hs.scheme = SignatureScheme(verify.signatureScheme)
        hs.transcript.update(raw)
        return _ClientExpectFinished(hs)


class _ClientExpectFinished(_State):
    expected = (HandshakeType.finished,)
    transcriptFirst = False
    ccsAllowed = True

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _State:
        hs = self.hs
        assert hs.handshakeSecrets is not None and hs.master is not None
        finished = Finished.parse(body)
        if not hmac.compare_digest(
            finished.verifyData, hs.finishedFor(hs.handshakeSecrets.server)
        ):
            raise PeerError(A.decrypt_error, "server Finished does not verify")
        hs.transcript.update(raw)
        hs.applicationSecrets = hs.master.trafficSecrets(hs.transcript.digest())
        hs.io.changeReadProtection(hs.protection(hs.applicationSecrets.server))
        if hs.certificateRequested:
            _sendClientCertificate(hs)
        hs.send(Finished(hs.finishedFor(hs.handshakeSecrets.client)).toBytes())
        hs.io.changeWriteProtection(hs.protection(hs.applicationSecrets.client))
        hs.finish()
        return Complete13(hs)


def _sendClientCertificate(hs: _Handshake13) -> None:
    """
    RFC 8446 4.4.2-4.4.3: our certificate (empty if we have none that can
    sign with a scheme the server accepts) and, with one, CertificateVerify.
    """
    credential = hs.config.credential
    scheme = (
        credential.chooseScheme(hs.requestedSchemes, tls13=True)
        if credential is not None
        else None
    )
    if credential is None or scheme is None:
        hs.send(certificateMessage13(None, hs.requestContext))
        return
    hs.send(certificateMessage13(credential, hs.requestContext))
    signature = credential.sign(scheme, CLIENT_SIGNATURE_CONTEXT + hs.transcript.digest())
    hs.send(CertificateVerify(scheme, signature).toBytes())


def _isAddress(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
