"""
String transports for the adapter's close paths: one that remembers an
abort, and one that can half-close as TCP can.
"""

from __future__ import annotations

from twisted.internet.interfaces import ITCPTransport
from twisted.internet.testing import StringTransport
from zope.interface import implementer


class Recording(StringTransport):
    """
    A StringTransport that remembers an abort.
    """

    aborted = False

    def abortConnection(self) -> None:
        self.aborted = True
        super().abortConnection()


@implementer(ITCPTransport)
class HalfClosing(Recording):
    """
    ... and can half-close, as TCP can.
    """

    writeClosed = False

    def loseWriteConnection(self) -> None:
        self.writeClosed = True
