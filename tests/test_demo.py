# -*- test-case-name: tests.test_demo -*-
"""
C{make demo}'s job runs end to end and says PASSED, so the README's first
command cannot rot unnoticed.
"""

from __future__ import annotations

import subprocess
import sys

from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from .interop.peers import requirePeer


class DemoTests(TestCase):
    timeout = 120

    async def test_demoPasses(self) -> None:
        requirePeer("openssl")
        result = await deferToThread(
            subprocess.run,
            [sys.executable, "-m", "twisted_reneg.demo"],
            capture_output=True,
            text=True,
            timeout=100,
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        for line in (
            "openssl s_client handshake with our server: OK",
            "server-initiated renegotiation (HelloRequest) completed: renegotiations=1",
            "the server now sees CN=test-client",
            "twistd service asked the CLI for its certificate mid-connection: OK",
            "trustme client certificate (critical SAN and EKU): GET /private -> HTTP 200",
            "(X.509 v1, no extensions): GET /private -> HTTP 200: private page",
            "TLS 1.3, certificate from a CA the site does not trust: GET /private -> HTTP 403: "
            "403 Forbidden: the client certificate 'CN=test-client,O=twisted_reneg tests' "
            "was not accepted",
            "server log: 403 for /private: the client certificate",
            "(unknown authority: add its CA to the trust roots",
            "same connection, still up: GET / -> HTTP 200: public page",
            "[demo] PASSED",
        ):
            self.assertIn(line, result.stdout)
