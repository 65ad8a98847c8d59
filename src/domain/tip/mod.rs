//! The tip document: what a witness reports, as it travels *inside* a sealed envelope.
//!
//! The server never sees these types; the witness's client builds and checks them before
//! sealing, and the reviewer's client parses them after opening. Every field except the
//! schema tag is optional ("nothing is required except some content"), but every present
//! field is parsed into a bounded, typed value. Sealing clients refuse unknown fields so
//! that no witness's words are silently dropped; a reviewer's client reads whatever
//! arrives through [`received`], which never refuses content. The published JSON Schema
//! ([`schema`], `docs/schema/`) is generated from these types.

pub mod conversation;
mod fields;
mod form;
pub mod received;
pub mod schema;
mod text;
mod vocab;

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

pub use form::{FormProblem, MAX_FORM_FIELDS, MAX_FORM_MINDERS};
pub use text::{CountryCode, FileName, LanguageTag, LongText, MediaType, PartialDate, ShortText};
pub use vocab::{MinderAction, MinderRole, Relation, Sector};

use super::DomainError;

/// The schema tag every tip document carries.
pub const TIP_SCHEMA: &str = "tipseal/tip/v1";
/// The format tag of the sealed-tip wrapper (tip + attachment list).
pub const SEALED_TIP_FORMAT: &str = "tipseal/sealed-tip/v1";
/// Largest tip document accepted, in bytes of JSON: far above any honest report's text,
/// small enough that a reviewer's client never chokes on one.
pub const MAX_TIP_JSON: usize = 1024 * 1024;
/// Most attachments on one tip (the bundle carries at most 33 parts, one is the tip).
pub const MAX_ATTACHMENTS: usize = 32;

/// A witness's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TipDocument {
    /// Always `tipseal/tip/v1`.
    pub schema: SchemaTag,
    /// The language the witness wrote in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageTag>,
    /// Where it happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worksite: Option<Worksite>,
    /// The workers' conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<Workers>,
    /// The minders watching them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minders: Option<Vec<Minder>>,
    /// Who the witness is, in relation to the worksite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<Witness>,
    /// The witness's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narrative: Option<LongText>,
}

/// The schema tag, accepted only as [`TIP_SCHEMA`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SchemaTag;

impl TryFrom<String> for SchemaTag {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s == TIP_SCHEMA {
            Ok(SchemaTag)
        } else {
            Err(format!("\"schema\" must be \"{TIP_SCHEMA}\""))
        }
    }
}

impl From<SchemaTag> for String {
    fn from(_: SchemaTag) -> String {
        TIP_SCHEMA.to_owned()
    }
}

impl JsonSchema for SchemaTag {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "SchemaTag".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "const": TIP_SCHEMA })
    }
}

/// The worksite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Worksite {
    /// Name or description of the site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<ShortText>,
    /// Employer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer: Option<ShortText>,
    /// Contractor, if different from the employer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contractor: Option<ShortText>,
    /// Staffing or labour-supply agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<ShortText>,
    /// Sector of work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<Sector>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// City or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<ShortText>,
    /// Address or directions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<ShortText>,
    /// Coordinates, if the witness chooses to give them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
    /// First day (or month, or year) observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_from: Option<PartialDate>,
    /// Last day (or month, or year) observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_to: Option<PartialDate>,
}

/// WGS 84 coordinates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawCoordinates")]
pub struct Coordinates {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub lon: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoordinates {
    lat: f64,
    lon: f64,
}

impl JsonSchema for Coordinates {
    fn schema_name() -> Cow<'static, str> {
        "Coordinates".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "WGS 84 coordinates in degrees.",
            "type": "object",
            "properties": {
                "lat": { "type": "number", "minimum": -90, "maximum": 90 },
                "lon": { "type": "number", "minimum": -180, "maximum": 180 },
            },
            "required": ["lat", "lon"],
            "additionalProperties": false,
        })
    }
}

impl TryFrom<RawCoordinates> for Coordinates {
    type Error = &'static str;
    fn try_from(r: RawCoordinates) -> Result<Self, Self::Error> {
        if (-90.0..=90.0).contains(&r.lat) && (-180.0..=180.0).contains(&r.lon) {
            Ok(Coordinates {
                lat: r.lat,
                lon: r.lon,
            })
        } else {
            Err("coordinates must be latitude -90..90 and longitude -180..180")
        }
    }
}

/// The workers' conditions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workers {
    /// How many workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Bounded<0, 1_000_000>>,
    /// Their nationality (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<CountryCode>,
    /// Working hours per day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_per_day: Option<Bounded<0, 24>>,
    /// Rest days per month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest_days_per_month: Option<Bounded<0, 31>>,
    /// Whether someone else holds their passports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passports_held_by_others: Option<bool>,
    /// Who is paid, how, how much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wages: Option<ShortText>,
    /// Housing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub housing: Option<ShortText>,
    /// Whether their freedom of movement is restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub movement_restricted: Option<bool>,
    /// Injuries and medical care.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injuries: Option<ShortText>,
}

/// An integer known to lie in `MIN..=MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Bounded<const MIN: u64, const MAX: u64>(u64);

impl<const MIN: u64, const MAX: u64> Bounded<MIN, MAX> {
    /// The value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl<const MIN: u64, const MAX: u64> TryFrom<u64> for Bounded<MIN, MAX> {
    type Error = String;
    fn try_from(n: u64) -> Result<Self, Self::Error> {
        if (MIN..=MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!("a number between {MIN} and {MAX} is expected"))
        }
    }
}

impl<const MIN: u64, const MAX: u64> JsonSchema for Bounded<MIN, MAX> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Bounded{MIN}To{MAX}").into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": MIN, "maximum": MAX })
    }
}

impl<const MIN: u64, const MAX: u64> From<Bounded<MIN, MAX>> for u64 {
    fn from(b: Bounded<MIN, MAX>) -> u64 {
        b.0
    }
}

/// One minder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Minder {
    /// Name or alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_or_alias: Option<ShortText>,
    /// Role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<MinderRole>,
    /// What they look like, how to recognise them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<ShortText>,
    /// What they do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<MinderAction>>,
}

/// The witness, as they choose to describe themselves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Witness {
    /// Relation to the worksite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<Relation>,
    /// Whether reviewers may write back (through the receipt mailbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub may_contact: Option<bool>,
    /// Preferred language for replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageTag>,
}

impl TipDocument {
    /// Parses a tip document from JSON bytes (at most [`MAX_TIP_JSON`]).
    pub fn from_json(bytes: &[u8]) -> Result<Self, DomainError> {
        if bytes.len() > MAX_TIP_JSON {
            return Err(DomainError::Tip(format!(
                "the document is larger than {MAX_TIP_JSON} bytes"
            )));
        }
        let doc: Self =
            serde_json::from_slice(bytes).map_err(|e| DomainError::Tip(e.to_string()))?;
        Ok(doc)
    }

    /// Whether the document says anything at all beyond its schema tag.
    pub fn has_content(&self) -> bool {
        self.worksite.is_some()
            || self.workers.is_some()
            || self.minders.as_ref().is_some_and(|m| !m.is_empty())
            || self
                .narrative
                .as_ref()
                .is_some_and(|n| !n.as_str().trim().is_empty())
    }
}

/// What the witness's client seals into a tip envelope: the document plus a description
/// of each attachment, whose hash binds the attachment envelopes to this tip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SealedTip {
    /// Always `tipseal/sealed-tip/v1`.
    #[schemars(extend("const" = SEALED_TIP_FORMAT))]
    pub format: String,
    /// The report.
    pub tip: TipDocument,
    /// Attachments, in bundle order: entry N describes bundle part N (1, 2, … with no
    /// gap). Absent means none; `null` is refused.
    #[serde(default)]
    #[schemars(length(max = 32))]
    pub attachments: Vec<AttachmentMeta>,
    /// Where reviewers may seal replies: the witness's reply key from their receipt
    /// (`docs/followup.md`). Absent when the witness left no way to write back; present
    /// only when the submission also carried the receipt's mailbox key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
}

/// The witness's reply address, known only to reviewers (it travels inside the seal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyTo {
    /// Base64url (no padding) of the witness's X25519 reply public key.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]{43}$"))]
    pub box_pk: String,
}

/// Describes one attachment part of a tip bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentMeta {
    /// Bundle part number, 1-based (part 0 is the tip); equal to its position in the list.
    #[schemars(range(min = 1, max = 32))]
    pub part: u16,
    /// File name (base name only).
    pub name: FileName,
    /// Media type, e.g. `image/jpeg`.
    pub media_type: MediaType,
    /// Size in bytes of the attachment's plaintext.
    pub size: u64,
    /// Hex BLAKE2b-256 (unkeyed, 32-byte output) of the attachment's plaintext.
    #[schemars(regex(pattern = r"^[0-9a-fA-F]{64}$"))]
    pub blake2b: String,
}

impl SealedTip {
    /// Wraps a document and its attachments, checking there is some content.
    pub fn new(tip: TipDocument, attachments: Vec<AttachmentMeta>) -> Result<Self, DomainError> {
        let sealed = Self {
            format: SEALED_TIP_FORMAT.to_owned(),
            tip,
            attachments,
            reply_to: None,
        };
        sealed.check()?;
        Ok(sealed)
    }

    /// Parses the plaintext of a tip envelope.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DomainError> {
        let sealed: Self =
            serde_json::from_slice(bytes).map_err(|e| DomainError::Tip(e.to_string()))?;
        sealed.check()?;
        Ok(sealed)
    }

    /// The JSON bytes to seal.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a tip document always serializes")
    }

    fn check(&self) -> Result<(), DomainError> {
        let fail = |m: &str| Err(DomainError::Tip(m.to_owned()));
        if self.format != SEALED_TIP_FORMAT {
            return fail("unknown sealed-tip format");
        }
        if !self.tip.has_content() && self.attachments.is_empty() {
            return fail("the report is empty: write something or attach a file");
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            return fail("too many attachments (at most 32)");
        }
        for (i, a) in self.attachments.iter().enumerate() {
            if usize::from(a.part) != i + 1 {
                return fail("attachment parts must be numbered 1, 2, 3 … in order");
            }
            if a.blake2b.len() != 64 || !a.blake2b.bytes().all(|b| b.is_ascii_hexdigit()) {
                return fail("an attachment hash is not 64 hexadecimal characters");
            }
        }
        if let Some(r) = &self.reply_to {
            if r.box_pk.len() != 43 || !r.box_pk.bytes().all(is_b64url) {
                return fail("reply_to.box_pk is not 32 bytes of base64url");
            }
        }
        Ok(())
    }
}

/// Whether `b` is a base64url character (no padding).
pub(crate) fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests;
