//! The one set of size limits that the witness page, the server and the reviewer client
//! share (`docs/limits.md`), so that what a witness can build the server accepts and a
//! reviewer can always open.
//!
//! The page gets these numbers from the server (rendered into the form), the server
//! enforces them, and the reviewer client reads responses up to [`MAX_TIP_BYTES`]. Never
//! copy a number from here by hand: name the constant.

#[cfg(doc)]
use super::envelope::Bucket;
use super::envelope::{CHUNK_LEN, CHUNK_OVERHEAD, PREFIX_LEN};

/// Largest plaintext of one attached file (after metadata removal): one byte under the
/// 32 MiB padding bucket. Larger files are refused by the page before anything is sent.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024 - 1;

/// Largest envelope a single upload may declare: the envelope of a [`MAX_FILE_BYTES`]
/// file (33 563 288 bytes).
pub const MAX_UPLOAD_BYTES: usize = envelope_len_of_bucket(MAX_FILE_BYTES + 1);

/// Largest whole tip as stored and as a reviewer fetches it: the bundle framing, the tip
/// envelope, inline attachments and uploads together. 72 MiB holds two files of the
/// largest size plus the tip; the server refuses more with 413 and a reviewer's client
/// reads exactly this much, so every stored tip opens.
pub const MAX_TIP_BYTES: usize = 72 * 1024 * 1024;

/// Most bytes one tip's conversation may store: every follow-up and both copies of every
/// reply (the witness's and the team's), counted as stored. 96 MiB holds three
/// follow-ups of the largest size a request carries; past it the server refuses further
/// follow-ups and replies with 409 `conversation_full`, reserving the bytes atomically
/// with the append so concurrent posts cannot overshoot. Bounds what a witness session
/// (or a reviewer's) can make the server store per tip, and the witness's mailbox read.
pub const MAX_THREAD_BYTES: usize = 96 * 1024 * 1024;

/// Most entries one batch of a conversation carries
/// (`GET /api/v1/tips/{id}/thread/entries`, [`super::thread_batch`]).
pub const MAX_BATCH_ENTRIES: usize = 1000;

/// Most bytes of entries one batch carries, unless its first entry alone is larger (a
/// batch always carries at least one entry, and an entry is at most one request body).
/// 8 MiB: thousands of text follow-ups per request, while a reviewer's client holds no
/// more than this (or one entry) of a conversation in memory at once.
pub const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// Length a tip bundle adds per part on top of the envelope (its u32 length field).
pub const PART_FRAMING: usize = 4;

/// Exact length of an envelope whose padded plaintext is `bucket` bytes (the rule of
/// [`Bucket::envelope_len`], usable in constants).
const fn envelope_len_of_bucket(bucket: usize) -> usize {
    PREFIX_LEN + bucket + CHUNK_OVERHEAD * bucket.div_ceil(CHUNK_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bundle;
    use crate::domain::envelope::{Bucket, MAX_ENVELOPE_LEN};

    #[test]
    fn two_largest_files_and_a_tip_fit_in_one_tip() {
        let tip_envelope = Bucket::for_plaintext_len(1024 * 1024 - 1)
            .unwrap()
            .envelope_len();
        let two_files = 2 * (PART_FRAMING + MAX_UPLOAD_BYTES);
        assert!(bundle::PREFIX_LEN + PART_FRAMING + tip_envelope + two_files <= MAX_TIP_BYTES);
        const { assert!(MAX_UPLOAD_BYTES < MAX_ENVELOPE_LEN) };
        assert_eq!(
            Bucket::for_plaintext_len(MAX_FILE_BYTES)
                .unwrap()
                .envelope_len(),
            MAX_UPLOAD_BYTES
        );
        assert!(
            Bucket::for_plaintext_len(MAX_FILE_BYTES + 1)
                .unwrap()
                .envelope_len()
                > MAX_UPLOAD_BYTES
        );
    }
}
