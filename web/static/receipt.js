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

const SHA256_K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/**
 * SHA-256 (FIPS 180-4) of `bytes`, for the BIP39 checksum only: the page's libsodium is
 * the standard build, which has no crypto_hash_sha256, and WebCrypto's digest is async
 * and missing outside secure contexts. Checked against node's crypto in receipt.test.mjs.
 */
export function sha256(bytes) {
  const len = bytes.length;
  const padded = new Uint8Array(Math.ceil((len + 9) / 64) * 64);
  padded.set(bytes, 0);
  padded[len] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(len / 0x20000000), false);
  view.setUint32(padded.length - 4, (len * 8) >>> 0, false);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4, false);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + SHA256_K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      k = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  h.forEach((x, i) => ov.setUint32(i * 4, x, false));
  padded.fill(0);
  w.fill(0);
  return out;
}

/**
 * Binds the receipt functions to a ready libsodium-wrappers object.
 * `lists` maps list names to `parseList` results (the ones the caller loaded).
 */
export function withReceipt(sodium) {
  const checksumNibble = (entropy) => sha256(entropy)[0] & 0xf0;

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

/** The lists whose words are written in each script (every word of a list in one). */
const SCRIPT_LISTS = [
  [/[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]/u, ['korean']],
  [/[\u3040-\u30ff]/u, ['japanese']],
  [/[\u3400-\u4dbf\u4e00-\u9fff]/u, ['chinese_simplified', 'chinese_traditional']],
  [/^[a-z]+$/u, ['english', 'spanish', 'french', 'italian', 'czech', 'portuguese']],
];

/**
 * The lists typed words could be from, by the script of the first word (in LISTS order):
 * a list in another script cannot hold any of them, so reading the words under these
 * lists alone gives what reading them under all ten does. The mailbox page loads only
 * these. Anything unrecognised gets every list.
 */
export function listsForWords(text) {
  const first = tokens(text)[0];
  if (first === undefined) return [...LISTS];
  const w = fold(first);
  for (const [re, names] of SCRIPT_LISTS) if (re.test(w)) return names;
  return [...LISTS];
}

/**
 * Fetches and parses word lists from the server (same origin, never cached), in
 * parallel. `into`: lists already loaded, kept and not fetched again.
 */
export async function loadLists(fetchFn, names, into = {}) {
  const out = into;
  names = names.filter((n) => !out[n]);
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
