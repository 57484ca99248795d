"""Running under load and stopping cleanly (issue 9): a slowloris client is cut
off, per-client and header/metadata caps, 1,000 connections held while requests
still succeed, and SIGTERM: requests in flight finish, stragglers are aborted
with nothing half-written."""

import os
import resource
import signal
import socket
import time
import urllib.error
import urllib.request

from harness import (Skip, TestFailure, check, eq, expect_error, free_port, md5_hex, object_bytes,
                     rand_bytes, same_bytes, timeout, wait_until)
from harness import open_signed_put, posix_home_only

SERVER = False
MiB = 1024 * 1024


def _server(ctx, conf_text=""):
    """A private server with an admin listener and the given config lines."""
    port = free_port()
    conf = ctx.path(f"limits-{port}.conf")
    with open(conf, "w") as f:
        f.write(f"admin_listen = 127.0.0.1:{port}\nscrub_interval = 0\n{conf_text}")
    srv = ctx.new_server(extra_args=["--config", conf])
    return srv, f"http://127.0.0.1:{port}"


def _admin_get(admin, path):
    try:
        with urllib.request.urlopen(admin + path, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _metric(admin, name):
    status, text = _admin_get(admin, "/metrics")
    eq(status, 200, "/metrics status")
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise TestFailure(f"{name} not in /metrics")


def _closed_within(sock, seconds, trickle=None):
    """True if the server closes sock within seconds (sending trickle every 0.5 s)."""
    sock.settimeout(0.5)
    end = time.time() + seconds
    while time.time() < end:
        try:
            if trickle:
                sock.sendall(trickle)
            if sock.recv(4096) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:  # reset or broken pipe: cut as well
            return True
    return False


def _anonymous_get(sock):
    """One anonymous keep-alive GET / on sock; returns the status line."""
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        c = sock.recv(65536)
        if not c:
            raise TestFailure(f"connection closed before a reply: {data!r}")
        data += c
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += sock.recv(65536)
    return head.split(b"\r\n")[0].decode()


def _reply_status(sock, timeout_s=20):
    sock.settimeout(timeout_s)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            c = sock.recv(65536)
            if not c:
                break
            data += c
    except OSError:
        pass
    line = data.split(b"\r\n", 1)[0].decode(errors="replace")
    return int(line.split()[1]) if line.startswith("HTTP/1.1 ") else None


# ---------------------------------------------------------------- slowloris

@timeout(60)
def test_slowloris_is_cut_off(ctx):
    srv, admin = _server(ctx, "header_timeout = 2\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("slow", client=s3)
    slow = socket.create_connection(("127.0.0.1", srv.port))
    slow.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    silent = socket.create_connection(("127.0.0.1", srv.port))
    start = time.time()
    # One header byte every half second never lets the idle timeout (300 s) fire.
    check(_closed_within(slow, 8, trickle=b"X"), "a client trickling its head was not cut off")
    took = time.time() - start
    check(took >= 1.5, f"cut after {took:.1f} s, before header_timeout (2 s)")
    check(_closed_within(silent, 3), "a connection that never sent a byte was not cut off")
    # Meanwhile, and afterwards, real clients are served.
    s3.put_object(Bucket=b, Key="k", Body=b"still serving")
    eq(object_bytes(s3, b, "k"), b"still serving", "object after the cut")
    check(_metric(admin, "strata_header_timeouts_total") >= 2, "header timeouts counted")


@timeout(60)
def test_keepalive_requests_are_not_cut(ctx):
    """The head deadline restarts after each request: a connection doing a request
    every second outlives header_timeout; once idle, it is closed like a silent one."""
    srv, _ = _server(ctx, "header_timeout = 2\n")
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    for i in range(5):
        eq(_anonymous_get(sock).split()[1], "403", f"anonymous GET #{i} on one connection")
        time.sleep(1)
    check(_closed_within(sock, 5), "an idle keep-alive connection outlived header_timeout")


# ---------------------------------------------------------------- caps

@timeout(60)
def test_per_client_connection_limit(ctx):
    srv, _ = _server(ctx, "max_connections_per_client = 4\n")
    time.sleep(0.5)  # the harness's start-up probe holds a slot until the server reaps it
    held = [socket.create_connection(("127.0.0.1", srv.port), timeout=10) for _ in range(4)]
    for s in held:
        eq(_anonymous_get(s).split()[1], "403", "a connection within the limit")
    extra = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    check(_closed_within(extra, 5), "a fifth connection from one address was kept")
    held.pop().close()
    # The slot is free again once the server saw the close.
    def fresh_works():
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            return _anonymous_get(s).split()[1] == "403"
        except (TestFailure, OSError):
            return False
        finally:
            s.close()
    check(wait_until(fresh_works, timeout=5), "no connection after one of four closed")
    for s in held:
        eq(_anonymous_get(s).split()[1], "403", "held connections keep working")


def test_header_size_cap(ctx):
    srv, _ = _server(ctx, "max_header_size = 8192\n")
    big = "a" * 12000
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {big}\r\n\r\n".encode())
    eq(_reply_status(sock), 400, "a 12 KB head over an 8 KiB cap")
    # A normal signed request still fits.
    s3 = ctx.client(srv)
    b = ctx.bucket("hdr", client=s3)
    s3.put_object(Bucket=b, Key="k", Body=b"x", Metadata={"m": "v" * 1000})
    eq(s3.head_object(Bucket=b, Key="k")["Metadata"], {"m": "v" * 1000}, "metadata")


def test_user_metadata_cap(ctx):
    srv, _ = _server(ctx, "max_user_metadata = 100\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("meta", client=s3)
    s3.put_object(Bucket=b, Key="ok", Body=b"x", Metadata={"a": "v" * 90})
    expect_error(lambda: s3.put_object(Bucket=b, Key="big", Body=b"x", Metadata={"a": "v" * 100}),
                 "MetadataTooLarge", 400)
    eq(object_bytes(s3, b, "big"), None, "the refused object")


# ---------------------------------------------------------------- 1,000 connections

@timeout(180)
def test_thousand_connections_held(ctx):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2300:
        raise Skip(f"the open files hard limit ({hard}) is below 2,300")
    if soft != resource.RLIM_INFINITY and soft < 2300:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard) if hard !=
                                                     resource.RLIM_INFINITY else 4096, hard))
    srv, admin = _server(ctx, "max_connections = 1100\nmax_connections_per_client = 0\n"
                              "header_timeout = 120\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("many", client=s3)
    held = []
    try:
        for i in range(1000):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
            held.append(s)
            eq(_anonymous_get(s).split()[1], "403", f"request on connection #{i}")
        check(_metric(admin, "strata_connections_open") >= 1000, "connections_open gauge")
        # With 1,000 connections held open, clients are still served.
        for i in range(20):
            body = rand_bytes(4096 + i)
            s3.put_object(Bucket=b, Key=f"k{i}", Body=body)
            same_bytes(object_bytes(s3, b, f"k{i}"), body, f"object {i}")
        eq(s3.list_objects_v2(Bucket=b)["KeyCount"], 20, "keys listed")
        # And every held connection still works.
        for i in range(0, 1000, 97):
            eq(_anonymous_get(held[i]).split()[1], "403", f"held connection #{i}")
    finally:
        for s in held:
            s.close()


# ---------------------------------------------------------------- SIGTERM

@timeout(90)
def test_sigterm_lets_uploads_finish(ctx):
    srv, admin = _server(ctx, "shutdown_timeout = 20\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("drain", client=s3)
    bodies = {f"up{i}": rand_bytes(2 * MiB + i) for i in range(3)}
    socks = {k: open_signed_put(srv, b, k, len(v)) for k, v in bodies.items()}
    for k, v in bodies.items():  # the first half of each body
        socks[k].sendall(v[: len(v) // 2])
    time.sleep(0.5)
    srv.proc.send_signal(signal.SIGTERM)
    # The listener closes at once; readiness says so while uploads go on.
    check(wait_until(lambda: _admin_get(admin, "/health/ready")[0] == 503, timeout=5),
          "/health/ready did not turn 503 while draining")
    eq(_admin_get(admin, "/health/ready")[1], "not ready: shutting down\n", "ready text")

    def refused():
        try:
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
            return False
        except OSError:
            return True
    check(wait_until(refused, timeout=5), "new connections still accepted after SIGTERM")
    time.sleep(1)
    for k, v in bodies.items():
        socks[k].sendall(v[len(v) // 2:])
    for k in bodies:
        eq(_reply_status(socks[k]), 200, f"upload {k} in flight at SIGTERM")
    srv.proc.wait(15)
    eq(srv.proc.returncode, 0, "exit status after a graceful stop")
    check("every request in flight finished" in srv.output(), "drain not logged")
    srv.start()
    s3 = ctx.client(srv)
    for k, v in bodies.items():
        g = s3.get_object(Bucket=b, Key=k)
        same_bytes(g["Body"].read(), v, f"{k} after restart")
        eq(g["ETag"], f'"{md5_hex(v)}"', f"{k} ETag")


@posix_home_only("it looks for temporaries in the data directory")
@timeout(90)
def test_sigterm_deadline_aborts_stalled_upload(ctx):
    srv, _ = _server(ctx, "shutdown_timeout = 2\n")
    s3 = ctx.client(srv)
    b = ctx.bucket("stall", client=s3)
    old = rand_bytes(1 * MiB)
    s3.put_object(Bucket=b, Key="obj", Body=old)
    new = rand_bytes(4 * MiB)
    sock = open_signed_put(srv, b, "obj", len(new))
    sock.sendall(new[: 3 * MiB])  # and then nothing: the client stalls
    fresh = open_signed_put(srv, b, "fresh", len(new))
    fresh.sendall(new[:MiB])
    time.sleep(0.5)
    start = time.time()
    srv.proc.send_signal(signal.SIGTERM)
    srv.proc.wait(20)
    took = time.time() - start
    eq(srv.proc.returncode, 0, "exit status")
    check(1.5 <= took <= 12, f"stopped after {took:.1f} s with shutdown_timeout = 2")
    check("still running after shutdown_timeout" in srv.output(), "abort not logged")
    sock.close()
    fresh.close()
    srv.start()
    s3 = ctx.client(srv)
    same_bytes(object_bytes(s3, b, "obj"), old, "the old object after an aborted overwrite")
    eq(object_bytes(s3, b, "fresh"), None, "an aborted new object is visible")
    tmp = os.path.join(srv.data_dir, "tmp")
    left = os.listdir(tmp) if os.path.isdir(tmp) else []
    eq(left, [], "temporary files after restart")
