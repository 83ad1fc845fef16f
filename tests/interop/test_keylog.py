# -*- test-case-name: tests.interop.test_keylog -*-
"""
The key log: opt-in, NSS format, and the very line OpenSSL writes for the
same connection.
"""

from __future__ import annotations

import os
import tempfile

from twisted.trial.unittest import TestCase

from twisted_reneg import ClientOptions
from twisted_reneg.testing.pki import cachedPKI

from ._openssl import sClientArgv, sServerArgv
from ._options import ourServerOptions
from .peers import Collector, OurServer, connectOurClient, freePort, runPeerClient, startPeerServer


def lines(path: str) -> list[str]:
    with open(path) as f:
        return [line.strip() for line in f if line.startswith("CLIENT_RANDOM")]


class KeyLogTests(TestCase):
    timeout = 60

    def path(self) -> str:
        fd, path = tempfile.mkstemp(suffix=".keylog")
        os.close(fd)
        self.addCleanup(os.unlink, path)
        return path

    async def test_serverMatchesOpenSSL(self) -> None:
        ours, theirs = self.path(), self.path()
        server = OurServer(self, ourServerOptions(keyLogFile=ours))
        result = await runPeerClient(
            sClientArgv(server.portNumber, "-keylogfile", theirs), stdin=b"x\n"
        )
        await server.nextConnection()
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertEqual(len(lines(ours)), 1)
        self.assertEqual(lines(ours), lines(theirs))

    async def test_clientFromEnvironment(self) -> None:
        ours, theirs = self.path(), self.path()
        port = freePort()
        startPeerServer(
            self, sServerArgv(port, cachedPKI().ecdsaServer, "-rev", "-keylogfile", theirs), port
        )
        self.patch(os, "environ", {**os.environ, "SSLKEYLOGFILE": ours})
        options = ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate])
        await connectOurClient(options, port, Collector(b"abc\n", expected=4))
        self.assertEqual(len(lines(ours)), 1)
        self.assertEqual(lines(ours), lines(theirs))

    def test_offByDefault(self) -> None:
        self.patch(os, "environ", {k: v for k, v in os.environ.items() if k != "SSLKEYLOGFILE"})
        options = ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate])
        self.assertIsNone(options.tlsConfig().keyLog)
