#!/usr/bin/env python3
"""check_sql_source.py - issue 8: every SQL statement of the library is a
constant string with bound parameters.

It reads lib/**/*.c and finds every call that runs SQL text: SQLite's
sqlite3_prepare*() and sqlite3_exec(), libpq's PQexec(), PQexecParams(),
PQprepare() and PQsendQuery*(), and the library's own helpers that pass a
parameter on to them (found, not listed: any function with a
`const char *sql_text` parameter that reaches a sink).  The SQL argument of
each call must be constant:

  * string literals, and macros made of them;
  * a `static const char NAME[]` (or `*const`) made of those;
  * the calling helper's own sql_text parameter (its callers are checked);
  * a local variable, a ternary or a function of the same file whose every
    assigned or returned value is constant (page_sql(), a sql_text chosen
    by a ternary);
  * an expression on ALLOWED, each with its reason.

Also, in lib/store/sqlite/*.c and lib/store/postgresql/*.c (the backends),
nothing may build text with sqlite3_mprintf / sqlite3_vmprintf /
sqlite3_snprintf / sqlite3_str_*, use the %q %Q %w conversions, or
snprintf/sprintf/strcat text that looks like SQL; and no other file of lib/
may call SQLite or libpq at all (every statement lives behind store.h).

Before the real check, it checks itself on snippets that build SQL from a
value and must each be refused, and on one that must pass.

usage: check_sql_source.py SRCDIR
"""
import sys

sys.dont_write_bytecode = True

import glob  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402

# Non-constant SQL that is legitimate, by file and exact expression.
ALLOWED = {
    # Migrations are SQL files embedded at build time (lib/gen_migrations.py
    # writes them as constant arrays); no value of the caller is in them.
    ("store/sqlite/migrate.c", "m->sql"): "an embedded migration",
    ("store/sqlite/doctor.c", "set->items[i].sql"): "an embedded migration, run in :memory:",
    ("store/postgresql/migrate.c", "m->sql"): "an embedded migration",
    ("store/postgresql/doctor.c", "set->items[i].sql"):
        "an embedded migration, run in a scratch schema that is rolled back",
    # doctor's checks are one statement per index or foreign key, which the
    # server itself writes from its catalog with format('%I') (quote_ident):
    # no text of the caller or of the rows is in them.
    ("store/postgresql/doctor.c", "PQgetvalue(checks, i, 0)"):
        "a statement the server built from catalog names with format('%I')",
    ("store/postgresql/doctor.c", "PQgetvalue(queries, i, 0)"):
        "a statement the server built from catalog names with format('%I')",
    # VACUUM takes no parameters: one per table, written by the server from
    # pg_tables with format('%I.%I').
    ("store/postgresql/vacuum.c", "PQgetvalue(list, i, 0)"):
        "a statement the server built from catalog names with format('%I')",
}

# libpq: the SQL argument's index (PQprepare's is the third).
PG_SINKS = {"PQexec": 1, "PQexecParams": 1, "PQprepare": 2, "PQsendQuery": 1,
            "PQsendQueryParams": 1, "PQsendPrepare": 2}
SQLITE_SINKS = {"sqlite3_prepare": 1, "sqlite3_prepare_v2": 1, "sqlite3_prepare_v3": 1,
                "sqlite3_prepare16": 1, "sqlite3_prepare16_v2": 1, "sqlite3_prepare16_v3": 1,
                "sqlite3_exec": 1}
BUILDERS = re.compile(r"\b(sqlite3_v?mprintf|sqlite3_snprintf|sqlite3_vsnprintf|sqlite3_str_\w+)\s*\(")
SQLISH = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|ATTACH|REPLACE|"
                    r"WHERE|VALUES)\b")
PRINTF = re.compile(r"\b(v?s?n?printf|strcat|strncat|strcpy|stpcpy)\s*\(")
IDENT = re.compile(r"^[A-Za-z_]\w*$")
LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def strip_comments(text):
    """@text without comments; string and character literals are kept, so a
    '/*' inside a string is not a comment."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def balanced(text, start):
    """The index just after the bracket matching text[start] ('(' or '{')."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack, i, n = [], start, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c in pairs:
            stack.append(pairs[c])
        elif stack and c == stack[-1]:
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    return n


def split_top(text, seps):
    """@text split at the top-level characters of @seps (outside brackets
    and literals)."""
    parts, depth, cur, i, n = [], 0, [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if depth == 0 and c in seps:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur).strip())
    return parts


def ternary(expr):
    """(condition, then, else) of a top-level ?: expression, or None."""
    depth, i, n, q = 0, 0, len(expr), -1
    while i < n:
        c = expr[i]
        if c in "\"'":
            j = i + 1
            while j < n and expr[j] != c:
                j += 2 if expr[j] == "\\" else 1
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and c == "?" and q < 0:
            q = i
        elif depth == 0 and c == ":" and q >= 0:
            # the first ':' after '?' at this depth; nested ?: go right
            return expr[:q].strip(), expr[q + 1:i].strip(), expr[i + 1:].strip()
        i += 1
    return None


class Source:
    """One C file: its macros, constants, functions and calls."""

    def __init__(self, name, text, header_macros=None):
        self.name = name
        self.text = strip_comments(text)
        # The library's private headers' macros (a column list shared by a
        # backend's files), then the file's own, which win.
        self.macros = dict(header_macros or {}, **self.find_macros())
        self.functions = self.find_functions()
        self.consts = self.find_consts()

    def find_macros(self):
        """{name: (parameters or None, body)}."""
        macros = {}
        joined = self.text.replace("\\\n", " ")
        for m in re.finditer(r"^\s*#\s*define\s+(\w+)(\(([^)]*)\))?[ \t]+(.+)$", joined, re.M):
            params = [p.strip() for p in m.group(3).split(",")] if m.group(2) else None
            macros[m.group(1)] = (params, m.group(4).strip())
        return macros

    def find_consts(self):
        consts = {}
        pat = r"\bstatic\s+const\s+char\s+(?:\*\s*const\s+)?(\w+)\s*(?:\[\s*\])?\s*=\s*"
        for m in re.finditer(pat, self.text):
            # To the first ';' outside literals: SQL may hold one.
            value = split_top(self.text[m.end():], ";")[0]
            if not value.startswith("{"):
                consts[m.group(1)] = value
        return consts

    def find_functions(self):
        """{name: (parameters, body)} of the function definitions."""
        funcs = {}
        for m in re.finditer(r"^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\(", self.text, re.M):
            name = m.group(1)
            if name in ("if", "while", "for", "switch", "return", "sizeof"):
                continue
            end = balanced(self.text, m.end() - 1)
            rest = self.text[end:end + 200]
            brace = re.match(r"\s*\{", rest)
            if not brace:
                continue
            body_start = end + brace.end() - 1
            body_end = balanced(self.text, body_start)
            params = split_top(self.text[m.end():end - 1], ",")
            funcs[name] = (params, self.text[body_start:body_end])
        return funcs

    def calls(self, fname):
        """(argument list, enclosing function) of each call of @fname."""
        for m in re.finditer(r"\b" + re.escape(fname) + r"\s*\(", self.text):
            end = balanced(self.text, m.end() - 1)
            line_start = self.text.rfind("\n", 0, m.start()) + 1
            prefix = self.text[line_start:m.start()]
            if prefix.strip() and not re.search(r"\b(return|if|while|for)\b|[=(,!&|?:]", prefix):
                yield None, None, 0  # "int name(" starts a definition or prototype
                continue
            args = split_top(self.text[m.end():end - 1], ",")
            yield args, self.enclosing(m.start()), self.text.count("\n", 0, m.start()) + 1

    def enclosing(self, pos):
        for name, (params, body) in self.functions.items():
            start = self.text.find(body)
            if start <= pos < start + len(body):
                return name
        return None


def param_index(params, pname="sql_text"):
    for i, p in enumerate(params):
        if re.search(r"\bconst\s+char\s*\*\s*" + pname + r"$", p):
            return i
    return None


class Checker:
    def __init__(self, sources):
        self.sources = sources
        self.violations = []
        self.sink_calls = 0
        self.sinks = dict(SQLITE_SINKS, **PG_SINKS)  # name -> index of the SQL argument
        self.find_helpers()

    def find_helpers(self):
        """Functions with a sql_text parameter that reaches a sink."""
        changed = True
        while changed:
            changed = False
            for src in self.sources:
                for name, (params, body) in src.functions.items():
                    k = param_index(params)
                    if k is None or name in self.sinks:
                        continue
                    if any(re.search(r"\b" + re.escape(s) + r"\s*\([^;]*\bsql_text\b", body)
                           for s in self.sinks):
                        self.sinks[name] = k
                        changed = True

    def constant(self, src, expr, func, depth=0):
        """Why @expr (in function @func of @src) is constant SQL, or None."""
        expr = expr.strip()
        while expr.startswith("(") and balanced(expr, 0) == len(expr):
            expr = expr[1:-1].strip()
        if depth > 8:
            return None
        if (src.name, expr) in ALLOWED:
            return "allowed: " + ALLOWED[(src.name, expr)]
        t = ternary(expr)
        if t:
            a = self.constant(src, t[1], func, depth + 1)
            b = self.constant(src, t[2], func, depth + 1)
            return a and b and "ternary of constants"
        if self.literals(src, expr, depth):
            return "literal"
        if IDENT.match(expr):
            if expr in src.consts:
                return self.constant(src, src.consts[expr], func, depth + 1) and "constant"
            if func and func in src.functions:
                params, body = src.functions[func]
                k = param_index(params, expr)
                if k is not None and self.sinks.get(func) == k:
                    return "the helper's own SQL parameter"
                values = re.findall(r"(?:const\s+char\s*\*\s*)?\b" + expr + r"\s*=(?!=)\s*([^;]+);", body)
                if values and all(self.constant(src, v, func, depth + 1) for v in values):
                    return "a local of constants"
        call = re.fullmatch(r"(\w+)\s*\((.*)\)", expr, re.S)
        if call and call.group(1) in src.functions:
            body = src.functions[call.group(1)][1]
            rets = re.findall(r"\breturn\s+([^;]+);", body)
            if rets and all(self.constant(src, r, call.group(1), depth + 1) for r in rets):
                return "a function returning constants"
        return None

    def literals(self, src, expr, depth):
        """Whether @expr is string literals and macros that expand to them,
        juxtaposed (C's compile-time concatenation)."""
        i, n = 0, len(expr)
        if not expr.strip() or depth > 8:
            return False
        while i < n:
            if expr[i].isspace():
                i += 1
                continue
            lit = LITERAL.match(expr, i)
            if lit:
                i = lit.end()
                continue
            ident = re.compile(r"[A-Za-z_]\w*").match(expr, i)
            if not ident or ident.group(0) not in src.macros:
                return False
            params, body = src.macros[ident.group(0)]
            i = ident.end()
            if params is not None:
                while i < n and expr[i].isspace():
                    i += 1
                if i >= n or expr[i] != "(":
                    return False
                end = balanced(expr, i)
                args = split_top(expr[i + 1:end - 1], ",")
                if len(args) != len(params):
                    return False
                subst = dict(zip(params, args))
                # #param is the argument as a string literal.
                body = re.sub(r"#\s*([A-Za-z_]\w*)",
                              lambda m: '"' + subst[m.group(1)] + '"' if m.group(1) in subst
                              else m.group(0), body)
                body = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: subst.get(m.group(0), m.group(0)),
                              body)
                i = end
            if not self.literals(src, body, depth + 1):
                return False
        return True

    def check(self):
        for src in self.sources:
            sqlite_store = src.name.startswith("store/sqlite/")
            pg_store = src.name.startswith("store/postgresql/")
            store = sqlite_store or pg_store
            for sink, k in self.sinks.items():
                for args, func, line in src.calls(sink):
                    if args is None or len(args) <= k:
                        continue  # the definition itself, or a prototype
                    self.sink_calls += 1
                    if not sqlite_store and sink in SQLITE_SINKS:
                        self.violations.append(f"{src.name}:{line}: {sink}() outside store/sqlite/")
                    if not pg_store and sink in PG_SINKS:
                        self.violations.append(f"{src.name}:{line}: {sink}() outside store/postgresql/")
                    if not self.constant(src, args[k], func):
                        self.violations.append(f"{src.name}:{line}: {sink}() runs SQL that is not a "
                                               f"constant string: {args[k]}")
            if not store:
                continue
            for m in BUILDERS.finditer(src.text):
                line = src.text.count("\n", 0, m.start()) + 1
                self.violations.append(f"{src.name}:{line}: {m.group(1)} builds text in the store")
            for lit in LITERAL.finditer(src.text):
                if re.search(r"%[-+ #0-9.]*[qQw]", lit.group(0)):
                    line = src.text.count("\n", 0, lit.start()) + 1
                    self.violations.append(f"{src.name}:{line}: %q/%Q/%w in {lit.group(0)[:60]}")
            for m in PRINTF.finditer(src.text):
                end = balanced(src.text, m.end() - 1)
                call = src.text[m.start():end]
                text = " ".join(LITERAL.findall(call))
                if SQLISH.search(text):
                    line = src.text.count("\n", 0, m.start()) + 1
                    self.violations.append(f"{src.name}:{line}: {m.group(1)} writes SQL: {call[:90]}")
        return self.violations


SELF_TEST_BAD = {
    "a value pasted with snprintf":
        'int f(sqlite3 *db, const char *v) { char q[256];\n'
        ' snprintf(q, sizeof(q), "SELECT * FROM tickets WHERE title = \'%s\'", v);\n'
        ' return sqlite3_exec(db, q, NULL, NULL, NULL); }\n',
    "sqlite3_mprintf with %q":
        'int f(sqlite3 *db, const char *v) { char *q = sqlite3_mprintf("DELETE FROM t WHERE a = %q", v);\n'
        ' return sqlite3_exec(db, q, NULL, NULL, NULL); }\n',
    "a caller's string through a helper":
        'static int run(bti_store *st, const char *sql_text) { sqlite3_stmt *s;\n'
        ' return sqlite3_prepare_v2(st->sql, sql_text, -1, &s, NULL); }\n'
        'int g(bti_store *st, const char *user) { return run(st, user); }\n',
    "strcat onto SQL":
        'static char buf[99]; int h(sqlite3 *db, const char *v) { strcpy(buf, "SELECT ");\n'
        ' strcat(buf, v); return sqlite3_exec(db, buf, 0, 0, 0); }\n',
}
SELF_TEST_GOOD = (
    '#define COLS "id, title"\n'
    'static const char SQL_A[] = "SELECT " COLS " FROM tickets WHERE id = ?1";\n'
    'static const char SQL_B[] = "SELECT 1 /* ; */ WHERE \'%s\' = ?";\n'
    'static const char *pick(int k) { if (k) return SQL_A; return SQL_B; }\n'
    'static int run(bti_store *st, const char *sql_text) { sqlite3_stmt *s;\n'
    ' return sqlite3_prepare_v2(st->sql, sql_text, -1, &s, NULL); }\n'
    'int g(bti_store *st, int k) { const char *sql_text = k ? SQL_A : SQL_B;\n'
    ' run(st, SQL_A); run(st, pick(k)); sqlite3_exec(st->sql, "BEGIN", 0, 0, 0);\n'
    ' return run(st, sql_text); }\n'
)


def self_test():
    failures = 0
    for what, code in SELF_TEST_BAD.items():
        if not Checker([Source("store/sqlite/x.c", code)]).check():
            print(f"FAIL: self-test: {what} was not refused")
            failures += 1
    bad = Checker([Source("store/sqlite/x.c", SELF_TEST_GOOD)])
    if bad.check() or bad.sink_calls != 5:
        print(f"FAIL: self-test: constant SQL refused ({bad.sink_calls} calls): {bad.violations}")
        failures += 1
    return failures


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    failures = self_test()
    lib = os.path.join(argv[1], "lib")
    files = sorted(glob.glob(os.path.join(lib, "**", "*.c"), recursive=True))
    header_macros = {}
    for path in sorted(glob.glob(os.path.join(lib, "**", "*.h"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            header_macros.update(Source(os.path.relpath(path, lib), f.read()).macros)
    sources = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            sources.append(Source(os.path.relpath(path, lib), f.read(), header_macros))
    checker = Checker(sources)
    violations = checker.check()
    for v in violations:
        print("FAIL: " + v)
    helpers = sorted(set(checker.sinks) - set(SQLITE_SINKS) - set(PG_SINKS))
    print(f"check_sql_source: {len(files)} files, {checker.sink_calls} calls that run SQL "
          f"(through {', '.join(helpers)}), {len(violations)} not constant")
    # A run that found no statement proves nothing.
    if checker.sink_calls < 50:
        print(f"FAIL: only {checker.sink_calls} calls found; is the parser broken?")
        failures += 1
    return 1 if failures or violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
