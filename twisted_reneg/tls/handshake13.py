# -*- test-case-name: tests.tls.test_engine13 -*-
"""
The TLS 1.3 handshake (RFC 8446), client and server, as the connection
drives it: L{Handshake13} feeds messages to the current state of
L{client13} or L{server13}.  Same shape as L{handshake12}: one state class
per expected message, the per-handshake facts on a L{HandshakeState13}
thrown away at the end.  A client offering TLS 1.2 too hands over to
L{Handshake12} when the server picks 1.2 (L{Handshake13.fallback}).
"""

from __future__ import annotations

from .client13 import ClientStart13, FellBackToTLS12
from .config import TLS13, TLSConfig
from .handshake12 import Handshake12
from .handshakeio import HandshakeIO
from .messages import ClientHello
from .server13 import ServerExpectClientHello13
from .state13 import (
    Complete13,
    HandshakeResult13,
    HandshakeState13,
    State13,
)
from .statemachine import HandshakeDriver


class Handshake13(HandshakeDriver[State13]):
    """
    One TLS 1.3 handshake; the connection feeds it messages.
    """

    version = TLS13

    def __init__(
        self, config: TLSConfig, io: HandshakeIO, clientHello: ClientHello | None = None
    ) -> None:
        """
        @param clientHello: server: the first ClientHello, already parsed
            by the connection to pick the version (its raw bytes still come
            through L{HandshakeDriver.receiveMessage}).
        """
        self._hs = HandshakeState13(config, io)
        self._state: State13 = (
            ClientStart13(self._hs)
            if config.isClient
            else ServerExpectClientHello13(self._hs, parsed=clientHello)
        )

    @property
    def result(self) -> HandshakeResult13 | None:
        return self._hs.result

    @property
    def complete(self) -> bool:
        return isinstance(self._state, Complete13)

    @property
    def fallback(self) -> Handshake12 | None:
        """
        Client: the TLS 1.2 handshake to go on with, once the server has
        chosen TLS 1.2.
        """
        state = self._state
        return state.handshake if isinstance(state, FellBackToTLS12) else None

    @property
    def started(self) -> bool:
        return not isinstance(self._state, ClientStart13 | ServerExpectClientHello13)

    def start(self) -> None:
        assert isinstance(self._state, ClientStart13)
        self._state = self._state.sendClientHello()
