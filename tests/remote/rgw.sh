#!/usr/bin/env bash
# A single-node Ceph RGW (Ceph 16 Pacific, Debian 12 packages) on 127.0.0.1, for the tests of
# Strata's remote S3 backend. One mon, one mgr, one bluestore osd on a sparse file, radosgw with
# the beast frontend. Everything it writes (ceph.conf, keyrings, daemon data, logs, admin
# sockets, pid files, crash reports) stays inside DIR. Facts behind the choices: issue 7 and
# the shared notes it cites, ../shared/notes/ceph-rgw.md (ordering, ELOOP, stop order).
#
#   rgw.sh start DIR [PORT]   new cluster in DIR (absent or empty), radosgw on PORT (7480);
#                             prints endpoint=... access_key=... secret_key=... (one per line)
#   rgw.sh stop DIR           radosgw, then osd, mgr, mon: SIGTERM, SIGKILL after a timeout
#   rgw.sh kill-rgw DIR       SIGKILL of radosgw only (an RGW that dies mid-request)
#   rgw.sh start-rgw DIR      radosgw again on the running cluster, waits until it answers
#   rgw.sh restart-rgw DIR    stop radosgw (SIGTERM, SIGKILL after a timeout), then start-rgw
#   rgw.sh status DIR         each daemon and the HTTP answer; exit 0 only if all are up
#
# Environment (all optional):
#   RGW_ACCESS_KEY, RGW_SECRET_KEY  the test user's keys (strata-test-ak,
#                                   strata-test-secret-key-0123456789); RGW_UID its uid
#   RGW_OSD_SIZE                    size of the sparse bluestore file in bytes (20 GiB)
#   RGW_WAIT                        seconds to wait for each daemon to come up (120)
#   RGW_STOP_WAIT                   seconds between SIGTERM and SIGKILL (20)
#   RGW_CONF_EXTRA                  lines added to radosgw's ceph.conf section,
#                                   e.g. "rgw lc debug interval = 10"
#   RGW_KEEP_ON_FAILURE=1           a failed start leaves its daemons running to be inspected
#   RGW_TLS_PORT                    also serve HTTPS on this port, with a self-signed
#                                   certificate for 127.0.0.1 made in DIR/tls; start then
#                                   prints tls_endpoint=https://... and ca_file=DIR/tls/cert.pem
#
# Every wait has a deadline; a failure prints "rgw.sh: FAILED: reason" and the tail of the log
# that explains it on stderr, stops what this start had started, and exits 1. Progress goes to
# stderr, the key=value lines to stdout. The mon ports (3300, 6789) are fixed: one cluster per
# machine. Runs as root (the daemons keep root's identity).
set -uo pipefail

AK=${RGW_ACCESS_KEY:-strata-test-ak}
SK=${RGW_SECRET_KEY:-strata-test-secret-key-0123456789}
RGW_USER=${RGW_UID:-strata-test}
OSD_SIZE=${RGW_OSD_SIZE:-21474836480}
WAIT=${RGW_WAIT:-120}
STOP_WAIT=${RGW_STOP_WAIT:-20}
CMD_WAIT=60 # one ceph / radosgw-admin command
RGW_NAME=client.rgw.strata
MON_PORTS=(3300 6789)

T0=$(date +%s.%N)
DIR=
CONF=

say() { printf 'rgw.sh: %s\n' "$*" >&2; }

elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# fail REASON [LOG...]: the reason, the tail of each log named, then stop what we started.
STARTING= # all: a failure stops the whole cluster; rgw: only radosgw
fail() {
	local reason=$1 log
	shift
	# Whoever reads stderr may be gone (a closed pipe): the cleanup below must still run.
	trap '' PIPE
	trap - INT TERM
	say "FAILED: $reason"
	for log in "$@"; do
		[ -s "$log" ] || continue
		# A crash ends its log with a backtrace and a dump of settings: show the error
		# lines first (a failed assert, an errno), then the tail.
		if grep -qE 'FAILED ceph_assert|\(([0-9]+)\) [A-Z][a-z]|[Ee]rror|failed' "$log"; then
			say "--- error lines of $log"
			grep -E 'FAILED ceph_assert|\(([0-9]+)\) [A-Z][a-z]|[Ee]rror|failed' "$log" |
				tail -n 8 | cut -c1-400 | sed 's/^/    /' >&2
		fi
		say "--- last lines of $log"
		tail -n 25 "$log" | cut -c1-400 | sed 's/^/    /' >&2
	done
	if [ -n "$STARTING" ] && [ "${RGW_KEEP_ON_FAILURE:-0}" = 1 ]; then
		say "RGW_KEEP_ON_FAILURE=1: leaving the daemons running; $0 stop $DIR"
	elif [ "$STARTING" = all ]; then
		say "stopping what this start started"
		stop_all
	elif [ "$STARTING" = rgw ]; then
		stop_daemon "$RGW_NAME"
	fi
	exit 1
}

usage() {
	sed -n '8,15p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# ---------------------------------------------------------------- processes

pidfile() { printf '%s/run/%s.pid' "$DIR" "$1"; }

# pid_of NAME: the pid in NAME's pid file if that process is alive and was started with this
# DIR's ceph.conf (a recycled pid or another cluster's daemon is never ours); else nothing.
pid_of() {
	local f pid state
	f=$(pidfile "$1")
	[ -r "$f" ] || return 1
	pid=$(tr -dc '0-9' <"$f")
	[ -n "$pid" ] || return 1
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-c $CONF " || return 1
	# A zombie (init in a container may reap late) is gone for our purposes.
	state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ] || return 1
	printf '%s\n' "$pid"
}

# wait_gone PID SECONDS: 0 once the process is gone, 1 at the deadline.
wait_gone() {
	local pid=$1 deadline=$(($(date +%s) + $2)) state
	while :; do
		state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		[ -z "$state" ] || [ "$state" = Z ] && return 0
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# stop_daemon NAME: SIGTERM, SIGKILL after STOP_WAIT s. 0 when not running (any more).
stop_daemon() {
	local name=$1 pid
	pid=$(pid_of "$name") || { rm -f "$(pidfile "$name")"; return 0; }
	kill -TERM "$pid" 2>/dev/null
	if ! wait_gone "$pid" "$STOP_WAIT"; then
		say "$name (pid $pid) still runs ${STOP_WAIT} s after SIGTERM: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
		if ! wait_gone "$pid" 10; then
			say "$name (pid $pid) survived SIGKILL for 10 s"
			return 1
		fi
	fi
	rm -f "$(pidfile "$name")"
	return 0
}

# Stop order: radosgw first (it hangs on SIGTERM once the osd is gone), the mon last.
stop_all() {
	local rc=0 name
	for name in "$RGW_NAME" osd.0 mgr.x mon.a; do
		stop_daemon "$name" || rc=1
	done
	return $rc
}

port_busy() { timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Which ceph-mon processes run on this machine, and with which ceph.conf: one line.
other_mons() {
	local d args conf found=
	for d in /proc/[0-9]*; do
		args=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
		case $args in
		*ceph-mon\ *) ;;
		*) continue ;;
		esac
		conf=$(printf '%s' "$args" | sed -n 's/.*-c \([^ ]*\).*/\1/p')
		found="${found:+$found; }ceph-mon pid ${d#/proc/} with ${conf:-the default ceph.conf}"
		[ -n "$conf" ] && found="$found (stop it: $0 stop $(dirname "$conf"))"
	done
	printf '%s' "${found:-no ceph-mon process: another program holds the port}"
}

# ---------------------------------------------------------------- ceph commands

# ceph_cmd ARGS...: the ceph CLI of this cluster as client.admin, bounded in time.
ceph_cmd() {
	timeout -k 5 "$CMD_WAIT" ceph -c "$CONF" -n client.admin --connect-timeout 15 "$@"
}

# http_status: the status code of GET / on radosgw, or 000.
http_status() {
	curl -s -o /dev/null -m 3 -w '%{http_code}' "http://127.0.0.1:$(cat "$DIR/port")/" 2>/dev/null ||
		true
}

# ---------------------------------------------------------------- start

write_conf() {
	local port=$1 fsid=$2 tls=
	if [ -n "${RGW_TLS_PORT:-}" ]; then
		tls=" ssl_endpoint=127.0.0.1:$RGW_TLS_PORT ssl_certificate=$DIR/tls/cert.pem"
		tls+=" ssl_private_key=$DIR/tls/key.pem"
	fi
	cat >"$CONF" <<EOF
# Written by tests/remote/rgw.sh: a single-node test cluster; all state under $DIR.
[global]
fsid = $fsid
mon initial members = a
mon host = [v2:127.0.0.1:3300,v1:127.0.0.1:6789]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind port min = 6800
ms bind port max = 6899
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
keyring = $DIR/keyring
run dir = $DIR/run
crash dir = $DIR/crash
log file = $DIR/log/\$name.log
log to stderr = false
mon cluster log file = $DIR/log/cluster.log
# One osd: pools of size 1, few pgs, no autoscaler, replicas chosen per osd not per host.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false

[mon]
mon data = $DIR/mon
# The mon commits a batch of changes at most once per second by default; radosgw's first
# start makes some twenty changes one after the other (pools, applications): 9 s -> 1.5 s.
paxos propose interval = 0.1
paxos min wait = 0.01
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid

[mgr]
mgr data = $DIR/mgr
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid

[osd]
osd data = $DIR/osd
osd objectstore = bluestore
# Not "block": bluestore links <osd data>/block to this path, a loop (ELOOP) if it were the same.
bluestore block path = $DIR/osd/block.file
bluestore block create = true
bluestore block size = $OSD_SIZE
bluestore block db create = false
bluestore block wal create = false
# A check of the store that mkfs has just written: ~1.5 s of a start, nothing to find.
bluestore fsck on mkfs = false
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid

[$RGW_NAME]
rgw data = $DIR/rgw
# Without tcp_nodelay small responses on keep-alive connections stall ~40 ms (Nagle).
rgw frontends = beast endpoint=127.0.0.1:$port$tls tcp_nodelay=1
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
${RGW_CONF_EXTRA:-}
EOF
}

make_keyring() {
	local kr=$DIR/keyring
	ceph-authtool --create-keyring "$kr" --gen-key -n mon. --cap mon 'allow *' >/dev/null &&
		ceph-authtool "$kr" --gen-key -n client.admin --cap mon 'allow *' \
			--cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null &&
		ceph-authtool "$kr" --gen-key -n mgr.x --cap mon 'allow profile mgr' \
			--cap osd 'allow *' --cap mds 'allow *' >/dev/null &&
		ceph-authtool "$kr" --gen-key -n osd.0 --cap mon 'allow profile osd' \
			--cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null &&
		ceph-authtool "$kr" --gen-key -n "$RGW_NAME" --cap mon 'allow rw' \
			--cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null &&
		chmod 600 "$kr"
}

# start_mon: mkfs from a one-mon monmap (the keyring's entities become the auth database),
# start, wait for quorum.
start_mon() {
	local out deadline
	out=$DIR/log/mkfs.out
	monmaptool --create --fsid "$1" --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' \
		"$DIR/monmap" >"$out" 2>&1 || fail "monmaptool failed" "$out"
	timeout -k 5 "$CMD_WAIT" ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap" \
		--keyring "$DIR/keyring" >>"$out" 2>&1 ||
		fail "ceph-mon --mkfs failed" "$out" "$DIR/log/mon.a.log"
	timeout -k 5 "$CMD_WAIT" ceph-mon -c "$CONF" -i a >>"$out" 2>&1 ||
		fail "ceph-mon did not start" "$out" "$DIR/log/mon.a.log"
	deadline=$(($(date +%s) + WAIT))
	until ceph_cmd quorum_status >/dev/null 2>>"$out"; do
		pid_of mon.a >/dev/null || fail "ceph-mon exited" "$DIR/log/mon.a.log" "$out"
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail "the mon formed no quorum within $WAIT s" "$DIR/log/mon.a.log" "$out"
		sleep 0.5
	done
	say "mon up ($(elapsed) s)"
}

start_mgr() {
	mkdir -p "$DIR/mgr"
	timeout -k 5 "$CMD_WAIT" ceph-mgr -c "$CONF" -i x >>"$DIR/log/mkfs.out" 2>&1 ||
		fail "ceph-mgr did not start" "$DIR/log/mkfs.out" "$DIR/log/mgr.x.log"
	say "mgr started ($(elapsed) s)"
}

# start_osd: register osd.0 (its cephx key is already in the auth database), mkfs bluestore on
# the sparse file, start, wait until the osdmap shows it up.
start_osd() {
	local uuid out deadline
	out=$DIR/log/mkfs.out
	uuid=$(cat /proc/sys/kernel/random/uuid)
	mkdir -p "$DIR/osd"
	ceph_cmd osd new "$uuid" 0 >>"$out" 2>&1 || fail "ceph osd new failed" "$out"
	timeout -k 5 "$WAIT" ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$uuid" >>"$out" 2>&1 ||
		fail "ceph-osd --mkfs failed" "$out" "$DIR/log/osd.0.log"
	timeout -k 5 "$CMD_WAIT" ceph-osd -c "$CONF" -i 0 >>"$out" 2>&1 ||
		fail "ceph-osd did not start" "$out" "$DIR/log/osd.0.log"
	deadline=$(($(date +%s) + WAIT))
	until ceph_cmd osd stat -f json 2>>"$out" | grep -q '"num_up_osds":1'; do
		pid_of osd.0 >/dev/null || fail "ceph-osd exited" "$DIR/log/osd.0.log" "$out"
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail "osd.0 was not up within $WAIT s" "$DIR/log/osd.0.log" "$DIR/log/mon.a.log"
		sleep 0.5
	done
	say "osd up ($(elapsed) s)"
}

# start_rgw: radosgw on the running cluster; waits until GET / answers 200. The first start
# creates radosgw's pools, the longest step of a cold start.
start_rgw() {
	local out=$DIR/log/radosgw.out deadline code pid port
	port=$(cat "$DIR/port")
	if pid=$(pid_of "$RGW_NAME"); then
		fail "radosgw already runs (pid $pid)"
	fi
	pid_of mon.a >/dev/null || fail "the cluster is not running (no ceph-mon); use start"
	pid_of osd.0 >/dev/null || fail "the cluster is not running (no ceph-osd); use start"
	port_busy "$port" && fail "something else listens on 127.0.0.1:$port"
	rm -f "$(pidfile "$RGW_NAME")"
	[ -n "$STARTING" ] || STARTING=rgw
	timeout -k 5 "$CMD_WAIT" radosgw -c "$CONF" -n "$RGW_NAME" >>"$out" 2>&1 ||
		fail "radosgw did not start" "$out" "$DIR/log/$RGW_NAME.log"
	deadline=$(($(date +%s) + WAIT))
	until [ -s "$(pidfile "$RGW_NAME")" ]; do
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail "radosgw wrote no pid file within $WAIT s" "$DIR/log/$RGW_NAME.log" "$out"
		sleep 0.1
	done
	while :; do
		code=$(http_status)
		[ "$code" = 200 ] && break
		pid_of "$RGW_NAME" >/dev/null || fail "radosgw exited" "$DIR/log/$RGW_NAME.log" "$out"
		[ "$(date +%s)" -lt "$deadline" ] ||
			fail "radosgw did not answer GET / with 200 within $WAIT s (last: $code)" \
				"$DIR/log/$RGW_NAME.log" "$out"
		sleep 0.3
	done
	[ "$STARTING" = rgw ] && STARTING=
	say "radosgw answers on 127.0.0.1:$port ($(elapsed) s)"
}

make_user() {
	local out=$DIR/log/radosgw-admin.out
	timeout -k 5 "$CMD_WAIT" radosgw-admin -c "$CONF" -n client.admin user create \
		--uid="$RGW_USER" --display-name="Strata tests" \
		--access-key="$AK" --secret="$SK" >"$out" 2>&1 ||
		fail "radosgw-admin user create failed" "$out" "$DIR/log/client.admin.log"
	grep -qF "\"access_key\": \"$AK\"" "$out" ||
		fail "radosgw-admin user create did not report the access key" "$out"
}

# A self-signed certificate for 127.0.0.1 and localhost: clients trust it as their CA file.
make_certificate() {
	mkdir -p "$DIR/tls" || fail "cannot create $DIR/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" >"$DIR/log/openssl.out" 2>&1 ||
		fail "openssl could not make the test certificate" "$DIR/log/openssl.out"
	chmod 600 "$DIR/tls/key.pem"
}

print_creds() {
	cat "$DIR/credentials"
}

cmd_start() {
	local port=$1 fsid p fstype
	[ "$(id -u)" = 0 ] || fail "the Ceph daemons must run as root here (uid $(id -u))"
	for p in ceph-authtool monmaptool ceph-mon ceph-mgr ceph-osd radosgw radosgw-admin ceph curl; do
		command -v "$p" >/dev/null ||
			fail "$p not found: install radosgw ceph-mon ceph-osd ceph-mgr ceph-common curl"
	done
	# ceph.conf has no quoting, and pid_of matches "-c DIR/ceph.conf " in command lines.
	[[ "$DIR" =~ [[:space:]] ]] && fail "DIR must not contain white space: $DIR"
	if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
		fail "$DIR is not empty: start wants a fresh directory (start-rgw restarts radosgw)"
	fi
	mkdir -p "$DIR" || fail "cannot create $DIR"
	fstype=$(stat -f -c %T "$DIR")
	[ "$fstype" = tmpfs ] &&
		fail "$DIR is on tmpfs: bluestore opens its file with O_DIRECT, which tmpfs refuses"
	for p in "${MON_PORTS[@]}"; do
		if port_busy "$p"; then
			fail "127.0.0.1:$p (a Ceph mon port) is taken, one cluster per machine: $(other_mons)"
		fi
	done
	port_busy "$port" && fail "127.0.0.1:$port (radosgw's port) is taken"
	mkdir -p "$DIR/run" "$DIR/log" "$DIR/crash" "$DIR/rgw" || fail "cannot populate $DIR"
	printf '%s\n' "$port" >"$DIR/port"
	if [ -n "${RGW_TLS_PORT:-}" ]; then
		port_busy "$RGW_TLS_PORT" && fail "127.0.0.1:$RGW_TLS_PORT (radosgw's TLS port) is taken"
		make_certificate
	fi
	{
		printf 'endpoint=http://127.0.0.1:%s\n' "$port"
		printf 'access_key=%s\n' "$AK"
		printf 'secret_key=%s\n' "$SK"
		if [ -n "${RGW_TLS_PORT:-}" ]; then
			printf 'tls_endpoint=https://127.0.0.1:%s\n' "$RGW_TLS_PORT"
			printf 'ca_file=%s\n' "$DIR/tls/cert.pem"
		fi
	} >"$DIR/credentials"
	chmod 600 "$DIR/credentials"
	fsid=$(cat /proc/sys/kernel/random/uuid)
	write_conf "$port" "$fsid"
	STARTING=all
	trap 'fail "interrupted by a signal"' INT TERM
	make_keyring || fail "ceph-authtool failed"
	start_mon "$fsid"
	start_mgr
	start_osd
	start_rgw
	make_user
	pid_of mgr.x >/dev/null || fail "ceph-mgr exited" "$DIR/log/mgr.x.log"
	STARTING=
	trap - INT TERM
	say "ready in $(elapsed) s"
	print_creds
}

# ---------------------------------------------------------------- other commands

need_cluster_dir() {
	[ -f "$CONF" ] || fail "$DIR holds no cluster (no ceph.conf)"
}

cmd_stop() {
	need_cluster_dir
	if stop_all; then
		say "stopped in $(elapsed) s"
	else
		fail "some daemon would not die (see above)"
	fi
}

cmd_kill_rgw() {
	local pid
	need_cluster_dir
	pid=$(pid_of "$RGW_NAME") || fail "radosgw is not running"
	kill -KILL "$pid"
	wait_gone "$pid" 10 || fail "radosgw (pid $pid) survived SIGKILL for 10 s"
	say "radosgw (pid $pid) killed"
}

cmd_start_rgw() {
	need_cluster_dir
	start_rgw
	print_creds
}

cmd_restart_rgw() {
	need_cluster_dir
	stop_daemon "$RGW_NAME" || fail "radosgw would not stop"
	start_rgw
	print_creds
}

cmd_status() {
	local name pid rc=0 code
	need_cluster_dir
	for name in mon.a mgr.x osd.0 "$RGW_NAME"; do
		if pid=$(pid_of "$name"); then
			printf '%-18s running (pid %s)\n' "$name" "$pid"
		else
			printf '%-18s not running\n' "$name"
			rc=1
		fi
	done
	code=$(http_status)
	printf '%-18s GET / -> %s\n' "http" "$code"
	[ "$code" = 200 ] || rc=1
	print_creds
	return $rc
}

# ---------------------------------------------------------------- main

[ $# -ge 2 ] || usage
cmd=$1
DIR=$(realpath -m -- "$2")
CONF=$DIR/ceph.conf
case $cmd in
start)
	port=${3:-7480}
	if ! [[ "$port" =~ ^[0-9]{1,5}$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
		fail "bad port: $port"
	fi
	cmd_start "$port"
	;;
stop) cmd_stop ;;
kill-rgw) cmd_kill_rgw ;;
start-rgw) cmd_start_rgw ;;
restart-rgw) cmd_restart_rgw ;;
status) cmd_status ;;
*) usage ;;
esac
