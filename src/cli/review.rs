//! `tipseal review …`: the reviewer's command line. Logs in, fetches sealed tips, and
//! opens them on this machine with the reviewer's grants from the keyring. The work is
//! `reviewer`'s; this module holds the arguments, unlocks the key and prints.
//!
//! The newest keyring a reviewer's client has accepted is remembered beside the key file
//! (`KEY.keyring-pin`: epoch and manifest hash, see `client::trust`): a server that later serves a
//! different chain, or the genuine one cut back to an older epoch — which could trick
//! `rewrap` or `reply` into sealing to a key a revoked reviewer or the server's operator
//! holds — is refused, and so is an expired keyring for anything that seals.

use std::path::PathBuf;

use crate::client::trust::{Memory, Use};
use crate::domain::tip::LongText;
use crate::domain::TipId;
use crate::reviewer::open::{open_bundle, open_thread};
use crate::reviewer::reply;
use crate::reviewer::rewrap::rewrap_all;
use crate::reviewer::session::{self, ReviewerSession, Target};

use super::{cases, casework, output, save, submit, CliError};

/// What `tipseal review --help` (and each subcommand's) says after the options.
pub const AFTER_HELP: &str = "\
Keyring pin: the first command run with a key writes KEY.keyring-pin beside the key \
file. It remembers the newest keyring (epoch and hash) this key has accepted from the \
server; later commands refuse a server that offers an older or a different keyring, \
which could otherwise have you seal replies or re-wraps to a revoked reviewer's key. \
It holds nothing secret. Delete it only if the team tells you, through another \
channel, that they started a new keyring.

Passphrase: asked on the terminal, or read from the TIPSEAL_PASSPHRASE environment \
variable (for scripts; anyone who can read this process's environment can read it).";

/// `tipseal review` subcommands.
#[derive(clap::Subcommand, Debug)]
#[command(after_help = AFTER_HELP)]
pub enum Command {
    /// List tips with their triage (status, labels, assignee, star …), filtered and
    /// searched on this machine. Syncs first (new tips are fetched and opened here, into
    /// the local encrypted store); with --offline, lists what the store holds.
    #[command(after_help = AFTER_HELP)]
    List {
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        store: casework::StoreArg,
        #[command(flatten)]
        filters: casework::Filters,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Bring the local encrypted store up to date: new tips, new conversation entries,
    /// the team's triage events; then send changes made offline. Safe to interrupt and
    /// run again.
    #[command(after_help = AFTER_HELP)]
    Sync {
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        store: casework::StoreArg,
        /// Print a JSON summary.
        #[arg(long)]
        json: bool,
    },
    /// Change a tip's triage: status, labels, assignee, note, star, reminder, grade. The
    /// change is signed with your key and sealed to the team; the server cannot read it.
    #[command(after_help = AFTER_HELP)]
    Triage {
        /// The tip's id.
        id: TipId,
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        store: casework::StoreArg,
        #[command(flatten)]
        changes: casework::TriageArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Who changed what of a tip's triage, and when, each event's signature verified.
    #[command(after_help = AFTER_HELP)]
    History {
        /// The tip's id.
        id: TipId,
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        store: casework::StoreArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a tip's content from the server, recording who decided it and why in its
    /// sealed triage log (which stays).
    #[command(after_help = AFTER_HELP)]
    Delete {
        /// The tip's id.
        id: TipId,
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        store: casework::StoreArg,
        /// Why (kept, sealed, in the tip's triage log).
        #[arg(long)]
        reason: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Retention: list the tips the team closed or dismissed at least --closed-days ago
    /// (the policy's `closed_tip_days`, which only reviewers can apply: the server cannot
    /// see status); with --yes, delete each, recording the decision in its triage log.
    #[command(after_help = AFTER_HELP)]
    Retention {
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        store: casework::StoreArg,
        /// Days since the tip was closed or dismissed (0: whenever it was).
        #[arg(long, default_value_t = crate::domain::retention::RetentionPolicy::default().closed_tip_days)]
        closed_days: u32,
        /// Delete them (without it, only list them).
        #[arg(long)]
        yes: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Open one tip on this machine and print it.
    #[command(after_help = AFTER_HELP)]
    Show {
        /// The tip's id.
        id: TipId,
        #[command(flatten)]
        conn: Conn,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Save the attachments into this directory.
        #[arg(long)]
        save_attachments: Option<PathBuf>,
    },
    /// Reply to the witness of a tip (only if they left a receipt). The reply is signed
    /// with your key and sealed to the witness's reply key, and a copy to the team.
    #[command(after_help = AFTER_HELP)]
    Reply {
        /// The tip's id.
        id: TipId,
        #[command(flatten)]
        conn: Conn,
        /// The message.
        #[arg(long)]
        message: Option<String>,
        /// A file to send (repeat for more, at most 15).
        #[arg(long)]
        attach: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Suggested and confirmed cases: groups of tips about one worksite, employer or
    /// minder, with the reasons they are linked, the facts they agree and disagree on,
    /// and the independence check. Syncs first (unless --offline). See docs/cases.md.
    #[command(after_help = AFTER_HELP)]
    Cases {
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        store: casework::StoreArg,
        /// Work from the local store without contacting the server.
        #[arg(long)]
        offline: bool,
        /// Print JSON: an array of cases, each with id, status (suggested/confirmed),
        /// tips, reasons, facts, minders, independence.
        #[arg(long)]
        json: bool,
    },
    /// Confirm, name, split or merge cases: signed, sealed events in the team log.
    #[command(after_help = AFTER_HELP)]
    #[command(subcommand)]
    Case(cases::CaseCommand),
    /// Write a case, or the tips the filters select, as PLAINTEXT files (json, csv or a
    /// markdown report per worksite) with a manifest signed by your key; warns and asks
    /// first (--yes answers), runs the re-identification check, and --redact leaves out
    /// what could identify a witness. Check the folder with `tipseal verify-export`.
    #[command(after_help = AFTER_HELP)]
    Export {
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        store: casework::StoreArg,
        #[command(flatten)]
        filters: casework::Filters,
        #[command(flatten)]
        args: cases::ExportArgs,
    },
    /// Re-seal the content keys of tips and of their conversations (follow-ups, the
    /// team's copies of replies) from older epochs to the current epoch, so that current
    /// reviewers (including ones added later) can read them.
    #[command(after_help = AFTER_HELP)]
    Rewrap {
        #[command(flatten)]
        conn: Conn,
    },
}

/// Where and as whom.
#[derive(clap::Args, Debug)]
pub struct Conn {
    /// The server.
    #[arg(long)]
    pub(super) server: String,
    /// The reviewer's secret key file (its passphrase is asked, or read from
    /// TIPSEAL_PASSPHRASE). KEY.keyring-pin is kept beside it (see `tipseal review
    /// --help`).
    #[arg(long)]
    pub(super) key: PathBuf,
    /// Proxy, e.g. socks5h://127.0.0.1:9050 to go through Tor (the proxy resolves the
    /// server's name, .onion included; socks5:// does the same here).
    #[arg(long)]
    pub(super) proxy: Option<String>,
}

impl Conn {
    /// `--server … --key … [--proxy …]` as given, ready to paste into a printed hint.
    pub fn hint_args(&self) -> String {
        let mut s = format!(
            "--server {} --key {}",
            output::shell_word(&self.server),
            output::shell_word(&self.key.display().to_string())
        );
        if let Some(p) = &self.proxy {
            s.push_str(&format!(" --proxy {}", output::shell_word(p)));
        }
        s
    }
}

/// Runs a `tipseal review` subcommand.
pub fn run(c: Command) -> Result<(), CliError> {
    match c {
        Command::List {
            conn,
            store,
            filters,
            json,
        } => casework::list(&conn, &store, &filters, json),
        Command::Sync { conn, store, json } => casework::sync(&conn, &store, json),
        Command::Triage {
            id,
            conn,
            store,
            changes,
            json,
        } => casework::triage(&conn, &store, id, &changes, json),
        Command::History {
            id,
            conn,
            store,
            json,
        } => casework::history(&conn, &store, id, json),
        Command::Delete {
            id,
            conn,
            store,
            reason,
            json,
        } => casework::delete(&conn, &store, id, &reason, json),
        Command::Retention {
            conn,
            store,
            closed_days,
            yes,
            json,
        } => casework::retention(&conn, &store, closed_days, yes, json),
        Command::Show {
            id,
            conn,
            json,
            save_attachments,
        } => {
            let r = connect(&conn, Use::Read)?;
            let bytes = r.client.fetch(&r.session, id)?;
            let tip = open_bundle(&r.keyring, &r.me, id, &bytes)?;
            let conversation = open_thread(&r.client, &r.session, &r.keyring, &r.me, id)?;
            let (saved, conversation_saved) = match &save_attachments {
                Some(dir) => (
                    save::tip_files(dir, &tip)?,
                    save::entry_files(&dir.join("conversation"), &conversation)?,
                ),
                None => (Vec::new(), Vec::new()),
            };
            let reply_command = format!(
                "tipseal review reply {id} {} --message TEXT",
                conn.hint_args()
            );
            output::tip(
                &tip,
                &saved,
                &conversation,
                &conversation_saved,
                &reply_command,
                json,
            )
        }
        Command::Reply {
            id,
            conn,
            message,
            attach,
            json,
        } => {
            let r = connect(&conn, Use::Seal)?;
            let bytes = r.client.fetch(&r.session, id)?;
            let tip = open_bundle(&r.keyring, &r.me, id, &bytes)?;
            let to = reply::reply_address(&tip)?;
            let files = super::read_files(&attach)?;
            let message = LongText::parse(message.unwrap_or_default()).map_err(CliError::Usage)?;
            let bundle = reply::seal_reply(
                &r.me,
                &r.keyring,
                &to,
                message,
                &submit::attachments_of(&files),
            )?;
            let seq = r.client.post_reply(&r.session, id, &bundle)?;
            if json {
                println!("{}", serde_json::json!({ "id": id, "reply": seq }));
            } else {
                println!("Reply #{seq} sent. Only the witness (with their receipt) and the team can read it.");
            }
            Ok(())
        }
        Command::Cases {
            conn,
            store,
            offline,
            json,
        } => cases::list(&conn, &store, offline, json),
        Command::Case(cmd) => cases::case(cmd),
        Command::Export {
            conn,
            store,
            filters,
            args,
        } => cases::export(&conn, &store, &filters, &args),
        Command::Rewrap { conn } => {
            let r = connect(&conn, Use::Seal)?;
            let report = rewrap_all(&r.client, &r.session, &r.keyring, &r.me)?;
            output::rewrap(&report, &conn.hint_args())
        }
    }
}

/// Unlocks the key (it may ask for the passphrase), then connects as that reviewer
/// (`reviewer::session`): the keyring checked against the one remembered beside the key
/// (no rollback, no fork) and its expiry (refused when `usage` seals), logged in.
pub(super) fn connect(conn: &Conn, usage: Use) -> Result<ReviewerSession, CliError> {
    let me = super::keys::unlock(&conn.key)?;
    let memory = Memory::for_reviewer(&conn.key);
    let target = Target {
        server: &conn.server,
        proxy: conn.proxy.as_deref(),
        memory: &memory,
        usage,
    };
    let mut notes = Vec::new();
    let connected = session::connect(target, me, &mut notes);
    output::notes(&notes);
    Ok(connected?)
}
