//! `GET /{lang}/followup` (the mailbox page) and `POST /{lang}/followup`, its
//! no-JavaScript path: the server reads the receipt words from the POST body, derives the
//! keys, logs in to the mailbox the way the API does (paying the mailbox's own budget),
//! opens the replies, renders them, and seals a follow-up the witness adds (with the
//! sealed-by-server flag; only that pays the shared intake budget, so a junk-tip flood
//! never stops a witness reading replies).
//!
//! The words are posted once: the opened page carries a session handle instead
//! (`page_session`), never the words. Each form carries a single-use token
//! (`http::form_tokens`): Back then Forward re-posts nothing twice — a second login post
//! does not open the mailbox again, a second message post does not add it twice.
//!
//! With JavaScript the page never posts here: `followup.js` does all of it in the
//! browser through the mailbox API. Must never: put the words in a URL, a cookie, a
//! header, a page or a log; keep the words, the keys or a plaintext after the response is
//! built; tell an unknown receipt from a wrong one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::form_data::{self, Form, ReadError};
use super::i18n::{self, Language};
use super::mailbox_view::{self, ShownReply};
use super::page_session;
use super::render::Page;
use crate::crypto::receipt::{Receipt, ReceiptError, ReceiptKeys};
use crate::domain::receipt::WordsError;
use crate::domain::TipId;
use crate::http::form_tokens::{FormKind, FormTokenError};
use crate::http::rate::Class;
use crate::http::routes::mailbox::{self, ReplyRetention};
use crate::http::{ApiError, AppState};
use crate::storage::ThreadKind;

/// `GET /{lang}/followup`: the form to type the receipt words.
#[utoipa::path(
    get,
    path = "/{lang}/followup",
    operation_id = "followup_page",
    tag = "pages",
    params(("lang" = String, Path, description = "A language code (`en`, `ar`, `ko`, `nl`, `pl`, `ru`, `zh`); any other gets the 404 page.")),
    responses((status = 200, description = "The form for the receipt words.", body = String, content_type = "text/html"), (status = 404, description = "The HTML 404 page (an unknown language).", body = String, content_type = "text/html")),
)]
pub(super) async fn page(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    match i18n::find(&path) {
        Some(lang) => {
            let page = Page::new(&req, lang).render(StatusCode::OK, "followup.html", &[]);
            super::encoding::gzip_public_page(&req, page)
        }
        None => super::not_found_page(&req),
    }
}

/// What went wrong, as the witness will be told.
enum Failure {
    /// The words are not a receipt (count, unknown word, checksum).
    Receipt(ReceiptError),
    /// No mailbox opens with these words (unknown and wrong receipts alike).
    NoMailbox,
    /// An empty follow-up.
    Empty,
    /// A follow-up field the schema refuses (too long, too many files).
    TooLong,
    /// A photo whose metadata cannot be removed: nothing sent.
    Metadata,
    /// The body cap: 413.
    TooLarge,
    /// Busy, not accepting, or the body deadline: 503.
    Busy,
    /// A broken request: 400.
    Malformed,
    /// The conversation holds its maximum of bytes (`MAX_THREAD_BYTES`) or entries, by
    /// design: 409.
    Full,
    /// The tip is no longer stored: 404.
    Gone,
    /// The form's token was already spent (Back then Forward, a reload): 409, nothing
    /// done twice.
    AlreadySent,
    /// The page is too old (its token expired, or the server restarted) or its mailbox
    /// session ended: 400, type the words again.
    Expired,
    /// Our fault: 500 (the cause is logged, without request data).
    Internal(ApiError),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthorized => Failure::NoMailbox,
            // A full disk or a spent mailbox budget is, to a witness, the same as a busy
            // server: try again later.
            ApiError::Busy
            | ApiError::NotAccepting
            | ApiError::KeyringExpired
            | ApiError::InsufficientStorage
            | ApiError::RateLimited { .. } => Failure::Busy,
            // Refusals by design, not faults: the witness is told what happened.
            ApiError::ConversationFull | ApiError::Conflict => Failure::Full,
            ApiError::NotFound => Failure::Gone,
            other => Failure::Internal(other),
        }
    }
}

/// What the page shows once the mailbox is open.
struct Opened {
    replies: Vec<ShownReply>,
    unverified: usize,
    sent: bool,
    /// Why the witness's new message was refused (the mailbox still opened).
    refused: Option<Failure>,
}

/// `POST /{lang}/followup`: open the mailbox (`action=open`) or add to the tip
/// (`action=add`), always with the words in the body.
#[utoipa::path(
    post,
    path = "/{lang}/followup",
    operation_id = "followup_post",
    tag = "pages",
    params(("lang" = String, Path, description = "A language code (`en`, `ar`, `ko`, `nl`, `pl`, `ru`, `zh`); any other gets the 404 page.")),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`form_token` (the page's single-use token), `action` (`open` with `words`, the receipt, posted only here; or `add` with `session`, the handle the opened page carries, and `message`); `multipart/form-data` with files is accepted too."),
    responses(
        (status = 200, description = "The mailbox: the replies, and the form to add to the tip.", body = String, content_type = "text/html"),
        (status = 400, description = "Malformed receipt words or form, or a page too old (its token or session expired): the form again, with the error.", body = String, content_type = "text/html"),
        (status = 401, description = "No mailbox opens with these words.", body = String, content_type = "text/html"),
        (status = 404, description = "The HTML 404 page (an unknown language), or the tip is no longer stored.", body = String, content_type = "text/html"),
        (status = 409, description = "The conversation is full (the replies, with the refusal), or this form was already sent once (its single-use token): nothing done twice.", body = String, content_type = "text/html"),
        (status = 413, description = "Everything together is too large.", body = String, content_type = "text/html"),
        (status = 503, description = "Busy: try again later.", body = String, content_type = "text/html"),
    ),
)]
pub(super) async fn post(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let Some(lang) = i18n::find(&path) else {
        return super::not_found_page(&req);
    };
    let page = Page::new(&req, lang);
    let form = match form_data::read_any(&req, payload, &state, state.limits.max_body_bytes).await {
        Ok(f) => f,
        Err(e) => {
            let f = match e {
                ReadError::TooLarge => Failure::TooLarge,
                ReadError::Timeout | ReadError::Busy => Failure::Busy,
                ReadError::TooManyFiles | ReadError::Malformed => Failure::Malformed,
            };
            return failure_page(&page, lang, f);
        }
    };
    let kind = match field(&form, "action") {
        Some("add") => FormKind::MailboxAdd,
        _ => FormKind::MailboxOpen,
    };
    let pepper = state.store.pepper();
    let claim = match state
        .form_tokens
        .claim(&pepper, field(&form, "form_token"), kind)
        .await
    {
        Ok(c) if c.has_room() => c,
        Ok(_) | Err(FormTokenError::Busy) => return failure_page(&page, lang, Failure::Busy),
        Err(FormTokenError::Invalid) => return failure_page(&page, lang, Failure::Expired),
        Err(FormTokenError::Used) => return failure_page(&page, lang, Failure::AlreadySent),
    };
    // The words come once, to open; a message comes with the session handle instead.
    let (receipt, handle) = if kind == FormKind::MailboxOpen {
        let words = Zeroizing::new(field(&form, "words").unwrap_or_default().to_owned());
        match Receipt::from_words(&words) {
            Ok(r) => (r, None),
            Err(e) => return failure_page(&page, lang, Failure::Receipt(e)),
        }
    } else {
        let handle = field(&form, "session").unwrap_or_default();
        match page_session::resume(&state, handle) {
            Some((_, r)) => (r, Some(Zeroizing::new(handle.to_owned()))),
            None => return failure_page(&page, lang, Failure::Expired),
        }
    };
    let keys = receipt.keys();
    match open_and_maybe_add(&state, &keys, form).await {
        Ok((tip, opened)) => {
            // Spent only by what succeeded: a refused message may be sent again.
            if kind == FormKind::MailboxOpen || opened.sent {
                claim.spend();
            }
            let handle = match handle {
                Some(h) => h,
                None => Zeroizing::new(
                    page_session::start(&state, tip, &receipt)
                        .expose_secret()
                        .to_owned(),
                ),
            };
            render_opened(&page, lang, &state, &handle, opened)
        }
        Err(f) => failure_page(&page, lang, f),
    }
}

/// Logs in, adds the follow-up if the form asks for it, then reads the replies.
async fn open_and_maybe_add(
    state: &AppState,
    keys: &ReceiptKeys,
    mut form: Form,
) -> Result<(TipId, Opened), Failure> {
    let tip: TipId = mailbox::login_with_keys(state, keys)?;
    let keyring = state.keyring().ok_or(Failure::Busy)?;
    let mut sent = false;
    let mut refused = None;
    // Storing pays the shared intake bucket (the login paid the mailbox's own); if it is
    // spent, the mailbox still opens and says to try the follow-up again later.
    let add = field(&form, "action") == Some("add");
    if add && state.rate.charge(Class::Intake).is_err() {
        refused = Some(Failure::Busy);
    } else if add {
        let message = Zeroizing::new(field(&form, "message").unwrap_or_default().to_owned());
        let files = std::mem::take(&mut form.files);
        let keyring = keyring.clone();
        let own_key = mailbox_view::own_key(keys);
        let sealed =
            web::block(move || mailbox_view::seal_followup(&keyring, &own_key, &message, files))
                .await
                .map_err(|_| Failure::Internal(ApiError::Internal("sealing task failed")))?;
        match sealed {
            Ok(sealed) => {
                let _slot = state
                    .intake_slots
                    .try_acquire()
                    .map_err(|_| Failure::Busy)?;
                match mailbox::store_server_followup(state, tip, sealed.bundle, sealed.own_copy)
                    .await
                {
                    Ok(_) => sent = true,
                    // A full conversation still shows the replies, with the refusal.
                    Err(ApiError::Conflict | ApiError::ConversationFull) => {
                        refused = Some(Failure::Full)
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Err(mailbox_view::SealError::Empty) => refused = Some(Failure::Empty),
            Err(mailbox_view::SealError::Refused) => refused = Some(Failure::TooLong),
            Err(mailbox_view::SealError::Metadata) => refused = Some(Failure::Metadata),
            Err(mailbox_view::SealError::Crypto(e)) => return Err(Failure::Internal(e.into())),
        }
    }
    drop(form);
    let entries = mailbox::witness_entries(state, tip).await?;
    let mut replies = Vec::with_capacity(entries.len());
    let mut unverified = 0;
    for e in &entries {
        let shown = match e.kind {
            ThreadKind::Followup => mailbox_view::open_own(keys, &e.bundle),
            ThreadKind::Reply => mailbox_view::open_reply(&keyring, keys, &e.bundle),
        };
        match shown {
            Some(mut r) => {
                r.date = e.received.to_string();
                replies.push(r);
            }
            None => unverified += 1,
        }
    }
    Ok((
        tip,
        Opened {
            replies,
            unverified,
            sent,
            refused,
        },
    ))
}

fn render_opened(
    page: &Page,
    lang: &'static Language,
    state: &AppState,
    handle: &str,
    opened: Opened,
) -> HttpResponse {
    let replies: Vec<Value> = opened
        .replies
        .iter()
        .map(|r| {
            json!({
                "date": r.date,
                "mine": r.mine,
                "from": r.from,
                "removed": r.removed,
                "message": r.message.as_str(),
                "files": r.files.iter().map(|(name, size)| json!({"name": name, "size": size})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let (status, error) = match &opened.refused {
        Some(f) => (status_of(f), Value::String(failure_message(lang, f))),
        None => (StatusCode::OK, Value::Null),
    };
    page.render(
        status,
        "followup.html",
        &[
            ("opened", Value::Bool(true)),
            ("error", error),
            // For the add-message form's hidden fields: see the template.
            ("session", Value::String(handle.to_owned())),
            ("replies", Value::Array(replies)),
            ("unverified", json!(opened.unverified)),
            ("sent", Value::Bool(opened.sent)),
            ("retention_delete", retention_delete(state)),
        ],
    )
}

fn retention_delete(state: &AppState) -> Value {
    Value::Bool(state.reply_retention == ReplyRetention::DeleteAfterRead)
}

/// The first value of a text field.
fn field<'a>(form: &'a Form, name: &str) -> Option<&'a str> {
    form.fields
        .0
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn failure_message(lang: &'static Language, f: &Failure) -> String {
    let t = |key, fallback| i18n::text(lang, key, fallback);
    match f {
        Failure::Receipt(ReceiptError::Words(WordsError::WordCount(n))) => t(
            "err_receipt_count",
            "A receipt has 12 words; you typed {n}.",
        )
        .replace("{n}", &n.to_string()),
        Failure::Receipt(ReceiptError::Words(WordsError::UnknownWord { position, .. })) => t(
            "err_receipt_word",
            "Word {n} is not a receipt word. Check its spelling.",
        )
        .replace("{n}", &position.to_string()),
        Failure::Receipt(ReceiptError::Checksum) => t(
            "err_receipt_checksum",
            "These words are not a valid receipt: one word is wrong.",
        ),
        Failure::NoMailbox => t("err_mailbox", "No mailbox opens with these words."),
        Failure::Empty => t(
            "err_followup_empty",
            "The message is empty. Write something or attach a file.",
        ),
        Failure::TooLong => t("err_too_long", "This text is too long."),
        Failure::Metadata => t(i18n::METADATA_UNPARSED.0, i18n::METADATA_UNPARSED.1),
        Failure::TooLarge => t(
            "err_too_large",
            "Everything together is too large for the server.",
        ),
        Failure::Busy => t(
            "err_busy",
            "The server is busy. Wait a minute, then try again.",
        ),
        Failure::Full => t(
            "err_conversation_full",
            "This conversation is full: no more messages can be added to this report.",
        ),
        Failure::Gone => t(
            "err_tip_gone",
            "This report is no longer on the server, so nothing can be added to it.",
        ),
        Failure::AlreadySent => t(
            "err_already_sent_mailbox",
            "This was already sent once, so nothing was sent again. To open your mailbox again, type your receipt words.",
        ),
        Failure::Expired => t(
            "err_page_expired_mailbox",
            "This page has expired. Type your receipt words again.",
        ),
        Failure::Malformed | Failure::Internal(_) => t(
            "err_server",
            "The server refused the request. Try again later.",
        ),
    }
}

/// The status a failure answers with.
fn status_of(f: &Failure) -> StatusCode {
    match f {
        Failure::Receipt(_)
        | Failure::Empty
        | Failure::TooLong
        | Failure::Metadata
        | Failure::Malformed
        | Failure::Expired => StatusCode::BAD_REQUEST,
        Failure::AlreadySent => StatusCode::CONFLICT,
        Failure::NoMailbox => StatusCode::UNAUTHORIZED,
        Failure::Full => StatusCode::CONFLICT,
        Failure::Gone => StatusCode::NOT_FOUND,
        Failure::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Failure::Busy => StatusCode::SERVICE_UNAVAILABLE,
        Failure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The words form again, with the error, in the witness's language.
fn failure_page(page: &Page, lang: &'static Language, f: Failure) -> HttpResponse {
    let status = status_of(&f);
    match &f {
        Failure::Busy => crate::http::refusal_log::note("busy"),
        Failure::Internal(e) => {
            if e.is_fault() {
                tracing::error!(code = e.code(), cause = ?e, "a no-JavaScript mailbox request failed");
            } else {
                // Not a fault (say, a conflict): summarised, not a line per witness.
                crate::http::refusal_log::note(e.code());
            }
        }
        _ => {}
    }
    let error = failure_message(lang, &f);
    page.render(status, "followup.html", &[("error", Value::String(error))])
}
