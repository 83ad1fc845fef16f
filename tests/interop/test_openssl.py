# -*- test-case-name: tests.interop.test_openssl -*-
"""
Interop with OpenSSL on real sockets: our server against C{openssl s_client
-tls1_2}, our client against C{openssl s_server -tls1_2}.
"""

from __future__ import annotations

from twisted.trial.unittest import TestCase

from twisted_reneg import ClientOptions, TLSAlertError
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.errors import AlertDescription
from twisted_reneg.tls.suites import TLS12_SUITES

from ._openssl import sClientArgv, sServerArgv
from ._options import ourClientOptions, ourServerOptions, serverIdentityFor
from .peers import (
    OPENSSL_CIPHERS,
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


class OurServerOpenSSLClientTests(TestCase):
    """
    C{openssl s_client} connects to our server.
    """

    timeout = 120

    async def handshakeOnce(
        self, server: OurServer, *extra: str, line: bytes = b"ping\n"
    ) -> tuple[str, object]:
        result = await runPeerClient(
            sClientArgv(server.portNumber, *extra),
            stdin=line,
            sendWhen=lambda out: b"Verify return code" in out,
            closeStdinWhen=lambda out: line in out.split(b"Verify return code", 1)[-1],
        )
        ours = await server.nextConnection()
        text = result.text()
        self.assertEqual(result.exitCode, 0, text)
        self.assertIn("Verify return code: 0 (ok)", text)
        self.assertEqual(bytes(ours.received), line)
        return text, ours.session

    async def test_everySuite(self) -> None:
        for suite in TLS12_SUITES:
            server = OurServer(self, ourServerOptions(serverIdentityFor(suite.keyExchange)))
            text, session = await self.handshakeOnce(
                server, "-cipher", OPENSSL_CIPHERS[suite.name]
            )
            self.assertIn(f"Cipher    : {OPENSSL_CIPHERS[suite.name]}", text)
            self.assertEqual(session.cipherSuite, "TLS_" + suite.name)  # type: ignore[attr-defined]

    async def test_groupsAndCertificates(self) -> None:
        """
        Each group with an Ed25519 certificate (no curve constraint), and a
        P-384 certificate, whose curve the client must accept (RFC 8422).
        """
        pki = cachedPKI()
        cases = [
            (pki.ed25519Server, group, name)
            for group, name in (
                ("X25519", "x25519"),
                ("P-256", "secp256r1"),
                ("P-384", "secp384r1"),
                ("X448", "x448"),
            )
        ]
        cases.append((pki.ecdsa384Server, "P-384", "secp384r1"))
        for identity, group, name in cases:
            server = OurServer(self, ourServerOptions(identity))
            _, session = await self.handshakeOnce(server, "-groups", group)
            self.assertEqual(session.group, name)  # type: ignore[attr-defined]
            self.assertTrue(session.extendedMasterSecret)  # type: ignore[attr-defined]

    async def test_certificateCurveNotAccepted(self) -> None:
        """
        A client that accepts only X25519 cannot use our P-384 certificate:
        we refuse with handshake_failure instead of sending it.
        """
        server = OurServer(self, ourServerOptions(cachedPKI().ecdsa384Server))
        result = await runPeerClient(sClientArgv(server.portNumber, "-groups", "X25519"))
        ours = await server.nextConnection()
        self.assertNotEqual(result.exitCode, 0)
        self.assertIn("handshake failure", result.text())
        assert ours.reason is not None
        self.assertEqual(ours.reason.value.alert, A.handshake_failure)  # type: ignore[attr-defined]

    async def test_alpnAndSni(self) -> None:
        server = OurServer(self, ourServerOptions(acceptableProtocols=[b"http/1.1", b"h2"]))
        text, session = await self.handshakeOnce(server, "-alpn", "h2,http/1.1")
        self.assertIn("ALPN protocol: http/1.1", text)
        self.assertEqual(session.alpnProtocol, b"http/1.1")  # type: ignore[attr-defined]
        self.assertEqual(session.serverName, "localhost")  # type: ignore[attr-defined]

    async def test_clientCertificateSent(self) -> None:
        pki = cachedPKI()
        server = OurServer(
            self,
            ourServerOptions(clientCertificates="require", trustRoots=[pki.caCertificate]),
        )
        _, session = await self.handshakeOnce(
            server, "-cert", pki.ecdsaClient.certPath, "-key", pki.ecdsaClient.keyPath
        )
        self.assertEqual(session.peerCertificate, pki.ecdsaClient.certificate)  # type: ignore[attr-defined]

    async def test_clientCertificateRequiredButMissing(self) -> None:
        pki = cachedPKI()
        server = OurServer(
            self,
            ourServerOptions(clientCertificates="require", trustRoots=[pki.caCertificate]),
        )
        result = await runPeerClient(sClientArgv(server.portNumber), stdin=b"ping\n")
        ours = await server.nextConnection()
        self.assertNotEqual(result.exitCode, 0, result.text())
        self.assertIn("alert handshake failure", result.text())
        assert ours.reason is not None
        error = ours.reason.value
        self.assertIsInstance(error, TLSAlertError)
        self.assertEqual(error.alert, A.handshake_failure)  # type: ignore[attr-defined]
        self.assertIn("required", str(error))
        self.assertEqual(bytes(ours.received), b"")

    async def test_bulkBothWays(self) -> None:
        """
        8 MiB from openssl to us and back, checked by digest on both ends.
        """
        data = payload(BULK)
        server = OurServer(self, ourServerOptions(), expected=BULK)
        result = await runPeerClient(
            sClientArgv(server.portNumber, "-quiet"), stdin=data, timeout=120
        )
        ours = await server.nextConnection()
        self.assertEqual(digest(bytes(ours.received)), digest(data))
        self.assertEqual(len(result.stdout), BULK, result.text()[-500:])
        self.assertEqual(digest(result.stdout), digest(data))


class OurClientOpenSSLServerTests(TestCase):
    """
    Our client connects to C{openssl s_server}.
    """

    timeout = 120

    async def exchange(
        self, argv: list[str], port: int, options: ClientOptions, line: bytes = b"abc\n"
    ) -> Collector:
        """
        Against C{s_server -rev}: send a line, expect it reversed.
        """
        server = startPeerServer(self, argv, port)
        client = await connectOurClient(options, port, Collector(line, expected=len(line)))
        self.assertEqual(bytes(client.received), line[:-1][::-1] + b"\n", server.output())
        return client

    async def test_everySuite(self) -> None:
        for suite in TLS12_SUITES:
            port = freePort()
            argv = sServerArgv(
                port,
                serverIdentityFor(suite.keyExchange),
                "-rev",
                "-cipher",
                OPENSSL_CIPHERS[suite.name],
            )
            client = await self.exchange(argv, port, ourClientOptions())
            self.assertEqual(client.session.cipherSuite, "TLS_" + suite.name)

    async def test_groups(self) -> None:
        for group in ("x25519", "secp256r1", "secp384r1", "x448"):
            port = freePort()
            argv = sServerArgv(port, cachedPKI().ed25519Server, "-rev")
            client = await self.exchange(argv, port, ourClientOptions(groups=[group]))
            self.assertEqual(client.session.group, group)

    async def test_certificateTypes(self) -> None:
        pki = cachedPKI()
        for identity in (pki.rsaServer, pki.ecdsa384Server, pki.ed25519Server):
            port = freePort()
            client = await self.exchange(
                sServerArgv(port, identity, "-rev"), port, ourClientOptions()
            )
            self.assertEqual(client.session.peerCertificate, identity.certificate)

    async def test_alpn(self) -> None:
        port = freePort()
        argv = sServerArgv(port, cachedPKI().ecdsaServer, "-rev", "-alpn", "h2")
        client = await self.exchange(
            argv, port, ourClientOptions(acceptableProtocols=[b"h2", b"http/1.1"])
        )
        self.assertEqual(client.session.alpnProtocol, b"h2")

    async def test_sni(self) -> None:
        """
        s_server answers SNI "localhost" with its -cert2 certificate, and
        with -servername_fatal it would refuse any other name.
        """
        pki = cachedPKI()
        port = freePort()
        argv = sServerArgv(
            port,
            pki.ecdsaServer,
            "-rev",
            "-servername",
            "localhost",
            "-servername_fatal",
            "-cert2",
            pki.rsaServer.certPath,
            "-key2",
            pki.rsaServer.keyPath,
        )
        client = await self.exchange(argv, port, ourClientOptions())
        self.assertEqual(client.session.peerCertificate, pki.rsaServer.certificate)

    async def test_clientCertificate(self) -> None:
        pki = cachedPKI()
        port = freePort()
        argv = sServerArgv(
            port,
            pki.ecdsaServer,
            "-rev",
            "-Verify",
            "2",
            "-CAfile",
            pki.caPath,
            "-verify_return_error",
        )
        options = ourClientOptions(
            clientCertificate=((pki.rsaClient.certificate,), pki.rsaClient.privateKey)
        )
        await self.exchange(argv, port, options)

    async def test_clientCertificateRequiredButMissing(self) -> None:
        pki = cachedPKI()
        port = freePort()
        argv = sServerArgv(port, pki.ecdsaServer, "-rev", "-Verify", "2", "-CAfile", pki.caPath)
        startPeerServer(self, argv, port)
        client = await connectOurClient(ourClientOptions(), port, Collector(b"abc\n"))
        assert client.reason is not None
        error = client.reason.value
        self.assertIsInstance(error, TLSAlertError)
        self.assertFalse(error.sentByUs)  # type: ignore[attr-defined]
        self.assertEqual(bytes(client.received), b"")

    async def test_badServerCertificates(self) -> None:
        """
        Wrong host, unknown CA and expired certificates are refused with the
        alert that names the reason, and the error says it in words.
        """
        pki = cachedPKI()
        for identity, alert, words in (
            (pki.wrongHostServer, A.bad_certificate, "not valid for 'localhost'"),
            (pki.untrustedServer, A.unknown_ca, "unknown authority"),
            (pki.expiredServer, A.certificate_expired, "expired"),
        ):
            port = freePort()
            server = startPeerServer(self, sServerArgv(port, identity, "-rev"), port)
            client = await connectOurClient(ourClientOptions(), port, Collector(b"secret\n"))
            assert client.reason is not None
            error = client.reason.value
            self.assertIsInstance(error, TLSAlertError)
            self.assertEqual(error.alert, alert)  # type: ignore[attr-defined]
            self.assertTrue(error.sentByUs)  # type: ignore[attr-defined]
            self.assertIn(words, str(error))
            self.assertEqual(bytes(client.received), b"")
            server.stop()
            self.assertNotIn(b"secret", server.stdout())

    async def test_bulkBothWays(self) -> None:
        """
        8 MiB of lines to s_server -rev and 8 MiB of reversed lines back.
        """
        data = payload(BULK)
        expected = b"".join(line[::-1] + b"\n" for line in data.split(b"\n")[:-1])
        port = freePort()
        startPeerServer(self, sServerArgv(port, cachedPKI().ecdsaServer, "-rev"), port)
        client = await connectOurClient(
            ourClientOptions(), port, Collector(data, expected=len(expected)), timeout=120
        )
        self.assertEqual(len(client.received), len(expected))
        self.assertEqual(digest(bytes(client.received)), digest(expected))
