#!/bin/bash
# The demo: install what is missing, build, and run the example service
# against the default database ($BUGTRACK_DB, else ./bugtrack.db).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
./build/examples/demo_service
