//! The fixed frame in front of every bundle-log record, and its checksum.
//!
//! ```text
//! 0..4    magic "TSB" ‖ format 1
//! 4..20   tip id (16)
//! 20..22  part u16 BE
//! 22..30  length u64 BE of the bytes that follow (the part's header ‖ body)
//! 30..34  crc32 BE of id ‖ part ‖ those bytes
//! ```
//!
//! Must never: accept a frame whose magic, id, part or length differ from what the
//! index expects.

use crate::domain::TipId;

/// Bytes of a frame.
pub(in crate::storage) const FRAME_LEN: usize = 34;

const MAGIC: [u8; 4] = *b"TSB\x01";

/// A record's frame: what the index expects to find at a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Frame {
    pub id: TipId,
    pub part: u16,
    pub len: u64,
    pub crc: u32,
}

impl Frame {
    pub fn encode(&self) -> [u8; FRAME_LEN] {
        let mut out = [0; FRAME_LEN];
        out[..4].copy_from_slice(&MAGIC);
        out[4..20].copy_from_slice(self.id.as_bytes());
        out[20..22].copy_from_slice(&self.part.to_be_bytes());
        out[22..30].copy_from_slice(&self.len.to_be_bytes());
        out[30..].copy_from_slice(&self.crc.to_be_bytes());
        out
    }

    /// The frame in `b`, if it has the magic; the caller compares the fields.
    pub fn decode(b: &[u8; FRAME_LEN]) -> Option<Frame> {
        if b[..4] != MAGIC {
            return None;
        }
        let mut id = [0; 16];
        id.copy_from_slice(&b[4..20]);
        let mut len = [0; 8];
        len.copy_from_slice(&b[22..30]);
        let mut crc = [0; 4];
        crc.copy_from_slice(&b[30..]);
        Some(Frame {
            id: TipId::from_bytes(id),
            part: u16::from_be_bytes([b[20], b[21]]),
            len: u64::from_be_bytes(len),
            crc: u32::from_be_bytes(crc),
        })
    }
}

/// The running checksum of one record: id ‖ part, then its bytes as they come.
pub(super) fn hasher(id: TipId, part: u16) -> crc32fast::Hasher {
    let mut h = crc32fast::Hasher::new();
    h.update(id.as_bytes());
    h.update(&part.to_be_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips_and_a_foreign_magic_is_refused() {
        let f = Frame {
            id: TipId::from_bytes([3; 16]),
            part: 7,
            len: 1 << 40,
            crc: 0xdead_beef,
        };
        let bytes = f.encode();
        assert_eq!(Frame::decode(&bytes), Some(f));
        let mut other = bytes;
        other[3] = 2;
        assert_eq!(Frame::decode(&other), None);
    }
}
