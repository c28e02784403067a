#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check-manpage.py STARK MAN.scd: the man page's source and the CLI agree.

Owns the drift check between docs/stark.1.scd and the commands[] table of
harness/main.c as the built binary prints it; never edits either. Fails when
  - a command of `stark --help` has no `## NAME` heading under # COMMANDS,
    or a heading there names no command;
  - an option of `stark CMD --help` (its usage line and its option lines) is
    not in bold (`*--opt*`) under the command's heading, nor in a shared
    top-level section (`# SUITE OPTIONS`) whose title that heading names;
  - an option in bold under a command's heading is not one of its options
    (--help, -h and --version are every command's), or one in a shared section
    is no command's option;
  - SYNOPSIS lacks --help or --version.
Prints every problem, exit 1; exit 0 and a count when they agree.
"""
import re
import subprocess
import sys

OPT_TOKEN = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-z])(?![\w-])")
BOLD_OPT = re.compile(r"\*(--[a-z][a-z0-9-]*|-[a-z])[*\s]")
GLOBAL = {"--help", "-h", "--version"}


def help_text(stark, *args):
    r = subprocess.run([stark, *args, "--help"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        sys.exit(f"check-manpage: '{stark} {' '.join(args)} --help' exited {r.returncode}: {r.stderr}")
    return r.stdout


def commands(stark):
    return [m.group(1) for m in re.finditer(r"^  stark (\S+)", help_text(stark), re.M)]


def options(stark, cmd):
    """Options of one command: its usage line and the lines that start with one."""
    text = help_text(stark, cmd)
    opts = set()
    for line in text.splitlines():
        if line.startswith("usage:"):
            opts.update(OPT_TOKEN.findall(line))
        m = re.match(r"^  (--[a-z][a-z0-9-]*|-[a-z])\b", line)
        if m:
            opts.add(m.group(1))
    return opts


def sections(scd):
    """{top title: text} and {command: text} (the ## headings under # COMMANDS)."""
    top, cmds = {}, {}
    title, sub = None, None
    for line in scd.splitlines():
        if line.startswith(";"):  # scdoc comment
            continue
        m1, m2 = re.match(r"^# (.+)$", line), re.match(r"^## (\S+)\s*$", line)
        if m1:
            title, sub = m1.group(1).strip(), None
            top[title] = ""
            continue
        if m2 and title == "COMMANDS":
            sub = m2.group(1)
            if sub in cmds:
                cmds[sub + " (twice)"] = ""
            cmds[sub] = ""
            continue
        if sub is not None:
            cmds[sub] += line + "\n"
        elif title is not None:
            top[title] += line + "\n"
    return top, cmds


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check-manpage.py STARK MAN.scd")
    stark, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        top, cmds = sections(f.read())
    shared = {t: txt for t, txt in top.items() if t.endswith("OPTIONS")}
    problems = []
    cli = {c: options(stark, c) for c in commands(stark)}
    if not cli:
        problems.append("stark --help lists no command (cannot check anything)")
    nopts = 0
    for cmd, opts in cli.items():
        if cmd not in cmds:
            problems.append(f"command '{cmd}' has no '## {cmd}' heading under # COMMANDS")
            continue
        text = cmds[cmd]
        named = [t for t in shared if t in text]
        where = {o for o in BOLD_OPT.findall(text)}
        for t in named:
            where |= set(BOLD_OPT.findall(shared[t]))
        for o in sorted(opts):
            nopts += 1
            if o not in where:
                problems.append(f"'stark {cmd}' option {o} is not in bold under '## {cmd}'"
                                + (f" nor in {', '.join(named)}" if named else ""))
        for o in sorted(set(BOLD_OPT.findall(text)) - opts - GLOBAL):
            problems.append(f"'## {cmd}' documents {o}, which 'stark {cmd} --help' does not list")
    for cmd in cmds:
        if cmd not in cli:
            problems.append(f"'## {cmd}' under # COMMANDS is not a command of 'stark --help'")
    every = set().union(*cli.values()) if cli else set()
    for t, txt in shared.items():
        for o in sorted(set(BOLD_OPT.findall(txt)) - every - GLOBAL):
            problems.append(f"'# {t}' documents {o}, which no command lists")
    for g in ("--help", "--version"):
        if f"*{g}*" not in top.get("SYNOPSIS", ""):
            problems.append(f"SYNOPSIS lacks *{g}*")
    for p in problems:
        print(f"{path}: {p}")
    if problems:
        print(f"check-manpage: {len(problems)} problem(s); the commands[] table of harness/main.c "
              f"and {path} must agree")
        return 1
    print(f"check-manpage: {len(cli)} commands and {nopts} command options all in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
