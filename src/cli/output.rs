//! What the clients print: plain text for people, `--json` for scripts.

use std::path::PathBuf;

use super::CliError;
use crate::client::api::Receipt;
use crate::domain::envelope::Kind;
use crate::domain::tip::received::{ReceivedTip, Shown};
use crate::reviewer::open::{OpenedEntry, OpenedTip};
use crate::reviewer::rewrap::RewrapReport;

/// A command-line word as it must be typed in a POSIX shell: as is when it holds only
/// Shows the notes a library call gathered (warnings, a file written), one a line on
/// stderr.
pub fn notes(notes: &[String]) {
    for n in notes {
        eprintln!("{n}");
    }
}

/// safe characters, else single-quoted. Hints are printed to be pasted.
pub fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Where the receipt went, for the receipt message: the server the tip was sent to and
/// the `--receipt-out` file, if any (so the printed follow-up command works as pasted).
pub struct ReceiptHint<'a> {
    /// The `--server` value used.
    pub server: &'a str,
    /// The `--proxy` value used, if any.
    pub proxy: Option<&'a str>,
    /// The `--receipt-out` file, if the words were saved.
    pub saved_to: Option<&'a std::path::Path>,
}

/// Prints a submission receipt, and the receipt words (shown this once only).
pub fn receipt(
    r: &Receipt,
    words: Option<&str>,
    hint: &ReceiptHint<'_>,
    json: bool,
) -> Result<(), CliError> {
    if json {
        let mut v = serde_json::json!({ "id": r.id, "received": r.received });
        if let Some(w) = words {
            v["receipt"] = serde_json::json!(w);
        }
        if let Some(p) = hint.saved_to {
            v["receipt_file"] = serde_json::json!(p.display().to_string());
        }
        println!("{v}");
    } else {
        println!("Your tip was received and sealed. Nobody on the server can read it.");
        println!();
        println!("  Reference: {}", r.id);
        println!();
        println!("Keep this reference somewhere safe if you want to mention this tip later.");
        if let Some(w) = words {
            println!();
            println!("Your receipt (12 words). It is shown only this once:");
            println!();
            println!("  {w}");
            println!();
            println!("With these words you can read the reviewers' answers and add to your tip:");
            let file = hint.saved_to.map_or_else(
                || "FILE-WITH-THE-WORDS".to_owned(),
                |p| shell_word(&p.display().to_string()),
            );
            let proxy = hint
                .proxy
                .map(|p| format!(" --proxy {}", shell_word(p)))
                .unwrap_or_default();
            println!(
                "  tipseal followup --server {}{proxy} --receipt-file {file}",
                shell_word(hint.server)
            );
            println!("Write them on paper or keep them where only you can find them. Anyone who");
            println!(
                "has them can read the answers. Nobody, not even the reviewers, can give them"
            );
            println!("back to you if you lose them.");
        }
    }
    Ok(())
}

/// Prints what a witness's mailbox holds, and whether a message was added.
pub fn mailbox(
    entries: &[OpenedEntry],
    saved: &[Vec<PathBuf>],
    retention: &str,
    unverified: usize,
    sent: Option<(u32, bool)>,
    json: bool,
) -> Result<(), CliError> {
    if json {
        let all = entries_json(entries, saved);
        let only_replies: Vec<serde_json::Value> = all
            .iter()
            .filter(|v| v["kind"] == "reply")
            .cloned()
            .collect();
        let v = serde_json::json!({
            "conversation": all,
            "replies": only_replies,
            "retention": retention,
            "unverified": unverified,
            "sent": sent.map(|(id, _)| id),
            "sent_copy_kept": sent.map(|(_, kept)| kept),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&v).expect("mailbox serializes")
        );
        return Ok(());
    }
    if !entries.iter().any(|e| e.kind == Kind::Reply) {
        println!("No replies yet.");
    }
    // The whole conversation in order: "Witness" entries are your own follow-ups (those
    // sent with a copy for you), the others the reviewers' replies.
    print_entries(entries, saved);
    if unverified > 0 {
        println!(
            "{unverified} message(s) in your mailbox could not be verified as coming from a \
             reviewer or from you and were not shown."
        );
    }
    println!();
    println!(
        "{}",
        if retention == "delete_after_read" {
            "On this server replies and your copies of your messages are deleted from your \
             mailbox once you have read them: save what you need now."
        } else {
            "On this server replies stay in your mailbox."
        }
    );
    if let Some((id, kept)) = sent {
        println!("Your message was added to your tip (#{id}). Only the reviewers can read it.");
        if !kept {
            println!(
                "With {} files there was no room for your own copy: this message will not \
                 show in your mailbox.",
                crate::domain::tip::MAX_ATTACHMENTS
            );
        }
    }
    Ok(())
}

fn entries_json(entries: &[OpenedEntry], saved: &[Vec<PathBuf>]) -> Vec<serde_json::Value> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let attachments: Vec<serde_json::Value> = e
                .attachments
                .iter()
                .enumerate()
                .map(|(j, a)| {
                    let mut v = serde_json::to_value(a).expect("attachment metadata serializes");
                    if let Some(p) = saved.get(i).and_then(|s| s.get(j)) {
                        v["saved_to"] = serde_json::json!(p.display().to_string());
                    }
                    v
                })
                .collect();
            let mut v = serde_json::json!({
                "id": e.seq,
                "kind": if e.kind == Kind::Reply { "reply" } else { "followup" },
                "received": e.received,
                "message": e.message.as_str(),
                "attachments": attachments,
            });
            if let Some(s) = &e.signer {
                v["reviewer"] = serde_json::json!({
                    "id": s.id,
                    "name": s.name,
                    "status": if s.current { "current" } else { "revoked" },
                });
            }
            v
        })
        .collect()
}

fn print_entries(entries: &[OpenedEntry], saved: &[Vec<PathBuf>]) {
    for (i, e) in entries.iter().enumerate() {
        println!();
        let who = match &e.signer {
            Some(s) if s.current => format!("Reviewer {} ({})", s.name, s.id),
            Some(s) => format!(
                "Reviewer {} ({}), no longer on the team (removed from the keyring since)",
                s.name, s.id
            ),
            None => "Witness".to_owned(),
        };
        println!("#{} · {} · {}", e.seq, e.received, who);
        for line in e.message.as_str().lines() {
            println!("  {line}");
        }
        for (j, a) in e.attachments.iter().enumerate() {
            let where_ = saved
                .get(i)
                .and_then(|s| s.get(j))
                .map(|p| format!(" → saved to {}", p.display()))
                .unwrap_or_default();
            println!(
                "  [file] {} ({}, {} bytes){}",
                a.name, a.media_type, a.size, where_
            );
        }
    }
}

/// Prints an opened tip and its conversation.
pub fn tip(
    t: &OpenedTip,
    saved: &[PathBuf],
    conversation: &[OpenedEntry],
    conversation_saved: &[Vec<PathBuf>],
    reply_command: &str,
    json: bool,
) -> Result<(), CliError> {
    let r = &t.received;
    if json {
        let attachments: Vec<serde_json::Value> = r
            .attachments
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut v = serde_json::to_value(a).expect("attachment metadata serializes");
                if let Some(p) = saved.get(i) {
                    v["saved_to"] = serde_json::json!(p.display().to_string());
                }
                v
            })
            .collect();
        let mut v = serde_json::json!({
            "id": t.id,
            "sealed_by_server": t.flags.sealed_by_server(),
            "follows_schema": r.follows_schema(),
            "warnings": r.warnings,
            "attachments": attachments,
            "reply_possible": r.reply_to.is_some(),
            "conversation": entries_json(conversation, conversation_saved),
        });
        match &r.shown {
            Shown::Document(doc) => v["tip"] = doc.clone(),
            Shown::Text(text) => {
                v["tip"] = serde_json::Value::Null;
                v["tip_text"] = serde_json::json!(text);
            }
        }
        if !r.other_fields.is_empty() {
            v["other_fields"] = serde_json::Value::Object(r.other_fields.clone());
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&v).expect("tip serializes")
        );
        return Ok(());
    }
    println!("Tip {}", t.id);
    println!(
        "Sealed {}",
        if t.flags.sealed_by_server() {
            "by the server on arrival (no-JavaScript path)"
        } else {
            "on the witness's own device"
        }
    );
    println!();
    print_warnings(r);
    match &r.shown {
        Shown::Document(doc) => print_value(doc, 0),
        Shown::Text(text) => {
            for line in text.lines() {
                println!("  {line}");
            }
        }
    }
    if !r.other_fields.is_empty() {
        println!();
        println!("Other fields (unknown to this client, as received):");
        print_value(&serde_json::Value::Object(r.other_fields.clone()), 1);
    }
    if !r.attachments.is_empty() {
        println!();
        println!("Attachments:");
        for (i, a) in r.attachments.iter().enumerate() {
            let where_ = saved
                .get(i)
                .map(|p| format!(" → saved to {}", p.display()))
                .unwrap_or_default();
            println!(
                "  {} ({}, {} bytes){}",
                a.name, a.media_type, a.size, where_
            );
        }
    }
    println!();
    if conversation.is_empty() {
        if r.reply_to.is_some() {
            println!("No conversation yet. Reply with:");
            println!("  {reply_command}");
        } else {
            println!("The witness left no way to write back.");
        }
    } else {
        println!("Conversation:");
        print_entries(conversation, conversation_saved);
    }
    Ok(())
}

/// What `tipseal review rewrap` did: counts on stdout, each failure on stderr, and an
/// error naming how many failed (everything else was re-wrapped) with the command to run
/// again.
pub fn rewrap(report: &RewrapReport, hint_args: &str) -> Result<(), CliError> {
    let (tips, entries, current) = (report.tips, report.entries, report.epoch);
    println!(
        "Re-wrapped {tips} tip(s) and {entries} conversation entr{} to key epoch {current}.",
        if entries == 1 { "y" } else { "ies" }
    );
    if report.events > 0 {
        println!(
            "Re-wrapped {} triage event(s) to key epoch {current}.",
            report.events
        );
    }
    if report.skipped > 0 {
        println!(
            "{} tip(s) or conversation entries are sealed to epochs your key has no grant for; another reviewer must re-wrap them.",
            report.skipped
        );
    }
    if !report.failed.is_empty() {
        for f in &report.failed {
            eprintln!("Not re-wrapped: {f}");
        }
        return Err(CliError::Usage(format!(
            "{} tip(s) or conversation entries could not be re-wrapped (listed above); everything else was. Run `tipseal review rewrap {hint_args}` again later, or ask the server's operator about those listed",
            report.failed.len()
        )));
    }
    Ok(())
}

/// A tip that does not follow the schema is shown as received, after saying so: the
/// reviewer must read its values knowing a client may have meant something else.
fn print_warnings(r: &ReceivedTip) {
    if r.warnings.is_empty() {
        return;
    }
    println!("Warning: this tip does not follow the tip schema (docs/schema/). It is shown as");
    println!("received; values marked below may not mean what this client would expect:");
    for w in &r.warnings {
        if w.field.is_empty() {
            println!("  - {}", w.problem);
        } else {
            println!("  - {}: {}", w.field, w.problem);
        }
    }
    println!();
}

fn print_value(v: &serde_json::Value, indent: usize) {
    let pad = "  ".repeat(indent);
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map {
                if k == "schema" {
                    continue;
                }
                match val {
                    serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                        println!("{pad}{}:", k.replace('_', " "));
                        print_value(val, indent + 1);
                    }
                    _ => println!("{pad}{}: {}", k.replace('_', " "), scalar(val)),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    serde_json::Value::Object(_) => {
                        println!("{pad}- #{}", i + 1);
                        print_value(item, indent + 1);
                    }
                    _ => println!("{pad}- {}", scalar(item)),
                }
            }
        }
        other => println!("{pad}{}", scalar(other)),
    }
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "yes".into(),
        serde_json::Value::Bool(false) => "no".into(),
        other => other.to_string(),
    }
}
