# -*- test-case-name: tests.test_messages -*-
"""
Handshake messages and extensions: one frozen dataclass per message, with
C{parse} and C{serialize} side by side.

Parsers see only the message body (the 4-byte handshake header is handled by
L{reassembly.HandshakeBuffer}) and raise nothing but L{DecodeError}.  Semantic
checks (is this suite one we offered?) belong to the handshake, not here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar, TypeVar

from .errors import DecodeError, IllegalParameter
from .wire import Reader, Writer, unpackUint16s


class HandshakeType(IntEnum):
    hello_request = 0
    client_hello = 1
    server_hello = 2
    new_session_ticket = 4
    end_of_early_data = 5
    encrypted_extensions = 8
    certificate = 11
    server_key_exchange = 12
    certificate_request = 13
    server_hello_done = 14
    certificate_verify = 15
    client_key_exchange = 16
    finished = 20
    key_update = 24
    message_hash = 254


def messageName(msgType: int) -> str:
    try:
        return HandshakeType(msgType).name
    except ValueError:
        return f"handshake_{msgType}"


#: The longest body each message's syntax allows, for the versions and key
#: exchanges we implement (RFC 8446 4, RFC 5246 7.4, RFC 8422 5.4 and 5.7,
#: RFC 5077 3.3); the larger of the TLS 1.2 and 1.3 forms where both exist.
#: A longer message "does not conform to the formal protocol syntax", which
#: RFC 8446 6.2 answers with decode_error.  message_hash never travels.
_MAX_BODY_LENGTH: dict[int, int] = {
    HandshakeType.hello_request: 0,
    # version, random, session_id<0..32>, cipher_suites<2..2^16-2>,
    # compression_methods<1..2^8-1>, extensions<0..2^16-1>
    HandshakeType.client_hello: 2 + 32 + (1 + 32) + (2 + 0xFFFE) + (1 + 0xFF) + (2 + 0xFFFF),
    # version, random, session_id, suite, compression, extensions
    HandshakeType.server_hello: 2 + 32 + (1 + 32) + 2 + 1 + (2 + 0xFFFF),
    # TLS 1.3: lifetime, age_add, nonce<0..255>, ticket<1..2^16-1>, extensions
    HandshakeType.new_session_ticket: 4 + 4 + (1 + 0xFF) + (2 + 0xFFFF) + (2 + 0xFFFF),
    HandshakeType.end_of_early_data: 0,
    HandshakeType.encrypted_extensions: 2 + 0xFFFF,
    HandshakeType.certificate: 0xFFFFFF,
    # named curve: type, group, point<1..2^8-1>, scheme, signature<0..2^16-1>
    HandshakeType.server_key_exchange: 1 + 2 + (1 + 0xFF) + 2 + (2 + 0xFFFF),
    # TLS 1.2: types<1..2^8-1>, schemes<2..2^16-2>, authorities<0..2^16-1>
    HandshakeType.certificate_request: (1 + 0xFF) + (2 + 0xFFFE) + (2 + 0xFFFF),
    HandshakeType.server_hello_done: 0,
    HandshakeType.certificate_verify: 2 + (2 + 0xFFFF),
    # ECDHE: ecdh_Yc<1..2^8-1>
    HandshakeType.client_key_exchange: 1 + 0xFF,
    # verify_data: 12 bytes in TLS 1.2, the hash length in TLS 1.3
    HandshakeType.finished: 64,
    HandshakeType.key_update: 1,
}


def maxBodyLength(msgType: int) -> int | None:
    """
    @return: the longest legal body of a message of this type, or C{None}
        for a type that is never legal on the wire for us.
    """
    return _MAX_BODY_LENGTH.get(msgType)


class ExtensionType(IntEnum):
    server_name = 0
    supported_groups = 10
    ec_point_formats = 11
    signature_algorithms = 13
    application_layer_protocol_negotiation = 16
    extended_master_secret = 23
    session_ticket = 35
    pre_shared_key = 41
    early_data = 42
    supported_versions = 43
    cookie = 44
    psk_key_exchange_modes = 45
    certificate_authorities = 47
    post_handshake_auth = 49
    key_share = 51
    renegotiation_info = 0xFF01


#: Certificates a peer's chain may hold: a security bound (DESIGN.md: the
#: chain length is bounded before it is trusted), far above real chains.
MAX_CERTIFICATES = 16

#: CA names we put in a CertificateRequest at most (L{clientauth}); what a
#: peer sends us is bounded by the bytes of its message instead, because
#: servers naming hundreds of CAs are real and legal.
MAX_CERTIFICATE_AUTHORITIES = 256

# Lists a peer sends (cipher suites, extensions, ALPN names, key shares, PSK
# identities) have no count caps: RFC 8446 9.3 and RFC 5246 7.4.1.2 make
# unknown entries something to ignore, and legal hellos carry thousands of
# them.  Memory and work are bounded by the message size instead
# (L{maxBodyLength}), and every check over a list is linear in it.

EC_POINT_FORMAT_UNCOMPRESSED = 0
EC_CURVE_TYPE_NAMED = 3


def frameHandshake(msgType: int, body: bytes) -> bytes:
    """
    Prefix a handshake body with its type and 24-bit length.
    """
    if len(body) >= 1 << 24:
        raise ValueError("handshake message too large")
    return bytes((msgType,)) + len(body).to_bytes(3, "big") + body


# --- extensions -----------------------------------------------------------

#: An extension's type and length.
_EXTENSION_HEADER = struct.Struct(">HH")


@dataclass(frozen=True)
class Extensions:
    """
    An ordered list of raw extensions with no duplicate types.

    Extensions stay raw here: the typed decoders below are applied by the
    handshake to the ones it understands, and unknown ones are ignored there.
    """

    items: tuple[tuple[int, bytes], ...] = ()

    @classmethod
    def parse(cls, reader: Reader) -> Extensions:
        """
        Parse the optional extensions block at the end of a hello: no bytes
        at all means no extensions (RFC 5246 section 7.4.1.2).
        """
        if reader.atEnd():
            return cls()
        items: list[tuple[int, bytes]] = []
        seen: set[int] = set()
        with reader.vector(2, 0xFFFF) as block:
            for extType, data in block.typedVectors():
                if extType in seen:
                    # RFC 8446 4.2 / RFC 5246 7.4.1.4: "MUST NOT be more than
                    # one extension of the same type"; well-formed bytes, so
                    # illegal_parameter (RFC 8446 6.2), as OpenSSL answers.
                    raise IllegalParameter(f"duplicate extension {extType}")
                seen.add(extType)
                items.append((extType, data))
        return cls(tuple(items))

    def serialize(self, writer: Writer, required: bool = False) -> None:
        """
        @param required: write the block even when empty (TLS 1.3 messages
            whose extensions are not optional); hellos omit an empty one.
        """
        if not self.items and not required:
            return
        # One join rather than two Writer calls per extension: hellos are
        # written on every handshake.
        try:
            block = b"".join([_EXTENSION_HEADER.pack(t, len(d)) + d for t, d in self.items])
        except struct.error:
            raise ValueError("an extension does not fit in 65535 bytes") from None
        writer.writeVector(2, block)

    def get(self, extType: int) -> bytes | None:
        for t, data in self.items:
            if t == extType:
                return data
        return None

    def __contains__(self, extType: object) -> bool:
        return any(t == extType for t, _ in self.items)

    def types(self) -> tuple[int, ...]:
        return tuple(t for t, _ in self.items)


def _parseWhole(data: bytes) -> Reader:
    return Reader(data)


#: What may remain of a host name once these are deleted: nothing (a C-speed
#: check, where a generator over the bytes cost microseconds a handshake).
_PRINTABLE_ASCII = bytes(range(0x21, 0x7F))


def decodeServerName(data: bytes) -> str | None:
    """
    A ClientHello's RFC 6066 server_name: its host_name entry, or C{None}
    when it names only types we do not know (which RFC 6066 3 lets us skip:
    every name type begins with a 16-bit length).

    An empty extension or list, an empty name (C{server_name_list<1..2^16-1>},
    C{HostName<1..2^16-1>}) is a decode_error.  Two host names (RFC 6066 3:
    "MUST NOT contain more than one name of the same name_type") and a name
    that is not printable ASCII (RFC 6066 3: "a byte string using ASCII
    encoding"; a control character would also reach logs and the SNI map)
    parse, so they are illegal_parameter (RFC 8446 6.2).
    """
    reader = _parseWhole(data)
    hostName: str | None = None
    with reader.vector(2, 0xFFFF, 1) as names:
        while not names.atEnd():
            nameType = names.readUint8()
            name = names.readVector(2, 0xFFFF, 1)
            if nameType != 0:
                continue
            if hostName is not None:
                raise IllegalParameter("two host_name entries in server_name")
            if name.translate(None, _PRINTABLE_ASCII):
                raise IllegalParameter("server_name host name is not printable ASCII")
            hostName = name.decode("ascii")
    reader.expectEnd()
    return hostName


def encodeServerName(hostName: str) -> bytes:
    w = Writer()
    with w.lengthPrefixed(2):
        w.writeUint8(0)
        w.writeVector(2, hostName.encode("ascii"))
    return w.getvalue()


def decodeUint16List(data: bytes, minItems: int = 1, maxItems: int = 0x7FFF) -> tuple[int, ...]:
    """
    Decode a C{uint16 list<2..2^16-2>} such as supported_groups or
    signature_algorithms.
    """
    reader = _parseWhole(data)
    raw = reader.readVector(2, 2 * maxItems, 2 * minItems)
    reader.expectEnd()
    if len(raw) % 2:
        raise DecodeError("odd length for a list of uint16")
    return unpackUint16s(raw)


def encodeUint16List(values: Iterable[int]) -> bytes:
    # One struct call: every ClientHello writes two of these lists.
    items = tuple(values)
    try:
        return struct.pack(f">H{len(items)}H", 2 * len(items), *items)
    except struct.error:
        raise ValueError("a uint16 list does not fit in 65535 bytes") from None


def decodeEcPointFormats(data: bytes) -> tuple[int, ...]:
    reader = _parseWhole(data)
    raw = reader.readVector(1, 0xFF, 1)
    reader.expectEnd()
    return tuple(raw)


def encodeEcPointFormats(formats: Sequence[int] = (EC_POINT_FORMAT_UNCOMPRESSED,)) -> bytes:
    w = Writer()
    w.writeVector(1, bytes(formats))
    return w.getvalue()


def decodeAlpn(data: bytes) -> tuple[bytes, ...]:
    """
    RFC 7301 ProtocolNameList: non-empty, each name non-empty.
    """
    reader = _parseWhole(data)
    names: list[bytes] = []
    with reader.vector(2, 0xFFFF, 2) as block:
        while not block.atEnd():
            names.append(block.readVector(1, 0xFF, 1))
    reader.expectEnd()
    return tuple(names)


def encodeAlpn(names: Sequence[bytes]) -> bytes:
    w = Writer()
    with w.lengthPrefixed(2):
        for name in names:
            w.writeVector(1, name)
    return w.getvalue()


def decodeRenegotiationInfo(data: bytes) -> bytes:
    """
    RFC 5746: C{opaque renegotiated_connection<0..255>}.
    """
    return _decodeOpaque(data, 1)


def encodeRenegotiationInfo(value: bytes) -> bytes:
    return _encodeOpaque(value, 1)


def decodeCookie(data: bytes) -> bytes:
    """
    RFC 8446 4.2.2: C{opaque cookie<1..2^16-1>}.
    """
    return _decodeOpaque(data, 2, minLength=1)


def encodeCookie(value: bytes) -> bytes:
    return _encodeOpaque(value, 2)


def _decodeOpaque(data: bytes, lengthBytes: int, minLength: int = 0) -> bytes:
    """
    An extension whose whole body is one length-prefixed opaque vector.
    """
    reader = _parseWhole(data)
    value = reader.readVector(lengthBytes, (1 << (8 * lengthBytes)) - 1, minLength)
    reader.expectEnd()
    return value


def _encodeOpaque(value: bytes, lengthBytes: int) -> bytes:
    w = Writer()
    w.writeVector(lengthBytes, value)
    return w.getvalue()


def _readDistinguishedNames(reader: Reader, minLength: int) -> tuple[bytes, ...]:
    """
    A list of C{opaque DistinguishedName<1..2^16-1>}, each a DER X.501 Name
    kept as bytes: they are compared, never interpreted.
    """
    names: list[bytes] = []
    with reader.vector(2, 0xFFFF, minLength) as block:
        while not block.atEnd():
            names.append(block.readVector(2, 0xFFFF, 1))
    return tuple(names)


def _writeDistinguishedNames(writer: Writer, names: Iterable[bytes]) -> None:
    with writer.lengthPrefixed(2):
        for name in names:
            writer.writeVector(2, name)


def decodeCertificateAuthorities(data: bytes) -> tuple[bytes, ...]:
    """
    RFC 8446 4.2.4: C{DistinguishedName authorities<3..2^16-1>}; unlike the
    TLS 1.2 field it is never empty (an empty list is a decode_error).
    """
    reader = _parseWhole(data)
    names = _readDistinguishedNames(reader, minLength=3)
    reader.expectEnd()
    return names


def encodeCertificateAuthorities(names: Sequence[bytes]) -> bytes:
    if not names:
        raise ValueError("certificate_authorities needs at least one name")
    w = Writer()
    _writeDistinguishedNames(w, names)
    return w.getvalue()


def decodeEmpty(data: bytes, name: str) -> None:
    if data:
        raise DecodeError(f"{name} extension must be empty")


# --- messages ---------------------------------------------------------------

_M = TypeVar("_M", bound="HandshakeMessage")


class HandshakeMessage:
    """
    Base of all handshake messages: C{msgType}, C{parse(body)},
    C{serialize() -> body}, and C{toBytes()} with the handshake header.
    """

    msgType: ClassVar[HandshakeType]

    @classmethod
    def parse(cls: type[_M], body: bytes) -> _M:
        reader = Reader(body)
        message = cls._read(reader)
        reader.expectEnd()
        return message

    @classmethod
    def _read(cls: type[_M], reader: Reader) -> _M:
        raise NotImplementedError

    def _write(self, writer: Writer) -> None:
        raise NotImplementedError

    def serialize(self) -> bytes:
        w = Writer()
        self._write(w)
        return w.getvalue()

    def toBytes(self) -> bytes:
        return frameHandshake(self.msgType, self.serialize())


def _readRandom(reader: Reader) -> bytes:
    return reader.readBytes(32)


class _EmptyMessage(HandshakeMessage):
    """
    A message with no body (HelloRequest, ServerHelloDone): C{parse} then
    insists the body is empty.
    """

    @classmethod
    def _read(cls: type[_M], reader: Reader) -> _M:
        return cls()

    def _write(self, writer: Writer) -> None:
        pass


@dataclass(frozen=True)
class HelloRequest(_EmptyMessage):
    msgType: ClassVar[HandshakeType] = HandshakeType.hello_request


@dataclass(frozen=True)
class ClientHello(HandshakeMessage):
    msgType: ClassVar[HandshakeType] = HandshakeType.client_hello

    legacyVersion: int
    random: bytes = field(repr=False)
    sessionId: bytes
    cipherSuites: tuple[int, ...]
    compressionMethods: bytes
    extensions: Extensions

    @classmethod
    def _read(cls, reader: Reader) -> ClientHello:
        version = reader.readUint16()
        random = _readRandom(reader)
        sessionId = reader.readVector(1, 32)
        # RFC 5246 7.4.1.2: CipherSuite cipher_suites<2..2^16-2>.
        rawSuites = reader.readVector(2, 0xFFFE, 2)
        if len(rawSuites) % 2:
            raise DecodeError("odd cipher_suites length")
        suites = unpackUint16s(rawSuites)
        compression = reader.readVector(1, 0xFF, 1)
        extensions = Extensions.parse(reader)
        return cls(version, random, sessionId, suites, compression, extensions)

    def _write(self, writer: Writer) -> None:
        writer.writeUint16(self.legacyVersion)
        writer.writeBytes(self.random)
        writer.writeVector(1, self.sessionId)
        writer.writeVector(2, b"".join(s.to_bytes(2, "big") for s in self.cipherSuites))
        writer.writeVector(1, self.compressionMethods)
        self.extensions.serialize(writer)


@dataclass(frozen=True)
class ServerHello(HandshakeMessage):
    msgType: ClassVar[HandshakeType] = HandshakeType.server_hello

    legacyVersion: int
    random: bytes = field(repr=False)
    sessionId: bytes
    cipherSuite: int
    compressionMethod: int
    extensions: Extensions

    @classmethod
    def _read(cls, reader: Reader) -> ServerHello:
        version = reader.readUint16()
        random = _readRandom(reader)
        sessionId = reader.readVector(1, 32)
        suite = reader.readUint16()
        compression = reader.readUint8()
        extensions = Extensions.parse(reader)
        return cls(version, random, sessionId, suite, compression, extensions)

    def _write(self, writer: Writer) -> None:
        writer.writeUint16(self.legacyVersion)
        writer.writeBytes(self.random)
        writer.writeVector(1, self.sessionId)
        writer.writeUint16(self.cipherSuite)
        writer.writeUint8(self.compressionMethod)
        self.extensions.serialize(writer)


@dataclass(frozen=True)
class Certificate12(HandshakeMessage):
    """
    TLS 1.2 Certificate: DER certificates, leaf first.  DER is kept raw;
    turning it into X.509 objects (and the alert for bad DER) is the
    credentials layer's business.
    """

    msgType: ClassVar[HandshakeType] = HandshakeType.certificate

    certificates: tuple[bytes, ...] = field(repr=False)

    @classmethod
    def _read(cls, reader: Reader) -> Certificate12:
        certs: list[bytes] = []
        with reader.vector(3, 0xFFFFFF) as block:
            while not block.atEnd():
                if len(certs) >= MAX_CERTIFICATES:
                    raise DecodeError("certificate chain too long")
                certs.append(block.readVector(3, 0xFFFFFF, 1))
        return cls(tuple(certs))

    def _write(self, writer: Writer) -> None:
        with writer.lengthPrefixed(3):
            for der in self.certificates:
                writer.writeVector(3, der)


@dataclass(frozen=True)
class ServerKeyExchangeECDHE(HandshakeMessage):
    """
    RFC 8422 ServerKeyExchange for ECDHE with a named curve, signed.

    @ivar params: the raw ServerECDHParams bytes, which the signature covers.
    """

    msgType: ClassVar[HandshakeType] = HandshakeType.server_key_exchange

    group: int
    publicKey: bytes = field(repr=False)
    signatureScheme: int
    signature: bytes = field(repr=False)

    @property
    def params(self) -> bytes:
        w = Writer()
        w.writeUint8(EC_CURVE_TYPE_NAMED)
        w.writeUint16(self.group)
        w.writeVector(1, self.publicKey)
        return w.getvalue()

    @classmethod
    def _read(cls, reader: Reader) -> ServerKeyExchangeECDHE:
        curveType = reader.readUint8()
        if curveType != EC_CURVE_TYPE_NAMED:
            raise DecodeError(f"curve type {curveType} is not named_curve")
        group = reader.readUint16()
        public = reader.readVector(1, 0xFF, 1)
        scheme = reader.readUint16()
        signature = reader.readVector(2, 0xFFFF)
        return cls(group, public, scheme, signature)

    def _write(self, writer: Writer) -> None:
        writer.writeBytes(self.params)
        writer.writeUint16(self.signatureScheme)
        writer.writeVector(2, self.signature)


@dataclass(frozen=True)
class CertificateRequest12(HandshakeMessage):
    msgType: ClassVar[HandshakeType] = HandshakeType.certificate_request

    certificateTypes: bytes
    signatureSchemes: tuple[int, ...]
    authorities: tuple[bytes, ...] = field(default=(), repr=False)

    #: ClientCertificateType values (RFC 5246, RFC 8422).
    RSA_SIGN: ClassVar[int] = 1
    ECDSA_SIGN: ClassVar[int] = 64

    @classmethod
    def _read(cls, reader: Reader) -> CertificateRequest12:
        types = reader.readVector(1, 0xFF, 1)
        rawSchemes = reader.readVector(2, 0xFFFE, 2)
        if len(rawSchemes) % 2:
            raise DecodeError("odd supported_signature_algorithms length")
        schemes = unpackUint16s(rawSchemes)
        # RFC 5246 7.4.4: certificate_authorities<0..2^16-1>, may be empty.
        authorities = _readDistinguishedNames(reader, minLength=0)
        return cls(types, schemes, authorities)

    def _write(self, writer: Writer) -> None:
        writer.writeVector(1, self.certificateTypes)
        writer.writeVector(2, b"".join(s.to_bytes(2, "big") for s in self.signatureSchemes))
        _writeDistinguishedNames(writer, self.authorities)


@dataclass(frozen=True)
class ServerHelloDone(_EmptyMessage):
    msgType: ClassVar[HandshakeType] = HandshakeType.server_hello_done


@dataclass(frozen=True)
class ClientKeyExchangeECDHE(HandshakeMessage):
    msgType: ClassVar[HandshakeType] = HandshakeType.client_key_exchange

    publicKey: bytes = field(repr=False)

    @classmethod
    def _read(cls, reader: Reader) -> ClientKeyExchangeECDHE:
        return cls(reader.readVector(1, 0xFF, 1))

    def _write(self, writer: Writer) -> None:
        writer.writeVector(1, self.publicKey)


@dataclass(frozen=True)
class CertificateVerify(HandshakeMessage):
    msgType: ClassVar[HandshakeType] = HandshakeType.certificate_verify

    signatureScheme: int
    signature: bytes = field(repr=False)

    @classmethod
    def _read(cls, reader: Reader) -> CertificateVerify:
        scheme = reader.readUint16()
        return cls(scheme, reader.readVector(2, 0xFFFF))

    def _write(self, writer: Writer) -> None:
        writer.writeUint16(self.signatureScheme)
        writer.writeVector(2, self.signature)


@dataclass(frozen=True)
class Finished(HandshakeMessage):
    msgType: ClassVar[HandshakeType] = HandshakeType.finished

    verifyData: bytes = field(repr=False)

    #: verify_data is 12 bytes for every TLS 1.2 suite we implement; TLS 1.3
    #: uses the hash length, so the handshake checks the exact size.
    MAX_LENGTH: ClassVar[int] = _MAX_BODY_LENGTH[HandshakeType.finished]

    @classmethod
    def _read(cls, reader: Reader) -> Finished:
        data = reader.readRest()
        if not 12 <= len(data) <= cls.MAX_LENGTH:
            raise DecodeError(f"Finished of {len(data)} bytes")
        return cls(data)

    def _write(self, writer: Writer) -> None:
        writer.writeBytes(self.verifyData)


# --- TLS 1.3 --------------------------------------------------------------------


def encodeSupportedVersionsClient(versions: Sequence[int]) -> bytes:
    w = Writer()
    w.writeVector(1, b"".join(v.to_bytes(2, "big") for v in versions))
    return w.getvalue()


def decodeSupportedVersionsClient(data: bytes) -> tuple[int, ...]:
    reader = _parseWhole(data)
    raw = reader.readVector(1, 254, 2)
    reader.expectEnd()
    if len(raw) % 2:
        raise DecodeError("odd supported_versions length")
    return unpackUint16s(raw)


def decodeSupportedVersionServer(data: bytes) -> int:
    reader = _parseWhole(data)
    version = reader.readUint16()
    reader.expectEnd()
    return version


def encodeKeyShareClient(shares: Sequence[tuple[int, bytes]]) -> bytes:
    w = Writer()
    with w.lengthPrefixed(2):
        for group, key in shares:
            w.writeUint16(group)
            w.writeVector(2, key)
    return w.getvalue()


def decodeKeyShareClient(data: bytes) -> tuple[tuple[int, bytes], ...]:
    """
    RFC 8446 4.2.8: client_shares, at most one per group.
    """
    reader = _parseWhole(data)
    shares: list[tuple[int, bytes]] = []
    seen: set[int] = set()
    with reader.vector(2, 0xFFFF) as block:
        while not block.atEnd():
            group = block.readUint16()
            key = block.readVector(2, 0xFFFF, 1)
            if group in seen:
                # RFC 8446 4.2.8: servers "abort the handshake with an
                # illegal_parameter alert" for this.
                raise IllegalParameter(f"two key shares for group {group}")
            seen.add(group)
            shares.append((group, key))
    reader.expectEnd()
    return tuple(shares)


def decodeSelectedGroup(data: bytes) -> int:
    """
    RFC 8446 4.2.8: a HelloRetryRequest's key_share, one NamedGroup.
    """
    reader = _parseWhole(data)
    group = reader.readUint16()
    reader.expectEnd()
    return group


def encodeKeyShareServer(group: int, key: bytes) -> bytes:
    w = Writer()
    w.writeUint16(group)
    w.writeVector(2, key)
    return w.getvalue()


def decodeKeyShareServer(data: bytes) -> tuple[int, bytes]:
    reader = _parseWhole(data)
    group = reader.readUint16()
    key = reader.readVector(2, 0xFFFF, 1)
    reader.expectEnd()
    return group, key


@dataclass(frozen=True)
class EncryptedExtensions(HandshakeMessage):
    msgType: ClassVar[HandshakeType] = HandshakeType.encrypted_extensions

    extensions: Extensions

    @classmethod
    def _read(cls, reader: Reader) -> EncryptedExtensions:
        if reader.remaining < 2:
            raise DecodeError("EncryptedExtensions without its extensions block")
        return cls(Extensions.parse(reader))

    def _write(self, writer: Writer) -> None:
        self.extensions.serialize(writer, required=True)


@dataclass(frozen=True)
class Certificate13(HandshakeMessage):
    """
    TLS 1.3 Certificate: a request context and DER certificates, each with
    its own (here ignored) extensions.
    """

    msgType: ClassVar[HandshakeType] = HandshakeType.certificate

    context: bytes
    certificates: tuple[bytes, ...] = field(repr=False)

    @classmethod
    def _read(cls, reader: Reader) -> Certificate13:
        context = reader.readVector(1, 0xFF)
        certs: list[bytes] = []
        with reader.vector(3, 0xFFFFFF) as block:
            while not block.atEnd():
                if len(certs) >= MAX_CERTIFICATES:
                    raise DecodeError("certificate chain too long")
                certs.append(block.readVector(3, 0xFFFFFF, 1))
                block.readVector(2, 0xFFFF)  # per-certificate extensions
        return cls(context, tuple(certs))

    def _write(self, writer: Writer) -> None:
        writer.writeVector(1, self.context)
        with writer.lengthPrefixed(3):
            for der in self.certificates:
                writer.writeVector(3, der)
                writer.writeVector(2, b"")


@dataclass(frozen=True)
class KeyUpdate(HandshakeMessage):
    """
    RFC 8446 4.6.3.  C{requestUpdate} is the byte as sent: values other
    than 0 and 1 decode (the field is a one-byte enum) and are the
    receiver's to refuse, with illegal_parameter.
    """

    msgType: ClassVar[HandshakeType] = HandshakeType.key_update

    requestUpdate: int

    @property
    def updateRequested(self) -> bool:
        return self.requestUpdate == 1

    @classmethod
    def _read(cls, reader: Reader) -> KeyUpdate:
        return cls(reader.readUint8())

    def _write(self, writer: Writer) -> None:
        writer.writeUint8(int(self.requestUpdate))


@dataclass(frozen=True)
class CertificateRequest13(HandshakeMessage):
    """
    TLS 1.3 CertificateRequest: a context (empty in the handshake) and
    extensions, of which signature_algorithms is required.
    """

    msgType: ClassVar[HandshakeType] = HandshakeType.certificate_request

    context: bytes
    extensions: Extensions

    @classmethod
    def _read(cls, reader: Reader) -> CertificateRequest13:
        context = reader.readVector(1, 0xFF)
        if reader.remaining < 2:
            raise DecodeError("CertificateRequest without extensions")
        return cls(context, Extensions.parse(reader))

    def _write(self, writer: Writer) -> None:
        writer.writeVector(1, self.context)
        self.extensions.serialize(writer, required=True)


@dataclass(frozen=True)
class NewSessionTicket13(HandshakeMessage):
    """
    TLS 1.3 NewSessionTicket (RFC 8446 4.6.1).
    """

    msgType: ClassVar[HandshakeType] = HandshakeType.new_session_ticket

    lifetime: int
    ageAdd: int
    nonce: bytes
    ticket: bytes = field(repr=False)
    extensions: Extensions = Extensions()

    @classmethod
    def _read(cls, reader: Reader) -> NewSessionTicket13:
        lifetime = reader.readUint(4)
        ageAdd = reader.readUint(4)
        nonce = reader.readVector(1, 0xFF)
        ticket = reader.readVector(2, 0xFFFF, minLength=1)
        if reader.remaining < 2:
            # Unlike a hello's, this extensions block is not optional.
            raise DecodeError("NewSessionTicket without extensions")
        return cls(lifetime, ageAdd, nonce, ticket, Extensions.parse(reader))

    def _write(self, writer: Writer) -> None:
        writer.writeUint(self.lifetime, 4)
        writer.writeUint(self.ageAdd, 4)
        writer.writeVector(1, self.nonce)
        writer.writeVector(2, self.ticket)
        self.extensions.serialize(writer, required=True)


#: RFC 8446 4.2.9: the only PSK mode we use, PSK with (EC)DHE.
PSK_DHE_KE = 1

#: Identities a server tries in one pre_shared_key extension (each costs a
#: ticket decryption); the others are parsed and passed over, as RFC 8446
#: 4.2.11 lets a server pick any of them.
MAX_PSK_IDENTITIES = 8


@dataclass(frozen=True)
class OfferedPsks:
    """
    A ClientHello's pre_shared_key (RFC 8446 4.2.11): identities with their
    obfuscated ticket ages, and one binder per identity.
    """

    identities: tuple[tuple[bytes, int], ...]
    binders: tuple[bytes, ...]

    @classmethod
    def parse(cls, data: bytes) -> OfferedPsks:
        reader = _parseWhole(data)
        identities: list[tuple[bytes, int]] = []
        with reader.vector(2, 0xFFFF, minLength=7) as block:
            while not block.atEnd():
                identity = block.readVector(2, 0xFFFF, minLength=1)
                identities.append((identity, block.readUint(4)))
        binders: list[bytes] = []
        with reader.vector(2, 0xFFFF, minLength=33) as block:
            while not block.atEnd():
                binders.append(block.readVector(1, 0xFF, minLength=32))
        reader.expectEnd()
        if len(identities) != len(binders):
            raise DecodeError("pre_shared_key identities and binders differ in number")
        return cls(tuple(identities), tuple(binders))

    def toBytes(self) -> bytes:
        w = Writer()
        with w.lengthPrefixed(2):
            for identity, age in self.identities:
                w.writeVector(2, identity)
                w.writeUint(age, 4)
        w.writeBytes(self.bindersBytes())
        return w.getvalue()

    def bindersBytes(self) -> bytes:
        """
        The binders list as it ends the ClientHello: what the binders'
        transcript leaves out (RFC 8446 4.2.11.2).
        """
        w = Writer()
        with w.lengthPrefixed(2):
            for binder in self.binders:
                w.writeVector(1, binder)
        return w.getvalue()


def decodePskModes(data: bytes) -> bytes:
    """
    RFC 8446 4.2.9: C{PskKeyExchangeMode ke_modes<1..255>}.
    """
    return _decodeOpaque(data, 1, minLength=1)


def encodePskModes(modes: bytes) -> bytes:
    return _encodeOpaque(modes, 1)


def decodeSelectedIdentity(data: bytes) -> int:
    reader = _parseWhole(data)
    value = reader.readUint16()
    reader.expectEnd()
    return value


@dataclass(frozen=True)
class NewSessionTicket12(HandshakeMessage):
    """
    TLS 1.2 NewSessionTicket (RFC 5077 3.3).
    """

    msgType: ClassVar[HandshakeType] = HandshakeType.new_session_ticket

    lifetimeHint: int
    ticket: bytes = field(repr=False)

    @classmethod
    def _read(cls, reader: Reader) -> NewSessionTicket12:
        return cls(reader.readUint(4), reader.readVector(2, 0xFFFF))

    def _write(self, writer: Writer) -> None:
        writer.writeUint(self.lifetimeHint, 4)
        writer.writeVector(2, self.ticket)
