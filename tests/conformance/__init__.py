"""
Conformance tests: the right answer to every byte a peer can send, over
real sockets on 127.0.0.1 (issue P6).  L{tests.conformance.harness} is the
crafting peer they share; docs/conformance.md lists the rules.
"""
