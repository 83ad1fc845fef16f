"""
L{twisted_reneg.testing.pki}: the certificates it makes have the shape asked
for, and the signatures it makes by hand (v1, SHA-1) verify.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.testing.pki import (
    CertifiedKey,
    ed25519,
    makeCertificate,
    makeV1Certificate,
    nameConstraints,
    p256,
    p384,
    rsa2048,
)


def extension(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.Extension:
    return cert.extensions.get_extension_for_class(kind)


def isSignedBy(cert: x509.Certificate, issuer: CertifiedKey) -> bool:
    """
    Whether C{issuer}'s key made C{cert}'s signature, checked with the
    public key alone (C{verify_directly_issued_by} refuses SHA-1).
    """
    key = issuer.certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            assert cert.signature_hash_algorithm is not None
            key.verify(
                cert.signature,
                cert.tbs_certificate_bytes,
                padding.PKCS1v15(),
                cert.signature_hash_algorithm,
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            assert cert.signature_hash_algorithm is not None
            key.verify(
                cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm)
            )
        else:
            key.verify(cert.signature, cert.tbs_certificate_bytes)  # type: ignore[union-attr,call-arg]
    except InvalidSignature:
        return False
    return True


class MakeCertificateTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.root = makeCertificate("Root", ca=True, pathLength=1)

    def test_caDefaults(self) -> None:
        cert = self.root.certificate
        self.assertEqual(cert.version, x509.Version.v3)
        self.assertEqual(cert.subject, cert.issuer)
        bc = extension(cert, x509.BasicConstraints)
        self.assertTrue(bc.critical)
        self.assertEqual((bc.value.ca, bc.value.path_length), (True, 1))
        ku = extension(cert, x509.KeyUsage)
        self.assertTrue(ku.critical)
        self.assertTrue(ku.value.key_cert_sign and ku.value.crl_sign)
        aki = extension(cert, x509.AuthorityKeyIdentifier).value
        ski = extension(cert, x509.SubjectKeyIdentifier).value
        self.assertEqual(aki.key_identifier, ski.digest)
        self.assertTrue(isSignedBy(cert, self.root))

    def test_leafDefaults(self) -> None:
        leaf = makeCertificate("localhost", rsa2048(), self.root, subjectAltNames=["localhost"])
        cert = leaf.certificate
        self.assertEqual(cert.issuer, self.root.certificate.subject)
        self.assertFalse(extension(cert, x509.BasicConstraints).value.ca)
        ku = extension(cert, x509.KeyUsage).value
        self.assertTrue(ku.digital_signature and ku.key_encipherment)
        self.assertFalse(ku.key_cert_sign)
        self.assertFalse(extension(cert, x509.SubjectAlternativeName).critical)
        self.assertRaises(
            x509.ExtensionNotFound, cert.extensions.get_extension_for_class, x509.ExtendedKeyUsage
        )
        self.assertTrue(isSignedBy(cert, self.root))

    def test_opensslReqShape(self) -> None:
        """
        What C{openssl req -x509} makes: basicConstraints, key identifiers,
        no keyUsage.
        """
        cert = makeCertificate("CA", ca=True, omitKeyUsage=True).certificate
        self.assertEqual(
            {type(e.value) for e in cert.extensions},
            {x509.BasicConstraints, x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier},
        )

    def test_bareShape(self) -> None:
        """
        Everything optional can go: the C{_selfsigned.py} shape.
        """
        cert = makeCertificate(
            "localhost",
            subjectAltNames=["localhost"],
            extendedKeyUsage=["serverAuth"],
            basicConstraints=False,
            omitKeyUsage=True,
            subjectKeyIdentifier=False,
            authorityKeyIdentifier=False,
        ).certificate
        self.assertEqual(
            [type(e.value) for e in cert.extensions],
            [x509.ExtendedKeyUsage, x509.SubjectAlternativeName],
        )

    def test_criticality(self) -> None:
        cert = makeCertificate(
            "c",
            issuer=self.root,
            extendedKeyUsage=["clientAuth", "anyExtendedKeyUsage"],
            ekuCritical=True,
            subjectAltNames=["a.example", "127.0.0.1"],
            sanCritical=True,
            keyUsage=["digitalSignature", "keyAgreement"],
            keyUsageCritical=False,
        ).certificate
        eku = extension(cert, x509.ExtendedKeyUsage)
        self.assertTrue(eku.critical)
        self.assertEqual(
            list(eku.value),
            [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE],
        )
        san = extension(cert, x509.SubjectAlternativeName)
        self.assertTrue(san.critical)
        self.assertEqual(san.value.get_values_for_type(x509.DNSName), ["a.example"])
        self.assertEqual(
            [str(a) for a in san.value.get_values_for_type(x509.IPAddress)], ["127.0.0.1"]
        )
        ku = extension(cert, x509.KeyUsage)
        self.assertFalse(ku.critical)
        self.assertTrue(ku.value.key_agreement)

    def test_emptySubjectMakesSANCritical(self) -> None:
        """
        RFC 5280 4.2.1.6: with an empty subject the SAN must be critical.
        """
        cert = makeCertificate(
            x509.Name([]), issuer=self.root, subjectAltNames=["a.example"]
        ).certificate
        self.assertEqual(len(cert.subject), 0)
        self.assertTrue(extension(cert, x509.SubjectAlternativeName).critical)

    def test_nameConstraints(self) -> None:
        cert = makeCertificate(
            "Sub CA",
            issuer=self.root,
            ca=True,
            nameConstraints=nameConstraints(permitted=["example.com", "10.0.0.0/8"]),
        ).certificate
        nc = extension(cert, x509.NameConstraints)
        self.assertTrue(nc.critical)
        assert nc.value.permitted_subtrees is not None
        self.assertEqual(
            [str(n.value) for n in nc.value.permitted_subtrees], ["example.com", "10.0.0.0/8"]
        )
        self.assertIsNone(nc.value.excluded_subtrees)

    def test_validity(self) -> None:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        cert = makeCertificate(
            "old", notBefore=now - timedelta(days=10), notAfter=now - timedelta(days=1)
        ).certificate
        self.assertEqual(cert.not_valid_before_utc, now - timedelta(days=10))
        self.assertEqual(cert.not_valid_after_utc, now - timedelta(days=1))

    def test_keyTypes(self) -> None:
        for key, hashName in [(p384(), "sha256"), (ed25519(), None)]:
            issuer = makeCertificate("CA", key, ca=True)
            leaf = makeCertificate("leaf", issuer=issuer).certificate
            algorithm = leaf.signature_hash_algorithm
            self.assertEqual(algorithm.name if algorithm else None, hashName)
            self.assertTrue(isSignedBy(leaf, issuer))

    def test_corruptSignature(self) -> None:
        good = makeCertificate("x", issuer=self.root)
        bad = makeCertificate("x", issuer=self.root, corruptSignature=True)
        self.assertTrue(isSignedBy(good.certificate, self.root))
        self.assertFalse(isSignedBy(bad.certificate, self.root))

    def test_sha1(self) -> None:
        """
        SHA-1 signatures, which C{CertificateBuilder} no longer makes, name
        the SHA-1 algorithm and verify.
        """
        for key in (rsa2048(), p256()):
            issuer = makeCertificate("CA", key, ca=True)
            cert = makeCertificate(
                "old", issuer=issuer, signatureHash=hashes.SHA1(), subjectAltNames=["a.example"]
            ).certificate
            self.assertIsInstance(cert.signature_hash_algorithm, hashes.SHA1)
            self.assertTrue(isSignedBy(cert, issuer))
            # The DER surgery kept the extensions.
            extension(cert, x509.SubjectAlternativeName)
        self.assertRaises(ValueError, makeCertificate, "x", ed25519(), signatureHash=hashes.SHA1())

    def test_unknownNames(self) -> None:
        self.assertRaises(ValueError, makeCertificate, "x", keyUsage=["keyCertSigning"])
        self.assertRaises(ValueError, makeCertificate, "x", extendedKeyUsage=["webServer"])

    def test_writeTo(self) -> None:
        leaf = makeCertificate("x")
        directory = self.mktemp()
        os.mkdir(directory)
        identity = leaf.writeTo(directory, "x")
        with open(identity.certPath, "rb") as f:
            self.assertEqual(x509.load_pem_x509_certificate(f.read()), leaf.certificate)
        self.assertEqual(os.stat(identity.keyPath).st_mode & 0o777, 0o600)


class MakeV1CertificateTests(SynchronousTestCase):
    def test_v1(self) -> None:
        root = makeV1Certificate("V1 Root", rsa2048())
        leaf = makeV1Certificate(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf")]), issuer=root
        )
        for made, signer in [(root, root), (leaf, root)]:
            self.assertEqual(made.certificate.version, x509.Version.v1)
            self.assertEqual(len(made.certificate.extensions), 0)
            self.assertTrue(isSignedBy(made.certificate, signer))
        self.assertEqual(leaf.certificate.issuer, root.certificate.subject)

    def test_v1SHA1(self) -> None:
        root = makeCertificate("CA", ca=True)
        leaf = makeV1Certificate("old", issuer=root, signatureHash=hashes.SHA1()).certificate
        self.assertEqual(leaf.version, x509.Version.v1)
        self.assertIsInstance(leaf.signature_hash_algorithm, hashes.SHA1)
        self.assertTrue(isSignedBy(leaf, root))
