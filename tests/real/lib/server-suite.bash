# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# server-suite.bash: the verdict check the real-MTA scripts share (sourced by
# tests/real/exim.sh, opensmtpd.sh, smtp-server.sh, haraka.sh and
# sendmail.sh; it is not a test itself, hence not a .sh under tests/real/).
# One function does the work:
#
#   suite_run NAME PROFILE HOST:PORT SERVERNAME CA EXPECTED LOGTAIL_FN OUTDIR
#
# runs the server suite with --profile PROFILE, checks that the report
# names a negotiated TLS version and cipher, and compares the "ID VERDICT"
# lines with EXPECTED ('#' comments and blank lines ignored). On a
# difference it prints the results that differ with their transcripts and
# the MTA's log (LOGTAIL_FN 40). Returns 0 when all is as expected.
# Knob: STARK_TIMEOUT (seconds for the whole stark run, default 120).

# "id verdict" per result of a results.json, in run order.
suite__report_lines()
{
	python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for x in r["results"]:
    print(x["id"], x["verdict"])
PY
}

# "id verdict" lines of an expectation file: '#' starts a comment at the
# start of a line or after blanks ("server/sanity#end" is an id).
suite__expected_lines()
{
	sed -e 's/^#.*//' -e 's/[[:space:]]#.*//' -e 's/[[:space:]]\+/ /g' \
		-e 's/^ //' -e 's/ $//' "$1" | grep -v '^$'
}

# Details of the results whose verdict differs from the expectation.
suite__explain()
{
	python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = {}
for line in open(sys.argv[2]):
    line = line.split()
    if len(line) >= 2 and not line[0].startswith("#"):
        want[line[0]] = line[1]
for x in r["results"]:
    if want.get(x["id"]) == x["verdict"]:
        continue
    print("--- %s: %s (expected %s) %s" % (x["id"], x["verdict"], want.get(x["id"], "nothing"),
                                          x["reason"]))
    for e in x["transcript"]["events"]:
        print("  [+%sms] %s %s %s" % (e["t_ms"], e["dir"], e["layer"], e["data"][:300]))
PY
}

suite__tls_facts()
{
	python3 - "$1" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["target_tls"] or {}
print(t.get("version") or "", t.get("cipher") or "", t.get("group") or "")
PY
}

suite_run()
{
	local name=$1 profile=$2 target=$3 servername=$4 ca=$5 expected=$6 logtail=$7 out=$8
	local rc=0 t0 ms version cipher group
	t0=$(date +%s%N)
	timeout -k 5 "${STARK_TIMEOUT:-120}" "$STARK" run --target "$target" \
		--servername "$servername" --ca "$ca" --profile "$profile" \
		--out "$out" -j 4 -q || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$rc" -ge 124 ] || [ ! -f "$out/results.json" ]; then
		echo "$name: FAIL: stark exited $rc without a report (timeout ${STARK_TIMEOUT:-120}s?)"
		"$logtail" 40
		return 1
	fi
	echo "$name: stark exited $rc in ${ms} ms"
	local failed=0
	read -r version cipher group < <(suite__tls_facts "$out/results.json") || true
	if [ -z "${version:-}" ] || [ -z "${cipher:-}" ]; then
		echo "$name: FAIL: no negotiated TLS version/cipher in the report"
		failed=1
	else
		echo "$name: TLS in use: $version $cipher (group ${group:-?})"
	fi
	if diff -u --label "expected ($(basename "$expected"))" --label "actual ($name, --profile $profile)" \
		<(suite__expected_lines "$expected") <(suite__report_lines "$out/results.json"); then
		echo "$name: all $(suite__report_lines "$out/results.json" | wc -l) verdicts as expected"
	else
		echo "$name: FAIL: verdicts differ from $expected (- expected, + actual); details:"
		suite__explain "$out/results.json" "$expected"
		echo "--- $name log (tail):"
		"$logtail" 40
		failed=1
	fi
	return "$failed"
}

# For scripts whose peer is one process they started (PID) and whose files
# live in WORK (haraka.sh, smtp-server.sh): on any exit the peer is stopped,
# WORK is copied to STARK_REAL_KEEP if set, then removed; the exit status
# stays the script's own (130/143 on SIGINT/SIGTERM).
suite__peer_cleanup()
{
	local rc=$?
	trap - EXIT INT TERM
	set +e
	if [ -n "${PID:-}" ]; then
		kill "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	if [ -n "${STARK_REAL_KEEP:-}" ] && [ -n "${WORK:-}" ]; then
		mkdir -p "$STARK_REAL_KEEP"
		cp -r "$WORK"/. "$STARK_REAL_KEEP"/ 2>/dev/null
	fi
	[ -n "${WORK:-}" ] && rm -rf -- "$WORK"
	exit "$rc"
}

suite_peer_traps()
{
	trap suite__peer_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
