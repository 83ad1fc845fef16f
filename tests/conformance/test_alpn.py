# -*- test-case-name: tests.conformance.test_alpn -*-
"""
ALPN is a property of the connection, not of the session (RFC 7301 3.1):
over a real socket, a client that renegotiates without offering ALPN again
(as browsers do) leaves our server speaking the protocol the first
handshake chose, and our client keeps it when a server names none.
"""

from __future__ import annotations

from dataclasses import replace

from twisted_reneg import RenegotiationPolicy
from twisted_reneg.tls.config import TLS12
from twisted_reneg.tls.established12 import Established12
from twisted_reneg.tls.events import ApplicationData

from ..interop.peers import waitFor
from .harness import ConformanceCase, crafterClient, crafterServer

HTTP11 = b"http/1.1"


class AlpnAcrossRenegotiationTests(ConformanceCase):
    async def test_serverKeepsProtocol(self) -> None:
        server = self.ourServer(
            maxVersion="1.2",
            acceptableProtocols=[HTTP11],
            renegotiation=RenegotiationPolicy(allowPeerInitiated=True),
        )
        crafter = await self.crafterTo(
            server, crafterClient(maxVersion=TLS12, alpnProtocols=(b"h2", HTTP11))
        )
        await crafter.handshakeDone()
        ours = server.protocols[0].transport
        self.assertEqual(ours.negotiatedProtocol, HTTP11)
        # A browser's renegotiating ClientHello carries no ALPN: play one by
        # making the crafter forget the protocol before it renegotiates.
        established = crafter.connection._established  # noqa: SLF001
        assert isinstance(established, Established12) and established.previous is not None
        established.previous = replace(established.previous, alpnProtocol=None)
        engine = crafter.connection
        engine.rehandshake()
        crafter.flush()
        await crafter.handshakeDone(2)
        await waitFor(lambda: ours.session.renegotiations == 1, "our side's renegotiation")
        self.assertEqual(ours.session.alpnProtocol, HTTP11)
        self.assertEqual(ours.negotiatedProtocol, HTTP11)
        engine.sendApplicationData(b"after\n")
        crafter.flush()
        await crafter.when(
            lambda: (
                b"after\n"
                in b"".join(e.data for e in crafter.events if isinstance(e, ApplicationData))
            ),
            "the echo",
        )

    async def test_clientKeepsProtocol(self) -> None:
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS12, alpnProtocols=(HTTP11,)),
            acceptableProtocols=[b"h2", HTTP11],
        )
        await crafter.handshakeDone()
        engine = crafter.connection
        established = engine._established  # noqa: SLF001
        assert isinstance(established, Established12) and established.previous is not None
        # A server that names no protocol when it renegotiates.
        established.previous = replace(established.previous, alpnProtocol=None)
        engine.rehandshake()
        crafter.flush()
        await crafter.handshakeDone(2)
        engine.sendApplicationData(b"bye")
        engine.close()
        crafter.flush()
        client = await ours
        self.assertEqual(client.session.renegotiations, 1)
        self.assertEqual(client.session.alpnProtocol, HTTP11)
        self.assertEqual(bytes(client.received), b"bye")
