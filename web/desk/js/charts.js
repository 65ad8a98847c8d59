// The advocacy figures (`reviewer::figures`, computed by the backend) drawn as inline SVG
// bar charts: built with createElementNS, text set with textContent, colours from
// desk.css classes — no inline style, no library, nothing fetched (the CSP stays as it is).
// Only drawing lives here: every number comes from the backend as it is.

import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 20;
const LABEL = 150;
const BAR = 220;
const MAX_ROWS = 12;

function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function clip(s, n = 22) { return s.length > n ? `${s.slice(0, n - 1)}…` : s; }

/** A horizontal bar chart of [label, value, className?] rows; `title` names it. */
export function bars(title, rows, { total } = {}) {
  const shown = rows.slice(0, MAX_ROWS);
  const max = Math.max(1, total ?? 0, ...shown.map((r) => r[1]));
  const h = ROW * shown.length + 4;
  const svg = el('svg', { class: 'chart', role: 'img', width: LABEL + BAR + 50, height: h, viewBox: `0 0 ${LABEL + BAR + 50} ${h}` });
  svg.append(el('title', {}, title));
  shown.forEach(([label, value, cls], i) => {
    const y = i * ROW + 2;
    const g = el('g', { class: 'bar-row' });
    g.append(el('text', { x: LABEL - 6, y: y + ROW * 0.7, 'text-anchor': 'end', class: 'chart-label' }, clip(String(label))));
    g.append(el('rect', { x: LABEL, y: y + 2, width: Math.max(value > 0 ? 2 : 0, (BAR * value) / max), height: ROW - 6, class: `chart-bar ${cls || ''}` }));
    g.append(el('text', { x: LABEL + (BAR * value) / max + 4, y: y + ROW * 0.7, class: 'chart-value' }, String(value)));
    const tip = el('title', {}, `${label}: ${value}`);
    g.append(tip);
    svg.append(g);
  });
  return svg;
}

function block(title, chart, note) {
  const fig = document.createElement('figure');
  fig.className = 'figure';
  const cap = document.createElement('figcaption');
  cap.textContent = title;
  fig.append(cap, chart);
  if (note) {
    const p = document.createElement('p');
    p.className = 'figure-note';
    p.textContent = note;
    fig.append(p);
  }
  return fig;
}

const counts = (xs) => xs.map((c) => [c.key === 'unknown' ? t('fig_unknown') : c.key, c.tips]);

function share(title, s) {
  const rows = [[t('fig_yes'), s.yes, 'yes']];
  if (s.no !== null && s.no !== undefined) rows.push([t('fig_no'), s.no, 'no']);
  rows.push([t('fig_unknown'), s.unknown, 'unknown']);
  const pct = s.share === null ? '—' : `${Math.round(s.share * 100)} %`;
  return block(title, bars(title, rows, { total: s.total }), t('fig_share', { yes: s.yes, total: s.total, pct }));
}

/** Fills `root` with the charts of `f` (a `Figures` from the backend). */
export function drawFigures(root, f) {
  root.replaceChildren();
  const head = document.createElement('p');
  head.className = 'figure-note';
  head.textContent = t('fig_over', { n: f.tips });
  root.append(head);
  if (!f.tips) return;
  const h = f.hours_per_day;
  const hoursNote = h.median === null
    ? t('fig_hours_none')
    : t('fig_hours', { median: h.median, min: h.min, max: h.max, reported: h.reported, unknown: h.unknown });
  root.append(
    block(t('fig_country'), bars(t('fig_country'), counts(f.by_country))),
    block(t('fig_sector'), bars(t('fig_sector'), counts(f.by_sector))),
    block(t('fig_site'), bars(t('fig_site'), counts(f.by_site))),
    block(t('fig_hours_title'), bars(t('fig_hours_title'), h.buckets.map((b) => [b.label, b.tips])), hoursNote),
    share(t('fig_passports'), f.passports_taken),
    share(t('fig_wages'), f.wages_withheld),
  );
}
