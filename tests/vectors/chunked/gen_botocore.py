#!/usr/bin/env python3
"""Regenerates the STREAMING-UNSIGNED-PAYLOAD-TRAILER bodies that botocore's
AwsChunkedWrapper sends (the framing boto3 and aws-cli use by default for
uploads with a checksum), for tests/unit/test_chunked.c:

    cd tests/vectors/chunked && python3 gen_botocore.py

NAME.body is the encoded body, NAME.payload the decoded payload; the trailer
is x-amz-checksum-crc32 (or none).
"""
import io

from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum


def write(name, payload, chunk_size, checksum=True):
    kwargs = {"chunk_size": chunk_size}
    if checksum:
        kwargs.update(checksum_cls=Crc32Checksum, checksum_name="x-amz-checksum-crc32")
    body = AwsChunkedWrapper(io.BytesIO(payload), **kwargs).read()
    with open(name + ".body", "wb") as f:
        f.write(body)
    with open(name + ".payload", "wb") as f:
        f.write(payload)


write("botocore-crc32", b"".join(bytes([i % 251]) for i in range(3000)), 1024)
write("botocore-empty-crc32", b"", 1024)
write("botocore-no-checksum", b"hello, world\r\n0\r\n\r\n", 7, checksum=False)
