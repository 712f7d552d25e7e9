#!/usr/bin/env python3
"""Count test results from meson's testlog.json files (one JSON object per
test and line) and print "N passed, N failed" as the last line.  A missing
or empty log counts as a failure: no results is not a pass."""
import json
import sys

PASS = {'OK', 'EXPECTEDFAIL'}
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            results = [json.loads(line)['result'] for line in f if line.strip()]
    except (OSError, ValueError, KeyError) as e:
        print(f'count_results: {path}: {e}', file=sys.stderr)
        results = []
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
if skipped:
    print(f'{skipped} skipped')
print(f'{passed} passed, {failed} failed')
sys.exit(1 if failed else 0)
