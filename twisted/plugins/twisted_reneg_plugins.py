"""
Registers the C{reneg:} endpoint string parsers and the C{twistd reneg}
service.  Kept to instantiation only, so plugin scans stay cheap.
"""

from twisted.application.service import ServiceMaker

from twisted_reneg.endpoints import RenegClientParser, RenegServerParser

renegServerParser = RenegServerParser()
renegClientParser = RenegClientParser()
renegService = ServiceMaker(
    "twisted_reneg TLS service",
    "twisted_reneg.tap",
    "A TLS echo or web server whose connections can renegotiate on demand.",
    "reneg",
)
