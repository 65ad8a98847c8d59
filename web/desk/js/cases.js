// The Cases view: the list of suggested and confirmed cases, a case's page (its tips,
// the facts they agree or disagree on, independence flags, minders seen elsewhere, its
// figures), the decisions (confirm, name, split, merge) and the export. Every decision,
// check and export is the backend's (the reviewer library, as `tipseal review case` and
// `review export --case` run it); this file only shows and asks. Witness text goes in
// through textContent only.

import { get, post } from './api.js';
import { t } from './i18n.js';
import { drawFigures } from './charts.js';

const casePath = (id) => `/api/cases/${encodeURIComponent(id)}`;

function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...kids.filter((k) => k !== null && k !== undefined));
  return e;
}

const range = (r) => (r ? `${r[0]} – ${r[1]}` : '—');

export class CasesView {
  constructor(root, { say }) {
    this.root = root;
    this.say = say;
    this.list = [];
    this.current = null;
  }

  async showList() {
    this.current = null;
    this.root.replaceChildren(h('p', { class: 'count', text: t('cases_loading') }));
    this.list = await get('/api/cases');
    this.drawList();
  }

  drawList() {
    const table = h('table', { class: 'cases', id: 'cases-table' });
    table.append(h('thead', {}, h('tr', {},
      ...['case_name', 'case_tips', 'case_languages', 'case_dates', 'case_status', 'case_reasons'].map((k) => h('th', { text: t(k) })))));
    const body = h('tbody');
    for (const c of this.list) {
      const open = h('a', { href: `#case/${c.id}`, class: 'case-link', text: c.name || c.title });
      const reasons = h('details', {}, h('summary', { text: t('case_n_reasons', { n: c.reasons.length }) }),
        h('ul', {}, ...c.reasons.map((r) => h('li', { text: r }))));
      body.append(h('tr', { 'data-case': c.id },
        h('td', {}, open, h('div', { class: 'muted', text: c.id })),
        h('td', { text: String(c.tips) }),
        h('td', { text: c.languages.join(', ') }),
        h('td', { text: range(c.observed || c.received) }),
        h('td', { class: `case-status ${c.status}`, text: t(`case_${c.status}`) }),
        h('td', {}, reasons)));
    }
    table.append(body);
    this.root.replaceChildren(
      h('h2', { text: t('cases') }),
      h('p', { class: 'count', id: 'cases-count', text: t('cases_count', { n: this.list.length }) }),
      this.list.length ? table : h('p', { text: t('cases_none') }),
    );
  }

  async open(id) {
    if (!this.list.length) this.list = await get('/api/cases');
    const v = await get(casePath(id));
    this.current = v;
    this.draw(v);
  }

  async act(action) {
    const id = this.current.case.id;
    const r = await post(casePath(id), action);
    if (!r.ok) { this.say(t('case_refused', { reason: r.refusal }), true); return; }
    this.say(t('case_recorded', { seq: r.seq }));
    this.list = await get('/api/cases');
    // A split or merge gives new ids: back to the list; otherwise stay on the case.
    if (this.list.some((c) => c.id === id) && (action.action === 'confirm' || action.action === 'name')) {
      await this.open(id);
    } else {
      this.drawList();
    }
  }

  draw(v) {
    const c = v.case;
    const back = h('a', { href: '#cases', id: 'cases-back', text: t('cases_back') });
    const head = h('div', { class: 'tip-head' },
      h('h2', { id: 'case-title', text: c.name || c.title }),
      h('span', { class: `case-status ${c.status}`, id: 'case-status', text: c.status === 'confirmed' ? t('case_confirmed_by', { who: c.confirmed_by || '?' }) : t('case_suggested') }),
      back);
    const facts = h('dl', { class: 'report', id: 'case-facts' });
    for (const f of v.facts) {
      facts.append(h('dt', { text: f.fact }), h('dd', {}, h('span', { class: `verdict ${f.verdict.replace(/ /g, '-')}`, text: t(`verdict_${f.verdict.replace(/ /g, '_')}`) }), ` ${f.summary}`,
        f.verdict === 'as written' ? h('ul', {}, ...f.values.map(([tip, val]) => h('li', { dir: 'auto', text: `${tip}: ${val}` }))) : null));
    }
    const tips = h('ul', { class: 'case-tips', id: 'case-tips' });
    for (const tp of v.tips) {
      tips.append(h('li', {},
        h('label', {}, h('input', { type: 'checkbox', class: 'split-pick', value: tp.id, 'aria-label': t('case_pick', { id: tp.short }) })),
        ' ',
        h('a', { href: `#tip/${tp.id}`, class: 'tip-link', text: tp.short }),
        ` ${tp.received} · ${tp.language || '?'} · `,
        h('span', { dir: 'auto', text: [tp.site, tp.city].filter(Boolean).join(', ') || t('case_site_unnamed') })));
    }
    const minders = h('ul', { id: 'case-minders' });
    for (const m of v.minders) {
      minders.append(h('li', {}, h('span', { dir: 'auto', text: m.written.join(' / ') }), ` — ${t('case_in_tips', { n: m.tips.length })}`,
        m.also_at.length ? h('ul', { class: 'also-at' }, ...m.also_at.map((a) => h('li', { dir: 'auto', text: t('case_also_at', { where: a }) }))) : null));
    }
    const independence = v.independence.length
      ? h('ul', { class: 'warnings', id: 'case-independence' }, ...v.independence.map((i) => h('li', { text: i })))
      : h('p', { id: 'case-independence', text: t('case_independent') });
    const figures = h('div', { class: 'figures', id: 'case-figures' });
    drawFigures(figures, v.figures);

    this.root.replaceChildren(
      head,
      h('p', { class: 'muted', text: `${c.id} · ${t('case_tips')}: ${c.tips} · ${c.languages.join(', ')} · ${t('case_observed')}: ${range(c.observed)} · ${t('case_received')}: ${range(c.received)}` }),
      this.actions(v),
      h('section', { class: 'box' }, h('h3', { text: t('case_tips_title') }), tips),
      h('section', { class: 'box' }, h('h3', { text: t('case_facts') }), v.facts.length ? facts : h('p', { text: t('case_no_facts') })),
      h('section', { class: 'box' }, h('h3', { text: t('case_minders') }), v.minders.length ? minders : h('p', { text: t('case_no_minders') })),
      h('section', { class: 'box' }, h('h3', { text: t('case_independence') }), independence),
      h('section', { class: 'box' }, h('h3', { text: t('case_reasons') }), h('ul', {}, ...c.reasons.map((r) => h('li', { text: r })))),
      h('section', { class: 'box' }, h('h3', { text: t('figures') }), figures),
      this.exportBox(c),
    );
  }

  actions(v) {
    const c = v.case;
    const box = h('section', { class: 'box case-actions' }, h('h3', { text: t('case_decide') }));
    const name = h('input', { id: 'case-name', size: '30', maxlength: '80', 'aria-label': t('case_name_label'), placeholder: t('case_name_label') });
    name.value = c.name || '';
    const guard = (f) => async () => { try { await f(); } catch (e) { this.say(t('error', { message: e.message }), true); } };
    if (c.status === 'suggested') {
      const confirm = h('button', { type: 'button', id: 'case-confirm', text: t('case_confirm') });
      confirm.addEventListener('click', guard(() => this.act({ action: 'confirm', name: name.value.trim() || null })));
      box.append(h('p', {}, name, ' ', confirm));
    } else {
      const rename = h('button', { type: 'button', id: 'case-rename', text: t('case_rename') });
      rename.addEventListener('click', guard(() => this.act({ action: 'name', name: name.value.trim() })));
      box.append(h('p', {}, name, ' ', rename));
    }
    const split = h('button', { type: 'button', id: 'case-split', text: t('case_split') });
    split.addEventListener('click', guard(() => {
      const tips = [...this.root.querySelectorAll('.split-pick:checked')].map((x) => x.value);
      if (!tips.length) { this.say(t('case_split_pick'), true); return Promise.resolve(); }
      return this.act({ action: 'split', tips });
    }));
    const others = h('select', { id: 'case-merge-with', 'aria-label': t('case_merge_with') },
      h('option', { value: '', text: t('case_merge_with') }),
      ...this.list.filter((o) => o.id !== c.id).map((o) => h('option', { value: o.id, text: `${o.name || o.title} (${o.tips})` })));
    const merge = h('button', { type: 'button', id: 'case-merge', text: t('case_merge') });
    merge.addEventListener('click', guard(() => {
      if (!others.value) { this.say(t('case_merge_pick'), true); return Promise.resolve(); }
      return this.act({ action: 'merge', with: [others.value] });
    }));
    box.append(h('p', {}, split, ' ', h('span', { class: 'muted', text: t('case_split_help') })), h('p', {}, others, ' ', merge));
    return box;
  }

  exportBox(c) {
    const box = h('section', { class: 'box', id: 'case-export' }, h('h3', { text: t('export_title') }));
    const format = h('select', { id: 'export-format', 'aria-label': t('export_format') },
      ...['markdown', 'json', 'csv'].map((f) => h('option', { value: f, text: f })));
    const redact = h('input', { type: 'checkbox', id: 'export-redact' });
    const prepare = h('button', { type: 'button', id: 'export-prepare', text: t('export_prepare') });
    const step = h('div', { id: 'export-step' });
    box.append(h('p', {}, h('label', {}, `${t('export_format')} `, format), ' ', h('label', {}, redact, ` ${t('export_redact')}`), ' ', prepare), step);
    prepare.addEventListener('click', async () => {
      try {
        const plan = await get(`${casePath(c.id)}/export?format=${format.value}&redact=${redact.checked}`);
        this.drawExportStep(step, c, format.value, redact.checked, plan);
      } catch (e) { this.say(t('error', { message: e.message }), true); }
    });
    return box;
  }

  drawExportStep(step, c, format, redact, plan) {
    // The re-identification flags first, then the plaintext warning, then the folder.
    const flags = plan.flags.length
      ? h('div', { class: 'warnings', id: 'export-flags' }, h('p', { text: t('export_flags', { n: plan.flags.length }) }),
        h('ul', {}, ...plan.flags.map((f) => h('li', { text: f }))),
        redact ? null : h('p', { text: t('export_flags_redact') }))
      : h('p', { id: 'export-flags', text: t('export_no_flags') });
    const warning = h('p', { class: 'warnings', id: 'export-warning', text: t(redact ? 'export_warning_redacted' : 'export_warning', { n: plan.tips }) });
    const out = h('input', { id: 'export-out', size: '40', placeholder: t('export_out_placeholder'), 'aria-label': t('export_out') });
    const understood = h('input', { type: 'checkbox', id: 'export-understood' });
    const write = h('button', { type: 'button', id: 'export-write', text: t('export_write') });
    const result = h('div', { id: 'export-result', role: 'status' });
    write.addEventListener('click', async () => {
      if (!understood.checked) { this.say(t('export_confirm_first'), true); return; }
      try {
        const done = await post(`${casePath(c.id)}/export`, { format, redact, out: out.value.trim(), plaintext_understood: true });
        result.replaceChildren(h('p', { class: 'verified', text: t('export_done', { dir: done.dir, n: done.files.length, who: done.signer }) }),
          h('ul', {}, ...done.files.map((f) => h('li', { text: f }))),
          h('p', { class: 'muted', text: t('export_verify_hint', { dir: done.dir }) }));
        this.say(t('export_done', { dir: done.dir, n: done.files.length, who: done.signer }));
      } catch (e) { this.say(t('error', { message: e.message }), true); }
    });
    step.replaceChildren(flags, warning,
      h('p', { class: 'muted', text: t('export_files', { files: plan.files.join(', ') }) }),
      h('p', {}, h('label', {}, `${t('export_out')} `, out)),
      h('p', {}, h('label', {}, understood, ` ${t('export_understood')}`)),
      h('p', {}, write), result);
  }
}
