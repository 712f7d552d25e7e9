#!/bin/bash
# The whole test suite: install what is missing, build, run every test in
# five stages, and end with "N passed, N failed" counted from meson's
# per-test results of every stage.
#   1. the developer build (-Wall -Wextra -Werror): every suite; then the
#      postgresql suite against a throwaway PostgreSQL 15 server; then a
#      release build (-O3, NDEBUG) must compile without a warning; then the
#      Debian packages are built, linted and installed in a fresh system
#   2. AddressSanitizer + UndefinedBehaviorSanitizer: every suite but abi,
#      the postgresql suite against a throwaway server again
#   3. ThreadSanitizer: the unit, concurrency and conformance suites, and the
#      host shapes that fork no threaded process (signal handlers, dlclose)
#   4. valgrind memcheck: the unit, migrations and conformance suites
#   5. libFuzzer (clang, ASan + UBSan): every fuzz target for fuzz_seconds
#      (40 s) from the seed corpus, with a fixed seed (fuzz_seed); a crash
#      input is printed in base64
# The unit suite includes the replay of every fuzz corpus and regression
# input; the faults (I/O and OOM injection) and torture (kill -9) suites run
# in stages 1 and 2 (in 2, a share of them: see there).
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh || exit 1
# bootstrap.sh installed chromium: the status page's browser check fails
# instead of skipping without it (tests/bugtrackd/check_bugtrackd.py).
export BT_TEST_REQUIRE_BROWSER=1
logs=()
wrap=()

stage() { # name, then the command; the time goes to stderr; returns its status
	local name=$1 start=$SECONDS rc
	shift
	echo "== stage $name" >&2
	"$@"
	rc=$?
	echo "== stage $name took $((SECONDS - start)) s" >&2
	return $rc
}

configure() { # builddir, meson options...  Warnings are errors in every CI build,
	# and bugtrackd is built in each (enabled: a missing library fails the
	# build rather than dropping the daemon and its tests unseen).
	local dir=$1
	shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" -Dwerror=true -Dbugtrackd=enabled "$@" >/dev/null
	meson compile -C "$dir" >/dev/null
}

run_tests() { # builddir, stage name, meson test options...
	# Each stage logs under its own name, so a later `meson test` in the
	# same build directory cannot overwrite the results counted below.
	# $wrap (an array, may be empty) runs meson under a command.
	local dir=$1 name=$2
	shift 2
	rm -f "$dir/meson-logs/stage-$name"*.json
	"${wrap[@]}" meson test -C "$dir" --print-errorlogs --logbase "stage-$name" "$@"
	# meson appends the setup's name (stage-valgrind-valgrind.json)
	local log
	log=$(ls "$dir/meson-logs/stage-$name"*.json 2>/dev/null | head -n 1)
	logs+=("${log:-$dir/meson-logs/stage-$name.json}")
}

if ! scripts/build.sh; then
	echo "test: the build failed; no test ran" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
stage developer run_tests build developer

# The PostgreSQL backend against a real, throwaway server: pg_virtualenv
# (postgresql-common) creates a cluster, exports its PG* variables, runs the
# suite and drops it.  Here a test that cannot reach the server fails
# instead of skipping (BT_TEST_REQUIRE_POSTGRESQL).  Passwords on the Unix
# socket too: the benchmark's smoke test connects there as well.
pg=(pg_virtualenv -t -v 15 -i '--auth-local=md5')
wrap=("${pg[@]}")
export BT_TEST_REQUIRE_POSTGRESQL=1
stage postgresql run_tests build postgresql --suite postgresql
unset BT_TEST_REQUIRE_POSTGRESQL
wrap=()

# With NDEBUG asserts vanish, and what only they used warns: compiled, not run
# (the unit suite under it adds little to the five stages that run).
if ! stage release-build configure build-release --buildtype=release; then
	echo "test: the release build (NDEBUG) failed" >&2; logs+=(build-release/missing)
fi

# The Debian packages from a clean copy of the tree: dpkg-buildpackage,
# lintian, and an install into a fresh Debian 12 where an example is built
# with pkg-config alone (tests/check_packages.sh; about 3 minutes, most of
# it debootstrap and apt).
export BT_TEST_PACKAGES=1
stage packages run_tests build packages --suite packages
unset BT_TEST_PACKAGES

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
if stage asan-build configure build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
	# Under a server of its own, so that the postgresql suite runs under
	# the sanitizers too.
	wrap=("${pg[@]}")
	export BT_TEST_REQUIRE_POSTGRESQL=1
	# Each run costs three to five times as much under the sanitizers, and
	# the three longest tests made this stage 1,987 s (CI near its 60
	# minutes).  Here they do a share of what the developer stage does in
	# full: the fault sweeps (22,702 points since migration 0009, each a
	# whole workload) try every fourth point, the kill -9 torture (which
	# runs alone) 300 rounds of 800, and the CLI injection check every
	# third hostile string per slot (each string still meets every command).
	export BT_FAULTS_STRIDE=4 BT_TORTURE_ROUNDS=300 BT_INJECTION_STRIDE=3
	stage asan run_tests build-asan asan --no-suite abi
	unset BT_TEST_REQUIRE_POSTGRESQL BT_FAULTS_STRIDE BT_TORTURE_ROUNDS BT_INJECTION_STRIDE
	wrap=()
else
	echo "test: the sanitizer build failed" >&2; logs+=(build-asan/missing)
fi

export TSAN_OPTIONS=halt_on_error=1
if stage tsan-build configure build-tsan -Db_sanitize=thread -Db_lundef=false -Dexamples=false; then
	stage tsan run_tests build-tsan tsan --suite unit --suite concurrency --suite conformance --suite host-tsan
else
	echo "test: the thread-sanitizer build failed" >&2; logs+=(build-tsan/missing)
fi

stage valgrind run_tests build valgrind --setup valgrind --suite unit --suite migrations --suite conformance

# One sanitizer runtime for the fuzz executables and libbugtrack.so: clang's
# shared one, found through an rpath.
fuzz_rt=$(dirname "$(clang -print-file-name=libclang_rt.asan-x86_64.so)")
if CC=clang stage fuzz-build configure build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
	-Db_lundef=false -Dexamples=false "-Dc_link_args=-shared-libsan -Wl,-rpath,$fuzz_rt"; then
	stage fuzz run_tests build-fuzz fuzz --suite fuzz
	# The build directory does not outlive a CI run: its log keeps each
	# crash input, to be decoded into tests/fuzz/regressions/TARGET/.
	for f in build-fuzz/tests/fuzz/artifacts/*; do
		[ -f "$f" ] && echo "fuzz artifact $f, base64: $(base64 -w0 "$f")" >&2
	done
else
	echo "test: the fuzz build failed" >&2; logs+=(build-fuzz/missing)
fi

python3 scripts/count_results.py "${logs[@]}"
