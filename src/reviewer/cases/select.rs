//! What both faces ask of cases beyond listing them: the figures and the export of one
//! case or of a set of tips (the command line's filters, the desk's inbox query), so that
//! `tipseal review export|figures` and the desk run the very same selection, plan and
//! signed write.
//!
//! Must never: ask the reviewer anything or print (the face shows the plan's warning and
//! flags and only then calls [`Workspace::write_export`]), or write outside the folder the
//! reviewer named.

use std::path::Path;

use serde_json::Value;

use crate::domain::triage::CaseId;
use crate::domain::TipId;
use crate::reviewer::export::{self, ExportError, Format, Manifest, Plan};
use crate::reviewer::figures::{self, Figures};
use crate::reviewer::workspace::{Workspace, WorkspaceError};

use super::CaseTip;

/// Which tips: one case (suggested or confirmed), or these tips (a filter's result) with
/// the filters as the manifest records them.
#[derive(Clone, Debug)]
pub enum Selection {
    /// A case by id.
    Case(CaseId),
    /// Tips by id, and the filters that chose them.
    Tips(Vec<TipId>, Value),
}

impl Workspace {
    /// The export of `what` as planned: its files and the re-identification flags, nothing
    /// written yet.
    pub fn plan_export(
        &self,
        what: &Selection,
        format: Format,
        redact: bool,
    ) -> Result<Plan, ExportError> {
        let cases = self.cases()?;
        let all = self.case_tips();
        match what {
            Selection::Case(id) => {
                let c = cases.iter().find(|c| &c.id == id).cloned().ok_or_else(|| {
                    WorkspaceError::Refused(format!(
                        "no case {id} on this machine: list the cases again (a split or merge gives new ids)"
                    ))
                })?;
                let tips: Vec<CaseTip> =
                    all.into_iter().filter(|t| c.tips.contains(&t.id)).collect();
                let filters = serde_json::json!({ "case": id.to_string() });
                export::plan(&tips, Some(&c), &cases, filters, format, redact)
            }
            Selection::Tips(ids, filters) => {
                let tips: Vec<CaseTip> = all.into_iter().filter(|t| ids.contains(&t.id)).collect();
                export::plan(&tips, None, &cases, filters.clone(), format, redact)
            }
        }
    }

    /// Writes `plan` into `dir` (absent or empty), signed with this reviewer's key under
    /// the current keyring epoch.
    pub fn write_export(&self, dir: &Path, plan: &Plan) -> Result<Manifest, ExportError> {
        let keyring = self.keyring().ok_or(ExportError::NoKeyring)?;
        let me = self.me();
        export::write(
            dir,
            plan,
            me,
            &self.reviewer_name(me.key_id()),
            keyring.epoch(),
        )
    }

    /// The figures of one case (its sites named by the case), or of these tips (`None`:
    /// every readable tip), whose sites are named by the confirmed case they are in —
    /// suggested cases are not built for this, so figures over 10,000 tips stay cheap.
    pub fn figures(
        &self,
        case: Option<&CaseId>,
        ids: Option<&[TipId]>,
    ) -> Result<Figures, WorkspaceError> {
        let all = self.case_tips();
        if let Some(id) = case {
            let c = self.case(id)?;
            let tips: Vec<&CaseTip> = all.iter().filter(|t| c.tips.contains(&t.id)).collect();
            return Ok(figures::figures(&tips, std::slice::from_ref(&c)));
        }
        let team = self.team_cases()?;
        let tips: Vec<&CaseTip> = match ids {
            Some(ids) => {
                let want: std::collections::HashSet<&TipId> = ids.iter().collect();
                all.iter().filter(|t| want.contains(&t.id)).collect()
            }
            None => all.iter().collect(),
        };
        Ok(figures::figures_by(&tips, &|t| {
            team.case_of(t.id).map(|c| match &c.name {
                Some(n) => n.as_str().to_owned(),
                None => format!("case {}", c.id),
            })
        }))
    }
}
