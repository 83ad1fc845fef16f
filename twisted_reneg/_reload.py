# -*- test-case-name: tests.test_reload -*-
"""
C{SIGHUP}: every C{reneg:} server endpoint of the process that listens
reads its certificate chain, key (with its password source), trust roots
and ticket keys again, as C{nginx -s reload} does.  New connections use
the new files; live ones keep what they started with.  A reload that fails
(a missing file, a key that does not match, unreadable ticket keys) keeps
the old settings and logs an error naming the file.

The handler is installed by the first C{reneg:} endpoint that listens, from
the main thread, unless the process already handles C{SIGHUP} its own way:
so C{twistd reneg}, C{twistd web --listen reneg:...} and C{python -m
twisted_reneg server} no longer die of it.
"""

from __future__ import annotations

import signal
import threading
import weakref
from typing import Any

from twisted.logger import Logger

from .options import ServerOptions

_log = Logger()

#: The options of every listening endpoint, by the name the log uses.
_reloadable: weakref.WeakKeyDictionary[ServerOptions, str] = weakref.WeakKeyDictionary()
_installed = False


def reloadOnHangup(options: ServerOptions, name: str) -> None:
    """
    Reload C{options} (L{ServerOptions.reload}) on every C{SIGHUP} from now
    on, naming it C{name} in the log; install the handler if needed.
    """
    _reloadable[options] = name
    installHandler()


def installHandler() -> None:
    """
    Handle C{SIGHUP} from now on (reloading what has registered), unless
    the process handles it its own way: early, so that a C{SIGHUP} sent
    while a server starts does not kill it.
    """
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGHUP) not in (signal.SIG_DFL, None):
        # The process handles SIGHUP itself (a --workers parent forwards
        # it): leave it alone.
        return
    signal.signal(signal.SIGHUP, _hangup)
    _installed = True


def _hangup(signum: int, frame: Any) -> None:
    from twisted.internet import reactor

    reactor.callFromThread(reloadAll)  # type: ignore[attr-defined]


def reloadAll() -> None:
    """
    Reload every registered endpoint's options now; each logs how it went.
    """
    for options, name in list(_reloadable.items()):
        try:
            options.reload()
        except Exception as e:
            _log.error(
                "Reload of {name} failed; it keeps its current certificate, key, trust "
                "roots and ticket keys: {error}",
                name=name,
                error=str(e),
            )
            continue
        credential = options.tlsConfig().credential
        subject = credential.chain[0].subject.rfc4514_string() if credential else "none"
        _log.info("Reloaded {name}: certificate {subject}", name=name, subject=subject)
