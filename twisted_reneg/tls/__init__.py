"""
The sans-IO TLS engine: bytes in, events out.

Nothing in this package imports Twisted, zope.interface or sockets; the
Twisted adapter in L{twisted_reneg.transport} drives L{connection.TLSConnection}.
"""
