#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real peer: the server suite (--profile mx) against Exim 4.96 (Debian 12's
# exim4-daemon-light, TLS by GnuTLS), started here on loopback inside its
# Debian root (bench/exim-instance.sh, configuration "default"). The
# verdicts must equal exim.expected line for line (tests/real/lib/
# server-suite.bash). Exim and its instance directory are always removed.
#
# usage: tests/real/exim.sh STARK_BINARY SOURCE_DIR
# env:   STARK_REAL_KEEP=DIR  copy the report and Exim's logs there
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
	echo "exim: SKIP: needs root (chroot, namespaces)" >&2
	exit 77
fi
if [ ! -f "${MTA_ROOT_CACHE:-/var/cache/stark/roots}/exim/.stark-root" ]; then
	echo "exim: SKIP: the exim root is not built (bench/mta-root.sh exim)" >&2
	exit 77
fi

# shellcheck source-path=SCRIPTDIR/../.. source=bench/exim-instance.sh
. "$SRC/bench/exim-instance.sh"
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
		[ -n "$EXIM_DIR" ] && cp -r "$EXIM_DIR/log" "$STARK_REAL_KEEP/exim-log" 2>/dev/null
	fi
	exim_stop
	[ -n "$WORK" ] && rm -rf -- "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-real-exim.XXXXXX")
if ! exim_start "$STARK" default; then
	echo "exim: FAIL: could not start Exim" >&2
	exit 1
fi
echo "exim: instance up in $EXIM_DIR on 127.0.0.1:$EXIM_PORT"

if ! suite_run exim mx "127.0.0.1:$EXIM_PORT" "$EXIM_NAME" "$EXIM_CA" "$HERE/exim.expected" \
	exim_log_tail "$WORK/mx"; then
	exit 1
fi
echo "exim: PASS"
