"""Backup tools against Strata, as their users run them: restic (init, backup,
snapshots, check --read-data, restore; a repository in an object-locked bucket) and rclone (copy, sync, check, copy back,
with a file above its multipart cutoff). A tool that is not installed is
skipped with the reason."""

import filecmp
import json
import os
import shutil
import subprocess

from botocore.exceptions import ClientError

from harness import (REGION, Skip, TestFailure, check, eq, posix_home_only, rand_bytes,
                     timeout)

MiB = 1024 * 1024
TOOL_TIMEOUT = 120


def _tool(name):
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}")
                                  else None)
    if not path:
        raise Skip(f"{name} is not installed (apt-get install {name})")
    return path


def _run(cmd, env, what, timeout_s=TOOL_TIMEOUT, cwd=None):
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s,
                           cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        out = (e.stderr or b"")
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        raise TestFailure(f"{what}: no answer within {timeout_s} s: {out.strip()[-800:]}")
    if p.returncode != 0:
        raise TestFailure(f"{what} exited {p.returncode}: "
                          f"{(p.stderr.strip() or p.stdout.strip())[-1200:]}")
    return p


def _tree(root):
    """{relative path: size} of the regular files under root."""
    out = {}
    for d, _dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = os.path.getsize(p)
    return out


def _same_trees(a, b, what):
    ta, tb = _tree(a), _tree(b)
    eq(sorted(tb), sorted(ta), f"{what}: file names")
    for rel in ta:
        if not filecmp.cmp(os.path.join(a, rel), os.path.join(b, rel), shallow=False):
            raise TestFailure(f"{what}: {rel} differs ({ta[rel]} vs {tb[rel]} bytes)")


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _source_tree(root, big_name, big_size):
    _write(os.path.join(root, "README.txt"), b"a few small files and a large one\n")
    _write(os.path.join(root, "etc", "app.conf"), b"key = value\n" * 50)
    _write(os.path.join(root, "etc", "empty"), b"")
    _write(os.path.join(root, "data", "small.bin"), rand_bytes(70_000))
    _write(os.path.join(root, "data", "with space & ünïcode.txt"), "grüße\n".encode())
    _write(os.path.join(root, "data", big_name), rand_bytes(big_size))


def _base_env(ctx):
    """The host environment without AWS settings, HOME and caches in the work dir."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "RCLONE_", "RESTIC_"))}
    home = ctx.path("home")
    os.makedirs(home, exist_ok=True)
    env.update(HOME=home, XDG_CACHE_HOME=os.path.join(home, ".cache"),
               XDG_CONFIG_HOME=os.path.join(home, ".config"))
    return env


def _multipart_keys(s3, bucket, prefix=""):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [(o["Key"], o["Size"]) for o in page.get("Contents", []) if "-" in o["ETag"]]
    return keys


@timeout(300)
def test_restic(ctx):
    restic = _tool("restic")
    b = ctx.bucket("restic")
    src, dst = ctx.path("src"), ctx.path("restored")
    _source_tree(src, "large.bin", 30 * MiB)
    env = _base_env(ctx)
    env.update(AWS_ACCESS_KEY_ID=ctx.server.access, AWS_SECRET_ACCESS_KEY=ctx.server.secret,
               AWS_DEFAULT_REGION=REGION, RESTIC_PASSWORD="integration-test-password",
               RESTIC_REPOSITORY=f"s3:{ctx.server.endpoint}/{b}")
    # restic's S3 client (minio-go) is told to use parts of 200 MiB and packs are
    # at most 128 MiB, so restic itself never sends a multipart upload: this test
    # covers large single PUTs with Content-MD5 and ranged reads; rclone below
    # covers multipart.
    base = [restic, "--no-cache"]
    _run(base + ["init"], env, "restic init")
    _run(base + ["backup", "--host", "it", "."], env, "restic backup", cwd=src)
    p = _run(base + ["snapshots", "--json"], env, "restic snapshots")
    snaps = json.loads(p.stdout or "[]")
    eq(len(snaps), 1, "restic snapshots")
    eq(snaps[0].get("hostname"), "it", "snapshot host")
    _run(base + ["check", "--read-data"], env, "restic check --read-data")
    _run(base + ["restore", "latest", "--target", dst], env, "restic restore")
    _same_trees(src, dst, "restic restore")
    # A second backup after a change, then check again: a repository that works.
    _write(os.path.join(src, "data", "new.bin"), rand_bytes(MiB))
    _run(base + ["backup", "--host", "it", "."], env, "restic backup (2nd)", cwd=src)
    _run(base + ["check"], env, "restic check (after the 2nd backup)")
    p = _run(base + ["snapshots", "--json"], env, "restic snapshots (2nd)")
    eq(len(json.loads(p.stdout or "[]")), 2, "snapshots after a second backup")



@posix_home_only("Object Lock is not built on the s3 home (it answers 501)")
@timeout(300)
def test_restic_object_locked_repository(ctx):
    """restic 0.14 (Debian's) has no Object Lock option of its own: it runs on a bucket
    whose default retention locks every pack it writes (its deletes then only add
    markers). A "ransomware" delete of every key leaves the locked versions; removing the
    markers brings the repository back and it restores."""
    restic = _tool("restic")
    s3 = ctx.s3()
    b = ctx.name("restic-lock")
    s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    src, dst = ctx.path("src"), ctx.path("restored")
    _source_tree(src, "large.bin", 3 * MiB)
    env = _base_env(ctx)
    env.update(AWS_ACCESS_KEY_ID=ctx.server.access, AWS_SECRET_ACCESS_KEY=ctx.server.secret,
               AWS_DEFAULT_REGION=REGION, RESTIC_PASSWORD="integration-test-password",
               RESTIC_REPOSITORY=f"s3:{ctx.server.endpoint}/{b}")
    base = [restic, "--no-cache"]
    _run(base + ["init"], env, "restic init (locked bucket)")
    _run(base + ["backup", "--host", "it", "."], env, "restic backup (locked bucket)", cwd=src)
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b)
            for o in page.get("Contents", [])]
    check(any(k.startswith("data/") for k in keys), f"no packs written: {keys}")
    for k in keys:
        check(s3.head_object(Bucket=b, Key=k).get("ObjectLockMode") == "COMPLIANCE",
              f"{k} is not locked")
    # The attack: every key deleted, then every version it can find.
    for k in keys:
        s3.delete_object(Bucket=b, Key=k)
    vs = [v for page in s3.get_paginator("list_object_versions").paginate(Bucket=b)
          for v in page.get("Versions", [])]
    # (restic's own deleted lock file is there too, as a noncurrent version)
    check(set(keys) <= {v["Key"] for v in vs}, "a key lost its version")
    refused = 0
    for v in vs:
        try:
            s3.delete_object(Bucket=b, Key=v["Key"], VersionId=v["VersionId"],
                             BypassGovernanceRetention=True)
        except ClientError as e:
            refused += e.response["Error"]["Code"] == "AccessDenied"
    eq(refused, len(vs), "locked versions refused to go")
    p = subprocess.run(base + ["snapshots"], env=env, capture_output=True, text=True,
                       timeout=TOOL_TIMEOUT, stdin=subprocess.DEVNULL)
    check(p.returncode != 0, "restic still sees its repository behind the markers")
    # The recovery: the attack's markers go (they hold no lock; restic's own deleted lock
    # files stay deleted), and the repository is whole again.
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=b):
        for m in page.get("DeleteMarkers", []):
            if m["Key"] in keys and m["IsLatest"]:
                s3.delete_object(Bucket=b, Key=m["Key"], VersionId=m["VersionId"])
    _run(base + ["check", "--read-data"], env, "restic check after the recovery")
    _run(base + ["restore", "latest", "--target", dst], env, "restic restore after recovery")
    _same_trees(src, dst, "restic restore from the locked repository")

def _rclone_env(ctx):
    env = _base_env(ctx)
    env.update(RCLONE_CONFIG_STRATA_TYPE="s3", RCLONE_CONFIG_STRATA_PROVIDER="Other",
               RCLONE_CONFIG_STRATA_ENDPOINT=ctx.server.endpoint,
               RCLONE_CONFIG_STRATA_ACCESS_KEY_ID=ctx.server.access,
               RCLONE_CONFIG_STRATA_SECRET_ACCESS_KEY=ctx.server.secret,
               RCLONE_CONFIG_STRATA_REGION=REGION)
    return env


@timeout(300)
def test_rclone(ctx):
    rclone = _tool("rclone")
    b = ctx.bucket("rclone")
    src, back = ctx.path("src"), ctx.path("back")
    _source_tree(src, "twenty.bin", 20 * MiB)
    env = _rclone_env(ctx)
    conf = ctx.path("rclone.conf")
    open(conf, "w").close()
    remote = f"strata:{b}/backup"
    base = [rclone, "--config", conf, "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M",
            "--retries", "1", "--low-level-retries", "2"]
    _run(base + ["copy", src, remote], env, "rclone copy up")
    s3 = ctx.s3()
    mp = _multipart_keys(s3, b, "backup/")
    eq([k for k, _s in mp if k.endswith("twenty.bin")], ["backup/data/twenty.bin"],
       "the 20 MiB file went up as a multipart upload")
    h = s3.head_object(Bucket=b, Key="backup/data/twenty.bin")
    check(h["ETag"].endswith('-4"'), f"ETag {h['ETag']} of 20 MiB in 5 MiB parts")
    _run(base + ["check", src, remote], env, "rclone check")
    # Change the source: delete, add, modify (the modified one is large again).
    os.unlink(os.path.join(src, "etc", "app.conf"))
    _write(os.path.join(src, "added", "new.txt"), b"added after the first copy\n")
    _write(os.path.join(src, "data", "twenty.bin"), rand_bytes(20 * MiB + 3))
    _run(base + ["sync", src, remote], env, "rclone sync")
    _run(base + ["check", src, remote], env, "rclone check after sync")
    keys = sorted(o["Key"][len("backup/"):] for page in
                  s3.get_paginator("list_objects_v2").paginate(Bucket=b, Prefix="backup/")
                  for o in page.get("Contents", []))
    eq(keys, sorted(_tree(src)), "keys after rclone sync")
    _run(base + ["copy", remote, back], env, "rclone copy down")
    _same_trees(src, back, "rclone copy down")
    eq(s3.list_multipart_uploads(Bucket=b).get("Uploads", []), [],
       "uploads left in progress by rclone")
