//! Envelope v1 *structure*: the byte layout of a sealed tip or attachment.
//!
//! This module owns the sizes, the size buckets, and the parsers of the immutable header
//! and of the wrap section, and checks that an envelope's length is exactly the one its
//! bucket dictates. The server uses it to validate an upload without decrypting anything.
//! It must never decrypt, hash or otherwise touch cryptography (that is `crypto::envelope`),
//! and its error texts must never echo input bytes. The format is documented byte by byte
//! in `docs/envelope.md`.
//!
//! ```text
//!  off len field
//!   0   4  magic "TSEV"          | immutable header (68 bytes); its BLAKE2b-256 is the
//!   4   1  version 0x01          | associated data of every body chunk
//!   5   1  kind                  |
//!   6   1  flags                 |
//!   7   1  reserved 0x00         |
//!   8   4  bucket (u32 BE)       |
//!  12  32  key commitment        |
//!  44  24  secretstream header   |
//!  68   4  epoch (u32 BE)        | wrap section (84 bytes): swappable on rotation
//!  72  80  sealed content key    |
//! 152   …  body: ceil(bucket / 65536) secretstream chunks
//! ```

use super::{DomainError, Epoch};

/// The first four bytes of every envelope.
pub const MAGIC: [u8; 4] = *b"TSEV";
/// The only format version this code reads and writes.
pub const VERSION: u8 = 0x01;
/// Length of the immutable header (the associated data is its hash).
pub const HEADER_LEN: usize = 68;
/// Length of the wrap section (epoch and sealed content key).
pub const WRAP_LEN: usize = 84;
/// Header plus wrap section: where the body starts.
pub const PREFIX_LEN: usize = HEADER_LEN + WRAP_LEN;
/// Plaintext bytes per body chunk (every chunk but the last is full).
pub const CHUNK_LEN: usize = 65_536;
/// Bytes secretstream adds to every chunk (encrypted tag byte plus Poly1305 tag).
pub const CHUNK_OVERHEAD: usize = 17;
/// Length of the key commitment (BLAKE2b-256).
pub const COMMITMENT_LEN: usize = 32;
/// Length of the secretstream header (`crypto_secretstream_xchacha20poly1305_HEADERBYTES`).
pub const STREAM_HEADER_LEN: usize = 24;
/// Length of the sealed content key: 32-byte key plus `crypto_box_SEALBYTES` (48).
pub const SEALED_KEY_LEN: usize = 80;
/// The padded plaintext sizes an envelope may have. Few sizes, growing by ×2 to ×4, so an
/// observer of the ciphertext length learns only a coarse size class.
pub const BUCKETS: [u32; 10] = [
    16_384, 65_536, 262_144, 1_048_576, 2_097_152, 4_194_304, 8_388_608, 16_777_216, 33_554_432,
    67_108_864,
];
/// Largest plaintext that fits: the largest bucket minus the one mandatory padding byte.
pub const MAX_PLAINTEXT: usize = 67_108_864 - 1;
/// Length of the largest possible envelope (largest bucket).
pub const MAX_ENVELOPE_LEN: usize =
    PREFIX_LEN + 67_108_864 + CHUNK_OVERHEAD * (67_108_864 / CHUNK_LEN);

const OFF_VERSION: usize = 4;
const OFF_KIND: usize = 5;
const OFF_FLAGS: usize = 6;
const OFF_RESERVED: usize = 7;
const OFF_BUCKET: usize = 8;
const OFF_COMMITMENT: usize = 12;
const OFF_STREAM_HEADER: usize = OFF_COMMITMENT + COMMITMENT_LEN;

/// What an envelope holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The tip document (UTF-8 JSON, see `domain::tip`).
    Tip,
    /// The bytes of one attached file.
    Attachment,
    /// A witness's follow-up message (UTF-8 JSON, see `domain::tip::conversation`).
    Followup,
    /// A reviewer's reply to a witness (UTF-8 JSON, see `domain::tip::conversation`).
    Reply,
    /// A signed triage event (see `domain::triage`), sealed to the team.
    Event,
}

impl Kind {
    /// The byte stored at offset 5.
    pub const fn to_byte(self) -> u8 {
        match self {
            Kind::Tip => 0x01,
            Kind::Attachment => 0x02,
            Kind::Followup => 0x03,
            Kind::Reply => 0x04,
            Kind::Event => 0x05,
        }
    }

    /// Parses the kind byte; anything but 0x01 to 0x05 is refused.
    pub fn from_byte(b: u8) -> Result<Self, DomainError> {
        match b {
            0x01 => Ok(Kind::Tip),
            0x02 => Ok(Kind::Attachment),
            0x03 => Ok(Kind::Followup),
            0x04 => Ok(Kind::Reply),
            0x05 => Ok(Kind::Event),
            _ => Err(DomainError::Envelope("unknown kind")),
        }
    }
}

/// The flags byte. Only known bits can be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Flags(u8);

impl Flags {
    /// No flag set: sealed by the witness's own client.
    pub const NONE: Flags = Flags(0);
    /// Bit 0: sealed by the server on arrival (the no-JavaScript path).
    pub const SEALED_BY_SERVER: Flags = Flags(0x01);
    const KNOWN: u8 = 0x01;

    /// Parses the flags byte, refusing bits this version does not define.
    pub fn from_bits(bits: u8) -> Result<Self, DomainError> {
        if bits & !Self::KNOWN != 0 {
            return Err(DomainError::Envelope("unknown flag bits are set"));
        }
        Ok(Flags(bits))
    }

    /// The raw byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether the server sealed this envelope (the witness had no JavaScript).
    pub const fn sealed_by_server(self) -> bool {
        self.0 & Self::SEALED_BY_SERVER.0 != 0
    }
}

/// A padded plaintext length: one of [`BUCKETS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bucket(u32);

impl Bucket {
    /// The smallest bucket that holds `n` plaintext bytes plus the padding byte.
    pub fn for_plaintext_len(n: usize) -> Result<Self, DomainError> {
        BUCKETS
            .iter()
            .copied()
            .find(|&b| n < b as usize)
            .map(Bucket)
            .ok_or(DomainError::Envelope(
                "the plaintext is larger than the largest bucket",
            ))
    }

    /// Parses a stored bucket; it must be one of [`BUCKETS`].
    pub fn from_u32(n: u32) -> Result<Self, DomainError> {
        if BUCKETS.contains(&n) {
            Ok(Bucket(n))
        } else {
            Err(DomainError::Envelope(
                "the size bucket is not an allowed size",
            ))
        }
    }

    /// The padded plaintext length in bytes.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The padded plaintext length as a `usize`.
    pub const fn len(self) -> usize {
        self.0 as usize
    }

    /// Never true: every bucket is at least 16 KiB. (Here for clippy's `len` convention.)
    pub const fn is_empty(self) -> bool {
        false
    }

    /// Number of body chunks: `ceil(bucket / CHUNK_LEN)`.
    pub const fn chunk_count(self) -> usize {
        self.len().div_ceil(CHUNK_LEN)
    }

    /// Plaintext length of chunk `i` (0-based), or 0 past the end.
    pub fn chunk_plain_len(self, i: usize) -> usize {
        self.len()
            .saturating_sub(i.saturating_mul(CHUNK_LEN))
            .min(CHUNK_LEN)
    }

    /// Length of the body: the padded plaintext plus the per-chunk overhead.
    pub const fn body_len(self) -> usize {
        self.len() + CHUNK_OVERHEAD * self.chunk_count()
    }

    /// Exact length of a whole envelope of this bucket.
    pub const fn envelope_len(self) -> usize {
        PREFIX_LEN + self.body_len()
    }
}

/// The immutable header (the first [`HEADER_LEN`] bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Tip or attachment.
    pub kind: Kind,
    /// Flags.
    pub flags: Flags,
    /// Padded plaintext length.
    pub bucket: Bucket,
    /// BLAKE2b-256 keyed with the content key, binding the wrap to this body.
    pub commitment: [u8; COMMITMENT_LEN],
    /// The secretstream header that starts the body's stream.
    pub stream_header: [u8; STREAM_HEADER_LEN],
}

impl Header {
    /// Parses exactly [`HEADER_LEN`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, DomainError> {
        let bytes: &[u8; HEADER_LEN] = bytes
            .try_into()
            .map_err(|_| DomainError::Envelope("the header is not 68 bytes"))?;
        if bytes[..4] != MAGIC {
            return Err(DomainError::Envelope("wrong magic bytes"));
        }
        if bytes[OFF_VERSION] != VERSION {
            return Err(DomainError::Envelope("unsupported version"));
        }
        let kind = Kind::from_byte(bytes[OFF_KIND])?;
        let flags = Flags::from_bits(bytes[OFF_FLAGS])?;
        if bytes[OFF_RESERVED] != 0 {
            return Err(DomainError::Envelope("the reserved byte is not zero"));
        }
        let bucket = Bucket::from_u32(be_u32(&bytes[OFF_BUCKET..OFF_COMMITMENT]))?;
        let mut commitment = [0u8; COMMITMENT_LEN];
        commitment.copy_from_slice(&bytes[OFF_COMMITMENT..OFF_STREAM_HEADER]);
        let mut stream_header = [0u8; STREAM_HEADER_LEN];
        stream_header.copy_from_slice(&bytes[OFF_STREAM_HEADER..HEADER_LEN]);
        Ok(Header {
            kind,
            flags,
            bucket,
            commitment,
            stream_header,
        })
    }

    /// The 68 header bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..4].copy_from_slice(&MAGIC);
        out[OFF_VERSION] = VERSION;
        out[OFF_KIND] = self.kind.to_byte();
        out[OFF_FLAGS] = self.flags.bits();
        out[OFF_RESERVED] = 0;
        out[OFF_BUCKET..OFF_COMMITMENT].copy_from_slice(&self.bucket.get().to_be_bytes());
        out[OFF_COMMITMENT..OFF_STREAM_HEADER].copy_from_slice(&self.commitment);
        out[OFF_STREAM_HEADER..].copy_from_slice(&self.stream_header);
        out
    }
}

/// The wrap section: which epoch's intake key the content key is sealed to, and the
/// sealed key. Not covered by the associated data, so a rewrap can replace it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrapSection {
    /// The key epoch whose intake public key sealed the content key.
    pub epoch: Epoch,
    /// `crypto_box_seal(content_key, intake_pk)`.
    pub sealed_key: [u8; SEALED_KEY_LEN],
}

impl WrapSection {
    /// Parses exactly [`WRAP_LEN`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, DomainError> {
        if bytes.len() != WRAP_LEN {
            return Err(DomainError::Envelope("the wrap section is not 84 bytes"));
        }
        let epoch = Epoch::new(be_u32(&bytes[..4]))
            .map_err(|_| DomainError::Envelope("the key epoch is zero"))?;
        let mut sealed_key = [0u8; SEALED_KEY_LEN];
        sealed_key.copy_from_slice(&bytes[4..]);
        Ok(WrapSection { epoch, sealed_key })
    }

    /// The 84 wrap bytes.
    pub fn encode(&self) -> [u8; WRAP_LEN] {
        let mut out = [0u8; WRAP_LEN];
        out[..4].copy_from_slice(&self.epoch.get().to_be_bytes());
        out[4..].copy_from_slice(&self.sealed_key);
        out
    }
}

/// A structurally valid envelope, borrowed from the bytes it was parsed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeRef<'a> {
    /// The parsed immutable header.
    pub header: Header,
    /// The parsed wrap section.
    pub wrap: WrapSection,
    /// The raw 68 header bytes (hashed into the associated data).
    pub header_bytes: &'a [u8],
    /// The body: `bucket.chunk_count()` encrypted chunks.
    pub body: &'a [u8],
    /// The whole envelope.
    pub bytes: &'a [u8],
}

impl<'a> EnvelopeRef<'a> {
    /// The body's encrypted chunks, in order; all but the last are
    /// `CHUNK_LEN + CHUNK_OVERHEAD` bytes.
    pub fn chunks(&self) -> std::slice::Chunks<'a, u8> {
        self.body.chunks(CHUNK_LEN + CHUNK_OVERHEAD)
    }

    /// The envelope with its wrap section replaced (what storage serves after a rewrap).
    pub fn with_wrap(&self, wrap: &WrapSection) -> Vec<u8> {
        assemble(self.header_bytes, wrap, self.body)
    }
}

/// Parses an envelope's structure: header, wrap section and exact length. Does not
/// decrypt or authenticate anything.
pub fn parse(bytes: &[u8]) -> Result<EnvelopeRef<'_>, DomainError> {
    let (header, wrap) = parse_prefix(bytes, bytes.len() as u64)?;
    let (header_bytes, rest) = bytes.split_at(HEADER_LEN);
    let body = &rest[WRAP_LEN..];
    Ok(EnvelopeRef {
        header,
        wrap,
        header_bytes,
        body,
        bytes,
    })
}

/// Parses an envelope's structure from its first bytes and its total length, without the
/// body: the same checks, in the same order and with the same errors, as [`parse`] — for
/// an envelope too large to hold in memory (an upload, read chunk by chunk). `start`
/// must hold at least the first [`PREFIX_LEN`] bytes when `len` allows that many; bytes
/// past them are ignored. The caller must still check that the body it copies has
/// `len - PREFIX_LEN` bytes.
pub fn parse_prefix(start: &[u8], len: u64) -> Result<(Header, WrapSection), DomainError> {
    if len < PREFIX_LEN as u64 || start.len() < PREFIX_LEN {
        return Err(DomainError::Envelope(
            "too short for the header and wrap section",
        ));
    }
    let header = Header::parse(&start[..HEADER_LEN])?;
    let wrap = WrapSection::parse(&start[HEADER_LEN..PREFIX_LEN])?;
    if len != header.bucket.envelope_len() as u64 {
        return Err(DomainError::Envelope(
            "length does not match the bucket (truncated or trailing bytes)",
        ));
    }
    Ok((header, wrap))
}

/// Rebuilds envelope bytes from stored pieces: the 68 header bytes, a wrap section and
/// the body. The result still has to pass [`parse`]; this function does not check it.
pub fn assemble(header_bytes: &[u8], wrap: &WrapSection, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header_bytes.len() + WRAP_LEN + body.len());
    out.extend_from_slice(header_bytes);
    out.extend_from_slice(&wrap.encode());
    out.extend_from_slice(body);
    out
}

fn be_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_be_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(kind: Kind, bucket: Bucket) -> Vec<u8> {
        let header = Header {
            kind,
            flags: Flags::NONE,
            bucket,
            commitment: [7; 32],
            stream_header: [9; 24],
        };
        let wrap = WrapSection {
            epoch: Epoch::FIRST,
            sealed_key: [3; 80],
        };
        assemble(&header.encode(), &wrap, &vec![0u8; bucket.body_len()])
    }

    fn reason(bytes: &[u8]) -> &'static str {
        match parse(bytes) {
            Err(DomainError::Envelope(r)) => r,
            other => panic!("expected an envelope error, got {other:?}"),
        }
    }

    #[test]
    fn buckets_are_the_smallest_that_fit_the_plaintext_and_its_padding_byte() {
        assert_eq!(Bucket::for_plaintext_len(0).unwrap().get(), 16_384);
        assert_eq!(Bucket::for_plaintext_len(16_383).unwrap().get(), 16_384);
        assert_eq!(Bucket::for_plaintext_len(16_384).unwrap().get(), 65_536);
        assert_eq!(
            Bucket::for_plaintext_len(MAX_PLAINTEXT).unwrap().get(),
            67_108_864
        );
        assert!(Bucket::for_plaintext_len(MAX_PLAINTEXT + 1).is_err());
        assert!(Bucket::from_u32(16_385).is_err());
    }

    #[test]
    fn envelope_lengths_follow_the_chunking_rule() {
        let small = Bucket::from_u32(16_384).unwrap();
        assert_eq!(small.chunk_count(), 1);
        assert_eq!(small.envelope_len(), 152 + 16_384 + 17);
        let mid = Bucket::from_u32(262_144).unwrap();
        assert_eq!(mid.chunk_count(), 4);
        assert_eq!(mid.chunk_plain_len(3), 65_536);
        assert_eq!(mid.chunk_plain_len(4), 0);
        let big = Bucket::from_u32(67_108_864).unwrap();
        assert_eq!(big.envelope_len(), MAX_ENVELOPE_LEN);
    }

    #[test]
    fn a_well_formed_envelope_parses_and_round_trips() {
        let b = Bucket::from_u32(262_144).unwrap();
        let bytes = sample(Kind::Attachment, b);
        let env = parse(&bytes).unwrap();
        assert_eq!(env.header.kind, Kind::Attachment);
        assert_eq!(env.header.encode()[..], bytes[..HEADER_LEN]);
        assert_eq!(env.chunks().count(), 4);
        assert_eq!(env.with_wrap(&env.wrap), bytes);
    }

    #[test]
    fn each_structural_defect_is_named() {
        let good = sample(Kind::Tip, Bucket::from_u32(16_384).unwrap());
        let mut b = good.clone();
        b[0] = b'X';
        assert_eq!(reason(&b), "wrong magic bytes");
        let mut b = good.clone();
        b[4] = 2;
        assert_eq!(reason(&b), "unsupported version");
        let mut b = good.clone();
        b[5] = 0xFF;
        assert_eq!(reason(&b), "unknown kind");
        let mut b = good.clone();
        b[6] = 0x02;
        assert_eq!(reason(&b), "unknown flag bits are set");
        let mut b = good.clone();
        b[7] = 1;
        assert_eq!(reason(&b), "the reserved byte is not zero");
        let mut b = good.clone();
        b[11] = 1;
        assert_eq!(reason(&b), "the size bucket is not an allowed size");
        let mut b = good.clone();
        b[68..72].copy_from_slice(&[0; 4]);
        assert_eq!(reason(&b), "the key epoch is zero");
        let too_long = [&good[..], &[0]].concat();
        assert_eq!(
            reason(&too_long),
            "length does not match the bucket (truncated or trailing bytes)"
        );
        assert_eq!(
            reason(&good[..good.len() - 1]),
            "length does not match the bucket (truncated or trailing bytes)"
        );
        assert_eq!(
            reason(&good[..100]),
            "too short for the header and wrap section"
        );
    }

    #[test]
    fn flags_refuse_unknown_bits() {
        assert!(Flags::from_bits(0x01).unwrap().sealed_by_server());
        assert!(!Flags::NONE.sealed_by_server());
        for bit in 1..8 {
            assert!(Flags::from_bits(1 << bit).is_err());
        }
    }

    proptest! {
        #[test]
        fn parsing_random_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn parsing_a_mutated_prefix_never_panics(pos in 0usize..PREFIX_LEN, val in any::<u8>()) {
            let mut b = sample(Kind::Tip, Bucket::from_u32(16_384).unwrap());
            b[pos] = val;
            let _ = parse(&b);
        }

        /// An upload is checked from its first bytes and declared length only: it must
        /// accept and refuse exactly what the whole-envelope parser does, for the same
        /// reason.
        #[test]
        fn the_prefix_parser_agrees_with_the_whole_parser(
            pos in 0usize..PREFIX_LEN,
            val in any::<u8>(),
            cut in 0usize..3,
        ) {
            let mut b = sample(Kind::Attachment, Bucket::from_u32(16_384).unwrap());
            b[pos] = val;
            let b = match cut {
                0 => b,
                1 => b[..b.len() - 1].to_vec(),
                _ => [&b[..], &[0]].concat(),
            };
            let whole = parse(&b).map(|e| (e.header, e.wrap));
            let prefix = parse_prefix(&b[..PREFIX_LEN], b.len() as u64);
            prop_assert_eq!(whole, prefix);
        }
    }
}
