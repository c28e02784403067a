#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The user story that started stark: a user checked a gateway fleet by hand
# and found TLS 1.2 with ECDHE-RSA-AES128-SHA256 and self-signed
# certificates. The reference target configured like the seed
# must yield exactly those facts, and the certificate findings (X-01 chain,
# X-04 self-signed) under the default policy, and no other FAIL.
# usage: tests/real/seed.sh STARK_BINARY SOURCE_DIR
set -euo pipefail
STARK=$(realpath "$1")
TMP=$(mktemp -d)
PID=
cleanup() {
	[ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
	rm -rf "$TMP"
}
trap cleanup EXIT

"$STARK" refserver --tls-version 1.2 --ciphers ECDHE-RSA-AES128-SHA256 --cert self-signed-rsa \
	>"$TMP/ref.out" &
PID=$!
for _ in $(seq 100); do grep -q listening "$TMP/ref.out" 2>/dev/null && break; sleep 0.05; done
ADDR=$(awk '{print $3}' "$TMP/ref.out")
[ -n "$ADDR" ] || { echo "seed: the reference target did not start" >&2; exit 1; }

rc=0
timeout -k 5 60 "$STARK" scan --target "$ADDR" --servername localhost --no-suite \
	--out "$TMP/out" | tee "$TMP/terminal.txt" || rc=$?
[ "$rc" -eq 1 ] || { echo "seed: exit status $rc, want 1 (certificate findings)" >&2; exit 1; }
# the terminal leads with what the seed checked by hand
grep -q "TLS version in use: TLSv1.2" "$TMP/terminal.txt"
grep -q "Cipher in use: ECDHE-RSA-AES128-SHA256" "$TMP/terminal.txt"
grep -q "(self-signed)" "$TMP/terminal.txt"

python3 - "$TMP/out/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
node = d["scan"]["nodes"][0]
offered = sorted(v for v, ok in node["versions"].items() if ok)
assert offered == ["TLSv1.2"], f"versions {offered}"
suites = {v: [s["id"] for s in l] for v, l in node["suites"].items()}
assert suites == {"TLSv1.2": ["0xC027"]}, f"suites {suites}"
assert node["tls"]["version"] == "TLSv1.2", node["tls"]["version"]
assert node["tls"]["cipher"] == "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", node["tls"]["cipher"]
leaf = node["tls"]["chain"][0]
assert leaf["self_signed"] and leaf["key_type"] == "RSA", leaf
fails = sorted(r["id"] for r in d["results"] if r["verdict"] == "fail")
assert fails == ["cert/x01-chain", "cert/x04-self-signed"], f"FAILs {fails}"
print(f"seed: TLSv1.2 only, 0xC027 only, self-signed RSA; FAIL {fails}; "
      f"{node['connections']} connections, {node['elapsed_ms']} ms")
PY
