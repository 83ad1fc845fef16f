# -*- test-case-name: tests.test_web_client -*-
"""
twisted.web's C{Agent} (and treq, which runs on it) over our TLS::

    from twisted.web.client import Agent
    from twisted_reneg.web.client import TLSEndpointFactory, agent

    http = agent(reactor, trustRoots="ca.pem", clientCertificate=("client.pem", "client-key.pem"))
    # or, with options of your own:
    http = Agent.usingEndpointFactory(reactor, TLSEndpointFactory(reactor, options))

C{https://} URIs connect with our TLS, verifying the server's certificate
for the URI's host (SNI and the name check, per host); C{http://} URIs
connect over plain TCP.  One session cache serves every connection of a
factory, so new connections to a host resume its session.

A server that asks for our certificate in the middle of a connection (a
TLS 1.2 renegotiation, TLS 1.3 post-handshake authentication, as
L{twisted_reneg.web.RequireClientCertificate} does for part of a site) is
answered without the Agent noticing: the request it was asked for is
served on the same connection once we sent the certificate.

HTTP/2: Twisted has no HTTP/2 client (C{twisted.web._http2} is the server
side only; Agent builds C{HTTP11ClientProtocol} for every connection), so
we offer only C{http/1.1} in ALPN: a server that prefers C{h2} talks
HTTP/1.1 with us rather than HTTP/2 to a client that cannot speak it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.web.client import Agent, HTTPConnectionPool
from twisted.web.error import SchemeNotSupported
from twisted.web.iweb import IAgentEndpointFactory
from zope.interface import implementer

from .._keywords import checkKeywords
from ..endpoints import wrapClientTLS
from ..options import _CLIENT_OPTION_KEYWORDS, ClientOptions

#: The ALPN protocol we offer: all that twisted.web's Agent speaks.
_HTTP11 = b"http/1.1"

#: The host name of the options a factory builds from keyword arguments
#: before it knows any host.  Never connected to: every connection gets
#: options for its URI's host (L{ClientOptions.forHost}); a reserved name
#: (RFC 6761) so that a mistake there fails verification rather than
#: passing it.
_NO_HOST = "no-host-yet.invalid"

#: The keywords of L{ClientOptions} a factory takes: all but the host
#: name, which each URI gives.
_FACTORY_KEYWORDS = _CLIENT_OPTION_KEYWORDS - {"hostname"}

_PLAIN_SCHEMES = (b"http", b"ws")
_TLS_SCHEMES = (b"https", b"wss")


def _http11Only(options: ClientOptions) -> tuple[bytes, ...]:
    """
    The ALPN list for Agent's connections: C{http/1.1}.

    @raise ValueError: if C{options} offer another protocol: the server
        might pick it, and Agent would then talk HTTP/1.1 to a server
        expecting something else.
    """
    others = [p for p in options.acceptableProtocols if p != _HTTP11]
    if others:
        raise ValueError(
            f"twisted.web's Agent speaks HTTP/1.1 only; acceptableProtocols must not offer "
            f"{others[0]!r} (leave it unset: http/1.1 is offered)"
        )
    return (_HTTP11,)


@implementer(IAgentEndpointFactory)
class TLSEndpointFactory:
    """
    Endpoints for C{Agent.usingEndpointFactory}: plain TCP for C{http://},
    our TLS for C{https://}.

    Each URI host gets the options with that host name (sent in SNI,
    checked against the server's certificate), made once per
    C{(host, port)} and kept for the C{maxCachedHosts} most recently
    used; every one shares C{options}' session cache, so that connections
    the pool opens later resume the sessions earlier ones made.

    The name C{options} was made for is not used: the URI decides.  ALPN
    offers C{http/1.1} only (see the module docstring about HTTP/2).

    Server-initiated renegotiation (TLS 1.2) and post-handshake
    authentication (TLS 1.3) follow C{options}: by default a client
    accepts a secure renegotiation (at most
    C{RenegotiationPolicy.maxPeerInitiated} per C{windowSeconds}, refused
    past that) and, holding a certificate, offers post-handshake auth.

    @param reactor: for the connections (see L{HostnameEndpoint}).
    @param options: a L{ClientOptions}; or leave it out and give the
        keyword arguments of L{ClientOptions} (C{trustRoots} or its
        synonym C{trustRoot}, C{clientCertificate}, C{maxVersion} ...)
        instead, which build one.
    @param connectTimeout: seconds to wait for TCP connections, as for
        L{HostnameEndpoint} (C{None}: its default).
    @param bindAddress: the local address to connect from, as for
        L{HostnameEndpoint}.
    @param maxCachedHosts: how many hosts' options to keep.
    @raise ValueError: if the options offer an ALPN protocol other than
        C{http/1.1}.
    @raise TypeError: if both C{options} and keyword arguments are given,
        or for a keyword argument L{ClientOptions} does not take (naming
        the close match).
    """

    def __init__(
        self,
        reactor: Any,
        options: ClientOptions | None = None,
        *,
        connectTimeout: float | None = None,
        bindAddress: Any = None,
        maxCachedHosts: int = 128,
        **clientOptions: Any,
    ) -> None:
        if options is None:
            checkKeywords("TLSEndpointFactory", clientOptions, _FACTORY_KEYWORDS)
            options = ClientOptions(_NO_HOST, **clientOptions)
        elif clientOptions:
            raise TypeError(
                "give ClientOptions or the keyword arguments to build them, not both "
                f"(got {', '.join(sorted(clientOptions))})"
            )
        elif not isinstance(options, ClientOptions):
            raise TypeError(f"options must be twisted_reneg ClientOptions, not {options!r}")
        self._alpn = _http11Only(options)
        self._options = options
        self._reactor = reactor
        self._connectTimeout = connectTimeout
        self._bindAddress = bindAddress
        self._maxCachedHosts = maxCachedHosts
        self._perHost: OrderedDict[tuple[str, int], ClientOptions] = OrderedDict()

    def optionsFor(self, host: str, port: int) -> ClientOptions:
        """
        The options for connections to C{host}:C{port}.
        """
        key = (host.lower(), port)
        options = self._perHost.pop(key, None)
        if options is None:
            options = self._options.forHost(key[0], acceptableProtocols=self._alpn)
        self._perHost[key] = options
        while len(self._perHost) > self._maxCachedHosts:
            self._perHost.popitem(last=False)
        return options

    def endpointForURI(self, uri: Any) -> IStreamClientEndpoint:
        """
        The endpoint for a request to C{uri}.

        @param uri: a L{twisted.web.client.URI}.
        @raise SchemeNotSupported: for a scheme other than http(s) or ws(s)
            (Agent turns it into a failed request).
        @raise ValueError: for a host that is not ASCII (URIs carry IDNA
            names in their ASCII form).
        """
        try:
            host = uri.host.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(
                f"the host of the URI ({uri.host!r}) is not ASCII; give its IDNA (xn--) form"
            ) from None
        kwargs: dict[str, Any] = {"bindAddress": self._bindAddress}
        if self._connectTimeout is not None:
            kwargs["timeout"] = self._connectTimeout
        if uri.scheme not in _PLAIN_SCHEMES + _TLS_SCHEMES:
            raise SchemeNotSupported(f"Unsupported scheme: {uri.scheme!r}")
        tcp = HostnameEndpoint(self._reactor, host, uri.port, **kwargs)
        if uri.scheme in _PLAIN_SCHEMES:
            return tcp
        return wrapClientTLS(self.optionsFor(host, uri.port), tcp)


def agent(
    reactor: Any,
    trustRoots: Any = None,
    clientCertificate: Any = None,
    *,
    pool: HTTPConnectionPool | None = None,
    connectTimeout: float | None = None,
    bindAddress: Any = None,
    **options: Any,
) -> Agent:
    """
    A twisted.web L{Agent} whose HTTPS goes over our TLS, as
    L{TLSEndpointFactory} describes; for treq, C{treq.get(url,
    agent=agent(reactor, ...))}.

    @param trustRoots: the CAs to verify servers against, in any form
        L{ClientOptions} takes (a PEM bundle's path, PEM bytes, a list of
        certificates, Twisted's trust roots; default: the system's).
        C{trustRoot=}, Twisted's spelling, is accepted as a synonym.
    @param clientCertificate: our certificate for servers that ask for
        one, during the handshake or later; in any form L{ClientOptions}
        takes (a C{(certificate, key)} pair of paths, PEM bytes or
        objects, a Twisted C{PrivateCertificate}, or the path of one PEM
        file holding both).
    @param pool: the connection pool; C{None} gives Agent's default, a new
        connection per request (resumed after the first).  Pass an
        L{HTTPConnectionPool} to keep connections open between requests.
    @param connectTimeout: seconds to wait for TCP connections.
    @param bindAddress: the local address to connect from.
    @param options: further keyword arguments of L{ClientOptions}
        (C{minVersion}, C{maxVersion}, C{renegotiation}, C{keyLogFile} ...).
    @raise TypeError: for a keyword argument neither this function nor
        L{ClientOptions} takes, naming the close match.
    """
    checkKeywords("agent", options, _FACTORY_KEYWORDS)
    factory = TLSEndpointFactory(
        reactor,
        connectTimeout=connectTimeout,
        bindAddress=bindAddress,
        trustRoots=trustRoots,
        clientCertificate=clientCertificate,
        **options,
    )
    return Agent.usingEndpointFactory(reactor, factory, pool=pool)


__all__ = ["TLSEndpointFactory", "agent"]
