# -*- test-case-name: tests.test_endpoint_composition -*-
"""
C{reneg:} over any server endpoint (P11): C{reneg:tcp6:...}, C{reneg:unix:...},
C{reneg:systemd:...} and others get our TLS keywords, the endpoint below
gets the rest; C{reneg:PORT:...} stays TCP; client endpoints connect with
C{HostnameEndpoint} (IPv6 too); C{haproxy:reneg:...}, which would read the
PROXY header inside TLS, is refused naming C{proxyProtocol=yes}.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile

from twisted.internet import protocol, reactor
from twisted.internet.endpoints import (
    TCP4ServerEndpoint,
    UNIXClientEndpoint,
    clientFromString,
    serverFromString,
)
from twisted.trial.unittest import TestCase

from twisted_reneg import ClientOptions, ServerOptions
from twisted_reneg.endpoints import wrapClientTLS, wrapServerTLS
from twisted_reneg.testing.pki import cachedPKI

from ._proxied import ProxiedClient
from .interop.peers import Collector, DigestEcho


def tlsKeywords() -> str:
    pki = cachedPKI()
    return f"privateKey={pki.ecdsaServer.keyPath}:certKey={pki.ecdsaServer.certPath}"


def clientTo(host: str, port: int) -> str:
    escaped = host.replace(":", "\\:")
    return f"reneg:host={escaped}:port={port}:hostname=localhost:trustRoots={cachedPKI().caPath}"


class ComposedServerTests(TestCase):
    timeout = 60

    async def listen(self, description: str) -> tuple[object, list[DigestEcho]]:
        made: list[DigestEcho] = []

        def build() -> DigestEcho:
            made.append(DigestEcho())
            return made[-1]

        port = await serverFromString(reactor, description).listen(
            protocol.Factory.forProtocol(build)
        )
        self.addCleanup(port.stopListening)
        return port, made

    async def echo(self, endpoint: object) -> Collector:
        client = Collector(b"hello\n", expected=6)
        await endpoint.connect(protocol.Factory.forProtocol(lambda: client))  # type: ignore[attr-defined]
        return await client.lost

    async def test_tcp6(self) -> None:
        """
        C{reneg:tcp6:0:interface=\\:\\:1}: an IPv6 listener; our client
        endpoint reaches it by address with C{HostnameEndpoint}.
        """
        port, made = await self.listen(f"reneg:tcp6:0:interface=\\:\\:1:{tlsKeywords()}")
        number = port.getHost().port  # type: ignore[attr-defined]
        client = await self.echo(clientFromString(reactor, clientTo("::1", number)))
        self.assertEqual(bytes(client.received), b"hello\n")
        self.assertEqual(made[0].session.version, "TLSv1.3")
        self.assertEqual(made[0].transport.getPeer().host, "::1")

    async def test_explicitTcp(self) -> None:
        port, _ = await self.listen(f"reneg:tcp:0:interface=127.0.0.1:{tlsKeywords()}")
        number = port.getHost().port  # type: ignore[attr-defined]
        client = await self.echo(clientFromString(reactor, clientTo("127.0.0.1", number)))
        self.assertEqual(bytes(client.received), b"hello\n")

    async def test_clientByName(self) -> None:
        """
        C{host=localhost}: HostnameEndpoint tries every address the name
        has, IPv6 and IPv4, and connects to the one that listens.
        """
        port, _ = await self.listen(f"reneg:0:interface=127.0.0.1:{tlsKeywords()}")
        number = port.getHost().port  # type: ignore[attr-defined]
        client = await self.echo(clientFromString(reactor, clientTo("localhost", number)))
        self.assertEqual(bytes(client.received), b"hello\n")

    async def test_unix(self) -> None:
        path = os.path.join(tempfile.mkdtemp(), "tls.sock")
        _, made = await self.listen(f"reneg:unix:{path}:{tlsKeywords()}:maxVersion=1.2")
        options = ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate])
        client = await self.echo(wrapClientTLS(options, UNIXClientEndpoint(reactor, path)))
        self.assertEqual(bytes(client.received), b"hello\n")
        self.assertEqual(made[0].session.version, "TLSv1.2")

    async def test_systemdSocketActivation(self) -> None:
        """
        C{reneg:systemd:domain=INET:index=0}: a socket systemd passes (as
        fd 3, with C{LISTEN_FDS} and C{LISTEN_PID}), here to
        C{python -m twisted_reneg server}.
        """
        await self.systemdSocketActivation()

    async def test_systemdSocketActivationWithWorkers(self) -> None:
        """
        The same with C{--workers 2}: the parent takes systemd's socket,
        the workers inherit it from the parent.
        """
        await self.systemdSocketActivation("--workers", "2")

    async def systemdSocketActivation(self, *extra: str) -> None:
        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        number = listening.getsockname()[1]
        self.addCleanup(listening.close)
        description = f"reneg:systemd:domain=INET:index=0:{tlsKeywords()}"
        # systemd's protocol: the sockets from fd 3 on, LISTEN_PID the pid
        # of the process that is to use them (sh's, kept by exec), their
        # names in LISTEN_FDNAMES (systemd 227 on; Twisted wants both).
        script = (
            'listen="$1"; shift; LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=tls '
            'exec "$0" -m twisted_reneg server --listen "$listen" --echo "$@"'
        )
        fd = listening.fileno()

        def asFd3() -> None:
            os.dup2(fd, 3)

        server = subprocess.Popen(
            ["sh", "-c", script, sys.executable, description, *extra],
            pass_fds=(3,),
            preexec_fn=asFd3,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

        def stop() -> None:
            server.terminate()
            server.wait(10)
            assert server.stderr is not None
            server.stderr.close()

        self.addCleanup(stop)
        client = await self.echo(clientFromString(reactor, clientTo("127.0.0.1", number)))
        self.assertEqual(bytes(client.received), b"hello\n")

    async def test_haproxyOutsideRefused(self) -> None:
        """
        Twisted's C{haproxy:} prefix around ours would parse the PROXY
        header inside TLS; listening fails with an error naming the fix.
        """
        endpoint = serverFromString(
            reactor, f"haproxy:reneg:0:interface=127.0.0.1:{tlsKeywords()}"
        )
        failure = self.failureResultOf(endpoint.listen(protocol.Factory()), ValueError)
        self.assertIn("proxyProtocol=yes", str(failure.value))

    def test_unknownInnerType(self) -> None:
        with self.assertRaises(ValueError) as raised:
            serverFromString(reactor, f"reneg:nonsense:1:{tlsKeywords()}")
        message = str(raised.exception)
        self.assertIn("'nonsense' is neither a port number nor an endpoint type", message)
        self.assertNotIn("privateKey", message.split("(")[1])

    def test_tlsKeywordsStayOurs(self) -> None:
        """
        Our keywords are not passed down: an inner endpoint that would
        refuse an unknown keyword does not see them.
        """
        path = os.path.join(tempfile.mkdtemp(), "s.sock")
        endpoint = serverFromString(
            reactor, f"reneg:unix:{path}:mode=600:{tlsKeywords()}:clientCert=request"
        )
        config = endpoint.options.tlsConfig()  # type: ignore[attr-defined]
        self.assertEqual(config.clientAuth.value, "request")


class ProxyProtocolOptionTests(TestCase):
    timeout = 30

    async def test_wrapServerTLS(self) -> None:
        """
        C{wrapServerTLS(..., proxyProtocol=True)}: the header is read before
        TLS; the application sees the client the header names.
        """
        made: list[DigestEcho] = []

        def build() -> DigestEcho:
            made.append(DigestEcho())
            return made[-1]

        pki = cachedPKI()
        options = ServerOptions.fromPEM(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath)
        endpoint = wrapServerTLS(
            options, TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1"), proxyProtocol=True
        )
        port = await endpoint.listen(protocol.Factory.forProtocol(build))
        self.addCleanup(port.stopListening)
        client = ProxiedClient(b"hello\n", expected=6)
        await protocol.ClientCreator(reactor, lambda: client).connectTCP(  # type: ignore[arg-type]
            "127.0.0.1", port.getHost().port
        )
        await client.lost
        self.assertEqual(bytes(client.received), b"hello\n")
        peer, host = made[0].transport.getPeer(), made[0].transport.getHost()
        self.assertEqual((peer.host, peer.port), ("192.0.2.7", 40001))
        self.assertEqual((host.host, host.port), ("198.51.100.1", 443))
