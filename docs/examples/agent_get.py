"""
twisted.web's Agent over twisted_reneg's TLS: GET a page twice from a
server started here on 127.0.0.1; the second connection resumes the
first one's session.  Run: python docs/examples/agent_get.py
"""

from twisted.internet import defer, task
from twisted.web.client import readBody
from twisted.web.resource import Resource
from twisted.web.server import Site

from twisted_reneg import ServerOptions, TLSFactory
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.web.client import agent


class Hello(Resource):
    isLeaf = True

    def render_GET(self, request):
        session = request.channel.transport.session
        return f"hello over {session.version}, resumed: {session.resumed}\n".encode()


def startServer(reactor, pki):
    """
    Our TLS server with a twisted.web Site, on a free port of 127.0.0.1.
    """
    options = ServerOptions.fromPEM(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath)
    factory = TLSFactory(options, False, Site(Hello()))
    return reactor.listenTCP(0, factory, interface="127.0.0.1")


async def main(reactor):
    pki = cachedPKI()  # a throwaway CA and certificates for localhost
    port = startServer(reactor, pki)
    url = f"https://localhost:{port.getHost().port}/".encode()

    http = agent(reactor, trustRoot=pki.caPath)
    for _ in range(2):
        response = await http.request(b"GET", url)
        print(response.code, (await readBody(response)).decode(), end="")

    await port.stopListening()


if __name__ == "__main__":
    task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
