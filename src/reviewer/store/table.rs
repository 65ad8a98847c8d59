//! The store's tables and how their keys are laid out.
//!
//! Keys are stored in clear so that they sort and can be scanned by prefix: tip ids,
//! sequence numbers, log and cursor names. The server already lists all of them to any
//! reviewer, so they reveal nothing the server does not know; everything a tip *says*
//! lives in the sealed values. Sequence numbers are big-endian so that byte order is
//! numeric order.
//!
//! Must never: put a value's content (a name, a word of a tip) into a key.

use crate::domain::TipId;

/// One table of the local store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// One row per tip: key [`tip`].
    Tips,
    /// A tip's entries (the tip, follow-ups, replies): key [`entry`] (tip id ‖ seq).
    Entries,
    /// Triage event logs: key [`event`] (log ‖ seq).
    Events,
    /// Sync cursors and settings: key = a cursor name.
    Meta,
    /// Changes made offline, waiting to be sent: key [`outbox`] (seq).
    Outbox,
}

impl Table {
    /// Every table, for creating them all at once.
    pub const ALL: [Table; 5] = [
        Table::Tips,
        Table::Entries,
        Table::Events,
        Table::Meta,
        Table::Outbox,
    ];

    /// The name on disk; also bound into every sealed value of the table.
    pub const fn name(self) -> &'static str {
        match self {
            Table::Tips => "tips",
            Table::Entries => "entries",
            Table::Events => "events",
            Table::Meta => "meta",
            Table::Outbox => "outbox",
        }
    }
}

/// Key of a tip's row in [`Table::Tips`], and the prefix of its rows in
/// [`Table::Entries`].
pub fn tip(id: &TipId) -> Vec<u8> {
    id.as_bytes().to_vec()
}

/// Key of entry `seq` of a tip in [`Table::Entries`].
pub fn entry(id: &TipId, seq: u64) -> Vec<u8> {
    let mut k = tip(id);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Prefix of every event of `log` in [`Table::Events`]. The length prefix keeps one
/// log's name from being a prefix of another's rows ("a" vs "ab").
pub fn event_log(log: &str) -> Vec<u8> {
    let len = u32::try_from(log.len()).unwrap_or(u32::MAX);
    let mut k = len.to_be_bytes().to_vec();
    k.extend_from_slice(log.as_bytes());
    k
}

/// Key of event `seq` of `log` in [`Table::Events`].
pub fn event(log: &str, seq: u64) -> Vec<u8> {
    let mut k = event_log(log);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Key of queued change `seq` in [`Table::Outbox`]: sent in this order.
pub fn outbox(seq: u64) -> Vec<u8> {
    seq.to_be_bytes().to_vec()
}

/// The sequence number at the end of an [`entry`] or [`event`] key.
pub fn seq_of(key: &[u8]) -> Option<u64> {
    let tail = key.len().checked_sub(8).map(|at| &key[at..])?;
    Some(u64::from_be_bytes(tail.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_keys_sort_numerically_and_round_trip() {
        let id = TipId::from_bytes([7; 16]);
        assert!(entry(&id, 2) < entry(&id, 10));
        assert!(entry(&id, 255) < entry(&id, 256));
        assert_eq!(seq_of(&entry(&id, 300)), Some(300));
        assert_eq!(seq_of(&event("inbox", 9)), Some(9));
        assert!(entry(&id, 1).starts_with(&tip(&id)));
    }

    #[test]
    fn one_log_is_not_a_prefix_of_another() {
        assert!(!event("ab", 1).starts_with(&event_log("a")));
        assert!(event("a", 1).starts_with(&event_log("a")));
    }
}
