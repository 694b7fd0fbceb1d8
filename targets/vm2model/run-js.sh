#!/usr/bin/env bash
# Runs a program emitted by `escapade repro FILE --emit js` against a real vm2 release:
# installs vm2@VERSION from the npm registry into a scratch directory (kept in a cache,
# $ESCAPADE_VM2_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/escapade/vm2), then runs
# `node FILE.js` there with NODE_PATH set. Prints the program's marker lines
# (ESCAPADE: ...) and a summary line; with -v every line of its output.
#
#   targets/vm2model/run-js.sh [-v] VERSION FILE.js
#
# Exit 0 when the program ran (whatever it printed), 2 usage error, 3 could not install
# or run (no node/npm, registry unreachable, the program crashed or timed out).
set -euo pipefail
prog=${0##*/}
usage="usage: $prog [-v] VERSION FILE.js"
verbose=0
if [[ ${1-} == -v ]]; then
	verbose=1
	shift
fi
(($# == 2)) || { echo "$prog: $usage" >&2; exit 2; }
version=$1 file=$2
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-.][0-9A-Za-z.]+)?$ ]] ||
	{ echo "$prog: '$version' is not a version like 3.9.19 ($usage)" >&2; exit 2; }
[[ -f $file ]] || { echo "$prog: $file: no such file" >&2; exit 2; }
command -v node >/dev/null || { echo "$prog: node is not installed" >&2; exit 3; }
command -v npm >/dev/null || { echo "$prog: npm is not installed" >&2; exit 3; }

cache=${ESCAPADE_VM2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/escapade/vm2}
dir=$cache/$version
if [[ ! -f $dir/node_modules/vm2/package.json ]]; then
	mkdir -p "$dir"
	if ! npm install --silent --no-audit --no-fund --no-save --prefix "$dir" "vm2@$version" >"$dir/npm.log" 2>&1; then
		echo "$prog: npm install vm2@$version failed (see $dir/npm.log)" >&2
		exit 3
	fi
fi
got=$(node -p "require('$dir/node_modules/vm2/package.json').version")
[[ $got == "$version" ]] || { echo "$prog: installed vm2 is $got, not $version" >&2; exit 3; }

# run from a scratch directory: nothing the program does lands in the caller's tree
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
abs=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
rc=0
out=$(cd "$scratch" && NODE_PATH=$dir/node_modules timeout 60 node "$abs" 2>&1) || rc=$?
if ((verbose)); then
	printf '%s\n' "$out"
else
	printf '%s\n' "$out" | grep '^ESCAPADE: ' || true
fi
if ((rc != 0)); then
	echo "$prog: node exited with $rc on vm2@$version" >&2
	exit 3
fi
if grep -q '^ESCAPADE: .*reached' <<<"$out"; then
	echo "vm2@$version $(basename "$file"): ESCAPE"
else
	echo "vm2@$version $(basename "$file"): contained"
fi
