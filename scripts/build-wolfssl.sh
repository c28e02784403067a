#!/bin/sh
# SPDX-License-Identifier: MIT
#
# build-wolfssl.sh [FALLBACK_DIR] : stark's bundled wolfSSL, a static
# library built from Debian's wolfSSL source package with what a scanner
# and a misbehaving test server need; prints the install prefix (include/,
# lib/libwolfssl.a) on its last line. CMake runs it at configure time
# (-DSTARK_WOLFSSL=bundled, the default); owns the recipe and the cache,
# never installs anything system-wide.
#
# Recipe: Debian's own configuration (its --enable-distro is --enable-all
# and a reproducible build without early data; distro cannot be used here
# as it forces early data off) as a static library, plus what Debian leaves
# out:
#   TLS 1.0 (--enable-tlsv10) and SSLv3 (--enable-sslv3),
#   static RSA, static DH and static PSK key exchange (WOLFSSL_STATIC_*),
#   client- and server-initiated renegotiation (--enable-secure-renegotiation:
#     wolfSSL renegotiates only with RFC 5746; it has no insecure mode),
#   TLS 1.3 early data (--enable-earlydata).
# --enable-all already brings NULL, anon (ADH), RC4, 3DES, Camellia, PSK,
# every curve (P-256..P-521, brainpool, X25519, X448) and the FFDHE groups.
# wolfSSL has no EXPORT suites at all (the raw hello path probes those).
# None of it is offered by default: harness/wtls.c gives every config an
# explicit version floor and suite list, and only a scenario or probe that
# asks reaches the rest (tests/check_wtls.c shows it).
#
# Cache: STARK_WOLFSSL_CACHE, else /var/cache/stark/wolfssl when it is (or
# can be made) writable, else FALLBACK_DIR (CMake passes a directory in the
# build tree). One directory per key = <Debian version>-<recipe hash>; a
# build holds CACHE/.KEY.lock (flock), builds into KEY.new and renames it,
# so a second checkout or build tree finds it done and rebuilds nothing.
# The source comes from scripts/wolfssl-source.sh (apt-get source, the
# version of the installed libwolfssl-dev when there is one). Needs gcc,
# make, dpkg-dev, autoconf, automake, libtool (scripts/install-deps.sh).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
fallback=${1:-$here/build/wolfssl-cache}
jobs=${JOBS:-2}
CC=${CC:-cc}

# The recipe: any change here is a new key, hence a rebuild.
CFG="--enable-all --enable-reproducible-build --enable-static --disable-shared --enable-tlsv10 --enable-sslv3 \
--enable-secure-renegotiation --enable-earlydata --disable-examples --disable-crypttests \
--disable-benchmark --enable-pkcs11"
CFL="-O2 -g -fPIC -DWOLFSSL_STATIC_RSA -DWOLFSSL_STATIC_DH -DWOLFSSL_STATIC_PSK"
RECIPE_VERSION=1

cache=${STARK_WOLFSSL_CACHE:-}
if [ -z "$cache" ]; then
	cache=/var/cache/stark/wolfssl
	if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
		cache=$fallback
	fi
fi
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

debver=$(dpkg-query -W -f='${Version}' libwolfssl-dev 2>/dev/null || true)
ccver=$($CC --version 2>/dev/null | head -n 1)
recipe="v$RECIPE_VERSION|$CFG|$CFL|$ccver"
hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-12)

done_key() {
	# a finished build for this recipe and version
	for d in "$cache"/*-"$hash"; do
		[ -f "$d/.stark-wolfssl" ] && [ -f "$d/include/wolfssl/options.h" ] || continue
		[ -z "$debver" ] || [ "$(basename "$d")" = "$debver-$hash" ] || continue
		echo "$d"
		return 0
	done
	return 1
}

if d=$(done_key); then
	echo "$d"
	exit 0
fi

(
	flock -w 1800 9 || { echo "build-wolfssl: timed out waiting for another build in $cache" >&2; exit 1; }
	done_key >/dev/null && exit 0
	src=$("$here/scripts/wolfssl-source.sh" "$cache/source" "$debver" | tail -n 1)
	ver=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$src/debian/changelog")
	key="$ver-$hash"
	new="$cache/$key.new"
	rm -rf "$new"
	mkdir -p "$new"
	t0=$(date +%s)
	cp -a "$src" "$new/src"
	echo "build-wolfssl: building wolfSSL $ver into $cache/$key (log $new/build.log)" >&2
	(
		cd "$new/src"
		# Debian's patches are applied by dpkg-source; configure is not shipped
		[ -x configure ] || ./autogen.sh
		# shellcheck disable=SC2086
		CC="$CC" CFLAGS="$CFL" ./configure --prefix="$new" $CFG
		make -j"$jobs"
		make install
		# a distro build leaves the generated options.h out of the
		# install (Debian's packaging copies it); without it the compiler
		# would find Debian's /usr/include/wolfssl/options.h instead
		[ -f "$new/include/wolfssl/options.h" ] || cp wolfssl/options.h "$new/include/wolfssl/options.h"
	) >"$new/build.log" 2>&1 || {
		tail -n 40 "$new/build.log" >&2
		echo "build-wolfssl: build failed, log in $new/build.log" >&2
		exit 1
	}
	rm -rf "$new/src" "$new/share" "$new/bin"
	printf '%s\n' "$recipe" >"$new/.stark-wolfssl"
	echo "build-wolfssl: built in $(($(date +%s) - t0)) s" >&2
	rm -rf "${cache:?}/$key"
	mv -T "$new" "$cache/$key"
) 9>"$cache/.$hash.lock"
done_key || { echo "build-wolfssl: no finished build in $cache" >&2; exit 1; }
