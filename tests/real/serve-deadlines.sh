#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# serve-deadlines.sh STARK_BINARY SOURCE_DIR
#
# Whole-program deadlines of `stark serve`, with the sanity scenario and a
# bash /dev/tcp client (greeting, EHLO, QUIT: the sanity scenario FAILs it
# at line 13 (expect command STARTTLS) for not sending STARTTLS, which is what it deserves):
#  1. the trigger leaves a background process outside its process group
#     (setsid) that keeps the output pipe open: with --timeout 1s stark ends
#     within a few seconds (not when that process ends), exits 1, and the
#     results say the output was cut.
#  2. SIGINT while the client hangs after connecting (--timeout 30s): stark
#     exits with status 2 within 1 s, results marked interrupted.
# Loopback only; exit 77 without setsid; every process started here is
# stopped by its pid on exit (the background process dies of SIGPIPE once
# stark stops reading, and ends by itself after 30 s at most).
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$1
SRC=$2
SANITY="$SRC/scenarios/client/00-sanity.scn"
[ -x "$STARK" ] || { echo "serve-deadlines.sh: $STARK is not executable" >&2; exit 2; }
[ -f "$SANITY" ] || { echo "serve-deadlines.sh: no $SANITY" >&2; exit 2; }
command -v setsid >/dev/null || { echo "serve-deadlines.sh: no setsid: skipped"; exit 77; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-serve-deadlines.XXXXXX")
STARK_PID=""
failures=0

cleanup() {
	if [ -n "$STARK_PID" ]; then
		kill -KILL "$STARK_PID" 2>/dev/null || true
		wait "$STARK_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

ok() { printf 'ok    %s\n' "$*"; }
bad() {
	printf 'FAIL  %s\n' "$*"
	failures=$((failures + 1))
}
now_ms() { date +%s%3N; }

# The triggers' variables are expanded by the trigger's shell, not here.
# shellcheck disable=SC2016
CONNECT='exec 3<>/dev/tcp/$STARK_HOST/$STARK_PORT'
CLIENT="bash -c '$CONNECT; read -r l <&3; printf \"EHLO c\\r\\n\" >&3; read -r l <&3; printf \"QUIT\\r\\n\" >&3; read -r l <&3'"
# The client starts once the file "up" says the background process has
# left the group (stark's kill of the group must not be what ends it).
# shellcheck disable=SC2016
BACKGROUND='d=$(mktemp -d); setsid sh -c '"'"': >"$1/up"; i=0; while [ $i -lt 300 ] && echo bg; do sleep 0.1; i=$((i+1)); done'"'"' sh "$d" & while [ ! -e "$d/up" ]; do sleep 0.01; done; rm -r "$d"; '

# ---- 1. a background process keeps the trigger's output open ----
t0=$(now_ms)
set +e
timeout -k 2 30 "$STARK" serve --scenarios "$SANITY" --timeout 1s --out "$WORK/out-bg" \
	--trigger "$BACKGROUND$CLIENT" >"$WORK/bg.log" 2>&1
rc=$?
set -e
took=$(($(now_ms) - t0))
if [ "$took" -lt 5000 ]; then
	ok "background process: stark ended after $took ms"
else
	bad "background process: stark took $took ms (rc $rc), want < 5000"
fi
if [ "$rc" -eq 1 ]; then
	ok "background process: exit status 1 (the client sent no STARTTLS)"
else
	bad "background process: exit status $rc, want 1 (output: $(tr '\n' ' ' <"$WORK/bg.log"))"
fi
if python3 - "$WORK/out-bg/results.json" <<'PY'; then
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["results"]:
    if r["verdict"].upper() != "FAIL" or not r["reason"].startswith("line 13: "):
        sys.exit("%s: %s %s" % (r["id"], r["verdict"], r["reason"]))
    notes = [e["data"] for e in r["transcript"]["events"] if e["dir"] == "note"]
    if "trigger output cut: a background process kept it open" not in notes:
        sys.exit("%s: no note about the cut output in %r" % (r["id"], notes))
PY
	ok "background process: FAIL at line 13, the output cut is noted"
else
	bad "background process: $WORK/out-bg/results.json is not as expected"
fi

# ---- 2. SIGINT while the client hangs ----
"$STARK" serve --scenarios "$SANITY" --timeout 30s --out "$WORK/out-int" \
	--trigger "exec bash -c '$CONNECT; exec sleep 60'" >"$WORK/int.log" 2>&1 &
STARK_PID=$!
sleep 1
t0=$(now_ms)
kill -INT "$STARK_PID"
exited=0
for _ in $(seq 1 20); do
	if ! kill -0 "$STARK_PID" 2>/dev/null; then
		exited=1
		break
	fi
	sleep 0.05
done
if [ "$exited" -eq 0 ]; then
	bad "SIGINT: stark still running 1 s after the signal (killed)"
	kill -KILL "$STARK_PID" 2>/dev/null || true
fi
set +e
wait "$STARK_PID"
rc=$?
set -e
STARK_PID=""
took=$(($(now_ms) - t0))
if [ "$exited" -eq 1 ]; then
	if [ "$rc" -eq 2 ]; then
		ok "SIGINT: stark exited with status 2 after $took ms"
	else
		bad "SIGINT: exit status $rc, want 2 (output: $(tr '\n' ' ' <"$WORK/int.log"))"
	fi
	if python3 - "$WORK/out-int/results.json" <<'PY'; then
import json, sys
if json.load(open(sys.argv[1]))["run"].get("interrupted") is not True:
    sys.exit("not marked interrupted")
PY
		ok "SIGINT: results.json marked interrupted"
	else
		bad "SIGINT: $WORK/out-int/results.json missing or not marked interrupted"
	fi
fi

if [ "$failures" -ne 0 ]; then
	echo "serve-deadlines.sh: $failures check(s) failed"
	exit 1
fi
echo "serve-deadlines.sh: all checks passed"
