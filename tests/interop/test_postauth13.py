# -*- test-case-name: tests.interop.test_postauth13 -*-
"""
TLS 1.3 post-handshake client authentication with real peers on 127.0.0.1:
our server's C{requestClientCertificate()} answered by C{openssl s_client
-enable_pha}, C{gnutls-cli --post-handshake-auth} and Python's C{ssl}; our
client answering C{openssl s_server}'s C{c} command and Python's
C{verify_client_post_handshake()}.
"""

from __future__ import annotations

import socket
import ssl
import threading

from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from twisted_reneg.testing.pki import cachedPKI

from ._gnutls import TLS13_ONLY, gnutlsCliArgv, gnutlsServArgv
from ._openssl import sClientArgv, sServerArgv
from ._options import client13, ourServerOptions
from ._renegotiation import CommandServer, Watcher
from ._twistedtls import twistedCertificate
from .peers import (
    Collector,
    OurServer,
    connectOurClient,
    freePort,
    handshaken,
    runScriptedClient,
    startPeerServer,
    waitFor,
)


def clientSubject() -> bytes:
    return cachedPKI().rsaClient.certificate.subject.rfc4514_string().encode()


def commandServer(case: TestCase) -> OurServer:
    options = ourServerOptions(maxVersion="1.3", trustRoots=[cachedPKI().caCertificate])
    return OurServer(case, options, protocolClass=CommandServer)


class OurServerTests(TestCase):
    """
    Peers' clients answer our post-handshake CertificateRequest.
    """

    timeout = 60

    def sClient(self, port: int, *extra: str) -> list[str]:
        argv = sClientArgv(port, *extra)
        argv[argv.index("-tls1_2")] = "-tls1_3"
        return argv

    async def test_openssl(self) -> None:
        identity = cachedPKI().rsaClient
        server = commandServer(self)
        argv = self.sClient(
            server.portNumber, "-enable_pha", "-cert", identity.certPath, "-key", identity.keyPath
        )
        result = await runScriptedClient(
            argv, [(b"Verify return code", b"go-cert\n"), (b"client-cert", None)]
        )
        self.assertIn(b"client-cert " + clientSubject(), result.stdout)
        ours = await server.nextConnection()
        self.assertEqual(ours.session.peerCertificate, identity.certificate)

    async def test_opensslWithoutPHARefusedAtOnce(self) -> None:
        """
        s_client without -enable_pha: the request fails at once, clearly,
        and the connection goes on.
        """
        server = commandServer(self)
        result = await runScriptedClient(
            self.sClient(server.portNumber),
            [
                (b"Verify return code", b"go-cert\n"),
                (b"reneg-failed", b"still here\n"),
                (b"still here\n", None),
            ],
        )
        self.assertIn(b"reneg-failed PostHandshakeAuthNotOffered", result.stdout)

    async def test_gnutls(self) -> None:
        identity = cachedPKI().rsaClient
        server = commandServer(self)
        argv = gnutlsCliArgv(
            server.portNumber,
            TLS13_ONLY,
            "--post-handshake-auth",
            "--x509certfile",
            identity.certPath,
            "--x509keyfile",
            identity.keyPath,
        )
        result = await runScriptedClient(
            argv, [(b"Simple Client Mode", b"go-cert\n"), (b"client-cert", None)]
        )
        self.assertIn(b"client-cert " + clientSubject(), result.stdout)

    async def test_pythonSSL(self) -> None:
        """
        Python's C{ssl} with C{post_handshake_auth}: OpenSSL answers the
        request inside the next C{recv}.
        """
        pki = cachedPKI()
        server = commandServer(self)
        context = ssl.create_default_context(cafile=pki.caPath)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.post_handshake_auth = True
        context.load_cert_chain(pki.rsaClient.certPath, pki.rsaClient.keyPath)

        def converse() -> bytes:
            with socket.create_connection(("127.0.0.1", server.portNumber), timeout=30) as raw:
                with context.wrap_socket(raw, server_hostname="localhost") as conn:
                    conn.sendall(b"go-cert\n")
                    answer = b""
                    while b"\n" not in answer:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        answer += chunk
                    return answer

        answer = await deferToThread(converse)
        self.assertEqual(answer, b"client-cert " + clientSubject() + b"\n")


class OurClientTests(TestCase):
    """
    Our client answers peers' post-handshake CertificateRequests.
    """

    timeout = 60

    async def test_opensslServer(self) -> None:
        """
        s_server's "c" command; s_server verifies our chain and prints it.
        """
        pki = cachedPKI()
        port = freePort()
        argv = sServerArgv(port, pki.ecdsaServer, "-CAfile", pki.caPath)
        argv[argv.index("-tls1_2")] = "-tls1_3"
        server = startPeerServer(self, argv, port)
        client = Collector(b"hello\n")
        done = connectOurClient(
            client13(clientCertificate=twistedCertificate(pki.rsaClient)), port, client
        )
        await waitFor(handshaken(client), "the handshake")
        server.type(b"c\n")
        # s_server's verify callback prints the chain it checked.
        await waitFor(lambda: "CN = test-client" in server.output(), "s_server to verify us")
        client.transport.write(b"after auth\n")
        await waitFor(lambda: b"after auth" in server.stdout(), "s_server to print our line")
        client.transport.loseConnection()
        await done
        server.stop()
        # s_server's verify callback prints the chain it checked.
        self.assertIn("CN = test-client", server.output())
        self.assertIn(b"after auth", server.stdout())

    async def test_gnutlsServer(self) -> None:
        """
        gnutls-serv's C{**REAUTH**} command is gnutls_reauth(): it blocks
        until our answer verifies, then echoes on.
        """
        pki = cachedPKI()
        port = freePort()
        argv = gnutlsServArgv(
            port,
            pki.ecdsaServer,
            TLS13_ONLY,
            "--x509cafile",
            pki.caPath,
            "--verify-client-cert",
        )
        server = startPeerServer(self, argv, port)
        client = Watcher(b"**REAUTH**\n")
        done = connectOurClient(
            client13(clientCertificate=twistedCertificate(pki.rsaClient)), port, client
        )
        # On a TLS 1.3 client, renegotiationCompleted() means we answered a
        # post-handshake CertificateRequest.  Only then the next line:
        # gnutls_reauth() does not take application data before the answer.
        session = await client.renegotiated
        self.assertEqual(session.version, "TLSv1.3")
        client.transport.write(b"after auth\n")
        await waitFor(lambda: b"after auth\n" in client.received, "the echo")
        client.transport.loseConnection()
        await done
        server.stop()
        output = server.output()
        self.assertIn("Sending re-auth request", output)
        self.assertNotIn("rror", output.split("Sending re-auth request")[1])
        self.assertIn(b"after auth\n", bytes(client.received))

    async def test_pythonSSLServer(self) -> None:
        """
        Python's C{verify_client_post_handshake()} on the server side.
        """
        pki = cachedPKI()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        context.load_cert_chain(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath)
        context.load_verify_locations(pki.caPath)
        # With post_handshake_auth, CERT_REQUIRED asks only after the handshake.
        context.post_handshake_auth = True
        context.verify_mode = ssl.CERT_REQUIRED
        listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listener.close)
        port = listener.getsockname()[1]
        seen: dict[str, object] = {}

        def serve() -> None:
            conn, _ = listener.accept()
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(100)
                tls.verify_client_post_handshake()
                tls.sendall(b"asked\n")
                tls.recv(100)  # processes the client's answer
                seen["peer"] = tls.getpeercert()
                tls.sendall(b"done\n")

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        client = await connectOurClient(
            client13(clientCertificate=twistedCertificate(pki.rsaClient)),
            port,
            _TwoStep(),
        )
        await deferToThread(thread.join, 30)
        self.assertIn(b"done\n", bytes(client.received))
        subject = dict(x[0] for x in seen["peer"]["subject"])  # type: ignore[index]
        self.assertEqual(subject["commonName"], "test-client")


class _TwoStep(Collector):
    """
    Says hello, and once asked (the request is on its way) says more, so
    the server's next C{recv} meets our answer.
    """

    def __init__(self) -> None:
        super().__init__(b"hello\n", expected=len(b"asked\ndone\n"))

    def dataReceived(self, data: bytes) -> None:
        super().dataReceived(data)
        if data.startswith(b"asked"):
            self.transport.write(b"more\n")
