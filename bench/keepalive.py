"""
HTTP/1.1 keep-alive requests per second through C{twisted.web}: a
C{Site} behind twisted_reneg's C{TLSFactory} against the same C{Site}
behind Twisted's C{TLSMemoryBIOFactory} over pyOpenSSL.

Server (the C{Site}, one small static resource) and client are separate
processes, the same implementation on both ends, TLS 1.3
TLS_AES_128_GCM_SHA256 with x25519 pinned and checked on both ends.  The
client sends C{--requests} GETs one after the other on one keep-alive
connection (after C{WARMUP} untimed ones), reading each response by its
Content-Length before sending the next, so every request is a round trip
through the TLS layer and C{twisted.web} on the server.  Not a test.

    .venv/bin/python bench/keepalive.py [--requests 2000] [--runs 3]
        [--impl both|all|ours|pyopenssl|tcp]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _common import (  # noqa: E402
    IMPLS,
    PLAIN,
    TLS13_AES128,
    checkNegotiated,
    clientFactory,
    implsFor,
    negotiated,
    printTable,
    runServerAndClient,
    serverFactory,
)

SUITE = TLS13_AES128
BODY = b"hello, world\n" * 8
REQUEST = b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"
WARMUP = 20


def runServer(impl: str, pkiDir: str) -> None:
    """
    Child process: serve C{/hello} over TLS until the client's connection
    closes; print what it negotiated.
    """
    from twisted.internet import reactor
    from twisted.web.resource import Resource
    from twisted.web.server import Site
    from twisted.web.static import Data

    root = Resource()
    root.putChild(b"hello", Data(BODY, "text/plain"))

    class OneConnectionSite(Site):
        def buildProtocol(self, addr: Any) -> Any:
            channel = super().buildProtocol(addr)
            lost = channel.connectionLost

            def connectionLost(reason: Any) -> None:
                lost(reason)
                print(json.dumps({"negotiated": info.get("server")}), flush=True)
                reactor.callLater(0, reactor.stop)

            channel.connectionLost = connectionLost
            return channel

    info: dict[str, Any] = {}
    site = OneConnectionSite(root)
    factory = serverFactory(impl, pkiDir, site, SUITE)
    build = factory.buildProtocol

    def buildProtocol(addr: Any) -> Any:
        tls = build(addr)
        # twisted.web's channel does not listen for handshakes; record
        # what was agreed when the first request arrives.
        channel = tls if impl == PLAIN else tls.wrappedProtocol
        received = channel.dataReceived

        def dataReceived(data: bytes) -> None:
            if "server" not in info:
                info["server"] = negotiated(impl, tls)
            received(data)

        channel.dataReceived = dataReceived
        return tls

    factory.buildProtocol = buildProtocol
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    print(json.dumps({"port": port.getHost().port}), flush=True)  # type: ignore[attr-defined]
    reactor.run()


def runClient(impl: str, pkiDir: str, port: int, requests: int) -> None:
    """
    Child process: C{WARMUP} then C{requests} sequential GETs on one
    connection; print the time of the timed ones and what was negotiated.
    """
    from twisted.internet import protocol, reactor
    from twisted.internet.interfaces import IHandshakeListener
    from zope.interface import implementer

    @implementer(IHandshakeListener)
    class KeepAlive(protocol.Protocol):
        transport: Any  # ours' TLSProtocol or Twisted's TLSMemoryBIOProtocol

        def __init__(self) -> None:
            self.buffer = b""
            self.done = 0
            self.start = 0.0
            self.info: dict[str, Any] | None = None

        def connectionMade(self) -> None:
            if impl == PLAIN:
                self.handshakeCompleted()  # no handshake to wait for

        def handshakeCompleted(self) -> None:
            self.info = negotiated(impl, self.transport)
            self.transport.write(REQUEST)

        def dataReceived(self, data: bytes) -> None:
            self.buffer += data
            while True:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buffer[:end].split(b"\r\n")
                if not head[0].startswith(b"HTTP/1.1 200"):
                    raise SystemExit(f"client: unexpected response {head[0]!r}")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head[1:]
                    if line.lower().startswith(b"content-length:")
                )
                if len(self.buffer) < end + 4 + length:
                    return
                self.buffer = self.buffer[end + 4 + length :]
                self.responded()

        def responded(self) -> None:
            self.done += 1
            if self.done == WARMUP:
                self.start = time.perf_counter()
            if self.done < WARMUP + requests:
                self.transport.write(REQUEST)
                return
            elapsed = time.perf_counter() - self.start
            print(json.dumps({"seconds": elapsed, "negotiated": self.info}), flush=True)
            self.transport.loseConnection()

        def connectionLost(self, reason: Any = None) -> None:
            reactor.callLater(0, reactor.stop)

    factory = clientFactory(impl, pkiDir, protocol.ClientFactory.forProtocol(KeepAlive), SUITE)
    reactor.connectTCP("127.0.0.1", port, factory)
    reactor.run()


def oneRun(impl: str, pkiDir: str, requests: int) -> float:
    """
    One server process and one client process.

    @return: requests per second.
    """
    common = ["--impl", impl, "--pki", pkiDir, "--requests", str(requests)]
    serverOut, client = runServerAndClient(os.path.abspath(__file__), common)
    if not client.stdout.strip() or not serverOut.strip():
        raise SystemExit(f"http {impl}: failed (client exit {client.returncode})")
    result = json.loads(client.stdout.splitlines()[-1])
    checkNegotiated("http client", impl, result["negotiated"], SUITE)
    checkNegotiated(
        "http server", impl, json.loads(serverOut.splitlines()[-1])["negotiated"], SUITE
    )
    return requests / result["seconds"]


def measure(
    pkiDir: str, impls: list[str], requests: int, runs: int, log: Any = print
) -> dict[str, list[float]]:
    """
    @return: requests per second by implementation.
    """
    results: dict[str, list[float]] = {i: [] for i in (*IMPLS, PLAIN)}
    for run in range(runs):
        for impl in impls:
            rate = oneRun(impl, pkiDir, requests)
            results[impl].append(rate)
            log(f"  run {run + 1} http keep-alive    {impl:10s} {rate:8.1f} requests/s")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per impl")
    parser.add_argument(
        "--impl",
        choices=["both", "all", "ours", "pyopenssl", PLAIN],
        default="both",
        help="both: ours and pyOpenSSL; all: both and plain TCP (the ceiling)",
    )
    parser.add_argument("--role", choices=["server", "client"], help=argparse.SUPPRESS)
    parser.add_argument("--pki", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "server":
        return runServer(args.impl, args.pki)
    if args.role == "client":
        return runClient(args.impl, args.pki, args.port, args.requests)

    from twisted_reneg.testing.pki import makePKI

    impls = implsFor(args.impl)
    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        print(f"HTTP/1.1 keep-alive through twisted.web: {args.requests} requests per run")
        results = measure(pkiDir, impls, args.requests, args.runs)
    print()
    printTable("median requests/s", [(f"keep-alive GET, {SUITE.label}", results)])


if __name__ == "__main__":
    main()
