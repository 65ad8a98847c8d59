// The page's words in a real browser, on the Arabic (RTL) page: an invalid field is
// named in Arabic by the page, never by the browser's own (English) validation bubble;
// the file button speaks Arabic and still works from the keyboard; the receipt words
// come as a numbered, left-to-right list whose copied text is the bare words.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, waitForReady, waitForReceipt, reviewList } from './harness.mjs';
import { fillForm, strings, tag } from './fixtures.mjs';

const LRI = '\u2066';
const PDI = '\u2069';

test('on /ar/ validation is Arabic, the file button is Arabic, the receipt is a numbered LTR list', async () => {
  const server = await startServer();
  const b = await launch({ viewport: { width: 360, height: 800 } });
  try {
    const page = b.page;
    const t = strings('ar');
    await page.goto(`${server.url}/ar/`);
    await waitForReady(page);
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).direction), 'rtl');

    // The browser's bubble comes only from an `invalid` event during interactive
    // validation: count every one, and the bubble-free form must fire none.
    await page.evaluate(() => {
      window.__invalidEvents = 0;
      document.addEventListener('invalid', () => { window.__invalidEvents += 1; }, true);
    });
    assert.equal(await page.evaluate(() => document.getElementById('tip-form').noValidate), true);
    await fillForm(page, { narrative: `تاريخ خاطئ ${tag()}`, 'worksite.observed_from': 'الربيع' });
    assert.equal(
      await page.evaluate(() => document.getElementById('worksite-observed-from').validity.patternMismatch),
      true,
      'the field really breaks its constraint',
    );
    await page.click('#submit');
    await page.waitForSelector('#form-error:not([hidden])');
    const shown = await page.textContent('#form-error');
    const expected = t.err_date.replace(/\d[\d-]*\d|\d/g, (m) => `${LRI}${m}${PDI}`);
    assert.ok(shown.startsWith(`${t.err_title}. ${expected}`), `the Arabic date message: ${shown}`);
    assert.ok(shown.includes(t.worksite_observed_from), 'naming the field by its Arabic label');
    assert.doesNotMatch(shown, /[A-Za-z]/, 'no English in the message');
    assert.equal(await page.evaluate(() => window.__invalidEvents), 0, 'the browser never validated (no bubble)');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'worksite-observed-from', 'the field has focus');
    assert.equal(await page.getAttribute('#worksite-observed-from', 'aria-invalid'), 'true');
    assert.equal((await reviewList(server)).length, 0, 'nothing was sent');

    // The file control: an Arabic button; the native control hidden but focusable.
    const button = page.locator('#attachments-button');
    assert.ok(await button.isVisible(), 'the localized file button shows');
    assert.equal((await button.textContent()).trim(), t.choose_files);
    const native = await page.evaluate(() => {
      const el = document.getElementById('attachments');
      const r = el.getBoundingClientRect();
      el.focus();
      return { w: r.width, h: r.height, focused: document.activeElement === el };
    });
    assert.ok(native.w <= 1 && native.h <= 1, 'the native (browser-language) control is out of sight');
    assert.ok(native.focused, 'and still takes keyboard focus');
    const chooser = page.waitForEvent('filechooser', { timeout: 5000 });
    await button.click();
    await (await chooser).setFiles({ name: 'ملاحظة.txt', mimeType: 'text/plain', buffer: Buffer.from('note') });
    assert.match(await page.textContent('#file-list'), /ملاحظة\.txt/, 'the chosen file is listed');

    // Corrected, the report goes; the receipt is a numbered left-to-right list.
    await page.fill('#worksite-observed-from', '2024-03');
    await page.click('#submit');
    await waitForReceipt(page);
    const list = await page.evaluate(() => {
      const ol = document.getElementById('receipt-words');
      const style = getComputedStyle(ol);
      return {
        tag: ol.tagName,
        dir: ol.getAttribute('dir'),
        direction: style.direction,
        listStyle: getComputedStyle(ol.querySelector('li')).listStyleType,
        items: [...ol.querySelectorAll('li')].map((li) => li.textContent),
        copied: ol.innerText,
        firstLeft: ol.querySelector('li').getBoundingClientRect().left,
        lastLeft: ol.querySelector('li:last-child').getBoundingClientRect().left,
      };
    });
    assert.equal(list.tag, 'OL');
    assert.equal(list.dir, 'ltr');
    assert.equal(list.direction, 'ltr', 'left to right on the RTL page');
    assert.equal(list.listStyle, 'decimal', 'numbered');
    assert.equal(list.items.length, 12);
    assert.ok(list.items.every((w) => /^[a-z]+$/.test(w)), `English words (no Arabic BIP39 list): ${list.items}`);
    assert.ok(list.firstLeft < list.lastLeft, 'word 1 is on the left, word 12 on the right');
    assert.deepEqual(list.copied.split(/\s+/).filter(Boolean), list.items, 'copying gives the bare words, no numbers');
    assert.ok(await page.locator('.words-en').isHidden(), 'no second English list when the words are English');
    assert.equal((await reviewList(server)).length, 1, 'the corrected report arrived');
  } finally {
    await b.close();
    await server.stop();
  }
});

test('on /ko/followup a mailbox that does not open is headed "could not open", not "not sent"', async () => {
  const server = await startServer();
  const b = await launch({ viewport: { width: 360, height: 800 } });
  try {
    const page = b.page;
    const t = strings('ko');
    await page.goto(`${server.url}/ko/followup`);
    await page.waitForFunction(() => !document.getElementById('js-status').hidden);
    await page.fill('#words', '하나 둘 셋');
    await page.click('#open');
    await page.waitForSelector('#open-error:not([hidden])');
    const shown = await page.textContent('#open-error');
    assert.ok(shown.startsWith(`${t.err_title_mailbox}. `), `headed as what failed: ${shown}`);
    assert.ok(!shown.includes(t.err_title), 'not "not sent": nothing was being sent');
  } finally {
    await b.close();
    await server.stop();
  }
});
