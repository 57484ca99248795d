"""Multipart uploads with boto3 at default settings, s3transfer and aws-cli:
Create/UploadPart/UploadPartCopy/Complete/Abort/ListParts/ListMultipartUploads,
their errors, part reads (partNumber=), per-part and whole-object checksums
(composite and full-object), a 1 GiB upload in flat memory, kill -9 during
UploadPart and Complete, and the reclaiming of part data on disk."""

import base64
import concurrent.futures
import datetime
import hashlib
import os
import random
import socket
import sqlite3
import threading
import time

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from harness import (Skip, b64, check, checksum_b64, crc64nvme, eq, expect_error, md5_hex,
                     object_bytes, parametrize, rand_bytes, same_bytes, sign_v4, timeout,
                     uri_path, wait_until, wire_query)
from harness import posix_home_only

MiB = 1024 * 1024
PART_MIN = 5 * MiB


# ---------------------------------------------------------------- helpers

def mp_etag(parts):
    """The S3 ETag of a multipart object made of these part bodies, quoted."""
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def _completed(parts_meta):
    """[{PartNumber, ETag, Checksum*...}] sorted by part number, as Complete wants."""
    return {"Parts": sorted(parts_meta, key=lambda p: p["PartNumber"])}


def _upload_parts(s3, b, key, upload_id, bodies, first=1, order=None, threads=1,
                  keep_checksums=None, **kw):
    """Uploads bodies as parts first, first+1, ...; returns [{PartNumber, ETag, Checksum*}]
    (sorted). order: the indexes in the order to send them; threads > 1 sends in
    parallel. kw goes to every upload_part call (ChecksumAlgorithm=...). The
    checksums the server echoes are kept for Complete when an algorithm was named
    (as s3transfer does) or keep_checksums is true."""
    idx = list(order) if order is not None else list(range(len(bodies)))
    if keep_checksums is None:
        keep_checksums = "ChecksumAlgorithm" in kw

    def one(i):
        n = first + i
        r = s3.upload_part(Bucket=b, Key=key, UploadId=upload_id, PartNumber=n, Body=bodies[i],
                           **kw)
        eq(r["ETag"], f'"{md5_hex(bodies[i])}"', f"UploadPart {n} ETag")
        meta = {"PartNumber": n, "ETag": r["ETag"]}
        for k, v in r.items():
            if keep_checksums and k.startswith("Checksum") and k != "ChecksumType":
                meta[k] = v
        return meta
    if threads > 1:
        with concurrent.futures.ThreadPoolExecutor(threads) as ex:
            out = list(ex.map(one, idx))
    else:
        out = [one(i) for i in idx]
    return sorted(out, key=lambda p: p["PartNumber"])


def _mpu(s3, b, key, bodies, create=None, part_kw=None, complete_kw=None, threads=1):
    """Create + parts + Complete; returns (upload_id, parts meta, Complete response)."""
    uid = s3.create_multipart_upload(Bucket=b, Key=key, **(create or {}))["UploadId"]
    parts = _upload_parts(s3, b, key, uid, bodies, threads=threads, **(part_kw or {}))
    r = s3.complete_multipart_upload(Bucket=b, Key=key, UploadId=uid,
                                     MultipartUpload=_completed(parts), **(complete_kw or {}))
    return uid, parts, r


def _uploads(s3, b, **kw):
    return s3.list_multipart_uploads(Bucket=b, **kw).get("Uploads", [])


def _md5_of_object(s3, b, key, **kw):
    """(hex md5, size) of a GET streamed in 1 MiB reads."""
    body = s3.get_object(Bucket=b, Key=key, **kw)["Body"]
    h, n = hashlib.md5(), 0
    for piece in iter(lambda: body.read(MiB), b""):
        h.update(piece)
        n += len(piece)
    return h.hexdigest(), n


def _inline_payload(server):
    """(count, bytes) of the small objects' data kept in the index instead of a file
    (inline_data, I1 in backends/posix_inline.c), read beside the server (WAL)."""
    db = sqlite3.connect(f"file:{os.path.join(server.data_dir, 'index.db')}?mode=ro",
                         uri=True, timeout=10)
    try:
        return db.execute("SELECT count(*), coalesce(sum(length(data)), 0) "
                          "FROM inline_data").fetchone()
    finally:
        db.close()


def _payload(server):
    """(data count, total bytes) of the files in the subdirectories of the data dir
    (objects/, tmp/ and wherever parts live) and of the data inline in the index;
    the index itself, credentials and lock files at the top level are not payload."""
    count, total = _inline_payload(server)
    top = server.data_dir
    for root, _dirs, files in os.walk(top):
        if os.path.samefile(root, top):
            continue
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
                count += 1
            except OSError:
                pass
    return count, total


def _tmp_files(server):
    d = os.path.join(server.data_dir, "tmp")
    out = []
    for root, _dirs, files in os.walk(d):
        out.extend(os.path.join(root, f) for f in files)
    return out


FRAME = 65536      # plaintext bytes per frame (common/frames.h)
FRAME_TAG = 32     # BLAKE2b tag after each frame


def _stored(size):
    """Bytes on disk of one data file holding size plaintext bytes: every 64 KiB
    frame carries a 32-byte tag, and an empty file is one empty frame."""
    return size + FRAME_TAG * max(1, -(-size // FRAME))


def _object_stored(s3, bucket, obj):
    """A single-PUT object is one data file; a multipart one is one per part
    (sizes from GetObjectAttributes)."""
    if "-" not in obj["ETag"]:
        return _stored(obj["Size"])
    total, marker = 0, 0
    while True:
        a = s3.get_object_attributes(Bucket=bucket, Key=obj["Key"], ObjectAttributes=["ObjectParts"],
                                     MaxParts=1000, PartNumberMarker=marker)
        parts = a["ObjectParts"]
        total += sum(_stored(p["Size"]) for p in parts.get("Parts", []))
        if not parts.get("IsTruncated"):
            return total
        marker = parts["NextPartNumberMarker"]


def _live_bytes(s3):
    """What the data dir has to hold: the data files of every object in every
    bucket plus the parts of every upload still in progress, framed."""
    total = 0
    for bk in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bk["Name"]):
            total += sum(_object_stored(s3, bk["Name"], o) for o in page.get("Contents", []))
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bk["Name"]):
            for u in page.get("Uploads", []):
                for pp in s3.get_paginator("list_parts").paginate(
                        Bucket=bk["Name"], Key=u["Key"], UploadId=u["UploadId"]):
                    total += sum(_stored(p["Size"]) for p in pp.get("Parts", []))
    return total


def _expect_reclaimed(server, s3, what):
    """The payload on disk settles at exactly what the live objects and parts hold."""
    want = _live_bytes(s3)
    got = wait_until(lambda: _payload(server)[1] == want, timeout=10)
    if not got:
        count, total = _payload(server)
        check(False, f"{what}: {count} payloads (files and inline data) hold {total} bytes, the live objects "
                     f"and parts {want} bytes ({total - want:+d} bytes not reclaimed)")
    if not wait_until(lambda: not _tmp_files(server), timeout=10):
        check(False, f"{what}: files left in tmp/: {_tmp_files(server)[:5]}")


def _no_retry(ctx):
    """A client that does not retry: botocore's legacy mode retries BadDigest
    with backoff, which turns every expected BadDigest into ~15 s."""
    return ctx.s3(retries={"total_max_attempts": 1})


def _is_sanitized(binary):
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def _vm_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- the basics

def test_complete_roundtrip(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mp")
    key = "dir/series 1/image.dcm"
    bodies = [rand_bytes(PART_MIN), rand_bytes(PART_MIN + 17), rand_bytes(1234)]
    meta = {"patient": "anon-42", "sha256": hashlib.sha256(b"".join(bodies)).hexdigest()}
    r = s3.create_multipart_upload(Bucket=b, Key=key, Metadata=meta,
                                   ContentType="application/dicom",
                                   CacheControl="max-age=60",
                                   ContentDisposition='attachment; filename="image.dcm"',
                                   ChecksumAlgorithm="CRC32")
    uid = r["UploadId"]
    check(uid, "CreateMultipartUpload without UploadId")
    eq((r["Bucket"], r["Key"]), (b, key), "CreateMultipartUpload Bucket/Key")
    eq(r.get("ChecksumAlgorithm"), "CRC32", "CreateMultipartUpload echoes ChecksumAlgorithm")
    # Out of order: 3, 1, 2; the parts carry CRC32 (the upload's algorithm).
    parts = _upload_parts(s3, b, key, uid, bodies, order=[2, 0, 1], ChecksumAlgorithm="CRC32")
    for p, body in zip(parts, bodies):
        eq(p.get("ChecksumCRC32"), checksum_b64("crc32", body),
           f"UploadPart {p['PartNumber']} ChecksumCRC32")
    eq(object_bytes(s3, b, key), None, "the object is visible before Complete")
    eq(s3.list_objects_v2(Bucket=b).get("KeyCount"), 0, "keys listed before Complete")
    c = s3.complete_multipart_upload(Bucket=b, Key=key, UploadId=uid,
                                     MultipartUpload=_completed(parts))
    want_etag = mp_etag(bodies)
    eq(c["ETag"], want_etag, "CompleteMultipartUpload ETag (md5 of the part md5s, -N)")
    eq((c["Bucket"], c["Key"]), (b, key), "CompleteMultipartUpload Bucket/Key")
    check(c.get("Location"), "CompleteMultipartUpload without Location")
    data = b"".join(bodies)
    g = s3.get_object(Bucket=b, Key=key)
    same_bytes(g["Body"].read(), data, "object after Complete")
    for op, resp in (("GET", g), ("HEAD", s3.head_object(Bucket=b, Key=key))):
        eq(resp["ETag"], want_etag, f"{op} ETag")
        eq(resp["ContentLength"], len(data), f"{op} Content-Length")
        eq(resp["Metadata"], meta, f"{op} metadata from CreateMultipartUpload")
        eq(resp["ContentType"], "application/dicom", f"{op} Content-Type from Create")
        eq(resp.get("CacheControl"), "max-age=60", f"{op} Cache-Control from Create")
        eq(resp.get("ContentDisposition"), 'attachment; filename="image.dcm"',
           f"{op} Content-Disposition from Create")
    lst = s3.list_objects_v2(Bucket=b)["Contents"]
    eq([(o["Key"], o["Size"], o["ETag"]) for o in lst], [(key, len(data), want_etag)],
       "ListObjectsV2 after Complete")
    eq(_uploads(s3, b), [], "uploads listed after Complete")
    # A range across the part boundary reads through both parts.
    r = s3.get_object(Bucket=b, Key=key, Range=f"bytes={PART_MIN - 5}-{PART_MIN + 4}")
    eq(r["Body"].read(), data[PART_MIN - 5:PART_MIN + 5], "range across parts 1 and 2")


def test_single_small_part(ctx):
    # The only part is also the last: any size is fine, even a few bytes.
    s3 = ctx.s3()
    b = ctx.bucket("mp1")
    body = b"just one small part"
    _uid, _parts, c = _mpu(s3, b, "one", [body])
    eq(c["ETag"], mp_etag([body]), "ETag of a one-part upload")
    eq(object_bytes(s3, b, "one"), body, "one-part object")


@timeout(240)
def test_parallel_out_of_order(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mpar")
    bodies = [rand_bytes(PART_MIN) for _ in range(7)] + [rand_bytes(777_777)]
    order = list(range(len(bodies)))
    random.shuffle(order)
    uid = s3.create_multipart_upload(Bucket=b, Key="par")["UploadId"]
    parts = _upload_parts(s3, b, "par", uid, bodies, order=order, threads=8)
    listed = s3.list_parts(Bucket=b, Key="par", UploadId=uid)["Parts"]
    eq([(p["PartNumber"], p["Size"], p["ETag"]) for p in listed],
       [(p["PartNumber"], len(bodies[i]), p["ETag"]) for i, p in enumerate(parts)],
       f"ListParts after parallel uploads in the order {[i + 1 for i in order]}")
    c = s3.complete_multipart_upload(Bucket=b, Key="par", UploadId=uid,
                                     MultipartUpload=_completed(parts))
    eq(c["ETag"], mp_etag(bodies), "ETag")
    md5, n = _md5_of_object(s3, b, "par")
    data = b"".join(bodies)
    eq((md5, n), (md5_hex(data), len(data)), "object (md5, size) after parallel parts")


def test_reupload_replaces_part(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mre")
    uid = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    first = rand_bytes(PART_MIN + 1000)
    second = rand_bytes(PART_MIN + 5)
    last = rand_bytes(100)
    old = _upload_parts(s3, b, "k", uid, [first, last])
    new = _upload_parts(s3, b, "k", uid, [second])
    listed = s3.list_parts(Bucket=b, Key="k", UploadId=uid)["Parts"]
    eq([(p["PartNumber"], p["Size"], p["ETag"]) for p in listed],
       [(1, len(second), f'"{md5_hex(second)}"'), (2, len(last), f'"{md5_hex(last)}"')],
       "ListParts after part 1 was uploaded again")
    # The replaced part's ETag no longer names a part.
    expect_error(lambda: s3.complete_multipart_upload(
        Bucket=b, Key="k", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": old[0]["ETag"]},
                                   {"PartNumber": 2, "ETag": old[1]["ETag"]}]}),
        "InvalidPart", 400)
    c = s3.complete_multipart_upload(
        Bucket=b, Key="k", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": new[0]["ETag"]},
                                   {"PartNumber": 2, "ETag": old[1]["ETag"]}]})
    eq(c["ETag"], mp_etag([second, last]), "ETag with the replacement part")
    same_bytes(s3.get_object(Bucket=b, Key="k")["Body"].read(), second + last,
               "object made of the replacement part")


def test_complete_accepts_unquoted_etags(ctx):
    # Clients send part ETags with or without the quotes; S3 accepts both.
    s3 = ctx.s3()
    b = ctx.bucket("muq")
    bodies = [rand_bytes(PART_MIN), b"tail"]
    uid = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    parts = _upload_parts(s3, b, "k", uid, bodies)
    parts[0]["ETag"] = parts[0]["ETag"].strip('"')
    c = s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                     MultipartUpload=_completed(parts))
    eq(c["ETag"], mp_etag(bodies), "ETag")


# ---------------------------------------------------------------- listings

def test_list_parts_pagination(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mlp")
    uid = s3.create_multipart_upload(Bucket=b, Key="lp")["UploadId"]
    numbers = [1, 2, 3, 4, 5, 8, 10]
    bodies = {n: rand_bytes(1000 + n) for n in numbers}
    t0 = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=60)
    for n in reversed(numbers):
        s3.upload_part(Bucket=b, Key="lp", UploadId=uid, PartNumber=n, Body=bodies[n])

    def row(n):
        return (n, len(bodies[n]), f'"{md5_hex(bodies[n])}"')
    r = s3.list_parts(Bucket=b, Key="lp", UploadId=uid)
    eq([(p["PartNumber"], p["Size"], p["ETag"]) for p in r["Parts"]], [row(n) for n in numbers],
       "ListParts")
    eq((r["Bucket"], r["Key"], r["UploadId"]), (b, "lp", uid), "ListParts Bucket/Key/UploadId")
    eq(r["IsTruncated"], False, "IsTruncated of a complete listing")
    for p in r["Parts"]:
        check(isinstance(p.get("LastModified"), datetime.datetime) and p["LastModified"] > t0,
              f"part {p['PartNumber']} LastModified {p.get('LastModified')!r}")
    r = s3.list_parts(Bucket=b, Key="lp", UploadId=uid, MaxParts=3)
    eq([p["PartNumber"] for p in r["Parts"]], [1, 2, 3], "MaxParts=3: parts")
    eq((r["IsTruncated"], r.get("NextPartNumberMarker"), r.get("MaxParts")), (True, 3, 3),
       "MaxParts=3: (IsTruncated, NextPartNumberMarker, MaxParts)")
    r = s3.list_parts(Bucket=b, Key="lp", UploadId=uid, MaxParts=3, PartNumberMarker=3)
    eq([p["PartNumber"] for p in r["Parts"]], [4, 5, 8], "PartNumberMarker=3: parts")
    eq((r["IsTruncated"], r.get("NextPartNumberMarker"), r.get("PartNumberMarker")),
       (True, 8, 3), "PartNumberMarker=3: (IsTruncated, NextPartNumberMarker, PartNumberMarker)")
    r = s3.list_parts(Bucket=b, Key="lp", UploadId=uid, MaxParts=3, PartNumberMarker=8)
    eq([p["PartNumber"] for p in r["Parts"]], [10], "PartNumberMarker=8: parts")
    eq(r["IsTruncated"], False, "PartNumberMarker=8: IsTruncated")
    r = s3.list_parts(Bucket=b, Key="lp", UploadId=uid, PartNumberMarker=6)
    eq([p["PartNumber"] for p in r["Parts"]], [8, 10], "PartNumberMarker=6 (not a part)")
    r = s3.list_parts(Bucket=b, Key="lp", UploadId=uid, PartNumberMarker=10)
    eq(r.get("Parts", []), [], "PartNumberMarker past the last part")
    pages = list(s3.get_paginator("list_parts").paginate(
        Bucket=b, Key="lp", UploadId=uid, PaginationConfig={"PageSize": 2}))
    eq([[p["PartNumber"] for p in pg.get("Parts", [])] for pg in pages],
       [[1, 2], [3, 4], [5, 8], [10]], "paginator pages of 2")
    s3.abort_multipart_upload(Bucket=b, Key="lp", UploadId=uid)


def test_list_uploads_filters(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mlu")
    t0 = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=60)
    made = []
    for key in ("a/1", "a/2", "a/2", "b/x", "c", "b/y/z"):
        made.append((key, s3.create_multipart_upload(Bucket=b, Key=key)["UploadId"]))
    ids = [u for _k, u in made]
    eq(len(set(ids)), len(ids), "upload ids are unique")
    full = _uploads(s3, b)
    rows = [(u["Key"], u["UploadId"]) for u in full]
    eq(sorted(rows), sorted(made), "ListMultipartUploads: every upload")
    eq([k for k, _u in rows], sorted(k for k, _u in made), "uploads in key order")
    for u in full:
        check(isinstance(u.get("Initiated"), datetime.datetime) and u["Initiated"] > t0,
              f"upload {u['Key']} Initiated {u.get('Initiated')!r}")
    r = s3.list_multipart_uploads(Bucket=b, Prefix="a/")
    eq([(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])],
       [x for x in rows if x[0].startswith("a/")], "Prefix=a/")
    eq(r.get("Prefix"), "a/", "Prefix echoed")
    r = s3.list_multipart_uploads(Bucket=b, Delimiter="/")
    eq([u["Key"] for u in r.get("Uploads", [])], ["c"], "Delimiter=/: uploads")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["a/", "b/"],
       "Delimiter=/: CommonPrefixes")
    r = s3.list_multipart_uploads(Bucket=b, Prefix="b/", Delimiter="/")
    eq([u["Key"] for u in r.get("Uploads", [])], ["b/x"], "Prefix=b/ Delimiter=/: uploads")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["b/y/"],
       "Prefix=b/ Delimiter=/: CommonPrefixes")
    # Pages of two, following NextKeyMarker / NextUploadIdMarker.
    got, kw, pages = [], {}, 0
    while True:
        r = s3.list_multipart_uploads(Bucket=b, MaxUploads=2, **kw)
        pages += 1
        eq(r.get("MaxUploads"), 2, "MaxUploads echoed")
        page = [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
        check(len(page) <= 2, f"page of {len(page)} uploads with MaxUploads=2")
        got += page
        if not r.get("IsTruncated"):
            break
        eq((r.get("NextKeyMarker"), r.get("NextUploadIdMarker")), page[-1],
           "NextKeyMarker/NextUploadIdMarker name the last upload of the page")
        kw = {"KeyMarker": r["NextKeyMarker"], "UploadIdMarker": r["NextUploadIdMarker"]}
        check(pages < 10, "MaxUploads=2 pagination does not end")
    eq(got, rows, "the uploads of MaxUploads=2 pages")
    eq(pages, 3, "pages of 2 for 6 uploads")
    # KeyMarker alone: keys after it; with UploadIdMarker: that key's later uploads too.
    r = s3.list_multipart_uploads(Bucket=b, KeyMarker="a/2")
    eq([(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])],
       [x for x in rows if x[0] > "a/2"], "KeyMarker=a/2")
    i = rows.index(next(x for x in rows if x[0] == "a/2"))
    r = s3.list_multipart_uploads(Bucket=b, KeyMarker="a/2", UploadIdMarker=rows[i][1])
    eq([(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])], rows[i + 1:],
       "KeyMarker=a/2 UploadIdMarker=(its first upload)")
    paged = [(u["Key"], u["UploadId"])
             for pg in s3.get_paginator("list_multipart_uploads").paginate(
                 Bucket=b, PaginationConfig={"PageSize": 1})
             for u in pg.get("Uploads", [])]
    eq(paged, rows, "paginator with pages of 1")
    for key, u in made:
        s3.abort_multipart_upload(Bucket=b, Key=key, UploadId=u)
    eq(_uploads(s3, b), [], "uploads after aborting all")


# ---------------------------------------------------------------- errors

def test_complete_errors(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("merr")
    bodies = [rand_bytes(PART_MIN), rand_bytes(PART_MIN), rand_bytes(10)]
    uid = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    parts = _upload_parts(s3, b, "k", uid, bodies)
    p1, p2, p3 = parts

    def complete(plist):
        return lambda: s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                                    MultipartUpload={"Parts": plist})
    missing = {"PartNumber": 4, "ETag": p3["ETag"]}
    expect_error(complete([p1, p2, missing]), "InvalidPart", 400)
    wrong = {"PartNumber": 2, "ETag": f'"{md5_hex(b"not this part")}"'}
    expect_error(complete([p1, wrong, p3]), "InvalidPart", 400)
    expect_error(complete([p2, p1, p3]), "InvalidPartOrder", 400)
    expect_error(complete([p1, p1, p2, p3]), "InvalidPartOrder", 400)
    expect_error(complete([]), "MalformedXML", 400)
    eq(object_bytes(s3, b, "k"), None, "object after refused Completes")
    eq([u["UploadId"] for u in _uploads(s3, b)], [uid], "the upload survives refused Completes")
    # Gaps in the numbering are fine.
    s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=7, Body=bodies[2])
    p7 = {"PartNumber": 7, "ETag": f'"{md5_hex(bodies[2])}"'}
    c = s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                     MultipartUpload={"Parts": [p1, p2, p7]})
    eq(c["ETag"], mp_etag(bodies), "ETag of parts 1, 2, 7")
    same_bytes(s3.get_object(Bucket=b, Key="k")["Body"].read(), b"".join(bodies), "object")


def test_entity_too_small(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mets")
    cases = {"two 1 MiB parts": [rand_bytes(MiB), rand_bytes(MiB)],
             "a small middle part": [rand_bytes(PART_MIN), rand_bytes(PART_MIN - 1),
                                     rand_bytes(PART_MIN)]}
    for what, bodies in cases.items():
        key = what.replace(" ", "-")
        uid = s3.create_multipart_upload(Bucket=b, Key=key)["UploadId"]
        parts = _upload_parts(s3, b, key, uid, bodies)
        expect_error(lambda: s3.complete_multipart_upload(
            Bucket=b, Key=key, UploadId=uid, MultipartUpload=_completed(parts)),
            "EntityTooSmall", 400)
        eq(object_bytes(s3, b, key), None, f"{what}: object after EntityTooSmall")
        s3.abort_multipart_upload(Bucket=b, Key=key, UploadId=uid)
    # Exactly 5 MiB for every part but the last is enough.
    _mpu(s3, b, "exact", [rand_bytes(PART_MIN), rand_bytes(1)])


def test_no_such_upload(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mnsu")
    bogus = "0" * 32
    expect_error(lambda: s3.upload_part(Bucket=b, Key="k", UploadId=bogus, PartNumber=1,
                                        Body=b"data"), "NoSuchUpload", 404)
    expect_error(lambda: s3.list_parts(Bucket=b, Key="k", UploadId=bogus), "NoSuchUpload", 404)
    expect_error(lambda: s3.complete_multipart_upload(
        Bucket=b, Key="k", UploadId=bogus,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": f'"{md5_hex(b"data")}"'}]}),
        "NoSuchUpload", 404)
    expect_error(lambda: s3.abort_multipart_upload(Bucket=b, Key="k", UploadId=bogus),
                 "NoSuchUpload", 404)
    expect_error(lambda: s3.upload_part(Bucket=b, Key="k", UploadId="not/an id..",
                                        PartNumber=1, Body=b"data"), "NoSuchUpload", 404)
    # A real upload id under another key (or bucket) is no upload either.
    uid = s3.create_multipart_upload(Bucket=b, Key="real")["UploadId"]
    expect_error(lambda: s3.upload_part(Bucket=b, Key="other", UploadId=uid, PartNumber=1,
                                        Body=b"data"), "NoSuchUpload", 404)
    expect_error(lambda: s3.list_parts(Bucket=b, Key="other", UploadId=uid), "NoSuchUpload", 404)
    b2 = ctx.bucket("mnsu")
    expect_error(lambda: s3.upload_part(Bucket=b2, Key="real", UploadId=uid, PartNumber=1,
                                        Body=b"data"), "NoSuchUpload", 404)
    expect_error(lambda: s3.create_multipart_upload(Bucket=ctx.name("none"), Key="k"),
                 "NoSuchBucket", 404)
    eq([u["UploadId"] for u in _uploads(s3, b)], [uid], "uploads")
    s3.abort_multipart_upload(Bucket=b, Key="real", UploadId=uid)


def test_part_number_bounds(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mpn")
    uid = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    for n in (0, 10001, -1):
        expect_error(lambda: s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=n,
                                            Body=b"x"), "InvalidArgument", 400)
    for n in (1, 10000):
        s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=n, Body=b"x")
    eq([p["PartNumber"] for p in s3.list_parts(Bucket=b, Key="k", UploadId=uid)["Parts"]],
       [1, 10000], "parts 1 and 10000 accepted, the others not")
    s3.abort_multipart_upload(Bucket=b, Key="k", UploadId=uid)


def test_abort(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mab")
    s3.put_object(Bucket=b, Key="k", Body=b"the previous object")
    uid = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    parts = _upload_parts(s3, b, "k", uid, [rand_bytes(PART_MIN), rand_bytes(100)])
    r = s3.abort_multipart_upload(Bucket=b, Key="k", UploadId=uid)
    eq(r["ResponseMetadata"]["HTTPStatusCode"], 204, "AbortMultipartUpload status")
    eq(_uploads(s3, b), [], "ListMultipartUploads after abort")
    expect_error(lambda: s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=3,
                                        Body=b"late"), "NoSuchUpload", 404)
    expect_error(lambda: s3.list_parts(Bucket=b, Key="k", UploadId=uid), "NoSuchUpload", 404)
    expect_error(lambda: s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                                      MultipartUpload=_completed(parts)),
                 "NoSuchUpload", 404)
    eq(object_bytes(s3, b, "k"), b"the previous object", "object under the aborted upload's key")
    # A bucket whose only upload was aborted is empty and can be deleted.
    b2 = ctx.bucket("mab")
    u2 = s3.create_multipart_upload(Bucket=b2, Key="x")["UploadId"]
    s3.abort_multipart_upload(Bucket=b2, Key="x", UploadId=u2)
    s3.delete_bucket(Bucket=b2)


@timeout(240)
def test_repeated_complete(ctx):
    # A client whose Complete response got lost retries it; S3 answers 200 with
    # the same ETag and leaves the object alone.
    s3 = ctx.s3()
    b = ctx.bucket("mrc")
    bodies = [rand_bytes(PART_MIN), rand_bytes(3333)]
    uid, parts, c1 = _mpu(s3, b, "k", bodies)
    c2 = s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                      MultipartUpload=_completed(parts))
    eq(c2["ResponseMetadata"]["HTTPStatusCode"], 200, "repeated Complete status")
    eq(c2["ETag"], c1["ETag"], "repeated Complete ETag")
    eq(c1["ETag"], mp_etag(bodies), "ETag")
    same_bytes(s3.get_object(Bucket=b, Key="k")["Body"].read(), b"".join(bodies),
               "object after a repeated Complete")
    eq(_uploads(s3, b), [], "uploads after Complete")
    expect_error(lambda: s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=3,
                                        Body=b"late"), "NoSuchUpload", 404)
    expect_error(lambda: s3.list_parts(Bucket=b, Key="k", UploadId=uid), "NoSuchUpload", 404)


# ---------------------------------------------------------------- part reads

def test_get_and_head_part_number(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mgp")
    bodies = [rand_bytes(PART_MIN), rand_bytes(PART_MIN + 3), rand_bytes(1000)]
    _uid, _parts, c = _mpu(s3, b, "k", bodies, create={"ContentType": "text/x-parts",
                                                       "Metadata": {"m": "1"}})
    total = sum(len(x) for x in bodies)
    off = 0
    for n, body in enumerate(bodies, 1):
        last = off + len(body) - 1
        g = s3.get_object(Bucket=b, Key="k", PartNumber=n)
        raw = g["ResponseMetadata"]["HTTPHeaders"]
        same_bytes(g["Body"].read(), body, f"GET partNumber={n}")
        eq(g["ResponseMetadata"]["HTTPStatusCode"], 206, f"GET partNumber={n} status")
        eq(g["ContentLength"], len(body), f"GET partNumber={n} Content-Length")
        eq(g.get("ContentRange"), f"bytes {off}-{last}/{total}",
           f"GET partNumber={n} Content-Range")
        eq(raw.get("x-amz-mp-parts-count"), "3", f"GET partNumber={n} x-amz-mp-parts-count")
        eq(g.get("PartsCount"), 3, f"GET partNumber={n} PartsCount")
        eq(g["ETag"], c["ETag"], f"GET partNumber={n} ETag (the object's)")
        eq(g["ContentType"], "text/x-parts", f"GET partNumber={n} Content-Type")
        eq(g["Metadata"], {"m": "1"}, f"GET partNumber={n} metadata")
        h = s3.head_object(Bucket=b, Key="k", PartNumber=n)
        eq(h["ContentLength"], len(body), f"HEAD partNumber={n} Content-Length")
        eq(h.get("PartsCount"), 3, f"HEAD partNumber={n} PartsCount")
        eq(h["ETag"], c["ETag"], f"HEAD partNumber={n} ETag")
        off += len(body)
    e = expect_error(lambda: s3.get_object(Bucket=b, Key="k", PartNumber=4),
                     "InvalidPartNumber", 416)
    check(e["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id"), "416 without request id")
    expect_error(lambda: s3.head_object(Bucket=b, Key="k", PartNumber=4),
                 {"InvalidPartNumber", "416"}, 416)
    expect_error(lambda: s3.get_object(Bucket=b, Key="k", PartNumber=0), "InvalidArgument", 400)
    expect_error(lambda: s3.get_object(Bucket=b, Key="k", PartNumber=10001),
                 {"InvalidArgument", "InvalidPartNumber"})
    # A single-PUT object is one part.
    s3.put_object(Bucket=b, Key="single", Body=b"single put")
    eq(s3.get_object(Bucket=b, Key="single", PartNumber=1)["Body"].read(), b"single put",
       "partNumber=1 of a single-PUT object")
    expect_error(lambda: s3.get_object(Bucket=b, Key="single", PartNumber=2),
                 "InvalidPartNumber", 416)
    expect_error(lambda: s3.get_object(Bucket=b, Key="missing", PartNumber=1), "NoSuchKey", 404)


# ---------------------------------------------------------------- UploadPartCopy

@timeout(240)
def test_upload_part_copy(ctx):
    s3 = ctx.s3()
    src_b = ctx.bucket("msrc")
    b = ctx.bucket("mcpy")
    src = rand_bytes(12 * MiB + 11)
    s3.put_object(Bucket=src_b, Key="source/obj", Body=src)
    uid = s3.create_multipart_upload(Bucket=b, Key="assembled")["UploadId"]
    pieces = [src[:PART_MIN], src, src[100:200]]
    r1 = s3.upload_part_copy(Bucket=b, Key="assembled", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": src_b, "Key": "source/obj"},
                             CopySourceRange=f"bytes=0-{PART_MIN - 1}")
    r2 = s3.upload_part_copy(Bucket=b, Key="assembled", UploadId=uid, PartNumber=2,
                             CopySource=f"{src_b}/source/obj")
    r3 = s3.upload_part_copy(Bucket=b, Key="assembled", UploadId=uid, PartNumber=3,
                             CopySource={"Bucket": src_b, "Key": "source/obj"},
                             CopySourceRange="bytes=100-199")
    parts = []
    for n, (r, piece) in enumerate(zip((r1, r2, r3), pieces), 1):
        cpr = r.get("CopyPartResult", {})
        eq(cpr.get("ETag"), f'"{md5_hex(piece)}"', f"UploadPartCopy {n} CopyPartResult ETag")
        check(isinstance(cpr.get("LastModified"), datetime.datetime),
              f"UploadPartCopy {n} CopyPartResult without LastModified")
        parts.append({"PartNumber": n, "ETag": cpr["ETag"]})
    listed = s3.list_parts(Bucket=b, Key="assembled", UploadId=uid)["Parts"]
    eq([(p["PartNumber"], p["Size"]) for p in listed], [(1, PART_MIN), (2, len(src)), (3, 100)],
       "ListParts after UploadPartCopy")
    # Errors: a range past the end, a missing source.
    expect_error(lambda: s3.upload_part_copy(
        Bucket=b, Key="assembled", UploadId=uid, PartNumber=4,
        CopySource={"Bucket": src_b, "Key": "source/obj"},
        CopySourceRange=f"bytes={len(src)}-{len(src) + 10}"),
        {"InvalidRange", "InvalidArgument"})
    expect_error(lambda: s3.upload_part_copy(
        Bucket=b, Key="assembled", UploadId=uid, PartNumber=4,
        CopySource={"Bucket": src_b, "Key": "no/such"}), "NoSuchKey", 404)
    expect_error(lambda: s3.upload_part_copy(
        Bucket=b, Key="assembled", UploadId="0" * 32, PartNumber=1,
        CopySource={"Bucket": src_b, "Key": "source/obj"}), "NoSuchUpload", 404)
    c = s3.complete_multipart_upload(Bucket=b, Key="assembled", UploadId=uid,
                                     MultipartUpload={"Parts": parts})
    eq(c["ETag"], mp_etag(pieces), "ETag of the copied parts")
    same_bytes(s3.get_object(Bucket=b, Key="assembled")["Body"].read(), b"".join(pieces),
               "object assembled from copies")
    same_bytes(s3.get_object(Bucket=src_b, Key="source/obj")["Body"].read(), src,
               "the source after being copied from")
    # A multipart object is a fine copy source too (across its parts).
    u2 = s3.create_multipart_upload(Bucket=b, Key="again")["UploadId"]
    r = s3.upload_part_copy(Bucket=b, Key="again", UploadId=u2, PartNumber=1,
                            CopySource={"Bucket": b, "Key": "assembled"},
                            CopySourceRange=f"bytes={PART_MIN - 10}-{PART_MIN + 9}")
    eq(r["CopyPartResult"]["ETag"], f'"{md5_hex(b"".join(pieces)[PART_MIN - 10:PART_MIN + 10])}"',
       "UploadPartCopy of a range across parts of a multipart source")
    s3.abort_multipart_upload(Bucket=b, Key="again", UploadId=u2)


# ---------------------------------------------------------------- checksums

def _expect_object_checksum(resp, algo, data, bodies, what):
    """resp's Checksum<ALGO> is either the full-object value or the composite
    '...-N' value over the parts."""
    member = "Checksum" + algo.upper()
    got = resp.get(member)
    if got is None:
        return None
    if "-" in got:
        raw = b"".join(base64.b64decode(checksum_b64(algo, p)) for p in bodies)
        eq(got, f"{checksum_b64(algo, raw)}-{len(bodies)}", f"{what}: composite {member}")
        if resp.get("ChecksumType"):
            eq(resp["ChecksumType"], "COMPOSITE", f"{what}: ChecksumType")
    else:
        eq(got, checksum_b64(algo, data), f"{what}: full-object {member}")
        if resp.get("ChecksumType"):
            eq(resp["ChecksumType"], "FULL_OBJECT", f"{what}: ChecksumType")
    return got


def test_default_checksums_validate(ctx):
    # boto3 1.43 sends CRC32 with every part by default and validates a GET's
    # checksum when asked to: a GET of the multipart object must pass.
    s3 = ctx.s3()
    b = ctx.bucket("mck")
    bodies = [rand_bytes(PART_MIN), rand_bytes(PART_MIN), rand_bytes(4321)]
    data = b"".join(bodies)
    uid = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    parts = _upload_parts(s3, b, "k", uid, bodies, keep_checksums=True)
    for p, body in zip(parts, bodies):
        if "ChecksumCRC32" in p:
            eq(p["ChecksumCRC32"], checksum_b64("crc32", body),
               f"UploadPart {p['PartNumber']} ChecksumCRC32 echo")
    plain = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]
    s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                 MultipartUpload={"Parts": plain})
    g = s3.get_object(Bucket=b, Key="k", ChecksumMode="ENABLED")
    same_bytes(g["Body"].read(), data, "GET with ChecksumMode=ENABLED")
    for algo in ("crc32", "crc32c", "crc64nvme", "sha1", "sha256"):
        _expect_object_checksum(g, algo, data, bodies, "default-settings GET")
    # And the way s3transfer does it: CRC32 named at Create, part checksums in Complete.
    uid = s3.create_multipart_upload(Bucket=b, Key="k2", ChecksumAlgorithm="CRC32")["UploadId"]
    parts = _upload_parts(s3, b, "k2", uid, bodies, ChecksumAlgorithm="CRC32")
    c = s3.complete_multipart_upload(Bucket=b, Key="k2", UploadId=uid,
                                     MultipartUpload=_completed(parts))
    want = _expect_object_checksum(c, "crc32", data, bodies, "Complete")
    check(want, f"Complete of a CRC32 upload without ChecksumCRC32: {sorted(c)}")
    for op in ("GET", "HEAD"):
        fn = s3.get_object if op == "GET" else s3.head_object
        r = fn(Bucket=b, Key="k2", ChecksumMode="ENABLED")
        if op == "GET":
            same_bytes(r["Body"].read(), data, "GET k2 with ChecksumMode=ENABLED")
        eq(r.get("ChecksumCRC32"), want, f"{op} ChecksumCRC32 of a CRC32 upload")


def test_checksum_sha256_composite(ctx):
    s3 = _no_retry(ctx)
    b = ctx.bucket("msha")
    bodies = [rand_bytes(PART_MIN), rand_bytes(2222)]
    data = b"".join(bodies)
    r = s3.create_multipart_upload(Bucket=b, Key="k", ChecksumAlgorithm="SHA256")
    uid = r["UploadId"]
    eq(r.get("ChecksumAlgorithm"), "SHA256", "Create echoes ChecksumAlgorithm")
    parts = _upload_parts(s3, b, "k", uid, bodies, ChecksumAlgorithm="SHA256")
    for p, body in zip(parts, bodies):
        eq(p.get("ChecksumSHA256"), checksum_b64("sha256", body),
           f"UploadPart {p['PartNumber']} ChecksumSHA256")
    lp = s3.list_parts(Bucket=b, Key="k", UploadId=uid)
    eq(lp.get("ChecksumAlgorithm"), "SHA256", "ListParts ChecksumAlgorithm")
    eq([p.get("ChecksumSHA256") for p in lp["Parts"]],
       [checksum_b64("sha256", x) for x in bodies], "ListParts ChecksumSHA256 per part")
    up = _uploads(s3, b)
    eq([u.get("ChecksumAlgorithm") for u in up], ["SHA256"], "ListMultipartUploads algorithm")
    c = s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                     MultipartUpload=_completed(parts))
    digests = b"".join(hashlib.sha256(x).digest() for x in bodies)
    want = f"{b64(hashlib.sha256(digests).digest())}-2"
    eq(c.get("ChecksumSHA256"), want, "Complete ChecksumSHA256 (composite)")
    if c.get("ChecksumType"):
        eq(c["ChecksumType"], "COMPOSITE", "Complete ChecksumType")
    g = s3.get_object(Bucket=b, Key="k", ChecksumMode="ENABLED")
    same_bytes(g["Body"].read(), data, "GET")
    eq(g.get("ChecksumSHA256"), want, "GET ChecksumSHA256")
    h = s3.head_object(Bucket=b, Key="k", ChecksumMode="ENABLED")
    eq(h.get("ChecksumSHA256"), want, "HEAD ChecksumSHA256")
    eq(h.get("ChecksumType"), "COMPOSITE", "HEAD ChecksumType")
    # A part of it, with checksums asked for: botocore validates what comes back.
    gp = s3.get_object(Bucket=b, Key="k", PartNumber=2, ChecksumMode="ENABLED")
    same_bytes(gp["Body"].read(), bodies[1], "GET partNumber=2 with ChecksumMode")
    # Complete naming a part checksum that is not the part's: refused.
    uid = s3.create_multipart_upload(Bucket=b, Key="k2", ChecksumAlgorithm="SHA256")["UploadId"]
    parts = _upload_parts(s3, b, "k2", uid, bodies, ChecksumAlgorithm="SHA256")
    bad = [dict(parts[0], ChecksumSHA256=checksum_b64("sha256", b"other")), parts[1]]
    expect_error(lambda: s3.complete_multipart_upload(Bucket=b, Key="k2", UploadId=uid,
                                                      MultipartUpload={"Parts": bad}),
                 {"InvalidPart", "BadDigest"}, 400)
    s3.abort_multipart_upload(Bucket=b, Key="k2", UploadId=uid)


def test_checksum_crc32_full_object(ctx):
    s3 = _no_retry(ctx)
    b = ctx.bucket("mfo")
    bodies = [rand_bytes(PART_MIN), rand_bytes(PART_MIN + 1), rand_bytes(999)]
    data = b"".join(bodies)
    whole = checksum_b64("crc32", data)
    r = s3.create_multipart_upload(Bucket=b, Key="k", ChecksumAlgorithm="CRC32",
                                   ChecksumType="FULL_OBJECT")
    uid = r["UploadId"]
    eq((r.get("ChecksumAlgorithm"), r.get("ChecksumType")), ("CRC32", "FULL_OBJECT"),
       "Create echoes ChecksumAlgorithm/ChecksumType")
    parts = _upload_parts(s3, b, "k", uid, bodies, ChecksumAlgorithm="CRC32")
    eq(s3.list_parts(Bucket=b, Key="k", UploadId=uid).get("ChecksumType"), "FULL_OBJECT",
       "ListParts ChecksumType")
    # A wrong whole-object value is refused and leaves the upload completable.
    expect_error(lambda: s3.complete_multipart_upload(
        Bucket=b, Key="k", UploadId=uid, MultipartUpload=_completed(parts),
        ChecksumCRC32=checksum_b64("crc32", b"not the object"), ChecksumType="FULL_OBJECT"),
        {"BadDigest", "InvalidRequest"}, 400)
    eq(object_bytes(s3, b, "k"), None, "object after a refused Complete")
    c = s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                     MultipartUpload=_completed(parts),
                                     ChecksumCRC32=whole, ChecksumType="FULL_OBJECT")
    eq((c.get("ChecksumCRC32"), c.get("ChecksumType")), (whole, "FULL_OBJECT"),
       "Complete ChecksumCRC32/ChecksumType")
    eq(c["ETag"], mp_etag(bodies), "ETag")
    g = s3.get_object(Bucket=b, Key="k", ChecksumMode="ENABLED")
    same_bytes(g["Body"].read(), data, "GET (botocore validates the full-object CRC32)")
    eq((g.get("ChecksumCRC32"), g.get("ChecksumType")), (whole, "FULL_OBJECT"), "GET checksum")
    h = s3.head_object(Bucket=b, Key="k", ChecksumMode="ENABLED")
    eq((h.get("ChecksumCRC32"), h.get("ChecksumType")), (whole, "FULL_OBJECT"), "HEAD checksum")
    # FULL_OBJECT without a whole-object value in Complete: the server combines
    # the parts' CRCs itself.
    uid = s3.create_multipart_upload(Bucket=b, Key="k2", ChecksumAlgorithm="CRC32",
                                     ChecksumType="FULL_OBJECT")["UploadId"]
    parts = _upload_parts(s3, b, "k2", uid, bodies, ChecksumAlgorithm="CRC32")
    c = s3.complete_multipart_upload(Bucket=b, Key="k2", UploadId=uid,
                                     MultipartUpload=_completed(parts))
    eq(c.get("ChecksumCRC32"), whole, "full-object CRC32 computed from the parts")


def _crc64_b64(b):
    return b64(crc64nvme(b).to_bytes(8, "big"))


def test_checksum_crc64nvme(ctx):
    # botocore needs awscrt to compute CRC64NVME: the values are computed here.
    s3 = _no_retry(ctx)
    b = ctx.bucket("mc64")
    bodies = [rand_bytes(PART_MIN), rand_bytes(3000)]
    data = b"".join(bodies)
    part_ck = [_crc64_b64(x) for x in bodies]
    whole = _crc64_b64(data)
    r = s3.create_multipart_upload(Bucket=b, Key="k", ChecksumAlgorithm="CRC64NVME")
    uid = r["UploadId"]
    eq(r.get("ChecksumAlgorithm"), "CRC64NVME", "Create ChecksumAlgorithm")
    if r.get("ChecksumType"):
        eq(r["ChecksumType"], "FULL_OBJECT", "CRC64NVME uploads are FULL_OBJECT")
    parts = []
    for n, (body, ck) in enumerate(zip(bodies, part_ck), 1):
        pr = s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=n, Body=body,
                            ChecksumCRC64NVME=ck)
        eq(pr.get("ChecksumCRC64NVME"), ck, f"UploadPart {n} ChecksumCRC64NVME")
        parts.append({"PartNumber": n, "ETag": pr["ETag"], "ChecksumCRC64NVME": ck})
    expect_error(lambda: s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=3,
                                        Body=b"zzz", ChecksumCRC64NVME=_crc64_b64(b"zz")),
                 "BadDigest", 400)
    c = s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                     MultipartUpload={"Parts": parts},
                                     ChecksumCRC64NVME=whole, ChecksumType="FULL_OBJECT")
    eq((c.get("ChecksumCRC64NVME"), c.get("ChecksumType")), (whole, "FULL_OBJECT"),
       "Complete ChecksumCRC64NVME")
    g = s3.get_object(Bucket=b, Key="k", ChecksumMode="ENABLED")
    same_bytes(g["Body"].read(), data, "GET")
    eq(g.get("ChecksumCRC64NVME"), whole, "GET ChecksumCRC64NVME")


def test_wrong_part_checksum(ctx):
    s3 = _no_retry(ctx)
    b = ctx.bucket("mbd")
    uid = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    body = rand_bytes(300_000)
    other = b"something else"
    for kw in ({"ChecksumCRC32": checksum_b64("crc32", other)},
               {"ChecksumSHA256": checksum_b64("sha256", other)},
               {"ChecksumCRC32C": checksum_b64("crc32c", other)},
               {"ContentMD5": b64(hashlib.md5(other).digest())}):
        expect_error(lambda: s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=1,
                                            Body=body, **kw), "BadDigest", 400)
    eq(s3.list_parts(Bucket=b, Key="k", UploadId=uid).get("Parts", []), [],
       "parts after refused uploads")
    # A good part, then a bad replacement: the good one stays.
    good = s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=1, Body=body)["ETag"]
    expect_error(lambda: s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=1,
                                        Body=other, ChecksumCRC32=checksum_b64("crc32", body)),
                 "BadDigest", 400)
    eq([(p["PartNumber"], p["ETag"]) for p in
        s3.list_parts(Bucket=b, Key="k", UploadId=uid)["Parts"]], [(1, good)],
       "the good part after a refused replacement")
    s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": good}]})
    same_bytes(s3.get_object(Bucket=b, Key="k")["Body"].read(), body, "object")


# ---------------------------------------------------------------- transfers

@timeout(240)
def test_upload_download_file_40mib(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mxf")
    src = ctx.path("forty.bin")
    data = rand_bytes(40 * MiB)
    with open(src, "wb") as f:
        f.write(data)
    cfg = TransferConfig(multipart_threshold=8 * MiB, max_concurrency=4)
    s3.upload_file(src, b, "files/forty.bin", Config=cfg,
                   ExtraArgs={"Metadata": {"origin": "upload_file"}})
    chunk = cfg.multipart_chunksize
    bodies = [data[i:i + chunk] for i in range(0, len(data), chunk)]
    h = s3.head_object(Bucket=b, Key="files/forty.bin", ChecksumMode="ENABLED")
    eq(h["ETag"], mp_etag(bodies), f"ETag after upload_file in {chunk // MiB} MiB parts")
    eq(h["Metadata"], {"origin": "upload_file"}, "metadata through upload_file")
    _expect_object_checksum(h, "crc32", data, bodies, "HEAD after upload_file")
    dst = ctx.path("forty.out")
    s3.download_file(b, "files/forty.bin", dst, Config=cfg)
    with open(dst, "rb") as f:
        same_bytes(f.read(), data, "downloaded file")
    g = s3.get_object(Bucket=b, Key="files/forty.bin", ChecksumMode="ENABLED")
    eq(hashlib.md5(g["Body"].read()).hexdigest(), md5_hex(data),
       "GET with ChecksumMode=ENABLED")
    os.unlink(src)
    os.unlink(dst)


@parametrize("v1", "v2")
@timeout(300)
def test_awscli_cp_100mib(ctx, v):
    aws = ctx.aws(v)
    s3 = ctx.s3()
    b = ctx.bucket(f"mcli{v}")
    src = ctx.path("hundred.bin")
    size = 100 * MiB
    chunk = 8 * MiB  # aws-cli's default multipart_chunksize
    part_md5, whole = [], hashlib.md5()
    with open(src, "wb") as f:
        for off in range(0, size, chunk):
            piece = rand_bytes(min(chunk, size - off))
            f.write(piece)
            part_md5.append(hashlib.md5(piece).digest())
            whole.update(piece)
    aws.run("s3", "cp", src, f"s3://{b}/big/hundred.bin")
    h = s3.head_object(Bucket=b, Key="big/hundred.bin")
    eq(h["ContentLength"], size, "size after `s3 cp` up")
    want = f'"{hashlib.md5(b"".join(part_md5)).hexdigest()}-{len(part_md5)}"'
    eq(h["ETag"], want, "ETag after `s3 cp` up (8 MiB parts)")
    out = aws.run("s3", "ls", f"s3://{b}/big/").stdout
    check(str(size) in out and "hundred.bin" in out, f"`s3 ls` does not show the size: {out!r}")
    dst = ctx.path("hundred.out")
    aws.run("s3", "cp", f"s3://{b}/big/hundred.bin", dst)
    h2 = hashlib.md5()
    with open(dst, "rb") as f:
        for piece in iter(lambda: f.read(4 * MiB), b""):
            h2.update(piece)
    eq(os.path.getsize(dst), size, "size after `s3 cp` down")
    eq(h2.hexdigest(), whole.hexdigest(), "md5 of the downloaded file")
    eq(_uploads(s3, b), [], "uploads left over by aws-cli")
    os.unlink(src)
    os.unlink(dst)


# ---------------------------------------------------------------- memory

class _Stream:
    """A non-seekable reader of `total` bytes: 1 MiB units, each a shared random
    block stamped with its index (so a misplaced MiB is seen), made on the fly."""

    def __init__(self, total, base):
        self.total, self.pos, self.base = total, 0, base

    @staticmethod
    def unit(base, i):
        return i.to_bytes(8, "little") + base[8:]

    def bytes_at(self, off, n):
        first, last = off // MiB, (off + n - 1) // MiB
        blob = b"".join(self.unit(self.base, i) for i in range(first, last + 1))
        return blob[off - first * MiB:off - first * MiB + n]

    def read(self, n=-1):
        if n is None or n < 0:
            n = self.total - self.pos
        n = min(n, self.total - self.pos)
        if n <= 0:
            return b""
        out = self.bytes_at(self.pos, n)
        self.pos += n
        return out


@timeout(240)
def test_1gib_upload_flat_memory(ctx):
    if _is_sanitized(ctx.binary):
        raise Skip("ASan's quarantine holds freed buffers: RSS says nothing here")
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("mmem", client=s3)
    total, part = 1024 * MiB, 16 * MiB
    base = rand_bytes(MiB)
    stream = _Stream(total, base)
    t0 = time.time()
    cfg = TransferConfig(multipart_threshold=part, multipart_chunksize=part, max_concurrency=8)
    s3.upload_fileobj(stream, b, "gig.bin", Config=cfg)
    took = time.time() - t0
    hwm = _vm_kib(srv.proc.pid, "VmHWM")
    md5s = []
    for off in range(0, total, part):
        h = hashlib.md5()
        for i in range(off // MiB, (off + part) // MiB):
            h.update(_Stream.unit(base, i))
        md5s.append(h.digest())
    want = f'"{hashlib.md5(b"".join(md5s)).hexdigest()}-{len(md5s)}"'
    head = s3.head_object(Bucket=b, Key="gig.bin")
    eq(head["ContentLength"], total, "size of the 1 GiB object")
    eq(head["ETag"], want, "ETag of the 1 GiB object (64 parts of 16 MiB)")
    check(hwm < 64 * 1024, f"server peak RSS (VmHWM) {hwm // 1024} MiB >= 64 MiB during a "
                           f"1 GiB upload in 8 concurrent 16 MiB parts ({took:.1f} s)")
    for off in (0, part - 10, 17 * part + 12345, total - 20):
        r = s3.get_object(Bucket=b, Key="gig.bin", Range=f"bytes={off}-{off + 19}")
        eq(r["Body"].read(), stream.bytes_at(off, 20), f"20 bytes at offset {off}")
    s3.delete_object(Bucket=b, Key="gig.bin")


# ---------------------------------------------------------------- crashes and disk space

@posix_home_only("it counts the payload files in the data directory")
@timeout(240)
def test_parts_reclaimed(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("mgc", client=s3)
    # Complete with a subset of the uploaded parts: the others go.
    bodies = [rand_bytes(PART_MIN), rand_bytes(PART_MIN), rand_bytes(PART_MIN)]
    uid = s3.create_multipart_upload(Bucket=b, Key="subset")["UploadId"]
    parts = _upload_parts(s3, b, "subset", uid, bodies)
    s3.upload_part(Bucket=b, Key="subset", UploadId=uid, PartNumber=2, Body=bodies[1][:MiB])
    parts[1]["ETag"] = f'"{md5_hex(bodies[1][:MiB])}"'
    _expect_reclaimed(srv, s3, "after replacing part 2 of an upload in progress")
    s3.complete_multipart_upload(Bucket=b, Key="subset", UploadId=uid,
                                 MultipartUpload={"Parts": [parts[0], parts[1]]})
    same_bytes(s3.get_object(Bucket=b, Key="subset")["Body"].read(),
               bodies[0] + bodies[1][:MiB], "object of parts 1-2 of 3")
    _expect_reclaimed(srv, s3, "after completing with 2 of 3 parts")
    # Aborted uploads leave nothing.
    uid = s3.create_multipart_upload(Bucket=b, Key="aborted")["UploadId"]
    _upload_parts(s3, b, "aborted", uid, [rand_bytes(PART_MIN), rand_bytes(MiB)])
    s3.abort_multipart_upload(Bucket=b, Key="aborted", UploadId=uid)
    _expect_reclaimed(srv, s3, "after an abort")
    # Overwriting and deleting a multipart object reclaim all of its parts.
    _mpu(s3, b, "over", [rand_bytes(PART_MIN), rand_bytes(PART_MIN)])
    s3.put_object(Bucket=b, Key="over", Body=b"small now")
    _expect_reclaimed(srv, s3, "after overwriting a multipart object with a PUT")
    _mpu(s3, b, "over", [rand_bytes(PART_MIN), rand_bytes(10)])
    _mpu(s3, b, "over", [rand_bytes(PART_MIN), rand_bytes(20)])
    _expect_reclaimed(srv, s3, "after overwriting a multipart object with another")
    s3.delete_object(Bucket=b, Key="over")
    s3.delete_object(Bucket=b, Key="subset")
    _expect_reclaimed(srv, s3, "after deleting the multipart objects")
    eq(_payload(srv)[1], 0, "payload bytes with no objects left")
    # And it holds across a restart.
    srv.restart()
    s3 = ctx.client(srv)
    _expect_reclaimed(srv, s3, "after a restart")


def _open_part_put(server, bucket, key, upload_id, number, content_length):
    """Sends the head of a signed UploadPart (UNSIGNED-PAYLOAD) and returns the socket."""
    path = uri_path(f"/{bucket}/{key}")
    query = [("partNumber", str(number)), ("uploadId", upload_id)]
    h = {"Host": f"127.0.0.1:{server.port}", "Content-Length": str(content_length)}
    s = sign_v4("PUT", path, query, h, "UNSIGNED-PAYLOAD", server.access, server.secret)
    head = f"PUT {path}?{wire_query(query)} HTTP/1.1\r\n" + \
        "".join(f"{k}: {v}\r\n" for k, v in s.headers.items()) + "\r\n"
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(head.encode())
    return sock


@posix_home_only("it counts the payload files in the data directory")
@timeout(240)
def test_kill9_during_upload_part(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("mk9p", client=s3)
    bodies = [rand_bytes(PART_MIN), rand_bytes(12 * MiB), rand_bytes(PART_MIN)]
    uid = s3.create_multipart_upload(Bucket=b, Key="k", Metadata={"m": "v"})["UploadId"]
    p1 = _upload_parts(s3, b, "k", uid, [bodies[0]])[0]
    p3 = _upload_parts(s3, b, "k", uid, [bodies[2]], first=3)[0]
    sock = _open_part_put(srv, b, "k", uid, 2, len(bodies[1]))
    try:
        sock.sendall(bodies[1][:8 * MiB])
        time.sleep(0.3)
        srv.kill9()
    finally:
        sock.close()
    srv.start()
    s3 = ctx.client(srv)
    eq([u["UploadId"] for u in _uploads(s3, b)], [uid], "the upload after kill -9")
    listed = s3.list_parts(Bucket=b, Key="k", UploadId=uid)["Parts"]
    eq([(p["PartNumber"], p["ETag"]) for p in listed], [(1, p1["ETag"]), (3, p3["ETag"])],
       "parts after kill -9 during part 2 (a half part must not be listed)")
    _expect_reclaimed(srv, s3, "after kill -9 during UploadPart and a restart")
    c = s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=uid,
                                     MultipartUpload={"Parts": [p1, p3]})
    eq(c["ETag"], mp_etag([bodies[0], bodies[2]]), "ETag")
    g = s3.get_object(Bucket=b, Key="k")
    same_bytes(g["Body"].read(), bodies[0] + bodies[2],
               "object completed with the other parts after kill -9")
    eq(g["Metadata"], {"m": "v"}, "metadata from Create after kill -9")
    _expect_reclaimed(srv, s3, "after Complete")


@posix_home_only("it counts the payload files in the data directory")
@timeout(300)
def test_kill9_during_complete(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("mk9c", client=s3)
    n_parts = 40
    bodies = [rand_bytes(PART_MIN) for _ in range(n_parts)]
    size = PART_MIN * n_parts
    want_md5 = hashlib.md5(b"".join(bodies)).hexdigest()
    want_etag = mp_etag(bodies)
    uid = s3.create_multipart_upload(Bucket=b, Key="big.bin")["UploadId"]
    parts = _upload_parts(s3, b, "big.bin", uid, bodies, threads=4)
    files_before, bytes_before = _payload(srv)
    # A client that does not retry, warmed up (its first call loads what it needs
    # and opens the connection), that says when the Complete leaves.
    once = ctx.client(srv, retries={"total_max_attempts": 1}, read_timeout=120)
    once.list_parts(Bucket=b, Key="big.bin", UploadId=uid, MaxParts=1)
    sent = threading.Event()
    once.meta.events.register("before-send.s3.CompleteMultipartUpload",
                              lambda **_kw: sent.set())
    result = {}

    def complete():
        try:
            result["ok"] = once.complete_multipart_upload(
                Bucket=b, Key="big.bin", UploadId=uid, MultipartUpload=_completed(parts))
        except Exception as e:  # noqa: BLE001
            result["error"] = e
    t = threading.Thread(target=complete)
    # Complete of 40 parts takes some 150 ms here (release build): most kills
    # land inside it, some after it.
    delay = random.uniform(0.0, 0.2)
    t.start()
    check(sent.wait(30), "the Complete request was not sent within 30 s")
    time.sleep(delay)
    srv.kill9()
    t.join(60)
    outcome = "answered" if "ok" in result else f"failed ({type(result.get('error')).__name__})"
    where = f"kill -9 {delay * 1000:.0f} ms into Complete, which {outcome}"
    srv.start()
    s3 = ctx.client(srv)
    try:
        head = s3.head_object(Bucket=b, Key="big.bin")
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("404", "NoSuchKey"):
            raise
        head = None
    if head is not None:
        eq((head["ContentLength"], head["ETag"]), (size, want_etag),
           f"{where}: the object after restart (size, ETag)")
        eq(_md5_of_object(s3, b, "big.bin"), (want_md5, size), f"{where}: object bytes")
        check("ok" not in result or result["ok"]["ETag"] == want_etag,
              f"{where}: Complete answered ETag {result.get('ok', {}).get('ETag')}")
        # The client never saw the answer: its retry must get the same 200.
        c = s3.complete_multipart_upload(Bucket=b, Key="big.bin", UploadId=uid,
                                         MultipartUpload=_completed(parts))
        eq(c["ETag"], want_etag, f"{where}: repeated Complete after restart")
    else:
        check("ok" not in result, f"{where}: Complete answered 200 but the object is gone "
                                  "after the restart")
        eq([u["UploadId"] for u in _uploads(s3, b)], [uid],
           f"{where}: no object, so the upload must still be listed")
        c = s3.complete_multipart_upload(Bucket=b, Key="big.bin", UploadId=uid,
                                         MultipartUpload=_completed(parts))
        eq(c["ETag"], want_etag, f"{where}: Complete after restart")
        eq(_md5_of_object(s3, b, "big.bin"), (want_md5, size), f"{where}: object bytes")
    eq(_uploads(s3, b), [], f"{where}: uploads after the object is complete")
    _expect_reclaimed(srv, s3, f"{where}: (before: {files_before} files, {bytes_before} bytes)")
    s3.delete_object(Bucket=b, Key="big.bin")
    _expect_reclaimed(srv, s3, f"{where}: after deleting the object")
