"""
Command lines of GnuTLS's test peers on 127.0.0.1: C{gnutls-cli},
verifying our server as C{localhost} against the test CA, and
C{gnutls-serv --echo} with one of the test PKI's identities; priority
strings for one protocol version.
"""

from __future__ import annotations

from twisted_reneg.testing.pki import Identity, cachedPKI

from .peers import requirePeer

TLS12_ONLY = "NORMAL:-VERS-ALL:+VERS-TLS1.2"
TLS13_ONLY = "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#: What gnutls-cli prints once the handshake is done: what the server sent
#: comes after it.
DATA_MARKER = b"- Simple Client Mode:\n\n"


def gnutlsCliArgv(port: int, priority: str = TLS12_ONLY, *extra: str) -> list[str]:
    """
    @return: C{gnutls-cli} for 127.0.0.1:C{port} with C{priority}, then
        C{extra}.
    """
    return [
        requirePeer("gnutls-cli"),
        "-p",
        str(port),
        "127.0.0.1",
        "--x509cafile",
        cachedPKI().caPath,
        "--verify-hostname",
        "localhost",
        "--sni-hostname",
        "localhost",
        "--priority",
        priority,
        *extra,
    ]


def gnutlsServArgv(
    port: int, identity: Identity, priority: str = TLS12_ONLY, *extra: str
) -> list[str]:
    """
    @return: C{gnutls-serv --echo} on C{port} with C{priority}, then
        C{extra}.
    """
    return [
        requirePeer("gnutls-serv"),
        "--echo",
        "-p",
        str(port),
        "--x509certfile",
        identity.certPath,
        "--x509keyfile",
        identity.keyPath,
        "--priority",
        priority,
        *extra,
    ]


def gnutlsCli(port: int, *extra: str) -> list[str]:
    """
    @return: C{gnutls-cli} for 127.0.0.1:C{port}, TLS 1.2 only, then
        C{extra}.
    """
    return gnutlsCliArgv(port, TLS12_ONLY, *extra)
