// tipseal formats in JavaScript: envelope v1, bundles, keyring chain verification.
// The one JS implementation of docs/envelope.md and the keyring section of
// docs/architecture.md. Pure functions over Uint8Array; the caller hands in a ready
// libsodium-wrappers object, so this module loads unchanged in a browser and in node.
//
// Must never: seal to a key from a keyring whose chain did not verify against the pinned
// admins; reveal which check failed when opening (after the structure parsed).

export const MAGIC = [0x54, 0x53, 0x45, 0x56]; // "TSEV"
export const BUNDLE_MAGIC = [0x54, 0x53, 0x42, 0x4e]; // "TSBN"
export const VERSION = 1;
export const KIND_TIP = 1;
export const KIND_ATTACHMENT = 2;
export const KIND_FOLLOWUP = 3; // a witness's message after the tip (docs/followup.md)
export const KIND_REPLY = 4; // a reviewer's reply
const KINDS = [KIND_TIP, KIND_ATTACHMENT, KIND_FOLLOWUP, KIND_REPLY];
export const FLAG_SEALED_BY_SERVER = 1;
export const HEADER_LEN = 68;
export const WRAP_LEN = 84;
export const PREFIX_LEN = HEADER_LEN + WRAP_LEN; // 152
export const CHUNK_LEN = 65536;
export const ABYTES = 17;
export const MAX_PARTS = 33;
export const BUCKETS = [
  16384, 65536, 262144, 1048576, 2097152, 4194304, 8388608, 16777216, 33554432, 67108864,
];
export const MAX_PLAINTEXT = BUCKETS[BUCKETS.length - 1] - 1;

const enc = new TextEncoder();
const COMMITMENT_MESSAGE = enc.encode('tipseal/envelope/v1 key commitment');
const KEYRING_SIG_PREFIX = enc.encode('tipseal/keyring/v1\0');
const MANIFEST_HASH_PREFIX = enc.encode('tipseal/manifest-hash/v1\0');
const KEY_ID_PREFIX = enc.encode('tipseal/key-id/v1');

/** A structural problem: the reason is readable and holds no secret. */
export class FormatError extends Error {
  constructor(msg) { super(msg); this.name = 'FormatError'; }
}
/** Anything that went wrong after the structure parsed: one opaque answer. */
export class DecryptionFailed extends Error {
  constructor() { super('decryption failed'); this.name = 'DecryptionFailed'; }
}
/** The keyring did not verify. `code` is one of malformed, bad_signature, broken_chain, unpinned_admin, expired. */
export class KeyringError extends Error {
  constructor(code, msg) { super(msg); this.name = 'KeyringError'; this.code = code; }
}

/** The bucket for a plaintext of `len` bytes: the smallest bucket >= len + 1. */
export function bucketFor(len) {
  if (!Number.isInteger(len) || len < 0 || len > MAX_PLAINTEXT) {
    throw new FormatError('the plaintext is larger than 64 MiB - 1 bytes');
  }
  return BUCKETS.find((b) => b >= len + 1);
}
export function chunkCount(bucket) { return Math.ceil(bucket / CHUNK_LEN); }
/** Exact envelope length for a bucket: 152 + bucket + 17 * chunks. */
export function envelopeLength(bucket) { return PREFIX_LEN + bucket + ABYTES * chunkCount(bucket); }
/** Envelope length for a plaintext of `len` bytes. */
export function envelopeLengthFor(len) { return envelopeLength(bucketFor(len)); }

function u32be(b, off) {
  return ((b[off] << 24) >>> 0) + (b[off + 1] << 16) + (b[off + 2] << 8) + b[off + 3];
}
function putU32be(b, off, n) {
  b[off] = (n >>> 24) & 0xff; b[off + 1] = (n >>> 16) & 0xff;
  b[off + 2] = (n >>> 8) & 0xff; b[off + 3] = n & 0xff;
}
function concat(parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
const yieldToUi = () => new Promise((r) => setTimeout(r, 0));

/**
 * Parses an envelope's structure (no crypto), in the order of docs/envelope.md §3.1.
 * Returns { kind, flags, bucket, epoch, commitment, streamHeader, headerBytes, sealedKey, body }.
 */
export function parseEnvelope(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('an envelope is a Uint8Array');
  if (bytes.length < PREFIX_LEN) throw new FormatError('too short for the header and wrap section');
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw new FormatError('wrong magic bytes');
  if (bytes[4] !== VERSION) throw new FormatError('unsupported version');
  const kind = bytes[5];
  if (!KINDS.includes(kind)) throw new FormatError('unknown kind');
  const flags = bytes[6];
  if (flags & ~FLAG_SEALED_BY_SERVER) throw new FormatError('unknown flag bits are set');
  if (bytes[7] !== 0) throw new FormatError('the reserved byte is not zero');
  const bucket = u32be(bytes, 8);
  if (!BUCKETS.includes(bucket)) throw new FormatError('the size bucket is not an allowed size');
  const epoch = u32be(bytes, HEADER_LEN);
  if (epoch === 0) throw new FormatError('the key epoch is zero');
  if (bytes.length !== envelopeLength(bucket)) {
    throw new FormatError('length does not match the bucket (truncated or trailing bytes)');
  }
  return {
    kind, flags, bucket, epoch,
    commitment: bytes.subarray(12, 44),
    streamHeader: bytes.subarray(44, HEADER_LEN),
    headerBytes: bytes.subarray(0, HEADER_LEN),
    sealedKey: bytes.subarray(HEADER_LEN + 4, PREFIX_LEN),
    body: bytes.subarray(PREFIX_LEN),
  };
}

/**
 * Parses a bundle's framing and every part's structure. Returns the parts (subarrays).
 * `firstKind`: the kind part 0 must have (a tip; a follow-up or reply in a conversation).
 */
export function parseBundle(bytes, firstKind = KIND_TIP) {
  if (bytes.length < 6) throw new FormatError('too short');
  for (let i = 0; i < 4; i++) if (bytes[i] !== BUNDLE_MAGIC[i]) throw new FormatError('wrong magic bytes');
  if (bytes[4] !== VERSION) throw new FormatError('unsupported version');
  const count = bytes[5];
  if (count < 1 || count > MAX_PARTS) throw new FormatError('the part count must be 1 to 33');
  let off = 6;
  const parts = [];
  let first = null;
  for (let i = 0; i < count; i++) {
    if (bytes.length - off < 4) throw new FormatError('truncated part length');
    const len = u32be(bytes, off);
    off += 4;
    if (len > bytes.length - off) throw new FormatError('a part is longer than the rest of the bundle');
    const part = bytes.subarray(off, off + len);
    off += len;
    const env = parseEnvelope(part);
    const expected = i === 0 ? firstKind : KIND_ATTACHMENT;
    if (env.kind !== expected) {
      throw new FormatError(i === 0 ? (firstKind === KIND_TIP ? 'the first part must be a tip' : 'the first part has the wrong kind')
        : 'every part after the first must be an attachment');
    }
    if (first) {
      if (env.epoch !== first.epoch) throw new FormatError('the parts carry different key epochs');
      if (env.flags !== first.flags) throw new FormatError('the parts carry different flags');
    } else {
      first = env;
    }
    parts.push(part);
  }
  if (off !== bytes.length) throw new FormatError('trailing bytes after the last part');
  return parts;
}

/** Frames envelopes as a bundle: "TSBN" 01 N, then (u32 length, envelope) N times. */
export function encodeBundle(envelopes) {
  if (envelopes.length < 1 || envelopes.length > MAX_PARTS) {
    throw new FormatError('the part count must be 1 to 33');
  }
  const head = new Uint8Array(6);
  head.set(BUNDLE_MAGIC, 0);
  head[4] = VERSION;
  head[5] = envelopes.length;
  const pieces = [head];
  for (const e of envelopes) {
    const len = new Uint8Array(4);
    putU32be(len, 0, e.length);
    pieces.push(len, e);
  }
  return concat(pieces);
}

function b64urlDecode(sodium, s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) return null;
  try {
    return sodium.from_base64(s, sodium.base64_variants.URLSAFE_NO_PADDING);
  } catch (_) {
    return null;
  }
}

/**
 * Binds the format functions to a ready libsodium-wrappers object (`await sodium.ready`).
 */
export function withSodium(sodium) {
  const SS = {
    keygen: () => sodium.crypto_secretstream_xchacha20poly1305_keygen(),
    initPush: (k) => sodium.crypto_secretstream_xchacha20poly1305_init_push(k),
    push: (st, m, ad, tag) => sodium.crypto_secretstream_xchacha20poly1305_push(st, m, ad, tag),
    initPull: (h, k) => sodium.crypto_secretstream_xchacha20poly1305_init_pull(h, k),
    pull: (st, c, ad) => sodium.crypto_secretstream_xchacha20poly1305_pull(st, c, ad),
    MESSAGE: sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
    FINAL: sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL,
  };

  const hash32 = (...parts) => {
    const st = sodium.crypto_generichash_init(null, 32);
    for (const p of parts) sodium.crypto_generichash_update(st, p);
    return sodium.crypto_generichash_final(st, 32);
  };

  /** Hex BLAKE2b-256 of `bytes`, hashed in 1 MiB slices (large files never sit whole in the wasm heap). */
  function blake2bHex(bytes) {
    const st = sodium.crypto_generichash_init(null, 32);
    for (let o = 0; o < bytes.length; o += 1 << 20) {
      sodium.crypto_generichash_update(st, bytes.subarray(o, Math.min(bytes.length, o + (1 << 20))));
    }
    return sodium.to_hex(sodium.crypto_generichash_final(st, 32));
  }

  function checkSealArgs(plaintext, kind, flags, epoch, intakePk) {
    if (!(plaintext instanceof Uint8Array)) throw new TypeError('the plaintext is a Uint8Array');
    if (!KINDS.includes(kind)) throw new FormatError('unknown kind');
    if (!Number.isInteger(flags) || (flags & ~FLAG_SEALED_BY_SERVER) !== 0) throw new FormatError('unknown flag bits are set');
    if (!Number.isInteger(epoch) || epoch < 1 || epoch > 0xffffffff) throw new FormatError('the key epoch must be 1 or more');
    if (!(intakePk instanceof Uint8Array) || intakePk.length !== 32) throw new TypeError('the intake public key is 32 bytes');
  }

  // The sealing steps of docs/envelope.md §2, as a generator so that the async variant
  // can yield to the page between chunks. Yields the number of chunks done.
  function* sealSteps(plaintext, kind, flags, epoch, intakePk, out) {
    checkSealArgs(plaintext, kind, flags, epoch, intakePk);
    const bucket = bucketFor(plaintext.length);
    const n = chunkCount(bucket);
    // 1-2. Pad: plaintext || 0x80 || 0x00… to exactly `bucket` bytes (sodium_pad).
    const padded = new Uint8Array(bucket);
    padded.set(plaintext, 0);
    padded[plaintext.length] = 0x80;
    // 3. Fresh content key.
    const key = SS.keygen();
    try {
      // 4. Key commitment.
      const commitment = sodium.crypto_generichash(32, COMMITMENT_MESSAGE, key);
      // 5. Stream header, immutable header, associated data.
      const { state, header: streamHeader } = SS.initPush(key);
      const env = new Uint8Array(envelopeLength(bucket));
      env.set(MAGIC, 0);
      env[4] = VERSION; env[5] = kind; env[6] = flags; env[7] = 0;
      putU32be(env, 8, bucket);
      env.set(commitment, 12);
      env.set(streamHeader, 44);
      const ad = hash32(env.subarray(0, HEADER_LEN));
      // 6. Chunks: MESSAGE … FINAL.
      let o = PREFIX_LEN;
      for (let i = 0; i < n; i++) {
        const slice = padded.subarray(i * CHUNK_LEN, Math.min(bucket, (i + 1) * CHUNK_LEN));
        const c = SS.push(state, slice, ad, i === n - 1 ? SS.FINAL : SS.MESSAGE);
        env.set(c, o);
        o += c.length;
        yield i + 1;
      }
      if (o !== env.length) throw new Error('internal error: envelope length');
      // 7. Wrap: epoch || crypto_box_seal(content_key, intake_pk).
      putU32be(env, HEADER_LEN, epoch);
      const sealed = sodium.crypto_box_seal(key, intakePk);
      if (sealed.length !== 80) throw new Error('internal error: sealed key length');
      env.set(sealed, HEADER_LEN + 4);
      out.envelope = env;
    } finally {
      sodium.memzero(key);
      padded.fill(0);
    }
  }

  /** Seals `plaintext` into an envelope v1 (Uint8Array), synchronously. */
  function seal(plaintext, kind, flags, epoch, intakePk) {
    const out = {};
    for (const _ of sealSteps(plaintext, kind, flags, epoch, intakePk, out)) { /* run */ }
    return out.envelope;
  }

  /**
   * Same as `seal`, yielding to the event loop every 16 chunks (1 MiB) so the page stays
   * responsive; `onProgress(done, total)` counts chunks.
   */
  async function sealAsync(plaintext, kind, flags, epoch, intakePk, onProgress) {
    const out = {};
    const total = chunkCount(bucketFor(plaintext.length));
    for (const done of sealSteps(plaintext, kind, flags, epoch, intakePk, out)) {
      if (done % 16 === 0) {
        if (onProgress) onProgress(done, total);
        await yieldToUi();
      }
    }
    if (onProgress) onProgress(total, total);
    return out.envelope;
  }

  /**
   * Opens an envelope with an intake secret key (32 bytes). Structure errors throw
   * FormatError with a readable reason; everything after that throws DecryptionFailed.
   * Returns { kind, flags, epoch, plaintext }.
   */
  function open(bytes, intakeSk) {
    const env = parseEnvelope(bytes);
    let key = null;
    let padded = null;
    try {
      // 2. Sealed key.
      const pk = sodium.crypto_scalarmult_base(intakeSk);
      try {
        key = sodium.crypto_box_seal_open(env.sealedKey, pk, intakeSk);
      } catch (_) { throw new DecryptionFailed(); }
      if (!key || key.length !== 32) throw new DecryptionFailed();
      // 3. Key commitment, constant time.
      const c = sodium.crypto_generichash(32, COMMITMENT_MESSAGE, key);
      if (!sodium.memcmp(c, env.commitment.slice())) throw new DecryptionFailed();
      // 4. Chunks and tags.
      const ad = hash32(env.headerBytes);
      let st;
      try { st = SS.initPull(env.streamHeader.slice(), key); } catch (_) { throw new DecryptionFailed(); }
      const n = chunkCount(env.bucket);
      padded = new Uint8Array(env.bucket);
      let o = 0;
      let p = 0;
      for (let i = 0; i < n; i++) {
        const plen = Math.min(CHUNK_LEN, env.bucket - i * CHUNK_LEN);
        const chunk = env.body.subarray(o, o + plen + ABYTES);
        o += plen + ABYTES;
        let r;
        try { r = SS.pull(st, chunk, ad); } catch (_) { throw new DecryptionFailed(); }
        if (!r || r.message.length !== plen) throw new DecryptionFailed();
        if (r.tag !== (i === n - 1 ? SS.FINAL : SS.MESSAGE)) throw new DecryptionFailed();
        padded.set(r.message, p);
        r.message.fill(0);
        p += plen;
      }
      // 5. Padding: the last non-zero byte must be a single 0x80.
      let end = padded.length - 1;
      while (end >= 0 && padded[end] === 0) end--;
      if (end < 0 || padded[end] !== 0x80) throw new DecryptionFailed();
      return { kind: env.kind, flags: env.flags, epoch: env.epoch, plaintext: padded.slice(0, end) };
    } catch (e) {
      if (e instanceof DecryptionFailed) throw e;
      throw new DecryptionFailed();
    } finally {
      if (key) sodium.memzero(key);
      if (padded) padded.fill(0);
    }
  }

  /** Key id of a person: first 16 bytes of BLAKE2b-256("tipseal/key-id/v1" || sign_pk || box_pk), hex. */
  function keyId(signPk, boxPk) {
    return sodium.to_hex(hash32(KEY_ID_PREFIX, signPk, boxPk).subarray(0, 16));
  }

  /** BLAKE2b-256("tipseal/manifest-hash/v1\0" || body), hex. */
  function manifestHash(body) {
    return sodium.to_hex(hash32(MANIFEST_HASH_PREFIX, body));
  }

  function people(list, what) {
    if (!Array.isArray(list)) throw new KeyringError('malformed', `the ${what} are not a list`);
    return list.map((p) => {
      const signPk = b64urlDecode(sodium, p && p.sign_pk);
      const boxPk = b64urlDecode(sodium, p && p.box_pk);
      if (!signPk || signPk.length !== 32 || !boxPk || boxPk.length !== 32) {
        throw new KeyringError('malformed', 'a listed person\'s keys are not 32 base64url bytes');
      }
      const id = keyId(signPk, boxPk);
      if (typeof p.id !== 'string' || p.id.toLowerCase() !== id) {
        throw new KeyringError('malformed', 'a listed person\'s keys do not match their key id');
      }
      return { id, signPk, boxPk };
    });
  }

  /**
   * The quorum rule of crypto::quorum: at least `needed` distinct `signers` signed
   * `body`. Signatures by anyone else, malformed ones and repeats do not count.
   */
  function verifySigned(signed, body, signers, needed = 1) {
    const msg = concat([KEYRING_SIG_PREFIX, body]);
    const sigs = Array.isArray(signed.signatures) ? signed.signatures : [];
    const valid = new Set();
    for (const s of sigs) {
      const who = signers.find((k) => typeof s?.key_id === 'string' && k.id === s.key_id.toLowerCase());
      if (!who || valid.has(who.id)) continue;
      const sig = b64urlDecode(sodium, s.signature);
      if (!sig || sig.length !== 64) continue;
      let ok = false;
      try { ok = sodium.crypto_sign_verify_detached(sig, msg, who.signPk); } catch (_) { ok = false; }
      if (ok) valid.add(who.id);
    }
    if (valid.size === 0) throw new KeyringError('bad_signature', 'a manifest is not signed by an admin of the manifest before it');
    if (valid.size < needed) throw new KeyringError('quorum_not_met', `a manifest carries ${valid.size} of the ${needed} admin signatures needed`);
  }

  /** A manifest's threshold: absent means 1; otherwise 1 to 16 and at most its admin count. */
  function thresholdOf(m) {
    if (m.threshold === undefined || m.threshold === null) return 1;
    const k = m.threshold;
    if (!Number.isInteger(k) || k < 1 || k > 16 || !Array.isArray(m.admins) || k > m.admins.length) {
      throw new KeyringError('malformed', 'a manifest threshold is not 1 to its number of admins');
    }
    return k;
  }

  function parseBody(body) {
    let m;
    try { m = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)); } catch (_) {
      throw new KeyringError('malformed', 'a manifest body is not JSON');
    }
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw new KeyringError('malformed', 'a manifest body is not an object');
    return m;
  }

  /**
   * Verifies a keyring file (parsed JSON object, JSON text or bytes) against the page's
   * pinned admin signing keys (array of base64url strings, or one comma-separated string).
   * Every genesis admin must be one of the pinned keys. Returns
   * { epoch, intakePk, manifest, hashes }, where intakePk is the current epoch's key.
   * Reads no clock: expiry is the caller's decision (`manifest.expires`).
   */
  function verifyKeyring(file, pinnedAdminKeys) {
    if (typeof file === 'string') {
      try { file = JSON.parse(file); } catch (_) { throw new KeyringError('malformed', 'the keyring is not JSON'); }
    } else if (file instanceof Uint8Array) {
      try { file = JSON.parse(new TextDecoder().decode(file)); } catch (_) { throw new KeyringError('malformed', 'the keyring is not JSON'); }
    }
    const pinnedList = (typeof pinnedAdminKeys === 'string' ? pinnedAdminKeys.split(',') : pinnedAdminKeys || [])
      .map((s) => String(s).trim()).filter((s) => s.length > 0);
    const pinned = pinnedList.map((s) => b64urlDecode(sodium, s));
    if (pinned.length === 0 || pinned.some((k) => !k || k.length !== 32)) {
      throw new KeyringError('unpinned_admin', 'the page carries no valid pinned admin key');
    }
    if (!file || file.format !== 'tipseal/keyring/v1' || !Array.isArray(file.manifests) || file.manifests.length === 0) {
      throw new KeyringError('malformed', 'not a tipseal/keyring/v1 file with manifests');
    }
    let signers = null;
    let needed = 1;
    const hashes = [];
    let manifest = null;
    let intakePk = null;
    file.manifests.forEach((signed, i) => {
      const body = b64urlDecode(sodium, signed && signed.body);
      if (!body) throw new KeyringError('malformed', 'a manifest body is not base64url');
      let m;
      if (i === 0) {
        // Genesis is self-signed: read its admins to know who may sign it.
        m = parseBody(body);
        const own = people(m.admins, 'admins');
        if (own.length === 0) throw new KeyringError('malformed', 'the first manifest lists no admin');
        verifySigned(signed, body, own, thresholdOf(m));
        // The trust-anchor rule of crypto::keyring::check_anchor: the genesis admins are
        // exactly the pinned keys, and each of them signed it.
        const allPinned = own.every((a) => pinned.some((p) => sodium.memcmp(p, a.signPk)))
          && pinned.every((p) => own.some((a) => sodium.memcmp(p, a.signPk)));
        const signedByEach = allPinned && own.every((a) => {
          try { verifySigned(signed, body, [a]); return true; } catch (_) { return false; }
        });
        if (!signedByEach) throw new KeyringError('unpinned_admin', 'the keyring is not signed by every admin key this page trusts');
      } else {
        verifySigned(signed, body, signers, needed);
        m = parseBody(body);
      }
      const expectedPrev = i === 0 ? null : hashes[i - 1];
      if (m.epoch !== i + 1 || (m.prev ?? null) !== expectedPrev) {
        throw new KeyringError('broken_chain', 'the manifests do not form an unbroken chain');
      }
      signers = people(m.admins, 'admins');
      needed = thresholdOf(m);
      const reviewers = people(m.reviewers ?? [], 'reviewers');
      const pk = b64urlDecode(sodium, m.intake_pk);
      if (!pk || pk.length !== 32) throw new KeyringError('malformed', 'an intake public key is not 32 base64url bytes');
      for (const g of m.grants ?? []) {
        const sealed = b64urlDecode(sodium, g && g.sealed_secret);
        if (!sealed || sealed.length !== 80) throw new KeyringError('malformed', 'a grant is not a sealed 32-byte key');
        if (!reviewers.some((r) => typeof g.reviewer === 'string' && r.id === g.reviewer.toLowerCase())) {
          throw new KeyringError('malformed', 'a grant names someone who is not a reviewer');
        }
      }
      hashes.push(manifestHash(body));
      manifest = m;
      intakePk = pk;
    });
    return { epoch: manifest.epoch, intakePk, manifest, hashes };
  }

  /**
   * Refuses (KeyringError 'expired') a verified keyring whose current manifest expired
   * before `today` ('YYYY-MM-DD', UTC; default: this device's clock), as
   * crypto::keyring::check_fresh does. The page remembers nothing between visits, so
   * this and the pins are all it can check.
   */
  function checkFresh(verified, today) {
    const day = today || new Date().toISOString().slice(0, 10);
    const expires = verified && verified.manifest && verified.manifest.expires;
    if (typeof expires !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(expires)) {
      throw new KeyringError('malformed', 'the current manifest has no valid expiry day');
    }
    if (expires < day) throw new KeyringError('expired', 'the keyring has expired');
    return verified;
  }

  return {
    seal, sealAsync, open, blake2bHex, keyId, manifestHash, verifyKeyring, checkFresh,
    parseEnvelope, parseBundle, encodeBundle, bucketFor, envelopeLengthFor,
  };
}
