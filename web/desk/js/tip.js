// The tip view: the report as received, the narrative, attachments (raster images previewed
// from blob URLs), the conversation and reply box, the triage controls, and the history.
// Every text from the tip goes in through textContent: nothing a witness wrote is HTML.

import { get, post, tipPath, triage } from './api.js';
import { t, has, statusName } from './i18n.js';

const PREVIEW = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'i18n') { e.dataset.i18n = v; e.textContent = t(v); }
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

function option(value, text, selected) {
  const o = el('option', { value, text });
  if (selected) o.selected = true;
  return o;
}

function size(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export class TipView {
  constructor(pane, { reviewers, vocabulary, onChanged, say }) {
    this.pane = pane;
    this.reviewers = reviewers;
    this.vocabulary = vocabulary;
    this.onChanged = onChanged;
    this.say = say;
    this.blobs = [];
    this.tip = null;
  }

  close() {
    this.revoke();
    this.pane.hidden = true;
    this.pane.replaceChildren();
    this.tip = null;
  }

  revoke() {
    for (const u of this.blobs) URL.revokeObjectURL(u);
    this.blobs = [];
  }

  async open(id) {
    const tip = await get(tipPath(id));
    const another = !this.tip || this.tip.id !== id;
    this.render(tip);
    this.pane.hidden = false;
    // A new tip starts at its top; a redraw after a change keeps the reviewer's place.
    if (another) this.pane.scrollTop = 0;
    return tip;
  }

  async change(request) {
    if (!this.tip) return;
    // Busy until the view is redrawn from the backend's answer (tests wait on it too).
    this.pane.setAttribute('aria-busy', 'true');
    try {
      const [outcome] = await triage([this.tip.id], request);
      // The backend's notices (a label new to the team's vocabulary, a change queued
      // offline) are shown as it words them.
      if (outcome.ok) this.say([t('outcome_ok'), ...(outcome.notices || [])].join(' '));
      else this.say(t('outcome_refused', { n: 1, reasons: outcome.refusal }), true);
      await this.open(this.tip.id);
      await this.onChanged([this.tip.id]);
    } finally {
      this.pane.setAttribute('aria-busy', 'false');
    }
  }

  render(tip) {
    this.revoke();
    this.tip = tip;
    const p = this.pane;
    p.replaceChildren();
    p.append(el('div', { class: 'tip-head' },
      el('h2', { text: `${t('tip')} ${tip.id.slice(0, 8)}…`, title: tip.id }),
      el('span', { class: 'when', text: tip.received }),
      el('button', { type: 'button', id: 'tip-close', i18n: 'close', onclick: () => this.close() })));
    if (tip.warnings.length) {
      p.append(el('ul', { class: 'warnings', role: 'alert' }, ...tip.warnings.map((w) => el('li', { text: w, dir: 'auto' }))));
    }
    p.append(this.triageSection(tip));
    const report = el('dl', { class: 'report' });
    for (const f of tip.report) {
      // `minders[1].role` is labelled as `minders.role`, numbered from 1.
      const key = `field_${f.key.replace(/\[\d+\]/g, '')}`;
      const n = /\[(\d+)\]/.exec(f.key);
      const label = has(key) ? `${t(key)}${n ? ` (${Number(n[1]) + 1})` : ''}` : f.key;
      report.append(el('dt', { text: label }), el('dd', { text: f.value, dir: 'auto' }));
    }
    p.append(el('section', { class: 'box' }, el('h3', { i18n: 'report' }), report));
    const narrative = el('p', { class: 'narrative', id: 'narrative', dir: 'auto', text: tip.narrative });
    if (tip.language) narrative.lang = tip.language;
    p.append(el('section', { class: 'box' }, el('h3', { i18n: 'narrative' }), narrative));
    p.append(this.attachmentsSection(tip));
    p.append(this.conversationSection(tip));
    p.append(this.historySection(tip));
  }

  attachmentsSection(tip) {
    const s = el('section', { class: 'box attachments' }, el('h3', { i18n: 'attachments' }));
    if (!tip.attachments.length) { s.append(el('p', { i18n: 'no_attachments' })); return s; }
    const list = el('ul');
    for (const a of tip.attachments) {
      const url = `${tipPath(tip.id)}/attachments/${a.index}`;
      const li = el('li', {},
        el('span', { class: 'name', dir: 'auto', text: a.name }),
        el('span', { class: 'meta', text: ` ${a.mime}, ${size(a.size)} ` }),
        el('a', { href: url, download: a.name, i18n: 'download' }));
      if (PREVIEW.includes(a.mime.toLowerCase())) {
        // Fetched into memory and shown from a blob URL: never a file on disk.
        fetch(url, { credentials: 'same-origin' }).then((r) => (r.ok ? r.blob() : null)).then((b) => {
          if (!b || this.tip !== tip) return;
          const u = URL.createObjectURL(b);
          this.blobs.push(u);
          li.append(el('img', { class: 'preview', src: u, alt: a.name }));
        }).catch(() => {});
      }
      list.append(li);
    }
    s.append(list);
    return s;
  }

  conversationSection(tip) {
    const s = el('section', { class: 'box conversation' }, el('h3', { i18n: 'conversation' }));
    if (!tip.conversation.length) s.append(el('p', { i18n: 'no_messages' }));
    const list = el('ol', { class: 'messages' });
    for (const m of tip.conversation) {
      list.append(el('li', { class: m.who === 'witness' ? 'from-witness' : 'from-reviewer' },
        el('span', { class: 'who', text: m.who === 'witness' ? t('witness') : m.who }),
        el('span', { class: 'when', text: m.when }),
        el('p', { dir: 'auto', text: m.text })));
    }
    s.append(list);
    const text = el('textarea', { id: 'reply-text', rows: '3', dir: 'auto', 'aria-label': t('reply') });
    const files = el('input', { type: 'file', id: 'reply-files', multiple: '' });
    const form = el('form', { class: 'reply', id: 'reply-form' },
      el('label', { for: 'reply-text', i18n: 'reply' }), text,
      el('label', {}, el('span', { i18n: 'reply_files' }), files),
      el('button', { type: 'submit', i18n: 'send' }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const payload = [];
      for (const f of files.files) {
        const buf = new Uint8Array(await f.arrayBuffer());
        let bin = '';
        for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
        payload.push({ name: f.name, mime: f.type || 'application/octet-stream', data: btoa(bin) });
      }
      this.pane.setAttribute('aria-busy', 'true');
      try {
        await post(`${tipPath(tip.id)}/reply`, { text: text.value, files: payload });
        this.say(t('reply_sent'));
        await this.open(tip.id);
      } catch (e) {
        this.say(t('error', { message: e.message }), true);
      } finally {
        this.pane.setAttribute('aria-busy', 'false');
      }
    });
    s.append(form);
    return s;
  }

  triageSection(tip) {
    const tr = tip.triage;
    const s = el('section', { class: 'box triage', id: 'triage' }, el('h3', { i18n: 'triage' }));
    const act = (request) => this.change(request).catch((e) => this.say(t('error', { message: e.message }), true));

    // Status: the current one and the legal next ones only.
    const status = el('select', { id: 't-status' },
      option(tr.status, statusName(tr.status), true),
      ...tip.next_statuses.map((n) => option(n, statusName(n))));
    status.addEventListener('change', () => { if (status.value !== tr.status) act({ status: status.value }); });

    const star = el('button', { type: 'button', id: 't-star', 'aria-pressed': String(tr.starred), text: tr.starred ? `★ ${t('starred')}` : `☆ ${t('star')}` });
    star.addEventListener('click', () => act({ star: !tr.starred }));

    const chips = el('span', { class: 'labels', id: 't-labels' });
    for (const l of tr.labels) {
      chips.append(el('span', { class: 'chip' }, l, el('button', {
        type: 'button', class: 'remove', 'aria-label': t('remove_label', { label: l }), text: '×',
        onclick: () => act({ remove_labels: [l] }),
      })));
    }
    const labelInput = el('input', { id: 't-label', list: 'vocab', size: '12', 'aria-label': t('labels') });
    const addLabel = el('form', { class: 'inline' }, labelInput, el('button', { type: 'submit', i18n: 'add_label' }));
    addLabel.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const l = labelInput.value.trim();
      if (l) act({ add_labels: [l] });
    });

    const assignee = el('select', { id: 't-assignee' }, option('', t('unassigned'), !tr.assignee),
      ...this.reviewers.map((r) => option(r, r, r === tr.assignee)));
    assignee.addEventListener('change', () => act({ assign: assignee.value }));

    const reminder = el('input', { type: 'date', id: 't-reminder', value: tr.reminder || '' });
    reminder.addEventListener('change', () => act({ remind: reminder.value }));

    const letter = el('select', { id: 't-grade-letter', 'aria-label': t('reliability') }, option('', '–', !tr.grade),
      ...'ABCDEF'.split('').map((c) => option(c, c, tr.grade && tr.grade[0] === c)));
    const digit = el('select', { id: 't-grade-digit', 'aria-label': t('credibility') }, option('', '–', !tr.grade),
      ...'123456'.split('').map((c) => option(c, c, tr.grade && tr.grade[1] === c)));
    const grade = el('form', { class: 'inline' }, letter, digit, el('button', { type: 'submit', i18n: 'set_grade' }));
    grade.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (letter.value && digit.value) act({ grade: letter.value + digit.value });
    });

    const noteText = el('textarea', { id: 't-note', rows: '2', dir: 'auto', 'aria-label': t('note') });
    const note = el('form', { class: 'note' }, noteText, el('button', { type: 'submit', i18n: 'add_note' }));
    note.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (noteText.value.trim()) act({ note: noteText.value.trim() });
    });

    const grid = el('dl', { class: 'controls' },
      el('dt', { i18n: 'status' }), el('dd', {}, status, ' ', star),
      el('dt', { i18n: 'labels' }), el('dd', {}, chips, addLabel),
      el('dt', { i18n: 'assignee' }), el('dd', {}, assignee),
      el('dt', { i18n: 'reminder' }), el('dd', {}, reminder),
      el('dt', { i18n: 'grade' }), el('dd', {}, grade),
      el('dt', { i18n: 'note' }), el('dd', {}, note));
    s.append(grid);
    if (tr.notes.length) {
      s.append(el('ul', { class: 'notes' }, ...tr.notes.map((n) => el('li', {},
        el('span', { class: 'who', text: n.who }), el('span', { class: 'when', text: n.when }), el('p', { dir: 'auto', text: n.text })))));
    }
    return s;
  }

  historySection(tip) {
    const s = el('section', { class: 'box history', id: 'history' }, el('h3', { i18n: 'history' }));
    if (!tip.history.length) { s.append(el('p', { i18n: 'no_history' })); return s; }
    const table = el('table', {}, el('thead', {}, el('tr', {},
      el('th', { i18n: 'history_who' }), el('th', { i18n: 'history_when' }), el('th', { i18n: 'history_what' }), el('th', {}))));
    const body = el('tbody');
    for (const h of tip.history) {
      const mark = h.refusal
        ? el('span', { class: 'refused', text: t('refused', { reason: h.refusal }) })
        : el('span', { class: h.verified ? 'verified' : 'unverified', text: h.verified ? `✓ ${t('verified')}` : t('unverified') });
      body.append(el('tr', {}, el('td', { text: h.who }), el('td', { text: h.when }), el('td', { text: h.what, dir: 'auto' }), el('td', {}, mark)));
    }
    table.append(body);
    s.append(table);
    return s;
  }
}
