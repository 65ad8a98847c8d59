//! Re-wrapping: moves everything a reviewer can read to the current epoch — every tip's
//! parts, the reviewers' copies of its conversation (follow-ups and the team's copies
//! of replies), and the triage events of every tip's log and the team's. Afterwards a reviewer added since can read it all, and an old epoch's key
//! can be destroyed without shredding anything. Only the wraps change: the content key is
//! re-sealed, the content is never decrypted.
//!
//! Must never: stop at one tip that fails (the rest of the team's data must still move),
//! or touch the witness's copy of a reply (sealed to their own key).

use std::collections::HashMap;

use crate::client::api::{Session, ThreadRow};
use crate::client::Client;
use crate::crypto::envelope::rewrap;
use crate::crypto::identity::Identity;
use crate::crypto::intake::IntakeSecretKey;
use crate::crypto::keyring::{intake_secret_for, VerifiedKeyring};
use crate::domain::bundle;
use crate::domain::envelope;
use crate::domain::envelope::Kind;
use crate::domain::triage::LogRef;
use crate::domain::Epoch;

use super::open::bundle_epoch;
use super::Error;

/// What a re-wrap did.
pub struct RewrapReport {
    /// The epoch everything was moved to.
    pub epoch: Epoch,
    /// Tips re-wrapped.
    pub tips: usize,
    /// Conversation entries re-wrapped.
    pub entries: usize,
    /// Triage events re-wrapped (every tip's log and the team's).
    pub events: usize,
    /// Tips or entries sealed to epochs this key has no grant for: left for another
    /// reviewer.
    pub skipped: usize,
    /// Tips or entries that could not be fetched, opened or swapped, each with why.
    pub failed: Vec<String>,
}

/// Re-wraps every tip and conversation entry this reviewer has a grant for to the
/// keyring's current epoch. Fails only when the list of tips cannot be read; one tip or
/// entry that fails is reported in [`RewrapReport::failed`] and skipped.
pub fn rewrap_all(
    client: &Client,
    session: &Session,
    keyring: &VerifiedKeyring,
    me: &Identity,
) -> Result<RewrapReport, Error> {
    let current = keyring.epoch();
    let intake = keyring.intake_public_key();
    let (mut tips_done, mut entries_done, mut skipped) = (0usize, 0usize, 0usize);
    let mut keys: HashMap<Epoch, Option<IntakeSecretKey>> = HashMap::new();
    let rewrap_parts = |bytes: &[u8], sk: &IntakeSecretKey, first: Kind| {
        let parsed =
            bundle::parse_with_kinds(bytes, |i| if i == 0 { first } else { Kind::Attachment })?;
        parsed
            .parts()
            .iter()
            .map(|p| rewrap(p.bytes, sk, current, &intake).map(|w| w.encode()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::from)
    };
    // One tip or entry that cannot be fetched, opened or swapped is reported and skipped:
    // it must never stop the rest of the team's data from moving to the current epoch.
    let mut failed: Vec<String> = Vec::new();
    let rows = client.list(session)?;
    let mut events_done = 0usize;
    // Triage events: each is one envelope; only its wrap moves.
    let logs = rows
        .iter()
        .map(|r| LogRef::Tip(r.id))
        .chain(std::iter::once(LogRef::Team));
    for log in logs {
        let mut from_seq = 0u32;
        loop {
            let page = match client.events(session, log, from_seq) {
                Ok(p) => p,
                Err(e) => {
                    failed.push(format!("the triage events of {log}: {e}"));
                    break;
                }
            };
            if page.events.is_empty() {
                break;
            }
            for ev in &page.events {
                from_seq = ev.seq + 1;
                let mut one = || -> Result<Option<bool>, Error> {
                    let blob = crate::crypto::b64_decode(&ev.event).ok_or_else(|| {
                        Error::Refused("the server sent an event that does not decode".into())
                    })?;
                    let from = envelope::parse(&blob)?.wrap.epoch;
                    if from == current {
                        return Ok(None);
                    }
                    let Some(sk) = keys
                        .entry(from)
                        .or_insert_with(|| intake_secret_for(keyring, from, me).ok())
                    else {
                        return Ok(Some(false));
                    };
                    let wrap = rewrap(&blob, sk, current, &intake)?.encode();
                    client.swap_event_wrap(session, log, ev.seq, from, &wrap)?;
                    Ok(Some(true))
                };
                match one() {
                    Ok(Some(true)) => events_done += 1,
                    Ok(Some(false)) => skipped += 1,
                    Ok(None) => {}
                    Err(e) => failed.push(format!("{log} event {}: {e}", ev.seq)),
                }
            }
            if from_seq >= page.next {
                break;
            }
        }
    }
    for row in rows {
        let from = Epoch::new(row.epoch)?;
        if from != current {
            match keys
                .entry(from)
                .or_insert_with(|| intake_secret_for(keyring, from, me).ok())
            {
                Some(sk) => {
                    let done = (|| -> Result<(), Error> {
                        let bytes = client.fetch(session, row.id)?;
                        let wraps = rewrap_parts(&bytes, sk, Kind::Tip)?;
                        Ok(client.swap_wraps(session, row.id, from, &wraps)?)
                    })();
                    match done {
                        Ok(()) => tips_done += 1,
                        Err(e) => failed.push(format!("tip {}: {e}", row.id)),
                    }
                }
                None => skipped += 1,
            }
        }
        let entries = match client.thread(session, row.id) {
            Ok(entries) => entries,
            Err(e) => {
                failed.push(format!("the conversation of tip {}: {e}", row.id));
                continue;
            }
        };
        let mut each = |entry: &ThreadRow, bytes: &[u8]| -> Result<(), Error> {
            let first = if entry.kind == "reply" {
                Kind::Reply
            } else {
                Kind::Followup
            };
            // Ok(Some(true)): re-wrapped; Ok(Some(false)): no grant; Ok(None): current.
            let mut one = || -> Result<Option<bool>, Error> {
                let from = bundle_epoch(bytes, first)?;
                if from == current {
                    return Ok(None);
                }
                let Some(sk) = keys
                    .entry(from)
                    .or_insert_with(|| intake_secret_for(keyring, from, me).ok())
                else {
                    return Ok(Some(false));
                };
                let wraps = rewrap_parts(bytes, sk, first)?;
                client.swap_entry_wraps(session, row.id, entry.id, from, &wraps)?;
                Ok(Some(true))
            };
            match one() {
                Ok(Some(true)) => entries_done += 1,
                Ok(Some(false)) => skipped += 1,
                Ok(None) => {}
                Err(e) => failed.push(format!("tip {} entry {}: {e}", row.id, entry.id)),
            }
            Ok(())
        };
        // An entry that fails is counted and the walk goes on; a batch that cannot be
        // fetched ends this tip's conversation (the next run picks it up).
        if let Err(e) = super::entries::for_each_entry(client, session, row.id, &entries, &mut each)
        {
            failed.push(format!("the conversation of tip {}: {e}", row.id));
        }
    }
    Ok(RewrapReport {
        epoch: current,
        tips: tips_done,
        entries: entries_done,
        events: events_done,
        skipped,
        failed,
    })
}
