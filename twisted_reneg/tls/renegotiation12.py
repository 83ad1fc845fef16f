# -*- test-case-name: tests.tls.test_renegotiation -*-
"""
TLS 1.2 renegotiation as the connection sees it between handshakes: who
asked for the next one, the gate a peer's request must pass (RFC 5746,
policy, rate limit; the driver's answer comes after it, see
L{established12}), HelloRequest (RFC 5246 7.4.1.1) and the warning
no_renegotiation that refuses or answers a request.

The handshakes themselves are L{handshake12}'s; this module decides
whether one starts, and holds the rules a renegotiating handshake must
keep, one function each: RFC 5746's renegotiation_info, the same server
certificate, and RFC 7627's extended master secret once in use.
"""

from __future__ import annotations

import hmac
from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING

from .config import RenegotiationPolicy
from .errors import AlertDescription, PeerError, UnexpectedMessage
from .messages import HandshakeType, messageName
from .session import TLSSession

if TYPE_CHECKING:
    from .handshake12 import Handshake12
    from .state12 import HandshakeState12

A = AlertDescription


def checkSecureRenegotiation(
    hs: HandshakeState12, received: bytes | None, expected: bytes, what: str
) -> None:
    """
    RFC 5746 section 3.4/3.5/3.6/3.7: the renegotiation_info value must be
    exactly the previous verify_data (empty on the first handshake).  The
    comparison is constant time because verify_data is a MAC.
    """
    if received is None:
        if hs.isRenegotiation:
            raise PeerError(A.handshake_failure, f"{what} omitted renegotiation_info")
        return
    if not hmac.compare_digest(received, expected):
        raise PeerError(A.handshake_failure, f"{what} renegotiation_info does not match")
    hs.secureRenegotiation = True


def checkServerIdentityUnchanged(hs: HandshakeState12) -> None:
    """
    A renegotiation must not change who the server is (the triple-handshake
    attack, RFC 7627 section 1; Go's doFullHandshake): same chain.
    """
    if hs.previous is None:
        return
    if hs.peerChain != hs.previous.serverChain:
        raise PeerError(A.bad_certificate, "server certificate changed during renegotiation")


def checkExtendedMasterSecretKept(hs: HandshakeState12) -> None:
    """
    A renegotiation must not drop RFC 7627 once it was in use: the session
    would lose its binding to the handshake.
    """
    if hs.previous is not None and hs.previous.extendedMasterSecret:
        if not hs.extendedMasterSecret:
            raise PeerError(A.handshake_failure, "renegotiation without extended master secret")


def checkHelloRequest(isClient: bool, body: bytes) -> None:
    """
    RFC 5246 7.4.1.1: only a server sends HelloRequest, and it is empty.
    """
    if not isClient:
        raise UnexpectedMessage(("client_hello",), messageName(HandshakeType.hello_request))
    if body:
        raise PeerError(A.decode_error, "HelloRequest with a body")


def checkPeerStart(isClient: bool, msgType: int) -> None:
    """
    Between handshakes a peer may start one only with a ClientHello (from a
    client) or a HelloRequest (from a server, handled apart).
    """
    if isClient or msgType != HandshakeType.client_hello:
        raise UnexpectedMessage(
            ("hello_request",) if isClient else ("client_hello",), messageName(msgType)
        )


class Renegotiation12:
    """
    The renegotiation state that outlives each handshake.

    @ivar ours: whether the renegotiation asked for or running is one we
        started (so a no_renegotiation warning answers it).
    @ivar count: renegotiations completed on the connection.
    @ivar unanswered: server: the renegotiation of ours that we stopped
        waiting for (L{TLSConnection.abandonRenegotiation}) while our
        HelloRequest is still unanswered; a ClientHello that comes later
        is the answer to it (L{lateAnswer}).
    """

    __slots__ = ("_policy", "_peerTimes", "ours", "count", "unanswered")

    def __init__(self, policy: RenegotiationPolicy) -> None:
        self._policy = policy
        #: Created at the first request of the peer's: an empty deque is
        #: some 600 bytes, on every connection, most of which never see one.
        self._peerTimes: deque[float] | None = None
        self.ours = False
        self.count = 0
        self.unanswered: Handshake12 | None = None

    def lateAnswer(self) -> Handshake12 | None:
        """
        Server, a ClientHello between handshakes: the renegotiation of ours
        it answers, if our HelloRequest is still unanswered.

        We asked for that handshake, so it is ours, whatever our policy on
        the client's own renegotiations: RFC 5246 7.4.1.1 lets a client
        answer a HelloRequest when it likes, and refusing the answer with a
        warning no_renegotiation would leave a client that ignores warning
        alerts (Go's) waiting for a ServerHello for ever.  The caller's
        Deferred has failed already (it timed out); the application hears of
        the completed renegotiation through its listener.
        """
        handshake, self.unanswered = self.unanswered, None
        if handshake is not None:
            self.ours = True
        return handshake

    def refusal(self, session: TLSSession, isClient: bool, now: datetime) -> str | None:
        """
        The gate for renegotiations the peer starts, checked before any
        public-key work: RFC 5746, policy, rate limit.  (The driver, when
        it is asked, decides after this: a request refused here is never
        put to it, and one put to it has been counted already.)

        @return: why the request is refused (with a warning
            no_renegotiation), or C{None} to go on.
        @raise PeerError: past the rate limit, when the policy closes the
            connection instead of refusing.
        """
        if not session.secureRenegotiation:
            return "peer does not support secure renegotiation"
        if not self._policy.peerMayRenegotiate(isClient):
            return "renegotiation by the peer is disabled"
        if not self._withinRateLimit(now.timestamp()):
            if self._policy.closeOnLimit:
                raise PeerError(A.handshake_failure, "renegotiation rate limit exceeded")
            return "renegotiation rate limit exceeded"
        return None

    def _withinRateLimit(self, now: float) -> bool:
        """
        Count this request against C{maxPeerInitiated} per C{windowSeconds}.
        """
        policy = self._policy
        times = self._peerTimes
        if times is None:
            times = self._peerTimes = deque()
        while times and now - times[0] >= policy.windowSeconds:
            times.popleft()
        if len(times) >= policy.maxPeerInitiated:
            return False
        times.append(now)
        return True

    def refusedByPeer(self, isClient: bool, handshakeStarted: bool | None) -> bool:
        """
        Whether a no_renegotiation warning answers a renegotiation of ours
        not started yet: a client's ClientHello is out; a server's
        HelloRequest is answered by a ClientHello or by this alert.

        @param handshakeStarted: the pending handshake's C{started}, or
            C{None} without one.
        """
        if handshakeStarted is None or not self.ours:
            return False
        return isClient or not handshakeStarted
