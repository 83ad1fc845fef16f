# -*- test-case-name: tests.interop.test_flow_control -*-
"""
Flow control on real sockets: 1 GiB from a producer through our TLS to a
slow consumer.  Back-pressure must reach the producer, so what waits in our
buffers (and TCP's send buffer above the kernel) stays bounded.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer, protocol, reactor
from twisted.internet.interfaces import IHandshakeListener, IPushProducer
from twisted.trial.unittest import TestCase
from zope.interface import implementer

from ._options import ourClientOptions, ourServerOptions
from .peers import DigestEcho, OurServer, connectOurClient

TOTAL = 1 << 30
CHUNK = 64 * 1024
#: Far above one TCP send buffer (64 KiB before pausing) plus a chunk, far
#: below what an unthrottled producer would pile up.
BOUND = 4 << 20


class SlowConsumer(DigestEcho):
    """
    Reads in bursts: pauses its transport after each 4 MiB for a moment.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.sincePause = 0

    def dataReceived(self, data: bytes) -> None:
        self.count += len(data)
        self.sincePause += len(data)
        if self.sincePause >= 4 << 20:
            self.sincePause = 0
            self.transport.pauseProducing()
            reactor.callLater(0.005, self.transport.resumeProducing)  # type: ignore[attr-defined]
        if self.count >= TOTAL:
            self.transport.loseConnection()


@implementer(IPushProducer, IHandshakeListener)
class Firehose(protocol.Protocol):
    transport: Any

    def __init__(self) -> None:
        self.sent = 0
        self.paused = False
        self.block = bytes(CHUNK)
        self.peakBuffered = 0
        self.lost: defer.Deferred[None] = defer.Deferred()

    def handshakeCompleted(self) -> None:
        self.transport.registerProducer(self, True)
        self.resumeProducing()

    def buffered(self) -> int:
        tls = self.transport  # our TLSProtocol
        engine = tls._tls
        tcp = tls.transport
        waitingInTCP = len(tcp.dataBuffer) - tcp.offset + tcp._tempDataLen
        waitingInEngine = sum(map(len, engine._pendingAppData)) + sum(map(len, engine._out))
        waitingToBeSealed = tls._coalescer.size
        return waitingInTCP + waitingInEngine + waitingToBeSealed

    def resumeProducing(self) -> None:
        self.paused = False
        while not self.paused and self.sent < TOTAL:
            self.transport.write(self.block)
            self.sent += CHUNK
            self.peakBuffered = max(self.peakBuffered, self.buffered())
        if self.sent >= TOTAL and not self.paused:
            self.transport.unregisterProducer()

    def pauseProducing(self) -> None:
        self.paused = True

    def stopProducing(self) -> None:
        self.paused = True

    def connectionLost(self, reason: Any = None) -> None:
        self.lost.callback(None)


class FlowControlTests(TestCase):
    timeout = 300

    async def test_gibibyteThroughSlowConsumer(self) -> None:
        server = OurServer(self, ourServerOptions(), protocolClass=SlowConsumer)
        client = Firehose()
        factoryDone = connectOurClient(ourClientOptions(), server.portNumber, client)  # type: ignore[arg-type]
        consumer = await server.nextConnection()
        await factoryDone
        self.assertEqual(consumer.count, TOTAL)  # type: ignore[attr-defined]
        self.assertEqual(client.sent, TOTAL)
        self.assertLess(client.peakBuffered, BOUND)
