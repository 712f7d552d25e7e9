"""What the security checks in this directory share (check_*.py).

Running bugtrack with bytes arguments and a timeout, a content digest of a
database (schema and every table's rows, read with Python's own sqlite3,
read-only), the per-byte UTF-8 cleaning the tool documents, and the bad-input
table of README.md.  The CLI helpers of tests/cli/clitest.py are imported
from there.
"""
import hashlib
import os
import re
import sqlite3
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
import clitest  # noqa: E402,F401  (the path above makes it importable; re-exported)

TIMEOUT = 10  # seconds for one bugtrack run: longer is a hang


def b(s):
    return s if isinstance(s, bytes) else str(s).encode("utf-8", "surrogateescape")


def run(bugtrack, args, env, cwd, timeout=TIMEOUT, stdin=subprocess.DEVNULL, wrapper=()):
    """bugtrack @args (str or bytes) -> (exit code, stdout, stderr) as bytes;
    the code is None on a timeout (a hang), negative when a signal killed it."""
    try:
        p = subprocess.run(list(wrapper) + [bugtrack] + [b(a) for a in args], env=env, cwd=cwd,
                           stdin=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or b"", e.stderr or b""
    return p.returncode, p.stdout, p.stderr


def env_bytes(base, **extra):
    """The environment as bytes (hostile values need not be UTF-8)."""
    env = {b(k): b(v) for k, v in base.items()}
    for k, v in extra.items():
        if v is None:
            env.pop(b(k), None)
        else:
            env[b(k)] = b(v)
    return env


def connect_ro(path):
    c = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    c.text_factory = bytes
    return c


def schema(path):
    """sqlite_master, sorted: type, name, table and SQL of every object."""
    with connect_ro(path) as c:
        rows = c.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    return sorted(rows, key=repr)


def table_rows(path):
    """{table: sorted rows} for every table (some have no rowid)."""
    out = {}
    c = connect_ro(path)
    try:
        names = [r[0].decode() for r in
                 c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            quoted = '"' + name.replace('"', '""') + '"'
            out[name] = sorted(c.execute(f"SELECT * FROM {quoted}").fetchall(), key=repr)
    finally:
        c.close()
    return out


def digest(path):
    """A checksum of the schema and of every row of every table."""
    h = hashlib.sha256()
    h.update(repr(schema(path)).encode())
    for name, rows in sorted(table_rows(path).items()):
        h.update(name.encode())
        h.update(repr(rows).encode())
    return h.hexdigest()


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def utf8_clean(data):
    """The tool's and the library's cleaning, per byte: each byte that does
    not start a valid UTF-8 sequence (overlong forms, surrogates, above
    U+10FFFF, truncated) becomes U+FFFD; the rest is kept."""
    out, i, n = [], 0, len(data)
    while i < n:
        c = data[i]
        if c < 0x80:
            out.append(chr(c))
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            k, cp = 2, c & 0x1F
        elif 0xE0 <= c <= 0xEF:
            k, cp = 3, c & 0x0F
        elif 0xF0 <= c <= 0xF4:
            k, cp = 4, c & 0x07
        else:
            out.append("\ufffd")
            i += 1
            continue
        ok = i + k <= n and all(data[j] & 0xC0 == 0x80 for j in range(i + 1, i + k))
        if ok:
            for j in range(i + 1, i + k):
                cp = (cp << 6) | (data[j] & 0x3F)
            ok = not ((k == 3 and cp < 0x800) or (k == 4 and (cp < 0x10000 or cp > 0x10FFFF))
                      or 0xD800 <= cp <= 0xDFFF)
        if ok:
            out.append(chr(cp))
            i += k
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


# ---- the bad-input table of README.md ----

def split_row(line):
    """The cells of a Markdown table row; '\\|' is a pipe inside a cell."""
    cells = re.split(r"(?<!\\)\|", line.strip())
    if cells and cells[0] == "":
        cells = cells[1:]
    if cells and cells[-1] == "":
        cells = cells[:-1]
    return [c.strip().replace("\\|", "|") for c in cells]


def readme_bad_input(readme):
    """[(id, result, whole row)] of the table under '## Bad input' in
    @readme, up to the next '## ' heading.  result is the fourth cell
    without backticks: 'BT_EINVALID', 'BT_OK' or 'exit 2'."""
    rows, inside = [], False
    with open(readme, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                inside = line.strip() == "## Bad input"
                continue
            if not inside or not line.startswith("| `"):
                continue
            cells = split_row(line)
            if len(cells) < 5:
                continue
            case_id = cells[0].strip("`")
            rows.append((case_id, cells[3].replace("`", "").strip(), line))
    return rows
