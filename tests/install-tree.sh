#!/bin/bash
# SPDX-License-Identifier: MIT
# install-tree.sh BUILD_DIR SOURCE_DIR: `cmake --install` into a staging
# directory gives a working tool that needs no checkout. Checks the installed
# tree (bin/stark, share/stark/scenarios/{server,client}, the pending list,
# share/doc/stark, the man page when scdoc built it), that the installed
# binary finds its scenarios from its own path (stark --version), that its
# `stark catalog` equals docs/catalog.md, that `stark demo` run from / exits
# 0, and that the binary alone, away from any data, refuses to run (exit 2)
# naming the places it tried. Owns nothing; writes only in a temp directory.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stark-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

DESTDIR=$tmp/stage cmake --install "$build" --prefix /opt/stark >"$tmp/install.log"
p=$tmp/stage/opt/stark
for f in bin/stark share/stark/catalog-pending.tsv share/stark/scenarios/server/00-sanity.scn \
	share/stark/scenarios/client/00-sanity.scn share/doc/stark/README.md \
	share/doc/stark/install.md share/doc/stark/scenarios.md; do
	[ -e "$p/$f" ] && ok "installed $f" || bad "not installed: $f"
done
if grep -q '^SCDOC:FILEPATH=/' "$build/CMakeCache.txt"; then
	[ -s "$p/share/man/man1/stark.1" ] && ok "installed share/man/man1/stark.1" ||
		bad "scdoc is there but no share/man/man1/stark.1"
fi
n_src=$(find "$src/scenarios" -name '*.scn' | wc -l)
n_inst=$(find "$p/share/stark/scenarios" -name '*.scn' | wc -l)
[ "$n_src" = "$n_inst" ] && ok "$n_inst scenario files installed" || bad "$n_inst of $n_src scenario files installed"

v=$("$p/bin/stark" --version)
echo "$v" | grep -qx "scenarios: $p/share/stark/scenarios" && ok "stark --version finds $p/share/stark/scenarios" ||
	bad "stark --version: $v"
(cd / && "$p/bin/stark" catalog) >"$tmp/catalog.md" && cmp -s "$tmp/catalog.md" "$src/docs/catalog.md" &&
	ok "installed stark catalog = docs/catalog.md" || bad "installed stark catalog differs from docs/catalog.md"
rc=0
(cd / && "$p/bin/stark" demo -q --out "$tmp/demo") >"$tmp/demo.log" 2>&1 || rc=$?
[ "$rc" = 0 ] && [ -s "$tmp/demo/results.json" ] && ok "installed stark demo, run from /: exit 0" ||
	{ cat "$tmp/demo.log"; bad "installed stark demo: exit $rc"; }

# the binary alone: no build tree beside it, no share/stark above it
mkdir -p "$tmp/lone/bin"
cp "$p/bin/stark" "$tmp/lone/bin/stark"
rc=0
(cd "$src" && env -u STARK_SCENARIOS "$tmp/lone/bin/stark" run --target 127.0.0.1:9 --out "$tmp/lone-out") \
	>"$tmp/lone.log" 2>&1 || rc=$?
if [ "$rc" = 2 ] && grep -q "not a build tree" "$tmp/lone.log" &&
	grep -q "$tmp/lone/share/stark/scenarios/server\|$tmp/lone/bin/../share/stark/scenarios/server" "$tmp/lone.log" &&
	grep -q -- "--scenarios" "$tmp/lone.log" && [ ! -e "$tmp/lone-out" ]; then
	ok "a lone binary refuses (exit 2), naming the places tried, even from the checkout"
else
	cat "$tmp/lone.log"
	bad "a lone binary: exit $rc (want 2 naming the places tried, no report directory)"
fi
exit $fail
