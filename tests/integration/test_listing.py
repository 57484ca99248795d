"""Listing with boto3: paginators over 1,500 keys, v1 markers, prefixes and
delimiters, start-after, max-keys, encoding-type=url, fetch-owner, versions."""

import concurrent.futures
import urllib.parse

from harness import (check, eq, expect_error, raw_request, strip_ns, timeout, xml_find_all)
import xml.etree.ElementTree as ET


def _fill(s3, bucket, keys, body=b"x"):
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=body), keys))


def _sorted(keys):
    return sorted(keys, key=lambda k: k.encode())


@timeout(300)
def test_paginate_v2_1500(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("p2")
    keys = [f"obj/{i:05d}" for i in range(1500)]
    _fill(s3, b, keys)
    got, pages = [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b):
        pages += 1
        got += [o["Key"] for o in page.get("Contents", [])]
        eq(page["KeyCount"], len(page.get("Contents", [])), "KeyCount")
    eq(pages, 2, "pages at the default 1000 keys per page")
    eq(len(got), 1500, "keys listed")
    eq(got, keys, "keys in order, each once")
    # Small pages: the continuation token must carry over exactly.
    got, pages = [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=b, PaginationConfig={"PageSize": 110}):
        pages += 1
        got += [o["Key"] for o in page.get("Contents", [])]
        if page.get("IsTruncated"):
            check(page.get("NextContinuationToken"), "truncated page without a token")
    eq(pages, 14, "pages of 110")
    eq(got, keys, "keys in pages of 110")


@timeout(300)
def test_paginate_v1_1500(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("p1")
    keys = [f"v1/{i:04d}.dat" for i in range(1500)]
    _fill(s3, b, keys)
    got, markers = [], []
    for page in s3.get_paginator("list_objects").paginate(
            Bucket=b, PaginationConfig={"PageSize": 400}):
        markers.append(page.get("Marker", ""))
        got += [o["Key"] for o in page.get("Contents", [])]
    eq(got, keys, "v1 keys in order, each once")
    eq(len(markers), 4, "v1 pages of 400")
    eq(markers[1], keys[399], "second page's Marker is the last key of the first")
    # By hand, with a delimiter: NextMarker is returned.
    r = s3.list_objects(Bucket=b, MaxKeys=3, Delimiter="/", Prefix="v1/")
    eq([o["Key"] for o in r["Contents"]], keys[:3], "first three")
    check(r["IsTruncated"], "v1 page not truncated")
    eq(r.get("NextMarker"), keys[2], "NextMarker with a delimiter")
    r = s3.list_objects(Bucket=b, Marker=keys[1497])
    eq([o["Key"] for o in r["Contents"]], keys[1498:], "after the marker")
    check(not r["IsTruncated"], "last page truncated")


def test_prefix_delimiter_dicom(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("dcm")
    keys = []
    for pat in ("P001", "P002"):
        for study in ("1.2.3.1", "1.2.3.2", "1.2.3.10"):
            for series in ("S1", "S2"):
                keys += [f"dicom/{pat}/{study}/{series}/{i:03d}.dcm" for i in range(3)]
    keys += ["dicom/P001/readme.txt", "dicom/index.json", "other/x"]
    _fill(s3, b, keys)
    r = s3.list_objects_v2(Bucket=b, Prefix="dicom/P001/", Delimiter="/")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])],
       ["dicom/P001/1.2.3.1/", "dicom/P001/1.2.3.10/", "dicom/P001/1.2.3.2/"], "studies")
    eq([o["Key"] for o in r.get("Contents", [])], ["dicom/P001/readme.txt"], "files at that level")
    eq(r["KeyCount"], 4, "KeyCount counts prefixes and keys")
    r = s3.list_objects_v2(Bucket=b, Delimiter="/")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["dicom/", "other/"], "top level")
    eq(r.get("Contents", []), [], "no top-level objects")
    r = s3.list_objects_v2(Bucket=b, Prefix="dicom/P002/1.2.3.2/S2/")
    eq(len(r["Contents"]), 3, "objects of one series")
    r = s3.list_objects(Bucket=b, Prefix="dicom/", Delimiter="/")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["dicom/P001/", "dicom/P002/"], "v1")
    eq([o["Key"] for o in r.get("Contents", [])], ["dicom/index.json"], "v1 contents")
    # Paging one entry at a time: each prefix exactly once, none skipped.
    seen = []
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=b, Prefix="dicom/", Delimiter="/", PaginationConfig={"PageSize": 1}):
        seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        seen += [o["Key"] for o in page.get("Contents", [])]
    eq(seen, ["dicom/P001/", "dicom/P002/", "dicom/index.json"], "one-per-page walk")
    seen = []
    for page in s3.get_paginator("list_objects").paginate(
            Bucket=b, Prefix="dicom/P001/", Delimiter="/", PaginationConfig={"PageSize": 1}):
        seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        seen += [o["Key"] for o in page.get("Contents", [])]
    eq(seen, ["dicom/P001/1.2.3.1/", "dicom/P001/1.2.3.10/", "dicom/P001/1.2.3.2/",
              "dicom/P001/readme.txt"], "v1 one-per-page walk")
    # A delimiter other than '/'.
    r = s3.list_objects_v2(Bucket=b, Prefix="dicom/P001/1.2.3.1/S1/", Delimiter=".")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])],
       ["dicom/P001/1.2.3.1/S1/000.", "dicom/P001/1.2.3.1/S1/001.", "dicom/P001/1.2.3.1/S1/002."],
       "delimiter '.'")


def test_start_after_and_max_keys(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("sa")
    keys = [f"k{i:03d}" for i in range(40)]
    _fill(s3, b, keys)
    r = s3.list_objects_v2(Bucket=b, StartAfter="k019")
    eq([o["Key"] for o in r["Contents"]], keys[20:], "StartAfter an existing key")
    r = s3.list_objects_v2(Bucket=b, StartAfter="k0195")
    eq(r["Contents"][0]["Key"], "k020", "StartAfter a key that does not exist")
    r = s3.list_objects_v2(Bucket=b, StartAfter="zzz")
    eq(r.get("Contents", []), [], "StartAfter past the end")
    r = s3.list_objects_v2(Bucket=b, MaxKeys=7)
    eq([o["Key"] for o in r["Contents"]], keys[:7], "MaxKeys=7")
    check(r["IsTruncated"], "MaxKeys=7 not truncated")
    eq(r["MaxKeys"], 7, "MaxKeys echoed")
    r2 = s3.list_objects_v2(Bucket=b, MaxKeys=7, ContinuationToken=r["NextContinuationToken"],
                            StartAfter="k000")
    eq([o["Key"] for o in r2["Contents"]], keys[7:14], "the token wins over StartAfter")
    eq(r2.get("StartAfter"), "k000", "StartAfter echoed")
    r = s3.list_objects_v2(Bucket=b, MaxKeys=40)
    check(not r["IsTruncated"], "exactly all keys: not truncated")
    check("NextContinuationToken" not in r, "token on the last page")
    r = s3.list_objects_v2(Bucket=b, Prefix="k03", MaxKeys=5000)
    eq(len(r["Contents"]), 10, "prefix k03")
    expect_error(lambda: s3.list_objects_v2(Bucket=b, ContinuationToken="not-a-token!!"),
                 "InvalidArgument", 400)
    r = raw_request(ctx.server, "GET", f"/{b}", query=[("list-type", "2"), ("max-keys", "-1")])
    eq((r.status, r.error().get("Code")), (400, "InvalidArgument"), "max-keys=-1")


@timeout(300)
def test_max_keys_capped_at_1000(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("cap")
    keys = [f"c{i:04d}" for i in range(1100)]
    _fill(s3, b, keys)
    r = s3.list_objects_v2(Bucket=b, MaxKeys=5000)
    eq(len(r["Contents"]), 1000, "keys returned for max-keys=5000")
    check(r["IsTruncated"], "not truncated at 1000")


ODD_KEYS = ["sp ace", "plus+sign", "pct%41", "amp&lt<gt>", "uni/ключ", "ctl\x01char",
            "tab\tkey", "new\nline", "quote\"apos'", "star*semi;colon:", "d/ sp/x"]


def test_encoding_type_url(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("enc")
    _fill(s3, b, ODD_KEYS)
    # boto3 asks for encoding-type=url itself and decodes with unquote_plus.
    got = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b):
        got += [o["Key"] for o in page.get("Contents", [])]
    eq(got, _sorted(ODD_KEYS), "keys through boto3 (encoding-type=url)")
    got = [o["Key"] for o in s3.list_objects(Bucket=b)["Contents"]]
    eq(got, _sorted(ODD_KEYS), "keys through boto3 v1")
    r = s3.list_objects_v2(Bucket=b, Delimiter=" ", Prefix="d/")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["d/ "], "prefix ending in a space")
    # Raw: every <Key> percent-encoded, decodable with unquote_plus, valid XML.
    r = raw_request(ctx.server, "GET", f"/{b}", query=[("list-type", "2"),
                                                       ("encoding-type", "url")])
    eq(r.status, 200, f"raw list status {r}")
    root = ET.fromstring(r.body)
    enc = [e.text for e in root.iter() if strip_ns(e.tag) == "EncodingType"]
    eq(enc, ["url"], "EncodingType element")
    raw_keys = [e.text for e in xml_find_all(r.body, "Key")]
    for k in raw_keys:
        check(all(c not in k for c in " \x01\t\n<>&"), f"key not url-encoded: {k!r}")
    eq(sorted(urllib.parse.unquote_plus(k) for k in raw_keys), sorted(ODD_KEYS),
       "raw keys decoded")
    # Without encoding-type, the XML must still parse (escaped &, <, >).
    plain = [k for k in ODD_KEYS if "\x01" not in k]
    b2 = ctx.bucket("enc")
    _fill(s3, b2, plain)
    r = raw_request(ctx.server, "GET", f"/{b2}", query=[("list-type", "2")])
    eq(r.status, 200, "raw list status")
    keys = [e.text for e in xml_find_all(r.body, "Key")]
    eq(sorted(k.replace("\r\n", "\n") for k in keys), sorted(plain), "keys without encoding")


def test_v1_prefix_not_encoded(ctx):
    # AWS URL-encodes ListObjects (v1) keys, Marker and Delimiter with encoding-type=url
    # but returns Prefix as sent (botocore decodes only the former): s3-tests
    # test_bucket_list_prefix_unreadable. v2 encodes its Prefix too.
    s3 = ctx.s3()
    b = ctx.bucket("pfx")
    _fill(s3, b, ["foo/bar", "quux"])
    r = s3.list_objects(Bucket=b, Prefix="\n")
    eq(r["Prefix"], "\n", "v1 Prefix through boto3")
    check("Contents" not in r, "no key under a newline prefix")
    r = s3.list_objects(Bucket=b, Prefix="a b")
    eq(r["Prefix"], "a b", "v1 Prefix with a space")
    r = s3.list_objects_v2(Bucket=b, Prefix="a b")
    eq(r["Prefix"], "a b", "v2 Prefix with a space (decoded by boto3)")
    raw = raw_request(ctx.server, "GET", f"/{b}", query=[("prefix", "a b"),
                                                         ("encoding-type", "url")])
    eq([e.text for e in xml_find_all(raw.body, "Prefix")], ["a b"], "raw v1 Prefix")


def test_v2_empty_continuation_token(ctx):
    # An empty continuation-token lists from the start and is echoed empty (AWS;
    # s3-tests test_bucket_listv2_continuationtoken_empty); a bad one is still refused.
    s3 = ctx.s3()
    b = ctx.bucket("tok")
    _fill(s3, b, ["bar", "baz", "foo"])
    r = s3.list_objects_v2(Bucket=b, ContinuationToken="")
    eq(r["ContinuationToken"], "", "echoed token")
    eq([o["Key"] for o in r["Contents"]], ["bar", "baz", "foo"], "keys")
    check(not r["IsTruncated"], "not truncated")
    r = s3.list_objects_v2(Bucket=b, ContinuationToken="", StartAfter="baz")
    eq([o["Key"] for o in r["Contents"]], ["foo"], "empty token with start-after")
    expect_error(lambda: s3.list_objects_v2(Bucket=b, ContinuationToken="%%%"),
                 "InvalidArgument", 400)


def test_fetch_owner(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("own")
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    r = s3.list_objects_v2(Bucket=b)
    check("Owner" not in r["Contents"][0], "v2 lists Owner without fetch-owner")
    r = s3.list_objects_v2(Bucket=b, FetchOwner=True)
    check(r["Contents"][0].get("Owner", {}).get("ID"), "fetch-owner without Owner/ID")
    owner = s3.list_buckets()["Owner"]["ID"]
    eq(r["Contents"][0]["Owner"]["ID"], owner, "object owner is the bucket creator")
    c = r["Contents"][0]
    eq(c["Size"], 1, "Size")
    eq(c["ETag"], '"9dd4e461268c8034f5c8564e155c67a6"', "ETag")
    check(c.get("StorageClass") == "STANDARD", f"StorageClass {c.get('StorageClass')!r}")
    check(c.get("LastModified") is not None, "LastModified")


def test_unversioned_bucket_versions(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("ver")
    _fill(s3, b, ["a", "b/c", "d"])
    s3.put_object(Bucket=b, Key="a", Body=b"overwritten")
    v = s3.get_bucket_versioning(Bucket=b)
    check("Status" not in v, f"GetBucketVersioning of a never-versioned bucket: {v}")
    check("MFADelete" not in v, "MFADelete of a never-versioned bucket")
    r = s3.list_object_versions(Bucket=b)
    vs = r.get("Versions", [])
    eq([x["Key"] for x in vs], ["a", "b/c", "d"], "versions (one per key)")
    for x in vs:
        eq(x["VersionId"], "null", f"VersionId of {x['Key']}")
        eq(x["IsLatest"], True, f"IsLatest of {x['Key']}")
    eq(vs[0]["Size"], len(b"overwritten"), "size of the current version")
    eq(r.get("DeleteMarkers", []), [], "delete markers")
    r = s3.list_object_versions(Bucket=b, Prefix="b/", Delimiter="/")
    eq([x["Key"] for x in r.get("Versions", [])], ["b/c"], "versions under a prefix")
    r = s3.list_object_versions(Bucket=b, Delimiter="/")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["b/"], "version common prefixes")
    r = s3.list_object_versions(Bucket=b, MaxKeys=1)
    check(r["IsTruncated"], "MaxKeys=1 not truncated")
    eq(r.get("NextKeyMarker"), "a", "NextKeyMarker")
    r = s3.list_object_versions(Bucket=b, KeyMarker="a")
    eq([x["Key"] for x in r.get("Versions", [])], ["b/c", "d"], "after KeyMarker")
    # GET ?versionId=null is the current object.
    eq(s3.get_object(Bucket=b, Key="a", VersionId="null")["Body"].read(), b"overwritten",
       "GET versionId=null")


def test_bucket_path_with_trailing_slash(ctx):
    # "GET /bucket/" is the bucket, not the key "": some clients list that way.
    s3 = ctx.s3()
    b = ctx.bucket("slash")
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    r = raw_request(ctx.server, "GET", f"/{b}/", query=[("list-type", "2")])
    eq(r.status, 200, f"GET /bucket/?list-type=2: {r}")
    eq([e.text for e in xml_find_all(r.body, "Key")], ["k"], "keys")
    r = raw_request(ctx.server, "HEAD", f"/{b}/")
    eq(r.status, 200, "HEAD /bucket/")


def test_empty_bucket_listing(ctx):
    s3 = ctx.s3()
    b = ctx.bucket("empty")
    r = s3.list_objects_v2(Bucket=b)
    eq(r["KeyCount"], 0, "KeyCount")
    check("Contents" not in r, "Contents in an empty listing")
    eq(r["IsTruncated"], False, "IsTruncated")
    eq(r["Name"], b, "Name")
    r = s3.list_objects(Bucket=b)
    check("Contents" not in r, "v1 Contents in an empty listing")
