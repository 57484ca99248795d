# shellcheck shell=bash
# Shared helpers for the benchmarks in scripts/bench/. Source it, then:
#
#   bench_init                     work dir, EXIT trap, wrk/curl installed if missing
#   bench_mktemp VAR               a temp dir /tmp/strata-bench-* (removed on exit) into VAR
#   bench_build                    sets STRATA (builds build/release unless STRATA is set)
#   bench_server_start NAME [LINE...]
#                                  starts `strata serve` on a free 127.0.0.1 port with a
#                                  temp data dir and the given config lines; waits until
#                                  it answers. Then BENCH_URL[NAME], BENCH_CONF[NAME],
#                                  BENCH_PID[NAME], BENCH_DIR[NAME] describe it.
#   bench_external NAME URL AK SK  registers another S3 server (Ceph RGW, say) under
#                                  NAME, to be measured like a Strata server; its URLs are
#                                  presigned with boto3
#   bench_server_alive NAME        fails (with the server's log) if it has exited
#   bench_create_bucket NAME BUCKET
#   bench_presign NAME METHOD BUCKET/KEY
#   bench_wrk NAME METHOD PATHS_FILE BODY_FILE SECONDS CONNS THREADS
#                                  prints "RPS P50_MS P99_MS"; fails on any non-2xx
#   bench_curl_put URL FILE / bench_curl_get URL SIZE
#                                  prints MB/s (10^6 bytes/s); fails unless 200
#   bench_median V...              median of numbers
#   bench_ratio A B, bench_fmt V   formatting
#   bench_header                   a markdown line: date, nproc, CPU, commit, filesystem
#
# Servers get the root keys BENCH_ACCESS_KEY / BENCH_SECRET_KEY through
# STRATA_ROOT_ACCESS_KEY / STRATA_ROOT_SECRET_KEY. Only the PIDs started here are
# stopped on exit, and only the temp dirs made here (/tmp/strata-bench-*) removed.

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_ACCESS_KEY=${BENCH_ACCESS_KEY:-strata-bench}
BENCH_SECRET_KEY=${BENCH_SECRET_KEY:-strata-bench-secret}
BENCH_REGION=us-east-1
BENCH_WORK=
declare -A BENCH_URL=() BENCH_CONF=() BENCH_PID=() BENCH_DIR=() BENCH_EXT_AK=() BENCH_EXT_SK=()
BENCH_TMPDIRS=()
BENCH_AT_EXIT=() # commands bench_cleanup runs first (bench_at_exit)

bench_log() { printf '%s\n' "$*" >&2; }
bench_die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

# Installs wrk and curl with apt-get, only if missing.
bench_need_tools() {
	local t missing=()
	for t in wrk curl; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	bench_log "installing ${missing[*]}"
	if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}"; } >&2; then
		bench_die "cannot install ${missing[*]}"
	fi
}

# bench_mktemp VAR: a temp dir under /tmp, removed by bench_cleanup, into VAR.
bench_mktemp() {
	local -n bench_mktemp_out=$1
	bench_mktemp_out=$(mktemp -d /tmp/strata-bench-XXXXXX)
	BENCH_TMPDIRS+=("$bench_mktemp_out")
}

bench_init() {
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	bench_need_tools
	bench_mktemp BENCH_WORK
	bench_write_lua >"$BENCH_WORK/wrk.lua"
}

# bench_at_exit CMD: runs CMD (a shell command line) when the script exits, before the
# servers are stopped and the temp dirs removed.
bench_at_exit() { BENCH_AT_EXIT+=("$1"); }

# Stops the servers this script started (TERM, then KILL after 10 s) and
# removes its temp dirs.
bench_cleanup() {
	local rc=$? name pid i cmd
	for cmd in "${BENCH_AT_EXIT[@]}"; do
		eval "$cmd" || true
	done
	for name in "${!BENCH_PID[@]}"; do
		pid=${BENCH_PID[$name]}
		kill -TERM "$pid" 2>/dev/null || continue
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for i in "${BENCH_TMPDIRS[@]}"; do
		case $i in /tmp/strata-bench-*) rm -rf -- "$i" ;; esac
	done
	return "$rc"
}

# Sets STRATA: the given path, or build/release/strata built now.
bench_build() {
	if [ -n "${STRATA:-}" ]; then
		[ -x "$STRATA" ] || bench_die "STRATA=$STRATA is not executable"
	else
		bench_log "building $BENCH_TOP/build/release"
		bash "$BENCH_TOP/scripts/build.sh" "$BENCH_TOP/build/release" >&2 ||
			bench_die "build failed"
		STRATA=$BENCH_TOP/build/release/strata
	fi
	STRATA=$(cd "$(dirname "$STRATA")" && pwd)/$(basename "$STRATA")
}

# A TCP port on 127.0.0.1 nobody is listening on.
bench_free_port() {
	local port i
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	bench_die "no free port found"
}

# bench_server_start NAME [CONFIG_LINE...]
bench_server_start() {
	local name=$1 dir port i code
	shift
	[ -n "$BENCH_WORK" ] || bench_die "call bench_init first"
	[ -z "${BENCH_PID[$name]:-}" ] || bench_die "server $name already started"
	bench_mktemp dir
	port=$(bench_free_port)
	{
		printf 'listen = 127.0.0.1:%s\n' "$port"
		printf 'data = %s/data\n' "$dir"
		printf '%s\n' "$@"
	} >"$dir/strata.conf"
	STRATA_ROOT_ACCESS_KEY=$BENCH_ACCESS_KEY STRATA_ROOT_SECRET_KEY=$BENCH_SECRET_KEY \
		"$STRATA" serve --config "$dir/strata.conf" >"$dir/server.log" 2>&1 &
	BENCH_PID[$name]=$!
	BENCH_DIR[$name]=$dir
	BENCH_CONF[$name]=$dir/strata.conf
	BENCH_URL[$name]=http://127.0.0.1:$port
	for ((i = 0; i < 200; i++)); do
		bench_server_alive "$name"
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${BENCH_URL[$name]}/" || true)
		if [ "$code" != 000 ]; then
			bench_log "server $name: pid ${BENCH_PID[$name]}, ${BENCH_URL[$name]}, data $dir/data"
			return 0
		fi
		sleep 0.05
	done
	bench_die "server $name did not answer within 10 s; log: $(cat "$dir/server.log")"
}

# bench_external NAME URL ACCESS_KEY SECRET_KEY: an S3 server this script did not start.
bench_external() {
	BENCH_URL[$1]=$2
	BENCH_EXT_AK[$1]=$3
	BENCH_EXT_SK[$1]=$4
}

bench_server_alive() {
	local name=$1 code
	if [ -n "${BENCH_EXT_AK[$name]:-}" ]; then
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${BENCH_URL[$name]}/" || true)
		[ "$code" != 000 ] && return 0
		bench_die "server $name (${BENCH_URL[$name]}) does not answer"
	fi
	kill -0 "${BENCH_PID[$name]}" 2>/dev/null && return 0
	bench_die "server $name (pid ${BENCH_PID[$name]}) exited; log:
$(tail -n 20 "${BENCH_DIR[$name]}/server.log")"
}

# bench_create_bucket NAME BUCKET: a header-signed SigV4 CreateBucket with curl.
bench_create_bucket() {
	local name=$1 bucket=$2 code
	code=$(curl -sS -o "$BENCH_WORK/create.out" -w '%{http_code}' -X PUT \
		-H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
		--aws-sigv4 "aws:amz:$BENCH_REGION:s3" \
		--user "${BENCH_EXT_AK[$name]:-$BENCH_ACCESS_KEY}:${BENCH_EXT_SK[$name]:-$BENCH_SECRET_KEY}" \
		"${BENCH_URL[$name]}/$bucket") || code=000
	[ "$code" = 200 ] || bench_die "CreateBucket $bucket on $name: HTTP $code $(cat "$BENCH_WORK/create.out")"
}

# bench_presign NAME METHOD BUCKET/KEY: prints a presigned URL valid for a day
# (query-signed, UNSIGNED-PAYLOAD, only the host header signed).
bench_presign() {
	if [ -n "${BENCH_EXT_AK[$1]:-}" ]; then
		BENCH_P_URL=${BENCH_URL[$1]} BENCH_P_AK=${BENCH_EXT_AK[$1]} \
			BENCH_P_SK=${BENCH_EXT_SK[$1]} BENCH_P_METHOD=$2 BENCH_P_PATH=$3 \
			python3 "$BENCH_TOP/scripts/bench/presign.py"
		return
	fi
	"$STRATA" presign --config "${BENCH_CONF[$1]}" --method "$2" --expires 86400 "s3://$3"
}

# The wrk script. Env: BENCH_METHOD, BENCH_PATHS (file of presigned paths with
# their query, one a line; each thread cycles through them), BENCH_BODY (file
# sent as the body, or empty). Counts non-2xx replies in every thread; done()
# prints one "bench-wrk" line that bench_wrk parses.
bench_write_lua() {
	cat <<'EOF'
local threads = {}
function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end
local reqs, n, i = {}, 0, 0
bad, first_bad = 0, 0
function init(args)
   local method = os.getenv("BENCH_METHOD")
   local body = nil
   local bf = os.getenv("BENCH_BODY") or ""
   if bf ~= "" then
      local f = assert(io.open(bf, "rb"))
      body = f:read("*a")
      f:close()
   end
   for line in io.lines(os.getenv("BENCH_PATHS")) do
      if line ~= "" then
         n = n + 1
         reqs[n] = wrk.format(method, line, nil, body)
      end
   end
   assert(n > 0, "no paths")
   i = (id or 0) % n
end
function request()
   i = i % n + 1
   return reqs[i]
end
function response(status, headers, body)
   if status < 200 or status > 299 then
      bad = bad + 1
      if first_bad == 0 then first_bad = status end
   end
end
function done(summary, latency, requests)
   local nbad, fbad = 0, 0
   for _, t in ipairs(threads) do
      nbad = nbad + t:get("bad")
      if fbad == 0 then fbad = t:get("first_bad") end
   end
   local e = summary.errors
   io.write(string.format("bench-wrk %d %d %.1f %.1f %d %d %d\n",
      summary.requests, summary.duration, latency:percentile(50),
      latency:percentile(99), nbad, fbad,
      e.connect + e.read + e.write + e.timeout))
end
EOF
}

# bench_wrk NAME METHOD PATHS_FILE BODY_FILE SECONDS CONNS THREADS
# Prints "RPS P50_MS P99_MS". Fails if any reply is not 2xx or any socket error.
bench_wrk() {
	local name=$1 method=$2 paths=$3 body=$4 secs=$5 conns=$6 threads=$7 out line
	local reqs dur p50 p99 nbad fbad errs
	bench_server_alive "$name"
	out=$(BENCH_METHOD=$method BENCH_PATHS=$paths BENCH_BODY=$body \
		wrk -t "$threads" -c "$conns" -d "${secs}s" --timeout 10s \
		-s "$BENCH_WORK/wrk.lua" "${BENCH_URL[$name]}/") ||
		bench_die "wrk failed on $name: $out"
	line=$(grep '^bench-wrk ' <<<"$out") || bench_die "no result from wrk on $name: $out"
	read -r _ reqs dur p50 p99 nbad fbad errs <<<"$line"
	[ "$nbad" -eq 0 ] || bench_die "$method on $name: $nbad of $reqs replies not 2xx (first: HTTP $fbad)"
	[ "$errs" -eq 0 ] || bench_die "$method on $name: $errs socket errors"
	[ "$reqs" -gt 0 ] || bench_die "$method on $name: no requests completed"
	bench_server_alive "$name"
	awk -v r="$reqs" -v d="$dur" -v a="$p50" -v b="$p99" \
		'BEGIN { printf "%.1f %.3f %.3f\n", r / (d / 1e6), a / 1000, b / 1000 }'
}

# bench_curl_put URL FILE: one PUT of FILE; prints MB/s.
bench_curl_put() {
	local url=$1 file=$2 size out code t up
	size=$(stat -c %s "$file")
	out=$(curl -sS -o "$BENCH_WORK/curl.out" -H 'Expect:' -T "$file" \
		-w '%{http_code} %{time_total} %{size_upload}' "$url") || bench_die "curl PUT failed"
	read -r code t up <<<"$out"
	[ "$code" = 200 ] || bench_die "PUT: HTTP $code $(cat "$BENCH_WORK/curl.out")"
	[ "$up" = "$size" ] || bench_die "PUT: sent $up of $size bytes"
	awk -v s="$size" -v t="$t" 'BEGIN { printf "%.1f\n", s / t / 1e6 }'
}

# bench_curl_get URL SIZE: one GET to /dev/null; prints MB/s.
bench_curl_get() {
	local url=$1 size=$2 out code t down
	out=$(curl -sS -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "$url") ||
		bench_die "curl GET failed"
	read -r code t down <<<"$out"
	[ "$code" = 200 ] || bench_die "GET: HTTP $code"
	[ "$down" = "$size" ] || bench_die "GET: got $down of $size bytes"
	awk -v s="$size" -v t="$t" 'BEGIN { printf "%.1f\n", s / t / 1e6 }'
}

bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_ratio A B: A/B with two decimals.
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f\n", a / b }'; }

# bench_fmt V: three significant digits; 100 and up as whole numbers.
bench_fmt() { awk -v v="$1" 'BEGIN { if (v >= 100) printf "%.0f\n", v; else printf "%.3g\n", v }'; }

# One markdown line describing the run.
bench_header() {
	local cpu commit fs
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
	commit=$(git -C "$BENCH_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [ "$commit" != unknown ] && ! git -C "$BENCH_TOP" diff --quiet HEAD -- 2>/dev/null; then
		commit="$commit (with uncommitted changes)"
	fi
	fs=$(df -PT /tmp 2>/dev/null | awk 'NR == 2 { print $2 }')
	printf '%s; %s cores (%s); commit %s; data on %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" \
		"$(nproc)" "${cpu:-unknown CPU}" "$commit" "${fs:-unknown fs}"
}

# --- A/B comparisons: two servers of one binary, the same workload, alternating rounds ---
#
# Settings (defaults below): BENCH_SECONDS per wrk run, BENCH_RUNS rounds,
# BENCH_WARMUP seconds of discarded load; 16 connections and 2 wrk threads,
# 64 keys of 4 KiB that wrk cycles through, one 64 MiB object.
# Results: BENCH_RESULTS[MEASURE:SERVER] = the values of every round, for
# MEASURE in put_rps put_p99 get_rps get_p99 big_put big_get.
declare -A BENCH_RESULTS=() BENCH_BIG_PUT=() BENCH_BIG_GET=()
BENCH_SECS=${BENCH_SECONDS:-10}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_CONNS=16
BENCH_THREADS=2 # client and server share the cores: keep wrk to 2 threads
BENCH_NKEYS=64
BENCH_BIG_SIZE=$((64 * 1024 * 1024))
BENCH_BUCKET=bench

# bench_ab_prepare SERVER [CHECK_FN]: bucket, small keys and presigned paths,
# the 64 MiB object; checks both objects come back byte for byte, then runs
# CHECK_FN SERVER (e.g. headers the comparison depends on) and a warm-up.
bench_ab_prepare() {
	local s=$1 check=${2:-} k url
	BENCH_SMALL=$BENCH_WORK/small.bin
	BENCH_BIG=$BENCH_WORK/big.bin
	[ -f "$BENCH_SMALL" ] || head -c 4096 /dev/urandom >"$BENCH_SMALL"
	[ -f "$BENCH_BIG" ] || head -c "$BENCH_BIG_SIZE" /dev/urandom >"$BENCH_BIG"
	bench_create_bucket "$s" "$BENCH_BUCKET"
	: >"$BENCH_WORK/put-$s.paths"
	: >"$BENCH_WORK/get-$s.paths"
	for ((k = 0; k < BENCH_NKEYS; k++)); do
		url=$(bench_presign "$s" PUT "$BENCH_BUCKET/small-$k")
		bench_curl_put "$url" "$BENCH_SMALL" >/dev/null # the GET runs find every key
		printf '%s\n' "${url#"${BENCH_URL[$s]}"}" >>"$BENCH_WORK/put-$s.paths"
		url=$(bench_presign "$s" GET "$BENCH_BUCKET/small-$k")
		printf '%s\n' "${url#"${BENCH_URL[$s]}"}" >>"$BENCH_WORK/get-$s.paths"
	done
	BENCH_BIG_PUT[$s]=$(bench_presign "$s" PUT "$BENCH_BUCKET/big")
	BENCH_BIG_GET[$s]=$(bench_presign "$s" GET "$BENCH_BUCKET/big")
	# Correctness first: a fast server that returns other bytes measures nothing.
	bench_curl_put "${BENCH_BIG_PUT[$s]}" "$BENCH_BIG" >/dev/null
	bench_same_bytes "${BENCH_BIG_GET[$s]}" "$BENCH_BIG" "$s"
	bench_same_bytes "$(bench_presign "$s" GET "$BENCH_BUCKET/small-0")" "$BENCH_SMALL" "$s"
	[ -z "$check" ] || "$check" "$s"
	if [ "$BENCH_WARMUP" -gt 0 ]; then
		bench_wrk "$s" PUT "$BENCH_WORK/put-$s.paths" "$BENCH_SMALL" "$BENCH_WARMUP" \
			"$BENCH_CONNS" "$BENCH_THREADS" >/dev/null
		bench_wrk "$s" GET "$BENCH_WORK/get-$s.paths" "" "$BENCH_WARMUP" "$BENCH_CONNS" \
			"$BENCH_THREADS" >/dev/null
	fi
}

# bench_same_bytes URL FILE SERVER: GET URL must return FILE's bytes.
bench_same_bytes() {
	curl -sS -f -o "$BENCH_WORK/check.bin" "$1" || bench_die "GET $1 on $3 failed"
	cmp -s "$2" "$BENCH_WORK/check.bin" || bench_die "server $3 returned other bytes"
	rm -f "$BENCH_WORK/check.bin"
}

bench_ab_add() { BENCH_RESULTS[$1:$2]="${BENCH_RESULTS[$1:$2]:-} $3"; }

# bench_cpu_ticks NAME: "USER SYS", the CPU clock ticks server NAME has used so far
# (fields 14 and 15 of /proc/PID/stat, counted after the command name's ")").
bench_cpu_ticks() { sed 's/.*) //' "/proc/${BENCH_PID[$1]}/stat" | awk '{ print $12, $13 }'; }

# bench_ab_wrk_cpu MEASURE SERVER METHOD PATHS BODY: one wrk run of the rounds; records
# requests/s, p99 and the server's user and system CPU per request in microseconds. CPU
# per request moves less than requests/s when other work shares the machine, so it
# shows a change of the server's own code (user) apart from the kernel's share (system).
bench_ab_wrk_cpu() {
	local m=$1 s=$2 out rps p99 u0 s0 u1 s1 hz
	hz=$(getconf CLK_TCK)
	read -r u0 s0 <<<"$(bench_cpu_ticks "$s")"
	out=$(bench_wrk "$s" "$3" "$4" "$5" "$BENCH_SECS" "$BENCH_CONNS" "$BENCH_THREADS")
	read -r u1 s1 <<<"$(bench_cpu_ticks "$s")"
	read -r rps _ p99 <<<"$out"
	bench_ab_add "${m}_rps" "$s" "$rps"
	bench_ab_add "${m}_p99" "$s" "$p99"
	bench_ab_add "${m}_user" "$s" \
		"$(awk -v t=$((u1 - u0)) -v hz="$hz" -v r="$rps" -v d="$BENCH_SECS" \
			'BEGIN { printf "%.2f\n", t / hz * 1e6 / (r * d) }')"
	bench_ab_add "${m}_sys" "$s" \
		"$(awk -v t=$((s1 - s0)) -v hz="$hz" -v r="$rps" -v d="$BENCH_SECS" \
			'BEGIN { printf "%.2f\n", t / hz * 1e6 / (r * d) }')"
}

# bench_ab_rounds A B: BENCH_RUNS rounds, A first in odd rounds and B first in
# even ones (cancels drift), each measuring 4 KiB PUT/GET (wrk) and 64 MiB PUT/GET (curl).
bench_ab_rounds() {
	local a=$1 b=$2 r s order
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		if ((r % 2)); then order=("$a" "$b"); else order=("$b" "$a"); fi
		for s in "${order[@]}"; do
			bench_ab_wrk_cpu put "$s" PUT "$BENCH_WORK/put-$s.paths" "$BENCH_SMALL"
			bench_ab_wrk_cpu get "$s" GET "$BENCH_WORK/get-$s.paths" ""
			bench_ab_add big_put "$s" "$(bench_curl_put "${BENCH_BIG_PUT[$s]}" "$BENCH_BIG")"
			bench_ab_add big_get "$s" "$(bench_curl_get "${BENCH_BIG_GET[$s]}" "$BENCH_BIG_SIZE")"
			bench_log "round $r/$BENCH_RUNS, $s: 4K PUT ${BENCH_RESULTS[put_rps:$s]##* }/s," \
				"4K GET ${BENCH_RESULTS[get_rps:$s]##* }/s," \
				"64M PUT ${BENCH_RESULTS[big_put:$s]##* } MB/s," \
				"64M GET ${BENCH_RESULTS[big_get:$s]##* } MB/s"
		done
	done
	bench_server_alive "$a"
	bench_server_alive "$b"
}

# bench_ab_median MEASURE SERVER
bench_ab_median() {
	# shellcheck disable=SC2086 # the list is meant to split
	bench_median ${BENCH_RESULTS[$1:$2]}
}

# bench_ab_table A B "A title" "B title" "A/B title": the markdown table of every measure.
bench_ab_table() {
	local a=$1 b=$2 row label key va vb
	printf '| measure | %s | %s | %s |\n|---|---:|---:|---:|\n' "$3" "$4" "$5"
	for row in "4 KiB PUT, requests/s:put_rps" "4 KiB PUT, p99 latency (ms):put_p99" \
		"4 KiB PUT, server user CPU per request (us):put_user" \
		"4 KiB PUT, server system CPU per request (us):put_sys" \
		"4 KiB GET, requests/s:get_rps" "4 KiB GET, p99 latency (ms):get_p99" \
		"4 KiB GET, server user CPU per request (us):get_user" \
		"4 KiB GET, server system CPU per request (us):get_sys" \
		"64 MiB PUT, MB/s (1 stream):big_put" "64 MiB GET, MB/s (1 stream):big_get"; do
		label=${row%:*}
		key=${row##*:}
		va=$(bench_ab_median "$key" "$a")
		vb=$(bench_ab_median "$key" "$b")
		printf '| %s | %s | %s | %s |\n' "$label" "$(bench_fmt "$va")" "$(bench_fmt "$vb")" \
			"$(bench_ratio "$va" "$vb")"
	done
	printf '\nMedians of %s rounds. wrk: %s connections, %s threads, %s s per run, presigned\n' \
		"$BENCH_RUNS" "$BENCH_CONNS" "$BENCH_THREADS" "$BENCH_SECS"
	printf 'URLs over %s keys; curl: one stream; MB = 10^6 bytes. Client and server share the cores.\n' \
		"$BENCH_NKEYS"
}
