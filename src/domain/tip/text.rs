//! Bounded text values of the tip document: free text, codes, dates, file names.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// A JSON Schema pattern refusing what `has_bad_control` refuses: Unicode Cc (C0, DEL,
/// C1), optionally except tab, line feed and carriage return. Written with `\uXXXX`
/// escapes, which ECMA-262, Python and Rust regular expressions all read alike.
fn no_control_pattern(allow_newlines: bool) -> &'static str {
    if allow_newlines {
        r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
    } else {
        r"^[^\u0000-\u001f\u007f-\u009f]*$"
    }
}

fn has_bad_control(s: &str, allow_newlines: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(allow_newlines && (c == '\n' || c == '\t' || c == '\r')))
}

/// The conversions every string newtype here shares (serde goes through them).
macro_rules! string_newtype_impls {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(t: $name) -> String {
                t.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A `JsonSchema` impl for a string newtype, inlined where it is used.
macro_rules! string_schema {
    ($name:ident, $schema:expr) => {
        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, max_chars = $max:expr, newlines = $nl:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Most characters accepted.
            pub const MAX_CHARS: usize = $max;

            /// Parses text, refusing over-long text and control characters.
            pub fn parse(s: String) -> Result<Self, String> {
                if s.chars().count() > Self::MAX_CHARS {
                    return Err(format!("{} is longer than {} characters", $what, Self::MAX_CHARS));
                }
                if has_bad_control(&s, $nl) {
                    return Err(format!("{} contains control characters", $what));
                }
                Ok(Self(s))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_newtype_impls!($name);
        string_schema!($name, json_schema!({
            "type": "string",
            "maxLength": $max,
            "pattern": no_control_pattern($nl),
        }));

        // Tip text is a witness's words: keep it out of debug output and logs.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(<{} chars>)", stringify!($name), self.0.chars().count())
            }
        }
    };
}

text_type!(
    /// A short field: a name, an employer, a description (one paragraph at most).
    ShortText, max_chars = 2_000, newlines = true, "a short field"
);
text_type!(
    /// The free-text narrative.
    LongText, max_chars = 100_000, newlines = true, "the narrative"
);

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $check:expr, $err:literal, schema = $schema:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses the code.
            pub fn parse(s: String) -> Result<Self, String> {
                let check: fn(&str) -> bool = $check;
                if check(&s) {
                    Ok(Self(s))
                } else {
                    Err($err.to_owned())
                }
            }

            /// The code.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_newtype_impls!($name);
        string_schema!($name, $schema);
    };
}

code_type!(
    /// ISO 3166-1 alpha-2 country code, e.g. `KP`.
    CountryCode,
    |s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()),
    "a country must be a two-letter ISO code in capitals, like \"RU\"",
    schema = json_schema!({"type": "string", "pattern": "^[A-Z]{2}$"})
);
code_type!(
    /// A BCP 47 language tag such as `ko`, `zh`, `zh-Hans`, `pt-BR`.
    LanguageTag,
    |s| {
        let mut parts = s.split('-');
        let primary = parts.next().unwrap_or("");
        (2..=3).contains(&primary.len())
            && primary.bytes().all(|b| b.is_ascii_lowercase())
            && s.len() <= 35
            && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
    },
    "a language must be a tag like \"ko\" or \"zh-Hans\"",
    schema = json_schema!({
        "type": "string",
        "maxLength": 35,
        "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
    })
);
/// [`PartialDate`]'s rule as a regular expression: years 1900–2200, real calendar days
/// (Gregorian leap years). Kept equal to the parser by `tests::partial_dates_agree_with_the_schema_pattern`.
pub(crate) const PARTIAL_DATE_PATTERN: &str = concat!(
    "^(?:(?:19|20|21)[0-9][0-9]|2200)(?:-(?:0[1-9]|1[0-2]))?$",
    "|^(?:(?:19|20|21)[0-9][0-9]|2200)-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])",
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))$",
    "|^(?:19(?:0[48]|[2468][048]|[13579][26])|20(?:[02468][048]|[13579][26])",
    "|21(?:0[48]|[2468][048]|[13579][26]))-02-29$",
);

code_type!(
    /// A date as precise as the witness knows it: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    PartialDate,
    |s| {
        let num = |r: std::ops::Range<usize>, lo: u32, hi: u32| {
            s.get(r)
                .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u32>().ok())
                .is_some_and(|n| (lo..=hi).contains(&n))
        };
        match s.len() {
            4 => num(0..4, 1900, 2200),
            7 => num(0..4, 1900, 2200) && &s[4..5] == "-" && num(5..7, 1, 12),
            10 => super::super::Day::parse(s).is_ok() && num(0..4, 1900, 2200),
            _ => false,
        }
    },
    "a date must look like 2024, 2024-03 or 2024-03-01",
    schema = json_schema!({"type": "string", "pattern": PARTIAL_DATE_PATTERN})
);
code_type!(
    /// A media type such as `image/jpeg` (no parameters).
    MediaType,
    |s| {
        let ok = |p: &str| {
            !p.is_empty() && p.len() <= 100
                && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        matches!(s.split_once('/'), Some((t, sub)) if ok(t) && ok(sub))
    },
    "a media type must look like \"image/jpeg\"",
    schema = json_schema!({
        "type": "string",
        "pattern": "^[A-Za-z0-9!#$&^_.+-]{1,100}/[A-Za-z0-9!#$&^_.+-]{1,100}$",
    })
);
code_type!(
    /// A file's base name, safe to join to a directory: no separators, no `..`, no
    /// control characters, at most 255 bytes.
    FileName,
    |s| {
        !s.is_empty()
            && s.len() <= 255
            && s != "."
            && s != ".."
            && !s.contains(['/', '\\', '\0'])
            && !s.chars().any(char::is_control)
    },
    "a file name must be a plain name without slashes",
    schema = json_schema!({
        "type": "string",
        "description": "A base name: no slash, backslash or control character, not `.` or `..`, at most 255 bytes of UTF-8 (the schema can only count 255 characters).",
        "minLength": 1,
        "maxLength": 255,
        "pattern": r"^[^/\\\u0000-\u001f\u007f-\u009f]+$",
        "not": {"enum": [".", ".."]},
    })
);

impl FileName {
    /// Reduces any path to a safe base name (used when a witness attaches a file).
    pub fn from_path_lossy(path: &std::path::Path) -> Self {
        let base = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let cleaned: String = base
            .chars()
            .map(|c| if c.is_control() || c == '\\' { '_' } else { c })
            .collect();
        let mut cleaned = cleaned;
        while cleaned.len() > 255 {
            cleaned.pop();
        }
        Self::parse(cleaned).unwrap_or_else(|_| Self("attachment".to_owned()))
    }
}
