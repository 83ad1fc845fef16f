"""
TLS 1.3 key updates: C{transport.rehandshake()} sends
KeyUpdate(update_requested); the peer hears C{keysUpdated(True)} and
answers with its own, which comes back as C{keysUpdated(False)}.

Run: python docs/examples/key_update.py
"""

import tempfile

from twisted.internet import defer, protocol, task
from twisted.internet.interfaces import IHandshakeListener
from zope.interface import implementer

from twisted_reneg import ClientOptions, ServerOptions, TLSFactory
from twisted_reneg.interfaces import IRenegotiationListener
from twisted_reneg.testing.pki import makePKI


@implementer(IRenegotiationListener)
class Listener(protocol.Protocol):
    """
    What a protocol implements to hear about renegotiations (TLS 1.2) and
    key updates (TLS 1.3).
    """

    def renegotiationRequested(self):
        return True

    def renegotiationCompleted(self, session):
        pass

    def renegotiationFailed(self, reason):
        pass

    def keysUpdated(self, requestedByPeer):
        # requestedByPeer: the peer asked, and our answer is already out;
        # False: the peer's answer to our own rehandshake() has arrived.
        print(self.side, f"keysUpdated(requestedByPeer={requestedByPeer})")


class Server(Listener):
    side = "server"

    def dataReceived(self, data):
        self.transport.write(data)


@implementer(IHandshakeListener)
class Client(Listener):
    side = "client"

    def __init__(self):
        self.done = defer.Deferred()

    def handshakeCompleted(self):
        d = self.transport.rehandshake()
        d.addCallback(self.updated)

    def updated(self, session):
        # Our new sending keys are in use.  A peer may answer only when it
        # next writes (RFC 8446 4.6.3; OpenSSL does), so give it a reason.
        print("client rehandshake() fired on", session.version)
        self.transport.write(b"ping")

    def dataReceived(self, data):
        print("client got", data, "keyUpdates:", self.transport.session.keyUpdates)
        self.transport.loseConnection()
        self.done.callback(None)


async def main(reactor):
    with tempfile.TemporaryDirectory() as directory:
        pki = makePKI(directory)
        options = ServerOptions.fromPEM(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath)
        serverFactory = TLSFactory(options, False, protocol.Factory.forProtocol(Server))
        port = reactor.listenTCP(0, serverFactory, interface="127.0.0.1")

        client = Client()
        clientOptions = ClientOptions("localhost", trustRoots=pki.caPath)
        clientFactory = protocol.ClientFactory.forProtocol(lambda: client)
        reactor.connectTCP(
            "127.0.0.1", port.getHost().port, TLSFactory(clientOptions, True, clientFactory)
        )
        await client.done
        await port.stopListening()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
