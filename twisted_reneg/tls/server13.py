# -*- test-case-name: tests.tls.test_engine13 -*-
"""
The TLS 1.3 server (RFC 8446): one state class per expected message, from
the ClientHello (suite, group, signature scheme, ALPN, a ticket to resume,
or a HelloRetryRequest with a cookie) to the client's Finished, client
certificates included.
"""

from __future__ import annotations

import hmac
import os
from functools import lru_cache

from .clientauth import certificateRequest13
from .config import TLS12, TLS13, ClientAuth
from .credentials import Credential
from .errors import PeerError
from .extensions import (
    MAX_PSK_IDENTITIES,
    PSK_DHE_KE,
    Extensions,
    ExtensionType,
    OfferedPsks,
    decodeAlpn,
    decodeKeyShareClient,
    decodePskModes,
    decodeServerName,
    decodeUint16List,
    encodeAlpn,
    encodeCookie,
    encodeKeyShareServer,
)
from .hellorules import checkLegacyVersion, chooseAlpn
from .keyexchange import respond
from .keyschedule import (
    pskBinder13,
)
from .messages import (
    Certificate13,
    CertificateVerify,
    ClientHello,
    EncryptedExtensions,
    Finished,
    HandshakeType,
    ServerHello,
)
from .peerchain import receiveClientChain
from .state13 import (
    HRR_RANDOM,
    SERVER_SIGNATURE_CONTEXT,
    A,
    Complete13,
    ExpectCertificateVerify13,
    ExpectFinished13,
    HandshakeState13,
    State13,
    certificateMessage13,
    offersTLS13,
)
from .suites import (
    CipherSuite13,
    NamedGroup,
    SignatureScheme,
)
from .tickets import TicketState13


class ServerExpectClientHello13(State13):
    expected = (HandshakeType.client_hello,)
    transcriptFirst = False

    def __init__(
        self,
        hs: HandshakeState13,
        retryGroup: int | None = None,
        cookie: bytes = b"",
        parsed: ClientHello | None = None,
    ) -> None:
        super().__init__(hs)
        self.retryGroup = retryGroup
        #: the cookie extension's body we sent in the HelloRetryRequest
        self.cookie = cookie
        #: the ClientHello to come, when the connection parsed it already
        self.parsed = parsed

    @property
    def ccsAllowed(self) -> bool:  # type: ignore[override]
        # A client in compatibility mode sends its CCS before the second
        # ClientHello.
        return self.retryGroup is not None

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State13:
        hs = self.hs
        config = hs.config
        hello = self.parsed if self.parsed is not None else ClientHello.parse(body)
        exts = hello.extensions
        # RFC 8446 4.2.1: with supported_versions, legacy_version plays no
        # part in the choice; only SSL 3.0 and below are refused (D.5).
        checkLegacyVersion(hello)
        if hello.compressionMethods != b"\x00":
            # RFC 8446 4.1.2: exactly one byte, zero, else illegal_parameter.
            raise PeerError(A.illegal_parameter, "TLS 1.3 forbids compression")
        if not offersTLS13(hello):
            raise PeerError(A.protocol_version, "client does not offer TLS 1.3")
        checkPskOfferShape(exts)
        modes = exts.get(ExtensionType.psk_key_exchange_modes)
        # RFC 8446 4.2.9: servers SHOULD NOT send tickets a client cannot
        # use; psk_dhe_ke is the only mode we resume with.
        hs.ticketsWanted = modes is not None and PSK_DHE_KE in decodePskModes(modes)
        sni = exts.get(ExtensionType.server_name)
        hs.serverName = decodeServerName(sni) if sni is not None else None
        pha = exts.get(ExtensionType.post_handshake_auth)
        if pha is not None and pha != b"":
            raise PeerError(A.decode_error, "post_handshake_auth must be empty")
        hs.postHandshakeAuth = pha is not None
        credential = config.credentialFor(hs.serverName)
        assert credential is not None
        schemesRaw = exts.get(ExtensionType.signature_algorithms)
        clientSchemes = decodeUint16List(schemesRaw) if schemesRaw is not None else None
        if exts.get(ExtensionType.pre_shared_key) is None or config.ticketKeys is None:
            # Certain to be certificate-based: fail now, not after a retry.
            chooseCertificateScheme(credential, clientSchemes)
        suite = next((s for s in config.tls13Suites if s.code in hello.cipherSuites), None)
        if suite is None:
            raise PeerError(A.handshake_failure, "no TLS 1.3 cipher suite in common")
        sharesRaw = exts.get(ExtensionType.key_share)
        groupsRaw = exts.get(ExtensionType.supported_groups)
        if sharesRaw is None or groupsRaw is None:
            raise PeerError(A.missing_extension, "no key_share or supported_groups")
        shares = dict(decodeKeyShareClient(sharesRaw))
        clientGroups = decodeUint16List(groupsRaw)
        # A set: both lists may hold thousands of entries (RFC 8446 4.2.8).
        if not set(shares) <= set(clientGroups):
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
            hs.alpnProtocol = chooseAlpn(config.alpnProtocols, decodeAlpn(alpnRaw))
        hs.suite, hs.group = suite, NamedGroup(group)
        if self.retryGroup is None:
            hs.transcript.chooseHash(suite.hashName)
        accepted = self.acceptTicket(hello, raw, suite)
        if accepted is None:
            hs.scheme = chooseCertificateScheme(credential, clientSchemes)
            hs.credential = credential
        else:
            hs.psk, hs.peerChain = accepted[1].psk, accepted[1].peerChain
        if exts.get(ExtensionType.early_data) is not None and self.retryGroup is not None:
            # RFC 8446 4.2.10: the client MUST NOT include it in the
            # ClientHello that answers a HelloRetryRequest (0-RTT died with
            # the first one; 4.1.2 lists it among what must go).
            raise PeerError(A.illegal_parameter, "early_data in the second ClientHello")
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
        hs.send(encryptedExtensions13(tuple(ee)))
        if hs.resumed:
            # RFC 8446 2.2: the PSK authenticates both sides, no certificates.
            return self.sendFinished()
        if config.clientAuth is not ClientAuth.NONE:
            hs.certificateRequested = True
            hs.requestedSchemes = tuple(config.signatureSchemes)
            hs.send(certificateRequest13(config, b"").toBytes())
        hs.send(certificateMessage13(credential))
        assert hs.scheme is not None
        signature = credential.sign(hs.scheme, SERVER_SIGNATURE_CONTEXT + hs.transcript.digest())
        hs.send(CertificateVerify(hs.scheme, signature).toBytes())
        return self.sendFinished()

    def sendFinished(self) -> State13:
        hs = self.hs
        assert hs.handshakeSecrets is not None and hs.master is not None
        hs.send(Finished(hs.finishedFor(hs.handshakeSecrets.server)).toBytes())
        # Both derive from Transcript-Hash(ClientHello..server Finished).
        throughFinished = hs.transcript.digest()
        hs.applicationSecrets = hs.master.trafficSecrets(throughFinished)
        hs.exporterMasterSecret = hs.master.exporterMasterSecret(throughFinished)
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
        modes = exts.get(ExtensionType.psk_key_exchange_modes)
        if offer is None or modes is None:  # checkPskOfferShape saw to the rest
            return None
        keys = hs.config.ticketKeys
        offered = OfferedPsks.parse(offer)
        if keys is None or PSK_DHE_KE not in decodePskModes(modes):
            return None
        now = hs.io.now().timestamp()
        # Each identity tried costs a ticket decryption; past the first few
        # the offer is legal but not worth the work (RFC 8446 4.2.11 lets
        # us pick any identity, or none).
        tried = offered.identities[:MAX_PSK_IDENTITIES]
        for index, (identity, _age) in enumerate(tried):
            state = TicketState13.parse(keys.open(identity) or b"")
            if (
                state is None
                or not state.validAt(now)
                or state.suite.hashName != suite.hashName
                or state.serverName != hs.serverName
                or (hs.config.clientAuth is ClientAuth.REQUIRE and not state.peerChain)
            ):
                continue
            truncated = raw[: len(raw) - offered.bindersLength()]
            expected = pskBinder13(suite.hashName, state.psk, hs.transcriptHashWith(truncated))
            if not hmac.compare_digest(offered.binders[index], expected):
                raise PeerError(A.decrypt_error, "PSK binder does not verify")
            return index, state
        return None

    def helloRetryRequest(
        self, hello: ClientHello, raw: bytes, suite: CipherSuite13, group: int
    ) -> State13:
        """
        RFC 8446 4.1.4: ask for a key share in a group we accept.
        """
        hs = self.hs
        hs.suite = suite
        if hello.extensions.get(ExtensionType.early_data) is not None:
            # RFC 8446 4.2.10: the client's 0-RTT records, until its second
            # ClientHello, are skipped.
            hs.io.skipEarlyData()
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
        return ServerExpectClientHello13(hs, retryGroup=group, cookie=cookie)


@lru_cache(maxsize=64)
def encryptedExtensions13(items: tuple[tuple[int, bytes], ...]) -> bytes:
    """
    Our EncryptedExtensions message, framed: the same bytes on nearly every
    handshake (an empty server_name and the ALPN protocol chosen from the
    configured list are all it holds), so made once each (bench/engine.py
    shows what building them per handshake costs).
    """
    return EncryptedExtensions(Extensions(items)).toBytes()


def checkPskOfferShape(exts: Extensions) -> None:
    """
    The rules of a pre_shared_key offer that hold whatever we do with it,
    checked on every ClientHello (a HelloRetryRequest does not excuse
    them): RFC 8446 4.2.11, "Servers MUST check that it is the last
    extension and otherwise fail the handshake with an illegal_parameter
    alert"; RFC 8446 4.2.9 and 9.2, without psk_key_exchange_modes the
    server "MUST abort the handshake" with missing_extension.
    """
    if exts.get(ExtensionType.pre_shared_key) is None:
        return
    if exts.types()[-1] != ExtensionType.pre_shared_key:
        raise PeerError(A.illegal_parameter, "pre_shared_key is not the last extension")
    if exts.get(ExtensionType.psk_key_exchange_modes) is None:
        raise PeerError(A.missing_extension, "pre_shared_key without psk_key_exchange_modes")


def chooseCertificateScheme(
    credential: Credential, clientSchemes: tuple[int, ...] | None
) -> SignatureScheme:
    """
    The scheme to sign our CertificateVerify with, once we know the
    handshake is certificate-based.  RFC 8446 4.2.3: "If a server is
    authenticating via a certificate and the client has not sent a
    signature_algorithms extension, then the server MUST abort the handshake
    with a missing_extension alert"; a client resuming with a PSK may leave
    it out (RFC 8446 9.2).
    """
    if clientSchemes is None:
        raise PeerError(A.missing_extension, "no signature_algorithms")
    scheme = credential.chooseScheme(clientSchemes, tls13=True)
    if scheme is None:
        raise PeerError(A.handshake_failure, "no signature scheme in common")
    return scheme


class _ServerExpectCertificate(State13):
    expected = (HandshakeType.certificate,)
    ccsAllowed = True

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State13:
        hs = self.hs
        message = Certificate13.parse(body)
        if message.context:
            raise PeerError(A.illegal_parameter, "certificate_request_context must be empty")
        if not message.certificates:
            if hs.config.clientAuth is ClientAuth.REQUIRE:
                raise PeerError(A.certificate_required, "client certificate required")
            return _ServerExpectFinished(hs)
        judged = receiveClientChain(
            hs.config, hs.io, message.certificates, hs.config.clientAuth is ClientAuth.ADVISORY
        )
        hs.offeredChain, hs.peerChain = judged.offered, judged.accepted
        hs.peerCertificateError = judged.rejection
        return ExpectCertificateVerify13(hs, _ServerExpectFinished)


class _ServerExpectFinished(ExpectFinished13):
    def afterFinished(self) -> State13:
        hs = self.hs
        assert hs.applicationSecrets is not None
        hs.io.changeReadProtection(hs.protection(hs.applicationSecrets.client))
        hs.finish()
        return Complete13(hs)
