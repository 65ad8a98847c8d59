//! Rewrap: replacing all wrap sections of a tip at once.

use sled::transaction::{abort, ConflictableTransactionResult, TransactionalTree};
use sled::Transactional;

use crate::domain::{Epoch, TipId};

use super::super::layout::{self, Record};
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
    let Some(value) = tips.get(id.as_bytes())? else {
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
    for (part, wrap) in (0u16..).zip(new_wraps) {
        wraps.insert(&layout::wrap_key(id, part)[..], &wrap[..])?;
    }
    record.epoch = new_epoch;
    tips.insert(&id.as_bytes()[..], record.encode())?;
    Ok(())
}
