"""
The harness itself: an honest crafter completes handshakes with our server
and client over real sockets, and its rewrites reach the wire as asked.
"""

from __future__ import annotations

from twisted_reneg.tls.config import TLS12, TLS13
from twisted_reneg.tls.events import ApplicationData
from twisted_reneg.tls.messages import HandshakeType
from twisted_reneg.tls.records import ContentType

from .harness import ConformanceCase, Record, crafterClient, crafterServer, split, stopAfter


class HarnessTests(ConformanceCase):
    async def test_honestClientBothVersions(self) -> None:
        for version in (TLS12, TLS13):
            await self.honestClient(version)

    async def honestClient(self, version: int) -> None:
        server = self.ourServer()
        crafter = await self.crafterTo(server, crafterClient(maxVersion=version))
        await crafter.handshakeDone()
        crafter.connection.sendApplicationData(b"ping")
        crafter.flush()
        await crafter.when(
            lambda: any(isinstance(e, ApplicationData) for e in crafter.events), "echo"
        )
        crafter.connection.close()
        crafter.flush()
        await crafter.closedByPeer()
        self.assertEqual(crafter.alerts(), [(1, 0)])

    async def test_honestServerBothVersions(self) -> None:
        for version in (TLS12, TLS13):
            crafter, ours = await self.ourClientTo(crafterServer(maxVersion=version))
            await crafter.handshakeDone()
            crafter.connection.close()
            crafter.flush()
            await crafter.closedByPeer()
            client = await ours
            self.assertIsNotNone(client.session)

    async def test_splitMessageReassembled(self) -> None:
        """
        A message split by a rewrite reaches the wire as several records,
        which the server puts back together.
        """
        server = self.ourServer()
        crafter = await self.crafterTo(
            server, crafterClient(maxVersion=TLS13), split(HandshakeType.client_hello, 10, 50)
        )
        await crafter.handshakeDone()

    async def test_mutedAfterChosenMessage(self) -> None:
        """
        After stopAfter's message the crafter's own output stops: the
        server never sees a Finished, and its handshake never completes.
        """
        server = self.ourServer(maxVersion="1.2")
        crafter = await self.crafterTo(
            server,
            crafterClient(maxVersion=TLS12),
            stopAfter(HandshakeType.client_key_exchange),
        )
        await crafter.when(lambda: len(crafter.received) > 0, "the server's flight")
        crafter.inject(Record(ContentType.alert, bytes((2, 90))))
        ours = await server.nextConnection()
        self.assertIsNone(ours.session)
