# -*- test-case-name: tests.test_files -*-
"""
Loading certificates, private keys and their passwords from files or bytes,
with errors that say which file is wrong and what to do about it.

Everything that takes a certificate or key from the user (L{ServerOptions},
L{ClientOptions}, the C{reneg:} endpoints, the CLI, C{twistd reneg}) goes
through here, so each common mistake gets one clear message:

  - a missing or unreadable file: the path and the OS's reason;
  - the certificate and key swapped, or a certificate given as the key;
  - an encrypted key without a password, or with the wrong one;
  - a file that is neither PEM nor DER.

DER is accepted where PEM is expected (one certificate or key per file, as
DER holds), since it is unambiguous; so are PEM bytes in memory.
"""

from __future__ import annotations

import os
import re
from typing import Any, Union

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .tls.truststore import loadPEMCertificates

#: A file path, or the PEM (or DER) bytes themselves.
Source = Union[str, "os.PathLike[str]", bytes]

_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----\r?\n?", re.S)
_KEY_LABELS = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY", b"ENCRYPTED PRIVATE KEY")
_CERT_LABELS = (b"CERTIFICATE", b"TRUSTED CERTIFICATE", b"X509 CERTIFICATE")


class CertificateFileError(ValueError):
    """
    A certificate, key or password could not be loaded; the message names
    the file (or "the given bytes") and the fix.
    """


def _read(source: Source, what: str) -> tuple[bytes, str]:
    """
    The bytes of C{source} and how to name it in messages.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), f"the {what} bytes given"
    path = os.fspath(source)
    try:
        with open(path, "rb") as f:
            return f.read(), f"{what} file {path!r}"
    except OSError as e:
        raise CertificateFileError(
            f"cannot read {what} file {path!r}: {e.strerror or e}"
        ) from None


def _blocks(data: bytes) -> list[tuple[bytes, bytes]]:
    return [(m.group(1), m.group(0)) for m in _BLOCK.finditer(data)]


def _isPEM(data: bytes) -> bool:
    return b"-----BEGIN " in data


def loadCertificates(source: Source, what: str = "certificate") -> list[x509.Certificate]:
    """
    All certificates in a PEM file (a chain or bundle), or the one in a DER
    file.

    @param source: a path, or the PEM (or DER) bytes.
    @param what: how the caller names this input ("certificate", "CA
        bundle"...), for messages.
    @raise CertificateFileError: naming the file and the mistake.
    """
    return _certificatesIn(*_read(source, what))


def _certificatesIn(data: bytes, name: str) -> list[x509.Certificate]:
    """
    The certificates in C{data}, read from what C{name} says.
    """
    if not _isPEM(data):
        try:
            return [x509.load_der_x509_certificate(data)]
        except ValueError:
            if not data.strip():
                raise CertificateFileError(f"{name} is empty") from None
            raise CertificateFileError(
                f"{name} is neither PEM nor DER: expected -----BEGIN CERTIFICATE-----"
            ) from None
    labels = [label for label, _ in _blocks(data)]
    if not any(label in _CERT_LABELS for label in labels):
        if any(label in _KEY_LABELS for label in labels):
            raise CertificateFileError(
                f"{name} holds a private key, not a certificate "
                "(are the certificate and the key swapped?)"
            )
        raise CertificateFileError(f"{name} holds no certificate (found {_describe(labels)})")
    try:
        return loadPEMCertificates(data)
    except ValueError as e:
        raise CertificateFileError(f"{name}: a certificate in it does not parse ({e})") from None


def _describe(labels: list[bytes]) -> str:
    if not labels:
        return "no PEM blocks"
    return ", ".join(label.decode("ascii", "replace") for label in labels)


def loadPrivateKey(source: Source, password: bytes | str | None = None) -> Any:
    """
    The private key in a PEM file (which may also hold certificates, as
    Twisted's C{ssl:} endpoints allow) or a DER file.

    @param source: a path, or the PEM (or DER) bytes.
    @param password: for an encrypted key; ignored for one that is not, as
        OpenSSL ignores it.
    @raise CertificateFileError: naming the file and the mistake.
    """
    data, name = _read(source, "private key")
    return _keyIn(data, name, password)


def _keyIn(data: bytes, name: str, password: bytes | str | None) -> Any:
    """
    The private key in C{data}, read from what C{name} says.
    """
    secret = password.encode("utf-8") if isinstance(password, str) else password
    if _isPEM(data):
        blocks = _blocks(data)
        keys = [block for label, block in blocks if label in _KEY_LABELS]
        if not keys:
            labels = [label for label, _ in blocks]
            if any(label in _CERT_LABELS for label in labels):
                raise CertificateFileError(
                    f"{name} holds a certificate, not a private key "
                    "(are the certificate and the key swapped?)"
                )
            raise CertificateFileError(f"{name} holds no private key (found {_describe(labels)})")
        if len(keys) > 1:
            raise CertificateFileError(f"{name} holds {len(keys)} private keys; give it one")
        return _decrypt(lambda pw: serialization.load_pem_private_key(keys[0], pw), secret, name)
    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        pass
    else:
        raise CertificateFileError(
            f"{name} holds a certificate, not a private key "
            "(are the certificate and the key swapped?)"
        )
    return _decrypt(lambda pw: serialization.load_der_private_key(data, pw), secret, name)


def loadCertificateAndKey(
    source: Source, password: bytes | str | None = None, what: str = "certificate"
) -> tuple[list[x509.Certificate], Any]:
    """
    The certificate chain (leaf first) and the private key of one PEM file
    (or PEM bytes) holding both, as a server's C{privateKey=} file may.

    @param password: for an encrypted key.
    @param what: how the caller names this input, for messages.
    @raise CertificateFileError: naming the file and the half it lacks.
    """
    data, name = _read(source, what)
    certificate, key = _holds(data)
    if not (certificate and key):
        lacking = "private key" if certificate else "certificate"
        raise CertificateFileError(
            f"{name} holds no {lacking}: give one PEM file holding both the certificate "
            "(leaf first) and its private key, or the certificate and the key separately"
        )
    return _certificatesIn(data, name), _keyIn(data, name, password)


def holds(source: Source) -> tuple[bool, bool]:
    """
    Whether C{source} holds a certificate, and whether it holds a private
    key, judged by its PEM labels (a DER file holds one or the other); an
    unreadable file holds neither.  Never raises: for telling what a user
    meant, not for loading.
    """
    try:
        data, _ = _read(source, "certificate")
    except CertificateFileError:
        return False, False
    return _holds(data)


def _holds(data: bytes) -> tuple[bool, bool]:
    if _isPEM(data):
        labels = {label for label, _ in _blocks(data)}
        return bool(labels & set(_CERT_LABELS)), bool(labels & set(_KEY_LABELS))
    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        pass
    else:
        return True, False
    try:
        serialization.load_der_private_key(data, None)
    except TypeError:  # encrypted
        return False, True
    except ValueError:
        return False, False
    return False, True


def _decrypt(load: Any, password: bytes | None, name: str) -> Any:
    try:
        return load(password)
    except TypeError as e:
        message = str(e)
        if "not encrypted" in message:
            return load(None)
        if "encrypted" in message:
            raise CertificateFileError(
                f"{name} is encrypted: give its password (the keyPassword option; "
                "keyPasswordEnv=VARIABLE, keyPasswordFile=PATH or keyPassword= on reneg: "
                "endpoints; --key-password on the command line)"
            ) from None
        raise CertificateFileError(f"{name}: {message}") from None
    except ValueError as e:
        if password is not None and ("decrypt" in str(e).lower() or "password" in str(e).lower()):
            raise CertificateFileError(f"{name}: the password does not decrypt it") from None
        raise CertificateFileError(
            f"{name} is not a private key we can read (PEM or DER; RSA, ECDSA P-256/P-384 "
            f"or Ed25519): {e}"
        ) from None


_PASSWORD_FORMS = "pass:PASSWORD, env:VARIABLE or file:PATH"


def readPassword(spec: str) -> bytes:
    """
    A password given as OpenSSL's C{-passin} takes it: C{pass:PASSWORD},
    C{env:VARIABLE} (kept out of C{ps} and shell history) or C{file:PATH}
    (its first line).

    @raise CertificateFileError: for another form, a missing variable or an
        unreadable file.
    """
    kind, sep, value = spec.partition(":")
    if not sep or kind not in ("pass", "env", "file"):
        raise CertificateFileError(f"a key password must be given as {_PASSWORD_FORMS}")
    if kind == "pass":
        return value.encode("utf-8")
    if kind == "env":
        found = os.environ.get(value)
        if found is None:
            raise CertificateFileError(f"key password: environment variable {value!r} is not set")
        return found.encode("utf-8")
    try:
        with open(value, "rb") as f:
            return f.readline().rstrip(b"\r\n")
    except OSError as e:
        raise CertificateFileError(
            f"cannot read key password file {value!r}: {e.strerror or e}"
        ) from None
