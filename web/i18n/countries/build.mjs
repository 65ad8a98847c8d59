// Builds web/i18n/countries/{lang}.json from the npm package i18n-iso-countries (MIT):
// for each page language, every ISO 3166-1 alpha-2 code with its name in that language,
// sorted as that language sorts (Intl.Collator), so the server only has to print them.
//
// Usage: node web/i18n/countries/build.mjs PATH/TO/i18n-iso-countries/package
// (e.g. `npm pack i18n-iso-countries@7.14.0 && tar xzf i18n-iso-countries-7.14.0.tgz`).
// Overrides (names the witnesses use, not the package's) are listed below and in
// PROVENANCE.md; change both together.

import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const LANGS = ['ko', 'ru', 'zh', 'en', 'pl', 'nl', 'ar'];

// Korean is read by North Korean workers: their country is 조선, and the South is
// named as they name it, with the Southern name beside it so everyone recognises it.
const OVERRIDES = {
  ko: { KP: '조선 (조선민주주의인민공화국)', KR: '남조선 (대한민국)', RU: '러시아' },
};

const pkg = process.argv[2];
if (!pkg) throw new Error('usage: node build.mjs PATH/TO/i18n-iso-countries/package');
const here = dirname(fileURLToPath(import.meta.url));

for (const lang of LANGS) {
  const { countries } = JSON.parse(readFileSync(join(pkg, 'langs', `${lang}.json`), 'utf8'));
  const names = Object.entries(countries).map(([code, name]) => {
    // Where the package gives several names, the shortest is the everyday one
    // ("Russia", not "Russian Federation").
    const pick = Array.isArray(name) ? [...name].sort((a, b) => a.length - b.length)[0] : name;
    return [code, (OVERRIDES[lang] || {})[code] || pick];
  });
  const collator = new Intl.Collator(lang);
  names.sort((a, b) => collator.compare(a[1], b[1]));
  const out = names.map(([code, name]) => `  {"code": "${code}", "name": ${JSON.stringify(name)}}`).join(',\n');
  writeFileSync(join(here, `${lang}.json`), `[\n${out}\n]\n`);
}
