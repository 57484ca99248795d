"""Authentication and authorization: presigned URLs (SigV2 and SigV4), bad
signatures and keys, anonymous requests, clock skew, a second user, aws-chunked
bodies signed by hand, SigV2 headers, virtual-host-style addressing."""

import hashlib
import http.client
import socket
import time
import urllib.parse
import urllib.request

from botocore.exceptions import ClientError

from harness import (anonymous_client, check, checksum_b64, chunked_put, eq, expect_error,
                     md5_hex, object_bytes, parametrize, rand_bytes, raw_request, s3_client,
                     same_bytes, sign_v4, uri_path, http_request, amz_now, parse_error)

USERS = ["alice"]


def _presigner(ctx, style):
    if style == "default":
        return ctx.s3()
    return ctx.s3(signature_version="s3v4")


def _fetch(url, method="GET", data=None, headers=None, timeout=30):
    """(status, body, headers) of a plain HTTP request to a URL; no S3 client involved."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        target = u.path + ("?" + u.query if u.query else "")
        h = dict(headers or {})
        if data is not None:
            h["Content-Length"] = str(len(data))
        conn.request(method, target, body=data, headers=h)
        r = conn.getresponse()
        return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def _error(body):
    return parse_error(body)


@parametrize("default", "s3v4")
def test_presigned_get(ctx, style):
    s3 = ctx.s3()
    b = ctx.bucket("psg")
    data = rand_bytes(100_000)
    key = "dir/ключ with space+plus.bin"
    s3.put_object(Bucket=b, Key=key, Body=data)
    url = _presigner(ctx, style).generate_presigned_url(
        "get_object", Params={"Bucket": b, "Key": key}, ExpiresIn=600)
    if style == "s3v4":
        check("X-Amz-Signature=" in url, f"not a SigV4 URL: {url}")
    # urllib, as a browser or a DICOM viewer would fetch the link.
    with urllib.request.urlopen(url, timeout=30) as r:
        eq(r.status, 200, "status")
        same_bytes(r.read(), data, "presigned GET body")
    # response-* overrides are signed into the URL.
    url = _presigner(ctx, style).generate_presigned_url(
        "get_object", Params={"Bucket": b, "Key": key, "ResponseContentType": "image/x-dicom",
                              "ResponseContentDisposition": "attachment"}, ExpiresIn=600)
    status, body, headers = _fetch(url)
    eq(status, 200, f"status with overrides ({body[:200]!r})")
    eq(headers.get("content-type"), "image/x-dicom", "overridden Content-Type")


@parametrize("default", "s3v4")
def test_presigned_put(ctx, style):
    s3 = ctx.s3()
    b = ctx.bucket("psp")
    data = rand_bytes(300_000)
    url = _presigner(ctx, style).generate_presigned_url(
        "put_object", Params={"Bucket": b, "Key": "up/loaded.bin"}, ExpiresIn=600)
    status, body, headers = _fetch(url, "PUT", data)
    eq(status, 200, f"presigned PUT status ({body[:300]!r})")
    eq(headers.get("etag"), f'"{md5_hex(data)}"', "presigned PUT ETag")
    same_bytes(s3.get_object(Bucket=b, Key="up/loaded.bin")["Body"].read(), data)


@parametrize("default", "s3v4")
def test_presigned_put_content_type(ctx, style):
    # A Content-Type named when presigning is part of the signature: the upload
    # must send the same one (SigV2: in the string to sign; SigV4: a signed header).
    s3 = ctx.s3()
    b = ctx.bucket("psct")
    url = _presigner(ctx, style).generate_presigned_url(
        "put_object", Params={"Bucket": b, "Key": "img.png", "ContentType": "image/png"},
        ExpiresIn=600)
    status, body, _h = _fetch(url, "PUT", b"\x89PNG...", {"Content-Type": "image/jpeg"})
    eq((status, _error(body).get("Code")), (403, "SignatureDoesNotMatch"),
       "presigned PUT with another Content-Type")
    status, body, _h = _fetch(url, "PUT", b"\x89PNG...", {"Content-Type": "image/png"})
    eq(status, 200, f"presigned PUT with the signed Content-Type ({body[:200]!r})")
    eq(s3.head_object(Bucket=b, Key="img.png")["ContentType"], "image/png", "stored type")


def test_presigned_head_delete(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("pshd")
    s3.put_object(Bucket=b, Key="k", Body=b"12345")
    v4 = ctx.s3(signature_version="s3v4")
    status, _body, headers = _fetch(v4.generate_presigned_url(
        "head_object", Params={"Bucket": b, "Key": "k"}), "HEAD")
    eq(status, 200, "presigned HEAD")
    eq(headers.get("content-length"), "5", "presigned HEAD Content-Length")
    status, body, _h = _fetch(v4.generate_presigned_url(
        "delete_object", Params={"Bucket": b, "Key": "k"}), "DELETE")
    eq(status, 204, f"presigned DELETE ({body[:200]!r})")
    eq(object_bytes(s3, b, "k"), None, "object after presigned DELETE")


@parametrize("default", "s3v4")
def test_presigned_expired(ctx, style):
    s3 = ctx.s3()
    b = ctx.bucket("pse")
    s3.put_object(Bucket=b, Key="k", Body=b"secret")
    url = _presigner(ctx, style).generate_presigned_url(
        "get_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=1)
    time.sleep(2.5)
    status, body, _h = _fetch(url)
    eq(status, 403, "status of an expired URL")
    err = _error(body)
    eq(err.get("Code"), "AccessDenied", "code of an expired URL")
    eq(err.get("Message"), "Request has expired", "message of an expired URL")
    check(b"secret" not in body, "expired URL leaked the object")


@parametrize("default", "s3v4")
def test_presigned_tampered(ctx, style):
    s3 = ctx.s3()
    b = ctx.bucket("pst")
    s3.put_object(Bucket=b, Key="k", Body=b"secret")
    s3.put_object(Bucket=b, Key="other", Body=b"other secret")
    url = _presigner(ctx, style).generate_presigned_url(
        "get_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=600)
    u = urllib.parse.urlsplit(url)
    q = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
    name = "X-Amz-Signature" if style == "s3v4" else "Signature"
    same = urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(q)))
    status, body, _h = _fetch(same)
    eq(status, 200, f"the URL re-encoded without changes ({body[:200]!r})")
    q2 = []
    for k, v in q:
        if k == name:
            v = ("A" if v[0] != "A" else "B") + v[1:]
        q2.append((k, v))
    bad = urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(q2)))
    status, body, _h = _fetch(bad)
    eq((status, _error(body).get("Code")), (403, "SignatureDoesNotMatch"), "tampered signature")
    # The same signature for another key.
    other = urllib.parse.urlunsplit(u._replace(path=u.path[:-1] + "other"))
    status, body, _h = _fetch(other)
    eq((status, _error(body).get("Code")), (403, "SignatureDoesNotMatch"), "signature reused")
    # A longer expiry than was signed.
    if style == "s3v4":
        q3 = [(k, "900" if k == "X-Amz-Expires" else v) for k, v in q]
    else:
        q3 = [(k, str(int(v) + 100) if k == "Expires" else v) for k, v in q]
    longer = urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(q3)))
    status, body, _h = _fetch(longer)
    eq((status, _error(body).get("Code")), (403, "SignatureDoesNotMatch"), "expiry changed")


def test_presign_expiry_limit(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("psl")
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    v4 = ctx.s3(signature_version="s3v4")
    status, _b, _h = _fetch(v4.generate_presigned_url(
        "get_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=604800))
    eq(status, 200, "7-day presigned URL")
    status, body, _h = _fetch(v4.generate_presigned_url(
        "get_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=604801))
    eq((status, _error(body).get("Code")), (400, "AuthorizationQueryParametersError"),
       "presigned URL over 7 days")


def test_wrong_secret(ctx):
    b = ctx.bucket("ws")
    bad = s3_client(ctx.server.endpoint, ctx.server.access, ctx.server.secret + "x")
    expect_error(lambda: bad.list_objects_v2(Bucket=b), "SignatureDoesNotMatch", 403)
    expect_error(lambda: bad.put_object(Bucket=b, Key="k", Body=b"x"),
                 "SignatureDoesNotMatch", 403)
    expect_error(lambda: bad.list_buckets(), "SignatureDoesNotMatch", 403)
    bad2 = s3_client(ctx.server.endpoint, ctx.server.access, ctx.server.secret + "x",
                     signature_version="s3")
    expect_error(lambda: bad2.list_objects(Bucket=b), "SignatureDoesNotMatch", 403)
    eq(object_bytes(ctx.s3(), b, "k"), None, "object stored with a wrong signature")


def test_unknown_access_key(ctx):
    b = ctx.bucket("uk")
    for sv in (None, "s3"):
        kw = {"signature_version": sv} if sv else {}
        bad = s3_client(ctx.server.endpoint, "AKNOBODY0000000000", "whatever-secret-123", **kw)
        expect_error(lambda: bad.list_objects(Bucket=b), "InvalidAccessKeyId", 403)
        expect_error(lambda: bad.put_object(Bucket=b, Key="k", Body=b"x"),
                     "InvalidAccessKeyId", 403)


def test_anonymous_denied(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("anon")
    s3.put_object(Bucket=b, Key="k", Body=b"private")
    anon = anonymous_client(ctx.server.endpoint)
    expect_error(lambda: anon.get_object(Bucket=b, Key="k"), "AccessDenied", 403)
    expect_error(lambda: anon.put_object(Bucket=b, Key="new", Body=b"x"), "AccessDenied", 403)
    expect_error(lambda: anon.list_objects_v2(Bucket=b), "AccessDenied", 403)
    expect_error(lambda: anon.list_buckets(), "AccessDenied", 403)
    expect_error(lambda: anon.delete_object(Bucket=b, Key="k"), "AccessDenied", 403)
    expect_error(lambda: anon.create_bucket(Bucket=ctx.name("anon")), "AccessDenied", 403)
    for method in ("GET", "PUT", "DELETE"):
        r = raw_request(ctx.server, method, f"/{b}/k", creds=None,
                        body=b"x" if method == "PUT" else b"")
        eq((r.status, r.error().get("Code")), (403, "AccessDenied"), f"raw anonymous {method}")
    eq(object_bytes(s3, b, "k"), b"private", "object after anonymous attempts")
    eq(object_bytes(s3, b, "new"), None, "anonymous PUT stored something")


def test_clock_skew(ctx):
    b = ctx.bucket("skew")
    for off in (-20 * 60, 20 * 60):
        r = raw_request(ctx.server, "PUT", f"/{b}/k", body=b"x", amz_date=amz_now(off))
        eq((r.status, r.error().get("Code")), (403, "RequestTimeTooSkewed"),
           f"request signed {off // 60:+d} min off")
    r = raw_request(ctx.server, "PUT", f"/{b}/k", body=b"ok", amz_date=amz_now(-10 * 60))
    eq(r.status, 200, f"request signed 10 min ago (inside the 15 min window): {r}")
    eq(object_bytes(ctx.s3(), b, "k"), b"ok", "object")


def test_malformed_authorization(ctx):
    b = ctx.bucket("mal")
    r = raw_request(ctx.server, "GET", f"/{b}", creds=None,
                    headers={"Authorization": "AWS4-HMAC-SHA256 garbage",
                             "x-amz-date": amz_now(), "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    check(r.status in (400, 403), f"status for a garbage Authorization header: {r}")
    check(r.error().get("Code") in ("AuthorizationHeaderMalformed", "AccessDenied",
                                    "InvalidArgument", "SignatureDoesNotMatch"),
          f"code for a garbage Authorization header: {r.error().get('Code')}")
    # Right keys, wrong region in the credential scope: AWS names the region it expects.
    path = uri_path(f"/{b}")
    h = {"Host": f"127.0.0.1:{ctx.server.port}"}
    s = sign_v4("GET", path, [], h, hashlib.sha256(b"").hexdigest(), ctx.server.access,
                ctx.server.secret, region="eu-west-1")
    r = http_request(ctx.server.port, "GET", path, s.headers)
    eq((r.status, r.error().get("Code")), (400, "AuthorizationHeaderMalformed"),
       "credential scope with the wrong region")


def test_second_user_denied(ctx):
    root = ctx.s3()
    alice = ctx.s3("alice")
    b = ctx.bucket("rootb")
    root.put_object(Bucket=b, Key="k", Body=b"root's")
    names = [x["Name"] for x in alice.list_buckets()["Buckets"]]
    check(b not in names, "alice's ListBuckets shows root's bucket")
    expect_error(lambda: alice.list_objects_v2(Bucket=b), "AccessDenied", 403)
    expect_error(lambda: alice.list_objects(Bucket=b), "AccessDenied", 403)
    expect_error(lambda: alice.get_object(Bucket=b, Key="k"), "AccessDenied", 403)
    expect_error(lambda: alice.head_object(Bucket=b, Key="k"), "403", 403)
    expect_error(lambda: alice.put_object(Bucket=b, Key="k", Body=b"alice's"),
                 "AccessDenied", 403)
    expect_error(lambda: alice.put_object(Bucket=b, Key="new", Body=b"alice's"),
                 "AccessDenied", 403)
    expect_error(lambda: alice.delete_object(Bucket=b, Key="k"), "AccessDenied", 403)
    expect_error(lambda: alice.delete_bucket(Bucket=b), "AccessDenied", 403)
    expect_error(lambda: alice.head_bucket(Bucket=b), "403", 403)
    expect_error(lambda: alice.get_bucket_location(Bucket=b), "AccessDenied", 403)
    expect_error(lambda: alice.create_bucket(Bucket=b), "BucketAlreadyExists", 409)
    try:
        r = alice.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k"}]})
        eq([e.get("Code") for e in r.get("Errors", [])], ["AccessDenied"],
           "DeleteObjects per-key errors for alice")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "AccessDenied", "DeleteObjects by alice")
    # Her own bucket works; copying root's object into it does not.
    ab = ctx.bucket("aliceb", client=alice)
    alice.put_object(Bucket=ab, Key="mine", Body=b"alice's")
    eq(alice.get_object(Bucket=ab, Key="mine")["Body"].read(), b"alice's", "alice's object")
    expect_error(lambda: alice.copy_object(Bucket=ab, Key="stolen",
                                           CopySource={"Bucket": b, "Key": "k"}),
                 "AccessDenied", 403)
    names = [x["Name"] for x in alice.list_buckets()["Buckets"]]
    check(ab in names, "alice's bucket missing from her ListBuckets")
    eq(object_bytes(root, b, "k"), b"root's", "root's object after alice's attempts")
    eq(object_bytes(root, b, "new"), None, "alice created an object in root's bucket")
    eq(object_bytes(alice, ab, "stolen"), None, "copy from root's bucket")


def test_streaming_signed_payload(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("stream")
    for size in (0, 1, 65536, 200_000 + 123):
        data = rand_bytes(size)
        r = chunked_put(ctx.server, b, f"s{size}", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        eq(r.status, 200, f"aws-chunked PUT of {size} bytes: {r}")
        eq(r.header("etag"), f'"{md5_hex(data)}"', f"ETag of {size} bytes (of the payload)")
        same_bytes(s3.get_object(Bucket=b, Key=f"s{size}")["Body"].read(), data,
                   f"stored bytes of {size}")
        eq(s3.head_object(Bucket=b, Key=f"s{size}").get("ContentEncoding"), None,
           "aws-chunked stored as Content-Encoding")


def test_streaming_bad_chunk_signature(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("streambad")
    s3.put_object(Bucket=b, Key="k", Body=b"previous")
    data = rand_bytes(200_000)
    for bad in (0, 1, 4):  # 4 chunks of data, 4 = the final zero-length chunk
        r = chunked_put(ctx.server, b, "k", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                        corrupt_chunk=bad)
        eq((r.status, r.error().get("Code")), (403, "SignatureDoesNotMatch"),
           f"corrupted signature of chunk {bad}")
        eq(object_bytes(s3, b, "k"), b"previous", f"object after bad chunk {bad}")
        r = chunked_put(ctx.server, b, "fresh", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                        corrupt_chunk=bad)
        eq(r.status, 403, "status")
        eq(object_bytes(s3, b, "fresh"), None, f"new key stored despite bad chunk {bad}")


def test_streaming_unsigned_trailer(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("trail")
    data = rand_bytes(150_000)
    crc = checksum_b64("crc32", data)
    r = chunked_put(ctx.server, b, "ok", data, "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                    trailer=("x-amz-checksum-crc32", crc))
    eq(r.status, 200, f"unsigned trailer PUT: {r}")
    eq(r.header("x-amz-checksum-crc32"), crc, "CRC32 echoed")
    g = s3.get_object(Bucket=b, Key="ok", ChecksumMode="ENABLED")
    same_bytes(g["Body"].read(), data)
    eq(g.get("ChecksumCRC32"), crc, "stored CRC32")
    s3.put_object(Bucket=b, Key="k", Body=b"previous")
    r = chunked_put(ctx.server, b, "k", data, "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                    trailer=("x-amz-checksum-crc32", checksum_b64("crc32", b"other")))
    eq((r.status, r.error().get("Code")), (400, "BadDigest"), "wrong trailer checksum")
    eq(object_bytes(s3, b, "k"), b"previous", "object after a wrong trailer")
    # Other algorithms in the trailer.
    for algo in ("crc32c", "sha256", "crc64nvme"):
        v = checksum_b64(algo, data)
        r = chunked_put(ctx.server, b, f"t-{algo}", data, "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                        trailer=(f"x-amz-checksum-{algo}", v))
        eq(r.status, 200, f"trailer {algo}: {r}")
        h = s3.head_object(Bucket=b, Key=f"t-{algo}", ChecksumMode="ENABLED")
        eq(h.get("Checksum" + algo.upper()), v, f"stored {algo}")


def test_streaming_signed_trailer(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("strail")
    data = rand_bytes(140_000)
    crc = checksum_b64("crc32", data)
    r = chunked_put(ctx.server, b, "ok", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                    trailer=("x-amz-checksum-crc32", crc))
    eq(r.status, 200, f"signed trailer PUT: {r}")
    same_bytes(s3.get_object(Bucket=b, Key="ok")["Body"].read(), data)
    r = chunked_put(ctx.server, b, "badsig", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                    trailer=("x-amz-checksum-crc32", crc), corrupt_trailer_sig=True)
    eq((r.status, r.error().get("Code")), (403, "SignatureDoesNotMatch"), "bad trailer signature")
    eq(object_bytes(s3, b, "badsig"), None, "stored despite a bad trailer signature")
    r = chunked_put(ctx.server, b, "badsum", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                    trailer=("x-amz-checksum-crc32", checksum_b64("crc32", b"x")))
    eq((r.status, r.error().get("Code")), (400, "BadDigest"), "wrong signed trailer checksum")
    eq(object_bytes(s3, b, "badsum"), None, "stored despite a wrong checksum")


def test_streaming_length_mismatch(ctx):
    # x-amz-decoded-content-length must equal the decoded bytes.
    s3 = ctx.s3()
    b = ctx.bucket("declen")
    data = rand_bytes(70_000)
    r = chunked_put(ctx.server, b, "k", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                    extra_headers={"x-amz-decoded-content-length": str(len(data) + 1)})
    check(r.status in (400, 403), f"decoded length mismatch accepted: {r}")
    eq(object_bytes(s3, b, "k"), None, "stored despite a decoded-length mismatch")


def test_content_sha256_mismatch(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("sha")
    s3.put_object(Bucket=b, Key="k", Body=b"previous")
    r = raw_request(ctx.server, "PUT", f"/{b}/k", body=b"the real body",
                    payload_hash=hashlib.sha256(b"another body").hexdigest())
    eq((r.status, r.error().get("Code")), (400, "XAmzContentSHA256Mismatch"), "hash mismatch")
    eq(object_bytes(s3, b, "k"), b"previous", "object after a hash mismatch")
    r = raw_request(ctx.server, "PUT", f"/{b}/k", body=b"unsigned body",
                    payload_hash="UNSIGNED-PAYLOAD")
    eq(r.status, 200, f"UNSIGNED-PAYLOAD PUT: {r}")
    eq(object_bytes(s3, b, "k"), b"unsigned body", "UNSIGNED-PAYLOAD object")


def test_sigv2_header_object_ops(ctx):
    # botocore's HmacV1Auth (Config(signature_version="s3")) on object requests.
    v2 = ctx.s3(signature_version="s3")
    b = ctx.bucket("sv2")  # created with SigV4: bucket-level SigV2 is tested below
    key = "dir/ключ with space+plus&amp.txt"
    data = rand_bytes(50_000)
    v2.put_object(Bucket=b, Key=key, Body=data, ContentType="text/plain",
                  Metadata={"sha256": hashlib.sha256(data).hexdigest()})
    g = v2.get_object(Bucket=b, Key=key)
    same_bytes(g["Body"].read(), data, "SigV2 GET")
    eq(g["Metadata"]["sha256"], hashlib.sha256(data).hexdigest(), "SigV2 metadata")
    v2.head_object(Bucket=b, Key=key)
    eq(v2.get_object(Bucket=b, Key=key, Range="bytes=0-9")["Body"].read(), data[:10], "range")
    r = v2.get_object(Bucket=b, Key=key, ResponseContentType="x/y")
    eq(r["ContentType"], "x/y", "SigV2 response-content-type override")
    v2.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": key})
    v2.delete_object(Bucket=b, Key="copy")
    eq(object_bytes(ctx.s3(), b, "copy"), None, "SigV2 DeleteObject")


def test_sigv2_header_bucket_ops(ctx):
    # Bucket-level requests: botocore signs the resource "/bucket/" for the path
    # "/bucket" (as AWS defines it for the bucket root); AWS accepts both.
    v2 = ctx.s3(signature_version="s3")
    b = ctx.name("sv2b")
    v2.create_bucket(Bucket=b)
    v2.head_bucket(Bucket=b)
    v2.put_object(Bucket=b, Key="k", Body=b"x")
    eq([o["Key"] for o in v2.list_objects(Bucket=b)["Contents"]], ["k"], "SigV2 ListObjects")
    eq([o["Key"] for o in v2.list_objects_v2(Bucket=b)["Contents"]], ["k"], "SigV2 v2 list")
    check(b in [x["Name"] for x in v2.list_buckets()["Buckets"]], "SigV2 ListBuckets")
    v2.get_bucket_location(Bucket=b)  # ?location is part of the SigV2 resource
    v2.list_object_versions(Bucket=b)  # ?versions likewise
    r = v2.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k"}]})
    eq(len(r.get("Deleted", [])), 1, "SigV2 DeleteObjects")
    v2.delete_bucket(Bucket=b)


def _patch_resolver(domain):
    orig = socket.getaddrinfo

    def resolver(host, *args, **kwargs):
        if isinstance(host, str) and (host == domain or host.endswith("." + domain)):
            host = "127.0.0.1"
        return orig(host, *args, **kwargs)
    socket.getaddrinfo = resolver
    return orig


def test_virtual_host_style(ctx):
    domain = "localtest.strata"
    srv = ctx.new_server(extra_args=["--domain", domain])
    orig = _patch_resolver(domain)
    try:
        vh = s3_client(f"http://{domain}:{srv.port}", srv.access, srv.secret,
                       s3={"addressing_style": "virtual"})
        hosts = []
        vh.meta.events.register("before-send.s3", lambda request, **kw: hosts.append(
            urllib.parse.urlsplit(request.url).hostname))
        b = f"vh-{int(time.time() * 1000) % 10**9}"
        vh.create_bucket(Bucket=b)
        data = rand_bytes(10_000)
        vh.put_object(Bucket=b, Key="dir/obj one", Body=data)
        same_bytes(vh.get_object(Bucket=b, Key="dir/obj one")["Body"].read(), data, "vhost GET")
        eq([o["Key"] for o in vh.list_objects_v2(Bucket=b)["Contents"]], ["dir/obj one"],
           "vhost list")
        check(b in [x["Name"] for x in vh.list_buckets()["Buckets"]], "vhost ListBuckets")
        check(f"{b}.{domain}" in hosts, f"requests did not use virtual hosts: {set(hosts)}")
        # Raw: connect to 127.0.0.1, name the bucket only in the Host header.
        host = f"{b}.{domain}:{srv.port}"
        path = uri_path("/dir/obj one")
        s = sign_v4("GET", path, [], {"Host": host}, hashlib.sha256(b"").hexdigest(),
                    srv.access, srv.secret)
        r = http_request(srv.port, "GET", path, s.headers)
        eq(r.status, 200, f"raw virtual-host GET: {r}")
        same_bytes(r.body, data, "raw virtual-host GET")
        # Host names are case-insensitive.
        host = f"{b}.{domain.upper()}:{srv.port}"
        s = sign_v4("GET", path, [], {"Host": host}, hashlib.sha256(b"").hexdigest(),
                    srv.access, srv.secret)
        r = http_request(srv.port, "GET", path, s.headers)
        eq(r.status, 200, f"virtual host in upper case: {r}")
        # Path style keeps working on the same server.
        ps = ctx.client(srv)
        same_bytes(ps.get_object(Bucket=b, Key="dir/obj one")["Body"].read(), data, "path style")
        ps.put_object(Bucket=b, Key="x", Body=b"1")
        vh.delete_object(Bucket=b, Key="x")
        vh.delete_object(Bucket=b, Key="dir/obj one")
        vh.delete_bucket(Bucket=b)
    finally:
        socket.getaddrinfo = orig


def test_virtual_host_not_configured(ctx):
    # Without --domain a Host header is never read as a bucket: path style only.
    s3 = ctx.s3()
    b = ctx.bucket("novh")
    s3.put_object(Bucket=b, Key="k", Body=b"path")
    r = raw_request(ctx.server, "GET", f"/{b}/k", host=f"{b}.example.test:{ctx.server.port}")
    eq(r.status, 200, f"path-style request with a foreign Host: {r}")
    eq(r.body, b"path", "body")


def test_unsupported_presign_algorithm(ctx):
    b = ctx.bucket("alg")
    q = [("X-Amz-Algorithm", "AWS4-HMAC-SHA512"), ("X-Amz-Credential",
         f"{ctx.server.access}/20200101/us-east-1/s3/aws4_request"),
         ("X-Amz-Date", "20200101T000000Z"), ("X-Amz-Expires", "60"),
         ("X-Amz-SignedHeaders", "host"), ("X-Amz-Signature", "0" * 64)]
    r = raw_request(ctx.server, "GET", f"/{b}", query=q, creds=None)
    check(r.status in (400, 403), f"unknown presign algorithm accepted: {r}")
