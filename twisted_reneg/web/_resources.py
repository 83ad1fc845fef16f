# -*- test-case-name: tests.test_web -*-
"""
twisted.web over our TLS: ask for a client certificate in the middle of a
connection for part of a site, as Apache's per-location C{SSLVerifyClient}
does::

    root.putChild(b"admin", RequireClientCertificate(adminResource))

A request under C{/admin} on a connection without a client certificate
makes the server renegotiate with a CertificateRequest; the request is then
served if the client presented a certificate (that C{verify} accepts), and
answered 403 otherwise, saying why (a certificate that failed verification
is named with the reason: the connection stays up).
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


class RequireClientCertificate(Resource):
    """
    Wraps a resource (and everything below it) so that it is served only to
    clients with a verified certificate, asking for one mid-connection.

    Every request gets an answer: the wrapped resource's, C{403} when there
    is no acceptable certificate (naming why: none sent, rejected by the
    chain check, refused by C{verify}, or the request for it failed), or
    C{500} if the wrapped resource or C{verify} raised (logged here).

    @param wrapped: the protected resource.
    @param verify: optional extra check on the client's leaf certificate
        (the chain is already verified against the server's trust roots).
    @param timeout: seconds to wait for the client's renegotiation.
    """

    def __init__(
        self, wrapped: IResource, verify: Verify | None = None, timeout: float = 30
    ) -> None:
        super().__init__()
        self._wrapped = wrapped
        self._verify = verify
        self._timeout = timeout

    @property
    def isLeaf(self) -> bool:  # type: ignore[override]
        return bool(getattr(self._wrapped, "isLeaf", False))

    def getChildWithDefault(self, path: bytes, request: Any) -> Resource:
        child = self._wrapped.getChildWithDefault(path, request)
        return RequireClientCertificate(child, self._verify, self._timeout)

    def _refusal(self, session: TLSSession | None) -> str | None:
        """
        Why C{session} does not get the resource, or C{None} if it does.

        @raise Exception: whatever C{verify} raises.
        """
        if session is not None and session.peerCertificateError is not None:
            return f"client certificate rejected: {session.peerCertificateError}"
        if session is None or session.peerCertificate is None:
            return "a client certificate is required"
        if self._verify is not None and not self._verify(session.peerCertificate):
            return "client certificate not accepted"
        return None

    def render(self, request: Any) -> Any:
        transport = _tlsTransport(request)
        if transport is None:
            return self._forbid(request, "not a twisted_reneg TLS connection")
        try:
            if self._refusal(transport.session) is None:
                return self._wrapped.render(request)
        except Exception:
            return self._internalError(request, Failure())
        if transport.negotiatedProtocol == b"h2":
            # RFC 7540 9.2.1: no renegotiation once HTTP/2 has started.
            return self._forbid(request, "client certificates need HTTP/1.1 on this server")
        finished: list[bool] = []
        request.notifyFinish().addBoth(lambda _: finished.append(True))
        d = transport.requestClientCertificate(timeout=self._timeout)
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
        _log.info("client certificate request failed: {reason}", reason=reason.getErrorMessage())
        if finished or reason.check(ConnectionClosed, TLSAlertError):
            return  # the connection is gone: nobody to answer
        _answer(request, self._forbid(request, "the client certificate request failed"))

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
    def _forbid(request: Any, why: str) -> bytes:
        request.setResponseCode(403)
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return f"403 Forbidden: {why}\n".encode()


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
