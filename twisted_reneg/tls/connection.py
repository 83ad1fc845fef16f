# -*- test-case-name: tests.tls.test_engine -*-
"""
L{TLSConnection}: the one object the Twisted layer drives.

Bytes go in through L{TLSConnection.receiveData}, which returns events; bytes
to put on the wire come out of L{TLSConnection.dataToSend}.  No sockets, no
clock (the time used for certificate checks is injected), no logging.

The connection keeps the record layer (L{TLSConnection._RECORDS}),
reassembly, output and the first-handshake front.  After the first
handshake it holds one back end, by version: L{Established12} or
L{Established13}, which reach it through L{EstablishedIO}.  A peer's
renegotiation request put to the driver stops input until
L{TLSConnection.answerRenegotiation}, as h11 pauses.

Peer faults are caught in exactly one place, L{TLSConnection._receive}:
the fatal alert is queued, a L{ConnectionFailed} event is returned and the
connection stays failed for good.  Caller misuse raises L{LocalUsageError}.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import datetime, timezone
from typing import ClassVar

from .config import TLS13, ClientAuth, TLSConfig
from .errors import (
    AlertDescription,
    AlertLevel,
    LocalUsageError,
    PeerError,
    TLSAlertError,
    UnexpectedMessage,
)
from .established12 import Established12
from .established13 import Established13
from .events import (
    AlertReceived,
    CloseNotifyReceived,
    ConnectionFailed,
    Event,
    RenegotiationAnswerNeeded,
)
from .exporters import KeyingMaterial, channelBinding, checkChannelBindingType
from .handshake12 import Handshake12
from .handshake13 import Handshake13
from .keyupdate13 import MAX_KEY_UPDATES_WITHOUT_DATA
from .messages import ClientHello, HandshakeType
from .recordio import MAX_EARLY_DATA_SKIPPED, MAX_USELESS_RECORDS, RecordIO
from .records import ContentType, RecordProtection
from .renegotiation12 import checkHelloRequest, checkPeerStart
from .session import TLSSession
from .state12 import HandshakeResult
from .state13 import HandshakeResult13, offersTLS13

__all__ = [
    "MAX_EARLY_DATA_SKIPPED",
    "MAX_KEY_UPDATES_WITHOUT_DATA",
    "MAX_USELESS_RECORDS",
    "TLSConnection",
]

A = AlertDescription
H = HandshakeType

_INITIAL_RECORD_VERSION = 0x0301

#: A handshake message as reassembled: C{(msgType, body, raw)}.
_Message = tuple[int, bytes, bytes]


def _utcNow() -> datetime:
    return datetime.now(timezone.utc)


class TLSConnection(RecordIO):
    """
    A sans-IO TLS connection, client or server.

    @ivar session: the session of the last completed handshake, or C{None}.
    """

    def __init__(
        self,
        config: TLSConfig,
        now: Callable[[], datetime] = _utcNow,
        askBeforePeerRenegotiation: bool = False,
    ) -> None:
        """
        @param now: the time, as an aware UTC date: certificate validity,
            the renegotiation rate limit, and the issue times, ages and
            lifetimes of session tickets and cached sessions all follow
            it.  Wall time by default; the Twisted layer passes its
            reactor's clock, so that a test's fake clock is the only time
            the engine knows (L{TicketKeys} rotate on a clock of their own).
        @param askBeforePeerRenegotiation: put the peer's renegotiation
            requests that pass the gate to the driver
            (L{RenegotiationAnswerNeeded}); otherwise they go on at once.
        """
        super().__init__(now)
        self.config = config
        self._askFirst = askBeforePeerRenegotiation
        #: The peer's request put to the driver: no input is read until
        #: L{answerRenegotiation}.
        self._heldRequest: _Message | None = None
        # A client that can do TLS 1.3 starts a 1.3 handshake (which hands
        # over to 1.2 if the server picks that); a server starts ready for
        # 1.2 and switches on a ClientHello offering 1.3.
        self._handshake: Handshake12 | Handshake13 | None = (
            Handshake13(config, self)
            if config.isClient and config.maxVersion >= TLS13
            else Handshake12(config, self)
        )
        #: What follows the first handshake, by version.
        self._established: Established12 | Established13 | None = None
        self._pendingAppData: list[bytes] = []
        self.session: TLSSession | None = None
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
        established = self._established
        return isinstance(established, Established13) and (
            established.clientCertificateRequestInProgress
        )

    @property
    def awaitingRenegotiationAnswer(self) -> bool:
        """
        Whether the driver owes an L{answerRenegotiation}.
        """
        return self._heldRequest is not None

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
        Feed bytes from the peer.  While an answer to the peer's
        renegotiation request is awaited, they are only buffered (and
        C{[]} returned): stop reading until L{answerRenegotiation}.

        @return: the events they caused, in order.  Never raises for
            anything the peer sent.
        """
        if self._heldRequest is not None:
            self._reader.feed(data)
            return []
        return self._receive(data)

    def answerRenegotiation(self, allow: bool) -> list[Event]:
        """
        Answer L{RenegotiationAnswerNeeded} (L{Established12.answer}), then
        read the input buffered behind the request.

        @return: the events, as L{receiveData} returns them.
        @raise LocalUsageError: if no answer is awaited.
        """
        held = self._heldRequest
        if held is None:
            raise LocalUsageError("no renegotiation request is waiting for an answer")
        self._heldRequest = None
        return self._receive(b"", held, allow)

    def _receive(
        self, data: bytes, held: _Message | None = None, allow: bool = False
    ) -> list[Event]:
        if self._failure is not None or self._closeReceived:
            return []
        if not self._started:
            self.startHandshake()
        events = self._events = []
        try:
            self._reader.feed(data)
            if held is not None:
                self._receiveHandshakeMessage(*held, answer=allow)
                self._receiveHandshakeMessages()
            self._receiveRecords()
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

    def _receiveRecords(self) -> None:
        nextRecords = self._reader.nextRecords
        while self._heldRequest is None and (records := nextRecords()):
            # Only the last record of a batch may be other than application
            # data, and only it may change what data may come: whether the
            # data is welcome is asked once a batch, not once a record.
            welcome = self._applicationDataWelcome()
            appData = self._appData
            gotData = False
            for contentType, payload in records:
                if contentType == ContentType.application_data:
                    if welcome and payload:
                        self._uselessRecords = 0
                        appData.append(payload)
                        gotData = True
                    else:
                        self._receiveApplicationData(contentType, payload)
                    continue
                if gotData:
                    self._dataReceived()
                    gotData = False
                self._deliverAppData()
                self._RECORDS[contentType](self, contentType, payload)
                if self._closeReceived or self._failure is not None:
                    return
            if gotData:
                self._dataReceived()

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
        established = self._established
        if isinstance(established, Established13):
            # It counts records: new keys at the suite's limit.
            established.writeApplicationData(data)
        else:
            self._writer.sealRecords(ContentType.application_data, data, self._out)

    def rehandshake(self) -> None:
        """
        TLS 1.2: start a renegotiation (L{Established12.renegotiate}); one
        asked for or running stands.  Completion is L{HandshakeCompleted}
        with C{renegotiation} set, refusal L{RenegotiationRefused}.  TLS
        1.3: send KeyUpdate(update_requested) at once
        (L{Established13.requestKeyUpdate}); the answer is L{KeysUpdated}.

        @raise LocalUsageError: before the first handshake, after close or
            failure, or if the peer did not negotiate RFC 5746.
        """
        self._refuseIfClosed()
        established = self._established
        if isinstance(established, Established13):
            established.requestKeyUpdate()
        else:
            self._renegotiate(established, None)

    def requestClientCertificate(self) -> None:
        """
        Server only.  TLS 1.2: renegotiate with a CertificateRequest,
        whatever the configured setting; the application judges the
        answer (an empty one, or a chain that fails verification, leaves
        the session without a peer certificate, and
        L{TLSSession.peerCertificateError} says why).  TLS 1.3: a
        post-handshake CertificateRequest
        (L{Established13.requestClientCertificate}).

        @raise LocalUsageError: as for L{rehandshake}, on a client, or while
            another renegotiation is running.
        """
        if self.isClient:
            raise LocalUsageError("only a server can request a client certificate")
        established = self._established
        if isinstance(established, Established13):
            self._refuseIfClosed()
            established.requestClientCertificate()
            return
        if self._handshake is not None:
            raise LocalUsageError("a renegotiation is already running")
        self._refuseIfClosed()
        self._renegotiate(established, ClientAuth.REQUEST)

    def _renegotiate(self, established: Established12 | None, auth: ClientAuth | None) -> None:
        if established is None:
            raise LocalUsageError("the first handshake has not completed")
        self._handshake = established.renegotiate(self._handshake, auth)
        self._flushHandshake()

    def exportKeyingMaterial(
        self, label: bytes, length: int, context: bytes | None = None
    ) -> bytes:
        """
        Keying material exported from the session of the last completed
        handshake (L{KeyingMaterial.export}).

        @raise LocalUsageError: before the first handshake has completed, or
            once the connection failed.
        """
        return self._currentKeyingMaterial().export(label, length, context)

    def channelBinding(self, kind: str) -> bytes:
        """
        Channel-binding data of the current session (L{channelBinding}).

        @raise LocalUsageError: before the first handshake has completed, or
            once the connection failed.
        @raise ValueError: for an unknown kind.
        """
        checkChannelBindingType(kind)
        material = self._currentKeyingMaterial()
        assert self.session is not None
        return channelBinding(kind, material, self.session, self.config)

    def _currentKeyingMaterial(self) -> KeyingMaterial:
        if self._failure is not None:
            raise LocalUsageError("the connection failed: no keying material to export")
        established = self._established
        material = None if established is None else established.keyingMaterial
        if material is None:
            raise LocalUsageError(
                "keying material and channel bindings exist only once the handshake completed"
            )
        return material

    def abandonRenegotiation(self) -> bool:
        """
        Give up waiting for the peer to answer our HelloRequest
        (L{Established12.abandon}): requests of ours may start again.

        @return: whether there was one to abandon.
        """
        established, handshake = self._established, self._handshake
        if handshake is None or not isinstance(established, Established12):
            return False
        if abandoned := established.abandon(handshake):
            self._handshake = None
        return abandoned

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
        self.sendAlert(AlertLevel.WARNING, A.close_notify)

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
        self.sendAlert(AlertLevel.WARNING, A.user_canceled)
        self.sendAlert(AlertLevel.WARNING, A.close_notify)

    def changeReadProtection(self, protection: RecordProtection) -> None:
        super().changeReadProtection(protection)
        if not self.isClient and self.session is None and isinstance(self._handshake, Handshake13):
            # A client that failed on our ServerHello alerts in plaintext.
            self._reader.allowPlaintextAlerts()

    # --- record dispatch ----------------------------------------------------

    def _receiveHandshakeRecord(self, contentType: int, payload: bytes | memoryview) -> None:
        self._uselessRecords = 0
        self._handshakeIn.feed(payload)
        self._receiveHandshakeMessages()

    def _applicationDataWelcome(self) -> bool:
        """
        Whether application data may come now (L{_receiveApplicationData}
        says why not).
        """
        handshake = self._handshake
        return (
            self.session is not None
            and not self._handshakeIn.hasPartial()
            and not (isinstance(handshake, Handshake12) and handshake.awaitsFinished)
        )

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
        self._dataReceived()
        self._appData.append(payload)

    def _dataReceived(self) -> None:
        established = self._established
        if isinstance(established, Established13):
            # The KeyUpdate flood budget starts over.
            established.dataReceived()

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
        established = self._established
        if description == A.close_notify:
            self._closeReceived = True
            self._events.append(CloseNotifyReceived())
            # TLS 1.2 (RFC 5246 7.2.1): answer at once and close.  TLS 1.3
            # (RFC 8446 6.1) closes only the peer's write side: ours stays
            # open until our caller calls close() (a half-closed
            # connection); before the handshake there is nothing to keep.
            halfClose = isinstance(established, Established13)
            if not halfClose and not self._closeSent and self._failure is None:
                self._closeSent = True
                self.sendAlert(AlertLevel.WARNING, A.close_notify)
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
        if (
            description == A.no_renegotiation
            and isinstance(established, Established12)
            and established.refusedByPeer(self._handshake)
        ):
            self._handshake = None
            return
        self._events.append(AlertReceived(level, description))

    #: Content type -> handler (the record layer refuses any other type).
    _RECORDS: ClassVar[dict[int, Callable[[TLSConnection, int, bytes | memoryview], None]]] = {
        ContentType.handshake: _receiveHandshakeRecord,
        ContentType.application_data: _receiveApplicationData,
        ContentType.change_cipher_spec: _receiveChangeCipherSpec,
        ContentType.alert: _receiveAlert,
    }

    def _recordsAreTLS13(self) -> bool:
        """
        Whether TLS 1.3 is in use: negotiated, or its keys already read.
        """
        return isinstance(self._established, Established13) or self._reader.protected13

    # --- handshake messages -------------------------------------------------

    def _receiveHandshakeMessages(self) -> None:
        while (message := self._handshakeIn.nextMessage(self._expectsHandshake)) is not None:
            self._receiveHandshakeMessage(*message)
            if self._failure is not None or self._heldRequest is not None:
                return

    def _expectsHandshake(self, msgType: int) -> bool:
        """
        Whether a handshake message of this type may come now: the
        dispatch below, without its side effects.  The reassembly asks it of
        a message longer than we accept, which is an unexpected_message if
        its type is out of order, and a decode_error only if it is not.
        """
        established = self._established
        if isinstance(established, Established13):
            return established.expects(msgType)
        if msgType == H.hello_request:
            return self.isClient  # ignored while a handshake runs, but legal
        handshake = self._handshake
        if handshake is not None:
            return handshake.expects(msgType)
        return not self.isClient and msgType == H.client_hello

    def _receiveHandshakeMessage(
        self, msgType: int, body: bytes, raw: bytes, answer: bool | None = None
    ) -> None:
        """
        @param answer: the driver's answer, for the peer's request it was
            asked about (if one of ours started meanwhile, the request
            meets it as if it came now).
        """
        self._completeOutput = len(self._handshakeOut)
        established = self._established
        if isinstance(established, Established13):
            established.receive(msgType, body, raw)
        elif answer is not None and self._handshake is None:
            self._peerRequest((msgType, body, raw), answer)
        elif msgType == H.hello_request:
            self._receiveHelloRequest(body)
        else:
            self._receiveHandshake(msgType, body, raw)
        self._completeOutput = len(self._handshakeOut)

    def _receiveHelloRequest(self, body: bytes) -> None:
        """
        RFC 5246 7.4.1.1: a HelloRequest is not part of any transcript; a
        client ignores it while a handshake is running.
        """
        checkHelloRequest(self.isClient, body)
        if self._handshake is None:
            self._peerRequest((H.hello_request, body, b""))

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
            # which takes it parsed (no second parse of the largest message).
            self._handshake = Handshake13(self.config, self, hello)
        handshake = self._handshake
        if handshake is None:
            # Between TLS 1.2 handshakes: the client starts one.
            checkPeerStart(self.isClient, msgType)
            self._peerRequest((msgType, body, raw))
            return
        handshake.receiveMessage(msgType, body, raw)
        if isinstance(handshake, Handshake13) and handshake.fallback is not None:
            self._handshake = handshake = handshake.fallback
        if handshake.complete:
            result = handshake.result
            assert result is not None
            self._handshake = None
            self._handshakeFinished(result)

    def _peerRequest(self, message: _Message, answer: bool | None = None) -> None:
        """
        The peer asks to renegotiate: a HelloRequest to a client or a
        ClientHello to a server, with no handshake running.  If it passes
        the gate and the driver is to be asked, input stops here until
        it answers.
        """
        established = self._established
        assert isinstance(established, Established12)
        msgType = message[0]
        if answer is not None:
            handshake = established.answer(msgType, answer)
        elif (handshake := established.lateAnswer()) is None:
            if not established.admits():
                return
            if self._askFirst:
                self._heldRequest = message
                self._events.append(RenegotiationAnswerNeeded())
                return
            handshake = established.admit(msgType)
        if handshake is not None:
            self._handshake = handshake
            if msgType == H.client_hello:
                self._receiveHandshake(*message)

    def _handshakeFinished(self, result: HandshakeResult | HandshakeResult13) -> None:
        established = self._established
        if isinstance(result, HandshakeResult13):
            established = self._established = Established13(self._weakSelf(), result)
            established.handshakeFinished(result)
        else:
            if established is None:
                established = self._established = Established12(self._weakSelf())
            assert isinstance(established, Established12)
            established.handshakeFinished(result)
        if self._pendingAppData:
            self._sendPendingAppData()

    def _weakSelf(self) -> TLSConnection:
        """
        This connection as its back end after the handshake sees it: a weak
        reference, so that the two form no reference cycle and a dropped
        connection is freed at once by reference counting rather than by
        the cyclic garbage collector (bench/engine.py, under py-spy, showed
        the server's share in C{gc_collect_main}).  The connection owns
        its back end and outlives it; a renegotiation that back end starts
        gets the same weak reference.
        """
        proxy: TLSConnection = weakref.proxy(self)
        return proxy

    def _sendPendingAppData(self) -> None:
        self._flushHandshake()
        pending, self._pendingAppData = self._pendingAppData, []
        for chunk in pending:
            self._writeApplicationData(chunk)

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
