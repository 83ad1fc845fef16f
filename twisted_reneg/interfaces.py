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

        A TLS 1.2 server's HelloRequest stays asked after a timeout: a
        client that answers it later (it may, RFC 5246 7.4.1.1) gets the
        renegotiation, whatever the policy on renegotiations clients start,
        and the application hears of it through
        C{IRenegotiationListener.renegotiationCompleted} and
        C{IHandshakeListener.handshakeCompleted}.  Refusing that answer would
        leave a client that ignores warning alerts (Go's) waiting for ever.

        @param timeout: seconds to wait for the peer, or C{None} for ever
            (TLS 1.3 never waits for the peer).
        @return: a L{twisted.internet.defer.Deferred}.  TLS 1.2: it fires
            with the new L{TLSSession} once the new keys are in use both
            ways.  TLS 1.3: it fires with the current session once our
            KeyUpdate is out and our sending keys are new; the peer may
            postpone its answer until it next writes (RFC 8446 4.6.3),
            which arrives as C{keysUpdated(False)}.  It fails with:
              - L{twisted_reneg.RenegotiationRefused}: the peer sent a
                warning no_renegotiation, or the connection cannot
                renegotiate (the peer did not negotiate RFC 5746);
              - L{twisted_reneg.RenegotiationTimeout}: C{timeout} passed
                (the connection goes on);
              - L{twisted.internet.error.ConnectionLost} or
                L{twisted.internet.error.ConnectionDone}: the connection
                was closed before, or ended meanwhile, or
                L{twisted_reneg.TLSAlertError} if it ended with a fatal
                alert.
            Called before the first handshake has completed, it starts
            right after it.
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
            L{TLSSession}: with the client's verified chain, or none
            (C{peerCertificateError} says why if it sent one that did not
            verify; the application decides).  It fails with:
              - L{twisted_reneg.PostHandshakeAuthNotOffered} (a
                L{twisted_reneg.RenegotiationRefused}), at once: TLS 1.3 and
                the client did not offer post-handshake authentication (no
                browser does: see the certificate listener in the
                client-certificate how-to);
              - L{twisted_reneg.RenegotiationRefused}: a TLS 1.2 client sent
                a warning no_renegotiation;
              - L{twisted_reneg.RenegotiationTimeout}: the client did not
                answer within C{timeout} (the connection goes on);
              - the reason the connection ended, as for L{rehandshake}.
        @raise twisted_reneg.LocalUsageError: on a client (only a server can
            ask).
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


class IKeyingMaterialExporter(Interface):
    """
    A TLS transport that exports keying material (RFC 5705, RFC 8446 section
    7.5) and channel bindings (RFC 5929, RFC 9266) of its current session,
    for protocols that bind their own authentication to the TLS connection
    (SCRAM-SHA-256-PLUS, GSS-API, token binding).

    Both follow the last completed handshake: a TLS 1.2 renegotiation
    changes them once it completes, a TLS 1.3 key update never does.
    """

    def exportKeyingMaterial(label, length, context=None):  # type: ignore[no-untyped-def]
        """
        Keying material both ends of the connection compute alike.

        @param label: the exporter label as C{bytes}, 1 to 249 bytes (a
            registered one, or C{b"EXPERIMENTAL-..."} for private use); the
            labels the TLS 1.2 PRF uses itself are refused.
        @param length: how many bytes, 1 to 255 times the cipher suite's
            hash length.
        @param context: C{None} or up to 65535 bytes.  On TLS 1.2 no context
            and C{b""} give different values (RFC 5705); on TLS 1.3 they
            are the same (RFC 8446 7.5).
        @return: C{length} bytes.
        @raise twisted_reneg.tls.errors.LocalUsageError: before the first
            handshake has completed, or after the connection failed.
        @raise TypeError: for a label or context that is not C{bytes}, or a
            length that is not an C{int}.
        @raise ValueError: for a value out of bounds, or a reserved label.
        """

    def channelBinding(kind):  # type: ignore[no-untyped-def]
        """
        Channel-binding data for C{kind}:

          - C{"tls-exporter"} (RFC 9266): 32 bytes exported with label
            C{EXPORTER-Channel-Binding} and an empty context.  TLS 1.3, and
            TLS 1.2 with the extended master secret.
          - C{"tls-unique"} (RFC 5929 3): the first Finished of the last
            handshake (the client's in a full handshake, the server's in a
            resumed one); it changes with every renegotiation.  TLS 1.2 with
            the extended master secret only.
          - C{"tls-server-end-point"} (RFC 5929 4): a hash of the server's
            certificate, with its signature's hash (SHA-256 for MD5 and
            SHA-1).  Undefined, so refused, for certificates signed with
            Ed25519 or Ed448.

        @return: the binding's bytes.
        @raise twisted_reneg.tls.errors.ChannelBindingUnavailable: a
            L{LocalUsageError}: this kind is not defined on this connection.
        @raise twisted_reneg.tls.errors.LocalUsageError: before the first
            handshake has completed, or after the connection failed.
        @raise ValueError: for an unknown kind (the message lists the known
            ones).
        """
