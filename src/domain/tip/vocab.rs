//! The closed vocabularies of the tip document (sector, roles, actions, relations).
//!
//! Each has an `other` member so that a witness is never forced into a wrong box.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Sector of work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Sector {
    Construction,
    Logging,
    Shipbuilding,
    Restaurant,
    Garment,
    Mining,
    Agriculture,
    Fishing,
    #[serde(rename = "it")]
    It,
    Other,
}

/// A minder's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum MinderRole {
    SecurityAgent,
    PartySecretary,
    TeamLeader,
    Interpreter,
    Other,
}

/// What a minder does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum MinderAction {
    ConfiscatesPassports,
    CollectsWages,
    MonitorsPhones,
    EscortsWorkers,
    Other,
}

/// The witness's relation to the worksite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Relation {
    Worker,
    CoWorker,
    LocalEmployee,
    Neighbour,
    Contractor,
    Official,
    Other,
}
