# -*- test-case-name: tests.test_reload -*-
"""
Reload, rotate (P11 items 3 and 4), with real sockets on 127.0.0.1:

  - L{ServerOptions.reload}: a renewed certificate reaches new connections
    while a live one keeps its own, even across TLS 1.2 renegotiations
    (which a client refuses if the server's certificate changes); options
    built in code reload from new options; a reload that fails raises,
    names the file, and changes nothing.
  - C{SIGHUP} to C{twistd reneg}: the renewed certificate, the process
    alive, tickets issued before the reload still resuming; a broken file
    logged by name while the old settings keep serving.
  - A ticket key rotated across two C{twistd reneg} processes sharing one
    C{ticketKeys} file, a ticket of either resuming on the other at every
    step, including while only one of them has reloaded.
  - C{--workers 2}: C{SIGHUP} reloads both workers.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from twisted.internet import defer, protocol, reactor
from twisted.internet.interfaces import IHandshakeListener
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase
from zope.interface import implementer

from twisted_reneg import (
    ClientOptions,
    RenegotiationPolicy,
    ServerOptions,
    TLSAlertError,
    TLSFactory,
)
from twisted_reneg._files import CertificateFileError
from twisted_reneg.endpoints import serverOptionsFromKeywords
from twisted_reneg.testing.pki import CertifiedKey, makeCertificate
from twisted_reneg.tls.errors import AlertDescription
from twisted_reneg.tls.tickets import ClientSessionCache, _TicketKey

from ._twistd import TWISTD, children
from .interop.peers import Collector, connectOurClient, freePort, isListening, waitFor

#: What C{reloadAll} logs, per listener, after a C{SIGHUP}.
RELOADED = b"Reloaded the reneg: listener"
RELOAD_FAILED = b"Reload of the reneg: listener"


class RenewablePKI:
    """
    A CA of our own, and the C{localhost} certificates it issues: renewing
    a certificate takes the CA's key, which L{cachedPKI} does not keep.
    """

    def __init__(self) -> None:
        self.ca = makeCertificate("twisted_reneg reload test CA", ca=True)

    def issue(self, notBefore: datetime) -> CertifiedKey:
        """
        A server certificate for C{localhost} and 127.0.0.1, with a new key:
        every one issued has the same subject, as a renewal does.
        """
        return makeCertificate(
            "localhost",
            issuer=self.ca,
            subjectAltNames=["localhost", "127.0.0.1"],
            extendedKeyUsage=["serverAuth"],
            notBefore=notBefore,
        )

    def clientOptions(self, **kw: Any) -> ClientOptions:
        return ClientOptions("localhost", trustRoots=[self.ca.certificate], **kw)


def replaceFile(path: str, data: bytes) -> None:
    """
    Replace C{path} at once (a rename), as a deploy hook does: a reload
    never reads half a file.
    """
    staging = path + ".new"
    with open(staging, "wb") as f:
        f.write(data)
    os.replace(staging, path)


def install(identity: CertifiedKey, certPath: str, keyPath: str) -> None:
    """
    Put a certificate and its key where the server reads them.
    """
    replaceFile(keyPath, identity.privateKeyPEM())
    replaceFile(certPath, identity.certificatePEM())


def writeTicketKeys(path: str, *lines: str) -> None:
    replaceFile(path, "".join(line + "\n" for line in lines).encode())


def keyName(secret: bytes) -> bytes:
    """
    The name of a ticket key, which starts every ticket it seals.
    """
    return _TicketKey(secret).name


async def exchange(options: ClientOptions, port: int) -> Collector:
    """
    Connect to 127.0.0.1:C{port}, send a line, get it echoed, close.
    """
    client = await connectOurClient(options, port, Collector(b"ping\n", expected=5), timeout=20)
    if bytes(client.received) != b"ping\n":
        raise AssertionError(f"no echo from port {port}: {client.reason}")
    return client


def moveTicket(cache: ClientSessionCache, fromPort: int, toPort: int) -> bytes:
    """
    Offer the ticket the server on C{fromPort} gave to the server on
    C{toPort}; return the ticket.

    Our client keeps sessions by (server name, port), so that different
    servers never see each other's tickets.  Two processes sharing ticket
    keys stand for the machines behind one address (a load balancer), which
    a client cannot tell apart: here they listen on two ports, so the
    ticket goes from the first port's entry to the second's, through the
    cache's own C{take} and C{store}.  The next connection to C{toPort}
    offers it exactly as a client behind a balancer would.  (The
    alternative, both processes on one port, needs a balancer in the
    test: more moving parts, and no control over which process answers.)
    """
    entry = cache.take(("localhost", fromPort), time.time())
    if entry is None:
        raise AssertionError(f"the server on port {fromPort} gave no ticket")
    cache.store(("localhost", toPort), entry)
    ticket = entry.ticket
    if ticket is None:
        raise AssertionError(f"the server on port {fromPort} gave a session ID, not a ticket")
    return ticket


# --- in-process: ServerOptions.reload ---------------------------------------


class Echo(protocol.Protocol):
    transport: Any

    def connectionMade(self) -> None:
        self.gone = False

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.gone = True


@implementer(IHandshakeListener)
class Held(protocol.Protocol):
    """
    A client connection kept open: collects what comes back.
    """

    transport: Any

    def __init__(self) -> None:
        self.handshook: defer.Deferred[None] = defer.Deferred()
        self.lost: defer.Deferred[None] = defer.Deferred()
        self.reason: Failure | None = None
        self.received = bytearray()

    def handshakeCompleted(self) -> None:
        if not self.handshook.called:  # also called after each renegotiation
            self.handshook.callback(None)

    def dataReceived(self, data: bytes) -> None:
        self.received += data

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        if not self.handshook.called:
            self.handshook.errback(reason)
        self.reason = reason
        self.lost.callback(None)


class FileTestCase(TestCase):
    """
    A certificate and key on disk, and a renewal of it: same name, new key,
    later notBefore.
    """

    timeout = 60

    def setUp(self) -> None:
        self.pki = RenewablePKI()
        now = datetime.now(timezone.utc)
        self.original = self.pki.issue(now - timedelta(days=30))
        self.renewed = self.pki.issue(now - timedelta(minutes=1))
        assert self.renewed.certificate.subject == self.original.certificate.subject
        self.directory = os.path.abspath(self.mktemp())
        os.makedirs(self.directory)
        self.certPath = os.path.join(self.directory, "server.pem")
        self.keyPath = os.path.join(self.directory, "server-key.pem")
        self.ticketKeysPath = os.path.join(self.directory, "ticket-keys")
        install(self.original, self.certPath, self.keyPath)

    async def presented(self, port: int, **kw: Any) -> x509.Certificate:
        """
        The certificate a new connection gets (a full handshake: new
        options, no ticket).
        """
        client = await exchange(self.pki.clientOptions(**kw), port)
        self.assertFalse(client.session.resumed)
        certificate = client.session.peerCertificate
        assert certificate is not None
        return certificate


class ReloadTests(FileTestCase):
    """
    L{ServerOptions.reload} under a listening L{TLSFactory}.
    """

    def listen(self, options: ServerOptions) -> int:
        self.servers: list[Echo] = []

        def build() -> Echo:
            echo = Echo()
            self.servers.append(echo)
            return echo

        factory = TLSFactory(options, False, protocol.Factory.forProtocol(build))
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")  # type: ignore[attr-defined]
        self.addCleanup(port.stopListening)
        # Before the port closes: the server's side of every connection.
        self.addCleanup(
            waitFor, lambda: all(s.gone for s in self.servers), "server connections to close"
        )
        return int(port.getHost().port)

    async def hold(self, port: int, **kw: Any) -> tuple[Held, Echo]:
        """
        Open a connection and keep it; its client and server protocols.
        """
        held = Held()

        class One(protocol.ClientFactory):
            def buildProtocol(self, addr: object) -> Held:
                return held

        reactor.connectTCP(  # type: ignore[attr-defined]
            "127.0.0.1", port, TLSFactory(self.pki.clientOptions(**kw), True, One())
        )
        await held.handshook
        local = held.transport.getHost().port
        server = next(s for s in self.servers if s.transport.getPeer().port == local)
        return held, server

    async def close(self, held: Held) -> None:
        held.transport.loseConnection()
        await held.lost

    async def test_newConnectionsRenewedLiveOnesKeepTheirs(self) -> None:
        """
        After the files are replaced and C{reload()}, new connections get
        the renewed certificate; a connection opened before keeps the
        original, and renegotiates with it, started by either side.
        """
        options = ServerOptions.fromPEM(
            self.certPath,
            self.keyPath,
            renegotiation=RenegotiationPolicy(allowPeerInitiated=True),
        )
        port = self.listen(options)
        self.assertEqual(await self.presented(port), self.original.certificate)
        held, server = await self.hold(port, maxVersion="1.2")
        self.assertEqual(held.transport.session.peerCertificate, self.original.certificate)

        install(self.renewed, self.certPath, self.keyPath)
        options.reload()

        self.assertEqual(await self.presented(port), self.renewed.certificate)
        self.assertEqual(await self.presented(port, maxVersion="1.2"), self.renewed.certificate)
        # The client checks that a renegotiation keeps the server's
        # certificate (test_changedCertificateRefused): these succeed only
        # because the live connection kept its credential.
        session = await server.transport.rehandshake(timeout=10)
        self.assertEqual(session.renegotiations, 1)
        await waitFor(
            lambda: held.transport.session.renegotiations == 1, "the client's renegotiation"
        )
        session = await held.transport.rehandshake(timeout=10)
        self.assertEqual(session.renegotiations, 2)
        self.assertEqual(session.version, "TLSv1.2")
        self.assertEqual(session.peerCertificate, self.original.certificate)
        held.transport.write(b"still here\n")
        await waitFor(lambda: held.received == b"still here\n", "the echo after renegotiating")
        self.assertFalse(held.lost.called)
        await self.close(held)
        # And a new connection still gets the renewed one.
        self.assertEqual(await self.presented(port), self.renewed.certificate)

    async def test_changedCertificateRefused(self) -> None:
        """
        What the test above relies on: were a live connection to take the
        reloaded credential, the client would refuse the renegotiation
        (RFC 7627's triple-handshake defence) and the connection would end.
        """
        options = ServerOptions.fromPEM(self.certPath, self.keyPath)
        port = self.listen(options)
        held, server = await self.hold(port, maxVersion="1.2")
        install(self.renewed, self.certPath, self.keyPath)
        options.reload()
        # Force what reload() must never do: the live connection's engine
        # takes the new settings for its next handshake.
        server.transport._tls.config = options.tlsConfig()
        renegotiated = server.transport.rehandshake(timeout=10)
        await held.lost
        assert held.reason is not None
        self.assertIn("server certificate changed during renegotiation", str(held.reason.value))
        with self.assertRaises(TLSAlertError) as caught:
            await renegotiated
        self.assertEqual(caught.exception.alert, AlertDescription.bad_certificate)
        self.assertFalse(caught.exception.sentByUs)

    async def test_reloadFromNewOptions(self) -> None:
        """
        Options built in code reload from new options (and without them,
        say so); the random ticket keys stay, so sessions keep resuming.
        """
        options = ServerOptions([self.original.certificate], self.original.privateKey)
        port = self.listen(options)
        resuming13 = self.pki.clientOptions()
        resuming12 = self.pki.clientOptions(maxVersion="1.2")
        for resuming in (resuming13, resuming12):
            first = await exchange(resuming, port)
            self.assertEqual(first.session.peerCertificate, self.original.certificate)
            self.assertFalse(first.session.resumed)
        with self.assertRaises(ValueError) as caught:
            options.reload()
        self.assertIn("not made from files", str(caught.exception))
        self.assertEqual(await self.presented(port), self.original.certificate)

        options.reload(ServerOptions([self.renewed.certificate], self.renewed.privateKey))

        self.assertEqual(await self.presented(port), self.renewed.certificate)
        for resuming, version in ((resuming13, "TLSv1.3"), (resuming12, "TLSv1.2")):
            again = await exchange(resuming, port)
            self.assertTrue(again.session.resumed, version)
            self.assertEqual(again.session.version, version)

    async def test_reloadKeepsSessionCache(self) -> None:
        """
        Without tickets, TLS 1.2 resumes by session ID from the server's
        cache, which a reload keeps.
        """
        options = ServerOptions(
            [self.original.certificate], self.original.privateKey, sessionTickets=False
        )
        port = self.listen(options)
        resuming = self.pki.clientOptions(maxVersion="1.2")
        self.assertFalse((await exchange(resuming, port)).session.resumed)
        options.reload(
            ServerOptions(
                [self.renewed.certificate], self.renewed.privateKey, sessionTickets=False
            )
        )
        self.assertTrue((await exchange(resuming, port)).session.resumed)
        self.assertEqual(await self.presented(port), self.renewed.certificate)

    def assertReloadFails(
        self, options: ServerOptions, *named: str, error: type[ValueError] = CertificateFileError
    ) -> str:
        with self.assertRaises(error) as caught:
            options.reload()
        message = str(caught.exception)
        for name in named:
            self.assertIn(name, message)
        return message

    async def test_failedReloadChangesNothing(self) -> None:
        """
        A missing file, or a certificate renewed before its key is in
        place: C{reload()} raises naming the file, and the options keep
        serving the certificate they had.
        """
        options = ServerOptions.fromPEM(self.certPath, self.keyPath)
        port = self.listen(options)
        os.remove(self.keyPath)
        self.assertReloadFails(options, repr(self.keyPath), "cannot read")
        self.assertEqual(await self.presented(port), self.original.certificate)

        replaceFile(self.keyPath, self.original.privateKeyPEM())
        replaceFile(self.certPath, self.renewed.certificatePEM())
        self.assertReloadFails(options, repr(self.keyPath), "does not belong")
        self.assertEqual(await self.presented(port), self.original.certificate)

        os.remove(self.certPath)
        self.assertReloadFails(options, repr(self.certPath))
        self.assertEqual(await self.presented(port), self.original.certificate)
        credential = options.tlsConfig().credential
        assert credential is not None
        self.assertEqual(credential.chain[0], self.original.certificate)

        # Once both files are in place, it takes.
        install(self.renewed, self.certPath, self.keyPath)
        options.reload()
        self.assertEqual(await self.presented(port), self.renewed.certificate)

    async def test_badTicketKeysChangeNothing(self) -> None:
        """
        Options from C{reneg:} keywords with C{ticketKeys=}: a reload
        whose ticket key file has a bad line raises naming the file and the
        line, and takes nothing, not even the renewed certificate beside
        it; tickets keep resuming.  Once fixed (the new key sealing, the old
        one open-only), the reload takes, and the old tickets still open.
        """
        old, new = os.urandom(32), os.urandom(32)
        writeTicketKeys(self.ticketKeysPath, old.hex())
        options = serverOptionsFromKeywords(
            {
                "privateKey": self.keyPath,
                "certKey": self.certPath,
                "ticketKeys": self.ticketKeysPath,
            }
        )
        port = self.listen(options)
        resuming = self.pki.clientOptions()
        self.assertFalse((await exchange(resuming, port)).session.resumed)

        install(self.renewed, self.certPath, self.keyPath)
        writeTicketKeys(
            self.ticketKeysPath, "# rotating", new.hex(), f"{old.hex()[:-2]} open-only"
        )
        self.assertReloadFails(
            options, f"{self.ticketKeysPath}:3", "64 hex digits", error=ValueError
        )
        self.assertEqual(await self.presented(port), self.original.certificate)
        self.assertTrue((await exchange(resuming, port)).session.resumed)

        writeTicketKeys(self.ticketKeysPath, "# rotating", new.hex(), f"{old.hex()} open-only")
        options.reload()
        self.assertEqual(await self.presented(port), self.renewed.certificate)
        # A ticket sealed with the old key, given out before the reload.
        self.assertTrue((await exchange(resuming, port)).session.resumed)
        fresh = self.pki.clientOptions()
        await exchange(fresh, port)
        assert fresh.sessionCache is not None
        self.assertEqual(moveTicket(fresh.sessionCache, port, port)[:16], keyName(new))

    async def test_endpointKeyMismatchNamesTheKeyFile(self) -> None:
        """
        What C{SIGHUP} reloads (options from C{reneg:} keywords): a
        certificate renewed before its key is in place fails naming the
        key file.
        """
        options = serverOptionsFromKeywords({"privateKey": self.keyPath, "certKey": self.certPath})
        port = self.listen(options)
        replaceFile(self.certPath, self.renewed.certificatePEM())
        self.assertReloadFails(options, repr(self.keyPath), "does not belong")
        self.assertEqual(await self.presented(port), self.original.certificate)


# --- twistd reneg, SIGHUP ---------------------------------------------------


class Twistd:
    """
    A C{twistd -n reneg ... --echo} process, its log in a file.
    """

    def __init__(self, testCase: TestCase, listen: str, *arguments: str) -> None:
        self.logPath = testCase.mktemp()
        with open(self.logPath, "wb") as log:
            self.process = subprocess.Popen(
                [TWISTD, "-n", "--pidfile=", "reneg", "--listen", listen, "--echo", *arguments],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        testCase.addCleanup(self.stop)

    def stop(self) -> None:
        """
        Kill the process and its workers, by their PIDs (workers first,
        while they are still known as its children).
        """
        for pid in children(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def log(self) -> bytes:
        with open(self.logPath, "rb") as f:
            return f.read()

    def reloads(self) -> list[bytes]:
        """
        The log lines of every reload, successful or not.
        """
        return [
            line for line in self.log().splitlines() if RELOADED in line or RELOAD_FAILED in line
        ]

    def assertAlive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(
                f"twistd exited ({self.process.returncode}):\n{self.log().decode()}"
            )

    async def started(self, port: int, workers: int = 0) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                return True
            if workers:
                return len(re.findall(rb"\] worker \d+ started", self.log())) >= workers
            return isListening(port)

        await waitFor(ready, f"twistd to listen on {port}")
        self.assertAlive()

    async def hangup(self, lines: int = 1) -> list[bytes]:
        """
        Send C{SIGHUP}; wait for the reload's log line(s), which it returns,
        the process still running.
        """
        before = len(self.reloads())
        self.process.send_signal(signal.SIGHUP)
        await waitFor(
            lambda: len(self.reloads()) >= before + lines or self.process.poll() is not None,
            f"{lines} reload log line(s)",
        )
        self.assertAlive()
        return self.reloads()[before:]

    async def reload(self, lines: int = 1) -> None:
        """
        C{SIGHUP}, and every listener reloaded.
        """
        for line in await self.hangup(lines):
            if RELOADED not in line:
                raise AssertionError(line.decode())


class HangupTests(FileTestCase):
    """
    C{SIGHUP} to C{twistd reneg --listen reneg:...:ticketKeys=...}.
    """

    def listenString(self, port: int, ticketKeys: bool = True) -> str:
        listen = (
            f"reneg:{port}:interface=127.0.0.1:privateKey={self.keyPath}:certKey={self.certPath}"
        )
        return listen + (f":ticketKeys={self.ticketKeysPath}" if ticketKeys else "")

    async def test_renewedOnHangup(self) -> None:
        """
        The renewed certificate after C{SIGHUP}, a ticket from before it
        still resuming, the process alive; then broken files: an error
        naming each, and the previous settings serving on.
        """
        writeTicketKeys(self.ticketKeysPath, os.urandom(32).hex())
        port = freePort()
        server = Twistd(self, self.listenString(port))
        await server.started(port)
        resuming = self.pki.clientOptions()
        first = await exchange(resuming, port)
        self.assertFalse(first.session.resumed)
        self.assertEqual(first.session.peerCertificate, self.original.certificate)
        self.assertTrue((await exchange(resuming, port)).session.resumed)

        install(self.renewed, self.certPath, self.keyPath)
        [line] = await server.hangup()
        self.assertIn(RELOADED + b" on 127.0.0.1:%d: certificate CN=localhost" % port, line)
        self.assertEqual(await self.presented(port), self.renewed.certificate)
        # The ticket the second connection got, before the reload.
        self.assertTrue((await exchange(resuming, port)).session.resumed)
        server.assertAlive()

        # A certificate file cut short.
        pem = self.renewed.certificatePEM()
        replaceFile(self.certPath, pem[: len(pem) // 2])
        [line] = await server.hangup()
        self.assertIn(RELOAD_FAILED + b" on 127.0.0.1:%d failed" % port, line)
        self.assertIn(repr(self.certPath).encode(), line)
        self.assertEqual(await self.presented(port), self.renewed.certificate)
        self.assertTrue((await exchange(resuming, port)).session.resumed)

        # The certificate renewed again, but a bad ticket key line beside it.
        install(self.pki.issue(datetime.now(timezone.utc)), self.certPath, self.keyPath)
        writeTicketKeys(self.ticketKeysPath, os.urandom(32).hex(), "0123 open-only")
        [line] = await server.hangup()
        self.assertIn(RELOAD_FAILED, line)
        self.assertIn(f"{self.ticketKeysPath}:2".encode(), line)
        self.assertEqual(await self.presented(port), self.renewed.certificate)
        self.assertTrue((await exchange(resuming, port)).session.resumed)
        server.assertAlive()

    async def test_workersReload(self) -> None:
        """
        C{--workers 2}: one C{SIGHUP} to the parent reloads both workers;
        every new connection then gets the renewed certificate, and the
        parent's ticket key survives the reload.
        """
        port = freePort()
        server = Twistd(self, self.listenString(port, ticketKeys=False), "--workers", "2")
        await server.started(port, workers=2)
        workers = children(server.process.pid)
        self.assertEqual(len(workers), 2)
        resuming = self.pki.clientOptions()
        first = await exchange(resuming, port)
        self.assertEqual(first.session.peerCertificate, self.original.certificate)

        install(self.renewed, self.certPath, self.keyPath)
        await server.reload(lines=2)

        for _ in range(8):
            self.assertEqual(await self.presented(port), self.renewed.certificate)
        self.assertTrue((await exchange(resuming, port)).session.resumed)
        self.assertEqual(children(server.process.pid), workers)  # none died, none replaced
        self.assertEqual(server.log().count(RELOADED), 2)
        self.assertNotIn(RELOAD_FAILED, server.log())


class RotationTests(FileTestCase):
    """
    Two C{twistd reneg} processes with one C{ticketKeys} file rotate their
    ticket key in three steps, each applied with C{SIGHUP} to one process
    and then the other.  Between any two reloads, a ticket either process
    gives out resumes on the other, over TLS 1.3 and TLS 1.2.
    """

    timeout = 120

    async def ticketFrom(self, port: int, version: str) -> tuple[ClientOptions, bytes]:
        """
        A full handshake with new client options; those options and the
        ticket the server gave.
        """
        options = self.pki.clientOptions(maxVersion=version)
        client = await exchange(options, port)
        self.assertFalse(client.session.resumed)
        self.assertEqual(client.session.version, f"TLSv{version}")
        assert options.sessionCache is not None
        return options, moveTicket(options.sessionCache, port, port)

    async def resumes(self, options: ClientOptions, ticketPort: int, port: int) -> bool:
        """
        Whether the ticket C{options} keep for C{ticketPort} resumes on C{port}.
        """
        assert options.sessionCache is not None
        moveTicket(options.sessionCache, ticketPort, port)
        return bool((await exchange(options, port)).session.resumed)

    async def assertCrossResumption(
        self, step: str, ports: dict[str, int], sealing: dict[str, bytes]
    ) -> None:
        """
        For each process, and each version: a ticket it gives out is sealed
        with the key C{sealing} says, and resumes on the other process.
        """
        for version in ("1.3", "1.2"):
            for issuer, other in (("A", "B"), ("B", "A")):
                what = f"{step}: a TLS {version} ticket of {issuer}"
                options, ticket = await self.ticketFrom(ports[issuer], version)
                self.assertEqual(ticket[:16], keyName(sealing[issuer]), f"{what}: sealing key")
                self.assertTrue(
                    await self.resumes(options, ports[issuer], ports[other]),
                    f"{what} did not resume on {other}",
                )

    async def test_rotation(self) -> None:
        old, new = os.urandom(32), os.urandom(32)
        writeTicketKeys(self.ticketKeysPath, f"{old.hex()}  # in use since the start")
        ports = {"A": freePort(), "B": freePort()}
        servers = {}
        for name, port in ports.items():
            servers[name] = Twistd(
                self,
                f"reneg:{port}:interface=127.0.0.1:privateKey={self.keyPath}"
                f":certKey={self.certPath}:ticketKeys={self.ticketKeysPath}",
            )
        for name, port in ports.items():
            await servers[name].started(port)
        a, b = servers["A"], servers["B"]
        await self.assertCrossResumption("start", ports, {"A": old, "B": old})
        # Tickets sealed with the old key, to offer once it is dropped.
        stale = [await self.ticketFrom(ports["A"], "1.3") for _ in range(3)]
        for _, ticket in stale:
            self.assertEqual(ticket[:16], keyName(old))

        # Step 1: the new key opens everywhere; the old one still seals.
        writeTicketKeys(self.ticketKeysPath, old.hex(), f"{new.hex()} open-only")
        await a.reload()
        await self.assertCrossResumption("step 1, A reloaded", ports, {"A": old, "B": old})
        await b.reload()
        await self.assertCrossResumption("step 1", ports, {"A": old, "B": old})

        # Step 2: the new key seals, the old one only opens.  In between,
        # B opens A's new tickets with the key step 1 gave it.
        writeTicketKeys(self.ticketKeysPath, new.hex(), f"{old.hex()} open-only")
        await a.reload()
        await self.assertCrossResumption("step 2, A reloaded", ports, {"A": new, "B": old})
        await b.reload()
        await self.assertCrossResumption("step 2", ports, {"A": new, "B": new})

        # Step 3, a ticket lifetime later: the old key goes.
        writeTicketKeys(self.ticketKeysPath, new.hex())
        await a.reload()
        await self.assertCrossResumption("step 3, A reloaded", ports, {"A": new, "B": new})
        options, _ = stale[0]
        self.assertFalse(await self.resumes(options, ports["A"], ports["A"]))
        options, _ = stale[1]
        self.assertTrue(await self.resumes(options, ports["A"], ports["B"]))
        await b.reload()
        await self.assertCrossResumption("step 3", ports, {"A": new, "B": new})
        options, _ = stale[2]
        self.assertFalse(await self.resumes(options, ports["A"], ports["B"]))
        for server in servers.values():
            server.assertAlive()
            self.assertNotIn(RELOAD_FAILED, server.log())
