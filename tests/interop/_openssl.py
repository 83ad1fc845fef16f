"""
Command lines of OpenSSL's TLS 1.2 test peers on 127.0.0.1: C{openssl
s_client}, verifying our server as C{localhost} against the test CA, and
C{openssl s_server} with one of the test PKI's identities.
"""

from __future__ import annotations

from twisted_reneg.testing.pki import Identity, cachedPKI

from .peers import requirePeer


def sClientArgv(port: int, *extra: str) -> list[str]:
    """
    @return: C{openssl s_client -tls1_2} for 127.0.0.1:C{port}, then C{extra}.
    """
    return [
        requirePeer("openssl"),
        "s_client",
        "-tls1_2",
        "-connect",
        f"127.0.0.1:{port}",
        "-servername",
        "localhost",
        "-CAfile",
        cachedPKI().caPath,
        "-verify_return_error",
        "-verify_hostname",
        "localhost",
        *extra,
    ]


def sServerArgv(port: int, identity: Identity, *extra: str) -> list[str]:
    """
    @return: C{openssl s_server -tls1_2} on 127.0.0.1:C{port} for one
        connection, then C{extra}.
    """
    return [
        requirePeer("openssl"),
        "s_server",
        "-tls1_2",
        "-accept",
        f"127.0.0.1:{port}",
        "-cert",
        identity.certPath,
        "-key",
        identity.keyPath,
        "-naccept",
        "1",
        *extra,
    ]
