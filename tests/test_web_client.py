# -*- test-case-name: tests.test_web_client -*-
"""
twisted_reneg.web.client: twisted.web's Agent (and treq) over our TLS, on
real sockets on 127.0.0.1, against our own TLS server serving a twisted.web
Site, Twisted's own TLS (pyOpenSSL), C{openssl s_server -www}, and
C{twistd reneg --client-cert-path}, whose protected path asks for our
certificate in the middle of the connection.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from cryptography.x509.oid import NameOID
from twisted.internet import reactor, ssl
from twisted.internet.defer import Deferred, succeed
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase
from twisted.web.client import Agent, HTTPConnectionPool, PartialDownloadError, readBody
from twisted.web.iweb import IAgent, IAgentEndpointFactory
from twisted.web.resource import Resource
from twisted.web.server import Site
from zope.interface import implementer

from twisted_reneg import ClientOptions, ServerOptions, TLSAlertError
from twisted_reneg.endpoints import wrapServerTLS
from twisted_reneg.testing.pki import Identity, cachedPKI
from twisted_reneg.tls.errors import AlertDescription
from twisted_reneg.web.client import TLSEndpointFactory, agent

from ._twistd import TWISTD
from .interop.peers import freePort, requirePeer, startPeerServer

try:
    import treq
except ImportError:
    treq = None

TREQ_MISSING = "treq is not installed (a test dependency: pip install treq)"

A = AlertDescription
VERSIONS = ("1.2", "1.3")


# --- servers ------------------------------------------------------------------


def commonName(certificate: Any) -> str:
    if certificate is None:
        return "none"
    return str(certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


class OurSessionReport(Resource):
    """
    What our TLS server negotiated on the request's connection.
    """

    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        session = request.channel.transport.session
        return (
            f"{session.version} resumed={session.resumed} sni={session.serverName} "
            f"alpn={session.alpnProtocol!r} peer={commonName(session.peerCertificate)}"
        ).encode()


class OpenSSLSessionReport(Resource):
    """
    The same, from Twisted's own TLS (pyOpenSSL) server.
    """

    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        transport = request.channel.transport
        peer = transport.getPeerCertificate()
        name = commonName(peer.to_cryptography()) if peer is not None else "none"
        version = transport.getHandle().get_protocol_version_name()
        return f"{version} alpn={transport.negotiatedProtocol!r} peer={name}".encode()


class OpenConnections:
    """
    Counts connections as they open and close; L{whenIdle} waits until
    none is open, so that a test leaves no socket behind.
    """

    def __init__(self) -> None:
        self.opened = 0
        self._open = 0
        self._idle: list[Deferred[None]] = []

    def track(self, protocol: Any) -> Any:
        self.opened += 1
        self._open += 1
        lost = protocol.connectionLost

        def connectionLost(reason: Failure) -> None:
            lost(reason)
            self._open -= 1
            if not self._open:
                waiting, self._idle = self._idle, []
                for d in waiting:
                    d.callback(None)

        protocol.connectionLost = connectionLost
        return protocol

    def whenIdle(self) -> Deferred[None]:
        if not self._open:
            return succeed(None)
        d: Deferred[None] = Deferred()
        self._idle.append(d)
        return d


class TrackingSite(Site):
    """
    A site whose connections are counted (C{connections}) and waited for.
    """

    def __init__(self, resource: Resource) -> None:
        super().__init__(resource)
        self.tracked = OpenConnections()

    @property
    def connections(self) -> int:
        return self.tracked.opened

    def buildProtocol(self, addr: Any) -> Any:
        return self.tracked.track(super().buildProtocol(addr))

    def whenIdle(self) -> Deferred[None]:
        return self.tracked.whenIdle()


def siteRoot(report: type[Resource] = OurSessionReport) -> Resource:
    root = Resource()
    root.putChild(b"session", report())
    return root


def serverIdentity(identity: Identity | None = None) -> Identity:
    return identity or cachedPKI().ecdsaServer


async def ourServer(
    testCase: TestCase, version: str, identity: Identity | None = None, **kw: Any
) -> tuple[int, TrackingSite]:
    """
    Our TLS server with a twisted.web Site (which offers h2 and http/1.1
    through ALPN, h2 first) on 127.0.0.1.
    """
    identity = serverIdentity(identity)
    options = ServerOptions.fromPEM(
        identity.certPath, identity.keyPath, minVersion=version, maxVersion=version, **kw
    )
    site = TrackingSite(siteRoot())
    port = await wrapServerTLS(
        options, TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")
    ).listen(site)
    testCase.addCleanup(site.whenIdle)
    testCase.addCleanup(port.stopListening)
    return port.getHost().port, site


def twistedServer(testCase: TestCase, version: str, requireCertificate: bool) -> int:
    """
    Twisted's own TLS (TLSMemoryBIOFactory over pyOpenSSL) with a Site.
    """
    pki = cachedPKI()
    with open(pki.ecdsaServer.certPath) as c, open(pki.ecdsaServer.keyPath) as k:
        certificate = ssl.PrivateCertificate.loadPEM(c.read() + k.read())
    with open(pki.caPath) as f:
        ca = ssl.Certificate.loadPEM(f.read())
    tlsVersion = ssl.TLSVersion.TLSv1_2 if version == "1.2" else ssl.TLSVersion.TLSv1_3
    contextFactory = ssl.CertificateOptions(
        privateKey=certificate.privateKey.original,
        certificate=certificate.original,
        raiseMinimumTo=tlsVersion,
        lowerMaximumSecurityTo=tlsVersion,
        verify=requireCertificate,
        caCerts=[ca.original] if requireCertificate else None,
        requireCertificate=requireCertificate,
        acceptableProtocols=[b"h2", b"http/1.1"],
    )
    site = TrackingSite(siteRoot(OpenSSLSessionReport))
    port = reactor.listenTCP(  # type: ignore[attr-defined]
        0, TLSMemoryBIOFactory(contextFactory, False, site), interface="127.0.0.1"
    )
    testCase.addCleanup(site.whenIdle)
    testCase.addCleanup(port.stopListening)
    return int(port.getHost().port)


# --- the client side ----------------------------------------------------------


@implementer(IStreamClientEndpoint)
class _TrackedEndpoint:
    def __init__(self, tracker: Tracker, wrapped: IStreamClientEndpoint) -> None:
        self._tracker = tracker
        self._wrapped = wrapped

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        return self._wrapped.connect(protocolFactory).addCallback(self._tracker.connected)


@implementer(IAgentEndpointFactory)
class Tracker:
    """
    Wraps an endpoint factory: keeps every HTTP client protocol it
    connected (C{protocols}, whose transports are our TLS), and
    L{whenIdle} waits for all their connections to end.
    """

    def __init__(self, factory: Any) -> None:
        self.factory = factory
        self.protocols: list[Any] = []
        self._tracked = OpenConnections()

    def endpointForURI(self, uri: Any) -> IStreamClientEndpoint:
        return _TrackedEndpoint(self, self.factory.endpointForURI(uri))

    def connected(self, protocol: Any) -> Any:
        self.protocols.append(protocol)
        return self._tracked.track(protocol)

    def whenIdle(self) -> Deferred[None]:
        return self._tracked.whenIdle()


def trackedAgent(
    testCase: TestCase, pool: HTTPConnectionPool | None = None, **kw: Any
) -> tuple[IAgent, Tracker, TLSEndpointFactory]:
    """
    An Agent over L{TLSEndpointFactory} (built from C{kw}) whose
    connections are tracked and waited for at the end of the test.
    """
    factory = TLSEndpointFactory(reactor, **kw)
    tracker = Tracker(factory)
    if pool is not None:
        testCase.addCleanup(pool.closeCachedConnections)
    testCase.addCleanup(tracker.whenIdle)
    return Agent.usingEndpointFactory(reactor, tracker, pool=pool), tracker, factory


def trusting(**kw: Any) -> dict[str, Any]:
    return {"trustRoots": [cachedPKI().caCertificate], **kw}


def withClientCertificate(**kw: Any) -> dict[str, Any]:
    client = cachedPKI().ecdsaClient
    return trusting(clientCertificate=((client.certificate,), client.privateKey), **kw)


async def get(agentOrTreq: Any, url: str) -> tuple[int, bytes]:
    response = await agentOrTreq.request(b"GET", url.encode())
    return response.code, await readBody(response)


async def requestError(testCase: TestCase, http: IAgent, url: str) -> TLSAlertError:
    """
    The TLS error that failed a request (Agent wraps what ended the
    connection in C{ResponseNeverReceived} and its kin).
    """
    error = await testCase.assertFailure(http.request(b"GET", url.encode()), Exception)
    for reason in getattr(error, "reasons", []):
        if reason.check(TLSAlertError):
            return reason.value  # type: ignore[no-any-return]
    raise AssertionError(f"not a TLS failure: {error!r}")


# --- our server -----------------------------------------------------------------


class OurServerTests(TestCase):
    """
    Agent with L{TLSEndpointFactory} against our own TLS server.
    """

    timeout = 60

    async def test_get(self) -> None:
        """
        A GET works on either version; ALPN settles on http/1.1 although
        the Site prefers h2, and SNI carries the URI's host.
        """
        for version in VERSIONS:
            port, _ = await ourServer(self, version)
            http, _, _ = trackedAgent(self, **trusting())
            code, body = await get(http, f"https://localhost:{port}/session")
            self.assertEqual(
                (code, body.decode()),
                (
                    200,
                    f"TLSv{version} resumed=False sni=localhost alpn=b'http/1.1' peer=none",
                ),
            )

    async def test_wrongCertificateAuthority(self) -> None:
        """
        A server whose certificate comes from a CA we do not trust: the
        request fails with our verification error (we sent unknown_ca).
        """
        for version in VERSIONS:
            port, _ = await ourServer(self, version, cachedPKI().untrustedServer)
            http, _, _ = trackedAgent(self, **trusting())
            error = await requestError(self, http, f"https://localhost:{port}/session")
            self.assertEqual((error.alert, error.sentByUs), (A.unknown_ca, True), version)

    async def test_wrongHostName(self) -> None:
        """
        A trusted certificate for another name: refused (bad_certificate),
        naming the host we asked for.
        """
        for version in VERSIONS:
            port, _ = await ourServer(self, version, cachedPKI().wrongHostServer)
            http, _, _ = trackedAgent(self, **trusting())
            error = await requestError(self, http, f"https://localhost:{port}/session")
            self.assertEqual((error.alert, error.sentByUs), (A.bad_certificate, True), version)
            self.assertIn("localhost", error.reason)

    async def test_optionsPerHost(self) -> None:
        """
        One factory, two names for one server: each connection gets its
        own host's name in SNI (none for an IP address) and checks it, and
        sessions are kept apart: the address does not resume the name's
        session, the name's second connection does, although only one
        host's options are kept: the session cache is the factory's.
        """
        for version in VERSIONS:
            port, _ = await ourServer(self, version)
            http, _, _ = trackedAgent(self, maxCachedHosts=1, **trusting())
            answers = [
                (await get(http, f"https://{host}:{port}/session"))[1].decode()
                for host in ("localhost", "127.0.0.1", "LocalHost")
            ]
            prefix = f"TLSv{version} resumed="
            self.assertEqual(
                answers,
                [
                    prefix + "False sni=localhost alpn=b'http/1.1' peer=none",
                    prefix + "False sni=None alpn=b'http/1.1' peer=none",
                    prefix + "True sni=localhost alpn=b'http/1.1' peer=none",
                ],
            )

    async def test_resumption(self) -> None:
        """
        Agent's default pool makes a new connection per request; the
        second resumes the first's session (on the server's side too).
        """
        for version in VERSIONS:
            port, site = await ourServer(self, version)
            http, tracker, _ = trackedAgent(self, **trusting())
            url = f"https://localhost:{port}/session"
            first, second = [(await get(http, url))[1] for _ in range(2)]
            self.assertIn(b"resumed=False", first)
            self.assertIn(b"resumed=True", second)
            self.assertEqual(site.connections, 2)
            self.assertEqual(
                [p.transport.session.resumed for p in tracker.protocols], [False, True]
            )

    async def test_resumptionAcrossAgentsOfOneFactory(self) -> None:
        """
        Two agents (two pools) over one factory share its session cache.
        """
        port, _ = await ourServer(self, "1.3")
        factory = TLSEndpointFactory(reactor, **trusting())
        tracker = Tracker(factory)
        self.addCleanup(tracker.whenIdle)
        url = f"https://localhost:{port}/session"
        bodies = []
        for _ in range(2):
            pool = HTTPConnectionPool(reactor, persistent=True)
            bodies.append((await get(Agent.usingEndpointFactory(reactor, tracker, pool), url))[1])
            await pool.closeCachedConnections()
        self.assertEqual([b"resumed=True" in body for body in bodies], [False, True], bodies)

    async def test_clientCertificate(self) -> None:
        """
        A server that requires a client certificate in the handshake gets
        ours; without one, the request fails with the server's alert.
        """
        pki = cachedPKI()
        for version in VERSIONS:
            port, _ = await ourServer(
                self, version, clientCertificates="require", trustRoots=[pki.caCertificate]
            )
            url = f"https://localhost:{port}/session"
            http, _, _ = trackedAgent(self, **withClientCertificate())
            code, body = await get(http, url)
            self.assertEqual((code, body.split()[-1]), (200, b"peer=test-client"), version)
            bare, _, _ = trackedAgent(self, **trusting())
            error = await requestError(self, bare, url)
            self.assertFalse(error.sentByUs, version)

    async def test_agentConvenience(self) -> None:
        """
        L{agent} builds the same from C{trustRoot} and C{clientCertificate}.
        """
        pki = cachedPKI()
        port, site = await ourServer(
            self, "1.3", clientCertificates="require", trustRoots=[pki.caCertificate]
        )
        client = pki.ecdsaClient
        pool = HTTPConnectionPool(reactor)
        http = agent(
            reactor,
            trustRoot=pki.caPath,
            clientCertificate=((client.certificate,), client.privateKey),
            pool=pool,
        )
        code, body = await get(http, f"https://localhost:{port}/session")
        self.assertEqual((code, body.split()[-1]), (200, b"peer=test-client"))
        # closeCachedConnections fires once our side's connection is gone.
        await pool.closeCachedConnections()

    async def test_plainHTTP(self) -> None:
        """
        C{http://} URIs go over plain TCP.
        """
        site = TrackingSite(siteRoot(PlainReport))
        port = reactor.listenTCP(0, site, interface="127.0.0.1")  # type: ignore[attr-defined]
        self.addCleanup(site.whenIdle)
        self.addCleanup(port.stopListening)
        http, _, _ = trackedAgent(self, **trusting())
        self.assertEqual(
            await get(http, f"http://127.0.0.1:{port.getHost().port}/session"),
            (200, b"plain"),
        )

    async def test_bindAddress(self) -> None:
        """
        C{bindAddress} reaches the TCP connection, for either scheme: the
        server sees the port we bound.
        """
        port, _ = await ourServer(self, "1.3")
        site = TrackingSite(siteRoot(ClientPortReport))
        plain = reactor.listenTCP(0, site, interface="127.0.0.1")  # type: ignore[attr-defined]
        self.addCleanup(site.whenIdle)
        self.addCleanup(plain.stopListening)
        for url in (
            f"https://localhost:{port}/session",
            f"http://127.0.0.1:{plain.getHost().port}/session",
        ):
            local = freePort()
            http, tracker, _ = trackedAgent(self, bindAddress=("127.0.0.1", local), **trusting())
            await get(http, url)
            self.assertEqual(tracker.protocols[0].transport.getHost().port, local, url)


class PlainReport(Resource):
    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        return b"plain" if not request.isSecure() else b"secure?"


class ClientPortReport(Resource):
    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        return b"%d" % request.getClientAddress().port


# --- configuration, no sockets ------------------------------------------------


class FactoryTests(SynchronousTestCase):
    def test_perHostOptionsCached(self) -> None:
        """
        Options are made once per (host, port), for that host, share one
        session cache, and offer http/1.1 only.
        """
        factory = TLSEndpointFactory(reactor, **trusting())
        a = factory.optionsFor("Example.com", 443)
        self.assertIs(factory.optionsFor("example.com", 443), a)
        b = factory.optionsFor("other.example", 443)
        self.assertEqual((a.hostname, b.hostname), ("example.com", "other.example"))
        self.assertEqual(a.tlsConfig().serverName, "example.com")
        self.assertEqual(a.tlsConfig().alpnProtocols, (b"http/1.1",))
        self.assertIsNotNone(a.sessionCache)
        self.assertIs(a.sessionCache, b.sessionCache)

    def test_cacheBounded(self) -> None:
        factory = TLSEndpointFactory(reactor, maxCachedHosts=2, **trusting())
        first = factory.optionsFor("a.example", 443)
        factory.optionsFor("b.example", 443)
        factory.optionsFor("c.example", 443)
        self.assertIsNot(factory.optionsFor("a.example", 443), first)

    def test_givenOptionsKeepTheirSettings(self) -> None:
        options = ClientOptions("ignored.example", maxVersion="1.2", **trusting())
        config = TLSEndpointFactory(reactor, options).optionsFor("h.example", 8443).tlsConfig()
        self.assertEqual((config.serverName, config.maxVersion), ("h.example", 0x0303))
        self.assertEqual(options.tlsConfig().serverName, "ignored.example")

    def test_renegotiationDefaults(self) -> None:
        """
        With a client certificate, the agent's connections accept a
        server's secure renegotiation (rate-limited) and offer TLS 1.3
        post-handshake auth: what servers asking for a certificate after
        the request need.
        """
        config = (
            TLSEndpointFactory(reactor, **withClientCertificate())
            .optionsFor("example.com", 443)
            .tlsConfig()
        )
        self.assertTrue(config.renegotiation.peerMayRenegotiate(isClient=True))
        self.assertGreater(config.renegotiation.maxPeerInitiated, 0)
        self.assertTrue(config.offersPostHandshakeAuth)

    def test_otherALPNRefused(self) -> None:
        """
        Agent speaks HTTP/1.1 only: offering h2 would let a server pick it.
        """
        error = self.assertRaises(
            ValueError, TLSEndpointFactory, reactor, acceptableProtocols=[b"h2", b"http/1.1"]
        )
        self.assertIn("HTTP/1.1 only", str(error))

    def test_optionsOrKeywords(self) -> None:
        self.assertRaises(
            TypeError, TLSEndpointFactory, reactor, ClientOptions("x.example"), maxVersion="1.2"
        )
        self.assertRaises(TypeError, TLSEndpointFactory, reactor, ssl.CertificateOptions())

    def test_connectTimeout(self) -> None:
        """
        C{connectTimeout} is handed to L{HostnameEndpoint} (checked on its
        private attribute: waiting for a real timeout would be a timing
        test).
        """
        from twisted.web.client import URI

        factory = TLSEndpointFactory(reactor, connectTimeout=7, **trusting())
        plain = factory.endpointForURI(URI.fromBytes(b"http://example.com/"))
        self.assertEqual(plain._timeout, 7)  # type: ignore[attr-defined]

    def test_unsupportedScheme(self) -> None:
        from twisted.web.client import URI
        from twisted.web.error import SchemeNotSupported

        factory = TLSEndpointFactory(reactor, **trusting())
        self.assertRaises(
            SchemeNotSupported, factory.endpointForURI, URI.fromBytes(b"ftp://example.com/")
        )


class ContextFactoryMistakeTests(SynchronousTestCase):
    """
    C{Agent(reactor, contextFactory=ClientOptions(...))}, the first thing a
    Twisted user tries, says what to use instead.
    """

    def test_agentRequestSaysWhatToUse(self) -> None:
        http = Agent(reactor, contextFactory=ClientOptions("localhost"))
        # Taken as a policy: no deprecation warning about IPolicyForHTTPS.
        self.assertEqual(self.flushWarnings(), [])
        error = self.assertRaises(TypeError, http.request, b"GET", b"https://localhost/")
        self.assertIn("TLSEndpointFactory", str(error))
        self.assertIn("agent(reactor", str(error))

    def test_treqSaysWhatToUse(self) -> None:
        if treq is None:
            raise self.skipTest(TREQ_MISSING)
        http = Agent(reactor, contextFactory=ClientOptions("localhost"))
        error = self.assertRaises(TypeError, treq.get, "https://localhost/", agent=http)
        self.assertIn("TLSEndpointFactory", str(error))


# --- other servers -----------------------------------------------------------------


class TwistedServerTests(TestCase):
    """
    Against Twisted's own TLS server (TLSMemoryBIOFactory, pyOpenSSL).
    """

    timeout = 60

    async def test_get(self) -> None:
        for version in VERSIONS:
            port = twistedServer(self, version, requireCertificate=False)
            http, _, _ = trackedAgent(self, **trusting())
            self.assertEqual(
                await get(http, f"https://localhost:{port}/session"),
                (200, f"TLSv{version} alpn=b'http/1.1' peer=none".encode()),
            )

    async def test_clientCertificate(self) -> None:
        for version in VERSIONS:
            port = twistedServer(self, version, requireCertificate=True)
            http, _, _ = trackedAgent(self, **withClientCertificate())
            self.assertEqual(
                await get(http, f"https://localhost:{port}/session"),
                (200, f"TLSv{version} alpn=b'http/1.1' peer=test-client".encode()),
            )


class OpenSSLServerTests(TestCase):
    """
    Against C{openssl s_server -www}, which prefers h2 in ALPN here and
    requires a client certificate.
    """

    timeout = 60

    async def test_get(self) -> None:
        pki = cachedPKI()
        for version in VERSIONS:
            port = freePort()
            startPeerServer(
                self,
                [
                    requirePeer("openssl"),
                    "s_server",
                    "-www",
                    "-tls" + version.replace(".", "_"),
                    "-accept",
                    f"127.0.0.1:{port}",
                    "-cert",
                    pki.ecdsaServer.certPath,
                    "-key",
                    pki.ecdsaServer.keyPath,
                    "-alpn",
                    "h2,http/1.1",
                    "-Verify",
                    "1",
                    "-CAfile",
                    pki.caPath,
                ],
                port,
            )
            http, tracker, _ = trackedAgent(self, **withClientCertificate())
            response = await http.request(b"GET", f"https://localhost:{port}/".encode())
            self.assertEqual(response.code, 200, version)
            # An HTTP/1.0 body that ends with the connection: Twisted cannot
            # tell it is complete, and says so.
            error = await self.assertFailure(readBody(response), PartialDownloadError)
            body = error.response
            self.assertIn(f"Protocol  : TLSv{version}".encode(), body)
            self.assertIn(b"test-client", body)
            self.assertEqual(tracker.protocols[0].transport.negotiatedProtocol, b"http/1.1")


# --- the protected path: twistd reneg --client-cert-path ---------------------------------


def staticSite() -> str:
    directory = tempfile.mkdtemp()
    os.makedirs(os.path.join(directory, "admin"))
    with open(os.path.join(directory, "index.txt"), "w") as f:
        f.write("public file\n")
    with open(os.path.join(directory, "admin", "secret.txt"), "w") as f:
        f.write("secret file\n")
    return directory


def startProtectedSite(testCase: TestCase, version: str) -> Any:
    """
    C{twistd -n reneg --path DIR --client-cert-path /admin} on TLS
    C{version} only; the handshake asks for no certificate.
    """
    pki = cachedPKI()
    port = freePort()
    listen = (
        f"reneg:{port}:interface=127.0.0.1:privateKey={pki.ecdsaServer.keyPath}"
        f":certKey={pki.ecdsaServer.certPath}:caCerts={pki.caPath}"
        f":minVersion={version}:maxVersion={version}"
    )
    argv = [TWISTD, "-n", "--pidfile=", "reneg", "--listen", listen]
    argv += ["--path", staticSite(), "--client-cert-path", "/admin"]
    return startPeerServer(testCase, argv, port)


#: What the server would log, with logTLSEvents, when it got our
#: certificate mid-connection (without it, nothing about the connection).
SERVER_LOG = {
    "1.2": "TLS renegotiation 1 completed",
    "1.3": "TLS post-handshake client authentication: peer certificate present",
}


class ProtectedPathTests(TestCase):
    """
    A request on the protected path makes the server ask for our
    certificate on the live connection; Agent follows without noticing.
    """

    timeout = 60

    async def test_agent(self) -> None:
        for version in VERSIONS:
            pool = HTTPConnectionPool(reactor, persistent=True)
            http, tracker, _ = trackedAgent(self, pool, **withClientCertificate())
            await fetchProtected(self, version, get, http, tracker)

    async def test_withoutCertificateForbidden(self) -> None:
        """
        The path really is protected: without a certificate, 403.
        """
        server = startProtectedSite(self, "1.3")
        http, _, _ = trackedAgent(self, **trusting())
        code, body = await get(http, f"https://localhost:{server.port}/admin/secret.txt")
        # (On TLS 1.3 a client without a certificate does not offer
        # post-handshake auth, so the server cannot even ask.)
        self.assertEqual((code, body.split(b":")[0]), (403, b"403 Forbidden"))


async def fetchProtected(
    testCase: TestCase, version: str, fetch: Any, http: Any, tracker: Tracker
) -> None:
    """
    GET the protected file, then the session page, on one connection of
    a client holding a certificate; check that the server got it
    mid-connection (its page, our session) and said nothing of it in its
    log (quiet by default).
    """
    server = startProtectedSite(testCase, version)
    base = f"https://localhost:{server.port}"
    testCase.assertEqual(await fetch(http, base + "/admin/secret.txt"), (200, b"secret file\n"))
    code, page = await fetch(http, base + "/.tls-session")
    testCase.assertEqual(code, 200)
    text = page.decode()
    testCase.assertIn(f"version: TLSv{version}", text)
    testCase.assertIn("peer certificate: CN=test-client", text)
    # One connection: the certificate arrived on it, after the request.
    testCase.assertEqual(len(tracker.protocols), 1)
    ours = tracker.protocols[0].transport.session
    if version == "1.2":
        testCase.assertIn("renegotiations: 1", text)
        testCase.assertEqual(ours.renegotiations, 1)
    # Quiet by default: the listener has no logTLSEvents, so the server
    # logs neither the handshake nor what came after it.
    log = server.stdout().decode()
    testCase.assertNotIn(SERVER_LOG[version], log)
    testCase.assertNotIn("TLS handshake completed", log)


async def treqGet(http: Any, url: str) -> tuple[int, bytes]:
    response = await treq.get(url, agent=http)
    return response.code, await treq.content(response)


class TreqTests(TestCase):
    """
    treq over our TLS: C{treq.get(url, agent=agent(reactor, ...))}.
    """

    timeout = 60
    if treq is None:
        skip = TREQ_MISSING

    async def test_get(self) -> None:
        port, _ = await ourServer(self, "1.3")
        http, _, _ = trackedAgent(self, **trusting())
        code, body = await treqGet(http, f"https://localhost:{port}/session")
        self.assertEqual((code, body.split()[0]), (200, b"TLSv1.3"))

    async def test_agentConvenience(self) -> None:
        port, _ = await ourServer(self, "1.2")
        pool = HTTPConnectionPool(reactor)
        http = agent(reactor, trustRoot=cachedPKI().caPath, pool=pool)
        response = await treq.get(f"https://localhost:{port}/session", agent=http)
        self.assertEqual(response.code, 200)
        self.assertTrue((await treq.content(response)).startswith(b"TLSv1.2"))
        await pool.closeCachedConnections()

    async def test_protectedPath(self) -> None:
        for version in VERSIONS:
            pool = HTTPConnectionPool(reactor, persistent=True)
            http, tracker, _ = trackedAgent(self, pool, **withClientCertificate())
            await fetchProtected(self, version, treqGet, http, tracker)
