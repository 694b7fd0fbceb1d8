#!/usr/bin/env bash
# Time-to-escape benchmark: for every target and every vulnerable profile (all but
# hardened), N libFuzzer trials from an empty corpus (-seed=1..N, fixed budget each), and
# the throughput of each profile and of hardened (the reference) with ESCAPADE_CONTINUE=1.
# Writes DIR/time_to_escape.{md,csv} and DIR/throughput.csv; prints the table on stdout and
# progress on stderr. Exit 0 done, 2 usage error, 3 could not run (set-up, build, fuzzer).
set -euo pipefail

prog=${0##*/}
usage="usage: $prog [--quick] [--trials N>=5] [--budget S] [--tput S] [--targets a,b] [--profiles p,q] [--out DIR]"
die_usage() { echo "$prog: $1 ($usage)" >&2; exit 2; }
die() { echo "$prog: $1" >&2; exit 3; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 > 0)); }

trials='' budget='' tput='' quick=0 want_targets='' want_profiles='' out=''
while (($#)); do
	opt=$1 val=''
	case $opt in
	--*=*) val=${opt#*=} opt=${opt%%=*} ;;
	esac
	case $opt in
	-h | --help) echo "$usage"; exit 0 ;;
	--quick) [[ -z $val ]] || die_usage "--quick takes no value"; quick=1; shift; continue ;;
	--trials | --budget | --tput | --targets | --profiles | --out)
		if [[ -z $val ]]; then
			(($# >= 2)) || die_usage "$opt needs a value"
			val=$2
			shift
		fi
		shift ;;
	*) die_usage "unknown option '$opt'" ;;
	esac
	case $opt in
	--trials) is_uint "$val" || die_usage "--trials wants a whole number, got '$val'"
		((10#$val >= 5)) || die_usage "--trials must be at least 5 (a median of fewer is noise)"
		trials=$((10#$val)) ;;
	--budget) is_uint "$val" || die_usage "--budget wants whole seconds > 0, got '$val'"; budget=$((10#$val)) ;;
	--tput) is_uint "$val" || die_usage "--tput wants whole seconds > 0, got '$val'"; tput=$((10#$val)) ;;
	--targets) want_targets=$val ;;
	--profiles) want_profiles=$val ;;
	--out) out=$val ;;
	esac
done
if ((quick)); then : "${budget:=60}" "${tput:=3}"; fi
: "${trials:=5}" "${budget:=300}" "${tput:=10}"

start_cwd=$PWD
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
if [[ -z $out ]]; then
	out=$root/bench/results/$stamp
elif [[ $out != /* ]]; then
	out=$start_cwd/$out
fi

# ---- set-up and build (everything on stderr: stdout is the table) ----
if [[ -f $root/ci/setup.sh ]]; then
	"$root/ci/setup.sh" >&2 || die "ci/setup.sh failed"
fi
{ cmake --preset libfuzzer >/dev/null && cmake --build --preset libfuzzer; } >&2 ||
	die "building the libfuzzer preset failed"

bdir=$root/build/libfuzzer
escapade=$bdir/repro/escapade
[[ -x $escapade ]] || die "$escapade missing after the build"

# "target profile profile ..." for every target that has a fuzz binary.
declare -A tprofiles=()
targets=()
while read -r t profs; do
	if [[ -x $bdir/targets/$t/fuzz_$t ]]; then
		targets+=("$t")
		tprofiles[$t]=$profs
	else
		echo "$prog: warning: $t has no $bdir/targets/$t/fuzz_$t; skipped" >&2
	fi
done < <("$escapade" list | awk '
	/^[^ \t]/ { t = $1 }
	/^[ \t]+profiles:/ && t != "" { $1 = ""; print t $0 }')
((${#targets[@]})) || die "no target with a fuzz binary under $bdir/targets"

if [[ -n $want_targets ]]; then
	sel=()
	IFS=, read -r -a wanted <<<"$want_targets"
	for w in "${wanted[@]}"; do
		[[ -n ${tprofiles[$w]+x} ]] || die_usage "unknown target '$w' (known: ${targets[*]})"
		sel+=("$w")
	done
	targets=("${sel[@]}")
fi

has_profile() { [[ " ${tprofiles[$1]} " == *" $2 "* ]]; }
# Vulnerable profiles to measure, per target.
declare -A tvuln=()
if [[ -n $want_profiles ]]; then
	IFS=, read -r -a wanted <<<"$want_profiles"
	for p in "${wanted[@]}"; do
		[[ $p != hardened ]] || die_usage "hardened is the throughput reference, not a vulnerable profile"
		found=0
		for t in "${targets[@]}"; do
			has_profile "$t" "$p" && { tvuln[$t]+="$p "; found=1; }
		done
		((found)) || die_usage "no selected target has profile '$p'"
	done
else
	for t in "${targets[@]}"; do
		for p in ${tprofiles[$t]}; do
			[[ $p == hardened ]] || tvuln[$t]+="$p "
		done
	done
fi
total=0
for t in "${targets[@]}"; do
	has_profile "$t" hardened || die "$t has no hardened profile to use as the reference"
	for p in ${tvuln[$t]:-}; do total=$((total + trials)); done
done
((total)) || die "no vulnerable profile to measure"

mkdir -p "$out" || die "cannot create $out"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/escapade-tte.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$scratch"' EXIT
trap 'echo "$prog: interrupted" >&2; exit 130' INT TERM

# run_fuzz TARGET PROFILE SEED SECONDS CONTINUE: one libFuzzer run from a fresh empty
# corpus. Sets: rc, secs (wall), log (file), art (artifact dir).
run_fuzz() {
	local t=$1 p=$2 seed=$3 max=$4 cont=$5 t0 t1
	local dir=$scratch/run
	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	log=$dir/log art=$dir/artifacts
	t0=$(date +%s.%N)
	rc=0
	# The outer timeout only guards against a hung input (libFuzzer checks
	# -max_total_time between inputs); --foreground keeps Ctrl-C working on a tty.
	ESCAPADE_PROFILE=$p ESCAPADE_CONTINUE=$cont \
		timeout --foreground -k 10 $((max + 60)) \
		"$bdir/targets/$t/fuzz_$t" -seed="$seed" -max_total_time="$max" \
		-print_final_stats=1 -artifact_prefix="$art/" "$dir/corpus" >"$log" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}
stat_of() { awk -v k="stat::$1:" '$1 == k { v = $2 } END { print v }' "$log"; }
keep_failure() { # NAME: keep the log and artifacts of a run that failed unexpectedly
	mkdir -p "$out/failures/$1"
	cp -r "$log" "$art" "$out/failures/$1/" 2>/dev/null || true
	echo "$prog: kept log and artifacts in $out/failures/$1" >&2
}
unavailable() { grep -q 'cannot run on this machine' "$log"; }

csv=$scratch/trials.csv tcsv=$scratch/tput.csv
echo "target,profile,trial,seed,found,seconds,execs" >"$csv"
echo "target,profile,seconds,execs,execs_per_sec,ratio_to_hardened" >"$tcsv"
declare -A eps=()
n=0 failures=0 skipped=()
for t in "${targets[@]}"; do
	# Throughput first, back to back, so the ratios to hardened share machine conditions.
	for p in hardened ${tvuln[$t]}; do
		run_fuzz "$t" "$p" 1 "$tput" 1
		if unavailable; then break; fi
		e=$(stat_of average_exec_per_sec)
		if ((rc != 0)) || [[ -z $e ]]; then
			echo "[tput] $t $p: fuzzer failed (exit $rc)" >&2
			keep_failure "$t-$p-tput"
			failures=$((failures + 1))
			e=''
		fi
		eps[$t/$p]=$e
		ratio=$(awk -v a="$e" -v b="${eps[$t/hardened]:-}" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b }')
		echo "$t,$p,$tput,$(stat_of number_of_executed_units),$e,$ratio" >>"$tcsv"
		if [[ $p == hardened ]]; then
			note=' (reference)'
		else
			note=${ratio:+ (${ratio}x hardened)}
		fi
		echo "[tput] $t $p: ${e:-?} execs/s$note" >&2
	done
	if unavailable; then
		echo "$prog: $t cannot run on this machine; skipped" >&2
		skipped+=("$t")
		for p in ${tvuln[$t]}; do n=$((n + trials)); done
		continue
	fi
	for p in ${tvuln[$t]}; do
		for ((i = 1; i <= trials; i++)); do
			n=$((n + 1))
			run_fuzz "$t" "$p" "$i" "$budget" 0
			execs=$(stat_of number_of_executed_units)
			if ((rc != 0)) && compgen -G "$art/crash-*" >/dev/null && grep -q 'verdict: ESCAPE' "$log"; then
				found=1 what=$(printf 'escape in %.1f s' "$secs")
			elif ((rc == 0)); then
				found=0 what="miss (no escape in $budget s)"
			else
				found=error what="fuzzer failed without an escape verdict (exit $rc)"
				keep_failure "$t-$p-trial$i"
				failures=$((failures + 1))
			fi
			echo "$t,$p,$i,$i,$found,$secs,$execs" >>"$csv"
			echo "[$n/$total] $t $p trial $i: $what" >&2
		done
	done
done

# ---- report ----
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null) ]] || commit+=" (dirty)"
md=$scratch/table.md
{
	echo "# Time to escape (libFuzzer, empty corpus)"
	echo
	echo "- $stamp, commit $commit, $(nproc) CPUs, $(clang-14 --version 2>/dev/null | head -n 1)"
	echo "- $trials trials per profile (-seed=1..$trials), each from an empty corpus with a $budget s budget;" \
		"times are wall seconds over the trials that escaped"
	echo "- throughput: $tput s with ESCAPADE_CONTINUE=1, -seed=1 (stat::average_exec_per_sec);" \
		"ratios are to hardened, measured in the same run"
	echo
	awk -F, -v budget="$budget" '
		function fmt(x) { return sprintf("%.2f", x) }
		FILENAME == ARGV[1] { if (FNR > 1) eps[$1 "/" $2] = $5; next }
		FNR == 1 { next }
		{
			k = $1 "/" $2
			if (!(k in n)) { order[++groups] = k; tgt[k] = $1; prof[k] = $2 }
			n[k]++
			if ($5 == "1") { ok[k]++; s[k, ok[k]] = $6 + 0; x[k, ok[k]] = $7 + 0 }
			else if ($5 == "error") err[k]++
		}
		function sortk(k, m, arr,   i, j, v) {
			for (i = 2; i <= m; i++) {
				v = arr[k, i]
				for (j = i - 1; j >= 1 && arr[k, j] > v; j--) arr[k, j + 1] = arr[k, j]
				arr[k, j + 1] = v
			}
		}
		function median(k, m, arr) {
			return m % 2 ? arr[k, (m + 1) / 2] : (arr[k, m / 2] + arr[k, m / 2 + 1]) / 2
		}
		function ratio(t, p,   a, b) {
			a = eps[t "/" p]; b = eps[t "/hardened"]
			return (a != "" && b > 0) ? sprintf("%.2f", a / b) : "-"
		}
		END {
			print "| target | profile | escaped | median s | min s | max s | median execs | execs/s | vs hardened |"
			print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
			for (g = 1; g <= groups; g++) {
				k = order[g]; t = tgt[k]; m = ok[k] + 0
				if (!(t in ref)) {
					ref[t] = 1
					e = eps[t "/hardened"]
					printf "| %s | hardened (reference) | - | - | - | - | - | %s | %s |\n", t, e == "" ? "-" : e, ratio(t, "hardened")
				}
				rate = sprintf("%d/%d (%d%%)", m, n[k], 100 * m / n[k])
				if (err[k]) rate = rate sprintf(", %d failed", err[k])
				if (m) {
					sortk(k, m, s); sortk(k, m, x)
					cells = sprintf("%s | %s | %s | %.0f", fmt(median(k, m, s)), fmt(s[k, 1]), fmt(s[k, m]), median(k, m, x))
				} else {
					cells = "- | - | - | -"
				}
				e = eps[k]
				printf "| %s | %s | %s | %s | %s | %s |\n", t, prof[k], rate, cells, e == "" ? "-" : e, ratio(t, prof[k])
			}
		}' "$tcsv" "$csv"
	for t in "${skipped[@]}"; do
		echo
		echo "$t: skipped, the layer cannot run on this machine."
	done
} >"$md"

# Atomic writes: a temp file in the destination directory, then mv.
publish() {
	local tmp
	tmp=$(mktemp "$out/.${2}.XXXXXX") || die "cannot write in $out"
	if ! { cat "$1" >"$tmp" && chmod 644 "$tmp" && mv -f "$tmp" "$out/$2"; }; then
		rm -f "$tmp"
		die "cannot write $out/$2"
	fi
}
publish "$md" time_to_escape.md
publish "$csv" time_to_escape.csv
publish "$tcsv" throughput.csv
cat "$md"
echo "$prog: wrote $out/time_to_escape.md, time_to_escape.csv, throughput.csv" >&2
((failures == 0)) || { echo "$prog: $failures run(s) failed; logs in $out/failures" >&2; exit 3; }
exit 0
