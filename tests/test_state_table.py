# -*- test-case-name: tests.test_state_table -*-
"""
Every (state, message) pair of the TLS 1.2 handshake before keys change:
in each state, every message type the state does not expect (and a
ChangeCipherSpec) ends the connection with unexpected_message.

Each case is a fresh handshake between our engines, with client
certificates on so that every state is visited, in which the side under
test gets the genuine messages up to step i and then the wrong one.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.config import ClientAuth
from twisted_reneg.tls.errors import AlertDescription
from twisted_reneg.tls.events import ConnectionFailed
from twisted_reneg.tls.messages import HandshakeType, frameHandshake
from twisted_reneg.tls.records import ContentType, RecordReader, RecordWriter

from .enginepair import EnginePair, clientConfig, credentialOf, serverConfig

H = HandshakeType
CCS = "change_cipher_spec"

#: What each side receives, in order, before the peer's ChangeCipherSpec.
CLIENT_RECEIVES = [
    H.server_hello,
    H.certificate,
    H.server_key_exchange,
    H.certificate_request,
    H.server_hello_done,
]
SERVER_RECEIVES = [H.client_hello, H.certificate, H.client_key_exchange, H.certificate_verify]

#: Messages a state may legitimately see at step i besides the genuine one.
ALSO_ACCEPTED = {("client", 3): {H.server_hello_done}}


def newPair() -> EnginePair:
    pki = cachedPKI()
    return EnginePair(
        clientConfig(credential=credentialOf(pki.ecdsaClient)),
        serverConfig(clientAuth=ClientAuth.REQUIRE),
    )


def plaintextMessages(data: bytes) -> list[tuple[int, bytes]]:
    """
    Split plaintext handshake records into (type, raw message) pairs; any
    other record ends the list (keys are about to change).
    """
    reader = RecordReader()
    reader.feed(data)
    out: list[tuple[int, bytes]] = []
    while (record := reader.nextRecord()) is not None:
        contentType, payload = record
        if contentType != ContentType.handshake:
            out.append((-1, b""))
            break
        pos = 0
        while pos < len(payload):
            length = int.from_bytes(payload[pos + 1 : pos + 4], "big")
            out.append((payload[pos], payload[pos : pos + 4 + length]))
            pos += 4 + length
    return out


def handshakeRecord(raw: bytes) -> bytes:
    return b"".join(RecordWriter().writeRecords(ContentType.handshake, raw))


def runCase(side: str, step: int, wrong: int | str) -> list[object]:
    """
    Deliver the first C{step} messages to C{side}, then C{wrong}; return
    the events of C{side}.
    """
    pair = newPair()
    target = pair.client if side == "client" else pair.server
    peer = pair.server if side == "client" else pair.client
    delivered = 0
    events: list[object] = []
    # The client speaks first: give the server its ClientHello unless the
    # server itself is under test (then it is part of the count).
    for _ in range(10):
        data = peer.connection.dataToSend()
        if side == "client" and not data:
            # Let the server answer what the client sent.
            peer.events.extend(peer.connection.receiveData(target.connection.dataToSend()))
            data = peer.connection.dataToSend()
        if side == "server" and not data:
            data = b""
        messages = plaintextMessages(data) if data else []
        for msgType, raw in messages:
            if msgType == -1:
                raise AssertionError(f"keys changed before step {step}")
            if delivered == step:
                injected = (
                    b"".join(RecordWriter().writeRecords(ContentType.change_cipher_spec, b"\x01"))
                    if wrong == CCS
                    else handshakeRecord(frameHandshake(int(wrong), b""))
                )
                events.extend(target.connection.receiveData(injected))
                return events
            events.extend(target.connection.receiveData(handshakeRecord(raw)))
            delivered += 1
        # The side under test answers; its peer reads the answer.
        answer = target.connection.dataToSend()
        if answer:
            peer.events.extend(peer.connection.receiveData(answer))
    raise AssertionError(f"step {step} never reached")


class StateTableTests(SynchronousTestCase):
    def checkSide(self, side: str, receives: list[HandshakeType]) -> int:
        cases = 0
        for step, genuine in enumerate(receives):
            accepted = {genuine} | ALSO_ACCEPTED.get((side, step), set())
            if side == "client":
                accepted.add(H.hello_request)  # ignored during a handshake (RFC 5246 7.4.1.1)
            for wrong in [*HandshakeType, CCS]:
                if wrong in accepted:
                    continue
                events = runCase(side, step, wrong)
                failures = [e for e in events if isinstance(e, ConnectionFailed)]
                label = (
                    f"{side} step {step} ({genuine.name}) given {getattr(wrong, 'name', wrong)}"
                )
                self.assertEqual(len(failures), 1, label)
                self.assertEqual(
                    failures[0].error.alert, AlertDescription.unexpected_message, label
                )
                cases += 1
        return cases

    def test_client(self) -> None:
        self.assertGreater(self.checkSide("client", CLIENT_RECEIVES), 50)

    def test_server(self) -> None:
        self.assertGreater(self.checkSide("server", SERVER_RECEIVES), 40)
