// The witness page: progressive enhancement over the plain HTML form (docs/web.md).
// Without JavaScript the form posts to /{lang}/submit and the server seals it on arrival.
// With JavaScript this script verifies the signed keyring against the admin keys pinned
// into the page, builds the tip document, removes image metadata, seals everything in
// the browser (envelope v1) and uploads only ciphertext.
//
// Must never: store anything (no cookies, no Web Storage, no IndexedDB), load anything
// from another origin, put a witness's words in a URL, or send plaintext.

import { withSodium, KIND_TIP, KIND_ATTACHMENT, FormatError } from './envelope.js';
import { stripMetadata } from './exif.js';
import { withReceipt, loadLists, listForLanguage, showWords } from './receipt.js';
import { firstInvalid, isolateLtr, localizeFileButton } from './validity.js';
import { checkSealedTip } from './tipcheck.js';

export const MAX_ATTACHMENTS = 32;
export const INLINE_LIMIT = 1048576; // envelopes above this go through the uploads API
const MAX_TIP_JSON = 1024 * 1024;

const SECTORS = ['construction', 'logging', 'shipbuilding', 'restaurant', 'garment', 'mining', 'agriculture', 'fishing', 'it', 'other'];
const ROLES = ['security_agent', 'party_secretary', 'team_leader', 'interpreter', 'other'];
const ACTIONS = ['confiscates_passports', 'collects_wages', 'monitors_phones', 'escorts_workers', 'other'];
const RELATIONS = ['worker', 'co_worker', 'local_employee', 'neighbour', 'contractor', 'official', 'other'];

/** A field the witness must correct: `field` is the form name, `key` the i18n key. */
export class FieldError extends Error {
  constructor(field, key) { super(`${field}: ${key}`); this.field = field; this.key = key; }
}

// ---------------------------------------------------------------------------------
// The tip document, mirrored from src/domain/tip/form.rs (TipDocument::from_form).
// ---------------------------------------------------------------------------------

// Unicode Cc (C0, DEL, C1) except tab, newline, carriage return: refused by the schema,
// invisible to the witness, so they are dropped.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

function clean(v) {
  return typeof v === 'string' ? v.replace(CONTROL, '').trim() : '';
}

function isPartialDate(s) {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  if (y < 1900 || y > 2200) return false;
  if (m[2] === undefined) return true;
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12) return false;
  if (m[3] === undefined) return true;
  const d = Number(m[3]);
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d >= 1 && d <= days;
}

/**
 * Builds the tip document from form pairs ([name, value] with string values; files are
 * ignored). Empty fields are omitted; numbers become numbers; yes/no become booleans.
 * Throws FieldError for a value the schema would refuse.
 */
export function tipFromPairs(pairs, language) {
  const one = new Map();
  const many = new Map();
  for (const [k, v] of pairs) {
    if (typeof v !== 'string') continue;
    if (!many.has(k)) many.set(k, []);
    many.get(k).push(v);
    if (!one.has(k)) one.set(k, v);
  }
  const get = (k) => clean(one.get(k));

  const text = (k, max) => {
    const v = get(k);
    if (!v) return undefined;
    if ([...v].length > max) throw new FieldError(k, 'err_too_long');
    return v;
  };
  const short = (k) => text(k, 2000);
  const vocab = (k, list) => {
    const v = get(k);
    if (!v) return undefined;
    if (!list.includes(v)) throw new FieldError(k, 'err_field');
    return v;
  };
  const country = (k) => {
    const v = get(k).toUpperCase();
    if (!v) return undefined;
    if (!/^[A-Z]{2}$/.test(v)) throw new FieldError(k, 'err_country');
    return v;
  };
  const date = (k) => {
    const v = get(k);
    if (!v) return undefined;
    if (!isPartialDate(v)) throw new FieldError(k, 'err_date');
    return v;
  };
  const number = (k, max) => {
    const v = get(k);
    if (!v) return undefined;
    if (!/^\d+$/.test(v)) throw new FieldError(k, 'err_number');
    const n = Number(v);
    if (n > max) throw new FieldError(k, 'err_number');
    return n;
  };
  const yesNo = (k) => {
    const v = get(k);
    if (v === 'yes') return true;
    if (v === 'no') return false;
    if (!v) return undefined;
    throw new FieldError(k, 'err_field');
  };
  const obj = (o) => {
    for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
    return Object.keys(o).length ? o : undefined;
  };

  const worksite = obj({
    name: short('worksite.name'),
    employer: short('worksite.employer'),
    contractor: short('worksite.contractor'),
    agency: short('worksite.agency'),
    sector: vocab('worksite.sector', SECTORS),
    country: country('worksite.country'),
    city: short('worksite.city'),
    address: short('worksite.address'),
    observed_from: date('worksite.observed_from'),
    observed_to: date('worksite.observed_to'),
  });
  const workers = obj({
    count: number('workers.count', 1000000),
    nationality: country('workers.nationality'),
    hours_per_day: number('workers.hours_per_day', 24),
    rest_days_per_month: number('workers.rest_days_per_month', 31),
    passports_held_by_others: yesNo('workers.passports_held_by_others'),
    wages: short('workers.wages'),
    housing: short('workers.housing'),
    movement_restricted: yesNo('workers.movement_restricted'),
    injuries: short('workers.injuries'),
  });
  const indices = new Set();
  for (const k of many.keys()) {
    const m = /^minders\.(\d{1,3})\./.exec(k);
    if (m) indices.add(Number(m[1]));
  }
  const minders = [...indices].sort((a, b) => a - b).map((n) => {
    const p = `minders.${n}.`;
    const actions = [];
    for (const a of many.get(p + 'actions') || []) {
      const v = clean(a);
      if (!v) continue;
      if (!ACTIONS.includes(v)) throw new FieldError(p + 'actions', 'err_field');
      if (!actions.includes(v)) actions.push(v);
    }
    return obj({
      name_or_alias: short(p + 'name_or_alias'),
      role: vocab(p + 'role', ROLES),
      description: short(p + 'description'),
      actions: actions.length ? actions : undefined,
    });
  }).filter((m) => m !== undefined);
  const witness = obj({
    relation: vocab('witness.relation', RELATIONS),
    may_contact: yesNo('witness.may_contact'),
  });
  const narrative = text('narrative', 100000);

  const doc = { schema: 'tipseal/tip/v1' };
  if (language) doc.language = language;
  if (worksite) doc.worksite = worksite;
  if (workers) doc.workers = workers;
  if (minders.length) doc.minders = minders;
  if (witness) doc.witness = witness;
  if (narrative) doc.narrative = narrative;
  return doc;
}

/** Whether the document says something (mirrors TipDocument::has_content). */
export function hasContent(doc) {
  return Boolean(doc.worksite || doc.workers || (doc.minders && doc.minders.length)
    || (doc.narrative && doc.narrative.trim()));
}

/** A file's base name made safe for the schema's FileName. */
export function safeFileName(name) {
  let base = String(name || '').split(/[\\/]/).pop() || '';
  base = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '_');
  const te = new TextEncoder();
  while (te.encode(base).length > 255) base = [...base].slice(0, -1).join('');
  if (!base || base === '.' || base === '..') return 'attachment';
  return base;
}

/** A media type the schema accepts, or application/octet-stream. */
export function safeMediaType(type) {
  const ok = (p) => p.length > 0 && p.length <= 100 && /^[A-Za-z0-9!#$&\-^_.+]+$/.test(p);
  const [t, sub, ...rest] = String(type || '').split(';')[0].trim().split('/');
  return rest.length === 0 && t && sub !== undefined && ok(t) && ok(sub) ? `${t}/${sub}` : 'application/octet-stream';
}

/**
 * Orders attachments for the bundle and decides which travel inline and which through
 * the uploads API: inline parts come first (they are in the POST body), uploads after,
 * so part numbers are known before the tip is sealed. `sizes` are plaintext lengths;
 * returns [{ index, upload }] in bundle order (part = position + 1).
 */
export function planParts(sizes, envelopeLengthFor, maxBody, tipEnvelopeLen) {
  const budget = Math.max(0, maxBody - 6 - 4 - tipEnvelopeLen);
  let used = 0;
  const inline = [];
  const upload = [];
  sizes.forEach((size, index) => {
    const len = envelopeLengthFor(size);
    if (len <= INLINE_LIMIT && used + 4 + len <= budget) {
      used += 4 + len;
      inline.push({ index, upload: false });
    } else {
      upload.push({ index, upload: true });
    }
  });
  return inline.concat(upload);
}

// ---------------------------------------------------------------------------------
// Network: resumable uploads and the final POST.
// ---------------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, body) { super(`HTTP ${status}`); this.status = status; this.body = body; }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function jsonOrNull(res) {
  try { return await res.json(); } catch (_) { return null; }
}

function randomHex(sodium, n) { return sodium.to_hex(sodium.randombytes_buf(n)); }

/**
 * Uploads one envelope through the uploads API, resuming after dropped connections.
 * `state` ({ id, chunkSize }) survives between calls so that "Try again" resumes too.
 * `onBytes(offset)` reports progress.
 */
export async function uploadEnvelope(fetchFn, env, state, onBytes, { retries = 8, onRetry } = {}) {
  let attempt = 0;
  const again = async (e) => {
    if (e instanceof HttpError && e.status < 500 && e.status !== 408 && e.status !== 429) throw e;
    attempt += 1;
    if (attempt > retries) throw e;
    if (onRetry) onRetry(attempt);
    await sleep(Math.min(8000, 250 * 2 ** attempt));
  };
  for (;;) {
    try {
      if (!state.id) {
        const res = await fetchFn('/api/v1/uploads', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ length: env.length }),
          credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer',
        });
        if (res.status !== 201 && res.status !== 200) throw new HttpError(res.status, await jsonOrNull(res));
        const j = await res.json();
        if (!j || typeof j.id !== 'string' || !/^[0-9a-f]{32}$/.test(j.id)) throw new HttpError(502, j);
        state.id = j.id;
        state.chunkSize = Number.isInteger(j.chunk_size) && j.chunk_size > 0 ? j.chunk_size : 1048576;
        state.offset = 0;
      }
      if (state.needsResync) {
        const res = await fetchFn(`/api/v1/uploads/${state.id}`, { method: 'GET', credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
        if (res.status !== 200) throw new HttpError(res.status, await jsonOrNull(res));
        const j = await res.json();
        state.offset = Number(j.offset) || 0;
        state.needsResync = false;
        onBytes(state.offset);
      }
      while (state.offset < env.length) {
        const end = Math.min(env.length, state.offset + state.chunkSize);
        let res;
        try {
          res = await fetchFn(`/api/v1/uploads/${state.id}`, {
            method: 'PATCH',
            headers: { 'Upload-Offset': String(state.offset), 'Content-Type': 'application/octet-stream' },
            body: env.subarray(state.offset, end),
            credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer',
          });
        } catch (e) {
          state.needsResync = true; // we do not know whether the chunk arrived
          throw e;
        }
        if (res.status === 409) {
          const j = await jsonOrNull(res);
          if (j && Number.isInteger(j.offset)) { state.offset = j.offset; onBytes(state.offset); continue; }
          state.needsResync = true;
          throw new HttpError(409, j);
        }
        if (res.status !== 204 && res.status !== 200) {
          state.needsResync = true;
          throw new HttpError(res.status, await jsonOrNull(res));
        }
        const h = Number(res.headers.get('Upload-Offset'));
        state.offset = Number.isInteger(h) && h > state.offset ? h : end;
        attempt = 0;
        onBytes(state.offset);
      }
      return state.id;
    } catch (e) {
      await again(e);
    }
  }
}

/**
 * Seconds a 429 asks us to wait: its `Retry-After` (whole seconds), at least 1 and at
 * most `max`; `fallback` when the header is missing or not a number of seconds.
 */
export function retryAfterSeconds(headers, fallback, max) {
  const raw = headers && typeof headers.get === 'function' ? headers.get('Retry-After') : null;
  const n = /^\s*\d+\s*$/.test(String(raw ?? '')) ? Number(raw) : fallback;
  return Math.min(max, Math.max(1, n));
}

/**
 * POST /api/v1/tips with the inline bundle; retried with the same Idempotency-Key.
 * `mailbox`: base64url of the receipt's mailbox public key (Tipseal-Mailbox header).
 * A 429 (the server's intake budget is spent, say during a flood) is not final: the tip
 * is sent again after the `Retry-After` seconds (at most `maxWait` each, `busyRetries`
 * times), and `onBusy(seconds)` lets the page tell the witness it is waiting.
 */
export async function postTip(fetchFn, bundle, idempotencyKey, uploadIds, {
  retries = 4, busyRetries = 8, maxWait = 30, onRetry, onBusy, mailbox, sleepFn = sleep,
} = {}) {
  const headers = { 'Content-Type': 'application/octet-stream', 'Idempotency-Key': idempotencyKey };
  if (uploadIds.length) headers['Tipseal-Uploads'] = uploadIds.join(',');
  if (mailbox) headers['Tipseal-Mailbox'] = mailbox;
  let attempt = 0;
  let busy = 0;
  for (;;) {
    let res;
    try {
      res = await fetchFn('/api/v1/tips', {
        method: 'POST', headers, body: bundle,
        credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer',
      });
      if (res.status === 201 || res.status === 200) return await res.json();
      throw new HttpError(res.status, await jsonOrNull(res));
    } catch (e) {
      if (e instanceof HttpError && e.status === 429 && busy < busyRetries) {
        busy += 1;
        const secs = retryAfterSeconds(res && res.headers, 2 ** busy, maxWait);
        if (onBusy) onBusy(secs);
        await sleepFn(secs * 1000);
        continue;
      }
      if (e instanceof HttpError && e.status < 500 && e.status !== 408) throw e;
      attempt += 1;
      if (attempt > retries) throw e;
      if (onRetry) onRetry(attempt);
      await sleepFn(Math.min(8000, 500 * 2 ** attempt));
    }
  }
}

// ---------------------------------------------------------------------------------
// The page.
// ---------------------------------------------------------------------------------

/** How close together two presses of Escape must be to leave (the quick-exit shortcut). */
export const EXIT_KEY_WINDOW_MS = 1500;

/**
 * Empties every form on the page, including what the server put back after an error
 * (an element's default value) and chosen files: nothing for Back, a restored page or
 * the browser's form memory to show again.
 */
export function clearForms(doc = document) {
  for (const form of doc.querySelectorAll('form')) {
    for (const el of form.elements) {
      if (el.type === 'hidden' || el.type === 'submit' || el.tagName === 'BUTTON') continue;
      if (el.type === 'checkbox' || el.type === 'radio') {
        el.defaultChecked = false;
        el.checked = false;
      } else if (el.tagName === 'SELECT') {
        for (const o of el.options) o.defaultSelected = false;
        el.selectedIndex = 0;
      } else if (el.tagName === 'TEXTAREA') {
        el.defaultValue = '';
        el.value = '';
      } else if (el.type === 'file') {
        el.value = '';
      } else {
        el.defaultValue = '';
        el.value = '';
      }
    }
  }
}

/**
 * Quick exit (`docs/web.md`, "The shared phone"): empties the forms and the page, then
 * replaces this history entry with the exit site, so Back from there does not come back
 * here (earlier entries of this site stay: no page can remove them).
 */
function leave(href) {
  try {
    clearForms();
    document.title = '';
    // A copy kept for Back (the back/forward cache) shows an empty page.
    document.body.replaceChildren();
  } finally {
    window.location.replace(href);
  }
}

function quickExit() {
  const a = document.getElementById('quick-exit');
  if (!a) return;
  const href = a.href;
  a.addEventListener('click', (ev) => {
    ev.preventDefault();
    leave(href);
  });
  // The shortcut: Escape twice, from anywhere on the page.
  let last = -Infinity;
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape') return;
    const now = performance.now();
    if (now - last <= EXIT_KEY_WINDOW_MS) {
      ev.preventDefault();
      leave(href);
    }
    last = now;
  }, true);
  const keys = document.getElementById('quick-exit-keys');
  if (keys) keys.hidden = false;
  // A page shown again from the back/forward cache comes back empty.
  window.addEventListener('pageshow', (ev) => {
    if (ev.persisted) clearForms();
  });
}

export function strings() {
  const el = document.getElementById('i18n');
  try { return el ? JSON.parse(el.textContent) : {}; } catch (_) { return {}; }
}

/**
 * libsodium, once ready. The page loads sodium.js as an async script (id="sodium-js"):
 * it runs when it lands, before or after this module, so both orders are handled.
 */
export function waitForSodium() {
  return new Promise((resolve, reject) => {
    const ready = () => {
      if (window.sodium && window.sodium.ready) window.sodium.ready.then(() => resolve(window.sodium), reject);
      else reject(new Error('libsodium did not load'));
    };
    const el = document.getElementById('sodium-js');
    if (window.sodium || document.readyState === 'complete') ready();
    else if (el) {
      el.addEventListener('load', ready, { once: true });
      el.addEventListener('error', () => reject(new Error('libsodium did not load')), { once: true });
    } else window.addEventListener('load', ready, { once: true });
  });
}

/**
 * Marks the page's encryption state on <html data-crypto> (loading | ready | failed) and,
 * once ready, with the performance mark `tipseal:crypto-ready` that
 * benches/page-tor.mjs reads. Neither leaves the page.
 */
export function markCrypto(state) {
  document.documentElement.dataset.crypto = state;
  if (state === 'ready' && typeof performance !== 'undefined' && performance.mark) performance.mark('tipseal:crypto-ready');
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}

function setupMinders(form, t) {
  const box = document.getElementById('minders');
  const button = document.getElementById('add-minder');
  if (!box || !button) return;
  const blocks = () => [...box.querySelectorAll('fieldset.minder')];
  const isEmpty = (fs) => [...fs.querySelectorAll('input, select, textarea')].every((el) =>
    (el.type === 'checkbox' || el.type === 'radio') ? !el.checked : !el.value);
  // With JavaScript, show one minder at a time; the others appear on request.
  blocks().forEach((fs, i) => { if (i > 0 && isEmpty(fs)) fs.hidden = true; });
  button.hidden = false;
  button.addEventListener('click', () => {
    const hidden = blocks().find((fs) => fs.hidden);
    let target = hidden;
    if (!target) {
      const all = blocks();
      const n = all.length;
      const tpl = all[0];
      target = tpl.cloneNode(true);
      target.dataset.minder = String(n);
      target.querySelector('legend').textContent = (t.minder_n || 'Minder {n}').replace('{n}', String(n + 1));
      for (const el of target.querySelectorAll('[id]')) el.id = el.id.replace(/^minders-0-/, `minders-${n}-`);
      for (const el of target.querySelectorAll('[for]')) el.htmlFor = el.htmlFor.replace(/^minders-0-/, `minders-${n}-`);
      for (const el of target.querySelectorAll('[name]')) {
        el.name = el.name.replace(/^minders\.0\./, `minders.${n}.`);
        if (el.type === 'checkbox' || el.type === 'radio') el.checked = false;
        else el.value = '';
      }
      all[all.length - 1].after(target);
    }
    target.hidden = false;
    const first = target.querySelector('input, select, textarea');
    if (first) first.focus();
  });
}

function setupFiles(t) {
  const input = document.getElementById('attachments');
  const list = document.getElementById('file-list');
  if (!input || !list) return;
  const render = () => {
    list.textContent = '';
    const files = [...input.files];
    list.hidden = files.length === 0;
    files.forEach((f, i) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'file-name';
      name.textContent = `${f.name} (${formatBytes(f.size)})`;
      li.append(name);
      const isImage = /^image\/(jpeg|png)$/.test(f.type) || /\.(jpe?g|png)$/i.test(f.name);
      if (isImage) {
        const id = `keep-metadata-${i}`;
        const wrap = document.createElement('label');
        wrap.htmlFor = id;
        wrap.className = 'keep';
        const cb = document.createElement('input');
        cb.type = 'checkbox';
        cb.id = id;
        cb.name = 'keep_metadata';
        cb.value = f.name;
        cb.dataset.index = String(i);
        wrap.append(cb, document.createTextNode(' ' + (t.keep_metadata || '')));
        const hint = document.createElement('span');
        hint.className = 'hint';
        hint.textContent = t.keep_metadata_hint || '';
        li.append(wrap, hint);
      }
      const status = document.createElement('span');
      status.className = 'file-status hint';
      status.dataset.index = String(i);
      li.append(status);
      list.append(li);
    });
  };
  input.addEventListener('change', render);
  render();
}

async function main() {
  quickExit();
  const form = document.getElementById('tip-form');
  if (!form) return;
  const t = strings();
  const status = document.getElementById('js-status');
  const errorBox = document.getElementById('form-error');
  const submit = document.getElementById('submit');
  const progressBox = document.getElementById('progress-box');
  const progress = document.getElementById('progress');
  const progressText = document.getElementById('progress-text');
  const lang = document.documentElement.lang || 'en';
  const maxBody = Number(form.dataset.maxBody) || 16 * 1048576;
  // Per-file and whole-tip limits come from the server (src/domain/limits.rs, rendered
  // into the form), so the page, the server and the reviewer client agree.
  const maxFile = Number(form.dataset.maxFile) || maxBody;
  const maxTip = Number(form.dataset.maxTip) || maxBody;
  for (const el of document.querySelectorAll('.nojs-only')) el.hidden = true;

  setupMinders(form, t);
  setupFiles(t);
  localizeFileButton(document.getElementById('attachments'), document.getElementById('attachments-button'));

  const showError = (msg, field) => {
    errorBox.textContent = '';
    const strong = document.createElement('strong');
    strong.textContent = (t.err_title || 'Not sent') + '. ';
    errorBox.append(strong, document.createTextNode(msg));
    errorBox.hidden = false;
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    } else {
      errorBox.focus();
    }
  };
  // A field to correct: the page's message (dates kept left to right), then its label.
  const showFieldError = (key, el) => {
    const label = el && el.id ? document.querySelector(`label[for="${el.id}"]`) : null;
    showError(`${isolateLtr(t[key] || key)}${label ? ` (${label.textContent.trim()})` : ''}`, el);
  };
  const clearError = () => {
    errorBox.hidden = true;
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  };
  const setProgress = (text, fraction) => {
    progressBox.hidden = false;
    progressText.textContent = text;
    if (fraction === null) progress.removeAttribute('value');
    else progress.value = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  };

  status.hidden = false;
  status.textContent = t.status_preparing || t.status_keys || '';
  // While the crypto loads, the witness may choose the server path, knowingly: a button
  // that says what it means (its name/value tells the server, and the receipt says so).
  const serverChoice = document.getElementById('send-server');
  const serverHint = document.getElementById('send-server-hint');
  const offerServer = (on) => {
    if (serverChoice) serverChoice.hidden = !on;
    if (serverHint) serverHint.hidden = !on;
  };
  offerServer(true);
  form.dataset.crypto = 'loading'; // hold.js stops holding presses of Send
  markCrypto('loading');

  // Load libsodium and verify the keyring before anything is sealed. The keyring is
  // fetched at once, in parallel with libsodium: on a slow link each round trip in a
  // chain costs half a second.
  let E;
  let R;
  let sodium;
  let keys = null;
  let lists = null;
  const ownList = listForLanguage(lang);
  let keyringError = null;
  const keyringFile = fetch('/api/v1/keyring', { credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' })
    .then((res) => { if (!res.ok) throw new Error(`keyring: HTTP ${res.status}`); return res.json(); });
  keyringFile.catch(() => {});
  // The receipt is shown in the witness's script and in English words: those two lists
  // only, fetched once libsodium is in (off its critical path: every byte beside it
  // delays "ready"), awaited before a tip is sealed, fetched again after a failure.
  let listsLoaded = null;
  const loadReceiptLists = () => {
    if (!listsLoaded) {
      listsLoaded = loadLists(fetch.bind(window), [...new Set([ownList, 'english'])])
        .then((l) => { lists = l; }, (e) => { listsLoaded = null; throw e; });
    }
    return listsLoaded;
  };
  const ready = (async () => {
    try {
      sodium = await waitForSodium();
    } catch (e) {
      throw Object.assign(new Error('crypto'), { key: 'err_crypto' });
    }
    E = withSodium(sodium);
    loadReceiptLists().catch(() => {});
    try {
      keys = E.checkFresh(E.verifyKeyring(await keyringFile, form.dataset.adminKeys || ''));
    } catch (e) {
      keyringError = e;
      throw Object.assign(new Error('keyring'), { key: 'err_keyring' });
    }
    R = withReceipt(sodium);
  })();
  ready.then(() => {
    status.textContent = t.js_note || t.status_ready || '';
    offerServer(false);
    markCrypto('ready');
  }, (e) => {
    status.hidden = true;
    submit.disabled = e.key === 'err_keyring';
    // Without the locking tool, the server path stays on offer (said plainly); with a
    // keyring the browser refused, it does not: the server would seal to the same keys.
    offerServer(e.key === 'err_crypto');
    markCrypto('failed');
    showError(t[e.key] || e.message);
    if (keyringError && window.console) console.warn('tipseal: keyring refused:', keyringError.message);
  });

  // One submission at a time; its ciphertext and upload state survive "Try again"
  // unless the witness changes something, which means sealing again.
  let pending = null;
  let serverChosen = false;
  const invalidate = () => { if (pending && pending.entropy) pending.entropy.fill(0); pending = null; };
  form.addEventListener('input', invalidate);
  form.addEventListener('change', invalidate);

  form.addEventListener('submit', async (ev) => {
    // The explicit server choice posts the plain form: the server seals it on arrival,
    // and a press of Send still waiting for the crypto must not send it a second time.
    if (ev.submitter && ev.submitter === serverChoice) { serverChosen = true; return; }
    ev.preventDefault();
    if (submit.disabled) return;
    clearError();
    submit.disabled = true;
    try {
      // Send waits for the crypto, then goes on by itself; the witness sees why.
      const waiting = document.documentElement.dataset.crypto === 'loading';
      if (waiting) setProgress(t.status_send_waiting, null);
      try { await ready; } catch (e) { progressBox.hidden = true; showError(t[e.key] || e.message); return; }
      // The receipt's word lists must be here before anything is sent.
      try { await loadReceiptLists(); } catch (_) { progressBox.hidden = true; showError(t.err_network); return; }
      if (serverChosen) return;
      if (waiting) progressBox.hidden = true; // prepare() shows its own progress
      if (!pending) pending = await prepare();
      if (!pending) return;
      await send(pending);
    } catch (e) {
      pending = null;
      progressBox.hidden = true;
      showError(t.err_crypto || String(e));
      if (window.console) console.warn('tipseal:', e);
    } finally {
      submit.disabled = keys === null;
    }
  });

  // A press of Send that hold.js held before this script ran: send it now (it waits).
  if (form.dataset.held) {
    delete form.dataset.held;
    form.requestSubmit(submit);
  }

  // Builds, strips and seals; returns the state for send(), or null after an error.
  async function prepare() {
    let doc;
    // The browser's own check is off (novalidate): its bubble speaks the browser's
    // language. The same constraints, named in the page's language.
    const invalid = firstInvalid(form);
    if (invalid) { showFieldError(invalid.key, invalid.el); return null; }
    try {
      const pairs = [...new FormData(form).entries()].filter(([k]) => k !== 'attachments' && k !== 'keep_metadata' && k !== 'language' && k !== 'form_token');
      doc = tipFromPairs(pairs, lang);
    } catch (e) {
      if (e instanceof FieldError) {
        const field = form.elements.namedItem(e.field);
        showFieldError(e.key, field && field.length !== undefined && !field.tagName ? field[0] : field);
        return null;
      }
      throw e;
    }
    const fileInput = document.getElementById('attachments');
    const files = fileInput ? [...fileInput.files] : [];
    if (files.length > MAX_ATTACHMENTS) { showError(t.err_too_many_files); return null; }
    const big = files.find((f) => f.size > maxFile);
    if (big) { showError(`${(t.err_file_too_large || '').replace('{mb}', String(Math.ceil(maxFile / 1048576)))} ${big.name}`); return null; }
    if (!hasContent(doc) && files.length === 0) { showError(t.err_empty); return null; }

    const keep = new Set([...form.querySelectorAll('input[name="keep_metadata"]:checked')].map((c) => Number(c.dataset.index)));
    setProgress(t.status_sealing, null);

    // Read and clean every file.
    const cleaned = [];
    for (let i = 0; i < files.length; i++) {
      const f = files[i];
      let bytes = new Uint8Array(await f.arrayBuffer());
      const note = document.querySelector(`.file-status[data-index="${i}"]`);
      if (!keep.has(i)) {
        const r = stripMetadata(bytes);
        if (r.bytes === null) {
          // Fail closed: a photo whose metadata cannot be removed is not sent, unless
          // the witness ticks "keep hidden information" for it.
          if (note) note.textContent = t.metadata_unchecked;
          bytes.fill(0);
          for (const c of cleaned) c.bytes.fill(0);
          showError(`${t.err_metadata_unparsed} (${f.name})`);
          return null;
        }
        if (r.type && note) note.textContent = r.changed ? t.metadata_removed : t.metadata_none;
        if (r.changed) { bytes.fill(0); bytes = r.bytes; }
      }
      cleaned.push({
        bytes,
        name: safeFileName(f.name),
        media_type: safeMediaType(f.type),
      });
    }

    // Decide the bundle order before sealing the tip: inline parts first.
    const tipEstimate = E.envelopeLengthFor(Math.min(MAX_TIP_JSON, 2048 + JSON.stringify(doc).length * 3 + cleaned.length * 700));
    const whole = cleaned.reduce((n, c) => n + 4 + E.envelopeLengthFor(c.bytes.length), 6 + 4 + tipEstimate);
    if (whole > maxTip) { showError(t.err_too_large); return null; }
    const plan = planParts(cleaned.map((c) => c.bytes.length), E.envelopeLengthFor, maxBody, tipEstimate);
    const ordered = plan.map((p) => ({ ...cleaned[p.index], upload: p.upload }));
    const attachments = ordered.map((a, i) => ({
      part: i + 1,
      name: a.name,
      media_type: a.media_type,
      size: a.bytes.length,
      blake2b: E.blake2bHex(a.bytes),
    }));
    // The receipt: made here, its reply key sealed inside the tip (only reviewers learn
    // it), its mailbox key sent in a header so the server can file replies.
    const entropy = R.generate();
    const receiptKeys = R.deriveKeys(entropy);
    const replyTo = { box_pk: R.b64(receiptKeys.replyPk) };
    const mailbox = R.b64(receiptKeys.mailboxPk);
    R.forget(receiptKeys);
    const sealedTip = { format: 'tipseal/sealed-tip/v1', tip: doc, attachments, reply_to: replyTo };
    // The published schema's check (docs/schema/): nothing a reviewer would warn about is sealed.
    const problems = checkSealedTip(sealedTip);
    if (problems.length) { entropy.fill(0); showError(`${t.err_field} (${problems[0].field})`); return null; }
    const tipJson = new TextEncoder().encode(JSON.stringify(sealedTip));
    if (tipJson.length > MAX_TIP_JSON) { showError(t.err_too_long); return null; }

    const totalChunks = ordered.reduce((n, a) => n + Math.ceil(E.bucketFor(a.bytes.length) / 65536), 1);
    let doneChunks = 0;
    const tick = (base) => (done) => setProgress(t.status_sealing, (base + done) / totalChunks);
    const epoch = keys.epoch;
    const tipEnv = E.seal(tipJson, KIND_TIP, 0, epoch, keys.intakePk);
    tipJson.fill(0);
    doneChunks += 1;
    const envs = [];
    for (const a of ordered) {
      const base = doneChunks;
      const env = await E.sealAsync(a.bytes, KIND_ATTACHMENT, 0, epoch, keys.intakePk, tick(base));
      doneChunks += Math.ceil(E.bucketFor(a.bytes.length) / 65536);
      a.bytes.fill(0);
      envs.push({ env, upload: a.upload, state: {} });
    }
    const inline = [tipEnv, ...envs.filter((e) => !e.upload).map((e) => e.env)];
    const bundle = E.encodeBundle(inline);
    const uploaded = envs.filter((e) => e.upload).reduce((n, e) => n + 4 + e.env.length, 0);
    if (bundle.length > maxBody || bundle.length + uploaded > maxTip) { entropy.fill(0); showError(t.err_too_large); return null; }
    return {
      entropy,
      mailbox,
      bundle,
      uploads: envs.filter((e) => e.upload),
      idempotencyKey: randomHex(sodium, 16),
    };
  }

  async function send(p) {
    const totalUpload = p.uploads.reduce((n, u) => n + u.env.length, 0) + p.bundle.length;
    let sent = 0;
    try {
      const ids = [];
      for (const u of p.uploads) {
        const before = sent;
        const id = await uploadEnvelope(fetch.bind(window), u.env, u.state, (off) => {
          setProgress(t.status_uploading, (before + off) / totalUpload);
        }, { onRetry: () => setProgress(t.status_retrying, (before + (u.state.offset || 0)) / totalUpload) });
        sent += u.env.length;
        ids.push(id);
      }
      setProgress(t.status_sending, sent / totalUpload);
      const r = await postTip(fetch.bind(window), p.bundle, p.idempotencyKey, ids, {
        onRetry: () => setProgress(t.status_retrying, sent / totalUpload),
        onBusy: (secs) => setProgress((t.status_busy_wait || t.status_retrying || '').replace('{n}', String(secs)), sent / totalUpload),
        mailbox: p.mailbox,
      });
      setProgress(t.status_sending, 1);
      showReceipt(r && r.id ? String(r.id) : '', p.entropy);
      p.entropy.fill(0);
      pending = null;
    } catch (e) {
      progressBox.hidden = true;
      if (e instanceof HttpError) {
        if (e.status === 413) { pending = null; showError(t.err_too_large); }
        else if (e.status === 429 || e.status === 503 || e.status === 507) showError(t.err_busy);
        else if (e.status >= 400 && e.status < 500 && e.status !== 408) { pending = null; showError(t.err_server); }
        else showError(t.err_network);
      } else if (e instanceof FormatError) {
        pending = null;
        showError(t.err_server);
      } else {
        showError(t.err_network);
      }
      submit.textContent = t.retry || submit.textContent;
    }
  }

  // Shows the reference and the receipt words, once: they exist only in this page's
  // memory and on screen (never in a URL, cookie, storage or the console).
  function showReceipt(reference, entropy) {
    const receipt = document.getElementById('receipt');
    document.getElementById('receipt-reference').textContent = reference;
    const words = document.getElementById('receipt-words');
    const english = document.getElementById('receipt-words-en');
    if (words) showWords(words, R.toWords(entropy, lists[ownList], ownList));
    if (english) {
      showWords(english, R.toWords(entropy, lists.english, 'english'));
      english.closest('.words-en').hidden = ownList === 'english';
    }
    form.reset();
    const list = document.getElementById('file-list');
    if (list) { list.textContent = ''; list.hidden = true; }
    form.hidden = true;
    if (status) status.hidden = true;
    for (const el of document.querySelectorAll('.safety, .lead, .org, main > h1')) el.hidden = true;
    receipt.hidden = false;
    receipt.focus();
    window.scrollTo(0, 0);
  }
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => { main(); });
  else main();
}
