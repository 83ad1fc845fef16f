"""
What a renegotiation costs: renegotiations per second on one connection,
against full handshakes per second on new connections (ours and Twisted's
own TLS over pyOpenSSL), over 127.0.0.1.

Both ends run in this one process and reactor, so each figure is the cost
of both sides together, on one core.  Not a test.

    .venv/bin/python bench/renegotiation.py [--count 500]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _common import clientFactory, serverFactory  # noqa: E402
from twisted.internet import defer, protocol, reactor, task  # noqa: E402
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint  # noqa: E402
from twisted.internet.interfaces import IHandshakeListener  # noqa: E402
from zope.interface import implementer  # noqa: E402

from twisted_reneg import RenegotiationPolicy, ServerOptions, TLSFactory  # noqa: E402
from twisted_reneg.testing.pki import makePKI  # noqa: E402


@implementer(IHandshakeListener)
class HandshakeOnce(protocol.Protocol):
    def __init__(self) -> None:
        self.done: defer.Deferred[None] = defer.Deferred()

    def handshakeCompleted(self) -> None:
        if not self.done.called:
            self.done.callback(None)


async def fullHandshakes(impl: str, pkiDir: str, count: int) -> float:
    server = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
        serverFactory(impl, pkiDir, protocol.Factory.forProtocol(protocol.Protocol))
    )
    port = server.getHost().port
    made: list[HandshakeOnce] = []

    def build() -> HandshakeOnce:
        made.append(HandshakeOnce())
        return made[-1]

    # One client factory (one set of options) for all connections, as an
    # application would hold it.
    factory = clientFactory(impl, pkiDir, protocol.ClientFactory.forProtocol(build))
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)
    start = time.perf_counter()
    for _ in range(count):
        tls = await endpoint.connect(factory)
        await made[-1].done
        tls.transport.abortConnection()
    elapsed = time.perf_counter() - start
    await server.stopListening()
    return count / elapsed


async def renegotiations(pkiDir: str, count: int) -> float:
    options = ServerOptions.fromPEM(
        os.path.join(pkiDir, "ecdsa-server.pem"),
        os.path.join(pkiDir, "ecdsa-server-key.pem"),
        cipherSuites=["ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
        renegotiation=RenegotiationPolicy(allowPeerInitiated=True, maxPeerInitiated=count + 1),
    )
    server = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
        TLSFactory(options, False, protocol.Factory.forProtocol(protocol.Protocol))
    )
    client = HandshakeOnce()
    factory = clientFactory("ours", pkiDir, protocol.ClientFactory.forProtocol(lambda: client))
    tls = await TCP4ClientEndpoint(reactor, "127.0.0.1", server.getHost().port).connect(factory)
    await client.done
    start = time.perf_counter()
    for _ in range(count):
        await tls.rehandshake()
    elapsed = time.perf_counter() - start
    tls.abortConnection()
    await server.stopListening()
    return count / elapsed


async def main(reactor: Any) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        print(f"{args.count} each, ECDHE-ECDSA-AES128-GCM-SHA256 (x25519, P-256 certificate)")
        ours = await fullHandshakes("ours", pkiDir, args.count)
        theirs = await fullHandshakes("pyopenssl", pkiDir, args.count)
        reneg = await renegotiations(pkiDir, args.count)
    print(f"full handshakes, ours:              {ours:8.1f} /s")
    print(f"full handshakes, pyOpenSSL:         {theirs:8.1f} /s")
    print(f"renegotiations on one connection:   {reneg:8.1f} /s")
    print(f"ratio handshakes us/pyOpenSSL:      {ours / theirs:.2f}x")
    print(f"one renegotiation costs {ours / reneg:.2f}x one full handshake of ours")


if __name__ == "__main__":
    task.react(lambda r: defer.ensureDeferred(main(r)))
