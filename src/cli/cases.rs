//! `tipseal review cases | case … | export` and `tipseal verify-export`: arguments,
//! the plaintext warning and printing over `reviewer::cases` and `reviewer::export`.
//! Nothing here decides anything the desk would also need.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::client::trust::Use;
use crate::domain::triage::{CaseId, CaseName};
use crate::domain::TipId;
use crate::reviewer::cases::{Case, CaseStatus, Selection};
use crate::reviewer::export::{self, Format};
use crate::reviewer::triage::Outcome;
use crate::reviewer::workspace::Workspace;

use super::casework::{self, Filters, StoreArg};
use super::review::Conn;
use super::CliError;

/// Where, as whom, and how to print: every `review case` subcommand takes these.
#[derive(clap::Args, Debug)]
pub struct CaseConn {
    #[command(flatten)]
    conn: Conn,
    #[command(flatten)]
    store: StoreArg,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `review case` subcommands.
#[derive(clap::Subcommand, Debug)]
#[command(after_help = super::review::AFTER_HELP)]
pub enum CaseCommand {
    /// Confirm a suggested case (all its tips), optionally naming it.
    Confirm {
        /// The case id (case-…), from `tipseal review cases`.
        id: String,
        /// A name for it.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        at: CaseConn,
    },
    /// Name a case (a suggested case is confirmed with the name).
    Name {
        /// The case id.
        id: String,
        /// The name (1 to 80 characters).
        name: String,
        #[command(flatten)]
        at: CaseConn,
    },
    /// Take tips out of a case: what remains on each side (two tips or more) becomes a
    /// confirmed case of its own.
    Split {
        /// The case id.
        id: String,
        /// A tip to take out (repeat for more).
        #[arg(long = "tip", required = true)]
        tips: Vec<TipId>,
        #[command(flatten)]
        at: CaseConn,
    },
    /// Merge two cases or more into one confirmed case.
    Merge {
        /// The case ids.
        #[arg(required = true, num_args = 2..)]
        ids: Vec<String>,
        #[command(flatten)]
        at: CaseConn,
    },
}

/// `review export` options.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Export this case (suggested or confirmed); without it, the tips the filters select.
    #[arg(long)]
    pub case: Option<String>,
    /// json (tips.json, figures.json, case.json), csv (tips.csv) or markdown (a report per worksite).
    #[arg(long)]
    pub format: String,
    /// The folder to write (must not exist, or be empty).
    #[arg(long)]
    pub out: PathBuf,
    /// Answer the plaintext warning: write without asking.
    #[arg(long)]
    pub yes: bool,
    /// Leave out what could identify a witness (their relation, their own words: the
    /// narrative, wages and housing as written): for reports that go to third parties.
    #[arg(long)]
    pub redact: bool,
    /// Print the manifest as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tipseal verify-export` options.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// The export folder.
    pub dir: PathBuf,
    /// Fetch the keyring from this server.
    #[arg(long, conflicts_with = "keyring")]
    pub server: Option<String>,
    /// Proxy for --server (e.g. socks5h://127.0.0.1:9050).
    #[arg(long, requires = "server")]
    pub proxy: Option<String>,
    /// A keyring file (the JSON `tipseal admin` writes or the server serves at
    /// /api/v1/keyring): verification offline.
    #[arg(long)]
    pub keyring: Option<PathBuf>,
    /// Print the verified manifest as JSON.
    #[arg(long)]
    pub json: bool,
}

fn case_id(s: &str) -> Result<CaseId, CliError> {
    CaseId::parse(s).map_err(|_| {
        CliError::Usage(format!(
            "{s:?} is not a case id (case- and 16 hex characters): run `tipseal review cases` to see them"
        ))
    })
}

fn workspace(
    conn: &Conn,
    store: &StoreArg,
    offline: bool,
    usage: Use,
) -> Result<Workspace, CliError> {
    let mut ws = if offline {
        casework::open_offline(conn, store)?
    } else {
        casework::open_or_offline(conn, store, usage)?
    };
    if ws.is_online() {
        let report = casework::run_sync(&mut ws, true)?;
        for why in &report.outbox_refused {
            eprintln!("Not applied (made offline): {why}");
        }
    }
    Ok(ws)
}

/// `review cases`.
pub fn list(conn: &Conn, store: &StoreArg, offline: bool, json: bool) -> Result<(), CliError> {
    let ws = workspace(conn, store, offline, Use::Read)?;
    let cases = ws.cases()?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&cases).expect("cases serialize")
        );
        return Ok(());
    }
    if cases.is_empty() {
        println!("No cases: no two tips are linked as one worksite yet.");
    }
    for c in &cases {
        print_case(c);
    }
    Ok(())
}

fn print_case(c: &Case) {
    let status = match c.status {
        CaseStatus::Suggested => "suggested".to_owned(),
        CaseStatus::Confirmed => {
            format!("confirmed by {}", c.confirmed_by.as_deref().unwrap_or("?"))
        }
    };
    println!(
        "{}  {}  [{status}]",
        c.id,
        c.name.as_deref().unwrap_or(&c.title)
    );
    println!(
        "  {} tips in {}; received {} to {}",
        c.tips.len(),
        c.languages.join(", "),
        c.received.0,
        c.received.1
    );
    if let Some((a, b)) = &c.observed {
        println!("  observed {a} to {b}");
    }
    for r in &c.reasons {
        println!("  why: {r}");
    }
    for f in &c.facts {
        println!("  fact: {} [{}]", f.summary, f.verdict);
    }
    for m in &c.minders {
        println!(
            "  minder: {} ({} tips)",
            m.written.join(" / "),
            m.tips.len()
        );
        for a in &m.also_at {
            println!("    also at: {a}");
        }
    }
    for i in &c.independence {
        println!("  independence: {i}");
    }
    println!();
}

/// `review case …`.
pub fn case(cmd: CaseCommand) -> Result<(), CliError> {
    let at = match &cmd {
        CaseCommand::Confirm { at, .. }
        | CaseCommand::Name { at, .. }
        | CaseCommand::Split { at, .. }
        | CaseCommand::Merge { at, .. } => at,
    };
    let json = at.json;
    let mut ws = workspace(&at.conn, &at.store, false, Use::Seal)?;
    if !ws.is_online() {
        return Err(CliError::Usage(
            "case decisions go into the team log on the server, which cannot be reached: run the command again when online".into(),
        ));
    }
    let name = |s: &str| {
        CaseName::parse(s).map_err(|e| CliError::Usage(format!("the case name is refused: {e}")))
    };
    let outcome = match cmd {
        CaseCommand::Confirm { id, name: n, .. } => {
            let n = n.as_deref().map(name).transpose()?;
            ws.confirm_case(&case_id(&id)?, n)?
        }
        CaseCommand::Name { id, name: n, .. } => ws.name_case(&case_id(&id)?, name(&n)?)?,
        CaseCommand::Split { id, tips, .. } => ws.split_case(&case_id(&id)?, &tips)?,
        CaseCommand::Merge { ids, .. } => {
            let ids = ids
                .iter()
                .map(|s| case_id(s))
                .collect::<Result<Vec<_>, _>>()?;
            ws.merge_cases(&ids)?
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string(&outcome).expect("outcome serializes")
        );
    }
    match outcome {
        Outcome::Applied { seq, .. } => {
            if !json {
                println!("Recorded in the team log (event {seq}), signed with your key and sealed to the team.");
            }
            Ok(())
        }
        Outcome::Refused { reason } => Err(CliError::Usage(reason)),
        Outcome::Queued { .. } => Err(CliError::Usage(
            "not recorded: the server could not be reached; run it again when online".into(),
        )),
    }
}

/// `review export`.
pub fn export(
    conn: &Conn,
    store: &StoreArg,
    filters: &Filters,
    a: &ExportArgs,
) -> Result<(), CliError> {
    let format = match a.format.as_str() {
        "json" => Format::Json,
        "csv" => Format::Csv,
        "markdown" | "md" => Format::Markdown,
        other => {
            return Err(CliError::Usage(format!(
                "--format takes json, csv or markdown, not {other:?}"
            )))
        }
    };
    let ws = workspace(conn, store, filters.offline, Use::Read)?;
    let selection = selection(&ws, a.case.as_deref(), filters)?;
    let plan = ws
        .plan_export(&selection, format, a.redact)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    eprintln!(
        "This writes {} tip{} in PLAINTEXT to {} on this machine ({}). Anyone who can read that folder — or this disk later — can read them.",
        plan.tips,
        if plan.tips == 1 { "" } else { "s" },
        a.out.display(),
        if a.redact { "redacted: no relation, no witness's own words" } else { "not redacted: relations and the witnesses' own words included" }
    );
    if !plan.flags.is_empty() {
        eprintln!(
            "Re-identification check: {} rare combination{} (also recorded in the manifest):",
            plan.flags.len(),
            if plan.flags.len() == 1 { "" } else { "s" }
        );
        for f in &plan.flags {
            eprintln!("  - {}", f.reason);
        }
        if !a.redact {
            eprintln!("  For a report that leaves the team, export again with --redact.");
        }
    }
    if !a.yes && !confirm()? {
        return Err(CliError::Usage(
            "nothing written: answer yes, or add --yes".into(),
        ));
    }
    let manifest = ws
        .write_export(&a.out, &plan)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&manifest).expect("manifest serializes")
        );
    } else {
        println!(
            "Wrote {} file(s), manifest.json and manifest.sig to {}.",
            manifest.files.len(),
            a.out.display()
        );
        println!(
            "Check it anywhere with: tipseal verify-export {} {}",
            super::output::shell_word(&a.out.display().to_string()),
            format_args!("--server {}", super::output::shell_word(&conn.server))
        );
    }
    Ok(())
}

/// The case asked for, or the tips the filters select (with the filters as the manifest
/// records them).
fn selection(ws: &Workspace, case: Option<&str>, filters: &Filters) -> Result<Selection, CliError> {
    Ok(match case {
        Some(id) => Selection::Case(case_id(id)?),
        None => {
            let f = casework::filter(ws, filters)?;
            let ids: Vec<TipId> = ws
                .list(&f, filters.search.as_deref())
                .iter()
                .map(|r| r.id)
                .collect();
            Selection::Tips(ids, filters_json(filters))
        }
    })
}

/// `review figures`.
pub fn figures(
    conn: &Conn,
    store: &StoreArg,
    filters: &Filters,
    case: Option<&str>,
    json: bool,
) -> Result<(), CliError> {
    let ws = workspace(conn, store, filters.offline, Use::Read)?;
    let f = match selection(&ws, case, filters)? {
        Selection::Case(id) => ws.figures(Some(&id), None)?,
        Selection::Tips(ids, _) => ws.figures(None, Some(&ids))?,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&f).expect("figures serialize")
        );
    } else {
        print!("{}", crate::reviewer::figures::markdown(&f));
    }
    Ok(())
}

fn confirm() -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage("nothing written: this asks before writing plaintext; add --yes to answer it from a script".into()));
    }
    eprint!("Write it? Type yes: ");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::File(PathBuf::from("stdin"), e))?;
    Ok(line.trim().eq_ignore_ascii_case("yes"))
}

fn filters_json(f: &Filters) -> serde_json::Value {
    json!({
        "status": f.status, "label": f.label, "assignee": f.assignee, "starred": f.starred,
        "sector": f.sector, "country": f.country, "city": f.city, "since": f.since, "until": f.until,
        "attachments": f.attachments, "unread": f.unread, "reminder_due": f.reminder_due, "search": f.search,
    })
}

/// `tipseal verify-export`.
pub fn verify(a: &VerifyArgs) -> Result<(), CliError> {
    let keyring = match (&a.server, &a.keyring) {
        (Some(server), None) => {
            crate::client::Client::new(server, a.proxy.as_deref())?.keyring()?
        }
        (None, Some(file)) => read_keyring(file)?,
        _ => {
            return Err(CliError::Usage(
                "give the keyring to check against: --server URL or --keyring FILE".into(),
            ))
        }
    };
    let m = export::verify_dir(&a.dir, &keyring)
        .map_err(|e| CliError::Usage(format!("NOT verified: {e}")))?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&m).expect("manifest serializes")
        );
    } else {
        println!(
            "Verified: {} file(s) match the manifest signed by {} ({}), a reviewer at keyring epoch {}, on {}.",
            m.files.len(),
            m.signer_name,
            m.signer,
            m.keyring_epoch.get(),
            m.created_day
        );
        if !m.reidentification.is_empty() {
            println!("The exporter was warned of {} rare combination(s) that could point at a witness (see manifest.json).", m.reidentification.len());
        }
    }
    Ok(())
}

fn read_keyring(file: &Path) -> Result<crate::crypto::keyring::VerifiedKeyring, CliError> {
    let bytes = std::fs::read(file).map_err(|e| CliError::File(file.to_path_buf(), e))?;
    let k = crate::domain::keyring::KeyringFile::from_json(&bytes)?;
    Ok(crate::crypto::keyring::verify_chain(&k, None)?)
}
