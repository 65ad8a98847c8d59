// The no-JavaScript path (Tor Browser "Safest"): the plain form posts, the server seals on
// arrival with the sealed-by-server flag, the tip decrypts, and the plaintext is nowhere on
// the server's disk.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, launch, reviewShow, reviewList, walk } from './harness.mjs';
import { fillForm, gpsJpeg, jpegMarkers, GPS_LAT_BYTES, strings, tag, assertNotContains } from './fixtures.mjs';

test('no-JS path: plain form post, sealed by the server, decrypts, plaintext nowhere on disk', async () => {
  const server = await startServer();
  const b = await launch({ javaScriptEnabled: false });
  try {
    const lang = 'ru';
    const t = strings(lang);
    const mark = tag();
    const narrative = `Бригадир забирает паспорта у всех рабочих.\nМаркер ${mark}.`;
    const site = `Стройка на Русском острове ${mark}`;
    const attachmentText = `Список рабочих, записанный тайно ${mark}\n`;
    const { withGps, withoutGps } = gpsJpeg();
    const page = b.page;

    await page.goto(`${server.url}/${lang}/`);
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
    assert.ok(await page.locator('noscript').count() > 0);
    assert.equal(await page.locator('#add-minder').isVisible(), false, 'JS-only controls stay hidden');
    assert.equal(await page.locator('fieldset.minder').count(), 3, 'three minder blocks without JS');

    await fillForm(page, {
      'worksite.name': site,
      'worksite.country': 'RU',
      'worksite.sector': 'construction',
      'workers.count': '120',
      'workers.passports_held_by_others': 'yes',
      'minders.1.name_or_alias': 'Пак',
      'minders.1.role': 'team_leader',
      'minders.1.actions': ['collects_wages'],
      'witness.relation': 'neighbour',
      narrative,
    }, [
      { name: 'список.txt', mimeType: 'text/plain', buffer: Buffer.from(attachmentText, 'utf8') },
      { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: withGps },
    ]);
    await Promise.all([
      page.waitForURL(`${server.url}/${lang}/submit`),
      page.click('#submit'),
    ]);

    // The receipt page, in Russian, says the server sealed it.
    const body = await page.textContent('body');
    assert.ok(body.includes(t.receipt_sealed_server), 'the receipt explains server-side sealing');
    const reference = (await page.textContent('.reference code')).trim();
    assert.match(reference, /^[0-9a-f]{32}$/);

    // Nothing in the browser's requests carried the words in a URL.
    for (const r of b.requests) assert.ok(!decodeURIComponent(r.url).includes(mark), `no plaintext in ${r.url}`);

    const list = await reviewList(server);
    assert.equal(list.length, 1);
    assert.equal(list[0].id, reference);
    assert.equal(list[0].sealed_by_server, true, 'review list shows the path');
    const shown = await reviewShow(server, reference);
    assert.equal(shown.sealed_by_server, true, 'the sealed-by-server flag is set');
    assert.deepEqual(shown.tip, {
      schema: 'tipseal/tip/v1',
      language: lang,
      worksite: { name: site, country: 'RU', sector: 'construction' },
      workers: { count: 120, passports_held_by_others: true },
      minders: [{ name_or_alias: 'Пак', role: 'team_leader', actions: ['collects_wages'] }],
      witness: { relation: 'neighbour' },
      narrative,
    });
    assert.equal(shown.attachments.length, 2);
    const byName = Object.fromEntries(shown.attachments.map((a) => [a.name, a]));
    assert.equal(fs.readFileSync(byName['список.txt'].saved_to, 'utf8'), attachmentText);
    const img = fs.readFileSync(byName['photo.jpg'].saved_to);
    assert.ok(!jpegMarkers(img).includes(0xe1), 'the server stripped the Exif too');
    assertNotContains(img, GPS_LAT_BYTES, 'the saved image');
    assert.ok(img.equals(withoutGps));

    // The plaintext is nowhere in the data directory (every file, every byte), nor in the log.
    const needles = [narrative, site, mark, attachmentText, Buffer.from(mark, 'utf8').toString('hex'), GPS_LAT_BYTES];
    const check = (what) => {
      const files = walk(server.dataDir);
      assert.ok(files.length > 0, 'the data directory has files');
      for (const f of files) {
        const bytes = fs.readFileSync(f);
        for (const n of needles) assertNotContains(bytes, n, `${what}: ${f}`);
      }
      const log = Buffer.from(server.log(), 'utf8');
      for (const n of needles) assertNotContains(log, n, `${what}: the server log`);
      return files.length;
    };
    const n = check('while running');
    await server.stop({ remove: false }); // flushes and closes the database
    const m = check('after stopping');
    console.log(`no-JS: plaintext absent from ${n} files (running) and ${m} files (stopped) in the data dir`);
  } finally {
    await b.close();
    await server.stop();
  }
});
