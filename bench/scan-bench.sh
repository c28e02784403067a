#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stark scan beside testssl.sh on one target, in one run (issue 4): the
# private Postfix instance of bench/postfix-instance.sh in its own
# configuration ("config A": Postfix's TLS defaults, ECDSA and RSA
# certificates; TLS 1.0-1.3, about 110 suite/version pairs), on loopback.
#
#   stark scan                full: TLS facts + the server suite; median wall
#                             time of REPEAT runs, connections of the probe
#   stark scan --no-suite     TLS facts only (when stark has the option)
#   testssl -p -E             protocols + every cipher per protocol (what
#                             tests/real/tls-compare.sh runs), once
#   testssl (all checks)      testssl's default run (protocols, ciphers,
#                             preferences, FS, certificate, vulnerabilities),
#                             once; TESTSSL_FULL=0 leaves it out (minutes)
#
# and the ratios testssl / stark. Nothing leaves loopback: IP literal,
# testssl --nodns none and no --phone-out.
#
# usage: bench/scan-bench.sh [BUILD_DIR]     (root: Postfix's master)
# env:   REPEAT (stark runs per variant, default 3), TESTSSL_FULL (default 1),
#        TESTSSL_TIMEOUT (seconds per testssl run, default 900)
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
if [ "$(id -u)" -ne 0 ]; then
	echo "scan-bench: needs root (Postfix's master)" >&2
	exit 2
fi
if ! command -v testssl >/dev/null; then
	echo "scan-bench: testssl.sh is not installed (apt-get install testssl.sh)" >&2
	exit 2
fi

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
TMP=$(mktemp -d "${TMPDIR:-/tmp}/stark-scan-bench.XXXXXX")

pf_start "$STARK" >/dev/null
TARGET=127.0.0.1:$PF_PORT
echo "scan-bench: Postfix $(postconf -d -h mail_version 2>/dev/null) on $TARGET (config A: its TLS defaults, ECDSA + RSA)"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run_timed CMD...: CMD in the background (so a signal reaches the cleanup at
# once), waited for; sets RC and MS
run_timed()
{
	local t0
	t0=$(now_ms)
	RC=0
	"$@" &
	CHILD=$!
	wait "$CHILD" || RC=$?
	CHILD=
	MS=$(($(now_ms) - t0))
}

# stark_variant LABEL [OPTION...]: REPEAT runs; prints the median wall time,
# the probe's connections and the suite's results
stark_variant()
{
	local label=$1 i times=() med facts
	shift
	for ((i = 0; i < REPEAT; i++)); do
		rm -rf "$TMP/stark"
		run_timed timeout -k 5 600 "$STARK" scan --target "$TARGET" --servername "$PF_NAME" \
			--ca "$PF_CA" --out "$TMP/stark" -q "$@" >"$TMP/stark.out" 2>&1
		if [ ! -f "$TMP/stark/results.json" ]; then
			echo "  $label: stark exited $RC without a report:" >&2
			tail -n 5 "$TMP/stark.out" >&2
			return 1
		fi
		times+=("$MS")
	done
	med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((REPEAT + 1) / 2))p")
	facts=$(python3 - "$TMP/stark/results.json" "$TARGET" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
nodes = (r.get("scan") or {}).get("nodes") or [{}]
n = next((x for x in nodes if x.get("target") == sys.argv[2]), nodes[0])
suites = sum(len(v) for v in (n.get("suites") or {}).values())
print(n.get("connections", "?"), n.get("elapsed_ms", "?"), suites, len(r.get("results") or []))
EOF
)
	read -r CONNS PROBE_MS SUITES RESULTS <<<"$facts"
	STARK_MS=$med
	printf '  %-30s %8d ms  (median of %d; probe %s ms, %s connections, %s suites; %s results in the report)\n' \
		"$label" "$med" "$REPEAT" "$PROBE_MS" "$CONNS" "$SUITES" "$RESULTS"
}

# testssl_variant LABEL [OPTION...]: one run; prints its wall time
testssl_variant()
{
	local label=$1
	shift
	rm -f "$TMP/testssl.json"
	run_timed timeout -k 10 "$TESTSSL_TIMEOUT" testssl --quiet --color 0 --warnings off --nodns none \
		--connect-timeout 10 --openssl-timeout 10 --starttls smtp "$@" \
		--jsonfile "$TMP/testssl.json" "$TARGET" >"$TMP/testssl.out" 2>&1
	TESTSSL_MS=$MS
	local n
	n=$(python3 -c 'import json, sys; print(sum(1 for x in json.load(open(sys.argv[1])) if x["id"].startswith(("cipher-", "cipher_x"))))' \
		"$TMP/testssl.json" 2>/dev/null || echo "?")
	printf '  %-30s %8d ms  (exit %d, %s suites listed)\n' "$label" "$MS" "$RC" "$n"
}

ratio() { python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print("%.1fx" % (a / b) if b else "-")' "$1" "$2"; }

HAS_SCAN=1
help=$("$STARK" scan --help 2>&1 || true)
case $help in *"unknown command"*) HAS_SCAN=0 ;; esac
help=$("$STARK" help 2>&1 || true)
NOSUITE=0
case $help in *--no-suite*) NOSUITE=1 ;; esac

full_ms='' facts_ms=''
if [ "$HAS_SCAN" = 1 ]; then
	stark_variant "stark scan (full)"
	full_ms=$STARK_MS
	full_conns=$CONNS
	if [ "$NOSUITE" = 1 ]; then
		stark_variant "stark scan --no-suite" --no-suite
		facts_ms=$STARK_MS
	fi
else
	echo "  stark scan not available (this stark has no scan command)"
fi
testssl_variant "testssl -p -E" --protocols --cipher-per-proto
pe_ms=$TESTSSL_MS
all_ms=
if [ "${TESTSSL_FULL:-1}" = 1 ]; then
	testssl_variant "testssl (all checks)"
	all_ms=$TESTSSL_MS
fi

if [ -n "$full_ms" ]; then
	echo
	echo "  stark scan (full): $full_ms ms, $full_conns connections for the TLS facts"
	[ -z "$all_ms" ] || echo "  testssl (all checks) / stark scan (full):      $(ratio "$all_ms" "$full_ms")"
	echo "  testssl -p -E / stark scan (full):             $(ratio "$pe_ms" "$full_ms")"
	if [ -n "$facts_ms" ]; then
		echo "  testssl -p -E / stark scan --no-suite:         $(ratio "$pe_ms" "$facts_ms")"
	fi
fi
