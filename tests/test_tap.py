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
from typing import Any

from twisted.internet.threads import deferToThread
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase, TestCase

from twisted_reneg.tap import Options
from twisted_reneg.testing.pki import Identity, cachedPKI

from ._twistd import TWISTD
from .interop._gnutls import gnutlsCli
from .interop._openssl import sClientArgv as sClient
from .interop.peers import freePort, requirePeer, runScriptedClient, startPeerServer


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

    def test_certificateListener(self) -> None:
        """
        C{--client-cert-listen} takes a C{reneg:} endpoint for the
        C{--client-cert-path} prefixes, which asks in its handshake
        (C{clientCert=advisory} unless it says otherwise, never C{none}).
        """
        web = ["--path", "."]
        for bad in (
            [*web, "--client-cert-listen", "reneg:8444"],
            [*web, "--client-cert-path", "/a", "--client-cert-listen", "tcp:8444"],
            [*web, "--client-cert-path", "/a", "--client-cert-listen", "reneg:1:clientCert=none"],
            [*web, "--client-cert-path", "/a", "--client-cert-url", "https://h:1"],
        ):
            self.assertRaises(usage.UsageError, Options().parseOptions, bad)
        options = Options()
        options.parseOptions([*web, "--client-cert-path", "/a", "--client-cert-listen", "reneg:1"])
        self.assertEqual(options["client-cert-listen"], "reneg:1:clientCert=advisory")
        options = Options()
        options.parseOptions(
            [
                *web,
                "--client-cert-path",
                "/a",
                "--client-cert-listen",
                "reneg:1:clientCert=require",
            ]
        )
        self.assertEqual(options["client-cert-listen"], "reneg:1:clientCert=require")

    def test_drainTimeout(self) -> None:
        """
        C{--drain-timeout} puts C{drainTimeout=} on every C{reneg:} listener
        that does not set its own, which the endpoint then checks.
        """
        options = Options()
        options.parseOptions(
            ["--echo", "--listen", "reneg:1", "--listen", "reneg:2:drainTimeout=1"]
            + ["--drain-timeout", "30"]
        )
        self.assertEqual(options["listen"], ["reneg:1:drainTimeout=30", "reneg:2:drainTimeout=1"])

    def test_logTLSEvents(self) -> None:
        """
        C{--log-tls-events} turns C{logTLSEvents=yes} on for every C{reneg:}
        listener, the certificate listener included, unless one says
        otherwise; without it the descriptions are left alone.
        """
        web = ["--path", ".", "--client-cert-path", "/a", "--client-cert-listen", "reneg:2"]
        listen = ["--listen", "reneg:1", "--listen", "reneg:3:logTLSEvents=no"]
        options = Options()
        options.parseOptions([*web, *listen, "--log-tls-events"])
        self.assertEqual(
            options["listen"], ["reneg:1:logTLSEvents=yes", "reneg:3:logTLSEvents=no"]
        )
        self.assertEqual(
            options["client-cert-listen"], "reneg:2:clientCert=advisory:logTLSEvents=yes"
        )
        options = Options()
        options.parseOptions(["--echo", "--log-tls-events"])
        self.assertEqual(options["listen"], ["reneg:8443:logTLSEvents=yes"])
        options = Options()
        options.parseOptions([*web, *listen])
        self.assertEqual(options["listen"], ["reneg:1", "reneg:3:logTLSEvents=no"])

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

    async def curl(
        self, port: int, path: str, *extra: str, version: str = "1.2"
    ) -> tuple[int, str]:
        import subprocess

        argv = [
            requirePeer("curl"),
            "-s",
            f"--tlsv{version}",
            "--tls-max",
            version,
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

    async def fetch13(
        self, port: int, path: str, identity: Identity | None = None, follow: bool = True
    ) -> tuple[int, str, dict[str, str]]:
        """
        GET over TLS 1.3 with Python's C{ssl}, which, like every browser,
        offers no post-handshake authentication (curl does); redirects are
        followed unless C{follow} is false.

        @return: status, body and headers (lower-case names).
        """
        import ssl
        import urllib.error
        import urllib.request

        context = ssl.create_default_context(cafile=cachedPKI().caPath)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        if identity is not None:
            context.load_cert_chain(identity.certPath, identity.keyPath)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kw: Any) -> None:
                return None

        handlers: list[Any] = [urllib.request.HTTPSHandler(context=context)]
        if not follow:
            handlers.append(NoRedirect())
        opener = urllib.request.build_opener(*handlers)

        def get() -> tuple[int, str, dict[str, str]]:
            try:
                with opener.open(f"https://localhost:{port}{path}", timeout=20) as response:
                    headers = {k.lower(): v for k, v in response.headers.items()}
                    return response.status, response.read().decode(), headers
            except urllib.error.HTTPError as e:
                headers = {k.lower(): v for k, v in e.headers.items()}
                return e.code, e.read().decode(), headers

        return await deferToThread(get)

    async def test_certificateListener(self) -> None:
        """
        TLS 1.3 without post-handshake authentication (Python's ssl, like
        every browser): a protected path redirects (307, same path and
        query) to the certificate listener, whose handshake asks for the
        certificate: served with one, a 403 that says why without one or
        with one from another CA, never a handshake failure.  Public paths
        serve on both listeners.
        """
        pki = cachedPKI()
        listener = freePort()
        port = startTwistd(
            self,
            "--path",
            self.site(),
            "--client-cert-path",
            "/admin",
            "--client-cert-listen",
            listenString(listener),
        )
        code, _, headers = await self.fetch13(
            port, "/admin/secret.txt?x=1", pki.ecdsaClient, follow=False
        )
        self.assertEqual(code, 307)
        self.assertEqual(headers["location"], f"https://localhost:{listener}/admin/secret.txt?x=1")
        code, body, _ = await self.fetch13(port, "/admin/secret.txt", pki.ecdsaClient)
        self.assertEqual((code, body), (200, "secret file\n"))
        code, body, _ = await self.fetch13(listener, "/index.txt")
        self.assertEqual((code, body), (200, "public file\n"))
        code, body, _ = await self.fetch13(port, "/admin/secret.txt")
        self.assertEqual(code, 403)
        self.assertTrue(body.startswith("403 Forbidden: no client certificate was sent\n"), body)
        code, body, _ = await self.fetch13(port, "/admin/secret.txt", pki.untrustedClient)
        self.assertEqual(code, 403)
        self.assertTrue(
            body.startswith(
                "403 Forbidden: the client certificate "
                "'CN=test-client,O=twisted_reneg tests' was not accepted\n"
            ),
            body,
        )
        # TLS 1.2 is asked mid-connection on the main listener, as before.
        cert = ("--cert", pki.ecdsaClient.certPath, "--key", pki.ecdsaClient.keyPath)
        self.assertEqual(await self.curl(port, "/admin/secret.txt", *cert), (200, "secret file\n"))

    async def test_browsersLockedOutWarning(self) -> None:
        """
        Protected paths on a listener that allows TLS 1.3, without a
        certificate listener: a warning at start-up names the two fixes,
        and a TLS 1.3 client without post-handshake authentication gets the
        403 that says why.
        """
        port = freePort()
        argv = [
            TWISTD,
            "-n",
            "--pidfile=",
            "reneg",
            "--listen",
            listenString(port),
            "--path",
            self.site(),
            "--client-cert-path",
            "/admin",
        ]
        server = startPeerServer(self, argv, port)
        code, page, _ = await self.fetch13(port, "/admin/secret.txt", cachedPKI().ecdsaClient)
        self.assertEqual(code, 403)
        self.assertIn("TLS 1.3 without post-handshake authentication", page)
        log = server.output()
        self.assertIn("which allows TLS 1.3: browsers never offer", log)
        self.assertIn("--client-cert-listen ENDPOINT", log)
        self.assertIn("maxVersion=1.2", log)
        # The listener is named by its port, not by its key's path.
        self.assertIn(f"on reneg:{port}, which", log)

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
