//! `tipseal desk`: unlock the reviewer's key, sync the local store, and serve the desk on
//! 127.0.0.1 to this machine's browser. Arguments and printing only: the desk is
//! `crate::desk`, the data `crate::reviewer::workspace`.
//!
//! Standard output carries exactly one line, the one-time URL, so a script (or a test)
//! can read it; everything else goes to standard error.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::desk::LiveDesk;
use crate::reviewer::sync::Progress;
use crate::reviewer::workspace::{default_store_path, Workspace};

use super::casework::StoreArg;
use super::review::Conn;
use super::CliError;

/// Arguments of `tipseal desk`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    conn: Conn,
    #[command(flatten)]
    store: StoreArg,
    /// Where to listen: 127.0.0.1:PORT only (default: a random free port).
    #[arg(long)]
    listen: Option<SocketAddr>,
}

/// Runs `tipseal desk` until Ctrl-C (or SIGTERM).
pub fn run(a: Args) -> Result<(), CliError> {
    // Refused before the passphrase is asked: a wrong --listen is cheap to fix.
    if let Some(l) = a.listen {
        if l.ip() != std::net::Ipv4Addr::LOCALHOST {
            return Err(CliError::Usage(
                crate::desk::DeskError::NotLoopback(l).to_string(),
            ));
        }
    }
    let path = a
        .store
        .store
        .clone()
        .unwrap_or_else(|| default_store_path(&a.conn.key));
    let mut ws = match super::casework::open_workspace(&a.conn, &a.store) {
        Ok(ws) => ws,
        Err(CliError::Client(crate::client::Error::Network(why))) => {
            eprintln!(
                "The server cannot be reached ({why}): the desk shows the local store; \
                 changes are queued until a sync reaches the server."
            );
            let me = super::keys::unlock(&a.conn.key)?;
            Workspace::open_offline(me, &path)?
        }
        Err(e) => return Err(e),
    };
    if ws.is_online() {
        let report = ws.sync(&mut |p| match p {
            Progress::Listed { new, grown } => {
                eprintln!("sync: {new} new tips, {grown} conversations with new entries")
            }
            Progress::Tips { done, total } => eprintln!("sync: tips {done}/{total} stored"),
            Progress::Conversations { done, total } => {
                eprintln!("sync: conversations {done}/{total} stored")
            }
            Progress::Events { stored } => eprintln!("sync: {stored} triage events stored"),
        })?;
        eprintln!(
            "Synced: {} new tips, {} new conversation entries, {} triage events; {} tips in \
             the store.",
            report.tips_new,
            report.entries_new,
            report.events_new,
            ws.tip_count()
        );
        for why in &report.outbox_refused {
            eprintln!("Not applied (made offline): {why}");
        }
    }
    let backend = Arc::new(LiveDesk::new(ws));
    actix_web::rt::System::new().block_on(async move {
        let desk =
            crate::desk::serve(backend, a.listen).map_err(|e| CliError::Usage(e.to_string()))?;
        println!("{}", desk.url);
        // The one line a script waits for: out now, not when the buffer fills.
        let _ = std::io::stdout().flush();
        eprintln!(
            "The desk is open at the address above for this machine's browser only; the \
             address works once. Ctrl-C stops it."
        );
        // actix stops on SIGINT/SIGTERM, finishing the requests in flight.
        desk.server
            .await
            .map_err(|e| CliError::Usage(format!("the desk stopped: {e}")))?;
        eprintln!("The desk is stopped.");
        Ok(())
    })
}
