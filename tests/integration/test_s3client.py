"""The libcurl S3 client (backends/s3client.c) end to end against a real,
strict S3 server: this Strata, which verifies every SigV4 signature and
Content-MD5 the client sends.

The client's tests are the cmocka program tests/unit/test_s3client, built by
`make check` next to the strata binary. Its live tests run only when
STRATA_S3_TEST_ENDPOINT / _ACCESS_KEY / _SECRET_KEY are set; here they point
at the group server (path style) and at a second server started with
`--domain localhost` (virtual-host style: libcurl resolves *.localhost to
loopback itself). A live test that is skipped here is a failure: the point is
that they ran."""

import os
import re
import subprocess

from harness import Skip, TestFailure, check, timeout

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.normpath(os.path.join(HERE, "..", "vectors"))
LIVE_TESTS = 8  # test_live_* functions in tests/unit/test_s3client.c


def _program(ctx):
    path = os.path.join(os.path.dirname(ctx.binary), "tests", "unit", "test_s3client")
    if not os.access(path, os.X_OK):
        raise Skip(f"{path} is not built (run `make check` in the build directory)")
    return path


def _run(ctx, endpoint, access, secret, vhost=False, only=None, time_limit=240,
         expect_failure=False):
    """Runs the cmocka program against endpoint; returns (passed names, failed names,
    output). Fails on any failed or skipped test, unless expect_failure."""
    env = dict(os.environ)
    env.update(STRATA_S3_TEST_ENDPOINT=endpoint, STRATA_S3_TEST_ACCESS_KEY=access,
               STRATA_S3_TEST_SECRET_KEY=secret, STRATA_S3_TEST_REGION="us-east-1",
               STRATA_TEST_VECTORS=VECTORS)
    env.pop("STRATA_S3_TEST_VHOST", None)
    env.pop("STRATA_S3_TEST_FILTER", None)
    if vhost:
        env["STRATA_S3_TEST_VHOST"] = "1"
    if only:
        env["STRATA_S3_TEST_FILTER"] = only
    p = subprocess.run([_program(ctx)], env=env, capture_output=True, text=True,
                       timeout=time_limit, stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr
    passed = re.findall(r"^\[       OK \] (\S+)", out, re.M)
    failed = sorted(set(re.findall(r"^\[  FAILED  \] (test_\S+)", out, re.M)))
    skipped = sorted(set(re.findall(r"^\[  SKIPPED \] (test_\S+)", out, re.M)))
    if not expect_failure and (p.returncode != 0 or failed or skipped):
        tail = "\n".join(out.splitlines()[-40:])
        raise TestFailure(f"test_s3client exited {p.returncode}; failed {failed}, "
                          f"skipped {skipped}\n{tail}")
    return passed, failed, out


def _check_live_ran(passed, out):
    live = [t for t in passed if t.startswith("test_live_")]
    check(len(live) == LIVE_TESTS,
          f"expected {LIVE_TESTS} live tests to pass, got {len(live)}: {live}")
    m = re.search(r"20 MiB streamed: peak RSS (-?\d+) KiB above the start", out)
    check(m is not None, "the streaming test did not report its memory use")
    check(int(m.group(1)) < 8 * 1024, f"streaming 20 MiB raised the peak RSS by {m.group(1)} KiB")


@timeout(300)
def test_s3client_path_style(ctx):
    # Every unit test (offline, loopback and live) in one run, path style.
    passed, _, out = _run(ctx, ctx.server.endpoint, ctx.server.access, ctx.server.secret)
    _check_live_ran(passed, out)
    check(len(passed) >= 40, f"only {len(passed)} tests passed")


@timeout(300)
def test_s3client_virtual_host(ctx):
    srv = ctx.new_server(extra_args=["--domain", "localhost"])
    passed, _, out = _run(ctx, f"http://localhost:{srv.port}", srv.access, srv.secret,
                          vhost=True, only="test_live_*")
    _check_live_ran(passed, out)
    # Control: the group server has no --domain, so it reads "<bucket>.localhost"
    # requests as path style and the same client must fail there. Had the client
    # quietly sent path-style requests, this would pass.
    _, failed, _ = _run(ctx, f"http://localhost:{ctx.server.port}", ctx.server.access,
                        ctx.server.secret, vhost=True, only="test_live_buckets",
                        expect_failure=True)
    check(failed == ["test_live_buckets"],
          f"virtual-host requests worked against a server without --domain: {failed}")


@timeout(120)
def test_s3client_retries_bounded(ctx):
    # A stopped remote: connection refused, max_retries retries with backoff, then
    # ServiceUnavailable in bounded time (asserted inside); a stalled remote: the
    # I/O timeout. Run on their own so a slow run shows here by name.
    for t in ("test_connection_refused", "test_stall_times_out"):
        passed, _, _ = _run(ctx, ctx.server.endpoint, ctx.server.access, ctx.server.secret,
                            only=t, time_limit=60)
        check(passed == [t], f"{t} did not pass: {passed}")
