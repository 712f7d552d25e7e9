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
import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import termios

NOW_MS = 1795262400000  # as check_cli.py: 2026-11-21T12:00:00Z
SGR = re.compile(rb"\x1b\[[0-9;]*m")
# Every style the tool writes (render.c), and the reset.
KNOWN = {b"\x1b[1m", b"\x1b[1;31m", b"\x1b[33m", b"\x1b[35m", b"\x1b[1;35m", b"\x1b[0m"}

TABLES = [["list"], ["list", "--status", "open"], ["stats"], ["pending"], ["show", "1"],
          ["show", "4"], ["show", "7"], ["events", "1"]]
MACHINE = [["list", "--json"], ["show", "1", "--json"], ["stats", "--json"],
           ["pending", "--json"], ["events", "1", "--json"], ["export", "tickets"],
           ["export", "events", "--format", "ndjson"]]


class Checker:
    def __init__(self, bugtrack, fixture):
        self.bugtrack = bugtrack
        self.fixture = fixture
        self.failures = 0
        self.checks = 0
        self.tmp = tempfile.mkdtemp(prefix="bugtrack-color-")
        self.db = os.path.join(self.tmp, "fixture.db")
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("BUGTRACK_DB", "NO_COLOR", "BUGTRACK_COLOR")}
        self.env.update({"BUGTRACK_NOW_MS": str(NOW_MS), "COLUMNS": "100", "USER": "tester",
                         "TERM": "xterm"})

    def check(self, what, ok, detail=""):
        self.checks += 1
        if not ok:
            self.failures += 1
            print(f"FAIL: {what}")
            if detail:
                print("  " + str(detail).rstrip().replace("\n", "\n  "))

    def run(self, args, **env):
        p = subprocess.run([self.bugtrack, "--db", self.db] + args, capture_output=True,
                           env=dict(self.env, **env), timeout=60)
        self.check(f"{' '.join(args)} {env}: exit 0", p.returncode == 0, p.stderr)
        return p.stdout

    def check_pipe(self):
        """Plain to a pipe, forced, NO_COLOR beats the force, never."""
        for args in TABLES:
            name = " ".join(args)
            plain = self.run(args)
            self.check(f"{name} to a pipe: no ESC", b"\x1b" not in plain, plain)
            forced = self.run(args, BUGTRACK_COLOR="always")
            seqs = set(re.findall(rb"\x1b\[[0-9;]*m", forced))
            self.check(f"{name}: every ESC is a known SGR", seqs <= KNOWN and
                       forced.count(b"\x1b") == len(SGR.findall(forced)), seqs - KNOWN)
            # Stripped of its escapes, coloured output is the plain output,
            # so the alignment ignored them.
            self.check(f"{name}: coloured minus escapes = plain", SGR.sub(b"", forced) == plain,
                       forced.decode("utf-8", "replace"))
            self.check(f"{name} NO_COLOR=1 over always: no ESC",
                       b"\x1b" not in self.run(args, BUGTRACK_COLOR="always", NO_COLOR="1"))
            self.check(f"{name} BUGTRACK_COLOR=never: no ESC",
                       b"\x1b" not in self.run(args, BUGTRACK_COLOR="never"))
            if args[0] != "events":  # events' table has no styled cells
                self.check(f"{name} BUGTRACK_COLOR=always: ESC", b"\x1b" in forced)
                # An empty NO_COLOR is as good as unset.
                self.check(f"{name} NO_COLOR='': ESC",
                           b"\x1b" in self.run(args, BUGTRACK_COLOR="always", NO_COLOR=""))
        out = self.run(["list"], BUGTRACK_COLOR="always")
        self.check("critical is red", b"\x1b[1;31mcritical\x1b[0m" in out, out)
        self.check("high is yellow", b"\x1b[33mhigh\x1b[0m" in out, out)
        self.check("new is bold", b"\x1b[1mnew\x1b[0m" in out, out)
        self.check("an open regressed ticket's status is magenta",
                   re.search(rb"\x1b\[(1;)?35m", out) is not None, out)
        # Machine-readable output is the same whatever the colour setting.
        # (CSV keeps stored text as it is, escapes included; JSON escapes
        # them, so there it has no ESC byte at all.)
        for args in MACHINE:
            name = " ".join(args)
            forced = self.run(args, BUGTRACK_COLOR="always")
            self.check(f"{name}: BUGTRACK_COLOR=always changes nothing",
                       forced == self.run(args, BUGTRACK_COLOR="never"))
            if "--json" in args or "ndjson" in args:
                self.check(f"{name} with BUGTRACK_COLOR=always: no ESC", b"\x1b" not in forced)

    def run_tty(self, args, **env):
        """stdout on a 90-column pseudo-terminal; None without one."""
        try:
            master, slave = pty.openpty()
        except OSError as e:
            print(f"check_color: no pseudo-terminal ({e}): terminal checks skipped",
                  file=sys.stderr)
            return None
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 90, 0, 0))
        p = subprocess.Popen([self.bugtrack, "--db", self.db] + args, stdout=slave,
                             stderr=subprocess.PIPE, env=dict(self.env, **env))
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal closed
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        p.wait(timeout=60)
        self.check(f"{' '.join(args)} on a terminal: exit 0", p.returncode == 0, p.stderr.read())
        p.stderr.close()
        return out.replace(b"\r\n", b"\n")

    def check_tty(self):
        out = self.run_tty(["list"])
        if out is None:
            return
        self.check("list on a terminal: ESC", b"\x1b" in out, out)
        lines = SGR.sub(b"", out).decode("utf-8").splitlines()
        self.check("list on a terminal: the visible width is the terminal's",
                   len(lines) > 1 and max(len(l) for l in lines) == 90, "\n".join(lines))
        plain = self.run_tty(["list"], NO_COLOR="1")
        self.check("list on a terminal with NO_COLOR=1: no ESC", b"\x1b" not in plain, plain)
        self.check("list on a terminal: coloured minus escapes = NO_COLOR",
                   SGR.sub(b"", out) == plain)
        self.check("list on a terminal with BUGTRACK_COLOR=never: no ESC",
                   b"\x1b" not in self.run_tty(["list"], BUGTRACK_COLOR="never"))
        self.check("list on a dumb terminal: no ESC",
                   b"\x1b" not in self.run_tty(["list"], TERM="dumb"))
        self.check("list --json on a terminal: no ESC",
                   b"\x1b" not in self.run_tty(["list", "--json"]))
        self.check("show on a terminal: ESC", b"\x1b" in self.run_tty(["show", "1"]))

    def main(self):
        try:
            subprocess.run([self.fixture, self.db], check=True)
            self.check_pipe()
            self.check_tty()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
        print(f"{self.checks} checks, {self.failures} failed")
        # A run that asserted nothing proves nothing.
        return 1 if self.failures or self.checks == 0 else 0


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    return Checker(argv[1], argv[2]).main()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
