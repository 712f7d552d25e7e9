#!/bin/sh
# Install into a scratch tree, then build and run an example with nothing
# but what `pkg-config --cflags --libs bugtrack` says.
set -eu
build=$1 src=$2 cc=$3
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >/dev/null
pc=$(find "$dest" -name bugtrack.pc | head -n 1)
test -n "$pc" || { echo "bugtrack.pc was not installed" >&2; exit 1; }
lib=$(find "$dest" -name 'libbugtrack.so.1' | head -n 1)
test -n "$lib" || { echo "libbugtrack.so.1 was not installed" >&2; exit 1; }
test -n "$(find "$dest" -name bugtrack.h)" || { echo "bugtrack.h was not installed" >&2; exit 1; }
test -n "$(find "$dest" -path "*/include/bugtrack/capture.h")" ||
	{ echo "the parts of bugtrack.h (bugtrack/*.h) were not installed" >&2; exit 1; }
for page in bugtrack.3 bt_log.3 bt_open.3; do
	test -n "$(find "$dest" -path "*/man3/$page")" || { echo "man page $page was not installed" >&2; exit 1; }
done
test -n "$(find "$dest" -name libbugtrack.a)" || { echo "libbugtrack.a was not installed" >&2; exit 1; }

export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$dest"
flags=$(pkg-config --cflags --libs bugtrack)
echo "pkg-config: $flags"
# shellcheck disable=SC2086
$cc -o "$dest/demo" -DAGENT_LOOP_NO_MAIN "$src/examples/demo_service.c" "$src/examples/agent_loop.c" $flags
libdir=$(echo "$flags" | tr ' ' '\n' | sed -n 's/^-L//p' | head -n 1)
out=$(cd "$dest" && BUGTRACK_DB="$dest/installed.db" LD_LIBRARY_PATH="$libdir" ./demo)
echo "$out"
echo "$out" | grep -q "became tickets" || { echo "installed demo did not run" >&2; exit 1; }
# It must have run against the installed library, not the build tree's.
LD_LIBRARY_PATH="$libdir" ldd "$dest/demo" | grep -q "$dest" || { echo "demo not linked to installed lib" >&2; exit 1; }
