#!/usr/bin/env bash
# Source-based coverage of every target: builds the `coverage` preset (clang 14,
# -fprofile-instr-generate -fcoverage-mapping, standalone replay drivers), replays the
# seed corpus, the regressions (under every profile each names) and, if present, the
# nightly corpus cache through each fuzz_<t>, and writes an HTML report plus one summary
# line per target.   Usage: ci/coverage.sh [--out DIR] [--corpus DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/out/coverage
cache=$root/out/nightly/corpus
usage() { echo "usage: ci/coverage.sh [--out DIR] [--corpus CACHE_DIR]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --corpus) [ $# -ge 2 ] || usage; cache=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "ci/coverage.sh: unknown option $1" >&2; usage ;;
  esac
done
cd "$root"
"$root/ci/setup.sh"
cmake --preset coverage >/dev/null
cmake --build --preset coverage -j "$(nproc)" >/dev/null
bdir=$root/build/coverage
rm -rf "$out.tmp"
mkdir -p "$out.tmp/prof"
objects=()
summary=()
for t in $("$bdir/repro/escapade" list | grep -E '^[a-z0-9_]+$'); do
  bin=$bdir/targets/$t/fuzz_$t
  [ -x "$bin" ] || continue
  objects+=(-object "$bin")
  inputs=()
  for d in "corpora/$t" "$cache/$t"; do [ -d "$d" ] && inputs+=("$d"); done
  export ESCAPADE_CONTINUE=1 # an escape must not abort before the profile is written
  if [ ${#inputs[@]} -gt 0 ]; then
    LLVM_PROFILE_FILE="$out.tmp/prof/$t-seeds-%p.profraw" ESCAPADE_PROFILE=hardened \
      "$bin" "${inputs[@]}" >/dev/null 2>&1 || true
  fi
  for f in corpora/regressions/"$t"/*.scn; do
    [ -e "$f" ] || continue
    for p in $(sed -n 's/^expect[ \t]\+\([^ \t]\+\).*/\1/p' "$f"); do
      LLVM_PROFILE_FILE="$out.tmp/prof/$t-reg-%p.profraw" ESCAPADE_PROFILE=$p \
        "$bin" "$f" >/dev/null 2>&1 || true
    done
  done
  llvm-profdata-14 merge -sparse "$out.tmp"/prof/"$t"-*.profraw -o "$out.tmp/$t.profdata"
  line=$(llvm-cov-14 report "$bin" -instr-profile="$out.tmp/$t.profdata" \
         -ignore-filename-regex='^/usr/' "$root/targets/$t" | awk '/^TOTAL/ {print $4, $7, $10}')
  read -r regions functions lines <<<"$line"
  summary+=("$(printf '%-10s lines %7s  functions %7s  regions %7s  (targets/%s)' "$t" "$lines" "$functions" "$regions" "$t")")
done
llvm-profdata-14 merge -sparse "$out.tmp"/prof/*.profraw -o "$out.tmp/all.profdata"
llvm-cov-14 show "${objects[@]:1}" -instr-profile="$out.tmp/all.profdata" -format=html \
  -ignore-filename-regex='^/usr/' -output-dir="$out.tmp/html" "$root/harness" "$root/targets"
rm -rf "$out.tmp/prof"
printf '%s\n' "${summary[@]}" >"$out.tmp/summary.txt"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "coverage of each target's own code (seeds, regressions under every profile, corpus cache):"
cat "$out/summary.txt"
echo "HTML report: $out/html/index.html"
