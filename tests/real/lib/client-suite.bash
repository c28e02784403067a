# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# client-suite.bash: the verdict check of a client-suite run (stark serve)
# against committed expectations, for tests/real/clients.sh and
# tests/real/mta-clients.sh (sourced;
# not a test itself, hence not a .sh under tests/real/). It owns reading
# reports and expectation files, never runs stark or a peer.
#
#   csuite_expected_lines FILE   "ID VERDICT" lines of an expectation file, sorted
#                                ('#' starts a comment at the start of a line or
#                                after blanks: "client/sanity#end" is an id)
#   csuite_report_lines JSON     "ID VERDICT" per result of a results.json
#   csuite_counts JSON           "pass fail xfail xpass skip error inconclusive"
#   csuite_explain JSON FILE     reason, notes, transcript and trigger output of
#                                every result that differs from FILE

csuite_expected_lines()
{
	sed -e 's/^#.*//' -e 's/[[:space:]]#.*//' -e 's/[[:space:]]\+/ /g' \
		-e 's/^ //' -e 's/ $//' "$1" | grep -v '^$' | sort
}

csuite_report_lines()
{
	python3 - "$1" <<'EOF'
import json, sys
for x in json.load(open(sys.argv[1]))["results"]:
    print(x["id"], x["verdict"])
EOF
}

csuite_counts()
{
	python3 - "$1" <<'EOF'
import json, sys
c = {}
for x in json.load(open(sys.argv[1]))["results"]:
    c[x["verdict"]] = c.get(x["verdict"], 0) + 1
print(" ".join(str(c.get(k, 0)) for k in
               ("pass", "fail", "xfail", "xpass", "skip", "error", "inconclusive")))
EOF
}

csuite_explain()
{
	python3 - "$1" "$2" <<'EOF'
import json, re, sys
r = json.load(open(sys.argv[1]))
want = {}
for line in open(sys.argv[2]):
    f = re.sub(r"(^|\s)#.*", "", line).split()
    if len(f) >= 2:
        want[f[0]] = f[1]
for x in r["results"]:
    if want.get(x["id"]) == x["verdict"]:
        continue
    print("--- %s: %s (expected %s) %s" % (x["id"], x["verdict"], want.get(x["id"], "nothing"),
                                          x["reason"]))
    if x.get("notes"):
        print("  notes: %s" % x["notes"])
    for e in x["transcript"]["events"]:
        print("  [+%sms] %s %s %s" % (e["t_ms"], e["dir"], e["layer"], e["data"]))
    t = x.get("trigger") or {}
    if t:
        print("  client exit status %s, output:" % t.get("status"))
        for l in (t.get("output") or "").splitlines()[-15:]:
            print("  | " + l)
EOF
}
