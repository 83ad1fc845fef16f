# -*- test-case-name: tests.tls.test_keyexchange -*-
"""
Ephemeral ECDH and the refusal of invalid peer public values.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.errors import AlertDescription, PeerError
from twisted_reneg.tls.keyexchange import KeyShare, respond
from twisted_reneg.tls.suites import NamedGroup

#: What the initiator sends (for the hybrid: encapsulation key and X25519).
LENGTHS = {
    NamedGroup.X25519MLKEM768: 1184 + 32,
    NamedGroup.x25519: 32,
    NamedGroup.x448: 56,
    NamedGroup.secp256r1: 65,
    NamedGroup.secp384r1: 97,
}

#: What the responder answers: the same, except the hybrid's ciphertext.
RESPONSE_LENGTHS = {**LENGTHS, NamedGroup.X25519MLKEM768: 1088 + 32}


class AgreementTests(SynchronousTestCase):
    def test_bothSidesAgree(self) -> None:
        for group in NamedGroup:
            initiator = KeyShare.generate(group)
            self.assertEqual(len(initiator.publicBytes()), LENGTHS[group])
            answer, secret = respond(group, initiator.publicBytes())
            self.assertEqual(len(answer), RESPONSE_LENGTHS[group])
            self.assertEqual(initiator.exchange(answer), secret)
            self.assertTrue(any(secret))

    def test_hybridLayout(self) -> None:
        """
        draft-ietf-tls-ecdhe-mlkem: the client share is the encapsulation
        key then the X25519 share, the answer the ciphertext then the X25519
        share, the secret the ML-KEM secret then the X25519 secret.
        """
        classical = x25519.X25519PrivateKey.generate()
        kem = mlkem.MLKEM768PrivateKey.generate()
        initiator = KeyShare(NamedGroup.X25519MLKEM768, classical, kem)
        public = initiator.publicBytes()
        self.assertEqual(public[:1184], kem.public_key().public_bytes_raw())
        self.assertEqual(public[1184:], classical.public_key().public_bytes_raw())
        answer, secret = respond(NamedGroup.X25519MLKEM768, public)
        self.assertEqual(secret[:32], kem.decapsulate(answer[:1088]))
        peer = x25519.X25519PublicKey.from_public_bytes(answer[1088:])
        self.assertEqual(secret[32:], classical.exchange(peer))

    def test_hybridBadEncapsulationKey(self) -> None:
        """
        FIPS 203's modulus check: coefficients of 0xfff are out of range.
        """
        share = b"\xff" * 1184 + KeyShare.generate(NamedGroup.x25519).publicBytes()
        with self.assertRaises(PeerError) as caught:
            respond(NamedGroup.X25519MLKEM768, share)
        self.assertEqual(caught.exception.alert, AlertDescription.illegal_parameter)

    def test_hybridLowOrderX25519(self) -> None:
        share = KeyShare.generate(NamedGroup.X25519MLKEM768).publicBytes()[:1184] + bytes(32)
        with self.assertRaises(PeerError):
            respond(NamedGroup.X25519MLKEM768, share)

    def test_respondWrongLength(self) -> None:
        for group, length in LENGTHS.items():
            for wrong in (length - 1, length + 1):
                with self.assertRaises(PeerError):
                    respond(group, bytes(wrong))

    def test_reprHasNoKey(self) -> None:
        self.assertEqual(repr(KeyShare.generate(NamedGroup.x25519)), "<KeyShare x25519>")


class InvalidPeerValueTests(SynchronousTestCase):
    def assertIllegal(self, group: NamedGroup, value: bytes) -> None:
        with self.assertRaises(PeerError) as caught:
            KeyShare.generate(group).exchange(value)
        self.assertEqual(caught.exception.alert, AlertDescription.illegal_parameter)

    def test_wrongLength(self) -> None:
        for group, length in RESPONSE_LENGTHS.items():
            self.assertIllegal(group, bytes(length - 1))
            self.assertIllegal(group, bytes(length + 1))

    def test_lowOrderMontgomery(self) -> None:
        self.assertIllegal(NamedGroup.x25519, bytes(32))
        self.assertIllegal(NamedGroup.x448, bytes(56))

    def test_compressedPoint(self) -> None:
        point = KeyShare.generate(NamedGroup.secp256r1).publicBytes()
        compressed = bytes((2 + (point[-1] & 1),)) + point[1:33]
        self.assertIllegal(NamedGroup.secp256r1, compressed)

    def test_notOnCurve(self) -> None:
        point = bytearray(KeyShare.generate(NamedGroup.secp384r1).publicBytes())
        point[-1] ^= 1
        self.assertIllegal(NamedGroup.secp384r1, bytes(point))


class PropertyTests(SynchronousTestCase):
    @settings(max_examples=200, deadline=None)
    @given(st.sampled_from(list(NamedGroup)), st.binary(max_size=100))
    def test_randomBytesOnlyPeerError(self, group: NamedGroup, data: bytes) -> None:
        try:
            KeyShare.generate(group).exchange(data)
        except PeerError:
            pass

    @settings(max_examples=100, deadline=None)
    @given(st.sampled_from(list(NamedGroup)), st.data())
    def test_randomValuesOfTheRightLengthOnlyPeerError(
        self, group: NamedGroup, data: st.DataObject
    ) -> None:
        """
        Random public values of exactly the length each side expects (for
        the hybrid: an encapsulation key or a ciphertext beside an X25519
        share), to the responder and to the initiator: a result or
        PeerError, nothing else.
        """
        for length, use in (
            (LENGTHS[group], lambda value: respond(group, value)),
            (RESPONSE_LENGTHS[group], KeyShare.generate(group).exchange),
        ):
            value = data.draw(st.binary(min_size=length, max_size=length))
            try:
                use(value)
            except PeerError:
                pass
