# -*- test-case-name: tests.interop.test_openssl, tests.interop.test_go -*-
"""
Driving command-line TLS peers (openssl s_client, gnutls-cli, our own CLI)
from a running reactor, the way a person types into them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from twisted.internet import defer, protocol
from twisted.internet.error import ProcessDone
from twisted.python.failure import Failure


@dataclass
class ProcessResult:
    """
    How a peer process ended and what it printed.
    """

    exitCode: int | None
    stdout: bytes
    stderr: bytes
    #: Script steps never reached (their markers never showed).
    unfinishedSteps: tuple[tuple[bytes, bytes | None], ...] = ()

    def text(self) -> str:
        """
        The tail of both streams, for assertion messages.
        """
        return (self.stdout[-4000:] + b"\n--- stderr ---\n" + self.stderr[-4000:]).decode(
            "utf-8", "replace"
        )


class PeerProcess(protocol.ProcessProtocol):
    """
    Collects a process's output, kills it after C{timeout}, and fires
    C{done} with a L{ProcessResult}.  Subclasses react to output in
    L{progress}.
    """

    transport: Any

    def __init__(self, reactor: Any, timeout: float) -> None:
        self.out = bytearray()
        self.err = bytearray()
        self.done: defer.Deferred[ProcessResult] = defer.Deferred()
        self._timer = reactor.callLater(timeout, self._timedOut)

    def progress(self) -> None:
        """
        Called after every chunk of output (and once at start).
        """

    def connectionMade(self) -> None:
        self.progress()

    def outReceived(self, data: bytes) -> None:
        self.out += data
        self.progress()

    def errReceived(self, data: bytes) -> None:
        self.err += data
        self.progress()

    def _timedOut(self) -> None:
        self.err += b"\n[peer] timed out and was killed\n"
        self.transport.signalProcess("KILL")

    def processEnded(self, reason: Failure) -> None:
        if self._timer.active():
            self._timer.cancel()
        code = 0 if reason.check(ProcessDone) else getattr(reason.value, "exitCode", None)
        self.done.callback(
            ProcessResult(code, bytes(self.out), bytes(self.err), self.unfinished())
        )

    def unfinished(self) -> tuple[tuple[bytes, bytes | None], ...]:
        return ()


class ScriptedProcess(PeerProcess):
    """
    Types C{steps} into a process: each C{(marker, line)} waits until
    C{marker} shows in its output (after the previous marker), then writes
    C{line}, or closes standard input if C{line} is C{None}.
    """

    def __init__(
        self, steps: Sequence[tuple[bytes, bytes | None]], reactor: Any, timeout: float
    ) -> None:
        super().__init__(reactor, timeout)
        self._steps = list(steps)
        self._seen = bytearray()
        self._searchFrom = 0

    def outReceived(self, data: bytes) -> None:
        self._seen += data
        super().outReceived(data)

    def errReceived(self, data: bytes) -> None:
        self._seen += data
        super().errReceived(data)

    def progress(self) -> None:
        while self._steps:
            marker, line = self._steps[0]
            at = self._seen.find(marker, self._searchFrom)
            if at < 0:
                return
            self._searchFrom = at + len(marker)
            self._steps.pop(0)
            if line is None:
                self.transport.closeStdin()
            else:
                self.transport.write(line)

    def _timedOut(self) -> None:
        self.err += f"\n[peer] waiting for {self._steps[:1]!r}\n".encode()
        super()._timedOut()

    def unfinished(self) -> tuple[tuple[bytes, bytes | None], ...]:
        return tuple(self._steps)


def runScripted(
    argv: Sequence[str],
    steps: Sequence[tuple[bytes, bytes | None]],
    timeout: float = 30.0,
    reactor: Any = None,
) -> defer.Deferred[ProcessResult]:
    """
    Start C{argv} and type C{steps} into it (see L{ScriptedProcess}).
    """
    if reactor is None:
        from twisted.internet import reactor
    process = ScriptedProcess(steps, reactor, timeout)
    reactor.spawnProcess(process, argv[0], list(argv), env=os.environ.copy())
    return process.done
