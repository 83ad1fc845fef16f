# -*- test-case-name: tests.test_options -*-
"""
L{ServerOptions} and L{ClientOptions}: what an application configures, turned
into the engine's immutable L{TLSConfig}.

They accept C{cryptography} objects, PEM files, and Twisted's own certificate
objects (L{twisted.internet.ssl.PrivateCertificate},
L{twisted.internet.ssl.Certificate}, C{trustRootFromCertificates(...)},
C{platformTrust()}), so that moving an application from
C{TLSMemoryBIOFactory} is a one-line change.
"""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from twisted.logger import Logger
from twisted.web.iweb import IPolicyForHTTPS
from zope.interface import implementer

from ._files import (
    CertificateFileError,
    holds,
    loadCertificateAndKey,
    loadCertificates,
    loadPrivateKey,
)
from ._keywords import checkedKeywords, checkKeywords, keywordNames
from .tls.clientauth import MAX_CA_NAMES_BYTES, caNamesForRoots
from .tls.config import (
    TLS12,
    TLS13,
    ChooseClientCredential,
    ClientAuth,
    RenegotiationPolicy,
    TLSConfig,
)
from .tls.credentials import Credential, PeerVerifier
from .tls.messages import MAX_CERTIFICATE_AUTHORITIES
from .tls.suites import (
    DEFAULT_GROUPS,
    SUITES13_BY_NAME,
    TLS12_SUITES,
    TLS13_SUITES,
    CipherSuite,
    CipherSuite13,
    NamedGroup,
    groupByName,
    suiteByName,
)
from .tls.tickets import (
    DEFAULT_TICKET_LIFETIME,
    ClientSessionCache,
    ServerSessionCache,
    TicketKeys,
)

_log = Logger()

_VERSIONS = {"1.2": TLS12, "TLSv1.2": TLS12, "1.3": TLS13, "TLSv1.3": TLS13}


def _version(value: str | int) -> int:
    if isinstance(value, int):
        return value
    try:
        return _VERSIONS[value]
    except KeyError:
        raise ValueError(f"unsupported TLS version {value!r}; use '1.2' or '1.3'") from None


def _suites(
    names: Iterable[str | CipherSuite | CipherSuite13] | None,
) -> tuple[tuple[CipherSuite, ...], tuple[CipherSuite13, ...]]:
    """
    Split a list of suites by version: TLS 1.2 names and TLS 1.3 names
    (C{TLS_AES_128_GCM_SHA256} ...) may be mixed; a version none of whose
    suites are listed keeps its defaults.
    """
    if names is None:
        return TLS12_SUITES, TLS13_SUITES
    tls12: list[CipherSuite] = []
    tls13: list[CipherSuite13] = []
    for name in names:
        if isinstance(name, CipherSuite13):
            tls13.append(name)
        elif isinstance(name, CipherSuite):
            tls12.append(name)
        elif name.upper() in SUITES13_BY_NAME:
            tls13.append(SUITES13_BY_NAME[name.upper()])
        else:
            try:
                tls12.append(suiteByName(name))
            except ValueError:
                valid = ", ".join([*SUITES13_BY_NAME, *("TLS_" + s.name for s in TLS12_SUITES)])
                raise ValueError(f"unsupported cipher suite {name!r}; valid: {valid}") from None
    return tuple(tls12) or TLS12_SUITES, tuple(tls13) or TLS13_SUITES


def _groups(names: Iterable[str | NamedGroup] | None) -> tuple[NamedGroup, ...]:
    if names is None:
        return DEFAULT_GROUPS
    return tuple(n if isinstance(n, NamedGroup) else _group(n) for n in names)


#: Group names in lower case, for names in any letter case.
_GROUPS_BY_LOWER_NAME = {group.name.lower(): group for group in NamedGroup}


def _group(name: str) -> NamedGroup:
    """
    A group by its name in any letter case (C{"X25519MLKEM768"},
    C{"x25519"}), or by an alias L{groupByName} knows (C{"P-256"}).
    """
    found = _GROUPS_BY_LOWER_NAME.get(name.lower())
    return found if found is not None else groupByName(name)


def _protocols(protocols: Iterable[bytes | str] | None) -> tuple[bytes, ...]:
    if not protocols:
        return ()
    return tuple(p.encode("ascii") if isinstance(p, str) else bytes(p) for p in protocols)


def _certificates(value: Any) -> list[x509.Certificate]:
    """
    One or more certificates, each given any way L{_toCryptographyCertificate}
    takes, or as PEM (or DER) bytes holding one or more.
    """
    items = value if isinstance(value, (list, tuple)) else [value]
    found: list[x509.Certificate] = []
    for item in items:
        if isinstance(item, (bytes, bytearray)):
            found.extend(loadCertificates(bytes(item)))
        else:
            found.append(_toCryptographyCertificate(item))
    return found


def _toCryptographyCertificate(cert: Any) -> x509.Certificate:
    """
    Accept a C{cryptography} certificate, a Twisted
    L{twisted.internet.ssl.Certificate} or a pyOpenSSL C{X509}.
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


def _trustRoots(trust: Any) -> list[x509.Certificate] | None:
    """
    Turn the many ways of naming trust roots into certificates, or C{None}
    for the system bundle.
    """
    if trust is None:
        return None
    if type(trust).__name__ == "OpenSSLDefaultPaths":  # twisted's platformTrust()
        return None
    caCerts = getattr(trust, "_caCerts", None)  # twisted's trustRootFromCertificates()
    if caCerts is not None:
        return [_toCryptographyCertificate(c) for c in caCerts]
    if isinstance(trust, (str, os.PathLike)):  # a PEM bundle (or one DER file) on disk
        return loadCertificates(trust, "CA bundle")
    return _certificates(trust)


def _credential(
    certificateChain: Any, privateKey: Any, keyPassword: bytes | str | None = None
) -> Credential:
    """
    Our certificate chain and key, from objects, PEM bytes or file paths.
    """
    if isinstance(certificateChain, (str, os.PathLike)):
        certs = tuple(loadCertificates(certificateChain))
    else:
        certs = tuple(_certificates(certificateChain))
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
    form L{_credential} takes.
    """
    if isinstance(value, (list, tuple)):
        return bool(value) and _holdsCertificate(value[0])
    if isinstance(value, (bytes, bytearray, str, os.PathLike)):
        return holds(bytes(value) if isinstance(value, bytearray) else value)[0]
    original = getattr(value, "original", value)
    return isinstance(value, x509.Certificate) or hasattr(original, "to_cryptography")


def _clientAuth(value: str | ClientAuth) -> ClientAuth:
    try:
        return ClientAuth(value)
    except ValueError:
        choices = ", ".join(repr(c.value) for c in ClientAuth)
        raise ValueError(f"clientCertificates must be one of {choices}, not {value!r}") from None


def _fromPrivateCertificate(privateCertificate: Any) -> Credential:
    """
    Twisted's L{twisted.internet.ssl.PrivateCertificate} carries both halves.
    """
    return _credential(privateCertificate, privateCertificate.privateKey)


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


def _clientCredential(
    value: Any, keyPassword: bytes | str | None = None, what: str = "clientCertificate"
) -> Credential | None:
    """
    One certificate with its key, in any of L{_CREDENTIAL_SHAPES}.

    @param what: the option it came from, for messages.
    @raise TypeError: for another shape, listing those accepted.
    """
    if value is None or isinstance(value, Credential):
        return value
    if hasattr(value, "privateKey"):  # twisted PrivateCertificate
        return _fromPrivateCertificate(value)
    if isinstance(value, (str, os.PathLike, bytes, bytearray)):
        chain, key = loadCertificateAndKey(
            bytes(value) if isinstance(value, bytearray) else value, keyPassword, what
        )
        return _credential(chain, key)
    if isinstance(value, (tuple, list)) and len(value) == 2 and not _isCertificate(value[1]):
        chain, key = value
        return _credential(chain, key, keyPassword)
    raise TypeError(f"{what} takes {_CREDENTIAL_SHAPES}; not {_shape(value)}")


def _isCertificate(value: Any) -> bool:
    """
    Whether C{value} is a certificate object (where a key should be).
    """
    original = getattr(value, "original", value)
    return isinstance(value, x509.Certificate) or (
        hasattr(original, "to_cryptography") and not hasattr(original, "to_cryptography_key")
    )


def _clientCANames(verifier: PeerVerifier, send: bool) -> tuple[bytes, ...]:
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


def _clientCredentials(
    clientCertificate: Any, clientCertificates: Any, keyPassword: bytes | str | None = None
) -> tuple[Credential, ...]:
    """
    C{clientCertificate=} is the one-certificate shorthand for
    C{clientCertificates=}; giving both is a mistake.
    """
    if clientCertificate is not None and clientCertificates is not None:
        raise ValueError("give clientCertificate or clientCertificates, not both")
    if clientCertificates is None:
        one = _clientCredential(clientCertificate, keyPassword)
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
        credential = _clientCredential(value, keyPassword, "each of clientCertificates")
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


def _keyLogWriter(path: str | os.PathLike[str] | None) -> Callable[[str], None] | None:
    """
    Opt-in key logging (the C{keyLogFile} option or C{SSLKEYLOGFILE}): lines
    are appended as handshakes happen.  Loud, because anyone who reads that
    file can decrypt the traffic.
    """
    if path is None:
        return None
    _log.warn("TLS session secrets are being written to {path} (key log)", path=os.fspath(path))

    def write(line: str) -> None:
        with open(path, "a") as f:
            f.write(line + "\n")

    return write


#: Seconds a connection may take to complete its first handshake.  Long
#: enough for a slow mobile link and a client that prompts for a
#: certificate, short enough that a peer which connects and stalls cannot
#: keep a connection (and its buffers) for long: a client must be able to
#: finish in a few round trips.
DEFAULT_HANDSHAKE_TIMEOUT = 30.0

#: Seconds a stopping server gives connections with work in flight.
DEFAULT_DRAIN_TIMEOUT = 10.0


def _handshakeTimeout(value: float | None) -> float | None:
    """
    C{None} or C{0} turns the limit off; a negative or non-finite number is
    a mistake.
    """
    if value is None or value == 0:
        return None
    seconds = float(value)
    if not 0 < seconds < float("inf"):
        raise ValueError(f"handshakeTimeout must be a positive number of seconds, not {value!r}")
    return seconds


class _Options:
    """
    What server and client options share.  L{ServerOptions} and
    L{ClientOptions} take every one of these keywords themselves (so that
    their signatures and docs show them) and pass them on here.

    @ivar handshakeTimeout: seconds the first handshake may take before the
        connection is closed with L{TLSHandshakeTimeout}; C{None} for no
        limit.  (Renegotiations and key updates have their own per-call
        C{timeout}.)
    @ivar logTLSEvents: log what happens to each connection at info level
        (handshakes and what they negotiated, renegotiations, key updates,
        post-handshake authentication, warning alerts, failed and abandoned
        handshakes, closes); when false, nothing per connection is logged.
        Read at every event, so changing it reaches live connections.
    """

    def __init__(
        self,
        *,
        minVersion: str | int,
        maxVersion: str | int,
        cipherSuites: Iterable[str | CipherSuite | CipherSuite13] | None,
        groups: Iterable[str | NamedGroup] | None,
        acceptableProtocols: Iterable[bytes | str] | None,
        renegotiation: RenegotiationPolicy | None,
        requireExtendedMasterSecret: bool,
        keyLogFile: str | os.PathLike[str] | None,
        handshakeTimeout: float | None,
        logTLSEvents: bool,
    ) -> None:
        self.minVersion = _version(minVersion)
        self.maxVersion = _version(maxVersion)
        if self.minVersion > self.maxVersion:
            raise ValueError("minVersion is above maxVersion")
        self.cipherSuites, self.tls13Suites = _suites(cipherSuites)
        self.groups = _groups(groups)
        self.acceptableProtocols = _protocols(acceptableProtocols)
        self.renegotiation = renegotiation or RenegotiationPolicy()
        self.requireExtendedMasterSecret = requireExtendedMasterSecret
        self.keyLog = _keyLogWriter(keyLogFile or os.environ.get("SSLKEYLOGFILE") or None)
        self.handshakeTimeout = _handshakeTimeout(handshakeTimeout)
        self.logTLSEvents = logTLSEvents

    def tlsConfig(self, acceptableProtocols: Sequence[bytes] | None = None) -> TLSConfig:
        """
        The engine configuration for one connection.

        @param acceptableProtocols: ALPN protocols from the wrapped factory
            (L{twisted.internet.interfaces.IProtocolNegotiationFactory}); they
            win over our own list.
        """
        config = self._baseConfig
        if acceptableProtocols:
            config = replace(config, alpnProtocols=tuple(acceptableProtocols))
        return config

    _baseConfig: TLSConfig

    #: What to use instead of Twisted's OpenSSL-based TLS with these options.
    _useInstead = ""

    def getContext(self) -> Any:
        """
        Refuse to be an OpenSSL context factory: Twisted's own TLS
        (C{TLSMemoryBIOFactory}, C{wrapClientTLS}, C{listenSSL},
        C{connectSSL}, C{startTLS}) asks for one, and would fail later with
        an C{AttributeError} that names neither us nor what to use.

        @raise TypeError: always, naming our counterpart.
        """
        raise TypeError(
            f"twisted_reneg's {type(self).__name__} is not an OpenSSL context factory and"
            f" cannot be given to Twisted's own TLS (which would use OpenSSL, not us); use"
            f" {self._useInstead}"
        )


class ServerOptions(_Options):
    """
    Server-side TLS settings.

    Certificates, keys and trust roots may be given as file paths (PEM or
    DER), PEM bytes, C{cryptography} objects, or Twisted's (and
    pyOpenSSL's) certificate and key objects.

    @param certificateChain: our certificate, then the intermediates (leaf
        first): the path of a PEM file holding them (it may hold the key
        too) or of a DER file, PEM bytes, or one certificate or a list of
        them (C{cryptography} C{x509.Certificate}, Twisted
        L{Certificate<twisted.internet.ssl.Certificate>} or
        L{PrivateCertificate<twisted.internet.ssl.PrivateCertificate>},
        pyOpenSSL C{X509}).  The same order as L{fromPEM}.  (The key
        used to come first; that order still works for now, with a
        C{DeprecationWarning}.)
    @param privateKey: the certificate's private key: the path of a PEM
        or DER file (the PEM file may be the chain's own), PEM bytes, a
        C{cryptography} private key, a Twisted
        L{KeyPair<twisted.internet.ssl.KeyPair>} or a pyOpenSSL C{PKey}.
    @param keyPassword: the password of C{privateKey} when it is given as
        the bytes or the path of an encrypted key.
    @param clientCertificates: whether the handshake asks for a client
        certificate: C{"none"} (the default; the application may still ask
        mid-connection with C{requestClientCertificate()}), C{"request"},
        C{"require"}, or C{"advisory"}: ask, and let the application judge
        a certificate that fails verification instead of failing the
        handshake (C{TLSSession.peerCertificateError} says why), as
        C{requestClientCertificate()} does mid-connection.  A site's
        certificate listener uses it, so that a visitor with the wrong
        certificate gets a page that says so.
    @param trustRoots: the CAs client certificates must chain to: the path
        of a PEM bundle (or of one DER certificate), PEM bytes, a list of
        certificates (any form C{certificateChain} takes), Twisted's
        C{trustRootFromCertificates(...)} or C{platformTrust()}.  Default:
        the system's CA bundle.
    @param trustRoot: Twisted's spelling of C{trustRoots}, accepted as a
        synonym (not both).
    @param sendClientCANames: name the CAs of C{trustRoots} when asking
        for a client certificate (TLS 1.2 certificate_authorities, the TLS
        1.3 extension), so that clients holding several certificates pick
        the right one.  Only explicitly given trust roots are named, never
        the system bundle, and none past
        L{twisted_reneg.tls.clientauth.MAX_CA_NAMES_BYTES}.  C{False} names
        none (the names tell anyone who connects which CAs we trust).
    @param sniMap: host name (SNI) to the certificate and key to use for
        it: a C{(certificateChain, privateKey)} pair (each in any form
        above, paths included), a Twisted C{PrivateCertificate}, or the
        path of one PEM file holding both.  Other names get
        C{certificateChain}.
    @param sessionTickets: issue TLS 1.3 session tickets and resume from
        them (on by default).
    @param ticketKeys: 32-byte secrets to seal tickets with, newest first;
        give every process behind one address the same list so they resume
        each other's sessions.  By default a random key per options object,
        replaced every C{ticketLifetime} seconds.
    @param openOnlyTicketKeys: 32-byte secrets that open tickets but never
        seal one, for rotating shared keys without losing resumption: add
        the new key here in every process; then make it the first of
        C{ticketKeys} and move the old one here; drop the old one a ticket
        lifetime later (L{twisted_reneg.tls.tickets.TicketKeys}).
    @param ticketLifetime: how long a ticket stays valid, in seconds.
    @param sessionCacheSize: TLS 1.2 sessions kept for resumption by
        session ID (the oldest go first); 0 gives out no session IDs.
    @param drainTimeout: when the reactor stops (C{SIGTERM}), seconds the
        connections that are not idle get to finish before they are
        dropped; idle ones close with close_notify at once (default 10).
    @param minVersion: the lowest TLS version accepted: C{"1.2"} (the
        default) or C{"1.3"} (C{"TLSv1.2"} and C{"TLSv1.3"} work too).
    @param maxVersion: the highest TLS version accepted: C{"1.3"} (the
        default) or C{"1.2"}.
    @param cipherSuites: the suites to accept, in our order of preference,
        by IANA name (any letter case).  TLS 1.3: C{"TLS_AES_128_GCM_SHA256"},
        C{"TLS_CHACHA20_POLY1305_SHA256"}, C{"TLS_AES_256_GCM_SHA384"}.
        TLS 1.2 (the C{TLS_} prefix may be left out):
        C{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
        C{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
        C{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
        C{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
        C{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
        C{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}.  Both versions' names
        may be mixed; a version none of whose suites is listed keeps all
        of its own.  Default: all of them, in the order above.
    @param groups: the key-exchange groups to accept, in our order of
        preference (any letter case): C{"X25519MLKEM768"} (ML-KEM-768 with
        X25519, TLS 1.3 only), C{"x25519"}, C{"secp256r1"} (or C{"P-256"},
        C{"prime256v1"}), C{"secp384r1"} (or C{"P-384"}), C{"x448"}.
        Default: all of them, in that order.
    @param acceptableProtocols: the ALPN protocols we speak, as C{bytes}
        or C{str}, in our order of preference (e.g. C{[b"h2",
        b"http/1.1"]}); the first the client also offers is chosen.  A
        wrapped factory providing
        L{IProtocolNegotiationFactory<twisted.internet.interfaces.IProtocolNegotiationFactory>}
        overrides it.  Default: no ALPN.
    @param renegotiation: the rules for TLS 1.2 renegotiations the client
        starts, a L{RenegotiationPolicy}; by default a server refuses them
        (those it starts itself, with C{rehandshake()} or
        C{requestClientCertificate()}, are always allowed).
    @param requireExtendedMasterSecret: refuse TLS 1.2 clients that do not
        use the extended master secret (RFC 7627; always offered and
        preferred).
    @param keyLogFile: the path of a file to append each connection's
        secrets to, in the NSS key log format Wireshark reads; default: the
        C{SSLKEYLOGFILE} environment variable, if set.  Anyone who can read
        that file can decrypt the traffic; a warning is logged.
    @param handshakeTimeout: seconds a client has to complete the first
        handshake (default 30; C{0} or C{None} for no limit); see
        L{twisted_reneg.tls.errors.TLSHandshakeTimeout}.
    @param logTLSEvents: log every connection's TLS events at info level:
        each handshake (version, suite, group, server name, ALPN, resumed,
        peer certificate present or why refused), renegotiations, key
        updates, post-handshake authentication, warning alerts, failed and
        abandoned handshakes, closes.  Off by default: an internet-facing
        server would log every scanner.  Configuration errors and
        application callbacks that raise are logged either way.
    @raise TypeError: for a keyword this class does not take, naming the
        close match.
    """

    _useInstead = (
        "twisted_reneg.TLSFactory(options, False, factory), twisted_reneg.endpoints."
        "wrapServerTLS(options, endpoint), a reneg: endpoint string, or"
        " twisted_reneg.startTLS(transport, options)"
    )

    @checkedKeywords
    def __init__(
        self,
        certificateChain: Any,
        privateKey: Any,
        *,
        keyPassword: bytes | str | None = None,
        clientCertificates: str = "none",
        trustRoots: Any = None,
        trustRoot: Any = None,
        sendClientCANames: bool = True,
        sniMap: Mapping[str, Any] | None = None,
        sessionTickets: bool = True,
        ticketKeys: Sequence[bytes] | None = None,
        openOnlyTicketKeys: Sequence[bytes] = (),
        ticketLifetime: int = DEFAULT_TICKET_LIFETIME,
        sessionCacheSize: int = 20000,
        drainTimeout: float = DEFAULT_DRAIN_TIMEOUT,
        minVersion: str | int = "1.2",
        maxVersion: str | int = "1.3",
        cipherSuites: Iterable[str | CipherSuite | CipherSuite13] | None = None,
        groups: Iterable[str | NamedGroup] | None = None,
        acceptableProtocols: Iterable[bytes | str] | None = None,
        renegotiation: RenegotiationPolicy | None = None,
        requireExtendedMasterSecret: bool = False,
        keyLogFile: str | os.PathLike[str] | None = None,
        handshakeTimeout: float | None = DEFAULT_HANDSHAKE_TIMEOUT,
        logTLSEvents: bool = False,
    ) -> None:
        super().__init__(
            minVersion=minVersion,
            maxVersion=maxVersion,
            cipherSuites=cipherSuites,
            groups=groups,
            acceptableProtocols=acceptableProtocols,
            renegotiation=renegotiation,
            requireExtendedMasterSecret=requireExtendedMasterSecret,
            keyLogFile=keyLogFile,
            handshakeTimeout=handshakeTimeout,
            logTLSEvents=logTLSEvents,
        )
        if not 0 <= drainTimeout < float("inf"):
            raise ValueError("drainTimeout must be a number of seconds, 0 or more")
        self.drainTimeout = float(drainTimeout)
        self.ticketKeys = (
            TicketKeys(ticketKeys, ticketLifetime, openOnly=openOnlyTicketKeys)
            if sessionTickets
            else None
        )
        self.sessionCache = ServerSessionCache(sessionCacheSize) if sessionCacheSize else None
        credential = _serverCredential(certificateChain, privateKey, keyPassword)
        sni = {
            name.lower(): _clientCredential(value, what=f"sniMap[{name!r}]")
            for name, value in (sniMap or {}).items()
        }
        clientAuth = _clientAuth(clientCertificates)
        # Always a verifier: requestClientCertificate() may ask for a
        # certificate later even when the handshake does not.
        verifier = PeerVerifier(_trustRoots(_trustRootsOption(trustRoots, trustRoot)))
        self._baseConfig = TLSConfig(
            isClient=False,
            credential=credential,
            sniCredentials={k: v for k, v in sni.items() if v is not None},
            cipherSuites=self.cipherSuites,
            tls13Suites=self.tls13Suites,
            groups=self.groups,
            alpnProtocols=self.acceptableProtocols,
            verifier=verifier,
            clientAuth=clientAuth,
            requireExtendedMasterSecret=self.requireExtendedMasterSecret,
            minVersion=self.minVersion,
            maxVersion=self.maxVersion,
            renegotiation=self.renegotiation,
            keyLog=self.keyLog,
            ticketKeys=self.ticketKeys,
            sessionCache=self.sessionCache,
            clientCANames=_clientCANames(verifier, sendClientCANames),
        )

    #: How to read these options again from their files (L{reload}), when
    #: they came from files.
    _source: Callable[[], ServerOptions] | None = None

    def reload(self, source: ServerOptions | None = None) -> None:
        """
        Take new certificates, keys, trust roots and ticket keys, and every
        other setting, from C{source}, or, without one, by reading again
        the files these options were made from (L{fromPEM}, C{reneg:}
        endpoints, where C{SIGHUP} does it).  New connections use them;
        live ones keep what they started with (a renegotiation must not
        change the server's certificate).  Session caches and random ticket
        keys stay, so that sessions keep resuming.

        @raise Exception: whatever reading the files raises (the error names
            the file); nothing changes then.
        @raise ValueError: without C{source}, for options not made from files.
        """
        if source is None:
            if self._source is None:
                raise ValueError(
                    "these ServerOptions were not made from files: give reload() new options"
                )
            source = self._source()
        keys = self.ticketKeys
        if source.ticketKeys is None or (source.ticketKeys.fixed or keys is None):
            keys = source.ticketKeys
        settings = {k: v for k, v in vars(source).items() if k not in _KEPT_ON_RELOAD}
        vars(self).update(settings)
        self.ticketKeys = keys
        self._baseConfig = replace(
            source._baseConfig, ticketKeys=keys, sessionCache=self.sessionCache
        )

    @classmethod
    def fromPEM(
        cls, certChainPath: str | os.PathLike[str], keyPath: str | os.PathLike[str], **kw: Any
    ) -> ServerOptions:
        """
        Load a PEM certificate chain (leaf first) and a PEM private key
        (encrypted: give C{keyPassword}), in the order L{ServerOptions}
        takes them.  DER files are read too, and both paths may name one
        PEM file holding the chain and the key.  L{reload} reads them again.

        @param kw: any keyword argument of L{ServerOptions}.
        @raise CertificateFileError: naming the file and the mistake.
        """
        checkKeywords("ServerOptions.fromPEM", kw, _SERVER_OPTION_KEYWORDS)

        def load() -> ServerOptions:
            # The chain read here, so that files given the wrong way round
            # are named as swapped rather than taken in the old order.
            return cls(loadCertificates(certChainPath), keyPath, **kw)

        options = load()
        options._source = load
        return options

    @classmethod
    def fromPrivateCertificate(cls, privateCertificate: Any, **kw: Any) -> ServerOptions:
        """
        Use a Twisted L{twisted.internet.ssl.PrivateCertificate}.

        @param kw: any keyword argument of L{ServerOptions}.
        """
        return cls(privateCertificate, privateCertificate.privateKey, **kw)


#: The keywords L{ServerOptions} takes besides the certificate and key.
_SERVER_OPTION_KEYWORDS = keywordNames(ServerOptions.__init__) - {"certificateChain", "privateKey"}

#: The message for C{ServerOptions(privateKey, certificateChain)}.
_OLD_ORDER = (
    "ServerOptions(privateKey, certificateChain) is deprecated: "
    "give the certificate chain first, ServerOptions(certificateChain, privateKey), as "
    "ServerOptions.fromPEM(certChainPath, keyPath) and the (certificate, key) pairs of "
    "clientCertificate= and sniMap= take them (or name them: certificateChain=..., "
    "privateKey=...)"
)


def _serverCredential(
    certificateChain: Any, privateKey: Any, keyPassword: bytes | str | None
) -> Credential:
    """
    The server's credential; a key given where the chain goes and a
    certificate where the key goes is the order of old, taken with a
    warning.
    """
    try:
        return _credential(certificateChain, privateKey, keyPassword)
    except (CertificateFileError, TypeError):
        if not (_isKeyOnly(certificateChain) and _holdsCertificate(privateKey)):
            raise
    # Here, __init__, the keyword check, the caller.
    warnings.warn(_OLD_ORDER, DeprecationWarning, stacklevel=4)
    return _credential(privateKey, certificateChain, keyPassword)


def _trustRootsOption(trustRoots: Any, trustRoot: Any) -> Any:
    """
    C{trustRoots=}, or Twisted's spelling C{trustRoot=}.

    @raise TypeError: when both are given.
    """
    if trustRoots is not None and trustRoot is not None:
        raise TypeError(
            "trustRoots and trustRoot are the same option (trustRoot is Twisted's "
            "spelling): give one"
        )
    return trustRoot if trustRoots is None else trustRoots


#: What a reload leaves alone: the caches and random ticket keys that keep
#: sessions resuming, and where the files are.
_KEPT_ON_RELOAD = frozenset({"ticketKeys", "sessionCache", "_source", "_baseConfig"})


#: What a user of twisted.web's C{Agent} reads when passing L{ClientOptions}
#: where Twisted wants its own (OpenSSL) TLS policy.
_NOT_A_POLICY = (
    "twisted_reneg ClientOptions cannot be an Agent's contextFactory: that "
    "argument takes an OpenSSL policy (IPolicyForHTTPS) and Agent would "
    "connect with OpenSSL's TLS, not ours.  Use "
    "Agent.usingEndpointFactory(reactor, "
    "twisted_reneg.web.client.TLSEndpointFactory(reactor, options)) or "
    "twisted_reneg.web.client.agent(reactor, trustRoot=..., clientCertificate=...)"
)


# IPolicyForHTTPS only so that Agent(reactor, contextFactory=ClientOptions(...))
# takes us as a policy instead of wrapping us (with a deprecation warning) in
# an adapter that fails later with an AttributeError: Agent then calls
# creatorForNetloc as it makes each HTTPS request, and the user sees ours.
@implementer(IPolicyForHTTPS)
class ClientOptions(_Options):
    """
    Client-side TLS settings.

    Certificates, keys and trust roots may be given as file paths (PEM or
    DER), PEM bytes, C{cryptography} objects, or Twisted's (and
    pyOpenSSL's) certificate and key objects.

    @param hostname: the server's name: sent in SNI (unless an IP address)
        and checked against its certificate.
    @param trustRoots: the CAs the server's certificate must chain to: the
        path of a PEM bundle (or of one DER certificate), PEM bytes, a list
        of certificates (C{cryptography}, Twisted or pyOpenSSL ones, or PEM
        bytes), Twisted's C{trustRootFromCertificates(...)} or
        C{platformTrust()}.  Default: the system's CA bundle.
    @param trustRoot: Twisted's spelling of C{trustRoots}, accepted as a
        synonym (not both).
    @param clientCertificate: our certificate, sent when the server asks:
        a C{(certificateChain, privateKey)} pair (each a file path, PEM
        bytes or a C{cryptography} object; the chain leaf first), a Twisted
        C{PrivateCertificate}, or the path (or PEM bytes) of one PEM file
        holding the certificate and its key.
    @param clientCertificates: several of those, to choose from when the
        server asks: the first whose chain reaches a CA the server names
        (by subject or issuer) among those whose key fits the server's
        signature algorithms, else the first that fits.  Not together with
        C{clientCertificate}.
    @param keyPassword: the password of the client certificates' keys when
        they are given as the bytes or the path of an encrypted key.
    @param chooseClientCertificate: decides instead of that rule: called
        with the DER names of the CAs the server accepts (a C{tuple} of
        C{bytes}, empty if it named none; compare with
        C{certificate.issuer.public_bytes()}) and the usable candidates as
        L{twisted_reneg.tls.credentials.Credential} objects (C{.chain} is
        the certificates), in the order given; returns one of them, or
        C{None} to send no certificate.  Never called when none is usable.
    @param insecurelySkipVerification: accept any server certificate.  Only
        for tests against throwaway peers; logged loudly.
    @param postHandshakeAuth: TLS 1.3: offer post-handshake authentication,
        so the server may ask for a certificate after the handshake.
        C{None} (the default) offers it when we hold a client certificate;
        C{True} always (without a certificate we then answer a request
        with none).
    @param resumeSessions: keep the sessions servers let us resume (TLS 1.3
        tickets, TLS 1.2 session IDs and tickets), by host name and port, in
        C{sessionCache}, and resume with them.
    @param minVersion: the lowest TLS version accepted: C{"1.2"} (the
        default) or C{"1.3"} (C{"TLSv1.2"} and C{"TLSv1.3"} work too).
    @param maxVersion: the highest TLS version offered: C{"1.3"} (the
        default) or C{"1.2"}.
    @param cipherSuites: the suites to offer, in our order of preference,
        by IANA name (any letter case).  TLS 1.3: C{"TLS_AES_128_GCM_SHA256"},
        C{"TLS_CHACHA20_POLY1305_SHA256"}, C{"TLS_AES_256_GCM_SHA384"}.
        TLS 1.2 (the C{TLS_} prefix may be left out):
        C{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
        C{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
        C{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
        C{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
        C{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
        C{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}.  Both versions' names
        may be mixed; a version none of whose suites is listed keeps all
        of its own.  Default: all of them, in the order above.
    @param groups: the key-exchange groups to offer, in our order of
        preference (any letter case): C{"X25519MLKEM768"} (ML-KEM-768 with
        X25519, TLS 1.3 only), C{"x25519"}, C{"secp256r1"} (or C{"P-256"},
        C{"prime256v1"}), C{"secp384r1"} (or C{"P-384"}), C{"x448"}.
        Default: all of them, in that order.  The first ClientHello
        carries a key share for the first group (and, when that is
        X25519MLKEM768, for the first classical one too).
    @param acceptableProtocols: the ALPN protocols to offer, as C{bytes} or
        C{str}, in our order of preference (e.g. C{[b"h2",
        b"http/1.1"]}).  A wrapped factory providing
        L{IProtocolNegotiationFactory<twisted.internet.interfaces.IProtocolNegotiationFactory>}
        overrides it.  Default: no ALPN.
    @param renegotiation: the rules for TLS 1.2 renegotiations the server
        starts, a L{RenegotiationPolicy}; by default a client accepts
        secure ones (RFC 5746), at most C{maxPeerInitiated} (3) per
        C{windowSeconds} (60).
    @param requireExtendedMasterSecret: refuse TLS 1.2 servers that do not
        use the extended master secret (RFC 7627; always offered).
    @param keyLogFile: the path of a file to append each connection's
        secrets to, in the NSS key log format Wireshark reads; default: the
        C{SSLKEYLOGFILE} environment variable, if set.  Anyone who can read
        that file can decrypt the traffic; a warning is logged.
    @param handshakeTimeout: seconds the server has to complete the first
        handshake (default 30; C{0} or C{None} for no limit).
    @param logTLSEvents: log every connection's TLS events at info level
        (handshakes, renegotiations, key updates, post-handshake
        authentication, warning alerts, failures, closes); off by default.
        Disabled verification is logged either way.
    @raise TypeError: for a keyword this class does not take, naming the
        close match.
    """

    _useInstead = (
        "twisted_reneg.TLSFactory(options, True, factory), twisted_reneg.endpoints."
        "wrapClientTLS(options, endpoint), a reneg: endpoint string,"
        " twisted_reneg.startTLS(transport, options), or for HTTP"
        " twisted_reneg.web.client.agent()"
    )

    @checkedKeywords
    def __init__(
        self,
        hostname: str,
        *,
        trustRoots: Any = None,
        trustRoot: Any = None,
        clientCertificate: Any = None,
        clientCertificates: Iterable[Any] | None = None,
        keyPassword: bytes | str | None = None,
        chooseClientCertificate: ChooseClientCredential | None = None,
        insecurelySkipVerification: bool = False,
        postHandshakeAuth: bool | None = None,
        resumeSessions: bool = True,
        minVersion: str | int = "1.2",
        maxVersion: str | int = "1.3",
        cipherSuites: Iterable[str | CipherSuite | CipherSuite13] | None = None,
        groups: Iterable[str | NamedGroup] | None = None,
        acceptableProtocols: Iterable[bytes | str] | None = None,
        renegotiation: RenegotiationPolicy | None = None,
        requireExtendedMasterSecret: bool = False,
        keyLogFile: str | os.PathLike[str] | None = None,
        handshakeTimeout: float | None = DEFAULT_HANDSHAKE_TIMEOUT,
        logTLSEvents: bool = False,
    ) -> None:
        super().__init__(
            minVersion=minVersion,
            maxVersion=maxVersion,
            cipherSuites=cipherSuites,
            groups=groups,
            acceptableProtocols=acceptableProtocols,
            renegotiation=renegotiation,
            requireExtendedMasterSecret=requireExtendedMasterSecret,
            keyLogFile=keyLogFile,
            handshakeTimeout=handshakeTimeout,
            logTLSEvents=logTLSEvents,
        )
        self.hostname = hostname
        self.sessionCache = ClientSessionCache() if resumeSessions else None
        if insecurelySkipVerification:
            _log.warn(
                "TLS certificate verification is DISABLED for {hostname}: "
                "any server can impersonate it",
                hostname=hostname,
            )
        verifier = PeerVerifier(
            _trustRoots(_trustRootsOption(trustRoots, trustRoot)),
            verify=not insecurelySkipVerification,
        )
        credentials = _clientCredentials(clientCertificate, clientCertificates, keyPassword)
        if chooseClientCertificate is not None and not credentials:
            raise ValueError("chooseClientCertificate needs clientCertificates to choose from")
        # The shorthand stays the engine's shorthand: one certificate is the
        # config's credential, as code reading that expects.
        single = clientCertificates is None
        self._baseConfig = TLSConfig(
            isClient=True,
            credential=credentials[0] if single and credentials else None,
            clientCredentials=() if single else credentials,
            chooseClientCredential=chooseClientCertificate,
            cipherSuites=self.cipherSuites,
            tls13Suites=self.tls13Suites,
            groups=self.groups,
            alpnProtocols=self.acceptableProtocols,
            serverName=hostname,
            verifier=verifier,
            requireExtendedMasterSecret=self.requireExtendedMasterSecret,
            minVersion=self.minVersion,
            maxVersion=self.maxVersion,
            renegotiation=self.renegotiation,
            keyLog=self.keyLog,
            postHandshakeAuth=postHandshakeAuth,
            resumesSessions=resumeSessions,
        )

    def forHost(
        self, hostname: str, acceptableProtocols: Iterable[bytes | str] | None = None
    ) -> ClientOptions:
        """
        These options for another server: the same trust roots, client
        certificates, versions and policies, and the same C{sessionCache}
        (sessions in it are kept by server name and port, so hosts do not
        share them), with C{hostname} sent in SNI and verified.

        @param acceptableProtocols: the ALPN protocols to offer instead of
            ours; C{None} keeps ours.
        """
        clone = copy.copy(self)
        clone.hostname = hostname
        config = replace(self._baseConfig, serverName=hostname)
        if acceptableProtocols is not None:
            clone.acceptableProtocols = _protocols(acceptableProtocols)
            config = replace(config, alpnProtocols=clone.acceptableProtocols)
        clone._baseConfig = config
        if config.verifier is not None and not config.verifier.verify:
            _log.warn(
                "TLS certificate verification is DISABLED for {hostname}: "
                "any server can impersonate it",
                hostname=hostname,
            )
        return clone

    def creatorForNetloc(self, hostname: bytes, port: int) -> Any:
        """
        Refuse to be an OpenSSL policy for twisted.web's C{Agent}, naming
        what to use instead.

        @raise TypeError: always.
        """
        raise TypeError(_NOT_A_POLICY)


#: The keywords L{ClientOptions} takes.
_CLIENT_OPTION_KEYWORDS = keywordNames(ClientOptions.__init__)


def optionsForClientTLS(
    hostname: str,
    trustRoot: Any = None,
    clientCertificate: Any = None,
    acceptableProtocols: Iterable[bytes | str] | None = None,
    **kw: Any,
) -> ClientOptions:
    """
    The counterpart of L{twisted.internet.ssl.optionsForClientTLS}, with
    its signature: C{trustRoot} is L{ClientOptions}' C{trustRoots}.

    @param kw: any other keyword argument of L{ClientOptions}.
    """
    checkKeywords("optionsForClientTLS", kw, _CLIENT_OPTION_KEYWORDS - {"hostname"})
    return ClientOptions(
        hostname,
        trustRoot=trustRoot,
        clientCertificate=clientCertificate,
        acceptableProtocols=acceptableProtocols,
        **kw,
    )
