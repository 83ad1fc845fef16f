# -*- test-case-name: tests.tls.test_engine -*-
"""
The TLS 1.2 handshake, client and server (RFC 5246, RFC 8422, RFC 7627,
RFC 5746, RFC 5077), with renegotiation built in, as the connection drives
it: L{Handshake12} feeds messages to the current state of L{client12} or
L{server12}.

Each side is a list of states, one per expected message, read top to bottom
like the RFC's message flow.  A state's C{handle} checks one message, does
what it calls for (send the next flight, switch keys) and returns the next
state.  Everything one handshake learns lives on a L{HandshakeState12} that
is thrown away when the handshake ends; what outlives it (verify_data for
RFC 5746, the peer's chain for the renegotiation identity check) is passed
in explicitly as L{PreviousHandshake}.
"""

from __future__ import annotations

from .client12 import ClientExpectServerHello12, ClientStart12
from .config import ClientAuth, TLSConfig
from .handshakeio import HandshakeIO
from .messages import HandshakeType
from .server12 import ServerExpectClientHello12
from .state12 import (
    Complete,
    HandshakeResult,
    HandshakeState12,
    PreviousHandshake,
    State12,
)
from .statemachine import HandshakeDriver
from .tickets import ClientSession12


class Handshake12(HandshakeDriver[State12]):
    """
    One TLS 1.2 handshake, either side; the connection feeds it messages.

    @ivar result: set once the handshake is complete.
    """

    def __init__(
        self,
        config: TLSConfig,
        io: HandshakeIO,
        previous: PreviousHandshake | None = None,
        clientAuth: ClientAuth | None = None,
        clientCertificateAdvisory: bool = False,
    ) -> None:
        """
        @param previous: what the handshake before this one left behind;
            C{None} for the first handshake of a connection.
        @param clientAuth: server only: overrides the configured client
            certificate request for this handshake
            (L{TLSConnection.requestClientCertificate}).
        @param clientCertificateAdvisory: server only: a client certificate
            that fails verification leaves the session without one (and
            the reason in its result) instead of failing the handshake.
        """
        auth = config.clientAuth if clientAuth is None else clientAuth
        self._hs = HandshakeState12(config, io, previous, auth, clientCertificateAdvisory)
        self._state: State12 = (
            ClientStart12(self._hs) if config.isClient else ServerExpectClientHello12(self._hs)
        )

    @property
    def result(self) -> HandshakeResult | None:
        return self._hs.result

    @property
    def complete(self) -> bool:
        return isinstance(self._state, Complete)

    @property
    def started(self) -> bool:
        """
        Whether any message of this handshake has been sent or received.
        """
        return not isinstance(self._state, ClientStart12 | ServerExpectClientHello12)

    @property
    def awaitsFinished(self) -> bool:
        """
        Whether the peer's ChangeCipherSpec is in and its Finished is next:
        RFC 5246 7.4.9 wants nothing between the two.
        """
        return self._state.expected == (HandshakeType.finished,)

    @classmethod
    def afterClientHello(
        cls,
        config: TLSConfig,
        io: HandshakeIO,
        clientRandom: bytes,
        helloRaw: bytes,
        session: ClientSession12 | None,
        sessionIdSent: bytes,
        offeredExtensions: frozenset[int],
    ) -> Handshake12:
        """
        Client: a TLS 1.2 handshake that takes over after a ClientHello
        offering TLS 1.3 and 1.2 was answered with TLS 1.2.

        @param session: the TLS 1.2 session that hello offered, if any.
        @param offeredExtensions: the extension types that hello carried.
        """
        handshake = cls(config, io)
        hs = handshake._hs
        hs.clientRandom = clientRandom
        hs.resumeSession = session
        hs.sessionIdSent = sessionIdSent
        hs.ticketOffered = True
        hs.offeredExtensions = offeredExtensions
        hs.transcript.update(helloRaw)
        handshake._state = ClientExpectServerHello12(hs)
        return handshake

    def start(self) -> None:
        """
        Client: send the ClientHello.
        """
        assert isinstance(self._state, ClientStart12)
        self._state = self._state.sendClientHello()
