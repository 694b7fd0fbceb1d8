#!/usr/bin/env bash
# Replays one scenario through a fuzz binary (libFuzzer or the standalone replay driver)
# under one profile and checks the outcome the regression expects:
#   fuzz_replay.sh FUZZ_BIN FILE PROFILE contained
#   fuzz_replay.sh FUZZ_BIN FILE PROFILE KIND      (e.g. privilege-amplification)
# An escape must make the binary die (abort) after printing "verdict: ESCAPE KIND", and
# where a stack is printed (libFuzzer) it must pass through escape_<kind>(); a contained
# run must exit 0 without a verdict line, and with LeakSanitizer on: a contained run ends
# normally, so anything it leaked is a leak (an escape aborts mid-run and may leave memory
# behind legitimately, so there leak detection is off).
set -u
bin=$1 file=$2 profile=$3 want=$4
if [ "$want" = contained ]; then leaks=1; else leaks=0; fi
out=$(ESCAPADE_PROFILE=$profile ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=$leaks" "$bin" "$file" 2>&1)
rc=$?
if [ "$want" = contained ]; then
  if [ $rc -ne 0 ] || grep -q "verdict: ESCAPE" <<<"$out"; then
    printf '%s\n' "$out" | tail -n 20
    if grep -q "ERROR: LeakSanitizer" <<<"$out"; then
      echo "FAIL: contained under $profile, but it leaked (rc=$rc)"
    else
      echo "FAIL: expected contained under $profile, got rc=$rc"
    fi
    exit 1
  fi
  echo "ok: contained under $profile"
  exit 0
fi
fn="escape_${want//-/_}"
if [ $rc -eq 0 ] || ! grep -q "verdict: ESCAPE $want at step" <<<"$out"; then
  printf '%s\n' "$out" | tail -n 20
  echo "FAIL: expected escape $want under $profile, got rc=$rc"
  exit 1
fi
if grep -qE '^ +#[0-9]+ .* in escape_' <<<"$out" && ! grep -qE "^ +#[0-9]+ .* in $fn " <<<"$out"; then
  printf '%s\n' "$out" | grep -E '^ +#[0-9]+ ' | head -n 12
  echo "FAIL: the stack does not pass through $fn()"
  exit 1
fi
echo "ok: escape $want under $profile (rc=$rc)"
