// Seals a known tip and attachments with envelope.js for tests/js_interop.rs:
//   node web/test/seal-for-rust.mjs OUT_DIR
// writes OUT_DIR/bundle.tsbn (tip + small attachment, inline), OUT_DIR/upload.tsev (a
// multi-chunk attachment, as it would go through the uploads API), and the plaintexts
// (tip.json, part1.bin, part2.bin). Everything is sealed to the TEST-ONLY intake key of
// tests/vectors/, epoch 1. Without OUT_DIR (as under `node --test`) it does nothing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSodium, REPO_DIR } from './sodium-node.mjs';
import { withSodium, KIND_TIP, KIND_ATTACHMENT } from '../static/envelope.js';
import { tipFromPairs } from '../static/app.js';

const out = process.argv[2];
if (out) {
  const { sodium } = await loadSodium();
  const E = withSodium(sodium);
  const sk = sodium.from_hex(readFileSync(join(REPO_DIR, 'tests/vectors/TEST-ONLY-intake-secret.hex'), 'utf8').trim());
  const pk = sodium.crypto_scalarmult_base(sk);

  // The tip as the page builds it from its form.
  const tip = tipFromPairs([
    ['worksite.name', '항만 주거단지 3공구 건설현장'], ['worksite.sector', 'construction'],
    ['worksite.country', 'ru'], ['worksite.city', '블라디보스토크'], ['worksite.observed_from', '2024-03'],
    ['workers.count', '40'], ['workers.nationality', 'KP'], ['workers.hours_per_day', '16'],
    ['workers.passports_held_by_others', 'yes'], ['workers.movement_restricted', 'yes'],
    ['minders.0.name_or_alias', '김 반장'], ['minders.0.role', 'security_agent'],
    ['minders.0.actions', 'confiscates_passports'], ['minders.0.actions', 'collects_wages'],
    ['minders.1.name_or_alias', ''], ['witness.relation', 'co_worker'], ['witness.may_contact', 'no'],
    ['narrative', '노동자들은 아침 7시부터 밤 11시까지 일한다.\n한 달에 하루만 쉰다.'],
  ], 'ko');

  const small = new TextEncoder().encode('a small attachment, inline in the bundle\n');
  const big = new Uint8Array(1536 * 1024 + 7); // 1.5 MiB: bucket 2 MiB, 32 chunks
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 11)) & 0xff;

  const sealedTip = {
    format: 'tipseal/sealed-tip/v1',
    tip,
    attachments: [
      { part: 1, name: 'note.txt', media_type: 'text/plain', size: small.length, blake2b: E.blake2bHex(small) },
      { part: 2, name: '현장 사진.jpg', media_type: 'image/jpeg', size: big.length, blake2b: E.blake2bHex(big) },
    ],
  };
  const tipJson = new TextEncoder().encode(JSON.stringify(sealedTip));

  const tipEnv = E.seal(tipJson, KIND_TIP, 0, 1, pk);
  const smallEnv = E.seal(small, KIND_ATTACHMENT, 0, 1, pk);
  const bigEnv = await E.sealAsync(big, KIND_ATTACHMENT, 0, 1, pk);

  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'bundle.tsbn'), E.encodeBundle([tipEnv, smallEnv]));
  writeFileSync(join(out, 'upload.tsev'), bigEnv);
  writeFileSync(join(out, 'full-bundle.tsbn'), E.encodeBundle([tipEnv, smallEnv, bigEnv]));
  writeFileSync(join(out, 'tip.json'), tipJson);
  writeFileSync(join(out, 'part1.bin'), small);
  writeFileSync(join(out, 'part2.bin'), big);
  console.log(`sealed ${tipJson.length} + ${small.length} + ${big.length} bytes into ${out}`);
}
