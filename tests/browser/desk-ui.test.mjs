// The reviewer's desk in Chromium, over the test double (`examples/desk_demo.rs` serving
// `tests/desk_double/`: 10,000 generated tips in memory). The double stands in for the
// reviewer's data, which wave 2 wires in; what is tested here is the desk itself: the
// one-time URL, the inbox (rendered fast), filters, search, a tip, triage and bulk changes
// that reach the backend (it prints one line per change it receives), a refusal shown with
// its reason, sync, the keyboard, the
// Korean UI, and that nothing leaves 127.0.0.1 or trips the CSP.
//
// Run: cargo build --example desk_demo && node --test tests/browser/desk-ui.test.mjs
// (DESK_DEMO_BIN overrides the path of the example binary.) `cargo test` builds the
// examples; `cargo test --test browser` alone does not: then this test is skipped with the
// command to run, or fails with it under TIPSEAL_BROWSER_TESTS=require. A binary older than
// the desk's sources counts as missing (it would test yesterday's desk).

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { REPO, launch, startRecordingProxy, proxyFor, CHROMIUM_OWN_HOSTS, shot, walk } from './harness.mjs';

const BIN = process.env.DESK_DEMO_BIN || path.join(REPO, 'target', 'debug', 'examples', 'desk_demo');
const TIPS = 10000;

/** Why the demo binary cannot be used, or null. */
function demoProblem() {
  if (!fs.existsSync(BIN)) return `${BIN} is missing`;
  if (process.env.DESK_DEMO_BIN) return null;
  const built = fs.statSync(BIN).mtimeMs;
  const sources = [
    ...walk(path.join(REPO, 'web', 'desk')),
    ...walk(path.join(REPO, 'src', 'desk')),
    ...walk(path.join(REPO, 'tests', 'desk_double')),
    path.join(REPO, 'examples', 'desk_demo.rs'),
  ];
  const newer = sources.find((f) => fs.statSync(f).mtimeMs > built);
  return newer ? `${BIN} is older than ${path.relative(REPO, newer)}` : null;
}
const PROBLEM = demoProblem();
const REQUIRED = process.env.TIPSEAL_BROWSER_TESTS === 'require';
if (PROBLEM && !REQUIRED) console.error(`SKIPPED desk-ui: ${PROBLEM}; run: cargo build --example desk_demo`);

/** Starts the demo desk; resolves to { url, origin, lines, waitFor(re), stop() }. */
async function startDesk() {
  if (PROBLEM) throw new Error(`${PROBLEM}: run cargo build --example desk_demo`);
  const child = spawn(BIN, [String(TIPS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  const rl = readline.createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) if (w.re.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
  });
  const waitFor = (re, ms = 10_000) => {
    const hit = lines.find((l) => re.test(l));
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = { re, resolve };
      waiters.push(w);
      setTimeout(() => reject(new Error(`no line matching ${re} in ${ms} ms; saw:\n${lines.join('\n')}`)), ms);
    });
  };
  const first = await waitFor(/^desk listening on /, 30_000);
  const url = first.replace('desk listening on ', '').trim();
  return {
    url,
    origin: new URL(url).origin,
    lines,
    waitFor,
    async stop() {
      if (child.exitCode === null) { child.kill('SIGTERM'); await once(child, 'exit'); }
    },
  };
}

test('desk: one-time URL, inbox, filter, tip, triage, bulk, keyboard, Korean, nothing leaves 127.0.0.1', {
  skip: PROBLEM && !REQUIRED ? `${PROBLEM}: cargo build --example desk_demo` : false,
}, async () => {
  const desk = await startDesk();
  const proxy = await startRecordingProxy(desk.origin);
  const b = await launch({ launchOptions: proxyFor(proxy) });
  const consoleErrors = [];
  b.page.on('console', (m) => { if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) consoleErrors.push(m.text()); });
  const pageErrors = [];
  b.page.on('pageerror', (e) => pageErrors.push(e.message));
  await b.page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = b.page;
  // After a change the tip view redraws from the backend's answer; wait for that before the next.
  const settled = () => page.waitForSelector('#tip-pane[aria-busy="false"]');
  try {
    // The printed URL trades its token for a cookie and lands on / without it.
    const t0 = Date.now();
    await page.goto(desk.url);
    assert.equal(page.url(), `${desk.origin}/`, 'the token left the address bar');
    await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
    const loadMs = Date.now() - t0;
    const { fetchMs, renderMs } = await page.evaluate(() => ({
      fetchMs: Number(document.body.dataset.inboxFetchMs),
      renderMs: Number(document.body.dataset.inboxRenderMs),
    }));
    console.log(`desk: ${TIPS} tips: inbox fetched in ${fetchMs} ms, rendered in ${renderMs} ms; page ready in ${loadMs} ms`);
    assert.ok(renderMs <= 1000, `the inbox of ${TIPS} rows renders within 1 s (took ${renderMs} ms)`);
    // The fetch is the double's and a debug build's; a generous bound, so a slow shared
    // machine does not fail the test, yet a pathological one would.
    assert.ok(fetchMs + renderMs <= 5000, `the inbox is on screen within 5 s (took ${fetchMs + renderMs} ms)`);
    assert.equal(await page.textContent('#inbox-count'), `${TIPS} tips`);
    const domRows = await page.locator('#inbox-spacer > .row').count();
    assert.ok(domRows > 5 && domRows < 120, `virtualised: ${domRows} rows in the DOM`);
    assert.equal(await page.locator('#inbox-spacer > .row.unread').first().isVisible(), true, 'unread marker');
    // Scrolled to the end, the last row is drawn (and the DOM stays small).
    await page.evaluate(() => { const c = document.getElementById('inbox'); c.scrollTop = c.scrollHeight; });
    await page.waitForSelector(`#inbox-spacer > .row[data-index="${TIPS - 1}"]`);
    assert.ok(await page.locator('#inbox-spacer > .row').count() < 120);
    await page.evaluate(() => { document.getElementById('inbox').scrollTop = 0; });
    await page.waitForSelector('#inbox-spacer > .row[data-index="0"]');

    // A second use of the URL is refused.
    const again = await b.context.request.get(desk.url, { maxRedirects: 0 });
    assert.equal(again.status(), 403, 'the one-time token is spent');

    // A filter and a search.
    await page.check('#f-attachments');
    await page.waitForFunction(() => document.getElementById('inbox-count').textContent === '1429 tips');
    await page.uncheck('#f-attachments');
    await page.fill('#q', '16시간');
    await page.waitForFunction(() => document.getElementById('inbox-count').textContent === '1 tips');

    // An Arabic narrative reads right to left (dir=auto picks it up).
    await page.fill('#q', 'الميناء');
    await page.waitForFunction(() => document.getElementById('inbox-count').textContent === '1 tips'
      && document.querySelector('#inbox-spacer > .row[data-index="0"]')?.textContent.includes('الميناء'));
    await page.click('#inbox-spacer > .row[data-index="0"] .summary');
    await page.waitForFunction(() => document.getElementById('narrative')?.lang === 'ar');
    assert.equal(await page.$eval('#narrative', (n) => getComputedStyle(n).direction), 'rtl');
    await page.fill('#q', '16시간');
    await page.waitForFunction(() => document.getElementById('inbox-count').textContent === '1 tips'
      && document.querySelector('#inbox-spacer > .row[data-index="0"]')?.textContent.includes('16시간'));

    // Open the Korean tip: report, narrative (dir=auto, lang), image preview from a blob URL.
    await page.click('#inbox-spacer > .row[data-index="0"] .summary');
    await page.waitForSelector('#tip-pane:not([hidden]) #narrative');
    assert.match(await page.textContent('#narrative'), /려권을 빼앗겼습니다/);
    assert.equal(await page.getAttribute('#narrative', 'dir'), 'auto');
    assert.equal(await page.getAttribute('#narrative', 'lang'), 'ko');
    await page.waitForSelector('img.preview');
    assert.match(await page.getAttribute('img.preview', 'src'), /^blob:/);
    assert.equal(await page.locator('img.preview').count(), 1, 'the SVG is not previewed');

    // Triage: only the legal next statuses are offered; a change reaches the backend.
    const offered = await page.$$eval('#t-status option', (os) => os.map((o) => o.value));
    assert.deepEqual(offered, ['new', 'in_review', 'dismissed']);
    await page.selectOption('#t-status', 'in_review');
    await desk.waitFor(/^triage 0+1 .*"status":"in_review"/);
    await settled();
    assert.equal(await page.inputValue('#t-status'), 'in_review');
    assert.deepEqual(await page.$$eval('#t-status option', (os) => os.map((o) => o.value)), ['in_review', 'needs_information', 'dismissed']);
    assert.match(await page.textContent('#history'), /status: new → in_review/);
    assert.match(await page.textContent('#history'), /✓ verified/);
    await page.fill('#t-label', 'passports');
    await page.click('#triage form.inline button[type=submit]');
    await desk.waitFor(/^triage 0+1 .*"add_labels":\["passports"\]/);
    await settled();
    await page.selectOption('#t-assignee', 'omar');
    await desk.waitFor(/^triage 0+1 .*"assign":"omar"/);
    await settled();
    await page.fill('#t-note', 'Called the contact.');
    await page.click('form.note button');
    await desk.waitFor(/^triage 0+1 .*"note":"Called the contact\."/);
    await settled();
    await page.fill('#reply-text', '잘 받았습니다.');
    await page.click('#reply-form button[type=submit]');
    await desk.waitFor(/^reply 0+1 0 file/);
    await settled();
    await shot(page, 'desk-tip');

    // Keyboard + bulk: clear the search, j/x/j/x selects two rows, a bulk label reaches both.
    await page.fill('#q', '');
    await page.waitForFunction((n) => document.getElementById('inbox-count').textContent === `${n} tips`, TIPS);
    await page.keyboard.press('Escape');
    await page.click('#inbox-title', { force: true }).catch(() => {});
    await page.focus('#inbox');
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    assert.equal(await page.textContent('#selected-count'), '2 selected');
    await page.fill('#bulk-label', 'urgent');
    await page.click('#bulk-label-apply');
    await desk.waitFor(/^triage 0+2 .*"add_labels":\["urgent"\]/);
    await desk.waitFor(/^triage 0+3 .*"add_labels":\["urgent"\]/);
    await page.waitForSelector('#status:text("Changed 2 tips.")');
    // A bulk change the backend refuses (new → closed is not a legal transition): the
    // refusal and its reason are shown, not swallowed.
    await page.selectOption('#bulk-status', 'closed');
    await page.waitForSelector('#status.bad:text("Refused for 2 tip(s)")');
    assert.match(await page.textContent('#status'), /new → closed is not a legal transition/);
    // Sync reports what it brought.
    await page.click('#sync');
    await page.waitForSelector('#status:text("Synced: 0 new tips")');
    // o opens the tip under the cursor.
    await page.focus('#inbox');
    await page.keyboard.press('o');
    await page.waitForFunction(() => document.querySelector('#tip-pane h2')?.title === '00000000000000000000000000000003');
    await page.keyboard.press('?');
    assert.equal(await page.evaluate(() => document.getElementById('help').open), true);
    await page.keyboard.press('Escape');

    // The Korean UI.
    await page.selectOption('#lang', 'ko');
    await page.waitForFunction(() => document.documentElement.lang === 'ko');
    assert.equal(await page.textContent('h1'), 'tipseal 검토대');
    assert.equal(await page.textContent('#inbox-count'), `제보 ${TIPS}건`);
    assert.equal(await page.textContent('#selected-count'), '2건 선택');
    await shot(page, 'desk-inbox-ko');

    // Nothing left 127.0.0.1; no CSP violation, no error.
    await b.settle();
    const foreign = b.requests.filter((r) => !r.url.startsWith(`${desk.origin}/`) && !r.url.startsWith('blob:'));
    assert.deepEqual(foreign, [], 'every request of the page went to the desk');
    const leaked = proxy.seen.filter((s) => {
      try {
        // A CONNECT names host:port only (playwright's request client tunnels through it).
        const u = new URL(s.method === 'CONNECT' ? `http://${s.target}` : s.target);
        return u.host !== new URL(desk.origin).host && !CHROMIUM_OWN_HOSTS.test(u.hostname);
      } catch (_) { return true; }
    });
    assert.deepEqual(leaked, [], 'the browser sent nothing elsewhere');
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violation');
    assert.deepEqual(consoleErrors, [], 'no console errors');
    assert.deepEqual(pageErrors, [], 'no page errors');
    // Responses that arrived during the checks above (the desk keeps polling) have their
    // headers read first: a header read still pending left `headers` null (CI, session 26).
    await b.settle();
    for (const r of b.responses.filter((x) => x.url.startsWith(desk.origin))) {
      assert.ok(r.headers, `headers read for ${r.url}`);
      assert.ok(r.headers['content-security-policy'], `CSP on ${r.url}`);
    }
  } finally {
    await b.close();
    await proxy.close();
    await desk.stop();
  }
});
