//! Storing a submitted tip: the one path shared by `POST /api/v1/tips` (bundles sealed
//! by the witness's client) and the witness page's no-JavaScript form (sealed here).
//!
//! Answer a retry by its idempotency key → parse the bundle → check epoch and flags →
//! append the named completed uploads, validated exactly like inline parts (from their
//! first bytes) and moved in a chunk at a time → insert →
//! consume the uploads → wait for the flush. Only sealed bytes arrive here; nothing about the sender is recorded.
//!
//! Threads: a small tip with no uploads ([`INLINE_MAX_BYTES`]) is written on the
//! request's own HTTP worker thread; anything else on the blocking pool, behind one of
//! the intake budget's storage turns. Either way the flush is awaited, never blocked on.
//! Must never: block an HTTP worker on a snapshot's write gate, or answer before the flush.

use std::collections::HashSet;

use actix_web::web::Bytes;
use actix_web::HttpRequest;

use super::in_flight;
use super::routes::mailbox;
use super::{ApiError, AppState};
use crate::crypto::keyring::VerifiedKeyring;
use crate::crypto::receipt::MailboxPublicKey;
use crate::crypto::{bulk_hash32, hash32, keyed_hash32, new_tip_id};
use crate::domain::bundle::{self, MAX_PARTS};
use crate::domain::envelope::{self, EnvelopeRef, Kind};
use crate::domain::limits::PART_FRAMING;
use crate::domain::{Day, Epoch, IdempotencyKey, TipId, UploadId};
use crate::storage::{
    ClaimedUpload, Idempotency, InsertOutcome, NewPart, NewTip, StorageError, Store, UploadError,
    UploadedPart,
};

/// Who sealed the bundle, which decides the flag its parts must carry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sealer {
    /// The witness's own client: the sealed-by-server flag must be clear.
    Witness,
    /// This server, on the no-JavaScript path: the flag must be set.
    Server,
}

/// A bundle to store.
pub(crate) struct Submission {
    /// The bundle bytes (part 0 and any inline attachments).
    pub body: Bytes,
    /// Completed uploads to append as further parts, in order.
    pub uploads: Vec<UploadId>,
    /// The client's idempotency key, if any.
    pub idempotency: Option<IdempotencyKey>,
    /// Who sealed it.
    pub sealer: Sealer,
    /// The witness's mailbox key (from the receipt), to register with the tip.
    pub mailbox: Option<MailboxPublicKey>,
}

/// A stored tip.
pub(crate) struct Stored {
    /// Its id (the witness's reference).
    pub id: TipId,
    /// The day it arrived.
    pub received: Day,
    /// False when an idempotent retry found the tip stored before.
    pub created: bool,
}

/// The header that names completed uploads to append to a submitted bundle.
pub(crate) const UPLOADS_HEADER: &str = "tipseal-uploads";

/// Parses `Tipseal-Uploads: id1,id2,…` (absent: none).
pub(crate) fn uploads_named_in(req: &HttpRequest) -> Result<Vec<UploadId>, ApiError> {
    let Some(value) = req.headers().get(UPLOADS_HEADER) else {
        return Ok(Vec::new());
    };
    let bad =
        ApiError::BadRequest("the Tipseal-Uploads header must list upload ids, comma-separated");
    let text = value.to_str().map_err(|_| bad)?;
    let ids = text
        .split(',')
        .map(|s| UploadId::parse(s.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    if ids.len() >= MAX_PARTS {
        return Err(ApiError::BadRequest("a tip has at most 32 attachments"));
    }
    // One upload named twice would store (and make a reviewer fetch) its bytes twice.
    let mut seen = HashSet::with_capacity(ids.len());
    if !ids.iter().all(|id| seen.insert(*id)) {
        return Err(ApiError::BadRequest(
            "the Tipseal-Uploads header names the same upload more than once; name each upload once",
        ));
    }
    Ok(ids)
}

/// Bytes the named uploads add to a tip (each envelope and its length field). Unknown
/// ids count nothing here: an idempotent retry names uploads its first try used up, and
/// [`store_bundle`] answers the rest. Refuses with 413 when they alone pass the whole-tip
/// cap.
pub(crate) async fn uploads_size(state: &AppState, ids: &[UploadId]) -> Result<usize, ApiError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let store = state.store.clone();
    let ids = ids.to_vec();
    let total = super::routes::blocking(move || {
        let mut total = 0u64;
        for id in ids {
            if let Some(status) = store.upload_status(id).map_err(upload_error)? {
                total = total.saturating_add(PART_FRAMING as u64 + status.length);
            }
        }
        Ok(total)
    })
    .await?;
    usize::try_from(total)
        .ok()
        .filter(|&t| t <= state.limits.max_tip_bytes)
        .ok_or(ApiError::TipTooLarge)
}

/// Bundles up to this size with no uploads named (every text tip: ~16.5 KB) are stored
/// on the request's own HTTP worker thread, not on the blocking pool.
///
/// Why: such a tip is a handful of sled writes of at most two 32 KiB chunks (tens of µs,
/// `storage::tips::insert`'s log-order path), and
/// the release profile showed the hops to the blocking pool and back — two per tip,
/// each a wake-up on another thread — costing more than the insert itself. Larger
/// bundles and uploads (read back from storage, up to 33 × 64 MiB) keep the pool, where
/// a long write stalls no other connection.
pub const INLINE_MAX_BYTES: usize = 64 * 1024;

/// Stores a bundle through the one path every tip takes, and waits until it is durable.
pub(crate) async fn store_bundle(state: &AppState, sub: Submission) -> Result<Stored, ApiError> {
    let keyring = state.keyring().ok_or(ApiError::NotAccepting)?;
    let current = keyring.epoch();
    let received = Day::today();
    let store = state.store.clone();
    // One try per key at a time: a retry racing its first try waits for it (bounded).
    let key_hash = sub
        .idempotency
        .as_ref()
        .map(|k| keyed_hash32(&store.pepper(), b"tipseal/idempotency/v1", k.as_bytes()));
    let turn = match key_hash {
        Some(h) => Some(in_flight::turn(h).await?),
        None => None,
    };
    let max_tip = state.limits.max_tip_bytes;
    // A small tip is stored right here, unless a snapshot holds the write gate (a backup
    // may take seconds: this thread serves other connections, so it must not wait).
    let (sub, turn) = if sub.uploads.is_empty() && sub.body.len() <= INLINE_MAX_BYTES {
        match store_small_now(state, &keyring, sub, turn, key_hash, received) {
            SmallTip::Stored(outcome) => return acknowledge(state, outcome?, received).await,
            SmallTip::HandedBack(sub, turn) => (sub, turn),
        }
    } else {
        (sub, turn)
    };
    // Storage work waits for a worker's turn (bounded by the intake budget's bytes);
    // the turn is dropped before the flush is awaited, so batches form behind it.
    let worker = state.intake.store_turn().await;
    let (sub, idempotency, answered) = {
        let store = store.clone();
        super::routes::blocking(move || {
            let (idempotency, answered) = check_retry(&store, &sub, key_hash)?;
            Ok((sub, idempotency, answered))
        })
        .await?
    };
    if let Some(outcome) = answered {
        drop(worker);
        return acknowledge(state, outcome, received).await;
    }
    refuse_if_expired(&keyring)?;
    state.disk.check()?;
    let uploads_size = uploads_size(state, &sub.uploads).await?;
    if sub.body.len().saturating_add(uploads_size) > max_tip {
        return Err(ApiError::TipTooLarge);
    }
    // The uploads are moved into the tip a chunk at a time, never read whole: what the
    // copy holds counts against the body budget.
    let copy_bytes = if sub.uploads.is_empty() {
        0
    } else {
        UPLOAD_COPY_BYTES
    };
    let _uploads_held = state
        .body_budget
        .try_reserve(copy_bytes)
        .ok_or(ApiError::Busy)?;
    let outcome = super::routes::blocking(move || {
        // Held until the insert ends, even if this request is dropped meanwhile.
        let _turn = turn;
        insert(&store, sub, idempotency, current, received, max_tip)
    })
    .await?;
    drop(worker);
    acknowledge(state, outcome, received).await
}

/// What became of a small tip offered to [`store_small_now`].
enum SmallTip {
    /// Stored (or answered as a retry, or refused): the outcome before the flush.
    Stored(Result<InsertOutcome, ApiError>),
    /// A snapshot holds the write gate: the submission and its idempotency turn go back,
    /// untouched, to the blocking path.
    HandedBack(Submission, Option<in_flight::Turn>),
}

/// Stores a small tip with no uploads on this thread, in the same order as the blocking
/// path: a retry is answered first, then expiry, disk floor, insert.
fn store_small_now(
    state: &AppState,
    keyring: &VerifiedKeyring,
    sub: Submission,
    turn: Option<in_flight::Turn>,
    key_hash: Option<[u8; 32]>,
    received: Day,
) -> SmallTip {
    let store = &state.store;
    // Held across the retry check and the insert, so storage does not take it again.
    let Some(_gate) = store.try_write_gate() else {
        return SmallTip::HandedBack(sub, turn);
    };
    let _turn = turn;
    SmallTip::Stored((|| {
        let (idempotency, answered) = check_retry(store, &sub, key_hash)?;
        if let Some(outcome) = answered {
            return Ok(outcome);
        }
        refuse_if_expired(keyring)?;
        state.disk.check()?;
        let max_tip = state.limits.max_tip_bytes;
        if sub.body.len() > max_tip {
            return Err(ApiError::TipTooLarge);
        }
        insert(store, sub, idempotency, keyring.epoch(), received, max_tip)
    })())
}

/// The submission's idempotency entry, and the answer to it if it is a retry of a tip
/// already stored (`Existing`, its mailbox registered again) or a conflict.
///
/// A retry is answered first — before the expiry and disk-floor checks, so a stored
/// tip's retry is never refused: the first try already used its uploads up (and
/// registered its mailbox), so checking those again would refuse it. It must carry the
/// first try's mailbox exactly (else 409): a replayed body and key with another
/// `Tipseal-Mailbox` must not attach the replayer's mailbox to the tip.
fn check_retry(
    store: &Store,
    sub: &Submission,
    key_hash: Option<[u8; 32]>,
) -> Result<(Option<Idempotency>, Option<InsertOutcome>), ApiError> {
    let mut idempotency = key_hash.map(|key_hash| Idempotency {
        key_hash,
        body_hash: hash_submission(sub, bulk_hash32, b"tipseal/bundle-hash/v2"),
        legacy_body_hash: None,
        mailbox: sub
            .mailbox
            .as_ref()
            .map(|pk| pk.peppered_hash(&store.pepper())),
    });
    let answered = match &mut idempotency {
        Some(idem) => match store.idempotent_outcome(idem) {
            // A retry of a tip an older release stored: its record holds BLAKE2b.
            Err(StorageError::LegacyBodyHash) => {
                idem.legacy_body_hash =
                    Some(hash_submission(sub, hash32, b"tipseal/bundle-hash/v1"));
                store.idempotent_outcome(idem)?
            }
            other => other?,
        },
        None => None,
    };
    if let Some(outcome @ InsertOutcome::Existing(_)) = &answered {
        // The very mailbox the record holds (or none): a no-op, except after a crash
        // between the first try's insert and its registration.
        mailbox::register(store, outcome, sub.mailbox.as_ref())?;
    }
    Ok((idempotency, answered))
}

/// The hash of a submission for its idempotency record: the bundle, then the upload ids
/// it names. A text tip names no uploads: its one part is hashed without building a list.
fn hash_submission(
    sub: &Submission,
    hash: fn(&[u8], &[&[u8]]) -> [u8; 32],
    domain: &[u8],
) -> [u8; 32] {
    if sub.uploads.is_empty() {
        return hash(domain, &[&sub.body]);
    }
    let mut hashed: Vec<&[u8]> = Vec::with_capacity(1 + sub.uploads.len());
    hashed.push(&sub.body);
    hashed.extend(sub.uploads.iter().map(|u| &u.as_bytes()[..]));
    hash(domain, &hashed)
}

/// Parses the bundle, checks epoch, flags and parts, appends the named uploads, inserts
/// the tip and registers its mailbox. Blocks on storage; does not flush.
fn insert(
    store: &Store,
    sub: Submission,
    idempotency: Option<Idempotency>,
    current: Epoch,
    received: Day,
    max_tip: usize,
) -> Result<InsertOutcome, ApiError> {
    let parsed = bundle::parse(&sub.body)?;
    if parsed.epoch() != current {
        return Err(ApiError::WrongEpoch {
            got: parsed.epoch().get(),
            current: current.get(),
        });
    }
    match (sub.sealer, parsed.flags().sealed_by_server()) {
        (Sealer::Witness, true) => {
            return Err(ApiError::BadRequest(
                "a client may not mark its own tip as sealed by the server",
            ))
        }
        (Sealer::Server, false) => return Err(ApiError::Internal("server seal without flag")),
        _ => {}
    }
    if parsed.parts().len() + sub.uploads.len() > MAX_PARTS {
        return Err(ApiError::BadRequest("a tip has at most 32 attachments"));
    }
    let claim = store.take_completed(&sub.uploads).map_err(upload_error)?;
    // The exact size as stored and fetched; uploads cannot change once complete, but
    // the check must not rest on that.
    let whole = claim.uploads.iter().fold(sub.body.len(), |n, u| {
        n.saturating_add(PART_FRAMING)
            .saturating_add(usize::try_from(u.length).unwrap_or(usize::MAX))
    });
    if whole > max_tip {
        return Err(ApiError::TipTooLarge);
    }
    let parts: Vec<EnvelopeRef<'_>> = parsed.parts().to_vec();
    let uploaded = claim
        .uploads
        .iter()
        .map(|u| check_upload(u, &parsed))
        .collect::<Result<Vec<_>, _>>()?;
    let wraps: Vec<[u8; 84]> = parts.iter().map(|p| p.wrap.encode()).collect();
    let new = NewTip {
        id: new_tip_id(received),
        received,
        epoch: current,
        flags: parsed.flags().bits(),
        parts: parts
            .iter()
            .zip(&wraps)
            .map(|(p, w)| NewPart::of_envelope(p, w))
            .collect(),
        idempotency,
    };
    mailbox::check_free(store, sub.mailbox.as_ref())?;
    // Each upload's bytes are moved into the tip a chunk at a time.
    let outcome = store.insert_tip_with_uploads(new, &claim, &uploaded)?;
    // The mailbox entry is written after its tip and before the flush.
    mailbox::register(store, &outcome, sub.mailbox.as_ref())?;
    // Only a new tip uses the uploads up; otherwise the claim's drop gives them back.
    if matches!(outcome, InsertOutcome::Created(_)) {
        claim.consume()?;
    }
    Ok(outcome)
}

/// Bytes of an upload a tip's insert holds at once: one upload chunk and one tip chunk
/// (`storage::tips::attach`), charged to the body budget while it runs.
const UPLOAD_COPY_BYTES: usize = 2 * crate::storage::CHUNK_LEN;

/// Checks a claimed upload as an attachment of `parsed`'s tip from its first bytes and
/// length — the checks, and the errors, an inline attachment gets — and names what the
/// insert must find when it copies the rest.
fn check_upload(
    upload: &ClaimedUpload,
    parsed: &bundle::Bundle<'_>,
) -> Result<UploadedPart, ApiError> {
    let (header, wrap) = envelope::parse_prefix(&upload.start, upload.length)?;
    let tip = parsed.tip();
    if header.kind != Kind::Attachment {
        return Err(ApiError::BadInput(crate::domain::DomainError::Bundle(
            "every part after the first must be an attachment",
        )));
    }
    if wrap.epoch != tip.wrap.epoch || header.flags != tip.header.flags {
        return Err(ApiError::BadInput(crate::domain::DomainError::Bundle(
            "an uploaded part carries a different key epoch or flags",
        )));
    }
    let mut header_bytes = [0u8; envelope::HEADER_LEN];
    header_bytes.copy_from_slice(&upload.start[..envelope::HEADER_LEN]);
    Ok(UploadedPart {
        upload: upload.id,
        length: upload.length,
        header: header_bytes,
        wrap: wrap.encode(),
    })
}

/// The answer to a stored (or found) tip, once it is on disk.
async fn acknowledge(
    state: &AppState,
    outcome: InsertOutcome,
    received: Day,
) -> Result<Stored, ApiError> {
    let (id, created) = match outcome {
        InsertOutcome::Created(id) => (id, true),
        InsertOutcome::Existing(id) => (id, false),
        InsertOutcome::Conflict => return Err(ApiError::IdempotencyConflict),
    };
    // Nothing is acknowledged before it is on disk.
    state.store.durable().await?;
    Ok(Stored {
        id,
        received,
        created,
    })
}

/// No tip is sealed to an expired epoch: 503 with Retry-After. Logs nothing: the
/// admin's "keyring expired" line comes from the notice timer (`watch`), so no log line
/// marks a witness's attempt.
pub(crate) fn refuse_if_expired(keyring: &VerifiedKeyring) -> Result<(), ApiError> {
    if keyring.is_expired(Day::today()) {
        return Err(ApiError::KeyringExpired);
    }
    Ok(())
}

/// Unknown, expired, claimed and incomplete uploads look the same to the client.
pub(crate) fn upload_error(e: UploadError) -> ApiError {
    match e {
        UploadError::Storage(s) => ApiError::Storage(s),
        _ => ApiError::BadRequest("an upload named in Tipseal-Uploads is unknown or incomplete"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testutil::{insert_small_tip, rewrite_idempotency_as_legacy, temp_store};

    fn submission(body: &'static [u8]) -> Submission {
        Submission {
            body: Bytes::from_static(body),
            uploads: vec![],
            idempotency: None,
            sealer: Sealer::Witness,
            mailbox: None,
        }
    }

    /// A witness whose first try reached an older release (BLAKE2b records) and whose
    /// retry reaches this one must get their tip's id back, not a conflict.
    #[test]
    fn a_retry_of_a_tip_an_older_release_stored_is_still_answered() {
        crate::crypto::init().unwrap();
        let (_dir, store) = temp_store();
        let sub = submission(b"the sealed bundle as the witness sent it");
        let key = Some([3; 32]);
        let (idem, answered) = check_retry(&store, &sub, key).unwrap();
        assert!(answered.is_none(), "a first try");
        let id = TipId::from_bytes([9; 16]);
        insert_small_tip(&store, id, b"body", idem);
        let retry = |sub: &Submission| check_retry(&store, sub, key).unwrap().1;
        assert_eq!(retry(&sub), Some(InsertOutcome::Existing(id)));

        // What the previous release stored for it: BLAKE2b of exactly these bytes.
        let old_hash = hash32(b"tipseal/bundle-hash/v1", &[&sub.body]);
        rewrite_idempotency_as_legacy(&store, [3; 32], old_hash);
        assert_eq!(retry(&sub), Some(InsertOutcome::Existing(id)));
        assert_eq!(
            retry(&submission(b"another bundle under the same key")),
            Some(InsertOutcome::Conflict)
        );
    }
}
