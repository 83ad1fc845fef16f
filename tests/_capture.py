"""
Capture the first ClientHello a real TLS client sends, for the
format-pinning tests in test_messages.  Run by hand:

    .venv/bin/python tests/_capture.py

It listens on a free 127.0.0.1 port, runs openssl s_client and gnutls-cli
against it, and writes each ClientHello body (without the 4-byte handshake
header) to tests/data/.
"""

from __future__ import annotations

import os
import socket
import subprocess

HERE = os.path.join(os.path.dirname(__file__), "data")


def capture(argvForPort: list[str], name: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        argv = [a.replace("PORT", str(port)) for a in argvForPort]
        client = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        conn, _ = listener.accept()
        data = b""
        while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
            data += conn.recv(65536)
        conn.close()
        client.kill()
        client.wait()
    body = data[5 : 5 + int.from_bytes(data[3:5], "big")]
    assert body[0] == 1, "not a ClientHello"
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(body[4:])
    print(name, len(body) - 4, "bytes")


if __name__ == "__main__":
    capture(
        "openssl s_client -tls1_2 -connect 127.0.0.1:PORT -servername example.com "
        "-alpn h2,http/1.1".split(),
        "openssl_client_hello.bin",
    )
    capture(
        "gnutls-cli -p PORT 127.0.0.1 --insecure --sni-hostname example.com --alpn h2 "
        "--alpn http/1.1 --priority NORMAL:-VERS-ALL:+VERS-TLS1.2".split(),
        "gnutls_client_hello.bin",
    )
