# -*- test-case-name: tests.test_resumption -*-
"""
TLS 1.3 NewSessionTicket after the handshake (RFC 8446 4.6.1): a server
issuing tickets for the session, a client turning one into something to
resume with.  What a ticket seals, and the keys, are L{tickets}'.
"""

from __future__ import annotations

import os

from .errors import AlertDescription, PeerError
from .keyschedule import resumptionPsk13
from .messages import NewSessionTicket13
from .session import TLSSession
from .suites import CipherSuite13
from .tickets import ClientTicket13, TicketKeys, TicketState13

A = AlertDescription

#: RFC 8446 4.6.1: no ticket lives longer than seven days.
MAX_TICKET_LIFETIME = 7 * 24 * 3600


def newSessionTickets(
    keys: TicketKeys,
    suite: CipherSuite13,
    resumptionMaster: bytes,
    session: TLSSession,
    now: float,
    firstNonce: int,
    count: int,
) -> list[bytes]:
    """
    Tickets for resuming C{session}, each sealing its own PSK (told apart
    by the nonce, numbered from C{firstNonce}) and what the session proved.

    @return: the NewSessionTicket messages, framed.
    """
    lifetime = keys.lifetime
    nonces = [number.to_bytes(8, "big") for number in range(firstNonce, firstNonce + count)]
    # The states differ only in their PSKs: one encoding of the rest, one
    # sealing pass (bench/engine.py's resumed row shows the per-ticket cost).
    state = TicketState13(suite, b"", now, lifetime, session.serverName, session.peerCertificates)
    tickets = keys.sealEach(
        state.withEachPsk(
            [resumptionPsk13(suite.hashName, resumptionMaster, nonce) for nonce in nonces]
        )
    )
    ageAdds = os.urandom(4 * count)
    return [
        NewSessionTicket13.frame(
            lifetime, int.from_bytes(ageAdds[4 * index : 4 * index + 4], "big"), nonce, ticket
        )
        for index, (nonce, ticket) in enumerate(zip(nonces, tickets, strict=True))
    ]


def receivedTicket(
    body: bytes,
    suite: CipherSuite13,
    resumptionMaster: bytes,
    session: TLSSession,
    serverName: str | None,
    now: float,
) -> ClientTicket13 | None:
    """
    A client's view of a NewSessionTicket.

    @return: the ticket to resume with, or C{None} for one of lifetime 0,
        which RFC 8446 4.6.1 says to discard at once.
    """
    message = NewSessionTicket13.parse(body)
    if message.lifetime > MAX_TICKET_LIFETIME:
        raise PeerError(A.illegal_parameter, "ticket lifetime over 7 days")
    if message.lifetime == 0:
        return None
    return ClientTicket13(
        ticket=message.ticket,
        psk=resumptionPsk13(suite.hashName, resumptionMaster, message.nonce),
        suite=suite,
        receivedAt=now,
        lifetime=message.lifetime,
        ageAdd=message.ageAdd,
        serverName=serverName,
        peerChain=session.peerCertificates,
    )
