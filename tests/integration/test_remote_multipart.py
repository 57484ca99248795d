"""Multipart uploads on the remote S3 backend (issue 7): Strata with `backend = s3` in front of
Ceph RGW (or, when RGW cannot start here, a posix Strata standing in for it: test_remote.py's
remote, reused).

What is proven: Create/UploadPart/Complete publish one remote object (the parts' framed bytes
and a manifest) with the S3 multipart ETag and Strata's SHA-256; a 1-part upload; a re-uploaded
part is the last one; ranged reads across part and frame boundaries, and ?partNumber= reads;
ListParts and ListMultipartUploads with their markers and pages; Abort and Complete leave no
marker, part, staging object, journal record or unfinished remote upload behind; SSE-C and
SSE-S3 uploads are sealed on the remote; UploadPartCopy; boto3's managed transfers and aws-cli
v2; DeleteBucket aborts in-progress uploads; a tampered manifest or part is never served."""

import hashlib
import os

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from harness import (check, eq, expect_error, md5_hex, rand_bytes, same_bytes, sha256_hex,
                     timeout)
from test_remote import _remote_client, _strata

SERVER = False
USES_RGW = True  # starts Ceph RGW itself: run.py -j keeps such modules in one runner
POSIX_HOME_ONLY = "it runs the s3 backend over remotes of its own"
KiB = 1024
MiB = 1024 * KiB
FRAME = 64 * KiB        # plaintext bytes per frame (common/frames.h)
STRIDE = FRAME + 32     # stored bytes per full frame


def mp_etag(parts):
    """The S3 ETag of a multipart object made of these part bodies, quoted."""
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def _upload(s3, b, key, bodies, create=None, part_kw=None, complete_kw=None):
    """Create + parts + Complete; returns (upload id, Complete's answer)."""
    uid = s3.create_multipart_upload(Bucket=b, Key=key, **(create or {}))["UploadId"]
    parts = []
    for i, body in enumerate(bodies, 1):
        r = s3.upload_part(Bucket=b, Key=key, UploadId=uid, PartNumber=i, Body=body,
                           **(part_kw or {}))
        eq(r["ETag"], f'"{md5_hex(body)}"', f"part {i} ETag")
        parts.append({"PartNumber": i, "ETag": r["ETag"]})
    r = s3.complete_multipart_upload(Bucket=b, Key=key, UploadId=uid,
                                     MultipartUpload={"Parts": parts}, **(complete_kw or {}))
    return uid, r


def _keys(remote, bucket, prefix):
    out, token = [], None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = remote.list_objects_v2(Bucket=bucket, Prefix=prefix, **kw)
        out += [o["Key"] for o in r.get("Contents", [])]
        if not r.get("IsTruncated"):
            return out
        token = r["NextContinuationToken"]


def _check_clean(ctx, prefix, b, what):
    """Nothing of an upload is left on the remote but the object (and done/ records)."""
    remote = _remote_client(ctx)
    system = prefix + "system"
    eq(_keys(remote, system, f"parts/{b}/"), [], f"{what}: no part objects left")
    eq(_keys(remote, system, f"uploads/{b}/"), [], f"{what}: no upload marker left")
    eq(_keys(remote, system, "staging/"), [], f"{what}: no staging object left")
    eq(_keys(remote, system, "finals/"), [], f"{what}: no journal record left")
    eq(remote.list_multipart_uploads(Bucket=system).get("Uploads", []), [],
       f"{what}: no staging upload left")
    eq(remote.list_multipart_uploads(Bucket=prefix + b).get("Uploads", []), [],
       f"{what}: no unfinished remote upload in the bucket")


def _file_id(wire):
    """The fi= field (file id) of an x-amz-meta-strata value (common/objwire.h)."""
    for item in wire.split(";"):
        if item.startswith("fi="):
            return bytes.fromhex(item[3:])
    raise AssertionError(f"no file id in {wire!r}")


def _frame_tag(file_id, index, last, data):
    """The BLAKE2b tag of a plain frame (common/frames.h)."""
    h = hashlib.blake2b(digest_size=32, person=b"strata-frame-v1")
    h.update(file_id + index.to_bytes(8, "little") + bytes([last]) +
             len(data).to_bytes(4, "little") + data)
    return h.digest()


def _get(s3, b, key, **kw):
    return s3.get_object(Bucket=b, Key=key, **kw)["Body"].read()


@timeout(600)
def test_complete_three_parts(ctx):
    srv, prefix = _strata(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("mp3", client=s3)
    bodies = [rand_bytes(5 * MiB), rand_bytes(5 * MiB), rand_bytes(1 * MiB)]
    whole = b"".join(bodies)
    uid, r = _upload(s3, b, "dir/three", bodies,
                     create={"ContentType": "application/dicom", "Metadata": {"study": "42"}})
    eq(r["ETag"], mp_etag(bodies), "Complete's ETag is the multipart ETag")
    h = s3.head_object(Bucket=b, Key="dir/three")
    eq(h["ContentLength"], len(whole), "size")
    eq(h["ETag"], mp_etag(bodies), "HEAD ETag ends in -3")
    eq(h["ContentType"], "application/dicom", "content type from Create")
    eq(h["Metadata"], {"study": "42"}, "user metadata from Create")
    eq(h["ResponseMetadata"]["HTTPHeaders"]["x-strata-sha256"], sha256_hex(whole),
       "Strata's SHA-256 of the whole object")
    got = _get(s3, b, "dir/three")
    check(hashlib.sha256(got).digest() == hashlib.sha256(whole).digest(), "11 MiB round trip")
    listed = s3.list_objects_v2(Bucket=b)["Contents"]
    eq([(o["Key"], o["Size"], o["ETag"]) for o in listed],
       [("dir/three", len(whole), mp_etag(bodies))], "listing")
    # Ranges across part boundaries (5 MiB, 10 MiB) and frame boundaries (64 KiB).
    p1, p2 = 5 * MiB, 10 * MiB
    for a, z in [(0, 0), (FRAME - 1, FRAME), (FRAME - 5, 3 * FRAME + 7), (p1 - 1, p1),
                 (p1 - 100000, p1 + 100000), (p2 - 3, p2 + 2), (p1 - 10, p2 + 10),
                 (len(whole) - 1, len(whole) - 1), (len(whole) - FRAME - 3, len(whole) - 1)]:
        same_bytes(_get(s3, b, "dir/three", Range=f"bytes={a}-{z}"), whole[a:z + 1],
                   f"range {a}-{z}")
    # Reads by part number, and their limits.
    for n, body in enumerate(bodies, 1):
        g = s3.get_object(Bucket=b, Key="dir/three", PartNumber=n)
        same_bytes(g["Body"].read(), body, f"GET partNumber={n}")
        eq(g["PartsCount"], 3, "x-amz-mp-parts-count")
        eq(s3.head_object(Bucket=b, Key="dir/three", PartNumber=n)["ContentLength"], len(body),
           f"HEAD partNumber={n}")
    expect_error(lambda: s3.get_object(Bucket=b, Key="dir/three", PartNumber=4),
                 "InvalidPartNumber", 416)
    attrs = s3.get_object_attributes(Bucket=b, Key="dir/three", ObjectAttributes=["ObjectParts"])
    eq([p["Size"] for p in attrs["ObjectParts"]["Parts"]], [len(x) for x in bodies],
       "GetObjectAttributes part sizes")
    # A repeated Complete answers as the first one did.
    again = s3.complete_multipart_upload(
        Bucket=b, Key="dir/three", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": i, "ETag": f'"{md5_hex(x)}"'}
                                   for i, x in enumerate(bodies, 1)]})
    eq(again["ETag"], mp_etag(bodies), "repeated Complete")
    expect_error(lambda: s3.upload_part(Bucket=b, Key="dir/three", UploadId=uid, PartNumber=1,
                                        Body=b"late"), "NoSuchUpload", 404)
    # On the remote: one object of framed bytes + manifest, and nothing else of the upload.
    remote = _remote_client(ctx)
    ro = remote.head_object(Bucket=prefix + b, Key="dir/three")
    check("strata" in ro["Metadata"], "Strata's metadata on the remote object")
    n_frames = sum(-(-len(x) // FRAME) for x in bodies)
    manifest = 3 * 24 + 32
    eq(ro["ContentLength"], len(whole) + 32 * n_frames + manifest,
       "the remote object is the parts' frames and the manifest")
    _check_clean(ctx, prefix, b, "after Complete")
    eq(len(_keys(remote, prefix + "system", f"done/{b}/")), 1, "the completed upload record")
    # Overwritten by a single PUT, the key reads as that object.
    s3.put_object(Bucket=b, Key="dir/three", Body=b"small now")
    eq(_get(s3, b, "dir/three"), b"small now", "overwrite of a multipart object")
    g = s3.get_object(Bucket=b, Key="dir/three", PartNumber=1)
    eq(g["Body"].read(), b"small now", "a single PUT is its own part 1")
    expect_error(lambda: s3.head_object(Bucket=b, Key="dir/three", PartNumber=2),
                 "416", 416)


@timeout(600)
def test_one_part_and_reuploads(ctx):
    srv, prefix = _strata(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("one", client=s3)
    small = rand_bytes(100 * KiB + 3)
    uid, r = _upload(s3, b, "small", [small])
    eq(r["ETag"], mp_etag([small]), "1-part ETag")
    same_bytes(_get(s3, b, "small"), small, "a small 1-part upload")
    same_bytes(_get(s3, b, "small", PartNumber=1), small, "its part 1")
    big = rand_bytes(6 * MiB + 17)  # its own remote part, then the manifest alone
    _upload(s3, b, "big", [big])
    same_bytes(_get(s3, b, "big"), big, "a 6 MiB 1-part upload")
    empty_uid, _ = _upload(s3, b, "empty", [b""])
    eq(_get(s3, b, "empty"), b"", "a 1-part upload of nothing")
    long_key = "ключ/" + "k" * 990  # 1,000 bytes: kept in the marker's body, not its metadata
    uid = s3.create_multipart_upload(Bucket=b, Key=long_key)["UploadId"]
    eq([u["Key"] for u in s3.list_multipart_uploads(Bucket=b)["Uploads"]], [long_key],
       "a 1,000-byte key listed")
    etag = s3.upload_part(Bucket=b, Key=long_key, UploadId=uid, PartNumber=1, Body=small)["ETag"]
    s3.complete_multipart_upload(Bucket=b, Key=long_key, UploadId=uid,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    same_bytes(_get(s3, b, long_key), small, "a 1,000-byte key")
    # Re-uploaded parts: the last one wins, the others go.
    key = "re"
    uid = s3.create_multipart_upload(Bucket=b, Key=key)["UploadId"]
    first = [rand_bytes(5 * MiB), rand_bytes(300 * KiB)]
    second = [rand_bytes(5 * MiB + 1), rand_bytes(200 * KiB)]
    for i, body in enumerate(first, 1):
        s3.upload_part(Bucket=b, Key=key, UploadId=uid, PartNumber=i, Body=body)
    for i, body in enumerate(second, 1):
        s3.upload_part(Bucket=b, Key=key, UploadId=uid, PartNumber=i, Body=body)
    lp = s3.list_parts(Bucket=b, Key=key, UploadId=uid)["Parts"]
    eq([(p["PartNumber"], p["ETag"], p["Size"]) for p in lp],
       [(i, f'"{md5_hex(x)}"', len(x)) for i, x in enumerate(second, 1)], "the last uploads")
    remote = _remote_client(ctx)
    eq(len(_keys(remote, prefix + "system", f"parts/{b}/{uid}/")), 2,
       "the replaced part objects are deleted")
    expect_error(lambda: s3.complete_multipart_upload(
        Bucket=b, Key=key, UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": f'"{md5_hex(first[0])}"'},
                                   {"PartNumber": 2, "ETag": f'"{md5_hex(second[1])}"'}]}),
        "InvalidPart", 400)
    s3.complete_multipart_upload(
        Bucket=b, Key=key, UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": i, "ETag": f'"{md5_hex(x)}"'}
                                   for i, x in enumerate(second, 1)]})
    same_bytes(_get(s3, b, key), b"".join(second), "the object is made of the last uploads")
    _check_clean(ctx, prefix, b, "after re-uploads")


@timeout(600)
def test_list_and_abort(ctx):
    srv, prefix = _strata(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("lst", client=s3)
    keys = ["a/1", "a/2", "a/1", "b/1", "ä/ü"]
    ids = [(k, s3.create_multipart_upload(Bucket=b, Key=k)["UploadId"]) for k in keys]
    want = sorted(ids, key=lambda kv: (kv[0].encode(), kv[1]))
    got = s3.list_multipart_uploads(Bucket=b)
    eq([(u["Key"], u["UploadId"]) for u in got["Uploads"]], want, "all, in (key, id) order")
    got = s3.list_multipart_uploads(Bucket=b, Prefix="a/")
    eq([(u["Key"], u["UploadId"]) for u in got["Uploads"]],
       [kv for kv in want if kv[0].startswith("a/")], "prefix")
    got = s3.list_multipart_uploads(Bucket=b, Prefix="", Delimiter="/")
    eq(sorted(p["Prefix"] for p in got.get("CommonPrefixes", [])), ["a/", "b/", "ä/"],
       "common prefixes")
    seen, kw = [], {}
    while True:
        page = s3.list_multipart_uploads(Bucket=b, MaxUploads=2, **kw)
        seen += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
        if not page["IsTruncated"]:
            break
        kw = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
    eq(seen, want, "pages of 2 add up")
    got = s3.list_multipart_uploads(Bucket=b, KeyMarker="a/2")
    eq([(u["Key"], u["UploadId"]) for u in got["Uploads"]],
       [kv for kv in want if kv[0].encode() > b"a/2"], "key marker alone")
    # ListParts pages.
    k, uid = want[0]
    bodies = [rand_bytes(5 * MiB), rand_bytes(5 * MiB), rand_bytes(10)]
    for i, body in enumerate(bodies, 1):
        s3.upload_part(Bucket=b, Key=k, UploadId=uid, PartNumber=i, Body=body)
    page = s3.list_parts(Bucket=b, Key=k, UploadId=uid, MaxParts=2)
    eq([p["PartNumber"] for p in page["Parts"]], [1, 2], "first page of parts")
    check(page["IsTruncated"], "truncated")
    page = s3.list_parts(Bucket=b, Key=k, UploadId=uid, PartNumberMarker=page[
        "NextPartNumberMarker"])
    eq([(p["PartNumber"], p["Size"]) for p in page["Parts"]], [(3, 10)], "second page")
    check(not page["IsTruncated"], "last page")
    # Abort leaves nothing on the remote.
    for kk, u in ids:
        s3.abort_multipart_upload(Bucket=b, Key=kk, UploadId=u)
    eq(s3.list_multipart_uploads(Bucket=b).get("Uploads", []), [], "no upload left")
    expect_error(lambda: s3.abort_multipart_upload(Bucket=b, Key=k, UploadId=uid),
                 "NoSuchUpload", 404)
    expect_error(lambda: s3.upload_part(Bucket=b, Key=k, UploadId=uid, PartNumber=1, Body=b"x"),
                 "NoSuchUpload", 404)
    expect_error(lambda: s3.list_parts(Bucket=b, Key=k, UploadId=uid), "NoSuchUpload", 404)
    expect_error(lambda: s3.upload_part(Bucket=b, Key=k, UploadId="../../buckets/x",
                                        PartNumber=1, Body=b"x"), "NoSuchUpload", 404)
    _check_clean(ctx, prefix, b, "after Abort")
    eq(_keys(_remote_client(ctx), prefix + "system", f"done/{b}/"), [], "no done record")


@timeout(600)
def test_encrypted_uploads(ctx):
    srv, prefix = _strata(ctx, extra="sse_c_over_http = on\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("enc", client=s3)
    remote = _remote_client(ctx)
    marker = b"PLAINTEXT-MARKER-" * 4
    bodies = [(marker + rand_bytes(FRAME)) * 80, (marker + rand_bytes(1000)) * 30]
    whole = b"".join(bodies)
    # SSE-S3, the default.
    _upload(s3, b, "s3", bodies)
    h = s3.head_object(Bucket=b, Key="s3")
    eq(h.get("ServerSideEncryption"), "AES256", "SSE-S3 by default")
    same_bytes(_get(s3, b, "s3"), whole, "SSE-S3 round trip")
    a = len(bodies[0]) - 1000
    same_bytes(_get(s3, b, "s3", Range=f"bytes={a}-{a + 5000}"), whole[a:a + 5001],
               "a sealed range across the part boundary")
    same_bytes(_get(s3, b, "s3", PartNumber=2), bodies[1], "sealed part 2")
    check(marker not in remote.get_object(Bucket=prefix + b, Key="s3")["Body"].read(),
          "the remote never sees the plaintext (SSE-S3)")
    # SSE-C: the key on Create, every UploadPart and Complete.
    key = os.urandom(32)
    ssec = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
    _upload(s3, b, "c", bodies, create=ssec, part_kw=ssec, complete_kw=ssec)
    same_bytes(_get(s3, b, "c", **ssec), whole, "SSE-C round trip")
    same_bytes(_get(s3, b, "c", Range=f"bytes={a}-{a + 5000}", **ssec), whole[a:a + 5001],
               "an SSE-C range across the part boundary")
    expect_error(lambda: s3.get_object(Bucket=b, Key="c"), "InvalidRequest", 400)
    expect_error(lambda: s3.get_object(Bucket=b, Key="c", SSECustomerAlgorithm="AES256",
                                       SSECustomerKey=os.urandom(32)), "AccessDenied", 403)
    uid = s3.create_multipart_upload(Bucket=b, Key="c2", **ssec)["UploadId"]
    expect_error(lambda: s3.upload_part(Bucket=b, Key="c2", UploadId=uid, PartNumber=1,
                                        Body=b"x"), "InvalidRequest", 400)
    parts = remote.list_objects_v2(Bucket=prefix + "system", Prefix=f"parts/{b}/{uid}/")
    eq(parts.get("KeyCount", 0), 0, "a part refused for its key is not stored")
    check(marker not in remote.get_object(Bucket=prefix + b, Key="c")["Body"].read(),
          "the remote never sees the plaintext (SSE-C)")
    s3.abort_multipart_upload(Bucket=b, Key="c2", UploadId=uid)
    _check_clean(ctx, prefix, b, "after encrypted uploads")


@timeout(600)
def test_upload_part_copy(ctx):
    srv, prefix = _strata(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("cpy", client=s3)
    src = rand_bytes(7 * MiB + 5)
    s3.put_object(Bucket=b, Key="src", Body=src)
    uid = s3.create_multipart_upload(Bucket=b, Key="dst")["UploadId"]
    r1 = s3.upload_part_copy(Bucket=b, Key="dst", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": b, "Key": "src"})
    r2 = s3.upload_part_copy(Bucket=b, Key="dst", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": b, "Key": "src"},
                             CopySourceRange="bytes=1000-70000")
    eq(r1["CopyPartResult"]["ETag"], f'"{md5_hex(src)}"', "whole copy's ETag")
    eq(r2["CopyPartResult"]["ETag"], f'"{md5_hex(src[1000:70001])}"', "ranged copy's ETag")
    s3.complete_multipart_upload(
        Bucket=b, Key="dst", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
                                   {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]}]})
    same_bytes(_get(s3, b, "dst"), src + src[1000:70001], "UploadPartCopy round trip")
    # And from a multipart object, through its manifest.
    uid = s3.create_multipart_upload(Bucket=b, Key="dst2")["UploadId"]
    r = s3.upload_part_copy(Bucket=b, Key="dst2", UploadId=uid, PartNumber=1,
                            CopySource={"Bucket": b, "Key": "dst"},
                            CopySourceRange=f"bytes={len(src) - 10}-{len(src) + 10}")
    s3.complete_multipart_upload(
        Bucket=b, Key="dst2", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["CopyPartResult"]["ETag"]}]})
    same_bytes(_get(s3, b, "dst2"), (src + src[1000:70001])[len(src) - 10:len(src) + 11],
               "a copy across the parts of a multipart source")
    s3.copy_object(Bucket=b, Key="flat", CopySource={"Bucket": b, "Key": "dst"})
    same_bytes(_get(s3, b, "flat"), src + src[1000:70001], "CopyObject of a multipart object")
    _check_clean(ctx, prefix, b, "after UploadPartCopy")


@timeout(900)
def test_managed_transfers(ctx):
    srv, prefix = _strata(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("xfer", client=s3)
    src = ctx.path("40mib.bin")
    data = rand_bytes(40 * MiB)
    with open(src, "wb") as f:
        f.write(data)
    s3.upload_file(src, b, "boto/40mib.bin")
    h = s3.head_object(Bucket=b, Key="boto/40mib.bin")
    eq(h["ContentLength"], len(data), "size")
    check(h["ETag"].strip('"').endswith("-5"), f"a 5-part upload: {h['ETag']}")
    dst = ctx.path("40mib.out")
    s3.download_file(b, "boto/40mib.bin", dst)
    with open(dst, "rb") as f:
        check(hashlib.sha256(f.read()).digest() == hashlib.sha256(data).digest(),
              "boto3 download_file")
    s3.upload_file(src, b, "boto/threads", Config=TransferConfig(max_concurrency=8,
                                                                 multipart_chunksize=5 * MiB))
    eq(s3.head_object(Bucket=b, Key="boto/threads")["ContentLength"], len(data),
       "parallel 5 MiB parts")
    # aws-cli v2, its own endpoint and credentials.
    aws = ctx.aws("v2", server=srv)
    small = ctx.path("30mib.bin")
    with open(small, "wb") as f:
        f.write(data[:30 * MiB])
    aws.run("s3", "cp", small, f"s3://{b}/cli/30mib.bin")
    eq(s3.head_object(Bucket=b, Key="cli/30mib.bin")["ContentLength"], 30 * MiB, "aws cp up")
    back = ctx.path("30mib.back")
    aws.run("s3", "cp", f"s3://{b}/cli/30mib.bin", back)
    with open(back, "rb") as f:
        check(f.read() == data[:30 * MiB], "aws cp down")
    _check_clean(ctx, prefix, b, "after managed transfers")


@timeout(600)
def test_two_instances_share_uploads(ctx):
    a, prefix = _strata(ctx, extra="default_encryption = none\n")
    bsrv, _ = _strata(ctx, prefix=prefix, extra="default_encryption = none\n",
                      access=a.access, secret=a.secret)
    sa, sb = ctx.client(a), ctx.client(bsrv, a.access, a.secret)
    b = ctx.bucket("two", client=sa)
    bodies = [rand_bytes(5 * MiB), rand_bytes(700 * KiB)]
    uid = sa.create_multipart_upload(Bucket=b, Key="shared")["UploadId"]
    e1 = sa.upload_part(Bucket=b, Key="shared", UploadId=uid, PartNumber=1, Body=bodies[0])
    eq([u["UploadId"] for u in sb.list_multipart_uploads(Bucket=b)["Uploads"]], [uid],
       "B lists A's upload")
    e2 = sb.upload_part(Bucket=b, Key="shared", UploadId=uid, PartNumber=2, Body=bodies[1])
    eq([p["PartNumber"] for p in sa.list_parts(Bucket=b, Key="shared", UploadId=uid)["Parts"]],
       [1, 2], "A lists B's part")
    sb.complete_multipart_upload(
        Bucket=b, Key="shared", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1["ETag"]},
                                   {"PartNumber": 2, "ETag": e2["ETag"]}]})
    same_bytes(_get(sa, b, "shared"), b"".join(bodies), "A reads what B completed")
    eq(sa.head_object(Bucket=b, Key="shared")["ETag"], mp_etag(bodies), "same ETag on A")
    _check_clean(ctx, prefix, b, "after a Complete on the other instance")


@timeout(600)
def test_delete_bucket_aborts_uploads(ctx):
    srv, prefix = _strata(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("del", client=s3)
    uid = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    s3.upload_part(Bucket=b, Key="k", UploadId=uid, PartNumber=1, Body=b"part")
    s3.delete_bucket(Bucket=b)  # as on posix and AWS: in-progress uploads do not keep it
    remote = _remote_client(ctx)
    for p in ("uploads", "parts", "done"):
        eq(_keys(remote, prefix + "system", f"{p}/{b}/"), [], f"no {p}/ left of the bucket")
    s3.create_bucket(Bucket=b)
    eq(s3.list_multipart_uploads(Bucket=b).get("Uploads", []), [],
       "a bucket made again starts with no uploads")
    expect_error(lambda: s3.list_parts(Bucket=b, Key="k", UploadId=uid), "NoSuchUpload", 404)


@timeout(600)
def test_tampered_multipart_object_is_never_served(ctx):
    srv, prefix = _strata(ctx, extra="default_encryption = none\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("tmp", client=s3)
    remote = _remote_client(ctx)
    bodies = [rand_bytes(5 * MiB), rand_bytes(300 * KiB)]
    whole = b"".join(bodies)

    def refused(what, **kw):
        try:
            got = _get(s3, b, "x", **kw)
        except (ClientError, Exception):  # noqa: BLE001 - a 500 or a cut connection
            return
        check(got != whole and len(got) < len(whole), f"{what}: never served as good data")

    # The manifest (the remote object's last bytes), tampered before Strata ever read it.
    _upload(s3, b, "x", bodies)
    ro = remote.get_object(Bucket=prefix + b, Key="x")
    raw = bytearray(ro["Body"].read())
    raw[-40] ^= 1
    remote.put_object(Bucket=prefix + b, Key="x", Body=bytes(raw), Metadata=ro["Metadata"])
    expect_error(lambda: s3.get_object(Bucket=b, Key="x"), "InternalError", 500)
    expect_error(lambda: s3.get_object(Bucket=b, Key="x", PartNumber=2), "InternalError", 500)
    # Manifests forged with valid tags: sizes that do not add up to the stored parts, and
    # the parts in the other order (their frames then fail against the named file ids).
    raw[-40] ^= 1
    fid = _file_id(ro["Metadata"]["strata"])
    records = bytes(raw[-(2 * 24 + 32):-32])
    eq(_frame_tag(fid, 0, True, records), bytes(raw[-32:]), "the test's frame tag")
    size1, size2 = len(bodies[0]) + 1, len(bodies[1]) - 1
    forged = size1.to_bytes(8, "little") + records[8:32] + size2.to_bytes(8, "little") + \
        records[56:]
    raw[-(2 * 24 + 32):] = forged + _frame_tag(fid, 0, True, forged)
    remote.put_object(Bucket=prefix + b, Key="x", Body=bytes(raw), Metadata=ro["Metadata"])
    expect_error(lambda: s3.get_object(Bucket=b, Key="x"), "InternalError", 500)
    forged = records[24:] + records[:24]
    raw[-(2 * 24 + 32):] = forged + _frame_tag(fid, 0, True, forged)
    remote.put_object(Bucket=prefix + b, Key="x", Body=bytes(raw), Metadata=ro["Metadata"])
    refused("parts reordered by a forged manifest")
    # A frame of part 2 (its frames are bound to part 2's file id).
    _upload(s3, b, "x", bodies)  # again: a new manifest file id, not cached
    ro = remote.get_object(Bucket=prefix + b, Key="x")
    raw = bytearray(ro["Body"].read())
    p2 = len(bodies[0]) + 32 * (len(bodies[0]) // FRAME)
    raw[p2 + 10] ^= 1
    remote.put_object(Bucket=prefix + b, Key="x", Body=bytes(raw), Metadata=ro["Metadata"])
    same_bytes(_get(s3, b, "x", Range="bytes=0-99999"), whole[:100000], "part 1 still reads")
    refused("a corrupt frame in part 2")
    refused("part 2 by number", PartNumber=2)
    # Part 1's and part 2's frames swapped: each is verified against its own part's id.
    raw[p2 + 10] ^= 1
    swapped = raw[p2:p2 + STRIDE] + raw[STRIDE:p2] + raw[0:STRIDE] + raw[p2 + STRIDE:]
    remote.put_object(Bucket=prefix + b, Key="x", Body=bytes(swapped), Metadata=ro["Metadata"])
    refused("frames swapped between parts")
