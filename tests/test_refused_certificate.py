"""
A client certificate asked for mid-connection (C{requestClientCertificate()})
that fails verification is the application's decision: the connection stays
up, the Deferred fires with a session that has no peer certificate and
says why in C{peerCertificateError}.  One asked for by the first handshake
(C{clientCertificates="require"}) still ends it with the alert.
"""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import ClientOptions, TLSAlertError
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.errors import AlertDescription as A

from ._connected import Connected, serverOptions


def clientWith(identity: Any, version: str) -> ClientOptions:
    pki = cachedPKI()
    return ClientOptions(
        "localhost",
        trustRoots=[pki.caCertificate],
        clientCertificate=((identity.certificate,), identity.privateKey),
        maxVersion=version,
    )


class RefusedMidConnectionMixin:
    version: str

    def test_connectionStaysUp(self) -> None:
        pki = cachedPKI()
        c = Connected(
            server=serverOptions(trustRoots=[pki.caCertificate], maxVersion=self.version),
            client=clientWith(pki.untrustedClient, self.version),
        )
        c.flush()
        d = c.server.requestClientCertificate()
        c.flush()
        session = self.successResultOf(d)  # type: ignore[attr-defined]
        self.assertEqual(session.version, f"TLSv{self.version}")  # type: ignore[attr-defined]
        self.assertIsNone(session.peerCertificate)  # type: ignore[attr-defined]
        self.assertIsNone(c.server.getPeerCertificate())  # type: ignore[attr-defined]
        self.assertIn("unknown authority", session.peerCertificateError)  # type: ignore[attr-defined]
        self.assertIs(c.server.session, session)  # type: ignore[attr-defined]
        c.client.write(b"request")
        c.server.write(b"403")
        c.flush()
        self.assertEqual(c.serverApp.data, b"request")  # type: ignore[attr-defined]
        self.assertEqual(c.clientApp.data, b"403")  # type: ignore[attr-defined]
        self.assertNotIn("connectionLost", c.serverApp.calls)  # type: ignore[attr-defined]

    def test_acceptedHasNoError(self) -> None:
        pki = cachedPKI()
        c = Connected(
            server=serverOptions(trustRoots=[pki.caCertificate], maxVersion=self.version),
            client=clientWith(pki.ecdsaClient, self.version),
        )
        c.flush()
        d = c.server.requestClientCertificate()
        c.flush()
        session = self.successResultOf(d)  # type: ignore[attr-defined]
        self.assertEqual(session.peerCertificate, pki.ecdsaClient.certificate)  # type: ignore[attr-defined]
        self.assertIsNone(session.peerCertificateError)  # type: ignore[attr-defined]

    def test_requiredInTheHandshakeStillFails(self) -> None:
        pki = cachedPKI()
        c = Connected(
            server=serverOptions(
                trustRoots=[pki.caCertificate],
                clientCertificates="require",
                maxVersion=self.version,
            ),
            client=clientWith(pki.untrustedClient, self.version),
        )
        c.flush()
        reason = c.serverApp.lostReason  # type: ignore[attr-defined]
        assert reason is not None
        error = reason.value
        assert isinstance(error, TLSAlertError)
        self.assertEqual(error.alert, A.unknown_ca)  # type: ignore[attr-defined]
        self.assertIn("unknown authority", error.reason)  # type: ignore[attr-defined]


class TLS12Tests(RefusedMidConnectionMixin, SynchronousTestCase):
    version = "1.2"


class TLS13Tests(RefusedMidConnectionMixin, SynchronousTestCase):
    version = "1.3"
