//! Reading the no-JavaScript form (`multipart/form-data`) into memory only, within the
//! body cap and the body deadline.
//!
//! Values and files land in buffers that are wiped when dropped (grown by copying into a
//! fresh zeroizing buffer, so no reallocation leaves a copy behind). actix-multipart is
//! built without its `tempfile` feature: nothing spills to disk. Its own parser buffers
//! and the socket's are outside our control and are not wiped.

use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use zeroize::{Zeroize, Zeroizing};

use crate::domain::tip::{FileName, MediaType, MAX_ATTACHMENTS, MAX_FORM_FIELDS};

/// Longest field name accepted (`minders.31.name_or_alias` is 24).
const MAX_FIELD_NAME: usize = 64;

/// Why the form could not be read.
#[derive(Debug)]
pub(super) enum ReadError {
    /// More than the body cap.
    TooLarge,
    /// Not complete before the deadline.
    Timeout,
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

/// The whole form.
#[derive(Default)]
pub(super) struct Form {
    /// Text fields.
    pub fields: Fields,
    /// Files, in order.
    pub files: Vec<File>,
}

/// Reads the form, failing with [`ReadError`] past `limit` bytes or `timeout`.
pub(super) async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    timeout: Duration,
) -> Result<Form, ReadError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let multipart = Multipart::new(req.headers(), payload);
    tokio::time::timeout(timeout, read_all(multipart, limit))
        .await
        .map_err(|_| ReadError::Timeout)?
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
}
