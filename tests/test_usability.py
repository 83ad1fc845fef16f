"""
What a new user trips over in the first hour (issue P12): one spelling of
the trust roots with Twisted's as a synonym, the certificate before the key
in every positional call, misspelled keywords named with their close match,
a client certificate in one PEM file, and every option shown on the public
classes' signatures and docs.
"""

from __future__ import annotations

import inspect
import os
import pydoc
import re
import warnings
from typing import Any

from OpenSSL import crypto
from twisted.internet import reactor, ssl
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import ClientOptions, ServerOptions, optionsForClientTLS
from twisted_reneg.testing.pki import cachedPKI
from twisted_reneg.tls.suites import NamedGroup
from twisted_reneg.web.client import TLSEndpointFactory, agent

from .enginepair import EnginePair

#: The options both classes take, kept on their private base class before
#: P12 and shown nowhere on the public ones.
SHARED = (
    "minVersion",
    "maxVersion",
    "cipherSuites",
    "groups",
    "acceptableProtocols",
    "renegotiation",
    "requireExtendedMasterSecret",
    "keyLogFile",
    "handshakeTimeout",
    "logTLSEvents",
)


def sentCertificate(client: ClientOptions, server: ServerOptions) -> Any:
    """
    The certificate C{client} sends to C{server} (which requires one).
    """
    pair = EnginePair(client.tlsConfig(), server.tlsConfig()).handshake()
    failure = pair.server.failure() or pair.client.failure()
    if failure is not None:
        raise AssertionError(f"handshake failed: {failure.error}")
    session = pair.server.connection.session
    assert session is not None
    return session.peerCertificate


def pem(identity: Any) -> tuple[bytes, bytes]:
    """
    The certificate and key files of C{identity}, as bytes.
    """
    with open(identity.certPath, "rb") as c, open(identity.keyPath, "rb") as k:
        return c.read(), k.read()


def requiringServer(**kw: Any) -> ServerOptions:
    pki = cachedPKI()
    return ServerOptions.fromPEM(
        pki.ecdsaServer.certPath,
        pki.ecdsaServer.keyPath,
        clientCertificates="require",
        trustRoots=pki.caPath,
        **kw,
    )


class TrustRootSpellingTests(SynchronousTestCase):
    """
    C{trustRoots} is the name; Twisted's C{trustRoot} is a synonym
    wherever trust roots are given in Python.
    """

    def roots(self, options: Any) -> Any:
        return options.tlsConfig().verifier.configuredTrustRoots

    def test_synonymOnOptions(self) -> None:
        pki = cachedPKI()
        identity = pki.ecdsaServer
        for spelling in ("trustRoots", "trustRoot"):
            client = ClientOptions("localhost", **{spelling: pki.caPath})
            server = ServerOptions(identity.certPath, identity.keyPath, **{spelling: pki.caPath})
            self.assertEqual(self.roots(client), [pki.caCertificate], spelling)
            self.assertEqual(self.roots(server), [pki.caCertificate], spelling)

    def test_synonymOnHTTPClients(self) -> None:
        pki = cachedPKI()
        for spelling in ("trustRoots", "trustRoot"):
            factory = TLSEndpointFactory(reactor, **{spelling: pki.caPath})
            self.assertEqual(self.roots(factory.optionsFor("h", 443)), [pki.caCertificate])
            endpointFactory = agent(reactor, **{spelling: pki.caPath})._endpointFactory
            self.assertEqual(self.roots(endpointFactory.optionsFor("h", 443)), [pki.caCertificate])
        options = optionsForClientTLS("h", trustRoots=pki.caPath)
        self.assertEqual(self.roots(options), [pki.caCertificate])

    def test_bothSpellingsRefused(self) -> None:
        pki = cachedPKI()
        identity = pki.ecdsaServer
        message = (
            "trustRoots and trustRoot are the same option (trustRoot is Twisted's spelling): "
            "give one"
        )
        for call in (
            lambda: ClientOptions("h", trustRoots=pki.caPath, trustRoot=pki.caPath),
            lambda: ServerOptions(
                identity.certPath, identity.keyPath, trustRoots=pki.caPath, trustRoot=pki.caPath
            ),
            lambda: agent(reactor, pki.caPath, trustRoot=pki.caPath),
            lambda: optionsForClientTLS("h", pki.caPath, trustRoots=pki.caPath),
        ):
            error = self.assertRaises(TypeError, call)
            self.assertEqual(str(error), message)


class PositionalOrderTests(SynchronousTestCase):
    """
    C{ServerOptions(certificateChain, privateKey)}, in the order of
    C{ServerOptions.fromPEM(certChainPath, keyPath)}; the old order works
    for now, with a C{DeprecationWarning}.
    """

    def test_sameOrderAsFromPEM(self) -> None:
        identity = cachedPKI().ecdsaServer
        direct = ServerOptions(identity.certPath, identity.keyPath)
        fromPEM = ServerOptions.fromPEM(identity.certPath, identity.keyPath)
        byName = ServerOptions(privateKey=identity.keyPath, certificateChain=identity.certPath)
        for options in (direct, fromPEM, byName):
            credential = options.tlsConfig().credential
            assert credential is not None
            self.assertEqual(credential.chain, (identity.certificate,))
        self.assertEqual(
            list(inspect.signature(ServerOptions).parameters)[:2],
            ["certificateChain", "privateKey"],
        )
        self.assertEqual(
            list(inspect.signature(ServerOptions.fromPEM).parameters)[:2],
            ["certChainPath", "keyPath"],
        )

    def test_oldOrderDeprecated(self) -> None:
        """
        The key first, as objects, PEM bytes or paths: the same options,
        and a warning pointing at the caller that says what to write.
        """
        identity = cachedPKI().ecdsaServer
        for key, chain in (
            (identity.privateKey, [identity.certificate]),
            (pem(identity)[1], pem(identity)[0]),
            (identity.keyPath, identity.certPath),
            (ssl.KeyPair.load(pem(identity)[1], crypto.FILETYPE_PEM), identity.certPath),
        ):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                options = ServerOptions(key, chain)
            credential = options.tlsConfig().credential
            assert credential is not None
            self.assertEqual(credential.chain, (identity.certificate,))
            [warning] = caught
            self.assertIs(warning.category, DeprecationWarning)
            self.assertEqual(warning.filename, __file__)
            self.assertIn(
                "give the certificate chain first, ServerOptions(certificateChain, privateKey)",
                str(warning.message),
            )

    def test_newOrderDoesNotWarn(self) -> None:
        identity = cachedPKI().ecdsaServer
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ServerOptions([identity.certificate], identity.privateKey)
            ServerOptions(identity.certPath, identity.keyPath)

    def test_fromPEMSwappedIsAnError(self) -> None:
        """
        C{fromPEM} never took the key first: files given the wrong way
        round are named as swapped, not taken with a warning.
        """
        identity = cachedPKI().ecdsaServer
        error = self.assertRaises(
            ValueError, ServerOptions.fromPEM, identity.keyPath, identity.certPath
        )
        self.assertIn("swapped", str(error))


class MisspelledKeywordTests(SynchronousTestCase):
    """
    A keyword the public class does not take: a C{TypeError} naming that
    class (not the private base) and the close match.
    """

    def assertMisspelled(self, call: Any, expected: str) -> None:
        error = self.assertRaises(TypeError, call)
        self.assertEqual(str(error), expected)

    def test_options(self) -> None:
        identity = cachedPKI().ecdsaServer
        self.assertMisspelled(
            lambda: ServerOptions(identity.certPath, identity.keyPath, clientCertificate="x"),
            "ServerOptions() got an unexpected keyword argument 'clientCertificate'; "
            "did you mean 'clientCertificates'?",
        )
        self.assertMisspelled(
            lambda: ClientOptions("h", maxversion="1.3"),
            "ClientOptions() got an unexpected keyword argument 'maxversion'; "
            "did you mean 'maxVersion'?",
        )
        self.assertMisspelled(
            lambda: ClientOptions("h", handshakeTimout=5),
            "ClientOptions() got an unexpected keyword argument 'handshakeTimout'; "
            "did you mean 'handshakeTimeout'?",
        )
        self.assertMisspelled(
            lambda: ServerOptions.fromPEM(identity.certPath, identity.keyPath, cipherSuite=[]),
            "ServerOptions.fromPEM() got an unexpected keyword argument 'cipherSuite'; "
            "did you mean 'cipherSuites'?",
        )
        self.assertMisspelled(
            lambda: ClientOptions("h", colour="blue"),
            "ClientOptions() got an unexpected keyword argument 'colour'",
        )

    def test_helpers(self) -> None:
        self.assertMisspelled(
            lambda: agent(reactor, minversion="1.3"),
            "agent() got an unexpected keyword argument 'minversion'; did you mean 'minVersion'?",
        )
        self.assertMisspelled(
            lambda: TLSEndpointFactory(reactor, trustroots="ca.pem"),
            "TLSEndpointFactory() got an unexpected keyword argument 'trustroots'; "
            "did you mean 'trustRoots'?",
        )
        self.assertMisspelled(
            lambda: optionsForClientTLS("h", logTLSEvent=True),
            "optionsForClientTLS() got an unexpected keyword argument 'logTLSEvent'; "
            "did you mean 'logTLSEvents'?",
        )

    def test_subclassNamed(self) -> None:
        """
        The class named is the one being made.
        """

        class MyOptions(ClientOptions):
            pass

        self.assertMisspelled(
            lambda: MyOptions("h", groop=[]),
            "MyOptions() got an unexpected keyword argument 'groop'; did you mean 'groups'?",
        )


class CombinedClientCertificateTests(SynchronousTestCase):
    """
    C{clientCertificate="client.pem"}: one PEM file (or PEM bytes) holding
    the certificate and its key, as a server's C{privateKey=} file may.
    """

    def setUp(self) -> None:
        self.pki = cachedPKI()
        client = self.pki.ecdsaClient
        self.combined = b"".join(pem(client))
        self.path = self.mktemp()
        with open(self.path, "wb") as f:
            f.write(self.combined)

    def test_onePath(self) -> None:
        for value in (self.path, self.combined):
            client = ClientOptions(
                "localhost", trustRoots=self.pki.caPath, clientCertificate=value
            )
            self.assertEqual(
                sentCertificate(client, requiringServer()), self.pki.ecdsaClient.certificate
            )

    def test_severalCombinedFiles(self) -> None:
        """
        C{clientCertificates} takes combined files too, in a list or a
        tuple.
        """
        untrusted = self.pki.untrustedClient
        other = self.mktemp()
        with open(other, "wb") as f:
            f.write(b"".join(pem(untrusted)))
        client = ClientOptions(
            "localhost", trustRoots=self.pki.caPath, clientCertificates=(other, self.path)
        )
        self.assertEqual(
            sentCertificate(client, requiringServer()), self.pki.ecdsaClient.certificate
        )
        pair = (self.pki.ecdsaClient.certPath, self.pki.ecdsaClient.keyPath)
        for mistake in (self.path, pair):
            error = self.assertRaises(TypeError, ClientOptions, "h", clientCertificates=mistake)
            self.assertEqual(
                str(error),
                "clientCertificates takes a list of certificates; use clientCertificate",
            )

    def test_encryptedCombined(self) -> None:
        from cryptography.hazmat.primitives import serialization

        client = self.pki.ecdsaClient
        key = client.privateKey.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
        with open(self.path, "wb") as f:
            f.write(pem(client)[0] + key)
        options = ClientOptions(
            "localhost",
            trustRoots=self.pki.caPath,
            clientCertificate=self.path,
            keyPassword="s3cret",
        )
        self.assertEqual(sentCertificate(options, requiringServer()), client.certificate)

    def test_halfAFile(self) -> None:
        """
        A file holding only the certificate (or only the key) says which
        half is missing and what to give instead.
        """
        client = self.pki.ecdsaClient
        for path, lacking in ((client.certPath, "private key"), (client.keyPath, "certificate")):
            error = self.assertRaises(ValueError, ClientOptions, "h", clientCertificate=path)
            self.assertEqual(
                str(error),
                f"clientCertificate file {path!r} holds no {lacking}: give one PEM file "
                "holding both the certificate (leaf first) and its private key, or the "
                "certificate and the key separately",
            )

    def test_otherShapesListTheAcceptedOnes(self) -> None:
        client = self.pki.ecdsaClient
        for value, shape in (
            ((client.certPath, client.keyPath, "extra"), "a tuple of 3 items"),
            ([client.certificate, self.pki.caCertificate], "a list of 2 items"),
            (client.certificate, "a Certificate"),
            (42, "an int"),
        ):
            error = self.assertRaises(TypeError, ClientOptions, "h", clientCertificate=value)
            self.assertEqual(
                str(error),
                "clientCertificate takes a (certificate, key) pair (each a file path, PEM "
                "bytes or a cryptography object; the certificate may be a chain, leaf "
                "first), a Twisted PrivateCertificate, or the path (or PEM bytes) of one "
                f"file holding the certificate and its key; not {shape}",
            )

    def test_sniMapCombined(self) -> None:
        identity = self.pki.ecdsaServer
        combined = self.mktemp()
        with open(combined, "wb") as f:
            f.write(b"".join(pem(identity)))
        options = ServerOptions(
            self.pki.rsaServer.certPath,
            self.pki.rsaServer.keyPath,
            sniMap={"Other.example": combined},
        )
        credential = options.tlsConfig().sniCredentials["other.example"]
        self.assertEqual(credential.chain, (identity.certificate,))
        error = self.assertRaises(
            TypeError, ServerOptions, identity.certPath, identity.keyPath, sniMap={"a": 1}
        )
        self.assertIn("sniMap['a'] takes a (certificate, key) pair", str(error))


class SignatureTests(SynchronousTestCase):
    """
    Every option of L{ServerOptions} and L{ClientOptions} is in its
    signature (not hidden in C{**kw}) and documented, with its values, on
    the public class.
    """

    def params(self, cls: type) -> dict[str, inspect.Parameter]:
        return dict(inspect.signature(cls).parameters)

    def documented(self, cls: type) -> dict[str, str]:
        """
        The text of each C{@param} of C{cls}'s docstring.
        """
        doc = inspect.cleandoc(cls.__doc__ or "")
        found = re.findall(r"^@param (\w+):(.*?)(?=^@|\Z)", doc, re.M | re.S)
        return {name: " ".join(text.split()) for name, text in found}

    def test_everyOptionInTheSignature(self) -> None:
        for cls in (ServerOptions, ClientOptions):
            params = self.params(cls)
            self.assertFalse(
                [p for p in params.values() if p.kind is p.VAR_KEYWORD], f"{cls.__name__}: **kw"
            )
            for name in SHARED:
                self.assertIn(name, params, cls.__name__)
                self.assertIs(params[name].kind, inspect.Parameter.KEYWORD_ONLY)
            text = pydoc.render_doc(cls.__init__, renderer=pydoc.plaintext)
            self.assertNotIn("**", text)
            self.assertIn("minVersion", text)

    def test_everyParameterDocumented(self) -> None:
        for cls in (ServerOptions, ClientOptions):
            documented = self.documented(cls)
            self.assertEqual(sorted(documented), sorted(self.params(cls)), cls.__name__)

    def test_valuesDocumented(self) -> None:
        for cls in (ServerOptions, ClientOptions):
            documented = self.documented(cls)
            for name, words in (
                ("minVersion", ['"1.2"', '"1.3"']),
                ("maxVersion", ['"1.2"', '"1.3"']),
                ("cipherSuites", ['"TLS_AES_128_GCM_SHA256"', "ECDHE_RSA_WITH_AES_256_GCM"]),
                ("groups", ['"X25519MLKEM768"', '"x25519"', '"secp256r1"', '"x448"']),
                ("acceptableProtocols", ['b"h2"']),
                ("renegotiation", ["RenegotiationPolicy"]),
                ("keyLogFile", ["path", "SSLKEYLOGFILE"]),
                ("trustRoots", ["path of a PEM bundle"]),
                ("trustRoot", ["synonym"]),
            ):
                for word in words:
                    self.assertIn(word, documented[name], f"{cls.__name__} {name}")
        server = self.documented(ServerOptions)
        self.assertIn("path of a PEM file", server["certificateChain"])
        self.assertIn("path of a PEM or DER file", server["privateKey"])
        client = self.documented(ClientOptions)
        self.assertIn("path (or PEM bytes) of one PEM file", client["clientCertificate"])

    def test_everyDocumentedNameAccepted(self) -> None:
        """
        What the docs say each option takes, it takes: every suite and
        group named, in any letter case.
        """
        names = [g.name for g in NamedGroup]
        for cls in (ServerOptions, ClientOptions):
            suites = re.findall(r'"(TLS_\w+)"', self.documented(cls)["cipherSuites"])
            self.assertEqual(len(suites), 9)
            groups = re.findall(r'"([\w-]+)"', self.documented(cls)["groups"])
            self.assertEqual(set(names) - set(groups), set())
            identity = cachedPKI().ecdsaServer
            for options in (
                ClientOptions("h", cipherSuites=suites, groups=groups),
                ServerOptions(
                    identity.certPath, identity.keyPath, cipherSuites=suites, groups=groups
                ),
                ClientOptions("h", groups=[g.upper() for g in names]),
            ):
                self.assertEqual(set(options.groups), set(NamedGroup))
            self.assertEqual(len(options.cipherSuites) + len(options.tls13Suites), 9)

    def test_hybridGroupByName(self) -> None:
        """
        C{groups=["X25519MLKEM768"]}, the name every error message lists,
        is accepted (the engine's lookup lower-cased it and missed).
        """
        options = ClientOptions("h", groups=["X25519MLKEM768", "x25519"])
        self.assertEqual(options.groups, (NamedGroup.X25519MLKEM768, NamedGroup.x25519))
        options = ClientOptions("h", groups=["p-256"])
        self.assertEqual(options.groups, (NamedGroup.secp256r1,))


class PathLikeTests(SynchronousTestCase):
    """
    Where a path works, a C{pathlib} path works too.
    """

    def test_pathlib(self) -> None:
        from pathlib import Path

        pki = cachedPKI()
        identity = pki.ecdsaServer
        keyLog = Path(self.mktemp())
        options = ServerOptions.fromPEM(
            Path(identity.certPath),
            Path(identity.keyPath),
            trustRoots=Path(pki.caPath),
            keyLogFile=keyLog,
        )
        assert options.keyLog is not None
        options.keyLog("CLIENT_RANDOM 00 00")
        self.assertTrue(os.path.exists(keyLog))
        client = ClientOptions(
            "localhost",
            trustRoots=Path(pki.caPath),
            clientCertificate=(Path(pki.ecdsaClient.certPath), Path(pki.ecdsaClient.keyPath)),
        )
        self.assertEqual(sentCertificate(client, requiringServer()), pki.ecdsaClient.certificate)
