#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fleet view: three Postfix listeners play one MX name behind a load
# balancer (bench/postfix-instance.sh, PF_FLEET=1): A is the baseline, B has
# a certificate for another name, C also allows TLS 1.0/1.1. stark scan must
# flag exactly those differences as inconsistent, and find the state machine
# (the server suite) consistent across the nodes.
# usage: tests/real/fleet.sh STARK_BINARY SOURCE_DIR
set -euo pipefail
STARK=$(realpath "$1")
SRC=$(realpath "$2")
if [ "$(id -u)" -ne 0 ] || [ ! -x /usr/lib/postfix/sbin/master ]; then
	echo "fleet: SKIP: needs root and Postfix" >&2
	exit 77
fi
OUT=$(mktemp -d)
# shellcheck source=../../bench/postfix-instance.sh
. "$SRC/bench/postfix-instance.sh"
trap 'pf_stop; rm -rf "$OUT"' EXIT
PF_FLEET=1 pf_start "$STARK"
A=127.0.0.1:$PF_FLEET_A_PORT B=127.0.0.1:$PF_FLEET_B_PORT C=127.0.0.1:$PF_FLEET_C_PORT
printf '%s\n%s\n%s\n' "$A" "$B" "$C" >"$OUT/targets"
rc=0
timeout -k 5 120 "$STARK" scan --targets "$OUT/targets" --servername "$PF_NAME" --ca "$PF_CA" \
	-j 4 -q --out "$OUT/r" || rc=$?
[ "$rc" -eq 1 ] || { echo "fleet: exit status $rc, want 1" >&2; exit 1; }
python3 - "$OUT/r/results.json" "$A" "$B" "$C" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
A, B, C = sys.argv[2:5]
rows = {r["property"]: r for r in d["scan"]["consistency"]}
bad = sorted(p for p, r in rows.items() if not r["consistent"])
want = sorted(["certificate", "cert/x01-chain", "cert/x02-name", "versions",
               "suites TLSv1.0", "suites TLSv1.1", "server preference TLSv1.0",
               "server preference TLSv1.1", "tls/t03-tls10-tls11"])
assert bad == want, f"inconsistent rows {bad}\n want {want}"
cert = rows["certificate"]["values"]
assert cert[A] == cert[C] != cert[B], cert
vers = rows["versions"]["values"]
assert vers[A] == vers[B] == "TLSv1.2 TLSv1.3" and vers[C].startswith("TLSv1.0 TLSv1.1"), vers
sm = [p for p in rows if p.startswith("server/")]
assert len(sm) >= 25 and all(rows[p]["consistent"] for p in sm), "state machine differs"
flagged = sorted(r["id"] for r in d["results"] if r["id"].startswith("fleet/"))
assert flagged == sorted("fleet/" + p for p in want), flagged
print(f"fleet: {len(rows)} properties compared over 3 nodes; inconsistent: {', '.join(bad)}")
PY
