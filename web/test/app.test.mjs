// app.js logic that runs without a browser: the form -> tip document mapping (checked
// against the shared samples), the bundle plan, and resumable uploads with a fake server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { REPO_DIR, loadSodium } from './sodium-node.mjs';
import { tipFromPairs, hasContent, safeFileName, safeMediaType, planParts, uploadEnvelope, postTip, retryAfterSeconds, FieldError, INLINE_LIMIT } from '../static/app.js';
import { envelopeLengthFor, withSodium, KIND_ATTACHMENT, parseBundle } from '../static/envelope.js';

// The inverse of the form mapping: a tip document as the form pairs a witness would send.
function pairsOf(doc) {
  const pairs = [];
  const put = (k, v) => {
    if (v === undefined) return;
    if (typeof v === 'boolean') pairs.push([k, v ? 'yes' : 'no']);
    else pairs.push([k, String(v)]);
  };
  for (const [k, v] of Object.entries(doc.worksite || {})) put(`worksite.${k}`, v);
  for (const [k, v] of Object.entries(doc.workers || {})) put(`workers.${k}`, v);
  (doc.minders || []).forEach((m, n) => {
    for (const [k, v] of Object.entries(m)) {
      if (k === 'actions') for (const a of v) pairs.push([`minders.${n}.actions`, a]);
      else put(`minders.${n}.${k}`, v);
    }
  });
  for (const [k, v] of Object.entries(doc.witness || {})) put(`witness.${k}`, v);
  put('narrative', doc.narrative);
  return pairs;
}

const samples = readdirSync(REPO_DIR + 'tests/samples').filter((f) => f.endsWith('.json'));

for (const f of samples) {
  test(`the form mapping rebuilds the sample ${f} exactly`, () => {
    const doc = JSON.parse(readFileSync(REPO_DIR + 'tests/samples/' + f, 'utf8'));
    // A form cannot say "an empty list of minders": that is the same as no minders.
    if (Array.isArray(doc.minders) && doc.minders.length === 0) delete doc.minders;
    const rebuilt = tipFromPairs(pairsOf(doc), doc.language);
    assert.deepEqual(rebuilt, doc);
    assert.equal(JSON.stringify(Object.keys(rebuilt)), JSON.stringify(Object.keys(doc)));
    assert.ok(hasContent(rebuilt));
  });
}

test('empty fields are omitted, numbers are numbers, yes/no are booleans, codes are upper-cased', () => {
  const doc = tipFromPairs([
    ['worksite.name', '  '], ['worksite.country', 'ru'], ['workers.count', '40'],
    ['workers.passports_held_by_others', 'yes'], ['workers.movement_restricted', ''],
    ['minders.0.name_or_alias', ''], ['minders.0.role', ''],
    ['minders.1.role', 'team_leader'], ['minders.1.actions', 'collects_wages'], ['minders.1.actions', 'monitors_phones'],
    ['minders.2.description', ''], ['witness.may_contact', 'no'], ['narrative', 'line one\nline two\u0007'],
  ], 'ko');
  assert.deepEqual(doc, {
    schema: 'tipseal/tip/v1', language: 'ko',
    worksite: { country: 'RU' },
    workers: { count: 40, passports_held_by_others: true },
    minders: [{ role: 'team_leader', actions: ['collects_wages', 'monitors_phones'] }],
    witness: { may_contact: false },
    narrative: 'line one\nline two',
  });
});

test('minders added by JavaScript beyond the three blocks are kept in order', () => {
  const doc = tipFromPairs([['minders.10.name_or_alias', 'J'], ['minders.3.name_or_alias', 'C']], 'en');
  assert.deepEqual(doc.minders, [{ name_or_alias: 'C' }, { name_or_alias: 'J' }]);
});

test('values the schema would refuse are caught before sealing, naming the field', () => {
  const bad = [
    [['workers.hours_per_day', '25'], 'err_number'],
    [['workers.count', '-1'], 'err_number'],
    [['workers.count', '3.5'], 'err_number'],
    [['worksite.country', 'Russia'], 'err_country'],
    [['worksite.observed_from', '2024-13'], 'err_date'],
    [['worksite.observed_to', '2023-02-29'], 'err_date'],
    [['worksite.sector', 'spaceflight'], 'err_field'],
    [['minders.0.actions', 'sings'], 'err_field'],
    [['worksite.name', 'x'.repeat(2001)], 'err_too_long'],
  ];
  for (const [pair, key] of bad) {
    assert.throws(() => tipFromPairs([pair], 'en'), (e) => e instanceof FieldError && e.key === key && e.field === pair[0], pair[0]);
  }
  assert.equal(tipFromPairs([['worksite.observed_to', '2024-02-29']], 'en').worksite.observed_to, '2024-02-29');
});

test('a report with only the language (or only the witness part) has no content', () => {
  assert.equal(hasContent(tipFromPairs([], 'en')), false);
  assert.equal(hasContent(tipFromPairs([['witness.relation', 'worker']], 'en')), false);
  assert.equal(hasContent(tipFromPairs([['narrative', 'x']], 'en')), true);
});

test('file names and media types are made safe for the schema', () => {
  assert.equal(safeFileName('C:\\Users\\kim\\IMG 2024.jpg'), 'IMG 2024.jpg');
  assert.equal(safeFileName('../..'), 'attachment');
  assert.equal(safeFileName('a\u0001b.png'), 'a_b.png');
  assert.ok(new TextEncoder().encode(safeFileName('가'.repeat(200))).length <= 255);
  assert.equal(safeMediaType('image/jpeg'), 'image/jpeg');
  assert.equal(safeMediaType('text/plain; charset=utf-8'), 'text/plain');
  assert.equal(safeMediaType(''), 'application/octet-stream');
  assert.equal(safeMediaType('weird type/x y'), 'application/octet-stream');
});

test('the bundle plan puts inline parts first and large envelopes through uploads', () => {
  const MiB = 1048576;
  const sizes = [5 * MiB, 1000, 2 * MiB, 50000, 900000];
  const plan = planParts(sizes, envelopeLengthFor, 16 * MiB, 16553);
  assert.deepEqual(plan, [
    { index: 1, upload: false }, { index: 3, upload: false },
    { index: 0, upload: true }, { index: 2, upload: true }, { index: 4, upload: true },
  ]);
  assert.ok(envelopeLengthFor(900000) > INLINE_LIMIT);
  // a small body cap sends even small envelopes through uploads
  const tight = planParts([1000, 1000], envelopeLengthFor, 40000, 16553);
  assert.deepEqual(tight, [{ index: 0, upload: false }, { index: 1, upload: true }]);
});

// A fake uploads API that drops the connection once in the middle (after storing the
// chunk, so the client cannot know whether it arrived) and once before storing.
function fakeServer() {
  const uploads = new Map();
  const log = [];
  let drops = 0;
  const reply = (status, body, headers = {}) => ({
    status, ok: status < 300,
    headers: { get: (h) => headers[h] ?? null },
    json: async () => body,
  });
  const fetchFn = async (url, init) => {
    const method = init.method;
    log.push(`${method} ${url}${init.headers?.['Upload-Offset'] !== undefined ? ' @' + init.headers['Upload-Offset'] : ''}`);
    if (method === 'POST' && url === '/api/v1/uploads') {
      const { length } = JSON.parse(init.body);
      const id = String(uploads.size + 1).padStart(32, '0');
      uploads.set(id, { length, data: new Uint8Array(length), offset: 0 });
      return reply(201, { id, chunk_size: 1048576 });
    }
    const m = /^\/api\/v1\/uploads\/([0-9a-f]{32})$/.exec(url);
    if (m) {
      const u = uploads.get(m[1]);
      if (method === 'GET') return reply(200, { offset: u.offset, length: u.length });
      if (method === 'PATCH') {
        const off = Number(init.headers['Upload-Offset']);
        if (off !== u.offset) return reply(409, { offset: u.offset });
        if (u.offset === 2 * 1048576 && drops === 0) { drops++; throw new TypeError('NetworkError (before storing)'); }
        u.data.set(init.body, off);
        u.offset += init.body.length;
        if (u.offset === 3 * 1048576 && drops === 1) { drops++; throw new TypeError('NetworkError (after storing)'); }
        return reply(204, null, { 'Upload-Offset': String(u.offset) });
      }
    }
    if (method === 'POST' && url === '/api/v1/tips') {
      log.push(`  Idempotency-Key=${init.headers['Idempotency-Key']} Tipseal-Uploads=${init.headers['Tipseal-Uploads'] ?? ''}`);
      return reply(201, { id: 'abcdef0123456789abcdef0123456789', received: '2026-11-23' });
    }
    return reply(404, null);
  };
  return { fetchFn, uploads, log };
}

test('a chunked upload interrupted twice resumes where the server is, never restarts', async () => {
  const { sodium } = await loadSodium();
  const E = withSodium(sodium);
  const pk = sodium.crypto_box_keypair().publicKey;
  const plain = new Uint8Array(4 * 1048576 + 123);
  crypto.getRandomValues(plain.subarray(0, 65536));
  const env = E.seal(plain, KIND_ATTACHMENT, 0, 1, pk);
  const server = fakeServer();
  const seen = [];
  const state = {};
  const id = await uploadEnvelope(server.fetchFn, env, state, (o) => seen.push(o), { retries: 5 });
  const u = server.uploads.get(id);
  assert.equal(u.offset, env.length);
  assert.deepEqual(Buffer.from(u.data), Buffer.from(env));
  // exactly one POST /uploads (no restart), two GETs to find the resume point
  assert.equal(server.log.filter((l) => l.startsWith('POST /api/v1/uploads')).length, 1);
  assert.equal(server.log.filter((l) => l.startsWith('GET ')).length, 2);
  // no chunk was sent twice from offset 0
  assert.equal(server.log.filter((l) => l.endsWith(' @0')).length, 1);
  assert.ok(seen.every((o, i) => i === 0 || o >= seen[i - 1] || o === seen[i - 1]));
  assert.equal(seen.at(-1), env.length);

  const r = await postTip(server.fetchFn, new Uint8Array([1]), 'k'.repeat(32), [id, 'x'.repeat(32)]);
  assert.equal(r.id, 'abcdef0123456789abcdef0123456789');
  assert.ok(server.log.some((l) => l.includes(`Tipseal-Uploads=${id},${'x'.repeat(32)}`)));
});

test('a refused tip is not retried; a network error is retried with the same Idempotency-Key', async () => {
  let calls = 0;
  const keys = [];
  const flaky = async (_url, init) => {
    calls++;
    keys.push(init.headers['Idempotency-Key']);
    if (calls === 1) throw new TypeError('NetworkError');
    return { status: 201, ok: true, headers: { get: () => null }, json: async () => ({ id: 'i', received: 'd' }) };
  };
  assert.deepEqual(await postTip(flaky, new Uint8Array(1), 'same-key', []), { id: 'i', received: 'd' });
  assert.deepEqual(keys, ['same-key', 'same-key']);
  let n = 0;
  const refusing = async () => { n++; return { status: 400, ok: false, headers: { get: () => null }, json: async () => ({ error: 'x' }) }; };
  await assert.rejects(postTip(refusing, new Uint8Array(1), 'k', []));
  assert.equal(n, 1);
});

test('a 429 is waited out for its Retry-After, then the same tip is sent again with the same Idempotency-Key', async () => {
  const keys = [];
  const waits = [];
  const told = [];
  const busyThenOk = async (_url, init) => {
    keys.push(init.headers['Idempotency-Key']);
    if (keys.length <= 2) {
      return { status: 429, ok: false, headers: { get: (h) => (h === 'Retry-After' ? '3' : null) }, json: async () => ({ code: 'rate_limited' }) };
    }
    return { status: 201, ok: true, headers: { get: () => null }, json: async () => ({ id: 'i', received: 'd' }) };
  };
  const r = await postTip(busyThenOk, new Uint8Array(1), 'same-key', [], {
    onBusy: (s) => told.push(s), sleepFn: async (ms) => { waits.push(ms); },
  });
  assert.deepEqual(r, { id: 'i', received: 'd' });
  assert.deepEqual(keys, ['same-key', 'same-key', 'same-key']);
  assert.deepEqual(waits, [3000, 3000], 'waited what Retry-After said');
  assert.deepEqual(told, [3, 3], 'the page was told how long, each time');

  // Bounded: a server that keeps refusing is given up on, with the 429.
  let n = 0;
  const alwaysBusy = async () => { n++; return { status: 429, ok: false, headers: { get: () => '99999' }, json: async () => null }; };
  const slept = [];
  await assert.rejects(
    postTip(alwaysBusy, new Uint8Array(1), 'k', [], { busyRetries: 3, sleepFn: async (ms) => { slept.push(ms); } }),
    (e) => e.status === 429,
  );
  assert.equal(n, 4, 'three waits, four tries');
  assert.deepEqual(slept, [30000, 30000, 30000], 'a huge Retry-After is capped');
});

test('Retry-After is read as whole seconds, bounded, with a fallback', () => {
  const h = (v) => ({ get: () => v });
  assert.equal(retryAfterSeconds(h('5'), 2, 30), 5);
  assert.equal(retryAfterSeconds(h('0'), 2, 30), 1);
  assert.equal(retryAfterSeconds(h('600'), 2, 30), 30);
  assert.equal(retryAfterSeconds(h('Wed, 21 Oct 2015 07:28:00 GMT'), 4, 30), 4);
  assert.equal(retryAfterSeconds(h(null), 4, 30), 4);
  assert.equal(retryAfterSeconds(undefined, 64, 30), 30);
});

test('a JS-sealed bundle has the tip first, then attachments, one epoch', async () => {
  const { sodium } = await loadSodium();
  const E = withSodium(sodium);
  const pk = sodium.crypto_box_keypair().publicKey;
  const tip = E.seal(new TextEncoder().encode('{}'), 1, 0, 2, pk);
  const att = E.seal(new Uint8Array(10), KIND_ATTACHMENT, 0, 2, pk);
  assert.equal(parseBundle(E.encodeBundle([tip, att])).length, 2);
});
