#!/usr/bin/env bash
# The nightly fuzzing job, one command: builds every fuzz target, splits a time budget
# across the targets (the hardened profile by default), fuzzes each with libFuzzer -fork
# over the cores (or AFL++, one -M main with CmpLog and -S secondaries), keeps a corpus
# cache between nights merged with corpora/<target>/ and the kept regressions, and triages
# everything found with `escapade triage`. Live progress on stderr, a closing table on
# stdout and in the report folder. `--quick` is the short run the README's main command is.
# No finding is lost: an artifact stays where the fuzzer left it until a triage that read
# it has written its report (killed or untriaged nights are carried into the next one).
#
# Exit 0 nothing new, 1 a new escape, a sanitizer finding (crash, leak, hang) or a kept
# regression that escaped again, 2 usage error or could not run (the reason is printed),
# 130 interrupted (the corpus cache keeps its last complete state, the report is partial
# and says so).
# shellcheck disable=SC2317  # progress functions and handlers are called indirectly
set -uo pipefail # no -e: a Ctrl-C that kills a helper must not skip the clean-up below
export LC_ALL=C
# The whole script is one brace group, parsed before any of it runs: editing this file
# while a night is running cannot derail the run.
{

prog=${0##*/}
usage="usage: $prog [--quick | --budget S] [--engine libfuzzer|afl] [--jobs N] [--profile P]
                  [--targets T,...] [--out DIR] [--no-build] [--build-dir DIR]"
help="$usage

  --quick          a short night: 120 s of fuzzing in all (what the README's main command runs)
  --budget S       seconds of fuzzing in all, split across the targets (default 3600);
                   the probe, the corpus merge and the triage come on top
  --engine E       libfuzzer (default: -fork=N, crashes do not stop the run) or afl
                   (AFL++: -M main with CmpLog, N-1 -S secondaries, custom mutator module)
  --jobs N         parallel fuzzing processes per target (default: the number of CPUs)
  --profile P      the profile to fuzz (default hardened); a vulnerable profile checks that
                   the pipeline finds and triages escapes (only targets that have it run)
  --targets T,...  only these targets (default: every target \`escapade list\` names)
  --out DIR        default out/nightly: DIR/corpus/<target> (the cache; DIR/corpus-<P>/ for
                   a profile other than hardened), DIR/findings/<target>/ (new findings,
                   triaged again every night until recorded or fixed), DIR/report-<UTC
                   stamp>/, DIR/latest (the last complete night)
  --no-build       use the binaries already built (no set-up, no cmake)
  --build-dir DIR  the libFuzzer build to use (default build/libfuzzer); AFL++ uses
                   build/afl and build/afl-cmplog

Report folder: summary.md (the closing table and the result), results.tsv, triage/
(report.json, report.sarif, summary.md and a minimized .scn per finding), artifacts/<t>/
(libFuzzer) or afl/<t>/<instance>/{crashes,hangs}/ (AFL++), logs/; carried/<report>/ the
artifacts of earlier nights no complete triage had read, triaged again here; .pending
while its own artifacts wait for a complete triage (the next night carries them).
Exit 0 nothing new, 1 new escape / sanitizer finding / regression, 2 usage or could not
run, 130 interrupted."
die_usage() { printf '%s: %s\n%s\n' "$prog" "$1" "$usage" >&2; exit 2; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 > 0)); }

quick=0 budget='' engine=libfuzzer jobs='' profile=hardened want_targets='' out='' build=1 lfdir='' failed=0
while (($#)); do
	opt=$1 val='' has_val=0
	case $opt in
	--*=*) val=${opt#*=} opt=${opt%%=*} has_val=1 ;;
	esac
	case $opt in
	-h | --help) echo "$help"; exit 0 ;;
	--quick | --no-build)
		((has_val == 0)) || die_usage "$opt takes no value"
		[[ $opt == --quick ]] && quick=1
		[[ $opt == --no-build ]] && build=0
		shift
		continue ;;
	--budget | --engine | --jobs | --profile | --targets | --out | --build-dir)
		if ((has_val == 0)); then
			if (($# < 2)) || [[ $2 == --* ]]; then die_usage "$opt needs a value"; fi
			val=$2
			shift
		fi
		shift ;;
	*) die_usage "unknown option '$opt'" ;;
	esac
	case $opt in
	--budget) is_uint "$val" || die_usage "--budget wants whole seconds > 0, got '$val'"; budget=$((10#$val)) ;;
	--engine) [[ $val == libfuzzer || $val == afl ]] || die_usage "--engine is libfuzzer or afl, got '$val'"; engine=$val ;;
	--jobs) is_uint "$val" || die_usage "--jobs wants a whole number > 0, got '$val'"; jobs=$((10#$val)) ;;
	--profile) [[ $val =~ ^[A-Za-z0-9._+-]+$ ]] || die_usage "bad profile name '$val'"; profile=$val ;;
	--targets) [[ $val =~ ^[a-z0-9_]+(,[a-z0-9_]+)*$ ]] || die_usage "--targets wants names separated by commas, got '$val'"; want_targets=$val ;;
	--out) [[ -n $val ]] || die_usage "--out needs a folder"; out=$val ;;
	--build-dir) [[ -n $val ]] || die_usage "--build-dir needs a folder"; lfdir=$val ;;
	esac
done
if ((quick)) && [[ -n $budget ]]; then die_usage "--quick and --budget together: pick one"; fi
((quick)) && budget=120
: "${budget:=3600}"
: "${jobs:=$(nproc 2>/dev/null || echo 1)}"

# ---- from here on, "could not run" is exit 2 with the reason ----
die() { echo "$prog: could not run: $1" >&2; exit 2; }
# safe CMD...: a step that must not be cut in half (a rename, a symlink swap): run with
# SIGINT/SIGTERM/SIGHUP ignored, so a Ctrl-C on the terminal cannot kill it; the script's
# own handler still sees the signal and stops after it.
safe() { (trap '' INT TERM HUP; exec "$@"); }
start_cwd=$PWD
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || die "cannot find the source tree"
cd "$root" || die "cannot enter $root"
abspath() { if [[ $1 == /* ]]; then printf '%s' "$1"; else printf '%s/%s' "$start_cwd" "$1"; fi; }
out=$(abspath "${out:-$root/out/nightly}")
out=${out%/}
if [[ -n $lfdir ]]; then lfdir=$(abspath "$lfdir"); custom_build=1; else lfdir=$root/build/libfuzzer; custom_build=0; fi
afldir=$root/build/afl cmpdir=$root/build/afl-cmplog
rel() { if [[ $1 == "$root"/* ]]; then printf '%s' "${1#"$root"/}"; else printf '%s' "$1"; fi; }

command -v setsid >/dev/null 2>&1 || die "setsid missing (Debian package util-linux)"
command -v flock >/dev/null 2>&1 || die "flock missing (Debian package util-linux)"

# ---- set-up and build ----
blog=$(mktemp "${TMPDIR:-/tmp}/nightly-build.XXXXXX") || die "cannot create a temporary file"
# shellcheck disable=SC2064  # the name is fixed now
trap "rm -f '$blog'" EXIT
if ((build)); then
	if [[ -f $root/ci/setup.sh ]]; then
		"$root/ci/setup.sh" >>"$blog" 2>&1 || { tail -n 20 "$blog" >&2; die "ci/setup.sh failed"; }
	fi
	if [[ $engine == afl ]]; then
		command -v afl-fuzz >/dev/null 2>&1 || die "afl-fuzz missing (Debian package afl++; ci/setup.sh installs it)"
	fi
	steps=(libfuzzer)
	[[ $engine == afl ]] && steps+=(afl afl-cmplog)
	for preset in "${steps[@]}"; do
		echo "== build: $preset$( ((custom_build)) && [[ $preset == libfuzzer ]] && echo " ($(rel "$lfdir"))")" >&2
		if [[ $preset == libfuzzer ]] && ((custom_build)); then
			cmake --build "$lfdir" >>"$blog" 2>&1
		else
			cmake --preset "$preset" >>"$blog" 2>&1 && cmake --build --preset "$preset" >>"$blog" 2>&1
		fi || { tail -n 30 "$blog" >&2; die "building $preset failed"; }
	done
elif [[ $engine == afl ]]; then
	command -v afl-fuzz >/dev/null 2>&1 || die "afl-fuzz missing (Debian package afl++)"
fi
command -v python3 >/dev/null 2>&1 || die "python3 missing (ci/setup.sh installs it)"

# ---- targets: `escapade list`, the ones with PROFILE, the ones asked for ----
esc=$lfdir/repro/escapade
[[ -x $esc ]] || die "no $(rel "$esc") (build the libfuzzer preset, or drop --no-build)"
listing=$("$esc" list) || die "$(rel "$esc") list failed"
mapfile -t all_targets < <(awk '/^[^ \t]/ { print $1 }' <<<"$listing")
((${#all_targets[@]})) || die "escapade list names no target"
declare -A has_profile=()
while read -r t; do has_profile[$t]=1; done < <(awk -v p="$profile" '
	/^[^ \t]/ { t = $1 }
	/^[ \t]+profiles:/ { for (i = 2; i <= NF; i++) if ($i == p) print t }' <<<"$listing")
targets=()
if [[ -n $want_targets ]]; then
	IFS=, read -r -a asked <<<"$want_targets"
	for t in "${asked[@]}"; do
		[[ " ${all_targets[*]} " == *" $t "* ]] || die_usage "unknown target '$t' (known: ${all_targets[*]})"
		[[ " ${targets[*]} " == *" $t "* ]] || targets+=("$t")
	done
else
	targets=("${all_targets[@]}")
fi
sel=()
for t in "${targets[@]}"; do
	if [[ -n ${has_profile[$t]:-} ]]; then sel+=("$t"); else echo "$prog: $t has no profile $profile; skipped" >&2; fi
done
((${#sel[@]})) || die_usage "no target has profile '$profile'"
targets=("${sel[@]}")
missing=()
for t in "${targets[@]}"; do
	need=("$lfdir/targets/$t/fuzz_$t")
	[[ $engine == afl ]] && need+=("$afldir/targets/$t/fuzz_$t" "$afldir/targets/$t/afl_mutator_$t.so" "$cmpdir/targets/$t/fuzz_$t")
	for f in "${need[@]}"; do [[ -e $f ]] || missing+=("$(rel "$f")"); done
done
((${#missing[@]} == 0)) || die "fuzz target(s) not built: ${missing[*]}"

# ---- the night's folders ----
mkdir -p "$out" || die "cannot create $out"
# One night at a time per DIR: the cache and the report names are not shared.
exec 9>>"$out/.lock" || die "cannot write $out/.lock"
flock -n 9 || die "another $prog is running with --out $(rel "$out") (holds $out/.lock)"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name=report-$stamp
for ((k = 2; ; k++)); do
	[[ -e $out/$name || -e $out/.$name.tmp ]] || break
	name=report-$stamp-$k
done
report=$out/$name          # the final name, from the rename after the fuzzing on
rtmp=$out/.$name.tmp       # where the report grows while the fuzzers run
work=$out/.work-${name#report-}
if [[ $profile == hardened ]]; then cdir=$out/corpus; else cdir=$out/corpus-$profile; fi

# Left-overs of a night that was killed (we hold the lock, so nobody else is running):
# work folders are incomplete by construction.
rm -rf "$out"/.work-* 2>/dev/null
# Findings are never lost: an artifact stays where the fuzzer left it until a triage that
# read it has written its report. Pending are a killed night's hidden report folder and a
# report whose triage did not complete: both hold .pending, which names their profile. A
# night of that profile (or any night, for a folder without the name) triages a copy of
# their artifacts (carried/<report>/) and releases them (removes the hidden folder, or the
# .pending mark) only once its own triage report is complete.
has_artifacts() { # DIR: any fuzzer artifact under DIR/artifacts or DIR/afl
	[[ -n $(find "$1/artifacts" "$1/afl" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
		-o -name 'oom-*' -o -name 'id:*' \) -print -quit 2>/dev/null) ]]
}
release() { # DIR: its artifacts were triaged (or there are none)
	if [[ ${1##*/} == .report-*.tmp ]]; then safe rm -rf "$1"; else safe rm -f "$1/.pending"; fi
}
pending=()
for d in "$out"/.report-*.tmp "$out"/report-*; do
	[[ -d $d && ! -L $d ]] || continue
	[[ ${d##*/} == .report-*.tmp || -e $d/.pending ]] || continue
	has_artifacts "$d" || { release "$d"; continue; }
	p=$(head -n 1 "$d/.pending" 2>/dev/null)
	[[ -z $p || $p == "$profile" ]] && pending+=("$d") # replayed under its own profile only
done
# The cache: DIR/<t> is a symlink to .<t>.<stamp>, a complete merged folder never changed
# after it was made; a night builds .<t>.<stamp>.tmp, renames it, and swaps the symlink
# with rename(2). Here: drop unfinished merges and link temporaries, drop folders no
# link points at, and relink the newest complete one if a kill hit between two renames.
recover_cache() {
	local t d link cur newest
	[[ -d $cdir ]] || return 0
	for d in "$cdir"/.*.tmp; do [[ -e $d || -L $d ]] && rm -rf "$d"; done
	for t in "${targets[@]}"; do
		link=$cdir/$t
		if [[ ! -e $link && ! -L $link ]]; then
			newest=''
			for d in "$cdir/.$t".*; do [[ -d $d ]] && newest=$d; done # glob order = stamp order
			[[ -z $newest ]] || ln -s "${newest##*/}" "$link"
		fi
		[[ -L $link ]] || continue
		cur=$(readlink "$link")
		for d in "$cdir/.$t".*; do
			[[ -d $d && ${d##*/} != "$cur" ]] && rm -rf "$d"
		done
	done
}
recover_cache
mkdir -p "$rtmp/logs" "$work/tmp" "$cdir" || die "cannot create the night's folders under $out"
printf '%s\n' "$profile" >"$rtmp/.pending" || die "cannot write $rtmp/.pending"
mv -f "$blog" "$rtmp/logs/build.log" 2>/dev/null || rm -f "$blog"
# The pending artifacts, copied (a report's own finds only: what it carried is still
# pending where it came from). A source whose copy failed stays pending, untouched.
carried=() carry_notes=()
for d in "${pending[@]}"; do
	src=${d##*/} dst=''
	src=${src#.} src=${src%.tmp}
	dst=$rtmp/carried/$src
	if mkdir -p "$dst" && { [[ ! -d $d/artifacts ]] || cp -a "$d/artifacts" "$dst/"; } &&
		{ [[ ! -d $d/afl ]] || cp -a "$d/afl" "$dst/"; }; then
		carried+=("$d")
		carry_notes+=("$(rel "$d"): $(find "$dst" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'id:*' \) | wc -l) artifact(s), $([[ ${d##*/} == .report-* ]] && echo "a killed night" || echo "triage not complete")")
	else
		rm -rf "$dst"
		carry_notes+=("$(rel "$d"): could not copy its artifacts; left pending")
		failed=1
	fi
done
((${#carried[@]} == 0)) || echo "== carried: ${#carried[@]} earlier night(s) with artifacts no complete triage has read" >&2

# ---- processes: every fuzzer, merge and triage leads a process group of its own ----
children=() interrupted=0 term_at=0 now=0
tick() { now=${EPOCHREALTIME/./}; now=$((10#$now / 1000)); } # ms
alive() { # any process left in the children's groups (libFuzzer -fork's jobs outlive it)
	local p
	for p in "${children[@]}"; do
		# the pid itself first: just after the fork, setsid may not have made the group yet
		kill -0 "$p" 2>/dev/null || kill -0 -- "-$p" 2>/dev/null && return 0
	done
	return 1
}
signal_children() {
	local p
	for p in "${children[@]}"; do kill -"$1" -- "-$p" 2>/dev/null || kill -"$1" "$p" 2>/dev/null; done
}
# spawn LOG VAR=VAL... -- CMD...: start CMD with the environment given, in a new session.
spawn() {
	local log=$1 envs=()
	shift
	while [[ $1 != -- ]]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" setsid "$@" </dev/null >"$log" 2>&1 &
	children+=($!)
}
# shellcheck disable=SC2317  # invoked from the trap
on_signal() {
	if ((interrupted)); then
		echo "$prog: interrupted again; still stopping" >&2
	else
		echo "$prog: interrupted: stopping; the corpus cache keeps its last complete state" >&2
	fi
	interrupted=1
	tick
	term_at=$now
	signal_children TERM
}
# shellcheck disable=SC2317  # invoked from the trap
on_exit() {
	signal_children KILL
	rm -f "$blog"
	rm -rf "$work" 2>/dev/null
	[[ -z ${merge_tmp:-} ]] || rm -rf "$merge_tmp" 2>/dev/null
}
trap on_signal INT TERM HUP
trap on_exit EXIT

# watch LIMIT_S PROGRESS_FN: wait for the children; PROGRESS_FN every 10 s with the
# seconds elapsed. LIMIT_S + 10 % (at least 10 s) in, they get a SIGTERM (libFuzzer -fork
# stops starting jobs at -max_total_time but waits for the running ones, whose length
# grows with the job number); 60 s later, or 15 s after an interrupt, a SIGKILL (stuck).
# Sets rcs (exit codes, in order), secs (wall, one decimal), soft_stopped, stuck.
watch() {
	local limit=$1 progress=$2 t0 el next=10 p rc soft
	stuck=0 soft_stopped=0
	soft=$((limit + (limit / 10 > 10 ? limit / 10 : 10)))
	tick
	t0=$now
	while alive; do
		sleep 0.5 || true # a Ctrl-C on a tty kills the sleep too; the trap does the rest
		tick
		el=$(((now - t0) / 1000))
		if ((el >= next)); then
			next=$((el + 10))
			((interrupted)) || "$progress" "$el"
		fi
		if ((!soft_stopped && !interrupted && el > soft)); then
			echo "$prog: $cur_t: $el s into a $limit s budget; stopping it" >&2
			soft_stopped=1
			signal_children TERM
		fi
		if ((!stuck && soft_stopped && el > soft + 60)); then
			echo "$prog: $cur_t: still running after a SIGTERM; killing it" >&2
			stuck=1
			signal_children KILL
		fi
		if ((interrupted || soft_stopped)); then
			# again: a job the engine started while the first signal was on its way
			if ((interrupted && now - term_at > 15000)); then signal_children KILL; else signal_children TERM; fi
		fi
	done
	rcs=()
	for p in "${children[@]}"; do
		rc=0
		wait "$p" 2>/dev/null || rc=$?
		rcs+=("$rc")
	done
	children=()
	tick
	secs=$(((now - t0) / 100))
	secs=$((secs / 10)).$((secs % 10))
}

count_files() { # DIR [find predicates]: regular files directly in DIR
	local d=$1
	shift
	[[ -d $d ]] || { echo 0; return; }
	find -L "$d" -maxdepth 1 -type f "$@" 2>/dev/null | wc -l
}

# ---- per target ----
declare -A r_engine=() r_execs=() r_eps=() r_edges=() r_corpus=() r_status=() r_secs=() r_cache_before=()
declare -A r_new=() r_known=() r_san=() r_afl_edges=() why_fuzz=()
done_targets=()
fuzz_total=0 # ms of fuzzing so far
ntargets=${#targets[@]}
if [[ $engine == libfuzzer ]]; then engine_desc="libFuzzer -fork=$jobs"; else engine_desc="AFL++ -M main (CmpLog) + $((jobs - 1)) -S"; fi

# The target's [libfuzzer] options (OSS-Fuzz .options format) as -key=value flags; the
# dictionary comes from the build.
lf_options() {
	local f=$root/targets/$1/fuzz_$1.options
	[[ -f $f ]] || return 0
	awk -F' *= *' '
		/^[ \t]*\[/ { sec = $0; gsub(/[][ \t]/, "", sec); next }
		sec == "libfuzzer" && NF == 2 && $1 !~ /^[ \t]*#/ {
			k = $1; gsub(/[ \t]/, "", k); v = $2; gsub(/[ \t\r]/, "", v)
			if (k != "dict" && k != "") print "-" k "=" v
		}' "$f"
}
option_value() { # TARGET KEY DEFAULT: a [libfuzzer] option
	local v
	v=$(lf_options "$1" | sed -n "s/^-$2=//p" | tail -n 1)
	printf '%s' "${v:-$3}"
}

# Seeds: the cache, corpora/<t>/ and the kept regressions (contained on hardened, the
# closest known inputs to an escape); a profile other than hardened also reads (never
# writes) the hardened cache.
seed_dirs() {
	local t=$1 d
	seeds=()
	for d in "$cdir/$t" "$root/corpora/$t" "$root/corpora/regressions/$t"; do
		[[ -d $d ]] && seeds+=("$d")
	done
	[[ $profile != hardened && -d $out/corpus/$t ]] && seeds+=("$out/corpus/$t")
}

# Last libFuzzer -fork status line of LOG as "execs features corpus":
#   #56731: cov: 341 ft: 341 corp: 6 exec/s 28365 oom/timeout/crash: 0/0/0 time: 2s ...
# (its cov: is not used: clang 14's fork mode adds the seeds' features to it)
lf_status() {
	tac "$1" 2>/dev/null | grep -a -m 1 -E '^#[0-9]+: cov: ' | awk '{
		x = $1; gsub(/[#:]/, "", x)
		for (i = 2; i < NF; i++) { if ($i == "ft:") c = $(i + 1); if ($i == "corp:") k = $(i + 1) }
		print x, c, k }'
}
# AFL++ instances of one output folder as "execs edges corpus crashes": the final
# fuzzer_stats, else the last plot_data lines (every 5 s).
afl_status() {
	local d=$1 f x=0 e=0 c=0 n=0 line a b k
	for f in "$d"/*/; do
		[[ -d $f ]] || continue
		line=''
		if [[ -f $f/fuzzer_stats ]]; then
			line=$(awk -F' *: *' '$1 == "execs_done" { x = $2 } $1 == "edges_found" { e = $2 }
				$1 == "corpus_count" { c = $2 } END { print x + 0, e + 0, c + 0 }' "$f/fuzzer_stats")
		elif [[ -f $f/plot_data ]]; then
			line=$(tail -n 1 "$f/plot_data" | awk -F', *' '!/^#/ && NF >= 13 { print $12 + 0, $13 + 0, $4 + 0 }')
		fi
		[[ -n $line ]] || continue
		read -r a b k <<<"$line"
		x=$((x + a))
		((b > e)) && e=$b
		((k > c)) && c=$k
	done
	n=$(find "$d" -mindepth 3 -maxdepth 3 -type f -name 'id:*' \( -path '*/crashes/*' -o -path '*/hangs/*' \) 2>/dev/null | wc -l)
	echo "$x $e $c $n"
}

cur_t='' cur_i=0 cur_per=0
progress_lf() {
	local x c k n eps
	read -r x c k < <(lf_status "$work/$cur_t/fuzz.log"; echo) || true
	n=$(count_files "$rtmp/artifacts/$cur_t")
	eps=$(((${x:-0}) / ($1 > 0 ? $1 : 1)))
	printf '[%5ds] %s (%d/%d) %d/%d s: %s execs (%d/s), %s features, corpus %s, artifacts %d\n' \
		$((fuzz_total / 1000 + $1)) "$cur_t" "$cur_i" "$ntargets" "$1" "$cur_per" "${x:-0}" "$eps" "${c:-?}" "${k:-?}" "$n" >&2
}
progress_afl() {
	local x c k n eps
	read -r x c k n < <(afl_status "$work/$cur_t/afl")
	eps=$((x / ($1 > 0 ? $1 : 1)))
	printf '[%5ds] %s (%d/%d) %d/%d s: %s execs (%d/s), %s edges, corpus %s, crashes+hangs %d\n' \
		$((fuzz_total / 1000 + $1)) "$cur_t" "$cur_i" "$ntargets" "$1" "$cur_per" "$x" "$eps" "$c" "$k" "$n" >&2
}
progress_quiet() { echo "[      ] $cur_t: $2 ($1 s)" >&2; }
progress_merge() { progress_quiet "$1" "merging the corpus"; }
progress_probe() { progress_quiet "$1" "probing"; }

# keep_artifacts DIR T: a crash, leak, timeout or OOM that a probe or a merge run left in
# DIR (under the work folder, removed at exit) is a finding too: into the report's
# artifacts/T/, which triage reads.
keep_artifacts() {
	local f
	for f in "$1"/crash-* "$1"/leak-* "$1"/timeout-* "$1"/oom-*; do
		[[ -f $f ]] || continue
		mkdir -p "$rtmp/artifacts/$2" && safe mv -n "$f" "$rtmp/artifacts/$2/"
	done
}

# The target's code can refuse to run here (a kernel feature missing: exit 77 with "cannot
# run on this machine"). The seeds and regressions are run once first, escapes counted,
# not fatal: an unavailable target is skipped, not failed, and its budget goes to the rest.
probe() {
	local t=$1 d pd=$work/$1/probe
	mkdir -p "$pd/empty" "$pd/art"
	local dirs=("$pd/empty")
	for d in "$root/corpora/$t" "$root/corpora/regressions/$t"; do [[ -d $d ]] && dirs+=("$d"); done
	spawn "$pd/log" ESCAPADE_PROFILE="$profile" ESCAPADE_CONTINUE=1 TMPDIR="$work/tmp" -- \
		"$lfdir/targets/$t/fuzz_$t" -runs=0 -timeout=25 -artifact_prefix="$pd/art/" "${dirs[@]}"
	watch 120 progress_probe
	keep_artifacts "$pd/art" "$t"
	! grep -aq 'cannot run on this machine' "$pd/log"
}

# merge T SOURCES...: libFuzzer -merge=1 of SOURCES into a fresh folder, renamed and
# swapped in only once the merge completed. Sets merged (1 or 0) and merge_note.
merge_tmp=''
merge() {
	local t=$1 log=$rtmp/logs/$1.merge.log final link=$cdir/$1 old=''
	shift
	merged=0 merge_note=''
	final=$cdir/.$t.${name#report-}
	merge_tmp=$final.tmp
	rm -rf "$merge_tmp"
	mkdir -p "$merge_tmp" "$work/$t/merge-art" || { merge_note="cannot create $merge_tmp"; return; }
	# ESCAPADE_CONTINUE=1: an input that escapes under this profile stays in the cache
	# (libFuzzer would drop an input that aborts).
	spawn "$log" ESCAPADE_PROFILE="$profile" ESCAPADE_CONTINUE=1 TMPDIR="$work/tmp" -- \
		"$lfdir/targets/$t/fuzz_$t" -merge=1 -timeout=25 -artifact_prefix="$work/$t/merge-art/" "$merge_tmp" "$@"
	watch 900 progress_merge
	keep_artifacts "$work/$t/merge-art" "$t"
	if ((stuck || soft_stopped || rcs[0] != 0)) || ! grep -aq '^MERGE-OUTER: .* new files' "$log"; then
		if ((interrupted)); then
			merge_note="interrupted while merging: cache kept as it was"
		else
			merge_note="merge failed (exit ${rcs[0]}; log $(rel "$log")): cache kept as it was"
			failed=1
		fi
	elif ! safe mv -T "$merge_tmp" "$final"; then
		merge_note="cannot rename $merge_tmp: cache kept as it was"
		failed=1
	else
		merge_tmp=''
		# the swap: one rename of a symlink; a cache left as a plain folder (an older
		# layout, or made by hand) is renamed aside first and removed with the old one
		if [[ -L $link ]]; then
			old=$(readlink "$link")
		elif [[ -d $link ]]; then
			old=.$t.plain-${name#report-}
			safe mv -T "$link" "$cdir/$old"
		fi
		if safe ln -sfn "${final##*/}" "$cdir/.$t.link.tmp" && safe mv -Tf "$cdir/.$t.link.tmp" "$link"; then
			merged=1
			[[ -z $old || $old == */* ]] || rm -rf "${cdir:?}/$old"
		else
			merge_note="cannot swap $link: cache kept as it was"
			failed=1
		fi
	fi
	[[ -z $merge_tmp ]] || rm -rf "$merge_tmp"
	merge_tmp=''
}

run_libfuzzer() {
	local t=$1 arts=$rtmp/artifacts/$1 log=$work/$1/fuzz.log
	local -a flags
	mkdir -p "$arts" "$work/$t/new"
	# -fork: the inner processes share the cores; -ignore_*: a crash, timeout or OOM is
	# kept as an artifact and the night goes on.
	flags=(-fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -timeout=25
		-print_final_stats=1)
	mapfile -t -O ${#flags[@]} flags < <(lf_options "$t")
	flags+=(-max_total_time="$cur_per" -artifact_prefix="$arts/")
	[[ -f $lfdir/targets/$t/fuzz_$t.dict ]] && flags+=(-dict="$lfdir/targets/$t/fuzz_$t.dict")
	# ESCAPADE_CONTINUE=0: an inherited 1 would count escapes instead of keeping them.
	spawn "$log" ESCAPADE_PROFILE="$profile" ESCAPADE_CONTINUE=0 TMPDIR="$work/tmp" -- \
		"$lfdir/targets/$t/fuzz_$t" "${flags[@]}" "$work/$t/new" "${seeds[@]}"
	watch "$cur_per" progress_lf
	cp -f "$log" "$rtmp/logs/$t.log" 2>/dev/null
	local x c k
	read -r x c k < <(lf_status "$log"; echo) || true
	r_execs[$t]=${x:-0} r_corpus[$t]=${k:--}
	nfound=$(count_files "$arts")
	fuzz_rc=${rcs[0]}
	fuzz_ok=1
	# exit 77 (-error_exitcode) after crashes were ignored is the normal end of a night
	# that found something; 72 is an interrupt.
	((fuzz_rc == 0 || (fuzz_rc == 77 && nfound > 0) || soft_stopped || interrupted)) || fuzz_ok=0
}

run_afl() {
	local t=$1 in=$work/$1/in aout=$work/$1/afl d f i
	local tmo
	tmo=$(($(option_value "$t" timeout 25) * 1000))
	mkdir -p "$in" "$work/$t/new"
	for d in "${seeds[@]}"; do
		i=0
		while IFS= read -r -d '' f; do
			cp -f "$f" "$in/$(basename "$d")-$((i++))" 2>/dev/null
		done < <(find -L "$d" -maxdepth 1 -type f -print0)
	done
	printf '\0' >"$in/nightly-one-byte" # afl-fuzz refuses an empty -i, and crashing-only seeds
	local -a envs=(ESCAPADE_PROFILE="$profile" ESCAPADE_CONTINUE=0 TMPDIR="$work/tmp"
		AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
		AFL_CUSTOM_MUTATOR_LIBRARY="$afldir/targets/$t/afl_mutator_$t.so")
	local -a common=(-i "$in" -o "$aout" -V "$cur_per" -t "$tmo")
	[[ -f $afldir/targets/$t/fuzz_$t.dict ]] && common+=(-x "$afldir/targets/$t/fuzz_$t.dict")
	spawn "$work/$t/afl-main.log" "${envs[@]}" -- afl-fuzz -M main "${common[@]}" \
		-c "$cmpdir/targets/$t/fuzz_$t" -- "$afldir/targets/$t/fuzz_$t"
	for ((i = 1; i < jobs; i++)); do
		sleep 1 # -S instances find the main's output folder made
		spawn "$work/$t/afl-s$i.log" "${envs[@]}" -- afl-fuzz -S "s$i" "${common[@]}" -- "$afldir/targets/$t/fuzz_$t"
	done
	watch "$cur_per" progress_afl
	local x c k n inst
	read -r x c k n < <(afl_status "$aout")
	r_execs[$t]=$x r_edges[$t]=$c r_corpus[$t]=$k r_afl_edges[$t]=$c
	# crashes, hangs and stats into the report (AFL++ layout, under a folder named after
	# the target for triage); the queues into the merge
	for d in "$aout"/*/; do
		[[ -d $d ]] || continue
		inst=$(basename "$d")
		for f in crashes hangs; do
			[[ -n $(find "$d$f" -maxdepth 1 -name 'id:*' -print -quit 2>/dev/null) ]] || continue
			mkdir -p "$rtmp/afl/$t/$inst/$f"
			find "$d$f" -maxdepth 1 -type f -name 'id:*' -exec cp -f {} "$rtmp/afl/$t/$inst/$f/" \;
		done
		[[ -f ${d}fuzzer_stats ]] && mkdir -p "$rtmp/afl/$t/$inst" && cp -f "${d}fuzzer_stats" "$rtmp/afl/$t/$inst/"
		find "${d}queue" -maxdepth 1 -type f -name 'id:*' -exec cp -f -t "$work/$t/new" {} + 2>/dev/null
		# AFL++ names are not unique across instances: keep each instance's own copy
		for f in "$work/$t/new"/id:*; do [[ -e $f ]] && mv -f "$f" "$work/$t/new/$inst-${f##*/}"; done
	done
	for f in "$work/$t"/afl-*.log; do [[ -e $f ]] && cp -f "$f" "$rtmp/logs/$t.${f##*/}"; done
	nfound=$(find "$rtmp/afl/$t" -mindepth 3 -maxdepth 3 -type f -name 'id:*' 2>/dev/null | wc -l)
	fuzz_ok=1 fuzz_rc=0
	for i in "${rcs[@]}"; do ((i == 0)) || fuzz_rc=$i; done
	((fuzz_rc == 0 || soft_stopped || interrupted)) || fuzz_ok=0
}

tick
night_t0=$now
echo "== nightly $name: ${#targets[@]} target(s), profile $profile, $budget s of fuzzing, $engine_desc, out $(rel "$out")" >&2
declare -A merge_notes=()
for ((ti = 0; ti < ntargets; ti++)); do
	((interrupted)) && break
	t=${targets[ti]}
	cur_t=$t cur_i=$((ti + 1))
	mkdir -p "$work/$t"
	r_engine[$t]=$engine r_secs[$t]=- r_execs[$t]=- r_eps[$t]=- r_edges[$t]=- r_corpus[$t]=- r_status[$t]=interrupted
	r_cache_before[$t]=$(count_files "$cdir/$t")
	done_targets+=("$t")
	if ! probe "$t"; then
		r_status[$t]=unavailable r_secs[$t]=0 r_execs[$t]=- r_eps[$t]=- r_edges[$t]=- r_corpus[$t]=-
		echo "-- $t: cannot run on this machine (probe: $(grep -a -m 1 'cannot run on this machine' "$work/$t/probe/log")); skipped, its budget goes to the others" >&2
		continue
	fi
	((interrupted)) && break
	cur_per=$(((budget * 1000 - fuzz_total) / 1000 / (ntargets - ti)))
	((cur_per >= 1)) || cur_per=1
	seed_dirs "$t"
	nseeds=0
	for d in "${seeds[@]}"; do nseeds=$((nseeds + $(count_files "$d"))); done
	echo "-- $t: $cur_per s, $engine_desc, $nseeds seed file(s) from ${#seeds[@]} folder(s), cache $(rel "$cdir/$t") (${r_cache_before[$t]} files)" >&2
	tick
	t_start=$now
	nfound=0 fuzz_rc=0 fuzz_ok=1
	if [[ $engine == libfuzzer ]]; then run_libfuzzer "$t"; else run_afl "$t"; fi
	tick
	fuzz_total=$((fuzz_total + now - t_start))
	r_secs[$t]=$secs
	r_eps[$t]=$(awk -v e="${r_execs[$t]}" -v s="$secs" 'BEGIN { printf "%d", (s > 0 && e ~ /^[0-9]+$/ ? e / s : 0) }')
	if ((interrupted)); then
		r_status[$t]=interrupted
	elif ((stuck)); then
		r_status[$t]="stuck (killed)"
		failed=1
	elif ((!fuzz_ok)); then
		r_status[$t]="error (exit $fuzz_rc)"
		failed=1
		# the engine's own words: AFL++'s "PROGRAM ABORT", libFuzzer's "ERROR:"
		why_fuzz[$t]=$(cat "$rtmp/logs/$t".* 2>/dev/null | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[()][A-Z0-9]//g' |
			grep -a -E -A1 'PROGRAM ABORT|ERROR:|[Ee]rror:' | grep -a -v '^--$' | tail -n 2 | tr -s ' \n' ' ')
	else
		r_status[$t]=ok
	fi
	echo "-- $t: ${r_status[$t]} after $secs s: ${r_execs[$t]} execs (${r_eps[$t]}/s), $nfound artifact(s)" >&2
	if ((interrupted)); then
		merge_notes[$t]="interrupted while fuzzing: no merge, cache kept as it was"
		break
	fi
	# the new inputs, the cache, the seeds and the regressions, minimized into a new cache
	msrc=("$work/$t/new")
	for d in "$cdir/$t" "$root/corpora/$t" "$root/corpora/regressions/$t"; do [[ -d $d ]] && msrc+=("$d"); done
	merge "$t" "${msrc[@]}"
	if ((merged)); then
		# the table's coverage: edges of the whole merged corpus as libFuzzer counts them
		# (the same measure for both engines; MERGE-OUTER's count, into an empty folder)
		r_corpus[$t]=$(count_files "$cdir/$t")
		r_edges[$t]=$(sed -n 's/^MERGE-OUTER: .* \([0-9][0-9]*\) new coverage edges.*/\1/p' "$rtmp/logs/$t.merge.log" | tail -n 1)
		: "${r_edges[$t]:=-}"
		merge_notes[$t]="merged: ${r_cache_before[$t]} -> ${r_corpus[$t]} files, ${r_edges[$t]} edges${r_afl_edges[$t]:+ (AFL++ edges_found ${r_afl_edges[$t]})}"
	else
		merge_notes[$t]=$merge_note
	fi
	echo "-- $t: cache ${merge_notes[$t]}" >&2
done

# ---- the report: rename into place (paths in the triage report are final), triage ----
for d in "$work"/*/; do # artifacts of targets that turned out unavailable are no findings
	t=$(basename "$d")
	[[ ${r_status[$t]:-} == unavailable ]] && rm -rf "$rtmp/artifacts/$t" "$rtmp/afl/$t"
done
# .pending stays until a triage of its artifacts completes (this night's, or a later one's)
has_artifacts "$rtmp" || ((${#carried[@]})) || rm -f "$rtmp/.pending"
if ! safe mv -T "$rtmp" "$report"; then
	echo "$prog: cannot rename $rtmp to $report" >&2
	exit 2
fi
tri=$report/triage
triage_inputs=()
for d in "$report/artifacts" "$report/afl" "$report/carried"; do
	[[ -n $(find "$d" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'id:*' \) -print -quit 2>/dev/null) ]] &&
		triage_inputs+=("$d")
done
# Open findings: the minimized scenario of every new finding of earlier nights stays in
# DIR/findings/<t>/ and is triaged again each night, so an escape stays reported (and the
# night fails) until it is recorded as a regression (then triage calls it known) or fixed
# (then it no longer reproduces); the fuzzers alone might not find it again.
if [[ $profile == hardened ]]; then fdir=$out/findings; else fdir=$out/findings-$profile; fi
open_findings=()
for t in "${done_targets[@]}"; do
	[[ ${r_status[$t]} == unavailable ]] && continue
	for f in "$fdir/$t"/*.scn; do [[ -f $f ]] && open_findings+=("$f"); done
done
triage_state=skipped triage_rc=''
if ((interrupted)); then
	triage_state=interrupted
elif ((${#triage_inputs[@]} + ${#open_findings[@]} == 0)); then
	trap '' INT TERM HUP # from here on a few quick steps, all of them to the end
	# Nothing to triage: an empty report in the same form (an empty SARIF closes the
	# alerts of earlier nights in code scanning).
	mkdir -p "$tri.tmp" && python3 - "$tri.tmp" "$profile" "$root/corpora/regressions" <<-'EOF' && mv -T "$tri.tmp" "$tri" && triage_state=empty
		import json, sys
		d, prof, regs = sys.argv[1:4]
		rep = {"tool": "escapade", "profile": prof, "regressions": regs,
		       "inputs": {"read": 0, "skipped": 0, "not_reproduced": 0, "ignored": 0},
		       "findings": {"total": 0, "new": 0, "known": 0},
		       "entries": [], "skipped": [], "not_reproduced": []}
		sarif = {"$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
		         "version": "2.1.0",
		         "runs": [{"tool": {"driver": {"name": "escapade", "rules": []}}, "results": []}]}
		for name, obj in (("report.json", rep), ("report.sarif", sarif)):
		    with open(f"{d}/{name}", "w") as f:
		        json.dump(obj, f, indent=2)
		        f.write("\n")
		with open(f"{d}/summary.md", "w") as f:
		    f.write(f"# escapade triage: 0 findings\n\nThe fuzzers kept no artifact under profile `{prof}`: nothing to triage.\n")
	EOF
	[[ $triage_state == empty ]] || { rm -rf "$tri.tmp"; triage_state=failed; failed=1; }
else
	echo "== triage: $(for d in "${triage_inputs[@]}"; do rel "$d"; printf ' '; done)$( ((${#open_findings[@]})) && printf '+ %d open finding(s) ' ${#open_findings[@]})-> $(rel "$tri")" >&2
	cur_t=triage
	spawn "$report/logs/triage.log" ESCAPADE_PROFILE="$profile" -- \
		"$esc" triage "${triage_inputs[@]}" "${open_findings[@]}" -o "$tri" --force --profile "$profile" \
		--regressions "$root/corpora/regressions"
	progress_triage() { progress_quiet "$1" "replaying, minimizing, deduplicating"; }
	watch 3600 progress_triage
	trap '' INT TERM HUP # from here on a few quick steps, all of them to the end
	triage_rc=${rcs[0]}
	if ((interrupted)); then
		triage_state=interrupted
	elif [[ -f $tri/report.json ]] && ((triage_rc == 0 || triage_rc == 1)); then
		triage_state=complete
	else
		triage_state=failed
		failed=1
		tail -n 5 "$report/logs/triage.log" >&2
	fi
fi

trap '' INT TERM HUP

# The report is complete: what it read is no longer pending, here or where it was carried
# from (the copies stay in carried/).
released=()
if [[ $triage_state == complete || $triage_state == empty ]]; then
	for d in "${carried[@]}"; do
		release "$d" && released+=("$(rel "$d")")
	done
	rm -f "$report/.pending"
fi

# Findings per target from report.json. An escape triage calls known is a regression
# when the kept file it matches expects this profile to contain it.
regressed_lines=() finding_lines=() notrep=0 skipped=0
for t in "${done_targets[@]}"; do r_new[$t]=0 r_known[$t]=0 r_san[$t]=0; done
if [[ $triage_state == complete || $triage_state == empty ]]; then
	while IFS=$'\t' read -r tag a b c d e; do
		case $tag in
		counts) notrep=$a skipped=$b ;;
		entry) # target class status regressed line, in triage's rank order
			if [[ $b != escape ]]; then
				r_san[$a]=$((${r_san[$a]:-0} + 1))
			elif [[ $c == new ]]; then
				r_new[$a]=$((${r_new[$a]:-0} + 1))
			else
				r_known[$a]=$((${r_known[$a]:-0} + 1))
			fi
			[[ $d == 1 ]] && regressed_lines+=("$e")
			finding_lines+=("$e") ;;
		esac
	done < <(python3 - "$tri/report.json" "$profile" <<-'EOF'
		import json, re, sys
		rep, prof = json.load(open(sys.argv[1])), sys.argv[2]
		print("counts\t%d\t%d" % (rep["inputs"]["not_reproduced"], rep["inputs"]["skipped"]))
		for e in rep["entries"]:
		    regressed = 0
		    if e["class"] == "escape" and e["status"] == "known" and e.get("known_as"):
		        try:
		            with open(e["known_as"]) as f:
		                m = re.search(r"^expect[ \t]+" + re.escape(prof) + r"[ \t]+(\S+)", f.read(), re.M)
		            regressed = int(bool(m) and m.group(1) == "contained")
		        except OSError:
		            pass
		    line = "%s %s `%s` (severity %.1f, %s%d input(s))" % (
		        "REGRESSED" if regressed else e["status"], e["class"], e["signature"],
		        e["severity"], "flaky, " if e["flaky"] else "", len(e["inputs"]))
		    if regressed:
		        line += ": kept as %s, which expects %s contained" % (e["known_as"], prof)
		    elif e["class"] == "escape" and e.get("verdict"):
		        line += ": " + e["verdict"].get("summary", "")
		    elif e.get("crash"):
		        line += ": " + str(e["crash"].get("type", ""))
		    line += ". Reproduce with: `%s`" % e["reproduce"]
		    print("\t".join(["entry", e["target"], e["class"], e["status"], str(regressed),
		                     line.replace("\t", " ").replace("\n", " ")]))
	EOF
	)
fi

# The open findings after this night: new ones added, recorded or fixed ones closed.
finding_notes=()
if [[ $triage_state == complete ]]; then
	while IFS=$'\t' read -r act a b; do
		case $act in
		add)
			if mkdir -p "${b%/*}" && safe cp -f "$a" "$b.tmp" && safe mv -f "$b.tmp" "$b"; then
				finding_notes+=("opened $(rel "$b")")
			else
				rm -f "$b.tmp"
				finding_notes+=("COULD NOT open $(rel "$b") (the finding is in triage/ only)")
				failed=1
			fi ;;
		drop) safe rm -f "$a" && finding_notes+=("closed $(rel "$a"): $b") ;;
		keep) finding_notes+=("still open $(rel "$a"): $b") ;;
		esac
	done < <(python3 - "$tri/report.json" "$tri" "$fdir" "${open_findings[@]}" <<-'EOF'
		import json, os, sys
		rep, tri, fdir = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
		opened = {os.path.realpath(p): p for p in sys.argv[4:]}
		seen = set()
		for e in rep["entries"]:
		    mine = [opened[os.path.realpath(p)] for p in e["inputs"] if os.path.realpath(p) in opened]
		    seen.update(mine)
		    for p in mine:
		        if e["status"] == "known":
		            print("drop\t%s\trecorded as %s" % (p, e.get("known_as") or "a regression"))
		        else:
		            print("keep\t%s\tstill reproduces" % p)
		    scn = os.path.join(tri, e["id"] + ".scn")
		    if e["status"] == "new" and not mine and os.path.isfile(scn):
		        print("add\t%s\t%s" % (scn, os.path.join(fdir, e["target"], e["id"] + ".scn")))
		for n in rep["not_reproduced"]:
		    p = opened.get(os.path.realpath(n["path"]))
		    if p and p not in seen:
		        seen.add(p)
		        print("drop\t%s\tno longer reproduces (fixed?)" % p)
		for p in opened.values():
		    if p not in seen:
		        print("keep\t%s\tnot replayed (%s)" % (p, "skipped by triage"))
	EOF
	)
fi

# ---- exit status ----
nnew=0 nsan=0
for t in "${done_targets[@]}"; do nnew=$((nnew + r_new[$t])); nsan=$((nsan + r_san[$t])); done
available=0
for t in "${done_targets[@]}"; do [[ ${r_status[$t]} == unavailable ]] || available=1; done
if ((interrupted)); then
	exit_code=130
elif ((nnew || nsan || ${#regressed_lines[@]})); then
	exit_code=1
elif ((failed || !available)); then
	exit_code=2
else
	exit_code=0
fi

# ---- closing table, summary.md, results.tsv ----
tsv=$(
	printf 'target\tengine\tseconds\texecs\texecs/s\tedges\tcorpus\tnew escapes\tknown escapes\tsanitizer\tstatus\n'
	for t in "${done_targets[@]}"; do
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${r_engine[$t]}" "${r_secs[$t]}" "${r_execs[$t]}" \
			"${r_eps[$t]}" "${r_edges[$t]}" "${r_corpus[$t]}" "${r_new[$t]}" "${r_known[$t]}" \
			"${r_san[$t]}" "${r_status[$t]}"
	done
)
table=$(awk -F'\t' '
	{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
	END {
		left[1] = left[2] = left[11] = 1
		for (r = 1; r <= NR; r++) {
			line = "|"
			for (i = 1; i <= NF; i++)
				line = line sprintf(left[i] ? " %-*s |" : " %*s |", w[i], cell[r, i])
			print line
			if (r == 1) {
				line = "|"
				for (i = 1; i <= NF; i++) {
					d = sprintf("%*s", w[i], ""); gsub(/ /, "-", d)
					line = line (left[i] ? " " d " |" : " " substr(d, 2) ": |")
				}
				print line
			}
		}
	}' <<<"$tsv")
tick
wall=$(((now - night_t0) / 1000))
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
summary=$(
	echo "# escapade nightly $name"
	echo
	echo "Profile \`$profile\`, $engine_desc, $budget s of fuzzing in all ($((fuzz_total / 1000)) s used, $wall s with probe, merge and triage); commit $commit, $(nproc 2>/dev/null || echo '?') CPUs."
	echo
	echo "$table"
	for t in "${targets[@]}"; do
		[[ -n ${r_status[$t]:-} ]] || echo "- $t: not run (interrupted)"
	done
	echo
	echo "Corpus cache $(rel "$cdir")/:"
	for t in "${done_targets[@]}"; do
		echo "- $t: ${merge_notes[$t]:-not touched (${r_status[$t]})}"
	done
	for t in "${done_targets[@]}"; do
		[[ -z ${why_fuzz[$t]:-} ]] || printf '\n%s %s: %s (logs/%s.*)\n' "$t" "${r_status[$t]}" "${why_fuzz[$t]}" "$t"
	done
	echo
	case $triage_state in
	complete) echo "Triage: [triage/summary.md](triage/summary.md) (report.json, report.sarif): $(awk '/^# /{ sub(/^# escapade triage: /, ""); print; exit }' "$tri/summary.md"); $notrep artifact(s) not reproduced, $skipped skipped." ;;
	empty) echo "Triage: no artifact, nothing to triage (triage/ holds an empty report.json and report.sarif)." ;;
	interrupted)
		if ((${#triage_inputs[@]})); then
			echo "Triage: not run (interrupted). Triage what the fuzzers kept with"
			echo "\`$(rel "$esc") triage $(for d in "${triage_inputs[@]}"; do printf '%s ' "$(rel "$d")"; done)-o $(rel "$tri") --profile $profile --regressions corpora/regressions\`."
		else
			echo "Triage: not run (interrupted); the fuzzers had kept no artifact."
		fi ;;
	failed) echo "Triage: FAILED (exit ${triage_rc:-?}; log logs/triage.log); the artifacts are under $(rel "$report")." ;;
	esac
	if ((${#carry_notes[@]})); then
		echo
		echo "Carried over (artifacts of earlier nights no complete triage had read, under carried/):"
		for l in "${carry_notes[@]}"; do echo "- $l"; done
		if ((${#released[@]})); then
			echo "- triaged now: released $(printf '%s ' "${released[@]}")"
		else
			echo "- still pending: they are carried again by the next night"
		fi
	fi
	if [[ -e $report/.pending ]]; then
		echo
		echo "Pending: this report's artifacts were not triaged; the next night triages them (or run the triage above)."
	fi
	if ((${#finding_notes[@]})); then
		echo
		echo "Open findings $(rel "$fdir")/ (triaged again every night until recorded or fixed):"
		for l in "${finding_notes[@]}"; do echo "- $l"; done
	fi
	if ((${#finding_lines[@]})); then
		echo
		for ((k = 0; k < ${#finding_lines[@]} && k < 15; k++)); do echo "- ${finding_lines[k]}"; done
		((${#finding_lines[@]} <= 15)) || echo "- ... and $((${#finding_lines[@]} - 15)) more in triage/summary.md"
		echo
		first_new=$(printf '%s\n' "${finding_lines[@]}" | sed -n 's/^new escape .*Reproduce with: `escapade repro \([^ ]*\.scn\) .*/\1/p' | head -n 1)
		[[ -z $first_new ]] ||
			echo "Keep a new escape as a regression (ctest replays it from then on): \`escapade record $first_new --profile $profile\`."
	fi
	echo
	case $exit_code in
	0) echo "Result: nothing new on profile $profile: no new escape, no sanitizer finding, every kept regression held." ;;
	1) echo "Result: FINDINGS on profile $profile: $nnew new escape(s), $nsan sanitizer finding(s), ${#regressed_lines[@]} regression(s) escaped again." ;;
	2) if ((!available)); then echo "Result: could not run: no target can run on this machine."
		else echo "Result: could not run cleanly: $(for t in "${done_targets[@]}"; do [[ ${r_status[$t]} == ok || ${r_status[$t]} == unavailable ]] || printf '%s %s; ' "$t" "${r_status[$t]}"; done)triage ${triage_state}; see logs/."; fi ;;
	130) echo "Result: INTERRUPTED: partial report (the corpus cache keeps its last complete state; \`latest\` not moved)." ;;
	esac
)
write_atomic() { # FILE TEXT
	local tmp
	if ! { tmp=$(mktemp "$1.XXXXXX") && printf '%s\n' "$2" >"$tmp" && chmod 644 "$tmp" && safe mv -f "$tmp" "$1"; }; then
		rm -f "${tmp:-}"
		echo "$prog: warning: could not write $1" >&2
	fi
}
write_atomic "$report/results.tsv" "$tsv"
write_atomic "$report/summary.md" "$summary" # last: a report with summary.md is whole
if ((!interrupted)); then
	safe ln -sfn "$name" "$out/.latest.tmp" && safe mv -Tf "$out/.latest.tmp" "$out/latest" ||
		echo "$prog: warning: could not update $out/latest" >&2
fi
echo
printf '%s\n' "$summary"
echo
echo "Report: $(rel "$report")/ (exit $exit_code)"
exit "$exit_code"
}
