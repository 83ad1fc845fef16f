# -*- test-case-name: tests.test_packaging -*-
"""
The distributions, as a user gets them: C{python -m build} makes an sdist
and a wheel from a copy of the tree, C{twine check --strict} accepts both,
and the wheel installs into a fresh virtualenv where the endpoint parsers,
C{twistd reneg} and C{python -m twisted_reneg} work from any directory.

Building and installing take most of this module's time, so each is done
once per test run (in trial's temporary directory) and shared by the tests
that look at the result.  Without C{build} or C{twine} (the C{dev} extra)
the tests skip, except under C{CI=true}, where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from functools import cache
from importlib.util import find_spec

from twisted.trial.unittest import SkipTest, SynchronousTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IN_CI = os.environ.get("CI") == "true"

#: What the copy of the tree leaves out: virtualenvs, caches and earlier
#: build output (an in-tree C{build/lib} can leak stale modules into wheels).
_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "_trial_temp*",
    "*.egg-info",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "demo-out",
)


def _requireTools() -> None:
    missing = [name for name in ("build", "twine") if find_spec(name) is None]
    if missing:
        message = f"{' and '.join(missing)} not installed (pip install -e '.[dev]')"
        if IN_CI:
            raise AssertionError(message)
        raise SkipTest(message)


def _run(argv: list[str], cwd: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """
    Run a command, failing with its output if it fails.
    """
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(
            f"{argv} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


class _Built:
    """
    The sdist and the wheel built from a copy of the tree.

    @ivar directory: where they are.
    @ivar sdist: the sdist's path.
    @ivar wheel: the wheel's path.
    @ivar log: what the build printed.
    """

    def __init__(self, directory: str, log: str) -> None:
        self.directory = directory
        self.log = log
        names = os.listdir(directory)
        self.sdist = os.path.join(directory, *[n for n in names if n.endswith(".tar.gz")])
        self.wheel = os.path.join(directory, *[n for n in names if n.endswith(".whl")])


@cache
def built() -> _Built:
    """
    Build once per run.  The copy gets a C{dropin.cache} and a stray
    bytecode file, as a working tree has after a test run, so the checks
    below prove they are kept out rather than happen to be absent.
    """
    _requireTools()
    # trial runs in _trial_temp, which it empties at the start of each run.
    work = tempfile.mkdtemp(prefix="packaging-", dir=os.getcwd())
    source = os.path.join(work, "source")
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    with open(os.path.join(source, "twisted", "plugins", "dropin.cache"), "wb") as f:
        f.write(b"stale")
    os.makedirs(os.path.join(source, "tests", "__pycache__"), exist_ok=True)
    with open(os.path.join(source, "tests", "__pycache__", "stray.cpython-311.pyc"), "wb") as f:
        f.write(b"stale")
    dist = os.path.join(work, "dist")
    # The default: an sdist, then the wheel built from that sdist (so a file
    # missing from the sdist breaks the wheel too), in isolated environments.
    result = _run([sys.executable, "-m", "build", "--outdir", dist, source], cwd=work)
    return _Built(dist, result.stdout + result.stderr)


class _Installed:
    """
    A fresh virtualenv with the wheel installed.

    @ivar bin: its C{bin} directory.
    @ivar log: what C{pip install} printed.
    """

    def __init__(self, bin: str, log: str) -> None:
        self.bin = bin
        self.log = log


@cache
def installed() -> _Installed:
    """
    Install the wheel, and its dependencies as pip resolves them for a
    user, into a fresh virtualenv.
    """
    wheel = built().wheel
    venv = os.path.join(os.path.dirname(built().directory), "venv")
    # No pip of its own: ours installs into it (pip --python), which saves
    # bootstrapping one.
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=ROOT)
    bin = os.path.join(venv, "bin")
    result = _run(
        [sys.executable, "-m", "pip", "--python", os.path.join(bin, "python"), "install", wheel],
        cwd=ROOT,
    )
    return _Installed(bin, result.stdout + result.stderr)


def _deprecations(log: str) -> list[str]:
    return [line for line in log.splitlines() if "deprecat" in line.lower()]


class DistributionTests(SynchronousTestCase):
    """
    What the sdist and the wheel hold, and what PyPI would say of them.
    """

    def test_buildQuietly(self) -> None:
        """
        Building prints no deprecation warning (an old-style license
        table, a deprecated option, a setuptools feature on its way out).
        """
        self.assertEqual(_deprecations(built().log), [])

    def test_twineCheckStrict(self) -> None:
        """
        C{twine check --strict} passes both: the README renders as
        Markdown and the metadata is complete.
        """
        b = built()
        result = _run(
            [sys.executable, "-m", "twine", "check", "--strict", b.sdist, b.wheel], cwd=ROOT
        )
        self.assertEqual(result.stdout.count("PASSED"), 2, result.stdout)

    def test_wheelContents(self) -> None:
        """
        The wheel holds the package with C{py.typed} and our Twisted plugin,
        and nothing Twisted owns or regenerates: no C{dropin.cache}, no
        C{twisted/plugins/__init__.py}, no bytecode, no tests.
        """
        with zipfile.ZipFile(built().wheel) as wheel:
            names = set(wheel.namelist())
            metadata = wheel.read(
                next(n for n in names if n.endswith(".dist-info/METADATA"))
            ).decode()
        self.assertIn("twisted_reneg/py.typed", names)
        self.assertIn("twisted_reneg/testing/pki.py", names)
        self.assertIn("twisted/plugins/twisted_reneg_plugins.py", names)
        self.assertEqual(
            [n for n in names if n.startswith("twisted/")],
            ["twisted/plugins/twisted_reneg_plugins.py"],
        )
        self.assertEqual([n for n in names if "dropin.cache" in n or n.endswith(".pyc")], [])
        self.assertEqual([n for n in names if n.startswith("tests/")], [])
        self.assertIn("Description-Content-Type: text/markdown", metadata)
        self.assertIn("License-Expression: MIT", metadata)
        self.assertIn("License-File: LICENSE", metadata)
        self.assertTrue(any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names)
        self.assertIn("Classifier: Typing :: Typed", metadata)

    def test_sdistContents(self) -> None:
        """
        The sdist holds what building and testing need: the README, the
        docs and their examples, the whole test suite; never a
        C{dropin.cache} or bytecode.
        """
        with tarfile.open(built().sdist) as sdist:
            names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
        for needed in (
            "README.md",
            "LICENSE",
            "pyproject.toml",
            "twisted_reneg/py.typed",
            "twisted/plugins/twisted_reneg_plugins.py",
            "docs/index.md",
            "tests/__init__.py",
            "tests/data/openssl_client_hello.bin",
        ):
            self.assertIn(needed, names)
        self.assertIn("docs/examples/trial_tlspair.py", names)
        self.assertEqual([n for n in names if "dropin.cache" in n or n.endswith(".pyc")], [])


class FreshInstallTests(SynchronousTestCase):
    """
    The wheel in a fresh virtualenv, used from a directory that is not the
    source tree (so nothing is found there by accident).
    """

    def setUp(self) -> None:
        self.bin = installed().bin
        self.elsewhere = self.mktemp()
        os.mkdir(self.elsewhere)

    def runThere(self, *argv: str, status: int = 0) -> str:
        """
        Run one of the virtualenv's commands outside the source tree.

        @param status: the exit status it must have.
        """
        result = subprocess.run(
            [os.path.join(self.bin, argv[0]), *argv[1:]],
            cwd=self.elsewhere,
            capture_output=True,
            text=True,
            timeout=60,
        )
        out = result.stdout + result.stderr
        self.assertEqual(result.returncode, status, out)
        return out

    def test_installQuietly(self) -> None:
        """
        Installing prints no deprecation warning.
        """
        self.assertEqual(_deprecations(installed().log), [])

    def test_installedFromTheWheel(self) -> None:
        """
        C{twisted_reneg} comes from the virtualenv, with its C{py.typed}.
        """
        out = self.runThere(
            "python",
            "-c",
            "import os, twisted_reneg\n"
            "here = os.path.dirname(twisted_reneg.__file__)\n"
            "print(here)\n"
            "print(os.path.exists(os.path.join(here, 'py.typed')))\n",
        )
        here, typed = out.split()
        self.assertTrue(here.startswith(os.path.dirname(self.bin)), here)
        self.assertEqual(typed, "True")

    def test_endpointParsers(self) -> None:
        """
        The C{reneg:} parsers are found through Twisted's plugin system.
        """
        out = self.runThere(
            "python",
            "-c",
            "from twisted.internet import reactor\n"
            "from twisted.internet.endpoints import serverFromString, clientFromString\n"
            "print(type(serverFromString(reactor, 'reneg:0')).__name__)\n"
            "print(type(clientFromString(reactor, 'reneg:host=h:port=1')).__name__)\n",
        )
        self.assertIn("_TLSServerEndpoint", out)
        self.assertIn("_TLSClientEndpoint", out)

    def test_twistdReneg(self) -> None:
        """
        C{twistd reneg --help} finds our service.
        """
        self.assertIn("--client-cert-path", self.runThere("twistd", "reneg", "--help"))

    def test_cli(self) -> None:
        """
        C{python -m twisted_reneg --help} gives the usage of both commands
        (status 0; an argument it does not know gives it with status 2),
        and each command's C{--help} its own options.
        """
        out = self.runThere("python", "-m", "twisted_reneg", "--help")
        self.assertIn("usage: python -m twisted_reneg client HOST PORT", out)
        self.assertIn(
            "--cafile", self.runThere("python", "-m", "twisted_reneg", "client", "--help")
        )
        self.assertIn("--echo", self.runThere("python", "-m", "twisted_reneg", "server", "--help"))
