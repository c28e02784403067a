#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz-bench.sh [BUILD_DIR] [SECONDS] : exec/s per core of every fuzz target
# (one libFuzzer process = one core; ASan+UBSan as built), each for SECONDS
# (default 20) from a copy of its seed corpus, beside a bare in-memory
# handshake loop (fuzz_hsloop: plain wolfSSL client and server over memory,
# same library, same instrumentation) measured in the same run.
#
# BUILD_DIR: a -DSTARK_FUZZ=ON build (default build-fuzz; scripts/fuzz-build.sh
# makes one; with -DSTARK_FUZZ_WOLFSSL_PREFIX=fuzz/out/wolfssl-fuzz the
# targets run on the instrumented, deterministic wolfSSL).
# Goals (issue 5): parser targets >= 100k exec/s; transition_server >= 5k
# exec/s on the instrumented wolfSSL; the last line counts the targets short
# of theirs. Other load on the machine lowers every figure.
#
# RUNS=N (default 1) runs each target N times, with libFuzzer seeds 1..N
# (a fixed seed makes the mutation sequence, and so the input lengths, the
# same from one bench to the next), and prints the median and the range:
# on a shared VM one 20 s figure moves by 10-25 %. cov is the edge count
# at the end of the last run.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build-fuzz}
secs=${2:-20}
runs=${RUNS:-1}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
[ -x "$build/fuzz/fuzz_smtp_reply" ] || { echo "no libFuzzer targets in $build/fuzz (configure with -DSTARK_FUZZ=ON)" >&2; exit 2; }
# the corpus copies live in RAM when it can: new units are files, and a
# disk's inode allocation showed up as a tenth of a parser target's time
tmp=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wolf=$(grep -s '^STARK_FUZZ_WOLFSSL_PREFIX:' "$build/CMakeCache.txt" | cut -d= -f2)
echo "fuzz bench: $secs s per target x $runs, build $build, wolfSSL ${wolf:-Debian (libwolfssl)}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-20s %9s %15s %6s %9s\n' target exec/s range cov goal
short=0
for t in smtp_reply smtp_cmd ehlo scenario report_escape hello transition_server transition_client; do
	opts=""
	[ -f "$here/fuzz/$t.dict" ] && opts="-dict=$here/fuzz/$t.dict"
	ml=$(sed -n 's/^max_len *= *//p' "$here/fuzz/$t.options" 2>/dev/null || true)
	rates=""
	r=1
	while [ "$r" -le "$runs" ]; do
		rm -rf "${tmp:?}/$t"
		mkdir -p "$tmp/$t"
		cp "$here/corpus/$t/"* "$tmp/$t/" 2>/dev/null || true
		(cd "$tmp" && "$build/fuzz/fuzz_$t" $opts ${ml:+-max_len=$ml} -seed="$r" \
			-max_total_time="$secs" -print_final_stats=1 "$tmp/$t" >"$tmp/$t.log" 2>&1) || true
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$t.log")
		cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW)' "$tmp/$t.log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
		if grep -q 'oracle failed\|ERROR: ' "$tmp/$t.log"; then
			echo "$t: FINDING (see below)"
			grep -m3 'oracle failed\|ERROR: ' "$tmp/$t.log"
		fi
		rates="$rates $(( ${execs:-0} / secs ))"
		r=$((r + 1))
	done
	sorted=$(echo $rates | tr ' ' '\n' | sort -n)
	rate=$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
	range="$(echo "$sorted" | head -1)-$(echo "$sorted" | tail -1)"
	[ "$runs" -gt 1 ] || range=-
	case $t in
	transition_server) goal=5000 ;;
	transition_*) goal= ;;
	*) goal=100000 ;;
	esac
	mark=
	if [ -n "$goal" ]; then
		mark=">=$goal"
		[ "$rate" -ge "$goal" ] || { mark="$mark SHORT"; short=$((short + 1)); }
	fi
	eval "rate_$t=$rate"
	printf '%-20s %9s %15s %6s %9s\n' "$t" "$rate" "$range" "${cov:-?}" "$mark"
done
n=$(( secs * 100 ))
echo "bare in-memory handshake loop (same library, same instrumentation, same heap):"
# (printed from a variable: `tee /dev/stderr` reopens stderr, and with
# both streams redirected to one file it wrote over the table)
out13=$("$build/fuzz/fuzz_hsloop" "$n" 1.3)
out12=$("$build/fuzz/fuzz_hsloop" "$n" 1.2)
printf 'TLS 1.3: %s\nTLS 1.2: %s\n' "$out13" "$out12"
hs13=$(echo "$out13" | sed -n 's/.* \([0-9]*\) handshakes\/s/\1/p')
if [ -n "$hs13" ] && [ "$hs13" -gt 0 ]; then
	for t in transition_server transition_client; do
		eval "r=\${rate_$t:-0}"
		echo "$t / bare TLS 1.3 loop: $(echo "scale=2; $r / $hs13" | bc)"
	done
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "targets short of their goal: $short"
