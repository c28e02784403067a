#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stark scan --domain against a real DNSSEC-signed zone (NSD, signed with
# ldns-signzone: tests/real/lib/dnsfix.bash) and real MX hosts (stark's
# reference target, Postfix) on loopback: every DANE variant of issue 13
# with its expected verdicts (P-01..P-05), the three-MX domain (two
# reference targets and Postfix, one with a TLSA mismatch: exactly that
# finding), and resolvers that are silent, slow or answer garbage (ERROR,
# within the deadline).
#
# Nothing leaves the machine: the script re-executes itself in a new
# network namespace (unshare -n) with only lo up and checks that no route
# leads out; stark gets --resolver (the NSD on 127.0.0.1) and
# --trust-anchor (the fixture's "test." DS), so libunbound forwards every
# query to the fixture and validates from its anchor.
#
# MX hosts: all listen on one port PORT (127.0.0.2.., Postfix on
# 127.0.0.1:PORT) and stark connects there with --port PORT; DNS implies 25
# and the TLSA names stay _25._tcp.<mx>.
# usage: tests/real/domain.sh STARK_BINARY SOURCE_DIR
set -euo pipefail
STARK=$(realpath "$1")
SRC=$(realpath "$2")
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
if [ "$(id -u)" -ne 0 ] || ! command -v nsd >/dev/null || ! command -v ldns-signzone >/dev/null ||
	! command -v unshare >/dev/null; then
	echo "domain: SKIP: needs root (network namespace), nsd and ldnsutils" >&2
	exit 77
fi
if [ -z "${STARK_DOMAIN_NETNS:-}" ]; then
	exec unshare -n env STARK_DOMAIN_NETNS=1 "$0" "$@"
fi
ip link set lo up
# the proof that nothing can leave: no route but loopback
if ip route get 192.0.2.1 >/dev/null 2>&1 || ip -6 route get 2001:db8::1 >/dev/null 2>&1; then
	echo "domain: a route leaves the namespace" >&2
	exit 1
fi

W=$(mktemp -d /tmp/stark-domain.XXXXXX)
PIDS=()
# shellcheck source=lib/dnsfix.bash
. "$SRC/tests/real/lib/dnsfix.bash"
# shellcheck source=lib/mtasts-https.bash
MTASTS_DOMAIN=three.test
. "$SRC/tests/real/lib/mtasts-https.bash"
# shellcheck source=../../bench/postfix-instance.sh
. "$SRC/bench/postfix-instance.sh"
cleanup()
{
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	pf_stop
	mtasts_https_stop
	dnsfix_stop
	rm -rf "$W"
}
trap cleanup EXIT

# Postfix as mx3.three.test; its port is the port of every MX
PF_NAME=mx3.three.test pf_start "$STARK" >/dev/null
PORT=$PF_PORT

# refserver ADDR NAME VARIANT: a reference target on ADDR:PORT; its chain in
# $W/ADDR/certN.pem (leaf first), its CA in $W/ADDR/ca.pem
refserver()
{
	local addr=$1 name=$2 variant=$3 i
	mkdir -p "$W/$addr"
	"$STARK" refserver --listen "$addr:$PORT" --servername "$name" --cert "$variant" \
		--ca-out "$W/$addr/ca.pem" >"$W/$addr/out" 2>&1 &
	PIDS+=($!)
	for i in $(seq 50); do grep -q "listening on" "$W/$addr/out" && break; sleep 0.1; done
	getchain "$addr" "$name"
}
getchain()
{
	(cd "$W/$1" && openssl s_client -starttls smtp -connect "$1:$PORT" -servername "$2" \
		-showcerts </dev/null 2>/dev/null |
		awk '/BEGIN CERT/ { f = "cert" n++ ".pem" } f { print > f } /END CERT/ { f = "" }')
	[ -s "$W/$1/cert0.pem" ] || { echo "domain: no certificate from $1:$PORT" >&2; exit 1; }
}
refserver 127.0.0.2 mx1.three.test good
refserver 127.0.0.3 b.mx.three.test good
refserver 127.0.0.4 mx.tam.test chain
refserver 127.0.0.5 mx.exp.test expired
mkdir -p "$W/127.0.0.1" && getchain 127.0.0.1 mx3.three.test
A=$W/127.0.0.2/cert0.pem
WRONG=0000000000000000000000000000000000000000000000000000000000000001

dnsfix_init
# zone DOMAIN MODE ADDR: a mail domain whose one MX, mx.DOMAIN, is at ADDR
zone()
{
	dnsfix_zone "$1" "$2"
	dnsfix_rr "$1" '@ MX 10 mx'
	dnsfix_rr "$1" "mx A $3"
}
zone ee.test signed 127.0.0.2 # 3 1 1 matching the leaf
dnsfix_tlsa ee.test _25._tcp.mx "$A" 3 1 1
zone eemis.test signed 127.0.0.2 # 3 1 1 that matches nothing
dnsfix_rr eemis.test "_25._tcp.mx TLSA 3 1 1 $WRONG"
zone full.test signed 127.0.0.2 # 3 0 2: the whole certificate, SHA-512
dnsfix_tlsa full.test _25._tcp.mx "$A" 3 0 2
zone exact.test signed 127.0.0.2 # 3 1 0: the SPKI itself
dnsfix_tlsa exact.test _25._tcp.mx "$A" 3 1 0
zone tam.test signed 127.0.0.4 # 2 1 1: the intermediate the MX sends
dnsfix_tlsa tam.test _25._tcp.mx "$W/127.0.0.4/cert1.pem" 2 1 1
zone tax.test signed 127.0.0.4 # 2 1 1: the root, which the MX does not send
dnsfix_tlsa tax.test _25._tcp.mx "$W/127.0.0.4/ca.pem" 2 1 1
zone pkix.test signed 127.0.0.2 # only PKIX-TA and PKIX-EE, both "matching"
dnsfix_tlsa pkix.test _25._tcp.mx "$W/127.0.0.2/ca.pem" 0 1 1
dnsfix_tlsa pkix.test _25._tcp.mx "$A" 1 1 1
zone exp.test signed 127.0.0.5 # expired leaf, 3 1 1 matches it
dnsfix_tlsa exp.test _25._tcp.mx "$W/127.0.0.5/cert0.pem" 3 1 1
zone plain.test unsigned 127.0.0.2 # matching 3 1 1 in an unsigned zone
dnsfix_tlsa plain.test _25._tcp.mx "$A" 3 1 1
zone bogus.test signed 127.0.0.2 # matching 3 1 1 with a broken signature
dnsfix_tlsa bogus.test _25._tcp.mx "$A" 3 1 1
dnsfix_bogus bogus.test _25._tcp.mx TLSA
zone nx.test signed 127.0.0.2 # no TLSA: signed NXDOMAIN
zone roll.test signed 127.0.0.2 # current key and the next one
dnsfix_tlsa roll.test _25._tcp.mx "$A" 3 1 1
dnsfix_rr roll.test "_25._tcp.mx TLSA 3 1 1 $WRONG"
dnsfix_zone implicit.test signed # no MX: the domain itself is the MX (RFC 5321 5.1)
dnsfix_rr implicit.test '@ A 127.0.0.2'
dnsfix_tlsa implicit.test _25._tcp "$A" 3 1 1
dnsfix_zone nullmx.test signed # a null MX (RFC 7505): accepts no mail
dnsfix_rr nullmx.test '@ MX 0 .'
# three MX: two reference targets and Postfix; b.mx's TLSA is wrong, and
# mx3 is outside the MTA-STS policy's patterns (mx1.three.test,
# *.mx.three.test: tests/real/lib/mtasts-https.bash, variant good)
dnsfix_zone three.test signed
dnsfix_rr three.test '@ MX 10 mx1'
dnsfix_rr three.test '@ MX 20 b.mx'
dnsfix_rr three.test '@ MX 30 mx3'
dnsfix_rr three.test 'mx1 A 127.0.0.2'
dnsfix_rr three.test 'b.mx A 127.0.0.3'
dnsfix_rr three.test 'mx3 A 127.0.0.1'
for m in 1 3; do
	c=$W/127.0.0.2/cert0.pem
	[ $m = 3 ] && c=$W/127.0.0.1/cert0.pem
	dnsfix_tlsa three.test _25._tcp.mx$m "$c" 3 1 1
	dnsfix_tlsa three.test _25._tcp.mx$m "$c" 3 0 1 # rollover-ready: two records
done
dnsfix_rr three.test "_25._tcp.b.mx TLSA 3 1 1 $WRONG"
dnsfix_rr three.test "_25._tcp.b.mx TLSA 3 1 2 ${WRONG}${WRONG}"
dnsfix_rr three.test '_mta-sts TXT "v=STSv1; id=20261203"'
dnsfix_rr three.test 'mta-sts A 127.0.0.1'
dnsfix_rr three.test '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tls-reports@three.test"'
dnsfix_start
mtasts_https_start "$STARK" "$W/https"

cat "$W"/127.0.0.{2,3,4,5}/ca.pem "$PF_CA" "$MTASTS_CA" >"$W/cas.pem"
scan()
{
	local out=$1
	shift
	timeout -k 5 120 "$STARK" scan --resolver "$DNSFIX_RESOLVER" --trust-anchor "$DNSFIX_ANCHOR" \
		--port "$PORT" --mta-sts-port "${MTASTS_PORT[good]}" --ca "$W/cas.pem" --no-system-ca -j 4 -q \
		--out "$W/$out" "$@"
}

# check DOMAIN RC 'P-ids and verdicts': the dane/ and domain/ verdicts of
# one domain scan, exactly
fails=0
check()
{
	local dom=$1 want_rc=$2 want=$3 rc=0
	scan "$dom" --domain "$dom" --no-suite || rc=$?
	if ! python3 - "$W/$dom/results.json" "$dom" "$want_rc" "$rc" "$want" <<'PY'; then fails=$((fails + 1)); fi
import json, sys
path, dom, want_rc, rc, want = sys.argv[1:6]
d = json.load(open(path))
got = {}
for r in d["results"]:
    if r["id"].startswith(("dane/", "domain/mx")):
        got.setdefault(r["id"].split("/")[1].split("-")[0], []).append(r["verdict"])
got = " ".join(f"{k}={','.join(v)}" for k, v in sorted(got.items()))
ok = got == want and rc == want_rc
print(f"domain: {dom:12} {'ok  ' if ok else 'BAD '} {got} exit {rc}")
if not ok:
    print(f"        want {want} exit {want_rc}")
    for r in d["results"]:
        if r["id"].startswith(("dane/", "domain/")):
            print("       ", r["id"], r["verdict"], r.get("reason") or r.get("notes"))
sys.exit(0 if ok else 1)
PY
}
# Exit 1 wherever a FAIL stands. The reference target's X-/T- findings are
# not asserted here (tests/real/fleet.sh and the scan goldens own them);
# the names differ from the variants' MX names on purpose (DANE-EE ignores
# them), so X-02 fails there: that is why the DANE-EE variants exit 1.
check ee.test 1 "mx=pass p01=pass p02=pass p03=pass p04=pass p05=warn"
# FAIL: the record's digest is not the MX's key (RFC 7672 3.1.1)
check eemis.test 1 "mx=pass p01=pass p02=fail p03=pass p04=skip p05=warn"
check full.test 1 "mx=pass p01=pass p02=pass p03=pass p04=pass p05=warn"
check exact.test 1 "mx=pass p01=pass p02=pass p03=pass p04=pass p05=warn"
# DANE-TA: the leaf names mx.tam.test, the intermediate matches
check tam.test 0 "mx=pass p01=pass p02=pass p03=pass p04=skip p05=warn"
# FAIL: the TA is the root, which the MX does not send (RFC 7672 3.1.2)
check tax.test 1 "mx=pass p01=pass p02=fail p03=pass p04=skip p05=warn"
# FAIL P-03: PKIX-TA/PKIX-EE are unusable for SMTP (RFC 7672 3.1.3); P-02
# is not judged on records that do not count
check pkix.test 1 "mx=pass p01=pass p02=skip p03=fail p04=skip p05=skip"
# DANE-EE authenticates the expired leaf: P-02 and P-04 pass (X-03 fails)
check exp.test 1 "mx=pass p01=pass p02=pass p03=pass p04=pass p05=warn"
# FAIL P-01: TLSA in an unsigned zone is ignored by senders
check plain.test 1 "mx=pass p01=fail p02=skip p03=skip p04=skip p05=skip"
# FAIL P-01: the TLSA signature does not validate (bogus)
check bogus.test 1 "mx=pass p01=fail p02=skip p03=skip p04=skip p05=skip"
# WARN P-01: no TLSA, and that is proven (signed NXDOMAIN)
check nx.test 1 "mx=pass p01=warn p02=skip p03=skip p04=skip p05=skip"
check roll.test 1 "mx=pass p01=pass p02=pass p03=pass p04=pass p05=pass"
check implicit.test 1 "mx=pass p01=pass p02=pass p03=pass p04=pass p05=warn"
grep -q "implicit MX" "$W/implicit.test/results.json" ||
	{ echo "domain: implicit.test: the implicit MX is not named" >&2; fails=$((fails + 1)); }
# ERROR (exit 2): nothing to scan, which is no finding about the domain
check nullmx.test 2 "mx=error"
grep -q "authenticated denial" "$W/nx.test/results.json" ||
	{ echo "domain: nx.test: no authenticated denial in the evidence" >&2; fails=$((fails + 1)); }
grep -q "outside its validity dates" "$W/exp.test/results.json" ||
	{ echo "domain: exp.test: P-04 does not say the leaf expired" >&2; fails=$((fails + 1)); }

# The three-MX domain, with the server suite: exactly one finding, P-02 on
# mx2 (127.0.0.3), and the domain verdict that names it.
rc=0
scan three --domain three.test || rc=$?
python3 - "$W/three/results.json" "$rc" "$PORT" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
rc, port = int(sys.argv[2]), sys.argv[3]
bad = sorted((r["id"], r.get("node")) for r in d["results"] if r["verdict"] == "fail")
pf = f"mx3.three.test[127.0.0.1]:{port}"
mx2 = f"b.mx.three.test[127.0.0.3]:{port}"
# The domain's findings: P-02 on b.mx (127.0.0.3), whose TLSA matches
# nothing, P-08 for mx3, outside the MTA-STS patterns, and the domain
# verdict naming both. Postfix (mx3) brings its own, committed in
# tests/real/postfix.expected (S-21: smuggling, Postfix's default on the
# wire) and the rfc policy's (T-03: the instance still offers TLS 1.0/1.1;
# T-10: its ServerKeyExchange is signed with rsa_pkcs1_sha1, RFC 9155).
want = sorted([("dane/p02-match", mx2), ("mta-sts/p08-mx", "three.test"),
               ("domain/verdict", "three.test")] +
              [(f"server/s21-smuggling-{t}", pf) for t in
               ("crlf-dot-lf", "lf-dot-crlf", "lf-dot-lf", "tls-crlf-dot-lf",
                "tls-lf-dot-crlf", "tls-lf-dot-lf")] +
              [("tls/t03-tls10-tls11", pf), ("tls/t10-signature-hash", pf)])
for r in d["results"]:
    if r["verdict"] == "fail" and r["id"].startswith("tls/"):
        print(f"domain: three.test   mx3 (Postfix) {r['id']}: {r['reason']}")
assert bad == want, f"findings {bad}\n want {want}"
nodes = [n["target"] for n in d["scan"]["nodes"]]
mx1 = f"mx1.three.test[127.0.0.2]:{port}"
assert nodes == [mx1, mx2, pf], nodes
assert [n["group"] for n in d["scan"]["nodes"]] == ["mx1.three.test", "b.mx.three.test",
                                                    "mx3.three.test"]
assert d["scan"]["domains"] == [{"domain": "three.test", "mx": [
    {"host": "mx1.three.test", "preference": 10}, {"host": "b.mx.three.test", "preference": 20},
    {"host": "mx3.three.test", "preference": 30}]}], d["scan"]["domains"]
p02 = {r["node"]: r["verdict"] for r in d["results"] if r["id"] == "dane/p02-match"}
assert p02 == {mx1: "pass", mx2: "fail", pf: "pass"}, p02
# the fleet view compares the addresses of one MX host: nothing to flag here
assert not [r for r in d["results"] if r["id"].startswith("fleet/")]
suite = [r for r in d["results"] if r["id"].startswith("server/")]
assert len(suite) > 60, f"the suite ran on every MX ({len(suite)} results)"
p08 = [r for r in d["results"] if r["id"] == "mta-sts/p08-mx"][0]
assert "mx3.three.test" in p08["reason"] and "b.mx.three.test" not in p08["reason"], p08["reason"]
dom = {r["id"]: r["verdict"] for r in d["results"] if r.get("node") == "three.test"}
assert dom == {"domain/mx": "pass", "mta-sts/p06-txt": "pass", "mta-sts/p07-policy": "pass",
               "mta-sts/p08-mx": "fail", "tls-rpt/p09-record": "pass",
               "domain/verdict": "fail"}, dom
assert rc == 1, f"exit {rc}"
print(f"domain: three.test   ok   3 MX, {len(d['results'])} results; findings: P-02 on b.mx, "
      f"P-08: {p08['reason'][:90]}...")
PY

# The domain scan's reports, like any run's: results.json against the
# schema, junit.xml well-formed, the findings in summary.md and index.html.
python3 "$SRC/tests/validate-reports.py" "$W/three" >"$W/schema.out" 2>&1 ||
	{ cat "$W/schema.out" >&2; echo "domain: results.json does not match the schema" >&2; fails=$((fails + 1)); }
xmllint --noout "$W/three/junit.xml" || fails=$((fails + 1))
for f in summary.md index.html; do
	grep -q "dane/p02-match" "$W/three/$f" && grep -q "mta-sts/p08-mx" "$W/three/$f" ||
		{ echo "domain: $f lacks the findings" >&2; fails=$((fails + 1)); }
done

# Several domains in one run (--domain and --domains): each judged on its own.
printf '# two domains\nnx.test\n\nroll.test\n' >"$W/domains"
rc=0
scan multi --domain tam.test --domains "$W/domains" --no-suite || rc=$?
python3 - "$W/multi/results.json" "$rc" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
v = {(r["id"], r["node"]): r["verdict"] for r in d["results"]
     if r["id"] in ("dane/p01-tlsa", "domain/verdict")}
# tam.test: DANE passes, but neither MTA-STS nor TLS-RPT is published (WARN)
want = {("dane/p01-tlsa", "mx.tam.test"): "pass", ("dane/p01-tlsa", "mx.nx.test"): "warn",
        ("dane/p01-tlsa", "mx.roll.test"): "pass", ("domain/verdict", "tam.test"): "warn",
        ("domain/verdict", "nx.test"): "fail", ("domain/verdict", "roll.test"): "fail"}
assert v == want, v
assert int(sys.argv[2]) == 1
print(f"domain: 3 domains in one run: ok ({len(d['scan']['nodes'])} nodes)")
PY

# Bad input: a clear error, exit 2, no report, nothing sent.
usage()
{
	local want=$1 rc=0
	shift
	"$STARK" scan --out "$W/usage" "$@" >/dev/null 2>"$W/usage.err" || rc=$?
	if [ "$rc" -ne 2 ] || ! grep -q -- "$want" "$W/usage.err" || [ -e "$W/usage" ]; then
		echo "domain: '$*': exit $rc, want 2 and '$want'; got: $(cat "$W/usage.err")" >&2
		fails=$((fails + 1))
	fi
}
usage "only letters, digits" --domain 'bad domain.test'
usage "not both" --domain three.test --target 127.0.0.2:25
usage "--resolver wants ADDR" --domain three.test --resolver ns.example
usage "trust anchor /nonexistent" --domain three.test --trust-anchor /nonexistent
usage "belong to stark scan --domain" --target 127.0.0.2:25 --port 2525
usage "--domains $W/none" --domains "$W/none"
echo "domain: bad input refused (6 cases)"

# Resolvers that never help: ERROR within the deadline (timeout(1) is only
# the backstop; the reason must name stark's own deadline or failure).
for mode in silent slow garbage; do
	dnsfix_fake "$mode"
	rc=0
	timeout -k 5 60 "$STARK" scan --domain three.test --resolver "$DNSFIX_FAKE" \
		--trust-anchor "$DNSFIX_ANCHOR" --port "$PORT" --timeout 2s --no-suite -q \
		--out "$W/fake-$mode" || rc=$?
	python3 - "$W/fake-$mode/results.json" "$rc" "$mode" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
rc, mode = int(sys.argv[2]), sys.argv[3]
mx = [r for r in d["results"] if r["id"] == "domain/mx"]
assert len(mx) == 1 and mx[0]["verdict"] == "error", mx
why = mx[0]["reason"]
assert "no answer within 2000 ms" in why or "SERVFAIL" in why or "could not" in why, why
assert rc == 2, f"exit {rc}"
print(f"domain: {mode:8} resolver: ERROR ({why}), exit {rc}")
PY
done
echo "domain: $(dnsfix_queries) queries answered by NSD, none left the namespace"
[ "$fails" -eq 0 ] || { echo "domain: $fails check(s) failed" >&2; exit 1; }
