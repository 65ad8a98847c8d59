//! `tipseal review sync | list | triage | history | delete`: the casework commands, as
//! arguments and printing over `reviewer::workspace`. Nothing here decides anything the
//! desk would also need.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use crate::client::trust::Use;
use crate::domain::triage::{Change, Label, NoteText, Status};
use crate::domain::{Day, TipId};
use crate::reviewer::listing::Row;
use crate::reviewer::search::{Assignee, Filter};
use crate::reviewer::sync::{Progress, SyncReport};
use crate::reviewer::triage::{self, ChangeRequest, HistoryRow, Outcome};
use crate::reviewer::workspace::{default_store_path, Workspace, WorkspaceError};

use super::review::{connect, Conn};
use super::CliError;

impl From<WorkspaceError> for CliError {
    fn from(e: WorkspaceError) -> Self {
        match e {
            WorkspaceError::Reviewer(e) => e.into(),
            other => CliError::Usage(other.to_string()),
        }
    }
}

/// Where the local store is.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct StoreArg {
    /// The local encrypted store (default: KEY.store beside the key file). A cache:
    /// delete it and `tipseal review sync` rebuilds it.
    #[arg(long)]
    pub store: Option<PathBuf>,
}

/// `review list` filters.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Filters {
    /// Only this status (new, in_review, needs_information, corroborated, referred,
    /// closed, dismissed).
    #[arg(long)]
    pub status: Option<String>,
    /// Only tips with this label.
    #[arg(long)]
    pub label: Option<String>,
    /// Only tips assigned to this reviewer (a name on the keyring; "" for nobody).
    #[arg(long)]
    pub assignee: Option<String>,
    /// Only starred tips.
    #[arg(long)]
    pub starred: bool,
    /// Only this sector (e.g. construction).
    #[arg(long)]
    pub sector: Option<String>,
    /// Only this country (ISO code, e.g. KR).
    #[arg(long)]
    pub country: Option<String>,
    /// Only this city.
    #[arg(long)]
    pub city: Option<String>,
    /// Only tips received on or after this day (YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<String>,
    /// Only tips received on or before this day (YYYY-MM-DD).
    #[arg(long)]
    pub until: Option<String>,
    /// Only tips with attachments.
    #[arg(long)]
    pub attachments: bool,
    /// Only tips not opened yet on this machine.
    #[arg(long)]
    pub unread: bool,
    /// Only tips whose reminder is due today or earlier.
    #[arg(long)]
    pub reminder_due: bool,
    /// Only tips containing all these words (any of the seven languages).
    #[arg(long)]
    pub search: Option<String>,
    /// List what the local store holds without contacting the server.
    #[arg(long)]
    pub offline: bool,
}

/// `review triage` changes.
#[derive(clap::Args, Debug, Clone)]
pub struct TriageArgs {
    /// The new status.
    #[arg(long)]
    pub status: Option<String>,
    /// Add a label (repeat for more); a label new to the team is added to its vocabulary.
    #[arg(long)]
    pub label: Vec<String>,
    /// Remove a label (repeat for more).
    #[arg(long)]
    pub unlabel: Vec<String>,
    /// Assign to a reviewer: their name on the keyring ("" for nobody).
    #[arg(long)]
    pub assign: Option<String>,
    /// Add a note.
    #[arg(long)]
    pub note: Option<String>,
    /// Star the tip.
    #[arg(long, conflicts_with = "unstar")]
    pub star: bool,
    /// Unstar the tip.
    #[arg(long)]
    pub unstar: bool,
    /// Set a reminder day (YYYY-MM-DD; "" clears it).
    #[arg(long)]
    pub remind: Option<String>,
    /// Grade: source reliability A–F and information credibility 1–6, e.g. A2 ("" clears).
    #[arg(long)]
    pub grade: Option<String>,
}

/// The workspace of `conn`'s key, online, for a face that seals (the desk).
pub(super) fn open_workspace(conn: &Conn, store: &StoreArg) -> Result<Workspace, CliError> {
    open(conn, store, Use::Seal)
}

pub(super) fn open(conn: &Conn, store: &StoreArg, usage: Use) -> Result<Workspace, CliError> {
    let r = connect(conn, usage)?;
    let path = store
        .store
        .clone()
        .unwrap_or_else(|| default_store_path(&conn.key));
    Ok(Workspace::open(r, &path)?)
}

pub(super) fn open_offline(conn: &Conn, store: &StoreArg) -> Result<Workspace, CliError> {
    let me = super::keys::unlock(&conn.key)?;
    let path = store
        .store
        .clone()
        .unwrap_or_else(|| default_store_path(&conn.key));
    Ok(Workspace::open_offline(me, &path)?)
}

/// Opens the workspace online, or — when the server cannot be reached — offline with a
/// notice on stderr.
pub(super) fn open_or_offline(
    conn: &Conn,
    store: &StoreArg,
    usage: Use,
) -> Result<Workspace, CliError> {
    match open(conn, store, usage) {
        Err(CliError::Client(crate::client::Error::Network(why))) => {
            eprintln!("The server cannot be reached ({why}): working from the local store.");
            open_offline(conn, store)
        }
        other => other,
    }
}

/// `review sync`.
pub fn sync(conn: &Conn, store: &StoreArg, json: bool) -> Result<(), CliError> {
    let mut ws = open(conn, store, Use::Seal)?;
    let report = run_sync(&mut ws, json)?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("report serializes")
        );
    } else {
        print_report(&report);
    }
    Ok(())
}

/// Syncs with a progress bar on a terminal, plain lines on stderr otherwise.
pub(super) fn run_sync(ws: &mut Workspace, quiet: bool) -> Result<SyncReport, CliError> {
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {eta}")
                .expect("a fixed template")
                .progress_chars("=> "),
        );
        b
    });
    let mut on = |p: Progress| match (&bar, p) {
        (Some(b), Progress::Tips { done, total }) => {
            b.set_message("tips");
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
        (Some(b), Progress::Conversations { done, total }) => {
            b.set_message("conversations");
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
        (Some(_), _) => {}
        (None, Progress::Tips { done, total }) => eprintln!("sync: tips {done}/{total} stored"),
        (None, Progress::Conversations { done, total }) => {
            eprintln!("sync: conversations {done}/{total} stored")
        }
        (None, Progress::Listed { new, grown }) => {
            eprintln!("sync: {new} new tips, {grown} conversations with new entries")
        }
        (None, Progress::Events { stored }) => eprintln!("sync: {stored} triage events stored"),
    };
    let report = ws.sync(&mut on);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(report?)
}

fn print_report(r: &SyncReport) {
    println!(
        "Synced: {} new tips, {} new conversation entries, {} triage events ({} refused); \
         {} tips in the store.",
        r.tips_new, r.entries_new, r.events_new, r.events_refused, r.tips_on_server
    );
    if r.outbox_sent > 0 {
        println!("Sent {} changes made offline.", r.outbox_sent);
    }
    for why in &r.outbox_refused {
        println!("Not applied (made offline): {why}");
    }
}

/// `review list`: syncs first (unless `--offline`), then lists from the local store.
pub fn list(conn: &Conn, store: &StoreArg, f: &Filters, json: bool) -> Result<(), CliError> {
    let mut ws = if f.offline {
        open_offline(conn, store)?
    } else {
        open_or_offline(conn, store, Use::Read)?
    };
    if ws.is_online() {
        let report = run_sync(&mut ws, true)?;
        for why in &report.outbox_refused {
            eprintln!("Not applied (made offline): {why}");
        }
    }
    let filter = filter(&ws, f)?;
    let rows = ws.list(&filter, f.search.as_deref());
    print_rows(&rows, json);
    Ok(())
}

pub(super) fn filter(ws: &Workspace, f: &Filters) -> Result<Filter, CliError> {
    let day = |s: &Option<String>, flag: &str| -> Result<Option<Day>, CliError> {
        s.as_ref()
            .map(|d| {
                Day::parse(d).map_err(|_| {
                    CliError::Usage(format!("--{flag} takes a day as YYYY-MM-DD, not {d:?}"))
                })
            })
            .transpose()
    };
    let assignee = match f.assignee.as_deref() {
        None => None,
        Some("") => Some(Assignee::Nobody),
        Some(name) => Some(Assignee::Person(
            ws.reviewer_named(name)
                .map_err(CliError::Usage)?
                .to_string(),
        )),
    };
    let label = f
        .label
        .as_deref()
        .map(|l| {
            Label::parse(l)
                .map(|l| l.key())
                .map_err(|e| CliError::Usage(format!("the label {l:?} is refused: {e}")))
        })
        .transpose()?;
    Ok(Filter {
        status: f
            .status
            .as_deref()
            .map(|s| parse_status(s).map(|s| s.as_str().to_owned()))
            .transpose()?,
        label,
        assignee,
        starred: f.starred.then_some(true),
        sector: f.sector.clone(),
        country: f.country.clone(),
        city: f.city.clone(),
        received_from: day(&f.since, "since")?,
        received_to: day(&f.until, "until")?,
        has_attachments: f.attachments.then_some(true),
        unread: f.unread.then_some(true),
        reminder_due: f.reminder_due.then(Day::today),
    })
}

fn print_rows(rows: &[Row], json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(rows).expect("rows serialize")
        );
        return;
    }
    if rows.is_empty() {
        println!("No tips.");
        return;
    }
    println!(
        "{:<32}  {:<10}  {:<17}  {:<1}  {:<12}  {:<20}  title",
        "id", "received", "status", "*", "assignee", "labels"
    );
    for r in rows {
        println!(
            "{:<32}  {:<10}  {:<17}  {:<1}  {:<12}  {:<20}  {}{}",
            r.id,
            r.received,
            r.status,
            if r.star { "*" } else { "" },
            r.assignee.as_deref().unwrap_or("-"),
            r.labels.join(","),
            if r.unread { "• " } else { "" },
            r.title
        );
    }
}

fn parse_status(s: &str) -> Result<Status, CliError> {
    triage::parse_status(s).map_err(CliError::Usage)
}

/// `review triage ID …`.
pub fn triage(
    conn: &Conn,
    store: &StoreArg,
    id: TipId,
    a: &TriageArgs,
    json: bool,
) -> Result<(), CliError> {
    let mut ws = open_or_offline(conn, store, Use::Seal)?;
    let changes = changes(&ws, a)?;
    let outcome = ws.triage(id, changes)?;
    print_outcome(id, &outcome, json)
}

fn changes(ws: &Workspace, a: &TriageArgs) -> Result<Vec<Change>, CliError> {
    let request = ChangeRequest {
        status: a.status.clone(),
        add_labels: a.label.clone(),
        remove_labels: a.unlabel.clone(),
        assign: a.assign.clone(),
        note: a.note.clone(),
        star: (a.star || a.unstar).then_some(a.star),
        remind: a.remind.clone(),
        grade: a.grade.clone(),
    };
    ws.changes(&request).map_err(CliError::Usage)
}

fn print_outcome(id: TipId, o: &Outcome, json: bool) -> Result<(), CliError> {
    if json {
        let mut v = serde_json::to_value(o).expect("outcome serializes");
        v["id"] = serde_json::Value::String(id.to_string());
        println!("{v}");
    }
    match o {
        Outcome::Applied { seq, notices } => {
            for n in notices {
                eprintln!("Notice: {n}");
            }
            if !json {
                println!(
                    "Tip {id}: change recorded (event #{seq}), signed and sealed to the team."
                );
            }
            Ok(())
        }
        Outcome::Queued { notices } => {
            for n in notices {
                eprintln!("Notice: {n}");
            }
            if !json {
                println!("Tip {id}: the server cannot be reached; queued; run `tipseal review sync` when online.");
            }
            Ok(())
        }
        Outcome::Refused { reason } => Err(CliError::Usage(format!("tip {id}: {reason}"))),
    }
}

/// `review history ID`.
pub fn history(conn: &Conn, store: &StoreArg, id: TipId, json: bool) -> Result<(), CliError> {
    let mut ws = open_or_offline(conn, store, Use::Read)?;
    if ws.is_online() {
        run_sync(&mut ws, true)?;
    }
    let rows = ws.history(id)?;
    print_history(&rows, json);
    Ok(())
}

fn print_history(rows: &[HistoryRow], json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(rows).expect("rows serialize")
        );
        return;
    }
    if rows.is_empty() {
        println!("Nobody has triaged this tip yet.");
        return;
    }
    for r in rows {
        let when = triage::utc_minute(r.at);
        let mark = if r.verified { "verified" } else { "REFUSED" };
        println!(
            "#{:<3} {when}  {:<16} {mark}: {}",
            r.seq,
            r.who,
            r.what.join("; ")
        );
        if let Some(why) = &r.refusal {
            println!("      not applied: {why}");
        }
    }
}

/// `review delete ID --reason TEXT`: a DeleteTip event, then the server's delete.
pub fn delete(
    conn: &Conn,
    store: &StoreArg,
    id: TipId,
    reason: &str,
    json: bool,
) -> Result<(), CliError> {
    let mut ws = open(conn, store, Use::Seal)?;
    let reason = NoteText::parse(reason).map_err(|e| CliError::Usage(format!("--reason: {e}")))?;
    let outcome = ws.delete_tip(id, reason)?;
    print_outcome(id, &outcome, json)
}

/// `review retention --closed-days N [--yes]`: syncs, then lists the tips the team closed
/// or dismissed at least N days ago; with `--yes`, deletes each through the recorded
/// `DeleteTip` path (the reason names the policy). Without `--yes` nothing is deleted.
pub fn retention(
    conn: &Conn,
    store: &StoreArg,
    closed_days: u32,
    yes: bool,
    json: bool,
) -> Result<(), CliError> {
    let mut ws = open(conn, store, Use::Seal)?;
    run_sync(&mut ws, true)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let due = ws.closed_for_days(closed_days, now);
    let mut deleted = Vec::new();
    if yes {
        let reason = NoteText::parse(&format!(
            "retention policy: closed or dismissed at least {closed_days} days ago"
        ))
        .map_err(|e| CliError::Usage(format!("retention reason: {e}")))?;
        for id in &due {
            match ws.delete_tip(*id, reason.clone())? {
                Outcome::Applied { .. } => deleted.push(*id),
                other => print_outcome(*id, &other, json)?,
            }
        }
    }
    if json {
        let ids = |v: &[TipId]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>();
        println!(
            "{}",
            serde_json::json!({ "due": ids(&due), "deleted": ids(&deleted) })
        );
    } else if due.is_empty() {
        println!("No tip was closed or dismissed {closed_days} or more days ago.");
    } else if yes {
        println!(
            "Deleted {} tip(s) closed or dismissed {closed_days} or more days ago; their \
             triage logs stay. The server's database keeps the bytes until an admin runs \
             `tipseal admin compact`.",
            deleted.len()
        );
    } else {
        for id in &due {
            println!("{id}");
        }
        println!(
            "{} tip(s) were closed or dismissed {closed_days} or more days ago. Run again \
             with --yes to delete them (a recorded decision, for the whole team).",
            due.len()
        );
    }
    Ok(())
}
