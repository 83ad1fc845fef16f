# -*- test-case-name: tests.test_transport -*-
"""
Interfaces of twisted_reneg: what the transport offers and what a wrapped
protocol may implement to hear about renegotiations and key updates.
"""

from __future__ import annotations

from zope.interface import Attribute, Interface


class IRenegotiatingTransport(Interface):
    """
    A TLS transport that can renegotiate (TLS 1.2) or update keys (TLS 1.3)
    on demand.
    """

    session = Attribute(
        "The L{twisted_reneg.TLSSession} of the last completed handshake, or None."
    )

    def rehandshake(timeout=None):  # type: ignore[no-untyped-def]
        """
        Start a renegotiation (TLS 1.2: HelloRequest from a server, a new
        ClientHello from a client) or a key update (TLS 1.3:
        KeyUpdate(update_requested)).

        @param timeout: seconds to wait for the peer, or C{None} for ever
            (TLS 1.3 never waits for the peer).
        @return: a L{twisted.internet.defer.Deferred}.  TLS 1.2: it fires
            with the new L{TLSSession} once the new keys are in use both
            ways, or fails with L{RenegotiationRefused},
            L{RenegotiationTimeout} or the reason the connection was lost.
            TLS 1.3: it fires with the current session once our KeyUpdate
            is out and our sending keys are new; the peer may postpone its
            answer until it next writes (RFC 8446 4.6.3), which arrives as
            C{keysUpdated(False)}.
        """

    def requestClientCertificate(timeout=None):  # type: ignore[no-untyped-def]
        """
        Server side: ask the client for a certificate now (TLS 1.2
        renegotiation with CertificateRequest; TLS 1.3 post-handshake auth).
        Behind another renegotiation it starts once that one ends, however
        that one ends.

        @param timeout: seconds to wait, counted from the call, or C{None}
            for ever.
        @return: a L{twisted.internet.defer.Deferred} firing with the new
            L{TLSSession}.
        """


class IRenegotiationListener(Interface):
    """
    Optionally provided by a protocol wrapped by L{twisted_reneg.TLSFactory}.
    """

    def renegotiationRequested():  # type: ignore[no-untyped-def]
        """
        The peer asked for a renegotiation.

        @return: C{False} to refuse it (a warning no_renegotiation alert is
            sent), anything else to go ahead.
        """

    def renegotiationCompleted(session):  # type: ignore[no-untyped-def]
        """
        A renegotiation completed; C{session} is the new L{TLSSession}.
        """

    def renegotiationFailed(reason):  # type: ignore[no-untyped-def]
        """
        A renegotiation did not happen or did not complete.

        @param reason: a L{twisted.python.failure.Failure}.
        """

    def keysUpdated(requestedByPeer):  # type: ignore[no-untyped-def]
        """
        TLS 1.3: the peer updated its traffic keys.

        @param requestedByPeer: C{True} if it asked us to update ours too
            (done already); C{False} if it did not, which is how the answer
            to our C{rehandshake()} arrives.
        """
