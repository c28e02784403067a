#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gate-shard (ctest gate_shard): scale-out of issue 15 with GNU parallel.
# Eight reference targets on loopback (`stark refserver`, some with planted
# flaws or TLS 1.2 only) are scanned twice: once whole, and as four shards
# (`stark scan --shard I/4`, run by `parallel -j 4`) joined by `stark merge`.
# The merged results.json must equal the whole scan's byte for byte once
# times, the command line and each scenario's own evidence (transcript
# events, handshake facts: wire timing, see norm below) are normalised;
# every shard's results and nodes must be in the merge unchanged, and the
# whole scan read back and written again must give the same four reports
# but for times. Also:
# every shard holds exactly the targets at positions p mod 4 = I; a missing
# or repeated shard is refused (exit 2).
# usage: tests/gate-shard.sh STARK_BINARY SOURCE_DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2; exit 2; }
STARK=$(realpath "$1")
SRC=$(realpath "$2")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-shard.XXXXXX")
PIDS=()
cleanup()
{
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
ok() { echo "ok    $*"; }
command -v parallel >/dev/null || { echo "gate-shard: GNU parallel missing (scripts/install-deps.sh)"; exit 1; }

# eight nodes; flaws on some, an older TLS on two: findings and fleet rows
FLAVOURS=("" "--flaw inject" "" "--tls-version 1.2" "--flaw keep-state" "" "--tls-version 1.2" "--flaw readvertise")
: >"$WORK/targets.txt"
for i in "${!FLAVOURS[@]}"; do
	# shellcheck disable=SC2086
	"$STARK" refserver ${FLAVOURS[$i]} --ca-out "$WORK/ca$i.pem" >"$WORK/ref$i.out" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do grep -q listening "$WORK/ref$i.out" 2>/dev/null && break; sleep 0.05; done
	awk '/listening/ {print $3}' "$WORK/ref$i.out" >>"$WORK/targets.txt"
done
[ "$(grep -c . "$WORK/targets.txt")" -eq 8 ] || { echo "gate-shard: refservers did not start"; exit 1; }

ARGS=(--servername localhost --ca "$WORK/ca0.pem" --no-system-ca -k injection -k s06 -k s01 -j 2 -q)
rc=0
timeout -k 5 300 "$STARK" scan --targets "$WORK/targets.txt" "${ARGS[@]}" --out "$WORK/whole" \
	>"$WORK/whole.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && ok "whole scan: exit 1 (findings)" || fail "whole scan: exit $rc: $(tail -n 5 "$WORK/whole.log")"

rc=0
export STARK WORK
timeout -k 5 300 parallel -j 4 --halt never \
	'"$STARK" scan --targets "$WORK/targets.txt" --shard {}/4 '"${ARGS[*]}"' --out "$WORK/shard{}" >"$WORK/shard{}.log" 2>&1; echo $? >"$WORK/shard{}.rc"' \
	::: 0 1 2 3 || rc=$?
[ "$rc" -eq 0 ] && ok "parallel: four shards ran" || fail "parallel: exit $rc"

# each shard holds the targets at positions p mod 4 = I, in list order
for s in 0 1 2 3; do
	want=$(awk -v s="$s" 'NF && (NR - 1) % 4 == s' "$WORK/targets.txt" | paste -sd' ')
	got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["target"])' "$WORK/shard$s/results.json")
	[ "$got" = "$want" ] && ok "shard $s/4: $got" || fail "shard $s/4: got '$got', want '$want'"
done

rc=0
"$STARK" merge "$WORK"/shard{3,1,0,2}/results.json --out "$WORK/merged" -q >"$WORK/merge.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && ok "merge: exit 1, as the whole scan" || fail "merge: exit $rc: $(cat "$WORK/merge.log")"

# Normalise what differs between any two scans of the same nodes by nature:
# times, the command line, and the evidence of each scenario (its transcript
# events and the facts of its own handshakes): whether a peer's close or a
# TLS session ticket lands before stark's last read is the wire's timing.
# Verdicts, reasons, lines, nodes' TLS facts, the fleet view, order and
# counts stay, byte for byte.
norm() { # FILE EVIDENCE(0|1)
	python3 - "$1" "$2" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"), object_pairs_hook=collections.OrderedDict)
evidence = sys.argv[2] == "1"
def walk(o):
    if isinstance(o, dict):
        for k in o:
            if k in ("started",):
                o[k] = "T"
            elif k in ("elapsed_ms", "t_ms"):
                o[k] = 0
            else:
                walk(o[k])
    elif isinstance(o, list):
        for x in o:
            walk(x)
walk(d)
d["run"]["argv"] = []
if evidence:
    for r in d["results"]:
        r["transcript"]["events"] = []
        r["tls"] = None
sys.stdout.write(json.dumps(d, indent=2, ensure_ascii=False) + "\n")
PY
}
if cmp -s <(norm "$WORK/whole/results.json" 1) <(norm "$WORK/merged/results.json" 1); then
	ok "merged results.json = whole results.json (times, argv, per-scenario evidence normalised)"
else
	fail "merged results.json differs from the whole scan's:"
	diff <(norm "$WORK/whole/results.json" 1) <(norm "$WORK/merged/results.json" 1) | head -n 20
fi

# The merge itself loses nothing: every result and node of every shard is
# in the merged file byte for byte, transcripts included
python3 - "$WORK/merged/results.json" "$WORK"/shard{0,1,2,3}/results.json <<'PY' && ok "every shard's results and nodes are in the merge unchanged" || fail "merge changed a shard's result or node"
import json, sys
m = json.load(open(sys.argv[1]))
key = lambda r: (r["id"], r.get("node"))
mr = {key(r): json.dumps(r) for r in m["results"]}
mn = {n["target"]: json.dumps(n) for n in m["scan"]["nodes"]}
bad = 0
for p in sys.argv[2:]:
    s = json.load(open(p))
    for r in s["results"]:
        if mr.get(key(r)) != json.dumps(r):
            print("  differs:", p, key(r)); bad += 1
    for n in s["scan"]["nodes"]:
        if mn.get(n["target"]) != json.dumps(n):
            print("  node differs:", p, n["target"]); bad += 1
sys.exit(1 if bad else 0)
PY

# read back and written again, every format is the same but for times
rc=0; "$STARK" merge "$WORK/whole/results.json" --out "$WORK/again" -q >"$WORK/again.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "merge of the whole scan alone: exit $rc: $(cat "$WORK/again.log")"
times() { sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z/T/g' \
	-e 's/(time|timestamp)="[^"]*"/\1=""/g' "$1" | python3 -c '
import re, sys
t = sys.stdin.read()
t = re.sub(r"\"argv\": \[[^\]]*\]", "\"argv\": []", t)
t = re.sub(r"<li>Command: <code>[^<]*</code>", "<li>Command: <code></code>", t)
t = re.sub(r"Command: `[^`]*`", "Command: ``", t)
sys.stdout.write(t)'; }
for f in results.json junit.xml summary.md index.html results.sarif; do
	if cmp -s <(times "$WORK/whole/$f") <(times "$WORK/again/$f"); then
		ok "whole $f read back and rewritten: identical but for times and argv"
	else
		fail "whole $f does not round-trip:"
		diff <(times "$WORK/whole/$f") <(times "$WORK/again/$f") | head -n 10
	fi
done
python3 "$SRC/tests/validate-reports.py" "$WORK/merged/results.json" "$WORK/shard0/results.json" >/dev/null &&
	ok "merged and shard results.json valid" || fail "schema: merged or shard results.json invalid"
python3 "$SRC/tests/validate-sarif.py" "$WORK/merged" >/dev/null && ok "merged results.sarif valid" ||
	fail "merged results.sarif invalid"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["scan"]["consistency"]))' "$WORK/merged/results.json")
[ "$n" -gt 0 ] && ok "the fleet view spans the merged nodes ($n rows)" || fail "no fleet view"

rc=0; "$STARK" merge "$WORK"/shard{0,1,2}/results.json --out "$WORK/m3" -q >"$WORK/m3.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "shard 3/4 is missing" "$WORK/m3.log" && ok "a missing shard is refused" ||
	fail "missing shard: exit $rc: $(cat "$WORK/m3.log")"
rc=0; "$STARK" merge "$WORK"/shard{0,1,2,2}/results.json --out "$WORK/m4" -q >"$WORK/m4.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "given twice" "$WORK/m4.log" && ok "a repeated shard is refused" ||
	fail "repeated shard: exit $rc: $(cat "$WORK/m4.log")"

[ "$failures" -eq 0 ] || { echo "gate-shard: $failures failure(s)"; exit 1; }
echo "gate-shard: all passed"
