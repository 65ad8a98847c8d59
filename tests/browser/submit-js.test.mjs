// The JavaScript path in Korean and Arabic: a tip with a GPS-tagged JPEG, sealed in the
// browser, opened by `tipseal review show` with the same text and an image with no Exif.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, launch, reviewShow, reviewList, waitForReady, waitForReceipt } from './harness.mjs';
import {
  gpsJpeg, jpegMarkers, GPS_LAT_BYTES, GPS_LON_BYTES, submitWithJs, strings, tag, assertNotContains, watchFileNotes,
  fillForm,
} from './fixtures.mjs';

const CASES = {
  ko: {
    dir: 'ltr',
    file: '현장 사진.jpg',
    text: {
      site: '블라디보스토크 아파트 건설 현장',
      employer: '극동 건설 주식회사',
      city: '블라디보스토크',
      minder: '김 반장',
      minderDesc: '오십대 남자, 항상 휴대전화를 검사함',
      wages: '임금은 반장이 받고 우리는 조금만 받습니다',
      narrative: '저는 이 현장에서 일했습니다.\n노동자들은 하루 14시간 일하고 여권은 반장이 가지고 있습니다.\n밤에는 숙소 밖으로 나갈 수 없습니다.',
    },
  },
  ar: {
    dir: 'rtl',
    file: 'صورة الموقع.jpg',
    text: {
      site: 'مشروع مجمع سكني قرب الطريق الدائري السادس',
      employer: 'شركة مقاولات محلية',
      city: 'الكويت',
      minder: 'المشرف تشوي',
      minderDesc: 'رجل في الخمسينات، يرافق العمال دائماً',
      wages: 'يتسلم المشرف الرواتب ولا يحصل العمال إلا على القليل',
      narrative: 'كنت أعمل حارساً في الموقع.\nالعمال يعملون في الحر الشديد ولا يُسمح لهم بالخروج من السكن إلا في حافلة الشركة.',
    },
  },
};

for (const [lang, c] of Object.entries(CASES)) {
  test(`JS path in ${lang}: GPS-tagged JPEG, decrypted with the same text and no Exif`, async () => {
    const server = await startServer();
    const b = await launch({ viewport: { width: 360, height: 800 } });
    try {
      const mark = tag();
      const narrative = `${c.text.narrative}\n#${mark}`;
      const { withGps, withoutGps } = gpsJpeg();
      assert.notEqual(withGps.indexOf(GPS_LAT_BYTES), -1, 'the test JPEG carries the GPS latitude');
      assert.ok(jpegMarkers(withGps).includes(0xe1), 'the test JPEG has an APP1 segment');

      const values = {
        'worksite.name': c.text.site,
        'worksite.employer': c.text.employer,
        'worksite.sector': 'construction',
        'worksite.country': 'RU', // chosen by name; the option's value is the code
        'worksite.city': c.text.city,
        'worksite.observed_from': '2023-04',
        'worksite.observed_to': '2023-09-30',
        'workers.count': '40',
        'workers.nationality': 'KP',
        'workers.hours_per_day': '14',
        'workers.rest_days_per_month': '1',
        'workers.passports_held_by_others': 'yes',
        'workers.movement_restricted': 'yes',
        'workers.wages': c.text.wages,
        'minders.0.name_or_alias': c.text.minder,
        'minders.0.role': 'security_agent',
        'minders.0.description': c.text.minderDesc,
        'minders.0.actions': ['confiscates_passports', 'monitors_phones'],
        'witness.relation': 'co_worker',
        'witness.may_contact': 'no',
        narrative,
      };
      const page = b.page;
      await page.goto(`${server.url}/${lang}/`);
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
      assert.equal(await page.evaluate(() => document.documentElement.dir), c.dir);
      assert.equal(await page.evaluate(() => getComputedStyle(document.body).direction), c.dir,
        'the computed direction follows dir');
      if (c.dir === 'rtl') {
        // Really mirrored: the heading and the labels start at the right edge.
        const box = await page.evaluate(() => {
          // The text's own box (labels are blocks as wide as the form).
          const range = document.createRange();
          range.selectNodeContents(document.querySelector('label[for="worksite-name"]'));
          const r = range.getBoundingClientRect();
          return { left: r.left, right: r.right, width: document.documentElement.clientWidth };
        });
        assert.ok(box.width - box.right < box.left, `the label sits on the right in RTL: ${JSON.stringify(box)}`);
      }

      const reference = await submitWithJs(page, server, lang, values, [
        { name: c.file, mimeType: 'image/jpeg', buffer: withGps },
      ], {
        beforeSubmit: async (p) => {
          // The per-file opt-out exists and is off by default.
          const keep = p.locator('input[name="keep_metadata"]');
          assert.equal(await keep.count(), 1, 'a keep-metadata checkbox for the image');
          assert.equal(await keep.isChecked(), false, 'metadata removal is on by default');
          await watchFileNotes(p);
        },
      });
      const t = strings(lang);
      assert.ok(await page.locator('#receipt').isVisible());
      assert.equal((await page.locator('#receipt-title').textContent()).trim(), t.receipt_title,
        'the receipt is in the page language');
      assert.deepEqual(await page.evaluate(() => window.__fileNotes), [t.metadata_removed],
        'the page told the witness the metadata was removed');
      assert.match(reference, /^[0-9a-f]{32}$/, 'the receipt shows the tip id as the reference');

      const list = await reviewList(server);
      assert.equal(list.length, 1);
      assert.equal(list[0].id, reference);
      assert.equal(list[0].sealed_by_server, false);

      const shown = await reviewShow(server, reference);
      assert.equal(shown.sealed_by_server, false, 'sealed in the browser');
      assert.deepEqual(shown.tip, {
        schema: 'tipseal/tip/v1',
        language: lang,
        worksite: {
          name: c.text.site,
          employer: c.text.employer,
          sector: 'construction',
          country: 'RU',
          city: c.text.city,
          observed_from: '2023-04',
          observed_to: '2023-09-30',
        },
        workers: {
          count: 40,
          nationality: 'KP',
          hours_per_day: 14,
          rest_days_per_month: 1,
          passports_held_by_others: true,
          movement_restricted: true,
          wages: c.text.wages,
        },
        minders: [{
          name_or_alias: c.text.minder,
          role: 'security_agent',
          description: c.text.minderDesc,
          actions: ['confiscates_passports', 'monitors_phones'],
        }],
        witness: { relation: 'co_worker', may_contact: false },
        narrative,
      });

      assert.equal(shown.attachments.length, 1);
      const a = shown.attachments[0];
      assert.equal(a.name, c.file);
      assert.equal(a.media_type, 'image/jpeg');
      const saved = fs.readFileSync(a.saved_to);
      assert.equal(a.size, saved.length);
      // No Exif left: no APP1 segment, no "Exif\0\0", none of the GPS bytes.
      assert.ok(!jpegMarkers(saved).includes(0xe1), 'no APP1 segment left');
      assertNotContains(saved, Buffer.from('Exif\0\0', 'latin1'), 'the saved image');
      assertNotContains(saved, GPS_LAT_BYTES, 'the saved image (GPS latitude)');
      assertNotContains(saved, GPS_LON_BYTES, 'the saved image (GPS longitude)');
      // Stripping is byte-level: what remains is exactly the image without the segment.
      assert.ok(saved.equals(withoutGps), 'the image data is otherwise byte-identical');
    } finally {
      await b.close();
      await server.stop();
    }
  });
}

// Finding 10 on the JS path: a truncated GPS JPEG is refused in the page's language and
// nothing is sent; ticking "keep hidden information" for it sends it as it is.
test('JS path: a truncated GPS JPEG is refused, not sent, unless the witness keeps its metadata', async () => {
  const server = await startServer();
  const b = await launch({ viewport: { width: 360, height: 800 } });
  try {
    const page = b.page;
    const { withGps } = gpsJpeg();
    const truncated = withGps.subarray(0, withGps.length - 5);
    const t = strings('ru');
    await page.goto(`${server.url}/ru/`);
    await waitForReady(page);
    await fillForm(page, { narrative: `truncated photo #${tag()}` }, [
      { name: 'cut.jpg', mimeType: 'image/jpeg', buffer: truncated },
    ]);
    await page.click('#submit');
    await page.waitForSelector('#form-error:not([hidden])', { timeout: 60_000 });
    const error = await page.textContent('#form-error');
    assert.ok(error.includes(t.err_metadata_unparsed), `the refusal is in Russian: ${error}`);
    assert.ok(error.includes('cut.jpg'), 'the refusal names the file');
    assert.equal(await page.locator('#receipt').isVisible(), false);
    assert.equal((await reviewList(server)).length, 0, 'nothing was sent');

    // The witness's explicit choice: keep the hidden information in this file.
    await page.locator('input[name="keep_metadata"]').check();
    await page.click('#submit');
    const reference = await waitForReceipt(page);
    const shown = await reviewShow(server, reference);
    const saved = fs.readFileSync(shown.attachments[0].saved_to);
    assert.ok(saved.equals(truncated), 'sent as it was, by the witness\'s choice');
  } finally {
    await b.close();
    await server.stop();
  }
});
