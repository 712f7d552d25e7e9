#!/bin/bash
# Run bench/bench_postgresql against a throwaway PostgreSQL 15 server that
# loads pg_stat_statements (the statements-per-call column) and takes
# passwords on its Unix socket too (the "pg unix" rows; pg_virtualenv's
# own default there is peer authentication, which root cannot use as the
# postgres role).  Usage: scripts/bench-postgresql.sh [BUILDDIR] [ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
scripts/bootstrap.sh
[ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release >/dev/null
meson compile -C "$build" bench/bench_postgresql >/dev/null
exec pg_virtualenv -t -v 15 -i '--auth-local=md5' \
	-o shared_preload_libraries=pg_stat_statements "$build/bench/bench_postgresql" "$@"
