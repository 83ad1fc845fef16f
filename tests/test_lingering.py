# -*- test-case-name: tests.test_lingering -*-
"""
The lingering close after a fatal alert of ours, on a StringTransport and
a fake clock: the alert goes out, our write side closes, what the peer
still sends is discarded until it closes or a bound in time or bytes is
reached, and the application hears the alert as the reason, once.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.error import ConnectionAborted, ConnectionDone
from twisted.internet.protocol import Factory
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import TLSAlertError, TLSFactory, TLSProtocol
from twisted_reneg.transport import DEFAULT_LINGER_BYTES, DEFAULT_LINGER_TIMEOUT

from ._connected import Connected, Recorder, serverOptions
from ._records import plaintextAlerts
from ._transports import HalfClosing, Recording

#: Not a TLS record: the engine answers with a fatal alert.
GARBAGE = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def serve(
    transport: StringTransport, **factoryOptions: Any
) -> tuple[TLSProtocol, Recorder, Clock]:
    clock = Clock()
    app = Recorder()
    factory = TLSFactory(
        serverOptions(), False, Factory.forProtocol(lambda: app), clock=clock, **factoryOptions
    )
    server = factory.buildProtocol(None)
    server.makeConnection(transport)
    return server, app, clock


class LingeringCloseTests(SynchronousTestCase):
    def assertAlertReason(self, app: Recorder) -> None:
        self.assertEqual(app.calls.count("connectionLost"), 1)
        reason = app.lostReason
        assert reason is not None
        reason.trap(TLSAlertError)
        self.assertTrue(reason.value.sentByUs)

    def test_alertThenHalfClose(self) -> None:
        """
        A fatal alert of ours goes out, then our write side is closed; the
        TCP connection stays open for reading and the application has not
        heard of the end yet.
        """
        tcp = HalfClosing()
        server, app, clock = serve(tcp)
        server.dataReceived(GARBAGE)
        [(level, _)] = plaintextAlerts(tcp.value())
        self.assertEqual(level, 2)
        self.assertTrue(tcp.writeClosed)
        self.assertFalse(tcp.disconnecting)
        self.assertFalse(tcp.aborted)
        self.assertNotIn("connectionLost", app.calls)

    def test_discardUntilPeerCloses(self) -> None:
        """
        What the peer sends meanwhile is read and dropped; its close ends
        the connection with the alert as the reason, and no timer is left.
        """
        tcp = HalfClosing()
        server, app, clock = serve(tcp)
        server.dataReceived(GARBAGE)
        sent = tcp.value()
        server.dataReceived(b"\x17\x03\x03\x00\x05more!" * 100)
        self.assertEqual(tcp.value(), sent)  # nothing answered
        self.assertEqual(app.data, b"")
        server.connectionLost(Failure(ConnectionDone()))
        self.assertAlertReason(app)
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_timeBound(self) -> None:
        """
        A peer that neither closes nor stops sending is dropped after
        C{lingerTimeout} seconds; the reason is still the alert, once.
        """
        tcp = HalfClosing()
        server, app, clock = serve(tcp)
        self.assertEqual(server.factory.lingerTimeout, DEFAULT_LINGER_TIMEOUT)
        server.dataReceived(GARBAGE)
        clock.advance(DEFAULT_LINGER_TIMEOUT - 0.1)
        server.dataReceived(b"x" * 1000)
        self.assertFalse(tcp.aborted)
        clock.advance(0.1)
        self.assertTrue(tcp.aborted)
        server.connectionLost(Failure(ConnectionAborted()))
        server.connectionLost(Failure(ConnectionDone()))
        self.assertAlertReason(app)

    def test_byteBound(self) -> None:
        """
        ... or once it has sent more than C{lingerBytes} bytes, whichever
        comes first; the timer then goes.
        """
        tcp = HalfClosing()
        server, app, clock = serve(tcp, lingerBytes=1000)
        server.dataReceived(GARBAGE)
        server.dataReceived(b"x" * 1000)
        self.assertFalse(tcp.aborted)
        server.dataReceived(b"x")
        self.assertTrue(tcp.aborted)
        self.assertEqual(clock.getDelayedCalls(), [])
        server.connectionLost(Failure(ConnectionAborted()))
        self.assertAlertReason(app)

    def test_defaultByteBound(self) -> None:
        """
        The default byte bound lets a peer get a socket buffer's worth out.
        """
        tcp = HalfClosing()
        server, app, clock = serve(tcp)
        server.dataReceived(GARBAGE)
        for _ in range(DEFAULT_LINGER_BYTES // 65536):
            server.dataReceived(b"x" * 65536)
        self.assertFalse(tcp.aborted)
        server.dataReceived(b"x")
        self.assertTrue(tcp.aborted)

    def test_noHalfCloseStillLingers(self) -> None:
        """
        A transport that cannot half-close: the alert goes out, and the
        reading and discarding still happen within the bounds.
        """
        tcp = Recording()
        server, app, clock = serve(tcp)
        server.dataReceived(GARBAGE)
        self.assertEqual(plaintextAlerts(tcp.value())[0][0], 2)
        self.assertFalse(tcp.disconnecting)
        server.dataReceived(b"x" * 100)
        clock.advance(DEFAULT_LINGER_TIMEOUT)
        self.assertTrue(tcp.aborted)

    def test_readsWhilePaused(self) -> None:
        """
        Lingering reads even when the application had paused reading: the
        point is to empty the receive buffer.
        """
        c = Connected()
        c.flush()
        tcp = HalfClosing()
        # Move the connection onto a transport that shows pauses.
        c.server.transport = tcp
        tcp.registerProducer(c.server._flow, True)
        c.server.pauseProducing()
        self.assertEqual(tcp.producerState, "paused")
        c.server.dataReceived(GARBAGE)
        self.assertEqual(tcp.producerState, "producing")
        self.assertTrue(tcp.writeClosed)

    def test_peerAlertClosesAtOnce(self) -> None:
        """
        When the peer sent the fatal alert there is nothing of ours to
        protect: the connection closes at once, without lingering.
        """
        tcp = HalfClosing()
        server, app, clock = serve(tcp)
        server.dataReceived(b"\x15\x03\x03\x00\x02\x02\x28")  # fatal handshake_failure
        self.assertTrue(tcp.disconnecting)
        self.assertFalse(tcp.writeClosed)
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_lingerOff(self) -> None:
        """
        C{lingerTimeout=0} closes right after the alert, as before.
        """
        tcp = HalfClosing()
        server, app, clock = serve(tcp, lingerTimeout=0)
        server.dataReceived(GARBAGE)
        self.assertTrue(tcp.disconnecting)
        self.assertFalse(tcp.writeClosed)
        self.assertEqual(plaintextAlerts(tcp.value())[0][0], 2)

    def test_inMemoryPairEndsAtOnce(self) -> None:
        """
        Between our two ends the peer reads the alert and closes, which
        ends the lingering: both sides hear their reason once, no timer
        is left.
        """
        c = Connected()
        c.server.dataReceived(GARBAGE)
        c.flush()
        self.assertAlertReason(c.serverApp)
        clientReason = c.clientApp.lostReason
        assert clientReason is not None
        clientReason.trap(TLSAlertError)
        self.assertFalse(clientReason.value.sentByUs)
        self.assertEqual(c.clock.getDelayedCalls(), [])
