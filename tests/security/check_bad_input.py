#!/usr/bin/env python3
"""check_bad_input.py - issue 8: the CLI half of README's bad-input table,
paths included.

CASES below is the table: for each kind of bad input given to `bugtrack`,
how to provoke it, the exit code and a fragment of what it must say (on
stderr for an error, else on either stream), and what must stay: every row
of every table of the database it ran on, or a file's bytes, or nothing
created.  Each case runs in its own directory on a copy of the CLI fixture,
under a timeout (a hang is a failure).  No error message may name a library
constant (BT_...): a CLI user cannot pass one.

Then README.md is read: its "## Bad input" table must have exactly these
cli-* ids, each with this exit code, each row quoting its fragment; every
id there is api-*, cli-* or http-* (tests/security/test_bad_input.c checks
the api-* rows, tests/bugtrackd/check_bugtrackd.py the http-* ones).

Running as root, the cases about file modes run bugtrack as nobody (root
ignores modes); where that is impossible they are skipped, saying so.

usage: check_bad_input.py BUGTRACK FIXTURE README
"""
import sys

sys.dont_write_bytecode = True

import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import stat  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import secutil  # noqa: E402
from secutil import clitest  # noqa: E402

NOBODY = 65534

# Cases that fail because of a known bug, not of this test: id -> the bug.
# Such a case passes while it fails, listed loudly on stderr; once the bug
# is fixed it fails ("remove it from KNOWN_BUGS").
KNOWN_BUGS = {
    # None open: cli-db-readonly-dir (a misleading message), cli-db-foreign
    # (switched to WAL before the refusal) and cli-wrong-token (an unclosed
    # parenthesis) are fixed in lib/.
}


class Case:
    """One row: @provoke(checker, work directory) prepares the files and
    returns the arguments (and sets self.env, self.db, self.watch, ...)."""

    def __init__(self, cid, provoke, code, says, keep="rows", as_nobody=False, slow=False,
                 lock=False, timeout=secutil.TIMEOUT):
        self.id, self.provoke, self.code, self.says = cid, provoke, code, says
        self.keep = keep            # rows, old-rows, bytes, nothing
        self.as_nobody = as_nobody  # needs a user that modes apply to
        self.slow = slow            # may take seconds: started first, collected last
        self.lock = lock            # another connection holds the write lock meanwhile
        self.timeout = timeout      # seconds after which it counts as a hang


# ---- how each case is provoked: f(checker, case, work) -> arguments ----

def args(*a, db="fixture.db", env=None, watch=None, check=None):
    def provoke(k, c, work):
        c.db, c.env, c.watch, c.check = db, env or {}, watch, check
        return list(a)
    return provoke


def with_files(files, *a, **kw):
    """Write each {name: bytes} of @files first."""
    inner = args(*a, **kw)

    def provoke(k, c, work):
        for name, content in files.items():
            with open(os.path.join(work, name), "wb") as f:
                f.write(content)
        return inner(k, c, work)
    return provoke


def damaged(how, *a, **kw):
    """The fixture damaged by @how(bytearray) first."""
    inner = args(*a, **kw)

    def provoke(k, c, work):
        path = os.path.join(work, "fixture.db")
        data = bytearray(secutil.file_bytes(path))
        with open(path, "wb") as f:
            f.write(how(data))
        return inner(k, c, work)
    return provoke


def prepared(setup, *a, **kw):
    """@setup(work) first."""
    inner = args(*a, **kw)

    def provoke(k, c, work):
        setup(work)
        return inner(k, c, work)
    return provoke


def truncate(data):
    return bytes(data[:100])


def garbage_page(data):
    data[100:4096] = b"\xa5" * (4096 - 100)
    return bytes(data)


def sql(work, text, name="fixture.db"):
    c = sqlite3.connect(os.path.join(work, name))
    c.executescript(text)
    c.close()


def newer(work):
    sql(work, "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
              " VALUES (9999, 'from_the_future', 'x', 0)")


def foreign(work):
    os.remove(os.path.join(work, "fixture.db"))
    c = sqlite3.connect(os.path.join(work, "fixture.db"))
    c.executescript("CREATE TABLE inventory (sku TEXT); INSERT INTO inventory VALUES ('x');")
    c.close()


def readonly_file(work):
    os.chmod(os.path.join(work, "fixture.db"), 0o444)


def readonly_dir(work):
    os.chmod(os.path.join(work, "fixture.db"), 0o444)
    os.chmod(work, 0o555)


def unreadable(work):
    os.chmod(os.path.join(work, "fixture.db"), 0)


def spool(content):
    def setup(work):
        with open(os.path.join(work, "fixture.db.crash"), "wb") as f:
            f.write(content)
    return setup


def spool_symlink(work):
    with open(os.path.join(work, "target.txt"), "wb") as f:
        f.write(b"not a spool\n")
    os.symlink("target.txt", os.path.join(work, "fixture.db.crash"))


def spool_fifo(work):
    os.mkfifo(os.path.join(work, "fixture.db.crash"))


def path_tree(work):
    """Every kind of path: .., symbolic links (to a file, dangling, to a
    FIFO, to a directory above, in a loop), a FIFO, a directory, files to
    import and databases to migrate."""
    j = lambda *p: os.path.join(work, *p)  # noqa: E731
    os.makedirs(j("sub"))
    os.symlink("fixture.db", j("link.db"))
    os.symlink("nowhere.db", j("dangling.db"))
    os.mkfifo(j("fifo"))
    os.symlink("fifo", j("fifo-link.db"))
    os.makedirs(j("dir.db"))
    reports = j("reports")
    os.makedirs(os.path.join(reports, "a"))
    with open(os.path.join(reports, "a", "one.json"), "w") as f:
        f.write('{"report_id": "P-1", "title": "one"}')
    with open(os.path.join(reports, "two.json"), "w") as f:
        f.write('{"report_id": "P-2", "title": "two"}')
    os.symlink("..", os.path.join(reports, "a", "up"))            # to the parent
    os.symlink("../a", os.path.join(reports, "a", "self.json"))  # a directory named *.json
    os.symlink("loop.json", os.path.join(reports, "loop.json"))  # a loop
    os.symlink("a/one.json", os.path.join(reports, "link.json"))  # to a file: imported
    os.mkfifo(os.path.join(reports, "pipe.json"))                 # never opened
    dbs = j("dbs")
    os.makedirs(os.path.join(dbs, "d"))
    shutil.copyfile(j("fixture.db"), os.path.join(dbs, "d", "a.db"))
    os.symlink("..", os.path.join(dbs, "d", "up"))
    os.symlink("a.db", os.path.join(dbs, "d", "b.db"))
    os.symlink("loop", os.path.join(dbs, "d", "loop"))
    os.mkfifo(os.path.join(dbs, "d", "pipe.db"))


def no_file(name):
    return lambda k, work: k.check(not os.path.lexists(os.path.join(work, name)),
                                   f"{name} was created")


def file_is(name, content):
    return lambda k, work: k.check(secutil.file_bytes(os.path.join(work, name)) == content,
                                   f"{name} was changed")


def still_link(name):
    return lambda k, work: k.check(os.path.islink(os.path.join(work, name)),
                                   f"{name} is no longer a symbolic link")


def imported(*report_ids):
    def check(k, work):
        with secutil.connect_ro(os.path.join(work, "fixture.db")) as c:
            got = sorted(r[0].decode() for r in
                         c.execute("SELECT external_id FROM tickets WHERE external_id IS NOT NULL"))
        k.same("imported reports", got, sorted(report_ids))
    return check


def warning_row(k, work):
    with secutil.connect_ro(os.path.join(work, "fixture.db")) as c:
        n = c.execute("SELECT count(*) FROM error_logs WHERE component = 'crash'"
                      " AND message LIKE '%damaged record%'").fetchone()[0]
    k.check(n == 1, f"{n} 'damaged record' warning rows, expected 1")


def all_of(*checks):
    return lambda k, work: [c(k, work) for c in checks]


GOOD = b'{"report_id": "G-1", "title": "good"}'
CASES = [
    # usage
    Case("cli-unknown-command", args("frobnicate"), 2, "unknown command 'frobnicate'"),
    Case("cli-no-command", args(), 2, "no command given"),
    Case("cli-unknown-option", args("list", "--frobnicate"), 2, "unknown option '--frobnicate'"),
    Case("cli-missing-value", args("list", "--limit"), 2, "needs a value"),
    Case("cli-missing-operand", args("show"), 2, "missing TICKET"),
    Case("cli-extra-operand", args("show", "1", "2"), 2, "unexpected argument '2'"),
    Case("cli-bad-date", args("list", "--since", "last tuesday"), 2, "is not a time"),
    Case("cli-impossible-date", args("list", "--until", "2026-02-30"), 2, "is not a time"),
    Case("cli-since-after-until", args("export", "logs", "--since", "2026-11-21",
                                       "--until", "2026-11-01"), 2, "--since must be before --until"),
    Case("cli-bad-number", args("list", "--limit", "0"), 2, "is not a whole number"),
    Case("cli-number-overflow", args("list", "--limit", "99999999999999999999"), 2,
         "is not a whole number"),
    Case("cli-bad-id", args("show", "BUG-x"), 2, "is not a ticket id"),
    Case("cli-missing-ticket", args("show", "999"), 3, "no ticket 999"),
    Case("cli-bad-status", args("update", "1", "--status", "done"), 2, "unknown status 'done'"),
    Case("cli-bad-severity", args("list", "--severity-min", "huge"), 2, "unknown severity 'huge'"),
    Case("cli-bad-cursor", args("list", "--cursor", "x"), 2, "malformed cursor"),
    Case("cli-bad-format", args("export", "logs", "--format", "xml"), 2, "unknown format 'xml'"),
    Case("cli-bad-report", args("report", "weekly"), 2, "unknown report 'weekly'"),
    Case("cli-bad-clock", args("list", env={"BUGTRACK_NOW_MS": "soon"}), 2, "BUGTRACK_NOW_MS"),
    Case("cli-empty-text", args("note", "1", ""), 2, "must not be empty"),
    Case("cli-merge-self", args("merge", "4", "--into", "4"), 2, "merged into itself"),
    # conflicts
    Case("cli-stale-version", args("update", "1", "--status", "triaged", "--expect-version", "99"),
         4, "not 99"),
    Case("cli-illegal-transition", args("update", "6", "--status", "triaged"), 4,
         "cannot move from closed to triaged"),
    Case("cli-live-claim", args("claim", "2", "--agent", "agent:other"), 4,
         "is claimed by agent:fixer-1"),
    Case("cli-wrong-token", args("release", "2", "--token", "0" * 32), 4,
         "(claimed by agent:fixer-1)"),
    Case("cli-stamp-tracked", args("migrate", "stamp"), 4, "already records"),
    # databases
    Case("cli-db-missing", args("list", db="missing.db", check=no_file("missing.db")), 3,
         "no database at missing.db", keep="nothing"),
    Case("cli-db-not-sqlite", with_files({"fixture.db": b"this is not a database\n"}, "list"), 1,
         "file is not a database", keep="bytes"),
    Case("cli-db-truncated", damaged(truncate, "note", "1", "x"), 1, "malformed", keep="bytes"),
    Case("cli-db-corrupt", damaged(garbage_page, "note", "1", "x"), 1, "malformed", keep="bytes"),
    Case("cli-db-newer", prepared(newer, "note", "1", "x"), 1, "is newer than this library"),
    Case("cli-db-foreign", prepared(foreign, "note", "1", "x"), 1, "not a bugtrack database",
         keep="bytes"),
    Case("cli-db-readonly", prepared(readonly_file, "note", "1", "x"), 1,
         "fixture.db: the database is read-only for you; read commands (list, show, export...) "
         "still work", as_nobody=True),
    Case("cli-db-readonly-dir", prepared(readonly_dir, "list"), 1,
         "the directory is read-only, and a WAL database needs to create its -shm file there, "
         "even to read", as_nobody=True),
    Case("cli-db-locked", args("note", "1", "x"), 4, "is locked by another process, which held it",
         slow=True, lock=True,
         timeout=secutil.TIMEOUT + 6),
    Case("cli-doctor-corrupt", damaged(garbage_page, "doctor"), 1, "quick_check",
         keep="bytes"),
    Case("cli-damaged-spool", prepared(spool(b"BTCRASH 1\ngarbage\n"), "list", check=warning_row),
         0, "BUG-00001", keep="old-rows"),
    # import and export
    Case("cli-import-not-json", with_files({"bad.json": b'{"report_id": ', "good.json": GOOD},
                                           "import", "bad.json", "good.json",
                                           check=imported("G-1")),
         1, "bad.json: not valid JSON", keep="old-rows"),
    Case("cli-import-bad-record", with_files({"bad.json": b'[{"report_id": "B-1"}, {"report_id": '
                                              b'"B-2", "status": "wibble"}]'},
                                             "import", "bad.json", check=imported()),
         1, "unknown status 'wibble'"),
    Case("cli-import-missing", args("import", "nothing.json"), 1, "No such file or directory"),
    Case("cli-export-bad-output", args("export", "logs", "-o", "no/such/dir/out.csv"), 1,
         "cannot write no/such/dir/out.csv"),
    # paths
    Case("cli-path-dotdot", prepared(path_tree, "note", "1", "through dotdot",
                                     db="sub/../fixture.db"), 0, "note added", keep="old-rows"),
    Case("cli-path-symlink", prepared(path_tree, "note", "1", "through a link", db="link.db"), 0,
         "note added", keep="old-rows"),
    Case("cli-path-dangling", prepared(path_tree, "migrate", "up", db="dangling.db",
                                       check=no_file("nowhere.db")), 1, "unable to open"),
    Case("cli-path-fifo", prepared(path_tree, "list", db="fifo"), 1, "not a regular file"),
    Case("cli-path-fifo-symlink", prepared(path_tree, "migrate", "up", db="fifo-link.db"), 1,
         "not a regular file"),
    Case("cli-path-directory", prepared(path_tree, "migrate", "up", db="dir.db"), 1,
         "is a directory"),
    Case("cli-path-no-parent", args("migrate", "up", db="no/such/x.db"), 1,
         "No such file or directory"),
    Case("cli-path-unreadable", prepared(unreadable, "list"), 1, "unable to open", as_nobody=True),
    # Refused at once when fixed; 3 s without an exit is a hang already.
    Case("cli-path-import-fifo", prepared(path_tree, "import", "reports/pipe.json"), 1,
         "import: reports/pipe.json: not a regular file", slow=True, timeout=3),
    Case("cli-path-import-device", args("import", "/dev/null"), 1,
         "import: /dev/null: not a regular file"),
    Case("cli-path-import-symlink", prepared(path_tree, "import", "reports/link.json",
                                             check=imported("P-1")), 0, "1 imported",
         keep="old-rows"),
    Case("cli-path-import-loops", prepared(path_tree, "import", "-v", "sub/../reports",
                                           check=imported("P-1", "P-2")), 0,
         "3 files: 2 imported, 1 skipped", keep="old-rows"),
    Case("cli-path-all-loops", prepared(path_tree, "migrate", "status", "--all", "dbs", db=None),
         0, "1 database:"),
    Case("cli-path-all-fifo", prepared(path_tree, "migrate", "status", "--all", "fifo", db=None),
         2, "not a directory"),
    Case("cli-path-spool-symlink", prepared(spool_symlink, "list",
                                            check=all_of(file_is("target.txt", b"not a spool\n"),
                                                         still_link("fixture.db.crash"))),
         0, "BUG-00001"),
    Case("cli-path-spool-fifo", prepared(spool_fifo, "list"), 0, "BUG-00001"),
]


class BadInput(clitest.Checker):
    name = "bad-input"

    def __init__(self, bugtrack, fixture, readme):
        super().__init__(bugtrack, fixture)
        self.readme = readme
        self.env.update({"NO_COLOR": "1", "COLUMNS": "100"})
        self.root = os.geteuid() == 0
        self.case_id = None
        self.known = {}

    def fail(self, what, detail=""):
        if self.case_id in KNOWN_BUGS:
            self.known.setdefault(self.case_id, []).append(what)
            return
        super().fail(what, detail)

    # ---- one case ----

    def start(self, c):
        """Prepare @c and start bugtrack; returns what finish() takes."""
        work = os.path.join(self.tmp, c.id)
        os.makedirs(work)
        shutil.copyfile(self.db, os.path.join(work, "fixture.db"))
        argv = c.provoke(self, c, work)
        watch = os.path.join(work, c.watch or c.db or "fixture.db")
        snap = self.snapshot(watch, c.keep)
        cmd = [self.bugtrack] + (["--db", c.db] if c.db else []) + argv
        kw = {}
        if c.as_nobody and self.root:
            os.chmod(self.tmp, 0o755)
            os.chmod(work, os.stat(work).st_mode | 0o055)
            kw = dict(user=NOBODY, group=NOBODY, extra_groups=[])
        lock = None
        if c.lock:  # another connection holds the write lock throughout
            lock = sqlite3.connect(watch, isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
        c.started = time.monotonic()
        p = subprocess.Popen(self.wrapper + cmd, cwd=work, env=dict(self.env, **c.env),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, **kw)
        return p, work, watch, snap, lock

    def snapshot(self, path, keep):
        """What @path holds; read from a copy, so that no -wal or -shm file
        appears next to it (that would change what bugtrack meets)."""
        if keep == "nothing":
            return None
        st = os.lstat(path) if os.path.lexists(path) else None
        if st is None or not os.path.exists(path) or not stat.S_ISREG(os.stat(path).st_mode):
            return ("type", st and stat.S_IFMT(st.st_mode))
        if keep == "bytes":
            return ("bytes", secutil.file_bytes(path))
        copy = os.path.join(self.tmp, "snapshot.db")
        for suffix in ("", "-wal"):
            if os.path.exists(copy + suffix):
                os.remove(copy + suffix)
            if os.path.exists(path + suffix):
                shutil.copyfile(path + suffix, copy + suffix)
        return ("rows", secutil.table_rows(copy))

    def finish(self, c, p, work, watch, snap, lock):
        try:
            # The timeout runs from the start: slow cases wait alongside the rest.
            out, err = p.communicate(timeout=max(0.1, c.timeout - (time.monotonic() - c.started)))
            rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            rc = None
        if lock:
            lock.execute("ROLLBACK")
            lock.close()
        os.chmod(work, 0o755)
        if os.path.exists(os.path.join(work, "fixture.db")):
            os.chmod(os.path.join(work, "fixture.db"), 0o600)
        self.checks += 1
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        if rc is None:
            self.fail(f"{c.id}: no exit within {c.timeout} s (a hang)")
        elif rc < 0:
            self.fail(f"{c.id}: killed by signal {-rc}", err)
        elif rc != c.code:
            self.fail(f"{c.id}: exit {rc}, expected {c.code}", f"stdout: {out[:500]}\nstderr: {err}")
        elif c.code != 0 and not err.startswith("bugtrack: "):
            self.fail(f"{c.id}: stderr does not start with 'bugtrack: '", err)
        elif c.says not in (err if c.code else out + err):
            self.fail(f"{c.id}: does not say {c.says!r}", f"stdout: {out[:500]}\nstderr: {err}")
        self.check(not re.search(r"\bBT_[A-Z_]+", err),
                   f"{c.id}: the message names a library constant", err)
        self.kept(c, watch, snap)
        if getattr(c, "check", None):
            c.check(self, work)
        return rc, err

    def kept(self, c, watch, snap):
        if snap is None:
            return
        after = self.snapshot(watch, c.keep)
        if snap[0] != after[0]:
            self.fail(f"{c.id}: {watch} changed from {snap[0]} to {after[0]}")
        elif snap[0] == "rows" and c.keep == "old-rows":
            for table, rows in snap[1].items():
                left = [r for r in rows if r not in after[1].get(table, [])]
                if table != "sqlite_sequence" and left:
                    self.fail(f"{c.id}: {len(left)} rows of {table} are gone or changed")
        elif snap != after:
            self.fail(f"{c.id}: what was stored is not all there ({c.keep})")

    def run_cases(self):
        results = {}
        order = [c for c in CASES if c.slow] + [c for c in CASES if not c.slow]
        pending = {}
        for c in order:
            if c.as_nobody and self.root and not self.can_drop():
                print(f"check_bad_input: {c.id} skipped: running as root and cannot run as "
                      f"nobody", file=sys.stderr)
                continue
            started = self.start(c)
            if c.slow:
                pending[c.id] = (c, started)
                continue
            self.case_id = c.id
            results[c.id] = self.finish(c, *started)
            self.case_id = None
            self.known_outcome(c)
        for cid, (c, started) in pending.items():
            self.case_id = cid
            results[cid] = self.finish(c, *started)
            self.case_id = None
            self.known_outcome(c)
        return results

    def known_outcome(self, c):
        if c.id not in KNOWN_BUGS:
            return
        if c.id in self.known:
            print(f"KNOWN BUG, not counted: {c.id}: {KNOWN_BUGS[c.id]}\n  " +
                  "\n  ".join(self.known[c.id]), file=sys.stderr)
        else:
            self.fail(f"{c.id} passes now: remove it from KNOWN_BUGS ({KNOWN_BUGS[c.id]})")

    def can_drop(self):
        try:
            return subprocess.run(["true"], user=NOBODY, group=NOBODY, extra_groups=[]).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False

    # ---- README.md ----

    def check_readme(self):
        listed = secutil.readme_bad_input(self.readme)
        rows = {cid: (result, line) for cid, result, line in listed}
        self.check(len(rows) > 0, "README.md has no '## Bad input' table")
        for cid in sorted({cid for cid, _, _ in listed if sum(x[0] == cid for x in listed) > 1}):
            self.fail(f"README: {cid} is in the table more than once")
        for cid in rows:
            self.check(cid.startswith(("api-", "cli-", "http-")), f"README: {cid} is neither api-*, cli-* nor http-*")
        ours = {c.id: c for c in CASES}
        theirs = {cid: r for cid, r in rows.items() if cid.startswith("cli-")}
        for cid in sorted(set(ours) - set(theirs)):
            self.fail(f"README: {cid} is not in the table")
        for cid in sorted(set(theirs) - set(ours)):
            self.fail(f"README: {cid} is in the table but not in check_bad_input.py")
        for cid in sorted(set(ours) & set(theirs)):
            result, line = theirs[cid]
            self.same(f"README: the exit code of {cid}", result, f"exit {ours[cid].code}")
            self.check(ours[cid].says in line, f"README: the row of {cid} does not quote "
                       f"{ours[cid].says!r}")

    def run_checks(self):
        t0 = time.time()
        self.run_cases()
        self.check_readme()
        print(f"check_bad_input: {len(CASES)} cli-* cases in {time.time() - t0:.1f} s")


def main(argv):
    return clitest.main(BadInput, argv, __doc__, 3)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
