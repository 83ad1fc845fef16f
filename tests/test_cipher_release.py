# -*- test-case-name: tests.test_cipher_release -*-
"""
The cipher contexts of a connection (some 2.4 KiB of OpenSSL state per
direction) are kept while records flow and dropped once it has been idle
for a period or two: idle connections stay small, and busy ones do not
remake a context for every batch of records.
"""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg._lifecycle import Phase
from twisted_reneg.transport import DEFAULT_CIPHER_IDLE_TIME, TLSProtocol

from ._connected import Connected, clientOptions, serverOptions

VERSIONS = ("1.2", "1.3")


def ciphers(transport: TLSProtocol) -> tuple[Any, Any]:
    """
    The AEAD objects of the reading and the writing direction, C{None}
    where released.
    """
    tls = transport._tls
    assert tls is not None
    reader, writer = tls._reader._protection, tls._writer._protection
    assert reader is not None and writer is not None
    return reader._aeadObject, writer._aeadObject


def pair(version: str) -> Connected:
    c = Connected(server=serverOptions(maxVersion=version), client=clientOptions())
    c.flush()
    return c


class CipherReleaseTests(SynchronousTestCase):
    def test_idleConnectionDropsCiphers(self) -> None:
        """
        Two periods without records: no cipher context on either side,
        and no timer left (an idle connection costs the reactor nothing).
        """
        for version in VERSIONS:
            c = pair(version)
            c.client.write(b"hello")
            c.flush()
            c.clock.advance(DEFAULT_CIPHER_IDLE_TIME)
            c.clock.advance(DEFAULT_CIPHER_IDLE_TIME)
            for side in (c.client, c.server):
                self.assertEqual(ciphers(side), (None, None), version)
            self.assertEqual(c.clock.getDelayedCalls(), [], version)
            # The next records make new ones and still get through.
            c.server.write(b"still here")
            c.flush()
            self.assertEqual(c.clientApp.data, b"still here", version)  # type: ignore[attr-defined]
            self.assertEqual(len(c.clock.getDelayedCalls()), 2, version)  # watching again

    def test_busyConnectionKeepsCiphers(self) -> None:
        """
        Records in every period: the same context serves them all.
        """
        for version in VERSIONS:
            c = pair(version)
            c.client.write(b"first")
            c.flush()
            kept = ciphers(c.server)[0]
            self.assertIsNotNone(kept, version)
            for n in range(5):
                c.client.write(b"%d" % n)
                c.flush()
                c.clock.advance(DEFAULT_CIPHER_IDLE_TIME)
                self.assertIs(ciphers(c.server)[0], kept, version)
            self.assertEqual(c.serverApp.data, b"first01234", version)  # type: ignore[attr-defined]

    def test_closeLeavesNoTimer(self) -> None:
        """
        A closed connection leaves no timer behind (trial's clean-reactor
        check would flag it in users' tests).
        """
        for version in VERSIONS:
            c = pair(version)
            c.client.write(b"bye")
            c.flush()
            self.assertNotEqual(c.clock.getDelayedCalls(), [], version)
            c.client.loseConnection()
            c.flush()
            self.assertTrue(
                c.client._phase is Phase.LOST and c.server._phase is Phase.LOST, version
            )
            self.assertEqual(c.clock.getDelayedCalls(), [], version)
