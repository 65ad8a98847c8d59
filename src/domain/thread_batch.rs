//! The framing of a batch of conversation entries, as `GET /api/v1/tips/{id}/thread/entries`
//! answers it: each entry as `seq (u32, big-endian) ‖ length (u64, big-endian) ‖ the
//! reviewers' copy of the entry's bundle as stored`, in increasing seq order, and nothing
//! else. The server writes the headers with [`frame_header`] while it streams the stored
//! chunks; a reviewer's client reads the answer with [`parse`].
//!
//! Why a batch at all: anyone with a receipt can grow a conversation to 10,000 entries,
//! and read one request per entry, a reviewer's first sync of it cost 10,000 requests of
//! the staff budget (100 a second: ~90 s). One batch carries up to [`MAX_BATCH_ENTRIES`] entries and
//! [`BATCH_BYTES`] bytes of them (always at least one entry, however large).
//!
//! Must never: accept a frame cut short, a length past the input, or seqs that do not
//! increase: such an answer is refused whole, never opened in part. (An answer that ends
//! at a frame's end is a shorter batch, which is harmless: the client asks on from the
//! last seq it received, and HTTP's `Content-Length` already refuses a cut answer.)

pub use super::limits::{BATCH_BYTES, MAX_BATCH_ENTRIES};
use super::DomainError;

/// Length of a frame's header: the seq (4) and the bundle's length (8).
pub const FRAME_HEADER_LEN: usize = 12;

/// The header that precedes entry `seq`'s `len` bytes in a batch.
pub fn frame_header(seq: u32, len: u64) -> [u8; FRAME_HEADER_LEN] {
    let mut h = [0u8; FRAME_HEADER_LEN];
    h[..4].copy_from_slice(&seq.to_be_bytes());
    h[4..].copy_from_slice(&len.to_be_bytes());
    h
}

/// One entry of a batch: its seq in the conversation and its sealed bundle's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The entry's number in the conversation.
    pub seq: u32,
    /// The reviewers' copy of the entry's bundle, as stored (still sealed).
    pub bytes: &'a [u8],
}

/// Splits a batch into its frames (an empty input is an empty batch).
pub fn parse(data: &[u8]) -> Result<Vec<Frame<'_>>, DomainError> {
    let mut frames: Vec<Frame<'_>> = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (head, tail) = rest
            .split_first_chunk::<FRAME_HEADER_LEN>()
            .ok_or(DomainError::Batch("a frame header is cut short"))?;
        let seq = u32::from_be_bytes(head[..4].try_into().expect("4 bytes"));
        let len = u64::from_be_bytes(head[4..].try_into().expect("8 bytes"));
        let len = usize::try_from(len)
            .ok()
            .filter(|&len| len <= tail.len())
            .ok_or(DomainError::Batch("an entry is longer than the answer"))?;
        if frames.last().is_some_and(|last| last.seq >= seq) {
            return Err(DomainError::Batch(
                "the entries are not in increasing order",
            ));
        }
        let (bytes, after) = tail.split_at(len);
        frames.push(Frame { seq, bytes });
        rest = after;
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encode(entries: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (seq, bytes) in entries {
            out.extend_from_slice(&frame_header(*seq, bytes.len() as u64));
            out.extend_from_slice(bytes);
        }
        out
    }

    #[test]
    fn an_empty_answer_is_an_empty_batch() {
        assert_eq!(parse(&[]).unwrap(), vec![]);
    }

    #[test]
    fn a_batch_reads_back_its_frames_including_empty_entries() {
        let data = encode(&[(3, b"abc".to_vec()), (4, vec![]), (9, vec![7; 300])]);
        let frames = parse(&data).unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!((frames[0].seq, frames[0].bytes), (3, &b"abc"[..]));
        assert_eq!((frames[1].seq, frames[1].bytes.len()), (4, 0));
        assert_eq!((frames[2].seq, frames[2].bytes), (9, &[7u8; 300][..]));
    }

    #[test]
    fn cut_short_reordered_or_overlong_batches_are_refused_whole() {
        let data = encode(&[(1, b"one".to_vec()), (2, b"two".to_vec())]);
        for cut in 1..data.len() {
            // Cut at a frame's end, it is a shorter batch (the client asks on from the
            // last seq it got); anywhere else it is refused.
            if cut == FRAME_HEADER_LEN + 3 {
                assert_eq!(parse(&data[..cut]).unwrap().len(), 1);
            } else {
                assert!(parse(&data[..cut]).is_err(), "cut at {cut} must not parse");
            }
        }
        let reordered = encode(&[(2, b"two".to_vec()), (1, b"one".to_vec())]);
        assert_eq!(
            parse(&reordered),
            Err(DomainError::Batch(
                "the entries are not in increasing order"
            ))
        );
        let repeated = encode(&[(2, b"a".to_vec()), (2, b"b".to_vec())]);
        assert!(parse(&repeated).is_err());
        let mut huge = frame_header(0, u64::MAX).to_vec();
        huge.extend_from_slice(b"x");
        assert_eq!(
            parse(&huge),
            Err(DomainError::Batch("an entry is longer than the answer"))
        );
    }

    proptest! {
        #[test]
        fn what_is_framed_parses_back(
            lens in proptest::collection::vec(0usize..64, 0..20),
            gaps in proptest::collection::vec(1u32..5, 20),
        ) {
            let mut seq = 0u32;
            let entries: Vec<(u32, Vec<u8>)> = lens
                .iter()
                .enumerate()
                .map(|(i, &len)| {
                    seq += gaps[i];
                    (seq, vec![i as u8; len])
                })
                .collect();
            let data = encode(&entries);
            let frames = parse(&data).unwrap();
            prop_assert_eq!(frames.len(), entries.len());
            for (f, (seq, bytes)) in frames.iter().zip(&entries) {
                prop_assert_eq!(f.seq, *seq);
                prop_assert_eq!(f.bytes, &bytes[..]);
            }
        }

        #[test]
        fn any_bytes_parse_or_are_refused_without_a_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(frames) = parse(&data) {
                let total: usize = frames.iter().map(|f| FRAME_HEADER_LEN + f.bytes.len()).sum();
                prop_assert_eq!(total, data.len());
            }
        }
    }
}
