#!/usr/bin/env python3
"""bugtrackd(8) says what bugtrackd --help says: every option of the help is
in the page's OPTIONS, and every option the page names is one the daemon
has.  The help fits an 80-column terminal.  usage: check_man.py BUGTRACKD MAN_SOURCE"""
import re
import subprocess
import sys

binary, source = sys.argv[1:3]
helptext = subprocess.run([binary, '--help'], capture_output=True, text=True,
                          timeout=30, check=True).stdout
page = open(source, encoding='utf-8').read()
in_help = set(re.findall(r'(?<![\w-])(--[a-z][a-z-]*)', helptext))
in_page = set(re.findall(r'\*(--[a-z][a-z-]*)\*', page))
failed = 0
for opt in sorted(in_help - in_page):
    print(f'FAIL: bugtrackd --help has {opt}, the man page does not')
    failed = 1
for opt in sorted(in_page - in_help):
    print(f'FAIL: the man page names {opt}, bugtrackd --help does not')
    failed = 1
for line in helptext.splitlines():
    if len(line) > 80:
        print(f'FAIL: bugtrackd --help has a line wider than 80 columns: {line!r}')
        failed = 1
print(f'{len(in_help)} options in --help, {len(in_page)} in {source}')
sys.exit(failed)
