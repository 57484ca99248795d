#!/usr/bin/env bash
# Benchmark (not a timed test; issue 5): the cost of server-side encryption
# (SSE-S3: AES-256-GCM frames) on PUT and GET throughput for 64 MiB and 4 KiB
# objects, as a ratio to the same binary with `default_encryption = none`.
# Target: encryption costs under 25% of single-stream 64 MiB throughput
# (cost = 1 - SSE/none).
#
#   scripts/bench/encryption.sh         builds build/release, prints a markdown table
#   STRATA=path/to/strata               use this binary instead of building
#   BENCH_SECONDS=10 BENCH_RUNS=5 BENCH_WARMUP=2   see lib.sh
#
# Two servers run from the same binary, each with its own temp data dir, the
# default `integrity = on` and `scrub_interval = 0`; one has
# `default_encryption = AES256` (every object SSE-S3), the other `none`. Before
# timing, each must give back the exact bytes, and a HEAD must show
# `x-amz-server-side-encryption: AES256` on the SSE server only. The client and
# the servers share the machine's cores: the figures compare SSE with none.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

target=25 # percent of 64 MiB single-stream throughput encryption may cost

# check_sse SERVER: a HEAD of the big object shows SSE-S3 on sse and no SSE on none.
check_sse() {
	local s=$1 hdrs
	hdrs=$(curl -sS -f -I "$(bench_presign "$s" HEAD "$BENCH_BUCKET/big")" | tr -d '\r') ||
		bench_die "HEAD on $s failed"
	if [ "$s" = sse ]; then
		grep -qix 'x-amz-server-side-encryption: *AES256' <<<"$hdrs" ||
			bench_die "the object on $s is not SSE-S3 encrypted; HEAD: $hdrs"
	elif grep -qi '^x-amz-server-side-encryption:' <<<"$hdrs"; then
		bench_die "the object on $s is encrypted; HEAD: $hdrs"
	fi
}

# cost MEASURE: "N%" where N = 100 * (1 - SSE/none); negative when SSE is faster.
cost() {
	awk -v a="$(bench_ab_median "$1" sse)" -v b="$(bench_ab_median "$1" none)" -v t="$target" \
		'BEGIN { if (b == 0) { print "n/a"; exit } c = 100 * (1 - a / b)
			printf "%.0f%%, %s\n", c, c < t ? "met" : "missed" }'
}

bench_init
bench_build
common=("scrub_interval = 0" "log_level = warn") # integrity stays on: this isolates encryption
bench_server_start sse "default_encryption = AES256" "${common[@]}"
bench_server_start none "default_encryption = none" "${common[@]}"
bench_ab_prepare sse check_sse
bench_ab_prepare none check_sse
bench_ab_rounds sse none

printf 'Encryption cost: %s\n\n' "$(bench_header)"
bench_ab_table sse none "SSE-S3" "no encryption" "SSE/none"
printf '\nTarget: encryption costs under %s%% of 64 MiB single-stream throughput.\n' "$target"
printf '64 MiB PUT cost %s; 64 MiB GET cost %s.\n' "$(cost big_put)" "$(cost big_get)"
