# -*- test-case-name: tests.tls.test_engine13 -*-
"""
L{Established13}: a TLS 1.3 connection after its handshake.

TLS 1.3 has no renegotiation; after the handshake come only KeyUpdate
(L{keyupdate13}: ours on request and at the suite's record limit, the
peer's answered), NewSessionTicket (L{tickets13}: a server issues them, a
client turns them into sessions to resume) and post-handshake client
authentication (L{postauth13}).  This object holds the state they share
(the traffic secrets, the resumption and exporter secrets, the forked
transcript) and dispatches the peer's post-handshake messages by type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar, NoReturn

from .errors import (
    AlertDescription,
    LocalUsageError,
    PeerError,
    PostHandshakeAuthNotOffered,
    UnexpectedMessage,
)
from .establishedio import EstablishedIO
from .events import (
    HandshakeCompleted,
    KeysUpdated,
    PostHandshakeAuthCompleted,
    SessionTicketReceived,
)
from .exporters import KeyingMaterial
from .keyupdate13 import KeyUpdates13
from .messages import HandshakeType, KeyUpdate, messageName
from .postauth13 import ServerCertificateRequest, answerCertificateRequest
from .records import MAX_PLAINTEXT, ContentType
from .session import TLSSession, sessionOf
from .state13 import HandshakeResult13
from .tickets import TicketKeys
from .tickets13 import newSessionTickets, receivedTicket

__all__ = ["TICKETS_AFTER_RESUMPTION", "TICKETS_PER_HANDSHAKE", "Established13", "session13"]

A = AlertDescription
H = HandshakeType

#: NewSessionTickets a server sends after each TLS 1.3 handshake: one per
#: connection a client may open in parallel, as OpenSSL does.
TICKETS_PER_HANDSHAKE = 2
#: After a resumption: one, for the ticket the client just used, so that its
#: stock stays what the full handshake gave it (RFC 8446 4.6.1 leaves the
#: number to the server; OpenSSL sends one here too).
TICKETS_AFTER_RESUMPTION = 1


class Established13:
    """
    TLS 1.3 after the handshake, for one connection.

    @ivar keyingMaterial: the exporters' secret of the handshake (a
        KeyUpdate does not change it).
    """

    def __init__(self, io: EstablishedIO, result: HandshakeResult13) -> None:
        self._io = io
        secrets = result.applicationSecrets
        self._keys = KeyUpdates13(result.suite, secrets.client, secrets.server, io.isClient)
        #: With post-handshake auth offered: the main transcript to fork
        #: each exchange from.
        self._transcript = result.postHandshakeTranscript
        #: Server: the post-handshake authentication exchange running.
        self._postAuth: ServerCertificateRequest | None = None
        self._resumptionMaster = result.resumptionMasterSecret
        self._ticketsSent = 0
        self.keyingMaterial = KeyingMaterial(
            "TLSv1.3", result.suite.hashName, result.exporterMasterSecret
        )

    def handshakeFinished(self, result: HandshakeResult13) -> None:
        """
        The handshake completed: set the session, report it and (server)
        issue tickets if the client wants them.
        """
        io = self._io
        session = io.session = session13(result)
        io.emit(HandshakeCompleted(session))
        keys = io.config.ticketKeys
        if result.ticketsWanted and keys is not None:
            self._sendTickets(keys)

    @property
    def clientCertificateRequestInProgress(self) -> bool:
        """
        Server: whether a post-handshake CertificateRequest is unanswered.
        """
        return self._postAuth is not None

    def expects(self, msgType: int) -> bool:
        """
        Whether a post-handshake message of this type may come now (see
        L{receive}), without the side effects.
        """
        postAuth = self._postAuth
        if msgType == H.key_update:
            return postAuth is None or not postAuth.answerStarted
        if self._io.isClient:
            return msgType == H.new_session_ticket or (
                msgType == H.certificate_request and self._transcript is not None
            )
        return postAuth is not None and postAuth.expects(msgType)

    def receive(self, msgType: int, body: bytes, raw: bytes) -> None:
        """
        A post-handshake message from the peer.
        """
        self._RECEIVERS.get(msgType, Established13._unexpected)(self, msgType, body, raw)

    # --- application data ---------------------------------------------------

    def dataReceived(self) -> None:
        """
        Application data arrived: the KeyUpdate flood budget starts over.
        """
        self._keys.dataReceived()

    def writeApplicationData(self, data: bytes | memoryview) -> None:
        """
        Seal application data, updating our keys whenever the suite's
        record limit for one traffic secret is reached.
        """
        io = self._io
        limit = self._keys.suite.recordLimit
        if data and io.recordsWritten() + -(-len(data) // MAX_PLAINTEXT) < limit:
            # Short of the limit (all but one call in millions): every
            # record in one call.
            io.writeRecords(ContentType.application_data, data)
            return
        view = memoryview(data)
        while view:
            room = limit - io.recordsWritten()
            if room <= 0:
                self.sendKeyUpdate(requested=False)
                continue
            chunk = view[: room * MAX_PLAINTEXT]
            io.writeRecords(ContentType.application_data, chunk)
            view = view[len(chunk) :]

    # --- KeyUpdate ----------------------------------------------------------

    def requestKeyUpdate(self) -> None:
        """
        Send KeyUpdate(update_requested): our sending keys are new at once.
        """
        self._keys.requested()
        self.sendKeyUpdate(requested=True)

    def sendKeyUpdate(self, requested: bool) -> None:
        """
        Send a KeyUpdate in a record of its own, then move our sending keys
        to the next generation.
        """
        io = self._io
        io.flushHandshake()
        io.writeRecords(ContentType.handshake, KeyUpdate(int(requested)).toBytes())
        io.changeWriteProtection(self._keys.nextProtection(read=False))

    def _receiveKeyUpdate(self, msgType: int, body: bytes, raw: bytes) -> None:
        io, keys = self._io, self._keys
        session = io.session
        assert session is not None
        if self._postAuth is not None and self._postAuth.answerStarted:
            # The client's Certificate ... Finished come in a row.
            raise UnexpectedMessage(("certificate_verify", "finished"), "key_update")
        requestedByPeer = keys.receive(body)
        if not io.atMessageBoundary():
            raise PeerError(A.unexpected_message, "KeyUpdate not at a record boundary")
        io.changeReadProtection(keys.nextProtection(read=True))
        if requestedByPeer and not io.closeSent:
            # RFC 8446 4.6.3: answer before our next record, even when a
            # request of ours crossed this one (each side then moves on two
            # generations); the peer answers ours separately.  After our
            # close_notify there is no next record (RFC 8446 6.1).
            self.sendKeyUpdate(requested=False)
        io.session = replace(session, keyUpdates=keys.count)
        io.emit(KeysUpdated(requestedByPeer=requestedByPeer))

    # --- tickets ------------------------------------------------------------

    def _sendTickets(self, keys: TicketKeys) -> None:
        """
        RFC 8446 4.6.1: tickets for resuming this session.
        """
        io = self._io
        session = io.session
        assert session is not None
        count = TICKETS_AFTER_RESUMPTION if session.resumed else TICKETS_PER_HANDSHAKE
        for ticket in newSessionTickets(
            keys,
            self._keys.suite,
            self._resumptionMaster,
            session,
            io.now().timestamp(),
            self._ticketsSent,
            count,
        ):
            io.sendHandshake(ticket)
        self._ticketsSent += count
        io.flushHandshake()

    def _receiveTicket(self, msgType: int, body: bytes, raw: bytes) -> None:
        io = self._io
        if not io.isClient:
            self._unexpected(msgType, body, raw)
        session = io.session
        assert session is not None
        ticket = receivedTicket(
            body,
            self._keys.suite,
            self._resumptionMaster,
            session,
            io.config.serverName,
            io.now().timestamp(),
        )
        if ticket is not None:
            io.emit(SessionTicketReceived(ticket))

    # --- post-handshake authentication --------------------------------------

    def requestClientCertificate(self) -> None:
        """
        Server: send a post-handshake CertificateRequest; completion is
        L{PostHandshakeAuthCompleted}.

        @raise PostHandshakeAuthNotOffered: the client did not offer it.
        @raise LocalUsageError: while another request is unanswered.
        """
        transcript = self._transcript
        if transcript is None:
            raise PostHandshakeAuthNotOffered(
                "the client did not offer TLS 1.3 post-handshake authentication, so it cannot "
                "be asked for a certificate on this connection"
            )
        if self._postAuth is not None:
            raise LocalUsageError("a client certificate request is already running")
        io = self._io
        self._postAuth = ServerCertificateRequest(
            io.config, io, self._keys.suite.hashName, transcript.fork()
        )
        self._postAuth.send()
        io.flushHandshake()

    def _receiveCertificateRequest(self, msgType: int, body: bytes, raw: bytes) -> None:
        """
        Client: a post-handshake CertificateRequest, answered at once.
        """
        io = self._io
        transcript = self._transcript
        if not io.isClient or transcript is None:
            self._unexpected(msgType, body, raw)
        session = io.session
        assert transcript is not None and session is not None
        if io.closeSent:
            return  # nothing may follow our close_notify (RFC 8446 6.1)
        answerCertificateRequest(
            io.config,
            self._keys.suite.hashName,
            transcript.fork(),
            body,
            raw,
            self._keys.clientSecret,
            io.sendHandshake,
        )
        io.emit(PostHandshakeAuthCompleted(session))

    def _receiveClientAuthMessage(self, msgType: int, body: bytes, raw: bytes) -> None:
        """
        Server: the client's Certificate, CertificateVerify or Finished in
        answer to our post-handshake CertificateRequest.
        """
        exchange = self._postAuth
        if exchange is None:
            self._unexpected(msgType, body, raw)
        io = self._io
        session = io.session
        assert exchange is not None and session is not None
        exchange.receive(msgType, body, raw, self._keys.clientSecret)
        if exchange.complete:
            self._postAuth = None
            session = io.session = replace(
                session,
                peerCertificates=exchange.chain,
                peerCertificateError=exchange.rejection,
                rejectedPeerCertificate=exchange.rejectedCertificate,
            )
            io.emit(PostHandshakeAuthCompleted(session))

    def _unexpected(self, msgType: int, body: bytes, raw: bytes) -> NoReturn:
        raise UnexpectedMessage(("key_update",), messageName(msgType))

    #: Post-handshake message type -> handler; each refuses the message
    #: when our role or state does not expect it.
    _RECEIVERS: ClassVar[dict[int, Callable[[Established13, int, bytes, bytes], None]]] = {
        H.new_session_ticket: _receiveTicket,
        H.key_update: _receiveKeyUpdate,
        H.certificate_request: _receiveCertificateRequest,
        H.certificate: _receiveClientAuthMessage,
        H.certificate_verify: _receiveClientAuthMessage,
        H.finished: _receiveClientAuthMessage,
    }


def session13(result: HandshakeResult13) -> TLSSession:
    """
    The session summary of a completed TLS 1.3 handshake.
    """
    return sessionOf(
        result,
        "TLSv1.3",
        result.suite.name,
        postHandshakeAuth=result.postHandshakeTranscript is not None,
    )
