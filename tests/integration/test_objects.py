"""Objects with boto3 at default settings: put/get/head/delete, metadata, ranges,
conditions, checksums, keys, copy, multi-delete, transfers."""

import concurrent.futures
import datetime
import email.utils
import gzip
import hashlib
import os

import botocore
from botocore.exceptions import ClientError

from harness import (b64, check, checksum_b64, eq, expect_error, md5_hex, object_bytes,
                     parametrize, rand_bytes, raw_request, s3_client, same_bytes, sha256_hex,
                     timeout)

MiB = 1024 * 1024


@parametrize(0, 1, MiB, 7 * MiB)
def test_put_get_bytes(ctx, size):
    s3 = ctx.s3()
    b = ctx.bucket("obj")
    data = rand_bytes(size)
    r = s3.put_object(Bucket=b, Key="blob", Body=data)
    eq(r["ETag"], f'"{md5_hex(data)}"', "PutObject ETag")
    g = s3.get_object(Bucket=b, Key="blob")
    same_bytes(g["Body"].read(), data)
    eq(g["ETag"], f'"{md5_hex(data)}"', "GetObject ETag")
    eq(g["ContentLength"], size, "GetObject Content-Length")
    h = s3.head_object(Bucket=b, Key="blob")
    eq(h["ContentLength"], size, "HeadObject Content-Length")
    eq(h["ETag"], f'"{md5_hex(data)}"', "HeadObject ETag")
    check(isinstance(h.get("LastModified"), datetime.datetime), "HeadObject without Last-Modified")
    age = abs((datetime.datetime.now(datetime.timezone.utc) - h["LastModified"]).total_seconds())
    check(age < 120, f"Last-Modified {h['LastModified']} is {age:.0f} s from now")
    d = s3.delete_object(Bucket=b, Key="blob")
    eq(d["ResponseMetadata"]["HTTPStatusCode"], 204, "DeleteObject status")
    expect_error(lambda: s3.get_object(Bucket=b, Key="blob"), "NoSuchKey", 404)


def test_overwrite_replaces(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("ow")
    s3.put_object(Bucket=b, Key="k", Body=b"first version", Metadata={"v": "1"},
                  ContentType="text/plain")
    s3.put_object(Bucket=b, Key="k", Body=b"2nd")
    g = s3.get_object(Bucket=b, Key="k")
    eq(g["Body"].read(), b"2nd", "bytes after overwrite")
    eq(g.get("Metadata"), {}, "metadata of the first version survived an overwrite")
    eq(s3.list_objects_v2(Bucket=b)["KeyCount"], 1, "keys after overwrite")


def test_missing_key(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("miss")
    e = expect_error(lambda: s3.get_object(Bucket=b, Key="nope/x"), "NoSuchKey", 404)
    check(e["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id"), "404 without request id")
    expect_error(lambda: s3.head_object(Bucket=b, Key="nope/x"), "404", 404)
    # Deleting a missing key is a success on S3.
    eq(s3.delete_object(Bucket=b, Key="nope/x")["ResponseMetadata"]["HTTPStatusCode"], 204,
       "DeleteObject of a missing key")
    r = raw_request(ctx.server, "GET", f"/{b}/nope/x")
    err = r.error()
    eq(err.get("Code"), "NoSuchKey", "raw error code")
    if "Key" in err:
        eq(err.get("Key"), "nope/x", "error document <Key>")
    check(err.get("RequestId"), f"error document without RequestId: {r.body[:300]!r}")
    check(err.get("Message"), "error document without Message")
    eq(err.get("RequestId"), r.header("x-amz-request-id"), "RequestId vs x-amz-request-id")


def test_etag_is_md5(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("etag")
    for data in (b"", b"hello", rand_bytes(100_000)):
        r = s3.put_object(Bucket=b, Key="e", Body=data)
        eq(r["ETag"], '"%s"' % hashlib.md5(data).hexdigest(), f"ETag of {len(data)} bytes")
    eq(s3.head_object(Bucket=b, Key="e")["ETag"], '"%s"' % md5_hex(data), "HEAD ETag")


def test_user_metadata_roundtrip(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("meta")
    meta = {"sha256": "ab" * 32, "Mixed-Case": "Value With Spaces", "empty": "",
            "n": "12345"}
    s3.put_object(Bucket=b, Key="m", Body=b"x", Metadata=meta)
    want = {k.lower(): v for k, v in meta.items()}
    eq(s3.head_object(Bucket=b, Key="m")["Metadata"], want, "HEAD metadata")
    eq(s3.get_object(Bucket=b, Key="m")["Metadata"], want, "GET metadata")


def test_user_metadata_cap(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("metacap")
    s3.put_object(Bucket=b, Key="ok", Body=b"x", Metadata={"a": "v" * 1900})
    eq(s3.head_object(Bucket=b, Key="ok")["Metadata"]["a"], "v" * 1900, "1900-byte value")
    expect_error(lambda: s3.put_object(Bucket=b, Key="big", Body=b"x",
                                       Metadata={"a": "v" * 1100, "b": "w" * 1100}),
                 "MetadataTooLarge", 400)
    expect_error(lambda: s3.head_object(Bucket=b, Key="big"), "404", 404)
    s3.put_object(Bucket=b, Key="ok", Body=b"old")
    expect_error(lambda: s3.put_object(Bucket=b, Key="ok", Body=b"new",
                                       Metadata={"z": "q" * 2100}), "MetadataTooLarge", 400)
    eq(s3.get_object(Bucket=b, Key="ok")["Body"].read(), b"old", "object after refused put")


def test_content_encoding_aws_chunked_stripped(ctx):
    # AWS drops the aws-chunked framing token from Content-Encoding and keeps the rest
    # as sent, ", " included (s3-tests test_object_content_encoding_aws_chunked).
    s3 = ctx.s3()
    b = ctx.bucket("enc")
    for sent, kept in (("gzip", "gzip"), ("deflate, gzip", "deflate, gzip"),
                       ("gzip, aws-chunked", "gzip"), ("aws-chunked, gzip", "gzip"),
                       ("aws-chunked,deflate,gzip", "deflate, gzip"),
                       ("aws-chunked", None), ("aws-chunked, aws-chunked", None)):
        s3.put_object(Bucket=b, Key="k", Body=b"x", ContentEncoding=sent)
        r = s3.head_object(Bucket=b, Key="k")
        eq(r.get("ContentEncoding"), kept, f"Content-Encoding stored for {sent!r}")


def test_content_headers_roundtrip(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("hdr")
    body = gzip.compress(b"hello hello hello")
    expires = datetime.datetime(2037, 1, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
    s3.put_object(Bucket=b, Key="h", Body=body, ContentType="application/dicom",
                  ContentEncoding="gzip", ContentDisposition='attachment; filename="a.dcm"',
                  ContentLanguage="de-DE", CacheControl="max-age=3600, private",
                  Expires=expires)
    for op in ("head", "get"):
        r = (s3.head_object if op == "head" else s3.get_object)(Bucket=b, Key="h")
        raw = r["ResponseMetadata"]["HTTPHeaders"]
        eq(r["ContentType"], "application/dicom", f"{op} Content-Type")
        eq(r["ContentEncoding"], "gzip", f"{op} Content-Encoding")
        eq(r["ContentDisposition"], 'attachment; filename="a.dcm"', f"{op} Content-Disposition")
        eq(r["ContentLanguage"], "de-DE", f"{op} Content-Language")
        eq(r["CacheControl"], "max-age=3600, private", f"{op} Cache-Control")
        check("expires" in raw, f"{op}: no Expires header")
        eq(email.utils.parsedate_to_datetime(raw["expires"]), expires, f"{op} Expires")
        if op == "get":
            eq(r["Body"].read(), body, "gzip body returned untouched")
    s3.put_object(Bucket=b, Key="plain", Body=b"x")
    ct = s3.head_object(Bucket=b, Key="plain")["ContentType"]
    check(ct in ("binary/octet-stream", "application/octet-stream"),
          f"default Content-Type {ct!r}")


def test_range_requests(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("range")
    data = bytes(range(256)) * 40  # 10240 bytes
    n = len(data)
    s3.put_object(Bucket=b, Key="r", Body=data)
    cases = [("bytes=0-9", 0, 9), ("bytes=100-199", 100, 199), ("bytes=10000-", 10000, n - 1),
             ("bytes=-300", n - 300, n - 1), ("bytes=10230-99999", 10230, n - 1),
             ("bytes=0-0", 0, 0), ("bytes=-99999", 0, n - 1)]
    for spec, first, last in cases:
        r = s3.get_object(Bucket=b, Key="r", Range=spec)
        eq(r["ResponseMetadata"]["HTTPStatusCode"], 206, f"{spec} status")
        eq(r["ContentRange"], f"bytes {first}-{last}/{n}", f"{spec} Content-Range")
        eq(r["ContentLength"], last - first + 1, f"{spec} Content-Length")
        same_bytes(r["Body"].read(), data[first:last + 1], f"{spec} body")
    for spec in ("bytes=10240-", "bytes=20000-20010"):
        expect_error(lambda: s3.get_object(Bucket=b, Key="r", Range=spec), "InvalidRange", 416)
    r = raw_request(ctx.server, "GET", f"/{b}/r", headers={"Range": "bytes=10240-"})
    eq(r.status, 416, "raw unsatisfiable range status")
    eq(r.error().get("Code"), "InvalidRange", "raw unsatisfiable range code")
    h = s3.head_object(Bucket=b, Key="r", Range="bytes=1-2")
    eq(h["ResponseMetadata"]["HTTPStatusCode"], 206, "HEAD with Range status")
    eq(h["ContentLength"], 2, "HEAD with Range Content-Length")
    # A range header S3 does not understand is ignored: the whole object, 200.
    r = raw_request(ctx.server, "GET", f"/{b}/r", headers={"Range": "items=0-5"})
    eq(r.status, 200, "status for a non-bytes Range unit")
    eq(len(r.body), n, "body length for a non-bytes Range unit")


def test_conditional_get(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("cond")
    s3.put_object(Bucket=b, Key="c", Body=b"conditional")
    h = s3.head_object(Bucket=b, Key="c")
    etag, lm = h["ETag"], h["LastModified"]
    before, after = lm - datetime.timedelta(days=1), lm + datetime.timedelta(seconds=1)
    # Last-Modified has whole seconds; sending it back must compare as "not modified".
    ok = lambda **kw: eq(s3.get_object(Bucket=b, Key="c", **kw)["Body"].read(),  # noqa: E731
                         b"conditional", f"GET with {kw}")
    ok(IfMatch=etag)
    ok(IfNoneMatch='"00000000000000000000000000000000"')
    ok(IfModifiedSince=before)
    ok(IfUnmodifiedSince=lm)
    ok(IfUnmodifiedSince=after)
    expect_error(lambda: s3.get_object(Bucket=b, Key="c", IfMatch='"0123"'),
                 "PreconditionFailed", 412)
    expect_error(lambda: s3.get_object(Bucket=b, Key="c", IfUnmodifiedSince=before),
                 "PreconditionFailed", 412)
    expect_error(lambda: s3.get_object(Bucket=b, Key="c", IfNoneMatch=etag), "304", 304)
    expect_error(lambda: s3.get_object(Bucket=b, Key="c", IfModifiedSince=lm), "304", 304)
    # RFC 7232 / S3 precedence: If-Match true wins over If-Unmodified-Since false;
    # If-None-Match false wins (304) over If-Modified-Since true.
    ok(IfMatch=etag, IfUnmodifiedSince=before)
    expect_error(lambda: s3.get_object(Bucket=b, Key="c", IfNoneMatch=etag,
                                       IfModifiedSince=before), "304", 304)
    # HEAD answers the same conditions.
    expect_error(lambda: s3.head_object(Bucket=b, Key="c", IfMatch='"0123"'), "412", 412)
    expect_error(lambda: s3.head_object(Bucket=b, Key="c", IfNoneMatch=etag), "304", 304)
    r = raw_request(ctx.server, "GET", f"/{b}/c", headers={"If-None-Match": etag})
    eq(r.status, 304, "raw If-None-Match status")
    eq(r.body, b"", "a 304 has no body")
    eq(r.header("etag"), etag, "a 304 carries the ETag")


def test_response_overrides(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("ovr")
    s3.put_object(Bucket=b, Key="o", Body=b"data", ContentType="text/plain")
    r = s3.get_object(Bucket=b, Key="o", ResponseContentType="application/x-test",
                      ResponseContentDisposition="attachment; filename=x.bin",
                      ResponseContentLanguage="fr", ResponseCacheControl="no-cache",
                      ResponseContentEncoding="identity",
                      ResponseExpires=datetime.datetime(2030, 5, 6, 7, 8, 9,
                                                        tzinfo=datetime.timezone.utc))
    raw = r["ResponseMetadata"]["HTTPHeaders"]
    eq(raw.get("content-type"), "application/x-test", "overridden Content-Type")
    eq(raw.get("content-disposition"), "attachment; filename=x.bin", "Content-Disposition")
    eq(raw.get("content-language"), "fr", "Content-Language")
    eq(raw.get("cache-control"), "no-cache", "Cache-Control")
    eq(raw.get("content-encoding"), "identity", "Content-Encoding")
    check("2030" in (raw.get("expires") or ""), f"overridden Expires {raw.get('expires')!r}")
    eq(r["Body"].read(), b"data", "body")
    eq(s3.head_object(Bucket=b, Key="o")["ContentType"], "text/plain",
       "stored Content-Type changed by an override")


@parametrize("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
def test_checksum_roundtrip(ctx, algo):
    s3 = ctx.s3()
    b = ctx.bucket("ck")
    data = rand_bytes(70_000)
    want = checksum_b64(algo, data)
    member = "Checksum" + algo
    supported = botocore.httpchecksum._CHECKSUM_CLS  # what botocore computes itself
    if algo.lower() in supported:
        r = s3.put_object(Bucket=b, Key="k", Body=data, ChecksumAlgorithm=algo)
    else:
        # botocore needs awscrt for this algorithm: send the value we computed.
        r = s3.put_object(Bucket=b, Key="k", Body=data, **{member: want})
    eq(r.get(member), want, f"PutObject echoes {member}")
    g = s3.get_object(Bucket=b, Key="k", ChecksumMode="ENABLED")
    same_bytes(g["Body"].read(), data)
    eq(g.get(member), want, f"GetObject {member}")
    h = s3.head_object(Bucket=b, Key="k", ChecksumMode="ENABLED")
    eq(h.get(member), want, f"HeadObject {member}")


def test_default_put_checksum_crc32(ctx):
    # boto3 1.43 computes CRC32 by default and validates it on download.
    s3 = ctx.s3()
    b = ctx.bucket("ckd")
    data = rand_bytes(123_457)
    r = s3.put_object(Bucket=b, Key="k", Body=data)
    eq(r.get("ChecksumCRC32"), checksum_b64("crc32", data), "default CRC32 echoed by PutObject")
    g = s3.get_object(Bucket=b, Key="k")
    same_bytes(g["Body"].read(), data)
    eq(g.get("ChecksumCRC32"), checksum_b64("crc32", data), "CRC32 on a default GET")


def test_wrong_checksum_rejected(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("bad")
    s3.put_object(Bucket=b, Key="k", Body=b"previous")
    wrong_crc = checksum_b64("crc32", b"something else")
    expect_error(lambda: s3.put_object(Bucket=b, Key="k", Body=b"new bytes",
                                       ChecksumCRC32=wrong_crc), "BadDigest", 400)
    expect_error(lambda: s3.put_object(Bucket=b, Key="k2", Body=b"new bytes",
                                       ChecksumSHA256=checksum_b64("sha256", b"zz")),
                 "BadDigest", 400)
    expect_error(lambda: s3.put_object(Bucket=b, Key="k2", Body=b"new bytes",
                                       ChecksumCRC32C=checksum_b64("crc32c", b"zz")),
                 "BadDigest", 400)
    eq(s3.get_object(Bucket=b, Key="k")["Body"].read(), b"previous", "previous object")
    expect_error(lambda: s3.head_object(Bucket=b, Key="k2"), "404", 404)
    # A raw header as any client could send it.
    r = raw_request(ctx.server, "PUT", f"/{b}/k", body=b"raw new",
                    headers={"x-amz-checksum-crc32": wrong_crc})
    eq((r.status, r.error().get("Code")), (400, "BadDigest"), "raw wrong x-amz-checksum-crc32")
    eq(s3.get_object(Bucket=b, Key="k")["Body"].read(), b"previous", "previous object")


def test_content_md5(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("md5")
    data = b"content md5 test"
    s3.put_object(Bucket=b, Key="k", Body=data, ContentMD5=b64(hashlib.md5(data).digest()))
    expect_error(lambda: s3.put_object(Bucket=b, Key="k", Body=b"other data",
                                       ContentMD5=b64(hashlib.md5(b"x").digest())),
                 "BadDigest", 400)
    eq(s3.get_object(Bucket=b, Key="k")["Body"].read(), data, "object after bad Content-MD5")
    r = raw_request(ctx.server, "PUT", f"/{b}/k", body=b"abc",
                    headers={"Content-MD5": "not base64 at all!"})
    eq((r.status, r.error().get("Code")), (400, "InvalidDigest"), "malformed Content-MD5")
    eq(s3.get_object(Bucket=b, Key="k")["Body"].read(), data, "object after bad Content-MD5")


def test_special_keys(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("keys")
    keys = ["a", "a/b", "..", "a//b", "trailing/", "ключ/日本語.dcm", "sp ace+plus%pct",
            "./dot", "a/../b", "q?x=1&y=#frag", "~tilde*star'quote\"(paren)", "x" * 1024,
            "é" * 512]
    for k in keys:
        s3.put_object(Bucket=b, Key=k, Body=k.encode())
    for k in keys:
        eq(s3.get_object(Bucket=b, Key=k)["Body"].read(), k.encode(), f"bytes of key {k[:40]!r}")
        eq(s3.head_object(Bucket=b, Key=k)["ContentLength"], len(k.encode()), "HEAD length")
    listed = []
    for p in s3.get_paginator("list_objects_v2").paginate(Bucket=b):
        listed += [o["Key"] for o in p.get("Contents", [])]
    eq(sorted(listed), sorted(keys, key=lambda s: s.encode()), "listed keys")
    eq(listed, sorted(keys, key=lambda s: s.encode()), "listing order (UTF-8 byte order)")
    s3.delete_object(Bucket=b, Key="a")
    eq(object_bytes(s3, b, "a/b"), b"a/b", "a/b after deleting a")
    eq(object_bytes(s3, b, "a"), None, "a after delete")


def test_key_too_long(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("long")
    expect_error(lambda: s3.put_object(Bucket=b, Key="y" * 1025, Body=b"x"),
                 "KeyTooLongError", 400)
    expect_error(lambda: s3.put_object(Bucket=b, Key="é" * 513, Body=b"x"),
                 "KeyTooLongError", 400)  # 1026 bytes of UTF-8
    eq(s3.list_objects_v2(Bucket=b)["KeyCount"], 0, "keys after refused puts")


def test_dicom_key_with_sha256_metadata(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("dicom")
    data = b"\0" * 128 + b"DICM" + rand_bytes(300_000)
    key = ("dicom/PAT-000123/1.2.840.113619.2.55.3.604688119.969.1268071029.320/"
           "1.2.840.113619.2.55.3.604688119.969.1268071029.321/IM-0001-0001.dcm")
    s3.put_object(Bucket=b, Key=key, Body=data, ContentType="application/dicom",
                  Metadata={"sha256": sha256_hex(data)})
    g = s3.get_object(Bucket=b, Key=key)
    body = g["Body"].read()
    eq(sha256_hex(body), g["Metadata"]["sha256"], "SHA-256 of the body vs its metadata")
    eq(g["ContentType"], "application/dicom", "Content-Type")


def test_copy_object(ctx):
    s3 = ctx.s3()
    b, b2 = ctx.bucket("cp"), ctx.bucket("cp")
    data = rand_bytes(200_000)
    s3.put_object(Bucket=b, Key="src/ключ", Body=data, ContentType="image/png",
                  Metadata={"a": "1"}, CacheControl="max-age=1")
    src = {"Bucket": b, "Key": "src/ключ"}
    r = s3.copy_object(Bucket=b2, Key="copy", CopySource=src)
    eq(r["CopyObjectResult"]["ETag"], f'"{md5_hex(data)}"', "copy ETag")
    g = s3.get_object(Bucket=b2, Key="copy")
    same_bytes(g["Body"].read(), data)
    eq(g["Metadata"], {"a": "1"}, "COPY directive keeps metadata")
    eq(g["ContentType"], "image/png", "COPY directive keeps Content-Type")
    s3.copy_object(Bucket=b2, Key="repl", CopySource=src, MetadataDirective="REPLACE",
                   Metadata={"b": "2"}, ContentType="text/x-new")
    h = s3.head_object(Bucket=b2, Key="repl")
    eq(h["Metadata"], {"b": "2"}, "REPLACE directive metadata")
    eq(h["ContentType"], "text/x-new", "REPLACE directive Content-Type")
    eq(h.get("CacheControl"), None, "REPLACE drops the old Cache-Control")
    # Copy onto itself: only with REPLACE (AWS: InvalidRequest otherwise).
    expect_error(lambda: s3.copy_object(Bucket=b, Key="src/ключ", CopySource=src),
                 "InvalidRequest", 400)
    s3.copy_object(Bucket=b, Key="src/ключ", CopySource=src, MetadataDirective="REPLACE",
                   Metadata={"c": "3"})
    g = s3.get_object(Bucket=b, Key="src/ключ")
    same_bytes(g["Body"].read(), data, "self-copy body")
    eq(g["Metadata"], {"c": "3"}, "self-copy metadata")
    # Source preconditions.
    etag = f'"{md5_hex(data)}"'
    expect_error(lambda: s3.copy_object(Bucket=b2, Key="c2", CopySource=src,
                                        CopySourceIfMatch='"deadbeef"'), "PreconditionFailed", 412)
    expect_error(lambda: s3.copy_object(Bucket=b2, Key="c2", CopySource=src,
                                        CopySourceIfNoneMatch=etag), "PreconditionFailed", 412)
    old = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    expect_error(lambda: s3.copy_object(Bucket=b2, Key="c2", CopySource=src,
                                        CopySourceIfUnmodifiedSince=old), "PreconditionFailed", 412)
    s3.copy_object(Bucket=b2, Key="c3", CopySource=src, CopySourceIfMatch=etag,
                   CopySourceIfModifiedSince=old)
    expect_error(lambda: s3.head_object(Bucket=b2, Key="c2"), "404", 404)
    same_bytes(s3.get_object(Bucket=b2, Key="c3")["Body"].read(), data, "conditional copy")
    expect_error(lambda: s3.copy_object(Bucket=b2, Key="c4",
                                        CopySource={"Bucket": b, "Key": "missing"}),
                 "NoSuchKey", 404)
    expect_error(lambda: s3.copy_object(Bucket=ctx.name("none"), Key="c5", CopySource=src),
                 "NoSuchBucket", 404)


def test_copy_preserves_checksum_and_empty(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("cpe")
    s3.put_object(Bucket=b, Key="empty", Body=b"")
    s3.copy_object(Bucket=b, Key="empty2", CopySource={"Bucket": b, "Key": "empty"})
    eq(s3.get_object(Bucket=b, Key="empty2")["Body"].read(), b"", "copied empty object")


def _seed(s3, b, keys):
    for k in keys:
        s3.put_object(Bucket=b, Key=k, Body=b"x")


def test_delete_objects_quiet_and_verbose(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mdel")
    _seed(s3, b, ["k1", "k2", "dir/k3", "keep"])
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k1"}, {"Key": "dir/k3"},
                                                        {"Key": "never-existed"}]})
    eq(sorted(d["Key"] for d in r.get("Deleted", [])), ["dir/k3", "k1", "never-existed"],
       "verbose Deleted entries (S3 reports missing keys as deleted)")
    eq(r.get("Errors", []), [], "verbose Errors")
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k2"}], "Quiet": True})
    eq(r.get("Deleted", []), [], "quiet mode lists no deleted keys")
    eq(r.get("Errors", []), [], "quiet Errors")
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", [])]
    eq(left, ["keep"], "keys left")


@timeout(240)
def test_delete_objects_1000(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("md1k")
    keys = [f"bulk/{i:04d}" for i in range(1000)]
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda k: s3.put_object(Bucket=b, Key=k, Body=b"x"), keys))
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in keys],
                                            "Quiet": True})
    eq(r.get("Errors", []), [], "errors deleting 1000 keys")
    eq(s3.list_objects_v2(Bucket=b)["KeyCount"], 0, "keys left after deleting 1000")


def test_delete_objects_odd_keys(ctx):
    # Keys that need XML escaping or are not ASCII, in the request and the reply.
    s3 = ctx.s3()
    b = ctx.bucket("mdodd")
    keys = ["amp&lt<gt>", "ключ/日本語.dcm", "sp ace+plus", "quote\"'", "a//b", ".."]
    _seed(s3, b, keys + ["keep"])
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in keys]})
    eq(sorted(d["Key"] for d in r.get("Deleted", [])), sorted(keys), "Deleted keys echoed")
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", [])]
    eq(left, ["keep"], "keys left")
    expect_error(lambda: s3.delete_objects(Bucket=ctx.name("none"),
                                           Delete={"Objects": [{"Key": "k"}]}),
                 "NoSuchBucket", 404)


def _md5_instead_of_checksum(request, **kwargs):
    body = request.body or b""
    if not isinstance(body, bytes):
        body = body.encode()
    for h in list(request.headers.keys()):
        if h.lower().startswith("x-amz-checksum-") or h.lower() == "x-amz-sdk-checksum-algorithm":
            del request.headers[h]
    _set_header(request, "Content-MD5", b64(hashlib.md5(body).digest()))


def _set_header(request, name, value):
    # botocore's HTTPHeaders appends on assignment: remove first, then set.
    if name in request.headers:
        del request.headers[name]
    request.headers[name] = value


def _no_digest(request, **kwargs):
    for h in list(request.headers.keys()):
        if h.lower().startswith("x-amz-checksum-") or h.lower() in (
                "x-amz-sdk-checksum-algorithm", "content-md5"):
            del request.headers[h]


def _wrong_md5(request, **kwargs):
    _md5_instead_of_checksum(request)
    _set_header(request, "Content-MD5", b64(hashlib.md5(b"not the body").digest()))


@parametrize("content-md5", "no-digest", "wrong-md5")
def test_delete_objects_digest_variants(ctx, variant):
    # boto3 1.43 sends x-amz-checksum-crc32 and no Content-MD5; older SDKs send
    # Content-MD5; some send neither. A wrong Content-MD5 deletes nothing.
    s3 = s3_client(ctx.server.endpoint, ctx.server.access, ctx.server.secret)  # own hooks
    b = ctx.bucket("mdv", client=s3)
    _seed(s3, b, ["d1", "d2"])
    hook = {"content-md5": _md5_instead_of_checksum, "no-digest": _no_digest,
            "wrong-md5": _wrong_md5}[variant]
    s3.meta.events.register_first("before-sign.s3.DeleteObjects", hook)
    try:
        call = lambda: s3.delete_objects(  # noqa: E731
            Bucket=b, Delete={"Objects": [{"Key": "d1"}, {"Key": "d2"}]})
        if variant == "wrong-md5":
            expect_error(call, {"BadDigest", "InvalidDigest"}, 400)
        else:
            r = call()
            eq(sorted(d["Key"] for d in r.get("Deleted", [])), ["d1", "d2"], "Deleted")
    finally:
        s3.meta.events.unregister("before-sign.s3.DeleteObjects", hook)
    left = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", []))
    eq(left, ["d1", "d2"] if variant == "wrong-md5" else [], "keys left")


def test_request_id_on_every_reply(ctx):
    s3 = ctx.s3()
    seen = []

    def record(http_response, **kwargs):
        seen.append((kwargs.get("model").name if kwargs.get("model") else "?",
                     http_response.status_code, http_response.headers.get("x-amz-request-id")))

    s3.meta.events.register("after-call.s3", record)
    try:
        b = ctx.bucket("rid", client=s3)
        s3.put_object(Bucket=b, Key="k", Body=b"0123456789")
        s3.get_object(Bucket=b, Key="k")["Body"].read()
        s3.get_object(Bucket=b, Key="k", Range="bytes=0-1")["Body"].read()
        s3.head_object(Bucket=b, Key="k")
        s3.list_objects_v2(Bucket=b)
        s3.list_objects(Bucket=b)
        s3.list_buckets()
        s3.get_bucket_location(Bucket=b)
        for fn in (lambda: s3.get_object(Bucket=b, Key="none"),
                   lambda: s3.head_object(Bucket=b, Key="none"),
                   lambda: s3.get_object(Bucket=b, Key="k", Range="bytes=50-"),
                   lambda: s3.get_object(Bucket=b, Key="k", IfNoneMatch="*"),
                   lambda: s3.head_bucket(Bucket=ctx.name("none")),
                   lambda: s3.delete_bucket(Bucket=b)):
            try:
                fn()
            except ClientError:
                pass
        s3.delete_object(Bucket=b, Key="k")
        s3.delete_bucket(Bucket=b)
    finally:
        s3.meta.events.unregister("after-call.s3", record)
    missing = [(op, st) for op, st, rid in seen if not rid]
    eq(missing, [], "replies without x-amz-request-id")
    check(len(seen) >= 15, f"only {len(seen)} replies observed")
    ids = [rid for _op, _st, rid in seen]
    eq(len(set(ids)), len(ids), "request ids are unique")


@timeout(240)
def test_upload_download_file(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("xfer")
    src = ctx.path("seven.bin")
    data = rand_bytes(7 * MiB)
    with open(src, "wb") as f:
        f.write(data)
    s3.upload_file(src, b, "files/seven.bin")
    eq(s3.head_object(Bucket=b, Key="files/seven.bin")["ETag"], f'"{md5_hex(data)}"',
       "ETag after upload_file (single part below 8 MiB)")
    dst = ctx.path("seven.out")
    s3.download_file(b, "files/seven.bin", dst)
    with open(dst, "rb") as f:
        same_bytes(f.read(), data, "downloaded file")


@timeout(240)
def test_download_file_ranged_parallel(ctx):
    # 20 MiB is above the 8 MiB threshold: s3transfer downloads it with parallel
    # ranged GETs (the upload is one put_object; multipart is not in scope).
    s3 = ctx.s3()
    b = ctx.bucket("xfer")
    data = rand_bytes(20 * MiB)
    s3.put_object(Bucket=b, Key="big", Body=data)
    dst = ctx.path("big.out")
    s3.download_file(b, "big", dst)
    with open(dst, "rb") as f:
        same_bytes(f.read(), data, "downloaded file")
    os.unlink(dst)
