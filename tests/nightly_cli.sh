#!/usr/bin/env bash
# ci/nightly.sh from the command line: bad arguments exit 2 with one message and leave
# nothing behind; with a libFuzzer build (second argument), a 5-second night of one target
# exits 0 with a whole report (summary.md, results.tsv, triage/report.sarif), a merged
# cache and the `latest` link, and a night interrupted with SIGINT (as a terminal's Ctrl-C
# sends it: to the whole foreground process group) exits 130 with the cache and `latest`
# as they were, a partial report that says so, no hidden half-written folder, no process.
# Usage: nightly_cli.sh NIGHTLY_SH [LIBFUZZER_BUILD_DIR]
set -u
nightly=$1 bdir=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }

# ---- argument errors: exit 2, a message naming the problem, nothing created ----
expect_usage() { # WHAT-THE-MESSAGE-SAYS ARGS...
	local want=$1 rc=0
	shift
	"$nightly" --out "$tmp/never" "$@" >"$tmp/o" 2>"$tmp/e" </dev/null || rc=$?
	if ((rc != 2)); then bad "$* exited $rc, want 2"; cat "$tmp/e"; fi
	grep -q -- "$want" "$tmp/e" || { bad "$*: message lacks '$want':"; cat "$tmp/e"; }
	[[ ! -s $tmp/o ]] || bad "$*: wrote on stdout"
	[[ ! -e $tmp/never ]] || { bad "$*: created the out folder"; rm -rf "$tmp/never"; }
}
expect_usage "unknown option '--bogus'" --bogus
expect_usage "--budget wants whole seconds" --budget 0
expect_usage "--budget wants whole seconds" --budget=ten
expect_usage "--jobs wants a whole number" --jobs -1
expect_usage "--engine is libfuzzer or afl" --engine honggfuzz
expect_usage "--quick and --budget together" --quick --budget 60
expect_usage "--profile needs a value" --profile
expect_usage "--quick takes no value" --quick=1
expect_usage "--targets wants names" --targets 'vm2model trustgate'
"$nightly" --help >"$tmp/o" 2>&1 || bad "--help exited $?"
grep -q -- '--quick' "$tmp/o" || bad "--help does not describe --quick"
echo "argument errors: done"

if [[ -z $bdir ]]; then
	echo "no libFuzzer build given: the runs are skipped"
	exit "$fail"
fi
[[ -x $bdir/targets/vm2model/fuzz_vm2model ]] || { echo "FAIL $bdir has no fuzz_vm2model"; exit 1; }
common=(--no-build --build-dir "$bdir" --targets vm2model --jobs 1)
expect_usage "no target has profile 'no-such-profile'" "${common[@]}" --profile no-such-profile
expect_usage "unknown target 'nosuch'" --no-build --build-dir "$bdir" --targets nosuch

# ---- a 5-second night ----
out=$tmp/night
rc=0
"$nightly" "${common[@]}" --budget 5 --out "$out" >"$tmp/o1" 2>"$tmp/e1" </dev/null || rc=$?
if ((rc != 0)); then bad "short night exited $rc, want 0"; cat "$tmp/e1" "$tmp/o1"; fi
grep -q '^| vm2model *| libfuzzer ' "$tmp/o1" || bad "no vm2model row in the closing table"
grep -q '^Result: nothing new' "$tmp/o1" || bad "no 'Result: nothing new' line"
rep=$(readlink "$out/latest")
[[ $rep == report-* && -d $out/$rep ]] || bad "latest -> '$rep' is not a report folder"
for f in summary.md results.tsv triage/report.json triage/report.sarif triage/summary.md logs/vm2model.log; do
	[[ -s $out/$rep/$f ]] || bad "report lacks $f"
done
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["version"] == "2.1.0"' \
	"$out/$rep/triage/report.sarif" || bad "report.sarif is not SARIF 2.1.0"
cache=$(readlink "$out/corpus/vm2model")
[[ $cache == .vm2model.* && -d $out/corpus/$cache ]] || bad "corpus/vm2model -> '$cache' is not a cache folder"
n=$(find "$out/corpus/$cache" -type f | wc -l)
((n > 0)) || bad "the merged cache is empty"
leftovers=$(find "$out" -maxdepth 2 -name '.*.tmp' -o -maxdepth 2 -name '.work-*')
[[ -z $leftovers ]] || bad "hidden folders left: $leftovers"
echo "short night: exit $rc, $n file(s) in the cache"

# ---- interrupted: SIGINT to the process group ~3 s into the fuzzing ----
sum_before=$(cd "$out/corpus/$cache" && find . -type f -exec sha1sum {} + | sort | sha1sum)
set -m # the night leads a process group, as a terminal's foreground job does
"$nightly" "${common[@]}" --budget 40 --out "$out" >"$tmp/o2" 2>"$tmp/e2" </dev/null &
pid=$!
set +m
for ((i = 0; i < 200; i++)); do
	grep -q '^-- vm2model: 40 s' "$tmp/e2" && break
	sleep 0.1
done
sleep 3
kill -INT -- "-$pid"
rc=0
wait "$pid" || rc=$?
((rc == 130)) || { bad "interrupted night exited $rc, want 130"; cat "$tmp/e2"; }
grep -q 'interrupted' "$tmp/e2" || bad "no word about the interrupt on stderr"
[[ $(readlink "$out/latest") == "$rep" ]] || bad "latest moved on an interrupted night"
[[ $(readlink "$out/corpus/vm2model") == "$cache" ]] || bad "the cache link moved on an interrupted night"
sum_after=$(cd "$out/corpus/$cache" && find . -type f -exec sha1sum {} + | sort | sha1sum)
[[ $sum_before == "$sum_after" ]] || bad "the cache changed on an interrupted night"
[[ $(find "$out/corpus" -mindepth 1 -maxdepth 1 | wc -l) -eq 2 ]] || bad "extra entries in the cache: $(ls -a "$out/corpus")"
part=$(find "$out" -maxdepth 1 -name 'report-*' ! -name "$rep" | head -n 1)
if [[ -z $part ]] || ! grep -q '^Result: INTERRUPTED' "$part/summary.md"; then
	bad "the interrupted night's report does not say so"
fi
leftovers=$(find "$out" -maxdepth 2 -name '.*.tmp' -o -maxdepth 2 -name '.work-*')
[[ -z $leftovers ]] || bad "hidden folders left after the interrupt: $leftovers"
if pgrep -f -- "$out" >/dev/null; then bad "processes left running: $(pgrep -a -f -- "$out")"; fi
echo "interrupted night: exit $rc"
exit "$fail"
