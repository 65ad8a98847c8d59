//! A small blocking HTTP client for the tipseal API, shared by every face (witness,
//! reviewer, admin).
//!
//! It only ever sends sealed bytes, signatures and public data. Errors from the server
//! are surfaced with their JSON sentence.

use std::io::Read;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::crypto::auth::sign_login;
use crate::crypto::identity::Identity;
use crate::crypto::keyring::{verify_chain, VerifiedKeyring};
use crate::crypto::receipt::ReceiptKeys;
use crate::crypto::{CryptoError, KeyringProblem};
use crate::domain::keyring::KeyringFile;
use crate::domain::{Epoch, KeyId, TipId};

use super::Error;

/// Largest response a client reads: the whole-tip cap the server enforces, so every
/// stored tip can be fetched (`docs/limits.md`).
const MAX_RESPONSE: u64 = crate::domain::limits::MAX_TIP_BYTES as u64;

/// How often a request refused with 429 is tried again (after its `Retry-After`).
const RATE_LIMIT_RETRIES: u32 = 3;
/// The longest `Retry-After` a client waits out before retrying.
const MAX_RETRY_AFTER_SECS: u64 = 30;

/// A connection to one tipseal server.
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

/// A logged-in reviewer or admin session.
pub struct Session {
    token: String,
}

/// One row of `GET /api/v1/tips`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct TipRow {
    /// Tip id.
    pub id: TipId,
    /// Day received (UTC).
    pub received: String,
    /// Key epoch its wraps are sealed to.
    pub epoch: u32,
    /// Sealed by the server (no-JavaScript path) rather than the witness's client.
    pub sealed_by_server: bool,
    /// Stored size in bytes.
    pub size: u64,
    /// Envelopes: the tip plus attachments.
    pub parts: u16,
    /// Entries in the tip's conversation (0 from a server older than this field).
    #[serde(default)]
    pub entries: u32,
}

/// Rows asked for per listing page: the server's cap, so a walk takes the fewest requests.
pub const LIST_PAGE: usize = 1000;

/// One page of `GET /api/v1/tips`.
#[derive(Debug, Clone, Deserialize)]
pub struct TipPage {
    /// Rows in the server's index order: by received day, random within a day.
    pub tips: Vec<TipRow>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<TipId>,
}

/// A witness's mailbox session. The token is wiped on drop.
pub struct WitnessSession {
    token: zeroize::Zeroizing<String>,
}

/// One entry of `GET /api/v1/tips/{id}/thread`.
#[derive(Debug, Clone, Deserialize)]
pub struct ThreadRow {
    /// Position in the conversation.
    pub id: u32,
    /// `followup` or `reply`.
    pub kind: String,
    /// Day received.
    pub received: String,
    /// Length of the sealed bundle (reviewers' copy): fetch it with
    /// [`Client::thread_entry`].
    pub size: u64,
}

#[derive(Deserialize)]
struct ThreadList {
    entries: Vec<ThreadRow>,
}

/// `GET /api/v1/mailbox`.
#[derive(Debug, Clone, Deserialize)]
pub struct MailboxView {
    /// Replies, oldest first.
    pub replies: Vec<MailboxReply>,
    /// The witness's own follow-ups (their copies), oldest first; absent from servers
    /// older than these copies.
    #[serde(default)]
    pub followups: Vec<MailboxReply>,
    /// `keep` or `delete_after_read`.
    pub retention: String,
}

/// One entry in the mailbox: a reply, or the witness's copy of their own follow-up.
#[derive(Debug, Clone, Deserialize)]
pub struct MailboxReply {
    /// Position in the conversation.
    pub id: u32,
    /// Day received.
    pub received: String,
    /// Base64url of the sealed bundle (witness's copy).
    pub bundle: String,
}

/// What the server answers to a submission.
#[derive(Debug, Clone, Deserialize)]
pub struct Receipt {
    /// The tip's reference.
    pub id: TipId,
    /// Day received.
    pub received: String,
}

impl Client {
    /// A client for `server` (e.g. `http://127.0.0.1:8080`), optionally through a proxy
    /// such as `socks5h://127.0.0.1:9050` for Tor (`client::net`: the proxy is handed the
    /// server's hostname, never an address resolved here).
    pub fn new(server: &str, proxy: Option<&str>) -> Result<Self, Error> {
        let base = super::net::server_base(server)?;
        // One constant User-Agent for every witness: it tells the server nothing (ureq's
        // default would name its version).
        let mut b = ureq::AgentBuilder::new()
            .user_agent("tipseal")
            .timeout(Duration::from_secs(600));
        match proxy.map(super::net::proxy).transpose()? {
            // ureq 2 runs a SOCKS handshake that has a connect deadline on a helper thread
            // and waits on a condvar without checking whether the thread already finished:
            // a handshake quicker than the wait's start stalls the request for the whole
            // connect timeout, and the server drops the connection meanwhile (408; seen
            // in `tests/proxy.rs` under load). A connect timeout too long to become a
            // deadline (`Instant + Duration::MAX` overflows, ureq then sets none) takes
            // the plain path. Reads and writes keep the 600 s deadline; Tor itself gives
            // up on a circuit that never opens.
            Some(p) => b = b.proxy(p).timeout_connect(Duration::MAX),
            None => b = b.timeout_connect(Duration::from_secs(30)),
        }
        Ok(Self {
            base,
            agent: b.build(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }

    /// Fetches and verifies the keyring chain.
    pub fn keyring(&self) -> Result<VerifiedKeyring, Error> {
        self.keyring_pinned(None)
    }

    /// Fetches and verifies the keyring chain; with `pins`, its genesis must be signed
    /// by exactly those admins (`crypto::keyring::verify_chain`).
    pub fn keyring_pinned(&self, pins: Option<&[KeyId]>) -> Result<VerifiedKeyring, Error> {
        let bytes = self.call(self.agent.get(&self.url("/keyring")), None)?;
        let file = KeyringFile::from_json(&bytes)?;
        verify_chain(&file, pins).map_err(|e| match e {
            CryptoError::Keyring(KeyringProblem::UnpinnedAdmin) => Error::Refused(
                "the server's keyring is not signed by the admin key(s) you pinned: nothing \
                 was sealed or sent. Check the key id with the team through another channel"
                    .into(),
            ),
            other => other.into(),
        })
    }

    /// Publishes a keyring file.
    pub fn publish_keyring(&self, json: &[u8]) -> Result<u32, Error> {
        let req = self
            .agent
            .post(&self.url("/keyring"))
            .set("Content-Type", "application/json");
        let bytes = self.call(req, Some(json))?;
        let v: serde_json::Value = parse_json(&bytes)?;
        Ok(v["epoch"].as_u64().unwrap_or(0) as u32)
    }

    /// Uploads a bundle with an idempotency key.
    pub fn submit(&self, bundle: &[u8], idempotency_key: &str) -> Result<Receipt, Error> {
        self.submit_with_mailbox(bundle, idempotency_key, None)
    }

    /// Uploads a bundle, registering the mailbox key (base64url) when given.
    pub fn submit_with_mailbox(
        &self,
        bundle: &[u8],
        idempotency_key: &str,
        mailbox_pk: Option<&str>,
    ) -> Result<Receipt, Error> {
        self.submit_with_uploads(bundle, idempotency_key, mailbox_pk, &[])
    }

    /// Uploads a bundle whose last parts were sent through the uploads API (`uploads`,
    /// appended by the server in this order), registering the mailbox key when given.
    pub fn submit_with_uploads(
        &self,
        bundle: &[u8],
        idempotency_key: &str,
        mailbox_pk: Option<&str>,
        uploads: &[String],
    ) -> Result<Receipt, Error> {
        let mut req = self
            .agent
            .post(&self.url("/tips"))
            .set("Content-Type", "application/octet-stream")
            .set("Idempotency-Key", idempotency_key);
        if let Some(pk) = mailbox_pk {
            req = req.set("Tipseal-Mailbox", pk);
        }
        if !uploads.is_empty() {
            req = req.set("Tipseal-Uploads", &uploads.join(","));
        }
        parse_json(&self.call(req, Some(bundle))?)
    }

    /// `POST /api/v1/uploads`: an upload for one envelope of `length` bytes; its id and
    /// the largest chunk the server takes.
    pub fn create_upload(&self, length: usize) -> Result<(String, usize), Error> {
        let req = self
            .agent
            .post(&self.url("/uploads"))
            .set("Content-Type", "application/json");
        let body = json!({ "length": length }).to_string();
        let v: UploadCreated = parse_json(&self.call(req, Some(body.as_bytes()))?)?;
        Ok((v.id, v.chunk_size))
    }

    /// `PATCH /api/v1/uploads/{id}`: sends `chunk` at `offset`; the offset the server
    /// now stands at (after a lost answer, a 409 tells where it already is).
    pub fn append_upload(&self, id: &str, offset: usize, chunk: &[u8]) -> Result<usize, Error> {
        let req = self
            .agent
            .request("PATCH", &self.url(&format!("/uploads/{id}")))
            .set("Content-Type", "application/octet-stream")
            .set("Upload-Offset", &offset.to_string());
        let offset_of = |r: ureq::Response| -> Option<usize> {
            let v: serde_json::Value = serde_json::from_slice(&read_limited(r).ok()?).ok()?;
            usize::try_from(v["offset"].as_u64()?).ok()
        };
        match req.send_bytes(chunk) {
            Ok(r) => r
                .header("Upload-Offset")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| Error::Network("the upload answer has no offset".into())),
            Err(ureq::Error::Status(409, r)) => {
                offset_of(r).ok_or_else(|| Error::Network("the upload answer has no offset".into()))
            }
            Err(ureq::Error::Status(status, r)) => Err(server_error(status, r)),
            Err(e) => Err(Error::Network(e.to_string())),
        }
    }

    /// Posts a reply bundle (pairs of witness and reviewers' copies) to a tip.
    pub fn post_reply(&self, s: &Session, id: TipId, bundle: &[u8]) -> Result<u32, Error> {
        let req = self
            .authed(
                self.agent.post(&self.url(&format!("/tips/{id}/replies"))),
                s,
            )
            .set("Content-Type", "application/octet-stream");
        let v: serde_json::Value = parse_json(&self.call(req, Some(bundle))?)?;
        Ok(v["id"].as_u64().unwrap_or(0) as u32)
    }

    /// The sealed bundle (reviewers' copy) of one conversation entry.
    pub fn thread_entry(&self, s: &Session, id: TipId, seq: u32) -> Result<Vec<u8>, Error> {
        let req = self.authed(
            self.agent
                .get(&self.url(&format!("/tips/{id}/thread/{seq}"))),
            s,
        );
        self.call(req, None)
    }

    /// A batch of conversation entries from seq `from` on, at most `limit` of them, as
    /// the server frames it (`domain::thread_batch`; parse it there). An older server
    /// without the route answers 400 (it reads "entries" as a malformed seq).
    pub fn thread_entries(
        &self,
        s: &Session,
        id: TipId,
        from: u32,
        limit: usize,
    ) -> Result<Vec<u8>, Error> {
        let req = self.authed(
            self.agent.get(&self.url(&format!(
                "/tips/{id}/thread/entries?from={from}&limit={limit}"
            ))),
            s,
        );
        self.call(req, None)
    }

    /// A tip's conversation, metadata only: follow-ups and the reviewers' copies of
    /// replies, each to fetch with [`Client::thread_entry`].
    pub fn thread(&self, s: &Session, id: TipId) -> Result<Vec<ThreadRow>, Error> {
        let req = self.authed(self.agent.get(&self.url(&format!("/tips/{id}/thread"))), s);
        let v: ThreadList = parse_json(&self.call(req, None)?)?;
        Ok(v.entries)
    }

    /// Logs in to a mailbox with the key derived from a receipt.
    pub fn mailbox_login(&self, keys: &ReceiptKeys) -> Result<WitnessSession, Error> {
        let token = self.challenge_login("/mailbox", json!({}), |challenge| {
            json!({
                "mailbox_pk": keys.mailbox_pk_b64(),
                "challenge": crate::crypto::b64_encode(challenge),
                "signature": keys.sign_mailbox_login(challenge),
            })
        })?;
        Ok(WitnessSession {
            token: zeroize::Zeroizing::new(token),
        })
    }

    /// The witness's mailbox: replies (sealed to the receipt's reply key) and retention.
    pub fn mailbox(&self, s: &WitnessSession) -> Result<MailboxView, Error> {
        let req = self
            .agent
            .get(&self.url("/mailbox"))
            .set("Authorization", &format!("Bearer {}", &*s.token));
        parse_json(&self.call(req, None)?)
    }

    /// Adds a follow-up bundle to the witness's tip.
    pub fn post_followup(&self, s: &WitnessSession, bundle: &[u8]) -> Result<u32, Error> {
        let req = self
            .agent
            .post(&self.url("/mailbox/messages"))
            .set("Authorization", &format!("Bearer {}", &*s.token))
            .set("Content-Type", "application/octet-stream");
        let v: serde_json::Value = parse_json(&self.call(req, Some(bundle))?)?;
        Ok(v["id"].as_u64().unwrap_or(0) as u32)
    }

    /// Logs in with an identity: challenge, signature, token.
    pub fn login(&self, me: &Identity) -> Result<Session, Error> {
        let token =
            self.challenge_login("/auth", json!({ "key_id": me.key_id() }), |challenge| {
                json!({
                    "key_id": me.key_id(),
                    "challenge": crate::crypto::b64_encode(challenge),
                    "signature": sign_login(me, challenge),
                })
            })?;
        Ok(Session { token })
    }

    /// The login dance both reviewers and witnesses do: ask `{prefix}/challenge`, sign
    /// it, trade the signature at `{prefix}/session` for a token.
    fn challenge_login(
        &self,
        prefix: &str,
        ask: serde_json::Value,
        answer: impl FnOnce(&[u8; 32]) -> serde_json::Value,
    ) -> Result<String, Error> {
        let v = self.post_json(&format!("{prefix}/challenge"), &ask)?;
        let challenge = v["challenge"]
            .as_str()
            .and_then(crate::crypto::b64_decode)
            .and_then(|c| <[u8; 32]>::try_from(c).ok())
            .ok_or_else(|| Error::Network("the server sent a malformed challenge".into()))?;
        let v = self.post_json(&format!("{prefix}/session"), &answer(&challenge))?;
        v["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Error::Network("the server sent no token".into()))
    }

    fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value, Error> {
        let req = self
            .agent
            .post(&self.url(path))
            .set("Content-Type", "application/json");
        parse_json(&self.call(req, Some(body.to_string().as_bytes()))?)
    }

    fn authed(&self, req: ureq::Request, s: &Session) -> ureq::Request {
        req.set("Authorization", &format!("Bearer {}", s.token))
    }

    /// Lists every tip, following the listing's pages ([`LIST_PAGE`] rows each) to the
    /// last one. Rows come in the server's index order (by received day).
    pub fn list(&self, s: &Session) -> Result<Vec<TipRow>, Error> {
        self.list_in_pages(s, LIST_PAGE)
    }

    /// Lists every tip, `page` rows (1 to 1000) per request, following `next` to the end.
    pub fn list_in_pages(&self, s: &Session, page: usize) -> Result<Vec<TipRow>, Error> {
        let mut rows = Vec::new();
        let mut after = None;
        loop {
            let page = self.list_page(s, after, page)?;
            rows.extend(page.tips);
            match page.next {
                // A server that hands back a cursor that does not move would loop for ever.
                // Forward in the listing's order (received day first), not the ids' own.
                Some(next)
                    if after.is_none_or(|a: TipId| next.listing_order() > a.listing_order()) =>
                {
                    after = Some(next)
                }
                Some(_) => {
                    return Err(Error::Network(
                        "the server's listing cursor did not move forward".into(),
                    ))
                }
                None => return Ok(rows),
            }
        }
    }

    /// One page of the listing: at most `limit` (1 to 1000) rows after tip id `after`.
    pub fn list_page(
        &self,
        s: &Session,
        after: Option<TipId>,
        limit: usize,
    ) -> Result<TipPage, Error> {
        let path = match after {
            Some(id) => format!("/tips?after={id}&limit={limit}"),
            None => format!("/tips?limit={limit}"),
        };
        let req = self.authed(self.agent.get(&self.url(&path)), s);
        parse_json(&self.call(req, None)?)
    }

    /// Fetches a tip's bundle.
    pub fn fetch(&self, s: &Session, id: TipId) -> Result<Vec<u8>, Error> {
        let req = self.authed(self.agent.get(&self.url(&format!("/tips/{id}"))), s);
        self.call(req, None)
    }

    /// Replaces a tip's wraps.
    pub fn swap_wraps(
        &self,
        s: &Session,
        id: TipId,
        from: Epoch,
        wraps: &[[u8; 84]],
    ) -> Result<(), Error> {
        self.put_wraps(s, &format!("/tips/{id}/wraps"), from, wraps)
    }

    /// Replaces the wraps of the reviewers' copy of one conversation entry.
    pub fn swap_entry_wraps(
        &self,
        s: &Session,
        id: TipId,
        seq: u32,
        from: Epoch,
        wraps: &[[u8; 84]],
    ) -> Result<(), Error> {
        self.put_wraps(s, &format!("/tips/{id}/thread/{seq}/wraps"), from, wraps)
    }

    fn put_wraps(
        &self,
        s: &Session,
        path: &str,
        from: Epoch,
        wraps: &[[u8; 84]],
    ) -> Result<(), Error> {
        let body = json!({
            "from_epoch": from.get(),
            "wraps": wraps.iter().map(|w| crate::crypto::b64_encode(w)).collect::<Vec<_>>(),
        })
        .to_string();
        let req = self
            .authed(self.agent.put(&self.url(path)), s)
            .set("Content-Type", "application/json");
        self.call(req, Some(body.as_bytes())).map(|_| ())
    }

    /// Reads the audit chain (admins).
    pub fn audit(&self, s: &Session, after: u64) -> Result<Vec<serde_json::Value>, Error> {
        let req = self.authed(
            self.agent.get(&self.url(&format!("/audit?after={after}"))),
            s,
        );
        parse_json(&self.call(req, None)?)
    }

    fn call(&self, req: ureq::Request, body: Option<&[u8]>) -> Result<Vec<u8>, Error> {
        let mut retries = 0;
        let res = loop {
            let res = match body {
                Some(b) => req.clone().send_bytes(b),
                None => req.clone().call(),
            };
            // Over the server's budget (429): wait as told, a few times, then give up
            // with the server's sentence.
            match res {
                Err(ureq::Error::Status(429, r)) if retries < RATE_LIMIT_RETRIES => {
                    let wait = r
                        .header("Retry-After")
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(1)
                        .clamp(1, MAX_RETRY_AFTER_SECS);
                    std::thread::sleep(Duration::from_secs(wait));
                    retries += 1;
                }
                other => break other,
            }
        };
        match res {
            Ok(r) => read_limited(r),
            Err(ureq::Error::Status(status, r)) => Err(server_error(status, r)),
            Err(e) => Err(Error::Network(e.to_string())),
        }
    }
}

/// The server's refusal, with its code and sentence.
fn server_error(status: u16, r: ureq::Response) -> Error {
    let bytes = read_limited(r).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    Error::Server {
        status,
        code: v["code"].as_str().unwrap_or("unknown").to_owned(),
        message: v["error"]
            .as_str()
            .unwrap_or("no explanation given")
            .to_owned(),
    }
}

/// `POST /api/v1/uploads`'s answer.
#[derive(Deserialize)]
struct UploadCreated {
    id: String,
    chunk_size: usize,
}

fn read_limited(r: ureq::Response) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    r.into_reader()
        .take(MAX_RESPONSE + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Network(e.to_string()))?;
    // Say so rather than hand a cut-off bundle to the parser ("malformed bundle").
    if out.len() as u64 > MAX_RESPONSE {
        return Err(Error::Network(
            "the server's answer is larger than the largest tip a client reads (docs/limits.md)"
                .into(),
        ));
    }
    Ok(out)
}

fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes)
        .map_err(|_| Error::Network("the server sent an unexpected answer".into()))
}

/// Triage events (`docs/architecture.md`, "Triage events"): raw transport only; signing,
/// sealing, verifying and merging live with the reviewer's library.
impl Client {
    fn event_log_path(log: crate::domain::triage::LogRef) -> String {
        match log {
            crate::domain::triage::LogRef::Tip(id) => format!("/tips/{id}/events"),
            crate::domain::triage::LogRef::Team => "/team/events".to_owned(),
        }
    }

    /// Appends a sealed event at `seq`; `Ok(Err(current))` when someone appended first
    /// (fetch from `current`'s predecessors, merge, rebuild at `current`, retry).
    pub fn append_event(
        &self,
        s: &Session,
        log: crate::domain::triage::LogRef,
        seq: u32,
        deletes_tip: bool,
        sealed: &[u8],
    ) -> Result<Result<EventAppended, u32>, Error> {
        let marks = if deletes_tip { "&marks=delete_tip" } else { "" };
        let path = format!("{}?seq={seq}{marks}", Self::event_log_path(log));
        let req = self
            .authed(self.agent.post(&self.url(&path)), s)
            .set("Content-Type", "application/octet-stream");
        match self.call(req, Some(sealed)) {
            Ok(bytes) => Ok(Ok(parse_json(&bytes)?)),
            Err(Error::Server { code, .. }) if code == "seq_conflict" => {
                Ok(Err(self.events(s, log, seq)?.next))
            }
            Err(e) => Err(e),
        }
    }

    /// Up to 64 stored events of `log` from `from` on, and the log's next seq.
    pub fn events(
        &self,
        s: &Session,
        log: crate::domain::triage::LogRef,
        from: u32,
    ) -> Result<EventPage, Error> {
        let path = format!("{}?from={from}", Self::event_log_path(log));
        let req = self.authed(self.agent.get(&self.url(&path)), s);
        parse_json(&self.call(req, None)?)
    }

    /// What was appended to any log after `cursor` (at most `limit`, ≤ 1000).
    pub fn event_feed(&self, s: &Session, after: u64, limit: usize) -> Result<EventFeed, Error> {
        let path = format!("/events?after={after}&limit={limit}");
        let req = self.authed(self.agent.get(&self.url(&path)), s);
        parse_json(&self.call(req, None)?)
    }

    /// Re-wraps one stored event from `from` to the current epoch.
    pub fn swap_event_wrap(
        &self,
        s: &Session,
        log: crate::domain::triage::LogRef,
        seq: u32,
        from: Epoch,
        wrap: &[u8; 84],
    ) -> Result<(), Error> {
        let path = format!("{}/{seq}/wraps", Self::event_log_path(log));
        self.put_wraps(s, &path, from, std::slice::from_ref(wrap))
    }

    /// Deletes a tip's content (its log must hold an event marked as the deletion).
    pub fn delete_tip(&self, s: &Session, id: TipId) -> Result<(), Error> {
        let req = self.authed(self.agent.delete(&self.url(&format!("/tips/{id}"))), s);
        self.call(req, None).map(|_| ())
    }
}

/// `201` of an event append.
#[derive(Debug, Deserialize)]
pub struct EventAppended {
    /// The event's seq.
    pub seq: u32,
    /// Its feed cursor.
    pub cursor: u64,
}

/// A page of stored events.
#[derive(Debug, Deserialize)]
pub struct EventPage {
    /// The events, in seq order.
    pub events: Vec<StoredEventRow>,
    /// The log's next seq.
    pub next: u32,
}

/// One stored event as listed.
#[derive(Debug, Deserialize)]
pub struct StoredEventRow {
    /// Its seq.
    pub seq: u32,
    /// The UTC day it was appended.
    pub day: String,
    /// The epoch in force then.
    pub epoch: u32,
    /// Its feed cursor.
    pub cursor: u64,
    /// Declared as recording the tip's deletion.
    pub deletes_tip: bool,
    /// The sealed event, base64url.
    pub event: String,
}

/// A page of the feed.
#[derive(Debug, Deserialize)]
pub struct EventFeed {
    /// `(cursor, log, seq)` items, oldest first.
    pub items: Vec<EventFeedItem>,
    /// The cursor to ask after next.
    pub next: u64,
}

/// One feed item.
#[derive(Debug, Deserialize)]
pub struct EventFeedItem {
    /// Its cursor.
    pub cursor: u64,
    /// The log.
    pub log: crate::domain::triage::LogRef,
    /// The seq.
    pub seq: u32,
}
