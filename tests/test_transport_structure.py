"""
The transport's tables: every engine event has a handler or is ignored on
purpose, and the lifecycle moves only as its table of legal moves says,
arming and cancelling the timer each phase owns.
"""

from __future__ import annotations

import inspect

from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.test.proto_helpers import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import transport
from twisted_reneg._lifecycle import MOVES, PHASE_TIMERS, Phase
from twisted_reneg.testing.memory import TLSPair
from twisted_reneg.tls import events
from twisted_reneg.transport import TLSFactory, TLSProtocol

from ._connected import clientOptions, serverOptions


def eventTypes() -> set[type[events.Event]]:
    """
    Every event the engine defines.
    """
    return {
        value
        for value in vars(events).values()
        if isinstance(value, type)
        and issubclass(value, events.Event)
        and value is not events.Event
        and value.__module__ == events.__name__
    }


class DispatchTableTests(SynchronousTestCase):
    def test_everyEventHandledOrIgnored(self) -> None:
        """
        Each event of L{twisted_reneg.tls.events} is in the transport's
        handler table or in its set of ignored events: a new event without
        either fails here instead of being dropped silently.
        """
        handled = set(transport._HANDLERS)
        ignored = set(transport._IGNORED_EVENTS)
        missing = {cls.__name__ for cls in eventTypes() - handled - ignored}
        self.assertEqual(missing, set())

    def test_handledAndIgnoredApart(self) -> None:
        """
        No event is both handled and ignored, and both tables name only
        engine events.
        """
        handled = set(transport._HANDLERS)
        ignored = set(transport._IGNORED_EVENTS)
        self.assertEqual(handled & ignored, set())
        self.assertEqual((handled | ignored) - eventTypes(), set())


def connection(clock: Clock, handshakeTimeout: float | None = 30.0) -> TLSProtocol:
    """
    A server connection on a string transport, its handshake started.
    """
    factory = TLSFactory(
        serverOptions(handshakeTimeout=handshakeTimeout),
        False,
        Factory.forProtocol(Protocol),
        clock=clock,
    )
    protocol = TLSProtocol(factory, Protocol())
    protocol.makeConnection(StringTransport())
    return protocol


class LifecycleTableTests(SynchronousTestCase):
    def test_everyPhaseHasMoves(self) -> None:
        """
        The table covers every phase; C{LOST} is the end, and every other
        phase can reach it.
        """
        self.assertEqual(set(MOVES), set(Phase))
        self.assertEqual(MOVES[Phase.LOST], frozenset())
        for phase in Phase:
            if phase is not Phase.LOST:
                self.assertIn(Phase.LOST, MOVES[phase], phase)

    def test_illegalMoveRaises(self) -> None:
        """
        A move the table does not list is a bug: L{TLSProtocol._moveTo}
        raises, and the phase stays.
        """
        protocol = connection(Clock())
        self.assertIs(protocol._phase, Phase.HANDSHAKING)
        self.assertRaises(RuntimeError, protocol._moveTo, Phase.CLOSING)
        self.assertIs(protocol._phase, Phase.HANDSHAKING)

    def test_timerFollowsPhase(self) -> None:
        """
        Entering a phase arms the timer it owns (the handshake timer, the
        linger timer); leaving it cancels that timer.
        """
        clock = Clock()
        protocol = connection(clock)
        handshakeTimer = protocol._timer
        assert handshakeTimer is not None
        self.assertTrue(handshakeTimer.active())
        self.assertEqual(handshakeTimer.getTime(), 30.0)
        protocol._moveTo(Phase.LINGERING)
        self.assertFalse(handshakeTimer.active())
        lingerTimer = protocol._timer
        assert lingerTimer is not None
        self.assertEqual(lingerTimer.getTime(), protocol.factory.lingerTimeout)
        self.assertTrue(protocol.disconnecting)
        protocol._moveTo(Phase.LOST)
        self.assertFalse(lingerTimer.active())
        self.assertIsNone(protocol._timer)

    def test_noTimerWhenNoneConfigured(self) -> None:
        """
        A phase whose timer is turned off (no handshake timeout) arms none.
        """
        protocol = connection(Clock(), handshakeTimeout=None)
        self.assertIs(protocol._phase, Phase.HANDSHAKING)
        self.assertIsNone(protocol._timer)

    def test_timersOnlyForTheirPhases(self) -> None:
        """
        Only the handshake, a close and a lingering close are timed.
        """
        self.assertEqual(set(PHASE_TIMERS), {Phase.HANDSHAKING, Phase.CLOSING, Phase.LINGERING})


class SizeTests(SynchronousTestCase):
    def test_methodCount(self) -> None:
        """
        L{TLSProtocol} keeps setup, dispatch, flush and close, and the
        interfaces it provides: at most 25 methods (properties count).
        """
        defined = [
            name
            for name, value in vars(TLSProtocol).items()
            if inspect.isfunction(value) or isinstance(value, property)
        ]
        self.assertLessEqual(len(defined), 25, sorted(defined))


class ReturnsSomething(Protocol):
    """
    An application whose C{dataReceived} returns a value, as
    C{LineReceiver}'s does when C{lineReceived} returns one.
    """

    def __init__(self) -> None:
        self.received = b""

    def dataReceived(self, data: bytes) -> object:
        self.received += data
        return 1  # what lineReceived returned, say


class DispatchResultTests(SynchronousTestCase):
    def test_applicationReturnValueIgnored(self) -> None:
        """
        What the application's C{dataReceived} returns does not reach the
        dispatch loop (which takes only the answer to a renegotiation
        request as more events): the data is delivered and the
        connection goes on.
        """
        server = ReturnsSomething()
        pair = TLSPair(serverOptions(), clientOptions(), serverProtocol=server)
        pair.flush()
        pair.client.write(b"one")
        pair.flush()
        pair.client.write(b"two")
        pair.flush()
        self.assertEqual(server.received, b"onetwo")
        self.assertFalse(pair.server.disconnecting)
