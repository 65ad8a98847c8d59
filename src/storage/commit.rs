//! Group commit: one OS thread owns `db.flush()`.
//!
//! A caller that needs durability registers a waiter by sending it over an unbounded
//! `std::sync::mpsc` channel. The thread blocks for the first waiter, drains every waiter
//! already queued, calls `db.flush()` once, and answers the whole batch with its result;
//! then it repeats. A waiter is only ever answered by a flush that started after the
//! thread received it, hence after the caller's writes returned. Many concurrent writers
//! thus share one flush instead of queueing one each.
//!
//! A channel rather than a `Mutex` + `Condvar` generation counter: the channel gives async
//! callers a `tokio::sync::oneshot` to await without blocking a runtime worker, and shutdown
//! falls out of it (the thread exits when the last sender is dropped).
//!
//! `db.flush()` alone is not enough for power loss: sled 0.34 makes its log durable with
//! `sync_file_range` (`pagecache/iobuf.rs`), which writes the pages but neither the file's
//! size (sled's log grows by appending segments) nor a flush of the disk's volatile write
//! cache. So after every flush the thread also calls `fdatasync` on sled's log file (the
//! one file sled writes tips to; with 4 MiB segments no blob file is ever written) — one
//! per batch, which is what group commit is for.
//!
//! This module must never call `flush_async` (it deadlocks under concurrency: sled #1308),
//! and never answer a waiter before both the flush and the `fdatasync` returned.

use std::fs::File;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::StorageError;

/// How a waiter wants to hear the result of its flush.
enum Waiter {
    Async(oneshot::Sender<Result<(), StorageError>>),
    Blocking(mpsc::SyncSender<Result<(), StorageError>>),
}

impl Waiter {
    fn answer(self, result: Result<(), StorageError>) {
        // A waiter that gave up (its future was dropped) has nobody left to tell.
        match self {
            Waiter::Async(tx) => {
                let _ = tx.send(result);
            }
            Waiter::Blocking(tx) => {
                let _ = tx.send(result);
            }
        }
    }
}

/// The handle on the group-commit thread. Dropping it stops and joins the thread.
pub(super) struct GroupCommit {
    queue: Option<mpsc::Sender<Waiter>>,
    thread: Option<JoinHandle<()>>,
}

impl GroupCommit {
    /// Starts the thread; it keeps its own handle on the database and on sled's log file
    /// (`dir/db`), which it `fdatasync`s after each flush.
    pub(super) fn start(db: sled::Db, dir: &Path) -> Result<Self, StorageError> {
        // Read-only is enough: Linux syncs a file through any descriptor of it.
        let log = File::open(dir.join(SLED_LOG_FILE))?;
        let (queue, waiters) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tipseal-commit".into())
            .spawn(move || run(&db, &log, &waiters))?;
        Ok(Self {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Resolves after a flush that started after this call.
    pub(super) async fn durable(&self) -> Result<(), StorageError> {
        let (tx, rx) = oneshot::channel();
        self.register(Waiter::Async(tx))?;
        rx.await.map_err(|_| StorageError::CommitterGone)?
    }

    /// Blocks until a flush that started after this call has completed.
    pub(super) fn durable_blocking(&self) -> Result<(), StorageError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.register(Waiter::Blocking(tx))?;
        rx.recv().map_err(|_| StorageError::CommitterGone)?
    }

    fn register(&self, waiter: Waiter) -> Result<(), StorageError> {
        self.queue
            .as_ref()
            .ok_or(StorageError::CommitterGone)?
            .send(waiter)
            .map_err(|_| StorageError::CommitterGone)
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        // Closing the queue ends the thread's loop; joining waits for its last flush, so
        // the database is closed cleanly and can be reopened at once.
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the group-commit thread panicked");
            }
        }
    }
}

/// sled 0.34's log, inside the database directory (`Config::db_path`).
const SLED_LOG_FILE: &str = "db";

/// sled's flush, then the `fdatasync` that makes it survive power loss (module doc).
fn flush(db: &sled::Db, log: &File) -> Result<(), StorageError> {
    db.flush()?;
    log.sync_data()?;
    Ok(())
}

fn run(db: &sled::Db, log: &File, waiters: &mpsc::Receiver<Waiter>) {
    let mut batch = Vec::new();
    while let Ok(first) = waiters.recv() {
        batch.push(first);
        batch.extend(waiters.try_iter());
        let result = flush(db, log);
        if let Err(e) = &result {
            tracing::error!(error = %e, waiters = batch.len(), "flush failed");
        }
        for waiter in batch.drain(..) {
            waiter.answer(result.clone());
        }
    }
    // Shutdown: make whatever was written without waiting durable too.
    if let Err(e) = flush(db, log) {
        tracing::error!(error = %e, "final flush failed");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::testutil::temp_store;

    #[test]
    fn a_blocking_waiter_is_answered() {
        let (_dir, store) = temp_store();
        store.durable_blocking().unwrap();
        store.durable_blocking().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_concurrent_async_waiters_all_complete() {
        let (_dir, store) = temp_store();
        let tasks: Vec<_> = (0..500)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.durable().await })
            })
            .collect();
        let all = async {
            for task in tasks {
                task.await.unwrap().unwrap();
            }
        };
        tokio::time::timeout(Duration::from_secs(30), all)
            .await
            .expect("durable() deadlocked");
    }

    #[test]
    fn dropping_the_store_stops_the_thread_and_releases_the_directory() {
        let (dir, store) = temp_store();
        store.durable_blocking().unwrap();
        drop(store);
        let again = super::super::Store::open(dir.path(), [0; 32]).unwrap();
        again.durable_blocking().unwrap();
    }
}
