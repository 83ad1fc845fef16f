# -*- test-case-name: tests.test_pki -*-
"""
Throwaway certificates for tests, demos and benchmarks.

  - L{makePKI} / L{cachedPKI}: one trusted CA, server and client certificates
    of every key type we support, and the bad certificates a client must
    refuse (expired, wrong host, unknown CA).  They follow the profile
    C{cryptography.x509.verification} enforces (the CA/Browser Forum one), so
    verification in tests is exactly as strict as in production.
  - L{makeCertificate} / L{makeV1Certificate}: one certificate of any shape
    real peers present (roots without keyUsage, critical SAN or EKU, no SAN,
    v1, SHA-1, bad signatures ...), with the key makers L{rsa2048},
    L{rsa4096}, L{p256}, L{p384} and L{ed25519}; for testing what an
    application's verification accepts.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

# Aliased: the public key maker of that name below is L{ed25519}.
from cryptography.hazmat.primitives.asymmetric import ed25519 as _ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Identity:
    """
    One certificate and its key, in memory and as PEM files.
    """

    certificate: x509.Certificate
    privateKey: Any
    certPath: str
    keyPath: str


@dataclass(frozen=True)
class PKI:
    directory: str
    caCertificate: x509.Certificate
    caPath: str
    rsaServer: Identity
    ecdsaServer: Identity
    ecdsa384Server: Identity
    ed25519Server: Identity
    ecdsaClient: Identity
    rsaClient: Identity
    expiredServer: Identity
    wrongHostServer: Identity
    untrustedServer: Identity
    untrustedClient: Identity  # clientAuth, signed by the untrusted CA


def _name(commonName: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "twisted_reneg tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, commonName),
        ]
    )


def _signHash(key: Any) -> hashes.HashAlgorithm | None:
    return None if isinstance(key, _ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _makeCA(commonName: str, now: datetime) -> tuple[x509.Certificate, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(commonName)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _makeLeaf(
    caCert: x509.Certificate,
    caKey: Any,
    key: Any,
    commonName: str,
    names: list[x509.GeneralName],
    client: bool,
    notBefore: datetime,
    notAfter: datetime,
) -> x509.Certificate:
    isRSA = isinstance(key, rsa.RSAPrivateKey)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(commonName))
        .issuer_name(caCert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(notBefore)
        .not_valid_after(notAfter)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=isRSA,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(caKey.public_key()),
            critical=False,
        )
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(caKey, hashes.SHA256())


def _write(directory: str, stem: str, cert: x509.Certificate, key: Any) -> Identity:
    certPath = os.path.join(directory, f"{stem}.pem")
    keyPath = os.path.join(directory, f"{stem}-key.pem")
    with open(certPath, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(keyPath, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    os.chmod(keyPath, 0o600)
    return Identity(cert, key, certPath, keyPath)


def makePKI(directory: str) -> PKI:
    """
    Generate the whole PKI into C{directory} (which must exist).
    """
    now = datetime.now(timezone.utc)
    start, end = now - timedelta(days=1), now + timedelta(days=365)
    caCert, caKey = _makeCA("twisted_reneg test CA", now)
    otherCert, otherKey = _makeCA("untrusted test CA", now)
    caPath = os.path.join(directory, "ca.pem")
    with open(caPath, "wb") as f:
        f.write(caCert.public_bytes(serialization.Encoding.PEM))
    localhost: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]

    def leaf(
        stem: str,
        key: Any,
        names: list[x509.GeneralName] = localhost,
        client: bool = False,
        notBefore: datetime = start,
        notAfter: datetime = end,
        issuer: tuple[x509.Certificate, Any] = (caCert, caKey),
    ) -> Identity:
        cn = "test-client" if client else "localhost"
        cert = _makeLeaf(issuer[0], issuer[1], key, cn, names, client, notBefore, notAfter)
        return _write(directory, stem, cert, key)

    rsaKey = rsa.generate_private_key(65537, 2048)
    return PKI(
        directory=directory,
        caCertificate=caCert,
        caPath=caPath,
        rsaServer=leaf("rsa-server", rsaKey),
        ecdsaServer=leaf("ecdsa-server", ec.generate_private_key(ec.SECP256R1())),
        ecdsa384Server=leaf("ecdsa384-server", ec.generate_private_key(ec.SECP384R1())),
        ed25519Server=leaf("ed25519-server", _ed25519.Ed25519PrivateKey.generate()),
        ecdsaClient=leaf(
            "ecdsa-client",
            ec.generate_private_key(ec.SECP256R1()),
            names=[x509.DNSName("test-client.example")],
            client=True,
        ),
        # One RSA key is enough for a test PKI: RSA generation is the slow part.
        rsaClient=leaf(
            "rsa-client", rsaKey, names=[x509.DNSName("rsa-client.example")], client=True
        ),
        expiredServer=leaf(
            "expired-server",
            ec.generate_private_key(ec.SECP256R1()),
            notBefore=now - timedelta(days=30),
            notAfter=now - timedelta(days=1),
        ),
        wrongHostServer=leaf(
            "wrong-host-server",
            ec.generate_private_key(ec.SECP256R1()),
            names=[x509.DNSName("wrong.example")],
        ),
        untrustedServer=leaf(
            "untrusted-server",
            ec.generate_private_key(ec.SECP256R1()),
            issuer=(otherCert, otherKey),
        ),
        untrustedClient=leaf(
            "untrusted-client",
            ec.generate_private_key(ec.SECP256R1()),
            names=[x509.DNSName("intruder.example")],
            client=True,
            issuer=(otherCert, otherKey),
        ),
    )


_cached: PKI | None = None


def cachedPKI() -> PKI:
    """
    One PKI per process, in a temporary directory.
    """
    global _cached
    if _cached is None:
        _cached = makePKI(tempfile.mkdtemp(prefix="twisted_reneg-pki-"))
    return _cached


# --- certificates of any shape ------------------------------------------------
#
# makePKI above makes one tidy profile.  Real peers present whatever their
# tools made: `openssl req -x509` roots without keyUsage, trustme's critical
# SAN and EKU, corporate client certificates without SAN, self-signed
# certificates pinned as their own trust root.  makeCertificate makes all of
# those (and the broken ones) so that applications can test what their
# verification accepts without shelling out to a CA tool.

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | _ed25519.Ed25519PrivateKey


def rsaKey(bits: int) -> rsa.RSAPrivateKey:
    """
    A new RSA key of C{bits} bits (public exponent 65537).
    """
    return rsa.generate_private_key(65537, bits)


def rsa2048() -> rsa.RSAPrivateKey:
    """
    A new RSA-2048 key.
    """
    return rsaKey(2048)


def rsa4096() -> rsa.RSAPrivateKey:
    """
    A new RSA-4096 key.  Slow to make (a good part of a second): share one.
    """
    return rsaKey(4096)


def p256() -> ec.EllipticCurvePrivateKey:
    """
    A new ECDSA key on P-256.
    """
    return ec.generate_private_key(ec.SECP256R1())


def p384() -> ec.EllipticCurvePrivateKey:
    """
    A new ECDSA key on P-384.
    """
    return ec.generate_private_key(ec.SECP384R1())


def ed25519() -> _ed25519.Ed25519PrivateKey:
    """
    A new Ed25519 key.
    """
    return _ed25519.Ed25519PrivateKey.generate()


@dataclass(frozen=True)
class CertifiedKey:
    """
    A certificate and its private key, in memory.

    @ivar certificate: the certificate.
    @ivar privateKey: the key whose public half it certifies.
    """

    certificate: x509.Certificate
    privateKey: PrivateKey

    def certificatePEM(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def privateKeyPEM(self) -> bytes:
        """
        The key as unencrypted PKCS #8 PEM.
        """
        return self.privateKey.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def writeTo(self, directory: str, stem: str) -> Identity:
        """
        Write C{<stem>.pem} and C{<stem>-key.pem} into C{directory}.
        """
        return _write(directory, stem, self.certificate, self.privateKey)


#: The key usages of RFC 5280 section 4.2.1.3 by their ASN.1 names, and
#: C{x509.KeyUsage}'s keyword for each.
_KEY_USAGES = {
    "digitalSignature": "digital_signature",
    "contentCommitment": "content_commitment",
    "keyEncipherment": "key_encipherment",
    "dataEncipherment": "data_encipherment",
    "keyAgreement": "key_agreement",
    "keyCertSign": "key_cert_sign",
    "cRLSign": "crl_sign",
    "encipherOnly": "encipher_only",
    "decipherOnly": "decipher_only",
}

#: Extended key usages by the names RFC 5280 section 4.2.1.12 gives them.
_EXTENDED_KEY_USAGES = {
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "codeSigning": ExtendedKeyUsageOID.CODE_SIGNING,
    "emailProtection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "timeStamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "OCSPSigning": ExtendedKeyUsageOID.OCSP_SIGNING,
    "anyExtendedKeyUsage": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
}


def _keyUsage(names: Iterable[str]) -> x509.KeyUsage:
    flags = dict.fromkeys(_KEY_USAGES.values(), False)
    for name in names:
        try:
            flags[_KEY_USAGES[name]] = True
        except KeyError:
            raise ValueError(
                f"unknown key usage {name!r}; use one of {', '.join(_KEY_USAGES)}"
            ) from None
    return x509.KeyUsage(**flags)


def _extendedKeyUsage(usages: Iterable[str | x509.ObjectIdentifier]) -> x509.ExtendedKeyUsage:
    oids = []
    for usage in usages:
        if isinstance(usage, x509.ObjectIdentifier):
            oids.append(usage)
            continue
        try:
            oids.append(_EXTENDED_KEY_USAGES[usage])
        except KeyError:
            raise ValueError(
                f"unknown extended key usage {usage!r}; use an ObjectIdentifier or one of "
                f"{', '.join(_EXTENDED_KEY_USAGES)}"
            ) from None
    return x509.ExtendedKeyUsage(oids)


def _generalName(name: str | x509.GeneralName) -> x509.GeneralName:
    """
    An IP address if C{name} parses as one, else a DNS name.
    """
    if not isinstance(name, str):
        return name
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def nameConstraints(
    permitted: Sequence[str | x509.GeneralName] = (),
    excluded: Sequence[str | x509.GeneralName] = (),
) -> x509.NameConstraints:
    """
    A nameConstraints extension from short forms: C{"example.com"} is a DNS
    subtree (that name and every name below it), C{"10.0.0.0/8"} an IP
    subtree; other general names are used as they are.
    """

    def subtree(name: str | x509.GeneralName) -> x509.GeneralName:
        if not isinstance(name, str):
            return name
        try:
            return x509.IPAddress(ipaddress.ip_network(name))
        except ValueError:
            return x509.DNSName(name)

    return x509.NameConstraints(
        permitted_subtrees=[subtree(n) for n in permitted] or None,
        excluded_subtrees=[subtree(n) for n in excluded] or None,
    )


class Issuer(Protocol):
    """
    What can sign a certificate: L{CertifiedKey} or L{Identity}.
    """

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def privateKey(self) -> Any: ...


def makeCertificate(
    subject: str | x509.Name,
    key: PrivateKey | None = None,
    issuer: Issuer | None = None,
    *,
    ca: bool = False,
    pathLength: int | None = None,
    basicConstraints: bool = True,
    keyUsage: Iterable[str] | None = None,
    keyUsageCritical: bool = True,
    omitKeyUsage: bool = False,
    extendedKeyUsage: Iterable[str | x509.ObjectIdentifier] | None = None,
    ekuCritical: bool = False,
    subjectAltNames: Sequence[str | x509.GeneralName] | None = None,
    sanCritical: bool | None = None,
    nameConstraints: x509.NameConstraints | None = None,
    subjectKeyIdentifier: bool = True,
    authorityKeyIdentifier: bool = True,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
    notBefore: datetime | None = None,
    notAfter: datetime | None = None,
    signatureHash: hashes.HashAlgorithm | None = None,
    corruptSignature: bool = False,
) -> CertifiedKey:
    """
    Make an X.509 v3 certificate of whatever shape a test needs.

    The defaults make what a careful CA issues: a CA gets critical
    basicConstraints CA:TRUE and a critical keyUsage of
    digitalSignature, keyCertSign and cRLSign; a leaf gets critical
    basicConstraints CA:FALSE and a critical keyUsage of digitalSignature
    (plus keyEncipherment for RSA); both get subject and authority key
    identifiers.  Each parameter below takes one of those away or changes it.
    Some shapes seen in the wild::

        # what `openssl req -x509` makes: no keyUsage
        root = makeCertificate("My CA", ca=True, omitKeyUsage=True)
        # trustme's leaf: critical SAN and critical EKU
        makeCertificate(
            x509.Name([]), issuer=root, subjectAltNames=["localhost"],
            extendedKeyUsage=["clientAuth", "serverAuth"], ekuCritical=True,
        )
        # a corporate client certificate: no SAN, clientAuth only
        makeCertificate(
            x509.Name([...CN, O, emailAddress...]), issuer=root,
            extendedKeyUsage=["clientAuth"],
        )
        # a bare self-signed leaf, for pinning
        makeCertificate(
            "localhost", subjectAltNames=["localhost"], basicConstraints=False,
            omitKeyUsage=True, subjectKeyIdentifier=False,
            authorityKeyIdentifier=False,
        )

    For the X.509 v1 shape (no extensions at all) see L{makeV1Certificate}.

    @param subject: a common name, or a whole C{x509.Name} (C{x509.Name([])}
        for an empty subject).
    @param key: the certified key; a new P-256 key if C{None}.
    @param issuer: who signs; C{None} for a self-signed certificate.
    @param ca: the basicConstraints cA flag.
    @param pathLength: the basicConstraints pathLenConstraint (CAs only).
    @param basicConstraints: C{False} leaves basicConstraints out, as
        certificates made without an extension profile do.
    @param keyUsage: key usages by RFC 5280 name (C{"digitalSignature"},
        C{"keyEncipherment"}, C{"keyCertSign"}, C{"cRLSign"} ...); C{None}
        for the defaults above.
    @param omitKeyUsage: leave keyUsage out.
    @param extendedKeyUsage: purposes by RFC 5280 name (C{"serverAuth"},
        C{"clientAuth"}, C{"anyExtendedKeyUsage"} ...) or OID; C{None}
        leaves extendedKeyUsage out (which means: any purpose).
    @param ekuCritical: mark extendedKeyUsage critical.
    @param subjectAltNames: DNS names and IP addresses (as strings; a string
        that parses as an IP address is one), or any C{x509.GeneralName};
        C{None} leaves subjectAltName out.
    @param sanCritical: mark subjectAltName critical; by default it is
        critical exactly when the subject is empty (RFC 5280 4.2.1.6).
    @param nameConstraints: e.g. from L{nameConstraints}; always critical
        (RFC 5280 4.2.1.10).
    @param subjectKeyIdentifier: include a subjectKeyIdentifier.
    @param authorityKeyIdentifier: include an authorityKeyIdentifier (the
        issuer's key, or the certificate's own if self-signed).
    @param extensions: more C{(extension, critical)} pairs, added last.
    @param notBefore: start of validity; an hour ago by default.
    @param notAfter: end of validity; a year from now by default.
    @param signatureHash: the signature's hash; SHA-256 by default, and
        none for an Ed25519 signer (whose algorithm fixes it).  Signing
        with SHA-1 works, to test that it is refused.
    @param corruptSignature: flip a bit of the signature, so that it no
        longer verifies.
    """
    if key is None:
        key = p256()
    name = _subjectName(subject)
    signerKey = key if issuer is None else issuer.privateKey
    issuerName = name if issuer is None else issuer.certificate.subject
    now = datetime.now(timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuerName)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(notBefore if notBefore is not None else now - timedelta(hours=1))
        .not_valid_after(notAfter if notAfter is not None else now + timedelta(days=365))
    )
    if basicConstraints:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca, path_length=pathLength), critical=True
        )
    if not omitKeyUsage:
        if keyUsage is None:
            keyUsage = (
                ("digitalSignature", "keyCertSign", "cRLSign")
                if ca
                else ("digitalSignature", "keyEncipherment")
                if isinstance(key, rsa.RSAPrivateKey)
                else ("digitalSignature",)
            )
        builder = builder.add_extension(_keyUsage(keyUsage), critical=keyUsageCritical)
    if extendedKeyUsage is not None:
        builder = builder.add_extension(_extendedKeyUsage(extendedKeyUsage), critical=ekuCritical)
    if subjectAltNames is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_generalName(n) for n in subjectAltNames]),
            critical=(len(name) == 0) if sanCritical is None else sanCritical,
        )
    if nameConstraints is not None:
        builder = builder.add_extension(nameConstraints, critical=True)
    if subjectKeyIdentifier:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    if authorityKeyIdentifier:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signerKey.public_key()),
            critical=False,
        )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    algorithm = _hashFor(signerKey, signatureHash)
    if isinstance(algorithm, hashes.SHA1):
        # CertificateBuilder refuses SHA-1 now; sign with SHA-256 and redo
        # the signature by hand.
        certificate = _resign(
            builder.sign(signerKey, hashes.SHA256()), signerKey, algorithm, legacySHA1=True
        )
    else:
        certificate = builder.sign(signerKey, algorithm)
    if corruptSignature:
        certificate = _corruptSignature(certificate)
    return CertifiedKey(certificate, key)


def makeV1Certificate(
    subject: str | x509.Name,
    key: PrivateKey | None = None,
    issuer: Issuer | None = None,
    *,
    notBefore: datetime | None = None,
    notAfter: datetime | None = None,
    signatureHash: hashes.HashAlgorithm | None = None,
) -> CertifiedKey:
    """
    Make an X.509 version 1 certificate: no extensions at all, so nothing
    says whether it belongs to a CA (old CA roots and hand-rolled
    C{openssl x509 -req} certificates look like this).

    C{cryptography} only writes version 3, so this makes a v3 certificate
    without extensions, removes its version field from the DER (absent
    means v1, RFC 5280 4.1) and signs the result again.

    @param subject: a common name, or a whole C{x509.Name}.
    @param key: the certified key; a new P-256 key if C{None}.
    @param issuer: who signs; C{None} for a self-signed certificate.
    @param notBefore: as for L{makeCertificate}.
    @param notAfter: as for L{makeCertificate}.
    @param signatureHash: as for L{makeCertificate}.
    """
    if key is None:
        key = p256()
    name = _subjectName(subject)
    signerKey = key if issuer is None else issuer.privateKey
    algorithm = _hashFor(signerKey, signatureHash)
    legacy = isinstance(algorithm, hashes.SHA1)
    now = datetime.now(timezone.utc)
    v3 = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name if issuer is None else issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(notBefore if notBefore is not None else now - timedelta(hours=1))
        .not_valid_after(notAfter if notAfter is not None else now + timedelta(days=365))
        .sign(signerKey, hashes.SHA256() if legacy else algorithm)
    )
    # TBSCertificate starts with "version [0] EXPLICIT"; with no extensions
    # there is nothing else version-3 about it.
    certificate = _resign(v3, signerKey, algorithm, dropVersion=True, legacySHA1=legacy)
    assert certificate.version is x509.Version.v1
    return CertifiedKey(certificate, key)


def _subjectName(subject: str | x509.Name) -> x509.Name:
    if isinstance(subject, str):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    return subject


def _hashFor(signerKey: Any, signatureHash: hashes.HashAlgorithm | None) -> Any:
    if isinstance(signerKey, _ed25519.Ed25519PrivateKey):
        if signatureHash is not None:
            raise ValueError("an Ed25519 signature has no separate hash")
        return None
    return signatureHash if signatureHash is not None else hashes.SHA256()


#: The DER AlgorithmIdentifiers of SHA-1 signatures (RFC 3279 2.2):
#: sha1WithRSAEncryption with its NULL parameters, ecdsa-with-SHA1 without.
_SHA1_ALGORITHM_IDENTIFIERS = {
    rsa.RSAPrivateKey: bytes.fromhex("300d06092a864886f70d0101050500"),
    ec.EllipticCurvePrivateKey: bytes.fromhex("300906072a8648ce3d0401"),
}


def _resign(
    certificate: x509.Certificate,
    signerKey: Any,
    algorithm: Any,
    *,
    dropVersion: bool = False,
    legacySHA1: bool = False,
) -> x509.Certificate:
    """
    Edit a certificate's DER and sign it again: for what
    C{CertificateBuilder} will not make.

    @param dropVersion: remove the version field (absent means v1; only
        right for a certificate without extensions).
    @param legacySHA1: name a SHA-1 signature algorithm (C{algorithm} must
        be SHA-1).
    """
    outer = _derElements(certificate.public_bytes(serialization.Encoding.DER))
    tbsFields = _derElements(outer[0][1])
    if dropVersion:
        assert tbsFields[0][0] == 0xA0, "expected an explicit version field"
        del tbsFields[0]
    algorithmIdentifier = outer[1][1]
    if legacySHA1:
        keyClass = next((c for c in _SHA1_ALGORITHM_IDENTIFIERS if isinstance(signerKey, c)), None)
        if keyClass is None:
            raise ValueError("SHA-1 signatures are made with RSA or ECDSA keys only")
        algorithmIdentifier = _SHA1_ALGORITHM_IDENTIFIERS[keyClass]
        # The TBSCertificate repeats the algorithm: its first SEQUENCE.
        at = next(i for i, (tag, _) in enumerate(tbsFields) if tag == 0x30)
        tbsFields[at] = (0x30, algorithmIdentifier)
    tbs = _derEncode(0x30, b"".join(field for _, field in tbsFields))
    signature = _sign(signerKey, algorithm, tbs)
    return x509.load_der_x509_certificate(
        _derEncode(0x30, tbs + algorithmIdentifier + _derEncode(0x03, b"\x00" + signature))
    )


def _sign(signerKey: Any, algorithm: Any, data: bytes) -> bytes:
    """
    Sign as C{CertificateBuilder.sign} does: PKCS #1 v1.5 for RSA.
    """
    if isinstance(signerKey, _ed25519.Ed25519PrivateKey):
        return signerKey.sign(data)
    if isinstance(signerKey, ec.EllipticCurvePrivateKey):
        return signerKey.sign(data, ec.ECDSA(algorithm))
    assert isinstance(signerKey, rsa.RSAPrivateKey)
    return signerKey.sign(data, padding.PKCS1v15(), algorithm)


def _corruptSignature(certificate: x509.Certificate) -> x509.Certificate:
    """
    Flip the lowest bit of the signature's last byte: the certificate
    still parses (the signature value is the last field, and for ECDSA that
    byte is inside an INTEGER), but no longer verifies.
    """
    der = bytearray(certificate.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01
    return x509.load_der_x509_certificate(bytes(der))


def _derElements(der: bytes) -> list[tuple[int, bytes]]:
    """
    The elements of the DER SEQUENCE C{der} as C{(tag, whole encoding)}.
    Only as much DER as certificates need: single-byte tags, definite
    lengths.
    """

    def header(data: bytes, at: int) -> tuple[int, int, int]:
        tag, first = data[at], data[at + 1]
        if first < 0x80:
            return tag, at + 2, first
        count = first & 0x7F
        return tag, at + 2 + count, int.from_bytes(data[at + 2 : at + 2 + count], "big")

    tag, start, length = header(der, 0)
    assert tag == 0x30, "not a SEQUENCE"
    elements = []
    at, end = start, start + length
    while at < end:
        tag, bodyStart, bodyLength = header(der, at)
        elements.append((tag, der[at : bodyStart + bodyLength]))
        at = bodyStart + bodyLength
    return elements


def _derEncode(tag: int, body: bytes) -> bytes:
    length = len(body)
    if length < 0x80:
        return bytes([tag, length]) + body
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body
