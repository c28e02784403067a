#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# validate-reports: checks results.json files against reports/results.schema.json
# (JSON Schema 2020-12, python3-jsonschema >= 4.10 as in Debian 12), plus what a
# schema cannot say: key order as the writer emits it (harness/report_json.c,
# JSON_PRESERVE_ORDER), summary counts that match the results, and scan nodes
# that every result's `node` and every consistency row refer to.
# --doc README.md: every table marked <!-- schema: #/$defs/NAME --> lists exactly
# the keys (or enum values) of that schema object, and every object in $defs
# is documented, so the README cannot drift from the schema.
# --self-test GOLDEN: every one of a list of breakages of GOLDEN (a renamed,
# missing or extra key, a bad enum, reordered keys, a wrong count, ...) and of
# the README must be rejected, and GOLDEN itself accepted: the checks can fail.
# usage: validate-reports.py [--schema FILE] [--doc README.md] [--min N] PATH...
#        (PATH: a results.json, or a directory searched for results.json)
#        validate-reports.py [--schema FILE] --doc README.md --self-test GOLDEN
# exit:  0 all valid, 1 a report or the README is wrong, 2 bad usage / no jsonschema
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "..", "reports", "results.schema.json")
VERDICTS = ["pass", "fail", "error", "skip", "xfail", "xpass", "inconclusive", "warn"]

try:
    import jsonschema
except ImportError:
    sys.exit("validate-reports: python3-jsonschema is missing (scripts/install-deps.sh)")


def resolve(schema, node):
    """follow a local $ref ("#/$defs/x") to the schema object it names"""
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(schema, node["$ref"])
    return node


def pointer(schema, ref):
    if ref == "#":
        return schema
    if not ref.startswith("#/"):
        raise KeyError("only local references: %s" % ref)
    node = schema
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def object_schemas(schema, node):
    """the closed object schemas an instance may be checked against (oneOf branches)"""
    node = resolve(schema, node)
    if not isinstance(node, dict):
        return []
    if "properties" in node:
        return [node]
    out = []
    for branch in node.get("oneOf", []):
        out += object_schemas(schema, branch)
    return out


def check_order(schema, node, inst, where, errs):
    """keys of every closed object come in the schema's `properties` order"""
    node = resolve(schema, node)
    if isinstance(inst, list):
        items = node.get("items") if isinstance(node, dict) else None
        if items is not None:
            for i, x in enumerate(inst):
                check_order(schema, items, x, "%s[%d]" % (where, i), errs)
        return
    if not isinstance(inst, dict):
        return
    for obj in object_schemas(schema, node):
        props = list(obj["properties"])
        if not set(inst) <= set(props):
            continue  # the schema check reports it
        keys = list(inst)
        want = [k for k in props if k in inst]
        if keys != want:
            errs.append("%s: keys in order %s, the writer's order is %s" % (where or "/", keys, want))
        for k, v in inst.items():
            check_order(schema, obj["properties"][k], v, "%s/%s" % (where, k), errs)
        return
    if isinstance(node, dict) and isinstance(node.get("additionalProperties"), dict):
        for k, v in inst.items():
            check_order(schema, node["additionalProperties"], v, "%s/%s" % (where, k), errs)


def check_meaning(doc, errs):
    """what the schema cannot express: counts and references inside one report"""
    results = doc["results"]
    summary = doc["summary"]
    if summary["total"] != len(results):
        errs.append("summary.total %d != %d results" % (summary["total"], len(results)))
    for v in VERDICTS:
        n = sum(1 for r in results if r["verdict"] == v)
        if summary[v] != n:
            errs.append("summary.%s %d != %d results with that verdict" % (v, summary[v], n))
    scan = doc.get("scan")
    if scan is None:
        return
    targets = [n["target"] for n in scan["nodes"]]
    # stark scan --domain: domain checks belong to a domain or an MX host
    named = set(targets)
    for d in scan.get("domains", []):
        named.add(d["domain"])
        named.update(m["host"] for m in d["mx"])
    for n in scan["nodes"]:
        if "group" in n and n["group"] not in named:
            errs.append("scan.nodes %r: group %r is no MX host of scan.domains"
                        % (n["target"], n["group"]))
    for i, r in enumerate(results):
        if "node" in r and r["node"] not in named:
            errs.append("results[%d].node %r is not a scan node %s" % (i, r["node"], targets))
    for i, n in enumerate(scan["nodes"]):
        on = {v for v, ok in n["versions"].items() if ok is True}
        for key in ("suites", "server_preference"):
            if set(n[key]) != on:
                errs.append("scan.nodes[%d].%s has %s, the offered versions are %s"
                            % (i, key, sorted(n[key]), sorted(on)))
    if len(targets) < 2 and scan["consistency"]:
        errs.append("scan.consistency has rows for a single node")
    for i, row in enumerate(scan["consistency"]):
        if sorted(row["values"]) != sorted(set(targets)):
            errs.append("scan.consistency[%d].values has %s, the nodes are %s"
                        % (i, sorted(row["values"]), targets))
        group = {n["target"]: n.get("group") for n in scan["nodes"]}
        by = {}
        for t, x in row["values"].items():
            by.setdefault(group.get(t), []).append(x)
        if row["consistent"] != all(all(x == v[0] for x in v) for v in by.values()):
            errs.append("scan.consistency[%d] (%s): consistent=%s but values %s"
                        % (i, row["property"], row["consistent"], row["values"]))


def validate(validator, schema, path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        doc = json.loads(text)
    except (OSError, ValueError) as e:
        return ["not readable JSON: %s" % e]
    errs = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        # oneOf (facts or null, ...): say what is wrong inside the branch
        # that has the right type, not that the value is not null
        while e.context:
            inner = [c for c in e.context if c.validator != "type" or c.relative_path]
            e = (inner or e.context)[0]
        at = "/".join(str(p) for p in e.absolute_path) or "/"
        msg = e.message if len(e.message) <= 200 else e.message[:200] + "..."
        errs.append("%s: %s" % (at, msg))
    if not text.endswith("}\n"):
        errs.append("does not end in '}' and one newline")
    if not errs:  # the rest assumes the shape is right
        check_order(schema, schema, doc, "", errs)
        check_meaning(doc, errs)
    return errs


def doc_tables(path):
    """{pointer: ([names], line)} for every table after a <!-- schema: POINTER --> marker"""
    tables, want, lineno = {}, None, 0
    for lineno, line in enumerate(open(path, encoding="utf-8"), 1):
        m = re.match(r"\s*<!--\s*schema:\s*(\S+)\s*-->", line)
        if m:
            if want:
                raise ValueError("%s:%d: marker %s has no table" % (path, want[1], want[0]))
            want = (m.group(1), lineno)
            continue
        if want is None:
            continue
        if not line.startswith("|"):
            if want[0] in tables:  # the table ended
                want = None
            elif line.strip():
                raise ValueError("%s:%d: marker %s is not followed by a table" % (path, want[1], want[0]))
            continue
        names = tables.setdefault(want[0], ([], want[1]))[0]
        cell = line.split("|")[1]
        if re.match(r"\s*:?-+:?\s*$", cell) or len(names) == 0 and not cell.strip().startswith("`"):
            continue  # the separator, or the header row
        found = re.findall(r"`([^`]+)`", cell)
        if not found:
            raise ValueError("%s:%d: the first cell names no `key`" % (path, lineno))
        names += [n.strip('"') for n in found]
    return tables


def check_doc(schema, path):
    errs = []
    try:
        tables = doc_tables(path)
    except (OSError, ValueError) as e:
        return [str(e)]
    for ptr, (names, line) in tables.items():
        try:
            node = resolve(schema, pointer(schema, ptr))
        except KeyError:
            errs.append("%s:%d: %s is not in the schema" % (path, line, ptr))
            continue
        keys = list(node["properties"]) if "properties" in node else list(node.get("enum", []))
        if not keys:
            errs.append("%s:%d: %s has neither properties nor enum" % (path, line, ptr))
        missing = [k for k in keys if k not in names]
        extra = [n for n in names if n not in keys]
        if missing:
            errs.append("%s:%d: table for %s lacks %s" % (path, line, ptr, missing))
        if extra:
            errs.append("%s:%d: table for %s documents %s, which the schema does not have"
                        % (path, line, ptr, extra))
    for name, node in schema["$defs"].items():
        if "properties" in node and "#/$defs/" + name not in tables:
            errs.append("%s: no table documents #/$defs/%s (add <!-- schema: #/$defs/%s -->)"
                        % (path, name, name))
    if "#" not in tables:
        errs.append("%s: no table documents the top level (<!-- schema: # -->)" % path)
    return errs


def rename(d, old, new):
    """d with key old renamed to new, in place (key order kept)"""
    items = [(new if k == old else k, v) for k, v in d.items()]
    d.clear()
    d.update(items)


BREAKAGES = [
    ("renamed result key", lambda d: rename(d["results"][0], "verdict", "verdikt")),
    ("missing run key", lambda d: d["run"].pop("interrupted")),
    ("extra facts key", lambda d: d["target_tls"].update(extra=1)),
    ("unknown verdict", lambda d: d["results"][0].update(verdict="passed")),
    ("summary count", lambda d: d["summary"].update({"pass": d["summary"]["pass"] + 1})),
    ("summary total", lambda d: d["results"].pop()),
    ("keys reordered", lambda d: d.update(run=dict(reversed(list(d["run"].items()))))),
    ("role scan without scan", lambda d: d["run"].update(role="scan")),
    ("node outside scan", lambda d: d["results"][0].update(node="127.0.0.1:25")),
    ("raw bytes in wire data", lambda d: d["results"][0]["transcript"]["events"][1].update(data="220 x\r\n")),
    ("client profile in server role", lambda d: d["run"].update(profile="require-tls")),
    ("null where a string is due", lambda d: d["results"][0].update(reason=None)),
    ("certificate date", lambda d: d["target_tls"]["chain"][0].update(not_after="2027-01-01")),
]


def self_test(validator, schema, golden, doc):
    import copy
    import tempfile
    failures = 0
    with open(golden, encoding="utf-8") as f:
        base = json.load(f)
    tmp = tempfile.mkdtemp(prefix="stark-validate.")
    try:
        path = os.path.join(tmp, "results.json")

        def check(name, d):
            with open(path, "w", encoding="utf-8") as f:
                json.dump(d, f, indent=2)
                f.write("\n")
            return validate(validator, schema, path)

        if check("golden", base):
            print("FAIL  the unchanged golden report is rejected")
            failures += 1
        for name, breakage in BREAKAGES:
            d = copy.deepcopy(base)
            breakage(d)
            errs = check(name, d)
            print("%s  %s%s" % ("ok  " if errs else "FAIL", name, ": " + errs[0] if errs else ": accepted"))
            failures += not errs
        with open(doc, encoding="utf-8") as f:
            text = f.read()
        for name, pattern, repl in [
                ("README row removed", r"\n\| `dropped_bytes` \|[^\n]*", ""),
                ("README row for a key the schema lacks", r"\| `line` \|", "| `lines` |"),
                ("README table marker removed", r"<!-- schema: #/\$defs/suite -->", "")]:
            broken = re.sub(pattern, repl, text, count=1)
            if broken == text:
                print("FAIL  %s: /%s/ is not in %s" % (name, pattern, doc))
                failures += 1
                continue
            bad = os.path.join(tmp, "README.md")
            with open(bad, "w", encoding="utf-8") as f:
                f.write(broken)
            errs = check_doc(schema, bad)
            print("%s  %s%s" % ("ok  " if errs else "FAIL", name, ": " + errs[0] if errs else ": accepted"))
            failures += not errs
    finally:
        for n in os.listdir(tmp):
            os.unlink(os.path.join(tmp, n))
        os.rmdir(tmp)
    return failures


def main():
    ap = argparse.ArgumentParser(description="validate stark results.json files")
    ap.add_argument("--schema", default=DEFAULT_SCHEMA)
    ap.add_argument("--doc", help="README whose marked tables must match the schema")
    ap.add_argument("--min", type=int, default=1, help="fail if fewer reports are found (default 1)")
    ap.add_argument("--self-test", metavar="GOLDEN", help="every breakage of GOLDEN must be rejected")
    ap.add_argument("paths", nargs="*")
    a = ap.parse_args()
    if not a.paths and not a.doc:
        ap.error("nothing to check")
    if a.self_test and not a.doc:
        ap.error("--self-test needs --doc")
    with open(a.schema, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    validator = cls(schema)

    bad = 0
    if a.self_test:
        bad += self_test(validator, schema, a.self_test, a.doc)
    if a.doc:
        errs = check_doc(schema, a.doc)
        for e in errs:
            print("FAIL  %s" % e)
        bad += bool(errs)
        if not errs:
            print("ok    %s matches %s" % (a.doc, os.path.relpath(a.schema)))

    files = []
    for p in a.paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs.sort()
                files += [os.path.join(root, n) for n in sorted(names) if n == "results.json"]
        else:
            files.append(p)
    for path in files:
        errs = validate(validator, schema, path)
        if errs:
            bad += 1
            print("FAIL  %s" % path)
            for e in errs[:20]:
                print("      %s" % e)
            if len(errs) > 20:
                print("      ... and %d more" % (len(errs) - 20))
        else:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
            print("ok    %s (role %s, %d results)" % (path, d["run"]["role"], len(d["results"])))
    if a.paths and len(files) < a.min:
        print("FAIL  %d report(s) found under %s, want at least %d" % (len(files), " ".join(a.paths), a.min))
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
