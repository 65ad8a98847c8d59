//! Mailboxes and conversations after a tip.
//!
//! | tree           | key                                      | value                          |
//! |----------------|------------------------------------------|--------------------------------|
//! | `mailboxes`    | peppered hash of a mailbox key (32)      | tip id (16)                    |
//! | `thread`       | tip id (16) ‖ seq u32 BE                 | entry record, below            |
//! | `thread_blobs` | tip id ‖ seq u32 ‖ copy u8 ‖ chunk u32 BE | ≤ [`CHUNK_LEN`] bytes of a bundle |
//! | `thread_seq`   | tip id (16)                              | last seq u32 ‖ bytes u64 BE    |
//!
//! Entry record: `1 ‖ kind u8 (1 follow-up, 2 reply) ‖ day i64 ‖ witness copy length u64
//! (u64::MAX: none, or deleted after reading) ‖ reviewers' copy length u64`. Copy 0 is the
//! witness's copy (sealed to their reply key): of a reply, or of the witness's own
//! follow-up (its message, so the witness sees their whole conversation; follow-ups stored
//! before such copies existed have none). Copy 1 is the reviewers' copy (sealed to an
//! epoch). Both are sealed bundles that storage cannot read. Blob chunks are written
//! first and the record last, so a reader sees an entry whole or not at all; chunks of a
//! write that crashed before its record stay behind as unreadable garbage (see the
//! follow-up issue list in `docs/followup.md`).
//!
//! `thread_seq` also holds the bytes stored so far in the conversation (both copies of
//! every entry), reserved in the same atomic update that hands out the seq, so that no
//! two concurrent appends can together pass [`MAX_THREAD_BYTES`]. (A value written before
//! the byte count existed is 4 bytes long and counts from 0.)
//!
//! Must never: store a mailbox key or anything derived from a receipt except the
//! peppered hash, or a time finer than a UTC day.

use std::collections::BTreeMap;

use sled::transaction::{abort, ConflictableTransactionResult, TransactionalTree};
use sled::Transactional;

use crate::domain::limits::MAX_THREAD_BYTES;
use crate::domain::{thread_batch, Day, TipId};

use super::layout::{CHUNK_LEN, WRAP_LEN};
use super::{tx_error, StorageError, Store};

const TREE_MAILBOXES: &str = "mailboxes";
const TREE_THREAD: &str = "thread";
const TREE_THREAD_BLOBS: &str = "thread_blobs";
const TREE_THREAD_SEQ: &str = "thread_seq";

const RECORD_FORMAT: u8 = 1;
const RECORD_LEN: usize = 1 + 1 + 8 + 8 + 8;
const NO_COPY: u64 = u64::MAX;
const COPY_WITNESS: u8 = 0;
const COPY_REVIEWERS: u8 = 1;
/// Most entries in one conversation: far beyond any real exchange, and a bound on what
/// a witness session can make the server store.
pub const MAX_THREAD_ENTRIES: u32 = 10_000;

/// Who wrote an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadKind {
    /// The witness, after the tip.
    Followup,
    /// A reviewer.
    Reply,
}

impl ThreadKind {
    fn to_byte(self) -> u8 {
        match self {
            ThreadKind::Followup => 1,
            ThreadKind::Reply => 2,
        }
    }

    fn from_byte(b: u8) -> Result<Self, StorageError> {
        match b {
            1 => Ok(ThreadKind::Followup),
            2 => Ok(ThreadKind::Reply),
            _ => Err(StorageError::Corrupt("thread entry kind")),
        }
    }
}

/// Which copy of the entries to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// The witness: every entry that has a witness's copy (replies, and the witness's own
    /// follow-ups that carry one), those copies.
    Witness,
    /// Reviewers: every entry, the reviewers' copies.
    Reviewers,
}

/// One entry read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadEntry {
    /// Position in the conversation, from 0.
    pub seq: u32,
    /// Follow-up or reply.
    pub kind: ThreadKind,
    /// The UTC day it arrived.
    pub received: Day,
    /// The sealed bundle for the reader asked for.
    pub bundle: Vec<u8>,
}

/// One entry of a conversation listing: what it is and how long its copy is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadIndexEntry {
    /// Position in the conversation, from 0.
    pub seq: u32,
    /// Follow-up or reply.
    pub kind: ThreadKind,
    /// The UTC day it arrived.
    pub received: Day,
    /// Length of the sealed bundle for the reader asked for.
    pub len: u64,
}

/// One entry's sealed bundle as chunks of at most [`CHUNK_LEN`] bytes, read as they are
/// asked for. Every chunk is checked (present, full but the last, exact total); a
/// mismatch is an error item, after which the iterator ends.
pub struct ThreadEntryPieces {
    blobs: sled::Tree,
    tip: TipId,
    seq: u32,
    copy: u8,
    len: u64,
    read: u64,
    next_chunk: u32,
    failed: bool,
}

impl ThreadEntryPieces {
    fn new(blobs: sled::Tree, tip: TipId, seq: u32, copy: u8, len: u64) -> Self {
        ThreadEntryPieces {
            blobs,
            tip,
            seq,
            copy,
            len,
            read: 0,
            next_chunk: 0,
            failed: false,
        }
    }

    /// Length of the whole bundle this yields.
    pub fn total_len(&self) -> u64 {
        self.len
    }

    fn next_piece(&mut self) -> Result<Option<Vec<u8>>, StorageError> {
        if self.read == self.len {
            return Ok(None);
        }
        let chunk = self
            .blobs
            .get(blob_key(self.tip, self.seq, self.copy, self.next_chunk))?
            .ok_or(StorageError::Corrupt("a thread chunk is missing"))?;
        let left = self.len - self.read;
        let want = left.min(CHUNK_LEN as u64);
        if chunk.len() as u64 != want {
            return Err(StorageError::Corrupt("a thread entry has the wrong length"));
        }
        self.read += want;
        self.next_chunk += 1;
        Ok(Some(chunk.to_vec()))
    }
}

impl Iterator for ThreadEntryPieces {
    type Item = Result<Vec<u8>, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.next_piece().transpose();
        if matches!(item, Some(Err(_))) {
            self.failed = true;
        }
        item
    }
}

/// A batch of entries ([`Store::thread_batch`]) as pieces to stream: each entry's frame
/// header, then its chunks, read as they are asked for. A chunk that is missing or of the
/// wrong length is an error item, after which the iterator ends (the answer is cut short,
/// and the client refuses it whole).
pub struct ThreadBatchPieces {
    entries: std::collections::VecDeque<ThreadEntryPieces>,
    header_due: bool,
    failed: bool,
}

impl ThreadBatchPieces {
    /// Length of the whole framed batch this yields.
    pub fn total_len(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| thread_batch::FRAME_HEADER_LEN as u64 + e.len)
            .sum()
    }

    /// How many entries the batch carries.
    pub fn entries(&self) -> usize {
        self.entries.len()
    }
}

impl Iterator for ThreadBatchPieces {
    type Item = Result<Vec<u8>, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed {
            let entry = self.entries.front_mut()?;
            if self.header_due {
                self.header_due = false;
                return Some(Ok(thread_batch::frame_header(entry.seq, entry.len).to_vec()));
            }
            match entry.next() {
                Some(item) => {
                    self.failed = item.is_err();
                    return Some(item);
                }
                None => {
                    self.entries.pop_front();
                    self.header_due = true;
                }
            }
        }
        None
    }
}

/// Hands out the next seq of `tip`'s conversation and reserves `added` bytes, in one
/// atomic update; refuses (changing nothing) past [`MAX_THREAD_ENTRIES`] entries or
/// `max_bytes` bytes ([`MAX_THREAD_BYTES`]).
fn reserve(
    seq_tree: &sled::Tree,
    tip: TipId,
    added: u64,
    max_bytes: u64,
) -> Result<u32, StorageError> {
    let mut outcome = Err(StorageError::Corrupt("thread sequence"));
    seq_tree.update_and_fetch(tip.as_bytes(), |old| {
        // sled may run this more than once: the last run's outcome is the one stored.
        let (next, bytes) = match old {
            None => (Some(0), 0),
            Some(b) if b.len() == 4 || b.len() == 12 => {
                let seq = u32::from_be_bytes(b[..4].try_into().expect("4 bytes"));
                let bytes = b
                    .get(4..12)
                    .map_or(0, |b| u64::from_be_bytes(b.try_into().expect("8 bytes")));
                (seq.checked_add(1), bytes)
            }
            Some(_) => {
                outcome = Err(StorageError::Corrupt("thread sequence"));
                return old.map(<[u8]>::to_vec);
            }
        };
        let total = bytes.saturating_add(added);
        match next {
            Some(seq) if seq < MAX_THREAD_ENTRIES && total <= max_bytes => {
                outcome = Ok(seq);
                let mut v = seq.to_be_bytes().to_vec();
                v.extend_from_slice(&total.to_be_bytes());
                Some(v)
            }
            _ => {
                outcome = Err(StorageError::ConversationFull);
                old.map(<[u8]>::to_vec)
            }
        }
    })?;
    outcome
}

struct Record {
    kind: ThreadKind,
    received: Day,
    witness_len: u64,
    reviewers_len: u64,
}

impl Record {
    /// Which stored copy `reader` sees, and its length (`None`: none for this reader).
    fn copy_for(&self, reader: Reader) -> Option<(u8, u64)> {
        match reader {
            Reader::Witness if self.witness_len != NO_COPY => {
                Some((COPY_WITNESS, self.witness_len))
            }
            Reader::Witness => None,
            Reader::Reviewers => Some((COPY_REVIEWERS, self.reviewers_len)),
        }
    }

    fn encode(&self) -> [u8; RECORD_LEN] {
        let mut out = [0u8; RECORD_LEN];
        out[0] = RECORD_FORMAT;
        out[1] = self.kind.to_byte();
        out[2..10].copy_from_slice(&self.received.days().to_be_bytes());
        out[10..18].copy_from_slice(&self.witness_len.to_be_bytes());
        out[18..26].copy_from_slice(&self.reviewers_len.to_be_bytes());
        out
    }

    fn decode(b: &[u8]) -> Result<Self, StorageError> {
        if b.len() != RECORD_LEN || b[0] != RECORD_FORMAT {
            return Err(StorageError::Corrupt("thread entry record"));
        }
        let u64_at = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        Ok(Self {
            kind: ThreadKind::from_byte(b[1])?,
            received: Day::from_days(u64_at(2) as i64),
            witness_len: u64_at(10),
            reviewers_len: u64_at(18),
        })
    }
}

fn entry_key(tip: TipId, seq: u32) -> [u8; 20] {
    let mut k = [0u8; 20];
    k[..16].copy_from_slice(tip.as_bytes());
    k[16..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// The seq of a `thread` key (tip id ‖ seq).
fn seq_of(key: &[u8]) -> Result<u32, StorageError> {
    key.get(16..20)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes)
        .ok_or(StorageError::Corrupt("thread key"))
}

fn blob_key(tip: TipId, seq: u32, copy: u8, chunk: u32) -> [u8; 25] {
    let mut k = [0u8; 25];
    k[..20].copy_from_slice(&entry_key(tip, seq));
    k[20] = copy;
    k[21..].copy_from_slice(&chunk.to_be_bytes());
    k
}

impl Store {
    pub(super) fn tree(&self, name: &str) -> Result<sled::Tree, StorageError> {
        // sled caches open trees: after the first call this is a map lookup.
        Ok(self.inner.db.open_tree(name)?)
    }

    /// Whether a tip with this id is stored.
    pub fn tip_exists(&self, tip: TipId) -> Result<bool, StorageError> {
        Ok(self.inner.tips.contains_key(super::layout::tip_key(tip))?)
    }

    /// Whether a mailbox key hash is already registered (to any tip).
    pub fn mailbox_taken(&self, key_hash: &[u8; 32]) -> Result<bool, StorageError> {
        Ok(self.tree(TREE_MAILBOXES)?.contains_key(key_hash)?)
    }

    /// Registers a mailbox for a stored tip. Returns `false` (and changes nothing) when
    /// the hash is already registered to another tip; `true` when it now points at
    /// `tip`. Call after the tip's insert returned and before [`Store::durable`]: sled
    /// recovers a prefix of its log, so a mailbox never survives a crash without its tip.
    pub fn register_mailbox(&self, key_hash: &[u8; 32], tip: TipId) -> Result<bool, StorageError> {
        let _gate = self.write_gate();
        let tree = self.tree(TREE_MAILBOXES)?;
        match tree.compare_and_swap(key_hash, None as Option<&[u8]>, Some(&tip.as_bytes()[..]))? {
            Ok(()) => Ok(true),
            Err(cas) => Ok(cas.current.as_deref() == Some(&tip.as_bytes()[..])),
        }
    }

    /// The tip a mailbox key hash belongs to. One tree lookup, found or not.
    pub fn mailbox_tip(&self, key_hash: &[u8; 32]) -> Result<Option<TipId>, StorageError> {
        let v = self.tree(TREE_MAILBOXES)?.get(key_hash)?;
        v.map(|v| TipId::try_from_slice(&v).map_err(|_| StorageError::Corrupt("mailbox value")))
            .transpose()
    }

    /// Whether a mailbox is registered to `tip`. Scans the mailbox tree (one small value
    /// per tip that has one): only a reviewer's reply asks, never a witness's request.
    pub fn tip_has_mailbox(&self, tip: TipId) -> Result<bool, StorageError> {
        for kv in self.tree(TREE_MAILBOXES)?.iter() {
            if kv?.1.as_ref() == &tip.as_bytes()[..] {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Appends an entry to a tip's conversation; returns its seq. `witness_copy` is the
    /// witness's copy: of a reply, or of their own follow-up (none when an older client
    /// sent none); it counts towards the byte cap like the reviewers' copy. Refuses with
    /// [`StorageError::ConversationFull`], storing nothing, once the conversation holds
    /// [`MAX_THREAD_ENTRIES`] entries or this entry would take it past [`MAX_THREAD_BYTES`].
    pub fn append_thread(
        &self,
        tip: TipId,
        kind: ThreadKind,
        received: Day,
        witness_copy: Option<&[u8]>,
        reviewers_copy: &[u8],
    ) -> Result<u32, StorageError> {
        let _gate = self.write_gate();
        if !self.tip_exists(tip)? {
            return Err(StorageError::Invalid("no such tip"));
        }
        let added = witness_copy.map_or(0, |w| w.len() as u64) + reviewers_copy.len() as u64;
        let seq = reserve(
            &self.tree(TREE_THREAD_SEQ)?,
            tip,
            added,
            MAX_THREAD_BYTES as u64,
        )?;
        let blobs = self.tree(TREE_THREAD_BLOBS)?;
        if let Some(w) = witness_copy {
            write_copy(&blobs, tip, seq, COPY_WITNESS, w)?;
        }
        write_copy(&blobs, tip, seq, COPY_REVIEWERS, reviewers_copy)?;
        let record = Record {
            kind,
            received,
            witness_len: witness_copy.map_or(NO_COPY, |w| w.len() as u64),
            reviewers_len: reviewers_copy.len() as u64,
        };
        self.tree(TREE_THREAD)?
            .insert(entry_key(tip, seq), &record.encode()[..])?;
        Ok(seq)
    }

    /// The length of each of `tips`' conversations (entries in the reviewers' index), in
    /// the same order: a prefix walk per tip over the small index records, no bundle read,
    /// so a page of the listing costs its own conversations, not every one stored. The
    /// listing carries it so a reviewer's sync fetches only grown threads.
    pub fn thread_lengths_of(&self, tips: &[TipId]) -> Result<Vec<u32>, StorageError> {
        let tree = self.tree(TREE_THREAD)?;
        tips.iter()
            .map(|tip| {
                let mut n = 0u32;
                for k in tree.scan_prefix(tip.as_bytes()).keys() {
                    k?;
                    n += 1;
                }
                Ok(n)
            })
            .collect()
    }

    /// Every tip that has a conversation, each once (in id order). A walk over the small
    /// index keys: the retention sweep's, never a request's.
    pub fn tips_with_threads(&self) -> Result<Vec<TipId>, StorageError> {
        let mut out: Vec<TipId> = Vec::new();
        for k in self.tree(TREE_THREAD)?.iter().keys() {
            let k = k?;
            let tip = k
                .get(..16)
                .and_then(|b| TipId::try_from_slice(b).ok())
                .ok_or(StorageError::Corrupt("thread key"))?;
            if out.last() != Some(&tip) {
                out.push(tip);
            }
        }
        Ok(out)
    }

    /// A tip's conversation in order, as `reader` sees it: the entries' records only (no
    /// bundle is read), so listing a full conversation costs a few bytes per entry.
    pub fn thread_index(
        &self,
        tip: TipId,
        reader: Reader,
    ) -> Result<Vec<ThreadIndexEntry>, StorageError> {
        let mut out = Vec::new();
        for kv in self.tree(TREE_THREAD)?.scan_prefix(tip.as_bytes()) {
            let (k, v) = kv?;
            let seq = seq_of(&k)?;
            let r = Record::decode(&v)?;
            if let Some((_, len)) = r.copy_for(reader) {
                out.push(ThreadIndexEntry {
                    seq,
                    kind: r.kind,
                    received: r.received,
                    len,
                });
            }
        }
        Ok(out)
    }

    /// One entry's copy for `reader` as chunks read one at a time (`None`: no such entry,
    /// or no copy for this reader), so that serving it never assembles the bundle.
    pub fn thread_entry_pieces(
        &self,
        tip: TipId,
        seq: u32,
        reader: Reader,
    ) -> Result<Option<ThreadEntryPieces>, StorageError> {
        let Some(v) = self.tree(TREE_THREAD)?.get(entry_key(tip, seq))? else {
            return Ok(None);
        };
        let Some((copy, len)) = Record::decode(&v)?.copy_for(reader) else {
            return Ok(None);
        };
        Ok(Some(ThreadEntryPieces::new(
            self.tree(TREE_THREAD_BLOBS)?,
            tip,
            seq,
            copy,
            len,
        )))
    }

    /// Entries of `tip`'s conversation from seq `from` on, as `reader` sees them, framed
    /// as a batch ([`crate::domain::thread_batch`]): at most `limit` entries and, past
    /// the first, at most `max_bytes` of bundles. Which entries and their lengths are
    /// fixed here; their chunks are read as the batch is iterated, as for one entry.
    pub fn thread_batch(
        &self,
        tip: TipId,
        from: u32,
        limit: usize,
        max_bytes: u64,
        reader: Reader,
    ) -> Result<ThreadBatchPieces, StorageError> {
        let thread = self.tree(TREE_THREAD)?;
        let blobs = self.tree(TREE_THREAD_BLOBS)?;
        let mut entries = std::collections::VecDeque::new();
        let mut bytes = 0u64;
        for kv in thread.range(entry_key(tip, from)..) {
            let (k, v) = kv?;
            if entries.len() >= limit || !k.starts_with(tip.as_bytes()) {
                break;
            }
            let seq = seq_of(&k)?;
            let Some((copy, len)) = Record::decode(&v)?.copy_for(reader) else {
                continue;
            };
            if !entries.is_empty() && bytes.saturating_add(len) > max_bytes {
                break;
            }
            bytes = bytes.saturating_add(len);
            entries.push_back(ThreadEntryPieces::new(blobs.clone(), tip, seq, copy, len));
        }
        Ok(ThreadBatchPieces {
            entries,
            header_due: true,
            failed: false,
        })
    }

    /// A tip's conversation in order, as `reader` sees it.
    pub fn load_thread(
        &self,
        tip: TipId,
        reader: Reader,
    ) -> Result<Vec<ThreadEntry>, StorageError> {
        let thread = self.tree(TREE_THREAD)?;
        let blobs = self.tree(TREE_THREAD_BLOBS)?;
        let mut out = Vec::new();
        for kv in thread.scan_prefix(tip.as_bytes()) {
            let (k, v) = kv?;
            let seq = seq_of(&k)?;
            let r = Record::decode(&v)?;
            let Some((copy, len)) = r.copy_for(reader) else {
                continue;
            };
            let bundle = read_copy(&blobs, tip, seq, copy, len)?;
            out.push(ThreadEntry {
                seq,
                kind: r.kind,
                received: r.received,
                bundle,
            });
        }
        Ok(out)
    }

    /// One entry of a tip's conversation, as `reader` sees it (`None`: no such entry, or
    /// no copy for this reader).
    pub fn load_thread_entry(
        &self,
        tip: TipId,
        seq: u32,
        reader: Reader,
    ) -> Result<Option<ThreadEntry>, StorageError> {
        let Some(v) = self.tree(TREE_THREAD)?.get(entry_key(tip, seq))? else {
            return Ok(None);
        };
        let r = Record::decode(&v)?;
        let Some((copy, len)) = r.copy_for(reader) else {
            return Ok(None);
        };
        let bundle = read_copy(&self.tree(TREE_THREAD_BLOBS)?, tip, seq, copy, len)?;
        Ok(Some(ThreadEntry {
            seq,
            kind: r.kind,
            received: r.received,
            bundle,
        }))
    }

    /// Replaces wrap sections inside the reviewers' copy of a conversation entry, all or
    /// none, in one transaction: each `(offset, old, new)` replaces the [`WRAP_LEN`] bytes
    /// at `offset` of the stored bundle, but only if they still are `old` — a concurrent
    /// rewrap that got there first makes the whole swap fail with [`WrapPatchError::Changed`].
    /// Storage does not look at what the bytes mean; the caller found the offsets by
    /// parsing the bundle. Await [`Store::durable`] before acknowledging.
    pub fn swap_thread_wraps(
        &self,
        tip: TipId,
        seq: u32,
        patches: &[(usize, [u8; WRAP_LEN], [u8; WRAP_LEN])],
    ) -> Result<(), WrapPatchError> {
        let _gate = self.write_gate();
        let thread = self.tree(TREE_THREAD)?;
        let blobs = self.tree(TREE_THREAD_BLOBS)?;
        (&thread, &blobs)
            .transaction(|(thread, blobs)| patch_in_tx(thread, blobs, tip, seq, patches))
            .map_err(tx_error::<WrapPatchError>)
    }

    /// Deletes the witness's copies of these entries, replies and their own follow-ups
    /// alike (retention `delete-after-read`). The reviewers' copies stay.
    pub fn delete_witness_copies(&self, tip: TipId, seqs: &[u32]) -> Result<(), StorageError> {
        let _gate = self.write_gate();
        let thread = self.tree(TREE_THREAD)?;
        let blobs = self.tree(TREE_THREAD_BLOBS)?;
        for &seq in seqs {
            let key = entry_key(tip, seq);
            let Some(v) = thread.get(key)? else { continue };
            let mut r = Record::decode(&v)?;
            if r.witness_len == NO_COPY {
                continue;
            }
            // Record first: a crash in between leaves unreachable chunks, never a record
            // pointing at missing ones.
            r.witness_len = NO_COPY;
            thread.insert(key, &r.encode()[..])?;
            let mut prefix = entry_key(tip, seq).to_vec();
            prefix.push(COPY_WITNESS);
            for k in blobs.scan_prefix(&prefix).keys() {
                blobs.remove(k?)?;
            }
        }
        Ok(())
    }
}

impl Store {
    /// Removes a tip's whole conversation (both copies of every entry, the counters) and
    /// its mailbox link, for `Store::delete_tip`.
    pub(super) fn delete_conversation(&self, tip: TipId) -> Result<(), StorageError> {
        for name in [TREE_THREAD, TREE_THREAD_BLOBS] {
            let tree = self.tree(name)?;
            for k in tree.scan_prefix(tip.as_bytes()).keys() {
                tree.remove(k?)?;
            }
        }
        self.tree(TREE_THREAD_SEQ)?.remove(tip.as_bytes())?;
        let mailboxes = self.tree(TREE_MAILBOXES)?;
        for kv in mailboxes.iter() {
            let (k, v) = kv?;
            if v.as_ref() == &tip.as_bytes()[..] {
                mailboxes.remove(k)?;
            }
        }
        Ok(())
    }
}

/// Why [`Store::swap_thread_wraps`] changed nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WrapPatchError {
    /// No such conversation entry.
    #[error("no such conversation entry")]
    NotFound,
    /// The stored bytes are not the ones the caller expected (a concurrent rewrap), or a
    /// patch lies outside the stored copy.
    #[error("the conversation entry changed")]
    Changed,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn patch_in_tx(
    thread: &TransactionalTree,
    blobs: &TransactionalTree,
    tip: TipId,
    seq: u32,
    patches: &[(usize, [u8; WRAP_LEN], [u8; WRAP_LEN])],
) -> ConflictableTransactionResult<(), WrapPatchError> {
    let Some(v) = thread.get(entry_key(tip, seq))? else {
        return abort(WrapPatchError::NotFound);
    };
    let record = Record::decode(&v)
        .map_err(WrapPatchError::from)
        .or_else(abort)?;
    let len = usize::try_from(record.reviewers_len).unwrap_or(usize::MAX);
    // Only the chunks a wrap falls in are read and rewritten (a wrap may straddle two).
    let mut chunks: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    for (offset, old, new) in patches {
        if !matches!(offset.checked_add(WRAP_LEN), Some(end) if end <= len) {
            return abort(WrapPatchError::Changed);
        }
        for (i, (want, put)) in old.iter().zip(new).enumerate() {
            let at = offset + i;
            let index = (at / CHUNK_LEN) as u32;
            let chunk = match chunks.entry(index) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let Some(bytes) = blobs.get(blob_key(tip, seq, COPY_REVIEWERS, index))? else {
                        return abort(WrapPatchError::Storage(StorageError::Corrupt(
                            "a thread chunk is missing",
                        )));
                    };
                    e.insert(bytes.to_vec())
                }
            };
            let Some(byte) = chunk.get_mut(at % CHUNK_LEN) else {
                return abort(WrapPatchError::Storage(StorageError::Corrupt(
                    "a thread chunk is short",
                )));
            };
            if *byte != *want {
                return abort(WrapPatchError::Changed);
            }
            *byte = *put;
        }
    }
    for (index, bytes) in chunks {
        blobs.insert(&blob_key(tip, seq, COPY_REVIEWERS, index)[..], bytes)?;
    }
    Ok(())
}

fn write_copy(
    blobs: &sled::Tree,
    tip: TipId,
    seq: u32,
    copy: u8,
    bytes: &[u8],
) -> Result<(), StorageError> {
    for (i, chunk) in (0u32..).zip(bytes.chunks(CHUNK_LEN)) {
        blobs.insert(blob_key(tip, seq, copy, i), chunk)?;
    }
    Ok(())
}

fn read_copy(
    blobs: &sled::Tree,
    tip: TipId,
    seq: u32,
    copy: u8,
    len: u64,
) -> Result<Vec<u8>, StorageError> {
    let len = usize::try_from(len).map_err(|_| StorageError::Corrupt("thread entry length"))?;
    let mut out = Vec::with_capacity(len);
    for i in 0..len.div_ceil(CHUNK_LEN) as u32 {
        let chunk = blobs
            .get(blob_key(tip, seq, copy, i))?
            .ok_or(StorageError::Corrupt("a thread chunk is missing"))?;
        out.extend_from_slice(&chunk);
    }
    if out.len() != len {
        return Err(StorageError::Corrupt("a thread entry has the wrong length"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    fn a_tip(store: &Store) -> TipId {
        a_tip_numbered(store, 3)
    }

    fn a_tip_numbered(store: &Store, n: u8) -> TipId {
        let id = TipId::from_bytes([n; 16]);
        insert_small_tip(store, id, b"body", None);
        id
    }

    #[test]
    fn a_conversation_comes_back_in_order_with_each_readers_copies() {
        let (_d, store) = temp_store();
        let tip = a_tip(&store);
        let day = Day::from_days(20_001);
        let big = vec![7u8; 3 * CHUNK_LEN + 5];
        store
            .append_thread(tip, ThreadKind::Reply, day, Some(&big), b"rev-1")
            .unwrap();
        store
            .append_thread(tip, ThreadKind::Followup, day, None, b"fu-1")
            .unwrap();
        let w = store.load_thread(tip, Reader::Witness).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].bundle, big);
        let r = store.load_thread(tip, Reader::Reviewers).unwrap();
        assert_eq!(
            r.iter().map(|e| e.bundle.as_slice()).collect::<Vec<_>>(),
            [&b"rev-1"[..], b"fu-1"]
        );
        assert_eq!(r[1].seq, 1);
        assert!(all_values(&store)
            .iter()
            .all(|(_, _, len)| *len <= CHUNK_LEN));

        store.delete_witness_copies(tip, &[0]).unwrap();
        assert!(store.load_thread(tip, Reader::Witness).unwrap().is_empty());
        assert_eq!(store.load_thread(tip, Reader::Reviewers).unwrap().len(), 2);
    }

    #[test]
    fn the_witness_sees_their_own_follow_ups_that_carry_a_copy_in_order() {
        let (_d, store) = temp_store();
        let tip = a_tip(&store);
        let day = Day::from_days(20_001);
        // An older follow-up without a copy, one with, then a reply.
        store
            .append_thread(tip, ThreadKind::Followup, day, None, b"old")
            .unwrap();
        store
            .append_thread(tip, ThreadKind::Followup, day, Some(b"mine"), b"team-f")
            .unwrap();
        store
            .append_thread(tip, ThreadKind::Reply, day, Some(b"reply"), b"team-r")
            .unwrap();
        let w = store.load_thread(tip, Reader::Witness).unwrap();
        assert_eq!(
            w.iter()
                .map(|e| (e.seq, e.kind, e.bundle.as_slice()))
                .collect::<Vec<_>>(),
            [
                (1, ThreadKind::Followup, &b"mine"[..]),
                (2, ThreadKind::Reply, &b"reply"[..])
            ]
        );
        // Reviewers see every entry, their copies only.
        let r = store.load_thread(tip, Reader::Reviewers).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].bundle, b"team-f");
        // The copy counts towards the conversation's bytes.
        let seq_tree = store.tree(TREE_THREAD_SEQ).unwrap();
        let v = seq_tree.get(tip.as_bytes()).unwrap().unwrap();
        let bytes = u64::from_be_bytes(v[4..12].try_into().unwrap());
        assert_eq!(bytes, (3 + 4 + 6 + 5 + 6) as u64);
    }

    #[test]
    fn wraps_inside_a_stored_copy_are_swapped_all_or_none() {
        let (_d, store) = temp_store();
        let tip = a_tip(&store);
        let day = Day::from_days(20_001);
        let mut copy: Vec<u8> = (0..2 * CHUNK_LEN + 100).map(|i| i as u8).collect();
        let seq = store
            .append_thread(tip, ThreadKind::Followup, day, None, &copy)
            .unwrap();
        let at = |o: usize, c: &[u8]| -> [u8; WRAP_LEN] { c[o..o + WRAP_LEN].try_into().unwrap() };
        // One wrap inside a chunk, one straddling the first chunk boundary.
        let (a, b) = (10, CHUNK_LEN - 40);
        let patches = [
            (a, at(a, &copy), [0xAA; WRAP_LEN]),
            (b, at(b, &copy), [0xBB; WRAP_LEN]),
        ];
        // A stale `old` for the second patch: nothing changes.
        let mut stale = patches;
        stale[1].1[0] ^= 1;
        assert!(matches!(
            store.swap_thread_wraps(tip, seq, &stale),
            Err(WrapPatchError::Changed)
        ));
        let unchanged = store
            .load_thread_entry(tip, seq, Reader::Reviewers)
            .unwrap();
        assert_eq!(unchanged.unwrap().bundle, copy);

        store.swap_thread_wraps(tip, seq, &patches).unwrap();
        copy[a..a + WRAP_LEN].fill(0xAA);
        copy[b..b + WRAP_LEN].fill(0xBB);
        let entry = store
            .load_thread_entry(tip, seq, Reader::Reviewers)
            .unwrap();
        assert_eq!(entry.unwrap().bundle, copy);
        // The same swap again finds the new bytes, not the old: refused.
        assert!(matches!(
            store.swap_thread_wraps(tip, seq, &patches),
            Err(WrapPatchError::Changed)
        ));
        let past_end = [(copy.len() - 10, [0; WRAP_LEN], [1; WRAP_LEN])];
        assert!(store.swap_thread_wraps(tip, seq, &past_end).is_err());
        assert!(matches!(
            store.swap_thread_wraps(tip, seq + 1, &patches),
            Err(WrapPatchError::NotFound)
        ));
    }

    #[test]
    fn a_conversation_stops_at_its_byte_cap_and_counts_from_old_values() {
        let (_d, store) = temp_store();
        let tree = store.tree(TREE_THREAD_SEQ).unwrap();
        let tip = TipId::from_bytes([3; 16]);
        assert_eq!(reserve(&tree, tip, 60, 100).unwrap(), 0);
        assert_eq!(reserve(&tree, tip, 40, 100).unwrap(), 1);
        // Full: refused, and nothing changes (the next fitting entry still gets seq 2).
        assert!(matches!(
            reserve(&tree, tip, 1, 100),
            Err(StorageError::ConversationFull)
        ));
        assert_eq!(reserve(&tree, tip, 0, 100).unwrap(), 2);
        // A value from before the byte count (seq only) goes on from its seq and 0 bytes.
        let old = TipId::from_bytes([4; 16]);
        tree.insert(old.as_bytes(), &7u32.to_be_bytes()[..])
            .unwrap();
        assert_eq!(reserve(&tree, old, 100, 100).unwrap(), 8);
        assert!(reserve(&tree, old, 1, 100).is_err());
        // The entry count still holds.
        let many = TipId::from_bytes([5; 16]);
        tree.insert(many.as_bytes(), &(MAX_THREAD_ENTRIES - 1).to_be_bytes()[..])
            .unwrap();
        assert!(matches!(
            reserve(&tree, many, 0, 100),
            Err(StorageError::ConversationFull)
        ));
    }

    #[test]
    fn thread_lengths_count_each_tips_entries_and_skip_quiet_tips() {
        let (_d, store) = temp_store();
        let talkative = a_tip(&store);
        let quiet = a_tip_numbered(&store, 4);
        let day = Day::from_days(20_001);
        for _ in 0..3 {
            store
                .append_thread(talkative, ThreadKind::Followup, day, None, b"x")
                .unwrap();
        }
        let lengths = store.thread_lengths_of(&[quiet, talkative, quiet]).unwrap();
        assert_eq!(lengths, [0, 3, 0]);
    }

    #[test]
    fn listing_a_thread_reads_no_bundle_and_pieces_rebuild_each_entry() {
        let (_d, store) = temp_store();
        let tip = a_tip(&store);
        let day = Day::from_days(20_001);
        let big = vec![7u8; 3 * CHUNK_LEN + 5];
        store
            .append_thread(tip, ThreadKind::Followup, day, None, &big)
            .unwrap();
        store
            .append_thread(tip, ThreadKind::Reply, day, Some(b"w"), b"team")
            .unwrap();
        let index = store.thread_index(tip, Reader::Reviewers).unwrap();
        assert_eq!(
            index.iter().map(|e| (e.seq, e.len)).collect::<Vec<_>>(),
            [(0, big.len() as u64), (1, 4)]
        );
        assert_eq!(store.thread_index(tip, Reader::Witness).unwrap().len(), 1);
        let pieces = store
            .thread_entry_pieces(tip, 0, Reader::Reviewers)
            .unwrap()
            .unwrap();
        assert_eq!(pieces.total_len(), big.len() as u64);
        let chunks: Vec<Vec<u8>> = pieces.map(Result::unwrap).collect();
        assert_eq!(chunks.len(), 4);
        assert_eq!(chunks.concat(), big);
        assert!(store
            .thread_entry_pieces(tip, 0, Reader::Witness)
            .unwrap()
            .is_none());
        assert!(store
            .thread_entry_pieces(tip, 9, Reader::Reviewers)
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_batch_frames_entries_from_a_seq_within_its_caps_and_never_crosses_into_another_tip() {
        let (_d, store) = temp_store();
        let tip = a_tip(&store);
        let next = a_tip_numbered(&store, 4);
        let day = Day::from_days(20_001);
        let big = vec![7u8; 2 * CHUNK_LEN + 1];
        for n in 0..5u8 {
            let body = if n == 2 { big.clone() } else { vec![n; 10] };
            store
                .append_thread(tip, ThreadKind::Followup, day, None, &body)
                .unwrap();
        }
        store
            .append_thread(next, ThreadKind::Followup, day, None, b"other tip")
            .unwrap();
        let read = |from, limit, max_bytes| {
            let batch = store
                .thread_batch(tip, from, limit, max_bytes, Reader::Reviewers)
                .unwrap();
            let total = batch.total_len();
            let bytes: Vec<u8> = batch.map(Result::unwrap).collect::<Vec<_>>().concat();
            assert_eq!(bytes.len() as u64, total);
            thread_batch::parse(&bytes)
                .unwrap()
                .iter()
                .map(|f| (f.seq, f.bytes.to_vec()))
                .collect::<Vec<_>>()
        };
        let all = read(0, 1000, u64::MAX);
        assert_eq!(all.iter().map(|e| e.0).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(all[2].1, big);
        assert_eq!(all[4].1, vec![4u8; 10]);
        // From a seq, and at most `limit` entries.
        assert_eq!(
            read(3, 1000, u64::MAX)
                .iter()
                .map(|e| e.0)
                .collect::<Vec<_>>(),
            [3, 4]
        );
        assert_eq!(
            read(1, 2, u64::MAX).iter().map(|e| e.0).collect::<Vec<_>>(),
            [1, 2]
        );
        // The byte cap stops before an entry that would pass it, but the first entry
        // always comes, however large.
        assert_eq!(
            read(0, 1000, 25).iter().map(|e| e.0).collect::<Vec<_>>(),
            [0, 1]
        );
        assert_eq!(
            read(2, 1000, 25).iter().map(|e| e.0).collect::<Vec<_>>(),
            [2]
        );
        // Past the end: an empty batch, never the next tip's entries.
        assert!(read(5, 1000, u64::MAX).is_empty());
        // The witness's view has no copy of these follow-ups.
        let witness = store
            .thread_batch(tip, 0, 1000, u64::MAX, Reader::Witness)
            .unwrap();
        assert_eq!((witness.entries(), witness.total_len()), (0, 0));
    }

    #[test]
    fn a_batch_whose_chunk_went_missing_ends_with_an_error() {
        let (_d, store) = temp_store();
        let tip = a_tip(&store);
        let day = Day::from_days(20_001);
        store
            .append_thread(
                tip,
                ThreadKind::Followup,
                day,
                None,
                &vec![1u8; CHUNK_LEN + 1],
            )
            .unwrap();
        store
            .tree(TREE_THREAD_BLOBS)
            .unwrap()
            .remove(blob_key(tip, 0, COPY_REVIEWERS, 1))
            .unwrap();
        let items: Vec<_> = store
            .thread_batch(tip, 0, 1000, u64::MAX, Reader::Reviewers)
            .unwrap()
            .collect();
        // Header, first chunk, then the error, then nothing.
        assert_eq!(items.len(), 3);
        assert!(items[..2].iter().all(Result::is_ok));
        assert!(items[2].is_err());
    }

    #[test]
    fn a_mailbox_points_at_one_tip_only() {
        let (_d, store) = temp_store();
        let tip = a_tip(&store);
        assert!(!store.mailbox_taken(&[1; 32]).unwrap());
        assert!(store.register_mailbox(&[1; 32], tip).unwrap());
        assert!(store.register_mailbox(&[1; 32], tip).unwrap());
        assert!(!store
            .register_mailbox(&[1; 32], TipId::from_bytes([4; 16]))
            .unwrap());
        assert_eq!(store.mailbox_tip(&[1; 32]).unwrap(), Some(tip));
        assert_eq!(store.mailbox_tip(&[2; 32]).unwrap(), None);
        assert!(store
            .append_thread(
                TipId::from_bytes([9; 16]),
                ThreadKind::Followup,
                Day::from_days(1),
                None,
                b"x"
            )
            .is_err());
    }
}
