#!/bin/sh
# ABI gate: compare the built library with the committed baseline.
# abidiff's exit status is a bitmask (libabigail docs): 1 tool error,
# 2 usage error, 4 ABI changed, 8 incompatible change.  Bit 4 covers both
# added functions (compatible) and a changed layout of a type that an
# exported function reaches (a struct grown, a field retyped): so the gate
# reads abidiff's summary and fails on any removed or changed function or
# variable, and passes only additions.  A versioned struct that grows by a
# new version in a release is reviewed then, and the baseline refreshed with
# scripts/abi-baseline.sh.
#
# No --headers-dir2: with it, abidiff took every type of include/bugtrack/
# for private and filtered out their changes (it passed a retyped field of
# bt_check_result).  Only exported functions are compared, and every type
# they reach is public except the opaque handles: a struct the headers
# declare (typedef struct bt_db bt_db;) but never define.  The library's
# debug information has their definitions, and a new private member of
# bt_db is no ABI change, so those are suppressed, found from the headers
# each run (a struct that becomes public is checked from then on).
set -u
baseline=$1 lib=$2
include=$(dirname "$0")/../include
opaque=$(grep -ho 'typedef struct [a-z_0-9]* [a-z_0-9]*;' "$include"/bugtrack/*.h |
	awk '{print $3}' | sort -u | while read -r t; do
		grep -q "^struct $t {" "$include"/bugtrack/*.h "$include"/bugtrack.h || printf '%s|' "$t"
	done)
supp=$(mktemp)
trap 'rm -f "$supp"' EXIT
printf '[suppress_type]\n  type_kind = struct\n  name_regexp = ^(%s)$\n' "${opaque%|}" >"$supp"
out=$(abidiff --no-show-locs --suppressions "$supp" "$baseline" "$lib")
rc=$?
printf '%s\n' "$out"
if [ $((rc & 3)) -ne 0 ]; then
	echo "abidiff failed to run (status $rc)" >&2
	exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
	echo "INCOMPATIBLE ABI change against $baseline (status $rc)" >&2
	exit 1
fi
if printf '%s\n' "$out" | grep -E '^(Functions|Variables) changes summary' |
	grep -Eq '[1-9][0-9]* (Removed|Changed)'; then
	echo "ABI change against $baseline: a function or variable was removed, or a type it" >&2
	echo "reaches changed (status $rc); only additions are compatible" >&2
	exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
	echo "compatible ABI change (status $rc): refresh the baseline with scripts/abi-baseline.sh"
fi
exit 0
