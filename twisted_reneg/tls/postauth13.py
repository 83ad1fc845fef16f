# -*- test-case-name: tests.test_postauth13 -*-
"""
TLS 1.3 post-handshake client authentication (RFC 8446 4.6.2).

Each exchange is its own small handshake: the server's CertificateRequest,
then the client's Certificate, CertificateVerify (with a certificate) and
Finished.  Its transcript is the main handshake's, through the client
Finished, plus its own messages only (RFC 8446 4.4, "Post-Handshake"), and
its Finished key comes from the client's current application traffic
secret.  The connection keeps the forked main transcript and hands it in.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from cryptography import x509

from .clientauth import certificateRequest13, readCertificateRequest13
from .config import TLSConfig
from .errors import AlertDescription, PeerError, UnexpectedMessage
from .finished import checkFinished13
from .handshakeio import HandshakeIO
from .keyschedule import Transcript, finishedVerifyData13
from .messages import (
    Certificate13,
    Finished,
    HandshakeType,
    messageName,
)
from .peerchain import receiveClientChain
from .state13 import (
    CLIENT_SIGNATURE_CONTEXT,
    checkCertificateVerify13,
    sendClientCertificate13,
)

A = AlertDescription


class ServerCertificateRequest:
    """
    Server side of one exchange: send the request, check the answer.

    A certificate that fails verification does not end the connection: the
    exchange completes without one and C{rejection} says why, so the
    application can answer (a 403, say) on the same connection.

    @ivar chain: once complete, the client's verified chain (empty if the
        client declined or its certificate was refused).
    @ivar rejection: why the client's certificate was refused, or C{None}.
    """

    def __init__(
        self, config: TLSConfig, io: HandshakeIO, hashName: str, transcript: Transcript
    ) -> None:
        self._config = config
        self._io = io
        self._hashName = hashName
        self._transcript = transcript
        # Unique on the connection (RFC 8446 4.3.2): random is simplest.
        self._context = os.urandom(32)
        self._expected = HandshakeType.certificate
        self.chain: tuple[x509.Certificate, ...] = ()
        self.rejection: str | None = None
        #: what the client sent, verified or not: its key signs CertificateVerify.
        self._offered: tuple[x509.Certificate, ...] = ()
        self.complete = False

    @property
    def answerStarted(self) -> bool:
        """
        Whether the client's Certificate has arrived (its answer is then
        under way and nothing else may come in between).
        """
        return self._expected != HandshakeType.certificate

    @property
    def rejectedCertificate(self) -> x509.Certificate | None:
        """
        The leaf the client offered and we refused (with C{rejection}).
        """
        return self._offered[0] if self.rejection is not None and self._offered else None

    def expects(self, msgType: int) -> bool:
        """
        Whether the client's answer goes on with a message of this type.
        """
        return msgType == self._expected

    def send(self) -> None:
        request = certificateRequest13(self._config, self._context).toBytes()
        self._transcript.update(request)
        self._io.sendHandshake(request)

    def receive(self, msgType: int, body: bytes, raw: bytes, clientSecret: bytes) -> None:
        """
        Take the next message of the client's answer.

        @param clientSecret: the client's current application traffic
            secret, the Finished key's base.
        """
        if msgType != self._expected:
            raise UnexpectedMessage((self._expected.name,), messageName(msgType))
        if msgType == HandshakeType.certificate:
            self._receiveCertificate(body)
        elif msgType == HandshakeType.certificate_verify:
            self._receiveCertificateVerify(body)
        else:
            checkFinished13(
                body, self._hashName, clientSecret, self._transcript.digest(), "client"
            )
            self.complete = True
            return
        self._transcript.update(raw)

    def _receiveCertificate(self, body: bytes) -> None:
        message = Certificate13.parse(body)
        if message.context != self._context:
            raise PeerError(A.illegal_parameter, "certificate_request_context does not match")
        if not message.certificates:
            # The client declined; as with a TLS 1.2 renegotiation, the
            # application decides what that means.
            self._expected = HandshakeType.finished
            return
        judged = receiveClientChain(self._config, self._io, message.certificates, advisory=True)
        self._offered, self.chain = judged.offered, judged.accepted
        self.rejection = judged.rejection
        self._expected = HandshakeType.certificate_verify

    def _receiveCertificateVerify(self, body: bytes) -> None:
        # Proof of possession holds for a refused certificate too: a client
        # that cannot sign for what it sent is broken or lying.
        checkCertificateVerify13(
            body,
            self._offered[0],
            self._config.signatureSchemes,
            CLIENT_SIGNATURE_CONTEXT,
            self._transcript.digest(),
            "client",
        )
        self._expected = HandshakeType.finished


def answerCertificateRequest(
    config: TLSConfig,
    hashName: str,
    transcript: Transcript,
    body: bytes,
    raw: bytes,
    clientSecret: bytes,
    send: Callable[[bytes], None],
) -> None:
    """
    Client side: answer a post-handshake CertificateRequest at once with
    Certificate (empty without a usable credential), CertificateVerify and
    Finished.

    @param transcript: a fork of the main handshake's transcript, used up.
    """
    request = readCertificateRequest13(body)
    transcript.update(raw)

    def sendAndRecord(message: bytes) -> None:
        transcript.update(message)
        send(message)

    sendClientCertificate13(config, request, transcript, sendAndRecord)
    send(Finished(finishedVerifyData13(hashName, clientSecret, transcript.digest())).toBytes())
