#!/bin/bash
# The long fuzz run: every target of tests/fuzz for SECONDS each (default
# 3600), one after another (one fuzzer at a time: each is single-threaded).
#   scripts/fuzz-nightly.sh [SECONDS] [TARGET...]
# It builds build-fuzz as scripts/fuzz.sh does, and works under
# build-fuzz/nightly/, never in the source tree:
#   corpus/<target>/     what libFuzzer found, kept from night to night
#   new/<target>/        of that, the inputs that reach code the seeds of
#                        tests/fuzz/corpus/<target>/ do not (a -merge=1)
#   artifacts/<target>-* crash, leak and timeout inputs
# Exits non-zero when a target failed, after running the others.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-3600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(normalize redact import crash cli cursor)
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;; esac

scripts/bootstrap.sh || exit 1
if [ ! -f build-fuzz/build.ninja ]; then
	# As scripts/fuzz.sh: see there why the sanitizer runtime is shared.
	rtdir=$(dirname "$(clang -print-file-name=libclang_rt.asan-x86_64.so)")
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dexamples=false \
		-Dc_link_args="-shared-libsan -Wl,-rpath,$rtdir" >/dev/null || exit 1
fi
meson compile -C build-fuzz >/dev/null || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
out=build-fuzz/nightly
failed=()
for t in "${targets[@]}"; do
	fuzzer=build-fuzz/tests/fuzz/fuzz_$t
	seeds=tests/fuzz/corpus/$t
	if [ ! -x "$fuzzer" ]; then
		echo "fuzz-nightly: no target $t ($fuzzer)" >&2
		failed+=("$t")
		continue
	fi
	mkdir -p "$out/corpus/$t" "$out/artifacts"
	echo "== fuzz $t for $seconds s" >&2
	# The scratch corpus first: libFuzzer only ever writes to the first.
	if ! "$fuzzer" "$out/corpus/$t" "$seeds" -max_total_time="$seconds" -timeout=10 -error_exitcode=99 \
		-artifact_prefix="$out/artifacts/$t-" -print_final_stats=1 2>"$out/$t.log"; then
		failed+=("$t")
		grep -E '^(==[0-9]+==|SUMMARY|.*property broken|artifact_prefix)' "$out/$t.log" >&2
	fi
	grep '^stat::number_of_executed_units\|^stat::average_exec_per_sec' "$out/$t.log" >&2

	# New interesting inputs: merged against a copy of the seeds, whose
	# copies are then dropped, so that new/<target>/ holds only news.
	rm -rf "$out/new/$t"
	mkdir -p "$out/new/$t"
	for f in "$seeds"/*; do cp "$f" "$out/new/$t/seed-$(basename "$f")"; done
	"$fuzzer" -merge=1 "$out/new/$t" "$out/corpus/$t" >/dev/null 2>&1
	rm -f "$out/new/$t"/seed-*
	echo "   $(ls "$out/new/$t" | wc -l) new inputs in $out/new/$t" >&2
done

cat >&2 <<EOF

New inputs worth keeping as seeds: review $out/new/<target>/ and copy a few
into tests/fuzz/corpus/<target>/ (give them names that say what they are).
EOF
if [ ${#failed[@]} -eq 0 ]; then
	echo "fuzz-nightly: no crash in ${targets[*]}" >&2
	exit 0
fi
cat >&2 <<EOF

fuzz-nightly: FAILED: ${failed[*]} (logs: $out/<target>.log)
Crash inputs: $(ls "$out"/artifacts/ 2>/dev/null | tr '\n' ' ')
A crash is a failing test, and its input becomes a regression case:
  1. shrink it:   build-fuzz/tests/fuzz/fuzz_TARGET -minimize_crash=1 -runs=100000 \\
                    -exact_artifact_path=tests/fuzz/regressions/TARGET/WHAT $out/artifacts/TARGET-crash-...
  2. see it fail: build-fuzz/tests/fuzz/fuzz_TARGET_replay tests/fuzz/corpus/TARGET tests/fuzz/regressions/TARGET
  3. fix the bug; the replay test (meson test fuzz_TARGET_replay, suite unit) then passes
     in every stage, and the input is committed with the fix.
  A bug that cannot be fixed now: put the input in tests/fuzz/pending/TARGET/
  instead (not replayed, so the suite stays green) and file an issue naming it.
EOF
exit 1
