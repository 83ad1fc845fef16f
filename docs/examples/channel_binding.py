"""
Channel binding over twisted_reneg, end to end on 127.0.0.1: a client proves
knowledge of a shared password *bound to this TLS connection*, the way
SCRAM-SHA-256-PLUS does, and the server checks the proof against its own
view of the connection.  A man in the middle terminating TLS would see a
different binding on each side and the proof would not verify.

Run it: python docs/examples/channel_binding.py  (exit status 0 on success)
"""

from __future__ import annotations

import hashlib
import hmac
import tempfile
from typing import Any

from twisted.internet import defer, protocol, task
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
from twisted.internet.interfaces import IHandshakeListener
from zope.interface import implementer

from twisted_reneg import ClientOptions, ServerOptions, TLSFactory
from twisted_reneg.testing.pki import makePKI

PASSWORD = b"correct horse battery staple"


def bindingFor(transport: Any) -> tuple[str, bytes]:
    """
    The channel binding to use on this connection: tls-exporter where it
    is defined (TLS 1.3; TLS 1.2 with the extended master secret),
    tls-server-end-point otherwise.
    """
    session = transport.session
    if session.version == "TLSv1.3" or session.extendedMasterSecret:
        return "tls-exporter", transport.channelBinding("tls-exporter")
    return "tls-server-end-point", transport.channelBinding("tls-server-end-point")


def proof(kind: str, binding: bytes) -> bytes:
    """
    What the client sends: a MAC of the binding under the shared secret
    (SCRAM puts the binding in its c= attribute and signs the whole
    exchange; the idea is the same).
    """
    return hmac.new(PASSWORD, kind.encode() + b"\0" + binding, hashlib.sha256).digest()


@implementer(IHandshakeListener)
class ProvingClient(protocol.Protocol):
    transport: Any

    def __init__(self) -> None:
        self.verdict: defer.Deferred[bytes] = defer.Deferred()

    def handshakeCompleted(self) -> None:
        kind, binding = bindingFor(self.transport)
        self.transport.write(proof(kind, binding))

    def dataReceived(self, data: bytes) -> None:
        self.transport.loseConnection()
        self.verdict.callback(data)


@implementer(IHandshakeListener)
class CheckingServer(protocol.Protocol):
    transport: Any

    def handshakeCompleted(self) -> None:
        kind, binding = bindingFor(self.transport)
        self.expected = proof(kind, binding)
        # Keying material for the application's own use: both ends derive
        # the same bytes, nobody else can.
        self.appKey = self.transport.exportKeyingMaterial(b"EXPERIMENTAL-example", 32)

    def dataReceived(self, data: bytes) -> None:
        ok = hmac.compare_digest(data, self.expected)
        self.transport.write(b"bound" if ok else b"REFUSED")


async def main(reactor: Any, version: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        pki = makePKI(directory)
        serverOptions = ServerOptions.fromPEM(
            pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath, maxVersion=version
        )
        clientOptions = ClientOptions("localhost", trustRoots=[pki.caCertificate])
    serverFactory = TLSFactory(serverOptions, False, protocol.Factory.forProtocol(CheckingServer))
    port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(serverFactory)
    client = ProvingClient()
    clientFactory = TLSFactory(clientOptions, True, protocol.Factory.forProtocol(lambda: client))
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port, timeout=5)
    await endpoint.connect(clientFactory)
    verdict = await client.verdict
    await port.stopListening()
    print(f"TLS {version}: server says {verdict.decode()}")
    if verdict != b"bound":
        raise SystemExit(1)


if __name__ == "__main__":
    task.react(
        lambda reactor: defer.ensureDeferred(main(reactor, "1.2")).addCallback(
            lambda _: defer.ensureDeferred(main(reactor, "1.3"))
        )
    )
