"""Access log and hash-chained audit log (issue 9): every request gives one JSON access line
with the documented fields; object reads, writes and deletes (and refused attempts) give
audit lines whose SHA-256 chain `strata audit verify` (and an independent Python check)
accepts, and which fails naming the line after one byte is edited, a line is removed or
two are swapped, or the last line is cut; logrotate (rename + SIGHUP) and restarts keep one
chain; no line holds the secret key, a signature, a presigned URL's signature or an SSE-C
key; a log path that cannot be opened refuses the start."""

import base64
import concurrent.futures
import hashlib
import json
import os
import re
import signal
import time
import urllib.request

from harness import check, eq, add_user, free_port, posix_home_only, rand_bytes, run_strata, s3_client

SERVER = False

ACCESS_FIELDS = ("time", "request_id", "user", "auth", "operation", "method", "bucket", "key",
                 "status", "error", "bytes_in", "bytes_out", "duration_ms", "client", "tls",
                 "complete")
AUDIT_FIELDS = ("seq", "time", "request_id", "user", "op", "access", "outcome", "status",
                "bucket", "key", "bytes", "client", "tls", "prev", "hash")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _server(ctx, extra=""):
    n = len(ctx.extra_servers) + 1
    access, audit = ctx.path(f"access{n}.log"), ctx.path(f"audit{n}.log")
    conf = ctx.path(f"logs{n}.conf")
    with open(conf, "w") as f:
        f.write(f"access_log = {access}\naudit_log = {audit}\nsse_c_over_http = on\n"
                f"scrub_interval = 0\n" + extra)
    srv = ctx.new_server(extra_args=["--config", conf])
    srv.access_log, srv.audit_log = access, audit
    return srv


def _lines(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return f.read().splitlines()


def _wait_lines(path, pred, what, timeout=10):
    """The parsed lines of a log once pred(lines) holds: a line is written when the
    request completes, which can be just after the client has read the response."""
    deadline = time.time() + timeout
    while True:
        lines = [json.loads(x) for x in _lines(path)]
        if pred(lines):
            return lines
        if time.time() > deadline:
            check(False, f"{what}: not in {os.path.basename(path)} within {timeout} s; "
                         f"last lines: {lines[-5:]}")
        time.sleep(0.1)


def _py_verify(paths):
    """audit.h's 20-line Python check, as a third party would write it. Returns the
    number of lines and the last hash, or raises AssertionError naming the line."""
    prev = seq = None
    count = 0
    for path in paths:
        for n, raw in enumerate(open(path, "rb"), 1):
            assert raw.endswith(b"\n"), (path, n)
            line = raw[:-1]
            body, tail = line[:-149], line[-149:]
            p, h = tail[9:73], tail[83:147]
            assert tail == b',"prev":"' + p + b'","hash":"' + h + b'"}', (path, n)
            assert hashlib.sha256(p + body).hexdigest().encode() == h, (path, n)
            s = json.loads(line)["seq"]
            assert prev is None or (p == prev and s == seq + 1), (path, n)
            prev, seq = h, s
            count += 1
    return count, prev.decode() if prev else None


def _verify(ctx, *paths):
    return run_strata(ctx.binary, ["audit", "verify"] + list(paths))


def _capture_signatures(client, sink):
    """Collects the Authorization header of every request the client sends."""
    def grab(request, **kw):
        v = request.headers.get("Authorization")
        if v:
            sink.append(v.decode() if isinstance(v, bytes) else v)
    client.meta.events.register("before-send.s3.*", grab)


def _traffic(ctx, srv):
    """Every kind of request the logs care about; returns what the logs must show and
    what they must never contain."""
    s3 = s3_client(srv.endpoint, srv.access, srv.secret)
    auths = []
    _capture_signatures(s3, auths)
    b = ctx.name("logs")
    s3.create_bucket(Bucket=b)
    data = rand_bytes(3000)
    s3.put_object(Bucket=b, Key="plain.bin", Body=data)
    eq(s3.get_object(Bucket=b, Key="plain.bin")["Body"].read(), data, "GET body")
    s3.head_object(Bucket=b, Key="plain.bin")
    # Keys a log must escape: quotes, backslash, control bytes, non-ASCII, 1024 bytes.
    hostile = 'we"ird\\key\t\x01\x7f ключ ,"prev":"'
    s3.put_object(Bucket=b, Key=hostile, Body=b"h")
    long_key = "L" * 1024
    s3.put_object(Bucket=b, Key=long_key, Body=b"l")
    s3.delete_object(Bucket=b, Key="plain.bin")
    s3.put_object(Bucket=b, Key="d1", Body=b"1")
    s3.put_object(Bucket=b, Key="d2", Body=b"2")
    s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "d1"}, {"Key": "d2"}]})
    up = s3.create_multipart_upload(Bucket=b, Key="mp.bin")
    part = s3.upload_part(Bucket=b, Key="mp.bin", UploadId=up["UploadId"], PartNumber=1,
                          Body=b"m" * 2000)
    s3.complete_multipart_upload(Bucket=b, Key="mp.bin", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1,
                                                             "ETag": part["ETag"]}]})
    s3.copy_object(Bucket=b, Key="copy.bin", CopySource={"Bucket": b, "Key": "mp.bin"})
    # SSE-C (allowed over plain HTTP by the test config).
    sse_key = os.urandom(32)
    ssec = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": sse_key}
    s3.put_object(Bucket=b, Key="ssec.bin", Body=b"secret bytes", **ssec)
    eq(s3.get_object(Bucket=b, Key="ssec.bin", **ssec)["Body"].read(), b"secret bytes",
       "SSE-C GET")
    # Presigned GETs (SigV2, boto3's default here, and SigV4), fetched as a browser would.
    presigned_sigs = []
    for signer in (s3, s3_client(srv.endpoint, srv.access, srv.secret,
                                 signature_version="s3v4")):
        url = signer.generate_presigned_url("get_object",
                                            Params={"Bucket": b, "Key": "copy.bin"},
                                            ExpiresIn=600)
        presigned_sigs.append(re.search(r"[?&](?:X-Amz-)?Signature=([^&]+)", url).group(1))
        with urllib.request.urlopen(url, timeout=30) as r:
            eq(len(r.read()), 2000, "presigned GET body")
    # Refused attempts: another user, and a wrong secret.
    ak, sk = add_user(ctx.binary, srv.data_dir, "mallory")
    time.sleep(1.5)  # a running server picks new users up within a second
    other = s3_client(srv.endpoint, ak, sk)
    try:
        other.get_object(Bucket=b, Key="copy.bin")
        check(False, "another user read root's object")
    except other.exceptions.ClientError as e:
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 403, "another user's GET")
    try:
        other.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "copy.bin"}]})
        check(False, "another user deleted root's objects")
    except other.exceptions.ClientError as e:
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 403, "another DeleteObjects")
    wrong = s3_client(srv.endpoint, srv.access, "x" * 40)
    try:
        wrong.get_object(Bucket=b, Key="copy.bin")
        check(False, "a wrong secret read an object")
    except wrong.exceptions.ClientError as e:
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 403, "a wrong secret's GET")
    sigs = [m.group(1) for a in auths for m in [re.search(r"Signature=([0-9a-f]+)", a)] if m]
    check(len(sigs) > 5, f"captured the Authorization signatures ({len(sigs)})")
    secrets = {"the secret key": srv.secret, "mallory's secret key": sk,
               "the SigV2 presigned URL's signature": presigned_sigs[0],
               "the SigV4 presigned URL's signature": presigned_sigs[1],
               "the SSE-C key (base64)": base64.b64encode(sse_key).decode()}
    for i, s in enumerate(sigs):
        secrets[f"Authorization signature {i}"] = s
    return b, hostile, long_key, secrets


@posix_home_only("it adds a user to the server's data directory")
def test_access_and_audit_lines(ctx):
    srv = _server(ctx)
    b, hostile, long_key, secrets = _traffic(ctx, srv)
    acc = _wait_lines(srv.access_log,
                      lambda ls: sum(1 for x in ls if x.get("status") == 403) >= 3,
                      "the three refused requests")
    for x in acc:
        for f in ACCESS_FIELDS:
            check(f in x, f"access line without {f}: {x}")
        check(TIME_RE.match(x["time"]), f"time is RFC 3339 UTC with ms: {x['time']}")
        eq(x["client"], "127.0.0.1", "client address")
        eq(x["tls"], False, "tls")
    ops = {}
    for x in acc:
        ops.setdefault(x["operation"], []).append(x)
    for op in ("CreateBucket", "PutObject", "GetObject", "HeadObject", "DeleteObject",
               "DeleteObjects", "CreateMultipartUpload", "UploadPart",
               "CompleteMultipartUpload", "CopyObject"):
        check(op in ops, f"an access line for {op}: {sorted(ops)}")
    put = [x for x in ops["PutObject"] if x["key"] == "plain.bin"][0]
    eq((put["status"], put["bytes_in"], put["user"], put["auth"], put["bucket"]),
       (200, 3000, "root", "sigv4", b), "PutObject access line")
    get = [x for x in ops["GetObject"] if x["key"] == "plain.bin"][0]
    eq((get["status"], get["bytes_out"], get["error"]), (200, 3000, None), "GetObject line")
    check(any(x["key"] == hostile for x in ops["PutObject"]),
          "the hostile key reads back exactly from the JSON")
    check(any(x["key"] == long_key for x in ops["PutObject"]), "the 1024-byte key")
    pre = sorted((x["auth"], x["status"], x["bytes_out"], x["user"]) for x in ops["GetObject"]
                 if x["auth"].startswith("presigned"))
    eq(pre, [("presigned-v2", 200, 2000, "root"), ("presigned-v4", 200, 2000, "root")],
       "presigned GETs")
    denied = [x for x in acc if x["status"] == 403]
    eq(sorted((x["user"], x["error"], x["operation"]) for x in denied),
       [("anonymous", "SignatureDoesNotMatch", "GetObject"),
        ("mallory", "AccessDenied", "DeleteObjects"),
        ("mallory", "AccessDenied", "GetObject")], "refused requests")

    aud = _wait_lines(srv.audit_log, lambda ls: sum(1 for x in ls
                                                    if x.get("outcome") == "denied") >= 3,
                      "the refused requests' audit lines")
    for x in aud:
        for f in AUDIT_FIELDS:
            check(f in x, f"audit line without {f}: {x}")
    seen = [(x["op"], x["access"], x["outcome"], x["key"]) for x in aud]
    for want in [("PutObject", "write", "success", "plain.bin"),
                 ("GetObject", "read", "success", "plain.bin"),
                 ("HeadObject", "read", "success", "plain.bin"),
                 ("PutObject", "write", "success", hostile),
                 ("PutObject", "write", "success", long_key),
                 ("DeleteObject", "delete", "success", "plain.bin"),
                 ("DeleteObjects", "delete", "success", "d1"),
                 ("DeleteObjects", "delete", "success", "d2"),
                 ("UploadPart", "write", "success", "mp.bin"),
                 ("CompleteMultipartUpload", "write", "success", "mp.bin"),
                 ("CopyObject", "read", "success", "mp.bin"),
                 ("CopyObject", "write", "success", "copy.bin"),
                 ("PutObject", "write", "success", "ssec.bin"),
                 ("GetObject", "read", "success", "ssec.bin"),
                 ("GetObject", "read", "success", "copy.bin"),
                 ("GetObject", "read", "denied", "copy.bin")]:
        check(want in seen, f"audit line {want}; have {seen}")
    eq(sum(1 for s in seen if s[3] == "copy.bin" and s[2] == "denied"), 2, "denied lines")
    eq(sum(1 for s in seen if s[3] == "copy.bin" and s[:3] == ("GetObject", "read", "success")),
       2, "the presigned GETs' audit lines")
    denied_users = sorted(x["user"] for x in aud if x["outcome"] == "denied")
    eq(denied_users, ["anonymous", "mallory", "mallory"], "who was refused")
    check(("DeleteObjects", "delete", "denied", None) in seen,
          "a refused DeleteObjects has one line, without a key")
    check(("CreateBucket" not in {x["op"] for x in aud}), "no audit line for a bucket")
    check(not any(x["op"] == "CreateMultipartUpload" for x in aud),
          "no audit line for CreateMultipartUpload (no data yet)")
    eq([x["seq"] for x in aud], list(range(1, len(aud) + 1)), "seq counts from 1")
    eq(aud[0]["prev"], "0" * 64, "the chain's first prev")
    p = _verify(ctx, srv.audit_log)
    eq(p.returncode, 0, f"strata audit verify: {p.stdout}{p.stderr}")
    n, last = _py_verify([srv.audit_log])
    check(p.stdout.startswith(f"ok: {n} lines, last hash {last}\n"),
          f"verify output names {n} lines and hash {last}: {p.stdout!r}")

    # Never a secret, in any line of either log (nor in the server's own log).
    srv.stop()
    with open(srv.access_log, "rb") as f:
        text = f.read().decode()
    with open(srv.audit_log, "rb") as f:
        text += f.read().decode()
    text += srv.output()
    for what, s in secrets.items():
        check(s not in text, f"{what} appears in the logs")
    check("X-Amz-Credential" not in text and "Signature=" not in text,
          "no query string in the logs")


def _edit(src, dst, fn):
    with open(src, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    with open(dst, "wb") as f:
        f.write(b"".join(fn(lines)))


def test_audit_chain_detects_tampering(ctx):
    srv = _server(ctx)
    s3 = s3_client(srv.endpoint, srv.access, srv.secret)
    b = ctx.name("tamper")
    s3.create_bucket(Bucket=b)
    for i in range(6):
        s3.put_object(Bucket=b, Key=f"k{i}", Body=b"x" * i)
    _wait_lines(srv.audit_log, lambda ls: len(ls) >= 6, "six audit lines")
    srv.stop()
    log = srv.audit_log
    eq(_verify(ctx, log).returncode, 0, "the untouched log verifies")
    bad = ctx.path("bad.log")

    def flip(lines):  # one byte of line 3's key: k2 -> k9
        lines[2] = lines[2].replace(b'"key":"k2"', b'"key":"k9"')
        return lines
    _edit(log, bad, flip)
    p = _verify(ctx, bad)
    eq(p.returncode, 1, f"an edited byte fails: {p.stdout}")
    check(p.stdout.startswith(f"{bad}:3: hash mismatch"), f"names line 3: {p.stdout!r}")
    _edit(log, bad, lambda ls: ls[:3] + ls[4:])
    p = _verify(ctx, bad)
    check(p.returncode == 1 and p.stdout.startswith(f"{bad}:4: broken link"),
          f"a removed line 4 fails at the line after it: {p.stdout!r}")
    _edit(log, bad, lambda ls: ls[:1] + [ls[2], ls[1]] + ls[3:])
    p = _verify(ctx, bad)
    check(p.returncode == 1 and p.stdout.startswith(f"{bad}:2: broken link"),
          f"swapped lines 2 and 3: {p.stdout!r}")
    _edit(log, bad, lambda ls: ls[:-1] + [ls[-1][:-20]])
    p = _verify(ctx, bad)
    check(p.returncode == 1 and p.stdout.startswith(f"{bad}:6: the last line is cut off"),
          f"a cut-off last line: {p.stdout!r}")
    # The Python check of audit.h agrees on each.
    for fn in (flip, lambda ls: ls[:3] + ls[4:]):
        _edit(log, bad, fn)
        try:
            _py_verify([bad])
            check(False, "the Python check passed a tampered log")
        except AssertionError:
            pass
    p = _verify(ctx, ctx.path("missing.log"))
    eq(p.returncode, 2, f"an unreadable file: {p.stderr}")
    eq(_verify(ctx).returncode, 2, "no file given")
    # A server refuses to continue a chain whose last line is cut off.
    _edit(log, log, lambda ls: ls[:-1] + [ls[-1][:-20]])
    mark_conf = ctx.path("cut.conf")
    with open(mark_conf, "w") as f:
        f.write(f"audit_log = {log}\nscrub_interval = 0\n")
    p = run_strata(ctx.binary, ["serve", "--data", ctx.path("cutdata"), "--listen",
                                f"127.0.0.1:{free_port()}", "--config", mark_conf], timeout=60)
    check(p.returncode != 0 and "cut off" in p.stderr and log in p.stderr,
          f"refuses a cut-off audit log: rc {p.returncode} {p.stderr[-400:]!r}")


@posix_home_only("it restarts its server over the same data directory")
def test_rotation_and_restart_keep_one_chain(ctx):
    srv = _server(ctx)
    s3 = s3_client(srv.endpoint, srv.access, srv.secret)
    b = ctx.name("rot")
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="before", Body=b"1")
    _wait_lines(srv.audit_log, lambda ls: len(ls) >= 1, "the first audit line")
    # logrotate: rename, then SIGHUP; the server writes new files at the same paths.
    old_audit, old_access = srv.audit_log + ".1", srv.access_log + ".1"
    os.rename(srv.audit_log, old_audit)
    os.rename(srv.access_log, old_access)
    os.kill(srv.proc.pid, signal.SIGHUP)
    time.sleep(0.5)
    check(srv.alive(), "SIGHUP stopped the server")
    s3.put_object(Bucket=b, Key="after", Body=b"2")
    s3.get_object(Bucket=b, Key="after")["Body"].read()
    new = _wait_lines(srv.audit_log, lambda ls: len(ls) >= 2, "audit lines after SIGHUP")
    eq([x["key"] for x in new], ["after", "after"], "the new audit file's lines")
    _wait_lines(srv.access_log, lambda ls: len(ls) >= 2, "access lines after SIGHUP")
    check(all(json.loads(x)["key"] != "after" for x in _lines(old_access)),
          "nothing went to the renamed access log after SIGHUP")
    p = _verify(ctx, old_audit, srv.audit_log)
    eq(p.returncode, 0, f"verify old new: {p.stdout}{p.stderr}")
    check(p.stdout.startswith("ok: 3 lines"), f"three lines in all: {p.stdout!r}")
    p = _verify(ctx, srv.audit_log, old_audit)
    eq(p.returncode, 1, f"the files in the wrong order fail: {p.stdout}")
    p = _verify(ctx, srv.audit_log)
    check(p.returncode == 0 and "continuing an earlier file" in p.stdout,
          f"the new file alone verifies and says it continues another: {p.stdout!r}")
    # A restart continues the chain from the file's last line.
    srv.restart(same_port=True)
    s3 = s3_client(srv.endpoint, srv.access, srv.secret)
    s3.delete_object(Bucket=b, Key="after")
    lines = _wait_lines(srv.audit_log, lambda ls: len(ls) >= 3, "the line after a restart")
    eq([x["seq"] for x in lines], [2, 3, 4], "seq goes on after a restart")
    p = _verify(ctx, old_audit, srv.audit_log)
    check(p.returncode == 0 and p.stdout.startswith("ok: 4 lines"),
          f"one chain over rotation and restart: {p.stdout!r}")
    eq(_py_verify([old_audit, srv.audit_log])[0], 4, "the Python check agrees")


def test_unwritable_log_refuses_start(ctx):
    for key in ("access_log", "audit_log"):
        conf = ctx.path(f"{key}.conf")
        bad = ctx.path("no-such-dir", f"{key}.log")
        with open(conf, "w") as f:
            f.write(f"{key} = {bad}\nscrub_interval = 0\n")
        p = run_strata(ctx.binary, ["serve", "--data", ctx.path(f"d-{key}"), "--listen",
                                    f"127.0.0.1:{free_port()}", "--config", conf], timeout=60)
        check(p.returncode != 0, f"{key}: started with an unwritable log: {p.stdout[-300:]}")
        check(bad in p.stderr and "No such file" in p.stderr,
              f"{key}: says which file and why: {p.stderr[-400:]!r}")
        check("serving" not in p.stdout, f"{key}: announced as serving")
    conf = ctx.path("same.conf")
    with open(conf, "w") as f:
        f.write(f"access_log = {ctx.path('x.log')}\naudit_log = {ctx.path('x.log')}\n")
    p = run_strata(ctx.binary, ["serve", "--data", ctx.path("d-same"), "--listen",
                                f"127.0.0.1:{free_port()}", "--config", conf], timeout=60)
    check(p.returncode != 0 and "the same file" in p.stderr,
          f"one file for both logs is refused: {p.stderr[-300:]!r}")
    p = run_strata(ctx.binary, ["audit", "--help"])
    check(p.returncode == 0 and "strata audit verify FILE" in p.stdout, "audit --help")


def test_concurrent_requests_keep_one_chain(ctx):
    """Lines of parallel requests are whole and file order is chain order."""
    srv = _server(ctx)
    b = ctx.name("par")
    s3_client(srv.endpoint, srv.access, srv.secret).create_bucket(Bucket=b)

    def worker(w):
        c = s3_client(srv.endpoint, srv.access, srv.secret)
        for i in range(25):
            c.put_object(Bucket=b, Key=f"w{w}/k{i}", Body=b"x" * (i * 37))
            c.get_object(Bucket=b, Key=f"w{w}/k{i}")["Body"].read()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(worker, range(8)))
    aud = _wait_lines(srv.audit_log, lambda ls: len(ls) >= 400, "400 audit lines")
    eq(len(aud), 400, "one audit line per request")
    _wait_lines(srv.access_log, lambda ls: len(ls) >= 401, "401 access lines")
    p = _verify(ctx, srv.audit_log)
    check(p.returncode == 0 and p.stdout.startswith("ok: 400 lines"), f"verify: {p.stdout!r}")
    eq(_py_verify([srv.audit_log])[0], 400, "the Python check")
