# -*- test-case-name: tests.test_soak -*-
"""
Soak: one connection through the Twisted transport (iosim), 10,000
renegotiations alternating initiators while a numbered stream flows both
ways.  Every byte arrives once, in order (SHA-256 per direction), and the
process holds no more objects or memory afterwards than before, within a
small bound.
"""

from __future__ import annotations

import gc
import hashlib
import os

from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import RenegotiationPolicy

from .test_transport import Connected, clientOptions, serverOptions

RENEGOTIATIONS = int(os.environ.get("TWISTED_RENEG_SOAK", "10000"))


def residentBytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class SoakTests(SynchronousTestCase):
    def test_renegotiationsWithDataFlowing(self) -> None:
        policy = RenegotiationPolicy(allowPeerInitiated=True, maxPeerInitiated=RENEGOTIATIONS * 2)
        c = Connected(
            server=serverOptions(renegotiation=policy), client=clientOptions(renegotiation=policy)
        )
        c.flush()
        sent = {"client": hashlib.sha256(), "server": hashlib.sha256()}
        counter = 0
        warmUp = min(200, RENEGOTIATIONS // 10)
        baseline = (0, 0)
        for i in range(RENEGOTIATIONS):
            if i == warmUp:
                gc.collect()
                baseline = (len(gc.get_objects()), residentBytes())
            initiator = c.server if i % 2 else c.client
            d = initiator.rehandshake()
            # Data written while the renegotiation starts, and after.
            for name, side in (("client", c.client), ("server", c.server)):
                counter += 1
                chunk = b"%s %09d\n" % (name.encode(), counter)
                side.write(chunk)
                sent[name].update(chunk)
            c.flush()
            session = self.successResultOf(d)
            self.assertEqual(session.renegotiations, i + 1)
        gc.collect()
        objects, resident = len(gc.get_objects()), residentBytes()
        received = {
            "client": hashlib.sha256(c.serverApp.data).hexdigest(),  # type: ignore[attr-defined]
            "server": hashlib.sha256(c.clientApp.data).hexdigest(),  # type: ignore[attr-defined]
        }
        self.assertEqual(received["client"], sent["client"].hexdigest())
        self.assertEqual(received["server"], sent["server"].hexdigest())
        # What the apps keep (the received bytes) grows by design; the
        # transport and engines must not.  The bounds are far below what a
        # leak of one object per renegotiation would show.
        self.assertLess(objects - baseline[0], 2000, "objects grew")
        self.assertLess(resident - baseline[1], 16 << 20, "resident memory grew")
