#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stark benchmarks, measured side by side in one run (issue 2):
#   - full server-suite wall time against the reference target and against
#     Postfix (a private loopback instance), with -j 1 and -j 4;
#   - handshakes per second of stark's own TLS client (STARTTLS through
#     conn/wtls) against the reference target, beside a bare wolfSSL
#     connect/accept loop with the same certificate.
# Each wall time is the median of REPEAT runs (default 5).
# (bench/limit-bench.sh: -j default vs -j 1 vs the physical limit, scan vs sslscan,
# a 6-node fleet and the client suite, each beside the previous stark; issue 16)
# usage: bench/run.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPEAT=${REPEAT:-5}
if [ ! -x "$BUILD/stark" ] || [ ! -x "$BUILD/hsbench" ]; then
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" -j2 --target stark hsbench >/dev/null
fi
STARK=$(realpath "$BUILD/stark")
TMP=$(mktemp -d)
REF_PID=
cleanup() {
	[ -n "$REF_PID" ] && kill "$REF_PID" 2>/dev/null && wait "$REF_PID" 2>/dev/null
	if declare -F pf_stop >/dev/null; then pf_stop; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# median wall time in ms of: stark run ARGS...
median_ms() {
	local times=() t0 t1 i
	for ((i = 0; i < REPEAT; i++)); do
		t0=$(date +%s%N)
		"$STARK" run "$@" -q --out "$TMP/r" >/dev/null || true
		t1=$(date +%s%N)
		times+=($(((t1 - t0) / 1000000)))
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((REPEAT + 1) / 2))p"
}

"$STARK" refserver --ca-out "$TMP/ref-ca.pem" >"$TMP/ref.out" &
REF_PID=$!
for _ in $(seq 50); do grep -q listening "$TMP/ref.out" 2>/dev/null && break; sleep 0.05; done
REF=$(awk '{print $3}' "$TMP/ref.out")
NSCN=$(find scenarios/server -name '*.scn' | wc -l)

echo "server suite: $NSCN scenarios (+ the closing sanity run), median of $REPEAT runs"
ref1=$(median_ms --target "$REF" --servername localhost --ca "$TMP/ref-ca.pem" -j 1)
ref4=$(median_ms --target "$REF" --servername localhost --ca "$TMP/ref-ca.pem" -j 4)
printf '  reference target  -j 1: %6d ms   -j 4: %6d ms   (speed-up %.2fx)\n' "$ref1" "$ref4" \
	"$(echo "$ref1 / $ref4" | bc -l)"

# shellcheck source=bench/postfix-instance.sh
. bench/postfix-instance.sh
if [ "$(id -u)" -eq 0 ] && pf_start "$STARK" >/dev/null 2>&1; then
	pf1=$(median_ms --target "127.0.0.1:$PF_PORT" --servername "$PF_NAME" --ca "$PF_CA" -j 1)
	pf4=$(median_ms --target "127.0.0.1:$PF_PORT" --servername "$PF_NAME" --ca "$PF_CA" -j 4)
	printf '  Postfix           -j 1: %6d ms   -j 4: %6d ms   (speed-up %.2fx)\n' "$pf1" "$pf4" \
		"$(echo "$pf1 / $pf4" | bc -l)"
	printf '  Postfix / reference at -j 4: %.2f\n' "$(echo "$pf4 / $ref4" | bc -l)"
else
	echo "  Postfix: not measured (needs root and the postfix package)"
fi
echo
"$BUILD/hsbench" "${HANDSHAKES:-500}"
