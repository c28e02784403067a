#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2016,SC2317
# (SC2016: the checks in the root expand there; SC2317: traps call the
# cleanup functions)
# package-test.sh [--deb FILE]: the Debian package, built and installed as a
# user would. Builds it from this checkout (its files, edits included, copied
# aside: dpkg-buildpackage -b -us -uc writes into the parent directory;
# nocheck, ctest runs the unit tests anyway), runs lintian on it (an error
# fails), then in a fresh clean Debian 12 root (scripts/lib/clean-root.bash,
# the cached base of scripts/clean-root.sh; a private mount and PID
# namespace) installs it with `apt-get install ./stark_*.deb` (apt takes the
# Depends from the host's Debian sources) plus man-db, and checks there, with
# no source tree anywhere: stark --version names the version and the TLS
# library and finds /usr/share/stark/scenarios; stark demo exits 0; stark
# catalog works; man stark renders. Prints the wall time of every phase.
# Exit 0 all passed, 1 a check failed, 77 cannot run here (not root).
# --deb FILE tests a package built before (no build, no lintian).
#
# Knobs: CLEAN_ROOT_CACHE, CLEAN_ROOT_DIR (parent of the work directory,
# default /var/tmp), PACKAGE_TEST_KEEP=1 keeps the work directory and root.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/clean-root.bash
. "$REPO/scripts/lib/clean-root.bash"

if [ "$(id -u)" -ne 0 ]; then
	echo "package-test: needs root (chroot, mounts); skipped" >&2
	exit 77
fi

# Stage 2, inside a private mount and PID namespace: the checks in the root.
if [ "${1:-}" = --inside ]; then
	ROOT=$2
	trap 'croot_umount "$ROOT"' EXIT
	croot_mount "$ROOT"
	# a root login on a fresh machine; the .deb in /tmp, nothing else of ours
	chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -euo pipefail -c '
		phase() { echo "package-test: [$((SECONDS - t0)) s] $*"; }
		t0=$SECONDS
		apt-get update -qq
		phase "apt-get update done"
		apt-get install -y -qq --no-install-recommends /tmp/stark_*.deb man-db >/tmp/apt.log 2>&1 ||
			{ tail -30 /tmp/apt.log; echo "package-test: FAIL apt-get install"; exit 1; }
		phase "installed: $(dpkg-query -W -f="\${Package} \${Version}" stark)"
		if [ -e /root/stark ] || [ -e /usr/src/stark ]; then
			echo "package-test: FAIL a source tree is in the root"; exit 1
		fi
		v=$(stark --version)
		echo "$v" | sed "s/^/  /"
		echo "$v" | grep -q "^stark [0-9]" || { echo "package-test: FAIL stark --version"; exit 1; }
		echo "$v" | grep -q "^TLS: wolfSSL " || { echo "package-test: FAIL no TLS library in --version"; exit 1; }
		echo "$v" | grep -qx "scenarios: /usr/share/stark/scenarios" ||
			{ echo "package-test: FAIL the scenarios are not found in /usr/share/stark"; exit 1; }
		cd /tmp
		rc=0
		stark demo --out /tmp/demo >/tmp/demo.log 2>&1 || rc=$?
		tail -5 /tmp/demo.log | sed "s/^/  /"
		[ "$rc" -eq 0 ] || { cat /tmp/demo.log; echo "package-test: FAIL stark demo exit $rc"; exit 1; }
		[ -s /tmp/demo/results.json ] || { echo "package-test: FAIL stark demo wrote no results.json"; exit 1; }
		phase "stark demo exit 0"
		stark catalog >/tmp/catalog.md && grep -q "^| S-08" /tmp/catalog.md ||
			{ echo "package-test: FAIL stark catalog"; exit 1; }
		MANWIDTH=80 man -P cat stark >/tmp/man.txt 2>/tmp/man.err ||
			{ cat /tmp/man.err; echo "package-test: FAIL man stark"; exit 1; }
		grep -q "^NAME" /tmp/man.txt && grep -q "stark demo" /tmp/man.txt ||
			{ head -20 /tmp/man.txt; echo "package-test: FAIL man stark did not render the page"; exit 1; }
		phase "man stark renders ($(wc -l </tmp/man.txt) lines)"
	' </dev/null
	exit $?
fi

deb=""
if [ "${1:-}" = --deb ]; then
	deb=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
	[ -f "$deb" ] || { echo "package-test: no $2" >&2; exit 2; }
elif [ $# -gt 0 ]; then
	echo "usage: $0 [--deb FILE]" >&2
	exit 2
fi

T0=$SECONDS
phase() { echo "package-test: [$((SECONDS - T0)) s] $*"; }
work=$(mktemp -d "${CLEAN_ROOT_DIR:-/var/tmp}/stark-package-test.XXXXXX")
ROOT=$work/root
cleanup()
{
	local rc=$?
	if [ -d "$ROOT" ]; then
		croot_remove "$ROOT" "${PACKAGE_TEST_KEEP:-0}" || true
	fi
	[ "${PACKAGE_TEST_KEEP:-0}" = 1 ] || [ -d "$ROOT" ] || rm -rf -- "$work"
	exit "$rc"
}
trap cleanup EXIT

if [ -z "$deb" ]; then
	for tool in dpkg-buildpackage dh lintian scdoc; do
		command -v "$tool" >/dev/null ||
			{ echo "package-test: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
	done
	# the checkout's files (tracked and new, not the ignored build trees)
	mkdir -p "$work/src/stark"
	(cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 tar -cf - --no-recursion) | tar -C "$work/src/stark" -xf -
	(cd "$work/src/stark" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" DEB_BUILD_PROFILES=nocheck \
		dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1 ||
		{ tail -40 "$work/build.log"; echo "package-test: FAIL dpkg-buildpackage (log $work/build.log)"; exit 1; }
	deb=$(ls "$work"/src/stark_*_*.deb)
	phase "built $(basename "$deb")"
	# lintian: errors fail; the rest is shown
	lint=0
	lintian --fail-on error --display-info "$work"/src/stark_*.changes >"$work/lintian.log" 2>&1 || lint=$?
	sed 's/^/  lintian: /' "$work/lintian.log"
	[ "$lint" -eq 0 ] || { echo "package-test: FAIL lintian reports errors"; exit 1; }
	phase "lintian: no error ($(grep -c '^W:' "$work/lintian.log" || true) warnings)"
fi

croot_build_base
croot_unpack "$ROOT"
cp "$deb" "$ROOT/tmp/"
phase "clean root unpacked in $ROOT"
rc=0
croot_unshare "$REPO/scripts/package-test.sh" --inside "$ROOT" || rc=$?
if [ "$rc" -eq 0 ]; then
	phase "PASS: the package installs in a clean Debian 12 root, stark demo exits 0, man stark renders"
else
	phase "FAIL (exit $rc)"
	rc=1
fi
exit "$rc"
