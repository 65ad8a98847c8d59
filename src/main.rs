//! The `tipseal` binary: parses the command line and hands over to `tipseal::cli`.
//!
//! It also tunes the C allocator (`allocator` below): the only `unsafe` of the project,
//! kept out of the library, which forbids it.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    allocator::tune();
    tipseal::http::memory::set_trimmer(allocator::trim);
    let cli = tipseal::cli::Cli::parse();
    match tipseal::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tipseal: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// glibc's allocator keeps one arena per thread up to 8 × cores, and never gives an
/// arena's freed pages back on its own: after a flood the server kept its peak footprint
/// (206 MiB after 211 MiB, BENCHMARKS.md). Two arenas bound that spread; `trim` hands
/// free pages back once a burst is over (`tipseal::http::memory`). Other C libraries:
/// nothing to do.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod allocator {
    /// Arenas at most: the machines this runs on have 1–4 cores, and the request threads
    /// mostly wait for the disk, not for the allocator's locks.
    const ARENAS: libc::c_int = 2;

    /// Blocks at least this large are mapped on their own and unmapped when freed.
    ///
    /// glibc starts at this value but raises it to the size of any mapped block that is
    /// freed (up to 32 MiB), so once sled freed its first 4 MiB buffers, later ones came
    /// from the heap and their pages stayed there: a restarted server idled at 24–30 MiB,
    /// with the threshold fixed at 18–20 (`BENCHMARKS.md`, sessions 29 and 30). Setting it
    /// turns the raising off. The bundle log keeps its batch buffers through a burst, so
    /// the intake path does not map and unmap one per batch.
    const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

    /// Free bytes at the top of a heap above which `free` gives them back at once.
    ///
    /// Fixing the mmap threshold also freezes this one at glibc's 128 KiB, and under a
    /// flood the heaps then shrank and grew again ~10 times a second (`strace`: 42 `brk`,
    /// 16 `mprotect` in 4 s, against 1 with glibc's own rule), each regrowth faulting its
    /// pages in anew. 8 MiB is what glibc's own rule set after a 4 MiB buffer was freed;
    /// `trim` returns the rest once a burst is over.
    const TRIM_THRESHOLD: libc::c_int = 8 * 1024 * 1024;

    /// Called once, first thing in `main`, before any other thread exists.
    pub fn tune() {
        // SAFETY: mallopt only sets allocator parameters; called before any thread is
        // started, so no allocation races with the change.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, ARENAS);
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        }
    }

    /// Returns free pages of every arena to the system.
    pub fn trim() {
        // SAFETY: malloc_trim takes the arenas' own locks and touches only free memory.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod allocator {
    pub fn tune() {}
    pub fn trim() {}
}
