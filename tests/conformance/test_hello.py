# -*- test-case-name: tests.conformance.test_hello -*-
"""
Conformance of the hello exchange, over real sockets on 127.0.0.1: a raw
client sends our server crafted ClientHellos, a raw server answers our
client's ClientHello with crafted messages, and each case is held to the
alert the RFC names (or to the handshake the RFC says must happen).  The
expectations come from the RFC text quoted in each docstring, and are
listed in docs/conformance.md ("ClientHello and extensions").

The hellos are built with our own codec (L{twisted_reneg.tls.messages}),
which writes whatever it is given, so it can say what a broken or unusual
peer says.
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric import x25519
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet import defer, protocol, reactor
from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase

from twisted_reneg import ClientOptions, ServerOptions, TLSAlertError
from twisted_reneg.tls import client13
from twisted_reneg.tls.errors import AlertDescription, DecodeError
from twisted_reneg.tls.extensions import (
    Extensions,
    ExtensionType,
    OfferedPsks,
    decodeKeyShareClient,
    decodeSelectedGroup,
    decodeServerName,
    encodeAlpn,
    encodeKeyShareClient,
    encodeKeyShareServer,
    encodePskModes,
    encodeRenegotiationInfo,
    encodeServerName,
    encodeSupportedVersionsClient,
    encodeUint16List,
)
from twisted_reneg.tls.keyexchange import respond
from twisted_reneg.tls.keyschedule import EarlySecret13, trafficKeys13
from twisted_reneg.tls.messages import ClientHello, EncryptedExtensions, ServerHello, maxBodyLength
from twisted_reneg.tls.records import ContentType, RecordWriter, tls13Protection
from twisted_reneg.tls.suites import SUITES13_BY_CODE, SUITES_BY_CODE, NamedGroup
from twisted_reneg.tls.tickets import ClientSession12, SessionState12
from twisted_reneg.tls.wire import Reader

from ..interop._options import ourClientOptions, ourServerOptions
from ..interop.peers import Collector, OurServer, connectOurClient

A = AlertDescription
E = ExtensionType

TLS12 = 0x0303
TLS13 = 0x0304
X25519 = 0x001D
P256 = 0x0017
P384 = 0x0018
ECDSA_P256_SHA256 = 0x0403
ECDHE_ECDSA_AES128_GCM = 0xC02B
AES128_GCM_SHA256 = 0x1301
FALLBACK_SCSV = 0x5600
PADDING = 21  # RFC 7685, an extension we do not implement

#: The longest ClientHello body the syntax allows (RFC 5246 7.4.1.2).
MAX_CLIENT_HELLO = 2 + 32 + 33 + (2 + 0xFFFE) + (1 + 0xFF) + (2 + 0xFFFF)


# --- wire helpers -------------------------------------------------------------


def record(contentType: int, body: bytes, version: int = TLS12) -> bytes:
    return struct.pack(">BHH", contentType, version, len(body)) + body


def handshakeRecords(messages: bytes) -> bytes:
    """
    Handshake bytes in as many plaintext records as they need (2^14 each).
    """
    return b"".join(
        record(ContentType.handshake, messages[i : i + 16384])
        for i in range(0, len(messages), 16384)
    )


def fatalAlert(alert: AlertDescription) -> bytes:
    return record(ContentType.alert, bytes((2, alert)))


def splitRecords(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    while len(data) >= 5:
        contentType, _, length = struct.unpack(">BHH", data[:5])
        if len(data) < 5 + length:
            break
        out.append((contentType, data[5 : 5 + length]))
        data = data[5 + length :]
    return out


def handshakeMessages(payload: bytes) -> list[tuple[int, bytes, bytes]]:
    out = []
    while len(payload) >= 4:
        length = int.from_bytes(payload[1:4], "big")
        if len(payload) < 4 + length:
            break
        out.append((payload[0], payload[4 : 4 + length], payload[: 4 + length]))
        payload = payload[4 + length :]
    return out


def x25519Share() -> bytes:
    return x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()


# --- crafted ClientHellos -----------------------------------------------------


def hello12(
    extensions: Sequence[tuple[int, bytes]] | None = None,
    *,
    suites: Sequence[int] = (ECDHE_ECDSA_AES128_GCM,),
    sessionId: bytes = b"",
    compression: bytes = b"\x00",
    legacyVersion: int = TLS12,
    extra: Sequence[tuple[int, bytes]] = (),
) -> ClientHello:
    """
    A TLS 1.2 ClientHello our default server accepts: no ec_point_formats,
    no server_name unless asked.
    """
    if extensions is None:
        extensions = [
            (E.supported_groups, encodeUint16List([X25519, P256])),
            (E.signature_algorithms, encodeUint16List([ECDSA_P256_SHA256])),
            (E.renegotiation_info, encodeRenegotiationInfo(b"")),
        ]
    return ClientHello(
        legacyVersion=legacyVersion,
        random=os.urandom(32),
        sessionId=sessionId,
        cipherSuites=tuple(suites),
        compressionMethods=compression,
        extensions=Extensions(tuple((int(t), d) for t, d in [*extensions, *extra])),
    )


def hello13(
    *,
    versions: Sequence[int] = (TLS13,),
    groups: Sequence[int] = (X25519,),
    shares: Sequence[tuple[int, bytes]] | None = None,
    schemes: Sequence[int] | None = (ECDSA_P256_SHA256,),
    suites: Sequence[int] = (AES128_GCM_SHA256,),
    legacyVersion: int = TLS12,
    compression: bytes = b"\x00",
    extra: Sequence[tuple[int, bytes]] = (),
    last: Sequence[tuple[int, bytes]] = (),
) -> ClientHello:
    """
    A TLS 1.3 ClientHello our default server accepts; C{extra} goes after
    the usual extensions, C{last} at the very end.
    """
    if shares is None:
        shares = [(X25519, x25519Share())]
    extensions: list[tuple[int, bytes]] = [
        (E.supported_versions, encodeSupportedVersionsClient(versions)),
        (E.supported_groups, encodeUint16List(groups)),
        (E.key_share, encodeKeyShareClient(shares)),
    ]
    if schemes is not None:
        extensions.append((E.signature_algorithms, encodeUint16List(schemes)))
    return ClientHello(
        legacyVersion=legacyVersion,
        random=os.urandom(32),
        sessionId=os.urandom(32),
        cipherSuites=tuple(suites),
        compressionMethods=compression,
        extensions=Extensions(tuple((int(t), d) for t, d in [*extensions, *extra, *last])),
    )


def serverNameList(*entries: tuple[int, bytes]) -> bytes:
    body = b"".join(bytes((t,)) + len(n).to_bytes(2, "big") + n for t, n in entries)
    return len(body).to_bytes(2, "big") + body


def pskOffer(count: int) -> bytes:
    """
    A pre_shared_key of C{count} identities no server knows.
    """
    return OfferedPsks(
        tuple((os.urandom(40), 0) for _ in range(count)), tuple(bytes(32) for _ in range(count))
    ).toBytes()


# --- a raw client at our server -----------------------------------------------


class RawClient(protocol.Protocol):
    """
    Sends fixed bytes; collects what comes back until the connection ends,
    or (C{untilServerHello}) closes itself once a ServerHello is in.
    """

    def __init__(self, toSend: bytes, untilServerHello: bool) -> None:
        self.toSend = toSend
        self.untilServerHello = untilServerHello
        self.received = bytearray()
        self.done: defer.Deferred[bytes] = defer.Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.toSend)

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if self.untilServerHello and serverHelloIn(bytes(self.received)) is not None:
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.done.callback(bytes(self.received))


def serverHelloIn(data: bytes) -> ServerHello | None:
    payload = b"".join(p for t, p in splitRecords(data) if t == ContentType.handshake)
    for msgType, body, _ in handshakeMessages(payload):
        if msgType == 2:
            return ServerHello.parse(body)
    return None


class ServerCase(TestCase):
    """
    Crafted ClientHellos at our server.
    """

    timeout = 60

    def serverOptions(self, **kw: Any) -> ServerOptions:
        return ourServerOptions(**kw)

    async def talk(
        self, data: bytes, options: ServerOptions | None, untilServerHello: bool = False
    ) -> tuple[bytes, Failure]:
        server = OurServer(self, options or self.serverOptions())
        peer = RawClient(data, untilServerHello)
        await protocol.ClientCreator(reactor, lambda: peer).connectTCP(  # type: ignore[arg-type]
            "127.0.0.1", server.portNumber
        )
        received = await peer.done
        ours = await server.nextConnection()
        assert ours.reason is not None
        return received, ours.reason

    async def assertRefused(
        self,
        hello: ClientHello | bytes,
        alert: AlertDescription,
        options: ServerOptions | None = None,
    ) -> None:
        """
        Our server answers with exactly this fatal alert, in the clear, and
        closes; it reports the alert as sent by us.
        """
        data = hello if isinstance(hello, bytes) else handshakeRecords(hello.toBytes())
        received, reason = await self.talk(data, options)
        self.assertEqual(received, fatalAlert(alert))
        reason.trap(TLSAlertError)
        self.assertEqual((reason.value.alert, reason.value.sentByUs), (alert, True))

    async def serverHello(
        self, hello: ClientHello, options: ServerOptions | None = None
    ) -> ServerHello:
        """
        Our server accepts the hello: its answer starts with a ServerHello.
        """
        received, _ = await self.talk(handshakeRecords(hello.toBytes()), options, True)
        serverHello = serverHelloIn(received)
        if serverHello is None:
            self.fail(f"no ServerHello, got {received[:40]!r}")
        return serverHello

    def assertTLS12(self, serverHello: ServerHello) -> None:
        self.assertEqual(serverHello.legacyVersion, TLS12)
        self.assertNotIn(E.supported_versions, serverHello.extensions)

    def assertTLS13(self, serverHello: ServerHello) -> None:
        self.assertEqual(serverHello.extensions.get(E.supported_versions), b"\x03\x04")


class ServerHelloExtensionsTests(ServerCase):
    async def test_ecPointFormatsOnlyWhenOffered(self) -> None:
        """
        RFC 5246 7.4.1.4: "An extension type MUST NOT appear in the
        ServerHello unless the same extension type appeared in the
        corresponding ClientHello"; RFC 8422 5.2 answers ec_point_formats
        only to a client that sent it.
        """
        hello = hello12()
        serverHello = await self.serverHello(hello)
        self.assertLessEqual(set(serverHello.extensions.types()), set(hello.extensions.types()))
        self.assertNotIn(E.ec_point_formats, serverHello.extensions)
        offered = hello12(extra=[(E.ec_point_formats, b"\x01\x00")])
        self.assertIn(E.ec_point_formats, (await self.serverHello(offered)).extensions)

    async def test_everyExtensionSolicitedTLS12(self) -> None:
        """
        The same rule with every extension our TLS 1.2 server can answer
        offered but ec_point_formats: nothing unasked comes back.
        """
        hello = hello12(
            extra=[
                (E.server_name, encodeServerName("localhost")),
                (E.extended_master_secret, b""),
                (E.session_ticket, b""),
                (E.application_layer_protocol_negotiation, encodeAlpn([b"http/1.1"])),
            ]
        )
        options = self.serverOptions(acceptableProtocols=[b"http/1.1"])
        serverHello = await self.serverHello(hello, options)
        self.assertLessEqual(set(serverHello.extensions.types()), set(hello.extensions.types()))
        self.assertIn(E.application_layer_protocol_negotiation, serverHello.extensions)

    async def test_serverHelloTLS13OnlyItsOwn(self) -> None:
        """
        RFC 8446 4.2: a TLS 1.3 ServerHello carries only supported_versions,
        key_share and pre_shared_key, even when the hello offered TLS 1.2
        extensions too.
        """
        hello = hello13(
            extra=[
                (E.ec_point_formats, b"\x01\x00"),
                (E.extended_master_secret, b""),
                (E.renegotiation_info, b"\x00"),
                (E.session_ticket, b""),
            ]
        )
        serverHello = await self.serverHello(hello)
        self.assertTLS13(serverHello)
        self.assertEqual(set(serverHello.extensions.types()), {E.supported_versions, E.key_share})


class VersionNegotiationTests(ServerCase):
    async def test_supportedVersionsListsNoneOfOurs(self) -> None:
        """
        RFC 8446 4.2.1: with supported_versions, servers "MUST use only the
        supported_versions extension to determine client preferences"; none
        of ours there is protocol_version, whatever legacy_version says.
        """
        await self.assertRefused(hello13(versions=(0x0302, 0x0309)), A.protocol_version)

    async def test_onlyTLS13OfferedToTLS12Server(self) -> None:
        """
        The same rule at a server that does TLS 1.2 only.
        """
        options = self.serverOptions(maxVersion="1.2")
        await self.assertRefused(hello13(versions=(TLS13,)), A.protocol_version, options)

    async def test_tls13ServerRefusesTLS12Client(self) -> None:
        """
        RFC 8446 4.2.1: a server that "only supports versions greater than
        ClientHello.legacy_version MUST abort the handshake with a
        protocol_version alert".
        """
        options = self.serverOptions(minVersion="1.3")
        await self.assertRefused(hello12(), A.protocol_version, options)

    async def test_legacyVersionIgnoredWithSupportedVersions(self) -> None:
        """
        RFC 8446 4.2.1: legacy_version plays no part when supported_versions
        is there: 0x0301 listing only TLS 1.2 gets TLS 1.2.
        """
        hello = hello12(
            legacyVersion=0x0301,
            extra=[(E.supported_versions, encodeSupportedVersionsClient([TLS12]))],
        )
        self.assertTLS12(await self.serverHello(hello))

    async def test_legacyVersionIgnoredTLS13(self) -> None:
        """
        ... and 0x0302 listing TLS 1.3 gets TLS 1.3.
        """
        self.assertTLS13(await self.serverHello(hello13(legacyVersion=0x0302)))

    async def test_ssl3LegacyVersionRefused(self) -> None:
        """
        RFC 8446 D.5: legacy_version 0x0300 "MUST abort the handshake with a
        protocol_version alert", supported_versions or not.
        """
        await self.assertRefused(hello13(legacyVersion=0x0300), A.protocol_version)

    async def test_unknownVersionsThenTLS12(self) -> None:
        """
        A future version and TLS 1.2: TLS 1.2, without supported_versions in
        the ServerHello (RFC 8446 4.2.1: that is only for TLS 1.3).
        """
        hello = hello12(
            extra=[(E.supported_versions, encodeSupportedVersionsClient([0x0309, TLS12]))]
        )
        self.assertTLS12(await self.serverHello(hello))

    async def test_fallbackScsvRefused(self) -> None:
        """
        RFC 7507 3: TLS_FALLBACK_SCSV with a version below our highest (a
        TLS 1.2 hello at a TLS 1.3 server) "MUST" get inappropriate_fallback.
        """
        hello = hello12(suites=(ECDHE_ECDSA_AES128_GCM, FALLBACK_SCSV))
        await self.assertRefused(hello, A.inappropriate_fallback)

    async def test_fallbackScsvAtOurHighestVersion(self) -> None:
        """
        RFC 7507 3: at our highest version the SCSV changes nothing.
        """
        hello = hello12(suites=(ECDHE_ECDSA_AES128_GCM, FALLBACK_SCSV))
        self.assertTLS12(await self.serverHello(hello, self.serverOptions(maxVersion="1.2")))
        self.assertTLS13(
            await self.serverHello(hello13(suites=(AES128_GCM_SHA256, FALLBACK_SCSV)))
        )


class SizeAndCountTests(ServerCase):
    async def test_clientHelloLongerThanItsSyntax(self) -> None:
        """
        A ClientHello header declaring one byte more than the syntax allows
        cannot be a ClientHello: decode_error (RFC 8446 6.2, "does not
        conform to the formal protocol syntax"), from the header alone.
        """
        header = b"\x01" + (MAX_CLIENT_HELLO + 1).to_bytes(3, "big")
        await self.assertRefused(record(ContentType.handshake, header), A.decode_error)

    async def test_unknownHandshakeTypeWithHugeLength(self) -> None:
        """
        A handshake type that never travels is unexpected_message (RFC 8446
        6.2), at once, however long it claims to be.
        """
        await self.assertRefused(
            record(ContentType.handshake, b"\x03\xff\xff\xff"), A.unexpected_message
        )

    async def test_thousandsOfUnknownSuitesAndExtensions(self) -> None:
        """
        RFC 5246 7.4.1.2 / RFC 8446 9.3: unknown suites and extensions are
        ignored; 30000 suites and 10000 extensions are a legal hello.
        """
        unknownSuites = [c for c in range(0x0A00, 0x0A00 + 30000) if c != FALLBACK_SCSV]
        unknownExtensions = [(0x4000 + i, b"") for i in range(10000)]
        hello = hello12(suites=[*unknownSuites, ECDHE_ECDSA_AES128_GCM], extra=unknownExtensions)
        self.assertGreater(len(hello.toBytes()), 65536)
        serverHello = await self.serverHello(hello)
        self.assertEqual(serverHello.cipherSuite, ECDHE_ECDSA_AES128_GCM)

    async def test_alpnWithManyNames(self) -> None:
        """
        RFC 7301 3.1: ProtocolNameList<2..2^16-1>; 250 names of 255 bytes
        are legal, and ours, last, is chosen.
        """
        names = [bytes((65 + i % 26,)) * 255 for i in range(250)] + [b"http/1.1"]
        hello = hello12(extra=[(E.application_layer_protocol_negotiation, encodeAlpn(names))])
        options = self.serverOptions(acceptableProtocols=[b"http/1.1"])
        serverHello = await self.serverHello(hello, options)
        self.assertEqual(
            serverHello.extensions.get(E.application_layer_protocol_negotiation),
            encodeAlpn([b"http/1.1"]),
        )

    async def test_manyPskIdentities(self) -> None:
        """
        RFC 8446 4.2.11: identities<7..2^16-1>; an offer of 100 identities we
        cannot use is legal and leads to a full handshake.
        """
        hello = hello13(
            extra=[(E.psk_key_exchange_modes, encodePskModes(b"\x01"))],
            last=[(E.pre_shared_key, pskOffer(100))],
        )
        serverHello = await self.serverHello(hello)
        self.assertTLS13(serverHello)
        self.assertNotIn(E.pre_shared_key, serverHello.extensions)

    async def test_thousandsOfKeyShares(self) -> None:
        """
        RFC 8446 4.2.8: shares for groups we do not know are passed over;
        2000 of them before ours are legal.
        """
        unknown = [(0x2000 + i, b"\x00") for i in range(2000)]
        groups = [g for g, _ in unknown] + [X25519]
        hello = hello13(groups=groups, shares=[*unknown, (X25519, x25519Share())])
        self.assertTLS13(await self.serverHello(hello))

    async def test_sessionIdOf33Bytes(self) -> None:
        """
        RFC 5246 7.4.1.2: SessionID session_id<0..32>; 33 does not parse.
        """
        raw = bytearray(hello12(sessionId=bytes(32)).toBytes())
        # Make the session ID 33 bytes: its length, one byte more, and the
        # handshake header to match.
        body = bytes(raw[4:38]) + bytes((33,)) + bytes(33) + bytes(raw[4 + 35 + 32 :])
        data = b"\x01" + len(body).to_bytes(3, "big") + body
        await self.assertRefused(handshakeRecords(data), A.decode_error)


class ExtensionRulesTests(ServerCase):
    async def test_duplicateExtensionTLS12(self) -> None:
        """
        RFC 5246 7.4.1.4: "There MUST NOT be more than one extension of the
        same type."  It parses, so illegal_parameter (RFC 8446 6.2).
        """
        hello = hello12(extra=[(E.extended_master_secret, b""), (E.extended_master_secret, b"")])
        await self.assertRefused(hello, A.illegal_parameter)

    async def test_duplicateExtensionTLS13(self) -> None:
        """
        RFC 8446 4.2: "There MUST NOT be more than one extension of the same
        type in a given extension block"; an unknown type twice too.
        """
        await self.assertRefused(
            hello13(extra=[(0x4444, b""), (0x4444, b"")]), A.illegal_parameter
        )

    async def test_keyShareForGroupNotOffered(self) -> None:
        """
        RFC 8446 4.2.8: servers "MAY check ... and abort the handshake with an
        illegal_parameter alert": a share for a group not in supported_groups.
        """
        hello = hello13(groups=(P256,), shares=[(X25519, x25519Share())])
        await self.assertRefused(hello, A.illegal_parameter)

    async def test_duplicateKeyShares(self) -> None:
        """
        RFC 8446 4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values
        for the same group" ... illegal_parameter.
        """
        hello = hello13(shares=[(X25519, x25519Share()), (X25519, x25519Share())])
        await self.assertRefused(hello, A.illegal_parameter)

    async def test_tls13CompressionMustBeNull(self) -> None:
        """
        RFC 8446 4.1.2: legacy_compression_methods "MUST contain exactly one
        byte, set to zero"; otherwise "illegal_parameter".
        """
        await self.assertRefused(hello13(compression=b"\x00\x01"), A.illegal_parameter)

    async def test_tls12CompressionWithoutNull(self) -> None:
        """
        RFC 5246 7.4.1.2: the list "MUST contain ... CompressionMethod.null";
        a well-formed list without it is illegal_parameter (RFC 5246
        7.2.2), an empty one decode_error (compression_methods<1..2^8-1>).
        """
        await self.assertRefused(hello12(compression=b"\x01"), A.illegal_parameter)
        await self.assertRefused(hello12(compression=b""), A.decode_error)

    async def test_tls12ManyCompressionMethods(self) -> None:
        """
        ... and all 255 methods, null among them, are legal.
        """
        self.assertTLS12(await self.serverHello(hello12(compression=bytes(range(255)))))

    async def test_pskNotLastEvenBeforeRetry(self) -> None:
        """
        RFC 8446 4.2.11: "Servers MUST check that it is the last extension
        and otherwise fail the handshake with an illegal_parameter alert";
        also on a hello that would get a HelloRetryRequest (no share for a
        group we take).
        """
        hello = hello13(
            groups=(X25519, P256),
            shares=[],
            extra=[
                (E.psk_key_exchange_modes, encodePskModes(b"\x01")),
                (E.pre_shared_key, pskOffer(1)),
                (0x4444, b""),
            ],
        )
        await self.assertRefused(hello, A.illegal_parameter)

    async def test_pskWithoutModes(self) -> None:
        """
        RFC 8446 4.2.9 and 9.2: pre_shared_key without psk_key_exchange_modes
        is missing_extension, before any HelloRetryRequest too.
        """
        hello = hello13(groups=(X25519, P256), shares=[], last=[(E.pre_shared_key, pskOffer(1))])
        await self.assertRefused(hello, A.missing_extension)

    async def test_noSignatureAlgorithms(self) -> None:
        """
        RFC 8446 4.2.3 and 9.2: a certificate-based handshake without
        signature_algorithms is missing_extension.
        """
        await self.assertRefused(hello13(schemes=None), A.missing_extension)

    async def test_noSignatureAlgorithmsWithUnusablePsk(self) -> None:
        """
        ... also when a PSK was offered but is not one we can resume: the
        handshake turns certificate-based after all.
        """
        hello = hello13(
            schemes=None,
            extra=[(E.psk_key_exchange_modes, encodePskModes(b"\x01"))],
            last=[(E.pre_shared_key, pskOffer(1))],
        )
        await self.assertRefused(hello, A.missing_extension)

    async def test_alpnMalformed(self) -> None:
        """
        RFC 7301 3.1: ProtocolNameList<2..2^16-1> of ProtocolName<1..2^8-1>:
        an empty list or an empty name is decode_error.
        """
        options = self.serverOptions(acceptableProtocols=[b"http/1.1"])
        alpn = E.application_layer_protocol_negotiation
        await self.assertRefused(hello12(extra=[(alpn, b"\x00\x00")]), A.decode_error, options)
        await self.assertRefused(hello12(extra=[(alpn, b"\x00\x01\x00")]), A.decode_error, options)

    async def test_alpnNoOverlap(self) -> None:
        """
        RFC 7301 3.2: no protocol in common: "no_application_protocol".
        """
        options = self.serverOptions(acceptableProtocols=[b"http/1.1"])
        hello = hello13(extra=[(E.application_layer_protocol_negotiation, encodeAlpn([b"h2"]))])
        await self.assertRefused(hello, A.no_application_protocol, options)

    async def test_renegotiationInfoNotEmpty(self) -> None:
        """
        RFC 5746 3.6: on an initial handshake the renegotiated_connection
        must be empty, else "abort the handshake (by sending a fatal
        handshake_failure alert)"; a malformed one is decode_error.
        """
        hello = hello12(extra=[(E.extended_master_secret, b"")])
        bad = replace(
            hello,
            extensions=Extensions(
                tuple(
                    (t, encodeRenegotiationInfo(bytes(12)) if t == E.renegotiation_info else d)
                    for t, d in hello.extensions.items
                )
            ),
        )
        await self.assertRefused(bad, A.handshake_failure)
        malformed = hello12(
            [
                (E.supported_groups, encodeUint16List([X25519])),
                (E.signature_algorithms, encodeUint16List([ECDSA_P256_SHA256])),
                (E.renegotiation_info, b"\x05\x00"),
            ]
        )
        await self.assertRefused(malformed, A.decode_error)

    async def test_scsvAloneIsSecureRenegotiation(self) -> None:
        """
        RFC 5746 3.6: with the SCSV and no extension, the server "MUST
        include an empty renegotiation_info extension" (the one answer a
        server may give unasked).
        """
        hello = hello12(
            [
                (E.supported_groups, encodeUint16List([X25519, P256])),
                (E.signature_algorithms, encodeUint16List([ECDSA_P256_SHA256])),
            ],
            suites=(ECDHE_ECDSA_AES128_GCM, 0x00FF),
        )
        serverHello = await self.serverHello(hello)
        self.assertEqual(serverHello.extensions.types(), (E.renegotiation_info,))


class ServerNameTests(ServerCase):
    """
    RFC 6066 3, server_name in a ClientHello.
    """

    async def test_emptyExtension(self) -> None:
        """
        An empty extension_data cannot hold server_name_list<1..2^16-1>:
        decode_error, for TLS 1.2 and 1.3 alike.
        """
        await self.assertRefused(hello12(extra=[(E.server_name, b"")]), A.decode_error)
        await self.assertRefused(hello13(extra=[(E.server_name, b"")]), A.decode_error)

    async def test_emptyList(self) -> None:
        await self.assertRefused(hello12(extra=[(E.server_name, b"\x00\x00")]), A.decode_error)

    async def test_emptyHostName(self) -> None:
        """
        HostName<1..2^16-1>: an empty one is decode_error.
        """
        sni = serverNameList((0, b""))
        await self.assertRefused(hello12(extra=[(E.server_name, sni)]), A.decode_error)

    async def test_trailingBytes(self) -> None:
        sni = serverNameList((0, b"localhost")) + b"x"
        await self.assertRefused(hello13(extra=[(E.server_name, sni)]), A.decode_error)

    async def test_twoHostNames(self) -> None:
        """
        "The ServerNameList MUST NOT contain more than one name of the same
        name_type": it parses, so illegal_parameter.
        """
        sni = serverNameList((0, b"localhost"), (0, b"www.localhost"))
        await self.assertRefused(hello12(extra=[(E.server_name, sni)]), A.illegal_parameter)

    async def test_notPrintableAscii(self) -> None:
        """
        HostName is "a byte string using ASCII encoding": a NUL, a control
        character or UTF-8 in it is illegal_parameter.
        """
        for name in (b"local\x00host", b"localhos\x1b[31mt", "lócalhost".encode()):
            sni = serverNameList((0, name))
            await self.assertRefused(hello12(extra=[(E.server_name, sni)]), A.illegal_parameter)

    async def test_unknownNameTypeIgnored(self) -> None:
        """
        "all future data structures associated with new NameTypes MUST begin
        with a 16-bit length field": a type we do not know is skipped, and
        the host name beside it used.
        """
        sni = serverNameList((1, bytes(range(24))), (0, b"localhost"))
        serverHello = await self.serverHello(hello12(extra=[(E.server_name, sni)]))
        self.assertEqual(serverHello.extensions.get(E.server_name), b"")
        only = serverNameList((7, b"something"))
        serverHello = await self.serverHello(hello12(extra=[(E.server_name, only)]))
        self.assertNotIn(E.server_name, serverHello.extensions)


class ResumptionTests(ServerCase):
    """
    TLS 1.2 resumption by session ID against sessions we put in the cache.
    """

    def optionsWithSession(self, sessionId: bytes, ems: bool) -> ServerOptions:
        options = self.serverOptions(sessionTickets=False, maxVersion="1.2")
        assert options.sessionCache is not None
        options.sessionCache.store(
            sessionId,
            SessionState12(
                suite=SUITES_BY_CODE[ECDHE_ECDSA_AES128_GCM],
                group=NamedGroup.x25519,
                masterSecret=os.urandom(48),
                extendedMasterSecret=ems,
                issuedAt=time.time(),
                lifetime=3600,
                serverName="localhost",
                peerChain=(),
            ),
        )
        return options

    def resumingHello(self, sessionId: bytes, ems: bool) -> ClientHello:
        extra = [(E.server_name, encodeServerName("localhost"))]
        if ems:
            extra.append((E.extended_master_secret, b""))
        return hello12(sessionId=sessionId, extra=extra)

    async def test_emsSessionResumedWithoutEms(self) -> None:
        """
        RFC 7627 5.3: "If the original session used the
        extended_master_secret extension but the new ClientHello does not
        contain it, the server MUST abort the abbreviated handshake":
        handshake_failure (what tlsfuzzer expects).
        """
        sessionId = os.urandom(32)
        options = self.optionsWithSession(sessionId, ems=True)
        await self.assertRefused(
            self.resumingHello(sessionId, ems=False), A.handshake_failure, options
        )

    async def test_nonEmsSessionWithEms(self) -> None:
        """
        RFC 7627 5.3: a session without it and a hello with it: "the server
        MUST NOT perform the abbreviated handshake"; a full one follows.
        """
        sessionId = os.urandom(32)
        options = self.optionsWithSession(sessionId, ems=False)
        serverHello = await self.serverHello(self.resumingHello(sessionId, ems=True), options)
        self.assertNotEqual(serverHello.sessionId, sessionId)
        self.assertIn(E.extended_master_secret, serverHello.extensions)

    async def test_noServerNameWhenResuming(self) -> None:
        """
        RFC 6066 3: "When resuming a session, the server MUST NOT include a
        server_name extension in the server hello."
        """
        sessionId = os.urandom(32)
        options = self.optionsWithSession(sessionId, ems=True)
        serverHello = await self.serverHello(self.resumingHello(sessionId, ems=True), options)
        self.assertEqual(serverHello.sessionId, sessionId)  # resumed
        self.assertNotIn(E.server_name, serverHello.extensions)


# --- legal hellos at their largest, from our own client -----------------------


def enlargedHellos(case: TestCase, transform: Callable[[ClientHello], ClientHello]) -> None:
    """
    Make our client's ClientHellos go through C{transform} (before they are
    sent and hashed, so the handshake stays consistent) for this test.
    """
    build = client13._clientHello

    def enlarged(*args: Any, **kwargs: Any) -> ClientHello:
        return transform(build(*args, **kwargs))

    case.patch(client13, "_clientHello", enlarged)


def maximal(hello: ClientHello, compression: bytes = b"\x00") -> ClientHello:
    """
    C{hello} grown to the limits of the syntax: cipher_suites of 2^16-2
    bytes (unknown suites first), a 32-byte session ID, and an extensions
    block of exactly 2^16-1 bytes filled with 10000 unknown extensions and
    a padding extension (RFC 7685).
    """
    ours = set(hello.cipherSuites)
    unknown = [c for c in range(0x0100, 0x9000) if c not in ours and c != FALLBACK_SCSV]
    suites = tuple(unknown[: 32767 - len(hello.cipherSuites)]) + hello.cipherSuites
    items = list(hello.extensions.items)
    fillers = [(0x4000 + i, b"") for i in range(10000)]
    used = sum(4 + len(d) for _, d in items + fillers)
    items[:0] = [*fillers, (PADDING, bytes(0xFFFF - used - 4))]
    return replace(
        hello,
        sessionId=bytes(32),
        cipherSuites=suites,
        compressionMethods=compression,
        extensions=Extensions(tuple(items)),
    )


class LargestLegalHelloTests(TestCase):
    timeout = 120

    async def handshake(self, server: ServerOptions, client: ClientOptions) -> Collector:
        ours = OurServer(self, server)
        done = await connectOurClient(client, ours.portNumber, Collector(b"ping", expected=4))
        self.assertEqual(bytes(done.received), b"ping")
        assert done.reason is not None
        self.assertTrue(done.reason.check(ConnectionDone), done.reason)
        return done

    async def test_maximalClientHelloTLS13(self) -> None:
        """
        The largest ClientHello a TLS 1.3 client can send (compression must
        be [0], RFC 8446 4.1.2) completes a handshake.
        """
        sizes: list[int] = []

        def grow(hello: ClientHello) -> ClientHello:
            big = maximal(hello)
            sizes.append(len(big.serialize()))
            return big

        enlargedHellos(self, grow)
        done = await self.handshake(ourServerOptions(), ourClientOptions(resumeSessions=False))
        self.assertEqual(done.session.version, "TLSv1.3")
        self.assertEqual(sizes, [MAX_CLIENT_HELLO - 254])

    async def test_maximalClientHelloTLS12(self) -> None:
        """
        The largest ClientHello the syntax allows, 131396 bytes with 255
        compression methods, completes a TLS 1.2 handshake.
        """
        sizes: list[int] = []

        def grow(hello: ClientHello) -> ClientHello:
            big = maximal(hello, bytes(range(255)))
            sizes.append(len(big.serialize()))
            return big

        enlargedHellos(self, grow)
        done = await self.handshake(
            ourServerOptions(maxVersion="1.2"), ourClientOptions(resumeSessions=False)
        )
        self.assertEqual(done.session.version, "TLSv1.2")
        self.assertEqual(sizes, [MAX_CLIENT_HELLO])
        self.assertEqual(maxBodyLength(1), MAX_CLIENT_HELLO)


class PskWithoutSignatureAlgorithmsTests(TestCase):
    timeout = 60

    async def test_resumesWithoutSignatureAlgorithms(self) -> None:
        """
        RFC 8446 9.2: only a ClientHello "not containing a pre_shared_key
        extension" must carry signature_algorithms, and 4.2.3 asks for it
        only "if a server is authenticating via a certificate": a PSK
        resumption without it completes.
        """
        ours = OurServer(self, ourServerOptions())
        options = ourClientOptions(minVersion="1.3")
        first = await connectOurClient(options, ours.portNumber, Collector(b"ping", expected=4))
        self.assertFalse(first.session.resumed)
        offer = client13._withTicket
        stripped: list[bool] = []

        def withoutSignatureAlgorithms(hello: ClientHello, *args: Any) -> ClientHello:
            kept = tuple((t, d) for t, d in hello.extensions.items if t != E.signature_algorithms)
            stripped.append(len(kept) < len(hello.extensions.items))
            return offer(replace(hello, extensions=Extensions(kept)), *args)

        self.patch(client13, "_withTicket", withoutSignatureAlgorithms)
        second = await connectOurClient(options, ours.portNumber, Collector(b"ping", expected=4))
        self.assertEqual(stripped, [True])
        self.assertEqual(bytes(second.received), b"ping")
        self.assertTrue(second.session.resumed)


# --- a raw server at our client -------------------------------------------------


class RawServer(protocol.Protocol):
    """
    Answers each ClientHello our client sends with C{answer(hello, raw,
    index)}; records the records that come back.
    """

    def __init__(self, answer: Callable[[ClientHello, bytes, int], bytes]) -> None:
        self.answer = answer
        self.buffer = b""
        self.handshake = b""
        self.hellos: list[ClientHello] = []
        self.records: list[tuple[int, bytes]] = []
        self.lost: defer.Deferred[None] = defer.Deferred()

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.lost.callback(None)

    def dataReceived(self, data: bytes) -> None:
        self.buffer += data
        complete = splitRecords(self.buffer)
        self.buffer = self.buffer[sum(5 + len(p) for _, p in complete) :]
        for contentType, payload in complete:
            self.records.append((contentType, payload))
            if contentType != ContentType.handshake:
                continue
            self.handshake += payload
            messages = handshakeMessages(self.handshake)
            self.handshake = self.handshake[sum(len(raw) for _, _, raw in messages) :]
            for msgType, body, raw in messages:
                if msgType == 1:
                    hello = ClientHello.parse(body)
                    self.hellos.append(hello)
                    reply = self.answer(hello, raw, len(self.hellos))
                    if reply:
                        self.transport.write(reply)
                    else:
                        self.transport.loseConnection()

    def alerts(self) -> list[int]:
        return [p[1] for t, p in self.records if t == ContentType.alert and len(p) == 2]


def serverHello12(hello: ClientHello, extensions: Sequence[tuple[int, bytes]], **kw: Any) -> bytes:
    """
    A TLS 1.2 ServerHello for our client: secure renegotiation plus
    C{extensions}.
    """
    fields: dict[str, Any] = {
        "legacyVersion": TLS12,
        "random": os.urandom(32),
        "sessionId": b"",
        "cipherSuite": ECDHE_ECDSA_AES128_GCM,
        "compressionMethod": 0,
        "extensions": Extensions(
            ((int(E.renegotiation_info), encodeRenegotiationInfo(b"")), *extensions)
        ),
    }
    fields.update(kw)
    return handshakeRecords(ServerHello(**fields).toBytes())


HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def serverHello13(
    hello: ClientHello,
    extensions: Sequence[tuple[int, bytes]] | None = None,
    *,
    version: bytes = b"\x03\x04",
    random: bytes | None = None,
    **kw: Any,
) -> ServerHello:
    if extensions is None:
        extensions = [(E.key_share, encodeKeyShareServer(X25519, x25519Share()))]
    fields: dict[str, Any] = {
        "legacyVersion": TLS12,
        "random": random or os.urandom(32),
        "sessionId": hello.sessionId,
        "cipherSuite": AES128_GCM_SHA256,
        "compressionMethod": 0,
        "extensions": Extensions(((int(E.supported_versions), version), *extensions)),
    }
    fields.update(kw)
    return ServerHello(**fields)


def encryptedExtensionsFlight(
    hello: ClientHello, helloRaw: bytes, extensions: Sequence[tuple[int, bytes]]
) -> bytes:
    """
    A real TLS 1.3 ServerHello (X25519, AES-128-GCM) and an
    EncryptedExtensions carrying C{extensions}, under the handshake keys
    our client derives too.
    """
    clientShares = dict(decodeKeyShareClient(hello.extensions.get(E.key_share) or b""))
    ourPublic, shared = respond(NamedGroup.x25519, clientShares[X25519])
    serverHello = serverHello13(
        hello, [(E.key_share, encodeKeyShareServer(X25519, ourPublic))]
    ).toBytes()
    transcript = hashlib.sha256(helloRaw + serverHello).digest()
    secrets = EarlySecret13("sha256").intoHandshake(shared).trafficSecrets(transcript)
    suite = SUITES13_BY_CODE[AES128_GCM_SHA256]
    key, iv = trafficKeys13("sha256", secrets.server, suite.keyLength)
    writer = RecordWriter()
    writer.changeProtection(tls13Protection(suite.aead, key, iv))
    ee = EncryptedExtensions(Extensions(tuple((int(t), d) for t, d in extensions))).toBytes()
    return record(ContentType.handshake, serverHello) + b"".join(
        writer.writeRecords(ContentType.handshake, ee)
    )


class ClientCase(TestCase):
    """
    Crafted server answers at our client.
    """

    timeout = 60

    async def exchange(
        self, answer: Callable[[ClientHello, bytes, int], bytes], options: ClientOptions
    ) -> tuple[RawServer, Collector]:
        server: list[RawServer] = []

        class Factory(protocol.Factory):
            def buildProtocol(self, addr: object) -> RawServer:
                server.append(RawServer(answer))
                return server[-1]

        port = reactor.listenTCP(0, Factory(), interface="127.0.0.1")  # type: ignore[attr-defined]
        self.addCleanup(port.stopListening)
        client = await connectOurClient(options, port.getHost().port, Collector(b"secret"))
        await server[0].lost  # everything our client sent has arrived
        self.assertEqual(bytes(client.received), b"")
        return server[0], client

    async def assertClientRefuses(
        self,
        answer: Callable[[ClientHello, bytes, int], bytes],
        alert: AlertDescription,
        options: ClientOptions,
        inTheClear: bool = True,
    ) -> RawServer:
        """
        Our client aborts with this alert (sent by it) and closes; where
        the alert goes before any key change, the raw server sees it too.
        """
        server, client = await self.exchange(answer, options)
        assert client.reason is not None
        client.reason.trap(TLSAlertError)
        self.assertEqual((client.reason.value.alert, client.reason.value.sentByUs), (alert, True))
        if inTheClear:
            self.assertIn(alert, server.alerts())
        return server


def client12(**kw: Any) -> ClientOptions:
    kw.setdefault("resumeSessions", False)
    return ourClientOptions(maxVersion="1.2", **kw)


def client13Only(**kw: Any) -> ClientOptions:
    kw.setdefault("resumeSessions", False)
    return ourClientOptions(minVersion="1.3", **kw)


class ClientTLS12Tests(ClientCase):
    async def test_unsolicitedServerName(self) -> None:
        """
        RFC 5246 7.4.1.4: "If a client receives an extension type in
        ServerHello that it did not request in the associated ClientHello,
        it MUST abort the handshake with an unsupported_extension fatal
        alert": server_name, to a client that sent none (an IP address).
        """
        options = ClientOptions(
            "127.0.0.1", insecurelySkipVerification=True, maxVersion="1.2", resumeSessions=False
        )
        await self.assertClientRefuses(
            lambda h, raw, i: serverHello12(h, [(E.server_name, b"")]),
            A.unsupported_extension,
            options,
        )

    async def test_unsolicitedAlpn(self) -> None:
        """
        The same rule: ALPN to a client that offered none.
        """
        answer = encodeAlpn([b"h2"])
        await self.assertClientRefuses(
            lambda h, raw, i: serverHello12(
                h, [(E.application_layer_protocol_negotiation, answer)]
            ),
            A.unsupported_extension,
            client12(),
        )

    async def test_unsolicitedUnknownExtension(self) -> None:
        await self.assertClientRefuses(
            lambda h, raw, i: serverHello12(h, [(0x4444, b"")]),
            A.unsupported_extension,
            client12(),
        )

    async def test_suiteNotOffered(self) -> None:
        """
        RFC 5246 7.4.1.3: the suite is "selected by the server from the list
        in ClientHello.cipher_suites"; another is illegal_parameter.
        """
        await self.assertClientRefuses(
            lambda h, raw, i: serverHello12(h, [], cipherSuite=0x009C),
            A.illegal_parameter,
            client12(),
        )

    async def resumeWith(self, sessionEms: bool, serverSaysEms: bool) -> None:
        """
        Our client offers a TLS 1.2 session; the raw server resumes it with
        or without extended_master_secret.
        """
        sessionId = os.urandom(32)
        options = client12(resumeSessions=True)
        state = SessionState12(
            suite=SUITES_BY_CODE[ECDHE_ECDSA_AES128_GCM],
            group=NamedGroup.x25519,
            masterSecret=os.urandom(48),
            extendedMasterSecret=sessionEms,
            issuedAt=time.time(),
            lifetime=3600,
            serverName="localhost",
            peerChain=(),
        )
        extensions = [(E.extended_master_secret, b"")] if serverSaysEms else []
        server: list[RawServer] = []

        class Factory(protocol.Factory):
            def buildProtocol(self, addr: object) -> RawServer:
                server.append(
                    RawServer(
                        lambda h, raw, i: serverHello12(h, extensions, sessionId=h.sessionId)
                    )
                )
                return server[-1]

        port = reactor.listenTCP(0, Factory(), interface="127.0.0.1")  # type: ignore[attr-defined]
        self.addCleanup(port.stopListening)
        portNumber = port.getHost().port
        assert options.sessionCache is not None
        options.sessionCache.store(
            ("localhost", portNumber), ClientSession12(sessionId, None, state)
        )
        client = await connectOurClient(options, portNumber, Collector(b"secret"))
        await server[0].lost
        self.assertEqual(server[0].hellos[0].sessionId, sessionId)
        assert client.reason is not None
        client.reason.trap(TLSAlertError)
        self.assertEqual(client.reason.value.alert, A.handshake_failure)
        self.assertIn(A.handshake_failure, server[0].alerts())

    async def test_resumedSessionDropsEms(self) -> None:
        """
        RFC 7627 5.3: "If the original session used the extension but the
        new ServerHello does not contain the extension, the client MUST
        abort the handshake."
        """
        await self.resumeWith(sessionEms=True, serverSaysEms=False)

    async def test_resumedSessionGainsEms(self) -> None:
        """
        RFC 7627 5.3: "If the original session did not use the extension but
        the new ServerHello contains the extension, the client MUST abort
        the handshake."
        """
        await self.resumeWith(sessionEms=False, serverSaysEms=True)


class ClientTLS13Tests(ClientCase):
    async def test_supportedVersionsBelowTLS13(self) -> None:
        """
        RFC 8446 4.2.1: a ServerHello supported_versions with "a version not
        offered by the client or ... prior to TLS 1.3": illegal_parameter.
        """
        await self.assertClientRefuses(
            lambda h, raw, i: handshakeRecords(serverHello13(h, version=b"\x03\x03").toBytes()),
            A.illegal_parameter,
            ourClientOptions(resumeSessions=False),
        )

    async def test_offeredExtensionNotForServerHello(self) -> None:
        """
        RFC 8446 4.2: "If an implementation receives an extension which it
        recognizes and which is not specified for the message in which it
        appears, it MUST abort the handshake with an illegal_parameter
        alert": ALPN (which we offered) in a ServerHello.
        """
        share = (E.key_share, encodeKeyShareServer(X25519, x25519Share()))
        alpn = (E.application_layer_protocol_negotiation, encodeAlpn([b"h2"]))
        await self.assertClientRefuses(
            lambda h, raw, i: handshakeRecords(serverHello13(h, [share, alpn]).toBytes()),
            A.illegal_parameter,
            client13Only(acceptableProtocols=[b"h2"]),
        )

    async def test_unsolicitedExtensionInServerHello(self) -> None:
        """
        RFC 8446 4.2: a response to an extension we did not send is
        unsupported_extension.
        """
        share = (E.key_share, encodeKeyShareServer(X25519, x25519Share()))
        await self.assertClientRefuses(
            lambda h, raw, i: handshakeRecords(serverHello13(h, [share, (0x4444, b"")]).toBytes()),
            A.unsupported_extension,
            client13Only(),
        )

    async def test_sessionIdEchoMismatch(self) -> None:
        """
        RFC 8446 4.1.3: "A client which receives a legacy_session_id_echo
        field that does not match what it sent in the ClientHello MUST abort
        the handshake with an illegal_parameter alert."
        """
        await self.assertClientRefuses(
            lambda h, raw, i: handshakeRecords(
                serverHello13(h, sessionId=os.urandom(32)).toBytes()
            ),
            A.illegal_parameter,
            client13Only(),
        )

    async def test_suiteNotOffered(self) -> None:
        """
        RFC 8446 4.1.3: "A client which receives a cipher suite that was not
        offered MUST abort the handshake with an illegal_parameter alert."
        """
        await self.assertClientRefuses(
            lambda h, raw, i: handshakeRecords(serverHello13(h, cipherSuite=0x1304).toBytes()),
            A.illegal_parameter,
            client13Only(),
        )

    async def test_keyShareForGroupNotShared(self) -> None:
        """
        RFC 8446 4.2.8: the server's share must be "in the same group as one
        of the client's shares"; else illegal_parameter.
        """
        share = (E.key_share, encodeKeyShareServer(P384, b"\x04" + bytes(96)))
        await self.assertClientRefuses(
            lambda h, raw, i: handshakeRecords(serverHello13(h, [share]).toBytes()),
            A.illegal_parameter,
            client13Only(),
        )

    async def test_retryWithCookieOnly(self) -> None:
        """
        RFC 8446 4.1.4: a HelloRetryRequest may ask for nothing but a
        cookie; the second ClientHello then echoes it and keeps its key
        shares (RFC 8446 4.1.2: only what the retry asks for changes).
        """
        cookie = b"\x00\x10" + os.urandom(16)

        def answer(hello: ClientHello, raw: bytes, index: int) -> bytes:
            if index == 1:
                retry = serverHello13(hello, [(E.cookie, cookie)], random=HRR_RANDOM)
                return handshakeRecords(retry.toBytes())
            return b""  # close: the second hello is what we wanted to see

        server, _ = await self.exchange(answer, client13Only())
        self.assertEqual(len(server.hellos), 2)
        first, second = server.hellos
        self.assertEqual(second.extensions.get(E.cookie), cookie)
        self.assertEqual(second.extensions.get(E.key_share), first.extensions.get(E.key_share))

    async def test_secondRetry(self) -> None:
        """
        RFC 8446 4.1.4: "If a client receives a second HelloRetryRequest in
        the same connection ... it MUST abort the handshake with an
        unexpected_message alert."
        """
        cookie = b"\x00\x04" + os.urandom(4)
        await self.assertClientRefuses(
            lambda h, raw, i: handshakeRecords(
                serverHello13(h, [(E.cookie, cookie)], random=HRR_RANDOM).toBytes()
            ),
            A.unexpected_message,
            client13Only(),
        )

    async def test_retryAskingForNothing(self) -> None:
        """
        RFC 8446 4.1.4: "Clients MUST abort the handshake with an
        illegal_parameter alert if the HelloRetryRequest would not result in
        any change in the ClientHello."
        """
        await self.assertClientRefuses(
            lambda h, raw, i: handshakeRecords(serverHello13(h, [], random=HRR_RANDOM).toBytes()),
            A.illegal_parameter,
            client13Only(),
        )

    async def test_retryForGroupAlreadyShared(self) -> None:
        """
        RFC 8446 4.2.8: the selected_group must not be one the client
        already sent a share for: illegal_parameter.
        """

        def answer(hello: ClientHello, raw: bytes, index: int) -> bytes:
            shared = decodeKeyShareClient(hello.extensions.get(E.key_share) or b"")[0][0]
            retry = serverHello13(
                hello, [(E.key_share, shared.to_bytes(2, "big"))], random=HRR_RANDOM
            )
            return handshakeRecords(retry.toBytes())

        await self.assertClientRefuses(answer, A.illegal_parameter, client13Only())

    async def test_offeredExtensionNotForRetry(self) -> None:
        """
        RFC 8446 4.2: ALPN (offered) in a HelloRetryRequest is not where
        the table puts it: illegal_parameter.
        """
        alpn = (E.application_layer_protocol_negotiation, encodeAlpn([b"h2"]))
        await self.assertClientRefuses(
            lambda h, raw, i: handshakeRecords(
                serverHello13(h, [(E.cookie, b"\x00\x01x"), alpn], random=HRR_RANDOM).toBytes()
            ),
            A.illegal_parameter,
            client13Only(acceptableProtocols=[b"h2"]),
        )

    async def test_unsolicitedServerNameInEncryptedExtensions(self) -> None:
        """
        RFC 8446 4.2: server_name in EncryptedExtensions to a client that
        sent none is unsupported_extension.
        """
        options = ClientOptions(
            "127.0.0.1", insecurelySkipVerification=True, minVersion="1.3", resumeSessions=False
        )
        await self.assertClientRefuses(
            lambda h, raw, i: encryptedExtensionsFlight(h, raw, [(E.server_name, b"")]),
            A.unsupported_extension,
            options,
            inTheClear=False,
        )

    async def test_serverNameNotEmptyInEncryptedExtensions(self) -> None:
        """
        RFC 6066 3: the server's server_name "extension_data" field "SHALL
        be empty".
        """
        await self.assertClientRefuses(
            lambda h, raw, i: encryptedExtensionsFlight(
                h, raw, [(E.server_name, encodeServerName("localhost"))]
            ),
            A.decode_error,
            client13Only(),
            inTheClear=False,
        )

    async def test_offeredExtensionNotForEncryptedExtensions(self) -> None:
        """
        RFC 8446 4.2: key_share (offered) in EncryptedExtensions is not where
        the table puts it: illegal_parameter.
        """
        await self.assertClientRefuses(
            lambda h, raw, i: encryptedExtensionsFlight(
                h, raw, [(E.key_share, encodeKeyShareServer(X25519, x25519Share()))]
            ),
            A.illegal_parameter,
            client13Only(),
            inTheClear=False,
        )

    async def test_unsolicitedAlpnInEncryptedExtensions(self) -> None:
        """
        RFC 8446 4.2: ALPN to a client that offered none is
        unsupported_extension.
        """
        alpn = (E.application_layer_protocol_negotiation, encodeAlpn([b"h2"]))
        await self.assertClientRefuses(
            lambda h, raw, i: encryptedExtensionsFlight(h, raw, [alpn]),
            A.unsupported_extension,
            client13Only(),
            inTheClear=False,
        )


# --- parsers ------------------------------------------------------------------


class ParserPropertyTests(SynchronousTestCase):
    """
    The parsers this work touched: random bytes raise only L{DecodeError}
    (of which illegal_parameter's L{IllegalParameter} is one), and what we
    write parses back.
    """

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=200))
    def test_randomBytes(self, data: bytes) -> None:
        for parse in (
            decodeServerName,
            decodeKeyShareClient,
            decodeSelectedGroup,
            OfferedPsks.parse,
            lambda d: Extensions.parse(Reader(d)),
            ClientHello.parse,
        ):
            try:
                parse(data)
            except DecodeError:
                pass

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=30)), max_size=80),
        st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=400),
    )
    def test_helloRoundTrip(self, extensions: list[tuple[int, bytes]], suites: list[int]) -> None:
        unique = tuple({t: d for t, d in extensions}.items())
        hello = ClientHello(TLS12, bytes(32), b"", tuple(suites), b"\x00", Extensions(unique))
        self.assertEqual(ClientHello.parse(hello.serialize()), hello)

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(st.binary(min_size=1, max_size=40), max_size=5),
        st.text(
            "abcdefghijklmnopqrstuvwxyz0123456789.-_",
            min_size=1,
            max_size=60,
        ),
    )
    def test_serverNameRoundTrip(self, others: list[bytes], name: str) -> None:
        sni = serverNameList(*[(1, o) for o in others], (0, name.encode()))
        self.assertEqual(decodeServerName(sni), name)

    @settings(max_examples=200, deadline=None)
    @given(st.dictionaries(st.integers(0, 0xFFFF), st.binary(min_size=1, max_size=40)))
    def test_keyShareRoundTrip(self, shares: dict[int, bytes]) -> None:
        self.assertEqual(
            decodeKeyShareClient(encodeKeyShareClient(list(shares.items()))),
            tuple(shares.items()),
        )

    @settings(max_examples=100, deadline=None)
    @given(st.integers(0, 0xFFFF))
    def test_selectedGroupRoundTrip(self, group: int) -> None:
        self.assertEqual(decodeSelectedGroup(group.to_bytes(2, "big")), group)
