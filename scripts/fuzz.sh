#!/bin/bash
# Build the libFuzzer targets with clang, AddressSanitizer and UBSan in
# build-fuzz/, and run each for fuzz_seconds (60 by default) as meson's
# 'fuzz' suite: a crash, leak or timeout fails its test, and the input that
# caused it is left under build-fuzz/tests/fuzz/artifacts/.
#   scripts/fuzz.sh [meson test options...]   e.g. scripts/fuzz.sh fuzz_redact
# Longer runs: scripts/fuzz-nightly.sh.  Another time per target for an
# existing build: meson configure build-fuzz -Dfuzz_seconds=N.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
if [ ! -f build-fuzz/build.ninja ]; then
	# One sanitizer runtime for the executables and libbugtrack.so: the
	# shared one, found through an rpath (scripts/test.sh does the same).
	rtdir=$(dirname "$(clang -print-file-name=libclang_rt.asan-x86_64.so)")
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dexamples=false \
		-Dc_link_args="-shared-libsan -Wl,-rpath,$rtdir" >/dev/null
fi
meson compile -C build-fuzz >/dev/null
# Stop at the first error, so that libFuzzer saves the input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
exec meson test -C build-fuzz --suite fuzz --print-errorlogs "$@"
