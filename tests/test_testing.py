# -*- test-case-name: tests.test_testing -*-
"""
L{twisted_reneg.testing.memory.TLSPair}, the helper users' trial tests run
on: moving bytes one way at a time, holding one side's bytes back, and
the clock it makes.
"""

from __future__ import annotations

import time
from typing import Any

from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import RenegotiationTimeout
from twisted_reneg.testing.memory import TLSPair

from ._connected import Connected, Listener, Recorder, clientOptions, serverOptions
from ._records import splitRecords


class Echo(Recorder):
    def dataReceived(self, data: bytes) -> None:
        super().dataReceived(data)
        self.transport.write(data)


def connected(version: str = "1.3", **kw: Any) -> Connected:
    c = Connected(server=serverOptions(maxVersion=version), client=clientOptions(), **kw)
    c.flush()
    return c


class OneWayTests(SynchronousTestCase):
    """
    L{TLSPair.deliverToServer} and L{TLSPair.deliverToClient}: one hop, one
    way.
    """

    def test_oneFlightAtATime(self) -> None:
        """
        A TLS 1.3 handshake a flight at a time: each call moves one side's
        flight and leaves the answer where it is.
        """
        c = Connected()
        hello = c.deliverToServer()
        self.assertEqual(splitRecords(hello)[0][0], 22)  # a plaintext handshake record
        self.assertEqual(c.deliverToServer(), b"")  # nothing more from the client
        self.assertIsNone(c.client.session)
        self.assertNotEqual(c.deliverToClient(), b"")  # ServerHello ... Finished
        self.assertIsNotNone(c.client.session)
        self.assertIsNone(c.server.session)  # the client's Finished is not there yet
        self.assertNotEqual(c.deliverToServer(), b"")
        self.assertIsNotNone(c.server.session)

    def test_writesLeaveWithoutAdvancingTheClock(self) -> None:
        """
        The transport seals writes in a C{callLater(0)}: the delivery runs
        it, so the test needs no C{clock.advance(0)}; and the reply stays
        with the other side.
        """
        c = connected(serverProtocol=Echo())
        c.client.write(b"ping")
        self.assertEqual(c.clientTransport.stream, [])  # not sealed yet
        self.assertNotEqual(c.deliverToServer(), b"")
        self.assertEqual(c.serverApp.data, b"ping")
        self.assertEqual(c.clientApp.data, b"")
        c.deliverToClient()
        self.assertEqual(c.clientApp.data, b"ping")

    def test_withoutAdvancingTheClock(self) -> None:
        """
        C{advanceClock=False} moves only what is already on the wire.
        """
        c = connected()
        c.client.write(b"later")
        self.assertEqual(c.deliverToServer(advanceClock=False), b"")
        self.assertEqual(c.serverApp.data, b"")
        c.deliverToServer()
        self.assertEqual(c.serverApp.data, b"later")

    def test_closeFollowsTheBytes(self) -> None:
        """
        A side that wrote and then dropped TCP: the delivery brings the
        bytes, then the close, to the other side; both hear of it.
        """
        c = connected()
        c.client.write(b"last")
        c.clock.advance(0)  # sealed and on the wire
        c.clientTransport.loseConnection()
        c.deliverToServer()
        self.assertEqual(c.serverApp.data, b"last")
        self.assertIsNotNone(c.serverApp.lostReason)
        self.assertIsNotNone(c.clientApp.lostReason)


class HoldTests(SynchronousTestCase):
    """
    L{TLSPair.holdClient} and friends: what a held side sends stays with it
    through L{TLSPair.flush} until released.
    """

    def test_clientNeverAnswers(self) -> None:
        """
        The HelloRequest reaches the client, whose answer is held: the
        renegotiation times out; released, the late answer completes it.
        """
        c = connected("1.2", clientProtocol=Listener())
        c.holdClient()
        self.assertTrue(c.clientHeld)
        d = c.server.rehandshake(timeout=30)
        c.flush()
        self.assertIn("renegotiationRequested", c.clientApp.calls)  # it did answer
        self.assertNotEqual(c.clientTransport.stream, [])  # ... and the answer waits
        c.clock.advance(30)
        self.failureResultOf(d, RenegotiationTimeout)
        c.releaseClient()
        self.assertFalse(c.clientHeld)
        c.flush()
        self.assertEqual(c.server.session.renegotiations, 1)  # type: ignore[union-attr]

    def test_heldServerStillReceives(self) -> None:
        c = connected(serverProtocol=Echo())
        c.holdServer()
        self.assertTrue(c.serverHeld)
        c.client.write(b"ping")
        c.flush()
        self.assertEqual(c.serverApp.data, b"ping")
        self.assertEqual(c.clientApp.data, b"")
        c.releaseServer()
        c.flush()
        self.assertEqual(c.clientApp.data, b"ping")

    def test_deliveryByHandIgnoresTheHold(self) -> None:
        """
        The test moving a held side's bytes itself is obeyed.
        """
        c = connected()
        c.holdClient()
        c.client.write(b"by hand")
        c.flush()
        self.assertEqual(c.serverApp.data, b"")
        c.deliverToServer()
        self.assertEqual(c.serverApp.data, b"by hand")

    def test_closeHeldBehindTheBytes(self) -> None:
        """
        A held side's TCP close waits with its bytes, and follows them.
        """
        c = connected()
        c.holdClient()
        c.client.write(b"last")
        c.flush()
        c.clientTransport.loseConnection()
        c.flush()
        self.assertIsNone(c.serverApp.lostReason)
        c.releaseClient()
        c.flush()
        self.assertEqual(c.serverApp.data, b"last")
        self.assertIsNotNone(c.serverApp.lostReason)
        self.assertIsNotNone(c.clientApp.lostReason)

    def test_peerOfAHeldSideCloses(self) -> None:
        """
        The other side's close reaches a held side, and the closer's own
        connection ends: a hold keeps what the held side sends, not its
        peer's end of the connection.
        """
        c = connected()
        c.holdClient()
        c.server.loseConnection()
        c.clock.advance(10)  # no close_notify answer comes back: TCP is dropped
        c.flush()
        self.assertIsNotNone(c.clientApp.lostReason)
        self.assertIsNotNone(c.serverApp.lostReason)

    def test_cleanCloseBothWays(self) -> None:
        """
        Without holds, a close runs as on iosim: close_notify both ways,
        C{ConnectionDone} on both sides.
        """
        c = connected()
        c.client.loseConnection()
        c.flush()
        for app in (c.clientApp, c.serverApp):
            self.assertTrue(app.lostReason.check(ConnectionDone))


class ClockTests(SynchronousTestCase):
    def test_wallTimeByDefault(self) -> None:
        """
        The clock a pair makes reads the wall time, so that certificates
        valid today are.
        """
        before = time.time()
        pair = TLSPair(serverOptions(), clientOptions())
        self.assertGreaterEqual(pair.clock.seconds(), before)
        self.assertLessEqual(pair.clock.seconds(), time.time())
        pair.flush()
        self.assertIsNotNone(pair.client.session)

    def test_givenClockUntouched(self) -> None:
        clock = Clock()
        clock.advance(time.time() - 3600)
        start = clock.seconds()
        pair = TLSPair(serverOptions(), clientOptions(), clock=clock)
        self.assertIs(pair.clock, clock)
        pair.flush()
        self.assertEqual(clock.seconds(), start)
