# -*- test-case-name: tests.tls.test_verification -*-
"""
Verifying a peer's certificate chain: L{PeerVerifier}.

The decision is C{cryptography.x509.verification}'s (chain building,
signatures, validity, basic constraints and path length, name constraints,
host names from the subjectAltName).  Its default profile is the Web PKI's
(CA/Browser Forum), which refuses most certificates of private PKIs: roots
made by C{openssl req -x509} (no keyUsage), client certificates without a
subjectAltName or authorityKeyIdentifier, trustme's critical subjectAltName
and extendedKeyUsage.  We give it extension policies that accept what
C{openssl verify -purpose sslclient|sslserver} accepts, and keep every check
that protects someone:

  - an issuer must be a CA (basicConstraints CA:TRUE) and, if it has a
    keyUsage, one with keyCertSign;
  - an extendedKeyUsage, where present on any certificate of the chain,
    must list the purpose (anyExtendedKeyUsage alone does not, as for
    OpenSSL);
  - RSA keys have at least 2048 bits;
  - a leaf's keyUsage, where present, must allow signing (a server's also
    key encipherment or agreement, as OpenSSL's purpose check says);
  - an unknown critical extension is refused;
  - a server's names come from its subjectAltName only (RFC 9525).

The differences from OpenSSL that remain are deliberate and listed in
docs/index.md ("Certificate verification").

A chain that verified is remembered (L{PeerVerifier}'s verdict cache, as
Chromium's C{CachingCertVerifier} does), keyed by the exact certificates
(the very objects, which L{peerchain.loadChain} hands out again for the
same DER), the purpose, the name and the path-length limit, for as long
as every certificate of the path the library built is within its validity
period: a client meets the same server chain on every connection, and
verifying it again is most of the client's CPU per full handshake (the
C{tls13-ecdsa-full} row of bench/engine.py shows it).  The verdict cannot
change inside that window: the inputs are the same bytes, the trust store
and policies are fixed per verifier, and the path found stays valid (the
library may find another path later, but one exists, and the issuer key
sizes of any path are the library's own check, the leaf's is the same).
Only successes are kept, so a refusal is always worked out, and explained,
afresh.  No revocation is checked either way.

When the library says no, L{rejections.explainRejection} names the rule
and the certificate.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    DNSName,
    ExtensionPolicy,
    IPAddress,
    PolicyBuilder,
    Store,
    VerificationError,
)

from .errors import AlertDescription, PeerError
from .rejections import (
    Purpose,
    basicConstraints,
    describeCertificate,
    explainRejection,
    issuedBy,
    weakSignatureHash,
)
from .truststore import systemTrustRoots

A = AlertDescription
_ANY = Criticality.AGNOSTIC


_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
}


class _CertificateProblem(ValueError):
    """
    Raised by our extension validators: the library reports its text.
    """


# --- extension policies ------------------------------------------------------


#: What an extension validator gets: the policy, the certificate, and the
#: extension's value (C{None} when a may-be-present extension is absent).
Validator = Callable[[object, x509.Certificate, object], None]


def _ekuValidator(purpose: Purpose) -> Validator:
    def check(policy: object, certificate: x509.Certificate, eku: object) -> None:
        if eku is None:
            return
        assert isinstance(eku, x509.ExtendedKeyUsage)
        usages = list(eku)
        # anyExtendedKeyUsage alone does not do: OpenSSL's purpose check
        # refuses it too, and the CA/B Forum forbids it in leaves.
        if purpose.eku in usages:
            return
        allowed = ", ".join(_EKU_NAMES.get(u, u.dotted_string) for u in usages) or "nothing"
        raise _CertificateProblem(
            f"{describeCertificate(certificate)}: its extendedKeyUsage does not allow TLS "
            f"{purpose.value} authentication ({_EKU_NAMES[purpose.eku]}); it allows {allowed}"
        )

    return check


def _issuerKeyUsage(policy: object, certificate: x509.Certificate, usage: object) -> None:
    if usage is None:
        return  # openssl req -x509 makes roots without one, and OpenSSL accepts them
    assert isinstance(usage, x509.KeyUsage)
    if not usage.key_cert_sign:
        raise _CertificateProblem(
            f"{describeCertificate(certificate)} issued a certificate, but its keyUsage "
            "does not include keyCertSign"
        )


def _issuerBasicConstraints(policy: object, certificate: x509.Certificate, bc: object) -> None:
    assert isinstance(bc, x509.BasicConstraints)
    if not bc.ca:
        raise _CertificateProblem(
            f"{describeCertificate(certificate)} issued a certificate, but it is not a CA "
            "(basicConstraints CA:FALSE)"
        )


def _leafKeyUsageValidator(purpose: Purpose) -> Validator:
    def check(policy: object, certificate: x509.Certificate, usage: object) -> None:
        if usage is None:
            return
        assert isinstance(usage, x509.KeyUsage)
        if usage.digital_signature:
            return
        # OpenSSL's sslserver purpose also takes key encipherment or
        # agreement (the static-RSA and static-DH suites of old).
        if purpose is Purpose.SERVER and (usage.key_encipherment or usage.key_agreement):
            return
        raise _CertificateProblem(
            f"{describeCertificate(certificate)}: its keyUsage does not include "
            "digitalSignature, which TLS needs to prove possession of the key"
        )

    return check


def _policies(purpose: Purpose) -> tuple[ExtensionPolicy, ExtensionPolicy]:
    """
    The CA and end-entity extension policies for one purpose (see the
    module docstring for what they keep and why).
    """
    eku = _ekuValidator(purpose)
    ca = (
        ExtensionPolicy.permit_all()
        .require_present(x509.BasicConstraints, _ANY, _issuerBasicConstraints)
        .may_be_present(x509.KeyUsage, _ANY, _issuerKeyUsage)
        .may_be_present(x509.ExtendedKeyUsage, _ANY, eku)
    )
    ee = (
        ExtensionPolicy.permit_all()
        .may_be_present(x509.KeyUsage, _ANY, _leafKeyUsageValidator(purpose))
        .may_be_present(x509.ExtendedKeyUsage, _ANY, eku)
    )
    if purpose is Purpose.SERVER:
        # The library insists, and rightly: a server's name is checked
        # against its subjectAltName, never its common name (RFC 9525).
        ee = ee.require_present(x509.SubjectAlternativeName, _ANY, None)
    return ca, ee


_POLICIES = {purpose: _policies(purpose) for purpose in Purpose}


def _checkPathLengths(chain: Sequence[x509.Certificate], purpose: Purpose) -> None:
    """
    RFC 5280 4.2.1.9 over a whole chain, leaf first: a CA's pathLenConstraint
    bounds the CA certificates between it and the leaf.
    """
    for index in range(1, len(chain)):
        bc = basicConstraints(chain[index])
        below = index - 1
        if bc is not None and bc.path_length is not None and below > bc.path_length:
            raise PeerError(
                A.bad_certificate,
                f"{purpose.value} certificate chain: {describeCertificate(chain[index])} "
                f"(chain position {index}) allows {bc.path_length} CA certificate(s) below it "
                f"(basicConstraints pathlen), the chain has {below}",
            )


#: The smallest RSA modulus we accept anywhere in a chain.  OpenSSL's
#: C{verify} takes 1024 bits at its default security level; its TLS layer on
#: Debian (level 2) and NIST SP 800-131A do not, and neither do we.
MIN_RSA_BITS = 2048


def _checkKeySizes(chain: Sequence[x509.Certificate], purpose: Purpose) -> None:
    """
    Refuse a weak RSA key in the verified chain (the library checks the
    keys that sign certificates, not the leaf's).
    """
    for index, certificate in enumerate(chain):
        key = certificate.public_key()
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
            where = "the leaf" if index == 0 else f"chain position {index}"
            raise PeerError(
                A.bad_certificate,
                f"{purpose.value} certificate {describeCertificate(certificate)} ({where}) has "
                f"a {key.key_size}-bit RSA key, too weak: at least {MIN_RSA_BITS} bits are "
                "required",
            )


# --- the verifier ------------------------------------------------------------


@lru_cache(maxsize=256)
def addressLiteral(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """
    The IP address C{name} spells, or C{None} for a host name.

    Cached because a client asks about the same few names on every
    handshake (its server_name extension, then the name it verifies), and
    for a host name C{ip_address} fails twice (IPv4, then IPv6) by raising:
    tens of microseconds each time, a visible share of a handshake.
    """
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


#: Verdicts a L{PeerVerifier} keeps: the distinct chains (and names) it
#: meets, a client's servers or a server's clients.
VERDICT_CACHE_SIZE = 256

#: What a verdict depends on besides the verifier's trust store: the
#: purpose, the server name (C{None} for a client), the path-length limit
#: and the chain as sent, by the identity of its certificate objects
#: (hashing a certificate hashes its DER, every time).
_VerdictKey = tuple[Purpose, str | None, int, tuple[int, ...]]

#: The chain a verdict is on, and when the path built for it is valid.
_Verdict = tuple[tuple[x509.Certificate, ...], datetime, datetime]


def _subjectFor(name: str) -> DNSName | IPAddress:
    address = addressLiteral(name)
    return DNSName(name) if address is None else IPAddress(address)


class PeerVerifier:
    """
    Verifies a peer's chain: path to a trust root, validity period, key
    usage, and for servers the name.

    @param trustRoots: the CAs to trust; C{None} for the system's (found as
        OpenSSL finds them, see L{truststore}).  A self-signed certificate
        given here is trusted as itself (pinning).
    @param verify: C{False} accepts any chain.  Never the default: the
        options layer only sets it when asked by name, and logs it.
    """

    def __init__(
        self,
        trustRoots: Sequence[x509.Certificate] | None = None,
        verify: bool = True,
        maxChainLength: int = 10,
    ) -> None:
        self._trustRoots = list(trustRoots) if trustRoots is not None else None
        self.verify = verify
        self.maxChainLength = maxChainLength
        self._store: Store | None = None
        #: Chains that verified (see the module docstring), newest last:
        #: L{_VerdictKey} to the chain itself and the period in which the
        #: path built for it is valid.
        self._verified: OrderedDict[_VerdictKey, _Verdict] = OrderedDict()

    @property
    def trustRoots(self) -> list[x509.Certificate]:
        """
        The configured roots, or the system's.
        """
        return self._trustRoots if self._trustRoots is not None else systemTrustRoots()

    @property
    def configuredTrustRoots(self) -> list[x509.Certificate] | None:
        """
        The roots given explicitly, or C{None} when the system's are used.
        """
        return self._trustRoots

    def _getStore(self) -> Store:
        if self._store is None:
            roots = self.trustRoots
            if not roots:
                raise PeerError(A.unknown_ca, "no trust roots configured or found")
            self._store = Store(roots)
        return self._store

    def _builder(self, now: datetime, purpose: Purpose) -> PolicyBuilder:
        ca, ee = _POLICIES[purpose]
        return (
            PolicyBuilder()
            .store(self._getStore())
            .time(now)
            .max_chain_depth(self.maxChainLength)
            .extension_policies(ca_policy=ca, ee_policy=ee)
        )

    def _precheck(self, chain: Sequence[x509.Certificate], purpose: Purpose) -> None:
        if not chain:
            raise PeerError(A.bad_certificate, f"the {purpose.value} sent no certificate")
        if len(chain) > self.maxChainLength:
            raise PeerError(
                A.bad_certificate,
                f"the {purpose.value}'s certificate chain has {len(chain)} certificates, "
                f"more than the {self.maxChainLength} we accept",
            )

    def verifyServer(
        self, chain: Sequence[x509.Certificate], serverName: str | None, now: datetime
    ) -> None:
        """
        @raise PeerError: with the alert and a reason that names the rule
            and the certificate.
        """
        if not self.verify:
            return
        self._precheck(chain, Purpose.SERVER)
        if serverName is None:
            raise PeerError(A.bad_certificate, "no server name to verify the certificate for")
        key = (Purpose.SERVER, serverName, self.maxChainLength, tuple(map(id, chain)))
        if self._verifiedBefore(key, chain, now):
            return
        verifier = self._builder(now, Purpose.SERVER).build_server_verifier(
            _subjectFor(serverName)
        )
        try:
            built = verifier.verify(chain[0], list(chain[1:]))
        except VerificationError as e:
            raise explainRejection(
                chain, self.trustRoots, now, Purpose.SERVER, str(e), serverName
            ) from None
        _checkKeySizes(built, Purpose.SERVER)
        self._remember(key, chain, built)

    def verifyClient(self, chain: Sequence[x509.Certificate], now: datetime) -> None:
        """
        @raise PeerError: as for L{verifyServer}.
        """
        if not self.verify:
            return
        self._precheck(chain, Purpose.CLIENT)
        if chain[0].version is x509.Version.v1:
            self._verifyV1Client(chain, now)
            return
        key = (Purpose.CLIENT, None, self.maxChainLength, tuple(map(id, chain)))
        if self._verifiedBefore(key, chain, now):
            return
        verifier = self._builder(now, Purpose.CLIENT).build_client_verifier()
        try:
            built = verifier.verify(chain[0], list(chain[1:]))
        except VerificationError as e:
            raise explainRejection(chain, self.trustRoots, now, Purpose.CLIENT, str(e)) from None
        _checkKeySizes(built.chain, Purpose.CLIENT)
        self._remember(key, chain, built.chain)

    def _verifiedBefore(
        self, key: _VerdictKey, chain: Sequence[x509.Certificate], now: datetime
    ) -> bool:
        """
        Whether C{chain} verified before, with a path that is valid at
        C{now}.
        """
        verdict = self._verified.get(key)
        if verdict is None:
            return False
        # The cached chain holds its certificates, so their ids are not
        # reused while the entry lives: equal ids mean the same objects
        # (checked all the same: a hash of the DER would cost more than it
        # saves, and equal objects need no such trust).
        remembered, notBefore, notAfter = verdict
        return (
            all(a is b for a, b in zip(remembered, chain, strict=True))
            and notBefore <= now <= notAfter
        )

    def _remember(
        self,
        key: _VerdictKey,
        chain: Sequence[x509.Certificate],
        path: Sequence[x509.Certificate],
    ) -> None:
        """
        Keep the verdict on a chain that verified, for as long as the path
        the library built for it is valid; the oldest verdict goes past
        L{VERDICT_CACHE_SIZE}.
        """
        self._verified[key] = (
            tuple(chain),
            max(c.not_valid_before_utc for c in path),
            min(c.not_valid_after_utc for c in path),
        )
        self._verified.move_to_end(key)
        while len(self._verified) > VERDICT_CACHE_SIZE:
            self._verified.popitem(last=False)

    def _verifyV1Client(self, chain: Sequence[x509.Certificate], now: datetime) -> None:
        """
        A v1 client certificate: what C{openssl x509 -req} makes without an
        extension file, so many hand-made and corporate ones are v1.  As a
        leaf it is harmless (no extensions means no purpose to get wrong and
        no CA flag to abuse); OpenSSL and Go accept it, and so do we.  Its
        issuers are v3 CAs verified as usual, never v1 ones: a v1 CA cannot
        say that it is one.

        The library refuses v1 outright, so we check the leaf here (its
        dates, its issuer's signature, its key) and hand the library the
        rest of the chain, with the issuer as the certificate to verify
        under the CA policy, and count the leaf in the path lengths.
        """
        leaf, rest = chain[0], list(chain[1:])
        roots = self.trustRoots
        purpose = Purpose.CLIENT

        def refused(message: str) -> PeerError:
            # The explanation walks the whole chain itself: an unknown
            # issuer, a bad or weak signature, dates, then the library's word.
            return explainRejection(chain, roots, now, purpose, message)

        outOfDate = not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc
        if outOfDate or weakSignatureHash(leaf) is not None and leaf not in roots:
            raise refused("the leaf is refused")
        if leaf in roots:  # pinned: trusted as itself
            _checkKeySizes([leaf], purpose)
            return
        issuer = next((c for c in rest + roots if issuedBy(leaf, c)), None)
        if issuer is None:
            raise refused("no issuer")
        ca, _ = _POLICIES[purpose]
        builder = (
            PolicyBuilder()
            .store(self._getStore())
            .time(now)
            .max_chain_depth(self.maxChainLength)
            .extension_policies(ca_policy=ca, ee_policy=ca)
        )
        others = [c for c in rest if c is not issuer]
        try:
            built = builder.build_client_verifier().verify(issuer, others)
        except VerificationError as e:
            raise refused(str(e)) from None
        full = [leaf, *built.chain]
        _checkKeySizes(full, purpose)
        _checkPathLengths(full, purpose)
