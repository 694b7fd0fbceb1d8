#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh the way OSS-Fuzz runs it for libFuzzer + ASan (the
# contract's variables set as its base-builder sets them, clang 14 instead of its clang),
# then checks $OUT: every target has fuzz_<t>, fuzz_<t>.options, fuzz_<t>.dict and
# fuzz_<t>_seed_corpus.zip, and each installed target runs over its unpacked seed corpus
# with exit 0 (the hardened profile contains every seed and regression).
# Usage: ossfuzz_build.sh SOURCE_DIR ESCAPADE
set -euo pipefail
srcdir=$1 esc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src" "$tmp/work" "$tmp/out"
ln -s "$srcdir" "$tmp/src/escapade"
export SRC=$tmp/src WORK=$tmp/work OUT=$tmp/out
export CC=clang-14 CXX=clang++-14 FUZZING_ENGINE=libfuzzer SANITIZER=address ARCHITECTURE=x86_64
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS=$CFLAGS LIB_FUZZING_ENGINE=-fsanitize=fuzzer
if ! bash "$srcdir/.clusterfuzzlite/build.sh" >"$tmp/build.log" 2>&1; then
  tail -n 30 "$tmp/build.log"
  echo "FAIL: build.sh failed"
  exit 1
fi
fail=0
targets=$("$esc" list | grep -E '^[a-z0-9_]+$')
for t in $targets; do
  for f in "fuzz_$t" "fuzz_$t.options" "fuzz_$t.dict" "fuzz_${t}_seed_corpus.zip"; do
    [ -e "$OUT/$f" ] || { echo "FAIL: \$OUT/$f missing"; fail=1; }
  done
  [ -x "$OUT/fuzz_$t" ] || continue
  mkdir -p "$tmp/seeds/$t"
  (cd "$tmp/seeds/$t" && cmake -E tar xf "$OUT/fuzz_${t}_seed_corpus.zip")
  n=$(find "$tmp/seeds/$t" -type f | wc -l)
  if (cd "$OUT" && ./"fuzz_$t" -runs=0 "$tmp/seeds/$t" >"$tmp/$t.log" 2>&1); then
    echo "ok   fuzz_$t: $n seeds replayed, exit 0"
  else
    tail -n 20 "$tmp/$t.log"
    echo "FAIL: fuzz_$t on its seed corpus"
    fail=1
  fi
done
for f in fuzz_scn fuzz_triage; do
  if [ -x "$OUT/$f" ]; then echo "ok   $f installed"; else echo "FAIL: $f missing"; fail=1; fi
done
exit $fail
