// The vendored libsodium is the standard build (web/vendor-libsodium.sh), not sumo: every
// `sodium.NAME` the page's scripts use must exist in it, or a page would fail only when
// a witness reaches that code path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { loadSodium, STATIC_DIR } from './sodium-node.mjs';

const { sodium } = await loadSodium();

test('every sodium function the page calls is in the vendored standard build', () => {
  const used = new Set();
  for (const f of readdirSync(STATIC_DIR).filter((n) => n.endsWith('.js') && n !== 'sodium.js')) {
    for (const m of readFileSync(STATIC_DIR + f, 'utf8').matchAll(/\bsodium\.(?!js\b)([A-Za-z_][A-Za-z0-9_]*)/g)) used.add(m[1]);
  }
  assert.ok(used.has('crypto_box_seal') && used.has('crypto_sign_verify_detached'), 'the scan finds the page\'s calls');
  const missing = [...used].filter((n) => sodium[n] === undefined);
  assert.deepEqual(missing, [], `missing from web/static/sodium.js: ${missing.join(', ')}`);
});

test('the bundle is the standard build: no password hashing (sumo only) is shipped', () => {
  assert.equal(sodium.crypto_pwhash, undefined);
  assert.equal(sodium.crypto_hash_sha256, undefined, 'receipt.js carries its own SHA-256');
});
