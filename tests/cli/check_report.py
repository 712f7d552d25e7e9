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
import os
import re
import sys

import clitest

KINDS = ["summary", "top", "components", "daily", "mttr"]
FORMATS = {"table": ".txt", "csv": ".csv", "json": ".json"}

# Extra goldens: name -> arguments (the format decides the extension).
RANGED = {
    "report_summary_week.txt": ["summary", "--since", "2026-11-16", "--until", "2026-11-21"],
    "report_top_limit.csv": ["top", "--limit", "2", "--since", "7d", "--format", "csv"],
    "report_components_range.txt": ["components", "--since", "2026-11-20T00:00Z"],
    "report_daily_range.json": ["daily", "--since", "2026-11-15", "--until",
                                "2026-11-20T18:00Z", "--json"],
    "report_daily_component.txt": ["daily", "--component", "db"],
    "report_daily_component.csv": ["daily", "--component", "db", "--since", "2026-11-21",
                                   "--format", "csv"],
    "report_mttr_empty.csv": ["mttr", "--until", "2026-11-15", "--format", "csv"],
}


class Checker(clitest.Checker):
    name = "report"
    timeout = 120
    env_drop = ("BUGTRACK_COLOR",)
    env_extra = {"COLUMNS": "100", "NO_COLOR": "1"}
    quiet_success = True

    # ---- goldens ----

    def golden(self, name, args):
        rc, out, _ = self.expect(f"golden {name}", ["report"] + args, 0)
        if rc != 0:
            return None
        self.compare_golden(name, os.path.join(self.golden_dir, name), out, ["report"] + args)
        return out

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
        self.expect("bad date", ["report", "daily", "--since", "last week"], 2, "not a time")
        self.expect("bad date (Feb 30)", ["report", "mttr", "--until", "2026-02-30"], 2,
                    "not a time")
        self.expect("empty range", ["report", "summary", "--since", "2026-11-20", "--until",
                                    "2026-11-20"], 2, "--since must be before --until")
        self.expect("limit of another report", ["report", "daily", "--limit", "5"], 2,
                    "--limit applies only")
        self.expect("component of another report", ["report", "top", "--component", "db"], 2,
                    "--component applies only")
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

    def run_checks(self):
        if self.smoke:
            self.check_smoke()
        else:
            self.check_goldens(self.frozen_headers())
            if not self.update:
                self.check_errors()


def main(argv):
    return clitest.main(Checker, argv, __doc__, 3, ("--update", "--smoke"))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
