"""
Registers the C{reneg:} endpoint string parsers and the C{twistd reneg}
service.

Every process that parses an endpoint string or runs C{twistd} imports
every plugin module, so this one imports nothing of ours: the parsers here
load L{twisted_reneg.endpoints} (and with it the TLS engine and
C{cryptography}) only when a C{reneg:} string is parsed, as Twisted's own
plugins keep their imports for when they are used.
"""

from typing import Any

from twisted.application.service import ServiceMaker
from twisted.internet.interfaces import (
    IStreamClientEndpoint,
    IStreamClientEndpointStringParserWithReactor,
    IStreamServerEndpoint,
    IStreamServerEndpointStringParser,
)
from twisted.plugin import IPlugin
from zope.interface import implementer


@implementer(IPlugin, IStreamServerEndpointStringParser)
class _RenegServerParser:
    """
    C{reneg:} server endpoints: L{twisted_reneg.endpoints.RenegServerParser}.
    """

    prefix = "reneg"

    def parseStreamServer(
        self, reactor: Any, *args: object, **kwargs: object
    ) -> IStreamServerEndpoint:
        from twisted_reneg.endpoints import RenegServerParser

        return RenegServerParser().parseStreamServer(reactor, *args, **kwargs)


@implementer(IPlugin, IStreamClientEndpointStringParserWithReactor)
class _RenegClientParser:
    """
    C{reneg:} client endpoints: L{twisted_reneg.endpoints.RenegClientParser}.
    """

    prefix = "reneg"

    def parseStreamClient(
        self, reactor: Any, *args: object, **kwargs: object
    ) -> IStreamClientEndpoint:
        from twisted_reneg.endpoints import RenegClientParser

        return RenegClientParser().parseStreamClient(reactor, *args, **kwargs)


renegServerParser = _RenegServerParser()
renegClientParser = _RenegClientParser()
renegService = ServiceMaker(
    "twisted_reneg TLS service",
    "twisted_reneg.tap",
    "A TLS echo or web server whose connections can renegotiate on demand.",
    "reneg",
)
