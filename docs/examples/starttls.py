"""
STARTTLS: a plain connection switches to TLS when both ends agree, with
L{twisted_reneg.startTLS} where Twisted code calls
C{self.transport.startTLS(contextFactory)}.

Run: python docs/examples/starttls.py
"""

import tempfile

from twisted.internet import defer, protocol, task
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.protocols.basic import LineReceiver

from twisted_reneg import ClientOptions, ServerOptions, startTLS
from twisted_reneg.testing.pki import makePKI


class Server(LineReceiver):
    delimiter = b"\r\n"

    def lineReceived(self, line):
        if line == b"STARTTLS":
            self.sendLine(b"GO AHEAD")  # the last plain line
            # From here on self.transport is the TLS transport.
            startTLS(self.transport, self.factory.tlsOptions)
        else:
            self.sendLine(b"%s over %s" % (line, self.transport.session.version.encode()))


class Client(LineReceiver):
    delimiter = b"\r\n"

    def __init__(self, tlsOptions):
        self.tlsOptions = tlsOptions
        self.reply = defer.Deferred()

    def connectionMade(self):
        self.sendLine(b"STARTTLS")

    def lineReceived(self, line):
        if line == b"GO AHEAD":
            startTLS(self.transport, self.tlsOptions)
            self.sendLine(b"hello")  # sent once the handshake is done
        else:
            self.transport.loseConnection()
            self.reply.callback(line)


async def main(reactor):
    with tempfile.TemporaryDirectory() as directory:
        pki = makePKI(directory)
        factory = protocol.Factory.forProtocol(Server)
        factory.tlsOptions = ServerOptions.fromPEM(
            pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath
        )
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")

        client = Client(ClientOptions("localhost", trustRoots=pki.caPath))
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
        await endpoint.connect(protocol.Factory.forProtocol(lambda: client))
        print(await client.reply)  # b'hello over TLSv1.3'
        await port.stopListening()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
