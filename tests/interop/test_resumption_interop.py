# -*- test-case-name: tests.interop.test_resumption_interop -*-
"""
Resumption with real peers on 127.0.0.1, TLS 1.3 (tickets, PSK) and TLS
1.2 (tickets and session IDs): our server resumes sessions of C{openssl
s_client -sess_out/-sess_in} and C{gnutls-cli --resume}; our client,
reusing its L{ClientOptions}, resumes with C{openssl s_server} and
C{gnutls-serv}.
"""

from __future__ import annotations

import os

from twisted.trial.unittest import TestCase

from twisted_reneg.testing.pki import cachedPKI

from ._gnutls import TLS12_ONLY, TLS13_ONLY, gnutlsCliArgv, gnutlsServArgv
from ._openssl import sClientArgv, sServerArgv
from ._options import client13, ourClientOptions, ourServerOptions
from .peers import (
    Collector,
    OurServer,
    connectOurClient,
    freePort,
    runScriptedClient,
    startPeerServer,
)


class OurServerTests(TestCase):
    timeout = 60

    async def test_openssl(self) -> None:
        for version, flag in (("1.3", "-tls1_3"), ("1.2", "-tls1_2")):
            server = OurServer(self, ourServerOptions(maxVersion=version))
            sessionFile = os.path.abspath(self.mktemp())
            for option, reused in (("-sess_out", False), ("-sess_in", True)):
                argv = sClientArgv(server.portNumber, option, sessionFile)
                argv[argv.index("-tls1_2")] = flag
                result = await runScriptedClient(
                    argv, [(b"Verify return code", b"ping\n"), (b"ping\n", None)]
                )
                ours = await server.nextConnection()
                self.assertEqual(ours.session.resumed, reused, result.text())
                reusedLine = f"Reused, TLSv{version}".encode()
                self.assertEqual(reusedLine in result.stdout, reused, result.text())
                self.assertEqual(bytes(ours.received), b"ping\n")
                if version == "1.3":
                    # Two tickets after a full handshake, one (for the one
                    # used) after a resumption, as OpenSSL's server sends.
                    self.assertEqual(
                        result.stdout.count(b"Post-Handshake New Session Ticket arrived"),
                        1 if reused else 2,
                        result.text(),
                    )

    async def test_gnutls(self) -> None:
        """
        gnutls-cli --resume connects, waits for a ticket, and connects
        again with it.
        """
        for version, priority in (("1.3", TLS13_ONLY), ("1.2", TLS12_ONLY)):
            server = OurServer(self, ourServerOptions(maxVersion=version))
            argv = gnutlsCliArgv(server.portNumber, priority, "--resume")
            result = await runScriptedClient(
                argv,
                [(b"This is a resumed session", b"ping\n"), (b"ping\n", None)],
            )
            first = await server.nextConnection()
            second = await server.nextConnection()
            self.assertEqual((first.session.resumed, second.session.resumed), (False, True))
            self.assertEqual(second.session.version, f"TLSv{version}")
            self.assertIn(b"ping\n", bytes(second.received), result.text())


class OurClientTests(TestCase):
    timeout = 60

    async def resumeTwice(self, argv: list[str], port: int, version: str = "1.3") -> None:
        startPeerServer(self, argv, port)
        options = client13() if version == "1.3" else ourClientOptions()
        sessions = []
        for _ in range(2):
            client = await connectOurClient(options, port, Collector(b"ping\n", expected=5))
            self.assertEqual(len(client.received), 5)  # the reply came back
            sessions.append(client.session)
        self.assertEqual([s.resumed for s in sessions], [False, True])
        self.assertEqual(sessions[1].version, f"TLSv{version}")
        self.assertEqual(sessions[1].peerCertificates, sessions[0].peerCertificates)

    async def test_openssl(self) -> None:
        for version, flag in (("1.3", "-tls1_3"), ("1.2", "-tls1_2")):
            port = freePort()
            argv = sServerArgv(port, cachedPKI().ecdsaServer, "-rev")
            argv[argv.index("-tls1_2")] = flag
            argv[argv.index("-naccept") + 1] = "2"
            await self.resumeTwice(argv, port, version)

    async def test_opensslSessionIds(self) -> None:
        """
        s_server without tickets: TLS 1.2 resumption by session ID.
        """
        port = freePort()
        argv = sServerArgv(port, cachedPKI().ecdsaServer, "-rev", "-no_ticket")
        argv[argv.index("-naccept") + 1] = "2"
        await self.resumeTwice(argv, port, "1.2")

    async def test_gnutls(self) -> None:
        for version, priority in (("1.3", TLS13_ONLY), ("1.2", TLS12_ONLY)):
            port = freePort()
            argv = gnutlsServArgv(port, cachedPKI().ecdsaServer, priority)
            await self.resumeTwice(argv, port, version)
