# -*- test-case-name: tests.test_usability,tests.test_foreign_options,tests.test_reload -*-
"""
L{ServerOptions} and L{ClientOptions}: what an application configures, turned
into the engine's immutable L{TLSConfig}.

They accept C{cryptography} objects, PEM files, and Twisted's own certificate
objects (L{twisted.internet.ssl.PrivateCertificate},
L{twisted.internet.ssl.Certificate}, C{trustRootFromCertificates(...)},
C{platformTrust()}), so that moving an application from
C{TLSMemoryBIOFactory} is a one-line change.  Turning those objects into
the engine's credentials and trust roots is L{twisted_reneg._loading}'s;
the other values (versions, suites, groups ...) are L{twisted_reneg._settings}'.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from twisted.logger import Logger
from twisted.web.iweb import IPolicyForHTTPS
from zope.interface import implementer

from ._files import loadCertificates
from ._keywords import checkedKeywords, checkKeywords, keywordNames
from ._loading import (
    clientCANames,
    clientCredentials,
    credentialFrom,
    loadTrustRoots,
    serverCredential,
)
from ._settings import (
    keyLogWriter,
    parseClientAuth,
    parseGroups,
    parseHandshakeTimeout,
    parseProtocols,
    parseSuites,
    parseVersion,
)
from .tls.config import ChooseClientCredential, RenegotiationPolicy, TLSConfig
from .tls.credentials import PeerVerifier
from .tls.suites import CipherSuite, CipherSuite13, NamedGroup
from .tls.tickets import (
    DEFAULT_TICKET_LIFETIME,
    ClientSessionCache,
    ServerSessionCache,
    TicketKeys,
)

_log = Logger()

#: Seconds a connection may take to complete its first handshake.  Long
#: enough for a slow mobile link and a client that prompts for a
#: certificate, short enough that a peer which connects and stalls cannot
#: keep a connection (and its buffers) for long: a client must be able to
#: finish in a few round trips.
DEFAULT_HANDSHAKE_TIMEOUT = 30.0

#: Seconds a stopping server gives connections with work in flight.
DEFAULT_DRAIN_TIMEOUT = 10.0


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
        self.minVersion = parseVersion(minVersion)
        self.maxVersion = parseVersion(maxVersion)
        if self.minVersion > self.maxVersion:
            raise ValueError("minVersion is above maxVersion")
        self.cipherSuites, self.tls13Suites = parseSuites(cipherSuites)
        self.groups = parseGroups(groups)
        self.acceptableProtocols = parseProtocols(acceptableProtocols)
        self.renegotiation = renegotiation or RenegotiationPolicy()
        self.requireExtendedMasterSecret = requireExtendedMasterSecret
        self.keyLog = keyLogWriter(keyLogFile or os.environ.get("SSLKEYLOGFILE") or None)
        self.handshakeTimeout = parseHandshakeTimeout(handshakeTimeout)
        self.logTLSEvents = logTLSEvents

    def _engineConfig(self, **sideSpecific: Any) -> TLSConfig:
        """
        The engine configuration of these shared settings, with the fields
        only one side sets.

        @param sideSpecific: the other L{TLSConfig} fields (C{isClient},
            credentials, verifier, tickets ...).
        """
        # The one place the shared settings become engine fields, so that
        # a setting added to both sides reaches both configurations.
        return TLSConfig(
            cipherSuites=self.cipherSuites,
            tls13Suites=self.tls13Suites,
            groups=self.groups,
            alpnProtocols=self.acceptableProtocols,
            requireExtendedMasterSecret=self.requireExtendedMasterSecret,
            minVersion=self.minVersion,
            maxVersion=self.maxVersion,
            renegotiation=self.renegotiation,
            keyLog=self.keyLog,
            **sideSpecific,
        )

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
        credential = serverCredential(certificateChain, privateKey, keyPassword)
        sni = {
            name.lower(): credentialFrom(value, what=f"sniMap[{name!r}]")
            for name, value in (sniMap or {}).items()
        }
        clientAuth = parseClientAuth(clientCertificates)
        # Always a verifier: requestClientCertificate() may ask for a
        # certificate later even when the handshake does not.
        verifier = PeerVerifier(loadTrustRoots(trustRoots, trustRoot))
        self._baseConfig = self._engineConfig(
            isClient=False,
            credential=credential,
            sniCredentials={k: v for k, v in sni.items() if v is not None},
            verifier=verifier,
            clientAuth=clientAuth,
            ticketKeys=self.ticketKeys,
            sessionCache=self.sessionCache,
            clientCANames=clientCANames(verifier, sendClientCANames),
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
            loadTrustRoots(trustRoots, trustRoot),
            verify=not insecurelySkipVerification,
        )
        credentials = clientCredentials(clientCertificate, clientCertificates, keyPassword)
        if chooseClientCertificate is not None and not credentials:
            raise ValueError("chooseClientCertificate needs clientCertificates to choose from")
        # The shorthand stays the engine's shorthand: one certificate is the
        # config's credential, as code reading that expects.
        single = clientCertificates is None
        self._baseConfig = self._engineConfig(
            isClient=True,
            credential=credentials[0] if single and credentials else None,
            clientCredentials=() if single else credentials,
            chooseClientCredential=chooseClientCertificate,
            serverName=hostname,
            verifier=verifier,
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
            clone.acceptableProtocols = parseProtocols(acceptableProtocols)
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
