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
#  3. `stark scan` of two nodes with -j 1, SIGINT while the first node's
#     probe waits for a greeting: exit 2 within 3 s, results.json marked
#     interrupted, no PASS or FAIL anywhere (nothing was measured), nothing
#     for the node never probed, no fleet view.
#  4. Check before work: an empty scenario directory, one without .scn, a
#     FIFO or a symlink loop among the scenarios, one id in two files, the
#     client suite given to run, -k matching nothing, ports 0 / 70000 / x,
#     --out that is a file or lies under one: each exits 2 with its message
#     and the target sees no connection. --listen on a non-loopback address
#     warns; `stark lint --help` and `stark help --help` answer with 0.
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

# ---- 3. SIGINT during stark scan ----
out="$WORK/out-scan"
before=$(conns)
"$STARK" scan --target "127.0.0.1:$PORT" --target "localhost:$PORT" -j 1 --timeout 30s \
	--out "$out" >"$WORK/scan.log" 2>&1 &
STARK_PID=$!
sleep 1
if [ "$(conns)" -le "$before" ]; then
	bad "scan: stark did not connect to the listener within 1 s"
fi
kill -INT "$STARK_PID"
exited=0
for _ in $(seq 1 30); do
	if ! kill -0 "$STARK_PID" 2>/dev/null; then
		exited=1
		break
	fi
	sleep 0.1
done
[ "$exited" -eq 1 ] || { bad "scan: still running 3 s after SIGINT (killed)"; kill -KILL "$STARK_PID" 2>/dev/null || true; }
set +e
wait "$STARK_PID"
rc=$?
set -e
STARK_PID=""
if [ "$exited" -eq 1 ]; then
	if [ "$rc" -eq 2 ]; then
		ok "scan: SIGINT gives exit status 2"
	else
		bad "scan: exit status $rc after SIGINT, want 2 ($(tr '\n' ' ' <"$WORK/scan.log"))"
	fi
	cat >"$WORK/scan-check.py" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    doc = json.load(f)
if doc["run"].get("interrupted") is not True:
    sys.exit("run.interrupted is not true")
res = doc["results"]
if not res:
    sys.exit("no result at all: the probed node's interruption is missing")
for r in res:
    if r["verdict"] in ("pass", "fail", "xpass"):
        sys.exit("%s on %s is %s though nothing was measured: %s"
                 % (r["id"], r.get("node"), r["verdict"], r.get("reason")))
    if r.get("node") == sys.argv[2]:
        sys.exit("%s judged on a node never probed" % r["id"])
    if r["id"].startswith("fleet/"):
        sys.exit("fleet view of an interrupted scan: %s" % r["id"])
PY
	if why=$(python3 "$WORK/scan-check.py" "$out/results.json" "localhost:$PORT" 2>&1); then
		ok "scan: interrupted results.json has no PASS/FAIL and nothing for the unprobed node"
	else
		bad "scan: $why"
	fi
fi

# ---- 4. check before work: refused with exit 2, nothing sent ----
# refused DESCRIPTION WANTED_STDERR_TEXT -- STARK ARGS...
refused() {
	local what=$1 want=$2
	shift 3
	local b rc
	b=$(conns)
	set +e
	timeout 20 "$STARK" "$@" >"$WORK/refused.out" 2>"$WORK/refused.err"
	rc=$?
	set -e
	sleep 0.2
	if [ "$rc" -ne 2 ]; then
		bad "$what: exit status $rc, want 2 ($(tr '\n' ' ' <"$WORK/refused.err"))"
	elif ! grep -qF -- "$want" "$WORK/refused.err"; then
		bad "$what: no '$want' in: $(tr '\n' ' ' <"$WORK/refused.err")"
	elif [ "$(conns)" -ne "$b" ]; then
		bad "$what: the target saw $(($(conns) - b)) connection(s)"
	else
		ok "$what: exit 2, '$want', no connection"
	fi
}
T="127.0.0.1:$PORT"
mkdir -p "$WORK/empty" "$WORK/noscn" "$WORK/fifo" "$WORK/loop" "$WORK/dup"
echo "not a scenario" >"$WORK/noscn/README"
cp "$SRC/scenarios/server/00-sanity.scn" "$WORK/fifo/" && mkfifo "$WORK/fifo/z.scn"
cp "$SRC/scenarios/server/00-sanity.scn" "$WORK/loop/" && mkdir "$WORK/loop/sub" &&
	ln -s .. "$WORK/loop/sub/up"
cp "$SRC/scenarios/server/00-sanity.scn" "$WORK/dup/a.scn"
cp "$SRC/scenarios/server/00-sanity.scn" "$WORK/dup/b.scn"
touch "$WORK/afile"
refused "empty scenario dir" "$WORK/empty: no .scn scenario file" -- run --target "$T" --scenarios "$WORK/empty" --out "$WORK/o"
refused "dir without .scn" "$WORK/noscn: no .scn scenario file" -- run --target "$T" --scenarios "$WORK/noscn" --out "$WORK/o"
refused "FIFO among scenarios" "$WORK/fifo/z.scn: not a regular file" -- run --target "$T" --scenarios "$WORK/fifo" --out "$WORK/o"
refused "symlink loop" "$WORK/loop/sub/up: directory reached twice" -- run --target "$T" --scenarios "$WORK/loop" --out "$WORK/o"
refused "duplicate ids" "$WORK/dup/b.scn: duplicate scenario id 'server/sanity' (also in $WORK/dup/a.scn)" -- run --target "$T" --scenarios "$WORK/dup" --out "$WORK/o"
refused "client suite to run" "client scenarios are for stark serve" -- run --target "$T" --scenarios "$SRC/scenarios/client" --out "$WORK/o"
refused "-k matching nothing" "matches no scenario but sanity" -- run --target "$T" -k no-such-keyword --out "$WORK/o"
refused "scan -k matching nothing" "matches no scenario but sanity" -- scan --target "$T" -k no-such-keyword --out "$WORK/o"
refused "port 0" "port 1..65535" -- run --target 127.0.0.1:0 --out "$WORK/o"
refused "port 70000" "port 1..65535" -- scan --target 127.0.0.1:70000 --out "$WORK/o"
refused "port x" "port 1..65535" -- run --target 127.0.0.1:x --out "$WORK/o"
refused "--out is a file" "--out $WORK/afile exists and is not a directory" -- run --target "$T" --out "$WORK/afile"
refused "--out under a file" "--out $WORK/afile/sub" -- scan --target "$T" --out "$WORK/afile/sub"
[ ! -e "$WORK/o" ] && ok "no report directory left by a refused run" || bad "a refused run created $WORK/o"

set +e
"$STARK" lint --help >"$WORK/help.out" 2>&1 && "$STARK" help --help >>"$WORK/help.out" 2>&1
rc=$?
set -e
if [ "$rc" -eq 0 ] && grep -q "^usage: stark lint" "$WORK/help.out" && grep -q "^usage: stark help" "$WORK/help.out"; then
	ok "lint --help and help --help answer"
else
	bad "lint --help / help --help: status $rc: $(tr '\n' ' ' <"$WORK/help.out")"
fi

# --listen on 0.0.0.0: a warning, not an error (the trigger exits at once)
set +e
timeout 60 "$STARK" serve --trigger true --listen 0.0.0.0:0 -k c01 --timeout 1s -j 1 -q \
	--out "$WORK/o-serve" >"$WORK/serve.out" 2>"$WORK/serve.err"
rc=$?
set -e
if grep -q "warning: --listen 0.0.0.0 is not a loopback address" "$WORK/serve.err" && [ -e "$WORK/o-serve/results.json" ]; then
	ok "serve --listen 0.0.0.0: a warning, and the run still ran (status $rc)"
else
	bad "serve --listen 0.0.0.0: no warning or no run (status $rc): $(tr '\n' ' ' <"$WORK/serve.err")"
fi

if [ "$failures" -ne 0 ]; then
	echo "sigint.sh: $failures check(s) failed"
	exit 1
fi
echo "sigint.sh: all checks passed"
