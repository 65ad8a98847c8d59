//! The shapes the event routes answer with, for the OpenAPI description.

use serde::Serialize;
use utoipa::ToSchema;

/// `201` of an append.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventAppended {
    /// The event's seq in its log.
    pub seq: u32,
    /// Its place in the global feed.
    #[schema(minimum = 1)]
    pub cursor: u64,
}

/// `409` of an append: an error, plus the log's next seq when it is `seq_conflict`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeqConflictBody {
    /// What went wrong and what to do.
    pub error: String,
    /// `seq_conflict` or `event_log_full`.
    #[schema(pattern = "^[a-z_]+$")]
    pub code: String,
    /// The log's next seq (with `seq_conflict`).
    pub current: Option<u32>,
}

/// One stored event.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoredEventView {
    /// Its seq.
    pub seq: u32,
    /// The UTC day it was appended.
    #[schema(format = Date)]
    pub day: String,
    /// The keyring epoch in force then.
    #[schema(minimum = 1)]
    pub epoch: u32,
    /// Its feed cursor.
    pub cursor: u64,
    /// Whether its author declared it records the tip's deletion.
    pub deletes_tip: bool,
    /// The sealed event, base64url.
    pub event: String,
}

/// A page of a log.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventList {
    /// Up to 64 events, in seq order.
    pub events: Vec<StoredEventView>,
    /// The log's next seq (to append at, or to know there is more).
    pub next: u32,
}

/// One feed item: `log` is `"team"` or `{"tip": "<id>"}`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedItemView {
    /// Its cursor.
    pub cursor: u64,
    /// `"team"` or `{"tip": "<32 hex>"}`.
    #[schema(value_type = Value)]
    pub log: serde_json::Value,
    /// The seq in that log.
    pub seq: u32,
}

/// A page of the feed.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Feed {
    /// Items after the asked cursor, oldest first.
    pub items: Vec<FeedItemView>,
    /// The cursor to ask after next time.
    pub next: u64,
}

/// `200` of a re-wrap.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRewrapped {
    /// The event's seq.
    pub seq: u32,
    /// The epoch it is now sealed to.
    #[schema(minimum = 1)]
    pub epoch: u32,
}

/// `200` of a deletion.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TipDeleted {
    /// The tip's id.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub id: String,
    /// Always true.
    pub deleted: bool,
}
