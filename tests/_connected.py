"""
The test suite's connected pair on iosim with a fake clock: options for
the test PKI, protocols that record what the transport tells them, and
L{Connected}, a L{TLSPair} of the two.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.interfaces import IHandshakeListener
from twisted.internet.protocol import Protocol, connectionDone
from twisted.python.failure import Failure
from zope.interface import implementer

from twisted_reneg import ClientOptions, ServerOptions, TLSSession
from twisted_reneg.interfaces import IRenegotiationListener
from twisted_reneg.testing.memory import TLSPair
from twisted_reneg.testing.pki import cachedPKI


@implementer(IHandshakeListener)
class Recorder(Protocol):
    """
    Remembers what the transport told it, in order.
    """

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.data = b""
        self.lostReason: Failure | None = None

    def connectionMade(self) -> None:
        self.calls.append("connectionMade")

    def handshakeCompleted(self) -> None:
        self.calls.append("handshakeCompleted")

    def dataReceived(self, data: bytes) -> None:
        if "dataReceived" not in self.calls:
            self.calls.append("dataReceived")
        self.data += data

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.calls.append("connectionLost")
        self.lostReason = reason


@implementer(IRenegotiationListener)
class Listener(Recorder):
    """
    Records the renegotiation callbacks too; C{allow} answers requests.
    """

    allow: Any = True

    def renegotiationRequested(self) -> Any:
        self.calls.append("renegotiationRequested")
        if isinstance(self.allow, list):
            return self.allow.pop(0)  # one answer per request, in order
        return self.allow

    def renegotiationCompleted(self, session: TLSSession) -> None:
        self.calls.append(f"renegotiationCompleted {session.renegotiations}")

    def renegotiationFailed(self, reason: Failure) -> None:
        self.calls.append(f"renegotiationFailed {reason.type.__name__}")

    def keysUpdated(self, requestedByPeer: bool) -> None:
        self.calls.append(f"keysUpdated {'requested' if requestedByPeer else 'unrequested'}")


def serverOptions(**kw: Any) -> ServerOptions:
    """
    @return: server options with the test PKI's ECDSA identity, and C{kw}.
    """
    pki = cachedPKI()
    return ServerOptions.fromPEM(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath, **kw)


def clientOptions(**kw: Any) -> ClientOptions:
    """
    @return: client options for C{localhost} that trust the test CA, and
        C{kw}.
    """
    return ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate], **kw)


class Connected(TLSPair):
    """
    The test suite's pair: L{TLSPair} with recording protocols by default,
    under the names the tests use.
    """

    def __init__(
        self,
        server: ServerOptions | None = None,
        client: ClientOptions | None = None,
        serverProtocol: Protocol | None = None,
        clientProtocol: Protocol | None = None,
    ) -> None:
        super().__init__(
            server or serverOptions(),
            client or clientOptions(),
            serverProtocol or Recorder(),
            clientProtocol or Recorder(),
        )
        self.serverApp = self.serverProtocol
        self.clientApp = self.clientProtocol
