#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peer: the server suite against Postfix (Debian's package), started
# here on loopback in a private instance (bench/postfix-instance.sh), once
# per profile:
#   mx          smtpd_tls_security_level=may     -> postfix.expected
#   submission  smtpd_tls_security_level=encrypt -> postfix-submission.expected
# Each run's verdicts must equal the expectation file line for line
# ("ID VERDICT"; '#' comments and blank lines ignored); postfix.xfail, if
# present, is passed as --xfail. The report must show a negotiated TLS
# version and cipher. Postfix and the temp dir are always removed.
#
# usage: tests/real/postfix.sh STARK_BINARY SOURCE_DIR
# env:   STARK_REAL_KEEP=DIR  copy the reports and the Postfix log there
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$(realpath "$1")
SRC=$(realpath "$2")
HERE=$SRC/tests/real
# the suite takes well under a second; 60 s per profile keeps the whole
# script inside ctest's 300 s TIMEOUT even if every scenario hangs
STARK_TIMEOUT=${STARK_TIMEOUT:-60}

# 77: cannot run here (ctest shows it as skipped where SKIP_RETURN_CODE is set)
if [ "$(id -u)" -ne 0 ]; then
	echo "postfix: SKIP: needs root to run Postfix's master" >&2
	exit 77
fi
if [ ! -x /usr/lib/postfix/sbin/master ] || ! command -v postconf >/dev/null; then
	echo "postfix: SKIP: Postfix is not installed (scripts/install-deps.sh)" >&2
	exit 77
fi

# shellcheck source-path=SCRIPTDIR/../.. source=bench/postfix-instance.sh
. "$SRC/bench/postfix-instance.sh"

WORK=
cleanup()
{
	local rc=$?
	trap - EXIT INT TERM
	set +e
	if [ -n "${STARK_REAL_KEEP:-}" ] && [ -n "$WORK" ]; then
		mkdir -p "$STARK_REAL_KEEP"
		cp -r "$WORK"/. "$STARK_REAL_KEEP"/ 2>/dev/null || true
		if [ -n "$PF_DIR" ]; then
			cp "$PF_DIR/maillog" "$STARK_REAL_KEEP/" 2>/dev/null
		fi
	fi
	pf_stop
	[ -n "$WORK" ] && rm -rf -- "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-real-postfix.XXXXXX")

if ! pf_start "$STARK"; then
	echo "postfix: FAIL: could not start Postfix" >&2
	exit 1
fi
echo "postfix: private instance up in $PF_DIR: mx on 127.0.0.1:$PF_PORT, submission on 127.0.0.1:$PF_SUB_PORT"

# "id verdict" per result of a results.json, in run order.
report_lines()
{
	python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for x in r["results"]:
    print(x["id"], x["verdict"])
EOF
}

# "id verdict" lines of an expectation file: '#' starts a comment at the
# start of a line or after blanks ("server/sanity#end" is an id).
expected_lines()
{
	sed -e 's/^#.*//' -e 's/[[:space:]]#.*//' -e 's/[[:space:]]\+/ /g' \
		-e 's/^ //' -e 's/ $//' "$1" | grep -v '^$'
}

# Details of the results whose verdict differs from the expectation.
explain()
{
	python3 - "$1" "$2" <<'EOF'
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
        print("  [+%sms] %s %s %s" % (e["t_ms"], e["dir"], e["layer"], e["data"]))
EOF
}

tls_facts()
{
	python3 - "$1" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["target_tls"] or {}
print(t.get("version") or "", t.get("cipher") or "", t.get("group") or "")
EOF
}

failed=0

# run_profile NAME PROFILE PORT EXPECTED
run_profile()
{
	local name=$1 profile=$2 port=$3 expected=$4 out=$WORK/$1 rc=0 t0 ms
	local xfail=() version cipher group
	if [ -f "$HERE/postfix.xfail" ] && [ "$profile" = mx ]; then
		xfail=(--xfail "$HERE/postfix.xfail")
	fi
	t0=$(date +%s%N)
	timeout -k 5 "$STARK_TIMEOUT" "$STARK" run --target "127.0.0.1:$port" \
		--servername "$PF_NAME" --ca "$PF_CA" --profile "$profile" \
		--out "$out" -j 4 -q "${xfail[@]}" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$rc" -ge 124 ] || [ ! -f "$out/results.json" ]; then
		echo "postfix[$name]: FAIL: stark exited $rc without a report (timeout ${STARK_TIMEOUT}s?)"
		pf_log_tail 40
		failed=1
		return
	fi
	echo "postfix[$name]: stark exited $rc in ${ms} ms"

	read -r version cipher group < <(tls_facts "$out/results.json") || true
	if [ -z "${version:-}" ] || [ -z "${cipher:-}" ]; then
		echo "postfix[$name]: FAIL: no negotiated TLS version/cipher in the report"
		failed=1
	else
		echo "postfix[$name]: TLS in use: $version $cipher (group ${group:-?})"
	fi

	if diff -u --label "expected ($(basename "$expected"))" --label "actual (Postfix, --profile $profile)" \
		<(expected_lines "$expected") \
		<(report_lines "$out/results.json"); then
		echo "postfix[$name]: all $(report_lines "$out/results.json" | wc -l) verdicts as expected"
	else
		echo "postfix[$name]: FAIL: verdicts differ from $expected (- expected, + actual); details:"
		explain "$out/results.json" "$expected"
		echo "--- Postfix log (tail):"
		pf_log_tail 40
		failed=1
	fi
}

run_profile mx mx "$PF_PORT" "$HERE/postfix.expected"
if [ -f "$HERE/postfix-submission.expected" ]; then
	run_profile submission submission "$PF_SUB_PORT" "$HERE/postfix-submission.expected"
fi

if [ "$failed" -ne 0 ]; then
	exit 1
fi
echo "postfix: PASS"
