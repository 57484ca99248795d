"""Bad input and crashes, with raw sockets: truncated bodies, malformed and
hostile XML, oversized headers, kill -9 during an upload and after an ack."""

import concurrent.futures
import hashlib
import os
import socket
import time

from harness import (Skip, b64, check, eq, files_under, md5_hex, object_bytes, rand_bytes,
                     raw_request, same_bytes, sign_v4, timeout, uri_path, wait_until)
from harness import open_signed_put, posix_home_only

MiB = 1024 * 1024


def _tmp_files(server):
    d = os.path.join(server.data_dir, "tmp")
    return files_under(d) if os.path.isdir(d) else []


def _big_files(server, limit):
    out = []
    for f in files_under(server.data_dir):
        try:
            if os.path.getsize(f) >= limit:
                out.append(f)
        except OSError:
            pass
    return out


def _read_reply(sock, timeout_s=15):
    sock.settimeout(timeout_s)
    data = b""
    try:
        while True:
            while b"\r\n\r\n" not in data:
                c = sock.recv(65536)
                if not c:
                    break
                data += c
            head, _, rest = data.partition(b"\r\n\r\n")
            if head.startswith(b"HTTP/1.1 1") and b"\r\n\r\n" in data:
                data = rest  # an interim 100 Continue: the final reply follows
                continue
            break
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(rest) < length:
            c = sock.recv(65536)
            if not c:
                break
            rest += c
        return head.decode("latin-1"), rest
    except (socket.timeout, ConnectionResetError):
        return data.decode("latin-1"), b""


def test_client_disconnects_mid_body(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("trunc")
    s3.put_object(Bucket=b, Key="old", Body=b"previous version")
    for key in ("new", "old"):
        sock = open_signed_put(ctx.server, b, key, 4 * MiB)
        sock.sendall(rand_bytes(1 * MiB + 17))
        time.sleep(0.3)
        sock.close()
    left = wait_until(lambda: not _tmp_files(ctx.server), timeout=10)
    check(left, f"temporary files left after the client went away: {_tmp_files(ctx.server)}")
    eq(object_bytes(s3, b, "new"), None, "a truncated upload created an object")
    eq(object_bytes(s3, b, "old"), b"previous version", "a truncated upload replaced an object")
    eq(s3.list_objects_v2(Bucket=b)["KeyCount"], 1, "keys after truncated uploads")


def test_half_close_short_body(ctx):
    # The client sends fewer bytes than Content-Length and then half-closes: the
    # server must answer an error (IncompleteBody / RequestTimeout) or just close.
    s3 = ctx.s3()
    b = ctx.bucket("short")
    sock = open_signed_put(ctx.server, b, "k", 1000)
    sock.sendall(b"x" * 10)
    sock.shutdown(socket.SHUT_WR)
    head, _body = _read_reply(sock, 15)
    sock.close()
    check(not head.startswith("HTTP/1.1 200"), f"a short body was accepted: {head[:200]!r}")
    eq(object_bytes(s3, b, "k"), None, "object from a short body")


def test_truncated_aws_chunked(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("chtrunc")
    data = rand_bytes(200_000)
    body = b"".join(f"{len(data[i:i + 65536]):x}\r\n".encode() + data[i:i + 65536] + b"\r\n"
                    for i in range(0, len(data), 65536))
    # the final chunk and the trailer never come
    extra = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
             "x-amz-trailer": "x-amz-checksum-crc32"}
    path = uri_path(f"/{b}/k")
    h = {"Host": f"127.0.0.1:{ctx.server.port}", "Content-Length": str(len(body) + 60)}
    h.update(extra)
    s = sign_v4("PUT", path, [], h, "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                ctx.server.access, ctx.server.secret)
    sock = socket.create_connection(("127.0.0.1", ctx.server.port), timeout=30)
    sock.sendall(f"PUT {path} HTTP/1.1\r\n".encode() +
                 "".join(f"{k}: {v}\r\n" for k, v in s.headers.items()).encode() + b"\r\n")
    sock.sendall(body)
    time.sleep(0.3)
    sock.close()
    check(wait_until(lambda: not _tmp_files(ctx.server), timeout=10),
          f"temporary files left: {_tmp_files(ctx.server)}")
    eq(object_bytes(s3, b, "k"), None, "object from a truncated aws-chunked body")


def test_bad_chunk_framing(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("frame")
    for body in (b"zz\r\nabc\r\n0\r\n\r\n", b"3\r\nabcdef\r\n0\r\n\r\n",
                 b"3\r\nabc0\r\n\r\n", b"fffffffffffffffffff\r\nabc\r\n0\r\n\r\n"):
        r = raw_request(ctx.server, "PUT", f"/{b}/k", body=body,
                        payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                        headers={"Content-Encoding": "aws-chunked",
                                 "x-amz-decoded-content-length": "3"})
        check(400 <= r.status < 500, f"bad aws-chunked framing {body[:20]!r}: {r}")
        eq(object_bytes(s3, b, "k"), None, f"object stored from bad framing {body[:20]!r}")


def _delete_post(server, bucket, body):
    return raw_request(server, "POST", f"/{bucket}", query=[("delete", None)], body=body,
                       headers={"Content-MD5": b64(hashlib.md5(body).digest()),
                                "Content-Type": "application/xml"})


def test_malformed_delete_xml(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("mxml")
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    for body in (b"<Delete><Object><Key>k</Key></Object>",  # unterminated
                 b"not xml at all",
                 b"<Delete><Object><Key>k</Key></Object></Delete><extra/>",
                 b"<Wrong><Object><Key>k</Key></Object></Wrong>",
                 b"<Delete></Delete>",  # no Object
                 b""):
        r = _delete_post(ctx.server, b, body)
        check(r.status == 400 and r.error().get("Code") in ("MalformedXML",
                                                            "MissingRequestBodyError"),
              f"DeleteObjects with {body[:40]!r}: {r}")
        if body:
            eq(r.error().get("Code"), "MalformedXML", f"code for {body[:40]!r}")
    keys = "".join(f"<Object><Key>k{i}</Key></Object>" for i in range(1001))
    r = _delete_post(ctx.server, b, f"<Delete>{keys}</Delete>".encode())
    eq((r.status, r.error().get("Code")), (400, "MalformedXML"), "DeleteObjects with 1001 keys")
    eq(object_bytes(s3, b, "k"), b"x", "object after malformed DeleteObjects")


def test_doctype_entity_xml(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("xxe")
    s3.put_object(Bucket=b, Key="victim", Body=b"x")
    s3.put_object(Bucket=b, Key="etc", Body=b"x")
    bodies = [
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "victim">]>'
        b"<Delete><Object><Key>&e;</Key></Object></Delete>",
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        b"<Delete><Object><Key>&x;</Key></Object></Delete>",
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
        b'&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        b"<Delete><Object><Key>&d;</Key></Object></Delete>",
        b"<!DOCTYPE Delete><Delete><Object><Key>etc</Key></Object></Delete>",
    ]
    for body in bodies:
        r = _delete_post(ctx.server, b, body)
        eq((r.status, r.error().get("Code")), (400, "MalformedXML"), f"XML {body[22:60]!r}")
    eq(sorted(o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]), ["etc", "victim"],
       "keys after hostile XML")
    r = raw_request(ctx.server, "PUT", f"/{ctx.name('xxe')}", body=bodies[0].replace(
        b"Delete", b"CreateBucketConfiguration"))
    eq(r.status, 400, f"CreateBucket with a DOCTYPE: {r}")


def test_oversized_metadata_and_keys_raw(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("big")
    r = raw_request(ctx.server, "PUT", f"/{b}/m", body=b"x",
                    headers={"x-amz-meta-big": "v" * 3000})
    eq((r.status, r.error().get("Code")), (400, "MetadataTooLarge"), "3000-byte metadata")
    many = {f"x-amz-meta-k{i:03d}": "v" * 20 for i in range(100)}
    r = raw_request(ctx.server, "PUT", f"/{b}/m", body=b"x", headers=many)
    eq((r.status, r.error().get("Code")), (400, "MetadataTooLarge"), "100 metadata headers")
    r = raw_request(ctx.server, "PUT", f"/{b}/" + "k" * 1025, body=b"x")
    eq((r.status, r.error().get("Code")), (400, "KeyTooLongError"), "1025-byte key")
    r = raw_request(ctx.server, "PUT", f"/{b}/" + "k" * 1024, body=b"x")
    eq(r.status, 200, "1024-byte key")
    eq(s3.list_objects_v2(Bucket=b)["KeyCount"], 1, "keys stored")


def test_oversized_header_section(ctx):
    b = ctx.bucket("hdr")
    sock = socket.create_connection(("127.0.0.1", ctx.server.port), timeout=15)
    try:
        req = (f"GET /{b}/k HTTP/1.1\r\nHost: 127.0.0.1:{ctx.server.port}\r\n"
               f"X-Junk: {'j' * 200_000}\r\n\r\n").encode()
        try:
            sock.sendall(req)
        except (BrokenPipeError, ConnectionResetError):
            pass
        head, _ = _read_reply(sock)
    finally:
        sock.close()
    if head:
        status = head.split(" ", 2)[1] if " " in head else "?"
        check(status in ("400", "413", "431"), f"status for a 200 KB header: {head[:100]!r}")
    # Either way, the server still serves.
    eq(ctx.s3().head_bucket(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"], 200, "afterwards")


def test_entity_too_large(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("huge")
    sock = open_signed_put(ctx.server, b, "k", 5 * 1024 ** 3 + 1, extra={"Expect": "100-continue"})
    try:
        head, body = _read_reply(sock, 15)
    finally:
        sock.close()
    check(head.startswith("HTTP/1.1 400"), f"5 GiB + 1 PUT: {head[:200]!r}")
    check(b"EntityTooLarge" in body, f"5 GiB + 1 PUT body: {body[:300]!r}")
    eq(object_bytes(s3, b, "k"), None, "object")


def test_missing_content_length(ctx):
    b = ctx.bucket("nolen")
    path = uri_path(f"/{b}/k")
    h = {"Host": f"127.0.0.1:{ctx.server.port}"}
    s = sign_v4("PUT", path, [], h, "UNSIGNED-PAYLOAD", ctx.server.access, ctx.server.secret)
    sock = socket.create_connection(("127.0.0.1", ctx.server.port), timeout=15)
    try:
        sock.sendall(f"PUT {path} HTTP/1.1\r\n".encode() +
                     "".join(f"{k}: {v}\r\n" for k, v in s.headers.items()).encode() + b"\r\n")
        head, body = _read_reply(sock)
    finally:
        sock.close()
    # HTTP/1.1 without a length means an empty body; S3 asks for the length (411).
    check(head.startswith("HTTP/1.1 411") or head.startswith("HTTP/1.1 200"),
          f"PUT without Content-Length: {head[:200]!r} {body[:200]!r}")


def test_error_document_shape(ctx):
    name = ctx.name("none")
    r = raw_request(ctx.server, "GET", f"/{name}/some/key")
    eq(r.status, 404, "status")
    check((r.header("content-type") or "").startswith("application/xml"),
          f"Content-Type of an error: {r.header('content-type')!r}")
    err = r.error()
    eq(err.get("Code"), "NoSuchBucket", "Code")
    check(err.get("Message"), "Message")
    check(err.get("RequestId"), "RequestId")
    eq(err.get("RequestId"), r.header("x-amz-request-id"), "RequestId matches the header")
    check(err.get("Resource") in (f"/{name}/some/key", f"/{name}"),
          f"Resource {err.get('Resource')!r}")
    eq(err.get("BucketName", name), name, "BucketName")
    check(r.body.lstrip().startswith(b"<?xml"), "XML declaration")


def test_garbage_requests(ctx):
    for junk in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"\x00\x01\x02\xff\r\n\r\n",
                 b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                 b"PUT /a/b HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                 b"PUT /a/b HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n"):
        sock = socket.create_connection(("127.0.0.1", ctx.server.port), timeout=10)
        try:
            sock.sendall(junk)
            head, _ = _read_reply(sock, 10)
        finally:
            sock.close()
        check(not head.startswith("HTTP/1.1 2"), f"{junk[:30]!r} answered {head[:80]!r}")
    b = ctx.bucket("junk")
    eq(ctx.s3().head_bucket(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"], 200,
       "server serving after junk")


@timeout(240)
def test_concurrent_writers_same_key(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("race")
    bodies = [bytes([i]) * (512 * 1024 + i) for i in range(8)]
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda d: s3.put_object(Bucket=b, Key="k", Body=d), bodies * 3))
    got = s3.get_object(Bucket=b, Key="k")
    data = got["Body"].read()
    check(data in bodies, f"object is a mix of concurrent writes ({len(data)} bytes)")
    eq(got["ETag"], f'"{md5_hex(data)}"', "ETag matches the winning body")
    check(wait_until(lambda: not _tmp_files(ctx.server), timeout=5),
          f"temporary files left: {_tmp_files(ctx.server)}")


def _stream_then_kill(srv, bucket, key, total=50 * MiB, before_kill=20 * MiB):
    """Streams `before_kill` bytes of a `total`-byte PUT slowly, checks the server
    is writing them to disk (not buffering), then SIGKILLs it."""
    sock = open_signed_put(srv, bucket, key, total)
    piece = rand_bytes(256 * 1024)
    sent = 0
    while sent < before_kill:
        sock.sendall(piece)
        sent += len(piece)
        time.sleep(0.005)
    growing = wait_until(lambda: _big_files(srv, 8 * MiB), timeout=5)
    srv.kill9()
    sock.close()
    return growing


@posix_home_only("it watches the data directory's temporaries")
@timeout(240)
def test_kill9_during_upload_new_key(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("k9", client=s3)
    growing = _stream_then_kill(srv, b, "big.bin")
    check(growing, "no file in the data dir grew past 8 MiB after 20 MiB were sent: "
          "is the body buffered in memory?")
    srv.start()
    s3 = ctx.client(srv)
    eq(object_bytes(s3, b, "big.bin"), None, "a partial upload is visible after kill -9")
    eq(s3.list_objects_v2(Bucket=b)["KeyCount"], 0, "keys after restart")
    eq(_tmp_files(srv), [], "temporary files after restart")
    eq(_big_files(srv, 8 * MiB), [], "partial data left in the data dir after restart")


@posix_home_only("it watches the data directory's temporaries")
@timeout(240)
def test_kill9_during_overwrite(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("k9o", client=s3)
    old = rand_bytes(3 * MiB)
    s3.put_object(Bucket=b, Key="obj", Body=old, Metadata={"v": "old"})
    growing = _stream_then_kill(srv, b, "obj")
    check(growing, "no file in the data dir grew past 8 MiB after 20 MiB were sent")
    srv.start()
    s3 = ctx.client(srv)
    g = s3.get_object(Bucket=b, Key="obj")
    same_bytes(g["Body"].read(), old, "old object after kill -9 mid-overwrite")
    eq(g["Metadata"], {"v": "old"}, "old metadata")
    eq(g["ETag"], f'"{md5_hex(old)}"', "old ETag")
    eq(_tmp_files(srv), [], "temporary files after restart")
    eq(_big_files(srv, 8 * MiB), [], "partial data left in the data dir after restart")
    # And the server takes new writes to that key afterwards.
    s3.put_object(Bucket=b, Key="obj", Body=b"new")
    eq(object_bytes(s3, b, "obj"), b"new", "write after restart")


@timeout(240)
def test_kill9_after_ack_is_durable(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("k9d", client=s3)
    data = rand_bytes(5 * MiB)
    s3.put_object(Bucket=b, Key="acked", Body=data)
    s3.put_object(Bucket=b, Key="deleted", Body=b"x")
    s3.delete_object(Bucket=b, Key="deleted")
    srv.kill9()
    srv.start()
    s3 = ctx.client(srv)
    same_bytes(s3.get_object(Bucket=b, Key="acked")["Body"].read(), data,
               "acknowledged object after kill -9")
    eq(object_bytes(s3, b, "deleted"), None, "acknowledged delete after kill -9")
    eq(_tmp_files(srv), [], "temporary files after restart")


@timeout(240)
def test_restart_keeps_everything(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("rs", client=s3)
    objs = {f"k/{i}": rand_bytes(1000 * i) for i in range(5)}
    for k, v in objs.items():
        s3.put_object(Bucket=b, Key=k, Body=v, Metadata={"i": k})
    rc = srv.stop()
    check(rc in (0, -15), f"exit status {rc} on SIGTERM")
    srv.start()
    s3 = ctx.client(srv)
    for k, v in objs.items():
        g = s3.get_object(Bucket=b, Key=k)
        same_bytes(g["Body"].read(), v, f"{k} after restart")
        eq(g["Metadata"], {"i": k}, f"{k} metadata after restart")
    check(b in [x["Name"] for x in s3.list_buckets()["Buckets"]], "bucket after restart")


def _rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _is_sanitized(binary):
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


@timeout(240)
def test_bodies_are_streamed_not_buffered(ctx):
    # "No request buffers a whole body": memory stays flat while a 64 MiB object
    # goes in (slowly) and while a client reads it back slowly.
    if _is_sanitized(ctx.binary):
        raise Skip("ASan's quarantine holds freed buffers: RSS says nothing here")
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("mem", client=s3)
    s3.put_object(Bucket=b, Key="warm", Body=rand_bytes(MiB))
    s3.get_object(Bucket=b, Key="warm")["Body"].read()
    base = _rss_kib(srv.proc.pid)
    total = 64 * MiB
    sock = open_signed_put(srv, b, "big", total)
    piece = rand_bytes(MiB)
    peak = base
    for _ in range(total // MiB):
        sock.sendall(piece)
        peak = max(peak, _rss_kib(srv.proc.pid))
    head, _ = _read_reply(sock, 60)
    sock.close()
    check(head.startswith("HTTP/1.1 200"), f"64 MiB PUT: {head[:200]!r}")
    check(peak - base < 24 * 1024, f"server memory grew by {(peak - base) // 1024} MiB "
          "while receiving a 64 MiB body")
    # Read back through a client that stops after 1 MiB.
    path = uri_path(f"/{b}/big")
    h = {"Host": f"127.0.0.1:{srv.port}"}
    sg = sign_v4("GET", path, [], h, hashlib.sha256(b"").hexdigest(), srv.access, srv.secret)
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.sendall(f"GET {path} HTTP/1.1\r\n".encode() +
                 "".join(f"{k}: {v}\r\n" for k, v in sg.headers.items()).encode() + b"\r\n")
    got = 0
    while got < MiB:
        got += len(sock.recv(65536))
    time.sleep(1.5)
    grown = _rss_kib(srv.proc.pid) - base
    sock.close()
    check(grown < 24 * 1024, f"server memory grew by {grown // 1024} MiB serving a 64 MiB "
          "object to a client that reads slowly")
    # And the object is intact.
    eq(s3.head_object(Bucket=b, Key="big")["ContentLength"], total, "size")


@timeout(240)
def test_many_clients_at_once(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("many")
    bodies = {f"c/{i:03d}": rand_bytes(20_000 + i) for i in range(96)}

    def work(item):
        k, v = item
        s3.put_object(Bucket=b, Key=k, Body=v)
        return s3.get_object(Bucket=b, Key=k)["Body"].read() == v
    with concurrent.futures.ThreadPoolExecutor(32) as ex:
        results = list(ex.map(work, bodies.items()))
    eq(results.count(False), 0, "objects read back differently under concurrency")
    eq(s3.list_objects_v2(Bucket=b)["KeyCount"], len(bodies), "keys")


def test_idle_connections_do_not_block(ctx):
    # Clients that open a connection and send half a request head (slowloris)
    # must not keep others from being served.
    socks = []
    try:
        for _ in range(64):
            sk = socket.create_connection(("127.0.0.1", ctx.server.port), timeout=10)
            sk.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            socks.append(sk)
        t0 = time.time()
        b = ctx.bucket("idle")
        ctx.s3().put_object(Bucket=b, Key="k", Body=b"x")
        eq(ctx.s3().get_object(Bucket=b, Key="k")["Body"].read(), b"x", "served")
        check(time.time() - t0 < 10, f"requests took {time.time() - t0:.1f} s with 64 idle "
              "connections open")
    finally:
        for sk in socks:
            sk.close()
