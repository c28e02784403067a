#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peers, client role, DANE enforcement (catalog P-10, P-12): sending
# MTAs in DANE mode look up the MX and TLSA records of a test domain in a
# DNSSEC-signed zone, through a validating resolver, and deliver to
# stark serve playing that MX; one MTA after the other:
#
#   NSD (tests/real/lib/dnsfix.bash)   zones test. and stark.test., signed;
#                                      dane.stark.test MX 10 mx.stark.test,
#                                      mx.stark.test A 127.0.25.9,
#                                      _25._tcp.mx.stark.test TLSA 2 1 0 and
#                                      2 1 1 of the CA stark serve wrote
#   unbound at 127.0.0.1:53            validating, trust anchor = the DS of
#                                      test., forwards test. to NSD
#   resolv.conf                        nameserver 127.0.0.1, options trust-ad
#                                      (bound over /etc/resolv.conf in this
#                                      mount namespace, and over the Exim
#                                      root's for its calls)
#   postfix/dane (host package)        smtp_tls_security_level = dane,
#                                      smtp_dns_support_level = dnssec
#   exim/dane (its Debian root)        hosts_require_dane = *, dnslookup
#                                      router, dnssec_request_domains = *
#   stark serve 127.0.25.9:25          scenarios/dane (require-tls)
#
# stark serve makes a fresh CA per run: the zone is written and signed once
# the CA is there (OUT/stark-ca.pem, before the first scenario), and the
# DNS is started anew for each MTA; the trigger waits for it before it
# queues the message. The TLSA records name the CA (DANE-TA(2), its public
# key): certificates stark issues from it match (the scenarios send the CA
# after the leaf, `tls with-ca`: GnuTLS needs it on the wire), the
# unknown-CA and self-signed variants do not, and the wrong-host one fails
# the name check.
# Verdicts must equal tests/real/mta-clients/<mta>/dane.expected ('#'
# comments explain each one from the wire).
#
# Nothing leaves the machine: the script runs itself in a new network
# namespace (lo only, checked) and mount namespace; unbound has no root
# anchor and only the forward zone test.; NSD listens on 127.0.0.1.
#
# The test can fail: STARK_DANE_TLSA=none publishes no TLSA record (the MX
# stays DNSSEC-signed). Postfix then falls back to opportunistic TLS and
# delivers in plaintext and to every certificate, sending no SNI: the p10
# and p12 scenarios FAIL. Exim (hosts_require_dane) bounces every message
# without connecting ("DANE error: tlsa lookup FAIL"): every result is an
# ERROR. Either way the run reports the difference (exit 1).
#
# About 20 s per MTA. usage: tests/real/mta-dane.sh STARK_BINARY SOURCE_DIR
# env:   STARK_MTA_DANE="postfix exim" (which MTAs, default both),
#        STARK_REAL_KEEP=DIR (copy the reports), STARK_MTA_CLIENTS_TIMEOUT,
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
# shellcheck source=tests/real/mta-clients/exim/instance.bash
. "$SRC/tests/real/mta-clients/exim/instance.bash"

MX_ADDR=127.0.25.9
DOMAIN=dane.stark.test
MX=mx.stark.test
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
	exc_stop
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

# dns_down: stop unbound and NSD (the next MTA's run gets a new CA, so
# new TLSA records and an empty resolver cache)
dns_down()
{
	[ -n "$UPID" ] && kill "$UPID" 2>/dev/null && wait "$UPID" 2>/dev/null
	UPID=
	dnsfix_stop
}

# run_mta MTA: its instance in mode dane, stark serve as its MX, the DNS once
# serve's CA is written; compare with MTA/dane.expected. Status 1 on a
# difference.
run_mta()
{
	local mta=$1 expected=$SRC/tests/real/mta-clients/$1/dane.expected
	local out=$WORK/$1-dane ready=$WORK/$1.dns-ready trigger logtail t0 ms rc=0
	case $mta in
	postfix)
		PFC_NAME=$MX PFC_DANE_DOMAIN=$DOMAIN
		pfc_start "$STARK" dane "$MX_ADDR" || { echo "mta-dane[$mta]: FAIL: Postfix did not start"; return 1; }
		# Postfix's trigger (the dane instance has no smtp_tls_CAfile: it copies no CA)
		trigger="exec '$SRC/tests/real/mta-clients/postfix/trigger.sh' '$PFC_CONF' 'stark@$DOMAIN'"
		logtail=pfc_log_tail
		;;
	exim)
		EXC_NAME=$MX EXC_DANE_DOMAIN=$DOMAIN
		exc_start "$STARK" dane "$MX_ADDR" || { echo "mta-dane[$mta]: FAIL: Exim did not start"; return 1; }
		trigger="RCPT='stark@$DOMAIN' exec '$SRC/tests/real/mta-clients/exim/trigger.sh' '$EXC_LOG' - '$SRC/tests/real/mta-clients/exim/exim-in-root.sh' '$EXC_DIR'"
		logtail=exc_log_tail
		;;
	esac
	# the trigger waits (bounded) for the DNS, then is the MTA's
	trigger="for i in \$(seq 300); do [ -e '$ready' ] && break; sleep 0.1; done; \
[ -e '$ready' ] || { echo 'trigger: no DNS' >&2; exit 3; }; $trigger"
	t0=$(date +%s%N)
	timeout -k 5 600 "$STARK" serve --listen "$MX_ADDR:25" --servername "$MX" \
		--trigger "$trigger" --client-profile require-tls \
		--scenarios "$SRC/scenarios/dane" \
		--timeout "$STEP_TIMEOUT" --start-timeout 30s -q --out "$out" &
	SPID=$!
	for _ in $(seq 300); do
		[ -s "$out/stark-ca.pem" ] || ! kill -0 "$SPID" 2>/dev/null && break
		sleep 0.1
	done
	if [ -s "$out/stark-ca.pem" ] && dns_up "$out/stark-ca.pem"; then
		: >"$ready"
		echo "mta-dane[$mta]: TLSA published for $MX: $(grep -h TLSA "$DNSFIX_DIR"/zones/stark.test.zone | cut -c1-60 || echo none)"
	else
		echo "mta-dane[$mta]: FAIL: the DNS fixture did not come up"
		kill -TERM "$SPID" 2>/dev/null
	fi
	wait "$SPID" || rc=$?
	SPID=
	ms=$((($(date +%s%N) - t0) / 1000000))
	local result=0
	if [ ! -e "$ready" ]; then
		result=1
	elif [ "$rc" -ge 124 ] || [ ! -f "$out/results.json" ]; then
		echo "mta-dane[$mta]: FAIL: stark exited $rc without a report"
		$logtail 30
		result=1
	else
		echo "mta-dane[$mta]: the validating resolver asked NSD $(dnsfix_queries) queries"
		if ! diff -u --label "expected ($mta/dane.expected)" --label "actual ($mta/dane)" \
			<(csuite_expected_lines "$expected") <(csuite_report_lines "$out/results.json" | sort); then
			echo "mta-dane[$mta]: FAIL: verdicts differ from $expected; details:"
			csuite_explain "$out/results.json" "$expected"
			echo "mta-dane[$mta]: the MTA's log:"
			$logtail 60
			result=1
		fi
		read -r p f xf xp s e i < <(csuite_counts "$out/results.json")
		ROWS+="$(printf '%-12s %5s %5s %5s %5s %5s %5s %5s %8s  %s' "$mta/dane" "$p" "$f" "$xf" "$xp" "$s" "$e" "$i" "$ms" \
			"$([ $result = 0 ] && echo ok || echo DIFF)")"$'\n'
	fi
	dns_down
	case $mta in postfix) pfc_stop ;; exim) exc_stop ;; esac
	return $result
}

ROWS=
failed=0
for mta in ${STARK_MTA_DANE:-postfix exim}; do
	case $mta in
	postfix | exim) run_mta "$mta" || failed=1 ;;
	*)
		echo "mta-dane: unknown MTA '$mta' (postfix, exim)" >&2
		exit 2
		;;
	esac
done
echo
printf '%-12s %5s %5s %5s %5s %5s %5s %5s %8s  %s\n' mta/mode pass fail xfail xpass skip error incon ms result
printf '%s' "$ROWS"
if [ "$failed" -ne 0 ]; then
	echo "mta-dane: FAIL"
	exit 1
fi
echo "mta-dane: PASS (every verdict as expected, tests/real/mta-clients/*/dane.expected)"
