// The page's check before sealing (web/static/tipcheck.js) against the schema generated
// from the Rust types: every shared sample passes, the documents the server once
// accepted and the reviewer's client could not open fail, with the field named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { REPO_DIR } from './sodium-node.mjs';
import { checkSealedTip } from '../static/tipcheck.js';

const wrap = (tip, more = {}) => ({ format: 'tipseal/sealed-tip/v1', tip, ...more });
const fields = (sealed) => checkSealedTip(sealed).map((p) => p.field);
const base = () => ({ schema: 'tipseal/tip/v1', narrative: 'The minder took our passports.' });
const file = (part) => ({ part, name: 'site.jpg', media_type: 'image/jpeg', size: 3, blake2b: 'ab'.repeat(32) });

for (const f of readdirSync(REPO_DIR + 'tests/samples').filter((n) => n.endsWith('.json'))) {
  test(`the sample ${f} may be sealed, with attachments and a reply address`, () => {
    const doc = JSON.parse(readFileSync(REPO_DIR + 'tests/samples/' + f, 'utf8'));
    assert.deepEqual(checkSealedTip(wrap(doc)), []);
    assert.deepEqual(checkSealedTip(wrap(doc, { attachments: [file(1), file(2)], reply_to: { box_pk: 'A'.repeat(43) } })), []);
  });
}

test('the five documents the server once accepted are refused, naming the field', () => {
  assert.deepEqual(fields(wrap({ ...base(), mood: 'calm' })), ['tip.mood']);
  assert.deepEqual(fields(wrap({ ...base(), worksite: { sector: 'spaceflight' } })), ['tip.worksite.sector']);
  assert.deepEqual(fields(wrap({ ...base(), workers: { passports_held_by_others: 'yes' } })), ['tip.workers.passports_held_by_others']);
  assert.deepEqual(fields(wrap(base(), { attachments: null })), ['attachments']);
  // A byte-order mark is not JSON: the document never becomes an object to check.
  assert.throws(() => JSON.parse('\uFEFF' + JSON.stringify(wrap(base()))), SyntaxError);
});

test('the rules the Rust parser applies are the page\'s too', () => {
  const bad = {
    'tip.worksite.country': { worksite: { country: 'kp' } },
    'tip.worksite.observed_from': { worksite: { observed_from: '2023-02-29' } },
    'tip.worksite.observed_to': { worksite: { observed_to: '2024-13' } },
    'tip.workers.hours_per_day': { workers: { hours_per_day: 25 } },
    'tip.workers.count': { workers: { count: 1.5 } },
    'tip.language': { language: 'Korean' },
    'tip.narrative': { narrative: 'bell\u0007' },
    'tip.minders[0].actions[0]': { minders: [{ actions: ['boss'] }] },
    'tip.worksite.coordinates.lat': { worksite: { coordinates: { lat: 91, lon: 0 } } },
  };
  for (const [field, change] of Object.entries(bad)) {
    assert.deepEqual(fields(wrap({ ...base(), ...change })), [field], field);
  }
  const good = [{ worksite: { observed_from: '2024-02-29' } }, { narrative: 'line\r\nbreak\ttab' }, { language: 'zh-Hans' }, { workers: { count: null } }];
  for (const change of good) assert.deepEqual(checkSealedTip(wrap({ ...base(), ...change })), [], JSON.stringify(change));
  assert.deepEqual(fields(wrap(base(), { attachments: [file(2)] })), ['attachments[0].part']);
  assert.deepEqual(fields(wrap(base(), { attachments: [{ ...file(1), name: '..' }] })), ['attachments[0].name']);
  assert.deepEqual(fields(wrap(base(), { reply_to: { box_pk: 'short' } })), ['reply_to.box_pk']);
  assert.deepEqual(fields(wrap({ schema: 'tipseal/tip/v1', narrative: '  ' })), ['tip']);
  assert.deepEqual(checkSealedTip(wrap({ schema: 'tipseal/tip/v1' }, { attachments: [file(1)] })), []);
  assert.deepEqual(fields(wrap({ narrative: 'x' })), ['tip.schema']);
});
