# -*- test-case-name: tests.test_exporters -*-
"""
Keying-material exporters (RFC 5705, RFC 8446 7.5) and channel bindings
(RFC 5929, RFC 9266) on two engines in memory: both ends agree, the values
follow the current session (TLS 1.2 renegotiation and resumption, not TLS
1.3 KeyUpdate), refusals are clear, arguments are checked; and known
answers for the two derivations.

The known answers were computed with OpenSSL's own KDFs, independently of
this package: C{openssl kdf ... TLS1-PRF} over the RFC 5705 seed for TLS
1.2, and C{openssl kdf -kdfopt mode:EXPAND_ONLY ... HKDF} over the
HkdfLabel structures of RFC 8446 7.1 for TLS 1.3, starting from the
exporter master secret of RFC 8448 section 3.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from twisted_reneg.interfaces import IKeyingMaterialExporter
from twisted_reneg.testing.memory import TLSPair
from twisted_reneg.testing.pki import cachedPKI, ed25519, makeCertificate, p256, p384
from twisted_reneg.tls.config import TLS13, TLSConfig
from twisted_reneg.tls.connection import TLSConnection
from twisted_reneg.tls.credentials import Credential, PeerVerifier
from twisted_reneg.tls.errors import ChannelBindingUnavailable, LocalUsageError
from twisted_reneg.tls.exporters import (
    CHANNEL_BINDING_TYPES,
    RESERVED_LABELS,
    KeyingMaterial,
    serverEndPoint,
)
from twisted_reneg.tls.keyschedule import MasterSecret13, exporter12, exporter13, prf12
from twisted_reneg.tls.suites import SUITES_BY_NAME, TLS13_SUITES
from twisted_reneg.tls.tickets import ServerSessionCache, TicketKeys

from ._connected import clientOptions, serverOptions
from ._resumption import fullThenResume, tls12Sessions
from ._rfc8448 import SIMPLE_EXPORTER, SIMPLE_MASTER, SIMPLE_TH_CH_SF
from .enginepair import EnginePair, clientConfig, serverConfig

H = bytes.fromhex
LABEL = b"EXPERIMENTAL-twisted-reneg"
AES256_SHA384 = TLS13_SUITES[2]

#: Inputs of the TLS 1.2 known answers.
KAT_MASTER = bytes(range(48))
KAT_CLIENT_RANDOM = bytes(range(32, 64))
KAT_SERVER_RANDOM = bytes(range(64, 96))


def pair12(**server: Any) -> EnginePair:
    return EnginePair(clientConfig(), serverConfig(**server)).handshake()


def pair13(**kw: Any) -> EnginePair:
    return EnginePair(
        clientConfig(minVersion=TLS13, maxVersion=TLS13, **kw), serverConfig(maxVersion=TLS13)
    ).handshake()


def both(pair: EnginePair) -> tuple[TLSConnection, TLSConnection]:
    return pair.client.connection, pair.server.connection


class KnownAnswerTests(SynchronousTestCase):
    def test_tls12(self) -> None:
        """
        RFC 5705 4: the PRF over client_random + server_random, plus a
        uint16 length and the context when there is one (even empty).
        """
        answers = {
            None: (
                "0C1935D482E5771CFB8F7F9F51FEFC807EC19EAA28EF655E6E137CBFFBA7D305F6EBCD3221F6B08B"
            ),
            b"": (
                "76BDFD89DFB2FD277D32C9CB44CB6C1E43DF5AF294565542894C9E604A4FD1279878BDBD7B76AB04"
            ),
            b"context": (
                "F1C8040AFBA588D5284B08250139CB6E37799271970041AE5B6297CCC302847298D6DC6EAE6529B3"
            ),
        }
        for context, expected in answers.items():
            got = exporter12(
                "sha256", KAT_MASTER, KAT_CLIENT_RANDOM, KAT_SERVER_RANDOM, LABEL, context, 40
            )
            self.assertEqual(got, H(expected), context)

    def test_tls12SHA384(self) -> None:
        got = exporter12(
            "sha384", KAT_MASTER, KAT_CLIENT_RANDOM, KAT_SERVER_RANDOM, LABEL, None, 40
        )
        self.assertEqual(
            got,
            H("CFE5548358DCB76A97DC98EE27CC142FD2DC5680499512063E029C924653F10C567884184AE41883"),
        )

    def test_exporterMasterSecretRFC8448(self) -> None:
        """
        RFC 8448 3: the key schedule's "exp master" from the master secret
        and the transcript through the server Finished.
        """
        master = MasterSecret13("sha256", SIMPLE_MASTER)
        self.assertEqual(master.exporterMasterSecret(SIMPLE_TH_CH_SF), SIMPLE_EXPORTER)

    def test_tls13(self) -> None:
        """
        RFC 8446 7.5 from the RFC 8448 exporter master secret.
        """
        answers = {
            b"": (
                "BE3F8C8B5496260539DD15F62A60672FE4FC31C7F52D3C1CD3CDF66ADDEA44601CD862D346A9372B"
            ),
            b"context": (
                "2080862753B4F389441EFDED0D43A009171F9043EA72899F05E6C6F1F15F2FF65F9ECDF99020F231"
            ),
        }
        for context, expected in answers.items():
            got = exporter13("sha256", SIMPLE_EXPORTER, LABEL, context, 40)
            self.assertEqual(got, H(expected), context)


class EngineExporterTests(SynchronousTestCase):
    def assertAgree(self, pair: EnginePair, *args: Any) -> bytes:
        client, server = both(pair)
        value = client.exportKeyingMaterial(*args)
        self.assertEqual(server.exportKeyingMaterial(*args), value)
        return value

    def test_bothEndsAgreeTLS12(self) -> None:
        pair = pair12()
        value = self.assertAgree(pair, LABEL, 20)
        self.assertEqual(len(value), 20)
        self.assertEqual(len(self.assertAgree(pair, LABEL, 1000, b"ctx")), 1000)

    def test_bothEndsAgreeTLS13(self) -> None:
        pair = pair13()
        self.assertEqual(len(self.assertAgree(pair, LABEL, 20)), 20)
        self.assertEqual(len(self.assertAgree(pair, LABEL, 1000, b"ctx")), 1000)

    def test_tls13SHA384Suite(self) -> None:
        """
        A SHA-384 suite: its own hash, and lengths up to 255 * 48.
        """
        pair = pair13(tls13Suites=(AES256_SHA384,))
        session = pair.client.connection.session
        assert session is not None
        self.assertEqual(session.cipherSuite, AES256_SHA384.name)
        self.assertEqual(len(self.assertAgree(pair, LABEL, 255 * 48)), 255 * 48)

    def test_tls12SHA384Suite(self) -> None:
        suite = SUITES_BY_NAME["ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]
        pair = EnginePair(clientConfig(cipherSuites=(suite,)), serverConfig()).handshake()
        session = pair.client.connection.session
        assert session is not None
        self.assertEqual(session.cipherSuite, "TLS_" + suite.name)
        self.assertEqual(len(self.assertAgree(pair, LABEL, 255 * 48)), 255 * 48)

    def test_matchesKeyLogTLS12(self) -> None:
        """
        The TLS 1.2 exporter is the PRF of the master secret and randoms the
        key log (NSS format) and the cleartext ServerHello show.
        """
        lines: list[str] = []
        pair = EnginePair(clientConfig(keyLog=lines.append), serverConfig()).handshake()
        [line] = lines
        _, clientRandom, master = line.split()
        serverHello = pair.sent("server")
        # record header (5), handshake header (4), legacy_version (2).
        serverRandom = serverHello[11:43]
        expected = prf12(
            "sha256",
            bytes.fromhex(master),
            LABEL,
            bytes.fromhex(clientRandom) + serverRandom + b"\x00\x03ctx",
            32,
        )
        self.assertEqual(self.assertAgree(pair, LABEL, 32, b"ctx"), expected)

    def test_noContextAndEmptyContextTLS12(self) -> None:
        """
        RFC 5705: no context and an empty context differ on TLS 1.2.
        """
        pair = pair12()
        self.assertNotEqual(
            self.assertAgree(pair, LABEL, 32), self.assertAgree(pair, LABEL, 32, b"")
        )

    def test_noContextAndEmptyContextTLS13(self) -> None:
        """
        RFC 8446 7.5: on TLS 1.3 they are the same.
        """
        pair = pair13()
        self.assertEqual(self.assertAgree(pair, LABEL, 32), self.assertAgree(pair, LABEL, 32, b""))

    def test_labelsAndContextsDiffer(self) -> None:
        for pair in (pair12(), pair13()):
            values = {
                self.assertAgree(pair, LABEL, 32, b"a"),
                self.assertAgree(pair, LABEL, 32, b"b"),
                self.assertAgree(pair, LABEL + b"2", 32, b"a"),
            }
            self.assertEqual(len(values), 3)

    def test_connectionsDiffer(self) -> None:
        self.assertNotEqual(
            self.assertAgree(pair12(), LABEL, 32), self.assertAgree(pair12(), LABEL, 32)
        )
        self.assertNotEqual(
            self.assertAgree(pair13(), LABEL, 32), self.assertAgree(pair13(), LABEL, 32)
        )

    def test_newAfterRenegotiation(self) -> None:
        """
        TLS 1.2: a renegotiation makes a new master secret and randoms, and
        the exporter follows it once the renegotiation has completed.
        """
        pair = pair12()
        before = self.assertAgree(pair, LABEL, 32)
        pair.server.connection.rehandshake()
        pair.pump()
        session = pair.client.connection.session
        assert session is not None
        self.assertEqual(session.renegotiations, 1)
        after = self.assertAgree(pair, LABEL, 32)
        self.assertNotEqual(after, before)
        pair.server.connection.rehandshake()
        pair.pump()
        self.assertNotIn(self.assertAgree(pair, LABEL, 32), (before, after))

    def test_oldValueWhileRenegotiating(self) -> None:
        """
        Until the renegotiation completes the current session is the old one.
        """
        pair = pair12()
        before = self.assertAgree(pair, LABEL, 32)
        pair.server.connection.rehandshake()
        self.assertTrue(pair.server.connection.renegotiationInProgress)
        self.assertEqual(pair.server.connection.exportKeyingMaterial(LABEL, 32), before)

    def test_sameAfterKeyUpdate(self) -> None:
        """
        TLS 1.3: the exporter master secret belongs to the handshake; a
        KeyUpdate (either side's) changes traffic keys only.
        """
        pair = pair13()
        before = self.assertAgree(pair, LABEL, 32)
        binding = pair.client.connection.channelBinding("tls-exporter")
        pair.client.connection.rehandshake()
        pair.pump()
        pair.server.connection.rehandshake()
        pair.pump()
        session = pair.client.connection.session
        assert session is not None
        self.assertEqual(session.keyUpdates, 2)
        self.assertEqual(self.assertAgree(pair, LABEL, 32), before)
        self.assertEqual(pair.server.connection.channelBinding("tls-exporter"), binding)

    def test_resumedTLS12(self) -> None:
        """
        An abbreviated handshake: the session's master secret with the new
        randoms; both ends agree and the value is not the first
        connection's.
        """
        server = serverConfig(sessionCache=ServerSessionCache())
        full = EnginePair(clientConfig(), server).handshake()
        [kept] = tls12Sessions(full.client.events)
        resumed = EnginePair(clientConfig(resumeTicket=kept), server).handshake()
        session = resumed.client.connection.session
        assert session is not None and session.resumed
        self.assertNotEqual(
            self.assertAgree(resumed, LABEL, 32), self.assertAgree(full, LABEL, 32)
        )

    def test_resumedTLS13(self) -> None:
        full, resumed = fullThenResume(TicketKeys())
        session = resumed.client.connection.session
        assert session is not None and session.resumed
        self.assertNotEqual(
            self.assertAgree(resumed, LABEL, 32), self.assertAgree(full, LABEL, 32)
        )
        self.assertEqual(
            resumed.client.connection.channelBinding("tls-exporter"),
            resumed.server.connection.channelBinding("tls-exporter"),
        )


class ChannelBindingTests(SynchronousTestCase):
    def assertAgree(self, pair: EnginePair, kind: str) -> bytes:
        client, server = both(pair)
        value = client.channelBinding(kind)
        self.assertEqual(server.channelBinding(kind), value)
        return value

    def test_tlsExporter(self) -> None:
        """
        RFC 9266: the exporter with label EXPORTER-Channel-Binding, an empty
        context, 32 bytes; TLS 1.3, and TLS 1.2 with the extended master
        secret.
        """
        for pair in (pair12(), pair13()):
            self.assertEqual(
                self.assertAgree(pair, "tls-exporter"),
                pair.client.connection.exportKeyingMaterial(b"EXPORTER-Channel-Binding", 32, b""),
            )

    def test_tlsUniqueIsClientFinished(self) -> None:
        """
        RFC 5929 3.1: in a full handshake the first Finished is the
        client's, the verify_data the next renegotiation_info carries.
        """
        pair = pair12()
        value = self.assertAgree(pair, "tls-unique")
        previous = pair.client.connection._established.previous  # noqa: SLF001
        assert previous is not None
        self.assertEqual(value, previous.clientVerifyData)
        self.assertEqual(len(value), 12)

    def test_tlsUniqueResumedIsServerFinished(self) -> None:
        """
        ... and in an abbreviated handshake the server's, which comes first.
        """
        server = serverConfig(sessionCache=ServerSessionCache())
        full = EnginePair(clientConfig(), server).handshake()
        [kept] = tls12Sessions(full.client.events)
        resumed = EnginePair(clientConfig(resumeTicket=kept), server).handshake()
        value = self.assertAgree(resumed, "tls-unique")
        previous = resumed.client.connection._established.previous  # noqa: SLF001
        assert previous is not None
        self.assertEqual(value, previous.serverVerifyData)
        self.assertNotEqual(value, previous.clientVerifyData)

    def test_tlsUniqueChangesWithRenegotiation(self) -> None:
        pair = pair12()
        before = self.assertAgree(pair, "tls-unique")
        exporterBefore = self.assertAgree(pair, "tls-exporter")
        pair.server.connection.rehandshake()
        pair.pump()
        self.assertNotEqual(self.assertAgree(pair, "tls-unique"), before)
        self.assertNotEqual(self.assertAgree(pair, "tls-exporter"), exporterBefore)

    def test_tlsUniqueRefusedOnTLS13(self) -> None:
        pair = pair13()
        for connection in both(pair):
            e = self.assertRaises(
                ChannelBindingUnavailable, connection.channelBinding, "tls-unique"
            )
            self.assertIn("TLS 1.3", str(e))
            self.assertIsInstance(e, LocalUsageError)

    def test_refusedWithoutExtendedMasterSecret(self) -> None:
        """
        RFC 7627 / RFC 9266: on TLS 1.2 without the extended master secret
        neither tls-unique nor tls-exporter is unique, so neither is given;
        tls-server-end-point still is.
        """
        pair = EnginePair(
            clientConfig(offerExtendedMasterSecret=False), serverConfig()
        ).handshake()
        session = pair.client.connection.session
        assert session is not None
        self.assertFalse(session.extendedMasterSecret)
        for connection in both(pair):
            for kind in ("tls-unique", "tls-exporter"):
                e = self.assertRaises(ChannelBindingUnavailable, connection.channelBinding, kind)
                self.assertIn("extended master secret", str(e))
        self.assertAgree(pair, "tls-server-end-point")
        # The exporter itself is the caller's to judge (RFC 5705 has no such rule).
        self.assertEqual(len(pair.client.connection.exportKeyingMaterial(LABEL, 16)), 16)

    def test_serverEndPoint(self) -> None:
        """
        RFC 5929 4.1: the hash of the server's certificate, here signed with
        ECDSA-SHA256 by the test CA, whatever the version.
        """
        der = cachedPKI().ecdsaServer.certificate.public_bytes(Encoding.DER)
        for pair in (pair12(), pair13()):
            self.assertEqual(
                self.assertAgree(pair, "tls-server-end-point"), hashlib.sha256(der).digest()
            )

    def test_serverEndPointFollowsSignatureHash(self) -> None:
        """
        The hash is the certificate signature's (the issuer's choice), not
        the key's: SHA-384 here, for a P-256 server key.
        """
        root = makeCertificate("SHA-384 CA", p384(), ca=True, signatureHash=hashes.SHA384())
        leaf = makeCertificate(
            "localhost",
            p256(),
            issuer=root,
            subjectAltNames=["localhost"],
            signatureHash=hashes.SHA384(),
        )
        pair = self.pairWith(root, leaf)
        der = leaf.certificate.public_bytes(Encoding.DER)
        self.assertEqual(
            self.assertAgree(pair, "tls-server-end-point"), hashlib.sha384(der).digest()
        )

    def test_serverEndPointUndefinedForEd25519Signature(self) -> None:
        """
        A certificate signed with Ed25519 has no separate hash: RFC 5929 4.1
        leaves the binding undefined, and it is refused.
        """
        root = makeCertificate("Ed25519 CA", ed25519(), ca=True)
        leaf = makeCertificate("localhost", p256(), issuer=root, subjectAltNames=["localhost"])
        self.assertIsNone(leaf.certificate.signature_hash_algorithm)
        # Our own verifier refuses Ed25519 issuers; the binding is refused
        # whoever verifies the chain.
        pair = self.pairWith(root, leaf, verify=False)
        for connection in both(pair):
            e = self.assertRaises(
                ChannelBindingUnavailable, connection.channelBinding, "tls-server-end-point"
            )
            self.assertIn("Ed25519", str(e))
        self.assertAgree(pair, "tls-exporter")

    def test_serverEndPointEd25519KeySignedByECDSA(self) -> None:
        """
        An Ed25519 server key in a certificate its CA signed with
        ECDSA-SHA256: defined, SHA-256.
        """
        identity = cachedPKI().ed25519Server
        pair = EnginePair(clientConfig(), serverConfig(identity)).handshake()
        der = identity.certificate.public_bytes(Encoding.DER)
        self.assertEqual(
            self.assertAgree(pair, "tls-server-end-point"), hashlib.sha256(der).digest()
        )

    def pairWith(self, root: Any, leaf: Any, verify: bool = True) -> EnginePair:
        server = TLSConfig(
            isClient=False,
            credential=Credential((leaf.certificate,), leaf.privateKey),
            verifier=PeerVerifier([root.certificate]),
            maxVersion=TLS13,
        )
        client = clientConfig(trustRoots=[root.certificate], maxVersion=TLS13)
        if not verify:
            client = replace(client, verifier=None)
        pair = EnginePair(client, server).handshake()
        self.assertIsNone(pair.client.failure())
        return pair

    def test_weakHashesBecomeSHA256(self) -> None:
        """
        MD5 and SHA-1 signatures: SHA-256 instead (RFC 5929 4.1).
        """
        root = makeCertificate("SHA-1 CA", p256(), ca=True)
        leaf = makeCertificate(
            "localhost", p256(), issuer=root, signatureHash=hashes.SHA1()
        ).certificate
        self.assertIsInstance(leaf.signature_hash_algorithm, hashes.SHA1)
        der = leaf.public_bytes(Encoding.DER)
        self.assertEqual(serverEndPoint(leaf, der), hashlib.sha256(der).digest())

    def test_unknownKind(self) -> None:
        pair = pair12()
        e = self.assertRaises(
            ValueError, pair.client.connection.channelBinding, "tls-unique-for-telnet"
        )
        for kind in CHANNEL_BINDING_TYPES:
            self.assertIn(kind, str(e))


class ArgumentTests(SynchronousTestCase):
    """
    What the caller gets wrong is refused at once, the same way on both
    versions.
    """

    def setUp(self) -> None:
        self.pairs = (pair12(), pair13())

    def assertRefused(self, exception: type[Exception], *args: Any) -> None:
        for pair in self.pairs:
            for connection in both(pair):
                self.assertRaises(exception, connection.exportKeyingMaterial, *args)

    def test_beforeHandshake(self) -> None:
        connection = TLSConnection(clientConfig())
        e = self.assertRaises(LocalUsageError, connection.exportKeyingMaterial, LABEL, 20)
        self.assertIn("handshake", str(e))
        connection.startHandshake()
        self.assertRaises(LocalUsageError, connection.exportKeyingMaterial, LABEL, 20)
        for kind in CHANNEL_BINDING_TYPES:
            self.assertRaises(LocalUsageError, connection.channelBinding, kind)

    def test_afterFailure(self) -> None:
        for pair in self.pairs:
            client = pair.client.connection
            client.receiveData(b"\x17\x03\x03\x00\x20" + bytes(32))
            self.assertTrue(client.failed)
            self.assertRaises(LocalUsageError, client.exportKeyingMaterial, LABEL, 20)
            self.assertRaises(LocalUsageError, client.channelBinding, "tls-exporter")

    def test_labelType(self) -> None:
        self.assertRefused(TypeError, "EXPERIMENTAL", 20)
        self.assertRefused(TypeError, None, 20)

    def test_labelLength(self) -> None:
        self.assertRefused(ValueError, b"", 20)
        self.assertRefused(ValueError, b"x" * 250, 20)
        for pair in self.pairs:
            self.assertEqual(len(pair.client.connection.exportKeyingMaterial(b"x" * 249, 4)), 4)

    def test_reservedLabels(self) -> None:
        for label in RESERVED_LABELS:
            self.assertRefused(ValueError, label, 20)

    def test_length(self) -> None:
        self.assertRefused(ValueError, LABEL, 0)
        self.assertRefused(ValueError, LABEL, -1)
        self.assertRefused(ValueError, LABEL, 255 * 32 + 1)
        self.assertRefused(TypeError, LABEL, 20.0)
        self.assertRefused(TypeError, LABEL, True)
        self.assertRefused(TypeError, LABEL, "20")

    def test_context(self) -> None:
        self.assertRefused(TypeError, LABEL, 20, "context")
        self.assertRefused(ValueError, LABEL, 20, bytes(65536))
        for pair in self.pairs:
            client, server = both(pair)
            self.assertEqual(
                client.exportKeyingMaterial(LABEL, 20, bytearray(65535)),
                server.exportKeyingMaterial(LABEL, 20, bytes(65535)),
            )

    @settings(max_examples=60, deadline=None)
    @given(
        label=st.one_of(st.binary(max_size=260), st.text(max_size=5)),
        length=st.one_of(st.integers(-2, 9000), st.floats(), st.booleans()),
        context=st.one_of(st.none(), st.binary(max_size=64), st.text(max_size=3)),
    )
    def test_property(self, label: Any, length: Any, context: Any) -> None:
        """
        Any arguments: either both ends give the same C{length} bytes, or
        both refuse with the same TypeError or ValueError.
        """
        for pair in self.pairs:
            outcomes = []
            for connection in both(pair):
                try:
                    outcomes.append(connection.exportKeyingMaterial(label, length, context))
                except (TypeError, ValueError) as e:
                    outcomes.append(type(e))
            self.assertEqual(outcomes[0], outcomes[1])
            if isinstance(outcomes[0], bytes):
                self.assertEqual(len(outcomes[0]), length)

    def test_materialRepr(self) -> None:
        """
        Secrets stay out of reprs (and so out of logs).
        """
        material = KeyingMaterial("TLSv1.2", "sha256", b"\xaa" * 48, b"\xbb" * 32, b"\xcc" * 32)
        self.assertNotIn("aa", repr(material).lower().replace("tlsv1.2", ""))
        self.assertNotIn("\\xaa", repr(material))


class TransportTests(SynchronousTestCase):
    """
    The Twisted transport offers the same, declared by
    L{IKeyingMaterialExporter}.
    """

    def test_interface(self) -> None:
        pair = TLSPair(serverOptions(), clientOptions())
        self.assertTrue(verifyObject(IKeyingMaterialExporter, pair.client))
        self.assertTrue(IKeyingMaterialExporter.providedBy(pair.server))

    def test_beforeAndAfterHandshake(self) -> None:
        pair = TLSPair(serverOptions(), clientOptions())
        self.assertRaises(LocalUsageError, pair.client.exportKeyingMaterial, LABEL, 20)
        pair.flush()
        for kind in ("tls-exporter", "tls-server-end-point"):
            self.assertEqual(pair.client.channelBinding(kind), pair.server.channelBinding(kind))
        before = pair.client.exportKeyingMaterial(LABEL, 20, b"ctx")
        self.assertEqual(pair.server.exportKeyingMaterial(LABEL, 20, b"ctx"), before)
        self.assertRaises(ValueError, pair.client.channelBinding, "tls-foo")

    def test_renegotiationTLS12(self) -> None:
        pair = TLSPair(serverOptions(maxVersion="1.2"), clientOptions())
        pair.flush()
        before = pair.client.channelBinding("tls-unique")
        d = pair.server.rehandshake()
        pair.flush()
        self.successResultOf(d)
        after = pair.client.channelBinding("tls-unique")
        self.assertNotEqual(after, before)
        self.assertEqual(pair.server.channelBinding("tls-unique"), after)
