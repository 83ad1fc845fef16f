# -*- test-case-name: tests.test_cli -*-
"""
C{python -m twisted_reneg client} against openssl s_server, gnutls-serv
--echo and our own C{python -m twisted_reneg server --echo}, inline
commands included.  Each test checks the whole sequence of event lines the
CLI printed: every event once, in the order it happened.
"""

from __future__ import annotations

import subprocess
import sys

from twisted.trial.unittest import TestCase

from twisted_reneg._cli import _parser, clientOptions, keyingMaterialOption
from twisted_reneg.testing.pki import cachedPKI

from .interop._gnutls import gnutlsServArgv
from .interop._openssl import sServerArgv
from .interop.peers import PeerResult, freePort, runScriptedClient, startPeerServer, waitFor


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


def withCertificate(port: int, *extra: str) -> list[str]:
    pki = cachedPKI()
    return trusted(
        port, "--cert", pki.ecdsaClient.certPath, "--key", pki.ecdsaClient.keyPath, *extra
    )


def ourServer(testCase: TestCase, *extra: str) -> int:
    """
    C{python -m twisted_reneg server --echo} on a free port; C{extra} are
    more options of its C{reneg:} endpoint.
    """
    pki = cachedPKI()
    port = freePort()
    listen = ":".join(
        [
            f"reneg:{port}:interface=127.0.0.1",
            f"privateKey={pki.ecdsaServer.keyPath}",
            f"certKey={pki.ecdsaServer.certPath}",
            f"caCerts={pki.caPath}",
            *extra,
        ]
    )
    argv = [sys.executable, "-m", "twisted_reneg", "server", "--listen", listen, "--echo"]
    startPeerServer(testCase, argv, port)
    return port


def eventLines(result: PeerResult) -> list[str]:
    """
    The CLI's event lines (C{- ...} on standard error), in order.
    """
    text = result.stderr.decode("utf-8", "replace")
    return [line[2:] for line in text.splitlines() if line.startswith("- ")]


class CLITestCase(TestCase):
    timeout = 60

    def assertEvents(self, result: PeerResult, expected: list[str]) -> None:
        """
        The event lines are exactly C{expected}, in order; each expected
        entry is the start of its line (the rest describes the session).
        """
        lines = eventLines(result)
        matches = len(lines) == len(expected) and all(
            line.startswith(start) for line, start in zip(lines, expected, strict=True)
        )
        self.assertTrue(matches, f"event lines {lines!r}, expected {expected!r}\n{result.text()}")


class OpenSSLServerTests(CLITestCase):
    async def test_dataAndRefusedRenegotiation(self) -> None:
        """
        OpenSSL 3 refuses client renegotiation by default: the CLI says so,
        once, and the data goes on.
        """
        port = freePort()
        server = startPeerServer(self, sServerArgv(port, cachedPKI().ecdsaServer), port)
        result = await runScriptedClient(
            trusted(port),
            [
                (b"Handshake completed", b"first line\n^renegotiate^\n"),
                (b"Renegotiation refused", b"second line\n"),
                (b"", None),
            ],
        )
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertEvents(
            result,
            [
                f"Connected to 127.0.0.1:{port}",
                "Handshake completed: TLSv1.2",
                "Renegotiating...",
                "Renegotiation refused: peer sent no_renegotiation",
                "Connection closed cleanly",
            ],
        )
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
        self.assertEvents(
            result,
            [
                f"Connected to 127.0.0.1:{port}",
                "Handshake completed: TLSv1.2",
                "Renegotiating...",
                "Renegotiation 1 completed: TLSv1.2",
                "Connection closed cleanly",
            ],
        )

    async def test_commandTypedBeforeTheHandshake(self) -> None:
        """
        A command typed while the handshake still runs waits for it, and
        is reported after it.
        """
        port = freePort()
        argv = sServerArgv(port, cachedPKI().ecdsaServer, "-client_renegotiation")
        startPeerServer(self, argv, port)
        result = await runScriptedClient(
            trusted(port),
            [(b"", b"^renegotiate^\n"), (b"Renegotiation 1 completed", None)],
        )
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertEvents(
            result,
            [
                f"Connected to 127.0.0.1:{port}",
                "Handshake completed: TLSv1.2",
                "Renegotiating...",
                "Renegotiation 1 completed: TLSv1.2",
                "Connection closed cleanly",
            ],
        )

    async def test_rekeyOnTLS12(self) -> None:
        port = freePort()
        startPeerServer(self, sServerArgv(port, cachedPKI().ecdsaServer), port)
        result = await runScriptedClient(
            trusted(port),
            [(b"Handshake completed", b"^rekey^\n"), (b"needs TLS 1.3", None)],
        )
        self.assertEvents(
            result,
            [
                f"Connected to 127.0.0.1:{port}",
                "Handshake completed: TLSv1.2",
                "Key update needs TLS 1.3; this connection is TLS 1.2 (use ^renegotiate^)",
                "Connection closed cleanly",
            ],
        )

    async def test_keyUpdatesFromTheServer(self) -> None:
        """
        s_server's C{k} (a KeyUpdate asking nothing) and C{K} (asking for
        ours, which we send): one line each.
        """
        port = freePort()
        argv = sServerArgv(port, cachedPKI().ecdsaServer)
        argv[argv.index("-tls1_2")] = "-tls1_3"
        server = startPeerServer(self, argv, port)
        done = runScriptedClient(
            trusted(port),
            [
                (b"Handshake completed", b"hello\n"),
                (b"- Keys updated by the server\n", b"middle\n"),
                (b"and ours at its request", None),
            ],
        )
        await waitFor(lambda: b"hello" in server.stdout(), "s_server to print our line")
        server.type(b"k\n")
        await waitFor(lambda: b"middle" in server.stdout(), "s_server to print our line")
        server.type(b"K\n")
        result = await done
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertEvents(
            result,
            [
                f"Connected to 127.0.0.1:{port}",
                "Handshake completed: TLSv1.3",
                "Keys updated by the server",
                "Keys updated by the server, and ours at its request",
                "Connection closed cleanly",
            ],
        )

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

    def test_keymatexportArguments(self) -> None:
        args = _parser().parse_args(["h", "1", "--keymatexport", "EXPERIMENTAL-x"])
        self.assertEqual(keyingMaterialOption(args), (b"EXPERIMENTAL-x", 20))
        args = _parser().parse_args(["h", "1", "--keymatexport", "L", "--keymatexportlen", "7"])
        self.assertEqual(keyingMaterialOption(args), (b"L", 7))
        self.assertIsNone(keyingMaterialOption(_parser().parse_args(["h", "1"])))

    def test_certAndKeyCounted(self) -> None:
        args = _parser().parse_args(["h", "1", "--cert", "a.pem", "--cert", "b.pem", "--key", "k"])
        self.assertRaises(ValueError, clientOptions, args)

    async def test_untrustedServer(self) -> None:
        port = freePort()
        startPeerServer(self, sServerArgv(port, cachedPKI().ecdsaServer), port)
        result = await runScriptedClient(cli(port), [])
        self.assertEqual(result.exitCode, 1, result.text())
        self.assertEvents(result, [f"Connected to 127.0.0.1:{port}", "TLS failure: "])
        self.assertIn("unknown authority", eventLines(result)[-1])


class GnuTLSServerTests(CLITestCase):
    async def test_echoAndRenegotiationsBothWays(self) -> None:
        port = freePort()
        startPeerServer(self, gnutlsServArgv(port, cachedPKI().ecdsaServer), port)
        result = await runScriptedClient(
            withCertificate(port),
            [
                (b"Handshake completed", b"echo me\n"),
                (b"echo me\n", b"**REHANDSHAKE**\n"),
                (b"Renegotiation 1 completed", b"^renegotiate^\n"),
                (b"Renegotiation 2 completed", b"last\n"),
                (b"last\n", None),
            ],
        )
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertEvents(
            result,
            [
                f"Connected to 127.0.0.1:{port}",
                "Handshake completed: TLSv1.2",
                "Renegotiation requested by the server",
                "Renegotiation 1 completed: TLSv1.2",
                "Renegotiating...",
                "Renegotiation 2 completed: TLSv1.2",
                "Connection closed cleanly",
            ],
        )

    async def test_tls13AndRekey(self) -> None:
        """
        --tls1.3 against gnutls-serv: ^rekey^ is a KeyUpdate, reported once
        it is out; gnutls-serv answers before the echo of the next line.
        """
        port = freePort()
        argv = gnutlsServArgv(port, cachedPKI().ecdsaServer, "NORMAL:-VERS-ALL:+VERS-TLS1.3")
        startPeerServer(self, argv, port)
        result = await runScriptedClient(
            trusted(port, "--tls1.3"),
            [
                (b"Handshake completed: TLSv1.3", b"^rekey^\nafter\n"),
                (b"after\n", None),
            ],
        )
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertEvents(
            result,
            [
                f"Connected to 127.0.0.1:{port}",
                "Handshake completed: TLSv1.3",
                "Key update sent (the server answers when it next writes)",
                "Keys updated by the server",
                "Connection closed cleanly",
            ],
        )


class OurServerTests(CLITestCase):
    """
    Against C{python -m twisted_reneg server --echo}, whose C{**REHANDSHAKE**}
    and C{**REAUTH**} lines make it renegotiate or ask for our certificate.
    """

    async def test_tls12ServerRenegotiations(self) -> None:
        port = ourServer(self, "maxVersion=1.2")
        result = await runScriptedClient(
            withCertificate(port),
            [
                (b"Handshake completed", b"**REHANDSHAKE**\n"),
                (b"*** renegotiated (1)", b"**REAUTH**\n"),
                (b"*** renegotiated (2)", None),
            ],
        )
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertEvents(
            result,
            [
                f"Connected to 127.0.0.1:{port}",
                "Handshake completed: TLSv1.2",
                "Renegotiation requested by the server",
                "Renegotiation 1 completed: TLSv1.2",
                "Renegotiation requested by the server",
                "Renegotiation 2 completed: TLSv1.2",
                "Connection closed cleanly",
            ],
        )
        self.assertIn("extended master secret yes", eventLines(result)[1])

    async def test_refusedByOurServer(self) -> None:
        port = ourServer(self, "maxVersion=1.2")
        result = await runScriptedClient(
            trusted(port),
            [(b"Handshake completed", b"^renegotiate^\n"), (b"Renegotiation refused", None)],
        )
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertEvents(
            result,
            [
                f"Connected to 127.0.0.1:{port}",
                "Handshake completed: TLSv1.2",
                "Renegotiating...",
                "Renegotiation refused: peer sent no_renegotiation",
                "Connection closed cleanly",
            ],
        )

    async def test_tls13KeyUpdatesAndPostHandshakeAuth(self) -> None:
        """
        TLS 1.3: the server's key update asks for ours (one line), ours is
        answered (one line each), and its certificate request is
        post-handshake auth (one line).
        """
        port = ourServer(self)
        result = await runScriptedClient(
            withCertificate(port, "--tls1.3"),
            [
                (b"Handshake completed", b"**REHANDSHAKE**\n"),
                (b"*** key update sent", b"^rekey^\nafter\n"),
                (b"after\n", b"**REAUTH**\n"),
                (b"*** client certificate", None),
            ],
        )
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertEvents(
            result,
            [
                f"Connected to 127.0.0.1:{port}",
                "Handshake completed: TLSv1.3",
                "Keys updated by the server, and ours at its request",
                "Key update sent (the server answers when it next writes)",
                "Keys updated by the server",
                "Client certificate requested by the server (post-handshake auth): sent",
                "Connection closed cleanly",
            ],
        )
        # RFC 7627 does not apply to TLS 1.3: the line says nothing of it.
        handshake = eventLines(result)[1]
        self.assertNotIn("extended master secret", handshake, handshake)


class TerminalMessageTests(CLITestCase):
    """
    What the person at the terminal reads: the --insecure warning, and the
    reason our echo server gives when a certificate request fails.
    """

    async def test_insecureWarns(self) -> None:
        port = ourServer(self)
        result = await runScriptedClient(cli(port, "--insecure"), [(b"Handshake completed", None)])
        self.assertIn(
            b"WARNING: --insecure: the server's certificate is not verified; anyone can "
            b"impersonate localhost",
            result.stderr,
        )

    async def test_reauthFailureSaysWhy(self) -> None:
        """
        C{**REAUTH**} on TLS 1.3 from a client that did not offer
        post-handshake auth (no certificate given): the echo says why, and
        calls it a certificate request, not a renegotiation.
        """
        port = ourServer(self)
        result = await runScriptedClient(
            trusted(port, "--tls1.3"),
            [(b"Handshake completed", b"**REAUTH**\n"), (b"*** client certificate", None)],
        )
        self.assertIn(
            b"*** client certificate request failed: the client did not offer TLS 1.3 "
            b"post-handshake authentication",
            result.stdout,
        )


class UsageTests(TestCase):
    def test_helpAndUnknownCommand(self) -> None:
        """
        C{--help} prints both commands and exits 0; no command or an
        unknown one prints the same to stderr and exits 2.
        """

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "twisted_reneg", *args],
                capture_output=True,
                text=True,
                timeout=60,
            )

        helped = run("--help")
        self.assertEqual(helped.returncode, 0, helped.stderr)
        self.assertIn("client", helped.stdout)
        self.assertIn("server", helped.stdout)
        for args in ((), ("frobnicate",)):
            refused = run(*args)
            self.assertEqual(refused.returncode, 2, args)
            self.assertIn("usage: python -m twisted_reneg", refused.stderr)
