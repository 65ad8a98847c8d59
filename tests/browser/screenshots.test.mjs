// Screenshots of the form in Korean, Arabic and English on a phone-sized and a desktop-sized
// window, saved as docs/screenshots/{lang}-{phone,desktop}.png (linked from the README).
// Also checks that the glyphs really render (no missing-glyph boxes) and that Arabic mirrors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, shot, waitForReady } from './harness.mjs';

const SIZES = { phone: { width: 360, height: 800 }, desktop: { width: 1280, height: 900 } };
// Text in each script, checked against a code point no font has (U+10FFFD renders as the
// missing-glyph box): if the script's font is missing, both render as the same boxes.
const SAMPLES = { ko: '노동자 여권', ar: 'العمال جوازات', en: 'Workers passports' };

/** Whether `text` renders differently from the same number of missing glyphs. */
function rendersGlyphs(text) {
  const draw = (s) => {
    const c = document.createElement('canvas');
    c.width = 600; c.height = 60;
    const x = c.getContext('2d');
    x.font = `32px ${getComputedStyle(document.body).fontFamily}`;
    x.fillStyle = '#000';
    x.fillText(s, 10, 40);
    return c.toDataURL();
  };
  const missing = [...text].map((ch) => (ch === ' ' ? ' ' : '\u{10FFFD}')).join('');
  return draw(text) !== draw(missing);
}

for (const [lang, sample] of Object.entries(SAMPLES)) {
  test(`screenshots in ${lang} (phone and desktop)`, async () => {
    const server = await startServer();
    try {
      for (const [kind, viewport] of Object.entries(SIZES)) {
        const b = await launch({ viewport });
        try {
          const page = b.page;
          await page.goto(`${server.url}/${lang}/`);
          await waitForReady(page);
          await page.evaluate(() => document.fonts.ready);
          assert.ok(await page.evaluate(rendersGlyphs, sample), `${lang}: the script's glyphs render (fonts-noto-cjk / fonts-noto-core installed?)`);
          const layout = await page.evaluate(() => {
            const h1 = document.createRange();
            h1.selectNodeContents(document.querySelector('h1'));
            const r = h1.getBoundingClientRect();
            return {
              dir: document.documentElement.dir,
              scrollWidth: document.documentElement.scrollWidth,
              clientWidth: document.documentElement.clientWidth,
              h1Left: r.left,
              h1Right: document.documentElement.clientWidth - r.right,
            };
          });
          assert.ok(layout.scrollWidth <= layout.clientWidth, `${lang}-${kind}: no horizontal scrolling (${JSON.stringify(layout)})`);
          if (lang === 'ar') assert.ok(layout.h1Right < layout.h1Left, `ar-${kind}: the title starts on the right (${JSON.stringify(layout)})`);
          else assert.ok(layout.h1Left <= layout.h1Right, `${lang}-${kind}: the title starts on the left`);
          const file = await shot(page, `${lang}-${kind}`);
          console.log(`saved ${file}`);
        } finally {
          await b.close();
        }
      }
    } finally {
      await server.stop();
    }
  });
}
