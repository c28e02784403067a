#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# validate-sarif: checks results.sarif files (harness/report_sarif.c) against
# the official SARIF 2.1.0 JSON schema (tests/schema/sarif-schema-2.1.0.json,
# OASIS, draft-04; python3-jsonschema as in Debian 12), plus what the schema
# cannot say and stark promises: every result's ruleIndex points at its rule,
# the rules are exactly the checks with a reported result, kind "open" only
# for ERROR/INCONCLUSIVE (level "none"), a suppression exactly on XFAIL, and
# a physical location exactly when the result has a scenario file; with
# RESULTS (the results.json beside it) the SARIF results are exactly its
# results that are not PASS or SKIP, in order.
# --self-test FILE: breakages of FILE must be rejected, FILE accepted.
# usage: validate-sarif.py [--self-test] PATH...  (a results.sarif or a directory)
# exit:  0 valid, 1 invalid, 2 bad usage / no jsonschema
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "schema", "sarif-schema-2.1.0.json")
try:
    import jsonschema
except ImportError:
    sys.exit("validate-sarif: python3-jsonschema is missing (scripts/install-deps.sh)")


def problems(doc, results_json=None):
    schema = json.load(open(SCHEMA, encoding="utf-8"))
    v = jsonschema.Draft4Validator(schema)
    out = ["schema: %s at %s" % (e.message[:200], "/".join(map(str, e.absolute_path)))
           for e in v.iter_errors(doc)]
    if out:
        return out
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    if len(set(ids)) != len(ids):
        out.append("a rule twice")
    used = set()
    for i, res in enumerate(run["results"]):
        ri = res.get("ruleIndex")
        if ri is None or ri >= len(rules) or rules[ri]["id"] != res["ruleId"]:
            out.append("result %d: ruleIndex does not name ruleId" % i)
        used.add(res["ruleId"])
        verdict = res["properties"]["verdict"]
        if (res["kind"] == "open") != (verdict in ("error", "inconclusive")):
            out.append("result %d: kind %s for %s" % (i, res["kind"], verdict))
        if res["kind"] == "open" and res["level"] != "none":
            out.append("result %d: an open result with level %s" % (i, res["level"]))
        if ("suppressions" in res) != (verdict == "xfail"):
            out.append("result %d: suppression and verdict %s disagree" % (i, verdict))
        if verdict in ("pass", "skip"):
            out.append("result %d: a %s reported" % (i, verdict))
    if used != set(ids):
        out.append("rules without a result: %s" % sorted(set(ids) - used))
    if results_json is not None:
        want = [r for r in results_json["results"] if r["verdict"] not in ("pass", "skip")]
        got = run["results"]
        if len(want) != len(got):
            out.append("%d SARIF results, %d reportable results" % (len(got), len(want)))
        for i, (w, g) in enumerate(zip(want, got)):
            if w["id"].split("#")[0] != g["ruleId"] or w["verdict"] != g["properties"]["verdict"]:
                out.append("result %d: %s %s vs %s %s" % (i, w["id"], w["verdict"], g["ruleId"],
                                                         g["properties"]["verdict"]))
            phys = "physicalLocation" in g["locations"][0]
            if phys != bool(w["file"]):
                out.append("result %d: physical location %s, file '%s'" % (i, phys, w["file"]))
            if phys and w["line"] > 0 and g["locations"][0]["physicalLocation"]["region"]["startLine"] != w["line"]:
                out.append("result %d: startLine is not the deciding line %d" % (i, w["line"]))
    return out


BREAKAGES = [
    ("no version", lambda d: d.pop("version")),
    ("wrong version", lambda d: d.update(version="2.0.0")),
    ("bad level", lambda d: d["runs"][0]["results"][0].update(level="fatal")),
    ("bad kind", lambda d: d["runs"][0]["results"][0].update(kind="broken")),
    ("startLine 0", lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"].update(region={"startLine": 0})),
    ("message without text", lambda d: d["runs"][0]["results"][0].update(message={})),
    ("ruleIndex off", lambda d: d["runs"][0]["results"][0].update(ruleIndex=len(d["runs"][0]["tool"]["driver"]["rules"]))),
    ("unknown property", lambda d: d["runs"][0].update(bogus=1)),
    ("open with a level", lambda d: [r.update(level="error") for r in d["runs"][0]["results"] if r["kind"] == "open"]),
]


def self_test(path):
    doc = json.load(open(path, encoding="utf-8"))
    bad = 0
    if problems(doc):
        print("FAIL  the original is rejected: %s" % problems(doc)[:3])
        bad += 1
    for name, breakit in BREAKAGES:
        d = copy.deepcopy(doc)
        breakit(d)
        if problems(d):
            print("ok    rejected: %s" % name)
        else:
            print("FAIL  accepted: %s" % name)
            bad += 1
    return bad


def main(argv):
    if not argv:
        sys.exit("usage: validate-sarif.py [--self-test] PATH...")
    if argv[0] == "--self-test":
        return 1 if sum(self_test(p) for p in argv[1:]) else 0
    files = []
    for p in argv:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in names if n == "results.sarif"]
        else:
            files.append(p)
    if not files:
        print("validate-sarif: no results.sarif under %s" % argv)
        return 1
    bad = 0
    for f in sorted(files):
        rj = os.path.join(os.path.dirname(f), "results.json")
        res = json.load(open(rj, encoding="utf-8")) if os.path.exists(rj) else None
        pr = problems(json.load(open(f, encoding="utf-8")), res)
        if pr:
            bad += 1
            print("FAIL  %s:\n      %s" % (f, "\n      ".join(pr[:10])))
        else:
            print("ok    %s" % f)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
