"""
Real interop peers on 127.0.0.1: finding them, running their servers and
clients, and our own server/client on the same reactor.

Under C{CI=true} a missing peer is a failure, never a skip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from twisted.internet import defer, protocol, reactor, task
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from twisted.trial.unittest import SkipTest, TestCase

from twisted_reneg import ClientOptions, ServerOptions, TLSFactory
from twisted_reneg.testing.processes import PeerProcess, ProcessResult, runScripted

IN_CI = os.environ.get("CI") == "true"

#: OpenSSL names of our six suites, by IANA name.
OPENSSL_CIPHERS = {
    "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
}


def requirePeer(name: str) -> str:
    """
    The path of an interop peer executable.

    @raise SkipTest: if it is missing, except under CI=true, where a missing
        peer fails the test instead.
    """
    path = shutil.which(name)
    if path is None:
        message = f"interop peer {name!r} not installed (scripts/install-peers.sh installs it)"
        if IN_CI:
            raise AssertionError(message)
        raise SkipTest(message)
    return path


def freePort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def isListening(port: int) -> bool:
    """
    Whether some socket listens on C{port}, read from the kernel's tables.
    """
    wanted = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[1].endswith(wanted) and fields[3] == "0A":
                        return True
        except OSError:
            continue
    return False


def payload(size: int, seed: bytes = b"twisted_reneg") -> bytes:
    """
    Deterministic text: lowercase hex in 64-character lines.  Text because
    peer command-line tools treat some input bytes as commands or line
    ends; hex because it has no command letters.
    """
    lines = []
    block = hashlib.sha256(seed).hexdigest()
    total = 0
    while total < size:
        block = hashlib.sha256(block.encode()).hexdigest()
        line = (block + block)[:63] + "\n"
        lines.append(line)
        total += 64
    return "".join(lines).encode()[:size]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PeerServer:
    """
    A peer's server process listening on 127.0.0.1:C{port}.
    """

    def __init__(self, argv: Sequence[str], port: int, stdin: bytes | None = None) -> None:
        self.argv = list(argv)
        self.port = port
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        # A pipe we never write to: servers that read their stdin (s_server
        # without -rev) take end-of-file as "quit".
        stdinFile: Any = subprocess.PIPE
        if stdin is not None:
            stdinFile = tempfile.TemporaryFile()
            stdinFile.write(stdin)
            stdinFile.seek(0)
        self.process = subprocess.Popen(
            self.argv, stdin=stdinFile, stdout=self._out, stderr=self._err
        )
        self._waitForPort()

    def _waitForPort(self, timeout: float = 10.0) -> None:
        """
        Wait until the port is listening, without connecting to it: a probe
        connection would use up a server started to accept just one.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.argv[0]} exited early:\n{self.output()}")
            if isListening(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"{self.argv[0]} did not listen on {self.port}:\n{self.output()}")

    def type(self, line: bytes) -> None:
        """
        Type a line into the server's standard input (s_server's commands:
        C{r}, C{R}, C{k}, C{K}, or data to send).
        """
        assert self.process.stdin is not None
        self.process.stdin.write(line)
        self.process.stdin.flush()

    def stop(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stdout(self) -> bytes:
        self._out.seek(0)
        return self._out.read()

    def output(self) -> str:
        self._err.seek(0)
        err = self._err.read()
        return (self.stdout()[-4000:] + b"\n--- stderr ---\n" + err[-4000:]).decode(
            "utf-8", "replace"
        )


def startPeerServer(
    testCase: TestCase, argv: Sequence[str], port: int, stdin: bytes | None = None
) -> PeerServer:
    server = PeerServer(argv, port, stdin)
    testCase.addCleanup(server.stop)
    return server


PeerResult = ProcessResult


class _PeerClient(PeerProcess):
    """
    Writes C{stdin} (at once, or once C{sendWhen} holds for the output so
    far) and closes standard input when C{closeStdinWhen} holds (or right
    after writing).
    """

    def __init__(
        self,
        stdin: bytes,
        closeStdinWhen: Callable[[bytes], bool] | None,
        sendWhen: Callable[[bytes], bool] | None,
        timeout: float,
    ) -> None:
        super().__init__(reactor, timeout)
        self.stdin = stdin
        self.closeStdinWhen = closeStdinWhen
        self.sendWhen = sendWhen
        self.sent = False
        self.stdinClosed = False

    def progress(self) -> None:
        seen = bytes(self.out) + bytes(self.err)
        if not self.sent and (self.sendWhen is None or self.sendWhen(seen)):
            self.sent = True
            if self.stdin:
                self.transport.write(self.stdin)
        if self.sent and not self.stdinClosed:
            if self.closeStdinWhen is None or self.closeStdinWhen(seen):
                self.stdinClosed = True
                self.transport.closeStdin()


def runPeerClient(
    argv: Sequence[str],
    stdin: bytes = b"",
    closeStdinWhen: Callable[[bytes], bool] | None = None,
    sendWhen: Callable[[bytes], bool] | None = None,
    timeout: float = 60.0,
) -> defer.Deferred[PeerResult]:
    """
    Run a peer's client on the reactor.

    @param stdin: bytes to write to its standard input.
    @param sendWhen: write C{stdin} only once the output so far satisfies
        this (e.g. the handshake report); at once if C{None}.
    @param closeStdinWhen: close standard input once the output so far
        satisfies this; right after writing if C{None}.
    """
    client = _PeerClient(stdin, closeStdinWhen, sendWhen, timeout)
    reactor.spawnProcess(  # type: ignore[attr-defined]
        client, argv[0], list(argv), env=os.environ.copy()
    )
    return client.done


# --- our side -----------------------------------------------------------------


class DigestEcho(protocol.Protocol):
    """
    Our test server: echoes everything, remembers a digest of what came in,
    and closes cleanly once C{expected} bytes have been echoed (if given).
    """

    expected: int | None = None

    def __init__(self) -> None:
        self.received = bytearray()
        self.lost: defer.Deferred[None] = defer.Deferred()
        self.reason: Failure | None = None
        self.session: Any = None

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        self.transport.write(data)
        if self.expected is not None and len(self.received) >= self.expected:
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.session = getattr(self.transport, "session", None)
        self.reason = reason
        self.lost.callback(None)


class OurServer:
    """
    Our TLS server on 127.0.0.1; C{protocols} collects every connection's
    protocol, and C{nextConnection()} waits for the next one to end.
    """

    def __init__(
        self,
        testCase: TestCase,
        options: ServerOptions,
        expected: int | None = None,
        protocolClass: type[DigestEcho] = DigestEcho,
    ) -> None:
        self.protocols: list[DigestEcho] = []
        self._waiting: list[defer.Deferred[DigestEcho]] = []

        def build() -> DigestEcho:
            p = protocolClass()
            p.expected = expected
            self.protocols.append(p)
            p.lost.addBoth(lambda _: self._ended(p))
            return p

        factory = TLSFactory(options, False, protocol.Factory.forProtocol(build))
        self.port = reactor.listenTCP(0, factory, interface="127.0.0.1")  # type: ignore[attr-defined]
        self.portNumber: int = self.port.getHost().port
        testCase.addCleanup(self.port.stopListening)
        self._ended_: list[DigestEcho] = []

    def _ended(self, p: DigestEcho) -> None:
        if self._waiting:
            self._waiting.pop(0).callback(p)
        else:
            self._ended_.append(p)

    def nextConnection(self) -> defer.Deferred[DigestEcho]:
        """
        The next connection's protocol, once that connection has ended.
        """
        if self._ended_:
            return defer.succeed(self._ended_.pop(0))
        d: defer.Deferred[DigestEcho] = defer.Deferred()
        self._waiting.append(d)
        return d


class Collector(protocol.Protocol):
    """
    Our test client: sends C{toSend} once connected (before the handshake:
    the transport holds it), collects what comes back, and closes cleanly
    once C{expected} bytes arrived.
    """

    def __init__(self, toSend: bytes = b"", expected: int | None = None) -> None:
        self.toSend = toSend
        self.expected = expected
        self.received = bytearray()
        self.lost: defer.Deferred[Collector] = defer.Deferred()
        self.reason: Failure | None = None
        self.session: Any = None

    def connectionMade(self) -> None:
        if self.toSend:
            self.transport.write(self.toSend)

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if self.expected is not None and len(self.received) >= self.expected:
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.session = getattr(self.transport, "session", None)
        self.reason = reason
        self.lost.callback(self)


def connectOurClient(
    options: ClientOptions,
    port: int,
    client: Collector,
    timeout: float = 60.0,
    localPort: int | None = None,
) -> defer.Deferred[Collector]:
    """
    Connect our TLS client to 127.0.0.1:C{port}; fires with C{client} once
    the connection has ended (for whatever reason).

    @param localPort: connect from 127.0.0.1:C{localPort} (a known port,
        for the tests that check what the server learns of its peer).
    """

    class OneClient(protocol.ClientFactory):
        def buildProtocol(self, addr: object) -> Collector:
            return client

        def clientConnectionFailed(self, connector: object, reason: Failure) -> None:
            client.reason = reason
            client.lost.callback(client)

    factory = TLSFactory(options, True, OneClient())
    bindAddress = None if localPort is None else ("127.0.0.1", localPort)
    connector = reactor.connectTCP(  # type: ignore[attr-defined]
        "127.0.0.1", port, factory, timeout=10, bindAddress=bindAddress
    )

    def timedOut() -> None:
        connector.disconnect()

    timer = reactor.callLater(timeout, timedOut)  # type: ignore[attr-defined]

    def done(result: Collector) -> Collector:
        if timer.active():
            timer.cancel()
        return result

    return client.lost.addCallback(done)


def runScriptedClient(
    argv: Sequence[str], steps: Sequence[tuple[bytes, bytes | None]], timeout: float = 30.0
) -> defer.Deferred[PeerResult]:
    """
    Run a peer's client, typing C{steps} (see L{ScriptedProcess}).  A step
    whose marker never showed fails the test: a script that stalls must not
    pass on the strength of the assertions after it.
    """

    def check(result: PeerResult) -> PeerResult:
        if result.unfinishedSteps:
            raise AssertionError(
                f"peer never showed {result.unfinishedSteps[0][0]!r}:\n{result.text()}"
            )
        return result

    return runScripted(argv, steps, timeout).addCallback(check)


async def waitFor(condition: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    """
    Poll C{condition} until it holds, instead of sleeping a guessed time
    (which is either slow or flaky under load); fail after C{timeout}
    seconds, naming C{what}.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await task.deferLater(reactor, 0.02, lambda: None)


def handshaken(client: Collector) -> Callable[[], bool]:
    """
    A condition for L{waitFor}: C{client}'s first handshake is done.
    """
    return lambda: client.transport is not None and client.transport.session is not None
