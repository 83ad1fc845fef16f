# -*- test-case-name: tests.test_engine_fuzz -*-
"""
Nothing the peer sends may raise out of the engine: random bytes, and
random mutations of a real handshake flight, fed to engines in every
phase, give events (a failure at worst), never an exception, and leave
only bounded buffers behind.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.connection import TLSConnection
from twisted_reneg.tls.events import ConnectionFailed
from twisted_reneg.tls.records import MAX_CIPHERTEXT

from .enginepair import EnginePair, clientConfig, serverConfig

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def bufferedBytes(connection: TLSConnection) -> int:
    reader = connection._reader  # noqa: SLF001
    return len(reader._buf) - reader._pos + len(connection._handshakeIn._buf)  # noqa: SLF001


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
