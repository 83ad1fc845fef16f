# -*- test-case-name: tests.interop.test_renegotiation_interop -*-
"""
Renegotiation against real peers on 127.0.0.1, started from either side:
OpenSSL's s_client and s_server, GnuTLS's gnutls-cli and gnutls-serv, and
Twisted's own TLS calling pyOpenSSL's renegotiate().
"""

from __future__ import annotations

from typing import Any

from twisted.internet import protocol, reactor
from twisted.internet.error import ConnectionDone
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.trial.unittest import TestCase

from twisted_reneg import RenegotiationPolicy, RenegotiationRefused
from twisted_reneg.testing.pki import cachedPKI

from ._gnutls import gnutlsCli, gnutlsServArgv
from ._openssl import sClientArgv as sClient
from ._openssl import sServerArgv
from ._options import ourClientOptions, ourServerOptions
from ._renegotiation import CommandServer, Watcher
from ._twistedtls import twistedCertificate
from .peers import (
    OurServer,
    PeerServer,
    connectOurClient,
    freePort,
    handshaken,
    runScriptedClient,
    startPeerServer,
    waitFor,
)

ALLOW = RenegotiationPolicy(allowPeerInitiated=True)


class OurServerTests(TestCase):
    timeout = 60

    async def converse(self, argv: list[str], steps: list, server: OurServer) -> tuple[str, Any]:
        result = await runScriptedClient(argv, steps)
        ours = await server.nextConnection()
        return result.text(), ours

    async def test_serverInitiatedOpenSSL(self) -> None:
        server = OurServer(self, ourServerOptions(), protocolClass=CommandServer)
        text, ours = await self.converse(
            sClient(server.portNumber, "-nocommands"),
            [
                (b"Verify return code", b"before\n"),
                (b"before\n", b"go-reneg\n"),
                (b"renegotiated 1\n", b"after\n"),
                (b"after\n", None),
            ],
            server,
        )
        self.assertIn("renegotiated 1", text)
        self.assertEqual(ours.session.renegotiations, 1, text)

    async def test_serverInitiatedGnuTLS(self) -> None:
        server = OurServer(self, ourServerOptions(), protocolClass=CommandServer)
        text, ours = await self.converse(
            gnutlsCli(server.portNumber),
            [
                (b"Simple Client Mode", b"before\n"),
                (b"before\n", b"go-reneg\n"),
                (b"renegotiated 1\n", b"after\n"),
                (b"after\n", None),
            ],
            server,
        )
        self.assertIn("Rehandshake was performed", text)
        self.assertEqual(ours.session.renegotiations, 1, text)

    async def test_clientInitiatedOpenSSL(self) -> None:
        """
        s_client's "R" command; s_client needs -nbio to go on reading.
        """
        server = OurServer(
            self, ourServerOptions(renegotiation=ALLOW), protocolClass=CommandServer
        )
        text, ours = await self.converse(
            sClient(server.portNumber, "-nbio"),
            [
                (b"Verify return code", b"before\n"),
                (b"before\n", b"R\n"),
                (b"RENEGOTIATING", b"after\n"),
                (b"after\n", None),
            ],
            server,
        )
        self.assertEqual(ours.session.renegotiations, 1, text)
        self.assertEqual(bytes(ours.received), b"before\nafter\n")

    async def test_clientInitiatedGnuTLS(self) -> None:
        server = OurServer(
            self, ourServerOptions(renegotiation=ALLOW), protocolClass=CommandServer
        )
        text, ours = await self.converse(
            gnutlsCli(server.portNumber, "--inline-commands"),
            [
                (b"Simple Client Mode", b"before\n"),
                (b"before\n", b"^renegotiate^\n"),
                (b"ReHandshake was completed", b"after\n"),
                (b"after\n", None),
            ],
            server,
        )
        self.assertEqual(ours.session.renegotiations, 1, text)

    async def test_gnutlsRehandshakeAtOnce(self) -> None:
        """
        gnutls-cli -e renegotiates right after the first handshake.
        """
        server = OurServer(
            self, ourServerOptions(renegotiation=ALLOW), protocolClass=CommandServer
        )
        text, ours = await self.converse(
            gnutlsCli(server.portNumber, "-e"),
            [(b"Simple Client Mode", b"hi\n"), (b"hi\n", None)],
            server,
        )
        self.assertIn("ReHandshake was completed", text.replace("Rehandshake", "ReHandshake"))
        self.assertEqual(ours.session.renegotiations, 1, text)

    async def test_requestClientCertificateOpenSSL(self) -> None:
        pki = cachedPKI()
        server = OurServer(
            self, ourServerOptions(trustRoots=[pki.caCertificate]), protocolClass=CommandServer
        )
        text, ours = await self.converse(
            sClient(
                server.portNumber,
                "-nocommands",
                "-cert",
                pki.ecdsaClient.certPath,
                "-key",
                pki.ecdsaClient.keyPath,
            ),
            [
                (b"Verify return code", b"go-cert\n"),
                (b"client-cert ", b"done\n"),
                (b"done\n", None),
            ],
            server,
        )
        self.assertIn("client-cert CN=test-client", text)
        self.assertEqual(ours.session.peerCertificate, pki.ecdsaClient.certificate)

    async def test_requestClientCertificateGnuTLS(self) -> None:
        pki = cachedPKI()
        server = OurServer(
            self, ourServerOptions(trustRoots=[pki.caCertificate]), protocolClass=CommandServer
        )
        text, ours = await self.converse(
            gnutlsCli(
                server.portNumber,
                "--x509certfile",
                pki.rsaClient.certPath,
                "--x509keyfile",
                pki.rsaClient.keyPath,
            ),
            [
                (b"Simple Client Mode", b"go-cert\n"),
                (b"client-cert ", b"done\n"),
                (b"done\n", None),
            ],
            server,
        )
        self.assertIn("client-cert CN=test-client", text)
        self.assertEqual(ours.session.peerCertificate, pki.rsaClient.certificate)


class OurClientTests(TestCase):
    timeout = 60

    def sServer(self, port: int, *extra: str) -> PeerServer:
        """
        s_server without -rev: its standard input takes commands.
        """
        return startPeerServer(self, sServerArgv(port, cachedPKI().ecdsaServer, *extra), port)

    async def test_openSSLHelloRequest(self) -> None:
        """
        s_server's "r" command sends HelloRequest; we follow it.
        """
        port = freePort()
        server = self.sServer(port)
        client = Watcher(b"first\n")
        connected = connectOurClient(ourClientOptions(), port, client)
        await waitFor(handshaken(client), "the handshake")
        server.type(b"r\n")
        session = await client.renegotiated
        client.transport.write(b"second\n")
        await waitFor(lambda: b"second" in server.stdout(), "s_server to print our line")
        client.transport.loseConnection()
        await connected
        self.assertEqual(session.renegotiations, 1)

    async def test_openSSLHelloRequestWithCertificateRequest(self) -> None:
        """
        s_server's "R" renegotiates asking for our certificate.
        """
        pki = cachedPKI()
        port = freePort()
        server = self.sServer(port, "-verify", "1", "-CAfile", pki.caPath)
        client = Watcher(b"first\n")
        options = ourClientOptions(
            clientCertificate=((pki.ecdsaClient.certificate,), pki.ecdsaClient.privateKey)
        )
        connected = connectOurClient(options, port, client)
        await waitFor(handshaken(client), "the handshake")
        server.type(b"R\n")
        session = await client.renegotiated
        client.transport.write(b"second\n")
        await waitFor(lambda: b"second" in server.stdout(), "s_server to print our line")
        client.transport.loseConnection()
        await connected
        self.assertGreaterEqual(session.renegotiations, 1)

    async def test_openSSLRefusesClientRenegotiation(self) -> None:
        port = freePort()
        server = self.sServer(port)
        client = Watcher(b"first\n")
        connected = connectOurClient(ourClientOptions(maxVersion="1.2"), port, client)
        await waitFor(handshaken(client), "the handshake")
        try:
            await client.transport.rehandshake(timeout=10)
        except RenegotiationRefused:
            pass
        else:
            self.fail("OpenSSL 3 should refuse a client renegotiation by default")
        # The listener heard it too.
        self.failureResultOf(client.renegotiated, RenegotiationRefused)
        client.transport.write(b"still here\n")
        await waitFor(lambda: b"still here" in server.stdout(), "s_server to print our line")
        client.transport.loseConnection()
        await connected

    async def test_openSSLAllowsClientRenegotiation(self) -> None:
        port = freePort()
        self.sServer(port, "-client_renegotiation")
        client = Watcher(b"first\n")
        connected = connectOurClient(ourClientOptions(), port, client)
        await waitFor(handshaken(client), "the handshake")
        session = await client.transport.rehandshake(timeout=10)
        self.assertEqual(session.renegotiations, 1)
        client.transport.loseConnection()
        await connected

    async def test_gnutlsServRehandshake(self) -> None:
        """
        gnutls-serv --echo renegotiates on a **REHANDSHAKE** line and writes
        application data right after its HelloRequest.
        """
        port = freePort()
        argv = gnutlsServArgv(port, cachedPKI().ecdsaServer)
        startPeerServer(self, argv, port)
        client = Watcher(b"**REHANDSHAKE**\n")
        connected = connectOurClient(ourClientOptions(), port, client)
        session = await client.renegotiated
        self.assertEqual(session.renegotiations, 1)
        client.transport.write(b"after\n")
        await waitFor(lambda: b"after\n" in client.received, "the echo")
        client.transport.loseConnection()
        result = await connected
        self.assertIn(b"after\n", bytes(result.received))
        assert result.reason is not None
        self.assertTrue(result.reason.check(ConnectionDone), result.reason)

    async def test_twistedServerRenegotiate(self) -> None:
        """
        Twisted's own TLS server calls pyOpenSSL's renegotiate(); we follow.
        """
        from twisted.internet.ssl import CertificateOptions, TLSVersion

        class Renegotiator(protocol.Protocol):
            def dataReceived(self, data: bytes) -> None:
                if data == b"please\n":
                    self.transport._tlsConnection.renegotiate()
                    self.transport.write(b"ok\n")
                else:
                    self.transport.write(data)

        cert = twistedCertificate(cachedPKI().ecdsaServer)
        options = CertificateOptions(
            privateKey=cert.privateKey.original,
            certificate=cert.original,
            raiseMinimumTo=TLSVersion.TLSv1_2,
            lowerMaximumSecurityTo=TLSVersion.TLSv1_2,
        )
        factory = TLSMemoryBIOFactory(options, False, protocol.Factory.forProtocol(Renegotiator))
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")  # type: ignore[attr-defined]
        self.addCleanup(port.stopListening)
        client = Watcher(b"please\n")
        connected = connectOurClient(ourClientOptions(), port.getHost().port, client)
        session = await client.renegotiated
        self.assertEqual(session.renegotiations, 1)
        client.transport.write(b"after\n")
        await waitFor(lambda: client.received.endswith(b"after\n"), "the echo")
        client.transport.loseConnection()
        result = await connected
        self.assertTrue(bytes(result.received).endswith(b"after\n"), bytes(result.received))
