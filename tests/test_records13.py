# -*- test-case-name: tests.test_records13 -*-
"""
TLS 1.3 record protection (RFC 8446 5.2-5.4): hidden content types, the
XOR nonce, padding, and the unprotected ChangeCipherSpec of middlebox
compatibility.
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.errors import AlertDescription, PeerError
from twisted_reneg.tls.records import (
    MAX_PLAINTEXT,
    ContentType,
    RecordReader,
    RecordWriter,
    tls13Protection,
)

A = AlertDescription
KEY, IV = bytes(range(16)), bytes(range(100, 112))


def pair(aead: str = "AES-128-GCM") -> tuple[RecordWriter, RecordReader]:
    key = KEY if aead == "AES-128-GCM" else bytes(range(32))
    writer, reader = RecordWriter(), RecordReader()
    writer.changeProtection(tls13Protection(aead, key, IV))
    reader.changeProtection(tls13Protection(aead, key, IV))
    return writer, reader


def drain(reader: RecordReader) -> list[tuple[int, bytes]]:
    out = []
    while (record := reader.nextRecord()) is not None:
        out.append(record)
    return out


def sealByHand(inner: bytes, seq: int = 0) -> bytes:
    """
    A record built straight from RFC 8446, with cryptography's AESGCM.
    """
    nonce = (int.from_bytes(IV, "big") ^ seq).to_bytes(12, "big")
    header = struct.pack(">BHH", 23, 0x0303, len(inner) + 16)
    return header + AESGCM(KEY).encrypt(nonce, inner, header)


class ProtectionTests(SynchronousTestCase):
    def test_contentTypeHidden(self) -> None:
        for aead in ("AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305"):
            writer, reader = pair(aead)
            (record,) = writer.writeRecords(ContentType.handshake, b"finished")
            self.assertEqual(record[0], ContentType.application_data)
            self.assertEqual(len(record), 5 + len(b"finished") + 1 + 16)
            reader.feed(record)
            self.assertEqual(drain(reader), [(ContentType.handshake, b"finished")], aead)

    def test_knownAnswerNonceAndAdditionalData(self) -> None:
        """
        What we write decrypts with a nonce and AAD built by hand, at a
        sequence number whose XOR shows.
        """
        writer, _ = pair()
        writer._seq = (1 << 40) + 5  # noqa: SLF001
        (record,) = writer.writeRecords(ContentType.alert, b"\x01\x00")
        nonce = (int.from_bytes(IV, "big") ^ ((1 << 40) + 5)).to_bytes(12, "big")
        self.assertEqual(AESGCM(KEY).decrypt(nonce, record[5:], record[:5]), b"\x01\x00\x15")

    def test_paddingStripped(self) -> None:
        _, reader = pair()
        reader.feed(sealByHand(b"data" + bytes((23,)) + bytes(100)))
        self.assertEqual(drain(reader), [(ContentType.application_data, b"data")])

    def test_allZerosHasNoContentType(self) -> None:
        _, reader = pair()
        reader.feed(sealByHand(bytes(50)))
        with self.assertRaises(PeerError) as caught:
            drain(reader)
        self.assertEqual(caught.exception.alert, A.unexpected_message)

    def test_innerChangeCipherSpecRefused(self) -> None:
        _, reader = pair()
        reader.feed(sealByHand(b"\x01" + bytes((20,))))
        self.assertRaises(PeerError, drain, reader)

    def test_plaintextChangeCipherSpecPasses(self) -> None:
        """
        Middlebox compatibility: an unprotected CCS still parses (the
        handshake decides whether it was allowed).
        """
        _, reader = pair()
        reader.feed(bytes.fromhex("140303000101"))
        self.assertEqual(drain(reader), [(ContentType.change_cipher_spec, b"\x01")])

    def test_otherPlaintextRefused(self) -> None:
        _, reader = pair()
        reader.feed(bytes.fromhex("16030300020000"))
        with self.assertRaises(PeerError) as caught:
            drain(reader)
        self.assertEqual(caught.exception.alert, A.unexpected_message)

    def test_overflowLimits(self) -> None:
        _, reader = pair()
        reader.feed(struct.pack(">BHH", 23, 0x0303, MAX_PLAINTEXT + 257))
        with self.assertRaises(PeerError) as caught:
            drain(reader)
        self.assertEqual(caught.exception.alert, A.record_overflow)
        _, reader = pair()
        reader.feed(sealByHand(bytes(MAX_PLAINTEXT + 1) + bytes((23,))))
        with self.assertRaises(PeerError) as caught:
            drain(reader)
        self.assertEqual(caught.exception.alert, A.record_overflow)

    @settings(max_examples=150, deadline=None)
    @given(st.binary(max_size=2000))
    def test_randomBytesOnlyPeerError(self, data: bytes) -> None:
        _, reader = pair()
        reader.feed(data)
        try:
            drain(reader)
        except PeerError:
            pass
