// The witness sees their own earlier messages (issue 8): on /en/followup with JavaScript
// the witness sends two follow-ups (the second with a file), a reviewer replies
// (`tipseal review reply`), and the witness, opening the mailbox again in a fresh page,
// sees all three in the order they were written — their own two labelled as theirs. The
// reviewers still get their copies, and the server's data directory holds no plaintext
// of any of the three.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, launch, reviewShow, tipseal, walk } from './harness.mjs';
import { submitWithJs, strings, tag, randomBytes, assertNotContains } from './fixtures.mjs';

test('the witness sees their two follow-ups and the reply, in order', async () => {
  const server = await startServer();
  const b = await launch();
  try {
    const page = b.page;
    const t = strings('en');
    const mark = tag();
    const reference = await submitWithJs(page, server, 'en', { narrative: `The north gate. #${mark}` });
    const words = (await page.locator('#receipt-words li').allTextContents()).map((w) => w.trim()).join(' ');

    await page.goto(`${server.url}/en/followup`);
    await page.fill('#words', words);
    await page.click('#open');
    await page.waitForSelector('#mailbox:not([hidden])', { timeout: 60_000 });
    assert.equal(await page.locator('#replies > li').count(), 0, 'nothing yet');

    const first = `own-first-${mark}`;
    const second = `own-second-${mark}`;
    await page.fill('#message', first);
    await page.click('#send');
    // The message appears in the conversation as soon as it is stored.
    await page.waitForSelector('#replies li.mine', { timeout: 60_000 });
    assert.ok((await page.textContent('#replies li.mine')).includes(first));
    await page.fill('#message', second);
    await page.setInputFiles('#attachments', [{ name: 'map.bin', mimeType: 'application/octet-stream', buffer: randomBytes(2000) }]);
    await page.click('#send');
    await page.waitForFunction(() => document.querySelectorAll('#replies li.mine').length === 2, null, { timeout: 60_000 });

    const answer = `reply-after-two-${mark}`;
    await tipseal(['review', 'reply', reference, '--server', server.url, '--key', server.reviewerKey, '--message', answer]);

    // A fresh page: nothing carried over but the words the witness types again.
    await page.goto(`${server.url}/en/followup`);
    await page.fill('#words', words);
    await page.click('#open');
    await page.waitForSelector('#mailbox:not([hidden])', { timeout: 60_000 });
    const items = await page.locator('#replies > li').evaluateAll((lis) => lis.map((li) => ({
      mine: li.classList.contains('mine'), text: li.textContent,
    })));
    assert.equal(items.length, 3, JSON.stringify(items));
    assert.deepEqual(items.map((i) => i.mine), [true, true, false]);
    assert.ok(items[0].text.includes(first), items[0].text);
    assert.ok(items[1].text.includes(second) && items[1].text.includes('map.bin'), items[1].text);
    assert.ok(items[2].text.includes(answer), items[2].text);
    const you = t.followup_you.split('{date}')[0];
    assert.ok(items[0].text.includes(you), `labelled as the witness's own: ${items[0].text}`);
    assert.ok(await page.locator('#unverified-note').isHidden(), 'every entry opened');

    // The reviewers' view is unchanged: both follow-ups and the reply.
    const shown = await reviewShow(server, reference);
    assert.deepEqual(shown.conversation.map((e) => e.kind), ['followup', 'followup', 'reply']);
    assert.equal(shown.conversation[0].message, first);

    // No plaintext of any of the three in the server's data directory (stopped, so
    // everything is flushed; kept for this look).
    await server.stop({ remove: false });
    for (const file of walk(server.dataDir)) {
      const bytes = fs.readFileSync(file);
      for (const needle of [first, second, answer, `-${mark}`]) assertNotContains(bytes, needle, file);
    }
  } finally {
    await b.close();
    await server.stop();
  }
});
