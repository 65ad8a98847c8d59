//! Bringing the local store up to date with the server: new tips (fetched and opened on
//! this machine), conversations that grew, triage events after the feed cursor, then the
//! outbox of changes made offline.
//!
//! Crash safety: every store batch holds whole things only (a tip with its files; a
//! conversation's new entries with the tip's new entry count; an event with the cursor it
//! moves), and what is already stored is skipped on the next run. So a sync killed at any
//! point and run again ends with every tip, entry and event exactly once.
//!
//! Must never: write a plaintext anywhere but into the encrypted store, or store an event
//! that did not verify as anything but a refusal.

use std::collections::HashMap;

use crate::client::api::TipRow;
use crate::domain::envelope::Kind;
use crate::domain::TipId;

use super::local::{self, LocalEntry, LocalSigner, LocalTip, FILE_BASE};
use super::open::{open_bundle, open_thread_except, OpenedEntry};
use super::store::{table, Table};
use super::workspace::{Workspace, WorkspaceError};

/// Tips opened before one store commit: each commit fsyncs, so one per tip would cost
/// more than the decryption; a batch holds whole tips only.
const TIPS_PER_BATCH: usize = 64;

/// Tips fetched and opened at once: a fetch is a round trip that mostly waits, so a few
/// in flight hide the latency (the server streams each from its own chunks).
const FETCHERS: usize = 16;

/// Fetches and opens one tip: its row and attachments; a tip this key cannot open (yet)
/// comes back as a row without content and the reason. Only the transport failing is
/// an error (it stops the sync).
fn fetch_and_open(
    c: &super::workspace::Online,
    me: &crate::crypto::identity::Identity,
    row: &TipRow,
) -> Result<(LocalTip, super::open::Plaintexts), WorkspaceError> {
    let bytes = c.client.fetch(&c.session, row.id)?;
    let mut record = LocalTip {
        id: row.id,
        received: row.received.clone(),
        epoch: row.epoch,
        sealed_by_server: row.sealed_by_server,
        files: 0,
        entries: 0,
        plaintext: String::new(),
        unread: true,
        size: row.size,
        parts: row.parts,
        unreadable: None,
    };
    match open_bundle(&c.keyring, me, row.id, &bytes) {
        Ok(tip) => {
            record.files = tip.files.len() as u16;
            record.plaintext = LocalTip::encode(&tip.plaintext);
            Ok((record, tip.files))
        }
        Err(e @ super::Error::Client(_)) => Err(e.into()),
        Err(e) => {
            record.unreadable = Some(e.to_string());
            Ok((record, Vec::new()))
        }
    }
}

/// `f` over `items` on up to `threads` scoped threads; results in input order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.min(items.len()))
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return mine;
                        };
                        mine.push((i, f(item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a fetch worker does not panic"))
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// Where a sync is, for a progress bar or a log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The listing came: `new` tips to fetch, `grown` conversations to update.
    Listed {
        /// Tips not yet in the store.
        new: usize,
        /// Conversations with entries not yet in the store.
        grown: usize,
    },
    /// `done` of `total` new tips are stored.
    Tips {
        /// Stored so far.
        done: usize,
        /// To store in this run.
        total: usize,
    },
    /// `done` of `total` grown conversations are stored.
    Conversations {
        /// Stored so far.
        done: usize,
        /// To store in this run.
        total: usize,
    },
    /// Triage events of `logs` logs were fetched and verified.
    Events {
        /// Events stored.
        stored: usize,
    },
}

/// What a sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Tips on the server.
    pub tips_on_server: usize,
    /// Tips fetched and opened in this run.
    pub tips_new: usize,
    /// Tips this key could not open (listed without content; tried again next time).
    pub tips_unreadable: usize,
    /// Conversation entries stored in this run.
    pub entries_new: usize,
    /// Triage events stored in this run (verified or refused).
    pub events_new: usize,
    /// Of those, events refused by verification (kept with the reason, never applied).
    pub events_refused: usize,
    /// Offline changes sent.
    pub outbox_sent: usize,
    /// Offline changes that could not be applied any more (each with its reason).
    pub outbox_refused: Vec<String>,
}

impl Workspace {
    /// Syncs the store with the server (see the module doc); `progress` hears each step.
    pub fn sync(
        &mut self,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, WorkspaceError> {
        let rows = {
            let c = self.online()?;
            c.client.list(&c.session)?
        };
        let mut report = SyncReport {
            tips_on_server: rows.len(),
            ..SyncReport::default()
        };
        // New tips, and tips that could not be opened before (a grant may have come since).
        let new: Vec<&TipRow> = rows
            .iter()
            .filter(|r| self.tips.get(&r.id).is_none_or(|t| t.unreadable.is_some()))
            .collect();
        self.refresh_metadata(&rows)?;
        let grown_count = rows
            .iter()
            .filter(|r| r.entries > self.tips.get(&r.id).map_or(0, |t| t.entries))
            .count();
        progress(Progress::Listed {
            new: new.len(),
            grown: grown_count,
        });
        // Tips deleted on the server (a recorded decision) leave the store too.
        let on_server: std::collections::HashSet<TipId> = rows.iter().map(|r| r.id).collect();
        let gone: Vec<TipId> = self
            .tips
            .keys()
            .filter(|id| !on_server.contains(id))
            .copied()
            .collect();
        for id in gone {
            self.forget_tip(id)?;
        }
        self.sync_tips(&new, &mut report, progress)?;
        let grown: Vec<&TipRow> = rows
            .iter()
            .filter(|r| self.tips.get(&r.id).is_some_and(|t| r.entries > t.entries))
            .collect();
        self.sync_conversations(&grown, &mut report, progress)?;
        self.sync_events(&mut report, progress)?;
        self.send_outbox(&mut report)?;
        Ok(report)
    }

    fn sync_tips(
        &mut self,
        new: &[&TipRow],
        report: &mut SyncReport,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), WorkspaceError> {
        let total = new.len();
        for chunk in new.chunks(TIPS_PER_BATCH) {
            let fetched = {
                let c = self.online()?;
                let me = &self.me;
                parallel_map(chunk, FETCHERS, |row| fetch_and_open(c, me, row))
            };
            let mut opened = Vec::with_capacity(chunk.len());
            for r in fetched {
                let (record, files) = r?;
                if record.unreadable.is_some() {
                    report.tips_unreadable += 1;
                }
                opened.push((record, files));
            }
            self.store.batch(|b| {
                for (record, files) in &opened {
                    b.put(
                        Table::Tips,
                        &table::tip(&record.id),
                        &local::to_json(record),
                    )?;
                    for (i, f) in files.iter().enumerate() {
                        b.put(
                            Table::Entries,
                            &table::entry(&record.id, FILE_BASE + i as u64),
                            f,
                        )?;
                    }
                }
                Ok::<_, WorkspaceError>(())
            })?;
            for (record, _) in opened {
                self.index_tip(&record);
                if record.unreadable.is_none() {
                    report.tips_new += 1;
                }
                self.tips.insert(record.id, record);
            }
            progress(Progress::Tips {
                done: report.tips_new + report.tips_unreadable,
                total,
            });
        }
        Ok(())
    }

    /// Fetches the entries of each grown conversation that are not stored yet and stores
    /// them, with the tip's new count, in one batch per conversation.
    fn sync_conversations(
        &mut self,
        grown: &[&TipRow],
        report: &mut SyncReport,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), WorkspaceError> {
        for (done, row) in grown.iter().enumerate() {
            let known = self.stored_entry_seqs(row.id)?;
            let thread = {
                let c = self.online()?;
                let held = |seq: u32| known.contains_key(&seq);
                open_thread_except(&c.client, &c.session, &c.keyring, &self.me, row.id, &held)?
            };
            let mut record = self.tips[&row.id].clone();
            let fresh: Vec<LocalEntry> = thread.opened.iter().map(local_entry).collect();
            record.entries = thread.listed as u32;
            if !fresh.is_empty() {
                record.unread = true;
            }
            self.store.batch(|b| {
                for e in &fresh {
                    b.put(
                        Table::Entries,
                        &table::entry(&row.id, u64::from(e.seq)),
                        &local::to_json(e),
                    )?;
                }
                b.put(Table::Tips, &table::tip(&row.id), &local::to_json(&record))?;
                Ok::<_, WorkspaceError>(())
            })?;
            report.entries_new += fresh.len();
            self.tips.insert(row.id, record);
            progress(Progress::Conversations {
                done: done + 1,
                total: grown.len(),
            });
        }
        Ok(())
    }

    /// Keeps each stored tip's server facts (epoch after a rewrap, size, parts) as listed,
    /// in one batch.
    fn refresh_metadata(&mut self, rows: &[TipRow]) -> Result<(), WorkspaceError> {
        let changed: Vec<LocalTip> = rows
            .iter()
            .filter_map(|r| {
                let t = self.tips.get(&r.id)?;
                (t.epoch != r.epoch || t.size != r.size || t.parts != r.parts).then(|| {
                    let mut t = t.clone();
                    (t.epoch, t.size, t.parts) = (r.epoch, r.size, r.parts);
                    t
                })
            })
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        self.store.batch(|b| {
            for t in &changed {
                b.put(Table::Tips, &table::tip(&t.id), &local::to_json(t))?;
            }
            Ok::<_, WorkspaceError>(())
        })?;
        for t in changed {
            self.tips.insert(t.id, t);
        }
        Ok(())
    }

    /// The conversation seqs stored for `id` (files excluded).
    fn stored_entry_seqs(&self, id: TipId) -> Result<HashMap<u32, ()>, WorkspaceError> {
        Ok(self
            .store
            .scan_prefix(Table::Entries, &table::tip(&id))?
            .into_iter()
            .filter_map(|(k, _)| table::seq_of(&k))
            .filter(|s| *s < FILE_BASE)
            .map(|s| (s as u32, ()))
            .collect())
    }
}

fn local_entry(e: &OpenedEntry) -> LocalEntry {
    LocalEntry {
        seq: e.seq,
        kind: if e.kind == Kind::Reply {
            "reply"
        } else {
            "followup"
        }
        .into(),
        received: e.received.clone(),
        message: e.message.as_str().to_owned(),
        signer: e.signer.as_ref().map(|s| LocalSigner {
            id: s.id.to_string(),
            name: s.name.clone(),
        }),
        attachments: e
            .attachments
            .iter()
            .map(|a| format!("{} ({})", a.name, a.media_type))
            .collect(),
    }
}
