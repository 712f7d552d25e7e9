#!/usr/bin/env python3
"""End-to-end tests of `bugtrack import`.

usage: check_import.py BUGTRACK CLI_FIXTURE

Generates a folder of legacy JSON bug reports (single objects, arrays,
duplicates across files, unknown extra fields, unicode, control characters,
a 5 MB description, a 10,000-record array, and malformed files of every
kind), imports it, and checks:
  * the summary line and the exit code (1: some files failed), and the path
    and reason of every failed file on stderr;
  * every imported ticket field by field against the source files (through
    `bugtrack export tickets --format json`), and that nothing of a failed
    file was imported;
  * that importing again skips everything and changes nothing;
  * that --dry-run predicts the same counts and changes nothing;
  * the round trip: export JSON, import into a fresh database, export again:
    byte-identical, for the CLI fixture's database and the imported one;
  * the progress line on a terminal, and usage errors.
Set BUGTRACK_CLI_WRAPPER to run bugtrack under a wrapper (e.g. valgrind).
"""
import datetime
import difflib
import json
import os
import re
import subprocess
import sys
import time

import clitest

NOW_MS = clitest.NOW_MS

# The mapping under test (README, "bugtrack import"), for the values used here.
STATUS = {None: "new", "new": "new", "Open": "new", "REOPENED": "new",
          "acknowledged": "triaged", "In Progress": "in_progress",
          "in-progress": "in_progress", "investigating": "in_progress",
          "ready for QA": "awaiting_verification", "fixed": "resolved", "Done": "resolved",
          "closed": "closed", "Won't Fix": "closed", "duplicate": "closed"}
SEVERITY = {None: "medium", "blocker": "critical", "critical": "critical", "major": "high",
            "High": "high", "normal": "medium", "minor": "low", "trivial": "low"}
PRIORITY = {None: "medium", "urgent": "urgent", "normal": "medium", "low": "low"}
SLA_MS = {"critical": 4 * 3600000, "high": 24 * 3600000, "medium": 7 * 86400000,
          "low": 30 * 86400000}
# Legacy fields that become columns; every other member stays in context.
TO_COLUMN = {"report_id": "external_id", "title": "title", "description": "description",
             "category": "category", "component": "component", "trace_id": "trace_id",
             "request_id": "request_id", "reporter": "reporter", "assignee": "assignee",
             "release": "release_sha", "resolution_notes": "resolution_notes",
             "resolution_commit_sha": "resolution_commit",
             "resolution_actor_id": "resolved_by"}
MAPPED = set(TO_COLUMN) | {"status", "severity", "priority", "submitted_at", "updated_at",
                           "resolved_at", "environment"}


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def legacy_ms(v):
    """A legacy time as the importer reads it."""
    if v is None:
        return None
    if isinstance(v, str):
        d = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
        if d.tzinfo is None:
            d = d.replace(tzinfo=datetime.timezone.utc)
        delta = d - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000
    if abs(v) < 1e11:
        return int(round(v * 1000))
    return int(round(v))


def clean(v):
    """Strings as stored: NUL (the \\u0000 escape) becomes U+FFFD."""
    if isinstance(v, str):
        return v.replace("\x00", "\ufffd")
    if isinstance(v, list):
        return [clean(x) for x in v]
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    return v


def title_of(rec):
    if rec.get("title"):
        return rec["title"]
    desc = (rec.get("description") or "").lstrip(" \t\r\n")
    line = re.split(r"[\r\n]", desc)[0].rstrip(" \t") if desc else ""
    if not line:
        return f"Imported report {rec['report_id']}"
    raw = line.encode("utf-8")
    if len(raw) <= 120:
        return line
    cut = 120
    while cut > 0 and (raw[cut] & 0xC0) == 0x80:
        cut -= 1
    return raw[:cut].decode("utf-8") + "\u2026"


def expected_ticket(rec):
    """The export of the ticket a legacy report must become."""
    rec = clean(rec)
    created = legacy_ms(rec.get("submitted_at")) or NOW_MS
    updated = legacy_ms(rec.get("updated_at")) or created
    status = STATUS[rec.get("status")]
    severity = SEVERITY[rec.get("severity")]
    resolved = legacy_ms(rec.get("resolved_at"))
    if resolved is None and status == "resolved":
        resolved = updated
    want = {"status": status, "severity": severity, "priority": PRIORITY[rec.get("priority")],
            "source": "user", "title": title_of(rec), "occurrence_count": 1, "version": 1,
            "regression_count": 0, "automation_attempts": 0, "fingerprint": None,
            "created_at": created, "created_at_iso": iso(created),
            "first_occurred_at": created, "last_occurred_at": created,
            "updated_at": updated, "updated_at_iso": iso(updated), "resolved_at": resolved,
            "sla_due_at": created + SLA_MS[severity], "claimed_by": None, "duplicate_of": None}
    for key, column in TO_COLUMN.items():
        if key == "title":
            continue
        v = rec.get(key)
        want[column] = str(v) if v is not None else None
    env = rec.get("environment")
    want["environment"] = env if isinstance(env, str) else None
    context = {k: v for k, v in rec.items()
               if k not in MAPPED or (k == "environment" and isinstance(v, dict))}
    want["context"] = context or None
    return want


class Checker(clitest.Checker):
    name = "import"
    timeout = 600
    detail_limit = 3000

    def __init__(self, bugtrack, fixture):
        super().__init__(bugtrack, fixture)
        self.dir = os.path.join(self.tmp, "reports")
        self.sources = {}   # path -> list of records, for the files that must import
        self.failing = {}   # path -> expected reason
        self.skipped = []   # valid files with nothing new
        self.special = set()  # report_ids not compared field by field

    def tmp_path(self, name):
        return os.path.join(self.tmp, name)

    def export(self, db):
        rc, out, err = self.run("export", "tickets", "--format", "json", db=db)
        self.check(rc == 0, "export", err)
        return out

    # ---- the folder ----

    def write(self, rel, content, records=None, fails=None, skipped=False):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not isinstance(content, bytes):
            content = json.dumps(content, indent=1).encode("utf-8")
        with open(path, "wb") as f:
            f.write(content)
        if fails:
            self.failing[path] = fails
        elif skipped:
            self.skipped.append(path)
        elif records is not None:
            self.sources[path] = records

    def generate(self):
        full = {"report_id": "R-0001", "trace_id": "trace-0001", "status": "In Progress",
                "submitted_at": "2024-03-01T12:34:56.789Z",
                "description": "Saving a document crashes\nSteps: open, edit, save",
                "severity": "major", "priority": "urgent", "category": "ui",
                "component": "editor", "environment": "production", "request_id": "rq-1",
                "reporter": "carol", "assignee": "dave", "release": "2.1.0",
                "updated_at": 1709300000, "resolved_at": None,
                "client_meta": {"os": "linux", "ratio": 0.30000000000000004},
                "app_state": {"doc": 12345678901234567890123, "dirty": True},
                "recent_logs": ["open doc", "save doc"],
                "network_events": [{"url": "https://api.example.com/save", "status": 500}],
                "events": [{"t": 1709296496, "kind": "click"}],
                "screenshot_path": "/shots/0001.png", "resolution_notes": None,
                "resolution_commit_sha": None, "resolution_actor_id": None,
                "legacy_tracker": {"name": "bugz", "version": 3}}
        self.write("2023/01_single.json", full, [full])
        array = [
            {"report_id": "R-0002", "status": "Open", "severity": "blocker",
             "submitted_at": "2023-12-31", "description": "Login page blank"},
            {"report_id": "R-0003", "status": "acknowledged", "severity": "normal",
             "submitted_at": 1700000000, "component": "auth", "title": "Token expired early"},
            {"report_id": "R-0004", "status": "investigating", "severity": "minor",
             "submitted_at": 1700000000123, "priority": "low"},
            {"report_id": "R-0005", "status": "ready for QA", "severity": "trivial",
             "submitted_at": 1700000000.5, "priority": "normal"},
            {"report_id": "R-0006", "status": "REOPENED", "severity": "High",
             "submitted_at": "2024-06-01T08:00:00+02:00"},
        ]
        self.write("2023/02_array.json", array, array)
        minimal = {"report_id": 1001}
        self.write("2023/03_minimal.json", minimal, [minimal])
        dup1 = [{"report_id": "R-DUP-1", "description": "first copy", "submitted_at": 1600000000},
                {"report_id": "R-DUP-2", "description": "only copy", "submitted_at": 1600000001}]
        self.write("a_dup_first.json", dup1, dup1)
        dup2 = [{"report_id": "R-DUP-1", "description": "second copy, ignored"},
                {"report_id": "R-0007", "status": "Done", "submitted_at": 1600000002}]
        self.write("b_dup_second.json", dup2, dup2[1:])
        self.write("c_only_dups.json", [{"report_id": "R-DUP-2", "status": "closed"}],
                   skipped=True)
        self.write("d_empty_array.json", [], skipped=True)
        uni = [{"report_id": "R-ÜNI-1", "title": "Ошибка при сохранении 💥",
                "description": "中文描述\nשלום עולם — e\u0301 café 🚀", "component": "i18n",
                "reporter": "zoë", "notes": "naïve ☃"},
               {"report_id": "R-ÜNI-2", "description": "😀" * 100 + " long emoji title"}]
        self.write("e_unicode.json", json.dumps(uni, ensure_ascii=False).encode("utf-8"), uni)
        ctl = {"report_id": "R-CTL-1",
               "description": "tab\there\r\nbell\u0007 esc\u001b[31mred\u001b[0m nul\u0000end",
               "title": "quote \" backslash \\ slash / del \u007f",
               "extra": "x\u0000y\u0001"}
        self.write("f_control.json", ctl, [ctl])
        deep = {"leaf": -0.0}
        for i in range(100):
            deep = {"level": i, "child": [deep, None, True, 1e-7]}
        extra = {"report_id": "R-EXTRA-1", "status": "new", "unknown_a": None,
                 "unknown_b": [1, 2.5, "three", {"four": 4}], "deep": deep,
                 "big": 123456789012345678901234567890, "exp": 6.02e23, "odd key \"q\"": 1}
        self.write("g_extra_fields.json", extra, [extra])
        envobj = {"report_id": "R-ENV-1", "environment": {"os": "macOS", "app": "1.2"},
                  "severity": "critical"}
        self.write("h_environment_object.json", envobj, [envobj])
        huge = {"report_id": "R-HUGE-1", "description": ("x" * 99 + "é") * 52429,
                "title": "a 5 MB description"}
        self.write("i_huge.json", huge, [huge])
        big = [{"report_id": f"R-BIG-{i:05d}", "status": ["Open", "fixed", "closed"][i % 3],
                "severity": ["blocker", "major", "normal", "minor"][i % 4],
                "submitted_at": 1600000000 + i * 60, "description": f"report {i}\nmore",
                "component": f"comp{i % 17}", "app_state": {"i": i}} for i in range(10000)]
        self.write("j_big_array.json", big, big)
        self.write("k_bad_json.json", b'[{"report_id": "K-1", "status": "new"', fails="not valid JSON at line 1, column 38")
        self.write("k_bad_json_2.json", b'[\n {"report_id": "K-2",\n  "status": new}\n]',
                   fails="not valid JSON at line 3, column 13")
        # NDJSON, as `export --format ndjson` writes: one record a line.
        nd = [{"report_id": "ND-1"}, {"report_id": "ND-2", "status": "fixed"}]
        self.write("k_records.ndjson", "".join(json.dumps(r) + "\n" for r in nd).encode(), nd)
        self.write("k_bad.ndjson", b'{"report_id": "ND-3"}\n{"report_id": "ND-4", }\n',
                   fails="record 2 (line 2): not valid JSON at line 2, column 23")
        self.write("l_wrong_type.json", {"report_id": "L-1", "status": 5},
                   fails="'status' must be a string, not an integer")
        self.write("m_unknown_status.json",
                   [{"report_id": "M-1"}, {"report_id": "M-2", "status": "wibble"}],
                   fails="record 2 (report_id \"M-2\"): unknown status 'wibble'")
        self.write("n_empty.json", b"", fails="empty")
        self.write("o_scalar.json", b"42\n", fails="the document is an integer")
        self.write("p_not_object.json", [{"report_id": "P-1"}, "P-2"],
                   fails="record 2 is a string, not an object")
        self.write("q_no_report_id.json", {"description": "who am I"},
                   fails="'report_id' is missing")
        self.write("r_nul_byte.json", b'{"report_id": "R-NUL"}\x00\n', fails="NUL byte")
        self.write("s_too_deep.json", b'{"report_id": "S-1", "x": ' + b"[" * 5000 + b"]" * 5000
                   + b"}", fails="not valid JSON")
        self.write("t_invalid_utf8.json", b'{"report_id": "R-UTF-1", "component": "bad\xffbyte"}',
                   [{"report_id": "R-UTF-1", "component": "bad\ufffdbyte"}])
        times = [{"report_id": "R-TIME-1", "submitted_at": "2024-03-01T12:00:00Z",
                  "updated_at": "2024-03-02T00:00:00.250Z", "status": "fixed"},
                 {"report_id": "R-TIME-2", "submitted_at": 1709294400,
                  "resolved_at": 1709380800000, "status": "closed"}]
        self.write("u_timestamps.json", times, times)
        resolved = [{"report_id": "R-RES-1", "status": "fixed", "submitted_at": 1650000000,
                     "resolution_notes": "raised the pool size", "resolution_commit_sha": "9f2c1e7",
                     "resolution_actor_id": 77, "resolved_at": "2022-04-16T10:00:00Z"},
                    {"report_id": "R-RES-2", "status": "Won't Fix", "submitted_at": 1650000000,
                     "resolution_actor_id": "user:bob", "resolution_notes": "by design"},
                    {"report_id": "R-RES-3", "status": "duplicate"}]
        self.write("v_resolved.json", resolved, resolved)
        self.write(".hidden.json", {"report_id": "HIDDEN-1"})
        self.write("notes.txt", b"not a report")
        self.write("UPPER.JSON", {"report_id": "UPPER-1"})
        nested = {"report_id": "R-NEST-1", "component": "deep/dir"}
        self.write("sub/deeper/w_nested_dir.json", nested, [nested])
        bom = {"report_id": "R-BOM-1", "description": "written by a Windows tool"}
        self.write("x_bom.json", b"\xef\xbb\xbf" + json.dumps(bom).encode(), [bom])
        self.write("y_wrong_time.json", [{"report_id": "Y-1", "submitted_at": "yesterday"}],
                   fails="'submitted_at' is not an ISO 8601 time")
        secret = {"report_id": "R-SECRET-1", "app_state": {"user": "bob", "password": "hunter2"}}
        self.write("z_secret.json", secret, [secret])
        self.special.add("R-SECRET-1")  # redacted: checked apart

    # ---- the checks ----

    def files_in_order(self):
        found = []
        for root, dirs, files in os.walk(self.dir):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found += [os.path.join(root, f) for f in files
                      if f.endswith((".json", ".ndjson")) and not f.startswith(".")]
        return sorted(found, key=lambda p: p.encode())

    def summary_of(self, out):
        m = re.search(r"^(\d+) files?: (\d+) imported, (\d+) skipped \(already present\), "
                      r"(\d+) failed$", out, re.M)
        return tuple(int(x) for x in m.groups()) if m else None

    def check_import(self):
        db = self.tmp_path("legacy.db")
        files = self.files_in_order()
        self.check(len(files) >= 20, f"at least 20 files ({len(files)})")
        t0 = time.monotonic()
        rc, out, err = self.run("import", self.dir, db=db)
        elapsed = time.monotonic() - t0
        lines = out.splitlines()
        print(f"import: {lines[1] if len(lines) > 1 else '?'} from {len(files)} files in "
              f"{elapsed:.2f} s")
        failed = len(self.failing)
        skipped = len(self.skipped)
        want = (len(files), len(files) - failed - skipped, skipped, failed)
        self.check(rc == 1, f"import exits 1 when files failed (got {rc})", err)
        self.check(self.summary_of(out) == want,
                   f"summary line: expected {want[0]} files: {want[1]} imported, "
                   f"{want[2]} skipped (already present), {want[3]} failed", out)
        self.check(f"{want[0]} files: {want[1]} imported, {want[2]} skipped (already present), "
                   f"{want[3]} failed" == out.splitlines()[0], "summary is the first line", out)
        for path, reason in self.failing.items():
            line = [l for l in err.splitlines() if l.startswith(f"bugtrack: import: {path}: ")]
            self.check(line and reason in line[0], f"{os.path.basename(path)}: reason '{reason}'",
                       err)
        self.check(all(l.startswith("bugtrack: import: ") for l in err.splitlines()),
                   "every stderr line names the failed file", err)
        self.check(re.search(r"^10\d{3} records: 10\d{3} imported, 2 skipped", out, re.M),
                   "the records line", out)
        return db, out

    def check_fields(self, db):
        tickets = json.loads(self.export(db))
        by_ext = {t["external_id"]: t for t in tickets}
        self.check(len(by_ext) == len(tickets), "external ids are unique")
        expected = {}
        for path, records in self.sources.items():
            for rec in records:
                expected.setdefault(str(rec["report_id"]), rec)  # the first copy wins
        self.check(len(tickets) == len(expected),
                   f"{len(expected)} tickets imported, got {len(tickets)}")
        mismatches = []
        for ext, rec in expected.items():
            if ext in self.special:
                continue
            t = by_ext.get(ext)
            if not t:
                mismatches.append(f"{ext}: not imported")
                continue
            for field, want in expected_ticket(rec).items():
                got = t.get(field)
                if field == "context" and got is not None:
                    got = json.loads(got)
                if got != want:
                    mismatches.append(f"{ext}.{field}: {str(got)[:200]!r} != {str(want)[:200]!r}")
            for field in ("first_occurred_at_iso", "sla_due_at_iso"):
                ms = t[field[:-4]]
                if t[field] != iso(ms):
                    mismatches.append(f"{ext}.{field}")
        self.check(not mismatches, f"imported fields match the source files "
                   f"({len(expected)} reports, {len(mismatches)} mismatches)",
                   "\n".join(mismatches[:40]))
        for absent in ("K-1", "L-1", "M-1", "M-2", "P-1", "R-NUL", "S-1", "Y-1", "HIDDEN-1",
                       "UPPER-1"):
            self.check(absent not in by_ext, f"{absent} (a failed or skipped file) not imported")
        # Digits kept exactly, and what the export shows of the raw text.
        full = by_ext.get("R-0001", {})
        self.check("0.30000000000000004" in (full.get("context") or "") and
                   "12345678901234567890123" in (full.get("context") or ""),
                   "numbers in context keep their digits", full.get("context"))
        secret = json.loads(by_ext.get("R-SECRET-1", {}).get("context") or "{}")
        self.check(secret == {"app_state": {"user": "bob", "password": "[redacted]"}},
                   "secrets in legacy context are redacted", secret)
        rc, out, _ = self.run("events", by_ext.get("R-0001", {}).get("number", "1"), "--json",
                              db=db)
        events = json.loads(out) if rc == 0 else []
        self.check(len(events) == 1 and events[0]["kind"] == "imported" and
                   events[0]["actor"] == "user:tester" and
                   events[0]["note"] == f"legacy report R-0001 from {self.dir}/2023/01_single.json",
                   "one 'imported' event per ticket", events)

    def check_again(self, db):
        before = self.export(db)
        _, events_before, _ = self.run("export", "events", "--format", "ndjson", db=db)
        rc, out, err = self.run("import", self.dir, db=db)
        files = len(self.files_in_order())
        failed = len(self.failing)
        self.check(rc == 1 and self.summary_of(out) == (files, 0, files - failed, failed),
                   "importing again skips every valid file", out + err)
        m = re.search(r"^(\d+) records: 0 imported, (\d+) skipped", out, re.M)
        self.check(m and m.group(1) == m.group(2), "importing again skips every record", out)
        _, events_after, _ = self.run("export", "events", "--format", "ndjson", db=db)
        self.check(self.export(db) == before and events_after == events_before,
                   "importing again changes nothing")

    def check_dry_run(self, real_out):
        db = self.tmp_path("dry.db")
        rc, out, err = self.run("import", "--dry-run", self.dir, db=db)
        self.check(rc == 1 and not os.path.exists(db) and
                   self.summary_of(out) == self.summary_of(real_out) and
                   "does not exist yet" in err,
                   "--dry-run into a missing database: the same counts, nothing created",
                   out + err)
        self.run("migrate", "up", db=db)
        before = self.export(db)
        size = os.path.getsize(db)
        rc, out, err = self.run("import", "--dry-run", self.dir, db=db)
        self.check(rc == 1 and self.summary_of(out) == self.summary_of(real_out),
                   "--dry-run predicts the real import's counts", out)
        self.check("dry run: nothing was written" in out, "--dry-run says so", out)
        self.check(re.search(r"^imported +\S+/2023/02_array\.json: 5 records, 5 imported, "
                             r"0 skipped \(already present\)$", out, re.M) is not None,
                   "--dry-run lists each file's outcome", out)
        self.check(self.export(db) == before, "--dry-run changes nothing")
        self.check(os.path.getsize(db) == size, "--dry-run writes nothing to the file")

    def check_round_trip(self, name, source_db):
        first = self.export(source_db)
        path = self.tmp_path(f"{name}.export.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(first)
        fresh = self.tmp_path(f"{name}.fresh.db")
        t0 = time.monotonic()
        rc, out, err = self.run("import", path, db=fresh)
        n = len(json.loads(first))
        print(f"round trip {name}: {n} tickets imported in {time.monotonic() - t0:.2f} s")
        self.check(rc == 0 and self.summary_of(out) == (1, 1 if n else 0, 0 if n else 1, 0),
                   f"round trip {name}: import into a fresh database", out + err)
        second = self.export(fresh)
        if not self.check(first == second,
                          f"round trip {name}: export, import, export is byte-identical"):
            diff = difflib.unified_diff(first.splitlines(), second.splitlines(), lineterm="", n=1)
            print("\n".join(list(diff)[:80]))
        for db in (fresh, source_db):
            rc, out, err = self.run("import", path, db=db)
            self.check(rc == 0 and self.summary_of(out) == (1, 0, 1, 0),
                       f"round trip {name}: importing the export again skips it", out + err)
        self.check(self.export(source_db) == first, f"round trip {name}: source unchanged")

    def check_ndjson_and_stdin(self, source_db):
        """export --format ndjson, imported from a file and from stdin (-),
        gives back the same tickets."""
        first = self.export(source_db)
        rc, nd, err = self.run("export", "tickets", "--format", "ndjson", db=source_db)
        self.check(rc == 0, "export ndjson", err)
        path = self.tmp_path("round.ndjson")
        with open(path, "w", encoding="utf-8") as f:
            f.write(nd)
        n = len(json.loads(first))
        fresh = self.tmp_path("ndjson.fresh.db")
        rc, out, err = self.run("import", path, db=fresh)
        self.check(rc == 0 and self.summary_of(out) == (1, 1, 0, 0) and
                   f"{n} records: {n} imported" in out,
                   "ndjson round trip: import into a fresh database", out + err)
        self.check(self.export(fresh) == first, "ndjson round trip: the same tickets")
        piped = self.tmp_path("stdin.fresh.db")
        p = subprocess.run(self.command(["import", "-v", "-"], piped), input=nd.encode(),
                           capture_output=True, cwd=self.tmp, env=self.env,
                           timeout=self.timeout)
        out = p.stdout.decode()
        self.check(p.returncode == 0 and f"imported  (stdin): {n} records, {n} imported" in out,
                   "import - reads stdin", out + p.stderr.decode())
        self.check(self.export(piped) == first, "stdin round trip: the same tickets")

    def check_progress(self):
        small = os.path.join(self.tmp, "small")
        os.makedirs(small)
        for i in range(3):
            with open(os.path.join(small, f"{i}.json"), "w") as f:
                json.dump({"report_id": f"TTY-{i}"}, f)
        with open(os.path.join(small, "bad.json"), "w") as f:
            f.write("{")
        db = self.tmp_path("tty.db")
        rc, out, err = self.run("import", small, db=db)
        self.check(rc == 1 and "\r" not in err and "\x1b" not in err,
                   "no progress when stderr is not a terminal", err)
        ran = self.run_on_pty("progress check", ["import", small], stream="stderr",
                              columns=80, db=self.tmp_path("tty2.db"))
        if ran is None:
            return
        _, tty, out = ran
        out = out.decode()
        text = tty.decode("utf-8", "replace")
        self.check("import: " in text and "/4 (" in text and "\x1b[K" in text and
                   f"bugtrack: import: {small}/bad.json: not valid JSON" in text,
                   "progress on a terminal, then the failures", repr(text))
        self.check(out.startswith("4 files: 3 imported, 0 skipped (already present), 1 failed"),
                   "the summary stays on stdout", out)

    def check_usage(self):
        db = self.tmp_path("usage.db")
        for args, code, msg in ((["import"], 2, "missing FILE or DIR"),
                                (["import", "--bogus", "x"], 2, "unknown option"),
                                (["import", "--help"], 0, "")):
            rc, out, err = self.run(*args, db=db)
            self.check(rc == code and msg in err, f"{' '.join(args)}: exit {code}", out + err)
        rc, out, err = self.run("import", "--help", db=db)
        self.check("usage: bugtrack import" in out and "recursively" in out and
                   "0 files" not in out and not err, "import --help prints only the help", out)
        rc, out, err = self.run("import", os.path.join(self.tmp, "missing.json"), db=db)
        self.check(rc == 1 and "No such file or directory" in err and
                   out.startswith("1 file: 0 imported, 0 skipped (already present), 1 failed"),
                   "a missing file fails, the run goes on", out + err)

    def run_checks(self):
        self.generate()
        db, real_out = self.check_import()
        self.check_fields(db)
        self.check_again(db)
        self.check_dry_run(real_out)
        self.check_round_trip("fixture", self.db)
        self.check_round_trip("legacy", db)
        self.check_ndjson_and_stdin(self.db)
        self.check_progress()
        self.check_usage()


def main(argv):
    return clitest.main(Checker, argv, __doc__, 2)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
