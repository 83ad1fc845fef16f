"""
Memory per idle established TLS connection, on the server and on the
client: twisted_reneg against Twisted's own TLS (TLSMemoryBIOFactory over
pyOpenSSL).

The server (one process) accepts a control connection, measures its RSS
(after a garbage collection) and says so; the client (another process)
then opens C{--conns} more TLS connections, a batch at a time, each
finished with the handshake and then idle.  Once the server has seen every
handshake complete and the flights after it (TLS 1.3 tickets) are out, it
measures its RSS again; the figure is the difference divided by
C{--conns}, in KiB.  It covers everything the server keeps for a
connection: the TCP transport, the TLS layer and the application protocol
(which stores nothing).  The client measures its own RSS the same way,
before its first idle connection and when the server says it has measured;
its protocol keeps two Deferreds per connection, the same for both
implementations.  Kernel socket buffers are not in RSS.  Every
connection's negotiated version, suite and group is checked on the
server.  Not a test.

    .venv/bin/python bench/idle.py [--conns 1000] [--runs 3]
        [--impl both|ours|pyopenssl] [--suite tls13-aes128-gcm|tls12-aes128-gcm]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import tempfile
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

SUITES = {s.key: s for s in (TLS13_AES128, TLS12_AES128)}
#: Connections the client opens at once: below the listen backlog.
BATCH = 25
#: How long the server lets the last flights settle before measuring: for
#: ours, well past two cipher-idle periods (DEFAULT_CIPHER_IDLE_TIME), after
#: which an idle connection has dropped its cipher contexts.
SETTLE = 2.5


def _raiseFileLimit(need: int) -> None:
    """
    Lift the soft limit on open files to what C{need} sockets take, if the
    hard limit allows it.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, need + 64), hard))


def runServer(impl: str, pkiDir: str, suite: Suite, conns: int) -> None:
    """
    Child process: see the module docstring.
    """
    from twisted.internet import protocol, reactor
    from twisted.internet.interfaces import IHandshakeListener
    from zope.interface import implementer

    _raiseFileLimit(conns)
    state: dict[str, Any] = {"control": None, "baseline": 0.0, "infos": []}

    def measureIdle() -> None:
        after = residentKiB()
        # Only the distinct outcomes: a line per connection would overfill
        # the pipe while the parent still waits for the client.
        distinct = {json.dumps(i, sort_keys=True) for i in state["infos"]}
        result = {
            "baseline": state["baseline"],
            "after": after,
            "connections": len(state["infos"]),
            "negotiated": [json.loads(i) for i in sorted(distinct)],
        }
        print(json.dumps(result), flush=True)
        state["control"].transport.write(b"done")

    @implementer(IHandshakeListener)
    class Idle(protocol.Protocol):
        transport: Any  # ours' TLSProtocol or Twisted's TLSMemoryBIOProtocol

        def handshakeCompleted(self) -> None:
            info = negotiated(impl, self.transport)
            if state["control"] is None:
                state["control"] = self
                state["control_info"] = info
                # Let the control connection's tickets go out first.
                reactor.callLater(SETTLE, self.ready)
                return
            state["infos"].append(info)
            if len(state["infos"]) == conns:
                reactor.callLater(SETTLE, measureIdle)

        def ready(self) -> None:
            state["baseline"] = residentKiB()
            self.transport.write(b"ready")

        def connectionLost(self, reason: Any = None) -> None:
            if self is state["control"]:
                reactor.callLater(0, reactor.stop)

    factory = serverFactory(impl, pkiDir, protocol.Factory.forProtocol(Idle), suite)
    port = reactor.listenTCP(0, factory, interface="127.0.0.1", backlog=BATCH * 4)
    print(json.dumps({"port": port.getHost().port}), flush=True)  # type: ignore[attr-defined]
    reactor.run()


async def clientLoop(impl: str, pkiDir: str, suite: Suite, port: int, conns: int) -> None:
    """
    Child process body: the control connection, then C{conns} idle ones;
    close everything once the server says it has measured.
    """
    from twisted.internet import defer, protocol, reactor
    from twisted.internet.endpoints import TCP4ClientEndpoint
    from twisted.internet.interfaces import IHandshakeListener
    from zope.interface import implementer

    @implementer(IHandshakeListener)
    class Client(protocol.Protocol):
        transport: Any

        def __init__(self) -> None:
            self.handshake: defer.Deferred[None] = defer.Deferred()
            self.messages: dict[bytes, defer.Deferred[None]] = {
                b"ready": defer.Deferred(),
                b"done": defer.Deferred(),
            }
            self.received = b""

        def handshakeCompleted(self) -> None:
            self.handshake.callback(None)

        def dataReceived(self, data: bytes) -> None:
            self.received += data
            for word, d in self.messages.items():
                if word in self.received and not d.called:
                    d.callback(None)

    factory = clientFactory(impl, pkiDir, protocol.ClientFactory.forProtocol(Client), suite)
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)

    async def connect() -> Any:
        wrapper = await endpoint.connect(factory)
        # The wrapping protocol's wrapped protocol is ours.
        client = wrapper.wrappedProtocol
        await client.handshake
        return client

    control = await connect()
    await control.messages[b"ready"]
    gc.collect()
    before = residentKiB()
    idle: list[Any] = []
    while len(idle) < conns:
        batch = min(BATCH, conns - len(idle))
        idle += await defer.gatherResults([defer.ensureDeferred(connect()) for _ in range(batch)])
    # "done" comes SETTLE seconds after the server saw the last handshake.
    await control.messages[b"done"]
    gc.collect()
    print(json.dumps({"client": (residentKiB() - before) / conns}), flush=True)
    for client in idle:
        client.transport.abortConnection()
    control.transport.loseConnection()


def runClient(impl: str, pkiDir: str, suite: Suite, port: int, conns: int) -> None:
    from twisted.internet import defer, task

    _raiseFileLimit(conns)
    task.react(lambda _: defer.ensureDeferred(clientLoop(impl, pkiDir, suite, port, conns)))


def oneRun(impl: str, pkiDir: str, suite: Suite, conns: int) -> float:
    """
    One server process and one client process.

    @return: server and client KiB per idle connection.
    """
    common = ["--impl", impl, "--pki", pkiDir, "--suite", suite.key, "--conns", str(conns)]
    serverOut, client = runServerAndClient(os.path.abspath(__file__), common)
    if client.returncode != 0 or not serverOut.strip() or not client.stdout.strip():
        raise SystemExit(f"idle {suite.key} {impl}: failed (client exit {client.returncode})")
    result = json.loads(serverOut.splitlines()[-1])
    if result["connections"] != conns:
        raise SystemExit(f"idle {suite.key} {impl}: wrong number of connections")
    for info in result["negotiated"]:
        checkNegotiated(f"idle {suite.key} server", impl, info, suite)
    clientKiB = json.loads(client.stdout.splitlines()[-1])["client"]
    return (result["after"] - result["baseline"]) / conns, clientKiB


def measure(
    pkiDir: str, suites: list[Suite], impls: list[str], conns: int, runs: int, log: Any = print
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, list[float]]]]:
    """
    @return: server and client KiB per idle connection, each by suite key
        and implementation.
    """
    server: dict[str, dict[str, list[float]]] = {s.key: {i: [] for i in IMPLS} for s in suites}
    client: dict[str, dict[str, list[float]]] = {s.key: {i: [] for i in IMPLS} for s in suites}
    for run in range(runs):
        for suite in suites:
            for impl in impls:
                serverKiB, clientKiB = oneRun(impl, pkiDir, suite, conns)
                server[suite.key][impl].append(serverKiB)
                client[suite.key][impl].append(clientKiB)
                log(
                    f"  run {run + 1} {suite.key:17s} {impl:10s} {serverKiB:7.2f} KiB per"
                    f" connection on the server, {clientKiB:7.2f} on the client"
                )
    return server, client


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--conns", type=int, default=1000, help="idle connections (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per suite and impl")
    parser.add_argument("--impl", choices=["both", "ours", "pyopenssl"], default="both")
    parser.add_argument("--suite", action="append", choices=["all", *SUITES])
    parser.add_argument("--role", choices=["server", "client"], help=argparse.SUPPRESS)
    parser.add_argument("--pki", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.suite or "all" in args.suite:
        suites = list(SUITES.values())
    else:
        suites = [SUITES[k] for k in dict.fromkeys(args.suite)]
    if args.role == "server":
        return runServer(args.impl, args.pki, suites[0], args.conns)
    if args.role == "client":
        return runClient(args.impl, args.pki, suites[0], args.port, args.conns)

    from twisted_reneg.testing.pki import makePKI

    impls = list(IMPLS) if args.impl == "both" else [args.impl]
    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        print(f"idle connections: {args.conns} per run, RSS delta")
        server, client = measure(pkiDir, suites, impls, args.conns, args.runs)
    print()
    printTable("median server KiB per idle connection", [(s.label, server[s.key]) for s in suites])
    printTable("median client KiB per idle connection", [(s.label, client[s.key]) for s in suites])


if __name__ == "__main__":
    main()
