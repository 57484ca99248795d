#!/usr/bin/env bash
# Static analysis: clang's analyzer (scan-build) over the server's sources,
# compared with tests/static/scan-build-baseline.txt, the findings already
# known (each still to be fixed or shown false). Fails on any finding that is
# not in the baseline; says which known ones went away. Findings are keyed by
# file, checker and message, not line, so unrelated edits do not move them.
#   scripts/static-analysis.sh                    check (CI)
#   scripts/static-analysis.sh --update-baseline  rewrite the baseline
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
baseline=tests/static/scan-build-baseline.txt
dir=${SCAN_BUILD_DIR:-build/scan}
command -v scan-build >/dev/null || { echo "static analysis: scan-build is missing (clang-tools)"; exit 1; }

rm -rf "$dir" && mkdir -p "$dir"
report=$dir/report
(cd "$dir" && scan-build -o "$top/$report" "$top/configure" CC=clang >configure.out 2>&1) ||
	{ tail -n 20 "$dir/configure.out"; exit 1; }
(cd "$dir" && scan-build -o "$top/$report" make -j"$(nproc)" strata >make.out 2>&1) ||
	{ tail -n 30 "$dir/make.out"; exit 1; }

# "file:line:col: warning: message [checker]" -> "file [checker] message", sorted.
grep -E '^[^ ]+:[0-9]+:[0-9]+: warning: .* \[[a-zA-Z.]+\]$' "$dir/make.out" |
	sed -E "s#^$top/##" | sed -E 's#^(\.\./)*##; s#^([^:]+):[0-9]+:[0-9]+: warning: (.*) \[([a-zA-Z.]+)\]$#\1 [\3] \2#' |
	sort >"$dir/findings.txt"

if [ "${1:-}" = --update-baseline ]; then
	{
		echo "# scan-build findings known and still to fix or show false (scripts/static-analysis.sh)"
		cat "$dir/findings.txt"
	} >"$baseline"
	echo "static analysis: baseline rewritten ($(wc -l <"$dir/findings.txt") findings)"
	exit 0
fi

grep -v '^#' "$baseline" | sort >"$dir/baseline.txt"
new=$(comm -23 "$dir/findings.txt" "$dir/baseline.txt")
gone=$(comm -13 "$dir/findings.txt" "$dir/baseline.txt")
[ -z "$gone" ] || printf 'static analysis: fixed since the baseline (shrink it with --update-baseline):\n%s\n' "$gone"
if [ -n "$new" ]; then
	printf 'static analysis: NEW findings (see %s/make.out for lines):\n%s\n' "$dir" "$new"
	grep -E 'warning: .*\[[a-zA-Z.]+\]$' "$dir/make.out" | sed -E "s#^$top/##" | grep -F -f <(echo "$new" | sed -E 's#^([^ ]+) .*#\1#' | sort -u) || true
	exit 1
fi
echo "static analysis: no new finding ($(wc -l <"$dir/findings.txt") known in the baseline)"
