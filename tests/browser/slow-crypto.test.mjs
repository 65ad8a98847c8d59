// While the page's crypto loads (a slow link: libsodium held back by route interception),
// a press of Send never quietly takes the server-sealing path: it waits and the browser
// seals the tip; only the explicit "let the server lock it" button posts the plain form,
// and the receipt then says that the witness chose it (not "JavaScript was off").
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, reviewShow, reviewList, waitForReceipt } from './harness.mjs';
import { strings, tag } from './fixtures.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Holds responses for `name` under /static/ until `release()` (or `ms` elapse). */
async function holdStatic(page, name, ms) {
  let release;
  const released = new Promise((r) => { release = r; });
  await page.route(`**/static/${name}`, async (route) => {
    await Promise.race([released, sleep(ms)]);
    await route.continue().catch(() => {});
  });
  return () => release();
}

test('Send pressed before app.js and libsodium have arrived waits, then the browser seals the tip', async () => {
  const server = await startServer();
  const b = await launch();
  const t = strings('ko');
  try {
    const posts = [];
    b.page.on('request', (r) => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
    await holdStatic(b.page, 'app.js', 2500);
    const releaseSodium = await holdStatic(b.page, 'sodium.js', 60_000);
    await b.page.goto(`${server.url}/ko/`, { waitUntil: 'commit' });
    await b.page.waitForSelector('#submit');
    const mark = tag();
    await b.page.fill('#narrative', `반장이 여권을 가지고 있습니다. ${mark}`);
    // app.js has not run yet: hold.js keeps the press from posting the plain form.
    assert.equal(await b.page.evaluate(() => document.getElementById('tip-form').dataset.crypto), undefined,
      'the press happens before app.js took over');
    await b.page.click('#submit');
    // app.js arrives and takes the held press over; libsodium is still held back.
    await b.page.waitForFunction(() => document.documentElement.dataset.crypto === 'loading');
    await b.page.waitForSelector('#progress-box:not([hidden])');
    assert.equal((await b.page.textContent('#progress-text')).trim(), t.status_send_waiting);
    assert.ok(await b.page.isVisible('#send-server'), 'the explicit server choice is offered while waiting');
    await sleep(1000);
    assert.deepEqual(posts, [], 'nothing was posted while the crypto loaded');
    assert.equal(new URL(b.page.url()).pathname, '/ko/');

    releaseSodium();
    const reference = await waitForReceipt(b.page);
    assert.equal(new URL(b.page.url()).pathname, '/ko/', 'the page never left for the no-JS route');
    assert.ok(!posts.includes('/ko/submit'), `posted: ${posts.join(', ')}`);
    assert.ok(await b.page.isHidden('#send-server'), 'the server choice is withdrawn once the browser can seal');
    const shown = await reviewShow(server, reference);
    assert.equal(shown.sealed_by_server, false, 'sealed in the browser');
    assert.ok(JSON.stringify(shown.tip).includes(mark), 'the tip is the one typed');
  } finally {
    await b.close();
    await server.stop();
  }
});

test('the explicit server choice while the crypto loads gives a truthful receipt, and one tip only', async () => {
  const server = await startServer();
  const b = await launch();
  const t = strings('en');
  try {
    const releaseSodium = await holdStatic(b.page, 'sodium.js', 60_000);
    await b.page.goto(`${server.url}/en/`, { waitUntil: 'commit' });
    await b.page.waitForSelector('#send-server', { state: 'visible' });
    assert.equal((await b.page.textContent('#send-server')).trim(), t.send_server);
    assert.equal((await b.page.textContent('#send-server-hint')).trim(), t.send_server_hint);
    assert.equal((await b.page.textContent('#js-status')).trim(), t.status_preparing);
    const mark = tag();
    await b.page.fill('#narrative', `The site manager keeps the passports. ${mark}`);
    // Send first (it waits for the crypto), then the witness decides not to wait.
    await b.page.click('#submit');
    await b.page.waitForSelector('#progress-box:not([hidden])');
    await Promise.all([b.page.waitForURL(`${server.url}/en/submit`), b.page.click('#send-server')]);
    releaseSodium();
    await sleep(1500);
    const page = await b.page.content();
    assert.ok(page.includes(t.receipt_sealed_server_chosen), 'the receipt says the witness chose the server path');
    assert.ok(!page.includes(t.receipt_sealed_server), 'and not that JavaScript was off');
    const reference = (await b.page.textContent('#receipt-reference')).trim();
    const shown = await reviewShow(server, reference);
    assert.equal(shown.sealed_by_server, true);
    assert.ok(JSON.stringify(shown.tip).includes(mark));
    const all = await reviewList(server);
    assert.equal(all.length, 1, `one tip stored, not two: ${JSON.stringify(all)}`);
    assert.equal(all[0].id, reference);
  } finally {
    await b.close();
    await server.stop();
  }
});
