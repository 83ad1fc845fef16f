# -*- test-case-name: tests.interop.test_tls13 -*-
"""
TLS 1.3 against OpenSSL and GnuTLS on real sockets (issue P4, first part):
every suite both ways, and KeyUpdate started by either side in both
request modes.
"""

from __future__ import annotations

from twisted.internet import defer, reactor
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from twisted_reneg import ClientOptions
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.suites import TLS13_SUITES

from ._gnutls import TLS13_ONLY, gnutlsCliArgv, gnutlsServArgv
from ._openssl import sClientArgv, sServerArgv
from ._options import client13, ourServerOptions
from ._renegotiation import CommandServer
from .peers import (
    Collector,
    OurServer,
    connectOurClient,
    freePort,
    handshaken,
    requirePeer,
    runScriptedClient,
    startPeerServer,
    waitFor,
)


def pause(seconds: float) -> defer.Deferred[None]:
    return deferLater(reactor, seconds, lambda: None)


class OurClientTests(TestCase):
    timeout = 60

    async def test_everySuite(self) -> None:
        for suite in TLS13_SUITES:
            port = freePort()
            argv = sServerArgv(port, cachedPKI().ecdsaServer, "-rev")
            argv[argv.index("-tls1_2")] = "-tls1_3"
            startPeerServer(self, [*argv, "-ciphersuites", suite.name], port)
            client = await connectOurClient(client13(), port, Collector(b"abc\n", expected=4))
            self.assertEqual(bytes(client.received), b"cba\n")
            self.assertEqual(client.session.cipherSuite, suite.name)

    async def test_helloRetryRequestFromOpenSSL(self) -> None:
        port = freePort()
        argv = sServerArgv(port, cachedPKI().ecdsaServer, "-rev", "-groups", "X25519")
        argv[argv.index("-tls1_2")] = "-tls1_3"
        startPeerServer(self, argv, port)
        client = await connectOurClient(
            client13(groups=["secp256r1", "x25519"]), port, Collector(b"abc\n", expected=4)
        )
        self.assertEqual(bytes(client.received), b"cba\n")
        self.assertEqual(client.session.group, "x25519")

    async def test_offerBothVersions(self) -> None:
        """
        A client offering TLS 1.3 and 1.2 gets 1.3 from OpenSSL and GnuTLS
        and falls back to 1.2 with servers limited to it.
        """
        identity = cachedPKI().ecdsaServer

        def openssl13(port: int) -> list[str]:
            argv = sServerArgv(port, identity, "-rev")
            argv[argv.index("-tls1_2")] = "-tls1_3"
            return argv

        servers = [
            (lambda port: sServerArgv(port, identity, "-rev"), "TLSv1.2"),
            (openssl13, "TLSv1.3"),
            (lambda port: gnutlsServArgv(port, identity, "NORMAL"), "TLSv1.3"),
        ]
        for argvFor, version in servers:
            port = freePort()
            startPeerServer(self, argvFor(port), port)
            client = await connectOurClient(
                ClientOptions(
                    "localhost", trustRoots=[cachedPKI().caCertificate], maxVersion="1.3"
                ),
                port,
                Collector(b"abc\n", expected=4),
            )
            self.assertEqual(client.session.version, version, argvFor(port)[:2])

    async def test_keyUpdatesBothWays(self) -> None:
        """
        s_server's "k" (no reply wanted) and "K" (reply requested, which we
        answer); data flows under the new keys.
        """
        port = freePort()
        argv = sServerArgv(port, cachedPKI().ecdsaServer)
        argv[argv.index("-tls1_2")] = "-tls1_3"
        server = startPeerServer(self, argv, port)
        client = Collector(b"first\n")
        done = connectOurClient(client13(), port, client)
        await waitFor(handshaken(client), "the handshake")
        for count, command in enumerate((b"k\n", b"K\n"), 1):
            server.type(command)
            await waitFor(lambda n=count: client.transport.session.keyUpdates == n, "a key update")
        client.transport.write(b"after updates\n")
        await waitFor(lambda: b"after updates" in server.stdout(), "s_server to print our line")
        client.transport.loseConnection()
        await done
        server.stop()
        self.assertIn(b"after updates", server.stdout())

    async def test_rehandshakeIsKeyUpdateGnuTLS(self) -> None:
        """
        Our rehandshake() on TLS 1.3: KeyUpdate(update_requested); the
        Deferred fires once it is out, and gnutls-serv's answer comes before
        its next record (RFC 8446 4.6.3) - here the echo of the line we send
        next.  gnutls-serv also asks for a client certificate, which we
        present.
        """
        pki = cachedPKI()
        port = freePort()
        argv = gnutlsServArgv(port, pki.ecdsaServer, TLS13_ONLY)
        startPeerServer(self, argv, port)
        client = Collector(b"first\n")
        options = client13(
            clientCertificate=((pki.ecdsaClient.certificate,), pki.ecdsaClient.privateKey)
        )
        done = connectOurClient(options, port, client)
        await waitFor(handshaken(client), "the handshake")
        session = self.successResultOf(client.transport.rehandshake(timeout=10))
        self.assertEqual((session.version, session.keyUpdates), ("TLSv1.3", 0))
        client.transport.write(b"second\n")
        await waitFor(lambda: client.received.endswith(b"second\n"), "the echo")
        # The answer came before the echo, the first record under gnutls's new keys.
        self.assertEqual(client.transport.session.keyUpdates, 1)
        client.transport.loseConnection()
        await done
        self.assertEqual(bytes(client.received), b"first\nsecond\n")


class OurServerTests(TestCase):
    timeout = 60

    async def test_everySuiteOpenSSL(self) -> None:
        for suite in TLS13_SUITES:
            server = OurServer(self, ourServerOptions(maxVersion="1.3"))
            argv = sClientArgv(server.portNumber, "-ciphersuites", suite.name)
            argv[argv.index("-tls1_2")] = "-tls1_3"
            result = await runScriptedClient(
                argv, [(b"Verify return code", b"ping\n"), (b"ping\n", None)]
            )
            ours = await server.nextConnection()
            self.assertIn(f"Cipher is {suite.name}", result.text())
            self.assertEqual(ours.session.cipherSuite, suite.name)
            self.assertEqual(bytes(ours.received), b"ping\n")

    async def test_helloRetryRequestToOpenSSL(self) -> None:
        """
        s_client shares only a P-256 key; our server takes x25519 only and
        asks again (HelloRetryRequest).
        """
        server = OurServer(self, ourServerOptions(maxVersion="1.3", groups=["x25519"]))
        argv = sClientArgv(server.portNumber, "-groups", "P-256:X25519")
        argv[argv.index("-tls1_2")] = "-tls1_3"
        result = await runScriptedClient(
            argv, [(b"Verify return code", b"ping\n"), (b"ping\n", None)]
        )
        ours = await server.nextConnection()
        self.assertEqual(ours.session.group, "x25519", result.text())
        self.assertEqual(bytes(ours.received), b"ping\n")

    async def test_helloRetryRequestToGnuTLS(self) -> None:
        """
        gnutls-cli shares x25519 (and P-256); our server takes x448 only, so
        GnuTLS must answer our retry, cookie echoed.
        """
        server = OurServer(self, ourServerOptions(maxVersion="1.3", groups=["x448"]))
        priority = (
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-X448"
        )
        result = await runScriptedClient(
            gnutlsCliArgv(server.portNumber, priority),
            [(b"Simple Client Mode", b"ping\n"), (b"ping\n", None)],
        )
        ours = await server.nextConnection()
        self.assertEqual(ours.session.group, "x448", result.text())
        self.assertEqual(bytes(ours.received), b"ping\n")

    async def test_clientCertificateFromOpenSSL(self) -> None:
        pki = cachedPKI()
        server = OurServer(
            self,
            ourServerOptions(
                maxVersion="1.3", clientCertificates="require", trustRoots=[pki.caCertificate]
            ),
        )
        argv = sClientArgv(
            server.portNumber, "-cert", pki.rsaClient.certPath, "-key", pki.rsaClient.keyPath
        )
        argv[argv.index("-tls1_2")] = "-tls1_3"
        await runScriptedClient(argv, [(b"Verify return code", b"ping\n"), (b"ping\n", None)])
        ours = await server.nextConnection()
        self.assertEqual(ours.session.version, "TLSv1.3")
        self.assertEqual(ours.session.peerCertificate, pki.rsaClient.certificate)

    async def test_keyUpdatesFromOpenSSL(self) -> None:
        """
        s_client's "k" and "K" (update_requested, which we answer).
        """
        server = OurServer(self, ourServerOptions(maxVersion="1.3"), protocolClass=CommandServer)
        argv = sClientArgv(server.portNumber, "-nbio")
        argv[argv.index("-tls1_2")] = "-tls1_3"
        result = await runScriptedClient(
            argv,
            [
                (b"Verify return code", b"before\n"),
                (b"before\n", b"k\n"),
                (b"KEYUPDATE", b"K\n"),
                (b"KEYUPDATE", b"after\n"),
                (b"after\n", None),
            ],
        )
        ours = await server.nextConnection()
        # "k" is one update; "K" is one more, which we answer.
        self.assertEqual(ours.session.keyUpdates, 2, result.text())
        self.assertEqual(bytes(ours.received).count(b"after\n"), 1)

    async def test_gnutlsRekey(self) -> None:
        requirePeer("gnutls-cli")
        server = OurServer(self, ourServerOptions(maxVersion="1.3"), protocolClass=CommandServer)
        argv = gnutlsCliArgv(server.portNumber, TLS13_ONLY, "--inline-commands")
        result = await runScriptedClient(
            argv,
            [
                (b"Simple Client Mode", b"one\n"),
                # ^rekey1^ updates gnutls-cli's keys only; ^rekey^ asks us
                # to update ours too (update_requested), which we answer.
                (b"one\n", b"^rekey1^\n"),
                (b"Rekey was completed", b"two\n"),
                (b"two\n", b"^rekey^\n"),
                (b"Rekey was completed", b"three\n"),
                (b"three\n", None),
            ],
        )
        ours = await server.nextConnection()
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertIn("TLS1.3", result.text())
        self.assertEqual(ours.session.keyUpdates, 2, result.text())
        self.assertEqual(bytes(ours.received), b"one\ntwo\nthree\n")
