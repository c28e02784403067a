#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# T-13 (client-initiated renegotiation) against two real Postfix instances
# on loopback: Debian's Postfix as configured by default (OpenSSL 3 refuses
# a client's renegotiation unless SSL_OP_ALLOW_CLIENT_RENEGOTIATION is set)
# and the same with tls_ssl_options = 0x100 (that option, OpenSSL 3.0's
# SSL_OP_BIT(8)), which accepts it.
# Expected verdicts, per wolfSSL build of stark:
#   bundled  default: PASS (refused)   allow: WARN "accepted: a second
#            handshake completed inside the TLSv1.2 session"
#   system   both: SKIP "needs stark's bundled wolfSSL: Debian's libwolfssl
#            lacks client- and server-initiated renegotiation"
# usage: tests/real/renegotiation.sh STARK_BINARY SOURCE_DIR
set -euo pipefail
STARK=$(realpath "$1")
SRC=$(realpath "$2")
[ "$(id -u)" -eq 0 ] || { echo "renegotiation: needs root for Postfix" >&2; exit 77; }
# shellcheck source=bench/postfix-instance.sh
. "$SRC/bench/postfix-instance.sh"
TMP=$(mktemp -d)
trap 'pf_stop; rm -rf "$TMP"' EXIT

# verdict and reason of T-13 in a results.json
t13() {
	python3 - "$1" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    if r["id"] == "tls/t13-client-renegotiation":
        print(r["verdict"], r.get("reason") or "")
EOF
}

bundled=0
fail=0
for cfg in default allow; do
	extra=""
	[ "$cfg" = allow ] && extra="tls_ssl_options = 0x100"
	PF_MAIN_CF_EXTRA="$extra" pf_start "$STARK"
	timeout -k 5 120 "$STARK" scan --target "127.0.0.1:$PF_PORT" --servername "$PF_NAME" \
		--ca "$PF_CA" --no-suite --out "$TMP/$cfg" >"$TMP/$cfg.txt" 2>&1 || true
	pf_stop
	got=$(t13 "$TMP/$cfg/results.json")
	case $got in
	skip*"needs stark's bundled wolfSSL"*) want_sys=1 ;;
	*) want_sys=0 ;;
	esac
	[ "$cfg" = default ] && [ "$want_sys" = 0 ] && bundled=1
	if [ "$bundled" = 1 ]; then
		case $cfg:$got in
		default:pass*) ok=1 ;;
		allow:warn*"accepted: a second handshake completed"*) ok=1 ;;
		*) ok=0 ;;
		esac
	else
		ok=$want_sys
	fi
	printf '%-8s %-7s T-13 %s\n' "$([ "$ok" = 1 ] && echo ok || echo MISMATCH)" "$cfg" "$got"
	[ "$ok" = 1 ] || { fail=1; cat "$TMP/$cfg.txt"; }
done
echo "renegotiation: wolfSSL build $([ "$bundled" = 1 ] && echo bundled || echo system)"
exit "$fail"
