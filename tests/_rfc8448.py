"""
The key schedule of RFC 8448 section 3, "Simple 1-RTT Handshake": the
ECDHE shared secret, the secrets, transcript hashes and traffic keys
derived from it, the exporter and resumption master secrets, and the PSK
of the trace's NewSessionTicket.  L{tests.tls.test_rfc8448} reproduces them
from the trace's messages; L{tests.test_exporters} starts its TLS 1.3
known answers from the exporter master secret.

The secrets are as in hotplace's C{test/tls/test_rfc8448_3.cpp}; the
transcript hashes through the CertificateVerify and the client Finished
and the resumption PSK as in Botan's
C{src/tests/test_tls_cipher_state.cpp}.
"""

from __future__ import annotations

H = bytes.fromhex

#: The X25519 private keys of the trace's client and server.
SIMPLE_CLIENT_PRIVATE = H("49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005")
SIMPLE_SERVER_PRIVATE = H("b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e")
SIMPLE_SHARED = H("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d")
SIMPLE_EARLY = H("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a")
SIMPLE_HANDSHAKE = H("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac")
SIMPLE_TH_CH_SH = H("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8")
SIMPLE_C_HS = H("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21")
SIMPLE_S_HS = H("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
SIMPLE_SERVER_HS_KEYS = (H("3fce516009c21727d0f2e4e86ee403bc"), H("5d313eb2671276ee13000b30"))
SIMPLE_CLIENT_HS_KEYS = (H("dbfaa693d1762c5b666af5d950258d01"), H("5bd3c71b836e0b76bb73265f"))
SIMPLE_DERIVED_FOR_MASTER = H("43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4")
SIMPLE_MASTER = H("18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919")
#: Transcript hashes through the EncryptedExtensions, the Certificate, the
#: CertificateVerify, the server Finished and the client Finished.
SIMPLE_TH_CH_EE = H("28477e0227567481e5ee83016a3e447840200586cf01526781898a964a45caf9")
SIMPLE_TH_CH_CERT = H("764d6632b3c35c3f3205e3499ac3edbaabb88295fba751461d3678e2e5ea0687")
SIMPLE_TH_CH_CV = H("edb7725fa7a3473b031ec8ef65a2485493900138a2b91291407d7951a06110ed")
SIMPLE_TH_CH_SF = H("9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13")
SIMPLE_TH_CH_CF = H("209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d")
SIMPLE_C_AP = H("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5")
SIMPLE_S_AP = H("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643")
SIMPLE_SERVER_AP_KEYS = (H("9f02283b6c9c07efc26bb9f2ac92e356"), H("cf782b88dd83549aadf1e984"))
SIMPLE_CLIENT_AP_KEYS = (H("17422dda596ed5d9acd890e3c63f5051"), H("5b78923dee08579033e523d9"))
SIMPLE_EXPORTER = H("fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50")
SIMPLE_RESUMPTION = H("7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c")
#: The PSK of the NewSessionTicket: section 4 resumes with it.
SIMPLE_RESUMPTION_PSK = H("4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3")
