//! The Cases view and the figures on the real data: the reviewer library's cases
//! (`reviewer::cases`), decisions, exports and figures — the calls `tipseal review
//! cases|case|export|figures` make — mapped into the desk's wire types.
//!
//! Must never: decide anything about a case (which tips, what is legal, what an export
//! holds) — that is the workspace's — or write an export anywhere but the folder the
//! reviewer typed, after they confirmed the plaintext warning.

use std::path::Path;

use super::error::DeskError;
use super::model::{
    CaseAction, CaseFact, CaseMinder, CaseOutcome, CaseRow, CaseTipRow, CaseView, ExportDone,
    ExportPlanView, ExportRequest,
};
use crate::domain::triage::{CaseId, CaseName};
use crate::domain::TipId;
use crate::reviewer::cases::{Case, CaseStatus, Selection};
use crate::reviewer::export::{ExportError, Format, Plan};
use crate::reviewer::figures;
use crate::reviewer::triage::Outcome;
use crate::reviewer::workspace::{Workspace, WorkspaceError};

fn ws_err(e: WorkspaceError) -> DeskError {
    super::live::err(e)
}

fn export_err(e: ExportError) -> DeskError {
    match e {
        ExportError::Workspace(e) => ws_err(e),
        ExportError::NoKeyring => DeskError::Unavailable(e.to_string()),
        // The folder the reviewer typed: exists and not empty, cannot be written …
        e @ (ExportError::NotEmpty(_) | ExportError::Io(..) | ExportError::Empty) => {
            DeskError::Invalid(e.to_string())
        }
        e => DeskError::Internal(e.to_string()),
    }
}

fn case_id(s: &str) -> Result<CaseId, DeskError> {
    CaseId::parse(s).map_err(|_| DeskError::Invalid(format!("{s:?} is not a case id")))
}

fn format_of(s: &str) -> Result<Format, DeskError> {
    match s {
        "json" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        "markdown" => Ok(Format::Markdown),
        other => Err(DeskError::Invalid(format!(
            "format must be json, csv or markdown, not {other:?}"
        ))),
    }
}

fn row(c: &Case) -> CaseRow {
    CaseRow {
        id: c.id.to_string(),
        status: match c.status {
            CaseStatus::Suggested => "suggested",
            CaseStatus::Confirmed => "confirmed",
        }
        .into(),
        name: c.name.clone(),
        title: c.title.clone(),
        tips: c.tips.len(),
        languages: c.languages.clone(),
        observed: c.observed.clone(),
        received: c.received.clone(),
        reasons: c.reasons.clone(),
        confirmed_by: c.confirmed_by.clone(),
    }
}

/// Every case.
pub(super) fn cases(ws: &Workspace) -> Result<Vec<CaseRow>, DeskError> {
    Ok(ws.cases().map_err(ws_err)?.iter().map(row).collect())
}

/// One case's page.
pub(super) fn case(ws: &Workspace, id: &str) -> Result<CaseView, DeskError> {
    let id = case_id(id)?;
    let all = ws.cases().map_err(ws_err)?;
    let c = all
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| DeskError::NotFound(format!("case {id}")))?;
    let tips = ws.case_tips();
    let mine: Vec<_> = tips.iter().filter(|t| c.tips.contains(&t.id)).collect();
    Ok(CaseView {
        case: row(c),
        tips: mine
            .iter()
            .map(|t| CaseTipRow {
                id: t.id.to_string(),
                short: t.short(),
                language: t.entities.language.clone(),
                received: t.received.clone(),
                site: t.entities.worksite.name.clone(),
                city: t.entities.worksite.city.clone(),
            })
            .collect(),
        facts: c
            .facts
            .iter()
            .map(|f| CaseFact {
                fact: f.fact.clone(),
                verdict: f.verdict.into(),
                values: f.values.clone(),
                summary: f.summary.clone(),
            })
            .collect(),
        minders: c
            .minders
            .iter()
            .map(|m| CaseMinder {
                written: m.written.clone(),
                tips: m.tips.clone(),
                also_at: m.also_at.clone(),
            })
            .collect(),
        independence: c.independence.clone(),
        figures: figures::figures(&mine, std::slice::from_ref(c)),
    })
}

/// A decision on a case, recorded in the team log.
pub(super) fn act(
    ws: &mut Workspace,
    id: &str,
    action: &CaseAction,
) -> Result<CaseOutcome, DeskError> {
    let id = case_id(id)?;
    let name = |s: &str| {
        CaseName::parse(s).map_err(|e| DeskError::Invalid(format!("the case name is refused: {e}")))
    };
    let outcome = match action {
        CaseAction::Confirm { name: n } => {
            let n = n
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .map(name)
                .transpose()?;
            ws.confirm_case(&id, n)
        }
        CaseAction::Name { name: n } => ws.name_case(&id, name(n)?),
        CaseAction::Split { tips } => {
            let tips = tips
                .iter()
                .map(|t| {
                    TipId::parse(t)
                        .map_err(|_| DeskError::Invalid(format!("{t:?} is not a tip id")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            ws.split_case(&id, &tips)
        }
        CaseAction::Merge { with } => {
            let mut ids = vec![id];
            for c in with {
                ids.push(case_id(c)?);
            }
            ws.merge_cases(&ids)
        }
    }
    .map_err(ws_err)?;
    Ok(match outcome {
        Outcome::Applied { seq, .. } => CaseOutcome {
            ok: true,
            refusal: None,
            seq: Some(u64::from(seq)),
        },
        Outcome::Refused { reason } => CaseOutcome {
            ok: false,
            refusal: Some(reason),
            seq: None,
        },
        // Case decisions are never queued (they need the freshly pulled team log).
        Outcome::Queued { .. } => CaseOutcome {
            ok: false,
            refusal: Some(
                "not recorded: the server could not be reached; try again when online".into(),
            ),
            seq: None,
        },
    })
}

fn plan(ws: &Workspace, id: &str, format: &str, redact: bool) -> Result<Plan, DeskError> {
    ws.plan_export(&Selection::Case(case_id(id)?), format_of(format)?, redact)
        .map_err(export_err)
}

/// What exporting a case would write.
pub(super) fn export_plan(
    ws: &Workspace,
    id: &str,
    format: &str,
    redact: bool,
) -> Result<ExportPlanView, DeskError> {
    let p = plan(ws, id, format, redact)?;
    Ok(ExportPlanView {
        tips: p.tips,
        redacted: p.redact,
        files: p.files.iter().map(|(n, _)| n.clone()).collect(),
        flags: p.flags.iter().map(|f| f.reason.clone()).collect(),
    })
}

/// Writes a case's export into the folder the reviewer typed.
pub(super) fn export(ws: &Workspace, id: &str, r: &ExportRequest) -> Result<ExportDone, DeskError> {
    if !r.plaintext_understood {
        return Err(DeskError::Invalid(
            "nothing written: confirm the plaintext warning first".into(),
        ));
    }
    let p = plan(ws, id, &r.format, r.redact)?;
    let m = ws.write_export(Path::new(&r.out), &p).map_err(export_err)?;
    let mut files: Vec<String> = m.files.iter().map(|f| f.name.clone()).collect();
    files.push(crate::reviewer::export::MANIFEST.into());
    files.push(crate::reviewer::export::SIGNATURE.into());
    Ok(ExportDone {
        dir: r.out.clone(),
        files,
        signer: m.signer_name,
        flags: m
            .reidentification
            .iter()
            .map(|f| f.reason.clone())
            .collect(),
    })
}
