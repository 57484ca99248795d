"""Storage faults (issue 10): the data disk full (a 32 MiB tmpfs), write/fsync/rename
errors injected by an LD_PRELOAD shim (tests/faults/faultinject.c, compiled here), and
kill -9 at random moments of a mixed workload of 1,000 operations. Each time: a clear S3
error, nothing stored before damaged, nothing partial visible, no temporaries left, the
index intact (`strata scrub` clean), and the same server writes again once the fault is
gone."""

import hashlib
import os
import random
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request

from botocore.exceptions import ClientError

from harness import (Skip, check, eq, files_under, free_port, object_bytes, rand_bytes,
                     raw_request, run_strata, same_bytes, timeout)

SERVER = False
POSIX_HOME_ONLY = "it fills, breaks and kills the posix backend's data directory"

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM_SRC = os.path.normpath(os.path.join(HERE, "..", "faults", "faultinject.c"))
KiB, MiB = 1024, 1024 * 1024
FULL_CODE, FULL_STATUS = "XMinioStorageFull", 507
# A single PUT this small keeps its bytes in the index, not in a data file
# (POSIX_INLINE_MAX, I1 in backends/posix_inline.c).
INLINE_MAX = 8192


# ---------------------------------------------------------------- helpers

def _server(ctx, data_dir=None, env=None):
    """A private server (scrubber off) with an admin listener; returns (srv, admin URL)."""
    port = free_port()
    conf = ctx.path(f"faults-{port}.conf")
    with open(conf, "w") as f:
        f.write(f"admin_listen = 127.0.0.1:{port}\nscrub_interval = 0\n")
    srv = ctx.new_server(data_dir=data_dir, extra_args=["--config", conf], env_extra=env)
    return srv, f"http://127.0.0.1:{port}"


def _client(ctx, srv):
    # No retries: a refused write must show at once, and a retry after a kill -9 would
    # blur which operation was in flight.
    return ctx.client(srv, retries={"total_max_attempts": 1})


def _admin_get(admin, path):
    try:
        with urllib.request.urlopen(admin + path, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _tmp_files(srv):
    d = os.path.join(srv.data_dir, "tmp")
    return files_under(d) if os.path.isdir(d) else []


def _no_tmp_left(srv, what):
    left = []
    for _ in range(50):
        left = _tmp_files(srv)
        if not left:
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: temporaries left behind: {left[:5]}")


def _scrub_clean(ctx, srv, what):
    """Stops srv and runs the offline `strata scrub`: exit 0, no finding."""
    srv.stop()
    p = run_strata(ctx.binary, ["scrub", "--data", srv.data_dir], timeout=300)
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    bad = [ln for ln in lines
           if ln.split(" ", 1)[0] in ("CORRUPT", "TRUNCATED", "MISSING", "ORPHAN")]
    check(p.returncode == 0 and not bad,
          f"{what}: strata scrub exited {p.returncode}: {(bad or lines)[-5:]!r} "
          f"{p.stderr.strip()[-300:]!r}")
    check(lines and lines[-1].startswith("scrubbed "), f"{what}: no scrub summary: {lines[-3:]!r}")


def _err(fn):
    """Calls fn; returns (HTTP status, S3 code, message) of the ClientError it must raise."""
    try:
        fn()
    except ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"].get("Code"), e.response["Error"].get("Message", ""))
    raise AssertionError("the call succeeded")


def _expect_full(fn, what):
    st, code, msg = _err(fn)
    check((st, code) == (FULL_STATUS, FULL_CODE),
          f"{what} on a full disk: expected {FULL_STATUS} {FULL_CODE}, got {st} {code} {msg!r}")
    check("space" in msg.lower(), f"{what}: the message does not say why: {msg!r}")


# ---------------------------------------------------------------- disk full

def _mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    if shutil.which("mount") is None:
        raise Skip("no mount(8) here; the injected ENOSPC test covers a full disk")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", path],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise Skip(f"cannot mount a tmpfs ({p.stderr.strip() or p.returncode}): the injected "
                   f"ENOSPC test covers a full disk")


def _umount(path):
    if subprocess.run(["umount", path], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", path], capture_output=True)


@timeout(240)
def test_disk_full(ctx):
    mnt = ctx.path("small-disk")
    _mount_tmpfs(mnt, "32m")
    srv = None
    try:
        srv, admin = _server(ctx, data_dir=os.path.join(mnt, "data"))
        _disk_full(ctx, srv, admin)
    finally:
        try:
            if srv is not None:
                srv.stop()
        finally:
            _umount(mnt)


def _disk_full(ctx, srv, admin):
    s3 = _client(ctx, srv)
    b = ctx.bucket("full", client=s3)
    keep = {}
    for i in range(8):
        keep[f"keep/{i}"] = rand_bytes(random.randint(1, 200 * KiB))
    for k, v in keep.items():
        s3.put_object(Bucket=b, Key=k, Body=v)
    keep["keep/sse"] = rand_bytes(300 * KiB)
    s3.put_object(Bucket=b, Key="keep/sse", Body=keep["keep/sse"], ServerSideEncryption="AES256")
    # An upload begun before the disk fills: its part 2 and Complete come after.
    up = s3.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    part1 = rand_bytes(5 * MiB)
    e1 = s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1, Body=part1)["ETag"]

    # Fill it: 1 MiB objects, then 64 KiB and 4 KiB ones, until each size is refused.
    fills = {}
    for size in (MiB, 64 * KiB, 4 * KiB):
        for n in range(200):
            k, body = f"fill/{size}/{n}", rand_bytes(size)
            try:
                s3.put_object(Bucket=b, Key=k, Body=body)
            except ClientError as e:
                st = e.response["ResponseMetadata"]["HTTPStatusCode"]
                code = e.response["Error"]["Code"]
                check((st, code) == (FULL_STATUS, FULL_CODE),
                      f"a PUT to a full disk answered {st} {code}, not {FULL_STATUS} {FULL_CODE}")
                break
            fills[k] = body
        else:
            raise AssertionError(f"200 PUTs of {size} bytes fit in a 32 MiB disk")
    check(len(fills) >= 5, f"only {len(fills)} objects filled the disk")
    _no_tmp_left(srv, "after the refused fills")

    # Every write answers the same on a full disk.
    big = rand_bytes(512 * KiB)
    _expect_full(lambda: s3.put_object(Bucket=b, Key="new", Body=big), "PutObject")
    _expect_full(lambda: s3.put_object(Bucket=b, Key="keep/0", Body=big), "PutObject (overwrite)")
    _expect_full(lambda: s3.put_object(Bucket=b, Key="new-sse", Body=big,
                                       ServerSideEncryption="AES256"), "PutObject (SSE-S3)")
    _expect_full(lambda: s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=2, Body=big),
                 "UploadPart")
    _expect_full(lambda: s3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b,
                                                                          "Key": "keep/sse"}),
                 "CopyObject")
    # Raw: the S3 error document itself.
    r = raw_request(srv, "PUT", f"/{b}/raw", body=big)
    eq((r.status, r.error().get("Code")), (FULL_STATUS, FULL_CODE), "raw PUT on a full disk")
    # Complete only writes the index: it may still fit (then it must be right) or be refused
    # the same way; never anything else.
    parts = {"Parts": [{"PartNumber": 1, "ETag": e1}]}
    try:
        s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up, MultipartUpload=parts)
        keep["mp"] = part1
    except ClientError as e:
        st, code = e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
        eq((st, code), (FULL_STATUS, FULL_CODE), "CompleteMultipartUpload on a full disk")
    _no_tmp_left(srv, "after the refused writes")
    for k in ("new", "new-sse", "copy", "raw"):
        eq(object_bytes(s3, b, k), None, f"{k} after its refused write")

    # Readiness: reads and deletes (which free the space) still work, so the server stays
    # in the load balancer; a full disk is reported per request (507).
    eq(_admin_get(admin, "/health/ready")[0], 200, "/health/ready on a full disk")
    for k, v in list(keep.items()) + list(fills.items()):
        same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), v, f"{k} on a full disk")
    listed = {o["Key"]: o["Size"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=b)
              for o in p.get("Contents", [])}
    eq(listed, {k: len(v) for k, v in list(keep.items()) + list(fills.items())}, "the listing")

    # Deleting frees space: DeleteObjects on a full disk works, then writes do again,
    # without a restart.
    gone = sorted(fills)
    for i in range(0, len(gone), 1000):
        r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in gone[i:i + 1000]],
                                                "Quiet": True})
        eq(r.get("Errors", []), [], "DeleteObjects errors on a full disk")
    for k in gone[:3]:
        eq(object_bytes(s3, b, k), None, f"{k} after DeleteObjects")
    again = rand_bytes(2 * MiB)
    s3.put_object(Bucket=b, Key="again", Body=again)
    same_bytes(s3.get_object(Bucket=b, Key="again")["Body"].read(), again, "a PUT after deletes")
    s3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "keep/sse"})
    same_bytes(s3.get_object(Bucket=b, Key="copy")["Body"].read(), keep["keep/sse"], "copy")
    if "mp" not in keep:
        e2 = s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=2, Body=big)["ETag"]
        s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        keep["mp"] = part1 + big
    for k, v in keep.items():
        same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), v, f"{k} after the disk full")
    _no_tmp_left(srv, "at the end")
    _scrub_clean(ctx, srv, "after the disk was full")
    srv.start()
    s3 = _client(ctx, srv)
    for k, v in keep.items():
        same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), v, f"{k} after a restart")


# ---------------------------------------------------------------- injected faults

def _shim(ctx):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise Skip("no C compiler to build the fault-injection shim")
    out = ctx.path("faultinject.so")
    p = subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", out, SHIM_SRC, "-ldl"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise Skip(f"cannot build the shim: {p.stderr.strip()[-300:]}")
    return out


def _shimmed_server(ctx, name):
    """A private server whose data directory name/ fails (or holds) calls through the shim
    while the returned control file exists; returns (srv, admin URL, data dir, env, ctl)."""
    so = _shim(ctx)
    data = os.path.realpath(ctx.path(name))
    os.makedirs(data, exist_ok=True)
    ctl = ctx.path(name + ".ctl")
    env = {"LD_PRELOAD": so, "FAULTINJECT_CTL": ctl, "FAULTINJECT_DIR": data,
           # An ASan build wants its runtime first in the library list; here it is not.
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
    srv, admin = _server(ctx, data_dir=data, env=env)
    return srv, admin, data, env, ctl


# (name, what the control file says, path prefix under the data dir, expected status, code)
FAULTS = [
    ("write-eio", "EIO write", "", 500, "InternalError"),
    ("write-enospc", "ENOSPC write", "", FULL_STATUS, FULL_CODE),
    ("fsync-eio", "EIO sync", "", 500, "InternalError"),
    ("rename-eio", "EIO rename", "", 500, "InternalError"),
    ("create-enospc", "ENOSPC create", "tmp", FULL_STATUS, FULL_CODE),
    ("index-eio", "EIO write sync", "index", 500, "InternalError"),
    ("index-enospc", "ENOSPC write", "index", FULL_STATUS, FULL_CODE),
]


@timeout(240)
def test_injected_faults(ctx):
    srv, admin, data, env, ctl = _shimmed_server(ctx, "data-shim")
    s3 = _client(ctx, srv)
    b = ctx.bucket("inject", client=s3)
    index = [f for f in os.listdir(data) if f.startswith("index")]
    check(index, f"no index file in the data directory: {os.listdir(data)}")
    stored = {}

    def put(k, v, **kw):
        s3.put_object(Bucket=b, Key=k, Body=v, **kw)
        stored[k] = v

    put("old", rand_bytes(10 * KiB))
    put("old-big", rand_bytes(3 * MiB))
    for name, spec, prefix, status, code in FAULTS:
        env["FAULTINJECT_DIR"] = os.path.join(data, prefix) if prefix else data
        srv.env_extra.update(env)
        srv.restart()  # the prefix is read from the environment
        s3 = _client(ctx, srv)
        up = s3.create_multipart_upload(Bucket=b, Key=f"mp-{name}")["UploadId"]
        p1 = rand_bytes(5 * MiB)
        e1 = s3.upload_part(Bucket=b, Key=f"mp-{name}", UploadId=up, PartNumber=1,
                            Body=p1)["ETag"]
        # Each write, and what it stores when its bytes go to the index alone (I1): those
        # fail only when the fault reaches the index, and must otherwise land whole.
        writes = [
            ("small", lambda: s3.put_object(Bucket=b, Key=f"{name}/small", Body=b"x" * 100),
             lambda: (f"{name}/small", b"x" * 100)),
            ("overwrite", lambda: s3.put_object(Bucket=b, Key="old", Body=b"y" * 5000),
             lambda: ("old", b"y" * 5000)),
            ("large", lambda: s3.put_object(Bucket=b, Key="old-big", Body=rand_bytes(2 * MiB)),
             lambda: None),
            ("sse", lambda: s3.put_object(Bucket=b, Key=f"{name}/sse", Body=b"z" * 70000,
                                          ServerSideEncryption="AES256"),
             lambda: None),
            ("part", lambda: s3.upload_part(Bucket=b, Key=f"mp-{name}", UploadId=up,
                                            PartNumber=2, Body=b"p" * 1000),
             lambda: None),
            ("copy", lambda: s3.copy_object(Bucket=b, Key=f"{name}/copy",
                                            CopySource={"Bucket": b, "Key": "old"}),
             lambda: (f"{name}/copy", stored["old"]) if len(stored["old"]) <= INLINE_MAX
             else None),
        ]
        # The index is only ever written and synced (SQLite renames and creates nothing).
        index_faulty = prefix in ("", "index") and ("write" in spec or "sync" in spec)
        files_before = set(files_under(os.path.join(data, "objects")))
        with open(ctl, "w") as f:
            f.write(spec + "\n")
        try:
            for what, fn, inline in writes:
                lands = inline()
                if lands and not index_faulty:
                    fn()
                    stored[lands[0]] = lands[1]
                    continue
                st, c, msg = _err(fn)
                eq((st, c), (status, code), f"[{name}] {what}: status and code")
            # Complete writes no data file: with data-file faults it may succeed (and
            # must then be right); with index faults it must fail the same way.
            done = False
            try:
                s3.complete_multipart_upload(Bucket=b, Key=f"mp-{name}", UploadId=up,
                                             MultipartUpload={"Parts": [{"PartNumber": 1,
                                                                         "ETag": e1}]})
                done = True
            except ClientError as e:
                got = (e.response["ResponseMetadata"]["HTTPStatusCode"],
                       e.response["Error"]["Code"])
                eq(got, (status, code), f"[{name}] CompleteMultipartUpload")
            check(not (done and prefix == "index"),
                  f"[{name}] Complete succeeded though the index cannot be written")
            # Reads go on while the fault lasts.
            for k, v in stored.items():
                same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), v,
                           f"[{name}] {k} while faulty")
            eq(_admin_get(admin, "/health/live")[0], 200, f"[{name}] /health/live")
            # No data file is left behind either. The exception: a COMMIT that failed on
            # EIO might still be replayed from the WAL at a restart, so its file is kept
            # (an orphan the scrubber reports once it is old) rather than risk a row
            # naming a missing file.
            if name != "index-eio":
                new = set(files_under(os.path.join(data, "objects"))) - files_before
                eq(sorted(new), [], f"[{name}] data files left by the failed writes")
        finally:
            os.unlink(ctl)
        _no_tmp_left(srv, f"[{name}]")
        for k in ("small", "sse", "copy"):
            if f"{name}/{k}" not in stored:
                eq(object_bytes(s3, b, f"{name}/{k}"), None,
                   f"[{name}] {k} after its failed write")
        if done:
            stored[f"mp-{name}"] = p1
        # Disarmed, the same server accepts writes again.
        e2 = s3.upload_part(Bucket=b, Key=f"mp-{name}", UploadId=up, PartNumber=2,
                            Body=b"p" * 1000)["ETag"] if not done else None
        if not done:
            s3.complete_multipart_upload(Bucket=b, Key=f"mp-{name}", UploadId=up,
                                         MultipartUpload={"Parts": [
                                             {"PartNumber": 1, "ETag": e1},
                                             {"PartNumber": 2, "ETag": e2}]})
            stored[f"mp-{name}"] = p1 + b"p" * 1000
        put(f"{name}/after", rand_bytes(100 * KiB), ServerSideEncryption="AES256")
        for k, v in stored.items():
            same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), v, f"[{name}] {k} after")
    srv.env_extra.pop("LD_PRELOAD")
    _scrub_clean(ctx, srv, "after the injected faults")
    srv.start()
    s3 = _client(ctx, srv)
    for k, v in stored.items():
        same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), v, f"{k} after a restart")


# ---------------------------------------------------------------- a slow disk

HELD_PUTS = 8  # more PUTs waiting than the machine has cores


@timeout(120)
def test_gets_answered_while_commits_wait(ctx):
    """A commit waiting on the disk holds up only its own request: with PUTs stuck in a
    held fsync, GETs and HEADs of stored objects and a listing are answered at once, and
    the PUTs land whole once the disk lets go. (A threading model that served many
    connections from a few threads and ran commits on them would fail here: issue 11.)"""
    srv, _admin, _data, _env, ctl = _shimmed_server(ctx, "data-hold")
    s3 = ctx.client(srv, retries={"total_max_attempts": 1}, read_timeout=20)
    putter = ctx.client(srv, retries={"total_max_attempts": 1},
                        max_pool_connections=HELD_PUTS * 2)
    b = ctx.bucket("hold", client=s3)
    stored = {f"ready{i}": rand_bytes(4 * KiB + i) for i in range(4)}
    stored["ready-big"] = rand_bytes(300 * KiB)
    for k, v in stored.items():
        s3.put_object(Bucket=b, Key=k, Body=v)
    held = {}

    def put(i):
        v = rand_bytes(3000 + i)
        try:
            putter.put_object(Bucket=b, Key=f"held{i}", Body=v)
            held[i] = v
        except Exception as e:  # reported below
            held[i] = e

    with open(ctl, "w") as f:
        f.write("hold sync\n")
    threads = [threading.Thread(target=put, args=(i,)) for i in range(HELD_PUTS)]
    try:
        for t in threads:
            t.start()
        time.sleep(1.5)  # every PUT reaches its commit and waits there
        eq(held, {}, "PUTs finished while every fsync was held")
        t0 = time.time()
        for _round in range(5):
            for k, v in stored.items():
                same_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read(), v,
                           f"GET {k} while commits wait")
                eq(s3.head_object(Bucket=b, Key=k)["ContentLength"], len(v), f"HEAD {k}")
        listed = [o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", [])]
        eq(sorted(listed), sorted(stored), "the listing while commits wait")
        waited = time.time() - t0
        check(waited < 10, f"reads took {waited:.1f} s while commits waited")
        eq(held, {}, "PUTs finished while every fsync was held")
    finally:
        if os.path.exists(ctl):
            os.remove(ctl)
        for t in threads:
            t.join(60)
    for i in range(HELD_PUTS):
        v = held.get(i)
        check(isinstance(v, bytes), f"PUT held{i} after the disk let go: {v!r}")
        same_bytes(object_bytes(s3, b, f"held{i}"), v, f"held{i}")


# ---------------------------------------------------------------- kill -9 under load

TOTAL_OPS, CYCLES, THREADS, NKEYS = 1000, 5, 4, 24  # about 5 kills


def _body(seed, size):
    return random.Random(seed).randbytes(size)


def _digest(b):
    return (len(b), hashlib.sha256(b).hexdigest())


class _Workload:
    """Random operations on NKEYS keys; each holds the locks of the keys it touches, so
    a key has at most one operation in flight and its acknowledged state is exact."""

    def __init__(self, bucket, seed):
        self.bucket = bucket
        self.rng = random.Random(seed)
        self.keys = [f"k{i:02d}" for i in range(NKEYS)]
        self.locks = {k: threading.Lock() for k in self.keys}
        self.state = {k: None for k in self.keys}  # acknowledged: None or (size, sha256)
        self.maybe = {k: set() for k in self.keys}  # outcomes of ops cut by the kill
        self.mu = threading.Lock()
        self.done = 0
        self.acked = 0

    def pick(self, n):
        with self.mu:
            return sorted(self.rng.sample(self.keys, n)), self.rng.random(), self.rng.getrandbits(32)

    def run_one(self, s3):
        """One random operation; returns False once the server is gone."""
        keys, r, seed = self.pick(3)
        k = keys[0]
        if r < 0.30:
            op, touched = "put", [k]
        elif r < 0.40:
            op, touched = "put-large", [k]
        elif r < 0.55:
            op, touched = "delete", [k]
        elif r < 0.65:
            op, touched = "delete-objects", keys
        elif r < 0.70:
            op, touched = "multipart", [k]
        elif r < 0.85:
            op, touched = "copy", keys[:2]
        else:
            op, touched = "get", [k]
        for t in touched:
            self.locks[t].acquire()
        try:
            return self._do(s3, op, touched, seed)
        finally:
            for t in touched:
                self.locks[t].release()

    def _do(self, s3, op, keys, seed):
        b, k = self.bucket, keys[0]
        outcome = {}  # key -> state the op gives it
        if op == "put":
            body = _body(seed, seed % (200 * KiB))
            outcome[k] = _digest(body)
        elif op == "put-large":
            body = _body(seed, MiB + seed % (2 * MiB))
            outcome[k] = _digest(body)
        elif op in ("delete", "delete-objects"):
            outcome = {x: None for x in keys}
        elif op == "multipart":
            parts = [_body(seed, 5 * MiB), _body(seed + 1, 1 + seed % (100 * KiB))]
            outcome[k] = _digest(b"".join(parts))
        elif op == "copy":
            src, dst = (keys[0], keys[1]) if seed & 1 else (keys[1], keys[0])
            if self.state[src] is None or self.maybe[src]:
                op = "get"
            else:
                outcome[dst] = self.state[src]
        try:
            if op in ("put", "put-large"):
                s3.put_object(Bucket=b, Key=k, Body=body)
            elif op == "delete":
                s3.delete_object(Bucket=b, Key=k)
            elif op == "delete-objects":
                r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": x} for x in keys]})
                check(not r.get("Errors"), f"DeleteObjects errors: {r.get('Errors')}")
            elif op == "multipart":
                up = s3.create_multipart_upload(Bucket=b, Key=k)["UploadId"]
                tags = [s3.upload_part(Bucket=b, Key=k, UploadId=up, PartNumber=i + 1,
                                       Body=p)["ETag"] for i, p in enumerate(parts)]
                s3.complete_multipart_upload(Bucket=b, Key=k, UploadId=up, MultipartUpload={
                    "Parts": [{"PartNumber": i + 1, "ETag": t} for i, t in enumerate(tags)]})
            elif op == "copy":
                s3.copy_object(Bucket=b, Key=dst, CopySource={"Bucket": b, "Key": src})
            else:
                got = object_bytes(s3, b, k)
                if not self.maybe[k]:
                    eq(None if got is None else _digest(got), self.state[k], f"GET {k}")
        except ClientError as e:
            if e.response["Error"]["Code"] != "SlowDown":
                raise
            return True  # the index was busy: refused, nothing changed
        except AssertionError:
            raise
        except Exception:  # noqa: BLE001 - the connection died with the server
            for x, st in outcome.items():
                self.maybe[x].add(st)
            return False
        with self.mu:
            self.done += 1
            self.acked += 1
        for x, st in outcome.items():
            self.state[x] = st
            self.maybe[x] = set()
        return True

    def verify(self, s3):
        """After a restart: each key holds its acknowledged state or, if an operation on it
        was cut by the kill, what that operation would have left; never anything else."""
        listed = {o["Key"]: o["Size"]
                  for p in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
                  for o in p.get("Contents", [])}
        for k in self.keys:
            got = object_bytes(s3, self.bucket, k)
            got = None if got is None else _digest(got)
            allowed = {self.state[k]} | self.maybe[k]
            check(got in allowed, f"{k} after kill -9: {got} is none of the allowed {allowed}")
            eq(listed.get(k), None if got is None else got[0], f"{k} in the listing")
            self.state[k] = got
            self.maybe[k] = set()
        extra = set(listed) - set(self.keys)
        check(not extra, f"unexpected keys listed: {sorted(extra)[:5]}")


@timeout(300)
def test_kill9_mixed_workload(ctx):
    srv, _admin = _server(ctx)
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    b = ctx.bucket("mixed", client=_client(ctx, srv))
    w = _Workload(b, seed)
    per_cycle = TOTAL_OPS // CYCLES
    errors = []
    cycle = cut_total = 0
    while w.done < TOTAL_OPS:
        # The kill comes after a random number of acknowledged operations (the last
        # cycle ends at 1,000 or a little past).
        left = TOTAL_OPS - w.done
        kill_at = w.done + (left if left <= per_cycle * 3 // 2
                            else rng.randint(per_cycle // 2, per_cycle * 3 // 2))
        stop = threading.Event()

        def worker():
            s3 = _client(ctx, srv)
            try:
                while not stop.is_set():
                    if not w.run_one(s3):
                        return
            except Exception as e:  # noqa: BLE001
                errors.append(e)
                stop.set()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
        for t in threads:
            t.start()
        while w.done < kill_at and not stop.is_set() and any(t.is_alive() for t in threads):
            time.sleep(0.002)
        time.sleep(rng.random() * 0.05)  # not always right after an acknowledgement
        srv.kill9()
        stop.set()
        for t in threads:
            t.join(60)
        if errors:
            raise AssertionError(f"seed {seed}, cycle {cycle}: {errors[0]!r}") from errors[0]
        # Count the operations cut by the kill towards the 1,000 too.
        cut = sum(1 for k in w.keys if w.maybe[k])
        w.done += cut
        cut_total += cut
        srv.start()
        _no_tmp_left(srv, f"seed {seed}, cycle {cycle}: after the restart")
        w.verify(_client(ctx, srv))
        cycle += 1
    check(cycle >= 3, f"only {cycle} kills")
    check(cut_total > 0, "no operation was in flight at any kill: the test proves little")
    _scrub_clean(ctx, srv, f"seed {seed}: after {CYCLES} kills")
