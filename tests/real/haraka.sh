#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peer: the server suite (--profile mx) against Haraka 3.1.1 (Node.js
# TLS, i.e. OpenSSL), from tests/real/node, on a free loopback port. This
# script writes a minimal Haraka directory: plugins stark_rdns (answers the
# reverse lookup itself: no DNS), tls (stark's certificate), auth/flat_file
# (AUTH PLAIN/LOGIN; Haraka offers it in clear to private addresses such as
# 127.0.0.1), rcpt_to.in_host_list (localhost), queue/discard (mail
# dropped). The verdicts must equal haraka.expected line for line
# (tests/real/lib/server-suite.bash). Haraka is always stopped.
#
# usage: tests/real/haraka.sh STARK_BINARY SOURCE_DIR
# env:   STARK_REAL_KEEP=DIR  copy the report and Haraka's log there
# exit:  77 (skipped) without node or without Haraka in
#        tests/real/node/node_modules (npm ci there; scripts/install-deps.sh)
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$(realpath "$1")
SRC=$(realpath "$2")
HERE=$SRC/tests/real
HARAKA=$HERE/node/node_modules/Haraka/bin/haraka

if ! command -v node >/dev/null 2>&1; then
	echo "haraka: SKIP: no node" >&2
	exit 77
fi
if [ ! -f "$HARAKA" ]; then
	echo "haraka: SKIP: no Haraka in tests/real/node/node_modules (npm ci there; scripts/install-deps.sh)" >&2
	exit 77
fi

# shellcheck source-path=SCRIPTDIR/../.. source=bench/mta-root.sh
. "$SRC/bench/mta-root.sh" # mta_root_free_port, mta_root_greets
# shellcheck source=tests/real/lib/server-suite.bash
. "$HERE/lib/server-suite.bash"

WORK=
PID=
# the peer (PID) stops and WORK goes (kept under STARK_REAL_KEEP) on any exit
suite_peer_traps

log_tail()
{
	tail -n "$1" "$WORK/haraka.log"
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-real-haraka.XXXXXX")
H=$WORK/haraka
mkdir -p "$H/config" "$H/plugins" "$H/queue" "$WORK/certs"
# Haraka's own defaults first (it needs e.g. connection.ini), then ours
cp -r "$(dirname "$HARAKA")/../config/." "$H/config/"
"$STARK" certs --out "$WORK/certs" --servername localhost >/dev/null
cp "$WORK/certs/good.pem" "$H/config/tls_cert.pem"
cp "$WORK/certs/good.key" "$H/config/tls_key.pem"
port=$(mta_root_free_port)

echo localhost >"$H/config/me"
echo localhost >"$H/config/host_list"
cat >"$H/config/smtp.ini" <<EOF
[main]
listen=127.0.0.1:$port
inactivity_timeout=30
EOF
cat >"$H/config/log.ini" <<'EOF'
[main]
; protocol: every command and reply, for the transcripts of a failure
level=protocol
timestamps=true
EOF
cat >"$H/config/auth_flat_file.ini" <<'EOF'
[core]
methods=PLAIN,LOGIN
[users]
user=a-password-stark-never-sends
EOF
cat >"$H/config/plugins" <<'EOF'
stark_rdns
tls
auth/flat_file
rcpt_to.in_host_list
queue/discard
EOF
# Haraka looks the client's address up with dns.reverse before the greeting
# unless a lookup_rdns hook answers: this one does, so nothing leaves the host.
cat >"$H/plugins/stark_rdns.js" <<'EOF'
exports.hook_lookup_rdns = (next) => next(OK, 'localhost');
EOF

# queue/discard drops a message only when told to (here, by the environment)
YES_REALLY_DO_DISCARD=1 node "$HARAKA" -c "$H" >"$WORK/haraka.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
	mta_root_greets "$port" && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
if ! mta_root_greets "$port"; then
	echo "haraka: FAIL: Haraka did not greet on 127.0.0.1:$port" >&2
	log_tail 30 >&2
	exit 1
fi
echo "haraka: listening on 127.0.0.1:$port"

if ! suite_run haraka mx "127.0.0.1:$port" localhost "$WORK/certs/ca.pem" \
	"$HERE/haraka.expected" log_tail "$WORK/mx"; then
	exit 1
fi
echo "haraka: PASS"
