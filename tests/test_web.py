# -*- test-case-name: tests.test_web -*-
"""
RequireClientCertificate in memory: a request on a connection without a
client certificate triggers requestClientCertificate() (a renegotiation on
TLS 1.2, post-handshake authentication on 1.3); the verify callable decides;
HTTP/2 connections are refused rather than renegotiated.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource
from twisted.web.test.requesthelper import DummyChannel, DummyRequest

from twisted_reneg import ClientOptions
from twisted_reneg.testing.memory import TLSPair
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.web import RequireClientCertificate, SessionPage

from .test_transport import serverOptions


class Secret(Resource):
    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        return b"secret"


def pair(
    alpn: list[bytes] | None = None, withCertificate: bool = True, version: str = "1.2"
) -> TLSPair:
    pki = cachedPKI()
    client = ClientOptions(
        "localhost",
        trustRoots=[pki.caCertificate],
        clientCertificate=(
            ((pki.ecdsaClient.certificate,), pki.ecdsaClient.privateKey)
            if withCertificate
            else None
        ),
        acceptableProtocols=alpn,
        maxVersion=version,
    )
    server = serverOptions(trustRoots=[pki.caCertificate], acceptableProtocols=alpn)
    p = TLSPair(server, client)
    p.flush()
    return p


def render(p: TLSPair, resource: Resource) -> DummyRequest:
    request = DummyRequest([b""])
    request.channel = DummyChannel()
    request.channel.transport = p.server
    result = resource.render(request)
    if isinstance(result, bytes):
        request.write(result)
        request.finish()
    p.flush()
    return request


class RequireClientCertificateTests(SynchronousTestCase):
    def test_servedAfterRenegotiation(self) -> None:
        p = pair()
        request = render(p, RequireClientCertificate(Secret()))
        self.assertEqual(b"".join(request.written), b"secret")
        self.assertEqual(p.server.session.renegotiations, 1)  # type: ignore[union-attr]

    def test_noCertificateForbidden(self) -> None:
        request = render(pair(withCertificate=False), RequireClientCertificate(Secret()))
        self.assertEqual(request.responseCode, 403)

    def test_verifyDecides(self) -> None:
        seen: list[x509.Certificate] = []

        def refuse(cert: x509.Certificate) -> bool:
            seen.append(cert)
            return False

        request = render(pair(), RequireClientCertificate(Secret(), verify=refuse))
        self.assertEqual(request.responseCode, 403)
        self.assertEqual(seen, [cachedPKI().ecdsaClient.certificate])

    def test_servedAfterPostHandshakeAuth(self) -> None:
        """
        On TLS 1.3 the same resource gets the certificate by post-handshake
        authentication instead, and keeps it for the next request.
        """
        p = pair(version="1.3")
        resource = RequireClientCertificate(Secret())
        for _ in range(2):
            request = render(p, resource)
            self.assertEqual(b"".join(request.written), b"secret")
        session = p.server.session
        assert session is not None
        self.assertEqual((session.version, session.renegotiations), ("TLSv1.3", 0))
        self.assertEqual(session.peerCertificate, cachedPKI().ecdsaClient.certificate)

    def test_secondRequestNeedsNoRenegotiation(self) -> None:
        p = pair()
        resource = RequireClientCertificate(Secret())
        render(p, resource)
        request = render(p, resource)
        self.assertEqual(b"".join(request.written), b"secret")
        self.assertEqual(p.server.session.renegotiations, 1)  # type: ignore[union-attr]

    def test_http2Refused(self) -> None:
        p = pair(alpn=[b"h2"])
        request = render(p, RequireClientCertificate(Secret()))
        self.assertEqual(request.responseCode, 403)
        self.assertIn(b"HTTP/1.1", b"".join(request.written))
        self.assertEqual(p.server.session.renegotiations, 0)  # type: ignore[union-attr]

    def test_sessionPage(self) -> None:
        request = render(pair(), SessionPage())
        self.assertIn(b"renegotiations: 0", b"".join(request.written))
