# -*- test-case-name: tests.test_endpoints -*-
"""
Endpoints: L{wrapServerTLS} and L{wrapClientTLS} put our TLS over any stream
endpoint, and the C{reneg:} string parsers (registered by
C{twisted/plugins/twisted_reneg_plugins.py}) make them available to
C{serverFromString}, C{clientFromString} and C{twistd --listen}::

    reneg:8443:privateKey=key.pem:certKey=cert.pem:clientCert=request
    reneg:8443:privateKey=key.pem:certKey=cert.pem:proxyProtocol=yes      (behind HAProxy)
    reneg:tcp6:8443:interface=\\:\\::privateKey=key.pem:certKey=cert.pem
    reneg:8443:privateKey=key.pem:certKey=cert.pem:keyPasswordEnv=KEY_PASSWORD
    reneg:host=example.com:port=443:trustRoots=ca.pem
    reneg:host=example.com:port=443:certificate=a.pem:privateKey=a-key.pem:certificate2=...

Server keywords (TLS): C{privateKey=PATH} (PEM or DER; a PEM file may hold
the certificate too), C{certKey=PATH} (the certificate chain, leaf first;
default: the C{privateKey} file), C{extraCertChain=PATH} (more
intermediates), C{trustRoots=PATH} (the CA bundle client certificates must
chain to; C{caCerts=} and C{trustRoot=} are synonyms),
C{clientCert=none|request|require|advisory}, C{sendClientCANames=yes|no},
C{renegotiation=refuse|allow} (renegotiations clients start),
C{minVersion=1.2|1.3}, C{maxVersion=1.2|1.3}, C{ticketKeys=PATH},
C{drainTimeout=SECONDS}, C{proxyProtocol=yes|no}; for a port number, the
TCP keywords C{interface=} and C{backlog=}.  Without C{privateKey} a
throwaway self-signed certificate for localhost is used.

Client keywords: C{host=}, C{port=} (or the first two positional
arguments), C{hostname=} (the name to verify, default C{host}),
C{trustRoots=PATH} (C{trustRoot=} and C{caCerts=} are synonyms; default:
the system's CA bundle), C{certificate=PATH} and C{privateKey=PATH} (a
client certificate; either alone names one PEM file holding both),
C{certificate2=}/C{privateKey2=} up to 9 for more, C{timeout=SECONDS}
(TCP connect), C{minVersion=}, C{maxVersion=}.

An encrypted private key takes its password from C{keyPasswordEnv=VARIABLE}
(an environment variable; keeps it out of C{ps} and shell history),
C{keyPasswordFile=PATH} (the file's first line) or C{keyPassword=PASSWORD}
(the password itself); one of them.  C{keyPassword=} also takes OpenSSL's
C{-passin} forms C{env:VARIABLE}, C{file:PATH} and C{pass:PASSWORD}, but an
endpoint string is split at every colon, so theirs must be escaped
(C{keyPassword=env\\:VARIABLE}, or C{env\\\\:VARIABLE} inside a Python
string).  Certificates and keys may be PEM or DER.

Both sides take C{handshakeTimeout=SECONDS} (default 30; 0 for none): a
connection whose first handshake takes longer is closed; and
C{logTLSEvents=yes|no} (default no): log every connection's TLS events
(handshakes, renegotiations, key updates, failures) at info level.
"""

from __future__ import annotations

import re
from typing import Any

from cryptography import x509
from twisted.internet.defer import Deferred, fail
from twisted.internet.endpoints import (
    HostnameEndpoint,
    TCP4ServerEndpoint,
    quoteStringArgument,
    serverFromString,
)
from twisted.internet.interfaces import (
    IStreamClientEndpoint,
    IStreamClientEndpointStringParserWithReactor,
    IStreamServerEndpoint,
    IStreamServerEndpointStringParser,
)
from twisted.logger import Logger
from twisted.plugin import IPlugin
from zope.interface import implementer

from ._files import (
    CertificateFileError,
    loadCertificateAndKey,
    loadCertificates,
    loadPrivateKey,
    readPassword,
)
from ._keywords import closeMatch
from ._proxyprotocol import proxyProtocolEndpoint
from ._selfsigned import fingerprint, selfSignedLocalhost
from .options import DEFAULT_HANDSHAKE_TIMEOUT, ClientOptions, ServerOptions
from .tls.config import RenegotiationPolicy
from .transport import TLSFactory, TLSProtocol, checkOptions

_log = Logger()


@implementer(IStreamServerEndpoint)
class _TLSServerEndpoint:
    def __init__(self, options: ServerOptions, wrapped: IStreamServerEndpoint) -> None:
        self._options = options
        self._wrapped = wrapped

    @property
    def options(self) -> ServerOptions:
        """
        The TLS settings every connection of this endpoint gets.
        """
        return self._options

    @property
    def wrappedEndpoint(self) -> IStreamServerEndpoint:
        """
        The endpoint below our TLS (what C{--workers} listens on).
        """
        return self._wrapped

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        if _isHAProxyWrapper(protocolFactory):
            return fail(ValueError(_PROXY_INSIDE_TLS))
        d = self._wrapped.listen(TLSFactory(self._options, False, protocolFactory))
        return d.addCallback(self._listening)

    def _listening(self, port: Any) -> Any:
        if self._options._source is not None:
            # Options read from files: SIGHUP reads them again.
            from ._reload import reloadOnHangup

            reloadOnHangup(self._options, f"the reneg: listener on {_address(port)}")
        return port


def _address(port: Any) -> str:
    host = port.getHost()
    if hasattr(host, "port"):
        return f"{host.host}:{host.port}"
    return str(getattr(host, "name", host))


_PROXY_INSIDE_TLS = (
    "haproxy:reneg:... would read the PROXY header inside TLS, after the handshake: a "
    "balancer sends it before, so every handshake fails, and a client reaching the "
    "server directly could choose the address the application sees.  Use "
    "reneg:...:proxyProtocol=yes, which reads it before TLS."
)


def _isHAProxyWrapper(factory: Any) -> bool:
    """
    Whether C{factory} is Twisted's PROXY protocol wrapper, which
    C{haproxy:reneg:...} puts above our TLS instead of below it.
    """
    try:
        from twisted.protocols.haproxy._wrapper import HAProxyWrappingFactory
    except ImportError:  # a Twisted without it cannot compose that way either
        return False
    return isinstance(factory, HAProxyWrappingFactory)


@implementer(IStreamClientEndpoint)
class _TLSClientEndpoint:
    def __init__(self, options: ClientOptions, wrapped: IStreamClientEndpoint) -> None:
        self._options = options
        self._wrapped = wrapped

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        d = self._wrapped.connect(TLSFactory(self._options, True, protocolFactory))
        # Like Twisted's wrapClientTLS: the caller gets its own protocol,
        # whose transport is our TLS transport.
        return d.addCallback(
            lambda tls: tls.wrappedProtocol if isinstance(tls, TLSProtocol) else tls
        )


def wrapServerTLS(
    options: ServerOptions, wrappedEndpoint: IStreamServerEndpoint, proxyProtocol: bool = False
) -> IStreamServerEndpoint:
    """
    Listen with TLS (ours) on top of C{wrappedEndpoint}.

    @param proxyProtocol: every connection starts with a PROXY protocol
        header (v1 or v2, from a load balancer), read in plaintext before
        TLS: the application's C{getPeer()} is then the client's address.
        Only for a server the balancer alone can reach.
    """
    checkOptions(options, isClient=False)
    if proxyProtocol:
        wrappedEndpoint = proxyProtocolEndpoint(wrappedEndpoint)
    return _TLSServerEndpoint(options, wrappedEndpoint)


def wrapClientTLS(
    options: ClientOptions, wrappedEndpoint: IStreamClientEndpoint
) -> IStreamClientEndpoint:
    """
    Connect with TLS (ours) over C{wrappedEndpoint}.
    """
    checkOptions(options, isClient=True)
    return _TLSClientEndpoint(options, wrappedEndpoint)


def _readPEMCertificates(path: str) -> list[x509.Certificate]:
    return loadCertificates(path)


def _checkKeywords(kind: str, given: dict[str, str], allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        match = closeMatch(unknown[0], allowed)
        hint = f"did you mean {match!r}? " if match is not None else ""
        raise ValueError(
            f"reneg {kind} endpoint: unknown keyword {unknown[0]!r} "
            f"({hint}known: {', '.join(sorted(allowed))})"
        )


def _oneOf(kind: str, kwargs: dict[str, str], keywords: tuple[str, ...]) -> str | None:
    """
    Which of C{keywords}, spellings of one setting, is given, if any.

    @raise ValueError: if two are.
    """
    given = [k for k in keywords if k in kwargs]
    if len(given) > 1:
        raise ValueError(
            f"reneg {kind} endpoint: {given[0]}= and {given[1]}= set the same thing; give one "
            f"of {', '.join(k + '=' for k in keywords)}"
        )
    return given[0] if given else None


#: The spellings of the trust roots keyword: ours first, then Twisted's
#: Python spelling, then the server endpoint's first name.
_TRUST_ROOTS_KEYWORDS = ("trustRoots", "trustRoot", "caCerts")


def _trustRootsPath(kind: str, kwargs: dict[str, str]) -> str | None:
    """
    C{trustRoots=ca.pem}, or its synonyms C{trustRoot=} and C{caCerts=}.
    """
    keyword = _oneOf(kind, kwargs, _TRUST_ROOTS_KEYWORDS)
    return kwargs[keyword] if keyword is not None else None


#: The keywords that give an encrypted key's password.
_PASSWORD_KEYWORDS = ("keyPassword", "keyPasswordEnv", "keyPasswordFile")

#: The password sources C{keyPassword=} takes as OpenSSL's C{-passin} does
#: (C{env:VAR}, its colon escaped in an endpoint string), and the keyword
#: that needs no colon.
_PASSWORD_SOURCES = {
    "env": "keyPasswordEnv=VARIABLE",
    "file": "keyPasswordFile=PATH",
    "pass": "keyPassword=PASSWORD",
}

_PASSWORD_HELP = (
    "give keyPasswordEnv=VARIABLE (from the environment), keyPasswordFile=PATH (the "
    "file's first line) or keyPassword=PASSWORD (the password itself; "
    "keyPassword=pass\\:PASSWORD for one holding a ':')"
)


def _checkUnsplitPassword(kind: str, kwargs: dict[str, str]) -> None:
    """
    Refuse C{keyPassword=env:VAR} written without escaping its colon:
    Twisted then gives us C{keyPassword=env} and a positional C{VAR}, and
    the user would hear only of the stray positional argument.
    """
    value = kwargs.get("keyPassword")
    if value in _PASSWORD_SOURCES:
        raise ValueError(
            f"reneg {kind} endpoint: keyPassword={value}:... was cut at its ':' (Twisted "
            f"splits endpoint strings at colons); write {_PASSWORD_SOURCES[value]} instead"
        )


def _keyPassword(kind: str, kwargs: dict[str, str]) -> bytes | None:
    """
    The password of an encrypted key: C{keyPasswordEnv=VARIABLE},
    C{keyPasswordFile=PATH} (its first line) or C{keyPassword=PASSWORD};
    at most one of them.  C{keyPassword=} also takes OpenSSL's C{-passin}
    forms C{env:VARIABLE}, C{file:PATH} and C{pass:PASSWORD}, whose colon
    must then be escaped (C{env\\:VARIABLE}) because Twisted splits
    endpoint strings at colons.

    @raise ValueError: for two of them, or an unknown source.
    @raise CertificateFileError: for an unset variable or an unreadable
        file.
    """
    keyword = _oneOf(kind, kwargs, _PASSWORD_KEYWORDS)
    if keyword is None:
        return None
    value = kwargs[keyword]
    if keyword == "keyPasswordEnv":
        return readPassword("env:" + value)
    if keyword == "keyPasswordFile":
        return readPassword("file:" + value)
    _checkUnsplitPassword(kind, kwargs)
    source, colon, _ = value.partition(":")
    if not colon:
        return value.encode("utf-8")
    if source not in _PASSWORD_SOURCES:
        raise ValueError(
            f"reneg {kind} endpoint: keyPassword={value!r} starts with {source + ':'!r}, "
            f"which is no password source; {_PASSWORD_HELP}"
        )
    return readPassword(value)


def _choice(kind: str, keyword: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(
            f"reneg {kind} endpoint: {keyword}={value!r} must be one of {', '.join(choices)}"
        )
    return value


def _yes(kind: str, kwargs: dict[str, str], keyword: str, default: str) -> bool:
    """
    C{keyword=yes|no}, C{default} when absent.
    """
    return _choice(kind, keyword, kwargs.get(keyword, default), ("yes", "no")) == "yes"


def _integer(kind: str, keyword: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"reneg {kind} endpoint: {keyword}={value!r} is not a number") from None


def _seconds(kind: str, keyword: str, value: str) -> float:
    """
    C{keyword=SECONDS}: a finite number of seconds, 0 or more.
    """
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"reneg {kind} endpoint: {keyword}={value!r} is not a number of seconds")
    return seconds


def _handshakeTimeout(kind: str, kwargs: dict[str, str]) -> float | None:
    """
    C{handshakeTimeout=SECONDS}: a number of seconds, C{0} for no limit.
    """
    value = kwargs.get("handshakeTimeout")
    if value is None:
        return DEFAULT_HANDSHAKE_TIMEOUT
    return _seconds(kind, "handshakeTimeout", value) or None


_SERVER_KEYWORDS = {
    "port",
    "privateKey",
    "certKey",
    "extraCertChain",
    "interface",
    "backlog",
    *_TRUST_ROOTS_KEYWORDS,
    "clientCert",
    "renegotiation",
    "minVersion",
    "maxVersion",
    "ticketKeys",
    *_PASSWORD_KEYWORDS,
    "sendClientCANames",
    "handshakeTimeout",
    "proxyProtocol",
    "logTLSEvents",
    "drainTimeout",
}

_VERSION_CHOICES = ("1.2", "1.3")


def _versions(kind: str, kwargs: dict[str, str]) -> tuple[str, str]:
    """
    C{minVersion=1.2|1.3} and C{maxVersion=1.2|1.3} (default 1.2 and 1.3).
    """
    return (
        _choice(kind, "minVersion", kwargs.get("minVersion", "1.2"), _VERSION_CHOICES),
        _choice(kind, "maxVersion", kwargs.get("maxVersion", "1.3"), _VERSION_CHOICES),
    )


def serverOptionsFromKeywords(kwargs: dict[str, str]) -> ServerOptions:
    """
    Build L{ServerOptions} from the C{reneg:} server keywords.
    """
    privateKey = kwargs.get("privateKey")
    certKey = kwargs.get("certKey", privateKey)
    key: Any
    keyPassword = None
    if privateKey is None:
        if "certKey" in kwargs:
            raise ValueError("reneg server endpoint: certKey given without privateKey")
        cert, key = selfSignedLocalhost()
        chain = [cert]
        _log.warn(
            "reneg: no certificate given; using a throwaway self-signed certificate for "
            "localhost, SHA-256 fingerprint {fingerprint}",
            fingerprint=fingerprint(cert),
        )
    else:
        assert certKey is not None
        keyPassword = _keyPassword("server", kwargs)
        # The path: ServerOptions reads the key, and names the file if the
        # key does not belong to the certificate (a reload after a renewal
        # whose key is not yet in place).
        key = privateKey
        chain = _readPEMCertificates(certKey)
        if not chain:
            raise ValueError(f"reneg server endpoint: certKey={certKey!r} holds no certificate")
        if "extraCertChain" in kwargs:
            chain += _readPEMCertificates(kwargs["extraCertChain"])
    clientCert = _choice(
        "server",
        "clientCert",
        kwargs.get("clientCert", "none"),
        ("none", "request", "require", "advisory"),
    )
    renegotiation = _choice(
        "server", "renegotiation", kwargs.get("renegotiation", "refuse"), ("refuse", "allow")
    )
    trustRoots = _trustRootsPath("server", kwargs)
    minVersion, maxVersion = _versions("server", kwargs)
    ticketKeys, openOnly = (
        _readTicketKeys(kwargs["ticketKeys"]) if "ticketKeys" in kwargs else (None, [])
    )
    options = ServerOptions(
        chain,
        key,
        clientCertificates=clientCert,
        trustRoots=trustRoots,
        renegotiation=RenegotiationPolicy(allowPeerInitiated=renegotiation == "allow"),
        minVersion=minVersion,
        maxVersion=maxVersion,
        ticketKeys=ticketKeys,
        openOnlyTicketKeys=openOnly,
        keyPassword=keyPassword,
        sendClientCANames=_yes("server", kwargs, "sendClientCANames", "yes"),
        handshakeTimeout=_handshakeTimeout("server", kwargs),
        logTLSEvents=_yes("server", kwargs, "logTLSEvents", "no"),
        drainTimeout=_seconds("server", "drainTimeout", kwargs.get("drainTimeout", "10")),
    )
    if privateKey is not None:
        # A reload reads the same files (and password source) again.
        given = dict(kwargs)
        options._source = lambda: serverOptionsFromKeywords(given)
    return options


def _readTicketKeys(path: str) -> tuple[list[bytes], list[bytes]]:
    """
    C{ticketKeys=FILE}: session ticket keys, one per line as 64 hex digits;
    the first plain one seals, every one opens, and a line ending in
    C{open-only} holds a key that only opens (blank lines and C{#}
    comments ignored).  Every process behind one address given the same
    file resumes the others' sessions; a rotation never loses that when it
    goes: add the new key C{open-only} everywhere and reload; make it the
    first plain key (the old one C{open-only}) and reload; drop the old one
    a ticket lifetime later.

    @return: the keys that seal (the first) and open, and those that only
        open.
    """
    keys: list[bytes] = []
    openOnly: list[bytes] = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) > 2 or (len(words) == 2 and words[1] != "open-only"):
                raise ValueError(
                    f"reneg server endpoint: {path}:{number}: a key is 64 hex digits, "
                    "optionally followed by open-only"
                )
            try:
                key = bytes.fromhex(words[0])
            except ValueError:
                key = b""
            if len(key) != 32:
                raise ValueError(f"reneg server endpoint: {path}:{number}: not 64 hex digits")
            (openOnly if len(words) == 2 else keys).append(key)
    if not keys:
        raise ValueError(
            f"reneg server endpoint: ticketKeys={path!r} holds no key that seals "
            "(one without open-only)"
        )
    return keys, openOnly


#: The keywords of a TCP listener given by port number (C{reneg:8443:...}).
_TCP_SERVER_KEYWORDS = {"port", "interface", "backlog"}

#: The keywords that configure our TLS, whatever the listener below it.
_TLS_SERVER_KEYWORDS = _SERVER_KEYWORDS - _TCP_SERVER_KEYWORDS


@implementer(IPlugin, IStreamServerEndpointStringParser)
class RenegServerParser:
    """
    C{reneg:PORT:privateKey=...:certKey=...[:handshakeTimeout=SECONDS]}: a
    TCP server with our TLS; or C{reneg:TYPE:...}, our TLS over any other
    server endpoint description, e.g. C{reneg:tcp6:8443:interface=\\:\\:},
    C{reneg:unix:/run/app.sock}, C{reneg:systemd:domain=INET:index=0}: the
    keywords that configure TLS are ours, all the others go to the endpoint
    below, as with Twisted's own C{haproxy:} prefix.
    """

    prefix = "reneg"

    def parseStreamServer(
        self, reactor: Any, *positional: object, **keywords: object
    ) -> IStreamServerEndpoint:
        args = [str(a) for a in positional]
        kwargs = {k: str(v) for k, v in keywords.items()}
        _checkUnsplitPassword("server", kwargs)
        if args and not args[0].isdigit():
            return self._overEndpoint(reactor, args, kwargs)
        if len(args) > 1:
            raise ValueError(f"reneg server endpoint: unexpected positional argument {args[1]!r}")
        if args:
            kwargs["port"] = args[0]
        _checkKeywords("server", kwargs, _SERVER_KEYWORDS)
        if "port" not in kwargs:
            raise ValueError("reneg server endpoint: missing port")
        port = _integer("server", "port", kwargs["port"])
        backlog = _integer("server", "backlog", kwargs.get("backlog", "50"))
        options = serverOptionsFromKeywords(kwargs)
        tcp = TCP4ServerEndpoint(reactor, port, backlog, kwargs.get("interface", ""))
        return wrapServerTLS(options, _proxyProtocol(kwargs, tcp))

    @staticmethod
    def _overEndpoint(
        reactor: Any, args: list[str], kwargs: dict[str, str]
    ) -> IStreamServerEndpoint:
        """
        C{reneg:TYPE:...}: the description without our TLS keywords is the
        endpoint to listen on.
        """
        if args[0] == "reneg":
            raise ValueError("reneg server endpoint: reneg:reneg: would be TLS inside TLS")
        theirs = {k: v for k, v in kwargs.items() if k not in _TLS_SERVER_KEYWORDS}
        inner = ":".join(
            [quoteStringArgument(a) for a in args]
            + [f"{quoteStringArgument(k)}={quoteStringArgument(v)}" for k, v in theirs.items()]
        )
        try:
            wrapped = serverFromString(reactor, inner)
        except (ValueError, TypeError, KeyError) as e:
            raise ValueError(
                f"reneg server endpoint: {args[0]!r} is neither a port number nor an endpoint "
                f"type that takes the rest ({inner!r}: {e})"
            ) from None
        return tlsOver(kwargs, wrapped)


def tlsOver(kwargs: dict[str, str], endpoint: IStreamServerEndpoint) -> IStreamServerEndpoint:
    """
    Our TLS, as the C{reneg:} keywords among C{kwargs} configure it (the
    others are ignored: they were the endpoint's), over C{endpoint}; a
    C{--workers} child puts it over the socket it inherited.
    """
    ours = {k: v for k, v in kwargs.items() if k in _TLS_SERVER_KEYWORDS}
    return wrapServerTLS(serverOptionsFromKeywords(ours), _proxyProtocol(ours, endpoint))


def _proxyProtocol(
    kwargs: dict[str, str], endpoint: IStreamServerEndpoint
) -> IStreamServerEndpoint:
    """
    C{proxyProtocol=yes}: every connection starts with a PROXY header (v1
    or v2, from HAProxy, nginx C{stream}, a cloud load balancer), read in
    plaintext before TLS; C{getPeer()} is then the client's address.
    """
    if _yes("server", kwargs, "proxyProtocol", "no"):
        return proxyProtocolEndpoint(endpoint)
    return endpoint


_CLIENT_KEYWORDS = {
    "host",
    "port",
    "hostname",
    *_TRUST_ROOTS_KEYWORDS,
    "certificate",
    "privateKey",
    "timeout",
    "minVersion",
    "maxVersion",
    *_PASSWORD_KEYWORDS,
    "handshakeTimeout",
    "logTLSEvents",
}


#: C{certificate2=...:privateKey2=...} and on: more client certificates,
#: since an endpoint string cannot repeat a keyword.
_NUMBERED_CERTIFICATE = re.compile(r"(certificate|privateKey)([2-9])\Z")


def _clientCertificates(kwargs: dict[str, str]) -> list[tuple[list[x509.Certificate], Any]]:
    """
    C{certificate=c.pem:privateKey=k.pem}, then C{certificate2}/C{privateKey2}
    up to C{9}: the client certificates, in that order (the client sends
    the first whose chain reaches a CA the server names).  Either keyword
    alone names one PEM file holding both the certificate and its key.
    """
    password = _keyPassword("client", kwargs)
    pairs = []
    for suffix in [""] + [str(n) for n in range(2, 10)]:
        certificate = kwargs.get("certificate" + suffix)
        privateKey = kwargs.get("privateKey" + suffix)
        if certificate is not None and privateKey is not None:
            pairs.append((_readPEMCertificates(certificate), loadPrivateKey(privateKey, password)))
        elif certificate is not None or privateKey is not None:
            given = ("certificate" if certificate is not None else "privateKey") + suffix
            try:
                pairs.append(loadCertificateAndKey(kwargs[given], password, given + "="))
            except CertificateFileError as e:
                raise CertificateFileError(f"reneg client endpoint: {e}") from None
    return pairs


@implementer(IPlugin, IStreamClientEndpointStringParserWithReactor)
class RenegClientParser:
    """
    C{reneg:host=H:port=P[:hostname=N][:trustRoots=ca.pem][:certificate=c.pem:privateKey=k.pem]}
    C{[:certificate2=c2.pem:privateKey2=k2.pem ...][:handshakeTimeout=SECONDS]}.
    """

    prefix = "reneg"

    def parseStreamClient(
        self, reactor: Any, *positional: object, **keywords: object
    ) -> IStreamClientEndpoint:
        args = [str(a) for a in positional]
        kwargs = {k: str(v) for k, v in keywords.items()}
        _checkUnsplitPassword("client", kwargs)
        for name, value in zip(("host", "port"), args, strict=False):
            kwargs.setdefault(name, value)
        if len(args) > 2:
            raise ValueError(f"reneg client endpoint: unexpected positional argument {args[2]!r}")
        _checkKeywords(
            "client",
            {k: v for k, v in kwargs.items() if not _NUMBERED_CERTIFICATE.match(k)},
            _CLIENT_KEYWORDS,
        )
        for required in ("host", "port"):
            if required not in kwargs:
                raise ValueError(f"reneg client endpoint: missing {required}")
        port = _integer("client", "port", kwargs["port"])
        timeout = _integer("client", "timeout", kwargs.get("timeout", "30"))
        minVersion, maxVersion = _versions("client", kwargs)
        options = ClientOptions(
            kwargs.get("hostname", kwargs["host"]),
            trustRoots=_trustRootsPath("client", kwargs),
            clientCertificates=_clientCertificates(kwargs),
            minVersion=minVersion,
            maxVersion=maxVersion,
            handshakeTimeout=_handshakeTimeout("client", kwargs),
            logTLSEvents=_yes("client", kwargs, "logTLSEvents", "no"),
        )
        # Every address of the host, IPv6 and IPv4, tried as RFC 8305 says.
        tcp = HostnameEndpoint(reactor, kwargs["host"], port, timeout=timeout)
        return wrapClientTLS(options, tcp)
