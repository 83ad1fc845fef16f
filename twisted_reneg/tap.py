# -*- test-case-name: tests.test_tap -*-
"""
C{twistd reneg}: a TLS echo server compatible with C{gnutls-serv --echo}, or
a static web server whose chosen paths ask for a client certificate in the
middle of the connection::

    twistd -n reneg --listen reneg:8443:privateKey=key.pem:certKey=cert.pem --echo
    twistd -n reneg --listen reneg:8443:... --path ./site --client-cert-path /admin \\
        --client-cert-listen reneg:8444:...

No browser offers TLS 1.3 post-handshake authentication, so a browser on a
TLS 1.3 connection cannot be asked for a certificate mid-connection: with
C{--client-cert-listen} such a request is redirected to a second listener of
the same site whose handshake asks for the certificate (the certificate
listener); without it, it is a 403, and a warning at start-up says so.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from twisted.application.internet import StreamServerEndpointService
from twisted.application.service import MultiService
from twisted.internet import protocol
from twisted.internet.endpoints import _parse, serverFromString
from twisted.internet.interfaces import IHandshakeListener, IListeningPort
from twisted.logger import Logger
from twisted.python import usage
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import Site
from twisted.web.static import File
from zope.interface import implementer

from ._reload import installHandler
from ._workers import (
    ParentWatchService,
    WorkerPool,
    inheritedEndpoints,
    readControlLine,
    workerArguments,
)
from .tls.config import TLS13
from .tls.errors import LocalUsageError
from .tls.session import TLSSession
from .web import RequireClientCertificate, SessionPage
from .web._resources import FallbackURL

_log = Logger()

#: The page showing the connection's TLS session in web mode.
SESSION_PAGE = b".tls-session"


@implementer(IHandshakeListener)
class EchoProtocol(protocol.Protocol):
    """
    Echoes each line, like C{gnutls-serv --echo}; two lines are commands:
    C{**REHANDSHAKE**} renegotiates (a key update on TLS 1.3) and
    C{**REAUTH**} asks for a client certificate.
    """

    transport: Any

    #: (label, length) of keying material to log after every handshake
    #: (C{--keymatexport}), or C{None}.
    keyingMaterial: tuple[bytes, int] | None = None

    def __init__(self) -> None:
        self._buffer = b""

    def handshakeCompleted(self) -> None:
        """
        After the first handshake and every renegotiation: with
        C{--keymatexport}, the C{Keying material: HEX} line of C{openssl
        s_server -keymatexport}.
        """
        if self.keyingMaterial is None:
            return
        label, length = self.keyingMaterial
        try:
            material = self.transport.exportKeyingMaterial(label, length)
        except (LocalUsageError, ValueError) as e:
            _log.error("Keying material not exported: {reason}", reason=str(e))
            return
        # Asked for by name on the command line, for tests: not a secret we
        # log on our own.
        _log.info("Keying material: {hex}", hex=material.hex().upper())

    def dataReceived(self, data: bytes) -> None:
        self._buffer += data
        # Bounded: a peer sending an endless line is cut off.
        if len(self._buffer) > 1 << 20 and b"\n" not in self._buffer:
            self.transport.loseConnection()
            return
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            command = line.strip()
            if command == b"**REHANDSHAKE**":
                self.transport.rehandshake(timeout=30).addCallbacks(
                    self._report,
                    self._reportFailure,
                    callbackArgs=(b"renegotiated",),
                    errbackArgs=(b"renegotiation",),
                )
            elif command == b"**REAUTH**":
                self.transport.requestClientCertificate(timeout=30).addCallbacks(
                    self._report,
                    self._reportFailure,
                    callbackArgs=(b"client certificate",),
                    errbackArgs=(b"client certificate request",),
                )
            else:
                self.transport.write(line + b"\n")

    def _report(self, session: TLSSession, what: bytes) -> None:
        """
        TLS 1.2: C{*** renegotiated (N)}; TLS 1.3, where the same commands
        are a key update and post-handshake auth: C{*** key update sent} (our
        KeyUpdate is out and our keys are new; the client answers when it
        next writes) or C{*** client certificate}.
        """
        if session.version == "TLSv1.2":
            headline = b"renegotiated (%d)" % session.renegotiations
        elif what == b"renegotiated":
            headline = b"key update sent"
        else:
            headline = what
        peer = session.peerCertificate
        if peer is not None:
            described = peer.subject.rfc4514_string()
        elif session.peerCertificateError is not None:
            # The person at the terminal sees why, as a 403 page would say.
            described = f"none (refused: {session.peerCertificateError})"
        else:
            described = "none"
        self.transport.write(
            b"*** %s: %s, peer %s\n" % (headline, session.cipherSuite.encode(), described.encode())
        )

    def _reportFailure(self, reason: Failure, what: bytes) -> None:
        self.transport.write(b"*** %s failed: %s\n" % (what, reason.getErrorMessage().encode()))


class Options(usage.Options):
    synopsis = "[--listen ENDPOINT]... (--echo | --path DIR) [--client-cert-path PREFIX]..."
    longdesc = "A TLS server (twisted_reneg) that can renegotiate on demand."
    optFlags = [
        ["echo", None, "Echo lines (gnutls-serv --echo compatible)."],
        ["worker", None, "(internal) Run as a worker of --workers: listeners come from fd 3 on."],
        [
            "log-tls-events",
            None,
            "Log every connection's TLS events (handshakes, renegotiations, key updates, "
            "failures) at info level: logTLSEvents=yes on each reneg: listener that does "
            "not set it.",
        ],
    ]
    optParameters = [
        ["path", None, None, "Serve the static files under this directory."],
        [
            "keymatexport",
            None,
            None,
            "Echo mode: log keying material exported with this label after every "
            "handshake (secret: for tests only).",
        ],
        ["keymatexportlen", None, 20, "Bytes of keying material to log.", int],
        [
            "drain-timeout",
            None,
            None,
            "On SIGTERM, seconds connections with work in flight get to finish (idle "
            "ones close with close_notify at once): drainTimeout= on each reneg: "
            "listener that does not set it (default 10).",
        ],
        [
            "workers",
            None,
            1,
            "Processes that accept on the listening sockets (one core each): a parent "
            "listens, forwards SIGHUP and SIGTERM, shares ticket keys, and replaces a "
            "worker that dies.",
            int,
        ],
        [
            "client-cert-listen",
            None,
            None,
            "A certificate listener (reneg: endpoint) for the --client-cert-path "
            "prefixes: its handshake asks for the client certificate, and TLS 1.3 "
            "clients that cannot be asked mid-connection (every browser) are "
            "redirected to it.",
        ],
        [
            "client-cert-url",
            None,
            None,
            "The certificate listener's base URL as visitors reach it (default: "
            "https:// with the host of the request and the listener's port).",
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []
        self["clientCertPaths"] = []
        #: The arguments as given, for C{--workers} to start workers with.
        self.argv: list[str] = []

    def parseOptions(self, options: Sequence[str] | None = None) -> None:
        self.argv = list(sys.argv[1:] if options is None else options)
        super().parseOptions(options)

    def opt_listen(self, endpoint: str) -> None:
        """
        An endpoint to listen on (repeatable); default reneg:8443.
        """
        self["listen"].append(endpoint)

    def opt_client_cert_path(self, prefix: str) -> None:
        """
        A URL path prefix that requires a client certificate, asked for
        mid-connection (repeatable).
        """
        if not prefix.startswith("/"):
            raise usage.UsageError(f"--client-cert-path {prefix!r} must start with /")
        self["clientCertPaths"].append(prefix)

    def postOptions(self) -> None:
        if self["echo"] and self["path"]:
            raise usage.UsageError("--echo and --path exclude each other")
        if not self["echo"] and not self["path"]:
            raise usage.UsageError("choose --echo or --path DIR")
        if self["clientCertPaths"] and not self["path"]:
            raise usage.UsageError("--client-cert-path needs --path")
        if self["keymatexport"] is not None and not self["echo"]:
            raise usage.UsageError("--keymatexport needs --echo")
        if self["client-cert-listen"] is not None and not self["clientCertPaths"]:
            raise usage.UsageError("--client-cert-listen needs --client-cert-path")
        if self["client-cert-url"] is not None and self["client-cert-listen"] is None:
            raise usage.UsageError("--client-cert-url needs --client-cert-listen")
        listener = self["client-cert-listen"]
        if listener is not None:
            self["client-cert-listen"] = certificateListenerDescription(listener)
        if not self["listen"]:
            self["listen"] = ["reneg:8443"]
        # Flags that stand for a keyword on every listener that lacks it.
        for keyword, value in (
            ("logTLSEvents", "yes" if self["log-tls-events"] else None),
            ("drainTimeout", self["drain-timeout"]),
        ):
            if value is None:
                continue
            self["listen"] = [withKeyword(d, keyword, value) for d in self["listen"]]
            if self["client-cert-listen"] is not None:
                self["client-cert-listen"] = withKeyword(
                    self["client-cert-listen"], keyword, value
                )
        if self["workers"] < 1:
            raise usage.UsageError("--workers must be at least 1")


def withKeyword(description: str, keyword: str, value: str) -> str:
    """
    C{keyword=value} on a C{reneg:} listener, unless its description sets it
    (the more specific wins); other endpoints have no TLS of ours.  The
    descriptions carry it so that C{--workers} children and reloads, which
    build their settings from the descriptions, keep it.
    """
    if not description.startswith("reneg:") or keyword in _keywordsOf(description):
        return description
    return f"{description}:{keyword}={value}"


def _keywordsOf(description: str) -> dict[str, object]:
    """
    The keywords of an endpoint description, as Twisted parses them
    (escaped colons included).
    """
    return _parse(description)[1]


def certificateListenerDescription(description: str) -> str:
    """
    The endpoint of a certificate listener: a C{reneg:} server endpoint
    whose handshake asks for the client certificate.  Without a
    C{clientCert=} keyword it gets C{clientCert=advisory}: a visitor whose
    certificate is refused gets a 403 page saying so, not a handshake
    error in the browser.

    @raise usage.UsageError: for another kind of endpoint, or one that does
        not ask (C{clientCert=none}).
    """
    if not description.startswith("reneg:"):
        raise usage.UsageError(f"--client-cert-listen {description!r} must be a reneg: endpoint")
    clientCert = _keywordsOf(description).get("clientCert")
    if clientCert is None:
        return description + ":clientCert=advisory"
    if clientCert == "none":
        raise usage.UsageError(
            "--client-cert-listen must ask for the certificate: drop clientCert=none "
            "(the default there is clientCert=advisory)"
        )
    return description


def webRoot(
    path: str, clientCertPaths: list[str], fallbackURL: FallbackURL | None = None
) -> Resource:
    """
    Static files under C{path}, the session page, and C{RequireClientCertificate}
    on every prefix in C{clientCertPaths}, sending clients that cannot be
    asked mid-connection to C{fallbackURL}.
    """
    root = File(path)
    root.putChild(SESSION_PAGE, SessionPage())
    for prefix in clientCertPaths:
        segments = [s.encode() for s in prefix.strip("/").split("/") if s]
        if not segments:
            return RequireClientCertificate(root, fallbackURL=fallbackURL)
        parent: Any = root
        for segment in segments[:-1]:
            parent = parent.getChild(segment, None)
        protected = parent.getChild(segments[-1], None)
        parent.putChild(segments[-1], RequireClientCertificate(protected, fallbackURL=fallbackURL))
    return root


class _ListenerService(StreamServerEndpointService):
    """
    A listening service that keeps its port, for the certificate listener's
    URL (its port may be chosen by the system), and that stops C{twistd}
    with the error when it cannot listen (a port in use...), as C{twistd
    web} does, instead of running without a listener.
    """

    port: IListeningPort | None = None
    _raiseSynchronously = True

    def privilegedStartService(self) -> None:
        super().privilegedStartService()
        assert self._waitingForPort is not None
        self._waitingForPort.addCallback(self._listening)

    def _listening(self, port: IListeningPort) -> IListeningPort:
        self.port = port
        return port


def _requestHost(request: Any) -> str:
    """
    The host name the visitor used (the Host header without its port; an
    IPv6 literal keeps its brackets).
    """
    host = (request.getHeader(b"host") or b"").decode("ascii", "replace").strip()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name or request.getHost().host


def certificateListenerURL(service: _ListenerService) -> Any:
    """
    The base URL of the certificate listener for a request: https, the
    host the visitor used, the listener's port.
    """

    def url(request: Any) -> str:
        assert service.port is not None
        port = getattr(service.port.getHost(), "port", 443)
        return f"https://{_requestHost(request)}:{port}"

    return url


def _warnIfBrowsersLockedOut(config: Options, endpoint: Any, description: str) -> None:
    """
    Protected paths on a listener that allows TLS 1.3 and no certificate
    listener: browsers will only ever get a 403 there.  Say so at start-up.
    """
    options = getattr(endpoint, "options", None)
    if options is None or options.maxVersion < TLS13:
        return
    _log.warn(
        "--client-cert-path {paths} on {listen}, which allows TLS 1.3: browsers never "
        "offer TLS 1.3 post-handshake authentication, so they cannot be asked for a "
        "certificate there and get '403 Forbidden: this connection cannot be asked for "
        "a client certificate'.  Fix: add --client-cert-listen ENDPOINT (a certificate "
        "listener browsers are redirected to), or add maxVersion=1.2 to --listen "
        "(browsers follow a TLS 1.2 renegotiation).",
        paths=" ".join(config["clientCertPaths"]),
        # Not the whole description: it may hold a key password.
        listen=":".join(description.split(":")[:2]),
    )


class HTTP11Site(Site):
    """
    A site that offers only HTTP/1.1 through ALPN: HTTP/2 forbids the
    renegotiation that asks for a client certificate (RFC 7540 9.2.1), so a
    site with client-certificate paths keeps its clients on HTTP/1.1.
    """

    def acceptableProtocols(self) -> list[bytes]:
        return [b"http/1.1"]


def makeService(config: Options) -> MultiService:
    from twisted.internet import reactor

    factory: Any
    if config["echo"]:
        factory = protocol.Factory.forProtocol(EchoProtocol)
        if config["keymatexport"] is not None:
            keyingMaterial = (config["keymatexport"].encode(), config["keymatexportlen"])

            def build() -> EchoProtocol:
                echo = EchoProtocol()
                echo.keyingMaterial = keyingMaterial
                return echo

            factory = protocol.Factory.forProtocol(build)
    service = MultiService()
    certificateListen = config["client-cert-listen"]
    if config["workers"] > 1 and not config["worker"]:
        descriptions = config["listen"] + ([certificateListen] if certificateListen else [])
        # One key for every worker, so that any of them resumes any session.
        WorkerPool(
            reactor,
            config["workers"],
            descriptions,
            workerArguments(config.argv),
            [os.urandom(32)],
        ).setServiceParent(service)
        return service
    endpointFor: Any = lambda description: serverFromString(reactor, description)  # noqa: E731
    # Before anything listens: a SIGHUP from now on reloads, never kills.
    installHandler()
    if config["worker"]:
        listeners, ticketKeys = readControlLine()
        endpointFor = inheritedEndpoints(reactor, listeners, ticketKeys).__getitem__
        ParentWatchService().setServiceParent(service)
    if not config["echo"]:
        fallback: FallbackURL | None = config["client-cert-url"]
        certificateListener = None
        if certificateListen is not None:
            endpoint = endpointFor(certificateListen)
            certificateListener = _ListenerService(endpoint, None)
            if fallback is None:
                fallback = certificateListenerURL(certificateListener)
        root = webRoot(config["path"], config["clientCertPaths"], fallback)
        factory = HTTP11Site(root) if config["clientCertPaths"] else Site(root)
        if certificateListener is not None:
            certificateListener.factory = factory
            certificateListener.setServiceParent(service)
    for description in config["listen"]:
        endpoint = endpointFor(description)
        if config["clientCertPaths"] and config["client-cert-listen"] is None:
            _warnIfBrowsersLockedOut(config, endpoint, description)
        _ListenerService(endpoint, factory).setServiceParent(service)
    return service


def runServer(argv: list[str]) -> None:
    """
    C{python -m twisted_reneg server ...}: the same service without twistd.
    """
    import sys

    from twisted.internet import reactor
    from twisted.logger import globalLogBeginner, textFileLogObserver

    config = Options()
    try:
        config.parseOptions(argv)
    except usage.UsageError as e:
        print(f"{config}\nerror: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)])
    service = makeService(config)
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run()
