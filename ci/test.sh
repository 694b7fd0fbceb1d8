#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: set-up, then the default preset (gcc,
# ASan+UBSan, Check unit tests, standalone replay drivers) and the libfuzzer preset
# (clang 14, libFuzzer), each built and run under ctest. Exit 0 only if both pass.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/ci/setup.sh"

jobs=$(nproc 2>/dev/null || echo 2)
for preset in default libfuzzer; do
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: ctest" >&2
  ctest --preset "$preset" -j "$jobs"
done
echo "== all tests passed (default and libfuzzer presets)" >&2
