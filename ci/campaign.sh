#!/usr/bin/env bash
# The earlier name of the main job, kept so existing scripts and habits keep working: it is
# `ci/nightly.sh --quick` (a short libFuzzer night of every target on its hardened profile,
# corpus cache, triage, closing table). The options are ci/nightly.sh's; a --budget given
# here replaces --quick's 120 s. Exit status: ci/nightly.sh's (0 nothing new, 1 findings,
# 2 usage or could not run, 130 interrupted).
nightly=$(dirname "${BASH_SOURCE[0]}")/nightly.sh
for arg in "$@"; do
	case $arg in
	--budget | --budget=*) exec "$nightly" "$@" ;;
	esac
done
exec "$nightly" --quick "$@"
