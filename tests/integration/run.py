#!/usr/bin/env python3
"""
Strata integration tests: start the real `strata` on a free 127.0.0.1 port with
a temporary data directory and drive it with boto3, aws-cli v1 and aws-cli v2 at
their default settings, plus hand-built HTTP where no SDK goes.

usage: tests/integration/run.py [--strata PATH] [--home posix|s3] [-k SUBSTRING] [--keep]
                                [--list] [-j N]

One server per test module ("group"); a module may ask for none (SERVER = False),
extra serve arguments (SERVER_ARGS) or users created before the start (USERS).
Prints "PASS name" / "FAIL name: reason" / "SKIP name: reason" per test, the
tail of the server log after a failure, and finally "N passed, N failed"
(", N skipped" when something was skipped). Exit status 1 if anything failed.

-j N runs N modules at once, each in a child process of its own (its own servers and
temporary directory), printing each module's lines when it ends. The modules that start
Ceph RGW themselves (USES_RGW = True: one cluster per machine, and some kill it) run one
after another in a single child. With --home s3 the parent starts the one cluster and the
children share it (STRATA_RGW_DIR).

--home s3 runs the same tests with every server's buckets and objects on a remote S3
store (backend = s3): Ceph RGW started on loopback by tests/remote/rgw.sh (or the cluster
STRATA_RGW_DIR names), or, when RGW cannot start here, a posix Strata, said loudly. Tests
that need the posix home (they look into the data directory, or use what the s3 backend
does not offer) are marked with harness.posix_home_only(reason), or a module-level
POSIX_HOME_ONLY = reason, and are skipped with that reason.
"""

import argparse
import atexit
import importlib
import inspect
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree

import harness  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

DEFAULT_TEST_TIMEOUT = 180


class TestTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise TestTimeout("test exceeded its time limit")


def collect(module):
    """(name, function, param or None) in source order."""
    fns = [(n, f) for n, f in vars(module).items()
           if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == module.__name__]
    fns.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
    out = []
    for n, f in fns:
        params = getattr(f, "params", None)
        if params:
            out.extend((f"{n}[{p}]", f, p) for p in params)
        else:
            out.append((n, f, None))
    return out


def describe(exc):
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        return (f"unexpected S3 error {err.get('Code')} (HTTP {meta.get('HTTPStatusCode')}): "
                f"{err.get('Message')!r} in {exc.operation_name}")
    if isinstance(exc, (harness.TestFailure, TestTimeout)):
        return str(exc)
    tb = traceback.extract_tb(exc.__traceback__)
    where = ""
    for fr in reversed(tb):
        if os.path.basename(fr.filename).startswith("test_"):
            where = f" at {os.path.basename(fr.filename)}:{fr.lineno}"
            break
    return f"{type(exc).__name__}: {exc}{where}"


def remote_home(binary, root):
    """The remote store of --home s3: Ceph RGW, else a posix Strata (said loudly)."""
    import rgw
    try:
        r = rgw.start(os.path.join(root, "rgw"))
        print(f"home s3: Ceph RGW at {r.endpoint}", file=sys.stderr, flush=True)
        return harness.RemoteHome(r.endpoint, r.access_key, r.secret_key, "rgw")
    except rgw.RgwUnavailable as e:
        print(f"home s3: RGW unavailable ({e}); the remote is a posix Strata instead",
              file=sys.stderr, flush=True)
    ak, sk = harness.random_keys()
    srv = harness.Server(binary, os.path.join(root, "home-remote", "data"),
                         os.path.join(root, "logs"), ak, sk, name="home-remote")
    srv.start()
    atexit.register(srv.stop)
    return harness.RemoteHome(srv.endpoint, ak, sk, "strata")


# Modules known to take longest, started first by -j so that none is left running alone
# at the end; the rest follow by their number of tests.
SLOW_FIRST = ("multipart", "backup_tools", "lifecycle", "tiers", "robustness", "limits",
              "awscli", "encryption", "integrity", "objects", "logs", "listing")
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")


def parallel_jobs(plan):
    """The -j work list: lists of groups, each run by one child, longest first."""
    rgw_groups = [g for g, m, _t in plan if getattr(m, "USES_RGW", False)]
    rest = [(g, len(t)) for g, m, t in plan if not getattr(m, "USES_RGW", False)]
    rank = {g: i for i, g in enumerate(SLOW_FIRST)}
    rest.sort(key=lambda gt: (rank.get(gt[0], len(SLOW_FIRST)), -gt[1]))
    return ([rgw_groups] if rgw_groups else []) + [[g] for g, _n in rest]


def run_parallel(args, plan, binary):
    """Runs plan's modules in args.jobs children; prints their lines module by module and
    the total. Returns the exit status."""
    env = dict(os.environ)
    if args.home == "s3" and not env.get("STRATA_RGW_DIR"):
        import rgw
        try:  # one cluster for every child (the mon ports are fixed: one per machine)
            r = rgw.start()
            env["STRATA_RGW_DIR"] = r.dir
            print(f"home s3: Ceph RGW at {r.endpoint}, shared by {args.jobs} runners",
                  file=sys.stderr, flush=True)
        except rgw.RgwUnavailable:
            pass  # each child falls back to a posix Strata of its own, saying so
    jobs = parallel_jobs(plan)
    lock = threading.Lock()
    totals = [0, 0, 0]
    t0 = time.time()

    def run_job(groups):
        cmd = [sys.executable, os.path.abspath(__file__), "--strata", binary, "--home", args.home,
               "--groups", ",".join(groups), "--log-level", args.log_level]
        if args.filter:
            cmd += ["-k", args.filter]
        cmd += ["--keep"] if args.keep else []
        cmd += ["-v"] if args.verbose else []
        start = time.time()
        with tempfile.TemporaryFile() as out:
            rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                 stdin=subprocess.DEVNULL)
            out.seek(0)
            lines = out.read().decode("utf-8", "replace").splitlines()
        counts = None
        for i in range(len(lines) - 1, -1, -1):
            m = SUMMARY.match(lines[i])
            if m:
                counts = [int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)]
                del lines[i]
                break
        if counts is None:
            lines.append(f"FAIL {','.join(groups)}: the runner ended (status {rc}) "
                         "without a summary")
            counts = [0, 1, 0]
        with lock:
            for line in lines:
                print(line)
            print(f"# {', '.join(groups)}: {time.time() - start:.0f} s", flush=True)
            for i in range(3):
                totals[i] += counts[i]

    def worker():
        while True:
            with lock:
                if not jobs:
                    return
                groups = jobs.pop(0)
            run_job(groups)

    threads = [threading.Thread(target=worker) for _ in range(args.jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    passed, failed, skipped = totals
    print(f"(-j {args.jobs}: {time.time() - t0:.0f} s)", file=sys.stderr)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--strata", default=harness.DEFAULT_BINARY, help="path of the strata binary")
    ap.add_argument("-k", dest="filter", default=None,
                    help="run only tests whose name contains SUBSTRING")
    ap.add_argument("--home", choices=("posix", "s3"), default="posix",
                    help="the servers' home backend (s3: a remote S3 store, Ceph RGW)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--list", action="store_true", help="list the tests and exit")
    ap.add_argument("--log-level", default="debug",
                    help="`strata serve --log-level` for the servers (empty: the default)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print tracebacks of failures")
    ap.add_argument("-j", dest="jobs", type=int, default=1,
                    help="modules run at once, each in a child runner")
    ap.add_argument("--groups", default=None, help=argparse.SUPPRESS)  # a -j child's modules
    args = ap.parse_args()

    binary = os.path.abspath(args.strata)
    harness.SERVER_LOG_LEVEL = args.log_level
    modules = sorted(f[:-3] for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py"))
    plan = []
    for m in modules:
        mod = importlib.import_module(m)
        group = m[len("test_"):]
        tests = [(f"{group}.{n}", f, p) for n, f, p in collect(mod)]
        if args.filter:
            tests = [t for t in tests if args.filter in t[0]]
        if args.groups is not None and group not in args.groups.split(","):
            tests = []
        if tests:
            plan.append((group, mod, tests))
    if args.list:
        for _g, _m, tests in plan:
            for name, _f, _p in tests:
                print(name)
        return 0
    if not os.access(binary, os.X_OK):
        print(f"strata binary not found or not executable: {binary}", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1

    if args.jobs > 1 and len(plan) > 1:
        return run_parallel(args, plan, binary)

    root = tempfile.mkdtemp(prefix="strata-it-")
    logdir = os.path.join(root, "logs")
    os.makedirs(logdir)
    harness.isolate_environment(root)
    signal.signal(signal.SIGALRM, _on_alarm)
    passed = failed = skipped = 0
    if args.home == "s3":
        try:
            harness.HOME = remote_home(binary, root)
        except Exception as e:  # noqa: BLE001
            print(f"FAIL (home s3): no remote S3 store to run on: {describe(e)}")
            print("0 passed, 1 failed")
            return 1
    t0 = time.time()
    for group, mod, tests in plan:
        server = None
        users = {}
        start_error = None
        if getattr(mod, "SERVER", True):
            data = os.path.join(root, group, "data")
            os.makedirs(data)
            server = harness.Server(binary, data, logdir, extra_args=getattr(mod, "SERVER_ARGS", []),
                                    name=group)
            try:
                for u in getattr(mod, "USERS", []):
                    users[u] = harness.add_user(binary, data, u)
                server.start()
            except Exception as e:  # noqa: BLE001
                start_error = describe(e)
        for name, fn, param in tests:
            posix_only = getattr(fn, "posix_only", None) or getattr(mod, "POSIX_HOME_ONLY", None)
            if harness.HOME is not None and posix_only:
                skipped += 1
                print(f"SKIP {name}: posix home only: {posix_only}", flush=True)
                continue
            if start_error:
                print(f"FAIL {name}: group server: {start_error.splitlines()[0]}")
                failed += 1
                continue
            workdir = os.path.join(root, group, "work", name.replace("/", "_"))
            os.makedirs(workdir, exist_ok=True)
            ctx = harness.Ctx(binary, server, users, workdir, logdir, name)
            mark = server.log_mark() if server is not None else None
            runs = server.runs if server is not None else 0
            signal.alarm(getattr(fn, "timeout", DEFAULT_TEST_TIMEOUT))
            status, reason, tb = "PASS", "", None
            try:
                fn(ctx) if param is None else fn(ctx, param)
            except harness.Skip as e:
                status, reason = "SKIP", str(e)
            except BaseException as e:  # noqa: BLE001
                if isinstance(e, KeyboardInterrupt):
                    raise
                status, reason, tb = "FAIL", describe(e), traceback.format_exc()
            finally:
                signal.alarm(0)
                problems = ctx.cleanup()
            if problems and status != "FAIL":
                status, reason = "FAIL", "; ".join(problems)
            if server is not None and not server.alive() and status != "SKIP":
                status = "FAIL"
                reason = (reason + "; " if reason else "") + \
                    f"the server died (exit status {server.proc.returncode})"
            if status == "PASS":
                passed += 1
                print(f"PASS {name}", flush=True)
            elif status == "SKIP":
                skipped += 1
                print(f"SKIP {name}: {reason}", flush=True)
            else:
                failed += 1
                lines = reason.splitlines() or [""]
                print(f"FAIL {name}: {lines[0]}")
                for line in lines[1:]:
                    print(f"    {line}")
                if args.verbose and tb:
                    print("    " + tb.replace("\n", "\n    "))
                if server is not None and server.stderr_path:
                    print(server.log_tail(15, since=mark if server.runs == runs else None))
                for s in ctx.extra_servers:
                    if s.stderr_path:
                        print(s.log_tail(15))
                sys.stdout.flush()
            if server is not None and not server.alive():
                try:
                    server.start()
                except Exception as e:  # noqa: BLE001
                    start_error = f"could not restart after a crash: {describe(e)}"
        if server is not None and server.alive():
            rc = server.stop()
            if rc not in (0, -signal.SIGTERM, None):
                # e.g. a sanitizer's leak report at exit: a defect like any other
                failed += 1
                print(f"FAIL {group}.(server exit): status {rc} on SIGTERM")
                print(server.log_tail(20))
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    if failed or args.keep:
        print(f"(logs and data kept in {root}; {time.time() - t0:.0f} s)", file=sys.stderr)
    else:
        shutil.rmtree(root, ignore_errors=True)
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
