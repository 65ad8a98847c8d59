// A reviewer's day in the desk, in Chromium, over the real thing: a tipseal server with
// tips from the samples in five languages (sent through the real intake, `tipseal submit`),
// a team of two reviewers ("reviewer" and "bora"), and `tipseal desk` for "reviewer". In the
// browser: the printed one-time URL opens the desk; the inbox lists the tips; a filter, a
// status/label filter and a search narrow it; the Korean tip opens (its narrative and its
// photo); its status moves, it gets a label new to the team's vocabulary, it is assigned to
// bora, it gets a note and a reply to the witness; its history shows each change verified.
// Meanwhile bora changes another tip from the command line (`tipseal review triage`); a sync
// in the desk shows it, verified and in her name. Bora's command line sees reviewer's changes
// too. Nothing leaves 127.0.0.1, no CSP violation is reported, the spent URL is refused, and
// Ctrl-C stops the desk cleanly.
//
// Run: cargo build && TIPSEAL_BIN=target/debug/tipseal node --test tests/browser/desk-day.test.mjs

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {
  REPO, PASSPHRASE, startServer, tipseal, launch, startRecordingProxy, proxyFor, CHROMIUM_OWN_HOSTS,
} from './harness.mjs';
import { gpsJpeg } from './fixtures.mjs';

const SAMPLES = path.join(REPO, 'tests', 'samples');
const KO = 'ko-construction-vladivostok.json';
const LANGS = [KO, 'zh-restaurant-dandong.json', 'ru-logging-khabarovsk.json', 'en-construction-qatar.json', 'ar-construction-kuwait.json'];

/** Starts `tipseal desk` for `key`; resolves to { url, origin, stdout, stderr(), stop() }. */
async function startDesk(server, key) {
  const child = spawn(process.env.TIPSEAL_BIN, ['desk', '--server', server.url, '--key', key], {
    env: { ...process.env, TIPSEAL_PASSPHRASE: PASSPHRASE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = [];
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d.toString('utf8'); });
  const exited = once(child, 'exit');
  const rl = readline.createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tipseal desk printed no URL in 120 s; stderr:\n${stderr}`)), 120_000);
    rl.on('line', (line) => {
      stdout.push(line);
      if (stdout.length === 1) { clearTimeout(timer); resolve(line.trim()); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tipseal desk exited (${code}); stderr:\n${stderr}`)); });
  });
  return {
    url,
    origin: new URL(url).origin,
    stdout,
    stderr: () => stderr,
    /** Ctrl-C (SIGINT); resolves to the exit code. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const [code] = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

const review = (server, key, args) => tipseal(['review', ...args, '--server', server.url, '--key', key]);

test('desk: a reviewer\'s day over a real server, a real store and a colleague', { timeout: 600_000 }, async () => {
  const server = await startServer();
  let desk = null;
  let b = null;
  let proxy = null;
  try {
    // A second reviewer on the team (a new epoch, published before any tip arrives).
    const bora = path.join(server.dir, 'bora.key');
    await tipseal(['keygen', '--out', bora, '--name', 'bora', '--kdf', 'interactive']);
    await tipseal(['admin', 'add-reviewer', '--admin-key', server.adminKey, '--keyring', server.keyring, '--reviewer', `${bora}.pub`]);
    await tipseal(['admin', 'publish', '--keyring', server.keyring, '--server', server.url]);

    // Tips through the real intake; the Korean one with a photo.
    const photo = path.join(server.dir, 'site.jpg');
    fs.writeFileSync(photo, gpsJpeg().withoutGps);
    for (const f of LANGS) {
      const extra = f === KO ? ['--attach', photo] : [];
      await tipseal(['submit', '--server', server.url, '--tip', path.join(SAMPLES, f), '--json', ...extra]);
    }
    // Bora's machine has them too; the Chinese tip is the one she will work on.
    await review(server, bora, ['sync']);
    const boraRows = JSON.parse(await review(server, bora, ['list', '--offline', '--json', '--country', 'CN']));
    assert.equal(boraRows.length, 1, 'one tip from China');
    const zhId = boraRows[0].id;

    desk = await startDesk(server, server.reviewerKey);
    assert.match(desk.url, /^http:\/\/127\.0\.0\.1:\d+\/open\?t=[A-Za-z0-9_-]{43}$/);
    assert.match(desk.stderr(), /sync: 5 new tips/, 'the desk synced before serving, progress on stderr');

    proxy = await startRecordingProxy(desk.origin);
    b = await launch({ launchOptions: proxyFor(proxy) });
    const page = b.page;
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) consoleErrors.push(m.text()); });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const settled = () => page.waitForSelector('#tip-pane[aria-busy="false"]');
    const count = (n) => page.waitForFunction((want) => document.getElementById('inbox-count').textContent === `${want} tips`, n);

    // The one-time URL lands on the inbox, without the token.
    await page.goto(desk.url);
    assert.equal(page.url(), `${desk.origin}/`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    await count(5);
    assert.equal(await page.textContent('#me'), 'reviewer');
    assert.equal(await page.locator('#inbox-spacer > .row.unread').count(), 5, 'all unread');

    // The spent token is refused, even to the same browser.
    const again = await b.context.request.get(desk.url, { maxRedirects: 0 });
    assert.equal(again.status(), 403, 'the one-time token is spent');

    // Filters and search over the local store.
    await page.fill('#f-country', 'RU');
    await count(2);
    await page.fill('#f-country', '');
    await count(5);
    await page.check('#f-attachments');
    await count(1);
    await page.uncheck('#f-attachments');
    await count(5);
    // A Korean word that the tip only has with particles attached (노동자들은, 노동자에게).
    await page.fill('#q', '노동자');
    await count(1);

    // The Korean tip: its narrative and its photo.
    await page.click('#inbox-spacer > .row[data-index="0"] .summary');
    await page.waitForSelector('#tip-pane:not([hidden]) #narrative');
    assert.match(await page.textContent('#narrative'), /사상 교육을 받는다/);
    assert.equal(await page.getAttribute('#narrative', 'dir'), 'auto');
    assert.match(await page.textContent('#tip-pane .report'), /블라디보스토크/);
    // The report's fields carry the witness page's own words for them.
    assert.match(await page.textContent('#tip-pane .report'), /City or region/);
    assert.match(await page.textContent('#tip-pane .report'), /Name or nickname \(1\)/);
    await page.waitForSelector('img.preview');
    assert.match(await page.getAttribute('img.preview', 'src'), /^blob:/);
    const koId = await page.getAttribute('#tip-pane h2', 'title');
    assert.match(koId, /^[0-9a-f]{32}$/);

    // Triage: only the domain's legal moves are offered.
    assert.deepEqual(await page.$$eval('#t-status option', (os) => os.map((o) => o.value)), ['new', 'in_review', 'dismissed']);
    await page.selectOption('#t-status', 'in_review');
    await settled();
    await page.waitForFunction(() => document.getElementById('t-status').value === 'in_review');
    assert.deepEqual(await page.$$eval('#t-status option', (os) => os.map((o) => o.value)), ['in_review', 'needs_information', 'dismissed']);
    // A label the team has never used: it joins the vocabulary.
    await page.fill('#t-label', 'passports-held');
    await page.click('#triage form.inline button[type=submit]');
    await settled();
    await page.waitForSelector('#t-labels .chip:has-text("passports-held")');
    assert.match(await page.textContent('#status'), /"passports-held" is new to the team's labels: added to the vocabulary/);
    // Assign to bora (the names come from the keyring).
    assert.deepEqual((await page.$$eval('#t-assignee option', (os) => os.map((o) => o.value))).filter(Boolean).sort(), ['bora', 'reviewer']);
    await page.selectOption('#t-assignee', 'bora');
    await settled();
    await page.waitForFunction(() => document.getElementById('t-assignee').value === 'bora');
    await page.fill('#t-note', '현장 주소를 확인하였습니다.');
    await page.click('form.note button');
    await settled();
    await page.waitForSelector('#triage .notes li:has-text("현장 주소를 확인하였습니다.")');
    // A reply to the witness, signed and sealed on this machine; it shows in the conversation.
    await page.fill('#reply-text', '제보를 잘 받았습니다. 감사합니다.');
    await page.click('#reply-form button[type=submit]');
    await settled();
    await page.waitForSelector('#tip-pane .conversation li:has-text("제보를 잘 받았습니다.")', { timeout: 30_000 });

    // The history: who changed what, each verified.
    const history = await page.textContent('#history');
    for (const what of ['status → in_review', 'label + passports-held', 'assigned to bora', 'note: 현장 주소를 확인하였습니다.']) {
      assert.ok(history.includes(what), `history shows "${what}":\n${history}`);
    }
    assert.equal(await page.locator('#history .verified').count(), 4, 'four changes, each verified');
    assert.equal(await page.locator('#history .refused, #history .unverified').count(), 0);
    assert.match(history, /reviewer/);
    await page.waitForFunction(() => [...document.querySelectorAll('#vocab option')].some((o) => o.value === 'passports-held'));

    // Status and label filters see the change.
    await page.fill('#q', '');
    await count(5);
    await page.selectOption('#f-status', 'in_review');
    await count(1);
    await page.selectOption('#f-status', '');
    await page.fill('#f-label', 'passports-held');
    await count(1);
    await page.fill('#f-label', '');
    await count(5);

    // Bora's command line sees reviewer's work, verified, with the label and the assignment.
    const boraSees = JSON.parse(await review(server, bora, ['list', '--json', '--label', 'passports-held']));
    assert.deepEqual(boraSees.map((r) => [r.id, r.status, r.assignee]), [[koId, 'in_review', 'bora']]);

    // Meanwhile bora moves the Chinese tip; reviewer syncs in the desk and sees it.
    await review(server, bora, ['triage', zhId, '--status', 'in_review', '--note', 'I know this restaurant.']);
    await page.click('#sync');
    await page.waitForSelector('#status:text("Synced: 0 new tips")');
    assert.match(await page.textContent('#status'), /[1-9]\d* changes by colleagues/);
    await page.selectOption('#f-status', 'in_review');
    await count(2);
    await page.fill('#q', '');
    await page.fill('#f-country', 'CN');
    await count(1);
    await page.click('#inbox-spacer > .row[data-index="0"] .summary');
    await page.waitForFunction((id) => document.querySelector('#tip-pane h2')?.title === id, zhId);
    await settled();
    assert.equal(await page.inputValue('#t-status'), 'in_review');
    const zhHistory = await page.textContent('#history');
    console.log(`desk-day: history of the Korean tip: ${history}\ndesk-day: after sync, the Chinese tip: ${zhHistory}`);
    assert.match(zhHistory, /bora/);
    assert.ok(zhHistory.includes('status → in_review'), zhHistory);
    assert.equal(await page.locator('#history .verified').count(), 1, "bora's change is verified");

    // Nothing left 127.0.0.1; no CSP violation, no error.
    await b.settle();
    const foreign = b.requests.filter((r) => !r.url.startsWith(`${desk.origin}/`) && !r.url.startsWith('blob:'));
    assert.deepEqual(foreign, [], 'every request of the page went to the desk');
    const leaked = proxy.seen.filter((s) => {
      try {
        const u = new URL(s.method === 'CONNECT' ? `http://${s.target}` : s.target);
        return u.host !== new URL(desk.origin).host && !CHROMIUM_OWN_HOSTS.test(u.hostname);
      } catch (_) { return true; }
    });
    assert.deepEqual(leaked, [], 'the browser sent nothing elsewhere');
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violation');
    assert.deepEqual(consoleErrors, [], 'no console errors');
    assert.deepEqual(pageErrors, [], 'no page errors');

    // Ctrl-C stops it cleanly; standard output held the URL and nothing else.
    await b.close();
    b = null;
    assert.equal(await desk.stop(), 0, `the desk exits 0 on Ctrl-C; stderr:\n${desk.stderr()}`);
    assert.deepEqual(desk.stdout, [desk.url]);
    assert.match(desk.stderr(), /The desk is stopped\./);
  } finally {
    if (b) await b.close();
    if (proxy) await proxy.close();
    if (desk) await desk.stop();
    await server.stop();
  }
});
