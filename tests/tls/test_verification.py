"""
Chain verification for private PKIs (L{twisted_reneg.tls.verification}) and
the reasons it gives (L{twisted_reneg.tls.rejections}).  The verdicts are
checked against C{openssl verify} in tests.tls.test_cert_zoo; here each shape
that the Web PKI profile used to refuse is accepted, each check that
protects someone still refuses, and each refusal names its rule and
certificate.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID as EKU
from cryptography.x509.oid import NameOID
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.errors import AlertDescription as A
from twisted_reneg.tls.errors import PeerError
from twisted_reneg.tls.verification import PeerVerifier

NOW = datetime.now(timezone.utc)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class _Made:
    def __init__(self, certificate: x509.Certificate, key: Any) -> None:
        self.certificate = certificate
        self.key = key


def make(
    cn: str,
    issuer: _Made | None = None,
    extensions: list[tuple[x509.ExtensionType, bool]] = (),  # type: ignore[assignment]
    key: Any = None,
    notBefore: datetime | None = None,
    notAfter: datetime | None = None,
    subject: x509.Name | None = None,
) -> _Made:
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject if subject is not None else _name(cn))
        .issuer_name(issuer.certificate.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(notBefore or NOW - timedelta(days=1))
        .not_valid_after(notAfter or NOW + timedelta(days=30))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    signer = issuer.key if issuer else key
    digest = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return _Made(builder.sign(signer, digest), key)


def ca(pathLength: int | None = None) -> tuple[x509.ExtensionType, bool]:
    return x509.BasicConstraints(ca=True, path_length=pathLength), True


def san(*names: str) -> tuple[x509.ExtensionType, bool]:
    return x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False


def eku(*usages: x509.ObjectIdentifier, critical: bool = False) -> tuple[x509.ExtensionType, bool]:
    return x509.ExtendedKeyUsage(list(usages)), critical


def keyUsage(**flags: bool) -> tuple[x509.ExtensionType, bool]:
    names = (
        "digital_signature content_commitment key_encipherment data_encipherment "
        "key_agreement key_cert_sign crl_sign encipher_only decipher_only"
    ).split()
    return x509.KeyUsage(**{n: flags.get(n, False) for n in names}), True


def skiAki(key: Any, issuerKey: Any) -> list[tuple[x509.ExtensionType, bool]]:
    return [
        (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(issuerKey.public_key()), False),
    ]


def opensslReqRoot(cn: str = "Example Root") -> _Made:
    """
    What C{openssl req -x509 -newkey ...} makes: CA:TRUE, SKI, AKI and no
    keyUsage.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    return make(cn, extensions=[ca(), *skiAki(key, key)], key=key)


class AcceptedShapesTests(SynchronousTestCase):
    """
    Certificates made the usual ways for private PKIs are accepted, as
    C{openssl verify} accepts them.
    """

    def test_rootWithoutKeyUsage(self) -> None:
        root = opensslReqRoot()
        leaf = make("server", root, [san("localhost")])
        PeerVerifier([root.certificate]).verifyServer([leaf.certificate], "localhost", NOW)
        client = make("client", root, [eku(EKU.CLIENT_AUTH)])
        PeerVerifier([root.certificate]).verifyClient([client.certificate], NOW)

    def test_intermediateWithoutKeyUsage(self) -> None:
        root = opensslReqRoot()
        intermediate = make("Issuing CA", root, [ca()])
        leaf = make("client", intermediate)
        PeerVerifier([root.certificate]).verifyClient(
            [leaf.certificate, intermediate.certificate], NOW
        )

    def test_clientWithoutSubjectAltNameOrKeyIdentifiers(self) -> None:
        """
        The corporate client certificate: a subject, clientAuth, no SAN, no
        authority key identifier.
        """
        root = opensslReqRoot()
        leaf = make("alice", root, [eku(EKU.CLIENT_AUTH)])
        PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW)

    def test_criticalSubjectAltNameAndExtendedKeyUsage(self) -> None:
        """
        trustme marks both critical; RFC 5280 allows it (and requires a
        critical SAN only for an empty subject).
        """
        root = opensslReqRoot()
        leaf = make(
            "leaf",
            root,
            [
                (x509.SubjectAlternativeName([x509.DNSName("localhost")]), True),
                eku(EKU.CLIENT_AUTH, EKU.SERVER_AUTH, critical=True),
            ],
        )
        verifier = PeerVerifier([root.certificate])
        verifier.verifyClient([leaf.certificate], NOW)
        verifier.verifyServer([leaf.certificate], "localhost", NOW)

    def test_pinnedSelfSignedCA(self) -> None:
        """
        C{openssl req -x509} as a client certificate (CA:TRUE), trusted as
        itself.
        """
        pinned = opensslReqRoot("alice")
        PeerVerifier([pinned.certificate]).verifyClient([pinned.certificate], NOW)

    def test_pinnedSelfSignedLeaf(self) -> None:
        """
        Shaped as our own throwaway certificate: no basicConstraints, no
        key identifiers, a SAN and serverAuth.
        """
        pinned = make("localhost", extensions=[san("localhost"), eku(EKU.SERVER_AUTH)])
        PeerVerifier([pinned.certificate]).verifyServer([pinned.certificate], "localhost", NOW)

    def test_caLeaf(self) -> None:
        """
        OpenSSL does not refuse a leaf that says CA:TRUE; neither do we.
        """
        root = opensslReqRoot()
        leaf = make("client", root, [ca()])
        PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW)

    def test_ed25519Leaf(self) -> None:
        root = opensslReqRoot()
        leaf = make("ed", root, [san("localhost")], key=ed25519.Ed25519PrivateKey.generate())
        PeerVerifier([root.certificate]).verifyServer([leaf.certificate], "localhost", NOW)


class RefusalTests(SynchronousTestCase):
    """
    Every check that protects someone still refuses, with the alert OpenSSL
    would send and a reason that names the rule and the certificate.
    """

    def assertRefused(self, call: Any, alert: A, *words: str) -> str:
        with self.assertRaises(PeerError) as caught:
            call()
        reason = caught.exception.reason
        self.assertEqual(caught.exception.alert, alert, reason)
        for word in words:
            self.assertIn(word, reason)
        self.assertNotIn("<Certificate", reason)
        self.assertNotIn("<Name", reason)
        self.assertIsNone(re.search(r"\b2\.5\.29\.\d+\b", reason), reason)
        return reason

    def test_unknownAuthority(self) -> None:
        root, other = opensslReqRoot(), opensslReqRoot("Other Root")
        leaf = make("alice", other)
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW),
            A.unknown_ca,
            "'CN=alice' (the leaf)",
            "issued by 'CN=Other Root'",
            "unknown authority",
        )

    def test_sameNameOtherKey(self) -> None:
        """
        A root of the same name with another key (its key identifier says
        so) is another, unknown CA.
        """
        root, twin = opensslReqRoot(), opensslReqRoot()
        leaf = make("alice", twin, skiAki(ec.generate_private_key(ec.SECP256R1()), twin.key))
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW),
            A.unknown_ca,
            "unknown authority",
        )

    def test_badSignature(self) -> None:
        """
        The right issuer by name and key identifier, a signature that does
        not verify: decrypt_error, as OpenSSL sends.
        """
        root = opensslReqRoot()
        forger = _Made(root.certificate, ec.generate_private_key(ec.SECP256R1()))
        leaf = make("alice", forger)
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW),
            A.decrypt_error,
            "'CN=alice' (the leaf)",
            "signature does not verify",
        )

    def test_selfSignedNotPinned(self) -> None:
        root, stranger = opensslReqRoot(), opensslReqRoot("stranger")
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([stranger.certificate], NOW),
            A.unknown_ca,
            "self-signed",
            "not one of the trusted roots",
        )

    def test_expiredIntermediate(self) -> None:
        root = opensslReqRoot()
        intermediate = make(
            "Issuing CA",
            root,
            [ca()],
            notBefore=NOW - timedelta(days=30),
            notAfter=NOW - timedelta(days=2),
        )
        leaf = make("alice", intermediate)
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient(
                [leaf.certificate, intermediate.certificate], NOW
            ),
            A.certificate_expired,
            "'CN=Issuing CA' (intermediate 1) expired on",
        )

    def test_notYetValid(self) -> None:
        root = opensslReqRoot()
        leaf = make("alice", root, notBefore=NOW + timedelta(days=1))
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW),
            A.certificate_expired,
            "client certificate 'CN=alice' (the leaf) is not valid before",
        )

    def test_wrongPurpose(self) -> None:
        root = opensslReqRoot()
        leaf = make("server", root, [san("localhost"), eku(EKU.SERVER_AUTH)])
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW),
            A.unsupported_certificate,
            "'CN=server'",
            "does not allow TLS client authentication (clientAuth); it allows serverAuth",
        )

    def test_intermediateOfOtherPurpose(self) -> None:
        """
        As OpenSSL does, an EKU on an issuer limits what it may issue for.
        """
        root = opensslReqRoot()
        intermediate = make("Server CA", root, [ca(), eku(EKU.SERVER_AUTH)])
        leaf = make("alice", intermediate)
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient(
                [leaf.certificate, intermediate.certificate], NOW
            ),
            A.unsupported_certificate,
            "'CN=Server CA'",
            "clientAuth",
        )

    def test_leafKeyUsageWithoutSignature(self) -> None:
        root = opensslReqRoot()
        leaf = make("alice", root, [keyUsage(key_encipherment=True)])
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW),
            A.unsupported_certificate,
            "'CN=alice'",
            "digitalSignature",
        )

    def test_issuerNotACA(self) -> None:
        root = opensslReqRoot()
        notCA = make("not a CA", root, [(x509.BasicConstraints(ca=False, path_length=None), True)])
        leaf = make("alice", notCA)
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient(
                [leaf.certificate, notCA.certificate], NOW
            ),
            A.unknown_ca,
            "'CN=not a CA'",
        )

    def test_issuerWithoutBasicConstraints(self) -> None:
        root = opensslReqRoot()
        notCA = make("bare", root)
        leaf = make("alice", notCA)
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient(
                [leaf.certificate, notCA.certificate], NOW
            ),
            A.unknown_ca,
            "'CN=bare' (intermediate 1)",
            "basicConstraints",
        )

    def test_issuerKeyUsageWithoutCertSign(self) -> None:
        root = opensslReqRoot()
        intermediate = make("Issuing CA", root, [ca(), keyUsage(digital_signature=True)])
        leaf = make("alice", intermediate)
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient(
                [leaf.certificate, intermediate.certificate], NOW
            ),
            A.unknown_ca,
            "'CN=Issuing CA'",
            "keyCertSign",
        )

    def test_pathLength(self) -> None:
        root = opensslReqRoot()
        first = make("CA 1", root, [ca(pathLength=0)])
        second = make("CA 2", first, [ca()])
        leaf = make("alice", second)
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient(
                [leaf.certificate, second.certificate, first.certificate], NOW
            ),
            A.bad_certificate,
            "'CN=CA 1' (intermediate 2)",
            "pathlen",
        )

    def test_nameConstraints(self) -> None:
        root = opensslReqRoot()
        constrained = make(
            "Example CA",
            root,
            [ca(), (x509.NameConstraints([x509.DNSName("example.com")], None), True)],
        )
        leaf = make("server", constrained, [san("localhost")])
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyServer(
                [leaf.certificate, constrained.certificate], "localhost", NOW
            ),
            A.bad_certificate,
            "name constraints of 'CN=Example CA' (intermediate 1)",
        )

    def test_anyExtendedKeyUsageAlone(self) -> None:
        """
        As OpenSSL's purpose check: anyExtendedKeyUsage is not clientAuth.
        """
        root = opensslReqRoot()
        leaf = make("client", root, [eku(EKU.ANY_EXTENDED_KEY_USAGE)])
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW),
            A.unsupported_certificate,
            "it allows anyExtendedKeyUsage",
        )

    def test_weakRSAKey(self) -> None:
        root = opensslReqRoot()
        leaf = make("client", root, key=rsa.generate_private_key(65537, 1024))
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW),
            A.bad_certificate,
            "'CN=client' (the leaf) has a 1024-bit RSA key, too weak",
        )

    def test_unknownCriticalExtension(self) -> None:
        root = opensslReqRoot()
        odd = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
        leaf = make("alice", root, [(odd, True)])
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW),
            A.unsupported_certificate,
            "critical extension we do not understand",
        )

    def test_hostNameOnlyInCommonName(self) -> None:
        root = opensslReqRoot()
        leaf = make("localhost", root)
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyServer(
                [leaf.certificate], "localhost", NOW
            ),
            A.bad_certificate,
            "has no subjectAltName",
            "never the common name",
        )

    def test_wrongHost(self) -> None:
        root = opensslReqRoot()
        leaf = make("server", root, [san("*.example.com")])
        reason = self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyServer(
                [leaf.certificate], "a.b.example.com", NOW
            ),
            A.bad_certificate,
            "is not valid for 'a.b.example.com'",
            "*.example.com",
        )
        self.assertIn("'CN=server' (the leaf)", reason)

    def test_configuredRootIsNeverUnknown(self) -> None:
        """
        The old verifier called any refusal under a root it had "unknown
        authority"; a chain ending at a configured root is refused for its
        real reason.
        """
        root = opensslReqRoot()
        leaf = make("server", root, [san("localhost"), eku(EKU.SERVER_AUTH)])
        reason = self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW),
            A.unsupported_certificate,
        )
        self.assertNotIn("unknown", reason)

    def test_emptySubjectNamedBySubjectAltName(self) -> None:
        root = opensslReqRoot()
        leaf = make(
            "",
            root,
            [(x509.SubjectAlternativeName([x509.DNSName("device-7.example")]), True)],
            subject=x509.Name([]),
            notAfter=NOW - timedelta(hours=1),
            notBefore=NOW - timedelta(days=2),
        )
        self.assertRefused(
            lambda: PeerVerifier([root.certificate]).verifyClient([leaf.certificate], NOW),
            A.certificate_expired,
            "with an empty subject and subjectAltName device-7.example",
        )


class VerdictCacheTests(SynchronousTestCase):
    """
    A chain that verified is not verified again while the path built for
    it is valid; nothing else about it is remembered.
    """

    def setUp(self) -> None:
        self.root = opensslReqRoot()
        self.leaf = make("server", self.root, [san("localhost")], notAfter=NOW + timedelta(days=2))
        self.verifier = PeerVerifier([self.root.certificate])
        self.verifier.verifyServer([self.leaf.certificate], "localhost", NOW)

    def test_remembered(self) -> None:
        """
        The same chain for the same name, later but inside every validity
        period, is accepted without the library.
        """
        calls = []
        self.patch(self.verifier, "_builder", lambda *a: calls.append(a))
        self.verifier.verifyServer([self.leaf.certificate], "localhost", NOW + timedelta(days=1))
        self.assertEqual(calls, [])

    def test_expiredAfterwards(self) -> None:
        """
        Past the leaf's notAfter the chain is verified afresh, and refused.
        """
        self.assertRefused(
            lambda: self.verifier.verifyServer(
                [self.leaf.certificate], "localhost", NOW + timedelta(days=3)
            ),
            A.certificate_expired,
        )

    def test_otherName(self) -> None:
        """
        A verdict holds for the name it was reached for only.
        """
        self.assertRefused(
            lambda: self.verifier.verifyServer([self.leaf.certificate], "example.com", NOW),
            A.bad_certificate,
        )

    def test_otherPurpose(self) -> None:
        """
        A server verdict is no client verdict: the same certificate as a
        client's goes through the client checks.
        """
        leaf = make("server", self.root, [san("localhost"), eku(EKU.SERVER_AUTH)])
        self.verifier.verifyServer([leaf.certificate], "localhost", NOW)
        self.assertRefused(
            lambda: self.verifier.verifyClient([leaf.certificate], NOW),
            A.unsupported_certificate,
        )

    def assertRefused(self, call: Any, alert: A) -> None:
        e = self.assertRaises(PeerError, call)
        self.assertEqual(e.alert, alert)
