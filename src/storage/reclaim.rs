//! Freeing what a burst of writes left behind, once it is over: the tree nodes sled has
//! replaced, and the bundle log's spare staging buffers (`bundles/staging.rs`).
//!
//! sled replaces a leaf on every write and frees the old one only later, through
//! epoch-based reclamation: a replaced node waits in a queue until every thread that
//! could still read it has moved on, and the queue is drained a few bags at a time by
//! threads as they start new operations. Under a flood the queue grows faster than the
//! writers drain it; when the flood stops nothing drains it any more, and the server
//! kept ~36 MiB of dead leaves for as long as it stayed idle (BENCHMARKS.md, "Session
//! 28"). [`Store::reclaim_replaced_nodes`] drains it.
//!
//! It must stay cheap enough to call after every burst and safe to call while other
//! threads read and write: it only asks the reclaimer to run what is already safe to free.

use super::Store;

/// Moves the calling thread's bag of deferred frees to sled's shared queue and runs those
/// in it whose epoch every thread has left; pinning again advances the epoch.
pub(super) fn hand_over_this_threads_frees() {
    sled::pin().flush();
}

/// Drain passes per call. Each pass frees at most 8 bags of 64 replaced nodes once no
/// reader can still see them, so this covers over 33 million nodes, far more than a
/// 10-second flood of ~90,000 tips left queued (~36 MiB). 20,000 passes took ~3 ms right
/// after such a flood (session 28), so a call costs ~10 ms once per burst.
const DRAIN_PASSES: usize = 65_536;

impl Store {
    /// Frees the nodes that writes replaced and that no reader can still see. Blocks for
    /// up to tens of milliseconds: call it from a blocking thread, after a burst.
    pub fn reclaim_replaced_nodes(&self) {
        for _ in 0..DRAIN_PASSES {
            hand_over_this_threads_frees();
        }
    }

    /// Hands the calling thread's deferred frees over to the shared queue, which
    /// [`Store::reclaim_replaced_nodes`] drains from any thread. sled defers freeing what
    /// a write replaced (tree nodes, and its I/O buffers: a 4 MiB segment buffer stays
    /// while any of its deferred handles does) into a bag kept by the thread that wrote,
    /// and the bag reaches the queue only once 64 frees have filled it. A thread that
    /// wrote a little and then went quiet, like the one that opened the store, keeps its
    /// bag for good. Cheap: call it on such a thread after a burst.
    pub fn hand_over_deferred_frees(&self) {
        hand_over_this_threads_frees();
    }

    /// Frees the buffers the bundle log keeps for its next batches of small records (two,
    /// of up to 8 MiB each under a flood). The next batch allocates anew. Safe at any time.
    pub fn drop_spare_buffers(&self) {
        self.inner.log.drop_spare_buffers();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use crate::storage::testutil::temp_store;

    /// Reclaiming runs while writers replace the same leaves over and over: nothing a
    /// writer wrote is lost or freed under a reader.
    #[test]
    fn reclaiming_while_writers_write_loses_nothing() {
        let (_dir, store) = temp_store();
        let tree = store.inner.db.open_tree("reclaim-test").unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4u8)
            .map(|w| {
                let tree = tree.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000u32 {
                        let key = [w, (i % 64) as u8];
                        tree.insert(key, &i.to_be_bytes()).unwrap();
                        let read = tree.get(key).unwrap().unwrap();
                        assert_eq!(&read[..], &i.to_be_bytes());
                    }
                })
            })
            .collect();
        let reclaimer = {
            let store = store.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut runs = 0;
                while !stop.load(Ordering::Relaxed) {
                    store.reclaim_replaced_nodes();
                    runs += 1;
                }
                runs
            })
        };
        for w in writers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        assert!(reclaimer.join().unwrap() >= 1);
        for w in 0..4u8 {
            for k in 0..64u8 {
                let last = (0..5_000u32).filter(|i| i % 64 == k as u32).max().unwrap();
                let read = tree.get([w, k]).unwrap().unwrap();
                assert_eq!(&read[..], &last.to_be_bytes());
            }
        }
    }
}
