# -*- test-case-name: tests.test_engine -*-
"""
L{TLSConnection}: the one object the Twisted layer drives.

Bytes go in through L{TLSConnection.receiveData}, which returns events; bytes
to put on the wire come out of L{TLSConnection.dataToSend}.  No sockets, no
clock (the time used for certificate checks is injected), no logging.

Records are dispatched by content type (L{TLSConnection._RECORDS}); between
handshakes, handshake messages go to TLS 1.2 renegotiation
(L{renegotiation12}) or, on TLS 1.3, by message type to key updates
(L{keyupdate13}), tickets (L{tickets13}) and post-handshake authentication
(L{postauth13}) (L{TLSConnection._POST_HANDSHAKE13}).

Peer faults are caught in exactly one place, L{TLSConnection.receiveData}:
the fatal alert is queued, a L{ConnectionFailed} event is returned and the
connection stays failed for good.  Caller misuse raises L{LocalUsageError}.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import ClassVar, NoReturn

from cryptography.hazmat.primitives.serialization import Encoding

from .config import TLS13, ClientAuth, TLSConfig
from .errors import (
    AlertDescription,
    AlertLevel,
    ChannelBindingUnavailable,
    LocalUsageError,
    PeerError,
    PostHandshakeAuthNotOffered,
    TLSAlertError,
    UnexpectedMessage,
)
from .events import (
    AlertReceived,
    ApplicationData,
    CloseNotifyReceived,
    ConnectionFailed,
    Event,
    HandshakeCompleted,
    KeysUpdated,
    PostHandshakeAuthCompleted,
    RenegotiationRefused,
    RenegotiationRequested,
    SessionTicketReceived,
)
from .exporters import CHANNEL_BINDING_TYPES, KeyingMaterial, serverEndPoint
from .handshake12 import Handshake12, HandshakeResult, PreviousHandshake
from .handshake13 import Handshake13, HandshakeResult13, offersTLS13
from .keyschedule import Transcript
from .keyupdate13 import MAX_KEY_UPDATES_WITHOUT_DATA, KeyUpdates13
from .messages import ClientHello, HandshakeType, HelloRequest, KeyUpdate, messageName
from .postauth13 import ServerCertificateRequest, answerCertificateRequest
from .reassembly import HandshakeBuffer
from .records import (
    MAX_PLAINTEXT,
    ContentType,
    RecordProtection,
    RecordReader,
    RecordWriter,
)
from .renegotiation12 import AskApplicationLater, Renegotiation12
from .session import TLSSession
from .suites import CipherSuite13
from .tickets import TicketKeys
from .tickets13 import newSessionTickets, receivedTicket

__all__ = ["MAX_EARLY_DATA_SKIPPED", "MAX_KEY_UPDATES_WITHOUT_DATA", "TLSConnection"]

A = AlertDescription
H = HandshakeType

#: Records that carry no progress (empty application data, warning alerts)
#: allowed in a row before we call it a denial-of-service attempt, as Go's
#: maxUselessRecords does.
MAX_USELESS_RECORDS = 16

#: Bytes of refused 0-RTT data a server skips before it gives up.  Our
#: tickets never allow early data, so only a client resuming with another
#: server's ticket sends any; OpenSSL's default max_early_data is the same.
MAX_EARLY_DATA_SKIPPED = 16384

#: NewSessionTickets a server sends after each TLS 1.3 handshake: one per
#: connection a client may open in parallel, as OpenSSL does.
TICKETS_PER_HANDSHAKE = 2

_INITIAL_RECORD_VERSION = 0x0301


def _utcNow() -> datetime:
    return datetime.now(timezone.utc)


class TLSConnection:
    """
    A sans-IO TLS connection, client or server.

    @ivar session: the session of the last completed handshake, or C{None}.
    """

    def __init__(
        self,
        config: TLSConfig,
        now: Callable[[], datetime] = _utcNow,
        renegotiationFilter: Callable[[], bool] | None = None,
    ) -> None:
        """
        @param now: the time, as an aware UTC date: certificate validity,
            the renegotiation rate limit, and the issue times, ages and
            lifetimes of session tickets and cached sessions all follow
            it.  Wall time by default; the Twisted layer passes its
            reactor's clock, so that a test's fake clock is the only time
            the engine knows (L{TicketKeys} rotate on a clock of their own).
        @param renegotiationFilter: asked, after policy and rate limit
            allow it, whether a renegotiation the peer started may go on;
            C{False} refuses it (the application's veto).
        """
        self.config = config
        self._now = now
        self._renegotiationFilter = renegotiationFilter
        #: A handshake message whose processing waits for the next
        #: receiveData call (see L{AskApplicationLater}).
        self._heldMessage: tuple[int, bytes, bytes] | None = None
        self._reader = RecordReader()
        self._writer = RecordWriter()
        self._handshakeIn = HandshakeBuffer()
        self._handshakeOut = bytearray()
        #: How much of L{_handshakeOut} earlier messages produced: output
        #: of the message being processed lies beyond it.
        self._completeOutput = 0
        self._out: list[bytes | bytearray] = []
        self._events: list[Event] = []
        #: Application data of the current batch, delivered as one event
        #: before the next record of another type.
        self._appData: list[bytes | memoryview] = []
        # A client that can do TLS 1.3 starts a 1.3 handshake (which hands
        # over to 1.2 if the server picks that); a server starts ready for
        # 1.2 and switches on a ClientHello offering 1.3.
        self._handshake: Handshake12 | Handshake13 | None = (
            Handshake13(config, self)
            if config.isClient and config.maxVersion >= TLS13
            else Handshake12(config, self)
        )
        # TLS 1.2, between handshakes.
        self._renegotiation = Renegotiation12(config.renegotiation)
        self._previous: PreviousHandshake | None = None
        # TLS 1.3, after the handshake.
        self._suite13: CipherSuite13 | None = None
        self._keys13: KeyUpdates13 | None = None
        #: TLS 1.3 with post-handshake auth offered: the main transcript to
        #: fork each exchange from, and (server) the exchange running.
        self._postAuthTranscript: Transcript | None = None
        self._postAuth: ServerCertificateRequest | None = None
        self._resumptionMaster = b""
        self._ticketsSent = 0
        self._pendingAppData: list[bytes] = []
        self.session: TLSSession | None = None
        #: the exporters' secrets of the last completed handshake.
        self._keyingMaterial: KeyingMaterial | None = None
        self._uselessRecords = 0
        self._failure: TLSAlertError | None = None
        self._closeSent = False
        self._closeReceived = False
        self._started = False

    # --- state queries ------------------------------------------------------

    @property
    def isClient(self) -> bool:
        return self.config.isClient

    @property
    def handshakeComplete(self) -> bool:
        """
        Whether the first handshake has completed.
        """
        return self.session is not None

    @property
    def handshakeInProgress(self) -> bool:
        return self._handshake is not None

    @property
    def renegotiationInProgress(self) -> bool:
        """
        Whether a renegotiation has been asked for or is running.
        """
        return self.session is not None and self._handshake is not None

    @property
    def clientCertificateRequestInProgress(self) -> bool:
        """
        Server, TLS 1.3: whether a post-handshake CertificateRequest is out
        and not answered yet (another one cannot be sent until it is).
        """
        return self._postAuth is not None

    @property
    def inputHeld(self) -> bool:
        """
        Whether L{receiveData} stopped before the end of what it was given:
        the events it returned came before a renegotiation request of the
        peer's, which the renegotiation filter is asked about next.  Deliver
        them, then call C{receiveData(b"")} to go on.
        """
        return self._heldMessage is not None

    @property
    def failed(self) -> bool:
        return self._failure is not None

    @property
    def failure(self) -> TLSAlertError | None:
        return self._failure

    @property
    def closeSent(self) -> bool:
        return self._closeSent

    @property
    def closeReceived(self) -> bool:
        return self._closeReceived

    # --- driving ------------------------------------------------------------

    def startHandshake(self) -> None:
        """
        Begin the first handshake.  Clients send their ClientHello; servers
        have nothing to send and just wait for one.
        """
        if self._started:
            raise LocalUsageError("handshake already started")
        self._started = True
        if self.isClient:
            assert self._handshake is not None
            # The first record carries version 1.0 for the benefit of old
            # middleboxes, as every major stack does (RFC 8446 5.1 too).
            self._writer.recordVersion = _INITIAL_RECORD_VERSION
            self._handshake.start()
            self._flushHandshake()
            self._writer.recordVersion = 0x0303

    def receiveData(self, data: bytes) -> list[Event]:
        """
        Feed bytes from the peer.

        @return: the events they caused, in order.  Never raises for
            anything the peer sent.
        """
        if self._failure is not None or self._closeReceived:
            return []
        if not self._started:
            self.startHandshake()
        events = self._events = []
        try:
            self._reader.feed(data)
            if self._heldMessage is not None:
                held, self._heldMessage = self._heldMessage, None
                self._receiveHandshakeMessage(*held)
                self._receiveHandshakeMessages()
            while (record := self._reader.nextRecord()) is not None:
                contentType, payload = record
                if contentType != ContentType.application_data:
                    self._deliverAppData()
                self._RECORDS[contentType](self, contentType, payload)
                if self._closeReceived or self._failure is not None:
                    break
        except AskApplicationLater:
            pass  # application data is never pending here: it went out before the record
        except PeerError as e:
            self._deliverAppData()
            self._fail(e.alert, e.reason)
        except Exception as e:  # noqa: BLE001 - nothing the peer sends may raise out
            self._deliverAppData()
            self._fail(A.internal_error, f"internal error: {e!r}")
        else:
            self._deliverAppData()
        self._flushHandshake()
        self._events = []
        return events

    def _deliverAppData(self) -> None:
        if self._appData:
            # Authenticated data that arrived before a failure is still the
            # peer's data: deliver it, in order, before the failure event.
            events = self._events
            failureAt = next(
                (i for i, e in enumerate(events) if isinstance(e, ConnectionFailed)), len(events)
            )
            events.insert(failureAt, ApplicationData(b"".join(self._appData)))
            self._appData = []

    def sendApplicationData(self, data: bytes) -> None:
        """
        Queue application data.  Before the first handshake completes it is
        held back and sent right after.

        @raise LocalUsageError: after close or failure.
        """
        self._refuseIfClosed()
        if not data:
            return
        if self.session is None:
            self._pendingAppData.append(bytes(data))
            return
        self._writeApplicationData(data)

    def _writeApplicationData(self, data: bytes | memoryview) -> None:
        """
        Seal application data; on TLS 1.3, update our keys whenever the
        suite's record limit for one traffic secret is reached.
        """
        suite = self._suite13
        if suite is None:
            self._out.extend(self._writer.writeRecords(ContentType.application_data, data))
            return
        view = memoryview(data)
        while view:
            room = suite.recordLimit - self._writer.seq
            if room <= 0:
                self._sendKeyUpdate(requested=False)
                continue
            chunk = view[: room * MAX_PLAINTEXT]
            self._out.extend(self._writer.writeRecords(ContentType.application_data, chunk))
            view = view[len(chunk) :]

    def _refuseIfClosed(self) -> None:
        """
        @raise LocalUsageError: once close_notify went out or the connection
            failed.  (A close_notify received is answered at once, so it is
            covered too.)
        """
        if self._closeSent or self._failure is not None:
            raise LocalUsageError("connection is closed")

    def rehandshake(self) -> None:
        """
        Start a renegotiation: a HelloRequest from a server, a new ClientHello
        from a client.  Does nothing if one is already asked for or running.
        Completion is a L{HandshakeCompleted} event with C{renegotiation}
        set; refusal by the peer is L{RenegotiationRefused}.

        On TLS 1.3, where renegotiation does not exist, it sends
        KeyUpdate(update_requested) instead, at once: when this returns our
        sending keys are new.  The peer's answer may come much later (RFC
        8446 4.6.3 only requires it before the peer's next application
        data; OpenSSL waits until it writes), as a L{KeysUpdated} event with
        C{requestedByPeer} false.  Every call sends one, even while an
        earlier one is unanswered: the caller asked for new keys now, and
        one answer from the peer may cover several requests.  Each request
        counts against the peer's KeyUpdate budget until it next receives
        application data (L{MAX_KEY_UPDATES_WITHOUT_DATA} for ours).

        @raise LocalUsageError: before the first handshake, after close or
            failure, or if the peer did not negotiate RFC 5746.
        """
        if self.session is not None and self.session.version == "TLSv1.3":
            self._requestKeyUpdate()
            return
        self._startRenegotiation(None)

    def requestClientCertificate(self) -> None:
        """
        Server only: renegotiate with a CertificateRequest, whatever the
        configured client-certificate setting.  An empty answer is accepted;
        the new session then has no peer certificate and the caller decides.
        So is a certificate that fails verification (its signature over the
        handshake must still verify): the session then has no peer
        certificate and L{TLSSession.peerCertificateError} says why.

        On TLS 1.3 it sends a post-handshake CertificateRequest instead;
        completion is L{PostHandshakeAuthCompleted}.  The client must have
        offered post-handshake authentication.

        @raise LocalUsageError: as for L{rehandshake}, on a client, or while
            another renegotiation is running.
        """
        if self.isClient:
            raise LocalUsageError("only a server can request a client certificate")
        if self.session is not None and self.session.version == "TLSv1.3":
            self._requestPostHandshakeAuth()
            return
        if self._handshake is not None:
            raise LocalUsageError("a renegotiation is already running")
        self._startRenegotiation(ClientAuth.REQUEST)

    def exportKeyingMaterial(
        self, label: bytes, length: int, context: bytes | None = None
    ) -> bytes:
        """
        Keying material exported from the current session: RFC 5705 on TLS
        1.2, RFC 8446 section 7.5 on TLS 1.3.  It follows the last completed
        handshake (a TLS 1.2 renegotiation changes it once it completes, a
        TLS 1.3 KeyUpdate never does; a resumed session has its own).

        @param label: the exporter label, e.g. C{b"EXPERIMENTAL-my-app"}
            (at most 249 bytes; the TLS 1.2 PRF's own labels are refused).
        @param length: bytes wanted, 1 to 255 times the suite's hash length.
        @param context: C{None} for no context; on TLS 1.2 that differs
            from C{b""}, on TLS 1.3 it does not.  At most 65535 bytes.
        @raise LocalUsageError: before the first handshake has completed, or
            once the connection failed.
        @raise TypeError: for arguments of the wrong type.
        @raise ValueError: for arguments out of bounds.
        """
        return self._currentKeyingMaterial().export(label, length, context)

    def channelBinding(self, kind: str) -> bytes:
        """
        Channel-binding data of the current session (RFC 5929, RFC 9266).

        @param kind: C{"tls-unique"} (TLS 1.2 with the extended master
            secret only; the first Finished of the last handshake, so it
            changes with every renegotiation), C{"tls-exporter"} (TLS 1.3,
            or TLS 1.2 with the extended master secret) or
            C{"tls-server-end-point"} (a hash of the server's certificate).
        @raise ChannelBindingUnavailable: a L{LocalUsageError}: the kind is
            not defined on this connection.
        @raise LocalUsageError: before the first handshake has completed, or
            once the connection failed.
        @raise ValueError: for an unknown kind.
        """
        if kind not in CHANNEL_BINDING_TYPES:
            raise ValueError(
                f"unknown channel binding type {kind!r}; "
                f"known types: {', '.join(CHANNEL_BINDING_TYPES)}"
            )
        material = self._currentKeyingMaterial()
        if kind == "tls-unique":
            return material.tlsUnique()
        if kind == "tls-exporter":
            return material.tlsExporter()
        return self._serverEndPoint()

    def _currentKeyingMaterial(self) -> KeyingMaterial:
        if self._failure is not None:
            raise LocalUsageError("the connection failed: no keying material to export")
        material = self._keyingMaterial
        if material is None:
            raise LocalUsageError(
                "keying material and channel bindings exist only once the handshake completed"
            )
        return material

    def _serverEndPoint(self) -> bytes:
        session = self.session
        assert session is not None
        if self.isClient:
            certificate = session.peerCertificate
            if certificate is None:
                raise ChannelBindingUnavailable("the server sent no certificate")
            der = certificate.public_bytes(Encoding.DER)
        else:
            credential = self.config.credentialFor(session.serverName)
            assert credential is not None
            certificate, der = credential.chain[0], credential.derChain[0]
        return serverEndPoint(certificate, der)

    def abandonRenegotiation(self) -> bool:
        """
        Give up waiting for the peer to answer our HelloRequest: requests of
        ours may start again.  Our HelloRequest is still on the wire, so a
        ClientHello arriving later is taken as its answer and completes the
        renegotiation we asked for (a L{HandshakeCompleted} event, with the
        certificate request if we asked for a certificate), not judged as
        the client's own; a warning no_renegotiation arriving later is an
        L{AlertReceived}.

        @return: whether there was one to abandon (a renegotiation whose
            handshake already started cannot be).
        """
        handshake = self._handshake
        if handshake is None or handshake.started or not self._renegotiation.ours:
            return False
        self._handshake = None
        self._renegotiation.ours = False
        if isinstance(handshake, Handshake12) and not self.isClient:
            self._renegotiation.unanswered = handshake
        return True

    def _startRenegotiation(self, clientAuth: ClientAuth | None) -> None:
        self._refuseIfClosed()
        session = self.session
        if session is None:
            raise LocalUsageError("the first handshake has not completed")
        if not session.secureRenegotiation:
            # RFC 5746: never renegotiate without it (the 2009 splicing attack).
            raise LocalUsageError("peer did not negotiate secure renegotiation (RFC 5746)")
        if self._handshake is not None:
            return
        self._renegotiation.ours = True
        # A new HelloRequest: the next ClientHello answers this one.
        self._renegotiation.unanswered = None
        # A certificate we ask for mid-connection is the application's to
        # judge: a refused one ends the renegotiation without it, not the
        # connection.
        self._handshake = Handshake12(
            self.config,
            self,
            self._previous,
            clientAuth,
            clientCertificateAdvisory=clientAuth is not None,
        )
        if self.isClient:
            self._handshake.start()
        else:
            # Not part of any transcript (RFC 5246 7.4.1.1).
            self.sendHandshake(HelloRequest().toBytes())
        self._flushHandshake()

    def close(self) -> None:
        """
        Send close_notify.  Data queued before it goes first.  Idempotent.
        """
        if self._closeSent or self._failure is not None:
            return
        self._flushHandshake()
        if self.session is not None and self._pendingAppData:
            self._sendPendingAppData()
        self._closeSent = True
        self._sendAlert(AlertLevel.WARNING, A.close_notify)

    def cancelHandshake(self) -> None:
        """
        Give up on the first handshake (the caller's timer ran out): a
        warning user_canceled then close_notify, which is how RFC 8446 6.1
        and RFC 5246 7.2.2 say to cancel a handshake for a reason that is
        no protocol failure.  The handshake state is dropped; the caller
        closes the connection.  Does nothing once the handshake completed,
        failed or was closed.
        """
        if self.session is not None or self._closeSent or self._failure is not None:
            return
        # A half-built flight must not go out ahead of the alerts.
        self._handshakeOut.clear()
        self._handshake = None
        self._pendingAppData = []
        self._closeSent = True
        self._sendAlert(AlertLevel.WARNING, A.user_canceled)
        self._sendAlert(AlertLevel.WARNING, A.close_notify)

    def dataToSend(self) -> bytes:
        """
        @return: all bytes waiting to go to the peer (and forget them).
        """
        return b"".join(self.dataToSendList())

    def dataToSendList(self) -> list[bytes]:
        """
        @return: the waiting records for C{writeSequence}, joined into one
            string.  Records are sealed into bytearrays, without a copy per
            record; Twisted's transports take C{bytes} only, and this one
            join is the copy their write buffer would otherwise make.
        """
        self._flushHandshake()
        out, self._out = self._out, []
        return [b"".join(out)] if out else []

    def releaseIdleCiphers(self) -> bool:
        """
        Drop the cipher context of each direction that carried no record
        since the previous call (some 2.4 KiB each in OpenSSL; remade at
        the next record).  Call it now and then (the transport does, every
        tenth of a second while records flow): a connection idle between
        two calls keeps no cipher context.

        @return: whether no cipher context is held now (nothing to do
            until records flow again).
        """
        reader = self._reader.releaseIfIdle()
        return self._writer.releaseIfIdle() and reader

    def hasDataToSend(self) -> bool:
        return bool(self._out or self._handshakeOut)

    # --- HandshakeIO --------------------------------------------------------

    def sendHandshake(self, raw: bytes) -> None:
        # Messages of one flight share records, as OpenSSL does; they are
        # flushed before any record of another type or key change.
        self._handshakeOut += raw

    def sendChangeCipherSpec(self) -> None:
        self._flushHandshake()
        self._out.extend(self._writer.writeRecords(ContentType.change_cipher_spec, b"\x01"))

    def changeWriteProtection(self, protection: RecordProtection) -> None:
        self._flushHandshake()
        self._writer.changeProtection(protection)

    def changeReadProtection(self, protection: RecordProtection) -> None:
        if self._handshakeIn.hasPartial():
            # Keys change at a message boundary or not at all (rustls'
            # check_aligned_handshake): a half message would otherwise be
            # completed with bytes under different keys.
            raise PeerError(A.unexpected_message, "key change inside a handshake message")
        self._reader.changeProtection(protection)
        if not self.isClient and self.session is None and isinstance(self._handshake, Handshake13):
            self._reader.allowPlaintextAlerts()

    def emit(self, event: Event) -> None:
        self._events.append(event)

    def skipEarlyData(self) -> None:
        self._reader.skipEarlyData(MAX_EARLY_DATA_SKIPPED)

    def now(self) -> datetime:
        return self._now()

    # --- record dispatch ----------------------------------------------------

    def _receiveHandshakeRecord(self, contentType: int, payload: bytes | memoryview) -> None:
        self._uselessRecords = 0
        self._handshakeIn.feed(payload)
        self._receiveHandshakeMessages()

    def _receiveApplicationData(self, contentType: int, payload: bytes | memoryview) -> None:
        self._refuseInsideHandshakeMessage(contentType)
        if self.session is None:
            raise PeerError(A.unexpected_message, "application data before the handshake")
        if isinstance(self._handshake, Handshake12) and self._handshake.awaitsFinished:
            # RFC 5246 7.4.9: Finished immediately follows ChangeCipherSpec,
            # in a renegotiation too (data before the CCS is fine).
            raise PeerError(A.unexpected_message, "application data before Finished")
        if not payload:
            self._countUseless()
            return
        self._uselessRecords = 0
        if self._keys13 is not None:
            self._keys13.dataReceived()
        self._appData.append(payload)

    def _receiveChangeCipherSpec(self, contentType: int, payload: bytes | memoryview) -> None:
        self._refuseInsideHandshakeMessage(contentType)
        if payload != b"\x01":
            # RFC 8446 5 names the alert; RFC 5246 7.1 defines no other
            # value, and we answer TLS 1.2 alike.
            raise PeerError(A.unexpected_message, "change_cipher_spec other than 0x01")
        if self._handshake is None:
            raise UnexpectedMessage(("application data",), "change_cipher_spec")
        if isinstance(self._handshake, Handshake13):
            # Dropped (RFC 8446 5), so it makes no progress: a peer sending
            # them in a loop is cut off like one sending empty records.
            self._countUseless()
        self._handshake.receiveChangeCipherSpec()

    def _receiveAlert(self, contentType: int, payload: bytes | memoryview) -> None:
        self._refuseInsideHandshakeMessage(contentType)
        if len(payload) != 2:
            raise PeerError(A.decode_error, f"alert record of {len(payload)} bytes")
        level, description = payload[0], payload[1]
        if description == A.close_notify:
            self._closeReceived = True
            self._events.append(CloseNotifyReceived())
            # TLS 1.2 (RFC 5246 7.2.1): answer at once and close.  TLS 1.3
            # (RFC 8446 6.1) closes only the peer's write side: ours stays
            # open until our caller calls close() (a half-closed
            # connection); before the handshake there is nothing to keep.
            halfClose = self.session is not None and self.session.version == "TLSv1.3"
            if not halfClose and not self._closeSent and self._failure is None:
                self._closeSent = True
                self._sendAlert(AlertLevel.WARNING, A.close_notify)
            return
        if self._recordsAreTLS13() and description != A.user_canceled:
            # RFC 8446 6: every other alert is an error alert, whatever
            # its level field says (no_renegotiation and unknown ones too).
            level = AlertLevel.FATAL
        if level == AlertLevel.FATAL:
            error = TLSAlertError(description, sentByUs=False)
            self._failure = error
            self._events.append(ConnectionFailed(error))
            return
        if level != AlertLevel.WARNING:
            raise PeerError(A.illegal_parameter, f"alert level {level}")
        self._countUseless()
        if description == A.no_renegotiation and self._renegotiation.refusedByPeer(
            self.isClient, self._pendingHandshakeStarted()
        ):
            self._handshake = None
            self._renegotiation.ours = False
            self._events.append(
                RenegotiationRefused(byPeer=True, reason="peer sent no_renegotiation")
            )
            return
        if description == A.no_renegotiation:
            # A late refusal of a HelloRequest we stopped waiting for.
            self._renegotiation.unanswered = None
        self._events.append(AlertReceived(level, description))

    #: Content type -> handler (the record layer refuses any other type).
    _RECORDS: ClassVar[dict[int, Callable[[TLSConnection, int, bytes | memoryview], None]]] = {
        ContentType.handshake: _receiveHandshakeRecord,
        ContentType.application_data: _receiveApplicationData,
        ContentType.change_cipher_spec: _receiveChangeCipherSpec,
        ContentType.alert: _receiveAlert,
    }

    def _refuseInsideHandshakeMessage(self, contentType: int) -> None:
        if self._handshakeIn.hasPartial():
            # RFC 8446 5.1, which we apply to TLS 1.2 too: the fragments of
            # one handshake message come in a row.
            raise PeerError(
                A.unexpected_message,
                f"{ContentType(contentType).name} record inside a handshake message",
            )

    def _countUseless(self) -> None:
        self._uselessRecords += 1
        if self._uselessRecords > MAX_USELESS_RECORDS:
            raise PeerError(A.unexpected_message, "too many records without progress")

    def _recordsAreTLS13(self) -> bool:
        """
        Whether TLS 1.3 is in use: negotiated, or its keys already read.
        """
        session = self.session
        return (session is not None and session.version == "TLSv1.3") or self._reader.protected13

    def _pendingHandshakeStarted(self) -> bool | None:
        """
        Between handshakes: whether the one asked for has started (C{None}
        if there is none).
        """
        if self.session is None or self._handshake is None:
            return None
        return self._handshake.started

    # --- handshake messages -------------------------------------------------

    def _receiveHandshakeMessages(self) -> None:
        while (message := self._handshakeIn.nextMessage(self._expectsHandshake)) is not None:
            try:
                self._receiveHandshakeMessage(*message)
            except AskApplicationLater:
                self._heldMessage = message
                raise
            if self._failure is not None:
                return

    def _expectsHandshake(self, msgType: int) -> bool:
        """
        Whether a handshake message of this type may come now: the
        dispatch below, without its side effects.  The reassembly asks it of
        a message longer than we accept, which is an unexpected_message if
        its type is out of order, and a decode_error only if it is not.
        """
        session = self.session
        if session is not None and session.version == "TLSv1.3":
            postAuth = self._postAuth
            if msgType == H.key_update:
                return postAuth is None or not postAuth.answerStarted
            if self.isClient:
                return msgType == H.new_session_ticket or (
                    msgType == H.certificate_request and self._postAuthTranscript is not None
                )
            return postAuth is not None and postAuth.expects(msgType)
        if msgType == H.hello_request:
            return self.isClient  # ignored while a handshake runs, but legal
        handshake = self._handshake
        if handshake is not None:
            return handshake.expects(msgType)
        return not self.isClient and msgType == H.client_hello

    def _receiveHandshakeMessage(self, msgType: int, body: bytes, raw: bytes) -> None:
        self._completeOutput = len(self._handshakeOut)
        if self.session is not None and self.session.version == "TLSv1.3":
            handler = self._POST_HANDSHAKE13.get(msgType, TLSConnection._unexpected13)
            handler(self, msgType, body, raw)
        elif msgType == H.hello_request:
            self._receiveHelloRequest(body)
        else:
            self._receiveHandshake(msgType, body, raw)
        self._completeOutput = len(self._handshakeOut)

    def _receiveHandshake(self, msgType: int, body: bytes, raw: bytes) -> None:
        if (
            msgType == H.client_hello
            and self.session is None
            and isinstance(self._handshake, Handshake12)
            and not self._handshake.started
            and self.config.maxVersion >= TLS13
            and offersTLS13(hello := ClientHello.parse(body))
        ):
            # The common front: the ClientHello picks the version's back end,
            # which takes it parsed (parsing it again cost ~15 us a handshake).
            self._handshake = Handshake13(self.config, self, hello)
        if self._handshake is None:
            self._startPeerRenegotiation(msgType)
            if self._handshake is None:
                return
        handshake = self._handshake
        handshake.receiveMessage(msgType, body, raw)
        if isinstance(handshake, Handshake13) and handshake.fallback is not None:
            self._handshake = handshake = handshake.fallback
        if handshake.complete:
            result = handshake.result
            assert result is not None
            self._handshake = None
            self._handshakeFinished(result)

    def _handshakeFinished(self, result: HandshakeResult | HandshakeResult13) -> None:
        if isinstance(result, HandshakeResult13):
            self._suite13 = result.suite
            secrets = result.applicationSecrets
            self._keys13 = KeyUpdates13(
                result.suite, secrets.client, secrets.server, self.isClient
            )
            self._postAuthTranscript = result.postHandshakeTranscript
            self._resumptionMaster = result.resumptionMasterSecret
            self._keyingMaterial = KeyingMaterial(
                "TLSv1.3", result.suite.hashName, result.exporterMasterSecret
            )
            self.session = _sessionFrom13(result)
            self._events.append(HandshakeCompleted(self.session))
            if result.ticketsWanted and self.config.ticketKeys is not None:
                self._sendTickets(self.config.ticketKeys)
            if self._pendingAppData:
                self._sendPendingAppData()
            return
        renegotiation = self.session is not None
        if renegotiation:
            self._renegotiation.count += 1
        self._renegotiation.ours = False
        self._previous = result.carryOver(self.isClient)
        self._keyingMaterial = KeyingMaterial(
            "TLSv1.2",
            result.suite.hashName,
            result.masterSecret,
            result.clientRandom,
            result.serverRandom,
            result.extendedMasterSecret,
            # RFC 5929 3.1: the first Finished sent in the handshake.
            result.serverVerifyData if result.resumed else result.clientVerifyData,
        )
        self.session = _sessionFrom(result, self._renegotiation.count)
        self._events.append(HandshakeCompleted(self.session, renegotiation=renegotiation))
        if self._pendingAppData:
            self._sendPendingAppData()

    def _sendPendingAppData(self) -> None:
        self._flushHandshake()
        pending, self._pendingAppData = self._pendingAppData, []
        for chunk in pending:
            self._writeApplicationData(chunk)

    # --- TLS 1.2 between handshakes (renegotiation12) -----------------------

    def _receiveHelloRequest(self, body: bytes) -> None:
        """
        RFC 5246 7.4.1.1: a HelloRequest is not part of any transcript; a
        client ignores it while a handshake is running.
        """
        self._renegotiation.checkHelloRequest(self.isClient, body)
        if self._handshake is not None or not self._admitPeerRenegotiation():
            return
        self._renegotiation.ours = False
        self._handshake = Handshake12(self.config, self, self._previous)
        self._handshake.start()

    def _startPeerRenegotiation(self, msgType: int) -> None:
        """
        A server received a ClientHello on an established connection.
        """
        self._renegotiation.checkPeerStart(self.isClient, msgType)
        late = self._renegotiation.lateAnswer()
        if late is not None and not self._closeSent:
            self._handshake = late
            return
        if not self._admitPeerRenegotiation():
            return
        self._renegotiation.ours = False
        self._handshake = Handshake12(self.config, self, self._previous)

    def _admitPeerRenegotiation(self) -> bool:
        """
        Put a peer's request through the gate; a refusal is a warning
        no_renegotiation.
        """
        assert self.session is not None
        if self._renegotiationFilter is not None and self._events:
            # Checked first, so that nothing (the rate limit) counts twice.
            raise AskApplicationLater()
        if self._closeSent:
            # We are closing (maybe decided on the events delivered before
            # this request): nothing may follow our close_notify.
            return False
        reason = self._renegotiation.refusal(
            self.session, self.isClient, self._now(), self._renegotiationFilter
        )
        if reason is None:
            self._events.append(RenegotiationRequested())
            return True
        self._sendAlert(AlertLevel.WARNING, A.no_renegotiation)
        self._events.append(RenegotiationRefused(byPeer=False, reason=reason))
        return False

    # --- TLS 1.3 after the handshake ----------------------------------------

    def _receiveTicket(self, msgType: int, body: bytes, raw: bytes) -> None:
        if not self.isClient:
            self._unexpected13(msgType, body, raw)
        assert self._suite13 is not None and self.session is not None
        ticket = receivedTicket(
            body,
            self._suite13,
            self._resumptionMaster,
            self.session,
            self.config.serverName,
            self._now().timestamp(),
        )
        if ticket is not None:
            self._events.append(SessionTicketReceived(ticket))

    def _sendTickets(self, keys: TicketKeys) -> None:
        """
        RFC 8446 4.6.1: tickets for resuming this session.
        """
        assert self._suite13 is not None and self.session is not None
        for ticket in newSessionTickets(
            keys,
            self._suite13,
            self._resumptionMaster,
            self.session,
            self._now().timestamp(),
            self._ticketsSent,
            TICKETS_PER_HANDSHAKE,
        ):
            self.sendHandshake(ticket)
        self._ticketsSent += TICKETS_PER_HANDSHAKE
        self._flushHandshake()

    def _receiveKeyUpdate(self, msgType: int, body: bytes, raw: bytes) -> None:
        keys = self._keys13
        assert keys is not None and self.session is not None
        if self._postAuth is not None and self._postAuth.answerStarted:
            # The client's Certificate ... Finished come in a row.
            raise UnexpectedMessage(("certificate_verify", "finished"), "key_update")
        requestedByPeer = keys.receive(body)
        if self._handshakeIn.hasPartial():
            raise PeerError(A.unexpected_message, "KeyUpdate not at a record boundary")
        self._reader.changeProtection(keys.nextProtection(read=True))
        if requestedByPeer and not self._closeSent:
            # RFC 8446 4.6.3: answer before our next record, even when a
            # request of ours crossed this one (each side then moves on two
            # generations); the peer answers ours separately.  After our
            # close_notify there is no next record (RFC 8446 6.1).
            self._sendKeyUpdate(requested=False)
        self.session = replace(self.session, keyUpdates=keys.count)
        self._events.append(KeysUpdated(requestedByPeer=requestedByPeer))

    def _requestKeyUpdate(self) -> None:
        self._refuseIfClosed()
        assert self._keys13 is not None
        self._keys13.requested()
        self._sendKeyUpdate(requested=True)

    def _sendKeyUpdate(self, requested: bool) -> None:
        assert self._keys13 is not None
        self._flushHandshake()
        self._out.extend(
            self._writer.writeRecords(ContentType.handshake, KeyUpdate(int(requested)).toBytes())
        )
        self._writer.changeProtection(self._keys13.nextProtection(read=False))

    def _receiveCertificateRequest(self, msgType: int, body: bytes, raw: bytes) -> None:
        """
        Client: a post-handshake CertificateRequest, answered at once.
        """
        transcript = self._postAuthTranscript
        if not self.isClient or transcript is None:
            self._unexpected13(msgType, body, raw)
        assert transcript is not None and self._keys13 is not None and self.session is not None
        if self._closeSent:
            return  # nothing may follow our close_notify (RFC 8446 6.1)
        answerCertificateRequest(
            self.config,
            self._keys13.suite.hashName,
            transcript.fork(),
            body,
            raw,
            self._keys13.clientSecret,
            self.sendHandshake,
        )
        self._events.append(PostHandshakeAuthCompleted(self.session))

    def _requestPostHandshakeAuth(self) -> None:
        self._refuseIfClosed()
        if self._postAuthTranscript is None:
            raise PostHandshakeAuthNotOffered(
                "the client did not offer TLS 1.3 post-handshake authentication, so it cannot "
                "be asked for a certificate on this connection"
            )
        if self._postAuth is not None:
            raise LocalUsageError("a client certificate request is already running")
        assert self._keys13 is not None
        self._postAuth = ServerCertificateRequest(
            self.config, self, self._keys13.suite.hashName, self._postAuthTranscript.fork()
        )
        self._postAuth.send()
        self._flushHandshake()

    def _receiveClientAuthMessage(self, msgType: int, body: bytes, raw: bytes) -> None:
        """
        Server: the client's Certificate, CertificateVerify or Finished in
        answer to our post-handshake CertificateRequest.
        """
        exchange = self._postAuth
        if exchange is None:
            self._unexpected13(msgType, body, raw)
        assert exchange is not None and self._keys13 is not None and self.session is not None
        exchange.receive(msgType, body, raw, self._keys13.clientSecret)
        if exchange.complete:
            self._postAuth = None
            self.session = replace(
                self.session,
                peerCertificates=exchange.chain,
                peerCertificateError=exchange.rejection,
                rejectedPeerCertificate=exchange.rejectedCertificate,
            )
            self._events.append(PostHandshakeAuthCompleted(self.session))

    def _unexpected13(self, msgType: int, body: bytes, raw: bytes) -> NoReturn:
        raise UnexpectedMessage(("key_update",), messageName(msgType))

    #: TLS 1.3 post-handshake message type -> handler; each refuses the
    #: message when our role or state does not expect it.
    _POST_HANDSHAKE13: ClassVar[dict[int, Callable[[TLSConnection, int, bytes, bytes], None]]] = {
        H.new_session_ticket: _receiveTicket,
        H.key_update: _receiveKeyUpdate,
        H.certificate_request: _receiveCertificateRequest,
        H.certificate: _receiveClientAuthMessage,
        H.certificate_verify: _receiveClientAuthMessage,
        H.finished: _receiveClientAuthMessage,
    }

    # --- output -------------------------------------------------------------

    def _flushHandshake(self) -> None:
        self._completeOutput = 0
        if self._handshakeOut:
            data = bytes(self._handshakeOut)
            self._handshakeOut.clear()
            self._out.extend(self._writer.writeRecords(ContentType.handshake, data))

    def _sendAlert(self, level: AlertLevel, description: AlertDescription) -> None:
        self._flushHandshake()
        self._out.extend(self._writer.writeRecords(ContentType.alert, bytes((level, description))))

    def _fail(self, alert: AlertDescription, reason: str) -> None:
        """
        The one exit on a peer fault: queue the fatal alert, report, stop.
        """
        # What earlier messages made us send goes out before the alert (the
        # peer then sees the same whatever TCP did to its bytes); a flight
        # half built by the message that failed does not.
        del self._handshakeOut[self._completeOutput :]
        error = TLSAlertError(alert, sentByUs=True, reason=reason)
        self._failure = error
        self._handshake = None
        try:
            self._flushHandshake()
            self._out.extend(
                self._writer.writeRecords(ContentType.alert, bytes((AlertLevel.FATAL, alert)))
            )
        except Exception:  # noqa: BLE001 - e.g. exhausted sequence numbers
            pass
        self._events.append(ConnectionFailed(error))


def _sessionFrom13(result: HandshakeResult13, keyUpdates: int = 0) -> TLSSession:
    return TLSSession(
        version="TLSv1.3",
        cipherSuite=result.suite.name,
        group=result.group.name,
        signatureScheme=(
            result.serverSignatureScheme.name if result.serverSignatureScheme else None
        ),
        serverName=result.serverName,
        alpnProtocol=result.alpnProtocol,
        peerCertificates=result.peerChain,
        resumed=result.resumed,
        keyUpdates=keyUpdates,
        peerCertificateError=result.peerCertificateError,
        rejectedPeerCertificate=result.rejectedPeerCertificate,
        clientCertificateRequested=result.clientCertificateRequested,
        postHandshakeAuth=result.postHandshakeTranscript is not None,
    )


def _sessionFrom(result: HandshakeResult, renegotiations: int) -> TLSSession:
    return TLSSession(
        version="TLSv1.2",
        cipherSuite="TLS_" + result.suite.name,
        group=result.group.name,
        signatureScheme=(
            result.serverSignatureScheme.name if result.serverSignatureScheme else None
        ),
        serverName=result.serverName,
        alpnProtocol=result.alpnProtocol,
        peerCertificates=result.peerChain,
        resumed=result.resumed,
        extendedMasterSecret=result.extendedMasterSecret,
        secureRenegotiation=result.secureRenegotiation,
        renegotiations=renegotiations,
        peerCertificateError=result.peerCertificateError,
        rejectedPeerCertificate=result.rejectedPeerCertificate,
        clientCertificateRequested=result.clientCertificateRequested,
    )
