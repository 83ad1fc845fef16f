# -*- test-case-name: tests.test_web -*-
"""
twisted.web over our TLS: ask for a client certificate in the middle of a
connection for part of a site, as Apache's per-location C{SSLVerifyClient}
does.

    root.putChild(b"admin", RequireClientCertificate(adminResource))

A request under C{/admin} on a connection without a client certificate
makes the server renegotiate with a CertificateRequest; the request is then
served if the client presented a certificate (that C{verify} accepts), and
answered 403 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography import x509
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import IResource, Resource
from twisted.web.server import NOT_DONE_YET

from .interfaces import IRenegotiatingTransport
from .tls.session import TLSSession

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

    def _accepts(self, session: TLSSession | None) -> bool:
        if session is None or session.peerCertificate is None:
            return False
        return self._verify is None or bool(self._verify(session.peerCertificate))

    def render(self, request: Any) -> Any:
        transport = _tlsTransport(request)
        if transport is None:
            return self._forbid(request, "not a twisted_reneg TLS connection")
        if self._accepts(transport.session):
            return self._wrapped.render(request)
        if transport.negotiatedProtocol == b"h2":
            # RFC 7540 9.2.1: no renegotiation once HTTP/2 has started.
            return self._forbid(request, "client certificates need HTTP/1.1 on this server")
        finished: list[bool] = []
        request.notifyFinish().addBoth(lambda _: finished.append(True))
        d = transport.requestClientCertificate(timeout=self._timeout)
        d.addCallbacks(
            lambda session: self._decided(request, session, finished),
            lambda reason: self._failed(request, reason, finished),
        )
        return NOT_DONE_YET

    def _decided(self, request: Any, session: TLSSession, finished: list[bool]) -> None:
        if finished:
            return
        if not self._accepts(session):
            body = self._forbid(request, "a client certificate is required")
        else:
            body = self._wrapped.render(request)
            if body is NOT_DONE_YET:
                return
        request.write(body)
        request.finish()

    def _failed(self, request: Any, reason: Failure, finished: list[bool]) -> None:
        _log.info("client certificate request failed: {reason}", reason=reason.getErrorMessage())
        if finished:
            return
        request.write(self._forbid(request, "the client certificate request failed"))
        request.finish()

    @staticmethod
    def _forbid(request: Any, why: str) -> bytes:
        request.setResponseCode(403)
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return f"403 Forbidden: {why}\n".encode()


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
        lines = [
            f"version: {session.version}",
            f"cipher suite: {session.cipherSuite}",
            f"group: {session.group}",
            f"server name: {session.serverName}",
            f"ALPN protocol: {session.alpnProtocol!r}",
            f"peer certificate: {peer.subject.rfc4514_string() if peer else None}",
            f"extended master secret: {session.extendedMasterSecret}",
            f"renegotiations: {session.renegotiations}",
            f"key updates: {session.keyUpdates}",
        ]
        return ("\n".join(lines) + "\n").encode()
