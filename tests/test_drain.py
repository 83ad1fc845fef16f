# -*- test-case-name: tests.test_drain -*-
"""
Graceful drain (P11): on C{SIGTERM} a server's listeners close, idle TLS
connections get close_notify at once and close cleanly (their clients see
C{ConnectionDone}, not a truncation), a request in flight finishes within
C{drainTimeout}, and one that does not is dropped when it expires; then
the process exits.  Real processes (C{twistd reneg}, a small server
script), our client on 127.0.0.1.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

from twisted.internet import protocol, reactor
from twisted.internet.error import ConnectionDone
from twisted.trial.unittest import TestCase

from twisted_reneg import ClientOptions, TLSFactory
from twisted_reneg.testing.pki import cachedPKI

from ._twistd import TWISTD
from .interop.peers import Collector, freePort, isListening, waitFor

#: A site whose /slow answers after SLOW seconds and /never never does.
SERVER_SCRIPT = textwrap.dedent(
    """
    import sys
    from twisted.internet import reactor
    from twisted.internet.endpoints import serverFromString
    from twisted.web.resource import Resource
    from twisted.web.server import NOT_DONE_YET, Site

    listen, slow = sys.argv[1], float(sys.argv[2])

    class Slow(Resource):
        isLeaf = True
        def render_GET(self, request):
            print("request", flush=True)
            reactor.callLater(slow, lambda: (request.write(b"done"), request.finish()))
            return NOT_DONE_YET

    class Never(Resource):
        isLeaf = True
        def render_GET(self, request):
            return NOT_DONE_YET

    root = Resource()
    root.putChild(b"slow", Slow())
    root.putChild(b"never", Never())
    serverFromString(reactor, listen).listen(Site(root))
    print("listening", flush=True)
    reactor.run()
    """
)


def listenString(port: int, *extra: str) -> str:
    pki = cachedPKI()
    return ":".join(
        [
            f"reneg:{port}:interface=127.0.0.1",
            f"privateKey={pki.ecdsaServer.keyPath}",
            f"certKey={pki.ecdsaServer.certPath}",
            *extra,
        ]
    )


class HTTPClient(Collector):
    """
    Sends one GET once connected; keeps the connection (keep-alive).
    """

    def __init__(self, path: bytes) -> None:
        super().__init__(b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")


class DrainTests(TestCase):
    timeout = 60

    def start(self, argv: list[str], port: int) -> subprocess.Popen[bytes]:
        self.logPath = self.mktemp()
        log = open(self.logPath, "wb")
        self.addCleanup(log.close)
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)

        def stop() -> None:
            if process.poll() is None:
                process.kill()
                process.wait()

        self.addCleanup(stop)
        return process

    def connect(self, port: int, client: Collector) -> None:
        options = ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate])
        factory = TLSFactory(options, True, protocol.ClientFactory.forProtocol(lambda: client))
        reactor.connectTCP("127.0.0.1", port, factory)  # type: ignore[attr-defined]

    async def test_idleConnectionsCloseCleanly(self) -> None:
        """
        C{twistd reneg --echo}: two idle clients (TLS 1.3 and 1.2) get
        close_notify on SIGTERM and see a clean close; twistd exits.
        """
        port = freePort()
        server = self.start(
            [TWISTD, "-n", "--pidfile=", "reneg", "--listen", listenString(port), "--echo"], port
        )
        await waitFor(lambda: isListening(port), "twistd to listen")
        clients = []
        for version in ("1.3", "1.2"):
            client = Collector(b"hello\n")
            options = ClientOptions(
                "localhost", trustRoots=[cachedPKI().caCertificate], maxVersion=version
            )
            factory = TLSFactory(
                options, True, protocol.ClientFactory.forProtocol(lambda c=client: c)
            )
            reactor.connectTCP("127.0.0.1", port, factory)  # type: ignore[attr-defined]
            clients.append(client)
        await waitFor(lambda: all(c.received == b"hello\n" for c in clients), "the echoes")
        server.send_signal(signal.SIGTERM)
        for client in clients:
            await client.lost
            assert client.reason is not None
            self.assertTrue(client.reason.check(ConnectionDone), client.reason)
        await waitFor(lambda: server.poll() is not None, "twistd to exit")
        self.assertFalse(isListening(port))

    def log(self) -> bytes:
        with open(self.logPath, "rb") as f:
            return f.read()

    async def serveScript(self, port: int, slow: float, *extra: str) -> subprocess.Popen[bytes]:
        script = self.mktemp()
        with open(script, "w") as f:
            f.write(SERVER_SCRIPT)
        server = self.start([sys.executable, script, listenString(port, *extra), str(slow)], port)
        await waitFor(lambda: isListening(port), "the server to listen")
        return server

    async def test_requestInFlightFinishes(self) -> None:
        """
        A request being served when SIGTERM comes is answered, then the
        connection closes cleanly and the process exits; a new connection
        is refused meanwhile (the listener closed at once).
        """
        port = freePort()
        server = await self.serveScript(port, 1.0, "drainTimeout=20")
        client = HTTPClient(b"/slow")
        self.connect(port, client)
        # Once the server is at work on it: a request still on the wire
        # when an idle keep-alive connection is closed is the client's to
        # retry, as with any HTTP server.
        await waitFor(lambda: b"request" in self.log(), "the request to arrive")
        server.send_signal(signal.SIGTERM)
        await client.lost
        self.assertIn(b"200 OK", bytes(client.received))
        self.assertTrue(
            bytes(client.received).endswith(b"4\r\ndone\r\n0\r\n\r\n"), client.received
        )
        assert client.reason is not None
        self.assertTrue(client.reason.check(ConnectionDone), client.reason)
        await waitFor(lambda: server.poll() is not None, "the server to exit")

    async def test_drainTimeoutDropsTheRest(self) -> None:
        """
        A request that never finishes is dropped when C{drainTimeout}
        expires, and the process exits then, not later.
        """
        port = freePort()
        server = await self.serveScript(port, 0, "drainTimeout=1")
        client = HTTPClient(b"/never")
        self.connect(port, client)
        await waitFor(lambda: client.transport is not None and client.transport.session, "TLS")
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        await client.lost
        await waitFor(lambda: server.poll() is not None, "the server to exit")
        self.assertLess(time.monotonic() - started, 15)  # a bound against hangs, not a timing
        assert client.reason is not None
        self.assertFalse(client.reason.check(ConnectionDone), client.reason)
