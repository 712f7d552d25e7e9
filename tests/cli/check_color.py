#!/usr/bin/env python3
"""Colour in the bugtrack tool's tables.

usage: check_color.py BUGTRACK CLI_FIXTURE

Colour (SGR escape sequences) goes only to a terminal, or where
BUGTRACK_COLOR=always forces it, and never while NO_COLOR is set and not
empty (https://no-color.org), nor into --json or export output.  Coloured
text, with its escape sequences removed, must be exactly the plain text:
the escapes count for nothing in the column widths.  A real terminal is
tested through a pseudo-terminal when the system has one (some CI chroots
lack /dev/pts; that part is then skipped, saying so).
"""
import re
import sys

import clitest

SGR = re.compile(rb"\x1b\[[0-9;]*m")
# Every style the tool writes (render.c), and the reset.
KNOWN = {b"\x1b[1m", b"\x1b[1;31m", b"\x1b[33m", b"\x1b[35m", b"\x1b[1;35m", b"\x1b[0m"}

TABLES = [["list"], ["list", "--status", "open"], ["stats"], ["pending"], ["show", "1"],
          ["show", "4"], ["show", "7"], ["events", "1"]]
MACHINE = [["list", "--json"], ["show", "1", "--json"], ["stats", "--json"],
           ["pending", "--json"], ["events", "1", "--json"], ["export", "tickets"],
           ["export", "events", "--format", "ndjson"]]


class Checker(clitest.Checker):
    name = "color"
    env_drop = ("NO_COLOR", "BUGTRACK_COLOR")
    env_extra = {"COLUMNS": "100", "TERM": "xterm"}

    def output(self, args, **env):
        rc, out, err = self.run(*args, env=env, raw=True)
        self.check(rc == 0, f"{' '.join(args)} {env}: exit 0", err)
        return out

    def check_pipe(self):
        """Plain to a pipe, forced, NO_COLOR beats the force, never."""
        for args in TABLES:
            name = " ".join(args)
            plain = self.output(args)
            self.check(b"\x1b" not in plain, f"{name} to a pipe: no ESC", plain)
            forced = self.output(args, BUGTRACK_COLOR="always")
            seqs = set(re.findall(rb"\x1b\[[0-9;]*m", forced))
            self.check(seqs <= KNOWN and forced.count(b"\x1b") == len(SGR.findall(forced)),
                       f"{name}: every ESC is a known SGR", seqs - KNOWN)
            # Stripped of its escapes, coloured output is the plain output,
            # so the alignment ignored them.
            self.check(SGR.sub(b"", forced) == plain, f"{name}: coloured minus escapes = plain",
                       forced.decode("utf-8", "replace"))
            self.check(b"\x1b" not in self.output(args, BUGTRACK_COLOR="always", NO_COLOR="1"),
                       f"{name} NO_COLOR=1 over always: no ESC")
            self.check(b"\x1b" not in self.output(args, BUGTRACK_COLOR="never"),
                       f"{name} BUGTRACK_COLOR=never: no ESC")
            if args[0] != "events":  # events' table has no styled cells
                self.check(b"\x1b" in forced, f"{name} BUGTRACK_COLOR=always: ESC")
                # An empty NO_COLOR is as good as unset.
                self.check(b"\x1b" in self.output(args, BUGTRACK_COLOR="always", NO_COLOR=""),
                           f"{name} NO_COLOR='': ESC")
        out = self.output(["list"], BUGTRACK_COLOR="always")
        self.check(b"\x1b[1;31mcritical\x1b[0m" in out, "critical is red", out)
        self.check(b"\x1b[33mhigh\x1b[0m" in out, "high is yellow", out)
        self.check(b"\x1b[1mnew\x1b[0m" in out, "new is bold", out)
        self.check(re.search(rb"\x1b\[(1;)?35m", out) is not None,
                   "an open regressed ticket's status is magenta", out)
        # Machine-readable output is the same whatever the colour setting.
        # (CSV keeps stored text as it is, escapes included; JSON escapes
        # them, so there it has no ESC byte at all.)
        for args in MACHINE:
            name = " ".join(args)
            forced = self.output(args, BUGTRACK_COLOR="always")
            self.check(forced == self.output(args, BUGTRACK_COLOR="never"),
                       f"{name}: BUGTRACK_COLOR=always changes nothing")
            if "--json" in args or "ndjson" in args:
                self.check(b"\x1b" not in forced, f"{name} with BUGTRACK_COLOR=always: no ESC")

    def run_tty(self, args, **env):
        """stdout on a 90-column pseudo-terminal; None without one."""
        ran = self.run_on_pty("terminal checks", args, columns=90, env=env)
        if ran is None:
            return None
        rc, out, err = ran
        self.check(rc == 0, f"{' '.join(args)} on a terminal: exit 0", err)
        return out.replace(b"\r\n", b"\n")

    def check_tty(self):
        out = self.run_tty(["list"])
        if out is None:
            return
        self.check(b"\x1b" in out, "list on a terminal: ESC", out)
        lines = SGR.sub(b"", out).decode("utf-8").splitlines()
        self.check(len(lines) > 1 and max(len(l) for l in lines) == 90,
                   "list on a terminal: the visible width is the terminal's", "\n".join(lines))
        plain = self.run_tty(["list"], NO_COLOR="1")
        self.check(b"\x1b" not in plain, "list on a terminal with NO_COLOR=1: no ESC", plain)
        self.check(SGR.sub(b"", out) == plain,
                   "list on a terminal: coloured minus escapes = NO_COLOR")
        self.check(b"\x1b" not in self.run_tty(["list"], BUGTRACK_COLOR="never"),
                   "list on a terminal with BUGTRACK_COLOR=never: no ESC")
        self.check(b"\x1b" not in self.run_tty(["list"], TERM="dumb"),
                   "list on a dumb terminal: no ESC")
        self.check(b"\x1b" not in self.run_tty(["list", "--json"]),
                   "list --json on a terminal: no ESC")
        self.check(b"\x1b" in self.run_tty(["show", "1"]), "show on a terminal: ESC")

    def run_checks(self):
        self.check_pipe()
        self.check_tty()


def main(argv):
    return clitest.main(Checker, argv, __doc__, 2)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
