#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# sigint.sh STARK_BINARY SOURCE_DIR
#
# Whole-program checks of interruption and of refusing bad input:
#  1. `stark run` against a loopback listener that accepts and never answers
#     (so stark is blocked in a read with a 30 s deadline), then SIGINT after
#     ~1 s: stark must exit within 3 s with status 2 and leave a valid
#     results.json with run.interrupted == true. The same with SIGTERM.
#  2. `stark lint` on a malformed scenario prints file:line:col: message and
#     exits 1; `stark run --scenarios BADFILE` exits 2 and connects nowhere
#     (the listener, given as the target, sees no connection).
# Loopback only; every wait is bounded; everything started here is stopped
# by its pid on exit.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$1
SRC=$2
[ -x "$STARK" ] || { echo "sigint.sh: $STARK is not executable" >&2; exit 2; }
[ -d "$SRC/scenarios/server" ] || { echo "sigint.sh: no scenarios under $SRC" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-sigint.XXXXXX")
LISTENER_PID=""
STARK_PID=""
failures=0

cleanup() {
	if [ -n "$STARK_PID" ]; then
		kill -KILL "$STARK_PID" 2>/dev/null || true
		wait "$STARK_PID" 2>/dev/null || true
	fi
	if [ -n "$LISTENER_PID" ]; then
		kill -TERM "$LISTENER_PID" 2>/dev/null || true
		wait "$LISTENER_PID" 2>/dev/null || true
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

# ---- a listener on 127.0.0.1 that accepts, counts and never answers ----
# It writes its port to $WORK/port once listening and the number of
# connections accepted so far to $WORK/count; it ends itself after 120 s.
python3 - "$WORK/port" "$WORK/count" <<'PY' &
import os, select, socket, sys, time
port_file, count_file = sys.argv[1], sys.argv[2]
def put(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
count = 0
put(count_file, "0")
put(port_file, str(ls.getsockname()[1]))
held = []
end = time.monotonic() + 120
while time.monotonic() < end:
    r, _, _ = select.select([ls], [], [], 0.2)
    if r:
        c, _ = ls.accept()
        held.append(c)  # keep it open, say nothing
        count += 1
        put(count_file, str(count))
PY
LISTENER_PID=$!

for _ in $(seq 1 50); do
	[ -s "$WORK/port" ] && break
	sleep 0.1
done
[ -s "$WORK/port" ] || { echo "sigint.sh: the listener did not start" >&2; exit 1; }
PORT=$(cat "$WORK/port")
conns() { cat "$WORK/count"; }

# ---- 1. SIGINT and SIGTERM during a blocked read ----
interrupt_case() {
	local sig=$1
	local out="$WORK/out-$sig"
	local before
	before=$(conns)
	"$STARK" run --target "127.0.0.1:$PORT" --timeout 30s -j 2 --out "$out" \
		>"$WORK/stark-$sig.log" 2>&1 &
	STARK_PID=$!
	sleep 1
	# stark must be blocked on our silent listener by now (the sanity case
	# waits for a greeting), else this would test start-up, not a read.
	if [ "$(conns)" -le "$before" ]; then
		bad "SIG$sig: stark did not connect to the listener within 1 s"
	fi
	local t0 t1 rc
	t0=$(now_ms)
	kill "-$sig" "$STARK_PID"
	local exited=0
	for _ in $(seq 1 30); do
		if ! kill -0 "$STARK_PID" 2>/dev/null; then
			exited=1
			break
		fi
		sleep 0.1
	done
	if [ "$exited" -eq 0 ]; then
		bad "SIG$sig: stark still running 3 s after the signal (killed)"
		kill -KILL "$STARK_PID" 2>/dev/null || true
	fi
	set +e
	wait "$STARK_PID"
	rc=$?
	set -e
	STARK_PID=""
	t1=$(now_ms)
	[ "$exited" -eq 0 ] && return 0
	if [ "$rc" -eq 2 ]; then
		ok "SIG$sig: stark exited with status 2 after $((t1 - t0)) ms"
	else
		bad "SIG$sig: exit status $rc, want 2 (output: $(tr '\n' ' ' <"$WORK/stark-$sig.log"))"
	fi
	if python3 - "$out/results.json" <<'PY'; then
import json, sys
with open(sys.argv[1]) as f:
    doc = json.load(f)
run = doc["run"]
if run.get("interrupted") is not True:
    sys.exit("run.interrupted is %r, want true" % (run.get("interrupted"),))
PY
		ok "SIG$sig: results.json is valid JSON with run.interrupted == true"
	else
		bad "SIG$sig: $out/results.json missing, invalid or not marked interrupted"
	fi
}

interrupt_case INT
interrupt_case TERM

# ---- 2. bad scenarios are refused before anything is sent ----
BAD="$WORK/bad.scn"
cat >"$BAD" <<'SCN'
scenario  server/bad
target    server
summary   a malformed scenario
catalog   S-00
severity  low

bogus statement here
SCN

set +e
"$STARK" lint "$BAD" >"$WORK/lint.out" 2>"$WORK/lint.err"
rc=$?
set -e
if [ "$rc" -eq 1 ]; then
	ok "lint: exit status 1 on a malformed scenario"
else
	bad "lint: exit status $rc, want 1"
fi
if grep -Eq "^$BAD:7:1: .+" "$WORK/lint.err"; then
	ok "lint: diagnostic as file:line:col: message ($(head -n1 "$WORK/lint.err"))"
else
	bad "lint: no '$BAD:7:1: message' diagnostic in: $(cat "$WORK/lint.err" "$WORK/lint.out")"
fi

before=$(conns)
set +e
timeout 20 "$STARK" run --scenarios "$BAD" --target "127.0.0.1:$PORT" --timeout 2s \
	--out "$WORK/out-bad" -q >"$WORK/run-bad.out" 2>"$WORK/run-bad.err"
rc=$?
set -e
sleep 0.3 # a connection attempt, had there been one, has been accepted by now
if [ "$rc" -eq 2 ]; then
	ok "run --scenarios BADFILE: exit status 2"
else
	bad "run --scenarios BADFILE: exit status $rc, want 2"
fi
if grep -q "$BAD:7:1: " "$WORK/run-bad.err"; then
	ok "run --scenarios BADFILE: the diagnostic names the file and line"
else
	bad "run --scenarios BADFILE: no diagnostic in: $(cat "$WORK/run-bad.err")"
fi
if [ "$(conns)" -eq "$before" ]; then
	ok "run --scenarios BADFILE: no connection to the target"
else
	bad "run --scenarios BADFILE: the target saw $(($(conns) - before)) connection(s)"
fi

if [ "$failures" -ne 0 ]; then
	echo "sigint.sh: $failures check(s) failed"
	exit 1
fi
echo "sigint.sh: all checks passed"
