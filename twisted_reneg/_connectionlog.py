# -*- test-case-name: tests.test_logging -*-
"""
What one connection says in the log, for the transport and its
collaborators alike: every line goes through the connection's own logger,
so that its namespace is C{twisted_reneg.transport.TLSProtocol} and its
source the connection, whichever module wrote it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.error import ConnectionDone
from twisted.logger import LogLevel
from twisted.python.failure import Failure

from .tls.errors import TLSAlertError, TLSHandshakeTimeout
from .tls.session import TLSSession

if TYPE_CHECKING:
    from .transport import TLSProtocol


def logEvent(
    protocol: TLSProtocol, format: str, level: LogLevel = LogLevel.info, **kwargs: Any
) -> None:
    """
    Log something that happened to C{protocol}'s connection (a handshake,
    a renegotiation, a key update, an alert, a failure, a close) if the
    options ask for it (C{logTLSEvents}), and emit nothing otherwise.

    Not demoted to debug level when off: C{twistd}'s log observer (and
    C{python -m twisted_reneg server}'s) prints every level, so an
    internet-facing server would still write a line for every scanner and
    every abandoned handshake.  The option is read at each event, so
    turning it on or off reaches live connections.
    """
    if protocol.factory.options.logTLSEvents:
        protocol._log.emit(level, format, **kwargs)


def peerCertificateSummary(session: TLSSession) -> str:
    """
    For the log: whether the peer proved a certificate, and if one was
    refused, why (the reason names the certificate, never key material).
    """
    if session.peerCertificate is not None:
        return "present"
    if session.peerCertificateError is not None:
        return f"refused ({session.peerCertificateError})"
    return "absent"


def logHandshake(protocol: TLSProtocol, session: TLSSession) -> None:
    """
    The first handshake completed: what was negotiated (no secrets: names
    and flags only).
    """
    alpn = session.alpnProtocol
    logEvent(
        protocol,
        "TLS handshake completed: {version}, {suite}, {group}, server name {name}, "
        "ALPN {alpn}, resumed {resumed}, peer certificate {peer}",
        version=session.version,
        suite=session.cipherSuite,
        group=session.group,
        name=session.serverName or "none",
        alpn=alpn.decode("ascii", "replace") if alpn else "none",
        resumed="yes" if session.resumed else "no",
        peer=peerCertificateSummary(session),
    )


def logClose(protocol: TLSProtocol, reason: Failure, handshakeDone: bool) -> None:
    """
    The connection is gone for C{reason}: one line, unless its handshake
    failed or timed out, which had its line when it happened.
    """
    if reason.check(ConnectionDone):
        logEvent(protocol, "TLS connection closed cleanly (close_notify both ways)")
    elif handshakeDone:
        logEvent(protocol, "TLS connection closed: {why}", why=reason.getErrorMessage())
    elif not reason.check(TLSAlertError, TLSHandshakeTimeout):
        logEvent(
            protocol,
            "TLS connection closed during the handshake: {why}",
            why=reason.getErrorMessage(),
        )
