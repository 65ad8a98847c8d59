//! The intake budget: how much memory tips being stored may hold, all together, and how
//! many of them touch storage at once.
//!
//! A submission whose body is in reserves [`FOOTPRINT`] × its bytes (the body, the chunk
//! copies storage makes, sled's log buffer until the flush) from one budget of bytes;
//! when the budget cannot cover it, the answer is 503 with Retry-After at once — nothing
//! waits for bytes, so a flood cannot pile up waiters that each hold a body. An admitted
//! submission stored on the blocking pool (uploads, a bundle over
//! [`super::intake::INLINE_MAX_BYTES`], or while a snapshot runs) then waits its turn for
//! one of a few storage workers ([`IntakeBudget::store_turn`]): the rest queue in memory
//! the budget has already paid for, instead of each taking a blocking thread (its stack
//! and its allocator arena) as they did when 64 slots meant 64 threads writing sled at
//! once on a 2-core machine. A small text tip is written on its HTTP worker and needs no
//! turn: the workers (one per core) bound those writers already.
//!
//! Must never: hold a storage turn while a request awaits the group-commit flush (the
//! flush is shared; a turn is only for the writes), or charge anything about the sender
//! but the byte count of what it sent.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

/// Memory a submission holds while it is stored, as a multiple of its body: the body,
/// the chunk copies written to sled, and sled's log buffer until the flush.
pub const FOOTPRINT: usize = 3;

/// Bodies up to this size (every text tip, a tip with a small photo inline) may use the
/// whole budget; larger ones only [`BIG_SHARE`] of it, so they cannot keep it spent.
pub const SMALL_SUBMISSION_BYTES: usize = 1024 * 1024;

/// The part of the budget (in quarters) that submissions over [`SMALL_SUBMISSION_BYTES`]
/// may hold together: the last quarter (8 MiB by default, ~160 text tips) stays theirs.
const BIG_SHARE: usize = 3;

/// The budget's unit: permits are KiB so that a budget of GiBs fits a semaphore's count.
const UNIT: usize = 1024;

/// Bytes of submissions in memory at once, by default: 32 MiB, i.e. ~650 text tips of
/// 16.5 KB (×3) — more than 200 clients hold at once — and still well inside the
/// 128 MiB the server's whole footprint must stay under.
pub const DEFAULT_INTAKE_BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// The bytes of submissions in memory, and the storage workers they queue for.
#[derive(Debug)]
pub struct IntakeBudget {
    bytes: Arc<Semaphore>,
    units: usize,
    /// What big submissions may hold together, taken besides `bytes`.
    big: Arc<Semaphore>,
    big_units: usize,
    turns: Semaphore,
}

/// A submission's share of the budget, given back when dropped (after its answer).
#[derive(Debug)]
pub struct Admitted {
    _bytes: Option<OwnedSemaphorePermit>,
    _big: Option<OwnedSemaphorePermit>,
}

/// One storage worker's turn: held for the writes, dropped before awaiting the flush.
#[derive(Debug)]
pub struct StoreTurn<'a> {
    _permit: SemaphorePermit<'a>,
}

/// Why a submission was not admitted: the budget is spent (503, Retry-After).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetSpent;

impl IntakeBudget {
    /// A budget of `bytes` and `workers` storage turns (at least one each).
    pub fn new(bytes: usize, workers: usize) -> Self {
        let units = bytes.div_ceil(UNIT).clamp(1, Semaphore::MAX_PERMITS);
        let big_units = (units * BIG_SHARE / 4).max(1);
        Self {
            bytes: Arc::new(Semaphore::new(units)),
            units,
            big: Arc::new(Semaphore::new(big_units)),
            big_units,
            turns: Semaphore::new(workers.max(1)),
        }
    }

    /// Storage turns for this machine: two per core, so one turn's thread waiting on I/O
    /// does not leave a core idle, and no more (more threads only contend for sled).
    pub fn default_workers() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
    }

    /// Reserves [`FOOTPRINT`] × `body_len` bytes, or `Err` at once when they are not free.
    /// A body over [`SMALL_SUBMISSION_BYTES`] also takes its charge from the big share. A
    /// body charged more than it may hold (the whole budget, or the big share) is charged
    /// all of it (it is already bounded by the body cap): admitted alone, rather than never.
    pub fn admit(&self, body_len: usize) -> Result<Admitted, BudgetSpent> {
        let big = body_len > SMALL_SUBMISSION_BYTES;
        let cap = if big { self.big_units } else { self.units };
        let units = body_len
            .saturating_mul(FOOTPRINT)
            .div_ceil(UNIT)
            .clamp(1, cap);
        let units = u32::try_from(units).map_err(|_| BudgetSpent)?;
        let share = if big {
            let permit = self.big.clone().try_acquire_many_owned(units);
            Some(permit.map_err(|_| BudgetSpent)?)
        } else {
            None
        };
        self.bytes
            .clone()
            .try_acquire_many_owned(units)
            .map(|p| Admitted {
                _bytes: Some(p),
                _big: share,
            })
            .map_err(|_| BudgetSpent)
    }

    /// Waits for a storage worker's turn. Only admitted submissions wait, so the queue
    /// is bounded by the budget.
    pub async fn store_turn(&self) -> StoreTurn<'_> {
        // The semaphore is never closed.
        let permit = self
            .turns
            .acquire()
            .await
            .expect("intake turns never close");
        StoreTurn { _permit: permit }
    }

    /// Bytes currently reserved (what the memory trimmer watches, besides bodies).
    pub fn reserved_bytes(&self) -> usize {
        (self.units - self.bytes.available_permits()) * UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_admits_by_bytes_and_refuses_beyond_them() {
        let budget = IntakeBudget::new(100 * 1024, 2);
        let a = budget.admit(16 * 1024).unwrap(); // 48 KiB
        let b = budget.admit(16 * 1024).unwrap(); // 96 KiB
        assert_eq!(budget.admit(16 * 1024).unwrap_err(), BudgetSpent);
        assert_eq!(budget.reserved_bytes(), 96 * 1024);
        drop(a);
        let c = budget.admit(16 * 1024).unwrap();
        drop((b, c));
        assert_eq!(budget.reserved_bytes(), 0);
    }

    #[test]
    fn a_body_larger_than_the_budget_is_admitted_alone() {
        let budget = IntakeBudget::new(64 * 1024, 1);
        let big = budget.admit(SMALL_SUBMISSION_BYTES).unwrap();
        assert!(budget.admit(1).is_err());
        drop(big);
        assert!(budget.admit(1).is_ok());
    }

    #[test]
    fn big_submissions_leave_a_quarter_of_the_budget_to_small_ones() {
        let budget = IntakeBudget::new(32 * 1024 * 1024, 1);
        // 11 MiB × 3 is over the whole budget: charged the big share (24 MiB), alone.
        let big = budget.admit(11 * 1024 * 1024).unwrap();
        assert_eq!(budget.reserved_bytes(), 24 * 1024 * 1024);
        assert_eq!(budget.admit(2 * 1024 * 1024).unwrap_err(), BudgetSpent);
        // The last quarter is the small submissions': 8 MiB of 16.5 KB text tips.
        let small: Vec<_> = (0..160).map(|_| budget.admit(16_552).unwrap()).collect();
        drop(big);
        // Small ones may use the whole budget when nothing big holds it.
        let more: Vec<_> = (0..300).map(|_| budget.admit(16_552).unwrap()).collect();
        drop((small, more));
        assert_eq!(budget.reserved_bytes(), 0);
    }

    #[tokio::test]
    async fn turns_queue_instead_of_refusing() {
        let budget = Arc::new(IntakeBudget::new(1024 * 1024, 1));
        let first = budget.store_turn().await;
        let waiter = {
            let budget = budget.clone();
            tokio::spawn(async move {
                let _turn = budget.store_turn().await;
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(
            !waiter.is_finished(),
            "the second waits for the first's turn"
        );
        drop(first);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("the turn passes on")
            .unwrap();
    }
}
