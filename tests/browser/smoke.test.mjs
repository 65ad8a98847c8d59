// The harness itself: a server boots, the page loads in Chromium and verifies the keyring.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, waitForReady, reviewList } from './harness.mjs';

test('harness: server boots, page verifies the keyring in Chromium', async () => {
  const server = await startServer();
  const b = await launch();
  try {
    await b.page.goto(`${server.url}/en/`);
    await waitForReady(b.page);
    assert.equal(await b.page.evaluate(() => document.documentElement.lang), 'en');
    assert.deepEqual(await reviewList(server), []);
    assert.ok(b.requests.some((r) => r.url.endsWith('/api/v1/keyring')), 'the page fetched the keyring');
  } finally {
    await b.close();
    await server.stop();
  }
});
