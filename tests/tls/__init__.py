"""
Tests of the sans-IO engine, L{twisted_reneg.tls}: one module (or a few)
per engine module, in memory, with no Twisted transport.
"""
