//! The tip document's fields one by one, each with its strict type: what the reviewer's
//! lenient reader ([`super::received`]) and a sealing client's refusal check a document
//! against, field by field, so that every problem is named by its path.
//!
//! Must never: hold a rule of its own. Each leaf defers to the type's parser, and a test
//! keeps this table equal to the types and to the published schema.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::received::Warning;
use super::{
    Bounded, CountryCode, LanguageTag, LongText, MinderAction, MinderRole, PartialDate, Relation,
    SchemaTag, Sector, ShortText,
};

/// Longest problem text kept per warning: a bad value may be a whole narrative.
const MAX_PROBLEM_CHARS: usize = 300;

#[derive(Default)]
pub(super) struct Warnings(pub(super) Vec<Warning>);

impl Warnings {
    pub(super) fn push(&mut self, field: &str, problem: impl Into<String>) {
        let mut problem: String = problem.into();
        if problem.chars().count() > MAX_PROBLEM_CHARS {
            problem = problem.chars().take(MAX_PROBLEM_CHARS).collect::<String>() + "…";
        }
        self.0.push(Warning {
            field: field.to_owned(),
            problem,
        });
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// How a part of the tip document is checked.
pub(super) enum Shape {
    /// A value checked whole by its strict type (`null` allowed: every field is optional).
    Leaf(fn(&Value) -> Result<(), String>),
    /// An object with these fields and no others.
    Object(&'static [(&'static str, Shape)]),
    /// A list of values of one shape.
    List(&'static Shape),
}

fn leaf<T: DeserializeOwned>(v: &Value) -> Result<(), String> {
    serde_json::from_value::<Option<T>>(v.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn required_schema(v: &Value) -> Result<(), String> {
    serde_json::from_value::<SchemaTag>(v.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The fields of [`TipDocument`], field by field (kept equal to the types and the
/// published schema by `received_tests::the_field_table_matches_the_schema`).
pub(super) const DOCUMENT: &[(&str, Shape)] = &[
    ("schema", Shape::Leaf(required_schema)),
    ("language", Shape::Leaf(leaf::<LanguageTag>)),
    ("worksite", Shape::Object(WORKSITE)),
    ("workers", Shape::Object(WORKERS)),
    ("minders", Shape::List(&Shape::Object(MINDER))),
    ("witness", Shape::Object(WITNESS)),
    ("narrative", Shape::Leaf(leaf::<LongText>)),
];

const WORKSITE: &[(&str, Shape)] = &[
    ("name", Shape::Leaf(leaf::<ShortText>)),
    ("employer", Shape::Leaf(leaf::<ShortText>)),
    ("contractor", Shape::Leaf(leaf::<ShortText>)),
    ("agency", Shape::Leaf(leaf::<ShortText>)),
    ("sector", Shape::Leaf(leaf::<Sector>)),
    ("country", Shape::Leaf(leaf::<CountryCode>)),
    ("city", Shape::Leaf(leaf::<ShortText>)),
    ("address", Shape::Leaf(leaf::<ShortText>)),
    ("coordinates", Shape::Leaf(leaf::<super::Coordinates>)),
    ("observed_from", Shape::Leaf(leaf::<PartialDate>)),
    ("observed_to", Shape::Leaf(leaf::<PartialDate>)),
];

const WORKERS: &[(&str, Shape)] = &[
    ("count", Shape::Leaf(leaf::<Bounded<0, 1_000_000>>)),
    ("nationality", Shape::Leaf(leaf::<CountryCode>)),
    ("hours_per_day", Shape::Leaf(leaf::<Bounded<0, 24>>)),
    ("rest_days_per_month", Shape::Leaf(leaf::<Bounded<0, 31>>)),
    ("passports_held_by_others", Shape::Leaf(leaf::<bool>)),
    ("wages", Shape::Leaf(leaf::<ShortText>)),
    ("housing", Shape::Leaf(leaf::<ShortText>)),
    ("movement_restricted", Shape::Leaf(leaf::<bool>)),
    ("injuries", Shape::Leaf(leaf::<ShortText>)),
];

const MINDER: &[(&str, Shape)] = &[
    ("name_or_alias", Shape::Leaf(leaf::<ShortText>)),
    ("role", Shape::Leaf(leaf::<MinderRole>)),
    ("description", Shape::Leaf(leaf::<ShortText>)),
    ("actions", Shape::List(&Shape::Leaf(leaf::<MinderAction>))),
];

const WITNESS: &[(&str, Shape)] = &[
    ("relation", Shape::Leaf(leaf::<Relation>)),
    ("may_contact", Shape::Leaf(leaf::<bool>)),
    ("language", Shape::Leaf(leaf::<LanguageTag>)),
];

fn check(v: &Value, shape: &Shape, path: &str, w: &mut Warnings) {
    match shape {
        Shape::Leaf(f) => {
            if let Err(e) = f(v) {
                w.push(path, e);
            }
        }
        Shape::Object(fields) if !v.is_null() => check_object(v, fields, path, w),
        Shape::Object(_) => {}
        Shape::List(item) => match v {
            Value::Null => {}
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    check(x, item, &format!("{path}[{i}]"), w);
                }
            }
            _ => w.push(path, "a list is expected"),
        },
    }
}

pub(super) fn check_object(v: &Value, fields: &[(&str, Shape)], path: &str, w: &mut Warnings) {
    let Value::Object(map) = v else {
        return w.push(path, format!("an object is expected, not {}", kind(v)));
    };
    for (name, shape) in fields {
        match map.get(*name) {
            Some(x) => check(x, shape, &join(path, name), w),
            None if *name == "schema" => w.push(&join(path, name), "missing"),
            None => {}
        }
    }
    for key in map.keys() {
        if !fields.iter().any(|(n, _)| n == key) {
            w.push(
                &join(path, key),
                "unknown field (not in this schema version; perhaps from a newer client)",
            );
        }
    }
}

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
