# -*- test-case-name: tests.interop.test_haproxy -*-
"""
Our TLS server behind a real HAProxy (C{mode tcp}) on 127.0.0.1 that sends
the PROXY protocol, v1 (C{send-proxy}) and v2 (C{send-proxy-v2}):
C{ProxyProtocolFactory(TLSFactory(...))} reads the header before TLS, and
the application's transport reports the client's own address (the client
binds a known port) and the address HAProxy accepted it on.  Handshakes
and data with our client and C{openssl s_client} on TLS 1.2 and 1.3, a
client certificate asked for mid-connection (TLS 1.2 renegotiation, TLS
1.3 post-handshake auth), HAProxy's health checks (LOCAL, accepted
quietly), and a client that skips HAProxy (closed before any TLS).

L{DocumentedConfigurationTests} runs C{docs/examples/haproxy.cfg}, the
configuration C{docs/howto-deployment.md} quotes, as it is, in front of
C{reneg:...:proxyProtocol=yes} endpoints serving a twisted.web site.

Each test starts its own HAProxy (in the foreground, C{-db}) from a
configuration file and stops it by its PID.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from twisted.internet import defer, protocol, reactor
from twisted.internet.address import IPv4Address
from twisted.internet.endpoints import serverFromString
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.trial.unittest import TestCase
from twisted.web.resource import Resource
from twisted.web.server import Site

from twisted_reneg import ServerOptions, TLSFactory
from twisted_reneg._proxyprotocol import ProxyProtocolFactory
from twisted_reneg.testing.pki import cachedPKI

from ._openssl import sClientArgv
from ._options import ourClientOptions, ourServerOptions
from ._renegotiation import CommandServer
from .peers import (
    Collector,
    DigestEcho,
    PeerServer,
    connectOurClient,
    freePort,
    isListening,
    requirePeer,
    runPeerClient,
    startPeerServer,
    waitFor,
)

#: HAProxy's server keyword for each PROXY protocol version.
SEND_PROXY = {1: "send-proxy", 2: "send-proxy-v2"}

LOCALHOST = "127.0.0.1"


class Addressed:
    """
    Mixed into a server protocol: remembers what its transport says about
    the connection's addresses once connected.
    """

    peer: Any = None
    host: Any = None
    proxyInfo: Any = None
    transport: Any

    def connectionMade(self) -> None:
        self.peer = self.transport.getPeer()
        self.host = self.transport.getHost()
        # Our TLS transport passes unknown attributes down to the wrapper.
        self.proxyInfo = self.transport.proxyInfo


class AddressedEcho(Addressed, DigestEcho):
    pass


class AddressedCommandServer(Addressed, CommandServer):
    pass


class ProxiedServer:
    """
    Our TLS server on 127.0.0.1 behind the PROXY protocol reader.

    @ivar built: every application protocol, in connection order.
    @ivar ended: the application protocols whose connections ended, in
        the order they ended.
    """

    def __init__(
        self, testCase: TestCase, options: ServerOptions, protocolClass: type[Any] = AddressedEcho
    ) -> None:
        self.built: list[Any] = []
        self.ended: defer.DeferredQueue[Any] = defer.DeferredQueue()

        def build() -> Any:
            p = protocolClass()
            self.built.append(p)
            p.lost.addBoth(lambda _: self.ended.put(p))
            return p

        factory = ProxyProtocolFactory(
            TLSFactory(options, False, protocol.Factory.forProtocol(build))
        )
        self.port = reactor.listenTCP(0, factory, interface=LOCALHOST)  # type: ignore[attr-defined]
        self.portNumber: int = self.port.getHost().port
        testCase.addCleanup(self.port.stopListening)


def haproxyPath() -> str:
    """
    The HAProxy executable.  Debian installs it in /usr/sbin, which a
    non-root user's PATH often lacks; beyond that, L{requirePeer}'s rules
    (a skip, or a failure under CI=true).
    """
    path = os.environ.get("PATH", "")
    found = shutil.which("haproxy", path=os.pathsep.join([path, "/usr/local/sbin", "/usr/sbin"]))
    return found if found is not None else requirePeer("haproxy")


class HAProxy:
    """
    A running HAProxy.

    @ivar process: its process (stopped by PID when the test ends).
    @ivar frontends: the port of the frontend that sends each PROXY
        version (1 and 2).
    """

    def __init__(self, process: PeerServer, frontends: dict[int, int]) -> None:
        self.process = process
        self.frontends = frontends


def startHAProxy(case: TestCase, backendPort: int, healthChecks: bool = False) -> HAProxy:
    """
    Start HAProxy with two TCP frontends on 127.0.0.1 that relay to
    C{backendPort}, one sending PROXY v1 and one v2.

    @param healthChecks: check the server every 100 ms (a TCP connect
        check, which sends the PROXY header and closes).
    """
    haproxy = haproxyPath()
    ports = {1: freePort(), 2: freePort()}
    check = " check inter 100ms rise 1 fall 1" if healthChecks else ""
    sections = [
        "global",
        "    nbthread 1",
        "defaults",
        "    mode tcp",
        "    timeout connect 5s",
        "    timeout client 30s",
        "    timeout server 30s",
    ]
    for version, port in ports.items():
        sections += [
            f"frontend fe{version}",
            f"    bind {LOCALHOST}:{port}",
            f"    default_backend be{version}",
            f"backend be{version}",
            *(["    option tcp-check"] if healthChecks else []),
            f"    server s{version} {LOCALHOST}:{backendPort} {SEND_PROXY[version]}{check}",
        ]
    directory = os.path.abspath(case.mktemp())
    os.makedirs(directory)
    config = os.path.join(directory, "haproxy.cfg")
    with open(config, "w") as f:
        f.write("\n".join(sections) + "\n")
    process = startPeerServer(case, [haproxy, "-db", "-f", config], ports[1])
    # HAProxy binds every frontend before it serves any: the second is up.
    assert isListening(ports[2]), process.output()
    return HAProxy(process, ports)


class LineCollector(Collector):
    """
    Our client: sends C{toSend}, closes once the received data holds
    C{until} followed by a line end.
    """

    def __init__(self, toSend: bytes, until: bytes) -> None:
        super().__init__(toSend)
        self.until = until

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        at = self.received.find(self.until)
        if at >= 0 and b"\n" in self.received[at:]:
            self.transport.loseConnection()


def warnings(case: TestCase) -> list[str]:
    """
    Everything logged at warning level or above while the test runs.
    """
    seen: list[str] = []

    def observe(event: dict[str, Any]) -> None:
        if event.get("log_level", LogLevel.info) >= LogLevel.warn or "log_failure" in event:
            seen.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    case.addCleanup(globalLogPublisher.removeObserver, observe)
    return seen


class HAProxyTests(TestCase):
    timeout = 60

    def assertAddresses(self, ours: Any, clientPort: int, frontendPort: int, version: int) -> None:
        """
        The application saw the client's own address and the frontend's.
        """
        self.assertEqual(ours.peer, IPv4Address("TCP", LOCALHOST, clientPort))
        self.assertEqual(ours.host, IPv4Address("TCP", LOCALHOST, frontendPort))
        self.assertEqual(ours.proxyInfo.version, version)
        self.assertFalse(ours.proxyInfo.local)

    async def test_ourClient(self) -> None:
        """
        Our client through HAProxy, PROXY v1 and v2, TLS 1.2 and 1.3.
        """
        server = ProxiedServer(self, ourServerOptions())
        frontends = startHAProxy(self, server.portNumber).frontends
        for proxyVersion, frontend in frontends.items():
            for tlsVersion in ("1.2", "1.3"):
                clientPort = freePort()
                options = ourClientOptions(minVersion=tlsVersion, maxVersion=tlsVersion)
                client = await connectOurClient(
                    options,
                    frontend,
                    Collector(b"ping\n", expected=5),
                    timeout=15.0,
                    localPort=clientPort,
                )
                ours = await server.ended.get()
                what = f"PROXY v{proxyVersion}, TLS {tlsVersion}"
                self.assertEqual(bytes(client.received), b"ping\n", what)
                self.assertEqual(bytes(ours.received), b"ping\n", what)
                self.assertEqual(ours.session.version, f"TLSv{tlsVersion}", what)
                self.assertAddresses(ours, clientPort, frontend, proxyVersion)

    async def test_opensslClient(self) -> None:
        """
        C{openssl s_client -bind} through HAProxy, PROXY v1 and v2, TLS 1.2
        and 1.3.
        """
        server = ProxiedServer(self, ourServerOptions())
        frontends = startHAProxy(self, server.portNumber).frontends
        line = b"hello through haproxy\n"
        for proxyVersion, frontend in frontends.items():
            for flag, tlsVersion in (("-tls1_2", "1.2"), ("-tls1_3", "1.3")):
                clientPort = freePort()
                argv = sClientArgv(frontend, "-bind", f"{LOCALHOST}:{clientPort}")
                argv[argv.index("-tls1_2")] = flag
                result = await runPeerClient(
                    argv,
                    stdin=line,
                    sendWhen=lambda out: b"Verify return code" in out,
                    closeStdinWhen=lambda out: line in out.split(b"Verify return code", 1)[-1],
                    timeout=15,
                )
                ours = await server.ended.get()
                what = f"PROXY v{proxyVersion}, TLS {tlsVersion}:\n{result.text()}"
                self.assertEqual(result.exitCode, 0, what)
                self.assertIn(f"Protocol  : TLSv{tlsVersion}", result.text(), what)
                self.assertEqual(bytes(ours.received), line, what)
                self.assertEqual(ours.session.version, f"TLSv{tlsVersion}", what)
                self.assertAddresses(ours, clientPort, frontend, proxyVersion)

    async def test_clientCertificateMidConnection(self) -> None:
        """
        The server asks for a client certificate after the handshake: TLS
        1.2 renegotiates, TLS 1.3 uses post-handshake auth (which our
        client offers when it has a certificate).  HAProxy relays it all.
        """
        pki = cachedPKI()
        options = ourServerOptions(trustRoots=[pki.caCertificate])
        server = ProxiedServer(self, options, protocolClass=AddressedCommandServer)
        frontends = startHAProxy(self, server.portNumber).frontends
        subject = pki.ecdsaClient.certificate.subject.rfc4514_string().encode()
        for proxyVersion, frontend in frontends.items():
            for tlsVersion in ("1.2", "1.3"):
                clientPort = freePort()
                clientOptions = ourClientOptions(
                    minVersion=tlsVersion,
                    maxVersion=tlsVersion,
                    clientCertificate=((pki.ecdsaClient.certificate,), pki.ecdsaClient.privateKey),
                )
                client = await connectOurClient(
                    clientOptions,
                    frontend,
                    LineCollector(b"go-cert\n", b"client-cert "),
                    timeout=15.0,
                    localPort=clientPort,
                )
                ours = await server.ended.get()
                what = f"PROXY v{proxyVersion}, TLS {tlsVersion}: {bytes(client.received)!r}"
                self.assertEqual(bytes(client.received), b"client-cert " + subject + b"\n", what)
                self.assertEqual(ours.session.peerCertificate, pki.ecdsaClient.certificate, what)
                self.assertEqual(ours.session.version, f"TLSv{tlsVersion}", what)
                if tlsVersion == "1.2":
                    self.assertEqual(ours.session.renegotiations, 1, what)
                self.assertAddresses(ours, clientPort, frontend, proxyVersion)

    async def test_healthChecks(self) -> None:
        """
        HAProxy's TCP health checks: with C{send-proxy-v2} a LOCAL header
        (then HAProxy resets the connection), with C{send-proxy} a TCP4
        line of the check's own addresses.  Both are accepted quietly, and
        HAProxy keeps the server up; relayed clients still work.
        """
        logged = warnings(self)
        server = ProxiedServer(self, ourServerOptions())
        haproxy = startHAProxy(self, server.portNumber, healthChecks=True)

        def checked(version: int, local: bool) -> int:
            return sum(
                1
                for p in server.built
                if p.lost.called and p.proxyInfo.version == version and p.proxyInfo.local == local
            )

        await waitFor(lambda: checked(2, True) >= 3 and checked(1, False) >= 3, "health checks")
        for p in server.built:
            # LOCAL: the real connection's addresses; v1: the check
            # connection's, which HAProxy writes into the line.  Either
            # way HAProxy's own, to our listening address.
            self.assertEqual(p.host, server.port.getHost())
            self.assertEqual(p.peer.host, LOCALHOST)
            self.assertIsNone(p.session)  # no TLS was spoken
        client = await connectOurClient(
            ourClientOptions(),
            haproxy.frontends[2],
            Collector(b"ping\n", expected=5),
            timeout=15.0,
            localPort=freePort(),
        )
        self.assertEqual(bytes(client.received), b"ping\n")
        self.assertEqual(logged, [])
        # HAProxy says so on its standard error when a check fails.
        self.assertNotIn("DOWN", haproxy.process.output())

    async def test_directClientClosedWithoutTLS(self) -> None:
        """
        A TLS client that reaches our server without HAProxy: the
        ClientHello is no PROXY header, and the connection is closed
        before our server says anything (no TLS alert: no TLS yet), and
        quietly (no warning for what scanners do all day).
        """
        logged = warnings(self)
        server = ProxiedServer(self, ourServerOptions())
        result = await runPeerClient(sClientArgv(server.portNumber), timeout=15)
        text = result.text()
        self.assertNotEqual(result.exitCode, 0, text)
        self.assertIn("SSL handshake has read 0 bytes", text)
        self.assertEqual(server.built, [])
        # Once per listener, saying what to configure; scanners after it
        # are not logged.
        self.assertEqual(len(logged), 1, logged)
        self.assertIn("logged only this once", logged[0])


#: The HAProxy configuration of docs/howto-deployment.md.
EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "docs" / "examples" / "haproxy.cfg"

#: What our client asks the documented site for.
WHO_AM_I = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def startExampleHAProxy(case: TestCase, variables: dict[str, str], port: int) -> PeerServer:
    """
    Start HAProxy on L{EXAMPLE_CONFIG} as it is, with C{variables} in its
    environment for the C{"${NAME}"} placeholders it holds (HAProxy
    replaces them itself as it reads the file); wait for C{port}.
    """
    haproxy = haproxyPath()
    placeholders = set(re.findall(r"\$\{(\w+)\}", EXAMPLE_CONFIG.read_text()))
    case.assertEqual(placeholders, set(variables), "the placeholders of haproxy.cfg")
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        return startPeerServer(case, [haproxy, "-db", "-f", str(EXAMPLE_CONFIG)], port)
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


class WhoAmI(Resource):
    """
    The client's address and port as the application sees them, and the
    subject of its certificate (or C{none}).
    """

    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        address = request.getClientAddress()
        peer = request.channel.transport.session.peerCertificate
        subject = peer.subject.rfc4514_string() if peer is not None else "none"
        return f"{address.host} {address.port} {subject}".encode()


class AddressedSite(Site):
    """
    A site that remembers the address each connection was built for.
    """

    def __init__(self, resource: Resource) -> None:
        super().__init__(resource)
        self.peers: list[Any] = []

    def buildProtocol(self, addr: Any) -> Any:
        self.peers.append(addr)
        return super().buildProtocol(addr)


def body(client: Collector) -> str:
    """
    The body of the HTTP response C{client} received.
    """
    head, _, rest = bytes(client.received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), bytes(client.received)
    return rest.decode()


class DocumentedConfigurationTests(TestCase):
    """
    C{docs/examples/haproxy.cfg} in front of the endpoints the deployment
    how-to gives: C{reneg:PORT:...:proxyProtocol=yes} for the site and, with
    C{clientCert=advisory}, for the certificate listener.
    """

    timeout = 60

    async def listen(self, description: str, site: Site) -> None:
        port = await serverFromString(reactor, description).listen(site)
        self.addCleanup(port.stopListening)

    async def test_documentedConfiguration(self) -> None:
        """
        Through HAProxy, the site's application sees our client's own
        address and port, on the site's frontend and, with the client
        certificate from the handshake, on the certificate listener's.
        HAProxy's health checks reach both listeners, are accepted
        quietly, and HAProxy keeps both servers up.  A client that connects
        to the site's listener without HAProxy is closed before any TLS,
        and the application never hears of it.
        """
        logged = warnings(self)
        pki = cachedPKI()
        keys = f"privateKey={pki.ecdsaServer.keyPath}:certKey={pki.ecdsaServer.certPath}"
        app, certs = freePort(), freePort()
        site, certsSite = AddressedSite(WhoAmI()), AddressedSite(WhoAmI())
        await self.listen(f"reneg:{app}:interface={LOCALHOST}:{keys}:proxyProtocol=yes", site)
        await self.listen(
            f"reneg:{certs}:interface={LOCALHOST}:{keys}:caCerts={pki.caPath}"
            ":clientCert=advisory:proxyProtocol=yes",
            certsSite,
        )
        public, certsPublic = freePort(), freePort()
        haproxy = startExampleHAProxy(
            self,
            {
                "PUBLIC": f"{LOCALHOST}:{public}",
                "APP": f"{LOCALHOST}:{app}",
                "CERTS_PUBLIC": f"{LOCALHOST}:{certsPublic}",
                "CERTS_APP": f"{LOCALHOST}:{certs}",
            },
            public,
        )
        assert isListening(certsPublic), haproxy.output()

        clientPort = freePort()
        client = await connectOurClient(
            ourClientOptions(), public, Collector(WHO_AM_I), timeout=15.0, localPort=clientPort
        )
        self.assertEqual(body(client), f"{LOCALHOST} {clientPort} none")

        certsClientPort = freePort()
        withCertificate = ourClientOptions(
            clientCertificate=((pki.ecdsaClient.certificate,), pki.ecdsaClient.privateKey)
        )
        client = await connectOurClient(
            withCertificate,
            certsPublic,
            Collector(WHO_AM_I),
            timeout=15.0,
            localPort=certsClientPort,
        )
        subject = pki.ecdsaClient.certificate.subject.rfc4514_string()
        self.assertEqual(body(client), f"{LOCALHOST} {certsClientPort} {subject}")

        # Every other connection the listeners took is one of HAProxy's
        # checks (a LOCAL header: the address is HAProxy's own).
        def checks(s: AddressedSite, clientPorts: set[int]) -> int:
            return sum(1 for peer in s.peers if peer.port not in clientPorts)

        await waitFor(
            lambda: checks(site, {clientPort}) >= 1 and checks(certsSite, {certsClientPort}) >= 1,
            "HAProxy's health checks",
        )

        directPort = freePort()
        direct = await connectOurClient(
            ourClientOptions(), app, Collector(WHO_AM_I), timeout=15.0, localPort=directPort
        )
        self.assertEqual(bytes(direct.received), b"")
        self.assertIsNone(direct.session)
        self.assertNotIn(directPort, [peer.port for peer in site.peers])

        # Health checks: nothing; the direct client: the listener's one
        # warning about connections without a PROXY header.
        self.assertEqual(len(logged), 1, logged)
        self.assertIn("logged only this once", logged[0])
        self.assertNotIn("DOWN", haproxy.output())
