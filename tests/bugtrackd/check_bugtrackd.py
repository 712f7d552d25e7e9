#!/usr/bin/env python3
"""bugtrackd over loopback, with real clients: Python's urllib, raw sockets
and curl.

usage: check_bugtrackd.py BUGTRACKD BUGTRACK CLI_FIXTURE

Each daemon is started on port 0 (a free port, read back from its first
log line) against the CLI fixture (tests/cli/cli_fixture.c) or a fresh
database.  Checks: every GET body is byte for byte the tool's --json output
for the same question; paging and the feed's cursors; each write route and
its refusals (bad JSON, too deep, too big, unknown ticket, wrong method,
stale If-Match...); the long poll; a stalled client cut by the timeout while
others are served; SIGTERM under load loses no acknowledged ticket; the log
holds no query, header or body.  The status page: its numbers against the
JSON routes', its escaping, headers and sign-in, and in headless Chromium
(skipped without it, unless BT_TEST_REQUIRE_BROWSER=1).

With BUGTRACK_CLI_BACKEND=postgresql every database is a schema on the
server the PG* variables name (tests/cli/clitest.py); without one it skips.
"""
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
sys.path.insert(0, os.path.join(HERE, "..", "security"))
import clitest  # noqa: E402
import secutil  # noqa: E402

README = os.path.join(HERE, "..", "..", "README.md")

# README's bad-input table, the bugtrackd part: (id, method, path, body (a
# dict is sent as JSON, bytes as they are), the token (admin, read, none or
# wrong), headers, status, error code, a fragment of the message).  Each
# runs on one daemon started with --max-body 4096 --max-depth 8
# --busy-timeout 300, after ticket 2 was claimed by agent "holder"; every
# row of every table (but the tokens' last use) must stay as it was.
HTTP_CASES = [
    ("http-no-token", "GET", "/tickets", None, "none", {}, 401, "unauthorized",
     "this route needs a bearer token"),
    ("http-wrong-token", "GET", "/tickets", None, "wrong", {}, 401, "unauthorized",
     "the token is unknown or revoked"),
    ("http-scope", "POST", "/tickets", {"title": "x"}, "read", {}, 403, "forbidden",
     "lacks the agent scope this route needs"),
    ("http-not-json", "POST", "/tickets", b'{"title": ', "admin", {}, 400, "bad_json",
     "not JSON"),
    ("http-duplicate-member", "POST", "/tickets", b'{"title":"a","title":"b"}', "admin", {}, 400,
     "bad_json", "duplicate object key"),
    ("http-too-deep", "POST", "/tickets", b'{"title":"x","context":' + b"[" * 9 + b"]" * 9 + b"}",
     "admin", {}, 400, "too_deep", "nested deeper than 8 levels"),
    ("http-too-large", "POST", "/tickets", {"title": "x", "description": "y" * 5000}, "admin", {},
     413, "too_large", "larger than 4096 bytes"),
    ("http-missing-member", "POST", "/tickets", {"severity": "low"}, "admin", {}, 422, "invalid",
     '"title" is required'),
    ("http-unknown-member", "POST", "/tickets", {"title": "x", "sevrity": 1}, "admin", {}, 422,
     "invalid", 'unknown member "sevrity"'),
    ("http-unknown-value", "POST", "/tickets", {"title": "x", "severity": "dire"}, "admin", {},
     422, "invalid", "unknown severity 'dire'"),
    ("http-wrong-type", "POST", "/tickets", {"title": 5}, "admin", {}, 422, "invalid",
     '"title" must be a string'),
    ("http-occurrence-bad", "POST", "/occurrences",
     [{"component": "c", "message": "m"}, {"component": "c"}], "admin", {}, 422, "invalid",
     '"message" is required'),
    ("http-unknown-ticket", "GET", "/tickets/9999", None, "admin", {}, 404, "not_found",
     "no such ticket"),
    ("http-unknown-route", "GET", "/nothing", None, "admin", {}, 404, "not_found",
     "no route GET /nothing"),
    ("http-method", "DELETE", "/tickets/1", None, "admin", {}, 405, "method_not_allowed",
     "DELETE is not allowed here; use GET, PATCH"),
    ("http-unknown-parameter", "GET", "/tickets?stauts=new", None, "admin", {}, 400,
     "bad_request", 'unknown query parameter "stauts"'),
    ("http-bad-cursor", "GET", "/tickets?cursor=zz", None, "admin", {}, 400, "bad_request",
     'malformed cursor "zz"'),
    ("http-bad-if-match", "PATCH", "/tickets/1", {"status": "triaged"}, "admin",
     {"If-Match": "W/abc"}, 400, "bad_request", "If-Match must be a ticket version"),
    ("http-stale-version", "PATCH", "/tickets/1", {"priority": "low"}, "admin",
     {"If-Match": '"999"'}, 412, "precondition_failed", "no longer at version 999"),
    ("http-forbidden-move", "PATCH", "/tickets/3",
     {"severity": "critical", "priority": "urgent", "status": "triaged"}, "admin", {}, 409,
     "state", "cannot move from resolved to triaged"),
    ("http-claimed", "POST", "/tickets/2/claim", {"agent": "other"}, "admin", {}, 409, "claimed",
     "is claimed by holder until"),
    ("http-locked", "POST", "/tickets", {"title": "x"}, "admin", {}, 503, "unavailable",
     "database is locked"),
]


class Daemon:
    """A bugtrackd on @db, started with @args; url(path) is below /api/v1."""

    def __init__(self, checker, db, *args, preexec_fn=None):
        self.args = list(args)
        self.log_path = os.path.join(checker.tmp, f"bugtrackd-{len(checker.daemons)}.log")
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([checker.bugtrackd, "--db", db, "--listen", "127.0.0.1:0"]
                                     + list(args), stdout=subprocess.DEVNULL, stderr=self.log,
                                     env=checker.env, preexec_fn=preexec_fn)
        checker.daemons.append(self)
        deadline = time.time() + 30
        self.port = None
        while time.time() < deadline and self.port is None and self.proc.poll() is None:
            time.sleep(0.02)
            m = re.search(r"\(port (\d+)", self.text())
            if m:
                self.port = int(m.group(1))
        if self.port is None:
            raise RuntimeError(f"bugtrackd did not start: {self.text()}")
        # Every route but /healthz wants a bearer token: an admin one, made
        # with the tool as an operator would (once the daemon made the
        # database), whose name is the actor.
        self.token_name = f"agent-{len(checker.daemons)}"
        self.token = checker.make_token(db, self.token_name, "admin")

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def url(self, path):
        return self.root("/api/v1" + path)

    def root(self, path):
        """@path from the root: the status page's."""
        scheme = "https" if "--tls-cert" in self.args else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


INGEST_CALLS = 20


def ingest_worker(job):
    """One process: INGEST_CALLS requests of 10 occurrences over 2 errors;
    returns how many occurrences the daemon acknowledged."""
    url, token, k = job
    acked = 0
    for n in range(INGEST_CALLS):
        body = [{"level": "critical", "component": "ingest", "message": f"queue {i} full",
                 "error_type": "QueueFull" if i % 2 else "QueueStuck", "host": f"proc-{k}"}
                for i in range(10)]
        req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                acked += json.loads(resp.read())["accepted"]
        except urllib.error.HTTPError:
            pass
    return acked


def claim_worker(job):
    """One agent process: poll /pending and claim what it offers until it
    offers nothing this agent does not hold; returns the ids it claimed
    (a 200), in order."""
    root, token, name = job
    mine = []

    def call(method, path, body=None):
        req = urllib.request.Request(root + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, None

    while True:
        # It offers this agent's own claims too (to renew): ask for more.
        st, offered = call("GET", f"/pending?agent={name}&limit={len(mine) + 10}")
        if st != 200:
            return mine + [-st]
        fresh = [t["id"] for t in offered if t["id"] not in mine]
        if not fresh:
            return mine
        for tid in fresh:
            st, _ = call("POST", f"/tickets/{tid}/claim", {"agent": name, "lease": 600})
            if st == 200:
                mine.append(tid)
            elif st != 409:
                return mine + [-st]


def png_inked(data):
    """(width, height, the share of pixels unlike the top-left one) of an
    8-bit RGB or RGBA PNG: enough to tell a page from a blank."""
    import struct
    import zlib
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return 0, 0, 0.0
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            if depth != 8 or colour not in (2, 6):
                return width, height, 0.0
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
    raw, stride = zlib.decompress(idat), width * bpp
    prev, rows = bytearray(stride), []
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    bg = rows[0][:3]
    inked = sum(1 for row in rows for x in range(0, stride, bpp) if row[x:x + 3] != bg)
    return width, height, inked / (width * height)


class Check(clitest.Checker):
    name = "bugtrackd"

    def __init__(self, bugtrackd, bugtrack, fixture):
        super().__init__(bugtrack, fixture)
        self.bugtrackd = os.path.abspath(bugtrackd)
        self.daemons = []
        # The daemon runs on the real clock: so must the tool, for claims'
        # leases (live or not) to be read alike.
        self.env.pop("BUGTRACK_NOW_MS", None)

    # ---- HTTP ----

    def make_token(self, db, name, scope):
        """A new token's text, from `bugtrack token create` (its last line)."""
        rc, out, err = self.run("token", "create", name, "--scope", scope, db=db)
        self.check(rc == 0, f"bugtrack token create {name}", err)
        return out.strip().splitlines()[-1] if rc == 0 else ""

    def http(self, d, method, path, body=None, headers=None, raw=None, token=True, root=False):
        """(status, headers, body bytes) of one request; @body is JSON'd
        unless @raw bytes are given.  With @token True, @d's token goes
        along; a string sends that one; None sends none.  @path is below
        /api/v1, or with @root from the root."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        headers = dict(headers or {})
        if token is True:
            token = d.token
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        req = urllib.request.Request(d.root(path) if root else d.url(path), data=data,
                                     method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def want(self, what, got, status, code=None):
        """Check @got's status, and for an error its JSON error code."""
        st, hdrs, body = got
        self.checks += 1
        if st != status:
            self.fail(f"{what}: HTTP {st}, expected {status}", body.decode(errors="replace"))
            return None
        try:
            doc = json.loads(body)
        except ValueError:
            self.fail(f"{what}: not JSON", body)
            return None
        if code is not None:
            err = doc.get("error", {}) if isinstance(doc, dict) else {}
            self.checks += 1
            if err.get("code") != code or not err.get("message"):
                self.fail(f"{what}: error {err!r}, expected code {code!r} and a message")
        return doc

    def cli_json(self, db, *args):
        rc, out, err = self.run(*args, db=db)
        self.check(rc == 0, f"bugtrack {' '.join(args)}", err)
        return out

    def run_checks(self):
        try:
            self.check_same_bytes()
            self.check_writes()
            self.check_refusals()
            self.check_auth()
            self.check_status_page()
            self.check_status_page_browser()
            self.check_ingest()
            self.check_locked()
            self.check_claim_race()
            self.check_external_id()
            self.check_full()
            self.check_bad_input()
            self.check_metrics()
            self.check_tls()
            self.check_openapi()
            self.check_agent_example()
            self.check_rate_limit()
            self.check_webhooks()
            self.check_feed()
            self.check_long_poll()
            self.check_slow_client()
            self.check_sigterm_under_load()
        finally:
            for d in self.daemons:
                d.stop(signal.SIGKILL)
                d.log.close()
                # A sanitizer's report, or what a crashed daemon said last.
                log = d.text()
                m = re.search(r"(ERROR: \w+Sanitizer|runtime error:|LeakSanitizer)", log)
                self.check(not m, f"{d.log_path}: no sanitizer report", log[m.start() - 200:]
                           if m else "")

    # ---- reads: the tool's bytes ----

    def check_same_bytes(self):
        db = self.copy_db("same.db")
        d = Daemon(self, db)
        pairs = [
            ("/tickets", ["list", "--json"]),
            ("/tickets?status=open&sort=count", ["list", "--status", "open", "--sort", "count",
                                                 "--json"]),
            ("/tickets?severity-min=critical&component=db&since=2026-11-20"
             "&until=2026-11-21T11:00Z",
             ["list", "--severity-min", "critical", "--component", "db", "--since",
              "2026-11-20", "--until", "2026-11-21T11:00Z", "--json"]),
            ("/tickets?severity=high&sort=severity", ["list", "--severity", "high", "--sort",
                                                      "severity", "--json"]),
            ("/tickets?regressed", ["list", "--regressed", "--json"]),
            ("/tickets?claimed=true", ["list", "--claimed", "--json"]),
            ("/tickets?search=checkout", ["list", "--search", "checkout", "--json"]),
            ("/tickets?status=awaiting_verification", ["list", "--status",
                                                       "awaiting_verification", "--json"]),
            ("/tickets/1", ["show", "1", "--json"]),
            ("/tickets/BUG-00007", ["show", "7", "--json"]),
            ("/tickets/bug-3?logs=0", ["show", "3", "--logs", "0", "--json"]),
            ("/tickets/2/events", ["events", "2", "--json"]),
            ("/tickets/BUG-00006/events", ["events", "6", "--json"]),
            ("/pending", ["pending", "--json"]),
            ("/pending?agent=agent:fixer-1&limit=2", ["pending", "--agent", "agent:fixer-1",
                                                       "--limit", "2", "--json"]),
            ("/reports/summary", ["report", "summary", "--json"]),
            ("/reports/top?limit=3&since=2026-11-20", ["report", "top", "--limit", "3",
                                                      "--since", "2026-11-20", "--json"]),
            ("/reports/components", ["report", "components", "--json"]),
            ("/reports/daily?until=2026-11-22", ["report", "daily", "--until", "2026-11-22",
                                                "--json"]),
            ("/reports/mttr", ["report", "mttr", "--json"]),
            ("/stats", ["stats", "--json"]),
        ]
        for path, args in pairs:
            st, hdrs, body = self.http(d, "GET", path)
            want = self.cli_json(db, *args)
            self.check(st == 200 and body.decode() == want,
                       f"GET {path} is `bugtrack {' '.join(args)}` byte for byte",
                       f"HTTP {st}\n{body.decode(errors='replace')[:600]}\n--- expected\n{want[:600]}")
        self.want("an unknown report", self.http(d, "GET", "/reports/weekly"), 404, "not_found")
        self.want("limit is top's", self.http(d, "GET", "/reports/daily?limit=3"), 400,
                  "bad_request")
        self.want("since before until", self.http(
            d, "GET", "/reports/summary?since=2026-11-22&until=2026-11-21"), 400, "bad_request")
        st, hdrs, body = self.http(d, "GET", "/tickets/1")
        self.same("GET /tickets/1 ETag", hdrs.get("ETag"),
                  '"%d"' % json.loads(body)["ticket"]["version"])
        # Paging: pages of 2 put together are the whole list, in order.
        whole = json.loads(self.cli_json(db, "list", "--sort", "created", "--json"))
        got, cursor, pages = [], None, 0
        while pages < 20:
            q = "/tickets?sort=created&limit=2" + (f"&cursor={cursor}" if cursor else "")
            st, hdrs, body = self.http(d, "GET", q)
            if not self.check(st == 200, f"GET {q}", body):
                break
            got += [t["number"] for t in json.loads(body)]
            pages += 1
            cursor = hdrs.get("X-Next-Cursor")
            if not cursor:
                break
        self.same("pages of 2 make the list", got, [t["number"] for t in whole])
        self.check(pages == (len(whole) + 1) // 2, f"{pages} pages for {len(whole)} tickets")
        self.check(d.stop() == 0, "bugtrackd exits 0 on SIGTERM", d.text())

    # ---- writes ----

    def check_writes(self):
        db = self.copy_db("writes.db")
        d = Daemon(self, db)
        new = self.want("POST /tickets", self.http(d, "POST", "/tickets", {
            "title": "checkout page blank", "description": "since 1.5", "severity": "high",
            "priority": "urgent", "category": "ui", "component": "web",
            "context": {"browser": "firefox"}}), 201)
        if not new:
            return
        num = new["number"]
        self.same("new ticket's reporter is the actor", new["reporter"], d.token_name)
        self.same("new ticket's context", json.loads(new["context"]), {"browser": "firefox"})
        st, hdrs, _ = self.http(d, "GET", f"/tickets/{num}")
        self.same("GET the new ticket", st, 200)
        v = new["version"]
        patched = self.want("PATCH with If-Match", self.http(
            d, "PATCH", f"/tickets/{num}",
            {"status": "triaged", "severity": "critical", "assignee": "alice", "note": "on it"},
            {"If-Match": f'"{v}"'}), 200)
        if patched:
            self.same("PATCH changed status", patched["status"], "triaged")
            self.same("PATCH changed severity", patched["severity"], "critical")
            self.same("PATCH changed assignee", patched["assignee"], "alice")
            self.same("PATCH bumped the version once per field", patched["version"], v + 3)
        self.want("PATCH with a stale If-Match", self.http(
            d, "PATCH", f"/tickets/{num}", {"priority": "low"}, {"If-Match": f'"{v}"'}),
            412, "precondition_failed")
        self.want("PATCH clears the category", self.http(
            d, "PATCH", f"/tickets/{num}", {"category": None}), 200)
        claim = self.want("claim", self.http(d, "POST", f"/tickets/{num}/claim",
                                             {"agent": "agent:fixer-9", "lease": 60}), 200)
        token = claim and claim["claim_token"]
        if claim:
            self.same("claim: holder", claim["ticket"]["claimed_by"], "agent:fixer-9")
        self.want("claim by another agent", self.http(
            d, "POST", f"/tickets/{num}/claim", {"agent": "agent:other"}), 409, "claimed")
        self.want("renew", self.http(d, "POST", f"/tickets/{num}/renew",
                                     {"token": token, "lease": 120}), 200)
        self.want("renew with a wrong token", self.http(
            d, "POST", f"/tickets/{num}/renew", {"token": "0" * 32}), 409, "conflict")
        trail = self.want("note", self.http(d, "POST", f"/tickets/{num}/events",
                                            {"note": "looked at the logs", "token": token}), 201)
        if trail:
            self.same("note: last event", (trail[-1]["kind"], trail[-1]["note"]),
                      ("note", "looked at the logs"))
            self.same("GET events after the note", self.http(
                d, "GET", f"/tickets/{num}/events")[2].decode(),
                self.cli_json(db, "events", num, "--json"))
        self.want("release", self.http(d, "POST", f"/tickets/{num}/release", {"token": token}), 200)
        res = self.want("resolve", self.http(d, "POST", f"/tickets/{num}/resolve", {
            "notes": "null check", "commit": "abc123", "release": "1.5.1"}), 200)
        if res:
            self.same("resolve", (res["status"], res["resolution_commit"], res["resolved_by"]),
                      ("resolved", "abc123", d.token_name))
        self.want("claim a resolved ticket", self.http(
            d, "POST", f"/tickets/{num}/claim", {}), 409, "state")
        other = self.want("POST a second ticket", self.http(
            d, "POST", "/tickets", {"title": "checkout page blank again"}), 201)
        if other:
            merged = self.want("merge", self.http(
                d, "POST", f"/tickets/{other['number']}/merge", {"into": num}), 200)
            if merged:
                self.same("merge: duplicate_of", merged["duplicate_of"], new["id"])
            self.want("merge into itself", self.http(
                d, "POST", f"/tickets/{num}/merge", {"into": num}), 422, "invalid")
        shown = json.loads(self.cli_json(db, "show", num, "--json"))
        # The claim's event names the agent it was claimed for; every other
        # change, renew and release included, the token's name.
        actors = {e["actor"] for e in shown["events"] if e["kind"] != "claimed"}
        self.same("every change's actor, as the tool shows it", actors, {d.token_name})
        self.same("renew and release name the token",
                  sorted(e["actor"] for e in shown["events"]
                         if e["kind"] in ("claim_renewed", "claim_released")),
                  [d.token_name, d.token_name])
        d.stop()

    # ---- auth ----

    def check_auth(self):
        db = self.copy_db("auth.db")
        d = Daemon(self, db)
        reader = self.make_token(db, "reader", "read")
        ingest = self.make_token(db, "collector", "ingest")
        agent = self.make_token(db, "fixer", "agent")
        self.want("healthz needs no token", self.http(d, "GET", "/healthz", token=None), 200)
        got = self.http(d, "GET", "/tickets", token=None)
        self.want("no token", got, 401, "unauthorized")
        self.same("401 names its scheme", (got[1].get("WWW-Authenticate") or "")[:6], "Bearer")
        self.want("not a bearer", self.http(d, "GET", "/tickets", token=None,
                                            headers={"Authorization": f"Basic {reader}"}),
                  401, "unauthorized")
        got = self.http(d, "GET", "/tickets", token=reader[:-1] + ("A" if reader[-1] != "A"
                                                                    else "B"))
        self.want("a token one character off", got, 401, "unauthorized")
        self.check(reader[4:] not in got[2].decode(errors="replace"),
                   "a refusal never repeats the token")
        self.want("read token reads", self.http(d, "GET", "/tickets", token=reader), 200)
        self.want("read token cannot write", self.http(
            d, "POST", "/tickets", {"title": "x"}, token=reader), 403, "forbidden")
        self.want("ingest token cannot read", self.http(d, "GET", "/tickets", token=ingest),
                  403, "forbidden")
        made = self.want("agent token writes", self.http(
            d, "POST", "/tickets", {"title": "filed by an agent"}, token=agent), 201)
        if made:
            self.same("the agent's token names the actor", made["reporter"], "fixer")
        self.want("agent token reads", self.http(d, "GET", "/tickets", token=agent), 200)
        rc, _, err = self.run("token", "revoke", "fixer", db=db)
        self.check(rc == 0, "bugtrack token revoke", err)
        self.want("revoked", self.http(d, "GET", "/tickets", token=agent), 401, "unauthorized")
        for secret in (reader, ingest, agent, d.token):
            self.check(secret[4:] not in d.text(), "the log never holds a token")
        d.stop()

    # ---- the status page ----

    NASTY = "<script>alert(\"x\")</script> \"&' <b>bold"

    def page_get(self, d, path, headers=None):
        """(status, headers, text) of GET @path from the root, redirects
        not followed (a 303 is what is looked at)."""
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read().decode("utf-8", errors="replace")
        finally:
            conn.close()

    def page_window(self):
        """The first day of the page's 30 days (UTC), as since= takes it."""
        day = 86400
        return time.strftime("%Y-%m-%d", time.gmtime(time.time() // day * day - 29 * day))

    def page_data(self, d):
        """Make the page's story recent: a ticket titled NASTY with 40
        occurrences (the top), and one that was resolved and came back
        (a regression)."""
        made = self.want("a ticket with a hostile title", self.http(
            d, "POST", "/tickets", {"title": self.NASTY, "component": "<i>ui</i>",
                                    "severity": "high", "fingerprint": "page-nasty"}), 201)
        occ = {"level": "critical", "component": "ui", "message": "hostile",
               "fingerprint": "page-nasty"}
        self.want("its occurrences", self.http(d, "POST", "/occurrences", [occ] * 40), 201)
        back = {"level": "critical", "component": "page", "message": "back",
                "fingerprint": "page-back"}
        got = self.want("a ticket to regress", self.http(d, "POST", "/occurrences", back), 201)
        if got:
            rc, _, err = self.run("resolve", str(got["tickets"][0]), "--commit", "0" * 40,
                                  db=d.db)
            self.check(rc == 0, "bugtrack resolve", err)
            self.want("it comes back", self.http(d, "POST", "/occurrences", back), 201)
        return made

    def check_status_page(self):
        from html.parser import HTMLParser

        db = self.copy_db("page.db")
        d = Daemon(self, db)
        d.db = db
        reader = self.make_token(db, "page-reader", "read")
        ingest = self.make_token(db, "page-ingest", "ingest")
        made = self.page_data(d)
        # Refusals are HTML for a person, the 401 with a form for the token.
        st, hdrs, text = self.page_get(d, "/")
        self.same("GET / without a token", st, 401)
        self.same("a refusal is HTML", hdrs.get("Content-Type"), "text/html; charset=utf-8")
        self.check(re.search(r'<form method="get" action="/">', text) and
                   re.search(r'<input type="password" name="token"', text),
                   "the 401 asks for the token in a form (GET, a password field)", text)
        self.check(hdrs.get("WWW-Authenticate"), "the 401 names its scheme")
        st, hdrs, text = self.page_get(d, "/?token=" + reader[:-1] + "A" if reader[-1] != "A"
                                       else "/?token=" + reader[:-1] + "B")
        self.check(st == 401 and "<form" in text and not hdrs.get("Set-Cookie"),
                   "a wrong ?token= is 401 with the form, and no cookie", (st, text[:300]))
        st, _, text = self.page_get(d, "/?token=" + ingest)
        self.check(st == 403 and "read" in text and "<html" in text,
                   "an ingest token is 403, as HTML", (st, text[:300]))
        # The page, by a bearer token.
        st, hdrs, text = self.page_get(d, "/", {"Authorization": f"Bearer {reader}"})
        if not self.check(st == 200, "GET / with a read token", text[:500]):
            d.stop()
            return
        csp = hdrs.get("Content-Security-Policy") or ""
        for part in ("default-src 'none'", "style-src 'unsafe-inline'", "img-src data:"):
            self.check(part in csp, f"the CSP has {part}", csp)
        self.same("Content-Type", hdrs.get("Content-Type"), "text/html; charset=utf-8")
        self.same("Cache-Control", hdrs.get("Cache-Control"), "no-store")
        self.same("X-Content-Type-Options", hdrs.get("X-Content-Type-Options"), "nosniff")
        self.same("Referrer-Policy", hdrs.get("Referrer-Policy"), "no-referrer")
        self.check("<script" not in text.lower(), "no script on the page, not even a title's")
        self.check("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &quot;&amp;&#39; "
                   "&lt;b&gt;bold" in text, "the hostile title is escaped", text)
        self.check("&lt;i&gt;ui&lt;/i&gt;" in text and "<i>" not in text,
                   "a component is escaped")

        class Cells(HTMLParser):
            """Each section's table rows, as lists of cell texts (entities
            undone), keyed by the section's id; and every element's id."""
            def __init__(self):
                super().__init__()
                self.sections, self.ids, self.section, self.row, self.cell = {}, {}, None, None, None
                self.id_open = None

            def handle_starttag(self, tag, attrs):
                a = dict(attrs)
                if tag == "section":
                    self.section = a.get("id")
                    self.sections[self.section] = []
                if a.get("id"):
                    self.id_open = a["id"]
                    self.ids[a["id"]] = ""
                if tag == "tr" and self.section:
                    self.row = []
                if tag in ("td", "th") and self.row is not None:
                    self.cell = ""

            def handle_endtag(self, tag):
                if tag in ("td", "th") and self.cell is not None:
                    self.row.append(self.cell)
                    self.cell = None
                if tag == "tr" and self.row is not None:
                    self.sections[self.section].append(self.row)
                    self.row = None
                if tag in ("strong", "tr"):
                    self.id_open = None

            def handle_data(self, data):
                if self.cell is not None:
                    self.cell += data
                if self.id_open:
                    self.ids[self.id_open] += data

        page = Cells()
        page.feed(text)
        stats = json.loads(self.http(d, "GET", "/stats")[2])
        counts = {row[0]: row[1:] for row in page.sections.get("counts", [])[1:]}
        for sev, n in stats["open_by_severity"].items():
            self.same(f"open {sev} tickets are /stats'", int(counts.get(sev, ["-1"])[0]), n)
        overdue = json.loads(self.http(d, "GET", "/tickets?overdue&limit=1000")[2])
        for sev in stats["open_by_severity"]:
            self.same(f"overdue {sev} tickets are /tickets?overdue's",
                      int(counts.get(sev, ["", "-1"])[1]),
                      sum(1 for t in overdue if t["severity"] == sev))
        self.same("all open, all overdue", [int(n) for n in counts.get("all", [-1, -1])],
                  [stats["open"], stats["overdue"]])
        self.check(stats["overdue"] > 0, "the fixture has overdue tickets to count", stats)
        since = self.page_window()
        top = json.loads(self.http(d, "GET", f"/reports/top?since={since}&limit=10")[2])
        rows = page.sections.get("top", [])[1:]
        self.same("the top tickets are /reports/top's", [(r[0], r[1], int(r[5])) for r in rows],
                  [(t["number"], t["title"], t["occurrences"]) for t in top])
        self.check(made and top and top[0]["number"] == made["number"] and
                   rows and rows[0][1] == self.NASTY,
                   "the top ticket is the one with 40 occurrences, its title intact", rows[:1])
        daily = json.loads(self.http(d, "GET", f"/reports/daily?since={since}")[2])
        today = time.strftime("%Y-%m-%d", time.gmtime())
        self.same("occurrences in 30 days are /reports/daily's", page.ids.get("occurrences"),
                  str(sum(r["occurrences"] for r in daily)))
        self.same("and today's", page.ids.get("today"),
                  str(sum(r["occurrences"] for r in daily if r["day"] == today)))
        self.same("a bar a day", len(re.findall(r"<rect ", text)), 30)
        summary = json.loads(self.http(d, "GET", f"/reports/summary?since={since}")[2])
        self.same("regressions are /reports/summary's", page.ids.get("regressed"),
                  str(summary["regressions"]))
        self.check(summary["regressions"] >= 1, "the page's story has a regression", summary)
        regressed = [t["number"] for t in json.loads(
            self.http(d, "GET", "/tickets?regressed&status=open&limit=10")[2])]
        self.same("the open regressed tickets are /tickets?regressed's",
                  [r[0] for r in page.sections.get("regressions", [])[1:]], regressed)
        # The sign-in: ?token= sets the cookie and sends the token out of
        # the address bar; the cookie opens the page and nothing else.
        st, hdrs, text = self.page_get(d, "/?token=" + reader)
        self.same("GET /?token= answers", (st, hdrs.get("Location")), (303, "/"))
        cookie = hdrs.get("Set-Cookie") or ""
        attrs = [a.strip() for a in cookie.split(";")]
        self.same("the cookie holds the token", attrs[0], f"bugtrack_token={reader}")
        for a in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.check(a in attrs, f"the cookie is {a}", cookie)
        self.check("Secure" not in attrs, "no Secure flag over plain HTTP", cookie)
        jar = {"Cookie": attrs[0]}
        st, _, text = self.page_get(d, "/", jar)
        self.check(st == 200 and 'id="counts"' in text, "the cookie opens the page", text[:300])
        for path in ("/tickets", "/stats"):
            self.want(f"the cookie does not open /api/v1{path}",
                      self.http(d, "GET", path, token=None, headers=jar), 401, "unauthorized")
        self.want("nor a write", self.http(d, "POST", "/tickets", {"title": "csrf"}, token=None,
                                           headers=jar), 401, "unauthorized")
        st, _, _ = self.page_get(d, "/tickets", {"Authorization": f"Bearer {reader}"})
        self.same("the API is below /api/v1 only", st, 404)
        self.want("POST / is not served", self.http(d, "POST", "/", {}, root=True), 405,
                  "method_not_allowed")
        self.check(reader[4:] not in d.text(), "the log never holds the page's token")
        self.check(re.search(r"GET / 303", d.text()), "the log shows the sign-in without its query",
                   d.text()[-500:])
        rc, _, err = self.run("token", "revoke", "page-reader", db=db)
        self.check(rc == 0, "bugtrack token revoke", err)
        st, _, text = self.page_get(d, "/", jar)
        self.check(st == 401 and "<form" in text, "a revoked token's cookie is 401, the form")
        d.stop()

    def check_status_page_browser(self):
        """The page in a real browser: headless Chromium signs in with
        ?token= (303, the cookie), and its DOM and screenshot show the page.
        Without Chromium it skips, unless BT_TEST_REQUIRE_BROWSER=1 (CI)."""
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        if not browser:
            why = "no chromium (apt-get install chromium) for the status page's browser check"
            if os.environ.get("BT_TEST_REQUIRE_BROWSER"):
                self.fail(why + ", and BT_TEST_REQUIRE_BROWSER is set")
            else:
                print(f"SKIP check_status_page_browser: {why}")
            return
        db = self.copy_db("browser.db")
        d = Daemon(self, db)
        d.db = db
        reader = self.make_token(db, "browser", "read")
        self.page_data(d)
        stats = json.loads(self.http(d, "GET", "/stats")[2])
        started = time.monotonic()

        def chromium(what, *args):
            # A profile of its own each time: no cookie is left from before.
            profile = os.path.join(self.tmp, f"chromium-{what}")
            return subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu",
                                   "--no-first-run", f"--user-data-dir={profile}",
                                   "--window-size=1024,768", *args,
                                   d.root("/?token=" + reader)],
                                  capture_output=True, timeout=120)

        p = chromium("dom", "--dump-dom")
        dom = p.stdout.decode("utf-8", errors="replace")
        m = re.search(r'<tr id="sev-all"[^>]*>.*?<td class="n open">(\d+)</td>'
                      r'<td class="n overdue">(\d+)</td>', dom)
        self.check(m and (int(m.group(1)), int(m.group(2))) == (stats["open"], stats["overdue"]),
                   "Chromium, signed in by ?token= and the cookie, shows /stats' counts",
                   dom[:800] or p.stderr.decode(errors="replace")[-800:])
        self.check("&lt;script&gt;alert" in dom, "and the hostile title as text")
        shot = os.path.join(self.tmp, "status.png")
        p = chromium("shot", f"--screenshot={shot}", "--hide-scrollbars")
        if self.check(os.path.exists(shot), "Chromium takes a screenshot",
                      p.stderr.decode(errors="replace")[-800:]):
            width, height, inked = png_inked(open(shot, "rb").read())
            self.same("the screenshot's size", (width, height), (1024, 768))
            # Text, tables and the bars: far from a blank or an error page.
            self.check(inked > 0.02, f"the screenshot is not blank ({inked:.1%} inked)")
            # A 401 page with its form would be a small part of this.
        took = time.monotonic() - started
        print(f"note: the status page's browser check took {took:.1f} s")
        d.stop()

    # ---- ingest ----

    def check_ingest(self):
        db = self.copy_db("ingest.db")
        d = Daemon(self, db)
        ingest = self.make_token(db, "collector", "ingest")
        one = {"level": "critical", "component": "payments", "message": "card 4242 declined after 30 s",
               "error_type": "CardDeclined", "service": "checkout-py", "host": "py-3",
               "environment": "production", "release": "2.7.1", "context": {"order": 17}}
        got = self.want("one occurrence", self.http(d, "POST", "/occurrences", one, token=ingest),
                        201)
        tid = got["tickets"][0] if got else 0
        self.check(tid > 0 and got["accepted"] == 1, "it made a ticket", got)
        # The same error with other numbers, from another host: the message
        # is normalized into the same template, so the same ticket.
        more = [dict(one, message=f"card {n} declined after {n % 60} s", host=f"py-{n}")
                for n in range(3)]
        got = self.want("an array", self.http(d, "POST", "/occurrences", more, token=ingest), 201)
        if got:
            self.same("the same ticket for each", set(got["tickets"]), {tid})
        shown = json.loads(self.cli_json(db, "show", str(tid), "--json"))["ticket"]
        self.same("counted, with the event's own context",
                  (shown["occurrence_count"], shown["service"], shown["host"],
                   shown["environment"], shown["release_sha"]),
                  (4, "checkout-py", "py-3", "production", "2.7.1"))
        # Bad input stores nothing of the request, even its good ones.
        for what, body in (("no message", [one, {"component": "x"}]),
                           ("a bad level", dict(one, level="fatal")),
                           ("an unknown member", dict(one, colour="red")),
                           ("not an object", [one, 7]),
                           ("empty", []),
                           ("too many", [one] * 1001)):
            self.want(what, self.http(d, "POST", "/occurrences", body, token=ingest), 422,
                      "invalid")
        self.same("nothing of a refused request is stored",
                  json.loads(self.cli_json(db, "show", str(tid), "--json"))["ticket"]["occurrence_count"],
                  4)
        self.want("a read token cannot ingest", self.http(d, "POST", "/occurrences", one,
                                                          token=self.make_token(db, "r", "read")),
                  403, "forbidden")
        # Four processes at once, each its own connections: exact counts.
        jobs = [(d.url("/occurrences"), ingest, k) for k in range(4)]
        with multiprocessing.get_context("fork").Pool(4) as pool:
            acked = sum(pool.map(ingest_worker, jobs))
        self.same("every acknowledged occurrence acknowledged", acked, 4 * INGEST_CALLS * 10)
        rows = json.loads(self.cli_json(db, "list", "--component", "ingest", "--json"))
        self.same("one ticket per error", len(rows), 2)
        self.same("stored equals acknowledged", sum(t["occurrence_count"] for t in rows), acked)
        d.stop()

    def check_locked(self):
        """Another process holds the write lock: writes give 503 within the
        busy timeout (never a hang), reads go on, and a batch that was
        accepted but could not commit is stored once, later, by the
        daemon: its 503 says not to send it again."""
        if self.postgresql:
            return
        import sqlite3
        db = self.copy_db("locked.db")
        d = Daemon(self, db, "--busy-timeout", "300")
        lock = sqlite3.connect(db, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            batch = [{"level": "critical", "component": "locked", "message": f"disk {i} gone"}
                     for i in range(10)]
            for what, path, body in (("a ticket", "/tickets", {"title": "x"}),
                                     ("one occurrence", "/occurrences", batch[0]),
                                     ("a batch", "/occurrences", batch)):
                t0 = time.monotonic()
                got = self.want(f"{what} while locked", self.http(d, "POST", path, body), 503,
                                "unavailable")
                took = time.monotonic() - t0
                self.check(took < 5, f"{what} while locked: answered in {took:.1f} s")
                if path == "/occurrences" and isinstance(body, list) and got:
                    self.check("do not send them again" in got["error"]["message"],
                               "the batch's 503 says it stays queued", got)
            self.want("a read while locked", self.http(d, "GET", "/tickets/1"), 200)
        finally:
            lock.rollback()
            lock.close()
        # The writer commits the queued batch once the lock is gone.
        count, deadline = 0, time.time() + 10
        while time.time() < deadline:
            rows = json.loads(self.cli_json(db, "list", "--component", "locked", "--json"))
            count = sum(t["occurrence_count"] for t in rows)
            if count >= 10:
                break
            time.sleep(0.1)
        self.same("the queued batch, stored once", count, 10)
        d.stop()

    def check_bad_input(self):
        """README's bad-input table, bugtrackd's rows: each case gets its
        status, code and message, and leaves every stored row as it was;
        the table and HTTP_CASES hold the same ids, results and quotes."""
        db = self.copy_db("bad.db")
        d = Daemon(self, db, "--max-body", "4096", "--max-depth", "8", "--busy-timeout", "300")
        tokens = {"admin": True, "none": None, "wrong": "bt_" + "0" * 40,
                  "read": self.make_token(db, "reader", "read")}
        self.want("ticket 2 claimed by holder",
                  self.http(d, "POST", "/tickets/2/claim", {"agent": "holder"}), 200)
        self.http(d, "GET", "/tickets", token=tokens["read"])  # each token's last use, now

        def rows():
            if self.postgresql:
                return None
            return {k: v for k, v in secutil.table_rows(db).items() if k != "api_tokens"}

        before = rows()
        for cid, method, path, body, tok, headers, status, code, says in HTTP_CASES:
            lock = None
            if cid == "http-locked":
                if self.postgresql:
                    continue
                import sqlite3
                lock = sqlite3.connect(db, isolation_level=None)
                lock.execute("BEGIN IMMEDIATE")
            try:
                raw = body if isinstance(body, bytes) else None
                got = self.http(d, method, path, None if raw is not None else body, headers,
                                raw=raw, token=tokens[tok])
            finally:
                if lock:
                    lock.rollback()
                    lock.close()
            doc = self.want(cid, got, status, code)
            msg = (doc or {}).get("error", {}).get("message", "")
            self.check(says in msg, f"{cid}: the message says {says!r}", msg)
        self.same("bad input leaves every row as it was", rows(), before)
        d.stop()
        listed = {cid: (result, line) for cid, result, line in secutil.readme_bad_input(README)
                  if cid.startswith("http-")}
        ours = {c[0]: c for c in HTTP_CASES}
        self.same("README's http-* rows are HTTP_CASES'", sorted(listed), sorted(ours))
        for cid in sorted(set(listed) & set(ours)):
            result, line = listed[cid]
            self.same(f"README: the result of {cid}", result, f"HTTP {ours[cid][6]} {ours[cid][7]}")
            self.check(ours[cid][8] in line,
                       f"README: the row of {cid} quotes {ours[cid][8]!r}")

    def check_external_id(self):
        """/tickets/{id} and the tool's ticket argument take the id another
        system gave a ticket (an imported report's report_id)."""
        db = self.copy_db("external.db")
        legacy = os.path.join(self.tmp, "legacy.json")
        with open(legacy, "w") as f:
            json.dump([{"report_id": "EXT-7", "description": "from the old tracker"}], f)
        self.cli_json(db, "import", legacy)
        d = Daemon(self, db)
        got = self.want("GET /tickets/EXT-7", self.http(d, "GET", "/tickets/EXT-7"), 200)
        shown = json.loads(self.cli_json(db, "show", "EXT-7", "--json"))
        self.same("the tool's show EXT-7 is that ticket",
                  (got or {}).get("ticket", {}).get("number"), shown["ticket"]["number"])
        self.same("its external id", shown["ticket"]["external_id"], "EXT-7")
        self.want("an external id no ticket has", self.http(d, "GET", "/tickets/EXT-8"), 404,
                  "not_found")
        d.stop()

    def check_full(self):
        """A database that cannot grow (the daemon's file size limit) gives
        503 with a message; the daemon lives on, and reads go on."""
        if self.postgresql:
            return
        import resource
        db = self.copy_db("full.db")
        limit = os.path.getsize(db) + 256 * 1024

        def cap():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        d = Daemon(self, db, preexec_fn=cap)
        got, n = None, 0
        while n < 400:
            body = [{"level": "critical", "component": f"full{n}-{i}",
                     "message": f"filler {n} {i} " + os.urandom(2000).hex()} for i in range(2)]
            got = self.http(d, "POST", "/occurrences", body)
            if got[0] != 201:
                break
            n += 1
        doc = self.want("a batch to a full database", got, 503, "unavailable")
        # SQLite reports EFBIG as an I/O error (ENOSPC as a full disk).
        self.check(doc and "disk I/O error" in doc["error"]["message"],
                   "the 503 says the write failed", doc)
        # The checkpointer may still write some of the WAL back and let it
        # start over: a few more single occurrences can fit before it
        # cannot, and each one acknowledged is committed.
        acked = []
        for n in range(50):
            got = self.http(d, "POST", "/occurrences",
                            {"level": "critical", "component": f"full-one-{n}",
                             "message": "x" + os.urandom(4000).hex()})
            if got[0] != 201:
                break
            acked.append(f"full-one-{n}")
        doc = self.want("one occurrence to a full database", got, 503, "unavailable")
        for comp in acked:
            st, _, body = self.http(d, "GET", f"/tickets?component={comp}")
            self.check(st == 200 and len(json.loads(body)) == 1,
                       f"acknowledged {comp} is stored", (st, body[:200]))
        self.check(doc and "disk I/O error" in doc["error"]["message"],
                   "its 503 says the write failed", doc)
        self.check(d.proc.poll() is None, "the daemon lives on")
        self.want("a read of a full database", self.http(d, "GET", "/tickets/1"), 200)
        d.stop()

    def check_claim_race(self):
        """8 agent processes poll /pending and claim 100 new tickets at
        once: each ticket is claimed exactly once, by the agent it says."""
        db = self.copy_db("race.db")
        d = Daemon(self, db)
        for i in range(100):
            self.want(f"ticket {i}", self.http(d, "POST", "/tickets", {"title": f"race {i}"}), 201)
        st, _, body = self.http(d, "GET", "/pending?limit=1000")
        offered = {t["id"] for t in json.loads(body)} if st == 200 else set()
        self.check(len(offered) >= 100, "the 100 tickets are pending", len(offered))
        jobs = [(d.url(""), self.make_token(db, f"racer-{k}", "agent"), f"racer-{k}")
                for k in range(8)]
        with multiprocessing.get_context("fork").Pool(8) as pool:
            got = pool.map(claim_worker, jobs)
        claims = [tid for ids in got for tid in ids]
        self.check(all(tid > 0 for tid in claims), "no request failed",
                   [tid for tid in claims if tid <= 0])
        self.same("each ticket claimed once", len(claims), len(set(claims)))
        self.same("every pending ticket claimed", set(claims), offered)
        self.check(sum(1 for ids in got if ids) > 1, "more than one agent won claims",
                   [len(ids) for ids in got])
        rows = json.loads(self.cli_json(db, "list", "--status", "new,triaged,in_progress",
                                        "--json", "--limit", "1000"))
        holder = {t["id"]: t["claimed_by"] for t in rows}
        self.same("each held by the agent that won it",
                  {tid: holder.get(tid) for ids, (_, _, name) in zip(got, jobs) for tid in ids},
                  {tid: name for ids, (_, _, name) in zip(got, jobs) for tid in ids})
        d.stop()

    # ---- metrics ----

    def check_metrics(self):
        db = self.copy_db("metrics.db")
        d = Daemon(self, db)
        for _ in range(3):
            self.http(d, "GET", "/tickets")
        self.http(d, "GET", "/no/such/route")
        self.want("metrics need a token", self.http(d, "GET", "/metrics", token=None), 401,
                  "unauthorized")
        st, hdrs, body = self.http(d, "GET", "/metrics")
        self.same("GET /metrics", st, 200)
        self.same("Prometheus' text format", (hdrs.get("Content-Type") or "")[:10], "text/plain")
        values = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        stats = json.loads(self.cli_json(db, "stats", "--json"))
        for status, n in stats["by_status"].items():
            self.same(f"tickets {status}", values.get(f'bugtrack_tickets{{status="{status}"}}'), n)
        for sev, n in stats["open_by_severity"].items():
            self.same(f"open {sev}", values.get(f'bugtrack_open_tickets{{severity="{sev}"}}'), n)
        rows = json.loads(self.cli_json(db, "list", "--status", ",".join(stats["by_status"]), "--json"))
        # A merged duplicate's count is its canonical ticket's too.
        self.same("every occurrence, exactly (the tickets' counts)",
                  values.get("bugtrack_occurrences_total"),
                  sum(t["occurrence_count"] for t in rows if t["duplicate_of"] is None))
        route = 'route="GET /tickets"'
        self.same("requests counted by route and class",
                  values.get(f'bugtrackd_requests_total{{{route},code="2xx"}}'), 3)
        self.same("an unmatched request", values.get(
            'bugtrackd_requests_total{route="none",code="4xx"}'), 1)
        buckets = [v for k, v in values.items()
                   if k.startswith(f"bugtrackd_request_duration_seconds_bucket{{{route}")]
        self.check(buckets == sorted(buckets) and buckets and buckets[-1] == 3,
                   "the histogram's buckets are cumulative, +Inf the count", buckets)
        self.same("the histogram's count", values.get(
            f"bugtrackd_request_duration_seconds_count{{{route}}}"), 3)
        self.check_wal_metrics(d)
        d.stop()

    def check_wal_metrics(self, d):
        """The checkpointer's view of SQLite's WAL; none on PostgreSQL."""
        wal = {}
        for _ in range(100):  # its first round runs as the daemon starts
            st, _, body = self.http(d, "GET", "/metrics")
            wal = {k: float(v) for k, v in (line.rsplit(" ", 1) for line in body.decode()
                   .splitlines() if line.startswith("bugtrackd_wal_"))}
            if wal or self.postgresql:
                break
            time.sleep(0.02)
        if self.postgresql:
            self.same("no WAL gauges on PostgreSQL", wal, {})
            return
        self.check(set(wal) == {"bugtrackd_wal_pages", "bugtrackd_wal_backfilled_pages"}
                   and 0 <= wal["bugtrackd_wal_backfilled_pages"] <= wal["bugtrackd_wal_pages"],
                   "the WAL's pages and those written back", wal)

    # ---- TLS ----

    def check_tls(self):
        if not shutil.which("openssl"):
            print("SKIP check_tls: no openssl to make a certificate")
            return
        cert, key = os.path.join(self.tmp, "cert.pem"), os.path.join(self.tmp, "key.pem")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True)
        if not self.check(p.returncode == 0, "openssl makes a certificate", p.stderr):
            return
        db = self.copy_db("tls.db")
        d = Daemon(self, db, "--tls-cert", cert, "--tls-key", key)
        # curl checks the certificate against the one we made.
        p = subprocess.run(["curl", "-sS", "--cacert", cert, "-H", f"Authorization: Bearer {d.token}",
                            "-o", "/dev/null", "-w", "%{http_code}", d.url("/tickets")],
                           capture_output=True, timeout=30)
        self.same("HTTPS with the certificate (curl)", p.stdout, b"200")
        # The status page's cookie is Secure under TLS.
        p = subprocess.run(["curl", "-sS", "--cacert", cert, "-D", "-", "-o", "/dev/null",
                            d.root("/?token=" + d.token)], capture_output=True, timeout=30)
        cookie = re.search(rb"(?im)^set-cookie: *(.*?)\r?$", p.stdout)
        self.check(cookie and b"; Secure" in cookie.group(1),
                   "under TLS the status page's cookie is Secure", p.stdout)
        p = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                            d.url("/healthz").replace("https:", "http:")],
                           capture_output=True, timeout=30)
        self.check(p.stdout != b"200", "plain HTTP is not served on a TLS port", p.stdout)
        d.stop()
        bad = subprocess.run([self.bugtrackd, "--db", db, "--listen", "127.0.0.1:0",
                              "--tls-cert", cert], capture_output=True, timeout=30)
        self.check(bad.returncode == 2 and b"go together" in bad.stderr,
                   "--tls-cert without --tls-key is refused", bad.stderr)
        bad = subprocess.run([self.bugtrackd, "--db", db, "--listen", "127.0.0.1:0",
                              "--tls-cert", cert, "--tls-key", cert], capture_output=True,
                             timeout=30)
        self.check(bad.returncode != 0, "a key that is not a key is refused", bad.stderr)

    # ---- the OpenAPI description against the routes served ----

    def check_openapi(self):
        spec_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "doc",
                                 "openapi.yaml")
        # Paths are below the document's server (/api/v1) unless a path
        # has servers of its own (the status page, at the root).
        spec, path, method, base = set(), None, None, "/api/v1"
        for line in open(spec_path):
            m = re.match(r"^  (/\S*):\s*$", line)
            if m:
                path, method, base = m.group(1), None, "/api/v1"
                continue
            m = re.match(r"^      - url: \w+://[^/\s]+(/\S*)?\s*$", line)
            if m and path and not method:
                base = (m.group(1) or "").rstrip("/")
                continue
            if re.match(r"^\S", line):
                path = None if not line.startswith("paths:") else path
                continue
            m = re.match(r"^    (get|post|patch|put|delete):\s*$", line)
            if m and path:
                method = m.group(1).upper()
                continue
            m = re.match(r"^      x-scope:\s*(\w+)\s*$", line)
            if m and path and method:
                spec.add((method, base + path, m.group(1)))
        p = subprocess.run([self.bugtrackd, "--routes"], capture_output=True, text=True)
        served = set()
        for line in p.stdout.splitlines():
            method, route, scope = line.split()
            served.add((method, route, scope))
        self.check(len(served) >= 19, "bugtrackd --routes lists its routes", p.stdout)
        for op in sorted(served - spec):
            self.fail(f"served but not in doc/openapi.yaml (or with another x-scope): {op}")
        for op in sorted(spec - served):
            self.fail(f"in doc/openapi.yaml but not served: {op}")
        self.checks += 1
        # And the daemon answers each with the route, not 404/405 of none.
        db = self.copy_db("openapi.db")
        d = Daemon(self, db)
        for method, route, _ in sorted(spec):
            path = route.replace("{id}", "1").replace("{kind}", "summary")
            st, _, body = self.http(d, method, path + ("?wait=0" if path.endswith("/pending")
                                                       else ""),
                                    raw=b"{}" if method != "GET" else None, root=True)
            routed = st != 405 and not (st == 404 and b"no route" in body)
            self.check(routed, f"{method} {path} is served", body)
        d.stop()
        try:
            import yaml
        except ImportError:
            print("note: no python3-yaml; doc/openapi.yaml's YAML syntax was not parsed")
            return
        doc = yaml.safe_load(open(spec_path))
        self.same("an OpenAPI 3 document", str(doc.get("openapi", ""))[:2], "3.")

    # ---- examples/agent.py, a stdlib-only agent ----

    def check_agent_example(self):
        agent = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                             "agent.py")
        db = self.copy_db("agent.db")
        d = Daemon(self, db)
        token = self.make_token(db, "example-agent", "agent")
        env = dict(os.environ, BUGTRACKD_TOKEN=token)
        p = subprocess.run([sys.executable, agent, "--url", d.url("").rsplit("/api/v1", 1)[0],
                            "--agent", "agent:example", "--wait", "5", "--once"],
                           capture_output=True, text=True, env=env, timeout=120)
        self.check(p.returncode == 0 and "resolved BUG-" in p.stdout,
                   "examples/agent.py claims, notes and resolves a ticket", p.stdout + p.stderr)
        m = re.search(r"resolved (BUG-\d+)", p.stdout)
        if m:
            shown = json.loads(self.cli_json(db, "show", m.group(1), "--json"))
            t = shown["ticket"]
            self.same("resolved by the agent's token, with its commit",
                      (t["status"], t["resolved_by"], t["resolution_commit"]),
                      ("resolved", "example-agent", "0" * 39 + "1"))
            notes = [e for e in shown["events"] if e["kind"] == "note"]
            self.check(any("agent:example is looking" in (e.get("note") or "") for e in notes),
                       "the agent's note is in the trail", notes)
        d.stop()

    # ---- per-token rate limits ----

    def check_rate_limit(self):
        db = self.copy_db("rate.db")
        d = Daemon(self, db, "--rate-limit", "5")
        other = self.make_token(db, "other", "read")
        got = [self.http(d, "GET", "/healthz") for _ in range(2)]  # no token: not limited
        self.same("healthz is not limited", {g[0] for g in got}, {200})
        got = [self.http(d, "GET", "/tickets?limit=1") for _ in range(30)]
        codes = [g[0] for g in got]
        self.check(codes.count(200) >= 10 and codes.count(429) >= 5,
                   "a burst of 10 passes, then 429", codes)
        limited = next((g for g in got if g[0] == 429), None)
        if limited:
            self.want("429's body", limited, 429, "rate_limited")
            retry = int(limited[1].get("Retry-After") or 0)
            self.check(retry >= 1, "429 says when to retry", limited[1])
        self.want("another token has its own bucket",
                  self.http(d, "GET", "/tickets?limit=1", token=other), 200)
        time.sleep(1.2)
        self.want("after the wait, allowed again", self.http(d, "GET", "/tickets?limit=1"), 200)
        d.stop()

    # ---- webhooks ----

    def check_webhooks(self):
        import hashlib
        import hmac
        import http.server

        got, lock = [], threading.Lock()
        fail_first = {"left": 1}

        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    refuse = fail_first["left"] > 0
                    fail_first["left"] -= 1
                    got.append((refuse, dict(self.headers), body))
                self.send_response(500 if refuse else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        secret_file = os.path.join(self.tmp, "hook.secret")
        with open(secret_file, "w") as f:
            f.write("s3cret\n")
        exec_log = os.path.join(self.tmp, "notify.log")
        db = self.copy_db("hooks.db")
        d = Daemon(self, db, "--webhook", f"http://127.0.0.1:{srv.server_port}/hook",
                   "--webhook-secret-file", secret_file, "--notify-exec", f"cat >> {exec_log}; echo >> {exec_log}")

        def delivered(kind, timeout=15):
            deadline = time.time() + timeout
            while time.time() < deadline:
                with lock:
                    for refused, hdrs, body in got:
                        if not refused and json.loads(body).get("event") == kind:
                            return hdrs, body
                time.sleep(0.1)
            return None, None

        made = self.want("a new ticket", self.http(d, "POST", "/tickets",
                                                   {"title": "webhook me"}), 201)
        hdrs, body = delivered("ticket.created")
        self.check(body is not None, "the new ticket is delivered, after a 500 and a retry", got)
        if body:
            doc = json.loads(body)
            self.same("the event's ticket", doc["ticket"]["number"], made and made["number"])
            self.check("webhook me" in doc["text"], "a text, for Slack", doc)
            want = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
            self.same("signed with HMAC-SHA256 of the body", hdrs.get("X-Bugtrack-Signature"),
                      want)
            self.check(sum(1 for r, _, b in got if r) == 1, "the 500 was retried", got)
        occ = [{"level": "critical", "component": "hooks", "message": "disk full"}] * 12
        self.want("12 occurrences of one error", self.http(d, "POST", "/occurrences", occ), 201)
        _, body = delivered("ticket.threshold")
        self.check(body is not None and json.loads(body)["threshold"] == 10,
                   "the 10th occurrence is told", body)
        deadline = time.time() + 10
        while time.time() < deadline and not (os.path.exists(exec_log) and
                                              "ticket.threshold" in open(exec_log).read()):
            time.sleep(0.1)
        self.check(os.path.exists(exec_log) and "ticket.created" in open(exec_log).read(),
                   "--notify-exec gets the events on stdin")
        self.check("s3cret" not in d.text(), "the secret is never logged")
        # An SLA breach: a critical report filed 4 h (its SLA) less 3 s ago
        # falls due while the daemon runs, and is told once.
        report = os.path.join(self.tmp, "due.json")
        with open(report, "w") as f:
            json.dump({"report_id": "SLA-1", "title": "falls due", "severity": "critical",
                       "submitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                     time.gmtime(time.time() - 4 * 3600 + 3))}, f)
        self.cli_json(db, "import", report)
        _, body = delivered("ticket.sla_breached", timeout=20)
        self.check(body is not None and json.loads(body)["ticket"]["title"] == "falls due",
                   "the SLA breach is told when the ticket falls due", body)

        def told(kind):
            with lock:
                return sum(1 for r, _, b in got if not r and json.loads(b).get("event") == kind)
        before = {k: told(k) for k in ("ticket.sla_breached", "ticket.threshold")}
        self.check(before["ticket.sla_breached"] == 1, "the breach is told once", before)
        d.stop()
        # A restart does not tell again what the previous run told.
        d = Daemon(self, db, "--webhook", f"http://127.0.0.1:{srv.server_port}/hook",
                   "--webhook-secret-file", secret_file)
        time.sleep(5)  # over two SLA scans and several threshold scans
        after = {k: told(k) for k in before}
        self.same("what a restart tells again", after, before)
        d.stop()
        srv.shutdown()

    # ---- refusals ----

    def check_refusals(self):
        db = self.copy_db("refusals.db")
        d = Daemon(self, db, "--max-body", "4096", "--max-depth", "8")
        self.want("bad JSON", self.http(d, "POST", "/tickets", raw=b'{"title": '), 400, "bad_json")
        self.want("not an object", self.http(d, "POST", "/tickets", raw=b'[1]'), 400, "bad_json")
        self.want("duplicate member", self.http(d, "POST", "/tickets",
                                                raw=b'{"title":"a","title":"b"}'), 400, "bad_json")
        self.want("too deep", self.http(d, "POST", "/tickets",
                                        raw=b'{"title":"x","context":' + b'[' * 9 + b']' * 9 + b'}'),
                  400, "too_deep")
        self.want("as deep as allowed", self.http(
            d, "POST", "/tickets", raw=b'{"title":"x","context":' + b'[' * 7 + b']' * 7 + b'}'),
            201)
        self.want("too big", self.http(d, "POST", "/tickets",
                                       {"title": "x", "description": "y" * 5000}), 413, "too_large")
        # Without a Content-Length (chunked), the cap holds as the body comes.
        p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                            "-H", "Transfer-Encoding: chunked", "-H",
                            f"Authorization: Bearer {d.token}", "--data-binary", "@-",
                            d.url("/tickets")], input=b'{"title":"' + b"y" * 9000 + b'"}',
                           capture_output=True, timeout=30)
        self.same("too big, chunked (curl)", p.stdout, b"413")
        self.want("missing title", self.http(d, "POST", "/tickets", {"severity": "low"}),
                  422, "invalid")
        self.want("unknown member", self.http(d, "POST", "/tickets", {"title": "x", "sevrity": 1}),
                  422, "invalid")
        self.want("unknown severity", self.http(d, "POST", "/tickets",
                                                {"title": "x", "severity": "dire"}), 422, "invalid")
        self.want("a number for a string", self.http(d, "POST", "/tickets", {"title": 5}),
                  422, "invalid")
        self.want("unknown ticket", self.http(d, "GET", "/tickets/9999"), 404, "not_found")
        self.want("not a ticket id", self.http(d, "GET", "/tickets/nonsense"), 404, "not_found")
        self.want("unknown ticket's events", self.http(d, "GET", "/tickets/BUG-09999/events"),
                  404, "not_found")
        self.want("PATCH an unknown ticket", self.http(d, "PATCH", "/tickets/9999",
                                                       {"status": "triaged"}), 404, "not_found")
        self.want("unknown route", self.http(d, "GET", "/nothing"), 404, "not_found")
        self.want("outside /api/v1", self.http(d, "GET", "/../tickets"), 404, "not_found")
        got = self.http(d, "DELETE", "/tickets/1")
        self.want("wrong method", got, 405, "method_not_allowed")
        self.same("405's Allow", got[1].get("Allow"), "GET, PATCH")
        self.want("unknown query parameter", self.http(d, "GET", "/tickets?stauts=new"),
                  400, "bad_request")
        self.want("unknown status", self.http(d, "GET", "/tickets?status=done"), 400, "bad_request")
        self.want("bad limit", self.http(d, "GET", "/tickets?limit=0"), 400, "bad_request")
        self.want("bad date", self.http(d, "GET", "/tickets?since=lastweek"), 400, "bad_request")
        self.want("malformed cursor", self.http(d, "GET", "/tickets?cursor=zz"), 400, "bad_request")
        self.want("bad If-Match", self.http(d, "PATCH", "/tickets/1", {"status": "triaged"},
                                            {"If-Match": "W/abc"}), 400, "bad_request")
        self.want("nothing to change", self.http(d, "PATCH", "/tickets/1", {}), 422, "invalid")
        self.want("a move the lifecycle forbids", self.http(
            d, "PATCH", "/tickets/3", {"status": "triaged"}), 409, "state")
        self.want("release without a token", self.http(d, "POST", "/tickets/2/release", {}),
                  422, "invalid")
        self.want("merge into nothing", self.http(d, "POST", "/tickets/1/merge",
                                                  {"into": "BUG-09999"}), 422, "invalid")
        self.want("healthz", self.http(d, "GET", "/healthz"), 200)
        # The log: a line per request, never a query, a header or a body.
        self.http(d, "GET", "/tickets?search=SECRETQUERY",
                  headers={"Authorization": "Bearer SECRETTOKEN"})
        self.http(d, "POST", "/tickets", {"title": "SECRETBODY"})
        d.stop()
        log = d.text()
        for secret in ("SECRETQUERY", "SECRETTOKEN", "SECRETBODY"):
            self.check(secret not in log, f"the log does not hold {secret}", log[-2000:])
        self.check(re.search(r"127\.0\.0\.1 GET /tickets 401 [0-9.]+ ms", log),
                   "the log has a line per request", log[-2000:])

    # ---- the feed ----

    def check_feed(self):
        db = self.copy_db("feed.db")
        d = Daemon(self, db)
        ids, cursor, seen_pages = [], None, 0
        while seen_pages < 100:
            q = "/changes?limit=3" + (f"&since={cursor}" if cursor else "")
            doc = self.want(f"GET {q}", self.http(d, "GET", q), 200)
            if not doc:
                return
            seen_pages += 1
            ids += [e["id"] for e in doc["events"]]
            if not doc["events"]:
                break
            cursor = doc["cursor"]
        self.check(ids and ids == sorted(set(ids)), "the feed: every event once, in order", ids)
        # What happens next comes after the cursor, and only that.
        self.want("a change", self.http(d, "POST", "/tickets/1/events", {"note": "later"}), 201)
        doc = self.want("GET /changes?since=<end>", self.http(d, "GET", f"/changes?since={cursor}"),
                        200)
        if doc:
            self.same("the feed after its end", [(e["ticket_number"], e["kind"], e["note"])
                                                 for e in doc["events"]],
                      [("BUG-00001", "note", "later")])
        # since=now: nothing, and the cursor of the end, without paging there.
        doc = self.want("GET /changes?since=now", self.http(d, "GET", "/changes?since=now"), 200)
        if doc:
            self.same("since=now gives no event", doc["events"], [])
            self.want("another change", self.http(d, "POST", "/tickets/2/events",
                                                  {"note": "after now"}), 201)
            doc = self.want("GET /changes?since=<now's cursor>",
                            self.http(d, "GET", f"/changes?since={doc['cursor']}"), 200)
            self.same("the feed after now", [(e["ticket_number"], e["note"])
                                             for e in (doc or {}).get("events", [])],
                      [("BUG-00002", "after now")])
        self.want("malformed since", self.http(d, "GET", "/changes?since=%%%"), 400)
        d.stop()

    # ---- the long poll ----

    def check_long_poll(self):
        db = self.location("poll.db")
        d = Daemon(self, db, "--threads", "1")
        t0 = time.time()
        got = self.want("an empty queue's long poll", self.http(d, "GET", "/pending?wait=1"), 200)
        took = time.time() - t0
        self.same("an empty queue answers [] at the end of the wait", got, [])
        self.check(0.9 <= took < 3, f"wait=1 took {took:.2f} s")
        # A ticket filed during the wait ends it at once.
        result = {}

        def poll():
            t = time.time()
            result["doc"] = self.http(d, "GET", "/pending?wait=20")
            result["at"] = time.time()
            result["took"] = result["at"] - t

        th = threading.Thread(target=poll)
        th.start()
        time.sleep(0.5)
        # Parked, the poll holds no worker: with one thread, others are served.
        t = time.time()
        self.want("healthz while a poll waits", self.http(d, "GET", "/healthz"), 200)
        self.check(time.time() - t < 1, "healthz is served at once beside a parked poll")
        filed = time.time()
        self.want("a ticket during the wait", self.http(d, "POST", "/tickets", {"title": "wake"}), 201)
        th.join(30)
        st, _, body = result.get("doc", (None, None, b""))
        self.check(st == 200 and [t["title"] for t in json.loads(body or b"null") or []] == ["wake"],
                   "the long poll answers with the new ticket", body)
        late = result.get("at", 99e9) - filed
        self.check(late < 0.5, f"the long poll woke {late * 1000:.0f} ms after the ticket")
        self.want("wait above --max-wait", self.http(d, "GET", "/pending?wait=99999"), 400,
                  "bad_request")
        # A lease running out returns its ticket to the queue with no event:
        # a poll parked meanwhile answers then, not at the end of its wait.
        self.want("a 1 s claim", self.http(d, "POST", "/tickets/1/claim",
                                           {"agent": "agent:holder", "lease": 1}), 200)
        claimed = time.time()
        result.clear()
        th = threading.Thread(target=poll)
        th.start()
        th.join(30)
        st, _, body = result.get("doc", (None, None, b""))
        self.check(st == 200 and [t["title"] for t in json.loads(body or b"null") or []] == ["wake"],
                   "the long poll answers with the ticket whose lease ran out", body)
        late = result.get("at", 99e9) - (claimed + 1)
        self.check(late < 1.0, f"the long poll answered {late * 1000:.0f} ms after the lease ended")
        # A poll parked at SIGTERM is answered, and the stop does not wait for it.
        self.http(d, "POST", "/tickets/1/resolve", {})
        th = threading.Thread(target=poll)
        result.clear()
        th.start()
        time.sleep(0.5)
        t = time.time()
        rc = d.stop()
        th.join(30)
        self.check(rc == 0 and time.time() - t < 5, f"SIGTERM with a parked poll: exit {rc}",
                   d.text()[-1000:])
        self.same("the parked poll's answer at SIGTERM", result.get("doc", (None,))[0], 200)

    # ---- slow clients ----

    def check_slow_client(self):
        db = self.location("slow.db")
        d = Daemon(self, db, "--threads", "1", "--timeout", "1")
        stalled = []
        # Half a request line; full headers with a body that never comes.
        for data in (b"GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n",
                     b"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"):
            s = socket.create_connection(("127.0.0.1", d.port))
            s.sendall(data)
            stalled.append(s)
        t = time.time()
        for i in range(5):
            self.want(f"request {i} beside stalled clients", self.http(d, "GET", "/healthz"), 200)
        self.check(time.time() - t < 1, "stalled clients hold no worker (--threads 1)")
        for i, s in enumerate(stalled):
            s.settimeout(10)
            t = time.time()
            try:
                closed = s.recv(4096) == b""
            except (ConnectionResetError, socket.timeout):
                closed = True
            took = time.time() - t
            self.check(closed and took < 5, f"stalled client {i} cut by the 1 s timeout "
                       f"(after {took:.1f} s)")
            s.close()
        d.stop()

    # ---- SIGTERM under load ----

    def check_sigterm_under_load(self):
        db = self.location("load.db")
        d = Daemon(self, db)
        acked, lock, stop = [], threading.Lock(), threading.Event()

        def writer(n):
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    st, _, body = self.http(d, "POST", "/tickets", {"title": f"load {n}.{i}"})
                except (OSError, urllib.error.URLError):
                    continue  # refused once it stops: not acknowledged
                if st == 201:
                    with lock:
                        acked.append(json.loads(body)["number"])

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for th in threads:
            th.start()
        time.sleep(1.0)
        rc = d.stop()
        stop.set()
        for th in threads:
            th.join(30)
        self.same("exit status after SIGTERM under load", rc, 0)
        self.check("bugtrackd: stopped" in d.text(), "bugtrackd says it stopped", d.text()[-500:])
        stored = {t["number"] for t in json.loads(self.cli_json(db, "list", "--json") or "[]")}
        missing = [n for n in acked if n not in stored]
        self.check(len(acked) > 10 and not missing,
                   f"{len(acked)} acknowledged, {len(stored)} stored, {len(missing)} lost", missing)


if __name__ == "__main__":
    sys.exit(clitest.main(Check, sys.argv, __doc__, 3))
