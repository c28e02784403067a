#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz-build-wolfssl.sh [fuzz|cov|all] : build wolfSSL from Debian's source
# package with clang for fuzzing, into fuzz/out/wolfssl-<variant>/ (gitignored).
#
#   fuzz  SanitizerCoverage (-fsanitize=fuzzer-no-link): what the libFuzzer
#         targets link (-DSTARK_FUZZ_WOLFSSL_PREFIX=.../wolfssl-fuzz). No
#         ASan/UBSan inside wolfSSL: the targets keep them on stark's code
#         (every buffer stark hands wolfSSL is still checked on our side),
#         and sanitized bignum arithmetic halved the handshake rate.
#   cov   source-based coverage (-fprofile-instr-generate -fcoverage-mapping):
#         what scripts/fuzz-campaign.sh uses for its llvm-cov report
#
# Both: SP math with assembly, AES-NI, PSK, NULL cipher, TLS 1.3, static,
# a per-input deterministic RNG (CUSTOM_RAND_GENERATE_BLOCK) and pinned
# time, through fuzz/wolfssl_seam.h (force-included into every wolfSSL file;
# the fuzz targets define the functions). The Debian library stays for the
# live tool: nothing here is installed system-wide.
#
# The source comes from scripts/wolfssl-source.sh (`apt-get source wolfssl`
# with deb-src entries derived from the machine's own apt sources, in a
# private apt state directory under fuzz/out/apt): no host name is written
# here. Needs: clang, make, dpkg-dev (dpkg-source), and
# autoconf, automake, libtool (Debian's source package has no generated
# configure; ./autogen.sh makes it).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/fuzz/out"
variant=${1:-all}
jobs=${JOBS:-2}
CC=${CC:-clang}
mkdir -p "$out"

fetch_source() {
	# shared with scripts/build-wolfssl.sh: apt-get source in a private
	# apt state, deb-src derived from the machine's own sources
	"$here/scripts/wolfssl-source.sh" "$out" >/dev/null
}

build() {
	v=$1
	prefix="$out/wolfssl-$v"
	src=$(find "$out/src" -maxdepth 1 -type d -name 'wolfssl-*' | head -1)
	[ -n "$src" ] || { echo "no wolfssl source under $out/src" >&2; exit 2; }
	bdir="$out/build-wolfssl-$v"
	rm -rf "$bdir"
	cp -a "$src" "$bdir"
	case $v in
	fuzz) inst="-fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp -fno-omit-frame-pointer" ;;
	cov) inst="-fprofile-instr-generate -fcoverage-mapping" ;;
	*) echo "unknown variant $v" >&2; exit 2 ;;
	esac
	seam="-include $here/fuzz/wolfssl_seam.h -DCUSTOM_RAND_GENERATE_BLOCK=stark_fuzz_rand_block"
	seam="$seam -DTIME_OVERRIDES -DXTIME=stark_fuzz_time -DXGMTIME=stark_fuzz_gmtime"
	seam="$seam -DHAVE_TIME_T_TYPE -DHAVE_TM_TYPE"
	# what stark's wtls.c/wtls_facts.c/cert.c use, as in Debian's build (SANs, peer chain)
	feat="-DWOLFSSL_ALT_NAMES -DKEEP_PEER_CERT -DKEEP_OUR_CERT -DSESSION_CERTS -DWOLFSSL_CERT_EXT"
	feat="$feat -DWOLFSSL_ALWAYS_VERIFY_CB -DWOLFSSL_VERIFY_CB_ALL_CERTS -DHAVE_EX_DATA"
	# hash DRBG off: every random byte comes from the seam, seeded per input
	# Debian's source package ships configure.ac only
	[ -x "$bdir/configure" ] || (cd "$bdir" && ./autogen.sh >"$bdir/autogen.out" 2>&1) ||
		{ tail -20 "$bdir/autogen.out"; exit 1; }
	(cd "$bdir" &&
		CC="$CC" CFLAGS="-O2 -g $inst $seam $feat" \
		./configure --prefix="$prefix" --enable-static --disable-shared \
		--enable-tls13 --enable-sp --enable-sp-asm --enable-aesni --enable-intelasm \
		--disable-hashdrbg --enable-psk --enable-nullcipher --enable-ecc --enable-sni --enable-supportedcurves \
		--enable-session-ticket --enable-opensslextra --enable-opensslall --enable-certgen --enable-keygen \
		--enable-altcertchains --enable-secure-renegotiation-info \
		--disable-examples --disable-crypttests --disable-benchmark \
		--enable-harden >"$bdir/configure.out" 2>&1 ||
		{ tail -30 "$bdir/configure.out"; exit 1; })
	(cd "$bdir" && make -j"$jobs" >"$bdir/make.out" 2>&1 || { tail -40 "$bdir/make.out"; exit 1; })
	(cd "$bdir" && make install >/dev/null)
	echo "wolfSSL ($v) in $prefix"
}

fetch_source
case $variant in
all) build fuzz; build cov ;;
fuzz | cov) build "$variant" ;;
source) ;;
*) echo "usage: $0 [fuzz|cov|all|source]" >&2; exit 2 ;;
esac
