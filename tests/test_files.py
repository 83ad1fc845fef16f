"""
Certificates, keys and passwords from files and bytes
(L{twisted_reneg._files}), and what options, endpoints and the CLI say when
they are wrong: each message names the file and the mistake.
"""

from __future__ import annotations

import os
import subprocess
import sys

from cryptography.hazmat.primitives import serialization
from twisted.internet import reactor
from twisted.internet.endpoints import clientFromString, serverFromString
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import ClientOptions, ServerOptions
from twisted_reneg._files import (
    CertificateFileError,
    loadCertificates,
    loadPrivateKey,
    readPassword,
)
from twisted_reneg.testing.pki import cachedPKI

PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER


class FileTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.pki = cachedPKI()
        self.directory = self.mktemp()
        os.makedirs(self.directory)

    def write(self, name: str, data: bytes) -> str:
        path = os.path.join(self.directory, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def encryptedKey(self, password: bytes = b"s3cret") -> str:
        key = self.pki.ecdsaServer.privateKey.private_bytes(
            PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        )
        return self.write("encrypted-key.pem", key)

    def assertMistake(self, call: object, *words: str) -> str:
        with self.assertRaises(CertificateFileError) as caught:
            call()  # type: ignore[operator]
        message = str(caught.exception)
        for word in words:
            self.assertIn(word, message)
        return message


class LoadingTests(FileTestCase):
    def test_missingFile(self) -> None:
        path = os.path.join(self.directory, "nope.pem")
        self.assertMistake(lambda: loadCertificates(path), repr(path), "No such file")
        self.assertMistake(lambda: loadPrivateKey(path), "private key file", repr(path))

    def test_swapped(self) -> None:
        identity = self.pki.ecdsaServer
        self.assertMistake(
            lambda: loadCertificates(identity.keyPath),
            repr(identity.keyPath),
            "holds a private key, not a certificate",
            "swapped",
        )
        self.assertMistake(
            lambda: loadPrivateKey(identity.certPath),
            repr(identity.certPath),
            "holds a certificate, not a private key",
        )

    def test_derAccepted(self) -> None:
        identity = self.pki.ecdsaServer
        certificate = self.write("cert.der", identity.certificate.public_bytes(DER))
        key = self.write(
            "key.der",
            identity.privateKey.private_bytes(
                DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        self.assertEqual(loadCertificates(certificate), [identity.certificate])
        self.assertEqual(
            loadPrivateKey(key).private_numbers(), identity.privateKey.private_numbers()
        )
        self.assertMistake(lambda: loadPrivateKey(certificate), "holds a certificate")

    def test_neitherPEMNorDER(self) -> None:
        path = self.write("junk.pem", b"hello, I am not a certificate\n")
        self.assertMistake(lambda: loadCertificates(path), repr(path), "neither PEM nor DER")
        empty = self.write("empty.pem", b"")
        self.assertMistake(lambda: loadCertificates(empty), "is empty")

    def test_combinedFile(self) -> None:
        """
        One file with the key and the chain, as Twisted's C{ssl:} endpoints
        take it.
        """
        identity = self.pki.ecdsaServer
        with open(identity.certPath, "rb") as c, open(identity.keyPath, "rb") as k:
            both = self.write("both.pem", c.read() + k.read())
        self.assertEqual(loadCertificates(both), [identity.certificate])
        loadPrivateKey(both)

    def test_encryptedKey(self) -> None:
        path = self.encryptedKey()
        self.assertMistake(lambda: loadPrivateKey(path), repr(path), "is encrypted", "keyPassword")
        self.assertMistake(
            lambda: loadPrivateKey(path, "wrong"), repr(path), "password does not decrypt it"
        )
        self.assertEqual(
            loadPrivateKey(path, "s3cret").private_numbers(),
            self.pki.ecdsaServer.privateKey.private_numbers(),
        )

    def test_passwordForPlainKeyIgnored(self) -> None:
        loadPrivateKey(self.pki.ecdsaServer.keyPath, b"unneeded")

    def test_passwordForms(self) -> None:
        self.assertEqual(readPassword("pass:abc"), b"abc")
        self.patch(os, "environ", {**os.environ, "TEST_KEY_PASSWORD": "fromenv"})
        self.assertEqual(readPassword("env:TEST_KEY_PASSWORD"), b"fromenv")
        path = self.write("password.txt", b"fromfile\nsecond line\n")
        self.assertEqual(readPassword(f"file:{path}"), b"fromfile")
        self.assertMistake(
            lambda: readPassword("s3cret"), "pass:PASSWORD, env:VARIABLE or file:PATH"
        )
        self.assertMistake(lambda: readPassword("env:NOT_SET_ANYWHERE_X"), "'NOT_SET_ANYWHERE_X'")


class OptionsTests(FileTestCase):
    def test_pemBytesEverywhere(self) -> None:
        """
        PEM bytes are accepted wherever a certificate is, as for keys.
        """
        identity = self.pki.ecdsaServer
        with open(identity.certPath, "rb") as c, open(identity.keyPath, "rb") as k:
            certPEM, keyPEM = c.read(), k.read()
        caPEM = self.pki.caCertificate.public_bytes(PEM)
        options = ServerOptions(certPEM, keyPEM, trustRoots=caPEM)
        self.assertEqual(options.tlsConfig().credential.chain, (identity.certificate,))  # type: ignore[union-attr]
        self.assertEqual(options.tlsConfig().verifier.trustRoots, [self.pki.caCertificate])  # type: ignore[union-attr]
        client = self.pki.ecdsaClient
        with open(client.certPath, "rb") as c, open(client.keyPath, "rb") as k:
            ClientOptions("localhost", trustRoots=[caPEM], clientCertificate=(c.read(), k.read()))

    def test_fromPEMNamesTheFile(self) -> None:
        identity = self.pki.ecdsaServer
        self.assertMistake(
            lambda: ServerOptions.fromPEM(identity.keyPath, identity.certPath),
            repr(identity.keyPath),
            "swapped",
        )

    def test_keyOfAnotherCertificate(self) -> None:
        message = self.assertMistake(
            lambda: ServerOptions.fromPEM(
                self.pki.ecdsaServer.certPath, self.pki.rsaServer.keyPath
            ),
            "does not belong to the certificate",
            repr(self.pki.rsaServer.keyPath),
        )
        self.assertIn("CN=localhost", message)

    def test_encryptedKeyWithPassword(self) -> None:
        path = self.encryptedKey()
        ServerOptions.fromPEM(self.pki.ecdsaServer.certPath, path, keyPassword="s3cret")
        self.assertMistake(
            lambda: ServerOptions.fromPEM(self.pki.ecdsaServer.certPath, path), "is encrypted"
        )

    def test_invalidChoicesListTheValidOnes(self) -> None:
        identity = self.pki.ecdsaServer
        with self.assertRaises(ValueError) as caught:
            ServerOptions.fromPEM(identity.certPath, identity.keyPath, clientCertificates="yes")
        self.assertEqual(
            str(caught.exception),
            "clientCertificates must be one of 'none', 'request', 'require', 'advisory', "
            "not 'yes'",
        )

    def test_unknownSuiteOrGroupListsTheValidOnes(self) -> None:
        identity = self.pki.ecdsaServer
        with self.assertRaises(ValueError) as caught:
            ServerOptions.fromPEM(identity.certPath, identity.keyPath, cipherSuites=["AES256"])
        self.assertIn("'AES256'; valid: TLS_AES_128_GCM_SHA256,", str(caught.exception))
        self.assertIn("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", str(caught.exception))
        with self.assertRaises(ValueError) as caught:
            ServerOptions.fromPEM(identity.certPath, identity.keyPath, groups=["curve25519"])
        self.assertIn("'curve25519'; valid: secp256r1, secp384r1, x25519", str(caught.exception))


class EndpointTests(FileTestCase):
    def test_serverKeyPassword(self) -> None:
        path = self.encryptedKey()
        cert = self.pki.ecdsaServer.certPath
        self.patch(os, "environ", {**os.environ, "ENDPOINT_KEY_PASSWORD": "s3cret"})
        serverFromString(
            reactor,
            f"reneg:0:privateKey={path}:certKey={cert}:keyPassword=env\\:ENDPOINT_KEY_PASSWORD",
        )
        with self.assertRaises(CertificateFileError) as caught:
            serverFromString(reactor, f"reneg:0:privateKey={path}:certKey={cert}")
        self.assertIn("is encrypted", str(caught.exception))

    def test_clientKeyPassword(self) -> None:
        client = self.pki.ecdsaClient
        key = client.privateKey.private_bytes(
            PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
        )
        path = self.write("client-key.pem", key)
        clientFromString(
            reactor,
            f"reneg:host=localhost:port=1:trustRoots={self.pki.caPath}:"
            f"certificate={client.certPath}:privateKey={path}:keyPassword=pass\\:pw",
        )


class CLITests(FileTestCase):
    def test_keyPasswordMistakesAreOneLine(self) -> None:
        path = self.encryptedKey()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "twisted_reneg",
                "client",
                "127.0.0.1",
                "1",
                "--cert",
                self.pki.ecdsaServer.certPath,
                "--key",
                path,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn("is encrypted", lines[0])
        self.assertIn("--key-password", lines[0])
