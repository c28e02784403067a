#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# MTA-client benchmark (issue 14): wall time of the client suite
# (scenarios/client, stark serve -j 1 at 127.0.x.y:25) per sending MTA and
# TLS mode, as tests/real/mta-clients.sh runs it (the same instances and
# triggers, one mode after the other in one run), with the time per
# scenario that talked to the MTA (skips excluded) and each mode's share of
# the whole. It measures; the verdict check is tests/real/mta-clients.sh's
# (a mode whose verdicts differ is marked DIFF but still timed).
# usage: bench/mta-client-bench.sh [BUILD_DIR]   (root: MTAs, namespaces)
# env:   BENCH_MODES="postfix/may exim/verify" (default: every mode STARK_LONG=1
#        runs; OpenSMTPD's only when named here)
#        STARK_REAL_KEEP=DIR  keep the reports there
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
if [ ! -x "$BUILD/stark" ]; then
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" -j2 --target stark >/dev/null
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
modes=${BENCH_MODES:-}
t0=$(date +%s%N)
rc=0
STARK_LONG=1 STARK_MTA_CLIENTS="$modes" STARK_REAL_KEEP=${STARK_REAL_KEEP:-$TMP/keep} \
	tests/real/mta-clients.sh "$BUILD/stark" . >"$TMP/out" 2>&1 || rc=$?
total=$((($(date +%s%N) - t0) / 1000000))
# the driver's table: mta/mode profile pass fail xfail xpass skip error incon ms result
awk -v total="$total" '
	/^mta\/mode / { on = 1; next }
	on && NF == 0 { on = 0 }
	on && NF >= 11 {
		run = $3 + $4 + $5 + $6 + $8 + $9
		printf "%-18s %-14s %4d scenarios run %8.1f s  %6.2f s/scenario  %5.1f%% of the run  %s\n",
			$1, $2, run, $10 / 1000, (run ? $10 / 1000 / run : 0), 100 * $10 / total, $11
	}
	on && NF < 11 { print $0 }' "$TMP/out"
echo "total wall time: $((total / 1000)).$(((total % 1000) / 100)) s (tests/real/mta-clients.sh exit status $rc)"
[ "$rc" -eq 0 ] || grep -E '^mta-clients' "$TMP/out" | head -n 20
