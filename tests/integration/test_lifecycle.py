"""Lifecycle rules (issue 6, first part): Put/Get/DeleteBucketLifecycleConfiguration with
AWS's validation, and the engine that expires objects and aborts stale multipart uploads,
in the background and with `strata lifecycle run`. A configurable day length
(lifecycle_day_seconds = 1) runs "7 days" in seconds. Transitions are in test_tiers.
Versioned buckets (issue 12): NoncurrentVersionExpiration with NewerNoncurrentVersions,
ExpiredObjectDeleteMarker, Expiration making a delete marker, NoncurrentVersionTransition
to a tier, and versions under Object Lock surviving the rules."""

import datetime
import os
import time

from botocore.exceptions import ClientError

from harness import (check, eq, expect_error, posix_home_only, rand_bytes, run_strata,
                     same_bytes, timeout)

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


# --- versioned buckets (issue 12): noncurrent versions and delete markers ---

VERSIONING_ONLY = "versioning and its lifecycle actions are on the posix home (s3: no versions)"


def _versions(s3, b, prefix=""):
    """(key, version id, is latest, is a marker, storage class) newest first per key."""
    r = s3.list_object_versions(Bucket=b, Prefix=prefix)
    out = [(v["Key"], v["VersionId"], v["IsLatest"], False, v.get("StorageClass", "STANDARD"))
           for v in r.get("Versions", [])]
    out += [(m["Key"], m["VersionId"], m["IsLatest"], True, None)
            for m in r.get("DeleteMarkers", [])]
    return sorted(out, key=lambda t: (t[0], not t[2]))


def _versioned(s3, b):
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})


@posix_home_only(VERSIONING_ONLY)
@timeout(120)
def test_noncurrent_expiration_keeps_newer_versions(ctx):
    srv, _ = _fast_server(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("lcnc", client=s3)
    _versioned(s3, b)
    ids = []
    for i in range(4):
        ids.append(s3.put_object(Bucket=b, Key="k/x", Body=b"v%d" % i)["VersionId"])
    s3.put_object(Bucket=b, Key="other/y", Body=b"o0")
    s3.put_object(Bucket=b, Key="other/y", Body=b"o1")
    rules = {"Rules": [{"ID": "keep1", "Filter": {"Prefix": "k/"}, "Status": "Enabled",
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1,
                                                        "NewerNoncurrentVersions": 1}}]}
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration=rules)
    got = s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]
    eq(got[0]["NoncurrentVersionExpiration"], {"NoncurrentDays": 1, "NewerNoncurrentVersions": 1},
       "NoncurrentVersionExpiration round trip")
    _wait(lambda: len(_versions(s3, b, "k/")) == 2, 30, "the older noncurrent versions to go")
    time.sleep(3)  # several more passes: the newest noncurrent version stays
    eq([v[1] for v in _versions(s3, b, "k/")], [ids[3], ids[2]],
       "current + the newest noncurrent version remain")
    same_bytes(s3.get_object(Bucket=b, Key="k/x")["Body"].read(), b"v3", "current version")
    same_bytes(s3.get_object(Bucket=b, Key="k/x", VersionId=ids[2])["Body"].read(), b"v2",
               "kept noncurrent version")
    for gone in ids[:2]:
        expect_error(lambda: s3.get_object(Bucket=b, Key="k/x", VersionId=gone),
                     "NoSuchVersion", 404)
    eq(len(_versions(s3, b, "other/")), 2, "versions outside the rule's prefix")
    check("noncurrent version" in srv.log_tail(400), "no log line for the expirations")


@posix_home_only(VERSIONING_ONLY)
@timeout(120)
def test_delete_markers_and_current_expiration(ctx):
    srv, _ = _fast_server(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("lcdm", client=s3)
    _versioned(s3, b)
    for k in ("a/x", "keep/y", "c/z"):
        s3.put_object(Bucket=b, Key=k, Body=b"data-" + k.encode())
    for k in ("a/x", "keep/y"):
        s3.delete_object(Bucket=b, Key=k)
    rules = {"Rules": [
        {"ID": "markers", "Filter": {"Prefix": "a/"}, "Status": "Enabled",
         "Expiration": {"ExpiredObjectDeleteMarker": True},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
        {"ID": "current", "Filter": {"Prefix": "c/"}, "Status": "Enabled",
         "Expiration": {"Days": 1}},
    ]}
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration=rules)
    got = s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]
    eq(got[0]["Expiration"], {"ExpiredObjectDeleteMarker": True}, "the marker flag round trip")
    # a/x: its noncurrent version goes after a day; the marker is then alone and goes too.
    _wait(lambda: _versions(s3, b, "a/") == [], 30, "a/x's version and then its marker to go")
    # c/z: Expiration of the current version in a versioned bucket makes a delete marker.
    _wait(lambda: [v[3] for v in _versions(s3, b, "c/")] == [True, False], 30,
          "c/z's expiration to make a delete marker")
    time.sleep(3)
    c = _versions(s3, b, "c/")
    eq([(v[2], v[3]) for v in c], [(True, True), (False, False)],
       "c/z: a latest marker over its noncurrent version (not removed: not alone)")
    same_bytes(s3.get_object(Bucket=b, Key="c/z", VersionId=c[1][1])["Body"].read(), b"data-c/z",
               "c/z's noncurrent version")
    eq([(v[2], v[3]) for v in _versions(s3, b, "keep/")], [(True, True), (False, False)],
       "keep/y: no rule, marker and version stay")


@posix_home_only(VERSIONING_ONLY)
@timeout(120)
def test_noncurrent_transition_to_tier(ctx):
    ia = ctx.path("nc-ia")
    conf = ctx.path("nct.conf")
    with open(conf, "w") as f:
        f.write(f"tier_STANDARD_IA = {ia}\nscrub_interval = 0\nlifecycle_interval = 1\n"
                "lifecycle_day_seconds = 1\nlifecycle_rate = 0\n")
    srv = ctx.new_server(extra_args=["--config", conf])
    s3 = ctx.client(srv)
    b = ctx.bucket("lcnct", client=s3)
    _versioned(s3, b)
    old = rand_bytes(300 * 1024)
    v1 = s3.put_object(Bucket=b, Key="doc", Body=old)["VersionId"]
    s3.put_object(Bucket=b, Key="doc", Body=b"new")
    rules = {"Rules": [{"ID": "cold", "Filter": {}, "Status": "Enabled",
                        "NoncurrentVersionTransitions": [
                            {"NoncurrentDays": 1, "StorageClass": "STANDARD_IA"}]}]}
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration=rules)
    eq(s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"][0]
       ["NoncurrentVersionTransitions"], [{"NoncurrentDays": 1, "StorageClass": "STANDARD_IA"}],
       "NoncurrentVersionTransition round trip")
    _wait(lambda: [v[4] for v in _versions(s3, b)] == ["STANDARD", "STANDARD_IA"], 30,
          "the noncurrent version to move to STANDARD_IA")
    same_bytes(s3.get_object(Bucket=b, Key="doc", VersionId=v1)["Body"].read(), old,
               "the moved version read back")
    same_bytes(s3.get_object(Bucket=b, Key="doc")["Body"].read(), b"new", "the current version")
    n = sum(len(names) for _, _, names in os.walk(os.path.join(ia, "objects")))
    eq(n, 1, "data files in the STANDARD_IA tier")
    # A class the server cannot serve is refused, as for current-version transitions.
    expect_error(lambda: s3.put_bucket_lifecycle_configuration(
        Bucket=b, LifecycleConfiguration={"Rules": [
            {"ID": "it", "Filter": {}, "Status": "Enabled", "NoncurrentVersionTransitions": [
                {"NoncurrentDays": 1, "StorageClass": "INTELLIGENT_TIERING"}]}]}),
        "NotImplemented", 501)


@posix_home_only(VERSIONING_ONLY)
@timeout(120)
def test_locked_noncurrent_version_survives(ctx):
    srv, _ = _fast_server(ctx)
    s3 = ctx.client(srv)
    b = ctx.name("lclock")
    s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    locked = s3.put_object(Bucket=b, Key="k", Body=b"locked", ObjectLockMode="GOVERNANCE",
                           ObjectLockRetainUntilDate=until)["VersionId"]
    held = s3.put_object(Bucket=b, Key="k", Body=b"held", ObjectLockLegalHoldStatus="ON")[
        "VersionId"]
    plain = s3.put_object(Bucket=b, Key="k", Body=b"plain")["VersionId"]
    current = s3.put_object(Bucket=b, Key="k", Body=b"current")["VersionId"]
    rules = {"Rules": [{"ID": "all", "Filter": {}, "Status": "Enabled",
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]}
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration=rules)
    _wait(lambda: plain not in [v[1] for v in _versions(s3, b)], 30,
          "the unlocked noncurrent version to go")
    time.sleep(3)
    eq([v[1] for v in _versions(s3, b)], [current, held, locked],
       "versions under retention and legal hold survive the rule")
    same_bytes(s3.get_object(Bucket=b, Key="k", VersionId=locked)["Body"].read(), b"locked",
               "the version under retention")
    # Once the hold is lifted the rule applies to it.
    s3.put_object_legal_hold(Bucket=b, Key="k", VersionId=held, LegalHold={"Status": "OFF"})
    _wait(lambda: held not in [v[1] for v in _versions(s3, b)], 30,
          "the version whose hold was lifted to go")
    eq([v[1] for v in _versions(s3, b)], [current, locked], "the retained version still there")
