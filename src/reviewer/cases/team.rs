//! The workspace's side of cases: read the tips and the team log from the store, build the
//! cases, and write the reviewers' decisions (confirm, split, merge, name) as one signed,
//! sealed team-log event each — checked against the freshly pulled log before it is sent.

use crate::domain::triage::{CaseId, CaseName, Change, LogRef, TeamCases};
use crate::domain::TipId;
use crate::reviewer::sync::SyncReport;
use crate::reviewer::triage::{signed_of, Outcome};
use crate::reviewer::workspace::{Workspace, WorkspaceError};

use super::{build, case_id_of, Case, CaseStatus, CaseTip};

impl Workspace {
    /// The confirmed cases after the stored team log.
    pub fn team_cases(&self) -> Result<TeamCases, WorkspaceError> {
        let mut cases = TeamCases::default();
        for e in self.stored_events(LogRef::Team)? {
            if e.refused.is_some() {
                continue;
            }
            if let Some(body) = signed_of(&e).and_then(|s| s.body().ok()) {
                // A refused event (a tip already in another case …) changes nothing.
                let _ = cases.apply(&body);
            }
        }
        Ok(cases)
    }

    /// Every readable tip, as cases see it.
    pub fn case_tips(&self) -> Vec<CaseTip> {
        self.tips.values().filter_map(CaseTip::from_local).collect()
    }

    /// Every case: confirmed, then suggested.
    pub fn cases(&self) -> Result<Vec<Case>, WorkspaceError> {
        let team = self.team_cases()?;
        Ok(build(&self.case_tips(), &team, &|k| self.reviewer_name(k)))
    }

    /// The case with this id (suggested or confirmed), or a refusal that says what to do.
    pub fn case(&self, id: &CaseId) -> Result<Case, WorkspaceError> {
        self.cases()?
            .into_iter()
            .find(|c| &c.id == id)
            .ok_or_else(|| {
                WorkspaceError::Refused(format!(
                    "no case {id} on this machine: run `tipseal review cases` to see the cases"
                ))
            })
    }

    /// Confirms a suggested case (with a name, if given).
    pub fn confirm_case(
        &mut self,
        id: &CaseId,
        name: Option<CaseName>,
    ) -> Result<Outcome, WorkspaceError> {
        let c = self.case(id)?;
        if c.status == CaseStatus::Confirmed {
            return Err(WorkspaceError::Refused(format!(
                "case {id} is already confirmed"
            )));
        }
        let mut changes = vec![Change::ConfirmCase {
            case: c.id.clone(),
            tips: c.tips,
        }];
        if let Some(name) = name {
            changes.push(Change::NameCase { case: c.id, name });
        }
        self.append_cases(changes)
    }

    /// Names a case; a suggested case is confirmed with the name.
    pub fn name_case(&mut self, id: &CaseId, name: CaseName) -> Result<Outcome, WorkspaceError> {
        let c = self.case(id)?;
        if c.status == CaseStatus::Suggested {
            return self.confirm_case(id, Some(name));
        }
        self.append_cases(vec![Change::NameCase { case: c.id, name }])
    }

    /// Splits `tips` out of a case: the case is dissolved and what remains on each side
    /// (when two tips or more) confirmed as a case of its own, in one event.
    pub fn split_case(&mut self, id: &CaseId, out: &[TipId]) -> Result<Outcome, WorkspaceError> {
        let c = self.case(id)?;
        if let Some(t) = out.iter().find(|t| !c.tips.contains(t)) {
            return Err(WorkspaceError::Refused(format!(
                "tip {t} is not in case {id}"
            )));
        }
        let rest: Vec<TipId> = c
            .tips
            .iter()
            .filter(|t| !out.contains(t))
            .copied()
            .collect();
        if out.is_empty() || rest.is_empty() {
            return Err(WorkspaceError::Refused(
                "a split leaves at least one tip on each side: name the tips to take out with --tip".into(),
            ));
        }
        let mut changes = Vec::new();
        if c.status == CaseStatus::Confirmed {
            changes.push(Change::DissolveCase { case: c.id.clone() });
        }
        for side in [rest, out.to_vec()] {
            if side.len() >= 2 {
                changes.push(Change::ConfirmCase {
                    case: case_id_of(&side),
                    tips: side,
                });
            }
        }
        self.append_cases(changes)
    }

    /// Merges cases into one confirmed case (its id from the union of their tips).
    pub fn merge_cases(&mut self, ids: &[CaseId]) -> Result<Outcome, WorkspaceError> {
        if ids.len() < 2 {
            return Err(WorkspaceError::Refused(
                "merge takes two case ids or more".into(),
            ));
        }
        let mut changes = Vec::new();
        let mut tips: Vec<TipId> = Vec::new();
        for id in ids {
            let c = self.case(id)?;
            if c.status == CaseStatus::Confirmed {
                changes.push(Change::DissolveCase { case: c.id.clone() });
            }
            tips.extend(c.tips);
        }
        tips.sort();
        tips.dedup();
        changes.push(Change::ConfirmCase {
            case: case_id_of(&tips),
            tips,
        });
        self.append_cases(changes)
    }

    /// Pulls the team log, checks the changes against it, and appends them as one event.
    fn append_cases(&mut self, changes: Vec<Change>) -> Result<Outcome, WorkspaceError> {
        self.online()?;
        let mut scratch = SyncReport::default();
        self.pull_log(LogRef::Team, &mut scratch)?;
        let probe = crate::domain::triage::EventBody {
            v: crate::domain::triage::EVENT_VERSION,
            log: LogRef::Team,
            seq: 0,
            prev: [0; 32],
            author: self.me.key_id(),
            epoch: crate::domain::Epoch::FIRST,
            at: 0,
            changes: changes.clone(),
        };
        if let Some(r) = self.team_cases()?.apply(&probe) {
            return Ok(Outcome::Refused {
                reason: format!("not applied: {}", r.reason),
            });
        }
        self.append_log(LogRef::Team, changes)
    }
}
