//! Image metadata removal: the server's twin of `web/static/exif.js`.
//!
//! On the no-JavaScript path the server removes, before sealing, the parts of an image
//! that can say where, when and with which phone a photo was taken:
//! JPEG APP1 (Exif, XMP), APP13 (IPTC) and COM segments; PNG `tEXt`, `iTXt`, `zTXt`,
//! `eXIf` and `tIME` chunks; and anything after the end of the image (JPEG EOI, PNG
//! IEND), where phones append trailers and second images. Everything else — image data,
//! colour profiles, tables — is copied byte for byte. Pure bytes → bytes: no I/O, no
//! decoding of pixels.
//!
//! Fails closed: a JPEG or PNG whose structure does not parse from start to end
//! (truncated, junk between segments, a length past the end, no EOI/IEND) is an error,
//! never returned as it came — its metadata could sit where the parser lost its way.
//! JPEG fill bytes (any number of 0xFF before a marker, ITU T.81 B.1.1.2) are valid and
//! parsed, not refused. Files that are neither JPEG nor PNG are returned unchanged.
//!
//! Must never: panic on any input, return a JPEG or PNG it could not parse whole, or
//! touch anything but whole metadata segments and what follows the image's end.

use std::borrow::Cow;

use super::DomainError;

/// The PNG signature.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
/// PNG chunk types that carry metadata.
const PNG_DROP: [&[u8; 4]; 5] = [b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME"];

/// JPEG markers of metadata segments: APP1 (Exif, XMP), APP13 (IPTC), COM.
const JPEG_APP1: u8 = 0xe1;
const JPEG_APP13: u8 = 0xed;
const JPEG_COM: u8 = 0xfe;
const JPEG_SOI: u8 = 0xd8;
const JPEG_SOS: u8 = 0xda;
const JPEG_EOI: u8 = 0xd9;
/// TEM: a standalone marker without a length.
const JPEG_TEM: u8 = 0x01;

/// Why metadata could not be removed (the words a witness's page explains).
fn unparsed(what: &'static str) -> DomainError {
    DomainError::Metadata(what)
}

/// The file with its metadata removed (borrowed when there was nothing to remove, or
/// the format is not JPEG or PNG); an error when a JPEG or PNG does not parse whole.
pub fn strip(bytes: &[u8]) -> Result<Cow<'_, [u8]>, DomainError> {
    let stripped = if is_jpeg(bytes) {
        strip_jpeg(bytes)?
    } else if is_png(bytes) {
        strip_png(bytes)?
    } else {
        None
    };
    Ok(match stripped {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(bytes),
    })
}

/// Whether the bytes start like a JPEG (SOI). What follows SOI is checked by the
/// parser: decoders such as libjpeg skip junk before a marker and show the image, so
/// SOI followed by junk is a JPEG to refuse, not a file to pass through.
pub fn is_jpeg(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] == 0xff && b[1] == JPEG_SOI
}

/// Whether the bytes start with the PNG signature.
pub fn is_png(b: &[u8]) -> bool {
    b.starts_with(&PNG_SIGNATURE)
}

fn is_meta_marker(m: u8) -> bool {
    matches!(m, JPEG_APP1 | JPEG_APP13 | JPEG_COM)
}

/// Standalone markers (no length): RST0–7 and TEM.
fn is_standalone(m: u8) -> bool {
    (0xd0..=0xd7).contains(&m) || m == JPEG_TEM
}

/// The end of the segment whose marker byte is at `m`: its length follows the marker.
fn segment_end(b: &[u8], m: usize) -> Result<usize, DomainError> {
    let (Some(&hi), Some(&lo)) = (b.get(m + 1), b.get(m + 2)) else {
        return Err(unparsed("the JPEG ends inside a segment length"));
    };
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if len < 2 || m + 1 + len > b.len() {
        return Err(unparsed("a JPEG segment is longer than the file"));
    }
    Ok(m + 1 + len)
}

/// Kept byte ranges; `None` when nothing was removed.
fn strip_jpeg(b: &[u8]) -> Result<Option<Vec<u8>>, DomainError> {
    let mut keep: Vec<(usize, usize)> = vec![(0, 2)];
    let mut removed = false;
    let mut i = 2;
    // Before the first scan: only marker segments, each introduced by 0xFF (plus fill).
    let end = loop {
        match b.get(i) {
            None => return Err(unparsed("the JPEG ends before its image data")),
            Some(0xff) => {}
            Some(_) => return Err(unparsed("unexpected bytes between JPEG segments")),
        }
        let seg_start = i;
        while b.get(i) == Some(&0xff) {
            i += 1;
        }
        let Some(&marker) = b.get(i) else {
            return Err(unparsed("the JPEG ends inside a marker"));
        };
        if is_standalone(marker) {
            i += 1;
            keep.push((seg_start, i));
            continue;
        }
        if matches!(marker, 0x00 | JPEG_SOI | JPEG_EOI) {
            return Err(unparsed(
                "a JPEG marker is out of place before the image data",
            ));
        }
        let seg_end = segment_end(b, i)?;
        if marker == JPEG_SOS {
            keep.push((seg_start, seg_end));
            break scan(b, seg_end, &mut keep, &mut removed)?;
        }
        if is_meta_marker(marker) {
            removed = true;
        } else {
            keep.push((seg_start, seg_end));
        }
        i = seg_end;
    };
    // Whatever follows EOI is not part of the image: phones put trailers there.
    Ok((removed || end < b.len()).then(|| concat(b, &keep)))
}

/// Walks entropy-coded data and the segments between scans (progressive JPEGs have
/// several) up to and including EOI, dropping metadata segments. Returns the offset just
/// after EOI; an error if the file ends first or a segment does not fit.
fn scan(
    b: &[u8],
    start: usize,
    keep: &mut Vec<(usize, usize)>,
    removed: &mut bool,
) -> Result<usize, DomainError> {
    let mut run_start = start;
    let mut i = start;
    loop {
        // Entropy-coded bytes: anything but 0xFF.
        while b.get(i).is_some_and(|&x| x != 0xff) {
            i += 1;
        }
        let marker_start = i;
        while b.get(i) == Some(&0xff) {
            i += 1;
        }
        let Some(&m) = b.get(i) else {
            return Err(unparsed("the JPEG ends before its end-of-image marker"));
        };
        if m == 0x00 || is_standalone(m) {
            // A stuffed 0xFF data byte, or a restart marker.
            i += 1;
            continue;
        }
        if m == JPEG_EOI {
            keep.push((run_start, i + 1));
            return Ok(i + 1);
        }
        if m == JPEG_SOI {
            return Err(unparsed("a JPEG marker is out of place in the image data"));
        }
        let seg_end = segment_end(b, i)?;
        if is_meta_marker(m) {
            keep.push((run_start, marker_start));
            *removed = true;
            run_start = seg_end;
        }
        i = seg_end;
    }
}

fn strip_png(b: &[u8]) -> Result<Option<Vec<u8>>, DomainError> {
    let mut keep: Vec<(usize, usize)> = vec![(0, PNG_SIGNATURE.len())];
    let mut removed = false;
    let mut i = PNG_SIGNATURE.len();
    loop {
        let Some(head) = b.get(i..i + 8) else {
            return Err(unparsed("the PNG ends before its IEND chunk"));
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(unparsed("unexpected bytes between PNG chunks"));
        }
        let end = i
            .checked_add(12)
            .and_then(|e| e.checked_add(len))
            .filter(|&e| e <= b.len())
            .ok_or(unparsed("a PNG chunk is longer than the file"))?;
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
    // Whatever follows IEND is not part of the image.
    Ok((removed || i < b.len()).then(|| concat(b, &keep)))
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
