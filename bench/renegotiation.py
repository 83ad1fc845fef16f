"""
What re-keying a live connection costs the server: CPU per TLS 1.2
renegotiation and per TLS 1.3 key update, measured in the server process,
and whether its memory stays flat over many of them.

Server and client are separate processes; each measurement pairs the same
implementation on both ends.  The server makes one connection's worth of
operations, one after the other:

  - C{tls12-reneg}: TLS 1.2 server-initiated renegotiation (HelloRequest,
    then a full handshake).  Ours: C{transport.rehandshake()}, done when it
    fires.  pyOpenSSL: C{getHandle().renegotiate()} and C{do_handshake()},
    done when OpenSSL's info callback reports C{SSL_CB_HANDSHAKE_DONE}.
  - C{tls13-keyupdate}: TLS 1.3 KeyUpdate(update_requested), then a 4-byte
    ping the client echoes, done when the echo and (ours) the client's own
    KeyUpdate are in.  Ours only: pyOpenSSL's binding has no
    C{SSL_key_update}.

CPU is C{time.process_time()} of the server process over the timed
operations (after C{--warmup} untimed ones).  Memory: the server's RSS
after a garbage collection, at the end of the warm-up, half-way and at the
end; "growth" is end minus half-way, which is near zero when nothing
accumulates per operation.  The negotiated version, suite and group are
checked on both ends, and the count of renegotiations or key updates the
server saw must match what it asked for.  Not a test.

    .venv/bin/python bench/renegotiation.py [--count 300] [--runs 3]
        [--impl both|ours|pyopenssl] [--row all|tls12-reneg|tls13-keyupdate]
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
    IMPLS,
    TLS12_AES128,
    TLS13_AES128,
    Suite,
    checkNegotiated,
    clientFactory,
    negotiated,
    printTable,
    residentKiB,
    runServerAndClient,
    serverFactory,
)

PING = b"ping"


@dataclass(frozen=True)
class Row:
    """
    One operation to measure.

    @ivar key: the C{--row} name.
    @ivar label: what the table prints.
    @ivar suite: the only version and suite both ends offer.
    @ivar impls: the implementations that can do it.
    """

    key: str
    label: str
    suite: Suite
    impls: tuple[str, ...]


ROWS = {
    r.key: r
    for r in (
        Row("tls12-reneg", "TLS 1.2 renegotiation", TLS12_AES128, IMPLS),
        Row("tls13-keyupdate", "TLS 1.3 key update", TLS13_AES128, ("ours",)),
    )
}


def runServer(impl: str, pkiDir: str, row: Row, count: int, warmup: int) -> None:
    """
    Child process: accept one connection, re-key it C{warmup + count}
    times, print the CPU and memory figures and what was negotiated.
    """
    from twisted.internet import defer, protocol, reactor
    from twisted.internet.interfaces import IHandshakeListener
    from zope.interface import implementer

    from twisted_reneg.interfaces import IRenegotiationListener

    @implementer(IHandshakeListener, IRenegotiationListener)
    class Rekeyer(protocol.Protocol):
        transport: Any  # ours' TLSProtocol or Twisted's TLSMemoryBIOProtocol

        def __init__(self) -> None:
            self.started = False
            # What the current operation still waits for.
            self.waiting: dict[str, defer.Deferred[None]] = {}
            self.opensslHandshakes = 0

        def handshakeCompleted(self) -> None:
            # Twisted calls this once; ours after every renegotiation too.
            if not self.started:
                self.started = True
                defer.ensureDeferred(self.loop())

        # IRenegotiationListener (ours only)
        def renegotiationRequested(self) -> bool:
            return False

        def renegotiationCompleted(self, session: Any) -> None:
            pass

        def renegotiationFailed(self, reason: Any) -> None:
            print(f"server: renegotiation failed: {reason}", file=sys.stderr)

        def keysUpdated(self, requestedByPeer: bool) -> None:
            # The client's answer to our update_requested.
            if not requestedByPeer:
                self._fire("keys")

        def dataReceived(self, data: bytes) -> None:
            self._fire("echo")

        def _fire(self, what: str) -> None:
            waiting = self.waiting.pop(what, None)
            if waiting is not None:
                waiting.callback(None)

        def _expect(self, what: str) -> defer.Deferred[None]:
            self.waiting[what] = defer.Deferred()
            return self.waiting[what]

        def _opensslInfo(self, connection: Any, where: int, ret: int) -> None:
            from OpenSSL import SSL

            if where & SSL.SSL_CB_HANDSHAKE_DONE:
                # OpenSSL reports "done" also once the HelloRequest is out,
                # with the renegotiation still pending; and not from inside
                # its state machine should the next one start.
                reactor.callLater(0, self._opensslDone, connection)

        def _opensslDone(self, connection: Any) -> None:
            if not connection.renegotiate_pending() and "handshake" in self.waiting:
                self.opensslHandshakes += 1
                self._fire("handshake")

        async def once(self) -> None:
            if row.suite.version == "1.2":
                if impl == "ours":
                    await self.transport.rehandshake()
                    return
                from OpenSSL import SSL

                done = self._expect("handshake")
                connection = self.transport.getHandle()
                if not connection.renegotiate():
                    raise RuntimeError("OpenSSL refused to renegotiate (one is pending)")
                try:
                    connection.do_handshake()
                except SSL.WantReadError:
                    pass
                # Twisted has no public call to push what OpenSSL just
                # wrote (the HelloRequest) to the socket.
                self.transport._flushSendBIO()
                await done
                return
            keys = self._expect("keys")
            echo = self._expect("echo")
            await self.transport.rehandshake()
            # The ping makes the client write, so even a client that
            # postpones its KeyUpdate until it next writes answers now.
            self.transport.write(PING)
            await keys
            await echo

        async def loop(self) -> None:
            try:
                if impl == "pyopenssl":
                    self.transport.getHandle().set_info_callback(self._opensslInfo)
                    self.opensslHandshakes = 0
                info = negotiated(impl, self.transport)
                for _ in range(warmup):
                    await self.once()
                rss = [residentKiB()]
                cpu = time.process_time()
                for i in range(count):
                    await self.once()
                    if i + 1 == count // 2:
                        rss.append(residentKiB())
                cpu = time.process_time() - cpu
                rss.append(residentKiB())
                if impl == "ours":
                    session = self.transport.session
                    done = (
                        session.renegotiations
                        if row.suite.version == "1.2"
                        else session.keyUpdates
                    )
                else:
                    done = self.opensslHandshakes
                result = {
                    "cpu": cpu,
                    "rss": rss,
                    "negotiated": info,
                    "after": negotiated(impl, self.transport),
                    "operations": done,
                }
                print(json.dumps(result), flush=True)
            except Exception as e:
                print(f"server: {e!r}", file=sys.stderr)
            self.transport.loseConnection()

        def connectionLost(self, reason: Any = None) -> None:
            reactor.callLater(0, reactor.stop)

    factory = serverFactory(impl, pkiDir, protocol.Factory.forProtocol(Rekeyer), row.suite)
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    print(json.dumps({"port": port.getHost().port}), flush=True)  # type: ignore[attr-defined]
    reactor.run()


def runClient(impl: str, pkiDir: str, row: Row, port: int, operations: int) -> None:
    """
    Child process: connect, echo whatever arrives, go along with every
    renegotiation or key update, print what was negotiated at the end.
    """
    from twisted.internet import protocol, reactor
    from twisted.internet.interfaces import IHandshakeListener
    from zope.interface import implementer

    @implementer(IHandshakeListener)
    class Echo(protocol.Protocol):
        transport: Any  # ours' TLSProtocol or Twisted's TLSMemoryBIOProtocol
        info: dict[str, Any] | None = None

        def handshakeCompleted(self) -> None:
            self.info = negotiated(impl, self.transport)

        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

        def connectionLost(self, reason: Any = None) -> None:
            print(json.dumps({"negotiated": self.info}), flush=True)
            reactor.callLater(0, reactor.stop)

    factory = clientFactory(
        impl,
        pkiDir,
        protocol.ClientFactory.forProtocol(Echo),
        row.suite,
        renegotiations=operations + 1,
    )
    reactor.connectTCP("127.0.0.1", port, factory)
    reactor.run()


def oneRun(impl: str, pkiDir: str, row: Row, count: int, warmup: int) -> dict[str, Any]:
    """
    One server process and one client process.

    @return: C{cpuMs} per operation and C{rss} (KiB after warm-up,
        half-way, end) from the server.
    """
    common = ["--impl", impl, "--pki", pkiDir, "--row", row.key]
    common += ["--count", str(count), "--warmup", str(warmup)]
    serverOut, client = runServerAndClient(os.path.abspath(__file__), common)
    if not serverOut.strip():
        raise SystemExit(f"{row.key} {impl}: the server reported nothing")
    result = json.loads(serverOut.splitlines()[-1])
    clientInfo = (
        json.loads(client.stdout.splitlines()[-1])["negotiated"] if client.stdout else None
    )
    checkNegotiated(f"{row.key} server", impl, result["negotiated"], row.suite)
    checkNegotiated(f"{row.key} server, at the end", impl, result["after"], row.suite)
    checkNegotiated(f"{row.key} client", impl, clientInfo, row.suite)
    if result["operations"] != count + warmup:
        raise SystemExit(
            f"{row.key} {impl}: {result['operations']} operations seen, {count + warmup} made"
        )
    return {"cpuMs": result["cpu"] * 1000 / count, "rss": result["rss"]}


def measure(
    pkiDir: str,
    rows: list[Row],
    impls: list[str],
    count: int,
    runs: int,
    warmup: int = 10,
    log: Any = print,
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, list[float]]]]:
    """
    Run every row C{runs} times for each implementation that can do it.

    @return: server CPU ms per operation, and server RSS growth in KiB over
        the second half of the operations, each by row key and
        implementation.
    """
    cpus: dict[str, dict[str, list[float]]] = {r.key: {i: [] for i in IMPLS} for r in rows}
    growth: dict[str, dict[str, list[float]]] = {r.key: {i: [] for i in IMPLS} for r in rows}
    for run in range(runs):
        for row in rows:
            for impl in impls:
                if impl not in row.impls:
                    continue
                result = oneRun(impl, pkiDir, row, count, warmup)
                rss = result["rss"]
                cpus[row.key][impl].append(result["cpuMs"])
                growth[row.key][impl].append(rss[2] - rss[1])
                log(
                    f"  run {run + 1} {row.key:16s} {impl:10s} {result['cpuMs']:7.2f} ms CPU/op"
                    f"  RSS KiB after warm-up/half/end {rss[0]:.0f}/{rss[1]:.0f}/{rss[2]:.0f}"
                )
    return cpus, growth


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="timed operations (default 300)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed operations first")
    parser.add_argument("--runs", type=int, default=3, help="runs per row and impl")
    parser.add_argument("--impl", choices=["both", "ours", "pyopenssl"], default="both")
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
        return runServer(args.impl, args.pki, rows[0], args.count, args.warmup)
    if args.role == "client":
        return runClient(args.impl, args.pki, rows[0], args.port, args.count + args.warmup)

    from twisted_reneg.testing.pki import makePKI

    impls = list(IMPLS) if args.impl == "both" else [args.impl]
    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        print(f"re-keying one connection: {args.count} timed operations per run")
        cpus, growth = measure(pkiDir, rows, impls, args.count, args.runs, args.warmup)
    print()
    printTable("median server CPU ms per operation", [(r.label, cpus[r.key]) for r in rows])
    printTable("median server RSS growth, 2nd half, KiB", [(r.label, growth[r.key]) for r in rows])


if __name__ == "__main__":
    main()
