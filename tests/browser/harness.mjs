// Shared harness for the browser tests (node's built-in runner: `node --test tests/browser/`).
//
// - startServer(): the real `tipseal serve` ($TIPSEAL_BIN) on 127.0.0.1:0 with a fresh temp
//   data dir and a fresh team (admin + reviewer keys, `admin init`, `admin add-reviewer`).
// - tipseal(), reviewShow(), reviewList(): the reviewer's side, through the command line.
// - launch(): Debian's /usr/bin/chromium driven by playwright-core (never a downloaded
//   browser), every request the page makes recorded.
// - shot(): a screenshot into docs/screenshots/.
//
// Environment: TIPSEAL_BIN (required: path of the tipseal binary; `cargo test` sets it),
// CHROMIUM (default /usr/bin/chromium), TIPSEAL_KEEP_TEST_DIRS=1 keeps temp dirs.

import { spawn, execFile } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
export const SCREENSHOTS = path.join(REPO, 'docs', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
/** The passphrase every test key is encrypted with (as in tests/common). */
export const PASSPHRASE = 'correct horse battery staple, test only';
/** Launch flags for Chromium on a machine with a closed network (see the README). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // playwright-core 1.65.1's own --disable-features list (a later --disable-features would
  // replace it, not add to it), plus AutofillServerCommunication: without it Chromium asks
  // content-autofill.googleapis.com about every form it sees (Tor Browser never does).
  '--disable-features=' + [
    'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
    'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding',
    'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect', 'OptimizationHints',
    'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch',
    'AutofillServerCommunication', 'Translate',
  ].join(','),
];

/**
 * Chromium's own services, which Debian's Chromium contacts whatever page is open, even
 * with the flags above (seen with 156: update.googleapis.com, the component updater for an
 * on-demand component; accounts.google.com, the sign-in service). They are the browser's,
 * not the page's: the page's own requests are checked through playwright's request events
 * (strictly: its origin only); these show up only at the recording proxy, which refuses
 * them. A suffix match, so that a Chromium update that calls one more Google service does
 * not fail the tests; anything else still does.
 */
export const CHROMIUM_OWN_HOSTS = /(^|\.)(google\.com|googleapis\.com|gstatic\.com|gvt1\.com)$/;

const COMMAND_TIMEOUT_MS = 120_000;
const STARTUP_TIMEOUT_MS = 30_000;

function bin() {
  const b = process.env.TIPSEAL_BIN;
  if (!b) throw new Error('TIPSEAL_BIN is not set: point it at the tipseal binary (cargo test --test browser sets it)');
  return b;
}

function keepDirs() {
  return process.env.TIPSEAL_KEEP_TEST_DIRS === '1';
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'tipseal-browser-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Runs `tipseal ARGS…` with TIPSEAL_PASSPHRASE set and stdin closed; resolves to
 * { code, stdout, stderr } (stdout as a Buffer). Rejects on timeout.
 */
export function tipsealRaw(args, { cwd } = {}) {
  return new Promise((resolve, reject) => {
    execFile(bin(), args, {
      cwd,
      env: { ...process.env, TIPSEAL_PASSPHRASE: PASSPHRASE, RUST_BACKTRACE: '1' },
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
      timeout: COMMAND_TIMEOUT_MS,
    }, (err, stdout, stderr) => {
      if (err && err.killed) return reject(new Error(`tipseal ${args.join(' ')}: timed out`));
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr: stderr.toString('utf8') });
    }).stdin?.end();
  });
}

/** Runs `tipseal ARGS…` and throws (with its output) unless it succeeded; returns stdout text. */
export async function tipseal(args, opts) {
  const r = await tipsealRaw(args, opts);
  if (r.code !== 0) {
    throw new Error(`tipseal ${args.join(' ')} failed (${r.code})\n--- stdout\n${r.stdout.toString('utf8')}\n--- stderr\n${r.stderr}`);
  }
  return r.stdout.toString('utf8');
}

function parseJsonOut(text) {
  try { return JSON.parse(text.trim()); } catch (_) { /* fall through */ }
  for (const line of text.split('\n').reverse()) {
    try { return JSON.parse(line.trim()); } catch (_) { /* next */ }
  }
  throw new Error(`expected JSON on stdout, got:\n${text}`);
}

/**
 * Boots `tipseal serve --listen 127.0.0.1:0 --data <fresh> --keyring <fresh team> ARGS…`.
 * Returns { url, origin, dataDir, logPath, stdoutPath, dir, adminKey, reviewerKey, keyring,
 * log(), stop() }. stop() sends SIGTERM, waits, and removes the temp dir.
 */
export async function startServer({ args = [] } = {}) {
  const dir = tempDir('tipseal-server-');
  const adminKey = path.join(dir, 'admin.key');
  const reviewerKey = path.join(dir, 'reviewer.key');
  const keyring = path.join(dir, 'keyring.json');
  await tipseal(['keygen', '--out', adminKey, '--name', 'admin', '--kdf', 'interactive']);
  await tipseal(['keygen', '--out', reviewerKey, '--name', 'reviewer', '--kdf', 'interactive']);
  await tipseal(['admin', 'init', '--admin-key', adminKey, '--keyring', keyring]);
  await tipseal(['admin', 'add-reviewer', '--admin-key', adminKey, '--keyring', keyring, '--reviewer', `${reviewerKey}.pub`]);

  const dataDir = path.join(dir, 'data');
  const logPath = path.join(dir, 'server.stderr.log');
  const stdoutPath = path.join(dir, 'server.stdout.log');
  const errFd = fs.openSync(logPath, 'w');
  const child = spawn(bin(), ['serve', '--listen', '127.0.0.1:0', '--data', dataDir, '--keyring', keyring, ...args], {
    env: { ...process.env, TIPSEAL_PASSPHRASE: PASSPHRASE },
    stdio: ['ignore', 'pipe', errFd],
  });
  fs.closeSync(errFd);
  const out = fs.createWriteStream(stdoutPath);
  const exited = once(child, 'exit');
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no listening line in ${STARTUP_TIMEOUT_MS} ms; log:\n${readLog()}`)), STARTUP_TIMEOUT_MS);
    const rl = readline.createInterface({ input: child.stdout });
    let found = false;
    rl.on('line', (line) => {
      out.write(line + '\n');
      const m = /^tipseal listening on (http:\/\/\S+)/.exec(line.trim());
      if (m && !found) { found = true; clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code, sig) => {
      if (!found) { clearTimeout(timer); reject(new Error(`the server exited (${code ?? sig}) before listening; log:\n${readLog()}`)); }
    });
  });
  function readLog() {
    let s = '';
    try { s += fs.readFileSync(logPath, 'utf8'); } catch (_) { /* none yet */ }
    try { s += fs.readFileSync(stdoutPath, 'utf8'); } catch (_) { /* none yet */ }
    return s;
  }
  let stopped = false;
  const server = {
    url,
    origin: new URL(url).origin,
    dir,
    dataDir,
    logPath,
    stdoutPath,
    adminKey,
    reviewerKey,
    keyring,
    process: child,
    log: readLog,
    /** SIGTERM (SIGKILL after 15 s), then removes the temp dir unless `remove: false`. */
    async stop({ remove = true } = {}) {
      if (!stopped) {
        stopped = true;
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(t);
        }
        out.end();
      }
      if (remove && fs.existsSync(dir)) {
        if (!keepDirs()) fs.rmSync(dir, { recursive: true, force: true });
        else console.log(`kept ${dir}`);
      }
    },
  };
  return server;
}

/** `tipseal review list --json` as the team's reviewer. */
export async function reviewList(server) {
  const text = await tipseal(['review', 'list', '--server', server.url, '--key', server.reviewerKey, '--json']);
  return parseJsonOut(text);
}

/**
 * `tipseal review show ID --json --save-attachments DIR` as the team's reviewer; returns the
 * parsed JSON (`{ id, sealed_by_server, tip, attachments: [{ …, saved_to }], … }`), with
 * `saved_to` made absolute. DIR defaults to a fresh folder inside the server's temp dir.
 */
export async function reviewShow(server, id, { saveDir } = {}) {
  const dir = saveDir || fs.mkdtempSync(path.join(server.dir, 'saved-'));
  const text = await tipseal(['review', 'show', id, '--server', server.url, '--key', server.reviewerKey, '--json', '--save-attachments', dir]);
  const v = parseJsonOut(text);
  for (const a of v.attachments || []) {
    if (a.saved_to) a.saved_to = path.resolve(a.saved_to);
  }
  Object.defineProperty(v, 'saveDir', { value: dir, enumerable: false });
  return v;
}

/**
 * Starts Debian's Chromium (headless, fresh profile: playwright makes a new temporary
 * --user-data-dir for every launch) and opens one page. Records every request:
 * `requests` holds { url, method, resourceType, postDataSize } from page- and context-level
 * events (deduplicated), `responses` holds { url, status, headers } (headers from
 * allHeaders(), lower-cased names) once `settle()` has run.
 */
export async function launch({ javaScriptEnabled = true, viewport = { width: 1280, height: 900 }, launchOptions = {}, contextOptions = {} } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    ...launchOptions,
  });
  const context = await browser.newContext({ javaScriptEnabled, viewport, serviceWorkers: 'block', ...contextOptions });
  const requests = [];
  const seen = new Set();
  const responses = [];
  const pendingHeaders = [];
  const record = (req) => {
    if (seen.has(req)) return;
    seen.add(req);
    let postDataSize = 0;
    try { const b = req.postDataBuffer(); postDataSize = b ? b.length : 0; } catch (_) { /* none */ }
    const entry = { url: req.url(), method: req.method(), resourceType: req.resourceType(), postDataSize };
    // The playwright Request, for sizes()/headers (not enumerable: printing stays short).
    Object.defineProperty(entry, 'request', { value: req, enumerable: false });
    requests.push(entry);
  };
  context.on('request', record);
  context.on('response', (res) => {
    const entry = { url: res.url(), status: res.status(), method: res.request().method(), headers: null };
    responses.push(entry);
    pendingHeaders.push(res.allHeaders().then((h) => { entry.headers = h; }, () => { entry.headers = {}; }));
  });
  const page = await context.newPage();
  page.on('request', record);
  page.on('console', (m) => { if (process.env.TIPSEAL_BROWSER_CONSOLE === '1') console.log(`page console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  return {
    browser,
    context,
    page,
    requests,
    responses,
    /** Waits until every recorded response's headers are read. */
    async settle() { while (pendingHeaders.length) await pendingHeaders.shift(); },
    async close() { await context.close().catch(() => {}); await browser.close().catch(() => {}); },
  };
}

/**
 * Saves a screenshot of `page` as docs/screenshots/NAME.png; returns the path. An existing
 * file that differs only by a few anti-aliased pixels (Chromium's text rendering is not
 * bit-for-bit repeatable) is kept, so running the tests does not dirty the work tree.
 */
export async function shot(page, name, opts = {}) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  const png = await page.screenshot(opts);
  let old = null;
  try { old = fs.readFileSync(file); } catch (_) { /* new */ }
  if (!old || !nearlySamePng(old, png)) fs.writeFileSync(file, png);
  return file;
}

/** Same size and under 0.2% of the (filtered) pixel bytes differ. */
function nearlySamePng(a, b) {
  const parse = (buf) => {
    let i = 8; let w = 0; let h = 0; const idat = [];
    while (i + 8 <= buf.length) {
      const len = buf.readUInt32BE(i);
      const type = buf.toString('latin1', i + 4, i + 8);
      if (type === 'IHDR') { w = buf.readUInt32BE(i + 8); h = buf.readUInt32BE(i + 12); }
      if (type === 'IDAT') idat.push(buf.subarray(i + 8, i + 8 + len));
      i += 12 + len;
    }
    return { w, h, data: zlib.inflateSync(Buffer.concat(idat)) };
  };
  try {
    const x = parse(a); const y = parse(b);
    if (x.w !== y.w || x.h !== y.h || x.data.length !== y.data.length) return false;
    let diff = 0;
    for (let i = 0; i < x.data.length; i++) if (x.data[i] !== y.data[i]) diff++;
    return diff / x.data.length < 0.002;
  } catch (_) {
    return false;
  }
}

/**
 * Waits until the page's JavaScript has loaded libsodium and verified the keyring. Safe to
 * call while a document is still being parsed: until both elements exist it is not ready
 * (an exception in the predicate would end the wait with an error instead).
 */
export async function waitForReady(page, { timeout = 60_000 } = {}) {
  await page.waitForFunction(() => {
    const s = document.getElementById('js-status');
    const strings = document.getElementById('i18n');
    if (!s || !strings) return false;
    const i18n = JSON.parse(strings.textContent);
    return !s.hidden && s.textContent === (i18n.js_note || i18n.status_ready);
  }, null, { timeout });
}

/** Waits for the JavaScript receipt and returns its reference. */
export async function waitForReceipt(page, { timeout = 120_000 } = {}) {
  await page.waitForSelector('#receipt:not([hidden])', { timeout });
  return (await page.textContent('#receipt-reference')).trim();
}

/** Every file under `dir`, recursively. */
export function walk(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * A recording HTTP proxy on 127.0.0.1:0, for seeing what the BROWSER sends (not only what
 * the page's events report: favicon, prefetch, background fetches all go through it when
 * Chromium is launched with `proxyFor(proxy)`). It forwards only to `allowedOrigin`'s host
 * and port; anything else is recorded and refused (nothing leaves the machine).
 * Returns { url, seen: [{ method, target }], close() }.
 */
export async function startRecordingProxy(allowedOrigin) {
  const allowed = new URL(allowedOrigin);
  const seen = [];
  const srv = http.createServer((req, res) => {
    seen.push({ method: req.method, target: req.url });
    let u;
    try { u = new URL(req.url); } catch (_) { res.writeHead(400); res.end(); return; }
    if (u.protocol !== 'http:' || u.hostname !== allowed.hostname || u.port !== allowed.port) {
      // Recorded with its body (so a test can say what would have left), then refused.
      const entry = seen[seen.length - 1];
      const parts = [];
      req.on('data', (d) => parts.push(d));
      req.on('end', () => {
        entry.body = Buffer.concat(parts);
        res.writeHead(403, { 'Content-Type': 'text/plain' });
        res.end('refused by the test proxy');
      });
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const up = http.request({ host: u.hostname, port: u.port, method: req.method, path: u.pathname + u.search, headers }, (r) => {
      res.writeHead(r.statusCode, r.rawHeaders);
      r.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  srv.on('connect', (req, sock) => {
    seen.push({ method: 'CONNECT', target: req.url });
    sock.on('error', () => {});
    sock.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  srv.on('clientError', (_e, sock) => sock.destroy());
  const sockets = new Set();
  srv.on('connection', (s) => { sockets.add(s); s.on('error', () => {}); s.on('close', () => sockets.delete(s)); });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    },
  };
}

/** Launch options that send every request of the browser, loopback included, through `proxy`. */
export function proxyFor(proxy) {
  return { proxy: { server: proxy.url, bypass: '<-loopback>' } };
}
