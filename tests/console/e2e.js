// The console end to end in headless Chromium (tests/integration/test_console.py runs it).
// Environment: CONSOLE_URL (the admin listener's root), ACCESS, SECRET, UPLOAD (a file),
// UPLOAD_SHA256, BUCKET (to create), RULES_BUCKET (holds a lifecycle rule "keep-90"),
// SHOTS (a directory for screenshots), CHROMIUM (the browser), NODE_PATH (playwright-core),
// STORED (the STANDARD bytes stored once the upload is deleted, as the page writes them).
// Prints one line per step; exits 1 with the reason on the first failure.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const env = (k) => {
  if (!process.env[k]) throw new Error('missing environment variable ' + k);
  return process.env[k];
};

async function main() {
  const base = env('CONSOLE_URL');
  const bucket = env('BUCKET');
  const file = env('UPLOAD');
  const name = path.basename(file);
  const want = env('UPLOAD_SHA256');
  const shots = env('SHOTS');
  const problems = [];
  const browser = await chromium.launch({
    executablePath: env('CHROMIUM'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  // A CSP violation or a script error is a failure even when the step "worked".
  // (Chromium also logs every non-2xx fetch, such as a bucket's 404 "no replication rules":
  // those are answers the page handles, not errors.)
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      problems.push('console error: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  const shot = async (n) => page.screenshot({ path: path.join(shots, n + '.png'), fullPage: true });
  const step = (s) => console.log('step: ' + s);
  const expect = (cond, what) => { if (!cond) throw new Error(what); };

  step('the admin root redirects to the login page');
  await page.goto(base + '/');
  expect(page.url().endsWith('/console/'), 'redirected to /console/, got ' + page.url());
  await page.waitForSelector('#login-view:not([hidden])');
  await shot('01-login');

  step('a wrong secret is refused');
  await page.fill('#access-key', env('ACCESS'));
  await page.fill('#secret', 'not-the-secret');
  await page.click('#login-button');
  await page.waitForSelector('#error:not([hidden])');
  expect((await page.textContent('#error')).includes('Login refused'), 'refusal shown');
  expect(await page.isVisible('#login-view'), 'still on the login page');
  await shot('02-login-refused');

  step('log in with the keyboard only');
  await page.focus('#access-key');
  await page.fill('#access-key', '');
  await page.keyboard.type(env('ACCESS'));
  await page.keyboard.press('Tab');
  await page.keyboard.type(env('SECRET'));
  await page.keyboard.press('Enter');
  await page.waitForSelector('#buckets-view:not([hidden])');
  expect((await page.textContent('#who')) === 'root', 'signed in as root');

  step('create a bucket');
  await page.fill('#new-bucket', bucket);
  await page.click('#create-bucket');
  await page.waitForSelector(`#bucket-table tr[data-bucket="${bucket}"]`);
  await shot('03-buckets');

  step('open it and upload a file');
  await page.click(`#bucket-table tr[data-bucket="${bucket}"] a`);
  await page.waitForSelector('#browser-view:not([hidden])');
  await page.setInputFiles('#upload-file', file);
  await page.click('#upload-button');
  const row = `#object-table tr[data-key="${name}"]`;
  await page.waitForSelector(`${row} code[data-sha256]`);
  const shown = await page.getAttribute(`${row} code[data-sha256]`, 'data-sha256');
  expect(shown === want, `SHA-256 shown ${shown} is the file's ${want}`);
  await shot('04-objects');

  step('details show the SHA-256 and the status');
  await page.click(`${row} button`);
  await page.waitForSelector('#details:not([hidden])');
  expect((await page.textContent('#d-sha-256')) === want, 'details SHA-256');
  expect((await page.textContent('#d-encryption')) === 'AES256', 'encrypted with SSE-S3');
  await shot('05-details');

  step('download it');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const got = fs.readFileSync(await dl.path());
  expect(Buffer.compare(got, fs.readFileSync(file)) === 0, 'downloaded bytes equal the file');

  step('make a share link and fetch it');
  await page.selectOption('#share-expiry', '3600');
  await page.click('#share');
  await page.waitForSelector('#share-result:not([hidden])');
  const link = await page.inputValue('#share-url');
  expect(link.includes('X-Amz-Expires=3600'), 'link expires in an hour: ' + link);
  const r = await fetch(link);
  expect(r.ok, 'share link answers ' + r.status);
  const body = Buffer.from(await r.arrayBuffer());
  expect(Buffer.compare(body, fs.readFileSync(file)) === 0, 'shared bytes equal the file');
  await shot('06-share');

  step('prefix navigation (Delimiter /)');
  const rb = env('RULES_BUCKET');
  await page.goto(base + '/console/#/b/' + rb + '/');
  await page.waitForSelector('#object-table tr.folder a');
  expect((await page.textContent('#object-table tr.folder a')) === 'scans/', 'the folder row');
  expect(await page.isVisible('#object-table tr[data-key="top.txt"]'), 'the top-level object');
  expect(!(await page.isVisible('#object-table tr[data-key="scans/a.dcm"]')), 'folder contents hidden');
  await page.click('#object-table tr.folder a');
  await page.waitForSelector('#object-table tr[data-key="scans/b.dcm"] code[data-sha256]');
  expect((await page.textContent('#crumbs')).includes('scans'), 'breadcrumb shows the prefix');
  expect((await page.$$('#object-table tbody tr')).length === 2, 'two objects under scans/');
  await shot('07-prefix');

  step('lifecycle rules shown as a table');
  await page.goto(base + '/console/#/rules/' + env('RULES_BUCKET'));
  await page.waitForSelector('#lc-table:not([hidden])');
  const lc = await page.textContent('#lc-table tbody');
  expect(lc.includes('keep-90') && lc.includes('delete after 90 days'), 'rule rendered: ' + lc);
  await page.waitForSelector('#rp-none:not([hidden])'); // "No replication rules."

  await shot('08-rules');

  step('delete the object');
  await page.goto(base + '/console/#/b/' + bucket + '/');
  await page.click(`${row} button`);
  await page.waitForSelector('#details:not([hidden])');
  page.once('dialog', (d) => d.accept());
  await page.click('#delete');
  await page.waitForSelector('#no-objects:not([hidden])');
  await shot('09-deleted');

  step('the dashboard charts /metrics');
  await page.evaluate(() => localStorage.setItem('strata-dashboard-ms', '400'));
  await page.goto(base + '/console/#/dashboard');
  await page.waitForSelector('#dashboard-view:not([hidden]) #chart-requests');
  for (let i = 0; i < 5; i++) await fetch(link); // GETs of the deleted object: 404s
  await page.waitForFunction(() => {
    const l = document.querySelector('#chart-requests .legend');
    return l && Number(l.dataset.points) >= 3 && Number(l.dataset.max) > 0;
  });
  const tiles = await page.textContent('#tiles');
  expect(tiles.includes('Requests answered') && tiles.includes('Replication queue'), 'tiles: ' + tiles);
  for (const id of ['chart-queue', 'chart-lag', 'chart-scrub'])
    expect(await page.isVisible('#' + id + ' svg'), id + ' drawn');

  step('the bytes per tier chart and its text alternative show what is stored');
  const stored = process.env.STORED; // empty on the s3 home: it reports no storage usage
  if (!stored) {
    await page.waitForSelector('#stored-note');
    expect((await page.textContent('#stored-note')).includes('No storage usage'), 'no usage said');
  } else {
    await page.waitForFunction((want) => {
      const n = document.querySelector('#stored-note');
      const t = document.querySelector('#chart-stored table');
      return n && n.textContent.includes('STANDARD ' + want) && t && t.textContent.includes(want);
    }, stored, { timeout: 30000 });
    const label = await page.getAttribute('#chart-stored svg', 'aria-label');
    expect(label.includes('STANDARD ' + stored), 'the chart\'s label: ' + label);
    expect((await page.$$('#chart-stored svg path')).length >= 1, 'the stacked area drawn');
    // The data table is reachable from the keyboard: its summary takes focus and opens.
    await page.focus('#chart-stored summary');
    await page.keyboard.press('Enter');
    expect(await page.isVisible('#chart-stored table'), 'the table opens from the keyboard');
  }
  await shot('10-dashboard');

  step('the history survives a reload (kept by the server)');
  await page.reload();
  await page.waitForSelector('#dashboard-view:not([hidden]) #chart-requests');
  const hist = await page.evaluate(async () => (await (await fetch('/console/api/history', { headers: { 'X-Strata-Console': '1' } })).json()).fine.length);
  expect(hist >= 1, 'server-side samples: ' + hist);
  await page.selectOption('#dash-range', 'coarse');
  await page.waitForFunction(() => !document.querySelector('#chart-bytes')); // live-only chart gone
  await shot('11-dashboard-24h');
  await page.evaluate(() => localStorage.removeItem('strata-dashboard-ms'));

  step('log out');
  await page.click('#logout');
  await page.waitForSelector('#login-view:not([hidden])');
  const api = await page.evaluate(async () => (await fetch('/console/api/buckets', { headers: { 'X-Strata-Console': '1' } })).status);
  expect(api === 401, 'API refused after logout: ' + api);

  await browser.close();
  expect(problems.length === 0, problems.join('; '));
  console.log('ok');
}

main().catch((e) => {
  console.error('FAILED: ' + (e && e.message ? e.message : e));
  process.exit(1);
});
