// envelope.js against the Rust-made vectors in tests/vectors/, and JS round trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadSodium, REPO_DIR } from './sodium-node.mjs';
import {
  withSodium, parseEnvelope, parseBundle, encodeBundle, bucketFor, envelopeLengthFor,
  FormatError, DecryptionFailed, KIND_TIP, KIND_ATTACHMENT, FLAG_SEALED_BY_SERVER, BUCKETS,
} from '../static/envelope.js';

const { sodium, stats } = await loadSodium();
const E = withSodium(sodium);
const VEC = REPO_DIR + 'tests/vectors/';
const vec = (name) => new Uint8Array(readFileSync(VEC + name));
const SK = sodium.from_hex(readFileSync(VEC + 'TEST-ONLY-intake-secret.hex', 'utf8').trim());
const PK = sodium.crypto_scalarmult_base(SK);

test('the vendored libsodium runs its WebAssembly build (no eval fallback needed)', () => {
  assert.ok(stats.wasmInstantiated >= 1);
  assert.equal(typeof sodium.crypto_secretstream_xchacha20poly1305_init_push, 'function');
});

test('the TEST-ONLY intake key matches docs/envelope.md', () => {
  assert.equal(sodium.to_hex(PK), 'cc20916d8c8370b777ddbd0f9adeb28c6f93cbe1bf96934ce7b2154d08cc4934');
});

for (const name of ['good-tip', 'good-attachment-small', 'good-attachment-multichunk']) {
  test(`opens the Rust vector ${name}.tsev`, () => {
    const r = E.open(vec(`${name}.tsev`), SK);
    assert.deepEqual(Buffer.from(r.plaintext), Buffer.from(vec(`${name}.plaintext`)));
    assert.equal(r.kind, name === 'good-tip' ? KIND_TIP : KIND_ATTACHMENT);
    assert.equal(r.flags, 0);
    assert.equal(r.epoch, 1);
  });
}

test('the worked example: commitment and associated data', () => {
  const env = vec('good-tip.tsev');
  const ck = sodium.from_hex('200eb3501a7d62c169b3759698871c3ea44e21b54439e8ade1bd7b513eeb2d40');
  const c = sodium.crypto_generichash(32, new TextEncoder().encode('tipseal/envelope/v1 key commitment'), ck);
  assert.equal(sodium.to_hex(c), sodium.to_hex(env.subarray(12, 44)));
  assert.equal(sodium.to_hex(sodium.crypto_generichash(32, env.subarray(0, 68))),
    '830b98cab7afed806b9b89417707e482f873ba62fb0f2a267c27105c11d583e5');
});

const STRUCTURE = {
  'bad-magic': 'wrong magic bytes',
  'unsupported-version': 'unsupported version',
  'unknown-kind': 'unknown kind',
  'unknown-flag-bits': 'unknown flag bits are set',
  'reserved-nonzero': 'the reserved byte is not zero',
  'bad-bucket': 'the size bucket is not an allowed size',
  'epoch-zero': 'the key epoch is zero',
  truncated: 'length does not match the bucket (truncated or trailing bytes)',
  'trailing-bytes': 'length does not match the bucket (truncated or trailing bytes)',
};
for (const [name, reason] of Object.entries(STRUCTURE)) {
  test(`refuses ${name}.tsev with a readable reason`, () => {
    assert.throws(() => E.open(vec(`${name}.tsev`), SK), (e) => e instanceof FormatError && e.message === reason);
  });
}

for (const name of ['bad-commitment', 'swapped-wrap', 'flipped-body-bit', 'no-final', 'last-chunk-push', 'bad-padding']) {
  test(`refuses ${name}.tsev with the one opaque answer`, () => {
    parseEnvelope(vec(`${name}.tsev`)); // well-formed
    assert.throws(() => E.open(vec(`${name}.tsev`), SK), (e) => e instanceof DecryptionFailed && e.message === 'decryption failed');
  });
}

test('multi-chunk defects derived from the good vector are refused', () => {
  const good = vec('good-attachment-multichunk.tsev');
  const C = 65536 + 17;
  const swapped = good.slice();
  swapped.set(good.subarray(152, 152 + C), 152 + C);
  swapped.set(good.subarray(152 + C, 152 + 2 * C), 152);
  assert.throws(() => E.open(swapped, SK), DecryptionFailed);
  const wrongKey = sodium.crypto_box_keypair().privateKey;
  assert.throws(() => E.open(good, wrongKey), DecryptionFailed);
});

test('bundles: the good one parses into envelopes that open, the bad ones are refused', () => {
  const parts = parseBundle(vec('good-bundle.tsbn'));
  assert.equal(parts.length, 2);
  assert.deepEqual(Buffer.from(E.open(parts[0], SK).plaintext), Buffer.from(vec('good-tip.plaintext')));
  assert.deepEqual(Buffer.from(E.open(parts[1], SK).plaintext), Buffer.from(vec('good-attachment-small.plaintext')));
  // encode(parse(x)) == x
  assert.deepEqual(Buffer.from(encodeBundle(parts)), Buffer.from(vec('good-bundle.tsbn')));
  const bad = {
    'bundle-attachment-first': 'the first part must be a tip',
    'bundle-mixed-epochs': 'the parts carry different key epochs',
    'bundle-trailing-bytes': 'trailing bytes after the last part',
    'bundle-bad-magic': 'wrong magic bytes',
  };
  for (const [name, reason] of Object.entries(bad)) {
    assert.throws(() => parseBundle(vec(`${name}.tsbn`)), (e) => e instanceof FormatError && e.message === reason, name);
  }
});

test('bucket boundaries follow the table in docs/envelope.md', () => {
  assert.equal(bucketFor(0), 16384);
  assert.equal(bucketFor(16383), 16384);
  assert.equal(bucketFor(16384), 65536);
  assert.equal(bucketFor(65535), 65536);
  assert.equal(bucketFor(65536), 262144);
  assert.equal(bucketFor(67108863), 67108864);
  assert.throws(() => bucketFor(67108864), FormatError);
  assert.equal(envelopeLengthFor(0), 16553);
  assert.equal(envelopeLengthFor(16384), 65705);
  assert.equal(envelopeLengthFor(65536), 262364);
  assert.equal(envelopeLengthFor(67108863), 67126424);
});

const rand = (n) => {
  const b = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) crypto.getRandomValues(b.subarray(o, Math.min(n, o + 65536)));
  return b;
};

for (const len of [0, 1, 16383, 16384, 65535, 65536, 65537, 262143, 262144, 1048575, 1048576]) {
  test(`seal -> open round trip, ${len} bytes`, () => {
    const pt = rand(len);
    if (len > 0) pt[len - 1] = 0x80; // a plaintext may end with the padding marker
    const env = E.seal(pt, KIND_ATTACHMENT, 0, 7, PK);
    assert.equal(env.length, envelopeLengthFor(len));
    const p = parseEnvelope(env);
    assert.equal(p.bucket, bucketFor(len));
    assert.equal(p.epoch, 7);
    const r = E.open(env, SK);
    assert.equal(r.epoch, 7);
    assert.deepEqual(Buffer.from(r.plaintext), Buffer.from(pt));
  });
}

test('a plaintext ending in zeros survives padding', () => {
  const pt = new Uint8Array([1, 2, 0, 0, 0]);
  assert.deepEqual([...E.open(E.seal(pt, KIND_TIP, 0, 1, PK), SK).plaintext], [1, 2, 0, 0, 0]);
});

test('sealAsync gives the same format and reports progress', async () => {
  const pt = rand(300000);
  const seen = [];
  const env = await E.sealAsync(pt, KIND_ATTACHMENT, FLAG_SEALED_BY_SERVER, 2, PK, (d, t) => seen.push([d, t]));
  assert.deepEqual(seen.at(-1), [16, 16]); // 300000 bytes -> bucket 1 MiB -> 16 chunks
  const r = E.open(env, SK);
  assert.equal(r.flags, FLAG_SEALED_BY_SERVER);
  assert.deepEqual(Buffer.from(r.plaintext), Buffer.from(pt));
});

test('every envelope gets a fresh content key and stream header', () => {
  const pt = new TextEncoder().encode('same');
  const a = E.seal(pt, KIND_TIP, 0, 1, PK);
  const b = E.seal(pt, KIND_TIP, 0, 1, PK);
  assert.notDeepEqual(Buffer.from(a.subarray(12, 68)), Buffer.from(b.subarray(12, 68)));
});

test('seal refuses bad arguments', () => {
  const pt = new Uint8Array(1);
  assert.throws(() => E.seal(pt, 0xff, 0, 1, PK), FormatError);
  assert.throws(() => E.seal(pt, KIND_TIP, 2, 1, PK), FormatError);
  assert.throws(() => E.seal(pt, KIND_TIP, 0, 0, PK), FormatError);
  assert.throws(() => E.seal(pt, KIND_TIP, 0, 1, new Uint8Array(31)), TypeError);
});

test('JS bundles of JS envelopes parse, and every part opens', () => {
  const tip = E.seal(new TextEncoder().encode('{"x":1}'), KIND_TIP, 0, 3, PK);
  const att = E.seal(rand(70000), KIND_ATTACHMENT, 0, 3, PK);
  const parts = parseBundle(encodeBundle([tip, att]));
  assert.equal(parts.length, 2);
  assert.equal(E.open(parts[1], SK).plaintext.length, 70000);
  const other = E.seal(rand(10), KIND_ATTACHMENT, 0, 4, PK);
  assert.throws(() => parseBundle(encodeBundle([tip, other])), /different key epochs/);
  assert.equal(BUCKETS.length, 10);
});
