#!/bin/sh
# bugtrack.pc must name the directories the build was configured with, also
# when they lie outside the prefix (Debian's multiarch libdir): configure a
# scratch build that way (no compiling) and read the file back.
set -eu
meson=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$meson" setup "$tmp/build" "$src" --prefix=/opt/bugtrack --libdir=/usr/lib/bt-multiarch \
	--includedir=/usr/include/bt-headers -Dtests=false -Dexamples=false >"$tmp/setup.log" 2>&1 ||
	{ cat "$tmp/setup.log" >&2; exit 1; }
pc=$(find "$tmp/build" -name bugtrack.pc ! -path '*uninstalled*' | head -n 1)
test -n "$pc" || { echo "configuring wrote no bugtrack.pc" >&2; exit 1; }
cat "$pc"
export PKG_CONFIG_PATH="$(dirname "$pc")"
libdir=$(pkg-config --variable=libdir bugtrack)
includedir=$(pkg-config --variable=includedir bugtrack)
flags=$(pkg-config --cflags --libs bugtrack)
fail=0
[ "$libdir" = /usr/lib/bt-multiarch ] || { echo "libdir is $libdir" >&2; fail=1; }
[ "$includedir" = /usr/include/bt-headers ] || { echo "includedir is $includedir" >&2; fail=1; }
for want in -I/usr/include/bt-headers -L/usr/lib/bt-multiarch -lbugtrack; do
	case " $flags " in
	*" $want "*) ;;
	*) echo "pkg-config --cflags --libs lacks $want: $flags" >&2; fail=1 ;;
	esac
done
exit $fail
