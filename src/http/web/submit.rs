//! `POST /{lang}/submit`: the no-JavaScript path. The server reads the form into wiped
//! buffers, builds the tip document, removes image metadata, seals everything with the
//! sealed-by-server flag to the current epoch, and stores it like any bundle.
//!
//! The server also makes the witness's receipt here (`docs/followup.md`): it puts the
//! reply key in the tip it seals, registers the mailbox key with the tip, shows the words
//! once on the receipt page and forgets them.
//!
//! The form carries a single-use token (`http::form_tokens`), spent only once the tip is
//! stored: Back then Forward, or a reload, posts it again and gets the "already
//! received" page (409) — never a second tip or a second receipt — and two concurrent
//! posts of one token store one tip.
//!
//! Errors become a page in the witness's language: the form again (400) for what the
//! witness can fix, an error page otherwise. Nothing the witness sent is logged.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;
use zeroize::Zeroizing;

use super::form_data::{self, File, ReadError};
use super::i18n::{self, Language};
use super::render::Page;
use crate::crypto::bundle_seal::{seal_bundle, Attachment};
use crate::crypto::receipt::{MailboxPublicKey, Receipt};
use crate::domain::envelope::Flags;
use crate::domain::receipt::WordList;
use crate::domain::tip::{FormProblem, ReplyTo, TipDocument};
use crate::domain::DomainError;
use crate::http::form_tokens::{FormKind, FormTokenError};
use crate::http::intake::{self, Sealer, Submission};
use crate::http::{ApiError, AppState};

/// What the witness typed, to put back into the form after a correctable error.
/// Files are not kept: a browser cannot be given a file back.
#[derive(Debug, Default)]
struct Refill {
    /// Single-valued fields by name.
    values: serde_json::Map<String, Value>,
    /// Checked boxes, as `name=value`.
    checked: Vec<String>,
}

impl Refill {
    fn of(fields: &[(String, String)]) -> Self {
        let mut r = Refill::default();
        for (name, value) in fields {
            if name.ends_with(".actions") {
                r.checked.push(format!("{name}={value}"));
            } else {
                r.values.insert(name.clone(), Value::String(value.clone()));
            }
        }
        r
    }
}

/// Why a submission failed, as the witness will be told.
#[derive(Debug)]
enum Failure {
    /// A field the witness can correct: the form again.
    Field(FormProblem, Refill),
    /// Nothing to send: the form again.
    Empty,
    /// A JPEG or PNG whose metadata could not be removed (it does not parse whole):
    /// the form again, nothing stored.
    Metadata(Refill),
    /// More than 32 files: the form again.
    TooManyFiles,
    /// The form's token was spent by an earlier post that stored the tip: 409, the
    /// "already received" page, nothing stored.
    AlreadyReceived,
    /// The page is too old (its token expired, or the server restarted since): the form
    /// again with what was typed (files cannot be given back), nothing stored.
    Expired(Refill),
    /// The body cap: 413.
    TooLarge,
    /// The body deadline: 408.
    Timeout,
    /// Busy or not accepting: 503.
    Busy,
    /// Below the disk floor: 507 (the witness is told to try later, like when busy).
    NoSpace,
    /// A broken request: 400.
    Malformed,
    /// Our fault: 500 (the cause is logged, without request data).
    Internal(ApiError),
}

/// `POST /{lang}/submit`.
#[utoipa::path(
    post,
    path = "/{lang}/submit",
    operation_id = "submit_form",
    tag = "pages",
    params(("lang" = String, Path, description = "A language code (`en`, `ar`, `ko`, `nl`, `pl`, `ru`, `zh`); any other gets the 404 page.")),
    request_body(content = Object, content_type = "multipart/form-data", description = "The no-JavaScript form (`docs/web.md`): its fields and files, sealed by the server on arrival."),
    responses(
        (status = 200, description = "Stored: the page with the reference and the receipt words.", body = String, content_type = "text/html"),
        (status = 400, description = "A field is invalid, the report is empty, or the form is malformed: the form again, with the error.", body = String, content_type = "text/html"),
        (status = 404, description = "The HTML 404 page (an unknown language).", body = String, content_type = "text/html"),
        (status = 408, description = "The form did not arrive in time.", body = String, content_type = "text/html"),
        (status = 409, description = "This form (its single-use token) was already sent and stored: the \"already received\" page; nothing stored again.", body = String, content_type = "text/html"),
        (status = 413, description = "Everything together is too large.", body = String, content_type = "text/html"),
        (status = 503, description = "Busy, or not accepting: try again later.", body = String, content_type = "text/html"),
        (status = 507, description = "The server is low on disk space: nothing was stored.", body = String, content_type = "text/html"),
    ),
)]
pub(super) async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let Some(lang) = i18n::find(&path) else {
        return super::not_found_page(&req);
    };
    let page = Page::new(&req, lang);
    match accept(&req, payload, &state).await {
        Ok((reference, receipt, chose_server)) => {
            // The words exist in this response only: shown once, then forgotten (the
            // `Receipt` wipes itself; the rendered page is the one copy we cannot wipe).
            let list = WordList::for_language(lang.code);
            let words = receipt.to_words(list);
            let english = (list != WordList::English).then(|| receipt.to_words(WordList::English));
            drop(receipt);
            page.render(
                StatusCode::OK,
                "receipt.html",
                &[
                    ("reference", Value::String(reference)),
                    ("receipt_words", Value::String(words.to_string())),
                    (
                        "receipt_words_en",
                        english.map_or(Value::Null, |w| Value::String(w.to_string())),
                    ),
                    ("chose_server", Value::Bool(chose_server)),
                ],
            )
        }
        Err(f) => failure_page(&page, lang, f),
    }
}

/// Reads, seals and stores the form; returns the tip's reference, the receipt made for it
/// (its reply key sealed inside the tip, its mailbox registered with it), and whether the
/// witness chose the server path with JavaScript on ([`SERVER_CHOICE_FIELD`]).
async fn accept(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<(String, Receipt, bool), Failure> {
    let keyring = state
        .keyring()
        .filter(|k| k.has_reviewers())
        .ok_or(Failure::Busy)?;
    let mut form = form_data::read(req, payload, state, state.limits.max_body_bytes)
        .await
        .map_err(|e| match e {
            ReadError::TooLarge => Failure::TooLarge,
            ReadError::Timeout => Failure::Timeout,
            ReadError::Busy => Failure::Busy,
            ReadError::TooManyFiles => Failure::TooManyFiles,
            ReadError::Malformed => Failure::Malformed,
        })?;
    let chose_server = take_server_choice(&mut form.fields.0);
    // The token is transport, not part of the tip: taken out before the form is parsed.
    let token = take_field(&mut form.fields.0, "form_token");
    let pepper = state.store.pepper();
    let claim = match state
        .form_tokens
        .claim(&pepper, token.as_deref().map(String::as_str), FormKind::Tip)
        .await
    {
        Ok(c) if c.has_room() => c,
        Ok(_) | Err(FormTokenError::Busy) => return Err(Failure::Busy),
        Err(FormTokenError::Used) => return Err(Failure::AlreadyReceived),
        Err(FormTokenError::Invalid) => return Err(Failure::Expired(Refill::of(&form.fields.0))),
    };
    // The slot only once the form is in: a slow body holds none.
    let _slot = state
        .intake_slots
        .try_acquire()
        .map_err(|_| Failure::Busy)?;
    let doc = TipDocument::from_form(&form.fields.0).map_err(|e| match e {
        DomainError::Form(p) => Failure::Field(p, Refill::of(&form.fields.0)),
        _ => Failure::Malformed,
    })?;
    if !doc.has_content() && form.files.is_empty() {
        return Err(Failure::Empty);
    }
    let files = std::mem::take(&mut form.files);
    // The files stay in memory until sealed: so does their share of the body budget.
    let _held = form.held.take();
    // The witness may keep metadata deliberately (the form's checkbox); otherwise a
    // photo whose metadata cannot be removed is refused, never sent as it came.
    let keep_metadata = form
        .fields
        .0
        .iter()
        .any(|(name, _)| name == "keep_all_metadata");
    let files = if keep_metadata {
        files
    } else {
        let stripped = web::block(move || {
            files
                .into_iter()
                .map(File::without_metadata)
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|_| Failure::Internal(ApiError::Internal("metadata task failed")))?;
        stripped.map_err(|_| Failure::Metadata(Refill::of(&form.fields.0)))?
    };
    drop(form);
    let receipt = Receipt::generate();
    let keys = receipt.keys();
    let reply_to = ReplyTo {
        box_pk: keys.reply_pk_b64(),
    };
    let mailbox = MailboxPublicKey::from_b64(&keys.mailbox_pk_b64());
    drop(keys);
    let bundle = web::block(move || {
        let attachments: Vec<Attachment<'_>> = files.iter().map(File::as_attachment).collect();
        seal_bundle(
            &keyring,
            doc,
            &attachments,
            Flags::SEALED_BY_SERVER,
            Some(reply_to),
        )
    })
    .await
    .map_err(|_| Failure::Internal(ApiError::Internal("sealing task failed")))?
    .map_err(|e| Failure::Internal(e.into()))?;
    let submission = Submission {
        body: bundle.into(),
        uploads: Vec::new(),
        idempotency: None,
        sealer: Sealer::Server,
        mailbox,
    };
    let stored = intake::store_bundle(state, submission)
        .await
        .map_err(|e| match e {
            // Refusals by design: a retry can succeed (the keyring just changed, the rare
            // mailbox-key collision gets a new receipt on the next try).
            ApiError::Busy
            | ApiError::NotAccepting
            | ApiError::KeyringExpired
            | ApiError::RateLimited { .. }
            | ApiError::WrongEpoch { .. }
            | ApiError::Conflict => Failure::Busy,
            ApiError::InsufficientStorage => Failure::NoSpace,
            ApiError::TooLarge | ApiError::TipTooLarge => Failure::TooLarge,
            other => Failure::Internal(other),
        })?;
    claim.spend();
    Ok((stored.id.to_string(), receipt, chose_server))
}

/// The field the page's "let the server lock it" button sends (`sealed_by=server`), shown
/// by JavaScript only while the page's crypto loads: the receipt then says the witness
/// chose the server path, not that JavaScript was off. Not part of the tip document.
const SERVER_CHOICE_FIELD: &str = "sealed_by";

/// Removes [`SERVER_CHOICE_FIELD`] from the fields; true if it said `server`.
fn take_server_choice(fields: &mut Vec<(String, String)>) -> bool {
    let mut chose = false;
    fields.retain(|(name, value)| {
        let ours = name == SERVER_CHOICE_FIELD;
        chose |= ours && value == "server";
        !ours
    });
    chose
}

/// Removes a single field from the form and returns its value (wiped when dropped).
fn take_field(fields: &mut Vec<(String, String)>, name: &str) -> Option<Zeroizing<String>> {
    let i = fields.iter().position(|(n, _)| n == name)?;
    Some(Zeroizing::new(fields.remove(i).1))
}

fn failure_page(page: &Page, lang: &'static Language, f: Failure) -> HttpResponse {
    let t = |key, fallback| Value::String(i18n::text(lang, key, fallback));
    let (status, template, error) = match &f {
        Failure::Field(p, _) => (
            StatusCode::BAD_REQUEST,
            "form.html",
            field_message(lang, *p),
        ),
        Failure::Empty => (
            StatusCode::BAD_REQUEST,
            "form.html",
            t(
                "err_empty",
                "The report is empty. Write something or attach a file.",
            ),
        ),
        Failure::Metadata(_) => (
            StatusCode::BAD_REQUEST,
            "form.html",
            t(i18n::METADATA_UNPARSED.0, i18n::METADATA_UNPARSED.1),
        ),
        Failure::TooManyFiles => (
            StatusCode::BAD_REQUEST,
            "form.html",
            t("err_too_many_files", "Too many files: at most 32."),
        ),
        Failure::AlreadyReceived => (
            StatusCode::CONFLICT,
            "error.html",
            t(
                "err_already_received",
                "This report was already received when you first sent it, so it was not stored again. Its receipt was shown only once, then.",
            ),
        ),
        Failure::Expired(_) => (
            StatusCode::BAD_REQUEST,
            "form.html",
            t(
                "err_form_expired",
                "This form was open too long to send (more than a day, or the server restarted). Check your answers, attach any files again, then send.",
            ),
        ),
        Failure::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "error.html",
            t(
                "err_too_large",
                "Everything together is too large for the server.",
            ),
        ),
        Failure::Timeout => (
            StatusCode::REQUEST_TIMEOUT,
            "error.html",
            t("err_network", "The connection failed. Please try again."),
        ),
        Failure::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "error.html",
            t(
                "err_busy",
                "The server is busy. Wait a minute, then try again.",
            ),
        ),
        Failure::NoSpace => (
            StatusCode::INSUFFICIENT_STORAGE,
            "error.html",
            t(
                "err_busy",
                "The server is busy. Wait a minute, then try again.",
            ),
        ),
        Failure::Malformed => (
            StatusCode::BAD_REQUEST,
            "error.html",
            t(
                "err_server",
                "The server refused the report. Try again later.",
            ),
        ),
        Failure::Internal(e) => {
            if e.is_fault() {
                tracing::error!(code = e.code(), cause = ?e, "a no-JavaScript submission failed");
            } else {
                // Not a fault (say, a conflict): summarised, not a line per witness.
                crate::http::refusal_log::note(e.code());
            }
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "error.html",
                t(
                    "err_server",
                    "The server refused the report. Try again later.",
                ),
            )
        }
    };
    let mut extra = vec![("error", error)];
    if matches!(f, Failure::AlreadyReceived) {
        extra.push(("heading", t("already_received_title", "Already received")));
    }
    if let Failure::Field(_, refill) | Failure::Metadata(refill) | Failure::Expired(refill) = &f {
        // The witness corrects one field, not the whole report.
        extra.push(("values", Value::Object(refill.values.clone())));
        extra.push(("checked", Value::from(refill.checked.clone())));
    }
    let mut res = page.render(status, template, &extra);
    if matches!(f, Failure::TooLarge | Failure::Timeout) {
        // The unread rest of the body would keep the connection busy: close it.
        res.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
    }
    if matches!(f, Failure::Busy | Failure::NoSpace) {
        let code = match f {
            Failure::NoSpace => "insufficient_storage",
            _ => "busy",
        };
        crate::http::refusal_log::note(code);
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
    res
}

fn field_message(lang: &'static Language, p: FormProblem) -> Value {
    let (key, fallback) = match p {
        FormProblem::Number => ("err_number", "Please write a whole number in this field."),
        FormProblem::Date => (
            "err_date",
            "Please write a date like 2024, 2024-03 or 2024-03-15.",
        ),
        FormProblem::Country => ("err_country", "Please write two letters, like RU."),
        FormProblem::Text => ("err_too_long", "This text is too long."),
        FormProblem::Choice | FormProblem::Malformed => (
            "err_server",
            "The server refused the report. Try again later.",
        ),
    };
    Value::String(i18n::text(lang, key, fallback))
}
