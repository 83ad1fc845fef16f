"""
Bulk one-way transfer over 127.0.0.1: twisted_reneg against Twisted's own
TLS (TLSMemoryBIOFactory over pyOpenSSL), same machine, same run.

Suites (C{--suite}, repeatable; default: all four):

  - C{tls13-aes128-gcm}: TLS 1.3 TLS_AES_128_GCM_SHA256
  - C{tls13-chacha20}: TLS 1.3 TLS_CHACHA20_POLY1305_SHA256
  - C{tls12-aes128-gcm}: TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256
  - C{tls12-chacha20}: TLS 1.2 ECDHE-ECDSA-CHACHA20-POLY1305

Write sizes (C{--write-size}, repeatable; default: 16 KiB, 64 KiB and
256 KiB): what applications hand C{transport.write()}.  16 KiB is
Twisted's C{FileSender} and one TLS record; 64 KiB is twisted.web's
C{static.File} (its C{bufferSize}); 256 KiB is a large buffer.  Twisted's
C{TLSMemoryBIOProtocol} feeds a write to OpenSSL one 16 KiB slice (a
copy) at a time and hands each record to TCP as a write of its own, and
its throughput falls as writes grow: the 256 KiB ratio is no general
case, read the 16 and 64 KiB rows as that (bench/README.md).

Besides MiB/s, each run reports the CPU time of each process over the
transfer (C{time.process_time()}, from the end of the handshake to the
last byte on the receiver, to the close on the sender) per 16 KiB of
data: at bulk sizes, the CPU per record on each side.  The side whose
figure is higher is the one that limits the transfer.

Both implementations use an ECDSA P-256 server certificate and x25519, with
the version and suite pinned on both ends.  Sender (client) and receiver
(server) are separate processes; the receiver times from the end of its
handshake to the last byte.  Runs interleave suites and implementations, so
drift in machine load spreads over all of them.  Each run checks that both
ends negotiated the intended version, suite and group, and stops otherwise.
The medians (MiB/s) and the ratio ours/pyOpenSSL are printed as a table.
Not a test: timings live here only.

    .venv/bin/python bench/bulk.py [--mib 64] [--runs 3] [--write-size N ...]
        [--impl both|all|ours|pyopenssl|tcp] [--suite all|tls12-aes128-gcm|...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _common import (  # noqa: E402
    GROUP,
    IMPLS,
    PLAIN,
    SUITES,
    Suite,
    checkNegotiated,
    clientFactory,
    describe,
    implsFor,
    negotiated,
    printTable,
    selectSuites,
    serverFactory,
)

CHUNK = 256 * 1024
#: The write sizes measured by default: one record (FileSender), web's
#: static.File buffer, a large buffer.
WRITE_SIZES = (16 * 1024, 64 * 1024, CHUNK)
#: Payload bytes per full TLS record: what the CPU figures are per.
RECORD = 16 * 1024


def runReceiver(impl: str, pkiDir: str, total: int, suite: Suite) -> None:
    """
    Child process: accept one connection, count bytes, print the timing and
    what was negotiated.
    """
    from twisted.internet import protocol, reactor
    from twisted.internet.interfaces import IHandshakeListener
    from zope.interface import implementer

    @implementer(IHandshakeListener)
    class Counter(protocol.Protocol):
        transport: Any  # ours' TLSProtocol or Twisted's TLSMemoryBIOProtocol
        received = 0
        start = 0.0
        cpuStart = 0.0
        info: dict[str, Any] | None = None

        def connectionMade(self) -> None:
            if impl == PLAIN:
                self.handshakeCompleted()  # no handshake to wait for

        def handshakeCompleted(self) -> None:
            self.start = time.perf_counter()
            self.cpuStart = time.process_time()
            self.info = negotiated(impl, self.transport)

        def dataReceived(self, data: bytes) -> None:
            self.received += len(data)
            if self.received >= total:
                elapsed = time.perf_counter() - self.start
                cpu = time.process_time() - self.cpuStart
                result = {
                    "bytes": self.received,
                    "seconds": elapsed,
                    "cpu": cpu,
                    "negotiated": self.info,
                }
                print(json.dumps(result), flush=True)
                self.transport.loseConnection()

        def connectionLost(self, reason: Any = None) -> None:
            if self.received < total:
                print(f"receiver: connection lost early: {reason}", file=sys.stderr)
            reactor.callLater(0, reactor.stop)

    port = reactor.listenTCP(
        0,
        serverFactory(impl, pkiDir, protocol.Factory.forProtocol(Counter), suite),
        interface="127.0.0.1",
    )
    print(json.dumps({"port": port.getHost().port}), flush=True)  # type: ignore[attr-defined]
    reactor.run()


def runSender(
    impl: str,
    pkiDir: str,
    port: int,
    total: int,
    suite: Suite,
    chunk: int = CHUNK,
    perTurn: int = 0,
) -> None:
    """
    Child process: connect and push C{total} bytes honouring back-pressure;
    print what was negotiated.
    """
    from twisted.internet import protocol, reactor
    from twisted.internet.interfaces import IHandshakeListener, IPushProducer
    from zope.interface import implementer

    block = os.urandom(chunk)

    @implementer(IPushProducer, IHandshakeListener)
    class Pusher(protocol.Protocol):
        transport: Any  # ours' TLSProtocol or Twisted's TLSMemoryBIOProtocol
        sent = 0
        paused = False
        cpuStart = 0.0

        def connectionMade(self) -> None:
            if impl == PLAIN:
                self.handshakeCompleted()

        def handshakeCompleted(self) -> None:
            self.cpuStart = time.process_time()
            print(json.dumps({"negotiated": negotiated(impl, self.transport)}), flush=True)
            # Start when the keys exist, so neither implementation buffers
            # the whole transfer in front of its handshake.
            self.transport.registerProducer(self, True)
            if not self.paused:
                self.resumeProducing()

        def pauseProducing(self) -> None:
            self.paused = True

        turnCall: Any = None

        def resumeProducing(self) -> None:
            self.paused = False
            if perTurn:
                if self.turnCall is None:
                    self.turnCall = reactor.callLater(0, self.turn)
                return
            while not self.paused and self.sent < total:
                n = min(chunk, total - self.sent)
                self.transport.write(block[:n] if n < chunk else block)
                self.sent += n
            if self.sent >= total and not self.paused:
                self.transport.unregisterProducer()
                self.transport.loseConnection()

        def turn(self) -> None:
            self.turnCall = None
            if self.paused:
                return
            for _ in range(perTurn):
                if self.sent >= total:
                    break
                self.transport.write(block[:chunk])
                self.sent += chunk
            if self.sent >= total:
                self.transport.unregisterProducer()
                self.transport.loseConnection()
            elif not self.paused:
                self.turnCall = reactor.callLater(0, self.turn)

        def stopProducing(self) -> None:
            self.paused = True

        def connectionLost(self, reason: Any = None) -> None:
            if self.sent < total:
                print(f"sender: connection lost early: {reason}", file=sys.stderr)
            print(json.dumps({"cpu": time.process_time() - self.cpuStart}), flush=True)
            reactor.callLater(0, reactor.stop)

    factory = clientFactory(impl, pkiDir, protocol.ClientFactory.forProtocol(Pusher), suite)
    reactor.connectTCP("127.0.0.1", port, factory)
    reactor.run()


@dataclass
class Run:
    """
    One transfer: its speed, each side's CPU per 16 KiB of data (per record
    at bulk sizes, in microseconds), and what the receiver negotiated.
    """

    mibPerSecond: float
    senderMicros: float
    receiverMicros: float
    negotiated: dict[str, Any]


def oneRun(
    impl: str, pkiDir: str, total: int, suite: Suite, chunk: int = CHUNK, perTurn: int = 0
) -> Run:
    """
    One transfer in fresh processes (both ends' negotiation checked).
    """
    common = ["--impl", impl, "--pki", pkiDir, "--bytes", str(total), "--suite", suite.key]
    common += ["--write-size", str(chunk), "--per-turn", str(perTurn)]
    me = os.path.abspath(__file__)
    receiver = subprocess.Popen(
        [sys.executable, me, "--role", "receiver", *common], stdout=subprocess.PIPE, text=True
    )
    assert receiver.stdout is not None
    port = json.loads(receiver.stdout.readline())["port"]
    sender = subprocess.Popen(
        [sys.executable, me, "--role", "sender", "--port", str(port), *common],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = receiver.stdout.readline()
    senderOut, _ = sender.communicate(timeout=600)
    receiver.wait(600)
    if not line:
        raise SystemExit(f"{impl}: receiver reported nothing (exit {receiver.returncode})")
    result = json.loads(line)
    if result["bytes"] < total:
        raise SystemExit(f"{impl}: short transfer {result}")
    senderLines = [json.loads(line) for line in senderOut.splitlines() if line.strip()]
    senderInfo = senderLines[0]["negotiated"] if senderLines else None
    senderCPU = senderLines[-1].get("cpu", 0.0) if senderLines else 0.0
    checkNegotiated(f"{suite.key} receiver", impl, result["negotiated"], suite)
    checkNegotiated(f"{suite.key} sender", impl, senderInfo, suite)
    records = total / RECORD
    return Run(
        total / result["seconds"] / (1 << 20),
        senderCPU / records * 1e6,
        result["cpu"] / records * 1e6,
        result["negotiated"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=64, help="MiB per transfer (default 64)")
    parser.add_argument("--runs", type=int, default=3, help="runs per suite and impl")
    parser.add_argument(
        "--impl",
        choices=["both", "all", "ours", "pyopenssl", PLAIN],
        default="both",
        help="both: ours and pyOpenSSL; all: both and plain TCP (the ceiling)",
    )
    parser.add_argument(
        "--suite",
        action="append",
        choices=["all", *SUITES],
        help="suite to measure; repeat for several (default: all)",
    )
    parser.add_argument(
        "--write-size",
        type=int,
        action="append",
        help="bytes per write() on the sender; repeat for several (default:"
        f" {', '.join(map(str, WRITE_SIZES))}; 100 for small writes)",
    )
    parser.add_argument(
        "--per-turn",
        type=int,
        default=0,
        help="write this many messages per reactor turn (default 0: as many as"
        " TCP takes before it pauses the sender)",
    )
    parser.add_argument("--role", choices=["receiver", "sender"], help=argparse.SUPPRESS)
    parser.add_argument("--pki", help=argparse.SUPPRESS)
    parser.add_argument("--bytes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    suites = selectSuites(args.suite)
    sizes = args.write_size or list(WRITE_SIZES)
    if args.role == "receiver":
        return runReceiver(args.impl, args.pki, args.bytes, suites[0])
    if args.role == "sender":
        return runSender(
            args.impl, args.pki, args.port, args.bytes, suites[0], sizes[0], args.per_turn
        )

    from twisted_reneg.testing.pki import makePKI

    impls = implsFor(args.impl)
    total = args.mib << 20
    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        print(
            f"bulk: {args.mib} MiB one way in writes of {', '.join(map(str, sizes))} bytes,"
            f" ECDSA P-256 certificate, {GROUP}, {args.runs} runs per suite, size and"
            " implementation"
        )
        results = {
            size: measure(pkiDir, suites, impls, total, args.runs, size, perTurn=args.per_turn)
            for size in sizes
        }

    def rows(what: str) -> list[tuple[str, dict[str, list[float]]]]:
        return [
            (f"{s.label}, {size}-byte writes", getattr(results[size], what)[s.key])
            for size in sizes
            for s in suites
        ]

    for title, what in (
        ("median MiB/s", "rates"),
        ("sender CPU us per 16 KiB", "senderMicros"),
        ("receiver CPU us per 16 KiB", "receiverMicros"),
    ):
        print()
        printTable(title, rows(what), spread=True)


@dataclass
class Results:
    """
    The runs of L{measure}, by suite key and implementation: MiB/s, and
    each side's CPU microseconds per 16 KiB of data.
    """

    rates: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    senderMicros: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    receiverMicros: dict[str, dict[str, list[float]]] = field(default_factory=dict)


def measure(
    pkiDir: str,
    suites: list[Suite],
    impls: list[str],
    total: int,
    runs: int,
    chunk: int = CHUNK,
    log: Any = print,
    perTurn: int = 0,
) -> Results:
    """
    Run every suite C{runs} times for each implementation, interleaved.

    @param chunk: bytes per C{write()} on the sender.
    """
    results = Results()
    for table in (results.rates, results.senderMicros, results.receiverMicros):
        for s in suites:
            table[s.key] = {i: [] for i in (*IMPLS, PLAIN)}
    for run in range(runs):
        for suite in suites:
            for impl in impls:
                r = oneRun(impl, pkiDir, total, suite, chunk, perTurn)
                results.rates[suite.key][impl].append(r.mibPerSecond)
                results.senderMicros[suite.key][impl].append(r.senderMicros)
                results.receiverMicros[suite.key][impl].append(r.receiverMicros)
                log(
                    f"  run {run + 1} {suite.key:17s} {chunk:>6d} B {impl:10s}"
                    f" {r.mibPerSecond:8.1f} MiB/s  CPU us/16 KiB sender"
                    f" {r.senderMicros:6.1f} receiver {r.receiverMicros:6.1f}"
                    f"  [{describe(r.negotiated)}]"
                )
    return results


if __name__ == "__main__":
    main()
