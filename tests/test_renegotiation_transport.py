# -*- test-case-name: tests.test_renegotiation_transport -*-
"""
C{rehandshake()} and C{requestClientCertificate()} on the Twisted transport,
over iosim with a fake clock: Deferreds, timeouts, refusals, concurrent
calls, connection loss, and the listener callbacks.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_reneg import (
    ClientOptions,
    RenegotiationPolicy,
    RenegotiationRefused,
    RenegotiationTimeout,
    ServerOptions,
    TLSSession,
)
from twisted_reneg.interfaces import IRenegotiationListener
from twisted_reneg.testing.pki import cachedPKI

from .test_transport import Connected, Recorder
from .test_transport import clientOptions as anyClientOptions
from .test_transport import serverOptions as anyServerOptions


def serverOptions(**kw: Any) -> ServerOptions:
    """
    Renegotiation is TLS 1.2: these tests pin it (1.3 has its own).
    """
    kw.setdefault("maxVersion", "1.2")
    return anyServerOptions(**kw)


def clientOptions(**kw: Any) -> ClientOptions:
    kw.setdefault("maxVersion", "1.2")
    return anyClientOptions(**kw)


@implementer(IRenegotiationListener)
class Listener(Recorder):
    """
    Records the renegotiation callbacks too; C{allow} answers requests.
    """

    allow: Any = True

    def renegotiationRequested(self) -> Any:
        self.calls.append("renegotiationRequested")
        return self.allow

    def renegotiationCompleted(self, session: TLSSession) -> None:
        self.calls.append(f"renegotiationCompleted {session.renegotiations}")

    def renegotiationFailed(self, reason: Failure) -> None:
        self.calls.append(f"renegotiationFailed {reason.type.__name__}")

    def keysUpdated(self, requestedByPeer: bool) -> None:
        self.calls.append("keysUpdated")


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
        c = connected()
        self.failureResultOf(c.client.requestClientCertificate())


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
