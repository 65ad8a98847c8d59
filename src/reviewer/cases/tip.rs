//! One tip as cases and exports see it: its entities (from `matching`), the few facts of
//! the wrapper they need (received day, the witness's relation, the reply key), and the
//! narrative. Built from the local store's plaintext, kept in memory only.
//!
//! Must never: write anything, or read a field the independence and re-identification
//! checks do not need.

use serde_json::Value;

use crate::domain::tip::received::{ReceivedTip, Shown};
use crate::domain::TipId;
use crate::reviewer::local::LocalTip;
use crate::reviewer::matching::entities::TipEntities;

/// See the module doc.
#[derive(Clone, Debug)]
pub struct CaseTip {
    /// The tip's id.
    pub id: TipId,
    /// The UTC day it arrived.
    pub received: String,
    /// What matching reads from it.
    pub entities: TipEntities,
    /// The witness's relation to the worksite (`co_worker` …), as written.
    pub relation: Option<String>,
    /// The witness's reply key (base64url): the same key on two tips means one mailbox.
    pub reply_key: Option<String>,
    /// The narrative as written.
    pub narrative: Option<String>,
}

impl CaseTip {
    /// From a synced tip; `None` for a tip this key could not open yet.
    pub fn from_local(t: &LocalTip) -> Option<Self> {
        if t.unreadable.is_some() {
            return None;
        }
        let received = ReceivedTip::from_plaintext(&t.plaintext());
        Some(Self::from_received(t.id, &t.received, &received))
    }

    /// From a tip as received.
    pub fn from_received(id: TipId, day: &str, r: &ReceivedTip) -> Self {
        let doc = match &r.shown {
            Shown::Document(d) => d.get("tip").filter(|t| t.is_object()).unwrap_or(d),
            Shown::Text(_) => &Value::Null,
        };
        let s = |p: &str| {
            doc.pointer(p)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let narrative = match &r.shown {
            Shown::Text(t) => Some(t.clone()),
            Shown::Document(_) => s("/narrative"),
        };
        CaseTip {
            id,
            received: day.to_owned(),
            entities: TipEntities::from_received(r),
            relation: s("/witness/relation"),
            reply_key: r.reply_to.as_ref().map(|x| x.box_pk.clone()),
            narrative,
        }
    }

    /// A short form of the id for reasons ("3f2a9c1d").
    pub fn short(&self) -> String {
        short(self.id)
    }

    /// The month it arrived (`YYYY-MM`).
    pub fn received_month(&self) -> &str {
        self.received.get(..7).unwrap_or(&self.received)
    }
}

/// The first 8 hex characters of a tip id, as reasons print it.
pub fn short(id: TipId) -> String {
    id.to_string()[..8].to_owned()
}
