#!/usr/bin/env python3
"""Count test results from meson's testlog.json files (one JSON object per
test and line) and print "N passed, N failed" as the last line.  A missing
or empty log counts as a failure: no results is not a pass.

Each failed test is named, with the end of its output, just above the
count: CI keeps only the tail of what a run prints."""
import json
import sys

PASS = {'OK', 'EXPECTEDFAIL'}
TAIL = 12  # lines of a failed test's output to repeat
passed = failed = skipped = 0
failures = []
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            tests = [json.loads(line) for line in f if line.strip()]
        results = [t['result'] for t in tests]
    except (OSError, ValueError, KeyError) as e:
        print(f'count_results: {path}: {e}', file=sys.stderr)
        tests = results = []
    if not results:
        print(f'count_results: {path}: no test results', file=sys.stderr)
        failed += 1
    for r in results:
        if r in PASS:
            passed += 1
        elif r == 'SKIP':
            skipped += 1
        else:
            failed += 1
    for t in tests:
        if t['result'] not in PASS and t['result'] != 'SKIP':
            failures.append((path, t))
for path, t in failures:
    print(f"failed: {t['name']} ({t['result']}, {t.get('duration', 0):.0f} s) in {path}")
    out = (t.get('stdo') or '') + (t.get('stde') or '')
    for line in out.splitlines()[-TAIL:]:
        print(f'  | {line[:300]}')
if skipped:
    print(f'{skipped} skipped')
print(f'{passed} passed, {failed} failed')
sys.exit(1 if failed else 0)
