//! A synced tip's content as the faces read it from the store — its plaintext, its
//! attachments, its conversation — and a reply sent from the workspace.
//!
//! Must never: write a reply's plaintext anywhere, or reply without the witness's own
//! reply address.

use crate::crypto::bundle_seal::Attachment;
use crate::domain::tip::{FileName, LongText, MediaType};
use crate::domain::TipId;

use super::local::{LocalEntry, LocalTip, FILE_BASE};
use super::open::open_bundle;
use super::reply::{reply_address, seal_reply};
use super::store::{table, Plain, Table};
use super::workspace::{Workspace, WorkspaceError};

impl Workspace {
    /// A synced tip's row (its plaintext and facts), if it is in the store.
    pub fn tip_record(&self, id: TipId) -> Option<&LocalTip> {
        self.tips.get(&id)
    }

    /// Attachment `index` of tip `id`, as stored.
    pub fn attachment(&self, id: TipId, index: u32) -> Result<Option<Plain>, WorkspaceError> {
        Ok(self.store.get(
            Table::Entries,
            &table::entry(&id, FILE_BASE + u64::from(index)),
        )?)
    }

    /// Tip `id`'s conversation as synced, oldest first.
    pub fn conversation(&self, id: TipId) -> Result<Vec<LocalEntry>, WorkspaceError> {
        self.store
            .scan_prefix(Table::Entries, &table::tip(&id))?
            .into_iter()
            .filter(|(k, _)| table::seq_of(k).is_some_and(|s| s < FILE_BASE))
            .map(|(k, v)| serde_json::from_slice(&v).map_err(|_| self.bad_row(&k)))
            .collect()
    }

    /// The names of the current keyring's reviewers.
    pub fn reviewers(&self) -> Vec<String> {
        self.keyring()
            .map(|k| {
                k.current()
                    .reviewers
                    .iter()
                    .map(|p| p.name.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Replies to tip `id`'s witness: signed, sealed to them and to the team, sent; the
    /// conversation is synced again after. `files` are (name, media type, bytes).
    pub fn reply(
        &mut self,
        id: TipId,
        text: &str,
        files: &[(String, String, Vec<u8>)],
    ) -> Result<u32, WorkspaceError> {
        let message = LongText::parse(text.to_owned()).map_err(WorkspaceError::Refused)?;
        let attachments = files
            .iter()
            .map(|(name, mime, bytes)| {
                Ok(Attachment {
                    name: FileName::parse(name.clone())
                        .map_err(|e| WorkspaceError::Refused(format!("{name:?}: {e}")))?,
                    media_type: MediaType::parse(mime.clone())
                        .map_err(|e| WorkspaceError::Refused(format!("{mime:?}: {e}")))?,
                    bytes,
                })
            })
            .collect::<Result<Vec<_>, WorkspaceError>>()?;
        let c = self.online()?;
        let bytes = c.client.fetch(&c.session, id)?;
        let tip = open_bundle(&c.keyring, &self.me, id, &bytes)?;
        let to = reply_address(&tip)?;
        let bundle = seal_reply(&self.me, &c.keyring, &to, message, &attachments)?;
        Ok(c.client.post_reply(&c.session, id, &bundle)?)
    }
}
