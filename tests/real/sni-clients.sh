#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peers, client role, P-12: which SNI do real SMTP clients send? The
# good case of scenarios/dane (dane/sanity, and dane/p12-sni: delivery
# inside TLS with `expect sni "${servername}"`, distinct FAILs for no SNI and
# for another name) against the clients of tests/real/clients.sh, started by
# its trigger (tests/real/clients/trigger.sh), each told the MX name
# mx.stark.test the way it takes a host name:
#
#   curl              URL smtp://mx.stark.test:PORT (--resolve to 127.0.0.1)
#   swaks             -s 127.0.0.1 --tls-sni mx.stark.test
#   msmtp             --host 127.0.0.1 --tls-host-override mx.stark.test
#   smtplib-verify    SMTP("127.0.0.1"), its _host set to mx.stark.test
#                     (smtplib's name for SNI and the check), starttls(context)
#   smtplib-noverify  the same, starttls() without a context
#   s-nail            smtp://localhost:PORT (it dials the name it checks:
#                     servername localhost)
#   curl-ip           URL smtp://127.0.0.1:PORT: an address, no name (stark's
#                     leaf has 127.0.0.1 as an IP SAN, so the check passes)
#
# Verdicts (client, id, verdict) must equal tests/real/sni-clients.expected,
# whose comments explain each from the transcript ("client SNI ..."). These
# clients are no DANE or MTA-STS clients: an SNI FAIL here says what they
# send, not that they break a rule of their own.
#
# Loopback only (127.0.0.1), HOME a fresh empty directory, no proxies.
# usage: tests/real/sni-clients.sh STARK_BINARY SOURCE_DIR
# env:   STARK_SNI_CLIENTS="curl msmtp" (default: all above whose command
#        is installed), STARK_REAL_KEEP=DIR
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$(realpath "$1")
SRC=$(realpath "$2")
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
EXPECTED=$SRC/tests/real/sni-clients.expected

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-sni-clients.XXXXXX")
cleanup()
{
	local rc=$?
	if [ -n "${STARK_REAL_KEEP:-}" ]; then
		mkdir -p "$STARK_REAL_KEEP"
		cp -r "$WORK"/. "$STARK_REAL_KEEP"/ 2>/dev/null || true
	fi
	rm -rf -- "$WORK"
	exit "$rc"
}
trap cleanup EXIT
mkdir -p "$WORK/home"
export HOME=$WORK/home
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY

# client servername needed-command
ALL="curl mx.stark.test curl
swaks mx.stark.test swaks
msmtp mx.stark.test msmtp
smtplib-verify mx.stark.test python3
smtplib-noverify mx.stark.test python3
s-nail localhost s-nail
curl-ip mx.stark.test curl"
# curl-ip: told only the address (not a trigger.sh client); expanded by the
# trigger's shell, not here
# shellcheck disable=SC2016
CURL_IP='printf "From: <a@stark.test>\r\nTo: <b@stark.test>\r\nSubject: stark\r\n\r\nTest message from tests/real/sni-clients.sh.\r\n" |
	exec curl -q -sS --ssl-reqd --noproxy "*" -m 10 --cacert "$STARK_CA" --mail-from a@stark.test --mail-rcpt b@stark.test -T - "smtp://$STARK_HOST:$STARK_PORT"'

: >"$WORK/actual"
ran=0
skipped=
while read -r client name cmd; do
	if [ -n "${STARK_SNI_CLIENTS:-}" ]; then
		[[ " $STARK_SNI_CLIENTS " == *" $client "* ]] || continue
	fi
	if ! command -v "$cmd" >/dev/null 2>&1; then
		echo "sni-clients[$client]: SKIP: $cmd not installed (its expected lines are not compared)"
		skipped+=" $client"
		continue
	fi
	out=$WORK/$client
	rc=0
	trigger="'$SRC/tests/real/clients/trigger.sh' $client"
	[ "$client" = curl-ip ] && trigger=$CURL_IP
	timeout -k 5 90 "$STARK" serve --trigger "$trigger" \
		--servername "$name" --client-profile require-tls \
		--scenarios "$SRC/scenarios/dane/00-sanity.scn" --scenarios "$SRC/scenarios/dane/p12-sni.scn" \
		--timeout 2s -q --out "$out" || rc=$?
	if [ "$rc" -ge 124 ] || [ ! -f "$out/results.json" ]; then
		echo "sni-clients[$client]: FAIL: stark exited $rc without a report"
		echo "$client no-report" >>"$WORK/actual"
		continue
	fi
	ran=$((ran + 1))
	python3 - "$client" "$out/results.json" >>"$WORK/actual" <<'EOF'
import json, sys
client, path = sys.argv[1:3]
for x in json.load(open(path))["results"]:
    sni = [e["data"] for e in x["transcript"]["events"] if e["data"].startswith("client SNI")]
    print(client, x["id"], x["verdict"])
    print("#", client, x["id"], x["verdict"], x.get("reason") or "", "|", "; ".join(sni) or "no handshake",
          file=sys.stderr)
EOF
done <<<"$ALL"
if [ "$ran" -eq 0 ]; then
	echo "sni-clients: no client ran" >&2
	exit 1
fi
want() { sed -e 's/^#.*//' -e 's/[[:space:]]#.*//' "$EXPECTED" | grep -v '^[[:space:]]*$' |
	awk -v only=" ${STARK_SNI_CLIENTS:-} " -v skip="$skipped " \
		'(only == "  " || index(only, " " $1 " ")) && !index(skip, " " $1 " ")' | sort; }
if ! diff -u --label "expected (sni-clients.expected)" --label actual <(want) <(sort "$WORK/actual"); then
	echo "sni-clients: FAIL: verdicts differ from $EXPECTED"
	exit 1
fi
echo "sni-clients: PASS ($ran clients, every verdict as expected)"
