# -*- test-case-name: tests.tls.test_state_table -*-
"""
The machinery the TLS 1.2 and TLS 1.3 handshakes share: a state per
expected message (L{HandshakeStep}, the base of L{state12.State12} and
L{state13.State13}) and the driver the connection feeds messages to
(L{HandshakeDriver}, the base of L{handshake12.Handshake12} and
L{handshake13.Handshake13}).  What the states do is each version's own.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Protocol, TypeVar

from .errors import UnexpectedMessage
from .keyschedule import Transcript
from .messages import HandshakeType, messageName


class _Transcribed(Protocol):
    """
    The per-handshake facts of either version, as far as L{HandshakeStep}
    needs them.
    """

    transcript: Transcript


_HS = TypeVar("_HS", bound=_Transcribed)
_Next = TypeVar("_Next")


class HandshakeStep(Generic[_HS, _Next]):
    """
    One step of a handshake: the messages it accepts and what it does.

    @cvar expected: handshake types this state accepts.
    @cvar transcriptFirst: add the message to the transcript before
        C{handle} (all but Finished and CertificateVerify, which check the
        transcript as it was before them).
    @cvar expectsChangeCipherSpec: TLS 1.2: a ChangeCipherSpec, not a
        handshake message, comes next (named in the unexpected-message
        failure).
    @ivar hs: the facts of the handshake, shared by its states.
    """

    expected: ClassVar[tuple[HandshakeType, ...]] = ()
    transcriptFirst: ClassVar[bool] = True
    expectsChangeCipherSpec: ClassVar[bool] = False

    def __init__(self, hs: _HS) -> None:
        self.hs = hs

    def receive(self, msgType: int, body: bytes, raw: bytes) -> _Next:
        """
        Take one handshake message.

        @return: the state that expects the next one.
        @raise UnexpectedMessage: for a message this state does not expect.
        """
        if msgType not in self.expected:
            raise UnexpectedMessage(self.expectedNames(), messageName(msgType))
        if self.transcriptFirst:
            self.hs.transcript.update(raw)
        return self.handle(msgType, body, raw)

    def handle(self, msgType: int, body: bytes, raw: bytes) -> _Next:
        raise NotImplementedError

    def receiveChangeCipherSpec(self) -> _Next:
        raise UnexpectedMessage(self.expectedNames(), "change_cipher_spec")

    def expectedNames(self) -> tuple[str, ...]:
        names = tuple(t.name for t in self.expected)
        return names + (("change_cipher_spec",) if self.expectsChangeCipherSpec else ())


_State = TypeVar("_State", bound=HandshakeStep[Any, Any])


class HandshakeDriver(Generic[_State]):
    """
    One handshake as the connection drives it: the messages it is fed go
    to its current state, which hands over to the next.
    """

    _state: _State

    def expects(self, msgType: int) -> bool:
        """
        Whether the handshake's current state takes a message of this type.
        """
        return msgType in self._state.expected

    def receiveMessage(self, msgType: int, body: bytes, raw: bytes) -> None:
        self._state = self._state.receive(msgType, body, raw)

    def receiveChangeCipherSpec(self) -> None:
        self._state = self._state.receiveChangeCipherSpec()
