#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz-build.sh [fuzz|fuzz-wolfssl|cov] : configure and build one fuzz build tree.
#   fuzz          build-fuzz:         libFuzzer targets, ASan+UBSan, Debian's wolfSSL (-DSTARK_WOLFSSL=system)
#   fuzz-wolfssl  build-fuzz-wolfssl: the same on fuzz/out/wolfssl-fuzz (instrumented,
#                                     deterministic RNG, pinned time, SP asm, AES-NI)
#   cov           build-fuzzcov:      replay binaries with source-based coverage, on
#                                     fuzz/out/wolfssl-cov if it exists
# The wolfSSL prefixes come from scripts/fuzz-build-wolfssl.sh (run on demand).
# Prints the build directory on its last line.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
variant=${1:-fuzz}
jobs=${JOBS:-2}
export CC=${CC:-clang}
case $variant in
fuzz)
	dir=${BUILD_DIR:-$here/build-fuzz}
	set -- -DSTARK_FUZZ=ON ;;
fuzz-wolfssl)
	dir=$here/build-fuzz-wolfssl
	[ -f "$here/fuzz/out/wolfssl-fuzz/lib/libwolfssl.a" ] || "$here/scripts/fuzz-build-wolfssl.sh" fuzz
	set -- -DSTARK_FUZZ=ON -DSTARK_FUZZ_WOLFSSL_PREFIX="$here/fuzz/out/wolfssl-fuzz" ;;
cov)
	dir=$here/build-fuzzcov
	[ -f "$here/fuzz/out/wolfssl-cov/lib/libwolfssl.a" ] || "$here/scripts/fuzz-build-wolfssl.sh" cov
	set -- -DSTARK_FUZZ_COVERAGE=ON -DSTARK_FUZZ_WOLFSSL_PREFIX="$here/fuzz/out/wolfssl-cov" ;;
*)
	echo "usage: $0 [fuzz|fuzz-wolfssl|cov]" >&2
	exit 2 ;;
esac
# Debian's shared wolfSSL (or the fuzz one above): its DRBG seed is
# preempted by fuzz/wolfssl_seam.c, which a static bundled build forbids
cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTARK_WOLFSSL=system "$@" >/dev/null
cmake --build "$dir" -j"$jobs" >/dev/null
echo "$dir"
