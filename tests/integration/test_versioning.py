"""Object versioning (issue 12) with boto3 and aws-cli v2: Put/GetBucketVersioning,
version ids on PUT, Complete and Copy, GET/HEAD/DELETE by versionId, delete markers,
the "null" version of suspended buckets, DeleteObjects with versions,
ListObjectVersions (paging, delimiters), BucketNotEmpty; every version read back
after a restart, the scrub with noncurrent versions, gc of a deleted version, and
lifecycle expiration making a delete marker. On the s3 home (run.py --home s3) the
versions are the remote bucket's own (backends/s3_versions.c): the same flows run there,
with the remote's version ids; the tests that look into the posix data directory are
posix-only."""

import hashlib
import json
import os
import sqlite3
import time

import harness
from harness import (check, eq, expect_error, posix_home_only, rand_bytes, raw_request,
                     run_strata, s3_client, timeout)

KiB = 1024
MiB = 1024 * KiB


def _versioned(ctx, status="Enabled"):
    s3 = ctx.s3()
    b = ctx.bucket("ver")
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": status})
    return s3, b


def _put(s3, b, k, body):
    return s3.put_object(Bucket=b, Key=k, Body=body)


def _all_versions(s3, b, **kw):
    """Every Version and DeleteMarker, paging with the paginator."""
    vs, dms = [], []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=b, **kw):
        vs += page.get("Versions", [])
        dms += page.get("DeleteMarkers", [])
    return vs, dms


def _status(e):
    return e["ResponseMetadata"]["HTTPStatusCode"]


def _headers(e):
    return e["ResponseMetadata"]["HTTPHeaders"]


# ---------------------------------------------------------------- configuration

def test_get_put_bucket_versioning(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("ver")
    check("Status" not in s3.get_bucket_versioning(Bucket=b), "a new bucket has a status")
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    eq(s3.get_bucket_versioning(Bucket=b).get("Status"), "Enabled", "status")
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
    eq(s3.get_bucket_versioning(Bucket=b).get("Status"), "Suspended", "status")
    expect_error(lambda: s3.put_bucket_versioning(
        Bucket=b, VersioningConfiguration={"Status": "Suspended", "MFADelete": "Enabled"},
        MFA="123456 654321"), "NotImplemented", 501)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled",
                                                                "MFADelete": "Disabled"})
    eq(s3.get_bucket_versioning(Bucket=b).get("Status"), "Enabled", "status after Disabled MFA")


def test_malformed_versioning_xml(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("ver")
    for body in (b"<VersioningConfiguration><Status>On</Status></VersioningConfiguration>",
                 b"<VersioningConfiguration><Foo/></VersioningConfiguration>",
                 b"<NotVersioning/>", b"not xml"):
        resp = raw_request(ctx.server, "PUT", f"/{b}", query=[("versioning", None)], body=body)
        eq(resp.status, 400, f"status of {body!r}")
        check(b"MalformedXML" in resp.body, f"code of {body!r}: {resp.body[:200]!r}")
    check("Status" not in s3.get_bucket_versioning(Bucket=b), "a refused PUT changed it")


# ---------------------------------------------------------------- versions

def test_overwrite_list_get_each(ctx):
    s3, b = _versioned(ctx)
    bodies = [b"one", b"two" * 100, b"three" * 1000]
    ids = []
    for body in bodies:
        r = _put(s3, b, "k", body)
        check(r.get("VersionId"), f"no x-amz-version-id on a versioned PUT: {r}")
        ids.append(r["VersionId"])
    eq(len(set(ids)), 3, "distinct version ids")
    for v in ids:
        if harness.HOME is None:
            check(len(v) == 32 and all(c.isalnum() or c in "._" for c in v), f"id format {v!r}")
        else:  # the remote's own ids (RGW: 31 of [A-Za-z0-9.-]), always URL- and XML-safe
            check(0 < len(v) < 40 and all(c.isalnum() or c in "._-" for c in v),
                  f"id format {v!r}")
    vs, dms = _all_versions(s3, b)
    eq([v["VersionId"] for v in vs], ids[::-1], "versions newest first")
    eq([v["IsLatest"] for v in vs], [True, False, False], "IsLatest")
    eq([v["Size"] for v in vs], [len(x) for x in bodies[::-1]], "sizes")
    eq(dms, [], "delete markers")
    check(all(v["Owner"]["ID"] and v["StorageClass"] == "STANDARD" for v in vs), f"{vs}")
    for v, body in zip(ids, bodies):
        r = s3.get_object(Bucket=b, Key="k", VersionId=v)
        eq(r["Body"].read(), body, f"bytes of version {v}")
        eq(r["VersionId"], v, "x-amz-version-id of GET")
        eq(s3.head_object(Bucket=b, Key="k", VersionId=v)["ContentLength"], len(body), "HEAD")
    eq(s3.get_object(Bucket=b, Key="k")["VersionId"], ids[-1], "latest's version id")
    eq(s3.get_object(Bucket=b, Key="k")["Body"].read(), bodies[-1], "latest bytes")
    # ListObjects shows only the current version.
    objs = s3.list_objects_v2(Bucket=b).get("Contents", [])
    eq([(o["Key"], o["Size"]) for o in objs], [("k", len(bodies[-1]))], "ListObjectsV2")


def test_bad_and_unknown_version_ids(ctx):
    s3, b = _versioned(ctx)
    _put(s3, b, "k", b"x")
    expect_error(lambda: s3.get_object(Bucket=b, Key="k", VersionId="A" * 32),
                 "NoSuchVersion", 404)
    expect_error(lambda: s3.get_object(Bucket=b, Key="k", VersionId="not/valid"),
                 "InvalidArgument", 400)
    e = expect_error(lambda: s3.head_object(Bucket=b, Key="k", VersionId="B" * 32), "404", 404)
    eq(_status(e), 404, "HEAD of an unknown version")


def test_delete_marker_and_undelete(ctx):
    s3, b = _versioned(ctx)
    v1 = _put(s3, b, "k", b"data")["VersionId"]
    r = s3.delete_object(Bucket=b, Key="k")
    eq(r.get("DeleteMarker"), True, "x-amz-delete-marker")
    marker = r.get("VersionId")
    check(marker and marker != v1, f"the marker's version id: {r}")
    e = expect_error(lambda: s3.get_object(Bucket=b, Key="k"), "NoSuchKey", 404)
    eq(_headers(e).get("x-amz-delete-marker"), "true", "delete marker header on 404")
    eq(_headers(e).get("x-amz-version-id"), marker, "marker id on 404")
    e = expect_error(lambda: s3.get_object(Bucket=b, Key="k", VersionId=marker),
                     "MethodNotAllowed", 405)
    eq(_headers(e).get("x-amz-delete-marker"), "true", "delete marker header on 405")
    # HEAD answers the same status and headers, without a body (botocore's code is the status).
    e = expect_error(lambda: s3.head_object(Bucket=b, Key="k"), "404", 404)
    eq(_headers(e).get("x-amz-delete-marker"), "true", "delete marker header on HEAD 404")
    eq(_headers(e).get("x-amz-version-id"), marker, "marker id on HEAD 404")
    e = expect_error(lambda: s3.head_object(Bucket=b, Key="k", VersionId=marker), "405", 405)
    eq(_headers(e).get("x-amz-delete-marker"), "true", "delete marker header on HEAD 405")
    eq(s3.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read(), b"data", "old version")
    eq(s3.list_objects_v2(Bucket=b).get("KeyCount"), 0, "ListObjectsV2 hides a deleted key")
    vs, dms = _all_versions(s3, b)
    eq([(d["VersionId"], d["IsLatest"]) for d in dms], [(marker, True)], "markers")
    eq([(v["VersionId"], v["IsLatest"]) for v in vs], [(v1, False)], "versions")
    # Deleting the marker (by id) makes the key visible again.
    r = s3.delete_object(Bucket=b, Key="k", VersionId=marker)
    eq(r.get("DeleteMarker"), True, "deleting a marker says so")
    eq(r.get("VersionId"), marker, "version id of the deleted marker")
    eq(s3.get_object(Bucket=b, Key="k")["Body"].read(), b"data", "undeleted")
    vs, dms = _all_versions(s3, b)
    eq(([(v["VersionId"], v["IsLatest"]) for v in vs], dms), ([(v1, True)], []), "after")


def test_delete_version_permanently(ctx):
    s3, b = _versioned(ctx)
    v1 = _put(s3, b, "k", b"one")["VersionId"]
    v2 = _put(s3, b, "k", b"two")["VersionId"]
    v3 = _put(s3, b, "k", b"three")["VersionId"]
    r = s3.delete_object(Bucket=b, Key="k", VersionId=v2)
    eq(r.get("VersionId"), v2, "deleted version id")
    expect_error(lambda: s3.get_object(Bucket=b, Key="k", VersionId=v2), "NoSuchVersion", 404)
    # Deleting the current version makes the previous one current.
    s3.delete_object(Bucket=b, Key="k", VersionId=v3)
    r = s3.get_object(Bucket=b, Key="k")
    eq((r["Body"].read(), r["VersionId"]), (b"one", v1), "previous version is current")
    vs, _ = _all_versions(s3, b)
    eq([(v["VersionId"], v["IsLatest"]) for v in vs], [(v1, True)], "remaining versions")
    # An unknown (well-formed) version deletes nothing and succeeds, as on AWS.
    s3.delete_object(Bucket=b, Key="k", VersionId="C" * 32)
    s3.delete_object(Bucket=b, Key="k", VersionId=v1)
    vs, dms = _all_versions(s3, b)
    eq((vs, dms), ([], []), "nothing left")
    s3.delete_bucket(Bucket=b)


def test_null_version_before_enabling(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("ver")
    r = _put(s3, b, "k", b"old")
    check("VersionId" not in r, f"a never-versioned PUT has a version id: {r}")
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    eq(s3.head_object(Bucket=b, Key="k")["VersionId"], "null", "pre-versioning object")
    v2 = _put(s3, b, "k", b"new")["VersionId"]
    vs, _ = _all_versions(s3, b)
    eq([v["VersionId"] for v in vs], [v2, "null"], "versions")
    eq(s3.get_object(Bucket=b, Key="k", VersionId="null")["Body"].read(), b"old", "null")


def test_suspended_null_version(ctx):
    s3, b = _versioned(ctx)
    v1 = _put(s3, b, "k", b"v1")["VersionId"]
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
    # As AWS (and s3-tests): a write of the null version answers no x-amz-version-id.
    eq(_put(s3, b, "k", b"n1").get("VersionId"), None, "suspended PUT's version id")
    eq(_put(s3, b, "k", b"n2").get("VersionId"), None, "again")
    eq(s3.head_object(Bucket=b, Key="k")["VersionId"], "null", "HEAD names it")
    vs, _ = _all_versions(s3, b)
    eq([(v["VersionId"], v["IsLatest"]) for v in vs], [("null", True), (v1, False)],
       "a suspended PUT replaces the null version")
    eq(s3.get_object(Bucket=b, Key="k", VersionId="null")["Body"].read(), b"n2", "null bytes")
    # Re-enabled: a new version, the null one stays noncurrent; suspended again, a PUT
    # replaces that noncurrent null version.
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    v3 = _put(s3, b, "k", b"v3")["VersionId"]
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
    _put(s3, b, "k", b"n3")
    vs, _ = _all_versions(s3, b)
    eq([v["VersionId"] for v in vs], ["null", v3, v1], "the old null version is gone")
    # A suspended delete: a null marker replaces the null version.
    r = s3.delete_object(Bucket=b, Key="k")
    eq((r.get("DeleteMarker"), r.get("VersionId")), (True, "null"), "suspended delete")
    vs, dms = _all_versions(s3, b)
    eq([v["VersionId"] for v in vs], [v3, v1], "versions after the null marker")
    eq([(d["VersionId"], d["IsLatest"]) for d in dms], [("null", True)], "null marker")
    expect_error(lambda: s3.get_object(Bucket=b, Key="k"), "NoSuchKey", 404)


def test_multipart_and_copy_from_version(ctx):
    s3, b = _versioned(ctx)
    part = rand_bytes(5 * MiB)
    up = s3.create_multipart_upload(Bucket=b, Key="mp")
    e1 = s3.upload_part(Bucket=b, Key="mp", UploadId=up["UploadId"], PartNumber=1,
                        Body=part)["ETag"]
    e2 = s3.upload_part(Bucket=b, Key="mp", UploadId=up["UploadId"], PartNumber=2,
                        Body=b"tail")["ETag"]
    r = s3.complete_multipart_upload(
        Bucket=b, Key="mp", UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                   {"PartNumber": 2, "ETag": e2}]})
    vmp = r.get("VersionId")
    check(vmp, f"no version id on Complete: {r}")
    v2 = _put(s3, b, "mp", b"small")["VersionId"]
    eq(s3.get_object(Bucket=b, Key="mp", VersionId=vmp)["Body"].read(), part + b"tail",
       "noncurrent multipart version")
    # Copy the old multipart version over the key: it becomes a new current version.
    r = s3.copy_object(Bucket=b, Key="mp", CopySource={"Bucket": b, "Key": "mp",
                                                        "VersionId": vmp})
    eq(r.get("CopySourceVersionId"), vmp, "x-amz-copy-source-version-id")
    v3 = r.get("VersionId")
    check(v3 and v3 not in (vmp, v2), f"copy's version id: {r}")
    eq(s3.get_object(Bucket=b, Key="mp")["Body"].read(), part + b"tail", "restored")
    vs, _ = _all_versions(s3, b)
    eq([v["VersionId"] for v in vs], [v3, v2, vmp], "versions")
    # Copy from a marker by id is refused; copying into another key works.
    m = s3.delete_object(Bucket=b, Key="mp")["VersionId"]
    expect_error(lambda: s3.copy_object(Bucket=b, Key="x", CopySource={
        "Bucket": b, "Key": "mp", "VersionId": m}), "InvalidRequest", 400)
    s3.copy_object(Bucket=b, Key="x", CopySource={"Bucket": b, "Key": "mp", "VersionId": v2})
    eq(s3.get_object(Bucket=b, Key="x")["Body"].read(), b"small", "copied from v2")


def test_get_object_attributes_of_a_version(ctx):
    s3, b = _versioned(ctx)
    v1 = _put(s3, b, "k", b"foo")["VersionId"]
    _put(s3, b, "k", b"longer")
    attrs = ["ETag", "ObjectSize", "StorageClass"]
    r = s3.get_object_attributes(Bucket=b, Key="k", VersionId=v1, ObjectAttributes=attrs)
    eq((r.get("VersionId"), r["ObjectSize"]), (v1, 3), "attributes of the old version")
    r = s3.get_object_attributes(Bucket=b, Key="k", ObjectAttributes=attrs)
    eq(r["ObjectSize"], 6, "attributes of the current version")


def test_delete_objects_with_versions(ctx):
    s3, b = _versioned(ctx)
    a1 = _put(s3, b, "a", b"a1")["VersionId"]
    a2 = _put(s3, b, "a", b"a2")["VersionId"]
    _put(s3, b, "b", b"b1")
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [
        {"Key": "a", "VersionId": a1}, {"Key": "b"}, {"Key": "c", "VersionId": "bad id"}]})
    deleted = {d["Key"]: d for d in r.get("Deleted", [])}
    eq(deleted["a"].get("VersionId"), a1, "Deleted VersionId")
    check(not deleted["a"].get("DeleteMarker"), f"{deleted['a']}")
    eq(deleted["b"].get("DeleteMarker"), True, "DeleteMarker for b")
    bm = deleted["b"].get("DeleteMarkerVersionId")
    check(bm, f"DeleteMarkerVersionId: {deleted['b']}")
    eq([(e["Key"], e["Code"]) for e in r.get("Errors", [])], [("c", "InvalidArgument")],
       "errors")
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "b", "VersionId": bm}]})
    eq((r["Deleted"][0].get("DeleteMarker"), r["Deleted"][0].get("VersionId")), (True, bm),
       "deleting the marker")
    vs, dms = _all_versions(s3, b)
    eq(sorted(v["VersionId"] for v in vs if v["Key"] == "a"), [a2], "a's versions")
    eq(dms, [], "markers")


def test_list_versions_paging(ctx):
    s3, b = _versioned(ctx)
    expect = []
    for k in ("a", "b/1", "b/2", "c"):
        ids = [_put(s3, b, k, k.encode() * n)["VersionId"] for n in (1, 2)]
        expect += [(k, ids[1]), (k, ids[0])]
    m = s3.delete_object(Bucket=b, Key="c")["VersionId"]
    expect.insert(6, ("c", m))
    got, kw = [], {}
    pages = 0
    while True:
        r = s3.list_object_versions(Bucket=b, MaxKeys=1, **kw)
        pages += 1
        items = r.get("Versions", []) + r.get("DeleteMarkers", [])
        eq(len(items), 1, f"entries on page {pages}")
        got += [(x["Key"], x["VersionId"]) for x in items]
        if not r["IsTruncated"]:
            break
        kw = {"KeyMarker": r["NextKeyMarker"], "VersionIdMarker": r["NextVersionIdMarker"]}
    eq(got, expect, "every version once, in order, across pages")
    eq(pages, 9, "pages")
    # Delimiter: b/ folds into one CommonPrefix.
    r = s3.list_object_versions(Bucket=b, Delimiter="/")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["b/"], "common prefixes")
    eq(sorted({v["Key"] for v in r.get("Versions", [])}), ["a", "c"], "keys beside them")
    r = s3.list_object_versions(Bucket=b, Prefix="b/", MaxKeys=3)
    eq([(v["Key"], v["VersionId"]) for v in r["Versions"]], expect[2:5], "prefix b/")
    eq((r["IsTruncated"], r["NextKeyMarker"], r["NextVersionIdMarker"]),
       (True, "b/2", expect[4][1]), "markers")
    # Key marker alone: keys after it.
    r = s3.list_object_versions(Bucket=b, KeyMarker="b/2")
    eq([x["Key"] for x in r.get("Versions", []) + r.get("DeleteMarkers", [])], ["c"] * 3,
       "after key-marker b/2")
    # encoding-type=url
    _put(s3, b, "sp ace", b"x")
    r = s3.list_object_versions(Bucket=b, Prefix="sp", EncodingType="url")
    eq([v["Key"] for v in r["Versions"]], ["sp%20ace"], "URL-encoded key (botocore keeps it)")


def test_bucket_not_empty(ctx):
    s3, b = _versioned(ctx)
    v = _put(s3, b, "k", b"x")["VersionId"]
    m = s3.delete_object(Bucket=b, Key="k")["VersionId"]
    expect_error(lambda: s3.delete_bucket(Bucket=b), "BucketNotEmpty", 409)
    s3.delete_object(Bucket=b, Key="k", VersionId=v)
    expect_error(lambda: s3.delete_bucket(Bucket=b), "BucketNotEmpty", 409)
    s3.delete_object(Bucket=b, Key="k", VersionId=m)
    s3.delete_bucket(Bucket=b)
    check(b not in [x["Name"] for x in s3.list_buckets()["Buckets"]], "bucket still listed")


def test_awscli_v2(ctx):
    s3, b = _versioned(ctx)
    v1 = _put(s3, b, "k", b"first")["VersionId"]
    _put(s3, b, "k", b"second")
    aws = ctx.aws("v2")
    out = json.loads(aws.run("s3api", "list-object-versions", "--bucket", b).stdout)
    eq([v["VersionId"] for v in out["Versions"]][1], v1, "aws s3api list-object-versions")
    dest = ctx.path("v1.out")
    out = json.loads(aws.run("s3api", "get-object", "--bucket", b, "--key", "k",
                             "--version-id", v1, dest).stdout)
    eq(out.get("VersionId"), v1, "get-object --version-id")
    with open(dest, "rb") as f:
        eq(f.read(), b"first", "bytes of get-object --version-id")
    out = json.loads(aws.run("s3api", "get-bucket-versioning", "--bucket", b).stdout)
    eq(out.get("Status"), "Enabled", "get-bucket-versioning")


@timeout(180)
def test_old_versions_verified_and_decrypted(ctx):
    """Every version keeps Strata's guarantees once it is noncurrent: its SHA-256, its
    frames (a range deep inside, which reopens the read at an offset while newer versions
    exist), SSE-C and SSE-S3. On the s3 home the versions are the remote bucket's own:
    it is versioned there, each version carries Strata's metadata, and the remote never
    holds the plaintext."""
    conf = ctx.path("ssec.conf")
    with open(conf, "w") as f:
        f.write("sse_c_over_http = on\nscrub_interval = 0\n")
    srv = ctx.new_server(extra_args=["--config", conf])
    s3 = ctx.client(srv)
    b = ctx.bucket("ver", client=s3)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    marker = b"PLAINTEXT-MARKER-" * 4
    ssec = os.urandom(32)
    c_args = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": ssec}
    bodies = [marker + rand_bytes(700 * KiB), marker + rand_bytes(300 * KiB),
              marker + rand_bytes(200 * KiB)]
    vc = s3.put_object(Bucket=b, Key="k", Body=bodies[0], **c_args)["VersionId"]
    vs = s3.put_object(Bucket=b, Key="k", Body=bodies[1],
                       ServerSideEncryption="AES256")["VersionId"]
    vp = s3.put_object(Bucket=b, Key="k", Body=bodies[2])["VersionId"]
    s3.delete_object(Bucket=b, Key="k")  # every data version is noncurrent now
    for v, body, kw in ((vc, bodies[0], c_args), (vs, bodies[1], {}), (vp, bodies[2], {})):
        r = s3.get_object(Bucket=b, Key="k", VersionId=v, **kw)
        eq(r["Body"].read(), body, f"bytes of version {v}")
        eq(r["ResponseMetadata"]["HTTPHeaders"].get("x-strata-sha256"),
           hashlib.sha256(body).hexdigest(), f"SHA-256 of version {v}")
        a = len(body) - 70000
        eq(s3.get_object(Bucket=b, Key="k", VersionId=v, Range=f"bytes={a}-{a + 65999}",
                         **kw)["Body"].read(), body[a:a + 66000], f"a range of version {v}")
    eq(s3.head_object(Bucket=b, Key="k", VersionId=vs).get("ServerSideEncryption"), "AES256",
       "SSE-S3 of the old version")
    expect_error(lambda: s3.get_object(Bucket=b, Key="k", VersionId=vc), "InvalidRequest", 400)
    expect_error(lambda: s3.get_object(Bucket=b, Key="k", VersionId=vc,
                                       SSECustomerAlgorithm="AES256",
                                       SSECustomerKey=os.urandom(32)), "AccessDenied", 403)
    if harness.HOME is None:
        return
    home = harness.HOME
    remote = s3_client(home.endpoint, home.access_key, home.secret_key)
    rb = home.prefix(srv.data_dir) + b
    eq(remote.get_bucket_versioning(Bucket=rb).get("Status"), "Enabled", "the remote bucket")
    rv = remote.list_object_versions(Bucket=rb)
    eq(sorted(v["VersionId"] for v in rv.get("Versions", [])), sorted([vc, vs, vp]),
       "the remote's versions are Strata's")
    for v in (vc, vs):
        h = remote.head_object(Bucket=rb, Key="k", VersionId=v)
        check(h["Metadata"].get("strata"), f"Strata's metadata on remote version {v}")
        raw = remote.get_object(Bucket=rb, Key="k", VersionId=v)["Body"].read()
        check(marker not in raw, f"the remote holds the plaintext of encrypted version {v}")


# ---------------------------------------------------------------- durability and storage

def _index(srv):
    return sqlite3.connect(f"file:{os.path.join(srv.data_dir, 'index.db')}?mode=ro", uri=True)


@timeout(240)
def test_restart_reads_every_version(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("ver", client=s3)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    want = {}
    for i in range(4):
        body = rand_bytes(100 * KiB + i)
        want[s3.put_object(Bucket=b, Key="k", Body=body)["VersionId"]] = body
    marker = s3.delete_object(Bucket=b, Key="k")["VersionId"]
    srv.kill9()
    srv.start()
    s3 = ctx.client(srv)
    for v, body in want.items():
        eq(s3.get_object(Bucket=b, Key="k", VersionId=v)["Body"].read(), body, f"version {v}")
    e = expect_error(lambda: s3.get_object(Bucket=b, Key="k"), "NoSuchKey", 404)
    eq(_headers(e).get("x-amz-version-id"), marker, "marker after the restart")


@posix_home_only("counts index rows and data files of the posix data directory")
@timeout(240)
def test_scrub_no_orphans_and_gc_of_deleted_version(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("ver", client=s3)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    ids = [s3.put_object(Bucket=b, Key="k", Body=rand_bytes(70 * KiB))["VersionId"]
           for _ in range(3)]
    s3.delete_object(Bucket=b, Key="k")
    srv.stop()
    db = _index(srv)
    try:
        files = [r[0] for r in db.execute(
            "SELECT object_id FROM objects WHERE bucket = '/v' AND layout = 0")]
    finally:
        db.close()
    eq(len(files), 3, "data rows of noncurrent versions")
    old = time.time() - 3600  # the orphan pass ignores young files (mid-commit)
    for root, _, names in os.walk(os.path.join(srv.data_dir, "objects")):
        for n in names:
            os.utime(os.path.join(root, n), (old, old))
    p = run_strata(ctx.binary, ["scrub", "--data", srv.data_dir], timeout=120)
    eq(p.returncode, 0, f"scrub exit status: {p.stdout} {p.stderr}")
    check("ORPHAN" not in p.stdout, f"orphans reported: {p.stdout}")
    check("scrubbed 3 objects" in p.stdout, f"noncurrent versions scrubbed: {p.stdout}")
    srv.start()
    s3 = ctx.client(srv)
    s3.delete_object(Bucket=b, Key="k", VersionId=ids[1])
    srv.stop()
    db = _index(srv)
    try:
        left = [r[0] for r in db.execute(
            "SELECT object_id FROM objects WHERE bucket = '/v' AND layout = 0")]
    finally:
        db.close()
    gone = set(files) - set(left)
    eq(len(gone), 1, "one data row left the index")
    f = gone.pop()
    check(not os.path.exists(os.path.join(srv.data_dir, "objects", f[:2], f)),
          "the deleted version's data file is still there after gc")


@posix_home_only("runs `strata lifecycle run --data` on the posix data directory")
@timeout(120)
def test_lifecycle_expiration_makes_marker(ctx):
    conf = ctx.path("lc.conf")
    with open(conf, "w") as f:
        f.write("lifecycle_interval = 0\nlifecycle_day_seconds = 1\nlifecycle_rate = 0\n"
                "scrub_interval = 0\n")
    srv = ctx.new_server(extra_args=["--config", conf])
    s3 = ctx.client(srv)
    b = ctx.bucket("ver", client=s3)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    v = s3.put_object(Bucket=b, Key="logs/a", Body=b"x")["VersionId"]
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
    vs, dms = _all_versions(s3, b)
    eq([x["VersionId"] for x in vs], [v], "the expired version is kept as noncurrent")
    eq([d["IsLatest"] for d in dms], [True], "a delete marker on top")
