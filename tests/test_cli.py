# -*- test-case-name: tests.test_cli -*-
"""
C{python -m twisted_reneg client} against openssl s_server and
gnutls-serv --echo, inline commands included.
"""

from __future__ import annotations

import sys

from twisted.trial.unittest import TestCase

from twisted_reneg._cli import _parser, clientOptions
from twisted_reneg.testing.pki import cachedPKI

from .interop.peers import freePort, runScriptedClient, startPeerServer
from .interop.test_gnutls import gnutlsServArgv
from .interop.test_openssl import sServerArgv


def cli(port: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "twisted_reneg",
        "client",
        "127.0.0.1",
        str(port),
        "--servername",
        "localhost",
        *extra,
    ]


def trusted(port: int, *extra: str) -> list[str]:
    return cli(port, "--cafile", cachedPKI().caPath, *extra)


class OpenSSLServerTests(TestCase):
    timeout = 60

    async def test_dataAndRefusedRenegotiation(self) -> None:
        """
        OpenSSL 3 refuses client renegotiation by default: the CLI says so
        and the data goes on.
        """
        port = freePort()
        server = startPeerServer(self, sServerArgv(port, cachedPKI().ecdsaServer), port)
        result = await runScriptedClient(
            trusted(port),
            [
                (b"Handshake completed", b"first line\n^renegotiate^\n"),
                (b"did not happen", b"second line\n"),
                (b"", None),
            ],
        )
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertIn("peer sent no_renegotiation", result.text())
        server.stop()
        out = server.stdout()
        # s_server notes the refused renegotiation ("Read BLOCK") in between.
        self.assertLess(out.index(b"first line\n"), out.index(b"second line\n"))

    async def test_allowedRenegotiation(self) -> None:
        port = freePort()
        argv = sServerArgv(port, cachedPKI().ecdsaServer, "-client_renegotiation")
        startPeerServer(self, argv, port)
        result = await runScriptedClient(
            trusted(port),
            [(b"Handshake completed", b"^renegotiate^\n"), (b"Renegotiation 1 completed", None)],
        )
        self.assertEqual(result.exitCode, 0, result.text())

    async def test_rekeyOnTLS12(self) -> None:
        port = freePort()
        startPeerServer(self, sServerArgv(port, cachedPKI().ecdsaServer), port)
        result = await runScriptedClient(
            trusted(port),
            [(b"Handshake completed", b"^rekey^\n"), (b"needs TLS 1.3", None)],
        )
        self.assertIn("Key update needs TLS 1.3", result.text())

    async def test_severalClientCertificates(self) -> None:
        """
        Repeated --cert/--key: the CLI sends the certificate from the CA
        s_server names (the second given), which s_server requires.
        """
        pki = cachedPKI()
        port = freePort()
        argv = sServerArgv(
            port, pki.ecdsaServer, "-Verify", "1", "-CAfile", pki.caPath, "-verify_return_error"
        )
        startPeerServer(self, argv, port)
        untrusted, ecdsa = pki.untrustedClient, pki.ecdsaClient
        result = await runScriptedClient(
            trusted(
                port,
                *("--cert", untrusted.certPath, "--key", untrusted.keyPath),
                *("--cert", ecdsa.certPath, "--key", ecdsa.keyPath),
            ),
            [(b"Handshake completed", b"ping\n"), (b"", None)],
        )
        self.assertEqual(result.exitCode, 0, result.text())

    def test_certAndKeyCounted(self) -> None:
        args = _parser().parse_args(["h", "1", "--cert", "a.pem", "--cert", "b.pem", "--key", "k"])
        self.assertRaises(ValueError, clientOptions, args)

    async def test_untrustedServer(self) -> None:
        port = freePort()
        startPeerServer(self, sServerArgv(port, cachedPKI().ecdsaServer), port)
        result = await runScriptedClient(cli(port), [])
        self.assertEqual(result.exitCode, 1, result.text())
        self.assertIn("unknown authority", result.text())


class GnuTLSServerTests(TestCase):
    timeout = 60

    async def test_echoAndRenegotiationsBothWays(self) -> None:
        port = freePort()
        startPeerServer(self, gnutlsServArgv(port, cachedPKI().ecdsaServer), port)
        pki = cachedPKI()
        result = await runScriptedClient(
            trusted(port, "--cert", pki.ecdsaClient.certPath, "--key", pki.ecdsaClient.keyPath),
            [
                (b"Handshake completed", b"echo me\n"),
                (b"echo me\n", b"**REHANDSHAKE**\n"),
                (b"Renegotiation 1 completed", b"^renegotiate^\n"),
                (b"Renegotiation 2 completed", b"last\n"),
                (b"last\n", None),
            ],
        )
        text = result.text()
        self.assertEqual(result.exitCode, 0, text)
        self.assertIn("Renegotiation requested by the server", text)
        self.assertIn("Connection closed cleanly", text)

    async def test_tls13AndRekey(self) -> None:
        """
        --tls1.3 against gnutls-serv: ^rekey^ is a KeyUpdate, answered with
        the echo of the next line.
        """
        port = freePort()
        argv = gnutlsServArgv(port, cachedPKI().ecdsaServer, "NORMAL:-VERS-ALL:+VERS-TLS1.3")
        startPeerServer(self, argv, port)
        result = await runScriptedClient(
            trusted(port, "--tls1.3"),
            [
                (b"Handshake completed: TLSv1.3", b"^rekey^\nafter\n"),
                (b"Keys updated (by us)", None),
            ],
        )
        self.assertEqual(result.exitCode, 0, result.text())
