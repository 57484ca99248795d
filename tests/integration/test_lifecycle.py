"""Lifecycle rules (issue 6, first part): Put/Get/DeleteBucketLifecycleConfiguration with
AWS's validation, and the engine that expires objects and aborts stale multipart uploads,
in the background and with `strata lifecycle run`. A configurable day length
(lifecycle_day_seconds = 1) runs "7 days" in seconds. Transitions wait for storage tiers
and are refused until then."""

import time

from botocore.exceptions import ClientError

from harness import check, eq, expect_error, run_strata, timeout

DICOM_RULES = {"Rules": [
    {"ID": "temp-7d", "Filter": {"Prefix": "temp/"}, "Status": "Enabled",
     "Expiration": {"Days": 7}},
    {"ID": "stale-uploads", "Filter": {"Prefix": ""}, "Status": "Enabled",
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
    {"ID": "off", "Filter": {"And": {"Prefix": "keep/", "ObjectSizeGreaterThan": 0,
                                     "ObjectSizeLessThan": 1000}},
     "Status": "Disabled", "Expiration": {"Days": 1}},
]}


def _fast_server(ctx, interval=1):
    conf = ctx.path(f"lc{interval}.conf")
    with open(conf, "w") as f:
        f.write(f"lifecycle_interval = {interval}\nlifecycle_day_seconds = 1\n"
                "lifecycle_rate = 0\nscrub_interval = 0\n")
    return ctx.new_server(extra_args=["--config", conf]), conf


def _keys(s3, b):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", []))


def _wait(pred, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_configuration_round_trip_and_errors(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("lcapi")
    expect_error(lambda: s3.get_bucket_lifecycle_configuration(Bucket=b),
                 "NoSuchLifecycleConfiguration", 404)
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration=DICOM_RULES)
    got = s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]
    eq([r["ID"] for r in got], ["temp-7d", "stale-uploads", "off"], "rule ids in order")
    eq(got[0]["Filter"], {"Prefix": "temp/"}, "a prefix filter")
    eq(got[0]["Expiration"], {"Days": 7}, "an expiration")
    eq(got[1]["AbortIncompleteMultipartUpload"], {"DaysAfterInitiation": 2}, "abort uploads")
    eq(got[2]["Status"], "Disabled", "a disabled rule")
    eq(got[2]["Filter"]["And"], {"Prefix": "keep/", "ObjectSizeGreaterThan": 0,
                                 "ObjectSizeLessThan": 1000}, "an And filter")
    bad = [
        ({"ID": "x" * 256, "Filter": {"Prefix": ""}, "Status": "Enabled",
          "Expiration": {"Days": 1}}, "InvalidArgument"),
        ({"ID": "zero", "Filter": {"Prefix": ""}, "Status": "Enabled",
          "Expiration": {"Days": 0}}, "InvalidArgument"),
        ({"ID": "noaction", "Filter": {"Prefix": ""}, "Status": "Enabled"}, None),
    ]
    for rule, code in bad:
        try:
            s3.put_bucket_lifecycle_configuration(Bucket=b,
                                                  LifecycleConfiguration={"Rules": [rule]})
            raise AssertionError(f"rule {rule['ID']} was accepted")
        except ClientError as e:
            got_code = e.response["Error"]["Code"]
            check(got_code == code if code else got_code in ("InvalidRequest", "MalformedXML"),
                  f"rule {rule['ID']}: {got_code}")
    eq(len(s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]), 3,
       "a refused configuration replaced the stored one")
    expect_error(lambda: s3.put_bucket_lifecycle_configuration(
        Bucket=b, LifecycleConfiguration={"Rules": [
            {"ID": "same", "Filter": {"Prefix": "a"}, "Status": "Enabled",
             "Expiration": {"Days": 1}},
            {"ID": "same", "Filter": {"Prefix": "b"}, "Status": "Enabled",
             "Expiration": {"Days": 1}}]}), "InvalidArgument", 400)
    expect_error(lambda: s3.put_bucket_lifecycle_configuration(
        Bucket=b, LifecycleConfiguration={"Rules": [
            {"ID": "cold", "Filter": {"Prefix": "dicom/"}, "Status": "Enabled",
             "Transitions": [{"Days": 90, "StorageClass": "INTELLIGENT_TIERING"}]}]}),
        "NotImplemented", 501)
    s3.delete_bucket_lifecycle(Bucket=b)
    expect_error(lambda: s3.get_bucket_lifecycle_configuration(Bucket=b),
                 "NoSuchLifecycleConfiguration", 404)


@timeout(120)
def test_background_engine_expires_and_aborts(ctx):
    srv, _ = _fast_server(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("lcrun", client=s3)
    for k in ("temp/a", "temp/b", "keep/c", "dicom/p1/s1/1.dcm", "temptation"):
        s3.put_object(Bucket=b, Key=k, Body=b"x")
    uid = s3.create_multipart_upload(Bucket=b, Key="big.tar")["UploadId"]
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration=DICOM_RULES)
    # Uploads go after 2 "days", temp/ objects after 7: both within seconds.
    _wait(lambda: not s3.list_multipart_uploads(Bucket=b).get("Uploads"), 20,
          "the stale upload to be aborted")
    expect_error(lambda: s3.list_parts(Bucket=b, Key="big.tar", UploadId=uid), "NoSuchUpload",
                 404)
    _wait(lambda: _keys(s3, b) == ["dicom/p1/s1/1.dcm", "keep/c", "temptation"], 30,
          "temp/ to expire")
    time.sleep(3)
    eq(_keys(s3, b), ["dicom/p1/s1/1.dcm", "keep/c", "temptation"],
       "objects no enabled rule selects")
    check("expired" in srv.log_tail(200), "no log line for the expirations")
    # An object written now under temp/ is new: it lives its 7 days again.
    s3.put_object(Bucket=b, Key="temp/new", Body=b"y")
    time.sleep(2)
    check("temp/new" in _keys(s3, b), "a fresh temp/ object expired at once")


@timeout(120)
def test_lifecycle_run_offline(ctx):
    srv, conf = _fast_server(ctx, interval=0)  # no background engine
    s3 = ctx.client(srv)
    b = ctx.bucket("lcoff", client=s3)
    other = ctx.bucket("lcother", client=s3)
    for bucket in (b, other):
        s3.put_object(Bucket=bucket, Key="temp/x", Body=b"x")
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=DICOM_RULES)
    srv.stop()
    p = run_strata(ctx.binary, ["lifecycle", "run", "--config", conf, "--data", srv.data_dir,
                                "--bucket", b], timeout=60)
    eq(p.returncode, 0, f"lifecycle run: {p.stderr}")
    check("0 expired" in p.stdout, f"a fresh object expired: {p.stdout!r}")
    time.sleep(9)  # 7 one-second days, rounded up, and then some
    p = run_strata(ctx.binary, ["lifecycle", "run", "--config", conf, "--data", srv.data_dir,
                                "--bucket", b], timeout=60)
    eq(p.returncode, 0, f"lifecycle run: {p.stderr}")
    check("1 expired" in p.stdout, f"lifecycle run output: {p.stdout!r}")
    srv.start()
    s3 = ctx.client(srv)
    eq(_keys(s3, b), [], "temp/x left in the bucket the pass ran on")
    eq(_keys(s3, other), ["temp/x"], "--bucket limited the pass to one bucket")
