# -*- test-case-name: tests.tls.test_messages -*-
"""
Hello extensions (RFC 8446 4.2, RFC 5246 7.4.1.4): their types, the ordered
block a hello or a TLS 1.3 message carries (L{Extensions}), and a decoder
and an encoder for the body of each extension we implement.

Extensions stay raw in the messages of L{messages}; the handshake applies
these decoders to the ones it understands.  Like the message parsers,
decoders raise nothing but L{DecodeError} (or L{IllegalParameter} for
well-formed bytes that break a rule of the extension's own syntax).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

from .errors import DecodeError, IllegalParameter
from .wire import Reader, Writer, unpackUint16s


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


EC_POINT_FORMAT_UNCOMPRESSED = 0


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
        return self._byType.get(extType)

    @cached_property
    def _byType(self) -> dict[int, bytes]:
        # A server asks a ClientHello for a dozen extensions: one dict, not
        # a scan of the list per question.  The first of a type wins, as
        # the scan did (parsed blocks have no duplicates anyway).
        byType: dict[int, bytes] = {}
        for t, data in self.items:
            byType.setdefault(t, data)
        return byType

    def __contains__(self, extType: object) -> bool:
        return extType in self._byType

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
    size = len(data)
    if (
        size > 5
        and data[2] == 0
        and int.from_bytes(data[:2], "big") == size - 2
        and int.from_bytes(data[3:5], "big") == size - 5
    ):
        # What every client sends: one host_name filling the list.  Its
        # lengths just checked, only the name's bytes remain to judge (the
        # general reading below costs a reader per vector on every
        # handshake, bench/engine.py's server column).
        name = data[5:]
        if name.translate(None, _PRINTABLE_ASCII):
            raise IllegalParameter("server_name host name is not printable ASCII")
        return name.decode("ascii")
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


def readDistinguishedNames(reader: Reader, minLength: int) -> tuple[bytes, ...]:
    """
    A list of C{opaque DistinguishedName<1..2^16-1>}, each a DER X.501 Name
    kept as bytes: they are compared, never interpreted.
    """
    names: list[bytes] = []
    with reader.vector(2, 0xFFFF, minLength) as block:
        while not block.atEnd():
            names.append(block.readVector(2, 0xFFFF, 1))
    return tuple(names)


def writeDistinguishedNames(writer: Writer, names: Iterable[bytes]) -> None:
    with writer.lengthPrefixed(2):
        for name in names:
            writer.writeVector(2, name)


def decodeCertificateAuthorities(data: bytes) -> tuple[bytes, ...]:
    """
    RFC 8446 4.2.4: C{DistinguishedName authorities<3..2^16-1>}; unlike the
    TLS 1.2 field it is never empty (an empty list is a decode_error).
    """
    reader = _parseWhole(data)
    names = readDistinguishedNames(reader, minLength=3)
    reader.expectEnd()
    return names


def encodeCertificateAuthorities(names: Sequence[bytes]) -> bytes:
    if not names:
        raise ValueError("certificate_authorities needs at least one name")
    w = Writer()
    writeDistinguishedNames(w, names)
    return w.getvalue()


def decodeEmpty(data: bytes, name: str) -> None:
    if data:
        raise DecodeError(f"{name} extension must be empty")


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
        # Framed by hand, not with a Writer: a resuming client frames its
        # offer twice per ClientHello (bench/engine.py's resumed row).
        # Lengths over the vectors' limits cannot be framed (as a Writer
        # refuses them too).
        identities = b"".join(
            _uint16(len(identity)) + identity + age.to_bytes(4, "big")
            for identity, age in self.identities
        )
        return _uint16(len(identities)) + identities + self.bindersBytes()

    def bindersLength(self) -> int:
        """
        The length of L{bindersBytes}, without framing them: where the
        binders' transcript ends, which a server finds on every resumption
        (bench/engine.py's resumed row).
        """
        return 2 + sum(1 + len(binder) for binder in self.binders)

    def bindersBytes(self) -> bytes:
        """
        The binders list as it ends the ClientHello: what the binders'
        transcript leaves out (RFC 8446 4.2.11.2).
        """
        binders = b"".join(bytes((len(binder),)) + binder for binder in self.binders)
        return _uint16(len(binders)) + binders


def _uint16(length: int) -> bytes:
    """
    A 2-byte vector length; C{ValueError} for one that does not fit, as
    L{Writer.writeVector} says.
    """
    if length > 0xFFFF:
        raise ValueError(f"{length} bytes do not fit a 2-byte length")
    return length.to_bytes(2, "big")


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
