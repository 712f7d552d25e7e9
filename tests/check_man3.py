#!/usr/bin/env python3
"""Check the generated section-3 pages against the library.

usage: check_man3.py SYMBOL_FILE INCLUDE_DIR MAN3_DIR

Fails when an exported function (lib/libbugtrack.sym, which the symbols
test keeps equal to the built library's exports) has no page, when a page
is for a name that is neither an export, a documented function-like macro
of the headers, nor the overview bugtrack(3), when any page mentions a
function (bt_...() or TRACK_ERRORS...()) that does not exist, or when groff
warns about a page.
"""
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys

sym_file, include_dir, man_dir = sys.argv[1:4]
failures = []

with open(sym_file, encoding='utf-8') as f:
    exports = set(re.findall(r'^\s*(bt_\w+);', f.read(), re.M))
macros = set()
for root, _, files in os.walk(include_dir):
    for name in files:
        if name.endswith('.h'):
            with open(os.path.join(root, name), encoding='utf-8') as f:
                macros |= set(re.findall(r'^#define\s+((?:bt_|TRACK_ERRORS)\w*)\(', f.read(), re.M))
known = exports | macros

pages = {n[:-2] for n in os.listdir(man_dir) if n.endswith('.3')}
for name in sorted(exports - pages):
    failures.append(f'{name}: exported, but has no page {name}.3')
for name in sorted(pages - known - {'bugtrack'}):
    failures.append(f'{name}.3: a page for a function that does not exist')
if 'bugtrack' not in pages:
    failures.append('bugtrack.3, the overview, is missing')

MENTION = re.compile(r'(?<![\w\\])((?:bt_|TRACK_ERRORS)\w*)(?:\\fP)?\(')
groff = shutil.which('groff')


def typeset(path):
    """groff's complaints about one page, or ''."""
    p = subprocess.run([groff, '-man', '-ww', '-z', '-K', 'utf8', path],
                       capture_output=True, text=True, timeout=120)
    return p.stderr.strip() or (str(p.returncode) if p.returncode else '')


if groff:  # 200 pages, one groff each: several at once
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        complaints = dict(zip(sorted(pages), pool.map(
            typeset, [os.path.join(man_dir, p + '.3') for p in sorted(pages)])))
for page in sorted(pages):
    path = os.path.join(man_dir, page + '.3')
    with open(path, encoding='utf-8') as f:
        text = f.read()
    for name in sorted(set(MENTION.findall(text)) - known):
        failures.append(f'{page}.3 mentions {name}(), which does not exist')
    if not text.startswith('.\\" Generated') or '.SH NAME' not in text:
        failures.append(f'{page}.3: not a generated page with a NAME section')
    if groff and complaints[page]:
        failures.append(f'{page}.3: groff: {complaints[page]}')

for f in failures:
    print(f)
if not groff:
    print('groff not found: the pages were not typeset (apt-get install groff-base)')
print(f'{len(pages)} pages, {len(exports)} exports, {len(macros)} macros: '
      f'{len(failures)} problem(s)')
sys.exit(1 if failures else 0)
