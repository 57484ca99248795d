"""The web console on the admin listener (issue 13): its endpoints over plain HTTP (login
refused with a bad secret, cookie flags, session expiry and logout, the API refusing
without a session or without the console's header, the security headers, presigned URLs
that act as the session's user and nobody else, CORS on the S3 listener for the console's
origin only, console = off), then the whole workflow in headless Chromium driven by
playwright-core (tests/console/e2e.js): log in (a wrong secret refused), create a bucket,
upload, the SHA-256 shown equals the file's, download, a share link fetched, lifecycle
rules as a table, delete, log out. Its screenshots are copied to build/console-screenshots/
(the path is printed). Without /usr/bin/chromium, node or npm the browser test SKIPs, saying
so; it never passes without running."""

import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse

import harness
from harness import Skip, check, eq, free_port, posix_home_only, rand_bytes, timeout, uid

SERVER = False
PLAYWRIGHT = "playwright-core@1.56.1"  # pinned; Chromium is Debian's, not playwright's
NODE_DIR = os.environ.get("STRATA_CONSOLE_NODE_DIR",
                          os.path.expanduser("~/.cache/strata-console-test"))
CHROMIUM = os.environ.get("STRATA_CHROMIUM", "/usr/bin/chromium")
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def _server(ctx, conf_text=""):
    port = free_port()
    conf = ctx.path(f"console-{port}.conf")
    with open(conf, "w") as f:
        f.write(f"admin_listen = 127.0.0.1:{port}\nscrub_interval = 0\n"
                f"lifecycle_interval = 0\n{conf_text}")
    srv = ctx.new_server(extra_args=["--config", conf])
    deadline = time.time() + 10
    while True:  # the admin listener starts after the S3 one
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.time() > deadline:
                raise AssertionError("the admin listener did not start")
            time.sleep(0.05)
    return srv, port


def _req(port, method, path, body=None, headers=None, console=True):
    """(status, headers {lowercase: value}, body bytes) from the admin listener."""
    h = dict(headers or {})
    if console:
        h["X-Strata-Console"] = "1"
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body)
        h["Content-Type"] = "application/x-www-form-urlencoded"
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def _login_from(port, source, access, secret):
    """(status, body) of a login sent from another loopback address (127.0.0.0/8 is ours)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(source, 0))
    try:
        c.request("POST", "/console/api/login",
                  urllib.parse.urlencode({"access_key": access, "secret": secret}),
                  {"X-Strata-Console": "1",
                   "Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def _url(url, method="GET", body=None, headers=None):
    """(status, headers, body) of an absolute URL (the S3 listener)."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=15)
    try:
        c.request(method, u.path + ("?" + u.query if u.query else ""), body=body,
                  headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def _login(port, access, secret):
    """The session cookie ("strata_console=HEX") of a good login."""
    status, h, body = _req(port, "POST", "/console/api/login",
                           {"access_key": access, "secret": secret})
    eq(status, 200, f"login ({body!r})")
    return h["set-cookie"].split(";")[0]


def _presign(port, cookie, op, bucket, keys=(), **extra):
    form = [("op", op), ("bucket", bucket)] + [("key", k) for k in keys] + list(extra.items())
    status, _, body = _req(port, "POST", "/console/api/presign", urllib.parse.urlencode(form),
                           {"Cookie": cookie,
                            "Content-Type": "application/x-www-form-urlencoded"})
    eq(status, 200, f"presign {op} ({body!r})")
    return json.loads(body)["urls"]


def test_login_refused(ctx):
    srv, port = _server(ctx)
    for ak, sk, what in ((srv.access, srv.secret + "x", "a wrong secret"),
                         (srv.access, srv.secret[:-1], "a prefix of the secret"),
                         ("NOSUCHKEY", srv.secret, "an unknown access key"),
                         (srv.access, "", "an empty secret")):
        status, h, body = _req(port, "POST", "/console/api/login",
                               {"access_key": ak, "secret": sk})
        eq(status, 403, f"login with {what}")
        check("set-cookie" not in h, f"no cookie for {what}")
        check(srv.secret.encode() not in body, "the secret is not echoed")
    status, _, _ = _req(port, "POST", "/console/api/login", {"access_key": srv.access})
    eq(status, 400, "login without a secret")
    status, _, _ = _req(port, "POST", "/console/api/login",
                        {"access_key": srv.access, "secret": srv.secret}, console=False)
    eq(status, 403, "login without X-Strata-Console (a cross-site form post)")
    status, _, _ = _req(port, "POST", "/console/api/login",
                        "secret=" + "a" * (70 * 1024),
                        {"Content-Type": "application/x-www-form-urlencoded"})
    eq(status, 413, "a login body over the cap")


def test_login_throttled(ctx):
    srv, port = _server(ctx)
    for i in range(10):
        eq(_login_from(port, "127.0.0.3", srv.access, "wrong")[0], 403, f"failed login {i + 1}")
    status, body = _login_from(port, "127.0.0.3", srv.access, srv.secret)
    eq(status, 429, "the 11th try within a minute, even with the right secret")
    check(b"try again in" in body, f"says when: {body!r}")
    eq(_login_from(port, "127.0.0.4", srv.access, srv.secret)[0], 200,
       "another address is not throttled")
    eq(_login(port, srv.access, srv.secret)[:15], "strata_console=", "nor is 127.0.0.1")


def test_cookie_flags_session_and_logout(ctx):
    srv, port = _server(ctx)
    status, h, body = _req(port, "POST", "/console/api/login",
                           {"access_key": srv.access, "secret": srv.secret})
    eq(status, 200, "login")
    eq(json.loads(body), {"user": "root"}, "login answer names the user, no secret")
    cookie = h["set-cookie"]
    parts = [p.strip() for p in cookie.split(";")]
    name, _, token = parts[0].partition("=")
    eq(name, "strata_console", "cookie name")
    eq(len(token), 64, "a 256-bit token in hex")
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/console/", "Max-Age=3600"):
        check(flag in parts, f"cookie has {flag}: {cookie}")
    status, _, body = _req(port, "GET", "/console/api/session", headers={"Cookie": parts[0]})
    eq(status, 200, "session with the cookie")
    info = json.loads(body)
    eq(info["user"], "root", "session user")
    eq(info["endpoint"], srv.endpoint, "the S3 endpoint the page uses")
    check("secret" not in body.decode().lower() and srv.secret not in body.decode(),
          "the session answer holds no secret")
    status, _, _ = _req(port, "GET", "/console/api/session", headers={"Cookie": parts[0]},
                        console=False)
    eq(status, 403, "the API without X-Strata-Console")
    status, h, _ = _req(port, "POST", "/console/api/logout", {}, {"Cookie": parts[0]})
    eq(status, 200, "logout")
    check("Max-Age=0" in h.get("set-cookie", ""), "logout clears the cookie")
    status, _, _ = _req(port, "GET", "/console/api/session", headers={"Cookie": parts[0]})
    eq(status, 401, "the token is dead after logout")


def test_session_expiry(ctx):
    srv, port = _server(ctx, "console_session_ttl = 2\n")
    cookie = _login(port, srv.access, srv.secret)
    eq(_req(port, "GET", "/console/api/session", headers={"Cookie": cookie})[0], 200,
       "fresh session")
    time.sleep(3.2)
    eq(_req(port, "GET", "/console/api/session", headers={"Cookie": cookie})[0], 401,
       "expired session")
    status, _, _ = _req(port, "POST", "/console/api/presign",
                        {"op": "list", "bucket": "abc"}, {"Cookie": cookie})
    eq(status, 401, "an expired session signs nothing")


def test_api_refuses_without_session(ctx):
    srv, port = _server(ctx)
    forged = "strata_console=" + "0" * 64
    for method, path, body in (("GET", "/console/api/buckets", None),
                               ("GET", "/console/api/session", None),
                               ("GET", "/console/api/history", None),
                               ("POST", "/console/api/presign", {"op": "list", "bucket": "abc"})):
        for headers in ({}, {"Cookie": forged}, {"Cookie": "strata_console=zz"}):
            status, _, body_out = _req(port, method, path, body, headers)
            eq(status, 401, f"{method} {path} with {headers or 'no cookie'}")
            check(b"error" in body_out, "a JSON error")


def test_history(ctx):
    """/console/api/history: the server's samples (dashboard.h), the stored bytes per class
    among them once a usage pass ran (the request itself asks for one)."""
    srv, port = _server(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("hist", client=s3)
    s3.put_object(Bucket=b, Key="k", Body=b"x" * 1234)
    cookie = _login(port, srv.access, srv.secret)
    status, h, body = _req(port, "GET", "/console/api/history", None, {"Cookie": cookie})
    eq(status, 200, f"history ({body!r})")
    eq(h.get("cache-control"), "no-store", "not cached")
    doc = json.loads(body)
    eq(doc["step"], 10, "fine step")
    eq(doc["coarse_step"], 60, "coarse step")
    eq(doc["classes"], ["STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "STANDARD"],
       "classes in metrics' order")
    check(len(doc["fine"]) >= 1 and len(doc["coarse"]) >= 1, "a sample from start-up")
    for key in ("t", "usage", "objects", "bytes", "noncurrent_bytes", "repl_depth",
                "repl_lag_seconds", "requests", "client_errors", "server_errors",
                "scrub_passes", "scrub_objects", "scrub_problems", "scrub_last_pass"):
        check(key in doc["fine"][-1], f"sample field {key}")
    if harness.HOME is not None:
        return  # the s3 home reports no storage usage
    deadline = time.time() + 40  # a pass within 5 s, in the next 10 s sample
    while time.time() < deadline:
        doc = json.loads(_req(port, "GET", "/console/api/history", None,
                              {"Cookie": cookie})[2])
        if doc["fine"][-1]["bytes"][4] == 1234:
            break
        time.sleep(1)
    last = doc["fine"][-1]
    eq(last["bytes"][4], 1234, "STANDARD bytes in the newest sample")
    eq(last["objects"][4], 1, "STANDARD objects")
    check(last["usage"] and last["requests"] >= 2, "usage known, requests counted")


def test_security_headers(ctx):
    srv, port = _server(ctx)
    status, h, _ = _req(port, "GET", "/", console=False)
    eq(status, 302, "/ redirects")
    eq(h["location"], "/console/", "to the console")
    for path, ctype in (("/console/", "text/html"), ("/console/app.js", "text/javascript"),
                        ("/console/style.css", "text/css")):
        status, h, body = _req(port, "GET", path, console=False)
        eq(status, 200, path)
        check(h["content-type"].startswith(ctype), f"{path} type {h['content-type']}")
        check(len(body) > 500, f"{path} is the embedded file")
        csp = h.get("content-security-policy", "")
        for d in ("default-src 'self'", "frame-ancestors 'none'",
                  f"connect-src 'self' {srv.endpoint}", "script-src 'self'"):
            check(d in csp, f"CSP of {path} has {d}: {csp}")
        eq(h.get("x-content-type-options"), "nosniff", f"nosniff on {path}")
        check("cache-control" in h, f"Cache-Control on {path}")
    status, h, _ = _req(port, "GET", "/console/api/session")
    check("content-security-policy" in h, "CSP on API answers too")
    eq(h.get("cache-control"), "no-store", "API answers are not stored")
    eq(_req(port, "GET", "/console/nothing.js", console=False)[0], 404, "unknown file")
    # The page itself: no outside resources, no inline script.
    html = _req(port, "GET", "/console/", console=False)[2].decode()
    check("http://" not in html and "https://" not in html, "no outside URL in the page")
    check("<script>" not in html and "onclick" not in html, "no inline script")


def test_presign_acts_as_the_user(ctx):
    srv, port = _server(ctx)
    s3 = ctx.client(srv)
    mine = ctx.bucket("mine", client=s3)
    s3.put_object(Bucket=mine, Key="a/one", Body=b"1" * 10)
    s3.put_object(Bucket=mine, Key="two", Body=b"2" * 20, StorageClass="STANDARD_IA")
    s3.put_object(Bucket=mine, Key="three", Body=b"3" * 5)
    ak2, sk2 = _add_user(ctx, srv, "alice")
    s3b = ctx.client(srv, ak2, sk2)
    theirs = ctx.bucket("theirs", client=s3b)
    s3b.put_object(Bucket=theirs, Key="secret-study", Body=b"x")

    cookie = _login(port, srv.access, srv.secret)
    status, _, body = _req(port, "GET", "/console/api/buckets", headers={"Cookie": cookie})
    eq(status, 200, "bucket summary")
    data = json.loads(body)
    names = [b["name"] for b in data["buckets"]]
    check(mine in names and theirs not in names, f"only root's buckets: {names}")
    b = next(x for x in data["buckets"] if x["name"] == mine)
    eq((b["objects"], b["bytes"], b["truncated"]), (3, 35, False), "objects and bytes")
    eq({c["class"]: (c["objects"], c["bytes"]) for c in b["classes"]},
       {"STANDARD": (2, 15), "STANDARD_IA": (1, 20)}, "per storage class")

    # Root's session signs root's URLs: alice's bucket answers 403 on the S3 listener.
    url = _presign(port, cookie, "list", theirs, prefix="")[0]
    eq(_url(url)[0], 403, "root's signed listing of alice's bucket")
    url = _presign(port, cookie, "list", mine, prefix="")[0]
    status, _, listing = _url(url)
    eq(status, 200, "listing of root's bucket")
    check(b"<Prefix>a/</Prefix>" in listing and b"<Key>two</Key>" in listing,
          "Delimiter=/ listing")
    heads = _presign(port, cookie, "head", mine, keys=["two", "three"])
    eq(len(heads), 2, "one URL per key")
    status, h, _ = _url(heads[0], "HEAD")
    eq(status, 200, "HEAD")
    eq(h.get("x-strata-sha256"), hashlib.sha256(b"2" * 20).hexdigest(), "SHA-256 header")
    # alice's session, the other way round.
    cookie2 = _login(port, ak2, sk2)
    url = _presign(port, cookie2, "get", theirs, keys=["secret-study"])[0]
    status, h, got = _url(url)
    eq((status, got), (200, b"x"), "alice downloads her object")
    check("attachment" in h.get("content-disposition", ""), "download as attachment")
    url = _presign(port, cookie2, "delete", mine, keys=["two"])[0]
    eq(_url(url, "DELETE")[0], 403, "alice cannot delete root's object")
    # Only the fixed operations, valid names, a bounded expiry.
    for form, what in (({"op": "copy", "bucket": mine}, "an unknown op"),
                       ({"op": "list", "bucket": "Bad_Bucket"}, "a bad bucket name"),
                       ({"op": "get", "bucket": mine}, "an object op without a key"),
                       ({"op": "share", "bucket": mine, "key": "two", "expires": "604801"},
                        "a share link over 7 days")):
        eq(_req(port, "POST", "/console/api/presign", form, {"Cookie": cookie})[0], 400, what)
    url = _presign(port, cookie, "share", mine, keys=["three"], expires="60")[0]
    check("X-Amz-Expires=60&" in url, "share expiry signed")
    eq(_url(url)[2], b"3" * 5, "share link works without any session")
    # A user removed since the login: the session signs nothing more.
    from harness import run_strata
    run_strata(ctx.binary, ["user", "remove", "alice", "--data", srv.data_dir])
    time.sleep(1.1)  # the store reloads at most once a second
    status, _, _ = _req(port, "POST", "/console/api/presign",
                        {"op": "list", "bucket": theirs}, {"Cookie": cookie2})
    eq(status, 401, "a removed user's session")


def _add_user(ctx, srv, name):
    from harness import add_user
    keys = add_user(ctx.binary, srv.data_dir, name)
    time.sleep(1.1)  # the server notices a new credentials file at most once a second
    return keys


def test_cors_only_for_the_console_origin(ctx):
    srv, port = _server(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("cors", client=s3)
    s3.put_object(Bucket=b, Key="k", Body=b"data")
    cookie = _login(port, srv.access, srv.secret)
    url = _presign(port, cookie, "get", b, keys=["k"])[0]
    put = _presign(port, cookie, "put", b, keys=["new"])[0]
    mine = f"http://127.0.0.1:{port}"
    for origin in (mine, f"http://localhost:{port}"):
        status, h, _ = _url(put, "OPTIONS", headers={
            "Origin": origin, "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type"})
        eq(status, 200, f"preflight from {origin}")
        eq(h.get("access-control-allow-origin"), origin, "allowed origin echoed, never *")
        check("access-control-allow-credentials" not in h, "no credentials")
        status, h, _ = _url(url, headers={"Origin": origin})
        eq(status, 200, "presigned GET")
        eq(h.get("access-control-allow-origin"), origin, "ACAO on the presigned GET")
        expose = h.get("access-control-expose-headers", "").lower()
        for name in ("etag", "x-strata-sha256", "x-amz-version-id", "x-strata-last-verified"):
            check(name in expose, f"{name} exposed: {expose}")
    for origin in ("http://evil.example", f"http://127.0.0.1:{port + 1}", "null"):
        status, h, _ = _url(put, "OPTIONS", headers={
            "Origin": origin, "Access-Control-Request-Method": "PUT"})
        eq(status, 403, f"preflight from {origin} (the bucket has no CORS rules)")
        status, h, _ = _url(url, headers={"Origin": origin})
        check("access-control-allow-origin" not in h, f"no ACAO for {origin}")
    # Header-signed requests (not the console's) get only the bucket's own rules.
    import botocore.awsrequest  # noqa: F401 - boto3 is the harness's client
    ev = s3.meta.events

    def add_origin(request, **kw):
        request.headers["Origin"] = mine
    ev.register("before-send.s3.GetObject", add_origin)
    try:
        r = s3.get_object(Bucket=b, Key="k")
        check("access-control-allow-origin" not in r["ResponseMetadata"]["HTTPHeaders"],
              "no console CORS on a header-signed request")
    finally:
        ev.unregister("before-send.s3.GetObject", add_origin)


@posix_home_only("archive tiers and restores are not built on the s3 home")
def test_restore_from_archive(ctx):
    glacier = ctx.path("glacier")
    srv, port = _server(ctx, f"tier_GLACIER = {glacier}\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("archive", client=s3)
    s3.put_object(Bucket=b, Key="study.dcm", Body=b"d" * 1000, StorageClass="GLACIER")
    cookie = _login(port, srv.access, srv.secret)
    data = json.loads(_req(port, "GET", "/console/api/buckets", headers={"Cookie": cookie})[2])
    sums = {x["name"]: x for x in data["buckets"]}
    eq([(c["class"], c["objects"], c["bytes"]) for c in sums[b]["classes"]],
       [("GLACIER", 1, 1000)], "the archive class in the summary")
    url = _presign(port, cookie, "restore", b, keys=["study.dcm"])[0]
    check("restore=" in url, "the restore sub-resource is signed")
    origin = f"http://127.0.0.1:{port}"
    status, h, _ = _url(url, "OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    eq(status, 200, "preflight of the restore")
    body = (b'<RestoreRequest xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            b'<Days>3</Days></RestoreRequest>')
    status, h, out = _url(url, "POST", body,
                          {"Origin": origin, "Content-Type": "application/xml"})
    eq(status, 202, f"RestoreObject through a console URL ({out!r})")
    eq(h.get("access-control-allow-origin"), origin, "readable by the page")
    head = _presign(port, cookie, "head", b, keys=["study.dcm"])[0]
    h = _url(head, "HEAD", headers={"Origin": origin})[1]
    check("ongoing-request" in h.get("x-amz-restore", ""), f"restore under way: {h}")
    eq(h.get("x-amz-storage-class"), "GLACIER", "storage class header")


def test_configured_origin(ctx):
    srv, port = _server(ctx, "console_origin = https://console.example:8443\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("cfg", client=s3)
    s3.put_object(Bucket=b, Key="k", Body=b"data")
    cookie = _login(port, srv.access, srv.secret)
    url = _presign(port, cookie, "get", b, keys=["k"])[0]
    h = _url(url, headers={"Origin": "https://console.example:8443"})[1]
    eq(h.get("access-control-allow-origin"), "https://console.example:8443", "configured origin")
    h = _url(url, headers={"Origin": f"http://127.0.0.1:{port}"})[1]
    check("access-control-allow-origin" not in h, "the default is replaced, not extended")


def test_console_off(ctx):
    srv, port = _server(ctx, "console = off\n")
    eq(_req(port, "GET", "/console/", console=False)[0], 404, "no console")
    eq(_req(port, "GET", "/health/live", console=False)[0], 200, "the rest of the listener")


# ---------------------------------------------------------------- the browser

def _playwright():
    """NODE_PATH holding playwright-core (installed once into NODE_DIR), or Skip."""
    if not os.access(CHROMIUM, os.X_OK):
        raise Skip(f"BROWSER TEST NOT RUN: no {CHROMIUM} (scripts/deps.sh test installs "
                   "Debian's chromium)")
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise Skip("BROWSER TEST NOT RUN: node or npm missing (scripts/deps.sh test)")
    mods = os.path.join(NODE_DIR, "node_modules")
    if not os.path.isdir(os.path.join(mods, "playwright-core")):
        os.makedirs(NODE_DIR, exist_ok=True)
        r = subprocess.run([npm, "install", "--prefix", NODE_DIR, "--no-audit", "--no-fund",
                            PLAYWRIGHT], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise Skip(f"BROWSER TEST NOT RUN: npm install {PLAYWRIGHT} failed: "
                       f"{r.stderr.strip()[-300:]}")
    return node, mods


@timeout(240)
def test_browser_workflow(ctx):
    node, mods = _playwright()
    srv, port = _server(ctx)
    s3 = ctx.client(srv)
    rules_bucket = ctx.bucket("rules", client=s3)
    s3.put_bucket_lifecycle_configuration(Bucket=rules_bucket, LifecycleConfiguration={
        "Rules": [{"ID": "keep-90", "Filter": {"Prefix": "scans/"}, "Status": "Enabled",
                   "Expiration": {"Days": 90}}]})
    for key in ("scans/a.dcm", "scans/b.dcm", "top.txt"):
        s3.put_object(Bucket=rules_bucket, Key=key, Body=key.encode())
    stored = sum(len(k) for k in ("scans/a.dcm", "scans/b.dcm", "top.txt"))  # < 1 KiB
    data = rand_bytes(300 * 1024 + 7)
    upload = ctx.path("study-0001.dcm")
    with open(upload, "wb") as f:
        f.write(data)
    shots = ctx.path("screenshots")
    os.makedirs(shots, exist_ok=True)
    env = dict(os.environ, NODE_PATH=mods, CONSOLE_URL=f"http://127.0.0.1:{port}",
               ACCESS=srv.access, SECRET=srv.secret, UPLOAD=upload,
               UPLOAD_SHA256=hashlib.sha256(data).hexdigest(), BUCKET=f"web-{uid(8).lower()}",
               RULES_BUCKET=rules_bucket, SHOTS=shots, CHROMIUM=CHROMIUM,
               STORED="" if harness.HOME is not None else f"{stored} B")
    r = subprocess.run([node, os.path.join(TOP, "tests", "console", "e2e.js")], env=env,
                       capture_output=True, text=True, timeout=150)
    keep = os.path.join(TOP, "build", "console-screenshots")
    try:
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(shots, keep)
        print(f"console screenshots: {keep}")
    except OSError as e:
        print(f"console screenshots left in {shots} ({e})")
    check(r.returncode == 0, f"e2e.js failed:\n{r.stdout[-1500:]}\n{r.stderr[-1500:]}")
    check(r.stdout.strip().endswith("ok"), f"e2e.js did not finish: {r.stdout[-500:]}")
    eq(sorted(os.listdir(shots))[:1], ["01-login.png"], "screenshots taken")
