// UI text: en.json or ko.json from the desk itself, chosen from navigator.language and
// switchable. Only textContent and attributes are set: never HTML from a translation.

const SUPPORTED = ['en', 'ko'];
let strings = {};
let fallback = {};
let current = 'en';

export function pick() {
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (SUPPORTED.includes(base)) return base;
  }
  return 'en';
}

async function load(lang) {
  const res = await fetch(`/i18n/${lang}.json`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`cannot load the ${lang} text`);
  return res.json();
}

export async function use(lang) {
  if (!SUPPORTED.includes(lang)) lang = 'en';
  if (!Object.keys(fallback).length) fallback = await load('en');
  strings = lang === 'en' ? fallback : await load(lang);
  current = lang;
  document.documentElement.lang = lang;
  apply(document);
}

export function lang() { return current; }

/** The text for `key` with `{name}` replaced from `vars`; the key itself if unknown. */
export function t(key, vars = {}) {
  const s = strings[key] ?? fallback[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** True if a translation exists (statuses and report fields fall back to their raw name). */
export function has(key) { return key in strings || key in fallback; }

export function apply(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
}

/** A status's name in the UI language. */
export function statusName(s) { return has(`status_${s}`) ? t(`status_${s}`) : s; }
