"""
treq over twisted_reneg's TLS: treq.get(url, agent=agent(reactor, ...))
against a server started here on 127.0.0.1.
Run: python docs/examples/treq_get.py (needs treq: pip install treq)
"""

import treq
from twisted.internet import defer, task
from twisted.web.resource import Resource
from twisted.web.server import Site

from twisted_reneg import ServerOptions, TLSFactory
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.web.client import agent


class Hello(Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"hello from our TLS\n"


async def main(reactor):
    pki = cachedPKI()
    options = ServerOptions.fromPEM(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath)
    port = reactor.listenTCP(0, TLSFactory(options, False, Site(Hello())), interface="127.0.0.1")
    url = f"https://localhost:{port.getHost().port}/"

    http = agent(reactor, trustRoot=pki.caPath)
    response = await treq.get(url, agent=http)
    print(response.code, await treq.text_content(response), end="")

    await port.stopListening()


if __name__ == "__main__":
    task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
