"""Replication of versioned buckets (issue 12), end to end between two Strata instances on
posix homes, as test_replication.py sets them up: every version written at the source
reaches the destination under the source's version id and in the same order; a delete
marker follows only with DeleteMarkerReplication Enabled (under the source's id too); a
permanent delete of a version (DELETE with versionId) is not replicated; a locked version's
retention and legal hold travel with it, and a destination that cannot lock fails the event
visibly; x-strata-replica-version-id is refused to anyone not in replication_users."""

import datetime
import time

from botocore.exceptions import ClientError

from harness import check, eq, rand_bytes, s3_client, timeout
from test_replication import Site, _head, _rule, _status, _wait

SERVER = False
POSIX_HOME_ONLY = ("replication from the s3 home backend is not built yet, nor versioning "
                   "there")

KEEP = "x-strata-replica-version-id"


def _pair_keys(ctx):
    """src -> dst; also returns the keys src's replicator signs in with at dst."""
    src, dst = Site(ctx, "src"), Site(ctx, "dst")
    keys = dst.add_repl_user("from-src")
    src.point_at("dr", dst, keys)
    dst.start()
    src.start()
    return src, dst, keys


def _versioned(ctx, src, dst, name, deletes, lock=False):
    """The same bucket name at both sites, versioned (object-locked when lock), with a rule."""
    b = ctx.name(name)
    for s3 in (src.s3(), dst.s3()):
        if lock:
            s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
        else:
            s3.create_bucket(Bucket=b)
            s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    src.s3().put_bucket_replication(Bucket=b, ReplicationConfiguration=_rule("dr", b, deletes))
    return b


def _history(s3, b, key):
    """(version ids newest first, delete marker ids newest first, the latest's id) of key,
    as ListObjectVersions lists them (botocore keeps each list's order)."""
    r = s3.list_object_versions(Bucket=b, Prefix=key)
    vers = [v for v in r.get("Versions", []) if v["Key"] == key]
    marks = [m for m in r.get("DeleteMarkers", []) if m["Key"] == key]
    latest = [v["VersionId"] for v in vers + marks if v["IsLatest"]]
    return ([v["VersionId"] for v in vers], [m["VersionId"] for m in marks],
            latest[0] if latest else None)


def _version_status(s3, b, key, vid):
    h = s3.head_object(Bucket=b, Key=key, VersionId=vid)
    return _status(h)


@timeout(240)
def test_versions_and_markers_keep_ids_and_order(ctx):
    """3 quick overwrites + a delete at a versioned source: the destination lists the same
    version ids in the same order with the marker on top (DeleteMarkerReplication Enabled);
    each source version ends COMPLETED and each copy is REPLICA; a multipart-sized version
    keeps its id too. With Disabled, the three versions arrive and no marker does."""
    src, dst, _keys = _pair_keys(ctx)
    s3, d3 = src.s3(), dst.s3()
    on = _versioned(ctx, src, dst, "von", deletes=True)
    off = _versioned(ctx, src, dst, "voff", deletes=False)
    bodies = [rand_bytes(1000 + i) for i in range(3)]
    for b in (on, off):
        for body in bodies:
            s3.put_object(Bucket=b, Key="doc", Body=body)
        s3.delete_object(Bucket=b, Key="doc")
    want_on = _history(s3, on, "doc")
    eq((len(want_on[0]), len(want_on[1])), (3, 1), "3 versions and a marker at the source")
    eq(want_on[2], want_on[1][0], "the marker is the latest at the source")
    _wait(lambda: _history(d3, on, "doc") == want_on or _history(d3, on, "doc"), 60,
          "the same ids in the same order, the marker on top, at the destination (Enabled)")
    data_ids = want_on[0]
    for vid, body in zip(data_ids, reversed(bodies)):
        eq(d3.get_object(Bucket=on, Key="doc", VersionId=vid)["Body"].read(), body,
           f"version {vid} holds its own bytes at the destination")
        eq(_version_status(d3, on, "doc", vid), "REPLICA", "a copy is REPLICA")
    _wait(lambda: all(_version_status(s3, on, "doc", v) == "COMPLETED" for v in data_ids), 30,
          "every source version COMPLETED")
    # Over 8 MiB the copy is a multipart upload: its Complete keeps the id.
    big = rand_bytes(9 * 1024 * 1024 + 7)
    big_id = s3.put_object(Bucket=on, Key="big", Body=big)["VersionId"]
    _wait(lambda: _history(d3, on, "big")[0] == [big_id] or _history(d3, on, "big"), 60,
          "the 9 MiB version at the destination under its id")
    eq(d3.get_object(Bucket=on, Key="big", VersionId=big_id)["Body"].read(), big,
       "the 9 MiB version's bytes")

    off_ids = _history(s3, off, "doc")[0]
    eq(len(off_ids), 3, "3 versions at the source (Disabled)")
    _wait(lambda: _history(d3, off, "doc")[0] == off_ids or _history(d3, off, "doc"), 60,
          "the 3 versions at the destination (Disabled)")
    _wait(lambda: all(_version_status(s3, off, "doc", v) == "COMPLETED" for v in off_ids), 30,
          "every source version COMPLETED (Disabled)")
    time.sleep(2)
    hist = _history(d3, off, "doc")
    eq((hist[1], hist[2]), ([], off_ids[0]),
       "no marker with DeleteMarkerReplication Disabled: the newest version is latest")
    eq(d3.get_object(Bucket=off, Key="doc")["Body"].read(), bodies[-1],
       "the destination still serves the newest version")


@timeout(240)
def test_permanent_version_delete_is_not_replicated(ctx):
    """DELETE with versionId removes a version for good at the source only (as AWS: no
    malicious deletion travels); later writes still replicate."""
    src, dst, _keys = _pair_keys(ctx)
    s3, d3 = src.s3(), dst.s3()
    b = _versioned(ctx, src, dst, "vperm", deletes=True)
    first = s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=b, Key="k", Body=b"two")["VersionId"]
    _wait(lambda: _history(d3, b, "k")[0] == [second, first] or _history(d3, b, "k"), 60,
          "both versions at the destination")
    s3.delete_object(Bucket=b, Key="k", VersionId=first)
    s3.delete_object(Bucket=b, Key="k", VersionId=second)
    eq(_history(s3, b, "k"), ([], [], None), "the key has no version left at the source")
    later = s3.put_object(Bucket=b, Key="later", Body=b"after")["VersionId"]
    _wait(lambda: _head(d3, b, "later") is not None, 60, "a later write still replicates")
    eq(d3.head_object(Bucket=b, Key="later")["VersionId"], later, "under the source's id")
    eq(_history(d3, b, "k"), ([second, first], [], second),
       "the destination keeps both versions the source removed by id")
    src.srv.stop()
    eq(src.status(b)["pending"], 0, "nothing queued for the permanent deletes")


@timeout(240)
def test_locked_version_replicates_locked(ctx):
    """A version under GOVERNANCE retention and legal hold arrives with both at an
    object-locked destination; towards a destination bucket without Object Lock the event
    fails visibly (FAILED at the source) rather than landing unlocked."""
    src, dst, _keys = _pair_keys(ctx)
    s3, d3 = src.s3(), dst.s3()
    b = _versioned(ctx, src, dst, "vlock", deletes=False, lock=True)
    until = (datetime.datetime.now(datetime.timezone.utc) +
             datetime.timedelta(days=1)).replace(microsecond=0)
    vid = s3.put_object(Bucket=b, Key="ledger", Body=b"immutable",
                        ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until,
                        ObjectLockLegalHoldStatus="ON")["VersionId"]
    _wait(lambda: _head(d3, b, "ledger") is not None, 60, "the locked version at dr")
    h = d3.head_object(Bucket=b, Key="ledger")
    eq(h["VersionId"], vid, "the replica keeps the source's id")
    ret = d3.get_object_retention(Bucket=b, Key="ledger", VersionId=vid)["Retention"]
    eq(ret["Mode"], "GOVERNANCE", "retention mode at dr")
    eq(ret["RetainUntilDate"], until, "retain-until date at dr")
    eq(d3.get_object_legal_hold(Bucket=b, Key="ledger", VersionId=vid)["LegalHold"]["Status"],
       "ON", "legal hold at dr")
    try:
        d3.delete_object(Bucket=b, Key="ledger", VersionId=vid)
        raise AssertionError("a locked replica was deleted")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "AccessDenied", "the replica is locked at dr")
    _wait(lambda: _status(_head(s3, b, "ledger")) == "COMPLETED", 30, "COMPLETED")

    # A destination bucket that is versioned but not locked refuses the lock headers.
    plain = ctx.name("vnolock")
    s3.create_bucket(Bucket=plain, ObjectLockEnabledForBucket=True)
    d3.create_bucket(Bucket=plain)
    d3.put_bucket_versioning(Bucket=plain, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket=plain, ReplicationConfiguration=_rule("dr", plain))
    s3.put_object(Bucket=plain, Key="ledger", Body=b"immutable", ObjectLockMode="GOVERNANCE",
                  ObjectLockRetainUntilDate=until)
    _wait(lambda: _status(_head(s3, plain, "ledger")) == "FAILED", 60,
          "FAILED at the source: the destination cannot lock")
    check(_head(d3, plain, "ledger") is None, "nothing landed unlocked at the destination")


def _with_header(client, op, value):
    def add(request, **_kw):
        request.headers[KEEP] = value
    client.meta.events.register(f"before-sign.s3.{op}", add)
    return client


@timeout(120)
def test_keep_version_header_only_for_replication_users(ctx):
    """x-strata-replica-version-id: a replication user's PUT keeps the id (and its DELETE
    makes a marker under the id it names, once: a replay makes no second one); the
    bucket's owner, not a replication user, gets 403 AccessDenied and nothing is written;
    a malformed id is refused, and so is the header on DeleteObjects (one id, many keys)."""
    src, dst, keys = _pair_keys(ctx)
    d3 = dst.s3()
    b = ctx.name("vkeep")
    d3.create_bucket(Bucket=b)
    d3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    vid = "A" * 31 + "x"
    repl = _with_header(s3_client(dst.endpoint, *keys), "PutObject", vid)
    eq(repl.put_object(Bucket=b, Key="k", Body=b"kept")["VersionId"], vid, "the id is kept")
    eq(_status(_head(d3, b, "k")), "REPLICA", "written as a replica")
    try:
        repl.put_object(Bucket=b, Key="k", Body=b"again")
        raise AssertionError("a second version with the same id was accepted")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "InvalidArgument", "an id the key has is refused")
    marker = "M" * 32
    rdel = _with_header(s3_client(dst.endpoint, *keys), "DeleteObject", marker)
    for _ in range(2):
        r = rdel.delete_object(Bucket=b, Key="k")
        eq((r["VersionId"], r["DeleteMarker"]), (marker, True), "the marker keeps the id")
    eq(_history(d3, b, "k"), ([vid], [marker], marker), "one marker, on top")

    owner = _with_header(s3_client(dst.endpoint, dst.srv.access, dst.srv.secret), "PutObject",
                         "B" * 32)
    try:
        owner.put_object(Bucket=b, Key="forged", Body=b"x")
        raise AssertionError("a normal user chose a version id")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "AccessDenied", "403 for a normal user")
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 403, "status")
    check(_head(d3, b, "forged") is None, "nothing written")
    odel = _with_header(s3_client(dst.endpoint, dst.srv.access, dst.srv.secret),
                        "DeleteObject", "C" * 32)
    try:
        odel.delete_object(Bucket=b, Key="k")
        raise AssertionError("a normal user chose a marker's id")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "AccessDenied", "403 for a normal user's delete")
    many = _with_header(s3_client(dst.endpoint, dst.srv.access, dst.srv.secret),
                        "DeleteObjects", "D" * 32)
    try:
        many.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k"}, {"Key": "x"}]})
        raise AssertionError("one id for many deletes was accepted")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "InvalidRequest", "refused with DeleteObjects")
    bad = _with_header(s3_client(dst.endpoint, *keys), "PutObject", "not/an id")
    try:
        bad.put_object(Bucket=b, Key="bad", Body=b"x")
        raise AssertionError("a malformed id was accepted")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "InvalidArgument", "a malformed id")
