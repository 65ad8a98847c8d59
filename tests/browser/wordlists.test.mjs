// Only the word lists a page needs travel (docs/web.md, "On a slow link"): the Korean form
// fetches the Korean and English lists; the Korean mailbox page fetches the Korean list,
// and a receipt typed in English words fetches the Latin-script lists on "Open" (never
// the other Asian ones) and opens the mailbox.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, waitForReady, waitForReceipt } from './harness.mjs';
import { tag } from './fixtures.mjs';

const listsFetched = (b, since = 0) => b.requests.slice(since)
  .map((r) => /\/static\/wordlists\/([a-z_]+)\.txt$/.exec(new URL(r.url).pathname))
  .filter(Boolean).map((m) => m[1]).sort();

test('each page fetches only the word lists it needs, and English words open the Korean mailbox', async () => {
  const server = await startServer();
  const b = await launch();
  try {
    await b.page.goto(`${server.url}/ko/`);
    await waitForReady(b.page);
    await b.page.fill('#narrative', `반장이 여권을 가지고 있습니다. ${tag()}`);
    await b.page.click('#submit');
    await waitForReceipt(b.page);
    assert.deepEqual(listsFetched(b), ['english', 'korean'], 'the form: its own list and English');
    const english = (await b.page.locator('#receipt-words-en li').allTextContents()).map((w) => w.trim()).join(' ');
    assert.match(english, /^[a-z]+( [a-z]+){11}$/);

    let mark = b.requests.length;
    await b.page.goto(`${server.url}/ko/followup`);
    await b.page.waitForFunction(() => document.documentElement.dataset.crypto === 'ready');
    await b.page.waitForLoadState('networkidle');
    assert.deepEqual(listsFetched(b, mark), ['korean'], 'the mailbox page: the page language\'s list only');

    mark = b.requests.length;
    await b.page.fill('#words', english);
    await b.page.click('#open');
    await b.page.waitForSelector('#mailbox:not([hidden])', { timeout: 60_000 });
    assert.ok(await b.page.isVisible('#no-replies'), 'the mailbox opened (no reply yet)');
    assert.deepEqual(listsFetched(b, mark), ['czech', 'english', 'french', 'italian', 'portuguese', 'spanish'],
      'English words: the six Latin-script lists, nothing else');
  } finally {
    await b.close();
    await server.stop();
  }
});
