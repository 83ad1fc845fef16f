# -*- test-case-name: tests.interop.test_go -*-
"""
Go's C{crypto/tls} as an interop peer: C{go/tlspeer.go} built once per test
run, and run on the reactor so that our own TLS server or client, on the
same reactor, can answer it.

The program prints C{key=value} lines, one block per connection opened by
C{conn=N}; L{GoRun} reads them back.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from twisted.internet import defer, reactor
from twisted.internet.utils import getProcessOutputAndValue

from twisted_reneg.testing.processes import PeerProcess, ProcessResult

from .peers import requirePeer

#: The Go program, beside this package's tests.
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go", "tlspeer.go")

#: The built program, once built (see L{tlspeer}).
_built: str | None = None

#: Callers waiting while the one build runs.
_waiting: list[defer.Deferred[str]] | None = None


def _goEnvironment(buildDirectory: str) -> dict[str, str]:
    """
    The environment of C{go build}: standard library only, offline.

    C{GO111MODULE=off} builds the lone file without a C{go.mod};
    C{GOPROXY=off} makes any attempt to fetch a module an error instead of
    a download.  Go's own build cache is kept when there is one (Go 1.20
    and later compile the standard library into it, which takes a while
    once); without a home directory it goes in the throwaway build
    directory (Go 1.19 ships its standard library compiled, so a cold
    cache costs it little).
    """
    env = os.environ.copy()
    env.update(
        GO111MODULE="off",
        GOPROXY="off",
        GOFLAGS="",
        # Newer Go would otherwise download the toolchain a go.mod asks for.
        GOTOOLCHAIN="local",
        CGO_ENABLED="0",
        GOPATH=os.path.join(buildDirectory, "gopath"),
    )
    if not any(env.get(name) for name in ("GOCACHE", "XDG_CACHE_HOME", "HOME")):
        env["GOCACHE"] = os.path.join(buildDirectory, "cache")
    return env


async def tlspeer() -> str:
    """
    The path of the built C{tlspeer}, building it on first use.

    The build runs as a child process on the reactor; callers arriving while
    it runs wait for that same build.  Its directory is removed at exit.

    @raise SkipTest: if C{go} is not installed (a failure under C{CI=true}).
    @raise AssertionError: if the build fails, with Go's message.
    """
    global _built, _waiting
    go = requirePeer("go")
    if _built is not None:
        return _built
    if _waiting is not None:
        waiter: defer.Deferred[str] = defer.Deferred()
        _waiting.append(waiter)
        return await waiter
    _waiting = []
    buildDirectory = tempfile.mkdtemp(prefix="tlspeer-")
    atexit.register(shutil.rmtree, buildDirectory, ignore_errors=True)
    target = os.path.join(buildDirectory, "tlspeer")
    try:
        out, err, code = await getProcessOutputAndValue(
            go,
            ["build", "-o", target, SOURCE],
            env=_goEnvironment(buildDirectory),
            path=os.path.dirname(SOURCE),
            reactor=reactor,
        )
        if code != 0:
            raise AssertionError(
                f"go build {SOURCE} failed ({code}):\n{(out + err).decode('utf-8', 'replace')}"
            )
    except BaseException as e:
        waiting, _waiting = _waiting, None
        for waiter in waiting:
            waiter.errback(e)
        raise
    _built = target
    waiting, _waiting = _waiting, None
    for waiter in waiting:
        waiter.callback(target)
    return target


@dataclass
class GoRun:
    """
    What one C{tlspeer} run printed, read back.

    @ivar lines: every C{(key, value)} pair, in order.
    @ivar connections: per connection (C{conn=N} blocks), its pairs.
    @ivar result: the raw process result, for assertion messages.
    """

    lines: list[tuple[str, str]]
    connections: list[list[tuple[str, str]]]
    result: ProcessResult = field(repr=False)

    @classmethod
    def parse(cls, result: ProcessResult) -> GoRun:
        lines: list[tuple[str, str]] = []
        connections: list[list[tuple[str, str]]] = []
        for raw in result.stdout.decode("utf-8", "replace").splitlines():
            key, sep, value = raw.partition("=")
            if not sep:
                continue
            lines.append((key, value))
            if key == "conn":
                connections.append([])
            elif connections:
                connections[-1].append((key, value))
        return cls(lines, connections, result)

    def values(self, key: str, connection: int | None = None) -> list[str]:
        """
        Every value printed under C{key}, in order: of the whole run, or of
        connection number C{connection} (counted from 1).
        """
        pairs = self.lines if connection is None else self.connections[connection - 1]
        return [value for k, value in pairs if k == key]

    def value(self, key: str, connection: int = 1) -> str | None:
        """
        The first value printed under C{key} on a connection, or C{None}.
        """
        found = self.values(key, connection) if self.connections else []
        return found[0] if found else None

    def text(self) -> str:
        return self.result.text()


class _GoProcess(PeerProcess):
    """
    A running C{tlspeer}.  Its end and its C{listening=} line may be waited
    for any number of times: each wait gets a Deferred of its own (awaiting
    one Deferred twice would give C{None} the second time).
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(reactor, timeout)
        self.result: ProcessResult | None = None
        self.port: int | None = None
        self._endWaiters: list[defer.Deferred[ProcessResult]] = []
        self._portWaiters: list[defer.Deferred[int]] = []
        self.done.addCallback(self._ended)

    def _ended(self, result: ProcessResult) -> None:
        self.result = result
        endWaiters, self._endWaiters = self._endWaiters, []
        for waiter in endWaiters:
            waiter.callback(result)
        portWaiters, self._portWaiters = self._portWaiters, []
        for portWaiter in portWaiters:
            portWaiter.errback(
                AssertionError(f"tlspeer exited before listening:\n{result.text()}")
            )

    def progress(self) -> None:
        if self.port is not None:
            return
        for line in bytes(self.out).splitlines():
            if line.startswith(b"listening="):
                self.port = int(line.split(b"=", 1)[1])
                portWaiters, self._portWaiters = self._portWaiters, []
                for waiter in portWaiters:
                    waiter.callback(self.port)
                return

    def whenEnded(self) -> defer.Deferred[ProcessResult]:
        if self.result is not None:
            return defer.succeed(self.result)
        waiter: defer.Deferred[ProcessResult] = defer.Deferred()
        self._endWaiters.append(waiter)
        return waiter

    def whenListening(self) -> defer.Deferred[int]:
        if self.port is not None:
            return defer.succeed(self.port)
        if self.result is not None:
            return defer.fail(
                AssertionError(f"tlspeer exited before listening:\n{self.result.text()}")
            )
        waiter: defer.Deferred[int] = defer.Deferred()
        self._portWaiters.append(waiter)
        return waiter


class GoPeer:
    """
    One C{tlspeer} process, started by L{startGo}.
    """

    def __init__(self, process: _GoProcess) -> None:
        self._process = process

    def type(self, line: bytes) -> None:
        """
        Feed a line to its standard input (what the C{wait} action waits for).
        """
        self._process.transport.write(line)

    def output(self) -> GoRun:
        """
        What it printed so far.
        """
        p = self._process
        return GoRun.parse(ProcessResult(None, bytes(p.out), bytes(p.err)))

    async def listening(self) -> int:
        """
        The port a server listens on, once it does.
        """
        return await self._process.whenListening()

    async def finished(self) -> GoRun:
        """
        Everything it printed, once it has exited.
        """
        return GoRun.parse(await self._process.whenEnded())

    def kill(self) -> None:
        """
        Kill it (by its own process ID) unless it has exited.
        """
        if self._process.result is None:
            self._process.transport.signalProcess("KILL")


async def startGo(testCase: object, argv: Sequence[str], timeout: float = 30.0) -> GoPeer:
    """
    Start C{tlspeer} with C{argv} on the reactor; it is killed (by its own
    process ID) when C{testCase} ends, if it has not exited by then.

    @param testCase: a L{twisted.trial.unittest.TestCase}.
    @param timeout: seconds after which it is killed whatever it is doing.
    """
    program = await tlspeer()
    process = _GoProcess(timeout)
    reactor.spawnProcess(process, program, [program, *argv], env=os.environ.copy())
    peer = GoPeer(process)

    async def stop() -> None:
        peer.kill()
        await process.whenEnded()

    testCase.addCleanup(lambda: defer.ensureDeferred(stop()))  # type: ignore[attr-defined]
    return peer


async def runGo(testCase: object, argv: Sequence[str], timeout: float = 30.0) -> GoRun:
    """
    Run C{tlspeer} with C{argv} to its end, the reactor running meanwhile.
    """
    peer = await startGo(testCase, argv, timeout)
    return await peer.finished()


async def startGoServer(
    testCase: object, argv: Sequence[str], timeout: float = 30.0
) -> tuple[GoPeer, int]:
    """
    Start C{tlspeer -mode server} on an ephemeral port of 127.0.0.1 (Go
    chooses it, so no port is guessed in advance) and wait until it listens.

    @return: the peer and its port.
    """
    peer = await startGo(testCase, ["-mode", "server", "-addr", "127.0.0.1:0", *argv], timeout)
    return peer, await peer.listening()
