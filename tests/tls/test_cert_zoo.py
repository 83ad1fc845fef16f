"""
A differential test of certificate verification against OpenSSL.

A zoo of certificates, made the ways real ones are made (by trustme, by
C{openssl req -x509}, by L{twisted_reneg.testing.pki.makeCertificate} in the
shapes corporate CAs and old tools produce, and broken on purpose), each
judged two ways:

* by C{openssl verify -purpose sslclient|sslserver}, with the host name or
  IP address for servers: the behaviour people know and expect;
* by L{PeerVerifier.verifyClient} / L{PeerVerifier.verifyServer}.

The verdicts must agree, except for the cases in L{DIFFERENCES}: each is
deliberate, with its reason, and is asserted to hold exactly, so the table
(which the documentation repeats) cannot go stale.  Then a selection of the
zoo goes over real handshakes on 127.0.0.1, as client certificates (in the
first handshake and asked for mid-connection) and as server certificates,
where the outcome must be the verifier's.

Under C{CI=true} a missing C{openssl} is a failure, otherwise a skip.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any, Literal

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase, TestCase

from twisted_reneg import ClientOptions, ServerOptions, TLSAlertError, TLSSession
from twisted_reneg._selfsigned import selfSignedLocalhost
from twisted_reneg.testing.pki import (
    CertifiedKey,
    ed25519,
    makeCertificate,
    makeV1Certificate,
    nameConstraints,
    p384,
    rsa2048,
    rsa4096,
    rsaKey,
)
from twisted_reneg.tls.credentials import PeerVerifier
from twisted_reneg.tls.errors import AlertDescription, PeerError

from ..interop.peers import Collector, DigestEcho, OurServer, connectOurClient, requirePeer

Purpose = Literal["sslclient", "sslserver"]

# --- the zoo ------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """
    One certificate to judge, with what a verifier is given along with it.

    @ivar purpose: what the leaf is presented as, in C{openssl verify
        -purpose} terms: C{"sslclient"} (L{PeerVerifier.verifyClient}) or
        C{"sslserver"} (L{PeerVerifier.verifyServer}).
    @ivar leaf: the certificate and its key (the handshake tests use it).
    @ivar roots: the configured trust roots.
    @ivar intermediates: what the peer sends after its leaf.
    @ivar host: for servers: the name (or IP address) the client wants.
    @ivar opensslError: the error code C{openssl verify} must report
        (C{None}: it accepts).  This checks the zoo, not us: a case meant
        to break one rule must break that rule and no other.
    @ivar name: filled in from the builder's name.
    """

    purpose: Purpose
    leaf: CertifiedKey
    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    host: str | None = None
    opensslError: int | None = None
    name: str = ""

    @property
    def chain(self) -> list[x509.Certificate]:
        return [self.leaf.certificate, *self.intermediates]


#: OpenSSL's X509_V_ERR_* codes the zoo provokes (x509_vfy.h).
UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
INVALID_CA = 79
CERT_SIGNATURE_FAILURE = 7
CERT_NOT_YET_VALID = 9
CERT_HAS_EXPIRED = 10
DEPTH_ZERO_SELF_SIGNED_CERT = 18
PATH_LENGTH_EXCEEDED = 25
INVALID_PURPOSE = 26
PERMITTED_VIOLATION = 47
EXCLUDED_VIOLATION = 48
HOSTNAME_MISMATCH = 62
IP_ADDRESS_MISMATCH = 64

ZooBuilder = Callable[["Zoo"], Case]

#: Every case, by name, in the order written.
CASES: dict[str, ZooBuilder] = {}


def zooCase(builder: ZooBuilder) -> ZooBuilder:
    CASES[builder.__name__] = builder
    return builder


def _certifiedFromPEM(certificatePEM: bytes, keyPEM: bytes) -> CertifiedKey:
    key = serialization.load_pem_private_key(keyPEM, password=None)
    return CertifiedKey(x509.load_pem_x509_certificate(certificatePEM), key)  # type: ignore[arg-type]


class Zoo:
    """
    The shared CAs, made when first needed, and the cases, built on demand
    and kept: once per test run.
    """

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="twisted_reneg-zoo-")
        self._cases: dict[str, Case] = {}
        self._openssl: dict[str, Verdict] = {}
        self._ours: dict[str, Verdict] = {}

    def case(self, name: str) -> Case:
        if name not in self._cases:
            self._cases[name] = replace(CASES[name](self), name=name)
        return self._cases[name]

    def openssl(self, name: str) -> Verdict:
        if name not in self._openssl:
            self._openssl[name] = opensslVerdict(self.case(name), self.directory)
        return self._openssl[name]

    def ours(self, name: str) -> Verdict:
        if name not in self._ours:
            self._ours[name] = ourVerdict(self.case(name), datetime.now(timezone.utc))
        return self._ours[name]

    # Shared CAs -----------------------------------------------------------

    @cached_property
    def root(self) -> CertifiedKey:
        """
        A careful root: critical basicConstraints and keyUsage, key IDs.
        """
        return makeCertificate("Zoo Root CA", ca=True)

    @cached_property
    def untrustedRoot(self) -> CertifiedKey:
        return makeCertificate("Zoo Untrusted CA", ca=True)

    @cached_property
    def intermediate(self) -> CertifiedKey:
        return makeCertificate("Zoo Intermediate CA", issuer=self.root, ca=True)

    @cached_property
    def constrainedIntermediate(self) -> CertifiedKey:
        return makeCertificate(
            "Zoo Constrained CA",
            issuer=self.root,
            ca=True,
            nameConstraints=nameConstraints(
                permitted=["example.com"], excluded=["internal.example.com"]
            ),
        )

    @cached_property
    def trustme(self) -> trustme.CA:
        return trustme.CA()

    @cached_property
    def opensslRoot(self) -> CertifiedKey:
        """
        A root made by C{openssl req -x509} with the system configuration.
        """
        return self.opensslSelfSigned("opensslroot", "/CN=Zoo openssl req CA")

    def opensslSelfSigned(self, stem: str, subject: str, *extra: str) -> CertifiedKey:
        """
        What C{openssl req -x509} makes: the usual way to make a CA, or a
        certificate to pin, by hand.
        """
        openssl = requirePeer("openssl")
        certPath = os.path.join(self.directory, f"{stem}.pem")
        keyPath = os.path.join(self.directory, f"{stem}-key.pem")
        subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
            + ["-nodes", "-days", "30", "-subj", subject, "-keyout", keyPath, "-out", certPath]
            + list(extra),
            check=True,
            capture_output=True,
            timeout=30,
        )
        with open(certPath, "rb") as c, open(keyPath, "rb") as k:
            return _certifiedFromPEM(c.read(), k.read())

    # Leaves ---------------------------------------------------------------

    def server(
        self,
        key: Any = None,
        names: list[str] | None = None,
        issuer: CertifiedKey | None = None,
        subject: str | x509.Name = "localhost",
        **kw: Any,
    ) -> CertifiedKey:
        """
        A server certificate as a public CA issues it (SAN, EKU serverAuth),
        then changed by C{kw} (see L{makeCertificate}).
        """
        kw.setdefault("extendedKeyUsage", ["serverAuth"])
        kw.setdefault("subjectAltNames", names if names is not None else ["localhost"])
        return makeCertificate(subject, key, issuer or self.root, **kw)

    def client(
        self,
        key: Any = None,
        issuer: CertifiedKey | None = None,
        subject: str | x509.Name = "zoo client",
        **kw: Any,
    ) -> CertifiedKey:
        """
        A client certificate (SAN, EKU clientAuth), changed by C{kw}.
        """
        kw.setdefault("extendedKeyUsage", ["clientAuth"])
        kw.setdefault("subjectAltNames", ["client.example"])
        return makeCertificate(subject, key, issuer or self.root, **kw)

    def serverCase(self, leaf: CertifiedKey, host: str = "localhost", **kw: Any) -> Case:
        kw.setdefault("roots", (self.root.certificate,))
        return Case("sslserver", leaf, host=host, **kw)

    def clientCase(self, leaf: CertifiedKey, **kw: Any) -> Case:
        kw.setdefault("roots", (self.root.certificate,))
        return Case("sslclient", leaf, **kw)

    def pinned(self, purpose: Purpose, leaf: CertifiedKey, host: str | None = None) -> Case:
        """
        A self-signed certificate that is its own, only, trust root.
        """
        return Case(purpose, leaf, roots=(leaf.certificate,), host=host)

    @cached_property
    def rsa4096Key(self) -> Any:
        # RSA-4096 generation is the slow part of the zoo: just one.
        return rsa4096()


def _days(n: int) -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=n)


# Key types.


@zooCase
def ecdsaServer(z: Zoo) -> Case:
    return z.serverCase(z.server())


@zooCase
def rsa2048Server(z: Zoo) -> Case:
    return z.serverCase(z.server(rsa2048()))


@zooCase
def rsa4096Server(z: Zoo) -> Case:
    return z.serverCase(z.server(z.rsa4096Key))


@zooCase
def p384Server(z: Zoo) -> Case:
    return z.serverCase(z.server(p384()))


@zooCase
def ed25519Server(z: Zoo) -> Case:
    return z.serverCase(z.server(ed25519()))


@zooCase
def ed25519Root(z: Zoo) -> Case:
    """
    An Ed25519 CA: OpenSSL takes it, cryptography's verifier allows only RSA
    and ECDSA issuers (a listed difference).
    """
    root = makeCertificate("Zoo Ed25519 Root CA", ed25519(), ca=True)
    return z.serverCase(z.server(issuer=root), roots=(root.certificate,))


@zooCase
def ecdsaClient(z: Zoo) -> Case:
    return z.clientCase(z.client())


@zooCase
def rsaClient(z: Zoo) -> Case:
    return z.clientCase(z.client(rsa2048()))


@zooCase
def ed25519Client(z: Zoo) -> Case:
    return z.clientCase(z.client(ed25519()))


# Roots and intermediates.


@zooCase
def rootWithoutKeyUsage(z: Zoo) -> Case:
    """
    The shape C{openssl req -x509} gives a CA: no keyUsage.
    """
    root = makeCertificate("Zoo CA without keyUsage", ca=True, omitKeyUsage=True)
    return z.serverCase(z.server(issuer=root), roots=(root.certificate,))


@zooCase
def opensslReqRoot(z: Zoo) -> Case:
    """
    A client certificate under a root made by C{openssl req -x509} itself.
    """
    return z.clientCase(z.client(issuer=z.opensslRoot), roots=(z.opensslRoot.certificate,))


@zooCase
def intermediate(z: Zoo) -> Case:
    return z.serverCase(
        z.server(issuer=z.intermediate), intermediates=(z.intermediate.certificate,)
    )


@zooCase
def intermediateWithoutKeyUsage(z: Zoo) -> Case:
    inter = makeCertificate("Zoo CA without keyUsage", issuer=z.root, ca=True, omitKeyUsage=True)
    return z.serverCase(z.server(issuer=inter), intermediates=(inter.certificate,))


@zooCase
def intermediateNotSent(z: Zoo) -> Case:
    return z.serverCase(
        z.server(issuer=z.intermediate), opensslError=UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    )


@zooCase
def sha1SelfSignedRoot(z: Zoo) -> Case:
    """
    Old roots sign themselves with SHA-1; nobody checks a trust anchor's
    own signature.
    """
    root = makeCertificate("Zoo SHA-1 Root", rsa2048(), ca=True, signatureHash=hashes.SHA1())
    return z.serverCase(z.server(issuer=root), roots=(root.certificate,))


@zooCase
def pathLengthZero(z: Zoo) -> Case:
    inter = makeCertificate("Zoo pathlen:0 CA", issuer=z.root, ca=True, pathLength=0)
    return z.serverCase(z.server(issuer=inter), intermediates=(inter.certificate,))


@zooCase
def pathLengthExceeded(z: Zoo) -> Case:
    inter = makeCertificate("Zoo pathlen:0 CA", issuer=z.root, ca=True, pathLength=0)
    sub = makeCertificate("Zoo sub-CA", issuer=inter, ca=True)
    return z.serverCase(
        z.server(issuer=sub),
        intermediates=(sub.certificate, inter.certificate),
        opensslError=PATH_LENGTH_EXCEEDED,
    )


# trustme: what most Python projects test with.


def _trustmeLeaf(leaf: trustme.LeafCert) -> tuple[CertifiedKey, tuple[x509.Certificate, ...]]:
    chain = [x509.load_pem_x509_certificate(pem.bytes()) for pem in leaf.cert_chain_pems]
    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), password=None)
    return CertifiedKey(chain[0], key), tuple(chain[1:])  # type: ignore[arg-type]


def _trustmeRoot(z: Zoo) -> tuple[x509.Certificate, ...]:
    return (x509.load_pem_x509_certificate(z.trustme.cert_pem.bytes()),)


@zooCase
def trustmeServer(z: Zoo) -> Case:
    leaf, chain = _trustmeLeaf(z.trustme.issue_cert("localhost"))
    return z.serverCase(leaf, roots=_trustmeRoot(z), intermediates=chain)


@zooCase
def trustmeClient(z: Zoo) -> Case:
    leaf, chain = _trustmeLeaf(z.trustme.issue_cert("client.example"))
    return z.clientCase(leaf, roots=_trustmeRoot(z), intermediates=chain)


@zooCase
def trustmeIntermediate(z: Zoo) -> Case:
    leaf, chain = _trustmeLeaf(z.trustme.create_child_ca().issue_cert("localhost"))
    return z.serverCase(leaf, roots=_trustmeRoot(z), intermediates=chain)


# Names.


@zooCase
def corporateClient(z: Zoo) -> Case:
    """
    What corporate CAs issue to people: a full subject, no SAN, clientAuth.
    """
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Alice Example"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "alice@example.com"),
        ]
    )
    return z.clientCase(z.client(rsa2048(), subject=subject, subjectAltNames=None))


@zooCase
def hostnameOnlyInCN(z: Zoo) -> Case:
    return z.serverCase(z.server(subjectAltNames=None))


@zooCase
def criticalSAN(z: Zoo) -> Case:
    return z.serverCase(z.server(sanCritical=True))


@zooCase
def emptySubjectServer(z: Zoo) -> Case:
    # The SAN is critical, as RFC 5280 4.2.1.6 requires with an empty subject.
    return z.serverCase(z.server(subject=x509.Name([])))


@zooCase
def emptySubjectClient(z: Zoo) -> Case:
    return z.clientCase(z.client(subject=x509.Name([])))


@zooCase
def wrongHost(z: Zoo) -> Case:
    return z.serverCase(z.server(names=["other.example"]), opensslError=HOSTNAME_MISMATCH)


@zooCase
def wildcardMatch(z: Zoo) -> Case:
    leaf = z.server(names=["*.example.com"], subject="*.example.com")
    return z.serverCase(leaf, host="a.example.com")


@zooCase
def wildcardTwoLabels(z: Zoo) -> Case:
    leaf = z.server(names=["*.example.com"], subject="*.example.com")
    return z.serverCase(leaf, host="a.b.example.com", opensslError=HOSTNAME_MISMATCH)


@zooCase
def wildcardBareDomain(z: Zoo) -> Case:
    leaf = z.server(names=["*.example.com"], subject="*.example.com")
    return z.serverCase(leaf, host="example.com", opensslError=HOSTNAME_MISMATCH)


@zooCase
def ipSAN(z: Zoo) -> Case:
    return z.serverCase(z.server(names=["127.0.0.1"]), host="127.0.0.1")


@zooCase
def ipSANMismatch(z: Zoo) -> Case:
    return z.serverCase(
        z.server(names=["127.0.0.1"]), host="127.0.0.2", opensslError=IP_ADDRESS_MISMATCH
    )


@zooCase
def nameConstraintsPermitted(z: Zoo) -> Case:
    inter = z.constrainedIntermediate
    leaf = z.server(issuer=inter, names=["a.example.com"], subject="a.example.com")
    return z.serverCase(leaf, host="a.example.com", intermediates=(inter.certificate,))


@zooCase
def nameConstraintsNotPermitted(z: Zoo) -> Case:
    inter = z.constrainedIntermediate
    leaf = z.server(issuer=inter, names=["evil.test"], subject="evil.test")
    return z.serverCase(
        leaf,
        host="evil.test",
        intermediates=(inter.certificate,),
        opensslError=PERMITTED_VIOLATION,
    )


@zooCase
def nameConstraintsExcluded(z: Zoo) -> Case:
    inter = z.constrainedIntermediate
    name = "db.internal.example.com"
    leaf = z.server(issuer=inter, names=[name], subject=name)
    return z.serverCase(
        leaf, host=name, intermediates=(inter.certificate,), opensslError=EXCLUDED_VIOLATION
    )


# Extended key usage.


@zooCase
def criticalEKUClient(z: Zoo) -> Case:
    return z.clientCase(z.client(ekuCritical=True))


@zooCase
def criticalEKUServer(z: Zoo) -> Case:
    return z.serverCase(z.server(ekuCritical=True))


@zooCase
def noEKUClient(z: Zoo) -> Case:
    return z.clientCase(z.client(extendedKeyUsage=None))


@zooCase
def noEKUServer(z: Zoo) -> Case:
    return z.serverCase(z.server(extendedKeyUsage=None))


@zooCase
def serverAuthAsClient(z: Zoo) -> Case:
    return z.clientCase(z.client(extendedKeyUsage=["serverAuth"]), opensslError=INVALID_PURPOSE)


@zooCase
def clientAuthAsServer(z: Zoo) -> Case:
    return z.serverCase(z.server(extendedKeyUsage=["clientAuth"]), opensslError=INVALID_PURPOSE)


@zooCase
def anyEKUClient(z: Zoo) -> Case:
    return z.clientCase(
        z.client(extendedKeyUsage=["anyExtendedKeyUsage"]), opensslError=INVALID_PURPOSE
    )


@zooCase
def anyEKUServer(z: Zoo) -> Case:
    return z.serverCase(
        z.server(extendedKeyUsage=["anyExtendedKeyUsage"]), opensslError=INVALID_PURPOSE
    )


# Validity, trust and signatures.


@zooCase
def expiredClient(z: Zoo) -> Case:
    leaf = z.client(notBefore=_days(-30), notAfter=_days(-1))
    return z.clientCase(leaf, opensslError=CERT_HAS_EXPIRED)


@zooCase
def notYetValidServer(z: Zoo) -> Case:
    leaf = z.server(notBefore=_days(1), notAfter=_days(30))
    return z.serverCase(leaf, opensslError=CERT_NOT_YET_VALID)


@zooCase
def untrustedClient(z: Zoo) -> Case:
    return z.clientCase(
        z.client(issuer=z.untrustedRoot), opensslError=UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    )


@zooCase
def untrustedServer(z: Zoo) -> Case:
    return z.serverCase(
        z.server(issuer=z.untrustedRoot), opensslError=UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    )


@zooCase
def untrustedSelfSigned(z: Zoo) -> Case:
    leaf = makeCertificate("localhost", subjectAltNames=["localhost"], ca=True)
    return z.serverCase(leaf, opensslError=DEPTH_ZERO_SELF_SIGNED_CERT)


@zooCase
def badSignature(z: Zoo) -> Case:
    return z.serverCase(z.server(corruptSignature=True), opensslError=CERT_SIGNATURE_FAILURE)


@zooCase
def caTrueLeaf(z: Zoo) -> Case:
    """
    A CA certificate presented as a server's leaf (home-made PKIs do it).
    """
    return z.serverCase(z.server(ca=True))


@zooCase
def sha1Leaf(z: Zoo) -> Case:
    return z.serverCase(z.server(signatureHash=hashes.SHA1()))


@zooCase
def rsa1024Leaf(z: Zoo) -> Case:
    return z.serverCase(z.server(rsaKey(1024)))


@zooCase
def v1Leaf(z: Zoo) -> Case:
    return z.clientCase(makeV1Certificate("zoo v1 client", issuer=z.root))


@zooCase
def v1LeafUnderIntermediate(z: Zoo) -> Case:
    leaf = makeV1Certificate("zoo v1 client", issuer=z.intermediate)
    return z.clientCase(leaf, intermediates=(z.intermediate.certificate,))


@zooCase
def v1LeafExpired(z: Zoo) -> Case:
    leaf = makeV1Certificate(
        "zoo v1 client", issuer=z.root, notBefore=_days(-30), notAfter=_days(-1)
    )
    return z.clientCase(leaf, opensslError=CERT_HAS_EXPIRED)


@zooCase
def v1LeafUntrusted(z: Zoo) -> Case:
    leaf = makeV1Certificate("zoo v1 client", issuer=z.untrustedRoot)
    return z.clientCase(leaf, opensslError=UNABLE_TO_GET_ISSUER_CERT_LOCALLY)


@zooCase
def v1LeafPathLength(z: Zoo) -> Case:
    """
    A v1 leaf still counts below a pathlen:0 root's intermediate.
    """
    root = makeCertificate("Zoo pathlen 0 root", ca=True, pathLength=0)
    intermediate = makeCertificate("Zoo sub CA", issuer=root, ca=True)
    leaf = makeV1Certificate("zoo v1 client", issuer=intermediate)
    return z.clientCase(
        leaf,
        roots=(root.certificate,),
        intermediates=(intermediate.certificate,),
        opensslError=PATH_LENGTH_EXCEEDED,
    )


@zooCase
def v1LeafUnderServerOnlyCA(z: Zoo) -> Case:
    """
    The purpose is still checked on the issuers of a v1 leaf.
    """
    intermediate = makeCertificate(
        "Zoo server-only CA", issuer=z.root, ca=True, extendedKeyUsage=["serverAuth"]
    )
    leaf = makeV1Certificate("zoo v1 client", issuer=intermediate)
    return z.clientCase(
        leaf, intermediates=(intermediate.certificate,), opensslError=INVALID_PURPOSE
    )


@zooCase
def v1Intermediate(z: Zoo) -> Case:
    """
    A v1 certificate cannot be a CA below the root (OpenSSL agrees).
    """
    intermediate = makeV1Certificate("Zoo v1 sub CA", issuer=z.root)
    leaf = z.client(issuer=intermediate)
    return z.clientCase(leaf, intermediates=(intermediate.certificate,), opensslError=INVALID_CA)


@zooCase
def pinnedV1Client(z: Zoo) -> Case:
    return z.pinned("sslclient", makeV1Certificate("zoo pinned v1 client"))


@zooCase
def v1Root(z: Zoo) -> Case:
    root = makeV1Certificate("Zoo v1 Root")
    return z.serverCase(z.server(issuer=root), roots=(root.certificate,))


# Pinned self-signed certificates: the certificate is its own trust root.


@zooCase
def pinnedOpensslServer(z: Zoo) -> Case:
    """
    The usual recipe: C{openssl req -x509 -addext subjectAltName=...}
    (basicConstraints CA:TRUE, no keyUsage, no EKU).
    """
    leaf = z.opensslSelfSigned(
        "pinned-server", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"
    )
    return z.pinned("sslserver", leaf, "localhost")


@zooCase
def pinnedOpensslClient(z: Zoo) -> Case:
    return z.pinned("sslclient", z.opensslSelfSigned("pinned-client", "/CN=zoo pinned client"))


@zooCase
def pinnedSelfSignedLeaf(z: Zoo) -> Case:
    """
    Our own throwaway (C{_selfsigned.py}): no basicConstraints, no key IDs.
    """
    return z.pinned("sslserver", CertifiedKey(*selfSignedLocalhost()), "localhost")


@zooCase
def pinnedBareClient(z: Zoo) -> Case:
    """
    The C{_selfsigned.py} shape as a client certificate.
    """
    leaf = makeCertificate(
        "zoo bare client",
        extendedKeyUsage=["clientAuth"],
        basicConstraints=False,
        omitKeyUsage=True,
        subjectKeyIdentifier=False,
        authorityKeyIdentifier=False,
    )
    return z.pinned("sslclient", leaf)


# --- the two judges -----------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """
    @ivar accepted: whether the chain was accepted.
    @ivar detail: why not (OpenSSL's error line, or our alert and reason).
    @ivar code: OpenSSL's error code, if it gave one.
    @ivar alert: the alert we send, if we reject.
    """

    accepted: bool
    detail: str = ""
    code: int | None = None
    alert: AlertDescription | None = None

    def __str__(self) -> str:
        return "accepts" if self.accepted else f"rejects ({self.detail})"


_OPENSSL_ERROR = re.compile(r"^error (\d+) at (\d+) depth lookup: (.*)$", re.MULTILINE)


def opensslVerdict(case: Case, directory: str, strict: bool = False) -> Verdict:
    """
    Run C{openssl verify} on C{case}: only the case's roots are trusted
    (C{-no-CApath -no-CAstore} keep the system's out), at the default
    security level.

    @param strict: add C{-x509_strict}.
    """
    openssl = requirePeer("openssl")
    where = os.path.join(directory, case.name)
    os.makedirs(where, exist_ok=True)

    def write(stem: str, certificates: list[x509.Certificate]) -> str:
        path = os.path.join(where, f"{stem}.pem")
        with open(path, "wb") as f:
            for c in certificates:
                f.write(c.public_bytes(serialization.Encoding.PEM))
        return path

    argv = [openssl, "verify", "-no-CApath", "-no-CAstore", "-purpose", case.purpose]
    if strict:
        argv.append("-x509_strict")
    argv += ["-CAfile", write("roots", list(case.roots))]
    if case.intermediates:
        argv += ["-untrusted", write("untrusted", list(case.intermediates))]
    if case.host is not None:
        try:
            ipaddress.ip_address(case.host)
            argv += ["-verify_ip", case.host]
        except ValueError:
            argv += ["-verify_hostname", case.host]
    argv.append(write("leaf", [case.leaf.certificate]))
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    output = result.stdout + result.stderr
    error = _OPENSSL_ERROR.search(output)
    if result.returncode == 0:
        return Verdict(True)
    if error is None:
        return Verdict(False, output.strip().splitlines()[-1] if output.strip() else "?")
    code, depth, message = error.groups()
    return Verdict(False, f"error {code} at depth {depth}: {message}", int(code))


def ourVerdict(case: Case, now: datetime) -> Verdict:
    verifier = PeerVerifier(trustRoots=list(case.roots))
    try:
        if case.purpose == "sslclient":
            verifier.verifyClient(case.chain, now)
        else:
            verifier.verifyServer(case.chain, case.host, now)
    except PeerError as e:
        return Verdict(False, f"{e.alert.name}: {e.reason}", alert=e.alert)
    return Verdict(True)


_zoo: Zoo | None = None


def zoo() -> Zoo:
    global _zoo
    if _zoo is None:
        _zoo = Zoo()
    return _zoo


# --- deliberate differences ---------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """
    A case where we decide differently from C{openssl verify}, on purpose.

    @ivar case: the case's name.
    @ivar purpose: C{"sslclient"} or C{"sslserver"}.
    @ivar ours: whether we accept.
    @ivar openssl: whether OpenSSL accepts.
    @ivar reason: why; the documentation repeats it.
    """

    case: str
    purpose: Purpose
    ours: bool
    openssl: bool
    reason: str


#: The table of deliberate differences.
DIFFERENCES: dict[str, Difference] = {
    d.case: d
    for d in (
        Difference(
            "v1Root",
            "sslserver",
            ours=False,
            openssl=True,
            reason="A v1 root cannot say it is a CA (no basicConstraints); OpenSSL "
            "trusts self-signed v1 certificates as CAs for compatibility, we do not.",
        ),
        Difference(
            "sha1Leaf",
            "sslserver",
            ours=False,
            openssl=True,
            reason="SHA-1 signatures can be forged with chosen prefixes (SHAmbles, "
            "2020); OpenSSL 3.0 still accepts them at its default security level 1.",
        ),
        Difference(
            "hostnameOnlyInCN",
            "sslserver",
            ours=False,
            openssl=True,
            reason="Host names are matched against subjectAltName only (RFC 9525 "
            "6.3, as Go, rustls and browsers do); OpenSSL falls back to the subject "
            "CN when there is no DNS name in the SAN.",
        ),
        Difference(
            "ed25519Root",
            "sslserver",
            ours=False,
            openssl=True,
            reason="cryptography's verifier accepts only RSA and ECDSA keys in "
            "certificate issuers; Ed25519 leaves under them are accepted.",
        ),
        Difference(
            "rsa1024Leaf",
            "sslserver",
            ours=False,
            openssl=True,
            reason="RSA keys under 2048 bits are refused (NIST SP 800-131A, CA/B "
            "Forum); OpenSSL's security level 1 accepts 1024 bits.",
        ),
    )
}


#: What C{openssl verify -x509_strict} rejects where plain C{openssl verify}
#: accepts: RFC 5280 4.2.1.3 says a CA's certificate MUST have keyUsage,
#: and strict mode enforces it; we accept such roots and intermediates (as
#: plain OpenSSL, Go and NSS do), because C{openssl req -x509} makes them.
X509_STRICT_REJECTS = (
    "rootWithoutKeyUsage",
    "opensslReqRoot",
    "intermediateWithoutKeyUsage",
    "v1Root",
    "pinnedV1Client",
)


def _agreementTest(name: str) -> Callable[[SynchronousTestCase], None]:
    def test(self: SynchronousTestCase) -> None:
        z = zoo()
        case = z.case(name)
        theirs, ours = z.openssl(name), z.ours(name)
        description = f"{name} ({case.purpose}): OpenSSL {theirs}; we {ours}"
        difference = DIFFERENCES.get(name)
        if difference is None:
            self.assertEqual(ours.accepted, theirs.accepted, description)
        else:
            self.assertEqual(difference.purpose, case.purpose)
            self.assertEqual(
                (ours.accepted, theirs.accepted),
                (difference.ours, difference.openssl),
                f"the listed difference no longer holds: {description}",
            )

    test.__name__ = f"test_{name}"
    test.__doc__ = f"{name}: we and openssl verify agree, or differ as listed."
    return test


class OpenSSLAgreementTests(SynchronousTestCase):
    """
    One test per case: our verdict is OpenSSL's, or the listed difference.
    """

    def test_differencesNameCases(self) -> None:
        """
        Every listed difference names a case and is a difference.
        """
        for difference in DIFFERENCES.values():
            self.assertIn(difference.case, CASES)
            self.assertNotEqual(difference.ours, difference.openssl, difference.case)
            self.assertTrue(difference.reason)


for _name in CASES:
    setattr(OpenSSLAgreementTests, f"test_{_name}", _agreementTest(_name))


class ZooTests(SynchronousTestCase):
    """
    The zoo is what it claims: each case breaks the rule it is about, in
    OpenSSL's judgement, and no other; and the shapes copied from tools
    have those tools' shape.
    """

    def test_size(self) -> None:
        self.assertGreaterEqual(len(CASES), 30)

    def test_opensslReasons(self) -> None:
        z = zoo()
        wrong = []
        for name in CASES:
            case, verdict = z.case(name), z.openssl(name)
            if verdict.code != case.opensslError or verdict.accepted != (
                case.opensslError is None
            ):
                wrong.append(f"{name}: expected {case.opensslError}, OpenSSL {verdict}")
        if wrong:
            self.fail("\n".join(wrong))

    def test_x509Strict(self) -> None:
        """
        We compare with plain C{openssl verify}; C{-x509_strict} would
        change exactly these verdicts (to rejections: CAs without keyUsage,
        and v1 roots), and it would agree with us on v1 roots only.
        """
        z = zoo()
        changed = {
            name
            for name in CASES
            if opensslVerdict(z.case(name), z.directory, strict=True).accepted
            != z.openssl(name).accepted
        }
        self.assertEqual(changed, set(X509_STRICT_REJECTS))
        for name in X509_STRICT_REJECTS:
            self.assertTrue(z.openssl(name).accepted, name)

    def test_opensslReqShape(self) -> None:
        """
        OpenSSL 3's C{req -x509} makes basicConstraints CA:TRUE and no
        keyUsage: the shape L{rootWithoutKeyUsage} copies.
        """
        cert = zoo().opensslRoot.certificate
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        self.assertTrue(bc.value.ca)
        self.assertRaises(
            x509.ExtensionNotFound, cert.extensions.get_extension_for_class, x509.KeyUsage
        )

    def test_trustmeShape(self) -> None:
        """
        trustme's leaves have a critical SAN and a critical EKU.
        """
        leaf = zoo().case("trustmeServer").leaf.certificate
        for kind in (x509.SubjectAlternativeName, x509.ExtendedKeyUsage):
            self.assertTrue(leaf.extensions.get_extension_for_class(kind).critical, kind)

    def test_versions(self) -> None:
        z = zoo()
        self.assertEqual(z.case("v1Leaf").leaf.certificate.version, x509.Version.v1)
        self.assertEqual(z.case("v1Root").roots[0].version, x509.Version.v1)


# --- our reasons --------------------------------------------------------------

#: Words one of which our reason must contain, for the rejections whose rule
#: is obvious.  Deliberately loose: the wording is free, the subject is not.
REASON_WORDS: dict[str, tuple[str, ...]] = {
    "expiredClient": ("expired",),
    "notYetValidServer": ("not valid before", "not yet valid"),
    "untrustedClient": ("unknown", "not trusted", "untrusted"),
    "untrustedServer": ("unknown", "not trusted", "untrusted"),
    "untrustedSelfSigned": ("self-signed", "unknown", "not trusted", "untrusted"),
    "intermediateNotSent": ("unknown", "issuer", "not trusted", "untrusted"),
    "wrongHost": ("localhost",),
    "wildcardTwoLabels": ("a.b.example.com",),
    "wildcardBareDomain": ("example.com",),
    "ipSANMismatch": ("127.0.0.2",),
    "badSignature": ("signature", "unknown", "not trusted"),
    "serverAuthAsClient": ("usage", "purpose", "eku", "clientAuth", "client"),
    "clientAuthAsServer": ("usage", "purpose", "eku", "serverAuth", "server"),
    "pathLengthExceeded": ("path length", "pathlen", "path_length", "too long", "depth"),
    "nameConstraintsNotPermitted": ("name constraint", "not permitted", "evil.test"),
    "nameConstraintsExcluded": ("name constraint", "excluded", "db.internal.example.com"),
    "hostnameOnlyInCN": ("subjectAltName", "common name", "CN"),
    "sha1Leaf": ("SHA-1", "SHA1"),
    "rsa1024Leaf": ("1024", "2048", "key size", "too small", "too weak"),
    "ed25519Root": ("Ed25519", "RSA or ECDSA"),
    "v1Root": ("v3", "version"),
}

#: The alert for the rejections where RFC 5246 7.2.2 / RFC 8446 6.2 name one.
REASON_ALERTS: dict[str, AlertDescription] = {
    "expiredClient": AlertDescription.certificate_expired,
    "notYetValidServer": AlertDescription.certificate_expired,
    "untrustedClient": AlertDescription.unknown_ca,
    "untrustedServer": AlertDescription.unknown_ca,
}

#: A raw OID such as 2.5.29.17 (and not the tail of an IP address).
_DOTTED_OID = re.compile(r"(?<![\d.])[012]\.\d+(\.\d+)+")


class RejectionReasonTests(SynchronousTestCase):
    """
    Our reasons for rejecting are for people: no object reprs, no raw OIDs,
    and about the rule that failed.
    """

    def rejection(self, name: str) -> PeerError | None:
        """
        Our error for case C{name}, or C{None} if we accept it.
        """
        case = zoo().case(name)
        verifier = PeerVerifier(trustRoots=list(case.roots))
        now = datetime.now(timezone.utc)
        try:
            if case.purpose == "sslclient":
                verifier.verifyClient(case.chain, now)
            else:
                verifier.verifyServer(case.chain, case.host, now)
        except PeerError as e:
            return e
        return None

    def test_readable(self) -> None:
        bad = []
        for name in CASES:
            error = self.rejection(name)
            if error is None:
                continue
            reason = error.reason
            if not reason.strip() or "<Certificate" in reason or _DOTTED_OID.search(reason):
                bad.append(f"{name}: {reason!r}")
        if bad:
            self.fail("\n".join(bad))

    def test_namesTheRule(self) -> None:
        bad = []
        for name, words in REASON_WORDS.items():
            error = self.rejection(name)
            if error is None:
                bad.append(f"{name}: accepted")
            elif not any(word.lower() in error.reason.lower() for word in words):
                bad.append(f"{name}: {error.reason!r} has none of {words}")
        if bad:
            self.fail("\n".join(bad))

    def test_alerts(self) -> None:
        bad = []
        for name, alert in REASON_ALERTS.items():
            error = self.rejection(name)
            if error is None:
                bad.append(f"{name}: accepted")
            elif error.alert != alert:
                bad.append(f"{name}: {error.alert.name}, not {alert.name}")
        if bad:
            self.fail("\n".join(bad))


# --- real handshakes ----------------------------------------------------------

#: Client certificates that go over the wire.
HANDSHAKE_CLIENT_CASES = (
    "v1Leaf",
    "v1LeafUntrusted",
    "ecdsaClient",
    "trustmeClient",
    "opensslReqRoot",
    "corporateClient",
    "criticalEKUClient",
    "serverAuthAsClient",
    "expiredClient",
    "untrustedClient",
    "pinnedOpensslClient",
    "pinnedBareClient",
)

#: Server certificates that go over the wire.
HANDSHAKE_SERVER_CASES = (
    "ecdsaServer",
    "trustmeServer",
    "trustmeIntermediate",
    "rootWithoutKeyUsage",
    "criticalSAN",
    "ipSAN",
    "wrongHost",
    "notYetValidServer",
    "pinnedOpensslServer",
    "pinnedSelfSignedLeaf",
)

VERSIONS = {"TLS12": "1.2", "TLS13": "1.3"}


class CertificateLater(DigestEcho):
    """
    Asks for a client certificate when the first data arrives, keeps what
    came of it, and says C{done} (or C{fail}) over the connection, which
    also shows that it is still up.
    """

    def __init__(self) -> None:
        super().__init__()
        self.asked = False
        self.result: TLSSession | None = None
        self.failure: Failure | None = None

    def dataReceived(self, data: bytes) -> None:
        if self.asked:
            return
        self.asked = True
        self.transport.requestClientCertificate(timeout=20).addCallbacks(self.got, self.failed)

    def got(self, session: TLSSession) -> None:
        self.result = session
        self.transport.write(b"done")

    def failed(self, reason: Failure) -> None:
        self.failure = reason
        self.transport.write(b"fail")


class HandshakeTests(TestCase):
    """
    The zoo over real connections on 127.0.0.1, our server and our client:
    what the handshake accepts is what the verifier accepts.
    """

    timeout = 60

    def serverLeaf(self) -> CertifiedKey:
        return zoo().case("ecdsaServer").leaf

    def clientOptions(self, case: Case, version: str) -> ClientOptions:
        return ClientOptions(
            "localhost",
            trustRoots=[zoo().root.certificate],
            clientCertificate=(case.chain, case.leaf.privateKey),
            minVersion=version,
            maxVersion=version,
        )

    async def clientCertificateInHandshake(self, name: str, version: str) -> None:
        z = zoo()
        case, expected = z.case(name), z.ours(name)
        leaf = self.serverLeaf()
        options = ServerOptions(
            [leaf.certificate],
            leaf.privateKey,
            clientCertificates="require",
            trustRoots=list(case.roots),
            minVersion=version,
            maxVersion=version,
        )
        server = OurServer(self, options)
        client = Collector(b"ping", expected=4)
        await connectOurClient(self.clientOptions(case, version), server.portNumber, client, 30)
        served = await server.nextConnection()
        session = served.session
        accepted = session is not None and session.peerCertificate == case.leaf.certificate
        self.assertEqual(accepted, expected.accepted, f"{name}: the verifier {expected}")
        if accepted:
            self.assertEqual(bytes(client.received), b"ping")
        else:
            # "require": a rejected certificate ends the connection.
            self.assertIsNone(session)
            self.assertFailedWith(served.reason, expected)

    async def clientCertificateLater(self, name: str, version: str) -> None:
        z = zoo()
        case, expected = z.case(name), z.ours(name)
        leaf = self.serverLeaf()
        options = ServerOptions(
            [leaf.certificate],
            leaf.privateKey,
            trustRoots=list(case.roots),
            minVersion=version,
            maxVersion=version,
        )
        server = OurServer(self, options, protocolClass=CertificateLater)
        client = Collector(b"go", expected=4)
        await connectOurClient(self.clientOptions(case, version), server.portNumber, client, 30)
        served = await server.nextConnection()
        assert isinstance(served, CertificateLater)
        self.assertIsNone(served.failure, f"{name}: requestClientCertificate failed")
        self.assertEqual(bytes(client.received), b"done")
        session = served.result
        assert session is not None
        accepted = session.peerCertificate == case.leaf.certificate
        self.assertEqual(accepted, expected.accepted, f"{name}: the verifier {expected}")
        if accepted:
            self.assertIsNone(session.peerCertificateError)
        else:
            # The connection stays up; the application decides.
            self.assertEqual(session.peerCertificates, ())
            self.assertIsInstance(session.peerCertificateError, str)
            self.assertTrue(session.peerCertificateError)

    async def serverCertificate(self, name: str, version: str) -> None:
        z = zoo()
        case, expected = z.case(name), z.ours(name)
        assert case.host is not None
        options = ServerOptions(
            case.chain, case.leaf.privateKey, minVersion=version, maxVersion=version
        )
        server = OurServer(self, options)
        client = Collector(b"ping", expected=4)
        clientOptions = ClientOptions(
            case.host, trustRoots=list(case.roots), minVersion=version, maxVersion=version
        )
        await connectOurClient(clientOptions, server.portNumber, client, 30)
        await server.nextConnection()
        session = client.session
        accepted = session is not None and session.peerCertificate == case.leaf.certificate
        self.assertEqual(accepted, expected.accepted, f"{name}: the verifier {expected}")
        self.assertEqual(bytes(client.received), b"ping" if accepted else b"")
        if not accepted:
            self.assertFailedWith(client.reason, expected)

    def assertFailedWith(self, reason: Failure | None, expected: Verdict) -> None:
        """
        The connection ended because we sent the alert the verifier chose,
        and not for some other reason.
        """
        assert reason is not None
        error = reason.value
        self.assertIsInstance(error, TLSAlertError)
        self.assertTrue(error.sentByUs)
        self.assertEqual(error.alert, expected.alert, str(error))


def _handshakeTest(
    run: Callable[[HandshakeTests, str, str], Coroutine[Any, Any, None]], name: str, version: str
) -> Callable[[HandshakeTests], Coroutine[Any, Any, None]]:
    async def test(self: HandshakeTests) -> None:
        await run(self, name, version)

    return test


for _label, _version in VERSIONS.items():
    for _name in HANDSHAKE_CLIENT_CASES:
        setattr(
            HandshakeTests,
            f"test_clientInHandshake{_label}_{_name}",
            _handshakeTest(HandshakeTests.clientCertificateInHandshake, _name, _version),
        )
        setattr(
            HandshakeTests,
            f"test_clientLater{_label}_{_name}",
            _handshakeTest(HandshakeTests.clientCertificateLater, _name, _version),
        )
    for _name in HANDSHAKE_SERVER_CASES:
        setattr(
            HandshakeTests,
            f"test_server{_label}_{_name}",
            _handshakeTest(HandshakeTests.serverCertificate, _name, _version),
        )
