#!/usr/bin/env python3
"""check_cli_injection.py - issue 8, SQL injection through the CLI.

Every text-taking option, operand and environment variable of every
`bugtrack` command gets every hostile string of HOSTILE (SQL breakers,
format strings, control characters, invalid UTF-8, 64 KiB, JSON and CSV
breakers, terminal escapes, option look-alikes).  For each run:

  * bugtrack finishes within the timeout, is not killed by a signal, and
    exits with a documented code (0, 1, 2, 3, 4; the slot says which), with
    'bugtrack: ' in front of any error;
  * the schema (sqlite_master) never changes;
  * read commands, and refused changes, leave every row of every table as
    it was (a checksum of all of them);
  * changes store the hostile text byte for byte where it belongs, touch no
    other ticket, and remove no row.

Then, per hostile string, the stored text is read back through every output
format: JSON parses and gives the text back (invalid UTF-8 as U+FFFD), CSV
parses and gives it back, and tables and `show` carry no control characters.
Error messages must not pass terminal escapes on either (stored text and
arguments reach stderr).  Last, the help of every command is parsed: an
option that takes a value or an operand that the table below does not
cover fails the test, so a new option cannot go untested.

Failures caused by a known bug are listed in KNOWN_BUGS (see there).

usage: check_cli_injection.py BUGTRACK FIXTURE
"""
import sys

sys.dont_write_bytecode = True  # keep the source tree clean

import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402

import secutil  # noqa: E402
from secutil import clitest  # noqa: E402

LONG = b"x' OR 1=1 -- " * 5000  # 65,000 bytes; argv takes up to 128 KiB per string

HOSTILE = [
    b"'",
    b'"',
    b"'; DROP TABLE tickets; --",
    b"x' OR '1'='1",
    b"Robert'); DELETE FROM error_logs; --",
    b"1; UPDATE tickets SET status='closed'",
    b"') UNION SELECT sql FROM sqlite_master --",
    b"*/ ATTACH DATABASE 'evil.db' AS evil; /*",
    b"%s%n%x%p%999999d%%",
    b"\\'\\\"\\\\",
    bytes(range(1, 32)) + b"\x7f",                              # NUL-free control characters
    b"\xff\xfe\xc0\xaf \xed\xa0\x80 \xf8\x88\x80\x80\x80 \xe2\x82 bad",  # invalid UTF-8
    LONG,
    b'"}]},{"id":1,"x":"\\u0000</script>\\',                     # JSON breakers
    b'a,b\r\n"c""d",=HYPERLINK("http://x")\n;',                 # CSV breakers
    b"\x1b[31mred\x1b[0m\x1b]0;pwned\x07\x1b[2J\x1b[H",         # terminal escapes
    b"--db=/tmp/x -rf",                                         # an option look-alike
    "héllo ☃ 𝄞 \u202e right-to-left \u2028\u200d".encode(),
    b"%_%",                                                     # LIKE wildcards
    b"",
]

ESCAPES = b"\x1b[2J\x1b]0;pwned\x07\x1b[31m"  # clear, retitle, red

# Cases that fail because of a known bug, not of this test: (command, slot,
# hostile string) -> the bug.  Such a case passes while it fails as
# described, and is listed loudly on stderr; once the bug is fixed it fails
# ("remove it from KNOWN_BUGS"), so that the mark cannot outlive the bug.
KNOWN_BUGS = {}

OPEN_TICKET = "1"      # BUG-00001: new, unclaimed
CLAIMED = "2"          # BUG-00002: claimed by agent:fixer-1
DUP = "7"              # BUG-00007: open, merged into 1 by the merge slots
DELETABLE = "5"        # BUG-00005
BAD_TOKEN = "0" * 32


def name_of(h):
    text = repr(h[:40]) + ("..." if len(h) > 40 else "")
    return f"{text} ({len(h)} bytes)"


def safe_path(h):
    """Whether @h may be used as a relative path in the scratch directory:
    nothing absolute, nothing above it."""
    return not h.startswith(b"/") and b".." not in h


# ---- the slots ----
#
# (command, slot, kind, argv builder, exit codes, stored check)
#   kind "read":  run on the shared copy; every row must stay as it was
#   kind "write": run on a fresh copy; the check says where the text went
#   kind "path":  run on a fresh copy in the scratch directory; only for
#                 hostile strings that are safe as relative paths
#   codes:        the exit codes allowed; a dict {hostile: codes} overrides
#
# A stored check is (table, id or None, column, want(h)); id None means
# "one of the rows added by the run".

def opt(name):
    return lambda h: b"--" + name.encode() + b"=" + h


def with_opt(prefix, name):
    return lambda h: list(prefix) + [opt(name)(h)]


def operand(prefix):
    # '--' ends the options, so that a string starting with '-' is an operand.
    return lambda h: list(prefix) + ["--", h]


def tickets_col(tid, col):
    return ("tickets", tid, col)


def event_col(col):
    return ("ticket_events", None, col)


def user_actor(h):
    # The default actor lives in a 128-byte buffer (tools/cli.h): a longer
    # $USER is cut there.
    return (b"user:" + (h if h else b"unknown"))[:127]


EMPTY_REFUSED = {b"": {2}}  # an empty value is a usage error where text is required

SLOTS = []


def slot(cmd, name, kind, build, allowed, stored=None, want=None, env=None):
    SLOTS.append(dict(cmd=cmd, name=name, kind=kind, build=build, allowed=allowed,
                      stored=stored, want=want or (lambda h: h), env=env))


def read_slots():
    ticket_filters = [("status", {2}), ("severity", {2}), ("severity-min", {2}), ("component", {0}),
                      ("assignee", {0}), ("since", {2}), ("until", {2}), ("changed-since", {2}),
                      ("search", {0}),
                      ("sort", {2})]
    for name, allowed in ticket_filters + [("limit", {2}), ("cursor", {2})]:
        over = {b"": {0, 2}} if name in ("cursor",) else {}
        slot("list", "--" + name, "read", with_opt(["list", "--json"], name), (allowed, over))
    slot("show", "TICKET", "read", operand(["show"]), ({2}, {}))
    slot("show", "--logs", "read", with_opt(["show", OPEN_TICKET], "logs"), ({2}, {}))
    slot("events", "TICKET", "read", operand(["events"]), ({2}, {}))
    slot("pending", "--agent", "read", with_opt(["pending", "--json"], "agent"), ({0}, {}))
    slot("pending", "--limit", "read", with_opt(["pending"], "limit"), ({2}, {}))
    slot("pending", "--max-attempts", "read", with_opt(["pending"], "max-attempts"), ({2}, {}))
    slot("export", "TABLE", "read", operand(["export"]), ({2}, {}))
    slot("export", "--format", "read", with_opt(["export", "tickets"], "format"), ({2}, {}))
    for name, allowed in ticket_filters:
        slot("export", "tickets --" + name, "read", with_opt(["export", "tickets"], name),
             (allowed, {}))
    for name, allowed in [("ticket", {2}), ("component", {0}), ("level", {2}), ("level-min", {2}),
                          ("since", {2}), ("until", {2})]:
        slot("export", "logs --" + name, "read", with_opt(["export", "logs"], name),
             (allowed, {}))
    slot("export", "events --ticket", "read", with_opt(["export", "events"], "ticket"),
         ({2}, {}))
    slot("report", "KIND", "read", operand(["report"]), ({2}, {}))
    for name in ("since", "until", "limit", "format"):
        slot("report", "--" + name, "read", with_opt(["report", "top"], name), ({2}, {}))
    # Any text is a component name: it matches no row, and the report is empty.
    slot("report", "--component", "read", with_opt(["report", "daily"], "component"), ({0}, {}))
    # watch runs bounded: --count 1 ends it on the first event it shows,
    # --timeout 1 when a filter lets none through (the history of the feed
    # is walked from the oldest event with --cursor=).
    watch = ["watch", "--json", "--cursor=", "--count=1", "--timeout=1"]
    for name, allowed in [("status", {2}), ("severity", {2}), ("severity-min", {2}), ("component", {0}),
                          ("assignee", {0}), ("count", {2}), ("timeout", {2})]:
        slot("watch", "--" + name, "read", with_opt(watch, name), (allowed, {}))
    slot("watch", "--cursor", "read", with_opt(["watch", "--json", "--count=1", "--timeout=1"],
                                               "cursor"), ({2}, {b"": {0}}))
    slot("migrate", "SUBCOMMAND", "read", operand(["migrate"]), ({2}, {}))
    slot("migrate", "stamp VERSION", "read", operand(["migrate", "stamp"]), ({2}, {}))
    slot("help", "COMMAND", "read", operand(["help"]), ({2}, {}))
    # No hostile string is a valid token name or scope: each is refused, and
    # nothing is stored.
    slot("token", "NAME", "read", operand(["token", "revoke"]), ({2}, {}))
    slot("token", "create NAME", "read", operand(["token", "create", "--scope=read"]), ({2}, {}))
    slot("token", "--scope", "read", with_opt(["token", "create", "x"], "scope"), ({2}, {}))
    slot("bugtrack", "COMMAND", "read", lambda h: [h], ({2}, {}))
    slot("bugtrack", "BUGTRACK_NOW_MS", "read", lambda h: ["list"], ({2}, {b"": {0}}),
         env="BUGTRACK_NOW_MS")
    for var in ("COLUMNS", "BUGTRACK_COLOR", "NO_COLOR", "TERM"):
        slot("bugtrack", var, "read", lambda h: ["list"], ({0}, {}), env=var)
    # Refused changes: the value is parsed, not stored, so nothing may change.
    for cmd, prefix in [("update", ["update", OPEN_TICKET, "--status=triaged"]),
                        ("assign", ["assign", OPEN_TICKET, "bob"]),
                        ("resolve", ["resolve", OPEN_TICKET]),
                        ("note", ["note", OPEN_TICKET, "text"]),
                        ("merge", ["merge", DUP, "--into=" + OPEN_TICKET]),
                        ("delete", ["delete", DELETABLE])]:
        slot(cmd, "--expect-version", "read", with_opt(prefix, "expect-version"), ({2}, {}))
        # A token that is not the live claim, even an empty one: a conflict.
        slot(cmd, "--token", "read", with_opt(prefix, "token"), ({4}, {}))
    slot("merge", "DUPLICATE", "read", lambda h: ["merge", "--into=" + OPEN_TICKET, "--", h],
         ({2}, {}))
    for cmd, build in [("update", lambda h: ["update", "--status=triaged", "--", h]),
                       ("assign", lambda h: ["assign", "--", h, "bob"]),
                       ("claim", lambda h: ["claim", "--agent=a", "--", h]),
                       ("release", lambda h: ["release", "--token=" + BAD_TOKEN, "--", h]),
                       ("renew", lambda h: ["renew", "--token=" + BAD_TOKEN, "--", h]),
                       ("resolve", lambda h: ["resolve", "--", h]),
                       ("note", lambda h: ["note", "--", h, "text"]),
                       ("delete", lambda h: ["delete", "--", h])]:
        slot(cmd, "TICKET", "read", build, ({2}, {}))
    slot("update", "--status", "read", with_opt(["update", OPEN_TICKET], "status"), ({2}, {}))
    slot("update", "--severity", "read", with_opt(["update", OPEN_TICKET], "severity"),
         ({2}, {}))
    slot("update", "--priority", "read", with_opt(["update", OPEN_TICKET], "priority"),
         ({2}, {}))
    # A wrong token: the actor and the note are parsed and passed, then
    # refused with the claim, so nothing is stored.
    for cmd in ("release", "renew"):
        slot(cmd, "--actor", "read", with_opt([cmd, CLAIMED, "--token=" + BAD_TOKEN], "actor"),
             ({4}, EMPTY_REFUSED))
        slot(cmd, "--note", "read", with_opt([cmd, CLAIMED, "--token=" + BAD_TOKEN], "note"),
             ({4}, {}))
    slot("claim", "--lease", "read", with_opt(["claim", OPEN_TICKET, "--agent=a"], "lease"),
         ({2}, {}))
    slot("release", "--token", "read", with_opt(["release", CLAIMED], "token"), ({4}, {}))
    slot("renew", "--token", "read", with_opt(["renew", CLAIMED], "token"), ({4}, {}))
    slot("renew", "--lease", "read", with_opt(["renew", CLAIMED, "--token=" + BAD_TOKEN],
                                              "lease"), ({2}, {}))
    slot("merge", "--into", "read", with_opt(["merge", DUP], "into"), ({2}, {}))
    slot("purge", "--days", "read", with_opt(["purge"], "days"), ({2}, {}))
    slot("purge", "--batch", "read", with_opt(["purge", "--days=9999"], "batch"), ({2}, {}))


def write_slots():
    t1 = OPEN_TICKET
    slot("update", "--note", "write", with_opt(["update", t1, "--status=triaged"], "note"),
         ({0}, {}), event_col("note"))
    slot("update", "--actor", "write", with_opt(["update", t1, "--status=triaged"], "actor"),
         ({0}, EMPTY_REFUSED), event_col("actor"))
    slot("update", "--category", "write", with_opt(["update", t1], "category"), ({0}, {}),
         tickets_col(1, "category"), want=lambda h: h if h else None)
    slot("assign", "ASSIGNEE", "write", operand(["assign", t1]), ({0}, EMPTY_REFUSED),
         tickets_col(1, "assignee"))
    slot("assign", "--note", "write", with_opt(["assign", t1, "bob"], "note"), ({0}, {}),
         event_col("note"))
    slot("assign", "--actor", "write", with_opt(["assign", t1, "bob"], "actor"),
         ({0}, EMPTY_REFUSED), event_col("actor"))
    slot("claim", "--agent", "write", with_opt(["claim", t1], "agent"), ({0}, EMPTY_REFUSED),
         tickets_col(1, "claimed_by"))
    for name, col in [("notes", "resolution_notes"), ("commit", "resolution_commit"),
                      ("release", "resolved_release")]:
        slot("resolve", "--" + name, "write", with_opt(["resolve", t1], name), ({0}, {}),
             tickets_col(1, col))
    slot("resolve", "--actor", "write", with_opt(["resolve", t1], "actor"),
         ({0}, EMPTY_REFUSED), tickets_col(1, "resolved_by"))
    slot("note", "TEXT", "write", operand(["note", t1]), ({0}, EMPTY_REFUSED),
         event_col("note"))
    slot("note", "--actor", "write", with_opt(["note", t1, "text"], "actor"),
         ({0}, EMPTY_REFUSED), event_col("actor"))
    slot("merge", "--note", "write", with_opt(["merge", DUP, "--into=" + t1], "note"),
         ({0}, {}), event_col("note"))
    slot("merge", "--actor", "write", with_opt(["merge", DUP, "--into=" + t1], "actor"),
         ({0}, EMPTY_REFUSED), event_col("actor"))
    slot("delete", "--actor", "write", with_opt(["delete", DELETABLE], "actor"),
         ({0}, EMPTY_REFUSED), None)
    slot("import", "--actor", "write", lambda h: ["import", opt("actor")(h), "report.json"],
         ({0}, EMPTY_REFUSED), event_col("actor"))
    slot("import", "FILE content", "write", lambda h: ["import", "hostile.json"], ({0}, {}),
         ("tickets", None, "title"), want=lambda h: secutil.utf8_clean(h).encode()
         if h else b"Imported report R-hostile")
    slot("bugtrack", "USER", "write", lambda h: ["note", t1, "text"], ({0}, {}),
         event_col("actor"), want=user_actor, env="USER")


def path_slots():
    slot("bugtrack", "--db (read)", "path", lambda h: [b"--db=" + h, "list"], ({1, 3}, {}))
    slot("bugtrack", "--db (create)", "path", lambda h: [b"--db=" + h, "migrate", "up"],
         ({0, 1}, {}))
    slot("bugtrack", "BUGTRACK_DB", "path", lambda h: ["list"], ({1, 3}, {}),
         env="BUGTRACK_DB")
    slot("import", "FILE", "path", operand(["import"]), ({1}, {}))
    slot("export", "-o", "path", lambda h: ["export", "tickets", b"--output=" + h], ({0, 1}, {}))
    slot("migrate", "--all", "path", with_opt(["migrate", "status"], "all"), ({2, 3}, {}))


read_slots()
write_slots()
path_slots()

# Options and operands of `--help` that the slots cover, per command: the
# coverage check fails on anything else that takes a value.
NOT_TEXT = {"--db"}  # every command's --db is covered by the bugtrack --db slots
# Operands of the help that one slot covers under another name.
ALIASES = {("import", "DIR"): "FILE",  # the same operand: a path
           ("token", "SCOPE"): "--scope"}  # --scope's value, named in the usage line


def json_escape_bytes(h):
    """@h as the inside of a JSON string: quotes, backslashes and control
    characters escaped, other bytes (invalid UTF-8 too) as they are."""
    out = bytearray()
    for c in h:
        if c in (0x22, 0x5C):
            out += b"\\" + bytes([c])
        elif c < 0x20:
            out += b"\\u%04x" % c
        else:
            out.append(c)
    return bytes(out)


def casefold_table():
    """The library's folding table (lib/core/casefold_table.h), read apart
    from the C code that uses it."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                        "lib", "core", "casefold_table.h")
    with open(path, encoding="utf-8") as f:
        pairs = re.findall(r"\{0x([0-9A-F]+), 0x([0-9A-F]+)\}", f.read())
    table = {int(a, 16): chr(int(b, 16)) for a, b in pairs}
    table.update({c: chr(c + 32) for c in range(ord("A"), ord("Z") + 1)})
    return table


FOLD = casefold_table()


def casefold(x):
    """@x (bytes or str) folded; each byte of an invalid sequence is one
    U+FFFD, as the library reads it."""
    if isinstance(x, str):
        x = x.encode("utf-8", "surrogateescape")
    out, i = [], 0
    while i < len(x):
        lead = x[i]
        n = 1 if lead < 0x80 else 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF \
            else 4 if 0xF0 <= lead <= 0xF4 else 0
        try:
            ch = x[i:i + n].decode("utf-8") if n else None
        except UnicodeDecodeError:
            ch = None
        if ch is None or len(ch) != 1:
            out.append("\ufffd")
            i += 1
        else:
            out.append(FOLD.get(ord(ch), ch))
            i += n
    return "".join(out)


class Injection(clitest.Checker):
    name = "injection"
    timeout = secutil.TIMEOUT

    def __init__(self, bugtrack, fixture):
        super().__init__(bugtrack, fixture)
        self.env.update({"NO_COLOR": "1", "COLUMNS": "100"})
        self.runs = 0
        self.current = None  # (command, slot, hostile) of the case running
        self.known = {}      # KNOWN_BUGS key -> the failures it caused

    def fail(self, what, detail=""):
        if self.current in KNOWN_BUGS:
            self.known.setdefault(self.current, []).append(what)
            return
        super().fail(what, detail)

    def case(self, key, fn, *args):
        """Run one case; a KNOWN_BUGS case must still fail, and says so."""
        self.current = key
        try:
            fn(*args)
        finally:
            self.current = None
        if key in KNOWN_BUGS:
            if key in self.known:
                print(f"KNOWN BUG, not counted: {key[0]} {key[1]} = {name_of(key[2])}: "
                      f"{KNOWN_BUGS[key]}\n  " + "\n  ".join(self.known[key]), file=sys.stderr)
            else:
                self.fail(f"{key[0]} {key[1]} = {name_of(key[2])} passes now: remove it from "
                          "KNOWN_BUGS (" + KNOWN_BUGS[key] + ")")

    # ---- running ----

    def bt(self, args, db, env_var=None, h=None, cwd=None):
        env = secutil.env_bytes(self.env)
        if env_var:
            env[secutil.b(env_var)] = h
        if db is not None:
            args = [b"--db=" + secutil.b(db)] + list(args)
        self.runs += 1
        return secutil.run(self.bugtrack, args, env, cwd or self.tmp, wrapper=self.wrapper)

    def outcome(self, what, rc, err, allowed):
        """The checks every run gets; returns whether it ran to an exit."""
        self.checks += 1
        if rc is None:
            self.fail(f"{what}: no exit within {secutil.TIMEOUT} s (a hang)")
            return False
        if rc < 0:
            self.fail(f"{what}: killed by signal {-rc}", err[-2000:])
            return False
        self.check(rc in allowed, f"{what}: exit {rc}, expected one of {sorted(allowed)}",
                   err[-600:])
        if rc != 0:
            self.check(err.startswith(b"bugtrack: "), f"{what}: stderr lacks 'bugtrack: '",
                       err[:300])
        return True

    # ---- the slots ----

    def fresh(self, name):
        path = os.path.join(self.tmp, name)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        shutil.copyfile(self.db, path)
        return path

    def run_read(self, s, h, allowed, shared, baseline):
        what = f"{s['cmd']} {s['name']} = {name_of(h)}"
        args = s["build"](h)
        rc, out, err = self.bt(args, shared, env_var=s["env"], h=h)
        if not self.outcome(what, rc, err, allowed):
            return
        self.same(f"{what}: every row of every table", secutil.digest(shared), baseline)
        if rc == 0 and s["cmd"] == "watch":
            # NDJSON: every line an object; a hostile name matches no ticket.
            lines = out.decode("utf-8", "replace").splitlines()
            for line in lines:
                self.parse_json(f"{what}: ndjson line", line)
            if s["name"] in ("--component", "--assignee"):
                self.same(f"{what}: events shown", lines, [])
        elif rc == 0 and b"--json" in [secutil.b(a) for a in args]:
            value = self.parse_json(what, out.decode("utf-8", "replace"))
            if s["name"] == "--search" and value is not None:
                self.same(f"{what}: the tickets found", sorted(t["id"] for t in value),
                          self.matching(shared, h))
            elif s["name"] in ("--component", "--assignee") and value is not None:
                self.same(f"{what}: tickets found", value, [])

    def matching(self, db, h):
        """The ids `list --search @h` must find: a substring of the title,
        the error message or the description under Unicode simple case
        folding (the README), an invalid byte read as U+FFFD."""
        with secutil.connect_ro(db) as c:
            rows = c.execute("SELECT id, title, error_message, description FROM tickets").fetchall()
        return sorted(i for i, *texts in rows
                      if any(casefold(h) in casefold(t) for t in texts if t is not None))

    def run_write(self, s, h, allowed):
        what = f"{s['cmd']} {s['name']} = {name_of(h)}"
        db = self.fresh("write.db")
        before_schema = secutil.schema(db)
        before = secutil.table_rows(db)
        self.prepare_files(h)
        rc, out, err = self.bt(s["build"](h), db, env_var=s["env"], h=h)
        if not self.outcome(what, rc, err, allowed):
            return
        self.same(f"{what}: schema", secutil.schema(db), before_schema)
        after = secutil.table_rows(db)
        if rc != 0:
            self.same(f"{what}: refused, so every row stays", after, before)
            return
        self.nothing_else(what, s, before, after)
        if s["stored"]:
            self.stored(what, s, h, before, after)

    def prepare_files(self, h):
        """The files the import slots read: a plain report, and one whose
        title, description, component and category are @h."""
        with open(os.path.join(self.tmp, "report.json"), "wb") as f:
            f.write(b'{"report_id": "R-plain", "title": "plain"}')
        e = json_escape_bytes(h)
        with open(os.path.join(self.tmp, "hostile.json"), "wb") as f:
            f.write(b'{"report_id": "R-hostile", "title": "' + e + b'", "description": "' + e +
                    b'", "component": "' + e + b'", "category": "' + e + b'", "' + e +
                    b'x": "' + e + b'"}')

    def nothing_else(self, what, s, before, after):
        """No row removed (but the deleted ticket's), and the tickets the
        command is not about unchanged."""
        touched = {1, int(DUP)} if s["cmd"] == "merge" else {1}
        if s["cmd"] == "delete":
            touched = {int(DELETABLE)}
        for table, rows in before.items():
            if s["cmd"] == "delete" or (s["cmd"] == "merge" and table == "error_logs"):
                continue
            self.check(len(after.get(table, [])) >= len(rows),
                       f"{what}: rows removed from {table}")
        old = {r[0]: r for r in before["tickets"]}
        new = {r[0]: r for r in after["tickets"]}
        for tid, row in old.items():
            if tid not in touched:
                self.check(new.get(tid) == row, f"{what}: ticket {tid} changed")
        if s["cmd"] == "delete":
            self.check(int(DELETABLE) not in new, f"{what}: ticket {DELETABLE} not deleted")

    def stored(self, what, s, h, before, after):
        table, tid, col = s["stored"]
        want = s["want"](h)
        with secutil.connect_ro(os.path.join(self.tmp, "write.db")) as c:
            if tid is not None:
                got = [c.execute(f"SELECT {col} FROM {table} WHERE id = ?", (tid,)).fetchone()[0]]
            else:
                known = {r[0] for r in before[table]}
                got = [r[1] for r in c.execute(f"SELECT id, {col} FROM {table}") if r[0] not in known]
        self.check(want in got, f"{what}: {table}.{col} does not hold it byte for byte",
                   f"want {want and want[:200]!r}\ngot  {[g and g[:200] for g in got]!r}")

    def run_path(self, s, h, allowed):
        what = f"{s['cmd']} {s['name']} = {name_of(h)}"
        work = os.path.join(self.tmp, "paths")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        db = os.path.join(work, "fixture.db")
        shutil.copyfile(self.db, db)
        baseline = secutil.digest(db)
        args = s["build"](h)
        uses_db = s["env"] is None and not any(secutil.b(a).startswith(b"--db=") for a in args)
        rc, out, err = self.bt(args, "fixture.db" if uses_db else None, env_var=s["env"], h=h,
                               cwd=work)
        if self.outcome(what, rc, err, allowed):
            self.same(f"{what}: the fixture's rows", secutil.digest(db), baseline)
        for name in os.listdir(work):
            self.check(not name.startswith("evil"), f"{what}: {name} appeared")

    # ---- reading it back ----

    def read_back(self, h):
        """Store @h through several commands, then read it through every
        output format."""
        what = f"read back {name_of(h)}"
        db = self.fresh("readback.db")
        want = secutil.utf8_clean(h)
        self.prepare_files(h)
        steps = [["note", "--", OPEN_TICKET, h], ["assign", "--", OPEN_TICKET, h],
                 ["resolve", OPEN_TICKET, b"--notes=" + h, b"--commit=" + h],
                 ["import", "hostile.json"]]
        for args in steps:
            if not h and args[0] in ("note", "assign"):
                continue
            rc, _, err = self.bt(args, db)
            if not self.outcome(f"{what}: {secutil.b(args[0]).decode()}", rc, err, {0}):
                return
        if not h:
            return
        self.read_json(what, db, want)
        self.read_csv(what, db, want)
        for args in (["list"], ["show", OPEN_TICKET], ["events", OPEN_TICKET],
                     ["list", "--sort=created"], ["report", "top"], ["stats"]):
            rc, out, err = self.bt(args, db)
            if self.outcome(f"{what}: {' '.join(args)}", rc, err, {0}):
                self.printable(f"{what}: {' '.join(args)}", out)

    def read_json(self, what, db, want):
        rc, out, err = self.bt(["show", OPEN_TICKET, "--json"], db)
        if self.outcome(f"{what}: show --json", rc, err, {0}):
            v = self.parse_json(f"{what}: show --json", out.decode("utf-8"))
            if v is not None:
                t = v["ticket"]
                self.same(f"{what}: show --json assignee", t["assignee"], want)
                self.same(f"{what}: show --json resolution_notes", t["resolution_notes"], want)
                self.check(any(e.get("note") == want for e in v["events"]),
                           f"{what}: show --json events lack the note")
        rc, out, err = self.bt(["export", "tickets", "--format=ndjson"], db)
        if self.outcome(f"{what}: export ndjson", rc, err, {0}):
            # Not splitlines(): U+2028 inside a JSON string is no line end.
            lines = [x for x in out.decode("utf-8").split("\n") if x]
            rows = [self.parse_json(f"{what}: ndjson line", line) for line in lines]
            imported = [r for r in rows if r and r.get("external_id") == "R-hostile"]
            self.check(len(imported) == 1 and imported[0]["title"] == want and
                       imported[0]["component"] == want and imported[0]["description"] == want,
                       f"{what}: export ndjson lacks the imported ticket's text")
        for args in (["list", "--json"], ["events", OPEN_TICKET, "--json"],
                     ["export", "events", "--format=json"], ["report", "top", "--json"]):
            rc, out, err = self.bt(args, db)
            if self.outcome(f"{what}: {' '.join(args)}", rc, err, {0}):
                self.parse_json(f"{what}: {' '.join(args)}", out.decode("utf-8"))

    def read_csv(self, what, db, want):
        rc, out, err = self.bt(["export", "tickets"], db)
        if not self.outcome(f"{what}: export csv", rc, err, {0}):
            return
        rows = self.parse_csv(f"{what}: export csv", out.decode("utf-8"))
        if rows:
            head = rows[0]
            by_id = {r[head.index("id")]: r for r in rows[1:]}
            t1 = by_id.get(OPEN_TICKET)
            self.check(t1 is not None and t1[head.index("assignee")] == want and
                       t1[head.index("resolution_commit")] == want,
                       f"{what}: export csv lacks the assignee and commit")
        rc, out, err = self.bt(["report", "top", "--format=csv"], db)
        if self.outcome(f"{what}: report csv", rc, err, {0}):
            self.parse_csv(f"{what}: report csv", out.decode("utf-8"))

    def printable(self, what, out):
        """Tables and text views: valid UTF-8, no control characters but
        newlines (stored text may hold terminal escapes)."""
        try:
            text = out.decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail(f"{what}: output is not UTF-8: {e}")
            return
        bad = sorted({c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0})
        self.check(not bad, f"{what}: control characters in the output: {bad!r}")

    # ---- error messages ----

    def stderr_is_text(self):
        """Error messages carry stored text and arguments: like tables,
        they must not pass terminal escapes on."""
        db = self.fresh("stderr.db")
        with open(os.path.join(self.tmp, "escape.json"), "wb") as f:
            f.write(b'{"report_id": "' + json_escape_bytes(ESCAPES) + b'", "status": "wibble"}')
        runs = [(["claim", OPEN_TICKET, b"--agent=agent:" + ESCAPES], {0}),
                (["claim", OPEN_TICKET, "--agent=agent:other"], {4}),  # names the holder
                (["import", "escape.json"], {1}),                       # names the report_id
                (["show", "--", ESCAPES], {2})]                         # echoes the argument
        for args, allowed in runs:
            rc, out, err = self.bt(args, db)
            what = f"stderr of {secutil.b(args[0]).decode()}"
            if self.outcome(what, rc, err, allowed):
                bad = sorted({c for c in err if c < 0x20 and c not in (0x0A, 0x09)})
                self.check(not bad, f"{what}: control characters on stderr: {bad!r}", err[:300])

    # ---- coverage of --help ----

    def check_coverage(self):
        covered = {}
        for s in SLOTS:
            covered.setdefault(s["cmd"], set()).add(s["name"].split()[-1])
        rc, out, _ = self.bt(["--help"], None)
        commands = re.findall(rb"^  ([a-z]+) {2,}", out.split(b"commands:")[1].split(b"options:")[0],
                              re.M)
        for cmd in (c.decode() for c in commands):
            rc, text, _ = self.bt([cmd, "--help"], None)
            text = text.decode()
            need = set(re.findall(r"^ +(-[a-z], )?(--[a-z-]+) [A-Z]", text, re.M))
            need = {n[1] for n in need} - NOT_TEXT
            usage = re.sub(r"--[a-z-]+ [A-Z]+", "", text.splitlines()[0])
            need |= {w for w in re.findall(r"\b[A-Z][A-Z_]+\b", usage) if w not in ("OPTIONS",)}
            if re.search(r"\(([a-z]+ \| )+[a-z]+\)", usage):
                need.add({"export": "TABLE", "report": "KIND", "migrate": "SUBCOMMAND"}[cmd])
            need = {"-o" if n == "--output" else n for n in need}
            have = covered.get(cmd, set())
            missing = {n for n in need - have if ALIASES.get((cmd, n)) not in have}
            self.check(not missing, f"coverage: `bugtrack {cmd}` takes {sorted(missing)}, "
                       "which no slot of check_cli_injection.py tries")

    # ---- the run ----

    def run_checks(self):
        shared = self.fresh("shared.db")
        baseline = secutil.digest(shared)
        # BT_INJECTION_STRIDE=K (the sanitizer stage, where each run costs
        # five times as much) tries each slot with every Kth hostile string,
        # shifted by one per slot, so that every string still meets some
        # slots of every kind.
        stride = max(1, int(os.environ.get("BT_INJECTION_STRIDE", "1")))
        for si, s in enumerate(SLOTS):
            default, over = s["allowed"]
            for hi, h in enumerate(HOSTILE):
                if (si + hi) % stride:
                    continue
                allowed = over.get(h, default)
                key = (s["cmd"], s["name"], h)
                if s["kind"] == "read":
                    self.case(key, self.run_read, s, h, allowed, shared, baseline)
                    if secutil.digest(shared) != baseline:
                        shared = self.fresh("shared.db")  # one failure, reported once
                elif s["kind"] == "write":
                    self.case(key, self.run_write, s, h, allowed)
                elif safe_path(h):
                    self.case(key, self.run_path, s, h, allowed)
        for h in HOSTILE:
            self.read_back(h)
        self.case(("bugtrack", "stderr", ESCAPES), self.stderr_is_text)
        self.check_coverage()
        self.check(not os.path.exists(os.path.join(self.tmp, "evil.db")), "evil.db was attached")
        print(f"check_cli_injection: {len(HOSTILE)} hostile strings, {len(SLOTS)} slots "
              f"of {len({s['cmd'] for s in SLOTS})} commands, {self.runs} runs of bugtrack")


def main(argv):
    return clitest.main(Injection, argv, __doc__, 2)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
