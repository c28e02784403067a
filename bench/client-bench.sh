#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Client-suite benchmark (issue 3): wall time of the full client suite
# (scenarios/client, stark serve -j 4, --client-profile require-tls) against
# curl and against Python's smtplib, measured side by side in one run. The
# runs alternate (curl, smtplib, curl, ...) so that drift hits both alike;
# each figure is the median of REPEAT runs (default 3). The clients are
# driven exactly as in tests/real/clients.sh (tests/real/clients/trigger.sh):
# curl --ssl-reqd and smtplib with a verifying context.
# usage: bench/client-bench.sh [BUILD_DIR]
# env:   REPEAT=N  JOBS=N (default 4)  TIMEOUT=2s (stark's per-step deadline)
#        BENCH_CLIENTS="curl smtplib-verify" (any names trigger.sh knows)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPEAT=${REPEAT:-3}
JOBS=${JOBS:-4}
TIMEOUT=${TIMEOUT:-2s}
read -r -a CLIENTS <<<"${BENCH_CLIENTS:-curl smtplib-verify}"
if [ ! -x "$BUILD/stark" ]; then
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" -j2 --target stark >/dev/null
fi
STARK=$(realpath "$BUILD/stark")
TRIGGER=$(realpath tests/real/clients/trigger.sh)
for c in "${CLIENTS[@]}"; do
	need=$c
	case $c in smtplib-*) need=python3 ;; curl-*) need=curl ;; esac
	if ! command -v "$need" >/dev/null; then
		echo "client-bench: $need is not installed (scripts/install-deps.sh)" >&2
		exit 2
	fi
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export HOME=$TMP/home # no ~/.curlrc and the like
mkdir -p "$HOME"

# one run of the suite against client $1: prints "ms executed fail"
run_once() {
	local t0 t1
	rm -rf "$TMP/r"
	t0=$(date +%s%N)
	"$STARK" serve --trigger "'$TRIGGER' $1" --client-profile require-tls \
		--scenarios scenarios/client --timeout "$TIMEOUT" -j "$JOBS" -q --out "$TMP/r" \
		>/dev/null 2>&1 || true
	t1=$(date +%s%N)
	python3 - "$TMP/r/results.json" "$(((t1 - t0) / 1000000))" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ran = [x for x in r if x["verdict"] != "skip"]
print(sys.argv[2], len(ran), sum(x["verdict"] in ("fail", "xfail") for x in ran))
EOF
}

declare -A times ran failed
for ((i = 0; i < REPEAT; i++)); do
	for c in "${CLIENTS[@]}"; do
		read -r ms n f < <(run_once "$c")
		times[$c]+="$ms "
		ran[$c]=$n
		failed[$c]=$f
	done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | sed -n "$(((REPEAT + 1) / 2))p"; }

NSCN=$(find scenarios/client -name '*.scn' | wc -l)
echo "client suite: $NSCN scenario files (+ the closing sanity run), -j $JOBS, --timeout $TIMEOUT,"
echo "--client-profile require-tls, median of $REPEAT runs (runs alternate between the clients)"
printf '  %-18s %9s %10s %10s %14s\n' client "wall ms" executed "fail+xfail" "ms/scenario"
first=
for c in "${CLIENTS[@]}"; do
	m=$(median "${times[$c]}")
	printf '  %-18s %9d %10d %10d %14.1f\n' "$c" "$m" "${ran[$c]}" "${failed[$c]}" \
		"$(echo "$m * $JOBS / ${ran[$c]}" | bc -l)"
	if [ -z "$first" ]; then
		first=$m
		fname=$c
	else
		printf '  %s / %s: %.2f\n' "$c" "$fname" "$(echo "$m / $first" | bc -l)"
	fi
done
echo "  (ms/scenario: wall time x jobs / executed scenarios, i.e. the mean time one scenario holds a slot)"
