# -*- test-case-name: tests.interop.test_canames_interop -*-
"""
CA names in CertificateRequest with real peers on 127.0.0.1, TLS 1.2 and
1.3: C{openssl s_client} and C{gnutls-cli} show the CA our server names
(and none with C{sendClientCANames=False}); our client holding two
certificates sends C{openssl s_server} and C{gnutls-serv} the one from the
CA they name, though it is the second, where the first alone is refused.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.error import ConnectionDone
from twisted.trial.unittest import TestCase

from twisted_reneg import ClientOptions, TLSAlertError
from twisted_reneg.testing.pki import Identity, cachedPKI

from ._gnutls import DATA_MARKER, TLS12_ONLY, TLS13_ONLY, gnutlsCliArgv, gnutlsServArgv
from ._openssl import sClientArgv, sServerArgv
from ._options import ourServerOptions
from ._renegotiation import CommandServer, Watcher
from .peers import (
    Collector,
    OurServer,
    connectOurClient,
    freePort,
    runPeerClient,
    runScriptedClient,
    startPeerServer,
    waitFor,
)

#: How each peer prints the subject of the test CA.
OPENSSL_CA = "O = twisted_reneg tests, CN = twisted_reneg test CA"
GNUTLS_CA = "O=twisted_reneg tests,CN=twisted_reneg test CA"

VERSIONS = ("1.2", "1.3")
GNUTLS_PRIORITY = {"1.2": TLS12_ONLY, "1.3": TLS13_ONLY}


def namingServer(case: TestCase, version: str, **kw: Any) -> OurServer:
    """
    Our server, trusting the test CA for client certificates, which it
    requests (so that clients without one still connect).
    """
    options = ourServerOptions(
        minVersion=version,
        maxVersion=version,
        clientCertificates="request",
        trustRoots=[cachedPKI().caCertificate],
        **kw,
    )
    return OurServer(case, options)


def twoCertificates(version: str, first: Identity | None = None) -> ClientOptions:
    """
    Our client holding a certificate from an untrusted CA first and one from
    the test CA second (or only C{first}, as a control).
    """
    pki = cachedPKI()
    identities = [first] if first is not None else [pki.untrustedClient, pki.ecdsaClient]
    return ClientOptions(
        "localhost",
        trustRoots=[pki.caCertificate],
        clientCertificates=[((i.certificate,), i.privateKey) for i in identities],
        minVersion=version,
        maxVersion=version,
        resumeSessions=False,
    )


class OurServerTests(TestCase):
    """
    Peers' clients show the CA names our server sends.
    """

    timeout = 120

    async def sClient(self, version: str, **kw: Any) -> str:
        server = namingServer(self, version, **kw)
        argv = sClientArgv(server.portNumber)
        argv[argv.index("-tls1_2")] = "-tls1_2" if version == "1.2" else "-tls1_3"
        result = await runPeerClient(
            argv,
            stdin=b"ping\n",
            sendWhen=lambda out: b"Verify return code" in out,
            closeStdinWhen=lambda out: b"ping\n" in out.split(b"Verify return code", 1)[-1],
        )
        ours = await server.nextConnection()
        self.assertEqual(bytes(ours.received), b"ping\n", result.text())
        return result.text()

    async def test_opensslSeesOurCA(self) -> None:
        for version in VERSIONS:
            text = await self.sClient(version)
            self.assertIn(f"Acceptable client certificate CA names\n{OPENSSL_CA}\n", text)

    async def test_opensslSeesNoneWhenOff(self) -> None:
        for version in VERSIONS:
            text = await self.sClient(version, sendClientCANames=False)
            self.assertIn("No client certificate CA names sent", text)
            self.assertNotIn("Acceptable client certificate CA names", text)

    async def gnutlsCli(self, version: str, **kw: Any) -> str:
        server = namingServer(self, version, **kw)
        argv = gnutlsCliArgv(server.portNumber, GNUTLS_PRIORITY[version], "--verbose")
        result = await runPeerClient(
            argv,
            stdin=b"ping\n",
            sendWhen=lambda out: DATA_MARKER in out,
            closeStdinWhen=lambda out: b"ping\n" in out.split(DATA_MARKER, 1)[-1],
        )
        ours = await server.nextConnection()
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertEqual(bytes(ours.received), b"ping\n", result.text())
        return result.text()

    async def test_gnutlsSeesOurCA(self) -> None:
        for version in VERSIONS:
            text = await self.gnutlsCli(version)
            self.assertIn(f"- Server's trusted authorities:\n   [0]: {GNUTLS_CA}\n", text)

    async def test_gnutlsSeesNoneWhenOff(self) -> None:
        for version in VERSIONS:
            text = await self.gnutlsCli(version, sendClientCANames=False)
            self.assertIn("- Server did not send us any trusted authorities names.", text)
            self.assertNotIn("Server's trusted authorities", text)

    async def test_gnutlsPostHandshakeAuth(self) -> None:
        """
        TLS 1.3 post-handshake auth: the names come with the request made
        after the handshake (the handshake itself asked for nothing).
        """
        pki = cachedPKI()
        options = ourServerOptions(maxVersion="1.3", trustRoots=[pki.caCertificate])
        server = OurServer(self, options, protocolClass=CommandServer)
        argv = gnutlsCliArgv(
            server.portNumber,
            TLS13_ONLY,
            "--verbose",
            "--post-handshake-auth",
            "--x509certfile",
            pki.rsaClient.certPath,
            "--x509keyfile",
            pki.rsaClient.keyPath,
        )
        result = await runScriptedClient(
            argv, [(b"Simple Client Mode", b"go-cert\n"), (b"client-cert", None)]
        )
        before, _, after = result.text().partition("Simple Client Mode")
        self.assertNotIn(GNUTLS_CA, before)
        self.assertIn(f"- Server's trusted authorities:\n   [0]: {GNUTLS_CA}\n", after)


class OurClientTests(TestCase):
    """
    Peers' servers name the test CA; our client, holding a certificate from
    another CA first, sends the test CA's, and the server accepts it.
    """

    timeout = 120

    async def connect(self, argv: list[str], port: int, options: ClientOptions) -> Collector:
        server = startPeerServer(self, argv, port)
        client = await connectOurClient(options, port, Collector(b"abc\n", expected=4))
        client.serverOutput = server.output()  # type: ignore[attr-defined]
        return client

    def assertAccepted(self, client: Collector, reply: bytes) -> None:
        self.assertEqual(bytes(client.received), reply, client.serverOutput)  # type: ignore[attr-defined]

    def assertRefused(self, client: Collector) -> None:
        assert client.reason is not None
        self.assertTrue(client.reason.check(TLSAlertError), client.reason)
        self.assertEqual(bytes(client.received), b"")

    def sServer(self, version: str, port: int) -> list[str]:
        pki = cachedPKI()
        argv = sServerArgv(
            port,
            pki.ecdsaServer,
            "-rev",
            "-Verify",
            "1",
            "-CAfile",
            pki.caPath,
            "-verify_return_error",
        )
        argv[argv.index("-tls1_2")] = "-tls1_2" if version == "1.2" else "-tls1_3"
        return argv

    async def test_opensslServer(self) -> None:
        """
        OpenSSL 3.0's s_server names the CAs of C{-CAfile}.
        """
        for version in VERSIONS:
            port = freePort()
            client = await self.connect(
                self.sServer(version, port), port, twoCertificates(version)
            )
            self.assertAccepted(client, b"cba\n")
            self.assertEqual(client.session.version, f"TLSv{version}")

    async def test_opensslServerRefusesTheFirstAlone(self) -> None:
        """
        The control: the first certificate by itself is refused.
        """
        for version in VERSIONS:
            port = freePort()
            options = twoCertificates(version, first=cachedPKI().untrustedClient)
            self.assertRefused(await self.connect(self.sServer(version, port), port, options))

    def gnutlsServ(self, version: str, port: int) -> list[str]:
        pki = cachedPKI()
        return gnutlsServArgv(
            port,
            pki.ecdsaServer,
            GNUTLS_PRIORITY[version],
            "--x509cafile",
            pki.caPath,
            "--require-client-cert",
            # -r alone takes any certificate; with this it must verify.
            "--verify-client-cert",
        )

    async def test_gnutlsServer(self) -> None:
        for version in VERSIONS:
            port = freePort()
            client = await self.connect(
                self.gnutlsServ(version, port), port, twoCertificates(version)
            )
            self.assertAccepted(client, b"abc\n")
            assert client.reason is not None
            self.assertTrue(client.reason.check(ConnectionDone), client.reason)

    async def test_gnutlsServerRefusesTheFirstAlone(self) -> None:
        for version in VERSIONS:
            port = freePort()
            options = twoCertificates(version, first=cachedPKI().untrustedClient)
            self.assertRefused(await self.connect(self.gnutlsServ(version, port), port, options))

    async def test_gnutlsServerPostHandshakeAuth(self) -> None:
        """
        gnutls-serv's C{**REAUTH**} after a handshake that asked for no
        certificate: the choice is made on the post-handshake request.
        """
        pki = cachedPKI()
        port = freePort()
        argv = gnutlsServArgv(
            port,
            pki.ecdsaServer,
            TLS13_ONLY,
            "--x509cafile",
            pki.caPath,
            "--verify-client-cert",
        )
        server = startPeerServer(self, argv, port)
        client = Watcher(b"**REAUTH**\n")
        done = connectOurClient(twoCertificates("1.3"), port, client)
        session = await client.renegotiated
        self.assertEqual(session.version, "TLSv1.3")
        client.transport.write(b"after auth\n")
        await waitFor(lambda: b"after auth\n" in client.received, "the echo")
        client.transport.loseConnection()
        await done
        server.stop()
        output = server.output()
        self.assertIn("Sending re-auth request", output)
        self.assertNotIn("rror", output.split("Sending re-auth request")[1])
