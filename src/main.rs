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

    /// Called once, first thing in `main`, before any other thread exists.
    pub fn tune() {
        // SAFETY: mallopt only sets an allocator parameter; called before any thread is
        // started, so no allocation races with the change.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, ARENAS);
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
