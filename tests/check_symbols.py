#!/usr/bin/env python3
"""Fail when the library's exported dynamic symbols differ from its version
script, or when a symbol is exported under the wrong version node."""
import re
import subprocess
import sys

lib, script = sys.argv[1], sys.argv[2]

text = re.sub(r'/\*.*?\*/', '', open(script).read(), flags=re.S)
wanted = {}                       # symbol -> node
for node, body in re.findall(r'([\w.]+)\s*\{(.*?)\}', text, flags=re.S):
    section = None
    for token in re.findall(r'[\w*]+:|[\w*]+(?=\s*;)', body):
        if token.endswith(':'):
            section = token[:-1]
        elif section == 'global':
            wanted[token] = node

out = subprocess.run(['nm', '-D', '--defined-only', lib], check=True,
                     capture_output=True, text=True).stdout
exported = {}                     # symbol -> version
for line in out.splitlines():
    parts = line.split()
    if len(parts) != 3 or parts[1] == 'A':   # 'A': the version nodes themselves
        continue
    name, _, version = parts[2].partition('@@')
    exported[name] = version or parts[2].partition('@')[2]

errors = []
for name in sorted(set(exported) - set(wanted)):
    errors.append(f'exported but not in {script}: {name}')
for name in sorted(set(wanted) - set(exported)):
    errors.append(f'in {script} but not exported: {name}')
for name in sorted(set(wanted) & set(exported)):
    if exported[name] != wanted[name]:
        errors.append(f'{name} is versioned {exported[name]!r}, script says {wanted[name]!r}')
    if not name.startswith('bt_'):
        errors.append(f'{name}: exported symbols must start with bt_')
if not wanted:
    errors.append(f'no symbols parsed from {script}')

for e in errors:
    print(e, file=sys.stderr)
print(f'{len(exported)} exported symbols, {len(wanted)} in the version script')
sys.exit(1 if errors else 0)
