#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stark scan --domain, MTA-STS and TLS-RPT (P-06..P-09) end to end: the
# records in a DNSSEC-signed zone served by NSD (tests/real/lib/dnsfix.bash),
# the policies on Debian's nginx at mta-sts.<domain>:443 (one loopback
# address per domain, certificates from stark certs), MX hosts played by
# stark's reference target and Postfix. Each variant with its verdicts, and
# the issue's three-MX domain (two reference targets, Postfix; one TLSA
# mismatch, one MX outside the patterns: exactly those findings). In a
# network namespace with only lo, as tests/real/domain.sh: nothing can leave.
# usage: tests/real/domain-sts.sh STARK_BINARY SOURCE_DIR
set -euo pipefail
STARK=$(realpath "$1")
SRC=$(realpath "$2")
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
if [ "$(id -u)" -ne 0 ] || ! command -v nsd >/dev/null || ! command -v nginx >/dev/null ||
	! command -v unshare >/dev/null; then
	echo "domain-sts: SKIP: needs root (network namespace), nsd, ldnsutils and nginx" >&2
	exit 77
fi
if [ -z "${STARK_DOMAIN_NETNS:-}" ]; then
	exec unshare -n env STARK_DOMAIN_NETNS=1 "$0" "$@"
fi
ip link set lo up
if ip route get 192.0.2.1 >/dev/null 2>&1; then
	echo "domain-sts: a route leaves the namespace" >&2
	exit 1
fi
W=$(mktemp -d /tmp/stark-domain-sts.XXXXXX)
PIDS=()
# shellcheck source=lib/dnsfix.bash
. "$SRC/tests/real/lib/dnsfix.bash"
# shellcheck source=../../bench/postfix-instance.sh
. "$SRC/bench/postfix-instance.sh"
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
# Postfix plays mx3.other.test (outside every policy's patterns); its port is
# the port of every MX
PF_NAME=mx3.other.test pf_start "$STARK" >/dev/null
PORT=$PF_PORT

# MX hosts: mx1.mail.test (in every policy), mx9.other.test (in none),
# a.b.mail.test (two labels where *.mail.test allows one)
refserver()
{
	local addr=$1 name=$2 i
	mkdir -p "$W/$addr"
	"$STARK" refserver --listen "$addr:$PORT" --servername "$name" --cert good \
		--ca-out "$W/$addr/ca.pem" >"$W/$addr/out" 2>&1 &
	PIDS+=($!)
	for i in $(seq 50); do grep -q "listening on" "$W/$addr/out" && break; sleep 0.1; done
}
refserver 127.0.0.2 mx1.mail.test
refserver 127.0.0.3 mx9.other.test
refserver 127.0.0.4 a.b.mail.test
refserver 127.0.0.5 mx2.mail.test
# the chain ADDR NAME presents, leaf first, in $W/ADDR/certN.pem
getchain()
{
	mkdir -p "$W/$1"
	(cd "$W/$1" && openssl s_client -starttls smtp -connect "$1:$PORT" -servername "$2" \
		-showcerts </dev/null 2>/dev/null |
		awk '/BEGIN CERT/ { f = "cert" n++ ".pem" } f { print > f } /END CERT/ { f = "" }')
	[ -s "$W/$1/cert0.pem" ] || { echo "domain-sts: no certificate from $1:$PORT" >&2; exit 1; }
}
getchain 127.0.0.2 mx1.mail.test
getchain 127.0.0.1 mx3.other.test

# policy hosts: DOMAIN ADDR MODE PATTERNS...
mkdir -p "$W/www" "$W/tmp"
SITES=""
n=0
site()
{
	local dom=$1 addr=$2 mode=$3
	shift 3
	"$STARK" certs --out "$W/certs/$dom" --servername "mta-sts.$dom" >/dev/null
	mkdir -p "$W/www/$dom/.well-known"
	{
		printf 'version: STSv1\nmode: %s\n' "$mode"
		for m in "$@"; do printf 'mx: %s\n' "$m"; done
		printf 'max_age: 604800\n'
	} >"$W/www/$dom/.well-known/mta-sts.txt"
	SITES+="server { listen $addr:443 ssl; server_name mta-sts.$dom;
		ssl_certificate $W/certs/$dom/good.pem; ssl_certificate_key $W/certs/$dom/good.key;
		root $W/www/$dom; }
"
}
site good.sts.test 127.0.1.1 enforce mx1.mail.test
site testing.sts.test 127.0.1.2 testing mx1.mail.test
site out.sts.test 127.0.1.3 enforce '*.mail.test'
site wild.sts.test 127.0.1.4 enforce '*.mail.test'
site three.sts.test 127.0.1.5 enforce '*.mail.test'
cat >"$W/nginx.conf" <<NG
daemon off; master_process off; worker_processes 1;
pid $W/nginx.pid; error_log $W/nginx-error.log info;
events { worker_connections 64; }
http { access_log $W/access.log; client_body_temp_path $W/tmp/b; proxy_temp_path $W/tmp/p;
	fastcgi_temp_path $W/tmp/f; uwsgi_temp_path $W/tmp/u; scgi_temp_path $W/tmp/s;
	types { } default_type text/plain;
$SITES}
NG
nginx -c "$W/nginx.conf" -p "$W" >"$W/nginx.out" 2>&1 &
PIDS+=($!)
cat "$W"/127.0.0.{2,3,4,5}/ca.pem "$W"/certs/*/ca.pem "$PF_CA" >"$W/cas.pem"

dnsfix_init
dnsfix_zone mail.test signed
dnsfix_rr mail.test 'mx1 A 127.0.0.2'
dnsfix_rr mail.test 'a.b A 127.0.0.4'
dnsfix_rr mail.test 'mx2 A 127.0.0.5'
dnsfix_tlsa mail.test _25._tcp.mx1 "$W/127.0.0.2/cert0.pem" 3 1 1
dnsfix_rr mail.test "_25._tcp.mx2 TLSA 3 1 1 $(printf '%064d' 1)"
dnsfix_zone other.test signed
dnsfix_rr other.test 'mx9 A 127.0.0.3'
dnsfix_rr other.test 'mx3 A 127.0.0.1'
dnsfix_tlsa other.test _25._tcp.mx3 "$W/127.0.0.1/cert0.pem" 3 1 1
dnsfix_zone sts.test signed
# sts ZONE-LABEL MX... : a mail domain LABEL.sts.test with those MX hosts
sts()
{
	local l=$1 p=10
	shift
	for m in "$@"; do dnsfix_rr sts.test "$l MX $p $m."; p=$((p + 10)); done
}
sts good mx1.mail.test
dnsfix_rr sts.test '_mta-sts.good TXT "v=STSv1; id=20260101"'
dnsfix_rr sts.test 'mta-sts.good A 127.0.1.1'
dnsfix_rr sts.test '_smtp._tls.good TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.sts.test"'
sts testing mx1.mail.test
dnsfix_rr sts.test '_mta-sts.testing TXT "v=STSv1; id=1"'
dnsfix_rr sts.test 'mta-sts.testing A 127.0.1.2'
dnsfix_rr sts.test '_smtp._tls.testing TXT "v=TLSRPTv1; rua=https://tlsrpt.testing.sts.test/r"'
sts out mx1.mail.test mx9.other.test
dnsfix_rr sts.test '_mta-sts.out TXT "v=STSv1; id=1"'
dnsfix_rr sts.test 'mta-sts.out A 127.0.1.3'
sts wild a.b.mail.test
dnsfix_rr sts.test '_mta-sts.wild TXT "v=STSv1; id=1"'
dnsfix_rr sts.test 'mta-sts.wild A 127.0.1.4'
sts two mx1.mail.test
dnsfix_rr sts.test '_mta-sts.two TXT "v=STSv1; id=1"'
dnsfix_rr sts.test '_mta-sts.two TXT "v=STSv1; id=2"'
dnsfix_rr sts.test '_smtp._tls.two TXT "v=TLSRPTv1; rua=mailto:a@two.sts.test"'
dnsfix_rr sts.test '_smtp._tls.two TXT "v=TLSRPTv1; rua=mailto:b@two.sts.test"'
sts badid mx1.mail.test
dnsfix_rr sts.test '_mta-sts.badid TXT "v=STSv1; id=not-alnum"'
dnsfix_rr sts.test '_smtp._tls.badid TXT "v=TLSRPTv1; rua=http://badid.sts.test/"'
sts none mx1.mail.test
sts nohost mx1.mail.test
dnsfix_rr sts.test '_mta-sts.nohost TXT "v=STSv1; id=1"'
# the issue's domain: three MX, two reference targets and Postfix; mx2's
# TLSA matches nothing, Postfix (mx3.other.test) is outside *.mail.test
sts three mx1.mail.test mx2.mail.test mx3.other.test
dnsfix_rr sts.test '_mta-sts.three TXT "v=STSv1; id=3"'
dnsfix_rr sts.test 'mta-sts.three A 127.0.1.5'
dnsfix_rr sts.test '_smtp._tls.three TXT "v=TLSRPTv1; rua=mailto:tlsrpt@three.sts.test"'
dnsfix_start

fails=0
check()
{
	local dom=$1 want=$2 rc=0
	timeout -k 5 120 "$STARK" scan --domain "$dom" --resolver "$DNSFIX_RESOLVER" \
		--trust-anchor "$DNSFIX_ANCHOR" --port "$PORT" --ca "$W/cas.pem" --no-system-ca \
		--no-suite -q --timeout 3s --out "$W/$dom" >/dev/null || rc=$?
	python3 - "$W/$dom/results.json" "$dom" "$want" "$rc" <<'PY' || fails=$((fails + 1))
import json, sys
path, dom, want, rc = sys.argv[1:5]
d = json.load(open(path))
got = " ".join(r["catalog"][0] + "=" + r["verdict"] for r in d["results"]
               if r["id"].startswith(("mta-sts/", "tls-rpt/")))
ok = got == want
print(f"domain-sts: {dom:18} {'ok ' if ok else 'BAD'} {got} exit {rc}")
if not ok:
    print(f"        want {want}")
    for r in d["results"]:
        if r["id"].startswith(("mta-sts/", "tls-rpt/", "domain/")):
            print("       ", r["id"], r["verdict"], r.get("reason") or r.get("notes"))
sys.exit(0 if ok else 1)
PY
}
check good.sts.test "P-06=pass P-07=pass P-08=pass P-09=pass"
check testing.sts.test "P-06=pass P-07=warn P-08=pass P-09=pass"
# mx9.other.test: no pattern of the policy matches it
check out.sts.test "P-06=pass P-07=pass P-08=fail P-09=warn"
# a.b.mail.test: *.mail.test covers one label only (RFC 8461 4.1)
check wild.sts.test "P-06=pass P-07=pass P-08=fail P-09=warn"
# two STS records, two TLS-RPT records: senders use neither
check two.sts.test "P-06=fail P-07=skip P-08=skip P-09=fail"
# an id with '-', a TLS-RPT rua with http:
check badid.sts.test "P-06=fail P-07=skip P-08=skip P-09=fail"
check none.sts.test "P-06=warn P-07=skip P-08=skip P-09=warn"
# the TXT record announces a policy whose host has no address
check nohost.sts.test "P-06=pass P-07=fail P-08=skip P-09=warn"
# three.sts.test: exactly the TLSA mismatch on mx2 and the MX outside the
# patterns (P-08 naming mx3.other.test), and the domain verdict; Postfix's
# own rfc-policy findings (tests/real/domain.sh explains them: T-03 TLS
# 1.0/1.1 offered, T-10 a SHA-1 signed ServerKeyExchange) are its own.
rc=0
timeout -k 5 120 "$STARK" scan --domain three.sts.test --resolver "$DNSFIX_RESOLVER" \
	--trust-anchor "$DNSFIX_ANCHOR" --port "$PORT" --ca "$W/cas.pem" --no-system-ca \
	--no-suite -q --timeout 3s --out "$W/three" >/dev/null || rc=$?
python3 - "$W/three/results.json" "$rc" "$PORT" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
rc, port = int(sys.argv[2]), sys.argv[3]
bad = sorted((r["id"], r.get("node")) for r in d["results"] if r["verdict"] == "fail")
# domain scan nodes are labelled MXHOST[ADDR]:PORT
pf = f"mx3.other.test[127.0.0.1]:{port}"
want = sorted([("dane/p02-match", f"mx2.mail.test[127.0.0.5]:{port}"), ("mta-sts/p08-mx", "three.sts.test"),
               ("domain/verdict", "three.sts.test"),
               ("tls/t03-tls10-tls11", pf), ("tls/t10-signature-hash", pf)])
assert bad == want, f"findings {bad}\n want {want}"
p08 = [r for r in d["results"] if r["id"] == "mta-sts/p08-mx"][0]
assert "1 of 3 MX fails: mx3.other.test matches no mx pattern" in p08["reason"], p08["reason"]
view = [r for r in d["results"] if r["id"] == "domain/verdict"][0]
assert "MX 30 mx3.other.test: DANE TLSA secure, 1 usable, 1/1 address(es) match; MTA-STS mode enforce, outside the policy's mx patterns" in (view.get("notes") or ""), view
assert rc == 1, f"exit {rc}"
print(f"domain-sts: three.sts.test     ok  3 MX, {len(d['results'])} results: P-02 on mx2, P-08 on mx3 (Postfix)")
PY
grep -q 'version: STSv1' "$W/good.sts.test/results.json" ||
	{ echo "domain-sts: the policy body is not in the evidence" >&2; fails=$((fails + 1)); }
grep -q 'DNSSEC secure' "$W/good.sts.test/results.json" ||
	{ echo "domain-sts: the TXT record's DNSSEC status is not in the evidence" >&2; fails=$((fails + 1)); }
echo "domain-sts: $(dnsfix_queries) queries answered by NSD, none left the namespace"
[ "$fails" -eq 0 ] || { echo "domain-sts: $fails check(s) failed" >&2; exit 1; }
