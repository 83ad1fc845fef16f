# -*- test-case-name: tests.test_clock -*-
"""
The engine's notion of now is the factory's clock: certificate validity,
ticket lifetimes (the client's session cache, the client's offer, the
server's acceptance) and the renegotiation rate limit all follow a test's
L{Clock}, not the wall time.  Each test sets the clock where the wall time
would give the opposite answer.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import (
    ClientOptions,
    RenegotiationPolicy,
    RenegotiationRefused,
    ServerOptions,
    TLSAlertError,
)
from twisted_reneg.testing.memory import TLSPair
from twisted_reneg.testing.pki import cachedPKI, makeCertificate
from twisted_reneg.tls.errors import AlertDescription
from twisted_reneg.tls.extensions import ExtensionType
from twisted_reneg.tls.messages import ClientHello, HandshakeType
from twisted_reneg.tls.tickets import ClientSessionCache, ClientTicket13

from ._connected import Connected, Recorder, clientOptions, serverOptions
from ._records import splitRecords

DAY = 24 * 3600


def clockAt(seconds: float) -> Clock:
    clock = Clock()
    clock.advance(seconds)
    return clock


def pairAt(clock: Clock, server: ServerOptions, client: ClientOptions) -> TLSPair:
    return TLSPair(server, client, Recorder(), Recorder(), clock=clock)


def offersPsk(clientHello: bytes) -> bool:
    """
    Whether the flight C{clientHello} (a client's first) offers a ticket.
    """
    contentType, payload = splitRecords(clientHello)[0]
    assert contentType == 22 and payload[0] == HandshakeType.client_hello
    hello = ClientHello.parse(payload[4:])
    return hello.extensions.get(ExtensionType.pre_shared_key) is not None


class CertificateValidityTests(SynchronousTestCase):
    """
    Certificates are checked at the clock's time: L{cachedPKI}'s are valid
    from yesterday for a year of wall time.
    """

    def assertRejected(self, pair: TLSPair, side: str, words: str) -> None:
        """
        C{side}'s own verification refused the peer's certificate, with a
        certificate_expired alert that says C{words}.
        """
        app = pair.clientProtocol if side == "client" else pair.serverProtocol
        reason = app.lostReason
        self.assertIsNotNone(reason)
        error = reason.value
        self.assertIsInstance(error, TLSAlertError)
        self.assertEqual(error.alert, AlertDescription.certificate_expired)
        self.assertTrue(error.sentByUs)
        self.assertIn(words, error.reason)
        self.assertNotIn("handshakeCompleted", app.calls)

    def test_now(self) -> None:
        """
        At the wall time the handshake succeeds (the control for the tests
        below).
        """
        pair = pairAt(clockAt(time.time()), serverOptions(), clientOptions())
        pair.flush()
        self.assertIsNotNone(pair.client.session)
        self.assertIn("handshakeCompleted", pair.serverProtocol.calls)

    def test_expiredByTheClock(self) -> None:
        """
        A clock past the server certificate's notAfter: the client refuses
        it as expired, though by the wall time it is valid.
        """
        pair = pairAt(clockAt(time.time() + 400 * DAY), serverOptions(), clientOptions())
        pair.flush()
        self.assertRejected(pair, "client", "expired on")

    def test_notYetValidByTheClock(self) -> None:
        """
        A new L{Clock} reads 0 (1970): before any certificate's notBefore.
        """
        pair = pairAt(Clock(), serverOptions(), clientOptions())
        pair.flush()
        self.assertRejected(pair, "client", "is not valid before")

    def test_clientCertificateExpiredByTheClock(self) -> None:
        """
        The server checks a client certificate at its clock's time too.
        """
        pki = cachedPKI()
        root = makeCertificate("clock test CA", ca=True)
        now = datetime.fromtimestamp(time.time(), timezone.utc)
        client = makeCertificate(
            "client",
            issuer=root,
            extendedKeyUsage=["clientAuth"],
            notAfter=now + timedelta(days=1),
        )
        server = serverOptions(clientCertificates="require", trustRoots=[root.certificate])
        clientSide = ClientOptions(
            "localhost",
            trustRoots=[pki.caCertificate],
            clientCertificate=((client.certificate,), client.privateKey),
        )
        pair = pairAt(clockAt(time.time()), server, clientSide)
        pair.flush()
        self.assertIn("handshakeCompleted", pair.serverProtocol.calls)
        pair = pairAt(clockAt(time.time() + 2 * DAY), server, clientSide)
        pair.flush()
        self.assertRejected(pair, "server", "expired on")


class TicketLifetimeTests(SynchronousTestCase):
    """
    A TLS 1.3 ticket's life is measured on the clock, by the client (its
    session cache and its offer) and by the server.
    """

    lifetime = 600

    def options(self) -> tuple[ServerOptions, ClientOptions]:
        return (
            serverOptions(maxVersion="1.3", ticketLifetime=self.lifetime, handshakeTimeout=None),
            clientOptions(minVersion="1.3", handshakeTimeout=None),
        )

    def firstConnection(self, clock: Clock) -> tuple[ServerOptions, ClientOptions]:
        server, client = self.options()
        first = pairAt(clock, server, client)
        first.flush()
        self.assertFalse(first.client.session.resumed)  # type: ignore[union-attr]
        cache = client.sessionCache
        assert isinstance(cache, ClientSessionCache)
        self.assertEqual(len(cache), 2)
        return server, client

    def test_resumedWithinItsLife(self) -> None:
        """
        The control: a clock still within the lifetime resumes.
        """
        clock = clockAt(time.time())
        server, client = self.firstConnection(clock)
        clock.advance(self.lifetime - 1)
        second = pairAt(clock, server, client)
        self.assertTrue(offersPsk(second.deliverToServer()))
        second.flush()
        self.assertTrue(second.client.session.resumed)  # type: ignore[union-attr]
        self.assertTrue(second.server.session.resumed)  # type: ignore[union-attr]

    def test_notOfferedOnceExpired(self) -> None:
        """
        Past its lifetime on the clock, a ticket (valid by the wall time) is
        not offered: the client's cache drops both it holds (the engine
        would not offer one either).
        """
        clock = clockAt(time.time())
        server, client = self.firstConnection(clock)
        clock.advance(self.lifetime + 1)
        second = pairAt(clock, server, client)
        self.assertEqual(len(client.sessionCache), 0)  # type: ignore[arg-type]
        self.assertFalse(offersPsk(second.deliverToServer()))
        second.flush()
        self.assertFalse(second.client.session.resumed)  # type: ignore[union-attr]

    def test_notAcceptedOnceExpired(self) -> None:
        """
        A ticket offered within its life that reaches the server after it
        (by the server's clock) gets a full handshake.
        """
        clock = clockAt(time.time())
        server, client = self.firstConnection(clock)
        second = pairAt(clock, server, client)  # the ClientHello offers a ticket
        clock.advance(self.lifetime + 1)
        self.assertTrue(offersPsk(second.deliverToServer()))
        second.flush()
        self.assertFalse(second.server.session.resumed)  # type: ignore[union-attr]
        self.assertFalse(second.client.session.resumed)  # type: ignore[union-attr]

    def test_ticketKeysRotateOnWallTime(self) -> None:
        """
        What does not follow the clock: the options' random ticket keys,
        shared by all their connections whatever their clocks, rotate on
        wall time.  Lifetimes later on the clock, tickets are still sealed
        with the same key (its name starts each ticket).
        """
        clock = clockAt(time.time())
        server, client = self.options()
        cache = client.sessionCache
        assert isinstance(cache, ClientSessionCache)
        keyNames = []
        for _ in range(2):
            pair = pairAt(clock, server, client)
            pair.flush()
            self.assertFalse(pair.client.session.resumed)  # type: ignore[union-attr]
            ticket = cache.take(pair.client._sessionCacheKey, clock.seconds() + 1)
            assert isinstance(ticket, ClientTicket13)
            keyNames.append(ticket.ticket[:16])
            clock.advance(3 * self.lifetime)
        self.assertEqual(keyNames[0], keyNames[1])


class RenegotiationRateLimitTests(SynchronousTestCase):
    """
    The window of C{RenegotiationPolicy.windowSeconds} is the clock's.
    """

    def connected(self) -> Connected:
        policy = RenegotiationPolicy(allowPeerInitiated=True, maxPeerInitiated=2, windowSeconds=60)
        c = Connected(
            server=serverOptions(maxVersion="1.2", renegotiation=policy),
            client=clientOptions(maxVersion="1.2"),
        )
        c.flush()
        return c

    def renegotiate(self, c: Connected) -> Any:
        d = c.client.rehandshake()
        c.flush()
        return d

    def test_windowFollowsTheClock(self) -> None:
        """
        Past the limit the client's renegotiations are refused; once the
        window has passed on the clock (not on the wall) they are allowed
        again.
        """
        c = self.connected()
        for _ in range(2):
            self.successResultOf(self.renegotiate(c))
        self.failureResultOf(self.renegotiate(c), RenegotiationRefused)
        c.clock.advance(59)
        self.failureResultOf(self.renegotiate(c), RenegotiationRefused)
        c.clock.advance(1)
        session = self.successResultOf(self.renegotiate(c))
        self.assertEqual(session.renegotiations, 3)
