# -*- test-case-name: tests.test_transport -*-
"""
A connected client and server over our TLS, in memory, for trial tests:
no sockets and no real time, pumped like L{twisted.test.iosim}::

    pair = TLSPair(serverOptions, clientOptions, serverProtocol, clientProtocol)
    pair.flush()                       # handshake
    d = pair.server.rehandshake()      # the server-side TLS transport
    pair.flush()
    session = successResultOf(d)
"""

from __future__ import annotations

from typing import Any

from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.test.iosim import FakeTransport, IOPump, connect

from ..options import ClientOptions, ServerOptions
from ..transport import TLSFactory, TLSProtocol


class TLSPair:
    """
    Two application protocols talking through our TLS over iosim.

    @ivar server: the server side's TLS transport (what its protocol sees).
    @ivar client: the client side's TLS transport.
    @ivar serverProtocol: the server application protocol.
    @ivar clientProtocol: the client application protocol.
    @ivar serverTransport: the fake TCP transport under the server.
    @ivar clientTransport: the fake TCP transport under the client.
    @ivar clock: the one clock both factories use (timeouts).
    """

    def __init__(
        self,
        serverOptions: ServerOptions,
        clientOptions: ClientOptions,
        serverProtocol: Protocol | None = None,
        clientProtocol: Protocol | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.serverProtocol: Any = serverProtocol or Protocol()
        self.clientProtocol: Any = clientProtocol or Protocol()
        serverFactory = TLSFactory(
            serverOptions,
            False,
            Factory.forProtocol(lambda: self.serverProtocol),
            clock=self.clock,
        )
        clientFactory = TLSFactory(
            clientOptions, True, Factory.forProtocol(lambda: self.clientProtocol), clock=self.clock
        )
        self.server: TLSProtocol = serverFactory.buildProtocol(None)
        self.client: TLSProtocol = clientFactory.buildProtocol(None)
        self.serverTransport = FakeTransport(self.server, isServer=True)
        self.clientTransport = FakeTransport(self.client, isServer=False)
        self.pump: IOPump = connect(
            self.server,
            self.serverTransport,
            self.client,
            self.clientTransport,
            greet=False,
            clock=self.clock,
        )

    def flush(self) -> None:
        """
        Move bytes both ways until nothing moves.
        """
        self.pump.flush()
