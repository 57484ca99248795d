"""What is not implemented answers 501 NotImplemented as an S3 XML error and
changes nothing; nothing is silently accepted and ignored. When a feature lands,
its test checks that the feature really works (or is skipped) instead."""

import json

from botocore.exceptions import ClientError

from harness import Skip, anonymous_client, check, eq, expect_error, object_bytes, raw_request


def _not_implemented(fn):
    r = expect_error(fn, "NotImplemented", 501)
    check(r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id"),
          "501 without x-amz-request-id")
    check(r["Error"].get("Message"), "501 without a Message")
    return r


def test_bucket_policy(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("pol")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{b}/*"}]}
    _not_implemented(lambda: s3.put_bucket_policy(Bucket=b, Policy=json.dumps(policy)))
    s3.put_object(Bucket=b, Key="k", Body=b"private")
    expect_error(lambda: anonymous_client(ctx.server.endpoint).get_object(Bucket=b, Key="k"),
                 "AccessDenied", 403)


def test_bucket_website(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("web")
    _not_implemented(lambda: s3.put_bucket_website(
        Bucket=b, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}}))


def test_bucket_acl_public(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("acl")
    _not_implemented(lambda: s3.put_bucket_acl(Bucket=b, ACL="public-read"))


def test_object_acl_public(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("oacl")
    try:
        s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="public-read")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "NotImplemented", "put_object ACL=public-read")
        eq(object_bytes(s3, b, "k"), None, "object stored although the ACL was refused")
        return
    # Accepted: then anonymous reads must really work.
    anon = anonymous_client(ctx.server.endpoint)
    eq(anon.get_object(Bucket=b, Key="k")["Body"].read(), b"x",
       "public-read accepted but not enforced")


def test_sse_kms(ctx):
    # SSE-S3 and SSE-C are implemented (test_encryption.py); KMS is not, and is
    # refused rather than silently stored under another scheme.
    s3 = ctx.s3()
    b = ctx.bucket("kms")
    _not_implemented(lambda: s3.put_object(Bucket=b, Key="k", Body=b"x",
                                           ServerSideEncryption="aws:kms"))
    eq(object_bytes(s3, b, "k"), None, "stored although SSE-KMS was refused")
    _not_implemented(lambda: s3.put_bucket_encryption(
        Bucket=b, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}))


def test_versioning_enable(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("vers")
    try:
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    except ClientError as e:
        eq((e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]),
           ("NotImplemented", 501), "PutBucketVersioning")
        check("Status" not in s3.get_bucket_versioning(Bucket=b), "versioning status changed")
        return
    eq(s3.get_bucket_versioning(Bucket=b).get("Status"), "Enabled", "accepted but not enabled")
    raise Skip("versioning is implemented")


def test_lifecycle_and_object_lock(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("lc")
    try:
        s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [{
            "ID": "tmp", "Filter": {"Prefix": "temp/"}, "Status": "Enabled",
            "Expiration": {"Days": 7}}]})
        lifecycle = True
    except ClientError as e:
        eq(e.response["Error"]["Code"], "NotImplemented", "PutBucketLifecycleConfiguration")
        lifecycle = False
    if lifecycle:
        r = s3.get_bucket_lifecycle_configuration(Bucket=b)
        eq(r["Rules"][0]["ID"], "tmp", "lifecycle accepted but not stored")
    # Object Lock is built (test_object_lock); a bucket without it refuses a locked PUT.
    expect_error(lambda: s3.put_object(Bucket=b, Key="k", Body=b"x",
                                       ObjectLockMode="GOVERNANCE",
                                       ObjectLockRetainUntilDate="2099-01-01T00:00:00Z"),
                 "InvalidRequest", 400)


def test_unknown_subresource_raw(ctx):
    b = ctx.bucket("raw")
    for q in ("tagging", "replication", "website"):
        r = raw_request(ctx.server, "PUT", f"/{b}", query=[(q, None)],
                        body=b"<x/>")
        eq((r.status, r.error().get("Code")), (501, "NotImplemented"), f"PUT ?{q}")
        check(r.error().get("RequestId"), f"PUT ?{q}: error without RequestId")
