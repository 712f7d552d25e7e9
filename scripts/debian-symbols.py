#!/usr/bin/env python3
"""Write, or check, debian/libbugtrack1.symbols from lib/libbugtrack.sym.

usage: debian-symbols.py SRC_ROOT [--check]

Each export gets the first package version that has it: the version of
its node once that version is released (NEWS.md has its heading without
"unreleased": LIBBUGTRACK_1.0 -> 1.0.0), else the version being built
(meson.build's), as dpkg-gensymbols itself would say; RELEASING.md moves
the version to the node's when it releases.  dpkg-gensymbols compares the file with the
built library (debian/rules sets DPKG_GENSYMBOLS_CHECK_LEVEL=4, so an
export that disappears or appears unlisted fails the package build);
--check (tests/meson.build, suite abi) fails when the file and the
version script disagree, naming the difference.
"""
import re
import sys

root = sys.argv[1]
check = '--check' in sys.argv[2:]
with open(f'{root}/lib/libbugtrack.sym', encoding='utf-8') as f:
    script = re.sub(r'/\*.*?\*/', '', f.read(), flags=re.S)  # comments name nodes too
with open(f'{root}/NEWS.md', encoding='utf-8') as f:
    news = f.read()
with open(f'{root}/meson.build', encoding='utf-8') as f:
    current = re.search(r"^\s*version:\s*'([^']+)'", f.read(), re.M).group(1)

lines = ['libbugtrack.so.1 libbugtrack1 #MINVER#',
         '* Build-Depends-Package: libbugtrack-dev']
for node, body in re.findall(r'(LIBBUGTRACK_\d+\.\d+)\s*\{(.*?)\}', script, re.S):
    version = node.split('_')[1] + '.0'
    # A node is released once NEWS has its version's heading without
    # "unreleased".
    heading = re.search(r'^## %s\b(.*)$' % re.escape(version), news, re.M)
    if not heading or 'unreleased' in heading.group(1):
        version = current
    lines.append(' %s@%s %s' % (node, node, version))
    for name in sorted(re.findall(r'^\s*(\w+);', body, re.M)):
        lines.append(' %s@%s %s' % (name, node, version))
text = '\n'.join(lines) + '\n'

path = f'{root}/debian/libbugtrack1.symbols'
if check:
    with open(path, encoding='utf-8') as f:
        have = f.read()
    if have != text:
        want, got = set(text.splitlines()), set(have.splitlines())
        for line in sorted(want - got):
            print(f'missing from {path}: {line}')
        for line in sorted(got - want):
            print(f'not in lib/libbugtrack.sym: {line}')
        print('run scripts/debian-symbols.py . to rewrite it')
        sys.exit(1)
    print(f'{path} lists the {len(lines) - 2} entries of lib/libbugtrack.sym')
else:
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
