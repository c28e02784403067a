#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-deps (ctest house_no_cycles): the shape of harness/ stays a layered
# graph of small modules (docs/design.md: one module per responsibility).
#  1. No include cycle: module = file stem; x.c or x.h including "y.h" means
#     x depends on y. Every cycle among harness/*.{c,h} fails the check and is
#     printed as a path (a -> b -> a) with the #include lines that make it.
#     report_json.c, report_md.c, ... are modules of their own that depend on
#     report (report.h); a module's own header does not count.
#  2. No call cycle, given the built library (libstarkcore.a): module x
#     depends on y if x.c.o references a global symbol y.c.o defines (a call
#     or a table). Includes can hide a cycle the linker sees, and vice versa:
#     report.c calling report_html() while report_html.c calls a helper in
#     report.c is a cycle even though both only include report.h.
#  3. No harness/*.c over MAX_LINES lines, unless it is listed in ALLOWED
#     below as data or generated code, with the reason.
# usage: tests/check-deps.sh SOURCE_DIR [LIBSTARKCORE.a]
# exit:  0 clean, 1 a cycle or an oversized file (all of them are listed)
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 SOURCE_DIR [LIBSTARKCORE.a]" >&2
	exit 2
fi
HARNESS=$(realpath "$1")/harness
[ -d "$HARNESS" ] || { echo "check-deps: no $HARNESS" >&2; exit 2; }
SYMBOLS=
if [ $# -eq 2 ]; then
	SYMBOLS=$(mktemp "${TMPDIR:-/tmp}/stark-deps.XXXXXX")
	trap 'rm -f "$SYMBOLS"' EXIT
	# "archive:member.c.o: [value] type name" per symbol
	nm -A "$2" >"$SYMBOLS" || { echo "check-deps: cannot read symbols of $2" >&2; exit 2; }
	[ -s "$SYMBOLS" ] || { echo "check-deps: no symbols in $2" >&2; exit 2; }
fi

MAX_LINES=900
# Files allowed past MAX_LINES because they are data or generated, one per
# line as "file.c  reason". Code that merely grew belongs split, not here.
ALLOWED=""

python3 - "$HARNESS" "$MAX_LINES" "$ALLOWED" "$SYMBOLS" <<'PY'
import os, re, sys

harness, max_lines, allowed_text, symbols = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
if symbols:
    with open(symbols, encoding="utf-8", errors="replace") as fh:
        symbols = fh.read()
allowed = {}
for line in allowed_text.splitlines():
    if line.strip():
        name, _, why = line.strip().partition(" ")
        allowed[name] = why.strip()

files = sorted(f for f in os.listdir(harness) if f.endswith((".c", ".h")))
modules = {os.path.splitext(f)[0] for f in files}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"')
deps = {m: {} for m in modules}  # module -> {dependency: "file:line"}
for f in files:
    m = os.path.splitext(f)[0]
    with open(os.path.join(harness, f), encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            x = INCLUDE.match(line)
            if x:
                dep = os.path.basename(x.group(1))
                if dep != m and dep in modules:
                    deps[m].setdefault(dep, '%s:%d includes "%s.h"' % (f, n, dep))

calls = None
if symbols:
    defined, used = {}, []
    for line in symbols.splitlines():
        parts = line.split(":", 2)
        if len(parts) < 3 or not parts[1].endswith(".c.o"):
            continue
        m = parts[1][:-len(".c.o")]
        fields = parts[2].split()
        if len(fields) < 2:
            continue
        kind, name = fields[-2], fields[-1]
        if kind == "U":
            used.append((m, name))
        elif kind.isupper() or kind in "vw":
            defined.setdefault(name, m)
    calls = {m: {} for m in set(defined.values()) | {m for m, _ in used}}
    for m, name in sorted(used):
        owner = defined.get(name)
        if owner is not None and owner != m:
            calls[m].setdefault(owner, "%s.c uses %s (defined in %s.c)" % (m, name, owner))

def sccs_of(deps):
    """Tarjan's strongly connected components: every component with more
    than one module holds at least one cycle"""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(deps[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))
    for v in sorted(deps):
        if v not in index:
            visit(v)
    return [c for c in out if len(c) > 1]

def cycle_in(deps, comp):
    """one shortest cycle through the component's first module (BFS)"""
    start, members = comp[0], set(comp)
    prev, queue = {start: None}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(deps[v]):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w in members and w not in prev:
                prev[w] = v
                queue.append(w)
    return comp

sys.setrecursionlimit(10000)
bad = 0
for kind, graph in (("include", deps), ("call", calls)):
    if graph is None:
        continue
    for comp in sccs_of(graph):
        bad += 1
        cyc = cycle_in(graph, comp)
        print("FAIL  %s cycle: %s" % (kind, " -> ".join(cyc)))
        for a, b in zip(cyc, cyc[1:]):
            print("      %s -> %s: %s" % (a, b, graph[a][b]))
        if len(comp) > len(cyc) - 1:
            print("      (all of %s depend on each other)" % ", ".join(comp))

for f in (f for f in files if f.endswith(".c")):
    with open(os.path.join(harness, f), encoding="utf-8") as fh:
        n = sum(1 for _ in fh)
    if n > max_lines and f not in allowed:
        bad += 1
        print("FAIL  harness/%s has %d lines (> %d): split it by responsibility, "
              "or list it in ALLOWED if it is data or generated" % (f, n, max_lines))
    elif n > max_lines:
        print("ok    harness/%s has %d lines, allowed: %s" % (f, n, allowed[f]))
for name in sorted(set(allowed) - set(files)):
    bad += 1
    print("FAIL  ALLOWED names harness/%s, which does not exist" % name)

edges = sum(len(d) for d in deps.values())
print("check-deps: %d modules, %d include dependencies, %s, %d problem(s)" % (
    len(modules), edges, "%d call dependencies" % sum(len(d) for d in calls.values())
    if calls is not None else "calls not checked (no library given)", bad))
sys.exit(1 if bad else 0)
PY
