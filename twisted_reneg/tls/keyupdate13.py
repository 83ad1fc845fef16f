# -*- test-case-name: tests.tls.test_engine13 -*-
"""
TLS 1.3 application traffic secrets and KeyUpdate (RFC 8446 4.6.3, 7.2):
the current secret of each direction, the next generation's keys, and the
budget that cuts off a peer looping on KeyUpdates.
"""

from __future__ import annotations

from .errors import AlertDescription, PeerError
from .keyschedule import nextTrafficSecret13, trafficKeys13
from .messages import KeyUpdate
from .records import RecordProtection, tls13Protection
from .suites import CipherSuite13

A = AlertDescription

#: KeyUpdates accepted in a row with no application data between them.  Each
#: costs two key derivations and, when requested, a record in reply; a
#: peer looping on them gets cut off, as rustls does.
MAX_KEY_UPDATES_WITHOUT_DATA = 32


class KeyUpdates13:
    """
    One connection's application traffic secrets after a TLS 1.3 handshake.

    @ivar count: key updates received so far (for L{TLSSession.keyUpdates}).
    """

    def __init__(
        self, suite: CipherSuite13, clientSecret: bytes, serverSecret: bytes, isClient: bool
    ) -> None:
        self.suite = suite
        self._secrets = [clientSecret, serverSecret]
        self._isClient = isClient
        #: Our KeyUpdate(update_requested) messages not yet matched by a
        #: KeyUpdate(update_not_requested) from the peer.  Each exempts one
        #: such KeyUpdate from the flood budget: we asked for it.
        self._unanswered = 0
        self._withoutData = 0
        self.count = 0

    @property
    def clientSecret(self) -> bytes:
        """
        The client's current secret (the post-handshake Finished key's base).
        """
        return self._secrets[0]

    def requested(self) -> None:
        """
        We are sending KeyUpdate(update_requested).
        """
        self._unanswered += 1

    def dataReceived(self) -> None:
        """
        Application data arrived: the KeyUpdate flood budget starts over.
        """
        self._withoutData = 0

    def receive(self, body: bytes) -> bool:
        """
        Check a peer's KeyUpdate and count it.

        @return: whether the peer asked for ours in return.
        """
        update = KeyUpdate.parse(body)
        if update.requestUpdate > 1:
            # RFC 8446 4.6.3: the field decodes, but its value is illegal.
            raise PeerError(
                A.illegal_parameter, f"KeyUpdate request_update {update.requestUpdate}"
            )
        requestedByPeer = update.updateRequested
        if not requestedByPeer and self._unanswered:
            # Presumably the answer to one of ours (an answer and an
            # unsolicited update look the same): not the peer's doing.
            self._unanswered -= 1
        else:
            self._withoutData += 1
        if self._withoutData > MAX_KEY_UPDATES_WITHOUT_DATA:
            raise PeerError(A.unexpected_message, "too many KeyUpdates without application data")
        self.count += 1
        return requestedByPeer

    def nextProtection(self, read: bool) -> RecordProtection:
        """
        Move one direction to the next application traffic secret.

        @return: the record protection under the new secret.
        """
        suite = self.suite
        index = 1 if read == self._isClient else 0  # 0: client's secret, 1: server's
        secret = nextTrafficSecret13(suite.hashName, self._secrets[index])
        self._secrets[index] = secret
        key, iv = trafficKeys13(suite.hashName, secret, suite.keyLength)
        return tls13Protection(suite.aead, key, iv)
