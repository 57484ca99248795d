"""Integrity end to end (issue 4, DESIGN.md "Integrity"): a flipped byte in a stored
data file makes GET fail loudly while a ranged GET of an untouched frame still works,
`strata scrub` finds exactly the damaged objects (corrupt, truncated, missing, orphan),
and the SHA-256 Strata reports equals hashlib.sha256 of what the client sent for
single-part, multipart and copied objects."""

import hashlib
import os
import sqlite3
import time

import boto3.s3.transfer
import botocore.exceptions
from botocore.exceptions import ClientError

from harness import (b64, check, eq, rand_bytes, run_strata, same_bytes, timeout)
from harness import posix_home_only

KiB = 1024
MiB = 1024 * KiB
FRAME = 64 * KiB  # plaintext bytes per frame (common/frames.h)
TAG = 32          # bytes of tag after each frame


# ---------------------------------------------------------------- helpers

def _index(srv):
    """The index of a stopped server, read-only (never written by a test)."""
    check(not srv.alive(), "the index is read only while the server is stopped")
    return sqlite3.connect(f"file:{os.path.join(srv.data_dir, 'index.db')}?mode=ro", uri=True)


def _data_files(srv, bucket, key):
    """Paths of the data files of bucket/key, in order (one, or one per part)."""
    db = _index(srv)
    try:
        row = db.execute("SELECT object_id, layout FROM objects WHERE bucket = ? AND key = ?",
                         (bucket, key)).fetchone()
        check(row is not None, f"no index row for {bucket}/{key}")
        if row[1] == 0:
            ids = [row[0]]
        else:
            ids = [r[0] for r in db.execute(
                "SELECT object_id FROM object_parts WHERE bucket = ? AND key = ? ORDER BY idx",
                (bucket, key))]
    finally:
        db.close()
    return [os.path.join(srv.data_dir, "objects", i[:2], i) for i in ids]


def _flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        c = f.read(1)
        f.seek(offset)
        f.write(bytes([c[0] ^ 0x01]))


def _scrub(ctx, srv, *extra):
    p = run_strata(ctx.binary, ["scrub", "--data", srv.data_dir] + list(extra), timeout=120)
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    return p, lines


def _summary(lines):
    check(lines and lines[-1].startswith("scrubbed "),
          f"no summary line at the end of the scrub output: {lines[-3:]!r}")
    return lines[-1]


def _problems(lines):
    return [ln for ln in lines[:-1]
            if ln.split(" ", 1)[0] in ("CORRUPT", "TRUNCATED", "MISSING", "ORPHAN")]


def _get_fails(s3, bucket, key, data):
    """True when a GET of the whole object fails visibly: an HTTP error before the
    body, or a body cut short (boto3 raises on the short read). Never the wrong bytes."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as e:
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 500, "status of a corrupt GET")
        return True
    except (botocore.exceptions.BotoCoreError, ConnectionError, OSError):
        return True
    check(body != data, "a corrupt object was served as the original bytes")
    raise AssertionError(f"a corrupt object was served without an error "
                         f"({len(body)} of {len(data)} bytes)")


# ---------------------------------------------------------------- bitrot

@posix_home_only("it edits data files and runs the scrubber")
@timeout(240)
def test_flipped_byte_get_fails_scrub_finds_it(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("rot", client=s3)
    victim = rand_bytes(3 * FRAME - 5000)  # ~200 KiB: three frames
    fine = rand_bytes(10 * KiB)
    s3.put_object(Bucket=b, Key="victim", Body=victim)
    s3.put_object(Bucket=b, Key="fine", Body=fine)

    # While the server runs, the offline scrub refuses and says who does the job.
    p, _ = _scrub(ctx, srv)
    eq(p.returncode, 1, "exit status of strata scrub on a data dir in use")
    check("in use" in p.stderr and "scrubber" in p.stderr,
          f"strata scrub on a busy data dir should say so: {p.stderr!r}")

    srv.stop()
    p, lines = _scrub(ctx, srv)
    eq(p.returncode, 0, f"exit status of a clean scrub ({p.stdout!r} {p.stderr!r})")
    eq(_problems(lines), [], "findings of a clean scrub")
    check(_summary(lines).startswith("scrubbed 2 objects,") and
          _summary(lines).endswith(": 0 problems"), f"summary: {_summary(lines)!r}")

    [path] = _data_files(srv, b, "victim")
    _flip(path, 100)  # inside frame 0
    srv.start()
    s3 = ctx.client(srv)
    check(_get_fails(s3, b, "victim", victim), "GET of a corrupt object")
    # Frame 2 is untouched: a ranged GET inside it verifies only that frame.
    lo, hi = 2 * FRAME + 10, 2 * FRAME + 20000
    r = s3.get_object(Bucket=b, Key="victim", Range=f"bytes={lo}-{hi}")
    same_bytes(r["Body"].read(), victim[lo:hi + 1], "ranged GET of an untouched frame")
    same_bytes(s3.get_object(Bucket=b, Key="fine")["Body"].read(), fine, "another object")
    # A range that starts in the corrupt frame fails too.
    try:
        s3.get_object(Bucket=b, Key="victim", Range="bytes=0-999")["Body"].read()
        raise AssertionError("a ranged GET of the corrupt frame succeeded")
    except (ClientError, botocore.exceptions.BotoCoreError, ConnectionError, OSError):
        pass

    srv.stop()
    p, lines = _scrub(ctx, srv)
    eq(p.returncode, 3, f"exit status of a scrub that found bitrot ({p.stderr!r})")
    probs = _problems(lines)
    eq(len(probs), 1, f"findings: {probs!r}")
    check(probs[0].startswith(f"CORRUPT {b}/victim (file {os.path.basename(path)})"),
          f"finding: {probs[0]!r}")
    check(_summary(lines).endswith(": 1 problems"), f"summary: {_summary(lines)!r}")


@posix_home_only("it edits the index's inline data and runs the scrubber")
@timeout(240)
def test_small_object_inline_bitrot_found(ctx):
    # A small object's bytes live in the index (I1 in backends/posix_inline.c), framed
    # like a file's: no data file, and bitrot there is refused and found the same way.
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("inl", client=s3)
    victim, fine = rand_bytes(3 * KiB), rand_bytes(5 * KiB)
    s3.put_object(Bucket=b, Key="victim", Body=victim)
    s3.put_object(Bucket=b, Key="fine", Body=fine)
    srv.stop()
    [path] = _data_files(srv, b, "victim")
    check(not os.path.exists(path), f"a small object got a data file: {path}")
    db = sqlite3.connect(os.path.join(srv.data_dir, "index.db"))
    try:
        oid = os.path.basename(path)
        (blob,) = db.execute("SELECT data FROM inline_data WHERE object_id = ?",
                             (oid,)).fetchone()
        eq(len(blob), len(victim) + 32, "inline bytes: one frame and its tag")
        flipped = bytearray(blob)
        flipped[100] ^= 0x01
        db.execute("UPDATE inline_data SET data = ? WHERE object_id = ?", (bytes(flipped), oid))
        db.commit()
    finally:
        db.close()
    srv.start()
    s3 = ctx.client(srv)
    check(_get_fails(s3, b, "victim", victim), "GET of a corrupt inline object")
    same_bytes(s3.get_object(Bucket=b, Key="fine")["Body"].read(), fine, "another object")
    srv.stop()
    p, lines = _scrub(ctx, srv)
    eq(p.returncode, 3, f"exit status of a scrub that found bitrot ({p.stderr!r})")
    probs = _problems(lines)
    eq(len(probs), 1, f"findings: {probs!r}")
    check(probs[0].startswith(f"CORRUPT {b}/victim (file {oid})"), f"finding: {probs[0]!r}")


@posix_home_only("it edits data files and runs the scrubber")
@timeout(240)
def test_truncated_deleted_orphan_all_found(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("dmg", client=s3)
    bodies = {k: rand_bytes(n) for k, n in
              (("short", 150 * KiB), ("gone", 70 * KiB), ("ok1", 5 * KiB), ("ok2", 0))}
    for k, v in bodies.items():
        s3.put_object(Bucket=b, Key=k, Body=v)
    srv.stop()
    [short] = _data_files(srv, b, "short")
    [gone] = _data_files(srv, b, "gone")
    os.truncate(short, os.path.getsize(short) - 1000)
    os.unlink(gone)
    stray_id = "ab" + "5" * 30
    stray = os.path.join(srv.data_dir, "objects", "ab", stray_id)
    with open(stray, "wb") as f:
        f.write(b"left behind")
    old = time.time() - 3600
    os.utime(stray, (old, old))  # younger files may be mid-commit: the scrub waits a minute
    young = os.path.join(srv.data_dir, "objects", "ab", "ab" + "6" * 30)
    with open(young, "wb") as f:
        f.write(b"just renamed")

    p, lines = _scrub(ctx, srv, "--rate", "100000000")
    eq(p.returncode, 3, f"exit status ({p.stderr!r})")
    probs = sorted(_problems(lines))
    eq(len(probs), 3, f"findings: {probs!r}")
    check(probs[0].startswith(f"MISSING {b}/gone (file {os.path.basename(gone)})"),
          f"missing finding: {probs!r}")
    check(probs[1].startswith(f"ORPHAN file {stray_id}"), f"orphan finding: {probs!r}")
    check(probs[2].startswith(f"TRUNCATED {b}/short (file {os.path.basename(short)})"),
          f"truncated finding: {probs!r}")
    check(_summary(lines).startswith("scrubbed 4 objects,") and
          _summary(lines).endswith(": 3 problems"), f"summary: {_summary(lines)!r}")

    srv.start()
    s3 = ctx.client(srv)
    check(_get_fails(s3, b, "short", bodies["short"]), "GET of a truncated object")
    same_bytes(s3.get_object(Bucket=b, Key="ok1")["Body"].read(), bodies["ok1"], "ok1")


@posix_home_only("it edits data files and runs the scrubber")
@timeout(300)
def test_multipart_corrupt_part_found(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("mpr", client=s3)
    data = rand_bytes(12 * MiB)
    cfg = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * MiB,
                                           multipart_chunksize=5 * MiB)
    src = ctx.path("mp.bin")
    with open(src, "wb") as f:
        f.write(data)
    s3.upload_file(src, b, "mp", Config=cfg)
    srv.stop()
    files = _data_files(srv, b, "mp")
    eq(len(files), 3, "part files of a 12 MiB upload in 5 MiB parts")
    _flip(files[1], (FRAME + TAG) * 7 + 123)
    p, lines = _scrub(ctx, srv)
    eq(p.returncode, 3, f"exit status ({p.stderr!r})")
    probs = _problems(lines)
    eq(len(probs), 1, f"findings: {probs!r}")
    check(probs[0].startswith(f"CORRUPT {b}/mp (file {os.path.basename(files[1])})"),
          f"finding: {probs!r}")


# ---------------------------------------------------------------- SHA-256 shown to clients

def _check_sha(s3, b, key, data, what):
    want_hex = hashlib.sha256(data).hexdigest()
    want_b64 = b64(hashlib.sha256(data).digest())
    h = s3.head_object(Bucket=b, Key=key, ChecksumMode="ENABLED")
    eq(h["ResponseMetadata"]["HTTPHeaders"].get("x-strata-sha256"), want_hex,
       f"x-strata-sha256 of {what} (HEAD)")
    eq(h.get("ChecksumSHA256"), want_b64, f"x-amz-checksum-sha256 of {what} (HEAD)")
    g = s3.get_object(Bucket=b, Key=key, ChecksumMode="ENABLED")
    body = g["Body"].read()
    eq(hashlib.sha256(body).hexdigest(), want_hex, f"bytes of {what}")
    eq(g["ResponseMetadata"]["HTTPHeaders"].get("x-strata-sha256"), want_hex,
       f"x-strata-sha256 of {what} (GET)")
    eq(g.get("ChecksumSHA256"), want_b64, f"x-amz-checksum-sha256 of {what} (GET)")
    # Without ChecksumMode the plain hex header is still there.
    h = s3.head_object(Bucket=b, Key=key)
    eq(h["ResponseMetadata"]["HTTPHeaders"].get("x-strata-sha256"), want_hex,
       f"x-strata-sha256 of {what} without ChecksumMode")


def test_sha256_single_put(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("sha")
    data = rand_bytes(300 * KiB + 7)
    s3.put_object(Bucket=b, Key="one", Body=data)
    _check_sha(s3, b, "one", data, "a single PUT")
    s3.put_object(Bucket=b, Key="empty", Body=b"")
    _check_sha(s3, b, "empty", b"", "an empty object")


@timeout(300)
def test_sha256_multipart_upload_file(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("shamp")
    data = rand_bytes(20 * MiB)
    src = ctx.path("20m.bin")
    with open(src, "wb") as f:
        f.write(data)
    cfg = boto3.s3.transfer.TransferConfig(multipart_threshold=8 * MiB,
                                           multipart_chunksize=8 * MiB)
    s3.upload_file(src, b, "big", Config=cfg)
    h = s3.head_object(Bucket=b, Key="big")
    check(h["ETag"].strip('"').endswith("-3"), f"not a 3-part multipart object: {h['ETag']}")
    _check_sha(s3, b, "big", data, "a multipart upload")


def test_sha256_copied_object(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("shacp")
    data = rand_bytes(150 * KiB)
    s3.put_object(Bucket=b, Key="src", Body=data)
    s3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src"})
    _check_sha(s3, b, "dst", data, "a copied object")


@posix_home_only("the scrubber is not built for the s3 backend yet")
def test_background_scrubber_logs_corruption(ctx):
    # A running server re-verifies stored bytes on its own (scrub_interval,
    # scrub_rate) and logs what it finds, naming the object.
    conf = os.path.join(ctx.workdir, "scrub.conf")
    with open(conf, "w") as f:
        f.write("scrub_interval = 1\nscrub_rate = 0\n")
    srv = ctx.new_server(extra_args=["--config", conf])
    s3 = ctx.client(srv)
    b = ctx.bucket("bgscrub", client=s3)
    s3.put_object(Bucket=b, Key="victim", Body=rand_bytes(2 * FRAME))
    s3.put_object(Bucket=b, Key="fine", Body=rand_bytes(FRAME))
    srv.stop()
    [path] = _data_files(srv, b, "victim")
    _flip(path, FRAME + TAG + 7)  # inside frame 1
    srv.start()
    deadline = time.time() + 20
    found = []
    while time.time() < deadline and not found:
        time.sleep(0.5)
        found = [ln for ln in srv.log_tail(400).splitlines()
                 if "CORRUPT" in ln and f"{b}/victim" in ln]
    check(found, "the background scrubber logged no CORRUPT line for the damaged object:\n"
          + srv.log_tail(40))
    # The finding is logged mid-pass: give the pass time to end (slow under ASan).
    while time.time() < deadline + 20 and "pass done" not in srv.log_tail(400):
        time.sleep(0.5)
    tail = srv.log_tail(400)
    blamed = [ln for ln in tail.splitlines() if "CORRUPT" in ln and f"{b}/fine" in ln]
    eq(blamed, [], "the background scrubber blamed an intact object")
    check("pass done" in tail, "the background scrubber never finished a pass:\n" + tail[-2000:])


@posix_home_only("the scrubber is not built for the s3 backend yet")
def test_last_verified_header_after_scrub(ctx):
    # x-strata-last-verified tells an archive when the bytes were last proven
    # intact: absent before any scrub, an ISO 8601 time after one.
    s3 = ctx.s3()
    b = ctx.bucket("verified")
    s3.put_object(Bucket=b, Key="study.dcm", Body=rand_bytes(3 * FRAME))
    h = s3.head_object(Bucket=b, Key="study.dcm")["ResponseMetadata"]["HTTPHeaders"]
    eq(h.get("x-strata-last-verified"), None, "x-strata-last-verified before any scrub")
    before = time.time()
    srv = ctx.server
    srv.stop()
    p, lines = _scrub(ctx, srv)
    eq(p.returncode, 0, f"scrub of intact data: {lines[-3:]}")
    srv.start()
    s3 = ctx.s3()
    for h in (s3.head_object(Bucket=b, Key="study.dcm"),
              s3.get_object(Bucket=b, Key="study.dcm")):
        v = h["ResponseMetadata"]["HTTPHeaders"].get("x-strata-last-verified")
        check(v is not None, "no x-strata-last-verified after a scrub")
        when = time.mktime(time.strptime(v[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        check(v.endswith("Z") and before - 5 <= when <= time.time() + 5,
              f"x-strata-last-verified {v!r} is not the time of the scrub")
    # An overwrite is new, unverified data.
    s3.put_object(Bucket=b, Key="study.dcm", Body=b"new")
    h = s3.head_object(Bucket=b, Key="study.dcm")["ResponseMetadata"]["HTTPHeaders"]
    eq(h.get("x-strata-last-verified"), None, "x-strata-last-verified after an overwrite")


@posix_home_only("it reads the data directory's files")
def test_integrity_off_is_unprotected_and_says_so(ctx):
    # `integrity = off` exists for the benchmark only: the server warns, objects
    # written meanwhile carry no SHA-256 and no frames (a flipped byte is served),
    # and a server back at the default still reads them, and frames new ones.
    conf = os.path.join(ctx.workdir, "off.conf")
    with open(conf, "w") as f:
        f.write("integrity = off\ndefault_encryption = none\nscrub_interval = 0\n")
    srv = ctx.new_server(extra_args=["--config", conf])
    check("integrity = off" in srv.log_tail(50), "no start-up warning for integrity = off")
    s3 = ctx.client(srv)
    b = ctx.bucket("offbench", client=s3)
    data = rand_bytes(2 * FRAME + 5)
    s3.put_object(Bucket=b, Key="plain", Body=data)
    h = s3.head_object(Bucket=b, Key="plain")["ResponseMetadata"]["HTTPHeaders"]
    # boto3 signs the payload's SHA-256 over plain HTTP, so it is computed (and kept) anyway.
    check(h.get("x-strata-sha256") in (None, hashlib.sha256(data).hexdigest()),
          f"x-strata-sha256 of an object written with integrity off: {h.get('x-strata-sha256')}")
    same_bytes(s3.get_object(Bucket=b, Key="plain")["Body"].read(), data, "GET with integrity off")
    srv.stop()
    [path] = _data_files(srv, b, "plain")
    eq(os.path.getsize(path), len(data), "an integrity-off object is stored without frames")
    srv.extra_args = []
    srv.start()
    s3 = ctx.client(srv)
    same_bytes(s3.get_object(Bucket=b, Key="plain")["Body"].read(), data,
               "GET of an integrity-off object by a default server")
    s3.put_object(Bucket=b, Key="framed", Body=data)
    _check_sha(s3, b, "framed", data, "a PUT after integrity is back on")
