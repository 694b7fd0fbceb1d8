#!/usr/bin/env bash
# The main job: a short libFuzzer campaign of every target against its hardened profile,
# one target after the other with the budget split evenly, progress every ~10 s, and a
# closing summary. An artifact on hardened is a real finding.
# Exit 0 nothing found, 1 something found, 2 usage error, 3 could not run (set-up, build,
# a fuzzer that failed without an artifact), 130 interrupted.
set -euo pipefail

prog=${0##*/}
usage="usage: $prog [--budget S] [--jobs N] [--out DIR] [--profile P]"
die_usage() { echo "$prog: $1 ($usage)" >&2; exit 2; }
die() { echo "$prog: $1" >&2; exit 3; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 > 0)); }

budget=120 jobs='' out='' profile=hardened
while (($#)); do
	opt=$1 val=''
	case $opt in
	--*=*) val=${opt#*=} opt=${opt%%=*} ;;
	esac
	case $opt in
	-h | --help) echo "$usage"; exit 0 ;;
	--budget | --jobs | --out | --profile)
		if [[ -z $val ]]; then
			(($# >= 2)) || die_usage "$opt needs a value"
			val=$2
			shift
		fi
		shift ;;
	*) die_usage "unknown option '$opt'" ;;
	esac
	case $opt in
	--budget) is_uint "$val" || die_usage "--budget wants whole seconds > 0, got '$val'"; budget=$((10#$val)) ;;
	--jobs) is_uint "$val" || die_usage "--jobs wants a whole number > 0, got '$val'"; jobs=$((10#$val)) ;;
	--out) out=$val ;;
	--profile) [[ $val =~ ^[A-Za-z0-9._+-]+$ ]] || die_usage "bad profile name '$val'"; profile=$val ;;
	esac
done
: "${jobs:=$(nproc 2>/dev/null || echo 1)}"

start_cwd=$PWD
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [[ -z $out ]]; then
	out=$root/out/campaign
elif [[ $out != /* ]]; then
	out=$start_cwd/$out
fi
rel() { if [[ $1 == "$root"/* ]]; then echo "${1#"$root"/}"; else echo "$1"; fi; }

# ---- set-up and build ----
if [[ -f $root/ci/setup.sh ]]; then
	"$root/ci/setup.sh" || die "ci/setup.sh failed"
fi
echo "== build: libfuzzer preset" >&2
{ cmake --preset libfuzzer >/dev/null && cmake --build --preset libfuzzer; } >&2 ||
	die "building the libfuzzer preset failed"
bdir=$root/build/libfuzzer

# Every target with a fuzz binary: build/libfuzzer/targets/<t>/fuzz_<t>.
targets=()
for d in "$bdir"/targets/*/; do
	t=$(basename "$d")
	[[ -x $d/fuzz_$t ]] && targets+=("$t")
done
((${#targets[@]})) || die "no fuzz binary under $bdir/targets"
if [[ $profile != hardened ]]; then
	# A profile other than hardened (to check the pipeline finds things): only the
	# targets that have it.
	declare -A has=()
	while read -r t; do has[$t]=1; done < <("$bdir/repro/escapade" list | awk -v p="$profile" '
		/^[^ \t]/ { t = $1 }
		/^[ \t]+profiles:/ { for (i = 2; i <= NF; i++) if ($i == p) print t }')
	sel=()
	for t in "${targets[@]}"; do
		if [[ -n ${has[$t]:-} ]]; then sel+=("$t"); else echo "$prog: $t has no profile $profile; skipped" >&2; fi
	done
	((${#sel[@]})) || die_usage "no target has profile '$profile'"
	targets=("${sel[@]}")
fi
per=$((budget / ${#targets[@]}))
((per >= 1)) || die_usage "--budget $budget is less than 1 s for each of ${#targets[@]} targets"

mkdir -p "$out/logs" || die "cannot create $out"
start_mark=$out/.campaign-start
touch "$start_mark"
fork=''
if ((jobs > 1)); then fork=-fork=$jobs; fi
have_setsid=0
command -v setsid >/dev/null 2>&1 && have_setsid=1

# Artifacts of this campaign (older ones, from earlier runs into the same DIR, are not
# counted: a finding found again is rewritten under the same name, so it counts).
artifacts_of() {
	[[ -d $out/artifacts/$1 ]] || return 0
	find "$out/artifacts/$1" -maxdepth 1 -type f -newer "$start_mark" \
		\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort
}
count_lines() { if [[ -n $1 ]]; then printf '%s\n' "$1" | wc -l; else echo 0; fi; }

# Last libFuzzer status line of a log as "execs corpus exec/s". Without -fork:
#   #1234<TAB>NEW    cov: 51 ft: 57 corp: 2/2b lim: 4 exec/s: 617 rss: 31Mb ...
# with -fork (the parent's lines; the inner processes' logs use the form above):
#   #56731: cov: 341 ft: 341 corp: 6 exec/s 28365 oom/timeout/crash: 0/0/0 time: 2s ...
status_of() {
	local re=$'^#[0-9]+\t'
	[[ -n $fork ]] && re='^#[0-9]+: '
	{ grep -aE "$re" "$1" 2>/dev/null || true; } | grep -a 'corp:' | tail -n 1 | awk '{
		x = $1; gsub(/[#:]/, "", x)
		for (i = 2; i < NF; i++) {
			if ($i == "corp:") { c = $(i + 1); sub(/\/.*/, "", c) }
			if ($i == "exec/s:" || $i == "exec/s") r = $(i + 1)
		}
		print x, c, r
	}'
}

pid='' interrupted=0
stop_fuzzer() { # SIG: the fuzzer and, with -fork, its inner processes (its own group)
	[[ -n $pid ]] || return 0
	if ((have_setsid)); then kill -"$1" -- "-$pid" 2>/dev/null || kill -"$1" "$pid" 2>/dev/null || true
	else kill -"$1" "$pid" 2>/dev/null || true; fi
}
# shellcheck disable=SC2317  # invoked from the trap
on_signal() { interrupted=1; echo "$prog: interrupted, stopping the fuzzer" >&2; stop_fuzzer TERM; }
trap on_signal INT TERM

declare -A r_secs=() r_execs=() r_eps=() r_corpus=() r_found=() r_status=()
done_targets=()
exit_code=0
echo "== campaign: ${#targets[@]} target(s) x $per s, profile $profile, ${fork:-no -fork}, out $(rel "$out")" >&2
for t in "${targets[@]}"; do
	corpus=$out/corpus/$t arts=$out/artifacts/$t log=$out/logs/$t.log
	mkdir -p "$corpus" "$arts"
	# Seeds: corpora/<t>/ and the kept escapes in corpora/regressions/<t>/ (contained on
	# hardened, and the closest known inputs to an escape).
	nseeds=0
	for src in "$root/corpora/$t" "$root/corpora/regressions/$t"; do
		[[ -d $src ]] || continue
		pre=''
		[[ $src == */regressions/* ]] && pre=regression-
		while IFS= read -r -d '' f; do
			cp -f "$f" "$corpus/$pre${f##*/}"
			nseeds=$((nseeds + 1))
		done < <(find "$src" -type f -print0)
	done
	args=(-max_total_time="$per" -timeout=25 -print_final_stats=1 -artifact_prefix="$arts/")
	# the dictionary the build generates from the target's tables
	[[ -f $bdir/targets/$t/fuzz_$t.dict ]] && args+=(-dict="$bdir/targets/$t/fuzz_$t.dict")
	[[ -n $fork ]] && args+=("$fork")
	cmd=("$bdir/targets/$t/fuzz_$t" "${args[@]}" "$corpus")
	((have_setsid)) && cmd=(setsid "${cmd[@]}")
	echo "-- $t: $per s, $nseeds seeds, log $(rel "$log")" >&2

	t0=$(date +%s.%N)
	# ESCAPADE_CONTINUE=0: an inherited 1 would count escapes instead of keeping them.
	ESCAPADE_PROFILE=$profile ESCAPADE_CONTINUE=0 "${cmd[@]}" </dev/null >"$log" 2>&1 &
	pid=$!
	next=10 watchdog=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.5 || true # a Ctrl-C on a tty kills the sleep too; the trap handles it
		el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", b - a }')
		if ((el >= next)); then
			next=$((next + 10))
			read -r x c r < <(status_of "$log"; echo) || true
			nf=$(count_lines "$(artifacts_of "$t")")
			printf '[%4ds] %s: %d/%d s, %s execs (%s/s), corpus %s, findings %d\n' \
				"$el" "$t" "$el" "$per" "${x:-0}" "${r:-0}" "${c:-?}" "$nf" >&2
		fi
		# libFuzzer checks -max_total_time between inputs and -timeout per input: this
		# only fires if the fuzzer itself is stuck.
		if ((el > per + 90 && !watchdog)); then
			echo "$prog: $t: still running $el s into a $per s budget; killing it" >&2
			watchdog=1
			stop_fuzzer KILL
		fi
	done
	rc=0
	wait "$pid" || rc=$?
	pid=''
	t1=$(date +%s.%N)

	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	# Without -fork the final stats; with -fork the parent's last status line (its own
	# stat:: lines, printed only when it is stopped, count 0).
	read -r x c r < <(status_of "$log"; echo) || true
	execs=''
	[[ -n $fork ]] || execs=$(awk '$1 == "stat::number_of_executed_units:" { v = $2 } END { print v }' "$log")
	[[ -n $execs ]] || execs=${x:-0}
	found=$(artifacts_of "$t")
	nfound=$(count_lines "$found")
	if grep -q 'cannot run on this machine' "$log"; then
		# The target's exit(77) (a kernel feature missing here: skip, as ctest does);
		# libFuzzer turns that exit into a crash artifact, which is no finding.
		if ((nfound)); then while IFS= read -r f; do rm -f "$f"; done <<<"$found"; fi
		nfound=0
		status=unavailable
	elif ((nfound)); then
		status=FOUND
		exit_code=1
	elif ((interrupted)); then
		status=interrupted
	elif ((watchdog)); then
		status="stuck (killed)"
		((exit_code)) || exit_code=3
	elif ((rc != 0)); then
		status="error (exit $rc)"
		((exit_code)) || exit_code=3
	else
		status=ok
	fi
	r_secs[$t]=$secs r_execs[$t]=$execs r_found[$t]=$nfound r_status[$t]=$status
	r_eps[$t]=$(awk -v e="$execs" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? e / s : 0) }')
	r_corpus[$t]=$(find "$corpus" -maxdepth 1 -type f | wc -l)
	done_targets+=("$t")
	echo "-- $t: $status after $secs s, $execs execs, corpus ${r_corpus[$t]}, findings $nfound" >&2
	if ((interrupted)); then break; fi
done

# ---- summary: stdout and DIR/summary.md ----
summary=$(
	echo "## escapade campaign: profile $profile, $per s per target, ${fork:-no -fork}"
	echo
	{
		printf 'target\tstatus\tseconds\texecs\texecs/s\tcorpus\tfindings\n'
		for t in "${done_targets[@]}"; do
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${r_status[$t]}" "${r_secs[$t]}" \
				"${r_execs[$t]}" "${r_eps[$t]}" "${r_corpus[$t]}" "${r_found[$t]}"
		done
	} | awk -F'\t' '
		{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
		END {
			for (r = 1; r <= NR; r++) {
				line = "|"
				for (i = 1; i <= NF; i++)
					line = line sprintf(i <= 2 ? " %-*s |" : " %*s |", w[i], cell[r, i])
				print line
				if (r == 1) {
					line = "|"
					for (i = 1; i <= NF; i++) {
						d = sprintf("%*s", w[i], ""); gsub(/ /, "-", d)
						line = line (i <= 2 ? " " d " |" : " " substr(d, 2) ": |")
					}
					print line
				}
			}
		}'
	for t in "${targets[@]}"; do
		[[ -n ${r_status[$t]:-} ]] || echo "$t: not run (interrupted)"
	done
	any=0
	for t in "${done_targets[@]}"; do
		[[ ${r_found[$t]} -gt 0 ]] || continue
		((any)) || echo
		any=1
		pflag=''
		[[ $profile == hardened ]] || pflag=" --profile $profile"
		while IFS= read -r f; do
			echo "Reproduce with: build/libfuzzer/repro/escapade repro $(rel "$f") --target $t$pflag --trace"
		done < <(artifacts_of "$t")
		echo "  (log: $(rel "$out/logs/$t.log"))"
	done
	old=$(find "$out/artifacts" -type f ! -newer "$start_mark" \
		\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null | wc -l)
	if ((old)); then
		echo
		echo "($old artifact(s) from earlier campaigns under $(rel "$out/artifacts") are not counted.)"
	fi
	echo
	case $exit_code in
	0) if ((interrupted)); then echo "Result: interrupted; nothing found before that."
		else echo "Result: no escape, crash, leak, hang or OOM found."; fi ;;
	1) echo "Result: FINDINGS on profile $profile (see the Reproduce lines above)." ;;
	*) echo "Result: the campaign did not run cleanly (see the logs under $(rel "$out/logs"))." ;;
	esac
)
if ! { tmp=$(mktemp "$out/.summary.md.XXXXXX") && printf '%s\n' "$summary" >"$tmp" && chmod 644 "$tmp" && mv -f "$tmp" "$out/summary.md"; }; then
	echo "$prog: warning: could not write $out/summary.md" >&2
fi
echo
printf '%s\n' "$summary"
if ((interrupted)); then exit 130; fi
exit "$exit_code"
