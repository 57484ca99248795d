#!/usr/bin/env bash
# Benchmark (not a timed test; issue 11): two Strata binaries side by side with the same
# workload, to measure what one change does: 4 KiB PUT/GET requests/s and p99 (wrk,
# presigned URLs), 64 MiB PUT/GET single-stream MB/s (curl). Rounds alternate which goes
# first, so load from elsewhere on the machine falls on both.
#
#   scripts/bench/compare.sh OLD_STRATA NEW_STRATA   prints a markdown table, NEW/OLD last
#   BENCH_SECONDS=10 BENCH_RUNS=5 BENCH_WARMUP=2      see lib.sh
#   BENCH_CONNS (16)                                  wrk connections
#
# Both run with their defaults (SSE-S3, integrity) and background workers off.
set -euo pipefail
conns=${BENCH_CONNS:-16} # lib.sh sets its own default
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || bench_die "usage: scripts/bench/compare.sh OLD_STRATA NEW_STRATA"
BENCH_CONNS=$conns
bench_init
common=("scrub_interval = 0" "lifecycle_interval = 0" "log_level = warn")
STRATA=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
bench_server_start old "${common[@]}"
STRATA=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
bench_server_start new "${common[@]}"
bench_ab_prepare old
bench_ab_prepare new
bench_ab_rounds new old

printf 'Two builds compared: %s\n\n' "$(bench_header)"
bench_ab_table new old "new ($2)" "old ($1)" "new/old"
