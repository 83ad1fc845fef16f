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
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import (
    IConsumer,
    IDelayedCall,
    INegotiated,
    IProtocolNegotiationFactory,
    IPushProducer,
    ISSLTransport,
)
from twisted.internet.protocol import Protocol, connectionDone
from twisted.logger import Logger
from twisted.protocols.policies import ProtocolWrapper
from twisted.python.failure import Failure
from zope.interface import directlyProvides, implementer, providedBy

from ._coalescer import WriteCoalescer
from ._connectionlog import logClose, logEvent
from ._flowcontrol import FlowControl
from ._lifecycle import (
    DISCONNECTING,
    ESTABLISHED,
    MOVES,
    NO_RECORDS,
    PHASE_TIMERS,
    READING,
    Phase,
    cancel,
    closeNotifyReceived,
    connectionFailed,
    discard,
    established,
    halfClose,
    loseTCP,
    sendCloseNotify,
)
from ._renegotiation import RenegotiationQueue, answerRenegotiation, renegotiations
from .interfaces import IKeyingMaterialExporter, IRenegotiatingTransport
from .options import ClientOptions
from .tls.connection import TLSConnection
from .tls.errors import LocalUsageError, alertName
from .tls.events import (
    AlertReceived,
    ApplicationData,
    CloseNotifyReceived,
    ConnectionFailed,
    Event,
    HandshakeCompleted,
    KeysUpdated,
    PeerCertificateReceived,
    PostHandshakeAuthCompleted,
    RenegotiationAnswerNeeded,
    RenegotiationRequested,
    SessionTicketReceived,
)
from .tls.events import (
    RenegotiationRefused as RenegotiationRefusedEvent,
)
from .tls.records import MAX_PLAINTEXT
from .tls.session import TLSSession
from .tls.tickets import ClientSessionCache

if TYPE_CHECKING:
    from ._factory import TLSFactory, _TLSHandle


def _armCipherTimer(protocol: TLSProtocol) -> None:
    if protocol._phase in NO_RECORDS:
        return  # no more records: nothing to release later
    factory = protocol.factory
    protocol._cipherTimer = factory.clock.callLater(
        factory.cipherIdleTime, _releaseIdleCiphers, protocol
    )


def _releaseIdleCiphers(protocol: TLSProtocol) -> None:
    """
    Records flowed since the timer was set: drop the cipher contexts of the
    directions that have been idle since the last time, and look again
    later while any is kept.  An idle connection so holds no cipher state
    after one or two periods, and a busy one keeps its contexts instead of
    remaking them for every batch of records.  The timer runs only while
    records flow: idle connections have none.
    """
    protocol._cipherTimer = None
    tls = protocol._tls
    if tls is None or protocol._phase is Phase.LOST:
        return
    if not tls.releaseIdleCiphers():
        _armCipherTimer(protocol)


def _seal(protocol: TLSProtocol, tls: TLSConnection, data: bytes | None) -> None:
    """
    The second half of L{TLSProtocol._flush}: seal C{data}, if any, and
    hand everything the engine has for the peer to TCP.
    """
    transport = protocol.transport
    assert transport is not None
    if data is not None:
        try:
            tls.sendApplicationData(data)
        except LocalUsageError:
            # Closed or failed meanwhile: as with a write after close, the
            # data is dropped.
            protocol._coalescer.drop()
    out = tls.dataToSendList()
    if out:
        flow = protocol._flow
        if flow.countingReplies:
            flow.unsentReplies += sum(map(len, out))
        transport.writeSequence(out)
        if protocol._cipherTimer is None:
            _armCipherTimer(protocol)


# --- event dispatch ---------------------------------------------------------


def _deliverData(protocol: TLSProtocol, event: ApplicationData) -> None:
    # Whatever the application's dataReceived returns (LineReceiver passes
    # on what lineReceived returned) is not an answer of the table's.
    protocol.wrappedProtocol.dataReceived(event.data)


def _storeTicket(protocol: TLSProtocol, event: SessionTicketReceived) -> None:
    if protocol._sessionCache is not None:
        protocol._sessionCache.store(protocol._sessionCacheKey, event.ticket)


#: What the transport does with each event of the engine's.  A new kind of
#: event needs a handler here or a place in L{_IGNORED_EVENTS}
#: (tests.test_transport_structure checks).  Handlers return C{None}, but
#: for the answer to L{RenegotiationAnswerNeeded}, which returns the events
#: of the input the engine held behind the request.
_HANDLERS: dict[type[Event], Callable[[TLSProtocol, Any], list[Event] | None]] = {
    ApplicationData: _deliverData,
    HandshakeCompleted: lambda protocol, event: (
        renegotiations(protocol).renegotiationCompleted(event.session)
        if event.renegotiation
        else established(protocol, event.session)
    ),
    CloseNotifyReceived: lambda protocol, event: closeNotifyReceived(protocol),
    ConnectionFailed: lambda protocol, event: connectionFailed(protocol, event.error),
    KeysUpdated: lambda protocol, event: renegotiations(protocol).keysUpdated(event),
    PostHandshakeAuthCompleted: lambda protocol, event: renegotiations(
        protocol
    ).postHandshakeAuthCompleted(event.session),
    RenegotiationRefusedEvent: lambda protocol, event: renegotiations(protocol).refused(event),
    SessionTicketReceived: _storeTicket,
    RenegotiationRequested: lambda protocol, event: renegotiations(protocol).peerStarted(event),
    # Answered at once; the engine's events for the input behind the
    # request join the ones being delivered.
    RenegotiationAnswerNeeded: answerRenegotiation,
    AlertReceived: lambda protocol, event: logEvent(
        protocol, "TLS warning alert received: {alert}", alert=alertName(event.description)
    ),
}

#: Events the transport has nothing to do with: the peer's certificate
#: reaches the application in the session of L{HandshakeCompleted}.
_IGNORED_EVENTS: frozenset[type[Event]] = frozenset({PeerCertificateReceived})


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

    It keeps setup, event dispatch (L{_HANDLERS}), flush and close, and
    delegates to three collaborators: flow control (L{FlowControl}), the
    write coalescer (L{WriteCoalescer}) and, made when first used, the
    renegotiation request queue (L{RenegotiationQueue}).

    Time, for everything on the connection, is C{factory.clock}: the
    timers here, and what the engine asks the time for (certificate
    validity, the renegotiation rate limit, ticket ages and lifetimes) and
    the client session cache.  A test's L{Clock
    <twisted.internet.task.Clock>} is then the only time a connection
    knows.

    @ivar _tls: the engine.
    @ivar _phase: where the connection is in its life; L{_moveTo} makes
        every move, by the table L{MOVES}.
    @ivar _timer: the timer of the phase (see L{PHASE_TIMERS}).
    @ivar _reason: the first reason the connection is going away, kept so
        that C{connectionLost} reports the TLS failure rather than the TCP
        close it caused (one exit path, as in Twisted's tls.py).
    @ivar _closePending: the application called C{loseConnection} before
        it could be honoured (handshake running or a producer registered):
        close_notify goes out once they allow.
    @ivar _halfClosePending: likewise for C{loseWriteConnection}, which
        waits for the handshake.
    @ivar _cipherTimer: pending release of idle cipher contexts (see
        L{_releaseIdleCiphers}).
    @ivar _lingerDiscarded: bytes discarded while lingering (bounded by
        C{factory.lingerBytes}).
    @ivar _flow: flow control: producers, back pressure, reply accounting,
        why reading is paused.
    @ivar _coalescer: the application's writes waiting to be sealed.
    @ivar _renegotiations: the renegotiation request queue, once used.
    @ivar _log: this connection's logger (its events name the connection
        as their source).  What happens to one connection is logged only
        when the options say C{logTLSEvents}: see L{logEvent}.  The failure
        of an application callback is logged whatever they say.
    """

    _log = Logger()
    factory: TLSFactory
    #: The TCP transport below us (Twisted types it as an optional ITransport;
    #: we only touch it while connected, and use ITCPTransport methods).
    transport: Any

    # Class-level defaults for state most connections never change: an
    # instance's own attributes stay few (CPython shares the keys of
    # instance dicts of up to 30 attributes), so an idle connection's dict
    # stays small.  Each is assigned on the instance when it changes.
    _connectWrapped: bool = True
    _tls: TLSConnection | None = None
    _reason: Failure | None = None
    _phase: Phase = Phase.CONNECTING
    _timer: IDelayedCall | None = None
    _closePending: bool = False
    _halfClosePending: bool = False
    _cipherTimer: IDelayedCall | None = None
    _lingerDiscarded: int = 0
    _renegotiations: RenegotiationQueue | None = None
    #: client: where sessions to resume are kept, and under which key.
    _sessionCache: ClientSessionCache | None = None
    _sessionCacheKey: tuple[str, int] = ("", 0)

    def __init__(
        self, factory: TLSFactory, wrappedProtocol: Any, connectWrapped: bool = True
    ) -> None:
        """
        @param connectWrapped: whether to tell the wrapped protocol about the
            connection (C{makeConnection}); L{startTLS} upgrades a protocol
            that is already connected, so it says no.
        """
        super().__init__(factory, wrappedProtocol)
        if not connectWrapped:
            self._connectWrapped = False
        self._flow = FlowControl(self)
        self._coalescer = WriteCoalescer(self)

    # --- the lifecycle ------------------------------------------------------

    def _moveTo(self, phase: Phase) -> None:
        """
        Move to C{phase}: cancel the timer of the phase left, arm the one
        of the phase entered.  Whatever moves also ends the write fast path
        (the next write checks the connection again).

        @raise RuntimeError: if L{MOVES} has no such move (a bug).
        """
        left = self._phase
        if phase not in MOVES[left]:
            raise RuntimeError(f"TLSProtocol: no move from {left.value} to {phase.value}")
        if self._timer is not None:
            cancel(self._timer)
            self._timer = None
        self._phase = phase
        self._coalescer.checked = False
        if phase in DISCONNECTING:
            self.disconnecting = True
        if phase in NO_RECORDS and self._cipherTimer is not None:
            cancel(self._cipherTimer)
            self._cipherTimer = None
        owned = PHASE_TIMERS.get(phase)
        if owned is not None:
            delay, expired = owned
            seconds = delay(self.factory)
            if seconds is not None:
                self._timer = self.factory.clock.callLater(seconds, expired, self)

    # --- connection setup ---------------------------------------------------

    def makeConnection(self, transport: Any) -> None:
        factory = self.factory
        wrappedFactory = factory.wrappedFactory
        alpn = None
        if IProtocolNegotiationFactory.providedBy(wrappedFactory):
            alpn = tuple(wrappedFactory.acceptableProtocols())
        options = factory.options
        config = options.tlsConfig(alpn)
        if isinstance(options, ClientOptions) and options.sessionCache is not None:
            # Sessions are kept per server: the name we verify and the port.
            self._sessionCache = options.sessionCache
            port = getattr(transport.getPeer(), "port", 0)
            self._sessionCacheKey = (config.serverName or "", port)
            # The engine's time, so that cache and engine judge a ticket alike.
            ticket = self._sessionCache.take(
                self._sessionCacheKey, factory.engineTime().timestamp()
            )
            if ticket is not None:
                config = config.withResumeTicket(ticket)
        self._tls = tls = TLSConnection(
            config, now=factory.engineClock, askBeforePeerRenegotiation=True
        )
        if self._connectWrapped:
            # ProtocolWrapper.makeConnection makes us provide what the TCP
            # transport provides (ITCPTransport...) and then tells the wrapped
            # protocol: connectionMade comes before the handshake, as in Twisted.
            super().makeConnection(transport)
        else:
            Protocol.makeConnection(self, transport)
            factory.registerProtocol(self)
            self.wrappedProtocol.transport = self  # type: ignore[attr-defined]
        directlyProvides(self, providedBy(transport))
        if self._phase is not Phase.CONNECTING or tls.failed:
            return  # aborted (or closed, with a failed engine) in connectionMade
        self._flow.register()
        self._moveTo(Phase.HANDSHAKING)
        tls.startHandshake()
        self._flush()

    # --- bytes in -----------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        tls = self._tls
        if tls is None or self._phase not in READING:
            if self._phase is Phase.LINGERING:
                discard(self, data)
            return
        # What the application wrote before this arrived goes first: the
        # engine may answer this input (a close_notify, a KeyUpdate) at once.
        self._flush()
        flow = self._flow
        coalescer = self._coalescer
        # Output made while we handle this input counts as replies (see
        # FlowControl.checkReplies); not in the read that completes the
        # first handshake, which releases what was written before it.
        flow.countingReplies = self._phase is not Phase.HANDSHAKING
        coalescer.delivering += 1
        try:
            events = tls.receiveData(data)
            self._flush()
            # A list that may grow as it is walked: the answer to a
            # renegotiation request (always the last event of its batch)
            # returns the events of the input behind it.
            for event in events:
                if self._phase is Phase.ABORTED or self._phase is Phase.LOST:
                    return
                handler = _HANDLERS.get(event.__class__)
                if handler is not None and (more := handler(self, event)):
                    events += more
            # What the application wrote while hearing this input, in as
            # few records as possible, in this reactor turn.
            self._flush()
        finally:
            coalescer.delivering -= 1
            flow.countingReplies = False
        if self._cipherTimer is None:
            _armCipherTimer(self)
        flow.checkReplies()

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
        coalescer = self._coalescer
        coalescer.checked = False
        tls = self._tls
        if tls is None or self.transport is None:
            return
        if not coalescer.size:
            # Nothing written (take would answer None): only the engine's
            # own output, if any.  The usual case in dataReceived, which
            # flushes three times a read (the receiver rows of
            # bench/bulk.py show it).
            if tls.hasDataToSend():
                _seal(self, tls, None)
            return
        # Before the first handshake only whole records go into the engine,
        # so that all early writes share records once it completes.
        _seal(self, tls, coalescer.take(wholeRecordsOnly or not tls.handshakeComplete))

    def write(self, data: bytes) -> None:
        """
        Queue C{data}.  It leaves, with whatever else is written in this
        reactor turn, before the reactor next waits for I/O.
        """
        coalescer = self._coalescer
        if coalescer.checked and data.__class__ is bytes:
            # Fast path for many small writes in one turn (chat and RPC
            # protocols, web headers): the checks below held for the
            # previous write, and nothing that could change their outcome
            # has run since (see WriteCoalescer.checked).
            coalescer.chunks.append(data)
            coalescer.size += len(data)
            if coalescer.size >= MAX_PLAINTEXT:
                self._flush(wholeRecordsOnly=True)
            return
        if not isinstance(data, bytes):
            raise TypeError(f"Data must be bytes, not {type(data).__name__}")
        tls = self._tls
        if (
            tls is None
            or self.disconnecting
            or self._phase is Phase.LOST
            or tls.failed
            or tls.closeSent
        ):
            return
        if (
            not coalescer.size
            and data
            and not len(data) % MAX_PLAINTEXT
            and tls.handshakeComplete
            and self.transport is not None
        ):
            # Bulk writes of whole records with nothing buffered before
            # them: sealed at once, as add would have them sealed through
            # _flush, without the buffer's bookkeeping (the 16 KiB rows of
            # bench/bulk.py show it).
            coalescer.checked = False
            _seal(self, tls, data)
            return
        coalescer.add(data, tls)

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
        if self.disconnecting or self._phase is Phase.LOST:
            return
        self.disconnecting = True
        self._coalescer.checked = False
        self._closePending = True
        tls = self._tls
        if tls is None:
            return
        if not tls.handshakeComplete:
            if tls.failed:
                loseTCP(self)
            # Otherwise wait: the close goes out when the handshake ends (or
            # the connection fails, or the handshake times out).
            return
        if self._flow.producer is None:
            sendCloseNotify(self)

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
        phase = self._phase
        if (
            self.disconnecting
            or phase is Phase.LOST
            or phase is Phase.HALF_CLOSED
            or self._halfClosePending
        ):
            return
        tls = self._tls
        if tls is None or not tls.handshakeComplete:
            self._halfClosePending = True  # once the handshake completes
            return
        halfClose(self)

    def abortConnection(self) -> None:
        """
        Drop the connection at once; writes still buffered are discarded,
        as TCP's own abortConnection discards its buffer.
        """
        if self._phase is not Phase.ABORTED and self._phase is not Phase.LOST:
            self._moveTo(Phase.ABORTED)
        self._coalescer.drop()
        self.transport.abortConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        left = self._phase
        if left is Phase.LOST:
            return
        self._moveTo(Phase.LOST)
        self._coalescer.drop()
        flow = self._flow
        flow.connectionLost()
        tls = self._tls
        if self._reason is not None:
            reason = self._reason
        elif tls is not None and tls.closeReceived:
            reason = Failure(ConnectionDone("TLS connection closed cleanly"))
        elif left is not Phase.ABORTED and not reason.check(ConnectionLost):
            # EOF without close_notify: the data may have been truncated.
            reason = Failure(ConnectionLost("connection closed without TLS close_notify"))
        self._reason = None
        if self.factory.options.logTLSEvents:
            logClose(self, reason, tls is not None and tls.handshakeComplete)
        self.connected = False
        flow.stopApplicationProducer()
        if self._renegotiations is not None:
            self._renegotiations.connectionLost(reason)
        super().connectionLost(reason)

    # --- producer / consumer ------------------------------------------------

    def pauseProducing(self) -> None:
        """
        Stop delivering received data: stop reading from TCP (after the
        first handshake, which must be allowed to finish).
        """
        self._flow.applicationPaused(True)

    def resumeProducing(self) -> None:
        self._flow.applicationPaused(False)

    def stopProducing(self) -> None:
        self.transport.stopProducing()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """
        Register the application's producer.  It is paused while the first
        handshake runs and while TCP's write buffer is full (TCP tells
        L{FlowControl}, which stays registered with it).
        """
        self._flow.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        if self._flow.unregisterProducer() and self._closePending and self._phase in ESTABLISHED:
            sendCloseNotify(self)

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
        return renegotiations(self).rehandshake(timeout)

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
        return renegotiations(self).requestClientCertificate(timeout)

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
        return _engineOf(self).exportKeyingMaterial(label, length, context)

    def channelBinding(self, kind: str) -> bytes:
        """
        C{"tls-unique"}, C{"tls-exporter"} or C{"tls-server-end-point"}
        channel-binding data of the current session.  See
        L{IKeyingMaterialExporter.channelBinding}.
        """
        return _engineOf(self).channelBinding(kind)

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
        from ._factory import _TLSHandle

        return _TLSHandle(self)

    def __repr__(self) -> str:
        return f"<TLSProtocol wrapping {self.wrappedProtocol!r}>"


def _engineOf(protocol: TLSProtocol) -> TLSConnection:
    if protocol._tls is None:
        raise LocalUsageError("not connected: no TLS session yet")
    return protocol._tls


# The factory side, importable from here as it always was.  Last: it
# builds on TLSProtocol.
from ._factory import DEFAULT_CIPHER_IDLE_TIME as DEFAULT_CIPHER_IDLE_TIME  # noqa: E402
from ._factory import DEFAULT_CLOSE_TIMEOUT as DEFAULT_CLOSE_TIMEOUT  # noqa: E402
from ._factory import DEFAULT_LINGER_BYTES as DEFAULT_LINGER_BYTES  # noqa: E402
from ._factory import DEFAULT_LINGER_TIMEOUT as DEFAULT_LINGER_TIMEOUT  # noqa: E402
from ._factory import DEFAULT_MAX_UNSENT_REPLIES as DEFAULT_MAX_UNSENT_REPLIES  # noqa: E402
from ._factory import TLSFactory as TLSFactory  # noqa: E402
from ._factory import checkOptions as checkOptions  # noqa: E402
from ._factory import startTLS as startTLS  # noqa: E402
