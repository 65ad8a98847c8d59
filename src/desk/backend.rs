//! The desk's one door to the reviewer's data: a trait that wave 2 implements over the
//! local encrypted store, sync and triage events. Blocking methods (they decrypt, touch
//! sled, talk to the server): the HTTP layer calls them inside `web::block`.
//!
//! Must never: be implemented by anything that writes a tip's plaintext to disk, or that
//! returns data the reviewer's key cannot open.

use super::error::DeskError;
use super::model::{
    AttachmentBytes, CaseAction, CaseOutcome, CaseRow, CaseView, ExportDone, ExportPlanView,
    ExportRequest, Figures, HistoryRow, InboxQuery, InboxRow, Me, ReplyFile, SyncReport, TipView,
    TriageOutcome, TriageRequest,
};
use crate::domain::TipId;

/// The reviewer's data, as the desk needs it.
pub trait DeskBackend: Send + Sync + 'static {
    /// Who is at the desk.
    fn me(&self) -> Result<Me, DeskError>;

    /// Fetches what is new from the server (tips, messages, colleagues' events).
    fn sync(&self) -> Result<SyncReport, DeskError>;

    /// The inbox rows that match `query`, newest first.
    fn inbox(&self, query: &InboxQuery) -> Result<Vec<InboxRow>, DeskError>;

    /// One tip, opened. Marks it read.
    fn tip(&self, id: TipId) -> Result<TipView, DeskError>;

    /// One attachment's bytes (`index` from [`TipView::attachments`]).
    fn attachment(&self, id: TipId, index: u32) -> Result<AttachmentBytes, DeskError>;

    /// Applies `request` to every tip in `ids`; one outcome per tip, in the same order.
    /// A refusal on one tip does not stop the others.
    fn triage(
        &self,
        ids: &[TipId],
        request: &TriageRequest,
    ) -> Result<Vec<TriageOutcome>, DeskError>;

    /// Seals and sends a reply to the witness.
    fn reply(&self, id: TipId, text: &str, files: Vec<ReplyFile>) -> Result<(), DeskError>;

    /// The tip's history, oldest first.
    fn history(&self, id: TipId) -> Result<Vec<HistoryRow>, DeskError>;

    /// The team's label vocabulary.
    fn vocabulary(&self) -> Result<Vec<String>, DeskError>;

    /// The reviewers' names in the keyring (who a tip can be assigned to).
    fn reviewers(&self) -> Result<Vec<String>, DeskError>;

    // Cases and figures (issue 10). A backend without cases (the desk's test double)
    // answers that it has none; it never pretends.

    /// Every case, confirmed first, then suggested, largest first.
    fn cases(&self) -> Result<Vec<CaseRow>, DeskError> {
        Err(no_cases())
    }

    /// One case (`id` as `case-` and 16 hex characters).
    fn case(&self, _id: &str) -> Result<CaseView, DeskError> {
        Err(no_cases())
    }

    /// Records a decision on a case in the team log.
    fn case_action(&self, _id: &str, _action: &CaseAction) -> Result<CaseOutcome, DeskError> {
        Err(no_cases())
    }

    /// What exporting a case would write, and the re-identification flags; writes nothing.
    fn export_plan(
        &self,
        _id: &str,
        _format: &str,
        _redact: bool,
    ) -> Result<ExportPlanView, DeskError> {
        Err(no_cases())
    }

    /// Writes a case's export (the same as `tipseal review export --case ID`).
    fn export(&self, _id: &str, _request: &ExportRequest) -> Result<ExportDone, DeskError> {
        Err(no_cases())
    }

    /// The figures over the tips `query` selects.
    fn figures(&self, _query: &InboxQuery) -> Result<Figures, DeskError> {
        Err(no_cases())
    }
}

fn no_cases() -> DeskError {
    DeskError::Unavailable(
        "this desk has no cases or figures (it is not over a reviewer's store)".into(),
    )
}
