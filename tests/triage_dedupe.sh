#!/usr/bin/env bash
# The triage "must show": a folder of 20 crash artifacts of 3 distinct escapes (the
# hand-minimal regressions GHSA-8hg8-63c5-gwmx, GHSA-8hr7-r645-pc6w and nesting-hatch,
# each buried in unrelated ops at different places, as libFuzzer raw crash-<sha1> files
# under a folder named after the target, AFL++ crashes/id:* binary containers, and text
# scenarios) triages under vm2-3.11.0 into exactly 3 findings: GHSA-8hg8 and GHSA-8hr7
# known (their regressions are in the regressions folder), nesting-hatch new; every
# minimized scenario is no longer than the hand-minimal regression (4 ops), its
# expectations hold (escapade check), and the report's files are all there.
# Deterministic: the artifacts are built with `escapade encode`, not by fuzzing.
# Usage: triage_dedupe.sh ESCAPADE SOURCE_DIR
set -u
esc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
die() { echo "FAIL $*"; exit 1; }

regs=$src/corpora/regressions/vm2model
escapes=("$regs/GHSA-8hg8-63c5-gwmx.scn" "$regs/GHSA-8hr7-r645-pc6w.scn" "$regs/nesting-hatch.scn")
for f in "${escapes[@]}"; do [ -f "$f" ] || die "missing $f"; done

# Regressions known to this triage: every vm2model regression except nesting-hatch.
mkdir -p "$tmp/regs/vm2model"
for f in "$regs"/*.scn; do
  [ "$(basename "$f")" = nesting-hatch.scn ] || cp "$f" "$tmp/regs/vm2model/"
done

# Unrelated ops, each within the grants (no verdict of their own): %s is a unique tag.
noise=(
  '$a%s = vm.new require=object builtin=fs|$b%s = vm.require $a%s "fs"|fs.write $b%s "/tmp/escapade-canary"'
  'vm.new'
  '$c%s = vm.new require=object builtin=path|vm.require $c%s "path"'
  '$d%s = vm.new require=object builtin=path|vm.require $d%s "child_process"'
  '$e%s = vm.new nesting=true require=object builtin=fs|vm.require $e%s "vm2"'
  'vm.new nesting=false require=null'
)

# variant K of escape E: its 4 ops with 1..4 noise chunks at positions that depend on K
make_variant() {
  local e=$1 k=$2 out=$3 ops=() chunks=$((1 + k % 4)) j pos line
  mapfile -t ops < <(sed -n '/^$/,$p' "${escapes[$e]}" | grep -v '^$')
  local -a slots=("" "" "" "" "")
  for ((j = 0; j < chunks; j++)); do
    pos=$(((k * 7 + j * 3) % 5))
    line=${noise[$(((k + j * 5) % ${#noise[@]}))]}
    line=${line//%s/k${k}j${j}}
    slots[$pos]+="${line}|"
  done
  {
    echo "target vm2model"
    for ((j = 0; j < 5; j++)); do
      [ -n "${slots[$j]}" ] && tr '|' '\n' <<<"${slots[$j]%|}"
      [ "$j" -lt 4 ] && echo "${ops[$j]}"
    done
  } >"$out"
}

night=$tmp/night
mkdir -p "$night/libfuzzer/vm2model" "$night/afl/default/crashes" "$night/afl/default/queue" "$night/scn"
echo "Command line used to find this crash: ..." >"$night/afl/default/crashes/README.txt"
for ((k = 0; k < 20; k++)); do
  e=$((k % 3))
  make_variant "$e" "$k" "$tmp/v$k.scn"
  if [ "$k" -lt 12 ]; then
    "$esc" encode "$tmp/v$k.scn" -o "$tmp/raw" --raw || die "encode --raw v$k"
    sha=$(sha1sum "$tmp/raw" | cut -c1-40)
    mv "$tmp/raw" "$night/libfuzzer/vm2model/crash-$sha"
  elif [ "$k" -lt 17 ]; then
    "$esc" encode "$tmp/v$k.scn" -o "$night/afl/default/crashes/id:0000$k,sig:06,src:000001,time:$k,execs:$((k * 1000)),op:havoc,rep:4" \
      || die "encode v$k"
  else
    cp "$tmp/v$k.scn" "$night/scn/variant-$k.scn"
  fi
done
# a queue entry is not a crash: the walk must not take it
cp "$tmp/v0.scn" "$night/afl/default/queue/id:000000,orig:seed"
n=$(find "$night" -type f \( -name 'crash-*' -o -name 'id:*' -o -name '*.scn' \) -not -path '*/queue/*' | wc -l)
[ "$n" -eq 20 ] || die "built $n artifacts, want 20"
echo "built 20 artifacts (12 raw libFuzzer, 5 AFL++ containers, 3 text) of 3 escapes"

# signatures of the three hand-minimal regressions under vm2-3.11.0
sigs=()
for f in "${escapes[@]}"; do
  s=$("$esc" repro "$f" --profile vm2-3.11.0 | sed -n 's/^  signature: //p')
  [ -n "$s" ] || die "no signature for $f"
  sigs+=("$s")
done

cd "$tmp" || die "cd"
"$esc" triage night --profile vm2-3.11.0 --regressions regs -o out >triage.out 2>triage.err
rc=$?
cat triage.out
[ "$rc" -eq 1 ] || { cat triage.err; die "triage exit $rc, want 1 (one new finding)"; }
grep -q Sanitizer triage.err && { cat triage.err; die "sanitizer report from triage"; }

python3 - "$tmp/out" "${sigs[@]}" <<'EOF' || fail=1
import json, os, re, sys
out, sigs = sys.argv[1], sys.argv[2:]
r = json.load(open(os.path.join(out, "report.json")))
bad = []
def check(cond, msg):
    if not cond:
        bad.append(msg)
check(r["inputs"]["read"] == 20, "read %d inputs, want 20" % r["inputs"]["read"])
check(r["inputs"]["skipped"] == 0 and r["inputs"]["not_reproduced"] == 0, "inputs skipped or not reproduced")
e = r["entries"]
check(len(e) == 3, "%d entries, want 3" % len(e))
by = {x["signature"]: x for x in e}
want = {sigs[0]: ("known", "GHSA-8hg8-63c5-gwmx.scn", 7),
        sigs[1]: ("known", "GHSA-8hr7-r645-pc6w.scn", 7),
        sigs[2]: ("new", None, 6)}
for sig, (status, known, ninputs) in want.items():
    x = by.get(sig)
    if not x:
        bad.append("no entry for " + sig)
        continue
    check(x["status"] == status, "%s: status %s, want %s" % (sig, x["status"], status))
    check((x["known_as"] and os.path.basename(x["known_as"])) == known,
          "%s: known_as %s, want %s" % (sig, x["known_as"], known))
    check(len(x["inputs"]) == ninputs, "%s: %d inputs, want %d" % (sig, len(x["inputs"]), ninputs))
    check(x["ops"] <= 4, "%s: minimized to %d ops, the hand-minimal regression has 4" % (sig, x["ops"]))
    check(not x["flaky"] and x["reproduced"] == x["replays"], sig + ": flaky")
    for f in [x["scenario"], x["picture"]["dot"], x["picture"]["svg"], x["picture"]["png"]]:
        check(os.path.getsize(os.path.join(out, f)) > 0, "missing " + f)
    ops = [l for l in open(os.path.join(out, x["scenario"])) if re.match(r"^(\$\d+ = |\s+)\S", l)]
    check(len(ops) == x["ops"], "%s: %d op lines in %s" % (sig, len(ops), x["scenario"]))
check([x["status"] for x in e] == ["new", "known", "known"], "rank: new before known")
s = json.load(open(os.path.join(out, "report.sarif")))
check(s["version"] == "2.1.0" and len(s["runs"][0]["results"]) == 3, "sarif results")
for res in s["runs"][0]["results"]:
    fp = res["partialFingerprints"]["escapadeSignature/v1"]
    loc = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    if by[fp]["status"] == "known":
        check(loc.endswith(os.path.basename(by[fp]["known_as"])), "sarif location of " + fp)
    else:
        check(loc.endswith(by[fp]["scenario"]), "sarif location of " + fp)
for m in bad:
    print("FAIL " + m)
print("report.json: %d entries: %s" % (len(e), ", ".join("%s %s (%d inputs, %d -> %d ops)" % (
    x["status"], x["signature"], len(x["inputs"]), x["ops_before"], x["ops"]) for x in e)))
sys.exit(1 if bad else 0)
EOF

# every minimized scenario is a valid regression: its expectations hold
for f in out/*.scn; do
  "$esc" check "$f" >check.out 2>&1 || { cat check.out; echo "FAIL escapade check $f"; fail=1; }
done
# the new one has the same expectations as the hand-minimal nesting-hatch
new=$(python3 -c 'import json;print([x["scenario"] for x in json.load(open("out/report.json"))["entries"] if x["status"]=="new"][0])')
if ! diff <(grep '^expect' "${escapes[2]}" | tr -s ' ') <(grep '^expect' "out/$new" | tr -s ' ') >/dev/null; then
  echo "FAIL $new: expectations differ from nesting-hatch.scn"
  fail=1
fi
[ -f out/summary.md ] || { echo "FAIL no summary.md"; fail=1; }
ls .out.tmp.* .out.old.* >/dev/null 2>&1 && { echo "FAIL temporary folders left behind"; fail=1; }
[ "$fail" -eq 0 ] && echo "ok   20 artifacts -> 3 findings (2 known, 1 new), each at most 4 ops"
exit $fail
