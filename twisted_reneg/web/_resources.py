# -*- test-case-name: tests.test_web -*-
"""
twisted.web over our TLS: ask for a client certificate for part of a site
only, as Apache's per-location C{SSLVerifyClient} does::

    root.putChild(b"admin", RequireClientCertificate(adminResource))

A request under C{/admin} on a connection without a client certificate
makes the server ask for one mid-connection (a TLS 1.2 renegotiation, TLS
1.3 post-handshake authentication); the request is then served if the
client presented a certificate (that C{verify} accepts), and answered 403
otherwise, saying why in words a visitor can act on (the operator's
details go to the log).

No browser offers TLS 1.3 post-handshake authentication, so a browser on
TLS 1.3 cannot be asked mid-connection.  Give C{fallbackURL}, the address
of a certificate listener (a second listener of the same site whose
handshake asks for the certificate: C{clientCertificates="advisory"}), and
such a request is redirected there (307, same path and query); without one
it is a 403 that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography import x509
from twisted.internet.error import ConnectionClosed
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import IResource, Resource
from twisted.web.server import NOT_DONE_YET

from ..interfaces import IRenegotiatingTransport
from ..tls.errors import TLSAlertError
from ..tls.session import TLSSession

_log = Logger()

Verify = Callable[[x509.Certificate], bool]

#: Where a client that cannot be asked mid-connection is sent: a base URL
#: (scheme, host and port of the certificate listener), or a function of
#: the request giving one.  The request's path and query are appended.
FallbackURL = str | Callable[[Any], str]


def _tlsTransport(request: Any) -> Any:
    """
    Our TLS transport under a request: the channel's transport for
    HTTP/1.1; for HTTP/2 the stream's connection's transport.
    """
    channel = request.channel
    # twisted.web's H2Stream keeps its H2Connection as _conn.
    for holder in (channel, getattr(channel, "_conn", None)):
        transport = getattr(holder, "transport", None)
        if IRenegotiatingTransport.providedBy(transport):
            return transport
    return None


def _subject(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()


class Refusal:
    """
    Why a request does not get the protected resource: C{reason}, a short
    phrase for the 403 line; C{advice}, a sentence of what the visitor can
    do; C{detail}, the operator's side (logged, never shown).
    """

    def __init__(self, reason: str, advice: str, detail: str | None = None) -> None:
        self.reason = reason
        self.advice = advice
        self.detail = detail

    def page(self) -> bytes:
        return f"403 Forbidden: {self.reason}\n\n{self.advice}\n".encode()


NO_CERTIFICATE = Refusal(
    "no client certificate was sent",
    "This page needs a client certificate. Install the certificate you were given "
    "for this site, then load the page again and choose it when your browser asks.",
)

CANNOT_ASK = Refusal(
    "this connection cannot be asked for a client certificate "
    "(TLS 1.3 without post-handshake authentication)",
    "Your browser connected with TLS 1.3 and, like every browser, does not let a "
    "server ask for a certificate after the connection is set up. The site's "
    "administrator has to enable a certificate listener for this page.",
    "a TLS 1.3 client without post-handshake authentication asked for a protected "
    "path and no certificate listener is configured: give RequireClientCertificate a "
    "fallbackURL (twistd reneg --client-cert-listen ENDPOINT), or serve the site "
    "with maxVersion=1.2",
)

HTTP2 = Refusal(
    "client certificates need HTTP/1.1 on this server",
    "This page needs a client certificate, which cannot be asked for on an HTTP/2 "
    "connection. Try again with HTTP/1.1.",
    "the client chose HTTP/2, which forbids renegotiation (RFC 7540 9.2.1): offer "
    "only http/1.1 in ALPN on sites with protected paths",
)

NO_ANSWER = Refusal(
    "the browser did not answer the request for a client certificate",
    "Load the page again; if your browser asks for a certificate, choose the one "
    "issued to you for this site.",
)

NOT_OUR_TLS = Refusal(
    "this server cannot ask for a client certificate on this connection",
    "Please tell the site's administrator.",
    "the request did not come over a twisted_reneg TLS connection: serve protected "
    "paths through twisted_reneg's TLSFactory or reneg: endpoints",
)


def _rejected(session: TLSSession) -> Refusal:
    """
    The chain the client sent did not verify: name the certificate to the
    visitor, and tell the operator why.
    """
    leaf = session.rejectedPeerCertificate
    name = f" {_subject(leaf)!r}" if leaf is not None else ""
    return Refusal(
        f"the client certificate{name} was not accepted",
        "This site does not accept that certificate. Choose the certificate issued to "
        "you for this site, or ask the site's administrator for one.",
        f"client certificate refused: {session.peerCertificateError}",
    )


def _notAllowed(certificate: x509.Certificate) -> Refusal:
    return Refusal(
        f"the client certificate {_subject(certificate)!r} is not allowed here",
        "Your certificate is valid, but not for this page. Ask the site's "
        "administrator for access.",
        "refused by the resource's verify()",
    )


class _Policy:
    """
    What every L{RequireClientCertificate} made for one protected subtree
    shares: the settings, and whether the operator was warned already.
    """

    def __init__(self, verify: Verify | None, timeout: float, fallbackURL: FallbackURL | None):
        self.verify = verify
        self.timeout = timeout
        self.fallbackURL = fallbackURL
        self.warnedCannotAsk = False


class RequireClientCertificate(Resource):
    """
    Wraps a resource (and everything below it) so that it is served only to
    clients with a verified certificate, asking for one mid-connection, or
    sending the client to a certificate listener where that cannot work.

    Every request gets an answer: the wrapped resource's; C{307} to
    C{fallbackURL}; C{403} when there is no acceptable certificate (a
    short reason and what to do about it: none sent, not accepted (named),
    not allowed by C{verify}, the connection cannot be asked, the client
    did not answer), the operator's details logged; or C{500} if the
    wrapped resource or C{verify} raised (logged here).

    A connection whose handshake asked for a certificate already (a
    certificate listener, C{clientCertificates} not C{"none"}) is judged on
    that answer: it is never asked again nor redirected.

    @param wrapped: the protected resource.
    @param verify: optional extra check on the client's leaf certificate
        (the chain is already verified against the server's trust roots).
    @param timeout: seconds to wait for the client's answer.
    @param fallbackURL: the certificate listener for clients that cannot be
        asked mid-connection (TLS 1.3 without post-handshake
        authentication: every browser): a base URL such as
        C{"https://example.com:8444"}, or a function of the request
        returning one; the request's path and query are appended.
        C{None}: such clients get a 403 saying why.
    """

    def __init__(
        self,
        wrapped: IResource,
        verify: Verify | None = None,
        timeout: float = 30,
        fallbackURL: FallbackURL | None = None,
        *,
        _policy: _Policy | None = None,
    ) -> None:
        super().__init__()
        self._wrapped = wrapped
        self._policy = _policy or _Policy(verify, timeout, fallbackURL)

    @property
    def isLeaf(self) -> bool:  # type: ignore[override]
        return bool(getattr(self._wrapped, "isLeaf", False))

    def getChildWithDefault(self, path: bytes, request: Any) -> Resource:
        child = self._wrapped.getChildWithDefault(path, request)
        return RequireClientCertificate(child, _policy=self._policy)

    def _refusal(self, session: TLSSession | None) -> Refusal | None:
        """
        Why C{session} does not get the resource, or C{None} if it does.

        @raise Exception: whatever C{verify} raises.
        """
        if session is not None and session.peerCertificateError is not None:
            return _rejected(session)
        if session is None or session.peerCertificate is None:
            return NO_CERTIFICATE
        verify = self._policy.verify
        if verify is not None and not verify(session.peerCertificate):
            return _notAllowed(session.peerCertificate)
        return None

    def render(self, request: Any) -> Any:
        transport = _tlsTransport(request)
        if transport is None:
            return self._forbid(request, NOT_OUR_TLS)
        session = transport.session
        try:
            refusal = self._refusal(session)
            if refusal is None:
                return self._wrapped.render(request)
        except Exception:
            return self._internalError(request, Failure())
        if session is not None and session.clientCertificateRequested:
            # The handshake asked (a certificate listener): that was the answer.
            return self._forbid(request, refusal)
        if transport.negotiatedProtocol == b"h2":
            # RFC 7540 9.2.1: no renegotiation once HTTP/2 has started.
            return self._forbid(request, HTTP2)
        if session is not None and session.version == "TLSv1.3" and not session.postHandshakeAuth:
            return self._cannotAsk(request)
        finished: list[bool] = []
        request.notifyFinish().addBoth(lambda _: finished.append(True))
        d = transport.requestClientCertificate(timeout=self._policy.timeout)
        d.addCallbacks(
            self._decided,
            self._failed,
            callbackArgs=(request, finished),
            errbackArgs=(request, finished),
        )
        # Whatever raised above (verify, the wrapped resource) still gets
        # the client an answer instead of a request left hanging.
        d.addErrback(self._crashed, request, finished)
        return NOT_DONE_YET

    def _cannotAsk(self, request: Any) -> bytes:
        """
        TLS 1.3 without post-handshake authentication: send the client to
        the certificate listener, or explain (and warn the operator once).
        """
        fallback = self._policy.fallbackURL
        if fallback is None:
            if not self._policy.warnedCannotAsk:
                self._policy.warnedCannotAsk = True
                _log.warn("Client certificates: {detail}", detail=CANNOT_ASK.detail)
            return self._forbid(request, CANNOT_ASK, logged=True)
        base = fallback if isinstance(fallback, str) else fallback(request)
        target = base.rstrip("/") + request.uri.decode("ascii", "replace")
        request.setResponseCode(307)
        request.setHeader(b"location", target.encode("ascii", "replace"))
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return (
            f"307 Temporary Redirect: the client certificate is asked for at {target}\n".encode()
        )

    def _decided(self, session: TLSSession, request: Any, finished: list[bool]) -> None:
        if finished:
            return
        refusal = self._refusal(session)
        if refusal is not None:
            body = self._forbid(request, refusal)
        else:
            body = self._wrapped.render(request)
            if body is NOT_DONE_YET:
                return  # the wrapped resource finishes the request itself
        _answer(request, body)

    def _failed(self, reason: Failure, request: Any, finished: list[bool]) -> None:
        if finished or reason.check(ConnectionClosed, TLSAlertError):
            # The connection is gone (browsers drop one and retry the first
            # time they are asked): nobody to answer, nothing worth a line.
            return
        refusal = Refusal(
            NO_ANSWER.reason,
            NO_ANSWER.advice,
            f"client certificate request failed: {reason.getErrorMessage()}",
        )
        _answer(request, self._forbid(request, refusal))

    def _crashed(self, reason: Failure, request: Any, finished: list[bool]) -> None:
        if finished:
            _log.failure(
                "rendering {uri!r} failed after the response ended", reason, uri=request.uri
            )
            return
        body = self._internalError(request, reason)
        if body is not NOT_DONE_YET:
            _answer(request, body)

    @staticmethod
    def _internalError(request: Any, reason: Failure) -> Any:
        """
        Log C{reason} and answer 500, or, if the response has started
        already, drop the connection: a truncated response must not look
        complete.
        """
        _log.failure("rendering {uri!r} failed", reason, uri=request.uri)
        if getattr(request, "startedWriting", False):
            request.loseConnection()
            return NOT_DONE_YET
        request.setResponseCode(500)
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return b"500 Internal Server Error\n"

    @staticmethod
    def _forbid(request: Any, refusal: Refusal, logged: bool = False) -> bytes:
        """
        The 403 page: the reason and advice for the visitor; the operator's
        detail, if any, to the log.
        """
        if refusal.detail is not None and not logged:
            _log.info(
                "403 for {uri}: {reason} ({detail})",
                uri=request.uri.decode("ascii", "replace"),
                reason=refusal.reason,
                detail=refusal.detail,
            )
        request.setResponseCode(403)
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return refusal.page()


def _answer(request: Any, body: bytes) -> None:
    """
    Send a whole body rendered after the fact, with its length, as
    twisted.web does for one returned from C{render}: without it an HTTP/1.1
    response goes out chunked, which simple clients of a keep-alive
    connection trip over.
    """
    started = getattr(request, "startedWriting", False)
    if not started and not request.responseHeaders.hasHeader(b"content-length"):
        request.setHeader(b"content-length", b"%d" % len(body))
    request.write(body)
    request.finish()


class SessionPage(Resource):
    """
    A plain-text page describing the TLS session of the request's connection.
    """

    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        transport = _tlsTransport(request)
        session = transport.session if transport is not None else None
        if session is None:
            return b"no TLS session\n"
        peer = session.peerCertificate
        # RFC 7627 is TLS 1.2's: TLS 1.3 binds its keys to the handshake itself.
        ems = session.extendedMasterSecret if session.version == "TLSv1.2" else "n/a (TLS 1.3)"
        lines = [
            f"version: {session.version}",
            f"cipher suite: {session.cipherSuite}",
            f"group: {session.group}",
            f"server name: {session.serverName}",
            f"ALPN protocol: {session.alpnProtocol!r}",
            f"peer certificate: {peer.subject.rfc4514_string() if peer else None}",
            f"extended master secret: {ems}",
            f"renegotiations: {session.renegotiations}",
            f"key updates: {session.keyUpdates}",
        ]
        return ("\n".join(lines) + "\n").encode()
