//! The sizes the docs and the witness page promise are the ones `src/domain/limits.rs`
//! enforces: one limit per file and one per tip, written the same everywhere (the page
//! once promised 64 MB per file, the envelope format's ceiling, which no server takes).

use tipseal::domain::limits::{MAX_FILE_BYTES, MAX_TIP_BYTES};
use tipseal::domain::tip::MAX_ATTACHMENTS;

const MIB: usize = 1024 * 1024;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// `33554431` → `33 554 431`, as the docs write large numbers.
fn spaced(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_docs_state_the_enforced_file_and_tip_limits() {
    let file = spaced(MAX_FILE_BYTES);
    let tip_mib = format!("{} MiB", MAX_TIP_BYTES / MIB);
    for doc in ["docs/limits.md", "docs/client-guide.md"] {
        let text = read(doc);
        assert!(text.contains(&file), "{doc} names the file limit {file}");
        assert!(
            text.contains(&tip_mib),
            "{doc} names the tip limit {tip_mib}"
        );
    }
    assert!(read("docs/client-guide.md").contains(&spaced(MAX_TIP_BYTES)));
}

#[test]
fn every_language_s_attachment_hint_promises_the_enforced_file_limit() {
    let mb = (MAX_FILE_BYTES + 1) / MIB;
    for lang in ["ar", "en", "ko", "nl", "pl", "ru", "zh"] {
        let strings: serde_json::Value =
            serde_json::from_str(&read(&format!("web/i18n/{lang}.json"))).unwrap();
        let hint = strings["attachments_hint"].as_str().unwrap();
        let numbers: Vec<usize> = hint
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        assert_eq!(numbers, [MAX_ATTACHMENTS, mb], "{lang}: {hint}");
    }
}
