# -*- test-case-name: tests.test_transport -*-
"""
The Twisted adapter on iosim with a fake clock: the Twisted semantics
(connectionMade before the handshake, buffered early writes, clean and
unclean close, failures reported with their alert) without sockets.
"""

from __future__ import annotations

from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import (
    INegotiated,
    ISSLTransport,
    ITCPTransport,
)
from twisted.internet.protocol import Factory
from twisted.internet.task import Clock
from twisted.test.iosim import FakeTransport, connect
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_reneg import (
    ServerOptions,
    TLSAlertError,
    TLSFactory,
    optionsForClientTLS,
)
from twisted_reneg.interfaces import IRenegotiatingTransport
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.errors import AlertDescription

from ._connected import Connected, Recorder, clientOptions, serverOptions
from ._timers import clockNow


class HandshakeTests(SynchronousTestCase):
    def test_order(self) -> None:
        """
        connectionMade comes before the handshake, handshakeCompleted after.
        """
        c = Connected()
        self.assertEqual(c.clientApp.calls, ["connectionMade"])  # type: ignore[attr-defined]
        c.flush()
        self.assertEqual(
            c.clientApp.calls,  # type: ignore[attr-defined]
            ["connectionMade", "handshakeCompleted"],
        )
        self.assertEqual(
            c.serverApp.calls,  # type: ignore[attr-defined]
            ["connectionMade", "handshakeCompleted"],
        )

    def test_interfaces(self) -> None:
        c = Connected()
        c.flush()
        for iface in (
            ISSLTransport,
            INegotiated,
            ITCPTransport,
            IRenegotiatingTransport,
        ):
            self.assertTrue(iface.providedBy(c.client), iface)
        session = c.client.session
        assert session is not None
        self.assertEqual(session.version, "TLSv1.3")  # the default now
        peer = c.client.getPeerCertificate()
        self.assertEqual(peer.to_cryptography(), cachedPKI().ecdsaServer.certificate)
        self.assertIsNone(c.server.getPeerCertificate())

    def test_earlyWritesAreBuffered(self) -> None:
        """
        Writes made in connectionMade are sent once the handshake is done.
        """

        class Greeter(Recorder):
            def connectionMade(self) -> None:
                super().connectionMade()
                self.transport.write(b"hello ")
                self.transport.writeSequence([b"over ", b"TLS"])

        c = Connected(clientProtocol=Greeter())
        c.flush()
        self.assertEqual(c.serverApp.data, b"hello over TLS")  # type: ignore[attr-defined]

    def test_alpnFromWrappedFactory(self) -> None:
        """
        IProtocolNegotiationFactory on the wrapped factory gives the ALPN list.
        """
        from twisted.internet.interfaces import IProtocolNegotiationFactory

        @implementer(IProtocolNegotiationFactory)
        class NegotiatingFactory(Factory):
            protocol = Recorder

            def acceptableProtocols(self) -> list[bytes]:
                return [b"h2", b"http/1.1"]

        clock = clockNow()
        server = TLSFactory(serverOptions(), False, NegotiatingFactory(), clock=clock)
        client = TLSFactory(
            optionsForClientTLS(
                "localhost",
                trustRoot=cachedPKI().caCertificate,
                acceptableProtocols=[b"http/1.1"],
            ),
            True,
            Factory.forProtocol(Recorder),
            clock=clock,
        )
        s, cl = server.buildProtocol(None), client.buildProtocol(None)
        pump = connect(s, FakeTransport(s, True), cl, FakeTransport(cl, False), clock=clock)
        pump.flush()
        self.assertEqual(cl.negotiatedProtocol, b"http/1.1")
        self.assertEqual(s.negotiatedProtocol, b"http/1.1")


class CloseTests(SynchronousTestCase):
    def test_cleanClose(self) -> None:
        """
        loseConnection flushes, exchanges close_notify: ConnectionDone both
        sides, and data written just before arrives.
        """
        c = Connected()
        c.flush()
        c.client.write(b"bye")
        c.client.loseConnection()
        c.flush()
        self.assertEqual(c.serverApp.data, b"bye")  # type: ignore[attr-defined]
        for app in (c.clientApp, c.serverApp):
            reason = app.lostReason  # type: ignore[attr-defined]
            assert reason is not None
            self.assertTrue(reason.check(ConnectionDone), reason)

    def test_closeBeforeHandshakeWaits(self) -> None:
        """
        A loseConnection in connectionMade after a write waits for the
        handshake, sends the data, then closes cleanly.
        """

        class WriteAndClose(Recorder):
            def connectionMade(self) -> None:
                super().connectionMade()
                self.transport.write(b"one shot")
                self.transport.loseConnection()

        c = Connected(clientProtocol=WriteAndClose())
        c.flush()
        self.assertEqual(c.serverApp.data, b"one shot")  # type: ignore[attr-defined]
        reason = c.serverApp.lostReason  # type: ignore[attr-defined]
        assert reason is not None
        self.assertTrue(reason.check(ConnectionDone))

    def test_eofWithoutCloseNotify(self) -> None:
        """
        The TCP connection ending without close_notify is ConnectionLost.
        """
        c = Connected()
        c.flush()
        c.clientTransport.loseConnection()  # under TLS: no close_notify
        c.flush()
        reason = c.serverApp.lostReason  # type: ignore[attr-defined]
        assert reason is not None
        self.assertTrue(reason.check(ConnectionLost), reason)

    def test_peerNeverAnswersCloseNotify(self) -> None:
        """
        If the peer never answers our close_notify, the connection is
        dropped after the close timeout.
        """
        c = Connected()
        c.flush()
        c.server.dataReceived = lambda data: None  # type: ignore[method-assign]
        c.client.loseConnection()
        c.flush()
        self.assertIsNone(c.clientApp.lostReason)  # type: ignore[attr-defined]
        c.clock.advance(c.client.factory.closeTimeout + 1)
        c.flush()
        self.assertIsNotNone(c.clientApp.lostReason)  # type: ignore[attr-defined]

    def test_abort(self) -> None:
        c = Connected()
        c.flush()
        c.client.abortConnection()
        c.flush()
        self.assertIn("connectionLost", c.clientApp.calls)  # type: ignore[attr-defined]


class FailureTests(SynchronousTestCase):
    def test_verificationFailureReported(self) -> None:
        """
        A certificate the client rejects ends both sides with a
        TLSAlertError naming the alert; no application data flows.
        """
        pki = cachedPKI()
        c = Connected(
            server=ServerOptions.fromPEM(pki.wrongHostServer.certPath, pki.wrongHostServer.keyPath)
        )
        c.flush()
        clientReason = c.clientApp.lostReason  # type: ignore[attr-defined]
        assert clientReason is not None
        clientReason.trap(TLSAlertError)
        self.assertEqual(clientReason.value.alert, AlertDescription.bad_certificate)
        self.assertTrue(clientReason.value.sentByUs)
        serverReason = c.serverApp.lostReason  # type: ignore[attr-defined]
        assert serverReason is not None
        serverReason.trap(TLSAlertError)
        self.assertFalse(serverReason.value.sentByUs)
        self.assertNotIn("handshakeCompleted", c.clientApp.calls)  # type: ignore[attr-defined]

    def test_garbageGetsAlertAndClose(self) -> None:
        """
        Garbage from the peer: an alert goes out, the connection closes,
        nothing raises out of dataReceived.
        """
        c = Connected()
        c.server.dataReceived(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(c.serverTransport.stream[-1][:1], b"\x15")  # the alert
        self.assertTrue(c.server.disconnecting)
        c.flush()
        reason = c.serverApp.lostReason  # type: ignore[attr-defined]
        assert reason is not None
        reason.trap(TLSAlertError)


class ProducerTests(SynchronousTestCase):
    def test_producerPausedDuringHandshake(self) -> None:
        """
        A streaming producer registered before the handshake is paused until
        the handshake completes.
        """
        events: list[str] = []

        class Producer:
            def pauseProducing(self) -> None:
                events.append("pause")

            def resumeProducing(self) -> None:
                events.append("resume")

            def stopProducing(self) -> None:
                events.append("stop")

        c = Connected()
        c.client.registerProducer(Producer(), True)
        self.assertEqual(events, ["pause"])
        c.flush()
        self.assertEqual(events, ["pause", "resume"])


class InterfaceConformanceTests(SynchronousTestCase):
    def test_verifyObject(self) -> None:
        """
        Every interface the transport claims, checked by zope.
        """
        from twisted.internet.interfaces import IConsumer, IPushProducer, ITransport
        from zope.interface.verify import verifyObject

        c = Connected()
        c.flush()
        for iface in (
            ITransport,
            ITCPTransport,
            ISSLTransport,
            INegotiated,
            IPushProducer,
            IConsumer,
            IRenegotiatingTransport,
        ):
            self.assertTrue(verifyObject(iface, c.server), iface)

    def test_peerFromTransport(self) -> None:
        """
        Twisted's Certificate.peerFromTransport / hostFromTransport work.
        """
        from twisted.internet.ssl import Certificate

        pki = cachedPKI()
        c = Connected()
        c.flush()
        peer = Certificate.peerFromTransport(c.client)
        self.assertEqual(peer.original.to_cryptography(), pki.ecdsaServer.certificate)
        host = Certificate.hostFromTransport(c.server)
        self.assertEqual(host.original.to_cryptography(), pki.ecdsaServer.certificate)

    def test_tcpOptionsPassThrough(self) -> None:
        from twisted.internet.testing import StringTransport

        from twisted_reneg import TLSFactory

        class TCP(StringTransport):
            noDelay = keepAlive = False

            def setTcpNoDelay(self, enabled: bool) -> None:
                self.noDelay = enabled

            def setTcpKeepAlive(self, enabled: bool) -> None:
                self.keepAlive = enabled

        tcp = TCP()
        server = TLSFactory(
            serverOptions(), False, Factory.forProtocol(Recorder), clock=Clock()
        ).buildProtocol(None)
        server.makeConnection(tcp)
        server.setTcpNoDelay(True)
        server.setTcpKeepAlive(True)
        self.assertTrue(tcp.noDelay and tcp.keepAlive)

    def test_logPrefix(self) -> None:
        c = Connected()
        self.assertIn("(TLS)", c.server.factory.logPrefix())


class PauseReadingTests(SynchronousTestCase):
    def test_pauseStopsReadsAfterHandshake(self) -> None:
        """
        The application pausing us pauses the TCP transport once the first
        handshake is done (and not before, which would stall it).
        """
        from twisted.internet.testing import StringTransport

        from twisted_reneg import TLSFactory

        factory = TLSFactory(serverOptions(), False, Factory.forProtocol(Recorder), clock=Clock())
        server = factory.buildProtocol(None)
        tcp = StringTransport()
        server.makeConnection(tcp)
        server.pauseProducing()
        self.assertEqual(tcp.producerState, "producing")
        c = Connected()
        c.flush()
        c.server.transport = tcp
        c.server.pauseProducing()
        self.assertEqual(tcp.producerState, "paused")
        c.server.resumeProducing()
        self.assertEqual(tcp.producerState, "producing")


class HalfCloseTests(SynchronousTestCase):
    def test_readConnectionLostOnCloseNotify(self) -> None:
        """
        An IHalfCloseableProtocol hears readConnectionLost when the peer's
        close_notify arrives, before connectionLost.
        """
        from twisted.internet.interfaces import IHalfCloseableProtocol

        @implementer(IHalfCloseableProtocol)
        class HalfCloser(Recorder):
            def readConnectionLost(self) -> None:
                self.calls.append("readConnectionLost")

            def writeConnectionLost(self) -> None:
                self.calls.append("writeConnectionLost")

        # TLS 1.2: close_notify is answered at once and the connection ends.
        c = Connected(serverProtocol=HalfCloser(), client=clientOptions(maxVersion="1.2"))
        c.flush()
        c.client.loseConnection()
        c.flush()
        calls = c.serverApp.calls  # type: ignore[attr-defined]
        self.assertEqual(calls[-2:], ["readConnectionLost", "connectionLost"])

    def test_tls13HalfClose(self) -> None:
        """
        TLS 1.3 (RFC 8446 6.1): a client's loseWriteConnection() sends
        close_notify and a FIN; a half-close-aware server hears
        readConnectionLost and may still answer, which the client reads;
        the connection ends when the server closes too.  Without a
        half-close-aware application the server closes at once.
        """
        from twisted.internet.interfaces import IHalfCloseableProtocol

        @implementer(IHalfCloseableProtocol)
        class Answerer(Recorder):
            def readConnectionLost(self) -> None:
                self.calls.append("readConnectionLost")
                self.transport.write(b"answer to " + self.data)  # type: ignore[union-attr]
                self.transport.loseConnection()  # type: ignore[union-attr]

            def writeConnectionLost(self) -> None:
                self.calls.append("writeConnectionLost")

        c = Connected(serverProtocol=Answerer())
        c.flush()
        self.assertEqual(c.client.session.version, "TLSv1.3")  # type: ignore[attr-defined]
        c.client.write(b"question")
        c.client.loseWriteConnection()  # type: ignore[attr-defined]
        c.client.write(b"dropped: after the half-close")
        c.flush()
        self.assertEqual(c.serverApp.data, b"question")  # type: ignore[attr-defined]
        self.assertEqual(c.clientApp.data, b"answer to question")  # type: ignore[attr-defined]
        self.assertEqual(c.serverApp.calls[-2:], ["readConnectionLost", "connectionLost"])  # type: ignore[attr-defined]
        reason = c.clientApp.lostReason  # type: ignore[attr-defined]
        assert reason is not None
        reason.trap(ConnectionDone)
