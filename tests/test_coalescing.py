# -*- test-case-name: tests.test_coalescing -*-
"""
Write coalescing on iosim with a fake clock: what the application writes
in one reactor turn leaves in as few records as possible (counted as our
own client's engine reads them, one record at a time), with no added
delay, and in the order written, also around key updates, renegotiations,
client-certificate requests and closes.
"""

from __future__ import annotations

from twisted.internet.interfaces import IHandshakeListener
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_reneg.interfaces import IRenegotiationListener
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.records import MAX_PLAINTEXT
from twisted_reneg.tls.session import TLSSession

from ._connected import Connected, Recorder, clientOptions, serverOptions
from ._records import RecordSplitter
from ._timers import pendingTimers

VERSIONS = ("1.2", "1.3")


def pair(version: str, **serverKw: object) -> Connected:
    return Connected(
        server=serverOptions(
            maxVersion=version, trustRoots=[cachedPKI().caCertificate], **serverKw
        ),
        client=clientOptions(
            clientCertificate=(
                (cachedPKI().ecdsaClient.certificate,),
                cachedPKI().ecdsaClient.privateKey,
            )
        ),
    )


def chunk(tag: bytes, step: int) -> bytes:
    """
    A numbered write, from a few bytes to several records' worth, so that
    writes fill and split records at every offset.
    """
    return tag + b"%d:" % step + bytes([48 + step % 10]) * (step * 2900) + b";"


def splitter(c: Connected) -> RecordSplitter:
    """
    Count the records the client receives, after the handshake.
    """
    return RecordSplitter(c.client, lambda: len(c.clientApp.data))  # type: ignore[attr-defined]


class Responder(Recorder):
    """
    Answers each chunk it receives with a response in three writes, as a
    web server writes status line, headers and body.
    """

    def dataReceived(self, data: bytes) -> None:
        super().dataReceived(data)
        self.transport.write(b"HTTP/1.1 200 OK\r\n")
        self.transport.writeSequence([b"Content-Length: 5\r\n", b"\r\n"])
        self.transport.write(b"hello")


@implementer(IHandshakeListener, IRenegotiationListener)
class Listener(Recorder):
    """
    Records data and renegotiation events in one list, in order.
    """

    def __init__(self) -> None:
        super().__init__()
        self.events: list[object] = []

    def dataReceived(self, data: bytes) -> None:
        super().dataReceived(data)
        self.events.append(data)

    def renegotiationRequested(self) -> bool:
        return True

    def renegotiationCompleted(self, session: TLSSession) -> None:
        self.events.append("renegotiationCompleted")

    def renegotiationFailed(self, reason: Failure) -> None:
        self.events.append("renegotiationFailed")

    def keysUpdated(self, requestedByPeer: bool) -> None:
        self.events.append("keysUpdated")


class CoalescingTests(SynchronousTestCase):
    def test_writesInOneTurnOneRecord(self) -> None:
        """
        Several writes in one turn: nothing leaves until the turn ends
        (the clock's callLater(0)), then one record.
        """
        for version in VERSIONS:
            c = pair(version)
            c.flush()
            records = splitter(c)
            c.server.write(b"one ")
            c.server.write(b"two ")
            c.server.writeSequence([b"three ", b"four"])
            self.assertEqual(c.serverTransport.stream, [], version)
            c.flush()
            self.assertEqual(records.dataRecords(), [len(b"one two three four")], version)
            self.assertEqual(c.clientApp.data, b"one two three four")  # type: ignore[attr-defined]
            self.assertEqual(pendingTimers(c.clock), [], version)

    def test_replyInOneRecordWithoutDelay(self) -> None:
        """
        A reply written in several pieces while the request is delivered
        leaves as one record, at the end of that delivery: no clock turn.
        """
        for version in VERSIONS:
            c = pair(version)
            c.serverProtocol = c.serverApp = Responder()
            c.server.wrappedProtocol = c.serverApp
            c.serverApp.makeConnection(c.server)
            c.flush()
            records = splitter(c)
            c.client.write(b"GET")
            c.deliverToServer()  # the client's turn ends, the request reaches the server
            self.assertNotEqual(c.serverTransport.stream, [], version)
            c.flush()
            reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
            self.assertEqual(c.clientApp.data, reply)  # type: ignore[attr-defined]
            self.assertEqual(records.dataRecords(), [len(reply)], version)

    def test_fullRecords(self) -> None:
        """
        Many small writes in one turn fill whole records (at most 2^14
        bytes of plaintext each) and one last partial one.
        """
        c = pair("1.3")
        c.flush()
        records = splitter(c)
        for i in range(40):
            c.server.write(bytes([65 + i % 26]) * 1000)
        c.flush()
        self.assertEqual(records.dataRecords(), [MAX_PLAINTEXT, MAX_PLAINTEXT, 40000 - 2 * 16384])
        self.assertEqual(
            c.clientApp.data,  # type: ignore[attr-defined]
            b"".join(bytes([65 + i % 26]) * 1000 for i in range(40)),
        )

    def test_wholeRecordWritesLeaveAtOnce(self) -> None:
        """
        A write of whole records with nothing buffered leaves in the same
        call, with no timer; one after a buffered partial write completes
        that write's record first, and what is left waits for the turn to
        end: the order is the order written.
        """
        for version in VERSIONS:
            c = pair(version)
            c.flush()
            records = splitter(c)
            c.server.write(b"a" * (2 * MAX_PLAINTEXT))
            self.assertNotEqual(c.serverTransport.stream, [], version)
            self.assertEqual(pendingTimers(c.clock), [], version)
            c.server.write(b"b" * 100)
            c.server.write(b"c" * MAX_PLAINTEXT)
            c.server.write(b"d" * MAX_PLAINTEXT)
            c.flush()
            self.assertEqual(
                records.dataRecords(),
                [MAX_PLAINTEXT] * 4 + [100],
                version,
            )
            self.assertEqual(
                c.clientApp.data,  # type: ignore[attr-defined]
                b"a" * (2 * MAX_PLAINTEXT)
                + b"b" * 100
                + b"c" * MAX_PLAINTEXT
                + b"d" * MAX_PLAINTEXT,
                version,
            )
            self.assertEqual(pendingTimers(c.clock), [], version)

    def test_earlyWritesShareRecords(self) -> None:
        """
        Writes made before the handshake leave together after it.
        """

        class Early(Recorder):
            def connectionMade(self) -> None:
                super().connectionMade()
                for word in (b"a", b"b", b"c"):
                    self.transport.write(word)

        c = Connected(clientProtocol=Early())
        records = RecordSplitter(c.server, lambda: len(c.serverApp.data))  # type: ignore[attr-defined]
        c.flush()
        self.assertEqual(c.serverApp.data, b"abc")  # type: ignore[attr-defined]
        self.assertEqual(records.dataRecords(), [3])

    def test_keyUpdatesKeepOrder(self) -> None:
        """
        TLS 1.3: writes around rehandshake() calls in one turn go out
        before and after each KeyUpdate, as written: nothing lost or
        reordered, and the client answers both.
        """
        c = pair("1.3")
        c.clientProtocol = c.clientApp = Listener()
        c.client.wrappedProtocol = c.clientApp
        c.flush()
        records = splitter(c)
        c.server.write(b"a")
        c.server.rehandshake()
        c.server.write(b"b")
        c.server.write(b"c")
        c.server.rehandshake()
        c.server.write(b"d")
        c.flush()
        self.assertEqual(c.clientApp.data, b"abcd")
        # data, KeyUpdate, data, KeyUpdate, data
        self.assertEqual([n for _, _, n in records.records][:5], [1, 0, 2, 0, 1])
        session = c.server.session
        assert session is not None
        self.assertGreaterEqual(session.keyUpdates, 1)  # one answer may cover both
        self.assertEqual(c.client.session.keyUpdates, 2)  # type: ignore[union-attr]

    def test_dataBothWaysDuringKeyUpdates(self) -> None:
        """
        Data flowing both ways, one hop each way at a time, while each side
        keeps asking for new keys: every byte arrives, in order.
        """
        c = pair("1.3")
        c.flush()
        for step in range(30):
            c.server.write(chunk(b"s", step))
            c.client.write(b"c%d," % step)
            if step % 3 == 0:
                c.server.rehandshake()
            if step % 4 == 1:
                c.client.rehandshake()
            c.client.write(chunk(b"C", step))
            c.deliverToServer()
            c.deliverToClient()
        c.flush()
        self.assertEqual(
            c.clientApp.data,  # type: ignore[attr-defined]
            b"".join(chunk(b"s", step) for step in range(30)),
        )
        self.assertEqual(
            c.serverApp.data,  # type: ignore[attr-defined]
            b"".join(b"c%d," % step + chunk(b"C", step) for step in range(30)),
        )

    def test_renegotiationKeepsOrder(self) -> None:
        """
        TLS 1.2: data written by both sides at every step of a
        renegotiation (HelloRequest to Finished) arrives whole and in
        order, and the renegotiation completes.
        """
        c = pair("1.2")
        c.flush()
        c.server.write(b"before,")
        d = c.server.rehandshake()
        c.server.write(b"asked,")
        for step in range(12):
            c.server.write(chunk(b"s", step))
            c.client.write(chunk(b"c", step))
            c.deliverToServer()
            c.deliverToClient()
        c.flush()
        session = self.successResultOf(d)
        self.assertEqual(session.renegotiations, 1)
        self.assertEqual(
            c.clientApp.data,  # type: ignore[attr-defined]
            b"before,asked," + b"".join(chunk(b"s", step) for step in range(12)),
        )
        self.assertEqual(
            c.serverApp.data,  # type: ignore[attr-defined]
            b"".join(chunk(b"c", step) for step in range(12)),
        )

    def test_certificateRequestAfterData(self) -> None:
        """
        Data written before requestClientCertificate() reaches the client
        before the request (TLS 1.2 HelloRequest, TLS 1.3
        CertificateRequest) does; data written after, after it.
        """
        for version in VERSIONS:
            c = pair(version)
            c.flush()
            records = splitter(c)
            c.server.write(b"before")
            d = c.server.requestClientCertificate()
            c.server.write(b"after")
            c.flush()
            self.assertIsNotNone(self.successResultOf(d).peerCertificate, version)
            self.assertEqual(c.clientApp.data, b"beforeafter")  # type: ignore[attr-defined]
            self.assertEqual([n for _, _, n in records.records][:3], [6, 0, 5], version)

    def test_pendingWriteBeforePeerClose(self) -> None:
        """
        A write still waiting for the turn to end when the peer's
        close_notify arrives goes out before our answering close_notify.
        """
        for version in VERSIONS:
            c = pair(version)
            c.flush()
            c.client.loseConnection()
            c.server.write(b"last words")
            c.deliverToServer(advanceClock=False)  # close_notify reaches the server
            c.flush()
            self.assertEqual(c.clientApp.data, b"last words", version)  # type: ignore[attr-defined]

    def test_loseConnectionAfterWrites(self) -> None:
        """
        Writes then loseConnection() in one turn: the data goes out in one
        record before close_notify.
        """
        c = pair("1.3")
        c.flush()
        records = splitter(c)
        c.server.write(b"bye ")
        c.server.write(b"now")
        c.server.loseConnection()
        c.flush()
        self.assertEqual(c.clientApp.data, b"bye now")  # type: ignore[attr-defined]
        self.assertEqual(records.dataRecords(), [7])

    def test_abortDiscardsBuffered(self) -> None:
        """
        abortConnection() drops what is still buffered, as TCP's does, and
        leaves no timer behind.
        """
        c = pair("1.3")
        c.flush()
        c.server.write(b"never")
        c.server.abortConnection()
        self.assertEqual(c.serverTransport.stream, [])
        c.flush()
        self.assertEqual(c.clientApp.data, b"")  # type: ignore[attr-defined]
        self.assertEqual(pendingTimers(c.clock), [])
