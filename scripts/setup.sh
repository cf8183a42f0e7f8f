#!/usr/bin/env bash
# Installs what Gatehouse needs on a fresh Debian machine that has only the Swift toolchain:
# the C libraries it links (libsodium, libcurl; libqrencode, libsecp256k1 and libxmlsec1 for the two-factor, siwe and sso plugins) and, with --test, the Python clients the
# HTTP test suite drives the server with.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pkg-config libsqlite3-dev libsodium-dev libcurl4-openssl-dev libqrencode-dev libsecp256k1-dev libxmlsec1-dev zlib1g-dev)
[[ "${1:-}" == "--bench" ]] && packages+=(wrk)
# The SSO tests' identity provider (pysaml2) signs with the xmlsec1 program; the test command
# also smoke-runs the benchmark, which drives the server with wrk; the console tests drive Debian's
# chromium (/usr/bin/chromium) headless through Python's playwright (no `playwright install`).
[[ "${1:-}" == "--test" ]] && packages+=(xmlsec1 wrk chromium)

missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
  python3 -m pip --version >/dev/null 2>&1 || python3 -m ensurepip --upgrade >/dev/null
  python3 -m pip install -q --disable-pip-version-check -r Tests/http/requirements.txt 2>&1 | grep -v "^WARNING: Running pip as" || true
fi
