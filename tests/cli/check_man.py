#!/usr/bin/env python3
"""Keep the man page bugtrack(1) in sync with the tool.

usage: check_man.py BUGTRACK MAN_SOURCE [MAN_PAGE]

MAN_SOURCE is doc/bugtrack.1.scd.  The commands `bugtrack --help` lists and
the '## COMMAND' sections under '# COMMANDS' must be the same set.  Every
option a command's --help names (--long, and -x short ones at the start of
an option line) must appear in that command's section, in '# OPTIONS' (the
global ones), or in '# CHANGE OPTIONS' when the section refers to them.
Every environment variable and exit code of `bugtrack --help` must be under
'# ENVIRONMENT' and '# EXIT STATUS'.  With MAN_PAGE, the generated page must
be scdoc's roff for section 1.
"""
import re
import subprocess
import sys

import clitest


def run_help(bugtrack, *args):
    p = subprocess.run([bugtrack, *args, "--help"], capture_output=True, text=True,
                       env=clitest.clean_env(), timeout=30)
    if p.returncode != 0:
        raise SystemExit(f"bugtrack {' '.join(args)} --help: exit {p.returncode}: {p.stderr}")
    return p.stdout


def block(text, title):
    """The indented lines after 'title:' in a --help text, up to a blank line."""
    m = re.search(rf"^{re.escape(title)}:\n((?:[ \t].*\n)+)", text, re.M)
    return m.group(1) if m else ""


def sections(source, level):
    """{title: text} of the '#'*level headings of an scdoc source."""
    out, title, lines = {}, None, []
    for line in source.splitlines():
        m = re.match(r"(#+) ", line)
        if m and len(m.group(1)) <= level:
            if title is not None:
                out[title] = "\n".join(lines)
            title = line[m.end():].strip() if len(m.group(1)) == level else None
            lines = []
        elif title is not None:
            lines.append(line)
    if title is not None:
        out[title] = "\n".join(lines)
    return out


def options_of(help_text):
    longs = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", help_text))
    shorts = set(re.findall(r"^\s+(-[a-zA-Z]),", help_text, re.M))
    return longs | shorts


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    bugtrack, man_source = argv[1], argv[2]
    source = open(man_source, encoding="utf-8").read()
    failures = []

    top = run_help(bugtrack)
    commands = re.findall(r"^  (\S+)", block(top, "commands"), re.M)
    if not commands:
        failures.append("no commands found in `bugtrack --help`")
    tops = sections(source, 1)
    subs = sections(tops.get("COMMANDS", ""), 2)
    documented = list(subs)
    for c in commands:
        if c not in subs:
            failures.append(f"command {c!r} of `bugtrack --help` has no '## {c}' in {man_source}")
    for c in documented:
        if c not in commands:
            failures.append(f"{man_source} documents '## {c}', which `bugtrack --help` does not list")

    global_opts = tops.get("OPTIONS", "")
    change_opts = tops.get("CHANGE OPTIONS", "")
    for c in commands:
        if c == "help" or c not in subs:
            continue
        text = subs[c]
        allowed = text + "\n" + global_opts
        if "CHANGE OPTIONS" in text:
            allowed += "\n" + change_opts
        for opt in sorted(options_of(run_help(bugtrack, c))):
            if not re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", allowed):
                failures.append(f"option {opt} of `bugtrack {c} --help` is not in '## {c}'")
    for opt in sorted(options_of(block(top, "options"))):
        if opt not in global_opts:
            failures.append(f"global option {opt} is not under '# OPTIONS'")

    for var in re.findall(r"^  ([A-Z][A-Z0-9_]+)\s", block(top, "environment"), re.M):
        if var not in tops.get("ENVIRONMENT", ""):
            failures.append(f"environment variable {var} is not under '# ENVIRONMENT'")
    for code in re.findall(r"^  (\d+)  ", block(top, "exit codes"), re.M):
        if f"*{code}*" not in tops.get("EXIT STATUS", ""):
            failures.append(f"exit code {code} is not under '# EXIT STATUS'")
    for title in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "ENVIRONMENT", "FILES",
                  "EXAMPLES"):
        if title not in tops:
            failures.append(f"{man_source} has no '# {title}' section")

    if len(argv) == 4:
        page = open(argv[3], encoding="utf-8").read()
        if not re.search(r'^\.TH "bugtrack" "1"', page, re.M):
            failures.append(f"{argv[3]} is not a generated section-1 page (no .TH)")

    for f in failures:
        print("FAIL: " + f)
    print(f"{len(commands)} commands checked, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
