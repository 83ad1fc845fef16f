# -*- test-case-name: tests.interop.test_pythonssl -*-
"""
Interop with Python's C{ssl} module (OpenSSL underneath, driven the way
Python applications drive it), on real sockets, each direction.  The
C{ssl} side runs in a thread with blocking sockets.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading

from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from twisted_reneg.testing.pki import Identity, cachedPKI
from twisted_reneg.tls.suites import TLS12_SUITES

from .peers import (
    OPENSSL_CIPHERS,
    Collector,
    OurServer,
    connectOurClient,
    digest,
    payload,
)
from .test_openssl import ourClientOptions, ourServerOptions, serverIdentityFor

BULK = 8 * 1024 * 1024


def clientContext(cipher: str | None = None, identity: Identity | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cachedPKI().caPath)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    if cipher:
        context.set_ciphers(cipher)
    if identity is not None:
        context.load_cert_chain(identity.certPath, identity.keyPath)
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context


def recvExactly(conn: ssl.SSLSocket, n: int) -> bytes:
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


class OurServerPythonClientTests(TestCase):
    timeout = 120

    async def test_everySuite(self) -> None:
        for suite in TLS12_SUITES:
            server = OurServer(self, ourServerOptions(serverIdentityFor(suite.keyExchange)))
            context = clientContext(OPENSSL_CIPHERS[suite.name])
            echoed, _, (version, cipher) = await deferToThread(
                sslClient, server.portNumber, b"hello\n", context
            )
            ours = await server.nextConnection()
            self.assertEqual(echoed, b"hello\n")
            self.assertEqual(version, "TLSv1.2")
            self.assertEqual(cipher[0], OPENSSL_CIPHERS[suite.name])
            self.assertEqual(ours.session.cipherSuite, "TLS_" + suite.name)

    async def test_alpnClientCertificateAndBulk(self) -> None:
        """
        ALPN, a client certificate our server requires, and 8 MiB each way.
        """
        pki = cachedPKI()
        server = OurServer(
            self,
            ourServerOptions(
                acceptableProtocols=[b"http/1.1"],
                clientCertificates="require",
                trustRoots=[pki.caCertificate],
            ),
        )
        data = payload(BULK, b"python-ssl")
        echoed, alpn, _ = await deferToThread(
            sslClient, server.portNumber, data, clientContext(identity=pki.ecdsaClient)
        )
        ours = await server.nextConnection()
        self.assertEqual(alpn, "http/1.1")
        self.assertEqual(digest(echoed), digest(data))
        self.assertEqual(digest(bytes(ours.received)), digest(data))
        self.assertEqual(ours.session.peerCertificate, pki.ecdsaClient.certificate)


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


class OurClientPythonServerTests(TestCase):
    timeout = 120

    async def test_everySuiteCertificate(self) -> None:
        pki = cachedPKI()
        for identity in (pki.rsaServer, pki.ecdsaServer, pki.ecdsa384Server, pki.ed25519Server):
            server = PythonServer(identity)
            client = await connectOurClient(
                ourClientOptions(), server.port, Collector(b"hi\n", expected=3)
            )
            await deferToThread(server.join)
            self.assertIsNone(server.error)
            self.assertEqual(bytes(client.received), b"hi\n")
            self.assertEqual(client.session.peerCertificate, identity.certificate)

    async def test_alpnClientCertificateAndBulk(self) -> None:
        pki = cachedPKI()
        server = PythonServer(pki.ecdsaServer, requireClientCertificate=True)
        data = payload(BULK, b"python-ssl-server")
        client = await connectOurClient(
            ourClientOptions(
                acceptableProtocols=[b"h2"],
                clientCertificate=((pki.rsaClient.certificate,), pki.rsaClient.privateKey),
            ),
            server.port,
            Collector(data, expected=len(data)),
            timeout=120,
        )
        await deferToThread(server.join)
        self.assertIsNone(server.error)
        self.assertEqual(client.session.alpnProtocol, b"h2")
        self.assertEqual(digest(bytes(client.received)), digest(data))
        assert server.peerCertificate is not None
        self.assertIn((("commonName", "test-client"),), server.peerCertificate["subject"])
