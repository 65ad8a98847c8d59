// receipt.js against docs/followup.md: the test vector, words ↔ entropy, checksum and
// unknown-word errors, and the same receipt in Hangul and English words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { loadSodium, REPO_DIR } from './sodium-node.mjs';
import {
  withReceipt, parseList, LISTS, ReceiptError, listForLanguage, pack, unpack, fold, sha256, listsForWords,
} from '../static/receipt.js';

const { sodium } = await loadSodium();
const R = withReceipt(sodium);
const lists = Object.fromEntries(LISTS.map((n) => [n, parseList(readFileSync(`${REPO_DIR}data/wordlists/${n}.txt`, 'utf8'))]));
const hex = (b) => sodium.to_hex(b);

test('the docs/followup.md vector: all-zero entropy derives the documented keys', () => {
  const words = `${'abandon '.repeat(11)}about`;
  const entropy = R.fromWords(words, lists);
  assert.equal(hex(entropy), '00'.repeat(16));
  assert.equal(R.toWords(entropy, lists.english, 'english'), words);
  const master = sodium.crypto_generichash(32, new Uint8Array([...new TextEncoder().encode('tipseal/receipt/v1\0'), ...entropy]));
  assert.equal(hex(master), '6348bd89acc52b79a4a5aa03e2bf078a8e003c15a4f770cc3433ad51cbddafd3');
  assert.equal(hex(sodium.crypto_kdf_derive_from_key(32, 1, 'tsreply1', master)), '4c9edfeac6a3f575adcea9c69c92ac61ccdbdd54cf74d73c0f9387d687637960');
  assert.equal(hex(sodium.crypto_kdf_derive_from_key(32, 2, 'tsmailb1', master)), '6d086b2cd16dcc94d9a9625b40ae896b6546f71c2e4e19ea4b9105793d230054');
  const k = R.deriveKeys(entropy);
  assert.equal(R.b64(k.replyPk), 'TQBYJpym7BoMlD6R4OWS1VWVsPa7oyWfmgg5XYhF6Vc');
  assert.equal(R.b64(k.mailboxPk), 'gmvL9khuiLt1fc_ji1G037eZR-q-JR_NPOYeRPttEXs');
});

test('words and entropy round-trip in every list', () => {
  for (let i = 0; i < 20; i++) {
    const e = R.generate();
    assert.equal(e.length, 16);
    for (const name of LISTS) {
      const words = R.toWords(e, lists[name], name);
      assert.equal(hex(R.fromWords(words, lists)), hex(e), name);
    }
  }
  const e = sodium.randombytes_buf(16);
  const w = pack(e, 0xa0);
  assert.ok(w.every((x) => x >= 0 && x < 2048));
  const back = unpack(w);
  assert.equal(hex(back.entropy), hex(e));
  assert.equal(back.checksum, 0xa0);
});

test('spaces, newlines, case and decomposed Hangul are tolerated', () => {
  const e = R.generate();
  const en = R.toWords(e, lists.english, 'english');
  assert.equal(hex(R.fromWords(`  ${en.toUpperCase().split(' ').join('\n\n ')}\t`, lists)), hex(e));
  const ko = R.toWords(e, lists.korean, 'korean');
  assert.equal(hex(R.fromWords(ko.normalize('NFD'), lists)), hex(e));
  const zh = R.toWords(e, lists.chinese_simplified, 'chinese_simplified');
  assert.equal(hex(R.fromWords(zh.replace(/ /g, ''), lists)), hex(e), 'Chinese without spaces');
  assert.equal(fold('ÉLÈVE'), fold('eleve'));
});

test('a wrong word and a bad checksum are caught, naming the position, never the word', () => {
  const e = R.generate();
  const words = R.toWords(e, lists.english, 'english').split(' ');
  const typo = [...words];
  typo[4] = 'zzzsecret';
  assert.throws(() => R.fromWords(typo.join(' '), lists), (err) => err instanceof ReceiptError
    && err.code === 'unknown_word' && err.position === 5 && !err.message.includes('zzzsecret'));
  let caught = 0;
  for (const other of ['abandon', 'zoo', 'ability', 'able', 'about', 'absent']) {
    if (other === words[2]) continue;
    const swapped = [...words];
    swapped[2] = other;
    try { R.fromWords(swapped.join(' '), lists); } catch (err) {
      assert.ok(err instanceof ReceiptError);
      assert.equal(err.code, 'checksum');
      caught++;
    }
  }
  assert.ok(caught >= 3, 'a 4-bit checksum catches most substitutions');
  assert.throws(() => R.fromWords('abandon about', lists), (err) => err.code === 'word_count' && err.count === 2);
});

test('the Hangul and English forms of one receipt derive the same keys', () => {
  const e = R.generate();
  const ko = R.toWords(e, lists.korean, 'korean');
  assert.ok(/[\uac00-\ud7a3]/.test(ko), ko);
  const en = R.toWords(e, lists.english, 'english');
  const a = R.deriveKeys(R.fromWords(ko, lists));
  const b = R.deriveKeys(R.fromWords(en, lists));
  assert.equal(hex(a.mailboxPk), hex(b.mailboxPk));
  assert.equal(hex(a.replyPk), hex(b.replyPk));
  assert.equal(hex(a.replySk), hex(b.replySk));
  const sig = R.signLogin(a, new Uint8Array(32).fill(7));
  const msg = new Uint8Array([...new TextEncoder().encode('tipseal/mailbox-auth/v1\0'), ...new Uint8Array(32).fill(7)]);
  assert.ok(sodium.crypto_sign_verify_detached(sig, msg, b.mailboxPk));
});

test('the page language picks the witness script', () => {
  assert.equal(listForLanguage('ko'), 'korean');
  assert.equal(listForLanguage('zh'), 'chinese_simplified');
  for (const l of ['en', 'ru', 'pl', 'nl', 'ar']) assert.equal(listForLanguage(l), 'english');
});

test('showWords puts one list item a word, whatever the separator', async () => {
  const { showWords } = await import('../static/receipt.js');
  const made = [];
  const doc = { createElement: (tag) => { const el = { tag, textContent: '' }; made.push(el); return el; } };
  const ol = { ownerDocument: doc, textContent: 'old', items: [], append(li) { this.items.push(li); } };
  showWords(ol, '경력  바닷가\n저렇게\u3000강원도');
  assert.equal(ol.textContent, '', 'the old words are cleared');
  assert.deepEqual(ol.items.map((li) => [li.tag, li.textContent]), [['li', '경력'], ['li', '바닷가'], ['li', '저렇게'], ['li', '강원도']]);
});

test('the checksum hash is SHA-256: FIPS vectors and node\'s crypto agree at every length around a block', () => {
  const h = (b) => Buffer.from(sha256(b)).toString('hex');
  assert.equal(h(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(h(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  for (let n = 0; n < 200; n++) {
    const b = randomBytes(n);
    assert.equal(h(new Uint8Array(b)), createHash('sha256').update(b).digest('hex'), `length ${n}`);
  }
});

test('the script of the first word picks the lists to load, and they read a receipt as all ten do', () => {
  for (const name of LISTS) {
    for (const w of lists[name].words) {
      assert.ok(listsForWords(w).includes(name), `${name}: ${w} → ${listsForWords(w)}`);
    }
  }
  const subset = (names) => Object.fromEntries(names.map((n) => [n, lists[n]]));
  for (let i = 0; i < 10; i++) {
    const e = R.generate();
    for (const name of LISTS) {
      const words = R.toWords(e, lists[name], name);
      assert.equal(hex(R.fromWords(words, subset(listsForWords(words)))), hex(R.fromWords(words, lists)), name);
    }
  }
  assert.deepEqual(listsForWords(''), LISTS);
  assert.deepEqual(listsForWords('!!! ???'), LISTS);
  assert.deepEqual(listsForWords('  Abandon ability'), ['english', 'spanish', 'french', 'italian', 'czech', 'portuguese']);
});
