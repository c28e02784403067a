#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peer: the server suite (--profile mx) against Sendmail 8.17 (Debian
# 12's sendmail-bin, TLS by OpenSSL 3), started here on loopback inside its
# Debian root (bench/sendmail-instance.sh). The verdicts must equal
# sendmail.expected line for line (tests/real/lib/server-suite.bash).
# Sendmail and its instance directory are always removed.
#
# usage: tests/real/sendmail.sh STARK_BINARY SOURCE_DIR
# env:   STARK_REAL_KEEP=DIR  copy the report and Sendmail's traffic log there
# exit:  77 (skipped) when not root or the root is not built (bench/mta-root.sh)
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2
	exit 2
fi
STARK=$(realpath "$1")
SRC=$(realpath "$2")
HERE=$SRC/tests/real

if [ "$(id -u)" -ne 0 ]; then
	echo "sendmail: SKIP: needs root (chroot, namespaces)" >&2
	exit 77
fi
if [ ! -f "${MTA_ROOT_CACHE:-/var/cache/stark/roots}/sendmail/.stark-root" ]; then
	echo "sendmail: SKIP: the sendmail root is not built (bench/mta-root.sh sendmail)" >&2
	exit 77
fi

# shellcheck source-path=SCRIPTDIR/../.. source=bench/sendmail-instance.sh
. "$SRC/bench/sendmail-instance.sh"
# shellcheck source=tests/real/lib/server-suite.bash
. "$HERE/lib/server-suite.bash"

WORK=
cleanup()
{
	local rc=$?
	trap - EXIT INT TERM
	set +e
	if [ -n "${STARK_REAL_KEEP:-}" ] && [ -n "$WORK" ]; then
		mkdir -p "$STARK_REAL_KEEP"
		cp -r "$WORK"/. "$STARK_REAL_KEEP"/ 2>/dev/null
		[ -n "$SM_DIR" ] && cp "$SM_DIR"/traffic.log "$SM_DIR"/daemon.out "$SM_DIR"/sendmail.mc \
			"$STARK_REAL_KEEP"/ 2>/dev/null
	fi
	sendmail_stop
	[ -n "$WORK" ] && rm -rf -- "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-real-sendmail.XXXXXX")
if ! sendmail_start "$STARK"; then
	echo "sendmail: FAIL: could not start Sendmail" >&2
	exit 1
fi
echo "sendmail: instance up in $SM_DIR on 127.0.0.1:$SM_PORT"

if ! suite_run sendmail mx "127.0.0.1:$SM_PORT" "$SM_NAME" "$SM_CA" "$HERE/sendmail.expected" \
	sendmail_log_tail "$WORK/mx"; then
	exit 1
fi
echo "sendmail: PASS"
