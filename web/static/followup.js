// The mailbox page (docs/followup.md), JavaScript path: the witness types the receipt
// words; this script derives the keys here, logs in to the mailbox by signing a
// challenge, opens the replies with the reply key (checking that each is addressed to
// this receipt and signed by a reviewer on the verified keyring), offers their files as
// downloads, and seals the witness's new message and files to the current epoch, with a
// copy of the message sealed to the witness's own reply key so the mailbox shows their
// whole conversation (their follow-ups and the replies, in order). Without JavaScript the same form posts to /{lang}/followup and the server does this.
//
// Must never: put the words, keys or a plaintext in a URL, a cookie, a storage API or
// the console; send the words anywhere.

import {
  withSodium, parseBundle, encodeBundle, KIND_FOLLOWUP, KIND_REPLY, KIND_ATTACHMENT, MAX_PARTS,
} from './envelope.js';
import { withReceipt, loadLists, listsForWords, listForLanguage, ReceiptError } from './receipt.js';
import { stripMetadata } from './exif.js';
import { strings, waitForSodium, markCrypto, safeFileName, safeMediaType, MAX_ATTACHMENTS } from './app.js';

const REPLY_FORMAT = 'tipseal/reply/v1';
const FOLLOWUP_FORMAT = 'tipseal/followup/v1';
const REPLY_SIG_PREFIX = new TextEncoder().encode('tipseal/reply/v1\0');
const NO_STORE = { credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };

class HttpError extends Error {
  constructor(status) { super(`HTTP ${status}`); this.status = status; }
}

/** The bytes a reviewer signs: compact JSON of format, message, reviewer, to, attachments. */
export function replySignedBytes(reply) {
  const body = {
    format: reply.format, message: reply.message, reviewer: reply.reviewer, to: reply.to,
    attachments: reply.attachments || [],
  };
  return new TextEncoder().encode(JSON.stringify(body));
}

/**
 * Every reviewer listed in a verified keyring file, newest manifest first:
 * [{ id, name, signPk, current }]. Call only after verifyKeyring accepted `file`.
 */
export function keyringReviewers(sodium, file) {
  const dec = (s) => sodium.from_base64(s, sodium.base64_variants.URLSAFE_NO_PADDING);
  const manifests = file.manifests.map((m) => JSON.parse(new TextDecoder().decode(dec(m.body))));
  const currentIds = new Set((manifests[manifests.length - 1].reviewers || []).map((r) => r.id.toLowerCase()));
  const out = [];
  for (const m of manifests.reverse()) {
    for (const r of m.reviewers || []) {
      const id = r.id.toLowerCase();
      if (!out.some((o) => o.id === id)) out.push({ id, name: r.name, signPk: dec(r.sign_pk), current: currentIds.has(id) });
    }
  }
  return out;
}

/**
 * Opens one mailbox bundle with the receipt keys. Returns
 * { message, signer: {name, current}, files: [{name, media_type, bytes}] } or null when
 * anything fails to check (wrong key, not addressed to us, bad signature, altered file).
 */
export function openReply(sodium, E, reviewers, receiptKeys, bundleBytes) {
  const b64 = (b) => sodium.to_base64(b, sodium.base64_variants.URLSAFE_NO_PADDING);
  try {
    const parts = parseBundle(bundleBytes, KIND_REPLY);
    const opened = parts.map((p) => E.open(p, receiptKeys.replySk));
    const reply = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(opened[0].plaintext));
    if (!reply || reply.format !== REPLY_FORMAT || typeof reply.message !== 'string') return null;
    if (reply.to !== b64(receiptKeys.replyPk)) return null;
    const who = reviewers.find((r) => typeof reply.reviewer === 'string' && r.id === reply.reviewer.toLowerCase());
    if (!who) return null;
    const sig = sodium.from_base64(reply.signature, sodium.base64_variants.URLSAFE_NO_PADDING);
    const signed = replySignedBytes(reply);
    const msg = new Uint8Array(REPLY_SIG_PREFIX.length + signed.length);
    msg.set(REPLY_SIG_PREFIX, 0);
    msg.set(signed, REPLY_SIG_PREFIX.length);
    if (sig.length !== 64 || !sodium.crypto_sign_verify_detached(sig, msg, who.signPk)) return null;
    const metas = reply.attachments || [];
    const files = opened.slice(1).map((o) => o.plaintext);
    if (metas.length !== files.length) return null;
    for (let i = 0; i < files.length; i++) {
      if (metas[i].size !== files[i].length || E.blake2bHex(files[i]) !== String(metas[i].blake2b).toLowerCase()) return null;
    }
    return {
      message: reply.message,
      signer: { name: who.name, current: who.current },
      files: metas.map((m, i) => ({ name: safeFileName(m.name), media_type: safeMediaType(m.media_type), bytes: files[i] })),
    };
  } catch (_) {
    return null;
  }
}

/**
 * Opens the witness's copy of one of their own follow-ups (a bundle of one follow-up
 * envelope sealed to their reply key). Returns { message, files: [{name, size}] } (the
 * files themselves were not copied) or null when it does not open or parse.
 */
export function openOwnFollowup(E, receiptKeys, bundleBytes) {
  try {
    const parts = parseBundle(bundleBytes, KIND_FOLLOWUP);
    if (parts.length !== 1) return null;
    const opened = E.open(parts[0], receiptKeys.replySk);
    const f = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(opened.plaintext));
    opened.plaintext.fill(0);
    if (!f || f.format !== FOLLOWUP_FORMAT || typeof f.message !== 'string') return null;
    const files = (Array.isArray(f.attachments) ? f.attachments : [])
      .map((a) => ({ name: safeFileName(String(a.name)), size: Number(a.size) || 0 }));
    return { message: f.message, files };
  } catch (_) {
    return null;
  }
}

/**
 * Seals a follow-up (message + files) to the keyring's current epoch as a bundle and,
 * with `ownPk` (the receipt's reply public key), appends the witness's own copy of the
 * message: one more follow-up envelope sealed to `ownPk` (docs/followup.md). A bundle
 * holds 33 parts, so with the most files (32) there is no room for the copy.
 * Throws KeyringError 'expired' when the epoch has expired.
 */
export function sealFollowup(E, keyring, message, files, ownPk) {
  E.checkFresh(keyring); // nothing is sealed to an expired epoch (the server refuses it too)
  const attachments = files.map((f, i) => ({
    part: i + 1, name: f.name, media_type: f.media_type, size: f.bytes.length, blake2b: E.blake2bHex(f.bytes),
  }));
  const json = new TextEncoder().encode(JSON.stringify({ format: FOLLOWUP_FORMAT, message, attachments }));
  const envs = [E.seal(json, KIND_FOLLOWUP, 0, keyring.epoch, keyring.intakePk)];
  for (const f of files) envs.push(E.seal(f.bytes, KIND_ATTACHMENT, 0, keyring.epoch, keyring.intakePk));
  if (ownPk && envs.length < MAX_PARTS) envs.push(E.seal(json, KIND_FOLLOWUP, 0, keyring.epoch, ownPk));
  json.fill(0);
  return encodeBundle(envs);
}

async function main() {
  const openForm = document.getElementById('open-form');
  if (!openForm) return;
  const t = strings();
  const status = document.getElementById('js-status');
  const openError = document.getElementById('open-error');
  const openButton = document.getElementById('open');
  const wordsInput = document.getElementById('words');
  const box = document.getElementById('mailbox');
  const list = document.getElementById('replies');
  const addForm = document.getElementById('add-form');
  const addError = document.getElementById('add-error');
  const send = document.getElementById('send');
  const maxBody = Number(openForm.dataset.maxBody) || 16 * 1048576;
  status.hidden = false;

  const show = (el, msg) => {
    el.textContent = '';
    const strong = document.createElement('strong');
    // Opening the mailbox sends nothing, so its failure is not headed "Not sent".
    const title = el === openError ? (t.err_title_mailbox || t.err_title) : t.err_title;
    strong.textContent = `${title || ''}. `;
    el.append(strong, document.createTextNode(msg));
    el.hidden = false;
    el.focus();
  };

  let sodium; let E; let R; let keyring; let reviewers;
  openForm.dataset.crypto = 'loading'; // hold.js stops holding presses of Open
  markCrypto('loading');
  // The keyring is fetched at once, beside libsodium; the likeliest word list (the page
  // language's) once libsodium is in (every byte beside it delays "ready"); a receipt in
  // another script loads its lists when opened.
  const keyringFile = fetch('/api/v1/keyring', NO_STORE)
    .then((res) => { if (!res.ok) throw new Error('keyring'); return res.json(); });
  const lists = {};
  const lang = document.documentElement.lang || 'en';
  let preloaded = Promise.resolve();
  const ready = (async () => {
    sodium = await waitForSodium();
    preloaded = loadLists(fetch.bind(window), [listForLanguage(lang)], lists).catch(() => {});
    E = withSodium(sodium);
    R = withReceipt(sodium);
    const file = await keyringFile;
    keyring = E.verifyKeyring(file, openForm.dataset.adminKeys || '');
    reviewers = keyringReviewers(sodium, file);
  })();
  ready.then(() => markCrypto('ready'), () => {
    markCrypto('failed');
    openButton.disabled = true;
    show(openError, t.err_keyring);
  });

  // The session: the keys live in this page's memory only, until it is closed.
  let keys = null;
  let token = null;

  async function login() {
    let res = await fetch('/api/v1/mailbox/challenge', { ...NO_STORE, method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    if (!res.ok) throw new HttpError(res.status);
    const { challenge } = await res.json();
    const c = sodium.from_base64(challenge, sodium.base64_variants.URLSAFE_NO_PADDING);
    const body = JSON.stringify({ mailbox_pk: R.b64(keys.mailboxPk), challenge, signature: R.b64(R.signLogin(keys, c)) });
    res = await fetch('/api/v1/mailbox/session', { ...NO_STORE, method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    if (!res.ok) throw new HttpError(res.status);
    token = (await res.json()).token;
  }

  // A mailbox request, logging in again once if the 5-minute idle session ended.
  async function authed(path, init = {}) {
    for (let attempt = 0; ; attempt++) {
      if (!token) await login();
      const res = await fetch(path, { ...NO_STORE, ...init, headers: { ...(init.headers || {}), Authorization: `Bearer ${token}` } });
      if (res.status === 401 && attempt === 0) { token = null; continue; }
      if (!res.ok) throw new HttpError(res.status);
      return res;
    }
  }

  // One of the witness's own follow-ups, as a list item.
  function ownItem(entry, opened) {
    const li = document.createElement('li');
    li.className = 'reply mine';
    const from = document.createElement('p');
    from.className = 'reply-from';
    from.textContent = (t.followup_you || '{date}').replace('{date}', String(entry.received));
    const msg = document.createElement('p');
    msg.className = 'reply-message';
    msg.textContent = opened.message;
    li.append(from, msg);
    if (opened.files.length) {
      const label = document.createElement('p');
      label.className = 'hint';
      label.textContent = t.followup_you_files || '';
      const ul = document.createElement('ul');
      ul.className = 'file-list';
      for (const f of opened.files) {
        const item = document.createElement('li');
        item.textContent = `${f.name} (${f.size} B)`;
        ul.append(item);
      }
      li.append(label, ul);
    }
    return li;
  }

  function renderReplies(view) {
    list.textContent = '';
    let unverified = 0;
    // The whole conversation in order: replies and the witness's own follow-ups share
    // the conversation's numbering (`id`).
    const entries = [
      ...(view.replies || []).map((r) => ({ ...r, mine: false })),
      ...(view.followups || []).map((r) => ({ ...r, mine: true })),
    ].sort((a, b) => a.id - b.id);
    for (const r of entries) {
      const bytes = sodium.from_base64(r.bundle, sodium.base64_variants.URLSAFE_NO_PADDING);
      if (r.mine) {
        const own = openOwnFollowup(E, keys, bytes);
        if (own) list.append(ownItem(r, own)); else unverified++;
        continue;
      }
      const opened = openReply(sodium, E, reviewers, keys, bytes);
      if (!opened) { unverified++; continue; }
      const li = document.createElement('li');
      li.className = 'reply';
      const from = document.createElement('p');
      from.className = 'reply-from';
      from.textContent = (t.followup_reply_from || '{name}, {date}').replace('{name}', opened.signer.name).replace('{date}', String(r.received))
        + (opened.signer.current ? '' : ` ${t.followup_reviewer_removed || ''}`);
      const msg = document.createElement('p');
      msg.className = 'reply-message';
      msg.textContent = opened.message;
      li.append(from, msg);
      if (opened.files.length) {
        const label = document.createElement('p');
        label.className = 'hint';
        label.textContent = t.followup_files || '';
        const ul = document.createElement('ul');
        ul.className = 'file-list';
        for (const f of opened.files) {
          const a = document.createElement('a');
          a.href = URL.createObjectURL(new Blob([f.bytes], { type: f.media_type }));
          a.download = f.name;
          a.textContent = `${f.name} (${f.bytes.length} B)`;
          const item = document.createElement('li');
          item.append(a);
          ul.append(item);
        }
        li.append(label, ul);
      }
      list.append(li);
    }
    document.getElementById('no-replies').hidden = list.children.length > 0;
    document.getElementById('unverified-note').hidden = unverified === 0;
    document.getElementById('retention-note').hidden = view.retention !== 'delete_after_read';
  }

  openForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    openError.hidden = true;
    openButton.disabled = true;
    status.textContent = t.followup_status_opening || '';
    try {
      try { await ready; } catch (_) { show(openError, t.err_keyring); return; }
      let entropy;
      try {
        await preloaded; // not the same list twice
        await loadLists(fetch.bind(window), listsForWords(wordsInput.value), lists);
      } catch (_) {
        show(openError, t.err_network);
        return;
      }
      try {
        entropy = R.fromWords(wordsInput.value, lists);
      } catch (e) {
        if (!(e instanceof ReceiptError)) throw e;
        const key = { word_count: 'err_receipt_count', unknown_word: 'err_receipt_word', checksum: 'err_receipt_checksum' }[e.code];
        show(openError, (t[key] || e.message).replace('{n}', String(e.code === 'word_count' ? e.count : e.position)));
        return;
      }
      if (keys) R.forget(keys);
      keys = R.deriveKeys(entropy);
      entropy.fill(0);
      token = null;
      let view;
      try {
        view = await (await authed('/api/v1/mailbox')).json();
      } catch (e) {
        R.forget(keys); keys = null;
        show(openError, e instanceof HttpError && e.status === 401 ? t.err_mailbox : e instanceof HttpError && e.status === 503 ? t.err_busy : t.err_network);
        return;
      }
      wordsInput.value = '';
      openForm.hidden = true;
      renderReplies(view);
      box.hidden = false;
      box.focus();
    } catch (_) {
      show(openError, t.err_crypto);
    } finally {
      openButton.disabled = false;
      status.textContent = t.followup_js_note || '';
    }
  });

  // A press of Open that hold.js held before this script ran: go on with it now.
  if (openForm.dataset.held) {
    delete openForm.dataset.held;
    openForm.requestSubmit(openButton);
  }

  addForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!keys) return;
    addError.hidden = true;
    document.getElementById('sent').hidden = true;
    send.disabled = true;
    const progressBox = document.getElementById('progress-box');
    try {
      const message = addForm.elements.namedItem('message').value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '');
      const input = addForm.elements.namedItem('attachments');
      const picked = input ? [...input.files] : [];
      if (!message.trim() && picked.length === 0) { show(addError, t.err_followup_empty); return; }
      if (picked.length > MAX_ATTACHMENTS) { show(addError, t.err_too_many_files); return; }
      progressBox.hidden = false;
      const files = [];
      for (const f of picked) {
        let bytes = new Uint8Array(await f.arrayBuffer());
        const r = stripMetadata(bytes);
        if (r.changed) { bytes.fill(0); bytes = r.bytes; }
        files.push({ name: safeFileName(f.name), media_type: safeMediaType(f.type), bytes });
      }
      const bundle = sealFollowup(E, keyring, message, files, keys.replyPk);
      const copyKept = files.length + 2 <= MAX_PARTS; // the follow-up, its files, the copy
      for (const f of files) f.bytes.fill(0);
      if (bundle.length > maxBody) { show(addError, t.err_too_large); return; }
      await authed('/api/v1/mailbox/messages', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: bundle });
      addForm.reset();
      const sent = document.getElementById('sent');
      sent.textContent = copyKept ? (t.followup_sent || '') : `${t.followup_sent || ''} ${t.followup_no_own_copy || ''}`;
      sent.hidden = false;
      // Show the message in its place in the conversation (it is stored: a failure to
      // refresh the list is not a failure to send).
      try { renderReplies(await (await authed('/api/v1/mailbox')).json()); } catch (_) { /* shown next time */ }
    } catch (e) {
      const expired = e && e.name === 'KeyringError'; // like the server's 503: try later
      show(addError, expired ? t.err_busy : e instanceof HttpError ? (e.status === 413 ? t.err_too_large : e.status === 409 ? (t.err_conversation_full || t.err_server) : e.status === 503 ? t.err_busy : t.err_server) : t.err_network);
    } finally {
      progressBox.hidden = true;
      send.disabled = false;
    }
  });

  // Leaving the page ends the session and forgets the keys.
  window.addEventListener('pagehide', () => {
    if (token) fetch('/api/v1/mailbox/session', { ...NO_STORE, method: 'DELETE', headers: { Authorization: `Bearer ${token}` }, keepalive: true }).catch(() => {});
    if (keys) R.forget(keys);
    keys = null;
    token = null;
  });
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => { main(); });
  else main();
}
