# -*- test-case-name: tests.interop.test_starttls -*-
"""
startTLS: upgrading a plain connection mid-stream, as SMTP, IMAP and XMPP
do, between our own ends and with openssl s_client -starttls smtp.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer, protocol, reactor
from twisted.protocols.basic import LineReceiver
from twisted.trial.unittest import TestCase

from twisted_reneg import ClientOptions, startTLS
from twisted_reneg.testing.pki import cachedPKI

from ._options import ourServerOptions
from .peers import requirePeer, runScriptedClient


class MiniSMTP(LineReceiver):
    """
    Just enough SMTP for STARTTLS: greeting, EHLO advertising STARTTLS, the
    switch, then an echo of each line with the TLS version.
    """

    delimiter = b"\r\n"
    transport: Any

    def connectionMade(self) -> None:
        self.tls = False
        self.sendLine(b"220 localhost ESMTP twisted_reneg")

    def lineReceived(self, line: bytes) -> None:
        if line.upper().startswith(b"EHLO"):
            self.sendLine(b"250-localhost")
            self.sendLine(b"250 STARTTLS")
        elif line.upper() == b"STARTTLS" and not self.tls:
            self.sendLine(b"220 ready to start TLS")
            startTLS(self.transport, ourServerOptions())
            self.tls = True
        elif line.upper() == b"QUIT":
            self.sendLine(b"221 bye")
            self.transport.loseConnection()
        else:
            version = self.transport.session.version if self.tls else "plain"
            self.sendLine(b"250 " + version.encode() + b" " + line)


class StartTLSClient(LineReceiver):
    delimiter = b"\r\n"
    transport: Any

    def __init__(self) -> None:
        self.replies: list[bytes] = []
        self.done: defer.Deferred[list[bytes]] = defer.Deferred()

    def lineReceived(self, line: bytes) -> None:
        self.replies.append(line)
        if line.startswith(b"220 localhost"):
            self.sendLine(b"EHLO me")
        elif line == b"250 STARTTLS":
            self.sendLine(b"STARTTLS")
        elif line.startswith(b"220 ready"):
            startTLS(
                self.transport, ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate])
            )
            self.sendLine(b"over TLS")
        elif line.startswith(b"250 TLSv1."):
            self.sendLine(b"QUIT")

    def connectionLost(self, reason: Any = None) -> None:
        self.done.callback(self.replies)


class StartTLSTests(TestCase):
    timeout = 30

    def listen(self) -> int:
        port = reactor.listenTCP(  # type: ignore[attr-defined]
            0, protocol.Factory.forProtocol(MiniSMTP), interface="127.0.0.1"
        )
        self.addCleanup(port.stopListening)
        return int(port.getHost().port)

    async def test_ourClientAndServer(self) -> None:
        port = self.listen()
        client = StartTLSClient()
        await protocol.ClientCreator(reactor, lambda: client).connectTCP("127.0.0.1", port)  # type: ignore[arg-type]
        replies = await client.done
        self.assertIn(b"250 TLSv1.3 over TLS", replies)
        self.assertEqual(replies[-1], b"221 bye")

    async def test_endpointConnections(self) -> None:
        """
        Connections made through endpoints have a wrapping protocol between
        TCP and the application, on both sides: after startTLS the
        application's own writes go through TLS too (they would otherwise
        leave in plaintext, and the peer's TLS layer would refuse them).
        """
        from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint

        endpoint = TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")
        listening = await endpoint.listen(protocol.Factory.forProtocol(MiniSMTP))
        self.addCleanup(listening.stopListening)
        client = StartTLSClient()
        connect = TCP4ClientEndpoint(reactor, "127.0.0.1", listening.getHost().port)
        await connect.connect(protocol.Factory.forProtocol(lambda: client))
        replies = await client.done
        self.assertIn(b"250 TLSv1.3 over TLS", replies)
        self.assertEqual(replies[-1], b"221 bye")

    async def test_opensslStarttlsSmtp(self) -> None:
        port = self.listen()
        argv = [
            requirePeer("openssl"),
            "s_client",
            "-starttls",
            "smtp",
            "-connect",
            f"127.0.0.1:{port}",
            "-CAfile",
            cachedPKI().caPath,
            "-verify_return_error",
            "-crlf",
            "-nocommands",
        ]
        result = await runScriptedClient(
            argv,
            [
                (b"Verify return code", b"hello\n"),
                (b"250 TLSv1.3 hello", b"QUIT\n"),
                (b"221", None),
            ],
        )
        self.assertIn("250 TLSv1.3 hello", result.text())
        self.assertIn("Verify return code: 0 (ok)", result.text())
