# -*- test-case-name: tests.tls.test_records13 -*-
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


def sealByHand(inner: bytes, seq: int = 0, recordVersion: int = 0x0303) -> bytes:
    """
    A record built straight from RFC 8446, with cryptography's AESGCM.
    """
    nonce = (int.from_bytes(IV, "big") ^ seq).to_bytes(12, "big")
    header = struct.pack(">BHH", 23, recordVersion, len(inner) + 16)
    return header + AESGCM(KEY).encrypt(nonce, inner, header)


class ProtectionTests(SynchronousTestCase):
    def test_keyOfWrongLengthRefusedAtOnce(self) -> None:
        """
        A key of the wrong size is refused when the protection is made,
        not at the first record; the sizes each AEAD takes are accepted.
        """
        for aead, good, bad in (
            ("AES-128-GCM", (16, 24, 32), (0, 15, 17, 33)),
            ("CHACHA20-POLY1305", (32,), (16, 31, 33)),
        ):
            for n in good:
                tls13Protection(aead, bytes(n), IV)
            for n in bad:
                self.assertRaises(ValueError, tls13Protection, aead, bytes(n), IV)

    def test_legacyRecordVersionIgnored(self) -> None:
        """
        RFC 8446 5.1: legacy_record_version is ignored for all purposes;
        5.2: the additional data is the header as sent.  A peer that writes
        0x0301 there is still read.
        """
        _, reader = pair()
        reader.feed(sealByHand(b"hello" + bytes((ContentType.application_data,)), 0, 0x0301))
        self.assertEqual(drain(reader), [(ContentType.application_data, b"hello")])

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


class InnerPlaintextLimitTests(SynchronousTestCase):
    """
    RFC 8446 5.4: TLSInnerPlaintext (content, type and padding) may not
    exceed 2^14 + 1 bytes; empty Handshake and Alert content is refused.
    """

    @settings(max_examples=60, deadline=None)
    @given(
        st.integers(0, MAX_PLAINTEXT + 1),
        st.integers(0, 255),
        st.sampled_from([ContentType.application_data, ContentType.handshake]),
    )
    def test_limitCountsPadding(self, content: int, padding: int, contentType: int) -> None:
        writer, reader = pair()
        data = b"x" * content
        reader.feed(writer.writeRecord(contentType, data, padding))
        inner = content + 1 + padding
        if inner > MAX_PLAINTEXT + 1:
            with self.assertRaises(PeerError) as caught:
                drain(reader)
            self.assertEqual(caught.exception.alert, A.record_overflow)
        elif content == 0 and contentType == ContentType.handshake:
            with self.assertRaises(PeerError) as caught:
                drain(reader)
            self.assertEqual(caught.exception.alert, A.unexpected_message)
        else:
            self.assertEqual(drain(reader), [(contentType, data)])

    def test_emptyAlertPaddedOrNot(self) -> None:
        for padding in (0, 1, 200):
            writer, reader = pair()
            reader.feed(writer.writeRecord(ContentType.alert, b"", padding))
            with self.assertRaises(PeerError) as caught:
                drain(reader)
            self.assertEqual(caught.exception.alert, A.unexpected_message)

    def test_paddingOnlyForTLS13(self) -> None:
        self.assertRaises(ValueError, RecordWriter().writeRecord, 23, b"x", 1)


class PlaintextAlertTests(SynchronousTestCase):
    """
    A TLS 1.3 server reads a client's plaintext alert until the first
    protected record from it decrypts; never before it is allowed.
    """

    ALERT = struct.pack(">BHHBB", 21, 0x0303, 2, 2, 47)

    def test_readUntilFirstDecryption(self) -> None:
        writer, reader = pair()
        reader.allowPlaintextAlerts()
        reader.feed(self.ALERT)
        self.assertEqual(drain(reader), [(ContentType.alert, b"\x02\x2f")])
        reader.feed(writer.writeRecord(ContentType.handshake, b"\x14\x00\x00\x00"))
        drain(reader)
        reader.feed(self.ALERT)
        with self.assertRaises(PeerError) as caught:
            drain(reader)
        self.assertEqual(caught.exception.alert, A.unexpected_message)

    def test_refusedUnlessAllowed(self) -> None:
        _, reader = pair()
        reader.feed(self.ALERT)
        with self.assertRaises(PeerError) as caught:
            drain(reader)
        self.assertEqual(caught.exception.alert, A.unexpected_message)


class SkipAfterRetryTests(SynchronousTestCase):
    """
    RFC 8446 4.2.10: with no keys (after a HelloRetryRequest), 0-RTT
    records are skipped up to the budget, until a handshake record.
    """

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.integers(1, 3000), max_size=8), st.integers(1, 10000))
    def test_budget(self, sizes: list[int], budget: int) -> None:
        reader = RecordReader()
        reader.skipEarlyData(budget)
        for size in sizes:
            reader.feed(struct.pack(">BHH", 23, 0x0303, size) + bytes(size))
        hello = struct.pack(">BHH", 22, 0x0303, 4) + b"\x01\x00\x00\x00"
        reader.feed(hello)
        if sum(sizes) > budget:
            with self.assertRaises(PeerError) as caught:
                drain(reader)
            self.assertEqual(caught.exception.alert, A.unexpected_message)
        else:
            self.assertEqual(drain(reader), [(ContentType.handshake, b"\x01\x00\x00\x00")])
            # The handshake record ended the skipping.
            reader.feed(struct.pack(">BHH", 23, 0x0303, 1) + b"x")
            self.assertEqual(drain(reader), [(ContentType.application_data, b"x")])
