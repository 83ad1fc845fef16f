# -*- test-case-name: tests.test_cli -*-
"""
C{python -m twisted_reneg client HOST PORT [options]}: like C{openssl
s_client} or C{gnutls-cli}, over our TLS.  Standard input lines go to the
server (C{^renegotiate^} and C{^rekey^} are commands, as with gnutls-cli's
C{--inline-commands}); what the server sends goes to standard output; the
session and every TLS event go to standard error.

C{python -m twisted_reneg server ...} runs the C{twistd reneg} service.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from twisted.internet import defer, protocol, stdio, task
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IHandshakeListener
from twisted.python.failure import Failure
from zope.interface import implementer

from ._files import loadCertificates, loadPrivateKey, readPassword
from .interfaces import IRenegotiationListener
from .options import ClientOptions
from .tls.errors import (
    LocalUsageError,
    RenegotiationRefused,
    RenegotiationTimeout,
    TLSAlertError,
)
from .tls.session import TLSSession
from .transport import TLSFactory


def say(line: str) -> None:
    print(f"- {line}", file=sys.stderr, flush=True)


def sayKeyingMaterial(transport: Any, label: bytes, length: int) -> None:
    """
    The C{Keying material: HEX} line of C{openssl s_client -keymatexport}
    (uppercase hex, no context), on standard error with the other events.
    """
    try:
        material = transport.exportKeyingMaterial(label, length)
    except (LocalUsageError, ValueError) as e:
        say(f"Keying material not exported: {e}")
        return
    say(f"Keying material: {material.hex().upper()}")


def describe(session: TLSSession) -> str:
    peer = session.peerCertificate
    text = (
        f"{session.version} {session.cipherSuite} {session.group}, "
        f"peer {peer.subject.rfc4514_string() if peer else 'none'}, "
        f"ALPN {session.alpnProtocol.decode() if session.alpnProtocol else 'none'}"
    )
    if session.version == "TLSv1.2":
        # RFC 7627 is TLS 1.2's; TLS 1.3 binds its keys to the handshake itself.
        text += f", extended master secret {'yes' if session.extendedMasterSecret else 'no'}"
    return text


@implementer(IHandshakeListener, IRenegotiationListener)
class _TLSClient(protocol.Protocol):
    """
    The TLS side: prints what arrives and reports each TLS event with one
    line, when the transport reports it (so in the order things happened).

    @ivar stdin: told once the first handshake is done.
    """

    transport: Any

    def __init__(
        self, hasCertificate: bool = False, keyingMaterial: tuple[bytes, int] | None = None
    ) -> None:
        """
        @param keyingMaterial: (label, length) of keying material to print
            after every handshake, as C{openssl s_client -keymatexport}.
        """
        self.done: defer.Deferred[int] = defer.Deferred()
        self.handshaken = False
        self.hasCertificate = hasCertificate
        self.keyingMaterial = keyingMaterial
        self.stdin: _Stdin | None = None

    def _sayKeyingMaterial(self) -> None:
        if self.keyingMaterial is not None:
            sayKeyingMaterial(self.transport, *self.keyingMaterial)

    def handshakeCompleted(self) -> None:
        # Called after every handshake; renegotiationCompleted reports the
        # later ones.
        if self.handshaken:
            return
        self.handshaken = True
        say(f"Handshake completed: {describe(self.transport.session)}")
        self._sayKeyingMaterial()
        if self.stdin is not None:
            self.stdin.ready()

    def renegotiationRequested(self) -> bool:
        say("Renegotiation requested by the server")
        return True

    def renegotiationCompleted(self, session: TLSSession) -> None:
        if session.version == "TLSv1.3":
            # TLS 1.3 has no renegotiation: this was post-handshake auth.
            answer = "sent" if self.hasCertificate else "none to send, answered without"
            say(f"Client certificate requested by the server (post-handshake auth): {answer}")
            return
        say(f"Renegotiation {session.renegotiations} completed: {describe(session)}")
        self._sayKeyingMaterial()

    def renegotiationFailed(self, reason: Failure) -> None:
        # Every renegotiation that ends without completing is reported
        # here, ours included (the command's Deferred then fails with the
        # same reason, and stays quiet).  One cut short by the end of the
        # connection is connectionLost's to report.
        if reason.check(RenegotiationRefused):
            say(f"Renegotiation refused: {reason.getErrorMessage()}")
        elif reason.check(RenegotiationTimeout):
            say(f"Renegotiation timed out: {reason.getErrorMessage()}")

    def keysUpdated(self, requestedByPeer: bool) -> None:
        if requestedByPeer:
            say("Keys updated by the server, and ours at its request")
        else:
            say("Keys updated by the server")
        # The same as before (TLS 1.3 exporters belong to the handshake),
        # printed to show just that.
        self._sayKeyingMaterial()

    def dataReceived(self, data: bytes) -> None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        if reason.check(TLSAlertError):
            say(f"TLS failure: {reason.getErrorMessage()}")
            self.done.callback(1)
        elif reason.check(ConnectionDone):
            say("Connection closed cleanly (close_notify both ways)")
            self.done.callback(0)
        else:
            # Without close_notify the data may have been cut short.
            say(f"Connection lost: {reason.getErrorMessage()}")
            self.done.callback(1)


class _Stdin(protocol.Protocol):
    """
    Standard input: data lines and inline commands.  Until the first
    handshake is done they wait (commands only mean something once the
    version is known, and are reported after the handshake that way).

    @ivar _held: lines waiting for the handshake, or C{None} once it is done.
    @ivar _ended: standard input ended while lines were held.
    """

    def __init__(self, tls: _TLSClient) -> None:
        self.tls = tls
        self.buffer = b""
        self._held: list[bytes] | None = None if tls.handshaken else []
        self._ended = False
        tls.stdin = self

    def dataReceived(self, data: bytes) -> None:
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            if self._held is not None:
                self._held.append(line)
            else:
                self.line(line)

    def ready(self) -> None:
        """
        The first handshake completed: go through what was typed meanwhile.
        """
        held, self._held = self._held or [], None
        for line in held:
            self.line(line)
        if self._ended:
            self._close()

    def line(self, line: bytes) -> None:
        transport = self.tls.transport
        command = line.strip()
        if command in (b"^renegotiate^", b"^rekey^"):
            session = transport.session
            if session.version == "TLSv1.3":
                what, started = (
                    "Key update",
                    "Key update sent (the server answers when it next writes)",
                )
            elif command == b"^rekey^":
                say("Key update needs TLS 1.3; this connection is TLS 1.2 (use ^renegotiate^)")
                return
            else:
                what, started = "Renegotiation", "Renegotiating..."
            self._report(transport.rehandshake(timeout=30), what, started)
        else:
            transport.write(line + b"\n")

    @staticmethod
    def _report(d: defer.Deferred[TLSSession], what: str, started: str) -> None:
        """
        One line for a command: refused at the call (its Deferred failed
        already, which no listener hears), or started.  How it ends is for
        the listener (or connectionLost) to report.
        """
        refused: list[Failure] = []
        d.addErrback(refused.append)
        if refused:
            say(f"{what} not started: {refused[0].getErrorMessage()}")
        else:
            say(started)

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        if self._held is not None:
            self._ended = True
            return
        self._close()

    def _close(self) -> None:
        if self.buffer:
            self.tls.transport.write(self.buffer)
        self.tls.transport.loseConnection()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m twisted_reneg client")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--cafile", help="PEM trust roots (default: the system bundle)")
    parser.add_argument(
        "--cert",
        action="append",
        default=[],
        help="client certificate chain (PEM); repeat with --key for several, the one "
        "sent is the first from a CA the server names",
    )
    parser.add_argument(
        "--key", action="append", default=[], help="the private key of each --cert (PEM)"
    )
    parser.add_argument(
        "--key-password",
        metavar="SPEC",
        help="password of encrypted --key files: pass:PASSWORD, env:VARIABLE or file:PATH",
    )
    parser.add_argument("--servername", help="name for SNI and verification (default: HOST)")
    parser.add_argument("--alpn", action="append", default=[], help="ALPN protocol (repeatable)")
    versions = parser.add_mutually_exclusive_group()
    versions.add_argument("--tls1.2", dest="version", action="store_const", const="1.2")
    versions.add_argument("--tls1.3", dest="version", action="store_const", const="1.3")
    parser.add_argument(
        "--insecure", action="store_true", help="do not verify the server certificate"
    )
    addKeyingMaterialArguments(parser)
    return parser


def addKeyingMaterialArguments(parser: argparse.ArgumentParser) -> None:
    """
    C{--keymatexport LABEL} and C{--keymatexportlen N}, as OpenSSL's.
    """
    parser.add_argument(
        "--keymatexport",
        metavar="LABEL",
        help="print keying material exported with LABEL (RFC 5705 / RFC 8446 7.5, no "
        "context) after every handshake; it is secret, print it for tests only",
    )
    parser.add_argument(
        "--keymatexportlen",
        metavar="N",
        type=int,
        default=20,
        help="bytes of keying material to print (default 20, as OpenSSL)",
    )


def keyingMaterialOption(args: argparse.Namespace) -> tuple[bytes, int] | None:
    if args.keymatexport is None:
        return None
    return args.keymatexport.encode(), args.keymatexportlen


def clientOptions(args: argparse.Namespace) -> ClientOptions:
    if len(args.cert) != len(args.key):
        raise ValueError("--cert and --key go together, one --key for each --cert")
    password = readPassword(args.key_password) if args.key_password else None
    clientCertificates = [
        (loadCertificates(certPath), loadPrivateKey(keyPath, password))
        for certPath, keyPath in zip(args.cert, args.key, strict=True)
    ]
    # Without a flag, TLS 1.3 with a fallback to 1.2, as the library does.
    minVersion, maxVersion = (args.version, args.version) if args.version else ("1.2", "1.3")
    return ClientOptions(
        args.servername or args.host,
        trustRoots=args.cafile,
        clientCertificates=clientCertificates,
        acceptableProtocols=args.alpn,
        insecurelySkipVerification=args.insecure,
        minVersion=minVersion,
        maxVersion=maxVersion,
    )


async def _run(reactor: Any, args: argparse.Namespace) -> int:
    try:
        options = clientOptions(args)
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.insecure:
        # The library logs this too, but this command starts no logging:
        # the person at the terminal must see it.
        print(
            f"WARNING: --insecure: the server's certificate is not verified; anyone can "
            f"impersonate {args.servername or args.host}",
            file=sys.stderr,
        )
    client = _TLSClient(hasCertificate=bool(args.cert), keyingMaterial=keyingMaterialOption(args))
    factory = TLSFactory(options, True, protocol.Factory.forProtocol(lambda: client))
    # Every address of the name, IPv6 and IPv4 (RFC 8305), or a literal.
    endpoint = HostnameEndpoint(reactor, args.host, args.port, timeout=30)
    try:
        await endpoint.connect(factory)
    except Exception as e:  # noqa: BLE001 - reported to the user
        print(f"error: cannot connect to {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    say(f"Connected to {args.host}:{args.port}")
    stdio.StandardIO(_Stdin(client))
    return await client.done


_USAGE = """usage: python -m twisted_reneg client HOST PORT [...] | server [...]

  client   connect to HOST PORT over TLS: stdin to the server, its data to
           stdout, every TLS event on stderr
  server   the twistd reneg service in the foreground (echo or static files)

python -m twisted_reneg client --help (or server --help) for the options."""


def main(argv: list[str]) -> None:
    if argv and argv[0] in ("-h", "--help"):
        print(_USAGE)
        return
    if not argv or argv[0] not in ("client", "server"):
        print(_USAGE, file=sys.stderr)
        raise SystemExit(2)
    if argv[0] == "server":
        from .tap import runServer

        runServer(argv[1:])
        return
    args = _parser().parse_args(argv[1:])
    # react() ignores the result; a SystemExit carries the exit status.
    task.react(lambda reactor: defer.ensureDeferred(_run(reactor, args)).addCallback(sys.exit))
