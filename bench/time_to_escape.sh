#!/usr/bin/env bash
# Time-to-escape benchmark: for every target and every vulnerable profile (all but
# hardened), N trials per engine from an empty corpus (seeds 1..N, fixed budget each), one
# after the other, each in a fresh scratch directory. Engines: libfuzzer-bytes (the
# byte-level baseline, fuzz_<t>_bytes), libfuzzer-ir (libFuzzer with the structure-aware
# mutator, fuzz_<t>), afl-ir (AFL++ with the same mutator as a custom mutator module), and
# a few AFL++ variants on request. In the same run: the throughput of every engine on every
# profile and on hardened (the reference) with ESCAPADE_CONTINUE=1, and on fuzz_empty (the
# engine's own ceiling). For a target whose fuzz binaries can time a bare fork-and-wait
# loop (procjail, ESCAPADE_PROCJAIL_FORKBENCH), right after each of its throughput runs the
# same binary's fork-and-wait rate, so execs/s stands next to the cost of a process.
# Writes DIR/time_to_escape.{md,csv,png}, DIR/summary.csv and DIR/throughput.csv; prints
# the Markdown on stdout and progress on stderr. The CSV columns:
#   time_to_escape.csv  target,profile,engine,trial,seed,found,seconds,execs
#                       (found: 1 escape, 0 miss, error)
#   summary.csv         target,profile,engine,trials,escaped,failed,median_s,median_censored,
#                       min_s,max_s,median_execs,execs_per_sec,ceiling_execs_per_sec
#   throughput.csv      target,profile,engine,seconds,execs,execs_per_sec,ratio_to_hardened,
#                       ratio_to_ceiling,fork_wait_per_sec,ratio_to_fork_wait,jail_spawn_per_sec
#                       (target fuzz_empty: the ceiling; the last three are empty for a target
#                       without a fork benchmark or when its binary printed no rate)
# Exit 0 done, 2 usage error, 3 could not run (set-up, build, fuzzer, plot).
set -euo pipefail
# The whole script is one brace group, parsed before any of it runs, so editing this file
# while a benchmark is running cannot derail the run.
{

prog=${0##*/}
usage="usage: $prog [--quick] [--trials N>=5] [--budget S] [--tput S] [--engines a,b] [--targets a,b] [--profiles p,q] [--out DIR] [--plot FILE.png] [--no-build]"
die_usage() { echo "$prog: $1 ($usage)" >&2; exit 2; }
die() { echo "$prog: $1" >&2; exit 3; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 > 0)); }

# Every engine the script knows, in table order; the first three are the default.
all_engines=(libfuzzer-bytes libfuzzer-ir afl-ir afl-ir-havoc afl-ir-cmplog afl-bytes)
default_engines=libfuzzer-bytes,libfuzzer-ir,afl-ir
declare -A engine_about=(
	[libfuzzer-bytes]="libFuzzer, byte-level mutations only (fuzz_<t>_bytes): the baseline"
	[libfuzzer-ir]="libFuzzer with the structure-aware custom mutator and cross-over (fuzz_<t>; lengths held in ops, from 6, with -len_control=0 unless given; a quarter of the calls each: cross-over, libFuzzer's byte mutations of the whole input, the neighbours of new corpus entries while the focus has some, scenario mutations)"
	[afl-ir]="AFL++ (persistent mode, ASan) with the structure-aware mutator as its only mutator (AFL_CUSTOM_MUTATOR_ONLY=1, afl_mutator_<t>.so; lengths held in ops, from 6)"
	[afl-ir-havoc]="AFL++ with the structure-aware mutator next to AFL's own havoc and splicing (no AFL_CUSTOM_MUTATOR_ONLY)"
	[afl-ir-cmplog]="afl-ir-havoc plus CmpLog (-c, the afl-cmplog build)"
	[afl-bytes]="AFL++ byte-level only (no custom mutator)"
)

trials='' budget='' tput='' quick=0 build=1 want_engines='' want_targets='' want_profiles='' out='' plot_copy=''
while (($#)); do
	opt=$1 val=''
	case $opt in
	--*=*) val=${opt#*=} opt=${opt%%=*} ;;
	esac
	case $opt in
	-h | --help)
		echo "$usage"
		echo "engines (default $default_engines):"
		for e in "${all_engines[@]}"; do echo "  $e: ${engine_about[$e]}"; done
		exit 0 ;;
	--quick) [[ -z $val ]] || die_usage "--quick takes no value"; quick=1; shift; continue ;;
	--no-build) [[ -z $val ]] || die_usage "--no-build takes no value"; build=0; shift; continue ;;
	--trials | --budget | --tput | --engines | --targets | --profiles | --out | --plot)
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
	--engines) want_engines=$val ;;
	--targets) want_targets=$val ;;
	--profiles) want_profiles=$val ;;
	--out) out=$val ;;
	--plot) [[ $val == *.png ]] || die_usage "--plot wants a .png file, got '$val'"; plot_copy=$val ;;
	esac
done
if ((quick)); then : "${budget:=60}" "${tput:=3}"; fi
: "${trials:=5}" "${budget:=300}" "${tput:=10}"

engines=()
IFS=, read -r -a wanted <<<"${want_engines:-$default_engines}"
for w in "${wanted[@]}"; do
	[[ -n ${engine_about[$w]+x} ]] || die_usage "unknown engine '$w' (known: ${all_engines[*]})"
	[[ " ${engines[*]} " != *" $w "* ]] || die_usage "engine '$w' given twice"
	engines+=("$w")
done
((${#engines[@]})) || die_usage "--engines is empty"
need_afl=0 need_cmplog=0
for e in "${engines[@]}"; do
	case $e in
	afl-ir-cmplog) need_afl=1 need_cmplog=1 ;;
	afl-*) need_afl=1 ;;
	esac
done

start_cwd=$PWD
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
if [[ -z $out ]]; then
	out=$root/bench/results/$stamp
elif [[ $out != /* ]]; then
	out=$start_cwd/$out
fi
if [[ -n $plot_copy && $plot_copy != /* ]]; then
	plot_copy=$start_cwd/$plot_copy
fi

# ---- set-up and build (everything on stderr: stdout is the table) ----
if ((build)) && [[ -f $root/ci/setup.sh ]]; then
	"$root/ci/setup.sh" >&2 || die "ci/setup.sh failed"
fi
command -v gnuplot >/dev/null || die "gnuplot missing (Debian package gnuplot-nox; ci/setup.sh installs it)"
presets=(libfuzzer)
((need_afl)) && presets+=(afl)
((need_cmplog)) && presets+=(afl-cmplog)
if ((need_afl)); then
	command -v afl-fuzz >/dev/null || die "afl-fuzz missing (Debian package afl++; ci/setup.sh installs it)"
fi
((build)) || echo "$prog: --no-build: using the binaries already under build/ (${presets[*]})" >&2
for preset in "${presets[@]}"; do
	((build)) || continue
	echo "$prog: building the $preset preset" >&2
	{ cmake --preset "$preset" >/dev/null && cmake --build --preset "$preset"; } >&2 ||
		die "building the $preset preset failed"
done

bdir=$root/build/libfuzzer
adir=$root/build/afl
cdir=$root/build/afl-cmplog
escapade=$bdir/repro/escapade
[[ -x $escapade ]] || die "$escapade missing after the build"

# engine_bin ENGINE TARGET: the binary an engine fuzzes (fuzz_empty for TARGET "-").
engine_bin() {
	local e=$1 t=$2
	if [[ $t == - ]]; then
		case $e in
		libfuzzer-*) echo "$bdir/bench/fuzz_empty" ;;
		*) echo "$adir/bench/fuzz_empty" ;;
		esac
		return
	fi
	case $e in
	libfuzzer-bytes) echo "$bdir/targets/$t/fuzz_${t}_bytes" ;;
	libfuzzer-ir) echo "$bdir/targets/$t/fuzz_$t" ;;
	*) echo "$adir/targets/$t/fuzz_$t" ;;
	esac
}
# engine_family ENGINE: libfuzzer or afl (which fuzz_empty is the ceiling)
engine_family() { case $1 in libfuzzer-*) echo libfuzzer ;; *) echo afl ;; esac; }

# "target profile profile ..." for every target that has every binary the engines need.
declare -A tprofiles=()
targets=()
while read -r t profs; do
	miss=''
	for e in "${engines[@]}"; do
		b=$(engine_bin "$e" "$t")
		[[ -x $b ]] || { miss=$b; break; }
		case $e in
		afl-bytes) ;;
		afl-*) [[ -f $adir/targets/$t/afl_mutator_$t.so ]] || { miss=$adir/targets/$t/afl_mutator_$t.so; break; } ;;
		esac
		[[ $e != afl-ir-cmplog || -x $cdir/targets/$t/fuzz_$t ]] || { miss=$cdir/targets/$t/fuzz_$t; break; }
	done
	if [[ -z $miss ]]; then
		targets+=("$t")
		tprofiles[$t]=$profs
	else
		echo "$prog: warning: $t has no $miss; skipped" >&2
	fi
done < <("$escapade" list | awk '
	/^[^ \t]/ { t = $1 }
	/^[ \t]+profiles:/ && t != "" { $1 = ""; print t $0 }')
((${#targets[@]})) || die "no target with every binary the engines need"
for e in "${engines[@]}"; do
	[[ -x $(engine_bin "$e" -) ]] || die "$(engine_bin "$e" -) missing after the build"
done

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
total=0 nprof=0
for t in "${targets[@]}"; do
	has_profile "$t" hardened || die "$t has no hardened profile to use as the reference"
	for p in hardened ${tvuln[$t]:-}; do
		nprof=$((nprof + 1))
		[[ $p == hardened ]] || total=$((total + trials * ${#engines[@]}))
	done
done
((total)) || die "no vulnerable profile to measure"
# Targets whose fuzz binaries time a bare fork-and-wait loop when this variable says for how
# many seconds (then as long again spawning jailed children), printing one line before the
# first input: "procjail: bare fork+wait: N/s; jailed child spawn+...: M/s (...)".
declare -A fork_env=([procjail]=ESCAPADE_PROCJAIL_FORKBENCH)
fsecs=$tput # seconds per loop: as long as a throughput run
nfork=0
for t in "${targets[@]}"; do
	[[ -z ${fork_env[$t]:-} ]] || nfork=$((nfork + $(wc -w <<<"hardened ${tvuln[$t]:-}")))
done
worst=$(((total * (budget + 2) + (nprof + 2) * ${#engines[@]} * (tput + 2) +
	nfork * ${#engines[@]} * (2 * fsecs + 2) + 59) / 60))
echo "$prog: ${#targets[@]} target(s), $total trials (engines: ${engines[*]}), budget $budget s each; at most about $worst min" >&2

mkdir -p "$out" || die "cannot create $out"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/escapade-tte.XXXXXX") || die "mktemp failed"
child=''
# Kills the process group of the run in progress (timeout leads its own group).
reap() {
	if [[ -n $child ]]; then
		kill -TERM -- "-$child" 2>/dev/null || true
		sleep 0.2
		kill -KILL -- "-$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
		child=''
	fi
}
trap 'reap; rm -rf "$scratch"' EXIT
trap 'echo "$prog: interrupted" >&2; exit 130' INT TERM

# run_engine ENGINE TARGET PROFILE SEED SECONDS CONTINUE: one fuzzer run from a fresh empty
# corpus in a fresh directory. TARGET "-" runs fuzz_empty. Sets: rc, secs (wall), log
# (file), art (where crashes land), execs, eps (execs/s) and crash (the first crash file).
run_engine() {
	local e=$1 t=$2 p=$3 seed=$4 max=$5 cont=$6 t0 t1 bin mut='' dir=$scratch/run
	local -a envs=(ESCAPADE_PROFILE="$p" ESCAPADE_CONTINUE="$cont") cmd=()
	bin=$(engine_bin "$e" "$t")
	rm -rf "$dir"
	mkdir -p "$dir"
	log=$dir/log execs='' eps='' crash=''
	case $e in
	libfuzzer-*)
		art=$dir/artifacts
		mkdir -p "$dir/corpus" "$art"
		cmd=("$bin" -seed="$seed" -max_total_time="$max" -print_final_stats=1
			-artifact_prefix="$art/")
		# the target's own per-input limit (its .options), so that an input that hangs
		# ends the trial as a timeout with the input kept, not a stall until the outer
		# limit (libFuzzer's default is 1200 s)
		local lim=''
		[[ $t == - ]] || lim=$(awk -F' *= *' '/^\[/ { s = ($0 == "[libfuzzer]") }
			s && $1 == "timeout" { print $2 }' "$root/targets/$t/fuzz_$t.options" 2>/dev/null)
		[[ -z $lim ]] || cmd+=(-timeout="$lim")
		cmd+=("$dir/corpus") ;;
	afl-*)
		# AFL needs a non-empty input directory: one byte decodes to a trivial scenario.
		art=$dir/out/default/crashes
		mkdir -p "$dir/in"
		printf '\0' >"$dir/in/empty"
		envs+=(AFL_BENCH_UNTIL_CRASH=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
			AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1)
		[[ $t == - || $e == afl-bytes ]] || mut=$adir/targets/$t/afl_mutator_$t.so
		[[ -z $mut ]] || envs+=(AFL_CUSTOM_MUTATOR_LIBRARY="$mut")
		[[ -z $mut || $e != afl-ir ]] || envs+=(AFL_CUSTOM_MUTATOR_ONLY=1)
		cmd=(afl-fuzz -s "$seed" -i "$dir/in" -o "$dir/out" -V "$max")
		[[ $e != afl-ir-cmplog || $t == - ]] || cmd+=(-c "$cdir/targets/$t/fuzz_$t")
		cmd+=(-- "$bin") ;;
	esac
	rc=0
	t0=$(date +%s.%N)
	# timeout leads a process group of its own, so reap() takes every straggler with it;
	# the outer limit only guards against a hung input (libFuzzer checks -max_total_time
	# between inputs).
	(cd "$dir" && exec env "${envs[@]}" timeout -k 10 $((max + 60)) "${cmd[@]}") </dev/null >"$log" 2>&1 &
	child=$!
	wait "$child" || rc=$?
	t1=$(date +%s.%N)
	reap
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	case $e in
	libfuzzer-*)
		execs=$(awk '$1 == "stat::number_of_executed_units:" { v = $2 } END { print v }' "$log")
		eps=$(awk '$1 == "stat::average_exec_per_sec:" { v = $2 } END { print v }' "$log")
		crash=$(compgen -G "$art/crash-*" | head -n 1) || true ;;
	afl-*)
		if [[ -f $dir/out/default/fuzzer_stats ]]; then
			execs=$(awk -F' *: *' '$1 == "execs_done" { print $2 }' "$dir/out/default/fuzzer_stats")
			eps=$(awk -F' *: *' '$1 == "execs_per_sec" { printf "%.0f", $2 }' "$dir/out/default/fuzzer_stats")
		fi
		crash=$(compgen -G "$art/id:*" | head -n 1) || true ;;
	esac
}
# escaped ENGINE TARGET PROFILE: did the last run stop on an escape verdict? AFL++ keeps
# the crash silently, so its first crash is replayed through the same binary.
escaped() {
	[[ -n $crash ]] || return 1
	case $1 in
	libfuzzer-*) ((rc != 0)) && grep -q 'verdict: ESCAPE' "$log" ;;
	afl-*)
		# (the subshell keeps bash's "Aborted" job message out of the progress)
		(ESCAPADE_PROFILE=$3 timeout -k 5 60 "$(engine_bin "$1" "$2")" "$crash" >"$log.replay" 2>&1 </dev/null || :) 2>/dev/null
		grep -q 'verdict: ESCAPE' "$log.replay" ;;
	esac
}
keep_failure() { # NAME: keep the log and artifacts of a run that failed unexpectedly
	mkdir -p "$out/failures/$1"
	cp -r "$scratch/run/log" "$art" "$out/failures/$1/" 2>/dev/null || true
	[[ ! -f $scratch/run/log.replay ]] || cp "$scratch/run/log.replay" "$out/failures/$1/"
	echo "$prog: kept log and artifacts in $out/failures/$1" >&2
}
unavailable() { grep -q 'cannot run on this machine' "$log"; }

# forkbench ENGINE TARGET PROFILE: runs the engine's binary of TARGET once on a one-byte
# input with fork_env[TARGET]=fsecs. Sets fork_rate and jail_rate (per second), both empty
# when the binary printed no rate (the layer cannot run here: exit 77).
forkbench() {
	local e=$1 t=$2 p=$3 dir=$scratch/fork frc=0 line
	local re='bare fork\+wait: ([0-9]+)/s; jailed[^:]*: ([0-9]+)/s'
	fork_rate='' jail_rate=''
	rm -rf "$dir"
	mkdir -p "$dir"
	printf '\0' >"$dir/in"
	(cd "$dir" && exec env ESCAPADE_PROFILE="$p" ESCAPADE_CONTINUE=1 "${fork_env[$t]}=$fsecs" \
		timeout -k 5 $((2 * fsecs + 60)) "$(engine_bin "$e" "$t")" "$dir/in") </dev/null >"$dir/log" 2>&1 &
	child=$!
	wait "$child" || frc=$?
	reap
	line=$(grep -m 1 'bare fork+wait:' "$dir/log") || true
	if [[ $line =~ $re ]]; then
		fork_rate=${BASH_REMATCH[1]} jail_rate=${BASH_REMATCH[2]}
	else
		echo "[fork] $t $p $e: no fork+wait rate printed (exit $frc): n/a" >&2
	fi
}

csv=$scratch/trials.csv tcsv=$scratch/tput.csv
echo "target,profile,engine,trial,seed,found,seconds,execs" >"$csv"
echo "target,profile,engine,seconds,execs,execs_per_sec,ratio_to_hardened,ratio_to_ceiling,fork_wait_per_sec,ratio_to_fork_wait,jail_spawn_per_sec" >"$tcsv"
declare -A eps_of=() ceiling=()
n=0 failures=0 skipped=()

# tput ENGINE TARGET PROFILE: one throughput run, recorded in eps_of and the CSV (then,
# for a target in fork_env, the fork-and-wait rate of the same binary).
tput_run() {
	local e=$1 t=$2 p=$3 ratio ref note fam cr fr=''
	fam=$(engine_family "$e")
	run_engine "$e" "$t" "$p" 1 "$tput" 1
	if unavailable; then return 1; fi
	if ((rc != 0)) || [[ -z $eps ]]; then
		echo "[tput] $t $p $e: fuzzer failed (exit $rc)" >&2
		keep_failure "$t-$p-$e-tput"
		failures=$((failures + 1))
		eps=''
	fi
	if [[ $t == - ]]; then
		ceiling[$fam]=$eps
		echo "fuzz_empty,-,$fam,$tput,$execs,$eps,,,,," >>"$tcsv"
		echo "[tput] fuzz_empty under $fam: ${eps:-?} execs/s (the ceiling)" >&2
		return 0
	fi
	eps_of[$t/$p/$e]=$eps
	ref=${eps_of[$t/hardened/$e]:-}
	ratio=$(awk -v a="$eps" -v b="$ref" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b }')
	cr=$(awk -v a="$eps" -v b="${ceiling[$fam]:-}" 'BEGIN { if (a != "" && b > 0) printf "%.3f", a / b }')
	fork_rate='' jail_rate=''
	if [[ -n ${fork_env[$t]:-} ]]; then
		forkbench "$e" "$t" "$p"
		fr=$(awk -v a="$eps" -v b="$fork_rate" 'BEGIN { if (a != "" && b > 0) printf "%.3f", a / b }')
	fi
	echo "$t,$p,$e,$tput,$execs,$eps,$ratio,$cr,$fork_rate,$fr,$jail_rate" >>"$tcsv"
	if [[ $p == hardened ]]; then note=' (reference)'; else note=${ratio:+ (${ratio}x hardened)}; fi
	[[ -z $fork_rate ]] || note+="; bare fork+wait $fork_rate/s (execs/s ÷ fork+wait ${fr:-?}), jailed spawn $jail_rate/s"
	echo "[tput] $t $p $e: ${eps:-?} execs/s$note" >&2
}

# The engines' ceilings first: fuzz_empty, with the engine's own mutations.
declare -A seen_family=()
for e in "${engines[@]}"; do
	fam=$(engine_family "$e")
	[[ -z ${seen_family[$fam]:-} ]] || continue
	seen_family[$fam]=1
	fe=$e
	[[ $fam != afl ]] || fe=afl-bytes
	tput_run "$fe" - hardened || die "fuzz_empty cannot run"
done

for t in "${targets[@]}"; do
	# Throughput, back to back, so the ratios to hardened share machine conditions.
	avail=1
	for e in "${engines[@]}"; do
		for p in hardened ${tvuln[$t]}; do
			tput_run "$e" "$t" "$p" || { avail=0; break 2; }
		done
	done
	if ((!avail)); then
		echo "$prog: $t cannot run on this machine; skipped" >&2
		skipped+=("$t")
		for p in ${tvuln[$t]}; do n=$((n + trials * ${#engines[@]})); done
		continue
	fi
	# Trials: engines interleaved, so a change of machine load hits them alike.
	for p in ${tvuln[$t]}; do
		for ((i = 1; i <= trials; i++)); do
			for e in "${engines[@]}"; do
				n=$((n + 1))
				run_engine "$e" "$t" "$p" "$i" "$budget" 0
				if escaped "$e" "$t" "$p"; then
					found=1 what=$(printf 'escape in %.1f s' "$secs")
				elif ((rc == 0)) && [[ -z $crash ]]; then
					found=0 what="miss (no escape in $budget s)"
				else
					found=error what="fuzzer failed without an escape verdict (exit $rc)"
					! compgen -G "$art/timeout-*" >/dev/null ||
						what="an input ran past the target's timeout (exit $rc)"
					keep_failure "$t-$p-$e-trial$i"
					failures=$((failures + 1))
				fi
				echo "$t,$p,$e,$i,$i,$found,$secs,$execs" >>"$csv"
				echo "[$n/$total] $t $p $e trial $i: $what" >&2
			done
		done
	done
done

# ---- summary: one row per (target, profile, engine) ----
# median_s is over every trial that did not fail, a miss counting as longer than the
# budget: when it decides the median, median_s is the budget and median_censored 1.
scsv=$scratch/summary.csv
awk -F, -v budget="$budget" -v OFS=, '
	FILENAME == ARGV[1] {
		if (FNR > 1) { eps[$1 "/" $2 "/" $3] = $6; if ($1 == "fuzz_empty") ceil[$3] = $6 }
		next
	}
	FNR == 1 { next }
	{
		k = $1 "/" $2 "/" $3
		if (!(k in seen)) { seen[k] = 1; order[++groups] = k; tgt[k] = $1; prof[k] = $2; eng[k] = $3 }
		if ($6 == "error") { err[k]++; next }
		n[k]++
		if ($6 == "1") { ok[k]++; s[k, ok[k]] = $7 + 0; x[k, ok[k]] = $8 + 0 }
	}
	function sortk(k, m, arr,   i, j, v) {
		for (i = 2; i <= m; i++) {
			v = arr[k, i]
			for (j = i - 1; j >= 1 && arr[k, j] > v; j--) arr[k, j + 1] = arr[k, j]
			arr[k, j + 1] = v
		}
	}
	END {
		print "target,profile,engine,trials,escaped,failed,median_s,median_censored,min_s,max_s,median_execs,execs_per_sec,ceiling_execs_per_sec"
		for (g = 1; g <= groups; g++) {
			k = order[g]; m = ok[k] + 0; tot = n[k] + 0
			fam = eng[k] ~ /^libfuzzer/ ? "libfuzzer" : "afl"
			med = ""; cen = ""; mn = ""; mx = ""; mx_execs = ""
			if (m) {
				sortk(k, m, s); sortk(k, m, x)
				mn = s[k, 1]; mx = s[k, m]
				mx_execs = m % 2 ? x[k, (m + 1) / 2] : int((x[k, m / 2] + x[k, m / 2 + 1]) / 2)
			}
			if (tot) {
				hi = int(tot / 2) + 1; lo = tot % 2 ? hi : hi - 1
				if (hi > m) { med = budget; cen = 1 }
				else { med = sprintf("%.3f", (s[k, lo] + s[k, hi]) / 2); cen = 0 }
			}
			print tgt[k], prof[k], eng[k], tot, m, err[k] + 0, med, cen, mn, mx, mx_execs, eps[k], ceil[fam]
		}
	}' "$tcsv" "$csv" >"$scsv"

# ---- plot: cumulative fraction of trials that escaped vs seconds, per target ----
pdir=$scratch/plot
mkdir -p "$pdir"
ptargets=() pcounts=()
for t in "${targets[@]}"; do
	[[ " ${skipped[*]} " != *" $t "* ]] || continue
	ptargets+=("$t")
	pcounts+=("$(wc -w <<<"${tvuln[$t]}")")
	for e in "${engines[@]}"; do
		awk -F, -v t="$t" -v e="$e" -v budget="$budget" '
			FNR == 1 { next }
			$1 == t && $3 == e && $6 != "error" { n++; if ($6 == "1") s[++m] = ($7 < 0.1 ? 0.1 : $7 + 0) }
			END {
				for (i = 2; i <= m; i++) { v = s[i]; for (j = i - 1; j >= 1 && s[j] > v; j--) s[j + 1] = s[j]; s[j + 1] = v }
				print 0.1, 0
				for (i = 1; i <= m; i++) { print s[i], (i - 1) / n; print s[i], i / n }
				print budget, (n ? m / n : 0)
			}' "$csv" >"$pdir/$t.$e.dat"
	done
done
png=$scratch/time_to_escape.png
if ((${#ptargets[@]})); then
	gnuplot -e "datadir='$pdir'; out='$png'; targets='${ptargets[*]}'; nprofiles='${pcounts[*]}'; engines='${engines[*]}'; trials=$trials; budget=$budget" \
		"$root/bench/time_to_escape.gp" >&2 || die "gnuplot failed on $root/bench/time_to_escape.gp"
fi

# ---- report ----
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null) ]] || commit+=" (dirty)"
aflv=''
((!need_afl)) || aflv=", afl++ $(dpkg-query -W -f='${Version}' afl++ 2>/dev/null || echo '(version unknown)')"
md=$scratch/table.md
{
	echo "# Time to escape (empty corpus)"
	echo
	echo "- $stamp, commit $commit, $(nproc) CPUs, $(clang-14 --version 2>/dev/null | head -n 1)$aflv"
	echo "- $trials trials per (profile, engine), seeds 1..$trials, each from an empty corpus with a $budget s" \
		"budget, run one after the other; a time is the wall seconds from the fuzzer's start to its exit on the escape"
	echo "- median: over all trials, a miss counting as longer than the budget (\"> $budget\" when misses decide it);" \
		"min and max: over the trials that escaped"
	echo "- execs/s: $tput s with ESCAPADE_CONTINUE=1, seed 1; ceiling: fuzz_empty under the same engine in the" \
		"same run (libFuzzer's byte mutations; AFL++'s havoc from the 1-byte seed, where a one-entry queue" \
		"costs AFL++ more per exec than a real target's queue does, so a target can pass that \"ceiling\")"
	forkt=''
	for t in "${targets[@]}"; do [[ -z ${fork_env[$t]:-} ]] || forkt+="${forkt:+, }$t"; done
	if [[ -n $forkt ]]; then
		echo "- fork+wait/s ($forkt): the bare fork-and-wait rate (fork a child that exits, waitpid) timed" \
			"for $fsecs s by the target itself, in a fresh process of the binary the engine fuzzes (one" \
			"one-byte input), right after each throughput run; ÷ fork+wait: execs/s over that rate;" \
			"jailed spawn/s: the target's jailed-child spawn+answer+kill rate, timed next in the same" \
			"process, each spawn taking the child made ahead while the last one ran, as a run's does" \
			"(\"n/a\": the binary printed no rate, e.g. exit 77 where the layer cannot run)"
	fi
	echo "- engines:"
	for e in "${engines[@]}"; do echo "  - \`$e\`: ${engine_about[$e]}"; done
	echo
	awk -F, -v budget="$budget" -v engines="${engines[*]}" -v forkt="${!fork_env[*]}" '
		FILENAME == ARGV[1] {
			if (FNR > 1) { k = $1 "/" $2 "/" $3; eps[k] = $6; fw[k] = $9; fr[k] = $10; js[k] = $11 }
			if ($1 == "fuzz_empty") ceil[$3] = $6
			next
		}
		FNR == 1 { next }
		function fam(e) { return e ~ /^libfuzzer/ ? "libfuzzer" : "afl" }
		function pct(a, b) { return (a != "" && b > 0) ? sprintf("%.0f%%", 100 * a / b) : "-" }
		function num(v) { return v == "" ? "-" : v }
		function na(v) { return v == "" ? "n/a" : v }
		# the fork columns of key k, for a target with a fork benchmark
		function forkcells(k) { return hf ? sprintf(" %s | %s | %s |", na(fw[k]), fr[k] == "" ? "n/a" : sprintf("%.2f", fr[k]), na(js[k])) : "" }
		{
			if (!($1 in seen)) {
				seen[$1] = 1
				hf = ($1 in hasfork)
				print ""
				print "## " $1
				print ""
				print "| profile | engine | escaped | median s | min s | max s | median execs | execs/s | of ceiling |" \
					(hf ? " fork+wait/s | ÷ fork+wait | jailed spawn/s |" : "")
				print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" (hf ? " ---: | ---: | ---: |" : "")
				for (j = 1; j <= ne; j++) {
					e = elist[j]; k = $1 "/hardened/" e; v = eps[k]
					printf "| hardened (reference) | %s | - | - | - | - | - | %s | %s |%s\n", e, num(v), pct(v, ceil[fam(e)]), forkcells(k)
				}
			}
			rate = sprintf("%d/%d", $5, $4); if ($6 > 0) rate = rate sprintf(", %d failed", $6)
			med = $7 == "" ? "-" : ($8 == 1 ? "> " budget : sprintf("%.2f", $7))
			mn = $9 == "" ? "-" : sprintf("%.2f", $9); mx = $10 == "" ? "-" : sprintf("%.2f", $10)
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%s\n", $2, $3, rate, med, mn, mx, num($11), num($12),
				pct($12, $13), forkcells($1 "/" $2 "/" $3)
		}
		BEGIN { ne = split(engines, elist, " "); nf = split(forkt, fl, " "); for (j = 1; j <= nf; j++) hasfork[fl[j]] = 1 }' "$tcsv" "$scsv"
	echo
	echo "## Engine ceilings (fuzz_empty)"
	echo
	echo "| engine | execs/s |"
	echo "| --- | ---: |"
	awk -F, 'FNR > 1 && $1 == "fuzz_empty" { printf "| %s | %s |\n", $3, $6 == "" ? "-" : $6 }' "$tcsv"
	# The claims of issue 4, checked on this run.
	have_bytes=0 have_ir=0
	for e in "${engines[@]}"; do
		case $e in libfuzzer-bytes) have_bytes=1 ;; *-ir | *-ir-*) have_ir=1 ;; esac
	done
	echo
	echo "## Checks"
	echo
	echo "- (a) median time-to-escape with the structure-aware mutator at least 10 times lower than" \
		"libfuzzer-bytes wherever libfuzzer-bytes needs more than 10 s (speed-up: libfuzzer-bytes median" \
		"over the engine's median; \"≥\" when libfuzzer-bytes missed, a lower bound)"
	echo "- (b) every vulnerable profile found within 300 s by at least one engine"
	echo
	awk -F, -v budget="$budget" -v have_bytes="$have_bytes" -v have_ir="$have_ir" '
		FNR == 1 { next }
		{
			k = $1 "/" $2
			if (!(k in seen)) { seen[k] = 1; order[++groups] = k; tgt[k] = $1; prof[k] = $2 }
			med[k, $3] = $7; cen[k, $3] = $8
			if ($9 != "" && (!(k in best) || $9 + 0 < best[k] + 0)) { best[k] = $9; who[k] = $3 }
			if ($3 != "libfuzzer-bytes" && $3 ~ /-ir/) irs[k] = irs[k] " " $3
		}
		function show(k, e) { return med[k, e] == "" ? "-" : (cen[k, e] == 1 ? "> " budget : sprintf("%.2f", med[k, e])) }
		END {
			print "| target | profile | libfuzzer-bytes median s | structure-aware median s (speed-up) | (a) ≥ 10x | (b) ≤ 300 s |"
			print "| --- | --- | ---: | --- | --- | --- |"
			for (g = 1; g <= groups; g++) {
				k = order[g]
				b = med[k, "libfuzzer-bytes"]; bc = cen[k, "libfuzzer-bytes"]
				cells = ""; bestsu = -1; bestlb = 0; anyir = 0
				ne = split(substr(irs[k], 2), es, " ")
				for (j = 1; j <= ne; j++) {
					e = es[j]; m = med[k, e]; c = cen[k, e]; su = "-"
					if (m != "") anyir = 1
					if (b != "" && m != "" && c != 1 && m > 0) {
						r = b / m; su = sprintf("%s%.1fx", bc == 1 ? "≥" : "", r)
						if (r > bestsu) { bestsu = r; bestlb = bc == 1 }
					}
					cells = cells (j > 1 ? "; " : "") e " " show(k, e) " (" su ")"
				}
				if (!have_bytes || !have_ir) a = "not measured (needs libfuzzer-bytes and an -ir engine)"
				else if (b == "") a = "-"
				else if (bc != 1 && b + 0 <= 10) a = "n/a (bytes ≤ 10 s)"
				else if (bestsu >= 10) a = "yes"
				else if (bestsu < 0) a = "not shown (structure-aware engines missed too)"
				else if (bestlb) a = sprintf("not shown (≥%.1fx; bytes missed, a longer budget may show more)", bestsu)
				else a = "**no**"
				if (k in best && best[k] + 0 <= 300) bb = sprintf("yes (%s, %.1f s)", who[k], best[k])
				else if (budget < 300) bb = "not within the " budget " s budget"
				else bb = "**no**"
				printf "| %s | %s | %s | %s | %s | %s |\n", tgt[k], prof[k], show(k, "libfuzzer-bytes"), cells == "" ? "-" : cells, a, bb
			}
		}' "$scsv"
	if [[ -s $png ]]; then
		echo
		echo "![cumulative fraction of trials that escaped vs seconds, per engine](time_to_escape.png)"
	fi
	for t in "${skipped[@]}"; do
		echo
		echo "$t: skipped, the layer cannot run on this machine."
	done
} >"$md"

# Atomic writes: a temp file in the destination directory, then mv.
publish() { # SRC NAME [DIR]
	local tmp dir=${3:-$out}
	tmp=$(mktemp "$dir/.${2}.XXXXXX") || die "cannot write in $dir"
	if ! { cat "$1" >"$tmp" && chmod 644 "$tmp" && mv -f "$tmp" "$dir/$2"; }; then
		rm -f "$tmp"
		die "cannot write $dir/$2"
	fi
}
publish "$md" time_to_escape.md
publish "$csv" time_to_escape.csv
publish "$scsv" summary.csv
publish "$tcsv" throughput.csv
written="time_to_escape.md, time_to_escape.csv, summary.csv, throughput.csv"
if [[ -s $png ]]; then
	publish "$png" time_to_escape.png
	written+=", time_to_escape.png"
	if [[ -n $plot_copy ]]; then
		mkdir -p "$(dirname "$plot_copy")" || die "cannot create $(dirname "$plot_copy")"
		publish "$png" "$(basename "$plot_copy")" "$(dirname "$plot_copy")"
		echo "$prog: plot also in $plot_copy" >&2
	fi
fi
cat "$md"
echo "$prog: wrote $out/{$written}" >&2
((failures == 0)) || { echo "$prog: $failures run(s) failed; logs in $out/failures" >&2; exit 3; }
exit 0
}
