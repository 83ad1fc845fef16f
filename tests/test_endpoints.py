# -*- test-case-name: tests.test_endpoints -*-
"""
The reneg: endpoint strings (every keyword, the bad ones), the wrap*TLS
functions, and plugin discovery after a plain install in a fresh venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings

from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet import protocol, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, clientFromString, serverFromString
from twisted.internet.endpoints import wrapClientTLS as twistedWrapClientTLS
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.trial.unittest import SynchronousTestCase, TestCase

from twisted_reneg import ClientOptions, ServerOptions, TLSAlertError
from twisted_reneg.endpoints import wrapClientTLS
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.errors import AlertDescription

from .interop.peers import Collector, DigestEcho, connectOurClient, freePort, startPeerServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def serverString(**kw: str) -> str:
    pki = cachedPKI()
    values = {
        "privateKey": pki.ecdsaServer.keyPath,
        "certKey": pki.ecdsaServer.certPath,
        "interface": "127.0.0.1",
        **kw,
    }
    return "reneg:0:" + ":".join(f"{k}={v}" for k, v in values.items() if v)


class EndpointTests(TestCase):
    timeout = 60

    async def listen(self, description: str) -> tuple[int, list[DigestEcho]]:
        made: list[DigestEcho] = []

        def build() -> DigestEcho:
            made.append(DigestEcho())
            return made[-1]

        port = await serverFromString(reactor, description).listen(
            protocol.Factory.forProtocol(build)
        )
        self.addCleanup(port.stopListening)
        return port.getHost().port, made

    async def connect(self, description: str, data: bytes = b"hello\n") -> Collector:
        client = Collector(data, expected=len(data))
        endpoint = clientFromString(reactor, description)
        returned = await endpoint.connect(protocol.Factory.forProtocol(lambda: client))
        self.assertIs(returned, client)  # like Twisted's wrapClientTLS
        return await client.lost

    async def test_everyServerAndClientKeyword(self) -> None:
        pki = cachedPKI()
        with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as extra:
            extra.write(pki.caCertificate.public_bytes(Encoding.PEM))
        self.addCleanup(os.unlink, extra.name)
        port, made = await self.listen(
            serverString(
                extraCertChain=extra.name,
                backlog="10",
                caCerts=pki.caPath,
                clientCert="require",
                renegotiation="allow",
            )
        )
        client = await self.connect(
            f"reneg:host=127.0.0.1:port={port}:hostname=localhost:trustRoots={pki.caPath}"
            f":certificate={pki.ecdsaClient.certPath}:privateKey={pki.ecdsaClient.keyPath}"
            ":timeout=5"
        )
        self.assertEqual(bytes(client.received), b"hello\n")
        self.assertEqual(len(client.session.peerCertificates), 2)  # leaf + extraCertChain
        self.assertEqual(made[0].session.peerCertificate, pki.ecdsaClient.certificate)

    async def test_renegotiationAllow(self) -> None:
        pki = cachedPKI()
        port, _ = await self.listen(serverString(renegotiation="allow", maxVersion="1.2"))
        client = Collector()
        await clientFromString(
            reactor,
            f"reneg:127.0.0.1:{port}:hostname=localhost:trustRoots={pki.caPath}",
        ).connect(protocol.Factory.forProtocol(lambda: client))
        session = await client.transport.rehandshake(timeout=10)
        self.assertEqual((session.version, session.renegotiations), ("TLSv1.2", 1))
        client.transport.loseConnection()
        await client.lost

    async def test_sharedTicketKeys(self) -> None:
        """
        Two servers given the same ticketKeys file (as processes behind one
        address would be) resume each other's TLS 1.3 sessions; a malformed
        file is refused at parse time.
        """
        pki = cachedPKI()
        keyFile = self.mktemp()
        with open(keyFile, "w") as f:
            f.write(
                "# newest first\n" + os.urandom(32).hex() + "\n\n" + os.urandom(32).hex() + "\n"
            )
        first, _ = await self.listen(serverString(ticketKeys=keyFile))
        second, _ = await self.listen(serverString(ticketKeys=keyFile))
        options = ClientOptions("localhost", trustRoots=[pki.caCertificate])
        client = Collector(b"hello\n", expected=6)
        await wrapClientTLS(options, TCP4ClientEndpoint(reactor, "127.0.0.1", first)).connect(
            protocol.Factory.forProtocol(lambda: client)
        )
        await client.lost
        cache = options.sessionCache
        assert cache is not None
        ticket = cache.take(("localhost", first), time.time())
        assert ticket is not None
        cache.store(("localhost", second), ticket)
        again = Collector(b"hello\n", expected=6)
        await wrapClientTLS(options, TCP4ClientEndpoint(reactor, "127.0.0.1", second)).connect(
            protocol.Factory.forProtocol(lambda: again)
        )
        await again.lost
        self.assertTrue(again.session.resumed)
        with open(keyFile, "a") as f:
            f.write("not hex\n")
        with self.assertRaises(ValueError):
            serverFromString(reactor, serverString(ticketKeys=keyFile))

    async def test_versionKeywords(self) -> None:
        """
        minVersion/maxVersion on either side: TLS 1.3 by default, 1.2 when
        either end says so; a bad value is refused at parse time.
        """
        pki = cachedPKI()
        port, _ = await self.listen(serverString())
        tls12Port, _ = await self.listen(serverString(maxVersion="1.2"))
        for to, extra, version in (
            (port, "", "TLSv1.3"),
            (port, ":maxVersion=1.2", "TLSv1.2"),
            (tls12Port, "", "TLSv1.2"),
        ):
            client = await self.connect(
                f"reneg:127.0.0.1:{to}:hostname=localhost:trustRoots={pki.caPath}{extra}"
            )
            self.assertEqual(client.session.version, version)
        with self.assertRaises(ValueError):
            clientFromString(reactor, "reneg:127.0.0.1:1:maxVersion=1.1")
        client.transport.loseConnection()
        await client.lost

    async def test_clientCertRequired(self) -> None:
        pki = cachedPKI()
        port, _ = await self.listen(serverString(caCerts=pki.caPath, clientCert="require"))
        client = await self.connect(
            f"reneg:host=127.0.0.1:port={port}:hostname=localhost:trustRoots={pki.caPath}"
        )
        assert client.reason is not None
        client.reason.trap(TLSAlertError)

    async def test_severalClientCertificatesAndCANames(self) -> None:
        """
        A client given two certificates (certificate2/privateKey2) sends
        the one from the CA the server names, though it is the second; with
        sendClientCANames=no the server names none, the client sends the
        first, and the server refuses it.
        """
        pki = cachedPKI()
        untrusted, trusted = pki.untrustedClient, pki.ecdsaClient
        certificates = (
            f"certificate={untrusted.certPath}:privateKey={untrusted.keyPath}"
            f":certificate2={trusted.certPath}:privateKey2={trusted.keyPath}"
        )
        for send, accepted in (("yes", True), ("no", False)):
            port, made = await self.listen(
                serverString(caCerts=pki.caPath, clientCert="require", sendClientCANames=send)
            )
            client = await self.connect(
                f"reneg:host=127.0.0.1:port={port}:hostname=localhost:"
                f"trustRoots={pki.caPath}:{certificates}"
            )
            assert client.reason is not None
            if accepted:
                self.assertEqual(bytes(client.received), b"hello\n")
                self.assertEqual(made[0].session.peerCertificate, trusted.certificate)
            else:
                client.reason.trap(TLSAlertError)
                self.assertEqual(client.reason.value.alert, AlertDescription.unknown_ca)

    async def test_selfSignedWhenNoCertificate(self) -> None:
        """
        Without privateKey/certKey the server makes a throwaway self-signed
        certificate, which a verifying client rightly refuses.
        """
        port, _ = await self.listen("reneg:0:interface=127.0.0.1")
        client = await self.connect(
            f"reneg:host=127.0.0.1:port={port}:hostname=localhost:trustRoots={cachedPKI().caPath}"
        )
        assert client.reason is not None
        client.reason.trap(TLSAlertError)
        self.assertEqual(client.reason.value.alert, AlertDescription.unknown_ca)


class BadStringTests(SynchronousTestCase):
    def assertBad(self, description: str, word: str, client: bool = False) -> None:
        parse = clientFromString if client else serverFromString
        with self.assertRaises(ValueError) as caught:
            parse(reactor, description)
        self.assertIn(word, str(caught.exception))

    def test_server(self) -> None:
        self.assertBad("reneg:0:bogus=1", "'bogus'")
        self.assertBad("reneg:0:clientCert=maybe", "clientCert")
        self.assertBad("reneg:0:renegotiation=sometimes", "renegotiation")
        self.assertBad("reneg:http", "port")
        self.assertBad("reneg:0:backlog=many", "backlog")
        self.assertBad("reneg:0:certKey=/x.pem", "certKey")
        self.assertBad("reneg:0:sendClientCANames=maybe", "sendClientCANames")
        self.assertBad("reneg:0:drainTimeout=-1", "drainTimeout")
        self.assertBad("reneg:0:proxyProtocol=maybe", "proxyProtocol")
        self.assertBad("reneg:interface=127.0.0.1", "missing port")

    def test_client(self) -> None:
        self.assertBad("reneg:port=1", "missing host", client=True)
        self.assertBad("reneg:host=h:port=x", "port", client=True)
        self.assertBad("reneg:host=h:port=1:colour=blue", "'colour'", client=True)
        self.assertBad(
            f"reneg:host=h:port=1:certificate={cachedPKI().ecdsaClient.certPath}",
            "holds no private key",
            client=True,
        )
        self.assertBad(
            f"reneg:host=h:port=1:privateKey3={cachedPKI().ecdsaClient.keyPath}",
            "privateKey3= file",
            client=True,
        )
        self.assertBad("reneg:host=h:port=1:certificate10=c.pem", "'certificate10'", client=True)
        self.assertBad("reneg:host=h:port=1:timeout=soon", "timeout", client=True)
        self.assertBad("reneg:host=h:port=1:handshakeTimeout=-1", "handshakeTimeout", client=True)

    def test_handshakeTimeout(self) -> None:
        """
        C{handshakeTimeout=SECONDS} on either side reaches the options: 30
        by default, fractions allowed, 0 for none; nonsense is refused.
        """
        pki = cachedPKI()
        client = f"reneg:host=h:port=1:trustRoots={pki.caPath}"
        for extra, expected in (
            ("", 30.0),
            (":handshakeTimeout=2.5", 2.5),
            (":handshakeTimeout=0", None),
        ):
            server = serverFromString(reactor, serverString() + extra)
            self.assertEqual(server._options.handshakeTimeout, expected)  # type: ignore[attr-defined]
            endpoint = clientFromString(reactor, client + extra)
            self.assertEqual(endpoint._options.handshakeTimeout, expected)  # type: ignore[attr-defined]
        for bad in ("soon", "-1", "inf", "nan"):
            self.assertBad(serverString(handshakeTimeout=bad), "handshakeTimeout")

    def test_logTLSEvents(self) -> None:
        """
        C{logTLSEvents=yes|no} on either side reaches the options: off by
        default; anything else is refused.
        """
        pki = cachedPKI()
        client = f"reneg:host=h:port=1:trustRoots={pki.caPath}"
        for extra, expected in (
            ("", False),
            (":logTLSEvents=no", False),
            (":logTLSEvents=yes", True),
        ):
            server = serverFromString(reactor, serverString() + extra)
            self.assertIs(server.options.logTLSEvents, expected)  # type: ignore[attr-defined]
            endpoint = clientFromString(reactor, client + extra)
            self.assertIs(endpoint._options.logTLSEvents, expected)  # type: ignore[attr-defined]
        self.assertBad(serverString(logTLSEvents="true"), "logTLSEvents")
        self.assertBad(client + ":logTLSEvents=1", "logTLSEvents", client=True)


class TwistedsOwnTLSTests(SynchronousTestCase):
    """
    Our options handed to Twisted's own (OpenSSL) TLS fail at once with a
    TypeError naming what to use, not later with an AttributeError.
    """

    def test_tlsMemoryBIOFactory(self) -> None:
        pki = cachedPKI()
        options = ServerOptions.fromPEM(pki.ecdsaServer.certPath, pki.ecdsaServer.keyPath)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Twisted's LegacyContextFactoryWarning
            error = self.assertRaises(
                TypeError, TLSMemoryBIOFactory, options, False, protocol.Factory()
            )
        self.assertIn("twisted_reneg.TLSFactory(options, False, factory)", str(error))

    def test_twistedWrapClientTLS(self) -> None:
        endpoint = twistedWrapClientTLS(
            ClientOptions("localhost"), TCP4ClientEndpoint(reactor, "127.0.0.1", 1)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            error = self.assertRaises(TypeError, endpoint.connect, protocol.Factory())
        self.assertIn("twisted_reneg.endpoints.wrapClientTLS(options, endpoint)", str(error))


def encryptedKey(testCase: SynchronousTestCase, password: bytes = b"s3cret") -> str:
    """
    The ECDSA server key encrypted with C{password} (as
    C{BestAvailableEncryption} does it), in a new file.
    """
    key = cachedPKI().ecdsaServer.privateKey.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(password)
    )
    path = testCase.mktemp()
    with open(path, "wb") as f:
        f.write(key)
    return path


def setEnvironment(testCase: SynchronousTestCase, name: str, value: str) -> None:
    os.environ[name] = value
    testCase.addCleanup(os.environ.pop, name, None)


class KeyPasswordTests(SynchronousTestCase):
    """
    An encrypted key's password on an endpoint string:
    C{keyPasswordEnv=VAR}, C{keyPasswordFile=PATH} and C{keyPassword=PW}
    need no escaping; C{keyPassword=} still takes OpenSSL's escaped forms.
    """

    def setUp(self) -> None:
        self.key = encryptedKey(self)
        self.cert = cachedPKI().ecdsaServer.certPath
        setEnvironment(self, "TWISTED_RENEG_TEST_KEY_PASSWORD", "s3cret")
        self.passwordFile = self.mktemp()
        with open(self.passwordFile, "w") as f:
            f.write("s3cret\n")

    def server(self, password: str) -> str:
        return f"reneg:0:privateKey={self.key}:certKey={self.cert}:{password}"

    def client(self, password: str) -> str:
        return f"reneg:host=h:port=1:certificate={self.cert}:privateKey={self.key}:{password}"

    def assertLoads(self, password: str) -> None:
        server = serverFromString(reactor, self.server(password))
        credential = server.options.tlsConfig().credential  # type: ignore[attr-defined]
        self.assertEqual(credential.chain, (cachedPKI().ecdsaServer.certificate,))
        client = clientFromString(reactor, self.client(password))
        [credential] = client._options.tlsConfig().clientCredentials  # type: ignore[attr-defined]
        self.assertEqual(credential.chain, (cachedPKI().ecdsaServer.certificate,))

    def assertRefused(self, password: str, message: str) -> None:
        for kind, description in (
            ("server", self.server(password)),
            ("client", self.client(password)),
        ):
            parse = serverFromString if kind == "server" else clientFromString
            with self.assertRaises(ValueError) as caught:
                parse(reactor, description)
            self.assertEqual(str(caught.exception), message.format(kind=kind))

    def test_unescapedKeywords(self) -> None:
        self.assertLoads("keyPasswordEnv=TWISTED_RENEG_TEST_KEY_PASSWORD")
        self.assertLoads(f"keyPasswordFile={self.passwordFile}")
        self.assertLoads("keyPassword=s3cret")

    def test_escapedOpenSSLForms(self) -> None:
        """
        What worked before the new keywords still does.
        """
        self.assertLoads("keyPassword=env\\:TWISTED_RENEG_TEST_KEY_PASSWORD")
        self.assertLoads(f"keyPassword=file\\:{self.passwordFile}")
        self.assertLoads("keyPassword=pass\\:s3cret")

    def test_unescapedColonNamed(self) -> None:
        """
        C{keyPassword=env:VAR} as people write it: Twisted cuts it at the
        colon; the error says so and names the keyword that needs none,
        instead of complaining about an "unexpected positional argument".
        """
        for source, keyword in (
            ("env", "keyPasswordEnv=VARIABLE"),
            ("file", "keyPasswordFile=PATH"),
            ("pass", "keyPassword=PASSWORD"),
        ):
            self.assertRefused(
                f"keyPassword={source}:SOMETHING",
                f"reneg {{kind}} endpoint: keyPassword={source}:... was cut at its ':' "
                f"(Twisted splits endpoint strings at colons); write {keyword} instead",
            )
        with self.assertRaises(ValueError) as caught:
            serverFromString(
                reactor, f"reneg:tcp:0:privateKey={self.key}:keyPassword=env:VARIABLE"
            )
        self.assertIn("write keyPasswordEnv=VARIABLE instead", str(caught.exception))

    def test_unknownSource(self) -> None:
        self.assertRefused(
            "keyPassword=foo\\:bar",
            "reneg {kind} endpoint: keyPassword='foo:bar' starts with 'foo:', which is no "
            "password source; give keyPasswordEnv=VARIABLE (from the environment), "
            "keyPasswordFile=PATH (the file's first line) or keyPassword=PASSWORD (the "
            "password itself; keyPassword=pass\\:PASSWORD for one holding a ':')",
        )

    def test_twoAreAnError(self) -> None:
        self.assertRefused(
            f"keyPassword=s3cret:keyPasswordFile={self.passwordFile}",
            "reneg {kind} endpoint: keyPassword= and keyPasswordFile= set the same thing; "
            "give one of keyPassword=, keyPasswordEnv=, keyPasswordFile=",
        )
        self.assertRefused(
            "keyPasswordEnv=A:keyPasswordFile=B",
            "reneg {kind} endpoint: keyPasswordEnv= and keyPasswordFile= set the same thing; "
            "give one of keyPassword=, keyPasswordEnv=, keyPasswordFile=",
        )

    def test_wrongOrMissing(self) -> None:
        with self.assertRaises(ValueError) as caught:
            serverFromString(reactor, self.server("keyPassword=wrong"))
        self.assertIn("the password does not decrypt it", str(caught.exception))
        with self.assertRaises(ValueError) as caught:
            serverFromString(reactor, self.server("keyPasswordEnv=TWISTED_RENEG_NOT_SET"))
        self.assertIn("'TWISTED_RENEG_NOT_SET' is not set", str(caught.exception))
        with self.assertRaises(ValueError) as caught:
            serverFromString(reactor, self.server("logTLSEvents=no"))
        self.assertIn("keyPasswordEnv=VARIABLE, keyPasswordFile=PATH", str(caught.exception))


class TrustRootsKeywordTests(SynchronousTestCase):
    """
    C{trustRoots=} on both endpoints, with C{caCerts=} and C{trustRoot=}
    as synonyms; two of them is an error.
    """

    def test_synonyms(self) -> None:
        pki = cachedPKI()
        for keyword in ("trustRoots", "caCerts", "trustRoot"):
            server = serverFromString(reactor, serverString(**{keyword: pki.caPath}))
            client = clientFromString(reactor, f"reneg:host=h:port=1:{keyword}={pki.caPath}")
            for options in (server.options, client._options):  # type: ignore[attr-defined]
                roots = options.tlsConfig().verifier.configuredTrustRoots
                self.assertEqual(roots, [pki.caCertificate], keyword)

    def test_twoAreAnError(self) -> None:
        pki = cachedPKI()
        with self.assertRaises(ValueError) as caught:
            serverFromString(reactor, serverString(caCerts=pki.caPath, trustRoots=pki.caPath))
        self.assertEqual(
            str(caught.exception),
            "reneg server endpoint: trustRoots= and caCerts= set the same thing; give one "
            "of trustRoots=, trustRoot=, caCerts=",
        )
        with self.assertRaises(ValueError) as caught:
            clientFromString(reactor, "reneg:host=h:port=1:trustRoot=a.pem:trustRoots=b.pem")
        self.assertIn("trustRoots= and trustRoot= set the same thing", str(caught.exception))

    def test_closeMatchSuggested(self) -> None:
        with self.assertRaises(ValueError) as caught:
            clientFromString(reactor, "reneg:host=h:port=1:trustroots=ca.pem")
        self.assertIn(
            "unknown keyword 'trustroots' (did you mean 'trustRoots'? known:",
            str(caught.exception),
        )


class CombinedClientCertificateKeywordTests(SynchronousTestCase):
    """
    C{certificate=} (or C{privateKey=}) alone on a client endpoint names
    one PEM file holding the certificate and its key.
    """

    def test_oneFile(self) -> None:
        pki = cachedPKI()
        client = pki.ecdsaClient
        combined = self.mktemp()
        with open(client.certPath, "rb") as c, open(client.keyPath, "rb") as k:
            data = c.read() + k.read()
        with open(combined, "wb") as f:
            f.write(data)
        for keyword in ("certificate", "privateKey", "certificate2"):
            endpoint = clientFromString(reactor, f"reneg:host=h:port=1:{keyword}={combined}")
            config = endpoint._options.tlsConfig()  # type: ignore[attr-defined]
            [credential] = config.clientCredentials
            self.assertEqual(credential.chain, (client.certificate,))
        with self.assertRaises(ValueError) as caught:
            clientFromString(reactor, f"reneg:host=h:port=1:certificate={client.certPath}")
        self.assertEqual(
            str(caught.exception),
            f"reneg client endpoint: certificate= file {client.certPath!r} holds no private "
            "key: give one PEM file holding both the certificate (leaf first) and its "
            "private key, or the certificate and the key separately",
        )


class TwistdKeyPasswordTests(TestCase):
    """
    C{twistd reneg --listen 'reneg:...:keyPasswordEnv=VAR'}, typed as
    people type it, serves handshakes with an encrypted key.
    """

    timeout = 60

    async def test_keyPasswordEnv(self) -> None:
        pki = cachedPKI()
        key = encryptedKey(self, b"twistd secret")
        setEnvironment(self, "TWISTED_RENEG_TWISTD_KEY_PASSWORD", "twistd secret")
        port = freePort()
        twistd = os.path.join(os.path.dirname(sys.executable), "twistd")
        description = (
            f"reneg:{port}:interface=127.0.0.1:privateKey={key}"
            f":certKey={pki.ecdsaServer.certPath}:keyPasswordEnv=TWISTED_RENEG_TWISTD_KEY_PASSWORD"
        )
        startPeerServer(
            self, [twistd, "-n", "--pidfile=", "reneg", "--listen", description, "--echo"], port
        )
        client = Collector(b"hello\n", expected=6)
        await connectOurClient(ClientOptions("localhost", trustRoots=pki.caPath), port, client, 30)
        self.assertIsNone(client.reason and client.reason.check(TLSAlertError))
        self.assertEqual(bytes(client.received), b"hello\n")
        self.assertEqual(client.session.peerCertificate, pki.ecdsaServer.certificate)

    def test_unescapedColonOnTheCommandLine(self) -> None:
        """
        The old spelling, typed unescaped, ends twistd with the keyword to
        use instead.
        """
        pki = cachedPKI()
        twistd = os.path.join(os.path.dirname(sys.executable), "twistd")
        description = (
            f"reneg:0:interface=127.0.0.1:privateKey={encryptedKey(self)}"
            f":certKey={pki.ecdsaServer.certPath}:keyPassword=env:SOME_VARIABLE"
        )
        done = subprocess.run(
            [twistd, "-n", "--pidfile=", "reneg", "--listen", description, "--echo"],
            capture_output=True,
            timeout=30,
        )
        self.assertNotEqual(done.returncode, 0)
        output = (done.stdout + done.stderr).decode("utf-8", "replace")
        self.assertIn("write keyPasswordEnv=VARIABLE instead", output)


class TicketKeyFileTests(SynchronousTestCase):
    """
    The ticketKeys= file parser: any text either gives keys or a
    ValueError naming the file and line, never another exception; a file
    written from keys (open-only ones marked) reads back the same.
    """

    def parse(self, text: str) -> tuple[list[bytes], list[bytes]]:
        from twisted_reneg.endpoints import _readTicketKeys

        with tempfile.NamedTemporaryFile("w", suffix=".keys", delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        return _readTicketKeys(f.name)

    @settings(max_examples=200, deadline=None)
    @given(st.text(alphabet="0123456789abcdefABCDEF #\n\t-nopely", max_size=300))
    def test_anyTextKeysOrValueError(self, text: str) -> None:
        try:
            keys, openOnly = self.parse(text)
        except ValueError as e:
            self.assertIn("reneg server endpoint:", str(e))
            return
        self.assertTrue(keys)
        self.assertTrue(all(len(k) == 32 for k in keys + openOnly))

    @settings(max_examples=100, deadline=None)
    @given(
        st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=4),
        st.lists(st.binary(min_size=32, max_size=32), max_size=3),
    )
    def test_roundTrip(self, keys: list[bytes], openOnly: list[bytes]) -> None:
        lines = [k.hex() for k in keys] + [f"{k.hex()} open-only  # old" for k in openOnly]
        self.assertEqual(self.parse("\n".join(lines) + "\n"), (keys, openOnly))
