# -*- test-case-name: tests.test_browser -*-
"""
The product's headline use in a real browser: a site that asks for a client
certificate only under C{/admin} (C{twistd reneg --client-cert-path /admin},
run here in-process through the same L{makeService}), visited by headless
Chromium holding client certificates in its NSS database, picked by the
C{AutoSelectCertificateForUrls} policy (see L{tests.browser}).

  - TLS 1.2 listener: the protected page loads after a public one, by
    renegotiation (Chromium follows it);
  - default listener (TLS 1.3, which no browser can be asked on
    mid-connection) with a certificate listener: the protected page loads
    through the redirect;
  - a certificate from another CA: the 403 page naming it, on both paths;
  - no certificate installed: the 403 page saying none was sent, never a
    hang.

Under C{CI=true} a missing Chromium (or NSS's certutil/pk12util) fails.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from typing import Any

from twisted.application.service import MultiService
from twisted.internet import reactor, tcp
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from twisted_reneg.tap import Options, makeService
from twisted_reneg.testing.pki import cachedPKI

from .browser import AutoSelect, Chromium, Page, makeProfile
from .interop.peers import freePort, isListening, waitFor

#: The issuers' common names, for the policy's certificate filters.
OUR_CA = "twisted_reneg test CA"
OTHER_CA = "untrusted test CA"

#: One browser for the module, started by the first test that needs it,
#: with the ports its policy names.
_shared: tuple[Chromium, dict[str, int]] | None = None


def origin(port: int) -> str:
    return f"https://localhost:{port}"


def sharedBrowser() -> tuple[Chromium, dict[str, int]]:
    """
    Chromium with both the test CA's client certificate and one from
    another CA; each scenario's ports get a rule saying which to send.
    """
    global _shared
    if _shared is None:
        ports = {
            name: freePort()
            for name in (
                "tls12",
                "main",
                "listener",
                "foreignMain",
                "foreignListener",
                "foreign12",
            )
        }
        pki = cachedPKI()
        home = makeProfile(
            tempfile.mkdtemp(prefix="twisted_reneg-nss-"),
            pki.caPath,
            [pki.ecdsaClient, pki.untrustedClient],
        )
        rules = [
            AutoSelect(origin(ports["tls12"]), OUR_CA),
            AutoSelect(origin(ports["main"]), OUR_CA),
            AutoSelect(origin(ports["listener"]), OUR_CA),
            AutoSelect(origin(ports["foreignListener"]), OTHER_CA),
            AutoSelect(origin(ports["foreign12"]), OTHER_CA),
        ]
        _shared = (Chromium(home, rules), ports)
    return _shared


def siteDirectory() -> str:
    directory = tempfile.mkdtemp(prefix="twisted_reneg-site-")
    os.makedirs(os.path.join(directory, "admin"))
    with open(os.path.join(directory, "index.txt"), "w") as f:
        f.write("public file\n")
    with open(os.path.join(directory, "admin", "secret.txt"), "w") as f:
        f.write("secret file\n")
    return directory


README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def readmeCommand(main: int, listener: int) -> list[str]:
    """
    The arguments of the README's C{twistd -n reneg ... --client-cert-path}
    example, with this test's ports, files and site: what a new user
    copies.
    """
    with open(README) as f:
        lines = f.read().splitlines()
    first = next(
        i
        for i, line in enumerate(lines)
        if line.strip().startswith("twistd -n reneg --listen")
        and ("caCerts" in line or "trustRoots" in line)
    )
    command = []
    for line in lines[first:]:
        command.append(line.strip().rstrip("\\"))
        if not line.rstrip().endswith("\\"):
            break
    arguments = shlex.split(" ".join(command))
    assert arguments[:3] == ["twistd", "-n", "reneg"], arguments
    pki = cachedPKI()
    replacements = {
        "reneg:8443:": f"reneg:{main}:interface=127.0.0.1:",
        "reneg:8444:": f"reneg:{listener}:interface=127.0.0.1:",
        "privateKey=key.pem": f"privateKey={pki.ecdsaServer.keyPath}",
        "certKey=cert.pem": f"certKey={pki.ecdsaServer.certPath}",
        "caCerts=ca.pem": f"caCerts={pki.caPath}",
        "trustRoots=ca.pem": f"trustRoots={pki.caPath}",
    }
    result = []
    for argument in arguments[3:]:
        for old, new in replacements.items():
            argument = argument.replace(old, new)
        result.append(siteDirectory() if argument == "./site" else argument)
    assert "--client-cert-listen" in result, result
    return result


def listen(port: int, *extra: str) -> str:
    pki = cachedPKI()
    return ":".join(
        [
            f"reneg:{port}:interface=127.0.0.1",
            f"privateKey={pki.ecdsaServer.keyPath}",
            f"certKey={pki.ecdsaServer.certPath}",
            f"caCerts={pki.caPath}",
            *extra,
        ]
    )


class BrowserTests(TestCase):
    timeout = 120

    def setUp(self) -> None:
        #: Every port a site of this test listens on (main and certificate
        #: listener), whose connections are closed at the end.
        self.sitePorts: set[int] = set()

    async def startSite(self, port: int, *arguments: str, keywords: tuple[str, ...] = ()) -> None:
        """
        C{twistd reneg --listen LISTEN --path SITE --client-cert-path /admin
        ARGUMENTS} on C{port}, in this process; C{keywords} go on the
        C{--listen} endpoint.
        """
        self.sitePorts.add(port)
        config = Options()
        config.parseOptions(
            ["--listen", listen(port, *keywords), "--path", siteDirectory()]
            + ["--client-cert-path", "/admin", *arguments]
        )
        service: MultiService = makeService(config)
        service.startService()
        self.addCleanup(self.stopSite, service, port)
        await waitFor(lambda: isListening(port), f"the site on {port}")

    async def stopSite(self, service: MultiService, port: int) -> None:
        """
        Stop listening, and close the connections the browser keeps alive
        to the site (a browser keeps them for minutes; the test's reactor
        must be clean when it ends).
        """
        await service.stopService()

        def ours() -> list[Any]:
            selectables = reactor.getReaders() + reactor.getWriters()  # type: ignore[attr-defined]
            return [
                s
                for s in set(selectables)
                if isinstance(s, tcp.Server) and s.getHost().port in self.sitePorts
            ]

        for connection in ours():
            connection.abortConnection()
        await waitFor(lambda: not ours(), "the site's connections to close")

    async def visit(self, browser: Chromium, url: str) -> Page:
        return await deferToThread(browser.visit, url)

    async def test_tls12Renegotiation(self) -> None:
        """
        A public page, then the protected one: Chromium follows the
        renegotiation that asks for its certificate, and the connection it
        was served on knows the certificate afterwards.
        """
        browser, ports = sharedBrowser()
        port = ports["tls12"]
        await self.startSite(port, keywords=("maxVersion=1.2",))
        page = await self.visit(browser, origin(port) + "/index.txt")
        self.assertEqual(page.text.strip(), "public file", page)
        page = await self.visit(browser, origin(port) + "/admin/secret.txt")
        self.assertEqual(
            (page.url, page.text.strip()), (origin(port) + "/admin/secret.txt", "secret file")
        )
        page = await self.visit(browser, origin(port) + "/.tls-session")
        self.assertIn("version: TLSv1.2", page.text)
        self.assertIn("peer certificate: CN=test-client,O=twisted_reneg tests", page.text)
        self.assertRegex(page.text, r"renegotiations: [1-9]")

    async def test_tls13ThroughCertificateListener(self) -> None:
        """
        The README's C{twistd reneg} command, as written there (the ports,
        files and interface aside): the default listener allows TLS 1.3,
        Chromium offers no post-handshake authentication, so the protected
        page redirects to the certificate listener, whose handshake gets
        the certificate.
        """
        browser, ports = sharedBrowser()
        main, listener = ports["main"], ports["listener"]
        self.sitePorts.update((main, listener))
        config = Options()
        config.parseOptions(readmeCommand(main, listener))
        service: MultiService = makeService(config)
        service.startService()
        self.addCleanup(self.stopSite, service, main)
        await waitFor(lambda: isListening(main), f"the site on {main}")
        page = await self.visit(browser, origin(main) + "/index.txt")
        self.assertEqual(page.text.strip(), "public file", page)
        page = await self.visit(browser, origin(main) + "/admin/secret.txt?from=main")
        self.assertEqual(
            (page.url, page.text.strip()),
            (origin(listener) + "/admin/secret.txt?from=main", "secret file"),
        )
        page = await self.visit(browser, origin(listener) + "/.tls-session")
        self.assertIn("version: TLSv1.3", page.text)
        self.assertIn("peer certificate: CN=test-client,O=twisted_reneg tests", page.text)

    async def test_foreignCertificate(self) -> None:
        """
        A certificate from a CA the site does not trust gets the 403 page
        naming it, through the certificate listener and by renegotiation.
        """
        browser, ports = sharedBrowser()
        self.sitePorts.add(ports["foreignListener"])
        # A browser offers only certificates from the CAs a server names:
        # these sites name none, as many do, so the foreign one is sent.
        noNames = "sendClientCANames=no"
        await self.startSite(
            ports["foreignMain"],
            "--client-cert-listen",
            listen(ports["foreignListener"], noNames),
            keywords=(noNames,),
        )
        await self.startSite(ports["foreign12"], keywords=(noNames, "maxVersion=1.2"))
        for url in (
            origin(ports["foreignMain"]) + "/admin/secret.txt",
            origin(ports["foreign12"]) + "/admin/secret.txt",
        ):
            page = await self.visit(browser, url)
            self.assertTrue(
                page.text.startswith(
                    "403 Forbidden: the client certificate "
                    "'CN=test-client,O=twisted_reneg tests' was not accepted"
                ),
                f"{url}: {page}",
            )
            self.assertNotIn("secret file", page.text)

    async def test_noCertificateInstalled(self) -> None:
        """
        A browser without any client certificate gets the 403 page saying
        none was sent, on both paths, promptly.
        """
        _, ports = sharedBrowser()
        pki = cachedPKI()
        home = makeProfile(tempfile.mkdtemp(prefix="twisted_reneg-nss-"), pki.caPath, [])
        browser = await deferToThread(Chromium, home)
        self.addCleanup(browser.stop)
        main, listener, tls12 = ports["main"], ports["listener"], ports["tls12"]
        self.sitePorts.add(listener)
        await self.startSite(main, "--client-cert-listen", listen(listener))
        await self.startSite(tls12, keywords=("maxVersion=1.2",))
        for url in (origin(main) + "/admin/secret.txt", origin(tls12) + "/admin/secret.txt"):
            page = await self.visit(browser, url)
            self.assertTrue(
                page.text.startswith("403 Forbidden: no client certificate was sent"),
                f"{url}: {page}",
            )
