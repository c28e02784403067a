#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check-workflows.py SOURCE_DIR: the GitHub workflow files are well formed.

Owns the static check of .github/workflows/*.yml (python3-yaml); never runs
them (GitHub and Docker do). Every file must parse as YAML into a workflow
(name, an `on` trigger, jobs each with runs-on and steps, each step with
exactly one of uses/run). The ClusterFuzzLite ones (cflite_*.yml) must also
follow ClusterFuzzLite's documented shape: a build_fuzzers step then a
run_fuzzers step of google/clusterfuzzlite/actions@v1, only the inputs those
actions declare, the language of .clusterfuzzlite/project.yaml, the same
sanitizer in both steps and one project.yaml lists, a known mode with a
positive fuzz-seconds; cflite_pr.yml fuzzes pull requests (mode code-change)
under address and undefined, cflite_batch.yml runs on a schedule (mode
batch). Prints every problem; exit 1 on any, 0 with a summary otherwise.
"""
import glob
import os
import re
import sys

import yaml

ACTIONS = "google/clusterfuzzlite/actions/"
# the inputs of actions/build_fuzzers and actions/run_fuzzers (action.yml, v1)
BUILD_INPUTS = {"language", "dry-run", "allowed-broken-targets-percentage", "sanitizer",
                "project-src-path", "bad-build-check", "keep-unaffected-fuzz-targets",
                "storage-repo", "storage-repo-branch", "storage-repo-branch-coverage",
                "upload-build", "github-token"}
RUN_INPUTS = {"language", "fuzz-seconds", "dry-run", "sanitizer", "mode", "github-token",
              "storage-repo", "storage-repo-branch", "storage-repo-branch-coverage",
              "report-unreproducible-crashes", "minimize-crashes", "parallel-fuzzing",
              "output-sarif", "report-timeouts", "report-ooms"}
MODES = {"code-change", "batch", "prune", "coverage"}
MATRIX = re.compile(r"^\$\{\{\s*matrix\.(\w+)\s*\}\}$")


def trigger(wf):
    # YAML 1.1 reads a bare `on` key as the boolean true
    return wf.get("on", wf.get(True))


def check_workflow(path, wf, problems):
    if not isinstance(wf, dict):
        problems.append(f"{path}: not a mapping")
        return
    if not wf.get("name"):
        problems.append(f"{path}: no name")
    if not trigger(wf):
        problems.append(f"{path}: no 'on' trigger")
    jobs = wf.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        problems.append(f"{path}: no jobs")
        return
    for jn, job in jobs.items():
        if not isinstance(job, dict) or "runs-on" not in job:
            problems.append(f"{path}: job {jn}: no runs-on")
            continue
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            problems.append(f"{path}: job {jn}: no steps")
            continue
        for i, st in enumerate(steps):
            if not isinstance(st, dict) or (("uses" in st) == ("run" in st)):
                problems.append(f"{path}: job {jn} step {i + 1}: needs exactly one of uses/run")


def resolve(value, job):
    """A ${{ matrix.X }} value: the list the job's matrix gives X."""
    m = MATRIX.match(str(value)) if value is not None else None
    if not m:
        return [value]
    return list(((job.get("strategy") or {}).get("matrix") or {}).get(m.group(1)) or [None])


def check_cflite(path, wf, project, problems):
    name = os.path.basename(path)
    modes, sanitizers = set(), set()
    for jn, job in (wf.get("jobs") or {}).items():
        steps = [s for s in job.get("steps") or [] if isinstance(s, dict)]
        uses = [str(s.get("uses", "")) for s in steps]
        b = [i for i, u in enumerate(uses) if u.startswith(ACTIONS + "build_fuzzers@")]
        r = [i for i, u in enumerate(uses) if u.startswith(ACTIONS + "run_fuzzers@")]
        if len(b) != 1 or len(r) != 1 or b[0] > r[0]:
            problems.append(f"{path}: job {jn}: wants one build_fuzzers step, then one run_fuzzers step")
            continue
        for i in b + r:
            if not uses[i].endswith("@v1"):
                problems.append(f"{path}: job {jn}: {uses[i]}: ClusterFuzzLite documents @v1")
        bw, rw = steps[b[0]].get("with") or {}, steps[r[0]].get("with") or {}
        for w, known, what in ((bw, BUILD_INPUTS, "build_fuzzers"), (rw, RUN_INPUTS, "run_fuzzers")):
            for k in sorted(set(w) - known):
                problems.append(f"{path}: job {jn}: {what} has no input '{k}'")
        if bw.get("language", "c++") != project.get("language"):
            problems.append(f"{path}: job {jn}: language {bw.get('language', 'c++')!r} but "
                            f"project.yaml says {project.get('language')!r}")
        bs, rs = bw.get("sanitizer", "address"), rw.get("sanitizer", "address")
        if bs != rs:
            problems.append(f"{path}: job {jn}: build sanitizer {bs!r} but run sanitizer {rs!r}")
        mode = rw.get("mode")
        if mode not in MODES:
            problems.append(f"{path}: job {jn}: mode {mode!r} is not one of {sorted(MODES)}")
        modes.add(mode)
        secs = rw.get("fuzz-seconds")
        if not isinstance(secs, int) or secs <= 0:
            problems.append(f"{path}: job {jn}: fuzz-seconds {secs!r} is not a positive number")
        if "github-token" not in rw:
            problems.append(f"{path}: job {jn}: run_fuzzers needs github-token")
        for s in resolve(bs, job):
            sanitizers.add(s)
            if mode in ("code-change", "batch") and s not in (project.get("sanitizers") or []):
                problems.append(f"{path}: job {jn}: sanitizer {s!r} is not in project.yaml's "
                                f"{project.get('sanitizers')}")
    on = trigger(wf) or {}
    if name == "cflite_pr.yml":
        if "pull_request" not in on:
            problems.append(f"{path}: PR fuzzing is not triggered by pull_request")
        if modes != {"code-change"}:
            problems.append(f"{path}: PR fuzzing runs mode {sorted(map(str, modes))}, not code-change")
        if not {"address", "undefined"} <= sanitizers:
            problems.append(f"{path}: PR fuzzing lacks address or undefined ({sorted(map(str, sanitizers))})")
    if name == "cflite_batch.yml":
        crons = [c.get("cron", "") for c in (on.get("schedule") or []) if isinstance(c, dict)]
        if not crons or not all(len(str(c).split()) == 5 for c in crons):
            problems.append(f"{path}: batch fuzzing needs a schedule with 5-field cron lines")
        if modes != {"batch"}:
            problems.append(f"{path}: batch fuzzing runs mode {sorted(map(str, modes))}, not batch")
    return modes


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check-workflows.py SOURCE_DIR")
    src = sys.argv[1]
    problems = []
    with open(os.path.join(src, ".clusterfuzzlite", "project.yaml"), encoding="utf-8") as f:
        project = yaml.safe_load(f) or {}
    files = sorted(glob.glob(os.path.join(src, ".github", "workflows", "*.yml")))
    names = {os.path.basename(p) for p in files}
    for want in ("cflite_pr.yml", "cflite_batch.yml"):
        if want not in names:
            problems.append(f".github/workflows/{want} is missing")
    for p in files:
        try:
            with open(p, encoding="utf-8") as f:
                wf = yaml.safe_load(f)
        except yaml.YAMLError as e:
            problems.append(f"{p}: not well-formed YAML: {e}")
            continue
        check_workflow(p, wf, problems)
        if os.path.basename(p).startswith("cflite_") and isinstance(wf, dict):
            check_cflite(p, wf, project, problems)
    for p in problems:
        print(p)
    if problems:
        print(f"check-workflows: {len(problems)} problem(s)")
        return 1
    print(f"check-workflows: {len(files)} workflow file(s) well formed: {', '.join(sorted(names))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
