// Removes identifying metadata from images, by parsing bytes (never re-encoding: the image
// data stays bit-identical). The same rules as the server's src/domain/metadata.rs, checked
// against the same vectors (tests/vectors/metadata/):
//   JPEG: drop APP1 (Exif, XMP), APP13 (Photoshop/IPTC) and COM segments; keep everything
//         else (APP0/JFIF, APP2/ICC, quantisation and Huffman tables, the scan data).
//   PNG:  drop tEXt, iTXt, zTXt, eXIf and tIME chunks; keep every other chunk.
//   Both: drop whatever follows the end of the image (EOI / IEND): phones put trailers
//         and second images there.
//   Anything else: returned unchanged.
// Fails closed: a JPEG or PNG that does not parse from start to end (truncated, junk
// between segments, a length past the end, no EOI/IEND) comes back with `bytes: null`
// and a `reason`, so the page refuses it unless the witness chose to keep its metadata.
// JPEG fill bytes (0xFF padding before a marker, ITU T.81 B.1.1.2) are valid and parsed.

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_DROP = new Set(['tEXt', 'iTXt', 'zTXt', 'eXIf', 'tIME']);
const TRAILER = 'data after the end of the image';

// SOI alone makes a JPEG: decoders skip junk before a marker and show the image anyway.
export function isJpeg(b) { return b.length >= 2 && b[0] === 0xff && b[1] === 0xd8; }
export function isPng(b) { return b.length >= 8 && PNG_SIG.every((v, i) => b[i] === v); }

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const isMeta = (m) => m === 0xe1 || m === 0xed || m === 0xfe;
// Standalone markers (no length): RST0-7 and TEM.
const isStandalone = (m) => (m >= 0xd0 && m <= 0xd7) || m === 0x01;

// The end of the segment whose marker byte is at m: its length follows the marker.
function segmentEnd(b, m) {
  if (m + 3 > b.length) throw new Error('the JPEG ends inside a segment length');
  const len = (b[m + 1] << 8) | b[m + 2];
  if (len < 2 || m + 1 + len > b.length) throw new Error('a JPEG segment is longer than the file');
  return m + 1 + len;
}

/** JPEG: returns { bytes, changed, removed: [names] } or throws on a malformed file. */
export function stripJpeg(b) {
  const keep = [b.subarray(0, 2)]; // SOI
  const removed = [];
  let i = 2;
  let end;
  for (;;) {
    if (i >= b.length) throw new Error('the JPEG ends before its image data');
    if (b[i] !== 0xff) throw new Error('unexpected bytes between JPEG segments');
    const segStart = i;
    while (i < b.length && b[i] === 0xff) i++; // fill bytes
    if (i >= b.length) throw new Error('the JPEG ends inside a marker');
    const marker = b[i];
    if (isStandalone(marker)) { i++; keep.push(b.subarray(segStart, i)); continue; }
    if (marker === 0x00 || marker === 0xd8 || marker === 0xd9) {
      throw new Error('a JPEG marker is out of place before the image data');
    }
    const segEnd = segmentEnd(b, i);
    if (marker === 0xda) {
      keep.push(b.subarray(segStart, segEnd));
      end = scan(b, segEnd, keep, removed);
      break;
    }
    if (isMeta(marker)) removed.push(segmentName(b, marker, i + 3, segEnd));
    else keep.push(b.subarray(segStart, segEnd));
    i = segEnd;
  }
  if (end < b.length) removed.push(TRAILER);
  if (removed.length === 0) return { bytes: b, changed: false, removed };
  return { bytes: concat(keep), changed: true, removed };
}

// After a SOS header: entropy-coded data is copied verbatim; the segments between scans
// (progressive JPEG) are parsed, metadata ones dropped. Returns the offset after EOI;
// throws if the file ends first or a segment does not fit.
function scan(b, start, keep, removed) {
  let runStart = start;
  let i = start;
  for (;;) {
    while (i < b.length && b[i] !== 0xff) i++;
    const markerStart = i;
    while (i < b.length && b[i] === 0xff) i++;
    if (i >= b.length) throw new Error('the JPEG ends before its end-of-image marker');
    const m = b[i];
    if (m === 0x00 || isStandalone(m)) { i++; continue; } // stuffed 0xFF, restart marker
    if (m === 0xd9) { keep.push(b.subarray(runStart, i + 1)); return i + 1; }
    if (m === 0xd8) throw new Error('a JPEG marker is out of place in the image data');
    const segEnd = segmentEnd(b, i);
    if (isMeta(m)) {
      keep.push(b.subarray(runStart, markerStart));
      removed.push(segmentName(b, m, i + 3, segEnd));
      runStart = segEnd;
    }
    i = segEnd;
  }
}

function segmentName(b, marker, start, end) {
  if (marker === 0xfe) return 'JPEG comment';
  if (marker === 0xed) return 'JPEG APP13 (IPTC)';
  const head = String.fromCharCode(...b.subarray(start, Math.min(end, start + 28)));
  if (head.startsWith('Exif')) return 'JPEG Exif';
  if (head.startsWith('http://ns.adobe.com/')) return 'JPEG XMP';
  return 'JPEG APP1';
}

/** PNG: returns { bytes, changed, removed } or throws on a malformed file. */
export function stripPng(b) {
  const keep = [b.subarray(0, 8)];
  const removed = [];
  let i = 8;
  for (;;) {
    if (i + 8 > b.length) throw new Error('the PNG ends before its IEND chunk');
    const len = ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
    const kind = b.subarray(i + 4, i + 8);
    if (!kind.every((c) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) {
      throw new Error('unexpected bytes between PNG chunks');
    }
    const type = String.fromCharCode(...kind);
    const end = i + 12 + len;
    if (end > b.length) throw new Error('a PNG chunk is longer than the file');
    if (PNG_DROP.has(type)) removed.push('PNG ' + type);
    else keep.push(b.subarray(i, end));
    i = end;
    if (type === 'IEND') break;
  }
  if (i < b.length) removed.push(TRAILER);
  if (removed.length === 0) return { bytes: b, changed: false, removed };
  return { bytes: concat(keep), changed: true, removed };
}

/**
 * Removes metadata from a file's bytes. Returns
 * { bytes, changed, removed: [what], type: 'jpeg'|'png'|null }, or, for a JPEG or PNG
 * that does not parse whole, { bytes: null, changed: false, removed: [], type, reason }:
 * such a file must not be sent unless the witness chose to keep its metadata.
 */
export function stripMetadata(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const type = isJpeg(b) ? 'jpeg' : isPng(b) ? 'png' : null;
  if (!type) return { bytes: b, changed: false, removed: [], type };
  try {
    return { ...(type === 'jpeg' ? stripJpeg(b) : stripPng(b)), type };
  } catch (e) {
    return { bytes: null, changed: false, removed: [], type, reason: e.message };
  }
}
