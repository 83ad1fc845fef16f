# -*- test-case-name: tests.test_keyexchange -*-
"""
Ephemeral ECDH and the refusal of invalid peer public values.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.errors import AlertDescription, PeerError
from twisted_reneg.tls.keyexchange import KeyShare
from twisted_reneg.tls.suites import NamedGroup

LENGTHS = {
    NamedGroup.x25519: 32,
    NamedGroup.x448: 56,
    NamedGroup.secp256r1: 65,
    NamedGroup.secp384r1: 97,
}


class AgreementTests(SynchronousTestCase):
    def test_bothSidesAgree(self) -> None:
        for group in NamedGroup:
            a, b = KeyShare.generate(group), KeyShare.generate(group)
            self.assertEqual(len(a.publicBytes()), LENGTHS[group])
            secret = a.exchange(b.publicBytes())
            self.assertEqual(secret, b.exchange(a.publicBytes()))
            self.assertTrue(any(secret))

    def test_reprHasNoKey(self) -> None:
        self.assertEqual(repr(KeyShare.generate(NamedGroup.x25519)), "<KeyShare x25519>")


class InvalidPeerValueTests(SynchronousTestCase):
    def assertIllegal(self, group: NamedGroup, value: bytes) -> None:
        with self.assertRaises(PeerError) as caught:
            KeyShare.generate(group).exchange(value)
        self.assertEqual(caught.exception.alert, AlertDescription.illegal_parameter)

    def test_wrongLength(self) -> None:
        for group, length in LENGTHS.items():
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
