#!/usr/bin/env python3
"""Fail when a code block the README quotes from an example no longer
matches the example (so that documentation and code cannot drift apart).
A quoted block follows a line `<!-- quoted from PATH -->`."""
import re
import sys

root = sys.argv[1]
readme = open(f'{root}/README.md').read()
pattern = re.compile(r'<!-- quoted from (\S+) -->\n```c\n(.*?)```', re.S)
found = 0
for path, block in pattern.findall(readme):
    found += 1
    source = open(f'{root}/{path}').read()
    if block not in source:
        sys.exit(f'README.md quotes {path}, but the quote no longer matches the file')
if not found:
    sys.exit('README.md quotes no example')
print(f'{found} quoted block(s) match')
