// The inbox: a virtualised list (only the rows in view exist in the DOM, so 10,000 tips
// render as fast as 30), a cursor for j/k, and a selection for bulk actions.

import { t, statusName } from './i18n.js';

const ROW_HEIGHT = 34;
const OVERSCAN = 8;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class Inbox {
  constructor(container, spacer, { onOpen, onStar, onSelectionChange }) {
    this.container = container;
    this.spacer = spacer;
    this.rows = [];
    this.cursor = -1;
    this.selected = new Set();
    this.onOpen = onOpen;
    this.onStar = onStar;
    this.onSelectionChange = onSelectionChange;
    this.rendered = new Map(); // index → element
    this.scheduled = false;
    container.addEventListener('scroll', () => this.schedule());
    window.addEventListener('resize', () => this.schedule());
    container.addEventListener('click', (ev) => this.click(ev));
    container.addEventListener('dblclick', (ev) => {
      const i = this.indexOf(ev.target);
      if (i >= 0) this.onOpen(this.rows[i]);
    });
  }

  /** Replaces the rows (after a search or a sync); keeps the selection of rows still there. */
  set(rows) {
    const cursorId = this.rows[this.cursor]?.id;
    this.rows = rows;
    const ids = new Set(rows.map((r) => r.id));
    for (const id of [...this.selected]) if (!ids.has(id)) this.selected.delete(id);
    this.cursor = cursorId ? rows.findIndex((r) => r.id === cursorId) : -1;
    if (this.cursor < 0 && rows.length) this.cursor = 0;
    this.spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    this.redrawAll();
    this.onSelectionChange(this.selected.size);
  }

  /** Updates one row in place (after a triage change). */
  update(row) {
    const i = this.rows.findIndex((r) => r.id === row.id);
    if (i < 0) return;
    this.rows[i] = row;
    const old = this.rendered.get(i);
    if (old) { const fresh = this.build(i); old.replaceWith(fresh); this.rendered.set(i, fresh); }
  }

  current() { return this.rows[this.cursor]; }

  selectedIds() { return [...this.selected]; }

  clearSelection() { this.selected.clear(); this.redrawAll(); this.onSelectionChange(0); }

  move(delta) {
    if (!this.rows.length) return;
    this.cursor = Math.max(0, Math.min(this.rows.length - 1, this.cursor + delta));
    const top = this.cursor * ROW_HEIGHT;
    const c = this.container;
    if (top < c.scrollTop) c.scrollTop = top;
    else if (top + ROW_HEIGHT > c.scrollTop + c.clientHeight) c.scrollTop = top + ROW_HEIGHT - c.clientHeight;
    this.redrawAll();
  }

  toggleSelect(i = this.cursor) {
    const r = this.rows[i];
    if (!r) return;
    if (this.selected.has(r.id)) this.selected.delete(r.id); else this.selected.add(r.id);
    this.update(r);
    this.onSelectionChange(this.selected.size);
  }

  indexOf(target) {
    const row = target.closest('.row[data-index]');
    return row ? Number(row.dataset.index) : -1;
  }

  click(ev) {
    const i = this.indexOf(ev.target);
    if (i < 0) return;
    const r = this.rows[i];
    if (ev.target.matches('input.select')) { this.toggleSelect(i); return; }
    if (ev.target.matches('button.star')) { this.onStar(r); return; }
    this.cursor = i;
    this.redrawAll();
    this.onOpen(r);
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => { this.scheduled = false; this.draw(); });
  }

  redrawAll() {
    for (const e of this.rendered.values()) e.remove();
    this.rendered.clear();
    this.draw();
  }

  /** Adds the rows in view, removes those that left it. */
  draw() {
    const c = this.container;
    const first = Math.max(0, Math.floor(c.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((c.scrollTop + (c.clientHeight || 600)) / ROW_HEIGHT) + OVERSCAN);
    for (const [i, e] of this.rendered) {
      if (i < first || i >= last) { e.remove(); this.rendered.delete(i); }
    }
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      if (this.rendered.has(i)) continue;
      const e = this.build(i);
      this.rendered.set(i, e);
      frag.append(e);
    }
    this.spacer.append(frag);
  }

  build(i) {
    const r = this.rows[i];
    const row = el('div', 'row');
    row.dataset.index = String(i);
    row.dataset.id = r.id;
    row.setAttribute('role', 'row');
    row.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
    if (r.unread) row.classList.add('unread');
    if (i === this.cursor) { row.classList.add('cursor'); row.setAttribute('aria-current', 'true'); }
    if (this.selected.has(r.id)) row.classList.add('selected');

    const sel = el('input', 'select');
    sel.type = 'checkbox';
    sel.checked = this.selected.has(r.id);
    sel.setAttribute('aria-label', t('select'));
    const star = el('button', 'star', r.starred ? '★' : '☆');
    star.type = 'button';
    star.setAttribute('aria-pressed', String(r.starred));
    star.setAttribute('aria-label', t('star'));
    const when = el('span', 'when', r.received.slice(0, 10));
    if (r.unread) when.prepend(el('span', 'dot', '●'));
    const summary = el('span', 'summary', r.summary);
    summary.dir = 'auto';
    // Words, not an emoji: the desk loads no font, and not every system has the glyph.
    if (r.attachments) summary.prepend(el('span', 'chip files', t('n_files', { n: r.attachments })));
    const status = el('span', `status s-${r.status}`, statusName(r.status));
    status.dataset.status = r.status;
    const labels = el('span', 'labels');
    for (const l of r.labels) labels.append(el('span', 'chip', l));
    const assignee = el('span', 'assignee', r.assignee || '');
    const place = el('span', 'place', [r.city, r.country].filter(Boolean).join(', '));
    for (const c of [sel, star, when, summary, status, labels, assignee, place]) c.setAttribute('role', 'gridcell');
    row.append(sel, star, when, summary, status, labels, assignee, place);
    return row;
  }
}
