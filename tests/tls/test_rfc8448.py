# -*- test-case-name: tests.tls.test_rfc8448 -*-
"""
Known answers from three traces of RFC 8448, "Example Handshake Traces for
TLS 1.3", reproduced from their inputs rather than from transcript hashes
(L{tests.tls.test_keyschedule13} starts section 3 from those):

  - section 3, "Simple 1-RTT Handshake": x25519, a server authenticated by
    an RSA certificate, and a NewSessionTicket whose PSK section 4 resumes
    with;
  - section 5, "HelloRetryRequest": the client offers x25519, the server asks
    for secp256r1, and the transcript restarts with a C{message_hash} of the
    first ClientHello (RFC 8446 4.4.1);
  - section 6, "Client Authentication": the server sends a
    CertificateRequest and the client answers with its Certificate,
    CertificateVerify and Finished.

The raw handshake messages of each trace go through L{Transcript}, the
ECDHE shared secret is computed with C{cryptography} from the private keys
printed in the trace, and the key schedule's handshake, master and traffic
secrets and both Finished values must equal the trace's, byte for byte.
The client's last flight is also sealed under the derived handshake keys
and compared with the protected record printed in the trace: for section 5
that record is the only form in which the trace gives the client Finished.
For section 3 the server's flight and the NewSessionTicket are sealed the
same way, the server's CertificateVerify is checked against its
certificate, and the resumption master secret and the ticket's nonce give
the trace's resumption PSK. A few messages go through the parsers of
L{twisted_reneg.tls.messages} too.

The values are the RFC's, as embedded in public test suites: the messages,
private keys and protected records as in Botan's
C{src/tests/data/tls_13_rfc8448/transcripts.vec}, the secrets as in
hotplace's C{test/tls/test_rfc8448_3.cpp}, C{test_rfc8448_5.cpp} and
C{test_rfc8448_6.cpp}; for section 3, the plaintext client Finished and
NewSessionTicket, the transcript hashes through the CertificateVerify and
the client Finished and the resumption PSK as in Botan's
C{src/tests/test_tls_cipher_state.cpp}.
"""

from __future__ import annotations

from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from twisted.trial.unittest import SynchronousTestCase

from twisted_reneg.tls.config import TLSConfig
from twisted_reneg.tls.credentials import verifySignature
from twisted_reneg.tls.errors import PeerError
from twisted_reneg.tls.extensions import (
    ExtensionType,
    decodeCookie,
    decodeKeyShareClient,
    decodeKeyShareServer,
    decodeSupportedVersionsClient,
    decodeSupportedVersionServer,
    decodeUint16List,
)
from twisted_reneg.tls.handshakeio import HandshakeIO
from twisted_reneg.tls.keyschedule import (
    EarlySecret13,
    HandshakeSecret13,
    MasterSecret13,
    Transcript,
    deriveSecret,
    finishedVerifyData13,
    hkdfExtract,
    resumptionPsk13,
    trafficKeys13,
)
from twisted_reneg.tls.messages import (
    Certificate13,
    CertificateRequest13,
    CertificateVerify,
    ClientHello,
    EncryptedExtensions,
    Finished,
    HandshakeType,
    NewSessionTicket13,
    ServerHello,
    frameHandshake,
)
from twisted_reneg.tls.records import ContentType, RecordWriter, tls13Protection
from twisted_reneg.tls.state13 import HRR_RANDOM, SERVER_SIGNATURE_CONTEXT, HandshakeState13
from twisted_reneg.tls.suites import SUITES13_BY_CODE, SignatureScheme

from .._rfc8448 import (
    SIMPLE_C_AP,
    SIMPLE_C_HS,
    SIMPLE_CLIENT_AP_KEYS,
    SIMPLE_CLIENT_HS_KEYS,
    SIMPLE_CLIENT_PRIVATE,
    SIMPLE_DERIVED_FOR_MASTER,
    SIMPLE_EARLY,
    SIMPLE_EXPORTER,
    SIMPLE_HANDSHAKE,
    SIMPLE_MASTER,
    SIMPLE_RESUMPTION,
    SIMPLE_RESUMPTION_PSK,
    SIMPLE_S_AP,
    SIMPLE_S_HS,
    SIMPLE_SERVER_AP_KEYS,
    SIMPLE_SERVER_HS_KEYS,
    SIMPLE_SERVER_PRIVATE,
    SIMPLE_SHARED,
    SIMPLE_TH_CH_CERT,
    SIMPLE_TH_CH_CF,
    SIMPLE_TH_CH_CV,
    SIMPLE_TH_CH_EE,
    SIMPLE_TH_CH_SF,
    SIMPLE_TH_CH_SH,
)

H = bytes.fromhex

#: TLS_AES_128_GCM_SHA256, the suite of both traces.
SUITE = 0x1301
HASH = "sha256"
SECP256R1 = 0x0017
X25519 = 0x001D
TLS13 = 0x0304
#: RFC 8449, which L{ExtensionType} does not name.
RECORD_SIZE_LIMIT = 0x001C

#: SHA-256 of the empty string: the context of both "derived" secrets.
EMPTY_HASH = H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
#: "tls13 derived" from the early secret, the same in every non-PSK trace.
DERIVED_FOR_HANDSHAKE = H("6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba")

# --- section 3, Simple 1-RTT Handshake -----------------------------------------

#: The ephemeral x25519 keys.

SIMPLE_CLIENT_HELLO = H(
    "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef"
    "6283024dece7000006130113031302010000910000000b000900000673657276"
    "6572ff01000100000a00140012001d0017001800190100010101020103010400"
    "230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e"
    "51c13cae4d5413691e529aaf2c002b0003020304000d0020001e040305030603"
    "020308040805080604010501060102010402050206020202002d00020101001c"
    "00024001"
)
SIMPLE_SERVER_HELLO = H(
    "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155"
    "772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdb"
    "f7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304"
)
#: supported_groups, record_size_limit and an empty server_name.
SIMPLE_ENCRYPTED_EXTENSIONS = H(
    "080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000"
)
#: The server's RSA certificate, sent in sections 3 and 5.
RSA_CERTIFICATE = H(
    "0b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a"
    "864886f70d01010b0500300e310c300a06035504031303727361301e170d3136"
    "303733303031323335395a170d3236303733303031323335395a300e310c300a"
    "0603550403130372736130819f300d06092a864886f70d010101050003818d00"
    "30818902818100b4bb498f8279303d980836399b36c6988c0c68de55e1bdb826"
    "d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced4312"
    "0998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda4308467480"
    "30530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a"
    "8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b060355"
    "1d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5"
    "b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a5"
    "8c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102"
    "702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0"
    "a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de10000"
)
#: rsa_pss_rsae_sha256 over the transcript through the Certificate.
SIMPLE_CERTIFICATE_VERIFY = H(
    "0f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145a"
    "b3ff52f1fda8477b0b7abc90db78e2d33a5c141a078653fa6bef780c5ea248ee"
    "aaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671459e46445c"
    "9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea2"
    "0d53dfacd42f74f3"
)
SIMPLE_SERVER_FINISHED = H(
    "140000209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718"
)
SIMPLE_CLIENT_FINISHED = H(
    "14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61"
)
#: EncryptedExtensions through the server Finished, in one record.
SIMPLE_SERVER_FLIGHT_RECORD = H(
    "17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35e"
    "df7869fcf40aa40aa2b8ea73f848a7ca07612ef9f945cb960b4068905123ea78"
    "b111b429ba9191cd05d2a389280f526134aadc7fc78c4b729df828b5ecf7b13b"
    "d9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183ef3ab20e37d57a6b9"
    "d7477609aee6e122a4cf51427325250c7d0e509289444c9b3a648f1d71035d2e"
    "d65b0e3cdd0cbae8bf2d0b227812cbb360987255cc744110c453baa4fcd61092"
    "8d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09ead68694"
    "5ba246ab66e5edd8044b4c6de3fcf2a89441ac66272fd8fb330ef8190579b368"
    "4596c960bd596eea520a56a8d650f563aad27409960dca63d3e688611ea5e22f"
    "4415cf9538d51a200c27034272968a264ed6540c84838d89f72c24461aad6d26"
    "f59ecaba9acbbb317b66d902f4f292a36ac1b639c637ce343117b65962224531"
    "7b49eeda0c6258f100d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e"
    "1b7a6c7178af36879018e3f252107f243d243dc7339d5684c8b0378bf30244da"
    "8c87c843f5e56eb4c5e8280a2b48052cf93b16499a66db7cca71e4599426f7d4"
    "61e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe"
    "5a37668936b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb"
    "992f2b992f67f8afe67f76913fa388cb5630c8ca01e0c65d11c66a1e2ac4c859"
    "77b7c7a6999bbf10dc35ae69f5515614636c0b9b68c19ed2e31c0b3b66763038"
    "ebba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f60f0504de93b5b84"
    "5e275592c12335ee340bbc4fddd502784016e4b3be7ef04dda49f4b440a30cb5"
    "d2af939828fd4ae3794e44f94df5a631ede42c1719bfdabf0253fe5175be898e"
    "750edc53370d2b"
)
SIMPLE_CLIENT_FINISHED_RECORD = H(
    "170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc"
    "44d87f38f80338ac98fc46deb384bd1caeacab6867d726c40546"
)
#: The first record under the server's application traffic keys.
SIMPLE_NEW_SESSION_TICKET_RECORD = H(
    "17030300de3a6b8f90414a97d6959c3487680de5134a2b240e6cffac116e95d4"
    "1d6af8f6b580dcf3d11d63c758db289a015940252f55713e061dc13e078891a3"
    "8efbcf5753ad8ef170ad3c7353d16d9da773b9ca7f2b9fa1b6c0d4a3d03f75e0"
    "9c30ba1e62972ac46f75f7b981be63439b2999ce13064615139891d5e4c5b406"
    "f16e3fc181a77ca475840025db2f0a77f81b5ab05b94c01346755f69232c8651"
    "9d86cbeeac87aac347d143f9605d64f650db4d023e70e952ca49fe5137121c74"
    "bc2697687e248746d6df353005f3bce18696129c8153556b3b6c6779b37bf159"
    "85684f"
)
#: Lifetime 30 s, nonce 0000, and an early_data extension allowing 1024 bytes.
SIMPLE_NEW_SESSION_TICKET = H(
    "040000c90000001efad6aac502000000b22c035d829359ee5ff7af4ec9000000"
    "00262a6494dc486d2c8a34cb33fa90bf1b0070ad3c498883c9367c09a2be785a"
    "bc55cd226097a3a982117283f82a03a143efd3ff5dd36d64e861be7fd61d2827"
    "db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529"
    "513e3da2677fa5906c5b3f7d8f92f228bda40dda721470f9fbf297b5aea61764"
    "6fac5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934a"
    "e4d3570008002a000400000400"
)
SIMPLE_SESSION_TICKET = H(
    "2c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb33fa90bf1b"
    "0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143"
    "efd3ff5dd36d64e861be7fd61d2827db279cce145077d454a3664d4e6da4d29e"
    "e03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228bd"
    "a40dda721470f9fbf297b5aea617646fac5c03272e970727c621a79141ef5f7d"
    "e6505e5bfbc388e93343694093934ae4d357"
)

# --- section 5, HelloRetryRequest ----------------------------------------------

#: The ephemeral P-256 keys (the client's x25519 share goes unused).
HRR_CLIENT_PRIVATE = H("ab5473467e19346ceb0a0414e41da21d4d2445bc3025afe97c4e8dc8d513da39")
HRR_SERVER_PRIVATE = H("8c510601f9765bfb8ed693449a48989859b5cfa879cb9f5443c41c5ff10634ed")

HRR_CLIENT_HELLO_1 = H(
    "010000b00303b0b1c5a5aa37c5919f2ed1d5c6fff7fcb7849716945a2b8cee92"
    "58a346677b6f000006130113031302010000810000000b000900000673657276"
    "6572ff01000100000a00080006001d00170018003300260024001d0020e8e8e3"
    "f3b93a25ed97a14a7dcacb8a272c6288e585c6484d05262fcad062ad1f002b00"
    "03020304000d0020001e04030503060302030804080508060401050106010201"
    "0402050206020202002d00020101001c00024001"
)
HRR_RETRY = H(
    "020000ac0303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e"
    "09e2c8a8339c001301000084003300020017002c0074007271dcd04bb88bc318"
    "9119398a00000000eefafc76c146b823b096f8aacad365dd0030953f4edf6256"
    "36e5f21bb2e23fcc654b1b5b40318d10d137abcbb87574e36e8a1f025f7dfa5d"
    "6e50781b5eda4aa15b0c8be778257d16aa3030e9e7841dd9e4c0342267e8ca0c"
    "af571fb2b7cff0f934b0002b00020304"
)
#: The second ClientHello ends with a padding extension (21) of 175 zeros.
HRR_CLIENT_HELLO_2 = H(
    "010001fc0303b0b1c5a5aa37c5919f2ed1d5c6fff7fcb7849716945a2b8cee92"
    "58a346677b6f000006130113031302010001cd0000000b000900000673657276"
    "6572ff01000100000a00080006001d001700180033004700450017004104a6da"
    "7392ec591e17abfd535964b99894d13befb221b3def2ebe3830eac8f01518126"
    "77c4d6d2237e85cf01d6910cfb83954e76ba7352830534159897e8065780002b"
    "0003020304000d0020001e040305030603020308040805080604010501060102"
    "010402050206020202002c0074007271dcd04bb88bc3189119398a00000000ee"
    "fafc76c146b823b096f8aacad365dd0030953f4edf625636e5f21bb2e23fcc65"
    "4b1b5b40318d10d137abcbb87574e36e8a1f025f7dfa5d6e50781b5eda4aa15b"
    "0c8be778257d16aa3030e9e7841dd9e4c0342267e8ca0caf571fb2b7cff0f934"
    "b0002d00020101001c00024001001500af"
) + bytes(0xAF)
HRR_SERVER_HELLO = H(
    "020000770303bb341d847fd789c47c387172dc0c9bf147fccacb5043d86ca4c5"
    "98d3ff571b9800130100004f003300450017004104583e054b7a66672ae020ad"
    "9d2686fcc85b5ad41a134a0f03ee72b893052bd85b4c8de6776f5b04ac07d835"
    "40eab3e3d9c547bc6528c4317d294686093a6cad7d002b00020304"
)
HRR_ENCRYPTED_EXTENSIONS = H("080000180016000a0008000600170018001d001c0002400100000000")
HRR_CERTIFICATE_VERIFY = H(
    "0f0000840804008033ab13d4462707231b5dcae6c8190b63d1dabc74f28c3953"
    "70da0b07e5b83066d0246a31acd95df475bfd799a4a70d33ad93d3a317a9b2c0"
    "d237a5685b219e774112e391a247607d1aeff1bbd0a39f382ee1a5fe88ae99ec"
    "59228e6497e45d48ce275a6d5ef40d169fb6f9d33b052ed3dcdd6b5a48baafff"
    "bcb290128415bd38"
)
HRR_SERVER_FINISHED = H("140000208863e6bfb0420a927fa27f34336a70ae426e968e3eb884945b96856dba3976d1")
#: The client Finished as sent: the trace prints it only protected.
HRR_CLIENT_FINISHED_RECORD = H(
    "1703030035d74f1923c662fd34137c6f502f3dd2b93d951d1b3bc97e42afe23c"
    "31abea92fe91b474999e85e3b791ce252fe8c3e9f939a4120cb2"
)

HRR_SHARED = H("c142ce13ca11b5c2233652e63ad3d97844f1621fbfb9de69d547dc8fedeabeb4")
HRR_HANDSHAKE = H("ce022e5e6e81e50736d773f2d3adfce8220d049bf510f0dbfac927ef4243b148")
HRR_TH_CH_SH = H("8aa8e828ec2f8a884fec95a3139de01c15a3daa7ff5bfc3f4bfcc21b438d7bf8")
HRR_C_HS = H("158aa7ab8855073582b41d674b4055cabcc534728f659314861b4e08e2011566")
HRR_S_HS = H("3403e781e2af7b6508da28574f6e95a1abf162de83a97927c37672a4a0cef8a1")
HRR_DERIVED_FOR_MASTER = H("ad1cbcd3a0dc7053eeb3ed3a47901d16a9fc63a73c64beb567481a7dfb3a2cb3")
HRR_MASTER = H("1131545d0baf79ddce9b87f06945781a57dd18ef378dcd2060f8f9a569027ed8")
HRR_TH_CH_SF = H("50f63cbf36b0dd049e7a0ba27d6455745ea2aaac54bb167f9950b2b7ce9509da")
HRR_C_AP = H("75ecf4b972525aa0dcd057c9944d4cd5d82671d8843141d7dc2a4ff15a21dc51")
HRR_S_AP = H("5c74f87df04225db0f8209c9de6429e49435fdefa7cad61864874d12f31cfc8d")
HRR_EXPORTER = H("7c06d3ae106a3a374ace4837b3985cac67780a6e2c5c04b58319d584df09d223")
HRR_RESUMPTION = H("09170c6d472721566f9cf99b08699daff561ec8fb22d5a32c3f94ce009b69975")
HRR_SERVER_HS_KEYS = (H("4646bfac1712c426cd78d8a24a8a6f6b"), H("c7d395c08d62f297d13768ea"))
HRR_CLIENT_HS_KEYS = (H("2f1f918663d590e7421149a29d94b0b6"), H("414d5485235e1a688793bd74"))

# --- section 6, Client Authentication -----------------------------------------

CA_CLIENT_PRIVATE = H("c040b2bb8f3addd20fd4058c547003a3c6f9c1cd915d5e535c87d8d191aaf071")
CA_SERVER_PRIVATE = H("7382a5ad1cdd2056ae18cc708bd007d98130dbe2cd4d9ead9b96952becbb0888")

CA_CLIENT_HELLO = H(
    "010000bc03036a472236328b83af40386d3a3e1f1ce624fa4ed89ab865a4ff0f"
    "4144ce3ae2330000061301130313020100008d0000000b000900000673657276"
    "6572ff01000100000a00140012001d0017001800190100010101020103010400"
    "3300260024001d0020089cc2671f738d9a671e5b2e464981d05b76e361aa22ae"
    "a91f1d49ca10a7a362002b0003020304000d0020001e04030503060302030804"
    "0805080604010501060102010402050206020202002d00020101001c00024001"
)
CA_SERVER_HELLO = H(
    "0200005603033b50fdf1c3d572e40e68953e7fff4e2758459c59afa0582c0ea0"
    "32874255fe6e00130100002e00330024001d00206c2e50e865919a6b5a12dfaf"
    "918f92b442567b0f89bc54478c6921366658f062002b00020304"
)
CA_ENCRYPTED_EXTENSIONS = H(
    "080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000"
)
CA_CERTIFICATE_REQUEST = H(
    "0d000027000024000d0020001e040305030603020308040805080604010501060102010402050206020202"
)
#: The server's ECDSA P-256 certificate.
CA_SERVER_CERTIFICATE = H(
    "0b00013b000001370001323082012e3081d5a003020102020107300a06082a86"
    "48ce3d04030230133111300f060355040313086563647361323536301e170d31"
    "36303733303031323430305a170d3236303733303031323430305a3013311130"
    "0f0603550403130865636473613235363059301306072a8648ce3d020106082a"
    "8648ce3d0301070342000408d530161575f4cfe7f154ee3448180086001e8843"
    "1a79ee62ee6e2f83ef38ba61e9fb37f34e007a7df4d2f5b56d1f04ece45d621f"
    "468406f5c3a15158948dd0a31a301830090603551d1304023000300b0603551d"
    "0f040403020780300a06082a8648ce3d0403020348003045022100df30fd4507"
    "f5edd22c1a6ff86db479ca693feeca3b71b3f9ef556b2937c0594d022062e2a4"
    "7250d320fea83c7e2dcb5b76a50e0200c09adbd13fee946e513e011d110000"
)
CA_SERVER_CERTIFICATE_VERIFY = H(
    "0f00004b040300473045022100d7a4d34bd54f55fee1a89625678c3dd5e5f60d"
    "ac73ec940c5c7b9304a02084a90220289f595ed488b9ac689a3d192b1a8bb38f"
    "34af7874c059c9806a1f38269353e8"
)
CA_SERVER_FINISHED = H("1400002093b70cdf4781985b96345caac701b4e750d3042df1a689d8faca812251113c11")
#: The client's RSA certificate.
CA_CLIENT_CERTIFICATE = H(
    "0b0001bf000001bb0001b6308201b23082011ba003020102020101300d06092a"
    "864886f70d01010b05003011310f300d06035504031306636c69656e74301e17"
    "0d3136303733303031323335395a170d3236303733303031323335395a301131"
    "0f300d06035504031306636c69656e7430819f300d06092a864886f70d010101"
    "050003818d0030818902818100c38175e004a68d093f823b9c379d201fbc0bb7"
    "a1c791905e3fbf76847e44e751ebbcd360bd945c81e5222bcc8846d3a8a0f93e"
    "9bf5bebabd92edf1de1ff19021703e7ab6c0901513f97e39b111f09c9348971c"
    "7b211984a754cd45fe095af0ea4236829bccf7a7fe9b2888e78ab477690a5b9e"
    "1ccbe91c6a4a0f97a7e02842010203010001a31a301830090603551d13040230"
    "00300b0603551d0f040403020780300d06092a864886f70d01010b0500038181"
    "001a7a5a018532b022af0767d486160cff2d167a1915d23835b54594916dc680"
    "be5d2e626076c5d52722ebcc775d7d99f980be2fc94d34acf6cc00ba90cbcfb0"
    "608aa1e7e3971ef0c07a41d47ad8345d1f81fe418a1cf41054429fd217bd777d"
    "c1cf08f05df90799c659361e0f1a8ee4ac0f7897420bdbc823da80a2f2ba2308"
    "1c0000"
)
CA_CLIENT_CERTIFICATE_VERIFY = H(
    "0f00008408040080186b2223b503a759c35dba0e9721b4b579138d5f0f5e6ec7"
    "feaaf27f3ad7f386c2c7bd7cb2be52fbf5ed8393f406ee79369692ec7ac69565"
    "1d858219e672a8eb7b2a677b640b46ab630edc5f3f2f8272b9c0d906f81f84dd"
    "c5b8c7bcf955c78a3cf99e5016f73e04eb7dfcb28833f13e8f75ec2ff3581e2f"
    "098ad4157fd6d6ad"
)
CA_CLIENT_FINISHED = H("140000209afe2ba2f63a09d229d8a429e5b37ffd9fcc73bdb5911b82425972aa2892440f")
#: The client's Certificate, CertificateVerify and Finished, in one record.
CA_CLIENT_FLIGHT_RECORD = H(
    "1703030280b46a63934e673841abaf267403bc677f6b6d2a1e2f12bb5f62683b"
    "fe36a82673f06d6287ddd609bcf2f5fd3225923d24af3c76682c180ee571a17c"
    "a4bfbe2f510dc9a0e1fca5cff2cee87d11cb531a6ef90bf5309a6b63bbbc0b88"
    "ea45103a4304091543859fa11ec032ed873444cd5185ead5f6a76420f0f0286a"
    "cef802c8e4788c23275f1b06da600f4a7decd0bc59d7bef10e649ae32690397f"
    "c3d4ed6f30f801d8cd569b71ad4fa05ea7cf2ac2dfa150d220505d4011b34d09"
    "d53853eba61a101e4f8dca47d8171a884b19259a3dd48c5ac141983edc77814d"
    "25e7f66bbbdb9096839266e06561828ecfb27eafd4e9e81a0b96e3bfa42dae5a"
    "d80359b9a6661402c3a2104177030106dbd8f65bb6a0159d512eb13af22a259f"
    "313bd58c2e21fe053d57f2a962b0a4ea682c96f70b79b560136192823b27be6a"
    "2fb7b1c751ccc0e3303615541485b7b307b423332c11efa80b72f9b80a53e53f"
    "7bb38a3af4c59f8008bad0544e5614e688ff57bccd6935f81f447f420c1c1bf4"
    "058818e90bf5dc716ccae42524856df8250bcdbd7af65f82dd53061d024f6d2f"
    "f5c11e3792a9a70e0ee2a3c20a1b968ac391f8f92831135d25242ada2fe241c2"
    "653ec996339dfa12dfae7a3373df88b07ca27aef6dc266a25f13f75c76039c1f"
    "46fd7a53ae6399c999f4b2aee18e480d6d12bfae226bbdc92a6ad50b4d3bac7a"
    "bc3b3651eb5be56f33bf41127b3ca886dc714a50d1490357bd40d9fd6be42209"
    "a4ddb9ebb2987e29f120f05814614d2c79320015b461fe7324447670a1af5f65"
    "caed15b474ab7faa495016adf808e53b94ef54afbb0e0a3a2732ab597f7d5923"
    "c77386aa5124731f8cc73e703b341c175a454939a77ab64313c15cf3fe03c4f3"
    "3842564976"
)

CA_HANDSHAKE = H("d995243674fb6400d7d37bc0e9861bdbd9ed095601dcf2994874f2803de22e39")
CA_C_HS = H("cec7a30c6872070f22a7eeb065768db67c45e29533db879908ce6dc66f5911de")
CA_S_HS = H("8b02d3c00442a2722c4098ebe8675b23e801510f0d7ed778d8eb0b8f42a19a5e")
CA_DERIVED_FOR_MASTER = H("74575526b07c81a9c1b17e6b34e0e6d084747a61f396f597ebb92c0736ec60e8")
CA_MASTER = H("57c15d7b9d441b3d40a9c6ea8a3d730e07b3a1ea7a3339ed7070b9a74a3f4f28")
CA_C_AP = H("73c2e890fa8d067258d6d50fa92fe456b098cf00d9727eed91e8892ef4e6f860")
CA_S_AP = H("c49a91faf57f8c545d5048a015bf849ff63942e4a7edcd319f8b438a97c52e21")
CA_EXPORTER = H("052e39795e5f2be6e4e0974cfdd86c6a7afe3e57e5589810a3cccf642958beb2")
CA_RESUMPTION = H("1006dccbf40eb4eb978bff0392a9e452a4fbad58aa14784d5a241c6b49daccfb")
CA_SERVER_HS_KEYS = (H("6cb6e60619d8c7355c5d4c4bc2be90d5"), H("64f239530c3b888fde85e0be"))
CA_CLIENT_HS_KEYS = (H("916948f728d9823fa41a004d083f217f"), H("64153d79bac9ea10ca5a0a88"))


def body(message: bytes) -> bytes:
    """
    @return: a handshake message without its type and length, after
        checking that the length is right.
    """
    assert int.from_bytes(message[1:4], "big") == len(message) - 4, message[:4].hex()
    return message[4:]


def transcriptOf(*messages: bytes) -> Transcript:
    transcript = Transcript()
    transcript.chooseHash(HASH)
    for message in messages:
        transcript.update(message)
    return transcript


def retryTranscript(firstHello: bytes) -> Transcript:
    """
    RFC 8446 4.4.1, built here from its parts: after a HelloRetryRequest the
    transcript starts again with a synthetic C{message_hash} message whose
    body is the hash of the first ClientHello.
    """
    first = transcriptOf(firstHello)
    return transcriptOf(frameHandshake(HandshakeType.message_hash, first.digest()))


def p256Private(secret: bytes) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256R1())


def p256Point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def x25519Public(secret: bytes) -> bytes:
    key = x25519.X25519PrivateKey.from_private_bytes(secret)
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sealHandshake(keys: tuple[bytes, bytes], messages: bytes) -> bytes:
    """
    @return: C{messages} as the first handshake record protected under
        C{keys} (an AES-128-GCM key and IV), sequence number 0.
    """
    writer = RecordWriter()
    writer.changeProtection(tls13Protection("AES-128-GCM", *keys))
    (record,) = writer.writeRecords(ContentType.handshake, messages)
    return record


class SimpleOneRTTTests(SynchronousTestCase):
    """
    RFC 8448 section 3.
    """

    #: EncryptedExtensions through the server's CertificateVerify.
    SERVER_FLIGHT: tuple[bytes, ...] = (
        SIMPLE_ENCRYPTED_EXTENSIONS,
        RSA_CERTIFICATE,
        SIMPLE_CERTIFICATE_VERIFY,
    )

    def sharedSecret(self) -> bytes:
        client = x25519.X25519PrivateKey.from_private_bytes(SIMPLE_CLIENT_PRIVATE)
        server = x25519.X25519PrivateKey.from_private_bytes(SIMPLE_SERVER_PRIVATE)
        return client.exchange(server.public_key())

    def test_sharedSecretFromPrivateKeys(self) -> None:
        """
        x25519 with the trace's private keys gives the trace's IKM for the
        handshake secret, from either side.
        """
        client = x25519.X25519PrivateKey.from_private_bytes(SIMPLE_CLIENT_PRIVATE)
        server = x25519.X25519PrivateKey.from_private_bytes(SIMPLE_SERVER_PRIVATE)
        self.assertEqual(client.exchange(server.public_key()), SIMPLE_SHARED)
        self.assertEqual(server.exchange(client.public_key()), SIMPLE_SHARED)

    def test_clientHelloParses(self) -> None:
        """
        The ClientHello offers the three AES-GCM and ChaCha20 suites, TLS 1.3
        only, an empty session_ticket extension and one x25519 share, the
        public key of the trace's private key; it re-serialises to the same
        bytes.
        """
        hello = ClientHello.parse(body(SIMPLE_CLIENT_HELLO))
        self.assertEqual(hello.legacyVersion, 0x0303)
        self.assertEqual(hello.sessionId, b"")
        self.assertEqual(hello.cipherSuites, (0x1301, 0x1303, 0x1302))
        self.assertEqual(hello.compressionMethods, b"\x00")
        self.assertEqual(hello.extensions.get(ExtensionType.session_ticket), b"")
        versions = hello.extensions.get(ExtensionType.supported_versions)
        assert versions is not None
        self.assertEqual(decodeSupportedVersionsClient(versions), (TLS13,))
        shares = hello.extensions.get(ExtensionType.key_share)
        assert shares is not None
        self.assertEqual(
            decodeKeyShareClient(shares), ((X25519, x25519Public(SIMPLE_CLIENT_PRIVATE)),)
        )
        self.assertEqual(hello.toBytes(), SIMPLE_CLIENT_HELLO)

    def test_serverHelloParses(self) -> None:
        """
        The ServerHello picks TLS_AES_128_GCM_SHA256 and TLS 1.3 and carries
        the public key of the server's private key; it re-serialises to the
        same bytes.
        """
        hello = ServerHello.parse(body(SIMPLE_SERVER_HELLO))
        self.assertNotEqual(hello.random, HRR_RANDOM)
        self.assertEqual(hello.sessionId, b"")
        self.assertEqual(hello.cipherSuite, SUITE)
        self.assertEqual(hello.compressionMethod, 0)
        self.assertEqual(
            hello.extensions.types(), (ExtensionType.key_share, ExtensionType.supported_versions)
        )
        share = hello.extensions.get(ExtensionType.key_share)
        assert share is not None
        self.assertEqual(
            decodeKeyShareServer(share), (X25519, x25519Public(SIMPLE_SERVER_PRIVATE))
        )
        supportedVersion = hello.extensions.get(ExtensionType.supported_versions)
        assert supportedVersion is not None
        self.assertEqual(decodeSupportedVersionServer(supportedVersion), TLS13)
        self.assertEqual(hello.toBytes(), SIMPLE_SERVER_HELLO)

    def test_serverFlightParses(self) -> None:
        """
        The EncryptedExtensions, the Certificate with one certificate and an
        empty context, the CertificateVerify and the Finished re-serialise to
        the same bytes.
        """
        extensions = EncryptedExtensions.parse(body(SIMPLE_ENCRYPTED_EXTENSIONS))
        self.assertEqual(
            extensions.extensions.types(),
            (ExtensionType.supported_groups, RECORD_SIZE_LIMIT, ExtensionType.server_name),
        )
        self.assertEqual(extensions.extensions.get(ExtensionType.server_name), b"")
        self.assertEqual(extensions.toBytes(), SIMPLE_ENCRYPTED_EXTENSIONS)
        certificate = Certificate13.parse(body(RSA_CERTIFICATE))
        self.assertEqual(certificate.context, b"")
        self.assertEqual(len(certificate.certificates), 1)
        self.assertEqual(certificate.toBytes(), RSA_CERTIFICATE)
        verify = CertificateVerify.parse(body(SIMPLE_CERTIFICATE_VERIFY))
        self.assertEqual(verify.signatureScheme, SignatureScheme.rsa_pss_rsae_sha256)
        self.assertEqual(verify.toBytes(), SIMPLE_CERTIFICATE_VERIFY)
        for raw in (SIMPLE_SERVER_FINISHED, SIMPLE_CLIENT_FINISHED):
            self.assertEqual(Finished.parse(body(raw)).toBytes(), raw)

    def test_certificateVerify(self) -> None:
        """
        The server's signature is over the transcript hash through its
        Certificate (RFC 8446 4.4.3) and verifies under the certificate's
        key; over any other hash it does not.
        """
        transcript = transcriptOf(
            SIMPLE_CLIENT_HELLO, SIMPLE_SERVER_HELLO, SIMPLE_ENCRYPTED_EXTENSIONS, RSA_CERTIFICATE
        )
        self.assertEqual(transcript.digest(), SIMPLE_TH_CH_CERT)
        (der,) = Certificate13.parse(body(RSA_CERTIFICATE)).certificates
        certificate = x509.load_der_x509_certificate(der)
        verify = CertificateVerify.parse(body(SIMPLE_CERTIFICATE_VERIFY))
        verifySignature(
            certificate,
            verify.signatureScheme,
            verify.signature,
            SERVER_SIGNATURE_CONTEXT + transcript.digest(),
            True,
        )
        with self.assertRaises(PeerError):
            verifySignature(
                certificate,
                verify.signatureScheme,
                verify.signature,
                SERVER_SIGNATURE_CONTEXT + SIMPLE_TH_CH_SH,
                True,
            )

    def test_keySchedule(self) -> None:
        """
        From the shared secret and the transcript: the early and handshake
        secrets, both handshake traffic secrets and their keys, the master
        secret, both application traffic secrets and their keys, and the
        exporter master secret.
        """
        early = EarlySecret13(HASH)
        earlySecret = early._secret  # noqa: SLF001
        self.assertEqual(earlySecret, SIMPLE_EARLY)
        self.assertEqual(
            deriveSecret(HASH, earlySecret, b"derived", EMPTY_HASH), DERIVED_FOR_HANDSHAKE
        )
        handshake = early.intoHandshake(self.sharedSecret())
        self.assertIsInstance(handshake, HandshakeSecret13)
        self.assertEqual(handshake._secret, SIMPLE_HANDSHAKE)  # noqa: SLF001
        transcript = transcriptOf(SIMPLE_CLIENT_HELLO, SIMPLE_SERVER_HELLO)
        self.assertEqual(transcript.digest(), SIMPLE_TH_CH_SH)
        secrets = handshake.trafficSecrets(transcript.digest())
        self.assertEqual((secrets.client, secrets.server), (SIMPLE_C_HS, SIMPLE_S_HS))
        self.assertEqual(trafficKeys13(HASH, SIMPLE_S_HS, 16), SIMPLE_SERVER_HS_KEYS)
        self.assertEqual(trafficKeys13(HASH, SIMPLE_C_HS, 16), SIMPLE_CLIENT_HS_KEYS)
        self.assertEqual(
            deriveSecret(HASH, SIMPLE_HANDSHAKE, b"derived", EMPTY_HASH),
            SIMPLE_DERIVED_FOR_MASTER,
        )
        master = handshake.intoMaster()
        self.assertIsInstance(master, MasterSecret13)
        self.assertEqual(master._secret, SIMPLE_MASTER)  # noqa: SLF001
        hashes = (SIMPLE_TH_CH_EE, SIMPLE_TH_CH_CERT, SIMPLE_TH_CH_CV, SIMPLE_TH_CH_SF)
        messages = (*self.SERVER_FLIGHT, SIMPLE_SERVER_FINISHED)
        for message, expected in zip(messages, hashes, strict=True):
            transcript.update(message)
            self.assertEqual(transcript.digest(), expected)
        application = master.trafficSecrets(transcript.digest())
        self.assertEqual((application.client, application.server), (SIMPLE_C_AP, SIMPLE_S_AP))
        self.assertEqual(trafficKeys13(HASH, SIMPLE_S_AP, 16), SIMPLE_SERVER_AP_KEYS)
        self.assertEqual(trafficKeys13(HASH, SIMPLE_C_AP, 16), SIMPLE_CLIENT_AP_KEYS)
        self.assertEqual(
            deriveSecret(HASH, SIMPLE_MASTER, b"exp master", transcript.digest()),
            SIMPLE_EXPORTER,
        )

    def test_finished(self) -> None:
        """
        The server Finished covers ClientHello through the server's
        CertificateVerify, and the server's whole flight sealed under its
        handshake keys is the trace's record; the client Finished covers
        everything through the server Finished, and sealed under the client
        handshake keys it is the trace's record; the resumption master
        secret covers the client Finished too.
        """
        handshake = EarlySecret13(HASH).intoHandshake(self.sharedSecret())
        transcript = transcriptOf(SIMPLE_CLIENT_HELLO, SIMPLE_SERVER_HELLO)
        secrets = handshake.trafficSecrets(transcript.digest())
        for message in self.SERVER_FLIGHT:
            transcript.update(message)
        serverFinished = Finished.parse(body(SIMPLE_SERVER_FINISHED))
        self.assertEqual(
            finishedVerifyData13(HASH, secrets.server, transcript.digest()),
            serverFinished.verifyData,
        )
        flight = b"".join(self.SERVER_FLIGHT) + SIMPLE_SERVER_FINISHED
        keys = trafficKeys13(HASH, secrets.server, 16)
        self.assertEqual(sealHandshake(keys, flight), SIMPLE_SERVER_FLIGHT_RECORD)
        transcript.update(SIMPLE_SERVER_FINISHED)
        clientFinished = Finished.parse(body(SIMPLE_CLIENT_FINISHED))
        self.assertEqual(
            finishedVerifyData13(HASH, secrets.client, transcript.digest()),
            clientFinished.verifyData,
        )
        keys = trafficKeys13(HASH, secrets.client, 16)
        self.assertEqual(
            sealHandshake(keys, SIMPLE_CLIENT_FINISHED), SIMPLE_CLIENT_FINISHED_RECORD
        )
        transcript.update(SIMPLE_CLIENT_FINISHED)
        self.assertEqual(transcript.digest(), SIMPLE_TH_CH_CF)
        master = handshake.intoMaster()
        self.assertEqual(master.resumptionMasterSecret(transcript.digest()), SIMPLE_RESUMPTION)

    def test_newSessionTicket(self) -> None:
        """
        The NewSessionTicket, sealed under the server's application traffic
        keys, is the trace's record; it parses to the trace's lifetime, age
        add, nonce, ticket and early_data limit and re-serialises to the same
        bytes; its nonce and the resumption master secret give the PSK that
        section 4 resumes with (RFC 8446 4.6.1).
        """
        handshake = EarlySecret13(HASH).intoHandshake(self.sharedSecret())
        transcript = transcriptOf(
            SIMPLE_CLIENT_HELLO,
            SIMPLE_SERVER_HELLO,
            *self.SERVER_FLIGHT,
            SIMPLE_SERVER_FINISHED,
        )
        master = handshake.intoMaster()
        application = master.trafficSecrets(transcript.digest())
        keys = trafficKeys13(HASH, application.server, 16)
        self.assertEqual(
            sealHandshake(keys, SIMPLE_NEW_SESSION_TICKET), SIMPLE_NEW_SESSION_TICKET_RECORD
        )
        ticket = NewSessionTicket13.parse(body(SIMPLE_NEW_SESSION_TICKET))
        self.assertEqual(ticket.lifetime, 30)
        self.assertEqual(ticket.ageAdd, 0xFAD6AAC5)
        self.assertEqual(ticket.nonce, b"\x00\x00")
        self.assertEqual(ticket.ticket, SIMPLE_SESSION_TICKET)
        self.assertEqual(ticket.extensions.types(), (ExtensionType.early_data,))
        self.assertEqual(ticket.extensions.get(ExtensionType.early_data), H("00000400"))
        self.assertEqual(ticket.toBytes(), SIMPLE_NEW_SESSION_TICKET)
        transcript.update(SIMPLE_CLIENT_FINISHED)
        resumption = master.resumptionMasterSecret(transcript.digest())
        self.assertEqual(resumption, SIMPLE_RESUMPTION)
        self.assertEqual(resumptionPsk13(HASH, resumption, ticket.nonce), SIMPLE_RESUMPTION_PSK)
        self.assertNotEqual(resumptionPsk13(HASH, resumption, b"\x00\x01"), SIMPLE_RESUMPTION_PSK)


class HelloRetryRequestTests(SynchronousTestCase):
    """
    RFC 8448 section 5.
    """

    def hrrTranscript(self) -> Transcript:
        """
        @return: the transcript through the second ServerHello.
        """
        transcript = retryTranscript(HRR_CLIENT_HELLO_1)
        for message in (HRR_RETRY, HRR_CLIENT_HELLO_2, HRR_SERVER_HELLO):
            transcript.update(message)
        return transcript

    def sharedSecret(self) -> bytes:
        client = p256Private(HRR_CLIENT_PRIVATE)
        return client.exchange(ec.ECDH(), p256Private(HRR_SERVER_PRIVATE).public_key())

    def test_sharedSecretFromP256Keys(self) -> None:
        """
        ECDH over secp256r1 with the trace's private keys gives the trace's
        IKM for the handshake secret, from either side.
        """
        client = p256Private(HRR_CLIENT_PRIVATE)
        server = p256Private(HRR_SERVER_PRIVATE)
        self.assertEqual(client.exchange(ec.ECDH(), server.public_key()), HRR_SHARED)
        self.assertEqual(server.exchange(ec.ECDH(), client.public_key()), HRR_SHARED)

    def test_retryParses(self) -> None:
        """
        The HelloRetryRequest is a ServerHello with the special random that
        names secp256r1 and carries a cookie; it re-serialises to the same
        bytes.
        """
        retry = ServerHello.parse(body(HRR_RETRY))
        self.assertEqual(retry.random, HRR_RANDOM)
        self.assertEqual(retry.cipherSuite, SUITE)
        self.assertEqual(
            retry.extensions.types(),
            (ExtensionType.key_share, ExtensionType.cookie, ExtensionType.supported_versions),
        )
        self.assertEqual(
            retry.extensions.get(ExtensionType.key_share), SECP256R1.to_bytes(2, "big")
        )
        supportedVersion = retry.extensions.get(ExtensionType.supported_versions)
        assert supportedVersion is not None
        self.assertEqual(decodeSupportedVersionServer(supportedVersion), TLS13)
        self.assertEqual(retry.toBytes(), HRR_RETRY)

    def test_secondClientHelloParses(self) -> None:
        """
        The second ClientHello keeps the first one's random, echoes the
        cookie and offers one P-256 share, the public key of the trace's
        private key; it re-serialises to the same bytes.
        """
        first = ClientHello.parse(body(HRR_CLIENT_HELLO_1))
        second = ClientHello.parse(body(HRR_CLIENT_HELLO_2))
        retry = ServerHello.parse(body(HRR_RETRY))
        self.assertEqual(second.random, first.random)
        cookie = second.extensions.get(ExtensionType.cookie)
        assert cookie is not None
        self.assertEqual(cookie, retry.extensions.get(ExtensionType.cookie))
        self.assertEqual(len(decodeCookie(cookie)), 0x72)
        shares = second.extensions.get(ExtensionType.key_share)
        assert shares is not None
        point = p256Point(p256Private(HRR_CLIENT_PRIVATE))
        self.assertEqual(decodeKeyShareClient(shares), ((SECP256R1, point),))
        self.assertEqual(second.toBytes(), HRR_CLIENT_HELLO_2)
        self.assertEqual(first.toBytes(), HRR_CLIENT_HELLO_1)

    def test_serverHelloParses(self) -> None:
        """
        The second ServerHello is not a retry and carries the server's P-256
        share.
        """
        hello = ServerHello.parse(body(HRR_SERVER_HELLO))
        self.assertNotEqual(hello.random, HRR_RANDOM)
        share = hello.extensions.get(ExtensionType.key_share)
        assert share is not None
        point = p256Point(p256Private(HRR_SERVER_PRIVATE))
        self.assertEqual(decodeKeyShareServer(share), (SECP256R1, point))
        self.assertEqual(hello.toBytes(), HRR_SERVER_HELLO)

    def test_transcriptRestart(self) -> None:
        """
        The C{message_hash} restart, built here from L{Transcript} and
        L{frameHandshake}, is what L{HandshakeState13.restartTranscriptForRetry}
        does, and with the rest of the hellos it gives the hash the trace
        derives the handshake traffic secrets from.
        """
        restarted = retryTranscript(HRR_CLIENT_HELLO_1)
        hs = HandshakeState13(TLSConfig(isClient=True), cast(HandshakeIO, None))
        hs.suite = SUITES13_BY_CODE[SUITE]
        hs.restartTranscriptForRetry(HRR_CLIENT_HELLO_1)
        self.assertEqual(hs.transcript.digest(), restarted.digest())
        self.assertNotEqual(restarted.digest(), transcriptOf(HRR_CLIENT_HELLO_1).digest())
        self.assertEqual(self.hrrTranscript().digest(), HRR_TH_CH_SH)
        # Without the restart the hash is another one.
        plain = transcriptOf(HRR_CLIENT_HELLO_1, HRR_RETRY, HRR_CLIENT_HELLO_2, HRR_SERVER_HELLO)
        self.assertNotEqual(plain.digest(), HRR_TH_CH_SH)

    def test_keySchedule(self) -> None:
        """
        From the shared secret and the transcript: the handshake secret,
        both handshake traffic secrets and their keys, the master secret
        and both application traffic secrets.
        """
        early = EarlySecret13(HASH)
        earlySecret = early._secret  # noqa: SLF001
        self.assertEqual(
            deriveSecret(HASH, earlySecret, b"derived", EMPTY_HASH), DERIVED_FOR_HANDSHAKE
        )
        handshake = early.intoHandshake(self.sharedSecret())
        self.assertIsInstance(handshake, HandshakeSecret13)
        self.assertEqual(handshake._secret, HRR_HANDSHAKE)  # noqa: SLF001
        self.assertEqual(
            handshake._secret,  # noqa: SLF001
            hkdfExtract(HASH, DERIVED_FOR_HANDSHAKE, HRR_SHARED),
        )
        transcript = self.hrrTranscript()
        secrets = handshake.trafficSecrets(transcript.digest())
        self.assertEqual((secrets.client, secrets.server), (HRR_C_HS, HRR_S_HS))
        self.assertEqual(trafficKeys13(HASH, HRR_S_HS, 16), HRR_SERVER_HS_KEYS)
        self.assertEqual(trafficKeys13(HASH, HRR_C_HS, 16), HRR_CLIENT_HS_KEYS)
        self.assertEqual(
            deriveSecret(HASH, HRR_HANDSHAKE, b"derived", EMPTY_HASH), HRR_DERIVED_FOR_MASTER
        )
        master = handshake.intoMaster()
        self.assertIsInstance(master, MasterSecret13)
        self.assertEqual(master._secret, HRR_MASTER)  # noqa: SLF001
        for message in (
            HRR_ENCRYPTED_EXTENSIONS,
            RSA_CERTIFICATE,
            HRR_CERTIFICATE_VERIFY,
            HRR_SERVER_FINISHED,
        ):
            transcript.update(message)
        self.assertEqual(transcript.digest(), HRR_TH_CH_SF)
        application = master.trafficSecrets(transcript.digest())
        self.assertEqual((application.client, application.server), (HRR_C_AP, HRR_S_AP))
        self.assertEqual(
            deriveSecret(HASH, HRR_MASTER, b"exp master", transcript.digest()), HRR_EXPORTER
        )

    def test_finished(self) -> None:
        """
        The server Finished covers the transcript through the server's
        CertificateVerify; the client Finished, through the server Finished,
        sealed under the client handshake keys is the trace's record; the
        resumption master secret covers the client Finished too.
        """
        handshake = EarlySecret13(HASH).intoHandshake(self.sharedSecret())
        transcript = self.hrrTranscript()
        secrets = handshake.trafficSecrets(transcript.digest())
        for message in (HRR_ENCRYPTED_EXTENSIONS, RSA_CERTIFICATE, HRR_CERTIFICATE_VERIFY):
            transcript.update(message)
        serverFinished = Finished.parse(body(HRR_SERVER_FINISHED))
        self.assertEqual(
            finishedVerifyData13(HASH, secrets.server, transcript.digest()),
            serverFinished.verifyData,
        )
        self.assertEqual(serverFinished.toBytes(), HRR_SERVER_FINISHED)
        transcript.update(HRR_SERVER_FINISHED)
        clientFinished = Finished(
            finishedVerifyData13(HASH, secrets.client, transcript.digest())
        ).toBytes()
        keys = trafficKeys13(HASH, secrets.client, 16)
        self.assertEqual(sealHandshake(keys, clientFinished), HRR_CLIENT_FINISHED_RECORD)
        transcript.update(clientFinished)
        master = handshake.intoMaster()
        self.assertEqual(master.resumptionMasterSecret(transcript.digest()), HRR_RESUMPTION)


class ClientAuthenticationTests(SynchronousTestCase):
    """
    RFC 8448 section 6.
    """

    #: EncryptedExtensions through the server's CertificateVerify.
    SERVER_FLIGHT: tuple[bytes, ...] = (
        CA_ENCRYPTED_EXTENSIONS,
        CA_CERTIFICATE_REQUEST,
        CA_SERVER_CERTIFICATE,
        CA_SERVER_CERTIFICATE_VERIFY,
    )

    def sharedSecret(self) -> bytes:
        client = x25519.X25519PrivateKey.from_private_bytes(CA_CLIENT_PRIVATE)
        server = x25519.X25519PrivateKey.from_private_bytes(CA_SERVER_PRIVATE)
        return client.exchange(server.public_key())

    def test_keySharesFromPrivateKeys(self) -> None:
        """
        The x25519 shares in the hellos are the public keys of the trace's
        private keys, and both sides agree on the shared secret.
        """
        hello = ClientHello.parse(body(CA_CLIENT_HELLO))
        shares = hello.extensions.get(ExtensionType.key_share)
        assert shares is not None
        self.assertEqual(
            decodeKeyShareClient(shares), ((X25519, x25519Public(CA_CLIENT_PRIVATE)),)
        )
        self.assertEqual(hello.toBytes(), CA_CLIENT_HELLO)
        serverHello = ServerHello.parse(body(CA_SERVER_HELLO))
        share = serverHello.extensions.get(ExtensionType.key_share)
        assert share is not None
        self.assertEqual(decodeKeyShareServer(share), (X25519, x25519Public(CA_SERVER_PRIVATE)))
        server = x25519.X25519PrivateKey.from_private_bytes(CA_SERVER_PRIVATE)
        client = x25519.X25519PublicKey.from_public_bytes(x25519Public(CA_CLIENT_PRIVATE))
        self.assertEqual(server.exchange(client), self.sharedSecret())

    def test_certificateRequestParses(self) -> None:
        """
        The CertificateRequest has an empty context and one extension,
        signature_algorithms, with the fifteen schemes of the trace; it
        re-serialises to the same bytes.
        """
        request = CertificateRequest13.parse(body(CA_CERTIFICATE_REQUEST))
        self.assertEqual(request.context, b"")
        self.assertEqual(request.extensions.types(), (ExtensionType.signature_algorithms,))
        schemes = request.extensions.get(ExtensionType.signature_algorithms)
        assert schemes is not None
        self.assertEqual(
            decodeUint16List(schemes),
            (
                0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806,
                0x0401, 0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202,
            ),
        )  # fmt: skip
        self.assertEqual(request.toBytes(), CA_CERTIFICATE_REQUEST)

    def test_certificatesParse(self) -> None:
        """
        Both Certificate messages hold one certificate and an empty context,
        and re-serialise to the same bytes.
        """
        for raw in (CA_SERVER_CERTIFICATE, CA_CLIENT_CERTIFICATE):
            certificate = Certificate13.parse(body(raw))
            self.assertEqual(certificate.context, b"")
            self.assertEqual(len(certificate.certificates), 1)
            self.assertEqual(certificate.toBytes(), raw)

    def test_keySchedule(self) -> None:
        """
        From the shared secret and the transcript: the handshake secret,
        both handshake traffic secrets and their keys, the master secret
        and both application traffic secrets, which cover the server's
        flight with its CertificateRequest.
        """
        handshake = EarlySecret13(HASH).intoHandshake(self.sharedSecret())
        self.assertEqual(handshake._secret, CA_HANDSHAKE)  # noqa: SLF001
        transcript = transcriptOf(CA_CLIENT_HELLO, CA_SERVER_HELLO)
        secrets = handshake.trafficSecrets(transcript.digest())
        self.assertEqual((secrets.client, secrets.server), (CA_C_HS, CA_S_HS))
        self.assertEqual(trafficKeys13(HASH, CA_S_HS, 16), CA_SERVER_HS_KEYS)
        self.assertEqual(trafficKeys13(HASH, CA_C_HS, 16), CA_CLIENT_HS_KEYS)
        self.assertEqual(
            deriveSecret(HASH, CA_HANDSHAKE, b"derived", EMPTY_HASH), CA_DERIVED_FOR_MASTER
        )
        master = handshake.intoMaster()
        self.assertEqual(master._secret, CA_MASTER)  # noqa: SLF001
        for message in (*self.SERVER_FLIGHT, CA_SERVER_FINISHED):
            transcript.update(message)
        application = master.trafficSecrets(transcript.digest())
        self.assertEqual((application.client, application.server), (CA_C_AP, CA_S_AP))
        self.assertEqual(
            deriveSecret(HASH, CA_MASTER, b"exp master", transcript.digest()), CA_EXPORTER
        )

    def test_finished(self) -> None:
        """
        The server Finished covers ClientHello through the server's
        CertificateVerify; the client Finished covers everything through the
        client's CertificateVerify (RFC 8446 4.4); the client's three
        messages sealed under its handshake keys are the trace's record; the
        resumption master secret covers the client Finished too.
        """
        handshake = EarlySecret13(HASH).intoHandshake(self.sharedSecret())
        transcript = transcriptOf(CA_CLIENT_HELLO, CA_SERVER_HELLO)
        secrets = handshake.trafficSecrets(transcript.digest())
        for message in self.SERVER_FLIGHT:
            transcript.update(message)
        serverFinished = Finished.parse(body(CA_SERVER_FINISHED))
        self.assertEqual(
            finishedVerifyData13(HASH, secrets.server, transcript.digest()),
            serverFinished.verifyData,
        )
        transcript.update(CA_SERVER_FINISHED)
        for message in (CA_CLIENT_CERTIFICATE, CA_CLIENT_CERTIFICATE_VERIFY):
            transcript.update(message)
        clientFinished = Finished.parse(body(CA_CLIENT_FINISHED))
        self.assertEqual(
            finishedVerifyData13(HASH, secrets.client, transcript.digest()),
            clientFinished.verifyData,
        )
        self.assertEqual(clientFinished.toBytes(), CA_CLIENT_FINISHED)
        flight = CA_CLIENT_CERTIFICATE + CA_CLIENT_CERTIFICATE_VERIFY + CA_CLIENT_FINISHED
        keys = trafficKeys13(HASH, secrets.client, 16)
        self.assertEqual(sealHandshake(keys, flight), CA_CLIENT_FLIGHT_RECORD)
        transcript.update(CA_CLIENT_FINISHED)
        master = handshake.intoMaster()
        self.assertEqual(master.resumptionMasterSecret(transcript.digest()), CA_RESUMPTION)
