# -*- test-case-name: tests.test_demo -*-
"""
C{python -m twisted_reneg.demo}: the end-to-end job behind C{make demo}.

It makes a throwaway CA and certificates and starts a server of ours on
C{127.0.0.1}.  Over TLS 1.3 (the default) a client of ours exchanges data,
prints the session, updates keys with C{rehandshake()}, and the server asks
for its certificate after the handshake (post-handshake auth); a second
connection resumes with a ticket.  Over TLS 1.2 the server renegotiates
(HelloRequest) and asks for the client's certificate mid-connection.  Then
C{openssl s_client} handshakes with the same server, and C{twistd -n reneg
--echo} runs while our command-line client makes it ask for a client
certificate mid-connection (C{**REAUTH**}).  A twisted.web site then asks
for client certificates mid-connection: trustme's and the openssl CLI's are
accepted, one from an untrusted CA is answered 403 with the reason on the
same live connection.  Exit status 0 means every step worked.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from typing import Any

from twisted.internet import defer, protocol, task
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
from twisted.python.failure import Failure
from zope.interface import implementer

from . import ClientOptions, ServerOptions, TLSFactory, TLSSession
from ._demowebcerts import demoWebClientCertificates
from .interfaces import IRenegotiationListener
from .testing.pki import makePKI
from .testing.processes import ScriptedProcess, runScripted


class _Echo(protocol.Protocol):
    """
    The demo server: echoes, and remembers its connections so the demo can
    renegotiate them.
    """

    transport: Any
    connections: list[_Echo] = []

    def connectionMade(self) -> None:
        self.connections.append(self)

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(b"echo: " + data)


@implementer(IRenegotiationListener)
class _DemoClient(protocol.Protocol):
    """
    Sends one line; C{echoed} fires when its echo is back, C{closed} when
    the connection has ended, C{keysAnswered} (with the session) when the
    server's KeyUpdate answers ours.
    """

    transport: Any

    def __init__(self, message: bytes) -> None:
        self.message = message
        self.received = b""
        self.echoed: defer.Deferred[bytes] = defer.Deferred()
        self.closed: defer.Deferred[str] = defer.Deferred()
        self.keysAnswered: defer.Deferred[TLSSession] = defer.Deferred()

    def renegotiationRequested(self) -> bool:
        return True

    def renegotiationCompleted(self, session: TLSSession) -> None:
        pass

    def renegotiationFailed(self, reason: Failure) -> None:
        pass

    def keysUpdated(self, requestedByPeer: bool) -> None:
        if not requestedByPeer and not self.keysAnswered.called:
            self.keysAnswered.callback(self.transport.session)

    def connectionMade(self) -> None:
        self.transport.write(self.message)

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if self.received.endswith(b"\n") and not self.echoed.called:
            self.echoed.callback(self.received)

    def send(self, line: bytes) -> defer.Deferred[bytes]:
        """
        Send another line; the Deferred fires with everything received once
        its echo is in.
        """
        self.echoed = defer.Deferred()
        self.transport.write(line)
        return self.echoed

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.closed.callback(reason.type.__name__)


def describe(session: TLSSession | None) -> str:
    if session is None:
        return "  (no session)"
    peer = session.peerCertificate
    # RFC 7627 is TLS 1.2's: TLS 1.3 binds its keys to the handshake itself.
    ems = session.extendedMasterSecret if session.version == "TLSv1.2" else "n/a (TLS 1.3)"
    lines = [
        f"  version:                {session.version}",
        f"  cipher suite:           {session.cipherSuite}",
        f"  key exchange group:     {session.group}",
        f"  signature scheme:       {session.signatureScheme}",
        f"  server name (SNI):      {session.serverName}",
        f"  ALPN protocol:          {session.alpnProtocol!r}",
        f"  extended master secret: {ems}",
        f"  secure renegotiation:   {session.secureRenegotiation}",
        f"  resumed:                {session.resumed}",
        f"  peer certificate:       {peer.subject.rfc4514_string() if peer else None}",
    ]
    return "\n".join(lines)


async def _main(reactor: Any) -> int:
    directory = tempfile.mkdtemp(prefix="twisted_reneg-demo-")
    try:
        return await _demo(reactor, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def _demo(reactor: Any, directory: str) -> int:
    pki = makePKI(directory)
    print(f"[demo] throwaway CA and certificates in {directory}")
    serverOptions = ServerOptions.fromPEM(
        pki.ecdsaServer.certPath,
        pki.ecdsaServer.keyPath,
        acceptableProtocols=[b"demo/1"],
        trustRoots=[pki.caCertificate],  # for the client certificate we ask for later
    )
    serverFactory = TLSFactory(serverOptions, False, protocol.Factory.forProtocol(_Echo))
    port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(serverFactory)
    portNumber = port.getHost().port
    print(f"[demo] our server (TLS 1.3, and 1.2 for older clients) on 127.0.0.1:{portNumber}")
    failures = 0
    try:
        failures += await _tls13(reactor, pki, portNumber)
        failures += await _tls12(reactor, pki, portNumber)
        failures += await _openssl(reactor, pki, portNumber)
    finally:
        await port.stopListening()
    failures += await demoWebClientCertificates(reactor, pki, directory)
    failures += await _twistdAndCLI(reactor, pki)
    print("[demo] PASSED" if not failures else f"[demo] {failures} step(s) FAILED")
    return 1 if failures else 0


def _clientOptions(pki: Any, **kw: Any) -> ClientOptions:
    return ClientOptions(
        "localhost",
        trustRoots=[pki.caCertificate],
        acceptableProtocols=[b"demo/1"],
        clientCertificate=((pki.ecdsaClient.certificate,), pki.ecdsaClient.privateKey),
        **kw,
    )


async def _connect(
    reactor: Any, options: ClientOptions, portNumber: int, line: bytes
) -> tuple[_DemoClient, Any]:
    """
    Connect a demo client, wait for the echo of C{line}; return the client
    and the server side of the connection.
    """
    client = _DemoClient(line)
    factory = TLSFactory(options, True, protocol.Factory.forProtocol(lambda: client))
    await TCP4ClientEndpoint(reactor, "127.0.0.1", portNumber).connect(factory)
    reply = await client.echoed
    print(f"[demo] our client got: {reply!r}")
    return client, _Echo.connections[-1].transport


async def _close(client: _DemoClient) -> int:
    client.transport.loseConnection()
    reason = await client.closed
    print(f"[demo] our client closed the connection: {reason}")
    return 0 if reason == "ConnectionDone" else 1


def _check(ok: bool, what: str) -> int:
    if not ok:
        print(f"[demo] FAILED: {what}")
    return 0 if ok else 1


async def _tls13(reactor: Any, pki: Any, portNumber: int) -> int:
    """
    TLS 1.3: rehandshake() is a key update, requestClientCertificate() is
    post-handshake authentication; a second connection resumes.
    """
    print("[demo] --- TLS 1.3 ---")
    options = _clientOptions(pki)
    client, serverSide = await _connect(reactor, options, portNumber, b"hello over TLS 1.3\n")
    print("[demo] negotiated session (client view):")
    print(describe(client.transport.session))
    failures = _check(client.transport.session.version == "TLSv1.3", "not TLS 1.3")
    await client.transport.rehandshake()
    print(
        "[demo] client rehandshake() on TLS 1.3 = KeyUpdate(update_requested) sent: "
        "our sending keys are new"
    )
    session = await client.keysAnswered
    print(f"[demo] the server answered with its own KeyUpdate: keyUpdates={session.keyUpdates}")
    failures += _check(session.keyUpdates == 1, "key update count")
    print(f"[demo] client certificate known to the server before asking: {_peer(serverSide)}")
    session = await serverSide.requestClientCertificate(timeout=10)
    print(
        "[demo] server requestClientCertificate() on TLS 1.3 = post-handshake auth: "
        f"the server now sees {_peer(serverSide)} (renegotiations={session.renegotiations})"
    )
    failures += _check(
        session.peerCertificate == pki.ecdsaClient.certificate and session.renegotiations == 0,
        "post-handshake authentication results",
    )
    reply = await client.send(b"after the key update\n")
    print(f"[demo] data still flows under the new keys: {reply.splitlines()[-1]!r}")
    failures += await _close(client)
    again, _ = await _connect(reactor, options, portNumber, b"hello again\n")
    resumed = again.transport.session
    print(f"[demo] second connection with the same ClientOptions: resumed={resumed.resumed}")
    failures += _check(resumed.resumed, "no resumption")
    failures += await _close(again)
    return failures


async def _tls12(reactor: Any, pki: Any, portNumber: int) -> int:
    """
    TLS 1.2: a HelloRequest renegotiation, then one asking for the client's
    certificate.
    """
    print("[demo] --- TLS 1.2 ---")
    options = _clientOptions(pki, maxVersion="1.2", resumeSessions=False)
    client, serverSide = await _connect(reactor, options, portNumber, b"hello over TLS 1.2\n")
    print(describe(client.transport.session))
    session = await serverSide.rehandshake(timeout=10)
    print(
        "[demo] server-initiated renegotiation (HelloRequest) completed: "
        f"renegotiations={session.renegotiations}, suite={session.cipherSuite}"
    )
    print(f"[demo] client certificate known to the server before asking: {_peer(serverSide)}")
    session = await serverSide.requestClientCertificate(timeout=10)
    print(
        "[demo] mid-connection client-certificate request: the server now sees "
        f"{_peer(serverSide)} (renegotiations={session.renegotiations})"
    )
    failures = _check(
        session.renegotiations == 2 and session.peerCertificate == pki.ecdsaClient.certificate,
        "renegotiation results",
    )
    reply = await client.send(b"after renegotiating\n")
    print(f"[demo] data still flows under the new keys: {reply.splitlines()[-1]!r}")
    return failures + await _close(client)


def _peer(transport: Any) -> str | None:
    peer = transport.session.peerCertificate
    return peer.subject.rfc4514_string() if peer is not None else None


async def _openssl(reactor: Any, pki: Any, portNumber: int) -> int:
    openssl = shutil.which("openssl")
    if openssl is None:
        print("[demo] FAILED: openssl not found (run `make demo`, which installs it)")
        return 1
    out, err, code = await _runOpenSSL(reactor, openssl, portNumber, pki.caPath)
    text = out.decode("utf-8", "replace")
    wanted = ["Verify return code: 0 (ok)", "Protocol  : TLSv1.2", "echo: hello from openssl"]
    missing = [w for w in wanted if w not in text]
    for line in text.splitlines():
        if any(
            k in line for k in ("Protocol  :", "Cipher    :", "Verify return", "ALPN", "echo:")
        ):
            print(f"[demo] openssl s_client: {line.strip()}")
    if code != 0 or missing:
        print(f"[demo] FAILED: openssl s_client exit {code}, missing {missing}")
        print(err.decode("utf-8", "replace")[-2000:])
        return 1
    print("[demo] openssl s_client handshake with our server: OK")
    return 0


async def _runOpenSSL(
    reactor: Any, openssl: str, portNumber: int, caPath: str
) -> tuple[bytes, bytes, int]:
    argv = [
        openssl, "s_client", "-tls1_2", "-connect", f"127.0.0.1:{portNumber}",
        "-servername", "localhost", "-CAfile", caPath, "-verify_return_error",
        "-verify_hostname", "localhost", "-alpn", "demo/1",
    ]  # fmt: skip
    line = b"hello from openssl\n"
    steps = [(b"Verify return code", line), (b"echo: " + line, None)]
    result = await runScripted(argv, steps, reactor=reactor)
    return result.stdout, result.stderr, -1 if result.exitCode is None else result.exitCode


async def _twistdAndCLI(reactor: Any, pki: Any) -> int:
    """
    Run C{twistd -n reneg --echo} and talk to it with our CLI, which sends
    C{**REAUTH**}: the service asks for a client certificate mid-connection.
    """
    import os
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    listen = (
        f"reneg:{port}:interface=127.0.0.1:privateKey={pki.ecdsaServer.keyPath}"
        f":certKey={pki.ecdsaServer.certPath}:trustRoots={pki.caPath}"
    )
    twistd = os.path.join(os.path.dirname(sys.executable), "twistd")
    argv = [twistd, "-n", "--pidfile=", "reneg", "--listen", listen, "--echo"]
    print(f"[demo] starting: twistd -n reneg --listen reneg:{port}:... --echo")
    server = ScriptedProcess([], reactor, timeout=60)
    reactor.spawnProcess(server, twistd, argv, env=None)
    try:
        for _ in range(100):
            await task.deferLater(reactor, 0.1, lambda: None)
            if b"starting on" in server.out + server.err:
                break
        cli = [
            sys.executable, "-m", "twisted_reneg", "client", "127.0.0.1", str(port),
            "--servername", "localhost", "--cafile", pki.caPath,
            "--cert", pki.ecdsaClient.certPath, "--key", pki.ecdsaClient.keyPath,
        ]  # fmt: skip
        print("[demo] python -m twisted_reneg client ... sends 'hello' then '**REAUTH**'")
        result = await runScripted(
            cli,
            [
                (b"Handshake completed", b"hello\n"),
                (b"hello\n", b"**REAUTH**\n"),
                (b"*** client certificate", None),
            ],
            reactor=reactor,
        )
        out, err, code = result.stdout, result.stderr, result.exitCode
        for line in err.decode("utf-8", "replace").splitlines():
            print(f"[demo]   cli (events, stderr): {line}")
        for line in out.decode("utf-8", "replace").splitlines():
            print(f"[demo]   cli (data, stdout): {line}")
        ok = code == 0 and b"peer CN=test-client" in out and b"post-handshake auth" in err
        print(
            "[demo] twistd service asked the CLI for its certificate mid-connection: "
            + ("OK" if ok else "FAILED")
        )
        return 0 if ok else 1
    finally:
        server.transport.signalProcess("TERM")
        await server.done


def main() -> None:
    task.react(lambda reactor: defer.ensureDeferred(_main(reactor)).addCallback(sys.exit))


if __name__ == "__main__":
    main()
