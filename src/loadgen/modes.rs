//! The measurements other than text intake: a 64 MiB attachment through the uploads API,
//! and the reviewers' listing and fetches — each through the same client code the
//! `tipseal` commands use, so the figures are what a user would see.
//!
//! It must never open or print a tip: fetched bytes are only counted.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::client::upload;
use crate::client::Client;
use crate::crypto::bundle_seal;
use crate::crypto::identity::Identity;
use crate::crypto::keyring::VerifiedKeyring;
use crate::domain::envelope::Flags;
use crate::domain::limits::MAX_FILE_BYTES;
use crate::domain::tip::{FileName, MediaType};
use crate::domain::TipId;

use super::{fixture, LoadgenError};

/// Files making up the 64 MiB attachment: one file is at most
/// [`MAX_FILE_BYTES`] (32 MiB − 1 byte), so 64 MiB travel as two files of that size, each
/// through its own upload — within the whole-tip cap of 72 MiB.
const ATTACHMENT_FILES: usize = 2;
/// Tips fetched to time a fetch (the median is reported).
const FETCHES: usize = 50;

/// One attachment upload.
pub struct Attachment {
    /// Sealed bytes sent (tip bundle and the attachment's envelope).
    pub sealed_bytes: u64,
    /// From the first upload request to the 201 of the tip.
    pub elapsed: Duration,
    /// Of which the uploads (`POST /api/v1/uploads` and every `PATCH`).
    pub uploads: Duration,
    /// The server's peak resident KiB (`VmHWM`) once the uploads were done, before the
    /// tip's `POST`; `None` without a server process of our own.
    pub peak_after_uploads_kib: Option<u64>,
}

/// Seals a sample tip with 64 MiB of attachments (before the clock), then sends it as the
/// `submit` command does: the attachment through the uploads API, then the tip.
pub fn attachment(
    base: &str,
    keyring: &VerifiedKeyring,
    key_prefix: &str,
    server_pid: Option<u32>,
) -> Result<Attachment, LoadgenError> {
    let client = Client::new(base, None)?;
    // Incompressible-looking content; the cipher's speed does not depend on it.
    let contents: Vec<Zeroizing<Vec<u8>>> = (0..ATTACHMENT_FILES)
        .map(|f| {
            Zeroizing::new(
                (0..MAX_FILE_BYTES)
                    .map(|i| ((i + f) as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
                    .collect(),
            )
        })
        .collect();
    let files: Vec<bundle_seal::Attachment<'_>> = contents
        .iter()
        .enumerate()
        .map(|(f, bytes)| bundle_seal::Attachment {
            name: FileName::from_path_lossy(&PathBuf::from(format!("site-video-{f}.mp4"))),
            media_type: MediaType::parse("video/mp4".to_owned()).expect("a valid media type"),
            bytes,
        })
        .collect();
    let sealed =
        bundle_seal::seal_bundle(keyring, fixture::sample_doc()?, &files, Flags::NONE, None)?;
    let started = Instant::now();
    let prepared = upload::prepare(&client, &sealed)?;
    let uploads = started.elapsed();
    let peak_after_uploads_kib = server_pid.and_then(super::server::rss).map(|r| r.peak_kib);
    client.submit_with_uploads(
        &prepared.body,
        &format!("{key_prefix}-attachment"),
        None,
        &prepared.uploads,
    )?;
    Ok(Attachment {
        sealed_bytes: sealed.len() as u64,
        elapsed: started.elapsed(),
        uploads,
        peak_after_uploads_kib,
    })
}

/// Listing pages timed (the median and the slowest are reported), each starting at a
/// cursor spread evenly over the id space, so pages deep in the listing count too.
const PAGES: usize = 20;

/// Rows of a timed page: the server's default page (`http::routes::tips`).
const PAGE_ROWS: usize = 500;

/// The listing as one reviewer sees it.
pub struct Listing {
    /// Median of [`PAGES`] `GET /api/v1/tips` pages of the default size (after login).
    pub page_p50: Duration,
    /// The slowest of them.
    pub page_max: Duration,
    /// Rows of the first page.
    pub rows: u64,
    /// Walking every page to the end, as a reviewer's sync does.
    pub walk: Duration,
    /// Rows the walk saw.
    pub walked: u64,
    /// Median of [`FETCHES`] fetches of listed tips.
    pub fetch_p50: Duration,
}

/// Logs in as `reviewer`, times pages of the listing and a walk of all of it, fetches
/// some of the tips.
pub fn listing(base: &str, reviewer: &Identity) -> Result<Listing, LoadgenError> {
    let client = Client::new(base, None)?;
    let session = client.login(reviewer)?;
    let mut pages = Vec::with_capacity(PAGES);
    let mut first_rows = 0;
    let mut sampled = Vec::new();
    for i in 0..PAGES {
        // Cursor i/PAGES of the way through the (uniformly random) id space.
        let cursor = (i > 0).then(|| {
            let mut bytes = [0u8; 16];
            bytes[0] = (i * 256 / PAGES) as u8;
            TipId::from_bytes(bytes)
        });
        let t = Instant::now();
        let page = client.list_page(&session, cursor, PAGE_ROWS)?;
        pages.push(t.elapsed());
        if i == 0 {
            first_rows = page.tips.len() as u64;
        }
        sampled.extend(page.tips.into_iter().take(FETCHES.div_ceil(PAGES)));
    }
    pages.sort();
    let started = Instant::now();
    let walked = client.list(&session)?.len() as u64;
    let walk = started.elapsed();
    sampled.sort_by_key(|r| r.id);
    sampled.dedup_by_key(|r| r.id);
    let mut fetches: Vec<Duration> = sampled
        .iter()
        .take(FETCHES)
        .map(|row| {
            let t = Instant::now();
            client.fetch(&session, row.id).map(|_| t.elapsed())
        })
        .collect::<Result<_, _>>()?;
    fetches.sort();
    Ok(Listing {
        page_p50: pages[pages.len() / 2],
        page_max: pages[pages.len() - 1],
        rows: first_rows,
        walk,
        walked,
        fetch_p50: fetches.get(fetches.len() / 2).copied().unwrap_or_default(),
    })
}

/// Tips the reviewers' listing shows.
pub fn count_tips(base: &str, reviewer: &Identity) -> Result<u64, LoadgenError> {
    let client = Client::new(base, None)?;
    let session = client.login(reviewer)?;
    Ok(client.list(&session)?.len() as u64)
}
