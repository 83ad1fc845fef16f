# -*- test-case-name: tests.tls.test_state_table, tests.conformance -*-
"""
Errors of the engine, split by who is at fault.

A L{PeerError} is a fault of the peer: it carries the alert the engine sends
before it stops for good.  A L{LocalUsageError} is misuse by the caller and is
raised at once.  L{TLSAlertError} is what the application finally sees when a
connection ends because of an alert, sent or received.
"""

from __future__ import annotations

from enum import IntEnum


class AlertLevel(IntEnum):
    WARNING = 1
    FATAL = 2


class AlertDescription(IntEnum):
    """
    Alert descriptions of RFC 5246 section 7.2 and RFC 8446 section 6.
    """

    close_notify = 0
    unexpected_message = 10
    bad_record_mac = 20
    record_overflow = 22
    handshake_failure = 40
    bad_certificate = 42
    unsupported_certificate = 43
    certificate_revoked = 44
    certificate_expired = 45
    certificate_unknown = 46
    illegal_parameter = 47
    unknown_ca = 48
    access_denied = 49
    decode_error = 50
    decrypt_error = 51
    protocol_version = 70
    insufficient_security = 71
    internal_error = 80
    inappropriate_fallback = 86
    user_canceled = 90
    no_renegotiation = 100
    missing_extension = 109
    unsupported_extension = 110
    unrecognized_name = 112
    bad_certificate_status_response = 113
    unknown_psk_identity = 115
    certificate_required = 116
    no_application_protocol = 120


def alertName(description: int) -> str:
    """
    @return: the RFC name of an alert description, or C{"alert_<n>"}.
    """
    try:
        return AlertDescription(description).name
    except ValueError:
        return f"alert_{description}"


class TLSError(Exception):
    """
    Base class of every error the engine raises or reports.
    """


class PeerError(TLSError):
    """
    The peer broke the protocol.  The engine answers with C{alert} (fatal) and
    enters its terminal state.

    @ivar alert: the alert description to send.
    @ivar reason: a short human-readable reason; never contains key material.
    """

    def __init__(self, alert: AlertDescription, reason: str) -> None:
        super().__init__(f"{alert.name}: {reason}")
        self.alert = alert
        self.reason = reason


class DecodeError(PeerError):
    """
    A message could not be decoded: short, long, or inconsistent lengths.
    Every parser in the engine raises only this on bad bytes.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(AlertDescription.decode_error, reason)


class IllegalParameter(DecodeError):
    """
    A message that parses but breaks a rule its syntax cannot express: two
    extensions of one type, two key shares for one group, two host names in
    server_name.  RFC 8446 section 6.2 keeps decode_error for "errors where
    the message does not conform to the formal protocol syntax" and gives
    illegal_parameter to "errors which conform to the formal protocol syntax
    but are otherwise incorrect"; these are the second kind.

    A L{DecodeError} subclass only so that parsers still raise one family
    of exceptions (what the property tests pin); its alert is
    illegal_parameter.
    """

    def __init__(self, reason: str) -> None:
        PeerError.__init__(self, AlertDescription.illegal_parameter, reason)


class UnexpectedMessage(PeerError):
    """
    A message arrived in a state that does not expect it.

    @ivar expected: names of the messages that would have been accepted.
    @ivar got: name of the message that arrived.
    """

    def __init__(self, expected: tuple[str, ...], got: str) -> None:
        super().__init__(
            AlertDescription.unexpected_message,
            f"expected {' or '.join(expected)}, got {got}",
        )
        self.expected = expected
        self.got = got


class LocalUsageError(TLSError):
    """
    The caller misused the engine (for example wrote after close).  Raised at
    once; the connection state is unchanged.
    """


class ChannelBindingUnavailable(LocalUsageError):
    """
    The channel binding asked for is not defined for this connection (for
    example C{tls-unique} on TLS 1.3, or on TLS 1.2 without the extended
    master secret); another kind may be.
    """


class TLSAlertError(TLSError):
    """
    The connection ended because of a fatal alert.

    @ivar alert: the alert description.
    @ivar sentByUs: C{True} if we sent the alert, C{False} if the peer did.
    @ivar reason: why; for alerts we sent, the reason we detected.
    """

    def __init__(self, alert: int, sentByUs: bool, reason: str = "") -> None:
        who = "sent" if sentByUs else "received"
        text = f"TLS alert {alertName(alert)} {who}"
        if reason:
            text += f": {reason}"
        super().__init__(text)
        self.alert = alert
        self.sentByUs = sentByUs
        self.reason = reason


class RenegotiationRefused(TLSError):
    """
    A renegotiation did not happen because the peer declined it (a warning
    no_renegotiation alert) or our own policy forbade it.
    """


class PostHandshakeAuthNotOffered(RenegotiationRefused, LocalUsageError):
    """
    C{requestClientCertificate()} on a TLS 1.3 connection whose client did
    not offer post-handshake authentication (no browser does): nothing was
    refused, the client cannot be asked at all on this connection.  A
    L{RenegotiationRefused}, which callers caught before it had a type of
    its own.
    """


class RenegotiationTimeout(TLSError):
    """
    The peer did not answer a renegotiation or key-update request in time;
    the connection is still up.
    """


class TLSHandshakeTimeout(TLSError):
    """
    The first handshake did not complete within the configured time, so we
    gave up on it and closed the connection (having sent a warning
    C{user_canceled} and C{close_notify}).

    @ivar timeout: the limit that was exceeded, in seconds.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(f"TLS handshake did not complete within {timeout:g} seconds")
        self.timeout = timeout
