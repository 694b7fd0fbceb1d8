#!/usr/bin/env bash
# One set-up step for every escapade command: installs the Debian packages the project
# needs when they are missing, so a fresh Debian 12 machine needs nothing by hand.
# Idempotent and quiet when everything is there. Needs root (or sudo) only to install.
set -euo pipefail

packages=(
  cmake ninja-build gcc pkg-config       # build
  clang-14 libclang-rt-14-dev            # libFuzzer, ASan/UBSan runtimes for clang
  check libsubunit-dev                   # Check unit tests
  libsodium-dev libmacaroons-dev         # trustgate: Ed25519 and macaroons
  libjansson-dev libgraphviz-dev graphviz # escapade triage: JSON/SARIF reports, chain pictures
  python3                                # command-line tests read report.json
  afl++ gnuplot-nox                      # AFL++ engine and plots for bench/time_to_escape.sh
  duktape-dev                            # dukrealm: Duktape's single-file source, built in
  libseccomp-dev libc6-dev               # procjail: libseccomp; static libc for its child program
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "setup: missing packages (${missing[*]}) and not root; install them or run as root" >&2
    exit 2
  fi
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { "${sudo[@]}" apt-get update -q && \
       "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "setup: apt-get failed installing ${missing[*]}" >&2
  exit 2
fi
echo "setup: done" >&2
