#!/bin/bash
# The whole test suite: install what is missing, build, run every test, and
# end with "N passed, N failed" counted from meson's per-test results.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh || exit 1
if ! scripts/build.sh; then
	echo "test: the build failed; no test ran" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
rm -f build/meson-logs/testlog.json
meson test -C build --print-errorlogs
python3 scripts/count_results.py build/meson-logs/testlog.json
