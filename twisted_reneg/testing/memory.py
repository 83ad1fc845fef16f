# -*- test-case-name: tests.test_testing,tests.test_transport -*-
"""
A connected client and server over our TLS, in memory, for trial tests:
no sockets and no real time, pumped like L{twisted.test.iosim}::

    pair = TLSPair(serverOptions, clientOptions, serverProtocol, clientProtocol)
    pair.flush()                       # handshake
    d = pair.server.rehandshake()      # the server-side TLS transport
    pair.flush()
    session = successResultOf(d)

Bytes can also move one way at a time (L{TLSPair.deliverToServer},
L{TLSPair.deliverToClient}) and one side's can be held back from
L{TLSPair.flush} (L{TLSPair.holdClient}, L{TLSPair.holdServer}): a peer
that never answers, or one flight of a handshake at a time.
"""

from __future__ import annotations

import time
from typing import Any

from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.test.iosim import FakeTransport

from ..options import ClientOptions, ServerOptions
from ..transport import TLSFactory, TLSProtocol

#: Rounds of L{TLSPair.flush} before it gives up: two protocols that keep
#: answering each other for ever are a bug in the test or the code.
MAX_FLUSH_ROUNDS = 1000


class TLSPair:
    """
    Two application protocols talking through our TLS over iosim.

    Moving bytes:

      - L{flush}: both ways until nothing moves (a whole handshake, a
        request and its answer), except what a held side sends.
      - L{deliverToServer}, L{deliverToClient}: one hop, one way: what the
        client (server) has sent so far reaches the other side, then its
        TCP close if it closed, and what that side answers stays with it
        until the next call.  They return the bytes delivered, and move a
        held side's bytes too: the test is moving them by hand.
      - L{holdClient}, L{holdServer}: from now on L{flush} leaves what that
        side sends where it is, in order, its TCP close behind its bytes,
        until L{releaseClient} (L{releaseServer}); the next L{flush} or
        L{deliverToServer} (L{deliverToClient}) then delivers it.  A held
        side still receives.

    L{flush}, L{deliverToServer} and L{deliverToClient} first run what is
    due on L{clock} now (C{advance(0)}, what a reactor turn would run): the
    transport seals what the application writes in a C{callLater(0)}, so
    that the writes of one turn leave together, and a write reaches TCP
    only then.  Tests never need a C{clock.advance(0)} of their own.

    Time: L{clock} is the only time both sides know: timeouts, and the
    engines' notion of now (certificate validity, the renegotiation rate
    limit, session ticket ages and lifetimes, the client's session cache).
    The clock made when none is given reads the wall time when the pair is
    made, so certificates valid today are valid; a L{Clock} of your own
    starts at 0 (1970), before any certificate's C{notBefore}: set it first
    (C{clock.advance(time.time())}).

    @ivar server: the server side's TLS transport (what its protocol sees).
    @ivar client: the client side's TLS transport.
    @ivar serverProtocol: the server application protocol.
    @ivar clientProtocol: the client application protocol.
    @ivar serverTransport: the fake TCP transport under the server.
    @ivar clientTransport: the fake TCP transport under the client.
    @ivar clock: the one clock both factories use.
    """

    def __init__(
        self,
        serverOptions: ServerOptions,
        clientOptions: ClientOptions,
        serverProtocol: Protocol | None = None,
        clientProtocol: Protocol | None = None,
        clock: Clock | None = None,
    ) -> None:
        """
        Connect the two: the client's ClientHello is written, and nothing
        is delivered yet.

        @param clock: the time of both sides; by default a new L{Clock}
            set to the wall time.
        """
        if clock is None:
            clock = Clock()
            clock.advance(time.time())
        self.clock = clock
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
        self._held: set[FakeTransport] = set()
        self.server.makeConnection(self.serverTransport)
        self.client.makeConnection(self.clientTransport)

    # --- holding --------------------------------------------------------------

    def holdClient(self) -> None:
        """
        Keep what the client sends from L{flush} until L{releaseClient}: a
        client that never answers, or answers late.
        """
        self._held.add(self.clientTransport)

    def releaseClient(self) -> None:
        """
        Let L{flush} deliver the client's bytes again, those held first.
        Nothing moves until the next L{flush} or L{deliverToServer}.
        """
        self._held.discard(self.clientTransport)

    def holdServer(self) -> None:
        """
        Keep what the server sends from L{flush} until L{releaseServer}.
        """
        self._held.add(self.serverTransport)

    def releaseServer(self) -> None:
        """
        Let L{flush} deliver the server's bytes again, those held first.
        Nothing moves until the next L{flush} or L{deliverToClient}.
        """
        self._held.discard(self.serverTransport)

    @property
    def clientHeld(self) -> bool:
        """
        Whether L{holdClient} is in force.
        """
        return self.clientTransport in self._held

    @property
    def serverHeld(self) -> bool:
        """
        Whether L{holdServer} is in force.
        """
        return self.serverTransport in self._held

    # --- moving bytes ---------------------------------------------------------

    def deliverToServer(self, advanceClock: bool = True) -> bytes:
        """
        One hop: what the client has sent so far (held or not) reaches the
        server, and then its closing of TCP if it closed.  What the server
        answers stays with it.

        @param advanceClock: C{False} to deliver only what is already
            written to TCP, without first running what is due on the clock
            (C{advance(0)}): for tests of when bytes leave.

        @return: the bytes delivered (C{b""}: none).
        """
        return self._deliver(self.clientTransport, self.serverTransport, advanceClock)

    def deliverToClient(self, advanceClock: bool = True) -> bytes:
        """
        One hop: what the server has sent so far (held or not) reaches the
        client, and then its closing of TCP if it closed.  What the client
        answers stays with it.

        @param advanceClock: C{False} to deliver only what is already
            written to TCP, without first running what is due on the clock
            (C{advance(0)}): for tests of when bytes leave.

        @return: the bytes delivered (C{b""}: none).
        """
        return self._deliver(self.serverTransport, self.clientTransport, advanceClock)

    def flush(self) -> None:
        """
        Move bytes both ways until nothing moves, except what a held side
        sends.

        @raise AssertionError: if bytes still move after L{MAX_FLUSH_ROUNDS}
            rounds.
        """
        for _ in range(MAX_FLUSH_ROUNDS):
            if not self._round():
                return
        raise AssertionError(f"bytes still moving after {MAX_FLUSH_ROUNDS} rounds")

    def _round(self) -> bool:
        """
        One round of L{flush}, as L{twisted.test.iosim.IOPump.pump} does
        it: what is due on the clock, the bytes both ways, and when none
        moved, one step of a TCP close.

        @return: whether anything moved.
        """
        self.clock.advance(0)
        server, client = self.serverTransport, self.clientTransport
        serverData = self._take(server) if server not in self._held else b""
        clientData = self._take(client) if client not in self._held else b""
        client._checkProducer()
        server._checkProducer()
        if clientData:
            server.bufferReceived(clientData)
        if serverData:
            client.bufferReceived(serverData)
        if clientData or serverData:
            return True
        for source, destination in ((server, client), (client, server)):
            if self._closeDue(source) and (source not in self._held or destination.disconnected):
                self._deliverClose(source, destination)
                return True
        return False

    def _deliver(
        self, source: FakeTransport, destination: FakeTransport, advanceClock: bool
    ) -> bytes:
        if advanceClock:
            self.clock.advance(0)
        data = self._take(source)
        if data:
            destination.bufferReceived(data)
        if self._closeDue(source):
            self._deliverClose(source, destination)
            if self._closeDue(destination):
                # The closing side's end is gone too: it hears so at once,
                # as a closed socket's owner does.
                self._deliverClose(destination, source)
        return data

    @staticmethod
    def _take(source: FakeTransport) -> bytes:
        """
        What C{source} has written, taken from it; nothing once its
        connection is gone (what is left is lost, as TCP would lose it).
        """
        if source.disconnected:
            source.stream.clear()
            return b""
        return source.getOutBuffer() or b""

    @staticmethod
    def _closeDue(source: FakeTransport) -> bool:
        """
        Whether C{source} is closing and its peer has not heard yet.
        """
        return bool(source.disconnecting) and not source.disconnected

    @staticmethod
    def _deliverClose(source: FakeTransport, destination: FakeTransport) -> None:
        """
        C{source}'s TCP close reaches C{destination}'s protocol, which
        closes in turn (iosim's model).
        """
        source.disconnected = True
        destination.disconnecting = True
        destination.reportDisconnect()
