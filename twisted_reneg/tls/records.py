# -*- test-case-name: tests.tls.test_records -*-
"""
The record layer: framing, fragmentation and AEAD protection (RFC 5246
section 6.2, RFC 5288 for AES-GCM, RFC 7905 for ChaCha20-Poly1305).

Each direction is its own object with its own protection and sequence
number, because the two directions change keys at different moments (a
ChangeCipherSpec switches one side only).  The bulk path does one AEAD call
per record, in one loop per batch of records each way; nonces are integer
operations on the IV kept as an integer, headers come from C{struct}.
Sealed records go out as header and body pieces, never joined here;
received records are opened from views of the chunk they came in, the
application data of a batch decrypted into one buffer, one after another.
"""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod
from collections.abc import Callable
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
_APPLICATION_DATA = int(ContentType.application_data)
_header = struct.Struct(">BHH")
#: A TLS 1.2 AES-GCM header with the explicit nonce after it.
_headerExplicit = struct.Struct(">BHHQ")
_aad = struct.Struct(">QBHH")

#: The most plaintext one buffer of a batch holds: what one read brings
#: (Twisted reads 64 KiB) and then some, so that a long run of records fed
#: before a read (input held for the driver) is no one huge allocation.
_BATCH_CAPACITY = 1 << 17


#: The key sizes each AEAD takes.
_KEY_LENGTHS: dict[type, tuple[int, ...]] = {AESGCM: (16, 24, 32), ChaCha20Poly1305: (32,)}


class RecordProtection(ABC):
    """
    The AEAD state of one direction.

    Sealing appends each record as two pieces, its header and its body (a
    fresh C{bytes} from the cipher), for C{writeSequence}: Twisted's TCP
    transport joins what it is handed into its own buffer anyway, so a
    record joined here, or sealed into a buffer of ours and copied out to
    C{bytes} (Twisted takes nothing else, and keeps what it is given),
    would be one more copy of every byte (the 16 KiB rows of
    bench/bulk.py show it).
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
    #: The longest record body accepted (RFC 5246 6.2.3, RFC 8446 5.2).
    maxRecordLength: int = MAX_CIPHERTEXT

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

    @abstractmethod
    def _openParameters(
        self, contentType: int, seq: int, fragment: memoryview, recordVersion: int
    ) -> tuple[bytes, memoryview, bytes]:
        """
        What opening a record takes: its nonce, its ciphertext (tag
        included) and its additional data, for L{open} and for
        L{RecordReader}'s batch loop, which decrypts into a buffer of its
        own.

        @raise PeerError: C{bad_record_mac} if the fragment is too short to
            hold a tag (and, TLS 1.3, a content type).
        """

    def _decryptInto(self) -> Callable[[bytes, memoryview, bytes, memoryview], int]:
        """
        The cipher's C{decrypt_into}, for L{RecordReader}'s batch loop.
        """
        return self._aead().decrypt_into

    @abstractmethod
    def sealRecords(
        self,
        contentType: int,
        seq: int,
        data: bytes | memoryview,
        maxFragment: int,
        recordVersion: int,
        out: list[bytes],
        padding: int = 0,
    ) -> int:
        """
        Cut C{data} into fragments of at most C{maxFragment} bytes (one
        empty fragment if it is empty) and seal each as one record, the
        first under sequence number C{seq}: one AEAD call per record, in
        one loop.

        @param out: where the records go, each as two pieces: its header
            (with TLS 1.2 AES-GCM's explicit nonce) and its body.
        @param padding: TLS 1.3 only: zero bytes to add after the content
            type of each record (RFC 8446 5.4); TLS 1.2 has no place for
            them.
        @return: the number of records sealed.
        """

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
        @return: the plaintext (TLS 1.3: the inner plaintext, content type
            and padding included; L{RecordReader} takes them apart).
        @raise PeerError: C{bad_record_mac} if the fragment does not verify.
        """
        with memoryview(fragment) as view:
            nonce, ciphertext, aad = self._openParameters(contentType, seq, view, recordVersion)
            try:
                return self._aead().decrypt(nonce, ciphertext, aad)
            except InvalidTag:
                raise _badMac() from None


def _noPadding(padding: int) -> None:
    if padding:
        raise ValueError("TLS 1.2 records cannot be padded")


def _badMac() -> PeerError:
    return PeerError(AlertDescription.bad_record_mac, "record does not authenticate")


def _fragments(data: bytes | memoryview, maxFragment: int) -> list[bytes | memoryview]:
    """
    C{data} cut into fragments of at most C{maxFragment} bytes, as views
    (no copies); one empty fragment for empty data.
    """
    if len(data) <= maxFragment:
        return [data]
    view = memoryview(data)
    return [view[i : i + maxFragment] for i in range(0, len(view), maxFragment)]


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
        self._salt = int.from_bytes(salt, "big") << 64

    def sealRecords(
        self,
        contentType: int,
        seq: int,
        data: bytes | memoryview,
        maxFragment: int,
        recordVersion: int,
        out: list[bytes],
        padding: int = 0,
    ) -> int:
        # The header piece carries the explicit nonce; the cipher reads the
        # application's bytes in place and writes the body.
        _noPadding(padding)
        encrypt, salt = self._aead().encrypt, self._salt
        first = seq
        for fragment in _fragments(data, maxFragment):
            length = len(fragment)
            out.append(_headerExplicit.pack(contentType, recordVersion, length + 24, seq))
            out.append(
                encrypt(
                    (salt | seq).to_bytes(12, "big"),
                    fragment,
                    _aad.pack(seq, contentType, TLS12_VERSION, length),
                )
            )
            seq += 1
        return seq - first

    def _openParameters(
        self, contentType: int, seq: int, fragment: memoryview, recordVersion: int
    ) -> tuple[bytes, memoryview, bytes]:
        # TLS 1.2's additional data has the protocol version (RFC 5246
        # 6.2.3.3), not whatever the header carried.
        length = len(fragment) - 8 - 16
        if length < 0:
            raise _badMac()
        nonce = (self._salt | int.from_bytes(fragment[:8], "big")).to_bytes(12, "big")
        return nonce, fragment[8:], _aad.pack(seq, contentType, TLS12_VERSION, length)


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

    def sealRecords(
        self,
        contentType: int,
        seq: int,
        data: bytes | memoryview,
        maxFragment: int,
        recordVersion: int,
        out: list[bytes],
        padding: int = 0,
    ) -> int:
        _noPadding(padding)
        encrypt, iv = self._aead().encrypt, self._iv
        first = seq
        for fragment in _fragments(data, maxFragment):
            length = len(fragment)
            out.append(_header.pack(contentType, recordVersion, length + 16))
            out.append(
                encrypt(
                    (iv ^ seq).to_bytes(12, "big"),
                    fragment,
                    _aad.pack(seq, contentType, TLS12_VERSION, length),
                )
            )
            seq += 1
        return seq - first

    def _openParameters(
        self, contentType: int, seq: int, fragment: memoryview, recordVersion: int
    ) -> tuple[bytes, memoryview, bytes]:
        length = len(fragment) - 16
        if length < 0:
            raise _badMac()
        aad = _aad.pack(seq, contentType, TLS12_VERSION, length)
        return (self._iv ^ seq).to_bytes(12, "big"), fragment, aad


class _TLS13Protection(RecordProtection):
    """
    RFC 8446 5.2-5.3: nonce = IV XOR sequence number; the additional data is
    the record header; the plaintext is C{TLSInnerPlaintext}: content, the
    content type, then optional zero padding.
    """

    __slots__ = ("_iv",)

    hidesContentType = True
    maxRecordLength = MAX_PLAINTEXT + 256

    def __init__(
        self, aeadType: type[AESGCM] | type[ChaCha20Poly1305], key: bytes, iv: bytes
    ) -> None:
        if len(iv) != 12:
            raise ValueError("TLS 1.3 IV must be 12 bytes")
        self._setKey(aeadType, key)
        self._iv = int.from_bytes(iv, "big")

    def sealRecords(
        self,
        contentType: int,
        seq: int,
        data: bytes | memoryview,
        maxFragment: int,
        recordVersion: int,
        out: list[bytes],
        padding: int = 0,
    ) -> int:
        # TLSInnerPlaintext takes the one copy of the content that the type
        # byte after it forces (joined, not built in a zeroed buffer); the
        # header, as written, is the additional data.
        encrypt, iv = self._aead().encrypt, self._iv
        trailer = bytes((contentType,)) + bytes(padding)
        overhead = len(trailer) + 16
        first = seq
        for fragment in _fragments(data, maxFragment):
            header = _header.pack(_APPLICATION_DATA, recordVersion, len(fragment) + overhead)
            out.append(header)
            out.append(
                encrypt((iv ^ seq).to_bytes(12, "big"), b"".join((fragment, trailer)), header)
            )
            seq += 1
        return seq - first

    def _openParameters(
        self, contentType: int, seq: int, fragment: memoryview, recordVersion: int
    ) -> tuple[bytes, memoryview, bytes]:
        # At least a tag and the inner plaintext's content type.
        if len(fragment) < 17:
            raise _badMac()
        # RFC 8446 5.2: the additional data is the header as it came;
        # legacy_record_version is otherwise ignored (5.1).
        aad = _header.pack(contentType, recordVersion, len(fragment))
        return (self._iv ^ seq).to_bytes(12, "big"), fragment, aad


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


def _emptyRecord(contentType: int) -> PeerError:
    # RFC 8446 5.4 names the alert for TLS 1.3 Handshake and Alert records;
    # RFC 5246 6.2.1 and RFC 8446 5.1 forbid sending any such empty fragment
    # (ChangeCipherSpec too, in 1.2) without naming one, and we answer them
    # all alike.
    return PeerError(
        AlertDescription.unexpected_message, f"empty {ContentType(contentType).name} record"
    )


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

    def sealRecords(
        self,
        contentType: int,
        data: bytes | memoryview,
        out: list[bytes],
        maxFragment: int = MAX_PLAINTEXT,
        padding: int = 0,
    ) -> None:
        """
        Fragment C{data} and protect each fragment: no record for empty
        data, but for application data (an empty record, which is legal).

        @param out: where each record goes as two pieces, header and body,
            for C{writeSequence} (L{RecordProtection.sealRecords}).
        @param padding: TLS 1.3 only, zero bytes after the content type.
        """
        if not data and contentType != _APPLICATION_DATA:
            return
        protection = self._protection
        if protection is None:
            for fragment in _fragments(data, maxFragment):
                out.append(_header.pack(contentType, self.recordVersion, len(fragment)))
                out.append(bytes(fragment))
            return
        seq = self._seq
        if seq + max(1, -(-len(data) // maxFragment)) > MAX_SEQUENCE:
            # RFC 5246 6.1: sequence numbers must not wrap; renegotiate
            # (or rekey in 1.3) long before this.
            raise LocalUsageError("record sequence number exhausted")
        self._seq = seq + protection.sealRecords(
            contentType, seq, data, maxFragment, self.recordVersion, out, padding
        )

    def writeRecords(
        self, contentType: int, data: bytes | memoryview, maxFragment: int = MAX_PLAINTEXT
    ) -> list[bytes]:
        """
        Fragment C{data} and protect each fragment (L{sealRecords}).

        @return: complete records, header included.
        """
        out: list[bytes] = []
        self.sealRecords(contentType, data, out, maxFragment)
        return [out[i] + out[i + 1] for i in range(0, len(out), 2)]

    def writeRecord(
        self, contentType: int, fragment: bytes | memoryview, padding: int = 0
    ) -> bytes:
        """
        Protect exactly one record as asked, empty or padded (RFC 8446 5.4),
        without fragmenting: the caller keeps C{fragment} within the limits.

        @param padding: TLS 1.3 only, zero bytes after the content type.
        @raise ValueError: for padding without TLS 1.3 protection.
        """
        if padding and (self._protection is None or not self._protection.hidesContentType):
            raise ValueError("only TLS 1.3 protected records can be padded")
        out: list[bytes] = []
        self._sealOne(contentType, fragment, out, padding)
        return b"".join(out)

    def _sealOne(
        self, contentType: int, fragment: bytes | memoryview, out: list[bytes], padding: int
    ) -> None:
        # One record whatever the length and type (an empty one too).
        protection = self._protection
        if protection is None:
            out.append(_header.pack(contentType, self.recordVersion, len(fragment)))
            out.append(bytes(fragment))
            return
        if self._seq >= MAX_SEQUENCE:
            raise LocalUsageError("record sequence number exhausted")
        self._seq += protection.sealRecords(
            contentType,
            self._seq,
            fragment,
            max(1, len(fragment)),
            self.recordVersion,
            out,
            padding,
        )


#: L{RecordReader._nextRecord}: a record was dropped, look at the next one.
_SKIPPED = object()


class RecordReader:
    """
    The receiving direction: bytes in, whole records out.

    The caller drains L{nextRecords} (or L{nextRecord}) after each L{feed};
    the reader then holds at most one incomplete record (bounded by
    L{MAX_CIPHERTEXT}).

    Records are read where they arrived: a chunk fed is kept as it is and
    records are opened from views of it.  Only a record split between two
    chunks is copied, its head and then just the bytes that complete it
    (a bytearray that grows, so even a peer sending a byte at a time
    costs linear work), and the chunk after it is read in place again.

    @ivar _buf: the bytes being read from, from C{_pos} on: a chunk as fed
        (C{bytes}), or a record being completed (C{bytearray}).
    @ivar _next: a chunk fed while C{_buf} still held an incomplete record,
        from C{_nextPos} on; C{b""} if none.
    @ivar _error: the fault of a record that followed records
        L{nextRecords} returned; raised by its next call.
    """

    __slots__ = (
        "_protection",
        "_seq",
        "_seqAtCheck",
        "_buf",
        "_next",
        "_nextPos",
        "_skipBudget",
        "_pos",
        "_plaintextAlerts",
        "_decrypted",
        "_error",
    )

    def __init__(self) -> None:
        self._protection: RecordProtection | None = None
        self._seq = 0
        #: C{_seq} at the last L{releaseIfIdle}; -1: none since new keys.
        self._seqAtCheck = -1
        self._buf: bytes | bytearray = b""
        self._next = b""
        self._nextPos = 0
        #: Bytes of 0-RTT data still to skip; C{None} when not skipping.
        self._skipBudget: int | None = None
        self._pos = 0
        self._plaintextAlerts = False
        self._decrypted = False
        self._error: PeerError | None = None

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
        if not data:
            return
        if data.__class__ is not bytes:
            data = bytes(data)  # kept, not copied: nobody may change it later
        buf, pos = self._buf, self._pos
        if pos >= len(buf):
            # Everything before was read: read this chunk in place.
            self._buf, self._pos = data, 0
        elif not self._next:
            # A record split across reads, the common case in bulk (Twisted
            # reads at most 64 KiB at a time, which rarely ends between
            # records): complete it here with one copy, so that it and the
            # rest of the chunk are read by the batch loop.
            used = self._complete(data) if buf.__class__ is bytearray else 0
            if used < len(data):
                self._next, self._nextPos = data, used
        else:
            # Fed again before the last chunk was read (input held while
            # the driver answers a renegotiation request): one growing
            # buffer, as any amount of input may come meanwhile.
            buf = self._tail()
            buf += memoryview(self._next)[self._nextPos :]
            buf += data
            self._next, self._nextPos = b"", 0

    def bufferedLength(self) -> int:
        """
        @return: bytes fed and not yet read as records.
        """
        return len(self._buf) - self._pos + len(self._next) - self._nextPos

    def hasBufferedData(self) -> bool:
        return self._pos < len(self._buf) or bool(self._next)

    def _tail(self) -> bytearray:
        """
        Make the unread part of C{_buf} a bytearray of its own, which bytes
        can be appended to, and return it.
        """
        buf, pos = self._buf, self._pos
        if buf.__class__ is not bytearray or pos:
            with memoryview(buf) as view:
                buf = self._buf = bytearray(view[pos:])
            self._pos = 0
        assert isinstance(buf, bytearray)
        return buf

    def _complete(self, data: bytes) -> int:
        """
        Complete the one incomplete record C{_buf} holds, a bytearray of its
        own (L{_release}), from the head of C{data}: its header first, then
        as much of the body as the header says, if that is within
        L{MAX_CIPHERTEXT} (a longer one is refused by L{nextRecord}, with
        no more of it buffered than without this).  A record completed
        becomes a C{bytes} of its own, read like any chunk.

        @return: how many bytes of C{data} were taken.
        """
        buf, pos = self._buf, self._pos
        assert isinstance(buf, bytearray)
        used = pos + HEADER_LENGTH - len(buf)
        if used > 0:
            buf += data[:used]
            if len(buf) - pos < HEADER_LENGTH:
                return len(data)
        else:
            used = 0
        length = _header.unpack_from(buf, pos)[2]
        need = pos + HEADER_LENGTH + length - len(buf)
        if length > MAX_CIPHERTEXT or need <= 0:
            return used
        with memoryview(data) as view:
            if used + need <= len(data):
                # The record is whole with this chunk: joined into a string
                # of its size, each part copied once, where growing the
                # bytearray would copy its head again.
                with memoryview(buf) as head:
                    self._buf = b"".join((head[pos:], view[used : used + need]))
                self._pos = 0
                return used + need
            buf += view[used : used + need]
        return len(data)

    def _pull(self, need: int) -> None:
        """
        The unread part of C{_buf} lacks C{need} bytes of a whole record:
        move them from C{_next} (as many as there are), or move on to
        C{_next} if C{_buf} is read to the end.
        """
        if self._pos >= len(self._buf):
            self._buf, self._pos = self._next, self._nextPos
            self._next, self._nextPos = b"", 0
            return
        buf = self._tail()
        chunk, start = self._next, self._nextPos
        end = min(start + need, len(chunk))
        with memoryview(chunk) as view:
            buf += view[start:end]
        if end >= len(chunk):
            self._next, self._nextPos = b"", 0
        else:
            self._nextPos = end

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

    def nextRecords(self) -> list[tuple[int, bytes | memoryview]]:
        """
        The complete records buffered, up to and including the first that
        is not application data: what that one does may change the keys
        the next is read with.  Application data records are read in one
        loop (L{_readApplicationData}); anything else as L{nextRecord}
        reads it.

        @return: C{(contentType, plaintext)} of each record; empty if no
            complete record is buffered.
        @raise PeerError: for a malformed, oversized or unauthentic first
            record.  The fault of a later one is raised by the next call,
            after the records before it were returned.
        """
        error = self._error
        if error is not None:
            self._error = None
            raise error
        records: list[tuple[int, bytes | memoryview]] = []
        try:
            while not self._readApplicationData(records):
                record = self.nextRecord()
                if record is None:
                    break
                records.append(record)
                if record[0] != _APPLICATION_DATA:
                    break
        except PeerError as e:
            if not records:
                raise
            self._error = e
        return records

    def _readApplicationData(self, records: list[tuple[int, bytes | memoryview]]) -> bool:
        """
        Open the protected, complete application_data records at the head
        of the buffer, with no more Python per record than the record needs;
        stop at the first record of another kind (an outer type other than
        application_data, an unusual version field, an oversized or
        incomplete record), which L{nextRecord} then reads with every rule.

        A chunk whose last record L{feed} completed is followed by the
        next chunk, read in place too.

        Each record is decrypted into one buffer for the batch, right after
        the one before (TLS 1.3: over its content type byte, once read), so
        the batch's data leaves as one C{bytes}, the one copy the
        application's C{bytes} needs anyway: no fresh C{bytes}, slice or
        tuple per record, no join of records by the connection.  An empty
        record stays a record of its own (the connection counts them).

        @param records: where the records read go: the data of consecutive
            non-empty application_data records as one.
        @return: whether to stop: the last one read is not application data
            (TLS 1.3 learns the type only once it opened the record), or no
            whole record is left.
        """
        protection = self._protection
        if protection is None or self._skipBudget is not None:
            return False
        buf, pos, seq = self._buf, self._pos, self._seq
        size = len(buf)
        if not self._next:
            # Nothing whole buffered, as at the call after a batch (the
            # connection reads until a call returns nothing): the answer of
            # the loop below, without making what it reads with.
            if size - pos < HEADER_LENGTH:
                self._release()
                return True
            contentType, version, length = _header.unpack_from(buf, pos)
            if (
                pos + HEADER_LENGTH + length > size
                and contentType == _APPLICATION_DATA
                and version == TLS12_VERSION
                and length <= protection.maxRecordLength
                and seq < MAX_SEQUENCE
            ):
                self._release()
                return True
        openParameters, decryptInto = protection._openParameters, protection._decryptInto()
        tls13 = protection.hidesContentType
        limit = protection.maxRecordLength
        append = records.append
        unpackHeader = _header.unpack_from
        #: The batch's plaintext, C{filled} bytes of it so far; made at the
        #: first record, as large as the rest of the input can fill.
        out = bytearray()
        outView = memoryview(out)
        filled = 0
        inView = memoryview(buf)
        last = False
        #: The loop stopped at an incomplete application_data record whose
        #: header passed every check L{nextRecord} makes before it waits.
        incomplete = False
        try:
            while True:
                if size - pos < HEADER_LENGTH:
                    if pos < size or not self._next:
                        break
                    # This chunk is read to its end (its last record was
                    # completed by feed): go on to the next one in place.
                    inView.release()
                    buf, pos, size = self._next, self._nextPos, len(self._next)
                    self._next, self._nextPos = b"", 0
                    inView = memoryview(buf)
                    continue
                contentType, version, length = unpackHeader(buf, pos)
                start = pos + HEADER_LENGTH
                end = start + length
                if (
                    contentType != _APPLICATION_DATA
                    or version != TLS12_VERSION
                    or length > limit
                    or seq >= MAX_SEQUENCE
                ):
                    break
                if end > size:
                    incomplete = True
                    break
                nonce, ciphertext, aad = openParameters(
                    contentType, seq, inView[start:end], version
                )
                plaintextLength = len(ciphertext) - 16
                if len(out) - filled < plaintextLength:
                    if filled:
                        append((_APPLICATION_DATA, bytes(outView[:filled])))
                        filled = 0
                    # Ciphertext is longer than its plaintext: what is left
                    # of the input bounds what the batch can hold.  Sized
                    # after the records, and growing buffer by buffer: small
                    # records that alternate with others, each ending a
                    # batch, zero no large buffer each.
                    left = size - pos + len(self._next) - self._nextPos
                    grown = max(8 * plaintextLength, 4 * len(out))
                    outView.release()
                    out = bytearray(max(plaintextLength, min(left, grown, _BATCH_CAPACITY)))
                    outView = memoryview(out)
                try:
                    decryptInto(nonce, ciphertext, aad, outView[filled : filled + plaintextLength])
                except InvalidTag:
                    raise _badMac() from None
                seq += 1
                pos = end
                if not tls13:
                    if plaintextLength > MAX_PLAINTEXT:
                        raise PeerError(
                            AlertDescription.record_overflow,
                            f"plaintext of {plaintextLength} bytes",
                        )
                    if plaintextLength:
                        filled += plaintextLength
                        continue
                    if filled:
                        append((_APPLICATION_DATA, bytes(outView[:filled])))
                        filled = 0
                    append((_APPLICATION_DATA, b""))
                    continue
                if plaintextLength > MAX_PLAINTEXT + 1:
                    # RFC 8446 5.4: the limit covers TLSInnerPlaintext
                    # whole, content type and padding included.
                    raise PeerError(
                        AlertDescription.record_overflow,
                        f"TLSInnerPlaintext of {plaintextLength} bytes",
                    )
                if out[filled + plaintextLength - 1] == _APPLICATION_DATA and plaintextLength > 1:
                    # Unpadded data (as _innerPlaintext reads it, inline):
                    # the next record goes over its content type.
                    filled += plaintextLength - 1
                    continue
                contentType, content = _innerPlaintext(
                    bytes(outView[filled : filled + plaintextLength])
                )
                if contentType == _APPLICATION_DATA and content:
                    # Padded data: its content is where it was decrypted.
                    filled += len(content)
                    continue
                if filled:
                    append((_APPLICATION_DATA, bytes(outView[:filled])))
                    filled = 0
                if contentType == _APPLICATION_DATA:
                    append((_APPLICATION_DATA, b""))
                    continue
                if not content:
                    raise _emptyRecord(contentType)
                append((contentType, content))
                last = True
                break
        finally:
            # What was read before a fault is returned before it.
            if filled:
                append((_APPLICATION_DATA, bytes(outView[:filled])))
            outView.release()
            inView.release()
            self._buf, self._pos = buf, pos
            if seq != self._seq:
                self._seq, self._decrypted = seq, True
        if last:
            return True
        if self._next or not (incomplete or size - pos < HEADER_LENGTH):
            return False
        # No whole record left: what nextRecord would find, without its
        # second look at the header.
        self._release()
        return True

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
            if self._next:
                self._pull(HEADER_LENGTH - available)
                return _SKIPPED
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
        limit = MAX_PLAINTEXT if protection is None else protection.maxRecordLength
        if length > limit:
            raise PeerError(
                AlertDescription.record_overflow, f"record of {length} bytes exceeds {limit}"
            )
        end = pos + HEADER_LENGTH + length
        if len(buf) < end:
            if self._next:
                self._pull(end - len(buf))
                return _SKIPPED
            self._release()
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
            raise _emptyRecord(contentType)
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
        No whole record is buffered: keep only the incomplete one, if any,
        so that idle connections keep no large buffers (and a chunk read in
        place is not kept for the sake of its last few bytes).
        """
        if self._pos >= len(self._buf):
            self._buf, self._pos = b"", 0
        else:
            self._tail()
