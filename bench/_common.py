"""
What the benchmarks share: the pinned versions, suites and groups, the
server and client factories of both implementations, the check of what was
negotiated, and the statistics and table code.  Not a benchmark itself.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


IMPLS = ("ours", "pyopenssl")
#: Not TLS: the same benchmark over plain TCP, where it makes sense (bulk,
#: small writes, keep-alive).  What Twisted itself costs bounds what any TLS
#: layer can reach: "tcp / pyOpenSSL" is the best ratio a TLS layer that
#: cost nothing could show.
PLAIN = "tcp"
#: What L{negotiated} reports for L{PLAIN}.
_PLAIN_INFO = {"version": "plain TCP", "suite": "-", "group": "-", "resumed": False}


def implsFor(choice: str) -> list[str]:
    """
    The implementations a C{--impl} choice runs: C{both} (ours and
    pyOpenSSL), C{all} (both and plain TCP), or one of them.
    """
    if choice == "both":
        return list(IMPLS)
    if choice == "all":
        return [*IMPLS, PLAIN]
    return [choice]


#: The key-exchange group both implementations must negotiate.  It is pinned
#: so that neither picks something else by default (OpenSSL 3.5+ prefers the
#: X25519MLKEM768 hybrid in TLS 1.3, which we do not implement).
GROUP = "x25519"
#: Our group names to OpenSSL's.
OPENSSL_GROUPS = {"x25519": "X25519", "secp256r1": "P-256"}


@dataclass(frozen=True)
class Suite:
    """
    One version and cipher suite to measure.

    @ivar key: the C{--suite} name.
    @ivar version: C{"1.2"} or C{"1.3"}.
    @ivar iana: the IANA name: what ours is configured with and reports in
        C{session.cipherSuite}.
    @ivar openssl: OpenSSL's name: what pyOpenSSL is configured with and
        reports from C{get_cipher_name()}.
    """

    key: str
    version: str
    iana: str
    openssl: str

    @property
    def groups(self) -> list[str]:
        """
        The groups both ends offer, L{GROUP} first so that it is picked.
        TLS 1.2 also needs secp256r1: there the peer's supported_groups
        list governs which ECDSA certificates may be used (RFC 8422 5.1),
        and without P-256 in it the server has no usable certificate.
        """
        return [GROUP] if self.version == "1.3" else [GROUP, "secp256r1"]

    @property
    def versionName(self) -> str:
        """
        The version as both implementations report it (C{"TLSv1.3"}).
        """
        return "TLSv" + self.version

    @property
    def label(self) -> str:
        return f"TLS {self.version} {self.openssl}"


TLS12_AES128 = Suite(
    "tls12-aes128-gcm",
    "1.2",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
)
TLS13_AES128 = Suite("tls13-aes128-gcm", "1.3", "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256")
TLS13_CHACHA20 = Suite(
    "tls13-chacha20", "1.3", "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256"
)
TLS12_CHACHA20 = Suite(
    "tls12-chacha20",
    "1.2",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
)
#: For an RSA server certificate (handshakes only).
TLS12_RSA_AES128 = Suite(
    "tls12-rsa-aes128-gcm",
    "1.2",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
)
#: The bulk suites, in table order.
SUITES = {s.key: s for s in (TLS13_AES128, TLS13_CHACHA20, TLS12_AES128, TLS12_CHACHA20)}


def _openSSLVersion(version: str) -> Any:
    from twisted.internet.ssl import TLSVersion

    return {"1.2": TLSVersion.TLSv1_2, "1.3": TLSVersion.TLSv1_3}[version]


def _pinOpenSSLContext(ctx: Any, suite: Suite) -> None:
    """
    Restrict a pyOpenSSL context to C{suite}'s TLS 1.3 suite (Twisted's
    C{AcceptableCiphers} only reaches the TLS 1.2 cipher list) and groups.
    Must run before the context makes its first C{Connection}: pyOpenSSL
    refuses to change a context after that.
    """
    from OpenSSL import SSL

    if suite.version == "1.3":
        if hasattr(SSL.Context, "set_tls13_ciphersuites"):  # pyOpenSSL >= 25.2
            ctx.set_tls13_ciphersuites(suite.openssl.encode("ascii"))
        else:
            # Older pyOpenSSL: the same OpenSSL call through the binding.
            if SSL._lib.SSL_CTX_set_ciphersuites(ctx._context, suite.openssl.encode("ascii")) != 1:
                raise RuntimeError(f"OpenSSL refused TLS 1.3 suite {suite.openssl}")
    # pyOpenSSL has no public call for the group list; SSL_CTX_set1_curves_list
    # is OpenSSL's older name for SSL_CTX_set1_groups_list (same function).
    groups = ":".join(OPENSSL_GROUPS[g] for g in suite.groups).encode("ascii")
    if hasattr(ctx, "set1_groups_list"):
        ctx.set1_groups_list(groups)
    elif SSL._lib.SSL_CTX_set1_curves_list(ctx._context, groups) != 1:
        raise RuntimeError(f"OpenSSL refused group list {groups!r}")


def ourServerOptions(pkiDir: str, suite: Suite, key: str = "ecdsa") -> Any:
    """
    Our server's options, pinned to C{suite}: the two TLS 1.3 tickets
    OpenSSL sends too (see L{serverFactory}), none in TLS 1.2.

    @param key: C{"ecdsa"} (P-256) or C{"rsa"} (2048): the server certificate.
    """
    from twisted_reneg import ServerOptions

    return ServerOptions.fromPEM(
        os.path.join(pkiDir, f"{key}-server.pem"),
        os.path.join(pkiDir, f"{key}-server-key.pem"),
        minVersion=suite.version,
        maxVersion=suite.version,
        cipherSuites=[suite.iana],
        groups=suite.groups,
        sessionTickets=suite.version == "1.3",
    )


def ourClientOptions(
    pkiDir: str, suite: Suite, resume: bool = False, renegotiations: int = 0
) -> Any:
    """
    Our client's options, pinned to C{suite}, verifying C{localhost}
    against the test CA.

    @param resume: resume sessions from the options' session cache;
        otherwise the client still offers resumption (the server sends its
        tickets, as OpenSSL's does) but never resumes.
    @param renegotiations: how many server-started TLS 1.2 renegotiations
        to accept (the default policy allows 3 a minute).
    """
    from cryptography import x509

    from twisted_reneg import ClientOptions, RenegotiationPolicy

    extra: dict[str, Any] = {}
    if renegotiations:
        extra["renegotiation"] = RenegotiationPolicy(
            allowPeerInitiated=True, maxPeerInitiated=renegotiations
        )
    with open(os.path.join(pkiDir, "ca.pem"), "rb") as f:
        caCertificate = x509.load_pem_x509_certificate(f.read())
    options = ClientOptions(
        "localhost",
        trustRoots=[caCertificate],
        minVersion=suite.version,
        maxVersion=suite.version,
        cipherSuites=[suite.iana],
        groups=suite.groups,
        **extra,
    )
    if not resume:
        # A client that keeps sessions, as ClientOptions' default does (so
        # it offers psk_dhe_ke and our server sends its tickets, as
        # OpenSSL's server does to Twisted's client), but with nowhere to
        # keep them: every handshake is a full one.
        options.sessionCache = None
    return options


def serverFactory(
    impl: str,
    pkiDir: str,
    wrapped: Any,
    suite: Suite = TLS12_AES128,
    key: str = "ecdsa",
    resumption: bool = False,
) -> Any:
    """
    A server-side TLS factory wrapping C{wrapped}.

    Both servers send the same flights: with Twisted's defaults (C{OP_NO_TICKET},
    session cache off) OpenSSL still sends two TLS 1.3 NewSessionTickets
    (stateful ones, never resumable as nothing is cached), and pyOpenSSL
    cannot set C{SSL_CTX_set_num_tickets}; so ours issues its two TLS 1.3
    tickets too, and none in TLS 1.2, where OpenSSL sends none.  Neither
    client resumes (see L{clientFactory}), so every handshake is a full one.

    @param impl: C{"ours"} or C{"pyopenssl"}.
    @param pkiDir: where L{makePKI} wrote the test PKI.
    @param suite: the only version and suite the server accepts.
    @param key: C{"ecdsa"} (P-256) or C{"rsa"} (2048): the server certificate.
    @param resumption: let clients resume (pyOpenSSL: its session cache and
        tickets on; ours always can).
    """
    if impl == PLAIN:
        return wrapped
    if impl == "ours":
        from twisted_reneg import TLSFactory

        return TLSFactory(ourServerOptions(pkiDir, suite, key), False, wrapped)
    certPath = os.path.join(pkiDir, f"{key}-server.pem")
    keyPath = os.path.join(pkiDir, f"{key}-server-key.pem")
    from twisted.internet.ssl import AcceptableCiphers, CertificateOptions, PrivateCertificate
    from twisted.protocols.tls import TLSMemoryBIOFactory

    with open(certPath) as c, open(keyPath) as k:
        cert = PrivateCertificate.loadPEM(c.read() + k.read())
    extra: dict[str, Any] = {}
    if suite.version == "1.2":
        extra["acceptableCiphers"] = AcceptableCiphers.fromOpenSSLCipherString(suite.openssl)
    if resumption:
        extra["enableSessions"] = True
        extra["enableSessionTickets"] = True
    contextFactory = CertificateOptions(
        privateKey=cert.privateKey.original,
        certificate=cert.original,
        raiseMinimumTo=_openSSLVersion(suite.version),
        lowerMaximumSecurityTo=_openSSLVersion(suite.version),
        **extra,
    )
    # getContext() builds and caches the one context every connection uses.
    _pinOpenSSLContext(contextFactory.getContext(), suite)
    return TLSMemoryBIOFactory(contextFactory, False, wrapped)


def clientFactory(
    impl: str,
    pkiDir: str,
    wrapped: Any,
    suite: Suite = TLS12_AES128,
    resume: bool = False,
    renegotiations: int = 0,
) -> Any:
    """
    A client-side TLS factory wrapping C{wrapped}, verifying the server as
    C{localhost} against the test CA.  Unless C{resume}, it never resumes a
    session: ours is told not to, Twisted's C{CertificateOptions} does not
    by default.

    @param impl: C{"ours"} or C{"pyopenssl"}.
    @param suite: the only version and suite the client offers.
    @param resume: resume sessions: ours from its session cache; for
        pyOpenSSL the factory gets a C{resumer} whose C{session} (set by the
        caller from a finished connection) every new connection offers.
    @param renegotiations: how many server-started TLS 1.2 renegotiations
        ours accepts (its default policy allows 3 a minute); OpenSSL's
        client has no limit.
    """
    if impl == PLAIN:
        return wrapped
    caPath = os.path.join(pkiDir, "ca.pem")
    if impl == "ours":
        from twisted_reneg import TLSFactory

        options = ourClientOptions(pkiDir, suite, resume, renegotiations)
        return TLSFactory(options, True, wrapped)
    from twisted.internet._sslverify import ClientTLSOptions
    from twisted.internet.ssl import AcceptableCiphers, Certificate, CertificateOptions
    from twisted.protocols.tls import TLSMemoryBIOFactory

    with open(caPath, "rb") as f:
        ca = Certificate.loadPEM(f.read())
    extra: dict[str, Any] = {}
    if suite.version == "1.2":
        extra["acceptableCiphers"] = AcceptableCiphers.fromOpenSSLCipherString(suite.openssl)
    # What optionsForClientTLS() does (SNI and service_identity host name
    # check included), spelt out so that we can reach the context and pin
    # the TLS 1.3 suite and the group before the first connection.
    certificateOptions = CertificateOptions(
        trustRoot=ca,
        raiseMinimumTo=_openSSLVersion(suite.version),
        lowerMaximumSecurityTo=_openSSLVersion(suite.version),
        **extra,
    )
    _pinOpenSSLContext(certificateOptions.getContext(), suite)
    creator = ClientTLSOptions(certificateOptions.clientConnectionForTLS, "localhost")
    if not resume:
        return TLSMemoryBIOFactory(creator, True, wrapped)
    resumer = _Resumer(creator)
    factory = TLSMemoryBIOFactory(resumer, True, wrapped)
    factory.resumer = resumer  # type: ignore[attr-defined]
    return factory


class _Resumer:
    """
    Twisted's client connection creator, offering a saved pyOpenSSL session
    on each new connection (Twisted has no hook for client resumption).
    """

    def __init__(self, creator: Any) -> None:
        from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
        from zope.interface import directlyProvides

        directlyProvides(self, IOpenSSLClientConnectionCreator)
        self.creator = creator
        self.session: Any = None

    def clientConnectionForTLS(self, tlsProtocol: Any) -> Any:
        connection = self.creator.clientConnectionForTLS(tlsProtocol)
        if self.session is not None:
            connection.set_session(self.session)
        return connection


def negotiated(impl: str, transport: Any) -> dict[str, Any]:
    """
    What the handshake on C{transport} (the wrapped protocol's transport)
    agreed, in one shape for both implementations.
    """
    if impl == PLAIN:
        return dict(_PLAIN_INFO)
    if impl == "ours":
        session = transport.session
        return {
            "version": session.version,
            "suite": session.cipherSuite,
            "group": session.group,
            "resumed": session.resumed,
        }
    from OpenSSL import SSL

    connection = transport.getHandle()
    reused = getattr(SSL._lib, "SSL_session_reused", None)
    return {
        "version": connection.get_protocol_version_name(),
        "suite": connection.get_cipher_name(),
        "group": (connection.get_group_name() or "").lower(),
        "resumed": bool(reused(connection._ssl)) if reused is not None else None,
    }


def expected(impl: str, suite: Suite, resumed: bool = False) -> dict[str, Any]:
    """
    What L{negotiated} must report for C{suite}.
    """
    if impl == PLAIN:
        return dict(_PLAIN_INFO)
    return {
        "version": suite.versionName,
        "suite": suite.iana if impl == "ours" else suite.openssl,
        "group": GROUP,
        "resumed": resumed,
    }


def checkNegotiated(
    what: str, impl: str, got: dict[str, Any] | None, suite: Suite, resumed: bool = False
) -> None:
    """
    Stop the benchmark if C{got} is not what C{suite} asks for, so a figure
    never silently measures another version, suite or group.
    """
    want = expected(impl, suite, resumed)
    if got is None:
        raise SystemExit(f"{what} ({impl}): no handshake completed")
    if got.get("resumed") is None:
        # An old pyOpenSSL binding cannot say whether it resumed.
        want = {**want, "resumed": None}
    if got != want:
        raise SystemExit(f"{what} ({impl}): negotiated {got}, expected {want}")


def describe(info: dict[str, Any]) -> str:
    return f"{info['version']} {info['suite']} {info['group']}"


def printTable(
    title: str, rows: list[tuple[str, dict[str, list[float]]]], spread: bool = False
) -> None:
    """
    Print the median per implementation and the ratio ours/pyOpenSSL, one
    line per row (C{-} where an implementation was not run).  Shared with
    C{handshakes.py}.

    @param title: the heading of the first column, naming the unit.
    @param rows: a label and the results per implementation for each row.
    @param spread: also print each median's (min-max) over the runs.
    """
    cell = 22 if spread else 10

    def show(values: list[float]) -> str:
        median = f"{statistics.median(values):.1f}"
        if spread:
            median += f" ({min(values):.1f}-{max(values):.1f})"
        return f"{median:>{cell}}"

    width = max(len(title), *(len(label) for label, _ in rows))
    plain = any(results.get(PLAIN) for _, results in rows)
    head = f"{title:<{width}}  {'ours':>{cell}}  {'pyOpenSSL':>{cell}}  {'ours/pyOpenSSL':>14}"
    print(head + (f"  {'plain TCP':>{cell}}  {'TCP/pyOpenSSL':>13}" if plain else ""))
    for label, results in rows:
        medians = {i: statistics.median(v) for i, v in results.items() if v}
        cells = [show(results[i]) if i in medians else f"{'-':>{cell}}" for i in IMPLS]
        line = f"{label:<{width}}  {cells[0]}  {cells[1]}  {_ratio(medians, 'ours'):>14}"
        if plain:
            tcp = show(results[PLAIN]) if PLAIN in medians else f"{'-':>{cell}}"
            line += f"  {tcp}  {_ratio(medians, PLAIN):>13}"
        print(line)


def _ratio(medians: dict[str, float], impl: str) -> str:
    theirs = medians.get("pyopenssl")
    if impl not in medians or not theirs:
        return "-"
    return f"{medians[impl] / theirs:.2f}x"


def selectSuites(names: list[str] | None) -> list[Suite]:
    if not names or "all" in names:
        return list(SUITES.values())
    return [SUITES[n] for n in dict.fromkeys(names)]


def residentKiB() -> float:
    """
    This process's resident set size in KiB (Linux: C{/proc/self/statm}),
    after a full garbage collection so that only live objects count.
    """
    import gc

    gc.collect()
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024


def runServerAndClient(
    script: str, common: list[str], captureClient: bool = True
) -> tuple[str, subprocess.CompletedProcess[str]]:
    """
    Run C{script} as C{--role server} (which prints C{{"port": N}} first),
    then as C{--role client --port N}, each with the arguments C{common}.

    @param captureClient: keep the client's stdout (otherwise it goes to
        ours).
    @return: the server's stdout, or C{""} if the client failed (the server
        is then stopped rather than waited for), and the client's result.
    """
    server = subprocess.Popen(
        [sys.executable, script, "--role", "server", *common], stdout=subprocess.PIPE, text=True
    )
    serverOut = ""
    try:
        assert server.stdout is not None
        port = json.loads(server.stdout.readline())["port"]
        client = subprocess.run(
            [sys.executable, script, "--role", "client", "--port", str(port), *common],
            stdout=subprocess.PIPE if captureClient else None,
            text=True,
            timeout=600,
        )
        if client.returncode == 0:
            serverOut, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()  # only our own child, if the client failed
            server.wait()
    return serverOut, client
