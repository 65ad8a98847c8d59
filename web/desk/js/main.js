// The desk page: wires the inbox, the filters, bulk actions, the tip view, sync, the
// language switch and the keyboard shortcuts. No state is kept in the browser's storage.

import { get, post, query, triage } from './api.js';
import { use, pick, t, statusName, apply } from './i18n.js';
import { Inbox } from './inbox.js';
import { TipView } from './tip.js';
import { CasesView } from './cases.js';
import { drawFigures } from './charts.js';

// The domain's statuses (`domain::triage::Status`); which moves are legal is the backend's
// answer (`next_statuses`), never decided here.
const STATUSES = ['new', 'in_review', 'needs_information', 'corroborated', 'referred', 'closed', 'dismissed'];
const $ = (id) => document.getElementById(id);
/** The select value for "unassigned" (the API's empty assignee). */
const NONE = '-none-';

let inbox;
let view;
let cases;
let reviewers = [];
let vocabulary = [];

function say(text, bad = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('bad', bad);
}

function fill(select, items, first) {
  const keep = select.value;
  select.replaceChildren();
  if (first) select.append(new Option(first[1], first[0]));
  for (const [value, text] of items) select.append(new Option(text, value));
  select.value = keep;
  if (select.value !== keep) select.selectedIndex = 0;
}

function fillLists() {
  fill($('f-status'), STATUSES.map((s) => [s, statusName(s)]), ['', t('any')]);
  fill($('f-assignee'), [[NONE, t('unassigned')], ...reviewers.map((r) => [r, r])], ['', t('any')]);
  fill($('bulk-status'), STATUSES.map((s) => [s, statusName(s)]), ['', t('bulk_status')]);
  fill($('bulk-assign'), [[NONE, t('unassigned')], ...reviewers.map((r) => [r, r])], ['', t('bulk_assign')]);
  $('vocab').replaceChildren(...vocabulary.map((v) => new Option(v)));
}

function filters() {
  const f = $('filters');
  return {
    text: f.text.value.trim(),
    status: f.status.value,
    label: f.label.value.trim(),
    assignee: f.assignee.value,
    sector: f.sector.value.trim(),
    country: f.country.value.trim().toUpperCase(),
    city: f.city.value.trim(),
    from: f.from.value,
    to: f.to.value,
    starred: f.starred.checked,
    unread: f.unread.checked,
    has_attachments: f.has_attachments.checked,
    reminder_due: f.reminder_due.checked,
  };
}

function inboxQuery() {
  const q = filters();
  // Unassigned is the empty string, which query() leaves out: add it by hand.
  const unassigned = q.assignee === NONE;
  if (unassigned) delete q.assignee;
  let qs = query(q);
  if (unassigned) qs += `${qs ? '&' : '?'}assignee=`;
  return qs;
}

/** The figures of the inbox's current filter, drawn only while their box is open. */
async function reloadFigures() {
  if (!$('inbox-figures-box').open) return;
  try {
    drawFigures($('inbox-figures'), await get(`/api/figures${inboxQuery()}`));
  } catch (e) {
    $('inbox-figures').textContent = t('error', { message: e.message });
  }
}

/** Inbox or Cases, from the address's fragment: #inbox, #cases, #case/ID, #tip/ID. */
async function route() {
  const hash = decodeURIComponent(location.hash.slice(1));
  const onCases = hash === 'cases' || hash.startsWith('case/');
  $('inbox-pane').hidden = onCases;
  $('tip-pane').hidden = onCases || !view.tip;
  $('cases-pane').hidden = !onCases;
  $('tab-inbox').classList.toggle('active', !onCases);
  $('tab-cases').classList.toggle('active', onCases);
  $('tab-inbox').toggleAttribute('aria-current', !onCases);
  $('tab-cases').toggleAttribute('aria-current', onCases);
  try {
    if (hash === 'cases') await cases.showList();
    else if (hash.startsWith('case/')) await cases.open(hash.slice(5));
    else if (hash.startsWith('tip/')) { await view.open(hash.slice(4)); await reload(); }
  } catch (e) {
    say(t('error', { message: e.message }), true);
  }
}

async function reload() {
  const qs = inboxQuery();
  reloadFigures();
  try {
    const t0 = performance.now();
    const rows = await get(`/api/inbox${qs}`);
    const t1 = performance.now();
    inbox.set(rows);
    $('inbox-count').textContent = t('inbox_count', { n: rows.length });
    // Measured for the browser test: the fetch (server + JSON) and the render apart.
    document.body.dataset.inboxFetchMs = String(Math.round(t1 - t0));
    document.body.dataset.inboxRenderMs = String(Math.round(performance.now() - t1));
  } catch (e) {
    say(t('error', { message: e.message }), true);
  }
}

async function refreshRows(ids) {
  // A changed tip may leave the filtered view: reload the whole list (one request).
  if (ids.length) await reload();
  vocabulary = await get('/api/vocabulary');
  fillLists();
}

async function bulk(request) {
  const ids = inbox.selectedIds();
  if (!ids.length) return;
  try {
    const outcomes = await triage(ids, request);
    const refused = outcomes.filter((o) => !o.ok);
    if (refused.length) {
      say(t('outcome_refused', { n: refused.length, reasons: [...new Set(refused.map((o) => o.refusal))].join('; ') }), true);
    } else {
      say([t('bulk_done', { n: outcomes.length }), ...new Set(outcomes.flatMap((o) => o.notices || []))].join(' '));
    }
    await refreshRows(ids);
    if (view.tip && ids.includes(view.tip.id)) await view.open(view.tip.id);
  } catch (e) {
    say(t('error', { message: e.message }), true);
  }
}

async function open(row) {
  try {
    await view.open(row.id);
    await reload();
  } catch (e) {
    say(t('error', { message: e.message }), true);
  }
}

async function star(row) {
  try {
    await triage([row.id], { star: !row.starred });
    await refreshRows([row.id]);
    if (view.tip && view.tip.id === row.id) await view.open(row.id);
  } catch (e) {
    say(t('error', { message: e.message }), true);
  }
}

async function sync() {
  say(t('syncing'));
  try {
    const r = await post('/api/sync', {});
    say(t('synced', { tips: r.new_tips, messages: r.new_messages, events: r.new_events }));
    if (r.refused.length) say(`${t('synced', { tips: r.new_tips, messages: r.new_messages, events: r.new_events })} ${t('sync_refused', { n: r.refused.length })}`, true);
    await refreshRows(['*']);
  } catch (e) {
    say(t('error', { message: e.message }), true);
  }
}

function typing(target) {
  return target.closest('input, textarea, select, [contenteditable]');
}

function keys(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key === 'Escape') {
    if (typing(ev.target)) { ev.target.blur(); return; }
    if (!$('tip-pane').hidden) { view.close(); $('inbox').focus(); }
    return;
  }
  if (typing(ev.target) || $('help').open || !$('cases-pane').hidden) return;
  const cur = inbox.current();
  switch (ev.key) {
    case 'j': inbox.move(1); break;
    case 'k': inbox.move(-1); break;
    case 'o': case 'Enter': if (cur) open(cur); break;
    case 'x': inbox.toggleSelect(); break;
    case 's': if (cur) star(cur); break;
    case 'l':
      if (inbox.selectedIds().length || $('tip-pane').hidden) $('bulk-label').focus();
      else $('t-label')?.focus();
      break;
    case 'a':
      if (inbox.selectedIds().length || $('tip-pane').hidden) $('bulk-assign').focus();
      else $('t-assignee')?.focus();
      break;
    case '/': $('q').focus(); break;
    case '?': $('help').showModal(); break;
    default: return;
  }
  ev.preventDefault();
}

async function start() {
  await use(pick());
  $('lang').value = document.documentElement.lang;
  inbox = new Inbox($('inbox'), $('inbox-spacer'), {
    onOpen: open,
    onStar: star,
    onSelectionChange: (n) => {
      $('selected-count').textContent = t('selected', { n });
      $('bulk').classList.toggle('active', n > 0);
    },
  });
  const [me, r, v] = await Promise.all([get('/api/me'), get('/api/reviewers'), get('/api/vocabulary')]);
  reviewers = r;
  vocabulary = v;
  $('me').textContent = me.name;
  view = new TipView($('tip-pane'), { reviewers, vocabulary, onChanged: refreshRows, say });
  fillLists();

  let timer = null;
  const later = () => { clearTimeout(timer); timer = setTimeout(reload, 150); };
  $('filters').addEventListener('input', later);
  $('filters').addEventListener('change', later);
  $('filters').addEventListener('submit', (ev) => { ev.preventDefault(); reload(); });
  $('filters').addEventListener('reset', () => setTimeout(reload, 0));
  $('bulk-status').addEventListener('change', (ev) => { if (ev.target.value) bulk({ status: ev.target.value }); ev.target.selectedIndex = 0; });
  $('bulk-assign').addEventListener('change', (ev) => {
    const v = ev.target.value;
    if (v) bulk({ assign: v === NONE ? '' : v });
    ev.target.selectedIndex = 0;
  });
  $('bulk-label-apply').addEventListener('click', () => { const l = $('bulk-label').value.trim(); if (l) { bulk({ add_labels: [l] }); $('bulk-label').value = ''; } });
  $('bulk-label').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); $('bulk-label-apply').click(); } });
  $('bulk-clear').addEventListener('click', () => inbox.clearSelection());
  $('sync').addEventListener('click', sync);
  $('help-open').addEventListener('click', () => $('help').showModal());
  $('lang').addEventListener('change', async (ev) => {
    await use(ev.target.value);
    fillLists();
    inbox.redrawAll();
    $('inbox-count').textContent = t('inbox_count', { n: inbox.rows.length });
    $('selected-count').textContent = t('selected', { n: inbox.selectedIds().length });
    if (view.tip) view.render(view.tip);
    apply(document);
    reloadFigures();
    if (!$('cases-pane').hidden) route();
  });
  document.addEventListener('keydown', keys);
  cases = new CasesView($('cases-pane'), { say });
  $('inbox-figures-box').addEventListener('toggle', reloadFigures);
  window.addEventListener('hashchange', route);
  await reload();
  await route();
  $('inbox').focus();
  document.body.dataset.ready = '1';
}

start().catch((e) => say(`Error: ${e.message}`, true));
