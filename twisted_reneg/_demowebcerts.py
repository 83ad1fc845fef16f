# -*- test-case-name: tests.test_demo -*-
"""
The part of C{make demo} that shows client certificates as people really
have them: a twisted.web site whose C{/private} asks for one mid-connection
(L{RequireClientCertificate}), visited by a client holding a trustme
certificate, one holding a certificate made with the openssl CLI (a root
from C{openssl req -x509}, a client certificate without subjectAltName or
extendedKeyUsage), and one whose certificate comes from a CA the site does
not trust: that one is answered 403, with the reason, on the same live
connection, which then serves a public page.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from twisted.internet import defer, protocol
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
from twisted.internet.interfaces import IHandshakeListener
from twisted.logger import ILogObserver, formatEvent, globalLogPublisher
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import Site
from twisted.web.static import Data
from zope.interface import implementer, provider

from . import ClientOptions, ServerOptions, TLSFactory
from .web import RequireClientCertificate


@implementer(IHandshakeListener)
class _HTTPClient(protocol.Protocol):
    """
    Just enough HTTP/1.1 for the demo: one request at a time on a
    keep-alive connection, responses read by their Content-Length.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._waiting: defer.Deferred[tuple[int, bytes]] | None = None
        self.handshaken: defer.Deferred[None] = defer.Deferred()

    def handshakeCompleted(self) -> None:
        if not self.handshaken.called:
            self.handshaken.callback(None)

    def get(self, path: str) -> defer.Deferred[tuple[int, bytes]]:
        self._waiting = defer.Deferred()
        assert self.transport is not None
        self.transport.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        return self._waiting

    def dataReceived(self, data: bytes) -> None:
        self._buffer += data
        head, sep, rest = self._buffer.partition(b"\r\n\r\n")
        if not sep or self._waiting is None:
            return
        lines = head.split(b"\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if len(rest) < length:
            return
        self._buffer = rest[length:]
        status = int(lines[0].split()[1])
        waiting, self._waiting = self._waiting, None
        waiting.callback((status, rest[:length]))

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            waiting.errback(reason)


def _opensslCertificates(directory: str) -> tuple[bytes, bytes, bytes]:
    """
    A root made by C{openssl req -x509} and a client certificate it signs
    with C{openssl x509 -req} and no extension file: no subjectAltName, no
    extendedKeyUsage, as corporate and hand-made client certificates are.

    @return: the root, the client certificate and its key, as PEM.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl not found (run `make demo`, which installs it)")

    def run(*argv: str) -> None:
        subprocess.run([openssl, *argv], check=True, capture_output=True, timeout=60)

    path = lambda name: os.path.join(directory, name)  # noqa: E731
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run("req", "-x509", *ec, "-days", "30", "-subj", "/O=Example Corp/CN=Example Corp Root CA",
        "-keyout", path("corp-ca-key.pem"), "-out", path("corp-ca.pem"))  # fmt: skip
    run("req", "-new", *ec, "-subj", "/O=Example Corp/CN=alice/emailAddress=alice@example.com",
        "-keyout", path("alice-key.pem"), "-out", path("alice.csr"))  # fmt: skip
    run("x509", "-req", "-in", path("alice.csr"), "-CA", path("corp-ca.pem"),
        "-CAkey", path("corp-ca-key.pem"), "-CAcreateserial", "-days", "30",
        "-out", path("alice.pem"))  # fmt: skip
    with open(path("corp-ca.pem"), "rb") as r, open(path("alice.pem"), "rb") as c:
        root, certificate = r.read(), c.read()
    with open(path("alice-key.pem"), "rb") as k:
        return root, certificate, k.read()


def _trustmeCertificates() -> tuple[Any, bytes, bytes]:
    """
    trustme's CA and a client certificate from it (critical subjectAltName
    and extendedKeyUsage, which the Web PKI profile refuses).
    """
    try:
        import trustme
    except ImportError:
        raise RuntimeError("trustme is not installed (run `make demo`)") from None
    ca = trustme.CA(organization_name="trustme demo")
    leaf = ca.issue_cert("bob.example", common_name="bob")
    return ca, leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes()


#: What the site logged during a visit (the operator's side of a 403).
_serverLog: list[str] = []


@provider(ILogObserver)
def _keepServerLog(event: dict[str, Any]) -> None:
    text = formatEvent(event)
    if text:
        _serverLog.append(text)


async def demoWebClientCertificates(reactor: Any, pki: Any, directory: str) -> int:
    """
    Run the site and its three visitors; return the number of failed checks.
    """
    globalLogPublisher.addObserver(_keepServerLog)
    try:
        return await _demoWebClientCertificates(reactor, pki, directory)
    finally:
        globalLogPublisher.removeObserver(_keepServerLog)


async def _demoWebClientCertificates(reactor: Any, pki: Any, directory: str) -> int:
    print("[demo] --- client certificates as people have them, over twisted.web ---")
    corpRoot, aliceCert, aliceKey = _opensslCertificates(directory)
    trustmeCA, bobCert, bobKey = _trustmeCertificates()
    root = Resource()
    root.putChild(b"", Data(b"public page\n", "text/plain"))
    private = RequireClientCertificate(Data(b"private page\n", "text/plain"), timeout=10)
    root.putChild(b"private", private)
    serverOptions = ServerOptions(
        [pki.ecdsaServer.certificate],
        pki.ecdsaServer.privateKey,
        # PEM bytes straight from the tools that made them.
        trustRoots=[corpRoot, trustmeCA.cert_pem.bytes()],
    )
    site = TLSFactory(serverOptions, False, Site(root))
    port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(site)
    portNumber = port.getHost().port
    print(
        f"[demo] twisted.web on 127.0.0.1:{portNumber}; /private asks for a client "
        "certificate mid-connection; trusted: the openssl-made root and trustme's CA"
    )
    failures = 0
    visitors = [
        ("trustme client certificate (critical SAN and EKU)", bobCert, bobKey, "1.3", 200),
        (
            "openssl x509 -req client certificate (X.509 v1, no extensions)",
            aliceCert,
            aliceKey,
            "1.2",
            200,
        ),  # fmt: skip
        ("certificate from a CA the site does not trust", None, None, "1.3", 403),
        ("certificate from a CA the site does not trust", None, None, "1.2", 403),
    ]
    try:
        for what, cert, key, version, expected in visitors:
            if cert is None:
                identity = pki.untrustedClient
                cert, key = identity.certificate, identity.privateKey
            failures += await _visit(
                reactor, pki, portNumber, what, (cert, key), version, expected
            )
    finally:
        await port.stopListening()
    return failures


async def _visit(
    reactor: Any,
    pki: Any,
    portNumber: int,
    what: str,
    clientCertificate: tuple[Any, Any],
    version: str,
    expected: int,
) -> int:
    options = ClientOptions(
        "localhost",
        trustRoots=[pki.caCertificate],
        clientCertificate=clientCertificate,
        minVersion=version,
        maxVersion=version,
        resumeSessions=False,
    )
    client = _HTTPClient()
    factory = TLSFactory(options, True, protocol.Factory.forProtocol(lambda: client))
    await TCP4ClientEndpoint(reactor, "127.0.0.1", portNumber).connect(factory)
    await client.handshaken
    status, body = await client.get("/private")
    text = body.decode("utf-8", "replace").strip()
    # The first line: a 403 page goes on with advice for the visitor.
    print(f"[demo] TLS {version}, {what}: GET /private -> HTTP {status}: {text.splitlines()[0]}")
    failures = 0 if status == expected else 1
    if expected == 403:
        # The visitor is told which certificate was refused; why (the
        # chain's fault) is for the operator's log.
        failures += 0 if "was not accepted" in text else 1
        logged = [line for line in _serverLog if "403 for /private" in line]
        for line in logged:
            print(f"[demo]   server log: {line}")
        failures += 0 if any("unknown authority" in line for line in logged) else 1
        _serverLog.clear()
        status, body = await client.get("/")
        print(
            f"[demo]   same connection, still up: GET / -> HTTP {status}: "
            f"{body.decode('utf-8', 'replace').strip()}"
        )
        failures += 0 if status == 200 else 1
    if failures:
        print(f"[demo] FAILED: {what} over TLS {version}")
    assert client.transport is not None
    client.transport.loseConnection()
    return failures
