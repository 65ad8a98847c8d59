//! Records waiting in memory for their batch: a text tip's record is copied here at its
//! reserved offset, and the group commit writes every waiting record just before it
//! syncs the segment (the hook set with `Pending::before_marked_sync`), one `pwrite` per
//! run of adjacent records instead of one per record.
//!
//! Why: ext4's buffered write has a fixed cost per call (block reservation, the inode's
//! size and times), and records written one by one are allocated piecemeal. Written as a
//! batch, 16 records of 16.6 KB cost ~17 µs of CPU each instead of ~28, and their
//! `fdatasync` a third less (`BENCHMARKS.md`, "Session 24"). The write also leaves the
//! HTTP workers for the thread that syncs the segment.
//!
//! Safety: nothing is acknowledged before its batch, and the batch writes before it
//! syncs. An index entry can name a record still waiting here (an insert stages its
//! records before it writes the index), so a reader that pins a segment with records
//! waiting writes them first ([`Staging::written_through`]): a reader never sees a
//! record's place in the file before its bytes are there.
//!
//! Must never: hold more than [`MAX_WAITING`] bytes (a writer past it writes them out
//! itself), write a run anywhere but at the offset reserved for it, let a reader of a
//! segment return while a run of that segment is still waiting or being written, or let
//! two write-outs overlap (the `writing` marker belongs to the one under way).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::{Location, SegmentNo};

/// Bytes that may wait in memory before the writer that would exceed it writes them out
/// itself (a batch holds ~16–64 text tips: ~0.3–1 MB).
pub(super) const MAX_WAITING: usize = 4 * 1024 * 1024;

/// A new run's first buffer: ~16 text tips, so a batch seldom grows it.
const FIRST_BUFFER: usize = 256 * 1024;

/// A buffer at most this large is kept for the next run after its bytes were written.
///
/// A run grows past [`MAX_WAITING`] at most to the next doubling, so every buffer of a
/// burst is kept: under 64 clients a batch is ~1 MB and its buffer 2 MiB, and one freed
/// and allocated again per batch cost ~3–7 % of intake once glibc maps such blocks rather
/// than heaping them (`main.rs`, `BENCHMARKS.md`, "Session 30"). The spares go once the
/// burst is over ([`Staging::drop_spares`]), so a burst leaves no memory behind.
const KEEP_BUFFER: usize = 2 * MAX_WAITING;

/// Buffers kept at most. One was not enough: a run started while the last batch's run
/// was being written found none, and the written one then found the slot taken and was
/// freed, a 256 KiB map and unmap per batch (`strace`, session 30).
const SPARES: usize = 2;

/// Adjacent records of one segment, waiting to be written at `start`.
struct Run {
    segment: SegmentNo,
    file: Arc<File>,
    start: u64,
    bytes: Vec<u8>,
}

impl Run {
    fn end(&self) -> u64 {
        self.start + self.bytes.len() as u64
    }
}

#[derive(Default)]
struct State {
    waiting: Vec<Run>,
    /// Segments of the runs a [`Staging::write_out`] has taken and is writing; empty
    /// when none is.
    writing: Vec<SegmentNo>,
    /// Buffers kept for the next runs: at most [`SPARES`].
    spares: Vec<Vec<u8>>,
}

impl State {
    /// Bytes waiting (runs are few: one per batch, unless a large record cut one short).
    fn waiting_bytes(&self) -> usize {
        self.waiting.iter().map(|r| r.bytes.len()).sum()
    }
}

/// The log's records in memory; see the module docs.
#[derive(Default)]
pub(super) struct Staging {
    state: Mutex<State>,
    /// Signalled when a write-out ends.
    done: Condvar,
}

impl Staging {
    /// Keeps `pieces` (a frame, then the record's bytes) to be written at `at` in `file`.
    /// Called under the head's lock, right after reserving `at`, so records reserved in
    /// turn join one run. `true` if the waiting bytes now exceed [`MAX_WAITING`]: the
    /// caller then writes them out, after letting go of the head.
    pub fn stage(&self, at: Location, file: &Arc<File>, pieces: &[&[u8]]) -> bool {
        let mut state = self.lock();
        let joins = state
            .waiting
            .last()
            .is_some_and(|r| r.segment == at.segment && r.end() == at.offset);
        if !joins {
            let mut bytes = state
                .spares
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(FIRST_BUFFER));
            bytes.clear();
            state.waiting.push(Run {
                segment: at.segment,
                file: file.clone(),
                start: at.offset,
                bytes,
            });
        }
        let run = state.waiting.last_mut().expect("pushed above");
        pieces.iter().for_each(|p| run.bytes.extend_from_slice(p));
        state.waiting_bytes() > MAX_WAITING
    }

    /// Writes every waiting run, after any write-out already under way has ended: when it
    /// returns, every record staged before the call is in its file (not yet synced). A
    /// run that failed stays waiting, with those after it, for the next call.
    pub fn write_out(&self) -> std::io::Result<()> {
        let mut state = self.lock();
        while !state.writing.is_empty() {
            state = self.wait(state);
        }
        if state.waiting.is_empty() {
            // Nothing to write, and every earlier write-out has ended. Going on would
            // mark nothing as being written and then clear the marker of a write-out
            // that started meanwhile: its readers, and the sync after it, would not
            // wait for its records.
            return Ok(());
        }
        let runs = std::mem::take(&mut state.waiting);
        state.writing = runs.iter().map(|r| r.segment).collect();
        drop(state);

        let mut runs = runs.into_iter();
        let mut failed = None;
        for run in runs.by_ref() {
            if let Err(e) = run.file.write_all_at(&run.bytes, run.start) {
                failed = Some((e, run));
                break;
            }
            self.recycle(run.bytes);
        }

        let mut state = self.lock();
        state.writing.clear();
        let result = match failed {
            None => Ok(()),
            Some((e, run)) => {
                // Back in front of anything staged meanwhile, in their order.
                let mut back: Vec<Run> = std::iter::once(run).chain(runs).collect();
                back.append(&mut state.waiting);
                state.waiting = back;
                Err(e)
            }
        };
        drop(state);
        self.done.notify_all();
        result
    }

    /// Returns once no record of `segment` is waiting or being written, writing them out
    /// if some are: what a reader of the segment asks before it reads.
    pub fn written_through(&self, segment: SegmentNo) -> std::io::Result<()> {
        let state = self.lock();
        let busy =
            state.writing.contains(&segment) || state.waiting.iter().any(|r| r.segment == segment);
        drop(state);
        if busy {
            self.write_out()
        } else {
            Ok(())
        }
    }

    /// Frees the buffers kept for the next runs: after a burst (`http::memory`).
    pub fn drop_spares(&self) {
        // Taken out first: the buffers are unmapped after the lock is let go, not while
        // writers wait to stage.
        let spares = std::mem::take(&mut self.lock().spares);
        drop(spares);
    }

    fn recycle(&self, bytes: Vec<u8>) {
        if bytes.capacity() <= KEEP_BUFFER {
            let mut state = self.lock();
            if state.spares.len() < SPARES {
                state.spares.push(bytes);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Runs and counters: a panic elsewhere leaves them whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.done
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    fn file() -> (tempfile::TempDir, Arc<File>) {
        let dir = tempfile::tempdir().unwrap();
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.path().join("seg"))
            .unwrap();
        (dir, Arc::new(f))
    }

    fn at(segment: u64, offset: u64) -> Location {
        Location {
            segment: SegmentNo::new(segment),
            offset,
        }
    }

    fn read(f: &File, offset: u64, len: usize) -> Vec<u8> {
        let mut b = vec![0; len];
        f.read_exact_at(&mut b, offset).unwrap();
        b
    }

    #[test]
    fn adjacent_records_become_one_run_and_land_where_reserved() {
        let (_d, f) = file();
        let s = Staging::default();
        assert!(!s.stage(at(1, 0), &f, &[b"ab", b"cd"]));
        assert!(!s.stage(at(1, 4), &f, &[b"ef"]));
        // Not adjacent: a second run, after a gap another writer reserved.
        assert!(!s.stage(at(1, 10), &f, &[b"gh"]));
        assert_eq!(s.lock().waiting.len(), 2);
        assert_eq!(
            f.metadata().unwrap().len(),
            0,
            "nothing written before the batch"
        );
        s.write_out().unwrap();
        assert_eq!(read(&f, 0, 6), b"abcdef");
        assert_eq!(read(&f, 10, 2), b"gh");
        assert!(s.lock().waiting.is_empty());
        assert_eq!(s.lock().waiting_bytes(), 0);
    }

    /// A flood's batch (~1 MB under 64 clients) keeps its buffer for the next batch
    /// instead of freeing and allocating one per batch; after the burst the spares go,
    /// and the next batch still lands where it was reserved.
    #[test]
    fn a_batch_buffer_is_kept_through_a_burst_and_dropped_after_it() {
        let (_d, f) = file();
        let s = Staging::default();
        let record = vec![3u8; 16_600];
        let mut offset = 0;
        for _ in 0..64 {
            s.stage(at(1, offset), &f, &[&record]);
            offset += record.len() as u64;
        }
        s.write_out().unwrap();
        let kept = s.lock().spares.last().map(Vec::capacity);
        assert!(
            kept.is_some_and(|c| c >= 64 * record.len()),
            "kept: {kept:?}"
        );

        s.drop_spares();
        assert!(s.lock().spares.is_empty());
        s.stage(at(1, offset), &f, &[b"after"]);
        s.write_out().unwrap();
        assert_eq!(read(&f, offset, 5), b"after");
        assert_eq!(read(&f, offset - 3, 3), [3, 3, 3]);
    }

    #[test]
    fn a_reader_of_a_segment_with_waiting_records_gets_them_written_first() {
        let (_d, f) = file();
        let (_d2, g) = file();
        let s = Staging::default();
        s.stage(at(1, 0), &f, &[b"one"]);
        s.written_through(SegmentNo::new(2)).unwrap();
        assert_eq!(
            f.metadata().unwrap().len(),
            0,
            "another segment's reader waits for nothing"
        );
        s.stage(at(2, 0), &g, &[b"two"]);
        s.written_through(SegmentNo::new(1)).unwrap();
        assert_eq!(read(&f, 0, 3), b"one");
        assert_eq!(read(&g, 0, 3), b"two");
    }

    #[test]
    fn past_the_cap_the_writer_is_told_to_write_out() {
        let (_d, f) = file();
        let s = Staging::default();
        let big = vec![7u8; MAX_WAITING / 2];
        assert!(!s.stage(at(1, 0), &f, &[&big]));
        assert!(s.stage(at(1, big.len() as u64), &f, &[&big, b"x"]));
        s.write_out().unwrap();
        assert_eq!(f.metadata().unwrap().len(), big.len() as u64 * 2 + 1);
    }

    #[test]
    fn a_failed_write_keeps_the_runs_waiting_in_order() {
        // A read-only handle: every write fails.
        let (d, f) = file();
        let ro = Arc::new(File::open(d.path().join("seg")).unwrap());
        let s = Staging::default();
        s.stage(at(1, 0), &ro, &[b"aa"]);
        s.stage(at(2, 0), &f, &[b"bb"]);
        assert!(s.write_out().is_err());
        {
            let state = s.lock();
            assert_eq!(state.waiting.len(), 2);
            assert_eq!(state.waiting[0].segment, SegmentNo::new(1));
            assert_eq!(state.waiting_bytes(), 4);
            assert!(state.writing.is_empty());
        }
        assert!(
            s.written_through(SegmentNo::new(2)).is_err(),
            "the reader hears of it"
        );
    }

    #[test]
    fn concurrent_write_outs_each_return_only_once_everything_before_them_is_written() {
        let (_d, f) = file();
        let s = Arc::new(Staging::default());
        let rec = vec![9u8; 16_597];
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let (s, f, rec) = (s.clone(), f.clone(), rec.clone());
                std::thread::spawn(move || {
                    for i in 0..50u64 {
                        let offset = (t * 50 + i) * rec.len() as u64;
                        s.stage(at(1, offset), &f, &[&rec]);
                        s.written_through(SegmentNo::new(1)).unwrap();
                        assert_eq!(read(&f, offset, rec.len()), rec);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
    }

    /// A write-out that finds nothing waiting must not end another's: before the fix it
    /// cleared the marker of one that had started meanwhile, so a reader (or the group
    /// commit, before its sync) could return while that one still wrote its records.
    #[test]
    fn a_write_out_with_nothing_to_write_does_not_end_one_under_way() {
        let (_d, f) = file();
        let s = Arc::new(Staging::default());
        let rec = vec![5u8; 4096];
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let idle_writers: Vec<_> = (0..3)
            .map(|_| {
                let (s, stop) = (s.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        s.write_out().unwrap();
                    }
                })
            })
            .collect();
        let readers: Vec<_> = (0..3u64)
            .map(|t| {
                let (s, f, rec) = (s.clone(), f.clone(), rec.clone());
                std::thread::spawn(move || {
                    for i in 0..2_000u64 {
                        let offset = (t * 2_000 + i) * rec.len() as u64;
                        s.stage(at(1, offset), &f, &[&rec]);
                        s.written_through(SegmentNo::new(1)).unwrap();
                        assert_eq!(read(&f, offset, rec.len()), rec, "record {t}/{i}");
                    }
                })
            })
            .collect();
        readers.into_iter().for_each(|t| t.join().unwrap());
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        idle_writers.into_iter().for_each(|t| t.join().unwrap());
    }
}
