"""
Editing a flight on its way between two engines: the ClientHello in it
rewritten, for tests of what a server does with a hello no honest client
of ours would send.
"""

from __future__ import annotations

from collections.abc import Callable

from twisted_reneg.tls.messages import ClientHello, HandshakeType
from twisted_reneg.tls.records import ContentType


def rewriteClientHello(flight: bytes, change: Callable[[ClientHello], ClientHello]) -> bytes:
    """
    Rewrite the plaintext ClientHello record in C{flight} (other records,
    such as a compatibility CCS, pass as they are).

    @param change: given the parsed ClientHello, returns the one to send.
    @return: C{flight} with that ClientHello record replaced.
    """
    out = bytearray()
    while flight:
        contentType, length = flight[0], int.from_bytes(flight[3:5], "big")
        payload = flight[5 : 5 + length]
        if contentType == ContentType.handshake and payload[0] == HandshakeType.client_hello:
            payload = change(ClientHello.parse(payload[4:])).toBytes()
        out += flight[:3] + len(payload).to_bytes(2, "big") + payload
        flight = flight[5 + length :]
    return bytes(out)
