"""The `strata` command line: --version, --help, serve flags and config file,
user add/list/remove, presign, and the root keys of the first start."""

import http.client
import os
import re
import stat
import subprocess
import time
import urllib.parse
import urllib.error
import urllib.request

from botocore.exceptions import BotoCoreError, ClientError

from harness import (Server, TestFailure, add_user, check, eq, expect_error, files_under,
                     free_port, parse_error, parse_keys, rand_bytes, random_keys, run_strata,
                     s3_client, same_bytes, wait_until)
from harness import posix_home_only

SERVER = False  # every test here starts the servers it needs


def test_version(ctx):
    p = run_strata(ctx.binary, ["--version"])
    eq(p.returncode, 0, f"`strata --version` exit status ({p.stderr.strip()})")
    check(re.search(r"\bstrata\b.*\d+\.\d+", p.stdout, re.I), f"version output {p.stdout!r}")


def test_help(ctx):
    p = run_strata(ctx.binary, ["--help"])
    eq(p.returncode, 0, "`strata --help` exit status")
    for word in ("serve", "user", "presign", "--version"):
        check(word in p.stdout, f"`strata --help` does not mention {word}: {p.stdout!r}")
    p = run_strata(ctx.binary, ["serve", "--help"])
    eq(p.returncode, 0, "`strata serve --help` exit status")
    for word in ("--listen", "--data", "--config", "--domain", "STRATA_ROOT_ACCESS_KEY"):
        check(word in p.stdout, f"`strata serve --help` does not mention {word}")
    for args in (["user", "--help"], ["user", "add", "--help"], ["presign", "--help"]):
        p = run_strata(ctx.binary, args)
        eq(p.returncode, 0, f"`strata {' '.join(args)}` exit status")
        check("Usage" in p.stdout or "usage" in p.stdout, f"`strata {' '.join(args)}` output")


def test_usage_errors(ctx):
    for args in (["frobnicate"], ["serve", "--no-such-flag"], ["user", "add"],
                 ["user", "explode", "x"], ["presign"], ["serve", "--listen"]):
        p = run_strata(ctx.binary, args, timeout=10)
        check(p.returncode != 0, f"`strata {' '.join(args)}` exited 0")
        check(p.stderr.strip(), f"`strata {' '.join(args)}` printed no error")


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_user_add_list_remove(ctx):
    data = ctx.path("data")
    os.makedirs(data)
    ak, sk = add_user(ctx.binary, data, "alice")
    creds = os.path.join(data, "credentials")
    check(os.path.exists(creds), "no DATA/credentials after `user add`")
    eq(oct(_mode(creds)), oct(0o600), "mode of DATA/credentials")
    p = run_strata(ctx.binary, ["user", "list", "--data", data])
    eq(p.returncode, 0, "`user list` exit status")
    check("alice" in p.stdout and ak in p.stdout, f"`user list` output {p.stdout!r}")
    check(sk not in p.stdout, "`user list` prints secret keys")
    p = run_strata(ctx.binary, ["user", "add", "--data", data, "alice"])
    check(p.returncode != 0, "adding alice twice succeeded")
    p = run_strata(ctx.binary, ["user", "add", "--data", data, "bad name!"])
    check(p.returncode != 0, "a user name with a space and '!' was accepted")
    bk, bs = "BOBKEY1234567890ABCD", "bob-secret-0123456789-abcdefghij"
    p = run_strata(ctx.binary, ["user", "add", "--data", data, "bob", "--access-key", bk,
                                "--secret-key", bs])
    eq(p.returncode, 0, f"`user add --access-key --secret-key`: {p.stderr.strip()}")
    srv = ctx.new_server(data_dir=data)
    alice = s3_client(srv.endpoint, ak, sk)
    b = ctx.name("alice")
    alice.create_bucket(Bucket=b)
    alice.put_object(Bucket=b, Key="k", Body=b"alice")
    bob = s3_client(srv.endpoint, bk, bs)
    check(b not in [x["Name"] for x in bob.list_buckets()["Buckets"]], "bob sees alice's bucket")
    # Removing alice while the server runs: her key stops working (picked up live).
    p = run_strata(ctx.binary, ["user", "remove", "--data", data, "alice"])
    eq(p.returncode, 0, f"`user remove`: {p.stderr.strip()}")
    p = run_strata(ctx.binary, ["user", "list", "--data", data])
    check("alice" not in p.stdout, f"alice still listed: {p.stdout!r}")

    def denied():
        try:
            alice.list_buckets()
            return False
        except ClientError as e:
            return e.response["Error"]["Code"] == "InvalidAccessKeyId"
    if not wait_until(denied, timeout=5, step=0.25):
        srv.restart()
        alice = s3_client(srv.endpoint, ak, sk)
        expect_error(lambda: alice.list_buckets(), "InvalidAccessKeyId", 403)
        raise TestFailure("a removed user's key kept working until the server restarted")
    p = run_strata(ctx.binary, ["user", "remove", "--data", data, "alice"])
    check(p.returncode != 0, "removing a missing user succeeded")
    # Added while the server runs: picked up too.
    ck, cs = add_user(ctx.binary, data, "carol")
    carol = s3_client(srv.endpoint, ck, cs)
    ok = wait_until(lambda: _works(carol), timeout=5, step=0.25)
    check(ok, "a user added while the server runs was not picked up within 5 s")


def _works(client):
    try:
        client.list_buckets()
        return True
    except (ClientError, BotoCoreError):
        return False


def test_presign_command(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("cli", client=s3)
    data = rand_bytes(50_000)
    key = "dir/a file+ключ.bin"
    s3.put_object(Bucket=b, Key=key, Body=data)
    base = ["presign", "--data", srv.data_dir, "--endpoint", srv.endpoint]
    p = run_strata(ctx.binary, base + [f"s3://{b}/{key}"])
    eq(p.returncode, 0, f"`strata presign`: {p.stderr.strip()}")
    url = p.stdout.strip()
    check(url.startswith(srv.endpoint + "/"), f"presign URL {url!r}")
    with urllib.request.urlopen(url, timeout=30) as r:
        same_bytes(r.read(), data, "GET through `strata presign`")
    # PUT
    p = run_strata(ctx.binary, base + ["--method", "PUT", f"s3://{b}/uploaded"])
    eq(p.returncode, 0, "`strata presign --method PUT`")
    u = urllib.parse.urlsplit(p.stdout.strip())
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request("PUT", u.path + "?" + u.query, body=b"via presigned put")
    r = conn.getresponse()
    body = r.read()
    conn.close()
    eq(r.status, 200, f"presigned PUT ({body[:200]!r})")
    eq(s3.get_object(Bucket=b, Key="uploaded")["Body"].read(), b"via presigned put", "PUT object")
    # Expiry
    p = run_strata(ctx.binary, base + ["--expires", "1", f"s3://{b}/{key}"])
    eq(p.returncode, 0, "`strata presign --expires 1`")
    time.sleep(2.5)
    try:
        urllib.request.urlopen(p.stdout.strip(), timeout=30)
        raise TestFailure("an expired `strata presign` URL still works")
    except urllib.error.HTTPError as e:
        eq(e.code, 403, "status of an expired URL")
        eq(parse_error(e.read()).get("Message"), "Request has expired", "message")
    p = run_strata(ctx.binary, base + ["--expires", "604801", f"s3://{b}/{key}"])
    check(p.returncode != 0, "`--expires 604801` accepted")
    p = run_strata(ctx.binary, base + ["--user", "nobody", f"s3://{b}/{key}"])
    check(p.returncode != 0, "presign for a missing user succeeded")


def test_first_start_generates_keys(ctx):
    data = ctx.path("data")
    srv = ctx.new_server(start=False, data_dir=data, env_keys=False)
    srv.start()
    out = wait_until(lambda: parse_keys(srv.output())[1] and srv.output(), timeout=5)
    check(out, f"first start printed no keys: {srv.output()[-500:]!r}")
    ak, sk = parse_keys(out)
    check(ak and sk, f"keys in the first-start output: {out!r}")
    creds = os.path.join(data, "credentials")
    check(os.path.exists(creds), "no DATA/credentials after the first start")
    eq(oct(_mode(creds)), oct(0o600), "mode of DATA/credentials")
    holders = [f for f in files_under(data) if sk.encode() in open(f, "rb").read()]
    check(holders, "the secret is stored nowhere in the data dir")
    loose = [f for f in holders if _mode(f) & 0o077]
    eq(loose, [], "files holding the secret readable by others")
    s3 = s3_client(srv.endpoint, ak, sk)
    b = ctx.name("first")
    s3.create_bucket(Bucket=b)
    with open(creds, "rb") as f:
        before = f.read()
    srv.stop()
    srv.start()
    time.sleep(0.3)
    out2 = srv.output()
    check(sk not in out2, "the second start printed the secret again")
    a2, s2 = parse_keys(out2)
    check(s2 is None, f"the second start printed a new secret: {out2!r}")
    check(a2 in (None, ak), f"the second start printed another access key: {a2}")
    with open(creds, "rb") as f:
        eq(f.read(), before, "DATA/credentials changed on the second start")
    s3 = s3_client(srv.endpoint, ak, sk)
    check(b in [x["Name"] for x in s3.list_buckets()["Buckets"]], "keys after restart")
    # Another fresh data dir gets other keys: no well-known default.
    other = ctx.new_server(start=False, env_keys=False)
    other.start()
    out3 = wait_until(lambda: parse_keys(other.output())[1] and other.output(), timeout=5)
    a3, s3k = parse_keys(out3 or "")
    check(a3 and a3 != ak and s3k != sk, "two fresh data dirs got the same keys")


def test_env_keys_replace_root(ctx):
    srv = ctx.new_server()
    old_ak, old_sk = srv.access, srv.secret
    s3 = ctx.client(srv)
    b = ctx.bucket("env", client=s3)
    srv.stop()
    srv.access, srv.secret = random_keys()
    srv.start()
    s3 = s3_client(srv.endpoint, srv.access, srv.secret)
    check(b in [x["Name"] for x in s3.list_buckets()["Buckets"]],
          "root's bucket not visible with root's new keys")
    old = s3_client(srv.endpoint, old_ak, old_sk)
    expect_error(lambda: old.list_buckets(), "InvalidAccessKeyId", 403)


def test_only_one_env_key(ctx):
    data = ctx.path("data")
    port = free_port()
    try:
        p = subprocess.run([ctx.binary, "serve", "--listen", f"127.0.0.1:{port}", "--data", data],
                           env=dict(os.environ, STRATA_ROOT_ACCESS_KEY="AKONLYTHEACCESSKEY"),
                           capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        raise TestFailure("serve with only STRATA_ROOT_ACCESS_KEY set kept running")
    check(p.returncode != 0, "serve with only one of the two key variables exited 0")
    check("STRATA_ROOT_SECRET_KEY" in p.stderr, f"error message {p.stderr.strip()!r}")


def _serve_expect_exit(ctx, args, timeout_s=10):
    env = dict(os.environ)
    ak, sk = random_keys()
    env.update(STRATA_ROOT_ACCESS_KEY=ak, STRATA_ROOT_SECRET_KEY=sk)
    try:
        return subprocess.run([ctx.binary, "serve"] + args, env=env, capture_output=True,
                              text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"`strata serve {' '.join(args)}` kept running")


def test_bad_config_line(ctx):
    cfg = ctx.path("strata.conf")
    with open(cfg, "w") as f:
        f.write("# a comment\nlisten = 127.0.0.1:1\n\nlistne = 127.0.0.1:2\n")
    p = _serve_expect_exit(ctx, ["--config", cfg, "--data", ctx.path("d")])
    check(p.returncode != 0, "a config with an unknown key was accepted")
    check(f"{cfg}:4" in p.stderr, f"error does not name file and line ({cfg}:4): {p.stderr!r}")
    check("listne" in p.stderr, f"error does not name the key: {p.stderr!r}")
    with open(cfg, "w") as f:
        f.write("max_connections = lots\n")
    p = _serve_expect_exit(ctx, ["--config", cfg, "--data", ctx.path("d")])
    check(p.returncode != 0 and f"{cfg}:1" in p.stderr, f"bad value: {p.stderr!r}")
    p = _serve_expect_exit(ctx, ["--config", ctx.path("missing.conf"), "--data", ctx.path("d")])
    check(p.returncode != 0 and "missing.conf" in p.stderr, f"missing config: {p.stderr!r}")


@posix_home_only("it starts a server from a config file alone, without the home's keys")
def test_config_file_and_flag_override(ctx):
    port1, port2 = free_port(), free_port()
    data = ctx.path("cfgdata")
    cfg = ctx.path("strata.conf")
    with open(cfg, "w") as f:
        f.write(f'listen = 127.0.0.1:{port1}\ndata = "{data}"\nregion = eu-central-1\n')
    srv = Server(ctx.binary, data, ctx.logdir, extra_args=["--config", cfg],
                 name=f"{ctx.test_name}.cfg")
    ctx.extra_servers.append(srv)
    # Server.start passes --listen/--data itself: the flags must win over the file.
    srv.start(port=port2)
    s3 = s3_client(srv.endpoint, srv.access, srv.secret, region="eu-central-1")
    b = ctx.name("cfg")
    s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    eq(s3.get_bucket_location(Bucket=b).get("LocationConstraint"), "eu-central-1",
       "region from the config file")
    srv.stop()
    # Only the config file: it listens where the file says.
    env = dict(os.environ, STRATA_ROOT_ACCESS_KEY=srv.access, STRATA_ROOT_SECRET_KEY=srv.secret)
    log = open(ctx.path("cfgonly.log"), "wb")
    proc = subprocess.Popen([ctx.binary, "serve", "--config", cfg], env=env, stdout=log,
                            stderr=log, stdin=subprocess.DEVNULL)
    try:
        s3 = s3_client(f"http://127.0.0.1:{port1}", srv.access, srv.secret,
                       region="eu-central-1")
        ok = wait_until(lambda: _works(s3), timeout=10, step=0.2)
        check(ok, "server from the config file alone does not answer on its listen address")
        check(b in [x["Name"] for x in s3.list_buckets()["Buckets"]], "data dir from config")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_port_in_use(ctx):
    srv = ctx.new_server()
    p = _serve_expect_exit(ctx, ["--listen", f"127.0.0.1:{srv.port}", "--data", ctx.path("d2")])
    check(p.returncode != 0, "a second server on a busy port exited 0")
    check(p.stderr.strip(), "no error message for a busy port")
    check(srv.alive(), "the first server died")
