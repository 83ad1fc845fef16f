# -*- test-case-name: tests.tls.test_wire -*-
"""
The bounded reader and writer every parser is built on.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.errors import DecodeError
from twisted_reneg.tls.wire import Reader, Writer


class ReaderTests(SynchronousTestCase):
    def test_readPastEnd(self) -> None:
        reader = Reader(b"abc")
        self.assertEqual(reader.readBytes(2), b"ab")
        self.assertRaises(DecodeError, reader.readBytes, 2)
        self.assertRaises(DecodeError, reader.readBytes, -1)

    def test_uints(self) -> None:
        reader = Reader(bytes.fromhex("01 0203 040506"))
        self.assertEqual(
            (reader.readUint8(), reader.readUint16(), reader.readUint24()), (1, 0x0203, 0x040506)
        )
        self.assertTrue(reader.atEnd())
        self.assertRaises(DecodeError, reader.readUint8)

    def test_vectorBounds(self) -> None:
        self.assertRaises(DecodeError, Reader(b"\x03abc").readVector, 1, 2)
        self.assertRaises(DecodeError, Reader(b"\x01a").readVector, 1, 10, 2)
        self.assertRaises(DecodeError, Reader(b"\x05abc").readVector, 1, 10)
        self.assertEqual(Reader(b"\x00\x02ab").readVector(2, 10), b"ab")

    def test_blockMustBeConsumed(self) -> None:
        reader = Reader(b"\x03abc")
        with self.assertRaises(DecodeError):
            with reader.vector(1, 10) as block:
                block.readBytes(2)

    def test_blockCannotReadPastItsEnd(self) -> None:
        reader = Reader(b"\x02abc")
        with self.assertRaises(DecodeError):
            with reader.vector(1, 10) as block:
                block.readBytes(3)

    def test_expectEnd(self) -> None:
        self.assertRaises(DecodeError, Reader(b"x").expectEnd)


class WriterTests(SynchronousTestCase):
    def test_lengthPrefixedBackfill(self) -> None:
        writer = Writer()
        with writer.lengthPrefixed(2) as w:
            w.writeUint8(7)
            w.writeVector(1, b"xy")
        self.assertEqual(writer.getvalue(), bytes.fromhex("0004 07 02 7879"))

    def test_overflow(self) -> None:
        self.assertRaises(ValueError, Writer().writeVector, 1, bytes(256))
        writer = Writer()
        with self.assertRaises(ValueError):
            with writer.lengthPrefixed(1) as w:
                w.writeBytes(bytes(256))


class PropertyTests(SynchronousTestCase):
    @settings(max_examples=200, deadline=None)
    @given(
        st.binary(max_size=300),
        st.lists(st.sampled_from(["u8", "u16", "u24", "v1", "v2", "v3", "block"]), max_size=10),
    )
    def test_randomBytesOnlyDecodeError(self, data: bytes, operations: list[str]) -> None:
        reader = Reader(data)
        try:
            for op in operations:
                if op == "u8":
                    reader.readUint8()
                elif op == "u16":
                    reader.readUint16()
                elif op == "u24":
                    reader.readUint24()
                elif op == "block":
                    with reader.vector(2, 200) as block:
                        block.readRest()
                else:
                    reader.readVector(int(op[1]), 1 << 20)
        except DecodeError:
            pass

    @settings(max_examples=200, deadline=None)
    @given(st.sampled_from([1, 2, 3]), st.binary(max_size=255))
    def test_vectorRoundTrip(self, lengthBytes: int, data: bytes) -> None:
        writer = Writer()
        writer.writeVector(lengthBytes, data)
        reader = Reader(writer.getvalue())
        self.assertEqual(reader.readVector(lengthBytes, 1 << 24), data)
        reader.expectEnd()
