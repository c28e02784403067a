#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Domain-scan benchmark (issue 13): wall time of one full domain scan
# (stark scan --domain three.test: three MX, two reference targets and
# Postfix, the server suite on each, DANE) beside the sum of the three
# single-host scans of the same MX (stark scan --target, one at a time, the
# way a user checks hosts by hand), measured side by side in one run,
# alternating; each figure is the median of REPEAT runs (default 3). DNS:
# the lookups stark made (its own count) and the queries the NSD answered
# for them (nsd-control stats), per domain scan.
# Runs in its own network namespace with only lo (unshare -n), as
# tests/real/domain.sh does; needs root, nsd, ldnsutils and Postfix.
# usage: bench/domain-bench.sh [BUILD_DIR]
# env:   REPEAT=N  JOBS=N (default 4)  TIMEOUT=5s
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
BUILD=${1:-build}
REPEAT=${REPEAT:-3}
JOBS=${JOBS:-4}
TIMEOUT=${TIMEOUT:-5s}
if [ "$(id -u)" -ne 0 ] || ! command -v nsd >/dev/null || [ ! -x /usr/lib/postfix/sbin/master ]; then
	echo "domain-bench: needs root, nsd (scripts/install-deps.sh) and Postfix" >&2
	exit 2
fi
if [ -z "${STARK_DOMAIN_NETNS:-}" ]; then
	exec unshare -n env STARK_DOMAIN_NETNS=1 "$0" "$@"
fi
ip link set lo up
if [ ! -x "$BUILD/stark" ]; then
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" -j2 --target stark >/dev/null
fi
STARK=$(realpath "$BUILD/stark")
W=$(mktemp -d /tmp/stark-domain-bench.XXXXXX)
PIDS=()
# shellcheck source=../tests/real/lib/dnsfix.bash
. tests/real/lib/dnsfix.bash
# shellcheck source=postfix-instance.sh
. bench/postfix-instance.sh
cleanup()
{
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	pf_stop
	dnsfix_stop
	rm -rf "$W"
}
trap cleanup EXIT

PF_NAME=mx3.three.test pf_start "$STARK" >/dev/null
PORT=$PF_PORT
for i in 1 2; do
	mkdir -p "$W/$i"
	"$STARK" refserver --listen "127.0.0.$((i + 1)):$PORT" --servername "mx$i.three.test" \
		--cert good --ca-out "$W/$i/ca.pem" >"$W/$i/out" 2>&1 &
	PIDS+=($!)
done
mkdir -p "$W/3"
for i in 1 2 3; do
	addr=127.0.0.$((i + 1))
	[ $i = 3 ] && addr=127.0.0.1
	for _ in $(seq 50); do
		(cd "$W/$i" && openssl s_client -starttls smtp -connect "$addr:$PORT" -showcerts </dev/null \
			2>/dev/null | awk '/BEGIN CERT/ { f = "cert" n++ ".pem" } f { print > f } /END CERT/ { f = "" }')
		[ -s "$W/$i/cert0.pem" ] && break
		sleep 0.1
	done
done
dnsfix_init
dnsfix_zone three.test signed
for i in 1 2 3; do
	addr=127.0.0.$((i + 1))
	[ $i = 3 ] && addr=127.0.0.1
	dnsfix_rr three.test "@ MX $((i * 10)) mx$i"
	dnsfix_rr three.test "mx$i A $addr"
	dnsfix_tlsa three.test "_25._tcp.mx$i" "$W/$i/cert0.pem" 3 1 1
done
dnsfix_start
cat "$W"/1/ca.pem "$W"/2/ca.pem "$PF_CA" >"$W/cas.pem"
COMMON=(--ca "$W/cas.pem" --no-system-ca --timeout "$TIMEOUT" -j "$JOBS")
# (the domain scan runs without -q: its terminal summary says how many
# lookups stark made)

now() { date +%s%N; }
dom=() single=() lookups=() queries=()
for r in $(seq "$REPEAT"); do
	q0=$(dnsfix_queries)
	t0=$(now)
	"$STARK" scan --domain three.test --resolver "$DNSFIX_RESOLVER" \
		--trust-anchor "$DNSFIX_ANCHOR" --port "$PORT" "${COMMON[@]}" --out "$W/d$r" \
		>"$W/d$r.out" || true
	t1=$(now)
	dom+=($(((t1 - t0) / 1000000)))
	queries+=($(($(dnsfix_queries) - q0)))
	lookups+=("$(sed -n 's/^stark: \([0-9]*\) DNS lookups.*/\1/p' "$W/d$r.out")")
	t0=$(now)
	for i in 1 2 3; do
		addr=127.0.0.$((i + 1))
		[ $i = 3 ] && addr=127.0.0.1
		"$STARK" scan --target "$addr:$PORT" --servername "mx$i.three.test" "${COMMON[@]}" -q \
			--out "$W/s$r-$i" >/dev/null || true
	done
	t1=$(now)
	single+=($(((t1 - t0) / 1000000)))
	[ -s "$W/d$r/results.json" ] || { echo "domain-bench: the domain scan wrote no report" >&2; exit 1; }
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
md=$(median "${dom[@]}") ms=$(median "${single[@]}")
nres=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["results"]))' "$W/d1/results.json")
echo "domain-bench: three.test, 3 MX (2 reference targets, Postfix), server suite, DANE, MTA-STS/TLS-RPT lookups, -j $JOBS, $REPEAT runs"
echo "  domain scan (--domain):          median ${md} ms  (runs: ${dom[*]}), $nres results"
echo "  sum of 3 single-host scans:      median ${ms} ms  (runs: ${single[*]})"
awk -v a="$md" -v b="$ms" 'BEGIN { printf "  ratio domain / sum of singles:   %.2f\n", a / b }'
echo "  DNS per domain scan: ${lookups[0]} lookups by stark (libunbound, validated), ${queries[*]} queries answered by NSD"
