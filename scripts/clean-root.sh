#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2016,SC2317
# (SC2016: mmdebstrap hooks expand $1 themselves; SC2317: traps call the
# cleanup functions)
# clean-root.sh: proves the two README commands on a fresh Debian 12. It
# builds a minimal bookworm root (mmdebstrap, minbase + git + ca-certificates,
# the host's apt sources and apt options), clones this repository's committed
# HEAD into /root/stark and runs, as root and exactly as README says,
# scripts/demo.sh then scripts/test.sh; prints each one's exit status and wall
# time and the ctest summary line; exits non-zero if either failed.
# Invariants: the cached base (CLEAN_ROOT_CACHE) never holds a package that
# scripts/install-deps.sh installs; every mount lives in a private mount and
# PID namespace and is unmounted on exit (trap), whatever happened.
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
CACHE=${CLEAN_ROOT_CACHE:-/var/cache/stark/clean-root-base.tar}
SUITE=bookworm
# What a fresh Debian 12 machine has before the user runs anything: the
# minbase variant (Essential + apt, Priority: required), plus git and
# ca-certificates, which the user needed to clone the repository. Nothing
# else: no sudo (the user is root), no build tools, no python3.
INCLUDE=git,ca-certificates
# bump when the base recipe changes: the cached base is rebuilt
RECIPE=1

if [ "$(id -u)" -ne 0 ]; then
	echo "clean-root: needs root (mmdebstrap --mode=root, mounts, chroot)" >&2
	exit 2
fi

# Stage 2, inside a private mount and PID namespace (see the end of file).
if [ "${1:-}" = --inside ]; then
	ROOT=$2
	umount_all()
	{
		# innermost first; lazy, so a busy mount cannot keep one alive
		local m
		for m in dev/shm dev/pts dev sys proc ""; do
			if mountpoint -q "$ROOT/$m"; then
				umount -l "$ROOT/$m" || echo "clean-root: could not unmount $ROOT/$m" >&2
			fi
		done
	}
	trap umount_all EXIT
	# the root is a mount point, as / is on a real machine: unshare
	# --propagation (bench/mta-root.sh) fails with EINVAL on a plain directory
	mount --bind "$ROOT" "$ROOT"
	mount -t proc proc "$ROOT/proc"
	mount -t sysfs -o ro sysfs "$ROOT/sys"
	mount --bind /dev "$ROOT/dev"
	mount --bind /dev/pts "$ROOT/dev/pts"
	mount -t tmpfs -o mode=1777,nosuid,nodev shm "$ROOT/dev/shm"

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

base_stamp()
{
	# the mirror is part of the recipe: another machine's base is rebuilt
	printf 'recipe=%s suite=%s variant=minbase include=%s sources=%s\n' \
		"$RECIPE" "$SUITE" "$INCLUDE" "$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			/etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v '^#' | md5sum | cut -d' ' -f1)"
}

# The base root as a tar: built once per recipe, then only unpacked.
build_base()
{
	local stamp
	stamp=$(base_stamp)
	if [ "${CLEAN_ROOT_REBUILD:-0}" != 1 ] && [ -f "$CACHE" ] && [ -f "$CACHE.stamp" ] &&
		[ "$(cat "$CACHE.stamp")" = "$stamp" ]; then
		echo "clean-root: cached base $CACHE"
		return 0
	fi
	command -v mmdebstrap >/dev/null || {
		echo "clean-root: mmdebstrap is missing (apt-get install mmdebstrap)" >&2
		return 1
	}
	mkdir -p "$(dirname "$CACHE")"
	echo "clean-root: building the base root ($SUITE minbase + $INCLUDE) into $CACHE"
	local src=() f
	# the host's own sources, as they are: no archive host named here
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -s "$f" ] && src+=("$f")
	done
	[ ${#src[@]} -gt 0 ] || {
		echo "clean-root: no apt sources on the host" >&2
		return 1
	}
	# mmdebstrap copies the sources into the root; the host's apt options
	# (apt.conf.d) are the machine's, so a fresh one of this kind has them too
	mmdebstrap --mode=root --variant=minbase --format=tar --include="$INCLUDE" \
		--customize-hook='for f in /etc/apt/apt.conf.d/*; do [ -e "$1$f" ] || cp -p "$f" "$1$f"; done' \
		--customize-hook='printf "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" >"$1/etc/hosts"' \
		"$SUITE" "$CACHE.new" "${src[@]}"
	mv -f "$CACHE.new" "$CACHE"
	printf '%s\n' "$stamp" >"$CACHE.stamp"
}

build_base
work=$(mktemp -d "${CLEAN_ROOT_DIR:-/var/tmp}/stark-clean-root.XXXXXX")
ROOT=$work/root
cleanup()
{
	local rc=$?
	# anything still mounted below the root: never delete through it
	if awk -v d="$ROOT" '$2 == d || index($2, d "/") == 1 { f = 1 } END { exit !f }' /proc/self/mounts; then
		echo "clean-root: something is still mounted below $ROOT; left in place" >&2
	elif [ "${CLEAN_ROOT_KEEP:-0}" = 1 ]; then
		echo "clean-root: kept $ROOT (logs in $work)"
	else
		rm -rf --one-file-system -- "$ROOT"
		echo "clean-root: logs in $work"
	fi
	exit "$rc"
}
trap cleanup EXIT
mkdir -p "$ROOT"
tar -C "$ROOT" -xpf "$CACHE"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The machine's own trust anchors (what it added to Debian's store, e.g. a
# network's TLS proxy CA): a fresh machine of this kind has them, and npm ci
# fails without them. Only certificates, never a key.
n=0
for f in /etc/ssl/certs/*.pem /usr/local/share/ca-certificates/*.crt; do
	if [ ! -f "$f" ] || [ -L "$f" ] || ! grep -q 'BEGIN CERTIFICATE' "$f" ||
		grep -q 'PRIVATE KEY' "$f"; then
		continue
	fi
	mkdir -p "$ROOT/usr/local/share/ca-certificates"
	cp "$f" "$ROOT/usr/local/share/ca-certificates/host-$n.crt"
	n=$((n + 1))
done
# (its rehash warns about the bundle file and duplicates: not errors)
[ "$n" -eq 0 ] || chroot "$ROOT" update-ca-certificates >/dev/null 2>&1 ||
	{ echo "clean-root: update-ca-certificates failed in the root" >&2; exit 1; }
# dpkg without an fsync per file, as Debian's container images have it: the
# same packages, several minutes less on a busy disk
echo force-unsafe-io >"$ROOT/etc/dpkg/dpkg.cfg.d/clean-root-unsafe-io"
# the committed HEAD only: a clone leaves the work tree's edits behind
git clone -q --no-hardlinks "$REPO" "$ROOT/root/stark"
echo "clean-root: $(git -C "$ROOT/root/stark" log -1 --format='%h %s') in $ROOT/root/stark"

# A private mount namespace (nothing mounted here is seen by the host, and
# it all goes with the namespace) and PID namespace (every daemon the tests
# leave behind dies with it); the host's network, for the mirror.
unshare --mount --propagation private --pid --fork --kill-child=SIGKILL \
	"$REPO/scripts/clean-root.sh" --inside "$ROOT" || true

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
