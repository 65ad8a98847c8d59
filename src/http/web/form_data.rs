//! Reading the no-JavaScript form (`multipart/form-data`) into memory only, through the
//! one guarded body reader (`crate::http::body`): the cap, the rate rules and the body
//! budget apply exactly as on the API.
//!
//! Values and files land in buffers that are wiped when dropped (grown by copying into a
//! fresh zeroizing buffer, so no reallocation leaves a copy behind). actix-multipart is
//! built without its `tempfile` feature: nothing spills to disk. Its own parser buffers
//! and the socket's are outside our control and are not wiped.

use actix_multipart::Multipart;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest};
use futures_util::{Stream, StreamExt};
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::bundle_seal::Attachment;
use crate::domain::metadata;
use crate::domain::tip::{FileName, MediaType, MAX_ATTACHMENTS, MAX_FORM_FIELDS};
use crate::http::body::{BodyFailure, BodyHandle, GuardedBody, Reservation};
use crate::http::{ApiError, AppState};

/// Longest field name accepted (`minders.31.name_or_alias` is 24).
const MAX_FIELD_NAME: usize = 64;

/// Why the form could not be read.
#[derive(Debug)]
pub(super) enum ReadError {
    /// More than the body cap.
    TooLarge,
    /// Not complete before the deadline, or slower than the minimum rate.
    Timeout,
    /// The body budget is full: 503.
    Busy,
    /// More than [`MAX_ATTACHMENTS`] files.
    TooManyFiles,
    /// Not a well-formed multipart form (or too many fields, or not UTF-8).
    Malformed,
}

/// The text fields, in order; wiped on drop.
#[derive(Default)]
pub(super) struct Fields(pub Vec<(String, String)>);

impl Drop for Fields {
    fn drop(&mut self) {
        for (name, value) in &mut self.0 {
            name.zeroize();
            value.zeroize();
        }
    }
}

/// One attached file.
pub(super) struct File {
    /// Its base name as the browser sent it (or `attachment`).
    pub name: FileName,
    /// The browser's media type for it (or `application/octet-stream`).
    pub media_type: MediaType,
    /// Its bytes.
    pub bytes: Zeroizing<Vec<u8>>,
}

impl File {
    /// The same file with image metadata (EXIF, GPS, text chunks) removed, as the
    /// browser does on the JavaScript path; an error for a JPEG or PNG that does not
    /// parse whole (its metadata might survive: it is refused, not sent as it came).
    pub fn without_metadata(mut self) -> Result<Self, crate::domain::DomainError> {
        if let std::borrow::Cow::Owned(clean) = metadata::strip(&self.bytes)? {
            self.bytes = Zeroizing::new(clean);
        }
        Ok(self)
    }

    /// A view of it for sealing.
    pub fn as_attachment(&self) -> Attachment<'_> {
        Attachment {
            name: self.name.clone(),
            media_type: self.media_type.clone(),
            bytes: &self.bytes,
        }
    }
}

impl From<BodyFailure> for ReadError {
    fn from(f: BodyFailure) -> Self {
        match f {
            BodyFailure::TooLarge => ReadError::TooLarge,
            BodyFailure::Timeout => ReadError::Timeout,
            BodyFailure::Busy => ReadError::Busy,
            BodyFailure::Incomplete => ReadError::Malformed,
        }
    }
}

/// The whole form.
#[derive(Default)]
pub(super) struct Form {
    /// Text fields.
    pub fields: Fields,
    /// Files, in order.
    pub files: Vec<File>,
    /// The body's share of the body budget, held while the form is in memory.
    pub held: Option<Reservation>,
}

/// Starts a guarded body for a form of at most `limit` bytes.
fn guarded(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    limit: usize,
) -> Result<(GuardedBody<web::Payload>, BodyHandle), ReadError> {
    GuardedBody::new(req, payload, state, limit).map_err(|e| match e {
        ApiError::TooLarge => ReadError::TooLarge,
        ApiError::Busy => ReadError::Busy,
        _ => ReadError::Malformed,
    })
}

/// The body's own failure explains a parse error better than the parser does; a form
/// read whole keeps the body's reservation.
fn finish(result: Result<Form, ReadError>, handle: &BodyHandle) -> Result<Form, ReadError> {
    if let Some(f) = handle.failure() {
        return Err(f.into());
    }
    let mut form = result?;
    form.held = handle.reservation();
    Ok(form)
}

/// Reads the form, failing with [`ReadError`] past `limit` bytes or the body rules.
pub(super) async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    limit: usize,
) -> Result<Form, ReadError> {
    let (body, handle) = guarded(req, payload, state, limit)?;
    let multipart = Multipart::new(req.headers(), body);
    let result = read_all(multipart, limit).await;
    finish(result, &handle)
}

/// Reads a `multipart/form-data` or an `application/x-www-form-urlencoded` body (the
/// mailbox page accepts both; urlencoded bodies carry no files).
pub(super) async fn read_any(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    limit: usize,
) -> Result<Form, ReadError> {
    let urlencoded = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !urlencoded {
        return read(req, payload, state, limit).await;
    }
    let (guarded, handle) = guarded(req, payload, state, limit)?;
    let result = read_urlencoded(guarded, limit).await;
    finish(result, &handle)
}

async fn read_urlencoded<S>(payload: S, limit: usize) -> Result<Form, ReadError>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    let body = read_bytes(payload, limit).await?;
    let mut form = Form::default();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        if form.fields.0.len() >= MAX_FORM_FIELDS {
            return Err(ReadError::Malformed);
        }
        let mut it = pair.splitn(2, |&b| b == b'=');
        let name = percent_decode(it.next().unwrap_or_default())?;
        let value = percent_decode(it.next().unwrap_or_default())?;
        if name.len() > MAX_FIELD_NAME {
            return Err(ReadError::Malformed);
        }
        form.fields.0.push((name, value));
    }
    Ok(form)
}

async fn read_bytes<S>(mut payload: S, limit: usize) -> Result<Zeroizing<Vec<u8>>, ReadError>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    let mut buf = Zeroizing::new(Vec::new());
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ReadError::Malformed)?;
        if buf.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        append(&mut buf, &chunk);
    }
    Ok(buf)
}

/// `+` is a space, `%XX` a byte; the result must be UTF-8. Wipes its buffer on failure.
fn percent_decode(s: &[u8]) -> Result<String, ReadError> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Zeroizing::new(Vec::with_capacity(s.len()));
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let (Some(h), Some(l)) = (
                    s.get(i + 1).copied().and_then(hex),
                    s.get(i + 2).copied().and_then(hex),
                ) else {
                    return Err(ReadError::Malformed);
                };
                out.push(h << 4 | l);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(std::mem::take(&mut *out)).map_err(|e| {
        e.into_bytes().zeroize();
        ReadError::Malformed
    })
}

async fn read_all(mut multipart: Multipart, limit: usize) -> Result<Form, ReadError> {
    let mut form = Form::default();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| ReadError::Malformed)?;
        let name = field
            .name()
            .filter(|n| n.len() <= MAX_FIELD_NAME)
            .ok_or(ReadError::Malformed)?
            .to_owned();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let media_type = field.content_type().map(|m| m.essence_str().to_owned());
        let mut buf = Zeroizing::new(Vec::new());
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| ReadError::Malformed)?;
            total += chunk.len();
            if total > limit {
                return Err(ReadError::TooLarge);
            }
            append(&mut buf, &chunk);
        }
        match filename {
            Some(filename) => {
                // An empty file input still sends a part with no name and no bytes.
                if filename.is_empty() && buf.is_empty() {
                    continue;
                }
                if form.files.len() >= MAX_ATTACHMENTS {
                    return Err(ReadError::TooManyFiles);
                }
                form.files.push(File {
                    name: FileName::from_path_lossy(std::path::Path::new(&filename)),
                    media_type: media_type
                        .and_then(|m| MediaType::parse(m).ok())
                        .unwrap_or_else(octet_stream),
                    bytes: buf,
                });
            }
            None => {
                if form.fields.0.len() >= MAX_FORM_FIELDS {
                    return Err(ReadError::Malformed);
                }
                let bytes = std::mem::take(&mut *buf);
                let value = String::from_utf8(bytes).map_err(|e| {
                    e.into_bytes().zeroize();
                    ReadError::Malformed
                })?;
                form.fields.0.push((name, value));
            }
        }
    }
    Ok(form)
}

/// Appends without leaving a copy in a freed allocation: grows into a new zeroizing
/// buffer and lets the old one wipe itself.
fn append(buf: &mut Zeroizing<Vec<u8>>, data: &[u8]) {
    let needed = buf.len() + data.len();
    if needed > buf.capacity() {
        let mut bigger = Zeroizing::new(Vec::with_capacity(needed.max(2 * buf.capacity())));
        bigger.extend_from_slice(buf);
        *buf = bigger;
    }
    buf.extend_from_slice(data);
}

fn octet_stream() -> MediaType {
    MediaType::parse("application/octet-stream".to_owned())
        .unwrap_or_else(|_| unreachable!("a valid media type"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appending_keeps_every_byte_in_order() {
        let mut buf = Zeroizing::new(Vec::new());
        for i in 0..100u8 {
            append(&mut buf, &[i; 7]);
        }
        assert_eq!(buf.len(), 700);
        assert!(buf.chunks(7).enumerate().all(|(i, c)| c == [i as u8; 7]));
    }

    #[test]
    fn urlencoded_values_decode_plus_and_percent() {
        assert_eq!(
            percent_decode(b"%EA%B0%80%EA%B2%A9+abandon%0A").unwrap(),
            "가격 abandon\n"
        );
        assert!(percent_decode(b"%E").is_err());
        assert!(percent_decode(b"%FF").is_err());
    }
}
