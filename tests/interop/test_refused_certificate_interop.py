# -*- test-case-name: tests.interop.test_refused_certificate_interop -*-
"""
A real peer's client certificate, asked for mid-connection, that fails our
verification: the connection stays up, our server hears why, and answers on
the same connection.  TLS 1.2 renegotiation and TLS 1.3 post-handshake auth,
with C{openssl s_client} and C{gnutls-cli}.
"""

from __future__ import annotations

import os

from twisted.trial.unittest import TestCase

from twisted_reneg import TLSSession
from twisted_reneg.testing.pki import cachedPKI, makePKI

from ._gnutls import TLS12_ONLY, TLS13_ONLY, gnutlsCliArgv
from ._openssl import sClientArgv
from ._options import ourServerOptions
from ._renegotiation import CommandServer
from .peers import OurServer, runScriptedClient


class VerdictServer(CommandServer):
    """
    Reports the verdict on the client's certificate as one line, as a web
    server would answer 403 with its reason.
    """

    def reportCertificate(self, session: TLSSession) -> None:
        if session.peerCertificateError is not None:
            self.transport.write(b"refused: " + session.peerCertificateError.encode() + b"\n")
        else:
            super().reportCertificate(session)


class RefusedMidConnectionTests(TestCase):
    timeout = 60

    def setUp(self) -> None:
        directory = self.mktemp()
        os.makedirs(directory)
        # A client certificate from a CA our server does not trust.
        self.stranger = makePKI(directory).ecdsaClient

    def server(self, version: str) -> OurServer:
        options = ourServerOptions(maxVersion=version, trustRoots=[cachedPKI().caCertificate])
        return OurServer(self, options, protocolClass=VerdictServer)

    async def converse(self, argv: list[str], ready: bytes, server: OurServer) -> str:
        result = await runScriptedClient(
            argv,
            [
                (ready, b"go-cert\n"),
                (b"refused: ", b"still-here\n"),
                (b"still-here\n", None),
            ],
        )
        ours = await server.nextConnection()
        session = ours.session
        self.assertIsNone(session.peerCertificate)
        self.assertIn("unknown authority", session.peerCertificateError)
        return result.text()

    def identity(self) -> list[str]:
        return ["-cert", self.stranger.certPath, "-key", self.stranger.keyPath]

    async def test_opensslTLS12(self) -> None:
        server = self.server("1.2")
        text = await self.converse(
            sClientArgv(server.portNumber, "-nocommands", *self.identity()),
            b"Verify return code",
            server,
        )
        self.assertIn("refused: client certificate 'CN=test-client", text)

    async def test_opensslTLS13(self) -> None:
        server = self.server("1.3")
        argv = sClientArgv(server.portNumber, "-enable_pha", *self.identity())
        argv[argv.index("-tls1_2")] = "-tls1_3"
        text = await self.converse(argv, b"Verify return code", server)
        self.assertIn("refused: client certificate 'CN=test-client", text)

    def gnutlsIdentity(self) -> list[str]:
        return ["--x509certfile", self.stranger.certPath, "--x509keyfile", self.stranger.keyPath]

    async def test_gnutlsTLS12(self) -> None:
        server = self.server("1.2")
        text = await self.converse(
            gnutlsCliArgv(server.portNumber, TLS12_ONLY, *self.gnutlsIdentity()),
            b"Simple Client Mode",
            server,
        )
        self.assertIn("refused: client certificate 'CN=test-client", text)

    async def test_gnutlsTLS13(self) -> None:
        server = self.server("1.3")
        text = await self.converse(
            gnutlsCliArgv(
                server.portNumber, TLS13_ONLY, "--post-handshake-auth", *self.gnutlsIdentity()
            ),
            b"Simple Client Mode",
            server,
        )
        self.assertIn("refused: client certificate 'CN=test-client", text)
