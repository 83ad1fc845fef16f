"""
Plaintext records around the start of a TLS 1.3 handshake (issue P6): a
client's alert sent before it has keys, and 0-RTT records after a
HelloRetryRequest.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace

from twisted_reneg import TLSAlertError
from twisted_reneg.tls.config import TLS13
from twisted_reneg.tls.connection import MAX_EARLY_DATA_SKIPPED, TLSConnection
from twisted_reneg.tls.errors import AlertDescription
from twisted_reneg.tls.extensions import Extensions, ExtensionType
from twisted_reneg.tls.messages import ClientHello, HandshakeType
from twisted_reneg.tls.records import ContentType
from twisted_reneg.tls.state13 import HRR_RANDOM
from twisted_reneg.tls.suites import NamedGroup

from .harness import (
    ORIGINAL,
    ConformanceCase,
    Item,
    Outgoing,
    RawPeer,
    Record,
    alertRecord,
    chain,
    crafterClient,
    on,
    parseRecords,
)

A = AlertDescription
H = HandshakeType


class PlaintextAlertBeforeKeysTests(ConformanceCase):
    """
    RFC 8446 6: a client that fails on our ServerHello has no handshake
    keys and alerts in plaintext; our server reads that alert (as OpenSSL
    and rustls do) instead of answering it with unexpected_message.
    """

    async def test_server(self) -> None:
        server = self.ourServer()
        client = TLSConnection(crafterClient(maxVersion=TLS13))
        client.startHandshake()
        replied: list[bool] = []

        def failOnServerHello(received: bytes) -> bytes | None:
            if replied:
                return None
            replied.append(True)
            return alertRecord(A.illegal_parameter)

        sent = await self.rawTo(server, RawPeer(client.dataToSend(), failOnServerHello))
        ours = await server.nextConnection()
        assert ours.reason is not None
        self.assertTrue(ours.reason.check(TLSAlertError), ours.reason)
        self.assertEqual(ours.reason.value.alert, A.illegal_parameter)
        self.assertFalse(ours.reason.value.sentByUs)
        # Read with the keys the client would have had: our flight, and no
        # alert of ours after it.
        events = client.receiveData(sent)
        self.assertEqual([e for e in events if type(e).__name__ == "ConnectionFailed"], [])

    async def test_serverOnceTheClientHasKeys(self) -> None:
        """
        The counterpart: once a record under the client's keys decrypted,
        a plaintext alert is an unexpected_message.
        """
        server = self.ourServer()
        crafter = await self.crafterTo(server, crafterClient(maxVersion=TLS13))
        await crafter.handshakeDone()
        crafter.sendRaw(alertRecord(A.illegal_parameter))
        await self.assertRefused(crafter, A.unexpected_message, server)


def withEarlyData(message: Outgoing) -> Sequence[Item] | None:
    """
    The first ClientHello, offering 0-RTT (which our server refuses).
    """
    if message.what != H.client_hello or message.nth != 1:
        return None
    hello = ClientHello.parse(message.raw[4:])
    items = hello.extensions.items + ((int(ExtensionType.early_data), b""),)
    return [replace(hello, extensions=Extensions(items)).toBytes()]


def withEarlyDataTwice(message: Outgoing) -> Sequence[Item] | None:
    """
    Both ClientHellos offering 0-RTT: the second MUST NOT (RFC 8446 4.2.10).
    """
    if message.what != H.client_hello:
        return None
    hello = ClientHello.parse(message.raw[4:])
    items = hello.extensions.items + ((int(ExtensionType.early_data), b""),)
    return [replace(hello, extensions=Extensions(items)).toBytes()]


def earlyData(*sizes: int) -> list[Item]:
    """
    0-RTT records as a server without the early keys sees them: opaque
    application_data records.
    """
    return [Record(ContentType.application_data, os.urandom(size)) for size in sizes]


class EarlyDataAfterRetryTests(ConformanceCase):
    """
    RFC 8446 4.2.10: after a HelloRetryRequest the server skips the
    client's 0-RTT records (application_data, up to its limit) until the
    second ClientHello; past the limit, unexpected_message.
    """

    def retryingServer(self):  # type: ignore[no-untyped-def]
        # Our client's first hello carries a P-256 share only; the server
        # wants X25519 and asks for it.
        return self.ourServer(groups=["x25519"])

    def retryingClient(self):  # type: ignore[no-untyped-def]
        return crafterClient(
            minVersion=TLS13, maxVersion=TLS13, groups=(NamedGroup.secp256r1, NamedGroup.x25519)
        )

    async def test_skipped(self) -> None:
        """
        The server answers the second ClientHello with its ServerHello.
        (Our crafter's transcript lacks the early_data it added, so the
        handshake goes no further.)
        """
        server = self.retryingServer()
        crafter = await self.crafterTo(
            server,
            self.retryingClient(),
            chain(withEarlyData, on(H.client_hello, *earlyData(100, 1000), ORIGINAL, nth=2)),
        )
        await crafter.closedByPeer()
        handshakes = [r[2] for r in parseRecords(bytes(crafter.received)) if r[0] == 22]
        self.assertEqual(len(handshakes), 2, crafter.describe())
        retry, hello = handshakes
        self.assertEqual(retry[0], H.server_hello)
        self.assertEqual(retry[6:38], HRR_RANDOM)
        self.assertEqual(hello[0], H.server_hello)
        self.assertNotEqual(hello[6:38], HRR_RANDOM)
        self.assertNotIn((2, A.unexpected_message), crafter.alerts())

    async def test_pastTheLimit(self) -> None:
        server = self.retryingServer()
        crafter = await self.crafterTo(
            server,
            self.retryingClient(),
            chain(
                withEarlyData,
                on(
                    H.client_hello,
                    *earlyData(MAX_EARLY_DATA_SKIPPED // 2, MAX_EARLY_DATA_SKIPPED // 2 + 1),
                    ORIGINAL,
                    nth=2,
                ),
            ),
        )
        await self.assertRefused(crafter, A.unexpected_message, server)

    async def test_secondHelloWithEarlyData(self) -> None:
        """
        RFC 8446 4.2.10: "A client MUST NOT include the early_data
        extension in its followup ClientHello": illegal_parameter.
        """
        server = self.retryingServer()
        crafter = await self.crafterTo(server, self.retryingClient(), withEarlyDataTwice)
        await self.assertRefused(crafter, A.illegal_parameter, server)
