#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz-find-planted.sh [SECONDS] : the end-to-end proof of issue 5.
#  1. fuzz transition_server_flawed (the reference session with FLAW_INJECT
#     planted) from an EMPTY corpus (dictionary only) until the F-03 oracle
#     fires, at most SECONDS (default 60); prints the time to find;
#  2. turns the finding into a scenario (fuzz-to-scenario);
#  3. replays it over TCP against `stark refserver --flaw inject` (must FAIL)
#     and against the correct `stark refserver` (must PASS).
# Exit 0 when all three hold. Builds build-fuzz (libFuzzer) and uses build/
# (or BUILD) for stark itself.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
build=${BUILD:-$here/build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
fuzzb=${FUZZ_BUILD:-$("$here/scripts/fuzz-build.sh" fuzz | tail -1)}
case $fuzzb in /*) ;; *) fuzzb=$(pwd)/$fuzzb ;; esac
[ -x "$build/stark" ] || cmake --build "$build" --target stark fuzz-to-scenario >/dev/null
[ -x "$build/fuzz/fuzz-to-scenario" ] || cmake --build "$build" --target fuzz-to-scenario >/dev/null
w=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$w"' EXIT
mkdir -p "$w/corpus"
echo "== 1. fuzzing transition_server_flawed from an empty corpus (at most $secs s)"
t0=$(date +%s%N)
(cd "$w" && "$fuzzb/fuzz/fuzz_transition_server_flawed" -dict="$here/fuzz/transition_server.dict" \
	-max_len=2048 -max_total_time="$secs" -artifact_prefix="$w/" "$w/corpus" >"$w/fuzz.log" 2>&1) || true
t1=$(date +%s%N)
crash=$(ls "$w"/crash-* 2>/dev/null | head -1 || true)
[ -n "$crash" ] || { echo "not found within $secs s"; tail -5 "$w/fuzz.log"; exit 1; }
execs=$(grep -oE '^#[0-9]+' "$w/fuzz.log" | tail -1 | tr -d '#')
echo "found after $(( (t1 - t0) / 1000000 )) ms (~${execs:-?} executions):"
grep -m1 'oracle failed' "$w/fuzz.log"
echo "input ($(wc -c <"$crash") bytes):"
od -An -c "$crash"
echo "== 2. fuzz-to-scenario"
"$build/fuzz/fuzz-to-scenario" --id fuzz/planted-inject -o "$w/finding.scn" "$crash"
"$build/stark" lint "$w/finding.scn"
sed -n '/^expect/,$p' "$w/finding.scn"
# serve [FLAGS]: start the reference target in this shell (pid, addr)
serve() {
	: >"$w/srv.out"
	"$build/stark" refserver --listen 127.0.0.1:0 --ca-out "$w/ca.pem" "$@" >"$w/srv.out" 2>&1 &
	pid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		grep -q 'listening on' "$w/srv.out" && break
		sleep 0.1
	done
	addr=$(sed -n 's/.*listening on //p' "$w/srv.out")
}
ok=0
echo "== 3a. replay over TCP against stark refserver --flaw inject (must FAIL)"
serve --flaw inject
if "$build/stark" run --target "$addr" --servername localhost --ca "$w/ca.pem" \
	--scenarios "$w/finding.scn" --out "$w/flawed" >"$w/flawed.txt" 2>&1; then
	echo "unexpected: PASS"; ok=1
else
	grep -E '^FAIL' "$w/flawed.txt" || { cat "$w/flawed.txt"; ok=1; }
fi
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
echo "== 3b. replay over TCP against the correct stark refserver (must PASS)"
serve
if "$build/stark" run --target "$addr" --servername localhost --ca "$w/ca.pem" \
	--scenarios "$w/finding.scn" --out "$w/correct" >"$w/correct.txt" 2>&1; then
	grep -E 'scenario' "$w/correct.txt" | tail -1
else
	echo "unexpected:"; cat "$w/correct.txt"; ok=1
fi
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
[ $ok -eq 0 ] && echo "planted flaw found, converted and reproduced over TCP"
exit $ok
