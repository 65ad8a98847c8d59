// Translations, templates and the page's rules (CSP, no storage, no third parties),
// checked statically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('../', import.meta.url));
const read = (p) => readFileSync(WEB + p, 'utf8');
const LANGS = { ko: '조선어', ru: 'Русский', zh: '中文', en: 'English', pl: 'Polski', nl: 'Nederlands', ar: 'العربية' };
const en = JSON.parse(read('i18n/en.json'));
const PAGES = ['form.html', 'receipt.html', 'error.html', 'followup.html'];
const TEMPLATES = ['base.html', ...PAGES];

test('there is a strings file for each of the seven languages and nothing else', () => {
  const files = Object.keys(LANGS).map((l) => `${l}.json`).sort();
  // Beside the strings: the country names and the glossary of each language.
  assert.deepEqual(readdirSync(WEB + 'i18n').sort(), [...files, 'countries', 'glossary'].sort());
  for (const dir of ['countries', 'glossary']) {
    const json = readdirSync(WEB + `i18n/${dir}`).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(json, files, `i18n/${dir}`);
  }
});

for (const [lang, name] of Object.entries(LANGS)) {
  test(`${lang}.json has every key en.json has, no other, all non-empty, same placeholders`, () => {
    const t = JSON.parse(read(`i18n/${lang}.json`));
    assert.deepEqual(Object.keys(t).sort(), Object.keys(en).sort());
    for (const [k, v] of Object.entries(t)) {
      assert.equal(typeof v, 'string', k);
      assert.ok(v.trim().length > 0, `${lang}.${k} is empty`);
      assert.deepEqual(v.match(/\{\w+\}/g) || [], en[k].match(/\{\w+\}/g) || [], `${lang}.${k} placeholders`);
      assert.ok(!/[<>]/.test(v), `${lang}.${k} holds markup`);
    }
    assert.equal(t.lang_name, name);
    if (lang !== 'en') {
      const same = Object.keys(t).filter((k) => t[k] === en[k] && !/^(sector_it|retry)$/.test(k));
      assert.ok(same.length <= 3, `${lang}: untranslated: ${same.join(', ')}`);
    }
  });
}

test('every string the templates use exists', () => {
  for (const name of TEMPLATES) {
    const src = read(`templates/${name}`);
    for (const m of src.matchAll(/\bt\.([a-z_0-9]+)/g)) assert.ok(m[1] in en, `${name}: t.${m[1]}`);
    for (const m of src.matchAll(/\{%-?\s*for (\w+) in \[([^\]]*)\]\s*%\}([\s\S]*?)\{%-?\s*endfor/g)) {
      const [, v, list, body] = m;
      const prefixes = [...body.matchAll(new RegExp(`t\\["([a-z_]+)" ~ ${v}\\]`, 'g'))].map((x) => x[1]);
      for (const item of list.match(/"([^"]+)"/g).map((s) => s.slice(1, -1))) {
        for (const p of prefixes) assert.ok(p + item in en, `${name}: ${p}${item}`);
      }
    }
  }
  for (const f of ['app.js', 'followup.js']) {
    const src = read(`static/${f}`);
    for (const m of src.matchAll(/\bt\.([a-z_0-9]+)/g)) assert.ok(m[1] in en, `${f}: t.${m[1]}`);
  }
});

test('templates: html lang and dir, no inline script or style, no event handlers', () => {
  assert.match(read('templates/base.html'), /<html lang="\{\{ lang \}\}" dir="\{\{ dir \}\}">/);
  for (const name of PAGES) assert.match(read(`templates/${name}`), /^\{% extends "base.html" %\}/, name);
  for (const name of TEMPLATES) {
    const src = read(`templates/${name}`);
    assert.ok(!/<style/i.test(src), `${name}: <style>`);
    assert.ok(!/\sstyle=/i.test(src), `${name}: style attribute`);
    assert.ok(!/\son[a-z]+=/i.test(src), `${name}: event handler attribute`);
    assert.ok(!/javascript:/i.test(src), `${name}: javascript: URL`);
    for (const m of src.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      const [, attrs, body] = m;
      if (/type="application\/json"/.test(attrs)) continue;
      assert.match(attrs, /src="\/static\/[a-z]+\.js"/, `${name}: a script without src`);
      assert.equal(body.trim(), '', `${name}: inline script`);
    }
    for (const m of src.matchAll(/(?:src|href|action)="([^"]*)"/g)) {
      const url = m[1];
      assert.ok(url.startsWith('/') || url.startsWith('{{ exit_url }}'), `${name}: ${url} is not on this server`);
    }
  }
});

test('the form has exactly the fields of docs/web.md, every control has a label', () => {
  const src = read('templates/form.html');
  const formSrc = src.slice(src.indexOf('<form'), src.indexOf('</form>'));
  const names = new Set([...formSrc.matchAll(/\sname="([^"]+)"/g)].map((m) => m[1].replace(/\{\{ n \}\}/, 'N')));
  const expected = [
    'language', 'worksite.name', 'worksite.employer', 'worksite.contractor', 'worksite.agency', 'worksite.sector',
    'worksite.country', 'worksite.city', 'worksite.address', 'worksite.observed_from', 'worksite.observed_to',
    'workers.count', 'workers.nationality', 'workers.hours_per_day', 'workers.rest_days_per_month',
    'workers.passports_held_by_others', 'workers.wages', 'workers.housing', 'workers.movement_restricted',
    'workers.injuries', 'minders.N.name_or_alias', 'minders.N.role', 'minders.N.description', 'minders.N.actions',
    'witness.relation', 'witness.may_contact', 'narrative', 'attachments', 'keep_all_metadata', 'sealed_by',
    // Transport, not tip content: the no-JavaScript post's single-use token (docs/web.md).
    'form_token',
  ];
  assert.deepEqual([...names].sort(), expected.sort());
  assert.match(src, /<form [^>]*method="post" action="\/\{\{ lang \}\}\/submit" enctype="multipart\/form-data"/);
  const ids = [...src.matchAll(/<(?:input|select|textarea)\b[^>]*\sid="([^"]+)"/g)].map((m) => m[1]);
  const fors = new Set([...src.matchAll(/<label\b[^>]*\sfor="([^"]+)"/g)].map((m) => m[1]));
  for (const id of ids) assert.ok(fors.has(id), `no label for #${id}`);
  assert.ok(ids.length > 30);
  assert.equal((src.match(/<fieldset/g) || []).length, (src.match(/<legend>/g) || []).length);
});

test('our scripts and styles use no eval, no storage, no cookies and nothing from elsewhere', () => {
  for (const f of ['app.js', 'envelope.js', 'exif.js', 'receipt.js', 'followup.js', 'validity.js', 'hold.js', 'tipcheck.js']) {
    // exif.js recognises XMP by its namespace name, which is not a request
    const src = read(`static/${f}`).replace("'http://ns.adobe.com/'", "''");
    for (const bad of [/\beval\s*\(/, /new Function/, /localStorage/, /sessionStorage/, /indexedDB/, /document\.cookie/, /https?:\/\//, /innerHTML/, /setTimeout\(\s*['"]/]) {
      assert.ok(!bad.test(src), `${f}: ${bad}`);
    }
  }
  const css = read('static/style.css');
  assert.ok(!/@import|@font-face|url\(/i.test(css), 'style.css loads something');
  for (const physical of [/margin-left/, /margin-right/, /padding-left/, /padding-right/, /text-align:\s*(left|right)/, /\bleft:/, /\bright:/, /float:/]) {
    assert.ok(!physical.test(css), `style.css uses a physical direction (${physical}); use logical properties`);
  }
});

test('the vendored sodium.js matches its recorded SHA-384 and has no eval', () => {
  const line = read('static/sodium.js.sha384').trim();
  const [hash, file] = line.split(/\s+/);
  assert.equal(file, 'sodium.js');
  const bytes = readFileSync(WEB + 'static/sodium.js');
  assert.equal(createHash('sha384').update(bytes).digest('hex'), hash);
  const src = bytes.toString('utf8');
  assert.ok(!/(^|[^A-Za-z0-9_$.])eval\(/.test(src) && !/new Function\(/.test(src));
  assert.match(read('static/sodium.js.LICENSE'), /ISC|Permission to use/);
});
