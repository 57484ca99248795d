"""Object Lock (issue 12) with boto3 and aws-cli v2: a bucket created with lock has
versioning Enabled (and cannot suspend it); Put/GetObjectLockConfiguration with a
default retention that new versions get; Put/GetObjectRetention and LegalHold;
a locked version survives deletes by its owner (GOVERNANCE yields to the bypass,
COMPLIANCE and legal hold to nobody) until its date passes; retention extends but
does not shorten; lifecycle expiration in a locked bucket only adds a marker; a
restart keeps every lock. The s3 home has no versioning, so no lock: the posix
home runs this module."""

import datetime
import json
import time

from harness import check, eq, expect_error, raw_request, run_strata, timeout

POSIX_HOME_ONLY = "object lock is built on the posix home backend only"


def _utc(seconds):
    return (datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(seconds=seconds)).replace(microsecond=0)


def _locked_bucket(ctx, s3=None, rule=None):
    s3 = s3 or ctx.s3()
    b = ctx.name("lock")
    s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
    if rule:
        s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": rule}})
    return s3, b


def _put_locked(s3, b, k, mode, seconds, body=b"data"):
    return s3.put_object(Bucket=b, Key=k, Body=body, ObjectLockMode=mode,
                         ObjectLockRetainUntilDate=_utc(seconds))["VersionId"]


# ---------------------------------------------------------------- configuration

def test_locked_bucket_configuration(ctx):
    s3, b = _locked_bucket(ctx)
    eq(s3.get_bucket_versioning(Bucket=b).get("Status"), "Enabled", "versioning of a locked bucket")
    cfg = s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
    eq(cfg, {"ObjectLockEnabled": "Enabled"}, "configuration of a new locked bucket")
    rule = {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 2}}
    s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": rule})
    eq(s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"].get("Rule"), rule,
       "the default retention read back")
    expect_error(lambda: s3.put_bucket_versioning(
        Bucket=b, VersioningConfiguration={"Status": "Suspended"}), "InvalidBucketState", 409)
    eq(s3.get_bucket_versioning(Bucket=b).get("Status"), "Enabled", "versioning after a refusal")
    for body, code, status in (
            (b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
             b"<DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>"
             b"</DefaultRetention></Rule></ObjectLockConfiguration>", "MalformedXML", 400),
            (b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
             b"<DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days>"
             b"</DefaultRetention></Rule></ObjectLockConfiguration>",
             "InvalidRetentionPeriod", 400),
            (b"<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled>"
             b"</ObjectLockConfiguration>", "MalformedXML", 400)):
        r = raw_request(ctx.server, "PUT", f"/{b}", query=[("object-lock", None)], body=body)
        eq((r.status, r.error().get("Code")), (status, code), f"PUT ?object-lock {body[:120]!r}")
    eq(s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"].get("Rule"), rule,
       "a refused PUT changed the configuration")


def test_lock_on_existing_buckets(ctx):
    s3 = ctx.s3()
    plain = ctx.bucket("lock")
    expect_error(lambda: s3.get_object_lock_configuration(Bucket=plain),
                 "ObjectLockConfigurationNotFoundError", 404)
    cfg = {"ObjectLockEnabled": "Enabled"}
    expect_error(lambda: s3.put_object_lock_configuration(
        Bucket=plain, ObjectLockConfiguration=cfg), "InvalidBucketState", 409)
    e = expect_error(lambda: s3.put_object(
        Bucket=plain, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=_utc(60)), "InvalidRequest", 400)
    eq(e["Error"].get("Message"), "Bucket is missing Object Lock Configuration", "message")
    s3.put_object(Bucket=plain, Key="k", Body=b"x")
    expect_error(lambda: s3.put_object_retention(Bucket=plain, Key="k", Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": _utc(60)}), "InvalidRequest", 400)
    expect_error(lambda: s3.put_object_legal_hold(Bucket=plain, Key="k", LegalHold={
        "Status": "ON"}), "InvalidRequest", 400)
    # A versioned bucket may turn lock on (AWS allows it since 2023).
    s3.put_bucket_versioning(Bucket=plain, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=plain, ObjectLockConfiguration=cfg)
    v = _put_locked(s3, plain, "k", "GOVERNANCE", 3600)
    expect_error(lambda: s3.delete_object(Bucket=plain, Key="k", VersionId=v),
                 "AccessDenied", 403)


def test_request_checks(ctx):
    s3, b = _locked_bucket(ctx)
    expect_error(lambda: s3.put_object(Bucket=b, Key="k", Body=b"x",
                                       ObjectLockMode="GOVERNANCE"), "InvalidArgument", 400)
    expect_error(lambda: s3.put_object(Bucket=b, Key="k", Body=b"x",
                                       ObjectLockMode="GOVERNANCE",
                                       ObjectLockRetainUntilDate=_utc(-60)),
                 "InvalidArgument", 400)
    expect_error(lambda: s3.put_object_retention(Bucket=b, Key="none", Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": _utc(60)}), "NoSuchKey", 404)
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    expect_error(lambda: s3.get_object_retention(Bucket=b, Key="k"),
                 "NoSuchObjectLockConfiguration", 404)
    eq(s3.get_object_legal_hold(Bucket=b, Key="k")["LegalHold"]["Status"], "OFF", "no hold")
    # Without Content-MD5 or a checksum AWS refuses a PUT that sets a lock.
    r = raw_request(ctx.server, "PUT", f"/{b}/raw", body=b"x", headers={
        "x-amz-object-lock-mode": "GOVERNANCE",
        "x-amz-object-lock-retain-until-date": _utc(60).strftime("%Y-%m-%dT%H:%M:%SZ")})
    eq((r.status, r.error().get("Code")), (400, "InvalidRequest"), "PUT without a checksum")


# ---------------------------------------------------------------- defaults and reads

def test_default_retention_applied(ctx):
    s3, b = _locked_bucket(ctx, rule={"Mode": "GOVERNANCE", "Days": 1})
    before = _utc(86400 - 5)
    v = s3.put_object(Bucket=b, Key="k", Body=b"x")["VersionId"]
    h = s3.head_object(Bucket=b, Key="k")
    eq(h.get("ObjectLockMode"), "GOVERNANCE", "HEAD mode")
    until = h["ObjectLockRetainUntilDate"]
    check(before <= until <= _utc(86400 + 5), f"default retain-until {until}")
    r = s3.get_object_retention(Bucket=b, Key="k", VersionId=v)["Retention"]
    eq((r["Mode"], r["RetainUntilDate"]), ("GOVERNANCE", until), "GetObjectRetention")
    g = s3.get_object(Bucket=b, Key="k")
    eq(g.get("ObjectLockMode"), "GOVERNANCE", "GET mode")
    # Multipart and copy get it too; a request's own lock wins.
    up = s3.create_multipart_upload(Bucket=b, Key="mp")
    p = s3.upload_part(Bucket=b, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"y")
    s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]})
    eq(s3.head_object(Bucket=b, Key="mp").get("ObjectLockMode"), "GOVERNANCE", "multipart")
    s3.copy_object(Bucket=b, Key="cp", CopySource={"Bucket": b, "Key": "k"},
                   ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=_utc(7200))
    eq(s3.head_object(Bucket=b, Key="cp").get("ObjectLockMode"), "COMPLIANCE", "copy's own")
    up = s3.create_multipart_upload(Bucket=b, Key="mp2", ObjectLockLegalHoldStatus="ON")
    p = s3.upload_part(Bucket=b, Key="mp2", UploadId=up["UploadId"], PartNumber=1, Body=b"z")
    s3.complete_multipart_upload(Bucket=b, Key="mp2", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1,
                                                             "ETag": p["ETag"]}]})
    eq(s3.head_object(Bucket=b, Key="mp2").get("ObjectLockLegalHoldStatus"), "ON",
       "legal hold asked at CreateMultipartUpload")


# ---------------------------------------------------------------- enforcement

def test_governance_and_compliance_deletes(ctx):
    s3, b = _locked_bucket(ctx)
    vg = _put_locked(s3, b, "gov", "GOVERNANCE", 3600)
    vc = _put_locked(s3, b, "comp", "COMPLIANCE", 3600)
    for k, v in (("gov", vg), ("comp", vc)):
        expect_error(lambda: s3.delete_object(Bucket=b, Key=k, VersionId=v), "AccessDenied", 403)
    # A delete without a version id only hides the key behind a marker.
    m = s3.delete_object(Bucket=b, Key="comp")
    check(m.get("DeleteMarker"), "a delete marker was made")
    expect_error(lambda: s3.delete_object(Bucket=b, Key="comp", VersionId=vc,
                                          BypassGovernanceRetention=True), "AccessDenied", 403)
    eq(s3.get_object(Bucket=b, Key="comp", VersionId=vc)["Body"].read(), b"data",
       "the COMPLIANCE version survives")
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [
        {"Key": "gov", "VersionId": vg}, {"Key": "comp", "VersionId": vc}]})
    eq(sorted((e["Key"], e["Code"]) for e in r.get("Errors", [])),
       [("comp", "AccessDenied"), ("gov", "AccessDenied")], "DeleteObjects errors")
    s3.delete_object(Bucket=b, Key="gov", VersionId=vg, BypassGovernanceRetention=True)
    expect_error(lambda: s3.head_object(Bucket=b, Key="gov", VersionId=vg), "404", 404)


def test_legal_hold_blocks_then_releases(ctx):
    s3, b = _locked_bucket(ctx)
    v = s3.put_object(Bucket=b, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")["VersionId"]
    eq(s3.head_object(Bucket=b, Key="k").get("ObjectLockLegalHoldStatus"), "ON", "HEAD hold")
    expect_error(lambda: s3.delete_object(Bucket=b, Key="k", VersionId=v,
                                          BypassGovernanceRetention=True), "AccessDenied", 403)
    s3.put_object_legal_hold(Bucket=b, Key="k", VersionId=v, LegalHold={"Status": "OFF"})
    eq(s3.get_object_legal_hold(Bucket=b, Key="k", VersionId=v)["LegalHold"]["Status"], "OFF",
       "GetObjectLegalHold")
    s3.put_object_legal_hold(Bucket=b, Key="k", LegalHold={"Status": "ON"})
    expect_error(lambda: s3.delete_object(Bucket=b, Key="k", VersionId=v), "AccessDenied", 403)
    s3.put_object_legal_hold(Bucket=b, Key="k", LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=b, Key="k", VersionId=v)


def test_retention_extend_not_shorten(ctx):
    s3, b = _locked_bucket(ctx)
    vc = _put_locked(s3, b, "comp", "COMPLIANCE", 3600)
    vg = _put_locked(s3, b, "gov", "GOVERNANCE", 3600)
    s3.put_object_retention(Bucket=b, Key="comp", VersionId=vc, Retention={
        "Mode": "COMPLIANCE", "RetainUntilDate": _utc(7200)})
    for ret, bypass in (({"Mode": "COMPLIANCE", "RetainUntilDate": _utc(600)}, True),
                        ({"Mode": "GOVERNANCE", "RetainUntilDate": _utc(9000)}, True)):
        expect_error(lambda: s3.put_object_retention(
            Bucket=b, Key="comp", VersionId=vc, Retention=ret,
            BypassGovernanceRetention=bypass), "AccessDenied", 403)
    r = raw_request(ctx.server, "PUT", f"/{b}/comp", query=[("retention", None),
                                                            ("versionId", vc)],
                    body=b"<Retention/>", headers={"x-amz-bypass-governance-retention": "true"})
    eq((r.status, r.error().get("Code")), (403, "AccessDenied"), "removing COMPLIANCE")
    # GOVERNANCE: extending is anyone's; shortening needs the bypass.
    s3.put_object_retention(Bucket=b, Key="gov", VersionId=vg, Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": _utc(7200)})
    short = {"Mode": "GOVERNANCE", "RetainUntilDate": _utc(2)}
    expect_error(lambda: s3.put_object_retention(Bucket=b, Key="gov", VersionId=vg,
                                                 Retention=short), "AccessDenied", 403)
    s3.put_object_retention(Bucket=b, Key="gov", VersionId=vg, Retention=short,
                            BypassGovernanceRetention=True)
    eq(s3.get_object_retention(Bucket=b, Key="gov", VersionId=vg)["Retention"]
       ["RetainUntilDate"], short["RetainUntilDate"], "shortened with the bypass")


@timeout(60)
def test_delete_after_the_date(ctx):
    s3, b = _locked_bucket(ctx)
    v = _put_locked(s3, b, "k", "COMPLIANCE", 3)
    expect_error(lambda: s3.delete_object(Bucket=b, Key="k", VersionId=v), "AccessDenied", 403)
    time.sleep(4.5)
    s3.delete_object(Bucket=b, Key="k", VersionId=v)
    expect_error(lambda: s3.head_object(Bucket=b, Key="k", VersionId=v), "404", 404)


# ---------------------------------------------------------------- lifecycle, restart, aws-cli

@timeout(180)
def test_lifecycle_and_restart_keep_locks(ctx):
    conf = ctx.path("lc.conf")
    with open(conf, "w") as f:
        f.write("lifecycle_interval = 0\nlifecycle_day_seconds = 1\nlifecycle_rate = 0\n"
                "scrub_interval = 0\n")
    srv = ctx.new_server(extra_args=["--config", conf])
    s3, b = _locked_bucket(ctx, ctx.client(srv))
    v = _put_locked(s3, b, "logs/a", "COMPLIANCE", 3600, body=b"keep me")
    h = s3.put_object(Bucket=b, Key="held", Body=b"h", ObjectLockLegalHoldStatus="ON")
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
         "Expiration": {"Days": 1}}]})
    srv.stop()
    time.sleep(3)  # two one-second days
    p = run_strata(ctx.binary, ["lifecycle", "run", "--config", conf, "--data", srv.data_dir,
                                "--bucket", b], timeout=60)
    eq(p.returncode, 0, f"lifecycle run: {p.stdout} {p.stderr}")
    check("1 expired" in p.stdout, f"lifecycle run output: {p.stdout!r}")
    srv.start()
    s3 = ctx.client(srv)
    expect_error(lambda: s3.get_object(Bucket=b, Key="logs/a"), "NoSuchKey", 404)
    eq(s3.get_object(Bucket=b, Key="logs/a", VersionId=v)["Body"].read(), b"keep me",
       "the locked version survives expiration")
    r = s3.get_object_retention(Bucket=b, Key="logs/a", VersionId=v)["Retention"]
    eq(r["Mode"], "COMPLIANCE", "retention after the restart")
    expect_error(lambda: s3.delete_object(Bucket=b, Key="logs/a", VersionId=v,
                                          BypassGovernanceRetention=True), "AccessDenied", 403)
    eq(s3.get_object_legal_hold(Bucket=b, Key="held", VersionId=h["VersionId"])["LegalHold"]
       ["Status"], "ON", "legal hold after the restart")
    eq(s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
       ["ObjectLockEnabled"], "Enabled", "configuration after the restart")
    expect_error(lambda: s3.delete_bucket(Bucket=b), "BucketNotEmpty", 409)


def test_awscli_v2(ctx):
    aws = ctx.aws("v2")
    b = ctx.name("lock")
    aws.run("s3api", "create-bucket", "--bucket", b, "--object-lock-enabled-for-bucket")
    aws.run("s3api", "put-object-lock-configuration", "--bucket", b,
            "--object-lock-configuration",
            '{"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": '
            '{"Mode": "GOVERNANCE", "Days": 1}}}')
    src = ctx.path("f.txt")
    with open(src, "wb") as f:
        f.write(b"cli")
    v = json.loads(aws.run("s3api", "put-object", "--bucket", b, "--key", "k", "--body",
                           src).stdout)["VersionId"]
    out = json.loads(aws.run("s3api", "get-object-retention", "--bucket", b, "--key", "k",
                             "--version-id", v).stdout)
    eq(out["Retention"]["Mode"], "GOVERNANCE", "aws s3api get-object-retention")
    aws.run("s3api", "put-object-legal-hold", "--bucket", b, "--key", "k", "--version-id", v,
            "--legal-hold", "Status=ON")
    p = aws.run("s3api", "delete-object", "--bucket", b, "--key", "k", "--version-id", v,
                "--bypass-governance-retention", check_rc=False)
    check(p.returncode != 0 and "AccessDenied" in p.stderr, f"delete under hold: {p.stderr}")
    aws.run("s3api", "put-object-legal-hold", "--bucket", b, "--key", "k", "--version-id", v,
            "--legal-hold", "Status=OFF")
    aws.run("s3api", "delete-object", "--bucket", b, "--key", "k", "--version-id", v,
            "--bypass-governance-retention")
