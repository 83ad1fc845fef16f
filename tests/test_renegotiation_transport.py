# -*- test-case-name: tests.test_renegotiation_transport -*-
"""
C{rehandshake()} and C{requestClientCertificate()} on the Twisted transport,
over iosim with a fake clock: Deferreds, timeouts, refusals, concurrent
calls, connection loss, and the listener callbacks.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.error import ConnectionLost
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import (
    ClientOptions,
    LocalUsageError,
    RenegotiationPolicy,
    RenegotiationRefused,
    RenegotiationTimeout,
    ServerOptions,
)
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.established13 import Established13

from ._connected import Connected, Listener
from ._connected import clientOptions as anyClientOptions
from ._connected import serverOptions as anyServerOptions
from ._timers import pendingTimers


def serverOptions(**kw: Any) -> ServerOptions:
    """
    Renegotiation is TLS 1.2: these tests pin it (1.3 has its own).
    """
    kw.setdefault("maxVersion", "1.2")
    return anyServerOptions(**kw)


def clientOptions(**kw: Any) -> ClientOptions:
    kw.setdefault("maxVersion", "1.2")
    return anyClientOptions(**kw)


def connected(**kw: Any) -> Connected:
    kw.setdefault("server", serverOptions())
    kw.setdefault("client", clientOptions())
    c = Connected(clientProtocol=Listener(), serverProtocol=Listener(), **kw)
    c.flush()
    return c


class ServerRehandshakeTests(SynchronousTestCase):
    def test_firesWithNewSession(self) -> None:
        c = connected()
        d = c.server.rehandshake()
        self.assertNoResult(d)
        c.flush()
        session = self.successResultOf(d)
        self.assertEqual(session.renegotiations, 1)
        self.assertIs(c.server.session, session)
        for app in (c.serverApp, c.clientApp):
            self.assertEqual(
                app.calls[-2:],  # type: ignore[attr-defined]
                ["renegotiationCompleted 1", "handshakeCompleted"],
            )
        self.assertIn("renegotiationRequested", c.clientApp.calls)  # type: ignore[attr-defined]

    def test_heardInOrder(self) -> None:
        """
        Data written just before a HelloRequest, arriving in one read, is
        delivered before the client's application is asked.
        """
        c = connected()
        c.clientApp.calls.clear()  # type: ignore[attr-defined]
        c.server.write(b"before")
        c.server.rehandshake()
        c.flush()
        self.assertEqual(
            c.clientApp.calls[:2],  # type: ignore[attr-defined]
            ["dataReceived", "renegotiationRequested"],
        )
        self.assertEqual(c.clientApp.data, b"before")  # type: ignore[attr-defined]

    def test_secondCallSharesTheRenegotiation(self) -> None:
        c = connected()
        first, second = c.server.rehandshake(), c.server.rehandshake()
        c.flush()
        self.assertIs(self.successResultOf(first), self.successResultOf(second))
        self.assertEqual(c.server.session.renegotiations, 1)  # type: ignore[union-attr]

    def test_refusedByClient(self) -> None:
        c = connected()
        c.clientApp.allow = False  # type: ignore[attr-defined]
        d = c.server.rehandshake()
        c.flush()
        self.failureResultOf(d, RenegotiationRefused)
        self.assertIn("renegotiationFailed RenegotiationRefused", c.serverApp.calls)  # type: ignore[attr-defined]
        c.client.write(b"still up")
        c.flush()
        self.assertEqual(c.serverApp.data, b"still up")  # type: ignore[attr-defined]

    def test_ignoredWithTimeout(self) -> None:
        """
        A client that ignores the HelloRequest: RenegotiationTimeout after
        the timeout, and the connection goes on.
        """
        c = connected()
        c.client._tls._receiveHelloRequest = lambda body: None  # type: ignore[union-attr]
        d = c.server.rehandshake(timeout=5)
        c.flush()
        c.clock.advance(4)
        self.assertNoResult(d)
        c.clock.advance(2)
        self.failureResultOf(d, RenegotiationTimeout)
        self.assertFalse(c.server._tls.renegotiationInProgress)  # type: ignore[union-attr]
        c.server.write(b"still up")
        c.flush()
        self.assertEqual(c.clientApp.data, b"still up")  # type: ignore[attr-defined]

    def test_lateAnswerCompletes(self) -> None:
        """
        A client that reads our HelloRequest only after our timeout: its
        ClientHello answers the renegotiation we asked for, which completes
        (reported to the listener; the Deferred has failed already), even
        though this server refuses renegotiations clients start.  Refusing
        it with a warning would leave a client that ignores warnings (Go's)
        waiting for a ServerHello for ever.
        """
        c = connected()
        d = c.server.rehandshake(timeout=5)
        c.clock.advance(5)  # nothing pumped: the client has not read yet
        self.failureResultOf(d, RenegotiationTimeout)
        c.flush()
        session = c.server.session
        assert session is not None
        self.assertEqual(session.renegotiations, 1)
        self.assertEqual(c.client.session.renegotiations, 1)  # type: ignore[union-attr]
        self.assertEqual(
            [call for call in c.serverApp.calls if call.startswith("renegotiation")],  # type: ignore[attr-defined]
            ["renegotiationFailed RenegotiationTimeout", "renegotiationCompleted 1"],
        )
        c.client.write(b"still up")
        c.flush()
        self.assertEqual(c.serverApp.data, b"still up")  # type: ignore[attr-defined]

    def test_lateAnswerToCertificateRequest(self) -> None:
        """
        The late answer to a timed-out certificate request is that request:
        the server asks for the certificate and gets it.
        """
        c = connected(**withClientCertificate())
        d = c.server.requestClientCertificate(timeout=5)
        c.clock.advance(5)
        self.failureResultOf(d, RenegotiationTimeout)
        c.flush()
        session = c.server.session
        assert session is not None
        self.assertEqual(session.renegotiations, 1)
        self.assertEqual(session.peerCertificate, cachedPKI().ecdsaClient.certificate)

    def test_lateRefusal(self) -> None:
        """
        A late no_renegotiation after our timeout is only a warning: the
        connection goes on and a later request of ours is refused or
        answered on its own.
        """
        c = connected(
            client=clientOptions(renegotiation=RenegotiationPolicy(allowPeerInitiated=False))
        )
        d = c.server.rehandshake(timeout=5)
        c.clock.advance(5)
        self.failureResultOf(d, RenegotiationTimeout)
        c.flush()
        self.assertEqual(c.server.session.renegotiations, 0)  # type: ignore[union-attr]
        again = c.server.rehandshake(timeout=5)
        c.flush()
        self.failureResultOf(again, RenegotiationRefused)
        c.client.write(b"still up")
        c.flush()
        self.assertEqual(c.serverApp.data, b"still up")  # type: ignore[attr-defined]

    def test_ignoredWithoutTimeoutWaitsForConnectionLoss(self) -> None:
        c = connected()
        c.client._tls._receiveHelloRequest = lambda body: None  # type: ignore[union-attr]
        d = c.server.rehandshake()
        c.flush()
        c.clock.advance(3600)
        self.assertNoResult(d)
        c.clientTransport.loseConnection()
        c.flush()
        self.failureResultOf(d, ConnectionLost)

    def test_connectionLostMidway(self) -> None:
        c = connected()
        d = c.server.rehandshake()
        c.serverTransport.loseConnection()  # TCP dies before any answer
        c.flush()
        self.failureResultOf(d, ConnectionLost)
        self.assertIn("renegotiationFailed ConnectionLost", c.serverApp.calls)  # type: ignore[attr-defined]

    def test_afterCloseFailsAtOnce(self) -> None:
        c = connected()
        c.server.loseConnection()
        self.failureResultOf(c.server.rehandshake(), ConnectionLost)


class RequestClientCertificateTests(SynchronousTestCase):
    def test_certificateArrives(self) -> None:
        pki = cachedPKI()
        c = connected(
            client=ClientOptions(
                "localhost",
                trustRoots=[pki.caCertificate],
                clientCertificate=((pki.ecdsaClient.certificate,), pki.ecdsaClient.privateKey),
            ),
            server=serverOptions(trustRoots=[pki.caCertificate]),
        )
        self.assertIsNone(c.server.getPeerCertificate())
        d = c.server.requestClientCertificate()
        c.flush()
        session = self.successResultOf(d)
        self.assertEqual(session.peerCertificate, pki.ecdsaClient.certificate)
        self.assertEqual(
            c.server.getPeerCertificate().to_cryptography(), pki.ecdsaClient.certificate
        )

    def test_noCertificateIsTheApplicationsCall(self) -> None:
        c = connected(server=serverOptions(trustRoots=[cachedPKI().caCertificate]))
        d = c.server.requestClientCertificate()
        c.flush()
        self.assertIsNone(self.successResultOf(d).peerCertificate)

    def test_followsARunningRenegotiation(self) -> None:
        pki = cachedPKI()
        c = connected(
            client=ClientOptions(
                "localhost",
                trustRoots=[pki.caCertificate],
                clientCertificate=((pki.rsaClient.certificate,), pki.rsaClient.privateKey),
            ),
            server=serverOptions(trustRoots=[pki.caCertificate]),
        )
        first = c.server.rehandshake()
        second = c.server.requestClientCertificate()
        c.flush()
        self.assertEqual(self.successResultOf(first).renegotiations, 1)
        session = self.successResultOf(second)
        self.assertEqual(session.renegotiations, 2)
        self.assertEqual(session.peerCertificate, pki.rsaClient.certificate)

    def test_clientCannot(self) -> None:
        """
        Misuse raises at once, as documented (not a failed Deferred).
        """
        c = connected()
        with self.assertRaises(LocalUsageError) as raised:
            c.client.requestClientCertificate()
        self.assertIn("only a server", str(raised.exception))

    def test_timeoutSaysWhatTimedOut(self) -> None:
        """
        A certificate request that times out says so, in words of what was
        asked: not "did not renegotiate" for TLS 1.3 post-handshake auth.
        """
        for version, words in (
            ("1.3", "did not answer the certificate request (TLS 1.3 post-handshake"),
            ("1.2", "did not renegotiate to answer the certificate request"),
        ):
            c = connected(**withClientCertificate(maxVersion=version))
            d = c.server.requestClientCertificate(timeout=5)
            c.clock.advance(5)
            failure = self.failureResultOf(d, RenegotiationTimeout)
            self.assertIn(words, str(failure.value), version)


class ClientRehandshakeTests(SynchronousTestCase):
    def test_refusedByDefaultServer(self) -> None:
        c = connected()
        d = c.client.rehandshake()
        c.flush()
        self.failureResultOf(d, RenegotiationRefused)
        c.client.write(b"still up")
        c.flush()
        self.assertEqual(c.serverApp.data, b"still up")  # type: ignore[attr-defined]

    def test_allowedServer(self) -> None:
        c = connected(
            server=serverOptions(renegotiation=RenegotiationPolicy(allowPeerInitiated=True))
        )
        d = c.client.rehandshake()
        c.flush()
        self.assertEqual(self.successResultOf(d).renegotiations, 1)
        self.assertIn("renegotiationCompleted 1", c.serverApp.calls)  # type: ignore[attr-defined]

    def test_serverHearsInOrder(self) -> None:
        c = connected(
            server=serverOptions(renegotiation=RenegotiationPolicy(allowPeerInitiated=True))
        )
        c.serverApp.calls.clear()  # type: ignore[attr-defined]
        c.client.write(b"before")
        d = c.client.rehandshake()
        c.flush()
        self.successResultOf(d)
        self.assertEqual(
            c.serverApp.calls[:2],  # type: ignore[attr-defined]
            ["dataReceived", "renegotiationRequested"],
        )

    def test_serverApplicationVeto(self) -> None:
        c = connected(
            server=serverOptions(renegotiation=RenegotiationPolicy(allowPeerInitiated=True))
        )
        c.serverApp.allow = False  # type: ignore[attr-defined]
        d = c.client.rehandshake()
        c.flush()
        self.failureResultOf(d, RenegotiationRefused)

    def test_beforeHandshakeWaitsForIt(self) -> None:
        """
        Asked before the first handshake completes, the renegotiation
        starts right after it.
        """
        c = Connected(
            server=serverOptions(renegotiation=RenegotiationPolicy(allowPeerInitiated=True))
        )
        d = c.server.rehandshake()
        self.assertNoResult(d)
        c.flush()
        self.assertEqual(self.successResultOf(d).renegotiations, 1)

    def test_beforeHandshakeThenLost(self) -> None:
        c = Connected(client=clientOptions())
        d = c.client.rehandshake()
        c.clientTransport.loseConnection()
        c.flush()
        self.failureResultOf(d)


def withClientCertificate(**kw: Any) -> dict[str, Any]:
    """
    Options for L{connected} where the client holds a certificate the
    server trusts.
    """
    pki = cachedPKI()
    kw.setdefault("maxVersion", "1.2")
    return {
        "client": ClientOptions(
            "localhost",
            trustRoots=[pki.caCertificate],
            clientCertificate=((pki.ecdsaClient.certificate,), pki.ecdsaClient.privateKey),
            **kw,
        ),
        "server": serverOptions(trustRoots=[pki.caCertificate], **kw),
    }


def ignoreHelloRequests(c: Connected, count: int) -> None:
    """
    Make the client ignore the next C{count} HelloRequests, then behave.
    """
    tls = c.client._tls
    assert tls is not None
    original = tls._receiveHelloRequest
    left = [count]

    def receive(body: bytes) -> None:
        if left[0]:
            left[0] -= 1
            return
        original(body)

    tls._receiveHelloRequest = receive  # type: ignore[method-assign]


class QueuedRequestTests(SynchronousTestCase):
    """
    A request behind a running renegotiation starts after it, whatever
    that one's outcome; only connection loss (or its own timeout) fails it.
    """

    def test_afterARefusal(self) -> None:
        c = connected(**withClientCertificate())
        c.clientApp.allow = [False, True]  # type: ignore[attr-defined]
        first = c.server.rehandshake()
        second = c.server.requestClientCertificate()
        c.flush()
        self.failureResultOf(first, RenegotiationRefused)
        session = self.successResultOf(second)
        self.assertEqual(session.renegotiations, 1)
        self.assertEqual(session.peerCertificate, cachedPKI().ecdsaClient.certificate)

    def test_afterATimeout(self) -> None:
        c = connected(**withClientCertificate())
        ignoreHelloRequests(c, 1)
        first = c.server.requestClientCertificate(timeout=5)
        second = c.server.requestClientCertificate()
        c.flush()
        self.assertNoResult(second)
        c.clock.advance(5)
        self.failureResultOf(first, RenegotiationTimeout)
        c.flush()
        session = self.successResultOf(second)
        self.assertEqual(session.peerCertificate, cachedPKI().ecdsaClient.certificate)
        self.assertEqual(
            [call for call in c.serverApp.calls if call.startswith("renegotiation")],  # type: ignore[attr-defined]
            ["renegotiationFailed RenegotiationTimeout", "renegotiationCompleted 1"],
        )

    def test_afterASuccess(self) -> None:
        """
        Two certificate requests: two renegotiations, one after the other.
        """
        c = connected(**withClientCertificate())
        first = c.server.requestClientCertificate()
        second = c.server.requestClientCertificate()
        c.flush()
        self.assertEqual(self.successResultOf(first).renegotiations, 1)
        self.assertEqual(self.successResultOf(second).renegotiations, 2)

    def test_afterThePeersRenegotiation(self) -> None:
        """
        A certificate request while the client's own renegotiation runs
        waits for it, then renegotiates again.
        """
        c = connected(
            **withClientCertificate(renegotiation=RenegotiationPolicy(allowPeerInitiated=True))
        )
        clientSide = c.client.rehandshake()
        c.deliverToServer()  # the server has the ClientHello: its handshake runs
        self.assertTrue(c.server._tls.renegotiationInProgress)  # type: ignore[union-attr]
        d = c.server.requestClientCertificate()
        c.flush()
        self.assertEqual(self.successResultOf(clientSide).renegotiations, 1)
        session = self.successResultOf(d)
        self.assertEqual(session.renegotiations, 2)
        self.assertEqual(session.peerCertificate, cachedPKI().ecdsaClient.certificate)

    def test_connectionLossFailsTheQueue(self) -> None:
        c = connected(**withClientCertificate())
        first = c.server.rehandshake()
        second = c.server.requestClientCertificate()
        c.serverTransport.loseConnection()
        c.flush()
        self.failureResultOf(first, ConnectionLost)
        self.failureResultOf(second, ConnectionLost)

    def test_ownTimeoutCountsTheWait(self) -> None:
        """
        A queued request's timeout runs from the call: behind a
        renegotiation the peer ignores, it gives up alone; the one ahead
        goes on waiting, and the listener hears of no failure.
        """
        c = connected(**withClientCertificate())
        ignoreHelloRequests(c, 1)
        first = c.server.rehandshake()
        second = c.server.requestClientCertificate(timeout=5)
        c.flush()
        c.clock.advance(5)
        self.failureResultOf(second, RenegotiationTimeout)
        self.assertNoResult(first)
        self.assertNotIn(
            "renegotiationFailed RenegotiationTimeout",
            c.serverApp.calls,  # type: ignore[attr-defined]
        )

    def test_sharerTimesOutAlone(self) -> None:
        """
        A rehandshake() sharing a certificate request gives up after its
        own (shorter) timeout; the request goes on and completes.
        """
        c = connected(**withClientCertificate())
        request = c.server.requestClientCertificate(timeout=30)
        impatient = c.server.rehandshake(timeout=1)
        c.clock.advance(1)
        self.failureResultOf(impatient, RenegotiationTimeout)
        c.flush()
        session = self.successResultOf(request)
        self.assertEqual(session.peerCertificate, cachedPKI().ecdsaClient.certificate)

    def test_rehandshakeSharesACertificateRequest(self) -> None:
        """
        Behind a certificate request, rehandshake() shares it: a TLS 1.2
        renegotiation is always a full handshake with new keys both ways.
        """
        c = connected(**withClientCertificate())
        request = c.server.requestClientCertificate()
        rehandshake = c.server.rehandshake()
        c.flush()
        self.assertIs(self.successResultOf(rehandshake), self.successResultOf(request))
        self.assertEqual(c.server.session.renegotiations, 1)  # type: ignore[union-attr]

    def test_rehandshakeBehindAQueuedRequestSharesThatOne(self) -> None:
        c = connected(**withClientCertificate())
        c.clientApp.allow = [False, True]  # type: ignore[attr-defined]
        first = c.server.requestClientCertificate()
        second = c.server.requestClientCertificate()
        third = c.server.rehandshake()
        c.flush()
        self.failureResultOf(first, RenegotiationRefused)
        self.assertIs(self.successResultOf(third), self.successResultOf(second))


class KeyUpdateTests(SynchronousTestCase):
    """
    rehandshake() on TLS 1.3: a KeyUpdate, and a Deferred that does not
    wait for the peer's answer.
    """

    def test_firesOnceOurKeyUpdateIsOut(self) -> None:
        c = connected(
            server=anyServerOptions(maxVersion="1.3"),
            client=anyClientOptions(minVersion="1.3", maxVersion="1.3"),
        )
        d = c.client.rehandshake(timeout=5)
        session = self.successResultOf(d)
        self.assertEqual((session.version, session.keyUpdates), ("TLSv1.3", 0))
        self.assertEqual(pendingTimers(c.clock), [])  # no timeout left running
        c.flush()
        # The peer's answer arrives later, reported as it always was.
        self.assertEqual(c.clientApp.calls[-1], "keysUpdated unrequested")  # type: ignore[attr-defined]
        self.assertEqual(c.serverApp.calls[-1], "keysUpdated requested")  # type: ignore[attr-defined]
        self.assertEqual(c.client.session.keyUpdates, 1)  # type: ignore[union-attr]

    def test_peerThatPostponesItsAnswer(self) -> None:
        """
        RFC 8446 4.6.3: the peer may answer only when it next writes; the
        Deferred has fired long before, and data flows meanwhile.
        """
        c = connected(
            server=anyServerOptions(maxVersion="1.3"),
            client=anyClientOptions(minVersion="1.3", maxVersion="1.3"),
        )
        server = c.server._tls
        assert server is not None
        established = server._established
        assert isinstance(established, Established13)
        answer = established.sendKeyUpdate
        postponed: list[bool] = []
        established.sendKeyUpdate = lambda requested: postponed.append(requested)  # type: ignore[method-assign]
        d = c.client.rehandshake()
        c.client.write(b"under new keys")
        c.flush()
        self.successResultOf(d)
        self.assertEqual((c.serverApp.data, postponed), (b"under new keys", [False]))
        self.assertEqual(c.client.session.keyUpdates, 0)  # type: ignore[union-attr]
        answer(False)
        c.server.write(b"now")
        c.flush()
        self.assertEqual(c.clientApp.data, b"now")  # type: ignore[attr-defined]
        self.assertEqual(c.client.session.keyUpdates, 1)  # type: ignore[union-attr]
        self.assertEqual(c.clientApp.calls[-2], "keysUpdated unrequested")  # type: ignore[attr-defined]

    def test_everyCallSendsOne(self) -> None:
        c = connected(
            server=anyServerOptions(maxVersion="1.3"),
            client=anyClientOptions(minVersion="1.3", maxVersion="1.3"),
        )
        first, second = c.client.rehandshake(), c.client.rehandshake()
        self.successResultOf(first)
        self.successResultOf(second)
        c.flush()
        for side in (c.client, c.server):
            self.assertEqual(side.session.keyUpdates, 2)  # type: ignore[union-attr]

    def test_doesNotWaitForPostHandshakeAuth(self) -> None:
        """
        A key update is no renegotiation: it neither waits for nor shares a
        post-handshake certificate request running.
        """
        c = connected(**withClientCertificate(maxVersion="1.3"))
        request = c.server.requestClientCertificate()
        session = self.successResultOf(c.server.rehandshake())
        self.assertIsNone(session.peerCertificate)
        self.assertNoResult(request)
        c.flush()
        self.assertEqual(
            self.successResultOf(request).peerCertificate, cachedPKI().ecdsaClient.certificate
        )
        self.assertEqual(c.server.session.keyUpdates, 1)  # type: ignore[union-attr]

    def test_certificateRequestsQueue(self) -> None:
        """
        TLS 1.3: a post-handshake certificate request behind another one
        runs after it, even when the first timed out unanswered.
        """
        c = connected(**withClientCertificate(maxVersion="1.3"))
        first = c.server.requestClientCertificate(timeout=1)
        second = c.server.requestClientCertificate()
        c.clock.advance(1)
        self.failureResultOf(first, RenegotiationTimeout)
        self.assertNoResult(second)
        c.flush()  # the client answers the first; the second goes out then
        self.assertEqual(
            self.successResultOf(second).peerCertificate, cachedPKI().ecdsaClient.certificate
        )
