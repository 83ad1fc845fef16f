# -*- test-case-name: tests.test_postauth13 -*-
"""
TLS 1.3 post-handshake client authentication (RFC 8446 4.6.2), in memory:
accepted, declined, not offered, repeated across a key update, refused
certificates, out-of-order messages, and the transport's
C{requestClientCertificate()} on TLS 1.3.
"""

from __future__ import annotations

import os
from dataclasses import replace

from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import RenegotiationRefused
from twisted_reneg.testing.pki import cachedPKI, makePKI
from twisted_reneg.tls.config import TLS13
from twisted_reneg.tls.errors import AlertDescription, LocalUsageError
from twisted_reneg.tls.events import PeerCertificateReceived, PostHandshakeAuthCompleted
from twisted_reneg.tls.messages import Certificate13, Finished

from ._connected import Connected, clientOptions, serverOptions
from .enginepair import EnginePair, clientConfig, credentialOf, serverConfig, spoilSignatures

A = AlertDescription


def pair13(**client: object) -> EnginePair:
    return EnginePair(
        clientConfig(minVersion=TLS13, maxVersion=TLS13, **client),
        serverConfig(maxVersion=TLS13),
    ).handshake()


def completions(pair: EnginePair) -> list[PostHandshakeAuthCompleted]:
    return [e for e in pair.server.events if isinstance(e, PostHandshakeAuthCompleted)]


class EngineTests(SynchronousTestCase):
    def test_accepted(self) -> None:
        """
        A client holding a certificate offers PHA and answers the request
        with its verified chain; data written around the exchange arrives
        whole and in order both ways.
        """
        pki = cachedPKI()
        pair = pair13(credential=credentialOf(pki.ecdsaClient))
        session = pair.server.connection.session
        assert session is not None
        self.assertIsNone(session.peerCertificate)
        pair.client.connection.sendApplicationData(b"before ")
        pair.server.connection.requestClientCertificate()
        pair.server.connection.sendApplicationData(b"during ")
        pair.pump()
        pair.client.connection.sendApplicationData(b"after")
        pair.server.connection.sendApplicationData(b"after")
        pair.pump()
        [done] = completions(pair)
        self.assertEqual(done.session.peerCertificate, pki.ecdsaClient.certificate)
        self.assertEqual(pair.server.connection.session, done.session)
        self.assertTrue(any(isinstance(e, PeerCertificateReceived) for e in pair.server.events))
        self.assertEqual(pair.server.received(), b"before after")
        self.assertEqual(pair.client.received(), b"during after")

    def test_everyCertificateType(self) -> None:
        pki = cachedPKI()
        for identity in (pki.rsaClient, pki.ecdsaClient):
            pair = pair13(credential=credentialOf(identity))
            pair.server.connection.requestClientCertificate()
            pair.pump()
            [done] = completions(pair)
            self.assertEqual(done.session.peerCertificate, identity.certificate)

    def test_declined(self) -> None:
        """
        A client that offers PHA without a certificate answers with an
        empty Certificate; the session then has no peer certificate.
        """
        pair = pair13(postHandshakeAuth=True)
        pair.server.connection.requestClientCertificate()
        pair.pump()
        [done] = completions(pair)
        self.assertIsNone(done.session.peerCertificate)
        self.assertIsNone(pair.server.failure())

    def test_notOffered(self) -> None:
        """
        Without a certificate a client does not offer PHA (unless told to),
        and the server's request fails at once, sending nothing.
        """
        pki = cachedPKI()
        for client in (
            {},
            {"credential": credentialOf(pki.ecdsaClient), "postHandshakeAuth": False},
        ):
            pair = pair13(**client)
            with self.assertRaises(LocalUsageError) as caught:
                pair.server.connection.requestClientCertificate()
            self.assertIn("post-handshake", str(caught.exception))
            self.assertEqual(pair.server.connection.dataToSend(), b"")

    def test_oneAtATime(self) -> None:
        pair = pair13(credential=credentialOf(cachedPKI().ecdsaClient))
        pair.server.connection.requestClientCertificate()
        with self.assertRaises(LocalUsageError):
            pair.server.connection.requestClientCertificate()

    def test_repeatedAcrossKeyUpdates(self) -> None:
        """
        Each exchange forks the main transcript afresh, and its Finished key
        follows the client's current traffic secret, key updates included.
        """
        pki = cachedPKI()
        pair = pair13(credential=credentialOf(pki.rsaClient))
        for _ in range(3):
            pair.client.connection.rehandshake()
            pair.pump()
            pair.server.connection.requestClientCertificate()
            pair.pump()
        self.assertEqual(len(completions(pair)), 3)
        self.assertIsNone(pair.server.failure())
        self.assertIsNone(pair.client.failure())

    def test_untrustedCertificateRefused(self) -> None:
        """
        A certificate that fails verification ends the exchange without a
        peer certificate, not the connection; the reason is in the session.
        """
        directory = self.mktemp()
        os.mkdir(directory)
        stranger = makePKI(directory).ecdsaClient
        pair = pair13(credential=credentialOf(stranger))
        pair.server.connection.requestClientCertificate()
        pair.pump()
        self.assertIsNone(pair.server.failure())
        self.assertIsNone(pair.client.failure())
        (done,) = completions(pair)
        self.assertIsNone(done.session.peerCertificate)
        error = done.session.peerCertificateError
        assert error is not None
        self.assertIn("unknown authority", error)
        pair.client.connection.sendApplicationData(b"still here")
        pair.pump()
        self.assertEqual(pair.server.received(), b"still here")

    def test_untrustedCertificateMustStillSign(self) -> None:
        directory = self.mktemp()
        os.mkdir(directory)
        stranger = makePKI(directory).ecdsaClient
        pair = pair13(credential=credentialOf(stranger))
        spoilSignatures(self)
        pair.server.connection.requestClientCertificate()
        pair.pump()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.decrypt_error)

    def test_laterAcceptedCertificateClearsTheError(self) -> None:
        """
        Each exchange judges afresh: a refusal is not remembered once a
        certificate is accepted.
        """
        pair = pair13(credential=credentialOf(cachedPKI().untrustedClient))
        pair.server.connection.requestClientCertificate()
        pair.pump()
        session = pair.server.connection.session
        assert session is not None and session.peerCertificateError is not None
        pair.client.connection.config = replace(
            pair.client.connection.config, credential=credentialOf(cachedPKI().ecdsaClient)
        )
        pair.server.connection.requestClientCertificate()
        pair.pump()
        session = pair.server.connection.session
        assert session is not None
        self.assertIsNone(session.peerCertificateError)
        self.assertEqual(session.peerCertificate, cachedPKI().ecdsaClient.certificate)

    def test_unsolicitedRequestRefused(self) -> None:
        """
        A CertificateRequest to a client that did not offer PHA is an
        unexpected message.
        """
        offering = pair13(postHandshakeAuth=True)
        offering.server.connection.requestClientCertificate()
        request = offering.server.connection.dataToSend()
        # The same bytes only decrypt on the connection they were made for,
        # so turn the offering client into one that "did not offer".
        offering.client.connection._established._transcript = None
        events = offering.client.connection.receiveData(request)
        failure = [e for e in events if hasattr(e, "error")]
        self.assertEqual(failure[0].error.alert, A.unexpected_message)  # type: ignore[attr-defined]

    def test_clientAuthMessagesWithoutRequest(self) -> None:
        """
        A client Certificate or Finished the server did not ask for.
        """
        for message in (Certificate13(b"", ()).toBytes(), Finished(bytes(32)).toBytes()):
            pair = pair13(credential=credentialOf(cachedPKI().ecdsaClient))
            pair.client.connection.sendHandshake(message)
            pair.client.connection._flushHandshake()
            pair.pump()
            failure = pair.server.failure()
            assert failure is not None
            self.assertEqual(failure.error.alert, A.unexpected_message)

    def test_wrongContextRefused(self) -> None:
        """
        An answer whose certificate_request_context is not the request's.
        """
        pair = pair13(postHandshakeAuth=True)
        pair.server.connection.requestClientCertificate()
        pair.server.connection.dataToSend()  # the request is lost
        pair.client.connection.sendHandshake(Certificate13(b"guess", ()).toBytes())
        pair.client.connection._flushHandshake()
        pair.pump()
        failure = pair.server.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.illegal_parameter)


class TransportTests(SynchronousTestCase):
    def test_requestClientCertificateOnTLS13(self) -> None:
        """
        The same call as on TLS 1.2: the Deferred fires with the session
        holding the client's chain.
        """
        pki = cachedPKI()
        c = Connected(
            server=serverOptions(maxVersion="1.3", trustRoots=[pki.caCertificate]),
            client=clientOptions(
                minVersion="1.3", maxVersion="1.3", clientCertificate=_twistedClient()
            ),
        )
        c.flush()
        d = c.server.requestClientCertificate()
        c.flush()
        session = self.successResultOf(d)
        self.assertEqual(session.version, "TLSv1.3")
        self.assertEqual(session.peerCertificate, pki.rsaClient.certificate)
        self.assertEqual(c.server.getPeerCertificate().to_cryptography(), session.peerCertificate)

    def test_failsAtOnceWhenNotOffered(self) -> None:
        c = Connected(
            server=serverOptions(maxVersion="1.3"),
            client=clientOptions(minVersion="1.3", maxVersion="1.3"),
        )
        c.flush()
        failure = self.failureResultOf(c.server.requestClientCertificate(), RenegotiationRefused)
        self.assertIn("did not offer", str(failure.value))


def _twistedClient() -> object:
    from twisted.internet.ssl import PrivateCertificate

    identity = cachedPKI().rsaClient
    with open(identity.certPath) as cert, open(identity.keyPath) as key:
        return PrivateCertificate.loadPEM(cert.read() + key.read())
