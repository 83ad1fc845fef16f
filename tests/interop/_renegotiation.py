"""
Our two ends in the renegotiation interop tests: a server that
renegotiates or asks for a client certificate when the peer says so, and
a client that reports its first renegotiation.
"""

from __future__ import annotations

from twisted.internet import defer
from twisted.python.failure import Failure
from zope.interface import implementer

from twisted_reneg import TLSSession
from twisted_reneg.interfaces import IRenegotiationListener

from .peers import Collector, DigestEcho


class CommandServer(DigestEcho):
    """
    Our server under remote control: C{go-reneg} renegotiates, C{go-cert}
    asks for a client certificate; the outcome is written back as a line.
    Anything else is echoed.
    """

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        for line in data.splitlines():
            if line == b"go-reneg":
                self.transport.rehandshake(timeout=20).addCallbacks(
                    self.reportSession, self.reportFailure
                )
            elif line == b"go-cert":
                self.transport.requestClientCertificate(timeout=20).addCallbacks(
                    self.reportCertificate, self.reportFailure
                )
            else:
                self.transport.write(line + b"\n")

    def reportSession(self, session: TLSSession) -> None:
        self.transport.write(b"renegotiated %d\n" % session.renegotiations)

    def reportCertificate(self, session: TLSSession) -> None:
        peer = session.peerCertificate
        name = peer.subject.rfc4514_string().encode() if peer is not None else b"none"
        self.transport.write(b"client-cert " + name + b"\n")

    def reportFailure(self, reason: Failure) -> None:
        self.transport.write(b"reneg-failed " + reason.type.__name__.encode() + b"\n")


@implementer(IRenegotiationListener)
class Watcher(Collector):
    """
    Our client: C{renegotiated} fires when the first renegotiation completes.
    """

    def __init__(self, toSend: bytes = b"", expected: int | None = None) -> None:
        super().__init__(toSend, expected)
        self.renegotiated: defer.Deferred[TLSSession] = defer.Deferred()

    def renegotiationRequested(self) -> bool:
        return True

    def renegotiationCompleted(self, session: TLSSession) -> None:
        if not self.renegotiated.called:
            self.renegotiated.callback(session)

    def renegotiationFailed(self, reason: Failure) -> None:
        if not self.renegotiated.called:
            self.renegotiated.errback(reason)

    def keysUpdated(self, requestedByPeer: bool) -> None:
        pass
