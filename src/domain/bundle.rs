//! Bundle framing: what a witness uploads — one tip envelope and its attachments.
//!
//! ```text
//!  0  4  magic "TSBN"
//!  4  1  version 0x01
//!  5  1  count N, 1..=33: part 0 is kind tip, parts 1..N-1 kind attachment
//!  6  …  N times: u32 big-endian length L, then L bytes = one complete envelope
//! ```
//! No trailing bytes; all parts carry the same epoch and flags. This module checks the
//! framing and each part's envelope structure, never the cryptography, and its errors
//! never echo input bytes.

use super::envelope::{self, EnvelopeRef, Flags, Kind};
use super::{DomainError, Epoch};

/// The first four bytes of every bundle.
pub const MAGIC: [u8; 4] = *b"TSBN";
/// The only bundle version this code reads and writes.
pub const VERSION: u8 = 0x01;
/// Most parts in a bundle: the tip and up to 32 attachments. Enough for a handful of
/// photos and documents; the HTTP layer caps the total size separately.
pub const MAX_PARTS: usize = 33;
/// Length of the fixed bundle prefix (magic, version, count).
pub const PREFIX_LEN: usize = 6;
/// Length of each part's length field.
pub const PART_LEN_FIELD: usize = 4;

/// A structurally valid bundle, borrowing the uploaded bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle<'a> {
    parts: Vec<EnvelopeRef<'a>>,
}

impl<'a> Bundle<'a> {
    /// Every part, the tip first.
    pub fn parts(&self) -> &[EnvelopeRef<'a>] {
        &self.parts
    }

    /// The tip envelope (part 0).
    pub fn tip(&self) -> &EnvelopeRef<'a> {
        // Invariant from `parse`: there is at least one part.
        &self.parts[0]
    }

    /// The attachment envelopes (parts 1..).
    pub fn attachments(&self) -> &[EnvelopeRef<'a>] {
        &self.parts[1..]
    }

    /// The key epoch all parts are sealed under.
    pub fn epoch(&self) -> Epoch {
        self.tip().wrap.epoch
    }

    /// The flags all parts carry.
    pub fn flags(&self) -> Flags {
        self.tip().header.flags
    }

    /// The raw bytes of part `i`, if it exists.
    pub fn part_bytes(&self, i: usize) -> Option<&'a [u8]> {
        self.parts.get(i).map(|p| p.bytes)
    }

    /// Total envelope bytes (without the bundle framing).
    pub fn envelopes_len(&self) -> usize {
        self.parts.iter().map(|p| p.bytes.len()).sum()
    }

    /// Takes the parts out.
    pub fn into_parts(self) -> Vec<EnvelopeRef<'a>> {
        self.parts
    }
}

/// Parses a bundle: framing, then each part's envelope structure, kinds, and that all
/// parts share one epoch and one set of flags.
pub fn parse(bytes: &[u8]) -> Result<Bundle<'_>, DomainError> {
    parse_with_kinds(bytes, |i| if i == 0 { Kind::Tip } else { Kind::Attachment })
}

/// Like [`parse`], for the bundles of a conversation: `expected(i)` is the kind part `i`
/// must have (a follow-up or reply first, attachments after; see `docs/followup.md`).
pub fn parse_with_kinds(
    bytes: &[u8],
    expected: impl Fn(usize) -> Kind,
) -> Result<Bundle<'_>, DomainError> {
    if bytes.len() < PREFIX_LEN {
        return Err(DomainError::Bundle("too short"));
    }
    if bytes[..4] != MAGIC {
        return Err(DomainError::Bundle("wrong magic bytes"));
    }
    if bytes[4] != VERSION {
        return Err(DomainError::Bundle("unsupported version"));
    }
    let count = usize::from(bytes[5]);
    if !(1..=MAX_PARTS).contains(&count) {
        return Err(DomainError::Bundle("the part count must be 1 to 33"));
    }
    let mut rest = &bytes[PREFIX_LEN..];
    let mut parts = Vec::with_capacity(count);
    for i in 0..count {
        if rest.len() < PART_LEN_FIELD {
            return Err(DomainError::Bundle("truncated part length"));
        }
        let (len_field, after) = rest.split_at(PART_LEN_FIELD);
        let mut len = [0u8; 4];
        len.copy_from_slice(len_field);
        let len = u32::from_be_bytes(len) as usize;
        if len > after.len() {
            return Err(DomainError::Bundle(
                "a part is longer than the rest of the bundle",
            ));
        }
        let (part, after) = after.split_at(len);
        let env = envelope::parse(part)?;
        let want = expected(i);
        if env.header.kind != want {
            return Err(DomainError::Bundle(match (i, want) {
                (0, Kind::Tip) => "the first part must be a tip",
                (_, Kind::Attachment) => "every part after the first must be an attachment",
                _ => "a part does not have the kind this bundle needs there",
            }));
        }
        if let Some(first) = parts.first() {
            let first: &EnvelopeRef<'_> = first;
            if env.wrap.epoch != first.wrap.epoch {
                return Err(DomainError::Bundle("the parts carry different key epochs"));
            }
            if env.header.flags != first.header.flags {
                return Err(DomainError::Bundle("the parts carry different flags"));
            }
        }
        parts.push(env);
        rest = after;
    }
    if !rest.is_empty() {
        return Err(DomainError::Bundle("trailing bytes after the last part"));
    }
    Ok(Bundle { parts })
}

/// Where each part's wrap section sits in the bundle bytes this bundle was parsed from:
/// the byte offset of part `i`'s [`envelope::WRAP_LEN`]-byte wrap. A conversation entry
/// is stored as its bundle bytes, so a rewrap replaces exactly these ranges.
pub fn wrap_offsets(b: &Bundle<'_>) -> Vec<usize> {
    let mut at = PREFIX_LEN;
    b.parts()
        .iter()
        .map(|p| {
            let wrap = at + PART_LEN_FIELD + envelope::HEADER_LEN;
            at += PART_LEN_FIELD + p.bytes.len();
            wrap
        })
        .collect()
}

/// Length of the bundle [`encode`] makes of these parts.
pub fn encoded_len(parts: &[&[u8]]) -> usize {
    PREFIX_LEN
        + parts
            .iter()
            .map(|p| PART_LEN_FIELD + p.len())
            .sum::<usize>()
}

/// Frames envelopes into a bundle, tip first. Does not check the envelopes; the result
/// still has to pass [`parse`].
///
/// # Panics
/// If there are more than [`MAX_PARTS`] parts or a part is longer than `u32::MAX` bytes:
/// both are programming errors (envelopes are at most `envelope::MAX_ENVELOPE_LEN`).
pub fn encode(parts: &[&[u8]]) -> Vec<u8> {
    assert!(parts.len() <= MAX_PARTS, "a bundle holds at most 33 parts");
    let mut out = Vec::with_capacity(encoded_len(parts));
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    // Fits: checked against MAX_PARTS (33) above.
    out.push(parts.len() as u8);
    for p in parts {
        let len = u32::try_from(p.len()).expect("an envelope is shorter than 4 GiB");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::envelope::{assemble, Bucket, Header, WrapSection};
    use proptest::prelude::*;

    fn env(kind: Kind, epoch: u32, flags: Flags) -> Vec<u8> {
        let bucket = Bucket::from_u32(16_384).unwrap();
        let header = Header {
            kind,
            flags,
            bucket,
            commitment: [1; 32],
            stream_header: [2; 24],
        };
        let wrap = WrapSection {
            epoch: Epoch::new(epoch).unwrap(),
            sealed_key: [3; 80],
        };
        assemble(&header.encode(), &wrap, &vec![0; bucket.body_len()])
    }

    fn reason(bytes: &[u8]) -> DomainError {
        parse(bytes).expect_err("should be refused")
    }

    #[test]
    fn a_tip_with_two_attachments_round_trips() {
        let tip = env(Kind::Tip, 2, Flags::SEALED_BY_SERVER);
        let a = env(Kind::Attachment, 2, Flags::SEALED_BY_SERVER);
        let parts: [&[u8]; 3] = [&tip, &a, &a];
        let bytes = encode(&parts);
        assert_eq!(bytes.len(), encoded_len(&parts));
        let b = parse(&bytes).unwrap();
        assert_eq!(b.parts().len(), 3);
        assert_eq!(b.attachments().len(), 2);
        assert_eq!(b.epoch().get(), 2);
        assert!(b.flags().sealed_by_server());
        assert_eq!(b.part_bytes(0), Some(&tip[..]));
        assert_eq!(b.tip().header.kind, Kind::Tip);
    }

    #[test]
    fn wrap_offsets_point_at_each_parts_wrap_section() {
        let tip = env(Kind::Tip, 2, Flags::NONE);
        let a = env(Kind::Attachment, 2, Flags::NONE);
        let bytes = encode(&[&tip, &a]);
        let b = parse(&bytes).unwrap();
        let offsets = wrap_offsets(&b);
        assert_eq!(offsets.len(), 2);
        for (o, p) in offsets.iter().zip(b.parts()) {
            assert_eq!(
                &bytes[*o..*o + envelope::WRAP_LEN],
                &p.wrap.encode()[..],
                "offset {o}"
            );
        }
    }

    #[test]
    fn framing_errors_are_named() {
        let tip = env(Kind::Tip, 1, Flags::NONE);
        let att = env(Kind::Attachment, 1, Flags::NONE);
        let good = encode(&[&tip, &att]);

        let mut b = good.clone();
        b[0] = 0;
        assert_eq!(reason(&b), DomainError::Bundle("wrong magic bytes"));
        let mut b = good.clone();
        b[5] = 0;
        assert_eq!(
            reason(&b),
            DomainError::Bundle("the part count must be 1 to 33")
        );
        let mut b = good.clone();
        b[5] = 3;
        assert_eq!(reason(&b), DomainError::Bundle("truncated part length"));
        let mut b = good.clone();
        b.push(0);
        assert_eq!(
            reason(&b),
            DomainError::Bundle("trailing bytes after the last part")
        );
        assert_eq!(
            reason(&good[..good.len() - 1]),
            DomainError::Bundle("a part is longer than the rest of the bundle")
        );
        assert_eq!(
            reason(&encode(&[&att, &tip])),
            DomainError::Bundle("the first part must be a tip")
        );
        assert_eq!(
            reason(&encode(&[&tip, &tip])),
            DomainError::Bundle("every part after the first must be an attachment")
        );
        let other_epoch = env(Kind::Attachment, 2, Flags::NONE);
        assert_eq!(
            reason(&encode(&[&tip, &other_epoch])),
            DomainError::Bundle("the parts carry different key epochs")
        );
        let other_flags = env(Kind::Attachment, 1, Flags::SEALED_BY_SERVER);
        assert_eq!(
            reason(&encode(&[&tip, &other_flags])),
            DomainError::Bundle("the parts carry different flags")
        );
    }

    #[test]
    fn an_envelope_error_inside_a_part_passes_through() {
        let mut tip = env(Kind::Tip, 1, Flags::NONE);
        tip[0] = b'X';
        assert_eq!(
            reason(&encode(&[&tip])),
            DomainError::Envelope("wrong magic bytes")
        );
    }

    #[test]
    fn thirty_three_parts_are_the_limit() {
        let tip = env(Kind::Tip, 1, Flags::NONE);
        let att = env(Kind::Attachment, 1, Flags::NONE);
        let mut parts: Vec<&[u8]> = vec![&tip];
        parts.extend(std::iter::repeat_n(&att[..], MAX_PARTS - 1));
        assert_eq!(parse(&encode(&parts)).unwrap().parts().len(), MAX_PARTS);
        let mut too_many = encode(&parts);
        too_many[5] = 34;
        assert_eq!(
            reason(&too_many),
            DomainError::Bundle("the part count must be 1 to 33")
        );
    }

    proptest! {
        #[test]
        fn parsing_random_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn parsing_a_mutated_framing_never_panics(pos in 0usize..12, val in any::<u8>()) {
            let tip = env(Kind::Tip, 1, Flags::NONE);
            let mut b = encode(&[&tip]);
            b[pos] = val;
            let _ = parse(&b);
        }
    }
}
