# -*- test-case-name: tests.interop.test_sysadmin_certificates -*-
"""
A server certificate made the way many sysadmins make one: a CA with
C{openssl req -x509}, a request with C{openssl req -new}, signed with
C{openssl x509 -req} and no extension file: an X.509 v1 certificate with
the host name only in its CN.  Our client refuses it (RFC 9525: names come
from the subjectAltName only); the message gives the openssl commands that
fix it, and a certificate made by following them is accepted.
"""

from __future__ import annotations

import os
import subprocess

from twisted.trial.unittest import TestCase

from twisted_reneg import ClientOptions, TLSAlertError

from .peers import (
    Collector,
    connectOurClient,
    freePort,
    handshaken,
    requirePeer,
    startPeerServer,
    waitFor,
)


class SysadminCertificateTests(TestCase):
    timeout = 60

    def setUp(self) -> None:
        self.openssl = requirePeer("openssl")
        self.directory = os.path.abspath(self.mktemp())
        os.makedirs(self.directory)
        self.runOpenSSL("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                 "-subj", "/CN=Sysadmin CA")  # fmt: skip

    def runOpenSSL(self, *argv: str) -> None:
        subprocess.run(
            [self.openssl, *argv], cwd=self.directory, check=True, capture_output=True, timeout=60
        )

    def path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def issue(self, stem: str, *requestOptions: str, signOptions: tuple[str, ...] = ()) -> None:
        self.runOpenSSL("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", f"{stem}.key", "-out", f"{stem}.csr",
                 "-subj", "/CN=localhost", *requestOptions)  # fmt: skip
        self.runOpenSSL("x509", "-req", "-in", f"{stem}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "2", "-out", f"{stem}.pem", *signOptions)  # fmt: skip

    async def connect(self, stem: str) -> Collector:
        port = freePort()
        argv = [self.openssl, "s_server", "-accept", str(port), "-naccept", "1",
                "-cert", self.path(f"{stem}.pem"), "-key", self.path(f"{stem}.key"),
                "-quiet"]  # fmt: skip
        startPeerServer(self, argv, port)
        options = ClientOptions("localhost", trustRoots=self.path("ca.pem"))
        client = Collector()
        ended = connectOurClient(options, port, client)
        # Accepted: close once the handshake is done (s_server says nothing).
        await waitFor(lambda: ended.called or handshaken(client)(), "the handshake")
        if not ended.called:
            client.transport.loseConnection()
        return await ended

    async def test_v1RefusedWithTheFix(self) -> None:
        self.issue("v1")
        client = await self.connect("v1")
        assert client.reason is not None
        client.reason.trap(TLSAlertError)
        message = str(client.reason.value)
        self.assertIn("is X.509 v1", message)
        self.assertIn('-addext "subjectAltName=DNS:localhost"', message)
        self.assertIn("openssl x509 -req ... -copy_extensions copy", message)

    async def test_followingTheMessageWorks(self) -> None:
        """
        The commands of the message: C{-addext} on the request and
        C{-copy_extensions copy} when signing make a certificate we accept.
        """
        self.issue(
            "fixed",
            "-addext",
            "subjectAltName=DNS:localhost",
            signOptions=("-copy_extensions", "copy"),
        )
        client = await self.connect("fixed")
        self.assertIsNotNone(client.session, client.reason)
        self.assertEqual(client.session.peerCertificate.version.name, "v3")

    async def test_subjectAltNameLostWhenSigning(self) -> None:
        """
        C{-addext} on the request but no C{-copy_extensions} when signing:
        OpenSSL drops the extension, and the message says how to keep it.
        """
        self.issue("lost", "-addext", "subjectAltName=DNS:localhost")
        client = await self.connect("lost")
        assert client.reason is not None
        client.reason.trap(TLSAlertError)
        self.assertIn("-copy_extensions copy", str(client.reason.value))
