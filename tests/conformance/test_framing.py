"""
Records and message framing (issue P6): each rule over a real socket,
against our server and, where it applies, our client.  The expected alert
is the RFC's (docs/conformance.md lists rule, section and test).
"""

from __future__ import annotations

from twisted_reneg import RenegotiationPolicy
from twisted_reneg.tls.config import TLS12, TLS13
from twisted_reneg.tls.connection import MAX_USELESS_RECORDS
from twisted_reneg.tls.errors import AlertDescription, AlertLevel
from twisted_reneg.tls.events import ApplicationData, HandshakeCompleted
from twisted_reneg.tls.messages import HandshakeType, frameHandshake
from twisted_reneg.tls.records import MAX_PLAINTEXT, ContentType

from .harness import (
    ORIGINAL,
    ConformanceCase,
    Crafter,
    Record,
    crafterClient,
    crafterServer,
    on,
    parseRecords,
    split,
)

A = AlertDescription
H = HandshakeType
APPDATA = Record(ContentType.application_data, b"interleaved")
#: A warning alert no one would refuse on its own.
WARNING = Record(ContentType.alert, bytes((AlertLevel.WARNING, A.user_canceled)))
PEER_RENEGOTIATION = RenegotiationPolicy(allowPeerInitiated=True)


def echoed(crafter: Crafter) -> bytes:
    return b"".join(e.data for e in crafter.events if isinstance(e, ApplicationData))


class DataBetweenChangeCipherSpecAndFinishedTests(ConformanceCase):
    """
    RFC 5246 7.4.9: Finished comes immediately after ChangeCipherSpec;
    anything else between them is an unexpected_message, in the first
    handshake and in renegotiations alike.
    """

    async def test_server(self) -> None:
        server = self.ourServer(maxVersion="1.2")
        crafter = await self.crafterTo(
            server, crafterClient(maxVersion=TLS12), on(H.finished, APPDATA, ORIGINAL)
        )
        await self.assertRefused(crafter, A.unexpected_message, server)

    async def test_client(self) -> None:
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS12), on(H.finished, APPDATA, ORIGINAL)
        )
        await self.assertRefused(crafter, A.unexpected_message, ours)

    async def test_serverRenegotiation(self) -> None:
        """
        Application data may flow during a renegotiation, but not between
        the client's ChangeCipherSpec and Finished.
        """
        server = self.ourServer(maxVersion="1.2", renegotiation=PEER_RENEGOTIATION)
        crafter = await self.crafterTo(
            server, crafterClient(maxVersion=TLS12), on(H.finished, APPDATA, ORIGINAL, nth=2)
        )
        await crafter.handshakeDone()
        crafter.connection.rehandshake()
        crafter.flush()
        await self.assertRefused(crafter, A.unexpected_message, server)

    async def test_clientRenegotiation(self) -> None:
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS12), on(H.finished, APPDATA, ORIGINAL, nth=2)
        )
        await crafter.handshakeDone()
        crafter.connection.rehandshake()
        crafter.flush()
        await self.assertRefused(crafter, A.unexpected_message, ours)

    async def test_dataBeforeChangeCipherSpecAccepted(self) -> None:
        """
        The counterpart: during a renegotiation, application data before
        the ChangeCipherSpec is the peer's data, delivered (and echoed).
        """
        server = self.ourServer(maxVersion="1.2", renegotiation=PEER_RENEGOTIATION)
        crafter = await self.crafterTo(
            server,
            crafterClient(maxVersion=TLS12),
            on(ContentType.change_cipher_spec, APPDATA, ORIGINAL, nth=2),
        )
        await crafter.handshakeDone()
        crafter.connection.rehandshake()
        crafter.flush()
        await crafter.handshakeDone(2)
        await crafter.when(lambda: echoed(crafter) == APPDATA.payload, "the echo")


class InterleavedInsideHandshakeMessageTests(ConformanceCase):
    """
    RFC 8446 5.1: no other record may come between the fragments of one
    handshake message: unexpected_message.  We hold TLS 1.2 to the same
    rule (docs/conformance.md says why).
    """

    async def assertServerRefuses(self, version: int, between: Record) -> None:
        server = self.ourServer()
        crafter = await self.crafterTo(
            server, crafterClient(maxVersion=version), split(H.client_hello, 60, between=[between])
        )
        await self.assertRefused(crafter, A.unexpected_message, server)

    async def test_server12Alert(self) -> None:
        await self.assertServerRefuses(TLS12, WARNING)

    async def test_server13Alert(self) -> None:
        await self.assertServerRefuses(TLS13, WARNING)

    async def test_server13ChangeCipherSpec(self) -> None:
        await self.assertServerRefuses(TLS13, Record(ContentType.change_cipher_spec, b"\x01"))

    async def test_client12Alert(self) -> None:
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS12), split(H.certificate, 100, between=[WARNING])
        )
        await self.assertRefused(crafter, A.unexpected_message, ours)

    async def test_client13Alert(self) -> None:
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS13), split(H.certificate, 100, between=[WARNING])
        )
        await self.assertRefused(crafter, A.unexpected_message, ours)

    async def test_serverRenegotiationData(self) -> None:
        """
        Application data is legal during a TLS 1.2 renegotiation, but not
        inside one of its handshake messages.
        """
        server = self.ourServer(maxVersion="1.2", renegotiation=PEER_RENEGOTIATION)
        crafter = await self.crafterTo(
            server,
            crafterClient(maxVersion=TLS12),
            split(H.client_hello, 60, between=[APPDATA], nth=2),
        )
        await crafter.handshakeDone()
        crafter.connection.rehandshake()
        crafter.flush()
        await self.assertRefused(crafter, A.unexpected_message, server)

    async def test_clientRenegotiationData(self) -> None:
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS12), split(H.certificate, 100, between=[APPDATA], nth=2)
        )
        await crafter.handshakeDone()
        crafter.connection.rehandshake()
        crafter.flush()
        await self.assertRefused(crafter, A.unexpected_message, ours)

    async def test_renegotiationDataBetweenMessagesAccepted(self) -> None:
        """
        The counterpart: between whole messages of a renegotiation,
        application data is delivered.
        """
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS12), on(H.certificate, ORIGINAL, APPDATA, nth=2)
        )
        await crafter.handshakeDone()
        crafter.connection.rehandshake()
        crafter.flush()
        await crafter.handshakeDone(2)
        crafter.connection.close()
        crafter.flush()
        client = await ours
        self.assertEqual(bytes(client.received), APPDATA.payload)

    async def test_server13PostHandshakeData(self) -> None:
        """
        The same inside a post-handshake message: a KeyUpdate cut in two
        with application data between.
        """
        server = self.ourServer()
        crafter = await self.crafterTo(server, crafterClient(maxVersion=TLS13))
        await crafter.handshakeDone()
        update = frameHandshake(H.key_update, b"\x00")
        crafter.inject(
            Record(ContentType.handshake, update[:2]),
            APPDATA,
            Record(ContentType.handshake, update[2:]),
        )
        await self.assertRefused(crafter, A.unexpected_message, server)

    async def test_client13PostHandshakeData(self) -> None:
        crafter, ours = await self.ourClientTo(crafterServer(maxVersion=TLS13))
        await crafter.handshakeDone()
        update = frameHandshake(H.key_update, b"\x00")
        crafter.inject(
            Record(ContentType.handshake, update[:2]),
            APPDATA,
            Record(ContentType.handshake, update[2:]),
        )
        await self.assertRefused(crafter, A.unexpected_message, ours)


class FlightBeforeFailureTests(ConformanceCase):
    """
    What we produced before a bad record goes out, then the alert: the
    peer sees the same thing however TCP cut the bytes.
    """

    BAD = Record(0x63, b"not a content type")

    async def test_server12(self) -> None:
        server = self.ourServer(maxVersion="1.2")
        crafter = await self.crafterTo(
            server, crafterClient(maxVersion=TLS12), on(H.client_hello, ORIGINAL, self.BAD)
        )
        await self.assertRefused(crafter, A.unexpected_message, server)
        records = parseRecords(bytes(crafter.received))
        self.assertEqual(
            [r[0] for r in records[:-1]], [ContentType.handshake] * (len(records) - 1)
        )
        flight = b"".join(r[2] for r in records[:-1])
        self.assertTrue(flight.startswith(bytes((H.server_hello,))), flight[:8])
        self.assertTrue(flight.endswith(frameHandshake(H.server_hello_done, b"")))

    async def test_server13(self) -> None:
        """
        The crafter reads our whole first flight (its handshake completes)
        before it reads the alert.  (TLS 1.3 writes the flight out at each
        key change, so this held before the TLS 1.2 fix too; it guards the
        rule for both versions.)
        """
        server = self.ourServer()
        crafter = await self.crafterTo(
            server, crafterClient(maxVersion=TLS13), on(H.client_hello, ORIGINAL, self.BAD)
        )
        await self.assertRefused(crafter, A.unexpected_message, server)
        self.assertTrue(any(isinstance(e, HandshakeCompleted) for e in crafter.events))

    async def test_client12(self) -> None:
        """
        Our client answers the server's flight with its own (which the
        crafter reads: its handshake completes), then the alert.
        """
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS12), on(H.server_hello_done, ORIGINAL, self.BAD)
        )
        await self.assertRefused(crafter, A.unexpected_message, ours)
        self.assertTrue(any(isinstance(e, HandshakeCompleted) for e in crafter.events))


class FinishedLengthTests(ConformanceCase):
    """
    A Finished whose verify_data has the wrong length does not decode
    (RFC 5246 7.4.9: 12 bytes; RFC 8446 4.4.4: the hash length):
    decode_error, not decrypt_error.
    """

    async def test_server12(self) -> None:
        server = self.ourServer(maxVersion="1.2")
        crafter = await self.crafterTo(
            server,
            crafterClient(maxVersion=TLS12),
            on(H.finished, frameHandshake(H.finished, bytes(13))),
        )
        await self.assertRefused(crafter, A.decode_error, server)

    async def test_client12(self) -> None:
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS12), on(H.finished, frameHandshake(H.finished, bytes(32)))
        )
        await self.assertRefused(crafter, A.decode_error, ours)

    async def test_server13(self) -> None:
        server = self.ourServer(cipherSuites=["TLS_AES_128_GCM_SHA256"])
        crafter = await self.crafterTo(
            server,
            crafterClient(maxVersion=TLS13),
            on(H.finished, frameHandshake(H.finished, bytes(48))),
        )
        await self.assertRefused(crafter, A.decode_error, server)

    async def test_client13(self) -> None:
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS13), on(H.finished, frameHandshake(H.finished, bytes(12)))
        )
        await self.assertRefused(crafter, A.decode_error, ours)


class ChangeCipherSpecValueTests(ConformanceCase):
    """
    RFC 8446 5: a change_cipher_spec other than the single byte 0x01 is an
    unexpected_message; we hold TLS 1.2 (RFC 5246 7.1) to the same.
    """

    async def assertServerRefuses(self, version: int, payload: bytes) -> None:
        server = self.ourServer()
        crafter = await self.crafterTo(
            server,
            crafterClient(maxVersion=version),
            on(ContentType.change_cipher_spec, Record(ContentType.change_cipher_spec, payload)),
        )
        await self.assertRefused(crafter, A.unexpected_message, server)

    async def test_server12WrongByte(self) -> None:
        await self.assertServerRefuses(TLS12, b"\x02")

    async def test_server12TwoBytes(self) -> None:
        await self.assertServerRefuses(TLS12, b"\x01\x01")

    async def test_server12Empty(self) -> None:
        await self.assertServerRefuses(TLS12, b"")

    async def test_server13WrongByte(self) -> None:
        await self.assertServerRefuses(TLS13, b"\x02")

    async def test_server13TwoBytes(self) -> None:
        await self.assertServerRefuses(TLS13, b"\x01\x01")

    async def test_client12WrongByte(self) -> None:
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS12),
            on(ContentType.change_cipher_spec, Record(ContentType.change_cipher_spec, b"\x02")),
        )
        await self.assertRefused(crafter, A.unexpected_message, ours)

    async def test_client13WrongByte(self) -> None:
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS13),
            on(ContentType.change_cipher_spec, Record(ContentType.change_cipher_spec, b"\x00")),
        )
        await self.assertRefused(crafter, A.unexpected_message, ours)


class InnerPlaintextTests(ConformanceCase):
    """
    RFC 8446 5.4: TLSInnerPlaintext over 2^14 + 1 bytes, padding included,
    is a record_overflow; Handshake or Alert content of zero length is an
    unexpected_message, padded or not.
    """

    async def serverAnswer(self, record: Record, alert: AlertDescription) -> None:
        server = self.ourServer()
        crafter = await self.crafterTo(server, crafterClient(maxVersion=TLS13))
        await crafter.handshakeDone()
        crafter.inject(record)
        await self.assertRefused(crafter, alert, server)

    async def clientAnswer(self, record: Record, alert: AlertDescription) -> None:
        crafter, ours = await self.ourClientTo(crafterServer(maxVersion=TLS13))
        await crafter.handshakeDone()
        crafter.inject(record)
        await self.assertRefused(crafter, alert, ours)

    OVERFLOW = Record(ContentType.application_data, bytes(MAX_PLAINTEXT), padding=1)

    async def test_serverOverflowByPadding(self) -> None:
        await self.serverAnswer(self.OVERFLOW, A.record_overflow)

    async def test_clientOverflowByPadding(self) -> None:
        await self.clientAnswer(self.OVERFLOW, A.record_overflow)

    async def test_serverLargestPaddedRecordAccepted(self) -> None:
        """
        The counterpart: 2^14 + 1 bytes with padding is the limit, not over.
        """
        server = self.ourServer()
        crafter = await self.crafterTo(server, crafterClient(maxVersion=TLS13))
        await crafter.handshakeDone()
        data = b"x" * (MAX_PLAINTEXT - 100)
        crafter.inject(Record(ContentType.application_data, data, padding=100))
        await crafter.when(lambda: echoed(crafter) == data, "the echo")

    async def test_serverEmptyHandshake(self) -> None:
        await self.serverAnswer(Record(ContentType.handshake, b""), A.unexpected_message)

    async def test_serverEmptyPaddedHandshake(self) -> None:
        await self.serverAnswer(
            Record(ContentType.handshake, b"", padding=7), A.unexpected_message
        )

    async def test_serverEmptyAlert(self) -> None:
        await self.serverAnswer(Record(ContentType.alert, b""), A.unexpected_message)

    async def test_clientEmptyHandshake(self) -> None:
        await self.clientAnswer(Record(ContentType.handshake, b""), A.unexpected_message)

    async def test_clientEmptyAlert(self) -> None:
        await self.clientAnswer(Record(ContentType.alert, b"", padding=3), A.unexpected_message)


class CompatibilityChangeCipherSpecTests(ConformanceCase):
    """
    RFC 8446 5: an unprotected change_cipher_spec of 0x01 received after the
    first ClientHello and before the peer's Finished "MUST simply" be
    dropped: not just one.  A peer looping on them makes no progress and is
    cut off as for empty records (our budget, MAX_USELESS_RECORDS).
    """

    async def test_server13DropsSeveral(self) -> None:
        server = self.ourServer()
        ccs = Record(ContentType.change_cipher_spec, b"\x01")
        crafter = await self.crafterTo(
            server,
            crafterClient(maxVersion=TLS13),
            on(ContentType.change_cipher_spec, ORIGINAL, ccs, ccs),
        )
        await crafter.handshakeDone()
        # Our client is done at the server's Finished; the server is done at
        # ours, after the three CCSs: its echo says it got there.
        ping = Record(ContentType.application_data, b"ping")
        crafter.inject(ping)
        await crafter.when(lambda: echoed(crafter) == ping.payload, "the echo")
        self.assertEqual(crafter.alerts(), [])

    async def test_client13DropsSeveral(self) -> None:
        ccs = Record(ContentType.change_cipher_spec, b"\x01")
        crafter, ours = await self.ourClientTo(
            crafterServer(maxVersion=TLS13),
            on(ContentType.change_cipher_spec, ORIGINAL, ccs, ccs),
        )
        await crafter.handshakeDone()
        self.assertEqual(crafter.alerts(), [])

    async def test_server13Flood(self) -> None:
        server = self.ourServer()
        ccs = Record(ContentType.change_cipher_spec, b"\x01")
        crafter = await self.crafterTo(
            server,
            crafterClient(maxVersion=TLS13),
            on(ContentType.change_cipher_spec, *([ccs] * (MAX_USELESS_RECORDS + 2))),
        )
        await self.assertRefused(crafter, A.unexpected_message, server)
