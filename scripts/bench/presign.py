"""Presigns one URL for a server the benchmarks did not start (lib.sh bench_external):
path style, SigV4, a day long. Env: BENCH_P_URL, BENCH_P_AK, BENCH_P_SK, BENCH_P_METHOD
(GET, PUT, HEAD), BENCH_P_PATH (bucket/key)."""
import os

import boto3
from botocore.config import Config

s3 = boto3.client("s3", endpoint_url=os.environ["BENCH_P_URL"], region_name="us-east-1",
                  aws_access_key_id=os.environ["BENCH_P_AK"],
                  aws_secret_access_key=os.environ["BENCH_P_SK"],
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
bucket, key = os.environ["BENCH_P_PATH"].split("/", 1)
op = {"GET": "get_object", "PUT": "put_object", "HEAD": "head_object"}[os.environ["BENCH_P_METHOD"]]
print(s3.generate_presigned_url(op, Params={"Bucket": bucket, "Key": key}, ExpiresIn=86400))
