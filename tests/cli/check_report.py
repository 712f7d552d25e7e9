#!/usr/bin/env python3
"""End-to-end tests of `bugtrack report`.

usage: check_report.py BUGTRACK CLI_FIXTURE SOURCE_DIR [--update | --smoke]

Builds the CLI fixture database (tests/cli/cli_fixture) in a temporary
directory, runs every report in every format with a fixed clock
(BUGTRACK_NOW_MS) and COLUMNS=100, and compares stdout byte for byte with
SOURCE_DIR/golden/report_*.{txt,csv,json}; --update rewrites them instead.
It also checks that the formats agree with each other, that the CSV headers
are the frozen ones that `report --help` and README.md list, and the exit
codes and `bugtrack:` messages of bad input.

Set BUGTRACK_CLI_WRAPPER to run every bugtrack under a wrapper (valgrind);
--smoke then runs each report once per format and the error cases, which is
what the meson test `report_valgrind` does.
"""
import csv
import difflib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

NOW_MS = 1795262400000  # 2026-11-21T12:00:00Z, as check_cli.py uses

KINDS = ["summary", "top", "components", "daily", "mttr"]
FORMATS = {"table": ".txt", "csv": ".csv", "json": ".json"}

# Extra goldens: name -> arguments (the format decides the extension).
RANGED = {
    "report_summary_week.txt": ["summary", "--since", "2026-11-16", "--until", "2026-11-21"],
    "report_top_limit.csv": ["top", "--limit", "2", "--since", "7d", "--format", "csv"],
    "report_components_range.txt": ["components", "--since", "2026-11-20T00:00Z"],
    "report_daily_range.json": ["daily", "--since", "2026-11-15", "--until",
                                "2026-11-20T18:00Z", "--json"],
    "report_mttr_empty.csv": ["mttr", "--until", "2026-11-15", "--format", "csv"],
}


class Checker:
    def __init__(self, bugtrack, fixture, srcdir, update):
        self.bugtrack = bugtrack
        self.fixture = fixture
        self.srcdir = srcdir
        self.golden_dir = os.path.join(srcdir, "golden")
        self.update = update
        self.failures = 0
        self.checks = 0
        self.tmp = tempfile.mkdtemp(prefix="bugtrack-report-")
        self.db = os.path.join(self.tmp, "fixture.db")
        self.wrapper = shlex.split(os.environ.get("BUGTRACK_CLI_WRAPPER", ""))
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("BUGTRACK_DB", "BUGTRACK_COLOR")}
        self.env.update({"BUGTRACK_NOW_MS": str(NOW_MS), "COLUMNS": "100", "USER": "tester",
                         "NO_COLOR": "1"})

    def fail(self, what, detail=""):
        self.failures += 1
        print(f"FAIL: {what}")
        if detail:
            print("  " + detail.rstrip().replace("\n", "\n  "))

    def same(self, what, got, want):
        self.checks += 1
        if got != want:
            self.fail(what, f"got:  {got!r}\nwant: {want!r}")

    def run(self, *args, db=None):
        cmd = self.wrapper + [self.bugtrack, "--db", db or self.db] + list(args)
        p = subprocess.run(cmd, capture_output=True, env=self.env, timeout=120)
        # No newline translation: CSV lines end with CRLF.
        return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")

    def expect(self, what, args, code, stderr_has=None, db=None):
        self.checks += 1
        rc, out, err = self.run(*args, db=db)
        if rc != code:
            self.fail(f"{what}: exit {rc}, expected {code}", f"stdout: {out}\nstderr: {err}")
        elif code != 0 and not err.startswith("bugtrack: "):
            self.fail(f"{what}: stderr does not start with 'bugtrack: '", err)
        elif stderr_has and stderr_has not in err:
            self.fail(f"{what}: stderr lacks {stderr_has!r}", err)
        elif code == 0 and err:
            self.fail(f"{what}: unexpected stderr", err)
        return rc, out, err

    # ---- goldens ----

    def golden(self, name, args):
        rc, out, _ = self.expect(f"golden {name}", ["report"] + args, 0)
        if rc != 0:
            return None
        path = os.path.join(self.golden_dir, name)
        self.checks += 1
        if self.update:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(out)
            return out
        try:
            with open(path, encoding="utf-8", newline="") as f:
                want = f.read()
        except FileNotFoundError:
            self.fail(f"golden {name}: {path} is missing (run with --update)")
            return out
        if out != want:
            diff = "".join(difflib.unified_diff(want.splitlines(True), out.splitlines(True),
                                                f"golden/{name}", "bugtrack"))
            self.fail(f"golden {name}: `bugtrack report {' '.join(args)}` differs", diff)
        return out

    def parse_csv(self, what, text):
        """Rows of RFC 4180 CSV; Python must write them back byte for byte."""
        self.checks += 1
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error as e:
            self.fail(f"{what}: not CSV: {e}", text)
            return None
        again = io.StringIO(newline="")
        csv.writer(again, lineterminator="\r\n").writerows(rows)
        if again.getvalue() != text:
            self.fail(f"{what}: not minimally quoted CSV with CRLF line ends", text)
        return rows

    def parse_json(self, what, text):
        self.checks += 1
        try:
            return json.loads(text)
        except ValueError as e:
            self.fail(f"{what}: not JSON: {e}", text)
            return None

    def check_goldens(self, headers):
        for kind in KINDS:
            outs = {fmt: self.golden(f"report_{kind}{ext}", [kind, "--format", fmt])
                    for fmt, ext in FORMATS.items()}
            if self.update or None in outs.values():
                continue
            self.check_formats(kind, outs, headers)
        for name, args in RANGED.items():
            self.golden(name, args)

    def check_formats(self, kind, outs, headers):
        """CSV and JSON hold the same rows; the header is the frozen one."""
        rows = self.parse_csv(f"{kind} csv", outs["csv"])
        doc = self.parse_json(f"{kind} json", outs["json"])
        if rows is None or doc is None:
            return
        self.same(f"{kind}: the CSV header is the one --help lists", rows[0], headers.get(kind))
        objs = [doc] if kind == "summary" else doc
        self.same(f"{kind}: summary is an object, the others arrays",
                  isinstance(doc, dict), kind == "summary")
        self.same(f"{kind}: CSV rows = JSON rows", len(rows) - 1, len(objs))
        for row, obj in zip(rows[1:], objs):
            self.same(f"{kind}: JSON keys = CSV header", [k for k in obj if not k.endswith("_iso")],
                      rows[0])
            for name, cell in zip(rows[0], row):
                value = obj.get(name + "_iso", obj.get(name))
                self.same(f"{kind}: {name} in CSV and JSON", cell,
                          "" if value is None else str(value))
        _, alias, _ = self.expect(f"{kind} --json", ["report", kind, "--json"], 0)
        self.same(f"{kind}: --json = --format json", alias, outs["json"])
        _, default, _ = self.expect(f"{kind} (default format)", ["report", kind], 0)
        self.same(f"{kind}: the default format is table", default, outs["table"])

    # ---- documentation ----

    def frozen_headers(self):
        """The CSV headers that `report --help` lists, by report."""
        _, out, _ = self.expect("report --help", ["report", "--help"], 0)
        self.checks += 1
        if not out.startswith("usage: bugtrack report"):
            self.fail("report --help: no usage line", out)
        headers, kind = {}, None
        for line in out.split("The frozen CSV headers", 1)[-1].splitlines()[1:]:
            m = re.match(r"  (\w+):\s+(\S+)$", line)
            if m:
                kind = m.group(1)
                headers[kind] = m.group(2)
            elif kind and re.match(r"\s{4,}\S+$", line):
                headers[kind] += line.strip()
        self.same("report --help lists a header for every report", sorted(headers), sorted(KINDS))
        with open(os.path.join(self.srcdir, "..", "..", "README.md"), encoding="utf-8") as f:
            readme = f.read()
        for kind, header in headers.items():
            self.checks += 1
            if f"`{header}`" not in readme:
                self.fail(f"README.md does not list the {kind} header `{header}`")
        return {k: v.split(",") for k, v in headers.items()}

    # ---- bad input ----

    def check_errors(self):
        missing = os.path.join(self.tmp, "missing.db")
        self.expect("missing database", ["report", "summary"], 3, "no database", db=missing)
        self.checks += 1
        if os.path.exists(missing):
            self.fail("report created the missing database")
        self.expect("unknown report", ["report", "weekly"], 2, "unknown report 'weekly'")
        self.expect("no report", ["report"], 2, "missing REPORT")
        self.expect("two reports", ["report", "top", "daily"], 2, "unexpected argument")
        self.expect("bad date", ["report", "daily", "--since", "yesterday"], 2, "not a date")
        self.expect("bad date (Feb 30)", ["report", "mttr", "--until", "2026-02-30"], 2,
                    "not a date")
        self.expect("empty range", ["report", "summary", "--since", "2026-11-20", "--until",
                                    "2026-11-20"], 2, "--since must be before --until")
        self.expect("limit of another report", ["report", "daily", "--limit", "5"], 2,
                    "--limit applies only")
        self.expect("limit 0", ["report", "top", "--limit", "0"], 2, "--limit")
        self.expect("limit 1001", ["report", "top", "--limit", "1001"], 2, "--limit")
        self.expect("unknown format", ["report", "top", "--format", "xml"], 2, "unknown format")
        self.expect("unknown option", ["report", "top", "--frobnicate"], 2, "unknown option")
        _, out, _ = self.expect("help report", ["help", "report"], 0)
        self.checks += 1
        if not out.startswith("usage: bugtrack report"):
            self.fail("help report: no usage line", out)
        _, out, _ = self.expect("--help", ["--help"], 0)
        self.checks += 1
        if "\n  report " not in out:
            self.fail("bugtrack --help does not list report", out)

    def check_smoke(self):
        for kind in KINDS:
            for fmt in FORMATS:
                self.expect(f"{kind} {fmt}", ["report", kind, "--format", fmt], 0)
        self.expect("top with a range", ["report", "top", "--since", "3d", "--limit", "1"], 0)
        self.expect("unknown report", ["report", "weekly"], 2)
        self.expect("missing database", ["report", "summary"], 3,
                    db=os.path.join(self.tmp, "missing.db"))

    def main(self, smoke):
        try:
            subprocess.run([self.fixture, self.db], check=True)
            if smoke:
                self.check_smoke()
            else:
                self.check_goldens(self.frozen_headers())
                if not self.update:
                    self.check_errors()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self.update:
            print(f"golden files written to {self.golden_dir}")
            return 0
        print(f"{self.checks} checks, {self.failures} failed")
        return 1 if self.failures else 0


def main(argv):
    update, smoke = "--update" in argv, "--smoke" in argv
    args = [a for a in argv[1:] if a not in ("--update", "--smoke")]
    if len(args) != 3 or (update and smoke):
        print(__doc__, file=sys.stderr)
        return 2
    return Checker(args[0], args[1], args[2], update).main(smoke)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
