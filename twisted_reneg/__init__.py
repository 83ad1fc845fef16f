"""
twisted_reneg: a TLS transport for Twisted with its own record layer and
handshake, which can renegotiate (TLS 1.2) and update keys (TLS 1.3) on
demand and tells the application when that happens.

The public API is what this package exports (below), and the modules
L{twisted_reneg.endpoints} (C{wrapServerTLS}, C{wrapClientTLS}, the
C{reneg:} endpoint strings), L{twisted_reneg.options},
L{twisted_reneg.interfaces}, L{twisted_reneg.web} (with
L{twisted_reneg.web.client}) and L{twisted_reneg.testing}.  The sans-IO
engine in C{twisted_reneg.tls} and the tools (C{twistd reneg}, the demo)
are internals: the API reference lists them as private.
"""

from ._files import CertificateFileError
from ._proxyprotocol import ProxyProtocolFactory
from .options import ClientOptions, ServerOptions, optionsForClientTLS
from .tls.config import RenegotiationPolicy
from .tls.errors import (
    ChannelBindingUnavailable,
    LocalUsageError,
    PostHandshakeAuthNotOffered,
    RenegotiationRefused,
    RenegotiationTimeout,
    TLSAlertError,
    TLSHandshakeTimeout,
)
from .tls.session import TLSSession
from .transport import TLSFactory, TLSProtocol, startTLS

__all__ = [
    "CertificateFileError",
    "ChannelBindingUnavailable",
    "ClientOptions",
    "LocalUsageError",
    "PostHandshakeAuthNotOffered",
    "ProxyProtocolFactory",
    "RenegotiationPolicy",
    "RenegotiationRefused",
    "RenegotiationTimeout",
    "ServerOptions",
    "TLSAlertError",
    "TLSFactory",
    "TLSHandshakeTimeout",
    "TLSProtocol",
    "TLSSession",
    "optionsForClientTLS",
    "startTLS",
]
