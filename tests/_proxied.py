"""
A client that plays a load balancer and its client in one, for servers
that read a PROXY protocol header before TLS.
"""

from __future__ import annotations

from twisted_reneg import ClientOptions, startTLS
from twisted_reneg.testing.pki import cachedPKI

from .interop.peers import Collector


class ProxiedClient(Collector):
    """
    Plays a load balancer and its client in one: a PROXY v1 header in
    plaintext, then TLS (startTLS) and a line.
    """

    def connectionMade(self) -> None:
        self.transport.write(b"PROXY TCP4 192.0.2.7 198.51.100.1 40001 443\r\n")
        startTLS(
            self.transport, ClientOptions("localhost", trustRoots=[cachedPKI().caCertificate])
        )
        super().connectionMade()
