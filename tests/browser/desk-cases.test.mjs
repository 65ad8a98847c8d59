// The desk's Cases view in Chromium, over the real thing: a tipseal server with tips about
// one harbour worksite in four scripts (ko, ru, zh, en) and two decoys about another site
// (tests/cases/), `tipseal desk` for "reviewer". In the browser: the Cases tab lists the
// suggested case; its page shows its tips (links to the tip pages), facts and charts; the
// case is confirmed with a name (the command line then sees it confirmed and named); the
// inbox's figures draw as inline SVG; the export shows the re-identification check and
// the plaintext warning first, then writes a folder that `tipseal verify-export` accepts.
// Nothing leaves 127.0.0.1 and no CSP violation is reported.
//
// Run: cargo build && TIPSEAL_BIN=target/debug/tipseal node --test tests/browser/desk-cases.test.mjs

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { REPO, PASSPHRASE, startServer, tipseal, launch } from './harness.mjs';

const CASES = path.join(REPO, 'tests', 'cases');
const FIXTURES = ['harbour-ko', 'harbour-ru', 'harbour-zh', 'harbour-en', 'island-ko', 'island-ru'];

async function startDesk(server, key) {
  const child = spawn(process.env.TIPSEAL_BIN, ['desk', '--server', server.url, '--key', key], {
    env: { ...process.env, TIPSEAL_PASSPHRASE: PASSPHRASE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d.toString('utf8'); });
  const exited = once(child, 'exit');
  const rl = readline.createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tipseal desk printed no URL in 120 s; stderr:\n${stderr}`)), 120_000);
    rl.once('line', (line) => { clearTimeout(timer); resolve(line.trim()); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tipseal desk exited (${code}); stderr:\n${stderr}`)); });
  });
  return {
    url,
    origin: new URL(url).origin,
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

// The command line on its own store: the desk holds the reviewer's store open.
const review = (server, args) => tipseal(['review', ...args, '--server', server.url, '--key', server.reviewerKey, '--store', path.join(server.dir, 'cli.store')]);

test('desk: the Cases view confirms, names, charts and exports a case', { timeout: 600_000 }, async () => {
  const server = await startServer();
  let desk = null;
  let b = null;
  try {
    const ids = {};
    for (const f of FIXTURES) {
      const out = await tipseal(['submit', '--server', server.url, '--tip', path.join(CASES, `${f}.json`), '--json']);
      ids[f] = JSON.parse(out.trim().split('\n').pop()).id;
    }
    desk = await startDesk(server, server.reviewerKey);
    b = await launch();
    const page = b.page;
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(desk.url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });

    // The inbox's figures: inline SVG bar charts over the six tips.
    await page.click('#inbox-figures-box > summary');
    await page.waitForSelector('#inbox-figures svg.chart');
    assert.match(await page.textContent('#inbox-figures'), /6/);
    const bars = await page.locator('#inbox-figures svg.chart rect.chart-bar').count();
    assert.ok(bars >= 6, `bars drawn: ${bars}`);
    const countryChart = await page.locator('#inbox-figures figure').first().textContent();
    assert.match(countryChart, /RU/);

    // The Cases tab: the harbour's suggested case, four tips in four languages.
    const t0 = Date.now();
    await page.click('#tab-cases');
    await page.waitForSelector('#cases-table', { timeout: 120_000 });
    const casesMs = Date.now() - t0;
    const harbourRow = page.locator('#cases-table tbody tr', { hasText: ids['harbour-ko'].slice(0, 8) });
    assert.equal(await harbourRow.count(), 1, 'one case links the Korean harbour tip');
    const rowText = await harbourRow.textContent();
    for (const l of ['ko', 'ru', 'zh', 'en']) assert.match(rowText, new RegExp(`\\b${l}\\b`));
    assert.match(rowText, /suggested/);
    const caseId = await harbourRow.getAttribute('data-case');

    // Its page: tips linked to their pages, facts, charts.
    await harbourRow.locator('a.case-link').click();
    await page.waitForSelector('#case-title');
    const links = await page.locator('#case-tips a.tip-link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const f of ['harbour-ko', 'harbour-ru', 'harbour-zh', 'harbour-en']) assert.ok(links.includes(`#tip/${ids[f]}`), `${f} is linked: ${links}`);
    assert.match(await page.textContent('#case-facts'), /hours per day/);
    await page.waitForSelector('#case-figures svg.chart');
    assert.match(await page.textContent('#case-figures'), /3 of 4 tips \(75 %\)/, 'passports taken: 3 of 4');

    // Confirm with a name.
    await page.fill('#case-name', 'Harbour works');
    await page.click('#case-confirm');
    await page.waitForFunction(() => document.getElementById('case-status')?.textContent.includes('confirmed'));
    assert.equal(await page.textContent('#case-title'), 'Harbour works');
    assert.match(await page.textContent('#status'), /team log/);

    // The export: the check and the warning first, then the folder.
    await page.selectOption('#export-format', 'markdown');
    await page.click('#export-prepare');
    await page.waitForSelector('#export-warning');
    assert.match(await page.textContent('#export-warning'), /PLAINTEXT/);
    assert.match(await page.textContent('#export-flags'), /Re-identification check/);
    const out = path.join(server.dir, 'harbour-export');
    await page.fill('#export-out', out);
    await page.click('#export-write');
    await page.waitForSelector('#status.bad');
    assert.ok(!fs.existsSync(out), 'nothing written before the plaintext box is ticked');
    await page.check('#export-understood');
    await page.click('#export-write');
    await page.waitForSelector('#export-result .verified');
    assert.ok(fs.existsSync(path.join(out, `report-${caseId}.md`)));
    const report = fs.readFileSync(path.join(out, `report-${caseId}.md`), 'utf8');
    assert.match(report, /^# Harbour works/);
    assert.match(report, /## Figures/);
    await tipseal(['verify-export', out, '--server', server.url]);

    // A tip link opens the tip page in the inbox.
    await page.click('#cases-back');
    await page.waitForSelector('#cases-table');
    await page.locator('#cases-table a.case-link', { hasText: 'Harbour works' }).click();
    await page.waitForSelector('#case-tips a.tip-link');
    await page.locator(`#case-tips a[href="#tip/${ids['harbour-ru']}"]`).click();
    await page.waitForSelector('#tip-pane:not([hidden]) #narrative');
    assert.ok(await page.isHidden('#cases-pane'));

    // The command line sees the case confirmed and named.
    const cli = JSON.parse(await review(server, ['cases', '--json']));
    const c = cli.find((x) => x.id === caseId);
    assert.equal(c.status, 'confirmed');
    assert.equal(c.name, 'Harbour works');

    await b.settle();
    const foreign = b.requests.filter((r) => !r.url.startsWith(`${desk.origin}/`) && !r.url.startsWith('blob:'));
    assert.deepEqual(foreign, [], 'every request of the page went to the desk');
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violation');
    assert.deepEqual(pageErrors, [], 'no page errors');
    console.log(`desk-cases: Cases list of 6 tips shown in ${casesMs} ms (debug build, loaded machine)`);
  } finally {
    if (b) await b.close();
    if (desk) await desk.stop();
    await server.stop();
  }
});
