"""
Twisted's own TLS (pyOpenSSL) as an interop peer: a test PKI identity as
the L{PrivateCertificate} its context factories take.
"""

from __future__ import annotations

from twisted.internet.ssl import PrivateCertificate

from twisted_reneg.testing.pki import Identity


def twistedCertificate(identity: Identity) -> PrivateCertificate:
    """
    @return: C{identity}'s certificate and key, loaded by Twisted.
    """
    with open(identity.certPath) as c, open(identity.keyPath) as k:
        return PrivateCertificate.loadPEM(c.read() + k.read())
