# -*- test-case-name: tests.tls.test_truststore -*-
"""
The default trust store, found where OpenSSL finds it.

OpenSSL's C{X509_STORE_set_default_paths} uses a bundle file and a hashed
certificate directory, each overridable from the environment
(C{SSL_CERT_FILE}, C{SSL_CERT_DIR}).  We read the same places, so a server
or client that works with C{openssl s_client} trusts the same CAs here,
including the private CAs an operator added with C{c_rehash} or
C{update-ca-certificates}.

Unlike OpenSSL, which looks a hashed directory up lazily by subject hash,
we read every hashed file once per process: the store of
C{cryptography.x509.verification} takes its certificates up front.
"""

from __future__ import annotations

import os
import re
import ssl
import warnings
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.utils import CryptographyDeprecationWarning

#: Where bundles live on systems whose OpenSSL was built with other defaults
#: than the one Python links against (tried only when OpenSSL's own file and
#: directory give nothing).
_FALLBACK_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # macOS, BSDs
)

#: The names C{c_rehash} / C{openssl rehash} give: subject hash, a dot, a
#: collision counter.  CRLs (C{.rN}) and everything else are not read, as
#: OpenSSL does not read them as certificates.
_HASHED_NAME = re.compile(r"^[0-9a-f]{8}\.[0-9]+$")

_SHA256 = hashes.SHA256()


def loadPEMCertificates(data: bytes) -> list[x509.Certificate]:
    """
    Parse a PEM bundle without the deprecation warnings C{cryptography}
    gives for old roots (e.g. non-positive serial numbers in some system
    bundles): those roots are the system's choice, not a fault the
    operator of this program can fix, and a warning on every start is
    noise.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        certificates = x509.load_pem_x509_certificates(data)
        for certificate in certificates:
            # The serial-number warning fires when the serial is first read.
            certificate.serial_number  # noqa: B018
    return certificates


def _readBundle(path: str) -> list[x509.Certificate]:
    try:
        with open(path, "rb") as f:
            return loadPEMCertificates(f.read())
    except (OSError, ValueError):
        return []


def _readHashedDirectory(directory: str) -> list[x509.Certificate]:
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    found: list[x509.Certificate] = []
    for name in names:
        if _HASHED_NAME.match(name):
            found.extend(_readBundle(os.path.join(directory, name)))
    return found


def _unique(certificates: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    result = []
    for certificate in certificates:
        fingerprint = certificate.fingerprint(_SHA256)
        if fingerprint not in seen:
            seen.add(fingerprint)
            result.append(certificate)
    return result


def defaultVerifyLocations(
    environ: dict[str, str] | None = None,
) -> tuple[str | None, list[str]]:
    """
    The bundle file and hashed directories OpenSSL would use.

    @param environ: the environment to read C{SSL_CERT_FILE} and
        C{SSL_CERT_DIR} from (default: C{os.environ}).
    @return: the bundle path (or C{None}) and the directories; either may
        not exist, as with OpenSSL.
    """
    env = os.environ if environ is None else environ
    paths = ssl.get_default_verify_paths()
    bundle = env.get(paths.openssl_cafile_env) or paths.openssl_cafile or None
    dirs = env.get(paths.openssl_capath_env) or paths.openssl_capath or ""
    return bundle, [d for d in dirs.split(os.pathsep) if d]


def findTrustRoots(environ: dict[str, str] | None = None) -> list[x509.Certificate]:
    """
    Read the default trust roots: OpenSSL's bundle and hashed directories
    (environment overrides included), else the usual system bundle paths.
    """
    bundle, directories = defaultVerifyLocations(environ)
    roots = _readBundle(bundle) if bundle else []
    for directory in directories:
        roots.extend(_readHashedDirectory(directory))
    if not roots:
        for path in _FALLBACK_BUNDLES:
            roots = _readBundle(path)
            if roots:
                break
    return _unique(roots)


_systemRoots: list[x509.Certificate] | None = None


def systemTrustRoots() -> list[x509.Certificate]:
    """
    L{findTrustRoots}, once per process.
    """
    global _systemRoots
    if _systemRoots is None:
        _systemRoots = findTrustRoots()
    return _systemRoots
