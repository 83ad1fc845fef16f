# -*- test-case-name: tests.test_advisory -*-
"""
C{ClientAuth.ADVISORY}: a server that asks for a client certificate in its
handshake and lets the application judge one that fails verification (the
certificate listener of a site), and the session flags a site decides by:
C{clientCertificateRequested} and C{postHandshakeAuth}.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.config import TLS12, TLS13, ClientAuth
from twisted_reneg.tls.events import ConnectionFailed
from twisted_reneg.tls.session import TLSSession
from twisted_reneg.tls.tickets import TicketKeys

from .enginepair import EnginePair, clientConfig, credentialOf, serverConfig


def sessions(pair: EnginePair) -> tuple[TLSSession, TLSSession]:
    client, server = pair.client.connection.session, pair.server.connection.session
    assert client is not None and server is not None
    return client, server


class AdvisoryTests(SynchronousTestCase):
    def handshake(self, version: int, identity: str | None) -> EnginePair:
        pki = cachedPKI()
        client = {} if identity is None else {"credential": credentialOf(getattr(pki, identity))}
        pair = EnginePair(
            clientConfig(maxVersion=version, **client),
            serverConfig(maxVersion=version, clientAuth=ClientAuth.ADVISORY),
        ).handshake()
        failures = [e for e in pair.server.events if isinstance(e, ConnectionFailed)]
        self.assertEqual(failures, [])
        return pair

    def test_untrustedCertificateJudgedNotFatal(self) -> None:
        """
        A certificate from another CA: the handshake completes, the session
        has no peer certificate and says why.
        """
        for version in (TLS12, TLS13):
            _, server = sessions(self.handshake(version, "untrustedClient"))
            self.assertIsNone(server.peerCertificate, version)
            assert server.peerCertificateError is not None
            self.assertIn("unknown authority", server.peerCertificateError)
            self.assertTrue(server.clientCertificateRequested)

    def test_trustedCertificate(self) -> None:
        pki = cachedPKI()
        for version in (TLS12, TLS13):
            client, server = sessions(self.handshake(version, "ecdsaClient"))
            self.assertEqual(server.peerCertificate, pki.ecdsaClient.certificate)
            self.assertIsNone(server.peerCertificateError)
            self.assertTrue(server.clientCertificateRequested)
            self.assertTrue(client.clientCertificateRequested)

    def test_noCertificate(self) -> None:
        for version in (TLS12, TLS13):
            client, server = sessions(self.handshake(version, None))
            self.assertIsNone(server.peerCertificate)
            self.assertIsNone(server.peerCertificateError)
            self.assertTrue(server.clientCertificateRequested)
            self.assertTrue(client.clientCertificateRequested)

    def test_requestStaysFatal(self) -> None:
        """
        C{REQUEST} still fails the handshake on a certificate that does not
        verify: only C{ADVISORY} leaves it to the application.
        """
        pki = cachedPKI()
        for version in (TLS12, TLS13):
            pair = EnginePair(
                clientConfig(maxVersion=version, credential=credentialOf(pki.untrustedClient)),
                serverConfig(maxVersion=version, clientAuth=ClientAuth.REQUEST),
            ).handshake()
            self.assertTrue(
                [e for e in pair.server.events if isinstance(e, ConnectionFailed)], version
            )

    def test_resumedSessionStillAsked(self) -> None:
        """
        A resumed session on a listener that asks carries the flag: a site
        must not send it to a certificate listener again.
        """
        keys = TicketKeys()
        server = serverConfig(maxVersion=TLS13, clientAuth=ClientAuth.ADVISORY, ticketKeys=keys)
        client = {"maxVersion": TLS13, "minVersion": TLS13, "resumesSessions": True}
        first = EnginePair(clientConfig(**client), server).handshake()
        ticket = next(e.ticket for e in first.client.events if hasattr(e, "ticket"))
        again = EnginePair(clientConfig(resumeTicket=ticket, **client), server).handshake()
        _, resumed = sessions(again)
        self.assertTrue(resumed.resumed)
        self.assertTrue(resumed.clientCertificateRequested)


class SessionFlagTests(SynchronousTestCase):
    def test_notAsked(self) -> None:
        for version in (TLS12, TLS13):
            pair = EnginePair(clientConfig(maxVersion=version), serverConfig(maxVersion=version))
            client, server = sessions(pair.handshake())
            self.assertFalse(server.clientCertificateRequested)
            self.assertFalse(client.clientCertificateRequested)

    def test_postHandshakeAuthOffered(self) -> None:
        """
        The server's TLS 1.3 session says whether the client offered
        post-handshake authentication (a client holding a certificate does,
        browsers never).
        """
        pki = cachedPKI()
        withCertificate = clientConfig(maxVersion=TLS13, credential=credentialOf(pki.ecdsaClient))
        for config, offered in ((withCertificate, True), (clientConfig(maxVersion=TLS13), False)):
            pair = EnginePair(config, serverConfig(maxVersion=TLS13)).handshake()
            client, server = sessions(pair)
            self.assertEqual(server.postHandshakeAuth, offered)
            self.assertEqual(client.postHandshakeAuth, offered)
        pair = EnginePair(clientConfig(maxVersion=TLS12), serverConfig(maxVersion=TLS12))
        _, server = sessions(pair.handshake())
        self.assertFalse(server.postHandshakeAuth)
