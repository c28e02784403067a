#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# gate-progress (ctest gate_progress): the live progress line of issue 15.
# On a terminal (util-linux `script` gives stark a pty) stderr carries one
# line redrawn in place ("\r" + erase line): done/total, running, failing,
# elapsed; against a listener that never answers it is there at once
# (elapsed 0:00), not after the timeouts. Not a terminal (a pipe, as in CI
# logs) or -q: no line, no control bytes. The failing count is red on a
# terminal unless NO_COLOR is set. Loopback only.
# usage: tests/gate-progress.sh STARK_BINARY SOURCE_DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 STARK_BINARY SOURCE_DIR" >&2; exit 2; }
STARK=$(realpath "$1")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/stark-progress.XXXXXX")
PIDS=()
cleanup()
{
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
ok() { echo "ok    $*"; }
command -v script >/dev/null || { echo "gate-progress: script(1) missing (bsdutils)"; exit 1; }

# a listener that accepts and never answers
python3 - "$WORK/silent.port" <<'PY' &
import os, socket, sys, time
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(ls.getsockname()[1]))
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
held, end = [], time.monotonic() + 120
ls.settimeout(0.2)
while time.monotonic() < end:
    try:
        held.append(ls.accept()[0])
    except socket.timeout:
        pass
PY
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/silent.port" ] && break; sleep 0.05; done
DEAD=127.0.0.1:$(cat "$WORK/silent.port")

"$STARK" refserver --flaw inject --ca-out "$WORK/ca.pem" >"$WORK/ref.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$WORK/ref.out" 2>/dev/null && break; sleep 0.05; done
REF=$(awk '/listening/ {print $3}' "$WORK/ref.out")

# on a pty: the whole session (stdout and stderr) lands in the typescript
tty_run() { # OUT ENV... -- ARGS
	local out=$1
	shift
	local envs=()
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	local cmd
	cmd=$(printf '%q ' env "${envs[@]}" "$STARK" "$@")
	timeout -k 5 120 script -qec "$cmd" /dev/null >"$out" 2>&1 </dev/null || true
}
has() { grep -qa -- "$2" "$1"; }
hasb() { python3 -c 'import sys; sys.exit(0 if sys.argv[2].encode().decode("unicode_escape").encode("latin-1") in open(sys.argv[1],"rb").read() else 1)' "$1" "$2"; }

tty_run "$WORK/dead.tty" TERM=xterm -- run --target "$DEAD" --timeout 2s -k s01 -j 2 --out "$WORK/r1"
hasb "$WORK/dead.tty" '\r\x1b[Kstark server: 0/' && has "$WORK/dead.tty" "0:00 elapsed" &&
	ok "dead target on a tty: the line is drawn at once" ||
	fail "dead target on a tty: no early progress line: $(head -c 400 "$WORK/dead.tty" | cat -v)"
has "$WORK/dead.tty" "running" && has "$WORK/dead.tty" "failing" && ok "the line says running and failing" ||
	fail "no running/failing in the line"

tty_run "$WORK/q.tty" TERM=xterm -- run --target "$DEAD" --timeout 1s -k s01 -q --out "$WORK/r2"
! has "$WORK/q.tty" "elapsed" && ok "-q on a tty: no line" || fail "-q on a tty drew a line"

rc=0
timeout -k 5 120 "$STARK" run --target "$DEAD" --timeout 1s -k s01 --out "$WORK/r3" \
	2>"$WORK/pipe.err" | cat >"$WORK/pipe.out" || rc=$?
! has "$WORK/pipe.err" "elapsed" && ! hasb "$WORK/pipe.err" '\r' && ! hasb "$WORK/pipe.out" '\r' &&
	ok "in a pipe: no line, no carriage return" || fail "in a pipe: $(cat -v "$WORK/pipe.err")"

# colour needs the line redrawn after a failure: a run against the flawed
# reference target alone can end within one 250 ms tick (then the line never
# shows a failure), so the scan also waits on the silent node for seconds
# while the reference target's injection FAILs are already counted
tty_run "$WORK/red.tty" TERM=xterm -- scan --target "$REF" --target "$DEAD" --servername localhost \
	--ca "$WORK/ca.pem" --no-system-ca --timeout 4s -k injection -j 2 --out "$WORK/r4"
hasb "$WORK/red.tty" '\x1b[31m' && ok "failures in red on a tty" || fail "no colour on a tty: $(tail -c 400 "$WORK/red.tty" | cat -v)"
tty_run "$WORK/nocolor.tty" TERM=xterm NO_COLOR=1 -- scan --target "$REF" --target "$DEAD" \
	--servername localhost --ca "$WORK/ca.pem" --no-system-ca --timeout 4s -k injection -j 2 --out "$WORK/r5"
grep -Eqa '[1-9][0-9]* failing' "$WORK/nocolor.tty" && ! hasb "$WORK/nocolor.tty" '\x1b[31m' &&
	ok "NO_COLOR: the line shows failures without colour" ||
	fail "NO_COLOR: $(tail -c 400 "$WORK/nocolor.tty" | cat -v)"
has "$WORK/nocolor.tty" "failing, 0:0" && grep -qa "FAIL" "$WORK/nocolor.tty" && ok "the summary follows the line" ||
	fail "summary"

tty_run "$WORK/scan.tty" TERM=xterm -- scan --target "$REF" --target "$DEAD" --servername localhost \
	--ca "$WORK/ca.pem" --timeout 2s -k s01 -j 2 --out "$WORK/r6"
hasb "$WORK/scan.tty" '\r\x1b[Kstark scan: 0/' && ok "stark scan draws the line too" ||
	fail "scan: $(head -c 300 "$WORK/scan.tty" | cat -v)"

[ "$failures" -eq 0 ] || { echo "gate-progress: $failures failure(s)"; exit 1; }
echo "gate-progress: all passed"
