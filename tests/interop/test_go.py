# -*- test-case-name: tests.interop.test_go -*-
"""
Interop with Go's C{crypto/tls} (and C{net/http}) on 127.0.0.1, through
C{go/tlspeer.go}, built once per run (see L{tests.interop._golang}).

Go's client follows a TLS 1.2 HelloRequest only when told to
(C{Renegotiation: RenegotiateOnceAsClient} or C{RenegotiateFreelyAsClient};
its default C{RenegotiateNever} refuses), and only inside C{Read}: every
script below reads right after asking our server to renegotiate, so Go is
reading when our HelloRequest arrives.  Go answers a TLS 1.3 KeyUpdate
inside C{Read} too, and never offers post-handshake authentication.  The
tests are named after Go's own (C{TestRenegotiateOnce},
C{TestRenegotiationRejected}, C{TestResumption} ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet import defer, reactor
from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase
from twisted.web import resource, server
from twisted.web.server import Request
from zope.interface import implementer

from twisted_reneg import (
    ClientOptions,
    PostHandshakeAuthNotOffered,
    RenegotiationRefused,
    RenegotiationTimeout,
    ServerOptions,
    TLSAlertError,
    TLSFactory,
    TLSSession,
)
from twisted_reneg.interfaces import IRenegotiationListener
from twisted_reneg.testing.pki import Identity, cachedPKI
from twisted_reneg.tls.errors import AlertDescription

from ._golang import GoRun, runGo, startGo, startGoServer
from ._renegotiation import CommandServer
from .peers import Collector, DigestEcho, OurServer, connectOurClient, waitFor

VERSIONS = ("1.2", "1.3")

#: The reactor, untyped: C{TLSFactory} is a factory but not a C{ServerFactory}.
_reactor: Any = reactor


def ourServerOptions(identity: Identity | None = None, /, **kw: object) -> ServerOptions:
    """
    Our server, with client certificates verified against the test CA when
    one is asked for (C{requestClientCertificate()}).
    """
    pki = cachedPKI()
    identity = identity or pki.ecdsaServer
    kw.setdefault("trustRoots", [pki.caCertificate])
    return ServerOptions.fromPEM(identity.certPath, identity.keyPath, **kw)


def ourClientOptions(version: str | None = None, **kw: object) -> ClientOptions:
    """
    Our client trusting the test CA; limited to one version if given.
    """
    if version is not None:
        kw.update(minVersion=version, maxVersion=version)
    return ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate], **kw)  # type: ignore[arg-type]


def script(*actions: str) -> list[str]:
    """
    C{tlspeer}'s C{-do} flags for C{actions}, in order.
    """
    return [flag for action in actions for flag in ("-do", action)]


def goClient(port: int, version: str, *extra: str) -> list[str]:
    """
    Arguments of Go's client connecting to our server on C{port}, verifying
    it against the test CA as C{localhost}.
    """
    return [
        "-mode",
        "client",
        "-addr",
        f"127.0.0.1:{port}",
        "-version",
        version,
        "-ca",
        cachedPKI().caPath,
        "-servername",
        "localhost",
        *extra,
    ]


def goServer(version: str, identity: Identity | None = None, *extra: str) -> list[str]:
    """
    Arguments of Go's server (the address is L{startGoServer}'s).
    """
    identity = identity or cachedPKI().ecdsaServer
    return ["-version", version, "-cert", identity.certPath, "-key", identity.keyPath, *extra]


def subject(identity: Identity) -> str:
    return identity.certificate.subject.rfc4514_string()


@implementer(IRenegotiationListener)
class GoCommandServer(CommandServer):
    """
    Our server under Go's control, one command a line: C{go-reneg} calls
    C{rehandshake()} and answers C{renegotiated N} (N: the session's
    renegotiations); C{go-cert} calls C{requestClientCertificate()} and
    answers C{client-cert SUBJECT}; a failure answers C{reneg-failed
    TYPE} (the answers of L{CommandServer}).  Other lines are echoed.

    What a test asserts on is kept: the failures, whether each Deferred had
    fired already when the call returned, and what L{IRenegotiationListener}
    heard.
    """

    transport: Any

    def __init__(self) -> None:
        super().__init__()
        self.failures: list[Failure] = []
        self.firedAtOnce: list[bool] = []
        self.keyUpdates: list[bool] = []
        self.completed: list[TLSSession] = []
        self.impatient = False
        self._buffer = b""

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        # Whole lines only: a command split over two reads is still one.
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            if line == b"go-reneg":
                self._call(self.transport.rehandshake(timeout=10), self.reportSession)
            elif line == b"go-reneg-impatient":
                # Go is told to read only after this has timed out.  Nothing
                # is written until the renegotiation completes: Go's client
                # cannot take application data between our HelloRequest and
                # its own ClientHello.
                self.impatient = True
                d = self.transport.rehandshake(timeout=0.1)
                d.addErrback(self.failures.append)
            elif line == b"go-cert":
                self._call(
                    self.transport.requestClientCertificate(timeout=10), self.reportCertificate
                )
            else:
                self.transport.write(line + b"\n")

    def _call(self, d: defer.Deferred[TLSSession], report: Callable[[TLSSession], None]) -> None:
        self.firedAtOnce.append(d.called)
        d.addCallbacks(report, self.reportFailure)

    def reportFailure(self, reason: Failure) -> None:
        self.failures.append(reason)
        super().reportFailure(reason)

    # IRenegotiationListener

    def renegotiationRequested(self) -> bool:
        return True

    def renegotiationCompleted(self, session: TLSSession) -> None:
        self.completed.append(session)
        if self.impatient:
            self.transport.write(b"late renegotiation %d\n" % session.renegotiations)

    def renegotiationFailed(self, reason: Failure) -> None:
        pass

    def keysUpdated(self, requestedByPeer: bool) -> None:
        self.keyUpdates.append(requestedByPeer)


@implementer(IRenegotiationListener)
class ListeningClient(Collector):
    """
    Our client, keeping what L{IRenegotiationListener} heard.
    """

    transport: Any

    def __init__(self, toSend: bytes = b"", expected: int | None = None) -> None:
        super().__init__(toSend, expected)
        self.keyUpdates: list[bool] = []
        self.failures: list[Failure] = []

    def renegotiationRequested(self) -> bool:
        return True

    def renegotiationCompleted(self, session: TLSSession) -> None:
        pass

    def renegotiationFailed(self, reason: Failure) -> None:
        self.failures.append(reason)

    def keysUpdated(self, requestedByPeer: bool) -> None:
        self.keyUpdates.append(requestedByPeer)


class GoClientTests(TestCase):
    """
    Go's C{tls.Dial} against our server.
    """

    timeout = 30

    def commandServer(self, maxVersion: str, **kw: object) -> OurServer:
        options = ourServerOptions(maxVersion=maxVersion, **kw)
        return OurServer(self, options, protocolClass=GoCommandServer)

    async def converse(
        self, server: OurServer, version: str, *extra: str
    ) -> tuple[GoRun, GoCommandServer]:
        """
        Run Go's client against C{server} to its end; our side of the
        connection once it has ended too.
        """
        run = await runGo(self, goClient(server.portNumber, version, *extra))
        if not server.protocols:
            # Waiting for a connection that never came would only time out.
            self.fail(f"Go never connected:\n{run.text()}")
        ours = await server.nextConnection()
        assert isinstance(ours, GoCommandServer)
        self.assertEqual(run.values("exit"), ["0"], run.text())
        return run, ours

    def assertCleanEnd(self, ours: DigestEcho, run: GoRun) -> None:
        """
        Go closed with close_notify and we saw a clean end: nothing broke.
        """
        assert ours.reason is not None
        self.assertTrue(ours.reason.check(ConnectionDone), f"{ours.reason}\n{run.text()}")

    async def test_handshake(self) -> None:
        """
        RSA and ECDSA certificates on TLS 1.2 and 1.3: both ends agree on
        the version and suite, Go verifies our chain, a line is echoed.
        """
        pki = cachedPKI()
        for identity in (pki.rsaServer, pki.ecdsaServer):
            server = OurServer(self, ourServerOptions(identity), protocolClass=GoCommandServer)
            for version in VERSIONS:
                run, ours = await self.converse(server, version, *script("write:hello", "read"))
                label = f"{identity.certPath} TLS {version}:\n{run.text()}"
                self.assertEqual(run.values("error"), [], label)
                self.assertEqual(run.value("version"), f"TLSv{version}", label)
                self.assertEqual(run.value("peer-cert"), "localhost", label)
                self.assertEqual(run.values("read"), ["hello"], label)
                self.assertEqual(ours.session.version, f"TLSv{version}", label)
                self.assertEqual(ours.session.cipherSuite, run.value("cipher"), label)
                self.assertEqual(bytes(ours.received), b"hello\n")
                self.assertCleanEnd(ours, run)

    async def test_renegotiateOnceAsClient(self) -> None:
        """
        C{RenegotiateOnceAsClient} follows our C{rehandshake()}: it fires
        with one renegotiation and data flows both ways after it.
        """
        run, ours = await self.converse(
            self.commandServer(maxVersion="1.2"),
            "1.2",
            "-renegotiation",
            "once",
            *script("write:before", "read", "write:go-reneg", "read", "write:after", "read"),
        )
        self.assertEqual(run.values("read"), ["before", "renegotiated 1", "after"], run.text())
        self.assertEqual(ours.failures, [])
        self.assertEqual(ours.session.renegotiations, 1)
        self.assertEqual([s.renegotiations for s in ours.completed], [1])
        self.assertEqual(bytes(ours.received), b"before\ngo-reneg\nafter\n")
        self.assertCleanEnd(ours, run)

    async def test_renegotiateFreelyAsClient(self) -> None:
        """
        C{RenegotiateFreelyAsClient} follows our C{rehandshake()} twice.
        """
        run, ours = await self.converse(
            self.commandServer(maxVersion="1.2"),
            "1.2",
            "-renegotiation",
            "freely",
            *script(
                "write:go-reneg",
                "read",
                "write:go-reneg",
                "read",
                "write:after",
                "read",
            ),
        )
        self.assertEqual(
            run.values("read"), ["renegotiated 1", "renegotiated 2", "after"], run.text()
        )
        self.assertEqual(ours.session.renegotiations, 2)
        self.assertEqual([s.renegotiations for s in ours.completed], [1, 2])
        self.assertCleanEnd(ours, run)

    async def test_lateAnswerToHelloRequest(self) -> None:
        """
        Go reads our HelloRequest only after our C{rehandshake(timeout=...)}
        has given up: its ClientHello answers the renegotiation we asked
        for, which completes (the listener hears it; the Deferred had
        failed).  Refused with a warning, as a renegotiation the client
        started would be, it left Go waiting for a ServerHello for ever.
        """
        server = self.commandServer(maxVersion="1.2")
        peer = await startGo(
            self,
            goClient(
                server.portNumber,
                "1.2",
                "-renegotiation",
                "once",
                *script("write:go-reneg-impatient", "wait", "read", "write:after", "read"),
            ),
        )
        await waitFor(lambda: server.protocols, "Go's connection")
        ours = server.protocols[0]
        assert isinstance(ours, GoCommandServer)
        await waitFor(lambda: ours.failures, "our rehandshake() to time out")
        ours.failures[0].trap(RenegotiationTimeout)
        self.assertEqual(ours.transport.session.renegotiations, 0)
        peer.type(b"read now\n")
        run = await peer.finished()
        self.assertEqual(run.values("read"), ["late renegotiation 1", "after"], run.text())
        await server.nextConnection()
        self.assertEqual(ours.session.renegotiations, 1)
        self.assertEqual([s.renegotiations for s in ours.completed], [1])
        self.assertCleanEnd(ours, run)

    async def test_renegotiateTwiceRejected(self) -> None:
        """
        C{RenegotiateOnceAsClient} refuses our second C{rehandshake()} with
        a warning no_renegotiation alert: our Deferred fails with
        L{RenegotiationRefused}, the first renegotiation's session stays, and
        our next line reaches Go.
        """
        run, ours = await self.converse(
            self.commandServer(maxVersion="1.2"),
            "1.2",
            "-renegotiation",
            "once",
            *script("write:go-reneg", "read", "write:go-reneg", "read", "read"),
        )
        self.assertEqual(
            run.values("read"),
            ["renegotiated 1", "reneg-failed RenegotiationRefused"],
            run.text(),
        )
        self.assertEqual(len(ours.failures), 1)
        ours.failures[0].trap(RenegotiationRefused)
        self.assertEqual(ours.session.renegotiations, 1)
        self.assertCleanEnd(ours, run)

    async def test_renegotiationRejected(self) -> None:
        """
        Go's default client (C{RenegotiateNever}) refuses our
        C{rehandshake()} with a warning no_renegotiation alert: our Deferred
        fails with L{RenegotiationRefused} and the connection stays up (our
        next line reaches Go, which later closes cleanly).

        Go's C{Read} returns an error once for the HelloRequest it refused,
        then reads on; its own writes fail from then on (C{crypto/tls}
        treats any alert it sent, warning or not, as the end of its
        sending side), so only our direction can be shown to work after
        the refusal.
        """
        run, ours = await self.converse(
            self.commandServer(maxVersion="1.2"),
            "1.2",
            *script("write:before", "read", "write:go-reneg", "read", "read"),
        )
        self.assertEqual(
            run.values("read"), ["before", "reneg-failed RenegotiationRefused"], run.text()
        )
        self.assertIn("no renegotiation", " ".join(run.values("read-error")), run.text())
        self.assertEqual(len(ours.failures), 1)
        ours.failures[0].trap(RenegotiationRefused)
        self.assertEqual(ours.session.renegotiations, 0)
        self.assertCleanEnd(ours, run)

    async def test_renegotiationKeepsALPN(self) -> None:
        """
        ALPN belongs to the connection (RFC 7301 3.1): Go offers it again in
        its renegotiation ClientHello and gets the same protocol back, as
        both ends' states show after the renegotiation.
        """
        run, ours = await self.converse(
            self.commandServer("1.2", acceptableProtocols=[b"http/1.1"]),
            "1.2",
            "-renegotiation",
            "once",
            "-alpn",
            "h2,http/1.1",
            *script("write:go-reneg", "read", "state", "write:after", "read"),
        )
        self.assertEqual(run.values("read"), ["renegotiated 1", "after"], run.text())
        self.assertEqual(run.values("alpn"), ["http/1.1", "http/1.1"], run.text())
        self.assertEqual([s.alpnProtocol for s in ours.completed], [b"http/1.1"])
        self.assertEqual(ours.session.alpnProtocol, b"http/1.1")
        self.assertEqual(ours.session.renegotiations, 1)
        self.assertCleanEnd(ours, run)

    async def test_renegotiationWithoutALPNKeepsIt(self) -> None:
        """
        A renegotiation ClientHello without ALPN (what browsers send) keeps
        the protocol the first handshake chose (RFC 7301 3.1): our server
        does not name one Go did not offer, and our session still says
        C{http/1.1}.  (Go itself forgets it: its state after the
        renegotiation shows none.)
        """
        run, ours = await self.converse(
            self.commandServer("1.2", acceptableProtocols=[b"http/1.1"]),
            "1.2",
            "-renegotiation",
            "once",
            "-alpn",
            "http/1.1",
            *script("drop-alpn", "write:go-reneg", "read", "state", "write:after", "read"),
        )
        self.assertEqual(run.values("read"), ["renegotiated 1", "after"], run.text())
        self.assertEqual(run.values("alpn"), ["http/1.1", ""], run.text())
        self.assertEqual([s.alpnProtocol for s in ours.completed], [b"http/1.1"])
        self.assertEqual(ours.session.alpnProtocol, b"http/1.1")
        self.assertEqual(ours.transport.negotiatedProtocol, b"http/1.1")
        self.assertCleanEnd(ours, run)

    async def test_clientCertificateByRenegotiation(self) -> None:
        """
        Our C{requestClientCertificate()} on TLS 1.2 renegotiates with a
        CertificateRequest; Go's C{GetClientCertificate} supplies the
        certificate mid-connection and our session carries it.
        """
        client = cachedPKI().ecdsaClient
        run, ours = await self.converse(
            self.commandServer(maxVersion="1.2"),
            "1.2",
            "-renegotiation",
            "once",
            "-get-client-cert",
            "-cert",
            client.certPath,
            "-key",
            client.keyPath,
            *script("write:go-cert", "read", "write:after", "read"),
        )
        self.assertEqual(run.values("client-cert-requested"), ["TLSv1.2"], run.text())
        self.assertEqual(
            run.values("read"), [f"client-cert {subject(client)}", "after"], run.text()
        )
        self.assertEqual(ours.session.peerCertificate, client.certificate)
        self.assertEqual(ours.session.renegotiations, 1)
        self.assertCleanEnd(ours, run)

    async def test_keyUpdateFromOurServer(self) -> None:
        """
        Our C{rehandshake()} on TLS 1.3 sends KeyUpdate(update_requested);
        Go answers with its own KeyUpdate, which reaches our protocol as
        C{keysUpdated(False)}; data flows before and after.
        """
        run, ours = await self.converse(
            self.commandServer(maxVersion="1.3"),
            "1.3",
            *script("write:before", "read", "write:go-reneg", "read", "write:after", "read"),
        )
        # On TLS 1.3 the session reports no renegotiation: "renegotiated 0".
        self.assertEqual(run.values("read"), ["before", "renegotiated 0", "after"], run.text())
        self.assertEqual(ours.failures, [])
        self.assertEqual(ours.keyUpdates, [False])
        self.assertEqual(ours.session.keyUpdates, 1)
        self.assertEqual(ours.session.version, "TLSv1.3")
        self.assertCleanEnd(ours, run)

    async def test_postHandshakeAuthNotOffered(self) -> None:
        """
        Go never offers TLS 1.3 post-handshake authentication: our
        C{requestClientCertificate()} fails at once (before the call
        returns), saying why, and the connection goes on both ways.
        """
        run, ours = await self.converse(
            self.commandServer(maxVersion="1.3"),
            "1.3",
            *script("write:go-cert", "read", "write:still here", "read"),
        )
        self.assertEqual(
            run.values("read"),
            ["reneg-failed PostHandshakeAuthNotOffered", "still here"],
            run.text(),
        )
        self.assertEqual(ours.firedAtOnce, [True])
        self.assertEqual(len(ours.failures), 1)
        # Its own type, and a RenegotiationRefused as callers caught before.
        ours.failures[0].trap(PostHandshakeAuthNotOffered)
        self.assertTrue(ours.failures[0].check(RenegotiationRefused))
        self.assertIn("post-handshake", str(ours.failures[0].value))
        self.assertIsNone(ours.session.peerCertificate)
        self.assertCleanEnd(ours, run)

    async def test_resumption(self) -> None:
        """
        Go's client with a C{ClientSessionCache} makes three connections on
        each version: the second and third resume (TLS 1.3 tickets; TLS 1.2
        tickets, the only TLS 1.2 resumption Go's client does), as both
        ends see it.
        """
        for version in VERSIONS:
            server = self.commandServer(maxVersion=version)
            run = await runGo(
                self,
                goClient(
                    server.portNumber,
                    version,
                    "-session-cache",
                    "8",
                    "-connections",
                    "3",
                    # The read lets Go take in our TLS 1.3 ticket, which it
                    # processes only inside Read.
                    *script("write:ping", "read"),
                ),
            )
            ours = [await server.nextConnection() for _ in range(3)]
            label = f"TLS {version}:\n{run.text()}"
            self.assertEqual(run.values("error"), [], label)
            self.assertEqual(run.values("resumed"), ["false", "true", "true"], label)
            self.assertEqual([p.session.resumed for p in ours], [False, True, True], label)
            self.assertEqual([p.session.version for p in ours], [f"TLSv{version}"] * 3)
            self.assertEqual(run.values("read"), ["ping"] * 3, label)

    async def test_httpGet(self) -> None:
        """
        Go's C{net/http} client (HTTP/2 allowed, as browsers do) GETs a
        page from a C{twisted.web} site behind our server: ALPN picks h2,
        which Twisted's web server speaks.
        """

        class Page(resource.Resource):
            isLeaf = True

            def render_GET(self, request: Request) -> bytes:
                return b"secure=%d path=%s" % (request.isSecure(), request.path)

        factory = TLSFactory(ourServerOptions(), False, server.Site(Page()))
        port = _reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        run = await runGo(
            self,
            [
                "-ca",
                cachedPKI().caPath,
                "-http",
                f"https://localhost:{port.getHost().port}/hello",
            ],
        )
        self.assertEqual(run.values("error"), [], run.text())
        self.assertEqual(run.value("status"), "200", run.text())
        self.assertEqual(run.value("body"), "secure=1 path=/hello", run.text())
        self.assertEqual(run.value("alpn"), "h2", run.text())
        self.assertEqual(run.value("proto"), "HTTP/2.0", run.text())


class GoServerTests(TestCase):
    """
    Our client against Go's C{tls.Server}, which echoes lines.
    """

    timeout = 30

    async def test_handshake(self) -> None:
        """
        RSA and ECDSA server certificates on TLS 1.2 and 1.3: we verify
        Go's chain and agree on the version and suite; a line is echoed.
        """
        pki = cachedPKI()
        for identity in (pki.rsaServer, pki.ecdsaServer):
            for version in VERSIONS:
                go, port = await startGoServer(self, goServer(version, identity, "-do", "echo"))
                client = await connectOurClient(
                    ourClientOptions(), port, Collector(b"hello\n", expected=6)
                )
                run = await go.finished()
                label = f"{identity.certPath} TLS {version}:\n{run.text()}"
                self.assertEqual(bytes(client.received), b"hello\n", label)
                self.assertEqual(client.session.version, f"TLSv{version}", label)
                self.assertEqual(client.session.cipherSuite, run.value("cipher"), label)
                self.assertEqual(client.session.peerCertificate, identity.certificate)
                self.assertEqual(run.values("echoed"), ["hello"], label)
                assert client.reason is not None
                self.assertTrue(client.reason.check(ConnectionDone), label)

    async def test_keyUpdateFromOurClient(self) -> None:
        """
        Our client's C{rehandshake()} on TLS 1.3: Go answers our
        KeyUpdate(update_requested) with its own, reaching us as
        C{keysUpdated(False)}; data flows before and after.
        """
        go, port = await startGoServer(self, goServer("1.3", None, "-do", "echo"))
        client = ListeningClient(b"before\n")
        done = connectOurClient(ourClientOptions("1.3"), port, client)
        await waitFor(lambda: client.received == b"before\n", "the first echo")
        session = await client.transport.rehandshake(timeout=10)
        self.assertEqual(session.version, "TLSv1.3")
        client.transport.write(b"after\n")
        await waitFor(lambda: client.received == b"before\nafter\n", "the echo after")
        await waitFor(lambda: client.keyUpdates, "Go's KeyUpdate")
        client.transport.loseConnection()
        await done
        run = await go.finished()
        self.assertEqual(client.keyUpdates, [False], run.text())
        self.assertEqual(client.session.keyUpdates, 1)
        self.assertEqual(run.values("echoed"), ["before", "after"], run.text())
        assert client.reason is not None
        self.assertTrue(client.reason.check(ConnectionDone), client.reason)

    async def test_renegotiationRejectedByServer(self) -> None:
        """
        Go's server never renegotiates, and it does not refuse politely:
        C{crypto/tls} (C{Conn.handleRenegotiation}) expects only a
        HelloRequest after the handshake, so our client's new ClientHello
        on TLS 1.2 gets a fatal unexpected_message alert, not the warning
        no_renegotiation that would let the connection go on.  We report
        that alert: C{rehandshake()} fails with it (not with
        L{RenegotiationRefused}, which means the peer said no and the
        connection stays), the listener hears it, the connection ends with
        it, and nothing hangs.
        """
        go, port = await startGoServer(self, goServer("1.2", None, "-do", "echo"))
        client = ListeningClient(b"before\n")
        done = connectOurClient(ourClientOptions("1.2"), port, client)
        await waitFor(lambda: client.received == b"before\n", "the first echo")
        try:
            await client.transport.rehandshake(timeout=10)
        except TLSAlertError as e:
            error = e
        else:
            self.fail(f"Go's server renegotiated:\n{go.output().text()}")
        await done
        run = await go.finished()
        self.assertEqual(error.alert, AlertDescription.unexpected_message, run.text())
        self.assertFalse(error.sentByUs)
        self.assertIn("clientHelloMsg", " ".join(run.values("read-error")), run.text())
        self.assertEqual(run.values("echoed"), ["before"], run.text())
        self.assertEqual(len(client.failures), 1)
        client.failures[0].trap(TLSAlertError)
        assert client.reason is not None
        client.reason.trap(TLSAlertError)
        self.assertEqual(client.reason.value.alert, AlertDescription.unexpected_message)
        self.assertEqual(client.session.renegotiations, 0)

    async def test_clientCertificate(self) -> None:
        """
        Go's server with C{RequireAndVerifyClientCert} and our CA accepts
        our client certificate in the handshake, on both versions.
        """
        pki = cachedPKI()
        for version in VERSIONS:
            go, port = await startGoServer(
                self,
                goServer(
                    version,
                    None,
                    "-client-auth",
                    "require-and-verify",
                    "-ca",
                    pki.caPath,
                    "-do",
                    "echo",
                ),
            )
            options = ourClientOptions(
                clientCertificate=((pki.rsaClient.certificate,), pki.rsaClient.privateKey)
            )
            client = await connectOurClient(options, port, Collector(b"hello\n", expected=6))
            run = await go.finished()
            label = f"TLS {version}:\n{run.text()}"
            self.assertEqual(run.values("error"), [], label)
            self.assertEqual(run.value("peer-cert"), "test-client", label)
            self.assertEqual(run.value("version"), f"TLSv{version}", label)
            self.assertEqual(bytes(client.received), b"hello\n", label)

    async def test_clientCertificateMissing(self) -> None:
        """
        Go's server with C{RequireAndVerifyClientCert} rejects our client
        without a certificate: bad_certificate on TLS 1.2, and on TLS 1.3
        (Go 1.19 sends bad_certificate rather than certificate_required)
        after our side of the handshake is done; we report the alert and
        nothing is echoed.
        """
        pki = cachedPKI()
        for version in VERSIONS:
            go, port = await startGoServer(
                self,
                goServer(
                    version,
                    None,
                    "-client-auth",
                    "require-and-verify",
                    "-ca",
                    pki.caPath,
                    "-do",
                    "echo",
                ),
            )
            client = await connectOurClient(
                ourClientOptions(version), port, Collector(b"hello\n", expected=6)
            )
            run = await go.finished()
            label = f"TLS {version}:\n{run.text()}"
            self.assertIn("didn't provide a certificate", " ".join(run.values("error")), label)
            self.assertEqual(bytes(client.received), b"", label)
            assert client.reason is not None
            error = client.reason.value
            self.assertIsInstance(error, TLSAlertError, label)
            self.assertIn(
                error.alert,
                (AlertDescription.bad_certificate, AlertDescription.certificate_required),
                label,
            )

    async def resumeThreeTimes(self, version: str) -> None:
        """
        One L{ClientOptions} (so one session cache) makes three connections
        to one Go server: the second and third resume.
        """
        go, port = await startGoServer(
            self, goServer(version, None, "-connections", "3", "-do", "echo")
        )
        options = ourClientOptions(version)
        sessions = []
        for _ in range(3):
            client = await connectOurClient(options, port, Collector(b"ping\n", expected=5))
            self.assertEqual(bytes(client.received), b"ping\n", go.output().text())
            sessions.append(client.session)
        run = await go.finished()
        resumed = [s.resumed for s in sessions]
        self.assertEqual(resumed, [False, True, True], f"ours: {resumed}\n{run.text()}")
        self.assertEqual(run.values("resumed"), ["false", "true", "true"], run.text())
        self.assertEqual([s.version for s in sessions], [f"TLSv{version}"] * 3)

    async def test_resumptionTLS13(self) -> None:
        """
        TLS 1.3: Go's server sends tickets only to a client that offered
        psk_key_exchange_modes (RFC 8446 4.2.9), and we resume with them.
        """
        await self.resumeThreeTimes("1.3")

    async def test_resumptionTLS12(self) -> None:
        """
        TLS 1.2: Go's server resumes by session ticket (RFC 5077).
        """
        await self.resumeThreeTimes("1.2")
