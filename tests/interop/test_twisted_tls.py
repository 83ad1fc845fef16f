# -*- test-case-name: tests.interop.test_twisted_tls -*-
"""
Interop with Twisted's own TLS (L{TLSMemoryBIOFactory} over pyOpenSSL), the
transport applications move from, on real sockets, each direction.
"""

from __future__ import annotations

from twisted.internet import defer, protocol, reactor
from twisted.internet.ssl import (
    AcceptableCiphers,
    Certificate,
    CertificateOptions,
    TLSVersion,
    optionsForClientTLS,
)
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.trial.unittest import TestCase

from twisted_reneg.testing.pki import Identity, cachedPKI
from twisted_reneg.tls.suites import TLS12_SUITES

from ._options import ourClientOptions, ourServerOptions, serverIdentityFor
from ._twistedtls import twistedCertificate
from .peers import OPENSSL_CIPHERS, Collector, OurServer, connectOurClient, digest, payload

BULK = 8 * 1024 * 1024


def caCertificate() -> Certificate:
    with open(cachedPKI().caPath) as f:
        return Certificate.loadPEM(f.read())


def connectTwistedClient(port: int, contextFactory: object, client: Collector) -> defer.Deferred:
    class OneClient(protocol.ClientFactory):
        def buildProtocol(self, addr: object) -> Collector:
            return client

    factory = TLSMemoryBIOFactory(contextFactory, True, OneClient())
    reactor.connectTCP("127.0.0.1", port, factory)  # type: ignore[attr-defined]
    return client.lost


class OurServerTwistedClientTests(TestCase):
    timeout = 120

    async def test_everySuite(self) -> None:
        for suite in TLS12_SUITES:
            server = OurServer(self, ourServerOptions(serverIdentityFor(suite.keyExchange)))
            context = optionsForClientTLS(
                "localhost",
                trustRoot=caCertificate(),
                extraCertificateOptions={
                    "acceptableCiphers": AcceptableCiphers.fromOpenSSLCipherString(
                        OPENSSL_CIPHERS[suite.name]
                    ),
                    "lowerMaximumSecurityTo": TLSVersion.TLSv1_2,
                },
            )
            client = await connectTwistedClient(
                server.portNumber, context, Collector(b"hello\n", expected=6)
            )
            ours = await server.nextConnection()
            self.assertEqual(bytes(client.received), b"hello\n")
            self.assertEqual(ours.session.cipherSuite, "TLS_" + suite.name)

    async def test_alpnClientCertificateAndBulk(self) -> None:
        pki = cachedPKI()
        server = OurServer(
            self,
            ourServerOptions(
                acceptableProtocols=[b"h2"],
                clientCertificates="require",
                trustRoots=[pki.caCertificate],
            ),
        )
        context = optionsForClientTLS(
            "localhost",
            trustRoot=caCertificate(),
            clientCertificate=twistedCertificate(pki.rsaClient),
            acceptableProtocols=[b"h2", b"http/1.1"],
            extraCertificateOptions={"lowerMaximumSecurityTo": TLSVersion.TLSv1_2},
        )
        data = payload(BULK, b"twisted-client")
        client = await connectTwistedClient(
            server.portNumber, context, Collector(data, expected=len(data))
        )
        ours = await server.nextConnection()
        self.assertEqual(digest(bytes(client.received)), digest(data))
        self.assertEqual(digest(bytes(ours.received)), digest(data))
        self.assertEqual(ours.session.alpnProtocol, b"h2")
        self.assertEqual(ours.session.peerCertificate, pki.rsaClient.certificate)


class _Echo(protocol.Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


def listenTwisted(case: TestCase, identity: Identity, **kw: object) -> int:
    cert = twistedCertificate(identity)
    kw.setdefault("lowerMaximumSecurityTo", TLSVersion.TLSv1_2)
    options = CertificateOptions(
        privateKey=cert.privateKey.original,
        certificate=cert.original,
        raiseMinimumTo=TLSVersion.TLSv1_2,
        **kw,  # type: ignore[arg-type]
    )
    factory = TLSMemoryBIOFactory(options, False, protocol.Factory.forProtocol(_Echo))
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")  # type: ignore[attr-defined]
    case.addCleanup(port.stopListening)
    return int(port.getHost().port)


class OurClientTwistedServerTests(TestCase):
    timeout = 120

    async def test_everySuite(self) -> None:
        for suite in TLS12_SUITES:
            port = listenTwisted(
                self,
                serverIdentityFor(suite.keyExchange),
                acceptableCiphers=AcceptableCiphers.fromOpenSSLCipherString(
                    OPENSSL_CIPHERS[suite.name]
                ),
            )
            client = await connectOurClient(
                ourClientOptions(), port, Collector(b"hello\n", expected=6)
            )
            self.assertEqual(bytes(client.received), b"hello\n")
            self.assertEqual(client.session.cipherSuite, "TLS_" + suite.name)

    async def test_clientCertificateAndBulk(self) -> None:
        pki = cachedPKI()
        port = listenTwisted(
            self,
            pki.rsaServer,
            verify=True,
            caCerts=[caCertificate().original],
            requireCertificate=True,
        )
        data = payload(BULK, b"twisted-server")
        client = await connectOurClient(
            ourClientOptions(clientCertificate=twistedCertificate(pki.ecdsaClient)),
            port,
            Collector(data, expected=len(data)),
            timeout=120,
        )
        self.assertEqual(digest(bytes(client.received)), digest(data))
        self.assertEqual(client.session.peerCertificate, pki.rsaServer.certificate)


class TLS13HybridTests(TestCase):
    """
    TLS 1.3 with Twisted's TLS, whose bundled OpenSSL (3.5 and later) offers
    and prefers X25519MLKEM768: we negotiate the hybrid both ways.
    """

    timeout = 60

    async def test_ourServerNegotiatesHybrid(self) -> None:
        server = OurServer(self, ourServerOptions(maxVersion="1.3"))
        context = optionsForClientTLS("localhost", trustRoot=caCertificate())
        client = await connectTwistedClient(
            server.portNumber, context, Collector(b"hello\n", expected=6)
        )
        ours = await server.nextConnection()
        self.assertEqual(bytes(client.received), b"hello\n")
        self.assertEqual(ours.session.version, "TLSv1.3")
        self.assertEqual(ours.session.group, "X25519MLKEM768")

    async def test_ourClientNegotiatesHybrid(self) -> None:
        port = listenTwisted(
            self,
            cachedPKI().ecdsaServer,
            lowerMaximumSecurityTo=TLSVersion.TLSv1_3,
        )
        client = await connectOurClient(
            ourClientOptions(minVersion="1.3", maxVersion="1.3"),
            port,
            Collector(b"hello\n", expected=6),
        )
        self.assertEqual(bytes(client.received), b"hello\n")
        self.assertEqual(client.session.version, "TLSv1.3")
        self.assertEqual(client.session.group, "X25519MLKEM768")
