"""
Memory per idle established connection: twisted_reneg against Twisted's own
TLS (TLSMemoryBIOFactory over pyOpenSSL), same machine, same run.

A server process listens; a client process opens C{--connections}
connections to it (in batches, each batch waiting for its handshakes) and
leaves them idle.  The client reads the server's resident set size from
C{/proc} before and after, and its own, and prints the delta per connection.
A few warm-up connections come first, so that imports, caches and the
first allocations of each code path are not charged to the connections.
Not a test: measurements live here only.

    .venv/bin/python bench/_idle_memory_probe.py [--connections 1000]
        [--impl both|ours|pyopenssl] [--suite tls12-aes128-gcm ...]
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import bulk  # noqa: E402 - after the path set-up above

WARMUP = 20
BATCH = 50


def rssKiB(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def runServer(impl: str, pkiDir: str, suite: bulk.Suite) -> None:
    from twisted.internet import protocol, reactor

    port = reactor.listenTCP(  # type: ignore[attr-defined]
        0,
        bulk.serverFactory(impl, pkiDir, protocol.Factory.forProtocol(protocol.Protocol), suite),
        backlog=BATCH * 2,
        interface="127.0.0.1",
    )
    # Collect now and then, so that garbage of finished handshakes is not
    # counted as memory of the connections.
    from twisted.internet.task import LoopingCall

    LoopingCall(gc.collect).start(0.2)
    print(port.getHost().port, flush=True)
    reactor.run()  # type: ignore[attr-defined]


def runClient(
    impl: str, pkiDir: str, suite: bulk.Suite, port: int, serverPid: int, count: int
) -> None:
    from twisted.internet import defer, protocol, reactor
    from twisted.internet.interfaces import IHandshakeListener
    from zope.interface import implementer

    waiting: list[defer.Deferred[None]] = []

    @implementer(IHandshakeListener)
    class Idle(protocol.Protocol):
        def connectionMade(self) -> None:
            self.done: defer.Deferred[None] = defer.Deferred()
            waiting.append(self.done)

        def handshakeCompleted(self) -> None:
            self.done.callback(None)

    factory = bulk.clientFactory(impl, pkiDir, protocol.ClientFactory.forProtocol(Idle), suite)
    keep: list[Any] = []

    async def openConnections(n: int) -> None:
        for start in range(0, n, BATCH):
            del waiting[:]
            for _ in range(min(BATCH, n - start)):
                keep.append(reactor.connectTCP("127.0.0.1", port, factory))  # type: ignore[attr-defined]
            while len(waiting) < min(BATCH, n - start):
                await _sleep(0.01)
            await defer.gatherResults(list(waiting))

    async def _sleep(seconds: float) -> None:
        from twisted.internet.task import deferLater

        await deferLater(reactor, seconds, lambda: None)

    async def main() -> None:
        await openConnections(WARMUP)
        await _sleep(1.0)
        gc.collect()
        server0, client0 = rssKiB(serverPid), rssKiB()
        await openConnections(count)
        # Let the server read the last Finished messages and collect.
        await _sleep(1.5)
        gc.collect()
        server1, client1 = rssKiB(serverPid), rssKiB()
        print(
            f"{suite.key:18} {impl:10} server {(server1 - server0) / count:6.1f} KiB/conn"
            f"   client {(client1 - client0) / count:6.1f} KiB/conn",
            flush=True,
        )

    def stop(result: object) -> None:
        reactor.stop()  # type: ignore[attr-defined]
        return None

    reactor.callWhenRunning(  # type: ignore[attr-defined]
        lambda: defer.ensureDeferred(main()).addBoth(
            lambda r: (r.printTraceback() if hasattr(r, "printTraceback") else None, stop(r))
        )
    )
    reactor.run()  # type: ignore[attr-defined]


def measure(impl: str, pkiDir: str, suite: bulk.Suite, count: int) -> None:
    me = os.path.abspath(__file__)
    server = subprocess.Popen(
        [sys.executable, me, "--serve", impl, pkiDir, suite.key],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        subprocess.run(
            [
                sys.executable,
                me,
                "--connect",
                impl,
                pkiDir,
                suite.key,
                str(port),
                str(server.pid),
                str(count),
            ],
            check=True,
        )
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        impl, pkiDir, key = sys.argv[2:5]
        runServer(impl, pkiDir, bulk.SUITES[key])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--connect":
        impl, pkiDir, key, port, pid, count = sys.argv[2:8]
        runClient(impl, pkiDir, bulk.SUITES[key], int(port), int(pid), int(count))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--impl", choices=("both", *bulk.IMPLS), default="both")
    parser.add_argument("--suite", action="append", choices=sorted(bulk.SUITES))
    args = parser.parse_args()
    suites = [bulk.SUITES[k] for k in (args.suite or ["tls12-aes128-gcm", "tls13-aes128-gcm"])]
    impls = list(bulk.IMPLS) if args.impl == "both" else [args.impl]
    from twisted_reneg.testing.pki import makePKI

    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        print(f"idle memory: {args.connections} connections, RSS delta per connection")
        for suite in suites:
            for impl in impls:
                measure(impl, pkiDir, suite, args.connections)
                time.sleep(0.2)


if __name__ == "__main__":
    main()
