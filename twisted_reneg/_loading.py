# -*- test-case-name: tests.test_usability,tests.test_foreign_options,tests.test_canames -*-
"""
The certificates, keys and trust roots given to
L{twisted_reneg.options.ServerOptions} and
L{twisted_reneg.options.ClientOptions}, in any form they take (file paths,
PEM or DER bytes, C{cryptography} objects, Twisted's and pyOpenSSL's
certificate and key objects, C{trustRootFromCertificates(...)},
C{platformTrust()}), turned into the engine's L{Credential}s and trust
roots, and the CA names a server sends from those roots.

Reading files and bytes is L{twisted_reneg._files}'s; this module decides
what a value is and which of the options' shapes it has, so that a value
of the wrong shape gets a message listing the right ones.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from twisted.logger import Logger

from ._files import (
    CertificateFileError,
    holds,
    loadCertificateAndKey,
    loadCertificates,
    loadPrivateKey,
)
from .tls.clientauth import MAX_CA_NAMES_BYTES, caNamesForRoots
from .tls.credentials import Credential, PeerVerifier
from .tls.messages import MAX_CERTIFICATE_AUTHORITIES

# The namespace of the public module the user configures, so that a
# configuration warning is found under the options it is about (and where
# it was before this module was split out of them).
_log = Logger(namespace="twisted_reneg.options")


def cryptographyCertificate(cert: Any) -> x509.Certificate:
    """
    Accept a C{cryptography} certificate, a Twisted
    L{twisted.internet.ssl.Certificate} or a pyOpenSSL C{X509}.

    @raise TypeError: for anything else.
    """
    if isinstance(cert, x509.Certificate):
        return cert
    original = getattr(cert, "original", cert)  # Twisted's Certificate wraps X509
    toCryptography = getattr(original, "to_cryptography", None)
    if toCryptography is None:
        raise TypeError(f"not a certificate: {cert!r}")
    result = toCryptography()
    assert isinstance(result, x509.Certificate)
    return result


def certificatesFrom(value: Any) -> list[x509.Certificate]:
    """
    One or more certificates, each given any way L{cryptographyCertificate}
    takes, or as PEM (or DER) bytes holding one or more.
    """
    items = value if isinstance(value, (list, tuple)) else [value]
    found: list[x509.Certificate] = []
    for item in items:
        if isinstance(item, (bytes, bytearray)):
            found.extend(loadCertificates(bytes(item)))
        else:
            found.append(cryptographyCertificate(item))
    return found


def loadTrustRoots(trustRoots: Any, trustRoot: Any = None) -> list[x509.Certificate] | None:
    """
    Turn the many ways of naming trust roots into certificates, or C{None}
    for the system bundle.

    @param trustRoots: the C{trustRoots=} option.
    @param trustRoot: Twisted's spelling of it, C{trustRoot=}.
    @raise TypeError: when both are given.
    """
    if trustRoots is not None and trustRoot is not None:
        raise TypeError(
            "trustRoots and trustRoot are the same option (trustRoot is Twisted's "
            "spelling): give one"
        )
    trust = trustRoot if trustRoots is None else trustRoots
    if trust is None:
        return None
    if type(trust).__name__ == "OpenSSLDefaultPaths":  # twisted's platformTrust()
        return None
    caCerts = getattr(trust, "_caCerts", None)  # twisted's trustRootFromCertificates()
    if caCerts is not None:
        return [cryptographyCertificate(c) for c in caCerts]
    if isinstance(trust, (str, os.PathLike)):  # a PEM bundle (or one DER file) on disk
        return loadCertificates(trust, "CA bundle")
    return certificatesFrom(trust)


def loadCredential(
    certificateChain: Any, privateKey: Any, keyPassword: bytes | str | None = None
) -> Credential:
    """
    Our certificate chain and key, from objects, PEM bytes or file paths.

    @raise CertificateFileError: naming the file and the mistake, or the
        certificate a key does not belong to.
    """
    if isinstance(certificateChain, (str, os.PathLike)):
        certs = tuple(loadCertificates(certificateChain))
    else:
        certs = tuple(certificatesFrom(certificateChain))
    if not certs:
        raise CertificateFileError("no certificate given for the private key")
    key = privateKey
    if isinstance(key, (bytes, str, os.PathLike)):
        key = loadPrivateKey(key, keyPassword)
    elif hasattr(key, "original") and hasattr(key.original, "to_cryptography_key"):
        key = key.original.to_cryptography_key()  # twisted KeyPair
    elif hasattr(key, "to_cryptography_key"):
        key = key.to_cryptography_key()  # pyOpenSSL PKey
    try:
        return Credential(certs, key)
    except ValueError as e:
        if "does not match" not in str(e):
            raise
        where = (
            f" in {os.fspath(privateKey)!r}" if isinstance(privateKey, (str, os.PathLike)) else ""
        )
        subject = certs[0].subject.rfc4514_string()
        raise CertificateFileError(
            f"the private key{where} does not belong to the certificate '{subject}' "
            "(the leaf, which must come first in the chain)"
        ) from None


_PRIVATE_KEY_TYPES = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    dsa.DSAPrivateKey,
)


def _isKeyOnly(value: Any) -> bool:
    """
    Whether C{value} is a private key and no certificate: a C{cryptography}
    or pyOpenSSL key, a Twisted C{KeyPair}, or PEM/DER bytes or a file
    holding only a key.
    """
    if isinstance(value, _PRIVATE_KEY_TYPES):
        return True
    if isinstance(value, (bytes, bytearray, str, os.PathLike)):
        certificate, key = holds(bytes(value) if isinstance(value, bytearray) else value)
        return key and not certificate
    original = getattr(value, "original", value)  # Twisted's KeyPair wraps a PKey
    return hasattr(original, "to_cryptography_key") and not hasattr(value, "privateKey")


def _holdsCertificate(value: Any) -> bool:
    """
    Whether C{value} is or holds a certificate (a chain: its first), in any
    form L{loadCredential} takes.
    """
    if isinstance(value, (list, tuple)):
        return bool(value) and _holdsCertificate(value[0])
    if isinstance(value, (bytes, bytearray, str, os.PathLike)):
        return holds(bytes(value) if isinstance(value, bytearray) else value)[0]
    original = getattr(value, "original", value)
    return isinstance(value, x509.Certificate) or hasattr(original, "to_cryptography")


def _isCertificate(value: Any) -> bool:
    """
    Whether C{value} is a certificate object (where a key should be).
    """
    original = getattr(value, "original", value)
    return isinstance(value, x509.Certificate) or (
        hasattr(original, "to_cryptography") and not hasattr(original, "to_cryptography_key")
    )


#: The message for C{ServerOptions(privateKey, certificateChain)}.
_OLD_ORDER = (
    "ServerOptions(privateKey, certificateChain) is deprecated: "
    "give the certificate chain first, ServerOptions(certificateChain, privateKey), as "
    "ServerOptions.fromPEM(certChainPath, keyPath) and the (certificate, key) pairs of "
    "clientCertificate= and sniMap= take them (or name them: certificateChain=..., "
    "privateKey=...)"
)


def serverCredential(
    certificateChain: Any, privateKey: Any, keyPassword: bytes | str | None
) -> Credential:
    """
    The server's credential; a key given where the chain goes and a
    certificate where the key goes is the order of old, taken with a
    warning.
    """
    try:
        return loadCredential(certificateChain, privateKey, keyPassword)
    except (CertificateFileError, TypeError):
        if not (_isKeyOnly(certificateChain) and _holdsCertificate(privateKey)):
            raise
    # Here, ServerOptions.__init__, the keyword check, the caller.
    warnings.warn(_OLD_ORDER, DeprecationWarning, stacklevel=4)
    return loadCredential(privateKey, certificateChain, keyPassword)


#: The shapes a certificate with its key may take (C{clientCertificate=},
#: each of C{clientCertificates=}, the values of C{sniMap=}).
_CREDENTIAL_SHAPES = (
    "a (certificate, key) pair (each a file path, PEM bytes or a cryptography object; "
    "the certificate may be a chain, leaf first), a Twisted PrivateCertificate, or the "
    "path (or PEM bytes) of one file holding the certificate and its key"
)


def _shape(value: Any) -> str:
    """
    What C{value} is, for messages: C{"a tuple of 3 items"}, C{"an int"}.
    """
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    if isinstance(value, (tuple, list)):
        return f"{article} {name} of {len(value)} items"
    return f"{article} {name}"


def credentialFrom(
    value: Any, keyPassword: bytes | str | None = None, what: str = "clientCertificate"
) -> Credential | None:
    """
    One certificate with its key, in any of L{_CREDENTIAL_SHAPES}.

    @param what: the option it came from, for messages.
    @raise TypeError: for another shape, listing those accepted.
    """
    if value is None or isinstance(value, Credential):
        return value
    if hasattr(value, "privateKey"):  # twisted PrivateCertificate: both halves
        return loadCredential(value, value.privateKey)
    if isinstance(value, (str, os.PathLike, bytes, bytearray)):
        chain, key = loadCertificateAndKey(
            bytes(value) if isinstance(value, bytearray) else value, keyPassword, what
        )
        return loadCredential(chain, key)
    if isinstance(value, (tuple, list)) and len(value) == 2 and not _isCertificate(value[1]):
        chain, key = value
        return loadCredential(chain, key, keyPassword)
    raise TypeError(f"{what} takes {_CREDENTIAL_SHAPES}; not {_shape(value)}")


def clientCredentials(
    clientCertificate: Any, clientCertificates: Any, keyPassword: bytes | str | None = None
) -> tuple[Credential, ...]:
    """
    C{clientCertificate=} is the one-certificate shorthand for
    C{clientCertificates=}; giving both is a mistake.
    """
    if clientCertificate is not None and clientCertificates is not None:
        raise ValueError("give clientCertificate or clientCertificates, not both")
    if clientCertificates is None:
        one = credentialFrom(clientCertificate, keyPassword)
        return (one,) if one is not None else ()
    if (
        isinstance(clientCertificates, (str, os.PathLike, bytes, bytearray))
        or hasattr(clientCertificates, "privateKey")
        or (
            isinstance(clientCertificates, tuple)
            and len(clientCertificates) == 2
            and not _isCertificateForm(clientCertificates[1])
        )
    ):
        raise TypeError("clientCertificates takes a list of certificates; use clientCertificate")
    credentials = []
    for value in clientCertificates:
        credential = credentialFrom(value, keyPassword, "each of clientCertificates")
        if credential is None:
            raise ValueError("clientCertificates holds None")
        credentials.append(credential)
    return tuple(credentials)


def _isCertificateForm(value: Any) -> bool:
    """
    Whether C{value} is one client certificate as C{clientCertificate}
    takes it, not the private key half of a C{(chain, key)} pair.
    """
    if isinstance(value, (str, os.PathLike, bytes, bytearray)):  # a combined file?
        return _holdsCertificate(value)
    return isinstance(value, (Credential, tuple, list)) or hasattr(value, "privateKey")


def clientCANames(verifier: PeerVerifier, send: bool) -> tuple[bytes, ...]:
    """
    The CA names a server sends, worked out once per options object.
    """
    # Only roots given explicitly: the system bundle would be a long list,
    # and it says nothing about which clients we expect.
    roots = verifier.configuredTrustRoots
    if not send or roots is None:
        return ()
    names = caNamesForRoots(roots)
    if names is None:
        _log.warn(
            "Not naming the {count} client certificate CAs in CertificateRequest: "
            "their names exceed {limit} bytes or {most} names",
            count=len(roots),
            limit=MAX_CA_NAMES_BYTES,
            most=MAX_CERTIFICATE_AUTHORITIES,
        )
        return ()
    return names
