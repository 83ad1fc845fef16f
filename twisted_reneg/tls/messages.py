# -*- test-case-name: tests.tls.test_messages -*-
"""
Handshake messages: one frozen dataclass per message, with C{parse} and
C{serialize} side by side; the extensions they carry are L{extensions}'.

Parsers see only the message body (the 4-byte handshake header is handled by
L{reassembly.HandshakeBuffer}) and raise nothing but L{DecodeError}.  Semantic
checks (is this suite one we offered?) belong to the handshake, not here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar, TypeVar

from .errors import DecodeError
from .extensions import Extensions, readDistinguishedNames, writeDistinguishedNames
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

EC_CURVE_TYPE_NAMED = 3


def frameHandshake(msgType: int, body: bytes) -> bytes:
    """
    Prefix a handshake body with its type and 24-bit length.
    """
    if len(body) >= 1 << 24:
        raise ValueError("handshake message too large")
    return bytes((msgType,)) + len(body).to_bytes(3, "big") + body


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


def _readHelloStart(reader: Reader) -> tuple[int, bytes, bytes]:
    """
    What both hellos begin with: legacy_version, random and
    legacy_session_id<0..32>.
    """
    return reader.readUint16(), reader.readBytes(32), reader.readVector(1, 32)


def _writeHelloStart(writer: Writer, version: int, random: bytes, sessionId: bytes) -> None:
    writer.writeUint16(version)
    writer.writeBytes(random)
    writer.writeVector(1, sessionId)


def _readCertificateList(reader: Reader, entryExtensions: bool) -> tuple[bytes, ...]:
    """
    The certificate_list of either version's Certificate: DER certificates,
    leaf first, at most L{MAX_CERTIFICATES}.

    @param entryExtensions: TLS 1.3: each certificate is followed by its
        own extensions (read and ignored).
    """
    certs: list[bytes] = []
    with reader.vector(3, 0xFFFFFF) as block:
        while not block.atEnd():
            if len(certs) >= MAX_CERTIFICATES:
                raise DecodeError("certificate chain too long")
            certs.append(block.readVector(3, 0xFFFFFF, 1))
            if entryExtensions:
                block.readVector(2, 0xFFFF)
    return tuple(certs)


def _writeCertificateList(
    writer: Writer, certificates: tuple[bytes, ...], entryExtensions: bool
) -> None:
    with writer.lengthPrefixed(3):
        for der in certificates:
            writer.writeVector(3, der)
            if entryExtensions:
                writer.writeVector(2, b"")  # no extensions of ours


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
        version, random, sessionId = _readHelloStart(reader)
        # RFC 5246 7.4.1.2: CipherSuite cipher_suites<2..2^16-2>.
        rawSuites = reader.readVector(2, 0xFFFE, 2)
        if len(rawSuites) % 2:
            raise DecodeError("odd cipher_suites length")
        suites = unpackUint16s(rawSuites)
        compression = reader.readVector(1, 0xFF, 1)
        extensions = Extensions.parse(reader)
        return cls(version, random, sessionId, suites, compression, extensions)

    def _write(self, writer: Writer) -> None:
        _writeHelloStart(writer, self.legacyVersion, self.random, self.sessionId)
        writer.writeVector(2, b"".join(s.to_bytes(2, "big") for s in self.cipherSuites))
        writer.writeVector(1, self.compressionMethods)
        self.extensions.serialize(writer)

    def toBytes(self) -> bytes:
        # Immutable, so framed once: a client frames its hello to send it
        # and again for the transcript of a HelloRetryRequest or a TLS 1.2
        # fallback.
        framed: bytes | None = self.__dict__.get("_framed")
        if framed is None:
            framed = super().toBytes()
            object.__setattr__(self, "_framed", framed)
        return framed

    def withExtensions(self, extensions: Extensions) -> ClientHello:
        """
        This hello with other extensions, made field by field rather than
        by C{dataclasses.replace}, which walks the fields at run time (a
        resuming client makes two per ClientHello: bench/engine.py's
        resumed row).
        """
        return ClientHello(
            self.legacyVersion,
            self.random,
            self.sessionId,
            self.cipherSuites,
            self.compressionMethods,
            extensions,
        )

    def withFinalBinders(self, offer: bytes, binders: bytes) -> ClientHello:
        """
        This hello, whose last extension is a pre_shared_key offer with
        placeholder binders, with C{offer} in its place: the same offer but
        for binders of the same lengths (RFC 8446 4.2.11.2, the binders are
        computed over the hello up to them).  Its framing is this one's
        with the binder list, C{binders}, at the end replaced, not made
        again.
        """
        items = self.extensions.items
        extType, placeholder = items[-1]
        kept = len(offer) - len(binders)
        if not (
            len(offer) == len(placeholder)
            and offer.endswith(binders)
            and offer[:kept] == placeholder[:kept]
        ):
            raise ValueError("the final offer is not the placeholder's with other binders")
        final = self.withExtensions(Extensions(items[:-1] + ((extType, offer),)))
        framed = self.toBytes()
        object.__setattr__(final, "_framed", framed[: len(framed) - len(binders)] + binders)
        return final


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
        version, random, sessionId = _readHelloStart(reader)
        suite = reader.readUint16()
        compression = reader.readUint8()
        extensions = Extensions.parse(reader)
        return cls(version, random, sessionId, suite, compression, extensions)

    def _write(self, writer: Writer) -> None:
        _writeHelloStart(writer, self.legacyVersion, self.random, self.sessionId)
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
        return cls(_readCertificateList(reader, entryExtensions=False))

    def _write(self, writer: Writer) -> None:
        _writeCertificateList(writer, self.certificates, entryExtensions=False)


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
        authorities = readDistinguishedNames(reader, minLength=0)
        return cls(types, schemes, authorities)

    def _write(self, writer: Writer) -> None:
        writer.writeVector(1, self.certificateTypes)
        writer.writeVector(2, b"".join(s.to_bytes(2, "big") for s in self.signatureSchemes))
        writeDistinguishedNames(writer, self.authorities)


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


# --- TLS 1.3 --------------------------------------------------------------------


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
        return cls(context, _readCertificateList(reader, entryExtensions=True))

    def _write(self, writer: Writer) -> None:
        writer.writeVector(1, self.context)
        _writeCertificateList(writer, self.certificates, entryExtensions=True)


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


#: A NewSessionTicket's handshake header (type and length in one word),
#: lifetime, age add and nonce length.
_NST13_HEADER = struct.Struct(">IIIB")


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

    @classmethod
    def frame(cls, lifetime: int, ageAdd: int, nonce: bytes, ticket: bytes) -> bytes:
        """
        The framed message of these fields and no extensions: the bytes
        C{NewSessionTicket13(lifetime, ageAdd, nonce, ticket).toBytes()}
        gives, without the message object and writer a server would
        otherwise make for each ticket it issues (bench/engine.py's server
        column: two tickets a full handshake).
        """
        if len(nonce) > 0xFF or len(ticket) > 0xFFFF:
            raise ValueError("nonce or ticket too long for a NewSessionTicket")
        # lifetime, ageAdd, nonce<0..255>, ticket<1..2^16-1>, extensions<0..2^16-2>
        length = 4 + 4 + 1 + len(nonce) + 2 + len(ticket) + 2
        return b"".join(
            (
                _NST13_HEADER.pack(
                    (int(cls.msgType) << 24) | length, lifetime, ageAdd, len(nonce)
                ),
                nonce,
                len(ticket).to_bytes(2, "big"),
                ticket,
                b"\x00\x00",
            )
        )
