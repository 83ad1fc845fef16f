# -*- test-case-name: tests.tls.test_layering -*-
"""
The engine is the bottom layer: no module under C{twisted_reneg/tls/}
imports Twisted, zope, a socket or event-loop module, or anything of
C{twisted_reneg} outside C{twisted_reneg.tls}, and none imports a package
above it.  The modules' source is read with L{ast}, not imported, so that
every import counts: relative ones (resolved), ones under C{if
TYPE_CHECKING:} or inside functions, and C{importlib.import_module()} or
C{__import__()} of a literal name.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass

from twisted.trial.unittest import SynchronousTestCase

#: The engine's package.
ENGINE = "twisted_reneg.tls"
#: Top-level modules the engine must not import: it does no I/O and knows
#: no event loop; the adapter above it brings those.
FORBIDDEN = ("twisted", "zope", "socket", "select", "asyncio")


@dataclass(frozen=True)
class Module:
    """
    A module of the engine, read from its file.

    @ivar name: its dotted name.
    @ivar path: its file.
    @ivar isPackage: whether it is a package's C{__init__.py}.
    """

    name: str
    path: str
    isPackage: bool

    @property
    def package(self) -> str:
        """
        The package its relative imports start from.
        """
        return self.name if self.isPackage else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Import:
    """
    What one import statement (or one name of it) reaches.

    @ivar module: the absolute name of the module imported from, or
        imported (C{X} in C{import X} and in C{from X import Y}).
    @ivar name: C{Y} in C{from X import Y} (a submodule of C{X} or a name
        defined in it); L{None} for C{import X}.
    @ivar line: the statement's line number.
    @ivar source: the statement as written.
    """

    module: str
    name: str | None
    line: int
    source: str


def engineModules(top: str, package: str = ENGINE) -> list[Module]:
    """
    @param top: the directory of C{package}.
    @return: every module under it, in subpackages too.
    """
    modules = []
    for directory, subdirectories, files in os.walk(top):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        relative = os.path.relpath(directory, top)
        here = package if relative == "." else ".".join([package, *relative.split(os.sep)])
        for file in sorted(files):
            if file.endswith(".py"):
                isPackage = file == "__init__.py"
                name = here if isPackage else f"{here}.{file[:-3]}"
                modules.append(Module(name, os.path.join(directory, file), isPackage))
    return modules


def resolve(module: Module, level: int, name: str | None) -> str:
    """
    The absolute name of C{from <level dots><name> import ...} in
    C{module}.

    @raise ImportError: if the dots climb above the top-level package.
    """
    if level == 0:
        return name or ""
    parts = module.package.split(".")
    if level > len(parts):
        raise ImportError("a relative import beyond the top-level package")
    return ".".join(parts[: len(parts) - level + 1] + ([name] if name else []))


def importsOf(module: Module, source: str) -> Iterator[Import]:
    """
    Every import in C{source}, the text of C{module}, wherever it stands.

    @raise ImportError: for a relative import that climbs above the
        top-level package.
    """
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source, module.path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, None, node.lineno, written(lines, node))
        elif isinstance(node, ast.ImportFrom):
            base = resolve(module, node.level, node.module)
            for alias in node.names:
                name = None if alias.name == "*" else alias.name
                yield Import(base, name, node.lineno, written(lines, node))
        elif isinstance(node, ast.Call) and isDynamicImport(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield Import(first.value, None, node.lineno, written(lines, node))


def written(lines: list[str], node: ast.stmt | ast.expr) -> str:
    """
    The text of C{node} on one line, as the failure message quotes it.
    """
    end = node.end_lineno or node.lineno
    text = " ".join(line.strip() for line in lines[node.lineno - 1 : end])
    return text.replace("( ", "(").replace(" )", ")")


def isDynamicImport(function: ast.expr) -> bool:
    """
    Whether the called C{function} is C{__import__}, C{import_module} or
    C{importlib.import_module}.
    """
    if isinstance(function, ast.Name):
        return function.id in ("__import__", "import_module")
    return isinstance(function, ast.Attribute) and function.attr == "import_module"


def within(name: str, package: str) -> bool:
    """
    Whether the dotted C{name} is C{package} or under it.
    """
    return name == package or name.startswith(package + ".")


def fault(module: Module, imported: Import, engine: set[str]) -> str | None:
    """
    @param engine: the names of all the engine's modules.
    @return: what is wrong with C{module} making the import C{imported},
        or L{None} if nothing is.
    """
    reached = imported.module
    if imported.name is not None and f"{reached}.{imported.name}" in engine:
        reached = f"{reached}.{imported.name}"
    if reached.partition(".")[0] in FORBIDDEN:
        return f"imports {reached}, which the engine must not use"
    if within(reached, "twisted_reneg") and not within(reached, ENGINE):
        return f"imports {reached}, a layer above the engine"
    # Reaching a submodule through its package is fine; taking a name from
    # the package itself makes the package's __init__ a layer above.
    if within(module.name, reached) and reached != module.name:
        return f"imports {reached}, a package above it"
    return None


def violations(modules: list[Module], sources: dict[str, str] | None = None) -> list[str]:
    """
    @param sources: the modules' text by path, instead of their files (to
        test this check).
    @return: a line for each import that breaks the layering, naming the
        module, its file and line, and the import as written.
    """
    engine = {module.name for module in modules}
    found = []
    for module in modules:
        if sources is not None:
            source = sources[module.path]
        else:
            with open(module.path, encoding="utf-8") as f:
                source = f.read()
        try:
            for imported in importsOf(module, source):
                reason = fault(module, imported, engine)
                if reason is not None:
                    where = f"{module.name} ({module.path}:{imported.line})"
                    found.append(f"{where} {reason}: {imported.source}")
        except ImportError as e:
            found.append(f"{module.name} ({module.path}): {e}")
    return found


class EngineLayeringTests(SynchronousTestCase):
    """
    The engine as it is.
    """

    def test_importsFlowDownOnly(self) -> None:
        """
        No engine module imports Twisted, zope, C{socket}, C{select},
        C{asyncio}, a module of C{twisted_reneg} outside the engine, or a
        package above it.
        """
        # Found, not imported: the check reads files, whatever they import.
        spec = importlib.util.find_spec("twisted_reneg")
        assert spec is not None and spec.submodule_search_locations is not None
        modules = engineModules(os.path.join(list(spec.submodule_search_locations)[0], "tls"))
        # A wrong directory would find nothing, and pass.
        self.assertIn(f"{ENGINE}.connection", {module.name for module in modules})
        found = violations(modules)
        if found:
            self.fail("the engine imports what it must not:\n" + "\n".join(found))


class CheckTests(SynchronousTestCase):
    """
    The check itself, on made-up engines: it sees every form of import.
    """

    def check(self, source: str, name: str = f"{ENGINE}.records") -> list[str]:
        """
        @return: the violations of an engine made of the package, a few
            modules and a subpackage, where module C{name} reads C{source}
            and the others import nothing.
        """
        packages = [ENGINE, f"{ENGINE}.sub"]
        modules = [Module(n, n.replace(".", "/") + "/__init__.py", True) for n in packages]
        modules += [
            Module(n, n.replace(".", "/") + ".py", False)
            for n in (f"{ENGINE}.records", f"{ENGINE}.wire", f"{ENGINE}.sub.inner")
        ]
        sources = {module.path: (source if module.name == name else "") for module in modules}
        return violations(modules, sources)

    def assertFound(self, source: str, expected: str, name: str = f"{ENGINE}.records") -> None:
        """
        C{source} in module C{name} is reported once, naming the module and
        saying C{expected}.
        """
        found = self.check(source, name)
        self.assertEqual(len(found), 1, found)
        self.assertTrue(found[0].startswith(f"{name} ("), found)
        self.assertIn(expected, found[0])

    def test_allowed(self) -> None:
        """
        The standard library (no I/O), other libraries, and the engine's
        own modules by any spelling.
        """
        source = (
            "import os, hmac\n"
            "import twisted_reneg.tls.wire\n"
            "from cryptography.hazmat.primitives import hashes\n"
            "from . import wire\n"
            "from .wire import Reader\n"
            "from twisted_reneg.tls.wire import Writer\n"
            "from .sub import inner\n"
            "from .sub.inner import thing\n"
        )
        self.assertEqual(self.check(source), [])
        self.assertEqual(self.check("from .. import records, wire\n", f"{ENGINE}.sub.inner"), [])
        self.assertEqual(self.check("from . import records, wire\n", ENGINE), [])

    def test_forbiddenEveryForm(self) -> None:
        """
        Twisted, zope and the I/O modules, however they are imported,
        wherever the import stands.
        """
        for source, reached in [
            ("import twisted\n", "twisted"),
            ("import zope.interface\n", "zope.interface"),
            ("from twisted.internet import reactor\n", "twisted.internet"),
            ("import socket as s\n", "socket"),
            ("from select import select\n", "select"),
            ("from asyncio import *\n", "asyncio"),
            (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from twisted.python.failure import Failure\n",
                "twisted.python.failure",
            ),
            ("def f():\n    import socket\n", "socket"),
            ("try:\n    import asyncio\nexcept ImportError:\n    pass\n", "asyncio"),
            (
                "import importlib\nimportlib.import_module('twisted.internet')\n",
                "twisted.internet",
            ),
            ("__import__('zope')\n", "zope"),
        ]:
            self.assertFound(source, f"imports {reached}, which the engine must not use")

    def test_layersAbove(self) -> None:
        """
        Anything of C{twisted_reneg} outside the engine, absolute or
        relative.
        """
        for source, reached in [
            ("import twisted_reneg\n", "twisted_reneg"),
            ("from twisted_reneg.transport import TLSProtocol\n", "twisted_reneg.transport"),
            ("from twisted_reneg import options\n", "twisted_reneg"),
            ("from ..options import ClientOptions\n", "twisted_reneg.options"),
            ("from .. import transport\n", "twisted_reneg"),
            ("if True:\n    from ..interfaces import ITLS\n", "twisted_reneg.interfaces"),
        ]:
            self.assertFound(source, f"imports {reached}, a layer above the engine")
        self.assertFound(
            "from ...endpoints import x\n",
            "imports twisted_reneg.endpoints, a layer above the engine",
            f"{ENGINE}.sub.inner",
        )

    def test_packagesAbove(self) -> None:
        """
        A name from the C{__init__} of a package that holds the module.
        """
        above = f"imports {ENGINE}, a package above it"
        self.assertFound("from . import helper\n", above)
        self.assertFound("import twisted_reneg.tls\n", above)
        self.assertFound("from twisted_reneg import tls\n", above)
        self.assertFound("from twisted_reneg.tls import helper\n", above)
        self.assertFound("from .. import helper\n", above, f"{ENGINE}.sub.inner")
        self.assertFound(
            "from . import helper\n",
            f"imports {ENGINE}.sub, a package above it",
            f"{ENGINE}.sub.inner",
        )

    def test_beyondTheTopLevel(self) -> None:
        """
        Dots that climb out of C{twisted_reneg} are reported, not raised.
        """
        self.assertFound("from ... import x\n", "beyond the top-level package")

    def test_lineAndStatement(self) -> None:
        """
        The report gives the file, the line and the import as written.
        """
        [found] = self.check('"""Doc."""\n\nimport os\nfrom twisted.internet import task\n')
        self.assertEqual(
            found,
            f"{ENGINE}.records (twisted_reneg/tls/records.py:4) imports twisted.internet,"
            " which the engine must not use: from twisted.internet import task",
        )
