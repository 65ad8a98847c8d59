//! Submissions in flight, by idempotency-key hash: a retry that arrives while its first
//! try is still storing (a Tor circuit dropped during the flush) waits for that try to
//! finish instead of racing it, then finds the stored tip and gets its id.
//!
//! Without it the retry finds the uploads already claimed by the first try and is
//! refused, and the witness, told it failed, may send the tip again under a new key.
//! Must never: hold a key (only its peppered hash), or let a waiter wait unbounded —
//! after [`WAIT`] it gets a retryable 503.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use super::ApiError;

/// How long a retry waits for the first try before being told to come back (503 with
/// Retry-After: the page and the CLI retry it with the same key).
pub const WAIT: Duration = Duration::from_secs(10);

type Slots = BTreeMap<[u8; 32], Arc<AsyncMutex<()>>>;

static SLOTS: Mutex<Slots> = Mutex::new(BTreeMap::new());

/// Held while a submission with this key hash is being stored; dropping it lets the
/// next try with the same key in. Move it into the blocking insert so it is held until
/// the insert ends even if the request itself is dropped (the client went away).
pub struct Turn {
    key: [u8; 32],
    guard: Option<OwnedMutexGuard<()>>,
}

/// Waits (at most [`WAIT`]) for this key's turn. `Err(Busy)` (503, Retry-After) when the
/// first try takes longer.
pub async fn turn(key: [u8; 32]) -> Result<Turn, ApiError> {
    let slot = lock().entry(key).or_default().clone();
    let mut turn = Turn { key, guard: None };
    // On timeout `turn` drops without a guard and tidies the entry.
    turn.guard = Some(
        tokio::time::timeout(WAIT, slot.lock_owned())
            .await
            .map_err(|_| ApiError::Busy)?,
    );
    Ok(turn)
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut slots = lock();
        // Only the map holds it: nobody has or waits for this key's turn.
        if slots
            .get(&self.key)
            .is_some_and(|s| Arc::strong_count(s) == 1)
        {
            slots.remove(&self.key);
        }
    }
}

fn lock() -> std::sync::MutexGuard<'static, Slots> {
    // The map stays consistent through a panic elsewhere: keep going.
    SLOTS.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_try_waits_for_the_first_and_the_map_empties() {
        let key = [42u8; 32];
        let first = turn(key).await.unwrap();
        let second = tokio::spawn(turn(key));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "the second try waits");
        drop(first);
        let second = second.await.unwrap().unwrap();
        drop(second);
        assert!(!lock().contains_key(&key));
    }
}
