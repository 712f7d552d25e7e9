#!/usr/bin/env python3
"""End-to-end tests of `bugtrack token` (create, list, revoke).

usage: check_token.py BUGTRACK CLI_FIXTURE SOURCE_DIR [--update]

On a copy of the fixture database, with a fixed clock, COLUMNS=100 and
NO_COLOR: create prints a token of the right shape alone on stdout's last
line (what `tail -1` takes), and a reminder on stderr; the token is never
printed again, by list, revoke or any message.  list and list --json are
compared with SOURCE_DIR/golden/token_* (tokens are random, and no golden
holds one); --update rewrites those goldens.  A live name is taken (exit 4),
a revoked one is free; bad names, scopes, subcommands and options exit 2, a
missing token 3, a missing database 3.

With BUGTRACK_CLI_BACKEND=postgresql the copy is a schema on the server the
PG* variables name, and the goldens are the same: the listing is in byte
order on both backends.
"""
import os
import re
import sys

import clitest

TOKEN = re.compile(r"btk_[A-Za-z0-9_-]{43}")


class Checker(clitest.Checker):
    name = "token"
    env_extra = {"COLUMNS": "100", "NO_COLOR": "1"}

    def __init__(self, bugtrack, fixture, srcdir, update=False):
        super().__init__(bugtrack, fixture, srcdir, update)
        self.tokens = []

    def golden(self, name, args, db):
        rc, out, _ = self.expect(f"golden {name}", args, 0, db=db)
        if rc != 0:
            return
        if name.endswith("_json"):
            self.parse_json(name, out)
        self.no_token(f"golden {name}", out)
        path = os.path.join(self.golden_dir, name + (".json" if name.endswith("_json") else ".txt"))
        self.compare_golden(name, path, out, args)

    def no_token(self, what, text):
        """No token made so far appears in @text, whole or in part."""
        self.checks += 1
        for t in self.tokens:
            if TOKEN.fullmatch(t) and t[4:16] in text or t[-12:] in text:
                self.fail(f"{what}: shows a token", text)
                return

    def create(self, db, name, *scopes):
        opts = [a for s in scopes for a in ("--scope", s)]
        # A name that starts with '-' comes after "--", as getopt wants.
        args = ["token", "create"] + (opts + ["--", name] if name.startswith("-") else
                                      [name] + opts)
        rc, out, err = self.expect(f"create {name}", args, 0, db=db)
        lines = out.splitlines()
        token = lines[-1] if lines else ""
        self.check(out == token + "\n" and TOKEN.fullmatch(token),
                   f"create {name}: stdout is the token alone", out)
        self.check("not shown again" in err and token not in err,
                   f"create {name}: the reminder on stderr", err)
        self.tokens.append(token)
        return token

    def check_tokens(self, db):
        self.golden("token_list_empty", ["token", "list"], db)
        self.golden("token_list_empty_json", ["token", "list", "--json"], db)
        first = self.create(db, "fixer-1", "agent,read")
        self.create(db, "ingest@web.1", "ingest")
        self.create(db, "Zed", "admin", "read")
        self.create(db, "-dash", "read,agent,ingest,admin")
        self.golden("token_list", ["token", "list"], db)
        self.golden("token_list_json", ["token", "list", "--json"], db)

        _, out, err = self.expect("a live name is taken",
                                  ["token", "create", "fixer-1", "--scope", "read"], 4,
                                  "live token is named \"fixer-1\"", db=db)
        self.same("nothing printed for a taken name", out, "")
        rc, out, err = self.expect("revoke", ["token", "revoke", "fixer-1"], 0, db=db)
        self.same("revoke says so", out, "token fixer-1 revoked\n")
        self.expect("revoke again", ["token", "revoke", "fixer-1"], 3, "no live token", db=db)
        self.expect("revoke unknown", ["token", "revoke", "nobody"], 3, db=db)
        self.golden("token_list_revoked", ["token", "list"], db)
        again = self.create(db, "fixer-1", "read")
        self.check(again != first, "a new token for a reused name")

        for what, args, has in [
            ("bad name", ["token", "create", "agent:x", "--scope", "read"], "character"),
            ("long name", ["token", "create", "n" * 65, "--scope", "read"], "longer than 64"),
            ("empty name", ["token", "create", "", "--scope", "read"], "empty"),
            ("unknown scope", ["token", "create", "x", "--scope", "read,root"], "unknown scope 'root'"),
            ("empty scope", ["token", "create", "x", "--scope", ""], "unknown scope"),
            ("no scope", ["token", "create", "x"], "needs --scope"),
            ("no name", ["token", "create", "--scope", "read"], "needs a NAME"),
            ("no subcommand", ["token"], "create NAME, list or revoke NAME"),
            ("unknown subcommand", ["token", "show", "x"], "unknown subcommand 'show'"),
            ("list operand", ["token", "list", "x"], "no operand"),
            ("json on create", ["token", "create", "x", "--scope", "read", "--json"], "--json"),
            ("scope on revoke", ["token", "revoke", "x", "--scope", "read"], "--scope"),
            ("scope on list", ["token", "list", "--scope", "read"], "--scope"),
            ("bad revoke name", ["token", "revoke", "a b"], "character"),
        ]:
            _, out, err = self.expect(what, args, 2, has, db=db)
            self.no_token(what, out + err)
        _, out, err = self.expect("missing database", ["token", "list"], 3,
                                  db=os.path.join(self.tmp, "missing.db"))
        # Failures and listings never repeat a token.
        _, out, err = self.expect("list after all", ["token", "list", "--json"], 0, db=db)
        self.no_token("list --json", out + err)
        names = [t["name"] for t in self.parse_json("list --json", out) or []]
        self.same("live tokens in byte order", names, ["-dash", "Zed", "fixer-1", "ingest@web.1"])

    def check_help(self):
        for form in (["token", "--help"], ["help", "token"], ["token", "create", "-h"]):
            _, out, _ = self.expect(" ".join(form), form, 0)
            self.check(out.startswith("usage: bugtrack token create NAME --scope"),
                       f"{' '.join(form)}: usage", out)

    def run_checks(self):
        db = self.copy_db("tokens.db")
        self.check_tokens(db)
        if not self.update:
            self.check_help()


def main(argv):
    return clitest.main(Checker, argv, __doc__, 3, ("--update",))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
