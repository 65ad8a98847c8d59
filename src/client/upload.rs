//! Sending a sealed tip within the server's body cap: the tip and the small attachments
//! travel in the `POST /api/v1/tips` body, every envelope from the first one over 1 MiB
//! on goes first through the resumable uploads API, 1 MiB at a time (two uploads side by
//! side), and is named in
//! `Tipseal-Uploads` (the server appends uploads after the inline parts, in the order
//! named, so the part numbers sealed in the tip stay right). The witness page does the
//! same (`web/static/app.js`, `planParts`), so both carry a tip up to the whole-tip cap.
//!
//! Must never: reorder parts, or send anything but sealed envelopes.

use crate::domain::bundle;

use super::Client;
use super::Error;

/// Envelopes above this go through the uploads API (the page's `INLINE_LIMIT`).
const INLINE_LIMIT: usize = 1024 * 1024;
/// Most bytes of inline parts in one body: far below any server's body cap (32 MiB by
/// default), so a bundle of many small files never meets it.
const INLINE_BODY: usize = 8 * 1024 * 1024;
/// Tries of one chunk whose connection dropped before the answer.
const CHUNK_ATTEMPTS: u32 = 5;
/// Uploads sent side by side. Each chunk is answered only once the server synced it, so
/// one upload leaves the link idle during every sync; two overlap one's sync with the
/// other's transfer (a 64 MiB attachment is two 32 MiB files: BENCHMARKS.md, session
/// 26). More would add little on one disk and hold more of the server's open uploads.
const PARALLEL_UPLOADS: usize = 2;

/// A bundle split for sending: the body of `POST /api/v1/tips` and the upload ids to
/// name after it.
pub struct Prepared {
    /// The inline bundle: the tip and the attachments before the first uploaded one.
    pub body: Vec<u8>,
    /// Completed uploads, in part order.
    pub uploads: Vec<String>,
}

/// Splits `sealed` (a whole bundle) and uploads its big parts. Done once per tip: a
/// retried `POST` must name the same uploads (else 409 `idempotency_conflict`).
pub fn prepare(client: &Client, sealed: &[u8]) -> Result<Prepared, Error> {
    let parsed = bundle::parse(sealed)?;
    let parts: Vec<&[u8]> = parsed.parts().iter().map(|p| p.bytes).collect();
    let mut inline = 1;
    let mut size = parts[0].len();
    while inline < parts.len()
        && parts[inline].len() <= INLINE_LIMIT
        && size + parts[inline].len() <= INLINE_BODY
    {
        size += parts[inline].len();
        inline += 1;
    }
    if inline == parts.len() {
        return Ok(Prepared {
            body: sealed.to_vec(),
            uploads: Vec::new(),
        });
    }
    let mut uploads = Vec::with_capacity(parts.len() - inline);
    for group in parts[inline..].chunks(PARALLEL_UPLOADS) {
        let ids: Vec<Result<String, Error>> = std::thread::scope(|scope| {
            let sending: Vec<_> = group
                .iter()
                .map(|env| scope.spawn(move || upload(client, env)))
                .collect();
            sending
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Error::Network("an upload thread failed".into())))
                })
                .collect()
        });
        for id in ids {
            uploads.push(id?);
        }
    }
    Ok(Prepared {
        body: bundle::encode(&parts[..inline]),
        uploads,
    })
}

/// Uploads one envelope; its upload id.
fn upload(client: &Client, envelope: &[u8]) -> Result<String, Error> {
    let (id, chunk) = client.create_upload(envelope.len())?;
    let chunk = chunk.clamp(1, INLINE_LIMIT);
    let mut offset = 0;
    let mut failures = 0;
    while offset < envelope.len() {
        let end = (offset + chunk).min(envelope.len());
        match client.append_upload(&id, offset, &envelope[offset..end]) {
            Ok(next) if next > offset && next <= envelope.len() => offset = next,
            Ok(_) => return Err(Error::Network("the upload did not advance".into())),
            Err(Error::Network(_)) if failures + 1 < CHUNK_ATTEMPTS => {
                // Dropped before the answer: the same offset again; a 409 then tells
                // where the server already stands.
                failures += 1;
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(id)
}
