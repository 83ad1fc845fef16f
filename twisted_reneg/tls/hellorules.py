# -*- test-case-name: tests.conformance.test_hello -*-
"""
Rules of the hello exchange that several handshake states share, of
TLS 1.2 and 1.3 alike: which version a ClientHello lets a server pick
(RFC 8446 4.2.1, RFC 5246 E.1, RFC 7507) and the downgrade mark that
choice leaves (RFC 8446 4.1.3), which extensions a server's answer may
carry (RFC 8446 4.2, RFC 5246 7.4.1.4), the application protocol (RFC
7301) and the server name a client sends (RFC 6066).  Each rule is one
function that raises the alert its RFC names.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from functools import lru_cache

from .config import TLS12, TLSConfig
from .errors import AlertDescription, PeerError
from .extensions import ExtensionType, decodeAlpn, decodeSupportedVersionsClient, encodeServerName
from .messages import ClientHello
from .verification import addressLiteral

A = AlertDescription

#: RFC 8446 4.1.3 downgrade sentinel for a TLS 1.2 ServerHello.random.
DOWNGRADE_TLS12 = b"DOWNGRD\x01"
#: ... and for TLS 1.1 or below (refused here anyway, but the mark says more).
DOWNGRADE_TLS11 = b"DOWNGRD\x00"

#: RFC 7507: TLS_FALLBACK_SCSV, sent by a client retrying with a lower
#: version than it supports.
TLS_FALLBACK_SCSV = 0x5600

#: RFC 8446 D.5: "Any endpoint receiving a Hello message with
#: ClientHello.legacy_version ... set to 0x0300 MUST abort the handshake
#: with a protocol_version alert" (and so for anything older).
_SSL3 = 0x0300

#: Every extension type we implement, so that one we know but that does
#: not belong in a message can be told from one we never heard of.
KNOWN_EXTENSIONS = frozenset(int(t) for t in ExtensionType)

#: RFC 8446 4.2, the table: where each extension we know may appear in a
#: server's answer to a ClientHello.
SERVER_HELLO_13 = frozenset(
    {
        int(ExtensionType.supported_versions),
        int(ExtensionType.key_share),
        int(ExtensionType.pre_shared_key),
    }
)
HELLO_RETRY_REQUEST = frozenset(
    {
        int(ExtensionType.supported_versions),
        int(ExtensionType.key_share),
        int(ExtensionType.cookie),
    }
)
ENCRYPTED_EXTENSIONS = frozenset(
    {
        int(ExtensionType.server_name),
        int(ExtensionType.supported_groups),
        int(ExtensionType.application_layer_protocol_negotiation),
        int(ExtensionType.early_data),
    }
)


def clientVersions(hello: ClientHello) -> tuple[int, ...] | None:
    """
    The versions a ClientHello's supported_versions lists, or C{None}
    without one.
    """
    data = hello.extensions.get(ExtensionType.supported_versions)
    return None if data is None else decodeSupportedVersionsClient(data)


def checkLegacyVersion(hello: ClientHello) -> None:
    """
    RFC 8446 D.5: a legacy_version of SSL 3.0 or below is refused, with or
    without supported_versions.
    """
    if hello.legacyVersion <= _SSL3:
        raise PeerError(
            A.protocol_version, f"ClientHello legacy_version {hello.legacyVersion:#06x}"
        )


def checkTLS12Offered(hello: ClientHello, minVersion: int) -> None:
    """
    Server, about to answer with TLS 1.2: the client must offer it.

    RFC 8446 4.2.1: with supported_versions present, "servers MUST NOT use
    the ClientHello.legacy_version value for version negotiation and MUST
    use only the supported_versions extension"; if it lists none of ours,
    protocol_version.  Without it, RFC 5246 E.1: the client's version is
    legacy_version, and below 1.2 we have nothing in common.  A server that
    requires TLS 1.3 answers a client that did not offer it the same way
    (RFC 8446 4.2.1: "only supports versions greater than
    ClientHello.legacy_version ... MUST abort ... protocol_version").
    """
    checkLegacyVersion(hello)
    versions = clientVersions(hello)
    if versions is not None:
        offered = TLS12 in versions
    else:
        offered = hello.legacyVersion >= TLS12
    if not offered:
        raise PeerError(A.protocol_version, "client offers no version we support")
    if minVersion > TLS12:
        raise PeerError(A.protocol_version, "client does not offer TLS 1.3, which we require")


def checkNoFallback(hello: ClientHello, ourMaxVersion: int, chosen: int) -> None:
    """
    RFC 7507 3: "If TLS_FALLBACK_SCSV appears in ClientHello.cipher_suites
    and the highest protocol version supported by the server is higher than
    the version indicated in ClientHello.client_version, the server MUST
    respond with a fatal inappropriate_fallback alert".  C{chosen} is that
    client version as RFC 8446 reads it (the highest the client offered
    that we share), so a 1.3 server answering a 1.2 fallback refuses it.
    """
    if TLS_FALLBACK_SCSV in hello.cipherSuites and ourMaxVersion > chosen:
        raise PeerError(A.inappropriate_fallback, "TLS_FALLBACK_SCSV below our highest version")


def checkResponseExtensions(
    received: Iterable[int],
    offered: Collection[int],
    allowedHere: Collection[int] | None,
    message: str,
) -> None:
    """
    Client: the extensions of a server's answer.

    RFC 5246 7.4.1.4 and RFC 8446 4.2: one we did not offer is an
    unsupported_extension.  RFC 8446 4.2: one we offered and know, in a
    message the table does not list it for, is an illegal_parameter
    (C{allowedHere} is that list; C{None} for TLS 1.2, which has no such
    rule).

    @param offered: the types our ClientHello carried (and, for a
        HelloRetryRequest, cookie: RFC 8446 4.2 exempts it).
    """
    for extType in received:
        if extType not in offered:
            raise PeerError(A.unsupported_extension, f"extension {extType} unasked in {message}")
        if allowedHere is not None and extType in KNOWN_EXTENSIONS and extType not in allowedHere:
            raise PeerError(A.illegal_parameter, f"extension {extType} is not for {message}")


def chooseAlpn(ours: Sequence[bytes], offered: Sequence[bytes] | None) -> bytes | None:
    """
    Server: the application protocol of a first handshake (RFC 7301 3.2):
    our most preferred one that the client offers.

    @param ours: the protocols we speak, in our order of preference.
    @param offered: the client's list, C{None} without the extension.
    @return: the protocol, or C{None} when either side names none.
    @raise PeerError: C{no_application_protocol} when both name some and
        none is common.
    """
    if offered is None or not ours:
        return None
    chosen = next((p for p in ours if p in offered), None)
    if chosen is None:
        raise PeerError(A.no_application_protocol, "no ALPN protocol in common")
    return chosen


def checkAlpnAnswer(data: bytes | None, offered: Sequence[bytes]) -> bytes | None:
    """
    Client: the application protocol a server's answer names (RFC 7301
    3.1): exactly one, and one we offered.

    @param data: the server's ALPN extension, C{None} without one.
    @return: the protocol, or C{None} when the server named none.
    @raise PeerError: C{illegal_parameter} for any other answer.
    """
    if data is None:
        return None
    chosen = decodeAlpn(data)
    if len(chosen) != 1 or chosen[0] not in offered:
        raise PeerError(A.illegal_parameter, "server chose an ALPN protocol not offered")
    return chosen[0]


def serverNameExtension(config: TLSConfig) -> list[tuple[int, bytes]]:
    """
    A client's server_name extension, which RFC 6066 3 allows only for a
    host name, never an IP address literal.
    """
    name = config.serverName
    if name is None:
        return []
    return list(_serverNameExtension(name))


@lru_cache(maxsize=256)
def _serverNameExtension(name: str) -> tuple[tuple[int, bytes], ...]:
    # Every ClientHello to a server carries the same bytes: made once.
    if addressLiteral(name) is None:
        return ((int(ExtensionType.server_name), encodeServerName(name)),)
    return ()
