# -*- test-case-name: tests.test_logging -*-
"""
Quiet by default: what happens to one connection (handshakes,
renegotiations, key updates, post-handshake auth, alerts, failed and
abandoned handshakes, closes) is logged only with C{logTLSEvents}, at info
level; an application callback that raises and configuration mistakes are
logged whatever it says.  In memory, on iosim with a fake clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg import (
    ClientOptions,
    RenegotiationPolicy,
    RenegotiationRefused,
    RenegotiationTimeout,
    ServerOptions,
    TLSFactory,
)
from twisted_reneg.testing.pki import cachedPKI

from ._connected import Connected, Listener, clientOptions, serverOptions

#: A scenario: given the extra keywords of both sides' options, run a
#: connection through something and return the pair.
Scenario = Callable[[dict[str, Any]], Connected]


def captureEvents(case: SynchronousTestCase) -> list[dict[str, Any]]:
    """
    The log events of twisted_reneg emitted from now until C{case} ends.
    """
    events: list[dict[str, Any]] = []

    def observe(event: dict[str, Any]) -> None:
        if event.get("log_namespace", "").startswith("twisted_reneg"):
            events.append(event)

    globalLogPublisher.addObserver(observe)
    case.addCleanup(globalLogPublisher.removeObserver, observe)
    return events


def atLeast(level: LogLevel, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["log_level"] >= level]


def withClientCertificate(**kw: Any) -> ClientOptions:
    pki = cachedPKI()
    return clientOptions(
        clientCertificate=((pki.ecdsaClient.certificate,), pki.ecdsaClient.privateKey), **kw
    )


def handshake(kw: dict[str, Any]) -> Connected:
    c = Connected(serverOptions(**kw), clientOptions(**kw))
    c.flush()
    return c


def handshake12(kw: dict[str, Any]) -> Connected:
    c = Connected(serverOptions(maxVersion="1.2", **kw), clientOptions(**kw))
    c.flush()
    return c


def cleanClose(kw: dict[str, Any]) -> Connected:
    c = handshake(kw)
    c.client.loseConnection()
    c.flush()
    return c


def renegotiation12(kw: dict[str, Any]) -> Connected:
    """
    The server renegotiates, then the client (which the server allows).
    """
    c = Connected(
        serverOptions(
            maxVersion="1.2", renegotiation=RenegotiationPolicy(allowPeerInitiated=True), **kw
        ),
        clientOptions(**kw),
        Listener(),
        Listener(),
    )
    c.flush()
    ours = c.server.rehandshake()
    c.flush()
    theirs = c.client.rehandshake()
    c.flush()
    for d in (ours, theirs):
        d.addErrback(lambda f: f)  # only the log is under test here
    return c


def refusedRenegotiation(kw: dict[str, Any]) -> Connected:
    """
    A server's own policy refuses the client's renegotiation (a warning
    no_renegotiation alert): routine, not worth a line by default.
    """
    c = Connected(
        serverOptions(maxVersion="1.2", **kw), clientOptions(**kw), Listener(), Listener()
    )
    c.flush()
    d = c.client.rehandshake()
    c.flush()
    d.addErrback(lambda f: f.trap(RenegotiationRefused))
    return c


def ignoredRenegotiation(kw: dict[str, Any]) -> Connected:
    """
    The client never answers the HelloRequest: the server's request times
    out and the connection goes on.
    """
    c = handshake12(kw)
    c.client.dataReceived = lambda data: None  # type: ignore[method-assign]
    d = c.server.rehandshake(timeout=3)
    c.flush()
    c.clock.advance(4)
    d.addErrback(lambda f: f.trap(RenegotiationTimeout))
    return c


def keyUpdate(kw: dict[str, Any]) -> Connected:
    """
    TLS 1.3 KeyUpdate(update_requested) from the server, then from the
    client.
    """
    c = Connected(serverOptions(**kw), clientOptions(**kw), Listener(), Listener())
    c.flush()
    c.server.rehandshake()
    c.flush()
    c.client.rehandshake()
    c.flush()
    return c


def postHandshakeAuth(kw: dict[str, Any]) -> Connected:
    c = Connected(
        serverOptions(trustRoots=[cachedPKI().caCertificate], **kw),
        withClientCertificate(**kw),
        Listener(),
        Listener(),
    )
    c.flush()
    c.server.requestClientCertificate()
    c.flush()
    return c


def untrustedCertificate(kw: dict[str, Any]) -> Connected:
    """
    The client refuses the server's certificate: a failed handshake.
    """
    pki = cachedPKI()
    server = ServerOptions.fromPEM(pki.wrongHostServer.certPath, pki.wrongHostServer.keyPath, **kw)
    c = Connected(server, clientOptions(**kw))
    c.flush()
    return c


def handshakeTimeout(kw: dict[str, Any]) -> Connected:
    """
    The server gives up on a stalled handshake: a warning user_canceled
    and close_notify, which the client hears as a peer that closed
    during the handshake.
    """
    c = Connected(serverOptions(handshakeTimeout=5, **kw), clientOptions(**kw))
    c.clock.advance(6)
    c.flush()
    return c


def scannerLeaves(kw: dict[str, Any]) -> Connected:
    """
    A client sends its ClientHello and drops TCP before the server's
    answer: what a port scanner does.
    """
    c = Connected(serverOptions(**kw), clientOptions(**kw))
    c.clientTransport.loseConnection()
    c.flush()
    return c


def closeNotifyUnanswered(kw: dict[str, Any]) -> Connected:
    c = handshake(kw)
    c.server.dataReceived = lambda data: None  # type: ignore[method-assign]
    c.client.loseConnection()
    c.flush()
    c.clock.advance(c.client.factory.closeTimeout + 1)
    c.flush()
    return c


def lingeringClose(kw: dict[str, Any]) -> Connected:
    """
    Garbage gets a fatal alert; the peer never closes, so the lingering
    close ends on its timer.
    """
    c = Connected(serverOptions(**kw), clientOptions(**kw))
    c.server.dataReceived(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    c.clock.advance(c.server.factory.lingerTimeout + 1)
    return c


class QuietByDefaultTests(SynchronousTestCase):
    """
    Each scenario logs nothing at all from the transport without
    C{logTLSEvents}, and its lines at info level with it.
    """

    def check(self, scenario: Scenario, expected: list[str]) -> None:
        """
        Run C{scenario} quiet, then with C{logTLSEvents=True}: every
        line of C{expected} starts one of the lines logged then.
        """
        events = captureEvents(self)
        scenario({})
        self.assertEqual(
            [formatEvent(e) for e in atLeast(LogLevel.info, events)], [], "logged by default"
        )
        # Not even at debug level: twistd's observer prints that too.
        self.assertEqual([formatEvent(e) for e in events], [])
        scenario({"logTLSEvents": True})
        logged = [formatEvent(e) for e in events if e["log_level"] == LogLevel.info]
        for line in expected:
            self.assertTrue(
                any(text.startswith(line) for text in logged),
                f"{line!r} not among {logged!r}",
            )
        # One logger per connection: every line names its connection.
        self.assertTrue(all(e.get("log_source") is not None for e in events))

    def test_handshake(self) -> None:
        self.check(handshake, ["TLS handshake completed: TLSv1.3, TLS_AES_128_GCM_SHA256, "])
        # One line each side: the client verified the server's certificate,
        # the server asked for none.
        lines = sorted(self.linesOf(handshake))
        self.assertEqual(len(lines), 2, lines)
        self.assertTrue(lines[0].endswith("peer certificate absent"), lines)
        self.assertTrue(lines[1].endswith("peer certificate present"), lines)
        for line in lines:
            self.assertIn(", server name localhost, ALPN none, resumed no, ", line)

    def linesOf(self, scenario: Scenario) -> list[str]:
        events = captureEvents(self)
        scenario({"logTLSEvents": True})
        return [formatEvent(e) for e in events]

    def test_handshake12(self) -> None:
        self.check(handshake12, ["TLS handshake completed: TLSv1.2, TLS_ECDHE_ECDSA_"])

    def test_cleanClose(self) -> None:
        self.check(cleanClose, ["TLS connection closed cleanly (close_notify both ways)"])
        self.assertEqual(
            self.linesOf(cleanClose).count(
                "TLS connection closed cleanly (close_notify both ways)"
            ),
            2,
        )

    def test_renegotiationBothWays(self) -> None:
        self.check(
            renegotiation12,
            [
                "TLS renegotiation requested",
                "TLS renegotiation started by the peer",
                "TLS renegotiation 1 completed: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, x25519, "
                "peer certificate",
                "TLS renegotiation 2 completed",
            ],
        )

    def test_refusedRenegotiation(self) -> None:
        self.check(
            refusedRenegotiation,
            [
                "TLS renegotiation requested",
                "TLS renegotiation refused by us: renegotiation by the peer is disabled",
                "TLS renegotiation refused by the peer: peer sent no_renegotiation",
            ],
        )

    def test_ignoredRenegotiation(self) -> None:
        self.check(ignoredRenegotiation, ["TLS renegotiation timed out; the connection goes on"])

    def test_keyUpdateBothWays(self) -> None:
        self.check(
            keyUpdate,
            [
                "TLS key update requested (KeyUpdate update_requested sent)",
                "TLS key update 1 (requested by the peer)",
                "TLS key update 1 (the peer's)",
                "TLS key update 2 (requested by the peer)",
                "TLS key update 2 (the peer's)",
            ],
        )

    def test_postHandshakeAuth(self) -> None:
        self.check(
            postHandshakeAuth,
            [
                "TLS client certificate requested",
                "TLS post-handshake authentication: the server asked for our certificate",
                "TLS post-handshake client authentication: peer certificate present",
            ],
        )

    def test_failedHandshake(self) -> None:
        self.check(
            untrustedCertificate,
            [
                "TLS connection failed: TLS alert bad_certificate sent: server certificate",
                "TLS connection failed: TLS alert bad_certificate received",
            ],
        )
        # Its end is that line: no second one when TCP goes.
        self.assertEqual(
            [line for line in self.linesOf(untrustedCertificate) if "closed" in line], []
        )

    def test_warningAlertAndPeerClosingMidHandshake(self) -> None:
        self.check(
            handshakeTimeout,
            [
                "TLS handshake not completed within 5.0 seconds; closing",
                "TLS warning alert received: user_canceled",
                "TLS connection closed during the handshake: ",
            ],
        )

    def test_scannerLeaves(self) -> None:
        self.check(scannerLeaves, ["TLS connection closed during the handshake: "])
        self.assertIn("without TLS close_notify", " ".join(self.linesOf(scannerLeaves)))

    def test_closeNotifyUnanswered(self) -> None:
        self.check(
            closeNotifyUnanswered,
            [
                "TLS peer did not answer close_notify; dropping the connection",
                "TLS connection closed: ",
            ],
        )

    def test_lingeringClose(self) -> None:
        self.check(
            lingeringClose,
            [
                "TLS connection failed: TLS alert unexpected_message sent",
                "TLS lingering close ended (time is up, 0 bytes discarded)",
            ],
        )


class NoSecretsTests(SynchronousTestCase):
    def test_noKeyingMaterial(self) -> None:
        """
        The lines of a whole connection hold no keying material: neither
        an exporter's output nor a channel binding.
        """
        events = captureEvents(self)
        c = renegotiation12({"logTLSEvents": True})
        secrets = [
            c.server.exportKeyingMaterial(b"EXPERIMENTAL test", 32).hex(),
            c.server.channelBinding("tls-unique").hex(),
        ]
        c.client.loseConnection()
        c.flush()
        text = " ".join(formatEvent(e) + repr(e) for e in events).lower()
        self.assertTrue(events)
        for secret in secrets:
            self.assertNotIn(secret, text)


class SwitchTests(SynchronousTestCase):
    def test_options(self) -> None:
        """
        Off unless asked for, on both sides, and kept by C{forHost}.
        """
        self.assertFalse(serverOptions().logTLSEvents)
        self.assertFalse(clientOptions().logTLSEvents)
        self.assertTrue(serverOptions(logTLSEvents=True).logTLSEvents)
        client = clientOptions(logTLSEvents=True)
        self.assertTrue(client.logTLSEvents)
        self.assertTrue(client.forHost("example.com").logTLSEvents)

    def test_liveConnections(self) -> None:
        """
        The option is read at each event: turning it on reaches a
        connection that is up already.
        """
        events = captureEvents(self)
        c = Connected(serverOptions(maxVersion="1.2"), clientOptions(), Listener(), Listener())
        c.flush()
        c.server.factory.options.logTLSEvents = True
        c.server.rehandshake()
        c.flush()
        self.assertEqual(
            [formatEvent(e) for e in events][:1],
            ["TLS renegotiation requested"],
        )
        self.assertTrue(all(e["log_source"] is c.server for e in events))


class LoudRegardlessTests(SynchronousTestCase):
    """
    What an operator must see is logged without C{logTLSEvents}.
    """

    def test_raisingCallback(self) -> None:
        """
        An application whose C{renegotiationRequested} raises: the
        renegotiation is refused and the failure is logged, at error level
        or above.
        """

        class Raising(Listener):
            def renegotiationRequested(self) -> Any:
                raise ZeroDivisionError("application bug")

        events = captureEvents(self)
        c = Connected(serverOptions(maxVersion="1.2"), clientOptions(), Listener(), Raising())
        c.flush()
        d = c.server.rehandshake()
        c.flush()
        self.failureResultOf(d, RenegotiationRefused)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)
        loud = atLeast(LogLevel.error, events)
        self.assertEqual(len(loud), 1, events)
        self.assertIn("renegotiationRequested raised", formatEvent(loud[0]))
        self.assertEqual(atLeast(LogLevel.info, events), loud)

    def test_verificationDisabled(self) -> None:
        events = captureEvents(self)
        ClientOptions("example.com", insecurelySkipVerification=True)
        warnings = atLeast(LogLevel.warn, events)
        self.assertEqual(len(warnings), 1)
        self.assertIn("verification is DISABLED", formatEvent(warnings[0]))


class FactoryTests(SynchronousTestCase):
    def test_noStartingFactoryLines(self) -> None:
        """
        A client endpoint makes a L{TLSFactory} per connection: starting
        and stopping it logs nothing (as Twisted's C{TLSMemoryBIOFactory}).
        """
        events = captureEvents(self)
        factory = TLSFactory(clientOptions(), True, Factory.forProtocol(Protocol), Clock())
        factory.doStart()
        factory.doStop()
        self.assertEqual([formatEvent(e) for e in events], [])
