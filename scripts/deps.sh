#!/usr/bin/env bash
# Installs the Debian 12 packages Strata needs, only when something is missing.
#   scripts/deps.sh build   - to build and run the server
#   scripts/deps.sh test    - also what the test suite drives (aws-cli, boto3)
set -euo pipefail

want=(build-essential autoconf automake libtool pkg-config
	libmicrohttpd-dev libgnutls28-dev libssl-dev libsqlite3-dev libxml2-dev libb2-dev libcurl4-openssl-dev)
if [ "${1:-build}" = test ]; then
	# awscli is Debian's aws-cli v2; python3-boto3 only when no boto3 is importable.
	want+=(libcmocka-dev awscli python3 curl clang-format restic rclone python3-prometheus-client)
	# groff renders the man pages without warnings; logrotate reads dist/strata.logrotate
	# (tests/integration/test_install.py).
	want+=(groff-base logrotate)
	# The fuzzers (scripts/fuzz.sh): libFuzzer's runtime is only a Recommends of clang.
	want+=(clang libclang-rt-dev)
	# The web console's browser test (tests/integration/test_console.py): Debian's Chromium,
	# driven by playwright-core, which the test installs with npm outside the repository.
	# npm only where none runs: NodeSource's nodejs bundles its own and conflicts with Debian's.
	want+=(chromium nodejs)
	command -v npm >/dev/null || want+=(npm)
	# scan-build, the static analysis step (scripts/static-analysis.sh).
	want+=(clang-tools)
	# The benchmark suite's smoke step (scripts/bench/run.sh): wrk drives, nginx is the peer.
	want+=(wrk nginx-light)
	python3 -c 'import boto3' 2>/dev/null || want+=(python3-boto3)
	# A single-node Ceph RGW for the remote S3 backend tests (tests/remote/rgw.sh).
	want+=(radosgw ceph-mon ceph-osd ceph-mgr ceph-common openssl)
fi

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
