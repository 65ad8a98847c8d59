//! Threads that wrote and then went quiet must not keep sled's I/O buffers alive (issue
//! 11, "back to idle"; BENCHMARKS.md, "Session 31").
//!
//! sled frees what a write replaced, its 4 MiB segment buffers among them, through the
//! writing thread's bag of deferred frees, and a bag reaches the shared queue only once
//! it is full. Two threads kept buffers that way in the server: the one that opens the
//! store (sled flushes once while opening; the thread never writes again) and the
//! group-commit thread (each `db.flush()` defers a handle on the current buffer), whose
//! bag, partly full when a burst ended, kept up to three more. This test counts sled's
//! live I/O buffers with a counting allocator (they are the process's only allocations
//! aligned to 8 KiB): after a burst and a reclaim from another thread, only the buffer
//! being written and the one the opening thread's bag holds are left, and once that
//! thread calls `Store::hand_over_deferred_frees`, only the one being written.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use tipseal::storage::Store;

/// sled's `AlignedBuf` asks for this alignment, and nothing else in this test does.
const IO_BUFFER_ALIGN: usize = 8192;

static LIVE_IO_BUFFERS: AtomicUsize = AtomicUsize::new(0);

struct CountingIoBuffers;

// SAFETY: every call is forwarded unchanged to the system allocator; the counter only
// observes layouts. `alloc_zeroed` and `realloc` keep their defaults, which go through
// `alloc` and `dealloc` and so are counted too.
unsafe impl GlobalAlloc for CountingIoBuffers {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && layout.align() == IO_BUFFER_ALIGN {
            LIVE_IO_BUFFERS.fetch_add(1, Ordering::SeqCst);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.align() == IO_BUFFER_ALIGN {
            LIVE_IO_BUFFERS.fetch_sub(1, Ordering::SeqCst);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingIoBuffers = CountingIoBuffers;

/// Runs the post-burst reclaim on a thread of its own, as the server's release does (so
/// the calling thread's bag is not flushed by it), until at most `want` I/O buffers are
/// live or two seconds have passed; returns how many are. The group-commit thread hands
/// its bag over only once it is idle, a moment after it answered the last waiter.
fn live_after_reclaim(store: &Store, want: usize) -> usize {
    for _ in 0..100 {
        let store = store.clone();
        std::thread::spawn(move || store.reclaim_replaced_nodes())
            .join()
            .expect("the reclaim thread");
        if LIVE_IO_BUFFERS.load(Ordering::SeqCst) <= want {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    LIVE_IO_BUFFERS.load(Ordering::SeqCst)
}

#[test]
fn the_opening_threads_deferred_frees_are_handed_over_and_its_buffers_freed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // This thread opens the store (sled flushes once while opening) and then only waits,
    // like the server's main thread.
    let store = Store::open(dir.path(), [7; 32]).expect("the store opens");
    assert!(
        LIVE_IO_BUFFERS.load(Ordering::SeqCst) >= 1,
        "sled's I/O buffers are counted"
    );

    // A burst from another thread: ~18 MB of audit entries fill four or five 4 MiB
    // segments, each acknowledged after its own group-commit flush.
    let writer = store.clone();
    std::thread::spawn(move || {
        for i in 0..300u32 {
            writer
                .append_audit(|_, _| {
                    let mut entry = vec![(i % 251) as u8; 60 * 1024];
                    entry[..4].copy_from_slice(&i.to_be_bytes());
                    entry
                })
                .expect("an audit entry is appended");
            writer.durable_blocking().expect("the entry is flushed");
        }
    })
    .join()
    .expect("the writer thread");

    let kept = live_after_reclaim(&store, 2);
    assert_eq!(
        kept, 2,
        "left after the burst: the segment being written and the first one, which this \
         thread's bag holds (the group-commit thread's bag holds none once it is idle)"
    );

    store.hand_over_deferred_frees();
    let after = live_after_reclaim(&store, 1);
    assert_eq!(
        after, 1,
        "handing this thread's deferred frees over frees the first segment's buffer"
    );
}
