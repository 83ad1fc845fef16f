# -*- test-case-name: tests.tls.test_keyschedule -*-
"""
Known answers for the TLS 1.2 key schedule.

The PRF vectors are the ones published on the IETF TLS list for TLS 1.2
(SHA-256 and SHA-384, label "test label").  The master secret, extended
master secret, key block and verify_data answers were produced
independently with the OpenSSL command line, e.g.::

    openssl kdf -keylen 48 -kdfopt digest:SHA256 -kdfopt hexsecret:<pms> \\
        -kdfopt hexseed:<hex("extended master secret")><session hash> TLS1-PRF
"""

from __future__ import annotations

import hashlib
import hmac

from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.keyschedule import (
    Transcript,
    _hmac,
    _hmacFrom,
    _hmacStates,
    deriveTrafficKeys12,
    extendedMasterSecret12,
    masterSecret12,
    prf12,
    verifyData12,
)

PMS = bytes(range(1, 49))
CLIENT_RANDOM = bytes(range(32))
SERVER_RANDOM = bytes(range(32, 64))
SESSION_HASH = hashlib.sha256(b"session hash").digest()
MASTER_SHA256 = bytes.fromhex(
    "1558F81526261CCDD21B5A75EAA62DFFD6D35B2D08025E2CD4553282093C0CB5"
    "FBC0FD0599D257A4804A4322E0CCC6FB"
)


class HMACTests(SynchronousTestCase):
    """
    The key schedule's own HMAC gives the standard library's bytes for
    keys shorter than, as long as and longer than the hash's block (which
    RFC 2104 hashes first), one-shot and from keyed states.
    """

    def test_matchesStandardLibrary(self) -> None:
        message = b"an HKDF label and context\x01"
        for hashName, block in (("sha256", 64), ("sha384", 128)):
            for length in (0, 1, 32, 48, block - 1, block, block + 1, 3 * block):
                key = bytes(i % 251 for i in range(length))
                expected = hmac.digest(key, message, hashName)
                self.assertEqual(_hmac(hashName, key, message), expected, (hashName, length))
                inner, outer = _hmacStates(hashName, key)
                self.assertEqual(_hmacFrom(inner, outer, message), expected, (hashName, length))
                # The states are copied, never consumed.
                self.assertEqual(_hmacFrom(inner, outer, message), expected, (hashName, length))


class PRFTests(SynchronousTestCase):
    def test_sha256(self) -> None:
        out = prf12(
            "sha256",
            bytes.fromhex("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            bytes.fromhex("a0ba9f936cda311827a6f796ffd5198c"),
            100,
        )
        self.assertEqual(
            out.hex(),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
            "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
            "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
            "87347b66",
        )

    def test_sha384(self) -> None:
        out = prf12(
            "sha384",
            bytes.fromhex("b80b733d6ceefcdc71566ea48e5567df"),
            b"test label",
            bytes.fromhex("cd665cf6a8447dd6ff8b27555edb7465"),
            148,
        )
        self.assertEqual(
            out.hex(),
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd"
            "e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd"
            "8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425"
            "9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6"
            "91c8f3a26854308d5eaa3be85e0990703d73e56f",
        )

    def test_lengthIsExact(self) -> None:
        """
        Output is cut to any length, and a shorter output is a prefix.
        """
        long = prf12("sha256", b"k", b"l", b"s", 77)
        self.assertEqual(len(long), 77)
        self.assertEqual(prf12("sha256", b"k", b"l", b"s", 5), long[:5])

    def test_unknownHash(self) -> None:
        self.assertRaises(ValueError, prf12, "md5", b"k", b"l", b"s", 5)


class MasterSecretTests(SynchronousTestCase):
    def test_masterSecretSha256(self) -> None:
        self.assertEqual(
            masterSecret12("sha256", PMS, CLIENT_RANDOM, SERVER_RANDOM), MASTER_SHA256
        )

    def test_masterSecretSha384(self) -> None:
        self.assertEqual(
            masterSecret12("sha384", PMS, CLIENT_RANDOM, SERVER_RANDOM).hex().upper(),
            "39E12E7924DDA99905DD1FA8A1D5BCEF6C29283C19DADD57548DB50950AA0ABB"
            "1975F805B796B3518D708C5EFDE4A414",
        )

    def test_extendedMasterSecret(self) -> None:
        """
        RFC 7627: the label is "extended master secret" and the seed is the
        session hash alone.
        """
        self.assertEqual(
            extendedMasterSecret12("sha256", PMS, SESSION_HASH).hex().upper(),
            "6A2DFB14ADB48F6AE978B2780CA365B7927179EF8BA4E68FB51A108C2F2E818F"
            "0646F393D74A64DFA3CCBB24CF30811C",
        )


class KeyBlockTests(SynchronousTestCase):
    def test_aesGcmSplit(self) -> None:
        """
        AES-128-GCM: client key, server key, client salt, server salt, in
        that order, from a key block seeded server random first.
        """
        keys = deriveTrafficKeys12("sha256", MASTER_SHA256, CLIENT_RANDOM, SERVER_RANDOM, 16, 4)
        block = bytes.fromhex(
            "640E8C5CE6178C5E8553B7D8BB0305504C5908F5F7F22200688D36658911D99E0899D22EA494B4BB"
        )
        self.assertEqual(keys.clientWriteKey, block[:16])
        self.assertEqual(keys.serverWriteKey, block[16:32])
        self.assertEqual(keys.clientWriteIv, block[32:36])
        self.assertEqual(keys.serverWriteIv, block[36:40])

    def test_reprHidesKeys(self) -> None:
        keys = deriveTrafficKeys12("sha256", MASTER_SHA256, CLIENT_RANDOM, SERVER_RANDOM, 16, 4)
        self.assertNotIn(keys.clientWriteKey.hex(), repr(keys))
        self.assertNotIn(repr(keys.clientWriteKey), repr(keys))


class VerifyDataTests(SynchronousTestCase):
    def test_clientFinished(self) -> None:
        self.assertEqual(
            verifyData12("sha256", MASTER_SHA256, True, SESSION_HASH).hex().upper(),
            "D346AA04EE4AFF886591F09F",
        )

    def test_sidesDiffer(self) -> None:
        self.assertNotEqual(
            verifyData12("sha256", MASTER_SHA256, True, SESSION_HASH),
            verifyData12("sha256", MASTER_SHA256, False, SESSION_HASH),
        )


class TranscriptTests(SynchronousTestCase):
    def test_buffersUntilHashChosen(self) -> None:
        t = Transcript()
        t.update(b"client hello")
        self.assertRaises(ValueError, t.digest)
        t.chooseHash("sha384")
        t.update(b"server hello")
        self.assertEqual(t.digest(), hashlib.sha384(b"client helloserver hello").digest())
        self.assertRaises(ValueError, t.chooseHash, "sha256")

    def test_digestIsNotDestructive(self) -> None:
        t = Transcript()
        t.chooseHash("sha256")
        t.update(b"a")
        first = t.digest()
        self.assertEqual(t.digest(), first)
        t.update(b"b")
        self.assertEqual(t.digest(), hashlib.sha256(b"ab").digest())
        self.assertEqual(t.messages(), b"ab")
