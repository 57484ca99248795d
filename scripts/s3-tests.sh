#!/usr/bin/env bash
# Ceph s3-tests conformance check (see tests/s3-tests/README.md).
#
#   scripts/s3-tests.sh [--expected|--core|--full] [--update-list] [--jobs N] [--out DIR]
#                       [STRATA] [-- PYTEST_ARGS]
#   scripts/s3-tests.sh --available
#
# Starts STRATA (default build/release/strata) on a free loopback port over a
# temporary data directory, with the settings the suite needs (SSE-C over plain
# http, a 5-second lifecycle "day") and two users (root = main, alt), runs the
# shared runner ($S3TESTS_HARNESS, default ../shared/s3-tests from the repo root;
# the suite from its cache or $S3TESTS_DIR) and compares the results with
# tests/s3-tests/expected-pass.txt: exit 1 if a test of that list did not pass
# (a regression), and list the tests that pass but are not on it (update the list
# with --update-list). --expected (default) runs the listed tests only; --core the
# runner's core selection; --full test_s3.py and test_headers.py.
#
# When the runner, the suite or its Python packages are missing it says why and
# exits 0 with a "skipped" line: CI's clean clone has no suite. --available only
# checks that (exit 0: all there).
set -uo pipefail
export LC_ALL=C # one collation for sort and comm, and for the sorted list
top=$(cd "$(dirname "$0")/.." && pwd)
list="$top/tests/s3-tests/expected-pass.txt"
# Tests kept off the list whatever one run says (they pass or fail from run to run).
flaky="$top/tests/s3-tests/flaky.txt"
harness="${S3TESTS_HARNESS:-$top/../shared/s3-tests}"
suite="${S3TESTS_DIR:-${S3TESTS_CACHE:-$HOME/.cache/s3-tests-harness}/s3-tests}"
# One lifecycle "day" in seconds: the runner's --lc-interval and the server's
# lifecycle_day_seconds. The expiration tests sleep a few days: 5 (the runner's default
# is 10) halves their 2.5 minutes; S3TESTS_LC_DAY changes it.
lc_day=${S3TESTS_LC_DAY:-5}

mode=expected
jobs=1
out=""
update=0
only_check=0
bin="$top/build/release/strata"
while [ $# -gt 0 ]; do
	case "$1" in
	--expected | --core | --full) mode=${1#--} ;;
	--jobs) jobs=$2; shift ;;
	--out) out=$2; shift ;;
	--update-list) update=1 ;;
	--available) only_check=1 ;;
	-h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) echo "s3-tests: unknown option $1" >&2; exit 2 ;;
	*) bin=$1 ;;
	esac
	shift
done

# Why the suite cannot run here, or nothing.
why_unavailable() {
	[ -x "$harness/run.sh" ] || { echo "no runner at $harness (set S3TESTS_HARNESS)"; return; }
	[ -f "$suite/s3tests/functional/test_s3.py" ] ||
		{ echo "no suite at $suite (run $harness/setup.sh, or set S3TESTS_DIR)"; return; }
	/usr/bin/python3 -c 'import pytest, boto3' 2>/dev/null ||
		python3 -c 'import pytest, boto3' 2>/dev/null ||
		echo "no python3 with pytest and boto3 (run $harness/setup.sh)"
}
why=$(why_unavailable)
if [ $only_check = 1 ]; then
	[ -z "$why" ] || echo "s3-tests: $why"
	[ -z "$why" ]
	exit
fi
if [ -n "$why" ]; then
	echo "s3-tests: $why"
	echo "s3-tests: skipped"
	exit 0
fi
[ -x "$bin" ] || { echo "s3-tests: no strata binary at $bin" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-s3t.XXXXXX")
pid=""
cleanup() {
	[ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
	rm -rf "$work"
}
trap cleanup EXIT
[ -n "$out" ] || out="$work/results"
mkdir -p "$out"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ak=S3TMAIN$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
sk=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
alt_ak=S3TALT0$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
alt_sk=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
cat >"$work/strata.conf" <<EOF
listen = 127.0.0.1:$port
data = $work/data
# The suite sends SSE-C over plain http (RGW: rgw_crypt_require_ssl = false).
sse_c_over_http = on
# One lifecycle "day" is the runner's --lc-interval (RGW: rgw_lc_debug_interval).
lifecycle_day_seconds = $lc_day
lifecycle_interval = 1
lifecycle_rate = 0
log_level = warn
EOF
mkdir -p "$work/data"
"$bin" user add alt --access-key "$alt_ak" --secret-key "$alt_sk" --data "$work/data" >/dev/null ||
	{ echo "s3-tests: strata user add failed" >&2; exit 2; }
STRATA_ROOT_ACCESS_KEY=$ak STRATA_ROOT_SECRET_KEY=$sk \
	"$bin" serve --config "$work/strata.conf" >"$out/strata.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || { echo "s3-tests: strata did not start:" >&2; cat "$out/strata.log" >&2; exit 2; }
	sleep 0.1
done

args=(--out "$out" --jobs "$jobs" --lc-interval "$lc_day" --user-ids root alt)
sel=()
case $mode in
core) args+=(--core) ;;
expected) mapfile -t sel < <(grep -v '^#' "$list" | grep .) ;;
esac
start=$SECONDS
S3H_EXIT_ZERO=1 "$harness/run.sh" "${args[@]}" "http://127.0.0.1:$port" "$ak" "$sk" "$alt_ak" "$alt_sk" \
	-- "${sel[@]}" "$@" >"$out/run.out" 2>&1
rc=$?
tail -n 1 "$out/run.out"
if [ $rc -ne 0 ] || [ ! -f "$out/results.tsv" ]; then
	echo "s3-tests: runner failed (exit $rc); see $out/run.out" >&2
	tail -n 20 "$out/run.out" >&2
	exit 2
fi
where=""
[ "$out" = "$work/results" ] || where="; results in $out"
echo "s3-tests: $mode run took $((SECONDS - start)) s$where"

# Compare: every listed test must pass; passing tests off the list are news.
grep -v '^#' "$flaky" 2>/dev/null | awk '{print $1}' | grep . | sort >"$work/flaky"
cut -f1,2 "$out/results.tsv" | awk -F'\t' '$2 == "passed" {print $1}' | sort |
	comm -23 - "$work/flaky" >"$work/passed"
grep -v '^#' "$list" | grep . | sort >"$work/expected"
cut -f1 "$out/results.tsv" | sort >"$work/ran"
comm -23 <(comm -12 "$work/expected" "$work/ran") "$work/passed" >"$work/regressed"
# A listed test the run did not select (--core, or PYTEST_ARGS such as -k) is not a
# regression; one the plain list run lost is (e.g. renamed in another suite commit).
[ "$mode" != expected ] || [ $# -gt 0 ] || comm -23 "$work/expected" "$work/ran" >>"$work/regressed"
comm -13 "$work/expected" "$work/passed" >"$work/new"
if [ $update = 1 ]; then
	{
		grep '^#' "$list"
		# A full run decides alone; a partial one keeps the listed tests it did not run.
		if [ "$mode" = full ]; then cat "$work/passed"; else
			comm -23 "$work/expected" "$work/ran" | cat - "$work/passed" | sort -u
		fi
	} >"$list.new" && mv "$list.new" "$list"
	echo "s3-tests: $list updated ($(grep -vc '^#' "$list") tests)"
fi
if [ -s "$work/new" ] && [ $update = 0 ]; then
	echo "s3-tests: $(wc -l <"$work/new") passing test(s) not in tests/s3-tests/expected-pass.txt (--update-list adds them):"
	head -n 40 "$work/new" | sed 's/^/  /'
	[ "$(wc -l <"$work/new")" -le 40 ] || echo "  ..."
fi
if [ -s "$work/regressed" ]; then
	echo "s3-tests: $(wc -l <"$work/regressed") expected test(s) did not pass:"
	while read -r t; do
		line=$(grep -F "$t	" "$out/results.tsv" | cut -f1,2,5 | head -n 1)
		printf '  %s\n' "${line:-$t (not run)}"
	done <"$work/regressed"
	[ "$out" != "$work/results" ] || echo "s3-tests: (use --out DIR to keep the logs)"
	exit 1
fi
echo "s3-tests: all $(comm -12 "$work/expected" "$work/ran" | wc -l) expected tests passed"
