# -*- test-case-name: tests.tls.test_state_table -*-
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
from twisted_reneg.tls.config import TLS12, TLS13, ClientAuth
from twisted_reneg.tls.errors import AlertDescription
from twisted_reneg.tls.events import ConnectionFailed
from twisted_reneg.tls.messages import HandshakeType, frameHandshake, maxBodyLength
from twisted_reneg.tls.records import ContentType, RecordReader, RecordWriter

from ..enginepair import EnginePair, clientConfig, credentialOf, serverConfig

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


def runCase(side: str, step: int, wrong: int | str, oversized: bool = False) -> list[object]:
    """
    Deliver the first C{step} messages to C{side}, then C{wrong}; return
    the events of C{side}.

    @param oversized: send only the 4-byte header of C{wrong}, declaring
        one byte more than its type's syntax allows.
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
                if wrong == CCS:
                    injected = b"".join(
                        RecordWriter().writeRecords(ContentType.change_cipher_spec, b"\x01")
                    )
                elif oversized:
                    length = (maxBodyLength(int(wrong)) or 0) + 1
                    injected = handshakeRecord(bytes((int(wrong),)) + length.to_bytes(3, "big"))
                else:
                    injected = handshakeRecord(frameHandshake(int(wrong), b""))
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

    def checkOversized(self, side: str, receives: list[HandshakeType]) -> int:
        """
        The same table with each message declaring one byte more than its
        type allows: a type the state does not expect is still an
        unexpected_message (RFC 5246 7.4, RFC 8446 6.2: the state is judged
        before the length), the expected one a decode_error.
        """
        cases = 0
        for step, genuine in enumerate(receives):
            accepted = {genuine} | ALSO_ACCEPTED.get((side, step), set())
            if side == "client":
                accepted.add(H.hello_request)
            for wrong in HandshakeType:
                limit = maxBodyLength(wrong)
                if limit is None or limit >= 0xFFFFFF:
                    continue  # never legal, or no header can exceed it
                events = runCase(side, step, wrong, oversized=True)
                failures = [e for e in events if isinstance(e, ConnectionFailed)]
                label = f"{side} step {step} ({genuine.name}) given long {wrong.name}"
                self.assertEqual(len(failures), 1, label)
                wanted = (
                    AlertDescription.decode_error
                    if wrong in accepted
                    else AlertDescription.unexpected_message
                )
                self.assertEqual(failures[0].error.alert, wanted, label)
                cases += 1
        return cases

    def test_client(self) -> None:
        self.assertGreater(self.checkSide("client", CLIENT_RECEIVES), 50)

    def test_clientOversized(self) -> None:
        self.assertGreater(self.checkOversized("client", CLIENT_RECEIVES), 50)

    def test_serverOversized(self) -> None:
        self.assertGreater(self.checkOversized("server", SERVER_RECEIVES), 40)

    def test_server(self) -> None:
        self.assertGreater(self.checkSide("server", SERVER_RECEIVES), 40)


def longHeader(msgType: HandshakeType) -> bytes:
    """
    The header of a message one byte longer than its type allows.
    """
    limit = maxBodyLength(msgType)
    assert limit is not None
    return bytes((msgType,)) + (limit + 1).to_bytes(3, "big")


class EstablishedOversizedTests(SynchronousTestCase):
    """
    After the handshake the same rule: a message the connection does not
    expect is unexpected_message however long, an expected one that is too
    long a decode_error.
    """

    def deliver(self, version: int, toClient: bool, raw: bytes) -> AlertDescription:
        pair = EnginePair(clientConfig(maxVersion=version), serverConfig(maxVersion=version))
        pair.handshake()
        sender, receiver = (pair.server, pair.client) if toClient else (pair.client, pair.server)
        # Sealed under the sender's current keys, as its own handshake data.
        sender.connection.sendHandshake(raw)
        sender.connection._flushHandshake()
        events = receiver.connection.receiveData(sender.connection.dataToSend())
        failures = [e for e in events if isinstance(e, ConnectionFailed)]
        self.assertEqual(len(failures), 1, events)
        return failures[0].error.alert

    def test_tls13ServerGivenTicket(self) -> None:
        alert = self.deliver(TLS13, False, longHeader(H.new_session_ticket))
        self.assertEqual(alert, AlertDescription.unexpected_message)

    def test_tls13ServerGivenFinished(self) -> None:
        """
        No certificate request of ours pending: the client's Finished is
        not expected.
        """
        alert = self.deliver(TLS13, False, longHeader(H.finished))
        self.assertEqual(alert, AlertDescription.unexpected_message)

    def test_tls13ClientGivenCertificateRequestWithoutOffer(self) -> None:
        """
        A client that did not offer post-handshake auth expects no
        CertificateRequest.
        """
        alert = self.deliver(TLS13, True, longHeader(H.certificate_request))
        self.assertEqual(alert, AlertDescription.unexpected_message)

    def test_tls13LongKeyUpdate(self) -> None:
        self.assertEqual(
            self.deliver(TLS13, True, longHeader(H.key_update)), AlertDescription.decode_error
        )
        self.assertEqual(
            self.deliver(TLS13, False, longHeader(H.key_update)), AlertDescription.decode_error
        )

    def test_tls12ServerGivenClientKeyExchange(self) -> None:
        alert = self.deliver(TLS12, False, longHeader(H.client_key_exchange))
        self.assertEqual(alert, AlertDescription.unexpected_message)

    def test_tls12ClientGivenLongHelloRequest(self) -> None:
        alert = self.deliver(TLS12, True, longHeader(H.hello_request))
        self.assertEqual(alert, AlertDescription.decode_error)

    def test_tls12ClientGivenLongServerHelloDone(self) -> None:
        alert = self.deliver(TLS12, True, longHeader(H.server_hello_done))
        self.assertEqual(alert, AlertDescription.unexpected_message)
