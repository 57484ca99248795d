"""Bucket replication, the API side (issue 8): Put/Get/DeleteBucketReplication with
AWS's rule shape and validation, destinations as ARNs naming configured sites, the
elements Strata cannot honour answered NotImplemented, and x-amz-replication-status on
HEAD/GET where it needs no shipping: PENDING right after a write whose site is down,
nothing for a key no rule matches, REPLICA for a write by a replication user.
(The end-to-end shipping tests are test_replication.py.)"""

import json

import harness
from harness import add_user, check, eq, expect_error

SERVER = False
POSIX_HOME_ONLY = ("replication from the s3 home backend is not built yet "
                   "(PutBucketReplication answers 501 there; test_remote checks it)")

ROLE = "arn:aws:iam::123456789012:role/strata-replication"
# Port 9 (discard) on loopback: nothing listens, so events stay PENDING.
SITES = {"dr": "http://127.0.0.1:9", "west": "http://127.0.0.1:9"}


def _server(ctx, sites=SITES, extra="", users=()):
    conf = ctx.path(f"repl-{len(ctx.extra_servers)}.conf")
    with open(conf, "w") as f:
        f.write(extra)
        for name, endpoint in sites.items():
            f.write(f"[site {name}]\nendpoint = {endpoint}\naccess_key = x\nsecret_key = y\n")
    srv = ctx.new_server(start=False, extra_args=["--config", conf])
    keys = {u: add_user(ctx.binary, srv.data_dir, u) for u in users}
    srv.start()
    return srv, keys


def _rule(rid, prio, dest, prefix="", dmr="Disabled", **kw):
    r = {"ID": rid, "Priority": prio, "Filter": {"Prefix": prefix}, "Status": "Enabled",
         "DeleteMarkerReplication": {"Status": dmr}, "Destination": {"Bucket": dest}}
    r.update(kw)
    return r


def _refused_on_s3_home(s3, b):
    """With a remote S3 home (run.py --home s3) the backend cannot queue events."""
    expect_error(lambda: s3.put_bucket_replication(
        Bucket=b, ReplicationConfiguration={"Role": ROLE, "Rules": [
            _rule("a", 1, "arn:aws:s3:dr::dest")]}), "NotImplemented", 501)


def test_round_trip_and_not_found(ctx):
    srv, _ = _server(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("rapi", client=s3)
    if harness.HOME:
        return _refused_on_s3_home(s3, b)
    expect_error(lambda: s3.get_bucket_replication(Bucket=b),
                 "ReplicationConfigurationNotFoundError", 404)
    rules = [
        _rule("docs", 2, "arn:aws:s3:dr::dest", prefix="docs/", dmr="Enabled",
              Destination={"Bucket": "arn:aws:s3:dr::dest", "StorageClass": "STANDARD_IA"}),
        {"ID": "tagged", "Priority": 1, "Status": "Disabled",
         "Filter": {"And": {"Prefix": "t/", "Tags": [{"Key": "k", "Value": "v"},
                                                      {"Key": "k2", "Value": ""}]}},
         "DeleteMarkerReplication": {"Status": "Disabled"},
         "ExistingObjectReplication": {"Status": "Disabled"},
         "Destination": {"Bucket": "arn:aws:s3:west::other"}},
        {"ID": "one-tag", "Priority": 0, "Status": "Enabled",
         "Filter": {"Tag": {"Key": "a", "Value": "b"}},
         "DeleteMarkerReplication": {"Status": "Disabled"},
         "Destination": {"Bucket": "arn:aws:s3:west::other"}},
    ]
    s3.put_bucket_replication(Bucket=b, ReplicationConfiguration={"Role": ROLE, "Rules": rules})
    got = s3.get_bucket_replication(Bucket=b)["ReplicationConfiguration"]
    eq(got["Role"], ROLE, "Role kept")
    eq(got["Rules"], rules, "rules as put, shape included")
    # A new document replaces the old one.
    s3.put_bucket_replication(Bucket=b, ReplicationConfiguration={"Role": ROLE, "Rules": [
        {"Prefix": "old/", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:dr::dest1"}}]})
    got = s3.get_bucket_replication(Bucket=b)["ReplicationConfiguration"]["Rules"]
    eq(got, [{"Prefix": "old/", "Status": "Enabled",
              "Destination": {"Bucket": "arn:aws:s3:dr::dest1"}}], "a V1 rule as put")
    eq(s3.delete_bucket_replication(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"], 204,
       "DeleteBucketReplication status")
    expect_error(lambda: s3.get_bucket_replication(Bucket=b),
                 "ReplicationConfigurationNotFoundError", 404)
    s3.delete_bucket_replication(Bucket=b)  # absent: still fine, as on AWS
    expect_error(lambda: s3.get_bucket_replication(Bucket="no-such-bucket-here"),
                 "NoSuchBucket", 404)


def test_no_site_configured(ctx):
    srv = ctx.new_server()
    s3 = ctx.client(srv)
    b = ctx.bucket("rnone", client=s3)
    err = expect_error(lambda: s3.put_bucket_replication(
        Bucket=b, ReplicationConfiguration={"Role": ROLE, "Rules": [
            _rule("a", 1, "arn:aws:s3:::dest")]}), "NotImplemented", 501)
    msg = err["Error"]["Message"]
    check("[site NAME]" in msg or harness.HOME, f"message says what to configure: {msg!r}")
    expect_error(lambda: s3.get_bucket_replication(Bucket=b),
                 "ReplicationConfigurationNotFoundError", 404)
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    eq(s3.head_object(Bucket=b, Key="k").get("ReplicationStatus"), None, "no status header")


def test_validation_errors(ctx):
    srv, _ = _server(ctx)
    s3 = ctx.client(srv)
    b = ctx.bucket("rerr", client=s3)
    if harness.HOME:
        return _refused_on_s3_home(s3, b)
    dr = "arn:aws:s3:dr::dest"
    no_dmr = _rule("a", 1, dr)
    del no_dmr["DeleteMarkerReplication"]
    no_prio = _rule("a", 1, dr)
    del no_prio["Priority"]
    cases = [
        # (rules, code, a part of the message)
        ([_rule("a", 1, dr), _rule("a", 2, dr)], "InvalidArgument", "ID"),
        ([_rule("a", 1, dr), _rule("b", 1, dr)], "InvalidArgument", "priority"),
        ([_rule("x" * 256, 1, dr)], "InvalidArgument", "255"),
        ([no_dmr], "InvalidRequest", "DeleteMarkerReplication must be specified"),
        ([no_prio], "InvalidRequest", "Priority must be specified"),
        ([{"ID": "t", "Priority": 1, "Status": "Enabled",
           "Filter": {"Tag": {"Key": "k", "Value": "v"}},
           "DeleteMarkerReplication": {"Status": "Enabled"}, "Destination": {"Bucket": dr}}],
         "InvalidRequest", "Tag filter"),
        ([_rule("a", 1, dr), {"Prefix": "p", "Status": "Enabled",
                              "Destination": {"Bucket": dr}}], "InvalidRequest", "mixed"),
        ([_rule("a", 1, "arn:aws:s3:mars::dest")], "InvalidArgument", "not configured"),
        ([_rule("a", 1, "arn:aws:s3:::dest")], "InvalidArgument", "exactly one site"),
        ([_rule("a", 1, "dest")], "InvalidArgument", "arn:aws:s3:SITE::BUCKET"),
        ([_rule("a", 1, "arn:aws:s3:dr:123456789012:dest")], "InvalidArgument",
         "arn:aws:s3:SITE::BUCKET"),
        ([_rule("a", 1, dr, Status="On")], "MalformedXML", None),
        ([_rule("a", 1, dr, DeleteMarkerReplication={"Status": "Yes"})], "MalformedXML", None),
        ([_rule("a", 1, dr, Destination={"Bucket": dr, "StorageClass": "COLD"})],
         "MalformedXML", None),
        # Elements Strata cannot honour: NotImplemented, never accepted and ignored.
        ([_rule("a", 1, dr, ExistingObjectReplication={"Status": "Enabled"})],
         "NotImplemented", "resync"),
        ([_rule("a", 1, dr, SourceSelectionCriteria={
            "ReplicaModifications": {"Status": "Enabled"}})], "NotImplemented",
         "SourceSelectionCriteria"),
        ([_rule("a", 1, dr, Destination={"Bucket": dr, "Account": "123456789012"})],
         "NotImplemented", "Account"),
        ([_rule("a", 1, dr, Destination={
            "Bucket": dr, "EncryptionConfiguration": {"ReplicaKmsKeyID": "k"}})],
         "NotImplemented", "EncryptionConfiguration"),
        ([_rule("a", 1, dr, Destination={
            "Bucket": dr, "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
            "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}})],
         "NotImplemented", "ReplicationTime"),
        # ... but only for a body that is otherwise valid.
        ([_rule("a", 1, dr, ExistingObjectReplication={"Status": "Enabled"}),
          _rule("a", 2, dr)], "InvalidArgument", "ID"),
    ]
    for rules, code, part in cases:
        err = expect_error(lambda: s3.put_bucket_replication(
            Bucket=b, ReplicationConfiguration={"Role": ROLE, "Rules": rules}), code,
            501 if code == "NotImplemented" else 400)
        msg = err["Error"].get("Message", "")
        check(part is None or part in msg, f"{code}: message {msg!r} lacks {part!r}")
    expect_error(lambda: s3.get_bucket_replication(Bucket=b),
                 "ReplicationConfigurationNotFoundError", 404)


def test_one_site_with_aws_cli(ctx):
    srv, _ = _server(ctx, sites={"dr": "http://127.0.0.1:9"})
    s3 = ctx.client(srv)
    b = ctx.bucket("rcli", client=s3)
    if harness.HOME:
        return _refused_on_s3_home(s3, b)
    doc = {"Role": ROLE, "Rules": [_rule("all", 1, "arn:aws:s3:::dest", dmr="Enabled")]}
    path = ctx.path("repl.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    for v in ("v1", "v2"):
        try:
            aws = ctx.aws(v, srv)
        except harness.Skip:
            continue
        aws.run("s3api", "put-bucket-replication", "--bucket", b,
                "--replication-configuration", f"file://{path}")
        out = json.loads(aws.run("s3api", "get-bucket-replication", "--bucket", b).stdout)
        eq(out["ReplicationConfiguration"], doc, f"aws {v}: the document as put")
        aws.run("s3api", "delete-bucket-replication", "--bucket", b)
        p = aws.run("s3api", "get-bucket-replication", "--bucket", b, check_rc=False)
        check(p.returncode != 0 and "ReplicationConfigurationNotFoundError" in p.stderr,
              f"aws {v}: get after delete: {p.stderr[-300:]!r}")


def test_replication_status_header(ctx):
    srv, keys = _server(ctx, extra="replication_users = replicator\n", users=("replicator",))
    s3 = ctx.client(srv)
    b = ctx.bucket("rst", client=s3)
    if harness.HOME:
        return _refused_on_s3_home(s3, b)
    s3.put_bucket_replication(Bucket=b, ReplicationConfiguration={"Role": ROLE, "Rules": [
        _rule("docs", 1, "arn:aws:s3:dr::dest", prefix="docs/", dmr="Enabled")]})

    def status(key):
        return s3.head_object(Bucket=b, Key=key).get("ReplicationStatus")

    s3.put_object(Bucket=b, Key="docs/a", Body=b"hello")
    s3.put_object(Bucket=b, Key="other/a", Body=b"hello")
    eq(status("docs/a"), "PENDING", "a matching PUT while the site is down")
    eq(s3.get_object(Bucket=b, Key="docs/a").get("ReplicationStatus"), "PENDING",
       "GET shows it too")
    eq(status("other/a"), None, "no header for a key no rule matches")
    s3.copy_object(Bucket=b, Key="docs/copy", CopySource={"Bucket": b, "Key": "other/a"})
    eq(status("docs/copy"), "PENDING", "CopyObject")
    up = s3.create_multipart_upload(Bucket=b, Key="docs/mp")["UploadId"]
    etag = s3.upload_part(Bucket=b, Key="docs/mp", UploadId=up, PartNumber=1,
                          Body=b"x" * 100)["ETag"]
    s3.complete_multipart_upload(Bucket=b, Key="docs/mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etag}]})
    eq(status("docs/mp"), "PENDING", "CompleteMultipartUpload")
    # Deletes (one and many) are acknowledged as usual.
    s3.delete_object(Bucket=b, Key="docs/a")
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "docs/copy"},
                                                        {"Key": "other/a"}]})
    eq(sorted(d["Key"] for d in r.get("Deleted", [])), ["docs/copy", "other/a"],
       "DeleteObjects")
    check(not r.get("Errors"), f"DeleteObjects errors: {r.get('Errors')}")

    # A write by a replication user is a replica (never replicated further).
    rs3 = ctx.client(srv, *keys["replicator"])
    rb = ctx.bucket("rrep", client=rs3)
    rs3.put_bucket_replication(Bucket=rb, ReplicationConfiguration={"Role": ROLE, "Rules": [
        _rule("all", 1, "arn:aws:s3:dr::dest")]})
    rs3.put_object(Bucket=rb, Key="docs/r", Body=b"replica")
    eq(rs3.head_object(Bucket=rb, Key="docs/r").get("ReplicationStatus"), "REPLICA",
       "a replication user's write")

    # Without the configuration, new writes ask nothing (the cache is dropped at once).
    s3.delete_bucket_replication(Bucket=b)
    s3.put_object(Bucket=b, Key="docs/after", Body=b"x")
    eq(status("docs/after"), None, "no header once the configuration is gone")
