"""
A real browser for the tests: Debian's headless Chromium, with a throwaway
NSS database (the test CA trusted, client certificates from PKCS#12 files)
and the C{AutoSelectCertificateForUrls} policy choosing a client
certificate per URL, driven over the DevTools protocol on a pipe
(C{--remote-debugging-pipe}: no port, no WebSocket library).

Chromium runs outside the reactor (C{subprocess}, a reader thread): one
browser serves a whole test module, which trial's per-test check for
leftover reactor selectables would not allow for a spawned process.  Its
calls block, so tests make them with C{deferToThread} while our servers
answer on the reactor.

The policy file is the one change to the machine: it is written under
C{/etc/chromium/policies/managed/} before the browser starts and removed
when it stops, at interpreter exit at the latest, and a file left by a
process that was killed is removed by the next run.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from twisted_reneg.testing.pki import Identity

from .interop.peers import requirePeer

#: Where Chromium on Debian reads machine policies.
POLICY_DIRECTORY = "/etc/chromium/policies/managed"
_POLICY_PREFIX = "twisted_reneg_test_"

#: Flags for a quiet headless browser on a machine with no network but
#: 127.0.0.1 (the background services would only fail to reach Google).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-pipe",
)

_P12_PASSWORD = b"twisted-reneg"


@dataclass(frozen=True)
class AutoSelect:
    """
    One C{AutoSelectCertificateForUrls} rule: on C{origin}, send the client
    certificate issued by the CA whose common name is C{issuerCommonName}.
    """

    origin: str
    issuerCommonName: str

    def policyEntry(self) -> str:
        return json.dumps(
            {"pattern": self.origin, "filter": {"ISSUER": {"CN": self.issuerCommonName}}}
        )


def _removeStalePolicies() -> None:
    """
    Policy files of test processes that no longer run (killed before they
    could clean up).
    """
    try:
        names = os.listdir(POLICY_DIRECTORY)
    except OSError:
        return
    for name in names:
        if not (name.startswith(_POLICY_PREFIX) and name.endswith(".json")):
            continue
        pid = name[len(_POLICY_PREFIX) : -len(".json")]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            os.remove(os.path.join(POLICY_DIRECTORY, name))


class _Policy:
    """
    This process's policy file; C{remove} is idempotent.
    """

    def __init__(self, rules: Sequence[AutoSelect]) -> None:
        _removeStalePolicies()
        os.makedirs(POLICY_DIRECTORY, exist_ok=True)
        self.path = os.path.join(POLICY_DIRECTORY, f"{_POLICY_PREFIX}{os.getpid()}.json")
        policy = {"AutoSelectCertificateForUrls": [rule.policyEntry() for rule in rules]}
        with open(self.path, "w") as f:
            json.dump(policy, f)

    def remove(self) -> None:
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass


def makeProfile(directory: str, caPath: str, clients: Sequence[Identity]) -> str:
    """
    A home directory whose NSS database (where Chromium on Linux keeps
    certificates) trusts the CA at C{caPath} for servers and holds the
    client certificates of C{clients}, imported from PKCS#12 as a user would.

    @return: the home directory, for Chromium's C{HOME}.
    """
    certutil, pk12util = requirePeer("certutil"), requirePeer("pk12util")
    home = os.path.join(directory, "home")
    database = os.path.join(home, ".pki", "nssdb")
    os.makedirs(database)
    nss = f"sql:{database}"

    def run(*argv: str) -> None:
        subprocess.run(argv, check=True, capture_output=True, timeout=60)

    run(certutil, "-d", nss, "-N", "--empty-password")
    run(certutil, "-d", nss, "-A", "-n", "test-ca", "-t", "C,,", "-i", caPath)
    for number, identity in enumerate(clients):
        p12 = os.path.join(directory, f"client{number}.p12")
        with open(p12, "wb") as f:
            f.write(
                pkcs12.serialize_key_and_certificates(
                    f"client{number}".encode(),
                    identity.privateKey,
                    identity.certificate,
                    None,
                    BestAvailableEncryption(_P12_PASSWORD),
                )
            )
        run(pk12util, "-d", nss, "-i", p12, "-W", _P12_PASSWORD.decode())
    return home


@dataclass
class Page:
    """
    What a tab shows after a visit: its URL (after redirects), its text,
    and the network error if the page could not be loaded.
    """

    url: str
    text: str
    error: str | None = None


class Chromium:
    """
    One headless Chromium with one tab, driven over DevTools on a pipe.
    Every method blocks: call them from a thread (C{deferToThread}).
    """

    def __init__(self, home: str, rules: Sequence[AutoSelect] = ()) -> None:
        chromium = requirePeer("chromium")
        self._directory = tempfile.mkdtemp(prefix="twisted_reneg-chromium-")
        self._policy = _Policy(rules) if rules else None
        toChromium, self._commands = os.pipe()
        self._events, fromChromium = os.pipe()

        def childFds() -> None:
            # DevTools reads commands on fd 3 and writes answers on fd 4.
            # Moved out of the way first: either pipe end may be 3 or 4.
            commands = fcntl.fcntl(toChromium, fcntl.F_DUPFD, 10)
            answers = fcntl.fcntl(fromChromium, fcntl.F_DUPFD, 10)
            os.dup2(commands, 3)
            os.dup2(answers, 4)

        self._process = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={self._directory}", "about:blank"],
            # Kept open past the close of all other descriptors, which
            # comes after childFds has put the pipes there.
            pass_fds=(3, 4),
            preexec_fn=childFds,
            env={**os.environ, "HOME": home},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(toChromium)
        os.close(fromChromium)
        self._lock = threading.Lock()
        self._arrived = threading.Condition()
        self._answers: dict[int, dict[str, Any]] = {}
        self._eventLog: list[dict[str, Any]] = []
        self._nextId = 0
        self._closed = False
        threading.Thread(target=self._read, daemon=True).start()
        atexit.register(self.stop)
        self._target = ""
        try:
            self._newTab()
        except BaseException:
            self.stop()
            raise

    def _newTab(self) -> None:
        """
        Close the tab (if any) and open a new one to drive.
        """
        if self._target:
            self.call("Target.closeTarget", {"targetId": self._target})
        self._target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": self._target, "flatten": True})
        self._session = attached["sessionId"]
        self.call("Page.enable", session=self._session)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._events, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                os.close(self._events)
                with self._arrived:
                    self._closed = True
                    self._arrived.notify_all()
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._arrived:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._answers[message["id"]] = message
                    else:
                        self._eventLog.append(message)
                self._arrived.notify_all()

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict[str, Any]:
        """
        Send one DevTools command and wait for its answer.

        @raise AssertionError: on an error answer, a dead browser or a
            timeout (never a hang).
        """
        with self._lock:
            self._nextId += 1
            number = self._nextId
            message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
            if session is not None:
                message["sessionId"] = session
            os.write(self._commands, json.dumps(message).encode() + b"\0")
        with self._arrived:
            if not self._arrived.wait_for(
                lambda: number in self._answers or self._closed, timeout
            ):
                raise AssertionError(f"Chromium did not answer {method} in {timeout} s")
            if number not in self._answers:
                raise AssertionError(f"Chromium exited before answering {method}")
            answer = self._answers.pop(number)
        if "error" in answer:
            raise AssertionError(f"Chromium refused {method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def visit(self, url: str, timeout: float = 20) -> Page:
        """
        Load C{url} in the tab, as typed into the address bar, and wait for
        the page's load event (after any redirects).

        @raise AssertionError: if it does not load within C{timeout}: a
            browser waiting for someone to pick a certificate, for instance.
        """
        with self._arrived:
            seen = len(self._eventLog)
        try:
            navigation = self.call("Page.navigate", {"url": url}, self._session, timeout)
        except AssertionError:
            # A tab stuck (waiting for someone to pick a certificate) would
            # stall every later visit: start again with a new one.
            self._newTab()
            raise
        error = navigation.get("errorText") or None

        def loaded() -> bool:
            return any(
                event.get("method") == "Page.loadEventFired"
                and event.get("sessionId") == self._session
                for event in self._eventLog[seen:]
            )

        with self._arrived:
            stuck = not self._arrived.wait_for(lambda: loaded() or self._closed, timeout)
        if stuck:
            self._newTab()
            raise AssertionError(f"{url} did not load in {timeout} s")
        found = self.call(
            "Runtime.evaluate",
            {
                "expression": "JSON.stringify([location.href, "
                "document.body ? document.body.innerText : ''])",
                "returnByValue": True,
            },
            self._session,
        )
        href, text = json.loads(found["result"]["value"])
        return Page(href, text, error)

    def stop(self) -> None:
        """
        End the browser, remove its profile and the policy file.  Idempotent.
        """
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._commands >= 0:
            # The reader thread closes its end when the browser's closes.
            os.close(self._commands)
            self._commands = -1
        if self._policy is not None:
            self._policy.remove()
        shutil.rmtree(self._directory, ignore_errors=True)
