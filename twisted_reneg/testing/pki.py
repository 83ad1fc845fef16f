# -*- test-case-name: tests.test_pki -*-
"""
A throwaway PKI for tests, demos and benchmarks: one trusted CA, server and
client certificates of every key type we support, and the bad certificates
a client must refuse (expired, wrong host, unknown CA).

The certificates follow the profile C{cryptography.x509.verification}
enforces (the CA/Browser Forum one), so verification in tests is exactly as
strict as in production.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
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
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


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
        ed25519Server=leaf("ed25519-server", ed25519.Ed25519PrivateKey.generate()),
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
