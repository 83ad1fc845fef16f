"""
The CPU the TLS engines alone spend per handshake, server and client side:
twisted_reneg's sans-IO L{TLSConnection} against OpenSSL driven through
pyOpenSSL memory BIOs, in one process, no sockets, no reactor.

This isolates the TLS work from Twisted's I/O (and from our transport
layer): each handshake is two engines passing bytes to each other in
memory, and every call into the server engine (making it, feeding it,
taking its output) is timed with C{time.process_time()}, and so is every
call into the client engine.  The socket benchmark C{handshakes.py} stays
the acceptance figure; this one shows where the engine itself stands and
is what to profile (C{py-spy record -- python bench/engine.py --impl ours}).

Both ends are pinned to the row's version, cipher suite and x25519, the
client verifies the server as C{localhost} against the test CA (OpenSSL:
C{SSL_VERIFY_PEER} and C{X509_VERIFY_PARAM_set1_host}, no Python callback),
and both servers send two TLS 1.3 NewSessionTickets after a full handshake,
which both clients read, and one after a resumption.  Rows (C{--row}, repeatable, default all):

  - C{tls13-ecdsa-full}, C{tls13-rsa-full}: TLS 1.3 AES-128-GCM, an ECDSA
    P-256 / RSA-2048 (RSA-PSS) server certificate.
  - C{tls13-ecdsa-resumed}: TLS 1.3 psk_dhe_ke resumption: ours from a
    ticket its client got on the connection before
    (C{TLSConfig.withResumeTicket}), pyOpenSSL from that connection's
    session (its server with tickets on).
  - C{tls12-ecdsa-full}, C{tls12-rsa-full}: TLS 1.2 ECDHE-ECDSA / ECDHE-RSA
    AES-128-GCM.
  - C{tls12-ecdsa-reneg}: a server-started TLS 1.2 renegotiation of one
    live connection (HelloRequest, then a full handshake): ours
    C{rehandshake()}, pyOpenSSL C{renegotiate()}.

Every handshake is checked on both ends for the version, suite, group and
whether it resumed; a mismatch stops the run.  Runs interleave rows and
implementations; the table gives the median over runs of the CPU per
handshake, (min-max), and the ratio ours/pyOpenSSL.  Not a test.

    .venv/bin/python bench/engine.py [--count 200] [--runs 5]
        [--impl both|ours|pyopenssl] [--row all|tls13-ecdsa-full|...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from time import process_time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _common import (  # noqa: E402
    GROUP,
    IMPLS,
    TLS12_AES128,
    TLS12_RSA_AES128,
    TLS13_AES128,
    Suite,
    _pinOpenSSLContext,
    checkNegotiated,
    ourClientOptions,
    ourServerOptions,
    printTable,
)

#: Untimed handshakes before each timed batch (imports, caches, branch
#: predictors of the first connection are not what a server pays).
WARMUP = 5


@dataclass(frozen=True)
class Row:
    """
    One line of the result tables.

    @ivar key: the C{--row} name.
    @ivar label: what the tables print.
    @ivar certificate: the server key type, C{"ecdsa"} or C{"rsa"}.
    @ivar suite: the only version and suite both ends offer.
    @ivar resumed: whether the timed handshakes resume a session.
    @ivar renegotiation: whether the timed handshakes renegotiate one live
        connection instead of each making a new one.
    """

    key: str
    label: str
    certificate: str
    suite: Suite
    resumed: bool = False
    renegotiation: bool = False


ROWS = {
    r.key: r
    for r in (
        Row("tls13-ecdsa-full", "TLS 1.3 full, ECDSA P-256", "ecdsa", TLS13_AES128),
        Row("tls13-rsa-full", "TLS 1.3 full, RSA-2048", "rsa", TLS13_AES128),
        Row(
            "tls13-ecdsa-resumed",
            "TLS 1.3 resumed (psk_dhe_ke), ECDSA",
            "ecdsa",
            TLS13_AES128,
            resumed=True,
        ),
        Row("tls12-ecdsa-full", "TLS 1.2 full, ECDHE-ECDSA", "ecdsa", TLS12_AES128),
        Row("tls12-rsa-full", "TLS 1.2 full, ECDHE-RSA", "rsa", TLS12_RSA_AES128),
        Row(
            "tls12-ecdsa-reneg",
            "TLS 1.2 renegotiation, ECDHE-ECDSA",
            "ecdsa",
            TLS12_AES128,
            renegotiation=True,
        ),
    )
}


class CPU:
    """
    Process CPU seconds spent inside each engine.
    """

    def __init__(self) -> None:
        self.server = 0.0
        self.client = 0.0


# --- ours ---------------------------------------------------------------------


class Ours:
    """
    Handshakes between our client and server engines.
    """

    def __init__(self, pkiDir: str, row: Row) -> None:
        self.row = row
        serverOptions = ourServerOptions(pkiDir, row.suite, row.certificate)
        # Every timed renegotiation is one the server started.  A resumed
        # row's client must say it resumes (psk_key_exchange_modes): without
        # that our server sends no tickets (RFC 8446 4.2.9) and there is
        # nothing to resume, as in handshakes.py's resumed row.
        clientOptions = ourClientOptions(
            pkiDir, row.suite, resume=row.resumed, renegotiations=10**9
        )
        self.serverConfig = serverOptions.tlsConfig(None)
        self.clientConfig = clientOptions.tlsConfig(None)
        self.ticket: Any = None
        self.live: tuple[Any, Any] | None = None

    def _pump(self, client: Any, server: Any, cpu: CPU, toServer: bytes) -> None:
        """
        Pass bytes both ways until neither engine has any to send.
        """
        from twisted_reneg.tls.events import SessionTicketReceived

        data = toServer
        while data:
            t0 = process_time()
            server.receiveData(data)
            out = server.dataToSend()
            t1 = process_time()
            cpu.server += t1 - t0
            if not out:
                break
            events = client.receiveData(out)
            data = client.dataToSend()
            cpu.client += process_time() - t1
            for event in events:
                if isinstance(event, SessionTicketReceived):
                    self.ticket = event.ticket

    def handshake(self, cpu: CPU) -> tuple[Any, Any]:
        """
        One handshake, timed into C{cpu}.

        @return: the client's and the server's session.
        """
        from twisted_reneg.tls.connection import TLSConnection

        if self.row.renegotiation:
            return self._renegotiate(cpu)
        t0 = process_time()
        clientConfig = self.clientConfig
        if self.row.resumed and self.ticket is not None:
            clientConfig = clientConfig.withResumeTicket(self.ticket)
        client = TLSConnection(clientConfig)
        client.startHandshake()
        hello = client.dataToSend()
        t1 = process_time()
        server = TLSConnection(self.serverConfig)
        cpu.client += t1 - t0
        cpu.server += process_time() - t1
        self._pump(client, server, cpu, hello)
        return client.session, server.session

    def _renegotiate(self, cpu: CPU) -> tuple[Any, Any]:
        if self.live is None:
            # The connection to renegotiate, made untimed.
            self.live = self._newConnection()
        client, server = self.live
        before = server.session.renegotiations
        t0 = process_time()
        server.rehandshake()
        request = server.dataToSend()
        cpu.server += process_time() - t0
        t0 = process_time()
        client.receiveData(request)
        hello = client.dataToSend()
        cpu.client += process_time() - t0
        self._pump(client, server, cpu, hello)
        if server.session.renegotiations != before + 1 or client.session.renegotiations != (
            server.session.renegotiations
        ):
            raise SystemExit(f"{self.row.key} ours: the renegotiation did not complete")
        return client.session, server.session

    def _newConnection(self) -> tuple[Any, Any]:
        from twisted_reneg.tls.connection import TLSConnection

        client = TLSConnection(self.clientConfig)
        server = TLSConnection(self.serverConfig)
        client.startHandshake()
        self._pump(client, server, CPU(), client.dataToSend())
        return client, server

    @staticmethod
    def negotiated(session: Any) -> dict[str, Any] | None:
        if session is None:
            return None
        return {
            "version": session.version,
            "suite": session.cipherSuite,
            "group": session.group,
            "resumed": session.resumed,
        }


# --- pyOpenSSL ----------------------------------------------------------------


class PyOpenSSL:
    """
    Handshakes between two OpenSSL engines through memory BIOs.
    """

    def __init__(self, pkiDir: str, row: Row) -> None:
        from OpenSSL import SSL

        self.row = row
        self.SSL = SSL
        suite = row.suite
        version = SSL.TLS1_3_VERSION if suite.version == "1.3" else SSL.TLS1_2_VERSION

        server = SSL.Context(SSL.TLS_METHOD)
        server.set_min_proto_version(version)
        server.set_max_proto_version(version)
        server.use_certificate_chain_file(os.path.join(pkiDir, f"{row.certificate}-server.pem"))
        server.use_privatekey_file(os.path.join(pkiDir, f"{row.certificate}-server-key.pem"))
        if suite.version == "1.2":
            server.set_cipher_list(suite.openssl.encode("ascii"))
        if row.resumed:
            server.set_session_id(b"bench/engine")
            server.set_session_cache_mode(SSL.SESS_CACHE_SERVER)
        else:
            # Twisted's CertificateOptions defaults (what handshakes.py's
            # pyOpenSSL server runs with): no tickets, no session cache;
            # OpenSSL still sends two TLS 1.3 tickets.
            server.set_options(SSL.OP_NO_TICKET)
            server.set_session_cache_mode(SSL.SESS_CACHE_OFF)
        _pinOpenSSLContext(server, suite)

        client = SSL.Context(SSL.TLS_METHOD)
        client.set_min_proto_version(version)
        client.set_max_proto_version(version)
        if suite.version == "1.2":
            client.set_cipher_list(suite.openssl.encode("ascii"))
        client.load_verify_locations(os.path.join(pkiDir, "ca.pem"))
        client.set_verify(SSL.VERIFY_PEER)
        _pinOpenSSLContext(client, suite)
        self.serverContext = server
        self.clientContext = client
        self.session: Any = None
        self.live: tuple[Any, Any] | None = None

    def _step(self, connection: Any) -> None:
        """
        Let OpenSSL process what it has been given: the handshake while it
        runs, then post-handshake messages (tickets, HelloRequest).
        """
        SSL = self.SSL
        try:
            connection.do_handshake()
            connection.recv(1)
        except SSL.WantReadError:
            pass
        else:
            raise SystemExit(f"{self.row.key} pyopenssl: unexpected application data")

    def _drain(self, connection: Any) -> bytes:
        try:
            return connection.bio_read(1 << 20)
        except self.SSL.WantReadError:
            return b""

    def _pump(self, client: Any, server: Any, cpu: CPU, toServer: bytes) -> None:
        data = toServer
        while data:
            t0 = process_time()
            server.bio_write(data)
            self._step(server)
            out = self._drain(server)
            t1 = process_time()
            cpu.server += t1 - t0
            if not out:
                break
            client.bio_write(out)
            self._step(client)
            data = self._drain(client)
            cpu.client += process_time() - t1

    def _newClient(self) -> Any:
        client = self.SSL.Connection(self.clientContext, None)
        client.set_connect_state()
        client.set_tlsext_host_name(b"localhost")
        lib = self.SSL._lib
        if lib.X509_VERIFY_PARAM_set1_host(lib.SSL_get0_param(client._ssl), b"localhost", 0) != 1:
            raise RuntimeError("OpenSSL refused the host name to verify")
        if self.row.resumed and self.session is not None:
            client.set_session(self.session)
        return client

    def _newServer(self) -> Any:
        server = self.SSL.Connection(self.serverContext, None)
        server.set_accept_state()
        return server

    def handshake(self, cpu: CPU) -> tuple[Any, Any]:
        if self.row.renegotiation:
            return self._renegotiate(cpu)
        t0 = process_time()
        client = self._newClient()
        self._step(client)
        hello = self._drain(client)
        t1 = process_time()
        server = self._newServer()
        cpu.client += t1 - t0
        cpu.server += process_time() - t1
        self._pump(client, server, cpu, hello)
        if self.row.resumed:
            self.session = client.get_session()
            # As after a close_notify: OpenSSL marks the session of a
            # connection freed without one unresumable.
            client.set_shutdown(self.SSL.SENT_SHUTDOWN | self.SSL.RECEIVED_SHUTDOWN)
        return client, server

    def _renegotiate(self, cpu: CPU) -> tuple[Any, Any]:
        if self.live is None:
            client = self._newClient()
            server = self._newServer()
            self._step(client)
            self._pump(client, server, CPU(), self._drain(client))
            self.live = (client, server)
        client, server = self.live
        before = server.total_renegotiations()
        t0 = process_time()
        server.renegotiate()
        self._step(server)
        request = self._drain(server)
        t1 = process_time()
        cpu.server += t1 - t0
        client.bio_write(request)
        self._step(client)
        hello = self._drain(client)
        cpu.client += process_time() - t1
        self._pump(client, server, cpu, hello)
        if server.renegotiate_pending() or server.total_renegotiations() != before + 1:
            raise SystemExit(f"{self.row.key} pyopenssl: the renegotiation did not complete")
        return client, server

    def negotiated(self, connection: Any) -> dict[str, Any] | None:
        try:
            # Returns at once on a finished handshake.
            connection.do_handshake()
        except self.SSL.WantReadError:
            return None
        return {
            "version": connection.get_protocol_version_name(),
            "suite": connection.get_cipher_name(),
            "group": (connection.get_group_name() or "").lower(),
            "resumed": bool(self.SSL._lib.SSL_session_reused(connection._ssl)),
        }


# --- the measurement ------------------------------------------------------------


def oneRun(pkiDir: str, row: Row, impl: str, count: int) -> tuple[float, float]:
    """
    C{count} timed handshakes (after L{WARMUP} untimed ones), each checked
    on both ends.

    @return: server and client engine CPU microseconds per handshake.
    """
    engines = Ours(pkiDir, row) if impl == "ours" else PyOpenSSL(pkiDir, row)
    # A resumed row resumes from the first handshake on.
    for _ in range(WARMUP):
        engines.handshake(CPU())
    cpu = CPU()
    for _ in range(count):
        client, server = engines.handshake(cpu)
        for side, end in (("client", client), ("server", server)):
            checkNegotiated(
                f"{row.key} {side}", impl, engines.negotiated(end), row.suite, row.resumed
            )
    return cpu.server * 1e6 / count, cpu.client * 1e6 / count


def measure(
    pkiDir: str, rows: list[Row], impls: list[str], count: int, runs: int
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, list[float]]]]:
    """
    Every row C{runs} times for each implementation, interleaved.

    @return: server and client CPU microseconds per handshake, each by row
        key and implementation.
    """
    servers: dict[str, dict[str, list[float]]] = {r.key: {i: [] for i in IMPLS} for r in rows}
    clients: dict[str, dict[str, list[float]]] = {r.key: {i: [] for i in IMPLS} for r in rows}
    for run in range(runs):
        for row in rows:
            for impl in impls:
                server, client = oneRun(pkiDir, row, impl, count)
                servers[row.key][impl].append(server)
                clients[row.key][impl].append(client)
                print(
                    f"  run {run + 1} {row.key:20s} {impl:10s}"
                    f" server {server:7.1f} us  client {client:7.1f} us",
                    flush=True,
                )
    return servers, clients


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--count", type=int, default=200, help="timed handshakes per run (default 200)"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per row and impl (default 5)")
    parser.add_argument("--impl", choices=["both", "ours", "pyopenssl"], default="both")
    parser.add_argument(
        "--row",
        action="append",
        choices=["all", *ROWS],
        help="row to measure; repeat for several (default: all)",
    )
    args = parser.parse_args()
    if not args.row or "all" in args.row:
        rows = list(ROWS.values())
    else:
        rows = [ROWS[k] for k in dict.fromkeys(args.row)]
    impls = list(IMPLS) if args.impl == "both" else [args.impl]

    from twisted_reneg.testing.pki import makePKI

    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        print(
            f"engine: {GROUP}, in memory, {args.count} handshakes per run,"
            f" {args.runs} runs per row and implementation"
        )
        servers, clients = measure(pkiDir, rows, impls, args.count, args.runs)
    print()
    printTable(
        "server engine CPU us per handshake",
        [(r.label, servers[r.key]) for r in rows],
        spread=True,
    )
    print()
    printTable(
        "client engine CPU us per handshake",
        [(r.label, clients[r.key]) for r in rows],
        spread=True,
    )


if __name__ == "__main__":
    main()
