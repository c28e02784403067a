#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build stark and pass every test (README command 2; .ci/run calls it):
#  1. the normal build (warnings are errors) and every ctest: unit, mirror,
#     hostile peers, corpus replays, real peers (Postfix, curl, swaks,
#     msmtp, smtplib), the seed and fleet scans;
#  2. an ASan+UBSan build: unit tests and every corpus replayed again;
#  3. the libFuzzer build (clang): each target runs a short smoke from its
#     corpus (new inputs go to a temporary directory, the corpus is kept).
# STARK_QUICK=1 runs step 1 only. STARK_LONG=1 adds the long real-peer
# comparisons (tls-compare against the MTAs' default configurations:
# testssl.sh alone needs 4-7 minutes per target) and package_install (the
# Debian package built, linted and installed in a clean root,
# scripts/package-test.sh); CI runs without it.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's tools first: the tests use Debian's python3 and clients, not a
# version manager's shims that may come first on a developer's PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
scripts/install-deps.sh
BUILD=${BUILD:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTARK_WERROR=ON >/dev/null
cmake --build "$BUILD" -j2
# Exim and OpenSMTPD run in their own Debian roots (one MTA package per
# system); build them, if missing, before the tests' time limits start.
bench/mta-root.sh >/dev/null
ctest --test-dir "$BUILD" --output-on-failure -j2
[ "${STARK_QUICK:-0}" = 1 ] && exit 0

echo "== ASan+UBSan: unit tests and corpus replays"
cmake -S . -B "$BUILD-asan" -DCMAKE_BUILD_TYPE=Debug -DSTARK_SANITIZE=ON >/dev/null
cmake --build "$BUILD-asan" -j2
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ctest --test-dir "$BUILD-asan" --output-on-failure -j2 -R '^(unit_|corpus_)'

echo "== libFuzzer smoke"
FUZZ=$(BUILD_DIR="$BUILD-fuzz" scripts/fuzz-build.sh fuzz | tail -n 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for t in corpus/*/; do
	t=$(basename "$t")
	bin=$FUZZ/fuzz/fuzz_$t
	# *_flawed targets plant a bug on purpose: their corpus test is that they crash
	case $t in *_flawed) continue ;; esac
	[ -x "$bin" ] || continue
	mkdir -p "$tmp/$t"
	# new units go to the first directory; the committed corpus stays as is
	"$bin" -runs=3000 -max_total_time=30 -artifact_prefix="$tmp/" "$tmp/$t" "corpus/$t" \
		>"$tmp/$t.log" 2>&1 ||
		{ tail -n 40 "$tmp/$t.log"; echo "fuzz smoke: $t failed" >&2; exit 1; }
	printf 'fuzz smoke: %-28s %s\n' "$t" "$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$tmp/$t.log" || echo ok)"
	n=$((n + 1))
done
echo "fuzz-smoke: $n passed, 0 failed"
