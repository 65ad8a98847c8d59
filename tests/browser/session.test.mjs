// A whole session on the page (load, language switch, fill, attach, submit, receipt):
// which origins the browser talks to, which headers every response carries, and how many
// bytes the session moves.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, waitForReady, waitForReceipt, startRecordingProxy, proxyFor, reviewShow, CHROMIUM_OWN_HOSTS,
} from './harness.mjs';
import { fillForm, gpsJpeg, randomBytes, contractCsp, parseCsp, tag } from './fixtures.mjs';

/**
 * `/` → the Korean link of the language switch → fill → attach (a GPS JPEG and, unless
 * `small`, a 1.5 MiB file that goes through the uploads API) → send → receipt → "new report".
 * Returns the reference.
 */
async function fullSession(page, server, { small = false, mark = tag() } = {}) {
  await page.goto(`${server.url}/`);
  await Promise.all([page.waitForURL(`${server.url}/ko/`), page.click('nav.languages a[hreflang="ko"]')]);
  await waitForReady(page);
  const files = [{ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: gpsJpeg().withGps }];
  if (!small) files.push({ name: 'recording.bin', mimeType: 'application/octet-stream', buffer: randomBytes(1536 * 1024) });
  await fillForm(page, {
    'worksite.name': '하산 조선소',
    'worksite.country': 'RU',
    'workers.count': '25',
    'minders.0.name_or_alias': '박 지도원',
    narrative: `감시원이 매일 전화를 검사합니다. ${mark}`,
  }, small ? [] : files);
  await page.click('#submit');
  const reference = await waitForReceipt(page);
  // The receipt is shown on /ko/ itself, so waiting for that URL would return at once,
  // before the link's navigation: wait for the new document's load event instead.
  await Promise.all([page.waitForEvent('load'), page.click('#receipt a[href="/ko/"]')]);
  assert.equal(page.url(), `${server.url}/ko/`);
  await waitForReady(page);
  return reference;
}

test('a whole session talks to no origin but the server own', async () => {
  const server = await startServer();
  const proxy = await startRecordingProxy(server.origin);
  const b = await launch({ launchOptions: proxyFor(proxy) });
  try {
    const narrativeTag = tag();
    const reference = await fullSession(b.page, server, { mark: narrativeTag });
    const shown = await reviewShow(server, reference);
    assert.equal(shown.attachments.length, 2, 'the session really submitted both files');

    console.log(`requests the page made (${b.requests.length}):`);
    for (const r of b.requests) console.log(`  ${r.method} ${r.url} [${r.resourceType}]`);
    console.log(`requests the browser sent through the recording proxy (${proxy.seen.length}):`);
    for (const r of proxy.seen) console.log(`  ${r.method} ${r.target}`);

    assert.ok(b.requests.length >= 8, 'the session was recorded');
    for (const r of b.requests) {
      assert.equal(new URL(r.url).origin, server.origin, `request to another origin: ${r.method} ${r.url}`);
    }
    assert.ok(proxy.seen.length >= b.requests.length, 'the browser really went through the proxy');
    // At the proxy: the server, or Chromium's own background services (refused there, and
    // carrying nothing of the page: no address of the server, none of the witness's words).
    const own = [];
    for (const r of proxy.seen) {
      const host = r.method === 'CONNECT' ? r.target.replace(/:\d+$/, '') : new URL(r.target).hostname;
      if (r.method !== 'CONNECT' && new URL(r.target).origin === server.origin) continue;
      assert.match(host, CHROMIUM_OWN_HOSTS, `the browser reached for ${r.method} ${r.target}`);
      const text = `${r.target} ${r.body ? r.body.toString('latin1') : ''}`;
      assert.ok(!text.includes(new URL(server.origin).host) && !text.includes(narrativeTag),
        `a browser request carries something of the page: ${r.method} ${r.target}`);
      own.push(`${r.method} ${host}`);
    }
    if (own.length) console.log(`NOTE: Chromium's own background requests, refused by the proxy, not from the page: ${[...new Set(own)].join(', ')}`);
    // The page's own requests all came through the proxy too (none went around it).
    const proxied = new Set(proxy.seen.map((r) => `${r.method} ${r.target}`));
    for (const r of b.requests) assert.ok(proxied.has(`${r.method} ${r.url}`), `not seen by the proxy: ${r.method} ${r.url}`);
  } finally {
    await b.close();
    await proxy.close();
    await server.stop();
  }
});

test('every witness response carries the security headers; no cookie, ETag or Last-Modified', async () => {
  const server = await startServer();
  const js = await launch();
  const nojs = await launch({ javaScriptEnabled: false });
  try {
    await fullSession(js.page, server);
    // The no-JS path and the error pages too.
    await nojs.page.goto(`${server.url}/ar/`);
    await fillForm(nojs.page, { narrative: `بلا جافاسكريبت ${tag()}` });
    await Promise.all([nojs.page.waitForURL(`${server.url}/ar/submit`), nojs.page.click('#submit')]);
    await nojs.page.goto(`${server.url}/xx/`);
    await nojs.page.goto(`${server.url}/static/nothing-here.js`);
    await js.settle();
    await nojs.settle();

    const csp = contractCsp();
    const want = parseCsp(csp);
    const responses = [...js.responses, ...nojs.responses];
    assert.ok(responses.length >= 12, `a session's worth of responses (${responses.length})`);
    const kinds = new Set();
    for (const r of responses) {
      const where = `${r.method} ${r.url} (${r.status})`;
      const h = r.headers;
      assert.ok(h, `headers read for ${where}`);
      const path = new URL(r.url).pathname;
      kinds.add(path.startsWith('/api/') ? 'api' : path.startsWith('/static/') ? 'static' : 'page');
      assert.equal(h['cache-control'], 'no-store', `Cache-Control on ${where}`);
      assert.equal(h['referrer-policy'], 'no-referrer', `Referrer-Policy on ${where}`);
      assert.equal(h['x-content-type-options'], 'nosniff', `X-Content-Type-Options on ${where}`);
      assert.equal(h['set-cookie'], undefined, `Set-Cookie on ${where}`);
      assert.equal(h.etag, undefined, `ETag on ${where}`);
      assert.equal(h['last-modified'], undefined, `Last-Modified on ${where}`);
      if (path.startsWith('/static/') && r.status === 200) {
        // Compressed at build time; the answer depends on Accept-Encoding (docs/web.md).
        assert.equal(h.vary, 'Accept-Encoding', `Vary on ${where}`);
        assert.ok(['br', 'gzip'].includes(h['content-encoding']), `Content-Encoding on ${where}`);
      }
      const got = h['content-security-policy'];
      assert.ok(got, `Content-Security-Policy on ${where}`);
      const g = parseCsp(got);
      assert.deepEqual(g.get('default-src'), ["'none'"], `default-src 'none' on ${where}`);
      assert.deepEqual(g.get('frame-ancestors'), ["'none'"], `frame-ancestors 'none' on ${where}`);
      if (/text\/html/.test(h['content-type'] || '')) {
        // Pages: exactly the contract's policy.
        assert.equal(got.replace(/\s+/g, ' ').trim(), csp, `the page CSP on ${where}`);
      } else {
        // Everything else: nothing the page policy does not allow (stricter is fine).
        for (const [d, sources] of g) {
          const allowed = want.get(d) || want.get('default-src');
          for (const s of sources) assert.ok(allowed.includes(s), `${d} ${s} is looser than docs/web.md on ${where}`);
        }
      }
    }
    assert.deepEqual([...kinds].sort(), ['api', 'page', 'static'], 'pages, static assets and API calls were all checked');
    console.log(`security headers checked on ${responses.length} responses`);

    // Nothing stored in the browser either.
    const stored = await js.page.evaluate(async () => ({
      cookie: document.cookie,
      local: localStorage.length,
      session: sessionStorage.length,
      idb: (await indexedDB.databases()).length,
    }));
    assert.deepEqual(stored, { cookie: '', local: 0, session: 0, idb: 0 });
    assert.deepEqual(await js.context.cookies(), []);
    assert.deepEqual(await nojs.context.cookies(), []);
  } finally {
    await js.close();
    await nojs.close();
    await server.stop();
  }
});
