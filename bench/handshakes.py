"""
TLS 1.2 and 1.3 handshakes per second over 127.0.0.1, and the server's CPU
per handshake: twisted_reneg against Twisted's own TLS
(TLSMemoryBIOFactory over pyOpenSSL), same machine, same run.

Each side of a measurement is the same implementation (our client to our
server, Twisted TLS client to Twisted TLS server), in separate processes:
the server in one, the client in another, so each has a core of its own.
The client makes C{--count} connections one after the other; each is a new
TCP connection that completes a full handshake (the row's suite pinned,
x25519, the server certificate verified against the test CA as
C{localhost}), sends C{ping}, waits for the echo and closes with
close_notify both ways.  The clock covers connect to connection lost of all
C{--count} connections, after one untimed warm-up connection; the server
process reports its C{time.process_time()} over the same connections.  Every
connection is checked on both ends for the intended version, suite, group
and whether it resumed.  Both servers send two NewSessionTickets after each
full handshake (OpenSSL does even with Twisted's resumption-off defaults, see
C{bulk.serverFactory}); in the full rows neither client uses them.  After a
resumption both send one.

Rows: full handshakes with a server certificate with an ECDSA P-256 key,
and with an RSA-2048 key (signing with RSA-PSS); and resumed ones (PSK with
x25519, psk_dhe_ke): each client resumes every timed connection, ours from
its session cache (a fresh ticket each time), pyOpenSSL from the session of
the connection before (its server with Twisted's session cache and tickets
on).  Runs interleave rows and
implementations.  Prints handshakes/s per run, then the medians and the
ratio ours/pyOpenSSL.  Not a test: timings live here only.

    .venv/bin/python bench/handshakes.py [--count 300] [--runs 3]
        [--impl both|ours|pyopenssl] [--row all|ecdsa-full|rsa-full|ecdsa-resumed]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _common import (  # noqa: E402
    GROUP,
    IMPLS,
    PLAIN,
    TLS12_AES128,
    TLS12_RSA_AES128,
    TLS13_AES128,
    Suite,
    checkNegotiated,
    clientFactory,
    describe,
    implsFor,
    negotiated,
    printTable,
    runServerAndClient,
    serverFactory,
)

PING = b"ping"


@dataclass(frozen=True)
class Row:
    """
    One line of the result table.

    @ivar key: the C{--row} name.
    @ivar label: what the table prints.
    @ivar certificate: the server key type, C{"ecdsa"} (P-256) or C{"rsa"}
        (2048 bits): which test PKI identity the server uses.
    @ivar suite: the only version and suite both ends offer.
    @ivar resumed: whether the timed connections resume a session.
    """

    key: str
    label: str
    certificate: str
    suite: Suite
    resumed: bool = False


ROWS = {
    r.key: r
    for r in (
        Row("ecdsa-full", "full, TLS 1.3, ECDSA P-256", "ecdsa", TLS13_AES128),
        Row("rsa-full", "full, TLS 1.3, RSA-2048", "rsa", TLS13_AES128),
        Row("tls12-ecdsa-full", "full, TLS 1.2, ECDSA P-256", "ecdsa", TLS12_AES128),
        Row("tls12-rsa-full", "full, TLS 1.2, RSA-2048", "rsa", TLS12_RSA_AES128),
        Row(
            "ecdsa-resumed",
            "resumed (psk_dhe_ke), TLS 1.3, ECDSA P-256",
            "ecdsa",
            TLS13_AES128,
            resumed=True,
        ),
    )
}


def runServer(impl: str, pkiDir: str, row: Row, connections: int) -> None:
    """
    Child process: echo on each connection; after C{connections} have
    closed, print what every connection negotiated and exit.
    """
    from twisted.internet import protocol, reactor
    from twisted.internet.interfaces import IHandshakeListener
    from zope.interface import implementer

    seen: list[dict[str, Any] | None] = []
    # CPU time of this process when each connection closed: the timed
    # connections' share is the span from the warm-up's close to the last.
    cpu: list[float] = []

    @implementer(IHandshakeListener)
    class Echo(protocol.Protocol):
        transport: Any  # ours' TLSProtocol or Twisted's TLSMemoryBIOProtocol
        info: dict[str, Any] | None = None

        def connectionMade(self) -> None:
            if impl == PLAIN:
                self.handshakeCompleted()  # no handshake: the TCP ceiling

        def handshakeCompleted(self) -> None:
            self.info = negotiated(impl, self.transport)

        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

        def connectionLost(self, reason: Any = None) -> None:
            seen.append(self.info)
            cpu.append(time.process_time())
            if len(seen) == connections:
                print(json.dumps({"negotiated": seen, "cpu": cpu[-1] - cpu[0]}), flush=True)
                reactor.callLater(0, reactor.stop)

    factory = serverFactory(
        impl,
        pkiDir,
        protocol.Factory.forProtocol(Echo),
        row.suite,
        key=row.certificate,
        resumption=row.resumed,
    )
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    print(json.dumps({"port": port.getHost().port}), flush=True)  # type: ignore[attr-defined]
    reactor.run()


async def clientLoop(impl: str, pkiDir: str, row: Row, port: int, count: int) -> None:
    """
    Child process body: one warm-up connection, then C{count} timed ones;
    print the elapsed time and what every timed connection negotiated.
    """
    from twisted.internet import defer, protocol, reactor
    from twisted.internet.error import ConnectionDone
    from twisted.internet.interfaces import IHandshakeListener
    from zope.interface import implementer

    @implementer(IHandshakeListener)
    class Ping(protocol.Protocol):
        transport: Any  # ours' TLSProtocol or Twisted's TLSMemoryBIOProtocol

        def __init__(self) -> None:
            self.info: dict[str, Any] | None = None
            self.received = b""
            self.done: defer.Deferred[None] = defer.Deferred()

        def connectionMade(self) -> None:
            if impl == PLAIN:
                self.handshakeCompleted()

        def handshakeCompleted(self) -> None:
            self.info = negotiated(impl, self.transport)
            self.transport.write(PING)

        def dataReceived(self, data: bytes) -> None:
            self.received += data
            if len(self.received) >= len(PING):
                if row.resumed and impl == "pyopenssl":
                    # The echo came after the tickets: this session resumes.
                    factory.resumer.session = self.transport.getHandle().get_session()
                self.transport.loseConnection()

        def connectionLost(self, reason: Any = None) -> None:
            # Anything but a clean close after the echo (a failed
            # handshake, a missing close_notify) ends the benchmark.
            if self.received != PING or not reason.check(ConnectionDone):
                self.done.errback(reason)
            else:
                self.done.callback(None)

    # The next connection's protocol, made before connecting so that its
    # Deferred can be awaited.
    pending: list[Ping] = []

    class PingFactory(protocol.ClientFactory):
        def buildProtocol(self, addr: Any) -> Ping:
            return pending.pop()

        def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
            pending.pop().done.errback(reason)

    # One client factory (one set of options) for all connections, as an
    # application would hold it.
    factory = clientFactory(impl, pkiDir, PingFactory(), row.suite, resume=row.resumed)

    async def once() -> dict[str, Any] | None:
        ping = Ping()
        pending.append(ping)
        reactor.connectTCP("127.0.0.1", port, factory)
        await ping.done
        return ping.info

    await once()  # warm-up: first-use costs (imports, caches) outside the clock
    infos = []
    start = time.perf_counter()
    for _ in range(count):
        infos.append(await once())
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "negotiated": infos}), flush=True)


def runClient(impl: str, pkiDir: str, row: Row, port: int, count: int) -> None:
    from twisted.internet import defer, task

    task.react(lambda _: defer.ensureDeferred(clientLoop(impl, pkiDir, row, port, count)))


def oneRun(impl: str, pkiDir: str, row: Row, count: int) -> tuple[float, float, dict[str, Any]]:
    """
    One server process and one client process.

    @return: handshakes/s, server CPU milliseconds per connection, and what
        the first timed connection negotiated (every connection is checked
        on both ends).
    """
    common = ["--impl", impl, "--pki", pkiDir, "--row", row.key, "--count", str(count)]
    serverOut, client = runServerAndClient(os.path.abspath(__file__), common)
    if client.returncode != 0 or not client.stdout:
        raise SystemExit(f"{row.key} {impl}: client failed (exit {client.returncode})")
    result = json.loads(client.stdout.splitlines()[-1])
    clientInfos = result["negotiated"]
    # The server also saw the warm-up connection.
    serverResult = json.loads(serverOut.splitlines()[-1])
    serverInfos = serverResult["negotiated"]
    if len(clientInfos) != count or len(serverInfos) != count + 1:
        raise SystemExit(f"{row.key} {impl}: wrong number of connections")
    for info in clientInfos:
        checkNegotiated(f"{row.key} client", impl, info, row.suite, row.resumed)
    for info in serverInfos[1:]:
        checkNegotiated(f"{row.key} server", impl, info, row.suite, row.resumed)
    return count / result["seconds"], serverResult["cpu"] * 1000 / count, clientInfos[0]


def measure(
    pkiDir: str, rows: list[Row], impls: list[str], count: int, runs: int, log: Any = print
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, list[float]]]]:
    """
    Run every row C{runs} times for each implementation, interleaved.

    @return: handshakes/s and server CPU ms per connection, each by row key
        and implementation.
    """
    rates: dict[str, dict[str, list[float]]] = {
        r.key: {i: [] for i in (*IMPLS, PLAIN)} for r in rows
    }
    cpus: dict[str, dict[str, list[float]]] = {
        r.key: {i: [] for i in (*IMPLS, PLAIN)} for r in rows
    }
    for run in range(runs):
        for row in rows:
            for impl in impls:
                rate, cpu, info = oneRun(impl, pkiDir, row, count)
                rates[row.key][impl].append(rate)
                cpus[row.key][impl].append(cpu)
                log(
                    f"  run {run + 1} {row.key:16s} {impl:10s} {rate:8.1f} /s"
                    f" server {cpu:6.2f} ms CPU"
                    f"  [{describe(info)}{', resumed' if info['resumed'] else ''}]"
                )
    return rates, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--count", type=int, default=300, help="timed connections per run (default 300)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per row and impl")
    parser.add_argument(
        "--impl",
        choices=["both", "all", "ours", "pyopenssl", PLAIN],
        default="both",
        help="both: ours and pyOpenSSL; all: both and plain TCP (connect, echo, close)",
    )
    parser.add_argument(
        "--row",
        action="append",
        choices=["all", *ROWS],
        help="row to measure; repeat for several (default: all)",
    )
    parser.add_argument("--role", choices=["server", "client"], help=argparse.SUPPRESS)
    parser.add_argument("--pki", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.row or "all" in args.row:
        rows = list(ROWS.values())
    else:
        rows = [ROWS[k] for k in dict.fromkeys(args.row)]
    if args.role == "server":
        # The warm-up connection comes on top of the timed ones.
        return runServer(args.impl, args.pki, rows[0], args.count + 1)
    if args.role == "client":
        return runClient(args.impl, args.pki, rows[0], args.port, args.count)

    from twisted_reneg.testing.pki import makePKI

    impls = implsFor(args.impl)
    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        print(
            f"handshakes: {GROUP}, {args.count} sequential connections per run,"
            f" {args.runs} runs per row and implementation"
        )
        rates, cpus = measure(pkiDir, rows, impls, args.count, args.runs)
    print()
    printTable("median handshakes/s", [(r.label, rates[r.key]) for r in rows])
    printTable("median server CPU ms per connection", [(r.label, cpus[r.key]) for r in rows])


if __name__ == "__main__":
    main()
