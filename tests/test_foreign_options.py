# -*- test-case-name: tests.test_foreign_options -*-
"""
Moving from Twisted's C{TLSMemoryBIOFactory}: Twisted's own TLS settings
(C{PrivateCertificate.options()}, C{ssl.optionsForClientTLS}) given to our
TLSFactory, endpoints or startTLS are refused at once with a TypeError
naming what to use, not at every connection with an AttributeError.
"""

from __future__ import annotations

from twisted.internet import protocol, ssl
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
from twisted.internet.testing import MemoryReactor, StringTransport
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import ClientOptions, ServerOptions, TLSFactory, startTLS
from twisted_reneg.endpoints import wrapClientTLS, wrapServerTLS
from twisted_reneg.testing.pki import cachedPKI


def twistedServerSettings() -> object:
    identity = cachedPKI().ecdsaServer
    with open(identity.certPath) as c, open(identity.keyPath) as k:
        return ssl.PrivateCertificate.loadPEM(c.read() + k.read()).options()


class ForeignOptionsTests(SynchronousTestCase):
    def test_serverCertificateOptions(self) -> None:
        with self.assertRaises(TypeError) as raised:
            TLSFactory(twistedServerSettings(), False, protocol.Factory())
        message = str(raised.exception)
        self.assertIn("twisted_reneg needs its own TLS settings", message)
        self.assertIn("CertificateOptions", message)
        self.assertIn("ServerOptions.fromPrivateCertificate(privateCertificate)", message)

    def test_clientCreator(self) -> None:
        """
        Not the old "isClient must match the options", which was wrong.
        """
        creator = ssl.optionsForClientTLS("localhost")
        with self.assertRaises(TypeError) as raised:
            TLSFactory(creator, True, protocol.Factory())
        message = str(raised.exception)
        self.assertIn("twisted_reneg.ClientOptions(hostname, trustRoots=...)", message)
        self.assertNotIn("isClient", message)

    def test_endpointsAndStartTLS(self) -> None:
        reactor = MemoryReactor()
        self.assertRaises(
            TypeError,
            wrapServerTLS,
            twistedServerSettings(),  # type: ignore[arg-type]
            TCP4ServerEndpoint(reactor, 0),
        )
        self.assertRaises(
            TypeError,
            wrapClientTLS,
            ssl.optionsForClientTLS("localhost"),  # type: ignore[arg-type]
            TCP4ClientEndpoint(reactor, "localhost", 1),
        )
        transport = StringTransport()
        transport.protocol = protocol.Protocol()  # type: ignore[attr-defined]
        self.assertRaises(TypeError, startTLS, transport, ssl.optionsForClientTLS("localhost"))

    def test_ourOptionsTheWrongWayRound(self) -> None:
        pki = cachedPKI()
        server = ServerOptions.fromPEM(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath)
        with self.assertRaises(ValueError) as raised:
            TLSFactory(server, True, protocol.Factory())
        self.assertEqual(
            str(raised.exception), "isClient=True needs ClientOptions, not ServerOptions"
        )
        with self.assertRaises(ValueError):
            TLSFactory(ClientOptions("localhost"), False, protocol.Factory())
