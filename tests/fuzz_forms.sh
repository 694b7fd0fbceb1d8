#!/usr/bin/env bash
# A fuzz binary runs every form of a scenario file the way escapade's loader reads it: the
# text form, its binary container (`escapade encode`) and the raw bytes a fuzzer keeps
# (`escapade encode --raw`) must each give the same verdict line, and `escapade repro
# --target` on the raw bytes the same verdict as well; so triage replays the scenario the
# fuzz binary ran. Usage: fuzz_forms.sh ESCAPADE FUZZ_BIN FILE PROFILE KIND
set -u
esc=$1 bin=$2 file=$3 profile=$4 kind=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$esc" encode "$file" -o "$tmp/box" || exit 1
"$esc" encode "$file" -o "$tmp/raw" --raw || exit 1
target=$(sed -n 's/^target[ \t]*//p' "$file" | head -n 1)
verdict() { # FILE: the verdict line of the fuzz binary on FILE
	ESCAPADE_PROFILE=$profile ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		"$bin" "$1" 2>&1 | grep -a -m 1 '^verdict: ' | sed 's/ (target .*//'
}
want=$(verdict "$file")
[[ $want == "verdict: ESCAPE $kind at step "* ]] || { echo "FAIL: the text form gives '$want'"; exit 1; }
fail=0
for f in box raw; do
	got=$(verdict "$tmp/$f")
	if [[ $got == "$want" ]]; then echo "ok   $f: $got"; else echo "FAIL $f: '$got', the text gives '$want'"; fail=1; fi
done
got=$("$esc" repro "$tmp/raw" --target "$target" --profile "$profile" 2>&1 | grep -a -m 1 '^verdict: ' | sed 's/ (target .*//')
if [[ $got == "$want" ]]; then echo "ok   escapade repro raw: $got"; else echo "FAIL escapade repro raw: '$got'"; fail=1; fi
exit "$fail"
