"""
A client certificate asked for in the middle of a connection: the server
protects /admin with RequireClientCertificate, so a request there makes it
renegotiate (TLS 1.2) or ask by post-handshake authentication (TLS 1.3);
the Agent answers with its certificate and gets the page, on the same
connection.  Run: python docs/examples/agent_client_certificate.py
"""

from twisted.internet import defer, task
from twisted.web.client import HTTPConnectionPool, readBody
from twisted.web.resource import Resource
from twisted.web.server import Site

from twisted_reneg import ServerOptions, TLSFactory
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.web import RequireClientCertificate
from twisted_reneg.web.client import agent


class Admin(Resource):
    isLeaf = True

    def render_GET(self, request):
        session = request.channel.transport.session
        who = session.peerCertificate.subject.rfc4514_string()
        return f"admin page for {who} ({session.version})\n".encode()


def startServer(reactor, pki, version):
    root = Resource()
    root.putChild(b"admin", RequireClientCertificate(Admin()))
    options = ServerOptions.fromPEM(
        pki.ecdsaServer.certPath,
        pki.ecdsaServer.keyPath,
        trustRoots=pki.caPath,  # the CA of the client certificates we accept
        maxVersion=version,
    )
    return reactor.listenTCP(0, TLSFactory(options, False, Site(root)), interface="127.0.0.1")


async def fetchAdmin(reactor, pki, port):
    client = pki.ecdsaClient
    pool = HTTPConnectionPool(reactor)  # keep the connection open between requests
    http = agent(
        reactor,
        trustRoot=pki.caPath,
        clientCertificate=(client.certPath, client.keyPath),
        pool=pool,
    )
    response = await http.request(b"GET", b"https://localhost:%d/admin" % port)
    print(response.code, (await readBody(response)).decode(), end="")
    await pool.closeCachedConnections()


async def main(reactor):
    pki = cachedPKI()
    for version in ("1.2", "1.3"):
        port = startServer(reactor, pki, version)
        await fetchAdmin(reactor, pki, port.getHost().port)
        await port.stopListening()


if __name__ == "__main__":
    task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
