#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peers, client role, DANE enforcement (catalog P-10, P-12): a sending
# MTA in DANE mode looks up the MX and TLSA records of a test domain in a
# DNSSEC-signed zone, through a validating resolver, and delivers to
# stark serve playing that MX:
#
#   NSD (tests/real/lib/dnsfix.bash)   zones test. and stark.test., signed;
#                                      dane.stark.test MX 10 mx.stark.test,
#                                      mx.stark.test A 127.0.25.9,
#                                      _25._tcp.mx.stark.test TLSA 2 1 0 and
#                                      2 1 1 of the CA stark serve wrote
#   unbound at 127.0.0.1:53            validating, trust anchor = the DS of
#                                      test., forwards test. to NSD
#   /etc/resolv.conf (private)         nameserver 127.0.0.1, options trust-ad
#   Postfix (host package)             smtp_tls_security_level = dane,
#                                      smtp_dns_support_level = dnssec
#   stark serve 127.0.25.9:25          scenarios/client/00-sanity.scn and
#                                      scenarios/dane/ (require-tls)
#
# stark serve makes a fresh CA per run: the zone is written and signed once
# the CA is there (OUT/stark-ca.pem, before the first scenario); the trigger
# waits for the resolver to answer before it queues the message. The TLSA
# records name the CA (DANE-TA(2), its public key), so every certificate
# stark issues from it matches and the unknown-CA and self-signed variants
# do not.
# Verdicts must equal tests/real/mta-clients/postfix/dane.expected ('#'
# comments explain each one from the wire).
#
# Nothing leaves the machine: the script runs itself in a new network
# namespace (lo only, checked) and mount namespace (the private
# resolv.conf is bound over /etc/resolv.conf there only); unbound has no
# root anchor and only the forward zone test.; NSD listens on 127.0.0.1.
#
# The test can fail: STARK_DANE_TLSA=none publishes no TLSA record (the MX
# stays DNSSEC-signed); Postfix then falls back to opportunistic TLS and
# delivers in plaintext and to every certificate: the four p10 scenarios
# FAIL and the run reports the difference (exit 1).
#
# usage: tests/real/mta-dane.sh STARK_BINARY SOURCE_DIR
# env:   STARK_REAL_KEEP=DIR (copy the reports), STARK_MTA_CLIENTS_TIMEOUT,
#        STARK_DANE_TLSA=none (the negative control above)
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$(realpath "$1")
SRC=$(realpath "$2")
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

if [ "$(id -u)" -ne 0 ]; then
	echo "mta-dane: SKIP: needs root (Postfix, network and mount namespaces)"
	exit 77
fi
for tool in unbound nsd ldns-signzone /usr/lib/postfix/sbin/master; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "mta-dane: SKIP: $tool not installed (scripts/install-deps.sh)"
		exit 77
	fi
done
if [ -z "${STARK_DANE_INNER:-}" ]; then
	exec env STARK_DANE_INNER=1 unshare --net --mount "$0" "$@"
fi

ip link set lo up
others=$(ip -o link show | awk -F': ' '$2 != "lo" { print $2 }')
if [ -n "$others" ]; then
	echo "mta-dane: FAIL: the network namespace has more than lo: $others" >&2
	exit 1
fi
echo "mta-dane: network namespace with lo only ($(ip -o -4 addr show lo | awk '{ print $4 }'))"

# shellcheck source=tests/real/lib/client-suite.bash
. "$SRC/tests/real/lib/client-suite.bash"
# shellcheck source=tests/real/lib/dnsfix.bash
. "$SRC/tests/real/lib/dnsfix.bash"
# shellcheck source=tests/real/mta-clients/postfix/instance.bash
. "$SRC/tests/real/mta-clients/postfix/instance.bash"

MX_ADDR=127.0.25.9
DOMAIN=dane.stark.test
MX=mx.stark.test
EXPECTED=$SRC/tests/real/mta-clients/postfix/dane.expected
STEP_TIMEOUT=${STARK_MTA_CLIENTS_TIMEOUT:-3s}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-mta-dane.XXXXXX")
chmod 755 "$WORK"
UPID=
SPID=
cleanup()
{
	local rc=$?
	trap - EXIT INT TERM
	set +e
	[ -n "$SPID" ] && kill -TERM "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	pfc_stop
	[ -n "$UPID" ] && kill "$UPID" 2>/dev/null && wait "$UPID" 2>/dev/null
	dnsfix_stop
	if [ -n "${STARK_REAL_KEEP:-}" ]; then
		mkdir -p "$STARK_REAL_KEEP"
		cp -r "$WORK"/. "$STARK_REAL_KEEP"/ 2>/dev/null
	fi
	rm -rf -- "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The private resolver configuration, in this mount namespace only.
mount --make-rprivate /
printf 'nameserver 127.0.0.1\noptions trust-ad\n' >"$WORK/resolv.conf"
mount --bind "$WORK/resolv.conf" /etc/resolv.conf

PFC_NAME=$MX PFC_DANE_DOMAIN=$DOMAIN
if ! pfc_start "$STARK" dane "$MX_ADDR"; then
	echo "mta-dane: FAIL: Postfix did not start"
	exit 1
fi

# dns_up: the zone with the TLSA of stark's CA, NSD, unbound; then READY
dns_up()
{
	local ca=$1 port
	dnsfix_init
	dnsfix_zone stark.test signed
	dnsfix_rr stark.test "dane MX 10 mx"
	dnsfix_rr stark.test "mx A $MX_ADDR"
	if [ "${STARK_DANE_TLSA:-}" != none ]; then
		dnsfix_tlsa stark.test _25._tcp.mx "$ca" 2 1 0
		dnsfix_tlsa stark.test _25._tcp.mx "$ca" 2 1 1
	fi
	dnsfix_start || return 1
	port=${DNSFIX_RESOLVER##*:}
	cat >"$WORK/unbound.conf" <<EOF
server:
	interface: 127.0.0.1
	port: 53
	do-ip6: no
	username: ""
	chroot: ""
	directory: "$WORK"
	pidfile: "$WORK/unbound.pid"
	use-syslog: no
	logfile: "$WORK/unbound.log"
	verbosity: 1
	val-log-level: 2
	module-config: "validator iterator"
	trust-anchor-file: "$DNSFIX_ANCHOR"
	do-not-query-localhost: no
	local-zone: "test." nodefault
	num-threads: 1
forward-zone:
	name: "test."
	forward-addr: 127.0.0.1@$port
EOF
	unbound-checkconf "$WORK/unbound.conf" >/dev/null || return 1
	unbound -d -c "$WORK/unbound.conf" >"$WORK/unbound.out" 2>&1 &
	UPID=$!
	local i
	for i in $(seq 100); do
		# validated (ad) answers for the MX and the TLSA
		if python3 - "$DOMAIN" "_25._tcp.$MX" "${STARK_DANE_TLSA:-}" <<'PY'; then return 0; fi
import socket, struct, sys
def ask(name, qtype):
    q = struct.pack(">HHHHHH", 0x4242, 0x0120, 1, 0, 0, 1)
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    q += struct.pack(">HH", qtype, 1)
    q += b"\0" + struct.pack(">HHIH", 41, 1232, 0x8000, 0)  # EDNS0, DO
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
    s.sendto(q, ("127.0.0.1", 53))
    a = s.recv(4096)
    flags, an = struct.unpack(">H", a[2:4])[0], struct.unpack(">H", a[6:8])[0]
    return flags & 0x20 and flags & 15 == 0 and an > 0
sys.exit(0 if ask(sys.argv[1], 15) and (sys.argv[3] == "none" or ask(sys.argv[2], 52)) else 1)
PY
		sleep 0.1
	done
	echo "mta-dane: unbound gave no validated MX and TLSA answers" >&2
	tail -n 20 "$WORK/unbound.log" >&2
	return 1
}

READY=$WORK/dns.ready
OUT=$WORK/postfix-dane
# the trigger waits (bounded) for the DNS, then is Postfix's (the dane
# instance has no smtp_tls_CAfile: the trigger copies no CA)
TRIGGER="for i in \$(seq 300); do [ -e '$READY' ] && break; sleep 0.1; done; \
[ -e '$READY' ] || { echo 'trigger: no DNS' >&2; exit 3; }; \
exec '$SRC/tests/real/mta-clients/postfix/trigger.sh' '$PFC_CONF' 'stark@$DOMAIN'"
t0=$(date +%s%N)
rc=0
timeout -k 5 600 "$STARK" serve --listen "$MX_ADDR:25" --servername "$MX" \
	--trigger "$TRIGGER" --client-profile require-tls \
	--scenarios "$SRC/scenarios/client/00-sanity.scn" --scenarios "$SRC/scenarios/dane" \
	--timeout "$STEP_TIMEOUT" --start-timeout 30s -q --out "$OUT" &
SPID=$!
for _ in $(seq 300); do
	[ -s "$OUT/stark-ca.pem" ] || ! kill -0 "$SPID" 2>/dev/null && break
	sleep 0.1
done
if [ -s "$OUT/stark-ca.pem" ] && dns_up "$OUT/stark-ca.pem"; then
	: >"$READY"
	echo "mta-dane: TLSA published for $MX: $(grep -h TLSA "$DNSFIX_DIR"/zones/stark.test.zone | cut -c1-80 || echo none)"
else
	echo "mta-dane: FAIL: the DNS fixture did not come up"
	kill -TERM "$SPID" 2>/dev/null
fi
wait "$SPID" || rc=$?
SPID=
ms=$((($(date +%s%N) - t0) / 1000000))
if [ ! -e "$READY" ]; then
	exit 1
fi
if [ "$rc" -ge 124 ] || [ ! -f "$OUT/results.json" ]; then
	echo "mta-dane: FAIL: stark exited $rc without a report"
	pfc_log_tail 30
	exit 1
fi
echo "mta-dane: validating resolver answered $(dnsfix_queries) queries at NSD"
if ! diff -u --label "expected (postfix/dane.expected)" --label "actual (postfix/dane)" \
	<(csuite_expected_lines "$EXPECTED") <(csuite_report_lines "$OUT/results.json" | sort); then
	echo "mta-dane: FAIL: verdicts differ from $EXPECTED; details:"
	csuite_explain "$OUT/results.json" "$EXPECTED"
	echo "mta-dane: Postfix's log:"
	pfc_log_tail 60
	exit 1
fi
read -r p f xf xp s e i < <(csuite_counts "$OUT/results.json")
echo "mta-dane: postfix/dane pass $p fail $f xfail $xf xpass $xp skip $s error $e inconclusive $i in $ms ms"
echo "mta-dane: PASS (every verdict as expected, tests/real/mta-clients/postfix/dane.expected)"
