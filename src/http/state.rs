//! Shared state of the running server: storage, the verified keyring, sessions, limits.

use std::sync::{Arc, RwLock};

use tokio::sync::Semaphore;

use super::body::{BodyBudget, BodyRules};
use super::disk::DiskFloor;
use super::form_tokens::FormTokens;
use super::intake_budget::{IntakeBudget, DEFAULT_INTAKE_BUDGET_BYTES};
use super::rate::RateLimits;
use super::routes::mailbox::ReplyRetention;
use super::sessions::{Sessions, WitnessSessions};
use crate::crypto::keyring::VerifiedKeyring;
use crate::domain::KeyId;
use crate::storage::Store;

/// Limits that protect the server; each has a default in [`super::ServerSettings`].
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest accepted tip bundle.
    pub max_body_bytes: usize,
    /// Largest accepted keyring or JSON body.
    pub max_json_bytes: usize,
    /// How fast a body must arrive: overall deadline, stall window, minimum rate.
    pub body_rules: BodyRules,
    /// Largest whole tip (bundle plus uploads), at most [`crate::domain::limits::MAX_TIP_BYTES`].
    pub max_tip_bytes: usize,
    /// Declared bytes that unfinished uploads may reserve on disk, all together.
    pub upload_budget_bytes: u64,
}

/// Everything a handler needs.
pub struct AppState {
    /// The database.
    pub store: Store,
    keyring: RwLock<Option<Arc<VerifiedKeyring>>>,
    /// Admin keys the genesis manifest must list exactly and be signed by, when configured.
    pub pinned_admins: Option<Vec<KeyId>>,
    /// Login challenges and sessions.
    pub sessions: Sessions,
    /// Witnesses' mailbox challenges and sessions (a separate table).
    pub witnesses: WitnessSessions,
    /// The no-JavaScript pages' single-use form tokens.
    pub form_tokens: FormTokens,
    /// What happens to a reply once its witness has read it.
    pub reply_retention: ReplyRetention,
    /// Limits.
    pub limits: Limits,
    /// Bounds how many submissions are processed at once (the rest get 503). Taken
    /// only after the body is read: a slow body never holds one.
    pub intake_slots: Semaphore,
    /// Bytes that tips being stored hold in memory, and the storage workers they queue
    /// for (`POST /api/v1/tips` and every path through `intake::store_bundle`).
    pub intake: IntakeBudget,
    /// The one budget of request-body bytes in memory, shared by every route.
    pub body_budget: Arc<BodyBudget>,
    /// Serialises keyring replacement so verify-then-store is atomic.
    pub keyring_write: tokio::sync::Mutex<()>,
    /// Refuses new submissions while the disk is nearly full (507).
    pub disk: DiskFloor,
    /// Token buckets per endpoint class (429).
    pub rate: RateLimits,
}

impl AppState {
    /// Builds the state.
    pub fn new(
        store: Store,
        keyring: Option<VerifiedKeyring>,
        pinned_admins: Option<Vec<KeyId>>,
        limits: Limits,
        intake_slots: usize,
        body_budget_bytes: usize,
    ) -> Self {
        Self {
            store,
            keyring: RwLock::new(keyring.map(Arc::new)),
            pinned_admins,
            sessions: Sessions::default(),
            witnesses: WitnessSessions::default(),
            form_tokens: FormTokens::default(),
            reply_retention: ReplyRetention::Keep,
            limits,
            intake_slots: Semaphore::new(intake_slots),
            intake: IntakeBudget::new(DEFAULT_INTAKE_BUDGET_BYTES, IntakeBudget::default_workers()),
            body_budget: BodyBudget::new(body_budget_bytes),
            keyring_write: tokio::sync::Mutex::new(()),
            disk: DiskFloor::off(),
            rate: RateLimits::default(),
        }
    }

    /// Sets the disk floor (`tipseal serve --min-free-bytes`).
    pub fn with_disk_floor(mut self, d: DiskFloor) -> Self {
        self.disk = d;
        self
    }

    /// Sets the rate limiter's budgets (`tipseal serve --rate-…`).
    pub fn with_rate_limits(mut self, r: RateLimits) -> Self {
        self.rate = r;
        self
    }

    /// Sets the reply retention (`tipseal serve --reply-retention`).
    pub fn with_reply_retention(mut self, r: ReplyRetention) -> Self {
        self.reply_retention = r;
        self
    }

    /// The keyring in force, if any.
    pub fn keyring(&self) -> Option<Arc<VerifiedKeyring>> {
        self.keyring
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the keyring in force and ends sessions of keys no longer in it.
    pub fn set_keyring(&self, k: VerifiedKeyring) {
        let k = Arc::new(k);
        *self.keyring.write().unwrap_or_else(|p| p.into_inner()) = Some(k.clone());
        self.sessions.end_all_for(|id| k.role_of(id).is_some());
    }
}
