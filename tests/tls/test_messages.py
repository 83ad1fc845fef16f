# -*- test-case-name: tests.tls.test_messages -*-
"""
Handshake messages and extensions: round trips, no proper prefix parses,
random bytes give a message or a DecodeError and nothing else, and real
ClientHellos captured from OpenSSL and GnuTLS parse and re-serialize to the
same bytes.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.errors import AlertDescription, DecodeError
from twisted_reneg.tls.extensions import (
    MAX_PSK_IDENTITIES,
    Extensions,
    ExtensionType,
    OfferedPsks,
    decodeAlpn,
    decodeCookie,
    decodeEcPointFormats,
    decodeEmpty,
    decodeKeyShareClient,
    decodeKeyShareServer,
    decodePskModes,
    decodeRenegotiationInfo,
    decodeSelectedIdentity,
    decodeServerName,
    decodeSupportedVersionsClient,
    decodeUint16List,
    encodeAlpn,
    encodeCookie,
    encodeEcPointFormats,
    encodeKeyShareClient,
    encodeKeyShareServer,
    encodeRenegotiationInfo,
    encodeServerName,
    encodeSupportedVersionsClient,
    encodeUint16List,
)
from twisted_reneg.tls.messages import (
    Certificate12,
    Certificate13,
    CertificateRequest12,
    CertificateRequest13,
    CertificateVerify,
    ClientHello,
    ClientKeyExchangeECDHE,
    EncryptedExtensions,
    Finished,
    HandshakeMessage,
    HelloRequest,
    KeyUpdate,
    NewSessionTicket12,
    NewSessionTicket13,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchangeECDHE,
)
from twisted_reneg.tls.tickets import SessionState12, TicketState13
from twisted_reneg.tls.wire import Reader

DATA = os.path.join(os.path.dirname(__file__), os.pardir, "data")

u16 = st.integers(0, 0xFFFF)
random32 = st.binary(min_size=32, max_size=32)
sessionIds = st.binary(max_size=32)


@st.composite
def extensionLists(draw: Any) -> Extensions:
    types = draw(st.lists(u16, unique=True, max_size=8))
    return Extensions(tuple((t, draw(st.binary(max_size=40))) for t in types))


MESSAGES: dict[type[HandshakeMessage], Any] = {
    HelloRequest: st.just(HelloRequest()),
    ServerHelloDone: st.just(ServerHelloDone()),
    ClientHello: st.builds(
        ClientHello,
        u16,
        random32,
        sessionIds,
        st.lists(u16, min_size=1, max_size=40).map(tuple),
        st.binary(min_size=1, max_size=4),
        extensionLists(),
    ),
    ServerHello: st.builds(
        ServerHello, u16, random32, sessionIds, u16, st.integers(0, 255), extensionLists()
    ),
    Certificate12: st.builds(
        Certificate12, st.lists(st.binary(min_size=1, max_size=60), max_size=5).map(tuple)
    ),
    ServerKeyExchangeECDHE: st.builds(
        ServerKeyExchangeECDHE,
        u16,
        st.binary(min_size=1, max_size=97),
        u16,
        st.binary(max_size=80),
    ),
    CertificateRequest12: st.builds(
        CertificateRequest12,
        st.binary(min_size=1, max_size=4),
        st.lists(u16, min_size=1, max_size=20).map(tuple),
        st.lists(st.binary(min_size=1, max_size=30), max_size=4).map(tuple),
    ),
    ClientKeyExchangeECDHE: st.builds(ClientKeyExchangeECDHE, st.binary(min_size=1, max_size=97)),
    CertificateVerify: st.builds(CertificateVerify, u16, st.binary(max_size=80)),
    Finished: st.builds(Finished, st.binary(min_size=12, max_size=64)),
    EncryptedExtensions: st.builds(EncryptedExtensions, extensionLists()),
    Certificate13: st.builds(
        Certificate13,
        st.binary(max_size=8),
        st.lists(st.binary(min_size=1, max_size=60), max_size=5).map(tuple),
    ),
    CertificateRequest13: st.builds(CertificateRequest13, st.binary(max_size=8), extensionLists()),
    KeyUpdate: st.builds(KeyUpdate, st.integers(0, 255)),
    NewSessionTicket13: st.builds(
        NewSessionTicket13,
        st.integers(0, 0xFFFFFFFF),
        st.integers(0, 0xFFFFFFFF),
        st.binary(max_size=8),
        st.binary(min_size=1, max_size=80),
        extensionLists(),
    ),
    NewSessionTicket12: st.builds(
        NewSessionTicket12, st.integers(0, 0xFFFFFFFF), st.binary(max_size=80)
    ),
}

anyMessage = st.one_of(*MESSAGES.values())


def legitimatePrefix(message: HandshakeMessage, length: int) -> bool:
    """
    Hellos without extensions are complete without the extensions block.
    """
    if isinstance(message, (ClientHello, ServerHello)) and message.extensions.items:
        full = message.serialize()
        bare = type(message)(**{**message.__dict__, "extensions": Extensions()}).serialize()  # type: ignore[arg-type]
        return length == len(bare) and full.startswith(bare)
    return False


class PropertyTests(SynchronousTestCase):
    @settings(max_examples=300, deadline=None)
    @given(anyMessage)
    def test_roundTrip(self, message: HandshakeMessage) -> None:
        self.assertEqual(type(message).parse(message.serialize()), message)

    @settings(max_examples=200, deadline=None)
    @given(anyMessage, st.data())
    def test_noProperPrefixParses(self, message: HandshakeMessage, data: Any) -> None:
        body = message.serialize()
        if isinstance(message, Finished):
            return  # its body is "the rest"; the length rule is tested below
        if not body:
            return
        cut = data.draw(st.integers(0, len(body) - 1))
        if legitimatePrefix(message, cut):
            return
        self.assertRaises(DecodeError, type(message).parse, body[:cut])

    @settings(max_examples=200, deadline=None)
    @given(anyMessage)
    def test_trailingByteRejected(self, message: HandshakeMessage) -> None:
        if isinstance(message, Finished):
            return
        self.assertRaises(DecodeError, type(message).parse, message.serialize() + b"\x00")

    @settings(max_examples=300, deadline=None)
    @given(st.sampled_from(list(MESSAGES)), st.binary(max_size=300))
    def test_randomBytesOnlyDecodeError(self, cls: type[HandshakeMessage], data: bytes) -> None:
        try:
            cls.parse(data)
        except DecodeError:
            pass

    def test_finishedLength(self) -> None:
        self.assertRaises(DecodeError, Finished.parse, bytes(11))
        self.assertRaises(DecodeError, Finished.parse, bytes(65))
        self.assertEqual(Finished.parse(bytes(12)).verifyData, bytes(12))


class ExtensionsTests(SynchronousTestCase):
    def test_duplicateRejected(self) -> None:
        """
        Two extensions of one type parse, but break RFC 8446 4.2: an
        illegal_parameter (RFC 8446 6.2), still of the DecodeError family.
        """
        block = bytes.fromhex("0008 0017 0000 0017 0000")
        caught = self.assertRaises(DecodeError, Extensions.parse, Reader(block))
        self.assertEqual(caught.alert, AlertDescription.illegal_parameter)

    def test_absentAndEmpty(self) -> None:
        self.assertEqual(Extensions.parse(Reader(b"")), Extensions())
        self.assertEqual(Extensions.parse(Reader(b"\x00\x00")), Extensions())

    def test_asManyAsFit(self) -> None:
        """
        No count cap: 16383 empty extensions fill the 2^16-1 byte block
        and all parse (unknown ones are ignored later, RFC 8446 9.3).
        """
        body = b"".join(i.to_bytes(2, "big") + b"\x00\x00" for i in range(16383))
        block = len(body).to_bytes(2, "big") + body
        self.assertEqual(len(Extensions.parse(Reader(block)).items), 16383)

    def test_alpnRejectsEmpty(self) -> None:
        self.assertRaises(DecodeError, decodeAlpn, b"\x00\x00")
        self.assertRaises(DecodeError, decodeAlpn, b"\x00\x01\x00")

    def test_emptyExtension(self) -> None:
        decodeEmpty(b"", "extended_master_secret")
        self.assertRaises(DecodeError, decodeEmpty, b"\x00", "extended_master_secret")

    @settings(max_examples=200, deadline=None)
    @given(
        st.text("abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=60),
        st.lists(u16, min_size=1, max_size=30),
        st.lists(st.binary(min_size=1, max_size=20), min_size=1, max_size=5),
        st.binary(max_size=64),
    )
    def test_codecRoundTrips(
        self, host: str, values: list[int], names: list[bytes], ri: bytes
    ) -> None:
        self.assertEqual(decodeServerName(encodeServerName(host)), host)
        self.assertEqual(decodeUint16List(encodeUint16List(values)), tuple(values))
        self.assertEqual(decodeAlpn(encodeAlpn(names)), tuple(names))
        self.assertEqual(decodeRenegotiationInfo(encodeRenegotiationInfo(ri)), ri)
        self.assertEqual(decodeEcPointFormats(encodeEcPointFormats()), (0,))

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=100))
    def test_codecsOnlyDecodeError(self, data: bytes) -> None:
        for decode in (
            decodeServerName,
            decodeUint16List,
            decodeAlpn,
            decodeRenegotiationInfo,
            decodeEcPointFormats,
            decodeCookie,
            decodePskModes,
            decodeSelectedIdentity,
            OfferedPsks.parse,
        ):
            try:
                decode(data)
            except DecodeError:
                pass


class TLS13CodecTests(SynchronousTestCase):
    @settings(max_examples=150, deadline=None)
    @given(
        st.lists(
            st.tuples(u16, st.binary(min_size=1, max_size=97)),
            max_size=4,
            unique_by=lambda t: t[0],
        ),
        st.lists(u16, min_size=1, max_size=10),
    )
    def test_roundTrips(self, shares: list[tuple[int, bytes]], versions: list[int]) -> None:
        self.assertEqual(decodeKeyShareClient(encodeKeyShareClient(shares)), tuple(shares))
        self.assertEqual(
            decodeSupportedVersionsClient(encodeSupportedVersionsClient(versions)), tuple(versions)
        )
        if shares:
            self.assertEqual(decodeKeyShareServer(encodeKeyShareServer(*shares[0])), shares[0])

    def test_duplicateKeyShareRejected(self) -> None:
        data = encodeKeyShareClient([(29, b"a"), (29, b"b")])
        self.assertRaises(DecodeError, decodeKeyShareClient, data)

    def test_keyUpdateValue(self) -> None:
        """
        Any request_update byte decodes; refusing values above 1 with
        illegal_parameter is the connection's job (RFC 8446 4.6.3).
        """
        self.assertEqual(KeyUpdate.parse(b"\x02").requestUpdate, 2)
        self.assertFalse(KeyUpdate.parse(b"\x02").updateRequested)
        self.assertTrue(KeyUpdate.parse(b"\x01").updateRequested)
        self.assertRaises(DecodeError, KeyUpdate.parse, b"")
        self.assertRaises(DecodeError, KeyUpdate.parse, b"\x00\x00")


class CapturedHelloTests(SynchronousTestCase):
    """
    Real ClientHellos (captured by tests/_capture.py) pin the wire format.
    """

    def check(self, name: str) -> ClientHello:
        with open(os.path.join(DATA, name), "rb") as f:
            body = f.read()
        hello = ClientHello.parse(body)
        self.assertEqual(hello.serialize(), body)
        self.assertEqual(hello.legacyVersion, 0x0303)
        self.assertEqual(len(hello.random), 32)
        self.assertIn(0xC02B, hello.cipherSuites)
        self.assertIn(0xC02F, hello.cipherSuites)
        exts = hello.extensions
        self.assertEqual(
            decodeServerName(exts.get(ExtensionType.server_name) or b""), "example.com"
        )
        alpn = decodeAlpn(exts.get(ExtensionType.application_layer_protocol_negotiation) or b"")
        self.assertEqual(alpn, (b"h2", b"http/1.1"))
        groups = decodeUint16List(exts.get(ExtensionType.supported_groups) or b"")
        self.assertIn(0x001D, groups)
        self.assertTrue(ExtensionType.renegotiation_info in exts or 0x00FF in hello.cipherSuites)
        return hello

    def test_openssl(self) -> None:
        self.check("openssl_client_hello.bin")

    def test_gnutls(self) -> None:
        self.check("gnutls_client_hello.bin")


class ServerHelloBytesTests(SynchronousTestCase):
    def test_handBuilt(self) -> None:
        body = bytes.fromhex(
            "0303"  # legacy_version TLS 1.2
            + "11" * 32  # random
            + "00"  # empty session id
            + "c02f"  # ECDHE_RSA_WITH_AES_128_GCM_SHA256
            + "00"  # null compression
            + "0009"  # extensions: 9 bytes
            + "ff01"
            + "0001"
            + "00"  # renegotiation_info, empty
            + "0017"
            + "0000"  # extended_master_secret
        )
        hello = ServerHello.parse(body)
        self.assertEqual(hello.cipherSuite, 0xC02F)
        self.assertEqual(hello.extensions.types(), (0xFF01, 0x0017))
        self.assertEqual(decodeRenegotiationInfo(hello.extensions.get(0xFF01) or b"x"), b"")
        self.assertEqual(hello.serialize(), body)


class NewSessionTicketFrameTests(SynchronousTestCase):
    """
    L{NewSessionTicket13.frame}, the server's shortcut, gives the bytes the
    message object does.
    """

    @settings(max_examples=200, deadline=None)
    @given(
        st.integers(0, 0xFFFFFFFF),
        st.integers(0, 0xFFFFFFFF),
        st.binary(max_size=255),
        st.binary(min_size=1, max_size=600),
    )
    def test_sameBytes(self, lifetime: int, ageAdd: int, nonce: bytes, ticket: bytes) -> None:
        self.assertEqual(
            NewSessionTicket13.frame(lifetime, ageAdd, nonce, ticket),
            NewSessionTicket13(lifetime, ageAdd, nonce, ticket).toBytes(),
        )

    def test_longestFields(self) -> None:
        nonce, ticket = b"n" * 0xFF, b"t" * 0xFFFF
        self.assertEqual(
            NewSessionTicket13.frame(1, 2, nonce, ticket),
            NewSessionTicket13(1, 2, nonce, ticket).toBytes(),
        )

    def test_tooLong(self) -> None:
        self.assertRaises(ValueError, NewSessionTicket13.frame, 1, 2, b"n" * 0x100, b"t")
        self.assertRaises(ValueError, NewSessionTicket13.frame, 1, 2, b"n", b"t" * 0x10000)


class FinalBindersTests(SynchronousTestCase):
    """
    L{ClientHello.withFinalBinders}: the client's hello with its real PSK
    binders, framed from the placeholder's framing.
    """

    def hello(self, offer: OfferedPsks) -> ClientHello:
        return ClientHello(
            0x0303,
            b"r" * 32,
            b"s" * 32,
            (0x1301,),
            b"\x00",
            Extensions(((43, b"\x02\x03\x04"), (41, offer.toBytes()))),
        )

    def test_sameBytesAsFraming(self) -> None:
        identities = ((b"ticket", 1234),)
        placeholder = self.hello(OfferedPsks(identities, (bytes(32),)))
        placeholder.toBytes()
        final = OfferedPsks(identities, (b"b" * 32,))
        hello = placeholder.withFinalBinders(final.toBytes(), final.bindersBytes())
        fresh = self.hello(final)
        self.assertEqual(hello, fresh)
        self.assertEqual(hello.toBytes(), fresh.toBytes())
        self.assertEqual(hello.toBytes(), ClientHello.parse(hello.serialize()).toBytes())

    def test_otherShapeRefused(self) -> None:
        placeholder = self.hello(OfferedPsks(((b"ticket", 1234),), (bytes(32),)))
        for other in (
            OfferedPsks(((b"ticket", 1234),), (b"b" * 48,)),
            OfferedPsks(((b"tickeT", 1234),), (b"b" * 32,)),
            OfferedPsks(((b"ticket", 1235),), (b"b" * 32,)),
        ):
            self.assertRaises(
                ValueError, placeholder.withFinalBinders, other.toBytes(), other.bindersBytes()
            )


class ResumptionCodecTests(SynchronousTestCase):
    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(
            st.tuples(st.binary(min_size=1, max_size=60), st.integers(0, 0xFFFFFFFF)),
            min_size=1,
            max_size=MAX_PSK_IDENTITIES,
        ),
        st.binary(min_size=1, max_size=64),
        st.binary(min_size=1, max_size=200),
    )
    def test_pskOfferAndCookieRoundTrip(
        self, identities: list[tuple[bytes, int]], cookie: bytes, binderSeed: bytes
    ) -> None:
        binders = tuple((binderSeed * 64)[: 32 + i] for i in range(len(identities)))
        offer = OfferedPsks(tuple(identities), binders)
        self.assertEqual(OfferedPsks.parse(offer.toBytes()), offer)
        self.assertTrue(offer.toBytes().endswith(offer.bindersBytes()))
        self.assertEqual(decodeCookie(encodeCookie(cookie)), cookie)

    def test_manyIdentitiesParse(self) -> None:
        """
        RFC 8446 4.2.11 allows as many identities as fit; the server tries
        only the first L{MAX_PSK_IDENTITIES}, but the offer is legal.
        """
        many = OfferedPsks(
            tuple((b"t", 0) for _ in range(MAX_PSK_IDENTITIES * 100)),
            tuple(bytes(32) for _ in range(MAX_PSK_IDENTITIES * 100)),
        )
        self.assertEqual(OfferedPsks.parse(many.toBytes()), many)

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=300))
    def test_sealedStateParsersNeverRaise(self, data: bytes) -> None:
        """
        What a ticket opens to is ours (it authenticated), but a state from
        another version of this code must still give C{None}, not a crash.
        """
        for parse in (TicketState13.parse, SessionState12.parse):
            parse(data)
        for version in (b"\x01", b"\x02"):
            TicketState13.parse(version + data)
            SessionState12.parse(version + data)
