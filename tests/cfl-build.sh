#!/bin/bash
# SPDX-License-Identifier: MIT
# cfl-build.sh SOURCE_DIR [address|undefined]: .clusterfuzzlite/build.sh as
# ClusterFuzzLite runs it, without Docker. The layout of .clusterfuzzlite/
# Dockerfile (the checkout copied to $SRC/stark, build.sh to $SRC/build.sh,
# run from the WORKDIR $SRC/stark) and the environment the base-builder image
# gives a C project for that sanitizer (CC, CXX, CFLAGS with the sanitizer's
# and libFuzzer's flags, LIB_FUZZING_ENGINE, SRC, OUT, WORK, SANITIZER...).
# Passes when the eight fuzz targets come out in $OUT as libFuzzer binaries
# built with that sanitizer, each with its seed corpus zip (and .dict /
# .options where fuzz/ has them), and each runs its whole seed corpus
# (-runs=0) without a finding. Owns nothing else; never runs Docker.
# 77 (skipped) when clang is missing.
set -euo pipefail
src=$(cd "$1" && pwd)
san=${2:-address}
TARGETS="smtp_reply smtp_cmd ehlo scenario report_escape hello transition_server transition_client"
command -v clang >/dev/null || { echo "cfl-build: clang is missing"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/var/tmp}/stark-cfl.XXXXXX")
trap '[ "${CFL_KEEP:-0}" = 1 ] || rm -rf "$work"' EXIT
export SRC=$work/src OUT=$work/out WORK=$work/work
mkdir -p "$SRC/stark" "$OUT" "$WORK"
# COPY . $SRC/stark: what a checkout holds (tracked and new files, not the
# ignored build trees); COPY .clusterfuzzlite/build.sh $SRC/
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 tar -cf - --no-recursion) | tar -C "$SRC/stark" -xf -
else
	tar -C "$src" --exclude='./build*' -cf - . | tar -C "$SRC/stark" -xf -
fi
cp "$src/.clusterfuzzlite/build.sh" "$SRC/build.sh"

# The base-builder's environment for a C project (infra/base-images: CFLAGS =
# the common flags + SANITIZER_FLAGS_<san> + the libFuzzer coverage flags).
common="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
case $san in
address) sflags="-fsanitize=address -fsanitize-address-use-after-scope"; marker=__asan_init ;;
undefined)
	checks=array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr
	sflags="-fsanitize=$checks,unsigned-integer-overflow -fno-sanitize-recover=$checks"
	marker=__ubsan_handle_
	export UBSAN_OPTIONS=print_stacktrace=1:print_summary=1:silence_unsigned_overflow=1 ;;
*) echo "usage: $0 SOURCE_DIR [address|undefined]" >&2; exit 2 ;;
esac
export CC=clang CXX=clang++ SANITIZER=$san FUZZING_ENGINE=libfuzzer FUZZING_LANGUAGE=c \
	ARCHITECTURE=x86_64 LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
	CFLAGS="$common $sflags -fsanitize=fuzzer-no-link" \
	CXXFLAGS="$common $sflags -fsanitize=fuzzer-no-link"

t0=$SECONDS
(cd "$SRC/stark" && bash -eu "$SRC/build.sh") >"$work/build.log" 2>&1 || {
	tail -40 "$work/build.log"
	echo "cfl-build: build.sh failed ($san)"
	exit 1
}
echo "cfl-build: build.sh ($san) took $((SECONDS - t0)) s"

fail=0
for t in $TARGETS; do
	bin=$OUT/$t
	why=""
	# (nm into a file: grep -q would close the pipe early, and pipefail)
	[ -x "$bin" ] && nm "$bin" >"$work/$t.nm" 2>/dev/null
	if [ ! -x "$bin" ]; then
		why="missing"
	elif ! grep -q "$marker" "$work/$t.nm"; then
		why="not built with -fsanitize=$san (no $marker)"
	elif ! grep -q LLVMFuzzerRunDriver "$work/$t.nm"; then
		why="not linked with libFuzzer"
	elif [ ! -s "$OUT/${t}_seed_corpus.zip" ]; then
		why="no ${t}_seed_corpus.zip"
	fi
	for ext in dict options; do
		[ -z "$why" ] && [ -f "$src/fuzz/$t.$ext" ] && [ ! -f "$OUT/$t.$ext" ] && why="no $t.$ext"
	done
	if [ -z "$why" ]; then
		seeds=$work/seeds/$t
		mkdir -p "$seeds"
		python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
			"$OUT/${t}_seed_corpus.zip" "$seeds"
		n=$(find "$seeds" -type f | wc -l)
		if ! (cd "$work" && "$bin" -runs=0 "$seeds") >"$work/$t.log" 2>&1; then
			tail -20 "$work/$t.log"
			why="failed on its seed corpus"
		else
			why=""
			echo "cfl-build: $t ok ($san, $n seeds run)"
		fi
	fi
	if [ -n "$why" ]; then
		echo "cfl-build: $t: $why"
		fail=1
	fi
done
extra=""
for f in "$OUT"/*; do
	b=$(basename "$f")
	for t in $TARGETS; do
		case $b in "$t" | "$t.dict" | "$t.options" | "${t}_seed_corpus.zip") b="" ;; esac
	done
	[ -z "$b" ] || extra="$extra $b"
done
[ -z "$extra" ] || echo "cfl-build: also in \$OUT:$extra"
[ $fail -eq 0 ] && echo "cfl-build: the eight targets came out of build.sh ($san)"
exit $fail
