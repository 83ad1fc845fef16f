# -*- test-case-name: tests.test_reassembly -*-
"""
Handshake reassembly across and within records.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.errors import AlertDescription, PeerError
from twisted_reneg.tls.messages import frameHandshake
from twisted_reneg.tls.reassembly import HandshakeBuffer


def drain(buffer: HandshakeBuffer) -> list[tuple[int, bytes, bytes]]:
    out = []
    while (m := buffer.nextMessage()) is not None:
        out.append(m)
    return out


class ReassemblyTests(SynchronousTestCase):
    def test_severalPerFragment(self) -> None:
        buffer = HandshakeBuffer()
        buffer.feed(frameHandshake(2, b"hello") + frameHandshake(14, b""))
        self.assertEqual(
            drain(buffer),
            [(2, b"hello", frameHandshake(2, b"hello")), (14, b"", frameHandshake(14, b""))],
        )
        self.assertFalse(buffer.hasPartial())

    def test_acrossFragments(self) -> None:
        buffer = HandshakeBuffer()
        raw = frameHandshake(11, bytes(50000))
        for i in range(0, len(raw), 16384):
            self.assertEqual(drain(buffer), [])
            buffer.feed(raw[i : i + 16384])
        self.assertEqual(drain(buffer), [(11, bytes(50000), raw)])

    def test_partial(self) -> None:
        buffer = HandshakeBuffer()
        buffer.feed(frameHandshake(20, bytes(12))[:7])
        self.assertIsNone(buffer.nextMessage())
        self.assertTrue(buffer.hasPartial())

    def test_oversizedRejectedFromHeader(self) -> None:
        buffer = HandshakeBuffer(maxMessageLength=100, maxCertificateLength=1000)
        buffer.feed(b"\x01\x00\x00\x65")
        with self.assertRaises(PeerError) as caught:
            buffer.nextMessage()
        self.assertEqual(caught.exception.alert, AlertDescription.illegal_parameter)
        certificates = HandshakeBuffer(maxMessageLength=100, maxCertificateLength=1000)
        certificates.feed(b"\x0b\x00\x03\xe8")
        self.assertIsNone(certificates.nextMessage())


class PropertyTests(SynchronousTestCase):
    @settings(max_examples=150, deadline=None)
    @given(
        st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=500)), max_size=6),
        st.integers(1, 700),
    )
    def test_chunking(self, messages: list[tuple[int, bytes]], size: int) -> None:
        raw = b"".join(frameHandshake(t, b) for t, b in messages)
        buffer = HandshakeBuffer()
        got = []
        for i in range(0, len(raw), size):
            buffer.feed(raw[i : i + size])
            got.extend((t, b) for t, b, _ in drain(buffer))
        self.assertEqual(got, messages)

    @settings(max_examples=200, deadline=None)
    @given(st.binary(max_size=3000))
    def test_randomBytesOnlyPeerError(self, data: bytes) -> None:
        buffer = HandshakeBuffer(maxMessageLength=1000)
        buffer.feed(data)
        try:
            drain(buffer)
        except PeerError:
            pass
