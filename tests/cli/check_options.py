#!/usr/bin/env python3
"""Options, times, time zones, --color and the bash completion of bugtrack.

usage: check_options.py BUGTRACK CLI_FIXTURE COMPLETION_SCRIPT

Long options are spelt out: getopt_long alone takes any unambiguous prefix
("--severity high" meant --severity-min), so every command refuses an
abbreviated or unknown option with exit 2 and names the closest one.  Every
option that takes a time reads it the same way (relative, zoned, named
days).  Tables follow TZ unless --utc; --json never does.  --color beats
the environment.  The completion script, sourced in bash, completes
commands, options and values, and `bugtrack __complete CMD` (which it
reads) lists exactly the options that `CMD --help` documents.
"""
import json
import os
import re
import subprocess
import sys

import clitest

OPT = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


class Checker(clitest.Checker):
    name = "options"
    env_drop = ("NO_COLOR", "BUGTRACK_COLOR")

    def __init__(self, bugtrack, fixture, completion):
        super().__init__(bugtrack, fixture)
        self.completion = os.path.abspath(completion)

    def plain(self, *args):
        """bugtrack without the fixture's --db (help, __complete)."""
        p = subprocess.run([self.bugtrack] + list(args), capture_output=True, text=True,
                           env=self.env, cwd=self.tmp, timeout=self.timeout)
        return p.returncode, p.stdout, p.stderr

    def commands(self):
        rc, out, _ = self.plain("__complete")
        self.check(rc == 0 and "list" in out.split(), "__complete lists the commands", out)
        return [c for c in out.split() if c != "help"]

    def check_abbreviations(self):
        for cmd in self.commands():
            self.expect(f"{cmd} --hel", [cmd, "--hel"], 2, "did you mean '--help'?")
            self.expect(f"{cmd} --frobnicate", [cmd, "--frobnicate"], 2, "unknown option")
        self.expect("list --sev=high", ["list", "--sev=high"], 2,
                    "unknown option '--sev'; did you mean '--severity'?")
        self.expect("list --severity-mi high", ["list", "--severity-mi", "high"], 2,
                    "did you mean '--severity-min'?")
        self.expect("export logs --leve critical", ["export", "logs", "--leve", "critical"],
                    2, "did you mean '--level'?")
        self.expect("list --sinse 1d", ["list", "--sinse", "1d"], 2, "did you mean '--since'?")
        self.expect("global --dbb", ["--dbb", "x", "list"], 2, "did you mean '--db'?")
        self.expect("global --vers", ["--vers"], 2, "did you mean '--version'?")
        # Exact names, NAME=VALUE, and values that look like options still work.
        self.expect("list --severity-min high", ["list", "--severity-min", "high"], 0)
        self.expect("list --severity high", ["list", "--severity", "high"], 0)
        # --severity is exact (it was once a silent prefix of --severity-min):
        # high only, where --severity-min high also lists critical ones.
        exact = self.json_list("--severity", "high")
        at_least = self.json_list("--severity-min", "high")
        if exact is not None and at_least is not None:
            self.check(all(t["severity"] == "high" for t in exact),
                       "--severity high: only high tickets", exact)
            self.check(len(exact) < len(at_least) and
                       any(t["severity"] == "critical" for t in at_least),
                       "--severity-min high: critical ones too", at_least)
        self.expect("list --sort=count", ["list", "--sort=count"], 0)
        self.expect("list --search --sev", ["list", "--search", "--sev"], 0)
        self.expect("export -o - tickets", ["export", "-o", "-", "tickets"], 0)

    def json_list(self, *args, env=None):
        rc, out, err = self.run("list", "--json", *args, env=env)
        self.check(rc == 0, f"list --json {' '.join(args)}: exit 0", err)
        return json.loads(out) if rc == 0 else None

    def check_times(self):
        # NOW is 2026-11-21T12:00:00Z.
        same = [("2h", "2026-11-21T10:00Z"), ("120m", "2026-11-21T10:00:00Z"),
                ("7200s", "2026-11-21T10:00Z"), ("2026-11-21T11:00+01:00", "2026-11-21T10:00Z"),
                ("2026-11-21T05:00-0500", "2026-11-21T10:00Z"), ("1d", "2026-11-20T12:00Z"),
                ("1w", "2026-11-14T12:00Z"), ("yesterday", "2026-11-20"),
                ("today", "2026-11-21"), ("now", "2026-11-21T12:00Z"),
                ("2026-11-21T10:00", "2026-11-21T10:00Z")]
        for rel, absolute in same:
            a, b = self.json_list("--since", rel), self.json_list("--since", absolute)
            self.check(a is not None and a == b, f"--since {rel} = --since {absolute}",
                       f"{len(a or [])} vs {len(b or [])}")
        some = self.json_list("--since", "yesterday")
        self.check(some is not None and 0 < len(some) < len(self.json_list()),
                   "--since yesterday filters something, not everything")
        for args in (["list", "--until", "3d"], ["list", "--changed-since", "90s"],
                     ["export", "logs", "--since", "1w"], ["report", "summary", "--since", "1w"],
                     ["report", "daily", "--until", "today"]):
            self.expect(" ".join(args), args, 0)
        for bad in ("2w3", "last tuesday", "5y", "2026-11-21T10:00+25:00", "-1d"):
            self.expect(f"--since {bad}", ["list", "--since", bad], 2, "is not a time")

    def check_time_zone(self):
        utc = self.run("list", env={"TZ": "UTC"})[1]
        plus2 = self.run("list", env={"TZ": "UTC-2"})[1]  # POSIX: two hours east
        forced = self.run("--utc", "list", env={"TZ": "UTC-2"})[1]
        after = self.run("list", "--utc", env={"TZ": "UTC-2"})[1]
        self.check(utc != plus2, "list follows TZ")
        shifted = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", plus2)
        base = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", utc)
        self.check(len(base) > 0 and len(base) == len(shifted), "list shows times", utc)
        if base and len(base) == len(shifted):
            import datetime
            fmt = "%Y-%m-%d %H:%M"
            d = {datetime.datetime.strptime(b, fmt) - datetime.datetime.strptime(a, fmt)
                 for a, b in zip(base, shifted)}
            self.check(d == {datetime.timedelta(hours=2)}, "TZ=UTC-2: every time 2 h later", d)
        self.check(forced == utc, "--utc before the command: UTC whatever TZ")
        self.check(after == utc, "--utc after the command: UTC whatever TZ")
        for args in (["list", "--json"], ["show", "1", "--json"], ["export", "tickets"]):
            a = self.run(*args, env={"TZ": "UTC"})[1]
            b = self.run(*args, env={"TZ": "UTC-2"})[1]
            self.check(a == b, f"{' '.join(args)}: the same whatever TZ")

    def check_color(self):
        def esc(*args, **env):
            rc, out, err = self.run(*args, env=env, raw=True)
            self.check(rc == 0, f"{args} {env}: exit 0", err)
            return b"\x1b[" in out
        self.check(esc("--color=always", "list"), "--color=always to a pipe: colour")
        self.check(esc("list", "--color", "always"), "list --color always: colour")
        self.check(esc("--color=always", "list", NO_COLOR="1"), "--color=always beats NO_COLOR")
        self.check(not esc("--color=never", "list", BUGTRACK_COLOR="always"),
                   "--color=never beats BUGTRACK_COLOR=always")
        self.check(not esc("--color=auto", "list", BUGTRACK_COLOR="always"),
                   "--color=auto to a pipe: no colour, whatever BUGTRACK_COLOR")
        self.check(not esc("--color=always", "list", "--json"), "--json: never colour")
        self.expect("--color=bogus", ["--color=bogus", "list"], 2, "not auto, always or never")
        self.expect("list --color=bogus", ["list", "--color=bogus"], 2, "not auto, always or never")

    def check_completion_tables(self):
        for cmd in self.commands():
            rc, opts, _ = self.plain("__complete", cmd)
            table = {o for o in opts.split() if o.startswith("--")}
            self.check(rc == 0 and {"--db", "--help", "--color", "--utc"} <= table,
                       f"__complete {cmd}: its options", opts)
            rc, help_text, _ = self.plain(cmd, "--help")
            # The option lines ("  --x", "  -o, --x", export's list of
            # filters), not prose that names another command's option.
            documented = {o for line in help_text.splitlines()
                          if re.match(r"\s+-", line) for o in OPT.findall(line)}
            self.check(table - documented == set(),
                       f"{cmd}: every option in its table is in --help", table - documented)
            self.check(documented - table == set(),
                       f"{cmd}: every option in --help is in its table", documented - table)
            # Help fits an 80-column terminal, as git's and coreutils' does.
            wide = [line for line in help_text.splitlines() if len(line) > 80]
            self.check(wide == [], f"{cmd} --help: lines of at most 80 columns", wide)
        rc, help_text, _ = self.plain("--help")
        wide = [line for line in help_text.splitlines() if len(line) > 80]
        self.check(rc == 0 and wide == [], "bugtrack --help: lines of at most 80 columns", wide)
        rc, _, err = self.plain("__complete", "frobnicate")
        self.check(rc == 2, "__complete of an unknown command: exit 2", err)

    def complete(self, *words):
        """COMPREPLY for the command line @words, the last being completed."""
        line = " ".join(["bugtrack"] + list(words))
        script = (f"source {self.completion!r}\n"
                  f"COMP_WORDS=({self.bugtrack!r} " + " ".join(repr(w) for w in words) + ")\n"
                  f"COMP_CWORD={len(words)}\n"
                  f"COMP_LINE={line!r}\n"
                  "_bugtrack\n"
                  "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                           text=True, env=self.env, cwd=self.tmp, timeout=self.timeout)
        self.check(p.returncode == 0, f"completion of {line!r} runs", p.stderr)
        return [w for w in p.stdout.split("\n") if w]

    def check_completion_script(self):
        self.same("complete 'li'", self.complete("li"), ["list"])
        self.check("report" in self.complete("re") and "resolve" in self.complete("re"),
                   "complete 're': report and resolve")
        self.same("complete 'list --sev'", sorted(self.complete("list", "--sev")),
                         ["--severity", "--severity-min"])
        self.same("complete 'export --form'", self.complete("export", "--form"),
                         ["--format"])
        self.same("complete '--db x update 1 --prio'",
                         self.complete("--db", "x", "update", "1", "--prio"), ["--priority"])
        self.same("complete 'list --color '", sorted(self.complete("list", "--color", "")),
                         ["always", "auto", "never"])
        self.same("complete 'export t'", self.complete("export", "t"), ["tickets"])
        self.same("complete '--ut'", self.complete("--ut"), ["--utc"])

    def run_checks(self):
        self.check_abbreviations()
        self.check_times()
        self.check_time_zone()
        self.check_color()
        self.check_completion_tables()
        self.check_completion_script()


def main(argv):
    return clitest.main(Checker, argv, __doc__, 3)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
