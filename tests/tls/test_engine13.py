# -*- test-case-name: tests.tls.test_engine13 -*-
"""
TLS 1.3 in memory (issue P4, first part): every suite, group and
certificate type; version selection on the server; KeyUpdate from each side
in both request modes; rehandshake() as a key update on the transport.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.config import TLS12, TLS13
from twisted_reneg.tls.connection import MAX_KEY_UPDATES_WITHOUT_DATA, TLSConnection
from twisted_reneg.tls.credentials import Credential
from twisted_reneg.tls.errors import AlertDescription
from twisted_reneg.tls.events import ConnectionFailed, KeysUpdated
from twisted_reneg.tls.extensions import Extensions, ExtensionType
from twisted_reneg.tls.messages import ClientHello, KeyUpdate
from twisted_reneg.tls.state13 import HRR_RANDOM, HandshakeState13
from twisted_reneg.tls.suites import (
    DEFAULT_GROUPS,
    TLS12_SUITES,
    TLS13_SUITES,
    NamedGroup,
    SignatureScheme,
)

from .._connected import Connected, clientOptions, serverOptions
from .._flights import rewriteClientHello
from ..enginepair import EnginePair, clientConfig, credentialOf, serverConfig

A = AlertDescription


def pair13(**client: object) -> EnginePair:
    return EnginePair(
        clientConfig(minVersion=TLS13, maxVersion=TLS13, **client), serverConfig(maxVersion=TLS13)
    ).handshake()


class HandshakeTests(SynchronousTestCase):
    def test_everySuiteGroupAndCertificate(self) -> None:
        pki = cachedPKI()
        count = 0
        for identity in (pki.rsaServer, pki.ecdsaServer, pki.ecdsa384Server, pki.ed25519Server):
            for group in NamedGroup:
                for suite in TLS13_SUITES:
                    pair = EnginePair(
                        clientConfig(
                            minVersion=TLS13,
                            maxVersion=TLS13,
                            groups=(group,),
                            tls13Suites=(suite,),
                        ),
                        serverConfig(identity, maxVersion=TLS13),
                    ).handshake()
                    session = pair.client.connection.session
                    assert session is not None, (identity, group)
                    self.assertEqual(session.version, "TLSv1.3")
                    self.assertEqual(session.cipherSuite, suite.name)
                    self.assertEqual(session.group, group.name)
                    self.assertEqual(session.peerCertificate, identity.certificate)
                    pair.client.connection.sendApplicationData(b"ping")
                    pair.server.connection.sendApplicationData(b"pong")
                    pair.pump()
                    self.assertEqual(
                        (pair.server.received(), pair.client.received()), (b"ping", b"pong")
                    )
                    count += 1
        self.assertEqual(count, 3 * 5 * 4)

    def test_helloRetryRequest(self) -> None:
        """
        The client shares a P-256 key; the server only takes x25519: one
        HelloRetryRequest, then the handshake completes on x25519.
        """
        pair = EnginePair(
            clientConfig(
                minVersion=TLS13,
                maxVersion=TLS13,
                groups=(NamedGroup.secp256r1, NamedGroup.x25519),
            ),
            serverConfig(maxVersion=TLS13, groups=(NamedGroup.x25519,)),
        ).handshake()
        session = pair.client.connection.session
        assert session is not None
        self.assertEqual(session.group, "x25519")
        self.assertIn(HRR_RANDOM, pair.sent("server"))
        pair.client.connection.sendApplicationData(b"after retry")
        pair.pump()
        self.assertEqual(pair.server.received(), b"after retry")

    def test_retryCookieMustBeEchoed(self) -> None:
        """
        Our HelloRetryRequest carries a cookie; a second ClientHello without
        it is missing_extension, with another one illegal_parameter.
        """

        def dropCookie(hello: ClientHello) -> ClientHello:
            kept = tuple(e for e in hello.extensions.items if e[0] != ExtensionType.cookie)
            return replace(hello, extensions=Extensions(kept))

        def changeCookie(hello: ClientHello) -> ClientHello:
            items = tuple(
                (t, d[:-1] + bytes((d[-1] ^ 1,))) if t == ExtensionType.cookie else (t, d)
                for t, d in hello.extensions.items
            )
            return replace(hello, extensions=Extensions(items))

        for change, alert in (
            (dropCookie, A.missing_extension),
            (changeCookie, A.illegal_parameter),
        ):
            pair = EnginePair(
                clientConfig(
                    minVersion=TLS13,
                    maxVersion=TLS13,
                    groups=(NamedGroup.secp256r1, NamedGroup.x25519),
                ),
                serverConfig(maxVersion=TLS13, groups=(NamedGroup.x25519,)),
            )
            server = pair.server.connection
            server.receiveData(pair.client.connection.dataToSend())
            retry = server.dataToSend()
            self.assertIn(HRR_RANDOM, retry)
            pair.client.connection.receiveData(retry)
            second = rewriteClientHello(pair.client.connection.dataToSend(), change)
            events = server.receiveData(second)
            failure = next(e for e in events if isinstance(e, ConnectionFailed))
            self.assertEqual(failure.error.alert, alert)

    def test_hybridPreferredWithClassicalShareBeside(self) -> None:
        """
        By default the client shares X25519MLKEM768 and x25519: a server
        with the hybrid takes it, one without takes x25519, neither retries.
        """
        for serverGroups, expected in (
            (DEFAULT_GROUPS, "X25519MLKEM768"),
            ((NamedGroup.x25519, NamedGroup.secp256r1), "x25519"),
        ):
            pair = EnginePair(
                clientConfig(minVersion=TLS13, maxVersion=TLS13),
                serverConfig(maxVersion=TLS13, groups=serverGroups),
            ).handshake()
            session = pair.server.connection.session
            assert session is not None
            self.assertEqual(session.group, expected)
            self.assertNotIn(HRR_RANDOM, pair.sent("server"))

    def test_tls12NeverUsesTheHybrid(self) -> None:
        """
        A TLS 1.2 handshake falls to the first elliptic-curve group even
        when both sides list the hybrid first.
        """
        pair = EnginePair(clientConfig(), serverConfig()).handshake()
        session = pair.client.connection.session
        assert session is not None
        self.assertEqual((session.version, session.group), ("TLSv1.2", "x25519"))

    def test_noGroupAtAll(self) -> None:
        pair = EnginePair(
            clientConfig(minVersion=TLS13, maxVersion=TLS13, groups=(NamedGroup.secp256r1,)),
            serverConfig(maxVersion=TLS13, groups=(NamedGroup.x25519,)),
        ).handshake()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.handshake_failure)

    def test_serverPicksTLS12ForATLS12Client(self) -> None:
        """
        A 1.3-capable server settling on 1.2 sets the downgrade sentinel
        (RFC 8446 4.1.3); a 1.2-only server does not.
        """
        from twisted_reneg.tls.records import RecordReader

        for maxVersion, sentinel in ((TLS13, True), (TLS12, False)):
            pair = EnginePair(clientConfig(), serverConfig(maxVersion=maxVersion))
            pair.server.connection.receiveData(pair.client.connection.dataToSend())
            flight = pair.server.connection.dataToSend()
            reader = RecordReader()
            reader.feed(flight)
            record = reader.nextRecord()
            assert record is not None
            serverRandom = record[1][4 + 2 : 4 + 2 + 32]
            self.assertEqual(serverRandom.endswith(b"DOWNGRD\x01"), sentinel)
            pair.client.events.extend(pair.client.connection.receiveData(flight))
            pair.pump()
            session = pair.client.connection.session
            assert session is not None
            self.assertEqual(session.version, "TLSv1.2")

    def test_clientOfferingBothVersions(self) -> None:
        """
        A client offering TLS 1.3 and 1.2 gets 1.3 from a 1.3 server and
        falls back to 1.2 (renegotiation included) with a 1.2-only server.
        """
        for serverMax, version in ((TLS13, "TLSv1.3"), (TLS12, "TLSv1.2")):
            pair = EnginePair(
                clientConfig(maxVersion=TLS13), serverConfig(maxVersion=serverMax)
            ).handshake()
            session = pair.client.connection.session
            assert session is not None, version
            self.assertEqual(session.version, version)
            pair.client.connection.sendApplicationData(b"ping")
            pair.server.connection.sendApplicationData(b"pong")
            pair.pump()
            self.assertEqual((pair.server.received(), pair.client.received()), (b"ping", b"pong"))
        # The fallen-back connection is a full TLS 1.2 one: the server's
        # HelloRequest renegotiates it.
        pair.server.connection.rehandshake()
        pair.pump()
        renegotiated = pair.client.connection.session
        assert renegotiated is not None
        self.assertEqual(renegotiated.renegotiations, 1)

    def test_downgradeSentinelRefused(self) -> None:
        """
        RFC 8446 4.1.3: someone strips our offer of TLS 1.3 (here: the
        server sees a 1.2-only ClientHello) and a 1.3-capable server answers
        with 1.2 and its sentinel: the client stops at the ServerHello with
        illegal_parameter.  A 1.2-only server's answer passes that point and
        fails later, on the signature over the (other) client random.
        """
        for serverMax, alert in ((TLS13, A.illegal_parameter), (TLS12, A.decrypt_error)):
            victim = EnginePair(clientConfig(maxVersion=TLS13), serverConfig(maxVersion=serverMax))
            victim.client.connection.dataToSend()  # the offer that never arrives
            stripped = TLSConnection(clientConfig(maxVersion=TLS12))
            stripped.startHandshake()
            victim.server.connection.receiveData(stripped.dataToSend())
            events = victim.client.connection.receiveData(victim.server.connection.dataToSend())
            failure = next(e for e in events if isinstance(e, ConnectionFailed))
            self.assertEqual(failure.error.alert, alert)

    def test_tls12OnlyServerRefusesATLS13OnlyClient(self) -> None:
        pair = EnginePair(
            clientConfig(minVersion=TLS13, maxVersion=TLS13), serverConfig(maxVersion=TLS12)
        ).handshake()
        self.assertIsNotNone(pair.server.failure())

    def test_clientCertificates(self) -> None:
        """
        CertificateRequest in the 1.3 handshake: sent, missing (request and
        require), and untrusted.
        """
        from twisted_reneg.tls.config import ClientAuth

        from ..enginepair import credentialOf

        pki = cachedPKI()
        cases = [
            (pki.ecdsaClient, ClientAuth.REQUIRE, None),
            (pki.rsaClient, ClientAuth.REQUEST, None),
            (None, ClientAuth.REQUEST, None),
            (None, ClientAuth.REQUIRE, A.certificate_required),
            (pki.untrustedClient, ClientAuth.REQUIRE, A.unknown_ca),
        ]
        for identity, auth, alert in cases:
            credential = credentialOf(identity) if identity is not None else None
            pair = EnginePair(
                clientConfig(minVersion=TLS13, maxVersion=TLS13, credential=credential),
                serverConfig(maxVersion=TLS13, clientAuth=auth),
            ).handshake()
            failure = pair.server.failure()
            if alert is not None:
                assert failure is not None, (identity, auth)
                self.assertEqual(failure.error.alert, alert)
                continue
            self.assertIsNone(failure, (identity, auth))
            session = pair.server.connection.session
            assert session is not None
            self.assertEqual(session.version, "TLSv1.3")
            expected = identity.certificate if identity is not None else None
            self.assertEqual(session.peerCertificate, expected)

    def test_alpn(self) -> None:
        pair = EnginePair(
            clientConfig(minVersion=TLS13, maxVersion=TLS13, alpnProtocols=(b"h2",)),
            serverConfig(maxVersion=TLS13, alpnProtocols=(b"h2",)),
        ).handshake()
        self.assertEqual(pair.client.connection.session.alpnProtocol, b"h2")  # type: ignore[union-attr]

    def test_wrongHostRefused(self) -> None:
        pair = EnginePair(
            clientConfig(minVersion=TLS13, maxVersion=TLS13),
            serverConfig(cachedPKI().wrongHostServer, maxVersion=TLS13),
        ).handshake()
        failure = pair.client.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.bad_certificate)


class KeyUpdateTests(SynchronousTestCase):
    def test_eachSideRequests(self) -> None:
        pair = pair13()
        for initiator, other in ((pair.client, pair.server), (pair.server, pair.client)):
            initiator.connection.rehandshake()
            pair.pump()
            self.assertEqual(initiator.events[-1], KeysUpdated(requestedByPeer=False))
            self.assertEqual(other.events[-1], KeysUpdated(requestedByPeer=True))
        for side in (pair.client, pair.server):
            self.assertEqual(side.connection.session.keyUpdates, 2)  # type: ignore[union-attr]
        pair.client.connection.sendApplicationData(b"after")
        pair.server.connection.sendApplicationData(b"both")
        pair.pump()
        self.assertEqual((pair.server.received(), pair.client.received()), (b"after", b"both"))

    def test_dataInterleavedWithKeyUpdate(self) -> None:
        pair = pair13()
        pair.client.connection.sendApplicationData(b"one ")
        pair.client.connection.rehandshake()
        pair.client.connection.sendApplicationData(b"two")
        pair.server.connection.sendApplicationData(b"three")
        pair.pump()
        self.assertEqual(pair.server.received(), b"one two")
        self.assertEqual(pair.client.received(), b"three")

    def test_newSendingKeysBeforeTheAnswer(self) -> None:
        """
        rehandshake() on TLS 1.3 puts our KeyUpdate(update_requested) out
        and switches our sending keys at once: data written next is sealed
        under them and read by a peer that has not answered yet (RFC 8446
        4.6.3 lets it wait until it writes).
        """
        pair = pair13()
        client, server = pair.client.connection, pair.server.connection
        client.rehandshake()
        client.sendApplicationData(b"under new keys")
        events = server.receiveData(client.dataToSend())
        self.assertEqual([type(e).__name__ for e in events], ["KeysUpdated", "ApplicationData"])
        self.assertEqual(events[0], KeysUpdated(requestedByPeer=True))
        # The answer is the server's to send; it has not reached us yet.
        self.assertEqual(client.session.keyUpdates, 0)  # type: ignore[union-attr]
        answer = client.receiveData(server.dataToSend())
        self.assertEqual(answer, [KeysUpdated(requestedByPeer=False)])
        self.assertEqual(client.session.keyUpdates, 1)  # type: ignore[union-attr]

    def test_everyCallSendsAKeyUpdate(self) -> None:
        """
        A second rehandshake() while the first is unanswered sends another
        request; the peer answers both and the two answers are ours, not a
        flood.
        """
        pair = pair13()
        pair.client.connection.rehandshake()
        pair.client.connection.rehandshake()
        pair.pump()
        requests = [e for e in pair.server.events if isinstance(e, KeysUpdated)]
        answers = [e for e in pair.client.events if isinstance(e, KeysUpdated)]
        self.assertEqual(requests, [KeysUpdated(requestedByPeer=True)] * 2)
        self.assertEqual(answers, [KeysUpdated(requestedByPeer=False)] * 2)
        pair.client.connection.sendApplicationData(b"ping")
        pair.server.connection.sendApplicationData(b"pong")
        pair.pump()
        self.assertEqual((pair.server.received(), pair.client.received()), (b"ping", b"pong"))

    def test_crossedRequestsAreBothAnswered(self) -> None:
        """
        RFC 8446 4.6.3: requests that cross in flight are each answered, so
        each side moves on two generations; the answers are told from the
        requests.
        """
        pair = pair13()
        pair.client.connection.rehandshake()
        pair.server.connection.rehandshake()
        pair.pump()
        for side in (pair.client, pair.server):
            self.assertEqual(
                [e for e in side.events if isinstance(e, KeysUpdated)],
                [KeysUpdated(requestedByPeer=True), KeysUpdated(requestedByPeer=False)],
            )
            self.assertEqual(side.connection.session.keyUpdates, 2)  # type: ignore[union-attr]
        pair.client.connection.sendApplicationData(b"ping")
        pair.server.connection.sendApplicationData(b"pong")
        pair.pump()
        self.assertEqual((pair.server.received(), pair.client.received()), (b"ping", b"pong"))

    def test_transportRehandshakeIsKeyUpdate(self) -> None:
        """
        The transport's Deferred fires as soon as our KeyUpdate is out,
        with the session as it is (the peer's answer not in yet); the
        answer then arrives and is counted.
        """
        c = Connected(
            server=serverOptions(maxVersion="1.3"),
            client=clientOptions(minVersion="1.3", maxVersion="1.3"),
        )
        c.flush()
        d = c.client.rehandshake()
        session = self.successResultOf(d)
        self.assertEqual((session.version, session.keyUpdates), ("TLSv1.3", 0))
        c.flush()
        self.assertEqual(c.client.session.keyUpdates, 1)  # type: ignore[union-attr]


class KeyUpdateLimitTests(SynchronousTestCase):
    def test_floodCutOff(self) -> None:
        """
        KeyUpdates with no application data between them are cut off past
        the budget; the same number spread among data is fine.
        """
        pair = pair13()
        for i in range(3 * MAX_KEY_UPDATES_WITHOUT_DATA):
            if i % 2:
                pair.client.connection._established.sendKeyUpdate(requested=False)
            else:
                pair.client.connection.rehandshake()
            if i % 10 == 9:
                pair.client.connection.sendApplicationData(b"x")
            pair.pump()
        self.assertIsNone(pair.server.failure())
        flooded = pair13()
        for _ in range(MAX_KEY_UPDATES_WITHOUT_DATA + 1):
            flooded.client.connection._established.sendKeyUpdate(requested=False)
        flooded.pump()
        failure = flooded.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.unexpected_message)

    def test_answersToOurRequestsAreNotAFlood(self) -> None:
        """
        Each KeyUpdate(update_requested) of ours exempts one answer from the
        budget; past that, unsolicited KeyUpdates count as before.
        """
        pair = pair13()
        client, server = pair.client.connection, pair.server.connection
        for _ in range(MAX_KEY_UPDATES_WITHOUT_DATA):
            client.rehandshake()
        pair.pump()
        self.assertIsNone(pair.client.failure())
        for _ in range(MAX_KEY_UPDATES_WITHOUT_DATA):
            server._established.sendKeyUpdate(requested=False)
        pair.pump()
        self.assertIsNone(pair.client.failure())
        server._established.sendKeyUpdate(requested=False)
        pair.pump()
        failure = pair.client.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.unexpected_message)

    def test_keyUpdateMustEndItsRecord(self) -> None:
        """
        RFC 8446 5.1: a message after a KeyUpdate in the same record would
        be read under the wrong keys.
        """
        pair = pair13()
        update = KeyUpdate(False).toBytes()
        pair.client.connection.sendHandshake(update + update)
        pair.client.connection._flushHandshake()
        pair.pump()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.unexpected_message)

    def test_recordLimitUpdatesKeys(self) -> None:
        """
        A sender updates its keys before the suite's record limit for one
        traffic secret; bulk data arrives whole across the updates.
        """
        limited = replace(TLS13_SUITES[0], recordLimit=4)
        pair = EnginePair(
            clientConfig(minVersion=TLS13, maxVersion=TLS13),
            serverConfig(maxVersion=TLS13, tls13Suites=(limited,)),
        ).handshake()
        data = bytes(range(256)) * (20 * 64) + b"tail"
        pair.server.connection.sendApplicationData(data)
        pair.server.connection.sendApplicationData(b"more")
        pair.pump()
        self.assertEqual(pair.client.received(), data + b"more")
        session = pair.client.connection.session
        assert session is not None
        self.assertEqual(session.keyUpdates, 5)
        self.assertFalse(any(isinstance(e, ConnectionFailed) for e in pair.client.events))


class SuiteOptionTests(SynchronousTestCase):
    def test_suitesOfBothVersionsInOneList(self) -> None:
        """
        C{cipherSuites} takes TLS 1.2 and 1.3 names together; a version left
        out keeps its defaults.
        """
        config = clientOptions(cipherSuites=["TLS_CHACHA20_POLY1305_SHA256"]).tlsConfig()
        self.assertEqual([s.name for s in config.tls13Suites], ["TLS_CHACHA20_POLY1305_SHA256"])
        self.assertEqual(config.cipherSuites, TLS12_SUITES)
        mixed = serverOptions(
            cipherSuites=["ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"]
        ).tlsConfig()
        self.assertEqual(
            ([s.name for s in mixed.cipherSuites], [s.name for s in mixed.tls13Suites]),
            (["ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"], ["TLS_AES_256_GCM_SHA384"]),
        )
        with self.assertRaises(ValueError):
            clientOptions(cipherSuites=["TLS_AES_512_GCM_SHA999"])


def _flipped(value: bytes) -> bytes:
    return value[:-1] + bytes((value[-1] ^ 1,))


class PeerProofTests(SynchronousTestCase):
    """
    Each side refuses a peer whose Finished, CertificateVerify signature or
    signature scheme is wrong (a peer that does not hold the keys).
    """

    def lyingPair(self, liar: str, **client: object) -> EnginePair:
        """
        A 1.3 handshake in which C{liar}'s own Finished is spoilt.
        """
        honest = HandshakeState13.finishedFor
        isClient = liar == "client"

        def finishedFor(hs: HandshakeState13, secret: bytes) -> bytes:
            value = honest(hs, secret)
            return _flipped(value) if hs.config.isClient == isClient else value

        self.patch(HandshakeState13, "finishedFor", finishedFor)
        return EnginePair(
            clientConfig(minVersion=TLS13, maxVersion=TLS13, **client),
            serverConfig(maxVersion=TLS13),
        ).handshake()

    def assertRefusedBy(self, side: Any, alert: AlertDescription) -> None:
        failure = side.failure()
        assert failure is not None
        self.assertTrue(failure.error.sentByUs)
        self.assertEqual(failure.error.alert, alert)

    def test_badServerFinished(self) -> None:
        pair = self.lyingPair("server")
        self.assertRefusedBy(pair.client, A.decrypt_error)
        self.assertIsNone(pair.client.connection.session)

    def test_badClientFinished(self) -> None:
        pair = self.lyingPair("client")
        self.assertRefusedBy(pair.server, A.decrypt_error)
        self.assertIsNone(pair.server.connection.session)

    def test_badServerSignature(self) -> None:
        honest = Credential.sign
        self.patch(Credential, "sign", lambda c, scheme, data: _flipped(honest(c, scheme, data)))
        pair = EnginePair(
            clientConfig(minVersion=TLS13, maxVersion=TLS13), serverConfig(maxVersion=TLS13)
        ).handshake()
        self.assertRefusedBy(pair.client, A.decrypt_error)

    def test_schemeNotOffered(self) -> None:
        """
        The server signs (validly) with RSA-PSS-SHA256 when the client
        offered only RSA-PSS-SHA384.
        """
        self.patch(
            Credential,
            "chooseScheme",
            lambda c, peer, tls13=False: SignatureScheme.rsa_pss_rsae_sha256,
        )
        pair = EnginePair(
            clientConfig(
                minVersion=TLS13,
                maxVersion=TLS13,
                signatureSchemes=(SignatureScheme.rsa_pss_rsae_sha384,),
            ),
            serverConfig(cachedPKI().rsaServer, maxVersion=TLS13),
        ).handshake()
        self.assertRefusedBy(pair.client, A.illegal_parameter)

    def test_badPostHandshakeFinished(self) -> None:
        """
        A client answering a post-handshake request with a wrong Finished.
        """
        from twisted_reneg.tls import postauth13

        honest = postauth13.finishedVerifyData13
        pair = EnginePair(
            clientConfig(
                minVersion=TLS13,
                maxVersion=TLS13,
                credential=credentialOf(cachedPKI().ecdsaClient),
            ),
            serverConfig(maxVersion=TLS13),
        ).handshake()
        self.patch(postauth13, "finishedVerifyData13", lambda *a: _flipped(honest(*a)))
        pair.server.connection.requestClientCertificate()
        pair.pump()
        self.assertRefusedBy(pair.server, A.decrypt_error)


class AfterOurCloseNotifyTests(SynchronousTestCase):
    """
    RFC 8446 6.1: nothing follows our close_notify, not even the answer a
    post-handshake message would otherwise call for.
    """

    def test_keyUpdateRequestNotAnswered(self) -> None:
        pair = pair13()
        pair.server.connection.close()
        pair.server.connection.dataToSend()  # the close_notify, still in flight
        pair.client.connection.rehandshake()
        events = pair.server.connection.receiveData(pair.client.connection.dataToSend())
        self.assertEqual(events, [KeysUpdated(requestedByPeer=True)])
        self.assertEqual(pair.server.connection.dataToSend(), b"")

    def test_certificateRequestNotAnswered(self) -> None:
        pair = EnginePair(
            clientConfig(
                minVersion=TLS13,
                maxVersion=TLS13,
                postHandshakeAuth=True,
                credential=credentialOf(cachedPKI().ecdsaClient),
            ),
            serverConfig(maxVersion=TLS13),
        ).handshake()
        pair.client.connection.close()
        pair.client.connection.dataToSend()
        pair.server.connection.requestClientCertificate()
        pair.client.connection.receiveData(pair.server.connection.dataToSend())
        self.assertEqual(pair.client.connection.dataToSend(), b"")
