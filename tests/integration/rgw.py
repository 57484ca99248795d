"""
rgw: a real single-node Ceph RGW (Ceph 16 Pacific) on 127.0.0.1 for the tests of
Strata's remote S3 backend, driven through tests/remote/rgw.sh.

    import rgw
    try:
        r = rgw.start(tmpdir)          # the cluster of this process (started once)
    except rgw.RgwUnavailable as e:    # cannot run here: a banner is already on stderr
        ...fall back to another S3 server...
    r.endpoint, r.access_key, r.secret_key, r.region      # path-style S3, us-east-1
    r.tls_endpoint, r.ca_file   # the same over HTTPS, its self-signed certificate
    r.kill_rgw()      # SIGKILL radosgw only ("RGW died mid-upload")
    r.start_rgw()     # radosgw again on the same cluster, data intact
    r.restart_rgw()   # SIGTERM (SIGKILL after a timeout) + start
    r.stop()          # the whole cluster; also done at exit. A cluster started with
                      # tmpdir None (the system's tmp) has its directory removed too.

The mon ports are fixed, so one cluster serves the whole process: start() returns the
running one (restarting its radosgw if a test left it killed) and registers a stop at
exit. A first start takes ~6 s on 2 cores. If it fails, start() prints a banner with
the reason and the log tails to stderr and raises RgwUnavailable, and so does every
later start() in the process at once, without a second attempt.

STRATA_RGW_DIR=DIR reuses a cluster started beforehand by `rgw.sh start DIR` (not
stopped at exit). Standard library only.
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.normpath(os.path.join(HERE, "..", "remote", "rgw.sh"))
REGION = "us-east-1"
ACCESS_KEY = "strata-test-ak"
SECRET_KEY = "strata-test-secret-key-0123456789"
# Backstops over rgw.sh's own deadlines (each wait there is bounded; these only catch a
# script that hangs anyway, and turn it into RgwUnavailable or RgwError). START_TIMEOUT
# stays under the 600 s test_rgw_harness gives its tests, so a hung start is reported as
# unavailable with its logs rather than as the test runner's bare timeout.
START_TIMEOUT = 480
RGW_TIMEOUT = 200
STOP_TIMEOUT = 150
# Daemons in stop order: radosgw first, it hangs on SIGTERM once the osd is gone.
DAEMONS = ("client.rgw.strata", "osd.0", "mgr.x", "mon.a")


class RgwUnavailable(Exception):
    """Ceph RGW cannot start on this machine; the message says why."""


class RgwError(Exception):
    """An operation on a running cluster (kill, restart, stop) failed."""


def _banner(reason, details):
    bar = "=" * 78
    lines = [bar, "CEPH RGW UNAVAILABLE: the remote-backend tests cannot use Ceph RGW here.",
             f"reason: {reason}"]
    if details:
        lines += ["", details.rstrip()]
    lines += ["", "Tests that need RGW fall back to another S3 server or are skipped.", bar]
    print("\n".join(lines), file=sys.stderr, flush=True)


def _run(args, timeout, env_extra=None):
    """Runs rgw.sh ARGS in its own session; returns (status, stdout, stderr). On a
    timeout (or a test's time limit firing meanwhile) the whole session is killed."""
    env = dict(os.environ)
    if env_extra:
        env.update(env_extra)
    p = subprocess.Popen(["bash", SCRIPT] + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, text=True,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except BaseException as e:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # a daemon kept the pipes open
            out, err = "", ""
        if isinstance(e, subprocess.TimeoutExpired):
            return 124, out, err + f"\nrgw.sh {args[0]}: no result within {timeout} s, killed"
        raise
    return p.returncode, out, err


def _reason(err, default):
    """The 'rgw.sh: FAILED: ...' line of rgw.sh's stderr."""
    for line in err.splitlines():
        if "FAILED:" in line:
            return line.split("FAILED:", 1)[1].strip()
    return default


def _parse_creds(text):
    kv = {}
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and k in ("endpoint", "access_key", "secret_key", "tls_endpoint", "ca_file"):
            kv[k] = v.strip()
    return kv


def _complete(creds):
    return all(k in creds for k in ("endpoint", "access_key", "secret_key"))


def _free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _running(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("State:"):
                    return line.split()[1] != "Z"
    except OSError:
        return False
    return False


class Rgw:
    """A running cluster: endpoint, access_key, secret_key, region, dir, port, and
    tls_endpoint + ca_file (HTTPS with a self-signed certificate; None if the cluster was
    started without RGW_TLS_PORT)."""

    def __init__(self, state_dir, creds, owned=True):
        self.dir = state_dir
        self.conf = os.path.join(state_dir, "ceph.conf")
        self.endpoint = creds["endpoint"]
        self.access_key = creds["access_key"]
        self.secret_key = creds["secret_key"]
        self.tls_endpoint = creds.get("tls_endpoint")
        self.ca_file = creds.get("ca_file")
        self.region = REGION
        self.port = int(self.endpoint.rsplit(":", 1)[1])
        self.owned = owned
        self.remove_dir = False  # start() made dir in the system's tmp: stop() removes it
        self.stopped = False
        self.start_seconds = 0.0  # how long start() took to bring the cluster up
        self.pids = {}
        self._remember_pids()

    def __repr__(self):
        return f"<Rgw {self.endpoint} dir={self.dir}{' stopped' if self.stopped else ''}>"

    def _remember_pids(self):
        """Keeps the daemons' pids in memory: stop() still finds them if the state
        directory was removed under a running cluster (a test runner's cleanup)."""
        for name in DAEMONS:
            try:
                with open(os.path.join(self.dir, "run", name + ".pid")) as f:
                    pid = int(f.read().strip())
            except (OSError, ValueError):
                continue
            if f"-c {self.conf} " in _cmdline(pid) + " ":
                self.pids[name] = pid

    def _script(self, cmd, timeout):
        rc, out, err = _run([cmd, self.dir], timeout)
        if rc != 0:
            raise RgwError(f"rgw.sh {cmd} {self.dir}: {_reason(err, f'exit status {rc}')}"
                           f"\n{err.strip()[-3000:]}")
        return out

    def answers(self, timeout=3):
        """True if radosgw answers GET / with 200 now."""
        try:
            with urllib.request.urlopen(self.endpoint + "/", timeout=timeout) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def kill_rgw(self):
        """SIGKILL of radosgw only; returns once the process is gone."""
        self._script("kill-rgw", RGW_TIMEOUT)

    def start_rgw(self):
        """Starts radosgw again on the running cluster; returns once GET / answers."""
        self._script("start-rgw", RGW_TIMEOUT)
        self._remember_pids()

    def restart_rgw(self):
        """radosgw: SIGTERM (SIGKILL after a timeout), then start_rgw()."""
        self._script("restart-rgw", RGW_TIMEOUT)
        self._remember_pids()

    def status(self):
        """(all daemons up and GET / answers, rgw.sh status output)."""
        rc, out, err = _run(["status", self.dir], 60)
        return rc == 0, (out + err).strip()

    def log_tail(self, name="client.rgw.strata", n=25):
        """The last n lines of a daemon's log (client.rgw.strata, osd.0, mgr.x, mon.a)."""
        try:
            with open(os.path.join(self.dir, "log", name + ".log"), "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError as e:
            return f"(no log: {e})"
        return "\n".join(lines[-n:])

    def stop(self):
        """Stops the cluster, radosgw first. Idempotent. A cluster reused through
        STRATA_RGW_DIR belongs to whoever started it and is left running."""
        global _current
        if self.stopped or not self.owned:
            return
        self._remember_pids()
        if os.path.exists(self.conf):
            _rc, _out, err = _run(["stop", self.dir], STOP_TIMEOUT)
        else:
            err = "(state directory gone: stopping by the remembered pids)"
        left = self._stop_remembered()
        self.stopped = True
        if _current is self:
            _current = None
        if left:
            raise RgwError(f"Ceph daemons still running after stop: {left}\n{err.strip()}")
        if self.remove_dir:  # its OSD file is gigabytes; no test run's cleanup owns it
            shutil.rmtree(self.dir, ignore_errors=True)

    def _stop_remembered(self):
        """SIGTERM then SIGKILL, in stop order, for any remembered daemon still alive and
        still ours (its command line names our ceph.conf). Returns what survived."""
        left = []
        for name in DAEMONS:
            pid = self.pids.get(name)
            if pid is None or not _running(pid) or f"-c {self.conf} " not in _cmdline(pid) + " ":
                continue
            for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    break
                deadline = time.time() + wait
                while _running(pid) and time.time() < deadline:
                    time.sleep(0.1)
                if not _running(pid):
                    break
            if _running(pid):
                left.append(f"{name} pid {pid}")
        return left


_current = None   # the process's cluster
_failure = None   # why the first start failed; later starts fail at once
_pending = []     # state dirs whose start may have left daemons behind
_atexit_done = False


def _at_exit():
    global _current
    for d in _pending:
        if os.path.exists(os.path.join(d, "ceph.conf")) and (_current is None or _current.dir != d):
            _run(["stop", d], STOP_TIMEOUT)
    if _current is not None:
        try:
            _current.stop()
        except RgwError as e:
            print(f"rgw: {e}", file=sys.stderr)


def start(tmpdir=None, port=None):
    """The Ceph RGW cluster of this process, started on first use in a new directory
    under tmpdir (the system's temporary directory if None), radosgw on port (a free
    one if None). Returns an Rgw. Raises RgwUnavailable (after a banner on stderr)
    when the cluster cannot start here."""
    global _current, _failure, _atexit_done
    if _current is not None and not _current.stopped:
        if not _current.answers():
            _current.start_rgw()
        return _current
    if _failure is not None:
        print(f"rgw: Ceph RGW unavailable (see the banner above): {_failure}",
              file=sys.stderr, flush=True)
        raise RgwUnavailable(_failure)
    reuse = os.environ.get("STRATA_RGW_DIR")
    if reuse:
        return _reuse(reuse)
    if not os.path.exists(SCRIPT):
        return _unavailable(f"{SCRIPT} is missing", "")
    if not _atexit_done:
        atexit.register(_at_exit)
        _atexit_done = True
    if tmpdir is not None:
        os.makedirs(tmpdir, exist_ok=True)
    # rgw.sh resolves DIR; the daemons' command lines name the resolved ceph.conf.
    state = os.path.realpath(tempfile.mkdtemp(prefix="rgw-", dir=tmpdir))
    _pending.append(state)
    t0 = time.time()
    rc, out, err = _run(["start", state, str(port or _free_port())], START_TIMEOUT,
                        {"RGW_ACCESS_KEY": ACCESS_KEY, "RGW_SECRET_KEY": SECRET_KEY,
                         "RGW_TLS_PORT": str(_free_port())})
    creds = _parse_creds(out)
    if rc != 0 or not _complete(creds):
        stopped = True
        if os.path.exists(os.path.join(state, "ceph.conf")):
            # after a timeout rgw.sh could not clean up
            stopped = _run(["stop", state], STOP_TIMEOUT)[0] == 0
        if tmpdir is None and stopped:  # else _at_exit tries again and needs ceph.conf
            shutil.rmtree(state, ignore_errors=True)
        return _unavailable(_reason(err, f"rgw.sh start exited with status {rc}"),
                            f"rgw.sh start {state}:\n{err.strip()[-4000:]}")
    _current = Rgw(state, creds)
    _current.remove_dir = tmpdir is None
    _current.start_seconds = time.time() - t0
    return _current


def _reuse(state):
    global _current
    rc, out, err = _run(["status", state], 60)
    creds = _parse_creds(out)
    if rc != 0 or not _complete(creds):
        return _unavailable(f"STRATA_RGW_DIR={state} holds no running cluster",
                            (out + err).strip())
    _current = Rgw(os.path.realpath(state), creds, owned=False)
    return _current


def _unavailable(reason, details):
    global _failure
    _failure = reason
    _banner(reason, details)
    raise RgwUnavailable(reason)
