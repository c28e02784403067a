#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# MTA-STS against a real HTTPS server: Debian's nginx on 127.0.0.1 serves
# the policy variants of tests/real/lib/mtasts-https.bash; tests/mtasts-drive
# runs the shipped code (mtasts.c, mtasts_fetch.c) with the TXT records and
# MX facts given, connecting only to the address it is given. Checks the
# P-06..P-08 verdicts of every case against tests/real/mtasts.expected, and
# on the wire: the evidence (status line, headers, body) is in the
# transcript, a redirect is not followed (nginx's access log), a silent or
# dripping server ends within the deadline, and proxy variables pointing
# at a dead port change nothing (no proxy is used), and SIGINT ends a fetch.
# usage: tests/real/mtasts.sh STARK_BINARY SOURCE_DIR  (STARK_MTASTS_DRIVE: the driver)
set -euo pipefail
STARK=$(realpath "$1")
SRC=$(realpath "$2")
DRIVE=${STARK_MTASTS_DRIVE:-$(dirname "$STARK")/tests/mtasts-drive}
if ! command -v nginx >/dev/null 2>&1; then
	echo "mtasts: SKIP: no nginx (scripts/install-deps.sh installs it)" >&2
	exit 77
fi
[ -x "$DRIVE" ] || { echo "mtasts: no driver $DRIVE" >&2; exit 1; }
W=$(mktemp -d)
# shellcheck source=lib/mtasts-https.bash
. "$SRC/tests/real/lib/mtasts-https.bash"
trap 'mtasts_https_stop; [ -n "${MTASTS_KEEP:-}" ] || rm -rf "$W"' EXIT
mtasts_https_start "$STARK" "$W/https"
D=$MTASTS_DOMAIN
# generous: the machine may be loaded, and slow/silent must still end at it
TIMEOUT=3000
# any proxy would be a dead end: the fetch must not use one
export https_proxy=http://127.0.0.1:$MTASTS_REFUSED_PORT HTTPS_PROXY=http://127.0.0.1:$MTASTS_REFUSED_PORT
export ALL_PROXY=http://127.0.0.1:$MTASTS_REFUSED_PORT all_proxy=http://127.0.0.1:$MTASTS_REFUSED_PORT

MX_OK=(--mx "mx1.$D=ok" --mx "a.mx.$D=ok")
# run CASE PORT [driver args...]: the driver's output in $W/CASE.out
run()
{
	local c=$1 port=$2
	shift 2
	local t0 t1
	t0=$(date +%s%N)
	timeout -k 2 20 "$DRIVE" --domain "$D" --addr 127.0.0.1 --port "$port" --ca "$MTASTS_CA" \
		--no-system-ca --timeout "$TIMEOUT" -v "$@" >"$W/$c.out" 2>"$W/$c.err" ||
		{ echo "mtasts: $c: driver failed" >&2; cat "$W/$c.err" >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >"$W/$c.ms"
	# "CASE p06 p07 p08" from the first three result lines
	printf '%s %s\n' "$c" "$(grep -E '^P-0[678] ' "$W/$c.out" | awk '{print tolower($2)}' | tr '\n' ' ' | sed 's/ $//')" >>"$W/got"
}
run good "${MTASTS_PORT[good]}" "${MX_OK[@]}"
run testing "${MTASTS_PORT[testing]}" "${MX_OK[@]}"
run none "${MTASTS_PORT[none]}" "${MX_OK[@]}"
run maxage "${MTASTS_PORT[maxage]}" "${MX_OK[@]}"
run notfound "${MTASTS_PORT[notfound]}" "${MX_OK[@]}"
run redirect "${MTASTS_PORT[redirect]}" "${MX_OK[@]}"
run html "${MTASTS_PORT[html]}" "${MX_OK[@]}"
run wronghost "${MTASTS_PORT[wronghost]}" "${MX_OK[@]}"
run unknownca "${MTASTS_PORT[unknownca]}" "${MX_OK[@]}"
run big "${MTASTS_PORT[big]}" "${MX_OK[@]}"
run slow "${MTASTS_PORT[slow]}" "${MX_OK[@]}"
run silent "$MTASTS_SILENT_PORT" "${MX_OK[@]}"
run refused "$MTASTS_REFUSED_PORT" "${MX_OK[@]}"
run noaddr "${MTASTS_PORT[good]}" --no-addr "${MX_OK[@]}"
run twotxt "${MTASTS_PORT[good]}" --txt "v=STSv1; id=one" --txt "v=STSv1; id=two" "${MX_OK[@]}"
run badid "${MTASTS_PORT[good]}" --txt "v=STSv1; id=not-alnum" "${MX_OK[@]}"
run notxt "${MTASTS_PORT[good]}" --no-txt "${MX_OK[@]}"
run outside "${MTASTS_PORT[good]}" "${MX_OK[@]}" --mx "mx9.elsewhere.test=ok"
run wildcard-one "${MTASTS_PORT[wildcard]}" --mx "a.mx.$D=ok"
run wildcard-two "${MTASTS_PORT[wildcard]}" --mx "a.mx.$D=ok" --mx "a.b.mx.$D=ok"
run mxtls "${MTASTS_PORT[good]}" --mx "mx1.$D=fail" --mx "a.mx.$D=ok"

fail=0
want=$(grep -v '^#' "$SRC/tests/real/mtasts.expected" | sed '/^$/d')
if [ "$want" != "$(cat "$W/got")" ]; then
	echo "mtasts: verdicts differ from tests/real/mtasts.expected:" >&2
	diff <(echo "$want") "$W/got" >&2 || true
	fail=1
fi

# the evidence of a good fetch: request, status line, headers, the body
for s in 'send GET /.well-known/mta-sts.txt HTTP/1.1' 'Host: mta-sts.example.test' \
	'recv HTTP/1.1 200 OK' 'Content-Type: text/plain' 'version: STSv1' 'mx: \*.mx.example.test' \
	'curl:.*127.0.0.1'; do
	grep -q -- "$s" "$W/good.out" || { echo "mtasts: good: no '$s' in the evidence" >&2; fail=1; }
done
# the reasons name what nginx did
grep -q 'HTTP 301 redirect to https://mta-sts.example.test:[0-9]*/.well-known/policy.txt' "$W/redirect.out" ||
	{ echo "mtasts: redirect: reason lacks the Location" >&2; fail=1; }
grep -q "Content-Type 'text/html'" "$W/html.out" || { echo "mtasts: html: reason" >&2; fail=1; }
grep -q 'HTTP 404' "$W/notfound.out" || { echo "mtasts: notfound: reason" >&2; fail=1; }
grep -q 'not valid for mta-sts.example.test' "$W/wronghost.out" || { echo "mtasts: wronghost: reason" >&2; fail=1; }
grep -q 'not valid for mta-sts.example.test' "$W/unknownca.out" || { echo "mtasts: unknownca: reason" >&2; fail=1; }
grep -q 'larger than 65536' "$W/big.out" || { echo "mtasts: big: reason" >&2; fail=1; }
grep -q 'above 31557600' "$W/maxage.out" || { echo "mtasts: maxage: reason" >&2; fail=1; }
grep -q 'a.b.mx.example.test matches no mx pattern' "$W/wildcard-two.out" || { echo "mtasts: wildcard: reason" >&2; fail=1; }
grep -q 'mx9.elsewhere.test matches no mx pattern' "$W/outside.out" || { echo "mtasts: outside: reason" >&2; fail=1; }
# a redirect is never followed: nginx saw the policy path from stark, never policy.txt
if grep -q 'policy.txt' "$W/https/access.log"; then
	echo "mtasts: the redirect was followed:" >&2
	grep 'policy.txt' "$W/https/access.log" >&2
	fail=1
fi
# silent and slow peers end at the deadline (+ process start), not later
for c in slow silent; do
	ms=$(cat "$W/$c.ms")
	grep -q "no complete response within $TIMEOUT ms" "$W/$c.out" || { echo "mtasts: $c: not a timeout" >&2; fail=1; }
	[ "$ms" -lt $((TIMEOUT + 2000)) ] || { echo "mtasts: $c: took $ms ms, deadline $TIMEOUT ms" >&2; fail=1; }
done

# SIGINT ends a fetch from the silent server long before its 20 s deadline
t0=$(date +%s%N)
"$DRIVE" --domain "$D" --addr 127.0.0.1 --port "$MTASTS_SILENT_PORT" --ca "$MTASTS_CA" \
	--no-system-ca --timeout 20000 >"$W/sigint.out" 2>&1 &
dpid=$!
sleep 0.5
kill -INT "$dpid"
wait "$dpid" || { echo "mtasts: sigint: driver failed" >&2; fail=1; }
ms=$((($(date +%s%N) - t0) / 1000000))
grep -q '^P-07 ERROR .*could not be fetched: interrupted' "$W/sigint.out" ||
	{ echo "mtasts: sigint: the fetch was not interrupted" >&2; cat "$W/sigint.out" >&2; fail=1; }
[ "$ms" -lt 5000 ] || { echo "mtasts: sigint: took $ms ms" >&2; fail=1; }

if [ "$fail" -ne 0 ]; then
	for c in good redirect slow; do echo "--- $c" >&2; cat "$W/$c.out" >&2; done
	mtasts_https_log >&2
	exit 1
fi
echo "mtasts: $(wc -l <"$W/got") cases against nginx $(nginx -v 2>&1 | sed 's/.*\///') as expected" \
	"(slow $(cat "$W/slow.ms") ms, silent $(cat "$W/silent.ms") ms at a $TIMEOUT ms deadline)"
