"""aws-cli v1 (pip, `python3 -m awscli`) and v2 (Debian, /usr/bin/aws) at their
default settings: the same tests for both."""

import hashlib
import json
import os
import time
import urllib.request

from harness import check, eq, md5_hex, parametrize, rand_bytes, same_bytes, timeout

MiB = 1024 * 1024
VERSIONS = ("v1", "v2")


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


@parametrize(*VERSIONS)
@timeout(300)
def test_s3_mb_cp_ls_rm_rb(ctx, v):
    aws = ctx.aws(v)
    b = ctx.name(f"cli{v}")
    aws.run("s3", "mb", f"s3://{b}")
    out = aws.run("s3", "ls").stdout
    check(b in out, f"`s3 ls` does not show {b}: {out[-500:]!r}")
    data = rand_bytes(7 * MiB)
    src = ctx.path("up", "seven.bin")
    _write(src, data)
    aws.run("s3", "cp", src, f"s3://{b}/dir/seven.bin")
    small = ctx.path("up", "small.txt")
    _write(small, b"hello from aws-cli\n")
    aws.run("s3", "cp", small, f"s3://{b}/dir/sub/small.txt")
    aws.run("s3", "cp", small, f"s3://{b}/top.txt")
    head = ctx.s3().head_object(Bucket=b, Key="dir/seven.bin")
    eq(head["ContentLength"], len(data), "uploaded size")
    eq(head["ETag"], f'"{md5_hex(data)}"', "uploaded ETag (single PUT below 8 MiB)")
    dst = ctx.path("down", "seven.bin")
    aws.run("s3", "cp", f"s3://{b}/dir/seven.bin", dst)
    same_bytes(_read(dst), data, "downloaded file")
    out = aws.run("s3", "ls", f"s3://{b}/").stdout
    check("PRE dir/" in out and "top.txt" in out, f"`s3 ls s3://{b}/`: {out!r}")
    out = aws.run("s3", "ls", f"s3://{b}/dir/").stdout
    check("seven.bin" in out and "PRE sub/" in out, f"`s3 ls` of a prefix: {out!r}")
    check(str(len(data)) in out, f"`s3 ls` does not show the size {len(data)}: {out!r}")
    out = aws.run("s3", "ls", "--recursive", f"s3://{b}").stdout
    for k in ("dir/seven.bin", "dir/sub/small.txt", "top.txt"):
        check(k in out, f"`s3 ls --recursive` misses {k}: {out!r}")
    p = aws.run("s3", "rb", f"s3://{b}", check_rc=False)
    check(p.returncode != 0 and "BucketNotEmpty" in p.stderr,
          f"`s3 rb` of a non-empty bucket: rc={p.returncode} {p.stderr[-300:]!r}")
    aws.run("s3", "rm", f"s3://{b}/top.txt")
    out = aws.run("s3", "ls", f"s3://{b}/").stdout
    check("top.txt" not in out, "`s3 rm` did not remove top.txt")
    aws.run("s3", "rm", "--recursive", f"s3://{b}/dir/")
    aws.run("s3", "rb", f"s3://{b}")
    out = aws.run("s3", "ls").stdout
    check(b not in out, "`s3 rb` left the bucket")


@parametrize(*VERSIONS)
@timeout(300)
def test_s3_sync_roundtrip(ctx, v):
    aws = ctx.aws(v)
    b = ctx.name(f"sync{v}")
    aws.run("s3", "mb", f"s3://{b}")
    files = {"a.txt": b"a", "sub/b.bin": rand_bytes(100_000), "sub/deep/c d.txt": b"spaces",
             "ünï/ç.txt": b"unicode"}
    past = time.time() - 60  # older than any Last-Modified, so a 2nd sync skips them
    for name, data in files.items():
        _write(ctx.path("src", name), data)
        os.utime(ctx.path("src", name), (past, past))
    aws.run("s3", "sync", ctx.path("src"), f"s3://{b}/backup/")
    aws.run("s3", "sync", f"s3://{b}/backup/", ctx.path("dst"))
    for name, data in files.items():
        same_bytes(_read(ctx.path("dst", name)), data, f"synced {name}")
    # A second sync uploads nothing: sizes and times match.
    out = aws.run("s3", "sync", ctx.path("src"), f"s3://{b}/backup/").stdout
    eq(out.strip(), "", "second sync should transfer nothing")
    aws.run("s3", "rb", "--force", f"s3://{b}")


@parametrize(*VERSIONS)
def test_s3api_put_get_head(ctx, v):
    aws = ctx.aws(v)
    s3 = ctx.s3()
    b = ctx.bucket(f"api{v}")
    data = rand_bytes(1 * MiB + 7)
    src = ctx.path("body.bin")
    _write(src, data)
    out = aws.run("s3api", "put-object", "--bucket", b, "--key", "k/obj.bin", "--body", src,
                  "--content-type", "application/dicom", "--metadata",
                  f"sha256={hashlib.sha256(data).hexdigest()}").stdout
    eq(json.loads(out)["ETag"], f'"{md5_hex(data)}"', "put-object ETag")
    out = json.loads(aws.run("s3api", "head-object", "--bucket", b, "--key", "k/obj.bin").stdout)
    eq(out["ContentLength"], len(data), "head-object ContentLength")
    eq(out["ContentType"], "application/dicom", "head-object ContentType")
    eq(out["Metadata"], {"sha256": hashlib.sha256(data).hexdigest()}, "head-object Metadata")
    dst = ctx.path("out.bin")
    out = json.loads(aws.run("s3api", "get-object", "--bucket", b, "--key", "k/obj.bin",
                             dst).stdout)
    eq(out["ContentLength"], len(data), "get-object ContentLength")
    same_bytes(_read(dst), data, "get-object file")
    out = json.loads(aws.run("s3api", "get-object", "--bucket", b, "--key", "k/obj.bin",
                             "--range", "bytes=10-19", dst).stdout)
    eq(out.get("ContentRange"), f"bytes 10-19/{len(data)}", "get-object --range")
    same_bytes(_read(dst), data[10:20], "ranged file")
    out = json.loads(aws.run("s3api", "list-objects-v2", "--bucket", b).stdout)
    eq([o["Key"] for o in out["Contents"]], ["k/obj.bin"], "list-objects-v2")
    p = aws.run("s3api", "head-object", "--bucket", b, "--key", "missing", check_rc=False)
    check(p.returncode != 0 and "404" in p.stderr, f"head-object missing: {p.stderr[-300:]!r}")
    aws.run("s3api", "delete-object", "--bucket", b, "--key", "k/obj.bin")
    check(s3.list_objects_v2(Bucket=b)["KeyCount"] == 0, "delete-object left the key")


@parametrize(*VERSIONS)
def test_s3_presign(ctx, v):
    aws = ctx.aws(v)
    s3 = ctx.s3()
    b = ctx.bucket(f"pre{v}")
    data = rand_bytes(123_456)
    s3.put_object(Bucket=b, Key="share/report 1.pdf", Body=data)
    url = aws.run("s3", "presign", f"s3://{b}/share/report 1.pdf", "--expires-in", "300"
                  ).stdout.strip()
    if v == "v1":
        check("Signature=" in url, f"v1 presign URL {url!r}")
    else:
        check("X-Amz-Signature=" in url, f"v2 presign URL (SigV4 expected): {url!r}")
    with urllib.request.urlopen(url, timeout=30) as r:
        same_bytes(r.read(), data, f"aws {v} presigned GET")


@parametrize(*VERSIONS)
def test_s3_copy_move_and_options(ctx, v):
    aws = ctx.aws(v)
    s3 = ctx.s3()
    b, b2 = ctx.bucket(f"cpmv{v}"), ctx.bucket(f"cpmv{v}")
    src = ctx.path("doc.txt")
    _write(src, b"a document\n")
    aws.run("s3", "cp", src, f"s3://{b}/in/doc.txt", "--content-type", "text/x-doc",
            "--metadata", "origin=cli,sha=abc")
    h = s3.head_object(Bucket=b, Key="in/doc.txt")
    eq(h["ContentType"], "text/x-doc", "--content-type")
    eq(h["Metadata"], {"origin": "cli", "sha": "abc"}, "--metadata")
    aws.run("s3", "cp", f"s3://{b}/in/doc.txt", f"s3://{b2}/copied.txt")  # CopyObject
    eq(s3.get_object(Bucket=b2, Key="copied.txt")["Body"].read(), b"a document\n", "s3 cp s3->s3")
    aws.run("s3", "mv", f"s3://{b}/in/doc.txt", f"s3://{b}/moved/doc.txt")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", [])]
    eq(keys, ["moved/doc.txt"], "keys after s3 mv")
    out = aws.run("s3", "ls", f"s3://{b}/nothing-here/", check_rc=False)
    eq(out.stdout.strip(), "", "s3 ls of an empty prefix")
