"""
Several servers behind one address resume each other's sessions when they
seal tickets under the same keys.  Two server objects stand in for two
processes here, and a round-robin factory for the load balancer: the second
connection reaches the other server and still resumes.

Run: python docs/examples/ticket_keys.py
"""

import itertools
import os
import secrets
import tempfile

from twisted.internet import defer, protocol, task

from twisted_reneg import ClientOptions, ServerOptions, TLSFactory
from twisted_reneg.testing.pki import makePKI


def readTicketKeys(path):
    """
    The format of the C{reneg:} endpoint's C{ticketKeys=FILE}: one key a
    line, 64 hex digits, the one that seals first (this reader leaves out
    the endpoint's C{open-only} lines).
    """
    with open(path) as f:
        lines = (line.split("#", 1)[0].strip() for line in f)
        return [bytes.fromhex(line) for line in lines if line]


class Hello(protocol.Protocol):
    def connectionMade(self):
        self.transport.write(b"served by " + self.factory.name)


class RoundRobin(protocol.Factory):
    """
    The load balancer: each connection goes to the next server.
    """

    def __init__(self, servers):
        self.servers = itertools.cycle(servers)

    def buildProtocol(self, addr):
        return next(self.servers).buildProtocol(addr)


class Client(protocol.Protocol):
    def __init__(self):
        self.done = defer.Deferred()

    def dataReceived(self, data):
        # By now the server's session tickets have arrived too.
        print(data.decode(), "- resumed:", self.transport.session.resumed)
        self.transport.loseConnection()
        self.done.callback(self.transport.session.resumed)


async def connect(reactor, portNumber, clientOptions):
    client = Client()
    factory = protocol.ClientFactory.forProtocol(lambda: client)
    reactor.connectTCP("127.0.0.1", portNumber, TLSFactory(clientOptions, True, factory))
    return await client.done


async def main(reactor):
    with tempfile.TemporaryDirectory() as directory:
        pki = makePKI(directory)
        # Made once by the operator and given to every process (rotating
        # the keys without losing resumption: docs/howto-deployment.md).
        keyFile = os.path.join(directory, "ticket-keys")
        with open(keyFile, "w") as f:
            f.write(secrets.token_hex(32) + "  # current\n")
            f.write(secrets.token_hex(32) + "  # previous\n")

        servers = []
        for name in [b"process 1", b"process 2"]:
            options = ServerOptions.fromPEM(
                pki.ecdsaServer.certPath,
                pki.ecdsaServer.keyPath,
                ticketKeys=readTicketKeys(keyFile),
            )
            application = protocol.Factory.forProtocol(Hello)
            application.name = name
            servers.append(TLSFactory(options, False, application))
        port = reactor.listenTCP(0, RoundRobin(servers), interface="127.0.0.1")

        # One ClientOptions keeps the sessions it may resume (by host name
        # and port), so both connections use the same one.
        clientOptions = ClientOptions("localhost", trustRoots=pki.caPath)
        first = await connect(reactor, port.getHost().port, clientOptions)
        second = await connect(reactor, port.getHost().port, clientOptions)
        assert (first, second) == (False, True)
        await port.stopListening()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
