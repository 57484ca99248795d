#!/usr/bin/env bash
# Benchmark (not a timed test; issue 7): what Strata in front of Ceph RGW
# (`backend = s3`) costs against RGW alone, in one run on this machine:
# 4 KiB PUT/GET requests per second and p99 latency (wrk, presigned URLs),
# 64 MiB PUT/GET single-stream MB/s (curl).
#
#   scripts/bench/remote.sh         builds build/release, starts a single-node
#                                   RGW (tests/remote/rgw.sh), prints a markdown table
#   STRATA=path/to/strata           use this binary instead of building
#   BENCH_SECONDS=10 BENCH_RUNS=5 BENCH_WARMUP=2   see lib.sh
#
# Both are driven the same way; Strata adds per request its SigV4 check, the
# bucket registry lookup and the remote HEAD/GET or PUT, and per byte its
# MD5 + SHA-256 + BLAKE2b frames (with `default_encryption = none`, so that
# the figures show the gateway, not AES-GCM; scripts/bench/encryption.sh
# measures that). RGW runs with one OSD on a sparse file in /tmp, so both
# share the same disk and the machine's cores with the client.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

bench_init
bench_build
bench_mktemp rgw_dir
# shellcheck disable=SC2154 # set by bench_mktemp through a nameref
rgw_state=$rgw_dir/cluster
rgw_port=$(bench_free_port)
bench_log "starting Ceph RGW in $rgw_state (tests/remote/rgw.sh)"
rgw_out=$(bash "$BENCH_TOP/tests/remote/rgw.sh" start "$rgw_state" "$rgw_port") ||
	bench_die "Ceph RGW did not start (see above); this benchmark needs it"
bench_at_exit "bash '$BENCH_TOP/tests/remote/rgw.sh' stop '$rgw_state' >&2"
rgw_ak=$(sed -n 's/^access_key=//p' <<<"$rgw_out")
rgw_sk=$(sed -n 's/^secret_key=//p' <<<"$rgw_out")
bench_external rgw "http://127.0.0.1:$rgw_port" "$rgw_ak" "$rgw_sk"

bench_server_start strata "backend = s3" "s3_endpoint = http://127.0.0.1:$rgw_port" \
	"s3_access_key = $rgw_ak" "s3_secret_key = $rgw_sk" "s3_bucket_prefix = strata-" \
	"default_encryption = none" "scrub_interval = 0" "lifecycle_interval = 0" "log_level = warn"
bench_ab_prepare strata
bench_ab_prepare rgw
bench_ab_rounds strata rgw

printf 'Strata over Ceph RGW against RGW alone: %s\n\n' "$(bench_header)"
bench_ab_table strata rgw "Strata over RGW" "RGW alone" "Strata/RGW"
