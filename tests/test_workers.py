# -*- test-case-name: tests.test_workers -*-
"""
C{twistd reneg --workers N}: a parent that listens and N workers that
accept, sharing the ticket key the parent made; a worker that dies is
replaced; C{SIGHUP} reaches every worker without killing anyone;
C{SIGTERM} ends them all and the parent.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile

from twisted.internet import protocol, reactor
from twisted.internet.endpoints import UNIXClientEndpoint
from twisted.trial.unittest import TestCase

from twisted_reneg import ClientOptions, TLSFactory
from twisted_reneg._workers import workerArguments
from twisted_reneg.endpoints import wrapClientTLS
from twisted_reneg.testing.pki import cachedPKI

from ._proxied import ProxiedClient
from ._twistd import TWISTD, children
from .interop.peers import Collector, freePort, isListening, waitFor


class WorkerArgumentTests(TestCase):
    def test_workersReplacedByWorker(self) -> None:
        self.assertEqual(
            workerArguments(["--listen", "reneg:1", "--workers", "4", "--echo"]),
            ["--listen", "reneg:1", "--echo", "--worker"],
        )
        self.assertEqual(workerArguments(["--workers=2", "--echo"]), ["--echo", "--worker"])


class WorkerProcessTests(TestCase):
    timeout = 90

    def startParent(
        self, count: int = 2, listen: str | None = None, extra: str = ""
    ) -> tuple[subprocess.Popen[bytes], int]:
        pki = cachedPKI()
        port = freePort()
        if listen is None:
            listen = f"reneg:{port}:interface=127.0.0.1"
        listen += (
            f":privateKey={pki.ecdsaServer.keyPath}:certKey={pki.ecdsaServer.certPath}{extra}"
        )
        self.logPath = self.mktemp()
        log = open(self.logPath, "wb")
        self.addCleanup(log.close)
        parent = subprocess.Popen(
            [TWISTD, "-n", "--pidfile=", "reneg", "--listen", listen, "--echo"]
            + ["--workers", str(count)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

        def stop() -> None:
            if parent.poll() is None:
                parent.kill()
                parent.wait()
            for pid in children(parent.pid):
                os.kill(pid, signal.SIGKILL)

        self.addCleanup(stop)
        return parent, port

    async def connect(self, options: ClientOptions, port: int) -> Collector:
        client = Collector(b"ping\n", expected=5)
        factory = TLSFactory(options, True, protocol.ClientFactory.forProtocol(lambda: client))
        reactor.connectTCP("127.0.0.1", port, factory)  # type: ignore[attr-defined]
        return await client.lost

    async def test_servesAndSharesTicketKeys(self) -> None:
        """
        Two workers serve; both killed, both replaced; a session a dead
        worker gave out resumes on its replacement (the parent's key).
        """
        parent, port = self.startParent()
        await waitFor(lambda: isListening(port) and len(children(parent.pid)) == 2, "2 workers")
        first = children(parent.pid)
        options = ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate])
        client = await self.connect(options, port)
        self.assertEqual(bytes(client.received), b"ping\n")
        self.assertFalse(client.session.resumed)
        for pid in first:
            os.kill(pid, signal.SIGKILL)
        await waitFor(
            lambda: len(children(parent.pid)) == 2 and not children(parent.pid) & first,
            "2 new workers",
            timeout=30,
        )
        again = await self.connect(options, port)
        self.assertEqual(bytes(again.received), b"ping\n")
        self.assertTrue(again.session.resumed)

    def workersStarted(self) -> int:
        with open(self.logPath, "rb") as f:
            return len(re.findall(rb"\] worker \d+ started", f.read()))

    async def test_hangupReachesWorkersTermEndsAll(self) -> None:
        parent, port = self.startParent()
        await waitFor(lambda: self.workersStarted() == 2, "2 workers to start")
        workers = children(parent.pid)
        parent.send_signal(signal.SIGHUP)
        options = ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate])
        client = await self.connect(options, port)
        self.assertEqual(bytes(client.received), b"ping\n")
        self.assertIsNone(parent.poll())
        self.assertEqual(children(parent.pid), workers)  # none died of SIGHUP
        parent.send_signal(signal.SIGTERM)
        await waitFor(lambda: parent.poll() is not None, "the parent to exit", timeout=30)
        # twistd reports the signal that stopped it, once it has shut down.
        self.assertIn(parent.returncode, (0, -signal.SIGTERM))
        with open(self.logPath, "rb") as f:
            log = f.read()
        self.assertIn(b"Server Shut Down.", log)
        self.assertEqual(log.count(b"Reloaded the reneg: listener"), 2, log)
        await waitFor(
            lambda: not any(os.path.exists(f"/proc/{pid}") for pid in workers),
            "the workers to exit",
        )
        self.assertFalse(isListening(port))

    async def test_proxyProtocol(self) -> None:
        """
        C{proxyProtocol=yes} holds in the workers too: a connection that
        starts with a PROXY header, then TLS, is served.
        """
        parent, port = self.startParent(extra=":proxyProtocol=yes")
        await waitFor(lambda: self.workersStarted() == 2, "2 workers to start")
        client = ProxiedClient(b"ping\n", expected=5)
        await protocol.ClientCreator(reactor, lambda: client).connectTCP(  # type: ignore[arg-type]
            "127.0.0.1", port
        )
        await client.lost
        self.assertEqual(bytes(client.received), b"ping\n")

    async def test_unixSocketKept(self) -> None:
        """
        Workers on a UNIX socket: one that is stopped (and replaced) leaves
        the parent's socket file in place; clients keep connecting.
        """
        path = os.path.join(tempfile.mkdtemp(), "tls.sock")
        parent, _ = self.startParent(listen=f"reneg:unix:{path}")
        await waitFor(lambda: self.workersStarted() == 2, "2 workers to start")
        victim = min(children(parent.pid))
        os.kill(victim, signal.SIGTERM)
        await waitFor(lambda: self.workersStarted() == 3, "a replacement worker")
        self.assertTrue(os.path.exists(path))
        options = ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate])
        client = Collector(b"ping\n", expected=5)
        await wrapClientTLS(options, UNIXClientEndpoint(reactor, path)).connect(
            protocol.Factory.forProtocol(lambda: client)
        )
        await client.lost
        self.assertEqual(bytes(client.received), b"ping\n")
