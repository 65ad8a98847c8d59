//! The desk's JSON routes under `/api/`, one per [`DeskBackend`] method. Each parses its
//! input at the edge (tip and case ids, grades, base64, export formats and folders), then
//! calls the backend in `web::block`.
//!
//! Must never: serve an attachment with a type the browser would run or render as a page
//! (only png/jpeg/gif/webp are shown inline; everything else is a download), or write
//! anything to disk.

use std::sync::Arc;

use actix_web::{http::header, web, HttpResponse};
use serde::Deserialize;

use super::backend::DeskBackend;
use super::error::DeskError;
use super::model::{CaseAction, ExportRequest, InboxQuery, ReplyFile, TriageRequest};
use crate::domain::TipId;

/// The backend, shared by every worker.
pub type Backend = web::Data<Arc<dyn DeskBackend>>;

/// The most tips one bulk action may name.
const MAX_BULK: usize = 10_000;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .route("/me", web::get().to(me))
            .route("/sync", web::post().to(sync))
            .route("/inbox", web::get().to(inbox))
            .route("/vocabulary", web::get().to(vocabulary))
            .route("/reviewers", web::get().to(reviewers))
            .route("/triage", web::post().to(triage))
            .route("/tips/{id}", web::get().to(tip))
            .route("/tips/{id}/history", web::get().to(history))
            .route("/tips/{id}/reply", web::post().to(reply))
            .route("/tips/{id}/attachments/{index}", web::get().to(attachment))
            .route("/figures", web::get().to(figures))
            .route("/cases", web::get().to(cases))
            .route("/cases/{id}", web::get().to(case))
            .route("/cases/{id}", web::post().to(case_action))
            .route("/cases/{id}/export", web::get().to(export_plan))
            .route("/cases/{id}/export", web::post().to(export)),
    );
}

/// Runs `f` on the blocking pool and turns its answer into JSON.
async fn blocking<T, F>(backend: Backend, f: F) -> Result<HttpResponse, DeskError>
where
    T: serde::Serialize + Send + 'static,
    F: FnOnce(&dyn DeskBackend) -> Result<T, DeskError> + Send + 'static,
{
    let value = call(backend, f).await?;
    Ok(HttpResponse::Ok().json(value))
}

async fn call<T, F>(backend: Backend, f: F) -> Result<T, DeskError>
where
    T: Send + 'static,
    F: FnOnce(&dyn DeskBackend) -> Result<T, DeskError> + Send + 'static,
{
    let backend = Arc::clone(backend.get_ref());
    web::block(move || f(backend.as_ref()))
        .await
        .map_err(|_| DeskError::Internal("the desk's worker pool stopped".into()))?
}

fn tip_id(raw: &str) -> Result<TipId, DeskError> {
    TipId::parse(raw)
        .map_err(|_| DeskError::Invalid(format!("{raw:?} is not a tip id (32 hex characters)")))
}

async fn me(backend: Backend) -> Result<HttpResponse, DeskError> {
    blocking(backend, |b| b.me()).await
}

async fn sync(backend: Backend) -> Result<HttpResponse, DeskError> {
    blocking(backend, |b| b.sync()).await
}

async fn inbox(backend: Backend, query: web::Query<InboxQuery>) -> Result<HttpResponse, DeskError> {
    let query = query.into_inner();
    for (name, date) in [("from", &query.from), ("to", &query.to)] {
        if let Some(d) = date {
            check_date(name, d)?;
        }
    }
    blocking(backend, move |b| b.inbox(&query)).await
}

async fn vocabulary(backend: Backend) -> Result<HttpResponse, DeskError> {
    blocking(backend, |b| b.vocabulary()).await
}

async fn reviewers(backend: Backend) -> Result<HttpResponse, DeskError> {
    blocking(backend, |b| b.reviewers()).await
}

async fn tip(backend: Backend, path: web::Path<String>) -> Result<HttpResponse, DeskError> {
    let id = tip_id(&path)?;
    blocking(backend, move |b| b.tip(id)).await
}

async fn history(backend: Backend, path: web::Path<String>) -> Result<HttpResponse, DeskError> {
    let id = tip_id(&path)?;
    blocking(backend, move |b| b.history(id)).await
}

/// `POST /api/triage`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TriageBody {
    ids: Vec<String>,
    request: TriageRequest,
}

async fn triage(backend: Backend, body: web::Json<TriageBody>) -> Result<HttpResponse, DeskError> {
    let TriageBody { ids, request } = body.into_inner();
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(DeskError::Invalid(format!(
            "name between 1 and {MAX_BULK} tips (got {})",
            ids.len()
        )));
    }
    if request.is_empty() {
        return Err(DeskError::Invalid(
            "the triage request changes nothing".into(),
        ));
    }
    if let Some(grade) = &request.grade {
        check_grade(grade)?;
    }
    if let Some(date) = request.remind.as_deref().filter(|d| !d.is_empty()) {
        check_date("remind", date)?;
    }
    let ids = ids
        .iter()
        .map(|s| tip_id(s))
        .collect::<Result<Vec<_>, _>>()?;
    blocking(backend, move |b| b.triage(&ids, &request)).await
}

/// A reply file in JSON: its bytes in standard base64 (what `FileReader` gives).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyFileBody {
    name: String,
    mime: String,
    data: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    text: String,
    #[serde(default)]
    files: Vec<ReplyFileBody>,
}

async fn reply(
    backend: Backend,
    path: web::Path<String>,
    body: web::Json<ReplyBody>,
) -> Result<HttpResponse, DeskError> {
    use base64::Engine;
    let id = tip_id(&path)?;
    let ReplyBody { text, files } = body.into_inner();
    if text.trim().is_empty() && files.is_empty() {
        return Err(DeskError::Invalid(
            "the reply is empty: write something".into(),
        ));
    }
    let files = files
        .into_iter()
        .map(|f| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(f.data.as_bytes())
                .map_err(|_| {
                    DeskError::Invalid(format!("file {:?} is not valid base64", f.name))
                })?;
            Ok(ReplyFile {
                name: f.name,
                mime: f.mime,
                bytes,
            })
        })
        .collect::<Result<Vec<_>, DeskError>>()?;
    call(backend, move |b| b.reply(id, &text, files)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"ok": true})))
}

/// A case id's shape (`case-` and 16 hex characters); the backend says whether it exists.
fn case_id(raw: &str) -> Result<String, DeskError> {
    crate::domain::triage::CaseId::parse(raw)
        .map(|c| c.to_string())
        .map_err(|_| {
            DeskError::Invalid(format!(
                "{raw:?} is not a case id (case- and 16 hex characters)"
            ))
        })
}

fn check_format(f: &str) -> Result<(), DeskError> {
    match f {
        "json" | "csv" | "markdown" => Ok(()),
        other => Err(DeskError::Invalid(format!(
            "format must be json, csv or markdown, not {other:?}"
        ))),
    }
}

async fn figures(
    backend: Backend,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, DeskError> {
    let query = query.into_inner();
    for (name, date) in [("from", &query.from), ("to", &query.to)] {
        if let Some(d) = date.as_deref().filter(|d| !d.is_empty()) {
            check_date(name, d)?;
        }
    }
    blocking(backend, move |b| b.figures(&query)).await
}

async fn cases(backend: Backend) -> Result<HttpResponse, DeskError> {
    blocking(backend, |b| b.cases()).await
}

async fn case(backend: Backend, path: web::Path<String>) -> Result<HttpResponse, DeskError> {
    let id = case_id(&path)?;
    blocking(backend, move |b| b.case(&id)).await
}

async fn case_action(
    backend: Backend,
    path: web::Path<String>,
    body: web::Json<CaseAction>,
) -> Result<HttpResponse, DeskError> {
    let id = case_id(&path)?;
    let action = body.into_inner();
    match &action {
        CaseAction::Split { tips } => {
            if tips.is_empty() {
                return Err(DeskError::Invalid(
                    "choose the tips to take out of the case".into(),
                ));
            }
            for t in tips {
                tip_id(t)?;
            }
        }
        CaseAction::Merge { with } => {
            if with.is_empty() {
                return Err(DeskError::Invalid("choose a case to merge with".into()));
            }
            for c in with {
                case_id(c)?;
            }
        }
        CaseAction::Confirm { .. } | CaseAction::Name { .. } => {}
    }
    blocking(backend, move |b| b.case_action(&id, &action)).await
}

/// `GET /api/cases/{id}/export`'s query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanQuery {
    format: String,
    #[serde(default)]
    redact: bool,
}

async fn export_plan(
    backend: Backend,
    path: web::Path<String>,
    q: web::Query<PlanQuery>,
) -> Result<HttpResponse, DeskError> {
    let id = case_id(&path)?;
    let PlanQuery { format, redact } = q.into_inner();
    check_format(&format)?;
    blocking(backend, move |b| b.export_plan(&id, &format, redact)).await
}

async fn export(
    backend: Backend,
    path: web::Path<String>,
    body: web::Json<ExportRequest>,
) -> Result<HttpResponse, DeskError> {
    let id = case_id(&path)?;
    let request = body.into_inner();
    check_format(&request.format)?;
    if !request.plaintext_understood {
        return Err(DeskError::Invalid(
            "nothing written: an export is plaintext on this machine; read the warning and confirm it".into(),
        ));
    }
    // The desk's working directory is nobody's choice: the reviewer names the place.
    if !std::path::Path::new(&request.out).is_absolute() {
        return Err(DeskError::Invalid(format!(
            "{:?} is not an absolute path: type the whole folder path, e.g. /home/you/exports/case-1",
            request.out
        )));
    }
    blocking(backend, move |b| b.export(&id, &request)).await
}

/// Image types the browser may show inline: raster formats that cannot carry script.
const PREVIEWABLE: &[(&str, &str)] = &[
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
];

async fn attachment(
    backend: Backend,
    path: web::Path<(String, u32)>,
) -> Result<HttpResponse, DeskError> {
    let (raw, index) = path.into_inner();
    let id = tip_id(&raw)?;
    let file = call(backend, move |b| b.attachment(id, index)).await?;
    let declared = file.mime.to_ascii_lowercase();
    let (mime, disposition) = match PREVIEWABLE.iter().find(|(m, _)| *m == declared) {
        Some((m, ext)) => (*m, format!("inline; filename=\"attachment-{index}.{ext}\"")),
        // SVG, HTML, PDF, anything else: bytes to save, never a page in the desk's origin.
        None => (
            "application/octet-stream",
            format!("attachment; filename=\"attachment-{index}.bin\""),
        ),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        // Opened directly, it is a sandboxed document that may run nothing.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self'; sandbox",
        ))
        .body(file.bytes))
}

/// A date as YYYY-MM-DD (digits in place; the backend decides whether it exists).
fn check_date(field: &str, d: &str) -> Result<(), DeskError> {
    let b = d.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if shape {
        Ok(())
    } else {
        Err(DeskError::Invalid(format!(
            "{field} must be a date as YYYY-MM-DD"
        )))
    }
}

/// A grade: source reliability A–F, then information credibility 1–6 (e.g. `B2`).
fn check_grade(g: &str) -> Result<(), DeskError> {
    match g.as_bytes() {
        [l @ b'A'..=b'F', d @ b'1'..=b'6'] if l.is_ascii() && d.is_ascii() => Ok(()),
        _ => Err(DeskError::Invalid(
            "grade must be a letter A–F and a digit 1–6, e.g. B2".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_and_dates_are_checked_at_the_edge() {
        assert!(check_grade("B2").is_ok());
        assert!(check_grade("G2").is_err());
        assert!(check_grade("A7").is_err());
        assert!(check_grade("a1").is_err());
        assert!(check_date("to", "2026-11-29").is_ok());
        assert!(check_date("to", "29/11/2026").is_err());
    }
}
