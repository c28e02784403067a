#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# schema-reports (ctest schema_reports): real runs of every role write their
# results.json, and every one must validate against reports/results.schema.json
# (tests/validate-reports.py: schema, key order, counts, node references):
#   demo       stark demo (the reference target, whole server suite, all PASS)
#   run        stark run -k injection against `stark refserver --flaw inject`
#   blocked    stark run against `stark refserver --no-tls`: one root cause
#              (S-01), the scenarios that need STARTTLS blocked by it
#   serve      stark serve, two client scenarios, Python smtplib as the trigger
#   scan       stark scan of two refservers that differ (TLS 1.2 only vs the
#              default) and a refused port: nodes, an error, fleet rows
#   interrupt  stark run against a listener that never answers, SIGINT
# Every results.sarif beside them validates against the SARIF 2.1.0 schema
# (tests/validate-sarif.py). Each step's exit status is checked as well (a report of a broken run is no
# evidence), and its role. Loopback only; everything started here is stopped
# by its pid on exit.
# usage: tests/schema-reports.sh STARK_BINARY SOURCE_DIR
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$(realpath "$1")
SRC=$(realpath "$2")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-schema.XXXXXX")
PIDS=()
cleanup()
{
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
failures=0
fail()
{
	echo "FAIL  $*"
	failures=$((failures + 1))
}

# refserver NAME ARGS...: start `stark refserver ARGS` in the background and
# set ADDR to its HOST:PORT once it listens
refserver()
{
	local name=$1
	shift
	"$STARK" refserver "$@" >"$WORK/$name.out" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		grep -q listening "$WORK/$name.out" 2>/dev/null && break
		sleep 0.05
	done
	ADDR=$(awk '/listening/ {print $3}' "$WORK/$name.out")
	[ -n "$ADDR" ] || { echo "schema-reports: refserver $name did not start: $(cat "$WORK/$name.out")" >&2; exit 1; }
}

# step NAME WANT-STATUS COMMAND...: run it with a deadline, check its status
step()
{
	local name=$1 want=$2 rc=0
	shift 2
	timeout -k 5 120 "$@" >"$WORK/$name.log" 2>&1 || rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name: exit status $rc, want $want: $(tail -n 5 "$WORK/$name.log")"
	else
		echo "ok    $name: exit status $rc"
	fi
}

step demo 0 "$STARK" demo -q -j 2 --out "$WORK/r/demo"

refserver inject --flaw inject --ca-out "$WORK/inject-ca.pem"
step run 1 "$STARK" run --target "$ADDR" --servername localhost --ca "$WORK/inject-ca.pem" \
	--no-system-ca -k injection -j 2 -q --out "$WORK/r/run"

refserver notls --no-tls
step blocked 1 "$STARK" run --target "$ADDR" --servername localhost -j 2 -q --out "$WORK/r/blocked"

step serve 0 "$STARK" serve -k sanity -k c01-starttls-stripped -j 2 -q --timeout 10s \
	--trigger "python3 '$SRC/tests/real/clients/smtplib-send.py' verify 5 </dev/null" \
	--out "$WORK/r/serve"

refserver a --ca-out "$WORK/a-ca.pem"
A=$ADDR
refserver b --tls-version 1.2 --ca-out "$WORK/b-ca.pem"
B=$ADDR
# a loopback port nobody listens on: bind one, note it, close it
REFUSED=127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step scan 1 "$STARK" scan --target "$A" --target "$B" --target "$REFUSED" --servername localhost \
	--ca "$WORK/a-ca.pem" --timeout 2s -k s01 -j 3 -q --out "$WORK/r/scan"

# a listener that accepts and never answers: stark waits for the greeting
python3 - "$WORK/silent.port" <<'PY' &
import os, socket, sys, time
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(8)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
held, end = [], time.monotonic() + 60
ls.settimeout(0.2)
while time.monotonic() < end:
    try:
        held.append(ls.accept()[0])
    except socket.timeout:
        pass
PY
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/silent.port" ] && break; sleep 0.05; done
"$STARK" run --target "127.0.0.1:$(cat "$WORK/silent.port")" --timeout 30s -q \
	--out "$WORK/r/interrupt" >"$WORK/interrupt.log" 2>&1 &
SPID=$!
sleep 1
kill -INT "$SPID"
rc=0
wait "$SPID" || rc=$?
if [ "$rc" -eq 2 ]; then echo "ok    interrupt: exit status 2"; else fail "interrupt: exit status $rc, want 2"; fi

# every report validates, and each step wrote the role it should have
python3 "$SRC/tests/validate-reports.py" --min 6 "$WORK/r" || failures=$((failures + 1))
# and results.sarif of every role against the SARIF 2.1.0 schema
python3 "$SRC/tests/validate-sarif.py" "$WORK/r" || failures=$((failures + 1))
python3 - "$WORK/r" <<'PY' || failures=$((failures + 1))
import json, os, sys
want = {"demo": ("server", False), "run": ("server", False), "serve": ("client", False),
        "blocked": ("server", False),
        "scan": ("scan", False), "interrupt": ("server", True)}
bad = 0
for name, (role, interrupted) in want.items():
    d = json.load(open(os.path.join(sys.argv[1], name, "results.json")))
    got = (d["run"]["role"], d["run"]["interrupted"])
    if got != (role, interrupted):
        print("FAIL  %s: role/interrupted %s, want %s" % (name, got, (role, interrupted)))
        bad += 1
blocked = json.load(open(os.path.join(sys.argv[1], "blocked", "results.json")))["results"]
roots = {r["blocked_by"] for r in blocked if "blocked_by" in r}
if roots != {"server/s01-starttls-offered"} or [r["id"] for r in blocked if r["verdict"] == "fail"] \
        != ["server/s01-starttls-offered"]:
    print("FAIL  blocked: root causes %s" % sorted(roots))
    bad += 1
scan = json.load(open(os.path.join(sys.argv[1], "scan", "results.json")))
nodes = scan["scan"]["nodes"]
if len(nodes) != 3 or nodes[2]["error"] is None or not scan["scan"]["consistency"] \
        or not any("node" in r for r in scan["results"]) \
        or not any(r["id"].startswith("fleet/") for r in scan["results"]):
    print("FAIL  scan: want 3 nodes (the last with an error), fleet rows, results with and without node")
    bad += 1
serve = json.load(open(os.path.join(sys.argv[1], "serve", "results.json")))
if not any(r["trigger"] for r in serve["results"]):
    print("FAIL  serve: no result has a trigger object")
    bad += 1
sys.exit(1 if bad else 0)
PY

if [ "$failures" -ne 0 ]; then
	echo "schema-reports: $failures failure(s)"
	exit 1
fi
echo "schema-reports: every role's results.json validates"
