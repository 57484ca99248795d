"""TLS (issue 9): `strata serve` with tls_cert/tls_key serves HTTPS on `listen`, and plain
HTTP beside it on `http_listen`. The certificates are made here with the openssl CLI: a test
CA and server certificates for 127.0.0.1 signed by it, which the clients trust through the
CA file (boto3 verify=, aws-cli --ca-bundle, an ssl context). Covered: round trips with
boto3 and aws-cli v2 at their defaults (boto3 sends PutObject as aws-chunked with a CRC
trailer, STREAMING-UNSIGNED-PAYLOAD-TRAILER, over HTTPS), presigned GET and PUT, SSE-C
accepted over TLS and refused on the plain listener, start-up refusals (key not matching
the certificate, unreadable files, half a pair), and SIGHUP reloading the certificate for
new connections while an open one keeps working."""

import hashlib
import http.client
import os
import signal
import socket
import ssl
import subprocess
import time

import boto3
from botocore.config import Config
import urllib.error
import urllib.request

from harness import (Server, TestFailure, check, eq, expect_error, free_port, rand_bytes,
                     run_strata, same_bytes, s3_client, sign_v4, timeout, wait_until)
from harness import posix_home_only

SERVER = False
KiB = 1024
MiB = 1024 * KiB


# ---------------------------------------------------------------- certificates

def _openssl(*args, cwd):
    p = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise TestFailure(f"openssl {' '.join(args)}: {p.stderr[-500:]}")


def _ca(d):
    """A test CA in d (ca.pem, ca.key); returns the CA file's path."""
    os.makedirs(d, exist_ok=True)
    if not os.path.exists(os.path.join(d, "ca.pem")):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                 "-subj", "/CN=Strata test CA", cwd=d)
    return os.path.join(d, "ca.pem")


def _server_cert(d, name, cn="127.0.0.1"):
    """A server certificate NAME.pem and key NAME.key for 127.0.0.1 and localhost, signed
    by d's CA. Returns (cert, key) paths."""
    _ca(d)
    with open(os.path.join(d, "san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", "san.cnf",
             cwd=d)
    return os.path.join(d, f"{name}.pem"), os.path.join(d, f"{name}.key")


def _fingerprint_pem(path):
    with open(path) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


class TlsServer(Server):
    """A Server whose `listen` speaks HTTPS (the harness's readiness check is a TCP
    connect, which works the same); plain_port is its http_listen, if any."""

    plain_port = None

    @property
    def endpoint(self):
        return f"https://127.0.0.1:{self.port}"


def _tls_server(ctx, cert, key, http_listen=False, extra=""):
    conf = ctx.path(f"tls-{len(ctx.extra_servers)}.conf")
    plain = free_port() if http_listen else None
    with open(conf, "w") as f:
        f.write(f"tls_cert = {cert}\ntls_key = {key}\nscrub_interval = 0\n" + extra)
        if plain:
            f.write(f"http_listen = 127.0.0.1:{plain}\n")
    n = len(ctx.extra_servers) + 1
    srv = TlsServer(ctx.binary, ctx.path(f"data{n}"), ctx.logdir,
                    name=f"{ctx.test_name}.srv{n}", extra_args=["--config", conf])
    srv.plain_port = plain
    ctx.extra_servers.append(srv)
    srv.start()
    return srv


def _boto3(srv, ca, **config):
    """A boto3 client at its defaults (unless config says) that trusts the test CA."""
    session = boto3.session.Session(aws_access_key_id=srv.access,
                                    aws_secret_access_key=srv.secret, region_name="us-east-1")
    return session.client("s3", endpoint_url=srv.endpoint, verify=ca,
                          config=Config(**config) if config else None)


def _ssec(key):
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


# ---------------------------------------------------------------- round trips

@timeout(180)
def test_boto3_round_trip_with_chunked_trailer(ctx):
    cert, key = _server_cert(ctx.workdir, "srv")
    ca = _ca(ctx.workdir)
    srv = _tls_server(ctx, cert, key)
    s3 = _boto3(srv, ca)
    sent = []
    s3.meta.events.register("before-send.s3.PutObject",
                            lambda request, **kw: sent.append(dict(request.headers)))
    b = "tls-boto3"
    s3.create_bucket(Bucket=b)
    small, large = rand_bytes(100 * KiB), rand_bytes(3 * MiB + 17)
    s3.put_object(Bucket=b, Key="small", Body=small)
    s3.put_object(Bucket=b, Key="large", Body=large)
    # What the SDK sent by default over HTTPS: an aws-chunked body with a CRC trailer.
    check(sent, "boto3 sent no PutObject")
    h = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in sent[-1].items()}
    eq(h.get("x-amz-content-sha256"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
       "boto3's default payload mode over HTTPS")
    check("aws-chunked" in h.get("content-encoding", ""), f"aws-chunked body: {h}")
    check(h.get("x-amz-trailer", "").startswith("x-amz-checksum-"), f"a CRC trailer: {h}")
    g = s3.get_object(Bucket=b, Key="large", ChecksumMode="ENABLED")
    same_bytes(g["Body"].read(), large, "GET over HTTPS (checksum validated by boto3)")
    same_bytes(s3.get_object(Bucket=b, Key="small", Range="bytes=10-99")["Body"].read(),
               small[10:100], "ranged GET over HTTPS")
    # A multipart upload through the transfer manager, also with trailers.
    path = ctx.path("mp.bin")
    data = rand_bytes(9 * MiB)
    with open(path, "wb") as f:
        f.write(data)
    s3.upload_file(path, b, "mp")
    same_bytes(s3.get_object(Bucket=b, Key="mp")["Body"].read(), data, "multipart over HTTPS")
    eq(sorted(o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]),
       ["large", "mp", "small"], "listing over HTTPS")
    s3.delete_object(Bucket=b, Key="small")
    expect_error(lambda: s3.head_object(Bucket=b, Key="small"), "404", 404)
    # A client that does not trust the CA is refused by its own TLS check.
    untrusted = s3_client(srv.endpoint, srv.access, srv.secret)
    try:
        untrusted.list_buckets()
        raise TestFailure("a client without the CA file accepted the certificate")
    except TestFailure:
        raise
    except Exception as e:  # noqa: BLE001 - botocore's SSLError
        check("certificate" in str(e).lower() or "ssl" in str(e).lower(),
              f"refused for the certificate: {e}")


@timeout(240)
def test_awscli_v2_round_trip(ctx):
    cert, key = _server_cert(ctx.workdir, "srv")
    ca = _ca(ctx.workdir)
    srv = _tls_server(ctx, cert, key)
    aws = ctx.aws("v2", server=srv)
    b = "tls-awscli"
    aws.run("s3api", "create-bucket", "--bucket", b, "--ca-bundle", ca)
    src = ctx.path("in.bin")
    data = rand_bytes(10 * MiB + 5)  # above aws s3 cp's multipart threshold
    with open(src, "wb") as f:
        f.write(data)
    aws.run("s3", "cp", src, f"s3://{b}/big", "--ca-bundle", ca)
    aws.run("s3api", "put-object", "--bucket", b, "--key", "one", "--body", src,
            "--ca-bundle", ca)
    out = ctx.path("out.bin")
    for k in ("big", "one"):
        aws.run("s3", "cp", f"s3://{b}/{k}", out, "--ca-bundle", ca)
        with open(out, "rb") as f:
            same_bytes(f.read(), data, f"aws-cli v2 download of {k} over HTTPS")
    ls = aws.run("s3", "ls", f"s3://{b}/", "--ca-bundle", ca).stdout
    check("big" in ls and "one" in ls, f"listing over HTTPS: {ls!r}")
    # Without the CA bundle aws-cli refuses the certificate.
    p = aws.run("s3", "ls", f"s3://{b}/", check_rc=False)
    check(p.returncode != 0 and "certificate" in (p.stderr + p.stdout).lower(),
          f"aws-cli without --ca-bundle: rc {p.returncode} {p.stderr[-300:]!r}")


@timeout(120)
def test_presigned_urls_over_https(ctx):
    cert, key = _server_cert(ctx.workdir, "srv")
    ca = _ca(ctx.workdir)
    srv = _tls_server(ctx, cert, key)
    s3 = _boto3(srv, ca)
    b = "tls-presign"
    s3.create_bucket(Bucket=b)
    data = rand_bytes(200 * KiB)
    s3.put_object(Bucket=b, Key="dicom/p1/s1/x.dcm", Body=data)
    sslctx = ssl.create_default_context(cafile=ca)
    # boto3's default presigner, and SigV4 explicitly (its Host is 127.0.0.1:PORT).
    v4 = _boto3(srv, ca, signature_version="s3v4")
    for signer, what in ((s3, "default"), (v4, "SigV4")):
        url = signer.generate_presigned_url(
            "get_object", Params={"Bucket": b, "Key": "dicom/p1/s1/x.dcm"}, ExpiresIn=86400)
        check(url.startswith(f"https://127.0.0.1:{srv.port}/"), f"presigned URL: {url}")
        with urllib.request.urlopen(url, context=sslctx, timeout=30) as r:
            same_bytes(r.read(), data, f"presigned GET over HTTPS ({what})")
        put_url = signer.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "up"},
                                                ExpiresIn=600)
        conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=sslctx, timeout=30)
        target = put_url[len(srv.endpoint):]
        conn.request("PUT", target, body=what.encode())
        r = conn.getresponse()
        body = r.read()
        conn.close()
        eq(r.status, 200, f"presigned PUT over HTTPS ({what}): {body[:300]!r}")
        eq(s3.get_object(Bucket=b, Key="up")["Body"].read(), what.encode(),
           f"presigned PUT stored ({what})")
    # Without --endpoint, `strata presign` signs for https when the config has a certificate.
    p = run_strata(ctx.binary, ["presign", "--data", srv.data_dir, "--config",
                                srv.extra_args[srv.extra_args.index("--config") + 1],
                                f"{b}/dicom/p1/s1/x.dcm"])
    check(p.returncode == 0 and p.stdout.startswith("https://"),
          f"strata presign defaults to https with tls_cert: {p.stdout!r} {p.stderr!r}")
    # `strata presign` signs for the https endpoint it is given.
    p = run_strata(ctx.binary, ["presign", "--data", srv.data_dir, "--endpoint",
                                srv.endpoint, f"{b}/dicom/p1/s1/x.dcm"])
    eq(p.returncode, 0, f"strata presign: {p.stderr}")
    with urllib.request.urlopen(p.stdout.strip(), context=sslctx, timeout=30) as r:
        same_bytes(r.read(), data, "strata presign URL over HTTPS")
    # A tampered signature is still refused.
    sig = url.split("X-Amz-Signature=")[1].split("&")[0]
    bad = url.replace(sig, sig[:-1] + ("0" if sig[-1] != "0" else "1"))
    try:
        urllib.request.urlopen(bad, context=sslctx, timeout=30)
        raise TestFailure("a tampered presigned URL was served")
    except urllib.error.HTTPError as e:
        eq(e.code, 403, "tampered presigned URL")


@timeout(120)
def test_sse_c_accepted_over_tls_refused_on_http_listen(ctx):
    cert, key = _server_cert(ctx.workdir, "srv")
    ca = _ca(ctx.workdir)
    srv = _tls_server(ctx, cert, key, http_listen=True)
    tls3 = _boto3(srv, ca)
    plain = s3_client(f"http://127.0.0.1:{srv.plain_port}", srv.access, srv.secret)
    b = "tls-ssec"
    tls3.create_bucket(Bucket=b)
    k = os.urandom(32)
    data = rand_bytes(300 * KiB)
    put = tls3.put_object(Bucket=b, Key="c", Body=data, **_ssec(k))
    eq(put.get("SSECustomerAlgorithm"), "AES256", "SSE-C PutObject over TLS")
    same_bytes(tls3.get_object(Bucket=b, Key="c", **_ssec(k))["Body"].read(), data,
               "SSE-C GET over TLS")
    msg = ("Requests specifying Server Side Encryption with Customer provided keys must be "
           "made over a secure connection.")
    expect_error(lambda: plain.put_object(Bucket=b, Key="p", Body=b"x", **_ssec(k)),
                 "InvalidRequest", 400, message=msg)
    expect_error(lambda: plain.get_object(Bucket=b, Key="c", **_ssec(k)),
                 "InvalidRequest", 400, message=msg)
    # The plain listener serves everything else, on the same data.
    plain.put_object(Bucket=b, Key="p", Body=b"plain")
    eq(tls3.get_object(Bucket=b, Key="p")["Body"].read(), b"plain", "plain write, TLS read")
    eq(sorted(o["Key"] for o in plain.list_objects_v2(Bucket=b)["Contents"]), ["c", "p"],
       "listing on the plain listener")
    # A client cannot claim TLS by a header on the plain listener.
    expect_error(lambda: _forwarded_sse_c(srv, b, k), "InvalidRequest", 400)
    check(srv.alive(), "server alive")


def _forwarded_sse_c(srv, b, k):
    """An SSE-C PUT on the plain listener with X-Forwarded-Proto: https (ignored)."""
    s = s3_client(f"http://127.0.0.1:{srv.plain_port}", srv.access, srv.secret)
    s.meta.events.register("before-sign.s3.PutObject",
                           lambda request, **kw: request.headers.__setitem__(
                               "X-Forwarded-Proto", "https"))
    return s.put_object(Bucket=b, Key="fwd", Body=b"x", **_ssec(k))


# ---------------------------------------------------------------- start-up refusals

def _serve(ctx, args, conf=None):
    a = ["serve", "--data", ctx.path("refused"), "--listen", f"127.0.0.1:{free_port()}"]
    if conf is not None:
        path = ctx.path("refused.conf")
        with open(path, "w") as f:
            f.write(conf)
        a += ["--config", path]
    return run_strata(ctx.binary, a + list(args), timeout=60)


@posix_home_only("it checks the file:line of its own config file, which --home s3 rewrites "
                 "(the other TLS tests run there)")
def test_refuses_bad_certificate_setups(ctx):
    cert, key = _server_cert(ctx.workdir, "srv")
    _, other_key = _server_cert(ctx.workdir, "other")
    # The key of another certificate.
    p = _serve(ctx, ["--tls-cert", cert, "--tls-key", other_key])
    check(p.returncode != 0, f"started with a key that does not match: {p.stdout[-300:]}")
    check("does not match" in p.stderr, f"says the key does not match: {p.stderr[-500:]!r}")
    check("serving" not in p.stdout, "announced as serving")
    # Unreadable files.
    p = _serve(ctx, ["--tls-cert", ctx.path("missing.pem"), "--tls-key", key])
    check(p.returncode != 0 and "missing.pem" in p.stderr,
          f"a missing certificate: rc {p.returncode} {p.stderr[-300:]!r}")
    p = _serve(ctx, ["--tls-cert", cert, "--tls-key", cert])
    check(p.returncode != 0 and "private key" in p.stderr,
          f"a certificate given as the key: rc {p.returncode} {p.stderr[-300:]!r}")
    # Half a pair, or http_listen without TLS: the config file's line is named.
    p = _serve(ctx, [], conf=f"scrub_interval = 0\ntls_cert = {cert}\n")
    check(p.returncode != 0 and "refused.conf:2:" in p.stderr and "tls_key" in p.stderr,
          f"tls_cert alone: rc {p.returncode} {p.stderr[-300:]!r}")
    p = _serve(ctx, [], conf="http_listen = 127.0.0.1:1\n")
    check(p.returncode != 0 and "refused.conf:1:" in p.stderr,
          f"http_listen without TLS: rc {p.returncode} {p.stderr[-300:]!r}")
    p = _serve(ctx, ["--tls-key", key])
    check(p.returncode != 0 and "tls_key without tls_cert" in p.stderr,
          f"--tls-key alone: rc {p.returncode} {p.stderr[-300:]!r}")
    # The certificate in the file and the key as a flag is a pair.
    port = free_port()
    conf = ctx.path("split.conf")
    with open(conf, "w") as f:
        f.write(f"tls_cert = {cert}\nscrub_interval = 0\n")
    srv = TlsServer(ctx.binary, ctx.path("split"), ctx.logdir, name=f"{ctx.test_name}.split",
                    extra_args=["--config", conf, "--tls-key", key])
    ctx.extra_servers.append(srv)
    srv.start(port=port)
    check("https://" in srv.output(), f"serving HTTPS: {srv.output()[-300:]!r}")


# ---------------------------------------------------------------- SIGHUP reload

def _peer_fingerprint(port, ca):
    sslctx = ssl.create_default_context(cafile=ca)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with sslctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()


def _signed_get(conn, srv, path="/"):
    h = sign_v4("GET", path, None, {"Host": f"127.0.0.1:{srv.port}"},
                hashlib.sha256(b"").hexdigest(), srv.access, srv.secret).headers
    conn.request("GET", path, headers=h)
    r = conn.getresponse()
    return r.status, r.read()


@timeout(120)
def test_sighup_reloads_certificate(ctx):
    d = ctx.workdir
    cert, key = _server_cert(d, "first")
    ca = _ca(d)
    live_cert, live_key = os.path.join(d, "live.pem"), os.path.join(d, "live.key")
    for src, dst in ((cert, live_cert), (key, live_key)):
        with open(src, "rb") as f, open(dst, "wb") as g:
            g.write(f.read())
    srv = _tls_server(ctx, live_cert, live_key)
    first = _fingerprint_pem(cert)
    eq(_peer_fingerprint(srv.port, ca), first, "certificate at start")
    # A connection opened before the reload, kept alive across it.
    sslctx = ssl.create_default_context(cafile=ca)
    old = http.client.HTTPSConnection("127.0.0.1", srv.port, context=sslctx, timeout=30)
    eq(_signed_get(old, srv)[0], 200, "ListBuckets on the first connection")
    old_sock = old.sock
    eq(hashlib.sha256(old_sock.getpeercert(binary_form=True)).hexdigest(), first,
       "the open connection's certificate")

    new_cert, new_key = _server_cert(d, "second")
    second = _fingerprint_pem(new_cert)
    check(second != first, "the test made two different certificates")
    # Replace both files (as certbot does: new files renamed over the old ones).
    for src, dst in ((new_cert, live_cert), (new_key, live_key)):
        with open(src, "rb") as f, open(dst + ".tmp", "wb") as g:
            g.write(f.read())
        os.replace(dst + ".tmp", dst)
    mark = srv.log_mark()
    os.kill(srv.proc.pid, signal.SIGHUP)
    check(wait_until(lambda: _peer_fingerprint(srv.port, ca) == second, timeout=10),
          f"a new connection did not get the new certificate\n{srv.log_tail(since=mark)}")
    check(srv.alive(), "SIGHUP stopped the server")
    # The old connection still works, on the same socket and session.
    eq(_signed_get(old, srv)[0], 200, "ListBuckets on the connection opened before SIGHUP")
    check(old.sock is old_sock, "the old connection was re-opened")
    eq(hashlib.sha256(old.sock.getpeercert(binary_form=True)).hexdigest(), first,
       "the old connection keeps its certificate")
    mark = srv.log_mark()
    old.close()  # the first certificate's last user: the server frees it (T1 in tls.h)
    check(wait_until(lambda: "replaced certificate closed" in srv.log_tail(since=mark),
                     timeout=10),
          f"the replaced certificate was not released\n{srv.log_tail(since=mark)}")

    # A pair that does not match is refused at reload: the current certificate stays.
    other_cert, other_key = _server_cert(d, "third")
    with open(other_key, "rb") as f, open(live_key + ".tmp", "wb") as g:
        g.write(f.read())
    os.replace(live_key + ".tmp", live_key)
    mark = srv.log_mark()
    os.kill(srv.proc.pid, signal.SIGHUP)
    check(wait_until(lambda: "does not match" in srv.log_tail(since=mark), timeout=10),
          f"the refused reload was not logged\n{srv.log_tail(since=mark)}")
    eq(_peer_fingerprint(srv.port, ca), second, "certificate after a refused reload")
    s3 = _boto3(srv, ca)
    s3.create_bucket(Bucket="after-reload")
    s3.put_object(Bucket="after-reload", Key="k", Body=b"still serving")
    eq(s3.get_object(Bucket="after-reload", Key="k")["Body"].read(), b"still serving",
       "requests after the reloads")
    # And a good pair again: reloading while no connection holds the old set.
    with open(other_cert, "rb") as f, open(live_cert + ".tmp", "wb") as g:
        g.write(f.read())
    os.replace(live_cert + ".tmp", live_cert)
    os.kill(srv.proc.pid, signal.SIGHUP)
    third = _fingerprint_pem(other_cert)
    check(wait_until(lambda: _peer_fingerprint(srv.port, ca) == third, timeout=10),
          f"the third certificate was not loaded\n{srv.log_tail(since=mark)}")
    check(srv.alive(), "server alive after three SIGHUPs")


def test_sighup_without_tls_keeps_serving(ctx):
    srv = ctx.new_server(extra_args=["--config", _plain_conf(ctx)])
    mark = srv.log_mark()
    os.kill(srv.proc.pid, signal.SIGHUP)
    time.sleep(0.5)
    check(srv.alive(), "SIGHUP stopped a plain-HTTP server")
    s3 = ctx.client(srv)
    s3.create_bucket(Bucket="after-hup")
    check("SIGHUP" in srv.log_tail(since=mark), "the SIGHUP was logged")


def _plain_conf(ctx):
    p = ctx.path("plain.conf")
    with open(p, "w") as f:
        f.write("scrub_interval = 0\n")
    return p
