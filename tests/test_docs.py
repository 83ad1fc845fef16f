# -*- test-case-name: tests.test_docs -*-
"""
The docs' code contract (stated at the top of docs/index.md): every
C{```python} block in docs/*.md and README.md is a verbatim excerpt of a
script in docs/examples/, unless marked C{```python fragment}, and every
script there runs and exits 0.  Likewise every C{```haproxy} block is an
excerpt of a C{docs/examples/*.cfg} file, which the interop tests run
(C{tests/interop/test_haproxy.py}).

One test per Markdown file and one per example, made when this module is
imported, so that a new doc or example is covered without editing this
file.  The examples run in parallel processes started together at the
first example test, because each is mostly waiting for its own
interpreter to start and key generation; the tests then only collect
their results.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"

#: Seconds one example may take; they are meant to finish within a few.
EXAMPLE_TIMEOUT = 60

#: The opening line of a fenced block (CommonMark: up to three spaces of
#: indentation, three or more backticks or tildes, then the info string).
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*(.*)$")


def markdownFiles() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def examples() -> list[Path]:
    return sorted(EXAMPLES.glob("*.py"))


#: The info strings of Python blocks.
PYTHON = ("python", "py", "python3")

#: Configuration blocks quoted from docs/examples/: the language their info
#: string starts with, and the files they must come from.
CONFIGURATIONS = {"haproxy": "*.cfg"}


def pythonBlocks(text: str) -> list[tuple[int, list[str], bool]]:
    """
    The fenced blocks of C{text} whose info string starts with C{python}.

    @return: for each, its line number, its lines, and whether it is
        marked C{fragment}.
    """
    return fencedBlocks(text, PYTHON)


def fencedBlocks(text: str, languages: tuple[str, ...]) -> list[tuple[int, list[str], bool]]:
    """
    The fenced blocks of C{text} whose info string starts with one of
    C{languages}.

    @return: for each, its line number, its lines, and whether it is
        marked C{fragment}.
    """
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        fence, info = opening.groups()
        words = info.split()
        start = i + 1
        i += 1
        while i < len(lines):
            closing = _FENCE.match(lines[i])
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                if not closing.group(2).strip():
                    break
            i += 1
        if words and words[0] in languages:
            blocks.append((start, lines[start:i], "fragment" in words[1:]))
        i += 1
    return blocks


def _trim(lines: list[str]) -> list[str]:
    """
    Without trailing spaces, leading and trailing blank lines.
    """
    lines = [line.rstrip() for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def excerptOf(block: list[str], source: str) -> bool:
    """
    Whether C{block} appears in C{source} line for line, all its lines
    indented alike there (an excerpt from inside a function or a C{with}).
    """
    wanted = _trim(block)
    if not wanted:
        return True
    lines = [line.rstrip() for line in source.splitlines()]
    first = wanted[0]
    for at in range(len(lines) - len(wanted) + 1):
        line = lines[at]
        if not line.endswith(first):
            continue
        indent = line[: len(line) - len(first)]
        if indent.strip():
            continue
        if all(lines[at + k] == (indent + want if want else "") for k, want in enumerate(wanted)):
            return True
    return False


class ExcerptTests(SynchronousTestCase):
    """
    The rules of L{excerptOf}, L{pythonBlocks} and L{fencedBlocks} themselves.
    """

    def test_configurationBlocks(self) -> None:
        text = "```haproxy\nbackend b\n    server s\n```\n```python\nx\n```\n```\nfree\n```\n"
        self.assertEqual(
            fencedBlocks(text, ("haproxy",)), [(1, ["backend b", "    server s"], False)]
        )

    def test_indentedExcerpt(self) -> None:
        source = "def f():\n    a = 1\n\n    b = 2\n"
        self.assertTrue(excerptOf(["a = 1", "", "b = 2"], source))
        self.assertTrue(excerptOf(["", "def f():", "    a = 1", ""], source))

    def test_notAnExcerpt(self) -> None:
        source = "def f():\n    a = 1\n    b = 2\n"
        self.assertFalse(excerptOf(["a = 1", "c = 3"], source))
        self.assertFalse(excerptOf(["b = 2", "a = 1"], source))
        # Not indented alike: a line of the block cannot move on its own.
        self.assertFalse(excerptOf(["a = 1", "    b = 2"], source))

    def test_blocks(self) -> None:
        text = (
            "x\n```python\na\n```\n"
            "```python fragment\nb\n```\n"
            "```sh\nc\n```\n"
            "~~~py\nd\n```\nstill d\n~~~\n"
        )
        self.assertEqual(
            pythonBlocks(text),
            [(2, ["a"], False), (5, ["b"], True), (11, ["d", "```", "still d"], False)],
        )


@cache
def _started() -> dict[Path, tuple[subprocess.Popen[str], str]]:
    """
    Start every example at once, each in its own temporary directory (what
    a script leaves behind, such as trial's _trial_temp, stays there).
    """
    env = dict(os.environ)
    # An example must not depend on where it is started from.
    env.pop("PYTHONPATH", None)
    running = {}
    for path in examples():
        cwd = tempfile.mkdtemp(prefix=f"example-{path.stem}-", dir=os.getcwd())
        process = subprocess.Popen(
            [sys.executable, str(path)],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        running[path] = (process, cwd)
    return running


def _exampleTest(path: Path) -> Callable[[SynchronousTestCase], None]:
    def test(self: SynchronousTestCase) -> None:
        process, _ = _started()[path]
        try:
            output, _ = process.communicate(timeout=EXAMPLE_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            self.fail(f"{path.name} still running after {EXAMPLE_TIMEOUT} s:\n{output}")
        self.assertEqual(process.returncode, 0, f"{path.name} failed:\n{output}")

    test.__doc__ = f"docs/examples/{path.name} runs and exits 0."
    return test


def _markdownTest(path: Path) -> Callable[[SynchronousTestCase], None]:
    def test(self: SynchronousTestCase) -> None:
        sources = {p.name: p.read_text(encoding="utf-8") for p in examples()}
        problems = []
        for line, block, fragment in pythonBlocks(path.read_text(encoding="utf-8")):
            if fragment:
                continue
            if not any(excerptOf(block, source) for source in sources.values()):
                problems.append(
                    f"{path.relative_to(ROOT)}:{line}: this python block is in no "
                    "docs/examples/*.py (copy it from one, or mark it "
                    "```python fragment)"
                )
        for language, pattern in CONFIGURATIONS.items():
            files = [p.read_text(encoding="utf-8") for p in EXAMPLES.glob(pattern)]
            for line, block, _ in fencedBlocks(path.read_text(encoding="utf-8"), (language,)):
                if not any(excerptOf(block, source) for source in files):
                    problems.append(
                        f"{path.relative_to(ROOT)}:{line}: this {language} block is in no "
                        f"docs/examples/{pattern} (copy it from one)"
                    )
        if problems:
            self.fail("\n".join(problems))

    test.__doc__ = (
        f"Each python block of {path.relative_to(ROOT)} is quoted from an example "
        "or marked as a fragment, each haproxy block from a configuration there."
    )
    return test


def _testName(path: Path) -> str:
    return "test_" + re.sub(r"\W", "_", path.name)


class MarkdownBlockTests(SynchronousTestCase):
    """
    Every python block of the docs is an excerpt of an example.
    """

    def test_examplesExist(self) -> None:
        """
        There are examples to quote (a wrong path would pass every other test).
        """
        self.assertNotEqual(examples(), [])


class ExampleTests(SynchronousTestCase):
    """
    Every example runs and exits 0.
    """


for _path in markdownFiles():
    setattr(MarkdownBlockTests, _testName(_path), _markdownTest(_path))
for _path in examples():
    setattr(ExampleTests, _testName(_path), _exampleTest(_path))
del _path
