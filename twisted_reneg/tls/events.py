# -*- test-case-name: tests.tls.test_engine -*-
"""
Events returned by L{connection.TLSConnection.receiveData}.

Events are the engine's API: frozen value types whose reprs never show key
material or application payloads (only their sizes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509

from .errors import TLSAlertError, alertName
from .session import TLSSession
from .tickets import ClientSession12, ClientTicket13


class Event:
    """
    Base class of engine events.
    """


@dataclass(frozen=True)
class HandshakeCompleted(Event):
    """
    A handshake finished and its keys are in use both ways.

    @ivar session: the new session summary.
    @ivar renegotiation: C{False} for the first handshake of the connection.
    """

    session: TLSSession
    renegotiation: bool = False


@dataclass(frozen=True)
class ApplicationData(Event):
    """
    Decrypted application bytes, in order.  Consecutive records are merged.
    """

    data: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"ApplicationData(<{len(self.data)} bytes>)"


@dataclass(frozen=True)
class PeerCertificateReceived(Event):
    """
    The peer presented a certificate chain that passed verification (or
    verification is off).
    """

    chain: tuple[x509.Certificate, ...] = field(repr=False)


@dataclass(frozen=True)
class RenegotiationAnswerNeeded(Event):
    """
    The peer asked to renegotiate (a HelloRequest to a client, a ClientHello
    to a server on an established TLS 1.2 connection), and RFC 5746, the
    policy and the rate limit let it through: the driver decides.  The
    engine processes no more input until the driver calls
    L{TLSConnection.answerRenegotiation
    <connection.TLSConnection.answerRenegotiation>}.  It is always the last
    event of its batch, so the driver has handled everything that came
    before it.  Emitted only by a connection made with
    C{askBeforePeerRenegotiation=True}.
    """


@dataclass(frozen=True)
class RenegotiationRequested(Event):
    """
    A renegotiation the peer started goes on (a HelloRequest to a client, a
    new ClientHello to a server): the policy let it through, and the driver
    too if it was asked (L{RenegotiationAnswerNeeded}).

    @ivar lateAnswer: server: the ClientHello answers a HelloRequest of ours
        that we stopped waiting for (L{TLSConnection.abandonRenegotiation
        <connection.TLSConnection.abandonRenegotiation>}); it goes on
        whatever the policy, as the renegotiation we asked for.
    """

    lateAnswer: bool = False


@dataclass(frozen=True)
class RenegotiationRefused(Event):
    """
    A renegotiation did not happen: refused by the peer (C{byPeer}) or by our
    own policy.
    """

    byPeer: bool
    reason: str


@dataclass(frozen=True)
class KeysUpdated(Event):
    """
    TLS 1.3 traffic keys were updated.
    """

    requestedByPeer: bool


@dataclass(frozen=True)
class PostHandshakeAuthCompleted(Event):
    """
    TLS 1.3 post-handshake authentication: on a server, the client answered
    our CertificateRequest and C{session} holds its verified chain (none if
    it declined); on a client, we answered the server's request.
    """

    session: TLSSession


@dataclass(frozen=True)
class SessionTicketReceived(Event):
    """
    Client: a session to resume later (a TLS 1.3 ticket, or a TLS 1.2
    session ID and/or ticket); keep it in a L{tickets.ClientSessionCache}.
    """

    ticket: ClientTicket13 | ClientSession12


@dataclass(frozen=True)
class AlertReceived(Event):
    """
    A warning alert arrived (fatal alerts end in L{ConnectionFailed}).
    """

    level: int
    description: int

    def __repr__(self) -> str:
        return f"AlertReceived({alertName(self.description)})"


@dataclass(frozen=True)
class CloseNotifyReceived(Event):
    """
    The peer sent close_notify: no more data will arrive.  The engine has
    queued its own close_notify in reply.
    """


@dataclass(frozen=True)
class ConnectionFailed(Event):
    """
    The connection failed for good; any alert to send is in C{dataToSend()}.
    """

    error: TLSAlertError
