// Both browsers through one driver: puppeteer-core (pinned in package.json) drives Debian's
// /usr/bin/chromium over CDP and Debian's /usr/bin/firefox-esr (what Tor Browser is built
// on) over WebDriver BiDi, so one test runs the same steps in each. Neither is downloaded.
//
// JavaScript off: Chromium per page (setJavaScriptEnabled); Firefox by its pref
// `javascript.enabled` (BiDi has no per-page switch in ESR 153). With scripts off, a
// puppeteer `click()` in Firefox needs a page script and fails, so every click here is a
// real mouse click at the element's place (`realClick`), in both browsers alike.
//
// Firefox missing: its tests are skipped with a loud message, or fail when
// TIPSEAL_BROWSER_TESTS=require (CI installs firefox-esr: scripts/test-all.sh).

import fs from 'node:fs';
import http from 'node:http';
import puppeteer from 'puppeteer-core';
import { CHROMIUM, CHROMIUM_ARGS } from './harness.mjs';

export const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';

/** The browsers to test in: `[{ name, skip }]`, skip a reason string or false. */
export function browsers() {
  const require = process.env.TIPSEAL_BROWSER_TESTS === 'require';
  return [
    { name: 'chromium', skip: false },
    {
      name: 'firefox',
      skip: fs.existsSync(FIREFOX) ? false : (() => {
        const why = `${FIREFOX} is missing (apt-get install -y firefox-esr): the Firefox ESR half of the shared-phone tests did NOT run`;
        if (require) throw new Error(`TIPSEAL_BROWSER_TESTS=require: ${why}`);
        console.log(`SKIPPED LOUDLY: ${why}`);
        return why;
      })(),
    },
  ];
}

/** Starts `name` ('chromium' | 'firefox') headless and opens one page. */
export async function open(name, { javaScriptEnabled = true } = {}) {
  const browser = name === 'firefox'
    ? await puppeteer.launch({
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath: FIREFOX,
      headless: true,
      extraPrefsFirefox: javaScriptEnabled ? {} : { 'javascript.enabled': false },
    })
    : await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  if (name !== 'firefox' && !javaScriptEnabled) await page.setJavaScriptEnabled(false);
  await page.setViewport({ width: 412, height: 860 });
  page.on('pageerror', (e) => console.log(`${name} page error: ${e.message}`));
  return { browser, page, close: () => browser.close().catch(() => {}) };
}

/**
 * Waits for `selector` to match, by asking again and again (puppeteer's waitForSelector
 * runs a script in the page, which Firefox refuses with JavaScript off).
 */
export async function until(page, selector, timeout = 60_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const el = await page.$(selector).catch(() => null);
    if (el) return el;
    if (Date.now() > end) throw new Error(`timed out waiting for ${selector} at ${page.url()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A mouse click at the middle of `selector` (scrolled into view first). */
export async function realClick(page, selector) {
  const el = await until(page, selector);
  await el.evaluate((e) => e.scrollIntoView({ block: 'center' }));
  const box = await el.boundingBox();
  if (!box) throw new Error(`${selector} has no box`);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

/** Waits until the page's URL satisfies `ok` (a navigation puppeteer may not report). */
export async function waitForUrl(page, ok, what, timeout = 30_000) {
  const end = Date.now() + timeout;
  while (!ok(page.url())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; at ${page.url()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await loaded(page);
}

/** Waits (a little) until the current document has loaded, by asking from outside. */
export async function loaded(page, timeout = 15_000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    // The browser's own page (Firefox's "document expired", Chromium's error page) may not
    // answer scripts at all: there is nothing of the site's to wait for.
    if (/^(about|chrome-error):/.test(page.url())) return;
    const state = await page.evaluate(() => document.readyState).catch(() => null);
    if (state === 'complete') return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The history (length, URL) and what a form page holds, read from the page. */
export async function snapshot(page) {
  return page.evaluate(() => ({
    url: location.href,
    historyLength: history.length,
    navigation: performance.getEntriesByType('navigation')[0]?.type ?? null,
    narrative: document.getElementById('narrative')?.value ?? null,
    files: document.getElementById('attachments')?.files?.length ?? null,
    html: document.documentElement.outerHTML,
    // What the page shows (not its data blocks, which hold every string of the language).
    text: document.body ? document.body.innerText : '',
  }));
}

/**
 * Which document is shown: its URL and the time its navigation began (a new document, or
 * one restored from the back/forward cache, has another). Null when the page cannot be
 * asked (mid-navigation, or a browser error page).
 */
async function documentId(page) {
  return page.evaluate(() => `${location.href} ${performance.timeOrigin}`).catch(() => null);
}

/**
 * Runs `navigate` (Back, Forward or Reload) and returns as soon as another document has
 * loaded, or when `navigate` itself settles, at most 15 s. Firefox over BiDi often reports
 * no navigation for a page that was the answer to a POST, so waiting for puppeteer's own
 * promise alone waited out its whole timeout at each step (~2 minutes a test).
 */
async function navigateAndSettle(page, navigate) {
  const url = page.url();
  const id = await documentId(page);
  let done = false;
  navigate().catch(() => {}).then(() => { done = true; });
  const end = Date.now() + 15_000;
  while (!done && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await documentId(page);
    if (now !== null ? now !== id : page.url() !== url) break;
  }
  // A moment for a browser that shows one page and then another (an error page after a
  // cached entry), then the document's own load.
  await new Promise((r) => setTimeout(r, 300));
  await loaded(page);
}

/** Back (or Forward) in history, tolerating the browser's own error page for a POST. */
export async function travel(page, dir) {
  const before = page.url();
  await navigateAndSettle(page, () => (dir === 'back' ? page.goBack({ timeout: 15_000 }) : page.goForward({ timeout: 15_000 })));
  return { from: before, to: page.url() };
}

/** Reload, tolerating a browser that will not post a form again. */
export async function reload(page) {
  await navigateAndSettle(page, () => page.reload({ timeout: 15_000 }));
}

/** A harmless "other site" to leave for (the quick exit's destination), on another port. */
export async function startExitSite() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Weather</title><h1>Sunny</h1>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}
