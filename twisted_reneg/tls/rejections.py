# -*- test-case-name: tests.tls.test_verification -*-
"""
Why a chain was refused, in words a person can act on.

C{cryptography}'s verifier reports the last reason it met, in its own
terms (an OID, a certificate repr, "candidates exhausted").  L{explainRejection}
rebuilds the path from the peer's certificates and our roots itself, so it
can say which certificate is at fault and where it sits in the chain, and
so that a chain ending at a configured root is never called "unknown
authority".
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from .errors import AlertDescription, PeerError

A = AlertDescription


class Purpose(Enum):
    """
    What the peer's certificate is for: C{openssl verify -purpose}'s
    C{sslclient} and C{sslserver}.
    """

    CLIENT = "client"
    SERVER = "server"

    @property
    def eku(self) -> x509.ObjectIdentifier:
        if self is Purpose.CLIENT:
            return ExtendedKeyUsageOID.CLIENT_AUTH
        return ExtendedKeyUsageOID.SERVER_AUTH


def describeCertificate(certificate: x509.Certificate) -> str:
    """
    A certificate as a person recognises it: its subject, or, when that is
    empty, its first subjectAltName.
    """
    subject = certificate.subject.rfc4514_string()
    if subject:
        return f"'{subject}'"
    names = _altNames(certificate)
    if names:
        return f"with an empty subject and subjectAltName {names[0]}"
    return f"with an empty subject (serial {certificate.serial_number:#x})"


def _altNames(certificate: x509.Certificate) -> list[str]:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [str(value) for value in san.get_values_for_type(x509.DNSName)] + [
        str(value) for value in san.get_values_for_type(x509.IPAddress)
    ]


def issuedBy(certificate: x509.Certificate, issuer: x509.Certificate) -> bool | None:
    """
    C{True} if C{issuer} signed C{certificate}, C{False} if its name fits but
    the signature does not verify, C{None} if the names do not fit.
    """
    if certificate.issuer != issuer.subject or not _keyIdentifiersFit(certificate, issuer):
        return None
    try:
        certificate.verify_directly_issued_by(issuer)
    except InvalidSignature:
        return False
    except (ValueError, TypeError):
        # Names fit but the key cannot check this signature (e.g. a key
        # type that cannot sign certificates): not a path either.
        return False
    return True


def weakSignatureHash(certificate: x509.Certificate) -> str | None:
    """
    C{"SHA-1"} or C{"MD5"} if that is what the certificate was signed with.
    """
    try:
        algorithm = certificate.signature_hash_algorithm
    except Exception:  # noqa: BLE001 - an algorithm cryptography does not know
        return None
    if isinstance(algorithm, hashes.SHA1):
        return "SHA-1"
    if isinstance(algorithm, hashes.MD5):
        return "MD5"
    return None


def _keyIdentifiersFit(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """
    Whether the authorityKeyIdentifier (if any) names the issuer's key: a
    CA of the same name with another key is another CA (an unknown one),
    not a forger, as OpenSSL's issuer lookup sees it too.
    """
    try:
        aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except (x509.ExtensionNotFound, ValueError):
        return True
    return aki.key_identifier is None or aki.key_identifier == ski.digest


class _Path:
    """
    The chain as we can rebuild it from the peer's certificates and our
    roots: C{certificates[0]} is the leaf; C{trusted} says whether it ends
    at one of our roots.
    """

    def __init__(self) -> None:
        self.certificates: list[x509.Certificate] = []
        self.trusted = False
        self.problem: PeerError | None = None

    def position(self, index: int) -> str:
        if index == 0:
            return "the leaf"
        if self.trusted and index == len(self.certificates) - 1:
            return "the trusted root"
        return f"intermediate {index}"

    def name(self, index: int) -> str:
        return f"{describeCertificate(self.certificates[index])} ({self.position(index)})"


def _buildPath(
    chain: Sequence[x509.Certificate], roots: Sequence[x509.Certificate], role: str
) -> _Path:
    path = _Path()
    current = chain[0]
    path.certificates.append(current)
    spare = list(chain[1:])
    while len(path.certificates) <= len(chain) + 1:
        if current in roots:
            path.trusted = True  # pinned, or a root the peer sent too
            return path
        weak = weakSignatureHash(current)
        if weak is not None:
            path.problem = PeerError(
                A.bad_certificate,
                f"{role} certificate {path.name(len(path.certificates) - 1)} is signed with "
                f"{weak}, which is refused: SHA-1 and MD5 signatures can be forged "
                "(reissue it with SHA-256)",
            )
            return path
        badSignature = None
        for root in roots:
            verdict = issuedBy(current, root)
            if verdict:
                path.certificates.append(root)
                path.trusted = True
                return path
            if verdict is False:
                badSignature = root
        nextOne = None
        for candidate in spare:
            verdict = issuedBy(current, candidate)
            if verdict:
                nextOne = candidate
                break
            if verdict is False and badSignature is None:
                badSignature = candidate
        if nextOne is None:
            here = path.name(len(path.certificates) - 1)
            if badSignature is not None:
                path.problem = PeerError(
                    A.decrypt_error,
                    f"{role} certificate {here}: its signature does not verify with the key "
                    f"of its issuer {describeCertificate(badSignature)} (a forged, corrupted "
                    "or re-issued certificate; is the right CA configured?)",
                )
            elif current.issuer == current.subject:
                path.problem = PeerError(
                    A.unknown_ca,
                    f"{role} certificate {here} is self-signed and is not one of the trusted "
                    "roots (to pin it, add it to the trust roots)",
                )
            else:
                issuer = current.issuer.rfc4514_string() or "(an empty name)"
                path.problem = PeerError(
                    A.unknown_ca,
                    f"{role} certificate {here} was issued by '{issuer}', which is neither a "
                    f"trusted root nor in the chain the {role} sent (unknown authority: add "
                    "its CA to the trust roots, or have the peer send its intermediates)",
                )
            return path
        spare.remove(nextOne)
        path.certificates.append(nextOne)
        current = nextOne
    return path


_ENCOUNTERED = re.compile(r"\s*\(encountered processing <Certificate\(subject=(.*?), \.\.\.\)>\)")
_PREFIXES = ("validation failed: ", "candidates exhausted: ")
_VALIDATOR = re.compile(r"Python extension validator failed: \w+: (.*)", re.S)
_INVALID_EXTENSION = re.compile(r"invalid extension: ([0-9.]+): (.*)", re.S)


def _extensionName(dotted: str) -> str:
    for name in dir(ExtensionOID):
        oid = getattr(ExtensionOID, name)
        if isinstance(oid, x509.ObjectIdentifier) and oid.dotted_string == dotted:
            return str(oid._name)
    return f"unknown extension {dotted}"


def _libraryReason(message: str) -> tuple[str, str | None]:
    """
    The library's message without its noise (prefixes, a certificate repr),
    and the repr of the subject it names, if any.
    """
    subject = None
    match = _ENCOUNTERED.search(message)
    if match:
        subject = match.group(1)
        message = message[: match.start()] + message[match.end() :]
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if message.startswith(prefix):
                message = message[len(prefix) :]
                changed = True
    validator = _VALIDATOR.match(message)
    if validator:
        return validator.group(1).strip(), subject
    extension = _INVALID_EXTENSION.match(message)
    if extension:
        return f"{_extensionName(extension.group(1))}: {extension.group(2).strip()}", subject
    return message.strip(), subject


def _firstIssuer(path: _Path, test: Callable[[x509.Certificate], bool]) -> int | None:
    for index in range(1, len(path.certificates)):
        if test(path.certificates[index]):
            return index
    return None


def basicConstraints(certificate: x509.Certificate) -> x509.BasicConstraints | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except (x509.ExtensionNotFound, ValueError):
        return None


def _explainLibraryMessage(path: _Path, role: str, reason: str, subject: str | None) -> PeerError:
    """
    The library rejected a chain that does reach a trusted root: name the
    rule it applied and, where we can tell, the certificate.
    """
    where = "chain"
    if subject is not None:
        for position, certificate in enumerate(path.certificates):
            if repr(certificate.subject) == subject:
                where = path.name(position)
                break
    if "path length constraint" in reason:
        index = _firstIssuer(
            path,
            lambda c: (bc := basicConstraints(c)) is not None and bc.path_length is not None,
        )
        if index is not None:
            bc = basicConstraints(path.certificates[index])
            assert bc is not None
            return PeerError(
                A.bad_certificate,
                f"{role} certificate chain: {path.name(index)} allows {bc.path_length} CA "
                "certificate(s) below it (basicConstraints pathlen), the chain has more",
            )
    if "name constraints" in reason or "name constraint" in reason:
        index = _firstIssuer(path, _hasNameConstraints)
        what = path.name(index) if index is not None else "an issuing CA"
        return PeerError(
            A.bad_certificate,
            f"{role} certificate {path.name(0)}: its names are outside the name constraints "
            f"of {what} ({reason})",
        )
    if "Forbidden public key algorithm" in reason:
        index = _firstIssuer(
            path,
            lambda c: not isinstance(c.public_key(), _ISSUER_KEYS),
        )
        if index is not None:
            return PeerError(
                A.bad_certificate,
                f"{role} certificate chain: {path.name(index)} signs with a "
                f"{type(path.certificates[index].public_key()).__name__.replace('PublicKey', '')} "
                "key; certificate issuers must have RSA or ECDSA keys here",
            )
    if "Forbidden signature algorithm" in reason or "signature algorithm" in reason.lower():
        return PeerError(
            A.bad_certificate,
            f"{role} certificate {where}: signed with an algorithm we do not accept "
            "(SHA-1 and MD5 signatures are refused)",
        )
    if "no basicConstraints" in reason:
        index = _firstIssuer(path, lambda c: basicConstraints(c) is None)
        what = path.name(index) if index is not None else where
        return PeerError(
            A.unknown_ca,
            f"{role} certificate chain: {what} issued a certificate but has no "
            "basicConstraints extension, so it is not a CA",
        )
    if "unaccounted-for critical extensions" in reason:
        return PeerError(
            A.unsupported_certificate,
            f"{role} certificate {where} has a critical extension we do not understand "
            f"({reason.split(':')[0]})",
        )
    if "cA must be asserted" in reason:
        index = _firstIssuer(path, lambda c: (bc := basicConstraints(c)) is not None and not bc.ca)
        what = path.name(index) if index is not None else "a certificate of the chain"
        reason = f"{what} issued a certificate, but it is not a CA (basicConstraints CA:FALSE)"
    if "issued a certificate, but" in reason:
        # OpenSSL's "invalid CA certificate", which it answers with unknown_ca.
        return PeerError(A.unknown_ca, f"{role} certificate chain: {reason}")
    if "extendedKeyUsage" in reason or "keyUsage" in reason:
        return PeerError(A.unsupported_certificate, f"{role} certificate: {reason}")
    if reason.startswith("'") or reason.startswith("with an empty subject"):
        return PeerError(A.bad_certificate, f"{role} certificate {reason}")
    return PeerError(A.bad_certificate, f"{role} certificate {where} refused: {reason}")


_ISSUER_KEYS = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)


def _hasNameConstraints(certificate: x509.Certificate) -> bool:
    try:
        certificate.extensions.get_extension_for_class(x509.NameConstraints)
    except (x509.ExtensionNotFound, ValueError):
        return False
    return True


def _validityProblem(path: _Path, role: str, now: datetime) -> PeerError | None:
    for index, certificate in enumerate(path.certificates):
        if now > certificate.not_valid_after_utc:
            return PeerError(
                A.certificate_expired,
                f"{role} certificate {path.name(index)} expired on "
                f"{certificate.not_valid_after_utc:%Y-%m-%d %H:%M:%S} UTC",
            )
        if now < certificate.not_valid_before_utc:
            return PeerError(
                A.certificate_expired,
                f"{role} certificate {path.name(index)} is not valid before "
                f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M:%S} UTC (check the clocks)",
            )
    return None


def explainRejection(
    chain: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    now: datetime,
    purpose: Purpose,
    libraryMessage: str,
    serverName: str | None = None,
) -> PeerError:
    """
    The alert and reason for a chain the library refused.

    The order of the checks is the order a person fixes things in: is the
    chain anchored at all, then dates, then names, then the rule the
    library reports.
    """
    role = purpose.value
    path = _buildPath(chain, roots, role)
    if path.problem is not None:
        return path.problem
    expired = _validityProblem(path, role, now)
    if expired is not None:
        return expired
    reason, subject = _libraryReason(libraryMessage)
    if serverName is not None and chain[0].version is x509.Version.v1:
        return PeerError(
            A.bad_certificate,
            f"server certificate {path.name(0)} is X.509 v1: it has no subjectAltName, so no "
            "host name can match it (reissue it as v3 with a subjectAltName: "
            f"{_addSubjectAltName(serverName)})",
        )
    if serverName is not None and "subjectAltName" in reason:
        leaf = chain[0]
        names = _altNames(leaf)
        if not names:
            return PeerError(
                A.bad_certificate,
                f"server certificate {path.name(0)} has no subjectAltName; host names are "
                "checked against the subjectAltName only, never the common name (RFC 9525); "
                f"reissue it with one: {_addSubjectAltName(serverName)}",
            )
        if not nameMatches(leaf, serverName):
            return PeerError(
                A.bad_certificate,
                f"server certificate {path.name(0)} is not valid for {serverName!r}; "
                f"its subjectAltName has {', '.join(names)}",
            )
    return _explainLibraryMessage(path, role, reason, subject)


def _addSubjectAltName(serverName: str) -> str:
    """
    How to make the certificate an operator needs, with the openssl
    commands they used without it: a self-signed one with C{req -x509}, or
    a CSR signed with C{x509 -req}, which copies no extension from the CSR
    unless told to (OpenSSL 3.0).
    """
    kind = "IP" if _isIPAddress(serverName) else "DNS"
    san = f'-addext "subjectAltName={kind}:{serverName}"'
    return (
        f"openssl req ... {san} when making the key and request (or the self-signed "
        "certificate with -x509), and openssl x509 -req ... -copy_extensions copy when "
        "signing the request, so that the subjectAltName reaches the certificate"
    )


def _isIPAddress(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def nameMatches(leaf: x509.Certificate, serverName: str) -> bool:
    """
    Whether the leaf's subjectAltName covers C{serverName} (RFC 6125: DNS
    names with a left-most wildcard label, or an exact IP address).  Used to
    name the reason of a failure; the decision itself is the verifier's.
    """
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    try:
        address = ipaddress.ip_address(serverName)
    except ValueError:
        address = None
    if address is not None:
        return address in san.get_values_for_type(x509.IPAddress)
    wanted = serverName.lower().rstrip(".")
    for pattern in san.get_values_for_type(x509.DNSName):
        pattern = pattern.lower().rstrip(".")
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted:
            if wanted.split(".", 1)[1] == pattern[2:]:
                return True
    return False
