# -*- test-case-name: tests.tls.test_renegotiation -*-
"""
L{Established12}: a TLS 1.2 connection after its first handshake.

It owns what TLS 1.2 does between handshakes: renegotiations of ours
(HelloRequest from a server, a new ClientHello from a client), the peer's
requests and the gate they pass (L{renegotiation12}), the warning
no_renegotiation either way, and what each handshake leaves for the next
(L{PreviousHandshake}: verify_data for RFC 5746, the server's chain for the
identity check, extended master secret and ALPN).  It also turns each
handshake's result into the session and the exporters' secrets.

The connection still runs each handshake (records, ChangeCipherSpec, the
message order); this object decides which handshake runs, and returns it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import ClientAuth
from .errors import AlertDescription, AlertLevel, LocalUsageError
from .establishedio import EstablishedIO
from .events import HandshakeCompleted, RenegotiationRefused, RenegotiationRequested
from .exporters import KeyingMaterial
from .handshake12 import Handshake12
from .messages import HandshakeType, HelloRequest
from .renegotiation12 import Renegotiation12
from .session import TLSSession, sessionOf
from .state12 import HandshakeResult, PreviousHandshake

if TYPE_CHECKING:
    from .handshake13 import Handshake13

__all__ = ["Established12", "keyingMaterial12", "session12"]

A = AlertDescription

#: Why a request the driver refused (L{Established12.answer}) did not happen.
REFUSED_BY_APPLICATION = "renegotiation refused by the application"


class Established12:
    """
    TLS 1.2 between handshakes, for one connection.

    @ivar previous: what the last completed handshake carries over to the
        next one.
    @ivar keyingMaterial: the exporters' secrets of the last completed
        handshake.
    """

    __slots__ = ("_io", "_gate", "previous", "keyingMaterial")

    def __init__(self, io: EstablishedIO) -> None:
        self._io = io
        self._gate = Renegotiation12(io.config.renegotiation)
        self.previous: PreviousHandshake | None = None
        self.keyingMaterial: KeyingMaterial | None = None

    def handshakeFinished(self, result: HandshakeResult) -> None:
        """
        A handshake (the first or a renegotiation) completed: record what
        it leaves behind, update the session and report it.
        """
        io, gate = self._io, self._gate
        renegotiation = io.session is not None
        if renegotiation:
            gate.count += 1
        gate.ours = False
        self.previous = result.carryOver(io.isClient)
        self.keyingMaterial = keyingMaterial12(result)
        session = io.session = session12(result, gate.count)
        io.emit(HandshakeCompleted(session, renegotiation=renegotiation))

    # --- ours ---------------------------------------------------------------

    def renegotiate(
        self, running: Handshake12 | Handshake13 | None, clientAuth: ClientAuth | None
    ) -> Handshake12 | Handshake13:
        """
        Ask for a renegotiation: a HelloRequest from a server, a new
        ClientHello from a client.

        @param running: the handshake asked for or running, if any: it
            stands, and nothing is sent.
        @param clientAuth: server: overrides the configured client
            certificate request (L{ClientAuth.REQUEST} for
            C{requestClientCertificate}).
        @return: the handshake to run.
        @raise LocalUsageError: if the peer did not negotiate RFC 5746.
        """
        io = self._io
        session = io.session
        assert session is not None
        if not session.secureRenegotiation:
            # RFC 5746: never renegotiate without it (the 2009 splicing attack).
            raise LocalUsageError("peer did not negotiate secure renegotiation (RFC 5746)")
        if running is not None:
            return running
        gate = self._gate
        gate.ours = True
        # A new HelloRequest: the next ClientHello answers this one.
        gate.unanswered = None
        # A certificate we ask for mid-connection is the application's to
        # judge: a refused one ends the renegotiation without it, not the
        # connection.
        handshake = Handshake12(
            io.config,
            io,
            self.previous,
            clientAuth,
            clientCertificateAdvisory=clientAuth is not None,
        )
        if io.isClient:
            handshake.start()
        else:
            # Not part of any transcript (RFC 5246 7.4.1.1).
            io.sendHandshake(HelloRequest().toBytes())
        return handshake

    def abandon(self, running: Handshake12 | Handshake13) -> bool:
        """
        Stop waiting for the answer to our HelloRequest (or ClientHello).
        A server keeps the handshake: a ClientHello arriving later is its
        late answer (L{lateAnswer}).

        @return: whether there was one to abandon (a renegotiation whose
            handshake already started cannot be): the caller drops it.
        """
        gate = self._gate
        if running.started or not gate.ours:
            return False
        gate.ours = False
        if isinstance(running, Handshake12) and not self._io.isClient:
            gate.unanswered = running
        return True

    def refusedByPeer(self, running: Handshake12 | Handshake13 | None) -> bool:
        """
        A warning no_renegotiation arrived.

        @return: whether it refuses the renegotiation of ours that was asked
            for (reported; the caller drops the handshake).  Otherwise it is
            only a warning, maybe the late refusal of a HelloRequest we
            stopped waiting for.
        """
        gate = self._gate
        if gate.refusedByPeer(self._io.isClient, None if running is None else running.started):
            gate.ours = False
            self._io.emit(RenegotiationRefused(byPeer=True, reason="peer sent no_renegotiation"))
            return True
        gate.unanswered = None
        return False

    # --- the peer's ---------------------------------------------------------

    def lateAnswer(self) -> Handshake12 | None:
        """
        Server, a ClientHello between handshakes: the renegotiation of ours
        it answers, if our HelloRequest is still unanswered (see
        L{Renegotiation12.lateAnswer}); it goes on whatever the policy, and
        is reported as L{RenegotiationRequested} with C{lateAnswer}.
        """
        handshake = self._gate.lateAnswer()
        if handshake is None or self._io.closeSent:
            return None
        self._io.emit(RenegotiationRequested(lateAnswer=True))
        return handshake

    def admits(self) -> bool:
        """
        The gate a request of the peer's passes before anyone is asked and
        before any public-key work: RFC 5746, policy, rate limit (which
        counts the request here, once).

        @return: whether it may go on; a refusal is out already (a warning
            no_renegotiation and L{RenegotiationRefused}).
        @raise PeerError: past the rate limit, when the policy closes the
            connection instead of refusing.
        """
        io = self._io
        if io.closeSent:
            # We are closing (maybe decided on the events delivered before
            # this request): nothing may follow our close_notify.
            return False
        session = io.session
        assert session is not None
        reason = self._gate.refusal(session, io.isClient, io.now())
        if reason is None:
            return True
        self._refuse(reason)
        return False

    def admit(self, msgType: int) -> Handshake12:
        """
        Let a request of the peer's go on: a client answers a HelloRequest
        with its ClientHello; a server's handshake is to be given the
        ClientHello.
        """
        io = self._io
        io.emit(RenegotiationRequested())
        self._gate.ours = False
        handshake = Handshake12(io.config, io, self.previous)
        if msgType == HandshakeType.hello_request:
            handshake.start()
        return handshake

    def answer(self, msgType: int, allow: bool) -> Handshake12 | None:
        """
        The driver's answer to a request that passed L{admits}.

        @return: the handshake to run, or C{None}: refused, or dropped
            silently because our close_notify went out meanwhile.
        """
        if self._io.closeSent:
            return None
        if not allow:
            self._refuse(REFUSED_BY_APPLICATION)
            return None
        return self.admit(msgType)

    def _refuse(self, reason: str) -> None:
        self._io.sendAlert(AlertLevel.WARNING, A.no_renegotiation)
        self._io.emit(RenegotiationRefused(byPeer=False, reason=reason))


def keyingMaterial12(result: HandshakeResult) -> KeyingMaterial:
    """
    What the RFC 5705 exporters and the channel bindings of a TLS 1.2
    handshake need.
    """
    return KeyingMaterial(
        "TLSv1.2",
        result.suite.hashName,
        result.masterSecret,
        result.clientRandom,
        result.serverRandom,
        result.extendedMasterSecret,
        # RFC 5929 3.1: the first Finished sent in the handshake.
        result.serverVerifyData if result.resumed else result.clientVerifyData,
    )


def session12(result: HandshakeResult, renegotiations: int) -> TLSSession:
    """
    The session summary of a completed TLS 1.2 handshake.
    """
    return sessionOf(
        result,
        "TLSv1.2",
        "TLS_" + result.suite.name,
        extendedMasterSecret=result.extendedMasterSecret,
        secureRenegotiation=result.secureRenegotiation,
        renegotiations=renegotiations,
    )
