# -*- test-case-name: tests.interop.test_gnutls -*-
"""
Interop with GnuTLS on real sockets: our server against C{gnutls-cli}, our
client against C{gnutls-serv --echo}.
"""

from __future__ import annotations

from twisted.internet.error import ConnectionDone
from twisted.trial.unittest import TestCase

from twisted_reneg import TLSAlertError
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.errors import AlertDescription
from twisted_reneg.tls.suites import TLS12_SUITES, CipherSuite, KeyExchange

from ._gnutls import DATA_MARKER, TLS12_ONLY, gnutlsCliArgv, gnutlsServArgv
from ._options import ourClientOptions, ourServerOptions, serverIdentityFor
from .peers import (
    Collector,
    OurServer,
    connectOurClient,
    digest,
    freePort,
    payload,
    runPeerClient,
    startPeerServer,
)

A = AlertDescription
BULK = 8 * 1024 * 1024


def suitePriority(suite: CipherSuite) -> str:
    kx = "ECDHE-ECDSA" if suite.keyExchange is KeyExchange.ECDHE_ECDSA else "ECDHE-RSA"
    return f"{TLS12_ONLY}:-CIPHER-ALL:+{suite.aead}:-KX-ALL:+{kx}"


def receivedData(stdout: bytes) -> bytes:
    """
    What gnutls-cli printed from the server, after its status report.
    """
    _, _, rest = stdout.partition(DATA_MARKER)
    return rest.split(b"- Peer has closed", 1)[0]


class OurServerGnuTLSClientTests(TestCase):
    timeout = 120

    async def exchange(
        self, server: OurServer, argv: list[str], data: bytes = b"ping\n"
    ) -> object:
        result = await runPeerClient(
            argv,
            stdin=data,
            sendWhen=lambda out: DATA_MARKER in out,
            closeStdinWhen=lambda out: len(receivedData(out)) >= len(data),
            timeout=120,
        )
        ours = await server.nextConnection()
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertEqual(digest(bytes(ours.received)), digest(data))
        self.assertEqual(digest(receivedData(result.stdout)[: len(data)]), digest(data))
        return ours.session

    async def test_everySuite(self) -> None:
        for suite in TLS12_SUITES:
            server = OurServer(self, ourServerOptions(serverIdentityFor(suite.keyExchange)))
            session = await self.exchange(
                server, gnutlsCliArgv(server.portNumber, suitePriority(suite))
            )
            self.assertEqual(session.cipherSuite, "TLS_" + suite.name)  # type: ignore[attr-defined]

    async def test_groups(self) -> None:
        for keyword, name in (
            ("X25519", "x25519"),
            ("SECP256R1", "secp256r1"),
            ("SECP384R1", "secp384r1"),
            ("X448", "x448"),
        ):
            server = OurServer(self, ourServerOptions(cachedPKI().ed25519Server))
            priority = f"{TLS12_ONLY}:-GROUP-ALL:+GROUP-{keyword}"
            session = await self.exchange(server, gnutlsCliArgv(server.portNumber, priority))
            self.assertEqual(session.group, name)  # type: ignore[attr-defined]

    async def test_alpnAndSni(self) -> None:
        server = OurServer(self, ourServerOptions(acceptableProtocols=[b"h2"]))
        session = await self.exchange(
            server,
            gnutlsCliArgv(server.portNumber, TLS12_ONLY, "--alpn", "http/1.1", "--alpn", "h2"),
        )
        self.assertEqual(session.alpnProtocol, b"h2")  # type: ignore[attr-defined]
        self.assertEqual(session.serverName, "localhost")  # type: ignore[attr-defined]

    async def test_extendedMasterSecretOff(self) -> None:
        """
        A client without RFC 7627 still connects, and the session says so.
        """
        server = OurServer(self, ourServerOptions())
        session = await self.exchange(
            server, gnutlsCliArgv(server.portNumber, f"{TLS12_ONLY}:%NO_SESSION_HASH")
        )
        self.assertFalse(session.extendedMasterSecret)  # type: ignore[attr-defined]

    async def test_extendedMasterSecretRequired(self) -> None:
        server = OurServer(self, ourServerOptions(requireExtendedMasterSecret=True))
        result = await runPeerClient(
            gnutlsCliArgv(server.portNumber, f"{TLS12_ONLY}:%NO_SESSION_HASH"), timeout=30
        )
        ours = await server.nextConnection()
        self.assertNotEqual(result.exitCode, 0)
        assert ours.reason is not None
        self.assertEqual(ours.reason.value.alert, A.handshake_failure)  # type: ignore[attr-defined]
        self.assertIn("extended master secret", str(ours.reason.value))

    async def test_clientCertificate(self) -> None:
        pki = cachedPKI()
        server = OurServer(
            self, ourServerOptions(clientCertificates="require", trustRoots=[pki.caCertificate])
        )
        argv = gnutlsCliArgv(
            server.portNumber,
            TLS12_ONLY,
            "--x509certfile",
            pki.rsaClient.certPath,
            "--x509keyfile",
            pki.rsaClient.keyPath,
        )
        session = await self.exchange(server, argv)
        self.assertEqual(session.peerCertificate, pki.rsaClient.certificate)  # type: ignore[attr-defined]

    async def test_bulkBothWays(self) -> None:
        server = OurServer(self, ourServerOptions())
        await self.exchange(server, gnutlsCliArgv(server.portNumber), payload(BULK, b"gnutls"))


class OurClientGnuTLSServerTests(TestCase):
    timeout = 120

    async def exchange(
        self, argv: list[str], port: int, data: bytes = b"ping\n", **options: object
    ) -> Collector:
        server = startPeerServer(self, argv, port)
        client = await connectOurClient(
            ourClientOptions(**options), port, Collector(data, expected=len(data)), timeout=120
        )
        # We close after the echo; GnuTLS answers close_notify: a clean end.
        assert client.reason is not None
        self.assertTrue(client.reason.check(ConnectionDone), client.reason)
        self.assertEqual(len(client.received), len(data), server.output())
        self.assertEqual(digest(bytes(client.received)), digest(data))
        return client

    async def test_everySuite(self) -> None:
        for suite in TLS12_SUITES:
            port = freePort()
            argv = gnutlsServArgv(port, serverIdentityFor(suite.keyExchange), suitePriority(suite))
            client = await self.exchange(argv, port)
            self.assertEqual(client.session.cipherSuite, "TLS_" + suite.name)

    async def test_extendedMasterSecretOff(self) -> None:
        port = freePort()
        argv = gnutlsServArgv(port, cachedPKI().ecdsaServer, f"{TLS12_ONLY}:%NO_SESSION_HASH")
        client = await self.exchange(argv, port)
        self.assertFalse(client.session.extendedMasterSecret)

    async def test_extendedMasterSecretRequired(self) -> None:
        port = freePort()
        argv = gnutlsServArgv(port, cachedPKI().ecdsaServer, f"{TLS12_ONLY}:%NO_SESSION_HASH")
        startPeerServer(self, argv, port)
        client = await connectOurClient(
            ourClientOptions(requireExtendedMasterSecret=True), port, Collector(b"x")
        )
        assert client.reason is not None
        error = client.reason.value
        self.assertIsInstance(error, TLSAlertError)
        self.assertEqual(error.alert, A.handshake_failure)  # type: ignore[attr-defined]
        self.assertTrue(error.sentByUs)  # type: ignore[attr-defined]

    async def test_clientCertificateRequired(self) -> None:
        pki = cachedPKI()
        port = freePort()
        argv = gnutlsServArgv(port, pki.ecdsaServer, TLS12_ONLY, "-r", "--x509cafile", pki.caPath)
        await self.exchange(
            argv,
            port,
            clientCertificate=((pki.ecdsaClient.certificate,), pki.ecdsaClient.privateKey),
        )

    async def test_bulkBothWays(self) -> None:
        port = freePort()
        argv = gnutlsServArgv(port, cachedPKI().ecdsaServer)
        await self.exchange(argv, port, payload(BULK, b"gnutls-serv"))
