# -*- test-case-name: tests.tls.test_reassembly -*-
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

    def assertRefusedFromHeader(
        self, header: bytes, alert: AlertDescription, buffer: HandshakeBuffer | None = None
    ) -> None:
        buffer = buffer or HandshakeBuffer()
        buffer.feed(header)
        with self.assertRaises(PeerError) as caught:
            buffer.nextMessage()
        self.assertEqual(caught.exception.alert, alert)

    def test_longerThanItsSyntaxAllows(self) -> None:
        """
        A ClientHello can legally be 131396 bytes (RFC 5246 7.4.1.2 at its
        vectors' maxima); one byte more cannot conform to the syntax:
        decode_error (RFC 8446 6.2), from the header alone.
        """
        buffer = HandshakeBuffer()
        buffer.feed(b"\x01" + (131396).to_bytes(3, "big"))
        self.assertIsNone(buffer.nextMessage())
        self.assertRefusedFromHeader(
            b"\x01" + (131397).to_bytes(3, "big"), AlertDescription.decode_error
        )
        self.assertRefusedFromHeader(b"\x01\xff\xff\xff", AlertDescription.decode_error)
        self.assertRefusedFromHeader(b"\x14\x00\x00\x41", AlertDescription.decode_error)
        self.assertRefusedFromHeader(b"\x0e\x00\x00\x01", AlertDescription.decode_error)

    def test_certificateBeyondOurLimit(self) -> None:
        """
        A Certificate may be 2^24-1 bytes by its syntax; past our limit it
        is legal but too much to hold: illegal_parameter.
        """
        buffer = HandshakeBuffer(maxCertificateLength=1000)
        buffer.feed(b"\x0b\x00\x03\xe8")
        self.assertIsNone(buffer.nextMessage())
        self.assertRefusedFromHeader(
            b"\x0b\x00\x03\xe9",
            AlertDescription.illegal_parameter,
            HandshakeBuffer(maxCertificateLength=1000),
        )

    def test_unknownTypeFromHeader(self) -> None:
        """
        A type that never travels is unexpected whatever its length, so a
        peer cannot make us buffer it.
        """
        self.assertRefusedFromHeader(b"\x03\xff\xff\xff", AlertDescription.unexpected_message)
        self.assertRefusedFromHeader(b"\xfe\x00\x00\x20", AlertDescription.unexpected_message)


class PropertyTests(SynchronousTestCase):
    @settings(max_examples=150, deadline=None)
    @given(
        st.lists(
            st.tuples(st.sampled_from([1, 2, 4, 8, 11, 13, 15]), st.binary(max_size=500)),
            max_size=6,
        ),
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
        buffer = HandshakeBuffer(maxCertificateLength=1000)
        buffer.feed(data)
        try:
            drain(buffer)
        except PeerError:
            pass
