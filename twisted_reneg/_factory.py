# -*- test-case-name: tests.test_transport -*-
"""
L{TLSFactory} and what surrounds it: the options check, L{startTLS}, and
the pyOpenSSL-shaped handle of a connection.  Importable, as before, from
L{twisted_reneg.transport}.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from twisted.internet.interfaces import IReactorTime
from twisted.internet.protocol import Factory
from twisted.protocols.policies import WrappingFactory

from ._drain import drainOnShutdown
from .options import ClientOptions, ServerOptions
from .transport import TLSProtocol

#: Seconds to wait for the peer's close_notify after sending ours before the
#: TCP connection is dropped anyway.
DEFAULT_CLOSE_TIMEOUT = 10.0

#: Lingering close after a fatal alert of ours: at most this many seconds
#: of reading and discarding before the connection is dropped.  Apache's
#: figure (SECONDS_TO_LINGER): long enough for a peer in the middle of a
#: write to finish it and read the alert, short enough that a peer which
#: keeps sending costs us little.
DEFAULT_LINGER_TIMEOUT = 2.0

#: ... and at most this many bytes: Linux's largest default send buffer
#: (tcp_wmem), so that a peer blocked in one big write can get what it has
#: buffered out and come to read.  Discarding costs no memory; the bound
#: only caps the work a flooding peer gets out of us.
DEFAULT_LINGER_BYTES = 4 << 20

#: Bytes of replies to a peer's input that may wait in TCP's write buffer
#: (once it is full) before we stop reading that peer: a few TCP buffers'
#: worth, so that request/response traffic never notices, while a peer that
#: sends without reading cannot make us buffer more than this plus one
#: read's worth of answers.
DEFAULT_MAX_UNSENT_REPLIES = 256 << 10

#: Seconds without a record in a direction after which its cipher context
#: (some 2.4 KiB of OpenSSL state) is dropped, to be remade at the next
#: record: see C{_releaseIdleCiphers} in L{twisted_reneg.transport}.
#: Short, so that a burst of new connections does not hold thousands of
#: contexts at once (RSS does not shrink again: bench/idle.py measured 6.0
#: KiB per idle connection with one second, 4.3 with this); long enough
#: that a connection exchanging messages many times a second keeps its
#: contexts.
DEFAULT_CIPHER_IDLE_TIME = 0.1


class _TLSHandle:
    """
    The pyOpenSSL-shaped face of a connection for Twisted's certificate
    helpers.
    """

    def __init__(self, protocol: TLSProtocol) -> None:
        self._protocol = protocol

    @property
    def socket(self) -> Any:
        return self._protocol.transport.getHandle()

    def get_peer_certificate(self) -> Any:
        return self._protocol.getPeerCertificate()

    def get_host_certificate(self) -> Any:
        return self.get_certificate()

    def get_certificate(self) -> Any:
        tls = self._protocol._tls
        if tls is None:
            return None
        credential = tls.config.credentialFor(
            tls.session.serverName if tls.session is not None else None
        )
        if credential is None:
            return None
        from OpenSSL.crypto import X509

        return X509.from_cryptography(credential.chain[0])


def checkOptions(options: Any, isClient: bool) -> None:
    """
    Refuse, at once, settings that are not ours: Twisted's own
    (C{CertificateOptions}, C{optionsForClientTLS}'s creator), kept by
    someone moving from C{TLSMemoryBIOFactory}, would otherwise fail at
    every connection with an C{AttributeError} far from the cause.

    @raise TypeError: naming what to use instead, and how to convert.
    """
    if isinstance(options, ServerOptions | ClientOptions):
        return
    kind = f"{type(options).__module__}.{type(options).__qualname__}"
    if isClient:
        use = (
            "twisted_reneg.ClientOptions(hostname, trustRoots=...) or "
            "twisted_reneg.optionsForClientTLS(hostname, trustRoot=...), which take Twisted's "
            "Certificate objects as trust roots and a PrivateCertificate as clientCertificate"
        )
    else:
        use = (
            "twisted_reneg.ServerOptions.fromPrivateCertificate(privateCertificate) for a "
            "Twisted PrivateCertificate (or ServerOptions.fromPEM(certChainPath, keyPath))"
        )
    raise TypeError(
        f"twisted_reneg needs its own TLS settings, not {kind}: use {use}",
    )


class TLSFactory(WrappingFactory[TLSProtocol]):
    """
    Wraps a protocol factory so that its protocols talk TLS through our
    engine; the same shape as L{twisted.protocols.tls.TLSMemoryBIOFactory}.

    @ivar options: L{ServerOptions} or L{ClientOptions}.
    @ivar isClient: our role.
    @ivar clock: the reactor's clock, injectable for tests: the time of
        every connection's timers, of its engine (certificate validity,
        the renegotiation rate limit, session ticket ages and lifetimes)
        and of the client session cache.  (Ticket keys are rotated by wall
        time: L{twisted_reneg.tls.tickets.TicketKeys} is shared by every
        connection of the options.)
    @ivar closeTimeout: seconds to wait for the peer's close_notify.
    @ivar lingerTimeout: after a fatal alert of ours, at most this many
        seconds of reading and discarding before the connection is dropped
        (0: close at once).  See L{twisted_reneg._lifecycle.lingeringClose}.
    @ivar lingerBytes: ... and at most this many bytes.
    @ivar maxUnsentReplies: when TCP's write buffer is full and more than
        this many bytes of our replies to the peer's input went into it
        since it was last empty, we stop reading the peer until it drains
        (see L{twisted_reneg._flowcontrol.FlowControl.checkReplies}).
    @ivar engineClock: L{engineTime}, bound once: every connection's
        engine holds it.
    @cvar cipherIdleTime: seconds without records after which a
        connection's cipher contexts are dropped until the next record
        (see C{_releaseIdleCiphers} in L{twisted_reneg.transport}).
    """

    protocol = TLSProtocol
    cipherIdleTime: float = DEFAULT_CIPHER_IDLE_TIME
    options: ServerOptions | ClientOptions
    closeTimeout: float
    lingerTimeout: float
    lingerBytes: int
    maxUnsentReplies: int
    # No "Starting factory" / "Stopping factory" lines, as Twisted's
    # TLSMemoryBIOFactory: a client endpoint makes one factory per
    # connection, so they would be per-connection lines at info level.
    # (The wrapped factory still says what it likes.)
    noisy = False

    def __init__(
        self,
        options: ServerOptions | ClientOptions,
        isClient: bool,
        wrappedFactory: Any,
        clock: IReactorTime | None = None,
        closeTimeout: float = DEFAULT_CLOSE_TIMEOUT,
        lingerTimeout: float = DEFAULT_LINGER_TIMEOUT,
        lingerBytes: int = DEFAULT_LINGER_BYTES,
        maxUnsentReplies: int = DEFAULT_MAX_UNSENT_REPLIES,
    ) -> None:
        super().__init__(wrappedFactory)
        checkOptions(options, isClient)
        if isClient != isinstance(options, ClientOptions):
            raise ValueError(
                f"isClient={isClient} needs {'ClientOptions' if isClient else 'ServerOptions'}, "
                f"not {type(options).__name__}"
            )
        self.options = options
        self.isClient = isClient
        if clock is None:
            from twisted.internet import reactor

            clock = reactor
        self.clock: Any = clock
        self.closeTimeout = closeTimeout
        self.lingerTimeout = lingerTimeout
        self.lingerBytes = lingerBytes
        self.maxUnsentReplies = maxUnsentReplies
        self.engineClock: Callable[[], datetime] = self.engineTime
        from twisted.internet import reactor as globalReactor

        if not isClient and clock is globalReactor:
            # A real server: its connections close gracefully when the
            # reactor stops (a test's fake clock never stops).
            drainOnShutdown(self, clock)

    def engineTime(self) -> datetime:
        """
        The time of every connection's engine: C{clock}'s, as a UTC date.
        """
        return datetime.fromtimestamp(self.clock.seconds(), timezone.utc)

    def logPrefix(self) -> str:
        prefix = getattr(self.wrappedFactory, "logPrefix", None)
        inner = prefix() if callable(prefix) else self.wrappedFactory.__class__.__name__
        return f"{inner} (TLS)"


def startTLS(
    transport: Any,
    options: ServerOptions | ClientOptions,
    clock: IReactorTime | None = None,
) -> TLSProtocol:
    """
    Upgrade a connected plain TCP transport to TLS, for STARTTLS-style
    protocols (SMTP, IMAP, XMPP): call it when the protocol has agreed to
    switch, at a message boundary.  The protocol keeps running; from now on
    its C{transport} is the returned TLS transport and the handshake starts.

    @param transport: the TCP transport (it must have a C{protocol}
        attribute, as Twisted's TCP connections do).
    @param options: L{ClientOptions} to act as the TLS client, or
        L{ServerOptions} for the server.
    """
    application = transport.protocol
    isClient = isinstance(options, ClientOptions)
    # The application's own factory, if any, supplies ALPN protocols.
    wrappedFactory = getattr(application, "factory", None) or Factory()
    factory = TLSFactory(options, isClient, wrappedFactory, clock)
    tls = factory.protocol(factory, application, connectWrapped=False)
    transport.protocol = tls
    tls.makeConnection(transport)
    # Endpoints put a wrapping protocol between TCP and the application
    # (and policies wrappers may add more), each holding the TCP transport:
    # every protocol down the chain must write through TLS from now on, or
    # the application would go on writing in plaintext.
    inner = _innerProtocol(application)
    while inner is not None and getattr(inner, "transport", None) is transport:
        inner.transport = tls
        inner = _innerProtocol(inner)
    return tls


def _innerProtocol(wrapper: Any) -> Any:
    """
    The protocol C{wrapper} passes its data to, if it is a wrapper:
    Twisted's endpoint wrapper (C{_wrappedProtocol}) or a
    L{twisted.protocols.policies.ProtocolWrapper} (C{wrappedProtocol}).
    """
    return getattr(wrapper, "_wrappedProtocol", None) or getattr(wrapper, "wrappedProtocol", None)
