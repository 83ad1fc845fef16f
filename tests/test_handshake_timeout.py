# -*- test-case-name: tests.test_handshake_timeout -*-
"""
The first handshake's time limit, on a fake clock: a peer that connects
and stalls is cancelled (warning user_canceled, close_notify) and closed,
and the application hears L{TLSHandshakeTimeout}; a completed handshake
stops the clock; the limit is configurable and can be turned off.
"""

from __future__ import annotations

from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import (
    ClientOptions,
    ServerOptions,
    TLSFactory,
    TLSHandshakeTimeout,
    TLSProtocol,
)
from twisted_reneg.options import DEFAULT_HANDSHAKE_TIMEOUT
from twisted_reneg.tls.errors import AlertDescription

from ._connected import Connected, Recorder, clientOptions, serverOptions
from ._records import plaintextAlerts, splitRecords
from ._timers import clockNow, pendingTimers
from ._transports import HalfClosing

CANCELLED = [(1, AlertDescription.user_canceled), (1, AlertDescription.close_notify)]


def connect(
    options: ServerOptions | ClientOptions, app: Protocol | None = None
) -> tuple[TLSProtocol, Recorder, HalfClosing, Clock]:
    clock = clockNow()
    recorder = app or Recorder()
    isClient = isinstance(options, ClientOptions)
    factory = TLSFactory(options, isClient, Factory.forProtocol(lambda: recorder), clock=clock)
    protocol = factory.buildProtocol(None)
    tcp = HalfClosing()
    protocol.makeConnection(tcp)
    return protocol, recorder, tcp, clock  # type: ignore[return-value]


def clientHello() -> bytes:
    """
    A real ClientHello, from our own client.
    """
    return connect(clientOptions())[2].value()


class HandshakeTimeoutTests(SynchronousTestCase):
    def assertTimedOut(self, app: Recorder, seconds: float) -> None:
        self.assertEqual(app.calls.count("connectionLost"), 1)
        reason = app.lostReason
        assert reason is not None
        reason.trap(TLSHandshakeTimeout)
        self.assertEqual(reason.value.timeout, seconds)
        self.assertIn(f"{seconds:g} seconds", str(reason.value))

    def test_silentPeer(self) -> None:
        """
        A client that connects and sends nothing: after the default 30
        seconds the server cancels the handshake and closes its side; the
        application hears TLSHandshakeTimeout once TCP is gone.
        """
        server, app, tcp, clock = connect(serverOptions())
        clock.advance(DEFAULT_HANDSHAKE_TIMEOUT - 0.5)
        self.assertEqual(tcp.value(), b"")
        self.assertFalse(tcp.writeClosed)
        clock.advance(0.5)
        self.assertEqual(plaintextAlerts(tcp.value()), CANCELLED)
        self.assertTrue(tcp.writeClosed)
        server.connectionLost(Failure(ConnectionDone()))
        self.assertTimedOut(app, DEFAULT_HANDSHAKE_TIMEOUT)
        self.assertEqual(pendingTimers(clock), [])

    def test_halfAClientHello(self) -> None:
        """
        Half a ClientHello holds the connection no longer.
        """
        server, app, tcp, clock = connect(serverOptions(handshakeTimeout=5))
        hello = clientHello()
        server.dataReceived(hello[: len(hello) // 2])
        clock.advance(5)
        self.assertEqual(plaintextAlerts(tcp.value()), CANCELLED)
        # What it sends after that is discarded; the lingering ends on time.
        server.dataReceived(hello[len(hello) // 2 :])
        self.assertEqual(plaintextAlerts(tcp.value()), CANCELLED)
        clock.advance(server.factory.lingerTimeout)
        self.assertTrue(tcp.aborted)
        server.connectionLost(Failure(ConnectionDone()))
        self.assertTimedOut(app, 5)

    def test_midHandshake(self) -> None:
        """
        A client that stops after the server's flight: the cancellation
        goes out under the handshake keys (TLS 1.3), as any record then,
        and the client reads it (it finished on that flight; the server
        never got its Finished): it hears the close and closes.
        """
        server, app, tcp, clock = connect(serverOptions(handshakeTimeout=5))
        client, clientApp, clientTCP, _ = connect(clientOptions(handshakeTimeout=None))
        server.dataReceived(clientTCP.value())
        flight = tcp.value()
        clock.advance(5)
        records = splitRecords(tcp.value()[len(flight) :])
        self.assertEqual([t for t, _ in records], [23, 23])  # encrypted alerts
        client.dataReceived(tcp.value())
        self.assertTrue(clientTCP.disconnecting)
        assert client._tls is not None
        self.assertTrue(client._tls.closeReceived)
        server.connectionLost(Failure(ConnectionDone()))
        self.assertTimedOut(app, 5)

    def test_clientSide(self) -> None:
        """
        A server that accepts and never answers: the client gives up the
        same way.
        """
        client, app, tcp, clock = connect(clientOptions(handshakeTimeout=2.5))
        hello = tcp.value()
        clock.advance(2.5)
        self.assertEqual(plaintextAlerts(tcp.value()[len(hello) :]), CANCELLED)
        client.connectionLost(Failure(ConnectionDone()))
        self.assertTimedOut(app, 2.5)

    def test_peerCancelsIsNoCleanClose(self) -> None:
        """
        The other side of a timeout: a server that cancels our handshake
        (user_canceled, close_notify) did not let us connect, so the
        application hears ConnectionLost, not ConnectionDone.
        """
        client, app, tcp, clock = connect(clientOptions())
        cancel = bytes((21, 3, 3, 0, 2, 1, AlertDescription.user_canceled))
        cancel += bytes((21, 3, 3, 0, 2, 1, AlertDescription.close_notify))
        client.dataReceived(cancel)
        client.connectionLost(Failure(ConnectionDone()))
        reason = app.lostReason
        assert reason is not None
        reason.trap(ConnectionLost)
        self.assertIn("during the TLS handshake", str(reason.value))
        self.assertNotIn("handshakeCompleted", app.calls)

    def test_closeWaitingForTheHandshake(self) -> None:
        """
        A loseConnection() made before the handshake waits for it; the
        limit still ends a stalled one.
        """

        class Impatient(Recorder):
            def connectionMade(self) -> None:
                super().connectionMade()
                self.transport.write(b"never sent")
                self.transport.loseConnection()

        server, app, tcp, clock = connect(serverOptions(), Impatient())
        clock.advance(DEFAULT_HANDSHAKE_TIMEOUT)
        self.assertEqual(plaintextAlerts(tcp.value()), CANCELLED)
        server.connectionLost(Failure(ConnectionDone()))
        self.assertTimedOut(app, DEFAULT_HANDSHAKE_TIMEOUT)

    def test_completedHandshakeStopsTheClock(self) -> None:
        """
        Once the handshake is done no timer is left, and the connection
        outlives the limit.
        """
        c = Connected(server=serverOptions(handshakeTimeout=1), client=clientOptions())
        c.flush()
        self.assertEqual(pendingTimers(c.clock), [])
        c.clock.advance(DEFAULT_HANDSHAKE_TIMEOUT + 1)
        c.client.write(b"still here")
        c.flush()
        self.assertEqual(c.serverApp.data, b"still here")  # type: ignore[attr-defined]

    def test_off(self) -> None:
        """
        C{handshakeTimeout=0} or C{None}: no limit at all.
        """
        for off in (0, None):
            server, app, tcp, clock = connect(serverOptions(handshakeTimeout=off))
            self.assertEqual(pendingTimers(clock), [])
            clock.advance(10 * DEFAULT_HANDSHAKE_TIMEOUT)
            self.assertEqual(tcp.value(), b"")

    def test_badValues(self) -> None:
        for bad in (-1, float("inf"), float("nan")):
            self.assertRaises(ValueError, serverOptions, handshakeTimeout=bad)
            self.assertRaises(ValueError, clientOptions, handshakeTimeout=bad)
