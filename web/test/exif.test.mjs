// exif.js: metadata removal by byte parsing; the image data must stay identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stripMetadata, stripJpeg, stripPng } from '../static/exif.js';

const bytes = (...parts) => Uint8Array.from(parts.flat());
const ascii = (s) => [...Buffer.from(s, 'latin1')];
const u16 = (n) => [(n >> 8) & 255, n & 255];
const u32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const seg = (marker, payload) => [0xff, marker, ...u16(payload.length + 2), ...payload];
const has = (hay, needle) => Buffer.from(hay).includes(Buffer.from(needle));

// A TIFF (big endian) with IFD0 holding a GPS IFD pointer, and a GPS IFD with
// GPSLatitudeRef 'N' and GPSLatitude 38/1 52/1 1234/100 (near the Taedong river).
function exifWithGps() {
  const tiff = [];
  tiff.push(...ascii('MM'), ...u16(42), ...u32(8));
  // IFD0 at 8: 1 entry: GPSInfo (0x8825, LONG, 1, offset 26)
  tiff.push(...u16(1), ...u16(0x8825), ...u16(4), ...u32(1), ...u32(26), ...u32(0));
  // GPS IFD at 26: 2 entries
  tiff.push(...u16(2));
  tiff.push(...u16(1), ...u16(2), ...u32(2), ...ascii('N'), 0, 0, 0); // GPSLatitudeRef
  tiff.push(...u16(2), ...u16(5), ...u32(3), ...u32(56)); // GPSLatitude, RATIONAL x3 at 56
  tiff.push(...u32(0));
  // rationals at 56
  tiff.push(...u32(38), ...u32(1), ...u32(52), ...u32(1), ...u32(1234), ...u32(100));
  return [...ascii('Exif'), 0, 0, ...tiff];
}

const APP0 = seg(0xe0, [...ascii('JFIF'), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
const APP1_EXIF = seg(0xe1, exifWithGps());
const APP1_XMP = seg(0xe1, [...ascii('http://ns.adobe.com/xap/1.0/'), 0, ...ascii('<x:xmpmeta><exif:GPSLatitude>38,52.2N</exif:GPSLatitude></x:xmpmeta>')]);
const APP2_ICC = seg(0xe2, [...ascii('ICC_PROFILE'), 0, 1, 1, ...ascii('fake-icc-profile-bytes')]);
const APP13 = seg(0xed, [...ascii('Photoshop 3.0'), 0, ...ascii('8BIM caption: Vladivostok')]);
const COM = seg(0xfe, ascii('shot on phone of Kim'));
const DQT = seg(0xdb, [0, ...Array.from({ length: 64 }, (_, i) => i + 1)]);
const SOF0 = seg(0xc0, [8, ...u16(1), ...u16(1), 1, 1, 0x11, 0]);
const DHT = seg(0xc4, [0, ...Array(16).fill(0).map((_, i) => (i === 0 ? 1 : 0)), 0]);
const SOS = seg(0xda, [1, 1, 0, 0, 63, 0]);
// entropy-coded data with a stuffed 0xFF00 and a restart marker
const SCAN = [0x12, 0x34, 0xff, 0x00, 0x56, 0xff, 0xd0, 0x78, 0x9a];
const EOI = [0xff, 0xd9];

test('JPEG: Exif with a GPS IFD, XMP, APP13 and comments are removed; the rest is byte-identical', () => {
  const input = bytes([0xff, 0xd8], APP0, APP1_EXIF, APP1_XMP, APP2_ICC, APP13, COM, DQT, SOF0, DHT, SOS, SCAN, EOI);
  assert.ok(has(input, ascii('Exif')) && has(input, u32(1234)));
  const r = stripMetadata(input);
  assert.equal(r.type, 'jpeg');
  assert.equal(r.changed, true);
  assert.deepEqual(r.removed, ['JPEG Exif', 'JPEG XMP', 'JPEG APP13 (IPTC)', 'JPEG comment']);
  const expected = bytes([0xff, 0xd8], APP0, APP2_ICC, DQT, SOF0, DHT, SOS, SCAN, EOI);
  assert.deepEqual(Buffer.from(r.bytes), Buffer.from(expected));
  assert.ok(!has(r.bytes, ascii('Exif')));
  assert.ok(!has(r.bytes, ascii('GPSLatitude')));
  assert.ok(!has(r.bytes, ascii('Kim')));
  assert.ok(has(r.bytes, ascii('JFIF')) && has(r.bytes, ascii('ICC_PROFILE')));
  // the image data from SOS on is untouched
  const sosAt = Buffer.from(r.bytes).indexOf(Buffer.from([0xff, 0xda]));
  assert.deepEqual(Buffer.from(r.bytes.subarray(sosAt)), Buffer.from(bytes(SOS, SCAN, EOI)));
});

test('JPEG: metadata between progressive scans is removed, trailing data after EOI is dropped', () => {
  const input = bytes([0xff, 0xd8], APP0, DQT, SOF0, DHT, SOS, SCAN, COM, DHT, SOS, SCAN, EOI, ascii('trailer GPS 38.9N'));
  const r = stripJpeg(input);
  assert.deepEqual(Buffer.from(r.bytes), Buffer.from(bytes([0xff, 0xd8], APP0, DQT, SOF0, DHT, SOS, SCAN, DHT, SOS, SCAN, EOI)));
  assert.deepEqual(r.removed, ['JPEG comment', 'data after the end of the image']);
});

test('JPEG: fill bytes (0xFF padding) before markers are valid and parsed', () => {
  const input = bytes([0xff, 0xd8], [0xff, 0xff], APP0, [0xff, 0xff, 0xff], APP1_EXIF, DQT, SOF0, DHT, [0xff], SOS, SCAN, [0xff, 0xff], EOI);
  const r = stripMetadata(input);
  assert.equal(r.changed, true);
  assert.ok(!has(r.bytes, ascii('Exif')));
});

test('JPEG without metadata comes back as the same bytes', () => {
  const input = bytes([0xff, 0xd8], APP0, DQT, SOF0, DHT, SOS, SCAN, EOI);
  const r = stripMetadata(input);
  assert.equal(r.changed, false);
  assert.equal(r.bytes, input);
});

test('a broken JPEG is refused (no bytes), with a reason', () => {
  const full = bytes([0xff, 0xd8], APP0, APP1_EXIF, DQT, SOF0, DHT, SOS, SCAN, EOI);
  const cases = [
    bytes([0xff, 0xd8], [0xff, 0xe1, 0x40, 0x00], ascii('Exif')), // a length past the end
    full.slice(0, full.length - 2), // no EOI
    full.slice(0, 40), // cut inside the Exif segment
    bytes([0xff, 0xd8], APP0, [0x00], APP1_EXIF, DQT, SOF0, DHT, SOS, SCAN, EOI), // junk between segments
    bytes([0xff, 0xd8], APP0, APP1_EXIF, DQT, SOF0, DHT, SOS, SCAN, [0xff, 0xe1, 0xff, 0xff], EOI), // bad length in the scan
  ];
  for (const input of cases) {
    const r = stripMetadata(input);
    assert.equal(r.bytes, null);
    assert.equal(r.changed, false);
    assert.ok(r.reason);
  }
});

// PNG
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b) => {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => [...u32(data.length), ...ascii(type), ...data, ...u32(crc32([...ascii(type), ...data]))];
const SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR = chunk('IHDR', [...u32(1), ...u32(1), 8, 0, 0, 0, 0]);
const ICCP = chunk('iCCP', [...ascii('icc'), 0, 0, 1, 2, 3]);
const TEXT = chunk('tEXt', [...ascii('Comment'), 0, ...ascii('taken at the dormitory')]);
const ITXT = chunk('iTXt', [...ascii('XML:com.adobe.xmp'), 0, 0, 0, 0, 0, ...ascii('<gps>38.87</gps>')]);
const ZTXT = chunk('zTXt', [...ascii('Author'), 0, 0, 0x78, 0x9c, 3, 0, 0, 0, 0, 1]);
const EXIF = chunk('eXIf', exifWithGps().slice(6));
const TIME = chunk('tIME', [...u16(2024), 3, 1, 12, 0, 0]);
const IDAT = chunk('IDAT', [0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]);
const IEND = chunk('IEND', []);

test('PNG: tEXt, iTXt, zTXt, eXIf and tIME chunks are removed, the others are byte-identical', () => {
  const input = bytes(SIG, IHDR, ICCP, TEXT, TIME, EXIF, IDAT, ITXT, ZTXT, IEND);
  const r = stripMetadata(input);
  assert.equal(r.type, 'png');
  assert.deepEqual(r.removed, ['PNG tEXt', 'PNG tIME', 'PNG eXIf', 'PNG iTXt', 'PNG zTXt']);
  assert.deepEqual(Buffer.from(r.bytes), Buffer.from(bytes(SIG, IHDR, ICCP, IDAT, IEND)));
  assert.ok(!has(r.bytes, ascii('dormitory')) && !has(r.bytes, ascii('<gps>')));
});

test('PNG without text chunks is unchanged; a truncated or padded PNG is refused', () => {
  const clean = bytes(SIG, IHDR, IDAT, IEND);
  assert.equal(stripPng(clean).changed, false);
  for (const broken of [
    bytes(SIG, IHDR, TEXT).slice(0, -3),
    bytes(SIG, IHDR, TEXT, IDAT), // no IEND
    bytes(SIG, IHDR, [0, 0], TEXT, IDAT, IEND), // junk between chunks
  ]) {
    const r = stripMetadata(broken);
    assert.equal(r.bytes, null);
    assert.ok(r.reason);
  }
  const trailer = stripMetadata(bytes(SIG, IHDR, IDAT, IEND, ascii('GPS 38.9N')));
  assert.deepEqual(Buffer.from(trailer.bytes), Buffer.from(clean));
});

test('other files are untouched', () => {
  const pdf = bytes(ascii('%PDF-1.7\n% Exif GPS\n'));
  const r = stripMetadata(pdf);
  assert.equal(r.type, null);
  assert.equal(r.bytes, pdf);
});

// The vectors shared with the server's stripper (src/domain/metadata/tests.rs): both must
// refuse the same files and produce the same bytes for the others.
test('shared vectors: the same refusals and the same output as the server', async () => {
  const { readFileSync } = await import('node:fs');
  const dir = new URL('../../tests/vectors/metadata/', import.meta.url);
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));
  assert.ok(manifest.cases.length >= 10);
  for (const c of manifest.cases) {
    const input = new Uint8Array(readFileSync(new URL(c.file, dir)));
    const r = stripMetadata(input);
    if (c.expect === 'refused') {
      assert.equal(r.bytes, null, `${c.file}: ${c.why}`);
      assert.ok(r.reason, c.file);
    } else {
      const expected = readFileSync(new URL(c.output, dir));
      assert.deepEqual(Buffer.from(r.bytes), expected, `${c.file}: ${c.why}`);
      assert.ok(!Buffer.from(r.bytes).includes(Buffer.from(manifest.needle)), c.file);
    }
  }
});
