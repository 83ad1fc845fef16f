# -*- test-case-name: tests.interop.test_flow_control -*-
"""
Flow control of one connection: the application's producer behind a
membrane, TCP's back pressure, the accounting of our replies to a peer
that may not read them, and why reading from TCP is paused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IPushProducer
from twisted.logger import LogLevel
from zope.interface import implementer

from ._connectionlog import logEvent
from ._lifecycle import Phase

if TYPE_CHECKING:
    from .transport import TLSProtocol

#: Reasons reading from TCP is wanted paused (bits of
#: L{FlowControl._readPausedBy}).  The application paused us: we are its
#: push producer of received data.
_APPLICATION = 1
#: TCP's write buffer is full of replies the peer does not read (see
#: L{FlowControl.checkReplies}).
_BACKPRESSURE = 2


@implementer(IPushProducer)
class ProducerMembrane:
    """
    Stands between the application's producer and the TCP transport, so the
    pauses we impose (handshake running) and those TCP imposes (back
    pressure, relayed by L{FlowControl}) add up instead of undoing each
    other.

    @ivar _pausedBy: the set of reasons the producer is paused for.
    """

    def __init__(self, producer: Any) -> None:
        self._producer = producer
        self._pausedBy: set[str] = set()

    def _pause(self, why: str) -> None:
        if not self._pausedBy:
            self._producer.pauseProducing()
        self._pausedBy.add(why)

    def _resume(self, why: str) -> None:
        if why not in self._pausedBy:
            return
        self._pausedBy.discard(why)
        if not self._pausedBy:
            self._producer.resumeProducing()

    def pauseProducing(self) -> None:
        self._pause("transport")

    def resumeProducing(self) -> None:
        self._resume("transport")

    def stopProducing(self) -> None:
        self._producer.stopProducing()


@implementer(IPushProducer)
class FlowControl:
    """
    Registered with the TCP transport as its producer for the life of the
    connection, so that TCP tells us whenever its write buffer is full
    (over 64 KiB) and when it has drained.  The application's producer is
    paused meanwhile, and our reading of the peer too if the buffer is full
    of our replies to it (L{checkReplies}): a peer that stops reading must
    stop being read, or what we answer it piles up without bound.

    Slotted: every connection has one, and a slotted object is the
    smallest.

    @ivar producer: the application's producer, behind its membrane.
    @ivar _readPausedBy: why reading from TCP is wanted paused: bits
        C{_APPLICATION} and C{_BACKPRESSURE}.  During the first handshake
        the application's pause waits: the handshake needs the bytes, and
        an application like twisted.web's HTTPChannel pauses its transport
        whenever its own producer is paused, which it is while the
        handshake runs.  While lingering nothing pauses reading.
    @ivar _readingPaused: whether we have TCP paused now.
    @ivar _registered: whether we are registered with TCP (TCP does not
        close while a producer is registered).
    @ivar _tcpFull: TCP said its write buffer is full and has not drained.
    @ivar countingReplies: the transport is handling input (after the first
        handshake): what goes to TCP now is a reply to the peer.
    @ivar unsentReplies: bytes of replies handed to TCP since its buffer was
        last empty; see L{checkReplies}.
    """

    __slots__ = (
        "_protocol",
        "producer",
        "_readPausedBy",
        "_readingPaused",
        "_registered",
        "_tcpFull",
        "countingReplies",
        "unsentReplies",
    )

    def __init__(self, protocol: TLSProtocol) -> None:
        self._protocol = protocol
        self.producer: ProducerMembrane | None = None
        self._readPausedBy = 0
        self._readingPaused = False
        self._registered = False
        self._tcpFull = False
        self.countingReplies = False
        self.unsentReplies = 0

    # --- TCP, below ---------------------------------------------------------

    def register(self) -> None:
        """
        Register with the TCP transport, if it takes a producer.
        """
        try:
            self._protocol.transport.registerProducer(self, True)
        except (RuntimeError, AttributeError):
            # startTLS on a transport with a producer of its own, or a
            # transport that takes none: no back pressure from it then.
            logEvent(
                self._protocol,
                "TLS: the transport below takes no producer of ours",
                level=LogLevel.debug,
            )
            return
        self._registered = True

    def release(self) -> None:
        """
        Unregister from TCP before closing it: a TCP transport with a
        producer registered does not close (nor half-close) until it is
        unregistered.
        """
        if self._registered:
            self._registered = False
            self._protocol.transport.unregisterProducer()

    def pauseProducing(self) -> None:
        """
        TCP's write buffer went over its limit.
        """
        self._tcpBackedUp(True)

    def resumeProducing(self) -> None:
        """
        TCP's write buffer is empty.
        """
        self._tcpBackedUp(False)

    def stopProducing(self) -> None:
        """
        TCP is going away and stops its producer (us): stop the
        application's.
        """
        self.stopApplicationProducer()

    def _tcpBackedUp(self, full: bool) -> None:
        """
        Pause or resume the application's producer, and resume our reading
        of the peer if replies had paused it.
        """
        self._tcpFull = full
        membrane = self.producer
        if membrane is not None:
            if full:
                membrane._pause("transport")
            else:
                membrane._resume("transport")
        if full:
            self.checkReplies()
        else:
            self.unsentReplies = 0
            self._readPausedBy &= ~_BACKPRESSURE
            self.updateReading()

    def checkReplies(self) -> None:
        """
        Stop reading a peer that does not read what we answer it.

        Replies are what we hand TCP while handling input after the first
        handshake: the application's answers and the TLS layer's own
        (KeyUpdate answers, renegotiation flights, alerts).  Once TCP's
        buffer is full and more than C{factory.maxUnsentReplies} bytes of
        replies went into it since it was last empty, reading stops until
        it drains, so the peer's input, and with it what we buffer for the
        peer, stays bounded.  Output the application makes on its own (a
        producer, a timer, what it wrote before the handshake) does not
        count: pausing our reading cannot bound it (producers are paused
        for that), and a peer that answers it, like an echo server that
        blocks while we do not read, would then deadlock with us.
        """
        if self._tcpFull and self.unsentReplies > self._protocol.factory.maxUnsentReplies:
            if not self._readPausedBy & _BACKPRESSURE:
                logEvent(
                    self._protocol,
                    "TLS: the peer does not read our replies; pausing reading",
                    level=LogLevel.debug,
                )
            self._readPausedBy |= _BACKPRESSURE
            self.updateReading()

    # --- reading ------------------------------------------------------------

    def applicationPaused(self, paused: bool) -> None:
        """
        The application paused (or resumed) us, its producer of received
        data: stop (or go on) reading from TCP, after the first handshake.
        """
        if paused:
            self._readPausedBy |= _APPLICATION
        else:
            self._readPausedBy &= ~_APPLICATION
        self.updateReading()

    def updateReading(self) -> None:
        """
        Pause or resume reading from TCP as C{_readPausedBy} says.
        """
        protocol = self._protocol
        phase = protocol._phase
        if phase is Phase.LOST or protocol.transport is None:
            return
        reasons = self._readPausedBy
        tls = protocol._tls
        if tls is None or not tls.handshakeComplete:
            reasons &= ~_APPLICATION
        paused = bool(reasons) and phase is not Phase.LINGERING
        if paused != self._readingPaused:
            self._readingPaused = paused
            if paused:
                protocol.transport.pauseProducing()
            else:
                protocol.transport.resumeProducing()

    # --- the application's producer, above ----------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """
        Register the application's producer.  It is paused while the first
        handshake runs and while TCP's write buffer is full.
        """
        protocol = self._protocol
        if protocol._phase is Phase.LOST:
            producer.stopProducing()
            return
        if self.producer is not None:
            raise RuntimeError(
                f"Cannot register producer {producer!r}, because producer "
                f"{self.producer._producer!r} was never unregistered."
            )
        pushProducer: Any = producer
        if not streaming:
            from twisted.internet._producer_helpers import _PullToPush

            pushProducer = _PullToPush(producer, protocol)
        membrane = ProducerMembrane(pushProducer)
        self.producer = membrane
        if not streaming:
            # Before any pause: a _PullToPush can only pause once started.
            pushProducer.startStreaming()
        tls = protocol._tls
        if tls is None or not tls.handshakeComplete:
            membrane._pause("handshake")
        if self._tcpFull:
            membrane._pause("transport")

    def unregisterProducer(self) -> bool:
        """
        @return: whether a producer was registered.
        """
        membrane = self.producer
        if membrane is None:
            return False
        inner = membrane._producer
        if hasattr(inner, "stopStreaming"):
            inner.stopStreaming()
        self.producer = None
        return True

    def handshakeCompleted(self) -> None:
        """
        The first handshake completed: the application's pause of our
        reading counts now, and its producer may produce.
        """
        self.updateReading()
        if self.producer is not None:
            self.producer._resume("handshake")

    def stopApplicationProducer(self) -> None:
        """
        As TCP does for its producer when the connection ends: the
        application's producer hears C{stopProducing} (before its protocol
        hears C{connectionLost}).
        """
        membrane, self.producer = self.producer, None
        if membrane is not None:
            membrane.stopProducing()

    def connectionLost(self) -> None:
        """
        TCP is gone, and forgot its producer.
        """
        self._registered = False
