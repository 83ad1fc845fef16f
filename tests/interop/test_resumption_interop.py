# -*- test-case-name: tests.interop.test_resumption_interop -*-
"""
TLS 1.3 resumption with real peers on 127.0.0.1: our server resumes
sessions of C{openssl s_client -sess_out/-sess_in} and C{gnutls-cli
--resume}; our client, reusing its L{ClientOptions}, resumes with
C{openssl s_server} and C{gnutls-serv}.
"""

from __future__ import annotations

import os

from twisted.trial.unittest import TestCase

from twisted_reneg.testing.pki import cachedPKI

from .peers import (
    Collector,
    OurServer,
    connectOurClient,
    freePort,
    runScriptedClient,
    startPeerServer,
)
from .test_gnutls import gnutlsCliArgv, gnutlsServArgv
from .test_openssl import ourServerOptions, sClientArgv, sServerArgv
from .test_tls13 import client13

TLS13_ONLY_GNUTLS = "NORMAL:-VERS-ALL:+VERS-TLS1.3"


class OurServerTests(TestCase):
    timeout = 60

    async def test_openssl(self) -> None:
        server = OurServer(self, ourServerOptions(maxVersion="1.3"))
        sessionFile = os.path.abspath(self.mktemp())
        for flag, reused in (("-sess_out", False), ("-sess_in", True)):
            argv = sClientArgv(server.portNumber, flag, sessionFile)
            argv[argv.index("-tls1_2")] = "-tls1_3"
            result = await runScriptedClient(
                argv, [(b"Verify return code", b"ping\n"), (b"ping\n", None)]
            )
            ours = await server.nextConnection()
            self.assertEqual(ours.session.resumed, reused, result.text())
            self.assertEqual(b"Reused, TLSv1.3" in result.stdout, reused, result.text())
            self.assertEqual(bytes(ours.received), b"ping\n")

    async def test_gnutls(self) -> None:
        """
        gnutls-cli --resume connects, waits for a ticket, and connects
        again with it.
        """
        server = OurServer(self, ourServerOptions(maxVersion="1.3"))
        argv = gnutlsCliArgv(server.portNumber, TLS13_ONLY_GNUTLS, "--resume")
        result = await runScriptedClient(
            argv,
            [(b"This is a resumed session", b"ping\n"), (b"ping\n", None)],
        )
        first = await server.nextConnection()
        second = await server.nextConnection()
        self.assertEqual((first.session.resumed, second.session.resumed), (False, True))
        self.assertIn(b"ping\n", bytes(second.received), result.text())


class OurClientTests(TestCase):
    timeout = 60

    async def resumeTwice(self, argv: list[str], port: int) -> None:
        startPeerServer(self, argv, port)
        options = client13()
        sessions = []
        for _ in range(2):
            client = await connectOurClient(options, port, Collector(b"ping\n", expected=5))
            self.assertEqual(len(client.received), 5)  # the reply came back
            sessions.append(client.session)
        self.assertEqual([s.resumed for s in sessions], [False, True])
        self.assertEqual(sessions[1].peerCertificates, sessions[0].peerCertificates)

    async def test_openssl(self) -> None:
        port = freePort()
        argv = sServerArgv(port, cachedPKI().ecdsaServer, "-rev")
        argv[argv.index("-tls1_2")] = "-tls1_3"
        argv[argv.index("-naccept") + 1] = "2"
        await self.resumeTwice(argv, port)

    async def test_gnutls(self) -> None:
        port = freePort()
        await self.resumeTwice(
            gnutlsServArgv(port, cachedPKI().ecdsaServer, TLS13_ONLY_GNUTLS), port
        )
