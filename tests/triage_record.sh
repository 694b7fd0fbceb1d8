#!/usr/bin/env bash
# `escapade record`: a raw fuzzer artifact of a new escape (nesting-hatch with noise)
# becomes a regression file under the regressions folder, minimized to the hand-minimal 4
# ops, canonical, with an expectation for every profile that `escapade check` confirms;
# recording it again, or recording an escape some regression already reproduces, is
# refused and names that file; --name never overwrites; afterwards triage calls it known.
# Also `repro --bisect` exit codes. Usage: triage_record.sh ESCAPADE SOURCE_DIR
set -u
esc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
ok() { echo "ok   $*"; }

cd "$tmp" || exit 1
mkdir -p regs/vm2model art/vm2model
for f in "$src"/corpora/regressions/vm2model/*.scn; do
  [ "$(basename "$f")" = nesting-hatch.scn ] || cp "$f" regs/vm2model/
done

# an escape's ops with unrelated ops around them, as a raw libFuzzer artifact
artifact() { # NAME REGRESSION-or-"-" (ops on stdin)
  local ops
  if [ "$2" = - ]; then ops=$(cat); else ops=$(sed -n '/^$/,$p' "$2" | grep -v '^$'); fi
  {
    echo "target vm2model"
    echo '$x = vm.new require=object builtin=path'
    echo 'vm.require $x "path"'
    echo "$ops" | head -n 2
    echo 'vm.new nesting=false require=null'
    echo "$ops" | tail -n +3
    echo 'vm.new'
  } >"$1.scn"
  "$esc" encode "$1.scn" -o "$1.raw" --raw || bad "encode $1"
  local sha
  sha=$(sha1sum "$1.raw" | cut -c1-40)
  mv "$1.raw" "art/vm2model/crash-$sha"
  echo "art/vm2model/crash-$sha"
}
hatch=$(artifact hatch "$src/corpora/regressions/vm2model/nesting-hatch.scn")

"$esc" record "$hatch" --target vm2model --profile vm2-3.11.4 --regressions regs >rec.out 2>rec.err
rc=$?
cat rec.out
file=$(sed -n 's/^recorded \([^:]*\): .*/\1/p' rec.out)
if [ "$rc" -ne 0 ] || [ -z "$file" ] || [ ! -f "$file" ]; then
  bad "record exit $rc, file '$file'"; cat rec.err
else
  grep -q "^Reproduce with: escapade repro $file --profile vm2-3.11.4 --trace$" rec.out || bad "no Reproduce with: line"
  grep -q "^Minimize with: escapade minimize $hatch --target vm2model --profile vm2-3.11.4 -o " rec.out || bad "no Minimize with: line"
  case $(basename "$file") in privilege-amplification-[0-9a-f]*.scn) ;; *) bad "file name $file" ;; esac
  nops=$(sed -n '/^$/,$p' "$file" | grep -c '^[$ ]')
  [ "$nops" -le 4 ] || bad "$file has $nops ops, the hand-minimal regression has 4"
  diff <(grep '^expect' "$src/corpora/regressions/vm2model/nesting-hatch.scn" | tr -s ' ') \
       <(grep '^expect' "$file" | tr -s ' ') >/dev/null || bad "expectations differ from nesting-hatch.scn"
  "$esc" check "$file" >/dev/null 2>&1 || bad "escapade check $file"
  "$esc" fmt --check "$file" >/dev/null 2>&1 || bad "$file is not canonical"
  ok "recorded $file ($nops ops; expectations as nesting-hatch.scn; check and fmt --check pass)"
fi
ls -A regs/vm2model | grep -q tmp && bad "temporary file left in regs/vm2model"
sum=$(md5sum "$file" 2>/dev/null)

# the same escape again: refused, naming the file; nothing changes
"$esc" record "$hatch" --target vm2model --profile vm2-3.11.4 --regressions regs >again.out 2>again.err
rc=$?
if [ "$rc" -eq 2 ] && grep -q "already recorded: .* is reproduced by $file" again.err && [ ! -s again.out ]; then
  ok "recorded twice: refused ($(cat again.err))"
else
  bad "second record: exit $rc"; cat again.err again.out
fi
[ "$(md5sum "$file")" = "$sum" ] || bad "$file changed"

# an escape a hand-written regression reproduces: refused, naming it
old=$(artifact old "$src/corpora/regressions/vm2model/GHSA-8hg8-63c5-gwmx.scn")
"$esc" record "$old" --target vm2model --profile vm2-3.11.0 --regressions regs >old.out 2>old.err
rc=$?
if [ "$rc" -eq 2 ] && grep -q "is reproduced by regs/vm2model/GHSA-8hg8-63c5-gwmx.scn" old.err; then
  ok "known escape: refused ($(cat old.err))"
else
  bad "record of a known escape: exit $rc"; cat old.err
fi

# --name: a new escape under a chosen name; an existing name is never overwritten
fsesc=$(printf '%s\n' '$0 = vm.new nesting=true require=object' '$1 = vm.require $0 "vm2"' \
  '$2 = vm.construct $1 NodeVM require=object builtin=fs' 'vm.require $2 "fs"' | artifact fs -)
sum2=$(md5sum regs/vm2model/GHSA-8hr7-r645-pc6w.scn)
"$esc" record "$fsesc" --target vm2model --profile vm2-3.11.7 --regressions regs --name GHSA-8hr7-r645-pc6w >n.out 2>n.err
rc=$?
if [ "$rc" -eq 2 ] && grep -q "GHSA-8hr7-r645-pc6w.scn: exists; refusing to overwrite" n.err; then
  ok "--name of an existing file: refused"
else
  bad "--name existing: exit $rc"; cat n.err
fi
[ "$(md5sum regs/vm2model/GHSA-8hr7-r645-pc6w.scn)" = "$sum2" ] || bad "GHSA-8hr7 changed"
"$esc" record "$fsesc" --target vm2model --profile vm2-3.11.7 --regressions regs --name fs-hatch >n.out 2>n.err \
  && [ -f regs/vm2model/fs-hatch.scn ] && "$esc" check regs/vm2model/fs-hatch.scn >/dev/null 2>&1 \
  && ok "--name fs-hatch: recorded regs/vm2model/fs-hatch.scn" || { bad "--name fs-hatch"; cat n.err; }
ls -A regs/vm2model | grep -q tmp && bad "temporary file left in regs/vm2model"

# now triage calls all three artifacts' escapes known
"$esc" triage art --profile vm2-3.11.4 --regressions regs -o tri >tri.out 2>tri.err
rc=$?
if [ "$rc" -eq 0 ] && grep -q "0 new" tri.out; then
  ok "triage after record: nothing new ($(head -n 1 tri.out))"
else
  bad "triage after record: exit $rc"; cat tri.out tri.err
fi

# repro --bisect: 0 contained, 1 escape, 125 cannot tell
"$esc" repro "$file" --bisect --profile vm2-3.11.4 >/dev/null; r1=$?
"$esc" repro "$file" --bisect --profile hardened >/dev/null; r0=$?
"$esc" repro missing.scn --bisect 2>/dev/null; r125=$?
"$esc" repro "$file" --bisect --profile nosuch 2>/dev/null; rp=$?
"$esc" repro "$file" --bisect --nosuchoption 2>/dev/null; ro=$?
if [ "$r1$r0$r125$rp$ro" = "10125125125" ]; then
  ok "repro --bisect: escape 1, contained 0, missing file / bad profile / bad option 125"
else
  bad "repro --bisect gave $r1 $r0 $r125 $rp $ro"
fi
exit $fail
