#!/usr/bin/env bash
# ci/nightly.sh never loses a finding: an artifact stays where the fuzzer left it until a
# triage that read it has written its report. A killed night's hidden report folder holds
# an escape artifact (GHSA-8hr7 as raw bytes) and another holds nothing:
#   1. a night whose triage cannot write its report (ESCAPADE_FAULT=write:1) exits 2 and
#      leaves the artifact in its original place, byte for byte; its own report is marked
#      .pending, holds a copy under carried/, and no partial triage folder or temporary
#      file is left anywhere; the empty left-over is gone;
#   2. the next night triages the copy; while its triage is still writing the report
#      (ESCAPADE_FAULT=stall:1 holds it) the original is still in place; once the report
#      is written, report.json lists the carried artifact as the known GHSA-8hr7 escape,
#      and only then the original folder is gone and the first night's .pending cleared.
# A third killed night, of another profile (its .pending names it), is left alone by both:
# its artifacts are replayed under their own profile only.
# Usage: nightly_ordering.sh NIGHTLY_SH LIBFUZZER_BUILD_DIR SOURCE_DIR
set -u
nightly=$1 bdir=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
esc=$bdir/repro/escapade
[[ -x $bdir/targets/vm2model/fuzz_vm2model && -x $esc ]] || { echo "FAIL $bdir is no libFuzzer build"; exit 1; }

out=$tmp/night
killed=$out/.report-20000101T000000Z.tmp
mkdir -p "$killed/artifacts/vm2model" "$killed/logs" "$out/.report-20000101T000001Z.tmp/logs"
"$esc" encode "$src/corpora/regressions/vm2model/GHSA-8hr7-r645-pc6w.scn" -o "$tmp/raw" --raw || exit 1
sha=$(sha1sum "$tmp/raw" | cut -c1-40)
art=$killed/artifacts/vm2model/crash-$sha
mv "$tmp/raw" "$art"
echo "a killed night's log" >"$killed/logs/vm2model.log"
other=$out/.report-20000101T000002Z.tmp
mkdir -p "$other/artifacts/vm2model"
cp "$art" "$other/artifacts/vm2model/"
echo hardened >"$other/.pending"
echo "a killed night's log" >"$out/.report-20000101T000001Z.tmp/logs/vm2model.log"
common=(--no-build --build-dir "$bdir" --targets vm2model --jobs 1 --budget 2 --profile vm2-3.11.4 --out "$out")

same_artifact() { [[ -f $art && $(sha1sum <"$art" | cut -c1-40) == "$sha" ]]; }
# nothing half-written: no hidden temporary folder or file but the planted one
leftovers() {
	find "$out" -mindepth 1 \( -name '.*.tmp*' -o -name '*.tmp' -o -name '.work-*' -o -name '.*.old.*' \) \
		! -path "$killed" ! -path "$killed/*" ! -path "$other" ! -path "$other/*" -print
}
other_untouched() {
	[[ -f $other/artifacts/vm2model/crash-$sha && $(head -n 1 "$other/.pending") == hardened ]] ||
		bad "the killed night of profile hardened was touched by a vm2-3.11.4 night"
}

# ---- 1: the report cannot be written ----
rc=0
ESCAPADE_FAULT=write:1 "$nightly" "${common[@]}" >"$tmp/o1" 2>"$tmp/e1" </dev/null || rc=$?
((rc == 2)) || { bad "night with a failing report write exited $rc, want 2"; tail -n 20 "$tmp/e1" "$tmp/o1"; }
grep -q '^Triage: FAILED' "$tmp/o1" || bad "the summary does not say the triage failed"
if same_artifact; then echo "ok   the artifact is still in its original place"; else bad "the artifact moved or changed: $(ls -la "${art%/*}" 2>&1)"; fi
[[ ! -e $out/.report-20000101T000001Z.tmp ]] || bad "the empty left-over of a killed night is still there"
rep1=$(find "$out" -mindepth 1 -maxdepth 1 -name 'report-*' | head -n 1)
if [[ -z $rep1 ]]; then
	bad "no report folder"
else
	[[ -e $rep1/.pending ]] || bad "${rep1##*/} is not marked .pending"
	[[ -f $rep1/carried/report-20000101T000000Z/artifacts/vm2model/crash-$sha ]] || bad "${rep1##*/} holds no copy of the artifact"
	[[ ! -e $rep1/triage ]] || bad "a triage folder was left: $(ls -A "$rep1/triage")"
	grep -q 'still pending' "$rep1/summary.md" || bad "the summary does not say the carried artifacts stay pending"
fi
l=$(leftovers)
[[ -z $l ]] || bad "partial or temporary files left: $l"
[[ -z $(find "$out" -path '*/findings*' -type f 2>/dev/null) ]] || bad "findings were opened from a failed triage"
other_untouched
echo "failing report write: exit $rc"

# ---- 2: the next night; its triage held just before its first write ----
rc=0
ESCAPADE_FAULT=stall:1 "$nightly" "${common[@]}" >"$tmp/o2" 2>"$tmp/e2" </dev/null &
pid=$!
held=0
for ((i = 0; i < 1200; i++)); do # the held write sleeps 30 s
	if compgen -G "$out/report-*/.triage.tmp.*" >/dev/null; then held=1; break; fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if ((held)); then
	if same_artifact; then
		echo "ok   while the report is being written, the artifact is still in place"
	else
		bad "the artifact left its place before the report was written"
	fi
	[[ -z $(find "$out" -path '*/triage/report.json') ]] || bad "a report.json was already there"
else
	bad "never saw the triage writing its report"
fi
wait "$pid" || rc=$?
((rc == 0 || rc == 1)) || { bad "the next night exited $rc, want 0 or 1"; tail -n 20 "$tmp/e2" "$tmp/o2"; }
rep2=$(readlink "$out/latest")
json=$out/$rep2/triage/report.json
if [[ $rep2 == "${rep1##*/}" || ! -f $json ]]; then
	bad "the next night wrote no triage report (latest -> $rep2)"
else
	python3 - "$json" "crash-$sha" <<-'EOF' || bad "report.json does not list the carried artifact as the known GHSA-8hr7 escape"
		import json, sys
		rep, name = json.load(open(sys.argv[1])), sys.argv[2]
		hits = [e for e in rep["entries"] for p in e["inputs"]
		        if p.endswith("/carried/report-20000101T000000Z/artifacts/vm2model/" + name)]
		assert hits and hits[0]["status"] == "known" and hits[0]["kind"] == "privilege-amplification", hits
		assert hits[0]["known_as"].endswith("GHSA-8hr7-r645-pc6w.scn"), hits[0]["known_as"]
	EOF
	[[ ! -e $out/$rep2/.pending ]] || bad "the triaged report is still .pending"
fi
if [[ ! -e $killed ]]; then
	echo "ok   after the report, the killed night's folder is released"
else
	bad "the killed night's folder is still there after a complete triage"
fi
[[ ! -e $rep1/.pending ]] || bad "${rep1##*/} is still .pending after a complete triage of its artifacts"
l=$(leftovers)
[[ -z $l ]] || bad "partial or temporary files left: $l"
other_untouched
echo "next night: exit $rc"
exit "$fail"
