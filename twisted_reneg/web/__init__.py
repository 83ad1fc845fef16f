# -*- test-case-name: tests.test_web,tests.test_web_client -*-
"""
twisted.web over our TLS.

Servers: L{RequireClientCertificate} asks for a client certificate in the
middle of a connection for part of a site; L{SessionPage} shows a
connection's TLS session.  Clients: L{twisted_reneg.web.client} gives
twisted.web's C{Agent} (and treq) our TLS.
"""

from ._resources import RequireClientCertificate, SessionPage, Verify

__all__ = ["RequireClientCertificate", "SessionPage", "Verify"]
