"""CORS (issue 9): Put/Get/DeleteBucketCors with boto3 and aws-cli and AWS's errors; the
unauthenticated OPTIONS preflight (path and virtual-host style) answered by the bucket's rules;
CORS headers on the actual requests of a browser (a presigned GET, a 404, another user's
bucket, whose rules answer the preflight while its objects stay refused)."""

import hashlib
import json
import urllib.parse

import harness
from harness import check, eq, expect_error, http_request, raw_request

USERS = ["alice"]

VIEWER = "https://viewer.hospital.example"
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

RULES = {"CORSRules": [
    {"ID": "viewer", "AllowedOrigins": [VIEWER, "https://*.pacs.example"],
     "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["Range", "x-amz-*"],
     "ExposeHeaders": ["ETag", "Content-Range"], "MaxAgeSeconds": 3000},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["PUT", "POST"]},
]}


def _preflight(srv, path, origin=None, method=None, headers=None, host=None, query=""):
    h = {"Host": host or f"127.0.0.1:{srv.port}"}
    if origin is not None:
        h["Origin"] = origin
    if method is not None:
        h["Access-Control-Request-Method"] = method
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    target = urllib.parse.quote(path) + (("?" + query) if query else "")
    return http_request(srv.port, "OPTIONS", target, h)


def _cors_headers(r):
    return {k: v for k, v in r.headers.items() if k.startswith("access-control-") or k == "vary"}


def test_round_trip_and_errors(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("corsapi")
    expect_error(lambda: s3.get_bucket_cors(Bucket=b), "NoSuchCORSConfiguration", 404)
    s3.put_bucket_cors(Bucket=b, CORSConfiguration=RULES)
    got = s3.get_bucket_cors(Bucket=b)["CORSRules"]
    eq(got, RULES["CORSRules"], "the rules as put, in order")
    bad = [
        ({"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}, "InvalidRequest",
         "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"),
        ({"AllowedOrigins": ["https://*.*.example"], "AllowedMethods": ["GET"]},
         "InvalidRequest",
         'AllowedOrigin "https://*.*.example" can not have more than one wildcard.'),
        ({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["x-*-*"]},
         "InvalidRequest", 'AllowedHeader "x-*-*" can not have more than one wildcard.'),
        ({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "ExposeHeaders": ["x-*"]},
         "InvalidRequest", None),
        ({"ID": "x" * 256, "AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
         "InvalidArgument", None),
    ]
    for rule, code, msg in bad:
        expect_error(lambda: s3.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": [rule]}),
                     code, 400, msg)
    expect_error(lambda: s3.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}] * 101}), "InvalidRequest", 400)
    # Shapes botocore would refuse to send, by hand: no AllowedOrigin, no rule, unknown element.
    for body in (b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>"
                 b"</CORSConfiguration>",
                 b"<CORSConfiguration/>",
                 b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod>"
                 b"<AllowedOrigin>*</AllowedOrigin><Colour>red</Colour></CORSRule>"
                 b"</CORSConfiguration>",
                 b"<CORSConfiguration><CORSRule>"):
        r = raw_request(ctx.server, "PUT", f"/{b}", query=[("cors", None)], body=body)
        eq((r.status, r.error().get("Code")), (400, "MalformedXML"), f"PUT ?cors {body!r}")
    # Content-MD5 (AWS requires it here; SDKs send it or a flexible checksum) is verified.
    good = (b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod>"
            b"<AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>")
    r = raw_request(ctx.server, "PUT", f"/{b}", query=[("cors", None)], body=good,
                    headers={"Content-MD5": harness.b64(hashlib.md5(b"other").digest())})
    eq((r.status, r.error().get("Code")), (400, "BadDigest"), "a wrong Content-MD5")
    eq(s3.get_bucket_cors(Bucket=b)["CORSRules"], RULES["CORSRules"], "kept after refusals")
    # Another user cannot read or change the rules of a bucket that is not theirs.
    alice = ctx.s3("alice")
    expect_error(lambda: alice.get_bucket_cors(Bucket=b), "AccessDenied", 403)
    expect_error(lambda: alice.delete_bucket_cors(Bucket=b), "AccessDenied", 403)
    s3.delete_bucket_cors(Bucket=b)
    expect_error(lambda: s3.get_bucket_cors(Bucket=b), "NoSuchCORSConfiguration", 404)
    s3.delete_bucket_cors(Bucket=b)  # deleting none is not an error, as on AWS


def test_awscli_put_and_get(ctx):
    b = ctx.bucket("corscli")
    path = ctx.path("cors.json")
    with open(path, "w") as f:
        json.dump(RULES, f)
    ran = 0
    for v in ("v1", "v2"):
        try:
            aws = ctx.aws(v)
        except harness.Skip:
            continue
        ran += 1
        aws.run("s3api", "put-bucket-cors", "--bucket", b,
                "--cors-configuration", f"file://{path}")
        out = json.loads(aws.run("s3api", "get-bucket-cors", "--bucket", b).stdout)
        eq(out, RULES, f"aws {v}: the document as put")
        aws.run("s3api", "delete-bucket-cors", "--bucket", b)
        p = aws.run("s3api", "get-bucket-cors", "--bucket", b, check_rc=False)
        check(p.returncode != 0 and "NoSuchCORSConfiguration" in p.stderr,
              f"aws {v}: get after delete: {p.stderr[-300:]!r}")
    check(ran, "no aws-cli available")


def test_preflight(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("corspre")
    srv = ctx.server
    r = _preflight(srv, f"/{b}/k", VIEWER, "GET")
    eq((r.status, r.error().get("Code"), r.error().get("Message")),
       (403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket."),
       "a bucket without rules")
    s3.put_bucket_cors(Bucket=b, CORSConfiguration=RULES)
    r = _preflight(srv, f"/{b}/scan/1.dcm", VIEWER, "GET", "Range, X-Amz-Date")
    eq(r.status, 200, f"allowed preflight: {r!r}")
    eq(_cors_headers(r), {
        "access-control-allow-origin": VIEWER,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, HEAD",
        "access-control-allow-headers": "range, x-amz-date",
        "access-control-expose-headers": "ETag, Content-Range",
        "access-control-max-age": "3000",
        "vary": VARY}, "preflight headers")
    eq(r.body, b"", "an empty body")
    # A subdomain through the wildcard origin; the bucket itself; a sub-resource URL.
    r = _preflight(srv, f"/{b}", "https://ct.pacs.example", "HEAD")
    eq((r.status, r.header("access-control-allow-origin")), (200, "https://ct.pacs.example"),
       "wildcard origin on the bucket")
    r = _preflight(srv, f"/{b}/big", "https://upload.example", "PUT",
                   query="partNumber=1&uploadId=abc")
    eq((r.status, r.header("access-control-allow-origin"),
        r.header("access-control-allow-credentials")), (200, "*", None),
       "an UploadPart URL, second rule, any origin")
    for origin, method, headers, what in (
            ("https://evil.example", "GET", None, "an origin no rule names"),
            (VIEWER, "DELETE", None, "a method no rule of the origin allows"),
            (VIEWER, "GET", "Authorization", "a header the rule does not allow"),
            ("https://pacs.example", "GET", None, "the wildcard needs a subdomain dot")):
        r = _preflight(srv, f"/{b}/k", origin, method, headers)
        eq((r.status, r.error().get("Code")), (403, "AccessForbidden"), what)
        check(r.error().get("Message", "").startswith("CORSResponse: This CORS request is not "
                                                      "allowed."), f"{what}: {r!r}")
        eq(r.header("access-control-allow-origin"), None, f"{what}: no CORS headers")
    r = _preflight(srv, f"/{b}/k", None, "GET")
    eq((r.status, r.error().get("Code"), r.error().get("Message")),
       (400, "BadRequest", "Insufficient information. Origin request header needed."),
       "no Origin")
    r = _preflight(srv, f"/{b}/k", VIEWER, None)
    eq((r.status, r.error().get("Message")),
       (400, "Invalid Access-Control-Request-Method: null"), "no method")
    r = _preflight(srv, f"/{b}/k", VIEWER, "PATCH")
    eq((r.status, r.error().get("Message")),
       (400, "Invalid Access-Control-Request-Method: PATCH"), "an unknown method")
    r = _preflight(srv, "/nosuchbucket-cors/k", VIEWER, "GET")
    eq((r.status, r.error().get("Code")), (404, "NoSuchBucket"), "a missing bucket")
    # Unauthenticated, so never a body: answered at once, nothing read.
    r = http_request(srv.port, "OPTIONS", f"/{b}/k",
                     {"Host": f"127.0.0.1:{srv.port}", "Origin": VIEWER,
                      "Access-Control-Request-Method": "GET", "Content-Length": "5"}, b"hello")
    eq((r.status, r.error().get("Code")), (400, "UnexpectedContent"), "a preflight with a body")
    # A signed OPTIONS is a preflight like any other (the signature is not checked).
    r = raw_request(srv, "OPTIONS", f"/{b}/k", headers={"Origin": VIEWER,
                                                      "Access-Control-Request-Method": "GET"})
    eq(r.status, 200, "a signed preflight")


def test_preflight_virtual_host(ctx):
    domain = "localtest.strata"
    srv = ctx.new_server(extra_args=["--domain", domain])
    s3 = ctx.client(srv)
    b = ctx.bucket("corsvh", client=s3)
    s3.put_bucket_cors(Bucket=b, CORSConfiguration=RULES)
    host = f"{b}.{domain}:{srv.port}"
    r = _preflight(srv, "/scan.dcm", VIEWER, "GET", host=host)
    eq((r.status, r.header("access-control-allow-origin")), (200, VIEWER), "object, virtual")
    r = _preflight(srv, "/", "https://evil.example", "GET", host=host)
    eq((r.status, r.error().get("Code")), (403, "AccessForbidden"), "bucket, virtual, refused")


def test_actual_requests(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("corsget")
    s3.put_object(Bucket=b, Key="scan.dcm", Body=b"DICM" * 100)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "scan.dcm"},
                                    ExpiresIn=600)
    u = urllib.parse.urlsplit(url)
    target = u.path + "?" + u.query
    host = {"Host": f"127.0.0.1:{ctx.server.port}"}
    r = http_request(ctx.server.port, "GET", target, dict(host, Origin=VIEWER))
    eq(r.status, 200, "presigned GET before any rules")
    eq(_cors_headers(r), {}, "no rules: no CORS headers")
    s3.put_bucket_cors(Bucket=b, CORSConfiguration=RULES)
    r = http_request(ctx.server.port, "GET", target, dict(host, Origin=VIEWER))
    eq(r.status, 200, "presigned GET")
    eq(r.body, b"DICM" * 100, "the object")
    eq(_cors_headers(r), {
        "access-control-allow-origin": VIEWER,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, HEAD",
        "access-control-expose-headers": "ETag, Content-Range",
        "access-control-max-age": "3000",
        "vary": VARY}, "actual GET headers (no Allow-Headers)")
    r = http_request(ctx.server.port, "GET", target, host)
    eq((r.status, _cors_headers(r)), (200, {}), "no Origin: no CORS headers")
    r = http_request(ctx.server.port, "GET", target, dict(host, Origin="https://evil.example"))
    eq((r.status, r.header("access-control-allow-origin")), (200, None),
       "an origin no rule allows: served, but a browser will not let the page read it")
    # Errors carry the headers too, so the page can read why.
    r = raw_request(ctx.server, "GET", f"/{b}/missing.dcm", headers={"Origin": VIEWER})
    eq((r.status, r.error().get("Code")), (404, "NoSuchKey"), "a GET 404")
    eq((r.header("access-control-allow-origin"), r.header("vary")), (VIEWER, VARY),
       "a 404 has the CORS headers")
    r = raw_request(ctx.server, "HEAD", f"/{b}/missing.dcm", headers={"Origin": VIEWER})
    eq((r.status, r.header("access-control-allow-origin")), (404, VIEWER), "a HEAD 404")
    # The method decides the rule: a PUT by a page anywhere matches the "*" rule.
    r = raw_request(ctx.server, "PUT", f"/{b}/up.dcm", body=b"x",
                    headers={"Origin": "https://upload.example"})
    eq((r.status, r.header("access-control-allow-origin"),
        r.header("access-control-allow-methods")), (200, "*", "PUT, POST"), "a PUT")


def test_other_users_bucket(ctx):
    """CORS is not authorization: the preflight is answered by the bucket's rules whoever
    asks, and the actual request is still authenticated and refused."""
    alice = ctx.s3("alice")
    b = ctx.bucket("corsalice", client=alice)
    alice.put_object(Bucket=b, Key="private.dcm", Body=b"secret")
    alice.put_bucket_cors(Bucket=b, CORSConfiguration=RULES)
    r = _preflight(ctx.server, f"/{b}/private.dcm", VIEWER, "GET")
    eq((r.status, r.header("access-control-allow-origin")), (200, VIEWER), "preflight")
    r = raw_request(ctx.server, "GET", f"/{b}/private.dcm", creds=None,
                    headers={"Origin": VIEWER})
    eq((r.status, r.error().get("Code")), (403, "AccessDenied"), "unsigned GET refused")
    check(b"secret" not in r.body, "no object bytes in the refusal")
    eq(r.header("access-control-allow-origin"), VIEWER, "the refusal is readable by the page")
    r = raw_request(ctx.server, "GET", f"/{b}/private.dcm", headers={"Origin": VIEWER})
    eq((r.status, r.error().get("Code")), (403, "AccessDenied"), "root's signed GET refused")
