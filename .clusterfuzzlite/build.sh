#!/bin/bash -eu
# SPDX-License-Identifier: MIT
#
# ClusterFuzzLite / OSS-Fuzz build script for stark's fuzz targets. Uses the
# engine's conventions: $CC, $CFLAGS (sanitizer + coverage flags chosen by
# the engine), $LIB_FUZZING_ENGINE (the libFuzzer driver), $OUT (where the
# binaries, .dict, .options and <target>_seed_corpus.zip go), $SRC, $WORK.
#
# Also runs locally without Docker, e.g.:
#   OUT=/tmp/cfl .clusterfuzzlite/build.sh
# (defaults: CC=clang, CFLAGS=-fsanitize=address,undefined -fsanitize=fuzzer-no-link,
#  LIB_FUZZING_ENGINE=-fsanitize=fuzzer, SRC=the checkout, WORK=a temp dir).
# The checkout: run in place (.clusterfuzzlite/build.sh of a checkout), or as
# the image runs it: $SRC/build.sh (a copy, see Dockerfile) from the WORKDIR
# $SRC/stark. Never the parent of the copy's directory.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$here/fuzz/CMakeLists.txt" ]; then
	if [ -f "$PWD/fuzz/CMakeLists.txt" ]; then
		here=$PWD
	elif [ -n "${SRC:-}" ] && [ -f "$SRC/stark/fuzz/CMakeLists.txt" ]; then
		here=$SRC/stark
	else
		echo "build.sh: no stark checkout here ($here), in $PWD or in \$SRC/stark" >&2
		exit 1
	fi
fi
: "${SRC:=$(dirname "$here")}"
: "${OUT:=$here/fuzz/out/cfl}"
: "${WORK:=$(mktemp -d)}"
: "${CC:=clang}"
: "${CFLAGS:=-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fsanitize=fuzzer-no-link}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
export CC CFLAGS
mkdir -p "$OUT" "$WORK/build"

# The engine's CFLAGS instrument everything (core, fuzz targets, drivers);
# the libFuzzer targets then link $LIB_FUZZING_ENGINE. STARK_FUZZ_SANITIZERS
# is empty: the sanitizers come from $CFLAGS, as the engine wants.
# (Optionally: scripts/fuzz-build-wolfssl.sh fuzz and
#  -DSTARK_FUZZ_WOLFSSL_PREFIX=$here/fuzz/out/wolfssl-fuzz for the
#  deterministic, instrumented wolfSSL.)
cmake -S "$here" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release \
	-DSTARK_FUZZ=ON -DSTARK_FUZZ_SANITIZERS= \
	-DCMAKE_C_FLAGS="$CFLAGS" -DSTARK_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" ${STARK_CFL_CMAKE_ARGS:-}
cmake --build "$WORK/build" -j"$(nproc)" --target \
	fuzz_smtp_reply fuzz_smtp_cmd fuzz_ehlo fuzz_scenario fuzz_report_escape fuzz_hello \
	fuzz_transition_server fuzz_transition_client

for t in smtp_reply smtp_cmd ehlo scenario report_escape hello transition_server transition_client; do
	cp "$WORK/build/fuzz/fuzz_$t" "$OUT/$t"
	[ -f "$here/fuzz/$t.dict" ] && cp "$here/fuzz/$t.dict" "$OUT/$t.dict"
	[ -f "$here/fuzz/$t.options" ] && cp "$here/fuzz/$t.options" "$OUT/$t.options"
	if [ -d "$here/corpus/$t" ]; then
		(cd "$here/corpus/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" . ||
			python3 -c "import shutil,sys; shutil.make_archive(sys.argv[1], 'zip', '.')" "$OUT/${t}_seed_corpus")
	fi
done
echo "fuzz targets in $OUT"
