#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peer: the server suite (--profile mx) against nodemailer's smtp-server
# 3.18.5 (Node.js TLS, i.e. OpenSSL), run by tests/real/node/smtp-server.js on
# a free loopback port with stark's certificate, AUTH PLAIN/LOGIN allowed in
# clear. The verdicts must equal smtp-server.expected line for line
# (tests/real/lib/server-suite.bash). The server is always stopped.
#
# usage: tests/real/smtp-server.sh STARK_BINARY SOURCE_DIR
# env:   STARK_REAL_KEEP=DIR  copy the report and the server's log there
# exit:  77 (skipped) without node or without tests/real/node/node_modules
#        (npm ci there; scripts/install-deps.sh does it)
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$(realpath "$1")
SRC=$(realpath "$2")
HERE=$SRC/tests/real

if ! command -v node >/dev/null 2>&1; then
	echo "smtp-server: SKIP: no node" >&2
	exit 77
fi
if [ ! -f "$HERE/node/node_modules/smtp-server/package.json" ]; then
	echo "smtp-server: SKIP: no tests/real/node/node_modules (npm ci there; scripts/install-deps.sh)" >&2
	exit 77
fi

# shellcheck source=tests/real/lib/server-suite.bash
. "$HERE/lib/server-suite.bash"

WORK=
PID=
# the peer (PID) stops and WORK goes (kept under STARK_REAL_KEEP) on any exit
suite_peer_traps

log_tail()
{
	tail -n "$1" "$WORK/server.log"
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-real-smtp-server.XXXXXX")
mkdir "$WORK/certs"
"$STARK" certs --out "$WORK/certs" --servername localhost >/dev/null
node "$HERE/node/smtp-server.js" "$WORK/certs" >"$WORK/port" 2>"$WORK/server.log" &
PID=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/^PORT \([0-9]\+\)$/\1/p' "$WORK/port")
	[ -n "$port" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$port" ]; then
	echo "smtp-server: FAIL: the server did not start" >&2
	log_tail 20 >&2
	exit 1
fi
echo "smtp-server: listening on 127.0.0.1:$port"

if ! suite_run smtp-server mx "127.0.0.1:$port" localhost "$WORK/certs/ca.pem" \
	"$HERE/smtp-server.expected" log_tail "$WORK/mx"; then
	exit 1
fi
echo "smtp-server: PASS"
