# -*- test-case-name: tests.test_resumption -*-
"""
Session resumption in memory.  TLS 1.3 (RFC 8446 2.2, 4.2.11, 4.6.1):
tickets issued and resumed (psk_dhe_ke), binders checked, tickets refused
for the wrong key, hash, name, age or client-certificate need, key
rotation and shared keys, 0-RTT refused cleanly.  TLS 1.2: session IDs and
RFC 5077 tickets, the extended master secret kept.  And the transport's
client-side cache for both.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timezone

from cryptography.hazmat.primitives.serialization import Encoding
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.config import TLS13, ClientAuth, TLSConfig
from twisted_reneg.tls.connection import TLSConnection
from twisted_reneg.tls.errors import AlertDescription, PeerError
from twisted_reneg.tls.established13 import TICKETS_AFTER_RESUMPTION, TICKETS_PER_HANDSHAKE
from twisted_reneg.tls.events import ConnectionFailed
from twisted_reneg.tls.extensions import Extensions, ExtensionType, OfferedPsks
from twisted_reneg.tls.messages import ClientHello
from twisted_reneg.tls.records import ContentType, RecordReader, RecordWriter, tls13Protection
from twisted_reneg.tls.state13 import HRR_RANDOM
from twisted_reneg.tls.suites import TLS13_SUITES, NamedGroup
from twisted_reneg.tls.tickets import (
    ClientSessionCache,
    ServerSessionCache,
    TicketKeys,
)

from ._connected import Connected, clientOptions, serverOptions
from ._flights import rewriteClientHello
from ._resumption import client13, fullThenResume, server13, tickets, tls12Sessions
from .enginepair import EnginePair, clientConfig, credentialOf, serverConfig

A = AlertDescription
_DER = Encoding.DER
AES128, CHACHA, AES256 = TLS13_SUITES


class ResumptionTests(SynchronousTestCase):
    def test_ticketsThenResumed(self) -> None:
        keys = TicketKeys()
        full, resumed = fullThenResume(keys)
        self.assertEqual(len(tickets(full.client.events)), TICKETS_PER_HANDSHAKE)
        first = full.client.connection.session
        session = resumed.client.connection.session
        assert first is not None and session is not None
        self.assertFalse(first.resumed)
        self.assertTrue(session.resumed)
        self.assertTrue(resumed.server.connection.session.resumed)  # type: ignore[union-attr]
        self.assertIsNone(session.signatureScheme)
        self.assertEqual(session.peerCertificates, first.peerCertificates)
        # No certificate crossed the wire the second time.
        self.assertNotIn(
            cachedPKI().ecdsaServer.certificate.public_bytes(_DER), resumed.sent("server")
        )
        resumed.client.connection.sendApplicationData(b"ping")
        resumed.server.connection.sendApplicationData(b"pong")
        resumed.pump()
        self.assertEqual(
            (resumed.server.received(), resumed.client.received()), (b"ping", b"pong")
        )
        # A resumed session gets a fresh ticket for the one it used, to
        # resume again.
        self.assertEqual(len(tickets(resumed.client.events)), TICKETS_AFTER_RESUMPTION)

    def test_everySuite(self) -> None:
        """
        A ticket resumes under any suite with its hash: SHA-256 tickets
        across AES-128-GCM and ChaCha20, SHA-384 ones only under AES-256.
        """
        keys = TicketKeys()
        cases = [
            (AES128, CHACHA, True),
            (CHACHA, AES128, True),
            (AES256, AES256, True),
            (AES128, AES256, False),
        ]
        for issuedUnder, resumedUnder, expected in cases:
            _, resumed = fullThenResume(
                keys, {"tls13Suites": (issuedUnder,)}, {"tls13Suites": (resumedUnder,)}
            )
            session = resumed.client.connection.session
            assert session is not None
            self.assertEqual((session.cipherSuite, session.resumed), (resumedUnder.name, expected))

    def test_afterHelloRetryRequest(self) -> None:
        """
        After a retry the binder covers the retry's transcript.
        """
        keys = TicketKeys()
        retrying = {"groups": (NamedGroup.secp256r1, NamedGroup.x25519)}
        full, resumed = fullThenResume(keys, retrying, server={"groups": (NamedGroup.x25519,)})
        self.assertIn(HRR_RANDOM, resumed.sent("server"))
        self.assertTrue(resumed.client.connection.session.resumed)  # type: ignore[union-attr]

    def test_otherServersTicketMeansFullHandshake(self) -> None:
        full = EnginePair(client13(), server13(TicketKeys())).handshake()
        ticket = tickets(full.client.events)[0]
        again = EnginePair(client13(resumeTicket=ticket), server13(TicketKeys())).handshake()
        session = again.client.connection.session
        assert session is not None
        self.assertFalse(session.resumed)
        self.assertIsNotNone(session.signatureScheme)

    def test_sharedKeysResumeAcrossServers(self) -> None:
        """
        Processes given the same ticket keys resume each other's sessions;
        a rotated list (new key first, old one kept) still opens old tickets.
        """
        old, new = os.urandom(32), os.urandom(32)
        full = EnginePair(client13(), server13(TicketKeys([old]))).handshake()
        ticket = tickets(full.client.events)[0]
        again = EnginePair(client13(resumeTicket=ticket), server13(TicketKeys([new, old])))
        again.handshake()
        self.assertTrue(again.client.connection.session.resumed)  # type: ignore[union-attr]
        with self.assertRaises(ValueError):
            TicketKeys([b"short"])

    def test_rotation(self) -> None:
        """
        Generated keys are replaced every lifetime; the previous key opens
        tickets one more lifetime, then not.
        """
        now = [1000.0]
        keys = TicketKeys(lifetime=100, clock=lambda: now[0])
        ticket = keys.seal(b"state")
        now[0] += 150
        self.assertNotEqual(keys.seal(b"x")[:16], ticket[:16])
        self.assertEqual(keys.open(ticket), b"state")
        now[0] += 100
        keys.seal(b"y")
        self.assertIsNone(keys.open(ticket))
        self.assertIsNone(keys.open(ticket[:-1] + bytes((ticket[-1] ^ 1,))))

    def test_expiredTicketNotOffered(self) -> None:
        keys = TicketKeys(lifetime=60)
        full = EnginePair(client13(), server13(keys)).handshake()
        ticket = tickets(full.client.events)[0]
        old = replace(ticket, receivedAt=ticket.receivedAt - 61)
        again = EnginePair(client13(resumeTicket=old), server13(keys)).handshake()
        self.assertNotIn(ticket.ticket, again.sent("client"))
        self.assertFalse(again.client.connection.session.resumed)  # type: ignore[union-attr]

    def test_serverRefusesExpiredTicket(self) -> None:
        """
        The server judges age by its own clock, whatever the client says.
        """
        keys = TicketKeys(lifetime=60)
        full = EnginePair(client13(), server13(keys)).handshake()
        ticket = tickets(full.client.events)[0]
        later = datetime.fromtimestamp(ticket.receivedAt + 120, timezone.utc)
        client = TLSConnection(
            client13(resumeTicket=replace(ticket, receivedAt=later.timestamp()))
        )
        server = TLSConnection(server13(keys), now=lambda: later)
        client.startHandshake()
        server.receiveData(client.dataToSend())
        client.receiveData(server.dataToSend())
        server.receiveData(client.dataToSend())
        self.assertFalse(server.session.resumed)  # type: ignore[union-attr]

    def test_otherServerNameMeansFullHandshake(self) -> None:
        """
        A ticket is for the name it was issued under: the client does not
        offer it elsewhere, and the server (which sealed the name into it)
        does not take it for another name.
        """
        keys = TicketKeys()
        full = EnginePair(client13(), server13(keys)).handshake()
        ticket = tickets(full.client.events)[0]
        elsewhere = EnginePair(
            client13(resumeTicket=ticket, serverName="other.example"), server13(keys)
        )
        elsewhere.pump()
        self.assertNotIn(ticket.ticket, elsewhere.sent("client"))
        relabelled = replace(ticket, serverName="other.example")
        claimed = EnginePair(
            client13(resumeTicket=relabelled, serverName="other.example"), server13(keys)
        )
        claimed.pump()
        self.assertIn(ticket.ticket, claimed.sent("client"))
        # Had the server resumed, the client would be done; instead it got
        # the full handshake's certificate, which is not for other.example.
        self.assertIsNone(claimed.client.connection.session)
        failure = claimed.client.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.bad_certificate)

    def test_badBinderIsFatal(self) -> None:
        keys = TicketKeys()
        full = EnginePair(client13(), server13(keys)).handshake()
        ticket = tickets(full.client.events)[0]

        def spoilBinder(hello: ClientHello) -> ClientHello:
            items = []
            for extType, data in hello.extensions.items:
                if extType == ExtensionType.pre_shared_key:
                    offer = OfferedPsks.parse(data)
                    binder = offer.binders[0]
                    spoiled = binder[:-1] + bytes((binder[-1] ^ 1,))
                    data = replace(offer, binders=(spoiled,)).toBytes()
                items.append((extType, data))
            return replace(hello, extensions=Extensions(tuple(items)))

        client = TLSConnection(client13(resumeTicket=ticket))
        server = TLSConnection(server13(keys))
        client.startHandshake()
        events = server.receiveData(rewriteClientHello(client.dataToSend(), spoilBinder))
        failure = next(e for e in events if isinstance(e, ConnectionFailed))
        self.assertEqual(failure.error.alert, A.decrypt_error)

    def test_pskMustBeLastExtension(self) -> None:
        keys = TicketKeys()
        full = EnginePair(client13(), server13(keys)).handshake()
        ticket = tickets(full.client.events)[0]

        def moveFirst(hello: ClientHello) -> ClientHello:
            items = hello.extensions.items
            return replace(hello, extensions=Extensions((items[-1],) + items[:-1]))

        client = TLSConnection(client13(resumeTicket=ticket))
        server = TLSConnection(server13(keys))
        client.startHandshake()
        events = server.receiveData(rewriteClientHello(client.dataToSend(), moveFirst))
        failure = next(e for e in events if isinstance(e, ConnectionFailed))
        self.assertEqual(failure.error.alert, A.illegal_parameter)

    def test_clientCertificateCarriedOver(self) -> None:
        """
        A session whose client proved a certificate resumes with it; a
        server that requires one does not resume a session without.
        """
        pki = cachedPKI()
        keys = TicketKeys()
        withCert = {"credential": credentialOf(pki.ecdsaClient)}
        _, resumed = fullThenResume(keys, withCert, server={"clientAuth": ClientAuth.REQUIRE})
        session = resumed.server.connection.session
        assert session is not None
        self.assertTrue(session.resumed)
        self.assertEqual(session.peerCertificate, pki.ecdsaClient.certificate)
        full = EnginePair(client13(), server13(keys)).handshake()
        ticket = tickets(full.client.events)[0]
        again = EnginePair(
            client13(resumeTicket=ticket, **withCert),
            server13(keys, clientAuth=ClientAuth.REQUIRE),
        ).handshake()
        session = again.server.connection.session
        assert session is not None
        self.assertFalse(session.resumed)
        self.assertEqual(session.peerCertificate, pki.ecdsaClient.certificate)

    def test_noTicketsWithoutKeys(self) -> None:
        pair = EnginePair(client13(), serverConfig(maxVersion=TLS13)).handshake()
        self.assertEqual(tickets(pair.client.events), [])


def helloExtensionTypes(flight: bytes) -> list[int]:
    """
    The extension types of the ClientHello in C{flight}, in order.
    """
    found: list[int] = []

    def record(hello: ClientHello) -> ClientHello:
        found.extend(hello.extensions.types())
        return hello

    rewriteClientHello(flight, record)
    return found


class PskModesTests(SynchronousTestCase):
    """
    RFC 8446 4.2.9: a client that keeps sessions says which resumption it
    accepts in every ClientHello, and a server sends tickets only to
    clients that accept psk_dhe_ke (Go's and Java's servers follow the
    same rule, so without it our client never resumed against them).
    """

    MODES = int(ExtensionType.psk_key_exchange_modes)
    PSK = int(ExtensionType.pre_shared_key)

    def firstFlight(self, config: TLSConfig) -> bytes:
        client = TLSConnection(config)
        client.startHandshake()
        return client.dataToSend()

    def test_keptSessionsOfferModesWithoutTicket(self) -> None:
        """
        The first ClientHello of a client that keeps sessions carries
        psk_key_exchange_modes (psk_dhe_ke only), once, and no
        pre_shared_key.
        """
        types = helloExtensionTypes(self.firstFlight(client13()))
        self.assertEqual(types.count(self.MODES), 1)
        self.assertNotIn(self.PSK, types)

        def modes(hello: ClientHello) -> ClientHello:
            self.assertEqual(
                hello.extensions.get(ExtensionType.psk_key_exchange_modes), b"\x01\x01"
            )
            return hello

        rewriteClientHello(self.firstFlight(client13()), modes)

    def test_modesOnceBeforePsk(self) -> None:
        """
        Resuming, the modes come once, right before pre_shared_key (last).
        """
        full = EnginePair(client13(), server13(TicketKeys())).handshake()
        types = helloExtensionTypes(
            self.firstFlight(client13(resumeTicket=tickets(full.client.events)[0]))
        )
        self.assertEqual(types.count(self.MODES), 1)
        self.assertEqual(types[-2:], [self.MODES, self.PSK])

    def test_clientKeepingNoSessionsOffersNoModes(self) -> None:
        types = helloExtensionTypes(self.firstFlight(client13(resumesSessions=False)))
        self.assertNotIn(self.MODES, types)

    def test_bothVersionsOffered(self) -> None:
        """
        A client offering TLS 1.2 and 1.3 sends the modes too (for 1.3).
        """
        flight = self.firstFlight(clientConfig(maxVersion=TLS13, resumesSessions=True))
        self.assertEqual(helloExtensionTypes(flight).count(self.MODES), 1)

    def test_noTicketsForClientWithoutModes(self) -> None:
        pair = EnginePair(client13(resumesSessions=False), server13(TicketKeys())).handshake()
        session = pair.client.connection.session
        assert session is not None and session.version == "TLSv1.3"
        self.assertEqual(tickets(pair.client.events), [])

    def test_noTicketsForPskKeOnly(self) -> None:
        """
        A client accepting only psk_ke (no forward secrecy), which we never
        resume, gets no tickets either.
        """
        client = TLSConnection(client13())
        server = TLSConnection(server13(TicketKeys()))
        client.startHandshake()

        def pskKeOnly(hello: ClientHello) -> ClientHello:
            items = tuple(
                (t, b"\x01\x00" if t == self.MODES else d) for t, d in hello.extensions.items
            )
            return replace(hello, extensions=Extensions(items))

        events = server.receiveData(rewriteClientHello(client.dataToSend(), pskKeOnly))
        self.assertFalse([e for e in events if isinstance(e, ConnectionFailed)])
        # The client's transcript differs now, so it will not finish; what
        # matters is what the server sends after its own Finished: nothing
        # more than its flight, no NewSessionTicket whatever the client does.
        flight = server.dataToSend()
        clientEvents = client.receiveData(flight)
        self.assertEqual(tickets(clientEvents), [])

    def test_transportClientOffersModes(self) -> None:
        """
        ClientOptions that resume sessions (the default) make a config
        that offers the modes; resumeSessions=False one that does not.
        """
        self.assertTrue(clientOptions().tlsConfig().resumesSessions)
        self.assertFalse(clientOptions(resumeSessions=False).tlsConfig().resumesSessions)


class EarlyDataTests(SynchronousTestCase):
    def test_undecryptableRecordsSkippedWithinBudget(self) -> None:
        """
        After skipEarlyData, records that fail to decrypt are dropped until
        one decrypts; past the budget it is an error again.
        """
        suite = AES128
        early = tls13Protection(suite.aead, bytes(16), bytes(12))
        real = tls13Protection(suite.aead, b"\x01" * 16, bytes(12))
        writerEarly, writerReal = RecordWriter(), RecordWriter()
        writerEarly.changeProtection(early)
        writerReal.changeProtection(real)
        junk = b"".join(writerEarly.writeRecords(ContentType.application_data, b"e" * 100))
        good = b"".join(writerReal.writeRecords(ContentType.handshake, b"\x14\x00\x00\x00"))
        reader = RecordReader()
        reader.changeProtection(real)
        reader.skipEarlyData(1000)
        reader.feed(junk * 3 + good)
        self.assertEqual(reader.nextRecord(), (ContentType.handshake, b"\x14\x00\x00\x00"))
        # Once a record decrypted, skipping is over.
        reader.feed(junk)
        with self.assertRaises(PeerError):
            reader.nextRecord()
        tight = RecordReader()
        tight.changeProtection(real)
        tight.skipEarlyData(len(junk))
        tight.feed(junk * 2 + good)
        with self.assertRaises(PeerError):
            tight.nextRecord()


class TransportCacheTests(SynchronousTestCase):
    def test_secondConnectionResumes(self) -> None:
        """
        The same ClientOptions resume the next connection to the same
        server with a ticket from the first; tickets are used once.
        """
        server = serverOptions(maxVersion="1.3")
        client = clientOptions(minVersion="1.3", maxVersion="1.3")
        first = Connected(server=server, client=client)
        first.flush()
        self.assertFalse(first.client.session.resumed)  # type: ignore[union-attr]
        cache = client.sessionCache
        assert isinstance(cache, ClientSessionCache)
        self.assertEqual(len(cache), TICKETS_PER_HANDSHAKE)
        second = Connected(server=server, client=client)
        second.flush()
        self.assertTrue(second.client.session.resumed)  # type: ignore[union-attr]
        self.assertTrue(second.server.session.resumed)  # type: ignore[union-attr]
        # One taken, one new in its place.
        self.assertEqual(len(cache), TICKETS_PER_HANDSHAKE - 1 + TICKETS_AFTER_RESUMPTION)

    def test_turnedOff(self) -> None:
        server = serverOptions(maxVersion="1.3", sessionTickets=False)
        client = clientOptions(minVersion="1.3", maxVersion="1.3")
        for _ in range(2):
            c = Connected(server=server, client=client)
            c.flush()
            self.assertFalse(c.client.session.resumed)  # type: ignore[union-attr]
        self.assertIsNone(clientOptions(resumeSessions=False).sessionCache)


class TLS12ResumptionTests(SynchronousTestCase):
    """
    TLS 1.2: abbreviated handshakes by session ID (RFC 5246 7.3) and by
    ticket (RFC 5077).
    """

    def resumeOnce(self, server: TLSConfig, client: dict | None = None) -> EnginePair:
        full = EnginePair(clientConfig(**(client or {})), server).handshake()
        [kept] = tls12Sessions(full.client.events)
        self.assertFalse(full.client.connection.session.resumed)  # type: ignore[union-attr]
        return EnginePair(clientConfig(resumeTicket=kept, **(client or {})), server).handshake()

    def assertResumed(self, pair: EnginePair) -> None:
        for side in (pair.client, pair.server):
            session = side.connection.session
            assert session is not None
            self.assertEqual((session.version, session.resumed), ("TLSv1.2", True))
        self.assertIsNone(pair.client.connection.session.signatureScheme)  # type: ignore[union-attr]
        pair.client.connection.sendApplicationData(b"ping")
        pair.server.connection.sendApplicationData(b"pong")
        pair.pump()
        self.assertEqual((pair.server.received(), pair.client.received()), (b"ping", b"pong"))

    def test_bySessionId(self) -> None:
        server = serverConfig(sessionCache=ServerSessionCache())
        resumed = self.resumeOnce(server)
        self.assertResumed(resumed)
        self.assertEqual(
            resumed.client.connection.session.peerCertificate,  # type: ignore[union-attr]
            cachedPKI().ecdsaServer.certificate,
        )

    def test_byTicketRenewed(self) -> None:
        """
        A ticket resumes; the server sends a new one, which resumes too.
        """
        server = serverConfig(ticketKeys=TicketKeys())
        resumed = self.resumeOnce(server)
        self.assertResumed(resumed)
        [renewed] = tls12Sessions(resumed.client.events)
        again = EnginePair(clientConfig(resumeTicket=renewed), server).handshake()
        self.assertResumed(again)

    def test_clientOfferingBothVersionsResumesTLS12(self) -> None:
        server = serverConfig(ticketKeys=TicketKeys(), sessionCache=ServerSessionCache())
        resumed = self.resumeOnce(server, {"maxVersion": TLS13})
        self.assertResumed(resumed)

    def test_extendedMasterSecretMustMatch(self) -> None:
        """
        RFC 7627 5.3: a session made with the extended master secret offered
        by a hello without it: "the server MUST abort the abbreviated
        handshake" (handshake_failure, what tlsfuzzer expects), rather than
        fall back to a full one.
        """
        server = serverConfig(ticketKeys=TicketKeys(), sessionCache=ServerSessionCache())
        full = EnginePair(clientConfig(), server).handshake()
        [kept] = tls12Sessions(full.client.events)
        again = EnginePair(
            clientConfig(resumeTicket=kept, offerExtendedMasterSecret=False), server
        ).handshake()
        failure = again.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, AlertDescription.handshake_failure)
        self.assertTrue(failure.error.sentByUs)

    def test_unknownSessionMeansFullHandshake(self) -> None:
        full = EnginePair(clientConfig(), serverConfig(ticketKeys=TicketKeys())).handshake()
        [kept] = tls12Sessions(full.client.events)
        other = serverConfig(ticketKeys=TicketKeys(), sessionCache=ServerSessionCache())
        again = EnginePair(clientConfig(resumeTicket=kept), other).handshake()
        self.assertFalse(again.client.connection.session.resumed)  # type: ignore[union-attr]

    def test_renegotiationAfterResumptionIsFull(self) -> None:
        server = serverConfig(ticketKeys=TicketKeys())
        resumed = self.resumeOnce(server)
        resumed.server.connection.rehandshake()
        resumed.pump()
        session = resumed.client.connection.session
        assert session is not None
        self.assertEqual((session.renegotiations, session.resumed), (1, False))
        self.assertIsNotNone(session.signatureScheme)


class TLS12TransportCacheTests(SynchronousTestCase):
    def test_defaultsResume(self) -> None:
        """
        Out of the box, a second TLS 1.2 connection from the same
        ClientOptions resumes.
        """
        server = serverOptions()
        client = clientOptions()
        for resumed in (False, True):
            c = Connected(server=server, client=client)
            c.flush()
            self.assertEqual(c.client.session.resumed, resumed)  # type: ignore[union-attr]
            self.assertEqual(c.server.session.resumed, resumed)  # type: ignore[union-attr]


class TicketKeyRotationTests(SynchronousTestCase):
    """
    Open-only ticket keys: a rotation in three steps, each applied to every
    process, during which a ticket sealed by either of two processes opens
    on both (HAProxy's model).  Engine level; tests/test_reload.py does it
    with two real servers and reloads.
    """

    def assertEachOpensTheOthers(self, first: TicketKeys, second: TicketKeys, step: str) -> None:
        for sealer, opener in ((first, second), (second, first), (first, first)):
            ticket = sealer.seal(b"state")
            self.assertEqual(opener.open(ticket), b"state", step)

    def test_rotation(self) -> None:
        old, new = os.urandom(32), os.urandom(32)
        a, b = TicketKeys([old]), TicketKeys([old])
        self.assertEachOpensTheOthers(a, b, "start")
        # Step 1: the new key opens everywhere; the first process to reload
        # still seals with the old one, so the other can open its tickets.
        a.replace([old], openOnly=[new])
        self.assertEachOpensTheOthers(a, b, "a added the new key open-only")
        b.replace([old], openOnly=[new])
        # Step 2: the new key seals; every process can already open it.
        a.replace([new], openOnly=[old])
        self.assertEachOpensTheOthers(a, b, "a seals with the new key")
        b.replace([new], openOnly=[old])
        self.assertEachOpensTheOthers(a, b, "both seal with the new key")
        # Step 3, a ticket lifetime later: the old key goes; old tickets no
        # longer open, new ones do.
        oldTicket = TicketKeys([old]).seal(b"state")
        a.replace([new])
        b.replace([new])
        self.assertEachOpensTheOthers(a, b, "old key dropped")
        self.assertIsNone(a.open(oldTicket))

    def test_openOnlyNeverSeals(self) -> None:
        sealing, opening = os.urandom(32), os.urandom(32)
        keys = TicketKeys([sealing], openOnly=[opening])
        self.assertEqual(TicketKeys([sealing]).open(keys.seal(b"x")), b"x")
        self.assertIsNone(TicketKeys([opening]).open(keys.seal(b"x")))

    def test_badKeysChangeNothing(self) -> None:
        key = os.urandom(32)
        keys = TicketKeys([key])
        ticket = keys.seal(b"x")
        for bad in (([], ()), ([b"short"], ()), ([key], [b"short"])):
            self.assertRaises(ValueError, keys.replace, *bad)
        self.assertEqual(keys.open(ticket), b"x")
        self.assertRaises(ValueError, TicketKeys, None, openOnly=[key])
