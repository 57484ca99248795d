#!/usr/bin/env bash
# The libFuzzer drivers of tests/fuzz (one per parser of untrusted input).
#   scripts/fuzz.sh [SECONDS] [DRIVER...]  fuzz each driver SECONDS (default 60),
#                                           starting from its seed corpus
#   scripts/fuzz.sh --replay [DRIVER...]    run every seed once (a regression test)
# DRIVER is a name like fuzz_xmlin (default: all). Builds with clang into
# build/fuzz (its own configure, --enable-fuzz; FUZZ_BUILD=DIR for another). New inputs go to
# build/fuzz/corpus/DRIVER, never into the repository's corpus; a crash, leak,
# UB or broken invariant leaves its input in build/fuzz/crashes/DRIVER/ and
# fails the run (add that input to tests/fuzz/corpus/DRIVER/ once fixed).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dir=${FUZZ_BUILD:-build/fuzz} # another directory for a second build beside a long run

replay=0
seconds=60
if [ "${1:-}" = --replay ]; then
	replay=1
	shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
	seconds=$1
	shift
fi

command -v clang >/dev/null || { echo "fuzz: clang is missing (scripts/deps.sh test)" >&2; exit 1; }
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi >/dev/null || exit 1
fi
mkdir -p "$dir"
if [ ! -f "$dir/Makefile" ] || [ configure -nt "$dir/Makefile" ]; then
	(cd "$dir" && CC=clang "$top/configure" --enable-fuzz >configure.out) ||
		{ cat "$dir/configure.out"; exit 1; }
fi
make -C "$dir" -j"$(nproc)" fuzz >"$dir/make.out" 2>&1 || { tail -n 40 "$dir/make.out"; exit 1; }

drivers=("$@")
if [ ${#drivers[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		drivers+=("$(basename "$f" .c)")
	done
fi

# The dictionary of each driver (tests/fuzz/dict) and its longest input.
dict_of() {
	case $1 in
	fuzz_xmlin | fuzz_lcrules | fuzz_replrules | fuzz_corsrules | fuzz_s3client_xml) echo xml ;;
	fuzz_sigv4_*) echo sigv4 ;;
	fuzz_chunked) echo chunked ;;
	fuzz_config) echo config ;;
	fuzz_objwire) echo objwire ;;
	fuzz_reqtarget | fuzz_copysrc) echo target ;;
	*) echo http ;;
	esac
}
max_len_of() {
	case $1 in
	fuzz_xmlin | fuzz_lcrules | fuzz_replrules | fuzz_corsrules | fuzz_s3client_xml | fuzz_config) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for d in "${drivers[@]}"; do
	bin=$dir/tests/fuzz/$d
	seeds=tests/fuzz/corpus/$d
	log=$dir/logs/$d.log
	[ -x "$bin" ] && [ -d "$seeds" ] || { echo "fuzz: no driver or corpus for $d" >&2; failed+=("$d"); continue; }
	mkdir -p "$dir/logs" "$dir/crashes/$d" "$dir/corpus/$d"
	if [ $replay -eq 1 ]; then
		"$bin" -timeout=10 -rss_limit_mb=2048 "$seeds"/* >"$log" 2>&1
	else
		"$bin" -max_total_time="$seconds" -max_len="$(max_len_of "$d")" -timeout=10 \
			-rss_limit_mb=2048 -dict="tests/fuzz/dict/$(dict_of "$d").dict" \
			-artifact_prefix="$dir/crashes/$d/" -print_final_stats=1 \
			"$dir/corpus/$d" "$seeds" >"$log" 2>&1
	fi
	rc=$?
	if [ $rc -eq 0 ]; then
		runs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print ", " $2 " runs"}')
		echo "$d: ok ($(find "$seeds" -type f | wc -l) seeds$runs)"
	else
		echo "$d: FAILED (exit $rc), log $log"
		grep -E 'ERROR|SUMMARY|invariant failed|Test unit written to' "$log" | head -n 10
		grep -Eo 'Test unit written to .*' "$log" | sed 's/^Test unit written to /reproducer: /'
		failed+=("$d")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: failed: ${failed[*]}"
	exit 1
fi
echo "fuzz: ${#drivers[@]} drivers ok"
