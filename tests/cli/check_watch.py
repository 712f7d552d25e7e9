#!/usr/bin/env python3
"""check_watch.py BUGTRACK FIXTURE SRCDIR: `bugtrack watch` as a real process.

`watch --json` runs on a copy of the fixture while other bugtrack processes
change tickets: each change must arrive as one NDJSON line within BOUND
seconds (so a pipe is flushed line by line), the lines follow the feed in
order with cursors that resume it, filters keep their tickets alone, and
SIGTERM and SIGINT end it with exit 0.  Without --cursor it starts at the
end of the feed; --count and --timeout end it on their own.  On PostgreSQL
(BUGTRACK_CLI_BACKEND=postgresql) the same, through LISTEN/NOTIFY.
"""
import json
import os
import select
import signal
import subprocess
import sys
import time

import clitest

BOUND = 2.0  # seconds a change may take to show


class Watch:
    """A running `bugtrack watch`, read line by line with a deadline."""

    def __init__(self, checker, args, db):
        self.p = subprocess.Popen(checker.command(["watch"] + args, db), cwd=checker.tmp,
                                  env=checker.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.buf = b""

    def line(self, timeout):
        """The next line (without its newline), or None after @timeout s."""
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8")

    def stop(self, sig):
        """Send @sig; (exit code or None if still running after BOUND s, stderr)."""
        self.p.send_signal(sig)
        try:
            self.p.wait(timeout=BOUND)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None, self.p.stderr.read().decode()
        return self.p.returncode, self.p.stderr.read().decode()


class Checker(clitest.Checker):
    name = "watch"
    timeout = 60

    def event(self, w, what):
        line = w.line(BOUND)
        if not self.check(line is not None, f"{what}: a line within {BOUND} s"):
            return None
        return self.parse_json(what, line)

    def check_follow(self, db):
        w = Watch(self, ["--json", "--cursor", ""], db)
        try:
            # From the oldest kept event: the fixture's history comes first.
            first = self.event(w, "history")
            if first is None:
                return
            self.same("history starts at the first event", first["event"]["id"], 1)
            while w.line(0.5) is not None:
                pass
            _, out, _ = self.expect("a new ticket", ["list", "--status", "new", "--json"], 0,
                                    db=db)
            fresh = str(json.loads(out)[0]["id"])
            changes = [
                (["note", "1", "watch me", "--actor", "user:w"], "note", "watch me"),
                (["update", fresh, "--status", "triaged", "--actor", "user:w"],
                 "status_changed", None),
                (["assign", "1", "carol", "--actor", "user:w"], "assigned", None),
            ]
            cursor = None
            for args, kind, note in changes:
                t0 = time.monotonic()
                self.expect(" ".join(args[:2]), args, 0, db=db)
                ev = self.event(w, f"after {args[0]}")
                if ev is None:
                    return
                self.same(f"{args[0]}: kind", ev["event"]["kind"], kind)
                self.same(f"{args[0]}: its ticket", ev["ticket"]["id"], int(args[1]))
                self.check(time.monotonic() - t0 < BOUND + 1, f"{args[0]}: in time")
                if note:
                    self.same(f"{args[0]}: the note", ev["event"]["note"], note)
                if cursor is None:
                    cursor = ev["cursor"]
            rc, err = w.stop(signal.SIGTERM)
            self.same("SIGTERM: exit 0", rc, 0)
            self.same("SIGTERM: nothing on stderr", err, "")
        finally:
            if w.p.poll() is None:
                w.p.kill()
                w.p.wait()
        # The cursor of the note resumes after it: the status change is next.
        rc, out, _ = self.expect("resume", ["watch", "--json", "--cursor", cursor, "--count", "1"],
                                 0, db=db)
        lines = out.splitlines()
        self.same("resume: --count 1 prints one line", len(lines), 1)
        if lines:
            self.same("resume: the event after the cursor",
                      json.loads(lines[0])["event"]["kind"], "status_changed")

    def check_ends(self, db):
        t0 = time.monotonic()
        rc, out, err = self.expect("--timeout 1 without --cursor", ["watch", "--timeout", "1"], 0,
                                   db=db)
        took = time.monotonic() - t0
        self.same("without --cursor, history is not news", out, "")
        self.check(0.9 <= took < 1 + BOUND, f"--timeout 1 took {took:.2f} s")
        w = Watch(self, [], db)
        try:
            time.sleep(0.5)
            self.expect("note while watching", ["note", "1", "in text", "--actor", "user:w"], 0,
                        db=db)
            line = w.line(BOUND)
            self.check(line is not None and "note: in text" in line and "(user:w)" in line,
                       "a text line names the kind, the note and the actor", line)
            rc, err = w.stop(signal.SIGINT)
            self.same("SIGINT: exit 0", rc, 0)
        finally:
            if w.p.poll() is None:
                w.p.kill()
                w.p.wait()

    def check_filters(self, db):
        _, out, _ = self.expect("list --component db", ["list", "--component", "db", "--json"], 0,
                                db=db)
        ids = {t["id"] for t in json.loads(out)}
        rc, out, _ = self.expect("--component", ["watch", "--json", "--cursor", "",
                                                 "--component", "db", "--timeout", "1"], 0, db=db)
        seen = {json.loads(line)["ticket"]["id"] for line in out.splitlines()}
        self.check(seen and seen <= ids, f"--component db: tickets {sorted(seen)} of {sorted(ids)}")
        rc, out, _ = self.expect("--severity-min", ["watch", "--json", "--cursor", "",
                                                    "--severity-min", "critical", "--timeout", "1"],
                                 0, db=db)
        sev = {json.loads(line)["ticket"]["severity"] for line in out.splitlines()}
        self.same("--severity-min critical", sev, {"critical"})
        self.expect("bad --count", ["watch", "--count", "0"], 2, "--count", db=db)
        self.expect("bad --timeout", ["watch", "--timeout", "x"], 2, "--timeout", db=db)
        self.expect("bad --severity-min", ["watch", "--severity-min", "huge"], 2, db=db)
        self.expect("an operand", ["watch", "extra"], 2, db=db)
        _, out, _ = self.expect("--help", ["watch", "--help"], 0, db=db)
        self.check(out.startswith("usage: bugtrack watch"), "--help: usage", out)

    def run_checks(self):
        db = self.copy_db("watch.db")
        self.check_follow(db)
        self.check_ends(db)
        self.check_filters(db)


def main(argv):
    return clitest.main(Checker, argv, __doc__, 3, ())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
