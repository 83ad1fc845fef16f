"""
Once a handshake is over, an established connection keeps only what it
still needs: no handshake object, transcript, key share or ephemeral
private key, and no buffered bytes.  Idle connections are what a busy
server holds by the thousand, so what each one keeps matters.
"""

from __future__ import annotations

import gc
import types
import weakref

from cryptography.hazmat.primitives.asymmetric import ec, x448, x25519
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.config import TLS12, TLS13
from twisted_reneg.tls.connection import TLSConnection
from twisted_reneg.tls.handshake12 import Handshake12
from twisted_reneg.tls.handshake13 import Handshake13
from twisted_reneg.tls.keyexchange import KeyShare
from twisted_reneg.tls.keyschedule import (
    EarlySecret13,
    HandshakeSecret13,
    MasterSecret13,
    Transcript,
)
from twisted_reneg.tls.state12 import HandshakeState12
from twisted_reneg.tls.state13 import HandshakeState13

from ..enginepair import EnginePair, clientConfig, serverConfig

#: What only a running handshake needs.
_HANDSHAKE_ONLY: tuple[type, ...] = (
    Handshake12,
    Handshake13,
    HandshakeState12,
    HandshakeState13,
    Transcript,
    KeyShare,
    EarlySecret13,
    HandshakeSecret13,
    MasterSecret13,
    x25519.X25519PrivateKey,
    x448.X448PrivateKey,
    ec.EllipticCurvePrivateKey,
)


def reachable(connection: TLSConnection) -> list[object]:
    """
    Everything the connection refers to, directly or not, leaving out its
    configuration (shared by all connections, and holding the long-term
    key) and code objects.
    """
    seen = {id(connection.config)}
    found: list[object] = []
    todo: list[object] = [connection]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(
            obj, (type, types.ModuleType, types.FunctionType, types.CodeType)
        ):
            continue
        seen.add(id(obj))
        found.append(obj)
        todo.extend(gc.get_referents(obj))
    return found


class IdleStateTests(SynchronousTestCase):
    def assertHandshakeStateReleased(self, version: int) -> None:
        pair = EnginePair(clientConfig(maxVersion=version), serverConfig(maxVersion=version))
        pair.handshake()
        for side in (pair.client, pair.server):
            connection = side.connection
            self.assertIsNotNone(connection.session)
            self.assertFalse(connection.handshakeInProgress)
            left = [o for o in reachable(connection) if isinstance(o, _HANDSHAKE_ONLY)]
            self.assertEqual(left, [], f"client={connection.isClient}")
            self.assertFalse(connection._reader.hasBufferedData())
            self.assertFalse(connection._handshakeIn.hasPartial())
            self.assertFalse(connection.hasDataToSend())
            # The cipher contexts (kilobytes in OpenSSL) go once a whole
            # period passed without records: the transport calls this each
            # cipherIdleTime (a TLSFactory setting) while it keeps any.
            self.assertFalse(connection.releaseIdleCiphers())
            self.assertTrue(connection.releaseIdleCiphers())
            for direction in (connection._reader, connection._writer):
                self.assertIsNone(direction._protection._aeadObject)

    def test_tls12(self) -> None:
        """
        TLS 1.2: the handshake's objects, transcript and ECDHE key are gone
        once it completes, on both sides.
        """
        self.assertHandshakeStateReleased(TLS12)

    def test_tls13(self) -> None:
        """
        TLS 1.3: likewise, key schedule stages and key shares included.
        """
        self.assertHandshakeStateReleased(TLS13)

    def test_busyDirectionKeepsItsCipher(self) -> None:
        """
        A direction that carried a record since the previous
        C{releaseIdleCiphers} keeps its cipher context (remaking it for
        every batch of records is costly); an idle one loses it, and a
        record after that makes a new one.
        """
        pair = EnginePair(clientConfig(maxVersion=TLS13), serverConfig(maxVersion=TLS13))
        pair.handshake()
        server = pair.server.connection
        server.releaseIdleCiphers()
        server.releaseIdleCiphers()
        pair.client.connection.sendApplicationData(b"ping")
        pair.pump()
        self.assertEqual(pair.server.received(), b"ping")
        reader = server._reader._protection
        writer = server._writer._protection
        assert reader is not None and writer is not None
        busy = reader._aeadObject
        self.assertIsNotNone(busy)
        self.assertFalse(server.releaseIdleCiphers())  # the record came
        self.assertIs(reader._aeadObject, busy)
        self.assertIsNone(writer._aeadObject)  # sent nothing
        self.assertTrue(server.releaseIdleCiphers())
        self.assertIsNone(reader._aeadObject)
        pair.client.connection.sendApplicationData(b"again")
        pair.pump()
        self.assertEqual(pair.server.received(), b"pingagain")

    def test_applicationDataLeavesNoBuffer(self) -> None:
        """
        After a burst of application data each way, the record reader holds
        nothing: idle connections keep no large receive buffer.
        """
        pair = EnginePair(clientConfig(maxVersion=TLS13), serverConfig(maxVersion=TLS13))
        pair.handshake()
        payload = b"x" * 100_000
        pair.client.connection.sendApplicationData(payload)
        pair.server.connection.sendApplicationData(payload)
        pair.pump()
        self.assertEqual(pair.server.received(), payload)
        self.assertEqual(pair.client.received(), payload)
        for side in (pair.client, pair.server):
            reader = side.connection._reader
            self.assertFalse(reader.hasBufferedData())
            self.assertLess(len(reader._buf), 1024)

    def assertFreedWithoutCollector(self, version: int) -> None:
        pair = EnginePair(clientConfig(maxVersion=version), serverConfig(maxVersion=version))
        pair.handshake()
        pair.client.connection.sendApplicationData(b"ping")
        pair.pump()
        self.assertEqual(pair.server.received(), b"ping")
        connections = [weakref.ref(pair.client.connection), weakref.ref(pair.server.connection)]
        # With the cyclic collector off, only reference counting can free
        # them: a connection that formed a cycle with its established back
        # end would stay until the next collection (a busy server's share
        # of time in gc, bench/engine.py).
        wasEnabled = gc.isenabled()
        gc.disable()
        try:
            del pair
            self.assertEqual([ref() for ref in connections], [None, None])
        finally:
            if wasEnabled:
                gc.enable()

    def test_tls12FreedByReferenceCounting(self) -> None:
        """
        A TLS 1.2 connection that completed its handshake and carried data
        is freed as soon as its last reference goes.
        """
        self.assertFreedWithoutCollector(TLS12)

    def test_tls13FreedByReferenceCounting(self) -> None:
        """
        Likewise for TLS 1.3 (tickets sent and received).
        """
        self.assertFreedWithoutCollector(TLS13)
