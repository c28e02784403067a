#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A full `stark scan` (TLS facts, the attack batteries T-15/T-16/T-22 and
# the server suite) beside testssl.sh on the same target in the same run
# (issue 12): the private Postfix of bench/postfix-instance.sh in its
# default configuration, on loopback.
#
#   stark scan                 full: facts + batteries + suite (median of REPEAT)
#   stark scan --no-suite      facts + batteries
#   testssl (default run)      testssl --starttls smtp with no check options
#   testssl batteries          -H -I -T -BB -O -W -F -J -D -A -L (the same
#                              vulnerabilities as stark's batteries)
#
# Wall time per run and TCP connections per run, both counted the same way
# for both tools: the "connect from" lines Postfix's smtpd logs while the run
# lasts (stark's own count from its report is shown beside). Prints the ratio
# testssl default / stark full and whether it is >= 50x. Nothing leaves
# loopback: IP literal, testssl --nodns none.
#
# usage: bench/attack-bench.sh [BUILD_DIR]     (root: Postfix's master)
# env:   REPEAT (stark runs per variant, default 3), TESTSSL_TIMEOUT (s, 900)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPEAT=${REPEAT:-3}
TESTSSL_TIMEOUT=${TESTSSL_TIMEOUT:-900}
if [ ! -x "$BUILD/stark" ]; then
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" -j2 --target stark >/dev/null
fi
STARK=$(realpath "$BUILD/stark")
[ "$(id -u)" -eq 0 ] || { echo "attack-bench: needs root (Postfix's master)" >&2; exit 2; }
command -v testssl >/dev/null || { echo "attack-bench: testssl.sh is not installed" >&2; exit 2; }

# shellcheck source=bench/postfix-instance.sh
. bench/postfix-instance.sh
TMP=
CHILD=
cleanup()
{
	trap - EXIT INT TERM
	set +e
	if [ -n "$CHILD" ]; then
		kill -TERM "$CHILD" 2>/dev/null
		wait "$CHILD" 2>/dev/null
	fi
	pf_stop
	[ -n "$TMP" ] && rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
TMP=$(mktemp -d "${TMPDIR:-/tmp}/stark-attack-bench.XXXXXX")
export PF_MAX_LIFETIME=$((TESTSSL_TIMEOUT * 2 + 600))
pf_start "$STARK" >/dev/null
TARGET=127.0.0.1:$PF_PORT
echo "attack-bench: Postfix $(postconf -d -h mail_version 2>/dev/null) on $TARGET (its TLS defaults, ECDSA + RSA)"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# smtpd connections on the mx listener so far (postlogd may lag: settle first)
conns_logged()
{
	sleep 1
	grep -c "postfix/smtpd\[[0-9]*\]: connect from" "$PF_DIR/maillog" || true
}

# run_timed CMD...: sets RC, MS and CONNS (smtpd connections during the run)
run_timed()
{
	local t0 c0
	c0=$(conns_logged)
	t0=$(now_ms)
	RC=0
	"$@" &
	CHILD=$!
	wait "$CHILD" || RC=$?
	CHILD=
	MS=$(($(now_ms) - t0))
	CONNS=$(($(conns_logged) - c0))
}

stark_variant()
{
	local label=$1 i times=() conns=() med own
	shift
	for ((i = 0; i < REPEAT; i++)); do
		rm -rf "$TMP/stark"
		run_timed timeout -k 5 600 "$STARK" scan --target "$TARGET" --servername "$PF_NAME" \
			--ca "$PF_CA" --out "$TMP/stark" -q "$@" >"$TMP/stark.out" 2>&1
		[ -f "$TMP/stark/results.json" ] || { echo "  $label: no report (exit $RC)" >&2; tail -n 5 "$TMP/stark.out" >&2; return 1; }
		times+=("$MS")
		conns+=("$CONNS")
	done
	med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((REPEAT + 1) / 2))p")
	own=$(python3 - "$TMP/stark/results.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
n = ((r.get("scan") or {}).get("nodes") or [{}])[0]
bat = [x for x in r["results"] if x["id"].startswith(("tls/t15-", "tls/t16-", "tls/t22-"))]
print(n.get("connections", "?"), len(bat), len(r["results"]))
EOF
)
	read -r OWN BAT RES <<<"$own"
	STARK_MS=$med STARK_CONNS=${conns[-1]}
	printf '  %-26s %9d ms %7s conns  (median of %d; stark counts %s for the node; %s battery verdicts, %s results)\n' \
		"$label" "$med" "${conns[-1]}" "$REPEAT" "$OWN" "$BAT" "$RES"
}

testssl_variant()
{
	local label=$1
	shift
	rm -f "$TMP/testssl.json"
	run_timed timeout -k 10 "$TESTSSL_TIMEOUT" testssl --quiet --color 0 --warnings off --nodns none \
		--connect-timeout 10 --openssl-timeout 10 --starttls smtp "$@" \
		--jsonfile "$TMP/testssl.json" "$TARGET" >"$TMP/testssl.out" 2>&1
	TESTSSL_MS=$MS TESTSSL_CONNS=$CONNS
	printf '  %-26s %9d ms %7s conns  (exit %d)\n' "$label" "$MS" "$CONNS" "$RC"
}
ratio() { python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print("%.1f" % (a / b) if b else "0")' "$1" "$2"; }

stark_variant "stark scan (full)"
full_ms=$STARK_MS full_conns=$STARK_CONNS
stark_variant "stark scan --no-suite" --no-suite
facts_ms=$STARK_MS
testssl_variant "testssl batteries" -H -I -T -BB -O -W -F -J -D -A -L
bat_ms=$TESTSSL_MS bat_conns=$TESTSSL_CONNS
testssl_variant "testssl (default run)"
def_ms=$TESTSSL_MS def_conns=$TESTSSL_CONNS def_rc=$RC

r=$(ratio "$def_ms" "$full_ms")
echo
echo "  testssl (default run) / stark scan (full):      ${r}x time, $def_conns vs $full_conns connections"
[ "$def_rc" != 124 ] || echo "  (testssl's default run hit TESTSSL_TIMEOUT: its time and connections are lower bounds)"
echo "  testssl batteries / stark scan --no-suite:      $(ratio "$bat_ms" "$facts_ms")x time, $bat_conns connections for testssl's batteries alone"
if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 50 else 1)' "$r"; then
	echo "  >= 50x: yes"
else
	echo "  >= 50x: NO"
	exit 1
fi
