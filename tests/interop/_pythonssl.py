"""
Python's C{ssl} module as an interop peer, on blocking sockets in a
thread: a client that sends while it reads the echo, and an echo server
for one connection.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading

from twisted_reneg.testing.pki import Identity, cachedPKI


def recvExactly(conn: ssl.SSLSocket, n: int) -> bytes:
    """
    Blocking: read C{n} bytes, or fewer if the connection ends first.
    """
    chunks = bytearray()
    while len(chunks) < n:
        chunk = conn.recv(min(65536, n - len(chunks)))
        if not chunk:
            break
        chunks += chunk
    return bytes(chunks)


def sendAndReceive(conn: ssl.SSLSocket, data: bytes) -> bytes:
    """
    Send C{data} while reading its echo, as a client of an echo service
    must: our server stops reading a peer that does not read its replies
    (rather than buffer them without bound), so sending everything before
    reading would deadlock once the socket buffers are full.
    """
    conn.setblocking(False)
    view = memoryview(data)
    sent = 0
    echoed = bytearray()
    while len(echoed) < len(data):
        writers = [conn] if sent < len(data) else []
        readable, writable, _ = select.select([conn], writers, [], 60)
        if not readable and not writable and not conn.pending():
            raise TimeoutError(f"stalled after sending {sent} and reading {len(echoed)} bytes")
        if writable:
            try:
                sent += conn.send(view[sent : sent + 65536])
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
        while readable or conn.pending():
            readable = []
            try:
                chunk = conn.recv(65536)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                break
            if not chunk:
                return bytes(echoed)
            echoed += chunk
    conn.setblocking(True)
    return bytes(echoed)


def sslClient(port: int, data: bytes, context: ssl.SSLContext) -> tuple[bytes, str | None, tuple]:
    """
    Blocking: connect, send C{data} while reading the echo, close cleanly.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=60) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as conn:
            echoed = sendAndReceive(conn, data)
            info = (conn.version(), conn.cipher())
            alpn = conn.selected_alpn_protocol()
            conn.unwrap()
    return echoed, alpn, info


class PythonServer:
    """
    A blocking Python C{ssl} echo server for one connection, in a thread.
    """

    def __init__(
        self,
        identity: Identity,
        requireClientCertificate: bool = False,
        context: ssl.SSLContext | None = None,
    ) -> None:
        """
        @param context: the server context to use instead of a TLS 1.2 one
            for C{identity} (then C{requireClientCertificate} is its own).
        """
        if context is not None:
            self._start(context)
            return
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(identity.certPath, identity.keyPath)
        context.set_alpn_protocols(["h2"])
        if requireClientCertificate:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cachedPKI().caPath)
        self._start(context)

    def _start(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.error: BaseException | None = None
        self.peerCertificate: dict | None = None
        self.version: str | None = None
        self.received = bytearray()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.listener.settimeout(60)
            raw, _ = self.listener.accept()
            raw.settimeout(60)
            with self.context.wrap_socket(raw, server_side=True) as conn:
                self.peerCertificate = conn.getpeercert()
                self.version = conn.version()
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    self.received += chunk
                    conn.sendall(chunk)
                conn.unwrap()
        except BaseException as e:  # noqa: BLE001 - reported to the test
            self.error = e
        finally:
            self.listener.close()

    def join(self) -> None:
        self.thread.join(60)
