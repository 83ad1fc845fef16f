# -*- test-case-name: tests.interop.test_bad_input -*-
"""
Bad input on a live socket: a raw TCP peer sends our server (and a raw
server sends our client) malformed, oversized and out-of-order bytes.  Each
gets the right fatal alert and a closed connection; nothing raises out of
C{dataReceived} (trial fails a test on any logged error).
"""

from __future__ import annotations

import os
import struct

from twisted.internet import protocol, reactor
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from twisted_reneg import TLSAlertError
from twisted_reneg.tls.errors import AlertDescription
from twisted_reneg.tls.extensions import Extensions
from twisted_reneg.tls.messages import ClientHello, ServerHelloDone, frameHandshake

from ._options import ourClientOptions, ourServerOptions
from ._raw import RawPeer, clientHello, record
from .peers import Collector, OurServer, connectOurClient

A = AlertDescription


def alertRecord(description: AlertDescription) -> bytes:
    return record(21, bytes((2, description)))


class OurServerBadInputTests(TestCase):
    timeout = 30

    async def send(self, data: bytes, halfClose: bool = False) -> tuple[bytes, Failure]:
        server = OurServer(self, ourServerOptions())
        peer = RawPeer(data, halfClose)
        await protocol.ClientCreator(reactor, lambda: peer).connectTCP(  # type: ignore[arg-type]
            "127.0.0.1", server.portNumber
        )
        received = await peer.done
        ours = await server.nextConnection()
        assert ours.reason is not None
        return received, ours.reason

    async def assertAlert(self, data: bytes, alert: AlertDescription) -> None:
        received, reason = await self.send(data)
        self.assertEqual(received, alertRecord(alert))
        reason.trap(TLSAlertError)
        self.assertEqual(reason.value.alert, alert)
        self.assertTrue(reason.value.sentByUs)

    async def test_garbage(self) -> None:
        await self.assertAlert(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", A.unexpected_message)

    async def test_badRecordVersion(self) -> None:
        await self.assertAlert(record(22, clientHello(), version=0x0203), A.decode_error)

    async def test_oversizedRecord(self) -> None:
        """
        A plaintext record longer than 2^14 is refused from its header.
        """
        await self.assertAlert(struct.pack(">BHH", 22, 0x0303, (1 << 14) + 1), A.record_overflow)

    async def test_oversizedHandshakeMessage(self) -> None:
        """
        A ClientHello header longer than the ClientHello syntax allows
        cannot be a ClientHello: decode_error (RFC 8446 6.2).
        """
        await self.assertAlert(record(22, b"\x01\xff\xff\xff"), A.decode_error)

    async def test_truncatedClientHello(self) -> None:
        """
        A ClientHello cut short inside a complete record: decode_error.
        """
        hello = clientHello()
        cut = hello[:4] + hello[4:50]
        framed = bytes((1,)) + (len(cut) - 4).to_bytes(3, "big") + cut[4:]
        await self.assertAlert(record(22, framed), A.decode_error)

    async def test_truncatedRecordThenEOF(self) -> None:
        """
        A record cut short by the end of the TCP stream: nothing to answer,
        the connection ends as ConnectionLost, no traceback.
        """
        data = record(22, clientHello())
        received, reason = await self.send(data[:20], halfClose=True)
        self.assertEqual(received, b"")
        self.assertTrue(reason.check(ConnectionLost), reason)

    async def test_outOfOrderMessage(self) -> None:
        await self.assertAlert(record(22, ServerHelloDone().toBytes()), A.unexpected_message)

    async def test_finishedFirst(self) -> None:
        await self.assertAlert(record(22, frameHandshake(20, b"\x00" * 12)), A.unexpected_message)

    async def test_longClientKeyExchangeFirst(self) -> None:
        """
        A 258-byte ClientKeyExchange instead of a ClientHello: the DH form
        is legally that long, and whatever its length the message is out
        of order, so unexpected_message, not decode_error (RFC 5246 7.4).
        """
        cke = frameHandshake(16, b"\x00\x00" + os.urandom(256))
        self.assertEqual(len(cke), 4 + 258)
        await self.assertAlert(record(22, cke), A.unexpected_message)

    async def test_clientHelloBodyUnderOtherTypes(self) -> None:
        """
        A ClientHello body under the type byte of Finished, KeyUpdate or
        ServerHelloDone: too long for each of those types, but first of all
        not expected, so unexpected_message (RFC 8446 6.2, RFC 5246 7.2.2).
        """
        body = clientHello()[4:]
        for msgType in (20, 24, 14):
            await self.assertAlert(record(22, frameHandshake(msgType, body)), A.unexpected_message)

    async def test_oversizedCertificateFirst(self) -> None:
        """
        A Certificate header beyond our certificate limit as the first
        message: out of order before it is too big.
        """
        await self.assertAlert(record(22, b"\x0b\x7f\xff\xff"), A.unexpected_message)

    async def test_changeCipherSpecFirst(self) -> None:
        await self.assertAlert(record(20, b"\x01"), A.unexpected_message)

    async def test_applicationDataFirst(self) -> None:
        await self.assertAlert(record(23, b"hello"), A.unexpected_message)

    async def test_duplicateExtension(self) -> None:
        hello = ClientHello(
            legacyVersion=0x0303,
            random=os.urandom(32),
            sessionId=b"",
            cipherSuites=(0xC02B,),
            compressionMethods=b"\x00",
            extensions=Extensions(((23, b""), (23, b""))),
        ).toBytes()
        # Well-formed but against RFC 8446 4.2: illegal_parameter (6.2).
        await self.assertAlert(record(22, hello), A.illegal_parameter)


class RawServer(protocol.Protocol):
    """
    Answers whatever the client sends with fixed bytes.
    """

    reply = b""

    def dataReceived(self, data: bytes) -> None:
        if self.reply:
            self.transport.write(self.reply)
            self.reply = b""


class OurClientBadInputTests(TestCase):
    timeout = 30

    async def assertClientAlert(self, reply: bytes, alert: AlertDescription) -> None:
        class Factory(protocol.Factory):
            def buildProtocol(self, addr: object) -> RawServer:
                p = RawServer()
                p.reply = reply
                return p

        port = reactor.listenTCP(0, Factory(), interface="127.0.0.1")  # type: ignore[attr-defined]
        self.addCleanup(port.stopListening)
        client = await connectOurClient(
            ourClientOptions(), port.getHost().port, Collector(b"secret")
        )
        assert client.reason is not None
        client.reason.trap(TLSAlertError)
        self.assertEqual(client.reason.value.alert, alert)
        self.assertEqual(bytes(client.received), b"")

    async def test_serverHelloDoneFirst(self) -> None:
        await self.assertClientAlert(record(22, ServerHelloDone().toBytes()), A.unexpected_message)

    async def test_garbage(self) -> None:
        await self.assertClientAlert(b"HTTP/1.1 400 Bad Request\r\n\r\n", A.unexpected_message)

    async def test_longFinishedFirst(self) -> None:
        """
        A Finished longer than its syntax instead of a ServerHello:
        unexpected_message, whatever its length.
        """
        await self.assertClientAlert(
            record(22, frameHandshake(20, os.urandom(100))), A.unexpected_message
        )

    async def test_oversizedCertificateFirst(self) -> None:
        await self.assertClientAlert(record(22, b"\x0b\x7f\xff\xff"), A.unexpected_message)

    async def test_oversizedServerHello(self) -> None:
        """
        The message expected, longer than its syntax: decode_error.
        """
        await self.assertClientAlert(record(22, b"\x02\x7f\xff\xff"), A.decode_error)

    async def test_oversizedRecord(self) -> None:
        await self.assertClientAlert(struct.pack(">BHH", 22, 0x0303, 20000), A.record_overflow)
