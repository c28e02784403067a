#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz-to-scenario.sh INPUT [-o OUT.scn] [--id ID] : turn a transition_server
# input (a crash-* of a campaign, or any corpus file) into a .scn that
# replays the same bytes against a live target:
#   build/stark run --target HOST:PORT --scenarios OUT.scn
# Runs fuzz/fuzz_to_scenario.c (built as fuzz-to-scenario in BUILD, default
# build/), then lints the result.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$here/build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
[ -x "$build/fuzz/fuzz-to-scenario" ] || cmake --build "$build" --target fuzz-to-scenario stark >/dev/null
out=""
args=""
in=""
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift 2 ;;
	--id) args="--id $2"; shift 2 ;;
	*) in=$1; shift ;;
	esac
done
[ -n "$in" ] || { echo "usage: $0 INPUT [-o OUT.scn] [--id ID]" >&2; exit 2; }
if [ -z "$out" ]; then
	# shellcheck disable=SC2086
	"$build/fuzz/fuzz-to-scenario" $args "$in"
	exit 0
fi
# shellcheck disable=SC2086
"$build/fuzz/fuzz-to-scenario" $args -o "$out" "$in"
"$build/stark" lint "$out" >/dev/null
echo "wrote $out"
