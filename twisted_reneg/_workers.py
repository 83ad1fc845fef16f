# -*- test-case-name: tests.test_workers -*-
"""
C{twistd reneg --workers N}: one Twisted process uses one core, so a parent
process listens and N worker processes accept on its sockets.

The parent opens every listening socket (whatever endpoint the C{reneg:}
description names below TLS: TCP, TCP6, UNIX, systemd's), never accepts on
them, and starts each worker as C{python -m twisted_reneg server --worker
...} with the sockets inherited from file descriptor 3 on.  The first line
on the worker's standard input says which descriptor is which listener,
and, when no listener has C{ticketKeys=} of its own, a ticket key the
parent made, so that any worker resumes any session.  The parent forwards
C{SIGHUP} (reload) and C{SIGTERM} (drain, then exit) to every worker and
starts another in place of one that dies.  A worker whose parent is gone
(its standard input closes) stops.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from twisted.application.service import Service
from twisted.internet import defer, protocol
from twisted.internet.endpoints import AdoptedStreamServerEndpoint, _parse, serverFromString
from twisted.internet.interfaces import IListeningPort, IStreamServerEndpoint
from twisted.logger import Logger
from twisted.protocols.basic import LineOnlyReceiver
from twisted.python.failure import Failure

from .endpoints import tlsOver

_log = Logger()

#: The address families a listening socket may have, by the names the
#: control line uses (C{AdoptedStreamServerEndpoint} wants the numbers).
_FAMILIES = {"INET": socket.AF_INET, "INET6": socket.AF_INET6, "UNIX": socket.AF_UNIX}

#: A worker that dies is replaced, but not more often than this (seconds):
#: a worker that cannot start must not make the parent spin.
RESPAWN_DELAY = 1.0

#: First descriptor of the inherited listening sockets, as systemd does.
FIRST_FD = 3


@dataclass(frozen=True)
class Listener:
    """
    One listening socket a worker inherits: the C{reneg:} description it
    was made from (the worker builds its TLS settings from it), its file
    descriptor in the worker, and its address family.
    """

    description: str
    fd: int
    family: str


def workerArguments(argv: Sequence[str]) -> list[str]:
    """
    A worker's arguments: the parent's, without C{--workers}, with
    C{--worker}.
    """
    result: list[str] = []
    skip = False
    for argument in argv:
        if skip:
            skip = False
        elif argument == "--workers":
            skip = True
        elif not argument.startswith("--workers="):
            result.append(argument)
    return [*result, "--worker"]


async def listenForWorkers(reactor: Any, descriptions: Sequence[str]) -> list[IListeningPort]:
    """
    Open the listening sockets of C{descriptions} (C{reneg:} endpoints) in
    the parent, without TLS and without ever accepting: the workers do.
    """
    ports = []
    for description in descriptions:
        endpoint = serverFromString(reactor, description)
        below = getattr(endpoint, "wrappedEndpoint", None)
        if below is None:
            raise ValueError(f"--workers needs reneg: endpoints, not {description!r}")
        port = await below.listen(protocol.Factory())
        # The kernel queues connections; the workers take them.
        port.stopReading()
        ports.append(port)
    return ports


def _familyName(port: IListeningPort) -> str:
    family = port.socket.family  # type: ignore[attr-defined]
    for name, number in _FAMILIES.items():
        if number == family:
            return name
    raise ValueError(f"cannot hand a socket of family {family} to workers")


class _Worker(protocol.ProcessProtocol):
    """
    One worker process as the parent sees it.
    """

    def __init__(self, pool: WorkerPool, number: int) -> None:
        self.pool = pool
        self.number = number
        self.ended: defer.Deferred[None] = defer.Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.pool.controlLine())  # type: ignore[union-attr]

    def processEnded(self, reason: Failure) -> None:
        self.ended.callback(None)
        self.pool.workerEnded(self, reason)


class WorkerPool(Service):
    """
    The parent of C{--workers N}: listens, starts N workers, forwards
    C{SIGHUP}, replaces dead workers, and on stop sends C{SIGTERM} to
    every worker and waits for all to exit (each drains its connections).

    @ivar ports: the listening sockets, in C{descriptions} order.
    """

    def __init__(
        self,
        reactor: Any,
        count: int,
        descriptions: Sequence[str],
        workerArgv: Sequence[str],
        ticketKeys: Sequence[bytes],
    ) -> None:
        self._reactor = reactor
        self.count = count
        self.descriptions = list(descriptions)
        self._workerArgv = list(workerArgv)
        self._ticketKeys = list(ticketKeys)
        self.ports: list[IListeningPort] = []
        self.workers: dict[int, _Worker] = {}
        self._stopping = False
        self._previousHangup: Any = None
        self.listening: defer.Deferred[None] = defer.Deferred()

    def controlLine(self) -> bytes:
        listeners = [
            Listener(description, FIRST_FD + i, _familyName(port)).__dict__
            for i, (description, port) in enumerate(
                zip(self.descriptions, self.ports, strict=True)
            )
        ]
        control = {"listeners": listeners, "ticketKeys": [k.hex() for k in self._ticketKeys]}
        return json.dumps(control).encode() + b"\n"

    def startService(self) -> None:
        super().startService()
        d = defer.ensureDeferred(listenForWorkers(self._reactor, self.descriptions))
        d.addCallbacks(self._listening, self._cannotListen)

    def _cannotListen(self, reason: Failure) -> None:
        _log.failure("--workers: cannot listen", reason)
        self.listening.errback(reason)
        self._reactor.stop()

    def _listening(self, ports: list[IListeningPort]) -> None:
        self.ports = ports
        self._previousHangup = signal.signal(signal.SIGHUP, self._hangup)
        for number in range(self.count):
            self._start(number)
        self.listening.callback(None)

    def _start(self, number: int) -> None:
        if self._stopping:
            return
        worker = _Worker(self, number)
        childFDs: dict[int, int | str] = {0: "w", 1: 1, 2: 2}
        for i, port in enumerate(self.ports):
            childFDs[FIRST_FD + i] = port.fileno()  # type: ignore[attr-defined]
        argv = [sys.executable, "-m", "twisted_reneg", "server", *self._workerArgv]
        self._reactor.spawnProcess(worker, sys.executable, argv, env=os.environ, childFDs=childFDs)
        self.workers[number] = worker

    def workerEnded(self, worker: _Worker, reason: Failure) -> None:
        if self.workers.get(worker.number) is worker:
            del self.workers[worker.number]
        if self._stopping:
            return
        _log.warn(
            "worker {number} exited ({reason}); starting another",
            number=worker.number,
            reason=reason.getErrorMessage(),
        )
        self._reactor.callLater(RESPAWN_DELAY, self._start, worker.number)

    def _hangup(self, signum: int, frame: Any) -> None:
        self._reactor.callFromThread(self.signalWorkers, "HUP")

    def signalWorkers(self, name: str) -> None:
        for worker in list(self.workers.values()):
            try:
                worker.transport.signalProcess(name)  # type: ignore[union-attr]
            except Exception:  # it ended meanwhile
                pass

    def stopService(self) -> defer.Deferred[None]:
        super().stopService()
        self._stopping = True
        if self._previousHangup is not None:
            signal.signal(signal.SIGHUP, self._previousHangup)
        # Our copies of the sockets first: once every worker has closed its
        # own (at once, on SIGTERM), the kernel takes no more connections
        # that nobody would serve while the workers drain theirs.
        waits: list[defer.Deferred[Any]] = [
            defer.maybeDeferred(p.stopListening) for p in self.ports
        ]
        waits += [worker.ended for worker in self.workers.values()]
        self.signalWorkers("TERM")
        done: defer.Deferred[None] = defer.DeferredList(waits).addCallback(lambda _: None)
        return done


class _ParentWatch(LineOnlyReceiver):
    """
    A worker's standard input: the parent's end of the pipe.  When it
    closes, the parent is gone and the worker stops.
    """

    delimiter = b"\n"

    def lineReceived(self, line: bytes) -> None:
        pass  # nothing after the first line, which makeService read

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        from twisted.internet import reactor

        if reactor.running:
            _log.info("the parent of this worker is gone; stopping")
            reactor.stop()


class ParentWatchService(Service):
    """
    In a worker: say it serves, and stop when the parent process goes away.
    """

    def startService(self) -> None:
        super().startService()
        _log.info("worker {pid} started", pid=os.getpid())
        from twisted.internet import stdio

        stdio.StandardIO(_ParentWatch(), stdin=0, stdout=1)  # type: ignore[call-arg]


def readControlLine() -> tuple[list[Listener], list[bytes]]:
    """
    In a worker: the parent's first line on standard input.
    """
    control = json.loads(sys.stdin.buffer.readline())
    listeners = [Listener(**entry) for entry in control["listeners"]]
    return listeners, [bytes.fromhex(k) for k in control["ticketKeys"]]


def inheritedEndpoints(
    reactor: Any, listeners: Sequence[Listener], ticketKeys: Sequence[bytes]
) -> dict[str, IStreamServerEndpoint]:
    """
    In a worker: for each description, our TLS (its settings parsed from
    the description, the parent's ticket keys where it names none) over the
    inherited socket.
    """
    endpoints: dict[str, IStreamServerEndpoint] = {}
    for listener in listeners:
        # Only our keywords: the endpoint below is the inherited socket, and
        # building the one the description names could not work here
        # (systemd's sockets went to the parent).
        _, kwargs = _parse(listener.description)
        adopted = _AdoptedEndpoint(reactor, listener.fd, _FAMILIES[listener.family])
        endpoint = tlsOver({k: str(v) for k, v in kwargs.items()}, adopted)
        keys = endpoint.options.ticketKeys  # type: ignore[attr-defined]
        if ticketKeys and keys is not None and not keys.fixed:
            keys.replace(ticketKeys)
        endpoints[listener.description] = endpoint
    return endpoints


class _AdoptedEndpoint(AdoptedStreamServerEndpoint):
    """
    A worker's inherited socket, shared with the parent and the other
    workers: a worker that stops (or is replaced) must only let go of its
    own descriptor.  Twisted's ports do more when they stop listening: an
    orderly close shuts the socket down (C{shutdown(2)}), which stops it
    for every process, and a UNIX port removes its file, which is the
    parent's.
    """

    def listen(self, factory: Any) -> defer.Deferred[Any]:
        def shared(port: Any) -> Any:
            def closeOurs(orderly: bool) -> None:
                try:
                    port.socket.close()
                except OSError:
                    pass

            port._closeSocket = closeOurs
            if hasattr(port, "_bindPath"):
                # A path in the abstract namespace is never unlinked.
                port._bindPath = b"\0"
            return port

        return super().listen(factory).addCallback(shared)
