# -*- test-case-name: tests.interop.test_slow_peers -*-
"""
Slow, stalled and abusive peers on real sockets (127.0.0.1), and what our
transport puts on the wire for them:

* a peer that floods us after a bad record still reads our alert intact
  (the lingering close: no TCP reset destroys it);
* a peer that connects and stalls is cut off by the handshake timeout;
* a peer that sends without reading cannot make us buffer without bound,
  and loses nothing once it reads again;
* C{twistd web} and C{twistd reneg} answer a small request in one TLS
  record, counted by a client that reads the wire one record at a time
  with our engine (on TLS 1.3 only decryption tells application data from
  session tickets).
"""

from __future__ import annotations

import os
import select
import socket
import struct
from typing import Any

from twisted.internet import defer, protocol, reactor
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from twisted_reneg import TLSAlertError, TLSHandshakeTimeout
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.connection import TLSConnection
from twisted_reneg.tls.errors import AlertDescription
from twisted_reneg.tls.events import (
    ApplicationData,
    CloseNotifyReceived,
    ConnectionFailed,
    HandshakeCompleted,
    KeysUpdated,
)

from .._twistd import TWISTD
from ._options import ourClientOptions, ourServerOptions
from ._raw import RawPeer, clientHello, record
from .peers import DigestEcho, OurServer, freePort, payload, startPeerServer

A = AlertDescription


def unsent(tls: Any) -> int:
    """
    Bytes our TLS transport C{tls} holds for the peer: TCP's write buffer,
    the engine's output, and plaintext waiting to be sealed.
    """
    tcp = tls.transport
    engine = tls._tls
    return (
        len(tcp.dataBuffer)
        - tcp.offset
        + tcp._tempDataLen
        + sum(map(len, engine._out))
        + sum(map(len, engine._pendingAppData))
        + tls._coalescer.size
    )


class LingeringCloseTests(TestCase):
    timeout = 60

    async def test_alertSurvivesFloodingPeer(self) -> None:
        """
        A peer sends a bad record and 256 KiB more without reading (with a
        small send buffer, as a busy or distant peer has in effect), then
        reads: all its data is taken and it reads our alert, then a clean
        end of stream; no ECONNRESET or EPIPE on the way.
        """
        server = OurServer(self, ourServerOptions())

        def floodThenRead(port: int) -> tuple[bytes, str | None]:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)
            sock.settimeout(30)
            sock.connect(("127.0.0.1", port))
            error = None
            try:
                sock.sendall(record(23, b"hello") + bytes(256 << 10))
            except OSError as e:
                error = f"sending: {e!r}"
            received = b""
            try:
                while chunk := sock.recv(65536):
                    received += chunk
            except OSError as e:
                error = error or f"reading: {e!r}"
            sock.close()
            return received, error

        received, error = await deferToThread(floodThenRead, server.portNumber)
        self.assertIsNone(error)
        self.assertEqual(received, record(21, bytes((2, A.unexpected_message))))
        ours = await server.nextConnection()
        assert ours.reason is not None
        ours.reason.trap(TLSAlertError)
        self.assertTrue(ours.reason.value.sentByUs)


class HandshakeTimeoutTests(TestCase):
    timeout = 30

    async def test_stalledClientCutOff(self) -> None:
        """
        A client that sends half a ClientHello and waits: our server, with
        a short limit, cancels the handshake (user_canceled, close_notify)
        and closes; the application hears TLSHandshakeTimeout.
        """
        server = OurServer(self, ourServerOptions(handshakeTimeout=0.3))
        hello = record(22, clientHello())
        peer = RawPeer(hello[: len(hello) // 2])
        protocol.ClientCreator(reactor, lambda: peer).connectTCP(  # type: ignore[arg-type]
            "127.0.0.1", server.portNumber
        )
        received = await peer.done
        self.assertEqual(
            received,
            record(21, bytes((1, A.user_canceled))) + record(21, bytes((1, A.close_notify))),
        )
        ours = await server.nextConnection()
        assert ours.reason is not None
        ours.reason.trap(TLSHandshakeTimeout)
        self.assertEqual(ours.reason.value.timeout, 0.3)


class MeasuredEcho(DigestEcho):
    """
    Echoes, and notes the most it ever held for the peer.
    """

    def __init__(self) -> None:
        super().__init__()
        self.peak = 0

    def dataReceived(self, data: bytes) -> None:
        self.peak = max(self.peak, unsent(self.transport))
        super().dataReceived(data)
        self.peak = max(self.peak, unsent(self.transport))


#: What the reader-that-stops sends: far more than socket buffers hold.
FLOOD = 16 << 20
#: One KeyUpdate(update_requested) per this many bytes: each is answered
#: by the server, output the TLS layer itself makes for the peer.
KEY_UPDATE_EVERY = 1 << 20
#: What the server may hold for the peer: its limit on unsent replies
#: (256 KiB) plus TCP's buffer and one read's echo, with room to spare;
#: far below what an echo server that keeps reading piles up.
BOUND = 1 << 20


def stopReadingThenRead(port: int) -> dict[str, Any]:
    """
    Our engine as a client over a plain socket: handshake, then send
    C{FLOOD} bytes (with key update requests) without reading until the
    socket has had no room for a second, then read everything back while
    sending the rest.
    """
    tls = TLSConnection(ourClientOptions(maxVersion="1.3").tlsConfig())
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    tls.startHandshake()
    sock.sendall(tls.dataToSend())
    while not tls.handshakeComplete:
        tls.receiveData(sock.recv(65536))
        sock.sendall(tls.dataToSend())
    sock.setblocking(False)
    data = payload(FLOOD, b"stop reading")
    sent = 0
    out = b""
    echoed = bytearray()
    keysUpdated = requested = 0
    stalled = False

    def produce() -> bytes:
        nonlocal sent, requested
        chunk = data[sent : sent + 16384]
        tls.sendApplicationData(chunk)
        sent += len(chunk)
        if sent % KEY_UPDATE_EVERY == 0:
            tls.rehandshake()
            requested += 1
        return tls.dataToSend()

    # Phase 1: never read.
    while sent < FLOOD or out:
        if not out:
            out = produce()
        _, writable, _ = select.select([], [sock], [], 1.0)
        if not writable:
            stalled = True
            break
        out = out[sock.send(out) :]
    # Phase 2: read everything back, sending the rest meanwhile.
    while len(echoed) < FLOOD:
        if not out and sent < FLOOD:
            out = produce()
        readable, writable, _ = select.select([sock], [sock] if out else [], [], 30)
        if not readable and not writable:
            raise AssertionError(f"stalled: sent {sent}, echoed {len(echoed)}")
        if writable:
            out = out[sock.send(out) :]
        if readable:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            for event in tls.receiveData(chunk):
                if isinstance(event, ApplicationData):
                    echoed += event.data
                elif isinstance(event, KeysUpdated):
                    keysUpdated += 1
                elif isinstance(event, ConnectionFailed):
                    raise AssertionError(f"failed: {event.error}")
            out += tls.dataToSend()
    tls.close()
    sock.setblocking(True)
    sock.sendall(out + tls.dataToSend())
    sock.close()
    return {
        "stalled": stalled,
        "intact": bytes(echoed) == data,
        "echoed": len(echoed),
        "requested": requested,
        "keysUpdated": keysUpdated,
    }


class BackPressureTests(TestCase):
    timeout = 120

    async def test_peerThatStopsReading(self) -> None:
        """
        A peer sends 16 MiB to our echo server, asking for new keys every
        MiB, without reading: the server stops reading it instead of
        buffering the echo (and the KeyUpdate answers), so what it holds
        for the peer stays under 1 MiB and the peer's sending stalls.  Once
        the peer reads, every byte comes back, in order, and every key
        update was answered.
        """
        server = OurServer(self, ourServerOptions(), protocolClass=MeasuredEcho)
        result = await deferToThread(stopReadingThenRead, server.portNumber)
        ours = await server.nextConnection()
        self.assertTrue(result["intact"], result)
        self.assertEqual(result["keysUpdated"], result["requested"])
        self.assertEqual(result["requested"], FLOOD // KEY_UPDATE_EVERY)
        self.assertLess(ours.peak, BOUND)  # type: ignore[attr-defined]
        self.assertTrue(result["stalled"], result)


class RecordCounter(protocol.Protocol):
    """
    A TLS client made of our engine over plain TCP: sends C{request} once
    the handshake is done, then reads the wire one record at a time and
    keeps the application data of each record that carried any.
    """

    def __init__(self, maxVersion: str, request: bytes, expected: int) -> None:
        self.tls = TLSConnection(ourClientOptions(maxVersion=maxVersion).tlsConfig())
        self.request = request
        self.expected = expected
        self.buffer = b""
        self.dataRecords: list[bytes] = []
        self.done: defer.Deferred[RecordCounter] = defer.Deferred()

    def connectionMade(self) -> None:
        self.tls.startHandshake()
        self.transport.write(self.tls.dataToSend())  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 5:
            length = struct.unpack_from(">H", self.buffer, 3)[0]
            if len(self.buffer) < 5 + length:
                break
            one, self.buffer = self.buffer[: 5 + length], self.buffer[5 + length :]
            for event in self.tls.receiveData(one):
                self.handle(event)
        out = self.tls.dataToSend()
        if out and self.transport is not None:
            self.transport.write(out)

    def handle(self, event: object) -> None:
        if isinstance(event, HandshakeCompleted) and not event.renegotiation:
            self.tls.sendApplicationData(self.request)
        elif isinstance(event, ApplicationData):
            self.dataRecords.append(event.data)
            if sum(map(len, self.dataRecords)) >= self.expected and not self.tls.closeSent:
                self.tls.close()
        elif isinstance(event, (CloseNotifyReceived, ConnectionFailed)):
            self.transport.loseConnection()  # type: ignore[union-attr]

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.done.callback(self)


def listenString(port: int, maxVersion: str) -> str:
    pki = cachedPKI()
    return (
        f"reneg:{port}:interface=127.0.0.1:privateKey={pki.ecdsaServer.keyPath}"
        f":certKey={pki.ecdsaServer.certPath}:maxVersion={maxVersion}"
    )


class OneRecordTests(TestCase):
    """
    A small answer is one record, as C{openssl s_server -www} sends it.
    """

    timeout = 60

    def site(self) -> str:
        path = self.mktemp()
        os.makedirs(path)
        with open(os.path.join(path, "small.txt"), "wb") as f:
            f.write(b"a small file\n")
        return path

    def twistd(self, *argv: str) -> int:
        port = freePort()
        listen = [argv[0], "--listen", listenString(port, self.maxVersion), *argv[1:]]
        startPeerServer(self, [TWISTD, "-n", "--pidfile=", *listen], port)
        return port

    async def fetch(self, port: int, request: bytes, expected: int) -> list[bytes]:
        client = RecordCounter(self.maxVersion, request, expected)
        protocol.ClientCreator(reactor, lambda: client).connectTCP(  # type: ignore[arg-type]
            "127.0.0.1", port
        )
        await client.done
        return client.dataRecords

    async def assertOneRecordResponses(self, *argv: str) -> None:
        request = b"GET /small.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        for self.maxVersion in ("1.2", "1.3"):
            port = self.twistd(*argv)
            records = await self.fetch(port, request, 1 << 20)
            self.assertEqual(len(records), 1, (self.maxVersion, records))
            self.assertTrue(records[0].startswith(b"HTTP/1.1 200 OK\r\n"), records)
            self.assertTrue(records[0].endswith(b"\r\n\r\na small file\n"), records)

    async def test_twistdWeb(self) -> None:
        await self.assertOneRecordResponses("web", "--path", self.site())

    async def test_twistdRenegWeb(self) -> None:
        await self.assertOneRecordResponses("reneg", "--path", self.site())

    async def test_twistdRenegEcho(self) -> None:
        """
        Three lines in one record come back, echoed line by line by the
        service, in one record.
        """
        for self.maxVersion in ("1.2", "1.3"):
            port = self.twistd("reneg", "--echo")
            lines = b"one\ntwo\nthree\n"
            records = await self.fetch(port, lines, len(lines))
            self.assertEqual(records, [lines], self.maxVersion)

    maxVersion = "1.3"
