"""
Bytes on a raw TCP connection, no TLS library involved: a record framed
by hand, a minimal TLS 1.2 ClientHello, and a peer that sends fixed
bytes and records the answer.
"""

from __future__ import annotations

import os
import struct

from twisted.internet import defer, protocol
from twisted.python.failure import Failure

from twisted_reneg.tls.extensions import Extensions
from twisted_reneg.tls.messages import ClientHello


def record(contentType: int, body: bytes, version: int = 0x0303) -> bytes:
    """
    @return: C{body} framed as one plaintext record of C{contentType}.
    """
    return struct.pack(">BHH", contentType, version, len(body)) + body


def clientHello() -> bytes:
    """
    @return: a TLS 1.2 ClientHello message (with its handshake header)
        offering one ECDSA suite (and the renegotiation SCSV), X25519 and
        ecdsa_secp256r1_sha256.
    """
    return ClientHello(
        legacyVersion=0x0303,
        random=os.urandom(32),
        sessionId=b"",
        cipherSuites=(0xC02B, 0x00FF),
        compressionMethods=b"\x00",
        extensions=Extensions(((10, b"\x00\x02\x00\x1d"), (13, b"\x00\x02\x04\x03"))),
    ).toBytes()


class RawPeer(protocol.Protocol):
    """
    Sends fixed bytes, records everything it gets until the connection ends.
    """

    def __init__(self, toSend: bytes, halfClose: bool = False) -> None:
        self.toSend = toSend
        self.halfClose = halfClose
        self.received = bytearray()
        self.done: defer.Deferred[bytes] = defer.Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.toSend)
        if self.halfClose:
            self.transport.loseConnection()

    def dataReceived(self, data: bytes) -> None:
        self.received += data

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.done.callback(bytes(self.received))
