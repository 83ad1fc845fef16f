# -*- test-case-name: tests.test_tap -*-
"""
C{twistd -n reneg}: the echo service against gnutls-cli and openssl
s_client, and the web service (static files, the session page, per-path
client certificates asked for mid-connection) against curl and s_client.
"""

from __future__ import annotations

import os
import sys
import tempfile

from twisted.internet.threads import deferToThread
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase, TestCase

from twisted_reneg.tap import Options
from twisted_reneg.testing.pki import cachedPKI

from .interop.peers import freePort, requirePeer, runScriptedClient, startPeerServer
from .interop.test_renegotiation_interop import gnutlsCli, sClient

TWISTD = os.path.join(os.path.dirname(sys.executable), "twistd")


def listenString(port: int) -> str:
    pki = cachedPKI()
    return (
        f"reneg:{port}:interface=127.0.0.1:privateKey={pki.ecdsaServer.keyPath}"
        f":certKey={pki.ecdsaServer.certPath}:caCerts={pki.caPath}"
    )


def startTwistd(testCase: TestCase, *arguments: str) -> int:
    port = freePort()
    argv = [TWISTD, "-n", "--pidfile=", "reneg", "--listen", listenString(port), *arguments]
    startPeerServer(testCase, argv, port)
    return port


class OptionsTests(SynchronousTestCase):
    def test_modes(self) -> None:
        for bad in ([], ["--echo", "--path", "."], ["--echo", "--client-cert-path", "/a"]):
            self.assertRaises(usage.UsageError, Options().parseOptions, bad)
        self.assertRaises(
            usage.UsageError, Options().parseOptions, ["--path", ".", "--client-cert-path", "x"]
        )
        options = Options()
        options.parseOptions(["--echo"])
        self.assertEqual(options["listen"], ["reneg:8443"])

    def test_keymatexport(self) -> None:
        """
        C{--keymatexport} logs keying material in echo mode only; the
        length defaults to OpenSSL's 20.
        """
        self.assertRaises(
            usage.UsageError, Options().parseOptions, ["--path", ".", "--keymatexport", "L"]
        )
        options = Options()
        options.parseOptions(["--echo", "--keymatexport", "EXPERIMENTAL-x"])
        self.assertEqual(
            (options["keymatexport"], options["keymatexportlen"]), ("EXPERIMENTAL-x", 20)
        )


class EchoServiceTests(TestCase):
    timeout = 60

    async def test_gnutlsRehandshake(self) -> None:
        port = startTwistd(self, "--echo")
        result = await runScriptedClient(
            gnutlsCli(port),
            [
                (b"Simple Client Mode", b"hello\n"),
                (b"hello\n", b"**REHANDSHAKE**\n"),
                (b"*** renegotiated (1)", b"bye\n"),
                (b"bye\n", None),
            ],
        )
        text = result.text()
        self.assertIn("Rehandshake was performed", text)
        self.assertIn("*** renegotiated (1)", text)

    async def test_pythonDashMServer(self) -> None:
        """
        C{python -m twisted_reneg server} runs the same service without twistd.
        """
        port = freePort()
        argv = [sys.executable, "-m", "twisted_reneg", "server", "--listen", listenString(port)]
        startPeerServer(self, [*argv, "--echo"], port)
        result = await runScriptedClient(
            gnutlsCli(port),
            [(b"Simple Client Mode", b"ping\n"), (b"ping\n", None)],
        )
        self.assertEqual(result.exitCode, 0, result.text())

    async def test_opensslReauth(self) -> None:
        pki = cachedPKI()
        port = startTwistd(self, "--echo")
        result = await runScriptedClient(
            sClient(
                port,
                "-nocommands",
                "-cert",
                pki.ecdsaClient.certPath,
                "-key",
                pki.ecdsaClient.keyPath,
            ),
            [
                (b"Verify return code", b"**REAUTH**\n"),
                (b"*** renegotiated (1)", b"bye\n"),
                (b"bye\n", None),
            ],
        )
        self.assertIn("peer CN=test-client", result.text())


class WebServiceTests(TestCase):
    timeout = 60

    def site(self) -> str:
        directory = tempfile.mkdtemp()
        os.makedirs(os.path.join(directory, "admin"))
        with open(os.path.join(directory, "index.txt"), "w") as f:
            f.write("public file\n")
        with open(os.path.join(directory, "admin", "secret.txt"), "w") as f:
            f.write("secret file\n")
        return directory

    async def curl(self, port: int, path: str, *extra: str) -> tuple[int, str]:
        import subprocess

        argv = [
            requirePeer("curl"),
            "-s",
            "--tlsv1.2",
            "--tls-max",
            "1.2",
            "--cacert",
            cachedPKI().caPath,
            "-w",
            "\n%{http_code}",
            *extra,
            f"https://localhost:{port}{path}",
        ]
        done = await deferToThread(
            subprocess.run, argv, capture_output=True, text=True, timeout=30
        )
        body, _, code = done.stdout.rpartition("\n")
        return int(code), body

    async def test_staticFileAndSessionPage(self) -> None:
        port = startTwistd(self, "--path", self.site())
        self.assertEqual(await self.curl(port, "/index.txt"), (200, "public file\n"))
        code, page = await self.curl(port, "/.tls-session")
        self.assertEqual(code, 200)
        self.assertIn("version: TLSv1.2", page)
        self.assertIn("renegotiations: 0", page)
        # curl prefers h2; the page finds the TLS session under HTTP/2 too.
        self.assertIn("ALPN protocol: b'h2'", page)

    async def test_twistdWebListensOnReneg(self) -> None:
        """
        Twisted's own C{twistd web} takes our endpoint string unchanged.
        """
        port = freePort()
        argv = [
            TWISTD,
            "-n",
            "--pidfile=",
            "web",
            "--listen",
            listenString(port),
            "--path",
            self.site(),
        ]
        startPeerServer(self, argv, port)
        self.assertEqual(await self.curl(port, "/index.txt"), (200, "public file\n"))

    async def test_http2ThroughALPN(self) -> None:
        """
        twisted.web offers h2 through IProtocolNegotiationFactory; our
        transport negotiates it with curl and the site answers over HTTP/2.
        """
        from twisted.web.http import H2_ENABLED

        if not H2_ENABLED:
            raise AssertionError("h2 is a test dependency (twisted[http2])")
        port = freePort()
        argv = [
            TWISTD,
            "-n",
            "--pidfile=",
            "web",
            "--listen",
            listenString(port),
            "--path",
            self.site(),
        ]
        startPeerServer(self, argv, port)
        # A second -w replaces the first: the last line is the HTTP version.
        version, body = await self.curl(port, "/index.txt", "--http2", "-w", "\n%{http_version}")
        self.assertEqual((version, body), (2, "public file\n"))

    async def test_clientCertificatePath(self) -> None:
        pki = cachedPKI()
        port = startTwistd(self, "--path", self.site(), "--client-cert-path", "/admin")
        self.assertEqual(await self.curl(port, "/index.txt"), (200, "public file\n"))
        code, _ = await self.curl(port, "/admin/secret.txt")
        self.assertEqual(code, 403)
        # The site offers only HTTP/1.1 (HTTP/2 forbids renegotiation).
        code, page = await self.curl(port, "/.tls-session")
        self.assertIn("ALPN protocol: b'http/1.1'", page)
        cert = ("--cert", pki.ecdsaClient.certPath, "--key", pki.ecdsaClient.keyPath)
        self.assertEqual(await self.curl(port, "/admin/secret.txt", *cert), (200, "secret file\n"))

    async def test_opensslShowsTheRenegotiation(self) -> None:
        pki = cachedPKI()
        port = startTwistd(self, "--path", self.site(), "--client-cert-path", "/admin")
        result = await runScriptedClient(
            sClient(
                port, "-nocommands", "-cert", pki.rsaClient.certPath, "-key", pki.rsaClient.keyPath
            ),
            [
                (b"Verify return code", b"GET /admin/secret.txt HTTP/1.0\r\n\r\n"),
                (b"secret file", None),
            ],
        )
        text = result.text()
        self.assertIn("HTTP/1.0 200", text.replace("HTTP/1.1 200", "HTTP/1.0 200"))
        # The server's chain is verified twice: the handshake and the
        # renegotiation that asked for our certificate.
        self.assertGreaterEqual(text.count("depth=0"), 2, text)
