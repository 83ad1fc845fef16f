"""
A protected path that works in every browser, also on TLS 1.3: browsers
never offer post-handshake authentication, so on TLS 1.3 the site sends
them (307) to its certificate listener, a second listener whose handshake
asks for the certificate.  TLS 1.2 connections, and TLS 1.3 clients that
offered post-handshake authentication, are still asked mid-connection.

The visitor here is our client told to behave as a browser does
(C{postHandshakeAuth=False}), following the redirect by hand.

Run: python docs/examples/client_certificate_browsers.py
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


async def browse(reactor, pki, port, path):
    """
    GET as a browser on TLS 1.3 would: a client certificate to give, no
    post-handshake authentication; a 307 is followed.
    """
    options = ClientOptions(
        "localhost",
        trustRoots=pki.caPath,
        clientCertificate=(pki.ecdsaClient.certPath, pki.ecdsaClient.keyPath),
        postHandshakeAuth=False,
    )
    client = Get(path)
    factory = TLSFactory(options, True, protocol.ClientFactory.forProtocol(lambda: client))
    reactor.connectTCP("127.0.0.1", port, factory)
    response = await client.done
    head, _, body = response.partition(b"\r\n\r\n")
    statusLine = head.split(b"\r\n")[0]
    print(f"127.0.0.1:{port}{path.decode()}", statusLine.decode(), "|", body.decode().strip())
    for line in head.split(b"\r\n"):
        if statusLine.endswith(b"307 Temporary Redirect") and line.lower().startswith(b"location:"):
            location = line.split(b":", 1)[1].strip()  # https://localhost:PORT/PATH
            target = location.split(b"/", 3)
            return await browse(reactor, pki, int(target[2].split(b":")[1]), b"/" + target[3])
    return statusLine


async def main(reactor):
    with tempfile.TemporaryDirectory() as directory:
        await serve(reactor, makePKI(directory))


async def serve(reactor, pki):
    def listen(site, **options):
        options = ServerOptions.fromPEM(
            pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath, trustRoots=pki.caPath, **options
        )
        factory = TLSFactory(options, False, site)
        return reactor.listenTCP(0, factory, interface="127.0.0.1")

    root = Resource()
    root.putChild(b"", Data(b"public", "text/plain"))
    # The certificate listener: the same site, asking in its handshake.
    certificateListener = listen(Site(root), clientCertificates="advisory")
    fallback = f"https://localhost:{certificateListener.getHost().port}"
    root.putChild(b"admin", RequireClientCertificate(Admin(), fallbackURL=fallback))
    main = listen(Site(root))  # TLS 1.3 and 1.2

    assert b"200" in await browse(reactor, pki, main.getHost().port, b"/")
    assert b"200" in await browse(reactor, pki, main.getHost().port, b"/admin")
    await main.stopListening()
    await certificateListener.stopListening()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
