"""
Trial tests of an application protocol over twisted_reneg without sockets
or real time: L{twisted_reneg.testing.memory.TLSPair} connects a client and
a server in memory (iosim) on one fake clock, and
L{twisted_reneg.testing.pki} makes the certificates.

Run: python docs/examples/trial_tlspair.py  (or: trial docs/examples/trial_tlspair.py)
"""

import time

from twisted.internet.protocol import Protocol
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_reneg import (
    ClientOptions,
    RenegotiationRefused,
    RenegotiationTimeout,
    ServerOptions,
    TLSAlertError,
)
from twisted_reneg.interfaces import IRenegotiationListener
from twisted_reneg.testing.memory import TLSPair
from twisted_reneg.testing.pki import cachedPKI


class Echo(Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class Collect(Protocol):
    def __init__(self):
        self.received = b""
        self.reason = None

    def dataReceived(self, data):
        self.received += data

    def connectionLost(self, reason):
        self.reason = reason


@implementer(IRenegotiationListener)
class Refuser(Collect):
    """
    A client that says no to every renegotiation the server asks for.
    """

    def renegotiationRequested(self):
        return False

    def renegotiationCompleted(self, session):
        pass

    def renegotiationFailed(self, reason):
        pass

    def keysUpdated(self, requestedByPeer):
        pass


def serverOptions(**kw):
    # cachedPKI(): one CA and its certificates per test process, made on
    # first use (key generation is the slow part).
    pki = cachedPKI()
    return ServerOptions.fromPEM(
        pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath, trustRoots=pki.caPath, **kw
    )


def clientOptions(**kw):
    return ClientOptions("localhost", trustRoots=cachedPKI().caPath, **kw)


class EchoTests(SynchronousTestCase):
    def test_echo(self):
        pair = TLSPair(serverOptions(), clientOptions(), Echo(), Collect())
        pair.flush()  # the handshake
        pair.client.write(b"hello")
        pair.flush()
        self.assertEqual(pair.clientProtocol.received, b"hello")
        self.assertEqual(pair.client.session.version, "TLSv1.3")

    def test_renegotiation(self):
        """
        TLS 1.2: the server renegotiates; data written before it arrives.
        """
        pair = TLSPair(serverOptions(maxVersion="1.2"), clientOptions(), Echo(), Collect())
        pair.flush()
        pair.client.write(b"before")
        d = pair.server.rehandshake()
        pair.flush()
        session = self.successResultOf(d)
        self.assertEqual(session.renegotiations, 1)
        self.assertEqual(pair.clientProtocol.received, b"before")

    def test_refused(self):
        pair = TLSPair(serverOptions(maxVersion="1.2"), clientOptions(), Echo(), Refuser())
        pair.flush()
        d = pair.server.rehandshake()
        pair.flush()
        self.failureResultOf(d, RenegotiationRefused)

    def test_timeout(self):
        """
        Time is the pair's clock: a peer that never answers (nothing is
        pumped) times out when the test says so.
        """
        pair = TLSPair(serverOptions(maxVersion="1.2"), clientOptions(), Echo(), Collect())
        pair.flush()
        d = pair.server.rehandshake(timeout=30)
        pair.clock.advance(30)
        self.failureResultOf(d, RenegotiationTimeout)

    def test_clientNeverAnswers(self):
        """
        The HelloRequest reaches the client, but its answer is held back:
        the renegotiation times out.  Released, the late answer completes
        the renegotiation (the Deferred has failed already).
        """
        pair = TLSPair(serverOptions(maxVersion="1.2"), clientOptions(), Echo(), Collect())
        pair.flush()
        pair.holdClient()
        d = pair.server.rehandshake(timeout=30)
        pair.flush()  # the HelloRequest arrives; the client's answer waits
        pair.clock.advance(30)
        self.failureResultOf(d, RenegotiationTimeout)
        pair.releaseClient()
        pair.flush()
        self.assertEqual(pair.server.session.renegotiations, 1)

    def test_oneFlightAtATime(self):
        """
        TLS 1.3 one hop at a time: the client has the server's Finished
        before the server has the client's.
        """
        pair = TLSPair(serverOptions(), clientOptions())
        pair.deliverToServer()  # ClientHello
        pair.deliverToClient()  # ServerHello ... the server's Finished
        self.assertIsNotNone(pair.client.session)
        self.assertIsNone(pair.server.session)
        pair.deliverToServer()  # the client's Finished
        self.assertIsNotNone(pair.server.session)

    def test_certificateExpiry(self):
        """
        Certificates are checked at the clock's time: a year and a day
        from now, the server's (valid from yesterday for a year) is not.
        """
        clock = Clock()
        clock.advance(time.time() + 366 * 24 * 3600)
        client = Collect()
        pair = TLSPair(serverOptions(), clientOptions(), Echo(), client, clock=clock)
        pair.flush()
        self.assertIsInstance(client.reason.value, TLSAlertError)
        self.assertIn("expired", str(client.reason.value))

    def test_clientCertificateAfterTheHandshake(self):
        """
        TLS 1.3 post-handshake authentication.
        """
        pki = cachedPKI()
        identity = (pki.ecdsaClient.certPath, pki.ecdsaClient.keyPath)
        pair = TLSPair(serverOptions(), clientOptions(clientCertificate=identity))
        pair.flush()
        d = pair.server.requestClientCertificate()
        pair.flush()
        session = self.successResultOf(d)
        self.assertEqual(session.peerCertificate, pki.ecdsaClient.certificate)


if __name__ == "__main__":
    import sys

    from twisted.scripts.trial import run

    sys.argv[1:] = [__file__]
    run()
