#!/usr/bin/env python3
"""End-to-end tests of the bugtrack command-line tool.

usage: check_cli.py BUGTRACK CLI_FIXTURE SOURCE_DIR [--update | --smoke]

Builds the fixture database in a temporary directory, runs `bugtrack` with a
fixed clock (BUGTRACK_NOW_MS) and COLUMNS=100, and compares stdout with the
golden files in SOURCE_DIR/golden/; --update rewrites them instead.  Piped
output is never cut (whatever COLUMNS says); the goldens of GOLDEN_TTY are
what a pseudo-terminal of a given width shows, and must fit it.  It also
checks that every --json output parses, the exit codes and `bugtrack:`
messages of failures, `--help` on every command, and the changing commands
(on a copy of the database).  `export` has goldens for every table and format
(golden/export_TABLE.FORMAT; CSV is compared byte for byte, CRLF included),
and its formats are checked against each other and against list/events --json.

Set BUGTRACK_CLI_WRAPPER to run every bugtrack under a wrapper, e.g.
  BUGTRACK_CLI_WRAPPER="valgrind -q --leak-check=full --error-exitcode=99"
(about a minute under valgrind).  --smoke runs only a few goldens and
changes, which is what the meson test `cli_valgrind` does under valgrind.
"""
import csv
import io
import json
import os
import pty
import re
import subprocess
import sys
import tempfile
import unicodedata

import clitest

COMMANDS = ["list", "show", "stats", "update", "assign", "claim", "release", "renew",
            "resolve", "note", "events", "merge", "delete", "purge", "pending", "migrate",
            "export", "token"]

# `bugtrack export TABLE --format FORMAT` goldens: golden/export_TABLE.FORMAT.
EXPORT_TABLES = ["tickets", "logs", "events"]
EXPORT_FORMATS = ["csv", "json", "ndjson"]

# name: arguments (and extra environment).  Names ending in _json are JSON
# goldens; the others are piped, hence never cut (no "…").
GOLDEN = {
    "list_piped_narrow_columns": (["list", "--status", "open"], {"COLUMNS": "60"}),
    "list": ["list"],
    "list_json": ["list", "--json"],
    "list_open_by_count": ["list", "--status", "open", "--sort", "count"],
    "list_filtered": ["list", "--severity-min", "critical", "--component", "db",
                      "--since", "2026-11-20", "--until", "2026-11-21T11:00Z"],
    "list_regressed": ["list", "--regressed"],
    "list_claimed": ["list", "--claimed"],
    "list_overdue_unclaimed": ["list", "--overdue", "--unclaimed", "--sort", "severity"],
    "list_search": ["list", "--search", "CHECKOUT", "--assignee", "nobody"],
    "list_search_hit": ["list", "--search", "checkout"],
    "list_empty_json": ["list", "--status", "awaiting_verification", "--json"],
    "show": ["show", "BUG-00001"],
    "show_json": ["show", "1", "--json"],
    "show_claimed": ["show", "bug-2", "--logs", "1"],
    "show_resolved": ["show", "3", "--logs", "0"],
    "show_report": ["show", "5"],
    "show_escapes": ["show", "7"],
    "show_escapes_json": ["show", "7", "--json"],
    "stats": ["stats"],
    "stats_json": ["stats", "--json"],
    "events": ["events", "3"],
    "events_json": ["events", "1", "--json"],
    "pending": ["pending"],
    "pending_json": ["pending", "--json"],
    "pending_agent": ["pending", "--agent", "agent:fixer-1", "--max-attempts", "2"],
    "migrate_status": ["migrate", "status"],
    "migrate_status_json": ["migrate", "status", "--json"],
}


# name: (arguments, terminal width): stdout on a pseudo-terminal that wide
# (COLUMNS says otherwise, and loses); every line must fit.
GOLDEN_TTY = {
    "list_narrow": (["list", "--status", "open"], 60),
    "list_wide": (["list"], 200),
    "pending_narrow": (["pending"], 60),
    "show_narrow": (["show", "5", "--logs", "1"], 60),
    "events_narrow": (["events", "3"], 60),
}


def display_width(text):
    """Terminal columns of @text, as tools/width.c counts them."""
    w = 0
    for c in text:
        cat = unicodedata.category(c)
        if cat in ("Mn", "Me") or (cat == "Cf" and c != "\u00ad") or "\u1160" <= c <= "\u11ff":
            continue
        w += 2 if unicodedata.east_asian_width(c) in "WF" else 1
    return w


class Checker(clitest.Checker):
    name = "cli"
    env_extra = {"COLUMNS": "100"}

    # ---- goldens ----

    @staticmethod
    def normalize(text):
        # The pid of the fixture process is the only varying value.
        return re.sub(r'"pid":( ?)\d+', r'"pid":\g<1>0', text)

    def check_fits(self, name, text, columns):
        """No line of @text is wider than @columns: none wraps."""
        self.checks += 1
        for line in text.splitlines():
            if display_width(line) > columns:
                self.fail(f"{name}: a line is wider than {columns}", line)
                return

    def on_tty(self, name, args, columns, db=None):
        """stdout of `bugtrack @args` on a @columns-wide terminal, as text
        with LF line ends, or None (no pseudo-terminal, or it failed)."""
        ran = self.run_on_pty(name, args, columns=columns, db=db)
        if ran is None:
            return None
        rc, out, err = ran
        self.checks += 1
        if rc != 0:
            self.fail(f"{name}: exit {rc} on a terminal", err)
            return None
        return re.sub(r"\x1b\[[0-9;]*m", "", out.decode("utf-8")).replace("\r\n", "\n")

    def golden(self, name, spec):
        args, env = spec if isinstance(spec, tuple) else (spec, {})
        rc, out, err = self.expect(f"golden {name}", args, 0, env=env)
        if rc != 0:
            return
        if name.endswith("_json"):
            self.parse_json(name, out)
        else:
            self.checks += 1
            if "\u2026" in out:
                self.fail(f"golden {name}: piped output is cut", out)
        out = self.normalize(out)
        path = os.path.join(self.golden_dir, name + (".json" if name.endswith("_json") else ".txt"))
        self.compare_golden(name, path, out, args)

    def check_goldens(self):
        for name, spec in GOLDEN.items():
            self.golden(name, spec)
        for name, (args, columns) in GOLDEN_TTY.items():
            out = self.on_tty(f"golden {name}", args, columns)
            if out is not None:
                self.check_fits(f"golden {name}", out, columns)
                self.compare_golden(name, os.path.join(self.golden_dir, name + ".txt"), out, args)
        self.check_export_goldens()

    # ---- export ----

    def parse_ndjson(self, what, text):
        self.checks += 1
        if text and not text.endswith("\n"):
            self.fail(f"{what}: the last line does not end with a newline")
        objs = []
        for n, line in enumerate(text.split("\n")[:-1], 1):
            try:
                objs.append(json.loads(line))
            except ValueError as e:
                self.fail(f"{what}: line {n} is not JSON: {e}", line)
                return None
        return objs

    @staticmethod
    def normalize_csv(rows):
        """CSV text of @rows with the pid column zeroed (the fixture's pid varies)."""
        out = io.StringIO(newline="")
        if rows and "pid" in rows[0]:
            i = rows[0].index("pid")
            rows = [rows[0]] + [r[:i] + ["0"] + r[i + 1:] for r in rows[1:]]
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        return out.getvalue()

    def check_export_goldens(self):
        """Every table in every format; the formats agree with each other."""
        for table in EXPORT_TABLES:
            parsed = {}
            for fmt in EXPORT_FORMATS:
                args = ["export", table, "--format", fmt]
                name = f"export_{table}.{fmt}"
                rc, out, err = self.expect(f"golden {name}", args, 0)
                if rc != 0:
                    continue
                self.same(f"{name}: stderr is quiet when not a terminal", err, "")
                if fmt == "csv":
                    parsed[fmt] = rows = self.parse_csv(name, out)
                    if rows is None:
                        continue
                    out = self.normalize_csv(rows)
                elif fmt == "json":
                    parsed[fmt] = self.parse_json(name, out)
                    out = self.normalize(out)
                else:
                    parsed[fmt] = self.parse_ndjson(name, out)
                    out = self.normalize(out)
                self.compare_golden(name, os.path.join(self.golden_dir, name), out, args)
            if self.update or any(parsed.get(f) is None for f in EXPORT_FORMATS):
                continue
            rows, array, lines = parsed["csv"], parsed["json"], parsed["ndjson"]
            self.same(f"export {table}: CSV rows = JSON array length", len(rows) - 1, len(array))
            self.same(f"export {table}: NDJSON = JSON", lines, array)
            if array:
                keys = [k for k in array[0] if not k.endswith("_iso")]
                self.same(f"export {table}: CSV header = JSON keys", rows[0], keys)
                self.same(f"export {table}: one CSV row per record", len(rows[1]), len(keys))

    def check_tty(self):
        """On a terminal the table fits its width, whatever COLUMNS says."""
        ran = self.run_on_pty("terminal-width check", ["list"], columns=90)
        if ran is None:
            return
        rc, out, _ = ran
        # Colour escapes take no columns on the terminal.
        text = re.sub(r"\x1b\[[0-9;]*m", "", out.decode("utf-8"))
        lines = text.replace("\r\n", "\n").splitlines()
        self.checks += 1
        if rc != 0 or len(lines) < 2 or max(len(l) for l in lines) != 90:
            self.fail("list on a 90-column terminal", "\n".join(lines))

    def check_wide_text(self):
        """CJK and emoji take 2 columns, combining marks none: on a terminal
        60 columns wide no row wraps and show wraps between words; piped,
        grep finds each whole title."""
        title = "数据库连接失败 🚀 e\u0301te\u0301 " + " ".join(["word%d" % i for i in range(30)])
        tmp = tempfile.mkdtemp(dir=self.tmp)
        with open(os.path.join(tmp, "wide.json"), "w", encoding="utf-8") as f:
            json.dump([{"report_id": "R-WIDE-1", "title": title, "status": "new",
                        "submitted_at": 1795000000, "component": "数据库",
                        "description": title}], f, ensure_ascii=False)
        db = self.location("wide.db")
        self.expect("import a wide title", ["import", tmp], 0, db=db)
        _, out, _ = self.expect("list piped", ["list"], 0, db=db)
        self.checks += 1
        if title not in out:
            self.fail("list piped: the whole title is not there", out)
        for columns in (60, 80, 45):
            out = self.on_tty(f"list at {columns}", ["list"], columns, db=db)
            if out is None:
                return
            self.check_fits(f"list on a {columns}-column terminal", out, columns)
            self.checks += 1
            row = out.splitlines()[1]
            if not row.startswith("BUG-00001") or not row.endswith("\u2026") or \
                    display_width(row) != columns:
                self.fail(f"list at {columns}: the title does not fill the row", out)
        out = self.on_tty("show at 60", ["show", "1", "--logs", "0"], 60, db=db)
        if out is None:
            return
        self.check_fits("show on a 60-column terminal", out, 60)
        lines = out.splitlines()
        start = next(i for i, l in enumerate(lines) if l.startswith("  description"))
        text = [lines[start][23:]]
        for line in lines[start + 1:]:
            if not line.startswith(" " * 23):
                break
            text.append(line[23:])
        self.checks += 1
        if len(text) < 3 or " ".join(text) != title:
            self.fail("show at 60: the description is not wrapped between words, whole", out)

    # ---- read commands ----

    def check_paging(self):
        _, full, _ = self.expect("list --json", ["list", "--json", "--sort", "count"], 0)
        everything = [t["number"] for t in self.parse_json("list", full) or []]
        seen, cursor = [], None
        for _ in range(10):
            args = ["list", "--json", "--sort", "count", "--limit", "3"]
            if cursor:
                args += ["--cursor", cursor]
            _, out, err = self.expect("list --limit 3", args, 0)
            seen += [t["number"] for t in self.parse_json("page", out) or []]
            m = re.search(r"^next page: --cursor (\S+)$", err, re.M)
            if not m:
                break
            cursor = m.group(1)
        self.checks += 1
        if seen != everything:
            self.fail("paging with --limit/--cursor", f"pages {seen}\nwhole {everything}")
        self.expect("cursor of another sort", ["list", "--cursor", cursor or "x"], 2)

    def check_changed_since(self):
        """--changed-since T lists exactly the tickets updated or occurring at
        or after T, in every sort and across --cursor pages."""
        _, full, _ = self.expect("list --json", ["list", "--json"], 0)
        tickets = self.parse_json("list", full) or []
        for when, ms in (("2026-11-21T11:15Z", 1795259700000), ("2026-11-20", 1795132800000),
                         ("26h", clitest.NOW_MS - 26 * 3600 * 1000)):
            want = {t["number"] for t in tickets
                    if t["updated_at"] >= ms or (t["last_occurred_at"] or 0) >= ms}
            self.checks += 1
            if not want or want == {t["number"] for t in tickets}:
                self.fail(f"--changed-since {when}: the fixture does not tell it from no filter")
            for sort in ("last", "count", "severity", "created"):
                args = ["list", "--json", "--changed-since", when, "--sort", sort]
                _, out, _ = self.expect(f"list --changed-since {when} --sort {sort}", args, 0)
                whole = [t["number"] for t in self.parse_json("list", out) or []]
                self.same(f"--changed-since {when} --sort {sort}", sorted(whole), sorted(want))
                seen, cursor = [], None
                for _ in range(10):
                    page = args + ["--limit", "2"] + (["--cursor", cursor] if cursor else [])
                    _, out, err = self.expect(f"list --changed-since {when} --limit 2", page, 0)
                    seen += [t["number"] for t in self.parse_json("page", out) or []]
                    m = re.search(r"^next page: --cursor (\S+)$", err, re.M)
                    if not m:
                        break
                    cursor = m.group(1)
                self.same(f"--changed-since {when} --sort {sort}, by pages", seen, whole)
        self.expect("bad --changed-since", ["list", "--changed-since", "lately"], 2, "not a time")
        self.expect("--changed-since on logs", ["export", "logs", "--changed-since", "1d"], 2,
                    "does not apply")

    def check_errors(self):
        missing = os.path.join(self.tmp, "missing.db")
        for cmd in (["list"], ["show", "1"], ["stats"], ["events", "1"], ["pending"],
                    ["update", "1", "--status", "triaged"], ["note", "1", "hi"],
                    ["purge", "--days", "1"], ["migrate", "status"]):
            self.expect(f"missing database: {cmd[0]}", cmd, 3, "no database", db=missing)
        self.checks += 1
        if os.path.exists(missing):
            self.fail("a command created the missing database")
        self.expect("unknown command", ["frobnicate"], 2, "unknown command")
        self.expect("no command", [], 2)
        self.expect("unknown option", ["list", "--frobnicate"], 2, "unknown option")
        self.expect("missing option value", ["list", "--limit"], 2, "needs a value")
        self.expect("bad date", ["list", "--since", "last week"], 2, "not a time")
        self.expect("bad date (Feb 30)", ["list", "--until", "2026-02-30"], 2, "not a time")
        self.expect("bad id", ["show", "BUG-x"], 2, "not a ticket id")
        self.expect("no such ticket", ["show", "999"], 3, "bugtrack list")
        # A trace id names the ticket its occurrence landed on (BUG-00002's).
        rc, out, err = self.expect("show by trace id", ["show", "trace-b2", "--json"], 0)
        self.check(rc == 0 and json.loads(out)["ticket"]["number"] == "BUG-00002",
                   "show trace-b2: BUG-00002", out[:200])
        self.expect("no such trace id", ["show", "trace-none"], 2,
                    "no external id or trace id matches it")
        self.expect("unknown status", ["list", "--status", "new,bogus"], 2,
                    "unknown status 'bogus'")
        self.expect("unknown status (update)", ["update", "1", "--status", "done"], 2,
                    "unknown status")
        self.expect("unknown severity", ["list", "--severity-min", "huge"], 2)
        self.expect("unknown sort", ["list", "--sort", "name"], 2)
        self.expect("bad limit", ["list", "--limit", "0"], 2)
        self.expect("claimed and unclaimed", ["list", "--claimed", "--unclaimed"], 2)
        self.expect("extra argument", ["show", "1", "2"], 2, "unexpected argument")
        self.expect("missing ticket", ["show"], 2, "missing TICKET")
        self.expect("migrate what", ["migrate", "sideways"], 2)
        self.expect("bad clock", ["list"], 2, "BUGTRACK_NOW_MS", env={"BUGTRACK_NOW_MS": "soon"})
        # Past year 9999 (the library's last time), INT64_MAX included.
        for late in ("253402300800000", "9223372036854775807"):
            self.expect(f"clock at {late}", ["claim", "1", "--agent", "agent:x"], 2,
                        "9999-12-31", env={"BUGTRACK_NOW_MS": late})

    def check_export(self):
        # The JSON export of tickets is `list --json`, and of events `events --json`.
        _, listed, _ = self.expect("list --json", ["list", "--json", "--sort", "count"], 0)
        _, exported, _ = self.expect("export tickets", ["export", "tickets", "--format", "json",
                                                        "--sort", "count"], 0)
        self.same("export tickets --format json = list --json", exported, listed)
        _, out, _ = self.expect("export events", ["export", "events", "--format", "json"], 0)
        events = self.parse_json("export events", out) or []
        _, out, _ = self.expect("events 3", ["events", "3", "--json"], 0)
        self.same("export events of BUG-00003 = events --json",
                  [[(k, v) for k, v in e.items() if k != "ticket_number"]
                   for e in events if e["ticket_number"] == "BUG-00003"],
                  [list(e.items()) for e in self.parse_json("events", out) or []])
        _, out, _ = self.expect("export events --ticket", ["export", "events", "--ticket",
                                                           "bug-3", "--format", "ndjson"], 0)
        self.same("export events --ticket", [e["ticket_id"] for e in
                                             self.parse_ndjson("events", out) or []],
                  [e["ticket_id"] for e in events if e["ticket_id"] == 3])
        # Log filters, checked against the unfiltered export.
        _, out, _ = self.expect("export logs", ["export", "logs", "--format", "json"], 0)
        logs = self.parse_json("export logs", out) or []
        _, out, _ = self.expect("export logs filtered",
                                ["export", "logs", "--format", "ndjson", "--ticket", "BUG-00001",
                                 "--component", "db", "--level-min", "error",
                                 "--since", "2026-11-15", "--until", "2026-11-21T10:00Z"], 0)
        self.same("export logs filters", [e["id"] for e in self.parse_ndjson("logs", out) or []],
                  [e["id"] for e in logs if e["ticket_id"] == 1 and e["component"] == "db" and
                   e["level"] >= 40 and "2026-11-15" <= e["created_at_iso"] < "2026-11-21T10:00"])
        # --level is exact; --level-min is at least (the fixture has both).
        found = {}
        for opt, keep in (("--level", lambda lv: lv == 40), ("--level-min", lambda lv: lv >= 40)):
            _, out, _ = self.expect(f"export logs {opt} error",
                                    ["export", "logs", "--format", "ndjson", opt, "error"], 0)
            found[opt] = [e["id"] for e in self.parse_ndjson("logs", out) or []]
            self.same(f"export logs {opt} error", found[opt],
                      [e["id"] for e in logs if keep(e["level"])])
        self.check(0 < len(found["--level"]) < len(found["--level-min"]),
                   "export logs: --level error finds fewer rows than --level-min error", found)
        _, out, _ = self.expect("export tickets filtered", ["export", "tickets", "--status", "open",
                                                            "--severity-min", "critical"], 0)
        _, listed, _ = self.expect("list filtered", ["list", "--status", "open", "--severity-min",
                                                     "critical", "--json"], 0)
        self.same("export tickets filters = list filters",
                  [r[1] for r in (self.parse_csv("export tickets", out) or [[]])[1:]],
                  [t["number"] for t in self.parse_json("list", listed) or []])
        # -o FILE: the file, and nothing on stdout.
        path = os.path.join(self.tmp, "export.csv")
        _, out, err = self.expect("export -o", ["export", "logs", "-o", path], 0)
        self.same("export -o: stdout", (out, err), ("", ""))
        _, want, _ = self.expect("export logs csv", ["export", "logs"], 0)
        self.checks += 1
        try:
            with open(path, encoding="utf-8", newline="") as f:
                if f.read() != want:
                    self.fail("export -o FILE differs from stdout")
        except OSError as e:
            self.fail(f"export -o FILE: {e}")
        self.expect("export --output bad dir", ["export", "events", "--output",
                                                os.path.join(self.tmp, "no", "x")], 1, "cannot write")
        # Usage errors.
        self.expect("export bad format", ["export", "logs", "--format", "xml"], 2, "unknown format")
        self.expect("export no table", ["export"], 2, "missing TABLE")
        self.expect("export bad table", ["export", "users"], 2, "unknown table")
        self.expect("export filter of another table", ["export", "logs", "--status", "open"], 2,
                    "does not apply")
        self.expect("export events --component", ["export", "events", "--component", "db"], 2)
        self.expect("export bad level", ["export", "logs", "--level-min", "loud"], 2)
        self.expect("export bad ticket", ["export", "logs", "--ticket", "BUG-x"], 2)
        self.expect("export no such ticket", ["export", "events", "--ticket", "999"], 3)
        self.expect("export since after until", ["export", "logs", "--since", "2026-11-21",
                                                 "--until", "2026-11-20"], 2)
        self.check_export_file(want)
        # Streaming: the export of every log row runs in a bounded address space.
        self.check_export_streaming()

    def check_export_file(self, want):
        """-o FILE is made 0600 whatever the umask, replaces a file of another
        mode, leaves no temporary file, and a failed export (a file-size limit
        in the middle) leaves the file as it was, never half an export."""
        import resource
        import signal
        import stat

        path = os.path.join(self.tmp, "private.csv")
        with open(path, "w") as f:
            f.write("the previous export\n")
        os.chmod(path, 0o644)

        def umask0():
            os.umask(0)

        cmd = self.command(["export", "logs", "-o", path])
        p = subprocess.run(cmd, capture_output=True, env=self.env, timeout=60, cwd=self.tmp,
                           preexec_fn=umask0)
        self.same("export -o under umask 0: exit", p.returncode, 0)
        self.same("export -o FILE: mode", stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path, encoding="utf-8", newline="") as f:
            self.same("export -o FILE replaced: content", f.read(), want)
        leftovers = [n for n in os.listdir(self.tmp) if n.startswith("private.csv.")]
        self.same("export -o: no temporary file left", leftovers, [])
        if self.wrapper:
            return
        with open(path, "w") as f:
            f.write("the previous export\n")
        # A database whose export is 200 kB, for a failure half-way.
        big = os.path.join(self.tmp, "big.db")
        report = os.path.join(self.tmp, "big.json")
        with open(report, "w") as f:
            json.dump({"report_id": "long-1", "title": "a long report",
                       "description": "x" * 200000}, f)
        self.expect("import a long report", ["import", report], 0, db=big)
        cmd = self.command(["export", "tickets", "--format", "json", "-o", path], db=big)

        def small_fsize():
            # Past 64 KiB (more than SQLite's 32 KiB -shm file needs) a
            # write fails with EFBIG (SIGXFSZ ignored).
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))

        p = subprocess.run(cmd, capture_output=True, env=self.env, timeout=60, cwd=self.tmp,
                           preexec_fn=small_fsize)
        self.same("export -o past the file-size limit: exit", p.returncode, 1)
        self.check(b"cannot write" in p.stderr, "export -o past the limit: message",
                   p.stderr.decode("utf-8", "replace"))
        with open(path, encoding="utf-8") as f:
            kept = f.read()
        self.check(kept == "the previous export\n", "a failed export leaves FILE as it was",
                   f"FILE holds {len(kept)} bytes: {kept[:60]!r}...")
        leftovers = [n for n in os.listdir(self.tmp) if n.startswith("private.csv.")]
        self.same("a failed export leaves no temporary file", leftovers, [])

    def check_export_streaming(self):
        """`export logs` under a 64 MB address-space limit (cheap on the fixture;
        it proves nothing at scale, but catches a gross buffering change)."""
        if self.wrapper:
            return
        # A sanitizer reserves terabytes of shadow address space at start-up,
        # so no address-space limit can hold it: skip, and say so.
        linked = subprocess.run(["ldd", self.bugtrack], capture_output=True, text=True).stdout
        if "libasan" in linked or "libtsan" in linked:
            print("check_cli: sanitized build: address-space check skipped", file=sys.stderr)
            return
        import resource

        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (64 << 20, 64 << 20))

        cmd = [self.bugtrack, "--db", self.db, "export", "logs", "--format", "ndjson"]
        p = subprocess.run(cmd, capture_output=True, env=self.env, timeout=60, preexec_fn=limit)
        self.checks += 1
        if p.returncode != 0:
            self.fail("export logs under ulimit -v 64M", p.stderr.decode("utf-8", "replace"))

    def check_help(self):
        rc, out, _ = self.expect("--help", ["--help"], 0)
        for needle in COMMANDS + ["exit codes", "BUGTRACK_NOW_MS"]:
            self.checks += 1
            if needle not in out:
                self.fail(f"--help does not mention {needle!r}")
        self.expect("help", ["help"], 0)
        self.expect("help unknown", ["help", "frobnicate"], 2)
        # Under a (slow) wrapper one form per command is enough.
        forms = 1 if self.wrapper else 3
        for cmd in COMMANDS:
            for form in ([cmd, "--help"], [cmd, "-h"], ["help", cmd])[:forms]:
                _, out, _ = self.expect(" ".join(form), form, 0)
                self.checks += 1
                if not out.startswith(f"usage: bugtrack {cmd}"):
                    self.fail(f"{' '.join(form)}: no usage line", out)
        _, out, _ = self.expect("--version", ["--version"], 0)
        self.checks += 1
        if not re.fullmatch(r"bugtrack \d+\.\d+\.\d+\n", out):
            self.fail("--version", out)

    # ---- changing commands, on a copy ----

    def ticket(self, db, number):
        _, out, _ = self.expect(f"show {number}", ["show", number, "--json"], 0, db=db)
        return (self.parse_json("show", out) or {}).get("ticket", {})

    def check_claims(self, db):
        self.expect("second claim", ["claim", "2", "--agent", "agent:other"], 4,
                    "claimed by agent:fixer-1", db=db)
        _, token, _ = self.expect("claim", ["claim", "5", "--agent", "agent:t", "--lease", "60"],
                                  0, db=db)
        self.checks += 1
        if not re.fullmatch(r"[0-9a-f]{32}\n", token):
            self.fail("claim prints only the token", token)
        token = token.strip()
        self.expect("claim again", ["claim", "5", "--agent", "agent:u"], 4, db=db)
        self.expect("wrong token", ["update", "5", "--status", "triaged", "--token", "0" * 32],
                    4, db=db)
        self.expect("renew", ["renew", "5", "--token", token, "--lease", "120"], 0, db=db)
        self.same("renewed expiry", self.ticket(db, "5").get("claim_expires_at"),
                  clitest.NOW_MS + 120000)
        self.expect("update with token", ["update", "5", "--status", "in_progress", "--token",
                                          token, "--note", "on it"], 0, db=db)
        self.expect("release", ["release", "5", "--token", token], 0, db=db)
        self.expect("release twice", ["release", "5", "--token", token], 4, db=db)
        self.expect("release without token", ["release", "5"], 2, db=db)
        self.expect("claim without agent", ["claim", "5"], 2, db=db)
        self.expect("claim resolved", ["claim", "3", "--agent", "agent:t"], 4, db=db)

    def check_changes(self):
        self.check_changes_more()
        db = self.copy_db("changes.db")
        self.check_claims(db)
        version = self.ticket(db, "1")["version"]
        self.expect("stale version", ["update", "1", "--status", "triaged", "--expect-version",
                                      str(version + 7)], 4, "version", db=db)
        _, out, _ = self.expect("update", ["update", "1", "--status", "triaged", "--expect-version",
                                           str(version)], 0, db=db)
        self.same("update output", out, f"BUG-00001: new -> triaged (version {version + 1})\n")
        self.expect("forbidden move", ["update", "1", "--status", "new"], 4, "cannot move", db=db)
        self.expect("assign", ["assign", "1", "bob", "--actor", "user:lead"], 0, db=db)
        self.same("assignee", self.ticket(db, "1")["assignee"], "bob")
        self.expect("assign and --none", ["assign", "1", "bob", "--none"], 2, db=db)
        self.expect("unassign", ["assign", "1", "--none"], 0, db=db)
        self.same("unassigned", self.ticket(db, "1")["assignee"], None)
        self.expect("note", ["note", "1", "a \"quoted\" note"], 0, db=db)
        self.expect("empty note", ["note", "1", ""], 2, db=db)
        self.expect("resolve", ["resolve", "1", "--notes", "fixed", "--commit", "abc1234",
                                "--release", "1.5.0"], 0, db=db)
        t = self.ticket(db, "1")
        self.same("resolved", (t["status"], t["resolution_commit"], t["resolved_release"],
                               t["resolved_by"]), ("resolved", "abc1234", "1.5.0", "user:tester"))
        _, out, _ = self.expect("events after changes", ["events", "1", "--json"], 0, db=db)
        kinds = [e["kind"] for e in self.parse_json("events", out) or []]
        self.checks += 1
        if "note" not in kinds or "resolved" not in kinds:
            self.fail("events lack the note or the resolution", str(kinds))
        self.expect("merge into itself", ["merge", "4", "--into", "4"], 2, db=db)
        self.expect("merge", ["merge", "7", "--into", "4"], 0, db=db)
        self.same("merged", self.ticket(db, "7")["duplicate_of"], 4)
        self.expect("merge again", ["merge", "7", "--into", "4"], 4, db=db)
        self.expect("delete", ["delete", "5"], 0, db=db)
        self.expect("deleted", ["show", "5"], 3, db=db)
        self.check_purge(db)

    def events_of(self, db, num):
        _, out, _ = self.expect(f"events {num}", ["events", num, "--json"], 0, db=db)
        return self.parse_json("events", out) or []

    def check_changes_more(self):
        """update's new fields and several tickets, no-op moves, renew and
        release with --actor, resolve twice, delete's count and question."""
        db = self.copy_db("changes_more.db")
        v1, v4 = self.ticket(db, "1")["version"], self.ticket(db, "4")["version"]
        rc, out, err = self.expect("update several", [
            "update", "1", "4", "--severity", "low", "--priority", "urgent",
            "--category", "net"], 0, db=db)
        self.same("update several: a line each", out,
                  f"BUG-00001: severity low, priority urgent, category net (version {v1 + 3})\n"
                  f"BUG-00004: severity low, priority urgent, category net (version {v4 + 3})\n")
        t = self.ticket(db, "4")
        self.same("update several: fields", (t["severity"], t["priority"], t["category"]),
                  ("low", "urgent", "net"))
        self.expect("update clears the category", ["update", "4", "--category", ""], 0, db=db)
        self.same("category cleared", self.ticket(db, "4")["category"], None)
        rc, out, err = self.expect("update with a missing ticket", [
            "update", "999", "1", "--priority", "low"], 3, "no ticket 999", db=db)
        self.same("the others are still changed", self.ticket(db, "1")["priority"], "low")
        self.expect("update with nothing to change", ["update", "1"], 2, db=db)
        self.expect("update: unknown priority", ["update", "1", "--priority", "p9"], 2, db=db)
        self.expect("--expect-version with several", [
            "update", "1", "4", "--priority", "low", "--expect-version", "3"], 2, db=db)
        status, version = self.ticket(db, "1")["status"], self.ticket(db, "1")["version"]
        rc, out, err = self.expect("move to the same status", [
            "update", "1", "--status", status], 0, db=db)
        self.same("same status: a no-op", (out, self.ticket(db, "1")["version"]),
                  (f"BUG-00001: already {status} (version {version})\n", version))
        self.expect("a refused move lists the allowed ones", [
            "update", "6", "--status", "triaged"], 4, "it can move to: new", db=db)
        # One transaction (bt_ticket_change): a refused status move leaves
        # the priority given with it unchanged, and a move that ends the
        # claim does not refuse the fields given with the claim's token.
        before = self.ticket(db, "6")
        self.expect("update: refused move with a field", [
            "update", "6", "--priority", "urgent", "--status", "triaged"], 4, db=db)
        after = self.ticket(db, "6")
        self.same("update: all or none", (after["priority"], after["version"]),
                  (before["priority"], before["version"]))
        _, token4, _ = self.expect("claim 4", ["claim", "4", "--agent", "agent:t"], 0, db=db)
        v4 = self.ticket(db, "4")["version"]
        _, out, _ = self.expect("update: close with the token and a field", [
            "update", "4", "--status", "closed", "--priority", "high", "--token",
            token4.strip()], 0, db=db)
        self.same("update: one line, every field", out,
                  f"BUG-00004: new -> closed, priority high (version {v4 + 2})\n")
        t4 = self.ticket(db, "4")
        self.same("update: both changed", (t4["status"], t4["priority"], t4["claimed_by"]),
                  ("closed", "high", None))
        _, token, _ = self.expect("claim", ["claim", "1", "--agent", "agent:t"], 0, db=db)
        token = token.strip()
        self.expect("renew --actor", ["renew", "1", "--token", token, "--actor", "agent:t",
                                      "--note", "half way"], 0, db=db)
        self.expect("renew --actor ''", ["renew", "1", "--token", token, "--actor", ""], 2,
                    db=db)
        self.expect("release --actor", ["release", "1", "--token", token, "--actor",
                                        "agent:t"], 0, db=db)
        got = [(e["kind"], e["actor"], e["note"]) for e in self.events_of(db, "1")
               if e["kind"] in ("claim_renewed", "claim_released")]
        self.same("renew and release name the actor", got,
                  [("claim_renewed", "agent:t", "half way"), ("claim_released", "agent:t", None)])
        self.expect("resolve", ["resolve", "1", "--notes", "fixed"], 0, db=db)
        version = self.ticket(db, "1")["version"]
        rc, out, err = self.expect("resolve again", ["resolve", "1", "--notes", "fixed"], 0, db=db)
        self.same("resolve again: nothing changed",
                  (out, self.ticket(db, "1")["version"],
                   [e["kind"] for e in self.events_of(db, "1")].count("resolved")),
                  (f"BUG-00001: already resolved, nothing changed (version {version})\n",
                   version, 1))
        self.expect("resolve with new notes", ["resolve", "1", "--notes", "really"], 0, db=db)
        self.same("a new resolution is in the trail",
                  [e["kind"] for e in self.events_of(db, "1")].count("resolved"), 2)
        n_events = len(self.events_of(db, "4"))
        occurrences = self.ticket(db, "4")["occurrence_count"]
        rc, out, err = self.run("delete", "4", db=db)
        self.same("delete from a script", (rc, out, err),
                  (0, "BUG-00004: deleted\n",
                   f"deleted 1 ticket (BUG-00004), {n_events} events, {occurrences} occurrences"
                   " with their log rows\n"))
        self.check_delete_terminal(db)

    def check_delete_terminal(self, db):
        """On a terminal, delete asks; "n" keeps the ticket, --yes does not ask."""
        try:
            master, slave = pty.openpty()
        except OSError as e:
            print(f"check_{self.name}: no pseudo-terminal ({e}): delete's question skipped",
                  file=sys.stderr)
            return
        p = subprocess.Popen(self.command(["delete", "2"], db), cwd=self.tmp, env=self.env,
                             stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(slave)
        os.write(master, b"n\n")
        out, err = p.communicate(timeout=60)
        os.close(master)
        self.same("delete on a terminal, answered n", (p.returncode, out),
                  (1, b""))
        self.check(b"this deletes 1 ticket (BUG-00002)" in err and b"[y/N]" in err
                   and b"nothing deleted" in err, f"delete asks first: {err!r}")
        self.same("kept", self.ticket(db, "2")["number"], "BUG-00002")
        master, slave = pty.openpty()
        p = subprocess.Popen(self.command(["delete", "2", "--yes"], db), cwd=self.tmp,
                             env=self.env, stdin=slave, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        os.close(slave)
        out, err = p.communicate(timeout=60)
        os.close(master)
        self.same("delete --yes on a terminal", (p.returncode, out), (0, b"BUG-00002: deleted\n"))
        self.check(b"[y/N]" not in err, f"--yes does not ask: {err!r}")

    def check_purge(self, db):
        _, out, _ = self.expect("purge dry run", ["purge", "--days", "3", "--dry-run", "--json"],
                                0, db=db)
        dry = self.parse_json("purge", out) or {}
        _, out, _ = self.expect("purge", ["purge", "--days", "3", "--json"], 0, db=db)
        done = self.parse_json("purge", out) or {}
        self.same("purge removed what the dry run counted",
                  [done.get(k) for k in ("tickets", "logs", "events")],
                  [dry.get(k) for k in ("tickets", "logs", "events")])
        self.same("purge removed the resolved ticket", dry.get("tickets"), 1)
        self.expect("purged", ["show", "3"], 3, db=db)
        self.expect("purge without --days", ["purge"], 2, db=db)

    def check_migrate(self):
        db = self.copy_db("migrate.db")
        _, out, _ = self.expect("migrate up", ["migrate", "up", "--json"], 0, db=db)
        state = self.parse_json("migrate up", out) or {}
        self.same("migrate up on a current database", state.get("from"), state.get("current"))
        self.expect("migrate list", ["migrate", "list"], 0, db=db)
        fresh = os.path.join(self.tmp, "fresh.db")
        _, out, _ = self.expect("migrate up creates", ["migrate", "up", "--json"], 0, db=fresh)
        state = self.parse_json("migrate up", out) or {}
        self.same("fresh database migrated", (state.get("from"), state.get("up_to_date")),
                  (0, True))

    def check_progress(self):
        """export and purge draw progress on stderr when it is a terminal, with
        a total where one is known, end with a one-line summary there, and are
        quiet otherwise."""
        db = self.copy_db("progress.db")
        for name, args, label, summary in (
                ("export", ["export", "logs", "--format", "csv"], "export (rows): ",
                 r"exported \d+ log rows in \d+\.\d s\n"),
                ("export tickets", ["export", "tickets", "--format", "ndjson"],
                 "/7 (", r"exported 7 tickets in \d+\.\d s\n"),
                ("purge", ["purge", "--days", "3", "--dry-run"], "purge (counting rows): ",
                 r"counted \d+ rows in \d+\.\d s\n"),
                ("purge (real)", ["purge", "--days", "3"], "purge (rows removed): ",
                 r"removed (\d+) rows in \d+\.\d s\n")):
            rc, _, err = self.run(*args, db=db) if name != "purge (real)" else (0, "", "")
            self.checks += 1
            if rc != 0 or err:
                self.fail(f"{name} is quiet when stderr is not a terminal", err)
            ran = self.run_on_pty(f"{name} progress check", args, stream="stderr",
                                  other=subprocess.DEVNULL, db=db)
            if ran is None:
                continue
            rc, err, _ = ran
            text = err.decode("utf-8", "replace").replace("\r\n", "\n")
            self.checks += 1
            # Drawn, then erased, then the summary line.
            m = re.search("\r\x1b\\[K" + summary + "$", text)
            if rc != 0 or label not in text or not m:
                self.fail(f"{name} progress on a terminal", repr(text))
            elif name == "purge (real)" and not re.search(
                    r"/%s \(" % m.group(1), text):
                self.fail("purge shows its total", repr(text))

    def check_smoke(self):
        """Each command's main paths once: for slow wrappers such as valgrind."""
        for name in ("list", "list_json", "show", "show_json", "stats", "stats_json",
                     "events", "pending_json", "migrate_status"):
            self.golden(name, GOLDEN[name])
        self.expect("bad id", ["show", "BUG-x"], 2)
        for table, fmt in (("tickets", "csv"), ("logs", "ndjson"), ("events", "json")):
            self.expect(f"export {table}", ["export", table, "--format", fmt], 0)
        self.expect("export bad format", ["export", "logs", "--format", "xml"], 2)
        db = self.copy_db("smoke.db")
        self.expect("second claim", ["claim", "2", "--agent", "agent:other"], 4, db=db)
        self.expect("update", ["update", "1", "--status", "triaged", "--note", "n"], 0, db=db)
        self.expect("merge", ["merge", "7", "--into", "4"], 0, db=db)
        self.expect("purge", ["purge", "--days", "3", "--json"], 0, db=db)

    def run_checks(self):
        if self.smoke:
            self.check_smoke()
        else:
            self.check_goldens()
        if not self.update and not self.smoke:
            self.check_tty()
            self.check_wide_text()
            self.check_paging()
            self.check_changed_since()
            self.check_errors()
            self.check_help()
            self.check_export()
            self.check_changes()
            self.check_migrate()
            self.check_progress()


def main(argv):
    return clitest.main(Checker, argv, __doc__, 3, ("--update", "--smoke"))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
