# -*- test-case-name: tests.test_renegotiation_transport -*-
"""
The renegotiation request queue of a connection (L{RenegotiationQueue}):
C{rehandshake()} and C{requestClientCertificate()}, their waiters and
timeouts, refusals, the application's veto (L{answerRenegotiation}), and what
the application hears when a renegotiation, a TLS 1.3 key update or
post-handshake authentication completes or fails.

Each caller is a L{Waiter} with its own timeout, waiting in the queue
(L{QueuedRequest}) or on the renegotiation running in the engine
(L{PendingRenegotiation}).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import IDelayedCall, IHandshakeListener
from twisted.python.failure import Failure

from ._connectionlog import logEvent, peerCertificateSummary
from ._lifecycle import BEFORE_HANDSHAKE, ESTABLISHED, Phase
from .interfaces import IRenegotiationListener
from .tls.errors import (
    LocalUsageError,
    PostHandshakeAuthNotOffered,
    RenegotiationRefused,
    RenegotiationTimeout,
)
from .tls.events import Event, KeysUpdated, RenegotiationAnswerNeeded, RenegotiationRequested
from .tls.events import RenegotiationRefused as RenegotiationRefusedEvent
from .tls.session import TLSSession

if TYPE_CHECKING:
    from .tls.connection import TLSConnection
    from .transport import TLSProtocol


class Waiter:
    """
    One call to C{rehandshake()} or C{requestClientCertificate()}.

    Its timeout is its own: it runs from the call, covers the time spent
    queued behind another request, and when it expires only this caller
    gives up (L{PendingRenegotiation} decides whether the renegotiation
    itself is abandoned).

    @ivar deferred: what the caller got.
    @ivar clientCertificate: C{requestClientCertificate()} rather than
        C{rehandshake()} (a timeout says which).
    """

    def __init__(
        self,
        clock: Any,
        timeout: float | None,
        onTimeout: Callable[[Waiter], None],
        clientCertificate: bool = False,
    ) -> None:
        self.deferred: Deferred[TLSSession] = Deferred()
        self.clientCertificate = clientCertificate
        self._timer: IDelayedCall | None = (
            clock.callLater(timeout, onTimeout, self) if timeout is not None else None
        )

    def _stopTimer(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    def succeed(self, session: TLSSession) -> None:
        self._stopTimer()
        self.deferred.callback(session)

    def fail(self, reason: Failure) -> None:
        self._stopTimer()
        self.deferred.errback(reason)


@dataclass
class QueuedRequest:
    """
    A request waiting for the renegotiation ahead of it to end.

    @ivar clientCertificate: C{requestClientCertificate()} rather than
        C{rehandshake()}.
    """

    clientCertificate: bool
    waiter: Waiter


class PendingRenegotiation:
    """
    A renegotiation (or TLS 1.3 post-handshake auth) running in the engine,
    and the callers waiting for it.  Several callers may share one: each has
    its own L{Waiter}, all fire together when it ends.

    @ivar ours: whether we asked for it.  C{False} when it is the peer's, or
        one of ours that every caller gave up on and the engine could not
        drop: it is then only tracked, so that queued requests start after
        it, never abandoned.
    @ivar reported: the application heard C{renegotiationFailed} for it
        already (ours, timed out), so the loss of the connection is not
        reported for it a second time.
    """

    def __init__(self, ours: bool, reported: bool = False) -> None:
        self.ours = ours
        self.reported = reported
        self.waiters: list[Waiter] = []

    def add(self, waiter: Waiter) -> None:
        self.waiters.append(waiter)

    def remove(self, waiter: Waiter) -> bool:
        """
        @return: whether C{waiter} was waiting here.
        """
        if waiter in self.waiters:
            self.waiters.remove(waiter)
            return True
        return False

    def succeed(self, session: TLSSession) -> None:
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            waiter.succeed(session)

    def fail(self, reason: Failure) -> None:
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            waiter.fail(reason)


def answerRenegotiation(protocol: TLSProtocol, event: RenegotiationAnswerNeeded) -> list[Event]:
    """
    The engine stopped at a renegotiation request of the peer's that its
    gate (RFC 5746, policy, rate limit) let through: everything that came
    before it has been delivered, so the application, asked now, has heard
    it.  Its C{renegotiationRequested()} may veto the request; one that
    raises refuses it.  Nothing is asked once our close_notify is out (the
    engine drops the request: nothing may follow our close_notify).

    @return: the engine's events for the input behind the request.
    """
    tls = protocol._tls
    assert tls is not None
    # What the application wrote while hearing the earlier events goes
    # out first, under the keys it was written under.
    protocol._flush()
    application = protocol.wrappedProtocol
    allow = True
    if tls.closeSent:
        allow = False
    elif IRenegotiationListener.providedBy(application):
        try:
            allow = application.renegotiationRequested() is not False
        except Exception:
            protocol._log.failure("renegotiationRequested raised; refusing the renegotiation")
            allow = False
    events = tls.answerRenegotiation(allow)
    protocol._flush()
    return events


def renegotiations(protocol: TLSProtocol) -> RenegotiationQueue:
    """
    C{protocol}'s queue, made at its first use: most connections never
    renegotiate, and do not pay for one.
    """
    queue = protocol._renegotiations
    if queue is None:
        queue = protocol._renegotiations = RenegotiationQueue(protocol)
    return queue


class RenegotiationQueue:
    """
    The renegotiations of one connection: the one running in the engine,
    the requests waiting for it to end, and the calls made before the first
    handshake completed.

    @ivar running: the renegotiation (TLS 1.3: post-handshake auth) running
        in the engine and the callers waiting for it, until it completes, is
        refused, times out or the connection ends.
    @ivar _queue: requests waiting for C{running} to end, oldest first.  Each
        starts after the one ahead of it whatever that one's outcome; only
        connection loss (or its own timeout) fails it.  A list, not a
        deque: it holds a request or two at most.
    @ivar _startingNext: L{startNext} is running (a callback of a request
        that failed at once may call in again).
    @ivar _handshakeWaiters: calls made before the first handshake
        completed, to go ahead right after it.
    """

    __slots__ = ("_protocol", "running", "_queue", "_startingNext", "_handshakeWaiters")

    def __init__(self, protocol: TLSProtocol) -> None:
        self._protocol = protocol
        self.running: PendingRenegotiation | None = None
        self._queue: list[QueuedRequest] = []
        self._startingNext = False
        self._handshakeWaiters: list[Deferred[None]] = []

    def _engine(self) -> TLSConnection:
        tls = self._protocol._tls
        assert tls is not None
        return tls

    # --- what the application asks ------------------------------------------

    def rehandshake(self, timeout: float | None) -> Deferred[TLSSession]:
        """
        See L{TLSProtocol.rehandshake <twisted_reneg.transport.TLSProtocol.rehandshake>}.
        """
        refused = self._refused()
        if refused is not None:
            return refused
        protocol = self._protocol
        if protocol._phase in BEFORE_HANDSHAKE:
            return self._afterHandshake(lambda: self.rehandshake(timeout))
        session = protocol.session
        if session is not None and session.version == "TLSv1.3":
            return self._updateKeys(session)
        return self._enqueue(False, timeout)

    def requestClientCertificate(self, timeout: float | None) -> Deferred[TLSSession]:
        """
        See L{TLSProtocol.requestClientCertificate
        <twisted_reneg.transport.TLSProtocol.requestClientCertificate>}.
        """
        protocol = self._protocol
        if protocol.factory.isClient:
            # Misuse: raised at once, like every other misuse of ours.
            raise LocalUsageError("only a server can request a client certificate")
        refused = self._refused()
        if refused is not None:
            return refused
        if protocol._phase in BEFORE_HANDSHAKE:
            return self._afterHandshake(lambda: self.requestClientCertificate(timeout))
        return self._enqueue(True, timeout)

    def _refused(self) -> Deferred[TLSSession] | None:
        protocol = self._protocol
        if protocol._tls is None or protocol._phase is Phase.LOST or protocol.disconnecting:
            return fail(ConnectionLost("the connection is closed"))
        return None

    def _afterHandshake(self, call: Callable[[], Deferred[TLSSession]]) -> Deferred[TLSSession]:
        """
        Asked before the first handshake finished: go ahead right after it,
        rather than refusing a call the caller cannot time.  (The version,
        and so what the call means, is only known then.)
        """
        if self._engine().failed:
            return fail(ConnectionLost("the TLS handshake failed"))
        waiter: Deferred[None] = Deferred()
        self._handshakeWaiters.append(waiter)
        return waiter.addCallback(lambda _: call())

    def _updateKeys(self, session: TLSSession) -> Deferred[TLSSession]:
        tls = self._engine()
        # Data written before the call goes under the old keys, as written.
        self._protocol._flush()
        try:
            tls.rehandshake()
        except LocalUsageError as e:
            return fail(RenegotiationRefused(str(e)))
        self._protocol._flush()
        logEvent(self._protocol, "TLS key update requested (KeyUpdate update_requested sent)")
        return succeed(session)

    def _enqueue(self, clientCertificate: bool, timeout: float | None) -> Deferred[TLSSession]:
        waiter = Waiter(
            self._protocol.factory.clock, timeout, self._waiterTimedOut, clientCertificate
        )
        self._queue.append(QueuedRequest(clientCertificate, waiter))
        self.startNext()
        return waiter.deferred

    # --- moving the queue on ------------------------------------------------

    def startNext(self) -> None:
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
        protocol = self._protocol
        try:
            while self._queue and protocol._phase in ESTABLISHED and not protocol.disconnecting:
                item = self._queue[0]
                running = self.running
                if running is not None:
                    if item.clientCertificate:
                        return
                    self._queue.pop(0)
                    running.add(item.waiter)
                else:
                    self._queue.pop(0)
                    self._start(item)
        finally:
            self._startingNext = False

    def _start(self, item: QueuedRequest) -> None:
        tls = self._engine()
        self._protocol._flush()
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
        self._protocol._flush()
        logEvent(
            self._protocol,
            "TLS {what} requested",
            what="client certificate" if item.clientCertificate else "renegotiation",
        )
        self.running = PendingRenegotiation(ours=True)
        self.running.add(item.waiter)

    def _ended(self) -> PendingRenegotiation | None:
        """
        The renegotiation running in the engine ended (completed, refused,
        abandoned): forget it, so that the queue can move on.
        """
        pending, self.running = self.running, None
        return pending

    # --- what the engine says -----------------------------------------------

    def peerStarted(self, event: RenegotiationRequested) -> None:
        """
        The engine runs a renegotiation the peer started (or the late answer
        to a HelloRequest of ours that timed out): requests of ours queue
        behind it.
        """
        if not event.lateAnswer:
            logEvent(self._protocol, "TLS renegotiation started by the peer")
        if self.running is None:
            # The application was told a late answer's renegotiation failed
            # when it timed out; it hears only of its completion.
            self.running = PendingRenegotiation(ours=False, reported=event.lateAnswer)

    def handshakeCompleted(self) -> None:
        """
        The first handshake completed: the calls made before it go ahead.
        """
        waiters, self._handshakeWaiters = self._handshakeWaiters, []
        for waiter in waiters:
            waiter.callback(None)

    def renegotiationCompleted(self, session: TLSSession) -> None:
        """
        A TLS 1.2 renegotiation (ours or the peer's) completed.
        """
        logEvent(
            self._protocol,
            "TLS renegotiation {count} completed: {suite}, {group}, peer certificate {peer}",
            count=session.renegotiations,
            suite=session.cipherSuite,
            group=session.group,
            peer=peerCertificateSummary(session),
        )
        self._succeeded(session)

    def postHandshakeAuthCompleted(self, session: TLSSession) -> None:
        """
        TLS 1.3: the client answered requestClientCertificate() (or, on a
        client, we answered the server).  The application hears it as it
        would a TLS 1.2 renegotiation with a certificate request, so code
        written for either version works.
        """
        if self._protocol.factory.isClient:
            logEvent(
                self._protocol,
                "TLS post-handshake authentication: the server asked for our certificate",
            )
        else:
            logEvent(
                self._protocol,
                "TLS post-handshake client authentication: peer certificate {peer}",
                peer=peerCertificateSummary(session),
            )
        self._succeeded(session)

    def _succeeded(self, session: TLSSession) -> None:
        """
        Fire the Deferreds waiting for the renegotiation (or TLS 1.3
        post-handshake auth), tell the listeners, and move on.
        """
        pending = self._ended()
        if pending is not None:
            pending.succeed(session)
        application = self._protocol.wrappedProtocol
        if IRenegotiationListener.providedBy(application):
            application.renegotiationCompleted(session)
        if IHandshakeListener.providedBy(application):
            application.handshakeCompleted()
        self.startNext()

    def keysUpdated(self, event: KeysUpdated) -> None:
        """
        TLS 1.3: the peer updated its keys, asked to (the answer to our
        C{rehandshake()}) or asking us to (we have answered already).
        """
        protocol = self._protocol
        session = protocol.session
        logEvent(
            protocol,
            "TLS key update {n} ({who})",
            n=session.keyUpdates if session else 0,
            who="requested by the peer" if event.requestedByPeer else "the peer's",
        )
        if IRenegotiationListener.providedBy(protocol.wrappedProtocol):
            protocol.wrappedProtocol.keysUpdated(event.requestedByPeer)

    def refused(self, event: RenegotiationRefusedEvent) -> None:
        """
        A renegotiation did not happen: the peer refused ours, or our
        policy (or the application's veto) refused the peer's.
        """
        who = "the peer" if event.byPeer else "us"
        logEvent(
            self._protocol,
            "TLS renegotiation refused by {who}: {reason}",
            who=who,
            reason=event.reason,
        )
        failure = Failure(RenegotiationRefused(event.reason))
        self._notifyFailed(failure)
        if event.byPeer:
            pending = self._ended()
            if pending is not None:
                pending.fail(failure)
            self.startNext()

    def _timedOut(self, waiter: Waiter) -> str:
        """
        What did not happen in time, in the words of what was asked.
        """
        session = self._protocol.session
        tls13 = session is not None and session.version == "TLSv1.3"
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
        running = self.running
        if running is None or not running.remove(waiter):
            return
        failure = Failure(RenegotiationTimeout(self._timedOut(waiter)))
        if running.waiters or not running.ours:
            # Others still wait for it (or it is the peer's): it goes on.
            waiter.fail(failure)
            return
        self._ended()
        tls = self._protocol._tls
        if tls is not None and not tls.abandonRenegotiation():
            # A started handshake (or a post-handshake CertificateRequest)
            # cannot be dropped: the queue waits for it to end.  (A server
            # that stopped waiting for the ClientHello takes a late one as
            # the answer: RenegotiationRequested with lateAnswer.)
            self.running = PendingRenegotiation(ours=False, reported=True)
        logEvent(self._protocol, "TLS renegotiation timed out; the connection goes on")
        self._notifyFailed(failure)
        waiter.fail(failure)
        self.startNext()

    def _notifyFailed(self, failure: Failure) -> None:
        application = self._protocol.wrappedProtocol
        if IRenegotiationListener.providedBy(application):
            application.renegotiationFailed(failure)

    def connectionLost(self, reason: Failure) -> None:
        """
        The connection is gone: whoever still waits fails with C{reason}.
        """
        pending = self._ended()
        if pending is not None:
            if not pending.reported:
                self._notifyFailed(reason)
            pending.fail(reason)
        queued, self._queue = self._queue, []
        for item in queued:
            item.waiter.fail(reason)
        waiters, self._handshakeWaiters = self._handshakeWaiters, []
        for waiter in waiters:
            waiter.errback(reason)
