#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz-campaign.sh TARGET SECONDS [--update-corpus]
#
# Runs fuzz_TARGET for SECONDS with -fork=2 (two worker processes, crashes
# kept going: -ignore_crashes=1) from corpus/TARGET, merges what it found
# into a minimized corpus (fuzz/out/campaign/TARGET/merged), then replays
# the merged corpus with a source-coverage build and prints llvm-cov's
# report of the reference session (harness/refsess.c, with smtp.c and conn.c)
# and of wolfSSL's TLS files (src/tls13.c, src/tls.c, src/internal.c,
# src/ssl.c, src/keys.c) when the coverage build links the coverage wolfSSL.
# Findings land in fuzz/out/campaign/TARGET/ (crash-*, leak-*, timeout-*);
# turn a transition_server one into a scenario with scripts/fuzz-to-scenario.sh.
# --update-corpus replaces corpus/TARGET with the merged corpus (keep it
# under 200 files: CI replays it).
#
# Build trees (made on demand by scripts/fuzz-build.sh): build-fuzz-wolfssl if
# fuzz/out/wolfssl-fuzz exists, else build-fuzz; coverage: build-fuzzcov.
# FUZZ_BUILD / FUZZ_COV_BUILD override them.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 TARGET SECONDS [--update-corpus]" >&2; exit 2; }
t=$1
secs=$2
update=${3:-}
if [ -z "${FUZZ_BUILD:-}" ]; then
	if [ -f "$here/fuzz/out/wolfssl-fuzz/lib/libwolfssl.a" ]; then
		FUZZ_BUILD=$("$here/scripts/fuzz-build.sh" fuzz-wolfssl | tail -1)
	else
		FUZZ_BUILD=$("$here/scripts/fuzz-build.sh" fuzz | tail -1)
	fi
fi
[ -n "${FUZZ_COV_BUILD:-}" ] || FUZZ_COV_BUILD=$("$here/scripts/fuzz-build.sh" cov | tail -1)
bin=$FUZZ_BUILD/fuzz/fuzz_$t
[ -x "$bin" ] || { echo "no $bin" >&2; exit 2; }
work=$here/fuzz/out/campaign/$t
rm -rf "$work/corpus" "$work/merged"
mkdir -p "$work/corpus" "$work/merged"
cp "$here/corpus/$t/"* "$work/corpus/" 2>/dev/null || true
opts=""
[ -f "$here/fuzz/$t.dict" ] && opts="-dict=$here/fuzz/$t.dict"
ml=$(sed -n 's/^max_len *= *//p' "$here/fuzz/$t.options" 2>/dev/null || true)
echo "== campaign: $t for $secs s, -fork=2, $(ls "$work/corpus" | wc -l) seeds, $bin"
(cd "$work" && "$bin" $opts ${ml:+-max_len=$ml} -fork=2 -ignore_crashes=1 -ignore_ooms=1 \
	-ignore_timeouts=1 -max_total_time="$secs" -artifact_prefix="$work/" "$work/corpus" \
	>"$work/fuzz.log" 2>&1) || true
grep -E '^#[0-9]+: cov:|INFO: fuzzed for|DONE' "$work/fuzz.log" | tail -2
(cd "$work" && "$bin" -merge=1 "$work/merged" "$work/corpus" >"$work/merge.log" 2>&1) || true
echo "merged corpus: $(ls "$work/merged" | wc -l) files (from $(ls "$work/corpus" | wc -l)) in $work/merged"
findings=$(ls "$work" | grep -E '^(crash|leak|timeout|oom)-' || true)
if [ -n "$findings" ]; then
	echo "FINDINGS in $work:"
	echo "$findings" | sed 's/^/  /'
else
	echo "no finding"
fi
if [ "$update" = "--update-corpus" ]; then
	find "$here/corpus/$t" -type f ! -name 'hand-*' -delete
	cp "$work/merged/"* "$here/corpus/$t/"
	echo "corpus/$t: $(ls "$here/corpus/$t" | wc -l) files"
fi

# ---- coverage of the merged corpus (and the seeds) ----
cov=$FUZZ_COV_BUILD/fuzz/fuzz_replay_$t
[ -x "$cov" ] || { echo "no coverage build ($cov): skipped" >&2; exit 0; }
rm -f "$work"/cov-*.profraw
LLVM_PROFILE_FILE="$work/cov-%p.profraw" "$cov" "$work/merged" "$here/corpus/$t" >/dev/null 2>&1 || true
PROFDATA=$(command -v llvm-profdata-14 || command -v llvm-profdata)
LLVMCOV=$(command -v llvm-cov-14 || command -v llvm-cov)
"$PROFDATA" merge -sparse "$work"/cov-*.profraw -o "$work/cov.profdata"
wsrc=$(ls -d "$here"/fuzz/out/build-wolfssl-cov 2>/dev/null || true)
files="$here/harness/refsess.c $here/harness/smtp.c $here/harness/conn.c $here/harness/wtls.c $here/harness/wtls_facts.c"
if [ -n "$wsrc" ] && grep -q 'STARK_FUZZ_WOLFSSL_PREFIX:.*wolfssl-cov' "$FUZZ_COV_BUILD/CMakeCache.txt"; then
	for f in src/tls13.c src/tls.c src/internal.c src/ssl.c src/keys.c; do
		files="$files $wsrc/$f"
	done
else
	echo "(the coverage build links Debian's wolfSSL: no wolfSSL file coverage; run scripts/fuzz-build-wolfssl.sh cov)"
fi
echo "== coverage after $secs s ($t, merged corpus + seeds)"
# shellcheck disable=SC2086
"$LLVMCOV" report "$cov" -instr-profile="$work/cov.profdata" $files 2>/dev/null |
	sed "s|$here/||g"
