"""
A crafting peer for conformance tests, over a real socket on 127.0.0.1.

The peer is a Twisted protocol driving a sans-IO L{TLSConnection} of its
own (client or server role), talking to our real server or client (a
L{TLSFactory} in the same reactor).  The test can:

  - inject records sealed with the peer's current write keys
    (L{Crafter.inject}, L{Record}: any content type, empty, padded, another
    record version);
  - replace, split or drop the peer's outgoing handshake messages and its
    ChangeCipherSpec, or put records before them (a L{Rewrite}: L{on},
    L{split}, L{stopAfter});
  - stop the peer's own output after a chosen message (L{MUTE});
  - observe the answer: the peer's engine decrypts it, so
    L{Crafter.alerts} are the alerts the other side sent, plaintext or
    not, and L{Crafter.closedByPeer} waits for the other side to close.

A rewritten message is not in the peer's own transcript (the engine added
the original before handing it over), so a handshake carrying one fails at
its Finished: use rewrites to provoke the other side's answer to that
message.

L{RawPeer} is the tiny raw-bytes variant, for plaintext records.

Example, our server against a TLS 1.2 client that sends application data
between its ChangeCipherSpec and Finished::

    class Tests(ConformanceCase):
        async def test_dataBeforeFinished(self) -> None:
            server = self.ourServer(maxVersion="1.2")
            peer = await self.crafterTo(
                server,
                crafterClient(maxVersion=TLS12),
                on(HandshakeType.finished, Record(23, b"early"), ORIGINAL),
            )
            await self.assertRefused(peer, A.unexpected_message, server)
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from twisted.internet import defer, protocol, reactor
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from twisted_reneg import ClientOptions, ServerOptions, TLSAlertError
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.config import TLSConfig
from twisted_reneg.tls.connection import TLSConnection
from twisted_reneg.tls.errors import AlertDescription, AlertLevel
from twisted_reneg.tls.events import (
    AlertReceived,
    CloseNotifyReceived,
    ConnectionFailed,
    Event,
    HandshakeCompleted,
)
from twisted_reneg.tls.messages import HandshakeType
from twisted_reneg.tls.records import ContentType

from ..enginepair import clientConfig, serverConfig
from ..interop.peers import Collector, DigestEcho, OurServer, connectOurClient

__all__ = [
    "MUTE",
    "ORIGINAL",
    "ConformanceCase",
    "Crafter",
    "CraftingConnection",
    "Item",
    "Outgoing",
    "RawPeer",
    "Record",
    "Rewrite",
    "alertRecord",
    "chain",
    "crafterClient",
    "crafterServer",
    "on",
    "ourClientOptions",
    "ourServerOptions",
    "parseRecords",
    "plainRecord",
    "split",
    "stopAfter",
]

#: How long a peer may take to answer before a test fails instead of
#: hanging (a guard, never an assertion about time).
PATIENCE = 15.0


# --- what the crafter sends ---------------------------------------------------


@dataclass(frozen=True)
class Record:
    """
    One record to seal with the crafter's current write keys.

    @ivar contentType: the (inner, on TLS 1.3) content type; any byte.
    @ivar payload: the fragment, sent as one record whatever its size.
    @ivar padding: TLS 1.3: zero bytes after the inner content type.
    @ivar version: the legacy_record_version to write instead of the
        engine's.
    """

    contentType: int
    payload: bytes
    padding: int = 0
    version: int | None = None


class _Marker:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: In a rewrite: the message being rewritten, unchanged.
ORIGINAL = _Marker("ORIGINAL")
#: In a rewrite: from here on the crafter's engine sends nothing of its own
#: (its keys still change; injected records still go out).
MUTE = _Marker("MUTE")

#: bytes: a handshake record of exactly these bytes.
Item = bytes | Record | _Marker


@dataclass(frozen=True)
class Outgoing:
    """
    A message the crafter's engine is about to send.

    @ivar what: its handshake type, or C{ContentType.change_cipher_spec}.
    @ivar raw: the handshake message with its header, or the CCS byte.
    @ivar nth: 1 for the first message of this kind on the connection, ...
    """

    what: HandshakeType | ContentType | int
    raw: bytes
    nth: int


#: Given the message about to go out, what to send instead (L{Item}s, in
#: order), or C{None} to send it as the engine would.
Rewrite = Callable[[Outgoing], Sequence[Item] | None]


def on(what: HandshakeType | ContentType, *items: Item, nth: int = 1) -> Rewrite:
    """
    At the C{nth} C{what}, send C{items} instead (L{ORIGINAL} for the
    message itself).  C{on(HandshakeType.finished)} drops the Finished.
    """

    def rewrite(message: Outgoing) -> Sequence[Item] | None:
        if _same(message.what, what) and message.nth == nth:
            return items
        return None

    return rewrite


def split(what: HandshakeType, *cuts: int, between: Sequence[Item] = (), nth: int = 1) -> Rewrite:
    """
    Send the C{nth} C{what} as several handshake records, cut at the byte
    offsets C{cuts}, with C{between} sent between each two pieces.
    """

    def rewrite(message: Outgoing) -> Sequence[Item] | None:
        if not (_same(message.what, what) and message.nth == nth):
            return None
        raw, bounds = message.raw, (0, *cuts, len(message.raw))
        pieces = [raw[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
        items: list[Item] = [pieces[0]]
        for piece in pieces[1:]:
            items.extend(between)
            items.append(piece)
        return items

    return rewrite


def stopAfter(what: HandshakeType | ContentType, nth: int = 1) -> Rewrite:
    """
    Send the C{nth} C{what}, then nothing more of the engine's own.
    """
    return on(what, ORIGINAL, MUTE, nth=nth)


def chain(*rewrites: Rewrite) -> Rewrite:
    """
    The first rewrite that has an answer for a message wins.
    """

    def rewrite(message: Outgoing) -> Sequence[Item] | None:
        for r in rewrites:
            items = r(message)
            if items is not None:
                return items
        return None

    return rewrite


def _same(a: object, b: object) -> bool:
    # HandshakeType.finished and ContentType.change_cipher_spec are both 20.
    return type(a) is type(b) and a == b


class CraftingConnection(TLSConnection):
    """
    A L{TLSConnection} whose output can be rewritten and added to.

    Records leave in the order they were produced: the engine's own, the
    rewritten messages and injected records interleaved as they happened.

    @ivar rewrite: consulted for every handshake message and CCS we send.
    @ivar muted: once set (L{MUTE}), the engine's own output is dropped.
    """

    def __init__(self, config: TLSConfig, rewrite: Rewrite | None = None) -> None:
        super().__init__(config)
        self.rewrite = rewrite
        self.muted = False
        self._wire: list[bytes] = []
        self._counts: dict[tuple[type, int], int] = {}

    # The two ways the handshakes hand us output (HandshakeIO).

    def sendHandshake(self, raw: bytes) -> None:
        what = HandshakeType(raw[0]) if raw[0] in _TYPES else raw[0]
        if not self._rewritten(what, ContentType.handshake, raw):
            super().sendHandshake(raw)

    def sendChangeCipherSpec(self) -> None:
        ccs = ContentType.change_cipher_spec
        if not self._rewritten(ccs, ccs, b"\x01"):
            super().sendChangeCipherSpec()

    def _rewritten(
        self, what: HandshakeType | ContentType | int, contentType: ContentType, raw: bytes
    ) -> bool:
        key = (type(what), int(what))
        nth = self._counts[key] = self._counts.get(key, 0) + 1
        items = self.rewrite(Outgoing(what, raw, nth)) if self.rewrite is not None else None
        if items is None:
            return False
        for item in items:
            if item is MUTE:
                self._settle()
                self.muted = True
            elif item is ORIGINAL:
                self.inject(Record(contentType, raw))
            elif isinstance(item, bytes):
                self.inject(Record(ContentType.handshake, item))
            else:
                assert isinstance(item, Record)
                self.inject(item)
        return True

    def inject(self, record: Record) -> None:
        """
        Seal C{record} with the current write keys and queue it after
        everything produced so far.
        """
        self._settle()
        writer = self._writer  # noqa: SLF001 - the one place the harness reaches in
        saved = writer.recordVersion
        if record.version is not None:
            writer.recordVersion = record.version
        try:
            self._wire.append(
                writer.writeRecord(record.contentType, record.payload, record.padding)
            )
        finally:
            writer.recordVersion = saved

    def _settle(self) -> None:
        """
        Move what the engine produced so far onto the wire, in order (or
        drop it, once muted).
        """
        produced = super().dataToSendList()
        if not self.muted:
            self._wire.extend(produced)

    def dataToSendList(self) -> list[bytes]:
        self._settle()
        wire, self._wire = self._wire, []
        return wire


_TYPES = frozenset(int(t) for t in HandshakeType)


# --- the crafting peer ----------------------------------------------------------


class Crafter(protocol.Protocol):
    """
    The crafting peer: our engine, rewritable, on a real TCP connection.

    @ivar connection: its L{CraftingConnection}.
    @ivar events: what its engine made of everything the other side sent.
    @ivar received: the raw bytes the other side sent.
    @ivar deaf: while set, bytes are collected but not given to the engine
        (L{hear} gives them later).
    """

    def __init__(self, config: TLSConfig, rewrite: Rewrite | None = None) -> None:
        self.connection = CraftingConnection(config, rewrite)
        self.events: list[Event] = []
        self.received = bytearray()
        self.deaf = False
        self._heard = 0
        self._closedByUs = False
        self._lost: defer.Deferred[None] = defer.Deferred()
        self.whenConnected: defer.Deferred[Crafter] = defer.Deferred()
        self.isLost = False
        self._waiting: list[tuple[Callable[[], bool], str, defer.Deferred[None]]] = []

    # protocol

    def connectionMade(self) -> None:
        self.connection.startHandshake()
        self.flush()
        self.whenConnected.callback(self)

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if not self.deaf:
            self.hear()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.isLost = True
        self._check()
        self._lost.callback(None)

    # driving

    def hear(self) -> list[Event]:
        """
        Give the engine every byte received and not yet given.

        @return: the new events.
        """
        data = bytes(self.received[self._heard :])
        self._heard = len(self.received)
        events = self.connection.receiveData(data)
        self.events += events
        self.flush()
        self._check()
        return events

    def flush(self) -> None:
        """
        Write whatever the engine (and the test) queued.
        """
        data = b"".join(self.connection.dataToSendList())
        if data and not self.isLost:
            self.transport.write(data)

    def inject(self, *items: Record | bytes) -> None:
        """
        Seal and send records now (bytes: a handshake record).
        """
        for item in items:
            if isinstance(item, bytes):
                item = Record(ContentType.handshake, item)
            self.connection.inject(item)
        self.flush()

    def sendRaw(self, data: bytes) -> None:
        """
        Send bytes exactly as given, after everything queued.
        """
        self.flush()
        self.transport.write(data)

    def close(self) -> None:
        self._closedByUs = True
        self.transport.loseConnection()

    # observing

    def when(self, condition: Callable[[], bool], what: str) -> defer.Deferred[None]:
        """
        Fires once C{condition} holds (checked as bytes arrive); fails if
        the connection ends first or after L{PATIENCE} seconds.
        """
        d: defer.Deferred[None] = defer.Deferred()
        self._waiting.append((condition, what, d))
        d.addTimeout(PATIENCE, reactor)
        self._check()
        return d

    def handshakeDone(self, count: int = 1) -> defer.Deferred[None]:
        """
        Fires once C{count} handshakes have completed on the crafter.
        """
        return self.when(
            lambda: sum(isinstance(e, HandshakeCompleted) for e in self.events) >= count,
            f"{count} handshake(s)",
        )

    def _check(self) -> None:
        for entry in list(self._waiting):
            condition, what, d = entry
            if d.called:
                self._waiting.remove(entry)
            elif condition():
                self._waiting.remove(entry)
                d.callback(None)
            elif self.isLost:
                self._waiting.remove(entry)
                d.errback(AssertionError(f"connection lost before {what}: {self.describe()}"))

    async def closedByPeer(self) -> None:
        """
        Wait until the other side closes the TCP connection.

        @raise AssertionError: if it does not within L{PATIENCE} seconds.
        """
        if self._closedByUs:
            raise AssertionError("the crafter closed the connection itself")
        if self.isLost:
            return
        waiter: defer.Deferred[None] = defer.Deferred()
        self._waiting.append((lambda: self.isLost, "close", waiter))
        waiter.addTimeout(PATIENCE, reactor)
        try:
            await waiter
        except defer.TimeoutError:
            raise AssertionError(f"peer did not close: {self.describe()}") from None

    def alerts(self) -> list[tuple[int, int]]:
        """
        The alerts the other side sent, as C{(level, description)}, as the
        crafter's engine read them (decrypted where they were protected).
        """
        found: list[tuple[int, int]] = []
        for event in self.events:
            if isinstance(event, AlertReceived):
                found.append((event.level, event.description))
            elif isinstance(event, CloseNotifyReceived):
                found.append((AlertLevel.WARNING, AlertDescription.close_notify))
            elif isinstance(event, ConnectionFailed) and not event.error.sentByUs:
                found.append((AlertLevel.FATAL, event.error.alert))
        return found

    def describe(self) -> str:
        return f"events={self.events!r} received={len(self.received)} bytes"


class _CrafterServerFactory(protocol.Factory):
    def __init__(self, make: Callable[[], Crafter]) -> None:
        self.make = make
        self.crafters: defer.DeferredQueue[Crafter] = defer.DeferredQueue()

    def buildProtocol(self, addr: object) -> Crafter:
        crafter = self.make()
        crafter.whenConnected.addCallback(self.crafters.put)
        return crafter


# --- the raw-bytes variant -----------------------------------------------------------


def plainRecord(contentType: int, body: bytes, version: int = 0x0303) -> bytes:
    """
    A plaintext record, header and all.
    """
    return struct.pack(">BHH", contentType, version, len(body)) + body


def alertRecord(description: int, level: int = AlertLevel.FATAL) -> bytes:
    return plainRecord(ContentType.alert, bytes((level, description)))


def parseRecords(data: bytes) -> list[tuple[int, int, bytes]]:
    """
    Split bytes from the wire into C{(contentType, version, fragment)};
    a trailing incomplete record is left out.
    """
    records = []
    pos = 0
    while pos + 5 <= len(data):
        contentType, version, length = struct.unpack_from(">BHH", data, pos)
        if pos + 5 + length > len(data):
            break
        records.append((contentType, version, bytes(data[pos + 5 : pos + 5 + length])))
        pos += 5 + length
    return records


class RawPeer(protocol.Protocol):
    """
    Sends bytes as they are and collects what comes back.

    @ivar onData: called with the bytes received so far after each read;
        what it returns (if anything) is sent.
    """

    def __init__(
        self, toSend: bytes = b"", onData: Callable[[bytes], bytes | None] | None = None
    ) -> None:
        self.toSend = toSend
        self.onData = onData
        self.received = bytearray()
        self.done: defer.Deferred[bytes] = defer.Deferred()

    def connectionMade(self) -> None:
        if self.toSend:
            self.transport.write(self.toSend)

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if self.onData is not None:
            reply = self.onData(bytes(self.received))
            if reply:
                self.transport.write(reply)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.done.callback(bytes(self.received))


# --- configurations --------------------------------------------------------------------


def crafterClient(**kw: Any) -> TLSConfig:
    """
    An engine client configuration trusting the test PKI (TLS 1.2 unless
    C{maxVersion} says otherwise).
    """
    return clientConfig(**kw)


def crafterServer(**kw: Any) -> TLSConfig:
    """
    An engine server configuration with the test PKI's ECDSA certificate.
    """
    return serverConfig(**kw)


def ourServerOptions(**kw: Any) -> ServerOptions:
    identity = cachedPKI().ecdsaServer
    return ServerOptions.fromPEM(identity.certPath, identity.keyPath, **kw)


def ourClientOptions(**kw: Any) -> ClientOptions:
    return ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate], **kw)


# --- the test case -----------------------------------------------------------------------


class ConformanceCase(TestCase):
    """
    Our server or client on 127.0.0.1 against a L{Crafter} or L{RawPeer}.
    """

    timeout = 60

    def ourServer(self, **options: Any) -> OurServer:
        """
        Our TLS server (an echo) listening on 127.0.0.1; keyword arguments
        go to L{ServerOptions}.
        """
        return OurServer(self, ourServerOptions(**options))

    async def crafterTo(
        self, server: OurServer, config: TLSConfig, rewrite: Rewrite | None = None
    ) -> Crafter:
        """
        Connect a crafting client to C{server}; returns once connected (its
        ClientHello is out).
        """
        crafter = Crafter(config, rewrite)
        await protocol.ClientCreator(reactor, lambda: crafter).connectTCP(  # type: ignore[arg-type]
            "127.0.0.1", server.portNumber
        )
        self.addCleanup(self._closeCrafter, crafter)
        return crafter

    async def rawTo(self, server: OurServer, peer: RawPeer) -> bytes:
        """
        Run C{peer} against C{server} until the connection ends.

        @return: everything the server sent.
        """
        await protocol.ClientCreator(reactor, lambda: peer).connectTCP(  # type: ignore[arg-type]
            "127.0.0.1", server.portNumber
        )
        return await peer.done.addTimeout(PATIENCE, reactor)

    async def ourClientTo(
        self, config: TLSConfig, rewrite: Rewrite | None = None, **options: Any
    ) -> tuple[Crafter, defer.Deferred[Collector]]:
        """
        Start a crafting server and connect our client to it (keyword
        arguments go to L{ClientOptions}).

        @return: the crafter, once connected, and a Deferred firing with
            our client's protocol once its connection has ended.
        """
        factory = _CrafterServerFactory(lambda: Crafter(config, rewrite))
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")  # type: ignore[attr-defined]
        self.addCleanup(port.stopListening)
        ours = connectOurClient(ourClientOptions(**options), port.getHost().port, Collector())
        crafter = await factory.crafters.get()
        self.addCleanup(self._closeCrafter, crafter)
        return crafter, ours

    @staticmethod
    def _closeCrafter(crafter: Crafter) -> defer.Deferred[None] | None:
        if crafter.isLost:
            return None
        crafter.transport.abortConnection()
        return crafter._lost

    async def assertRefused(
        self,
        crafter: Crafter,
        alert: AlertDescription,
        ours: OurServer | defer.Deferred[Collector],
    ) -> None:
        """
        The other side sent exactly one alert, fatal C{alert}, closed the
        connection, and reports that alert as sent by it.

        @param ours: our server (its next ended connection is checked) or
            the Deferred of our client.
        """
        await crafter.closedByPeer()
        self.assertEqual(
            crafter.alerts(),
            [(AlertLevel.FATAL, alert)],
            f"alerts on the wire: {crafter.describe()}",
        )
        side: DigestEcho | Collector
        if isinstance(ours, OurServer):
            side = await ours.nextConnection()
        else:
            side = await ours
        assert side.reason is not None
        self.assertTrue(side.reason.check(TLSAlertError), side.reason)
        self.assertEqual(side.reason.value.alert, alert)
        self.assertTrue(side.reason.value.sentByUs)
