"""
Trial tests of an application protocol over twisted_reneg without sockets
or real time: L{twisted_reneg.testing.memory.TLSPair} connects a client and
a server in memory (iosim) on one fake clock, and
L{twisted_reneg.testing.pki} makes the certificates.

Run: python docs/examples/trial_tlspair.py  (or: trial docs/examples/trial_tlspair.py)
"""

from twisted.internet.protocol import Protocol
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_reneg import (
    ClientOptions,
    RenegotiationRefused,
    RenegotiationTimeout,
    ServerOptions,
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

    def dataReceived(self, data):
        self.received += data


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
