"""
CPU per 16 KiB record of the TLS layer alone, in one process, no sockets:
twisted_reneg's L{TLSProtocol} against Twisted's C{TLSMemoryBIOProtocol}
(pyOpenSSL), and a bare loop that does only what a record needs.

C{bulk.py} measures transfers between two processes, where each side's
CPU per record also holds the socket calls and the reactor, the same for
both implementations.  This one takes them away, to show the TLS layer's
share and how far it is from the least Python can do:

  - receive: the records of C{--mib} MiB of 16 KiB writes, cut into 64 KiB
    chunks as Twisted's TCP transport reads them, fed to the server's
    C{dataReceived}, up to the application's C{dataReceived}.
  - send, 16 KiB writes and 64 KiB writes: the client application's
    C{transport.write()}, four 16 KiB writes or one 64 KiB write per
    reactor turn (a L{Clock} stands in for the reactor), up to what the
    TLS layer hands its TCP transport (a list that keeps the pieces, as
    Twisted's transport does).
  - bare loop (the floor): the same records with C{cryptography}'s AEAD
    called directly, framed by the suite's version (header, nonce,
    additional data, TLS 1.3's content type byte), nothing else: receive
    opens each record into one buffer per chunk and hands the chunk's data
    on as one C{bytes}; send seals each record and keeps header and body as
    two pieces.  No checks, no state: no TLS implementation in Python can
    be cheaper per record.

Both implementations use the row's suite pinned on both ends (an ECDSA
P-256 certificate, x25519); the runs interleave implementations, and each
cell is the best of C{--runs} (the least disturbed by the machine).  Not a
test: timings live here only.

    .venv/bin/python bench/records.py [--mib 32] [--runs 3] [--suite ...]
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import tempfile
from collections.abc import Callable
from time import process_time, time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _common import Suite, clientFactory, selectSuites, serverFactory  # noqa: E402
from twisted.internet.protocol import Protocol  # noqa: E402

RECORD = 16 * 1024
READ = 64 * 1024
SHAPES = ("receive, 64 KiB reads", "send, 16 KiB writes", "send, 64 KiB writes")
COLUMNS = ("ours", "pyopenssl", "floor")


class _Counter(Protocol):
    """The application: counts what it receives."""

    received = 0

    def dataReceived(self, data: bytes) -> None:
        self.received += len(data)


class _KeepingTransport:
    """
    What the TLS layer writes to instead of TCP after the handshake: the
    pieces are kept, as Twisted's transport keeps them until C{send}.
    """

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self.pieces: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.pieces.append(data)

    def writeSequence(self, data: list[bytes]) -> None:
        self.pieces.extend(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _connected(
    pkiDir: str, suite: Suite, clientImpl: str, serverImpl: str
) -> tuple[Any, Any, Any]:
    """
    A client and a server over an in-memory pipe, their handshake done.

    @return: the client's TLS protocol, the server's, and the clock both
        factories use as their reactor.
    """
    from twisted.internet.protocol import Factory
    from twisted.internet.task import Clock
    from twisted.test.iosim import FakeTransport, connect

    clock = Clock()
    clock.advance(time())
    server = serverFactory(serverImpl, pkiDir, Factory.forProtocol(_Counter), suite)
    client = clientFactory(clientImpl, pkiDir, Factory.forProtocol(_Counter), suite)
    for factory in (server, client):
        factory._clock = clock  # Twisted's: its write buffering's reactor turns
        factory.clock = clock  # ours: its timers and the engine's time
    serverProtocol, clientProtocol = server.buildProtocol(None), client.buildProtocol(None)
    pump = connect(
        serverProtocol,
        FakeTransport(serverProtocol, True),
        clientProtocol,
        FakeTransport(clientProtocol, False),
        clock=clock,
    )
    pump.flush()
    clock.advance(0)
    pump.flush()
    return clientProtocol, serverProtocol, clock


def receiveThrough(impl: str, pkiDir: str, suite: Suite, mib: int) -> float:
    """
    Feed C{impl}'s server C{mib} MiB of records in 64 KiB reads.

    @return: CPU microseconds per 16 KiB record.
    """
    client, server, clock = _connected(pkiDir, suite, "ours", impl)
    keep = _KeepingTransport(client.transport)
    client.transport = keep
    payload = os.urandom(RECORD)
    for _ in range(mib * 64):
        client.wrappedProtocol.transport.write(payload)
    clock.advance(0)
    wire = b"".join(keep.pieces)
    reads = [wire[i : i + READ] for i in range(0, len(wire), READ)]
    del wire, keep.pieces[:]
    start = process_time()
    for data in reads:
        server.dataReceived(data)
    elapsed = process_time() - start
    assert server.wrappedProtocol.received == mib << 20, "lost data"
    return elapsed / (mib * 64) * 1e6


def sendThrough(impl: str, pkiDir: str, suite: Suite, mib: int, writeSize: int) -> float:
    """
    C{impl}'s client writes C{mib} MiB in C{writeSize} writes, 64 KiB per
    reactor turn.

    @return: CPU microseconds per 16 KiB record.
    """
    client, server, clock = _connected(pkiDir, suite, impl, "ours")
    keep = _KeepingTransport(client.transport)
    client.transport = keep
    write = client.wrappedProtocol.transport.write
    payload = os.urandom(writeSize)
    perTurn = READ // writeSize
    start = process_time()
    for _ in range(mib * 1024 * 1024 // READ):
        for _ in range(perTurn):
            write(payload)
        clock.advance(0)
        keep.pieces.clear()
    elapsed = process_time() - start
    return elapsed / (mib * 64) * 1e6


class _Floor:
    """
    The suite's record framing around C{cryptography}'s AEAD, and nothing
    else: what any Python TLS layer has to do per record.
    """

    def __init__(self, suite: Suite) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

        chacha = "CHACHA20" in suite.iana
        self.tls13 = suite.version == "1.3"
        self.explicitNonce = not chacha and not self.tls13
        self.aead = ChaCha20Poly1305(os.urandom(32)) if chacha else AESGCM(os.urandom(16))
        self.iv = int.from_bytes(os.urandom(12), "big")
        self.salt = os.urandom(4)
        self.header = struct.Struct("!BHH")
        self.aad12 = struct.Struct("!QBHH")

    def nonce(self, seq: int) -> bytes:
        if self.explicitNonce:
            return self.salt + seq.to_bytes(8, "big")
        return (self.iv ^ seq).to_bytes(12, "big")

    def seal(self, seq: int, fragment: bytes | memoryview, out: list[bytes]) -> None:
        nonce = self.nonce(seq)
        if self.tls13:
            header = self.header.pack(23, 0x0303, len(fragment) + 17)
            out.append(header)
            out.append(self.aead.encrypt(nonce, b"".join((fragment, b"\x17")), header))
            return
        explicit = nonce[4:] if self.explicitNonce else b""
        aad = self.aad12.pack(seq, 23, 0x0303, len(fragment))
        out.append(self.header.pack(23, 0x0303, len(explicit) + len(fragment) + 16) + explicit)
        out.append(self.aead.encrypt(nonce, fragment, aad))


def receiveFloor(suite: Suite, mib: int) -> float:
    """
    The bare loop's receive side (see the module docstring).

    @return: CPU microseconds per 16 KiB record.
    """
    floor = _Floor(suite)
    pieces: list[bytes] = []
    payload = os.urandom(RECORD)
    for seq in range(mib * 64):
        floor.seal(seq, payload, pieces)
    wire = b"".join(pieces)
    reads = [wire[i : i + READ] for i in range(0, len(wire), READ)]
    del wire, pieces
    app = _Counter()
    seq, partial = 0, b""

    def openRecord(record: memoryview, into: memoryview) -> int:
        # One record, header included, opened into C{into}: its data size.
        nonlocal seq
        body = record[5 + (8 if floor.explicitNonce else 0) :]
        size = len(body) - 16
        if floor.tls13:
            aad: bytes | memoryview = record[:5]
        else:
            aad = floor.aad12.pack(seq, 23, 0x0303, size)
        floor.aead.decrypt_into(floor.nonce(seq), body, aad, into[:size])
        seq += 1
        return size - 1 if floor.tls13 else size

    start = process_time()
    for data in reads:
        out = bytearray(len(data) + RECORD)
        filled, pos = 0, 0
        with memoryview(out) as view, memoryview(data) as read:
            if partial:
                # A record split across reads: completed with one join.
                pos = 5 + floor.header.unpack_from(partial)[2] - len(partial)
                with memoryview(partial + data[:pos]) as record:
                    filled = openRecord(record, view)
            while len(data) - pos >= 5:
                end = pos + 5 + floor.header.unpack_from(data, pos)[2]
                if end > len(data):
                    break
                filled += openRecord(read[pos:end], view[filled:])
                pos = end
            partial = data[pos:]
            app.dataReceived(bytes(view[:filled]))
    elapsed = process_time() - start
    assert app.received == mib << 20, "lost data"
    return elapsed / (mib * 64) * 1e6


def sendFloor(suite: Suite, mib: int, writeSize: int) -> float:
    """
    The bare loop's send side (see the module docstring).

    @return: CPU microseconds per 16 KiB record.
    """
    floor = _Floor(suite)
    payload = os.urandom(writeSize)
    out: list[bytes] = []
    seq = 0
    start = process_time()
    for _ in range(mib * 1024 * 1024 // writeSize):
        with memoryview(payload) as view:
            for offset in range(0, writeSize, RECORD):
                floor.seal(seq, view[offset : offset + RECORD], out)
                seq += 1
        if len(out) > 8:
            out.clear()
    elapsed = process_time() - start
    return elapsed / (mib * 64) * 1e6


def measure(
    pkiDir: str, suites: list[Suite], mib: int, runs: int, log: Callable[[str], None] = print
) -> dict[tuple[str, str], dict[str, float]]:
    """
    @return: the best CPU microseconds per record, by (suite, shape) and
        column.
    """
    best: dict[tuple[str, str], dict[str, float]] = {}
    for run in range(runs):
        for suite in suites:
            for shape in SHAPES:
                cells = best.setdefault((suite.key, shape), {})
                for column in COLUMNS:
                    if shape.startswith("receive"):
                        figure = (
                            receiveFloor(suite, mib)
                            if column == "floor"
                            else receiveThrough(column, pkiDir, suite, mib)
                        )
                    else:
                        size = RECORD if "16 KiB" in shape else READ
                        figure = (
                            sendFloor(suite, mib, size)
                            if column == "floor"
                            else sendThrough(column, pkiDir, suite, mib, size)
                        )
                    cells[column] = min(cells.get(column, figure), figure)
                    log(
                        f"  run {run + 1} {suite.key:16s} {shape:21s} {column:9s} {figure:6.2f} us"
                    )
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=32, help="MiB per measurement (default 32)")
    parser.add_argument("--runs", type=int, default=3, help="runs per cell; the best is shown")
    parser.add_argument("--suite", action="append", help="suite key (default: all four)")
    args = parser.parse_args()
    suites = selectSuites(args.suite)
    from twisted_reneg.testing.pki import makePKI

    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        best = measure(pkiDir, suites, args.mib, args.runs)
    print()
    head = f"{'CPU us per 16 KiB record (best run)':62s} {'ours':>7} {'pyOpenSSL':>9} {'floor':>7}"
    print(head + f" {'ours/pyOpenSSL':>14} {'floor/pyOpenSSL':>15}")
    for suite in suites:
        for shape in SHAPES:
            cells = best[suite.key, shape]
            ours, theirs, floor = cells["ours"], cells["pyopenssl"], cells["floor"]
            print(
                f"{suite.label + ', ' + shape:62s} {ours:7.2f} {theirs:9.2f} {floor:7.2f}"
                f" {ours / theirs:13.2f}x {floor / theirs:14.2f}x"
            )


if __name__ == "__main__":
    main()
