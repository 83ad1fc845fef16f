# -*- test-case-name: tests.tls.test_engine -*-
"""
The TLS 1.2 engine in memory: client and server engines of ours talking to
each other, across every suite, certificate type and group, plus the
failure paths a handshake can take.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.testing.pki import Identity, cachedPKI
from twisted_reneg.tls.config import ClientAuth
from twisted_reneg.tls.errors import AlertDescription, LocalUsageError
from twisted_reneg.tls.events import (
    CloseNotifyReceived,
    PeerCertificateReceived,
    SessionTicketReceived,
)
from twisted_reneg.tls.state12 import HandshakeState12
from twisted_reneg.tls.suites import TLS12_SUITES, KeyExchange, NamedGroup, groupsForTLS12
from twisted_reneg.tls.tickets import TicketKeys

from ..enginepair import EnginePair, clientConfig, credentialOf, serverConfig

A = AlertDescription


def _curveOf(identity: Identity) -> NamedGroup | None:
    key = identity.certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return NamedGroup.secp384r1 if key.curve.name == "secp384r1" else NamedGroup.secp256r1
    return None


class HandshakeMatrixTests(SynchronousTestCase):
    """
    Every suite with every certificate type it can use, over every group.
    """

    def test_everySuiteCertificateAndGroup(self) -> None:
        pki = cachedPKI()
        identities = {
            KeyExchange.ECDHE_ECDSA: [pki.ecdsaServer, pki.ecdsa384Server, pki.ed25519Server],
            KeyExchange.ECDHE_RSA: [pki.rsaServer],
        }
        combinations = 0
        for suite in TLS12_SUITES:
            for identity in identities[suite.keyExchange]:
                for group in groupsForTLS12(tuple(NamedGroup)):
                    label = f"{suite.name} {identity.certificate.subject} {group.name}"
                    # The client also names the certificate's curve, which
                    # RFC 8422 requires; the server offers only `group`.
                    curve = _curveOf(identity)
                    clientGroups = (group,) if curve in (None, group) else (group, curve)
                    pair = EnginePair(
                        clientConfig(cipherSuites=(suite,), groups=clientGroups),
                        serverConfig(identity, groups=(group,)),
                    ).handshake()
                    self.assertIsNone(pair.client.failure(), label)
                    self.assertIsNone(pair.server.failure(), label)
                    session = pair.client.connection.session
                    assert session is not None, label
                    self.assertEqual(session.cipherSuite, "TLS_" + suite.name, label)
                    self.assertEqual(session.group, group.name, label)
                    self.assertEqual(session.version, "TLSv1.2")
                    self.assertTrue(session.extendedMasterSecret)
                    self.assertTrue(session.secureRenegotiation)
                    self.assertEqual(session.peerCertificate, identity.certificate)
                    self.assertEqual(
                        pair.server.connection.session,
                        session.__class__(**{**session.__dict__, "peerCertificates": ()}),
                        label,
                    )
                    pair.client.connection.sendApplicationData(b"ping " + label.encode())
                    pair.server.connection.sendApplicationData(b"pong")
                    pair.pump()
                    self.assertEqual(pair.server.received(), b"ping " + label.encode())
                    self.assertEqual(pair.client.received(), b"pong")
                    combinations += 1
        self.assertEqual(combinations, (3 * 3 + 3 * 1) * 4)


class DataTests(SynchronousTestCase):
    def test_largeTransferBothWays(self) -> None:
        """
        A megabyte each way arrives intact, in order, split in records.
        """
        pair = EnginePair(clientConfig(), serverConfig()).handshake()
        payload = bytes(range(256)) * 4096
        pair.client.connection.sendApplicationData(payload)
        pair.server.connection.sendApplicationData(payload[::-1])
        pair.pump()
        self.assertEqual(pair.server.received(), payload)
        self.assertEqual(pair.client.received(), payload[::-1])

    def test_writesBeforeHandshakeAreHeld(self) -> None:
        """
        Data written before the handshake completes goes out right after it.
        """
        pair = EnginePair(clientConfig(), serverConfig())
        pair.client.connection.sendApplicationData(b"early")
        pair.pump()
        self.assertEqual(pair.server.received(), b"early")

    def test_closeNotifyBothWays(self) -> None:
        pair = EnginePair(clientConfig(), serverConfig()).handshake()
        pair.client.connection.sendApplicationData(b"last words")
        pair.client.connection.close()
        pair.pump()
        self.assertEqual(pair.server.received(), b"last words")
        self.assertTrue(any(isinstance(e, CloseNotifyReceived) for e in pair.server.events))
        self.assertTrue(any(isinstance(e, CloseNotifyReceived) for e in pair.client.events))
        self.assertRaises(LocalUsageError, pair.client.connection.sendApplicationData, b"x")


class NegotiationTests(SynchronousTestCase):
    def test_alpn(self) -> None:
        pair = EnginePair(
            clientConfig(alpnProtocols=(b"h2", b"http/1.1")),
            serverConfig(alpnProtocols=(b"http/1.1", b"h2")),
        ).handshake()
        session = pair.client.connection.session
        assert session is not None
        self.assertEqual(session.alpnProtocol, b"http/1.1")

    def test_alpnNoOverlap(self) -> None:
        pair = EnginePair(
            clientConfig(alpnProtocols=(b"h2",)), serverConfig(alpnProtocols=(b"spdy/3",))
        ).handshake()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.no_application_protocol)

    def test_sniSelectsCredential(self) -> None:
        pki = cachedPKI()
        pair = EnginePair(
            clientConfig(),
            serverConfig(
                pki.rsaServer, sniCredentials={"localhost": credentialOf(pki.ecdsaServer)}
            ),
        ).handshake()
        session = pair.client.connection.session
        assert session is not None
        self.assertEqual(session.peerCertificate, pki.ecdsaServer.certificate)
        self.assertEqual(pair.server.connection.session.serverName, "localhost")  # type: ignore[union-attr]

    def test_noCommonSuite(self) -> None:
        pki = cachedPKI()
        rsaOnly = tuple(s for s in TLS12_SUITES if s.keyExchange is KeyExchange.ECDHE_RSA)
        pair = EnginePair(clientConfig(cipherSuites=rsaOnly), serverConfig(pki.ecdsaServer))
        pair.handshake()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.handshake_failure)
        clientFailure = pair.client.failure()
        assert clientFailure is not None
        self.assertFalse(clientFailure.error.sentByUs)

    def test_certificateCurveNotAccepted(self) -> None:
        """
        RFC 8422 5.1: a P-256 certificate is not used with a client whose
        supported_groups leaves P-256 out; with nothing else to offer the
        server fails the handshake.
        """
        pair = EnginePair(clientConfig(groups=(NamedGroup.x25519,)), serverConfig()).handshake()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.handshake_failure)

    def test_noCommonGroup(self) -> None:
        pair = EnginePair(
            clientConfig(groups=(NamedGroup.x448,)), serverConfig(groups=(NamedGroup.x25519,))
        ).handshake()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.handshake_failure)


class VerificationTests(SynchronousTestCase):
    def assertClientRejects(self, identity: object, alert: A, words: str) -> None:
        pair = EnginePair(clientConfig(), serverConfig(identity)).handshake()  # type: ignore[arg-type]
        failure = pair.client.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, alert)
        self.assertTrue(failure.error.sentByUs)
        self.assertIn(words, str(failure.error))
        serverFailure = pair.server.failure()
        assert serverFailure is not None
        self.assertEqual(serverFailure.error.alert, alert)
        self.assertFalse(serverFailure.error.sentByUs)

    def test_wrongHost(self) -> None:
        self.assertClientRejects(cachedPKI().wrongHostServer, A.bad_certificate, "localhost")

    def test_unknownCA(self) -> None:
        self.assertClientRejects(cachedPKI().untrustedServer, A.unknown_ca, "unknown")

    def test_expired(self) -> None:
        self.assertClientRejects(cachedPKI().expiredServer, A.certificate_expired, "expired")


class ClientCertificateTests(SynchronousTestCase):
    def test_requiredAndSent(self) -> None:
        pki = cachedPKI()
        for identity in (pki.ecdsaClient, pki.rsaClient):
            pair = EnginePair(
                clientConfig(credential=credentialOf(identity)),
                serverConfig(clientAuth=ClientAuth.REQUIRE),
            ).handshake()
            self.assertIsNone(pair.server.failure())
            session = pair.server.connection.session
            assert session is not None
            self.assertEqual(session.peerCertificate, identity.certificate)
            self.assertTrue(
                any(isinstance(e, PeerCertificateReceived) for e in pair.server.events)
            )

    def test_requiredButMissing(self) -> None:
        pair = EnginePair(clientConfig(), serverConfig(clientAuth=ClientAuth.REQUIRE))
        pair.handshake()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.handshake_failure)
        self.assertIn("required", str(failure.error))

    def test_requestedButMissing(self) -> None:
        pair = EnginePair(clientConfig(), serverConfig(clientAuth=ClientAuth.REQUEST))
        pair.handshake()
        self.assertIsNone(pair.server.failure())
        session = pair.server.connection.session
        assert session is not None
        self.assertIsNone(session.peerCertificate)

    def test_untrustedClientCertificate(self) -> None:
        pki = cachedPKI()
        pair = EnginePair(
            clientConfig(credential=credentialOf(pki.untrustedClient)),
            serverConfig(clientAuth=ClientAuth.REQUIRE),
        ).handshake()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.unknown_ca)


class ExtendedMasterSecretTests(SynchronousTestCase):
    def test_requiredByBoth(self) -> None:
        pair = EnginePair(
            clientConfig(requireExtendedMasterSecret=True),
            serverConfig(requireExtendedMasterSecret=True),
        ).handshake()
        session = pair.server.connection.session
        assert session is not None
        self.assertTrue(session.extendedMasterSecret)


class FinishedTests(SynchronousTestCase):
    """
    TLS 1.2: a peer whose Finished is wrong is refused with decrypt_error,
    in full and in abbreviated (resumed) handshakes, by either side.
    """

    def spoil(self, liar: str) -> None:
        honest = HandshakeState12.verifyData
        liarIsClient = liar == "client"

        def verifyData(hs: HandshakeState12, fromClient: bool) -> bytes:
            value = honest(hs, fromClient)
            if hs.config.isClient == liarIsClient and fromClient == liarIsClient:
                return value[:-1] + bytes((value[-1] ^ 1,))
            return value

        self.patch(HandshakeState12, "verifyData", verifyData)

    def assertRefusedBy(self, pair: EnginePair, victim: str) -> None:
        side = pair.client if victim == "client" else pair.server
        failure = side.failure()
        assert failure is not None
        self.assertTrue(failure.error.sentByUs)
        self.assertEqual(failure.error.alert, AlertDescription.decrypt_error)
        self.assertIsNone(side.connection.session)

    def test_fullServerLies(self) -> None:
        self.spoil("server")
        self.assertRefusedBy(EnginePair(clientConfig(), serverConfig()).handshake(), "client")

    def test_fullClientLies(self) -> None:
        self.spoil("client")
        self.assertRefusedBy(EnginePair(clientConfig(), serverConfig()).handshake(), "server")

    def resumption(self, liar: str) -> EnginePair:
        server = serverConfig(ticketKeys=TicketKeys())
        full = EnginePair(clientConfig(), server).handshake()
        session = next(
            e.ticket for e in full.client.events if isinstance(e, SessionTicketReceived)
        )
        self.spoil(liar)
        return EnginePair(clientConfig(resumeTicket=session), server).handshake()

    def test_resumedServerLies(self) -> None:
        self.assertRefusedBy(self.resumption("server"), "client")

    def test_resumedClientLies(self) -> None:
        self.assertRefusedBy(self.resumption("client"), "server")
