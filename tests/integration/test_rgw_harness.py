"""The Ceph RGW test cluster itself (rgw.py over tests/remote/rgw.sh), before the
remote-backend tests rely on it: a real RGW answers boto3 at its default settings,
and radosgw killed with SIGKILL comes back with its data intact. Skipped when RGW
cannot start on this machine, after rgw.py's banner on stderr says why."""

from botocore.exceptions import ClientError, EndpointConnectionError

import rgw
from harness import Skip, check, eq, md5_hex, rand_bytes, s3_client, same_bytes, timeout

SERVER = False  # the tests talk to RGW, not to strata
USES_RGW = True  # starts Ceph RGW itself: run.py -j keeps such modules in one runner
POSIX_HOME_ONLY = "it tests the RGW harness itself"

MiB = 1024 * 1024


def _rgw(ctx):
    try:
        return rgw.start(ctx.workdir)
    except rgw.RgwUnavailable as e:
        raise Skip(f"Ceph RGW unavailable here: {e}") from None


def _client(r, **config):
    return s3_client(r.endpoint, r.access_key, r.secret_key, region=r.region,
                     s3={"addressing_style": "path"}, **config)


def _keys(c, bucket, **kw):
    return [o["Key"] for o in c.list_objects_v2(Bucket=bucket, **kw).get("Contents", [])]


@timeout(600)  # may start the cluster: ~6 s on 2 cores, rgw.py gives up after 480 s
def test_round_trip(ctx):
    r = _rgw(ctx)
    c = _client(r)
    b = ctx.name("rgw")
    c.create_bucket(Bucket=b)
    check(b in [x["Name"] for x in c.list_buckets()["Buckets"]], f"{b} not in ListBuckets")
    small = rand_bytes(1000)
    big = rand_bytes(3 * MiB + 17)
    put = c.put_object(Bucket=b, Key="dicom/p1/s1/a.dcm", Body=small,
                       Metadata={"sha256": "x" * 64})
    eq(put["ETag"].strip('"'), md5_hex(small), "ETag of a single PUT")
    c.put_object(Bucket=b, Key="dicom/p1/s2/b.dcm", Body=big)
    c.put_object(Bucket=b, Key="top.txt", Body=b"top")

    got = c.get_object(Bucket=b, Key="dicom/p1/s1/a.dcm")
    same_bytes(got["Body"].read(), small, "GET of the small object")
    eq(got["Metadata"].get("sha256"), "x" * 64, "user metadata")
    same_bytes(c.get_object(Bucket=b, Key="dicom/p1/s2/b.dcm")["Body"].read(), big,
               "GET of the 3 MiB object")
    rng = c.get_object(Bucket=b, Key="dicom/p1/s2/b.dcm", Range="bytes=1048570-1048585")
    same_bytes(rng["Body"].read(), big[1048570:1048586], "ranged GET")

    eq(_keys(c, b), ["dicom/p1/s1/a.dcm", "dicom/p1/s2/b.dcm", "top.txt"], "ListObjectsV2")
    lst = c.list_objects_v2(Bucket=b, Prefix="dicom/p1/", Delimiter="/")
    eq([p["Prefix"] for p in lst.get("CommonPrefixes", [])], ["dicom/p1/s1/", "dicom/p1/s2/"],
       "CommonPrefixes")

    # Multipart, as the s3 backend will send large objects: 5 MiB + a short tail.
    parts_data = [rand_bytes(5 * MiB), rand_bytes(1234)]
    up = c.create_multipart_upload(Bucket=b, Key="mp.bin")
    parts = []
    for n, data in enumerate(parts_data, 1):
        p = c.upload_part(Bucket=b, Key="mp.bin", UploadId=up["UploadId"], PartNumber=n,
                          Body=data)
        parts.append({"PartNumber": n, "ETag": p["ETag"]})
    c.complete_multipart_upload(Bucket=b, Key="mp.bin", UploadId=up["UploadId"],
                                MultipartUpload={"Parts": parts})
    same_bytes(c.get_object(Bucket=b, Key="mp.bin")["Body"].read(), b"".join(parts_data),
               "GET of the multipart object")

    c.delete_object(Bucket=b, Key="top.txt")
    try:
        c.head_object(Bucket=b, Key="top.txt")
        raise AssertionError("HEAD of a deleted object succeeded")
    except ClientError as e:
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 404, "HEAD after DELETE")


@timeout(600)
def test_kill_and_restart_keeps_data(ctx):
    r = _rgw(ctx)
    c = _client(r)
    b = ctx.name("rgw")
    c.create_bucket(Bucket=b)
    body = rand_bytes(2 * MiB + 3)
    c.put_object(Bucket=b, Key="acked-before-kill", Body=body)

    r.kill_rgw()
    down = _client(r, retries={"max_attempts": 1}, connect_timeout=3, read_timeout=10)
    try:
        down.head_bucket(Bucket=b)
        raise AssertionError("radosgw still answers after kill_rgw()")
    except EndpointConnectionError:
        pass

    r.start_rgw()
    check(r.answers(), "GET / does not answer after start_rgw()")
    c = _client(r)  # fresh connections: the old pool's sockets died with radosgw
    same_bytes(c.get_object(Bucket=b, Key="acked-before-kill")["Body"].read(), body,
               "object written before SIGKILL, read after the restart")
    c.put_object(Bucket=b, Key="after-restart", Body=b"more")
    eq(_keys(c, b), ["acked-before-kill", "after-restart"], "listing after the restart")

    r.restart_rgw()  # the SIGTERM path too
    same_bytes(_client(r).get_object(Bucket=b, Key="after-restart")["Body"].read(), b"more",
               "object after restart_rgw()")
