#!/usr/bin/env bash
# The README's first command: install what is missing, build, and serve S3 on
# 127.0.0.1:9000 over ./data (override with STRATA_LISTEN / STRATA_DATA, or pass
# any `strata serve` flags).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" build
"$top/scripts/build.sh" "$top/build/release"
cd "$top"
exec "$top/build/release/strata" serve --listen "${STRATA_LISTEN:-127.0.0.1:9000}" \
	--data "${STRATA_DATA:-./data}" "$@"
