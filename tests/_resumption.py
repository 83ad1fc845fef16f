"""
Engines that resume: TLS 1.3 configurations that issue and keep tickets,
a full handshake followed by one that offers a ticket from it, and the
tickets and TLS 1.2 sessions a side's events carried.
"""

from __future__ import annotations

from twisted_reneg.tls.config import TLS13, TLSConfig
from twisted_reneg.tls.events import SessionTicketReceived
from twisted_reneg.tls.tickets import ClientSession12, ClientTicket13, TicketKeys

from .enginepair import EnginePair, clientConfig, serverConfig


def client13(**kw: object) -> TLSConfig:
    """
    A TLS 1.3 client that keeps sessions, so servers send it tickets.
    """
    kw.setdefault("resumesSessions", True)
    return clientConfig(minVersion=TLS13, maxVersion=TLS13, **kw)


def server13(keys: TicketKeys, **kw: object) -> TLSConfig:
    """
    A server of TLS 1.3 at most that seals its tickets with C{keys}.
    """
    return serverConfig(maxVersion=TLS13, ticketKeys=keys, **kw)


def tickets(side_events: list) -> list[ClientTicket13]:
    """
    @return: the TLS 1.3 tickets among one side's events.
    """
    return [e.ticket for e in side_events if isinstance(e, SessionTicketReceived)]


def fullThenResume(
    keys: TicketKeys,
    first: dict | None = None,
    second: dict | None = None,
    server: dict | None = None,
) -> tuple[EnginePair, EnginePair]:
    """
    A full handshake that yields tickets, then a connection offering one.
    """
    full = EnginePair(client13(**(first or {})), server13(keys, **(server or {}))).handshake()
    ticket = tickets(full.client.events)[0]
    resumed = EnginePair(
        client13(resumeTicket=ticket, **(second or first or {})),
        server13(keys, **(server or {})),
    ).handshake()
    return full, resumed


def tls12Sessions(events: list) -> list[ClientSession12]:
    """
    @return: the TLS 1.2 sessions (by ID or ticket) among one side's events.
    """
    return [
        e.ticket
        for e in events
        if isinstance(e, SessionTicketReceived) and isinstance(e.ticket, ClientSession12)
    ]
