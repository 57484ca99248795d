#!/usr/bin/env bash
# Benchmark (not a timed test; issue 4): the cost of Strata's integrity
# protection on PUT and GET throughput for 4 KiB and 64 MiB objects, as a ratio
# to the same binary with `integrity = off` (benchmark-only: single-PUT objects
# stored unframed, no BLAKE2b frame tags, no SHA-256, reads not verified).
#
#   scripts/bench/integrity.sh          builds build/release, prints a markdown table
#   STRATA=path/to/strata               use this binary instead of building
#   BENCH_SECONDS=10 BENCH_RUNS=5 BENCH_WARMUP=2   see lib.sh
#
# Two servers run from the same binary, each with its own temp data dir,
# `scrub_interval = 0` and `default_encryption = none` (encryption has its own
# benchmark). Each must give back the exact bytes before timing. The client and
# the servers share the machine's cores: the figures compare on with off.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

bench_init
bench_build
common=("scrub_interval = 0" "log_level = warn" "default_encryption = none")
bench_server_start on "integrity = on" "${common[@]}"
bench_server_start off "integrity = off" "${common[@]}"
bench_ab_prepare on
bench_ab_prepare off
bench_ab_rounds on off

printf 'Integrity cost: %s\n\n' "$(bench_header)"
bench_ab_table on off "integrity on" "integrity off" "on/off"
