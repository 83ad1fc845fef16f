# -*- test-case-name: tests.test_web -*-
"""
RequireClientCertificate in memory: a request on a connection without a
client certificate triggers requestClientCertificate() (a renegotiation on
TLS 1.2, post-handshake authentication on 1.3); the verify callable decides;
HTTP/2 connections are refused rather than renegotiated.  Every request is
answered: 403 naming why, 500 when the wrapped resource or verify raises,
in either path (certificate already there, or asked for first).  Over real
sockets: a certificate that fails verification mid-connection gets a 403
naming the reason, and the connection serves the next request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography import x509
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
from twisted.internet.error import ConnectionLost
from twisted.logger import formatEvent, globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase
from twisted.web.client import Agent, HTTPConnectionPool, readBody
from twisted.web.iweb import IAgentEndpointFactory
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site
from twisted.web.test.requesthelper import DummyChannel, DummyRequest
from zope.interface import implementer

from twisted_reneg import ClientOptions, RenegotiationTimeout, TLSSession
from twisted_reneg.endpoints import wrapClientTLS, wrapServerTLS
from twisted_reneg.interfaces import IRenegotiatingTransport
from twisted_reneg.testing.memory import TLSPair
from twisted_reneg.testing.pki import Identity, cachedPKI
from twisted_reneg.web import RequireClientCertificate, SessionPage

from ._connected import serverOptions


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

    def test_answerAfterTheRequestHasItsLength(self) -> None:
        """
        A body decided after the certificate request carries its length, as
        one returned from C{render} does, so a keep-alive client does not
        get it chunked.
        """
        request = render(pair(withCertificate=False), RequireClientCertificate(Secret()))
        body = b"".join(request.written)
        self.assertEqual(
            request.responseHeaders.getRawHeaders(b"content-length"), [b"%d" % len(body)]
        )

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


# --- every request is answered (no sockets: a transport we drive) -----------


def session(
    certificate: x509.Certificate | None = None,
    error: str | None = None,
    rejected: x509.Certificate | None = None,
    **kw: Any,
) -> TLSSession:
    kw.setdefault("version", "TLSv1.2")
    return TLSSession(
        cipherSuite="TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        group="x25519",
        signatureScheme=None,
        serverName="localhost",
        alpnProtocol=b"http/1.1",
        peerCertificates=(certificate,) if certificate is not None else (),
        peerCertificateError=error,
        rejectedPeerCertificate=rejected,
        **kw,
    )


@implementer(IRenegotiatingTransport)
class DrivenTransport:
    """
    Stands for our TLS transport: C{session} is what the request sees
    first; each C{requestClientCertificate()} is a Deferred the test fires.
    """

    negotiatedProtocol = b"http/1.1"

    def __init__(self, session: TLSSession) -> None:
        self.session = session
        self.requests: list[Deferred[TLSSession]] = []

    def requestClientCertificate(self, timeout: float | None = None) -> Deferred[TLSSession]:
        d: Deferred[TLSSession] = Deferred()
        self.requests.append(d)
        return d

    def rehandshake(self, timeout: float | None = None) -> Deferred[TLSSession]:
        raise AssertionError("not used by RequireClientCertificate")


class DrivenRequest(DummyRequest):
    """
    A DummyRequest that can say it started writing and be disconnected,
    as twisted.web's Request can.
    """

    startedWriting = False
    lostConnection = False

    def loseConnection(self) -> None:
        self.lostConnection = True


def capture(case: SynchronousTestCase) -> list[str]:
    """
    The log events (formatted) emitted from now until C{case} ends.
    """
    lines: list[str] = []

    def observe(event: dict[str, Any]) -> None:
        lines.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    case.addCleanup(globalLogPublisher.removeObserver, observe)
    return lines


def start(resource: Resource, transport: DrivenTransport, uri: bytes = b"/admin") -> DrivenRequest:
    """
    Render C{resource} as twisted.web's Request.render would (bytes are
    written and finish the request).
    """
    request = DrivenRequest([b""])
    request.uri = uri
    request.channel = DummyChannel()
    request.channel.transport = transport
    result = resource.render(request)
    if result is not NOT_DONE_YET:
        request.write(result)
        request.finish()
    return request


def answer(request: DrivenRequest) -> tuple[int | None, bytes]:
    return request.responseCode, b"".join(request.written)


class Broken(Resource):
    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        raise ZeroDivisionError("the resource is broken")


class Later(Resource):
    """
    Answers later: returns NOT_DONE_YET and finishes when told.
    """

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[Any] = []

    def render_GET(self, request: Any) -> Any:
        self.pending.append(request)
        return NOT_DONE_YET

    def finishAll(self) -> None:
        for request in self.pending:
            request.write(b"later")
            request.finish()


def brokenVerify(certificate: x509.Certificate) -> bool:
    raise ZeroDivisionError("verify is broken")


class EveryRequestAnsweredTests(SynchronousTestCase):
    def assertServerError(self, request: DrivenRequest) -> None:
        self.assertEqual(answer(request), (500, b"500 Internal Server Error\n"))
        self.assertEqual(request.finished, 1)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)

    def test_wrappedRaisesRightAway(self) -> None:
        transport = DrivenTransport(session(cachedPKI().ecdsaClient.certificate))
        self.assertServerError(start(RequireClientCertificate(Broken()), transport))

    def test_wrappedRaisesAfterTheRequest(self) -> None:
        transport = DrivenTransport(session())
        request = start(RequireClientCertificate(Broken()), transport)
        self.assertEqual(request.finished, 0)
        transport.requests[0].callback(session(cachedPKI().ecdsaClient.certificate))
        self.assertServerError(request)

    def test_verifyRaisesRightAway(self) -> None:
        transport = DrivenTransport(session(cachedPKI().ecdsaClient.certificate))
        resource = RequireClientCertificate(Secret(), verify=brokenVerify)
        self.assertServerError(start(resource, transport))

    def test_verifyRaisesAfterTheRequest(self) -> None:
        transport = DrivenTransport(session())
        request = start(RequireClientCertificate(Secret(), verify=brokenVerify), transport)
        transport.requests[0].callback(session(cachedPKI().ecdsaClient.certificate))
        self.assertServerError(request)

    def test_raisesAfterTheResponseStarted(self) -> None:
        """
        A resource that raises once its response has begun: the connection
        is dropped rather than a truncated response made to look whole.
        """

        class HalfWay(Resource):
            isLeaf = True

            def render_GET(self, request: Any) -> bytes:
                request.startedWriting = True
                raise ZeroDivisionError("half way")

        transport = DrivenTransport(session())
        request = start(RequireClientCertificate(HalfWay()), transport)
        transport.requests[0].callback(session(cachedPKI().ecdsaClient.certificate))
        self.assertTrue(request.lostConnection)
        self.assertEqual((request.written, request.finished), ([], 0))
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)

    def test_notDoneYetRightAway(self) -> None:
        later = Later()
        transport = DrivenTransport(session(cachedPKI().ecdsaClient.certificate))
        request = start(RequireClientCertificate(later), transport)
        self.assertEqual(request.finished, 0)
        later.finishAll()
        self.assertEqual((answer(request), request.finished), ((None, b"later"), 1))

    def test_notDoneYetAfterTheRequest(self) -> None:
        """
        The wrapped resource answering later, after the certificate came:
        it alone writes and finishes the request.
        """
        later = Later()
        transport = DrivenTransport(session())
        request = start(RequireClientCertificate(later), transport)
        transport.requests[0].callback(session(cachedPKI().ecdsaClient.certificate))
        self.assertEqual(request.finished, 0)
        later.finishAll()
        self.assertEqual((answer(request), request.finished), ((None, b"later"), 1))

    def test_rejectedCertificateNamed(self) -> None:
        """
        The visitor is told which certificate was not accepted; why (the
        chain's fault, what to add to the trust roots) goes to the log only.
        """
        untrusted = cachedPKI().untrustedClient.certificate
        transport = DrivenTransport(session())
        request = start(RequireClientCertificate(Secret()), transport)
        logged = capture(self)
        transport.requests[0].callback(
            session(error="signed by an unknown CA", rejected=untrusted)
        )
        code, body = answer(request)
        self.assertEqual(code, 403)
        self.assertTrue(
            body.startswith(
                b"403 Forbidden: the client certificate "
                b"'CN=test-client,O=twisted_reneg tests' was not accepted\n\n"
            ),
            body,
        )
        self.assertNotIn(b"unknown CA", body)
        self.assertEqual(request.finished, 1)
        self.assertIn("signed by an unknown CA", " ".join(logged))

    def test_rejectedEarlierAsksAgain(self) -> None:
        """
        A session whose last certificate was rejected gets another request,
        and is served if the client sends a good one this time.
        """
        transport = DrivenTransport(session(error="expired"))
        request = start(RequireClientCertificate(Secret()), transport)
        self.assertEqual(len(transport.requests), 1)
        transport.requests[0].callback(session(cachedPKI().ecdsaClient.certificate))
        self.assertEqual(answer(request), (None, b"secret"))

    def test_noCertificateNamed(self) -> None:
        transport = DrivenTransport(session())
        request = start(RequireClientCertificate(Secret()), transport)
        transport.requests[0].callback(session())
        code, body = answer(request)
        self.assertEqual(code, 403)
        self.assertTrue(body.startswith(b"403 Forbidden: no client certificate was sent\n"))
        self.assertIn(b"Install the certificate", body)

    def test_requestFailed(self) -> None:
        transport = DrivenTransport(session())
        request = start(RequireClientCertificate(Secret()), transport)
        logged = capture(self)
        transport.requests[0].errback(Failure(RenegotiationTimeout("too slow")))
        code, body = answer(request)
        self.assertEqual(code, 403)
        self.assertTrue(
            body.startswith(
                b"403 Forbidden: the browser did not answer the request for a client certificate\n"
            ),
            body,
        )
        self.assertEqual(request.finished, 1)
        self.assertIn("too slow", " ".join(logged))

    def test_connectionGone(self) -> None:
        """
        The connection went away while the certificate was asked for:
        nothing to answer, and nothing logged as an error.
        """
        transport = DrivenTransport(session())
        request = start(RequireClientCertificate(Secret()), transport)
        logged = capture(self)
        transport.requests[0].errback(Failure(ConnectionLost("gone")))
        self.assertEqual((request.written, request.finished), ([], 0))
        self.assertEqual(self.flushLoggedErrors(), [])
        # Browsers drop the connection the first time they are asked, and
        # retry on a new one: not a failure worth a line.
        self.assertEqual(logged, [])


class CannotAskTests(SynchronousTestCase):
    """
    TLS 1.3 without post-handshake authentication (every browser): the
    client cannot be asked mid-connection, so it is sent to the certificate
    listener, or told why not.
    """

    def browser13(self, **kw: Any) -> DrivenTransport:
        return DrivenTransport(session(version="TLSv1.3", postHandshakeAuth=False, **kw))

    def test_redirectedToFallback(self) -> None:
        transport = self.browser13()
        resource = RequireClientCertificate(Secret(), fallbackURL="https://localhost:8444/")
        request = start(resource, transport, uri=b"/admin/page?x=1&y=%20")
        self.assertEqual(request.responseCode, 307)
        self.assertEqual(
            request.responseHeaders.getRawHeaders(b"location"),
            [b"https://localhost:8444/admin/page?x=1&y=%20"],
        )
        self.assertEqual(transport.requests, [])

    def test_fallbackOfTheRequest(self) -> None:
        """
        C{fallbackURL} may be a function of the request: the host the
        visitor used, with the certificate listener's port.
        """
        transport = self.browser13()

        def listener(request: Any) -> str:
            return "https://" + request.getRequestHostname().decode() + ":9443"

        request = start(RequireClientCertificate(Secret(), fallbackURL=listener), transport)
        self.assertEqual(
            request.responseHeaders.getRawHeaders(b"location"), [b"https://dummy:9443/admin"]
        )

    def test_childrenRedirectedToo(self) -> None:
        """
        A resource below the protected one is redirected with its own path.
        """
        folder = Resource()
        folder.putChild(b"page", Secret())
        protected = RequireClientCertificate(folder, fallbackURL="https://h:1")
        request = DrivenRequest([b""])
        request.uri = b"/admin/page"
        request.channel = DummyChannel()
        request.channel.transport = self.browser13()
        child = protected.getChildWithDefault(b"page", request)
        child.render(request)
        self.assertEqual(
            request.responseHeaders.getRawHeaders(b"location"), [b"https://h:1/admin/page"]
        )

    def test_withoutFallbackForbiddenAndOperatorWarnedOnce(self) -> None:
        logged = capture(self)
        resource = RequireClientCertificate(Secret())
        for _ in range(2):
            request = start(resource, self.browser13())
            code, body = answer(request)
            self.assertEqual(code, 403)
            self.assertTrue(
                body.startswith(
                    b"403 Forbidden: this connection cannot be asked for a client "
                    b"certificate (TLS 1.3 without post-handshake authentication)\n"
                ),
                body,
            )
            self.assertNotIn(b"fallbackURL", body)
        warnings = [line for line in logged if "fallbackURL" in line]
        self.assertEqual(len(warnings), 1, logged)
        self.assertIn("maxVersion=1.2", warnings[0])

    def test_postHandshakeAuthAskedMidConnection(self) -> None:
        """
        A TLS 1.3 client that offered post-handshake authentication is asked
        mid-connection, fallback or not.
        """
        transport = DrivenTransport(session(version="TLSv1.3", postHandshakeAuth=True))
        start(RequireClientCertificate(Secret(), fallbackURL="https://h:1"), transport)
        self.assertEqual(len(transport.requests), 1)


class CertificateListenerTests(SynchronousTestCase):
    """
    On a listener whose handshake asked for the certificate, the answer is
    judged as it is: never asked again, never redirected (which would loop).
    """

    def test_servedWithCertificate(self) -> None:
        pki = cachedPKI()
        transport = DrivenTransport(
            session(
                pki.ecdsaClient.certificate, version="TLSv1.3", clientCertificateRequested=True
            )
        )
        request = start(RequireClientCertificate(Secret(), fallbackURL="https://h:1"), transport)
        self.assertEqual(answer(request), (None, b"secret"))

    def test_noneSent(self) -> None:
        for version in ("TLSv1.2", "TLSv1.3"):
            transport = DrivenTransport(session(version=version, clientCertificateRequested=True))
            request = start(
                RequireClientCertificate(Secret(), fallbackURL="https://h:1"), transport
            )
            code, body = answer(request)
            self.assertEqual(code, 403, version)
            self.assertTrue(body.startswith(b"403 Forbidden: no client certificate was sent\n"))
            self.assertEqual(transport.requests, [], version)

    def test_rejectedNamed(self) -> None:
        untrusted = cachedPKI().untrustedClient.certificate
        transport = DrivenTransport(
            session(
                error="unknown authority",
                rejected=untrusted,
                version="TLSv1.3",
                clientCertificateRequested=True,
            )
        )
        request = start(RequireClientCertificate(Secret()), transport)
        code, body = answer(request)
        self.assertEqual(code, 403)
        self.assertIn(b"'CN=test-client,O=twisted_reneg tests' was not accepted", body)
        self.assertEqual(transport.requests, [])


# --- over real sockets --------------------------------------------------------


class Public(Resource):
    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        return b"public"


class CountingSite(Site):
    """
    A site that notes each connection and fires C{closed} once all of them
    have ended.
    """

    def __init__(self, resource: Resource) -> None:
        super().__init__(resource)
        self.connections = 0
        self._open = 0
        self.closed: Deferred[None] = Deferred()

    def buildProtocol(self, addr: Any) -> Any:
        channel = super().buildProtocol(addr)
        self.connections += 1
        self._open += 1
        lost = channel.connectionLost

        def connectionLost(reason: Failure) -> None:
            lost(reason)
            self._open -= 1
            if not self._open and not self.closed.called:
                self.closed.callback(None)

        channel.connectionLost = connectionLost
        return channel


@implementer(IAgentEndpointFactory)
class OurTLSEndpoints:
    def __init__(self, options: ClientOptions, port: int) -> None:
        self._options = options
        self._port = port

    def endpointForURI(self, uri: Any) -> Any:
        return wrapClientTLS(self._options, TCP4ClientEndpoint(reactor, "127.0.0.1", self._port))


class LiveConnectionTests(TestCase):
    """
    twisted.web's Site behind our TLS server and twisted.web's Agent behind
    our TLS client, on 127.0.0.1, one persistent connection.
    """

    timeout = 30

    async def fetch(
        self,
        identity: Identity,
        version: str,
        paths: list[bytes],
        verify: Callable[[x509.Certificate], bool] | None = None,
    ) -> tuple[list[tuple[int, bytes]], CountingSite]:
        """
        GET each of C{paths} in turn over one connection of a client
        holding C{identity}'s certificate; C{/admin} requires one.
        """
        pki = cachedPKI()
        root = Resource()
        root.putChild(b"admin", RequireClientCertificate(Secret(), verify=verify))
        root.putChild(b"public", Public())
        site = CountingSite(root)
        server = serverOptions(trustRoots=[pki.caCertificate], maxVersion=version)
        port = await wrapServerTLS(
            server, TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")
        ).listen(site)
        self.addCleanup(port.stopListening)
        client = ClientOptions(
            "localhost",
            trustRoots=[pki.caCertificate],
            clientCertificate=((identity.certificate,), identity.privateKey),
            minVersion=version,
            maxVersion=version,
        )
        pool = HTTPConnectionPool(reactor, persistent=True)
        pool.maxPersistentPerHost = 1
        agent = Agent.usingEndpointFactory(
            reactor, OurTLSEndpoints(client, port.getHost().port), pool=pool
        )
        answers = []
        for path in paths:
            response = await agent.request(b"GET", b"https://localhost" + path)
            answers.append((response.code, await readBody(response)))
        await pool.closeCachedConnections()
        await site.closed
        return answers, site

    async def test_trustedCertificateServed(self) -> None:
        for version in ("1.2", "1.3"):
            answers, site = await self.fetch(
                cachedPKI().ecdsaClient, version, [b"/admin", b"/public"]
            )
            self.assertEqual(answers, [(200, b"secret"), (200, b"public")], version)
            self.assertEqual(site.connections, 1)

    async def test_refusedByVerifyConnectionGoesOn(self) -> None:
        """
        A trusted certificate that C{verify} refuses: 403, and the same
        connection serves the next requests, the protected one again too.
        """
        for version in ("1.2", "1.3"):
            answers, site = await self.fetch(
                cachedPKI().ecdsaClient,
                version,
                [b"/admin", b"/public", b"/admin"],
                verify=lambda certificate: False,
            )
            line = (
                b"403 Forbidden: the client certificate "
                b"'CN=test-client,O=twisted_reneg tests' is not allowed here\n"
            )
            codes = [(code, body.split(b"\n")[0] + b"\n") for code, body in answers]
            refused = (403, line)
            self.assertEqual(codes, [refused, (200, b"public\n"), refused], version)
            self.assertEqual(site.connections, 1, version)

    async def test_rejectedCertificateNamedConnectionGoesOn(self) -> None:
        """
        A client certificate from a CA the server does not trust, offered
        when asked mid-connection: 403 naming the reason, and the same
        connection serves the next request.
        """
        for version in ("1.2", "1.3"):
            answers, site = await self.fetch(
                cachedPKI().untrustedClient, version, [b"/admin", b"/public"]
            )
            (code, body), second = answers
            self.assertEqual(code, 403, version)
            self.assertTrue(
                body.startswith(
                    b"403 Forbidden: the client certificate "
                    b"'CN=test-client,O=twisted_reneg tests' was not accepted\n"
                ),
                body,
            )
            self.assertEqual(second, (200, b"public"), version)
            self.assertEqual(site.connections, 1, version)
