# -*- test-case-name: tests.tls.test_renegotiation -*-
"""
TLS 1.2 renegotiation in the engine, both sides, in memory: who may start
one, refusals, rate limits, the RFC 5746 and identity checks, and data that
keeps flowing, in order, while it runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.config import ClientAuth, RenegotiationPolicy
from twisted_reneg.tls.connection import TLSConnection
from twisted_reneg.tls.errors import AlertDescription, LocalUsageError
from twisted_reneg.tls.events import (
    ApplicationData,
    ConnectionFailed,
    HandshakeCompleted,
    RenegotiationAnswerNeeded,
    RenegotiationRefused,
    RenegotiationRequested,
)
from twisted_reneg.tls.extensions import (
    Extensions,
    ExtensionType,
    encodeRenegotiationInfo,
    encodeUint16List,
)
from twisted_reneg.tls.messages import ClientHello, HelloRequest
from twisted_reneg.tls.records import ContentType

from ..enginepair import (
    EnginePair,
    Side,
    clientConfig,
    credentialOf,
    serverConfig,
    spoilSignatures,
)

A = AlertDescription
ALLOW = RenegotiationPolicy(allowPeerInitiated=True, maxPeerInitiated=1000)


def established(
    client: dict | None = None, server: dict | None = None, **answers: Callable[[], bool]
) -> EnginePair:
    """
    @param answers: C{clientAnswers} and C{serverAnswers}, as L{EnginePair} takes them.
    """
    pair = EnginePair(clientConfig(**(client or {})), serverConfig(**(server or {})), **answers)
    pair.handshake()
    assert pair.client.connection.session is not None
    assert pair.server.connection.session is not None
    return pair


def renegotiations(side: Side) -> list[HandshakeCompleted]:
    return [e for e in side.events if isinstance(e, HandshakeCompleted) and e.renegotiation]


def of(side: Side, kind: type) -> list:
    return [e for e in side.events if isinstance(e, kind)]


def sendRecord(sender: Side, receiver: Side, contentType: int, data: bytes) -> None:
    """
    Seal a record with the sender's current keys and deliver it: how a test
    plays a peer that sends something our engine never would.
    """
    records = sender.connection._writer.writeRecords(contentType, data)  # noqa: SLF001
    receiver.events.extend(receiver.connection.receiveData(b"".join(records)))


class ServerInitiatedTests(SynchronousTestCase):
    def test_helloRequestAnswered(self) -> None:
        pair = established()
        before = pair.server.connection._established.previous  # noqa: SLF001
        pair.server.connection.rehandshake()
        self.assertTrue(pair.server.connection.renegotiationInProgress)
        pair.pump()
        for side in (pair.client, pair.server):
            (done,) = renegotiations(side)
            self.assertEqual(done.session.renegotiations, 1)
            self.assertTrue(done.session.secureRenegotiation)
        self.assertEqual(of(pair.client, RenegotiationRequested), [RenegotiationRequested()])
        self.assertNotEqual(pair.server.connection._established.previous, before)  # noqa: SLF001
        self.assertFalse(pair.server.connection.renegotiationInProgress)
        pair.client.connection.sendApplicationData(b"after")
        pair.pump()
        self.assertEqual(pair.server.received(), b"after")

    def test_secondCallWhileRunningIsOneRenegotiation(self) -> None:
        pair = established()
        pair.server.connection.rehandshake()
        first = pair.server.connection.dataToSend()
        pair.server.connection.rehandshake()
        self.assertEqual(pair.server.connection.dataToSend(), b"")
        pair.client.events.extend(pair.client.connection.receiveData(first))
        pair.pump()
        self.assertEqual(len(renegotiations(pair.server)), 1)

    def test_clientRefusesByPolicy(self) -> None:
        pair = established(client={"renegotiation": RenegotiationPolicy(allowPeerInitiated=False)})
        pair.server.connection.rehandshake()
        pair.pump()
        (refused,) = of(pair.server, RenegotiationRefused)
        self.assertTrue(refused.byPeer)
        (ours,) = of(pair.client, RenegotiationRefused)
        self.assertFalse(ours.byPeer)
        self.assertFalse(pair.server.connection.renegotiationInProgress)
        pair.server.connection.sendApplicationData(b"still here")
        pair.pump()
        self.assertEqual(pair.client.received(), b"still here")

    def test_clientApplicationVeto(self) -> None:
        pair = established(clientAnswers=lambda: False)
        pair.server.connection.rehandshake()
        pair.pump()
        self.assertIn("application", of(pair.client, RenegotiationRefused)[0].reason)
        self.assertTrue(of(pair.server, RenegotiationRefused)[0].byPeer)

    def test_applicationAskedAfterWhatCameFirst(self) -> None:
        """
        Data and a HelloRequest in one read: the batch ends with the
        question, after the data, so the driver has the data before it
        answers (nothing is sent meanwhile); the answer goes on with the
        request, then with what followed it.  The rate limit counts the
        request once: it was checked before asking, so the one allowed
        renegotiation happens, and the next request is over the limit.
        """
        pair = established(
            client={"renegotiation": replace(ALLOW, maxPeerInitiated=1)},
            clientAnswers=lambda: True,
        )
        client, server = pair.client.connection, pair.server.connection
        server.sendApplicationData(b"first")
        server.rehandshake()
        server.sendApplicationData(b"after")
        events = client.receiveData(server.dataToSend())
        self.assertEqual(events, [ApplicationData(b"first"), RenegotiationAnswerNeeded()])
        self.assertTrue(client.awaitingRenegotiationAnswer)
        self.assertFalse(client.renegotiationInProgress)
        self.assertEqual(client.dataToSend(), b"")
        events = client.answerRenegotiation(True)
        self.assertEqual(events, [RenegotiationRequested(), ApplicationData(b"after")])
        self.assertFalse(client.awaitingRenegotiationAnswer)
        pair.pump()
        self.assertEqual(len(renegotiations(pair.client)), 1)
        server.rehandshake()
        pair.pump()
        (refused,) = of(pair.client, RenegotiationRefused)
        self.assertEqual(refused.reason, "renegotiation rate limit exceeded")
        self.assertEqual(of(pair.client, RenegotiationAnswerNeeded), [])

    def test_inputWaitsForTheAnswer(self) -> None:
        """
        While the answer is awaited, input is only buffered; it is read
        after the answer, behind the request.
        """
        pair = established(clientAnswers=lambda: True)
        client, server = pair.client.connection, pair.server.connection
        server.rehandshake()
        self.assertEqual(client.receiveData(server.dataToSend()), [RenegotiationAnswerNeeded()])
        server.sendApplicationData(b"later")
        self.assertEqual(client.receiveData(server.dataToSend()), [])
        self.assertTrue(client.awaitingRenegotiationAnswer)
        events = client.answerRenegotiation(True)
        self.assertEqual(events, [RenegotiationRequested(), ApplicationData(b"later")])
        pair.pump()
        self.assertEqual(len(renegotiations(pair.client)), 1)
        self.assertEqual(len(renegotiations(pair.server)), 1)

    def test_answerWithoutRequest(self) -> None:
        """
        An answer nobody asked for is the caller's mistake.
        """
        pair = established(clientAnswers=lambda: True)
        client, server = pair.client.connection, pair.server.connection
        self.assertRaises(LocalUsageError, client.answerRenegotiation, True)
        server.rehandshake()
        client.receiveData(server.dataToSend())
        client.answerRenegotiation(True)
        self.assertRaises(LocalUsageError, client.answerRenegotiation, True)

    def test_refusedByTheAnswer(self) -> None:
        """
        C{answerRenegotiation(False)}: a warning no_renegotiation, which the
        server takes as the refusal; the connection goes on.
        """
        pair = established(clientAnswers=lambda: True)
        client, server = pair.client.connection, pair.server.connection
        server.rehandshake()
        self.assertEqual(client.receiveData(server.dataToSend()), [RenegotiationAnswerNeeded()])
        self.assertEqual(
            client.answerRenegotiation(False),
            [
                RenegotiationRefused(
                    byPeer=False, reason="renegotiation refused by the application"
                )
            ],
        )
        pair.pump()
        (refused,) = of(pair.server, RenegotiationRefused)
        self.assertTrue(refused.byPeer)
        self.assertFalse(server.renegotiationInProgress)
        self.assertFalse(client.renegotiationInProgress)
        server.sendApplicationData(b"still here")
        pair.pump()
        self.assertEqual(pair.client.received(), b"still here")

    def test_serverAsksToo(self) -> None:
        """
        A server that lets clients renegotiate puts their ClientHello to
        its driver just the same.
        """
        pair = established(server={"renegotiation": ALLOW}, serverAnswers=lambda: True)
        pair.client.connection.rehandshake()
        pair.pump()
        self.assertEqual(
            of(pair.server, RenegotiationAnswerNeeded) + of(pair.server, RenegotiationRequested),
            [RenegotiationAnswerNeeded(), RenegotiationRequested()],
        )
        self.assertEqual(len(renegotiations(pair.server)), 1)

    def test_lateAnswerReported(self) -> None:
        """
        A ClientHello answering a HelloRequest we stopped waiting for is
        the renegotiation we asked for: it goes on whatever the policy and
        without asking, reported with C{lateAnswer}.
        """
        pair = established(serverAnswers=lambda: False)
        server = pair.server.connection
        server.rehandshake()
        helloRequest = server.dataToSend()
        self.assertTrue(server.abandonRenegotiation())
        self.assertFalse(server.renegotiationInProgress)
        pair.client.receive(helloRequest)
        pair.pump()
        self.assertEqual(of(pair.client, RenegotiationRequested), [RenegotiationRequested()])
        self.assertEqual(
            of(pair.server, RenegotiationRequested), [RenegotiationRequested(lateAnswer=True)]
        )
        self.assertEqual(of(pair.server, RenegotiationAnswerNeeded), [])
        self.assertEqual(len(renegotiations(pair.server)), 1)
        self.assertEqual(len(renegotiations(pair.client)), 1)

    def test_closedWhileHeldIgnoresTheRequest(self) -> None:
        """
        The driver closes on the data before a HelloRequest, then answers:
        the request is dropped, and nothing follows our close_notify.
        """
        pair = established(clientAnswers=lambda: True)
        client, server = pair.client.connection, pair.server.connection
        server.sendApplicationData(b"bye")
        server.rehandshake()
        events = client.receiveData(server.dataToSend())
        self.assertEqual(events, [ApplicationData(b"bye"), RenegotiationAnswerNeeded()])
        client.close()
        closeNotify = client.dataToSend()
        self.assertEqual(client.answerRenegotiation(True), [])
        self.assertFalse(client.awaitingRenegotiationAnswer)
        self.assertEqual(client.dataToSend(), b"")
        self.assertFalse(client.renegotiationInProgress)
        self.assertTrue(closeNotify)

    def test_helloRequestDuringHandshakeIgnored(self) -> None:
        pair = established()
        pair.server.connection.rehandshake()
        pair.client.connection.receiveData(pair.server.connection.dataToSend())
        clientHello = pair.client.connection.dataToSend()
        # A second HelloRequest while the client's handshake runs is ignored.
        sendRecord(pair.server, pair.client, ContentType.handshake, HelloRequest().toBytes())
        self.assertEqual(pair.client.connection.dataToSend(), b"")
        pair.server.events.extend(pair.server.connection.receiveData(clientHello))
        pair.pump()
        self.assertEqual(len(renegotiations(pair.client)), 1)

    def test_requestClientCertificate(self) -> None:
        pki = cachedPKI()
        pair = established(client={"credential": credentialOf(pki.ecdsaClient)})
        session = pair.server.connection.session
        assert session is not None
        self.assertIsNone(session.peerCertificate)
        pair.server.connection.requestClientCertificate()
        pair.pump()
        (done,) = renegotiations(pair.server)
        self.assertEqual(done.session.peerCertificate, pki.ecdsaClient.certificate)

    def test_requestClientCertificateEmptyAnswer(self) -> None:
        """
        A client without a certificate answers with an empty one: the
        renegotiation completes and the session says "none".
        """
        pair = established()
        pair.server.connection.requestClientCertificate()
        pair.pump()
        (done,) = renegotiations(pair.server)
        self.assertIsNone(done.session.peerCertificate)
        self.assertIsNone(pair.server.failure())

    def test_requestClientCertificateUntrusted(self) -> None:
        """
        A certificate asked for mid-connection that fails verification is
        the application's to judge: the renegotiation completes without a
        peer certificate, the reason is in the session, and data still
        flows both ways.
        """
        pair = established(client={"credential": credentialOf(cachedPKI().untrustedClient)})
        pair.server.connection.requestClientCertificate()
        pair.pump()
        self.assertIsNone(pair.server.failure())
        self.assertIsNone(pair.client.failure())
        (done,) = renegotiations(pair.server)
        self.assertIsNone(done.session.peerCertificate)
        error = done.session.peerCertificateError
        assert error is not None
        leaf = "client certificate 'CN=test-client,O=twisted_reneg tests' (the leaf)"
        self.assertIn(leaf, error)
        self.assertIn("unknown authority", error)
        self.assertEqual(pair.server.connection.session, done.session)
        pair.client.connection.sendApplicationData(b"ping")
        pair.server.connection.sendApplicationData(b"pong")
        pair.pump()
        self.assertEqual(pair.server.received(), b"ping")
        self.assertEqual(pair.client.received(), b"pong")

    def test_requestClientCertificateUntrustedMustStillSign(self) -> None:
        """
        A refused certificate is no licence to skip the proof of possession:
        a CertificateVerify that does not verify is still fatal.
        """
        pair = established(client={"credential": credentialOf(cachedPKI().untrustedClient)})
        spoilSignatures(self)
        pair.server.connection.requestClientCertificate()
        pair.pump()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.decrypt_error)

    def test_peerRenegotiationWithRequiredCertificateStaysFatal(self) -> None:
        """
        Only our own mid-connection request is advisory: a renegotiation
        the client starts on a server that requires certificates judges
        them as the first handshake does.
        """
        pki = cachedPKI()
        pair = established(
            client={"credential": credentialOf(pki.ecdsaClient)},
            server={
                "clientAuth": ClientAuth.REQUIRE,
                "renegotiation": RenegotiationPolicy(allowPeerInitiated=True),
            },
        )
        pair.client.connection.config = replace(
            pair.client.connection.config, credential=credentialOf(pki.untrustedClient)
        )
        pair.client.connection.rehandshake()
        pair.pump()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.unknown_ca)

    def test_requestClientCertificateOnlyServers(self) -> None:
        pair = established()
        self.assertRaises(LocalUsageError, pair.client.connection.requestClientCertificate)


class ClientInitiatedTests(SynchronousTestCase):
    def test_refusedByDefault(self) -> None:
        pair = established()
        pair.client.connection.rehandshake()
        pair.pump()
        self.assertTrue(of(pair.client, RenegotiationRefused)[0].byPeer)
        self.assertFalse(of(pair.server, RenegotiationRefused)[0].byPeer)
        self.assertFalse(pair.client.connection.renegotiationInProgress)
        pair.client.connection.sendApplicationData(b"goes on")
        pair.pump()
        self.assertEqual(pair.server.received(), b"goes on")

    def test_allowedByPolicy(self) -> None:
        pair = established(server={"renegotiation": ALLOW})
        for _ in range(3):
            pair.client.connection.rehandshake()
            pair.pump()
        self.assertEqual(len(renegotiations(pair.server)), 3)
        self.assertEqual(pair.client.connection.session.renegotiations, 3)  # type: ignore[union-attr]

    def test_rateLimitRefuses(self) -> None:
        policy = RenegotiationPolicy(allowPeerInitiated=True, maxPeerInitiated=2, windowSeconds=60)
        clock = [datetime.now(timezone.utc)]
        pair = established(server={"renegotiation": policy})
        pair.server.connection._now = lambda: clock[0]  # noqa: SLF001
        for _ in range(3):
            pair.client.connection.rehandshake()
            pair.pump()
        self.assertEqual(len(renegotiations(pair.server)), 2)
        self.assertIn("rate limit", of(pair.server, RenegotiationRefused)[0].reason)
        clock[0] += timedelta(seconds=61)
        pair.client.connection.rehandshake()
        pair.pump()
        self.assertEqual(len(renegotiations(pair.server)), 3)

    def test_rateLimitCloses(self) -> None:
        policy = RenegotiationPolicy(
            allowPeerInitiated=True, maxPeerInitiated=1, closeOnLimit=True
        )
        pair = established(server={"renegotiation": policy})
        for _ in range(2):
            pair.client.connection.rehandshake()
            pair.pump()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.handshake_failure)
        self.assertIn("rate limit", str(failure.error))

    def test_noRenegotiationBeforeHandshake(self) -> None:
        connection = TLSConnection(clientConfig())
        self.assertRaises(LocalUsageError, connection.rehandshake)

    def test_noRenegotiationWithoutRFC5746(self) -> None:
        pair = established()
        session = pair.client.connection.session
        assert session is not None
        pair.client.connection.session = replace(session, secureRenegotiation=False)
        self.assertRaises(LocalUsageError, pair.client.connection.rehandshake)


class SecurityTests(SynchronousTestCase):
    def test_renegotiationInfoMismatch(self) -> None:
        pair = established(server={"renegotiation": ALLOW})
        previous = pair.client.connection._established.previous  # noqa: SLF001
        assert previous is not None
        pair.client.connection._established.previous = replace(
            previous, clientVerifyData=bytes(12)
        )  # noqa: SLF001
        pair.client.connection.rehandshake()
        pair.pump()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.handshake_failure)
        self.assertIn("renegotiation_info", str(failure.error))

    def test_serverRenegotiationInfoMismatch(self) -> None:
        pair = established()
        previous = pair.server.connection._established.previous  # noqa: SLF001
        assert previous is not None
        pair.server.connection._established.previous = replace(
            previous, serverVerifyData=bytes(12)
        )  # noqa: SLF001
        pair.server.connection.rehandshake()
        pair.pump()
        failure = pair.client.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.handshake_failure)

    def test_serverCertificateChangeRefused(self) -> None:
        pki = cachedPKI()
        pair = established()
        server = pair.server.connection
        server.config = replace(server.config, credential=credentialOf(pki.ecdsa384Server))
        server.rehandshake()
        pair.pump()
        failure = pair.client.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.bad_certificate)
        self.assertIn("changed", str(failure.error))

    def test_extendedMasterSecretMayNotBeDropped(self) -> None:
        pair = established(server={"renegotiation": ALLOW})
        client = pair.client.connection
        client.config = replace(client.config, offerExtendedMasterSecret=False)
        client.rehandshake()
        pair.pump()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.handshake_failure)
        self.assertIn("extended master secret", str(failure.error))

    def renegotiationHello(
        self, pair: EnginePair, drop: set[int], scsv: bool = False
    ) -> ClientHello:
        previous = pair.client.connection._established.previous  # noqa: SLF001
        assert previous is not None
        exts = [
            (ExtensionType.supported_groups, encodeUint16List([0x001D])),
            (ExtensionType.signature_algorithms, encodeUint16List([0x0403])),
            (ExtensionType.extended_master_secret, b""),
            (ExtensionType.renegotiation_info, encodeRenegotiationInfo(previous.clientVerifyData)),
        ]
        return ClientHello(
            legacyVersion=0x0303,
            random=os.urandom(32),
            sessionId=b"",
            cipherSuites=(0xC02B,) + ((0x00FF,) if scsv else ()),
            compressionMethods=b"\x00",
            extensions=Extensions(tuple((int(t), d) for t, d in exts if t not in drop)),
        )

    def test_missingExtensionsDoNotCrash(self) -> None:
        """
        CVE-2021-3449: a renegotiation ClientHello without
        signature_algorithms (or other extensions) gets an alert, never a
        crash; the state starts fresh for every ClientHello.
        """
        for drop, alert in (
            ({ExtensionType.signature_algorithms}, A.handshake_failure),
            ({ExtensionType.renegotiation_info}, A.handshake_failure),
            ({ExtensionType.extended_master_secret}, A.handshake_failure),
            ({ExtensionType.supported_groups}, None),
        ):
            pair = established(server={"renegotiation": ALLOW})
            hello = self.renegotiationHello(pair, {int(d) for d in drop})
            sendRecord(pair.client, pair.server, ContentType.handshake, hello.toBytes())
            failure = pair.server.failure()
            if alert is None:
                self.assertIsNone(failure, drop)
            else:
                assert failure is not None, drop
                self.assertEqual(failure.error.alert, alert, drop)
            self.assertNotIn("internal", str(failure.error) if failure else "")

    def test_scsvInRenegotiationAborts(self) -> None:
        pair = established(server={"renegotiation": ALLOW})
        hello = self.renegotiationHello(pair, set(), scsv=True)
        sendRecord(pair.client, pair.server, ContentType.handshake, hello.toBytes())
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.handshake_failure)
        self.assertIn("SCSV", str(failure.error))


class InterleavedData(TLSConnection):
    """
    A peer that sends each handshake message in 100-byte records and puts
    an application-data record after each message (C{inside}: after each
    record, which cuts messages apart).
    """

    counter = 0
    inside = False

    def sendHandshake(self, raw: bytes) -> None:
        self._flushHandshake()
        for i in range(0, len(raw), 100):
            self._out.extend(self._writer.writeRecords(ContentType.handshake, raw[i : i + 100]))
            if self.session is not None and (self.inside or i + 100 >= len(raw)):
                self.counter += 1
                self._out.extend(
                    self._writer.writeRecords(ContentType.application_data, b"[%d]" % self.counter)
                )


class DataDuringRenegotiationTests(SynchronousTestCase):
    def test_interleavedBetweenFragmentedMessages(self) -> None:
        """
        TLS 1.2 lets application data flow during a renegotiation, between
        handshake messages cut into many records.
        """
        pair = established()
        pair.server.connection.__class__ = InterleavedData
        pair.server.connection.rehandshake()
        pair.pump()
        self.assertEqual(len(renegotiations(pair.client)), 1)
        count = pair.server.connection.counter  # type: ignore[attr-defined]
        self.assertGreater(count, 3)
        self.assertEqual(
            pair.client.received(), b"".join(b"[%d]" % i for i in range(1, count + 1))
        )

    def test_interleavedInsideAMessageRefused(self) -> None:
        """
        ... but not between the fragments of one message (RFC 8446 5.1,
        held to for TLS 1.2 as well): unexpected_message.
        """
        pair = established()
        pair.server.connection.__class__ = InterleavedData
        pair.server.connection.inside = True  # type: ignore[attr-defined]
        pair.server.connection.rehandshake()
        pair.pump()
        failure = pair.client.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.unexpected_message)
        self.assertEqual(renegotiations(pair.client), [])

    def test_writesDuringRenegotiationStayInOrder(self) -> None:
        """
        Both sides write between every flight; everything arrives in order
        under whichever keys were current when it was written.
        """
        pair = established()
        pair.server.connection.rehandshake()
        sent = {"client": [], "server": []}
        for step in range(8):
            for name, side in (("client", pair.client), ("server", pair.server)):
                chunk = f"{name}-{step};".encode()
                side.connection.sendApplicationData(chunk)
                sent[name].append(chunk)
            for sender, receiver in ((pair.server, pair.client), (pair.client, pair.server)):
                data = sender.connection.dataToSend()
                if data:
                    receiver.events.extend(receiver.connection.receiveData(data))
        pair.pump()
        self.assertEqual(len(renegotiations(pair.client)), 1)
        self.assertEqual(pair.server.received(), b"".join(sent["client"]))
        self.assertEqual(pair.client.received(), b"".join(sent["server"]))

    def test_failureEventsCarryNoData(self) -> None:
        pair = established()
        events = pair.client.connection.receiveData(b"\x17\x03\x03\x00\x20" + bytes(32))
        self.assertEqual([type(e) for e in events], [ConnectionFailed])
        self.assertFalse(any(isinstance(e, ApplicationData) for e in events))


class InitialHandshakeRenegotiationInfoTests(SynchronousTestCase):
    """
    RFC 5746 on the first handshake: renegotiation_info must be empty.
    """

    def test_nonEmptyInInitialClientHello(self) -> None:
        hello = ClientHello(
            legacyVersion=0x0303,
            random=os.urandom(32),
            sessionId=b"",
            cipherSuites=(0xC02B,),
            compressionMethods=b"\x00",
            extensions=Extensions(
                (
                    (int(ExtensionType.signature_algorithms), encodeUint16List([0x0403])),
                    (int(ExtensionType.renegotiation_info), encodeRenegotiationInfo(bytes(12))),
                )
            ),
        )
        server = TLSConnection(serverConfig())
        record = b"\x16\x03\x01" + len(hello.toBytes()).to_bytes(2, "big") + hello.toBytes()
        (failed,) = server.receiveData(record)
        assert isinstance(failed, ConnectionFailed)
        self.assertEqual(failed.error.alert, A.handshake_failure)

    def test_nonEmptyInInitialServerHello(self) -> None:
        """
        A server echoing verify_data on a first handshake is refused by
        our client (not merely reported by the server).
        """
        from twisted_reneg.tls import server12

        pair = EnginePair(clientConfig(), serverConfig())
        clientHello = pair.client.connection.dataToSend()
        real = server12.encodeRenegotiationInfo
        self.patch(server12, "encodeRenegotiationInfo", lambda value: real(value or bytes(24)))
        pair.server.connection.receiveData(clientHello)
        serverFlight = pair.server.connection.dataToSend()
        self.patch(server12, "encodeRenegotiationInfo", real)
        pair.client.events.extend(pair.client.connection.receiveData(serverFlight))
        failure = pair.client.failure()
        assert failure is not None
        self.assertTrue(failure.error.sentByUs)
        self.assertEqual(failure.error.alert, A.handshake_failure)
        self.assertIn("renegotiation_info", str(failure.error))


class AlpnKeptTests(SynchronousTestCase):
    """
    RFC 7301 3.1: ALPN is a property of the connection, not of the session.
    A renegotiation keeps the protocol the first handshake chose, whether
    or not its ClientHello offers it again (browsers do not).
    """

    def pair(self) -> EnginePair:
        alpn = {"alpnProtocols": (b"h2", b"http/1.1")}
        server = {"alpnProtocols": (b"http/1.1",), "renegotiation": ALLOW}
        pair = established(alpn, server)
        for side in (pair.client, pair.server):
            session = side.connection.session
            assert session is not None
            self.assertEqual(session.alpnProtocol, b"http/1.1")
        return pair

    def assertKept(self, pair: EnginePair) -> None:
        for side in (pair.client, pair.server):
            (done,) = renegotiations(side)
            self.assertEqual(done.session.alpnProtocol, b"http/1.1")
            session = side.connection.session
            assert session is not None
            self.assertEqual(session.alpnProtocol, b"http/1.1")

    def test_renegotiatingClientOffersOnlyTheProtocol(self) -> None:
        pair = self.pair()
        offered: list[bytes] = []
        client = pair.client.connection
        original = client.sendHandshake

        def record(raw: bytes) -> None:
            if raw[0] == 1:
                alpn = ClientHello.parse(raw[4:]).extensions.get(
                    ExtensionType.application_layer_protocol_negotiation
                )
                offered.append(alpn or b"")
            original(raw)

        client.sendHandshake = record  # type: ignore[method-assign]
        client.rehandshake()
        pair.pump()
        self.assertEqual(offered, [b"\x00\x09\x08http/1.1"])
        self.assertKept(pair)

    def test_clientOffersNoneInRenegotiation(self) -> None:
        """
        A client that sends no ALPN when it renegotiates (as browsers do):
        the server keeps the protocol and answers none.
        """
        pair = self.pair()
        client = pair.client.connection
        # Such a client: one that does not remember the protocol.
        previous = client._established.previous  # noqa: SLF001
        assert previous is not None
        client._established.previous = replace(previous, alpnProtocol=None)  # noqa: SLF001
        client.rehandshake()
        pair.pump()
        (done,) = renegotiations(pair.server)
        self.assertEqual(done.session.alpnProtocol, b"http/1.1")
        session = pair.server.connection.session
        assert session is not None
        self.assertEqual(session.alpnProtocol, b"http/1.1")

    def test_serverAnswersNoneInRenegotiation(self) -> None:
        """
        A server that names no protocol in the renegotiation: our client
        keeps the connection's.
        """
        pair = self.pair()
        server = pair.server.connection
        previous = server._established.previous  # noqa: SLF001
        assert previous is not None
        server._established.previous = replace(previous, alpnProtocol=None)  # noqa: SLF001
        server.rehandshake()
        pair.pump()
        (done,) = renegotiations(pair.client)
        self.assertEqual(done.session.alpnProtocol, b"http/1.1")

    def test_serverInitiated(self) -> None:
        pair = self.pair()
        pair.server.connection.rehandshake()
        pair.pump()
        self.assertKept(pair)

    def test_noProtocolStaysNone(self) -> None:
        """
        A renegotiation cannot start a protocol the first handshake did not
        choose: the client offered none at first, so none is offered or
        chosen later.
        """
        pair = established({}, {"alpnProtocols": (b"http/1.1",)})
        pair.server.connection.rehandshake()
        pair.pump()
        for side in (pair.client, pair.server):
            (done,) = renegotiations(side)
            self.assertIsNone(done.session.alpnProtocol)
