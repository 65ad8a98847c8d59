//! A reviewer's workspace: the one library API both faces (the `tipseal review` command
//! line and the desk) use to sync, list, search, triage and read history.
//!
//! It holds the reviewer's identity, a connection to the server when there is one, and
//! the local encrypted store (by default `KEY.store` beside the key file, like
//! `KEY.keyring-pin`). The store is a cache: deleting it loses nothing the server holds
//! except changes still queued offline, and `sync` rebuilds it. The search index and the
//! folded triage states live only in memory, rebuilt from the store when it opens.
//!
//! Must never: print, prompt or parse arguments; write a plaintext anywhere but into the
//! encrypted store; send a plaintext to the server.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::client::api::Session;
use crate::client::Client;
use crate::crypto::identity::Identity;
use crate::crypto::keyring::VerifiedKeyring;
use crate::domain::TipId;

use crate::domain::triage::{TeamVocabulary, TriageState};

use super::local::LocalTip;
pub use super::remote::AppendResult;
use super::search::{tip_fields, Index, Weight};
use super::session::ReviewerSession;
use super::store::{Store, StoreError, Table};
use crate::domain::tip::SealedTip;

/// Why a workspace operation failed, each message saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The local store failed (its message names the file and the remedy).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Opening, verifying or talking to the server failed.
    #[error(transparent)]
    Reviewer(#[from] super::Error),
    /// The server could not be reached and this needs it.
    #[error(
        "this needs the server, and it could not be reached: check the connection and run \
         the command again"
    )]
    Offline,
    /// A row of the local store does not parse: the store is from another version.
    #[error(
        "the local store {path} holds a row this version cannot read ({what}): delete it \
         and run `tipseal review sync` to rebuild it"
    )]
    BadRow {
        /// The store file.
        path: PathBuf,
        /// Which row.
        what: String,
    },
    /// No such tip in the local store.
    #[error("tip {0} is not in the local store: run `tipseal review sync` first, or check the id")]
    UnknownTip(TipId),
    /// What the reviewer asked cannot be done, and why.
    #[error("{0}")]
    Refused(String),
}

impl WorkspaceError {
    /// Whether this is the server being out of reach (a change can then be queued).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            WorkspaceError::Offline
                | WorkspaceError::Reviewer(super::Error::Client(crate::client::Error::Network(_)))
        )
    }
}

impl From<crate::crypto::CryptoError> for WorkspaceError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        WorkspaceError::Reviewer(e.into())
    }
}

impl From<crate::client::Error> for WorkspaceError {
    fn from(e: crate::client::Error) -> Self {
        WorkspaceError::Reviewer(e.into())
    }
}

/// The connection to the server.
pub struct Online {
    /// The transport.
    pub client: Client,
    /// The verified, trusted keyring.
    pub keyring: VerifiedKeyring,
    /// The login.
    pub session: Session,
}

/// See the module doc.
pub struct Workspace {
    pub(super) me: Identity,
    pub(super) online: Option<Online>,
    pub(super) store: Store,
    /// Every synced tip, by id.
    pub(super) tips: BTreeMap<TipId, LocalTip>,
    /// What each tip's plaintext says that the filters need.
    pub(super) facets: HashMap<TipId, TipFacts>,
    /// The search index over the tips' words (memory only).
    pub(super) index: Index,
    /// Each tip's folded triage log (absent: nobody triaged it).
    pub(super) states: HashMap<TipId, TriageState>,
    /// The team's labels.
    pub(super) vocabulary: TeamVocabulary,
    /// Logs holding events this key could not open yet.
    pub(super) unopened_logs: std::collections::HashSet<crate::domain::triage::LogRef>,
    /// The keyring last verified (from the connection, or the store when offline).
    pub(super) keyring: Option<VerifiedKeyring>,
}

/// The tip's own facts the filters and rows use (from its plaintext).
#[derive(Clone, Debug, Default)]
pub struct TipFacts {
    /// Sector of work.
    pub sector: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// City or region.
    pub city: Option<String>,
    /// A short line to show: the worksite's name or the narrative's start.
    pub title: String,
    /// Every string of the document, for search.
    pub text: Vec<String>,
}

/// [`Table::Meta`] key of the keyring accepted when last online.
const KEYRING: &[u8] = b"keyring";

/// The default store beside a key file: `KEY.store`.
pub fn default_store_path(key: &Path) -> PathBuf {
    let mut s = key.as_os_str().to_owned();
    s.push(".store");
    PathBuf::from(s)
}

impl Workspace {
    /// Opens the store at `store_path` for `session`'s reviewer and loads it into memory.
    pub fn open(session: ReviewerSession, store_path: &Path) -> Result<Self, WorkspaceError> {
        let ReviewerSession {
            client,
            me,
            keyring,
            session,
        } = session;
        let mut ws = Self::open_offline(me, store_path)?;
        // Kept for offline use (names, assignments); the store seals and authenticates it.
        ws.store.put(Table::Meta, KEYRING, &keyring.to_json())?;
        ws.keyring = Some(keyring.clone());
        ws.online = Some(Online {
            client,
            keyring,
            session,
        });
        Ok(ws)
    }

    /// Opens the store without a server: list, history and queued triage work; sync
    /// does not.
    pub fn open_offline(me: Identity, store_path: &Path) -> Result<Self, WorkspaceError> {
        let store = Store::open(store_path, &me)?;
        let mut ws = Self {
            me,
            online: None,
            store,
            tips: BTreeMap::new(),
            facets: HashMap::new(),
            index: Index::new(),
            states: HashMap::new(),
            vocabulary: TeamVocabulary::default(),
            unopened_logs: std::collections::HashSet::new(),
            keyring: None,
        };
        for (k, v) in ws.store.scan_prefix(Table::Tips, b"")? {
            let tip: LocalTip = serde_json::from_slice(&v).map_err(|_| ws.bad_row(&k))?;
            ws.index_tip(&tip);
            ws.tips.insert(tip.id, tip);
        }
        ws.keyring = ws.stored_keyring()?;
        ws.fold_all()?;
        Ok(ws)
    }

    /// The keyring accepted when last online, verified again.
    fn stored_keyring(&self) -> Result<Option<VerifiedKeyring>, WorkspaceError> {
        let Some(json) = self.store.get(Table::Meta, KEYRING)? else {
            return Ok(None);
        };
        let file = crate::domain::keyring::KeyringFile::from_json(&json)
            .map_err(|_| self.bad_row(KEYRING))?;
        Ok(Some(crate::crypto::keyring::verify_chain(&file, None)?))
    }

    /// The store file.
    pub fn store_path(&self) -> &Path {
        self.store.path()
    }

    /// This reviewer.
    pub fn me(&self) -> &Identity {
        &self.me
    }

    /// Number of tips in the store.
    pub fn tip_count(&self) -> usize {
        self.tips.len()
    }

    /// Whether a server connection is open.
    pub fn is_online(&self) -> bool {
        self.online.is_some()
    }

    /// The key id of the current epoch's reviewer called `name`; refused with the names
    /// there are.
    pub fn reviewer_named(&self, name: &str) -> Result<crate::domain::KeyId, String> {
        let Some(k) = self.keyring() else {
            return Err("the keyring is not known on this machine yet: run `tipseal review sync` online first".into());
        };
        if let Some(p) = k.current().find_reviewer(name) {
            return Ok(p.id);
        }
        let names: Vec<&str> = k
            .current()
            .reviewers
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        Err(format!(
            "no reviewer called {name:?} on the keyring: the reviewers are {}",
            names.join(", ")
        ))
    }

    /// The keyring, when known.
    pub fn keyring(&self) -> Option<&VerifiedKeyring> {
        self.keyring.as_ref()
    }

    /// The connection, or [`WorkspaceError::Offline`].
    pub(super) fn online(&self) -> Result<&Online, WorkspaceError> {
        self.online.as_ref().ok_or(WorkspaceError::Offline)
    }

    pub(super) fn bad_row(&self, key: &[u8]) -> WorkspaceError {
        WorkspaceError::BadRow {
            path: self.store.path().to_path_buf(),
            what: hex::encode(key),
        }
    }

    /// Reads what the filters and search need from a tip's plaintext (kept in memory only).
    pub(super) fn index_tip(&mut self, tip: &LocalTip) {
        if let Some(why) = &tip.unreadable {
            let facts = TipFacts {
                title: format!("(not opened: {why})").chars().take(60).collect(),
                ..TipFacts::default()
            };
            self.facets.insert(tip.id, facts);
            return;
        }
        let plaintext = tip.plaintext();
        let facts = tip_facts(&plaintext);
        // A tip that follows the schema is indexed field by field (names weigh more than
        // free text, codes are left out: `search::tip_fields`); any other, as its strings.
        let owned: Vec<(Weight, String)> = match SealedTip::from_json(&plaintext) {
            Ok(sealed) => tip_fields(&sealed.tip),
            Err(_) => facts
                .text
                .iter()
                .map(|t| (Weight::NORMAL, t.clone()))
                .collect(),
        };
        let fields: Vec<(Weight, &str)> = owned.iter().map(|(w, t)| (*w, t.as_str())).collect();
        self.index.upsert(tip.id, &fields);
        self.facets.insert(tip.id, facts);
    }
}

/// The facts of a tip's plaintext; a plaintext that is not JSON is all narrative.
pub fn tip_facts(plaintext: &[u8]) -> TipFacts {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(plaintext) else {
        let text = String::from_utf8_lossy(plaintext).into_owned();
        return TipFacts {
            title: text.chars().take(60).collect(),
            text: vec![text],
            ..TipFacts::default()
        };
    };
    let s = |p: &str| v.pointer(p).and_then(|x| x.as_str()).map(str::to_owned);
    let mut text = Vec::new();
    strings(&v, &mut text);
    let title = s("/tip/worksite/name")
        .or_else(|| s("/tip/narrative"))
        .unwrap_or_default()
        .chars()
        .take(60)
        .collect();
    TipFacts {
        sector: s("/tip/worksite/sector"),
        country: s("/tip/worksite/country"),
        city: s("/tip/worksite/city"),
        title,
        text,
    }
}

fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}
