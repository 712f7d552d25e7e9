#!/usr/bin/env python3
"""The pager (tools/pager.c), on a real pseudo-terminal: on a terminal,
`list` goes through $PAGER, with LESS=FRX when LESS is unset; --no-pager,
PAGER=cat and an empty PAGER turn it off; when stdout is not a terminal
there is no pager.  A pager here is a shell command that prefixes its
input, so the prefix shows whether the output went through it.

usage: check_pager.py BUGTRACK FIXTURE
"""
import os
import pty
import subprocess
import sys
import tempfile

failures = 0


def check(ok, what):
    global failures
    if not ok:
        failures += 1
        print("FAIL: " + what)


def on_tty(argv, env):
    """Run @argv with stdout (and stdin, stderr) on a pseudo-terminal; what
    the terminal shows."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    os.close(fd)
    return out.decode("utf-8", "replace")


def main():
    exe, fixture = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "fixture.db")
        subprocess.run([fixture, db], check=True)
        base = {k: v for k, v in os.environ.items() if k not in ("LESS", "PAGER", "BUGTRACK_DB")}
        base["NO_COLOR"] = "1"
        mark = dict(base, PAGER="sed 's/^/PAGED:/'")
        out = on_tty([exe, "--db", db, "list"], mark)
        check("PAGED:NUMBER" in out, "list on a terminal goes through $PAGER:\n" + out)
        out = on_tty([exe, "--no-pager", "--db", db, "list"], mark)
        check("NUMBER" in out and "PAGED:" not in out, "--no-pager:\n" + out)
        for off in ("cat", ""):
            out = on_tty([exe, "--db", db, "list"], dict(base, PAGER=off))
            check("NUMBER" in out and "PAGED:" not in out, "PAGER='%s':\n%s" % (off, out))
        out = on_tty([exe, "--db", db, "list"],
                     dict(base, PAGER='echo "LESS=$LESS"; cat >/dev/null'))
        check("LESS=FRX" in out, "LESS defaults to FRX:\n" + out)
        out = on_tty([exe, "--db", db, "list"],
                     dict(base, LESS="S", PAGER='echo "LESS=$LESS"; cat >/dev/null'))
        check("LESS=S" in out, "a set LESS is kept:\n" + out)
        # Not a terminal: no pager, whatever PAGER says.
        res = subprocess.run([exe, "--db", db, "list"], env=mark, capture_output=True, text=True)
        check(res.returncode == 0 and "NUMBER" in res.stdout and "PAGED:" not in res.stdout,
              "no pager when stdout is a pipe:\n" + res.stdout)
        # A command whose output is short is not paged.
        out = on_tty([exe, "--db", db, "--version"], mark)
        check("PAGED:" not in out, "--version is not paged:\n" + out)
    print("check_pager: %d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
