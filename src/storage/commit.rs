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
//! Bytes that storage keeps outside sled (files it writes itself) join the same batch:
//! a writer registers the file it wrote with [`Pending::file_written`] after the write
//! returned and before it waits, and the thread `fdatasync`s every registered file
//! **before** `db.flush()`, so anything sled points at is on disk before the pointer is.
//! A file whose every pointer in sled stays guarded by a `pending` mark until the batch
//! is answered (the bundle log's segments) registers with [`Pending::marked_file_written`]
//! instead and is synced on a second, long-lived thread *during* the flush: one disk sync
//! less in the path of a lone tip. That thread also sets a marked file's times back to
//! midnight before its sync, once per batch, so its writers need not after every record.
//! Before that, it runs the hook its owner set with [`Pending::before_marked_sync`]: the
//! bundle log writes there the records it kept in memory since the last batch
//! (`bundles/staging.rs`), one `pwrite` per run of records instead of one per record.
//! A writer whose sled entry must never be durable before its file's bytes (an upload's
//! record, which counts them) registers the entry's write as work with
//! [`Pending::file_written_then`]: the thread runs it after the batch's files are synced
//! and before `db.flush()`, so the entry is flushed by that very batch, never earlier.
//! Work that may only happen once a write is durable (removing an insert's `pending`
//! mark) is registered with [`Pending::after_durable`] and run by the thread after the
//! batch that made it durable was answered; its own writes go into the next batch.
//!
//! This module must never call `flush_async` (it deadlocks under concurrency: sled #1308),
//! and never answer a waiter before the files' `fdatasync`, the flush and the log's
//! `fdatasync` all returned.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

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

/// Work to run once the writes registered before it are durable.
pub(super) type AfterDurable = Box<dyn FnOnce() + Send>;

/// What the next batch must make durable besides sled, and what to do after it.
#[derive(Default)]
struct PendingState {
    /// Files written since the last batch took them, by a key the writer chooses (a
    /// segment number, an upload id): one `fdatasync` per file per batch.
    files: HashMap<FileKey, Arc<File>>,
    /// Files whose readers a `pending` mark guards until the batch is durable (the
    /// bundle log's segments): synced *alongside* `db.flush()` rather than before it.
    marked: HashMap<FileKey, Arc<File>>,
    after: Vec<AfterDurable>,
    /// Writes to run once this batch's `files` are synced, before `db.flush()`.
    after_files: Vec<AfterDurable>,
}

/// Names a file registered with [`Pending::file_written`]: which kind of file (a
/// constant of the module that writes it) and which one of that kind.
pub(super) type FileKey = (u8, u128);

/// Writes a marked file's owner still holds in memory; run before the marked files'
/// sync, on the thread that syncs them (see [`Pending::before_marked_sync`]).
pub(super) type BeforeSync = Arc<dyn Fn() -> std::io::Result<()> + Send + Sync>;

/// Shared by writers and the group-commit thread: see the module docs.
#[derive(Clone, Default)]
pub(super) struct Pending {
    state: Arc<Mutex<PendingState>>,
    before_marked: Arc<OnceLock<BeforeSync>>,
}

impl Pending {
    /// `file` was written; the next batch `fdatasync`s it before `db.flush()`. Call after
    /// the write returned and before waiting for durability.
    pub(super) fn file_written(&self, key: FileKey, file: &Arc<File>) {
        self.lock().files.entry(key).or_insert_with(|| file.clone());
    }

    /// Like [`Pending::file_written`], for a file that nothing durable points at
    /// unguarded before the batch is answered: every index entry naming its new bytes
    /// keeps a `pending` mark (checked at open) until [`Pending::after_durable`] work of
    /// this batch removes it. Such a file is `fdatasync`ed on a second thread *while*
    /// sled flushes, not before: a lone tip waits for one disk sync less. The batch is
    /// still answered only after both returned. Its atime and mtime are set to midnight
    /// just before that sync, so the writer need not do it.
    pub(super) fn marked_file_written(&self, key: FileKey, file: &Arc<File>) {
        self.lock()
            .marked
            .entry(key)
            .or_insert_with(|| file.clone());
    }

    /// Like [`Pending::file_written`], and `work` (a sled write that points at the
    /// file's new bytes) runs on the commit thread after the batch that takes the file
    /// synced it, before that batch's `db.flush()`: the write is never durable before
    /// the bytes, and a waiter registered after this call is answered only after it ran.
    /// Dropped unrun if the sync fails. `work` must not wait for durability.
    pub(super) fn file_written_then(&self, key: FileKey, file: &Arc<File>, work: AfterDurable) {
        // One lock: a batch takes the file and its work together, never one without the other.
        let mut state = self.lock();
        state.files.entry(key).or_insert_with(|| file.clone());
        state.after_files.push(work);
    }

    /// Runs `work` on the commit thread once the next batch (which makes every write
    /// that returned before this call durable) has been answered. It is dropped unrun if
    /// that batch fails: whatever it would undo is then found again at the next open.
    pub(super) fn after_durable(&self, work: AfterDurable) {
        self.lock().after.push(work);
    }

    /// Sets the work every batch runs before it syncs the marked files (once; the bundle
    /// log, whose records wait in memory until then). A batch whose hook fails syncs
    /// nothing more and reports the error to its waiters.
    pub(super) fn before_marked_sync(&self, hook: BeforeSync) {
        if self.before_marked.set(hook).is_err() {
            tracing::error!("a second before-sync hook was refused");
        }
    }

    fn hook(&self) -> Option<BeforeSync> {
        self.before_marked.get().cloned()
    }

    fn take(&self) -> PendingState {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PendingState> {
        // The state is a list of handles and closures: a panic elsewhere leaves it whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The handle on the group-commit thread. Dropping it stops and joins the thread.
pub(super) struct GroupCommit {
    queue: Option<mpsc::Sender<Waiter>>,
    thread: Option<JoinHandle<()>>,
    pending: Pending,
}

impl GroupCommit {
    /// Starts the thread; it keeps its own handle on the database and on sled's log file
    /// (`dir/db`), which it `fdatasync`s after each flush, and takes files and work to
    /// run from `pending` (shared with the writers that register them).
    pub(super) fn start(db: sled::Db, dir: &Path, pending: Pending) -> Result<Self, StorageError> {
        // Read-only is enough: Linux syncs a file through any descriptor of it.
        let log = File::open(dir.join(SLED_LOG_FILE))?;
        let (queue, waiters) = mpsc::channel();
        let shared = pending.clone();
        let thread = std::thread::Builder::new()
            .name("tipseal-commit".into())
            .spawn(move || run(&db, &log, &shared, &waiters))?;
        Ok(Self {
            queue: Some(queue),
            thread: Some(thread),
            pending,
        })
    }

    /// Where writers register files and after-durable work for the next batch.
    pub(super) fn pending(&self) -> &Pending {
        &self.pending
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

    /// Asks for a batch without waiting for it: after a write that nobody will wait for
    /// (an insert that lost its race or failed), so that the files it touched still get
    /// their times blurred soon, not whenever the next tip comes.
    pub(super) fn nudge(&self) {
        let (tx, _rx) = oneshot::channel();
        // Nobody listens: a stopped thread has nothing left to blur.
        let _ = self.register(Waiter::Async(tx));
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

/// The registered files' `fdatasync`, the work that waited for them, sled's flush, then
/// the `fdatasync` that makes sled's log survive power loss (module doc); the marked
/// files are synced by `side` meanwhile (or here, after sled, if it is gone), and waited
/// for.
fn flush(
    db: &sled::Db,
    log: &File,
    pending: &mut PendingState,
    hook: Option<BeforeSync>,
    side: Option<&SideSync>,
) -> Result<(), StorageError> {
    for file in pending.files.values() {
        file.sync_data()?;
    }
    std::mem::take(&mut pending.after_files)
        .into_iter()
        .for_each(|work| work());
    if pending.marked.is_empty() {
        return flush_sled(db, log);
    }
    let marked = Marked {
        hook,
        files: pending.marked.values().cloned().collect(),
    };
    let handed = match side {
        Some(side) => side.start(marked).map(|()| side),
        None => Err(marked),
    };
    let side = match handed {
        Ok(side) => side,
        // No sync thread: the marked files are synced here, after sled.
        Err(marked) => {
            flush_sled(db, log)?;
            return Ok(marked.sync()?);
        }
    };
    let sled = flush_sled(db, log);
    let marked = side.wait();
    sled?;
    Ok(marked?)
}

/// A batch's marked files, and the hook that writes what their owner holds in memory.
struct Marked {
    hook: Option<BeforeSync>,
    files: Vec<Arc<File>>,
}

impl Marked {
    /// The hook writes, then each file's times go back to midnight and it is synced. Its
    /// writers append many records per batch and leave the times to this: one
    /// `utimensat` per file per batch rather than one per record, still before any
    /// record in it is acknowledged.
    fn sync(&self) -> std::io::Result<()> {
        if let Some(hook) = &self.hook {
            hook()?;
        }
        for file in &self.files {
            super::blur_times(file)?;
            file.sync_data()?;
        }
        Ok(())
    }
}

/// The long-lived thread that syncs the marked files while the commit thread flushes
/// sled. Started once with the commit thread: spawning one per batch cost a `clone3`,
/// an `mmap` of its stack and six more system calls per batch, which for a lone tip is
/// per tip. It ends when the commit thread drops this handle.
struct SideSync {
    work: mpsc::SyncSender<Marked>,
    done: mpsc::Receiver<std::io::Result<()>>,
}

impl SideSync {
    fn spawn() -> Option<Self> {
        let (work, jobs) = mpsc::sync_channel::<Marked>(1);
        let (results, done) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("tipseal-commit-log".into())
            .spawn(move || {
                for marked in jobs {
                    if results.send(marked.sync()).is_err() {
                        return;
                    }
                }
            })
            .ok()?;
        Some(SideSync { work, done })
    }

    /// Hands `marked` to the thread; back if it is gone (the caller syncs them itself).
    fn start(&self, marked: Marked) -> Result<(), Marked> {
        self.work.send(marked).map_err(|e| e.0)
    }

    fn wait(&self) -> std::io::Result<()> {
        self.done
            .recv()
            .unwrap_or_else(|_| Err(std::io::Error::other("the segment sync thread is gone")))
    }
}

fn flush_sled(db: &sled::Db, log: &File) -> Result<(), StorageError> {
    db.flush()?;
    log.sync_data()?;
    Ok(())
}

fn run(db: &sled::Db, log: &File, pending: &Pending, waiters: &mpsc::Receiver<Waiter>) {
    let side = SideSync::spawn();
    let side = side.as_ref();
    let mut batch = Vec::new();
    while let Some(first) = next_waiter(waiters) {
        batch.push(first);
        batch.extend(waiters.try_iter());
        // Taken after the batch: every waiter registered its files before it was sent.
        let mut taken = pending.take();
        let result = flush(db, log, &mut taken, pending.hook(), side);
        if let Err(e) = &result {
            tracing::error!(error = %e, waiters = batch.len(), "flush failed");
        }
        let ok = result.is_ok();
        for waiter in batch.drain(..) {
            waiter.answer(result.clone());
        }
        if ok {
            taken.after.into_iter().for_each(|work| work());
        }
    }
    // Shutdown: make whatever was written without waiting durable too.
    let mut taken = pending.take();
    match flush(db, log, &mut taken, pending.hook(), side) {
        Ok(()) => taken.after.into_iter().for_each(|work| work()),
        Err(e) => tracing::error!(error = %e, "final flush failed"),
    }
}

/// How long the thread waits for a waiter before it counts as idle.
const IDLE: Duration = Duration::from_millis(100);

/// The next waiter, blocking for it; `None` once every sender is gone.
///
/// Once idle, the thread hands its deferred frees over
/// ([`super::Store::hand_over_deferred_frees`]): each `db.flush()` replaces sled's current
/// I/O buffer handle and defers freeing the old one into this thread's bag, so a bag left
/// partly full when a burst ended kept up to three 4 MiB segment buffers alive while idle
/// (`tests/deferred_frees.rs`). Not between batches: handing over also frees what is
/// due, and that work belongs off the path every acknowledgement waits on.
fn next_waiter(waiters: &mpsc::Receiver<Waiter>) -> Option<Waiter> {
    match waiters.recv_timeout(IDLE) {
        Ok(waiter) => Some(waiter),
        Err(mpsc::RecvTimeoutError::Disconnected) => None,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            super::reclaim::hand_over_this_threads_frees();
            waiters.recv().ok()
        }
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
    fn a_registered_file_is_synced_and_after_durable_work_runs_after_the_answer() {
        use std::io::Write;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        let (dir, store) = temp_store();
        let mut file = std::fs::File::create(dir.path().join("outside-sled")).unwrap();
        file.write_all(b"bytes sled points at").unwrap();
        let file = Arc::new(file);
        let ran = Arc::new(AtomicUsize::new(0));
        let pending = store.inner.commit.pending();
        pending.file_written((9, 1), &file);
        pending.file_written((9, 1), &file);
        let seen = ran.clone();
        pending.after_durable(Box::new(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        }));
        store.durable_blocking().unwrap();
        // The work runs after the answer: a second batch is answered after it ran.
        store.durable_blocking().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert!(pending.take().files.is_empty(), "the batch took the file");
    }

    #[test]
    fn work_after_a_files_sync_runs_before_the_batch_answers_and_is_dropped_if_it_fails() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        let (dir, store) = temp_store();
        let file = Arc::new(std::fs::File::create(dir.path().join("outside-sled")).unwrap());
        let ran = Arc::new(AtomicUsize::new(0));
        let pending = store.inner.commit.pending();
        let seen = ran.clone();
        pending.file_written_then(
            (9, 2),
            &file,
            Box::new(move || {
                seen.fetch_add(1, Ordering::SeqCst);
            }),
        );
        assert_eq!(ran.load(Ordering::SeqCst), 0, "nothing runs before a batch");
        store.durable_blocking().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 1, "it ran before the answer");

        // A file whose sync fails: `fdatasync` on a pipe is EINVAL.
        let (reader, _writer) = std::io::pipe().unwrap();
        let unsyncable = Arc::new(std::fs::File::from(std::os::fd::OwnedFd::from(reader)));
        let seen = ran.clone();
        pending.file_written_then(
            (9, 3),
            &unsyncable,
            Box::new(move || {
                seen.fetch_add(1, Ordering::SeqCst);
            }),
        );
        assert!(
            store.durable_blocking().is_err(),
            "the batch reports the failed sync"
        );
        assert_eq!(ran.load(Ordering::SeqCst), 1, "the work was dropped unrun");
    }

    #[test]
    fn a_marked_file_is_synced_with_its_times_back_at_midnight() {
        use std::io::Write;
        use std::os::unix::fs::MetadataExt;
        use std::sync::Arc;

        let (dir, store) = temp_store();
        let path = dir.path().join("marked");
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(b"a record").unwrap();
        let file = Arc::new(file);
        let pending = store.inner.commit.pending();
        // Many batches in a row: the long-lived sync thread answers every one.
        for round in 0..20u8 {
            file.as_ref().write_all(&[round]).unwrap();
            assert_ne!(std::fs::metadata(&path).unwrap().mtime() % 86_400, 0);
            pending.marked_file_written((9, 2), &file);
            store.durable_blocking().unwrap();
            let meta = std::fs::metadata(&path).unwrap();
            assert_eq!((meta.mtime() % 86_400, meta.mtime_nsec()), (0, 0));
            assert_eq!((meta.atime() % 86_400, meta.atime_nsec()), (0, 0));
        }
        assert!(pending.take().marked.is_empty(), "the batch took the file");
    }

    #[test]
    fn a_batch_writes_the_bundle_logs_waiting_records_before_it_syncs() {
        let (dir, store) = temp_store();
        let id = crate::domain::TipId::from_bytes([7; 16]);
        let at = store
            .inner
            .log
            .append(id, 0, &[b"header", &[5; 9000]])
            .unwrap();
        let path = dir
            .path()
            .join(super::super::bundles::BUNDLES_DIR)
            .join(at.segment.file_name());
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            0,
            "waiting in memory"
        );
        store.durable_blocking().unwrap();
        let written = std::fs::read(&path).unwrap();
        assert_eq!(written.len(), super::super::bundles::FRAME_LEN + 9006);
        assert!(written.ends_with(&[5; 9000]));
    }

    #[test]
    fn a_nudge_runs_a_batch_nobody_waits_for() {
        use std::os::unix::fs::MetadataExt;
        use std::sync::Arc;

        let (dir, store) = temp_store();
        let path = dir.path().join("nudged");
        let file = Arc::new(std::fs::File::create(&path).unwrap());
        store
            .inner
            .commit
            .pending()
            .marked_file_written((9, 3), &file);
        store.inner.commit.nudge();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::fs::metadata(&path).unwrap().mtime() % 86_400 != 0 {
            assert!(std::time::Instant::now() < deadline, "no batch ran");
            std::thread::sleep(Duration::from_millis(5));
        }
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
