#!/usr/bin/env bash
# The README's second command (and CI's): install what is missing, build with
# warnings as errors, run the unit tests, the integration tests against the
# real binary (over the posix home, then again over Ceph RGW as the home
# backend), the Ceph s3-tests expected-pass list where that suite is installed,
# the unit and posix-home integration tests again under ASan+UBSan, the fuzzers
# for a few seconds each, clang's static analyzer against its baseline, the
# style check and `make distcheck`. Ends with one
# line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh test || exit 1

passed=0
failed=0
skipped=0
failures=()

# Adds a cmocka program's counts from its log ("[  PASSED  ] N test(s).").
count_cmocka() {
	local log=$1 p f
	p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
	f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
	passed=$((passed + p))
	failed=$((failed + f))
}

# "== NAME (at MmSSs)": the elapsed time shows where CI's minutes go.
banner() { printf '== %s (at %dm%02ds)\n' "$1" $((SECONDS / 60)) $((SECONDS % 60)); }

step() { # step NAME COMMAND...: a whole step counts as one test
	local name=$1
	shift
	banner "$name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$name")
	fi
}

unit() { # unit BUILD_DIR LABEL
	local dir=$1 label=$2 log
	banner "unit tests ($label)"
	if ! make -C "$dir" -j"$(nproc)" check >"$dir/check.out" 2>&1; then
		failures+=("unit tests ($label)")
		grep -E '^(FAIL|ERROR)' "$dir/check.out" || tail -n 30 "$dir/check.out"
	fi
	for log in "$dir"/tests/unit/test_*.log; do
		[ -f "$log" ] || continue
		count_cmocka "$log"
		grep -qE '^\[  FAILED  \]' "$log" && { echo "--- $log"; grep -E 'FAILED|error|Error' "$log" | head -n 20; }
	done
	grep -E '^# (PASS|FAIL|ERROR):' "$dir/test-suite.log" 2>/dev/null | tr '\n' ' '
	echo
}

integration() { # integration BINARY LABEL [run.py OPTIONS...]
	local bin=$1 label=$2 out
	shift 2
	banner "integration tests ($label)"
	out=$(mktemp)
	python3 tests/integration/run.py --strata "$bin" "$@" 2>&1 | tee "$out"
	# The runner's last line is "N passed, N failed[, N skipped]".
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		failures+=("integration ($label): no summary")
	else
		passed=$((passed + $(echo "$line" | awk '{print $1}')))
		local f
		f=$(echo "$line" | awk '{print $3}')
		failed=$((failed + f))
		[ "$f" -eq 0 ] || failures+=("integration ($label)")
		skipped=$((skipped + $(echo "$line" | awk '{for (i = 1; i < NF; i++) if ($(i + 1) ~ /^skipped/) s = $i} END {print s + 0}')))
	fi
	rm -f "$out"
}

step "build (warnings as errors)" scripts/build.sh build/release --enable-werror
unit build/release release
# -j 2: two modules at once (each its own servers); most tests wait on I/O and timers.
integration build/release/strata release -j 2
integration build/release/strata "release, home s3 over Ceph RGW" --home s3 -j 2

# Ceph s3-tests, only where the runner and the suite are installed (a clean clone has
# neither: then this costs nothing): every test of tests/s3-tests/expected-pass.txt must pass.
if why=$(scripts/s3-tests.sh --available); then
	step "s3-tests (expected-pass list)" scripts/s3-tests.sh --jobs 2 build/release/strata
else
	banner "s3-tests skipped: ${why#s3-tests: }"
	skipped=$((skipped + 1))
fi

# The benchmark suite in its smoke mode (tiny sizes, 1 s runs, nginx but no RGW): it still
# runs end to end and checks every byte it reads back; its figures mean nothing (~40 s).
step "benchmark smoke (scripts/bench/run.sh --smoke)" \
	env STRATA=build/release/strata scripts/bench/run.sh --smoke

step "build (ASan+UBSan)" scripts/build.sh build/asan --enable-werror --enable-sanitizers
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
unit build/asan asan
integration build/asan/strata asan -j 2
unset ASAN_OPTIONS UBSAN_OPTIONS

# Every libFuzzer driver from its seeds for 4 s: 19 drivers, about 135 s with the clang build
# (measured on 2 cores: 54 s configure + build, 64 s fuzzing for 16; 4 s more per driver since).
step "fuzz (4 s per driver)" scripts/fuzz.sh 4
# clang's analyzer; fails on a finding not in tests/static/scan-build-baseline.txt (~75 s).
step "static analysis (scan-build)" scripts/static-analysis.sh
step "style (banned calls)" scripts/check-style.sh
step "make distcheck" sh -c 'make -C build/release distcheck >build/release/distcheck.out 2>&1 || { tail -n 40 build/release/distcheck.out; exit 1; }'

banner "done"
if [ ${#failures[@]} -gt 0 ]; then
	echo "Failed: ${failures[*]}"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ ${#failures[@]} -eq 0 ]
