//! The OpenAPI 3.1 description of the HTTP API, generated from the handlers'
//! `#[utoipa::path]` attributes and the request types' `ToSchema` derives.
//!
//! Served at `GET /api/v1/openapi.json` and committed as `docs/openapi.json`
//! (`tests/openapi.rs` fails when the two drift; `tipseal openapi > docs/openapi.json`
//! regenerates it). The response types below are the shapes the handlers build with
//! `serde_json::json!`; schemathesis (`scripts/schemathesis.sh`) checks every response
//! the live server gives against them. This module must never describe anything the
//! server does not do, and never include a server URL, a key or an example secret.

use std::sync::OnceLock;

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::routes::{audit, auth, events, health, keyring, mailbox, replies, tips, uploads};

/// `{"error": "<sentence>", "code": "<snake_case>"}`: every JSON error.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// A readable sentence saying what went wrong and what to do; it never echoes input.
    pub error: String,
    /// A stable snake_case code for programs (`bad_request`, `unauthorized`, …).
    #[schema(pattern = "^[a-z_]+$")]
    pub code: String,
}

/// Sealed bytes: a bundle of envelopes (`docs/envelope.md`), or part of one.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct SealedBundle(pub Vec<u8>);

/// `GET /api/v1/health`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// Always `ok`.
    #[schema(pattern = "^ok$")]
    pub status: String,
}

/// A tip as acknowledged to its sender.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TipReceived {
    /// The tip's id (32 hex characters): the witness's reference.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub id: String,
    /// The UTC day it arrived (`YYYY-MM-DD`): the finest time stored.
    #[schema(format = Date)]
    pub received: String,
}

/// One page of `GET /api/v1/tips`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TipPage {
    /// At most `limit` tips, in index order (by received day).
    #[schema(max_items = 1000)]
    pub tips: Vec<TipSummary>,
    /// The `after` of the next page, or null when this page is the last.
    #[schema(pattern = "^[0-9a-f]{32}$", nullable)]
    pub next: Option<String>,
}

/// One line of `GET /api/v1/tips`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TipSummary {
    /// The tip's id.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub id: String,
    /// The UTC day it arrived.
    #[schema(format = Date)]
    pub received: String,
    /// The key epoch its wraps are sealed to.
    #[schema(minimum = 1)]
    pub epoch: u32,
    /// True when the server sealed it (the no-JavaScript form).
    pub sealed_by_server: bool,
    /// Stored bytes.
    pub size: u64,
    /// Envelopes in the bundle (the tip and its attachments).
    pub parts: u16,
    /// Entries in the tip's conversation (follow-ups and replies): a reviewer's sync
    /// fetches the conversation only when this grew.
    pub entries: u32,
}

/// A single-use login challenge.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// 32 random bytes, base64url without padding.
    pub challenge: String,
    /// Seconds before it expires.
    pub expires_in: u64,
}

/// A reviewer's or admin's session.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffSession {
    /// The bearer token (the server keeps only its hash).
    pub token: String,
    /// Idle seconds before it expires.
    pub expires_in: u64,
    /// `admin` or `reviewer`.
    #[schema(pattern = "^(admin|reviewer)$")]
    pub role: String,
}

/// A witness's mailbox session.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WitnessSession {
    /// The bearer token (the server keeps only its hash).
    pub token: String,
    /// Idle seconds before it expires.
    pub expires_in: u64,
}

/// The keyring accepted.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyringPublished {
    /// The epoch now in force.
    #[schema(minimum = 1)]
    pub epoch: u32,
}

/// A tip's wraps swapped.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TipRewrapped {
    /// The tip's id.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub id: String,
    /// The epoch its wraps are now sealed to.
    #[schema(minimum = 1)]
    pub epoch: u32,
}

/// A conversation entry's wraps swapped.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRewrapped {
    /// The tip's id.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub id: String,
    /// The entry's number in the conversation.
    pub entry: u32,
    /// The epoch its wraps are now sealed to.
    #[schema(minimum = 1)]
    pub epoch: u32,
}

/// A reply or follow-up stored.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryCreated {
    /// Its number in the tip's conversation.
    pub id: u32,
}

/// One conversation entry as the reviewers see it.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadEntry {
    /// Its number in the conversation.
    pub id: u32,
    /// `followup` (from the witness) or `reply` (from a reviewer).
    #[schema(pattern = "^(followup|reply)$")]
    pub kind: String,
    /// The UTC day it arrived.
    #[schema(format = Date)]
    pub received: String,
    /// Length in bytes of the entry's sealed bundle (reviewers' copy), which
    /// `GET /api/v1/tips/{id}/thread/{seq}` serves.
    pub size: u64,
}

/// `GET /api/v1/tips/{id}/thread`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Thread {
    /// Oldest first.
    pub entries: Vec<ThreadEntry>,
}

/// One reply as the witness sees it (their own copy).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxReply {
    /// Its number in the conversation.
    pub id: u32,
    /// The UTC day it was written.
    #[schema(format = Date)]
    pub received: String,
    /// The reply sealed to the witness's reply key, base64url without padding.
    pub bundle: String,
}

/// One of the witness's own follow-ups, as they see it (their own copy).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxFollowup {
    /// Its number in the conversation.
    pub id: u32,
    /// The UTC day it was sent.
    #[schema(format = Date)]
    pub received: String,
    /// A bundle of one follow-up envelope sealed to the witness's reply key (the message
    /// and the list of files sent with it, not the files), base64url without padding.
    pub bundle: String,
}

/// `GET /api/v1/mailbox`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mailbox {
    /// Reviewers' replies, oldest first.
    pub replies: Vec<MailboxReply>,
    /// The witness's own follow-ups, oldest first: the copies sealed to their own reply
    /// key when they sent them (follow-ups sent without a copy are not listed). Merge
    /// with `replies` by `id` for the conversation's order.
    pub followups: Vec<MailboxFollowup>,
    /// `keep`, or `delete_after_read` (each reply is shown once).
    #[schema(pattern = "^(keep|delete_after_read)$")]
    pub retention: String,
}

/// A resumable upload created.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadCreated {
    /// The upload's id: the only capability to add to it.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub id: String,
    /// Largest chunk a `PATCH` may carry.
    pub chunk_size: u64,
}

/// Where an upload stands.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadStatus {
    /// Bytes received so far: the next `Upload-Offset`.
    pub offset: u64,
    /// The declared length.
    pub length: u64,
}

/// A `PATCH` at the wrong offset.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OffsetMismatch {
    /// Bytes received so far: resume from here.
    pub offset: u64,
    /// A readable sentence.
    pub error: String,
    /// `offset_mismatch`.
    #[schema(pattern = "^offset_mismatch$")]
    pub code: String,
}

/// The upload lengths the server accepts: every envelope length within the default body
/// limit (`tipseal serve --max-body-bytes` may lower it; then the longer ones get 400).
pub fn envelope_lengths() -> utoipa::openapi::Object {
    use crate::domain::envelope::{Bucket, BUCKETS};
    let lengths = BUCKETS
        .iter()
        .filter_map(|&b| Bucket::from_u32(b).ok())
        .map(Bucket::envelope_len)
        .filter(|&n| n <= super::DEFAULT_MAX_BODY_BYTES);
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .enum_values(Some(lengths))
        .description(Some("The exact length of the envelope to upload."))
        .build()
}

/// Declares the two bearer schemes: staff sessions and witness mailbox sessions.
struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let bearer = |what: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(what))
                    .build(),
            )
        };
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "staff",
            bearer("A reviewer's or admin's token from `POST /api/v1/auth/session`."),
        );
        components.add_security_scheme(
            "witness",
            bearer("A witness's mailbox token from `POST /api/v1/mailbox/session`."),
        );
    }
}

/// Adds the rate limiter's answer (`src/http/rate.rs`) to every operation it applies to:
/// all of them but the two challenge routes, which store nothing and pay nothing, and the
/// no-JavaScript mailbox page's POST, which pays after proof and shows a spent budget as
/// its "busy" page (503).
struct RateLimited;

impl Modify for RateLimited {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{header::HeaderBuilder, ContentBuilder, Ref, ResponseBuilder};
        let response = ResponseBuilder::new()
            .description(
                "Over the budget of this kind of request (`rate_limited`): try again after \
                 Retry-After seconds.",
            )
            .header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(
                        utoipa::openapi::ObjectBuilder::new()
                            .schema_type(utoipa::openapi::schema::Type::Integer),
                    )
                    .description(Some("Seconds to wait before trying again."))
                    .build(),
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for (path, item) in api.paths.paths.iter_mut() {
            if path.ends_with("/challenge") {
                continue;
            }
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            .filter(|op| op.operation_id.as_deref() != Some("followup_post"))
            {
                op.responses
                    .responses
                    .entry("429".to_owned())
                    .or_insert_with(|| response.clone().into());
            }
        }
    }
}

/// The whole API: the JSON routes under `/api/v1` and the witness pages.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "tipseal",
        description = "Secure anonymous tip intake. Tips are sealed on the witness's device \
(or, for the no-JavaScript form, by the server on arrival) and only reviewers can open them. \
Every JSON error is `{\"error\": \"<sentence>\", \"code\": \"<snake_case>\"}`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    paths(
        health::health,
        openapi_json,
        keyring::get_keyring,
        keyring::publish_keyring,
        tips::submit,
        tips::list,
        tips::fetch,
        tips::swap_wraps,
        replies::post_reply,
        replies::thread,
        replies::entries,
        replies::entry,
        replies::swap_entry_wraps,
        events::append_tip_event,
        events::list_tip_events,
        events::swap_tip_event_wrap,
        events::append_team_event,
        events::list_team_events,
        events::swap_team_event_wrap,
        events::feed::feed,
        events::feed::delete_tip,
        auth::challenge,
        auth::login,
        auth::logout,
        mailbox::challenge,
        mailbox::login,
        mailbox::logout,
        mailbox::read,
        mailbox::add_message,
        audit::list,
        uploads::create,
        uploads::append,
        uploads::status,
    ),
    modifiers(&Security),
    tags(
        (name = "witness", description = "What a witness's client uses: no account, no identity."),
        (name = "staff", description = "Reviewers and admins, after an Ed25519 login."),
        (name = "keyring", description = "The admin-signed, hash-chained keyring."),
        (name = "pages", description = "The witness page (HTML), which works without JavaScript."),
    )
)]
pub struct ApiDoc;

/// The whole description: the JSON API and the witness pages.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::web::PagesApi::openapi());
    RateLimited.modify(&mut doc);
    doc
}

/// The description as pretty JSON with a final newline (what `docs/openapi.json` holds).
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut out = document()
            .to_pretty_json()
            .expect("the OpenAPI document serializes");
        out.push('\n');
        out
    })
}

/// For a request that reached the fallback: the `Allow` value of the described route its
/// path matches, when `method` is not among them (else `None`: a plain 404). The
/// description lists every registered route (`tests/openapi.rs` checks it), so this is
/// the route table seen from outside.
pub(crate) fn allowed_methods(path: &str, method: &Method) -> Option<&'static str> {
    static ROUTES: OnceLock<Vec<(ResourceDef, Vec<Method>, String)>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        document()
            .paths
            .paths
            .into_iter()
            .map(|(template, item)| {
                let methods: Vec<Method> = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, on)| on.then_some(m))
                .collect();
                let allow = methods
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                (ResourceDef::new(template), methods, allow)
            })
            .collect()
    });
    let mut matching = routes.iter().filter(|(def, _, _)| def.is_match(path));
    let first = matching.clone().next()?;
    if matching.any(|(_, methods, _)| methods.contains(method)) {
        return None;
    }
    Some(first.2.as_str())
}

/// `GET /api/v1/openapi.json`: this description.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "witness",
    responses((status = 200, description = "This document (OpenAPI 3.1).", content_type = "application/json", body = Object)),
)]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json())
}
