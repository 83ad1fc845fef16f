# -*- test-case-name: tests.test_transport -*-
"""
The Twisted side: L{TLSFactory} wraps a protocol factory, and each connection
gets a L{TLSProtocol} that drives a sans-IO L{TLSConnection} and is the
transport the application's protocol sees.

The shape follows L{twisted.protocols.tls.TLSMemoryBIOFactory} so that an
application moves over by changing one line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import (
    IConsumer,
    IDelayedCall,
    IHalfCloseableProtocol,
    IHandshakeListener,
    INegotiated,
    IProtocolNegotiationFactory,
    IPushProducer,
    IReactorTime,
    ISSLTransport,
    ITCPTransport,
)
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger, LogLevel
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory
from twisted.python.failure import Failure
from zope.interface import directlyProvides, implementer, providedBy

from ._drain import drainOnShutdown
from ._renegotiation import PendingRenegotiation, QueuedRequest, Waiter
from .interfaces import IKeyingMaterialExporter, IRenegotiatingTransport, IRenegotiationListener
from .options import ClientOptions, ServerOptions
from .tls.connection import TLSConnection
from .tls.errors import (
    LocalUsageError,
    PostHandshakeAuthNotOffered,
    RenegotiationRefused,
    RenegotiationTimeout,
    TLSAlertError,
    TLSHandshakeTimeout,
    alertName,
)
from .tls.events import (
    AlertReceived,
    ApplicationData,
    CloseNotifyReceived,
    ConnectionFailed,
    Event,
    HandshakeCompleted,
    KeysUpdated,
    PostHandshakeAuthCompleted,
    RenegotiationRequested,
    SessionTicketReceived,
)
from .tls.events import (
    RenegotiationRefused as RenegotiationRefusedEvent,
)
from .tls.records import MAX_PLAINTEXT
from .tls.session import TLSSession
from .tls.tickets import ClientSessionCache

#: Seconds to wait for the peer's close_notify after sending ours before the
#: TCP connection is dropped anyway.
DEFAULT_CLOSE_TIMEOUT = 10.0

#: Lingering close after a fatal alert of ours: at most this many seconds
#: of reading and discarding before the connection is dropped.  Apache's
#: figure (SECONDS_TO_LINGER): long enough for a peer in the middle of a
#: write to finish it and read the alert, short enough that a peer which
#: keeps sending costs us little.
DEFAULT_LINGER_TIMEOUT = 2.0

#: ... and at most this many bytes: Linux's largest default send buffer
#: (tcp_wmem), so that a peer blocked in one big write can get what it has
#: buffered out and come to read.  Discarding costs no memory; the bound
#: only caps the work a flooding peer gets out of us.
DEFAULT_LINGER_BYTES = 4 << 20

#: Bytes of replies to a peer's input that may wait in TCP's write buffer
#: (once it is full) before we stop reading that peer: a few TCP buffers'
#: worth, so that request/response traffic never notices, while a peer that
#: sends without reading cannot make us buffer more than this plus one
#: read's worth of answers.
DEFAULT_MAX_UNSENT_REPLIES = 256 << 10

#: Seconds without a record in a direction after which its cipher context
#: (some 2.4 KiB of OpenSSL state) is dropped, to be remade at the next
#: record: see L{TLSProtocol._releaseIdleCiphers}.  Short, so that a burst
#: of new connections does not hold thousands of contexts at once (RSS does
#: not shrink again: bench/idle.py measured 6.0 KiB per idle connection with
#: one second, 4.3 with this); long enough that a connection exchanging
#: messages many times a second keeps its contexts.
DEFAULT_CIPHER_IDLE_TIME = 0.1


def _cancel(call: IDelayedCall | None) -> None:
    """
    Cancel C{call} if it is still pending (a call that ran or was
    cancelled already is left alone).
    """
    if call is not None and call.active():
        call.cancel()


def _peerCertificateSummary(session: TLSSession) -> str:
    """
    For the log: whether the peer proved a certificate, and if one was
    refused, why (the reason names the certificate, never key material).
    """
    if session.peerCertificate is not None:
        return "present"
    if session.peerCertificateError is not None:
        return f"refused ({session.peerCertificateError})"
    return "absent"


@implementer(IPushProducer)
class _ProducerMembrane:
    """
    Stands between the application's producer and the TCP transport, so the
    pauses we impose (handshake running) and those TCP imposes (back
    pressure, relayed by L{_BackPressure}) add up instead of undoing each
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
class _BackPressure:
    """
    Registered with the TCP transport for the life of the connection, so
    that TCP tells us whenever its write buffer is full (over 64 KiB) and
    when it has drained.  The application's producer is paused meanwhile,
    and our reading of the peer too if the buffer is full of our replies to
    it (L{TLSProtocol._checkReplies}): a peer that stops reading must stop
    being read, or what we answer it piles up without bound.
    """

    def __init__(self, protocol: TLSProtocol) -> None:
        self._protocol = protocol

    def pauseProducing(self) -> None:
        self._protocol._tcpBackedUp(True)

    def resumeProducing(self) -> None:
        self._protocol._tcpBackedUp(False)

    def stopProducing(self) -> None:
        self._protocol._tcpStopped()


@implementer(
    ISSLTransport,
    INegotiated,
    IConsumer,
    IPushProducer,
    IRenegotiatingTransport,
    IKeyingMaterialExporter,
)
class TLSProtocol(ProtocolWrapper):
    """
    One TLS connection: the transport of the wrapped protocol.

    Time, for everything on the connection, is C{factory.clock}: the
    timers here, and what the engine asks the time for (L{_now}:
    certificate validity, the renegotiation rate limit, ticket ages and
    lifetimes) and the client session cache.  A test's L{Clock
    <twisted.internet.task.Clock>} is then the only time a connection
    knows.

    @ivar _tls: the engine.
    @ivar _handshakeDone: whether the first handshake completed; until then
        a registered producer is paused and writes wait (whole records in
        the engine, the rest in C{_plaintext}).
    @ivar _reason: the first reason the connection is going away, kept so
        that C{connectionLost} reports the TLS failure rather than the TCP
        close it caused (one exit path, as in Twisted's tls.py).
    @ivar _closeWanted: the application called C{loseConnection} before it
        could be honoured (handshake running or a producer registered).
    @ivar _closeTimer: pending drop if the peer never answers close_notify.
    @ivar _lost: C{connectionLost} already ran.
    @ivar _renegotiation: the renegotiation (TLS 1.3: post-handshake auth)
        running in the engine and the callers waiting for it, until it
        completes, is refused, times out or the connection ends.
    @ivar _queue: requests waiting for C{_renegotiation} to end, oldest
        first.  Each starts after the one ahead of it whatever that one's
        outcome; only connection loss (or its own timeout) fails it.
    @ivar _startingNext: L{_startNext} is running (a callback of a request
        that failed at once may call in again).
    @ivar _readPausedBy: why reading from TCP is wanted paused:
        C{"application"} (the application paused us: we are its push
        producer of received data) and C{"backpressure"} (TCP's write
        buffer is full of replies the peer does not read, see
        L{_checkReplies}).  During the first handshake the application's
        pause waits: the handshake needs the bytes, and an application like
        twisted.web's HTTPChannel pauses its transport whenever its own
        producer is paused, which it is while the handshake runs.  While
        lingering nothing pauses reading.
    @ivar _readingPaused: whether we have TCP paused now.
    @ivar _backPressure: our producer registered with TCP, or C{None} once
        released (TCP does not close while a producer is registered).
    @ivar _tcpFull: TCP said its write buffer is full and has not drained.
    @ivar _countingReplies: we are handling input (after the first
        handshake): what goes to TCP now is a reply to the peer.
    @ivar _unsentReplies: bytes of replies handed to TCP since its buffer
        was last empty; see L{_checkReplies}.
    @ivar _plaintext: application data written and not yet sealed into
        records, at most one record's worth (L{MAX_PLAINTEXT}): writes are
        coalesced so that what the application writes in one reactor turn
        leaves in as few records as possible.  It is sealed at the end of
        our C{dataReceived} (writes made while we deliver data or events),
        by C{_flushCall} (writes from anywhere else), and before any other
        call into the engine, so the engine sees the same calls in the same
        order as without the buffer, only fewer and larger writes.
    @ivar _plaintextSize: bytes in C{_plaintext}.
    @ivar _flushCall: the pending C{callLater(0)} that seals C{_plaintext}.
        A call scheduled while the reactor handles I/O makes its next poll
        non-blocking, so the data leaves before the reactor next waits.
    @ivar _delivering: depth of our C{dataReceived}; writes made inside it
        need no C{_flushCall}, its end seals them.
    @ivar _handshakeTimer: closes the connection if the first handshake
        does not complete within C{options.handshakeTimeout}.
    @ivar _lingering: a fatal alert of ours (or a cancelled handshake) is
        out: our write side is closed and what the peer still sends is read
        and discarded, so that unread bytes do not turn our close into a
        TCP reset that destroys the alert before the peer reads it.
    @ivar _lingerTimer: ends the lingering after C{factory.lingerTimeout}.
    @ivar _lingerDiscarded: bytes discarded while lingering (bounded by
        C{factory.lingerBytes}).
    @ivar _log: this connection's logger (its events name the connection
        as their source).  What happens to one connection is logged only
        when the options say C{logTLSEvents}: see L{_logEvent}.  The
        failure of an application callback is logged whatever they say.
    """

    _log = Logger()
    factory: TLSFactory
    #: The TCP transport below us (Twisted types it as an optional ITransport;
    #: we only touch it while connected, and use ITCPTransport methods).
    transport: Any

    # Class-level defaults for state most connections never change: an
    # instance's own attributes stay few enough (CPython shares the keys of
    # instance dicts of up to 30 attributes) that an idle connection's dict
    # takes some 300 bytes rather than 1.5 KiB.  Each is assigned on the
    # instance when it changes.
    _halfCloseWanted: bool = False
    _writeClosed: bool = False
    _aborted: bool = False
    _startingNext: bool = False
    #: client: where sessions to resume are kept, and under which key.
    _sessionCache: ClientSessionCache | None = None
    _sessionCacheKey: tuple[str, int] = ("", 0)
    _tcpFull: bool = False
    _countingReplies: bool = False
    _unsentReplies: int = 0
    _lingering: bool = False
    _lingerTimer: IDelayedCall | None = None
    _lingerDiscarded: int = 0
    _backPressure: _BackPressure | None = None
    _cipherTimer: IDelayedCall | None = None
    #: L{write} checked that the connection is writable and that a flush
    #: is due; reset by L{_flush} and whatever ends writing, so that the
    #: next write checks again.
    _writesChecked: bool = False
    #: L{_loseTCP} ran: no more records either way.
    _tcpClosing: bool = False

    def __init__(
        self, factory: TLSFactory, wrappedProtocol: Any, connectWrapped: bool = True
    ) -> None:
        """
        @param connectWrapped: whether to tell the wrapped protocol about the
            connection (C{makeConnection}); L{startTLS} upgrades a protocol
            that is already connected, so it says no.
        """
        super().__init__(factory, wrappedProtocol)
        self._connectWrapped = connectWrapped
        self._tls: TLSConnection | None = None
        self._handshakeDone = False
        self._reason: Failure | None = None
        self._closeWanted = False
        self._closeTimer: IDelayedCall | None = None
        self._producer: _ProducerMembrane | None = None
        self._lost = False
        self._renegotiation: PendingRenegotiation | None = None
        # A list, not a deque: it holds a request or two at most, and an
        # empty deque costs some 600 bytes on every idle connection.
        self._queue: list[QueuedRequest] = []
        self._readPausedBy: set[str] = set()
        self._readingPaused = False
        self._handshakeWaiters: list[Deferred[None]] = []
        self._plaintext: list[bytes] = []
        self._plaintextSize = 0
        self._flushCall: IDelayedCall | None = None
        self._delivering = 0
        self._handshakeTimer: IDelayedCall | None = None

    # --- connection setup ---------------------------------------------------

    def makeConnection(self, transport: Any) -> None:
        wrappedFactory = self.factory.wrappedFactory
        alpn = None
        if IProtocolNegotiationFactory.providedBy(wrappedFactory):
            alpn = tuple(wrappedFactory.acceptableProtocols())
        options = self.factory.options
        config = options.tlsConfig(alpn)
        if isinstance(options, ClientOptions) and options.sessionCache is not None:
            # Sessions are kept per server: the name we verify and the port.
            self._sessionCache = options.sessionCache
            port = getattr(transport.getPeer(), "port", 0)
            self._sessionCacheKey = (config.serverName or "", port)
            # The engine's time (_now), so that cache and engine judge a ticket alike.
            ticket = self._sessionCache.take(self._sessionCacheKey, self._now().timestamp())
            if ticket is not None:
                config = config.withResumeTicket(ticket)
        self._tls = TLSConnection(
            config, now=self._now, renegotiationFilter=self._applicationAllowsRenegotiation
        )
        if self._connectWrapped:
            # ProtocolWrapper.makeConnection makes us provide what the TCP
            # transport provides (ITCPTransport...) and then tells the wrapped
            # protocol: connectionMade comes before the handshake, as in Twisted.
            super().makeConnection(transport)
        else:
            Protocol.makeConnection(self, transport)
            self.factory.registerProtocol(self)
            self.wrappedProtocol.transport = self  # type: ignore[attr-defined]
        directlyProvides(self, providedBy(transport))
        if self._aborted or self._tls.failed:
            return
        self._registerBackPressure()
        timeout = self.factory.options.handshakeTimeout
        if timeout is not None:
            self._handshakeTimer = self.factory.clock.callLater(timeout, self._handshakeTimedOut)
        self._tls.startHandshake()
        self._flush()

    def _now(self) -> datetime:
        """
        The engine's clock: C{factory.clock}'s time, as a UTC date.
        """
        return datetime.fromtimestamp(self.factory.clock.seconds(), timezone.utc)

    def _registerBackPressure(self) -> None:
        backPressure = _BackPressure(self)
        try:
            self.transport.registerProducer(backPressure, True)
        except (RuntimeError, AttributeError):
            # startTLS on a transport with a producer of its own, or a
            # transport that takes none: no back pressure from it then.
            self._logEvent(
                "TLS: the transport below takes no producer of ours", level=LogLevel.debug
            )
            return
        self._backPressure = backPressure

    def _releaseTCP(self) -> None:
        """
        Unregister L{_BackPressure} before closing TCP: a TCP transport with
        a producer registered does not close (nor half-close) until it is
        unregistered.
        """
        backPressure, self._backPressure = self._backPressure, None
        if backPressure is not None:
            self.transport.unregisterProducer()

    def _handshakeTimedOut(self) -> None:
        """
        The first handshake took too long: a peer that connects and stalls
        (sends nothing, or half a ClientHello) may not hold a connection.
        There is no timeout alert; we cancel the handshake the way RFC 8446
        6.1 describes for reasons that are no protocol failure (a warning
        user_canceled, then close_notify) and close.
        """
        self._handshakeTimer = None
        tls = self._tls
        if tls is None or self._handshakeDone or self._lost or self._aborted or self._lingering:
            return
        timeout = self.factory.options.handshakeTimeout
        assert timeout is not None
        self._logEvent(
            "TLS handshake not completed within {timeout} seconds; closing", timeout=timeout
        )
        if self._reason is None:
            self._reason = Failure(TLSHandshakeTimeout(timeout))
        tls.cancelHandshake()
        self._lingeringClose()

    def _cancelHandshakeTimer(self) -> None:
        _cancel(self._handshakeTimer)
        self._handshakeTimer = None

    # --- bytes in -----------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        tls = self._tls
        if tls is None or self._aborted:
            return
        if self._lingering:
            self._discard(data)
            return
        # What the application wrote before this arrived goes first: the
        # engine may answer this input (a close_notify, a KeyUpdate) at once.
        self._flush()
        # Output made while we handle this input counts as replies (see
        # _checkReplies); not in the read that completes the first
        # handshake, which releases what was written before it.
        self._countingReplies = self._handshakeDone
        self._delivering += 1
        try:
            events = tls.receiveData(data)
            while True:
                self._flush()
                for event in events:
                    if self._aborted:
                        return
                    self._handleEvent(event)
                if not tls.inputHeld or self._lost:
                    break
                # The engine stopped before a peer's renegotiation request
                # so that the application heard what came first; now it is
                # asked (after what it wrote meanwhile is sealed).
                self._flush()
                events = tls.receiveData(b"")
            # What the application wrote while hearing this input, in as
            # few records as possible, in this reactor turn.
            self._flush()
        finally:
            self._delivering -= 1
            self._countingReplies = False
        if self._cipherTimer is None:
            self._armCipherTimer()
        self._checkReplies()

    def _armCipherTimer(self) -> None:
        if self._lost or self._lingering or self._tcpClosing:
            return  # no more records: nothing to release later
        self._cipherTimer = self.factory.clock.callLater(
            self.factory.cipherIdleTime, self._releaseIdleCiphers
        )

    def _releaseIdleCiphers(self) -> None:
        """
        Records flowed since the timer was set: drop the cipher contexts of
        the directions that have been idle since the last time, and look
        again later while any is kept.  An idle connection so holds no
        cipher state after one or two periods, and a busy one keeps its
        contexts instead of remaking them for every batch of records.  The
        timer runs only while records flow: idle connections have none.
        """
        self._cipherTimer = None
        tls = self._tls
        if tls is None or self._lost:
            return
        if not tls.releaseIdleCiphers():
            self._armCipherTimer()

    def _cancelCipherTimer(self) -> None:
        _cancel(self._cipherTimer)
        self._cipherTimer = None

    def _logEvent(self, format: str, level: LogLevel = LogLevel.info, **kwargs: Any) -> None:
        """
        Log something that happened to this connection (a handshake, a
        renegotiation, a key update, an alert, a failure, a close) if the
        options ask for it (C{logTLSEvents}), and emit nothing otherwise.

        Not demoted to debug level when off: C{twistd}'s log observer (and
        C{python -m twisted_reneg server}'s) prints every level, so an
        internet-facing server would still write a line for every scanner
        and every abandoned handshake.  The option is read at each event,
        so turning it on or off reaches live connections.
        """
        if self.factory.options.logTLSEvents:
            self._log.emit(level, format, **kwargs)

    def _handleEvent(self, event: Event) -> None:
        if isinstance(event, ApplicationData):
            self.wrappedProtocol.dataReceived(event.data)
        elif isinstance(event, HandshakeCompleted):
            self._handshakeCompleted(event)
        elif isinstance(event, CloseNotifyReceived):
            if not self._handshakeDone and self._reason is None:
                # A clean close is only clean once there was a connection:
                # a peer that gives up mid-handshake (user_canceled and
                # close_notify, say) did not let us connect.
                self._reason = Failure(
                    ConnectionLost("the peer closed the connection during the TLS handshake")
                )
            # The peer will send nothing more: a half-close-aware protocol
            # hears that first, as it would for a TCP FIN.  (TLS 1.2 then
            # requires our close_notify at once, which the engine queued.)
            tls = self._tls
            assert tls is not None
            halfCloseable = IHalfCloseableProtocol.providedBy(self.wrappedProtocol)
            if halfCloseable:
                self.wrappedProtocol.readConnectionLost()  # type: ignore[attr-defined]
            if not tls.closeSent and halfCloseable and not self.disconnecting and not self._lost:
                # TLS 1.3 half-close (RFC 8446 6.1): the application may
                # go on writing, and closes when it is done.
                return
            if not tls.closeSent:
                # Our close_notify (TLS 1.3 does not send it for us), then,
                # as the peer's has arrived, the end of TCP.
                self._sendCloseNotify()
                return
            self._flush()
            self._cancelCloseTimer()
            self._loseTCP()
        elif isinstance(event, ConnectionFailed):
            self._logEvent("TLS connection failed: {error}", error=str(event.error))
            if self._reason is None:
                self._reason = Failure(event.error)
            if event.error.sentByUs:
                self._lingeringClose()
            else:
                # The peer gave up: it reads nothing more from us.
                self._dropPlaintext()
                self._flush()
                self._loseTCP()
        elif isinstance(event, KeysUpdated):
            self._keysUpdated(event)
        elif isinstance(event, PostHandshakeAuthCompleted):
            self._postHandshakeAuthCompleted(event.session)
        elif isinstance(event, SessionTicketReceived):
            if self._sessionCache is not None:
                self._sessionCache.store(self._sessionCacheKey, event.ticket)
        elif isinstance(event, RenegotiationRequested):
            self._logEvent("TLS renegotiation started by the peer")
        elif isinstance(event, RenegotiationRefusedEvent):
            self._renegotiationRefused(event)
        elif isinstance(event, AlertReceived):
            self._logEvent(
                "TLS warning alert received: {alert}", alert=alertName(event.description)
            )

    def _postHandshakeAuthCompleted(self, session: TLSSession) -> None:
        """
        TLS 1.3: the client answered requestClientCertificate() (or, on a
        client, we answered the server).  The application hears it as it
        would a TLS 1.2 renegotiation with a certificate request, so code
        written for either version works.
        """
        if self.factory.isClient:
            self._logEvent(
                "TLS post-handshake authentication: the server asked for our certificate"
            )
        else:
            self._logEvent(
                "TLS post-handshake client authentication: peer certificate {peer}",
                peer=_peerCertificateSummary(session),
            )
        self._renegotiationSucceeded(session)
        if IHandshakeListener.providedBy(self.wrappedProtocol):
            self.wrappedProtocol.handshakeCompleted()
        self._startNext()

    def _renegotiationSucceeded(self, session: TLSSession) -> None:
        """
        Fire the Deferreds waiting for the renegotiation (or TLS 1.3
        post-handshake auth) and tell the listener.
        """
        pending = self._renegotiationEnded()
        if pending is not None:
            pending.succeed(session)
        if IRenegotiationListener.providedBy(self.wrappedProtocol):
            self.wrappedProtocol.renegotiationCompleted(session)

    def _handshakeCompleted(self, event: HandshakeCompleted) -> None:
        if not event.renegotiation:
            self._handshakeDone = True
            if self.factory.options.logTLSEvents:
                self._logHandshake(event.session)
            waiters, self._handshakeWaiters = self._handshakeWaiters, []
            for waiter in waiters:
                waiter.callback(None)
            self._cancelHandshakeTimer()
            self._updateReading()
            if self._producer is not None:
                self._producer._resume("handshake")
        else:
            session = event.session
            self._logEvent(
                "TLS renegotiation {count} completed: {suite}, {group}, peer certificate {peer}",
                count=session.renegotiations,
                suite=session.cipherSuite,
                group=session.group,
                peer=_peerCertificateSummary(session),
            )
            self._renegotiationSucceeded(session)
        if IHandshakeListener.providedBy(self.wrappedProtocol):
            self.wrappedProtocol.handshakeCompleted()
        if self._closeWanted and self._producer is None:
            self._sendCloseNotify()
        elif self._halfCloseWanted and not event.renegotiation:
            self._halfCloseWanted = False
            self._halfClose()
        self._startNext()

    def _logHandshake(self, session: TLSSession) -> None:
        """
        The first handshake completed: what was negotiated (no secrets:
        names and flags only).
        """
        alpn = session.alpnProtocol
        self._logEvent(
            "TLS handshake completed: {version}, {suite}, {group}, server name {name}, "
            "ALPN {alpn}, resumed {resumed}, peer certificate {peer}",
            version=session.version,
            suite=session.cipherSuite,
            group=session.group,
            name=session.serverName or "none",
            alpn=alpn.decode("ascii", "replace") if alpn else "none",
            resumed="yes" if session.resumed else "no",
            peer=_peerCertificateSummary(session),
        )

    # --- bytes out ----------------------------------------------------------

    def _flush(self, wholeRecordsOnly: bool = False) -> None:
        """
        Seal the application's buffered writes, then hand everything the
        engine has for the peer to TCP.  Called before and after every call
        into the engine, which keeps the order of application data and the
        TLS layer's own messages what the application made it.

        @param wholeRecordsOnly: leave the last partial record's worth of
            plaintext buffered, for writes still to come this turn.
        """
        self._writesChecked = False
        tls = self._tls
        if tls is None or self.transport is None:
            return
        # Before the first handshake only whole records go into the engine,
        # so that all early writes share records once it completes.
        self._seal(wholeRecordsOnly or not tls.handshakeComplete)
        out = tls.dataToSendList()
        if out:
            if self._countingReplies:
                self._unsentReplies += sum(map(len, out))
            self.transport.writeSequence(out)
            if self._cipherTimer is None:
                self._armCipherTimer()

    def _seal(self, wholeRecordsOnly: bool) -> None:
        """
        Give C{_plaintext} to the engine: all of it, or only as many whole
        records' worth as it holds (the rest waits for more writes).
        """
        size = self._plaintextSize
        keep = size % MAX_PLAINTEXT if wholeRecordsOnly else 0
        if size == keep:
            return
        chunks = self._plaintext
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if keep:
            data, rest = data[:-keep], data[-keep:]
            self._plaintext, self._plaintextSize = [rest], keep
        else:
            self._dropPlaintext()
        tls = self._tls
        assert tls is not None
        try:
            tls.sendApplicationData(data)
        except LocalUsageError:
            # Closed or failed meanwhile: as with a write after close, the
            # data is dropped.
            self._dropPlaintext()

    def _dropPlaintext(self) -> None:
        self._writesChecked = False
        self._plaintext, self._plaintextSize = [], 0
        _cancel(self._flushCall)
        self._flushCall = None

    def _flushSoon(self) -> None:
        self._flushCall = None
        self._flush()

    def write(self, data: bytes) -> None:
        """
        Queue C{data}.  It leaves, with whatever else is written in this
        reactor turn, before the reactor next waits for I/O.
        """
        if self._writesChecked and data.__class__ is bytes:
            # Fast path for many small writes in one turn (chat and RPC
            # protocols, web headers): the checks below held for the
            # previous write, and nothing that could change their outcome
            # has run since (see _writesChecked).  Half the cost per call.
            self._plaintext.append(data)
            self._plaintextSize += len(data)
            if self._plaintextSize >= MAX_PLAINTEXT:
                self._flush(wholeRecordsOnly=True)
            return
        if not isinstance(data, bytes):
            raise TypeError(f"Data must be bytes, not {type(data).__name__}")
        tls = self._tls
        if tls is None or self.disconnecting or self._lost or tls.failed or tls.closeSent:
            return
        if not data:
            return
        self._plaintext.append(data)
        self._plaintextSize += len(data)
        if self._plaintextSize >= MAX_PLAINTEXT:
            # Whole records are ready: bulk data does not wait for the turn
            # to end (and the buffer stays under one record).
            self._flush(wholeRecordsOnly=True)
        if (
            self._plaintext
            and self._flushCall is None
            and not self._delivering
            and tls.handshakeComplete
        ):
            self._flushCall = self.factory.clock.callLater(0, self._flushSoon)
        # What follows this write, until the next _flush, needs no new
        # check: a flush is due (or our dataReceived is running, whose end
        # flushes), and the connection stays writable until something calls
        # into the engine, which always goes through _flush.
        self._writesChecked = self._flushCall is not None or self._delivering > 0

    def writeSequence(self, iovec: Any) -> None:
        # One write of the joined pieces: twisted.web writes a response's
        # status line and headers as one sequence of some twenty strings.
        self.write(b"".join(iovec))

    # --- closing ------------------------------------------------------------

    def loseConnection(self) -> None:
        """
        Send everything written so far, then close_notify, then wait for the
        peer's close_notify (at most C{factory.closeTimeout} seconds).
        """
        if self.disconnecting or self._lost:
            return
        self.disconnecting = True
        self._writesChecked = False
        self._closeWanted = True
        tls = self._tls
        if tls is None:
            return
        if not self._handshakeDone and not tls.handshakeComplete:
            if tls.failed and not self._lingering:
                self._loseTCP()
            # Otherwise wait: the close goes out when the handshake ends (or
            # the connection fails, or the handshake times out).
            return
        if self._producer is None:
            self._sendCloseNotify()

    def loseWriteConnection(self) -> None:
        """
        Half-close: what was written so far, then close_notify, then a TCP
        FIN where TCP can; the peer's data is still read and delivered
        until it closes too.  A TLS 1.3 peer may go on sending (RFC 8446
        6.1); a TLS 1.2 peer answers with its own close_notify at once (RFC
        5246 7.2.1).  Writes after it are dropped, as after TCP's own.
        (Without this, Twisted's wrapper would half-close TCP under the TLS
        layer, with no close_notify: a truncation to the peer.)
        """
        if self.disconnecting or self._lost or self._writeClosed:
            return
        self._writeClosed = True
        self._writesChecked = False
        tls = self._tls
        if tls is None:
            return
        if not tls.handshakeComplete:
            self._halfCloseWanted = True  # once the handshake completes
            return
        self._halfClose()

    def _halfClose(self) -> None:
        tls = self._tls
        assert tls is not None
        self._flush()
        tls.close()
        self._flush()
        if ITCPTransport.providedBy(self.transport) and not tls.closeReceived:
            self.transport.loseWriteConnection()

    def _sendCloseNotify(self) -> None:
        tls = self._tls
        assert tls is not None
        self._closeWanted = False
        self._flush()
        tls.close()
        self._flush()
        if tls.closeReceived:
            self._loseTCP()
            return
        clock = self.factory.clock
        self._closeTimer = clock.callLater(self.factory.closeTimeout, self._closeTimedOut)

    def _closeTimedOut(self) -> None:
        self._closeTimer = None
        self._logEvent("TLS peer did not answer close_notify; dropping the connection")
        self.transport.abortConnection()

    def _cancelCloseTimer(self) -> None:
        _cancel(self._closeTimer)
        self._closeTimer = None

    def _loseTCP(self) -> None:
        """
        Close TCP once what we handed it is sent.
        """
        self.disconnecting = True
        self._writesChecked = False
        self._tcpClosing = True
        self._cancelHandshakeTimer()
        self._cancelCipherTimer()
        self._releaseTCP()
        self.transport.loseConnection()

    # --- lingering close ----------------------------------------------------

    def _lingeringClose(self) -> None:
        """
        Our fatal alert (or cancelled handshake) is queued: send it, close
        our write side, then read and discard until the peer closes, or
        C{factory.lingerTimeout} seconds or C{factory.lingerBytes} bytes
        are up.  Closing with unread bytes in the kernel's receive buffer
        makes TCP send a reset instead of a FIN: the peer, often still in
        the middle of writing what caused the alert, then gets ECONNRESET
        or EPIPE and may never read the alert (some stacks even discard it
        on arrival of the reset).  The application hears
        C{connectionLost} with the alert's reason when TCP is gone.
        """
        if self._lingering or self._lost:
            return
        self._lingering = True
        self.disconnecting = True
        self._cancelHandshakeTimer()
        self._cancelCloseTimer()
        self._cancelCipherTimer()
        self._dropPlaintext()
        self._flush()
        factory = self.factory
        if factory.lingerTimeout <= 0:
            self._loseTCP()
            return
        self._releaseTCP()
        self._updateReading()
        if ITCPTransport.providedBy(self.transport):
            # FIN after the alert: a peer that reads it sees the end, and
            # closes, which ends our lingering at once.
            self.transport.loseWriteConnection()
        self._lingerTimer = factory.clock.callLater(
            factory.lingerTimeout, self._lingerEnded, "time is up"
        )

    def _discard(self, data: bytes) -> None:
        self._lingerDiscarded += len(data)
        if self._lingerDiscarded > self.factory.lingerBytes:
            self._lingerEnded("byte limit reached")

    def _lingerEnded(self, why: str) -> None:
        self._cancelLingerTimer()
        if self._lost:
            return
        self._logEvent(
            "TLS lingering close ended ({why}, {n} bytes discarded); dropping the connection",
            why=why,
            n=self._lingerDiscarded,
        )
        abort = getattr(self.transport, "abortConnection", None)
        if abort is not None:
            abort()
        else:
            self.transport.loseConnection()

    def _cancelLingerTimer(self) -> None:
        _cancel(self._lingerTimer)
        self._lingerTimer = None

    def closeIfIdle(self) -> None:
        """
        Close if nothing is in flight: the first handshake and any
        renegotiation done, nothing of ours unsent, and the application
        idle as far as it says (L{isIdle}).  Through the application's own
        C{loseConnection} if it has one: twisted.web's HTTP channel is a
        producer of ours until it unregisters there, and close_notify waits
        for producers.
        """
        if self.disconnecting or self._lost or not self.isIdle():
            return
        close = getattr(self._application(), "loseConnection", None)
        if callable(close):
            close()
        else:
            self.loseConnection()

    def isIdle(self) -> bool:
        """
        Whether closing now would cut nothing short.  The application says
        through an C{isIdle()} method of its protocol if it has one;
        twisted.web's HTTP/1.1 channel is idle between requests (its
        C{requests} list is empty), its HTTP/2 connection without streams;
        any other protocol is idle once its data is out.
        """
        if not self._handshakeDone or self._plaintext or self._renegotiation is not None:
            return False
        below = self.transport
        # TCP's write buffer (Twisted's FileDescriptor keeps both parts).
        if getattr(below, "dataBuffer", b"") or getattr(below, "_tempDataLen", 0):
            return False
        application = self._application()
        ownJudgement = getattr(application, "isIdle", None)
        if callable(ownJudgement):
            return bool(ownJudgement())
        requests = getattr(application, "requests", None)
        if isinstance(requests, list):
            return not requests
        streams = getattr(application, "streams", None)
        if isinstance(streams, dict):
            return not streams
        return True

    def _application(self) -> Any:
        """
        The application's protocol: twisted.web's Site builds a wrapper
        that picks HTTP/1.1 or HTTP/2 by ALPN, and the channel it picked is
        the one that knows whether a request is open.
        """
        return getattr(self.wrappedProtocol, "_channel", self.wrappedProtocol)

    @property
    def connectionGone(self) -> bool:
        """
        Whether the connection has ended (C{connectionLost} was called).
        """
        return self._lost

    def abortConnection(self) -> None:
        """
        Drop the connection at once; writes still buffered are discarded,
        as TCP's own abortConnection discards its buffer.
        """
        self._aborted = True
        self.disconnecting = True
        self._dropPlaintext()
        self._cancelHandshakeTimer()
        self._cancelLingerTimer()
        self.transport.abortConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if self._lost:
            return
        self._lost = True
        self._cancelCloseTimer()
        self._cancelHandshakeTimer()
        self._cancelLingerTimer()
        self._cancelCipherTimer()
        self._dropPlaintext()
        self._backPressure = None
        tls = self._tls
        if self._reason is not None:
            reason = self._reason
        elif tls is not None and tls.closeReceived:
            reason = Failure(ConnectionDone("TLS connection closed cleanly"))
        elif not self._aborted and not reason.check(ConnectionLost):
            # EOF without close_notify: the data may have been truncated.
            reason = Failure(ConnectionLost("connection closed without TLS close_notify"))
        self._reason = None
        if self.factory.options.logTLSEvents:
            self._logClose(reason)
        self.connected = False
        membrane, self._producer = self._producer, None
        if membrane is not None:
            # As TCP does for its producer: the application's producer hears
            # stopProducing before its protocol hears connectionLost.
            membrane.stopProducing()
        pending = self._renegotiationEnded()
        if pending is not None:
            self._notifyRenegotiationFailed(reason)
            pending.fail(reason)
        queued, self._queue = self._queue, []
        for item in queued:
            item.waiter.fail(reason)
        waiters, self._handshakeWaiters = self._handshakeWaiters, []
        for waiter in waiters:
            waiter.errback(reason)
        super().connectionLost(reason)

    def _logClose(self, reason: Failure) -> None:
        """
        The connection is gone for C{reason}: one line, unless its
        handshake failed or timed out, which had its line when it happened.
        """
        if reason.check(ConnectionDone):
            self._logEvent("TLS connection closed cleanly (close_notify both ways)")
        elif self._handshakeDone:
            self._logEvent("TLS connection closed: {why}", why=reason.getErrorMessage())
        elif not reason.check(TLSAlertError, TLSHandshakeTimeout):
            self._logEvent(
                "TLS connection closed during the handshake: {why}", why=reason.getErrorMessage()
            )

    # --- producer / consumer ------------------------------------------------

    def pauseProducing(self) -> None:
        """
        Stop delivering received data: stop reading from TCP (after the
        first handshake, which must be allowed to finish).
        """
        self._readPausedBy.add("application")
        self._updateReading()

    def resumeProducing(self) -> None:
        self._readPausedBy.discard("application")
        self._updateReading()

    def stopProducing(self) -> None:
        self.transport.stopProducing()

    def _updateReading(self) -> None:
        """
        Pause or resume reading from TCP as C{_readPausedBy} says.
        """
        if self._lost or self.transport is None:
            return
        reasons = set(self._readPausedBy)
        if not self._handshakeDone:
            reasons.discard("application")
        paused = bool(reasons) and not self._lingering
        if paused != self._readingPaused:
            self._readingPaused = paused
            if paused:
                self.transport.pauseProducing()
            else:
                self.transport.resumeProducing()

    def _tcpBackedUp(self, full: bool) -> None:
        """
        TCP's write buffer went over its limit (C{full}) or drained (it is
        empty): pause or resume the application's producer, and resume our
        reading of the peer if replies had paused it.
        """
        self._tcpFull = full
        membrane = self._producer
        if membrane is not None:
            if full:
                membrane._pause("transport")
            else:
                membrane._resume("transport")
        if full:
            self._checkReplies()
        else:
            self._unsentReplies = 0
            self._readPausedBy.discard("backpressure")
            self._updateReading()

    def _checkReplies(self) -> None:
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
        if self._tcpFull and self._unsentReplies > self.factory.maxUnsentReplies:
            if "backpressure" not in self._readPausedBy:
                self._logEvent(
                    "TLS: the peer does not read our replies; pausing reading",
                    level=LogLevel.debug,
                )
            self._readPausedBy.add("backpressure")
            self._updateReading()

    def _tcpStopped(self) -> None:
        """
        TCP is going away and stops its producer (ours).
        """
        membrane, self._producer = self._producer, None
        if membrane is not None:
            membrane.stopProducing()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """
        Register the application's producer.  It is paused while the first
        handshake runs and while TCP's write buffer is full (TCP tells
        L{_BackPressure}, which stays registered with it).
        """
        if self._lost:
            producer.stopProducing()
            return
        if self._producer is not None:
            raise RuntimeError(
                f"Cannot register producer {producer!r}, because producer "
                f"{self._producer._producer!r} was never unregistered."
            )
        pushProducer: Any = producer
        if not streaming:
            from twisted.internet._producer_helpers import _PullToPush

            pushProducer = _PullToPush(producer, self)
        membrane = _ProducerMembrane(pushProducer)
        self._producer = membrane
        if not streaming:
            # Before any pause: a _PullToPush can only pause once started.
            pushProducer.startStreaming()
        if not self._handshakeDone:
            membrane._pause("handshake")
        if self._tcpFull:
            membrane._pause("transport")

    def unregisterProducer(self) -> None:
        membrane = self._producer
        if membrane is None:
            return
        inner = membrane._producer
        if hasattr(inner, "stopStreaming"):
            inner.stopStreaming()
        self._producer = None
        if self._closeWanted and self._handshakeDone:
            self._sendCloseNotify()

    # --- renegotiation ------------------------------------------------------

    def rehandshake(self, timeout: float | None = None) -> Deferred[TLSSession]:
        """
        TLS 1.2: renegotiate, with a HelloRequest from a server or a new
        ClientHello from a client.  A call while a renegotiation is running
        (ours, the peer's, or one asking for a client certificate) shares
        it: every TLS 1.2 renegotiation is a full handshake with new keys
        both ways, which is what this asks for.  Behind a queued
        L{requestClientCertificate} it waits its turn and shares that one.

        TLS 1.3: send KeyUpdate(update_requested), every call; the Deferred
        fires with the current session as soon as it is out and our
        sending keys are new (C{timeout} has nothing to wait for).  The
        peer's answer may come only when it next writes (RFC 8446 4.6.3); it
        is reported through C{keysUpdated(False)} and C{session.keyUpdates}.

        See L{IRenegotiatingTransport.rehandshake}.
        """
        refused = self._refuseRenegotiation()
        if refused is not None:
            return refused
        if not self._handshakeDone:
            return self._afterHandshake(lambda: self.rehandshake(timeout))
        session = self.session
        if session is not None and session.version == "TLSv1.3":
            return self._updateKeys(session)
        return self._enqueue(False, timeout)

    def requestClientCertificate(self, timeout: float | None = None) -> Deferred[TLSSession]:
        """
        Server side: renegotiate with a CertificateRequest (TLS 1.2) or send
        a post-handshake CertificateRequest (TLS 1.3).  The session the
        Deferred fires with has the client's verified chain, or none if the
        client sent none: what that means is the application's call.

        If another renegotiation is running, this one starts after it,
        whatever its outcome; only the loss of the connection (or this
        call's own C{timeout}, which counts the wait) fails it.
        """
        if self.factory.isClient:
            # Misuse: raised at once, like every other misuse of ours.
            raise LocalUsageError("only a server can request a client certificate")
        refused = self._refuseRenegotiation()
        if refused is not None:
            return refused
        if not self._handshakeDone:
            return self._afterHandshake(lambda: self.requestClientCertificate(timeout))
        return self._enqueue(True, timeout)

    def _refuseRenegotiation(self) -> Deferred[TLSSession] | None:
        if self._tls is None or self._lost or self.disconnecting:
            return fail(ConnectionLost("the connection is closed"))
        return None

    def _afterHandshake(self, call: Callable[[], Deferred[TLSSession]]) -> Deferred[TLSSession]:
        """
        Asked before the first handshake finished: go ahead right after it,
        rather than refusing a call the caller cannot time.  (The version,
        and so what the call means, is only known then.)
        """
        if self._tls is not None and self._tls.failed:
            return fail(ConnectionLost("the TLS handshake failed"))
        waiter: Deferred[None] = Deferred()
        self._handshakeWaiters.append(waiter)
        return waiter.addCallback(lambda _: call())

    def _updateKeys(self, session: TLSSession) -> Deferred[TLSSession]:
        tls = self._tls
        assert tls is not None
        # Data written before the call goes under the old keys, as written.
        self._flush()
        try:
            tls.rehandshake()
        except LocalUsageError as e:
            return fail(RenegotiationRefused(str(e)))
        self._flush()
        self._logEvent("TLS key update requested (KeyUpdate update_requested sent)")
        return succeed(session)

    def _enqueue(self, clientCertificate: bool, timeout: float | None) -> Deferred[TLSSession]:
        waiter = Waiter(self.factory.clock, timeout, self._waiterTimedOut, clientCertificate)
        self._queue.append(QueuedRequest(clientCertificate, waiter))
        self._startNext()
        return waiter.deferred

    def _engineBusy(self) -> bool:
        tls = self._tls
        assert tls is not None
        return tls.renegotiationInProgress or tls.clientCertificateRequestInProgress

    def _startNext(self) -> None:
        """
        Move the queue on: a C{rehandshake()} at its head joins the
        renegotiation running (any TLS 1.2 renegotiation is a full
        handshake); a C{requestClientCertificate()} waits until none is
        running, then starts its own.  A renegotiation the engine runs that
        we are not waiting for (the peer's) is tracked, so that queued
        requests start after it.
        """
        if self._startingNext:
            return  # a callback of a request that failed at once; the loop goes on
        self._startingNext = True
        try:
            while self._queue and self._handshakeDone and not self.disconnecting:
                item = self._queue[0]
                running = self._renegotiation
                if running is not None:
                    if item.clientCertificate:
                        return
                    self._queue.pop(0)
                    running.add(item.waiter)
                elif self._engineBusy():
                    self._renegotiation = PendingRenegotiation(ours=False)
                else:
                    self._queue.pop(0)
                    self._start(item)
        finally:
            self._startingNext = False

    def _start(self, item: QueuedRequest) -> None:
        tls = self._tls
        assert tls is not None
        self._flush()
        try:
            if item.clientCertificate:
                tls.requestClientCertificate()
            else:
                tls.rehandshake()
        except PostHandshakeAuthNotOffered as e:
            item.waiter.fail(Failure(e))
            return
        except LocalUsageError as e:
            item.waiter.fail(Failure(RenegotiationRefused(str(e))))
            return
        self._flush()
        self._logEvent(
            "TLS {what} requested",
            what="client certificate" if item.clientCertificate else "renegotiation",
        )
        self._renegotiation = PendingRenegotiation(ours=True)
        self._renegotiation.add(item.waiter)

    def _renegotiationEnded(self) -> PendingRenegotiation | None:
        """
        The renegotiation running in the engine ended (completed, refused,
        abandoned): forget it, so that the queue can move on.
        """
        pending, self._renegotiation = self._renegotiation, None
        return pending

    def _keysUpdated(self, event: KeysUpdated) -> None:
        """
        TLS 1.3: the peer updated its keys, asked to (the answer to our
        C{rehandshake()}) or asking us to (we have answered already).
        """
        self._logEvent(
            "TLS key update {n} ({who})",
            n=self.session.keyUpdates if self.session else 0,
            who="requested by the peer" if event.requestedByPeer else "the peer's",
        )
        if IRenegotiationListener.providedBy(self.wrappedProtocol):
            self.wrappedProtocol.keysUpdated(event.requestedByPeer)

    def _timedOut(self, waiter: Waiter) -> str:
        """
        What did not happen in time, in the words of what was asked.
        """
        tls13 = self.session is not None and self.session.version == "TLSv1.3"
        if not waiter.clientCertificate:
            return "the peer did not renegotiate in time"
        if tls13:
            return (
                "the client did not answer the certificate request (TLS 1.3 post-handshake "
                "authentication) in time"
            )
        return "the client did not renegotiate to answer the certificate request in time"

    def _waiterTimedOut(self, waiter: Waiter) -> None:
        if waiter in (item.waiter for item in self._queue):
            self._queue = [item for item in self._queue if item.waiter is not waiter]
            waiter.fail(
                Failure(RenegotiationTimeout("the renegotiation ahead did not end in time"))
            )
            return
        running = self._renegotiation
        if running is None or not running.remove(waiter):
            return
        failure = Failure(RenegotiationTimeout(self._timedOut(waiter)))
        if running.waiters or not running.ours:
            # Others still wait for it (or it is the peer's): it goes on.
            waiter.fail(failure)
            return
        self._renegotiationEnded()
        tls = self._tls
        if tls is not None:
            # A server stops waiting for the ClientHello; a late one is then
            # the client's own renegotiation, judged by policy.  (A started
            # handshake cannot be dropped: the queue then waits for it.)
            tls.abandonRenegotiation()
        self._logEvent("TLS renegotiation timed out; the connection goes on")
        self._notifyRenegotiationFailed(failure)
        waiter.fail(failure)
        self._startNext()

    def _renegotiationRefused(self, event: RenegotiationRefusedEvent) -> None:
        who = "the peer" if event.byPeer else "us"
        self._logEvent(
            "TLS renegotiation refused by {who}: {reason}", who=who, reason=event.reason
        )
        failure = Failure(RenegotiationRefused(event.reason))
        self._notifyRenegotiationFailed(failure)
        if event.byPeer:
            pending = self._renegotiationEnded()
            if pending is not None:
                pending.fail(failure)
            self._startNext()

    def _notifyRenegotiationFailed(self, failure: Failure) -> None:
        if IRenegotiationListener.providedBy(self.wrappedProtocol):
            self.wrappedProtocol.renegotiationFailed(failure)

    def _applicationAllowsRenegotiation(self) -> bool:
        """
        The engine asks before it lets a peer's renegotiation go on: the
        wrapped protocol's C{renegotiationRequested()} may veto it.
        """
        if not IRenegotiationListener.providedBy(self.wrappedProtocol):
            return True
        try:
            return self.wrappedProtocol.renegotiationRequested() is not False
        except Exception:
            self._log.failure("renegotiationRequested raised; refusing the renegotiation")
            return False

    # --- what the application can ask ---------------------------------------

    @property
    def session(self) -> TLSSession | None:
        return self._tls.session if self._tls is not None else None

    @property
    def negotiatedProtocol(self) -> bytes | None:
        session = self.session
        return session.alpnProtocol if session is not None else None

    def exportKeyingMaterial(
        self, label: bytes, length: int, context: bytes | None = None
    ) -> bytes:
        """
        RFC 5705 / RFC 8446 7.5 keying material of the current session.  See
        L{IKeyingMaterialExporter.exportKeyingMaterial}.
        """
        return self._engine().exportKeyingMaterial(label, length, context)

    def channelBinding(self, kind: str) -> bytes:
        """
        C{"tls-unique"}, C{"tls-exporter"} or C{"tls-server-end-point"}
        channel-binding data of the current session.  See
        L{IKeyingMaterialExporter.channelBinding}.
        """
        return self._engine().channelBinding(kind)

    def _engine(self) -> TLSConnection:
        if self._tls is None:
            raise LocalUsageError("not connected: no TLS session yet")
        return self._tls

    def getPeerCertificate(self) -> Any:
        """
        The peer's leaf as a pyOpenSSL C{X509}, as
        L{twisted.internet.interfaces.ISSLTransport} defines it; C{None} if
        the peer sent none.  L{session} has the whole chain as
        C{cryptography} objects.
        """
        session = self.session
        if session is None or session.peerCertificate is None:
            return None
        from OpenSSL.crypto import X509

        return X509.from_cryptography(session.peerCertificate)

    def getHandle(self) -> _TLSHandle:
        """
        What L{twisted.internet.interfaces.ISystemHandle} gives for a TLS
        connection: as with Twisted's own TLS, an object with
        C{get_peer_certificate()} and C{get_certificate()}, so
        C{Certificate.peerFromTransport(transport)} works.  The socket stays
        reachable as C{getHandle().socket}.
        """
        return _TLSHandle(self)

    def __repr__(self) -> str:
        return f"<TLSProtocol wrapping {self.wrappedProtocol!r}>"


class _TLSHandle:
    """
    The pyOpenSSL-shaped face of a connection for Twisted's certificate
    helpers.
    """

    def __init__(self, protocol: TLSProtocol) -> None:
        self._protocol = protocol

    @property
    def socket(self) -> Any:
        return self._protocol.transport.getHandle()

    def get_peer_certificate(self) -> Any:
        return self._protocol.getPeerCertificate()

    def get_host_certificate(self) -> Any:
        return self.get_certificate()

    def get_certificate(self) -> Any:
        tls = self._protocol._tls
        if tls is None:
            return None
        credential = tls.config.credentialFor(
            tls.session.serverName if tls.session is not None else None
        )
        if credential is None:
            return None
        from OpenSSL.crypto import X509

        return X509.from_cryptography(credential.chain[0])


def checkOptions(options: Any, isClient: bool) -> None:
    """
    Refuse, at once, settings that are not ours: Twisted's own
    (C{CertificateOptions}, C{optionsForClientTLS}'s creator), kept by
    someone moving from C{TLSMemoryBIOFactory}, would otherwise fail at
    every connection with an C{AttributeError} far from the cause.

    @raise TypeError: naming what to use instead, and how to convert.
    """
    if isinstance(options, ServerOptions | ClientOptions):
        return
    kind = f"{type(options).__module__}.{type(options).__qualname__}"
    if isClient:
        use = (
            "twisted_reneg.ClientOptions(hostname, trustRoots=...) or "
            "twisted_reneg.optionsForClientTLS(hostname, trustRoot=...), which take Twisted's "
            "Certificate objects as trust roots and a PrivateCertificate as clientCertificate"
        )
    else:
        use = (
            "twisted_reneg.ServerOptions.fromPrivateCertificate(privateCertificate) for a "
            "Twisted PrivateCertificate (or ServerOptions.fromPEM(certChainPath, keyPath))"
        )
    raise TypeError(
        f"twisted_reneg needs its own TLS settings, not {kind}: use {use}",
    )


class TLSFactory(WrappingFactory[TLSProtocol]):
    """
    Wraps a protocol factory so that its protocols talk TLS through our
    engine; the same shape as L{twisted.protocols.tls.TLSMemoryBIOFactory}.

    @ivar options: L{ServerOptions} or L{ClientOptions}.
    @ivar isClient: our role.
    @ivar clock: the reactor's clock, injectable for tests: the time of
        every connection's timers, of its engine (certificate validity,
        the renegotiation rate limit, session ticket ages and lifetimes)
        and of the client session cache.  (Ticket keys are rotated by wall
        time: L{twisted_reneg.tls.tickets.TicketKeys} is shared by every
        connection of the options.)
    @ivar closeTimeout: seconds to wait for the peer's close_notify.
    @ivar lingerTimeout: after a fatal alert of ours, at most this many
        seconds of reading and discarding before the connection is dropped
        (0: close at once).  See L{TLSProtocol._lingeringClose}.
    @ivar lingerBytes: ... and at most this many bytes.
    @ivar maxUnsentReplies: when TCP's write buffer is full and more than
        this many bytes of our replies to the peer's input went into it
        since it was last empty, we stop reading the peer until it drains
        (see L{TLSProtocol._checkReplies}).
    @cvar cipherIdleTime: seconds without records after which a
        connection's cipher contexts are dropped until the next record
        (see L{TLSProtocol._releaseIdleCiphers}).
    """

    protocol = TLSProtocol
    cipherIdleTime: float = DEFAULT_CIPHER_IDLE_TIME
    # No "Starting factory" / "Stopping factory" lines, as Twisted's
    # TLSMemoryBIOFactory: a client endpoint makes one factory per
    # connection, so they would be per-connection lines at info level.
    # (The wrapped factory still says what it likes.)
    noisy = False

    def __init__(
        self,
        options: ServerOptions | ClientOptions,
        isClient: bool,
        wrappedFactory: Any,
        clock: IReactorTime | None = None,
        closeTimeout: float = DEFAULT_CLOSE_TIMEOUT,
        lingerTimeout: float = DEFAULT_LINGER_TIMEOUT,
        lingerBytes: int = DEFAULT_LINGER_BYTES,
        maxUnsentReplies: int = DEFAULT_MAX_UNSENT_REPLIES,
    ) -> None:
        super().__init__(wrappedFactory)
        checkOptions(options, isClient)
        if isClient != isinstance(options, ClientOptions):
            raise ValueError(
                f"isClient={isClient} needs {'ClientOptions' if isClient else 'ServerOptions'}, "
                f"not {type(options).__name__}"
            )
        self.options = options
        self.isClient = isClient
        if clock is None:
            from twisted.internet import reactor

            clock = reactor
        self.clock: Any = clock
        self.closeTimeout = closeTimeout
        self.lingerTimeout = lingerTimeout
        self.lingerBytes = lingerBytes
        self.maxUnsentReplies = maxUnsentReplies
        from twisted.internet import reactor as globalReactor

        if not isClient and clock is globalReactor:
            # A real server: its connections close gracefully when the
            # reactor stops (a test's fake clock never stops).
            drainOnShutdown(self, clock)

    def logPrefix(self) -> str:
        prefix = getattr(self.wrappedFactory, "logPrefix", None)
        inner = prefix() if callable(prefix) else self.wrappedFactory.__class__.__name__
        return f"{inner} (TLS)"


def startTLS(
    transport: Any,
    options: ServerOptions | ClientOptions,
    clock: IReactorTime | None = None,
) -> TLSProtocol:
    """
    Upgrade a connected plain TCP transport to TLS, for STARTTLS-style
    protocols (SMTP, IMAP, XMPP): call it when the protocol has agreed to
    switch, at a message boundary.  The protocol keeps running; from now on
    its C{transport} is the returned TLS transport and the handshake starts.

    @param transport: the TCP transport (it must have a C{protocol}
        attribute, as Twisted's TCP connections do).
    @param options: L{ClientOptions} to act as the TLS client, or
        L{ServerOptions} for the server.
    """
    application = transport.protocol
    isClient = isinstance(options, ClientOptions)
    # The application's own factory, if any, supplies ALPN protocols.
    wrappedFactory = getattr(application, "factory", None) or Factory()
    factory = TLSFactory(options, isClient, wrappedFactory, clock)
    tls = factory.protocol(factory, application, connectWrapped=False)
    transport.protocol = tls
    tls.makeConnection(transport)
    # Endpoints put a wrapping protocol between TCP and the application
    # (and policies wrappers may add more), each holding the TCP transport:
    # every protocol down the chain must write through TLS from now on, or
    # the application would go on writing in plaintext.
    inner = _innerProtocol(application)
    while inner is not None and getattr(inner, "transport", None) is transport:
        inner.transport = tls
        inner = _innerProtocol(inner)
    return tls


def _innerProtocol(wrapper: Any) -> Any:
    """
    The protocol C{wrapper} passes its data to, if it is a wrapper:
    Twisted's endpoint wrapper (C{_wrappedProtocol}) or a
    L{twisted.protocols.policies.ProtocolWrapper} (C{wrappedProtocol}).
    """
    return getattr(wrapper, "_wrappedProtocol", None) or getattr(wrapper, "wrappedProtocol", None)
