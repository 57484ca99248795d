"""Client-side helpers of scripts/bench/run.sh that need SigV4 (botocore signs; the timed
requests themselves are made by wrk and curl).

  s3util.py fill URL AK SK BUCKET PREFIX COUNT THREADS
      PUTs COUNT empty objects PREFIX%07d (presigned, keep-alive connections, THREADS
      threads); fails on any reply but 200. Prints the objects written per second.
  s3util.py list-urls URL AK SK BUCKET PREFIX COUNT MAX_KEYS N
      prints N presigned ListObjectsV2 URLs (MaxKeys=MAX_KEYS, Prefix=PREFIX), each starting
      after a random one of the COUNT keys that leaves a full page after it.
"""
import http.client
import random
import sys
import threading
import time
import urllib.parse

import boto3
from botocore.config import Config


def client(url, ak, sk):
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=ak, aws_secret_access_key=sk,
                        config=Config(signature_version="s3v4",
                                      s3={"addressing_style": "path"}))


def fill(url, ak, sk, bucket, prefix, count, threads):
    s3 = client(url, ak, sk)
    host = urllib.parse.urlsplit(url)
    errors = []
    lock = threading.Lock()

    def worker(first):
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        for i in range(first, count, threads):
            signed = s3.generate_presigned_url(
                "put_object", Params={"Bucket": bucket, "Key": "%s%07d" % (prefix, i)},
                ExpiresIn=86400)
            parts = urllib.parse.urlsplit(signed)
            conn.request("PUT", parts.path + "?" + parts.query, body=b"",
                         headers={"Content-Length": "0"})
            reply = conn.getresponse()
            reply.read()
            if reply.status != 200:
                with lock:
                    errors.append("PUT %d: HTTP %d" % (i, reply.status))
                return
        conn.close()

    start = time.monotonic()
    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        sys.exit("fill: " + errors[0])
    print("%.0f" % (count / (time.monotonic() - start)))


def list_urls(url, ak, sk, bucket, prefix, count, max_keys, n):
    s3 = client(url, ak, sk)
    rng = random.Random(11)  # the same pages for every server
    for _ in range(n):
        after = "%s%07d" % (prefix, rng.randrange(0, max(1, count - max_keys)))
        print(s3.generate_presigned_url(
            "list_objects_v2", ExpiresIn=86400,
            Params={"Bucket": bucket, "Prefix": prefix, "MaxKeys": max_keys,
                    "StartAfter": after}))


def main(argv):
    if len(argv) == 9 and argv[1] == "fill":
        fill(*argv[2:7], int(argv[7]), int(argv[8]))
    elif len(argv) == 10 and argv[1] == "list-urls":
        list_urls(*argv[2:7], int(argv[7]), int(argv[8]), int(argv[9]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
