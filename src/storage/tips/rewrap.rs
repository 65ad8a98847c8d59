//! Rewrap: replacing all wrap sections of a tip at once. A format-3 record holds them,
//! so the record is rewritten; a format-2 tip is rewritten as format 3 (its `wraps`
//! entries removed in the same transaction); a format-1 tip keeps them in `wraps`.

use sled::transaction::{abort, ConflictableTransactionResult, TransactionalTree};
use sled::Transactional;

use crate::domain::{Epoch, TipId};

use super::super::layout::{self, tip_key, Record};
use super::super::{tx_error, StorageError, Store, WRAP_LEN};

/// Why a rewrap was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SwapError {
    /// No tip has this id.
    #[error("no such tip")]
    NotFound,
    /// The tip's wraps are not sealed to the epoch the caller rewrapped from: someone
    /// else rewrapped it first.
    #[error("the tip is sealed to epoch {stored}, not the epoch it was rewrapped from")]
    EpochMismatch {
        /// The epoch the stored wraps are sealed to.
        stored: Epoch,
    },
    /// The number of new wraps is not the tip's number of parts.
    #[error("the tip has {stored} parts, a wrap for each is required")]
    PartCount {
        /// The tip's number of parts.
        stored: u16,
    },
    /// A rewrap must move a tip to a later epoch, never back to an older one (whose
    /// reviewers may have been revoked since).
    #[error("a tip can only be rewrapped to a later epoch")]
    NotLater,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Store {
    /// Replaces the wrap sections of every part of a tip and its epoch, in one
    /// transaction: all parts or none. Refuses if the tip is not sealed to `from_epoch`
    /// any more, if the number of wraps differs from its number of parts, or if
    /// `new_epoch` is not later than `from_epoch`. Await [`Store::durable`] before
    /// acknowledging.
    pub fn swap_wraps(
        &self,
        id: TipId,
        from_epoch: Epoch,
        new_wraps: &[[u8; WRAP_LEN]],
        new_epoch: Epoch,
    ) -> Result<(), SwapError> {
        let _gate = self.write_gate();
        if new_epoch <= from_epoch {
            return Err(SwapError::NotLater);
        }
        let inner = &self.inner;
        (&inner.tips, &inner.wraps)
            .transaction(|(tips, wraps)| {
                swap_in_tx(tips, wraps, id, from_epoch, new_wraps, new_epoch)
            })
            .map_err(tx_error::<SwapError>)
    }
}

fn swap_in_tx(
    tips: &TransactionalTree,
    wraps: &TransactionalTree,
    id: TipId,
    from_epoch: Epoch,
    new_wraps: &[[u8; WRAP_LEN]],
    new_epoch: Epoch,
) -> ConflictableTransactionResult<(), SwapError> {
    let Some(value) = tips.get(tip_key(id))? else {
        return abort(SwapError::NotFound);
    };
    let mut record = Record::decode(&value)
        .map_err(SwapError::from)
        .or_else(abort)?;
    if record.epoch != from_epoch {
        return abort(SwapError::EpochMismatch {
            stored: record.epoch,
        });
    }
    if record.bodies.len() != new_wraps.len() {
        return abort(SwapError::PartCount {
            stored: record.bodies.len() as u16,
        });
    }
    if record.locations.is_some() {
        // Format 2 or 3: the wraps go into the record (a format-2 tip becomes format 3
        // and its `wraps` entries go).
        if record.wraps.is_none() {
            for part in 0..record.bodies.len() as u16 {
                wraps.remove(&layout::wrap_key(id, part)[..])?;
            }
        }
        record.wraps = Some(new_wraps.to_vec());
    } else {
        // Format 1 has no place for wraps in its record.
        for (part, wrap) in (0u16..).zip(new_wraps) {
            wraps.insert(&layout::wrap_key(id, part)[..], &wrap[..])?;
        }
    }
    record.epoch = new_epoch;
    let value = record.encode().map_err(SwapError::from).or_else(abort)?;
    tips.insert(&tip_key(id)[..], value)?;
    Ok(())
}
