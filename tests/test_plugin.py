# -*- test-case-name: tests.test_plugin -*-
"""
The Twisted plugin stays light: scanning the plugins (what every process
that parses an endpoint string or runs C{twistd} does) imports nothing of
twisted_reneg; parsing a C{reneg:} string does.
"""

from __future__ import annotations

import subprocess
import sys

from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.testing.pki import cachedPKI

SCAN = """
import sys
from twisted.plugin import getPlugins
from twisted.internet.interfaces import (
    IStreamClientEndpointStringParserWithReactor, IStreamServerEndpointStringParser)
from twisted.application.service import IServiceMaker
for interface in (IStreamServerEndpointStringParser,
                  IStreamClientEndpointStringParserWithReactor, IServiceMaker):
    list(getPlugins(interface))
print(sorted(m for m in sys.modules if m.startswith("twisted_reneg")))
"""

PARSE = """
import sys
from twisted.internet import reactor
from twisted.internet.endpoints import serverFromString
endpoint = serverFromString(reactor, sys.argv[1])
print(type(endpoint).__module__, "twisted_reneg.endpoints" in sys.modules)
"""


class PluginImportTests(SynchronousTestCase):
    def run_(self, code: str, *argv: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=60
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout.strip()

    def test_scanImportsNothingOfOurs(self) -> None:
        self.assertEqual(self.run_(SCAN), "[]")

    def test_parsingLoadsTheParser(self) -> None:
        pki = cachedPKI()
        description = (
            f"reneg:0:privateKey={pki.ecdsaServer.keyPath}:certKey={pki.ecdsaServer.certPath}"
        )
        self.assertEqual(self.run_(PARSE, description), "twisted_reneg.endpoints True")
