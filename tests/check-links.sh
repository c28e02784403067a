#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-links (ctest docs_links): a fresh clone holds every document its
# Markdown links to. For every tracked *.md (git ls-files), every relative
# link and image -- [text](path), ![alt](path), [ref]: path -- outside code
# spans and fenced blocks must name a tracked file (or a directory holding
# one) inside the repository; a path that climbs out of it with ../ fails
# even if the file exists next to the clone. URLs with a scheme (https:,
# mailto:) and in-page anchors (#...) are not checked here.
# usage: tests/check-links.sh SOURCE_DIR
# exit:  0 every link resolves, 1 a broken link (each printed as file:line)
set -euo pipefail
if [ $# -ne 1 ]; then
	echo "usage: $0 SOURCE_DIR" >&2
	exit 2
fi
ROOT=$(realpath "$1")
git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
	{ echo "check-links: $ROOT is not a git work tree (the check is about tracked files)" >&2; exit 2; }

git -C "$ROOT" ls-files -z | python3 -c '
import os, re, sys

root = sys.argv[1]
tracked = set(sys.stdin.read().split("\0")) - {""}
dirs = {os.path.dirname(p) for p in tracked}
for d in list(dirs):
    while d:
        d = os.path.dirname(d)
        dirs.add(d)

INLINE = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+\"[^\"]*\")?\s*\)")
REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
CODESPAN = re.compile(r"(`+)(?:(?!\1).)*?\1")

bad = checked = 0
for md in sorted(p for p in tracked if p.endswith(".md")):
    fence = None
    with open(os.path.join(root, md), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = re.match(r"\s{0,3}(```+|~~~+)", line)
            if m:
                if fence is None:
                    fence = m.group(1)
                elif m.group(1).startswith(fence):
                    fence = None
                continue
            if fence is not None:
                continue
            text = CODESPAN.sub("", line)
            targets = [m.group(1) for m in INLINE.finditer(text)]
            m = REFDEF.match(text)
            if m:
                targets.append(m.group(1))
            for t in targets:
                t = t.strip("<>")
                if not t or t.startswith("#") or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", t):
                    continue
                checked += 1
                path = t.split("#", 1)[0].split("?", 1)[0]
                base = "" if path.startswith("/") else os.path.dirname(md)
                full = os.path.normpath(os.path.join(base, path.lstrip("/")))
                why = None
                if full == ".." or full.startswith("../"):
                    why = "leaves the repository"
                elif full not in tracked and full not in dirs and full != ".":
                    why = "is not a tracked file" + (" (it exists but is untracked)"
                                                     if os.path.exists(os.path.join(root, full)) else "")
                if why:
                    print("%s:%d: link %s %s" % (md, n, t, why))
                    bad += 1
print("check-links: %d relative link(s) in %d Markdown file(s), %d broken"
      % (checked, sum(p.endswith(".md") for p in tracked), bad))
sys.exit(1 if bad else 0)
' "$ROOT"
