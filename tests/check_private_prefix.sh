#!/bin/sh
# Install into a private prefix, as README's Building section tells a C
# developer to, and use it as they would: the installed bugtrack must start
# with no LD_LIBRARY_PATH (its run path names the prefix's libdir), and a
# program built with pkg-config and the run path README gives must run.
# A scratch build of the library and the CLI alone (about 15 s on 2 cores).
set -eu
meson=$1 src=$2 cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

"$meson" setup "$tmp/build" "$src" --prefix="$prefix" -Dtests=false -Dexamples=false \
	-Dpostgresql=disabled -Dbugtrackd=disabled -Dabi_check=disabled >"$tmp/log" 2>&1 &&
	"$meson" compile -C "$tmp/build" >>"$tmp/log" 2>&1 &&
	"$meson" install -C "$tmp/build" --quiet >>"$tmp/log" 2>&1 ||
	{ cat "$tmp/log" >&2; exit 1; }
unset LD_LIBRARY_PATH

out=$("$prefix/bin/bugtrack" --version) ||
	{ echo "the installed bugtrack does not start from $prefix" >&2; exit 1; }
echo "$out"

pc=$(find "$prefix" -name bugtrack.pc | head -n 1)
export PKG_CONFIG_PATH="$(dirname "$pc")"
libdir=$(pkg-config --variable=libdir bugtrack)
# shellcheck disable=SC2046
$cc -o "$tmp/demo" -DAGENT_LOOP_NO_MAIN "$src/examples/demo_service.c" \
	"$src/examples/agent_loop.c" $(pkg-config --cflags --libs bugtrack) \
	-Wl,-rpath,"$libdir"
out=$(cd "$tmp" && BUGTRACK_DB="$tmp/private.db" ./demo)
echo "$out" | grep -q "became tickets" || { echo "$out"; echo "the demo did not run" >&2; exit 1; }
# The installed tool reads what the program wrote.
"$prefix/bin/bugtrack" --db "$tmp/private.db" list --limit 1 >/dev/null ||
	{ echo "the installed bugtrack cannot read the demo's database" >&2; exit 1; }
echo "private prefix: bugtrack and a pkg-config build run from $prefix"
