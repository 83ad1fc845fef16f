"""
The default trust store is found where OpenSSL finds it
(L{twisted_reneg.tls.truststore}).
"""

from __future__ import annotations

import os
import warnings

from cryptography.hazmat.primitives import serialization
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.truststore import defaultVerifyLocations, findTrustRoots


def _pem(certificate: object) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)  # type: ignore[attr-defined, no-any-return]


class TrustStoreTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.directory = self.mktemp()
        os.makedirs(self.directory)
        self.pki = cachedPKI()

    def write(self, name: str, data: bytes) -> str:
        path = os.path.join(self.directory, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_certFileFromEnvironment(self) -> None:
        """
        C{SSL_CERT_FILE} replaces the default bundle, as for OpenSSL.
        """
        bundle = self.write("bundle.pem", _pem(self.pki.caCertificate))
        roots = findTrustRoots({"SSL_CERT_FILE": bundle, "SSL_CERT_DIR": self.directory + "/none"})
        self.assertEqual(roots, [self.pki.caCertificate])

    def test_hashedDirectory(self) -> None:
        """
        C{SSL_CERT_DIR} directories (several, separated as in C{PATH}) are
        read for C{c_rehash} names only: CRLs and other files are not
        certificates OpenSSL would use.
        """
        other = self.mktemp()
        os.makedirs(other)
        self.write("5ed36f99.0", _pem(self.pki.caCertificate))
        self.write("notes.pem", _pem(self.pki.rsaServer.certificate))
        self.write("5ed36f99.r0", b"not a certificate")
        with open(os.path.join(other, "0a1b2c3d.1"), "wb") as f:
            f.write(_pem(self.pki.ecdsaServer.certificate))
        environ = {
            "SSL_CERT_FILE": self.directory + "/missing.pem",
            "SSL_CERT_DIR": os.pathsep.join([self.directory, other]),
        }
        roots = findTrustRoots(environ)
        self.assertEqual(
            sorted(r.subject.rfc4514_string() for r in roots),
            sorted(
                c.subject.rfc4514_string()
                for c in (self.pki.caCertificate, self.pki.ecdsaServer.certificate)
            ),
        )

    def test_fileAndDirectoryTogetherWithoutDuplicates(self) -> None:
        bundle = self.write("bundle.pem", _pem(self.pki.caCertificate))
        self.write("5ed36f99.0", _pem(self.pki.caCertificate))
        roots = findTrustRoots({"SSL_CERT_FILE": bundle, "SSL_CERT_DIR": self.directory})
        self.assertEqual(roots, [self.pki.caCertificate])

    def test_defaultsAreOpenSSLs(self) -> None:
        """
        Without the environment variables, the file and directory are
        OpenSSL's compiled-in ones.
        """
        import ssl

        paths = ssl.get_default_verify_paths()
        self.assertEqual(
            defaultVerifyLocations({}), (paths.openssl_cafile, [paths.openssl_capath])
        )

    def test_systemBundleLoadsWithoutWarnings(self) -> None:
        """
        Some system roots have non-positive serial numbers, for which
        C{cryptography} warns; loading the system store stays silent.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            roots = findTrustRoots({})
        if not roots:
            raise self.skipTest("no system CA bundle on this machine")
        self.assertGreater(len(roots), 10)
