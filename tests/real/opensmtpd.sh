#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peer: the server suite (--profile mx) against OpenSMTPD 7.4.0p1
# (bookworm-backports, TLS by OpenSSL 3 through libtls), started here on
# loopback inside its Debian root (bench/opensmtpd-instance.sh,
# configuration "default"). The verdicts must equal opensmtpd.expected line
# for line (tests/real/lib/server-suite.bash). OpenSMTPD and its instance
# directory are always removed.
#
# usage: tests/real/opensmtpd.sh STARK_BINARY SOURCE_DIR
# env:   STARK_REAL_KEEP=DIR  copy the report and OpenSMTPD's log there
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
	echo "opensmtpd: SKIP: needs root (chroot, namespaces)" >&2
	exit 77
fi
if [ ! -f "${MTA_ROOT_CACHE:-/var/cache/stark/roots}/opensmtpd/.stark-root" ]; then
	echo "opensmtpd: SKIP: the opensmtpd root is not built (bench/mta-root.sh opensmtpd)" >&2
	exit 77
fi

# shellcheck source-path=SCRIPTDIR/../.. source=bench/opensmtpd-instance.sh
. "$SRC/bench/opensmtpd-instance.sh"
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
		[ -n "$OSMTPD_DIR" ] && cp "$OSMTPD_DIR/smtpd.log" "$STARK_REAL_KEEP/" 2>/dev/null
	fi
	osmtpd_stop
	[ -n "$WORK" ] && rm -rf -- "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-real-opensmtpd.XXXXXX")
if ! osmtpd_start "$STARK" default; then
	echo "opensmtpd: FAIL: could not start OpenSMTPD" >&2
	exit 1
fi
echo "opensmtpd: instance up in $OSMTPD_DIR on 127.0.0.1:$OSMTPD_PORT"

if ! suite_run opensmtpd mx "127.0.0.1:$OSMTPD_PORT" "$OSMTPD_NAME" "$OSMTPD_CA" \
	"$HERE/opensmtpd.expected" osmtpd_log_tail "$WORK/mx"; then
	exit 1
fi
echo "opensmtpd: PASS"
