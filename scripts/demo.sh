#!/bin/bash
# The demo: install what is missing, build, run the example service against
# the default database ($BUGTRACK_DB, else ./bugtrack.db), then look at the
# result the way an operator would, with the bugtrack tool.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
./build/examples/demo_service
echo
echo "\$ bugtrack stats"
./build/tools/bugtrack stats
echo
echo "\$ bugtrack list"
./build/tools/bugtrack list
