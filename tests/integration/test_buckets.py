"""Buckets with boto3 at default settings: create, head, list, location, delete."""

import harness
from harness import check, eq, expect_error, raw_request, s3_client, uid


def test_create_head_list_delete(ctx):
    s3 = ctx.s3()
    b = ctx.name("bkt")
    r = s3.create_bucket(Bucket=b)
    eq(r["ResponseMetadata"]["HTTPStatusCode"], 200, "CreateBucket status")
    check(r.get("Location") in (f"/{b}", None) or b in (r.get("Location") or ""),
          f"CreateBucket Location header {r.get('Location')!r}")
    h = s3.head_bucket(Bucket=b)
    eq(h["ResponseMetadata"]["HTTPStatusCode"], 200, "HeadBucket status")
    names = [x["Name"] for x in s3.list_buckets()["Buckets"]]
    check(b in names, f"{b} missing from ListBuckets {names}")
    s3.delete_bucket(Bucket=b)
    expect_error(lambda: s3.head_bucket(Bucket=b), "404", 404)
    names = [x["Name"] for x in s3.list_buckets()["Buckets"]]
    check(b not in names, "deleted bucket still listed")


def test_list_buckets_fields(ctx):
    s3 = ctx.s3()
    b1, b2 = ctx.bucket("lb"), ctx.bucket("lb")
    r = s3.list_buckets()
    entries = {x["Name"]: x for x in r["Buckets"]}
    for b in (b1, b2):
        check(b in entries, f"{b} missing from ListBuckets")
        check(entries[b].get("CreationDate") is not None, "bucket without CreationDate")
    check(r.get("Owner", {}).get("ID"), f"ListBuckets without Owner/ID: {r.get('Owner')}")
    names = [x["Name"] for x in r["Buckets"]]
    eq(names, sorted(names), "ListBuckets order (AWS lists by name)")


def test_invalid_names(ctx):
    s3 = ctx.s3()
    bad = ["ab", "a" * 64, "Upper" + uid(6), "under_" + uid(6), "-start" + uid(6),
           "end" + uid(6) + "-", "dots.." + uid(6), "192.168.5.4", ".dot" + uid(6), uid(6) + "."]
    for name in bad:
        expect_error(lambda: s3.create_bucket(Bucket=name), "InvalidBucketName", 400)
    names = [x["Name"] for x in s3.list_buckets()["Buckets"]]
    leaked = [n for n in bad if n in names]
    eq(leaked, [], "invalid buckets that were created anyway")
    # Edge lengths that are valid: 3 and 63 characters (over an s3 home, 63 less the
    # length of the remote bucket prefix).
    longest = 63 - (len(harness.HOME.prefix(ctx.server.data_dir)) if harness.HOME else 0)
    for name in ("a" + uid(1) + "c", "v" + uid(12) + "-" + "x" * (longest - 14)):
        eq(len(name) in (3, longest), True, "test name length")
        s3.create_bucket(Bucket=name)
        s3.head_bucket(Bucket=name)
        s3.delete_bucket(Bucket=name)


def test_create_duplicate_same_owner(ctx):
    # AWS answers 409 BucketAlreadyOwnedByYou in every region but us-east-1, where
    # it answers 200 for legacy compatibility (s3-tests test_bucket_create_exists,
    # test_bucket_recreate_not_overriding). Either way nothing may be lost.
    s3 = ctx.s3()
    b = ctx.bucket("dup")
    s3.put_object(Bucket=b, Key="keep", Body=b"still here")
    r = s3.create_bucket(Bucket=b)
    eq(r["ResponseMetadata"]["HTTPStatusCode"], 200, "re-create in us-east-1")
    eq(r["Location"], f"/{b}", "Location of the re-created bucket")
    eq(s3.get_object(Bucket=b, Key="keep")["Body"].read(), b"still here",
       "object after re-creating its bucket")


def test_create_with_location_constraint(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("loc")
    eq(s3.get_bucket_location(Bucket=b).get("LocationConstraint"), None,
       "LocationConstraint of a us-east-1 bucket (AWS answers an empty element)")
    # A region the server is not in: AWS refuses it and creates nothing.
    b2 = ctx.name("loc")
    expect_error(lambda: s3.create_bucket(
        Bucket=b2, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}),
        {"InvalidLocationConstraint", "IllegalLocationConstraintException"}, 400)
    expect_error(lambda: s3.head_bucket(Bucket=b2), "404", 404)


def test_create_bucket_configuration_malformed(ctx):
    b = ctx.name("badcfg")
    r = raw_request(ctx.server, "PUT", f"/{b}", body=b"<CreateBucketConfiguration><Loc")
    eq(r.status, 400, f"status for malformed CreateBucketConfiguration ({r})")
    eq(r.error().get("Code"), "MalformedXML", "error code")
    r = raw_request(ctx.server, "HEAD", f"/{b}")
    eq(r.status, 404, "bucket created from a malformed request")


def test_head_missing_bucket(ctx):
    s3 = ctx.s3()
    expect_error(lambda: s3.head_bucket(Bucket=ctx.name("nope")), "404", 404)
    expect_error(lambda: s3.get_bucket_location(Bucket=ctx.name("nope")), "NoSuchBucket", 404)
    expect_error(lambda: s3.list_objects_v2(Bucket=ctx.name("nope")), "NoSuchBucket", 404)
    expect_error(lambda: s3.put_object(Bucket=ctx.name("nope"), Key="k", Body=b"x"),
                 "NoSuchBucket", 404)
    expect_error(lambda: s3.get_object(Bucket=ctx.name("nope"), Key="k"), "NoSuchBucket", 404)
    expect_error(lambda: s3.delete_object(Bucket=ctx.name("nope"), Key="k"), "NoSuchBucket", 404)
    expect_error(lambda: s3.head_object(Bucket=ctx.name("nope"), Key="k"), "404", 404)


def test_delete_not_empty_and_missing(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("del")
    s3.put_object(Bucket=b, Key="x/y", Body=b"1")
    expect_error(lambda: s3.delete_bucket(Bucket=b), "BucketNotEmpty", 409)
    s3.head_bucket(Bucket=b)
    eq(s3.get_object(Bucket=b, Key="x/y")["Body"].read(), b"1", "object after refused delete")
    s3.delete_object(Bucket=b, Key="x/y")
    r = s3.delete_bucket(Bucket=b)
    eq(r["ResponseMetadata"]["HTTPStatusCode"], 204, "DeleteBucket status")
    expect_error(lambda: s3.delete_bucket(Bucket=b), "NoSuchBucket", 404)


def test_bucket_name_reusable_after_delete(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("reuse")
    s3.put_object(Bucket=b, Key="old", Body=b"old")
    s3.delete_object(Bucket=b, Key="old")
    s3.delete_bucket(Bucket=b)
    s3.create_bucket(Bucket=b)
    r = s3.list_objects_v2(Bucket=b)
    eq(r.get("KeyCount"), 0, "objects in a re-created bucket")


def test_region_flag_location(ctx):
    srv = ctx.new_server(extra_args=["--region", "eu-west-3"])
    s3 = s3_client(srv.endpoint, srv.access, srv.secret, region="eu-west-3")
    b = ctx.name("reg")
    s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    eq(s3.get_bucket_location(Bucket=b).get("LocationConstraint"), "eu-west-3",
       "GetBucketLocation on a eu-west-3 server")
    # Outside us-east-1, re-creating one's own bucket is 409 (AWS).
    expect_error(lambda: s3.create_bucket(
        Bucket=b, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}),
        "BucketAlreadyOwnedByYou", 409)
    b2 = ctx.name("reg")
    expect_error(lambda: s3.create_bucket(
        Bucket=b2, CreateBucketConfiguration={"LocationConstraint": "ap-south-1"}),
        {"InvalidLocationConstraint", "IllegalLocationConstraintException"}, 400)
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    eq(s3.get_object(Bucket=b, Key="k")["Body"].read(), b"x", "object on a eu-west-3 server")
