// Test data and page helpers shared by the browser tests (not a test file itself).

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { REPO, waitForReady, waitForReceipt } from './harness.mjs';

// A real 16×16 baseline JPEG (APP0 JFIF, APP2 ICC, tables, one scan), as Chromium's canvas
// encodes it. The tests insert an Exif segment with GPS into it.
const BASE_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9YWVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAQABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAT/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAAAgX/xAAdEQAABgMBAAAAAAAAAAAAAAAAMVFigZETFCMk/9oADAMBAAIRAxEAPwCAAeGB8rRCv6NhkJZj/9k=',
  'base64',
);

// The distinctive GPS position written into the Exif: 43° 7′ 29.1234″ N, 131° 53′ 12.3456″ E
// (Vladivostok). As TIFF RATIONALs (big-endian) these 24-byte runs must not survive.
const LAT = [[43, 1], [7, 1], [291234, 10000]];
const LON = [[131, 1], [53, 1], [123456, 10000]];

function rationals(list) {
  const b = Buffer.alloc(8 * list.length);
  list.forEach(([n, d], i) => { b.writeUInt32BE(n, 8 * i); b.writeUInt32BE(d, 8 * i + 4); });
  return b;
}

/** The GPS latitude and longitude as they appear in the Exif bytes. */
export const GPS_LAT_BYTES = rationals(LAT);
export const GPS_LON_BYTES = rationals(LON);

/** An APP1 segment: "Exif\0\0" + a big-endian TIFF with IFD0 → GPS IFD (lat/lon with refs). */
export function exifGpsSegment() {
  // TIFF offsets are from the start of the TIFF header.
  const entries0 = 1;
  const ifd0Off = 8;
  const ifd0Len = 2 + 12 * entries0 + 4;
  const gpsOff = ifd0Off + ifd0Len;
  const gpsEntries = 4;
  const gpsLen = 2 + 12 * gpsEntries + 4;
  const latOff = gpsOff + gpsLen;
  const lonOff = latOff + 24;
  const tiff = Buffer.alloc(lonOff + 24);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(ifd0Off, 4);
  let o = ifd0Off;
  const entry = (tag, type, count, value) => {
    tiff.writeUInt16BE(tag, o); tiff.writeUInt16BE(type, o + 2); tiff.writeUInt32BE(count, o + 4);
    if (Buffer.isBuffer(value)) value.copy(tiff, o + 8); else tiff.writeUInt32BE(value, o + 8);
    o += 12;
  };
  tiff.writeUInt16BE(entries0, o); o += 2;
  entry(0x8825, 4, 1, gpsOff); // GPSInfo IFD pointer (LONG)
  tiff.writeUInt32BE(0, o); o += 4; // no next IFD
  tiff.writeUInt16BE(gpsEntries, o); o += 2;
  entry(0x0001, 2, 2, Buffer.from('N\0\0\0', 'latin1')); // GPSLatitudeRef
  entry(0x0002, 5, 3, latOff); // GPSLatitude (3 RATIONAL)
  entry(0x0003, 2, 2, Buffer.from('E\0\0\0', 'latin1')); // GPSLongitudeRef
  entry(0x0004, 5, 3, lonOff); // GPSLongitude
  tiff.writeUInt32BE(0, o); o += 4;
  GPS_LAT_BYTES.copy(tiff, latOff);
  GPS_LON_BYTES.copy(tiff, lonOff);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const seg = Buffer.alloc(4);
  seg.writeUInt16BE(0xffe1, 0);
  seg.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([seg, payload]);
}

/** { withGps, withoutGps }: the same JPEG with and without an APP1 Exif/GPS segment after SOI. */
export function gpsJpeg() {
  const withoutGps = BASE_JPEG;
  const withGps = Buffer.concat([BASE_JPEG.subarray(0, 2), exifGpsSegment(), BASE_JPEG.subarray(2)]);
  return { withGps, withoutGps };
}

/** The markers of a JPEG's segments up to the scan (throws if it does not parse). */
export function jpegMarkers(b) {
  assert.ok(b[0] === 0xff && b[1] === 0xd8, 'starts with SOI');
  const markers = [];
  let i = 2;
  for (;;) {
    assert.equal(b[i], 0xff, `marker expected at ${i}`);
    const m = b[i + 1];
    markers.push(m);
    if (m === 0xd9) break;
    const len = b.readUInt16BE(i + 2);
    if (m === 0xda) break;
    i += 2 + len;
  }
  return markers;
}

/** Random bytes (the OS's generator). */
export function randomBytes(n) {
  return crypto.randomBytes(n);
}

/** A short random hex tag, to make text that cannot occur by chance. */
export function tag() {
  return crypto.randomBytes(6).toString('hex');
}

/** The Content-Security-Policy docs/web.md requires, as one line. */
export function contractCsp() {
  const doc = fs.readFileSync(path.join(REPO, 'docs', 'web.md'), 'utf8');
  const m = /`Content-Security-Policy: ([^`]+)`/.exec(doc);
  assert.ok(m, 'docs/web.md states the Content-Security-Policy');
  return m[1].replace(/\s+/g, ' ').trim();
}

/** A CSP as Map(directive → [sources]). */
export function parseCsp(s) {
  const map = new Map();
  for (const part of s.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/).filter(Boolean);
    if (name) map.set(name.toLowerCase(), sources);
  }
  return map;
}

/** A document's strings (the page's i18n JSON), read from web/i18n/LANG.json. */
export function strings(lang) {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'web', 'i18n', `${lang}.json`), 'utf8'));
}

/**
 * Fills the form with `v` (keys are form names; radios/selects/checkboxes by value) and
 * attaches `files` ([{ name, mimeType, buffer }]).
 */
export async function fillForm(page, v, files = []) {
  for (const [name, value] of Object.entries(v)) {
    const loc = page.locator(`[name="${name}"]`);
    const kind = await loc.first().evaluate((el) => (el.tagName === 'SELECT' ? 'select' : el.type));
    if (kind === 'select') await loc.selectOption(String(value));
    else if (kind === 'radio') await page.locator(`[name="${name}"][value="${value}"]`).check();
    else if (kind === 'checkbox') {
      for (const one of [].concat(value)) await page.locator(`[name="${name}"][value="${one}"]`).check();
    } else await loc.fill(String(value));
  }
  if (files.length) await page.setInputFiles('#attachments', files);
}

/** The JavaScript path: load /LANG/, wait for the keyring, fill, attach, send; returns the reference. */
export async function submitWithJs(page, server, lang, values, files = [], { beforeSubmit } = {}) {
  await page.goto(`${server.url}/${lang}/`);
  await waitForReady(page);
  await fillForm(page, values, files);
  if (beforeSubmit) await beforeSubmit(page);
  await page.click('#submit');
  return waitForReceipt(page);
}

/** Asserts `haystack` (a Buffer) does not contain `needle` (Buffer or string). */
export function assertNotContains(haystack, needle, what) {
  const n = Buffer.isBuffer(needle) ? needle : Buffer.from(needle, 'utf8');
  assert.equal(haystack.indexOf(n), -1, `${what} must not contain ${JSON.stringify(n.toString('utf8').slice(0, 40))}`);
}

/** Records every text the page writes into the attachments' status notes (window.__fileNotes). */
export async function watchFileNotes(page) {
  await page.evaluate(() => {
    window.__fileNotes = [];
    const list = document.getElementById('file-list');
    new MutationObserver(() => {
      for (const el of list.querySelectorAll('.file-status')) {
        if (el.textContent && !window.__fileNotes.includes(el.textContent)) window.__fileNotes.push(el.textContent);
      }
    }).observe(list, { subtree: true, childList: true, characterData: true });
  });
}
