// Receipts in the browser (docs/followup.md): 128 random bits kept as twelve BIP39
// words, and the reply (X25519) and mailbox (Ed25519) keys derived from them. Mirrors
// src/crypto/receipt.rs and src/domain/receipt.rs byte for byte; the test vector of
// docs/followup.md is checked in web/test/receipt.test.mjs.
//
// Must never: put the words, the entropy or a derived key in a URL, a cookie, a storage
// API or a log; name a mistyped word in an error (errors give its position only).

export const ENTROPY_LEN = 16;
export const WORDS = 12;
export const LIST_LEN = 2048;

/** Every list, in the order typed words are tried against them (as in Rust). */
export const LISTS = [
  'english', 'korean', 'chinese_simplified', 'chinese_traditional', 'japanese',
  'spanish', 'french', 'italian', 'czech', 'portuguese',
];

const enc = new TextEncoder();
const MASTER_DOMAIN = enc.encode('tipseal/receipt/v1\0');
const MAILBOX_AUTH_DOMAIN = enc.encode('tipseal/mailbox-auth/v1\0');

/** Why typed words are not a receipt. `code`: word_count | unknown_word | checksum. */
export class ReceiptError extends Error {
  constructor(code, position = 0, count = 0) {
    super(code === 'unknown_word' ? `word ${position} is not a receipt word`
      : code === 'word_count' ? `a receipt is 12 words; this one has ${count}` : 'the checksum does not match');
    this.name = 'ReceiptError';
    this.code = code;
    this.position = position;
    this.count = count;
  }
}

/** The list to show a witness whose page language is `lang`: their script where BIP39 has one. */
export function listForLanguage(lang) {
  const tag = String(lang || '').toLowerCase();
  const primary = tag.split(/[-_]/)[0];
  if (primary === 'ko') return 'korean';
  if (primary === 'zh') return /hant|-tw$|-hk$/.test(tag) ? 'chinese_traditional' : 'chinese_simplified';
  const own = { ja: 'japanese', es: 'spanish', fr: 'french', it: 'italian', cs: 'czech', pt: 'portuguese' }[primary];
  return own || 'english';
}

/**
 * Folds a word for matching: trimmed, lower-cased, Latin accents dropped, Hangul and
 * kana composed (the BIP39 files are NFKD; people type NFC).
 */
export function fold(word) {
  return String(word).trim().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').normalize('NFC').toLowerCase();
}

/** A word list from its file text (one word a line): { words (as shown), index (fold → i) }. */
export function parseList(text) {
  const lines = String(text).split('\n').filter((l) => l.length > 0);
  if (lines.length !== LIST_LEN) throw new Error(`a word list has ${LIST_LEN} words, not ${lines.length}`);
  const words = lines.map((w) => w.normalize('NFC'));
  const index = new Map(lines.map((w, i) => [fold(w), i]));
  if (index.size !== LIST_LEN) throw new Error('two words of a list fold together');
  return { words, index };
}

/** Twelve 11-bit indices: 128 bits of entropy, then the checksum's high nibble. */
export function pack(entropy, checksumNibble) {
  const bits = new Uint8Array(ENTROPY_LEN + 1);
  bits.set(entropy, 0);
  bits[ENTROPY_LEN] = checksumNibble & 0xf0;
  const out = [];
  for (let w = 0; w < WORDS; w++) {
    let v = 0;
    for (let b = 0; b < 11; b++) {
      const bit = w * 11 + b;
      v = (v << 1) | ((bits[bit >> 3] >> (7 - (bit & 7))) & 1);
    }
    out.push(v);
  }
  bits.fill(0);
  return out;
}

/** The inverse of `pack`: { entropy, checksum } (checksum in the high nibble). */
export function unpack(indices) {
  const bits = new Uint8Array(ENTROPY_LEN + 1);
  indices.forEach((ix, w) => {
    for (let b = 0; b < 11; b++) {
      if ((ix >> (10 - b)) & 1) {
        const bit = w * 11 + b;
        bits[bit >> 3] |= 1 << (7 - (bit & 7));
      }
    }
  });
  const entropy = bits.slice(0, ENTROPY_LEN);
  const checksum = bits[ENTROPY_LEN];
  bits.fill(0);
  return { entropy, checksum };
}

/** Splits typed text into words: any white space; twelve Chinese characters may touch. */
export function tokens(text) {
  let t = String(text).split(/\s+/u).filter((s) => s.length > 0);
  if (t.length === 1 && [...t[0]].length === WORDS) t = [...t[0]];
  return t;
}

/**
 * Binds the receipt functions to a ready libsodium-wrappers(-sumo) object.
 * `lists` maps list names to `parseList` results (the ones the caller loaded).
 */
export function withReceipt(sodium) {
  const checksumNibble = (entropy) => sodium.crypto_hash_sha256(entropy)[0] & 0xf0;

  /** 16 fresh random bytes. */
  function generate() {
    return sodium.randombytes_buf(ENTROPY_LEN);
  }

  /** The twelve words of `entropy` in `list` (a parseList result), single-space separated. */
  function toWords(entropy, list, name) {
    const sep = name === 'japanese' ? '\u3000' : ' ';
    return pack(entropy, checksumNibble(entropy)).map((i) => list.words[i]).join(sep);
  }

  /**
   * Reads typed words under any loaded list (the first, in LISTS order, under which all
   * twelve are known and the checksum holds). Returns the entropy; throws ReceiptError.
   */
  function fromWords(text, lists) {
    const t = tokens(text);
    if (t.length !== WORDS) throw new ReceiptError('word_count', 0, t.length);
    const folded = t.map(fold);
    let anyComplete = false;
    let best = null; // [known, position]
    for (const name of LISTS) {
      const list = lists[name];
      if (!list) continue;
      const indices = [];
      let firstUnknown = -1;
      let known = 0;
      folded.forEach((w, i) => {
        const ix = list.index.get(w);
        if (ix === undefined) { if (firstUnknown < 0) firstUnknown = i; } else { known++; }
        indices.push(ix === undefined ? 0 : ix);
      });
      if (firstUnknown < 0) {
        anyComplete = true;
        const { entropy, checksum } = unpack(indices);
        if (checksumNibble(entropy) === checksum) return entropy;
        entropy.fill(0);
      } else if (!best || known > best[0]) {
        best = [known, firstUnknown];
      }
    }
    if (!anyComplete) throw new ReceiptError('unknown_word', best ? best[1] + 1 : 1);
    throw new ReceiptError('checksum');
  }

  /**
   * The keys of a receipt: { replyPk, replySk (X25519), mailboxPk, mailboxSk (Ed25519) }.
   */
  function deriveKeys(entropy) {
    const input = new Uint8Array(MASTER_DOMAIN.length + ENTROPY_LEN);
    input.set(MASTER_DOMAIN, 0);
    input.set(entropy, MASTER_DOMAIN.length);
    const master = sodium.crypto_generichash(32, input);
    input.fill(0);
    const replySeed = sodium.crypto_kdf_derive_from_key(32, 1, 'tsreply1', master);
    const mboxSeed = sodium.crypto_kdf_derive_from_key(32, 2, 'tsmailb1', master);
    const box = sodium.crypto_box_seed_keypair(replySeed);
    const sign = sodium.crypto_sign_seed_keypair(mboxSeed);
    sodium.memzero(master);
    sodium.memzero(replySeed);
    sodium.memzero(mboxSeed);
    return { replyPk: box.publicKey, replySk: box.privateKey, mailboxPk: sign.publicKey, mailboxSk: sign.privateKey };
  }

  /** Forgets a key set's secrets. */
  function forget(keys) {
    if (keys && keys.replySk) sodium.memzero(keys.replySk);
    if (keys && keys.mailboxSk) sodium.memzero(keys.mailboxSk);
  }

  /** Ed25519 over "tipseal/mailbox-auth/v1\0" || challenge (32 bytes). */
  function signLogin(keys, challenge) {
    const msg = new Uint8Array(MAILBOX_AUTH_DOMAIN.length + challenge.length);
    msg.set(MAILBOX_AUTH_DOMAIN, 0);
    msg.set(challenge, MAILBOX_AUTH_DOMAIN.length);
    return sodium.crypto_sign_detached(msg, keys.mailboxSk);
  }

  const b64 = (bytes) => sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING);

  return { generate, toWords, fromWords, deriveKeys, forget, signLogin, b64 };
}

/** Fetches and parses word lists from the server (same origin, never cached). */
export async function loadLists(fetchFn, names) {
  const out = {};
  await Promise.all(names.map(async (name) => {
    const res = await fetchFn(`/static/wordlists/${name}.txt`, { credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
    if (!res.ok) throw new Error(`word list ${name}: HTTP ${res.status}`);
    out[name] = parseList(await res.text());
  }));
  return out;
}

/**
 * Shows receipt words (as `toWords` gives them) in `ol`, one `<li>` a word: the list is
 * left to right and numbered by its CSS markers, which copying leaves out.
 */
export function showWords(ol, text) {
  ol.textContent = '';
  for (const w of String(text).split(/[\s\u3000]+/u).filter((s) => s.length > 0)) {
    const li = ol.ownerDocument.createElement('li');
    li.textContent = w;
    ol.append(li);
  }
}
