"""
Moving code that builds C{TLSMemoryBIOFactory} itself: the options become
ours, the factory is L{twisted_reneg.TLSFactory}, nothing else changes.
Twisted's own certificate objects are accepted as they are.

Run: python docs/examples/factory.py
"""

import tempfile

from twisted.internet import defer, endpoints, protocol, ssl, task

from twisted_reneg import ServerOptions, TLSFactory, optionsForClientTLS
from twisted_reneg.testing.pki import makePKI


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class Greeter(protocol.Protocol):
    def __init__(self):
        self.answer = defer.Deferred()

    def connectionMade(self):
        self.transport.write(b"hello")

    def dataReceived(self, data):
        self.transport.loseConnection()
        self.answer.callback(data)


async def main(reactor):
    with tempfile.TemporaryDirectory() as directory:
        pki = makePKI(directory)
        with open(pki.ecdsaServer.certPath) as c, open(pki.ecdsaServer.keyPath) as k:
            serverCertificate = ssl.PrivateCertificate.loadPEM(c.read() + k.read())
        with open(pki.caPath) as f:
            authority = ssl.Certificate.loadPEM(f.read())

        # Before:
        #   options = serverCertificate.options()
        #   factory = TLSMemoryBIOFactory(options, False, Factory.forProtocol(Echo))
        options = ServerOptions.fromPrivateCertificate(serverCertificate)
        factory = TLSFactory(options, False, protocol.Factory.forProtocol(Echo))
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")

        # Before: ssl.optionsForClientTLS("localhost", trustRoot=authority)
        clientOptions = optionsForClientTLS("localhost", trustRoot=authority)
        greeter = Greeter()
        tcp = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
        await tcp.connect(
            TLSFactory(clientOptions, True, protocol.Factory.forProtocol(lambda: greeter))
        )
        print("echoed", await greeter.answer)
        await port.stopListening()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
