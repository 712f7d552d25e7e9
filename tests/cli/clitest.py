"""What the CLI test scripts (check_*.py in this directory) share.

Checker builds the fixture database (cli_fixture) in a temporary directory,
runs `bugtrack` on it with a fixed clock (BUGTRACK_NOW_MS), counts checks
and failures, compares goldens (rewriting them with --update) and runs
commands on a pseudo-terminal.  Each script subclasses it with its checks.

The scripts import this module from their own directory, which Python puts
first on sys.path, so they run from any working directory.  Set
BUGTRACK_CLI_WRAPPER to run every bugtrack under a wrapper (valgrind), and
BUGTRACK_KEEP to keep the temporary directory.

With BUGTRACK_CLI_BACKEND=postgresql the fixture, and each copy of it, is a
schema of its own on the server the PG* variables name (the postgresql
suite runs under pg_virtualenv), and the goldens must come out the same as
on SQLite; checks of files (permissions, corruption) are SQLite's only
(self.postgresql tells them).
"""
import csv
import difflib
import fcntl
import io
import json
import os
import pty
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import termios

NOW_MS = 1795262400000  # 2026-11-21T12:00:00Z, a few hours after the fixture's story


def clean_env(drop=()):
    """The environment without BUGTRACK_DB (a developer's own database) and @drop."""
    return {k: v for k, v in os.environ.items() if k != "BUGTRACK_DB" and k not in drop}


def main(checker, argv, doc, nargs, flags=()):
    """A script's exit status: @checker(@nargs arguments, FLAG=True for the one
    of @flags given, without its dashes) runs; 2, after printing @doc, when
    @argv does not fit."""
    given = {a for a in argv[1:] if a in flags}
    args = [a for a in argv[1:] if a not in flags]
    if len(args) != nargs or len(given) > 1:
        print(doc, file=sys.stderr)
        return 2
    return checker(*args, **{f[2:]: True for f in given}).main()


class Checker:
    """A subclass sets name (check_NAME.py) and the environment, and defines
    run_checks(); main() builds the fixture at self.db, runs them and prints
    the summary line."""
    name = "cli"
    timeout = 60            # seconds for one bugtrack
    env_drop = ()           # variables taken out of the environment
    env_extra = {}          # and put in
    quiet_success = False   # expect(): an exit 0 must leave stderr empty
    detail_limit = None     # fail(): characters of detail shown at most

    def __init__(self, bugtrack, fixture, srcdir=None, update=False, smoke=False):
        # bugtrack runs in the temporary directory.
        self.bugtrack = os.path.abspath(bugtrack)
        self.fixture = os.path.abspath(fixture)
        self.srcdir = srcdir
        self.golden_dir = os.path.join(srcdir, "golden") if srcdir else None
        self.update = update
        self.smoke = smoke
        self.failures = 0
        self.checks = 0
        self.tmp = tempfile.mkdtemp(prefix=f"bugtrack-{self.name}-")
        self.postgresql = os.environ.get("BUGTRACK_CLI_BACKEND") == "postgresql"
        self.schemas = []
        self.db = self.location("fixture.db")
        self.wrapper = shlex.split(os.environ.get("BUGTRACK_CLI_WRAPPER", ""))
        self.env = clean_env(self.env_drop)
        # TZ: tables show local time; the goldens are in UTC.
        self.env.update({"BUGTRACK_NOW_MS": str(NOW_MS), "USER": "tester", "TZ": "UTC"},
                        **self.env_extra)

    def location(self, name):
        """A fresh location called @name: a file in the temporary directory,
        or on PostgreSQL a schema named after it and this process."""
        if not self.postgresql:
            return os.path.join(self.tmp, name)
        schema = f"cli_{self.name}_{os.getpid()}_{len(self.schemas)}"
        self.schemas.append(schema)
        return f"postgresql://?schema={schema}"

    def drop_schemas(self):
        if self.schemas:
            sql = "SET client_min_messages = warning;" + "".join(
                f"DROP SCHEMA IF EXISTS {s} CASCADE;" for s in self.schemas)
            subprocess.run(["psql", "-qX", "-v", "ON_ERROR_STOP=1", "-c", sql], check=False,
                           stdout=subprocess.DEVNULL)

    def main(self):
        if self.postgresql and not (os.environ.get("PGHOST") or os.environ.get("PGPORT")):
            why = "no PostgreSQL server named: run it under pg_virtualenv (scripts/test.sh does)"
            shutil.rmtree(self.tmp, ignore_errors=True)
            if os.environ.get("BT_TEST_REQUIRE_POSTGRESQL"):
                print(f"FAIL: {why}")
                return 1
            print(f"SKIP: {why}")
            return 77
        try:
            subprocess.run([self.fixture, self.db], check=True)
            self.run_checks()
        finally:
            if not os.environ.get("BUGTRACK_KEEP"):
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.drop_schemas()
        if self.update:
            print(f"golden files written to {self.golden_dir}")
            return 0
        print(f"{self.checks} checks, {self.failures} failed")
        # A run that asserted nothing proves nothing.
        return 1 if self.failures or self.checks == 0 else 0

    # ---- counting ----

    def fail(self, what, detail=""):
        self.failures += 1
        print(f"FAIL: {what}")
        if detail:
            detail = str(detail)[:self.detail_limit]
            print("  " + detail.rstrip().replace("\n", "\n  "))

    def check(self, ok, what, detail=""):
        self.checks += 1
        if not ok:
            self.fail(what, detail)
        return ok

    def same(self, what, got, want):
        self.checks += 1
        if got != want:
            self.fail(f"{what}: got {got!r}, expected {want!r}")

    # ---- running bugtrack ----

    def command(self, args, db=None):
        """The command line of bugtrack @args on @db (by default the fixture)."""
        return self.wrapper + [self.bugtrack, "--db", db or self.db] + list(args)

    def run(self, *args, db=None, env=None, raw=False):
        """Run bugtrack; returns (exit code, stdout, stderr), bytes if @raw."""
        p = subprocess.run(self.command(args, db), capture_output=True, cwd=self.tmp,
                           env=dict(self.env, **(env or {})), timeout=self.timeout)
        if raw:
            return p.returncode, p.stdout, p.stderr
        # No newline translation: CSV lines must end with CRLF.
        return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")

    def expect(self, what, args, code, stderr_has=None, db=None, env=None):
        """Run and check the exit code (and a `bugtrack:` message on failure)."""
        self.checks += 1
        rc, out, err = self.run(*args, db=db, env=env)
        if rc != code:
            self.fail(f"{what}: exit {rc}, expected {code}", f"stdout: {out}\nstderr: {err}")
        elif code != 0 and not err.startswith("bugtrack: "):
            self.fail(f"{what}: stderr does not start with 'bugtrack: '", err)
        elif stderr_has and stderr_has not in err:
            self.fail(f"{what}: stderr lacks {stderr_has!r}", err)
        elif self.quiet_success and code == 0 and err:
            self.fail(f"{what}: unexpected stderr", err)
        return rc, out, err

    def run_on_pty(self, skipped, args, stream="stdout", columns=None, other=subprocess.PIPE,
                   db=None, env=None):
        """Run bugtrack @args with @stream on a pseudo-terminal (@columns wide)
        and the other stream to @other; returns (exit code, what the terminal
        got, the other stream's bytes), or None without a pseudo-terminal,
        saying on stderr that @skipped is skipped."""
        try:
            master, slave = pty.openpty()
        except OSError as e:
            # A chroot without /dev/pts (such as a minimal fresh Debian) has no
            # terminals to test with: say so instead of failing the product.
            print(f"check_{self.name}: no pseudo-terminal ({e}): {skipped} skipped",
                  file=sys.stderr)
            return None
        if columns:
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        streams = {"stdout": other, "stderr": other, stream: slave}
        # No pager unless @env asks for one: check_pager.py tests it.
        p = subprocess.Popen(self.command(args, db), cwd=self.tmp,
                             env=dict(self.env, PAGER="cat", **(env or {})), **streams)
        os.close(slave)
        tty = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal closed
                break
            if not chunk:
                break
            tty += chunk
        os.close(master)
        out, err = p.communicate(timeout=60)
        return p.returncode, tty, out if stream == "stderr" else err

    def copy_db(self, name):
        """A copy of the fixture, for commands that change it.  On PostgreSQL
        the fixture is built again in a new schema: it is deterministic."""
        path = self.location(name)
        if self.postgresql:
            subprocess.run([self.fixture, path], check=True)
        else:
            shutil.copyfile(self.db, path)
        return path

    # ---- parsing ----

    def parse_json(self, what, text):
        self.checks += 1
        try:
            return json.loads(text)
        except ValueError as e:
            self.fail(f"{what}: output is not JSON: {e}", text[:2000])
            return None

    def parse_csv(self, what, text):
        """Rows of RFC 4180 CSV @text; checks that Python writes it back the same."""
        self.checks += 1
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error as e:
            self.fail(f"{what}: not CSV: {e}", text[:2000])
            return None
        again = io.StringIO(newline="")
        csv.writer(again, lineterminator="\r\n").writerows(rows)
        if again.getvalue() != text:
            self.fail(f"{what}: not minimally quoted CSV with CRLF line ends",
                      "".join(difflib.unified_diff(text.splitlines(True),
                                                   again.getvalue().splitlines(True))))
        return rows

    # ---- goldens ----

    def compare_golden(self, name, path, out, args):
        """@out of `bugtrack @args` against the golden file @path, byte for
        byte; with --update, @out becomes the golden file."""
        self.checks += 1
        if self.update:
            os.makedirs(self.golden_dir, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(out)
            return
        try:
            with open(path, encoding="utf-8", newline="") as f:
                want = f.read()
        except FileNotFoundError:
            self.fail(f"golden {name}: {path} is missing (run with --update)")
            return
        if out != want:
            diff = "".join(difflib.unified_diff(want.splitlines(True), out.splitlines(True),
                                                f"golden/{os.path.basename(path)}", "bugtrack"))
            self.fail(f"golden {name}: `bugtrack {' '.join(args)}` differs", diff)
