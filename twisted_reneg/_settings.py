# -*- test-case-name: tests.test_usability,tests.test_endpoints -*-
"""
The plain values of L{twisted_reneg.options.ServerOptions} and
L{twisted_reneg.options.ClientOptions} (TLS versions, cipher suites,
groups, ALPN protocols, the client-certificate mode, the handshake timeout,
the key log file) turned into what the engine takes, with errors that name
the option and the values it accepts.

Certificates, keys and trust roots are L{twisted_reneg._loading}'s.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from twisted.logger import Logger

from .tls.config import TLS12, TLS13, ClientAuth
from .tls.suites import (
    DEFAULT_GROUPS,
    SUITES13_BY_NAME,
    TLS12_SUITES,
    TLS13_SUITES,
    CipherSuite,
    CipherSuite13,
    NamedGroup,
    groupByName,
    suiteByName,
)

# The namespace of the public module the user configures, so that a
# configuration warning is found under the options it is about (and where
# it was before this module was split out of them).
_log = Logger(namespace="twisted_reneg.options")

_VERSIONS = {"1.2": TLS12, "TLSv1.2": TLS12, "1.3": TLS13, "TLSv1.3": TLS13}


def parseVersion(value: str | int) -> int:
    """
    A TLS version by its name (C{"1.2"}, C{"TLSv1.3"}), or its protocol
    number as is.

    @raise ValueError: for another name, naming those accepted.
    """
    if isinstance(value, int):
        return value
    try:
        return _VERSIONS[value]
    except KeyError:
        raise ValueError(f"unsupported TLS version {value!r}; use '1.2' or '1.3'") from None


def parseSuites(
    names: Iterable[str | CipherSuite | CipherSuite13] | None,
) -> tuple[tuple[CipherSuite, ...], tuple[CipherSuite13, ...]]:
    """
    Split a list of suites by version: TLS 1.2 names and TLS 1.3 names
    (C{TLS_AES_128_GCM_SHA256} ...) may be mixed; a version none of whose
    suites are listed keeps its defaults.

    @raise ValueError: for a suite we do not implement, listing those we do.
    """
    if names is None:
        return TLS12_SUITES, TLS13_SUITES
    tls12: list[CipherSuite] = []
    tls13: list[CipherSuite13] = []
    for name in names:
        if isinstance(name, CipherSuite13):
            tls13.append(name)
        elif isinstance(name, CipherSuite):
            tls12.append(name)
        elif name.upper() in SUITES13_BY_NAME:
            tls13.append(SUITES13_BY_NAME[name.upper()])
        else:
            try:
                tls12.append(suiteByName(name))
            except ValueError:
                valid = ", ".join([*SUITES13_BY_NAME, *("TLS_" + s.name for s in TLS12_SUITES)])
                raise ValueError(f"unsupported cipher suite {name!r}; valid: {valid}") from None
    return tuple(tls12) or TLS12_SUITES, tuple(tls13) or TLS13_SUITES


def parseGroups(names: Iterable[str | NamedGroup] | None) -> tuple[NamedGroup, ...]:
    """
    The key-exchange groups, each a L{NamedGroup} or a name L{groupNamed}
    takes; C{None} for the defaults.
    """
    if names is None:
        return DEFAULT_GROUPS
    return tuple(n if isinstance(n, NamedGroup) else groupNamed(n) for n in names)


#: Group names in lower case, for names in any letter case.
_GROUPS_BY_LOWER_NAME = {group.name.lower(): group for group in NamedGroup}


def groupNamed(name: str) -> NamedGroup:
    """
    A group by its name in any letter case (C{"X25519MLKEM768"},
    C{"x25519"}), or by an alias L{groupByName} knows (C{"P-256"}).
    """
    found = _GROUPS_BY_LOWER_NAME.get(name.lower())
    return found if found is not None else groupByName(name)


def parseProtocols(protocols: Iterable[bytes | str] | None) -> tuple[bytes, ...]:
    """
    ALPN protocol names as C{bytes}, those given as C{str} encoded as ASCII.
    """
    if not protocols:
        return ()
    return tuple(p.encode("ascii") if isinstance(p, str) else bytes(p) for p in protocols)


def parseClientAuth(value: str | ClientAuth) -> ClientAuth:
    """
    The C{clientCertificates=} mode of a server.

    @raise ValueError: for another value, listing those accepted.
    """
    try:
        return ClientAuth(value)
    except ValueError:
        choices = ", ".join(repr(c.value) for c in ClientAuth)
        raise ValueError(f"clientCertificates must be one of {choices}, not {value!r}") from None


def keyLogWriter(path: str | os.PathLike[str] | None) -> Callable[[str], None] | None:
    """
    Opt-in key logging (the C{keyLogFile} option or C{SSLKEYLOGFILE}): lines
    are appended as handshakes happen.  Loud, because anyone who reads that
    file can decrypt the traffic.
    """
    if path is None:
        return None
    _log.warn("TLS session secrets are being written to {path} (key log)", path=os.fspath(path))

    def write(line: str) -> None:
        with open(path, "a") as f:
            f.write(line + "\n")

    return write


def parseHandshakeTimeout(value: float | None) -> float | None:
    """
    C{None} or C{0} turns the limit off; a negative or non-finite number is
    a mistake.

    @raise ValueError: for such a mistake.
    """
    if value is None or value == 0:
        return None
    seconds = float(value)
    if not 0 < seconds < float("inf"):
        raise ValueError(f"handshakeTimeout must be a positive number of seconds, not {value!r}")
    return seconds
