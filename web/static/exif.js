// Removes identifying metadata from images, by parsing bytes (never re-encoding: the image
// data stays bit-identical). The same rules as the server's src/domain/metadata.rs:
//   JPEG: drop APP1 (Exif, XMP), APP13 (Photoshop/IPTC) and COM segments; keep everything
//         else (APP0/JFIF, APP2/ICC, quantisation and Huffman tables, the scan data).
//   PNG:  drop tEXt, iTXt, zTXt, eXIf and tIME chunks; keep every other chunk.
//   Anything else: returned unchanged.
// A file that does not parse cleanly is returned unchanged with `changed: false` and
// `reason`, so the page can tell the witness instead of silently sending metadata.

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_DROP = new Set(['tEXt', 'iTXt', 'zTXt', 'eXIf', 'tIME']);

export function isJpeg(b) { return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff; }
export function isPng(b) { return b.length >= 8 && PNG_SIG.every((v, i) => b[i] === v); }

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** JPEG: returns { bytes, changed, removed: [names] } or throws on a malformed file. */
export function stripJpeg(b) {
  const keep = [b.subarray(0, 2)]; // SOI
  const removed = [];
  let i = 2;
  for (;;) {
    if (i >= b.length) throw new Error('the JPEG ends before its image data');
    if (b[i] !== 0xff) throw new Error('a JPEG marker was expected');
    // Fill bytes (0xFF padding) before a marker are allowed.
    let j = i;
    while (j < b.length && b[j] === 0xff) j++;
    if (j >= b.length) throw new Error('the JPEG ends inside a marker');
    const marker = b[j];
    const segStart = i;
    i = j + 1;
    if (marker === 0xd9) { keep.push(b.subarray(segStart, i)); break; } // EOI without a scan
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { // standalone markers
      keep.push(b.subarray(segStart, i));
      continue;
    }
    if (i + 2 > b.length) throw new Error('the JPEG ends inside a segment length');
    const len = (b[i] << 8) | b[i + 1];
    if (len < 2 || i + len > b.length) throw new Error('a JPEG segment is longer than the file');
    const segEnd = i + len;
    if (marker === 0xda) {
      // Start of scan: entropy-coded data follows (and, in a progressive JPEG, more
      // table and scan segments). Scan data is copied verbatim; metadata segments that
      // sit between scans are dropped too.
      keep.push(b.subarray(segStart, segEnd), stripAfterScan(b, segEnd, removed));
      break;
    }
    const isMeta = marker === 0xe1 || marker === 0xed || marker === 0xfe;
    if (isMeta) {
      removed.push(segmentName(b, marker, i + 2, segEnd));
    } else {
      keep.push(b.subarray(segStart, segEnd));
    }
    i = segEnd;
  }
  if (removed.length === 0) return { bytes: b, changed: false, removed };
  return { bytes: concat(keep), changed: true, removed };
}

// After a SOS header: copy entropy-coded data verbatim; between scans (progressive JPEG),
// drop APP1/APP13/COM segments like before the first scan.
function stripAfterScan(b, start, removed) {
  const keep = [];
  let runStart = start;
  let i = start;
  while (i < b.length) {
    if (b[i] !== 0xff) { i++; continue; }
    const m = b[i + 1];
    if (m === undefined) break;
    if (m === 0x00 || m === 0xff || (m >= 0xd0 && m <= 0xd7)) { i += (m === 0xff ? 1 : 2); continue; }
    if (m === 0xd9) break; // EOI: whatever follows is kept as it is
    // A marker segment with a length.
    if (i + 4 > b.length) break;
    const len = (b[i + 2] << 8) | b[i + 3];
    if (len < 2 || i + 2 + len > b.length) break;
    if (m === 0xe1 || m === 0xed || m === 0xfe) {
      keep.push(b.subarray(runStart, i));
      removed.push(segmentName(b, m, i + 4, i + 2 + len));
      i += 2 + len;
      runStart = i;
    } else {
      i += 2 + len;
    }
  }
  keep.push(b.subarray(runStart, b.length));
  return concat(keep);
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
  let sawEnd = false;
  while (i < b.length) {
    if (i + 12 > b.length) throw new Error('a PNG chunk is cut short');
    const len = ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
    const type = String.fromCharCode(b[i + 4], b[i + 5], b[i + 6], b[i + 7]);
    const end = i + 12 + len;
    if (end > b.length) throw new Error('a PNG chunk is longer than the file');
    if (PNG_DROP.has(type)) removed.push('PNG ' + type);
    else keep.push(b.subarray(i, end));
    i = end;
    if (type === 'IEND') { sawEnd = true; break; }
  }
  if (!sawEnd) throw new Error('the PNG has no IEND chunk');
  if (i < b.length) keep.push(b.subarray(i)); // trailing bytes: kept as they are
  if (removed.length === 0) return { bytes: b, changed: false, removed };
  return { bytes: concat(keep), changed: true, removed };
}

/**
 * Removes metadata from a file's bytes. Returns
 * { bytes, changed, removed: [what], type: 'jpeg'|'png'|null, reason?: string }.
 */
export function stripMetadata(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const type = isJpeg(b) ? 'jpeg' : isPng(b) ? 'png' : null;
  if (!type) return { bytes: b, changed: false, removed: [], type };
  try {
    return { ...(type === 'jpeg' ? stripJpeg(b) : stripPng(b)), type };
  } catch (e) {
    return { bytes: b, changed: false, removed: [], type, reason: e.message };
  }
}
