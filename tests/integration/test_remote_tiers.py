"""Storage tiers in a remote S3 bucket (issue 7: `tier_<CLASS> = s3://BUCKET[/PREFIX/]` with
`backend = posix`). The remote is Ceph RGW (tests/remote/rgw.sh, through rgw.py) where it can
run; tests that stop the remote use a second Strata (posix) as the remote instead, so the shared
RGW is never touched.

What is proven: StorageClass writes land in the remote bucket as one object per data file,
holding framed or sealed bytes (never the plaintext of an encrypted object), and read back whole
and by ranges; lifecycle transitions home -> remote STANDARD_IA -> remote GLACIER keep bytes and
SHA-256 for plain, multipart, SSE-S3 and SSE-C objects; RestoreObject brings a GLACIER object in
the remote back; a byte changed on the remote is never served; the remote down during a
transition leaves the object where it was, readable, and a later pass moves it; overwrites and
deletes remove the remote objects; `strata scrub` verifies remote objects and reports a tampered
one and an orphan; an s3:// tier without the s3_* settings refuses to start."""

import base64
import hashlib
import os
import time

import boto3.s3.transfer

import rgw
from harness import (check, eq, expect_error, rand_bytes, run_strata, s3_client, same_bytes,
                     timeout, uid)

SERVER = False
USES_RGW = True  # starts Ceph RGW itself: run.py -j keeps such modules in one runner
POSIX_HOME_ONLY = "storage tiers are a posix home's (tiers with backend = s3 are refused)"

KiB = 1024
MiB = 1024 * KiB

_rgw = None


class _Remote:
    """Where remote tiers live: an endpoint, keys, and a client of it."""

    def __init__(self, endpoint, ak, sk, server=None):
        self.endpoint, self.access_key, self.secret_key = endpoint, ak, sk
        self.server = server  # a Strata we may stop; None for the shared RGW
        self.s3 = s3_client(endpoint, ak, sk)


def _rgw_remote(ctx):
    """Ceph RGW (shared through STRATA_RGW_DIR when set), else a Strata of our own."""
    global _rgw
    if _rgw is None:
        try:
            r = rgw.start(os.path.join(ctx.workdir, "..", "rgw"))
            _rgw = _Remote(r.endpoint, r.access_key, r.secret_key)
            print(f"test_remote_tiers: the remote is Ceph RGW at {r.endpoint}", flush=True)
        except Exception as e:  # noqa: BLE001 - rgw.py already printed why
            print(f"test_remote_tiers: RGW unavailable ({e}); a second Strata is the remote",
                  flush=True)
            _rgw = None
            return _strata_remote(ctx)
    return _rgw


def _strata_remote(ctx):
    srv = ctx.new_server()
    return _Remote(srv.endpoint, srv.access, srv.secret, server=srv)


def _server(ctx, rem, tiers, extra="", name=None):
    """A posix Strata whose tiers (class -> s3:// URL or directory) may be remote."""
    name = name or f"rt-{uid(6)}"
    conf = ctx.path(f"{name}.conf")
    with open(conf, "w") as f:
        for cls, where in tiers.items():
            f.write(f"tier_{cls} = {where}\n")
        f.write(f"s3_endpoint = {rem.endpoint}\ns3_access_key = {rem.access_key}\n"
                f"s3_secret_key = {rem.secret_key}\nscrub_interval = 0\n"
                f"lifecycle_day_seconds = 1\nlifecycle_rate = 0\n{extra}")
    return ctx.new_server(extra_args=["--config", conf]), conf


def _rbucket():
    return f"rtier-{uid(10).lower()}"


def _remote_keys(rem, bucket, prefix=""):
    keys = {}
    for page in rem.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            keys[o["Key"]] = o["Size"]
    return keys


def _class(s3, b, k, **kw):
    return s3.head_object(Bucket=b, Key=k, **kw).get("StorageClass", "STANDARD")


def _sha(s3, b, k):
    return s3.head_object(Bucket=b, Key=k)["ResponseMetadata"]["HTTPHeaders"]["x-strata-sha256"]


def _lifecycle_run(ctx, srv, conf):
    srv.stop()
    p = run_strata(ctx.binary, ["lifecycle", "run", "--config", conf, "--data", srv.data_dir],
                   timeout=120)
    srv.start()
    return p


def _wait_class(s3, b, keys, cls, secs=40):
    deadline = time.time() + secs
    while time.time() < deadline:
        if all(_class(s3, b, k) == cls for k in keys):
            return
        time.sleep(0.5)
    eq({k: _class(s3, b, k) for k in keys}, {k: cls for k in keys}, f"classes -> {cls}")


def _wait_gone(rem, rb, prefix, want, secs=20):
    deadline = time.time() + secs
    keys = _remote_keys(rem, rb, prefix)
    while time.time() < deadline and len(keys) != want:
        time.sleep(0.5)
        keys = _remote_keys(rem, rb, prefix)
    return keys


@timeout(300)
def test_put_read_ranges_and_gc_in_a_remote_tier(ctx):
    rem = _rgw_remote(ctx)
    rb = _rbucket()
    srv, _ = _server(ctx, rem, {"STANDARD_IA": f"s3://{rb}/ia/"}, "lifecycle_interval = 0\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("rt", client=s3)
    data = rand_bytes(300 * KiB + 7)
    s3.put_object(Bucket=b, Key="ia", Body=data, StorageClass="STANDARD_IA")
    eq(_class(s3, b, "ia"), "STANDARD_IA", "HEAD of a remote-tier object")
    keys = _remote_keys(rem, rb, "ia/")
    eq(len(keys), 1, f"one remote object per data file: {keys}")
    [rkey] = keys
    check(rkey.startswith("ia/objects/") and len(rkey) == len("ia/objects/") + 32,
          f"remote key {rkey!r}")
    stored = rem.s3.get_object(Bucket=rb, Key=rkey)["Body"].read()
    check(len(stored) > len(data) and data[:4096] not in stored,
          "the remote holds sealed frames, not the plaintext (default encryption)")
    same_bytes(s3.get_object(Bucket=b, Key="ia")["Body"].read(), data, "GET from a remote tier")
    for lo, hi in ((0, 0), (5, 70000), (65536, 65536 + 10), (300 * KiB, 300 * KiB + 6),
                   (131000, 200000)):
        got = s3.get_object(Bucket=b, Key="ia", Range=f"bytes={lo}-{hi}")["Body"].read()
        same_bytes(got, data[lo:hi + 1], f"range {lo}-{hi}")
    eq(_sha(s3, b, "ia"), hashlib.sha256(data).hexdigest(), "SHA-256 recorded")
    # Unencrypted (x-amz-server-side-encryption absent and no bucket default would still
    # encrypt: default_encryption is AES256), so this one is sealed too; a plain check
    # of the framing is in the scrub test.
    plain = rand_bytes(100 * KiB)
    s3.put_object(Bucket=b, Key="plain", Body=plain, StorageClass="STANDARD_IA")
    keys = _remote_keys(rem, rb, "ia/")
    eq(len(keys), 2, "two remote objects")
    same_bytes(s3.get_object(Bucket=b, Key="plain")["Body"].read(), plain, "GET of the second")
    # Overwrite and delete remove the remote objects (gc).
    s3.put_object(Bucket=b, Key="plain", Body=b"home now")
    s3.delete_object(Bucket=b, Key="ia")
    keys = _wait_gone(rem, rb, "ia/", 0)
    eq(keys, {}, "remote objects after overwrite and delete")
    # Multipart uploads of a remote class write their parts there, and read back.
    big = rand_bytes(11 * MiB)
    src = ctx.path("big.bin")
    with open(src, "wb") as f:
        f.write(big)
    cfg = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * MiB,
                                           multipart_chunksize=5 * MiB)
    s3.upload_file(src, b, "mp", Config=cfg, ExtraArgs={"StorageClass": "STANDARD_IA"})
    eq(len(_remote_keys(rem, rb, "ia/")), 3, "three parts in the remote tier")
    same_bytes(s3.get_object(Bucket=b, Key="mp")["Body"].read(), big, "multipart GET")
    got = s3.get_object(Bucket=b, Key="mp", Range="bytes=5242000-5243000")["Body"].read()
    same_bytes(got, big[5242000:5243001], "range across a part boundary")


@timeout(400)
def test_lifecycle_home_to_remote_ia_to_remote_glacier_and_restore(ctx):
    rem = _rgw_remote(ctx)
    rb = _rbucket()
    srv, conf = _server(ctx, rem, {"STANDARD_IA": f"s3://{rb}/ia/",
                                   "GLACIER": f"s3://{rb}/glacier/"}, "lifecycle_interval = 1\nsse_c_over_http = on\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("rtlc", client=s3)
    objs = {"d/plain": rand_bytes(200 * KiB), "d/small": b"x", "d/sse-s3": rand_bytes(70 * KiB)}
    s3.put_object(Bucket=b, Key="d/plain", Body=objs["d/plain"])
    s3.put_object(Bucket=b, Key="d/small", Body=objs["d/small"])
    s3.put_object(Bucket=b, Key="d/sse-s3", Body=objs["d/sse-s3"], ServerSideEncryption="AES256")
    ckey = os.urandom(32)
    sse_c = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": base64.b64encode(ckey).decode(),
             "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(ckey).digest()).decode()}
    cdata = rand_bytes(150 * KiB)
    c_s3 = s3  # SSE-C over plain HTTP: the config turns sse_c_over_http on
    big = rand_bytes(11 * MiB)
    src = ctx.path("big.bin")
    with open(src, "wb") as f:
        f.write(big)
    cfg = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * MiB,
                                           multipart_chunksize=5 * MiB)
    s3.upload_file(src, b, "d/mp", Config=cfg)
    objs["d/mp"] = big
    try:
        c_s3.put_object(Bucket=b, Key="d/ssec", Body=cdata, **sse_c)
        have_ssec = True
    except Exception:  # noqa: BLE001 - plain HTTP refuses SSE-C without sse_c_over_http
        have_ssec = False
    check(have_ssec, "SSE-C over plain HTTP (the config turns sse_c_over_http on)")
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "tier", "Filter": {"Prefix": "d/"}, "Status": "Enabled",
         "Transitions": [{"Days": 2, "StorageClass": "STANDARD_IA"},
                         {"Days": 6, "StorageClass": "GLACIER"}]}]})
    keys = list(objs) + ["d/ssec"]

    def classes():
        return {k: _class(s3, b, k, **(sse_c if k == "d/ssec" else {})) for k in keys}

    deadline = time.time() + 60
    seen_ia = set()
    checked_ia = False
    while time.time() < deadline:
        cl = classes()
        seen_ia |= {k for k, c in cl.items() if c == "STANDARD_IA"}
        if set(cl.values()) == {"GLACIER"}:
            break
        if set(cl.values()) == {"STANDARD_IA"} and not checked_ia:
            # In the remote IA tier: everything reads back, bytes as written.
            for k, v in objs.items():
                same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), v, f"GET {k} in IA")
            same_bytes(s3.get_object(Bucket=b, Key="d/ssec", **sse_c)["Body"].read(), cdata,
                       "GET of the SSE-C object in IA")
            checked_ia = True
        time.sleep(0.3)
    eq(classes(), {k: "GLACIER" for k in keys}, "all in GLACIER")
    check(len(seen_ia) > 0, "the objects never showed STANDARD_IA")
    eq(len(_wait_gone(rem, rb, "ia/", 0)), 0, "the IA copies were released")
    gl = _remote_keys(rem, rb, "glacier/")
    eq(len(gl), 7, f"GLACIER holds one object per data file (4 single + 3 parts): {gl}")
    for rk in gl:
        body = rem.s3.get_object(Bucket=rb, Key=rk)["Body"].read()
        for k, v in list(objs.items()) + [("d/ssec", cdata)]:
            if len(v) > 4096:  # every object is encrypted (SSE-C, or SSE-S3 by default)
                check(v[:4096] not in body, f"the plaintext of {k} is on the remote")
    for k, v in objs.items():
        eq(_sha(s3, b, k), hashlib.sha256(v).hexdigest(), f"SHA-256 of {k} after the moves")
        expect_error(lambda k=k: s3.get_object(Bucket=b, Key=k), "InvalidObjectState", 403)
    # RestoreObject copies the archived bytes home; then GET works.
    for k in keys:
        s3.restore_object(Bucket=b, Key=k, RestoreRequest={"Days": 30})
    deadline = time.time() + 60
    while time.time() < deadline:
        if all('ongoing-request="false"' in s3.head_object(
                Bucket=b, Key=k, **(sse_c if k == "d/ssec" else {})).get("Restore", "")
               for k in keys):
            break
        time.sleep(0.5)
    for k, v in objs.items():
        same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), v, f"GET {k} restored")
    same_bytes(s3.get_object(Bucket=b, Key="d/ssec", **sse_c)["Body"].read(), cdata,
               "GET of the restored SSE-C object")
    got = s3.get_object(Bucket=b, Key="d/mp", Range="bytes=5242000-5243000")["Body"].read()
    same_bytes(got, big[5242000:5243001], "range of the restored multipart object")


@timeout(300)
def test_tampered_remote_bytes_are_never_served_and_scrub_reports(ctx):
    rem = _rgw_remote(ctx)
    rb = _rbucket()
    srv, conf = _server(ctx, rem, {"GLACIER_IR": f"s3://{rb}"}, "lifecycle_interval = 0\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("rttamper", client=s3)
    good, bad = rand_bytes(200 * KiB), rand_bytes(200 * KiB)
    s3.put_object(Bucket=b, Key="good", Body=good, StorageClass="GLACIER_IR")
    before = set(_remote_keys(rem, rb))
    s3.put_object(Bucket=b, Key="bad", Body=bad, StorageClass="GLACIER_IR")
    [bad_key] = set(_remote_keys(rem, rb)) - before
    body = bytearray(rem.s3.get_object(Bucket=rb, Key=bad_key)["Body"].read())
    body[70000] ^= 1  # one bit of the second frame
    rem.s3.put_object(Bucket=rb, Key=bad_key, Body=bytes(body))
    same_bytes(s3.get_object(Bucket=b, Key="good")["Body"].read(), good, "the intact one")
    try:
        got = s3.get_object(Bucket=b, Key="bad")["Body"].read()
        check(got != bad and got[:65536] == bad[:65536] and len(got) < len(bad),
              "a tampered remote object was served whole")
    except Exception:  # noqa: BLE001 - an error before the body is as good
        pass
    same_bytes(s3.get_object(Bucket=b, Key="bad", Range="bytes=0-100")["Body"].read(),
               bad[:101], "the untouched first frame still reads")
    expect_error(lambda: s3.get_object(Bucket=b, Key="bad", Range="bytes=66000-66100"),
                 "InternalError", 500)
    # An orphan: an object in the remote tier that no index row names. Younger than the
    # 60 s rule (S4) it may be a commit in flight, so the first scrub must not report it.
    orphan = "objects/" + "ab" * 16
    rem.s3.put_object(Bucket=rb, Key=orphan, Body=b"orphan")
    srv.stop()
    p = run_strata(ctx.binary, ["scrub", "--config", conf, "--data", srv.data_dir], timeout=120)
    out = p.stdout + p.stderr
    check(p.returncode != 0, f"scrub over a tampered remote object: rc {p.returncode} {out!r}")
    check(bad_key.split("/")[-1] in out, f"the tampered file is named: {out[-800:]!r}")
    check(("ab" * 16) not in out, "a fresh remote object was taken for an orphan")
    # Wait out the orphan age (S4: 60 s) and scrub again: now it is reported.
    time.sleep(61)
    p = run_strata(ctx.binary, ["scrub", "--config", conf, "--data", srv.data_dir], timeout=120)
    out = p.stdout + p.stderr
    check(("ab" * 16) in out and "orphan" in out.lower(), f"the orphan is reported: {out[-800:]!r}")


@timeout(300)
def test_remote_down_during_transition_keeps_the_object(ctx):
    rem = _strata_remote(ctx)
    rb = _rbucket()
    srv, conf = _server(ctx, rem, {"STANDARD_IA": f"s3://{rb}/ia/"}, "lifecycle_interval = 0\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("rtdown", client=s3)
    data = rand_bytes(150 * KiB)
    s3.put_object(Bucket=b, Key="d/a", Body=data)
    s3.put_object(Bucket=b, Key="remote-one", Body=data, StorageClass="STANDARD_IA")
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "ia", "Filter": {"Prefix": "d/"}, "Status": "Enabled",
         "Transitions": [{"Days": 1, "StorageClass": "STANDARD_IA"}]}]})
    time.sleep(2.5)
    rem.server.stop()
    srv.stop()
    p = run_strata(ctx.binary, ["lifecycle", "run", "--config", conf, "--data", srv.data_dir],
                   timeout=180)
    check("0 moved" in p.stdout, f"a move into a remote that is down: {p.stdout!r} "
                                 f"{p.stderr[-400:]!r}")
    srv.start()  # starts degraded: the remote is still down
    s3 = ctx.client(srv)
    eq(_class(s3, b, "d/a"), "STANDARD", "the class after a failed move")
    same_bytes(s3.get_object(Bucket=b, Key="d/a")["Body"].read(), data, "GET after a failed move")
    expect_error(lambda: s3.get_object(Bucket=b, Key="remote-one"), "ServiceUnavailable", 503)
    check("cannot be reached" in srv.log_tail(400), "no warning about the unreachable tier")
    rem.server.start(port=rem.server.port)
    same_bytes(s3.get_object(Bucket=b, Key="remote-one")["Body"].read(), data,
               "GET once the remote is back")
    p = _lifecycle_run(ctx, srv, conf)
    check(p.returncode == 0 and "1 moved" in p.stdout, f"the move once the remote is back: "
                                                       f"{p.stdout!r} {p.stderr[-300:]!r}")
    s3 = ctx.client(srv)
    eq(_class(s3, b, "d/a"), "STANDARD_IA", "class after the later pass")
    same_bytes(s3.get_object(Bucket=b, Key="d/a")["Body"].read(), data, "GET after the move")
    eq(_sha(s3, b, "d/a"), hashlib.sha256(data).hexdigest(), "SHA-256 after the move")


@timeout(120)
def test_s3_tier_needs_the_remote_settings(ctx):
    conf = ctx.path("nokeys.conf")
    with open(conf, "w") as f:
        f.write("tier_GLACIER = s3://some-bucket/p/\n")
    p = run_strata(ctx.binary, ["lifecycle", "run", "--config", conf, "--data",
                                ctx.path("nokeys-data")], timeout=30)
    check(p.returncode != 0 and "s3_endpoint" in p.stderr,
          f"an s3:// tier without s3_endpoint: rc {p.returncode} {p.stderr[-300:]!r}")
    with open(conf, "w") as f:
        f.write("tier_GLACIER = s3://Bad_Bucket\n")
    p = run_strata(ctx.binary, ["lifecycle", "run", "--config", conf, "--data",
                                ctx.path("nokeys-data")], timeout=30)
    check(p.returncode != 0 and "tier_GLACIER" in p.stderr,
          f"a malformed s3:// tier: rc {p.returncode} {p.stderr[-300:]!r}")
