"""
Helpers for trial users of twisted_reneg.

  - L{twisted_reneg.testing.memory.TLSPair}: a client and a server over our
    TLS, in memory, pumped like L{twisted.test.iosim} (both ways, or one
    hop one way, or with one side held back), on a fake clock that is all
    the time they know (certificate validity and ticket lifetimes too).
  - L{twisted_reneg.testing.pki.makePKI} / C{cachedPKI}: a throwaway CA with
    server and client certificates of every key type, and bad ones (expired,
    wrong host, untrusted).
  - L{twisted_reneg.testing.pki.makeCertificate}: one certificate of any
    shape, the odd ones real peers present included.
"""
