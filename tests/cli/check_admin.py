#!/usr/bin/env python3
"""End-to-end tests of `bugtrack migrate` (status, up, stamp, list, --all,
--dry-run) and `bugtrack doctor`.

usage: check_admin.py BUGTRACK CLI_FIXTURE SOURCE_DIR [--update]

Builds the fixture database (cli_fixture) and a folder of databases in a
temporary directory, runs `bugtrack` with a fixed clock, COLUMNS=100 and
NO_COLOR, and compares stdout with SOURCE_DIR/golden/admin_*; --update
rewrites those goldens instead.  What varies between runs is normalised
first: the temporary directory becomes TMP, the times migrations were
applied (the library records the real time) and the -wal file's size.

The folder for --all holds a current database, an old one (tracked at
version 1), one built before migrations were tracked (version 1's tables,
no schema_migrations), a nested directory, a text file, a SQLite database
of another program, an empty file and a stray -wal file.

With BUGTRACK_CLI_BACKEND=postgresql every location is a schema on the
server the PG* variables name (clitest.Checker.location), the old and
untracked databases are built with psql from migrations/postgresql/, and
what is about files (a folder of them, damaged or missing files) is
skipped.  Where the output legitimately differs (doctor's server lines,
PostgreSQL's own migration checksums, locations that are URIs) the golden
is admin_NAME_postgresql.
"""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time

import clitest


class Checker(clitest.Checker):
    name = "admin"
    env_extra = {"COLUMNS": "100", "NO_COLOR": "1"}

    def __init__(self, bugtrack, fixture, srcdir, update=False):
        super().__init__(bugtrack, fixture, srcdir, update)
        # The backend's own migrations: their checksums are what it records.
        self.migrations = os.path.normpath(os.path.join(
            os.path.abspath(srcdir), "..", "..", "migrations",
            "postgresql" if self.postgresql else "sqlite"))

    def command(self, args, db=None):
        # Without db, no --db: --all and the usage errors name their own.
        return self.wrapper + [self.bugtrack] + (["--db", db] if db else []) + list(args)

    def normalise(self, text):
        text = text.replace(self.tmp, "TMP")
        # When migrations were applied: the library records the real time.
        text = re.sub(r"^(\d{4} .*  )\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", r"\1YYYY-MM-DD HH:MM:SS",
                      text, flags=re.M)
        text = re.sub(r'"applied_at": \d+', '"applied_at": 0', text)
        text = re.sub(r'"applied_at_iso": "[^"]*"', '"applied_at_iso": "ISO"', text)
        text = re.sub(r"^(wal +)\d+ bytes$", r"\1N bytes", text, flags=re.M)
        text = re.sub(r'"wal_bytes": \d+', '"wal_bytes": 0', text)
        # PostgreSQL: schemas are named after this process; the server's
        # version and database, and whether amcheck is installed, are the
        # cluster's.
        text = re.sub(r"cli_admin_\d+_", "cli_admin_PID_", text)
        text = re.sub(r"^(server +)PostgreSQL .*$", r"\1PostgreSQL N", text, flags=re.M)
        text = re.sub(r"^(tables in +schema \S+ of database )\S+", r"\1DB", text, flags=re.M)
        text = re.sub(r"^(integrity +)(ok \(amcheck: \d+ index(es)?\)|not checked \(amcheck.*)$",
                      r"\1AMCHECK", text, flags=re.M)
        text = re.sub(r'"amcheck_indexes": (\d+|null)', '"amcheck_indexes": 0', text)
        text = re.sub(r'("version": )"[^"]*"', r'\1"N"', text)
        text = re.sub(r'"version_num": \d+', '"version_num": 0', text)
        return re.sub(r'("database": )"[^"]*"', r'\1"DB"', text)

    def golden(self, name, args, code, db=None, per_backend=False):
        """@per_backend: the output differs on PostgreSQL, whose golden is
        admin_NAME_postgresql."""
        _, out, _ = self.expect(name, args, code, db=db)
        if name.endswith("_json"):
            self.parse_json(name, out)
        out = self.normalise(out)
        base = f"admin_{name}" + ("_postgresql" if per_backend and self.postgresql else "")
        path = os.path.join(self.golden_dir, f"{base}.{'json' if name.endswith('_json') else 'txt'}")
        self.compare_golden(name, path, out, args)
        return out

    # ---- databases ----

    def sql_file(self, name):
        return open(os.path.join(self.migrations, name), encoding="utf-8").read()

    def make_v1(self, path, tracked):
        """Version 1's tables, as bugtrack built them; recorded or not."""
        if self.postgresql and path.startswith("postgresql://"):
            text = self.sql_file("0001_initial.sql") + \
                "INSERT INTO tickets (title, created_at, updated_at) VALUES ('old', 1, 1);"
            if tracked:
                digest = hashlib.sha256(open(os.path.join(self.migrations, "0001_initial.sql"),
                                             "rb").read()).hexdigest()
                text += ("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                         " name TEXT NOT NULL, checksum TEXT NOT NULL,"
                         " applied_at BIGINT NOT NULL);"
                         f"INSERT INTO schema_migrations VALUES (1, 'initial', '{digest}', 1);")
            self.sql(path, text, create=True)
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        con = sqlite3.connect(path)
        con.executescript(self.sql_file("0001_initial.sql"))
        con.execute("INSERT INTO tickets (title, created_at, updated_at) VALUES ('old', 1, 1)")
        if tracked:
            digest = hashlib.sha256(open(os.path.join(self.migrations, "0001_initial.sql"),
                                         "rb").read()).hexdigest()
            con.executescript("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                              " name TEXT NOT NULL, checksum TEXT NOT NULL,"
                              " applied_at INTEGER NOT NULL)")
            con.execute("INSERT INTO schema_migrations VALUES (1, 'initial', ?, 1)", (digest,))
        con.commit()
        con.close()

    def sql(self, path, text, create=False):
        """Run @text on the database at @path: a file, or a schema (made
        first with @create), with psql, which keeps no session state."""
        if path.startswith("postgresql://"):
            schema = path.split("schema=", 1)[1]
            head = f"CREATE SCHEMA {schema};" if create else ""
            subprocess.run(["psql", "-qX", "-v", "ON_ERROR_STOP=1", "-1", "-c",
                            f"SET client_min_messages = warning; {head}"
                            f"SET search_path TO {schema}; {text}"],
                           check=True, stdout=subprocess.DEVNULL)
            return
        con = sqlite3.connect(path)
        con.executescript(text)
        con.commit()
        con.close()

    def make_folder(self):
        dbs = os.path.join(self.tmp, "dbs")
        os.makedirs(os.path.join(dbs, "nested", "deep"))
        shutil.copyfile(self.db, os.path.join(dbs, "current.db"))
        self.make_v1(os.path.join(dbs, "legacy.db"), tracked=False)
        self.make_v1(os.path.join(dbs, "nested", "deep", "old.db"), tracked=True)
        with open(os.path.join(dbs, "nested", "notes.txt"), "w") as f:
            f.write("not a database\n")
        self.sql(os.path.join(dbs, "inventory.sqlite"), "CREATE TABLE inventory (sku TEXT)")
        open(os.path.join(dbs, "empty.db"), "w").close()
        with open(os.path.join(dbs, "stray.db-wal"), "wb") as f:
            f.write(b"\0" * 64)
        return dbs

    def files_under(self, top):
        return sorted(os.path.relpath(os.path.join(d, f), top)
                      for d, _, fs in os.walk(top) for f in fs)

    # ---- checks ----

    def check_migrate_one(self):
        self.golden("migrate_list", ["migrate", "list"], 0, db=self.db, per_backend=True)
        self.golden("migrate_list_json", ["migrate", "list", "--json"], 0, db=self.db,
                    per_backend=True)
        _, out, _ = self.expect("migrate list --json", ["migrate", "list", "--json"], 0, db=self.db)
        listing = json.loads(out or "{}")
        migrations = listing.get("migrations", [])
        on_disk = sorted(f for f in os.listdir(self.migrations) if f.endswith(".sql"))
        self.same(f"migrate list names the {os.path.basename(self.migrations)} migrations' files",
                  [f"{m['version']:04d}_{m['name']}.sql" for m in migrations], on_disk)
        self.same("migrate list checksums are the files' SHA-256",
                  [m["checksum"] for m in migrations],
                  [hashlib.sha256(open(os.path.join(self.migrations, f), "rb").read()).hexdigest()
                   for f in on_disk])
        self.same("all applied", {m["applied"] for m in migrations}, {True})

        # stamp: a database built before migrations were tracked.
        legacy = self.location("legacy.db")
        self.make_v1(legacy, tracked=False)
        self.expect("status of an untracked database", ["migrate", "status"], 1,
                    "migrate stamp", db=legacy)
        self.expect("list of an untracked database", ["migrate", "list"], 1, "migrate stamp",
                    db=legacy)
        _, out, _ = self.expect("stamp --dry-run", ["migrate", "stamp", "--dry-run"], 0, db=legacy)
        self.same("stamp --dry-run", self.normalise(out).split(";")[0],
                  f"would stamp {self.normalise(legacy)} at schema version 1")
        self.expect("still untracked", ["migrate", "status"], 1, db=legacy)
        self.expect("stamp at a version it does not match", ["migrate", "stamp", "2"], 1,
                    "does not match schema version 2", db=legacy)
        _, out, _ = self.expect("stamp --json", ["migrate", "stamp", "--json"], 0, db=legacy)
        self.same("stamped", json.loads(out or "{}").get("stamped"), 1)
        self.expect("stamp twice", ["migrate", "stamp"], 4, "already records", db=legacy)
        self.golden("migrate_status_pending", ["migrate", "status"], 0, db=legacy)
        self.golden("migrate_up_dry_run", ["migrate", "up", "--dry-run"], 0, db=legacy)
        self.golden("migrate_up_dry_run_json", ["migrate", "up", "--dry-run", "--json"], 0,
                    db=legacy)
        _, out, _ = self.expect("up after stamp", ["migrate", "up", "--json"], 0, db=legacy)
        state = json.loads(out or "{}")
        self.same("up after stamp", (state.get("from"), state.get("up_to_date")), (1, True))
        self.expect("doctor after stamp and up", ["doctor"], 0, db=legacy)

        broken = self.location("broken.db")
        self.make_v1(broken, tracked=False)
        self.sql(broken, "ALTER TABLE error_logs DROP COLUMN host")
        self.expect("stamp of a table without a column", ["migrate", "stamp"], 1,
                    "table error_logs lacks column host", db=broken)
        self.expect("nothing stamped", ["migrate", "status"], 1, "migrate stamp", db=broken)

        self.expect("stamp of the fixture", ["migrate", "stamp"], 4, "already records",
                    db=self.db)
        if self.postgresql:
            return  # a missing file; a schema that is not there yet is empty
        missing = os.path.join(self.tmp, "missing.db")
        self.expect("up --dry-run of a missing database", ["migrate", "up", "--dry-run"], 0,
                    db=missing)
        for args in (["migrate", "stamp"], ["migrate", "list"], ["doctor"]):
            self.expect(f"{' '.join(args)} of a missing database", args, 3, "no database",
                        db=missing)
        self.same("nothing created", os.path.exists(missing), False)

    def check_usage(self):
        dbs = os.path.join(self.tmp, "dbs")
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        for args, has in ((["migrate", "list", "--dry-run"], "--dry-run goes with up or stamp"),
                          (["migrate", "status", "--dry-run"], "--dry-run"),
                          (["migrate", "stamp", "0"], "VERSION"),
                          (["migrate", "stamp", "x"], "VERSION"),
                          (["migrate", "stamp", "9999"], "VERSION"),
                          (["migrate", "status", "1"], "unexpected argument"),
                          (["migrate", "stamp", "1", "2"], "unexpected argument"),
                          (["migrate"], "missing"),
                          (["migrate", "sideways"], "unknown subcommand"),
                          (["migrate", "status", "--all"], "needs a value"),
                          (["migrate", "status", "--all", "fifo"], "not a directory or a database file"),
                          (["migrate", "status", "--all", self.db, "--all", "fifo"], "fifo"),
                          (["--db", "x.db", "migrate", "up", "--all", "dbs"], "exclude"),
                          (["doctor", "extra"], "unexpected argument"),
                          (["doctor", "--frobnicate"], "unknown option")):
            self.expect(" ".join(args), args, 2, has)
        self.expect("--all of a missing directory", ["migrate", "up", "--all", "nowhere"], 3,
                    "nowhere")
        # Every file location is looked at before anything runs.
        self.expect("--all with a missing file among others",
                    ["migrate", "up", "--all", self.db, "nowhere.db"], 3, "nowhere.db")
        for cmd in (["migrate", "--help"], ["doctor", "--help"], ["help", "doctor"]):
            _, out, _ = self.expect(" ".join(cmd), cmd, 0)
            self.checks += 1
            if not out.startswith(f"usage: bugtrack {cmd[-1] if cmd[0] == 'help' else cmd[0]}"):
                self.fail(f"{' '.join(cmd)}: no usage line", out)
        if not self.postgresql:
            self.same("no files left in dbs by usage errors", os.path.isdir(dbs), True)

    def check_all(self):
        dbs = self.make_folder()
        before = self.files_under(dbs)
        self.golden("migrate_all_status", ["migrate", "status", "--all", "dbs"], 1)
        self.golden("migrate_all_list", ["migrate", "list", "--all", "dbs"], 1)
        self.golden("migrate_all_up_dry_run", ["migrate", "up", "--all", "dbs", "--dry-run"], 1)
        self.golden("migrate_all_stamp_dry_run", ["migrate", "stamp", "--dry-run", "--all", "dbs/"],
                    0)
        self.same("dry runs change no file", self.files_under(dbs), before)
        self.expect("still untracked after dry runs", ["migrate", "status"], 1,
                    db=os.path.join(dbs, "legacy.db"))
        self.golden("migrate_all_stamp", ["migrate", "stamp", "--all", "dbs"], 0)
        self.golden("migrate_all_up", ["migrate", "up", "--all", "dbs"], 0)
        self.golden("migrate_all_status_json", ["migrate", "status", "--all", "dbs", "--json"], 0)
        self.same("--all leaves no -wal or -shm files", self.files_under(dbs), before)
        _, out, err = self.expect("stderr is quiet when not a terminal",
                                  ["migrate", "status", "--all", "dbs"], 0)
        self.same("no progress without a terminal", err, "")
        self.check_progress()
        empty = os.path.join(self.tmp, "nothing-here")
        os.makedirs(empty)
        _, out, err = self.expect("--all of an empty directory",
                                  ["migrate", "up", "--all", "nothing-here"], 0)
        self.same("summary of nothing", out, "0 databases: 0 migrated, 0 up to date, 0 failed; "
                  "0 other files ignored\n")

    def check_locations(self):
        """--all with locations named one by one: files and URIs mixed (on
        SQLite files and a directory), each reported whatever it holds."""
        old, legacy = self.location("old-all.db"), self.location("legacy-all.db")
        os.makedirs(os.path.join(self.tmp, "more"))
        self.make_v1(old if self.postgresql else os.path.join(self.tmp, "more", "old.db"),
                     tracked=True)
        self.make_v1(legacy, tracked=False)
        current = self.copy_db("current-all.db")
        # A SQLite file among the schemas; on SQLite, a directory among files.
        subprocess.run([self.fixture, os.path.join(self.tmp, "file.db")], check=True)
        with open(os.path.join(self.tmp, "notes.txt"), "w") as f:
            f.write("not a database\n")
        locations = [current, old if self.postgresql else "more", legacy, "file.db"]
        self.golden("migrate_all_locations", ["migrate", "status", "--all"] + locations
                    + ["notes.txt"], 1, per_backend=True)
        self.golden("migrate_all_locations_stamp", ["migrate", "stamp", "--all"] + locations,
                    0, per_backend=True)
        self.golden("migrate_all_locations_up", ["migrate", "up", "--all", locations[0],
                                                 "--all", locations[1]] + locations[2:],
                    0, per_backend=True)
        self.golden("migrate_all_locations_json", ["migrate", "list", "--json", "--all"]
                    + locations, 0, per_backend=True)
        if self.postgresql:
            secret = current.replace("?", "?password=hunter2&")
            # Whether the server takes that password or not (exit 0 or 1).
            _, out, err = self.run("migrate", "status", "--all", secret)
            self.check("hunter2" not in out + err, "--all shows a location's password",
                       out + err)
            self.check("?schema=" in out, "--all shows the location without its password", out)

    def check_progress(self):
        """On a terminal, --all draws a progress line on stderr and erases it."""
        ran = self.run_on_pty("--all progress check", ["migrate", "status", "--all", "dbs"],
                              stream="stderr")
        if ran is None:
            return
        rc, err, out = ran
        err, out = err.decode("utf-8", "replace"), out.decode("utf-8")
        self.same("--all on a terminal", rc, 0)
        self.checks += 1
        if "migrate: " not in err or "\033[K" not in err:
            self.fail("--all shows no progress on a terminal", repr(err))
        if "\r" in out or "\033" in out:
            self.fail("progress leaked into stdout", repr(out))

    def check_doctor(self):
        db = self.copy_db("doctor.db")
        if self.postgresql:
            # Orphans get in only with PostgreSQL's foreign-key triggers off.
            self.sql_orphans = "SET session_replication_role = replica;"
        else:
            self.sql_orphans = ""
        self.sql(db, "INSERT INTO counters VALUES ('async_dropped', 3, 1795258800000);"
                     "INSERT INTO counters VALUES ('other_counter', 0, 1795258800000);")
        self.golden("doctor", ["doctor"], 0, db=db, per_backend=True)
        self.golden("doctor_json", ["doctor", "--json"], 0, db=db, per_backend=True)
        _, out, err = self.expect("healthy doctor is quiet on stderr", ["doctor"], 0, db=db)
        self.same("healthy doctor stderr", err, "")

        # Orphans, made with foreign keys off (as the sqlite3 shell has them).
        self.sql(db, self.sql_orphans +
                     "INSERT INTO error_logs (ticket_id, level, component, message, created_at)"
                     " VALUES (999, 50, 'db', 'orphan', 1);"
                     "INSERT INTO ticket_events (ticket_id, actor, kind, created_at)"
                     " VALUES (998, 'user:x', 'note', 1);"
                     "UPDATE tickets SET duplicate_of = 997 WHERE id = 3;")
        self.golden("doctor_orphans", ["doctor"], 1, db=db, per_backend=True)
        _, out, err = self.expect("doctor finds orphans", ["doctor", "--json"], 1,
                                  "DELETE FROM error_logs", db=db)
        report = json.loads(out or "{}")
        self.same("orphan problems", [p["name"] for p in report.get("problems", [])],
                  ["orphan_logs", "orphan_events", "dangling_duplicates"])
        self.same("one stderr line per problem", len(err.splitlines()), 3)
        self.checks += 1
        if not all(line.startswith("bugtrack: ") for line in err.splitlines()):
            self.fail("doctor problems without 'bugtrack: '", err)

        # An edited migration: other commands refuse the database, doctor names it.
        edited = self.copy_db("edited.db")
        self.sql(edited, "UPDATE schema_migrations SET checksum = 'ab' || substr(checksum, 3)"
                         " WHERE version = 2")
        self.expect("list refuses an edited migration", ["list"], 1, "checksum", db=edited)
        self.expect("migrate status points to doctor", ["migrate", "status"], 1,
                    "bugtrack doctor", db=edited)
        _, out, _ = self.expect("doctor of an edited migration", ["doctor", "--json"], 1,
                                "0002_releases", db=edited)
        self.same("checksum mismatch", json.loads(out or "{}").get("schema", {})
                  .get("checksum_mismatches"), 1)

        legacy = self.location("doctor-legacy.db")
        self.make_v1(legacy, tracked=False)
        self.golden("doctor_untracked", ["doctor"], 1, db=legacy, per_backend=True)
        if self.postgresql:
            return  # the rest is about files

        # A damaged file: the integrity check reports it, nothing else is read.
        corrupt = self.copy_db("corrupt.db")
        with open(corrupt, "r+b") as f:
            f.seek(3 * 4096)
            f.write(b"Z" * 2 * 4096)
        self.golden("doctor_corrupt", ["doctor"], 1, db=corrupt)
        self.expect("doctor of a damaged file", ["doctor", "--json"], 1, "quick_check",
                    db=corrupt)

        # Not a database at all.
        text = os.path.join(self.tmp, "notes.db")
        with open(text, "w") as f:
            f.write("this is not a SQLite database, just text\n")
        self.expect("doctor of a text file", ["doctor"], 1, "not a SQLite database", db=text)

    def check_space(self):
        """doctor's quick and full checks, its free space, and vacuum: it gives
        the space back, and fails (exit 4) within the busy timeout, changing
        nothing, while another process holds the file."""
        db = self.copy_db("space.db")
        _, out, _ = self.expect("doctor --full", ["doctor", "--full"], 0, db=db)
        if not self.postgresql:
            self.check("integrity       ok (full)\n" in out, "doctor --full says so", out)
            _, out, _ = self.expect("doctor", ["doctor"], 0, db=db)
            self.check("integrity       ok (quick; --full reads every page)\n" in out,
                       "doctor says its check is the quick one", out)
        self.expect("doctor --full --frobnicate", ["doctor", "--full", "--frobnicate"], 2, db=db)
        if self.postgresql:
            _, out, _ = self.expect("vacuum", ["vacuum"], 0, db=db)
            self.check("the server keeps the space" in out, "vacuum on PostgreSQL says what it did",
                       out)
            _, out, _ = self.expect("doctor --json after vacuum", ["doctor", "--json"], 0, db=db)
            self.check("free_bytes" not in out, "no free space on PostgreSQL", out)
            return
        # 600 pages of 4 KB, then dropped: free pages that only VACUUM gives back.
        self.sql(db, "CREATE TABLE filler (x); INSERT INTO filler WITH RECURSIVE n(i) AS"
                     " (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)"
                     " SELECT randomblob(4000) FROM n; DROP TABLE filler;")
        _, out, _ = self.expect("doctor --json with free pages", ["doctor", "--json"], 0, db=db)
        before = self.parse_json("doctor", out) or {}
        self.check(before.get("free_bytes", 0) >= 600 * 4000 and before.get("vacuum_advised"),
                   "doctor counts the free pages and advises a vacuum", out)
        _, out, _ = self.expect("doctor with free pages", ["doctor"], 0, db=db)
        self.check("'bugtrack vacuum' gives it back" in out, "doctor's text advises a vacuum", out)
        size = os.path.getsize(db)
        holder = subprocess.Popen([sys.executable, "-c",
                                   "import sqlite3, sys, time\n"
                                   "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                                   "c.execute('BEGIN EXCLUSIVE'); print('held', flush=True)\n"
                                   "time.sleep(30)", db], stdout=subprocess.PIPE)
        try:
            holder.stdout.readline()
            started = time.monotonic()
            self.expect("vacuum while another process holds the file", ["vacuum"], 4,
                        "is locked by another process", db=db)
            self.check(time.monotonic() - started < 20, "vacuum gives up within the busy timeout")
        finally:
            holder.kill()
            holder.wait()
        self.same("a refused vacuum changes nothing", os.path.getsize(db), size)
        _, out, _ = self.expect("vacuum", ["vacuum"], 0, db=db)
        self.check(re.fullmatch(r"vacuumed .*space\.db: \d+ bytes given back\n", out) is not None,
                   "vacuum says how much it gave back", out)
        self.check(os.path.getsize(db) <= size - 600 * 4000, "vacuum shrinks the file",
                   f"{size} -> {os.path.getsize(db)}")
        _, out, _ = self.expect("doctor --json after vacuum", ["doctor", "--json"], 0, db=db)
        after = self.parse_json("doctor", out) or {}
        self.same("no free pages after vacuum", (after.get("free_bytes"),
                                                 after.get("vacuum_advised")), (0, False))
        self.same("vacuum keeps every ticket", after.get("rows"), before.get("rows"))

    def check_messages(self):
        """A database bugtrack cannot use: plain words and one next step."""
        old = self.location("msg-v1.db")
        self.make_v1(old, tracked=True)
        _, _, err = self.expect("an older schema", ["list"], 1,
                                "has schema version 1, older than this bugtrack's", db=old)
        self.check("run 'bugtrack migrate up'" in err and "read-write" not in err,
                   "an older schema: one next step, migrate up", err)
        untracked = self.location("msg-untracked.db")
        self.make_v1(untracked, tracked=False)
        _, _, err = self.expect("an untracked schema", ["list"], 1, "run 'bugtrack migrate stamp'",
                                db=untracked)
        self.check("migrate up" not in err, "an untracked schema: stamp, not up", err)
        self.expect("an untracked schema, writing", ["note", "1", "x"], 1,
                    "run 'bugtrack migrate stamp'", db=untracked)
        if self.postgresql:
            return
        newer = self.location("msg-newer.db")
        self.make_v1(newer, tracked=True)
        self.sql(newer, "INSERT INTO schema_migrations VALUES (999, 'future', 'x', 1)")
        _, _, err = self.expect("a newer schema", ["list"], 1, "is newer than this library",
                                db=newer)
        self.check("migrate up" not in err, "a newer schema: no 'migrate up'", err)
        foreign = self.location("msg-foreign.db")
        self.sql(foreign, "CREATE TABLE orders (id INTEGER)")
        _, _, err = self.expect("a foreign database", ["list"], 1, "is not a bugtrack database",
                                db=foreign)
        self.check("stamp" not in err and "migrate up" not in err,
                   "a foreign database: no migration advice", err)
        # A lock held past the busy timeout: who holds it and what to do.
        locked = self.location("msg-locked.db")
        report = os.path.join(self.tmp, "msg-report.json")
        with open(report, "w") as f:
            json.dump({"report_id": "M-1", "title": "to note"}, f)
        self.expect("a database to lock", ["import", report], 0, db=locked)
        con = sqlite3.connect(locked, isolation_level=None)
        con.execute("BEGIN EXCLUSIVE")
        try:
            _, _, err = self.expect("a write on a locked database", ["note", "1", "x"], 4,
                                    "msg-locked.db is locked by another process",
                                    db=locked)
            self.check("try again" in err and "database is locked" not in err,
                       "a lock: plain words and a next step", err)
        finally:
            con.rollback()
            con.close()

    def lock_holder(self, db):
        """A process that holds the lock every write of @db needs (SQLite:
        the file's; PostgreSQL: the schema's writer lock) until its stdin
        closes; returned once it holds it."""
        held = os.path.join(self.tmp, "held")
        if os.path.exists(held):
            os.unlink(held)
        if db.startswith("postgresql://"):
            schema = db.split("schema=", 1)[1]
            holder = subprocess.Popen(["psql", "-qX", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                                      stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                      text=True)
            holder.stdin.write(f"BEGIN; SET search_path TO {schema};"
                               " SELECT pg_advisory_xact_lock(1651861364,"
                               " hashtext(current_schema()));\n"
                               f"\\! touch {held}\n")
            holder.stdin.flush()
        else:
            holder = subprocess.Popen([sys.executable, "-c",
                                       "import sqlite3, sys\n"
                                       "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                                       "c.execute('BEGIN EXCLUSIVE')\n"
                                       "open(sys.argv[2], 'w').close()\n"
                                       "sys.stdin.read()\n"
                                       "c.execute('ROLLBACK')", db, held],
                                      stdin=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not os.path.exists(held) and holder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return holder

    def check_wait_notice(self):
        """A write that waits on another process's lock says so after a
        second, once, and goes on when the lock is let go."""
        db = self.location("wait.db")
        report = os.path.join(self.tmp, "wait-report.json")
        with open(report, "w") as f:
            json.dump({"report_id": "W-1", "title": "to note"}, f)
        self.expect("a database to wait on", ["import", report], 0, db=db)
        holder = self.lock_holder(db)
        try:
            started = time.monotonic()
            writer = subprocess.Popen(self.command(["note", "1", "after the wait"], db),
                                      cwd=self.tmp, env=self.env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            first = writer.stderr.readline()  # the notice, while the lock is held
            waited = time.monotonic() - started
        finally:
            holder.stdin.close()  # lets the lock go
            holder.wait(timeout=60)
        out, rest = writer.communicate(timeout=60)
        self.check(first.startswith("bugtrack: waiting: another process holds a lock on ")
                   and re.split(r"[/=]", db)[-1] in first and "(giving up after 5 s)" in first,
                   "a write waiting on a lock says so", first + rest)
        self.check(waited >= 0.9, "the notice comes after a second", f"{waited:.2f} s")
        self.same("the write goes on once the lock is let go (exit, other stderr)",
                  (writer.returncode, rest), (0, ""))
        _, out, _ = self.expect("the note is stored", ["events", "1", "--json"], 0, db=db)
        self.check("after the wait" in out, "the note is stored", out)

    def run_checks(self):
        self.check_migrate_one()
        if not self.postgresql:
            self.check_all()  # a folder of files
        self.check_locations()
        self.check_doctor()
        self.check_space()
        self.check_messages()  # last: the goldens name the schemas made before
        if not self.update:
            self.check_usage()
        self.check_wait_notice()  # after the goldens, which number the schemas


def main(argv):
    return clitest.main(Checker, argv, __doc__, 3, ("--update",))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
