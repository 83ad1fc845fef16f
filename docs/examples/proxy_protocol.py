"""
A twisted.web site behind a load balancer that sends the PROXY protocol
(HAProxy's send-proxy-v2, nginx's proxy_protocol on): with proxyProtocol=yes
on the reneg: endpoint the header is read before TLS, and the application
sees the client's address, not the balancer's.

A small client stands in for the balancer: it writes the header a balancer
would write, then speaks TLS on the same connection.  Anyone who can reach
the port can do the same, which is why only the balancer may reach it.

Run: python docs/examples/proxy_protocol.py
"""

import tempfile

from twisted.internet import defer, protocol, task
from twisted.internet.endpoints import serverFromString
from twisted.web.resource import Resource
from twisted.web.server import Site

from twisted_reneg import ClientOptions, startTLS
from twisted_reneg.testing.pki import makePKI


class WhoAmI(Resource):
    isLeaf = True

    def render_GET(self, request):
        # The client's address from the PROXY header, not the balancer's.
        address = request.getClientAddress()
        return f"{address.host} port {address.port}".encode()


class Balancer(protocol.Protocol):
    """
    What a balancer sends: the PROXY header in plaintext, then the client's
    bytes (here our own TLS client's, with an HTTP request).
    """

    def __init__(self, tlsOptions):
        self.tlsOptions = tlsOptions
        self.received = b""
        self.done = defer.Deferred()

    def connectionMade(self):
        # PROXY v1 (HAProxy's send-proxy, nginx): the client's address and
        # port, then the address and port it connected to.
        self.transport.write(b"PROXY TCP4 203.0.113.7 192.0.2.10 51234 443\r\n")
        startTLS(self.transport, self.tlsOptions)
        self.transport.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")

    def dataReceived(self, data):
        self.received += data

    def connectionLost(self, reason):
        self.done.callback(self.received)


async def main(reactor):
    with tempfile.TemporaryDirectory() as directory:
        pki = makePKI(directory)
        key, cert = pki.ecdsaServer.keyPath, pki.ecdsaServer.certPath
        endpoint = serverFromString(
            reactor,
            f"reneg:0:interface=127.0.0.1:privateKey={key}:certKey={cert}:proxyProtocol=yes",
        )
        port = await endpoint.listen(Site(WhoAmI()))

        balancer = Balancer(ClientOptions("localhost", trustRoots=pki.caPath))
        factory = protocol.ClientFactory.forProtocol(lambda: balancer)
        reactor.connectTCP("127.0.0.1", port.getHost().port, factory)
        response = await balancer.done
        body = response.split(b"\r\n\r\n", 1)[1]
        print(body.decode())  # 203.0.113.7 port 51234
        assert body == b"203.0.113.7 port 51234"
        await port.stopListening()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
