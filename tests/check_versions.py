#!/usr/bin/env python3
"""The version is said in five places; they must agree (RELEASING.md).

usage: check_versions.py SRC_ROOT BUGTRACK

meson.build's project version V is the version: include/bugtrack/version.h's
BT_VERSION_STRING and MAJOR/MINOR/PATCH, bt_version_string() of the built
library (through `bugtrack --version`), the newest debian/changelog entry
(V, or V-N for a Debian revision), and NEWS.md, which has a heading for V
with only unreleased versions above it.  Also checks
debian/libbugtrack1.symbols against lib/libbugtrack.sym (scripts/
debian-symbols.py --check)."""
import re
import subprocess
import sys

root, bugtrack = sys.argv[1:3]
failures = []


def read(path):
    with open(f'{root}/{path}', encoding='utf-8') as f:
        return f.read()


version = re.search(r"^\s*version:\s*'([^']+)'", read('meson.build'), re.M).group(1)
header = read('include/bugtrack/version.h')
if f'#define BT_VERSION_STRING "{version}"' not in header:
    failures.append(f'version.h: BT_VERSION_STRING is not "{version}"')
parts = dict(re.findall(r'#define BT_VERSION_(MAJOR|MINOR|PATCH)\s+(\d+)', header))
if '.'.join(parts.get(k, '?') for k in ('MAJOR', 'MINOR', 'PATCH')) != version:
    failures.append(f'version.h: BT_VERSION_MAJOR/MINOR/PATCH are not {version}')

out = subprocess.run([bugtrack, '--version'], capture_output=True, text=True,
                     timeout=30).stdout.strip()
if out != f'bugtrack {version}':
    failures.append(f'bt_version_string() (bugtrack --version) says {out!r}, not {version}')

m = re.match(r'libbugtrack \(([^)]+)\)', read('debian/changelog'))
if not m or re.sub(r'-[^-]+$', '', m.group(1)) != version:
    failures.append(f'debian/changelog: the newest entry is {m and m.group(1)!r}, not {version}')

headings = re.findall(r'^## (\S+)(.*)$', read('NEWS.md'), re.M)
names = [h[0] for h in headings]
if version not in names:
    failures.append(f'NEWS.md has no heading for {version}')
else:
    for name, rest in headings[:names.index(version)]:
        if 'unreleased' not in rest:
            failures.append(f'NEWS.md: {name}, above {version}, is not marked unreleased')

p = subprocess.run([sys.executable, f'{root}/scripts/debian-symbols.py', root, '--check'],
                   capture_output=True, text=True, timeout=30)
if p.returncode:
    failures.append('debian/libbugtrack1.symbols:\n' + p.stdout.strip())

for f in failures:
    print('FAIL:', f)
print(f'version {version}: {len(failures)} disagreement(s)')
sys.exit(1 if failures else 0)
