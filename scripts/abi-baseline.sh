#!/bin/sh
# Regenerate abi/libbugtrack.abi from a build.  Do this when functions are
# added (a compatible change), never to hide an incompatible one.
set -eu
build=${1:-build}
cd "$(dirname "$0")/.."
meson compile -C "$build" >/dev/null
abidw --no-show-locs --no-corpus-path --headers-dir include \
	--out-file abi/libbugtrack.abi "$build/lib/libbugtrack.so.1"
echo "wrote abi/libbugtrack.abi"
