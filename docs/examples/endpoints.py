"""
An echo server and a client over twisted_reneg, both from endpoint strings:
the C{ssl:} and C{tls:} strings of a Twisted program become C{reneg:} ones.

Run: python docs/examples/endpoints.py
"""

import tempfile

from twisted.internet import defer, protocol, task
from twisted.internet.endpoints import clientFromString, serverFromString

from twisted_reneg.testing.pki import makePKI


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class Greeter(protocol.Protocol):
    def __init__(self):
        self.answer = defer.Deferred()

    def connectionMade(self):
        # Written before the handshake: held until it completes.
        self.transport.write(b"hello")

    def dataReceived(self, data):
        print("echoed", data, "over", self.transport.session.version)
        self.transport.loseConnection()
        self.answer.callback(data)


async def main(reactor):
    with tempfile.TemporaryDirectory() as directory:
        pki = makePKI(directory)  # a throwaway CA, a server and a client certificate
        key, cert = pki.ecdsaServer.keyPath, pki.ecdsaServer.certPath

        # Twisted: "ssl:0:interface=127.0.0.1:privateKey=...:certKey=..."
        server = serverFromString(
            reactor, f"reneg:0:interface=127.0.0.1:privateKey={key}:certKey={cert}"
        )
        port = await server.listen(protocol.Factory.forProtocol(Echo))

        # Twisted: "tls:localhost:PORT:trustRoots=DIRECTORY"; ours takes a
        # PEM bundle, and hostname= when the host is an address.
        number = port.getHost().port
        client = clientFromString(
            reactor,
            f"reneg:host=127.0.0.1:port={number}:hostname=localhost:trustRoots={pki.caPath}",
        )
        greeter = await client.connect(protocol.Factory.forProtocol(Greeter))
        assert await greeter.answer == b"hello"
        await port.stopListening()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
