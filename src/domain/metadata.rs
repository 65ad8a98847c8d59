//! Image metadata removal: the server's twin of `web/static/exif.js`.
//!
//! On the no-JavaScript path the server removes, before sealing, the parts of an image
//! that can say where, when and with which phone a photo was taken:
//! JPEG APP1 (Exif, XMP), APP13 (IPTC) and COM segments; PNG `tEXt`, `iTXt`, `zTXt`,
//! `eXIf` and `tIME` chunks. Everything else — image data, colour profiles, tables — is
//! copied byte for byte. Pure bytes → bytes: no I/O, no decoding of pixels.
//!
//! Must never: panic on any input, change a file it cannot parse (a malformed file comes
//! back unchanged), or touch anything but whole metadata segments.

use std::borrow::Cow;

/// The PNG signature.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
/// PNG chunk types that carry metadata.
const PNG_DROP: [&[u8; 4]; 5] = [b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME"];

/// JPEG markers of metadata segments: APP1 (Exif, XMP), APP13 (IPTC), COM.
const JPEG_APP1: u8 = 0xe1;
const JPEG_APP13: u8 = 0xed;
const JPEG_COM: u8 = 0xfe;
const JPEG_SOS: u8 = 0xda;
const JPEG_EOI: u8 = 0xd9;

/// The file with its metadata removed, or the input itself when there is nothing to
/// remove, the format is not JPEG or PNG, or the file does not parse.
pub fn strip(bytes: &[u8]) -> Cow<'_, [u8]> {
    let stripped = if is_jpeg(bytes) {
        strip_jpeg(bytes)
    } else if is_png(bytes) {
        strip_png(bytes)
    } else {
        None
    };
    match stripped {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(bytes),
    }
}

/// Whether the bytes start like a JPEG (SOI then a marker).
pub fn is_jpeg(b: &[u8]) -> bool {
    b.len() >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff
}

/// Whether the bytes start with the PNG signature.
pub fn is_png(b: &[u8]) -> bool {
    b.starts_with(&PNG_SIGNATURE)
}

fn is_meta_marker(m: u8) -> bool {
    matches!(m, JPEG_APP1 | JPEG_APP13 | JPEG_COM)
}

/// Kept byte ranges; `None` when nothing was removed or the file is malformed.
fn strip_jpeg(b: &[u8]) -> Option<Vec<u8>> {
    let mut keep: Vec<(usize, usize)> = vec![(0, 2)];
    let mut removed = false;
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xff {
            return None;
        }
        // Fill bytes (0xFF) may precede a marker; they belong to its segment.
        let mut j = i;
        while *b.get(j)? == 0xff {
            j += 1;
        }
        let marker = b[j];
        let seg_start = i;
        i = j + 1;
        if marker == JPEG_EOI {
            keep.push((seg_start, i));
            break;
        }
        if (0xd0..=0xd7).contains(&marker) || marker == 0x01 {
            keep.push((seg_start, i));
            continue;
        }
        let len = usize::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
        let seg_end = i.checked_add(len)?;
        if len < 2 || seg_end > b.len() {
            return None;
        }
        if marker == JPEG_SOS {
            keep.push((seg_start, seg_end));
            removed |= strip_after_scan(b, seg_end, &mut keep);
            break;
        }
        if is_meta_marker(marker) {
            removed = true;
        } else {
            keep.push((seg_start, seg_end));
        }
        i = seg_end;
    }
    removed.then(|| concat(b, &keep))
}

/// Scans entropy-coded data and later segments (progressive JPEGs have several scans)
/// for metadata segments. Stops at EOI or at anything it cannot follow, keeping the rest
/// as it is. Returns whether something was removed.
fn strip_after_scan(b: &[u8], start: usize, keep: &mut Vec<(usize, usize)>) -> bool {
    let mut removed = false;
    let mut run_start = start;
    let mut i = start;
    while i < b.len() {
        if b[i] != 0xff {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && b[j] == 0xff {
            j += 1;
        }
        let Some(&m) = b.get(j) else { break };
        if m == 0x00 || (0xd0..=0xd7).contains(&m) {
            i = j + 1;
            continue;
        }
        if m == JPEG_EOI {
            break;
        }
        let (Some(&hi), Some(&lo)) = (b.get(j + 1), b.get(j + 2)) else {
            break;
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let seg_end = j + 1 + len;
        if len < 2 || seg_end > b.len() {
            break;
        }
        if is_meta_marker(m) {
            keep.push((run_start, i));
            removed = true;
            run_start = seg_end;
        }
        i = seg_end;
    }
    keep.push((run_start, b.len()));
    removed
}

fn strip_png(b: &[u8]) -> Option<Vec<u8>> {
    let mut keep: Vec<(usize, usize)> = vec![(0, PNG_SIGNATURE.len())];
    let mut removed = false;
    let mut i = PNG_SIGNATURE.len();
    loop {
        let head = b.get(i..i.checked_add(8)?)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        let end = i.checked_add(12)?.checked_add(len)?;
        if end > b.len() {
            return None;
        }
        if PNG_DROP.iter().any(|d| &d[..] == kind) {
            removed = true;
        } else {
            keep.push((i, end));
        }
        i = end;
        if kind == b"IEND" {
            break;
        }
    }
    // Bytes after IEND are kept as they are, like exif.js does.
    keep.push((i, b.len()));
    removed.then(|| concat(b, &keep))
}

fn concat(b: &[u8], keep: &[(usize, usize)]) -> Vec<u8> {
    let total = keep.iter().map(|(s, e)| e - s).sum();
    let mut out = Vec::with_capacity(total);
    for &(s, e) in keep {
        out.extend_from_slice(&b[s..e]);
    }
    out
}

#[cfg(test)]
mod tests;
