# -*- test-case-name: tests.tls.test_credentials -*-
"""
Our credentials (signing) and the peer's (signature and chain checks).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.testing.pki import Identity, cachedPKI
from twisted_reneg.tls.credentials import (
    Credential,
    KeyType,
    PeerVerifier,
    nameMatches,
    verifySignature,
)
from twisted_reneg.tls.errors import AlertDescription, PeerError
from twisted_reneg.tls.suites import KeyExchange, SignatureScheme

A = AlertDescription
S = SignatureScheme
NOW = datetime.now(timezone.utc)


def credential(identity: Identity) -> Credential:
    return Credential((identity.certificate,), identity.privateKey)


class CredentialTests(SynchronousTestCase):
    def test_keyTypes(self) -> None:
        pki = cachedPKI()
        self.assertEqual(credential(pki.rsaServer).keyType, KeyType.RSA)
        self.assertEqual(credential(pki.ecdsaServer).keyType, KeyType.ECDSA_P256)
        self.assertEqual(credential(pki.ecdsa384Server).keyType, KeyType.ECDSA_P384)
        self.assertEqual(credential(pki.ed25519Server).keyType, KeyType.ED25519)

    def test_fromFiles(self) -> None:
        identity = cachedPKI().ecdsaServer
        loaded = Credential.fromFiles(identity.certPath, identity.keyPath)
        self.assertEqual(loaded.chain, (identity.certificate,))

    def test_mismatchedKeyRefused(self) -> None:
        pki = cachedPKI()
        self.assertRaises(
            ValueError, Credential, (pki.ecdsaServer.certificate,), pki.ecdsaClient.privateKey
        )
        self.assertRaises(ValueError, Credential, (), pki.ecdsaServer.privateKey)

    def test_reprHidesKey(self) -> None:
        text = repr(credential(cachedPKI().rsaServer))
        self.assertNotIn("PRIVATE", text)
        self.assertIn("rsa", text)

    def test_signAndVerifyEveryScheme(self) -> None:
        pki = cachedPKI()
        for identity in (pki.rsaServer, pki.ecdsaServer, pki.ecdsa384Server, pki.ed25519Server):
            cred = credential(identity)
            for tls13 in (False, True):
                for scheme in cred.signatureSchemes(tls13):
                    signature = cred.sign(scheme, b"signed data")
                    verifySignature(identity.certificate, scheme, signature, b"signed data", tls13)
                    with self.assertRaises(PeerError) as caught:
                        verifySignature(
                            identity.certificate, scheme, signature, b"other data", tls13
                        )
                    self.assertEqual(caught.exception.alert, A.decrypt_error)

    def test_pssSaltIsHashLength(self) -> None:
        identity = cachedPKI().rsaServer
        signature = credential(identity).sign(S.rsa_pss_rsae_sha384, b"data")
        identity.certificate.public_key().verify(  # type: ignore[call-arg]
            signature,
            b"data",
            padding.PSS(padding.MGF1(hashes.SHA384()), 48),  # type: ignore[arg-type]
            hashes.SHA384(),  # type: ignore[arg-type]
        )

    def test_schemeMustFitKey(self) -> None:
        pki = cachedPKI()
        signature = credential(pki.ecdsaServer).sign(S.ecdsa_secp256r1_sha256, b"d")
        with self.assertRaises(PeerError) as caught:
            verifySignature(pki.rsaServer.certificate, S.ecdsa_secp256r1_sha256, signature, b"d")
        self.assertEqual(caught.exception.alert, A.illegal_parameter)
        with self.assertRaises(PeerError) as caught:
            verifySignature(pki.ecdsaServer.certificate, 0x0201, signature, b"d")
        self.assertEqual(caught.exception.alert, A.illegal_parameter)

    def test_tls13TiesCurveToHash(self) -> None:
        pki = cachedPKI()
        cred = credential(pki.ecdsaServer)
        self.assertEqual(cred.signatureSchemes(tls13=True), (S.ecdsa_secp256r1_sha256,))
        signature = pki.ecdsaServer.privateKey.sign(b"d", ec.ECDSA(hashes.SHA384()))
        verifySignature(pki.ecdsaServer.certificate, S.ecdsa_secp384r1_sha384, signature, b"d")
        with self.assertRaises(PeerError):
            verifySignature(
                pki.ecdsaServer.certificate, S.ecdsa_secp384r1_sha384, signature, b"d", tls13=True
            )

    def test_chooseScheme(self) -> None:
        rsa = credential(cachedPKI().rsaServer)
        self.assertEqual(
            rsa.chooseScheme([S.rsa_pkcs1_sha256, S.rsa_pss_rsae_sha384]), S.rsa_pss_rsae_sha384
        )
        self.assertIsNone(rsa.chooseScheme([S.rsa_pkcs1_sha256], tls13=True))
        self.assertIsNone(rsa.chooseScheme([S.ed25519]))

    def test_compatibleWith(self) -> None:
        pki = cachedPKI()
        self.assertTrue(credential(pki.rsaServer).compatibleWith(KeyExchange.ECDHE_RSA))
        self.assertFalse(credential(pki.rsaServer).compatibleWith(KeyExchange.ECDHE_ECDSA))
        self.assertTrue(credential(pki.ed25519Server).compatibleWith(KeyExchange.ECDHE_ECDSA))
        self.assertFalse(credential(pki.ecdsaServer).compatibleWith(KeyExchange.ECDHE_RSA))


class PeerVerifierTests(SynchronousTestCase):
    def verifier(self) -> PeerVerifier:
        return PeerVerifier([cachedPKI().caCertificate])

    def assertRejected(self, call: object, alert: A, words: str) -> None:
        with self.assertRaises(PeerError) as caught:
            call()  # type: ignore[operator]
        self.assertEqual(caught.exception.alert, alert)
        self.assertIn(words, caught.exception.reason)

    def test_goodChainByNameAndAddress(self) -> None:
        pki = cachedPKI()
        for identity in (pki.rsaServer, pki.ecdsaServer, pki.ed25519Server):
            self.verifier().verifyServer([identity.certificate], "localhost", NOW)
            self.verifier().verifyServer([identity.certificate], "127.0.0.1", NOW)

    def test_wrongHost(self) -> None:
        leaf = cachedPKI().ecdsaServer.certificate
        self.assertRejected(
            lambda: self.verifier().verifyServer([leaf], "example.org", NOW),
            A.bad_certificate,
            "not valid for 'example.org'",
        )
        self.assertRejected(
            lambda: self.verifier().verifyServer([leaf], "127.0.0.2", NOW),
            A.bad_certificate,
            "127.0.0.2",
        )

    def test_unknownCA(self) -> None:
        leaf = cachedPKI().untrustedServer.certificate
        self.assertRejected(
            lambda: self.verifier().verifyServer([leaf], "localhost", NOW),
            A.unknown_ca,
            "unknown authority",
        )

    def test_expiredAndNotYetValid(self) -> None:
        pki = cachedPKI()
        self.assertRejected(
            lambda: self.verifier().verifyServer(
                [pki.expiredServer.certificate], "localhost", NOW
            ),
            A.certificate_expired,
            "expired",
        )
        self.assertRejected(
            lambda: self.verifier().verifyServer(
                [pki.ecdsaServer.certificate], "localhost", NOW - timedelta(days=30)
            ),
            A.certificate_expired,
            "not valid before",
        )

    def test_emptyAndLongChains(self) -> None:
        leaf = cachedPKI().ecdsaServer.certificate
        self.assertRejected(
            lambda: self.verifier().verifyServer([], "localhost", NOW),
            A.bad_certificate,
            "no certificate",
        )
        self.assertRejected(
            lambda: PeerVerifier([cachedPKI().caCertificate], maxChainLength=2).verifyServer(
                [leaf] * 3, "localhost", NOW
            ),
            A.bad_certificate,
            "has 3 certificates, more than the 2 we accept",
        )

    def test_clientCertificate(self) -> None:
        pki = cachedPKI()
        self.verifier().verifyClient([pki.ecdsaClient.certificate], NOW)
        self.assertRejected(
            lambda: self.verifier().verifyClient([pki.untrustedClient.certificate], NOW),
            A.unknown_ca,
            "unknown",
        )
        self.assertRejected(
            lambda: self.verifier().verifyClient([pki.ecdsaServer.certificate], NOW),
            # OpenSSL's alert for a certificate of the wrong purpose.
            A.unsupported_certificate,
            "extendedKeyUsage does not allow TLS client authentication (clientAuth)",
        )

    def test_verificationOff(self) -> None:
        PeerVerifier([], verify=False).verifyServer(
            [cachedPKI().untrustedServer.certificate], "x", NOW
        )

    def test_nameMatches(self) -> None:
        leaf = cachedPKI().ecdsaServer.certificate
        self.assertTrue(nameMatches(leaf, "LOCALHOST."))
        self.assertTrue(nameMatches(leaf, "127.0.0.1"))
        self.assertFalse(nameMatches(leaf, "sub.localhost"))
