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

from .._rfc8448 import (
    SIMPLE_C_AP as C_AP,
)
from .._rfc8448 import (
    SIMPLE_C_HS as C_HS,
)
from .._rfc8448 import (
    SIMPLE_CLIENT_PRIVATE as CLIENT_PRIVATE,
)
from .._rfc8448 import (
    SIMPLE_EARLY as EARLY,
)
from .._rfc8448 import (
    SIMPLE_HANDSHAKE as HANDSHAKE,
)
from .._rfc8448 import (
    SIMPLE_MASTER as MASTER,
)
from .._rfc8448 import (
    SIMPLE_S_AP as S_AP,
)
from .._rfc8448 import (
    SIMPLE_S_HS as S_HS,
)
from .._rfc8448 import (
    SIMPLE_SERVER_PRIVATE as SERVER_PRIVATE,
)
from .._rfc8448 import (
    SIMPLE_SHARED as SHARED,
)
from .._rfc8448 import (
    SIMPLE_TH_CH_SF as TH_CH_SF,
)
from .._rfc8448 import (
    SIMPLE_TH_CH_SH as TH_CH_SH,
)

H = bytes.fromhex


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
