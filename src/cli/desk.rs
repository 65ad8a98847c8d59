//! `tipseal desk`: unlocks the key, syncs, and serves the desk on 127.0.0.1 over the
//! reviewer's workspace, printing the one-time URL on standard output. Arguments and
//! printing only.

use std::net::SocketAddr;
use std::sync::Arc;

use super::casework::StoreArg;
use super::review::Conn;
use super::CliError;

/// `tipseal desk` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    conn: Conn,
    #[command(flatten)]
    store: StoreArg,
    /// Where to listen: 127.0.0.1 only (default: a random port).
    #[arg(long)]
    listen: Option<SocketAddr>,
}

/// Runs the desk until interrupted.
pub fn run(a: Args) -> Result<(), CliError> {
    let mut ws = super::casework::open_workspace(&a.conn, &a.store)?;
    let report = ws.sync(&mut |_| {}).map_err(CliError::from)?;
    eprintln!(
        "Synced: {} new tips, {} new conversation entries, {} triage events.",
        report.tips_new, report.entries_new, report.events_new
    );
    let backend = Arc::new(crate::desk::LiveDesk::new(ws));
    actix_web::rt::System::new().block_on(async move {
        let desk =
            crate::desk::serve(backend, a.listen).map_err(|e| CliError::Usage(e.to_string()))?;
        println!("{}", desk.url);
        eprintln!(
            "Open the URL above in your browser (once: it is then spent). Ctrl-C stops the desk."
        );
        desk.server
            .await
            .map_err(|e| CliError::Usage(format!("the desk stopped: {e}")))
    })
}
