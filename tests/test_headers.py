# -*- test-case-name: tests.test_headers -*-
"""
The C{test-case-name} header of every module names test modules that
exist, so that C{trial --testmodule} (and editors that follow the header)
run the tests of a module rather than fail on a name that moved.
"""

from __future__ import annotations

import re
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

ROOT = Path(__file__).resolve().parent.parent
HEADER = re.compile(r"^#.*-\*-\s*test-case-name:\s*(.*?)\s*-\*-", re.M)


def namedTestModules(source: str) -> list[str]:
    """
    The dotted names in the C{test-case-name} header of C{source} (the
    first two lines, as Emacs and trial read it); none without one.
    """
    head = "\n".join(source.splitlines()[:2])
    match = HEADER.search(head)
    if match is None:
        return []
    return [name.strip() for name in match.group(1).split(",") if name.strip()]


def exists(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


class TestCaseNameHeaderTests(SynchronousTestCase):
    def test_namedModulesExist(self) -> None:
        wrong = []
        for folder in ("twisted_reneg", "tests", "twisted"):
            for path in sorted((ROOT / folder).rglob("*.py")):
                for name in namedTestModules(path.read_text(encoding="utf-8")):
                    if not exists(name):
                        wrong.append(f"{path.relative_to(ROOT)}: {name}")
        self.assertEqual(wrong, [], "test-case-name headers naming no module")

    def test_checkerSeesAMissingModule(self) -> None:
        """
        The check can fail: a header naming a module that is not there is
        found, one naming modules that are is not.
        """
        self.assertEqual(
            namedTestModules("# -*- test-case-name: tests.nothing, tests.test_headers -*-\n"),
            ["tests.nothing", "tests.test_headers"],
        )
        self.assertFalse(exists("tests.nothing"))
        self.assertTrue(exists("tests.test_headers"))
        self.assertTrue(exists("tests.tls"))
