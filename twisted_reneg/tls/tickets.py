# -*- test-case-name: tests.test_resumption -*-
"""
Session tickets: what a server seals into a ticket, the keys it seals with,
and what a client keeps to resume.

A server keeps no per-session state: the ticket carries it, encrypted and
authenticated under a ticket key (AES-256-GCM).  L{TicketKeys} rotates its
keys, or takes them from the operator so that several processes behind one
port accept each other's tickets.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding

from .errors import DecodeError
from .suites import SUITES13_BY_CODE, SUITES_BY_CODE, CipherSuite, CipherSuite13, NamedGroup
from .wire import Reader, Writer

#: How long a ticket is good for, in seconds (RFC 8446 allows up to 7 days;
#: a shorter life limits what a stolen ticket key exposes).
DEFAULT_TICKET_LIFETIME = 2 * 3600

_KEY_NAME_LENGTH = 16
_NONCE_LENGTH = 12
#: The first byte of sealed state, so one kind is never read as the other.
_STATE_VERSION = 1
_STATE12_VERSION = 2


class TicketKeys:
    """
    The keys a server seals tickets with.

    With keys given, the first seals and all open, and C{openOnly} keys only
    open.  Processes behind one address share the keys; rotating them
    without losing resumption anywhere takes three steps, each applied to
    every process (a reload, L{replace}): add the new key as open-only; make
    it the sealing key, the old one open-only; after a ticket lifetime, drop
    the old one.  Every ticket any process seals can then be opened by all
    of them at every step (HAProxy's model).

    Without keys, a random key is made and replaced every C{lifetime}
    seconds; the one before it still opens tickets until they expire.

    Rotation follows C{clock}, wall time by default, not a connection's
    clock: one instance serves every connection of the options, whatever
    clock each connection's factory has (a test's fake clock set years
    ahead would otherwise rotate, or freeze, the keys of all of them), and
    how long a secret stays in memory is a matter of real time.  Whether a
    ticket is still valid is not decided here: its issue time and lifetime
    are sealed in it and checked against the connection's own time.
    """

    def __init__(
        self,
        keys: Sequence[bytes] | None = None,
        lifetime: int = DEFAULT_TICKET_LIFETIME,
        clock: Callable[[], float] | None = None,
        openOnly: Sequence[bytes] = (),
    ) -> None:
        """
        @param keys: 32-byte secrets, newest first, or C{None} for random
            ones rotated here.
        @param lifetime: ticket lifetime in seconds.
        @param clock: seconds since the epoch, for rotation only (tests
            inject one); C{time.time} by default.
        @param openOnly: 32-byte secrets that open tickets but never seal
            one (with C{keys} only).
        """
        if not 0 < lifetime <= 7 * 24 * 3600:
            raise ValueError("ticket lifetime must be within 7 days (RFC 8446 4.6.1)")
        self.lifetime = lifetime
        self._clock = clock or time.time
        self._fixed = keys is not None
        self._lock = threading.Lock()
        self._keys: list[_TicketKey] = []
        self._rotatedAt = 0.0
        if keys is None:
            if openOnly:
                raise ValueError("open-only ticket keys need keys that seal")
            self._rotate()
        else:
            self._keys = _fixedKeys(keys, openOnly)

    def replace(self, keys: Sequence[bytes], openOnly: Sequence[bytes] = ()) -> None:
        """
        Take new fixed keys (a reload): tickets are sealed with the first of
        C{keys} from now on, and opened with any of C{keys} and C{openOnly}.

        @raise ValueError: for keys that are not 32-byte secrets; nothing
            changes then.
        """
        fixed = _fixedKeys(keys, openOnly)
        with self._lock:
            self._keys = fixed
            self._fixed = True

    @property
    def fixed(self) -> bool:
        """
        Whether the keys were given (shared with other processes), rather
        than random ones of this process.
        """
        return self._fixed

    def __repr__(self) -> str:
        return f"<TicketKeys {len(self._keys)} key(s)>"

    def _rotate(self) -> None:
        self._keys = [_TicketKey(os.urandom(32)), *self._keys[:1]]
        self._rotatedAt = self._clock()

    def _current(self) -> list[_TicketKey]:
        with self._lock:
            if not self._fixed and self._clock() - self._rotatedAt >= self.lifetime:
                self._rotate()
            return list(self._keys)

    def seal(self, state: bytes) -> bytes:
        """
        @return: a ticket: key name, nonce, sealed C{state}.
        """
        return self.sealEach((state,))[0]

    def sealEach(self, states: Sequence[bytes]) -> list[bytes]:
        """
        L{seal} each of C{states} (the tickets a server sends together)
        with one look at the keys and one call for all the random nonces.

        @return: the tickets, in order.
        """
        key = self._current()[0]
        name, encrypt = key.name, key.aead.encrypt
        nonces = os.urandom(_NONCE_LENGTH * len(states))
        tickets = []
        for index, state in enumerate(states):
            nonce = nonces[index * _NONCE_LENGTH : (index + 1) * _NONCE_LENGTH]
            tickets.append(name + nonce + encrypt(nonce, state, name))
        return tickets

    def open(self, ticket: bytes) -> bytes | None:
        """
        @return: the state sealed in C{ticket}, or C{None} if no key of
            ours made it or it was altered.
        """
        name = ticket[:_KEY_NAME_LENGTH]
        nonce = ticket[_KEY_NAME_LENGTH : _KEY_NAME_LENGTH + _NONCE_LENGTH]
        sealed = ticket[_KEY_NAME_LENGTH + _NONCE_LENGTH :]
        for key in self._current():
            if hmac.compare_digest(key.name, name):
                try:
                    return key.aead.decrypt(nonce, sealed, name)
                except InvalidTag:
                    return None
        return None


def _fixedKeys(keys: Sequence[bytes], openOnly: Sequence[bytes]) -> list[_TicketKey]:
    if not keys or any(len(k) != 32 for k in [*keys, *openOnly]):
        raise ValueError("ticket keys must be one or more 32-byte secrets")
    return [_TicketKey(k) for k in [*keys, *openOnly]]


class _TicketKey:
    def __init__(self, secret: bytes) -> None:
        # Name and encryption key come from the secret by separate labels,
        # so the name (sent in clear) says nothing about the key.
        self.name = hmac.new(secret, b"twisted_reneg ticket name", hashlib.sha256).digest()[
            :_KEY_NAME_LENGTH
        ]
        self.aead = AESGCM(hmac.new(secret, b"twisted_reneg ticket key", hashlib.sha256).digest())


@dataclass(frozen=True)
class TicketState13:
    """
    What a TLS 1.3 ticket carries back to the server.
    """

    suite: CipherSuite13
    psk: bytes = field(repr=False)
    issuedAt: float
    lifetime: int
    serverName: str | None
    peerChain: tuple[x509.Certificate, ...] = field(repr=False)

    def toBytes(self) -> bytes:
        return self.withEachPsk((self.psk,))[0]

    def withEachPsk(self, psks: Sequence[bytes]) -> list[bytes]:
        """
        This state encoded once for each of C{psks} in place of its own:
        the tickets of one handshake differ in nothing else, so the rest
        (the peer's chain above all) is encoded once.
        """
        head = Writer()
        head.writeUint8(_STATE_VERSION)
        head.writeUint16(self.suite.code)
        tail = Writer()
        tail.writeUint(int(self.issuedAt), 8)
        tail.writeUint(self.lifetime, 4)
        tail.writeVector(2, (self.serverName or "").encode("ascii"))
        _writeChain(tail, self.peerChain)
        before, after = head.getvalue(), tail.getvalue()
        encoded = []
        for psk in psks:
            middle = Writer()
            middle.writeVector(1, psk)
            encoded.append(before + middle.getvalue() + after)
        return encoded

    @classmethod
    def parse(cls, data: bytes) -> TicketState13 | None:
        """
        @return: the state, or C{None} if it is not one we understand
            (another version of this code sealed it).
        """
        try:
            reader = Reader(data)
            if reader.readUint8() != _STATE_VERSION:
                return None
            suite = SUITES13_BY_CODE.get(reader.readUint16())
            psk = reader.readVector(1, 0xFF)
            issuedAt = float(reader.readUint(8))
            lifetime = reader.readUint(4)
            serverName = reader.readVector(2, 0xFFFF).decode("ascii") or None
            chain = _readChain(reader)
            reader.expectEnd()
        except (DecodeError, ValueError):
            return None
        if suite is None:
            return None
        return cls(suite, psk, issuedAt, lifetime, serverName, chain)

    def validAt(self, now: float) -> bool:
        return _issuedAndUnexpired(self.issuedAt, self.lifetime, now)


#: How far in the future an issue time may lie (servers behind one address
#: whose clocks differ a little) before a sealed state is refused.
_CLOCK_SKEW = 60


def _issuedAndUnexpired(issuedAt: float, lifetime: int, now: float) -> bool:
    return issuedAt <= now + _CLOCK_SKEW and now < issuedAt + lifetime


def _writeChain(w: Writer, chain: tuple[x509.Certificate, ...]) -> None:
    with w.lengthPrefixed(3):
        for certificate in chain:
            w.writeVector(3, certificate.public_bytes(Encoding.DER))


def _readChain(reader: Reader) -> tuple[x509.Certificate, ...]:
    chain = []
    with reader.vector(3, 0xFFFFFF) as block:
        while not block.atEnd():
            chain.append(x509.load_der_x509_certificate(block.readVector(3, 0xFFFFFF)))
    return tuple(chain)


@dataclass(frozen=True)
class SessionState12:
    """
    A TLS 1.2 session, to resume (RFC 5246 7.3 by session ID, RFC 5077 by
    ticket): what a server seals into a ticket or keeps by ID, and what a
    client keeps.

    @ivar peerChain: the other side's chain from the full handshake.
    """

    suite: CipherSuite
    group: NamedGroup
    masterSecret: bytes = field(repr=False)
    extendedMasterSecret: bool
    issuedAt: float
    lifetime: int
    serverName: str | None
    peerChain: tuple[x509.Certificate, ...] = field(repr=False)

    def toBytes(self) -> bytes:
        w = Writer()
        w.writeUint8(_STATE12_VERSION)
        w.writeUint16(self.suite.code)
        w.writeUint16(self.group)
        w.writeVector(1, self.masterSecret)
        w.writeUint8(int(self.extendedMasterSecret))
        w.writeUint(int(self.issuedAt), 8)
        w.writeUint(self.lifetime, 4)
        w.writeVector(2, (self.serverName or "").encode("ascii"))
        _writeChain(w, self.peerChain)
        return w.getvalue()

    @classmethod
    def parse(cls, data: bytes) -> SessionState12 | None:
        try:
            reader = Reader(data)
            if reader.readUint8() != _STATE12_VERSION:
                return None
            suite = SUITES_BY_CODE.get(reader.readUint16())
            group = NamedGroup(reader.readUint16())
            masterSecret = reader.readVector(1, 0xFF)
            ems = bool(reader.readUint8())
            issuedAt = float(reader.readUint(8))
            lifetime = reader.readUint(4)
            serverName = reader.readVector(2, 0xFFFF).decode("ascii") or None
            chain = _readChain(reader)
            reader.expectEnd()
        except (DecodeError, ValueError):
            return None
        if suite is None or len(masterSecret) != 48:
            return None
        return cls(suite, group, masterSecret, ems, issuedAt, lifetime, serverName, chain)

    def validAt(self, now: float) -> bool:
        return _issuedAndUnexpired(self.issuedAt, self.lifetime, now)


@dataclass(frozen=True)
class ClientSession12:
    """
    A TLS 1.2 session as a client keeps it: the session ID and/or ticket
    the server gave, and the session itself.
    """

    sessionId: bytes
    ticket: bytes | None = field(repr=False)
    state: SessionState12

    @property
    def serverName(self) -> str | None:
        return self.state.serverName

    def validAt(self, now: float) -> bool:
        return self.state.validAt(now)


class ServerSessionCache:
    """
    TLS 1.2 sessions a server keeps by session ID, the oldest dropped first
    past C{maxEntries} (memory stays bounded however many clients come).
    """

    def __init__(self, maxEntries: int = 20000) -> None:
        self._maxEntries = maxEntries
        self._entries: OrderedDict[bytes, SessionState12] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def store(self, sessionId: bytes, state: SessionState12) -> None:
        with self._lock:
            self._entries[sessionId] = state
            self._entries.move_to_end(sessionId)
            while len(self._entries) > self._maxEntries:
                self._entries.popitem(last=False)

    def get(self, sessionId: bytes) -> SessionState12 | None:
        with self._lock:
            return self._entries.get(sessionId)


@dataclass(frozen=True)
class ClientTicket13:
    """
    A TLS 1.3 ticket as a client keeps it, to resume with.

    @ivar peerChain: the server's chain from the full handshake, which the
        resumed session reports again (the server proves it holds the PSK,
        and the PSK came from a handshake that verified this chain).
    """

    ticket: bytes = field(repr=False)
    psk: bytes = field(repr=False)
    suite: CipherSuite13
    receivedAt: float
    lifetime: int
    ageAdd: int = field(repr=False)
    serverName: str | None
    peerChain: tuple[x509.Certificate, ...] = field(repr=False)

    def validAt(self, now: float) -> bool:
        return self.receivedAt <= now < self.receivedAt + self.lifetime

    def obfuscatedAge(self, now: float) -> int:
        """
        RFC 8446 4.2.11.1: the ticket's age in milliseconds plus age_add.
        """
        return (int((now - self.receivedAt) * 1000) + self.ageAdd) % (1 << 32)


class ClientSessionCache:
    """
    Client-side tickets (TLS 1.3) and sessions (TLS 1.2) by (server name,
    port), newest kept, each used once (RFC 8446 C.4: reuse would link the
    connections).
    """

    def __init__(self, maxEntries: int = 256, ticketsPerServer: int = 2) -> None:
        self._maxEntries = maxEntries
        self._perServer = ticketsPerServer
        self._entries: OrderedDict[tuple[str, int], list[ClientTicket13 | ClientSession12]] = (
            OrderedDict()
        )

    def __len__(self) -> int:
        return sum(len(v) for v in self._entries.values())

    def store(self, key: tuple[str, int], ticket: ClientTicket13 | ClientSession12) -> None:
        tickets = self._entries.pop(key, [])
        tickets.append(ticket)
        self._entries[key] = tickets[-self._perServer :]
        while len(self._entries) > self._maxEntries:
            self._entries.popitem(last=False)

    def take(self, key: tuple[str, int], now: float) -> ClientTicket13 | ClientSession12 | None:
        """
        Remove and return the newest ticket still valid for C{key}.
        """
        tickets = self._entries.get(key)
        while tickets:
            ticket = tickets.pop()
            if ticket.validAt(now):
                if not tickets:
                    del self._entries[key]
                return ticket
        self._entries.pop(key, None)
        return None
