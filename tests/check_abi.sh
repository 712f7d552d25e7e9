#!/bin/sh
# ABI gate: compare the built library with the committed baseline.
# abidiff's exit status is a bitmask (libabigail docs): 1 tool error,
# 2 usage error, 4 ABI changed (compatible, e.g. added functions),
# 8 incompatible change.  Only 1, 2 and 8 fail the gate.
# Refresh the baseline with scripts/abi-baseline.sh when adding functions.
set -u
baseline=$1 lib=$2 headers=$3
abidiff --no-show-locs --headers-dir2 "$headers" "$baseline" "$lib"
rc=$?
if [ $((rc & 3)) -ne 0 ]; then
	echo "abidiff failed to run (status $rc)" >&2
	exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
	echo "INCOMPATIBLE ABI change against $baseline (status $rc)" >&2
	exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
	echo "compatible ABI change (status $rc): refresh the baseline with scripts/abi-baseline.sh"
fi
exit 0
