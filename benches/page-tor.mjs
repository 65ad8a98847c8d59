// The witness page on a slow Tor-like link (docs/web.md, "On a slow link"): Chromium with
// network emulation (500 ms round trip, 125 kB/s down, 60 kB/s up) loads the form page and
// the mailbox page of the real server, and this prints, per page:
//   - bytes transferred (sum of CDP Network.loadingFinished encodedDataLength: bodies as
//     sent, compressed or not, plus headers) from navigation until the page is ready and
//     its network is idle;
//   - seconds to "encryption ready" (the `tipseal:crypto-ready` performance mark the page
//     sets once libsodium is loaded and the keyring verified; pages from before that mark
//     existed fall back to the form's ready status text, measured from outside);
//   - seconds to submit a text tip (form page: click Send → receipt shown).
// Then a table and one JSON line (`BENCH {...}`).
//
// It exits non-zero only if a page fails to work (no ready signal, no receipt): timings
// are figures to read against the targets in docs/web.md, never pass/fail.
//
//   TIPSEAL_BIN=target/debug/tipseal node benches/page-tor.mjs [--quick] [--langs ko,ar,en] [--runs N] [--gzip-only]
//
// --quick: Korean only, one run (what CI runs). Default: ko, ar, en, three runs each
// (medians reported). --gzip-only: the browser offers `Accept-Encoding: gzip, deflate`,
// as Tor Browser does over plain HTTP to an onion address (no brotli there); Chromium
// offers br to localhost. Needs tests/browser/node_modules (playwright-core) and /usr/bin/chromium.

import { startServer, launch } from '../tests/browser/harness.mjs';

/** The emulated link: a typical Tor circuit. */
const LINK = { offline: false, latency: 500, downloadThroughput: 125000, uploadThroughput: 60000 };
/** Longest wait for a page to become ready or a tip to be acknowledged, in ms. */
const PAGE_TIMEOUT_MS = 120_000;
/** The network counts as idle after this long with no request in flight. */
const IDLE_MS = 1500;

function parseArgs(argv) {
  const opts = { quick: false, langs: null, runs: null, gzipOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--langs') opts.langs = argv[++i].split(',').filter(Boolean);
    else if (a === '--runs') opts.runs = Number(argv[++i]);
    else if (a === '--gzip-only') opts.gzipOnly = true;
    else throw new Error(`unknown argument ${a} (expected --quick, --langs LIST, --runs N, --gzip-only)`);
  }
  const langs = opts.langs || (opts.quick ? ['ko'] : ['ko', 'ar', 'en']);
  const runs = Number.isInteger(opts.runs) && opts.runs > 0 ? opts.runs : opts.quick ? 1 : 3;
  return { langs, runs, gzipOnly: opts.gzipOnly };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};

/** A fresh browser context with the emulated link and a byte counter. */
let ACCEPT_ENCODING = null;

async function throttledPage() {
  const b = await launch();
  const cdp = await b.context.newCDPSession(b.page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', LINK);
  if (ACCEPT_ENCODING) await cdp.send('Network.setExtraHTTPHeaders', { headers: { 'Accept-Encoding': ACCEPT_ENCODING } });
  const inflight = new Map();
  const counter = { bytes: 0, requests: 0, failed: [], lastActivity: Date.now(), byUrl: new Map() };
  cdp.on('Network.requestWillBeSent', (e) => {
    inflight.set(e.requestId, e.request.url);
    counter.lastActivity = Date.now();
  });
  cdp.on('Network.loadingFinished', (e) => {
    const url = inflight.get(e.requestId) || '?';
    inflight.delete(e.requestId);
    counter.bytes += e.encodedDataLength;
    counter.requests += 1;
    const path = url.replace(/^https?:\/\/[^/]+/, '');
    counter.byUrl.set(path, (counter.byUrl.get(path) || 0) + e.encodedDataLength);
    counter.lastActivity = Date.now();
  });
  cdp.on('Network.loadingFailed', (e) => {
    counter.failed.push(inflight.get(e.requestId) || '?');
    inflight.delete(e.requestId);
    counter.lastActivity = Date.now();
  });
  counter.idle = async () => {
    const start = Date.now();
    while (Date.now() - start < PAGE_TIMEOUT_MS) {
      if (inflight.size === 0 && Date.now() - counter.lastActivity >= IDLE_MS) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the network never went idle (still loading: ${[...inflight.values()].join(', ')})`);
  };
  counter.reset = () => { counter.bytes = 0; counter.requests = 0; counter.byUrl = new Map(); };
  return { b, cdp, counter };
}

/**
 * Seconds from navigation start to encryption ready: the page's own performance mark, or
 * (older pages) the form's ready status text seen from outside.
 */
async function readySeconds(page, t0) {
  const handle = await page.waitForFunction(() => {
    const m = performance.getEntriesByName('tipseal:crypto-ready');
    if (m.length) return { mark: m[0].startTime };
    if (document.documentElement.dataset.crypto === 'failed') return { failed: true };
    const s = document.getElementById('js-status');
    const el = document.getElementById('i18n');
    if (!s || !el || s.hidden) return false;
    const t = JSON.parse(el.textContent);
    return s.textContent === (t.js_note || t.status_ready) ? { seen: true } : false;
  }, null, { timeout: PAGE_TIMEOUT_MS, polling: 50 });
  const v = await handle.jsonValue();
  if (v.failed) throw new Error('the page reports that its encryption failed to load');
  return v.mark !== undefined ? v.mark / 1000 : (Date.now() - t0) / 1000;
}

async function measureForm(server, lang) {
  const { b, counter } = await throttledPage();
  try {
    const t0 = Date.now();
    await b.page.goto(`${server.url}/${lang}/`, { waitUntil: 'commit', timeout: PAGE_TIMEOUT_MS });
    const ready = await readySeconds(b.page, t0);
    await counter.idle();
    const bytes = counter.bytes;
    const byUrl = Object.fromEntries(counter.byUrl);
    counter.reset();
    await b.page.fill('#narrative', `Benchmark tip (${lang}): the workers' passports are held by the site manager.`);
    const s0 = Date.now();
    await b.page.click('#submit');
    await b.page.waitForSelector('#receipt:not([hidden])', { timeout: PAGE_TIMEOUT_MS });
    const submit = (Date.now() - s0) / 1000;
    const reference = (await b.page.textContent('#receipt-reference')).trim();
    if (!/^[0-9a-f]{32}$/.test(reference)) throw new Error(`the receipt shows no reference (${JSON.stringify(reference)})`);
    return { bytes, ready, submit, submitBytes: counter.bytes, byUrl };
  } finally {
    await b.close();
  }
}

async function measureMailbox(server, lang) {
  const { b, counter } = await throttledPage();
  try {
    const t0 = Date.now();
    await b.page.goto(`${server.url}/${lang}/followup`, { waitUntil: 'commit', timeout: PAGE_TIMEOUT_MS });
    let ready = null;
    try {
      ready = await readySeconds(b.page, t0);
    } catch (e) {
      // Mailbox pages from before the ready mark have no signal: bytes only.
      if (!/Timeout/i.test(String(e && e.message))) throw e;
    }
    await counter.idle();
    return { bytes: counter.bytes, ready, byUrl: Object.fromEntries(counter.byUrl) };
  } finally {
    await b.close();
  }
}

async function main() {
  const { langs, runs, gzipOnly } = parseArgs(process.argv.slice(2));
  if (gzipOnly) ACCEPT_ENCODING = 'gzip, deflate';
  const server = await startServer();
  const rows = [];
  let failed = false;
  try {
    for (const lang of langs) {
      for (const kind of ['form', 'mailbox']) {
        const got = [];
        for (let i = 0; i < runs; i++) {
          try {
            got.push(kind === 'form' ? await measureForm(server, lang) : await measureMailbox(server, lang));
          } catch (e) {
            failed = true;
            console.error(`${lang} ${kind} run ${i + 1}: ${e && e.message}`);
          }
        }
        if (!got.length) continue;
        const ready = got.map((g) => g.ready).filter((x) => x !== null);
        rows.push({
          lang,
          page: kind === 'form' ? `/${lang}/` : `/${lang}/followup`,
          runs: got.length,
          bytes: median(got.map((g) => g.bytes)),
          ready_s: ready.length ? Number(median(ready).toFixed(2)) : null,
          submit_s: kind === 'form' ? Number(median(got.map((g) => g.submit)).toFixed(2)) : null,
          submit_bytes: kind === 'form' ? median(got.map((g) => g.submitBytes)) : null,
          by_url: got[0].byUrl,
        });
      }
    }
  } finally {
    await server.stop();
  }
  const pad = (s, n) => String(s).padEnd(n);
  console.log(`link: ${LINK.latency} ms latency, ${LINK.downloadThroughput} B/s down, ${LINK.uploadThroughput} B/s up; ${runs} run(s), medians; Accept-Encoding: ${ACCEPT_ENCODING || "the browser's own"}`);
  console.log(`${pad('page', 16)}${pad('bytes', 12)}${pad('ready s', 10)}${pad('submit s', 10)}submit bytes`);
  for (const r of rows) {
    console.log(`${pad(r.page, 16)}${pad(r.bytes, 12)}${pad(r.ready_s ?? '-', 10)}${pad(r.submit_s ?? '-', 10)}${r.submit_bytes ?? '-'}`);
  }
  if (process.env.TIPSEAL_BENCH_VERBOSE === '1') {
    for (const r of rows) console.log(r.page, JSON.stringify(r.by_url));
  }
  console.log('BENCH ' + JSON.stringify({
    link: LINK, runs, accept_encoding: ACCEPT_ENCODING, pages: rows.map(({ by_url: _, ...r }) => r),
  }));
  if (failed) {
    console.error('a page failed to work (see above)');
    process.exit(1);
  }
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
