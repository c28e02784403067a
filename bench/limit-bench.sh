#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How close stark is to the physical limit (issue 16), side by side in one
# run, every figure the median of REPEAT interleaved rounds (default 5):
#
#   1. stark run on Postfix: -j default, -j 1, and the stark of BASE_BUILD
#      (the commit before, at its default -j 4); the physical limit from
#      primitives measured in the same rounds: the suite cannot end before
#      its longest scenario (Postfix's own error pauses set it) run alone
#      with the two sanity runs around it (phases are barriers), nor before
#      its handshakes at the measured bare rate (bench/hsbench) on every core;
#   2. stark scan --no-suite beside sslscan --starttls-smtp on Postfix, Exim
#      and OpenSMTPD (Exim and OpenSMTPD in their roots, bench/mta-root.sh);
#   3. a 6-node fleet (4 Postfix listeners of one master, Exim, OpenSMTPD),
#      full scan, beside each node scanned alone (slowest taken);
#   4. the client suite against curl, this stark (default -j) beside BASE.
# Verdicts of before and after are compared per target (ids and verdicts).
#
# usage: bench/limit-bench.sh BUILD_DIR BASE_BUILD_DIR   (root)
# env:   REPEAT (default 5), PARTS (default "run scan fleet client")
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
NEW=$(realpath "${1:?usage: bench/limit-bench.sh BUILD_DIR BASE_BUILD_DIR}/stark")
BASE=$(realpath "${2:?usage: bench/limit-bench.sh BUILD_DIR BASE_BUILD_DIR}/stark")
HSBENCH=$(dirname "$NEW")/hsbench
REPEAT=${REPEAT:-5}
PARTS=${PARTS:-run scan fleet client}
[ "$(id -u)" -eq 0 ] || { echo "limit-bench: needs root (Postfix's master, MTA roots)" >&2; exit 2; }
command -v sslscan >/dev/null || { echo "limit-bench: sslscan not installed" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/stark-limit.XXXXXX")
# shellcheck source=bench/postfix-instance.sh
. bench/postfix-instance.sh
# shellcheck source=bench/exim-instance.sh
. bench/exim-instance.sh
# shellcheck source=bench/opensmtpd-instance.sh
. bench/opensmtpd-instance.sh
cleanup() { set +e; pf_stop; exim_stop; osmtpd_stop; rm -rf "$TMP"; }
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# timed LABEL CMD...: appends the wall ms of CMD to $TMP/t.LABEL
timed() {
	local label=$1 t0
	shift
	t0=$(now_ms)
	"$@" >/dev/null 2>&1 || true
	echo $(($(now_ms) - t0)) >>"$TMP/t.$label"
}
med() { sort -n "$TMP/t.$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { python3 -c 'import sys; a,b=map(float,sys.argv[1:]); print("%.2f" % (a/b))' "$1" "$2"; }
verdicts() { python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("\n".join(sorted("%s %s %s" % (x.get("node") or "", x["id"], x["verdict"]) for x in r)))' "$1"; }
same() { # LABEL DIR_BEFORE DIR_AFTER
	if diff <(verdicts "$2/results.json") <(verdicts "$3/results.json") >"$TMP/vd"; then
		echo "  verdicts identical before/after: $1 ($(verdicts "$3/results.json" | wc -l) results)"
	else
		echo "  VERDICTS DIFFER: $1"; sed 's/^/    /' "$TMP/vd"
	fi
}

echo "limit-bench: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), REPEAT=$REPEAT"
pf_start "$NEW" >/dev/null
PF=127.0.0.1:$PF_PORT
RUN=(--target "$PF" --servername "$PF_NAME" --ca "$PF_CA" -q)

case " $PARTS " in *" run "*)
	# the longest scenario, from one run
	"$NEW" run "${RUN[@]}" --out "$TMP/probe" >/dev/null 2>&1 || true
	LONG=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(max(r, key=lambda x: x["elapsed_ms"] or 0)["id"])' "$TMP/probe/results.json")
	NHS=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(sum(1 for x in r if (x.get("tls") or {}).get("handshake_ok")))' "$TMP/probe/results.json")
	for ((i = 0; i < REPEAT; i++)); do
		timed run_new "$NEW" run "${RUN[@]}" --out "$TMP/run_new"
		timed run_j1 "$NEW" run "${RUN[@]}" -j 1 --out "$TMP/run_j1"
		timed run_base "$BASE" run "${RUN[@]}" --out "$TMP/run_base"
		timed run_long "$NEW" run "${RUN[@]}" -k "$LONG" --out "$TMP/run_long"
		timed start "$NEW" catalog
	done
	HS_RATE=$("$HSBENCH" 300 2>/dev/null | awk '/bare wolfSSL/ {print $(NF-1)}')
	echo
	echo "1. stark run, server suite, on Postfix $PF (median of $REPEAT interleaved rounds)"
	echo "  -j default $(med run_new) ms   -j 1 $(med run_j1) ms   before (-j 4) $(med run_base) ms"
	echo "  default / -j 1: $(ratio "$(med run_new)" "$(med run_j1)")   default / before: $(ratio "$(med run_new)" "$(med run_base)")"
	cpu=$(python3 -c "print(int($(med start) + $NHS * 1000.0 / $HS_RATE / $(nproc)))")
	lim=$(( $(med run_long) > cpu ? $(med run_long) : cpu ))
	echo "  physical limit: max(longest scenario $LONG alone with both sanity runs $(med run_long) ms,"
	echo "                      process start $(med start) ms + $NHS handshakes at ${HS_RATE}/s bare over $(nproc) cores = $cpu ms) = $lim ms"
	echo "  default / physical limit: $(ratio "$(med run_new)" "$lim")"
	same "run on Postfix" "$TMP/run_base" "$TMP/run_new"
	;;
esac

case " $PARTS " in *" scan "* | *" fleet "*)
	exim_start "$NEW" >/dev/null
	osmtpd_start "$NEW" >/dev/null
	EX=127.0.0.1:$EXIM_PORT OS=127.0.0.1:$OSMTPD_PORT
	;;
esac

case " $PARTS " in *" scan "*)
	echo
	echo "2. stark scan --no-suite beside sslscan --starttls-smtp (median of $REPEAT interleaved pairs)"
	for t in pf ex os; do
		case $t in pf) tg=$PF nm=$PF_NAME ca=$PF_CA ;; ex) tg=$EX nm=$EXIM_NAME ca=$EXIM_CA ;;
		os) tg=$OS nm=$OSMTPD_NAME ca=$OSMTPD_CA ;; esac
		for ((i = 0; i < REPEAT; i++)); do
			timed "scan_$t" "$NEW" scan --no-suite --target "$tg" --servername "$nm" --ca "$ca" -q --out "$TMP/scan_$t"
			timed "sslscan_$t" sslscan --starttls-smtp --no-colour "$tg"
			timed "scanb_$t" "$BASE" scan --no-suite --target "$tg" --servername "$nm" --ca "$ca" -q --out "$TMP/scanb_$t"
		done
		printf '  %-10s stark %6d ms  sslscan %6d ms  stark/sslscan %s   (before: %d ms)\n' "$t" \
			"$(med "scan_$t")" "$(med "sslscan_$t")" "$(ratio "$(med "scan_$t")" "$(med "sslscan_$t")")" "$(med "scanb_$t")"
		same "scan --no-suite $t" "$TMP/scanb_$t" "$TMP/scan_$t"
	done
	;;
esac

case " $PARTS " in *" fleet "*)
	pf_stop
	PF_FLEET=1 pf_start "$NEW" >/dev/null
	PF=127.0.0.1:$PF_PORT
	NODES=("$PF" "127.0.0.1:$PF_FLEET_A_PORT" "127.0.0.1:$PF_FLEET_B_PORT" "127.0.0.1:$PF_FLEET_C_PORT" "$EX" "$OS")
	printf '%s\n' "${NODES[@]}" >"$TMP/targets"
	cat "$PF_CA" "$EXIM_CA" "$OSMTPD_CA" >"$TMP/ca.pem"
	for ((i = 0; i < REPEAT; i++)); do
		timed fleet "$NEW" scan --targets "$TMP/targets" --servername "$PF_NAME" --ca "$TMP/ca.pem" -q --out "$TMP/fleet"
		timed fleetb "$BASE" scan --targets "$TMP/targets" --servername "$PF_NAME" --ca "$TMP/ca.pem" -q --out "$TMP/fleetb"
		for k in "${!NODES[@]}"; do
			timed "node$k" "$NEW" scan --target "${NODES[$k]}" --servername "$PF_NAME" --ca "$TMP/ca.pem" -q --out "$TMP/node$k"
		done
	done
	slow=0
	for k in "${!NODES[@]}"; do
		m=$(med "node$k")
		echo "  alone: ${NODES[$k]} $m ms"
		[ "$m" -gt "$slow" ] && slow=$m
	done
	echo
	echo "3. 6-node fleet, full scan: $(med fleet) ms (before: $(med fleetb) ms); slowest node alone $slow ms"
	echo "  fleet / slowest alone: $(ratio "$(med fleet)" "$slow")   (before: $(ratio "$(med fleetb)" "$slow"))"
	same "6-node fleet" "$TMP/fleetb" "$TMP/fleet"
	;;
esac

case " $PARTS " in *" client "*)
	TRIGGER=$(realpath tests/real/clients/trigger.sh)
	export HOME=$TMP/home
	mkdir -p "$HOME"
	for ((i = 0; i < REPEAT; i++)); do
		for v in new base; do
			b=$NEW
			[ $v = base ] && b=$BASE
			timed "client_$v" "$b" serve --trigger "'$TRIGGER' curl" --client-profile require-tls \
				--scenarios scenarios/client --timeout 2s -q --out "$TMP/client_$v"
		done
	done
	echo
	echo "4. client suite against curl (--timeout 2s, default -j): $(med client_new) ms, before $(med client_base) ms"
	echo "  after / before: $(ratio "$(med client_new)" "$(med client_base)")"
	same "client suite, curl" "$TMP/client_base" "$TMP/client_new"
	;;
esac
echo
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
