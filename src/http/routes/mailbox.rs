//! The witness's mailbox: login with a receipt-derived key, read replies, add messages.
//!
//! The server keeps only `keyed BLAKE2b(pepper, mailbox_pk) → tip id`. Login signs a
//! single-use 60 s challenge. Every login does the same work whatever the outcome — one
//! tree lookup and one full Ed25519 verification — and every failure is the same 401,
//! so an unknown receipt, a wrong receipt and a forged signature are indistinguishable in
//! status, body and time. Nothing a witness does is written to the audit chain or logged
//! beyond the access log's route and status.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::body::{read_body, Json};
use super::super::sessions::{CHALLENGE_TTL, WITNESS_IDLE};
use super::super::{ApiError, AppState};
use super::auth::bearer;
use crate::crypto::auth::SessionToken;
use crate::crypto::receipt::{MailboxPublicKey, ReceiptKeys};
use crate::crypto::{b64_decode, b64_encode};
use crate::domain::bundle;
use crate::domain::envelope::Kind;
use crate::domain::{Day, TipId};
use crate::storage::{InsertOutcome, Reader, StorageError, Store, ThreadEntry, ThreadKind};

/// The request header that registers a mailbox with a tip submission.
pub const MAILBOX_HEADER: &str = "tipseal-mailbox";

/// What happens to the witness's copy of a reply once the witness has fetched it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReplyRetention {
    /// Kept until the tip is deleted.
    #[default]
    Keep,
    /// Deleted from the mailbox as soon as it has been sent to the witness (the
    /// reviewers' copy stays).
    DeleteAfterRead,
}

impl ReplyRetention {
    /// Parses `keep` or `delete-after-read` (or `delete_after_read`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "keep" => Some(Self::Keep),
            "delete-after-read" | "delete_after_read" => Some(Self::DeleteAfterRead),
            _ => None,
        }
    }

    /// The JSON form shown to the witness.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Keep => "keep",
            Self::DeleteAfterRead => "delete_after_read",
        }
    }
}

/// A key no receipt derives: verified against when a presented key does not parse, so
/// the work is the same. (Its signatures never verify: nobody holds its secret.)
const DUMMY_PK: [u8; 32] = [
    0x3b, 0x6a, 0x27, 0xbc, 0xce, 0xb6, 0xa4, 0x2d, 0x62, 0xa3, 0xa8, 0xd0, 0x2a, 0x6f, 0x0d, 0x73,
    0x65, 0x32, 0x15, 0x77, 0x1d, 0xe2, 0x43, 0xa6, 0x3a, 0xc0, 0x48, 0xa1, 0x8b, 0x59, 0xda, 0x29,
];

// ---------------------------------------------------------------------------------------
// Registration on submit (a hook called from `tips::submit`).

/// The `Tipseal-Mailbox` header of a submission, if any; 400 if malformed.
pub fn mailbox_header(req: &HttpRequest) -> Result<Option<MailboxPublicKey>, ApiError> {
    let Some(v) = req.headers().get(MAILBOX_HEADER) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .and_then(MailboxPublicKey::from_b64)
        .map(Some)
        .ok_or(ApiError::BadRequest(
            "the Tipseal-Mailbox header must be 32 bytes of base64url",
        ))
}

/// Before a tip is stored: refuses a mailbox key already registered (409).
pub fn check_free(store: &Store, pk: Option<&MailboxPublicKey>) -> Result<(), ApiError> {
    match pk {
        Some(pk) if store.mailbox_taken(&pk.peppered_hash(&store.pepper()))? => {
            Err(ApiError::Conflict)
        }
        _ => Ok(()),
    }
}

/// After the tip's insert and before `durable()`: registers its mailbox.
pub fn register(
    store: &Store,
    outcome: &InsertOutcome,
    pk: Option<&MailboxPublicKey>,
) -> Result<(), ApiError> {
    let (Some(pk), InsertOutcome::Created(id) | InsertOutcome::Existing(id)) = (pk, outcome) else {
        return Ok(());
    };
    if store.register_mailbox(&pk.peppered_hash(&store.pepper()), *id)? {
        Ok(())
    } else {
        // Raced with another submission carrying the same key: the tip is stored, its
        // mailbox belongs to the other one. 128-bit receipts make this a client bug.
        Err(ApiError::Conflict)
    }
}

// ---------------------------------------------------------------------------------------
// Login.

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MailboxLoginRequest)]
pub(crate) struct LoginRequest {
    /// The receipt's mailbox public key, base64url.
    mailbox_pk: String,
    /// The challenge from `POST /api/v1/mailbox/challenge`, base64url.
    challenge: String,
    /// Base64url Ed25519 signature of the challenge by the receipt's mailbox key.
    signature: String,
}

/// `POST /api/v1/mailbox/challenge`: stateless, so it never fails and stores nothing.
#[utoipa::path(
    post,
    path = "/api/v1/mailbox/challenge",
    operation_id = "mailbox_challenge",
    tag = "witness",
    responses(
        (status = 200, description = "A single-use challenge.", body = crate::http::openapi::Challenge),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn challenge(state: web::Data<AppState>) -> HttpResponse {
    let c = state.witnesses.issue_challenge();
    HttpResponse::Ok().json(serde_json::json!({
        "challenge": c.to_b64(),
        "expires_in": CHALLENGE_TTL.as_secs(),
    }))
}

/// `POST /api/v1/mailbox/session`.
#[utoipa::path(
    post,
    path = "/api/v1/mailbox/session",
    operation_id = "mailbox_login",
    tag = "witness",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in to the mailbox.", body = crate::http::openapi::WitnessSession),
        (status = 400, description = "The JSON body is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "Unknown or wrong receipt, used or expired challenge, or a bad signature: one answer for all.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn login(
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let tip = authenticate_witness(&state.store, &state.witnesses, &state.rate, &body)?;
    let (token, hash) = SessionToken::generate();
    state.witnesses.start(hash, tip);
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "token": token.expose_secret(),
        "expires_in": WITNESS_IDLE.as_secs(),
    })))
}

/// The work of a login, the same for every input: check the challenge, look the key's
/// hash up, verify the signature; decide only at the end. Any failure is 401. Only a
/// login that succeeds spends its challenge, and then its mailbox's own budget pays (so
/// logins to one mailbox never spend another's); a replayed challenge is a 401.
pub(crate) fn authenticate_witness(
    store: &Store,
    witnesses: &super::super::sessions::WitnessSessions,
    rate: &super::super::rate::RateLimits,
    body: &LoginRequest,
) -> Result<TipId, ApiError> {
    let challenge: Option<[u8; 32]> = b64_decode(&body.challenge).and_then(|v| v.try_into().ok());
    let ticket = challenge.and_then(|c| witnesses.check_challenge(&c));
    let pk_parsed = MailboxPublicKey::from_b64(&body.mailbox_pk);
    let pk_ok = pk_parsed.is_some();
    let pk = pk_parsed.unwrap_or_else(|| {
        MailboxPublicKey::from_b64(&b64_encode(&DUMMY_PK)).expect("the dummy key is 32 bytes")
    });
    let tip = store.mailbox_tip(&pk.peppered_hash(&store.pepper()))?;
    let sig_ok = pk.verify_login(&challenge.unwrap_or([0; 32]), &body.signature);
    match (tip, ticket) {
        (Some(tip), Some(ticket)) if pk_ok & sig_ok => {
            rate.charge_mailbox(tip)?;
            if witnesses.spend(ticket) {
                Ok(tip)
            } else {
                Err(ApiError::Unauthorized)
            }
        }
        _ => Err(ApiError::Unauthorized),
    }
}

/// `DELETE /api/v1/mailbox/session`.
#[utoipa::path(
    delete,
    path = "/api/v1/mailbox/session",
    operation_id = "mailbox_logout",
    tag = "witness",
    security((), ("witness" = [])),
    responses((status = 204, description = "The session, if any, has ended.")),
)]
pub async fn logout(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(hash) = bearer(&req) {
        state.witnesses.end(&hash);
    }
    HttpResponse::NoContent().finish()
}

/// A request from a witness logged in to the mailbox of this tip. Looked up only in the
/// witness table: a reviewer's token is not a witness's, and the reverse.
pub struct Witness(pub TipId);

impl FromRequest for Witness {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let tip = req
            .app_data::<web::Data<AppState>>()
            .and_then(|state| state.witnesses.touch(&bearer(req)?));
        std::future::ready(tip.map(Witness).ok_or(ApiError::Unauthorized))
    }
}

// ---------------------------------------------------------------------------------------
// Reading and writing.

/// `GET /api/v1/mailbox`: the witness's copies of replies, the copies of their own
/// follow-ups, and the retention in force. Both lists carry the conversation's seq as
/// `id`, so a client merges them into the conversation's order.
#[utoipa::path(
    get,
    path = "/api/v1/mailbox",
    operation_id = "read_mailbox",
    tag = "witness",
    security(("witness" = [])),
    responses(
        (status = 200, description = "The replies and the witness's own follow-ups (those sent with a copy), each oldest first.", body = crate::http::openapi::Mailbox),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
    ),
)]
pub async fn read(w: Witness, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let retention = state.reply_retention;
    let entries = witness_entries(&state, w.0).await?;
    let of_kind = |kind: ThreadKind| -> Vec<serde_json::Value> {
        entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| {
                serde_json::json!({
                    "id": e.seq,
                    "received": e.received,
                    "bundle": b64_encode(&e.bundle),
                })
            })
            .collect()
    };
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "replies": of_kind(ThreadKind::Reply),
        "followups": of_kind(ThreadKind::Followup),
        "retention": retention.as_str(),
    })))
}

/// The witness's copies of the conversation of `tip` (replies and their own follow-ups,
/// in order), applying the retention in force (also used by the no-JavaScript mailbox
/// page).
pub(crate) async fn witness_entries(
    state: &AppState,
    tip: TipId,
) -> Result<Vec<ThreadEntry>, ApiError> {
    let store = state.store.clone();
    let retention = state.reply_retention;
    let entries = super::blocking(move || {
        let entries = store.load_thread(tip, Reader::Witness)?;
        if retention == ReplyRetention::DeleteAfterRead && !entries.is_empty() {
            let seqs: Vec<u32> = entries.iter().map(|e| e.seq).collect();
            store.delete_witness_copies(tip, &seqs)?;
        }
        Ok(entries)
    })
    .await?;
    if retention == ReplyRetention::DeleteAfterRead && !entries.is_empty() {
        state.store.durable().await?;
    }
    Ok(entries)
}

/// The no-JavaScript mailbox page's login: the same challenge, lookup and verification
/// as `POST /api/v1/mailbox/session` (so the same work and the same answer for an
/// unknown and a wrong receipt), with the keys held for one request. No session starts.
pub(crate) fn login_with_keys(state: &AppState, keys: &ReceiptKeys) -> Result<TipId, ApiError> {
    let c = state.witnesses.issue_challenge();
    let body = LoginRequest {
        mailbox_pk: keys.mailbox_pk_b64(),
        challenge: c.to_b64(),
        signature: keys.sign_mailbox_login(c.as_bytes()),
    };
    authenticate_witness(&state.store, &state.witnesses, &state.rate, &body)
}

/// Stores a follow-up the server sealed for the no-JavaScript mailbox page (the
/// sealed-by-server flag set, to the current epoch), with the witness's own copy of it
/// (one follow-up envelope sealed to their reply key, same epoch label and flags), and
/// waits until it is durable.
pub(crate) async fn store_server_followup(
    state: &AppState,
    tip: TipId,
    body: Vec<u8>,
    own_copy: Vec<u8>,
) -> Result<u32, ApiError> {
    let keyring = state.keyring().ok_or(ApiError::NotAccepting)?;
    crate::http::intake::refuse_if_expired(&keyring)?;
    let current = keyring.epoch();
    let store = state.store.clone();
    let seq = super::blocking(move || {
        let parsed = bundle::parse_with_kinds(&body, |i| {
            if i == 0 {
                Kind::Followup
            } else {
                Kind::Attachment
            }
        })?;
        if parsed.epoch() != current || !parsed.flags().sealed_by_server() {
            return Err(ApiError::Internal("a server-sealed follow-up is malformed"));
        }
        let own = bundle::encode(&[&own_copy]);
        store
            .append_thread(tip, ThreadKind::Followup, Day::today(), Some(&own), &body)
            .map_err(thread_error)
    })
    .await?;
    state.store.durable().await?;
    Ok(seq)
}

/// `POST /api/v1/mailbox/messages`: a follow-up bundle (kind follow-up, then
/// attachments), sealed to the current epoch, optionally ending with the witness's own
/// copy (see [`split_followup`]).
#[utoipa::path(
    post,
    path = "/api/v1/mailbox/messages",
    tag = "witness",
    security(("witness" = [])),
    request_body(content = crate::http::openapi::SealedBundle, content_type = "application/octet-stream", description = "A follow-up envelope, then attachments, sealed to the current epoch; optionally a last part of kind follow-up: the witness's own copy of the message, sealed to their reply key (docs/followup.md)."),
    responses(
        (status = 201, description = "Stored and flushed.", body = crate::http::openapi::EntryCreated),
        (status = 400, description = "Not a well-formed follow-up bundle, or a wrong epoch.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 404, description = "The tip no longer exists.", body = crate::http::openapi::ErrorBody),
        (status = 408, description = "The body did not arrive in time.", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The conversation is full.", body = crate::http::openapi::ErrorBody),
        (status = 413, description = "The body is larger than allowed.", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
        (status = 507, description = "The server is low on disk space: nothing was stored.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn add_message(
    w: Witness,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let keyring = state.keyring().ok_or(ApiError::NotAccepting)?;
    crate::http::intake::refuse_if_expired(&keyring)?;
    state.disk.check()?;
    let read = read_body(&req, payload, &state, state.limits.max_body_bytes).await?;
    // The slot only once the bytes are here: a slow body holds none.
    let _slot = state
        .intake_slots
        .try_acquire()
        .map_err(|_| ApiError::Busy)?;
    let (body, _held) = (read.bytes, read.held);
    let current = keyring.epoch();
    let store = state.store.clone();
    let tip = w.0;
    let seq = super::blocking(move || {
        let copies = split_followup(&body, current)?;
        let (reviewers, own) = match &copies {
            Some(c) => (&c.reviewers[..], Some(&c.own[..])),
            None => (&body[..], None),
        };
        store
            .append_thread(tip, ThreadKind::Followup, Day::today(), own, reviewers)
            .map_err(thread_error)
    })
    .await?;
    state.store.durable().await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": seq })))
}

/// A follow-up upload, checked and split into what is stored: the reviewers' copy and
/// the witness's own copy, if any. The upload is a bundle of a follow-up envelope, its
/// attachments, and optionally, as its last part, a second follow-up envelope: the
/// witness's copy of the message, sealed to their own reply key (the server cannot open
/// it, nor tell to what it is sealed). With a copy, the answer is both copies, each a
/// bundle; without (older clients), `None`: the upload itself is the reviewers' copy.
pub(crate) fn split_followup(
    body: &[u8],
    current: crate::domain::Epoch,
) -> Result<Option<FollowupCopies>, ApiError> {
    // The part count is byte 5 of the bundle framing (docs/envelope.md); parsing checks
    // the framing whole, whichever layout is tried.
    let count = body.get(5).map_or(0, |&c| usize::from(c));
    let with_copy = (count >= 2)
        .then(|| {
            bundle::parse_with_kinds(body, |i| {
                if i == 0 || i + 1 == count {
                    Kind::Followup
                } else {
                    Kind::Attachment
                }
            })
            .ok()
        })
        .flatten();
    let Some(parsed) = with_copy else {
        let parsed = bundle::parse_with_kinds(body, |i| {
            if i == 0 {
                Kind::Followup
            } else {
                Kind::Attachment
            }
        })?;
        check_sealed_to(&parsed, current)?;
        return Ok(None);
    };
    check_sealed_to(&parsed, current)?;
    let parts: Vec<&[u8]> = parsed.parts().iter().map(|p| p.bytes).collect();
    let (own, reviewers) = parts.split_last().expect("at least two parts");
    Ok(Some(FollowupCopies {
        reviewers: bundle::encode(reviewers),
        own: bundle::encode(&[own]),
    }))
}

/// The two stored copies of a follow-up sent with the witness's own copy.
pub(crate) struct FollowupCopies {
    /// The follow-up and its files, sealed to an epoch.
    pub reviewers: Vec<u8>,
    /// The follow-up alone, sealed to the witness's reply key, as a one-part bundle.
    pub own: Vec<u8>,
}

/// A conversation bundle must be sealed to the current epoch by a client.
pub(crate) fn check_sealed_to(
    parsed: &bundle::Bundle<'_>,
    current: crate::domain::Epoch,
) -> Result<(), ApiError> {
    if parsed.epoch() != current {
        return Err(ApiError::WrongEpoch {
            got: parsed.epoch().get(),
            current: current.get(),
        });
    }
    if parsed.flags().sealed_by_server() {
        return Err(ApiError::BadRequest(
            "a client may not mark its own message as sealed by the server",
        ));
    }
    Ok(())
}

/// Storage refusals of a conversation write, as HTTP answers.
pub(crate) fn thread_error(e: StorageError) -> ApiError {
    match e {
        StorageError::Invalid("no such tip") => ApiError::NotFound,
        StorageError::ConversationFull => ApiError::ConversationFull,
        StorageError::Invalid(_) => ApiError::Conflict,
        other => ApiError::Storage(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::receipt::Receipt;
    use crate::domain::Epoch;
    use crate::http::sessions::WitnessSessions;

    fn store_with_mailbox(pk_b64: &str) -> (tempfile::TempDir, Store) {
        crate::crypto::init().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), [5; 32]).unwrap();
        let id = TipId::from_bytes([1; 16]);
        crate::storage::testutil::insert_small_tip(&store, id, b"x", None);
        let pk = MailboxPublicKey::from_b64(pk_b64).unwrap();
        assert!(store
            .register_mailbox(&pk.peppered_hash(&store.pepper()), id)
            .unwrap());
        (dir, store)
    }

    fn login_body(keys: &crate::crypto::receipt::ReceiptKeys, c: &[u8; 32]) -> LoginRequest {
        LoginRequest {
            mailbox_pk: keys.mailbox_pk_b64(),
            challenge: b64_encode(c),
            signature: keys.sign_mailbox_login(c),
        }
    }

    #[test]
    fn only_the_right_receipt_with_a_fresh_challenge_logs_in() {
        let keys = Receipt::generate().keys();
        let (_d, store) = store_with_mailbox(&keys.mailbox_pk_b64());
        let w = WitnessSessions::default();
        let rate = crate::http::rate::RateLimits::unlimited();
        let c = *w.issue_challenge().as_bytes();
        let body = login_body(&keys, &c);
        assert!(authenticate_witness(&store, &w, &rate, &body).is_ok());
        assert!(matches!(
            authenticate_witness(&store, &w, &rate, &body),
            Err(ApiError::Unauthorized)
        ));
        let c = *w.issue_challenge().as_bytes();
        let other = Receipt::generate().keys();
        assert!(authenticate_witness(&store, &w, &rate, &login_body(&other, &c)).is_err());
    }

    #[test]
    fn a_follow_up_upload_splits_into_the_reviewers_copy_and_the_witnesss_own() {
        use crate::crypto::envelope::{open, seal};
        use crate::domain::envelope::Flags;
        crate::crypto::init().unwrap();
        let (team_pk, team_sk) = crate::crypto::intake::generate();
        let (own_pk, own_sk) = crate::crypto::intake::generate();
        let e = Epoch::FIRST;
        let f = |to| seal(b"the message", Kind::Followup, Flags::NONE, e, to).unwrap();
        let a = seal(b"a file", Kind::Attachment, Flags::NONE, e, &team_pk).unwrap();
        let (head, copy) = (f(&team_pk), f(&own_pk));

        // An older client: no copy, the upload is stored as it is.
        let old = bundle::encode(&[&head, &a]);
        assert!(matches!(split_followup(&old, e), Ok(None)));
        let lone = bundle::encode(&[&head]);
        assert!(matches!(split_followup(&lone, e), Ok(None)));

        // With a copy: the reviewers get the follow-up and its file, the witness the copy.
        let new = bundle::encode(&[&head, &a, &copy]);
        let FollowupCopies {
            reviewers: team,
            own,
        } = split_followup(&new, e).unwrap().expect("a copy was sent");
        assert_eq!(team, old);
        let own = bundle::parse_with_kinds(&own, |_| Kind::Followup).unwrap();
        assert_eq!(own.parts().len(), 1);
        assert_eq!(
            &open(own.parts()[0].bytes, &own_sk).unwrap().plaintext[..],
            b"the message"
        );
        assert!(open(own.parts()[0].bytes, &team_sk).is_err());
        let just_copy = bundle::encode(&[&head, &copy]);
        assert!(matches!(split_followup(&just_copy, e), Ok(Some(_))));

        // A copy anywhere but last, or a wrong epoch, is refused.
        assert!(split_followup(&bundle::encode(&[&head, &copy, &a]), e).is_err());
        assert!(matches!(
            split_followup(&new, Epoch::FIRST.next().unwrap()),
            Err(ApiError::WrongEpoch { .. })
        ));
    }

    /// Prints the cost of one mailbox login's handler work (challenge, lookup,
    /// verification) in a tight single-threaded loop, where wall time is CPU time. Run
    /// with `--nocapture` to see the figure; `tests/mailbox_timing.rs` measures the whole
    /// request's CPU time on the running server.
    #[test]
    fn measure_the_cpu_cost_of_a_mailbox_login() {
        let keys = Receipt::generate().keys();
        let (_d, store) = store_with_mailbox(&keys.mailbox_pk_b64());
        let w = WitnessSessions::default();
        let rate = crate::http::rate::RateLimits::unlimited();
        const N: u32 = 2_000;
        let bodies: Vec<(LoginRequest, bool)> = (0..N)
            .map(|i| {
                let c = *w.issue_challenge().as_bytes();
                let mut b = login_body(&keys, &c);
                if i % 2 == 1 {
                    b.signature = b64_encode(&[7u8; 64]);
                }
                (b, i % 2 == 0)
            })
            .collect();
        let before = std::time::Instant::now();
        for (b, good) in &bodies {
            assert_eq!(authenticate_witness(&store, &w, &rate, b).is_ok(), *good);
        }
        let per_login = before.elapsed().as_secs_f64() * 1e6 / f64::from(N);
        println!("mailbox login: {per_login:.1} µs per login (handler work, one thread, N = {N})");
        assert!(per_login < 5_000.0);
    }
}
