#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gate-baseline (ctest gate_baseline): the CI gate of issue 15 against the
# real reference target (`stark refserver` on loopback, flaws via --flaw):
#   clean  the suite against a clean refserver, --baseline itself:  exit 0
#   one    --flaw inject, --baseline clean:  exit 1, the new FAILs are
#          exactly this run's FAILs (the injection scenarios), nothing fixed
#   two    --flaw keep-state (inject fixed), --baseline one:  exit 1, the
#          new FAILs are S-06/S-07's, the fixed ones are exactly one's FAILs
# then `stark diff` on the same files gives the same lists and statuses,
# every diff.json validates against reports/diff.schema.json, a baseline of
# another role exits 2, every results.sarif validates against the SARIF
# 2.1.0 schema, and an id that goes missing because -k narrowed
# the suite is listed as not run without failing the gate.
# usage: tests/gate-baseline.sh STARK_BINARY SOURCE_DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2; exit 2; }
STARK=$(realpath "$1")
SRC=$(realpath "$2")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-gate.XXXXXX")
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
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
ok() { echo "ok    $*"; }

refserver()
{
	local name=$1
	shift
	"$STARK" refserver "$@" --ca-out "$WORK/$name-ca.pem" >"$WORK/$name.out" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		grep -q listening "$WORK/$name.out" 2>/dev/null && break
		sleep 0.05
	done
	ADDR=$(awk '/listening/ {print $3}' "$WORK/$name.out")
	[ -n "$ADDR" ] || { echo "gate-baseline: refserver $name did not start" >&2; exit 1; }
}

# run NAME WANT-STATUS REFSERVER-ARGS -- STARK-RUN-ARGS
run()
{
	local name=$1 want=$2 rc=0
	shift 2
	local rs=()
	while [ "$1" != "--" ]; do rs+=("$1"); shift; done
	shift
	refserver "$name" "${rs[@]}"
	timeout -k 5 120 "$STARK" run --target "$ADDR" --servername localhost \
		--ca "$WORK/$name-ca.pem" --no-system-ca -j 2 --out "$WORK/$name" "$@" \
		>"$WORK/$name.log" 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] && ok "$name: exit status $rc" ||
		fail "$name: exit status $rc, want $want: $(tail -n 5 "$WORK/$name.log")"
}

# ids of a results.json with a verdict in the list; of a diff.json by kind
ids_verdict() { python3 -c 'import json,sys; print(" ".join(sorted(r["id"] for r in json.load(open(sys.argv[1]))["results"] if r["verdict"] in sys.argv[2].split(","))))' "$@"; }
ids_kind() { python3 -c 'import json,sys; print(" ".join(sorted(i["id"] for i in json.load(open(sys.argv[1]))["items"] if i["kind"] == sys.argv[2])))' "$@"; }
same() { # what got want
	if [ "$2" = "$3" ]; then ok "$1: ${2:-(none)}"; else fail "$1: got '$2', want '$3'"; fi
}

# /dev/null is no baseline: refused before any connection, exit 2
run clean 2 -- --baseline /dev/null
grep -q "not JSON" "$WORK/clean.log" && ok "a bad --baseline is refused: $(head -n 1 "$WORK/clean.log")" ||
	fail "a bad --baseline was not refused: $(cat "$WORK/clean.log")"
[ ! -e "$WORK/clean" ] && ok "a refused --baseline costs no run" || fail "a refused --baseline left a report"
run clean 0 --
cp "$WORK/clean/results.json" "$WORK/clean.json"
run clean0 0 -- --baseline "$WORK/clean.json"
same "clean vs clean: regressions" "$(ids_kind "$WORK/clean0/diff.json" regression)" ""

run one 1 --flaw inject -- --baseline "$WORK/clean.json"
one_fails=$(ids_verdict "$WORK/one/results.json" fail,error,xpass)
case " $one_fails " in *" server/s08-injection-ehlo "*) ok "one: the inject flaw is found";;
	*) fail "one: S-08 not among the FAILs: $one_fails";; esac
same "one: regressions" "$(ids_kind "$WORK/one/diff.json" regression)" "$one_fails"
same "one: fixed" "$(ids_kind "$WORK/one/diff.json" fixed)" ""
grep -q "REGRESSION    server/s08-injection-ehlo  PASS -> FAIL" "$WORK/one.log" &&
	ok "one: the terminal names the regression" || fail "one: terminal: $(tail -n 20 "$WORK/one.log")"

run two 1 --flaw keep-state -- --baseline "$WORK/one/results.json"
two_fails=$(ids_verdict "$WORK/two/results.json" fail,error,xpass)
same "two: regressions" "$(ids_kind "$WORK/two/diff.json" regression)" "$two_fails"
case " $two_fails " in *" server/s06-ehlo-state-discarded "*) ok "two: keep-state is found";;
	*) fail "two: S-06 not among the FAILs: $two_fails";; esac
same "two: fixed" "$(ids_kind "$WORK/two/diff.json" fixed)" "$one_fails"
grep -q "^## Change against the baseline" "$WORK/two/diff.md" && ok "two: diff.md" || fail "two: diff.md"

# stark diff on the files: the same verdicts
for pair in "clean.json one" "one/results.json two"; do
	set -- $pair
	rc=0
	"$STARK" diff "$WORK/$1" "$WORK/$2/results.json" --out "$WORK/d-$2" >"$WORK/d-$2.log" || rc=$?
	[ "$rc" -eq 1 ] && ok "stark diff $1 $2: exit 1" || fail "stark diff $1 $2: exit $rc"
	cmp -s <(sed '/"path"/d' "$WORK/d-$2/diff.json") <(sed '/"path"/d' "$WORK/$2/diff.json") &&
		ok "stark diff = --baseline ($2)" || fail "stark diff differs from --baseline ($2)"
done

# a baseline written by a stark before run.suite/run.servername existed:
# still compared (ids are stable), said so, the regressions still fail
python3 - "$WORK/clean.json" "$WORK/older.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); del d["run"]["suite"], d["run"]["servername"], d["run"]["shard"]
json.dump(d, open(sys.argv[2], "w"))
PY
rc=0; "$STARK" diff "$WORK/older.json" "$WORK/one/results.json" >"$WORK/older.log" || rc=$?
[ "$rc" -eq 1 ] && grep -q "does not say which suite" "$WORK/older.log" &&
	[ "$(grep -c "REGRESSION" "$WORK/older.log")" -eq "$(echo "$one_fails" | wc -w)" ] &&
	ok "an older baseline: compared, noted, exit 1" || fail "older baseline: exit $rc: $(cat "$WORK/older.log")"

# a baseline of another role (a client run): not comparable, exit 2
python3 - "$WORK/clean.json" "$WORK/client.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["run"]["role"] = "client"; d["run"]["profile"] = "require-tls"
json.dump(d, open(sys.argv[2], "w"))
PY
rc=0; "$STARK" diff "$WORK/client.json" "$WORK/clean/results.json" >"$WORK/role.log" || rc=$?
[ "$rc" -eq 2 ] && grep -q "another role" "$WORK/role.log" && ok "another role: exit 2, said so" ||
	fail "another role: exit $rc: $(cat "$WORK/role.log")"

# the same refserver, the suite narrowed by -k: the missing ids are "not
# run", listed, and no regression (the suite digest differs, said so)
rc=0
timeout -k 5 120 "$STARK" run --target "$(awk '/listening/ {print $3}' "$WORK/clean.out")" \
	--servername localhost --ca "$WORK/clean-ca.pem" --no-system-ca -j 2 -k s01 -q \
	--out "$WORK/narrow" --baseline "$WORK/clean.json" >"$WORK/narrow.log" 2>&1 || rc=$?
nr=$(ids_kind "$WORK/narrow/diff.json" not_run | wc -w)
[ "$rc" -eq 0 ] && [ "$nr" -gt 10 ] && grep -q "another suite" "$WORK/narrow/diff.json" &&
	ok "-k narrowed: exit 0, $nr not run, suite note" || fail "-k narrowed: exit $rc, $nr not run"

# the same suite and target, an id the baseline PASSed is missing: a check
# stopped being judged, which is a regression (docs/ci.md)
python3 - "$WORK/clean.json" "$WORK/missing.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["results"] = [r for r in d["results"] if r["id"] != "server/s08-injection-ehlo"]
json.dump(d, open(sys.argv[2], "w"))
PY
rc=0; "$STARK" diff "$WORK/clean.json" "$WORK/missing.json" >"$WORK/missing.log" || rc=$?
[ "$rc" -eq 1 ] && grep -q "NOT RUN       server/s08-injection-ehlo  PASS -> ABSENT (regression: same suite)" \
	"$WORK/missing.log" && ok "missing from the same suite: regression" ||
	fail "missing from the same suite: exit $rc: $(cat "$WORK/missing.log")"

for d in clean0 one two narrow d-one d-two; do
	python3 - "$SRC/reports/diff.schema.json" "$WORK/$d/diff.json" <<'PY' && ok "$d/diff.json valid" || fail "$d/diff.json invalid"
import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))
PY
done

# the SARIF of real runs (clean, a flaw, another flaw): the official schema
# and stark's promises (tests/validate-sarif.py, beside each results.json)
python3 "$SRC/tests/validate-sarif.py" "$WORK/clean" "$WORK/one" "$WORK/two" >"$WORK/sarif.log" 2>&1 &&
	ok "results.sarif of clean, one, two valid (SARIF 2.1.0)" || fail "SARIF: $(cat "$WORK/sarif.log")"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"][0]["results"]))' "$WORK/one/results.sarif")
[ "$n" -eq "$(echo "$one_fails" | wc -w)" ] && ok "one: $n SARIF results, one per FAIL" || fail "one: $n SARIF results"

[ "$failures" -eq 0 ] || { echo "gate-baseline: $failures failure(s)"; exit 1; }
echo "gate-baseline: all passed"
