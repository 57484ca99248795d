"""
harness: what the integration tests share.

Starts and stops the real `strata` binary, builds clients at their default
settings (boto3, aws-cli v1, aws-cli v2), signs raw HTTP requests by hand
(SigV4 headers, aws-chunked bodies) for the cases no SDK will produce, and
offers small assertion helpers. Standard library + boto3/botocore only.

A test is a function `test_*(ctx)` in a `test_*.py` module next to this file;
run.py collects and runs them. A module may set:
  SERVER = False          no group server (the tests start their own)
  SERVER_ARGS = [...]     extra `strata serve` arguments for the group server
  USERS = ["alice"]       users added with `strata user add` before the start
"""

import base64
import datetime
import hashlib
import hmac
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
import zlib

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BINARY = os.path.normpath(os.path.join(HERE, "..", "..", "strata"))
AWS_V2 = "/usr/bin/aws"
START_TIMEOUT = 30.0  # a server over a remote (RGW) makes its system bucket first: slow under ASan
STOP_TIMEOUT = 10.0
CLI_TIMEOUT = 120
# `strata serve --log-level` for every server the tests start (run.py --log-level);
# debug makes a signature mismatch log its canonical request, shown after a failure.
SERVER_LOG_LEVEL = "debug"

# Environment variables of the host that would change how clients behave.
_LEAKY_ENV = re.compile(r"^(AWS_|BOTO_|BOTOCORE_)")


class Skip(Exception):
    """Raised by a test that cannot run here; reported as skipped."""


class TestFailure(AssertionError):
    """A test expectation that did not hold."""


# ---------------------------------------------------------------- assertions

def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def eq(actual, expected, what="value"):
    if actual != expected:
        a, e = _short(actual), _short(expected)
        raise TestFailure(f"{what}: expected {e}, got {a}")


def _short(v, n=200):
    s = repr(v)
    return s if len(s) <= n else s[:n] + f"...({len(s)} chars)"


def same_bytes(actual, expected, what="body"):
    if actual != expected:
        i = next((i for i, (a, b) in enumerate(zip(actual, expected)) if a != b),
                 min(len(actual), len(expected)))
        raise TestFailure(f"{what}: {len(actual)} bytes differ from the expected "
                          f"{len(expected)} bytes (first difference at offset {i})")


def expect_error(fn, code, status=None, message=None):
    """Calls fn(); expects a botocore ClientError with this Code (a str or a set of
    acceptable codes) and HTTP status. Returns the error response dict."""
    try:
        r = fn()
    except ClientError as e:
        err = e.response.get("Error", {})
        meta = e.response.get("ResponseMetadata", {})
        got_code = err.get("Code")
        codes = {code} if isinstance(code, str) else set(code)
        if got_code not in codes:
            raise TestFailure(f"expected error {sorted(codes)}, got {got_code} "
                              f"(HTTP {meta.get('HTTPStatusCode')}, "
                              f"message {err.get('Message')!r})")
        if status is not None and meta.get("HTTPStatusCode") != status:
            raise TestFailure(f"{got_code}: expected HTTP {status}, "
                              f"got {meta.get('HTTPStatusCode')}")
        if message is not None and err.get("Message") != message:
            raise TestFailure(f"{got_code}: expected message {message!r}, "
                              f"got {err.get('Message')!r}")
        return e.response
    raise TestFailure(f"expected error {code}, but the call succeeded: "
                      f"{_short(_strip_meta(r))}")


def _strip_meta(r):
    if isinstance(r, dict):
        return {k: v for k, v in r.items() if k != "ResponseMetadata"}
    return r


def md5_hex(b):
    return hashlib.md5(b).hexdigest()


def b64(b):
    return base64.b64encode(b).decode()


def sha256_hex(b):
    return hashlib.sha256(b).hexdigest()


def rand_bytes(n):
    return os.urandom(n)


def uid(n=10):
    return uuid.uuid4().hex[:n]


# ---------------------------------------------------------------- checksums

def crc32_b64(b):
    return b64((zlib.crc32(b) & 0xFFFFFFFF).to_bytes(4, "big"))


def _make_table(poly, width):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_T = _make_table(0x82F63B78, 32)
_CRC64NVME_T = _make_table(0x9A6C9329AC4BC9B5, 64)


def crc32c(b):
    c = 0xFFFFFFFF
    t = _CRC32C_T
    for x in b:
        c = t[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def crc64nvme(b):
    m = 0xFFFFFFFFFFFFFFFF
    c = m
    t = _CRC64NVME_T
    for x in b:
        c = t[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ m


assert crc32c(b"123456789") == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888


def checksum_b64(algo, b):
    """The S3 base64 checksum of b for algo in crc32|crc32c|crc64nvme|sha1|sha256."""
    algo = algo.lower()
    if algo == "crc32":
        return crc32_b64(b)
    if algo == "crc32c":
        return b64(crc32c(b).to_bytes(4, "big"))
    if algo == "crc64nvme":
        return b64(crc64nvme(b).to_bytes(8, "big"))
    if algo == "sha1":
        return b64(hashlib.sha1(b).digest())
    if algo == "sha256":
        return b64(hashlib.sha256(b).digest())
    raise ValueError(algo)


# ---------------------------------------------------------------- environment

def isolate_environment(workdir):
    """Removes AWS_* settings of the host from os.environ and points the shared
    config/credentials files at empty files, so boto3 sees nothing of the host."""
    for k in list(os.environ):
        if _LEAKY_ENV.match(k):
            del os.environ[k]
    cfg = os.path.join(workdir, "empty-aws-config")
    open(cfg, "w").close()
    os.environ["AWS_CONFIG_FILE"] = cfg
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = cfg
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def random_keys():
    return ("AK" + secrets.token_hex(9).upper(), secrets.token_urlsafe(30))


# ---------------------------------------------------------------- strata binary

# Subcommands that open the home backend: under --home s3 they get its keys.
_BACKEND_COMMANDS = ("serve", "scrub", "keys", "lifecycle")


def run_strata(binary, args, env_extra=None, timeout=30, clean_env=True, input=None):
    """Runs `strata ARGS` (not serve) and returns the CompletedProcess (text)."""
    args = list(args)
    if HOME is not None and args and args[0] in _BACKEND_COMMANDS and "--data" in args:
        args = home_args(args[args.index("--data") + 1], args)
    env = dict(os.environ)
    if clean_env:
        env.pop("STRATA_ROOT_ACCESS_KEY", None)
        env.pop("STRATA_ROOT_SECRET_KEY", None)
    if env_extra:
        env.update(env_extra)
    return subprocess.run([binary] + list(args), env=env, capture_output=True, text=True,
                          timeout=timeout, input=input, stdin=None if input else subprocess.DEVNULL)


_KEY_LINE = {
    "access": re.compile(r"access[ _-]?key(?:[ _-]?id)?", re.I),
    "secret": re.compile(r"secret(?:[ _-]?(?:access[ _-]?)?key)?", re.I),
}


def parse_keys(text):
    """Finds an access key and a secret key in human-readable output such as
    "Access key: AK..." / "secret_key = ..." / "STRATA_ROOT_ACCESS_KEY=...".
    Returns (access, secret) or (None, None)."""
    access = secret = None
    for line in text.splitlines():
        m = re.search(r"(access[ _-]?key(?:[ _-]?id)?|secret(?:[ _-]?(?:access[ _-]?)?key)?)"
                      r"\s*[:=]?\s*\"?'?([A-Za-z0-9+/=_\-.]{8,})", line, re.I)
        if not m:
            continue
        label = m.group(1).lower()
        val = m.group(2)
        if "secret" in label:
            secret = secret or val
        else:
            access = access or val
    return access, secret


def add_user(binary, data_dir, name, timeout=30):
    """`strata user add --data DIR NAME`; returns (access, secret)."""
    p = run_strata(binary, ["user", "add", "--data", data_dir, name], timeout=timeout)
    if p.returncode != 0:
        raise TestFailure(f"strata user add {name} exited {p.returncode}: "
                          f"{(p.stderr or p.stdout).strip()[-500:]}")
    ak, sk = parse_keys(p.stdout + "\n" + p.stderr)
    if not ak or not sk:
        raise TestFailure(f"could not find the keys in `strata user add` output: "
                          f"{(p.stdout + p.stderr)[-500:]!r}")
    return ak, sk


# ---------------------------------------------------------------- the home backend

# None: servers keep their data in their data directory (backend = posix). Otherwise
# run.py --home s3 sets a RemoteHome and every server the tests start keeps its buckets
# and objects on that remote S3 store (backend = s3) instead.
HOME = None


class RemoteHome:
    """A remote S3 store every server uses as its home backend. Each data directory
    gets a bucket prefix and a system bucket of its own, so servers over different data
    directories never see each other's buckets (as with posix), while a server restarted
    over the same directory finds its buckets again."""

    def __init__(self, endpoint, access_key, secret_key, kind):
        self.endpoint, self.access_key, self.secret_key = endpoint, access_key, secret_key
        self.kind = kind  # "rgw", or "strata" when RGW could not start here
        self._prefixes = {}

    def prefix(self, data_dir):
        d = os.path.realpath(data_dir)
        if d not in self._prefixes:
            self._prefixes[d] = f"h{len(self._prefixes)}{secrets.token_hex(2)}-"
        return self._prefixes[d]

    def config(self, data_dir):
        p = self.prefix(data_dir)
        return (f"backend = s3\ns3_endpoint = {self.endpoint}\n"
                f"s3_access_key = {self.access_key}\ns3_secret_key = {self.secret_key}\n"
                f"s3_bucket_prefix = {p}\ns3_system_bucket = {p}system\n")

    def server_args(self, data_dir, args):
        """args with one --config that holds the home's keys and those of the test's own
        --config file, if it passed one (written beside the data directory)."""
        args = list(args)
        own = ""
        if "--config" in args:
            i = args.index("--config")
            with open(args[i + 1]) as f:
                own = f.read()
            del args[i:i + 2]
        path = os.path.realpath(data_dir) + ".home.conf"
        with open(path, "w") as f:
            f.write(self.config(data_dir) + own)
        return args + ["--config", path]


def home_args(data_dir, args):
    """The serve/CLI arguments for a server over data_dir under the current HOME."""
    return HOME.server_args(data_dir, args) if HOME is not None else list(args)


def posix_home_only(reason):
    """Marks a test that needs the posix home backend (it looks into the data
    directory, or uses what the s3 backend does not offer); run.py --home s3 skips it
    with the reason."""
    def deco(fn):
        fn.posix_only = reason
        return fn
    return deco


class Server:
    """One `strata serve` process on 127.0.0.1 over a data directory."""

    def __init__(self, binary, data_dir, logdir, access=None, secret=None, extra_args=(),
                 env_keys=True, name="strata", env_extra=None):
        self.binary = binary
        self.env_extra = dict(env_extra or {})  # added to the environment (LD_PRELOAD...)
        self.data_dir = data_dir
        self.logdir = logdir
        self.extra_args = list(extra_args)
        self.env_keys = env_keys
        if env_keys and not access:
            access, secret = random_keys()
        self.access, self.secret = access, secret
        self.name = name
        self.proc = None
        self.port = None
        self.runs = 0
        self.stdout_path = self.stderr_path = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, port=None):
        """Starts the server (a fresh free port unless one is given) and waits until
        the port accepts connections. Raises TestFailure with the log tail if not."""
        os.makedirs(self.data_dir, exist_ok=True)
        last = None
        for attempt in range(3):
            self.port = port or free_port()
            self.runs += 1
            base = os.path.join(self.logdir, f"{self.name}.{self.runs}")
            self.stdout_path, self.stderr_path = base + ".stdout", base + ".stderr"
            env = dict(os.environ)
            env.pop("STRATA_ROOT_ACCESS_KEY", None)
            env.pop("STRATA_ROOT_SECRET_KEY", None)
            if self.env_keys:
                env["STRATA_ROOT_ACCESS_KEY"] = self.access
                env["STRATA_ROOT_SECRET_KEY"] = self.secret
            env.update(self.env_extra)
            cmd = [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}",
                   "--data", self.data_dir] + home_args(self.data_dir, self.extra_args)
            if SERVER_LOG_LEVEL:
                cmd += ["--log-level", SERVER_LOG_LEVEL]
            with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(cmd, stdout=out, stderr=err,
                                             stdin=subprocess.DEVNULL, env=env)
            ok, last = self._wait_ready()
            if ok:
                return self
            self.stop()
            if port is not None:
                break
            if "in use" not in self.log_tail().lower():
                break
        raise TestFailure(f"server did not start: {last}\n{self.log_tail()}")

    def _wait_ready(self):
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False, f"exited with status {self.proc.returncode}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True, None
            except OSError:
                time.sleep(0.05)
        return False, f"port {self.port} did not answer within {START_TIMEOUT:.0f} s"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then SIGKILL after STOP_TIMEOUT. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        rc = self.proc.returncode
        return rc

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def restart(self, same_port=False):
        self.stop()
        return self.start(port=self.port if same_port else None)

    def output(self):
        """stdout + stderr of the current run."""
        text = ""
        for p in (self.stdout_path, self.stderr_path):
            if p and os.path.exists(p):
                with open(p, "rb") as f:
                    text += f.read().decode("utf-8", "replace")
        return text

    def log_mark(self):
        """Where the logs end now; log_tail(since=mark) shows only what came after."""
        return tuple(os.path.getsize(p) if p and os.path.exists(p) else 0
                     for p in (self.stderr_path, self.stdout_path))

    def log_tail(self, n=25, since=None):
        out = []
        for i, p in enumerate((self.stderr_path, self.stdout_path)):
            if p and os.path.exists(p):
                with open(p, "rb") as f:
                    if since is not None:
                        f.seek(since[i])
                    lines = f.read().decode("utf-8", "replace").splitlines()
                if lines:
                    what = "during this test" if since is not None else "last"
                    out.append(f"--- {os.path.basename(p)} ({what}: {min(n, len(lines))} "
                               f"of {len(lines)} lines)")
                    out.extend("    " + line for line in lines[-n:])
        return "\n".join(out) if out else f"--- {self.name}: (no server output)"


# ---------------------------------------------------------------- clients

def s3_client(endpoint, access, secret, region=REGION, **config):
    """A boto3 S3 client at its default settings; `config` adds Config(...) options
    only where a test asks for them (signature version, addressing style)."""
    session = boto3.session.Session(aws_access_key_id=access, aws_secret_access_key=secret,
                                    region_name=region)
    cfg = Config(**config) if config else None
    return session.client("s3", endpoint_url=endpoint, config=cfg)


def anonymous_client(endpoint):
    session = boto3.session.Session(region_name=REGION)
    return session.client("s3", endpoint_url=endpoint,
                          config=Config(signature_version=botocore.UNSIGNED))


class AwsCli:
    """aws-cli v1 (python3 -m awscli) or v2 (/usr/bin/aws) with a private config."""

    def __init__(self, version, server, workdir, access=None, secret=None):
        self.version = version
        self.server = server
        d = os.path.join(workdir, f"aws-{version}")
        os.makedirs(d, exist_ok=True)
        self.config = os.path.join(d, "config")
        self.creds = os.path.join(d, "credentials")
        with open(self.config, "w") as f:
            f.write(f"[default]\nregion = {REGION}\noutput = json\ncli_pager =\n")
        with open(self.creds, "w") as f:
            f.write(f"[default]\naws_access_key_id = {access or server.access}\n"
                    f"aws_secret_access_key = {secret or server.secret}\n")
        if version == "v1":
            self.cmd = [sys.executable, "-m", "awscli"]
        elif version == "v2":
            if not os.path.exists(AWS_V2):
                raise Skip(f"aws-cli v2 not installed at {AWS_V2}")
            self.cmd = [AWS_V2]
        else:
            raise ValueError(version)

    def env(self):
        env = {k: v for k, v in os.environ.items() if not _LEAKY_ENV.match(k)}
        env.update(AWS_CONFIG_FILE=self.config, AWS_SHARED_CREDENTIALS_FILE=self.creds,
                   AWS_PAGER="", AWS_EC2_METADATA_DISABLED="true")
        if self.version == "v2":
            env.pop("PYTHONPATH", None)
            env.pop("PYTHONHOME", None)
        return env

    def run(self, *args, check_rc=True, timeout=CLI_TIMEOUT, cwd=None):
        cmd = self.cmd + list(args) + ["--endpoint-url", self.server.endpoint]
        p = subprocess.run(cmd, env=self.env(), capture_output=True, text=True,
                           timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL)
        if check_rc and p.returncode != 0:
            raise TestFailure(f"aws {self.version} {' '.join(args)} exited {p.returncode}: "
                              f"{(p.stderr or p.stdout).strip()[-800:]}")
        return p


# ---------------------------------------------------------------- raw HTTP + SigV4

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def uri_path(path):
    """Encodes a decoded path "/bucket/key" the way SigV4 for S3 wants it (and the
    way it is sent): every byte but unreserved characters and '/' percent-encoded."""
    return urllib.parse.quote(path, safe="/-_.~")


def canonical_query(pairs):
    items = sorted((urllib.parse.quote(k, safe="-_.~"),
                    urllib.parse.quote("" if v is None else v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in items)


def wire_query(pairs):
    parts = []
    for k, v in pairs:
        k = urllib.parse.quote(k, safe="-_.~")
        parts.append(k if v is None else f"{k}={urllib.parse.quote(v, safe='-_.~')}")
    return "&".join(parts)


def _hmac(key, msg):
    return hmac.new(key, msg.encode() if isinstance(msg, str) else msg, hashlib.sha256).digest()


def signing_key(secret, date, region=REGION, service="s3"):
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def amz_now(offset_seconds=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return t.strftime("%Y%m%dT%H%M%SZ")


class Signed:
    """The result of sign_v4: headers to send and what chunk signing needs."""

    def __init__(self, headers, signature, amz_date, scope, key):
        self.headers, self.signature, self.amz_date = headers, signature, amz_date
        self.scope, self.key = scope, key


def sign_v4(method, path, query, headers, payload_hash, access, secret, amz_date=None,
            region=REGION):
    """SigV4-signs a request. path is the encoded path as sent; query a list of
    (name, value|None) pairs; headers a dict that must hold Host. Every header given
    is signed. Returns a Signed with the complete header dict."""
    amz_date = amz_date or amz_now()
    date = amz_date[:8]
    h = {k: v for k, v in headers.items()}
    h["x-amz-date"] = amz_date
    h["x-amz-content-sha256"] = payload_hash
    canon = {}
    for k, v in h.items():
        canon[k.lower()] = re.sub(r"\s+", " ", str(v).strip())
    names = sorted(canon)
    creq = "\n".join([method, path, canonical_query(query or []),
                      "".join(f"{n}:{canon[n]}\n" for n in names), ";".join(names),
                      payload_hash])
    scope = f"{date}/{region}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    key = signing_key(secret, date, region)
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    h["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
                          f"SignedHeaders={';'.join(names)}, Signature={sig}")
    return Signed(h, sig, amz_date, scope, key)


class Response:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def error(self):
        """The S3 error document as a dict (Code, Message, Resource, RequestId...)."""
        return parse_error(self.body)

    def __repr__(self):
        return f"<HTTP {self.status} {self.body[:300]!r}>"


def parse_error(body):
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return {}
    return {strip_ns(c.tag): (c.text or "") for c in root}


def strip_ns(tag):
    return tag.split("}", 1)[1] if "}" in tag else tag


def xml_find_all(body, name):
    root = ET.fromstring(body)
    return [e for e in root.iter() if strip_ns(e.tag) == name]


def http_request(port, method, target, headers, body=b"", timeout=30, host="127.0.0.1"):
    """Sends one request exactly as given (no headers added) and reads the reply."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        if body:
            try:
                conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early (an error) and closed; read it
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, r.reason, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def open_signed_put(server, bucket, key, content_length, extra=None):
    """Sends only the head of a signed PUT (UNSIGNED-PAYLOAD) on a new socket and returns
    the socket: the caller streams (or withholds) the body itself."""
    path = uri_path(f"/{bucket}/{key}")
    h = {"Host": f"127.0.0.1:{server.port}", "Content-Length": str(content_length)}
    if extra:
        h.update(extra)
    s = sign_v4("PUT", path, [], h, "UNSIGNED-PAYLOAD", server.access, server.secret)
    head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in s.headers.items())
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(head.encode() + b"\r\n")
    return sock


def raw_request(server, method, path, query=None, headers=None, body=b"", creds="root",
                payload_hash=None, amz_date=None, host=None, timeout=30, content_length=True):
    """A SigV4-signed (or, with creds=None, anonymous) request built by hand.
    path is decoded ("/bucket/key"); it is percent-encoded here."""
    epath = uri_path(path)
    target = epath + ("?" + wire_query(query) if query else "")
    h = {"Host": host or f"127.0.0.1:{server.port}"}
    if headers:
        h.update(headers)
    if content_length and (body or method in ("PUT", "POST")) and \
            not any(k.lower() == "content-length" for k in h):
        h["Content-Length"] = str(len(body))
    if creds is not None:
        ak, sk = (server.access, server.secret) if creds == "root" else creds
        ph = payload_hash or hashlib.sha256(body).hexdigest()
        h = sign_v4(method, epath, query, h, ph, ak, sk, amz_date=amz_date).headers
    return http_request(server.port, method, target, h, body, timeout=timeout)


def aws_chunked_body(payload, chunk_size, signed=None, corrupt_chunk=None, trailer=None,
                     trailer_signed=False, corrupt_trailer_sig=False):
    """Frames payload as an aws-chunked body.
    signed: a Signed from the seed request (chunk signatures chained from its
    signature) or None for unsigned chunks. corrupt_chunk: index of a chunk whose
    signature is altered. trailer: (name, value) sent after the last chunk."""
    out = []
    prev = signed.signature if signed else None
    chunks = [payload[i:i + chunk_size] for i in range(0, len(payload), chunk_size)] + [b""]
    for i, c in enumerate(chunks):
        if signed:
            sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", signed.amz_date, signed.scope, prev,
                             EMPTY_SHA256, hashlib.sha256(c).hexdigest()])
            sig = hmac.new(signed.key, sts.encode(), hashlib.sha256).hexdigest()
            prev = sig
            if corrupt_chunk == i:
                sig = ("0" if sig[0] != "0" else "1") + sig[1:]
            head = f"{len(c):x};chunk-signature={sig}\r\n".encode()
        else:
            head = f"{len(c):x}\r\n".encode()
        if c:
            out.append(head + c + b"\r\n")
        else:
            out.append(head)
    if trailer:
        name, value = trailer
        out.append(f"{name}:{value}\r\n".encode())
        if trailer_signed:
            canon = f"{name}:{value}\n".encode()
            sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", signed.amz_date, signed.scope, prev,
                             hashlib.sha256(canon).hexdigest()])
            sig = hmac.new(signed.key, sts.encode(), hashlib.sha256).hexdigest()
            if corrupt_trailer_sig:
                sig = ("0" if sig[0] != "0" else "1") + sig[1:]
            out.append(f"x-amz-trailer-signature:{sig}\r\n".encode())
    out.append(b"\r\n")
    return b"".join(out)


def chunked_put(server, bucket, key, payload, mode, chunk_size=65536, corrupt_chunk=None,
                trailer=None, corrupt_trailer_sig=False, creds="root", extra_headers=None):
    """PUT with an aws-chunked body. mode is one of
      STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER,
      STREAMING-UNSIGNED-PAYLOAD-TRAILER.
    The body length is computed first, so the seed signature covers Content-Length."""
    ak, sk = (server.access, server.secret) if creds == "root" else creds
    signed_chunks = mode.startswith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    trailer_signed = mode == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    amz_date = amz_now()
    scope = f"{amz_date[:8]}/{REGION}/s3/aws4_request"
    # The framing length does not depend on the signature values (fixed width), so a
    # dummy signing pass gives the Content-Length the real seed must sign.
    dummy = Signed({}, "0" * 64, amz_date, scope, b"k")
    length = len(aws_chunked_body(payload, chunk_size, dummy if signed_chunks else None,
                                  trailer=trailer, trailer_signed=trailer_signed))
    epath = uri_path(f"/{bucket}/{key}")
    h = {"Host": f"127.0.0.1:{server.port}", "Content-Encoding": "aws-chunked",
         "x-amz-decoded-content-length": str(len(payload)), "Content-Length": str(length)}
    if trailer:
        h["x-amz-trailer"] = trailer[0]
    if extra_headers:
        h.update(extra_headers)
    s = sign_v4("PUT", epath, [], h, mode, ak, sk, amz_date=amz_date)
    body = aws_chunked_body(payload, chunk_size, s if signed_chunks else None,
                            corrupt_chunk=corrupt_chunk, trailer=trailer,
                            trailer_signed=trailer_signed,
                            corrupt_trailer_sig=corrupt_trailer_sig)
    assert len(body) == length
    return http_request(server.port, "PUT", epath, s.headers, body)


def object_bytes(client, bucket, key):
    """The object's bytes, or None if it does not exist (NoSuchKey)."""
    try:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as e:
        if e.response["Error"]["Code"] == "NoSuchKey":
            return None
        raise


def files_under(d):
    out = []
    for root, _dirs, files in os.walk(d):
        out.extend(os.path.join(root, f) for f in files)
    return out


def wait_until(pred, timeout=5.0, step=0.1):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() >= deadline:
            return v
        time.sleep(step)


# ---------------------------------------------------------------- per-test context

class Ctx:
    """What a test receives: the group server, clients, a private work dir."""

    def __init__(self, binary, server, users, workdir, logdir, test_name):
        self.binary = binary
        self.server = server
        self.users = users
        self.workdir = workdir
        self.logdir = logdir
        self.test_name = test_name
        self.extra_servers = []
        self._clients = {}

    # --- clients of the group server
    def creds(self, user="root"):
        if user == "root":
            return self.server.access, self.server.secret
        if isinstance(user, tuple):
            return user
        if user not in self.users:
            raise TestFailure(f"user {user} was not created for this group")
        return self.users[user]

    def s3(self, user="root", **config):
        """A boto3 client of the group server for root, a named user or (ak, sk)."""
        ak, sk = self.creds(user)
        return self.client(self.server, ak, sk, **config)

    def client(self, server, access=None, secret=None, **config):
        """A boto3 client (cached) of any server; root's keys unless given."""
        ak, sk = (access, secret) if access else (server.access, server.secret)
        key = (server.port, ak, sk, tuple(sorted((k, repr(v)) for k, v in config.items())))
        if key not in self._clients:
            self._clients[key] = s3_client(server.endpoint, ak, sk, **config)
        return self._clients[key]

    def name(self, prefix="t"):
        return f"{prefix}-{uid(12)}"

    def bucket(self, prefix="t", client=None):
        """Creates a bucket with a unique name and returns the name."""
        b = self.name(prefix)
        (client or self.s3()).create_bucket(Bucket=b)
        return b

    def aws(self, version, server=None):
        return AwsCli(version, server or self.server, self.workdir)

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    # --- extra servers (stopped when the test ends)
    def new_server(self, start=True, data_dir=None, **kw):
        n = len(self.extra_servers) + 1
        data_dir = data_dir or os.path.join(self.workdir, f"data{n}")
        srv = Server(self.binary, data_dir, self.logdir,
                     name=f"{self.test_name}.srv{n}", **kw)
        self.extra_servers.append(srv)
        if start:
            srv.start()
        return srv

    def cleanup(self):
        """Stops the extra servers; returns complaints about how they exited (a
        sanitizer report at exit, a crash) for the runner to fail the test with."""
        problems = []
        for s in self.extra_servers:
            try:
                was_alive = s.alive()
                rc = s.stop()
                if was_alive and rc not in (0, -signal.SIGTERM, None):
                    problems.append(f"{s.name} exited with status {rc} on SIGTERM\n"
                                    f"{s.log_tail(15)}")
            except Exception as e:  # noqa: BLE001
                problems.append(f"{s.name}: {e}")
        return problems


# ---------------------------------------------------------------- parametrization

def parametrize(*values):
    """Marks a test to run once per value: test(ctx, value), named test[value]."""
    def deco(fn):
        fn.params = list(values)
        return fn
    return deco


def timeout(seconds):
    """Gives a test a longer (or shorter) time limit than the default."""
    def deco(fn):
        fn.timeout = seconds
        return fn
    return deco
