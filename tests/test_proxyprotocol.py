# -*- test-case-name: tests.test_proxyprotocol -*-
"""
The PROXY protocol reader below our TLS: the sans-IO parser (v1 and v2,
every split of the input, every malformation it must refuse, hypothesis
properties), and the wrapper on a StringTransport with a fake clock
(addresses, timeout, closing on a bad header, the bytes after the header),
then under our TLS on iosim.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.interfaces import (
    IHalfCloseableProtocol,
    IPushProducer,
    ISSLTransport,
    ITCPTransport,
)
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.protocols.policies import ProtocolWrapper, WrappingFactory
from twisted.python.failure import Failure
from twisted.test.iosim import FakeTransport, connect
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from twisted_reneg import ClientOptions, ServerOptions, TLSFactory
from twisted_reneg._proxyprotocol import (
    DEFAULT_HEADER_TIMEOUT,
    V1_MAX_LENGTH,
    V2_MAX_LENGTH,
    V2_SIGNATURE,
    InvalidProxyHeader,
    ProxyHeaderParser,
    ProxyInfo,
    ProxyProtocolFactory,
    parseProxyHeader,
    proxyProtocolEndpoint,
)
from twisted_reneg.testing.pki import cachedPKI

from ._timers import clockNow

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: The start of a TLS ClientHello record, as a client reaching us directly
#: would send it.
CLIENT_HELLO = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(32))

# --- building headers (the tests' own encoder) ---------------------------------


def v1(*fields: str) -> bytes:
    return ("PROXY " + " ".join(fields) + "\r\n").encode("ascii")


def v2(command: int, family: int, block: bytes, length: int | None = None) -> bytes:
    """
    A version 2 header: C{command} 0 (LOCAL) or 1 (PROXY), the family and
    protocol byte, the address block (TLVs included), and the length field
    (that of C{block} unless given).
    """
    if length is None:
        length = len(block)
    return V2_SIGNATURE + bytes([0x20 | command, family]) + struct.pack("!H", length) + block


def ipv4Block(source: str, destination: str, sourcePort: int, destinationPort: int) -> bytes:
    return (
        socket.inet_pton(socket.AF_INET, source)
        + socket.inet_pton(socket.AF_INET, destination)
        + struct.pack("!HH", sourcePort, destinationPort)
    )


def ipv6Block(source: str, destination: str, sourcePort: int, destinationPort: int) -> bytes:
    return (
        socket.inet_pton(socket.AF_INET6, source)
        + socket.inet_pton(socket.AF_INET6, destination)
        + struct.pack("!HH", sourcePort, destinationPort)
    )


def unixBlock(source: bytes, destination: bytes) -> bytes:
    return source.ljust(108, b"\x00") + destination.ljust(108, b"\x00")


def tlv(kind: int, value: bytes) -> bytes:
    return bytes([kind]) + struct.pack("!H", len(value)) + value


def tcp4(host: str, port: int) -> IPv4Address:
    return IPv4Address("TCP", host, port)


def tcp6(host: str, port: int) -> IPv6Address:
    return IPv6Address("TCP", host, port)


#: Valid headers and what they say, for the tests that split them.
SAMPLES: list[tuple[bytes, ProxyInfo]] = [
    (
        v1("TCP4", "192.0.2.1", "198.51.100.2", "56324", "443"),
        ProxyInfo(1, False, tcp4("192.0.2.1", 56324), tcp4("198.51.100.2", 443)),
    ),
    (
        v1("TCP6", "2001:db8::1", "2001:db8::2", "1", "65535"),
        ProxyInfo(1, False, tcp6("2001:db8::1", 1), tcp6("2001:db8::2", 65535)),
    ),
    (b"PROXY UNKNOWN\r\n", ProxyInfo(1, False, None, None)),
    (
        v2(1, 0x11, ipv4Block("203.0.113.7", "10.0.0.1", 40000, 8443)),
        ProxyInfo(2, False, tcp4("203.0.113.7", 40000), tcp4("10.0.0.1", 8443)),
    ),
    (
        v2(1, 0x21, ipv6Block("2001:db8::7", "::1", 0, 443)),
        ProxyInfo(2, False, tcp6("2001:db8::7", 0), tcp6("::1", 443)),
    ),
    (
        v2(1, 0x31, unixBlock(b"/run/client.sock", b"/run/haproxy.sock")),
        ProxyInfo(2, False, UNIXAddress(b"/run/client.sock"), UNIXAddress(b"/run/haproxy.sock")),
    ),
    (v2(0, 0x00, b""), ProxyInfo(2, True, None, None)),
    (
        v2(1, 0x11, ipv4Block("192.0.2.9", "192.0.2.10", 1, 2) + tlv(0x05, b"id" * 64)),
        ProxyInfo(2, False, tcp4("192.0.2.9", 1), tcp4("192.0.2.10", 2)),
    ),
]


def parsed(data: bytes) -> tuple[ProxyInfo, int]:
    result = parseProxyHeader(data)
    assert result is not None, f"{data!r} is incomplete"
    return result


class V1Tests(SynchronousTestCase):
    """
    The text format.
    """

    def test_tcp4(self) -> None:
        header = v1("TCP4", "192.0.2.1", "198.51.100.2", "56324", "443")
        self.assertEqual(parsed(header), (SAMPLES[0][1], len(header)))

    def test_tcp6(self) -> None:
        """
        Any spelling of an IPv6 address comes out the way Twisted spells a
        socket's, IPv4-mapped ones included.
        """
        header = v1("TCP6", "2001:DB8:0:0:0:0:0:1", "::FFFF:127.0.0.1", "1", "2")
        info, _ = parsed(header)
        self.assertEqual(info.source, tcp6("2001:db8::1", 1))
        self.assertEqual(info.destination, tcp6("::ffff:127.0.0.1", 2))

    def test_unknown(self) -> None:
        """
        UNKNOWN: the real connection's addresses; whatever follows on the
        line is ignored, as the specification requires.
        """
        for header in (
            b"PROXY UNKNOWN\r\n",
            b"PROXY UNKNOWN ffff:f::1 ffff:f::2 65535 65535\r\n",
            b"PROXY UNKNOWN anything \x00 at all\r\n",
        ):
            self.assertEqual(parsed(header), (ProxyInfo(1, False, None, None), len(header)))

    def test_longestLine(self) -> None:
        """
        The specification's worst case, 107 bytes with the CRLF, parses; a
        line one byte longer is refused as soon as its 107th byte is in.
        """
        address = ":".join(["ffff"] * 8)
        longest = v1("UNKNOWN", address, address, "65535", "65535")
        self.assertEqual(len(longest), V1_MAX_LENGTH)
        self.assertEqual(parsed(longest)[1], V1_MAX_LENGTH)
        tooLong = longest[:-2] + b" \r\n"
        self.assertIsNone(parseProxyHeader(tooLong[: V1_MAX_LENGTH - 1]))
        with self.assertRaises(InvalidProxyHeader) as caught:
            parseProxyHeader(tooLong[:V1_MAX_LENGTH])
        self.assertIn("no CRLF in the first 107 bytes", str(caught.exception))

    def test_refused(self) -> None:
        """
        Each malformation is refused, and the reason says what is wrong.
        """
        cases = [
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "bare LF"),
            (b"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "no PROXY header"),
            (b"PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "unknown protocol"),
            (b"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "unknown protocol"),
            (b"PROXY UNKNOWNX\r\n", "unknown protocol"),
            (b"PROXY \r\n", "unknown protocol"),
            (b"PROXY TCP4\r\n", "single spaces"),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "single spaces"),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "single spaces"),
            (b"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "single spaces"),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "single spaces"),
            (b"PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", "single spaces"),
            (b"PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "no IPv4 address"),
            (b"PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "no IPv4 address"),
            (b"PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", "no IPv4 address"),
            (b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "no IPv4 address"),
            (b"PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "no IPv6 address"),
            (b"PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", "no IPv6 address"),
            (b"PROXY TCP6 1::2::3 ::1 1 2\r\n", "no IPv6 address"),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", "no port number"),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", "no port number"),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", "no port number"),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", "no port number"),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 1_0 2\r\n", "no port number"),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 ١ 2\r\n".encode(), "no port number"),
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", "no port number"),
        ]
        for data, reason in cases:
            with self.assertRaises(InvalidProxyHeader, msg=data) as caught:
                parseProxyHeader(data)
            self.assertIn(reason, str(caught.exception), data)


class V2Tests(SynchronousTestCase):
    """
    The binary format.
    """

    def test_ipv4(self) -> None:
        header, info = SAMPLES[3]
        self.assertEqual(parsed(header), (info, 28))

    def test_ipv6(self) -> None:
        header, info = SAMPLES[4]
        self.assertEqual(parsed(header), (info, 52))

    def test_ipv4MappedIPv6(self) -> None:
        header = v2(1, 0x21, ipv6Block("::ffff:192.0.2.1", "::ffff:192.0.2.2", 1, 2))
        info, _ = parsed(header)
        self.assertEqual(info.source, tcp6("::ffff:192.0.2.1", 1))

    def test_unix(self) -> None:
        header, info = SAMPLES[5]
        self.assertEqual(parsed(header), (info, 16 + 216))

    def test_unixAbstractAndUnnamed(self) -> None:
        """
        A Linux abstract name keeps its leading NUL; an unnamed socket (all
        NULs) has no name.
        """
        info, _ = parsed(v2(1, 0x31, unixBlock(b"\x00haproxy", b"")))
        self.assertEqual(info.source, UNIXAddress(b"\x00haproxy"))
        self.assertEqual(info.destination, UNIXAddress(None))

    def test_unixPathEndsAtNUL(self) -> None:
        block = (b"/run/a\x00junk").ljust(108, b"\x00") + b"/run/b".ljust(108, b"\x00")
        info, _ = parsed(v2(1, 0x31, block))
        self.assertEqual(info.source, UNIXAddress(b"/run/a"))

    def test_local(self) -> None:
        """
        LOCAL (health checks): the real connection's addresses, whatever
        the family byte and the block say; the block is skipped.
        """
        for family, block in (
            (0x00, b""),
            (0x11, ipv4Block("1.1.1.1", "2.2.2.2", 1, 2)),
            (0xFF, b"xyz"),
        ):
            header = v2(0, family, block)
            self.assertEqual(
                parsed(header + b"rest"), (ProxyInfo(2, True, None, None), len(header))
            )

    def test_unspec(self) -> None:
        """
        PROXY with UNSPEC: the real connection's addresses (with or without
        a block, which is skipped).
        """
        for block in (b"", b"\x01" * 20):
            header = v2(1, 0x00, block)
            self.assertEqual(parsed(header), (ProxyInfo(2, False, None, None), len(header)))

    def test_datagramFamiliesFallBackToUnspec(self) -> None:
        """
        UDP and UNIX datagrams cannot reach a stream server; the
        specification lets a receiver treat combinations it does not
        support as UNSPEC.
        """
        for family, block in (
            (0x12, ipv4Block("1.1.1.1", "2.2.2.2", 1, 2)),
            (0x22, ipv6Block("::1", "::2", 1, 2)),
            (0x32, unixBlock(b"/a", b"/b")),
        ):
            info, _ = parsed(v2(1, family, block))
            self.assertEqual(info, ProxyInfo(2, False, None, None))

    def test_tlvsSkipped(self) -> None:
        """
        TLVs after the addresses (ALPN, authority, CRC32C, NOOP, unique ID,
        SSL, AWS's VPC endpoint ID) are skipped; what follows is data.
        """
        tlvs = (
            tlv(0x01, b"h2")
            + tlv(0x02, b"example.com")
            + tlv(0x03, b"\x00\x00\x00\x00")
            + tlv(0x04, b"")
            + tlv(0x05, b"u" * 128)
            + tlv(0x20, b"\x07\x00\x00\x00\x00" + tlv(0x21, b"TLSv1.3") + tlv(0x22, b"client"))
            + tlv(0xEA, b"\x01vpce-0123456789abcdef")
        )
        header = v2(1, 0x11, ipv4Block("192.0.2.1", "192.0.2.2", 1, 2) + tlvs)
        info, length = parsed(header + CLIENT_HELLO)
        self.assertEqual(info.source, tcp4("192.0.2.1", 1))
        self.assertEqual(length, len(header))

    def test_longestAccepted(self) -> None:
        header = v2(1, 0x31, unixBlock(b"/a", b"/b") + tlv(0x04, b"\x00" * (V2_MAX_LENGTH - 219)))
        self.assertEqual(len(header), 16 + V2_MAX_LENGTH)
        self.assertEqual(parsed(header)[1], 16 + V2_MAX_LENGTH)

    def test_tooLongRefusedAtOnce(self) -> None:
        """
        A length over the limit is refused when the length field is in,
        not after buffering that much.
        """
        header = v2(1, 0x11, b"", length=V2_MAX_LENGTH + 1)
        with self.assertRaises(InvalidProxyHeader) as caught:
            parseProxyHeader(header)
        self.assertIn(f"more than the {V2_MAX_LENGTH} accepted", str(caught.exception))
        self.assertIsNone(parseProxyHeader(header, maxV2Length=V2_MAX_LENGTH + 1))
        with self.assertRaises(InvalidProxyHeader):
            parseProxyHeader(v2(0, 0x00, b"", length=0xFFFF))

    def test_tooShortForFamily(self) -> None:
        for family, needed, name in (
            (0x11, 12, "TCP over IPv4"),
            (0x12, 12, "UDP over IPv4"),
            (0x21, 36, "TCP over IPv6"),
            (0x22, 36, "UDP over IPv6"),
            (0x31, 216, "UNIX stream"),
            (0x32, 216, "UNIX datagram"),
        ):
            header = v2(1, family, b"\x00" * (needed - 1))
            with self.assertRaises(InvalidProxyHeader) as caught:
                parseProxyHeader(header[:16])
            self.assertIn(f"too short for {name} ({needed} bytes)", str(caught.exception))

    def test_badSignature(self) -> None:
        for at in range(12):
            header = bytearray(SAMPLES[3][0])
            header[at] ^= 0x40
            with self.assertRaises(InvalidProxyHeader) as caught:
                parseProxyHeader(bytes(header[: at + 1]))
            self.assertIn("no PROXY header", str(caught.exception))

    def test_badVersion(self) -> None:
        for version in (0x0, 0x1, 0x3, 0xF):
            header = V2_SIGNATURE + bytes([version << 4 | 1])
            with self.assertRaises(InvalidProxyHeader) as caught:
                parseProxyHeader(header)
            self.assertIn(f"version {version}", str(caught.exception))

    def test_badCommand(self) -> None:
        for command in range(2, 16):
            with self.assertRaises(InvalidProxyHeader) as caught:
                parseProxyHeader(V2_SIGNATURE + bytes([0x20 | command]))
            self.assertIn(f"unknown command {command}", str(caught.exception))

    def test_badFamily(self) -> None:
        defined = {0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32}
        for family in set(range(256)) - defined:
            with self.assertRaises(InvalidProxyHeader) as caught:
                parseProxyHeader(V2_SIGNATURE + bytes([0x21, family]))
            self.assertIn(f"0x{family:02x}", str(caught.exception))


class GarbageTests(SynchronousTestCase):
    """
    What is not a PROXY header is refused at the first byte that shows it.
    """

    def test_empty(self) -> None:
        self.assertIsNone(parseProxyHeader(b""))

    def test_tlsClientHello(self) -> None:
        with self.assertRaises(InvalidProxyHeader) as caught:
            parseProxyHeader(CLIENT_HELLO[:1])
        self.assertIn("TLS handshake record", str(caught.exception))

    def test_other(self) -> None:
        for data in (b"GET / HTTP/1.1\r\n", b"\x00", b"SSH-2.0-OpenSSH\r\n", b"\r\n\r\nX"):
            with self.assertRaises(InvalidProxyHeader) as caught:
                parseProxyHeader(data)
            self.assertIn("no PROXY header", str(caught.exception))

    def test_excerptEscaped(self) -> None:
        """
        Peer bytes in the reason are short and escaped: a log line cannot
        be forged or flooded through it.
        """
        with self.assertRaises(InvalidProxyHeader) as caught:
            parseProxyHeader(b"X\r\nfake log line\x1b[31m" + b"A" * 1000)
        reason = str(caught.exception)
        self.assertNotIn("\n", reason)
        self.assertNotIn("\x1b", reason)
        self.assertLess(len(reason), 120)


class SplitTests(SynchronousTestCase):
    """
    The header arrives in any pieces (Twisted's own wrapper refuses a
    first read shorter than 16 bytes).
    """

    def test_everyPrefixIsIncomplete(self) -> None:
        for header, _ in SAMPLES:
            for end in range(len(header)):
                self.assertIsNone(parseProxyHeader(header[:end]), header[:end])

    def test_oneByteAtATime(self) -> None:
        for header, info in SAMPLES:
            parser = ProxyHeaderParser()
            data = header + CLIENT_HELLO
            for i in range(len(header) - 1):
                self.assertIsNone(parser.feed(data[i : i + 1]))
            self.assertEqual(parser.feed(data[len(header) - 1 : len(header)]), (info, b""))

    def test_everyTwoWaySplit(self) -> None:
        for header, info in SAMPLES:
            data = header + CLIENT_HELLO
            for cut in range(len(data) + 1):
                parser = ProxyHeaderParser()
                first = parser.feed(data[:cut])
                if cut >= len(header):
                    self.assertEqual(first, (info, data[len(header) : cut]))
                else:
                    self.assertIsNone(first)
                    self.assertEqual(parser.feed(data[cut:]), (info, CLIENT_HELLO))

    def test_headerAndTLSInOneRead(self) -> None:
        for header, info in SAMPLES:
            self.assertEqual(ProxyHeaderParser().feed(header + CLIENT_HELLO), (info, CLIENT_HELLO))

    def test_parserUsedUp(self) -> None:
        """
        After a header or a refusal the parser takes nothing more: what
        follows belongs to the next protocol, or to nobody.
        """
        parser = ProxyHeaderParser()
        parser.feed(SAMPLES[0][0])
        self.assertRaises(RuntimeError, parser.feed, b"x")
        parser = ProxyHeaderParser()
        self.assertRaises(InvalidProxyHeader, parser.feed, b"x")
        self.assertRaises(RuntimeError, parser.feed, b"PROXY UNKNOWN\r\n")


# --- properties -----------------------------------------------------------------


def _prefixed(prefix: bytes) -> st.SearchStrategy[bytes]:
    return st.binary(max_size=300).map(lambda tail: prefix + tail)


#: Random input, most of it starting the way a header does so that the
#: parser gets past its first byte.
randomInput = st.one_of(
    st.binary(max_size=2000),
    _prefixed(b"PROXY "),
    _prefixed(b"PROXY TCP4 "),
    _prefixed(b"PROXY TCP6 "),
    st.tuples(st.sampled_from([0x20, 0x21]), st.integers(0, 255), st.binary(max_size=600)).map(
        lambda t: V2_SIGNATURE + bytes([t[0], t[1]]) + struct.pack("!H", len(t[2])) + t[2]
    ),
    st.tuples(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=40)).map(
        lambda t: V2_SIGNATURE + bytes(t[:2]) + t[2]
    ),
)

ipv4Text = st.ip_addresses(v=4).map(str)
ipv6Text = st.ip_addresses(v=6).map(str)
ports = st.integers(0, 0xFFFF)
tlvs = st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=120)), max_size=4).map(
    lambda items: b"".join(tlv(kind, value) for kind, value in items)
)


@st.composite
def validHeaders(draw: Any) -> tuple[bytes, ProxyInfo]:
    """
    A valid header of any kind, and what it says.
    """
    kind = draw(
        st.sampled_from(["v1-4", "v1-6", "v1-unknown", "v2-4", "v2-6", "v2-unix", "local"])
    )
    sourcePort, destinationPort = draw(ports), draw(ports)
    if kind in ("v1-4", "v2-4"):
        source, destination = draw(ipv4Text), draw(ipv4Text)
        info = ProxyInfo(
            1 if kind == "v1-4" else 2,
            False,
            tcp4(source, sourcePort),
            tcp4(destination, destinationPort),
        )
        if kind == "v1-4":
            return v1("TCP4", source, destination, str(sourcePort), str(destinationPort)), info
        block = ipv4Block(source, destination, sourcePort, destinationPort)
        return v2(1, 0x11, block + draw(tlvs)), info
    if kind in ("v1-6", "v2-6"):
        source, destination = draw(ipv6Text), draw(ipv6Text)
        normal = [
            socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, a))
            for a in (source, destination)
        ]
        info = ProxyInfo(
            1 if kind == "v1-6" else 2,
            False,
            tcp6(normal[0], sourcePort),
            tcp6(normal[1], destinationPort),
        )
        if kind == "v1-6":
            return v1("TCP6", source, destination, str(sourcePort), str(destinationPort)), info
        block = ipv6Block(source, destination, sourcePort, destinationPort)
        return v2(1, 0x21, block + draw(tlvs)), info
    if kind == "v2-unix":
        name = st.binary(min_size=1, max_size=107).filter(lambda b: b"\x00" not in b)
        source, destination = draw(name), draw(name)
        info = ProxyInfo(2, False, UNIXAddress(source), UNIXAddress(destination))
        return v2(1, 0x31, unixBlock(source, destination) + draw(tlvs)), info
    if kind == "v1-unknown":
        junk = draw(st.binary(max_size=90).filter(lambda b: b"\n" not in b))
        return b"PROXY UNKNOWN" + (b" " + junk if junk else b"") + b"\r\n", ProxyInfo(
            1, False, None, None
        )
    family = draw(st.integers(0, 255))
    return v2(0, family, draw(st.binary(max_size=300))), ProxyInfo(2, True, None, None)


class PropertyTests(SynchronousTestCase):
    @SETTINGS
    @given(randomInput)
    def test_randomInput(self, data: bytes) -> None:
        """
        Anything gives a header, a request for more bytes (never more than
        the longest header accepted), or InvalidProxyHeader: nothing else.
        """
        try:
            result = parseProxyHeader(data)
        except InvalidProxyHeader:
            return
        if result is None:
            self.assertLess(len(data), 16 + V2_MAX_LENGTH)
        else:
            info, length = result
            self.assertIsInstance(info, ProxyInfo)
            self.assertLessEqual(length, len(data))

    @SETTINGS
    @given(randomInput, st.lists(st.integers(0, 2000), max_size=5))
    def test_randomInputInPieces(self, data: bytes, cuts: list[int]) -> None:
        """
        Fed in pieces, the parser refuses (or accepts) the same input as
        whole, and buffers no more than the longest header meanwhile.
        """
        try:
            whole: Any = parseProxyHeader(data)
        except InvalidProxyHeader:
            whole = InvalidProxyHeader
        parser = ProxyHeaderParser()
        outcome: Any = None
        points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
        for start, end in zip(points, points[1:], strict=False):
            try:
                outcome = parser.feed(data[start:end])
            except InvalidProxyHeader:
                outcome = InvalidProxyHeader
            if outcome is not None:
                break
            self.assertLess(len(parser._buffer), 16 + V2_MAX_LENGTH)  # noqa: SLF001
        if whole is None or whole is InvalidProxyHeader:
            self.assertIs(outcome, whole)
        else:
            info, length = whole
            self.assertEqual(outcome, (info, data[length:]))

    @SETTINGS
    @given(validHeaders(), st.binary(max_size=64), st.lists(st.integers(0, 1000), max_size=4))
    def test_validHeaderAnySplit(
        self, header: tuple[bytes, ProxyInfo], after: bytes, cuts: list[int]
    ) -> None:
        """
        A valid header parses to what it says however it is split, and the
        bytes after it are handed back whole.
        """
        encoded, info = header
        data = encoded + after
        points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
        parser = ProxyHeaderParser()
        result = None
        for start, end in zip(points, points[1:], strict=False):
            result = parser.feed(data[start:end])
            if result is not None:
                rest = result[1] + data[end:]
                self.assertEqual((result[0], rest), (info, after))
                break
        self.assertIsNotNone(result)

    @SETTINGS
    @given(validHeaders(), st.data())
    def test_mutatedHeader(self, header: tuple[bytes, ProxyInfo], data: st.DataObject) -> None:
        """
        A valid header with bytes changed is parsed or refused, never
        anything else.
        """
        mutated = bytearray(header[0])
        for _ in range(data.draw(st.integers(1, 3))):
            at = data.draw(st.integers(0, len(mutated) - 1))
            mutated[at] = data.draw(st.integers(0, 255))
        try:
            parseProxyHeader(bytes(mutated))
        except InvalidProxyHeader:
            pass


# --- the wrapper ------------------------------------------------------------------


class Recorder(Protocol):
    """
    The wrapped protocol: remembers what happened to it.
    """

    def __init__(self) -> None:
        self.data = b""
        self.made = False
        self.lostReason: Failure | None = None

    def connectionMade(self) -> None:
        self.made = True

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.lostReason = reason


@implementer(IHalfCloseableProtocol)
class HalfCloser(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.halfClosed: list[str] = []

    def readConnectionLost(self) -> None:
        self.halfClosed.append("read")

    def writeConnectionLost(self) -> None:
        self.halfClosed.append("write")


class RecordingFactory(Factory):
    """
    Builds C{protocolClass} and remembers the addresses it was given.
    """

    def __init__(self, protocolClass: type[Recorder] = Recorder) -> None:
        self.protocolClass = protocolClass
        self.addresses: list[Any] = []
        self.built: list[Recorder] = []
        self.events: list[str] = []

    def buildProtocol(self, addr: Any) -> Recorder:
        self.addresses.append(addr)
        p = self.protocolClass()
        p.factory = self
        self.built.append(p)
        return p

    def doStart(self) -> None:
        self.events.append("start")

    def doStop(self) -> None:
        self.events.append("stop")


@implementer(ITCPTransport)
class TCPTransport(StringTransport):
    """
    A StringTransport that says it is TCP, with what TCP has beyond it.
    """

    def __init__(self) -> None:
        super().__init__(hostAddress=tcp4("127.0.0.1", 8443), peerAddress=tcp4("127.0.0.1", 50000))
        self.aborted = False
        self.noDelay = False
        self.writeClosed = False
        self.socketOption = "an extra attribute"

    def abortConnection(self) -> None:
        self.aborted = True
        self.loseConnection()

    def loseWriteConnection(self) -> None:
        self.writeClosed = True

    def getTcpNoDelay(self) -> bool:
        return self.noDelay

    def setTcpNoDelay(self, enabled: bool) -> None:
        self.noDelay = enabled

    def getHandle(self) -> str:
        return "the socket"


def logged(case: SynchronousTestCase) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    globalLogPublisher.addObserver(events.append)
    case.addCleanup(globalLogPublisher.removeObserver, events.append)
    return events


class WrapperTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.wrapped = RecordingFactory()
        self.factory = ProxyProtocolFactory(self.wrapped, clock=self.clock)
        self.tcp = TCPTransport()
        self.protocol = self.factory.buildProtocol(self.tcp.getPeer())
        self.protocol.makeConnection(self.tcp)
        self.log = logged(self)

    def app(self) -> Recorder:
        [p] = self.wrapped.built
        return p

    def assertClosedQuietly(self, reasonWords: str) -> None:
        """
        Closed, nothing written, nothing built, one warning saying why and
        what to configure (the first refusal of the listener; later ones
        are silent, L{test_refusalsLoggedOnce}).
        """
        self.assertTrue(self.tcp.disconnecting)
        self.assertEqual(self.tcp.value(), b"")
        self.assertEqual(self.wrapped.built, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])
        mine = [e for e in self.log if "PROXY" in formatEvent(e)]
        self.assertEqual(len(mine), 1, [formatEvent(e) for e in mine])
        self.assertEqual(mine[0]["log_level"], LogLevel.warn)
        self.assertIn(reasonWords, formatEvent(mine[0]))
        self.assertIn("logged only this once", formatEvent(mine[0]))
        self.assertIn("127.0.0.1", formatEvent(mine[0]))

    def test_addressesFromHeader(self) -> None:
        """
        The wrapped factory is given the client's address, and its
        protocol's transport reports the header's addresses.
        """
        self.protocol.dataReceived(v1("TCP4", "192.0.2.1", "198.51.100.2", "56324", "443"))
        source, destination = tcp4("192.0.2.1", 56324), tcp4("198.51.100.2", 443)
        self.assertEqual(self.wrapped.addresses, [source])
        app = self.app()
        self.assertTrue(app.made)
        self.assertIs(app.transport, self.protocol)
        self.assertEqual(app.transport.getPeer(), source)
        self.assertEqual(app.transport.getHost(), destination)
        self.assertEqual(app.transport.proxyInfo, ProxyInfo(1, False, source, destination))

    def test_localUsesRealAddresses(self) -> None:
        self.protocol.dataReceived(v2(0, 0x00, b""))
        app = self.app()
        self.assertEqual(self.wrapped.addresses, [self.tcp.getPeer()])
        self.assertEqual(app.transport.getPeer(), self.tcp.getPeer())
        self.assertEqual(app.transport.getHost(), self.tcp.getHost())
        self.assertTrue(app.transport.proxyInfo.local)

    def test_unknownUsesRealAddresses(self) -> None:
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\n")
        app = self.app()
        self.assertEqual(app.transport.getPeer(), self.tcp.getPeer())
        self.assertEqual(app.transport.getHost(), self.tcp.getHost())

    def test_nothingBuiltBeforeHeader(self) -> None:
        """
        The wrapped protocol exists only once the whole header is in.
        """
        header = v2(1, 0x11, ipv4Block("192.0.2.1", "192.0.2.2", 1, 2))
        for byte in header[:-1]:
            self.protocol.dataReceived(bytes([byte]))
        self.assertEqual(self.wrapped.built, [])
        self.assertIsNone(self.protocol.wrappedProtocol)
        self.protocol.dataReceived(header[-1:])
        self.assertTrue(self.app().made)

    def test_bytesAfterHeaderInOrder(self) -> None:
        data = v1("TCP4", "192.0.2.1", "192.0.2.2", "1", "2") + b"abc"
        for i in range(len(data)):
            self.protocol.dataReceived(data[i : i + 1])
        self.protocol.dataReceived(b"def")
        self.assertEqual(self.app().data, b"abcdef")

    def test_bytesInTheHeadersRead(self) -> None:
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\n" + CLIENT_HELLO)
        self.protocol.dataReceived(b"more")
        self.assertEqual(self.app().data, CLIENT_HELLO + b"more")

    def test_badHeaderCloses(self) -> None:
        self.protocol.dataReceived(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n")
        self.assertClosedQuietly("99999")
        self.protocol.dataReceived(b"ignored")
        self.assertEqual(self.wrapped.built, [])

    def test_directTLSClientCloses(self) -> None:
        self.protocol.dataReceived(CLIENT_HELLO)
        self.assertClosedQuietly("TLS handshake record")

    def test_refusalsLoggedOnce(self) -> None:
        """
        A second connection without a header is closed too, silently: a
        scanner does not fill the log.
        """
        self.protocol.dataReceived(CLIENT_HELLO)
        second = self.factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 2))
        transport = StringTransport()
        second.makeConnection(transport)
        second.dataReceived(CLIENT_HELLO)
        self.assertTrue(transport.disconnecting)
        mine = [e for e in self.log if "PROXY" in formatEvent(e)]
        self.assertEqual(len(mine), 1)

    def test_badHeaderAtFirstWrongByte(self) -> None:
        """
        Refused as soon as a byte shows it, not when a line or a length
        completes.
        """
        self.protocol.dataReceived(b"PROXY")
        self.assertFalse(self.tcp.disconnecting)
        self.protocol.dataReceived(b"!")
        self.assertClosedQuietly("no PROXY header")

    def test_timeout(self) -> None:
        self.protocol.dataReceived(b"PROXY TCP4 ")
        self.clock.advance(DEFAULT_HEADER_TIMEOUT - 0.1)
        self.assertFalse(self.tcp.disconnecting)
        self.clock.advance(0.1)
        self.assertClosedQuietly("within 10.0 seconds")

    def test_timeoutCancelledByHeader(self) -> None:
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\n")
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.clock.advance(DEFAULT_HEADER_TIMEOUT * 2)
        self.assertFalse(self.tcp.disconnecting)

    def test_customAndNoTimeout(self) -> None:
        factory = ProxyProtocolFactory(self.wrapped, clock=self.clock, timeout=2.5)
        protocol = factory.buildProtocol(None)
        protocol.makeConnection(StringTransport())
        [call] = [c for c in self.clock.getDelayedCalls() if c.getTime() == 2.5]
        protocol.connectionLost(Failure(Exception("gone")))
        self.assertFalse(call.active())
        factory = ProxyProtocolFactory(self.wrapped, clock=self.clock, timeout=None)
        before = len(self.clock.getDelayedCalls())
        factory.buildProtocol(None).makeConnection(StringTransport())
        self.assertEqual(len(self.clock.getDelayedCalls()), before)

    def test_badTimeout(self) -> None:
        for timeout in (0, -1.0, float("nan")):
            self.assertRaises(ValueError, ProxyProtocolFactory, self.wrapped, None, timeout)
            self.assertRaises(ValueError, proxyProtocolEndpoint, None, None, timeout)  # type: ignore[arg-type]

    def test_lostBeforeHeader(self) -> None:
        """
        A connection that ends before its header: nobody above hears of
        it, and the timer is gone.
        """
        self.protocol.dataReceived(b"PRO")
        self.protocol.connectionLost(Failure(Exception("gone")))
        self.assertEqual(self.wrapped.built, [])
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_lostForwarded(self) -> None:
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\n")
        app = self.app()
        reason = Failure(Exception("gone"))
        self.protocol.connectionLost(reason)
        self.assertIs(app.lostReason, reason)

    def test_factoryRefuses(self) -> None:
        """
        A wrapped factory that builds no protocol refuses the connection.
        """
        self.wrapped.buildProtocol = lambda addr: None  # type: ignore[assignment,method-assign,return-value]
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\n")
        self.assertTrue(self.tcp.disconnecting)

    def test_closedInConnectionMade(self) -> None:
        """
        What came with the header is not delivered to a protocol that
        closed the connection in connectionMade, as TCP reads nothing more
        after loseConnection.
        """

        class Closer(Recorder):
            def connectionMade(self) -> None:
                self.transport.loseConnection()

        self.wrapped.protocolClass = Closer
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\nlate")
        self.assertEqual(self.app().data, b"")
        self.assertTrue(self.tcp.disconnecting)

    def test_passThrough(self) -> None:
        """
        Everything a transport offers reaches the real one.
        """
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\n")
        transport: Any = self.app().transport
        transport.write(b"a")
        transport.writeSequence([b"b", b"c"])
        self.assertEqual(self.tcp.value(), b"abc")
        producer = object()
        transport.registerProducer(producer, True)
        self.assertIs(self.tcp.producer, producer)
        self.assertTrue(self.tcp.streaming)
        transport.unregisterProducer()
        self.assertIsNone(self.tcp.producer)
        transport.pauseProducing()
        self.assertEqual(self.tcp.producerState, "paused")
        transport.resumeProducing()
        self.assertEqual(self.tcp.producerState, "producing")
        transport.setTcpNoDelay(True)
        self.assertTrue(transport.getTcpNoDelay())
        self.assertEqual(transport.getHandle(), "the socket")
        self.assertEqual(transport.socketOption, "an extra attribute")
        transport.loseWriteConnection()
        self.assertTrue(self.tcp.writeClosed)
        transport.stopProducing()
        self.assertEqual(self.tcp.producerState, "stopped")

    def test_loseConnection(self) -> None:
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\n")
        self.app().transport.loseConnection()
        self.assertTrue(self.tcp.disconnecting)
        self.assertFalse(self.tcp.aborted)

    def test_abortConnection(self) -> None:
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\n")
        self.app().transport.abortConnection()
        self.assertTrue(self.tcp.aborted)

    def test_interfaces(self) -> None:
        """
        The wrapper provides what TCP provides (our TLS half-closes only
        over an ITCPTransport); it is half-closeable only when the wrapped
        protocol is, and only after that protocol copied its interfaces.
        """
        self.assertTrue(ITCPTransport.providedBy(self.protocol))
        self.assertFalse(IHalfCloseableProtocol.providedBy(self.protocol))
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\n")
        self.assertFalse(IHalfCloseableProtocol.providedBy(self.protocol))

    def test_halfClose(self) -> None:
        self.wrapped.protocolClass = HalfCloser
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\n")
        self.assertTrue(IHalfCloseableProtocol.providedBy(self.protocol))
        self.protocol.readConnectionLost()  # type: ignore[attr-defined]
        self.protocol.writeConnectionLost()  # type: ignore[attr-defined]
        app = self.app()
        assert isinstance(app, HalfCloser)
        self.assertEqual(app.halfClosed, ["read", "write"])

    def test_factoryPassesStartStopAndPrefix(self) -> None:
        self.factory.doStart()
        self.factory.doStop()
        self.assertEqual(self.wrapped.events, ["start", "stop"])
        self.assertEqual(self.factory.logPrefix(), "RecordingFactory (PROXY)")
        self.assertEqual(self.protocol.logPrefix(), "PROXY header")
        self.protocol.dataReceived(b"PROXY UNKNOWN\r\n")
        self.assertEqual(self.protocol.logPrefix(), "Recorder (PROXY)")

    def test_endpoint(self) -> None:
        """
        C{proxyProtocolEndpoint} listens with the wrapper (its clock and
        timeout) around whatever factory it is given.
        """
        listened: list[Any] = []

        class Endpoint:
            def listen(self, factory: Any) -> Any:
                listened.append(factory)
                return "listening"

        endpoint = proxyProtocolEndpoint(Endpoint(), clock=self.clock, timeout=3.0)  # type: ignore[arg-type]
        self.assertEqual(endpoint.listen(self.wrapped), "listening")
        [factory] = listened
        self.assertIsInstance(factory, ProxyProtocolFactory)
        self.assertIs(factory.wrappedFactory, self.wrapped)
        self.assertIs(factory.clock, self.clock)
        self.assertEqual(factory.timeout, 3.0)


# --- under our TLS, in memory -------------------------------------------------------


class HeaderFirst(ProtocolWrapper):
    """
    The balancer's part, for iosim: writes the header, then is transparent.
    """

    def __init__(self, header: bytes, wrapped: Protocol) -> None:
        super().__init__(WrappingFactory(Factory()), wrapped)
        self.header = header

    def makeConnection(self, transport: Any) -> None:
        transport.write(self.header)
        super().makeConnection(transport)


class Echo(Recorder):
    def dataReceived(self, data: bytes) -> None:
        super().dataReceived(data)
        self.transport.write(data)


class UnderTLSTests(SynchronousTestCase):
    """
    C{ProxyProtocolFactory(TLSFactory(...))}: the header is read before
    TLS, and the application's TLS transport reports its addresses.
    """

    def connect(self, header: bytes, clientProtocol: Protocol) -> tuple[Any, Any, Any]:
        pki = cachedPKI()
        clock = clockNow()
        serverOptions = ServerOptions.fromPEM(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath)
        clientOptions = ClientOptions("localhost", trustRoots=[pki.caCertificate])
        apps = RecordingFactory(Echo)
        server = ProxyProtocolFactory(
            TLSFactory(serverOptions, False, apps, clock=clock), clock=clock
        ).buildProtocol(None)
        client = TLSFactory(
            clientOptions, True, Factory.forProtocol(lambda: clientProtocol), clock=clock
        ).buildProtocol(None)
        pump = connect(
            server,
            FakeTransport(server, isServer=True),
            HeaderFirst(header, client),
            FakeTransport(client, isServer=False),
            greet=False,
            clock=clock,
        )
        pump.flush()
        return apps, pump, clock

    def test_handshakeAndData(self) -> None:
        client = Recorder()
        apps, pump, _ = self.connect(
            v2(1, 0x11, ipv4Block("203.0.113.9", "198.51.100.1", 61000, 443)), client
        )
        [app] = apps.built
        self.assertEqual(apps.addresses, [tcp4("203.0.113.9", 61000)])
        transport: Any = app.transport
        self.assertTrue(ISSLTransport.providedBy(transport))
        self.assertEqual(transport.getPeer(), tcp4("203.0.113.9", 61000))
        self.assertEqual(transport.getHost(), tcp4("198.51.100.1", 443))
        self.assertEqual(transport.proxyInfo.source, tcp4("203.0.113.9", 61000))
        self.assertIsNotNone(transport.session)
        client.transport.write(b"hello")
        pump.flush()
        self.assertEqual(app.data, b"hello")
        self.assertEqual(client.data, b"hello")
        client.transport.loseConnection()
        pump.flush()
        self.assertIsNotNone(app.lostReason)
        self.assertIsNotNone(client.lostReason)

    def test_backPressureThroughBoth(self) -> None:
        """
        Our TLS registers its back-pressure producer with TCP through the
        PROXY wrapper, so TCP's "buffer full" reaches the application's
        producer, and our TLS pausing its reading reaches TCP.
        """
        client = Recorder()
        apps, pump, _ = self.connect(b"PROXY UNKNOWN\r\n", client)
        [app] = apps.built
        tcp = app.transport.transport.transport
        self.assertIsInstance(tcp, FakeTransport)
        calls: list[str] = []

        @implementer(IPushProducer)
        class Producer:
            def pauseProducing(self) -> None:
                calls.append("pause")

            def resumeProducing(self) -> None:
                calls.append("resume")

            def stopProducing(self) -> None:
                calls.append("stop")

        app.transport.registerProducer(Producer(), True)
        tcp.producer.pauseProducing()
        tcp.producer.resumeProducing()
        self.assertEqual(calls, ["pause", "resume"])
        tcp.pauseProducing = lambda: calls.append("tcp paused")
        tcp.resumeProducing = lambda: calls.append("tcp resumed")
        app.transport.pauseProducing()
        app.transport.resumeProducing()
        self.assertEqual(calls[2:], ["tcp paused", "tcp resumed"])

    def test_withoutHeaderNoTLS(self) -> None:
        """
        A TLS client reaching the server directly: closed before our
        server writes a byte.
        """
        client = Recorder()
        pki = cachedPKI()
        clock = clockNow()
        serverOptions = ServerOptions.fromPEM(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath)
        apps = RecordingFactory(Echo)
        server = ProxyProtocolFactory(
            TLSFactory(serverOptions, False, apps, clock=clock), clock=clock
        ).buildProtocol(None)
        clientTLS = TLSFactory(
            ClientOptions("localhost", trustRoots=[pki.caCertificate]),
            True,
            Factory.forProtocol(lambda: client),
            clock=clock,
        ).buildProtocol(None)
        serverTransport = FakeTransport(server, isServer=True)
        pump = connect(
            server,
            serverTransport,
            clientTLS,
            FakeTransport(clientTLS, isServer=False),
            greet=False,
            clock=clock,
        )
        pump.flush()
        self.assertEqual(apps.built, [])
        self.assertTrue(serverTransport.disconnecting)
        self.assertIsNotNone(client.lostReason)
        self.assertEqual(client.data, b"")
