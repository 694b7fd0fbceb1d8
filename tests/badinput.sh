#!/usr/bin/env bash
# `escapade repro` on bad input: a truncated text scenario, binary garbage, an unknown
# target, an unknown op, a 10 MB file, a missing file and a directory must each give
# exactly one line on stderr naming the file (and line:col where it applies), nothing on
# stdout, exit 2, and no sanitizer report. Usage: badinput.sh ESCAPADE REGRESSION.scn
set -u
esc=$1 good=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# name, file, regex the single stderr line must match
check() {
  local name=$1 file=$2 re=$3
  "$esc" repro "$file" >"$tmp/out" 2>"$tmp/err"
  local rc=$? lines
  lines=$(wc -l <"$tmp/err")
  if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || [ -s "$tmp/out" ] || ! grep -Eq -- "$re" "$tmp/err"; then
    echo "FAIL $name: rc=$rc, $lines stderr lines (want rc=2, 1 line matching /$re/)"
    sed 's/^/  stderr: /' "$tmp/err" | head -5
    sed 's/^/  stdout: /' "$tmp/out" | head -5
    fail=1
  else
    echo "ok   $name: $(cat "$tmp/err")"
  fi
}

# truncated: the good regression cut just before its last closing quote
pos=$(grep -bo '"' "$good" | tail -n 1 | cut -d: -f1)
head -c "$pos" "$good" >"$tmp/truncated.scn"
check truncated "$tmp/truncated.scn" "^$tmp/truncated.scn:[0-9]+:[0-9]+: unterminated string"
# a binary container cut inside its header
printf 'ESC\x01\x08vm2m' >"$tmp/truncated.bin"
check truncated-binary "$tmp/truncated.bin" "^$tmp/truncated.bin: truncated binary container"
# cut inside a quoted string
printf 'target vm2model\n$0 = vm.new nesting=true\n     vm.require $0 "vm' >"$tmp/truncated2.scn"
check truncated-string "$tmp/truncated2.scn" "^$tmp/truncated2.scn:3:20: unterminated string"

head -c 4096 /dev/urandom >"$tmp/garbage.bin"
printf '\x00\x01' >>"$tmp/garbage.bin"
check binary-garbage "$tmp/garbage.bin" "^$tmp/garbage.bin: not a scenario"

printf '# escapade scenario\ntarget nosuchlayer\n' >"$tmp/target.scn"
check unknown-target "$tmp/target.scn" "^$tmp/target.scn:2:8: unknown target 'nosuchlayer'"

printf 'target vm2model\n$0 = vm.new nesting=true\n     vm.frobnicate $0\n' >"$tmp/op.scn"
check unknown-op "$tmp/op.scn" "^$tmp/op.scn:3:6: unknown op 'vm.frobnicate'"

{ echo "target vm2model"; head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' '#'; } >"$tmp/big.scn"
check 10MB "$tmp/big.scn" "^$tmp/big.scn: too large"

check missing "$tmp/nonexistent.scn" "^$tmp/nonexistent.scn: No such file"
mkdir "$tmp/dir.scn"
check directory "$tmp/dir.scn" "^$tmp/dir.scn: is a directory"

exit $fail
