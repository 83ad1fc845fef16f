"""
Two sans-IO engines wired back to back, for tests that need no sockets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from twisted_reneg.testing.pki import PKI, Identity, cachedPKI
from twisted_reneg.tls.config import TLS12, TLSConfig
from twisted_reneg.tls.connection import TLSConnection
from twisted_reneg.tls.credentials import Credential, PeerVerifier
from twisted_reneg.tls.events import (
    ApplicationData,
    ConnectionFailed,
    Event,
    HandshakeCompleted,
    RenegotiationAnswerNeeded,
)


def credentialOf(identity: Identity) -> Credential:
    return Credential((identity.certificate,), identity.privateKey)


def serverConfig(
    identity: Identity | None = None, pki: PKI | None = None, **kw: object
) -> TLSConfig:
    pki = pki or cachedPKI()
    identity = identity or pki.ecdsaServer
    # As ServerOptions does: a verifier always, for certificates requested
    # later by requestClientCertificate().
    kw.setdefault("verifier", PeerVerifier([pki.caCertificate]))
    # Engine tests are TLS 1.2 unless they say otherwise (TLS 1.3 ones do).
    kw.setdefault("maxVersion", TLS12)
    return TLSConfig(isClient=False, credential=credentialOf(identity), **kw)  # type: ignore[arg-type]


def clientConfig(
    pki: PKI | None = None,
    trustRoots: Sequence[x509.Certificate] | None = None,
    serverName: str = "localhost",
    **kw: object,
) -> TLSConfig:
    pki = pki or cachedPKI()
    roots = list(trustRoots) if trustRoots is not None else [pki.caCertificate]
    kw.setdefault("maxVersion", TLS12)
    return TLSConfig(
        isClient=True,
        serverName=serverName,
        verifier=PeerVerifier(roots),
        **kw,  # type: ignore[arg-type]
    )


@dataclass
class Side:
    """
    One engine of a pair and the events it returned.

    @ivar answers: how this side's driver answers the peer's renegotiation
        requests (L{RenegotiationAnswerNeeded}) in L{receive}; C{None} if
        the engine does not ask.
    """

    connection: TLSConnection
    events: list[Event] = field(default_factory=list)
    answers: Callable[[], bool] | None = None

    def receive(self, data: bytes) -> None:
        """
        Feed the engine C{data}, answering each renegotiation request.
        """
        events = self.connection.receiveData(data)
        while self.answers is not None and events[-1:] == [RenegotiationAnswerNeeded()]:
            self.events.extend(events)
            events = self.connection.answerRenegotiation(self.answers())
        self.events.extend(events)

    def received(self) -> bytes:
        return b"".join(e.data for e in self.events if isinstance(e, ApplicationData))

    def failure(self) -> ConnectionFailed | None:
        return next((e for e in self.events if isinstance(e, ConnectionFailed)), None)

    def completed(self) -> list[HandshakeCompleted]:
        return [e for e in self.events if isinstance(e, HandshakeCompleted)]


class EnginePair:
    """
    A client and a server engine; L{pump} moves bytes until both are quiet.
    """

    def __init__(
        self,
        client: TLSConfig,
        server: TLSConfig,
        clientAnswers: Callable[[], bool] | None = None,
        serverAnswers: Callable[[], bool] | None = None,
    ) -> None:
        """
        @param clientAnswers: if given, the client engine asks before a
            renegotiation the server starts, and this answers (see
            L{Side.answers}); C{serverAnswers} likewise.
        """
        self.client = Side(
            TLSConnection(client, askBeforePeerRenegotiation=clientAnswers is not None),
            answers=clientAnswers,
        )
        self.server = Side(
            TLSConnection(server, askBeforePeerRenegotiation=serverAnswers is not None),
            answers=serverAnswers,
        )
        #: every flight that crossed, as (sender, bytes): C{"client"} or C{"server"}.
        self.wire: list[tuple[str, bytes]] = []
        self.client.connection.startHandshake()
        self.server.connection.startHandshake()

    def pump(self, maxRounds: int = 50) -> None:
        for _ in range(maxRounds):
            moved = False
            for name, sender, receiver in (
                ("client", self.client, self.server),
                ("server", self.server, self.client),
            ):
                data = sender.connection.dataToSend()
                if data:
                    moved = True
                    self.wire.append((name, data))
                    receiver.receive(data)
            if not moved:
                return
        raise AssertionError("engines did not go quiet")

    def sent(self, name: str) -> bytes:
        """
        All bytes C{name} (C{"client"} or C{"server"}) has sent so far.
        """
        return b"".join(data for sender, data in self.wire if sender == name)

    def handshake(self) -> EnginePair:
        self.pump()
        return self


def spoilSignatures(case: Any) -> None:
    """
    Make every signature our credentials produce wrong by one bit, for the
    rest of the test C{case}: a peer that does not hold its key.
    """
    honest = Credential.sign

    def spoilt(credential: Credential, scheme: Any, data: bytes) -> bytes:
        signature = honest(credential, scheme, data)
        return signature[:-1] + bytes([signature[-1] ^ 1])

    case.patch(Credential, "sign", spoilt)
