# -*- test-case-name: tests.interop.test_pythonssl -*-
"""
Interop with Python's C{ssl} module (OpenSSL underneath, driven the way
Python applications drive it), on real sockets, each direction.  The
C{ssl} side runs in a thread with blocking sockets.
"""

from __future__ import annotations

import ssl

from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from twisted_reneg.testing.pki import Identity, cachedPKI
from twisted_reneg.tls.suites import TLS12_SUITES

from ._options import ourClientOptions, ourServerOptions, serverIdentityFor
from ._pythonssl import PythonServer, sslClient
from .peers import (
    OPENSSL_CIPHERS,
    Collector,
    OurServer,
    connectOurClient,
    digest,
    payload,
)

BULK = 8 * 1024 * 1024


def clientContext(cipher: str | None = None, identity: Identity | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cachedPKI().caPath)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    if cipher:
        context.set_ciphers(cipher)
    if identity is not None:
        context.load_cert_chain(identity.certPath, identity.keyPath)
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context


class OurServerPythonClientTests(TestCase):
    timeout = 120

    async def test_everySuite(self) -> None:
        for suite in TLS12_SUITES:
            server = OurServer(self, ourServerOptions(serverIdentityFor(suite.keyExchange)))
            context = clientContext(OPENSSL_CIPHERS[suite.name])
            echoed, _, (version, cipher) = await deferToThread(
                sslClient, server.portNumber, b"hello\n", context
            )
            ours = await server.nextConnection()
            self.assertEqual(echoed, b"hello\n")
            self.assertEqual(version, "TLSv1.2")
            self.assertEqual(cipher[0], OPENSSL_CIPHERS[suite.name])
            self.assertEqual(ours.session.cipherSuite, "TLS_" + suite.name)

    async def test_alpnClientCertificateAndBulk(self) -> None:
        """
        ALPN, a client certificate our server requires, and 8 MiB each way.
        """
        pki = cachedPKI()
        server = OurServer(
            self,
            ourServerOptions(
                acceptableProtocols=[b"http/1.1"],
                clientCertificates="require",
                trustRoots=[pki.caCertificate],
            ),
        )
        data = payload(BULK, b"python-ssl")
        echoed, alpn, _ = await deferToThread(
            sslClient, server.portNumber, data, clientContext(identity=pki.ecdsaClient)
        )
        ours = await server.nextConnection()
        self.assertEqual(alpn, "http/1.1")
        self.assertEqual(digest(echoed), digest(data))
        self.assertEqual(digest(bytes(ours.received)), digest(data))
        self.assertEqual(ours.session.peerCertificate, pki.ecdsaClient.certificate)


class OurClientPythonServerTests(TestCase):
    timeout = 120

    async def test_everySuiteCertificate(self) -> None:
        pki = cachedPKI()
        for identity in (pki.rsaServer, pki.ecdsaServer, pki.ecdsa384Server, pki.ed25519Server):
            server = PythonServer(identity)
            client = await connectOurClient(
                ourClientOptions(), server.port, Collector(b"hi\n", expected=3)
            )
            await deferToThread(server.join)
            self.assertIsNone(server.error)
            self.assertEqual(bytes(client.received), b"hi\n")
            self.assertEqual(client.session.peerCertificate, identity.certificate)

    async def test_alpnClientCertificateAndBulk(self) -> None:
        pki = cachedPKI()
        server = PythonServer(pki.ecdsaServer, requireClientCertificate=True)
        data = payload(BULK, b"python-ssl-server")
        client = await connectOurClient(
            ourClientOptions(
                acceptableProtocols=[b"h2"],
                clientCertificate=((pki.rsaClient.certificate,), pki.rsaClient.privateKey),
            ),
            server.port,
            Collector(data, expected=len(data)),
            timeout=120,
        )
        await deferToThread(server.join)
        self.assertIsNone(server.error)
        self.assertEqual(client.session.alpnProtocol, b"h2")
        self.assertEqual(digest(bytes(client.received)), digest(data))
        assert server.peerCertificate is not None
        self.assertIn((("commonName", "test-client"),), server.peerCertificate["subject"])
