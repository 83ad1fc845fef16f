"""
Exporters without Twisted: two sans-IO engines (TLSConnection) wired back to
back in memory, as an asyncio or trio adapter would drive them over a socket.

Run it: python docs/examples/engine_exporter.py  (exit status 0 on success)
"""

from __future__ import annotations

import tempfile

from twisted_reneg.testing.pki import makePKI
from twisted_reneg.tls.config import TLS12, TLSConfig
from twisted_reneg.tls.connection import TLSConnection
from twisted_reneg.tls.credentials import Credential, PeerVerifier
from twisted_reneg.tls.errors import LocalUsageError


def pump(client: TLSConnection, server: TLSConnection) -> None:
    """
    Move bytes both ways until neither engine has anything to send.
    """
    while True:
        toServer, toClient = client.dataToSend(), server.dataToSend()
        if not toServer and not toClient:
            return
        server.receiveData(toServer)
        client.receiveData(toClient)


with tempfile.TemporaryDirectory() as directory:
    pki = makePKI(directory)
leaf = pki.ecdsaServer
server = TLSConnection(
    TLSConfig(isClient=False, credential=Credential((leaf.certificate,), leaf.privateKey))
)
client = TLSConnection(
    TLSConfig(
        isClient=True,
        serverName="localhost",
        verifier=PeerVerifier([pki.caCertificate]),
        maxVersion=TLS12,
    )
)
client.startHandshake()
server.startHandshake()
pump(client, server)

label, context = b"EXPERIMENTAL-engine-example", b"request 1"
key = client.exportKeyingMaterial(label, 32, context)
assert key == server.exportKeyingMaterial(label, 32, context)
# TLS 1.2 tells "no context" from an empty one (RFC 5705); TLS 1.3 does not.
assert client.exportKeyingMaterial(label, 32) != client.exportKeyingMaterial(label, 32, b"")

unique = client.channelBinding("tls-unique")
server.rehandshake()  # a TLS 1.2 renegotiation: new master secret, new Finished
pump(client, server)
assert client.channelBinding("tls-unique") != unique
assert client.exportKeyingMaterial(label, 32, context) != key
assert client.channelBinding("tls-unique") == server.channelBinding("tls-unique")

try:
    client.channelBinding("tls-unique-for-telnet")
except ValueError as e:
    print(f"refused: {e}")
try:
    TLSConnection(TLSConfig(isClient=True)).exportKeyingMaterial(label, 32)
except LocalUsageError as e:  # no handshake yet
    print(f"refused: {e}")
print("exported keys agree, and follow the renegotiation")
