// Keyring chain verification in envelope.js, against a keyring made by the tipseal binary
// (fixtures/keyring.json: `admin init`, `admin add-reviewer`, `admin rotate`; epoch 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadSodium } from './sodium-node.mjs';
import { withSodium, KeyringError } from '../static/envelope.js';

const { sodium } = await loadSodium();
const E = withSodium(sodium);
const FIX = new URL('./fixtures/', import.meta.url);
const keyringText = readFileSync(new URL('keyring.json', FIX), 'utf8');
const admin = JSON.parse(readFileSync(new URL('admin.pub', FIX), 'utf8'));
const reviewer = JSON.parse(readFileSync(new URL('reviewer.pub', FIX), 'utf8'));
const fresh = () => JSON.parse(keyringText);
const b64 = (bytes) => sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING);
const unb64 = (s) => sodium.from_base64(s, sodium.base64_variants.URLSAFE_NO_PADDING);
const body = (kr, i) => JSON.parse(new TextDecoder().decode(unb64(kr.manifests[i].body)));
const refuses = (fn, code) => assert.throws(fn, (e) => e instanceof KeyringError && e.code === code);

test('accepts the keyring the tipseal binary made, rooted in the pinned admin', () => {
  const r = E.verifyKeyring(fresh(), admin.sign_pk);
  assert.equal(r.epoch, 3);
  assert.equal(r.hashes.length, 3);
  assert.equal(b64(r.intakePk), body(fresh(), 2).intake_pk);
  assert.equal(r.manifest.reviewers[0].id, reviewer.id);
  // also as text, as bytes, and comma-separated; a pin beyond the genesis admins is
  // refused (the pins must be exactly the genesis admins, as in crypto::keyring)
  const other = b64(sodium.crypto_sign_keypair().publicKey);
  assert.equal(E.verifyKeyring(keyringText, ` ${admin.sign_pk} `).epoch, 3);
  refuses(() => E.verifyKeyring(keyringText, `${other},${admin.sign_pk}`), 'unpinned_admin');
  assert.equal(E.verifyKeyring(new TextEncoder().encode(keyringText), [admin.sign_pk]).epoch, 3);
});

test('key ids are computed as the Rust side does', () => {
  assert.equal(E.keyId(unb64(admin.sign_pk), unb64(admin.box_pk)), admin.id);
  assert.equal(E.keyId(unb64(reviewer.sign_pk), unb64(reviewer.box_pk)), reviewer.id);
});

test('refuses a keyring not rooted in the pinned admin key', () => {
  const stranger = b64(sodium.crypto_sign_keypair().publicKey);
  refuses(() => E.verifyKeyring(fresh(), stranger), 'unpinned_admin');
  refuses(() => E.verifyKeyring(fresh(), ''), 'unpinned_admin');
  refuses(() => E.verifyKeyring(fresh(), 'not base64!'), 'unpinned_admin');
});

test('refuses a tampered manifest body (intake key swapped)', () => {
  const kr = fresh();
  const m = body(kr, 2);
  m.intake_pk = b64(sodium.crypto_box_keypair().publicKey);
  kr.manifests[2].body = b64(new TextEncoder().encode(JSON.stringify(m)));
  refuses(() => E.verifyKeyring(kr, admin.sign_pk), 'bad_signature');
});

test('refuses a flipped bit in the genesis body and in a signature', () => {
  const kr = fresh();
  const raw = unb64(kr.manifests[0].body);
  raw[raw.length - 3] ^= 1;
  kr.manifests[0].body = b64(raw);
  assert.throws(() => E.verifyKeyring(kr, admin.sign_pk), KeyringError);
  const kr2 = fresh();
  const sig = unb64(kr2.manifests[1].signatures[0].signature);
  sig[0] ^= 1;
  kr2.manifests[1].signatures[0].signature = b64(sig);
  refuses(() => E.verifyKeyring(kr2, admin.sign_pk), 'bad_signature');
});

test('refuses a chain with a manifest removed or reordered', () => {
  const kr = fresh();
  kr.manifests.splice(1, 1);
  assert.throws(() => E.verifyKeyring(kr, admin.sign_pk), KeyringError);
  const kr2 = fresh();
  [kr2.manifests[1], kr2.manifests[2]] = [kr2.manifests[2], kr2.manifests[1]];
  refuses(() => E.verifyKeyring(kr2, admin.sign_pk), 'broken_chain');
});

test('refuses a later epoch signed by someone who is not an admin of the epoch before', () => {
  // An attacker with their own key rewrites epoch 3 and signs it themselves.
  const kr = fresh();
  const kp = sodium.crypto_sign_keypair();
  const m = body(kr, 2);
  m.intake_pk = b64(sodium.crypto_box_keypair().publicKey);
  const bytes = new TextEncoder().encode(JSON.stringify(m));
  const msg = new Uint8Array([...new TextEncoder().encode('tipseal/keyring/v1\0'), ...bytes]);
  const box = sodium.crypto_box_keypair().publicKey;
  kr.manifests[2] = {
    body: b64(bytes),
    signatures: [{ key_id: E.keyId(kp.publicKey, box), signature: b64(sodium.crypto_sign_detached(msg, kp.privateKey)) }],
  };
  refuses(() => E.verifyKeyring(kr, admin.sign_pk), 'bad_signature');
});

test('refuses a self-made genesis with a pinned-looking name but another key', () => {
  const kp = sodium.crypto_sign_keypair();
  const box = sodium.crypto_box_keypair().publicKey;
  const id = E.keyId(kp.publicKey, box);
  const m = { epoch: 1, prev: null, issued: '2026-01-01', expires: '2027-01-01',
    admins: [{ id, name: admin.name, sign_pk: b64(kp.publicKey), box_pk: b64(box) }],
    reviewers: [], intake_pk: b64(sodium.crypto_box_keypair().publicKey), grants: [] };
  const bytes = new TextEncoder().encode(JSON.stringify(m));
  const msg = new Uint8Array([...new TextEncoder().encode('tipseal/keyring/v1\0'), ...bytes]);
  const kr = { format: 'tipseal/keyring/v1', manifests: [{ body: b64(bytes), signatures: [{ key_id: id, signature: b64(sodium.crypto_sign_detached(msg, kp.privateKey)) }] }] };
  // It verifies against its own key (the format is right) …
  assert.equal(E.verifyKeyring(kr, b64(kp.publicKey)).epoch, 1);
  // … and is refused against the page's pinned admin.
  refuses(() => E.verifyKeyring(kr, admin.sign_pk), 'unpinned_admin');
});

test('refuses malformed files', () => {
  refuses(() => E.verifyKeyring('not json', admin.sign_pk), 'malformed');
  refuses(() => E.verifyKeyring({ format: 'other', manifests: [] }, admin.sign_pk), 'malformed');
  refuses(() => E.verifyKeyring({ format: 'tipseal/keyring/v1', manifests: [] }, admin.sign_pk), 'malformed');
  const kr = fresh();
  kr.manifests[0].body = '***';
  refuses(() => E.verifyKeyring(kr, admin.sign_pk), 'malformed');
});

// The shared trust-anchor vectors, made by the Rust code (tests/vectors/keyring/, see
// tests/vectors/README.md) and checked by tests/keyring_vectors.rs too: the page's rule
// must give every case the same outcome as crypto::keyring::verify_chain + check_fresh.
for (const file of ['trust-anchor.json', 'quorum.json']) test(`gives every shared vector of ${file} the outcome the Rust code gives it`, () => {
  const vectors = JSON.parse(readFileSync(new URL(`../../tests/vectors/keyring/${file}`, import.meta.url), 'utf8'));
  assert.equal(vectors.format, 'tipseal/keyring-vectors/v1');
  assert.ok(vectors.cases.length >= 10);
  for (const c of vectors.cases) {
    let got = 'accept';
    try {
      E.checkFresh(E.verifyKeyring(c.keyring, c.pins.map((p) => p.sign_pk)), c.today);
    } catch (e) {
      if (!(e instanceof KeyringError)) throw e;
      got = e.code;
    }
    assert.equal(got, c.expect, c.name);
  }
});
