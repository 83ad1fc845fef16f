# -*- test-case-name: tests.tls.test_engine_fuzz -*-
"""
Nothing the peer sends may raise out of the engine: random bytes, and
random mutations of real handshake flights (TLS 1.2 and 1.3, tickets
offered), and arbitrary post-handshake messages, fed to engines in every
phase, give events (a failure at worst), never an exception, and leave
only bounded buffers behind.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.config import TLS13
from twisted_reneg.tls.connection import TLSConnection
from twisted_reneg.tls.events import ConnectionFailed, SessionTicketReceived
from twisted_reneg.tls.records import MAX_CIPHERTEXT
from twisted_reneg.tls.suites import NamedGroup
from twisted_reneg.tls.tickets import TicketKeys

from ..enginepair import EnginePair, clientConfig, credentialOf, serverConfig

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def bufferedBytes(connection: TLSConnection) -> int:
    reader = connection._reader  # noqa: SLF001
    return reader.bufferedLength() + len(connection._handshakeIn._buf)  # noqa: SLF001


class EngineFuzzTests(SynchronousTestCase):
    @SETTINGS
    @given(st.binary(max_size=3000), st.booleans())
    def test_randomBytesAtStart(self, data: bytes, isClient: bool) -> None:
        connection = TLSConnection(clientConfig() if isClient else serverConfig())
        connection.startHandshake()
        connection.receiveData(data)
        self.assertLessEqual(bufferedBytes(connection), MAX_CIPHERTEXT + 5 + 65536 + 4)

    @SETTINGS
    @given(st.data())
    def test_mutatedServerFlight(self, data: st.DataObject) -> None:
        """
        The server's real first flight with bytes flipped, cut or appended.
        """
        pair = EnginePair(clientConfig(), serverConfig())
        pair.server.connection.receiveData(pair.client.connection.dataToSend())
        flight = bytearray(pair.server.connection.dataToSend())
        # Positions are drawn independently of the flight's length, which
        # varies with the signature: hypothesis needs replayable draws.
        for _ in range(data.draw(st.integers(1, 4))):
            at = data.draw(st.integers(0, 1 << 20)) % len(flight)
            flight[at] = data.draw(st.integers(0, 255))
        cut = data.draw(st.integers(0, 1 << 20)) % (len(flight) + 1)
        tail = data.draw(st.binary(max_size=64))
        events = pair.client.connection.receiveData(bytes(flight[:cut]) + tail)
        for event in events:
            if isinstance(event, ConnectionFailed):
                self.assertNotIn("internal error", str(event.error))

    @SETTINGS
    @given(st.binary(max_size=3000))
    def test_randomBytesAfterHandshake(self, data: bytes) -> None:
        pair = EnginePair(clientConfig(), serverConfig()).handshake()
        events = pair.client.connection.receiveData(data)
        self.assertFalse(
            any(
                isinstance(e, ConnectionFailed) and "internal error" in str(e.error)
                for e in events
            )
        )
        self.assertLessEqual(bufferedBytes(pair.client.connection), MAX_CIPHERTEXT + 5 + 65536 + 4)


def _mutate(data: st.DataObject, flight: bytes) -> bytes:
    mutated = bytearray(flight)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, 1 << 20)) % len(mutated)
        mutated[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, 1 << 20)) % (len(mutated) + 1)
    return bytes(mutated[:cut]) + data.draw(st.binary(max_size=64))


def _noInternalError(testCase: SynchronousTestCase, events: list) -> None:
    for event in events:
        if isinstance(event, ConnectionFailed):
            testCase.assertNotIn("internal error", str(event.error))


def _pair13(**server: object) -> EnginePair:
    pki = cachedPKI()
    return EnginePair(
        clientConfig(
            maxVersion=TLS13, credential=credentialOf(pki.ecdsaClient), resumesSessions=True
        ),
        serverConfig(maxVersion=TLS13, **server),
    )


class EngineFuzz13Tests(SynchronousTestCase):
    @SETTINGS
    @given(st.data())
    def test_mutatedServerFlight(self, data: st.DataObject) -> None:
        pair = _pair13(groups=(NamedGroup.x25519,))
        pair.server.connection.receiveData(pair.client.connection.dataToSend())
        flight = pair.server.connection.dataToSend()
        _noInternalError(self, pair.client.connection.receiveData(_mutate(data, flight)))

    @SETTINGS
    @given(st.data())
    def test_mutatedClientHelloWithTicket(self, data: st.DataObject) -> None:
        """
        A ClientHello offering a real ticket (PSK, binder, key shares, the
        hybrid among them), mutated, to a server holding the ticket keys.
        """
        keys = TicketKeys()
        first = _pair13(ticketKeys=keys).handshake()
        ticket = next(
            e.ticket for e in first.client.events if isinstance(e, SessionTicketReceived)
        )
        client = TLSConnection(clientConfig(maxVersion=TLS13, resumeTicket=ticket))
        client.startHandshake()
        server = TLSConnection(serverConfig(maxVersion=TLS13, ticketKeys=keys))
        _noInternalError(self, server.receiveData(_mutate(data, client.dataToSend())))

    @SETTINGS
    @given(
        st.sampled_from([4, 8, 11, 13, 15, 20, 24, 1, 2]), st.binary(max_size=200), st.booleans()
    )
    def test_postHandshakeMessages(self, msgType: int, body: bytes, toClient: bool) -> None:
        """
        Well-protected handshake messages of any type and body after the
        handshake (tickets, CertificateRequest, PHA answers, KeyUpdate...),
        with a post-handshake request pending on the server.
        """
        pair = _pair13(ticketKeys=TicketKeys()).handshake()
        pair.server.connection.requestClientCertificate()
        pair.server.connection.dataToSend()
        sender, receiver = (pair.server, pair.client) if toClient else (pair.client, pair.server)
        sender.connection.sendHandshake(bytes((msgType,)) + len(body).to_bytes(3, "big") + body)
        sender.connection._flushHandshake()  # noqa: SLF001
        _noInternalError(self, receiver.connection.receiveData(sender.connection.dataToSend()))
