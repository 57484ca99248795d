"""Storage classes on tiers (issue 6): x-amz-storage-class writes straight to the class's
tier directory, HEAD/GET/listings report the class, lifecycle transitions move objects
between tiers (copy, verify, switch, release) with their bytes and SHA-256 unchanged, a
tier that cannot be written holds objects where they are, and kill -9 mid-transition
loses nothing."""

import hashlib
import os
import random
import sqlite3
import time

import boto3.s3.transfer

from harness import check, eq, expect_error, free_port, rand_bytes, run_strata, same_bytes, timeout

POSIX_HOME_ONLY = ("storage tiers are not supported with backend = s3 (tiers on a remote "
                   "S3 bucket with a posix home are in test_remote_tiers)")

KiB = 1024
MiB = 1024 * KiB


def _files(root):
    n = 0
    for _, _, names in os.walk(os.path.join(root, "objects")):
        n += len(names)
    return n


def _tier_server(ctx, extra="", name="t"):
    ia, ir = ctx.path(f"{name}-ia"), ctx.path(f"{name}-ir")
    conf = ctx.path(f"{name}.conf")
    with open(conf, "w") as f:
        f.write(f"tier_STANDARD_IA = {ia}\ntier_GLACIER_IR = {ir}\nscrub_interval = 0\n"
                f"lifecycle_day_seconds = 1\nlifecycle_rate = 0\n{extra}")
    srv = ctx.new_server(extra_args=["--config", conf])
    return srv, conf, ia, ir


def _class(s3, b, k):
    return s3.head_object(Bucket=b, Key=k).get("StorageClass", "STANDARD")


def _sha(s3, b, k):
    return s3.head_object(Bucket=b, Key=k)["ResponseMetadata"]["HTTPHeaders"]["x-strata-sha256"]


def test_storage_class_writes_to_its_tier(ctx):
    srv, _, ia, ir = _tier_server(ctx, "lifecycle_interval = 0\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("tiers", client=s3)
    data = rand_bytes(200 * KiB)
    s3.put_object(Bucket=b, Key="ia", Body=data, StorageClass="STANDARD_IA")
    eq(_class(s3, b, "ia"), "STANDARD_IA", "HEAD of a STANDARD_IA object")
    eq(_files(ia), 1, "data files in the STANDARD_IA tier")
    same_bytes(s3.get_object(Bucket=b, Key="ia")["Body"].read(), data, "GET from a tier")
    s3.put_object(Bucket=b, Key="std", Body=data)
    eq(_class(s3, b, "std"), "STANDARD", "HEAD of a STANDARD object")
    listed = {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket=b)["Contents"]}
    eq(listed, {"ia": "STANDARD_IA", "std": "STANDARD"}, "listing's StorageClass")
    expect_error(lambda: s3.put_object(Bucket=b, Key="x", Body=b"x",
                                       StorageClass="INTELLIGENT_TIERING"), "NotImplemented", 501)
    expect_error(lambda: s3.put_object(Bucket=b, Key="x", Body=b"x",
                                       StorageClass="COLD_AS_ICE"), "InvalidStorageClass", 400)
    # A copy takes the class it is asked for (STANDARD otherwise, as on AWS).
    s3.copy_object(Bucket=b, Key="std", CopySource={"Bucket": b, "Key": "std"},
                   StorageClass="GLACIER_IR")
    eq(_class(s3, b, "std"), "GLACIER_IR", "copy onto itself changing the class")
    eq(_files(ir), 1, "data files in the GLACIER_IR tier")
    s3.copy_object(Bucket=b, Key="c", CopySource={"Bucket": b, "Key": "ia"})
    eq(_class(s3, b, "c"), "STANDARD", "a copy without a class")
    # Multipart uploads write their parts into the upload's class tier.
    big = rand_bytes(11 * MiB)
    src = ctx.path("big.bin")
    with open(src, "wb") as f:
        f.write(big)
    cfg = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * MiB,
                                           multipart_chunksize=5 * MiB)
    s3.upload_file(src, b, "mp", Config=cfg, ExtraArgs={"StorageClass": "GLACIER_IR"})
    eq(_class(s3, b, "mp"), "GLACIER_IR", "HEAD of a multipart GLACIER_IR object")
    eq(_files(ir), 4, "the three parts joined the GLACIER_IR tier")
    same_bytes(s3.get_object(Bucket=b, Key="mp")["Body"].read(), big, "multipart GET")


@timeout(180)
def test_lifecycle_moves_objects_between_tiers(ctx):
    srv, _, ia, ir = _tier_server(ctx, "lifecycle_interval = 1\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("lcmove", client=s3)
    objs = {"dicom/p1/s1/1.dcm": rand_bytes(300 * KiB), "dicom/p1/s1/2.dcm": rand_bytes(10),
            "other/x": rand_bytes(1000)}
    for k, v in objs.items():
        s3.put_object(Bucket=b, Key=k, Body=v)
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "dicom", "Filter": {"Prefix": "dicom/"}, "Status": "Enabled",
         "Transitions": [{"Days": 2, "StorageClass": "STANDARD_IA"},
                         {"Days": 5, "StorageClass": "GLACIER_IR"}]}]})
    deadline = time.time() + 30
    seen_ia = False
    while time.time() < deadline:
        classes = {k: _class(s3, b, k) for k in objs}
        seen_ia = seen_ia or "STANDARD_IA" in classes.values()
        if all(classes[k] == "GLACIER_IR" for k in objs if k.startswith("dicom/")):
            break
        time.sleep(0.5)
    eq({k: _class(s3, b, k) for k in objs},
       {"dicom/p1/s1/1.dcm": "GLACIER_IR", "dicom/p1/s1/2.dcm": "GLACIER_IR",
        "other/x": "STANDARD"}, "classes after the rules ran")
    check(seen_ia, "the objects never passed through STANDARD_IA")
    eq((_files(ia), _files(ir)), (0, 2), "data files per tier after the moves")
    for k, v in objs.items():
        same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), v, f"GET {k} after moves")
        eq(_sha(s3, b, k), hashlib.sha256(v).hexdigest(), f"SHA-256 of {k} after moves")
    check("moved" in srv.log_tail(300), "no log line for the moves")
    # Classes Strata has no semantics for are refused, not ignored.
    expect_error(lambda: s3.put_bucket_lifecycle_configuration(
        Bucket=b, LifecycleConfiguration={"Rules": [
            {"ID": "one", "Filter": {"Prefix": ""}, "Status": "Enabled",
             "Transitions": [{"Days": 90, "StorageClass": "ONEZONE_IA"}]}]}),
        "NotImplemented", 501)


@timeout(120)
def test_unwritable_tier_holds_objects_where_they_are(ctx):
    srv, conf, ia, _ = _tier_server(ctx, "lifecycle_interval = 0\n", name="ro")
    s3 = ctx.client(srv)
    b = ctx.bucket("lcro", client=s3)
    data = rand_bytes(100 * KiB)
    s3.put_object(Bucket=b, Key="dicom/a", Body=data)
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "ia", "Filter": {"Prefix": "dicom/"}, "Status": "Enabled",
         "Transitions": [{"Days": 1, "StorageClass": "STANDARD_IA"}]}]})
    srv.stop()
    # root ignores permission bits: turn the directory the copy must land in into a
    # file (a moved file keeps its id, so it goes to IA/objects/<first two hex digits>).
    db = sqlite3.connect(f"file:{os.path.join(srv.data_dir, 'index.db')}?mode=ro", uri=True)
    [oid] = db.execute("SELECT object_id FROM objects WHERE key = 'dicom/a'").fetchone()
    db.close()
    xx = os.path.join(ia, "objects", oid[:2])
    if os.path.isdir(xx):
        os.rmdir(xx)
    with open(xx, "w") as f:
        f.write("not a directory")
    time.sleep(2.5)
    p = run_strata(ctx.binary, ["lifecycle", "run", "--config", conf, "--data", srv.data_dir],
                   timeout=60)
    check(p.returncode != 0 and "0 moved" in p.stdout,
          f"a move into an unwritable tier: rc {p.returncode} {p.stdout!r} {p.stderr[-300:]!r}")
    os.unlink(xx)
    srv.start()
    s3 = ctx.client(srv)
    eq(_class(s3, b, "dicom/a"), "STANDARD", "the class after a failed move")
    same_bytes(s3.get_object(Bucket=b, Key="dicom/a")["Body"].read(), data,
               "GET after a failed move")
    srv.stop()
    p = run_strata(ctx.binary, ["lifecycle", "run", "--config", conf, "--data", srv.data_dir],
                   timeout=60)
    check(p.returncode == 0 and "1 moved" in p.stdout, f"the move once the tier is back: {p.stdout!r}")


@timeout(300)
def test_kill_mid_transition_loses_nothing(ctx):
    srv, conf, ia, _ = _tier_server(ctx, "lifecycle_interval = 1\n", name="k9")
    s3 = ctx.client(srv)
    b = ctx.bucket("lckill", client=s3)
    objs = {f"dicom/{i}": rand_bytes(random.choice([1, 70 * KiB, 3 * MiB])) for i in range(12)}
    for k, v in objs.items():
        s3.put_object(Bucket=b, Key=k, Body=v)
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "ia", "Filter": {"Prefix": "dicom/"}, "Status": "Enabled",
         "Transitions": [{"Days": 1, "StorageClass": "STANDARD_IA"}]}]})
    for _ in range(4):
        time.sleep(random.uniform(1.0, 2.5))
        srv.kill9()
        srv.start()
        s3 = ctx.client(srv)
        for k, v in objs.items():
            same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), v,
                       f"GET {k} after kill -9 during moves")
    deadline = time.time() + 30
    while time.time() < deadline and any(_class(s3, b, k) != "STANDARD_IA" for k in objs):
        time.sleep(0.5)
    eq({_class(s3, b, k) for k in objs}, {"STANDARD_IA"}, "every object moved in the end")
    srv.stop()
    p = run_strata(ctx.binary, ["scrub", "--config", conf, "--data", srv.data_dir], timeout=120)
    eq(p.returncode, 0, f"scrub after the kills (orphans or damage): {p.stdout[-600:]}")


def test_start_refuses_an_unconfigured_tier(ctx):
    srv, _, _, _ = _tier_server(ctx, "lifecycle_interval = 0\n", name="un")
    s3 = ctx.client(srv)
    b = ctx.bucket("uncfg", client=s3)
    s3.put_object(Bucket=b, Key="k", Body=b"x", StorageClass="STANDARD_IA")
    srv.stop()
    p = run_strata(ctx.binary, ["serve", "--data", srv.data_dir, "--listen",
                                f"127.0.0.1:{free_port()}"], timeout=30)
    check(p.returncode != 0, "the server started without the tier its objects live in")
    check("tier_STANDARD_IA" in p.stderr, f"no clear message: {p.stderr[-500:]!r}")


@timeout(180)
def test_archive_needs_restore_and_restores_expire(ctx):
    # GLACIER and DEEP_ARCHIVE are read through a restored copy only, as on AWS.
    glacier = ctx.path("ar-glacier")
    conf = ctx.path("ar.conf")
    with open(conf, "w") as f:
        f.write(f"tier_GLACIER = {glacier}\nscrub_interval = 0\nlifecycle_interval = 1\n"
                "lifecycle_day_seconds = 1\nlifecycle_rate = 0\n")
    srv = ctx.new_server(extra_args=["--config", conf])
    s3 = ctx.client(srv)
    b = ctx.bucket("archive", client=s3)
    data = rand_bytes(300 * KiB)
    s3.put_object(Bucket=b, Key="study.dcm", Body=data, StorageClass="GLACIER")
    s3.put_object(Bucket=b, Key="deep", Body=b"deep", StorageClass="DEEP_ARCHIVE")
    eq(_class(s3, b, "study.dcm"), "GLACIER", "HEAD of an archived object")
    eq(_files(glacier), 1, "data files in the GLACIER tier")
    for k in ("study.dcm", "deep"):
        expect_error(lambda k=k: s3.get_object(Bucket=b, Key=k), "InvalidObjectState", 403)
    expect_error(lambda: s3.copy_object(Bucket=b, Key="cp", CopySource={"Bucket": b,
                                                                        "Key": "study.dcm"}),
                 "InvalidObjectState", 403)
    s3.put_object(Bucket=b, Key="hot", Body=b"x")
    expect_error(lambda: s3.restore_object(Bucket=b, Key="hot", RestoreRequest={"Days": 1}),
                 "InvalidObjectState", 403)
    r = s3.restore_object(Bucket=b, Key="study.dcm", RestoreRequest={
        "Days": 4, "GlacierJobParameters": {"Tier": "Standard"}})
    eq(r["ResponseMetadata"]["HTTPStatusCode"], 202, "RestoreObject starting a restore")
    deadline = time.time() + 20
    restore = ""
    while time.time() < deadline:
        restore = s3.head_object(Bucket=b, Key="study.dcm").get("Restore", "")
        if 'ongoing-request="false"' in restore:
            break
        time.sleep(0.3)
    check('ongoing-request="false"' in restore and "expiry-date=" in restore,
          f"x-amz-restore after the restore: {restore!r}")
    same_bytes(s3.get_object(Bucket=b, Key="study.dcm")["Body"].read(), data,
               "GET of a restored object")
    eq(_sha(s3, b, "study.dcm"), hashlib.sha256(data).hexdigest(), "SHA-256 of the restored copy")
    eq(s3.restore_object(Bucket=b, Key="study.dcm", RestoreRequest={"Days": 4})
       ["ResponseMetadata"]["HTTPStatusCode"], 200, "RestoreObject of a restored object")
    eq(_class(s3, b, "study.dcm"), "GLACIER", "a restore does not change the class")
    # Four one-second days later the copy is gone and the object archived again.
    deadline = time.time() + 25
    while time.time() < deadline:
        try:
            s3.get_object(Bucket=b, Key="study.dcm")["Body"].read()
        except Exception:  # noqa: BLE001 - InvalidObjectState once expired
            break
        time.sleep(0.5)
    expect_error(lambda: s3.get_object(Bucket=b, Key="study.dcm"), "InvalidObjectState", 403)
    eq(s3.head_object(Bucket=b, Key="study.dcm").get("Restore"), None,
       "x-amz-restore once the restored copy expired")
    # A lifecycle rule archives too.
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "archive", "Filter": {"Prefix": "hot"}, "Status": "Enabled",
         "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]})
    deadline = time.time() + 20
    while time.time() < deadline and _class(s3, b, "hot") != "GLACIER":
        time.sleep(0.5)
    eq(_class(s3, b, "hot"), "GLACIER", "class after the archive rule")
    expect_error(lambda: s3.get_object(Bucket=b, Key="hot"), "InvalidObjectState", 403)
