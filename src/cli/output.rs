//! What the clients print: plain text for people, `--json` for scripts.

use std::path::PathBuf;

use super::client::{Receipt, TipRow};
use super::review::OpenedTip;
use super::CliError;

/// Prints a submission receipt.
pub fn receipt(r: &Receipt, json: bool) -> Result<(), CliError> {
    if json {
        println!(
            "{}",
            serde_json::json!({ "id": r.id, "received": r.received })
        );
    } else {
        println!("Your tip was received and sealed. Nobody on the server can read it.");
        println!();
        println!("  Reference: {}", r.id);
        println!();
        println!("Keep this reference somewhere safe if you want to mention this tip later.");
    }
    Ok(())
}

/// Prints the tip list.
pub fn tip_list(rows: &[TipRow], json: bool) -> Result<(), CliError> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(rows).expect("rows serialize")
        );
        return Ok(());
    }
    if rows.is_empty() {
        println!("No tips.");
        return Ok(());
    }
    println!(
        "{:<32}  {:<10}  {:>5}  {:>5}  {:>10}  path",
        "id", "received", "epoch", "parts", "bytes"
    );
    for r in rows {
        println!(
            "{:<32}  {:<10}  {:>5}  {:>5}  {:>10}  {}",
            r.id,
            r.received,
            r.epoch,
            r.parts,
            r.size,
            if r.sealed_by_server {
                "sealed by server"
            } else {
                "sealed by witness"
            }
        );
    }
    Ok(())
}

/// Prints an opened tip.
pub fn tip(t: &OpenedTip, saved: &[PathBuf], json: bool) -> Result<(), CliError> {
    if json {
        let attachments: Vec<serde_json::Value> = t
            .sealed
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
        let v = serde_json::json!({
            "id": t.id,
            "sealed_by_server": t.flags.sealed_by_server(),
            "tip": t.sealed.tip,
            "attachments": attachments,
        });
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
    let doc = serde_json::to_value(&t.sealed.tip).expect("tip serializes");
    print_value(&doc, 0);
    if !t.sealed.attachments.is_empty() {
        println!();
        println!("Attachments:");
        for (i, a) in t.sealed.attachments.iter().enumerate() {
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
    Ok(())
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
