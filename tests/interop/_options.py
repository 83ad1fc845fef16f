"""
Our side's options in the interop tests: a server with one of the test
PKI's identities, a client that trusts the test CA, and a TLS 1.3-only
client.
"""

from __future__ import annotations

from twisted_reneg import ClientOptions, ServerOptions
from twisted_reneg.testing.pki import Identity, cachedPKI
from twisted_reneg.tls.suites import KeyExchange


def serverIdentityFor(keyExchange: KeyExchange) -> Identity:
    """
    @return: the test PKI's server identity whose key C{keyExchange} signs
        with (RSA or ECDSA).
    """
    pki = cachedPKI()
    return pki.rsaServer if keyExchange is KeyExchange.ECDHE_RSA else pki.ecdsaServer


def ourServerOptions(identity: Identity | None = None, **kw: object) -> ServerOptions:
    """
    @param identity: the server's certificate and key; the test PKI's ECDSA
        server if L{None}.
    """
    identity = identity or cachedPKI().ecdsaServer
    return ServerOptions.fromPEM(identity.certPath, identity.keyPath, **kw)  # type: ignore[arg-type]


def ourClientOptions(**kw: object) -> ClientOptions:
    """
    @return: client options for C{localhost} that trust the test CA.
    """
    return ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate], **kw)  # type: ignore[arg-type]


def client13(**kw: object) -> ClientOptions:
    """
    Our client options, TLS 1.3 only, trusting the test CA.
    """
    return ClientOptions(
        "localhost",
        trustRoots=[cachedPKI().caCertificate],
        minVersion="1.3",
        maxVersion="1.3",
        **kw,  # type: ignore[arg-type]
    )
