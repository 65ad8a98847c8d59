//! What a reviewer's workspace keeps in its local store, row by row: the opened tips,
//! their attachments and conversations, the verified triage events, cursors and the
//! outbox. Values are JSON (the store seals each one); keys follow
//! [`super::store::table`].
//!
//! Must never: put anything a tip says into a key (keys are in clear), or hold a secret
//! key.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::domain::TipId;

/// Attachments of a tip live in [`super::store::Table::Entries`] under the tip's prefix,
/// at `FILE_BASE + index`: far above any conversation seq (a `u32`), so one prefix scan
/// of a tip reads its conversation and its files, and a seq never collides with a file.
pub const FILE_BASE: u64 = 1 << 40;

/// [`super::store::Table::Meta`] key of the event feed cursor.
pub const FEED_CURSOR: &[u8] = b"feed-cursor";

/// One opened tip as synced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LocalTip {
    /// The tip's id.
    pub id: TipId,
    /// The UTC day it arrived.
    pub received: String,
    /// The epoch its wraps were sealed to when synced.
    pub epoch: u32,
    /// Sealed by the server (the no-JavaScript form).
    pub sealed_by_server: bool,
    /// Attachments stored beside it.
    pub files: u16,
    /// Conversation entries stored for it (compared with the listing's `entries`).
    pub entries: u32,
    /// The tip's plaintext exactly as opened (the sealed-tip JSON, or whatever arrived),
    /// base64: read again with `ReceivedTip::from_plaintext`.
    pub plaintext: String,
    /// Not yet opened by this reviewer on this machine.
    pub unread: bool,
    /// Stored bytes on the server (the listing's `size`).
    #[serde(default)]
    pub size: u64,
    /// Envelopes in the bundle (the listing's `parts`).
    #[serde(default)]
    pub parts: u16,
    /// Why it could not be opened here (e.g. no grant for its epoch yet): kept as a row
    /// without content and tried again by every sync.
    #[serde(default)]
    pub unreadable: Option<String>,
}

impl LocalTip {
    /// The plaintext bytes.
    pub fn plaintext(&self) -> Vec<u8> {
        B64.decode(&self.plaintext).unwrap_or_default()
    }

    /// Encodes `bytes` for [`LocalTip::plaintext`].
    pub fn encode(bytes: &[u8]) -> String {
        B64.encode(bytes)
    }
}

/// Who signed a reply, as verified against the keyring when it was synced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LocalSigner {
    /// Key id (hex).
    pub id: String,
    /// Name on the keyring.
    pub name: String,
}

/// One entry of a tip's conversation, opened.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LocalEntry {
    /// Its position in the conversation.
    pub seq: u32,
    /// `followup` (the witness) or `reply` (a reviewer).
    pub kind: String,
    /// The UTC day it arrived.
    pub received: String,
    /// The words.
    pub message: String,
    /// For replies: the verified signer.
    pub signer: Option<LocalSigner>,
    /// Attachment names and types (the bytes are not kept for conversation files: `review
    /// show` fetches them).
    pub attachments: Vec<String>,
}

/// Serializes a row value.
pub fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    // Plain data with string keys: cannot fail.
    serde_json::to_vec(v).expect("a local row serializes")
}

/// Base64 of `bytes`.
pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// The bytes of [`b64`], or `None` if it is not base64.
pub fn unb64(s: &str) -> Option<Vec<u8>> {
    B64.decode(s).ok()
}
