# -*- test-case-name: tests.test_proxyprotocol -*-
"""
The PROXY protocol, read in plaintext before TLS, so that a server behind a
load balancer (HAProxy's C{send-proxy}/C{send-proxy-v2}, nginx's C{stream}
C{proxy_protocol on}, cloud balancers) learns its client's address::

    reactor.listenTCP(443, ProxyProtocolFactory(TLSFactory(options, False, app)))

The application's C{transport.getPeer()} is then the client the balancer
accepted, and C{getHost()} the address the balancer accepted it on.

The header goes below TLS, never inside it: a balancer sends it before any
TLS byte, so a header read after the handshake would come from the client,
which could claim any address.  By the same token only the balancer may
reach a port that reads it: whoever connects directly can claim any
address.  A connection that does not start with a valid header is closed
before any TLS is spoken, and so is one whose header has not arrived
within a timeout.

The formats are those of HAProxy's C{doc/proxy-protocol.txt}: version 1, a
text line of at most 107 bytes, and version 2, a binary block (16 bytes,
then addresses and optional TLVs).

L{parseProxyHeader} and L{ProxyHeaderParser} are sans-IO; the Twisted part
is L{ProxyProtocolFactory} and L{proxyProtocolEndpoint}.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any

from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import (
    IAddress,
    IDelayedCall,
    IHalfCloseableProtocol,
    IReactorTime,
    IStreamServerEndpoint,
)
from twisted.internet.protocol import Protocol, ServerFactory, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import alsoProvides, directlyProvides, implementer, providedBy

#: Seconds a new connection has to deliver its whole header.  A balancer
#: sends it with its first segment, at once; only a stalled or hostile peer
#: needs longer, and it may not hold a connection (and a buffer) for long.
DEFAULT_HEADER_TIMEOUT = 10.0

#: Version 1: the longest line the specification allows, CRLF included
#: (C{"PROXY UNKNOWN"} with two full IPv6 addresses and ports).
V1_MAX_LENGTH = 107

#: Version 2: the fixed part (signature, version and command, family, length).
V2_HEADER_LENGTH = 16

#: Version 2: the 12-byte signature, chosen to be invalid in most protocols.
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"

#: Version 2: the largest length field (addresses plus TLVs) we accept.  The
#: specification designs headers to fit 536 bytes (the smallest TCP segment
#: every host must take), which the fixed part and the largest (UNIX)
#: address block do with 304 bytes to spare; but TLVs may take more.  The
#: ones HAProxy sends, at their largest (ALPN and authority of up to 255
#: bytes each, a 128-byte unique ID, the SSL block with the client
#: certificate's CN, cipher and algorithms, the network namespace), come to
#: some 800 bytes beyond the addresses.  1536 covers that, and cloud
#: balancers' endpoint IDs, with room to spare: refusing a real balancer's
#: header would refuse every client, while the bound only caps what a peer
#: that never finishes its header makes us buffer, at 1.5 KiB.
V2_MAX_LENGTH = 1536

_V1_PREFIX = b"PROXY "
_LOCAL = 0x0
_PROXY = 0x1

#: Version 2 family and transport bytes the specification defines, with
#: their names and the length of their address block.  We read the
#: addresses of TCP over IPv4/IPv6 and of UNIX streams.  UDP and UNIX
#: datagrams cannot reach a stream server; the specification lets a
#: receiver treat the combinations it does not support as UNSPEC (the real
#: connection's addresses).
_V2_FAMILIES: dict[int, tuple[str, int]] = {
    0x00: ("UNSPEC", 0),
    0x11: ("TCP over IPv4", 12),
    0x12: ("UDP over IPv4", 12),
    0x21: ("TCP over IPv6", 36),
    0x22: ("UDP over IPv6", 36),
    0x31: ("UNIX stream", 216),
    0x32: ("UNIX datagram", 216),
}

_V1_PORT = re.compile(rb"0|[1-9][0-9]{0,4}")
_V1_IPV4 = re.compile(rb"[0-9.]{7,15}")
# Hex digits and colons, and dots for an embedded IPv4 address (as in the
# IPv4-mapped ::ffff:192.0.2.1); no "%zone".
_V1_IPV6 = re.compile(rb"[0-9A-Fa-f:.]{2,45}")

ProxyAddress = IPv4Address | IPv6Address | UNIXAddress


class InvalidProxyHeader(ValueError):
    """
    What the peer sent is no valid PROXY protocol header; the message says
    what is wrong (peer bytes appear only as short escaped excerpts).
    """


@dataclass(frozen=True)
class ProxyInfo:
    """
    A parsed PROXY header.

    @ivar version: 1 (text) or 2 (binary).
    @ivar local: a version 2 LOCAL command: the balancer's own connection
        (a health check), not a relayed one.
    @ivar source: the client's address, or C{None} where the header gives
        none (LOCAL, v1 UNKNOWN, v2 UNSPEC and the datagram families): the
        real connection's addresses apply then.
    @ivar destination: the address the client connected to, or C{None}
        likewise.
    """

    version: int
    local: bool
    source: ProxyAddress | None
    destination: ProxyAddress | None


def _excerpt(data: bytes | bytearray, size: int = 24) -> str:
    """
    A short, escaped excerpt of peer bytes, for error messages (and so the
    log): never more than C{size} bytes, never a raw control character.
    """
    text = repr(bytes(data[:size]))
    return text + ("..." if len(data) > size else "")


def parseProxyHeader(
    data: bytes | bytearray, maxV2Length: int = V2_MAX_LENGTH
) -> tuple[ProxyInfo, int] | None:
    """
    Parse the PROXY header at the start of C{data}.

    Every prefix of a valid header gives C{None}, and everything that can
    no longer become one raises at once: a TLS ClientHello at the first
    byte, a bad v2 version at the 13th, a too long v2 length at the 16th.

    @param maxV2Length: the largest v2 length field accepted (see
        L{V2_MAX_LENGTH}).
    @return: the header and its length in bytes (what follows it is the
        connection's data), or C{None} if C{data} is a proper prefix of a
        header: more bytes are needed.
    @raise InvalidProxyHeader: C{data} does not start with a valid header.
    """
    if not data:
        return None
    first = data[0]
    if first == _V1_PREFIX[0]:
        return _parseV1(data)
    if first == V2_SIGNATURE[0]:
        return _parseV2(data, maxV2Length)
    if first == 0x16:
        raise InvalidProxyHeader(
            "no PROXY header: a TLS handshake record (a client connecting directly, "
            "not through the proxy?)"
        )
    raise InvalidProxyHeader(f"no PROXY header: the connection starts with {_excerpt(data)}")


def _parseV1(data: bytes | bytearray) -> tuple[ProxyInfo, int] | None:
    n = min(len(data), len(_V1_PREFIX))
    if data[:n] != _V1_PREFIX[:n]:
        raise InvalidProxyHeader(f"no PROXY header: the connection starts with {_excerpt(data)}")
    end = data.find(b"\n", 0, V1_MAX_LENGTH)
    if end < 0:
        if len(data) >= V1_MAX_LENGTH:
            raise InvalidProxyHeader(
                f"PROXY v1: no CRLF in the first {V1_MAX_LENGTH} bytes, the longest line allowed"
            )
        return None
    if data[end - 1] != 0x0D:
        raise InvalidProxyHeader("PROXY v1: the line ends in a bare LF, not CRLF")
    return _v1Info(bytes(data[len(_V1_PREFIX) : end - 1])), end + 1


def _v1Info(line: bytes) -> ProxyInfo:
    """
    The fields after C{"PROXY "}, without the CRLF.
    """
    protocol, _, rest = line.partition(b" ")
    if protocol == b"UNKNOWN":
        # "The receiver must ignore anything presented before the CRLF."
        return ProxyInfo(1, False, None, None)
    if protocol not in (b"TCP4", b"TCP6"):
        raise InvalidProxyHeader(f"PROXY v1: unknown protocol {_excerpt(protocol, 8)}")
    fields = rest.split(b" ")
    if len(fields) != 4:
        raise InvalidProxyHeader(
            f"PROXY v1: {protocol.decode()} needs source and destination addresses and "
            f"ports separated by single spaces, not {_excerpt(rest, 48)}"
        )
    sourceHost, destinationHost, sourcePort, destinationPort = fields
    if protocol == b"TCP4":
        return ProxyInfo(
            1,
            False,
            IPv4Address("TCP", _v1IPv4(sourceHost), _v1Port(sourcePort)),
            IPv4Address("TCP", _v1IPv4(destinationHost), _v1Port(destinationPort)),
        )
    return ProxyInfo(
        1,
        False,
        IPv6Address("TCP", _v1IPv6(sourceHost), _v1Port(sourcePort)),
        IPv6Address("TCP", _v1IPv6(destinationHost), _v1Port(destinationPort)),
    )


def _v1IPv4(text: bytes) -> str:
    # ipaddress refuses leading zeros (octal-looking), as the specification
    # does; the pattern states the alphabet rather than trusting the
    # library's notion of a digit.
    if _V1_IPV4.fullmatch(text):
        try:
            return str(ipaddress.IPv4Address(text.decode("ascii")))
        except ValueError:
            pass
    raise InvalidProxyHeader(f"PROXY v1: {_excerpt(text, 16)} is no IPv4 address")


def _v1IPv6(text: bytes) -> str:
    if _V1_IPV6.fullmatch(text):
        try:
            return _ipv6Text(ipaddress.IPv6Address(text.decode("ascii")).packed)
        except ValueError:
            pass
    raise InvalidProxyHeader(f"PROXY v1: {_excerpt(text, 46)} is no IPv6 address")


def _v1Port(text: bytes) -> int:
    # Decimal digits only (int() would also take "+1", " 1", "1_0" and
    # non-ASCII digits), no leading zeros, as the specification says.
    if _V1_PORT.fullmatch(text) and int(text) <= 0xFFFF:
        return int(text)
    raise InvalidProxyHeader(f"PROXY v1: {_excerpt(text, 8)} is no port number")


def _parseV2(data: bytes | bytearray, maxLength: int) -> tuple[ProxyInfo, int] | None:
    n = min(len(data), len(V2_SIGNATURE))
    if data[:n] != V2_SIGNATURE[:n]:
        raise InvalidProxyHeader(f"no PROXY header: the connection starts with {_excerpt(data)}")
    if len(data) <= 12:
        return None
    version, command = data[12] >> 4, data[12] & 0x0F
    if version != 2:
        raise InvalidProxyHeader(f"PROXY v2: version {version} in the version byte, not 2")
    if command not in (_LOCAL, _PROXY):
        raise InvalidProxyHeader(f"PROXY v2: unknown command {command} (0 LOCAL, 1 PROXY)")
    if len(data) <= 13:
        return None
    family = data[13]
    # LOCAL: "discard the protocol block including the family which is
    # ignored"; the family is checked for relayed connections only.
    if command == _PROXY and family not in _V2_FAMILIES:
        raise InvalidProxyHeader(f"PROXY v2: unknown address family and protocol 0x{family:02x}")
    if len(data) < V2_HEADER_LENGTH:
        return None
    length = int.from_bytes(data[14:16], "big")
    if length > maxLength:
        raise InvalidProxyHeader(
            f"PROXY v2: a {length}-byte address block, more than the {maxLength} accepted"
        )
    if command == _PROXY:
        name, needed = _V2_FAMILIES[family]
        if length < needed:
            raise InvalidProxyHeader(
                f"PROXY v2: a {length}-byte address block, too short for {name} ({needed} bytes)"
            )
    total = V2_HEADER_LENGTH + length
    if len(data) < total:
        return None
    if command == _LOCAL:
        return ProxyInfo(2, True, None, None), total
    # What follows the addresses is TLVs, skipped unread: nothing in them
    # changes the addresses, and a CRC32C over a connection from our own
    # balancer would only repeat TCP's checksum.
    block = bytes(data[V2_HEADER_LENGTH:total])
    source, destination = _v2Addresses(family, block)
    return ProxyInfo(2, False, source, destination), total


def _v2Addresses(family: int, block: bytes) -> tuple[ProxyAddress | None, ProxyAddress | None]:
    if family == 0x11:
        return (
            IPv4Address("TCP", str(ipaddress.IPv4Address(block[0:4])), _port(block[8:10])),
            IPv4Address("TCP", str(ipaddress.IPv4Address(block[4:8])), _port(block[10:12])),
        )
    if family == 0x21:
        return (
            IPv6Address("TCP", _ipv6Text(block[0:16]), _port(block[32:34])),
            IPv6Address("TCP", _ipv6Text(block[16:32]), _port(block[34:36])),
        )
    if family == 0x31:
        return UNIXAddress(_unixPath(block[0:108])), UNIXAddress(_unixPath(block[108:216]))
    return None, None


def _ipv6Text(packed: bytes) -> str:
    """
    An IPv6 address as Twisted reports a socket's (the C library's
    C{inet_ntop}: lowercase, zeros compressed, C{::ffff:127.0.0.1} for a
    mapped IPv4 address), so that a client looks the same whether its
    address came from a header or from a socket, and whichever spelling
    the balancer chose.  (C{str(ipaddress.IPv6Address)} spells mapped
    addresses differently before Python 3.13.)
    """
    return socket.inet_ntop(socket.AF_INET6, packed)


def _port(data: bytes) -> int:
    return int.from_bytes(data, "big")


def _unixPath(field: bytes) -> bytes | None:
    """
    A C{sun_path}: a NUL-terminated path, or (Linux) a NUL and then an
    abstract name, NUL-padded here; C{None} for an unnamed socket.
    """
    if field[:1] == b"\x00":
        return field.rstrip(b"\x00") or None
    return field.split(b"\x00", 1)[0]


class ProxyHeaderParser:
    """
    Collects a connection's first bytes, in whatever pieces they arrive,
    until they hold a whole PROXY header (or cannot become one).

    @ivar _buffer: the bytes so far; never more than the longest header
        accepted (the parser raises before it would grow beyond).
    @ivar _done: a header was returned, or refused: the parser is used up.
    """

    def __init__(self, maxV2Length: int = V2_MAX_LENGTH) -> None:
        self._maxV2Length = maxV2Length
        self._buffer = bytearray()
        self._done = False

    def feed(self, data: bytes) -> tuple[ProxyInfo, bytes] | None:
        """
        Add C{data}.

        @return: the header and the bytes that followed it (the start of
            the connection's own data, possibly empty) once it is complete;
            C{None} while more bytes are needed.
        @raise InvalidProxyHeader: the bytes so far cannot start a valid
            header.  The parser is of no further use then.
        @raise RuntimeError: called again after returning the header or
            raising (the caller's bug: what follows the header belongs to
            the next protocol, and a refused connection is to be closed).
        """
        if self._done:
            raise RuntimeError("this parser already returned or refused a header")
        buffer = self._buffer
        buffer += data
        try:
            result = parseProxyHeader(buffer, self._maxV2Length)
        except InvalidProxyHeader:
            self._done = True
            self._buffer = bytearray()
            raise
        if result is None:
            # Bounded: a prefix is shorter than the longest header accepted.
            return None
        self._done = True
        info, length = result
        rest = bytes(buffer[length:])
        self._buffer = bytearray()
        return info, rest


class _ProxyProtocolWrapper(Protocol):
    """
    Reads the PROXY header off a new connection, then builds the wrapped
    factory's protocol (given the client's address) and is its transport:
    every byte after the header goes to it, and everything it asks of its
    transport goes to the real one, except C{getPeer} and C{getHost}, which
    answer from the header.

    The wrapped protocol is built only once the header is in, so that a
    connection without a valid one never reaches it (no TLS is spoken, no
    handshake timer starts), and its factory's C{buildProtocol} gets the
    real client's address like everything after it.

    @ivar _parser: collects the header; C{None} once it is parsed or was
        refused.
    @ivar _info: the header, once parsed.
    @ivar _wrapped: the wrapped protocol, once built.
    @ivar _timer: closes the connection if the header is not in within
        C{factory.timeout} seconds.
    @ivar _closing: we or the wrapped protocol asked to close; what the
        header's read brought after it is then not delivered, as TCP reads
        nothing more after C{loseConnection}.
    """

    _log = Logger()
    factory: ProxyProtocolFactory
    transport: Any
    disconnecting = False

    def __init__(self, factory: ProxyProtocolFactory) -> None:
        self.factory = factory
        self._parser: ProxyHeaderParser | None = ProxyHeaderParser()
        self._info: ProxyInfo | None = None
        self._wrapped: Any = None
        self._timer: IDelayedCall | None = None
        self._closing = False

    @property
    def proxyInfo(self) -> ProxyInfo | None:
        """
        The PROXY header (C{None} until it is in).  The application reaches
        it as C{transport.proxyInfo} through our TLS transport, which
        passes unknown attributes down.
        """
        return self._info

    @property
    def wrappedProtocol(self) -> Any:
        """
        The protocol above us, once the header is in (C{None} before).
        """
        return self._wrapped

    # --- as the TCP connection's protocol ------------------------------------

    def makeConnection(self, transport: Any) -> None:
        # As Twisted's ProtocolWrapper: we stand for the TCP transport, so
        # we provide what it provides (ITCPTransport, ISystemHandle, ...);
        # our TLS transport checks ITCPTransport before half-closing.
        directlyProvides(self, providedBy(transport))
        super().makeConnection(transport)

    def connectionMade(self) -> None:
        timeout = self.factory.timeout
        if timeout is not None:
            self._timer = self.factory.clock.callLater(timeout, self._timedOut)

    def dataReceived(self, data: bytes) -> None:
        wrapped = self._wrapped
        if wrapped is not None:
            wrapped.dataReceived(data)
            return
        parser = self._parser
        if parser is None:
            return  # refused, and closing: nothing more is read
        try:
            result = parser.feed(data)
        except InvalidProxyHeader as e:
            self._refuse(str(e))
            return
        if result is None:
            return
        self._parser = None
        self._cancelTimer()
        self._info, rest = result
        self._startWrapped(rest)

    def _startWrapped(self, rest: bytes) -> None:
        info = self._info
        assert info is not None
        peer = info.source if info.source is not None else self.transport.getPeer()
        wrapped = self.factory.wrappedFactory.buildProtocol(peer)
        if wrapped is None:
            # The factory refuses the connection, as it would without us.
            self._closing = True
            self.transport.loseConnection()
            return
        self._wrapped = wrapped
        wrapped.makeConnection(self)
        if IHalfCloseableProtocol.providedBy(wrapped):
            # Only now, after the wrapped protocol copied what we provide
            # (as we copied TCP's): it must not claim to be half-closeable
            # on our say-so.  TCP asks at end-of-file, so this reaches it.
            alsoProvides(self, IHalfCloseableProtocol)
        if rest and not self._closing:
            wrapped.dataReceived(rest)

    def _refuse(self, reason: str) -> None:
        """
        No valid header: close, before any TLS.  Logged once per listener
        (a balancer that sends no header would fail every connection and
        the operator must hear of it; scanners reach such ports all day and
        must not fill the log).
        """
        self._parser = None
        self._cancelTimer()
        self.factory.refused(self.transport.getPeer(), reason)
        self._closing = True
        self.transport.loseConnection()

    def _timedOut(self) -> None:
        self._timer = None
        if self._parser is None:
            return
        self._parser = None
        self.factory.refused(
            self.transport.getPeer(), f"no PROXY header within {self.factory.timeout} seconds"
        )
        self._closing = True
        self.transport.loseConnection()

    def _cancelTimer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def readConnectionLost(self) -> None:
        # Provided (IHalfCloseableProtocol) only once the wrapped protocol,
        # half-closeable, is there.
        self._wrapped.readConnectionLost()

    def writeConnectionLost(self) -> None:
        self._wrapped.writeConnectionLost()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._parser = None
        self._cancelTimer()
        self.connected = False
        wrapped, self._wrapped = self._wrapped, None
        if wrapped is not None:
            wrapped.connectionLost(reason)

    def logPrefix(self) -> str:
        wrapped = self._wrapped
        if wrapped is None:
            return "PROXY header"
        prefix = getattr(wrapped, "logPrefix", None)
        inner = prefix() if callable(prefix) else wrapped.__class__.__name__
        return f"{inner} (PROXY)"

    # --- as the wrapped protocol's transport ---------------------------------

    def getPeer(self) -> IAddress:
        """
        The client's address from the header (the real peer's for LOCAL and
        UNKNOWN headers).
        """
        info = self._info
        if info is not None and info.source is not None:
            return info.source
        return self.transport.getPeer()

    def getHost(self) -> IAddress:
        """
        The address the client connected to, from the header (ours for
        LOCAL and UNKNOWN headers).
        """
        info = self._info
        if info is not None and info.destination is not None:
            return info.destination
        return self.transport.getHost()

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    def writeSequence(self, data: Any) -> None:
        self.transport.writeSequence(data)

    def loseConnection(self) -> None:
        self.disconnecting = True
        self._closing = True
        self.transport.loseConnection()

    def loseWriteConnection(self) -> None:
        self.transport.loseWriteConnection()

    def abortConnection(self) -> None:
        self.disconnecting = True
        self._closing = True
        self.transport.abortConnection()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self.transport.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        self.transport.unregisterProducer()

    def pauseProducing(self) -> None:
        self.transport.pauseProducing()

    def resumeProducing(self) -> None:
        self.transport.resumeProducing()

    def stopProducing(self) -> None:
        self.transport.stopProducing()

    def getHandle(self) -> Any:
        return self.transport.getHandle()

    def getTcpNoDelay(self) -> bool:
        return bool(self.transport.getTcpNoDelay())

    def setTcpNoDelay(self, enabled: bool) -> None:
        self.transport.setTcpNoDelay(enabled)

    def getTcpKeepAlive(self) -> bool:
        return bool(self.transport.getTcpKeepAlive())

    def setTcpKeepAlive(self, enabled: bool) -> None:
        self.transport.setTcpKeepAlive(enabled)

    def __getattr__(self, name: str) -> Any:
        # Whatever else the real transport offers (as ProtocolWrapper does).
        # Only reached for names we lack; "transport" itself is a class
        # attribute of Protocol, so this cannot recurse.
        return getattr(self.transport, name)

    def __repr__(self) -> str:
        return f"<PROXY protocol wrapper of {self._wrapped!r}>"


_log = Logger()


class ProxyProtocolFactory(ServerFactory[_ProxyProtocolWrapper]):
    """
    Wraps a server factory so that each connection first reads a PROXY
    header (v1 or v2) in plaintext, and its protocol then sees the client's
    address from the header in C{transport.getPeer()} (and the address the
    client connected to in C{getHost()}).  Wrap the TLS factory, so that
    the header is read before TLS::

        ProxyProtocolFactory(TLSFactory(options, False, applicationFactory))

    A connection without a valid header, or whose header does not arrive
    within C{timeout} seconds, is closed (a line at debug level).  LOCAL
    headers (HAProxy's health checks) and v1 UNKNOWN are accepted with the
    real connection's addresses.

    @ivar wrappedFactory: the factory whose protocols run after the header.
    @ivar clock: the reactor's clock, injectable for tests.
    @ivar timeout: seconds for the header to arrive (C{None}: no limit).
    """

    def __init__(
        self,
        wrappedFactory: Any,
        clock: IReactorTime | None = None,
        timeout: float | None = DEFAULT_HEADER_TIMEOUT,
    ) -> None:
        if timeout is not None and not timeout > 0:
            raise ValueError(
                f"timeout must be a positive number of seconds or None, not {timeout}"
            )
        self.wrappedFactory = wrappedFactory
        if clock is None:
            from twisted.internet import reactor

            clock = reactor
        self.clock: Any = clock
        self.timeout = timeout

    _warned = False

    def refused(self, peer: IAddress, reason: object) -> None:
        """
        A connection came without a valid PROXY header: say so the first
        time only.
        """
        if self._warned:
            return
        self._warned = True
        _log.warn(
            "PROXY header refused from {peer}: {reason}.  Connections to a proxyProtocol=yes "
            "listener must come through the load balancer, configured to send a PROXY "
            "header (HAProxy send-proxy-v2, nginx proxy_protocol on); such refusals are "
            "logged only this once.",
            peer=peer,
            reason=str(reason),
        )

    def buildProtocol(self, addr: IAddress | None) -> _ProxyProtocolWrapper:
        return _ProxyProtocolWrapper(self)

    def doStart(self) -> None:
        self.wrappedFactory.doStart()
        super().doStart()

    def doStop(self) -> None:
        self.wrappedFactory.doStop()
        super().doStop()

    def logPrefix(self) -> str:
        prefix = getattr(self.wrappedFactory, "logPrefix", None)
        inner = prefix() if callable(prefix) else self.wrappedFactory.__class__.__name__
        return f"{inner} (PROXY)"


@implementer(IStreamServerEndpoint)
class _ProxyProtocolEndpoint:
    def __init__(
        self, wrapped: IStreamServerEndpoint, clock: IReactorTime | None, timeout: float | None
    ) -> None:
        self._wrapped = wrapped
        self._clock = clock
        self._timeout = timeout

    def listen(self, protocolFactory: Any) -> Deferred[Any]:
        return self._wrapped.listen(
            ProxyProtocolFactory(protocolFactory, self._clock, self._timeout)
        )


def proxyProtocolEndpoint(
    wrappedEndpoint: IStreamServerEndpoint,
    clock: IReactorTime | None = None,
    timeout: float | None = DEFAULT_HEADER_TIMEOUT,
) -> IStreamServerEndpoint:
    """
    An endpoint whose connections start with a PROXY header: give it to
    L{twisted_reneg.endpoints.wrapServerTLS} so that the header is read
    before TLS, C{wrapServerTLS(options, proxyProtocolEndpoint(tcp))}.
    See L{ProxyProtocolFactory}.
    """
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds or None, not {timeout}")
    return _ProxyProtocolEndpoint(wrappedEndpoint, clock, timeout)
