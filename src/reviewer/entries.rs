//! Reading a conversation's entries from the server in batches
//! (`GET /api/v1/tips/{id}/thread/entries`), for every reviewer operation that needs
//! their sealed bytes: opening (`open`, and through it sync and `review show`) and
//! re-wrapping (`rewrap`).
//!
//! A conversation of 10,000 entries (anyone with a receipt can grow one) costs a few
//! requests of the staff budget, not 10,000. Against a server from before the batch
//! route, it falls back to one request per entry. Must never: hand an entry to the
//! caller under a row it is not (a batch is matched to the listing by seq), or skip a
//! listed entry silently.

use crate::client::api::{Session, ThreadRow};
use crate::client::Client;
use crate::domain::thread_batch::{self, MAX_BATCH_ENTRIES};
use crate::domain::TipId;

use super::Error;

/// What is done with each entry fetched: its row of the listing, its sealed bytes.
pub type EachEntry<'a> = dyn FnMut(&ThreadRow, &[u8]) -> Result<(), Error> + 'a;

/// Fetches the sealed bytes of every entry in `rows` (a tip's listing, or the part of it
/// the caller lacks; seqs increasing, as the server lists them) and hands each to `each`
/// with its row, in order. Entries between the rows that a batch also carries (held
/// already) are skipped. An error from `each` stops the walk and is returned.
pub fn for_each_entry(
    client: &Client,
    session: &Session,
    id: TipId,
    rows: &[ThreadRow],
    each: &mut EachEntry<'_>,
) -> Result<(), Error> {
    let Some(last) = rows.last() else {
        return Ok(());
    };
    let mut next = 0;
    while let Some(first) = rows.get(next) {
        // Never ask past the last row: entries added since the listing are not the
        // caller's to see in this walk.
        let span = last.id.saturating_sub(first.id) as usize + 1;
        let answer = client.thread_entries(session, id, first.id, span.min(MAX_BATCH_ENTRIES));
        let bytes = match answer {
            Ok(bytes) => bytes,
            // A server from before the batch route: 400 ("entries" is not a seq). A 404
            // here means no such tip; the fallback's first request says so as well.
            Err(crate::client::Error::Server {
                status: 400 | 404, ..
            }) if next == 0 => return one_by_one(client, session, id, rows, each),
            Err(e) => return Err(e.into()),
        };
        let before = next;
        for frame in thread_batch::parse(&bytes)? {
            let Some(row) = rows.get(next) else { break };
            if frame.seq > row.id {
                return Err(vanished(row));
            }
            if frame.seq == row.id {
                each(row, frame.bytes)?;
                next += 1;
            }
        }
        if next == before {
            return Err(vanished(first));
        }
    }
    Ok(())
}

/// The per-entry route, for servers without batches.
fn one_by_one(
    client: &Client,
    session: &Session,
    id: TipId,
    rows: &[ThreadRow],
    each: &mut EachEntry<'_>,
) -> Result<(), Error> {
    for row in rows {
        let bytes = client.thread_entry(session, id, row.id)?;
        each(row, &bytes)?;
    }
    Ok(())
}

fn vanished(row: &ThreadRow) -> Error {
    Error::Refused(format!(
        "entry #{} of this conversation was listed but is no longer on the server (the tip \
         may have been deleted meanwhile): sync again",
        row.id
    ))
}
