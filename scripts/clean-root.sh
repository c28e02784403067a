#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2317
# (SC2317: traps call the cleanup functions)
# clean-root.sh: proves the two README commands on a fresh Debian 12. It
# builds a minimal bookworm root (mmdebstrap, minbase + git + ca-certificates,
# the host's apt sources and apt options), clones this repository's committed
# HEAD into /root/stark and runs, as root and exactly as README says,
# scripts/demo.sh then scripts/test.sh; prints each one's exit status and wall
# time and the ctest summary line; exits non-zero if either failed.
# Invariants: the cached base (CLEAN_ROOT_CACHE) never holds a package that
# scripts/install-deps.sh installs; every mount lives in a private mount and
# PID namespace and is unmounted on exit (trap), whatever happened. The base,
# the root and its mounts are scripts/lib/clean-root.bash's (shared with
# scripts/package-test.sh).
# scripts/test.sh builds the Exim and OpenSMTPD roots (bench/mta-root.sh)
# inside this root, from scratch: nested mmdebstrap --mode=root works in the
# chroot, which is a mount point of its own with /proc, /sys and /dev.
# Run before resolving a change to the set-up (too long for CI). Needs root.
#
# Knobs: CLEAN_ROOT_CACHE (default /var/cache/stark/clean-root-base.tar),
# CLEAN_ROOT_DIR (parent of the root, default /var/tmp), CLEAN_ROOT_KEEP=1
# keeps the root afterwards, CLEAN_ROOT_REBUILD=1 rebuilds the cached base.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/clean-root.bash
. "$REPO/scripts/lib/clean-root.bash"

if [ "$(id -u)" -ne 0 ]; then
	echo "clean-root: needs root (mmdebstrap --mode=root, mounts, chroot)" >&2
	exit 2
fi

# Stage 2, inside a private mount and PID namespace (see the end of file).
if [ "${1:-}" = --inside ]; then
	ROOT=$2
	trap 'croot_umount "$ROOT"' EXIT
	croot_mount "$ROOT"

	run()
	{
		local name=$1 log=$2 t0=$SECONDS rc=0
		echo "== clean-root: $name (log: $log)"
		# a root login's environment on a fresh machine: no LANG, Debian's
		# root PATH, HOME=/root; the commands exactly as in README.md
		chroot "$ROOT" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			/bin/bash -c "cd /root/stark && $name" </dev/null 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
		echo "$rc $((SECONDS - t0))" >"$log.status"
	}
	run scripts/demo.sh "$ROOT/../demo.log"
	run scripts/test.sh "$ROOT/../test.log"
	exit 0
fi

croot_build_base
work=$(mktemp -d "${CLEAN_ROOT_DIR:-/var/tmp}/stark-clean-root.XXXXXX")
ROOT=$work/root
cleanup()
{
	local rc=$?
	croot_remove "$ROOT" "${CLEAN_ROOT_KEEP:-0}" || true
	echo "clean-root: logs in $work"
	exit "$rc"
}
trap cleanup EXIT
croot_unpack "$ROOT" || exit 1
# the committed HEAD only: a clone leaves the work tree's edits behind
git clone -q --no-hardlinks "$REPO" "$ROOT/root/stark"
echo "clean-root: $(git -C "$ROOT/root/stark" log -1 --format='%h %s') in $ROOT/root/stark"

# the README commands in a private mount and PID namespace (lib/clean-root.bash)
croot_unshare "$REPO/scripts/clean-root.sh" --inside "$ROOT" || true

rc=0
for n in demo test; do
	if [ -f "$work/$n.log.status" ]; then
		read -r st secs <"$work/$n.log.status"
	else
		st=none secs="?"
	fi
	printf 'clean-root: scripts/%s.sh exit %s in %s s\n' "$n" "$st" "$secs"
	[ "$st" = 0 ] || rc=1
done
# test.sh runs ctest twice: every test, then the sanitizer build's unit
# and corpus tests
summary=$(grep -E '^[0-9]+% tests passed' "$work/test.log" 2>/dev/null || true)
printf 'clean-root: ctest: %s\n' "${summary:-no ctest summary line}"
exit "$rc"
