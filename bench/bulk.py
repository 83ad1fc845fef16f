"""
Bulk one-way transfer over 127.0.0.1: twisted_reneg against Twisted's own
TLS (TLSMemoryBIOFactory over pyOpenSSL), same machine, same run.

TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256.  Sender and receiver are separate
processes; runs alternate between the implementations, and the medians and
the ratio us/pyOpenSSL are printed.  Not a test: timings live here only.

    .venv/bin/python bench/bulk.py [--mib 256] [--runs 3] [--impl both|ours|pyopenssl]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

SUITE = "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
OPENSSL_SUITE = "ECDHE-ECDSA-AES128-GCM-SHA256"
CHUNK = 256 * 1024


def serverFactory(impl: str, pkiDir: str, wrapped: Any) -> Any:
    if impl == "ours":
        from twisted_reneg import ServerOptions, TLSFactory

        options = ServerOptions.fromPEM(
            os.path.join(pkiDir, "ecdsa-server.pem"),
            os.path.join(pkiDir, "ecdsa-server-key.pem"),
            cipherSuites=[SUITE],
        )
        return TLSFactory(options, False, wrapped)
    from twisted.internet.ssl import (
        AcceptableCiphers,
        CertificateOptions,
        PrivateCertificate,
        TLSVersion,
    )
    from twisted.protocols.tls import TLSMemoryBIOFactory

    with open(os.path.join(pkiDir, "ecdsa-server.pem")) as c:
        with open(os.path.join(pkiDir, "ecdsa-server-key.pem")) as k:
            cert = PrivateCertificate.loadPEM(c.read() + k.read())
    contextFactory = CertificateOptions(
        privateKey=cert.privateKey.original,
        certificate=cert.original,
        raiseMinimumTo=TLSVersion.TLSv1_2,
        lowerMaximumSecurityTo=TLSVersion.TLSv1_2,
        acceptableCiphers=AcceptableCiphers.fromOpenSSLCipherString(OPENSSL_SUITE),
    )
    return TLSMemoryBIOFactory(contextFactory, False, wrapped)


def clientFactory(impl: str, pkiDir: str, wrapped: Any) -> Any:
    caPath = os.path.join(pkiDir, "ca.pem")
    if impl == "ours":
        from cryptography import x509

        from twisted_reneg import ClientOptions, TLSFactory

        with open(caPath, "rb") as f:
            ca = x509.load_pem_x509_certificate(f.read())
        options = ClientOptions("localhost", trustRoots=[ca], cipherSuites=[SUITE])
        return TLSFactory(options, True, wrapped)
    from twisted.internet.ssl import Certificate, TLSVersion, optionsForClientTLS
    from twisted.protocols.tls import TLSMemoryBIOFactory

    with open(caPath) as f:
        ca = Certificate.loadPEM(f.read())
    contextFactory = optionsForClientTLS(
        "localhost",
        trustRoot=ca,
        extraCertificateOptions={"lowerMaximumSecurityTo": TLSVersion.TLSv1_2},
    )
    return TLSMemoryBIOFactory(contextFactory, True, wrapped)


def runReceiver(impl: str, pkiDir: str, total: int) -> None:
    """
    Child process: accept one connection, count bytes, print the timing.
    """
    from twisted.internet import protocol, reactor
    from twisted.internet.interfaces import IHandshakeListener
    from zope.interface import implementer

    @implementer(IHandshakeListener)
    class Counter(protocol.Protocol):
        received = 0
        start = 0.0

        def handshakeCompleted(self) -> None:
            self.start = time.perf_counter()

        def dataReceived(self, data: bytes) -> None:
            self.received += len(data)
            if self.received >= total:
                elapsed = time.perf_counter() - self.start
                print(json.dumps({"bytes": self.received, "seconds": elapsed}), flush=True)
                self.transport.loseConnection()

        def connectionLost(self, reason: Any = None) -> None:
            reactor.callLater(0, reactor.stop)  # type: ignore[attr-defined]

    port = reactor.listenTCP(  # type: ignore[attr-defined]
        0,
        serverFactory(impl, pkiDir, protocol.Factory.forProtocol(Counter)),
        interface="127.0.0.1",
    )
    print(json.dumps({"port": port.getHost().port}), flush=True)
    reactor.run()  # type: ignore[attr-defined]


def runSender(impl: str, pkiDir: str, port: int, total: int) -> None:
    """
    Child process: connect and push C{total} bytes honouring back-pressure.
    """
    from twisted.internet import protocol, reactor
    from twisted.internet.interfaces import IHandshakeListener, IPushProducer
    from zope.interface import implementer

    block = os.urandom(CHUNK)

    @implementer(IPushProducer, IHandshakeListener)
    class Pusher(protocol.Protocol):
        sent = 0
        paused = False

        def handshakeCompleted(self) -> None:
            # Start when the keys exist, so neither implementation buffers
            # the whole transfer in front of its handshake.
            self.transport.registerProducer(self, True)
            if not self.paused:
                self.resumeProducing()

        def pauseProducing(self) -> None:
            self.paused = True

        def resumeProducing(self) -> None:
            self.paused = False
            while not self.paused and self.sent < total:
                n = min(CHUNK, total - self.sent)
                self.transport.write(block[:n] if n < CHUNK else block)
                self.sent += n
            if self.sent >= total and not self.paused:
                self.transport.unregisterProducer()
                self.transport.loseConnection()

        def stopProducing(self) -> None:
            self.paused = True

        def connectionLost(self, reason: Any = None) -> None:
            reactor.callLater(0, reactor.stop)  # type: ignore[attr-defined]

    factory = clientFactory(impl, pkiDir, protocol.ClientFactory.forProtocol(Pusher))
    reactor.connectTCP("127.0.0.1", port, factory)  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]


def oneRun(impl: str, pkiDir: str, total: int) -> float:
    me = os.path.abspath(__file__)
    receiver = subprocess.Popen(
        [
            sys.executable,
            me,
            "--role",
            "receiver",
            "--impl",
            impl,
            "--pki",
            pkiDir,
            "--bytes",
            str(total),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert receiver.stdout is not None
    port = json.loads(receiver.stdout.readline())["port"]
    sender = subprocess.Popen(
        [
            sys.executable,
            me,
            "--role",
            "sender",
            "--impl",
            impl,
            "--pki",
            pkiDir,
            "--bytes",
            str(total),
            "--port",
            str(port),
        ]
    )
    line = receiver.stdout.readline()
    sender.wait(600)
    receiver.wait(600)
    if not line:
        raise SystemExit(f"{impl}: receiver reported nothing (exit {receiver.returncode})")
    result = json.loads(line)
    if result["bytes"] < total:
        raise SystemExit(f"{impl}: short transfer {result}")
    return total / result["seconds"] / (1 << 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--impl", choices=["both", "ours", "pyopenssl"], default="both")
    parser.add_argument("--role", choices=["receiver", "sender"], help=argparse.SUPPRESS)
    parser.add_argument("--pki", help=argparse.SUPPRESS)
    parser.add_argument("--bytes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "receiver":
        return runReceiver(args.impl, args.pki, args.bytes)
    if args.role == "sender":
        return runSender(args.impl, args.pki, args.port, args.bytes)

    from twisted_reneg.testing.pki import makePKI

    impls = ["ours", "pyopenssl"] if args.impl == "both" else [args.impl]
    total = args.mib << 20
    results: dict[str, list[float]] = {i: [] for i in impls}
    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        print(f"bulk: {args.mib} MiB one way, TLS 1.2 {OPENSSL_SUITE}, {args.runs} runs each")
        for run in range(args.runs):
            for impl in impls:
                mbps = oneRun(impl, pkiDir, total)
                results[impl].append(mbps)
                print(f"  run {run + 1} {impl:10s} {mbps:8.1f} MiB/s", flush=True)
    medians = {i: statistics.median(v) for i, v in results.items()}
    for impl, median in medians.items():
        print(f"median {impl:10s} {median:8.1f} MiB/s")
    if len(medians) == 2:
        print(f"ratio us/pyOpenSSL: {medians['ours'] / medians['pyopenssl']:.2f}x")


if __name__ == "__main__":
    main()
