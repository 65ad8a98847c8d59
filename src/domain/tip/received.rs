//! A sealed tip's plaintext *as received*: the reviewer's lenient view.
//!
//! The server cannot check what it cannot read, so a tip sealed by any client — a newer
//! one with fields this version does not know, or a careless one with `"yes"` for a
//! boolean — is stored and must open. This view never refuses content: it keeps every
//! field as it arrived, tries each one against the strict types of the document
//! ([`TipDocument`], [`SealedTip`]) and records a [`Warning`] naming the field for each
//! one that fails, or that it does not know. Text that is not JSON is kept as text.
//!
//! Must never: fail, drop a field, or rewrite a value it shows. Only cryptography (in
//! `crypto::envelope` and the attachment hashes) may refuse a tip.

use serde_json::{Map, Value};

use super::fields::{check_object, kind, Warnings, DOCUMENT};
use super::{
    is_b64url, AttachmentMeta, FileName, MediaType, ReplyTo, SealedTip, TipDocument,
    MAX_ATTACHMENTS, MAX_TIP_JSON, SEALED_TIP_FORMAT,
};

/// The UTF-8 byte-order mark, which JSON (RFC 8259 §8.1) does not allow.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One field that did not follow the schema, or a problem with the whole plaintext.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// Where: a JSON path such as `tip.workers.count` or `attachments[0].name`; empty
    /// for the plaintext as a whole.
    pub field: String,
    /// What is wrong, in English.
    pub problem: String,
}

/// What the report shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Shown {
    /// The tip document as received (normally a JSON object), every field kept.
    Document(Value),
    /// The plaintext was not JSON: its text (invalid UTF-8 replaced by U+FFFD).
    Text(String),
}

/// A tip's plaintext as received.
#[derive(Clone, Debug)]
pub struct ReceivedTip {
    /// The strict parse, when the plaintext followed the schema (perhaps after a BOM).
    pub strict: Option<SealedTip>,
    /// The report, as received.
    pub shown: Shown,
    /// Fields of the wrapper this client does not know, as received.
    pub other_fields: Map<String, Value>,
    /// The attachment descriptions that could be read (each needs its size and hash to
    /// be checked against its part).
    pub attachments: Vec<AttachmentMeta>,
    /// The witness's reply address, when it is well formed.
    pub reply_to: Option<ReplyTo>,
    /// Everything that did not follow the schema, in document order.
    pub warnings: Vec<Warning>,
}

impl ReceivedTip {
    /// Reads any plaintext. Never fails.
    pub fn from_plaintext(bytes: &[u8]) -> Self {
        let mut w = Warnings::default();
        let body = strip_bom(bytes, &mut w);
        if body.len() > MAX_TIP_JSON {
            w.push(
                "",
                format!("the plaintext is larger than {MAX_TIP_JSON} bytes"),
            );
        }
        let strict = SealedTip::from_json(body).ok();
        let value = match serde_json::from_slice::<Value>(body) {
            Ok(v) => v,
            Err(e) => return Self::text(body, &e.to_string(), w),
        };
        let mut tip = Self {
            strict,
            shown: Shown::Document(Value::Null),
            other_fields: Map::new(),
            attachments: Vec::new(),
            reply_to: None,
            warnings: Vec::new(),
        };
        tip.read_wrapper(value, &mut w);
        tip.warnings = w.0;
        if tip.strict.is_some() && !tip.warnings.iter().all(|x| x.field.is_empty()) {
            // Cannot happen while the table below matches the types; never hide a warning.
            tip.strict = None;
        }
        tip
    }

    /// Whether the plaintext followed the schema exactly.
    pub fn follows_schema(&self) -> bool {
        self.strict.is_some() && self.warnings.is_empty()
    }

    fn text(body: &[u8], error: &str, mut w: Warnings) -> Self {
        if std::str::from_utf8(body).is_err() {
            w.push("", "the plaintext is not valid UTF-8");
        }
        w.push(
            "",
            format!("the plaintext is not JSON ({error}); shown as text"),
        );
        Self {
            strict: None,
            shown: Shown::Text(String::from_utf8_lossy(body).into_owned()),
            other_fields: Map::new(),
            attachments: Vec::new(),
            reply_to: None,
            warnings: w.0,
        }
    }

    fn read_wrapper(&mut self, value: Value, w: &mut Warnings) {
        let Value::Object(mut map) = value else {
            w.push("", "the plaintext is not a JSON object");
            self.shown = Shown::Document(value);
            return;
        };
        if !map.contains_key("format") && !map.contains_key("tip") && map.contains_key("schema") {
            w.push(
                "",
                format!("a bare tip document, not wrapped in {SEALED_TIP_FORMAT}"),
            );
            check_object(&Value::Object(map.clone()), DOCUMENT, "tip", w);
            self.shown = Shown::Document(Value::Object(map));
            return;
        }
        match map.remove("format") {
            Some(Value::String(f)) if f == SEALED_TIP_FORMAT => {}
            Some(_) => w.push("format", format!("must be \"{SEALED_TIP_FORMAT}\"")),
            None => w.push("format", "missing"),
        }
        match map.remove("tip") {
            Some(doc) => {
                check_object(&doc, DOCUMENT, "tip", w);
                self.shown = Shown::Document(doc);
            }
            None => w.push(
                "tip",
                "missing: there is no report, only what is listed below",
            ),
        }
        self.attachments = read_attachments(map.remove("attachments"), w);
        self.reply_to = read_reply_to(map.remove("reply_to"), w);
        for key in map.keys() {
            w.push(
                key,
                "unknown field (not in this schema version; perhaps from a newer client)",
            );
        }
        self.other_fields = map;
        let has_content = match &self.shown {
            Shown::Document(doc) => {
                serde_json::from_value::<TipDocument>(doc.clone()).map_or(true, |d| d.has_content())
            }
            Shown::Text(_) => true,
        };
        if !has_content && self.attachments.is_empty() {
            w.push("tip", "the report is empty");
        }
    }
}

/// What a sealing client must refuse before sealing: every field of a tip document
/// (bare, as `tipseal submit --tip` takes it) that does not follow the schema.
/// Empty when [`TipDocument::from_json`] accepts the bytes.
pub fn document_problems(bytes: &[u8]) -> Vec<Warning> {
    let mut w = Warnings::default();
    let body = strip_bom(bytes, &mut w);
    if body.len() > MAX_TIP_JSON {
        w.push(
            "",
            format!("the document is larger than {MAX_TIP_JSON} bytes"),
        );
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => check_object(&v, DOCUMENT, "", &mut w),
        Err(e) => w.push("", format!("not JSON: {e}")),
    }
    if w.0.is_empty() {
        if let Err(e) = TipDocument::from_json(bytes) {
            // The field table and the types disagree: still refuse, with serde's words.
            w.push("", e.to_string());
        }
    }
    w.0
}

fn strip_bom<'a>(bytes: &'a [u8], w: &mut Warnings) -> &'a [u8] {
    match bytes.strip_prefix(BOM) {
        Some(rest) => {
            w.push(
                "",
                "starts with a byte-order mark, which JSON does not allow",
            );
            rest
        }
        None => bytes,
    }
}

fn read_attachments(v: Option<Value>, w: &mut Warnings) -> Vec<AttachmentMeta> {
    let items = match v {
        None => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            w.push(
                "attachments",
                format!(
                    "a list is expected, not {}; read as no attachments",
                    kind(&other)
                ),
            );
            return Vec::new();
        }
    };
    if items.len() > MAX_ATTACHMENTS {
        w.push(
            "attachments",
            format!("more than {MAX_ATTACHMENTS} attachments"),
        );
    }
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let path = format!("attachments[{i}]");
        match serde_json::from_value::<AttachmentMeta>(item.clone()) {
            Ok(m) => {
                if usize::from(m.part) != i + 1 {
                    w.push(&format!("{path}.part"), format!("must be {}", i + 1));
                }
                if !is_hash(&m.blake2b) {
                    w.push(&format!("{path}.blake2b"), "not 64 hexadecimal characters");
                }
                out.push(m);
            }
            Err(e) => {
                w.push(&path, e.to_string());
                if let Some(m) = lenient_meta(&item, i) {
                    out.push(m);
                }
            }
        }
    }
    out
}

/// An attachment entry that failed the strict type, read as far as it can be checked:
/// its size and hash must be there; a bad name or type is replaced by a safe one.
fn lenient_meta(v: &Value, i: usize) -> Option<AttachmentMeta> {
    let part = u16::try_from(i + 1).ok()?;
    let size = v.get("size")?.as_u64()?;
    let blake2b = v
        .get("blake2b")?
        .as_str()
        .filter(|h| is_hash(h))?
        .to_owned();
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .and_then(|n| FileName::parse(n.to_owned()).ok())
        .unwrap_or_else(|| FileName::parse(format!("part-{part}")).expect("a plain name"));
    let media_type = v
        .get("media_type")
        .and_then(Value::as_str)
        .and_then(|t| MediaType::parse(t.to_owned()).ok())
        .unwrap_or_else(|| {
            MediaType::parse("application/octet-stream".to_owned()).expect("a valid type")
        });
    Some(AttachmentMeta {
        part,
        name,
        media_type,
        size,
        blake2b,
    })
}

fn read_reply_to(v: Option<Value>, w: &mut Warnings) -> Option<ReplyTo> {
    let v = v.filter(|v| !v.is_null())?;
    match serde_json::from_value::<ReplyTo>(v) {
        Ok(r) if r.box_pk.len() == 43 && r.box_pk.bytes().all(is_b64url) => Some(r),
        Ok(_) => {
            w.push("reply_to.box_pk", "not 32 bytes of base64url");
            None
        }
        Err(e) => {
            w.push("reply_to", e.to_string());
            None
        }
    }
}

fn is_hash(h: &str) -> bool {
    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
#[path = "received_tests.rs"]
mod received_tests;
