# -*- test-case-name: tests.interop.test_tls13_clients -*-
"""
TLS 1.3 interop with everyday clients and servers on real sockets: C{curl}
fetching from our server over HTTPS, and Python's C{ssl} module (OpenSSL
underneath, driven the way Python applications drive it) as client and as
server, with bulk data and a key update we start while it is reading.

The C{ssl} side runs in a thread with blocking sockets
(L{tests.interop._pythonssl}).
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

from twisted.internet import defer
from twisted.internet.error import ConnectionDone
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase
from zope.interface import implementer

from twisted_reneg import ServerOptions, TLSSession
from twisted_reneg.interfaces import IRenegotiationListener
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.suites import TLS13_SUITES

from ._options import client13, ourServerOptions
from ._pythonssl import PythonServer, recvExactly, sslClient
from .peers import (
    Collector,
    DigestEcho,
    OurServer,
    PeerResult,
    connectOurClient,
    digest,
    payload,
    requirePeer,
    runPeerClient,
)

BULK = 8 * 1024 * 1024
#: The size of the body our HTTP responder sends after its report line.
BODY = 256 * 1024
#: Chunks a key-update test sends one after the other, each echoed back
#: before the next goes.
CHUNK = 64 * 1024
CHUNKS = 16


def server13(**kw: object) -> ServerOptions:
    """
    Our server options, TLS 1.3 only.
    """
    return ourServerOptions(None, minVersion="1.3", maxVersion="1.3", **kw)


def context13(purpose: int) -> ssl.SSLContext:
    """
    A Python C{ssl} context limited to TLS 1.3.

    @param purpose: C{ssl.PROTOCOL_TLS_CLIENT} (trusting the test CA) or
        C{ssl.PROTOCOL_TLS_SERVER} (with the test server's certificate).
    """
    pki = cachedPKI()
    context = ssl.SSLContext(purpose)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    if purpose == ssl.PROTOCOL_TLS_CLIENT:
        context.load_verify_locations(pki.caPath)
    else:
        context.load_cert_chain(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath)
    return context


def chunkedEchoClient(port: int, chunks: list[bytes]) -> tuple[bytes, str | None]:
    """
    Blocking: connect at TLS 1.3, send each chunk and read its echo before
    sending the next, then close cleanly.

    @return: everything echoed and C{conn.version()}.
    """
    echoed = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        context = context13(ssl.PROTOCOL_TLS_CLIENT)
        with context.wrap_socket(raw, server_hostname="localhost") as conn:
            for chunk in chunks:
                conn.sendall(chunk)
                echoed += recvExactly(conn, len(chunk))
            version = conn.version()
            conn.unwrap()
    return bytes(echoed), version


def assertClosedCleanly(testCase: TestCase, reason: Failure | None) -> None:
    """
    Our side's connection ended with close_notify both ways.
    """
    testCase.assertIsNotNone(reason)
    assert reason is not None
    testCase.assertTrue(reason.check(ConnectionDone), reason)


# --- our side -----------------------------------------------------------------


class HTTPResponder(DigestEcho):
    """
    A one-request HTTP/1.1 server: once the request head is in, answers 200
    with a report line (the path asked for, and the TLS version and suite
    as our transport sees them) followed by L{responseBody}, then closes.
    """

    transport: Any

    def __init__(self) -> None:
        super().__init__()
        self.answered = False

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if self.answered or b"\r\n\r\n" not in self.received:
            return
        self.answered = True
        path = bytes(self.received).split(b" ", 2)[1]
        session = self.transport.session
        body = responseBody(path, session.version, session.cipherSuite)
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n" % len(body)
        self.transport.write(head + b"Connection: close\r\n\r\n" + body)
        self.transport.loseConnection()


def responseBody(path: bytes, version: str, cipherSuite: str) -> bytes:
    """
    What L{HTTPResponder} answers for C{path} on a connection with that
    version and suite.
    """
    report = b"%s %s %s\n" % (path, version.encode(), cipherSuite.encode())
    return report + payload(BODY, path)


class _KeyUpdateAnswer:
    """
    Mixin for our side of a key-update test: C{rehandshake()} fires as soon
    as our KeyUpdate is out; the peer's answer comes later, as
    C{keysUpdated(False)}.

    @ivar requested: the Deferred C{rehandshake()} returned.
    @ivar answered: fires with the session once the peer's KeyUpdate came.
    @ivar receivedAtUpdate: bytes received when C{answered} fired.
    """

    transport: Any
    received: bytearray

    def initKeyUpdate(self) -> None:
        self.requested: defer.Deferred[TLSSession] | None = None
        self.answered: defer.Deferred[TLSSession] = defer.Deferred()
        self.receivedAtUpdate: int | None = None

    def startKeyUpdate(self) -> None:
        self.requested = self.transport.rehandshake(timeout=10)

    def renegotiationRequested(self) -> bool:
        return True

    def renegotiationCompleted(self, session: TLSSession) -> None:
        pass

    def renegotiationFailed(self, reason: Failure) -> None:
        pass

    def keysUpdated(self, requestedByPeer: bool) -> None:
        if not requestedByPeer and not self.answered.called:
            self.receivedAtUpdate = len(self.received)
            self.answered.callback(self.transport.session)
            self.peerAnswered()

    def peerAnswered(self) -> None:
        """
        Called once the peer's answering KeyUpdate came.
        """


@implementer(IRenegotiationListener)
class KeyUpdatingEcho(_KeyUpdateAnswer, DigestEcho):
    """
    Our echo server, which starts a key update (C{rehandshake()}) as soon as
    the first bytes arrive and notes how much had arrived when the client's
    answer came.
    """

    def __init__(self) -> None:
        super().__init__()
        self.initKeyUpdate()

    def dataReceived(self, data: bytes) -> None:
        if self.requested is None:
            self.startKeyUpdate()
        super().dataReceived(data)


@implementer(IRenegotiationListener)
class KeyUpdatingCollector(_KeyUpdateAnswer, Collector):
    """
    Our client: sends C{first}; once its echo is back, starts a key update
    and at once sends C{during} (under the new keys, before the peer has
    answered); once the peer's answer came, sends C{after}.  Closes once
    all three came back.
    """

    def __init__(self, first: bytes, during: bytes, after: bytes) -> None:
        super().__init__(first, expected=len(first) + len(during) + len(after))
        self.during = during
        self.after = after
        self.initKeyUpdate()

    def dataReceived(self, data: bytes) -> None:
        super().dataReceived(data)
        if self.requested is None and len(self.received) >= len(self.toSend):
            self.startKeyUpdate()
            self.transport.write(self.during)

    def peerAnswered(self) -> None:
        self.transport.write(self.after)


def pythonServer13() -> PythonServer:
    """
    Python C{ssl}'s echo server (from L{test_pythonssl}), limited to TLS 1.3;
    it remembers the version it negotiated and what it received.
    """
    return PythonServer(cachedPKI().ecdsaServer, context=context13(ssl.PROTOCOL_TLS_SERVER))


# --- tests --------------------------------------------------------------------


class CurlTests(TestCase):
    """
    C{curl} (OpenSSL backend) against our server at TLS 1.3.
    """

    timeout = 60

    async def fetch(self, path: str, *extra: str) -> tuple[PeerResult, HTTPResponder, str]:
        """
        Run C{curl -v --tlsv1.3} for C{path} against a fresh L{HTTPResponder}
        server.

        @return: curl's result, our server's protocol for the connection,
            and curl's verbose output.
        """
        curl = requirePeer("curl")
        server = OurServer(self, server13(), protocolClass=HTTPResponder)
        argv = [
            curl,
            "-sS",
            "-v",
            "--tlsv1.3",
            "--cacert",
            cachedPKI().caPath,
            *extra,
            f"https://localhost:{server.portNumber}{path}",
        ]
        result = await runPeerClient(argv, timeout=30)
        ours = await server.nextConnection()
        assert isinstance(ours, HTTPResponder)
        return result, ours, result.stderr.decode("utf-8", "replace")

    async def test_fetchOverTLS13(self) -> None:
        """
        curl verifies our certificate for C{localhost}, says it speaks
        TLSv1.3, and gets the whole body: the report line names the path
        it asked for and the version and suite our side negotiated, which
        match curl's own account; our session agrees.
        """
        result, ours, verbose = await self.fetch("/hello")
        self.assertEqual(result.exitCode, 0, result.text())
        self.assertIn("SSL connection using TLSv1.3 / ", verbose)
        self.assertIn("SSL certificate verify ok", verbose)
        session = ours.session
        self.assertEqual(session.version, "TLSv1.3")
        self.assertIn(f"SSL connection using TLSv1.3 / {session.cipherSuite}", verbose)
        expected = responseBody(b"/hello", "TLSv1.3", session.cipherSuite)
        self.assertEqual(digest(result.stdout), digest(expected))
        self.assertTrue(bytes(ours.received).startswith(b"GET /hello HTTP/1.1\r\n"))

    async def test_tls13CiphersRestrictTheSuite(self) -> None:
        """
        Restricted with C{--tls13-ciphers} to each of our TLS 1.3 suites in
        turn (TLS_CHACHA20_POLY1305_SHA256 among them), curl and our server
        settle on exactly that suite: curl reports it, our session has it,
        and the body (which our side wrote under it) arrives whole.
        """
        names = [suite.name for suite in TLS13_SUITES]
        self.assertIn("TLS_CHACHA20_POLY1305_SHA256", names)
        for name in names:
            path = "/" + name
            result, ours, verbose = await self.fetch(path, "--tls13-ciphers", name)
            self.assertEqual(result.exitCode, 0, result.text())
            self.assertIn(f"SSL connection using TLSv1.3 / {name}", verbose)
            self.assertEqual((ours.session.version, ours.session.cipherSuite), ("TLSv1.3", name))
            expected = responseBody(path.encode(), "TLSv1.3", name)
            self.assertEqual(digest(result.stdout), digest(expected), name)


class OurServerPythonClientTests(TestCase):
    """
    Python's C{ssl} client against our server, both limited to TLS 1.3.
    """

    timeout = 60

    async def test_bulkEcho(self) -> None:
        """
        8 MiB from the C{ssl} client, echoed by our server: what our server
        received and what came back both hash to what was sent; both sides
        report TLSv1.3 and the same suite.
        """
        server = OurServer(self, server13())
        data = payload(BULK, b"python-ssl-13")
        echoed, _, (version, cipher) = await deferToThread(
            sslClient, server.portNumber, data, context13(ssl.PROTOCOL_TLS_CLIENT)
        )
        ours = await server.nextConnection()
        assertClosedCleanly(self, ours.reason)
        self.assertEqual(version, "TLSv1.3")
        self.assertEqual(digest(bytes(ours.received)), digest(data))
        self.assertEqual(digest(echoed), digest(data))
        self.assertEqual(ours.session.version, "TLSv1.3")
        self.assertEqual(ours.session.cipherSuite, cipher[0])

    async def test_keyUpdateWhileClientReads(self) -> None:
        """
        Our server starts a key update on the first bytes in, while the
        C{ssl} client waits for their echo.  OpenSSL answers our
        KeyUpdate(update_requested) with its own before any more data
        (so exactly the first chunk had arrived when it came); our Deferred
        had fired at once, before the answer, which the session then
        counts (one update); and the fifteen
        chunks the client sends afterwards still arrive and come back
        intact.
        """
        server = OurServer(self, server13(), protocolClass=KeyUpdatingEcho)
        chunks = [payload(CHUNK, b"chunk %d" % i) for i in range(CHUNKS)]
        data = b"".join(chunks)
        echoed, version = await deferToThread(chunkedEchoClient, server.portNumber, chunks)
        ours = await server.nextConnection()
        assert isinstance(ours, KeyUpdatingEcho) and ours.requested is not None
        # Fired once our KeyUpdate was out, before any answer.
        self.assertEqual(self.successResultOf(ours.requested).keyUpdates, 0)
        session = await ours.answered
        self.assertEqual(version, "TLSv1.3")
        self.assertEqual((session.version, session.keyUpdates), ("TLSv1.3", 1))
        self.assertEqual(ours.session.keyUpdates, 1)
        assert ours.receivedAtUpdate is not None
        # RFC 8446 4.6.3: OpenSSL answers before its next application data,
        # so exactly the first chunk came in before the answer, and the
        # other fifteen after it.
        self.assertEqual(ours.receivedAtUpdate, CHUNK)
        assertClosedCleanly(self, ours.reason)
        self.assertEqual(digest(bytes(ours.received)), digest(data))
        self.assertEqual(digest(echoed), digest(data))


class OurClientPythonServerTests(TestCase):
    """
    Our client against Python's C{ssl} server, both limited to TLS 1.3.
    """

    timeout = 60

    async def test_bulkEcho(self) -> None:
        """
        8 MiB from our client, echoed by the C{ssl} server: what the server
        received and what came back both hash to what was sent; both sides
        report TLSv1.3 and the server thread ends without error.
        """
        server = pythonServer13()
        data = payload(BULK, b"python-ssl-server-13")
        client = await connectOurClient(
            client13(), server.port, Collector(data, expected=len(data)), timeout=30
        )
        await deferToThread(server.join)
        self.assertIsNone(server.error)
        self.assertEqual(server.version, "TLSv1.3")
        self.assertEqual(client.session.version, "TLSv1.3")
        assertClosedCleanly(self, client.reason)
        self.assertEqual(digest(bytes(server.received)), digest(data))
        self.assertEqual(digest(bytes(client.received)), digest(data))

    async def test_keyUpdateWhileServerReads(self) -> None:
        """
        Our client starts a key update while the C{ssl} server sits in
        C{recv}, and writes more under the new keys straight away; OpenSSL
        answers with its own KeyUpdate (our Deferred had fired at once,
        before it), which the session counts (one update), and what we send
        only after that answer (C{after}) is echoed too: everything arrives
        in order both ways.
        """
        server = pythonServer13()
        first, during, after = (payload(CHUNK, name) for name in (b"first", b"during", b"after"))
        collector = KeyUpdatingCollector(first, during, after)
        client = await connectOurClient(client13(), server.port, collector, timeout=30)
        await deferToThread(server.join)
        self.assertIsNone(server.error)
        self.assertEqual(server.version, "TLSv1.3")
        assert isinstance(client, KeyUpdatingCollector) and client.requested is not None
        self.assertEqual(self.successResultOf(client.requested).keyUpdates, 0)
        session = await client.answered
        self.assertEqual((session.version, session.keyUpdates), ("TLSv1.3", 1))
        self.assertEqual(client.session.keyUpdates, 1)
        # RFC 8446 4.6.3: OpenSSL's answer came before its echo of
        # C{during}, the first data it sent under its new keys.
        self.assertEqual(client.receivedAtUpdate, len(first))
        assertClosedCleanly(self, client.reason)
        sent = first + during + after
        self.assertEqual(digest(bytes(server.received)), digest(sent))
        self.assertEqual(digest(bytes(client.received)), digest(sent))
