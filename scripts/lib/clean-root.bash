# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2016
# (SC2016: mmdebstrap hooks expand $1 themselves)
# scripts/lib/clean-root.bash: the clean Debian 12 root that
# scripts/clean-root.sh (the README commands) and scripts/package-test.sh
# (the .deb) run in, sourced by both. Owns the cached base (mmdebstrap
# minbase + git + ca-certificates from the host's apt sources, rebuilt when
# its recipe or the sources change), unpacking it into a fresh root with the
# host's resolver, trust anchors and dpkg's unsafe-io, the mounts of a root
# inside a private mount and PID namespace, and removing the root only when
# nothing is mounted below it. Never installs a project package into the
# cached base; never mounts outside a private namespace.
#
# Knobs: CLEAN_ROOT_CACHE (default /var/cache/stark/clean-root-base.tar),
# CLEAN_ROOT_REBUILD=1 rebuilds the cached base.

CROOT_CACHE=${CLEAN_ROOT_CACHE:-/var/cache/stark/clean-root-base.tar}
CROOT_SUITE=bookworm
# What a fresh Debian 12 machine has before the user runs anything: the
# minbase variant (Essential + apt, Priority: required), plus git and
# ca-certificates, which the user needed to clone the repository. Nothing
# else: no sudo (the user is root), no build tools, no python3.
CROOT_INCLUDE=git,ca-certificates
# bump when the base recipe changes: the cached base is rebuilt
CROOT_RECIPE=1

croot_base_stamp()
{
	# the mirror is part of the recipe: another machine's base is rebuilt
	printf 'recipe=%s suite=%s variant=minbase include=%s sources=%s\n' \
		"$CROOT_RECIPE" "$CROOT_SUITE" "$CROOT_INCLUDE" "$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			/etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v '^#' | md5sum | cut -d' ' -f1)"
}

# The base root as a tar: built once per recipe, then only unpacked. One
# builder at a time (clean-root.sh and package-test.sh may start together).
croot_build_base()
{
	mkdir -p "$(dirname "$CROOT_CACHE")"
	(
		flock 9
		croot_build_base_locked
	) 9>"$CROOT_CACHE.lock"
}

croot_build_base_locked()
{
	local stamp
	stamp=$(croot_base_stamp)
	if [ "${CLEAN_ROOT_REBUILD:-0}" != 1 ] && [ -f "$CROOT_CACHE" ] && [ -f "$CROOT_CACHE.stamp" ] &&
		[ "$(cat "$CROOT_CACHE.stamp")" = "$stamp" ]; then
		echo "clean-root: cached base $CROOT_CACHE"
		return 0
	fi
	command -v mmdebstrap >/dev/null || {
		echo "clean-root: mmdebstrap is missing (apt-get install mmdebstrap)" >&2
		return 1
	}
	echo "clean-root: building the base root ($CROOT_SUITE minbase + $CROOT_INCLUDE) into $CROOT_CACHE"
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
	mmdebstrap --mode=root --variant=minbase --format=tar --include="$CROOT_INCLUDE" \
		--customize-hook='for f in /etc/apt/apt.conf.d/*; do [ -e "$1$f" ] || cp -p "$f" "$1$f"; done' \
		--customize-hook='printf "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" >"$1/etc/hosts"' \
		"$CROOT_SUITE" "$CROOT_CACHE.new" "${src[@]}"
	mv -f "$CROOT_CACHE.new" "$CROOT_CACHE"
	printf '%s\n' "$stamp" >"$CROOT_CACHE.stamp"
}

# croot_unpack ROOT: a fresh root from the cached base, as a machine of this
# kind has it: the host's resolver and trust anchors, dpkg without fsyncs.
croot_unpack()
{
	local root=$1 n=0 f
	mkdir -p "$root"
	tar -C "$root" -xpf "$CROOT_CACHE"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf"
	# The machine's own trust anchors (what it added to Debian's store, e.g. a
	# network's TLS proxy CA): a fresh machine of this kind has them, and npm ci
	# fails without them. Only certificates, never a key.
	for f in /etc/ssl/certs/*.pem /usr/local/share/ca-certificates/*.crt; do
		if [ ! -f "$f" ] || [ -L "$f" ] || ! grep -q 'BEGIN CERTIFICATE' "$f" ||
			grep -q 'PRIVATE KEY' "$f"; then
			continue
		fi
		mkdir -p "$root/usr/local/share/ca-certificates"
		cp "$f" "$root/usr/local/share/ca-certificates/host-$n.crt"
		n=$((n + 1))
	done
	# (its rehash warns about the bundle file and duplicates: not errors)
	[ "$n" -eq 0 ] || chroot "$root" update-ca-certificates >/dev/null 2>&1 ||
		{ echo "clean-root: update-ca-certificates failed in the root" >&2; return 1; }
	# dpkg without an fsync per file, as Debian's container images have it: the
	# same packages, several minutes less on a busy disk
	echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/clean-root-unsafe-io"
}

# croot_unshare CMD ARGS...: CMD in a private mount namespace (nothing mounted
# there is seen by the host, and it all goes with the namespace) and PID
# namespace (every daemon left behind dies with it); the host's network, for
# the mirror.
croot_unshare()
{
	unshare --mount --propagation private --pid --fork --kill-child=SIGKILL "$@"
}

# croot_mount ROOT (inside croot_unshare): the root as a machine's / is: a
# mount point of its own (unshare --propagation in bench/mta-root.sh fails
# with EINVAL on a plain directory) with /proc, /sys, /dev, /dev/pts and
# /dev/shm. Unmounted by croot_umount (put it in an EXIT trap).
croot_mount()
{
	local root=$1
	mount --bind "$root" "$root"
	mount -t proc proc "$root/proc"
	mount -t sysfs -o ro sysfs "$root/sys"
	mount --bind /dev "$root/dev"
	mount --bind /dev/pts "$root/dev/pts"
	mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
}

croot_umount()
{
	# innermost first; lazy, so a busy mount cannot keep one alive
	local root=$1 m
	for m in dev/shm dev/pts dev sys proc ""; do
		if mountpoint -q "$root/$m"; then
			umount -l "$root/$m" || echo "clean-root: could not unmount $root/$m" >&2
		fi
	done
}

# croot_remove ROOT [KEEP]: deletes the root unless KEEP is 1 or anything is
# still mounted below it (never delete through a mount). 0 when it is gone.
croot_remove()
{
	local root=$1 keep=${2:-0}
	if awk -v d="$root" '$2 == d || index($2, d "/") == 1 { f = 1 } END { exit !f }' /proc/self/mounts; then
		echo "clean-root: something is still mounted below $root; left in place" >&2
		return 1
	elif [ "$keep" = 1 ]; then
		echo "clean-root: kept $root"
		return 1
	fi
	rm -rf --one-file-system -- "$root"
}
