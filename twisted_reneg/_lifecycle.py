# -*- test-case-name: tests.test_transport_structure -*-
"""
The life of a L{TLSProtocol <twisted_reneg.transport.TLSProtocol>}: its
phases, the moves between them (one table, L{MOVES}, read by
L{TLSProtocol._moveTo <twisted_reneg.transport.TLSProtocol._moveTo>}, which
makes every move, so that the table is the whole story of which states
exist), the timer each phase owns (L{PHASE_TIMERS}), and the steps that
close a connection.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import (
    IDelayedCall,
    IHalfCloseableProtocol,
    IHandshakeListener,
    ITCPTransport,
)
from twisted.python.failure import Failure

from ._connectionlog import logEvent, logHandshake
from .tls.errors import TLSAlertError, TLSHandshakeTimeout
from .tls.session import TLSSession

if TYPE_CHECKING:
    from .transport import TLSFactory, TLSProtocol


class Phase(Enum):
    """
    Where a connection is in its life.
    """

    #: Made, the handshake not started: the wrapped protocol's
    #: C{connectionMade} runs (writes wait, a close waits for the handshake).
    CONNECTING = "connecting"
    #: The first handshake runs (the handshake timer is armed).
    HANDSHAKING = "handshaking"
    #: The first handshake completed: data flows both ways.
    OPEN = "open"
    #: Our close_notify is out (C{loseWriteConnection}); the peer's data is
    #: still read and delivered.
    HALF_CLOSED = "half-closed"
    #: Our close_notify is out and we wait for the peer's (the close timer).
    CLOSING = "closing"
    #: Our fatal alert (or cancelled handshake) is out: the peer's bytes are
    #: read and discarded for a while (the linger timer), see
    #: L{lingeringClose}.
    LINGERING = "lingering"
    #: TCP was asked to close once what we handed it is sent: no more
    #: records either way.
    TCP_CLOSING = "TCP closing"
    #: TCP was dropped at once (C{abortConnection}, or a lingering close
    #: that ran out).
    ABORTED = "aborted"
    #: C{connectionLost} ran.
    LOST = "lost"


_P = Phase

#: The legal moves: from each phase, the phases it may move to.  Any other
#: move is a bug, and L{TLSProtocol._moveTo
#: <twisted_reneg.transport.TLSProtocol._moveTo>} raises.
MOVES: dict[Phase, frozenset[Phase]] = {
    _P.CONNECTING: frozenset({_P.HANDSHAKING, _P.TCP_CLOSING, _P.ABORTED, _P.LOST}),
    _P.HANDSHAKING: frozenset({_P.OPEN, _P.LINGERING, _P.TCP_CLOSING, _P.ABORTED, _P.LOST}),
    _P.OPEN: frozenset(
        {_P.HALF_CLOSED, _P.CLOSING, _P.LINGERING, _P.TCP_CLOSING, _P.ABORTED, _P.LOST}
    ),
    _P.HALF_CLOSED: frozenset({_P.CLOSING, _P.LINGERING, _P.TCP_CLOSING, _P.ABORTED, _P.LOST}),
    _P.CLOSING: frozenset({_P.LINGERING, _P.TCP_CLOSING, _P.ABORTED, _P.LOST}),
    _P.LINGERING: frozenset({_P.TCP_CLOSING, _P.ABORTED, _P.LOST}),
    _P.TCP_CLOSING: frozenset({_P.ABORTED, _P.LOST}),
    _P.ABORTED: frozenset({_P.LOST}),
    _P.LOST: frozenset(),
}

#: Phases that close the connection: entering one sets Twisted's
#: C{disconnecting}.  (Not C{LOST}: a connection the peer dropped was not
#: disconnecting, as with Twisted's own TCP transport.)
DISCONNECTING: frozenset[Phase] = frozenset({_P.CLOSING, _P.LINGERING, _P.TCP_CLOSING, _P.ABORTED})

#: Phases in which no more records flow: entering one stops the timer that
#: releases idle cipher contexts, and it is not armed again.
NO_RECORDS: frozenset[Phase] = frozenset({_P.LINGERING, _P.TCP_CLOSING, _P.ABORTED, _P.LOST})

#: Phases whose input goes to the engine (C{LINGERING} discards it; in the
#: others it has nothing left to say).
READING: tuple[Phase, ...] = (_P.OPEN, _P.HANDSHAKING, _P.HALF_CLOSED, _P.CLOSING)

#: Before the first handshake completed.
BEFORE_HANDSHAKE: tuple[Phase, ...] = (_P.CONNECTING, _P.HANDSHAKING)

#: After the first handshake and before any close but a half-close: where
#: a renegotiation may start and a close waiting for a producer goes out.
ESTABLISHED: tuple[Phase, ...] = (_P.OPEN, _P.HALF_CLOSED)


def cancel(call: IDelayedCall) -> None:
    """
    Cancel C{call} if it is still pending (a call that ran or was cancelled
    already is left alone).
    """
    if call.active():
        call.cancel()


def sendCloseNotify(protocol: TLSProtocol) -> None:
    """
    What was written, then our close_notify; then wait for the peer's
    (L{Phase.CLOSING}, at most C{factory.closeTimeout} seconds), or, if it
    has arrived already, close TCP.
    """
    tls = protocol._tls
    assert tls is not None
    protocol._closePending = False
    protocol._flush()
    tls.close()
    protocol._flush()
    if tls.closeReceived:
        loseTCP(protocol)
    else:
        protocol._moveTo(Phase.CLOSING)


def halfClose(protocol: TLSProtocol) -> None:
    """
    What was written, then our close_notify, then a TCP FIN where TCP can.
    """
    tls = protocol._tls
    assert tls is not None
    protocol._flush()
    tls.close()
    protocol._flush()
    protocol._moveTo(Phase.HALF_CLOSED)
    if ITCPTransport.providedBy(protocol.transport) and not tls.closeReceived:
        protocol.transport.loseWriteConnection()


def loseTCP(protocol: TLSProtocol) -> None:
    """
    Close TCP once what we handed it is sent.
    """
    if protocol._phase is Phase.TCP_CLOSING:
        return  # the application closed from a callback of ours meanwhile
    protocol._moveTo(Phase.TCP_CLOSING)
    protocol._flow.release()
    protocol.transport.loseConnection()


def lingeringClose(protocol: TLSProtocol) -> None:
    """
    Our fatal alert (or cancelled handshake) is queued: send it, close our
    write side, then read and discard until the peer closes, or
    C{factory.lingerTimeout} seconds or C{factory.lingerBytes} bytes are
    up.  Closing with unread bytes in the kernel's receive buffer makes TCP
    send a reset instead of a FIN: the peer, often still in the middle of
    writing what caused the alert, then gets ECONNRESET or EPIPE and may
    never read the alert (some stacks even discard it on arrival of the
    reset).  The application hears C{connectionLost} with the alert's
    reason when TCP is gone.
    """
    if protocol._phase is Phase.LINGERING or protocol._phase is Phase.LOST:
        return
    protocol._coalescer.drop()
    if protocol.factory.lingerTimeout <= 0:
        protocol._flush()
        loseTCP(protocol)
        return
    protocol._moveTo(Phase.LINGERING)
    protocol._flush()
    protocol._flow.release()
    protocol._flow.updateReading()
    if ITCPTransport.providedBy(protocol.transport):
        # FIN after the alert: a peer that reads it sees the end, and
        # closes, which ends our lingering at once.
        protocol.transport.loseWriteConnection()


def discard(protocol: TLSProtocol, data: bytes) -> None:
    """
    Lingering: what the peer sends is counted, and thrown away.
    """
    protocol._lingerDiscarded += len(data)
    if protocol._lingerDiscarded > protocol.factory.lingerBytes:
        lingerEnded(protocol, "byte limit reached")


def lingerEnded(protocol: TLSProtocol, why: str) -> None:
    """
    Enough lingering: drop the connection.
    """
    logEvent(
        protocol,
        "TLS lingering close ended ({why}, {n} bytes discarded); dropping the connection",
        why=why,
        n=protocol._lingerDiscarded,
    )
    abort = getattr(protocol.transport, "abortConnection", None)
    if abort is not None:
        protocol._moveTo(Phase.ABORTED)
        abort()
    else:
        loseTCP(protocol)


def established(protocol: TLSProtocol, session: TLSSession) -> None:
    """
    The first handshake completed: the connection is open.  Calls made
    before it go ahead, the application's producer may produce, and a
    close or half-close that waited for it goes out.
    """
    protocol._moveTo(Phase.OPEN)
    if protocol.factory.options.logTLSEvents:
        logHandshake(protocol, session)
    if protocol._renegotiations is not None:
        protocol._renegotiations.handshakeCompleted()
    flow = protocol._flow
    flow.handshakeCompleted()
    if IHandshakeListener.providedBy(protocol.wrappedProtocol):
        protocol.wrappedProtocol.handshakeCompleted()
    if protocol._phase is not Phase.OPEN:
        pass  # the application closed from a callback meanwhile
    elif protocol._closePending and flow.producer is None:
        sendCloseNotify(protocol)
    elif protocol._halfClosePending:
        protocol._halfClosePending = False
        halfClose(protocol)
    if protocol._renegotiations is not None:
        protocol._renegotiations.startNext()


def closeNotifyReceived(protocol: TLSProtocol) -> None:
    """
    The peer's close_notify arrived: the application hears the end of its
    data, and ours goes out (at once, or when a half-closing application
    is done writing), then TCP closes.
    """
    tls = protocol._tls
    assert tls is not None
    if protocol._phase is Phase.HANDSHAKING and protocol._reason is None:
        # A clean close is only clean once there was a connection: a peer
        # that gives up mid-handshake (user_canceled and close_notify, say)
        # did not let us connect.
        protocol._reason = Failure(
            ConnectionLost("the peer closed the connection during the TLS handshake")
        )
    # The peer will send nothing more: a half-close-aware protocol hears
    # that first, as it would for a TCP FIN.  (TLS 1.2 then requires our
    # close_notify at once, which the engine queued.)
    halfCloseable = IHalfCloseableProtocol.providedBy(protocol.wrappedProtocol)
    if halfCloseable:
        protocol.wrappedProtocol.readConnectionLost()  # type: ignore[attr-defined]
        if protocol._phase is Phase.ABORTED or protocol._phase is Phase.LOST:
            return  # the application dropped the connection meanwhile
        if not tls.closeSent and not protocol.disconnecting:
            # TLS 1.3 half-close (RFC 8446 6.1): the application may go on
            # writing, and closes when it is done.
            return
    if not tls.closeSent:
        # Our close_notify (TLS 1.3 does not send it for us), then, as the
        # peer's has arrived, the end of TCP.
        sendCloseNotify(protocol)
        return
    protocol._flush()
    loseTCP(protocol)


def connectionFailed(protocol: TLSProtocol, error: TLSAlertError) -> None:
    """
    The connection failed for good: linger after our own fatal alert, close
    at once after the peer's.
    """
    logEvent(protocol, "TLS connection failed: {error}", error=str(error))
    if protocol._reason is None:
        protocol._reason = Failure(error)
    if error.sentByUs:
        lingeringClose(protocol)
    else:
        # The peer gave up: it reads nothing more from us.
        protocol._coalescer.drop()
        protocol._flush()
        loseTCP(protocol)


def handshakeTimedOut(protocol: TLSProtocol) -> None:
    """
    The first handshake took too long: a peer that connects and stalls
    (sends nothing, or half a ClientHello) may not hold a connection.
    There is no timeout alert; we cancel the handshake the way RFC 8446 6.1
    describes for reasons that are no protocol failure (a warning
    user_canceled, then close_notify) and close.
    """
    tls = protocol._tls
    assert tls is not None
    timeout = protocol.factory.options.handshakeTimeout
    assert timeout is not None
    logEvent(
        protocol, "TLS handshake not completed within {timeout} seconds; closing", timeout=timeout
    )
    if protocol._reason is None:
        protocol._reason = Failure(TLSHandshakeTimeout(timeout))
    tls.cancelHandshake()
    lingeringClose(protocol)


def closeTimedOut(protocol: TLSProtocol) -> None:
    """
    The peer did not answer our close_notify in time.  (Still
    L{Phase.CLOSING}: the connection did not close cleanly, and
    C{connectionLost} says so.)
    """
    logEvent(protocol, "TLS peer did not answer close_notify; dropping the connection")
    protocol.transport.abortConnection()


#: The timer each phase owns: how many seconds (from the factory; C{None}:
#: none) and what happens when they are up.  L{TLSProtocol._moveTo
#: <twisted_reneg.transport.TLSProtocol._moveTo>} arms it on entering the
#: phase and cancels it on leaving.
PHASE_TIMERS: dict[
    Phase, tuple[Callable[[TLSFactory], float | None], Callable[[TLSProtocol], None]]
] = {
    Phase.HANDSHAKING: (lambda factory: factory.options.handshakeTimeout, handshakeTimedOut),
    Phase.CLOSING: (lambda factory: factory.closeTimeout, closeTimedOut),
    Phase.LINGERING: (
        lambda factory: factory.lingerTimeout,
        lambda protocol: lingerEnded(protocol, "time is up"),
    ),
}
