"""Metrics and health on the admin listener (issues 6 and 9): GET /metrics parses with the
Prometheus client library's own text parser and its counters move with what the server
does (requests by operation and status, bytes in and out, lifecycle transitions,
expirations, restores and bytes moved, scrub passes and findings); /health/live and
/health/ready answer, and ready fails with a reason when the data directory cannot be
written. The listener is off unless configured, and is not reachable through S3."""

import os
import sys
import time
import urllib.error
import urllib.request

from harness import Skip, check, eq, free_port, rand_bytes
from harness import posix_home_only

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # Debian's python3-prometheus-client, from another Python of the machine
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        text_string_to_metric_families = None

KiB = 1024
SERVER = False


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def _server(ctx, conf_text="", scrub_interval=0):
    port = free_port()
    conf = ctx.path(f"metrics-{port}.conf")
    with open(conf, "w") as f:
        f.write(f"admin_listen = 127.0.0.1:{port}\nscrub_interval = {scrub_interval}\n{conf_text}")
    srv = ctx.new_server(extra_args=["--config", conf])
    return srv, f"http://127.0.0.1:{port}"


def _samples(admin):
    """{(name, frozenset(labels)): value} from a scrape, through the official parser."""
    if text_string_to_metric_families is None:
        raise Skip("python3-prometheus-client is not installed (scripts/deps.sh test installs it)")
    status, ctype, text = _get(admin + "/metrics")
    eq(status, 200, "GET /metrics")
    check(ctype.startswith("text/plain; version=0.0.4"), f"exposition content type: {ctype}")
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def _value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def _wait(pred, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_request_metrics_move(ctx):
    srv, admin = _server(ctx, "lifecycle_interval = 0\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("metrics", client=s3)
    before = _samples(admin)
    body = rand_bytes(100 * KiB)
    for i in range(3):
        s3.put_object(Bucket=b, Key=f"k{i}", Body=body)
    eq(s3.get_object(Bucket=b, Key="k0")["Body"].read(), body, "GET")
    try:
        s3.head_object(Bucket=b, Key="absent")
    except Exception:  # noqa: BLE001 - a 404 is the point
        pass
    after = _samples(admin)
    eq(_value(after, "strata_requests_total", operation="PutObject", status="200")
       - _value(before, "strata_requests_total", operation="PutObject", status="200"), 3.0,
       "PutObject 200s counted")
    eq(_value(after, "strata_requests_total", operation="HeadObject", status="404"), 1.0,
       "HeadObject 404 counted")
    eq(_value(after, "strata_request_duration_seconds_count", operation="PutObject"), 3.0,
       "PutObject latency observations")
    check(_value(after, "strata_request_duration_seconds_bucket", operation="PutObject",
                 le="+Inf") == 3.0, "histogram +Inf bucket equals the count")
    check(_value(after, "strata_bytes_received_total") >= 3 * 100 * KiB,
          "request bytes received counted")
    check(_value(after, "strata_bytes_sent_total") >= 100 * KiB, "GET bytes sent counted")
    check(_value(after, "strata_connections_open") >= 0, "open connections gauge present")
    # The admin paths are not S3: the S3 listener treats /metrics as a bucket.
    status, _, _ = _get(srv.endpoint + "/metrics")
    check(status in (403, 404), f"/metrics on the S3 port is an S3 request ({status})")


def test_health(ctx):
    srv, admin = _server(ctx, "lifecycle_interval = 0\n")
    eq(_get(admin + "/health/live")[0], 200, "live")
    eq(_get(admin + "/health/ready")[0], 200, "ready")
    eq(_get(admin + "/nothing")[0], 404, "unknown admin path")
    if os.geteuid() == 0:
        # root writes through any mode bits; make the directory unusable another way.
        probe = os.path.join(srv.data_dir, f".ready-probe-{srv.proc.pid}")
        os.mkdir(probe)  # the probe path exists as a directory: open(O_WRONLY) fails
        try:
            status, _, text = _get(admin + "/health/ready")
        finally:
            os.rmdir(probe)
    else:
        os.chmod(srv.data_dir, 0o500)
        try:
            status, _, text = _get(admin + "/health/ready")
        finally:
            os.chmod(srv.data_dir, 0o700)
    eq(status, 503, "not ready when the data directory cannot be written")
    check("not writable" in text, f"the reason is given: {text!r}")
    eq(_get(admin + "/health/ready")[0], 200, "ready again")


def test_admin_listener_off_by_default(ctx):
    srv = ctx.new_server()
    check("metrics and health on" not in srv.output(), "no admin listener unless configured")


@posix_home_only("storage tiers are not supported with backend = s3")
def test_lifecycle_metrics(ctx):
    tier = ctx.path("ia")
    srv, admin = _server(ctx, f"tier_STANDARD_IA = {tier}\nlifecycle_interval = 1\n"
                              "lifecycle_day_seconds = 1\nlifecycle_rate = 0\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("lcmetrics", client=s3)
    s3.put_object(Bucket=b, Key="move/a", Body=rand_bytes(10 * KiB))
    s3.put_object(Bucket=b, Key="temp/x", Body=b"x")
    s3.put_object(Bucket=b, Key="cold/g", Body=rand_bytes(3 * KiB), StorageClass="GLACIER")
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "ia", "Filter": {"Prefix": "move/"}, "Status": "Enabled",
         "Transitions": [{"Days": 1, "StorageClass": "STANDARD_IA"}]},
        {"ID": "tmp", "Filter": {"Prefix": "temp/"}, "Status": "Enabled",
         "Expiration": {"Days": 1}},
    ]})
    s3.restore_object(Bucket=b, Key="cold/g", RestoreRequest={"Days": 1})

    def moved():
        s = _samples(admin)
        return (_value(s, "strata_lifecycle_transitions_total", storage_class="STANDARD_IA") >= 1
                and _value(s, "strata_lifecycle_expirations_total") >= 1
                and _value(s, "strata_lifecycle_restores_total") >= 1)
    _wait(moved, 30, "a transition, an expiration and a restore in the metrics")
    s = _samples(admin)
    eq(_value(s, "strata_lifecycle_bytes_moved_total", storage_class="STANDARD_IA"),
       float(10 * KiB), "bytes moved to STANDARD_IA")
    check(_value(s, "strata_lifecycle_passes_total") >= 1, "passes counted")
    eq(_value(s, "strata_lifecycle_failures_total", action="transition"), 0.0, "no failures")


@posix_home_only("the scrubber is not built for the s3 backend yet")
def test_scrub_metrics(ctx):
    srv, admin = _server(ctx, "lifecycle_interval = 0\nscrub_rate = 0\n", scrub_interval=1)
    s3 = ctx.client(srv)
    b = ctx.bucket("scrubmetrics", client=s3)
    for i in range(2):
        s3.put_object(Bucket=b, Key=f"s{i}", Body=rand_bytes(20 * KiB))

    def scrubbed():
        s = _samples(admin)
        return _value(s, "strata_scrub_objects_total") >= 2
    _wait(scrubbed, 30, "a scrub pass over both objects")
    s = _samples(admin)
    check(_value(s, "strata_scrub_passes_total") >= 1, "scrub passes counted")
    check(_value(s, "strata_scrub_last_pass_timestamp_seconds") > time.time() - 120,
          "the last pass time is recent")
    eq(_value(s, "strata_scrub_problems_total", problem="corrupt"), 0.0, "no findings")


@posix_home_only("the s3 home has no storage usage: the strata_stored_* gauges are not exported")
def test_stored_gauges(ctx):
    """strata_stored_* equal what was stored, per class, after a refresh (a scrape asks for
    one; the sampler counts at most every few seconds), noncurrent versions apart."""
    tier = ctx.path("ia-stored")
    srv, admin = _server(ctx, f"tier_STANDARD_IA = {tier}\nlifecycle_interval = 0\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("stored", client=s3)
    s3.put_object(Bucket=b, Key="s1", Body=rand_bytes(10 * KiB))
    s3.put_object(Bucket=b, Key="s2", Body=rand_bytes(5 * KiB))
    s3.put_object(Bucket=b, Key="ia", Body=rand_bytes(7 * KiB), StorageClass="STANDARD_IA")
    v = ctx.bucket("storedv", client=s3)
    s3.put_bucket_versioning(Bucket=v, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=v, Key="k", Body=rand_bytes(3 * KiB))
    s3.put_object(Bucket=v, Key="k", Body=rand_bytes(4 * KiB))  # the 3 KiB one is noncurrent

    def counted():
        s = _samples(admin)
        return (_value(s, "strata_stored_bytes", storage_class="STANDARD") == 19 * KiB
                and _value(s, "strata_stored_bytes", storage_class="STANDARD_IA") == 7 * KiB)
    _wait(counted, 30, "the stored gauges to count the objects")
    s = _samples(admin)
    eq(_value(s, "strata_stored_objects", storage_class="STANDARD"), 3.0, "STANDARD objects")
    eq(_value(s, "strata_stored_objects", storage_class="STANDARD_IA"), 1.0, "IA objects")
    eq(_value(s, "strata_stored_objects", storage_class="GLACIER"), 0.0, "every class exported")
    eq(_value(s, "strata_stored_noncurrent_objects", storage_class="STANDARD"), 1.0,
       "the noncurrent version counted apart")
    eq(_value(s, "strata_stored_noncurrent_bytes", storage_class="STANDARD"), float(3 * KiB),
       "noncurrent bytes")
    check(_value(s, "strata_stored_refreshed_timestamp_seconds") > time.time() - 120,
          "the refresh time is recent")
    # A delete shows at the next refresh.
    s3.delete_object(Bucket=b, Key="ia")
    _wait(lambda: _value(_samples(admin), "strata_stored_objects",
                         storage_class="STANDARD_IA") == 0.0, 30, "the delete to be counted")
