"""The remote S3 backend (issue 7, first part): Strata with `backend = s3` in front of a real
third-party S3 server, Ceph RGW started on loopback by tests/remote/rgw.sh. If RGW cannot
start here, the harness says so in a banner and these tests run against a second Strata
(posix) as the remote instead, and say that too.

What is proven: objects round-trip with their metadata, digests and ranges; the remote holds
framed (or sealed) bytes with Strata's metadata in x-amz-meta-strata, never the plaintext of
an encrypted object; large objects stream through a staging upload that is removed after;
two Strata instances over one remote see each other's writes and decrypt each other's
objects; the remote dying mid-upload gives a clean 503 and keeps the old object, and service
resumes when it is back; what the backend cannot do yet answers NotImplemented."""

import atexit
import hashlib
import os
import sys
import threading
import time

from botocore.exceptions import ClientError

import rgw
from harness import (Server, Skip, check, eq, expect_error, free_port, rand_bytes, random_keys,
                     run_strata, s3_client, same_bytes, timeout, uid)

SERVER = False
USES_RGW = True  # starts Ceph RGW itself: run.py -j keeps such modules in one runner
POSIX_HOME_ONLY = "it runs the s3 backend over remotes of its own"
KiB = 1024
MiB = 1024 * KiB

_remote = None


class _StrataRemote:
    """Fallback remote: a posix Strata of its own, restartable on its port."""

    kind = "strata"

    def __init__(self, binary, workdir):
        ak, sk = random_keys()
        self.server = Server(binary, os.path.join(workdir, "remote-data"), workdir, ak, sk,
                             name="remote-strata")
        self.server.start()
        self.endpoint = self.server.endpoint
        self.access_key, self.secret_key = ak, sk
        atexit.register(self.server.stop)

    def kill_rgw(self):
        self.server.kill9()

    def start_rgw(self):
        self.server.start(port=self.server.port)


class _RgwRemote:
    kind = "rgw"

    def __init__(self, r):
        self.r = r
        self.endpoint, self.access_key, self.secret_key = r.endpoint, r.access_key, r.secret_key

    def kill_rgw(self):
        self.r.kill_rgw()

    def start_rgw(self):
        self.r.start_rgw()


def _get_remote(ctx):
    global _remote
    if _remote is None:
        try:
            _remote = _RgwRemote(rgw.start(os.path.join(ctx.workdir, "..", "rgw")))
            print(f"test_remote: the remote is Ceph RGW at {_remote.endpoint}",
                  file=sys.stderr, flush=True)
        except rgw.RgwUnavailable as e:
            print(f"test_remote: RGW unavailable ({e}); using a posix Strata as the remote",
                  file=sys.stderr, flush=True)
            _remote = _StrataRemote(ctx.binary, os.path.join(ctx.workdir, ".."))
    return _remote


def _strata(ctx, prefix=None, data_dir=None, key_file=None, extra="", endpoint=None,
            **server_kw):
    """A Strata over the remote; buckets are prefixed per test so tests never meet."""
    rem = _get_remote(ctx)
    prefix = prefix or f"s{uid(6).lower()}-"
    conf = ctx.path(f"remote-{uid(6)}.conf")
    with open(conf, "w") as f:
        f.write(f"backend = s3\ns3_endpoint = {endpoint or rem.endpoint}\n"
                f"s3_access_key = {rem.access_key}\n"
                f"s3_secret_key = {rem.secret_key}\ns3_bucket_prefix = {prefix}\n"
                f"s3_system_bucket = {prefix}system\nscrub_interval = 0\n"
                f"lifecycle_interval = 0\n" + (f"key_file = {key_file}\n" if key_file else "")
                + extra)
    srv = ctx.new_server(extra_args=["--config", conf], data_dir=data_dir, **server_kw)
    return srv, prefix


def _remote_client(ctx):
    rem = _get_remote(ctx)
    return s3_client(rem.endpoint, rem.access_key, rem.secret_key)


@timeout(300)
def test_objects_round_trip(ctx):
    srv, prefix = _strata(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("rt", client=s3)
    check(b in [x["Name"] for x in s3.list_buckets()["Buckets"]], "the bucket is listed")
    keys = ["plain", "dir/a", "dir/b/c", "sp ace+plus%pct", "ünïcødé/ключ", "..", "a//b",
            "k" * 1000]
    bodies = {}
    for i, k in enumerate(keys):
        bodies[k] = rand_bytes(i * 37 * KiB + 5)
        s3.put_object(Bucket=b, Key=k, Body=bodies[k], ContentType="application/dicom",
                      Metadata={"patient": f"p{i}", "study-sha256": hashlib.sha256(
                          bodies[k]).hexdigest()})
    for k in keys:
        h = s3.head_object(Bucket=b, Key=k)
        eq(h["ContentLength"], len(bodies[k]), f"size of {k!r}")
        eq(h["ContentType"], "application/dicom", "content type")
        eq(h["Metadata"]["study-sha256"], hashlib.sha256(bodies[k]).hexdigest(), "user metadata")
        eq(h["ResponseMetadata"]["HTTPHeaders"]["x-strata-sha256"],
           hashlib.sha256(bodies[k]).hexdigest(), "Strata's SHA-256")
        eq(h["ETag"].strip('"'), hashlib.md5(bodies[k]).hexdigest(), "ETag is the plaintext MD5")
        same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), bodies[k], f"GET {k!r}")
    big = bodies["k" * 1000]
    for a, z in [(0, 0), (65535, 65536), (70000, 200000), (len(big) - 10, len(big) - 1)]:
        got = s3.get_object(Bucket=b, Key="k" * 1000, Range=f"bytes={a}-{z}")["Body"].read()
        same_bytes(got, big[a:z + 1], f"range {a}-{z}")
    listed = s3.list_objects_v2(Bucket=b)
    eq([o["Key"] for o in listed["Contents"]], sorted(keys, key=lambda k: k.encode()),
       "listing in byte order")
    for o in listed["Contents"]:
        eq(o["Size"], len(bodies[o["Key"]]), "listed size is the plaintext size")
        eq(o["ETag"].strip('"'), hashlib.md5(bodies[o["Key"]]).hexdigest(), "listed ETag")
    d = s3.list_objects_v2(Bucket=b, Prefix="dir/", Delimiter="/")
    eq([o["Key"] for o in d.get("Contents", [])], ["dir/a"], "prefix + delimiter keys")
    eq([p["Prefix"] for p in d.get("CommonPrefixes", [])], ["dir/b/"], "common prefixes")
    page = s3.list_objects_v2(Bucket=b, MaxKeys=3)
    check(page["IsTruncated"], "a short page is truncated")
    rest = s3.list_objects_v2(Bucket=b, ContinuationToken=page["NextContinuationToken"])
    eq(len(page["Contents"]) + len(rest["Contents"]), len(keys), "pages add up")
    # What the remote holds: framed bytes and Strata's metadata, not the plaintext.
    remote = _remote_client(ctx)
    ro = remote.get_object(Bucket=prefix + b, Key="plain")
    check("strata" in ro["Metadata"], "x-amz-meta-strata on the remote object")
    check(ro["Body"].read() != bodies["plain"], "the remote holds framed or sealed bytes")
    for k in keys:
        s3.delete_object(Bucket=b, Key=k)
    expect_error(lambda: s3.head_object(Bucket=b, Key="plain"), "404", 404)
    s3.delete_object(Bucket=b, Key="never-there")  # 204 as on S3
    s3.delete_bucket(Bucket=b)
    expect_error(lambda: s3.head_bucket(Bucket=b), "404", 404)


@timeout(300)
def test_large_object_and_encryption(ctx):
    srv, prefix = _strata(ctx, extra="sse_c_over_http = on\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("big", client=s3)
    marker = b"PLAINTEXT-MARKER-" * 4
    big = (marker + rand_bytes(64 * KiB)) * 400  # ~26 MiB: staged in parts, then copied
    s3.put_object(Bucket=b, Key="big", Body=big)
    h = s3.head_object(Bucket=b, Key="big")
    eq(h["ContentLength"], len(big), "size")
    eq(h.get("ServerSideEncryption"), "AES256", "SSE-S3 by default")
    got = s3.get_object(Bucket=b, Key="big")["Body"].read()
    check(hashlib.sha256(got).digest() == hashlib.sha256(big).digest(), "26 MiB round trip")
    a = 13 * MiB + 12345
    same_bytes(s3.get_object(Bucket=b, Key="big", Range=f"bytes={a}-{a + 300000}")["Body"]
               .read(), big[a:a + 300001], "a range deep inside")
    remote = _remote_client(ctx)
    raw = remote.get_object(Bucket=prefix + b, Key="big")["Body"].read()
    check(marker not in raw, "the remote never sees the plaintext of an encrypted object")
    staging = remote.list_objects_v2(Bucket=prefix + "system", Prefix="staging/")
    eq(staging.get("KeyCount", 0), 0, "no staging object left behind")
    ups = remote.list_multipart_uploads(Bucket=prefix + "system", Prefix="staging/")
    eq(len(ups.get("Uploads", [])), 0, "no staging upload left behind")
    # SSE-C: the customer's key is needed, and a wrong one is refused.
    key = os.urandom(32)
    s3.put_object(Bucket=b, Key="ssec", Body=marker * 100, SSECustomerAlgorithm="AES256",
                  SSECustomerKey=key)
    same_bytes(s3.get_object(Bucket=b, Key="ssec", SSECustomerAlgorithm="AES256",
                             SSECustomerKey=key)["Body"].read(), marker * 100, "SSE-C GET")
    expect_error(lambda: s3.get_object(Bucket=b, Key="ssec"), "InvalidRequest", 400)
    expect_error(lambda: s3.get_object(Bucket=b, Key="ssec", SSECustomerAlgorithm="AES256",
                                       SSECustomerKey=os.urandom(32)), "AccessDenied", 403)
    # Copies go through the same pipeline.
    s3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "big"})
    eq(s3.head_object(Bucket=b, Key="copy")["ETag"], h["ETag"], "copy keeps the ETag")


@timeout(300)
def test_two_instances_share_the_remote(ctx):
    key_file = ctx.path("shared-keys")
    a, prefix = _strata(ctx, key_file=None)
    # The second instance must hold the same master keys to read SSE-S3 objects.
    with open(os.path.join(a.data_dir, "keys"), "rb") as f, open(key_file, "wb") as g:
        g.write(f.read())
    os.chmod(key_file, 0o600)
    bsrv, _ = _strata(ctx, prefix=prefix, key_file=key_file, access=a.access, secret=a.secret)
    sa, sb = ctx.client(a), ctx.client(bsrv, a.access, a.secret)
    bucket = ctx.bucket("shared", client=sa)
    body = rand_bytes(300 * KiB)
    sa.put_object(Bucket=bucket, Key="from-a", Body=body, Metadata={"who": "a"})
    same_bytes(sb.get_object(Bucket=bucket, Key="from-a")["Body"].read(), body,
               "B reads (and decrypts) A's object")
    eq(sb.head_object(Bucket=bucket, Key="from-a")["Metadata"], {"who": "a"}, "metadata")
    eq(sb.head_object(Bucket=bucket, Key="from-a")["ResponseMetadata"]["HTTPHeaders"]
       ["x-strata-sha256"], hashlib.sha256(body).hexdigest(), "same SHA-256 on B")
    sb.put_object(Bucket=bucket, Key="from-b", Body=b"bee")
    eq([o["Key"] for o in sa.list_objects_v2(Bucket=bucket)["Contents"]], ["from-a", "from-b"],
       "A lists B's write")
    sb.delete_object(Bucket=bucket, Key="from-a")
    expect_error(lambda: sa.head_object(Bucket=bucket, Key="from-a"), "404", 404)


@timeout(300)
def test_remote_down_mid_upload(ctx):
    srv, prefix = _strata(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("down", client=s3)
    old = rand_bytes(100 * KiB)
    s3.put_object(Bucket=b, Key="obj", Body=old)
    rem = _get_remote(ctx)
    result = {}

    def upload():
        try:
            s3.put_object(Bucket=b, Key="obj", Body=rand_bytes(40 * MiB))
            result["ok"] = True
        except ClientError as e:
            result["error"] = e.response["Error"]["Code"]
            result["status"] = e.response["ResponseMetadata"]["HTTPStatusCode"]
        except Exception as e:  # noqa: BLE001 - a cut connection is also a clean failure
            result["error"] = type(e).__name__
    t = threading.Thread(target=upload)
    t.start()
    time.sleep(0.5)
    rem.kill_rgw()
    t.join(240)
    check(not t.is_alive(), "the upload ended")
    check("ok" not in result, f"the upload failed once the remote died: {result}")
    if "status" in result:
        eq(result["status"], 503, f"a clean 503, not a bare 500: {result}")
    t0 = time.time()
    expect_error(lambda: s3.head_object(Bucket=b, Key="obj"), "503", 503)
    check(time.time() - t0 < 60, "a dead remote answers within the retry budget")
    rem.start_rgw()
    deadline = time.time() + 60
    while True:
        try:
            got = s3.get_object(Bucket=b, Key="obj")["Body"].read()
            break
        except ClientError:
            if time.time() > deadline:
                raise
            time.sleep(1)
    same_bytes(got, old, "the old object is intact: nothing partial became visible")
    s3.put_object(Bucket=b, Key="after", Body=b"back")
    eq(s3.get_object(Bucket=b, Key="after")["Body"].read(), b"back", "service resumed")


@timeout(300)
def test_https_remote_with_ca_file(ctx):
    rem = _get_remote(ctx)
    if rem.kind != "rgw" or not rem.r.tls_endpoint:
        raise Skip("needs Ceph RGW with its HTTPS endpoint (RGW is unavailable here)")
    srv, prefix = _strata(ctx, endpoint=rem.r.tls_endpoint,
                          extra=f"s3_ca_file = {rem.r.ca_file}\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("tls", client=s3)
    small, large = rand_bytes(100 * KiB), rand_bytes(7 * MiB)  # one PUT; a staged upload
    s3.put_object(Bucket=b, Key="small", Body=small)
    s3.put_object(Bucket=b, Key="large", Body=large, ServerSideEncryption="AES256")
    same_bytes(s3.get_object(Bucket=b, Key="small")["Body"].read(), small, "small over HTTPS")
    same_bytes(s3.get_object(Bucket=b, Key="large", Range="bytes=1000-5999999")["Body"].read(),
               large[1000:6000000], "ranged large over HTTPS")
    eq(sorted(o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]), ["large", "small"],
       "listing over HTTPS")
    srv.stop()
    # The same remote over HTTPS without the CA file: the certificate is not trusted, and
    # the server says so instead of serving.
    conf = ctx.path("untrusted.conf")
    with open(conf, "w") as f:
        f.write(f"backend = s3\ns3_endpoint = {rem.r.tls_endpoint}\n"
                f"s3_access_key = {rem.access_key}\ns3_secret_key = {rem.secret_key}\n"
                f"s3_bucket_prefix = {prefix}\ns3_system_bucket = {prefix}system\n")
    p = run_strata(ctx.binary, ["serve", "--data", ctx.path("untrusted"), "--listen",
                                f"127.0.0.1:{free_port()}", "--config", conf], timeout=120)
    check(p.returncode != 0, f"a server over an untrusted remote started: {p.stderr[-500:]!r}")
    check("certificate" in p.stderr.lower(),
          f"the error names the certificate problem: {p.stderr[-800:]!r}")


def test_not_yet_implemented_on_s3(ctx):
    srv, prefix = _strata(ctx, extra="[site dr]\nendpoint = http://127.0.0.1:9\naccess_key = a\n"
                               "secret_key = b\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("nyi", client=s3)
    expect_error(lambda: s3.put_bucket_replication(Bucket=b, ReplicationConfiguration={
        "Role": "arn:aws:iam::1:role/r", "Rules": [{
            "ID": "r", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": "arn:aws:s3:dr::b"}}]}), "NotImplemented", 501)
    expect_error(lambda: s3.put_bucket_lifecycle_configuration(
        Bucket=b, LifecycleConfiguration={"Rules": [
            {"ID": "t", "Filter": {"Prefix": ""}, "Status": "Enabled",
             "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}]}]}),
        "NotImplemented", 501)
    # Expiration-only rules work: the engine deletes through the backend.
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "e", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
         "Expiration": {"Days": 1}}]})
    eq(s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"][0]["ID"], "e",
       "configuration stored on the remote")
    # Versioning passes through to the remote bucket; Object Lock does not (yet).
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    eq(_remote_client(ctx).get_bucket_versioning(Bucket=prefix + b).get("Status"), "Enabled",
       "the remote bucket's own versioning")
    expect_error(lambda: s3.put_object_lock_configuration(
        Bucket=b, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}),
        "NotImplemented", 501)
    expect_error(lambda: s3.create_bucket(Bucket=ctx.name("lock"),
                                          ObjectLockEnabledForBucket=True),
                 "NotImplemented", 501)


def test_tampered_remote_object_is_never_served(ctx):
    srv, prefix = _strata(ctx, extra="default_encryption = none\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("tamper", client=s3)
    body = rand_bytes(200 * KiB)
    s3.put_object(Bucket=b, Key="x", Body=body)
    remote = _remote_client(ctx)
    ro = remote.get_object(Bucket=prefix + b, Key="x")
    raw = bytearray(ro["Body"].read())
    raw[100] ^= 1  # bitrot in the first frame, written back with Strata's metadata
    remote.put_object(Bucket=prefix + b, Key="x", Body=bytes(raw), Metadata=ro["Metadata"])
    try:
        got = s3.get_object(Bucket=b, Key="x")["Body"].read()
    except Exception:  # noqa: BLE001 - a 500 or a cut connection: either is a refusal
        got = None
    check(got is None or got != body and len(got) < len(body),
          "a corrupt frame is never served as good data")
    # A later frame: the client gets the first frames, then a cut connection.
    raw[100] ^= 1  # repair the first frame
    raw[150 * KiB] ^= 1
    remote.put_object(Bucket=prefix + b, Key="x", Body=bytes(raw), Metadata=ro["Metadata"])
    try:
        got = s3.get_object(Bucket=b, Key="x")["Body"].read()
    except Exception:  # noqa: BLE001
        got = None
    check(got is None or len(got) < len(body), "the stream stops at the bad frame")


@timeout(300)
def test_reads_during_overwrites_see_one_whole_version(ctx):
    srv, _ = _strata(ctx)
    # No SDK retries: a 500 must show, not be retried away.
    s3 = ctx.client(srv, max_pool_connections=16, retries={"total_max_attempts": 1})
    b = ctx.bucket("race", client=s3)
    versions = [rand_bytes(300 * KiB), rand_bytes(300 * KiB)]
    s3.put_object(Bucket=b, Key="k", Body=versions[0])
    errors, reads = [], [0]
    stop = time.time() + 8

    def writer(i):
        while time.time() < stop:
            try:
                s3.put_object(Bucket=b, Key="k", Body=versions[i % 2])
            except Exception as e:  # noqa: BLE001
                errors.append(f"PUT: {e}")
            i += 1

    def reader():
        while time.time() < stop:
            try:
                got = s3.get_object(Bucket=b, Key="k")["Body"].read()
                if got not in versions:
                    errors.append(f"GET returned {len(got)} bytes of neither version")
                reads[0] += 1
            except Exception as e:  # noqa: BLE001
                errors.append(f"GET: {e}")
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=reader) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(reads[0] > 20, f"readers ran ({reads[0]} GETs)")
    eq(errors[:5], [], "every GET is one whole version, with no error, while PUTs replace it")
