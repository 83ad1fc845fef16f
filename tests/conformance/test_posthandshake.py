"""
Post-handshake messages and alerts (issue P6), over a real socket against
our server and our client.
"""

from __future__ import annotations

from twisted.internet import defer

from twisted_reneg import TLSAlertError
from twisted_reneg.tls.config import TLS13
from twisted_reneg.tls.errors import AlertDescription, AlertLevel
from twisted_reneg.tls.events import ApplicationData
from twisted_reneg.tls.messages import HandshakeType, frameHandshake
from twisted_reneg.tls.records import ContentType

from ..interop.peers import Collector, DigestEcho, OurServer
from .harness import (
    ORIGINAL,
    ConformanceCase,
    Crafter,
    Record,
    crafterClient,
    crafterServer,
    on,
)

A = AlertDescription
H = HandshakeType


def keyUpdate(value: int) -> Record:
    return Record(ContentType.handshake, frameHandshake(H.key_update, bytes((value,))))


class KeyUpdateValueTests(ConformanceCase):
    """
    RFC 8446 4.6.3: request_update other than 0 or 1 is an
    illegal_parameter.
    """

    async def test_server(self) -> None:
        server = self.ourServer()
        crafter = await self.crafterTo(server, crafterClient(maxVersion=TLS13))
        await crafter.handshakeDone()
        crafter.inject(keyUpdate(2))
        await self.assertRefused(crafter, A.illegal_parameter, server)

    async def test_client(self) -> None:
        crafter, ours = await self.ourClientTo(crafterServer(maxVersion=TLS13))
        await crafter.handshakeDone()
        crafter.inject(keyUpdate(0xFF))
        await self.assertRefused(crafter, A.illegal_parameter, ours)


class KeyUpdateBeforeFinishedTests(ConformanceCase):
    """
    RFC 8446 4.6.3: a KeyUpdate before the peer's Finished is an
    unexpected_message.
    """

    async def test_server(self) -> None:
        server = self.ourServer()
        crafter = await self.crafterTo(
            server, crafterClient(maxVersion=TLS13), on(H.finished, keyUpdate(0), ORIGINAL)
        )
        await self.assertRefused(crafter, A.unexpected_message, server)

    async def test_client(self) -> None:
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS13), on(H.finished, keyUpdate(1), ORIGINAL)
        )
        await self.assertRefused(crafter, A.unexpected_message, ours)


class ErrorAlertTests(ConformanceCase):
    """
    RFC 8446 6 / 6.2: in TLS 1.3 every alert but close_notify and
    user_canceled is an error alert, whatever its level field says: the
    connection ends, and nothing is sent in reply.
    """

    async def assertEnds(
        self, crafter: Crafter, ours: OurServer | defer.Deferred[Collector]
    ) -> None:
        await crafter.closedByPeer()
        self.assertEqual(crafter.alerts(), [])
        side: DigestEcho | Collector
        side = await (ours.nextConnection() if isinstance(ours, OurServer) else ours)
        assert side.reason is not None
        self.assertTrue(side.reason.check(TLSAlertError), side.reason)
        self.assertEqual(side.reason.value.alert, A.handshake_failure)
        self.assertFalse(side.reason.value.sentByUs)

    WARNING_FAILURE = Record(ContentType.alert, bytes((AlertLevel.WARNING, A.handshake_failure)))

    async def test_server(self) -> None:
        server = self.ourServer()
        crafter = await self.crafterTo(server, crafterClient(maxVersion=TLS13))
        await crafter.handshakeDone()
        crafter.inject(self.WARNING_FAILURE)
        await self.assertEnds(crafter, server)

    async def test_client(self) -> None:
        crafter, ours = await self.ourClientTo(crafterServer(maxVersion=TLS13))
        await crafter.handshakeDone()
        crafter.inject(self.WARNING_FAILURE)
        await self.assertEnds(crafter, ours)

    async def test_serverUserCanceledIsNotAnError(self) -> None:
        """
        The counterpart: a warning user_canceled leaves the connection up.
        """
        server = self.ourServer()
        crafter = await self.crafterTo(server, crafterClient(maxVersion=TLS13))
        await crafter.handshakeDone()
        crafter.inject(
            Record(ContentType.alert, bytes((AlertLevel.WARNING, A.user_canceled))),
            Record(ContentType.application_data, b"still here"),
        )
        await crafter.when(
            lambda: any(isinstance(e, ApplicationData) for e in crafter.events), "the echo"
        )
