//! Serves the desk over the test double in `tests/desk_double/` (generated tips, held in
//! memory), for the browser test `tests/browser/desk-ui.test.mjs` and for looking at the UI.
//! Not part of the `tipseal` binary: the real desk is `tipseal desk` (wave 2).
//!
//! Usage: `cargo run --example desk_demo -- [TIPS]` (default 10000). Prints
//! `desk listening on URL` on standard output, then one line per change the backend receives.

use std::sync::Arc;

#[path = "../tests/desk_double/mod.rs"]
mod desk_double;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let n = std::env::args()
        .nth(1)
        .map(|s| s.parse::<usize>().expect("TIPS is a number"))
        .unwrap_or(10_000)
        .max(3);
    let backend = desk_double::FixedDesk::new(n, Box::new(|line| println!("{line}")));
    let desk = match tipseal::desk::serve(Arc::new(backend), None) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("desk_demo: {e}");
            std::process::exit(1);
        }
    };
    println!("desk listening on {}", desk.url);
    desk.server.await
}
