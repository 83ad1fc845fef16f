"""
Asking for a client certificate in the middle of a connection, from a
protocol: TLS 1.2 renegotiates with a CertificateRequest, TLS 1.3 uses
post-handshake authentication; the call and its result are the same.

Run: python docs/examples/client_certificate.py
"""

import tempfile

from twisted.internet import defer, protocol, task
from twisted.protocols.basic import LineReceiver

from twisted_reneg import ClientOptions, ServerOptions, TLSFactory
from twisted_reneg.testing.pki import makePKI


class Server(LineReceiver):
    def lineReceived(self, line):
        if line == b"whoami":
            # Only now does the server want to know who the client is.
            d = self.transport.requestClientCertificate(timeout=10)
            d.addCallback(self.answer)
        else:
            self.sendLine(b"unknown command")

    def answer(self, session):
        if session.peerCertificate is None:
            # No certificate, or one that failed verification
            # (session.peerCertificateError says why): the connection stays.
            self.sendLine(b"anonymous")
        else:
            subject = session.peerCertificate.subject.rfc4514_string()
            self.sendLine(f"{subject} over {session.version}".encode())


class Client(LineReceiver):
    def __init__(self):
        self.reply = defer.Deferred()

    def connectionMade(self):
        self.sendLine(b"whoami")

    def lineReceived(self, line):
        self.transport.loseConnection()
        self.reply.callback(line)


async def ask(reactor, pki, version):
    serverOptions = ServerOptions.fromPEM(
        pki.ecdsaServer.certPath,
        pki.ecdsaServer.keyPath,
        trustRoots=pki.caPath,  # the CAs client certificates must come from
        maxVersion=version,
    )
    port = reactor.listenTCP(
        0,
        TLSFactory(serverOptions, False, protocol.Factory.forProtocol(Server)),
        interface="127.0.0.1",
    )
    clientOptions = ClientOptions(
        "localhost",
        trustRoots=pki.caPath,
        # Sent only when the server asks.  Holding one makes a TLS 1.3
        # client offer post-handshake authentication.
        clientCertificate=(pki.ecdsaClient.certPath, pki.ecdsaClient.keyPath),
    )
    client = Client()
    factory = TLSFactory(clientOptions, True, protocol.ClientFactory.forProtocol(lambda: client))
    reactor.connectTCP("127.0.0.1", port.getHost().port, factory)
    print(await client.reply)
    await port.stopListening()


async def main(reactor):
    with tempfile.TemporaryDirectory() as directory:
        pki = makePKI(directory)
        await ask(reactor, pki, "1.2")  # b'CN=test-client,O=twisted_reneg tests over TLSv1.2'
        await ask(reactor, pki, "1.3")  # ... over TLSv1.3


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
