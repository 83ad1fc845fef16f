# -*- test-case-name: tests.test_canames -*-
"""
CA names in CertificateRequest and the client's choice of certificate, in
memory: the certificate_authorities codec, the names a server sends (TLS
1.2, TLS 1.3 in the handshake and after it), their cap and off switch, and
which of several certificates a client answers with.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet import ssl
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import ClientOptions, ServerOptions
from twisted_reneg.testing.pki import Identity, cachedPKI
from twisted_reneg.tls.clientauth import (
    MAX_CA_NAMES_BYTES,
    caNamesForRoots,
    chainNames,
    readCertificateRequest13,
)
from twisted_reneg.tls.config import TLS12, TLS13, ClientAuth, TLSConfig
from twisted_reneg.tls.credentials import Credential, PeerVerifier
from twisted_reneg.tls.errors import AlertDescription, DecodeError, PeerError
from twisted_reneg.tls.events import PostHandshakeAuthCompleted
from twisted_reneg.tls.extensions import (
    Extensions,
    ExtensionType,
    decodeCertificateAuthorities,
    encodeCertificateAuthorities,
    encodeUint16List,
)
from twisted_reneg.tls.messages import (
    MAX_CERTIFICATE_AUTHORITIES,
    CertificateRequest12,
    CertificateRequest13,
    HandshakeType,
)
from twisted_reneg.tls.suites import SignatureScheme

from .enginepair import EnginePair, clientConfig, credentialOf, serverConfig

A = AlertDescription
S = SignatureScheme
VERSIONS = (TLS12, TLS13)

names = st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=6)


def der(name: x509.Name) -> bytes:
    return name.public_bytes()


def caName() -> bytes:
    return der(cachedPKI().caCertificate.subject)


def untrustedCAName() -> bytes:
    return der(cachedPKI().untrustedClient.certificate.issuer)


def plaintextHandshakes(flight: bytes) -> dict[int, bytes]:
    """
    The handshake messages, by type, in a TLS 1.2 flight's plaintext
    records (up to the first record of another type).
    """
    stream = b""
    at = 0
    while at + 5 <= len(flight) and flight[at] == 22:
        length = int.from_bytes(flight[at + 3 : at + 5], "big")
        stream += flight[at + 5 : at + 5 + length]
        at += 5 + length
    messages = {}
    at = 0
    while at + 4 <= len(stream):
        length = int.from_bytes(stream[at + 1 : at + 4], "big")
        messages[stream[at]] = stream[at + 4 : at + 4 + length]
        at += 4 + length
    return messages


class Recorder:
    """
    A client's C{chooseClientCredential} that records what it was shown
    and answers with C{pick(candidates)}.
    """

    def __init__(self, pick: Any = lambda candidates: candidates[0]) -> None:
        self.pick = pick
        self.calls: list[tuple[tuple[bytes, ...], tuple[Credential, ...]]] = []

    def __call__(
        self, caNames: tuple[bytes, ...], candidates: tuple[Credential, ...]
    ) -> Credential | None:
        self.calls.append((caNames, candidates))
        return self.pick(candidates)  # type: ignore[no-any-return]


def server(version: int, **kw: Any) -> TLSConfig:
    kw.setdefault("clientAuth", ClientAuth.REQUIRE)
    return serverConfig(maxVersion=version, **kw)


def client(version: int, identities: Sequence[Identity], **kw: Any) -> TLSConfig:
    return clientConfig(
        minVersion=version,
        maxVersion=version,
        clientCredentials=tuple(credentialOf(i) for i in identities),
        **kw,
    )


def sentCertificate(pair: EnginePair) -> x509.Certificate | None:
    failure = pair.server.failure() or pair.client.failure()
    if failure is not None:
        raise AssertionError(f"handshake failed: {failure.error}")
    session = pair.server.connection.session
    assert session is not None
    return session.peerCertificate


def acceptAnyClient() -> PeerVerifier:
    """
    A server verifier that takes any client chain, so that a test sees
    which certificate the client chose even when the server would not
    trust it.
    """
    return PeerVerifier([cachedPKI().caCertificate], verify=False)


class CodecTests(SynchronousTestCase):
    @settings(max_examples=200, deadline=None)
    @given(names)
    def test_roundTrip(self, values: list[bytes]) -> None:
        self.assertEqual(
            decodeCertificateAuthorities(encodeCertificateAuthorities(values)), tuple(values)
        )

    @settings(max_examples=200, deadline=None)
    @given(names, st.data())
    def test_noProperPrefixParses(self, values: list[bytes], data: Any) -> None:
        encoded = encodeCertificateAuthorities(values)
        cut = data.draw(st.integers(0, len(encoded) - 1))
        self.assertRaises(DecodeError, decodeCertificateAuthorities, encoded[:cut])

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=120))
    def test_randomBytesOnlyDecodeError(self, data: bytes) -> None:
        try:
            decoded = decodeCertificateAuthorities(data)
        except DecodeError:
            return
        self.assertEqual(encodeCertificateAuthorities(decoded), data)

    def test_emptyListIsDecodeError(self) -> None:
        """
        RFC 8446 4.2.4: authorities<3..2^16-1>: no empty list, no empty name.
        """
        for bad in (b"\x00\x00", b"\x00\x02\x00\x00", b"\x00\x03\x00\x00\x00"):
            with self.assertRaises(DecodeError) as caught:
                decodeCertificateAuthorities(bad)
            self.assertEqual(caught.exception.alert, A.decode_error)
        self.assertRaises(ValueError, encodeCertificateAuthorities, [])

    def test_trailingBytes(self) -> None:
        encoded = encodeCertificateAuthorities([b"abc"])
        self.assertRaises(DecodeError, decodeCertificateAuthorities, encoded + b"\x00")

    def test_manyNamesParse(self) -> None:
        """
        A peer may name as many CAs as its message holds (servers naming
        hundreds are real); only what we send is capped.
        """
        many = [b"n"] * (MAX_CERTIFICATE_AUTHORITIES * 10)
        self.assertEqual(
            decodeCertificateAuthorities(encodeCertificateAuthorities(many)), tuple(many)
        )
        request = CertificateRequest12(b"\x40", (0x0403,), tuple(many))
        self.assertEqual(CertificateRequest12.parse(request.serialize()).authorities, tuple(many))

    def test_tls12ListMayBeEmptyButNotItsNames(self) -> None:
        request = CertificateRequest12(b"\x40", (0x0403,), ())
        self.assertEqual(CertificateRequest12.parse(request.serialize()).authorities, ())
        body = b"\x01\x40" + b"\x00\x02\x04\x03" + b"\x00\x02\x00\x00"
        self.assertRaises(DecodeError, CertificateRequest12.parse, body)

    def test_readCertificateRequest13(self) -> None:
        schemes = (int(ExtensionType.signature_algorithms), encodeUint16List([0x0403]))
        names = (int(ExtensionType.certificate_authorities), encodeCertificateAuthorities([b"x"]))
        read = readCertificateRequest13(
            CertificateRequest13(b"ctx", Extensions((schemes, names))).serialize()
        )
        self.assertEqual((read.context, read.schemes, read.caNames), (b"ctx", (0x0403,), (b"x",)))
        self.assertEqual(
            readCertificateRequest13(
                CertificateRequest13(b"", Extensions((schemes,))).serialize()
            ).caNames,
            (),
        )
        empty = (int(ExtensionType.certificate_authorities), b"\x00\x00")
        self.assertRaises(
            DecodeError,
            readCertificateRequest13,
            CertificateRequest13(b"", Extensions((schemes, empty))).serialize(),
        )
        with self.assertRaises(PeerError) as caught:
            readCertificateRequest13(CertificateRequest13(b"", Extensions((names,))).serialize())
        self.assertEqual(caught.exception.alert, A.missing_extension)


def issued(
    subject: x509.Name, issuer: x509.Name, signingKey: Any, key: Any, ca: bool
) -> x509.Certificate:
    now = datetime.now(timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signingKey, hashes.SHA256())
    )


def caCertificates(count: int, unitsPerName: int = 0) -> list[x509.Certificate]:
    """
    C{count} self-signed CA certificates named by number, with
    C{unitsPerName} organizational units of 60 characters each to make
    the names long.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    made = []
    for n in range(count):
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, str(n))]
        attributes += [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{u:02d}" + "u" * 58)
            for u in range(unitsPerName)
        ]
        name = x509.Name(attributes)
        made.append(issued(name, name, key, key, ca=True))
    return made


def chainThroughIntermediate() -> tuple[x509.Name, Credential]:
    """
    A root's name and a credential whose chain (leaf, intermediate) reaches
    that root only through the intermediate's issuer.
    """
    rootKey, intermediateKey, leafKey = (ec.generate_private_key(ec.SECP256R1()) for _ in "abc")
    root = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "faraway root")])
    middle = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "intermediate")])
    leaf = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chained client")])
    chain = (
        issued(leaf, middle, intermediateKey, leafKey, ca=False),
        issued(middle, root, rootKey, intermediateKey, ca=True),
    )
    return root, Credential(chain, leafKey)


class ServerNamesTests(SynchronousTestCase):
    """
    What the server puts in its CertificateRequest.
    """

    def test_namesOfRoots(self) -> None:
        """
        The DER subjects of the roots, in order, a repeated subject once.
        """
        pki = cachedPKI()
        roots = caCertificates(2)
        got = caNamesForRoots([pki.caCertificate, *roots, pki.caCertificate])
        self.assertEqual(got, (caName(), der(roots[0].subject), der(roots[1].subject)))

    def test_capInBytes(self) -> None:
        """
        Names past MAX_CA_NAMES_BYTES are not cut short: none are sent.
        """
        long = caCertificates(6, unitsPerName=20)
        sizes = [2 + len(der(c.subject)) for c in long]
        fitting = 0
        while sum(sizes[: fitting + 1]) <= MAX_CA_NAMES_BYTES:
            fitting += 1
        self.assertGreater(fitting, 0)
        self.assertLess(fitting, len(long))
        self.assertEqual(len(caNamesForRoots(long[:fitting]) or ()), fitting)
        self.assertIsNone(caNamesForRoots(long[: fitting + 1]))

    def test_capInCount(self) -> None:
        roots = caCertificates(MAX_CERTIFICATE_AUTHORITIES + 1)
        self.assertEqual(len(caNamesForRoots(roots[:-1]) or ()), MAX_CERTIFICATE_AUTHORITIES)
        self.assertIsNone(caNamesForRoots(roots))

    def test_tls12OnTheWire(self) -> None:
        """
        The TLS 1.2 CertificateRequest lists the names in
        certificate_authorities; without names the list is empty.
        """
        for configured in ((caName(),), ()):
            pair = EnginePair(
                client(TLS12, [cachedPKI().ecdsaClient]),
                server(TLS12, clientCANames=configured),
            ).handshake()
            self.assertIsNotNone(sentCertificate(pair))
            serverFlight = next(data for who, data in pair.wire if who == "server")
            body = plaintextHandshakes(serverFlight)[HandshakeType.certificate_request]
            self.assertEqual(CertificateRequest12.parse(body).authorities, configured)

    def test_clientSeesTheNames(self) -> None:
        """
        TLS 1.2 and 1.3 handshakes, and TLS 1.3 post-handshake auth: the
        names the server sends are the names the client is shown.
        """
        for version in VERSIONS:
            recorder = Recorder()
            pair = EnginePair(
                client(version, [cachedPKI().ecdsaClient], chooseClientCredential=recorder),
                server(version, clientCANames=(caName(), untrustedCAName())),
            ).handshake()
            self.assertIsNotNone(sentCertificate(pair))
            [(shown, _)] = recorder.calls
            self.assertEqual(shown, (caName(), untrustedCAName()), version)

    def test_postHandshakeAuth(self) -> None:
        for configured in ((caName(),), ()):
            recorder = Recorder()
            pair = EnginePair(
                client(TLS13, [cachedPKI().ecdsaClient], chooseClientCredential=recorder),
                server(TLS13, clientAuth=ClientAuth.NONE, clientCANames=configured),
            ).handshake()
            self.assertEqual(recorder.calls, [])
            pair.server.connection.requestClientCertificate()
            pair.pump()
            [(shown, _)] = recorder.calls
            self.assertEqual(shown, configured)
            [done] = [e for e in pair.server.events if isinstance(e, PostHandshakeAuthCompleted)]
            self.assertEqual(done.session.peerCertificate, cachedPKI().ecdsaClient.certificate)

    def test_noNamesConfigured(self) -> None:
        """
        No names: TLS 1.3 sends no certificate_authorities extension (the
        client sees an empty list either way, so check the parse too).
        """
        for version in VERSIONS:
            recorder = Recorder()
            pair = EnginePair(
                client(version, [cachedPKI().ecdsaClient], chooseClientCredential=recorder),
                server(version),
            ).handshake()
            self.assertIsNotNone(sentCertificate(pair))
            self.assertEqual(recorder.calls[0][0], ())

    def test_configChecksNames(self) -> None:
        self.assertRaises(ValueError, server, TLS13, clientCANames=(b"",))
        self.assertRaises(ValueError, server, TLS13, clientCANames=(b"x" * 40000,) * 2)
        self.assertRaises(ValueError, clientConfig, clientCANames=(caName(),))


class ServerOptionsTests(SynchronousTestCase):
    """
    C{ServerOptions}: where the names come from, once per options object.
    """

    def options(self, **kw: Any) -> ServerOptions:
        identity = cachedPKI().ecdsaServer
        return ServerOptions([identity.certificate], identity.privateKey, **kw)

    def test_explicitRoots(self) -> None:
        pki = cachedPKI()
        with open(pki.caPath, "rb") as f:
            twistedRoot = ssl.trustRootFromCertificates([ssl.Certificate.loadPEM(f.read())])
        for roots in ([pki.caCertificate], pki.caPath, twistedRoot):
            config = self.options(trustRoots=roots).tlsConfig()
            self.assertEqual(config.clientCANames, (caName(),))

    def test_systemBundleNamesNone(self) -> None:
        self.assertEqual(self.options().tlsConfig().clientCANames, ())
        self.assertEqual(
            self.options(trustRoots=ssl.platformTrust()).tlsConfig().clientCANames, ()
        )

    def test_offSwitch(self) -> None:
        options = self.options(trustRoots=[cachedPKI().caCertificate], sendClientCANames=False)
        self.assertEqual(options.tlsConfig().clientCANames, ())

    def test_overTheCapLogged(self) -> None:
        logged: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        roots = caCertificates(6, unitsPerName=20)
        self.assertEqual(self.options(trustRoots=roots).tlsConfig().clientCANames, ())
        warnings = [e for e in logged if e.get("log_level") is LogLevel.warn]
        self.assertTrue(any("Not naming the 6" in formatEvent(e) for e in warnings), logged)

    def test_computedOncePerOptions(self) -> None:
        import twisted_reneg._loading as module

        calls: list[object] = []
        real = module.caNamesForRoots

        def counting(roots: Sequence[x509.Certificate]) -> tuple[bytes, ...] | None:
            calls.append(roots)
            return real(roots)

        self.patch(module, "caNamesForRoots", counting)
        options = self.options(
            trustRoots=[cachedPKI().caCertificate], clientCertificates="require"
        )
        for protocols in (None, [b"h2"], None):
            config = options.tlsConfig(protocols)
            pair = EnginePair(client(TLS13, [cachedPKI().ecdsaClient]), config).handshake()
            self.assertIsNotNone(pair.server.connection.session)
        self.assertEqual(len(calls), 1)


class ClientChoiceTests(SynchronousTestCase):
    """
    Which certificate a client with several sends.
    """

    def test_namedCAWins(self) -> None:
        """
        The certificate from the CA the server names, though it is not the
        first; the server accepts it.
        """
        pki = cachedPKI()
        for version in VERSIONS:
            pair = EnginePair(
                client(version, [pki.untrustedClient, pki.ecdsaClient]),
                server(version, clientCANames=(untrustedCAName() + b"x", caName())),
            ).handshake()
            self.assertEqual(sentCertificate(pair), pki.ecdsaClient.certificate, version)

    def test_matchThroughTheChain(self) -> None:
        """
        A chain matches by the issuer or subject of any of its
        certificates: a server naming a root reached through the
        intermediate we send gets that chain.
        """
        pki = cachedPKI()
        rootName, chained = chainThroughIntermediate()
        leaf, intermediate = chained.chain
        self.assertEqual(
            chainNames(chained),
            {der(leaf.subject), der(intermediate.subject), der(rootName)},
        )
        for version in VERSIONS:
            config = clientConfig(
                minVersion=version,
                maxVersion=version,
                clientCredentials=(credentialOf(pki.ecdsaClient), chained),
            )
            pair = EnginePair(
                config,
                server(version, clientCANames=(der(rootName),), verifier=acceptAnyClient()),
            ).handshake()
            self.assertEqual(sentCertificate(pair), leaf, version)
            server13 = pair.server.connection.session
            assert server13 is not None
            self.assertEqual(server13.peerCertificates, chained.chain)

    def test_fallBackToFirst(self) -> None:
        """
        No name matches, or the server names none: the first certificate.
        """
        pki = cachedPKI()
        for version in VERSIONS:
            for configured in ((b"0\x00",), ()):
                pair = EnginePair(
                    client(version, [pki.untrustedClient, pki.ecdsaClient]),
                    server(version, clientCANames=configured, verifier=acceptAnyClient()),
                ).handshake()
                self.assertEqual(sentCertificate(pair), pki.untrustedClient.certificate)

    def test_keyMustFitTheSchemes(self) -> None:
        """
        A certificate from the named CA whose key cannot sign with a scheme
        the server accepts is passed over: the usable one matching the
        names if any, else the first usable one.
        """
        pki = cachedPKI()
        ecdsaOnly = (S.ecdsa_secp256r1_sha256,)
        rsaOnly = (S.rsa_pss_rsae_sha256,)
        for version in VERSIONS:
            for identities, schemes, expected in (
                (
                    [pki.rsaClient, pki.untrustedClient, pki.ecdsaClient],
                    ecdsaOnly,
                    pki.ecdsaClient,
                ),
                ([pki.rsaClient, pki.untrustedClient], ecdsaOnly, pki.untrustedClient),
                ([pki.ecdsaClient, pki.rsaClient], rsaOnly, pki.rsaClient),
            ):
                pair = EnginePair(
                    client(version, identities),
                    server(
                        version,
                        clientCANames=(caName(),),
                        signatureSchemes=schemes,
                        verifier=acceptAnyClient(),
                    ),
                ).handshake()
                self.assertEqual(sentCertificate(pair), expected.certificate, version)

    def test_noneFits(self) -> None:
        """
        No certificate can sign with the server's schemes: an empty
        Certificate, and the chooser is not even asked.
        """
        pki = cachedPKI()
        for version in VERSIONS:
            recorder = Recorder()
            pair = EnginePair(
                client(version, [pki.rsaClient], chooseClientCredential=recorder),
                server(
                    version,
                    clientAuth=ClientAuth.REQUEST,
                    signatureSchemes=(S.ecdsa_secp256r1_sha256,),
                ),
            ).handshake()
            self.assertIsNone(sentCertificate(pair))
            self.assertEqual(recorder.calls, [])

    def test_callbackChooses(self) -> None:
        """
        The chooser sees the usable candidates in configured order (the
        RSA one is not usable here) and its choice is sent, against the
        built-in rule.
        """
        pki = cachedPKI()
        for version in VERSIONS:
            recorder = Recorder(pick=lambda candidates: candidates[-1])
            pair = EnginePair(
                client(
                    version,
                    [pki.ecdsaClient, pki.rsaClient, pki.untrustedClient],
                    chooseClientCredential=recorder,
                ),
                server(
                    version,
                    clientCANames=(caName(),),
                    signatureSchemes=(S.ecdsa_secp256r1_sha256,),
                    verifier=acceptAnyClient(),
                ),
            ).handshake()
            self.assertEqual(sentCertificate(pair), pki.untrustedClient.certificate)
            [(shown, candidates)] = recorder.calls
            self.assertEqual(shown, (caName(),))
            self.assertEqual(
                candidates,
                (credentialOf(pki.ecdsaClient), credentialOf(pki.untrustedClient)),
            )

    def test_callbackReturnsNone(self) -> None:
        """
        C{None} sends no certificate: a server that only requests goes on
        without one; one that requires it fails the handshake.
        """
        pki = cachedPKI()
        for version, requiredAlert in (
            (TLS12, A.handshake_failure),
            (TLS13, A.certificate_required),
        ):
            pair = EnginePair(
                client(
                    version, [pki.ecdsaClient], chooseClientCredential=Recorder(lambda c: None)
                ),
                server(version, clientAuth=ClientAuth.REQUEST, clientCANames=(caName(),)),
            ).handshake()
            self.assertIsNone(sentCertificate(pair))
            pair = EnginePair(
                client(
                    version, [pki.ecdsaClient], chooseClientCredential=Recorder(lambda c: None)
                ),
                server(version, clientCANames=(caName(),)),
            ).handshake()
            failure = pair.server.failure()
            assert failure is not None
            self.assertEqual(failure.error.alert, requiredAlert)

    def test_callbackReturnsAStranger(self) -> None:
        """
        A chooser returning a credential it was not offered is a bug in the
        application: the client fails with internal_error, saying so.
        """
        pki = cachedPKI()
        stranger = credentialOf(pki.rsaClient)
        pair = EnginePair(
            client(TLS13, [pki.ecdsaClient], chooseClientCredential=Recorder(lambda c: stranger)),
            server(TLS13),
        ).handshake()
        failure = pair.client.failure()
        assert failure is not None
        self.assertEqual(failure.error.alert, A.internal_error)
        self.assertIn("not offered", str(failure.error))

    def test_postHandshakeAuthChooses(self) -> None:
        pki = cachedPKI()
        pair = EnginePair(
            client(TLS13, [pki.untrustedClient, pki.ecdsaClient]),
            server(TLS13, clientAuth=ClientAuth.NONE, clientCANames=(caName(),)),
        ).handshake()
        pair.server.connection.requestClientCertificate()
        pair.pump()
        [done] = [e for e in pair.server.events if isinstance(e, PostHandshakeAuthCompleted)]
        self.assertEqual(done.session.peerCertificate, pki.ecdsaClient.certificate)

    def test_configChecks(self) -> None:
        pki = cachedPKI()
        one = credentialOf(pki.ecdsaClient)
        self.assertRaises(ValueError, clientConfig, credential=one, clientCredentials=(one,))
        self.assertRaises(ValueError, serverConfig, clientCredentials=(one,))
        self.assertRaises(ValueError, serverConfig, chooseClientCredential=Recorder())
        config = clientConfig(clientCredentials=[one])
        self.assertEqual(config.clientCredentials, (one,))
        self.assertTrue(config.offersPostHandshakeAuth)
        self.assertEqual(clientConfig(credential=one).clientCredentialCandidates, (one,))
        self.assertFalse(clientConfig().offersPostHandshakeAuth)


class ClientOptionsTests(SynchronousTestCase):
    def test_bothGivenNamesBoth(self) -> None:
        identity = cachedPKI().ecdsaClient
        pair = ((identity.certificate,), identity.privateKey)
        with self.assertRaises(ValueError) as caught:
            ClientOptions("localhost", clientCertificate=pair, clientCertificates=[pair])
        self.assertIn("clientCertificate", str(caught.exception))
        self.assertIn("clientCertificates", str(caught.exception))

    def test_everyForm(self) -> None:
        """
        Each entry in any form C{clientCertificate} takes: a pair, a
        Twisted PrivateCertificate, a Credential; order kept.
        """
        pki = cachedPKI()
        rsa, ecdsa, other = pki.rsaClient, pki.ecdsaClient, pki.untrustedClient
        with open(ecdsa.certPath, "rb") as c, open(ecdsa.keyPath, "rb") as k:
            twisted = ssl.PrivateCertificate.loadPEM(c.read() + k.read())
        options = ClientOptions(
            "localhost",
            clientCertificates=[
                ((rsa.certificate,), rsa.privateKey),
                twisted,
                credentialOf(other),
            ],
        )
        config = options.tlsConfig()
        self.assertEqual(
            [c.chain[0] for c in config.clientCredentialCandidates],
            [rsa.certificate, ecdsa.certificate, other.certificate],
        )
        self.assertIsNone(config.credential)
        self.assertTrue(config.offersPostHandshakeAuth)

    def test_shorthandStaysTheCredential(self) -> None:
        identity = cachedPKI().ecdsaClient
        config = ClientOptions(
            "localhost", clientCertificate=((identity.certificate,), identity.privateKey)
        ).tlsConfig()
        assert config.credential is not None
        self.assertEqual(config.credential.chain[0], identity.certificate)
        self.assertEqual(config.clientCredentialCandidates, (config.credential,))

    def test_mistakes(self) -> None:
        identity = cachedPKI().ecdsaClient
        pair = ((identity.certificate,), identity.privateKey)
        self.assertRaises(TypeError, ClientOptions, "localhost", clientCertificates=pair)
        self.assertRaises(ValueError, ClientOptions, "localhost", clientCertificates=[None])
        self.assertRaises(
            ValueError, ClientOptions, "localhost", chooseClientCertificate=Recorder()
        )

    def test_chooserReachesTheEngine(self) -> None:
        pki = cachedPKI()
        recorder = Recorder(pick=lambda candidates: candidates[1])
        options = ClientOptions(
            "localhost",
            trustRoots=[pki.caCertificate],
            clientCertificates=[
                ((pki.untrustedClient.certificate,), pki.untrustedClient.privateKey),
                ((pki.ecdsaClient.certificate,), pki.ecdsaClient.privateKey),
            ],
            chooseClientCertificate=recorder,
            resumeSessions=False,
        )
        identity = pki.ecdsaServer
        serverOptions = ServerOptions(
            [identity.certificate],
            identity.privateKey,
            trustRoots=[pki.caCertificate],
            clientCertificates="require",
        )
        pair = EnginePair(options.tlsConfig(), serverOptions.tlsConfig()).handshake()
        self.assertEqual(sentCertificate(pair), pki.ecdsaClient.certificate)
        self.assertEqual(recorder.calls[0][0], (caName(),))
