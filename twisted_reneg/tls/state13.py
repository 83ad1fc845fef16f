# -*- test-case-name: tests.tls.test_engine13 -*-
"""
What the TLS 1.3 client and server states share: the per-handshake facts
(L{HandshakeState13}, thrown away at the end), the state base class and
the states of either side (the peer's CertificateVerify and Finished), the
result, the client certificate a client sends in the handshake or after it
(L{sendClientCertificate13}), and the constants of RFC 8446.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from cryptography import x509

from .clientauth import RequestedCertificate13, chooseCertificateAndScheme
from .config import TLS13, ClientAuth, TLSConfig
from .credentials import Credential, verifySignature
from .errors import AlertDescription, PeerError
from .extensions import ExtensionType, decodeSupportedVersionsClient
from .finished import checkFinished13
from .handshakeio import HandshakeIO
from .keyexchange import KeyShare
from .keyschedule import (
    EarlySecret13,
    MasterSecret13,
    TrafficSecrets13,
    Transcript,
    finishedVerifyData13,
    trafficKeys13,
)
from .messages import (
    Certificate13,
    CertificateVerify,
    ClientHello,
    HandshakeType,
    frameHandshake,
)
from .records import tls13Protection
from .statemachine import HandshakeStep
from .suites import (
    CipherSuite13,
    NamedGroup,
    SignatureScheme,
)
from .tickets import ClientSession12, ClientTicket13

A = AlertDescription

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
    #: RFC 8446 7.1, the base of the keying-material exporters (7.5).
    exporterMasterSecret: bytes = field(default=b"", repr=False)
    #: server: the client offered psk_dhe_ke, so tickets are of use to it.
    ticketsWanted: bool = False
    #: as L{HandshakeResult.clientCertificateRequested}.
    clientCertificateRequested: bool = False
    #: server, C{ClientAuth.ADVISORY}: why the client's certificate was not
    #: accepted, and its leaf.
    peerCertificateError: str | None = None
    rejectedPeerCertificate: x509.Certificate | None = field(default=None, repr=False)


class HandshakeState13:
    def __init__(self, config: TLSConfig, io: HandshakeIO) -> None:
        self.config = config
        self.io = io
        self.transcript = Transcript()
        self.suite: CipherSuite13 | None = None
        self.group: NamedGroup | None = None
        #: client: the key shares we offered, by group.
        self.keyShares: dict[int, KeyShare] = {}
        #: client: the extension types of our last ClientHello; the server
        #: may answer only these (RFC 8446 4.2).
        self.offeredExtensions: frozenset[int] = frozenset()
        self.scheme: SignatureScheme | None = None
        self.serverName: str | None = None
        self.alpnProtocol: bytes | None = None
        self.peerChain: tuple[x509.Certificate, ...] = ()
        self.credential: Credential | None = None
        self.handshakeSecrets: TrafficSecrets13 | None = None
        self.master: MasterSecret13 | None = None
        self.applicationSecrets: TrafficSecrets13 | None = None
        #: derived beside the application secrets (same transcript).
        self.exporterMasterSecret = b""
        self.certificateRequested = False
        #: server, C{ClientAuth.ADVISORY}: why the offered certificate was
        #: refused, and the chain whose key must sign CertificateVerify.
        self.peerCertificateError: str | None = None
        self.offeredChain: tuple[x509.Certificate, ...] = ()
        #: server: the schemes our CertificateRequest accepts.
        self.requestedSchemes: tuple[int, ...] = ()
        #: client: the server's CertificateRequest, answered after its
        #: Finished.
        self.certificateRequest: RequestedCertificate13 | None = None
        self.retried = False
        #: whether the client offered post_handshake_auth (RFC 8446 4.2.6).
        self.postHandshakeAuth = False
        #: client: the ticket offered in our ClientHello, if any, and the
        #: TLS 1.2 session offered beside it when we offer 1.2 too.
        #: server: the client accepts psk_dhe_ke resumption (RFC 8446 4.2.9).
        self.ticketsWanted = False
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

    def checkPeerFinished(self, body: bytes, raw: bytes) -> None:
        """
        The peer's Finished must carry the verify_data of the transcript so
        far under its handshake traffic secret (L{checkFinished13}); it then
        joins the transcript.
        """
        assert self.suite is not None and self.handshakeSecrets is not None
        peerIsClient = not self.config.isClient
        secrets = self.handshakeSecrets
        checkFinished13(
            body,
            self.suite.hashName,
            secrets.client if peerIsClient else secrets.server,
            self.transcript.digest(),
            "client" if peerIsClient else "server",
        )
        self.transcript.update(raw)

    def finishedFor(self, secret: bytes) -> bytes:
        assert self.suite is not None
        return finishedVerifyData13(self.suite.hashName, secret, self.transcript.digest())

    def finish(self) -> None:
        """
        The transcript now runs through the client Finished.
        """
        assert self.suite and self.group and self.applicationSecrets and self.master
        assert self.scheme or self.resumed
        config = self.config
        # A server that sends no tickets has no use for the resumption
        # master secret (its only use); a client keeps it for the tickets
        # a server may send.
        resumption = (
            self.master.resumptionMasterSecret(self.transcript.digest())
            if config.isClient or (self.ticketsWanted and config.ticketKeys is not None)
            else b""
        )
        self.result = HandshakeResult13(
            self.suite,
            self.group,
            self.scheme,
            self.serverName,
            self.alpnProtocol,
            self.peerChain,
            self.applicationSecrets,
            self.transcript.fork() if self.postHandshakeAuth else None,
            resumption,
            self.resumed,
            self.exporterMasterSecret,
            self.ticketsWanted,
            (
                self.certificateRequested
                if self.config.isClient
                else self.config.clientAuth is not ClientAuth.NONE
            ),
            self.peerCertificateError,
            (
                self.offeredChain[0]
                if self.peerCertificateError is not None and self.offeredChain
                else None
            ),
        )
        self.psk = None
        self.keyShares = {}
        self.master = None
        self.handshakeSecrets = None


class State13(HandshakeStep[HandshakeState13, "State13"]):
    """
    One step of a TLS 1.3 handshake (L{HandshakeStep}).
    """

    #: RFC 8446 5: a ChangeCipherSpec (0x01, unprotected) arriving after
    #: the first ClientHello and before the peer's Finished MUST simply be
    #: dropped, however many (D.4: middlebox compatibility); the connection
    #: counts them against its budget of records without progress.
    ccsAllowed: ClassVar[bool] = False

    def receiveChangeCipherSpec(self) -> State13:
        if not self.ccsAllowed:
            return super().receiveChangeCipherSpec()
        return self


class Complete13(State13):
    pass


class ExpectFinished13(State13):
    """
    The peer's Finished (L{HandshakeState13.checkPeerFinished}); what
    follows it is the side's own (L{afterFinished}).
    """

    expected = (HandshakeType.finished,)
    transcriptFirst = False
    ccsAllowed = True

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State13:
        self.hs.checkPeerFinished(body, raw)
        return self.afterFinished()

    def afterFinished(self) -> State13:
        raise NotImplementedError


class ExpectCertificateVerify13(State13):
    """
    The peer's CertificateVerify, either side (RFC 8446 4.4.3): signed with
    the key of the leaf it sent, with a scheme we accept.  A client's
    refused certificate must be signed for too: a client that cannot sign
    for what it sent is broken or lying, whatever its chain.
    """

    expected = (HandshakeType.certificate_verify,)
    transcriptFirst = False
    ccsAllowed = True

    def __init__(self, hs: HandshakeState13, next: type[State13]) -> None:
        super().__init__(hs)
        self.next = next

    def handle(self, msgType: int, body: bytes, raw: bytes) -> State13:
        hs = self.hs
        accepted: tuple[int, ...]
        if hs.config.isClient:
            leaf, accepted = hs.peerChain[0], hs.config.signatureSchemes
            context, who = SERVER_SIGNATURE_CONTEXT, "server"
        else:
            leaf, accepted = hs.offeredChain[0], hs.requestedSchemes
            context, who = CLIENT_SIGNATURE_CONTEXT, "client"
        scheme = checkCertificateVerify13(
            body, leaf, accepted, context, hs.transcript.digest(), who
        )
        if hs.config.isClient:
            # The server's scheme is the session's; a server keeps its own.
            hs.scheme = scheme
        hs.transcript.update(raw)
        return self.next(hs)


def certificateMessage13(credential: Credential | None, context: bytes = b"") -> bytes:
    if credential is None:
        return Certificate13(context, ()).toBytes()
    if context:  # post-handshake authentication: a fresh context each time
        return Certificate13(context, credential.derChain).toBytes()
    # A server's Certificate: the same bytes on every handshake.
    message = credential.encodedMessages.get("certificate13")
    if message is None:
        message = Certificate13(b"", credential.derChain).toBytes()
        credential.encodedMessages["certificate13"] = message
    return message


def offersTLS13(hello: ClientHello) -> bool:
    """
    Whether a ClientHello offers TLS 1.3 (RFC 8446 4.2.1).
    """
    data = hello.extensions.get(ExtensionType.supported_versions)
    return data is not None and TLS13 in decodeSupportedVersionsClient(data)


def checkCertificateVerify13(
    body: bytes,
    leaf: x509.Certificate,
    accepted: tuple[int, ...],
    context: bytes,
    transcriptHash: bytes,
    who: str,
) -> SignatureScheme:
    """
    RFC 8446 4.4.3: the peer's CertificateVerify must use a scheme we
    accept and sign C{context} and the transcript hash with C{leaf}'s key.

    @param who: C{"client"} or C{"server"}, for the failure's reason.
    @return: the scheme it signed with.
    """
    verify = CertificateVerify.parse(body)
    if verify.signatureScheme not in accepted:
        raise PeerError(A.illegal_parameter, f"{who} signed with a scheme we did not accept")
    verifySignature(leaf, verify.signatureScheme, verify.signature, context + transcriptHash, True)
    return SignatureScheme(verify.signatureScheme)


def sendClientCertificate13(
    config: TLSConfig,
    request: RequestedCertificate13,
    transcript: Transcript,
    send: Callable[[bytes], None],
) -> None:
    """
    Client, in the handshake or after it (RFC 8446 4.4.2-4.4.3, 4.6.2): our
    Certificate (empty if we have none that can sign with a scheme the
    server accepts) and, with one, CertificateVerify over the transcript so
    far.

    @param send: adds a message to C{transcript} and sends it.
    """
    answer = chooseCertificateAndScheme(config, request.caNames, request.schemes, tls13=True)
    if answer is None:
        send(certificateMessage13(None, request.context))
        return
    credential, scheme = answer
    send(certificateMessage13(credential, request.context))
    signature = credential.sign(scheme, CLIENT_SIGNATURE_CONTEXT + transcript.digest())
    send(CertificateVerify(scheme, signature).toBytes())
