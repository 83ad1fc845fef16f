# -*- test-case-name: tests.tls.test_keyschedule13 -*-
"""
The TLS 1.3 key schedule against RFC 8448 section 3, "Simple 1-RTT
Handshake": from the x25519 private keys printed there to the secrets,
traffic keys and the client Finished, byte for byte.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import x25519
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.keyschedule import (
    EarlySecret13,
    deriveSecret,
    finishedVerifyData13,
    hkdfExpandLabel,
    hkdfExtract,
    nextTrafficSecret13,
    trafficKeys13,
)

H = bytes.fromhex
CLIENT_PRIVATE = H("49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005")
SERVER_PRIVATE = H("b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e")
SHARED = H("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d")
TH_CH_SH = H("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8")
TH_CH_SF = H("9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13")
EARLY = H("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a")
HANDSHAKE = H("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac")
C_HS = H("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21")
S_HS = H("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
MASTER = H("18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919")
C_AP = H("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5")
S_AP = H("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643")


class SimpleOneRTTTests(SynchronousTestCase):
    def test_sharedSecretFromPrivateKeys(self) -> None:
        client = x25519.X25519PrivateKey.from_private_bytes(CLIENT_PRIVATE)
        server = x25519.X25519PrivateKey.from_private_bytes(SERVER_PRIVATE)
        self.assertEqual(client.exchange(server.public_key()), SHARED)

    def test_earlyAndDerived(self) -> None:
        self.assertEqual(hkdfExtract("sha256", b"", b""), EARLY)
        empty = H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        self.assertEqual(
            deriveSecret("sha256", EARLY, b"derived", empty).hex(),
            "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba",
        )

    def test_stages(self) -> None:
        handshake = EarlySecret13("sha256").intoHandshake(SHARED)
        self.assertEqual(handshake._secret, HANDSHAKE)  # noqa: SLF001
        secrets = handshake.trafficSecrets(TH_CH_SH)
        self.assertEqual((secrets.client, secrets.server), (C_HS, S_HS))
        master = handshake.intoMaster()
        self.assertEqual(master._secret, MASTER)  # noqa: SLF001
        application = master.trafficSecrets(TH_CH_SF)
        self.assertEqual((application.client, application.server), (C_AP, S_AP))
        self.assertNotIn(C_AP.hex(), repr(application))

    def test_trafficKeys(self) -> None:
        self.assertEqual(
            trafficKeys13("sha256", S_HS, 16),
            (H("3fce516009c21727d0f2e4e86ee403bc"), H("5d313eb2671276ee13000b30")),
        )
        self.assertEqual(
            trafficKeys13("sha256", C_HS, 16),
            (H("dbfaa693d1762c5b666af5d950258d01"), H("5bd3c71b836e0b76bb73265f")),
        )
        self.assertEqual(
            trafficKeys13("sha256", S_AP, 16)[0], H("9f02283b6c9c07efc26bb9f2ac92e356")
        )

    def test_finished(self) -> None:
        self.assertEqual(
            hkdfExpandLabel("sha256", S_HS, b"finished", b"", 32).hex(),
            "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8",
        )
        # The client Finished message of the trace: 14 000020 || verify_data.
        self.assertEqual(
            finishedVerifyData13("sha256", C_HS, TH_CH_SF).hex(),
            "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61",
        )

    def test_keyUpdateChangesTheSecret(self) -> None:
        updated = nextTrafficSecret13("sha256", C_AP)
        self.assertNotEqual(updated, C_AP)
        self.assertEqual(len(updated), 32)
        self.assertEqual(updated, hkdfExpandLabel("sha256", C_AP, b"traffic upd", b"", 32))
