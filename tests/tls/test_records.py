# -*- test-case-name: tests.tls.test_records -*-
"""
The record layer: framing, fragmentation, AEAD protection and nonces,
sequence numbers and the limits on what a peer may send.
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.errors import AlertDescription, LocalUsageError, PeerError
from twisted_reneg.tls.records import (
    HEADER_LENGTH,
    MAX_CIPHERTEXT,
    MAX_PLAINTEXT,
    ContentType,
    RecordReader,
    RecordWriter,
    tls12Protection,
    tls13Protection,
)

A = AlertDescription
KEYS = {
    "AES-128-GCM": (bytes(range(16)), bytes(range(100, 104))),
    "AES-256-GCM": (bytes(range(32)), bytes(range(100, 104))),
    "CHACHA20-POLY1305": (bytes(range(32)), bytes(range(100, 112))),
}


def protectedPair(aead: str = "AES-128-GCM") -> tuple[RecordWriter, RecordReader]:
    key, iv = KEYS[aead]
    writer, reader = RecordWriter(), RecordReader()
    writer.changeProtection(tls12Protection(aead, key, iv))
    reader.changeProtection(tls12Protection(aead, key, iv))
    return writer, reader


def drain(reader: RecordReader) -> list[tuple[int, bytes]]:
    out = []
    while (r := reader.nextRecord()) is not None:
        out.append(r)
    return out


class RoundTripTests(SynchronousTestCase):
    def test_everyAead(self) -> None:
        for aead in KEYS:
            writer, reader = protectedPair(aead)
            for record in writer.writeRecords(
                ContentType.application_data, b"hello " + aead.encode()
            ):
                reader.feed(record)
            self.assertEqual(drain(reader), [(23, b"hello " + aead.encode())], aead)

    def test_fragmentation(self) -> None:
        writer, reader = protectedPair()
        data = bytes(40000)
        records = writer.writeRecords(ContentType.application_data, data)
        self.assertEqual(len(records), 3)
        reader.feed(b"".join(records))
        got = drain(reader)
        self.assertEqual(
            [len(p) for _, p in got], [MAX_PLAINTEXT, MAX_PLAINTEXT, 40000 - 2 * MAX_PLAINTEXT]
        )
        self.assertEqual(b"".join(p for _, p in got), data)

    def test_byteByByte(self) -> None:
        writer, reader = protectedPair("CHACHA20-POLY1305")
        wire = b"".join(writer.writeRecords(ContentType.handshake, b"x" * 300))
        got = []
        for i in range(len(wire)):
            reader.feed(wire[i : i + 1])
            got.extend(drain(reader))
        self.assertEqual(got, [(22, b"x" * 300)])
        self.assertFalse(reader.hasBufferedData())

    def test_sequenceNumbers(self) -> None:
        writer, reader = protectedPair()
        for _ in range(3):
            reader.feed(writer.writeRecords(ContentType.application_data, b"a")[0])
        self.assertEqual(writer.seq, 3)
        drain(reader)
        self.assertEqual(reader.seq, 3)
        key, iv = KEYS["AES-128-GCM"]
        writer.changeProtection(tls12Protection("AES-128-GCM", key, iv))
        self.assertEqual(writer.seq, 0)

    def test_sequenceNumberMustNotWrap(self) -> None:
        writer, _ = protectedPair()
        writer._seq = (1 << 64) - 1  # noqa: SLF001 - the limit itself is under test
        self.assertRaises(LocalUsageError, writer.writeRecords, ContentType.application_data, b"x")

    def test_emptyWrites(self) -> None:
        writer = RecordWriter()
        self.assertEqual(writer.writeRecords(ContentType.handshake, b""), [])
        self.assertEqual(len(writer.writeRecords(ContentType.application_data, b"")), 1)


class NonceKnownAnswerTests(SynchronousTestCase):
    """
    Nonces built by hand from RFC 5288 and RFC 7905, checked against what
    the record layer puts on the wire.
    """

    SEQ = (1 << 40) + 5

    def test_aesGcmExplicitNonce(self) -> None:
        key, salt = KEYS["AES-128-GCM"]
        writer = RecordWriter()
        writer.changeProtection(tls12Protection("AES-128-GCM", key, salt))
        writer._seq = self.SEQ  # noqa: SLF001
        record = writer.writeRecords(ContentType.application_data, b"known answer")[0]
        explicit = record[5:13]
        self.assertEqual(explicit, bytes.fromhex("0000010000000005"))
        nonce = salt + explicit
        aad = struct.pack(">QBHH", self.SEQ, 23, 0x0303, 12)
        self.assertEqual(AESGCM(key).decrypt(nonce, record[13:], aad), b"known answer")
        self.assertEqual(record[:5], bytes.fromhex("1703030024"))

    def test_chachaXorNonce(self) -> None:
        key, iv = KEYS["CHACHA20-POLY1305"]
        writer = RecordWriter()
        writer.changeProtection(tls12Protection("CHACHA20-POLY1305", key, iv))
        writer._seq = self.SEQ  # noqa: SLF001
        record = writer.writeRecords(ContentType.application_data, b"known answer")[0]
        # iv = 64..6f; XOR the 8-byte sequence number into its last 8 bytes.
        nonce = bytes.fromhex("6465666768696b6b6c6d6e6a")
        self.assertEqual(
            nonce,
            bytes(a ^ b for a, b in zip(iv, bytes(4) + self.SEQ.to_bytes(8, "big"), strict=True)),
        )
        aad = struct.pack(">QBHH", self.SEQ, 23, 0x0303, 12)
        self.assertEqual(ChaCha20Poly1305(key).decrypt(nonce, record[5:], aad), b"known answer")
        self.assertEqual(len(record), 5 + 12 + 16)


class LimitTests(SynchronousTestCase):
    def assertPeerError(self, reader: RecordReader, data: bytes, alert: A) -> None:
        reader.feed(data)
        with self.assertRaises(PeerError) as caught:
            drain(reader)
        self.assertEqual(caught.exception.alert, alert)

    def test_tamperedRecord(self) -> None:
        writer, reader = protectedPair()
        record = bytearray(writer.writeRecords(ContentType.application_data, b"secret")[0])
        record[-1] ^= 1
        self.assertPeerError(reader, bytes(record), A.bad_record_mac)

    def test_wrongSequence(self) -> None:
        writer, reader = protectedPair()
        writer.writeRecords(ContentType.application_data, b"skipped")
        self.assertPeerError(
            reader, writer.writeRecords(ContentType.application_data, b"x")[0], A.bad_record_mac
        )

    def test_shortFragment(self) -> None:
        _, reader = protectedPair()
        self.assertPeerError(reader, bytes.fromhex("1703030004") + b"abcd", A.bad_record_mac)

    def test_oversizedHeaderAlone(self) -> None:
        """
        The length is refused from the header: no body needs to arrive.
        """
        self.assertPeerError(
            RecordReader(), struct.pack(">BHH", 22, 0x0303, MAX_PLAINTEXT + 1), A.record_overflow
        )
        _, reader = protectedPair()
        self.assertPeerError(
            reader, struct.pack(">BHH", 23, 0x0303, MAX_PLAINTEXT + 2049), A.record_overflow
        )

    def test_protectedMayExpandBy2048(self) -> None:
        _, reader = protectedPair()
        reader.feed(struct.pack(">BHH", 23, 0x0303, MAX_PLAINTEXT + 2048))
        self.assertIsNone(reader.nextRecord())

    def test_unknownType(self) -> None:
        self.assertPeerError(RecordReader(), bytes.fromhex("1803030001ff"), A.unexpected_message)

    def test_badVersion(self) -> None:
        self.assertPeerError(RecordReader(), bytes.fromhex("1602030001ff"), A.decode_error)

    def test_emptyHandshakeRecord(self) -> None:
        """
        RFC 5246 6.2.1 / RFC 8446 5.1: no empty Handshake, Alert or
        ChangeCipherSpec fragments; answered as RFC 8446 5.4 does.
        """
        for contentType in (20, 21, 22):
            header = bytes((contentType,)) + bytes.fromhex("03030000")
            self.assertPeerError(RecordReader(), header, A.unexpected_message)

    def test_emptyApplicationDataAllowed(self) -> None:
        writer, reader = protectedPair()
        reader.feed(writer.writeRecords(ContentType.application_data, b"")[0])
        self.assertEqual(drain(reader), [(23, b"")])

    def test_plaintextOverflowAfterDecryption(self) -> None:
        """
        A protected record whose plaintext exceeds 2^14 is refused even
        though its ciphertext length is legal.
        """
        key, iv = KEYS["AES-128-GCM"]
        writer = RecordWriter()
        writer.changeProtection(tls12Protection("AES-128-GCM", key, iv))
        big = writer.writeRecords(
            ContentType.application_data, bytes(MAX_PLAINTEXT + 1), maxFragment=MAX_PLAINTEXT + 1
        )
        _, reader = protectedPair()
        self.assertPeerError(reader, big[0], A.record_overflow)


class PropertyTests(SynchronousTestCase):
    @settings(max_examples=200, deadline=None)
    @given(st.binary(max_size=2000))
    def test_plaintextReaderOnlyPeerErrors(self, data: bytes) -> None:
        reader = RecordReader()
        reader.feed(data)
        try:
            drain(reader)
        except PeerError:
            pass

    @settings(max_examples=200, deadline=None)
    @given(st.binary(max_size=2000))
    def test_protectedReaderOnlyPeerErrors(self, data: bytes) -> None:
        _, reader = protectedPair()
        reader.feed(data)
        try:
            drain(reader)
        except PeerError:
            pass

    @settings(max_examples=100, deadline=None)
    @given(
        st.lists(st.binary(min_size=1, max_size=3000), min_size=1, max_size=8),
        st.lists(st.integers(1, 4000), min_size=1, max_size=20),
    )
    def test_chunkingDoesNotMatter(self, messages: list[bytes], cuts: list[int]) -> None:
        writer, reader = protectedPair()
        wire = b"".join(
            r for m in messages for r in writer.writeRecords(ContentType.application_data, m)
        )
        got: list[tuple[int, bytes]] = []
        pos = 0
        for cut in cuts * (len(wire) // max(1, sum(cuts)) + 1):
            if pos >= len(wire):
                break
            reader.feed(wire[pos : pos + cut])
            pos += cut
            got.extend(drain(reader))
        reader.feed(wire[pos:])
        got.extend(drain(reader))
        self.assertEqual(b"".join(p for _, p in got), b"".join(messages))


class BatchReadTests(SynchronousTestCase):
    """
    L{RecordReader.nextRecords}: application data records read in one loop,
    from the chunk they came in.
    """

    def test_batchEndsAfterOtherRecord(self) -> None:
        """
        A batch ends with the first record that is not application data:
        the next is read only once that one was handled.  The data of the
        application data records before it comes as one.
        """
        writer, reader = protectedPair()
        wire = b"".join(
            writer.writeRecords(ContentType.application_data, b"a")
            + writer.writeRecords(ContentType.application_data, b"b")
            + writer.writeRecords(ContentType.handshake, b"\x00\x00\x00\x00")
            + writer.writeRecords(ContentType.application_data, b"c")
        )
        reader.feed(wire)
        self.assertEqual(
            [(t, bytes(p)) for t, p in reader.nextRecords()],
            [(23, b"ab"), (22, b"\x00\x00\x00\x00")],
        )
        self.assertEqual([(t, bytes(p)) for t, p in reader.nextRecords()], [(23, b"c")])
        self.assertEqual(reader.nextRecords(), [])
        self.assertFalse(reader.hasBufferedData())

    def test_faultAfterGoodRecords(self) -> None:
        """
        Records read before a forged one are returned; the fault is raised
        by the next call.
        """
        writer, reader = protectedPair()
        good = b"".join(writer.writeRecords(ContentType.application_data, b"x" * 20000))
        forged = bytearray(writer.writeRecords(ContentType.application_data, b"y")[0])
        forged[-1] ^= 1
        reader.feed(good + bytes(forged))
        self.assertEqual(b"".join(p for _, p in reader.nextRecords()), b"x" * 20000)
        with self.assertRaises(PeerError) as caught:
            reader.nextRecords()
        self.assertEqual(caught.exception.alert, A.bad_record_mac)

    def test_fedTwiceBeforeRead(self) -> None:
        """
        Chunks fed one after another without reading in between (input
        held for the driver) read as if fed at once, a record split
        between them too.
        """
        writer, reader = protectedPair()
        wire = b"".join(writer.writeRecords(ContentType.application_data, bytes(range(256)) * 200))
        for cut in (1, 7, 100, 16000, 16500, len(wire) - 3):
            reader.feed(wire[:cut])
            reader.feed(wire[cut : cut + 5])
            reader.feed(wire[cut + 5 :])
            self.assertEqual(reader.bufferedLength(), len(wire))
            got = b"".join(p for _, p in reader.nextRecords())
            self.assertEqual(got, bytes(range(256)) * 200, cut)
            self.assertFalse(reader.hasBufferedData())
            writer, reader = protectedPair()
            wire = b"".join(
                writer.writeRecords(ContentType.application_data, bytes(range(256)) * 200)
            )

    def test_partialRecordKeptAlone(self) -> None:
        """
        When a chunk ends inside a record, only that record's bytes are
        kept, not the chunk read in place.
        """
        writer, reader = protectedPair()
        wire = b"".join(writer.writeRecords(ContentType.application_data, bytes(40000)))
        reader.feed(wire[:20000])
        self.assertEqual(len(b"".join(p for _, p in reader.nextRecords())), MAX_PLAINTEXT)
        self.assertEqual(reader.nextRecords(), [])
        self.assertEqual(len(reader._buf), 20000 - (5 + 8 + MAX_PLAINTEXT + 16))
        reader.feed(wire[20000:])
        self.assertEqual(len(b"".join(p for _, p in reader.nextRecords())), 40000 - MAX_PLAINTEXT)

    @settings(max_examples=60, deadline=None)
    @given(
        st.sampled_from(
            [
                "1.2 AES-128-GCM",
                "1.2 CHACHA20-POLY1305",
                "1.3 AES-128-GCM",
                "1.3 CHACHA20-POLY1305",
            ]
        ),
        st.lists(
            st.tuples(
                st.sampled_from([ContentType.application_data] * 6 + [ContentType.handshake]),
                st.integers(0, MAX_PLAINTEXT),
                st.integers(0, 40),
            ),
            min_size=1,
            max_size=8,
        ),
        st.integers(1, 70000),
    )
    def test_batchReadsAsRecordByRecord(
        self, suite: str, records: list[tuple[int, int, int]], cut: int
    ) -> None:
        """
        L{RecordReader.nextRecords} returns what L{RecordReader.nextRecord}
        returns record by record, but for the data of consecutive non-empty
        application_data records, which comes as one: empty records stay
        records of their own, padded TLS 1.3 records lose their padding,
        a batch ends after any other record; the input cut anywhere.
        """
        version, aead = suite.split(" ")

        def pair13() -> tuple[RecordWriter, RecordReader]:
            key, iv = bytes(range(16 if aead == "AES-128-GCM" else 32)), bytes(range(12))
            writer, reader = RecordWriter(), RecordReader()
            writer.changeProtection(tls13Protection(aead, key, iv))
            reader.changeProtection(tls13Protection(aead, key, iv))
            return writer, reader

        makePair = pair13 if version == "1.3" else lambda: protectedPair(aead)
        writer, reference = makePair()
        _, reader = makePair()
        wire = []
        for n, (contentType, length, padding) in enumerate(records):
            if contentType == ContentType.handshake:
                length = max(length, 1)
            wire.append(
                writer.writeRecord(
                    contentType,
                    bytes([n]) * length,
                    min(padding, MAX_PLAINTEXT - length) if version == "1.3" else 0,
                )
            )
        data = b"".join(wire)
        reference.feed(data)
        expected: list[tuple[int, bytes]] = []
        for contentType, payload in drain(reference):
            if expected and contentType == expected[-1][0] == ContentType.application_data:
                if payload and expected[-1][1]:
                    expected[-1] = (contentType, expected[-1][1] + bytes(payload))
                    continue
            expected.append((contentType, bytes(payload)))
        got: list[tuple[int, bytes]] = []

        def read() -> None:
            while batch := reader.nextRecords():
                for contentType, payload in batch:
                    if (
                        got
                        and contentType == got[-1][0] == ContentType.application_data
                        and payload
                        and got[-1][1]
                    ):
                        got[-1] = (contentType, got[-1][1] + bytes(payload))
                    else:
                        got.append((contentType, bytes(payload)))

        reader.feed(data[:cut])
        read()
        reader.feed(data[cut:])
        read()
        self.assertEqual(got, expected)
        self.assertFalse(reader.hasBufferedData())

    def test_emptyRecordsApart(self) -> None:
        """
        An empty application_data record between two with data is returned
        on its own (the connection counts empty records), the data on
        either side of it apart.
        """
        for version in ("1.2", "1.3"):
            if version == "1.2":
                writer, reader = protectedPair()
            else:
                key, iv = bytes(range(16)), bytes(range(12))
                writer, reader = RecordWriter(), RecordReader()
                writer.changeProtection(tls13Protection("AES-128-GCM", key, iv))
                reader.changeProtection(tls13Protection("AES-128-GCM", key, iv))
            ad = ContentType.application_data
            reader.feed(
                writer.writeRecord(ad, b"a")
                + writer.writeRecord(ad, b"b")
                + writer.writeRecord(ad, b"")
                + writer.writeRecord(ad, b"c")
            )
            self.assertEqual(
                [(t, bytes(p)) for t, p in reader.nextRecords()],
                [(ad, b"ab"), (ad, b""), (ad, b"c")],
            )

    def test_splitRecordsReadInOneBatch(self) -> None:
        """
        Chunks cut inside records, as Twisted's 64 KiB reads cut bulk data:
        the record each cut splits is completed by L{RecordReader.feed},
        and it and the whole records after it come in one batch, their
        data as one.
        """
        writer, reader = protectedPair()
        data = bytes(range(256)) * 1024
        wire = b"".join(writer.writeRecords(ContentType.application_data, data))
        got = b""
        for start in range(0, len(wire), 65536):
            reader.feed(wire[start : start + 65536])
            batch = reader.nextRecords()
            got += b"".join(p for _, p in batch)
            if start and start + 65536 <= len(wire):
                # The split record and the three whole ones after it.
                self.assertEqual([t for t, _ in batch], [ContentType.application_data])
                self.assertGreaterEqual(len(batch[0][1]), 4 * MAX_PLAINTEXT)
            self.assertEqual(reader.nextRecords(), [])
        self.assertEqual(got, data)
        self.assertFalse(reader.hasBufferedData())

    def test_splitHeaderCompleted(self) -> None:
        """
        A chunk that ends inside a record's header: the next chunk
        completes the header, then the record.
        """
        # Inside the first header, and inside the second (after a whole
        # record: header, explicit nonce, 16 KiB, tag).
        for cut in (1, 2, 4, 5 + 8 + MAX_PLAINTEXT + 16 + 2):
            writer, reader = protectedPair()
            wire = b"".join(writer.writeRecords(ContentType.application_data, b"z" * 20000))
            reader.feed(wire[:cut])
            got = b"".join(p for _, p in reader.nextRecords())
            reader.feed(wire[cut:])
            got += b"".join(p for _, p in reader.nextRecords())
            self.assertEqual(got, b"z" * 20000, cut)
            self.assertFalse(reader.hasBufferedData())

    def test_oversizedSplitRecordRefused(self) -> None:
        """
        A header announcing more than any record may hold, cut from its
        body by a read, is refused as it is when it comes whole, and no
        more than a record's worth of it is copied.
        """
        _, reader = protectedPair()
        reader.feed(struct.pack(">BHH", 23, 0x0303, MAX_CIPHERTEXT + 1)[:3])
        self.assertEqual(reader.nextRecords(), [])
        reader.feed(struct.pack(">BHH", 23, 0x0303, MAX_CIPHERTEXT + 1)[3:] + bytes(30000))
        self.assertLessEqual(len(reader._buf), HEADER_LENGTH)
        with self.assertRaises(PeerError) as caught:
            reader.nextRecords()
        self.assertEqual(caught.exception.alert, A.record_overflow)
