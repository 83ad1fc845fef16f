# -*- test-case-name: tests.test_soak -*-
"""
Soak: one connection through the Twisted transport (iosim), 10,000
renegotiations (TLS 1.2) or key updates (TLS 1.3) alternating initiators
while a numbered stream flows both ways.  Every byte arrives once, in order
(SHA-256 per direction), and the process holds no more objects or memory
afterwards than before, within a small bound.  Nothing is logged (quiet by
default): under C{trial -j} every log line is an AMP call from the worker
that stays outstanding until the test ends, which the object count would
take for a leak.

C{TWISTED_RENEG_SOAK} sets the number of rehandshakes for both.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable

from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import RenegotiationPolicy, TLSSession

from ._connected import Connected, clientOptions, serverOptions

RENEGOTIATIONS = int(os.environ.get("TWISTED_RENEG_SOAK", "10000"))


def residentBytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def soak(
    testCase: SynchronousTestCase,
    c: Connected,
    completed: Callable[[TLSSession], int],
    count: int = RENEGOTIATIONS,
) -> None:
    """
    Call C{rehandshake()} C{count} times on the connected pair C{c},
    alternating client and server, with a numbered chunk written each way
    during every one; then check the two streams and the growth of objects
    and resident memory.

    @param completed: what a session says about how many rehandshakes have
        completed (C{renegotiations} on TLS 1.2, C{keyUpdates} on TLS 1.3);
        checked against the count after each one, on the initiator's
        session once everything is pumped through (on TLS 1.3 the
        initiator's Deferred fires before the peer's answer is in).
    """
    logged: list[str] = []

    def observe(event: dict[str, object]) -> None:
        if str(event.get("log_namespace", "")).startswith("twisted_reneg") and len(logged) < 3:
            logged.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    testCase.addCleanup(globalLogPublisher.removeObserver, observe)
    c.flush()
    sent = {"client": hashlib.sha256(), "server": hashlib.sha256()}
    counter = 0
    warmUp = min(200, count // 10)
    baseline = (0, 0)
    for i in range(count):
        if i == warmUp:
            gc.collect()
            baseline = (len(gc.get_objects()), residentBytes())
        initiator = c.server if i % 2 else c.client
        d = initiator.rehandshake()
        # Data written while the rehandshake starts, and after.
        for name, side in (("client", c.client), ("server", c.server)):
            counter += 1
            chunk = b"%s %09d\n" % (name.encode(), counter)
            side.write(chunk)
            sent[name].update(chunk)
        c.flush()
        testCase.successResultOf(d)
        session = initiator.session
        assert session is not None
        testCase.assertEqual(completed(session), i + 1)
    gc.collect()
    objects, resident = len(gc.get_objects()), residentBytes()
    received = {
        "client": hashlib.sha256(c.serverApp.data).hexdigest(),
        "server": hashlib.sha256(c.clientApp.data).hexdigest(),
    }
    testCase.assertEqual(received["client"], sent["client"].hexdigest())
    testCase.assertEqual(received["server"], sent["server"].hexdigest())
    testCase.assertEqual(logged, [], "per-connection lines logged by default")
    # What the apps keep (the received bytes) grows by design; the
    # transport and engines must not.  The bounds are far below what a
    # leak of one object per rehandshake would show.
    testCase.assertLess(objects - baseline[0], 2000, "objects grew")
    testCase.assertLess(resident - baseline[1], 16 << 20, "resident memory grew")


class SoakTests(SynchronousTestCase):
    def test_renegotiationsWithDataFlowing(self) -> None:
        """
        TLS 1.2: thousands of full renegotiations, started by each side in
        turn, lose and duplicate no byte and leak no objects or memory.
        """
        policy = RenegotiationPolicy(allowPeerInitiated=True, maxPeerInitiated=RENEGOTIATIONS * 2)
        c = Connected(
            server=serverOptions(renegotiation=policy, maxVersion="1.2"),
            client=clientOptions(renegotiation=policy, maxVersion="1.2"),
        )
        soak(self, c, lambda session: session.renegotiations)
        for side in (c.client, c.server):
            session = side.session
            assert session is not None
            self.assertEqual((session.version, session.keyUpdates), ("TLSv1.2", 0))

    def test_keyUpdatesWithDataFlowing(self) -> None:
        """
        TLS 1.3: thousands of KeyUpdate(update_requested) exchanges (what
        C{rehandshake()} does on 1.3), started by each side in turn, with
        data both ways around each: no byte lost or duplicated, both sides
        count every update (each side received one KeyUpdate per
        exchange: the request or the answer), the key flood guard never
        trips, and no objects or memory leak.
        """
        c = Connected(
            server=serverOptions(minVersion="1.3", maxVersion="1.3"),
            client=clientOptions(minVersion="1.3", maxVersion="1.3"),
        )
        soak(self, c, lambda session: session.keyUpdates)
        for side in (c.client, c.server):
            session = side.session
            assert session is not None
            self.assertEqual(
                (session.version, session.keyUpdates, session.renegotiations),
                ("TLSv1.3", RENEGOTIATIONS, 0),
            )
        for app in (c.clientApp, c.serverApp):
            self.assertIsNone(app.lostReason)
