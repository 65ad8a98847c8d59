// A chunked upload interrupted mid-way resumes where the server says it stopped (it does
// not restart from zero), and the attachment decrypts byte-identical.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, launch, reviewShow } from './harness.mjs';
import { randomBytes, submitWithJs } from './fixtures.mjs';

const MiB = 1024 * 1024;

test('an interrupted chunked upload resumes and the attachment decrypts byte-identical', async () => {
  const server = await startServer();
  const b = await launch();
  try {
    const file = randomBytes(3 * MiB + 12345); // envelope ≈ 4 MiB: four 1 MiB chunks, through /api/v1/uploads
    const page = b.page;
    const log = [];
    let patches = 0;
    await page.route('**/api/v1/uploads/**', async (route) => {
      const req = route.request();
      const method = req.method();
      if (method !== 'PATCH') { log.push({ method }); return route.continue(); }
      const offset = Number((await req.allHeaders())['upload-offset']);
      const entry = { method, offset, size: req.postDataBuffer()?.length ?? 0 };
      log.push(entry);
      patches += 1;
      if (patches === 2) {
        // The second chunk never reaches the server: the connection drops.
        entry.fate = 'dropped before the server';
        return route.abort('connectionreset');
      }
      if (patches === 4) {
        // The server stores this chunk, but its answer is lost on the way back.
        const res = await route.fetch();
        entry.fate = `reached the server (${res.status()}), answer lost`;
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    const statuses = [];
    await page.exposeFunction('__status', (s) => statuses.push(s));

    const reference = await submitWithJs(page, server, 'en', { narrative: 'A video of the dormitory gate.' }, [
      { name: 'gate.mp4', mimeType: 'video/mp4', buffer: file },
    ], {
      beforeSubmit: (p) => p.evaluate(() => {
        const t = document.getElementById('progress-text');
        new MutationObserver(() => window.__status(t.textContent)).observe(t, { childList: true, characterData: true, subtree: true });
      }),
    });
    console.log('upload requests:', JSON.stringify(log));

    const creates = b.requests.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/api/v1/uploads');
    assert.equal(creates.length, 1, 'one upload was created: the page never started over');
    const patchLog = log.filter((e) => e.method === 'PATCH');
    assert.equal(patchLog[0].offset, 0);
    assert.equal(patchLog[1].offset, MiB, 'the second chunk starts at 1 MiB');
    // After the first failure: the page asked where to resume, then sent from 1 MiB again.
    assert.equal(log[log.indexOf(patchLog[1]) + 1].method, 'GET', 'the page asked the server for the offset');
    assert.equal(patchLog[2].offset, MiB, 'resumed at the lost chunk, not at 0');
    // After the second failure (chunk stored, answer lost): it resumed after that chunk.
    assert.equal(patchLog[3].offset, 2 * MiB);
    assert.equal(log[log.indexOf(patchLog[3]) + 1].method, 'GET');
    assert.equal(patchLog[4].offset, 3 * MiB, 'the chunk the server already had was not sent again');
    assert.ok(patchLog.slice(1).every((e) => e.offset > 0), 'no PATCH restarted from zero');
    const i18n = JSON.parse(fs.readFileSync(new URL('../../web/i18n/en.json', import.meta.url), 'utf8'));
    assert.ok(statuses.includes(i18n.status_retrying), `the witness saw "retrying" (${[...new Set(statuses)].join(' | ')})`);

    const shown = await reviewShow(server, reference);
    assert.equal(shown.attachments.length, 1);
    const a = shown.attachments[0];
    assert.equal(a.name, 'gate.mp4');
    assert.equal(a.size, file.length);
    assert.ok(fs.readFileSync(a.saved_to).equals(file), 'the attachment decrypts byte-identical');
  } finally {
    await b.close();
    await server.stop();
  }
});
