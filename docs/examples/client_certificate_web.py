"""
A twisted.web site where only C{/admin} needs a client certificate, asked
for mid-connection by L{twisted_reneg.web.RequireClientCertificate} when a
request for it arrives (as Apache's per-directory C{SSLVerifyClient}).

Run: python docs/examples/client_certificate_web.py
"""

import tempfile

from twisted.internet import defer, protocol, task
from twisted.web.resource import Resource
from twisted.web.server import Site
from twisted.web.static import Data

from twisted_reneg import ClientOptions, ServerOptions, TLSFactory
from twisted_reneg.testing.pki import makePKI
from twisted_reneg.web import RequireClientCertificate


class Admin(Resource):
    isLeaf = True

    def render_GET(self, request):
        # Reached only with a verified client certificate.
        session = request.channel.transport.session
        return b"hello " + session.peerCertificate.subject.rfc4514_string().encode()


class Get(protocol.Protocol):
    """
    Just enough HTTP/1.1 client to show the answers.
    """

    def __init__(self, path):
        self.path = path
        self.response = b""
        self.done = defer.Deferred()

    def connectionMade(self):
        self.transport.write(
            b"GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % self.path
        )

    def dataReceived(self, data):
        self.response += data

    def connectionLost(self, reason):
        self.done.callback(self.response)


async def get(reactor, pki, port, path, clientCertificate=None):
    options = ClientOptions(
        "localhost", trustRoots=pki.caPath, clientCertificate=clientCertificate
    )
    client = Get(path)
    factory = TLSFactory(options, True, protocol.ClientFactory.forProtocol(lambda: client))
    reactor.connectTCP("127.0.0.1", port, factory)
    response = await client.done
    statusLine, _, rest = response.partition(b"\r\n")
    print(path.decode(), statusLine.decode(), "|", rest.rpartition(b"\r\n\r\n")[2].decode())
    return statusLine


async def main(reactor):
    with tempfile.TemporaryDirectory() as directory:
        await serve(reactor, makePKI(directory))


async def serve(reactor, pki):
    root = Resource()
    root.putChild(b"", Data(b"public", "text/plain"))
    root.putChild(b"admin", RequireClientCertificate(Admin()))
    options = ServerOptions.fromPEM(
        pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath, trustRoots=pki.caPath
    )
    port = reactor.listenTCP(0, TLSFactory(options, False, Site(root)), interface="127.0.0.1")
    number = port.getHost().port
    identity = (pki.ecdsaClient.certPath, pki.ecdsaClient.keyPath)

    assert b"200" in await get(reactor, pki, number, b"/")  # no certificate asked for
    assert b"200" in await get(reactor, pki, number, b"/admin", identity)
    assert b"403" in await get(reactor, pki, number, b"/admin")  # none to give
    await port.stopListening()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
