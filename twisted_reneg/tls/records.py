# -*- test-case-name: tests.tls.test_records -*-
"""
The record layer: framing, fragmentation and AEAD protection (RFC 5246
section 6.2, RFC 5288 for AES-GCM, RFC 7905 for ChaCha20-Poly1305).

Each direction is its own object with its own protection and sequence
number, because the two directions change keys at different moments (a
ChangeCipherSpec switches one side only).  The bulk path does one AEAD call
per record, builds nonces and headers with C{struct}, and avoids copies of
application data beyond the ones C{cryptography} needs.
"""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod
from enum import IntEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from .errors import AlertDescription, DecodeError, LocalUsageError, PeerError


class ContentType(IntEnum):
    change_cipher_spec = 20
    alert = 21
    handshake = 22
    application_data = 23


MAX_PLAINTEXT = 1 << 14
#: RFC 5246 6.2.3: ciphertext may exceed the plaintext by at most 2048.
MAX_CIPHERTEXT = MAX_PLAINTEXT + 2048
TLS12_VERSION = 0x0303
HEADER_LENGTH = 5
MAX_SEQUENCE = (1 << 64) - 1

_VALID_TYPES = frozenset(int(t) for t in ContentType)
_header = struct.Struct(">BHH")
_aad = struct.Struct(">QBHH")
_seq = struct.Struct(">Q")

#: cryptography 50 seals into a caller's buffer (C{encrypt_into}), which lets
#: a record be built in one allocation, header and all; older releases take
#: the path that concatenates.
_SEALS_INTO = hasattr(AESGCM, "encrypt_into")


#: The key sizes each AEAD takes.
_KEY_LENGTHS: dict[type, tuple[int, ...]] = {AESGCM: (16, 24, 32), ChaCha20Poly1305: (32,)}


class RecordProtection(ABC):
    """
    The AEAD state of one direction.
    """

    # The AEAD object is made from the key when a record needs it and
    # dropped again by L{release} once the connection has been idle for a
    # while (the transport decides when): cryptography keeps OpenSSL
    # contexts of some 2.4 KiB in each, and a connection has two.  Not
    # after every batch of records: remaking a context (key schedule,
    # tables, allocation) then cost a quarter of the throughput of an
    # application writing one small message per reactor turn.
    __slots__ = ("_aeadType", "_key", "_aeadObject")

    _aeadType: type[AESGCM] | type[ChaCha20Poly1305]
    _key: bytes
    _aeadObject: AESGCM | ChaCha20Poly1305 | None

    #: TLS 1.3: the real content type travels encrypted inside the record,
    #: whose outer type is always application_data (RFC 8446 5.2).
    hidesContentType: bool = False

    def _setKey(self, aeadType: type[AESGCM] | type[ChaCha20Poly1305], key: bytes) -> None:
        # A bad key fails here, not at the first record; checked by length
        # rather than by making a context only to throw it away (four or
        # five per handshake).
        if len(key) not in _KEY_LENGTHS[aeadType]:
            raise ValueError(f"{aeadType.__name__} key of {len(key)} bytes")
        self._aeadType, self._key, self._aeadObject = aeadType, key, None

    def _aead(self) -> AESGCM | ChaCha20Poly1305:
        aead = self._aeadObject
        if aead is None:
            aead = self._aeadObject = self._aeadType(self._key)
        return aead

    def release(self) -> None:
        """
        Drop the cipher context until the next record (see C{__slots__}).
        """
        self._aeadObject = None

    def sealRecord(
        self,
        contentType: int,
        seq: int,
        plaintext: bytes | memoryview,
        padding: int,
        recordVersion: int,
    ) -> bytes | bytearray:
        """
        Seal one fragment and frame it: the whole record, header included.
        Subclasses build it in one buffer where C{cryptography} allows.
        """
        body = self.seal(contentType, seq, plaintext, padding)
        outerType = ContentType.application_data if self.hidesContentType else contentType
        return _header.pack(outerType, recordVersion, len(body)) + body

    @abstractmethod
    def seal(
        self, contentType: int, seq: int, plaintext: bytes | memoryview, padding: int = 0
    ) -> bytes:
        """
        @param padding: TLS 1.3 only: zero bytes to add after the content
            type (RFC 8446 5.4); TLS 1.2 has no place for them.
        @return: the record fragment (explicit nonce, ciphertext, tag).
        """

    @abstractmethod
    def open(
        self,
        contentType: int,
        seq: int,
        fragment: bytes | memoryview,
        recordVersion: int = TLS12_VERSION,
    ) -> bytes:
        """
        @param recordVersion: the version field of the record's header, as
            received (TLS 1.3 authenticates the header as it came).
        @return: the plaintext.
        @raise PeerError: C{bad_record_mac} if the fragment does not verify.
        """


def _noPadding(padding: int) -> None:
    if padding:
        raise ValueError("TLS 1.2 records cannot be padded")


def _badMac() -> PeerError:
    return PeerError(AlertDescription.bad_record_mac, "record does not authenticate")


class _AESGCM12(RecordProtection):
    """
    RFC 5288: nonce = 4-byte salt from the key block || 8-byte explicit
    nonce sent in the record.  We send the sequence number as the explicit
    part, which makes nonce reuse impossible under one key.
    """

    __slots__ = ("_salt",)

    def __init__(self, key: bytes, salt: bytes) -> None:
        if len(salt) != 4:
            raise ValueError("AES-GCM salt must be 4 bytes")
        self._setKey(AESGCM, key)
        self._salt = salt

    def seal(
        self, contentType: int, seq: int, plaintext: bytes | memoryview, padding: int = 0
    ) -> bytes:
        _noPadding(padding)
        explicit = _seq.pack(seq)
        aad = _aad.pack(seq, contentType, TLS12_VERSION, len(plaintext))
        return explicit + self._aead().encrypt(self._salt + explicit, plaintext, aad)

    if _SEALS_INTO:

        def sealRecord(
            self,
            contentType: int,
            seq: int,
            plaintext: bytes | memoryview,
            padding: int,
            recordVersion: int,
        ) -> bytes | bytearray:
            # Header, explicit nonce, then the AEAD output written in place:
            # the application's bytes are read once, by the cipher.
            _noPadding(padding)
            length = len(plaintext)
            record = bytearray(HEADER_LENGTH + 8 + length + 16)
            _header.pack_into(record, 0, contentType, recordVersion, 8 + length + 16)
            _seq.pack_into(record, HEADER_LENGTH, seq)
            aad = _aad.pack(seq, contentType, TLS12_VERSION, length)
            nonce = self._salt + record[HEADER_LENGTH : HEADER_LENGTH + 8]
            with memoryview(record) as view:
                self._aead().encrypt_into(nonce, plaintext, aad, view[HEADER_LENGTH + 8 :])
            return record

    def open(
        self,
        contentType: int,
        seq: int,
        fragment: bytes | memoryview,
        recordVersion: int = TLS12_VERSION,
    ) -> bytes:
        # TLS 1.2's additional data has the protocol version (RFC 5246
        # 6.2.3.3), not whatever the header carried.
        length = len(fragment) - 8 - 16
        if length < 0:
            raise _badMac()
        nonce = self._salt + bytes(fragment[:8])
        aad = _aad.pack(seq, contentType, TLS12_VERSION, length)
        try:
            return self._aead().decrypt(nonce, fragment[8:], aad)
        except InvalidTag:
            raise _badMac() from None


class _ChaCha12(RecordProtection):
    """
    RFC 7905: nonce = 12-byte IV XOR the sequence number (left-padded); no
    explicit nonce on the wire.
    """

    __slots__ = ("_iv",)

    def __init__(self, key: bytes, iv: bytes) -> None:
        if len(iv) != 12:
            raise ValueError("ChaCha20-Poly1305 IV must be 12 bytes")
        self._setKey(ChaCha20Poly1305, key)
        self._iv = int.from_bytes(iv, "big")

    def _nonce(self, seq: int) -> bytes:
        return (self._iv ^ seq).to_bytes(12, "big")

    def seal(
        self, contentType: int, seq: int, plaintext: bytes | memoryview, padding: int = 0
    ) -> bytes:
        _noPadding(padding)
        aad = _aad.pack(seq, contentType, TLS12_VERSION, len(plaintext))
        return self._aead().encrypt(self._nonce(seq), plaintext, aad)

    if _SEALS_INTO:

        def sealRecord(
            self,
            contentType: int,
            seq: int,
            plaintext: bytes | memoryview,
            padding: int,
            recordVersion: int,
        ) -> bytes | bytearray:
            # As L{_AESGCM12.sealRecord}: one buffer, the cipher writes after
            # the header.
            _noPadding(padding)
            length = len(plaintext)
            record = bytearray(HEADER_LENGTH + length + 16)
            _header.pack_into(record, 0, contentType, recordVersion, length + 16)
            aad = _aad.pack(seq, contentType, TLS12_VERSION, length)
            with memoryview(record) as view:
                self._aead().encrypt_into(self._nonce(seq), plaintext, aad, view[HEADER_LENGTH:])
            return record

    def open(
        self,
        contentType: int,
        seq: int,
        fragment: bytes | memoryview,
        recordVersion: int = TLS12_VERSION,
    ) -> bytes:
        length = len(fragment) - 16
        if length < 0:
            raise _badMac()
        aad = _aad.pack(seq, contentType, TLS12_VERSION, length)
        try:
            return self._aead().decrypt(self._nonce(seq), fragment, aad)
        except InvalidTag:
            raise _badMac() from None


class _TLS13Protection(RecordProtection):
    """
    RFC 8446 5.2-5.3: nonce = IV XOR sequence number; the additional data is
    the record header; the plaintext is C{TLSInnerPlaintext}: content, the
    content type, then optional zero padding.
    """

    __slots__ = ("_iv",)

    hidesContentType = True

    def __init__(
        self, aeadType: type[AESGCM] | type[ChaCha20Poly1305], key: bytes, iv: bytes
    ) -> None:
        if len(iv) != 12:
            raise ValueError("TLS 1.3 IV must be 12 bytes")
        self._setKey(aeadType, key)
        self._iv = int.from_bytes(iv, "big")

    def _nonce(self, seq: int) -> bytes:
        return (self._iv ^ seq).to_bytes(12, "big")

    def seal(
        self, contentType: int, seq: int, plaintext: bytes | memoryview, padding: int = 0
    ) -> bytes:
        inner = bytes(plaintext) + bytes((contentType,)) + bytes(padding)
        aad = _header.pack(ContentType.application_data, TLS12_VERSION, len(inner) + 16)
        return self._aead().encrypt(self._nonce(seq), inner, aad)

    if _SEALS_INTO:

        def sealRecord(
            self,
            contentType: int,
            seq: int,
            plaintext: bytes | memoryview,
            padding: int,
            recordVersion: int,
        ) -> bytes | bytearray:
            # TLSInnerPlaintext is laid out in the record buffer itself (the
            # content, its type, the zero padding bytearray() gives for
            # free) and sealed in place: the one copy of the content is the
            # one the type byte after it forces, where concatenating would
            # make three and a fourth for the header.
            length = len(plaintext)
            innerLength = length + 1 + padding
            record = bytearray(HEADER_LENGTH + innerLength + 16)
            _header.pack_into(
                record, 0, ContentType.application_data, recordVersion, innerLength + 16
            )
            record[HEADER_LENGTH : HEADER_LENGTH + length] = plaintext
            record[HEADER_LENGTH + length] = contentType
            aad = bytes(record[:HEADER_LENGTH])
            with memoryview(record) as view:
                self._aead().encrypt_into(
                    self._nonce(seq),
                    view[HEADER_LENGTH : HEADER_LENGTH + innerLength],
                    aad,
                    view[HEADER_LENGTH:],
                )
            return record

    def open(
        self,
        contentType: int,
        seq: int,
        fragment: bytes | memoryview,
        recordVersion: int = TLS12_VERSION,
    ) -> bytes:
        """
        @return: the inner plaintext, content type and padding included
            (L{RecordReader} takes them apart).
        """
        if len(fragment) < 17:
            raise _badMac()
        # RFC 8446 5.2: the additional data is the header as it came;
        # legacy_record_version is otherwise ignored (5.1).
        aad = _header.pack(contentType, recordVersion, len(fragment))
        try:
            return self._aead().decrypt(self._nonce(seq), fragment, aad)
        except InvalidTag:
            raise _badMac() from None


def tls13Protection(aeadName: str, key: bytes, iv: bytes) -> RecordProtection:
    """
    Record protection for a TLS 1.3 cipher suite.
    """
    if aeadName in ("AES-128-GCM", "AES-256-GCM"):
        return _TLS13Protection(AESGCM, key, iv)
    if aeadName == "CHACHA20-POLY1305":
        return _TLS13Protection(ChaCha20Poly1305, key, iv)
    raise ValueError(f"unknown AEAD {aeadName!r}")


def tls12Protection(aeadName: str, key: bytes, fixedIv: bytes) -> RecordProtection:
    """
    Record protection for a TLS 1.2 AEAD suite.

    @param aeadName: C{"AES-128-GCM"}, C{"AES-256-GCM"} or C{"CHACHA20-POLY1305"}.
    """
    if aeadName in ("AES-128-GCM", "AES-256-GCM"):
        return _AESGCM12(key, fixedIv)
    if aeadName == "CHACHA20-POLY1305":
        return _ChaCha12(key, fixedIv)
    raise ValueError(f"unknown AEAD {aeadName!r}")


def _innerPlaintext(inner: bytes) -> tuple[int, bytes | memoryview]:
    """
    Split C{TLSInnerPlaintext}: strip the zero padding; the last non-zero
    byte is the content type (RFC 8446 5.4).

    @return: the content type and the content.  Application data comes as a
        view of C{inner}: the connection joins a batch of records into one
        string anyway, so slicing each record to bytes first would copy
        every byte twice.
    """
    contentType = inner[-1] if inner else 0
    if contentType == ContentType.application_data:
        # Unpadded, the common case: no scan for the padding.
        return contentType, memoryview(inner)[:-1]
    end = len(inner.rstrip(b"\x00"))
    if end == 0:
        raise PeerError(AlertDescription.unexpected_message, "record without a content type")
    contentType = inner[end - 1]
    if contentType not in _VALID_TYPES or contentType == ContentType.change_cipher_spec:
        raise PeerError(AlertDescription.unexpected_message, f"inner content type {contentType}")
    if contentType == ContentType.application_data:
        return contentType, memoryview(inner)[: end - 1]
    return contentType, inner[: end - 1]


def _releaseIfIdle(direction: RecordWriter | RecordReader) -> bool:
    # The sequence number tells, at no cost per record, whether records
    # passed since the last check.
    protection = direction._protection
    if protection is None:
        return True
    if direction._seq != direction._seqAtCheck:
        direction._seqAtCheck = direction._seq
        return False
    protection.release()
    return True


class RecordWriter:
    """
    The sending direction.

    @ivar recordVersion: the version field written in record headers.
    """

    # Slots: one reader and one writer live as long as each connection.
    __slots__ = ("_protection", "_seq", "_seqAtCheck", "recordVersion")

    def __init__(self) -> None:
        self._protection: RecordProtection | None = None
        self._seq = 0
        #: C{_seq} at the last L{releaseIfIdle}; -1: none since new keys.
        self._seqAtCheck = -1
        self.recordVersion = TLS12_VERSION

    @property
    def seq(self) -> int:
        return self._seq

    def changeProtection(self, protection: RecordProtection | None) -> None:
        self._protection = protection
        self._seq = 0
        self._seqAtCheck = -1

    def releaseIfIdle(self) -> bool:
        """
        Drop the cipher context (L{RecordProtection.release}) if no record
        was written since the previous call; it is remade at the next one.

        @return: whether this direction now holds no cipher context.
        """
        return _releaseIfIdle(self)

    def writeRecords(
        self, contentType: int, data: bytes | memoryview, maxFragment: int = MAX_PLAINTEXT
    ) -> list[bytes | bytearray]:
        """
        Fragment C{data} and protect each fragment.

        @return: complete records, header included.
        """
        if not data:
            if contentType != ContentType.application_data:
                return []
            return [self._record(contentType, b"")]
        if len(data) <= maxFragment:
            return [self._record(contentType, data)]
        view = memoryview(data)
        return [
            self._record(contentType, view[i : i + maxFragment])
            for i in range(0, len(data), maxFragment)
        ]

    def writeRecord(
        self, contentType: int, fragment: bytes | memoryview, padding: int = 0
    ) -> bytes | bytearray:
        """
        Protect exactly one record as asked, empty or padded (RFC 8446 5.4),
        without fragmenting: the caller keeps C{fragment} within the limits.

        @param padding: TLS 1.3 only, zero bytes after the content type.
        @raise ValueError: for padding without TLS 1.3 protection.
        """
        if padding and (self._protection is None or not self._protection.hidesContentType):
            raise ValueError("only TLS 1.3 protected records can be padded")
        return self._record(contentType, fragment, padding)

    def _record(
        self, contentType: int, fragment: bytes | memoryview, padding: int = 0
    ) -> bytes | bytearray:
        protection = self._protection
        if protection is None:
            return _header.pack(contentType, self.recordVersion, len(fragment)) + fragment
        if self._seq >= MAX_SEQUENCE:
            # RFC 5246 6.1: sequence numbers must not wrap; renegotiate
            # (or rekey in 1.3) long before this.
            raise LocalUsageError("record sequence number exhausted")
        record = protection.sealRecord(
            contentType, self._seq, fragment, padding, self.recordVersion
        )
        self._seq += 1
        return record


#: L{RecordReader._nextRecord}: a record was dropped, look at the next one.
_SKIPPED = object()


class RecordReader:
    """
    The receiving direction: bytes in, whole records out.

    The caller drains L{nextRecord} after each L{feed}; the reader then holds
    at most one incomplete record (bounded by L{MAX_CIPHERTEXT}).
    """

    #: Compact the buffer once this much of it has been consumed.
    _COMPACT_AT = 1 << 16

    __slots__ = (
        "_protection",
        "_seq",
        "_seqAtCheck",
        "_buf",
        "_skipBudget",
        "_pos",
        "_plaintextAlerts",
        "_decrypted",
    )

    def __init__(self) -> None:
        self._protection: RecordProtection | None = None
        self._seq = 0
        #: C{_seq} at the last L{releaseIfIdle}; -1: none since new keys.
        self._seqAtCheck = -1
        self._buf = bytearray()
        #: Bytes of 0-RTT data still to skip; C{None} when not skipping.
        self._skipBudget: int | None = None
        self._pos = 0
        self._plaintextAlerts = False
        self._decrypted = False

    @property
    def seq(self) -> int:
        return self._seq

    @property
    def protected13(self) -> bool:
        """
        Whether records are read under TLS 1.3 protection.
        """
        return self._protection is not None and self._protection.hidesContentType

    def changeProtection(self, protection: RecordProtection | None) -> None:
        self._protection = protection
        self._seq = 0
        self._seqAtCheck = -1

    def feed(self, data: bytes) -> None:
        if self._pos and self._pos == len(self._buf):
            # Everything was consumed: start afresh rather than compacting.
            self._buf = bytearray(data)
            self._pos = 0
        else:
            self._buf += data

    def hasBufferedData(self) -> bool:
        return self._pos < len(self._buf)

    def releaseIfIdle(self) -> bool:
        """
        Drop the cipher context (L{RecordProtection.release}) if no record
        was read since the previous call; it is remade at the next one.

        @return: whether this direction now holds no cipher context.
        """
        return _releaseIfIdle(self)

    def skipEarlyData(self, budget: int) -> None:
        """
        Drop a TLS 1.3 client's refused 0-RTT records, up to C{budget}
        bytes (RFC 8446 4.2.10): with handshake keys in place, records that
        do not decrypt under them, until one does; with no keys (after a
        HelloRetryRequest), every application_data record, until the
        second ClientHello's handshake record.
        """
        self._skipBudget = budget

    def allowPlaintextAlerts(self) -> None:
        """
        TLS 1.3 server, from its ServerHello on: a client that failed on
        that ServerHello has no handshake keys and alerts in plaintext
        (RFC 8446 6 wants alerts read whatever the keys).  Such an alert is
        read as it is, until the first protected record from the client
        decrypts, as OpenSSL and rustls do.
        """
        self._plaintextAlerts = True

    def nextRecord(self) -> tuple[int, bytes | memoryview] | None:
        """
        @return: C{(contentType, plaintext)} of the next complete record, or
            C{None} if none is buffered yet.
        @raise PeerError: for a malformed, oversized or unauthentic record.
        """
        while (record := self._nextRecord()) is _SKIPPED:
            pass
        return record  # type: ignore[return-value]

    def _nextRecord(self) -> tuple[int, bytes | memoryview] | None | object:
        buf, pos = self._buf, self._pos
        available = len(buf) - pos
        if available < HEADER_LENGTH:
            self._release()
            return None
        contentType, version, length = _header.unpack_from(buf, pos)
        if contentType not in _VALID_TYPES:
            raise PeerError(
                AlertDescription.unexpected_message, f"unknown record type {contentType}"
            )
        if version >> 8 != 3:
            raise DecodeError(f"record version {version:#06x}")
        protection = self._protection
        # TLS 1.3 may still see unprotected ChangeCipherSpec records (RFC
        # 8446 D.4, middlebox compatibility); the connection decides.
        if protection is not None and protection.hidesContentType:
            if contentType == ContentType.change_cipher_spec:
                protection = None
            elif self._readsPlaintextAlert(contentType, length):
                protection = None
            elif contentType != ContentType.application_data:
                raise PeerError(
                    AlertDescription.unexpected_message,
                    f"unprotected {ContentType(contentType).name} record after key change",
                )
        limit = MAX_PLAINTEXT if protection is None else MAX_CIPHERTEXT
        if protection is not None and protection.hidesContentType:
            limit = MAX_PLAINTEXT + 256  # RFC 8446 5.2
        if length > limit:
            raise PeerError(
                AlertDescription.record_overflow, f"record of {length} bytes exceeds {limit}"
            )
        end = pos + HEADER_LENGTH + length
        if len(buf) < end:
            return None
        if protection is None:
            if self._skipBudget is not None and self._skipsPlaintext(contentType, length):
                self._pos = end
                return _SKIPPED
            plaintext: bytes | memoryview = bytes(buf[pos + HEADER_LENGTH : end])
        else:
            if self._seq >= MAX_SEQUENCE:
                raise PeerError(AlertDescription.unexpected_message, "sequence number exhausted")
            # A view, not a copy, of the ciphertext; released before the
            # buffer may be resized below.
            try:
                with memoryview(buf)[pos + HEADER_LENGTH : end] as fragment:
                    plaintext = protection.open(contentType, self._seq, fragment, version)
            except PeerError:
                if self._skipBudget is None or contentType != ContentType.application_data:
                    raise
                self._spendSkipBudget(length)
                self._pos = end
                return _SKIPPED
            self._skipBudget = None
            self._decrypted = True
            self._seq += 1
            if protection.hidesContentType:
                # RFC 8446 5.4: the limit covers TLSInnerPlaintext whole,
                # content type and padding included.
                if len(plaintext) > MAX_PLAINTEXT + 1:
                    raise PeerError(
                        AlertDescription.record_overflow,
                        f"TLSInnerPlaintext of {len(plaintext)} bytes",
                    )
                contentType, plaintext = _innerPlaintext(plaintext)
            elif len(plaintext) > MAX_PLAINTEXT:
                raise PeerError(
                    AlertDescription.record_overflow, f"plaintext of {len(plaintext)} bytes"
                )
        self._pos = end
        if not plaintext and contentType != ContentType.application_data:
            # RFC 8446 5.4 names the alert for TLS 1.3 Handshake and Alert
            # records; RFC 5246 6.2.1 and RFC 8446 5.1 forbid sending any
            # such empty fragment (ChangeCipherSpec too, in 1.2) without
            # naming one, and we answer them all alike.
            raise PeerError(
                AlertDescription.unexpected_message,
                f"empty {ContentType(contentType).name} record",
            )
        if end >= self._COMPACT_AT:
            del buf[:end]
            self._pos = 0
        return contentType, plaintext

    def _readsPlaintextAlert(self, contentType: int, length: int) -> bool:
        """
        Whether an unprotected record after the key change is a client's
        alert sent without keys (L{allowPlaintextAlerts}).
        """
        return (
            self._plaintextAlerts
            and not self._decrypted
            and contentType == ContentType.alert
            and length == 2
        )

    def _skipsPlaintext(self, contentType: int, length: int) -> bool:
        """
        After a HelloRetryRequest: whether this unprotected record is 0-RTT
        data to skip.  The second ClientHello ends the skipping.
        """
        if contentType == ContentType.application_data:
            self._spendSkipBudget(length)
            return True
        if contentType == ContentType.handshake:
            self._skipBudget = None
        return False

    def _spendSkipBudget(self, length: int) -> None:
        assert self._skipBudget is not None
        if length > self._skipBudget:
            # RFC 8446 4.2.10: early data past max_early_data_size.
            raise PeerError(AlertDescription.unexpected_message, "too much early data")
        self._skipBudget -= length

    def _release(self) -> None:
        """
        Give back memory once the buffer holds only a short tail, so idle
        connections keep no large buffers.
        """
        if self._pos:
            self._buf = self._buf[self._pos :]
            self._pos = 0
