// Checks a sealed-tip plaintext against the published schema before the page seals it
// (docs/schema/sealed-tip-v1.json; tipschema.js is its copy, generated from the Rust
// types). Knows only the keywords that schema uses; plus the two rules a schema cannot
// say: attachment parts numbered 1, 2, … in order, and a report that says something.
//
// Must never: fetch anything, or hold a rule of its own that the schema could carry.

import SCHEMA from './tipschema.js';

const TYPES = {
  null: (v) => v === null,
  boolean: (v) => typeof v === 'boolean',
  string: (v) => typeof v === 'string',
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  array: (v) => Array.isArray(v),
  object: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
};
const regexps = new Map();
const re = (p) => regexps.get(p) || regexps.set(p, new RegExp(p, 'u')).get(p);

/** Problems of `v` at `path` against schema `s`: [{ field, problem }]. */
function check(s, v, path, out) {
  if (s.$ref) return check(SCHEMA.$defs[s.$ref.slice('#/$defs/'.length)], v, path, out);
  const bad = (problem) => { out.push({ field: path, problem }); };
  if (s.anyOf) {
    // None fits: report the branch that came closest (fewest problems at this level).
    const tries = s.anyOf.map((x) => check(x, v, path, []));
    const score = (e) => e.filter((p) => p.field === path).length * 1000 + e.length;
    if (!tries.some((e) => e.length === 0)) out.push(...tries.reduce((a, b) => (score(b) < score(a) ? b : a)));
  }
  if (s.not && check(s.not, v, path, []).length === 0) bad('not allowed');
  const types = s.type === undefined ? null : [].concat(s.type);
  if (types && !types.some((t) => TYPES[t](v))) { bad(`must be ${types.join(' or ')}`); return out; }
  if ('const' in s && v !== s.const) bad(`must be ${JSON.stringify(s.const)}`);
  if (s.enum && !s.enum.includes(v)) bad('not one of the allowed values');
  if (typeof v === 'string') {
    const n = [...v].length;
    if (n > (s.maxLength ?? Infinity) || n < (s.minLength ?? 0)) bad('wrong length');
    if (s.pattern && !re(s.pattern).test(v)) bad('wrong form');
  }
  if (typeof v === 'number' && (v < (s.minimum ?? -Infinity) || v > (s.maximum ?? Infinity))) bad('out of range');
  if (Array.isArray(v)) {
    if (v.length > (s.maxItems ?? Infinity)) bad('too many');
    if (s.items) v.forEach((x, i) => check(s.items, x, `${path}[${i}]`, out));
  } else if (TYPES.object(v)) {
    for (const k of s.required || []) if (!(k in v)) out.push({ field: path ? `${path}.${k}` : k, problem: 'missing' });
    for (const [k, x] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      if (s.properties && k in s.properties) check(s.properties[k], x, p, out);
      else if (s.additionalProperties === false) out.push({ field: p, problem: 'unknown field' });
    }
  }
  return out;
}

/** Whether a tip document says something (TipDocument::has_content). */
export function hasContent(doc) {
  return Boolean(doc && (doc.worksite || doc.workers || (doc.minders && doc.minders.length)
    || (typeof doc.narrative === 'string' && doc.narrative.trim())));
}

/** Everything wrong with a sealed-tip object, [] when it may be sealed. */
export function checkSealedTip(sealed) {
  const out = check(SCHEMA, sealed, '', []);
  const list = Array.isArray(sealed && sealed.attachments) ? sealed.attachments : [];
  list.forEach((a, i) => { if (a && a.part !== i + 1) out.push({ field: `attachments[${i}].part`, problem: `must be ${i + 1}` }); });
  if (out.length === 0 && !hasContent(sealed.tip) && list.length === 0) out.push({ field: 'tip', problem: 'the report is empty' });
  return out;
}
