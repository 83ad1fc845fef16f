# -*- test-case-name: tests.interop.test_exporter_interop -*-
"""
Keying-material exporters and channel bindings against real peers on
127.0.0.1: the values our side computes must be the ones OpenSSL and GnuTLS
print.

  - C{openssl s_server -keymatexport} / C{s_client -keymatexport} print the
    exporter (no context) once, after the first handshake, on TLS 1.2 and
    1.3; they do not print it again after a renegotiation.
  - C{gnutls-cli -V --keymatexport} prints it after the handshake and again
    after its rehandshake (C{-e}), with the three channel bindings
    (C{tls-unique}, C{tls-server-end-point}, C{tls-exporter}): the route for
    checking values after a TLS 1.2 renegotiation.
  - Our CLI's C{--keymatexport} against C{openssl s_server}.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from twisted.internet.interfaces import IHandshakeListener
from twisted.trial.unittest import TestCase
from zope.interface import implementer

from twisted_reneg import RenegotiationPolicy
from twisted_reneg.testing.pki import cachedPKI

from ._gnutls import TLS12_ONLY, TLS13_ONLY, gnutlsCliArgv
from ._openssl import sClientArgv
from ._options import ourClientOptions, ourServerOptions
from .peers import (
    Collector,
    DigestEcho,
    OurServer,
    connectOurClient,
    freePort,
    requirePeer,
    runScriptedClient,
    startPeerServer,
    waitFor,
)

LABEL = "EXPERIMENTAL-twisted-reneg"
LENGTH = 32
KINDS = ("tls-unique", "tls-exporter", "tls-server-end-point")
OPENSSL_LINE = re.compile(rb"Keying material: ([0-9A-F]+)")
GNUTLS_LINE = re.compile(rb"- Key material: ([0-9a-f]+)")
GNUTLS_BINDING = re.compile(rb" - '([a-z-]+)': ([0-9a-f]+)")
VERSION_FLAGS = {"1.2": "-tls1_2", "1.3": "-tls1_3"}


def snapshot(transport: Any) -> dict[str, str]:
    """
    The exporter and every channel binding defined on the connection, in hex.
    """
    values = {"exporter": transport.exportKeyingMaterial(LABEL.encode(), LENGTH).hex()}
    for kind in KINDS:
        try:
            values[kind] = transport.channelBinding(kind).hex()
        except Exception:  # noqa: BLE001 - not defined on this connection
            pass
    return values


@implementer(IHandshakeListener)
class RecordingServer(DigestEcho):
    """
    Our echo server, noting the values after every handshake.
    """

    def __init__(self) -> None:
        super().__init__()
        self.snapshots: list[dict[str, str]] = []

    def handshakeCompleted(self) -> None:
        self.snapshots.append(snapshot(self.transport))


@implementer(IHandshakeListener)
class RecordingClient(Collector):
    def __init__(self, toSend: bytes) -> None:
        super().__init__(toSend)
        self.snapshots: list[dict[str, str]] = []

    def handshakeCompleted(self) -> None:
        self.snapshots.append(snapshot(self.transport))


def sServerArgv(port: int, version: str, *extra: str) -> list[str]:
    identity = cachedPKI().ecdsaServer
    return [
        requirePeer("openssl"),
        "s_server",
        VERSION_FLAGS[version],
        "-accept",
        f"127.0.0.1:{port}",
        "-cert",
        identity.certPath,
        "-key",
        identity.keyPath,
        "-naccept",
        "1",
        "-keymatexport",
        LABEL,
        "-keymatexportlen",
        str(LENGTH),
        *extra,
    ]


def gnutlsPrinted(text: bytes) -> list[dict[str, str]]:
    """
    Each handshake report of C{gnutls-cli -V}: its channel bindings and
    C{Key material} line.
    """
    reports: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        binding = GNUTLS_BINDING.match(line)
        if binding is not None:
            current[binding.group(1).decode()] = binding.group(2).decode()
        material = GNUTLS_LINE.match(line)
        if material is not None:
            current["exporter"] = material.group(1).decode()
            reports.append(current)
            current = {}
    return reports


class OpenSSLTests(TestCase):
    timeout = 120

    async def ourClientAgainstSServer(self, version: str) -> None:
        port = freePort()
        server = startPeerServer(self, sServerArgv(port, version), port)
        client = RecordingClient(b"abc\n")
        connected = connectOurClient(
            ourClientOptions(minVersion=version, maxVersion=version), port, client
        )
        await waitFor(lambda: b"abc" in server.stdout(), "s_server to print our line")
        client.transport.loseConnection()
        await connected
        self.assertEqual(client.session.version, f"TLSv{version}")
        printed = OPENSSL_LINE.findall(server.stdout())
        self.assertEqual(len(printed), 1, server.output())
        [ours] = client.snapshots
        self.assertEqual(ours["exporter"].upper(), printed[0].decode())

    async def test_ourClientOpenSSLServerTLS12(self) -> None:
        await self.ourClientAgainstSServer("1.2")

    async def test_ourClientOpenSSLServerTLS13(self) -> None:
        await self.ourClientAgainstSServer("1.3")

    async def sClientAgainstOurServer(self, version: str) -> None:
        server = OurServer(self, ourServerOptions(), protocolClass=RecordingServer)
        argv = [
            VERSION_FLAGS[version] if arg == "-tls1_2" else arg
            for arg in sClientArgv(
                server.portNumber, "-keymatexport", LABEL, "-keymatexportlen", str(LENGTH)
            )
        ]
        result = await runScriptedClient(
            argv, [(b"Verify return code", b"ping\n"), (b"ping\n", None)]
        )
        ours = await server.nextConnection()
        self.assertEqual(ours.session.version, f"TLSv{version}", result.text())
        printed = OPENSSL_LINE.findall(result.stdout)
        self.assertEqual(len(printed), 1, result.text())
        [snap] = ours.snapshots  # type: ignore[attr-defined]
        self.assertEqual(snap["exporter"].upper(), printed[0].decode())

    async def test_openSSLClientOurServerTLS12(self) -> None:
        await self.sClientAgainstOurServer("1.2")

    async def test_openSSLClientOurServerTLS13(self) -> None:
        await self.sClientAgainstOurServer("1.3")

    async def test_cliAgainstOpenSSLServer(self) -> None:
        """
        C{python -m twisted_reneg client --keymatexport} prints what
        C{s_server -keymatexport} prints.
        """
        for version in ("1.2", "1.3"):
            port = freePort()
            server = startPeerServer(self, sServerArgv(port, version), port)
            argv = [
                sys.executable,
                "-m",
                "twisted_reneg",
                "client",
                "127.0.0.1",
                str(port),
                "--servername",
                "localhost",
                "--cafile",
                cachedPKI().caPath,
                f"--tls{version}",
                "--keymatexport",
                LABEL,
                "--keymatexportlen",
                str(LENGTH),
            ]
            result = await runScriptedClient(
                argv, [(b"Handshake completed", b"abc\n"), (b"", None)]
            )
            await waitFor(
                lambda: OPENSSL_LINE.search(server.stdout()) is not None,  # noqa: B023
                "s_server to print the keying material",
            )
            ours = OPENSSL_LINE.findall(result.stderr)
            printed = OPENSSL_LINE.findall(server.stdout())
            self.assertEqual(len(ours), 1, result.text())
            self.assertEqual(ours, printed, server.output())
            self.assertIn(b"- Keying material: ", result.stderr)

    async def test_serverCliAgainstOpenSSLClient(self) -> None:
        """
        C{python -m twisted_reneg server --echo --keymatexport} logs what
        C{s_client -keymatexport} prints.
        """
        pki = cachedPKI()
        port = freePort()
        listen = (
            f"reneg:{port}:interface=127.0.0.1:privateKey={pki.ecdsaServer.keyPath}"
            f":certKey={pki.ecdsaServer.certPath}"
        )
        argv = [sys.executable, "-m", "twisted_reneg", "server", "--listen", listen, "--echo"]
        argv += ["--keymatexport", LABEL, "--keymatexportlen", str(LENGTH)]
        server = startPeerServer(self, argv, port)
        for version in ("1.2", "1.3"):
            clientArgv = [
                VERSION_FLAGS[version] if arg == "-tls1_2" else arg
                for arg in sClientArgv(
                    port, "-keymatexport", LABEL, "-keymatexportlen", str(LENGTH)
                )
            ]
            result = await runScriptedClient(
                clientArgv, [(b"Verify return code", b"ping\n"), (b"ping\n", None)]
            )
            [printed] = OPENSSL_LINE.findall(result.stdout)
            await waitFor(
                lambda: printed in server.output().encode(),  # noqa: B023
                "our server to log the same keying material",
            )


class GnuTLSTests(TestCase):
    timeout = 120

    async def gnutlsCliAgainstOurServer(self, priority: str, *extra: str) -> tuple[list, list]:
        server = OurServer(
            self,
            ourServerOptions(renegotiation=RenegotiationPolicy(allowPeerInitiated=True)),
            protocolClass=RecordingServer,
        )
        argv = gnutlsCliArgv(
            server.portNumber,
            priority,
            "-V",
            "--keymatexport",
            LABEL,
            "--keymatexportsize",
            str(LENGTH),
            *extra,
        )
        result = await runScriptedClient(argv, [(b"Simple Client Mode", b"hi\n"), (b"hi\n", None)])
        ours = await server.nextConnection()
        return ours.snapshots, gnutlsPrinted(result.stdout)  # type: ignore[attr-defined]

    async def test_rehandshakeTLS12(self) -> None:
        """
        C{gnutls-cli -e}: after the first handshake and after its
        renegotiation, the exporter and all three channel bindings are
        GnuTLS's, and each of them changed.
        """
        ours, theirs = await self.gnutlsCliAgainstOurServer(TLS12_ONLY, "-e")
        self.assertEqual(len(ours), 2, theirs)
        self.assertEqual(ours, theirs)
        self.assertEqual(set(ours[0]), {"exporter", *KINDS})
        for key in ("exporter", "tls-unique", "tls-exporter"):
            self.assertNotEqual(ours[0][key], ours[1][key])
        self.assertEqual(ours[0]["tls-server-end-point"], ours[1]["tls-server-end-point"])

    async def test_channelBindingsTLS13(self) -> None:
        """
        TLS 1.3: the exporter, tls-exporter and tls-server-end-point are
        GnuTLS's; tls-unique is undefined and neither side gives it.
        """
        ours, theirs = await self.gnutlsCliAgainstOurServer(TLS13_ONLY)
        self.assertEqual(ours, theirs)
        self.assertEqual(set(ours[0]), {"exporter", "tls-exporter", "tls-server-end-point"})
