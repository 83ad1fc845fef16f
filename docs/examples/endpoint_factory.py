"""
Agent.usingEndpointFactory with TLSEndpointFactory and ClientOptions of
your own; and what happens if ClientOptions is passed as Agent's
contextFactory instead.  Run: python docs/examples/endpoint_factory.py
"""

from twisted.internet import defer, task
from twisted.web.client import Agent, readBody
from twisted.web.resource import Resource
from twisted.web.server import Site

from twisted_reneg import ClientOptions, ServerOptions, TLSFactory
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.web.client import TLSEndpointFactory


class Hello(Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"hello\n"


async def main(reactor):
    pki = cachedPKI()
    server = ServerOptions.fromPEM(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath)
    port = reactor.listenTCP(0, TLSFactory(server, False, Site(Hello())), interface="127.0.0.1")
    url = b"https://localhost:%d/" % port.getHost().port

    # The host name given here is not used: each URI's host is.
    options = ClientOptions("localhost", trustRoots=pki.caPath, minVersion="1.3")
    http = Agent.usingEndpointFactory(reactor, TLSEndpointFactory(reactor, options))
    response = await http.request(b"GET", url)
    print(response.code, (await readBody(response)).decode(), end="")

    # The mistake: ClientOptions is not an OpenSSL policy for Agent.
    wrong = Agent(reactor, contextFactory=options)
    try:
        wrong.request(b"GET", url)
    except TypeError as e:
        print("TypeError:", e)

    await port.stopListening()


if __name__ == "__main__":
    task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
