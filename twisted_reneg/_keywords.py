# -*- test-case-name: tests.test_usability -*-
"""
Misspelled keyword arguments: a C{TypeError} that names the public callable
the user called (not the private base class that happens to take the
keyword) and the keyword they probably meant.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Collection, Iterable
from typing import Any, Concatenate, ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")


def keywordNames(function: Callable[..., Any]) -> frozenset[str]:
    """
    The names C{function} takes as keyword arguments.
    """
    return frozenset(
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    )


def closeMatch(name: str, known: Iterable[str]) -> str | None:
    """
    The one of C{known} that C{name} most likely misspells, if any: the
    same name in other letter case, else the closest by
    C{difflib.get_close_matches}.
    """
    candidates = sorted(known)
    for candidate in candidates:
        if candidate.lower() == name.lower():
            return candidate
    found = difflib.get_close_matches(name, candidates, n=1)
    return found[0] if found else None


def unexpectedKeyword(owner: str, name: str, known: Iterable[str]) -> str:
    """
    The message for C{owner(name=...)}, which C{owner} does not take.
    """
    match = closeMatch(name, known)
    hint = f"; did you mean {match!r}?" if match is not None else ""
    return f"{owner}() got an unexpected keyword argument {name!r}{hint}"


def checkKeywords(owner: str, given: Iterable[str], known: Collection[str]) -> None:
    """
    @raise TypeError: for the first of C{given} not in C{known}, naming
        C{owner} and the close match.
    """
    for name in given:
        if name not in known:
            raise TypeError(unexpectedKeyword(owner, name, known))


def checkedKeywords(
    init: Callable[Concatenate[Any, _P], _R],
) -> Callable[Concatenate[Any, _P], _R]:
    """
    Decorate an C{__init__} so that an unknown keyword argument raises a
    C{TypeError} naming the class being made (not the class that defines
    the method) and the close match.  The signature, for C{help()} and
    C{inspect.signature}, stays that of C{init}.
    """
    known = keywordNames(init)

    @functools.wraps(init)
    def checked(self: Any, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        checkKeywords(type(self).__name__, kwargs, known)
        return init(self, *args, **kwargs)

    return checked
