// A full conversation on the page in Korean (issue 4): submit on /ko/ with JavaScript,
// read the Hangul receipt words off the receipt screen, a reviewer replies with a file
// (`tipseal review reply`), the witness opens /ko/followup, types the words, reads the
// reply and downloads its file, adds a message and a file; the reviewer sees both in
// `tipseal review show --json`. The words never appear in a URL the browser requested.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launch, reviewShow, tipseal } from './harness.mjs';
import { submitWithJs, strings, tag, randomBytes } from './fixtures.mjs';

test('a full conversation on the page in Korean', async () => {
  const server = await startServer();
  const b = await launch({ viewport: { width: 360, height: 800 } });
  try {
    const page = b.page;
    const t = strings('ko');
    const mark = tag();
    const reference = await submitWithJs(page, server, 'ko', {
      narrative: `반장이 여권을 가지고 있습니다. #${mark}`,
    });
    // One <li> a word (the list is numbered by CSS markers).
    const words = (await page.locator('#receipt-words li').allTextContents()).join(' ');
    const english = (await page.locator('#receipt-words-en li').allTextContents()).join(' ');
    assert.equal(words.split(/\s+/).length, 12, words);
    assert.match(words, /[\uac00-\ud7a3]/, 'the receipt is shown in Hangul');
    assert.ok(await page.locator('#receipt-words-en').isVisible(), 'and in English words');
    assert.match(english, /^[a-z]+( [a-z]+){11}$/);
    assert.ok(await page.locator(`#receipt a[href="/ko/followup"]`).isVisible(), 'a link to the mailbox');

    // The reviewer replies, with a file.
    const replyText = `어느 문으로 들어갔습니까? #${mark}`;
    const replyFile = path.join(server.dir, 'questions.txt');
    const replyBytes = randomBytes(3000);
    fs.writeFileSync(replyFile, replyBytes);
    await tipseal(['review', 'reply', reference, '--server', server.url, '--key', server.reviewerKey,
      '--message', replyText, '--attach', replyFile]);

    // The witness opens the mailbox with the Hangul words, one per line.
    await page.goto(`${server.url}/ko/followup`);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'ko');
    await page.fill('#words', words.split(' ').join('\n'));
    await page.click('#open');
    await page.waitForSelector('#mailbox:not([hidden])', { timeout: 60_000 });
    assert.equal(await page.inputValue('#words'), '', 'the typed words are cleared');
    const shownReplies = await page.locator('#replies li.reply').allTextContents();
    assert.equal(shownReplies.length, 1);
    assert.ok(shownReplies[0].includes(replyText), shownReplies[0]);
    assert.ok(shownReplies[0].includes('reviewer'), 'the signer is named from the keyring');

    // The reply's file downloads byte-identical.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('#replies a[download]'),
    ]);
    assert.equal(download.suggestedFilename(), 'questions.txt');
    const saved = path.join(server.dir, 'downloaded.txt');
    await download.saveAs(saved);
    assert.deepEqual(fs.readFileSync(saved), replyBytes);

    // The witness adds a message and a file.
    const followupText = `북문, 밤 10시 이후. #${mark}`;
    const fileBytes = randomBytes(20_000);
    await page.fill('#message', followupText);
    await page.setInputFiles('#attachments', [{ name: '지도.bin', mimeType: 'application/octet-stream', buffer: fileBytes }]);
    await page.click('#send');
    await page.waitForSelector('#sent:not([hidden])', { timeout: 60_000 });
    assert.equal((await page.textContent('#sent')).trim(), t.followup_sent);

    const shown = await reviewShow(server, reference);
    const conv = shown.conversation;
    assert.equal(conv.length, 2, JSON.stringify(shown));
    assert.equal(conv[0].kind, 'reply');
    assert.equal(conv[0].message, replyText);
    assert.equal(conv[1].kind, 'followup');
    assert.equal(conv[1].message, followupText);
    assert.equal(conv[1].attachments[0].name, '지도.bin');
    assert.deepEqual(fs.readFileSync(conv[1].attachments[0].saved_to), fileBytes);

    // The words went nowhere near a URL.
    for (const r of b.requests) {
      const url = decodeURIComponent(r.url);
      for (const w of [...words.split(' '), ...english.split(' ')]) {
        assert.ok(!url.includes(` ${w} `) && !url.includes(words) && !url.includes(english), `the words are in ${r.url}`);
      }
    }
    const log = server.log();
    assert.ok(!log.includes(words) && !log.includes(english), 'the words are not in the server log');
  } finally {
    await b.close();
    await server.stop();
  }
});
