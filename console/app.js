/*
 * Strata console (issue 13). No framework, no build step, no outside
 * resources. The admin listener holds the session (an HttpOnly cookie this
 * script never sees) and signs URLs for it (/console/api/presign); every S3
 * call goes straight to the S3 listener with such a URL, so the console can
 * do exactly what the user's keys allow. Data from the server is only ever
 * put into the page as text (textContent), never as HTML.
 */
'use strict';

const $ = (sel) => document.querySelector(sel);
const state = { user: null, endpoint: '', bucket: '', prefix: '', token: '', current: null };

/* ---- small helpers ---- */

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i ? v.toFixed(1) : String(v)) + ' ' + units[i];
}

function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

function say(msg) { $('#status').textContent = msg; }

function showError(msg) {
  const e = $('#error');
  e.textContent = msg;
  e.hidden = !msg;
}

function show(view) {
  if (view !== 'dashboard-view') stopDashboard();
  for (const id of ['login-view', 'buckets-view', 'browser-view', 'rules-view', 'dashboard-view'])
    $('#' + id).hidden = id !== view;
  $('#session').hidden = view === 'login-view';
}

/* ---- the admin listener's API ---- */

async function api(path, form) {
  const opts = { method: form ? 'POST' : 'GET', headers: { 'X-Strata-Console': '1' }, credentials: 'same-origin' };
  if (form) {
    opts.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    opts.body = form instanceof URLSearchParams ? form : new URLSearchParams(form);
  }
  const r = await fetch('/console/api/' + path, opts);
  let body = {};
  try { body = await r.json(); } catch (e) { /* not JSON: keep {} */ }
  if (r.status === 401 && path !== 'login') {
    toLogin('Your session ended: please log in again.');
    throw new Error('not logged in');
  }
  if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
  return body;
}

/* Presigned URLs for op on bucket (one per key for object operations). */
async function presign(op, bucket, keys, extra) {
  const f = new URLSearchParams({ op, bucket, ...(extra || {}) });
  for (const k of keys || []) f.append('key', k);
  return (await api('presign', f)).urls;
}

/* The S3 listener's error document as one line: "Code: Message". */
async function s3error(r) {
  let text = '';
  try { text = await r.text(); } catch (e) { /* none */ }
  const doc = text ? new DOMParser().parseFromString(text, 'application/xml') : null;
  const code = doc && doc.querySelector('Code');
  const msg = doc && doc.querySelector('Message');
  return (code ? code.textContent : 'HTTP ' + r.status) + (msg ? ': ' + msg.textContent : '');
}

async function s3(url, init) {
  const r = await fetch(url, { credentials: 'omit', ...(init || {}) });
  if (!r.ok) throw new Error(await s3error(r));
  return r;
}

function xml(text) { return new DOMParser().parseFromString(text, 'application/xml'); }
function kids(node, name) { return Array.from(node.children).filter((c) => c.localName === name); }
function kid(node, name) { return kids(node, name)[0] || null; }
function text(node, name) { const k = node && kid(node, name); return k ? k.textContent : ''; }

/* ---- login ---- */

function toLogin(msg) {
  state.user = null;
  show('login-view');
  showError(msg || '');
  $('#access-key').focus();
}

async function login(ev) {
  ev.preventDefault();
  showError('');
  try {
    await api('login', { access_key: $('#access-key').value, secret: $('#secret').value });
  } catch (e) {
    $('#secret').value = '';
    showError('Login refused: ' + e.message);
    $('#secret').focus();
    return;
  }
  $('#secret').value = '';
  await start();
}

async function logout() {
  try { await api('logout', {}); } catch (e) { /* ended anyway */ }
  location.hash = '#/';
  toLogin('');
  say('Logged out.');
}

async function start() {
  let s;
  try { s = await fetch('/console/api/session', { headers: { 'X-Strata-Console': '1' } }); } catch (e) { s = null; }
  if (!s || !s.ok) { toLogin(''); return; }
  const info = await s.json();
  state.user = info.user;
  state.endpoint = info.endpoint;
  $('#who').textContent = info.user;
  await route();
}

/* ---- routing: #/ buckets, #/b/BUCKET/PREFIX objects, #/rules/BUCKET ---- */

async function route() {
  if (!state.user) return;
  showError('');
  const h = location.hash.replace(/^#/, '') || '/';
  try {
    if (h.startsWith('/b/')) {
      const rest = h.slice(3);
      const slash = rest.indexOf('/');
      const bucket = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
      const prefix = slash < 0 ? '' : decodeURIComponent(rest.slice(slash + 1));
      await browse(bucket, prefix);
    } else if (h === '/dashboard') {
      await dashboard();
    } else if (h.startsWith('/rules/')) {
      await rules(decodeURIComponent(h.slice(7)));
    } else {
      await bucketList();
    }
  } catch (e) {
    if (e.message !== 'not logged in') showError(e.message);
  }
}

function objectsHash(bucket, prefix) {
  return '#/b/' + encodeURIComponent(bucket) + '/' + encodeURIComponent(prefix || '');
}

/* ---- buckets ---- */

async function bucketList() {
  show('buckets-view');
  say('Loading buckets…');
  const data = await api('buckets');
  const tb = $('#bucket-table tbody');
  tb.replaceChildren();
  for (const b of data.buckets) {
    const classes = b.classes.map((c) => c.class + ': ' + c.objects + ' (' + bytes(c.bytes) + ')').join(', ');
    const pre = b.truncated ? 'at least ' : '';
    tb.append(el('tr', { dataset: { bucket: b.name } },
      el('td', {}, el('a', { href: objectsHash(b.name, '') }, b.name)),
      el('td', {}, when(b.created)),
      el('td', { class: 'num' }, pre + b.objects),
      el('td', { class: 'num' }, pre + bytes(b.bytes)),
      el('td', {}, classes || '—'),
      el('td', {}, el('a', { href: '#/rules/' + encodeURIComponent(b.name), 'aria-label': 'Rules of ' + b.name }, 'Rules'))));
  }
  $('#no-buckets').hidden = data.buckets.length > 0;
  const cut = data.buckets.some((b) => b.truncated);
  $('#scan-note').hidden = !cut;
  $('#scan-note').textContent = cut ? 'Counts stop after ' + data.scan_limit + ' objects in all: larger buckets show lower bounds.' : '';
  say(data.buckets.length + ' bucket(s).');
}

async function createBucket(ev) {
  ev.preventDefault();
  showError('');
  const name = $('#new-bucket').value.trim();
  try {
    const [url] = await presign('create_bucket', name);
    await s3(url, { method: 'PUT' });
    $('#new-bucket').value = '';
    say('Bucket ' + name + ' created.');
    await bucketList();
  } catch (e) {
    showError('Cannot create ' + name + ': ' + e.message);
  }
}

/* ---- objects ---- */

function crumbs(bucket, prefix) {
  const ol = $('#crumbs');
  ol.replaceChildren(el('li', {}, el('a', { href: '#/' }, 'Buckets')));
  ol.append(el('li', {}, el('a', { href: objectsHash(bucket, '') }, bucket)));
  let acc = '';
  for (const part of prefix.split('/').filter(Boolean)) {
    acc += part + '/';
    ol.append(el('li', {}, el('a', { href: objectsHash(bucket, acc) }, part)));
  }
  const last = ol.lastElementChild.firstChild;
  last.setAttribute('aria-current', 'page');
}

async function browse(bucket, prefix) {
  show('browser-view');
  if (state.bucket !== bucket || state.prefix !== prefix) $('#details').hidden = true;
  state.bucket = bucket;
  state.prefix = prefix;
  state.token = '';
  $('#browser-title').textContent = 'Objects in ' + bucket + (prefix ? ' / ' + prefix : '');
  $('#rules-link').href = '#/rules/' + encodeURIComponent(bucket);
  crumbs(bucket, prefix);
  $('#object-table tbody').replaceChildren();
  await listPage();
}

async function listPage() {
  const { bucket, prefix } = state;
  say('Listing ' + bucket + '/' + prefix + '…');
  const extra = { prefix };
  if (state.token) extra.token = state.token;
  const [url] = await presign('list', bucket, null, extra);
  const doc = xml(await (await s3(url)).text());
  const root = doc.documentElement;
  const tb = $('#object-table tbody');
  for (const cp of kids(root, 'CommonPrefixes')) {
    const p = text(cp, 'Prefix');
    const name = p.slice(prefix.length);
    tb.append(el('tr', { class: 'folder' },
      el('td', {}, el('a', { href: objectsHash(bucket, p) }, name)),
      el('td', { class: 'num' }, '—'), el('td', {}, ''), el('td', {}, 'folder'), el('td', {}, ''), el('td', {}, ''), el('td', {}, '')));
  }
  const objs = kids(root, 'Contents').map((c) => ({
    key: text(c, 'Key'), size: Number(text(c, 'Size')), etag: text(c, 'ETag'),
    modified: text(c, 'LastModified'), storageClass: text(c, 'StorageClass') || 'STANDARD',
  }));
  for (const o of objs) {
    o.row = el('tr', { dataset: { key: o.key } },
      el('td', {}, el('code', {}, o.key.slice(prefix.length))),
      el('td', { class: 'num' }, bytes(o.size)),
      el('td', {}, when(o.modified)),
      el('td', { class: 'sc' }, o.storageClass),
      el('td', { class: 'sha' }, el('code', {}, '…')),
      el('td', { class: 'repl' }, ''),
      el('td', { class: 'actions-cell' },
        el('button', { type: 'button', class: 'secondary', 'aria-label': 'Details of ' + o.key, onclick: () => details(o) }, 'Details')));
    tb.append(o.row);
  }
  state.token = text(root, 'IsTruncated') === 'true' ? text(root, 'NextContinuationToken') : '';
  $('#more').hidden = !state.token;
  $('#no-objects').hidden = tb.children.length > 0;
  say(tb.children.length + ' item(s) in ' + bucket + '/' + prefix + (state.token ? ' (more follow)' : '') + '.');
  await heads(objs);
}

/* HEAD of each listed object (6 at a time) for what a listing does not say. */
async function heads(objs) {
  if (!objs.length) return;
  /* In batches: 1000 long keys would not fit one request body (64 KiB). */
  const urls = [];
  for (let i = 0; i < objs.length; i += 50)
    urls.push(...await presign('head', state.bucket, objs.slice(i, i + 50).map((o) => o.key)));
  let next = 0;
  const worker = async () => {
    while (next < objs.length) {
      const i = next++;
      try {
        const r = await s3(urls[i], { method: 'HEAD' });
        fillHead(objs[i], r.headers);
      } catch (e) {
        objs[i].row.querySelector('.sha').textContent = '(' + e.message + ')';
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(6, objs.length) }, worker));
}

function fillHead(o, h) {
  o.sha256 = h.get('x-strata-sha256') || '';
  o.verified = h.get('x-strata-last-verified') || '';
  o.encryption = h.get('x-amz-server-side-encryption') || 'none';
  o.replication = h.get('x-amz-replication-status') || '';
  o.restore = h.get('x-amz-restore') || '';
  o.versionId = h.get('x-amz-version-id') || '';
  o.storageClass = h.get('x-amz-storage-class') || o.storageClass;
  o.etag = h.get('ETag') || o.etag;
  const sha = o.row.querySelector('.sha');
  sha.replaceChildren(el('code', { title: o.sha256, dataset: { sha256: o.sha256 } }, o.sha256 ? o.sha256.slice(0, 16) + '…' : '—'));
  o.row.querySelector('.repl').textContent = o.replication || '—';
  o.row.querySelector('.sc').textContent = o.storageClass;
  if (state.current && state.current.key === o.key) details(o);
}

function details(o) {
  state.current = o;
  const dl = $('#details-list');
  dl.replaceChildren();
  const rows = [
    ['Key', o.key], ['Size', bytes(o.size) + ' (' + o.size + ' bytes)'], ['ETag', o.etag],
    ['SHA-256', o.sha256 || '(not known)'],
    ['Last verified', o.verified ? when(o.verified) : 'not yet verified by a scrub'],
    ['Last modified', when(o.modified)], ['Storage class', o.storageClass],
    ['Encryption', o.encryption || ''], ['Replication', o.replication || 'not replicated'],
  ];
  if (o.restore) rows.push(['Restore', o.restore]);
  if (o.versionId) rows.push(['Version', o.versionId]);
  for (const [k, v] of rows) {
    dl.append(el('dt', {}, k), el('dd', { class: k === 'SHA-256' ? 'mono' : '', id: 'd-' + k.toLowerCase().replace(/[^a-z0-9]+/g, '-') }, v));
  }
  $('#details-title').textContent = o.key;
  $('#restore-form').hidden = !/^(GLACIER|DEEP_ARCHIVE)$/.test(o.storageClass);
  $('#share-result').hidden = true;
  $('#details').hidden = false;
}

async function upload(ev) {
  ev.preventDefault();
  showError('');
  const files = Array.from($('#upload-file').files);
  if (!files.length) return;
  const keys = files.map((f) => state.prefix + f.name);
  try {
    const urls = await presign('put', state.bucket, keys);
    for (let i = 0; i < files.length; i++) {
      say('Uploading ' + keys[i] + ' (' + bytes(files[i].size) + ')…');
      await s3(urls[i], { method: 'PUT', body: files[i], headers: { 'Content-Type': files[i].type || 'application/octet-stream' } });
    }
    $('#upload-file').value = '';
    await browse(state.bucket, state.prefix);
    say('Uploaded ' + keys.join(', ') + '.');
  } catch (e) {
    showError('Upload failed: ' + e.message);
  }
}

async function download() {
  const o = state.current;
  if (!o) return;
  try {
    const [url] = await presign('get', state.bucket, [o.key]);
    location.assign(url); /* Content-Disposition: attachment keeps this page */
  } catch (e) {
    showError('Download failed: ' + e.message);
  }
}

async function remove() {
  const o = state.current;
  if (!o || !window.confirm('Delete ' + o.key + ' from ' + state.bucket + '?')) return;
  try {
    const [url] = await presign('delete', state.bucket, [o.key]);
    await s3(url, { method: 'DELETE' });
    $('#details').hidden = true;
    state.current = null;
    await browse(state.bucket, state.prefix);
    say('Deleted ' + o.key + '.');
  } catch (e) {
    showError('Delete failed: ' + e.message);
  }
}

async function restore(ev) {
  ev.preventDefault();
  const o = state.current;
  const days = parseInt($('#restore-days').value, 10);
  try {
    const [url] = await presign('restore', state.bucket, [o.key]);
    const body = '<RestoreRequest xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Days>' + days + '</Days></RestoreRequest>';
    const r = await s3(url, { method: 'POST', body, headers: { 'Content-Type': 'application/xml' } });
    say(r.status === 202 ? 'Restore of ' + o.key + ' started.' : 'A restored copy of ' + o.key + ' is readable; its expiry moved.');
  } catch (e) {
    showError('Restore failed: ' + e.message);
  }
}

async function share(ev) {
  ev.preventDefault();
  const o = state.current;
  try {
    const expires = $('#share-expiry').value;
    const [url] = await presign('share', state.bucket, [o.key], { expires });
    $('#share-url').value = url;
    $('#share-result').hidden = false;
    $('#share-url').focus();
    $('#share-url').select();
    say('Share link made: it works for ' + $('#share-expiry').selectedOptions[0].textContent + '.');
  } catch (e) {
    showError('Cannot make a link: ' + e.message);
  }
}

async function copy() {
  const url = $('#share-url').value;
  try {
    await navigator.clipboard.writeText(url);
    say('Link copied.');
  } catch (e) {
    $('#share-url').select();
    say('Press Ctrl+C to copy the selected link.');
  }
}

/* ---- lifecycle and replication rules ---- */

function filterText(rule) {
  const f = kid(rule, 'Filter');
  const parts = [];
  const walk = (n) => {
    for (const c of n.children) {
      if (c.localName === 'Prefix') parts.push('prefix "' + c.textContent + '"');
      else if (c.localName === 'Tag') parts.push('tag ' + text(c, 'Key') + '=' + text(c, 'Value'));
      else if (c.localName === 'ObjectSizeGreaterThan') parts.push('larger than ' + bytes(c.textContent));
      else if (c.localName === 'ObjectSizeLessThan') parts.push('smaller than ' + bytes(c.textContent));
      else if (c.localName === 'And') walk(c);
    }
  };
  if (f) walk(f);
  const legacy = kid(rule, 'Prefix');
  if (legacy) parts.push('prefix "' + legacy.textContent + '"');
  return parts.length ? parts.join(' and ') : 'every object';
}

function lifecycleActions(rule) {
  const out = [];
  const exp = kid(rule, 'Expiration');
  if (exp) {
    if (text(exp, 'Days')) out.push('delete after ' + text(exp, 'Days') + ' days');
    if (text(exp, 'Date')) out.push('delete on ' + text(exp, 'Date'));
    if (text(exp, 'ExpiredObjectDeleteMarker') === 'true') out.push('remove expired delete markers');
  }
  for (const t of kids(rule, 'Transition'))
    out.push('move to ' + text(t, 'StorageClass') + (text(t, 'Days') ? ' after ' + text(t, 'Days') + ' days' : ' on ' + text(t, 'Date')));
  const nce = kid(rule, 'NoncurrentVersionExpiration');
  if (nce) out.push('delete old versions after ' + text(nce, 'NoncurrentDays') + ' days');
  for (const t of kids(rule, 'NoncurrentVersionTransition'))
    out.push('move old versions to ' + text(t, 'StorageClass') + ' after ' + text(t, 'NoncurrentDays') + ' days');
  const ab = kid(rule, 'AbortIncompleteMultipartUpload');
  if (ab) out.push('abort unfinished uploads after ' + text(ab, 'DaysAfterInitiation') + ' days');
  return out.join('; ') || '—';
}

/* The rules document, or null when the bucket has none (404 NoSuch...Configuration). */
async function document_(op, bucket) {
  const [url] = await presign(op, bucket);
  const r = await fetch(url, { credentials: 'omit' });
  if (r.status === 404) {
    const why = await s3error(r);
    if (/NoSuch(Lifecycle|Replication)Configuration|ReplicationConfigurationNotFoundError/.test(why)) return null;
    throw new Error(why);
  }
  if (!r.ok) throw new Error(await s3error(r));
  return xml(await r.text()).documentElement;
}

async function rules(bucket) {
  show('rules-view');
  state.bucket = bucket;
  $('#rules-title').textContent = 'Rules of ' + bucket;
  $('#rules-back').href = objectsHash(bucket, '');
  say('Loading rules…');
  for (const id of ['#lc-table', '#lc-none', '#rp-table', '#rp-none']) $(id).hidden = true;
  const lc = await document_('lifecycle', bucket);
  const lcRules = lc ? kids(lc, 'Rule') : [];
  const lt = $('#lc-table tbody');
  lt.replaceChildren();
  for (const r of lcRules)
    lt.append(el('tr', {}, el('td', {}, text(r, 'ID') || '—'), el('td', {}, text(r, 'Status')), el('td', {}, filterText(r)), el('td', {}, lifecycleActions(r))));
  $('#lc-table').hidden = !lcRules.length;
  $('#lc-none').hidden = lcRules.length > 0;

  const rp = await document_('replication', bucket);
  const rpRules = rp ? kids(rp, 'Rule') : [];
  const rt = $('#rp-table tbody');
  rt.replaceChildren();
  for (const r of rpRules) {
    const d = kid(r, 'Destination');
    const dest = d ? text(d, 'Bucket') + (text(d, 'StorageClass') ? ' (' + text(d, 'StorageClass') + ')' : '') : '—';
    const dm = kid(r, 'DeleteMarkerReplication');
    rt.append(el('tr', {}, el('td', {}, text(r, 'ID') || '—'), el('td', {}, text(r, 'Status')), el('td', {}, text(r, 'Priority') || '—'),
      el('td', {}, filterText(r)), el('td', {}, dest), el('td', {}, dm ? (text(dm, 'Status') === 'Enabled' ? 'replicated' : 'not replicated') : '—')));
  }
  $('#rp-table').hidden = !rpRules.length;
  $('#rp-none').hidden = rpRules.length > 0;
  say(lcRules.length + ' lifecycle rule(s), ' + rpRules.length + ' replication rule(s).');
}

/*
 * ---- dashboard ----
 * History comes from the server (/console/api/history: a sample every 10 s
 * for 30 minutes, one a minute for 24 hours, kept in memory by strata, so a
 * reload keeps it; a restart of strata does not). While the page is shown it
 * also reads /metrics every 5 s: those live samples extend the history up to
 * now and feed the tiles. Both read the same counters and gauges, so rates
 * are computed between successive samples of either kind.
 */

const dash = { timer: null, live: [], history: null, classes: [], range: 'fine', max: 360 };

/* Prometheus text format 0.0.4 into [{name, labels, value}]. */
function parseMetrics(textIn) {
  const out = [];
  for (const line of textIn.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2].replace(/\\(.)/g, (x, c) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function sum(ms, name, pred) {
  return ms.filter((m) => m.name === name && (!pred || pred(m.labels))).reduce((a, m) => a + m.value, 0);
}

function byLabel(ms, name, label) {
  const out = {};
  for (const m of ms) if (m.name === name) out[m.labels[label]] = (out[m.labels[label]] || 0) + m.value;
  return out;
}

/* One live sample from /metrics: the counters as totals, the gauges as they are. */
function sample(ms) {
  const st = (p) => (l) => p(Number(l.status));
  const stored = byLabel(ms, 'strata_stored_bytes', 'storage_class');
  return {
    t: Date.now() / 1000,
    requests: sum(ms, 'strata_requests_total'),
    err4: sum(ms, 'strata_requests_total', st((s) => s >= 400 && s < 500)),
    err5: sum(ms, 'strata_requests_total', st((s) => s >= 500)),
    bytesIn: sum(ms, 'strata_bytes_received_total'),
    bytesOut: sum(ms, 'strata_bytes_sent_total'),
    queue: sum(ms, 'strata_replication_queue_depth'),
    lag: sum(ms, 'strata_replication_oldest_pending_seconds'),
    connections: sum(ms, 'strata_connections_open'),
    integrity: sum(ms, 'strata_integrity_failures_total'),
    scrubProblems: sum(ms, 'strata_scrub_problems_total'),
    scrubPasses: sum(ms, 'strata_scrub_passes_total'),
    scrubObjects: sum(ms, 'strata_scrub_objects_total'),
    scrubLast: sum(ms, 'strata_scrub_last_pass_timestamp_seconds'),
    replFailures: sum(ms, 'strata_replication_failures_total'),
    moved: byLabel(ms, 'strata_lifecycle_bytes_moved_total', 'storage_class'),
    usage: Object.keys(stored).length > 0,
    stored,
    objects: byLabel(ms, 'strata_stored_objects', 'storage_class'),
    noncurrent: sum(ms, 'strata_stored_noncurrent_bytes'),
  };
}

/* A server sample (dashboard.h) in the live samples' shape. */
function fromServer(h, classes) {
  const per = (a) => Object.fromEntries(classes.map((c, i) => [c, Number(a[i] || 0)]));
  return {
    t: h.t, requests: h.requests, err4: h.client_errors, err5: h.server_errors,
    queue: h.repl_depth, lag: h.repl_lag_seconds, scrubProblems: h.scrub_problems,
    scrubPasses: h.scrub_passes, scrubObjects: h.scrub_objects, scrubLast: h.scrub_last_pass,
    usage: h.usage, stored: per(h.bytes), objects: per(h.objects), noncurrent: h.noncurrent_bytes,
  };
}

/* The samples of the chosen period, oldest first: the server's, then the live ones after them. */
function samples() {
  const h = dash.history;
  const srv = h ? (dash.range === 'coarse' ? h.coarse : h.fine).map((x) => fromServer(x, dash.classes)) : [];
  const last = srv.length ? srv[srv.length - 1].t : 0;
  const live = dash.range === 'coarse' ? [] : dash.live.filter((x) => x.t > last);
  return srv.concat(live);
}

/* Per-second rates of a counter between successive samples (a drop is a restart: skipped). */
function rate(ss, key) {
  const pts = [];
  for (let i = 1; i < ss.length; i++) {
    const a = ss[i - 1], b = ss[i];
    const dt = b.t - a.t;
    if (dt > 0 && b[key] >= a[key]) pts.push([b.t, (b[key] - a[key]) / dt]);
  }
  return pts;
}

function gauge(ss, key) { return ss.filter((s) => s[key] !== undefined).map((s) => [s.t, s[key]]); }

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function svgText(x, y, s, anchor, extra) {
  const t = svg('text', { x, y, 'font-size': 11, fill: '#57606a', 'text-anchor': anchor || 'start', ...(extra || {}) });
  t.textContent = s;
  return t;
}

const clock = (t, span) => new Date(t * 1000).toLocaleTimeString([], span < 600 ? {} : { hour: '2-digit', minute: '2-digit' });

/*
 * A chart as SVG (no library): series [{label, color, points: [[t, v]], fmt}]
 * drawn as lines, or stacked areas when opts.stacked (points of every series
 * at the same times). Its text alternative is the figure's table (the last
 * rows of the data) and the SVG's aria-label (the values now).
 */
function chart(id, title, yLabel, series, opts) {
  opts = opts || {};
  let fig = document.getElementById(id);
  if (!fig) {
    /* Built once: redraws replace the drawing, legend and table, never the details a
       keyboard user opened or the summary that has the focus. */
    fig = el('figure', { class: 'chart', id }, el('figcaption', {}, title), el('div', { class: 'plot' }),
      el('div', { class: 'legend' }), el('details', {}, el('summary', {}, 'Data table: ' + title), el('table', { class: 'chart-data' })));
    $('#charts').append(fig);
  }
  const W = 600, H = 180, L = 70, B = 32;
  const ts = series.flatMap((s) => s.points.map((p) => p[0]));
  const t1 = Math.max(Date.now() / 1000, ...ts);
  const t0 = Math.min(t1 - 60, ...ts);
  let tops = series.flatMap((s) => s.points.map((p) => p[1]));
  if (opts.stacked && series.length) tops = series[0].points.map((p, i) => series.reduce((a, s) => a + (s.points[i] ? s.points[i][1] : 0), 0));
  const top = Math.max(0, ...tops);
  const vmax = top > 0 ? top * 1.1 : 1.1; /* an all-zero chart still gets a 0..1 axis */
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - 8);
  const y = (v) => H - B - (v / vmax) * (H - B - 8);
  const g = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' });
  g.append(svg('line', { x1: L, y1: H - B, x2: W - 8, y2: H - B, stroke: '#8c959f' }));
  g.append(svg('line', { x1: L, y1: 8, x2: L, y2: H - B, stroke: '#8c959f' }));
  const fmt = series[0].fmt;
  const seen = new Set(); /* small integer ranges would repeat a label: show it once */
  for (const v of [0, vmax / 1.1, vmax / 2]) {
    if (seen.has(fmt(v))) continue;
    seen.add(fmt(v));
    g.append(svgText(L - 4, y(v) + 4, fmt(v), 'end'));
  }
  for (const t of [t0, (t0 + t1) / 2, t1]) g.append(svgText(x(t), H - B + 13, clock(t, t1 - t0), t === t0 ? 'start' : t === t1 ? 'end' : 'middle'));
  g.append(svgText((L + W) / 2, H - 3, 'time (' + (dash.range === 'coarse' ? 'last 24 hours' : 'last 30 minutes') + ')', 'middle'));
  g.append(svgText(12, (H - B) / 2, yLabel, 'middle', { transform: `rotate(-90 12 ${(H - B) / 2})` }));
  const legend = [];
  let below = null;
  for (const s of series) {
    if (s.points.length) {
      if (opts.stacked) {
        const base = below || s.points.map((p) => [p[0], 0]);
        const top = s.points.map((p, i) => [p[0], base[i][1] + p[1]]);
        const d = top.map((p, i) => (i ? 'L' : 'M') + x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ') + ' ' +
          base.slice().reverse().map((p) => 'L' + x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ') + ' Z';
        g.append(svg('path', { d, fill: s.color, 'fill-opacity': 0.55, stroke: s.color }));
        below = top;
      } else {
        const d = s.points.map((p, i) => (i ? 'L' : 'M') + x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ');
        g.append(svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2 }));
      }
      if (s.points.length === 1) /* one sample draws no line: mark it */
        g.append(svg('circle', { cx: x(s.points[0][0]), cy: y(s.points[0][1]), r: 3, fill: s.color }));
    }
    const last = s.points.length ? s.points[s.points.length - 1][1] : 0;
    legend.push(s.label + ' ' + s.fmt(last));
  }
  g.setAttribute('aria-label', title + ', now: ' + legend.join(', ') + '. The table below lists the values.');
  /* The text alternative: the newest rows of the data, newest first. */
  const rows = [];
  const times = [...new Set(ts)].sort((a, b) => b - a).slice(0, 12);
  for (const t of times)
    rows.push(el('tr', {}, el('th', { scope: 'row' }, new Date(t * 1000).toLocaleString()),
      ...series.map((s) => { const p = s.points.find((q) => q[0] === t); return el('td', { class: 'num' }, p ? s.fmt(p[1]) : '—'); })));
  fig.querySelector('table').replaceChildren(
    el('caption', {}, title + (times.length ? ' (newest ' + times.length + ' samples)' : ' (no samples yet)')),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Time'), ...series.map((s) => el('th', { scope: 'col', class: 'num' }, s.label)))),
    el('tbody', {}, ...rows));
  const pts = series[0].points;
  fig.querySelector('.plot').replaceChildren(g);
  const lg = fig.querySelector('.legend');
  lg.dataset.points = String(pts.length);
  lg.dataset.max = String(Math.max(0, ...pts.map((p) => p[1])));
  lg.textContent = legend.join(' · ');
}

function tile(label, value, bad) {
  return el('div', { class: 'tile' + (bad ? ' bad' : '') }, el('div', {}, label), el('div', { class: 'v' }, value));
}

const perSec = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(2)) + '/s';
const bytesPerSec = (v) => bytes(Math.round(v)) + '/s';
const seconds = (v) => (v >= 3600 ? (v / 3600).toFixed(1) + ' h' : v >= 60 ? (v / 60).toFixed(1) + ' min' : v.toFixed(0) + ' s');
const count = (v) => String(Math.round(v));
const sizeOf = (v) => bytes(Math.round(v));
const TIER_COLORS = { STANDARD: '#0b5cad', STANDARD_IA: '#2da44e', GLACIER_IR: '#bf8700', GLACIER: '#8250df', DEEP_ARCHIVE: '#57606a' };

/* Bytes per tier, stacked, and the table of what each class holds now. */
function drawStored(ss) {
  const known = ss.filter((s) => s.usage);
  /* "Stored now" is the newest reading, whatever the period charted. */
  const last = known.concat(dash.live.filter((s) => s.usage)).reduce((a, s) => (!a || s.t > a.t ? s : a), null);
  const note = $('#stored-note');
  if (!last) {
    note.textContent = 'No storage usage yet (the s3 home backend does not report it; posix reports within a minute of start).';
    return;
  }
  const classes = ['STANDARD', 'STANDARD_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'].filter((c) => known.concat([last]).some((s) => s.stored[c] > 0));
  if (!classes.length) classes.push('STANDARD');
  chart('chart-stored', 'Bytes stored per tier', 'bytes', classes.map((c) => ({
    label: c, color: TIER_COLORS[c] || '#000', fmt: sizeOf, points: known.map((s) => [s.t, s.stored[c] || 0]),
  })), { stacked: true });
  note.textContent = 'Stored now: ' + classes.map((c) => c + ' ' + bytes(last.stored[c] || 0) + ' in ' + count(last.objects[c] || 0) + ' objects').join(', ') +
    (last.noncurrent ? '; noncurrent versions ' + bytes(last.noncurrent) : '') + '.';
}

function drawDashboard() {
  const ss = samples();
  const s = dash.live[dash.live.length - 1] || ss[ss.length - 1];
  if (!s) return;
  const moved = Object.entries(s.moved || {}).filter(([, v]) => v > 0).map(([k, v]) => k + ' ' + bytes(v)).join(', ');
  $('#tiles').replaceChildren(
    tile('Requests answered', count(s.requests)),
    tile('Open connections', count(s.connections || 0)),
    tile('Replication queue', count(s.queue) + (s.lag ? ' (oldest ' + seconds(s.lag) + ')' : ''), s.lag > 300),
    tile('Replication failures (retried)', count(s.replFailures || 0), s.replFailures > 0),
    tile('Integrity failures on reads', count(s.integrity || 0), s.integrity > 0),
    tile('Scrub', s.scrubLast ? s.scrubPasses + ' passes, last ' + new Date(s.scrubLast * 1000).toLocaleString() + ', ' +
      count(s.scrubObjects) + ' objects verified, ' + s.scrubProblems + ' problems' : 'no pass yet', s.scrubProblems > 0),
    tile('Moved by lifecycle', moved || 'nothing yet'));
  drawStored(ss);
  chart('chart-requests', 'Requests per second', 'requests/s', [
    { label: 'all', color: '#0b5cad', points: rate(ss, 'requests'), fmt: perSec },
    { label: '4xx', color: '#b7791f', points: rate(ss, 'err4'), fmt: perSec },
    { label: '5xx', color: '#b42318', points: rate(ss, 'err5'), fmt: perSec }]);
  chart('chart-queue', 'Replication queue (events)', 'events', [{ label: 'queued', color: '#8250df', points: gauge(ss, 'queue'), fmt: count }]);
  chart('chart-lag', 'Replication lag (age of the oldest queued event)', 'lag', [{ label: 'lag', color: '#b42318', points: gauge(ss, 'lag'), fmt: seconds }]);
  chart('chart-scrub', 'Scrub results (totals since start)', 'objects', [
    { label: 'objects verified', color: '#2da44e', points: gauge(ss, 'scrubObjects'), fmt: count },
    { label: 'problems found', color: '#b42318', points: gauge(ss, 'scrubProblems'), fmt: count }]);
  if (dash.range === 'fine')
    chart('chart-bytes', 'Throughput (live, while this page is open)', 'bytes/s', [
      { label: 'in', color: '#0b5cad', points: rate(dash.live, 'bytesIn'), fmt: bytesPerSec },
      { label: 'out', color: '#2da44e', points: rate(dash.live, 'bytesOut'), fmt: bytesPerSec }]);
  else if ($('#chart-bytes')) $('#chart-bytes').remove();
}

async function poll() {
  try {
    const [h, r] = await Promise.all([api('history'), fetch('/metrics', { credentials: 'omit', cache: 'no-store' })]);
    if (!r.ok) throw new Error('HTTP ' + r.status);
    dash.history = h;
    dash.classes = h.classes || [];
    dash.live.push(sample(parseMetrics(await r.text())));
    if (dash.live.length > dash.max) dash.live.shift();
    drawDashboard();
    say('Metrics read at ' + new Date().toLocaleTimeString() + '.');
  } catch (e) {
    showError('Cannot read the metrics: ' + e.message);
  }
}

function stopDashboard() {
  if (dash.timer) clearInterval(dash.timer);
  dash.timer = null;
}

async function dashboard() {
  show('dashboard-view');
  await poll();
  /* strata-dashboard-ms in localStorage changes the period (the browser test samples faster). */
  if (!dash.timer) dash.timer = setInterval(poll, Number(localStorage.getItem('strata-dashboard-ms')) || 5000);
}

/* ---- wiring ---- */

document.addEventListener('DOMContentLoaded', () => {
  $('#login-form').addEventListener('submit', login);
  $('#logout').addEventListener('click', logout);
  $('#create-form').addEventListener('submit', createBucket);
  $('#upload-form').addEventListener('submit', upload);
  $('#more').addEventListener('click', () => listPage().catch((e) => showError(e.message)));
  $('#download').addEventListener('click', download);
  $('#delete').addEventListener('click', remove);
  $('#restore-form').addEventListener('submit', restore);
  $('#share-form').addEventListener('submit', share);
  $('#copy').addEventListener('click', copy);
  $('#dash-range').addEventListener('change', (e) => { dash.range = e.target.value; drawDashboard(); });
  window.addEventListener('hashchange', route);
  start();
});
