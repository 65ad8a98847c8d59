//! The witness page's form fields → a [`TipDocument`]: the one server-side mapping of the
//! names in `docs/web.md` (mirrored by `web/static/app.js`).
//!
//! Empty fields are omitted; every present field goes through the same typed parser as
//! the JSON document. Errors name the kind of problem ([`FormProblem`]), never the value,
//! so that nothing a witness typed reaches a log or an error page.

use serde::de::DeserializeOwned;

use super::{
    Bounded, CountryCode, LanguageTag, LongText, Minder, PartialDate, SchemaTag, ShortText,
    TipDocument, Witness, Workers, Worksite,
};
use crate::domain::DomainError;

/// Most minder blocks accepted (`minders.0` … `minders.31`): the page shows three without
/// JavaScript and lets the script add more; more than this is not an honest form.
pub const MAX_FORM_MINDERS: usize = 32;
/// Most form fields accepted in one submission: every field of the form with all minder
/// blocks filled in, with room to spare.
pub const MAX_FORM_FIELDS: usize = 512;

/// What is wrong with a form field, for a message in the witness's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormProblem {
    /// A number field holds something other than a whole number in range.
    Number,
    /// A date field is not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    Date,
    /// A country field is not a two-letter code.
    Country,
    /// A text is too long or holds control characters.
    Text,
    /// A choice (select, radio, checkbox) holds a value the form does not offer.
    Choice,
    /// An unknown field name, a repeated single field, or too many fields.
    Malformed,
}

impl FormProblem {
    /// A fixed English sentence (translations live in `web/i18n`).
    pub fn sentence(self) -> &'static str {
        match self {
            FormProblem::Number => "a number field does not hold a whole number in range",
            FormProblem::Date => "a date is not written like 2024, 2024-03 or 2024-03-15",
            FormProblem::Country => "a country is not a two-letter code",
            FormProblem::Text => "a text is too long or holds control characters",
            FormProblem::Choice => "a choice is not one the form offers",
            FormProblem::Malformed => "the form has unknown or repeated fields",
        }
    }
}

impl TipDocument {
    /// Builds a document from form fields (`name`, `value`), in the order received.
    ///
    /// File fields (`attachments`), `keep_metadata` (JS) and `keep_all_metadata` (no-JS)
    /// are not part of the document and are ignored here. Does not require content: the caller checks that the report,
    /// with its attachments, says something.
    pub fn from_form(pairs: &[(String, String)]) -> Result<TipDocument, DomainError> {
        if pairs.len() > MAX_FORM_FIELDS {
            return Err(FormProblem::Malformed.into());
        }
        let mut b = Builder::default();
        for (name, value) in pairs {
            b.field(name, value)?;
        }
        Ok(b.finish())
    }
}

impl From<FormProblem> for DomainError {
    fn from(p: FormProblem) -> Self {
        DomainError::Form(p)
    }
}

#[derive(Default)]
struct Builder {
    language: Option<LanguageTag>,
    worksite: Option<Worksite>,
    workers: Option<Workers>,
    minders: Vec<Option<Minder>>,
    witness: Option<Witness>,
    narrative: Option<LongText>,
}

/// Sets a single-valued field, refusing a second value.
fn set<T>(slot: &mut Option<T>, v: T) -> Result<(), DomainError> {
    if slot.is_some() {
        return Err(FormProblem::Malformed.into());
    }
    *slot = Some(v);
    Ok(())
}

/// Browsers send textarea line breaks as CRLF; the JSON path sends LF.
fn text(v: &str) -> String {
    v.replace("\r\n", "\n")
}

fn short(v: &str) -> Result<ShortText, DomainError> {
    ShortText::parse(text(v)).map_err(|_| FormProblem::Text.into())
}

fn country(v: &str) -> Result<CountryCode, DomainError> {
    CountryCode::parse(v.trim().to_ascii_uppercase()).map_err(|_| FormProblem::Country.into())
}

fn date(v: &str) -> Result<PartialDate, DomainError> {
    PartialDate::parse(v.trim().to_owned()).map_err(|_| FormProblem::Date.into())
}

fn number<const MIN: u64, const MAX: u64>(v: &str) -> Result<Bounded<MIN, MAX>, DomainError> {
    v.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| Bounded::try_from(n).ok())
        .ok_or_else(|| FormProblem::Number.into())
}

fn yes_no(v: &str) -> Result<bool, DomainError> {
    match v.trim() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(FormProblem::Choice.into()),
    }
}

/// A value of a closed vocabulary, by its snake_case name.
fn choice<T: DeserializeOwned>(v: &str) -> Result<T, DomainError> {
    serde_json::from_value(serde_json::Value::String(v.trim().to_owned()))
        .map_err(|_| FormProblem::Choice.into())
}

impl Builder {
    fn field(&mut self, name: &str, value: &str) -> Result<(), DomainError> {
        if matches!(name, "attachments" | "keep_metadata" | "keep_all_metadata") {
            return Ok(());
        }
        if value.trim().is_empty() {
            // Known names only: an empty unknown field is still a malformed form.
            return if is_known(name) {
                Ok(())
            } else {
                Err(FormProblem::Malformed.into())
            };
        }
        if let Some(rest) = name.strip_prefix("worksite.") {
            return self.worksite_field(rest, value);
        }
        if let Some(rest) = name.strip_prefix("workers.") {
            return self.workers_field(rest, value);
        }
        if let Some(rest) = name.strip_prefix("minders.") {
            return self.minder_field(rest, value);
        }
        match name {
            "language" => set(
                &mut self.language,
                LanguageTag::parse(value.trim().to_owned()).map_err(|_| FormProblem::Choice)?,
            ),
            "narrative" => set(
                &mut self.narrative,
                LongText::parse(text(value)).map_err(|_| FormProblem::Text)?,
            ),
            "witness.relation" => {
                let w = self.witness.get_or_insert_with(empty_witness);
                set(&mut w.relation, choice(value)?)
            }
            "witness.may_contact" => {
                let w = self.witness.get_or_insert_with(empty_witness);
                set(&mut w.may_contact, yes_no(value)?)
            }
            _ => Err(FormProblem::Malformed.into()),
        }
    }

    fn worksite_field(&mut self, name: &str, v: &str) -> Result<(), DomainError> {
        let w = self.worksite.get_or_insert_with(empty_worksite);
        match name {
            "name" => set(&mut w.name, short(v)?),
            "employer" => set(&mut w.employer, short(v)?),
            "contractor" => set(&mut w.contractor, short(v)?),
            "agency" => set(&mut w.agency, short(v)?),
            "sector" => set(&mut w.sector, choice(v)?),
            "country" => set(&mut w.country, country(v)?),
            "city" => set(&mut w.city, short(v)?),
            "address" => set(&mut w.address, short(v)?),
            "observed_from" => set(&mut w.observed_from, date(v)?),
            "observed_to" => set(&mut w.observed_to, date(v)?),
            _ => Err(FormProblem::Malformed.into()),
        }
    }

    fn workers_field(&mut self, name: &str, v: &str) -> Result<(), DomainError> {
        let w = self.workers.get_or_insert_with(empty_workers);
        match name {
            "count" => set(&mut w.count, number(v)?),
            "nationality" => set(&mut w.nationality, country(v)?),
            "hours_per_day" => set(&mut w.hours_per_day, number(v)?),
            "rest_days_per_month" => set(&mut w.rest_days_per_month, number(v)?),
            "passports_held_by_others" => set(&mut w.passports_held_by_others, yes_no(v)?),
            "wages" => set(&mut w.wages, short(v)?),
            "housing" => set(&mut w.housing, short(v)?),
            "movement_restricted" => set(&mut w.movement_restricted, yes_no(v)?),
            "injuries" => set(&mut w.injuries, short(v)?),
            _ => Err(FormProblem::Malformed.into()),
        }
    }

    fn minder_field(&mut self, rest: &str, v: &str) -> Result<(), DomainError> {
        let (n, field) = minder_index(rest).ok_or(FormProblem::Malformed)?;
        if self.minders.len() <= n {
            self.minders.resize(n + 1, None);
        }
        let m = self.minders[n].get_or_insert_with(empty_minder);
        match field {
            "name_or_alias" => set(&mut m.name_or_alias, short(v)?),
            "role" => set(&mut m.role, choice(v)?),
            "description" => set(&mut m.description, short(v)?),
            "actions" => {
                let action = choice(v)?;
                let actions = m.actions.get_or_insert_with(Vec::new);
                if !actions.contains(&action) {
                    actions.push(action);
                }
                Ok(())
            }
            _ => Err(FormProblem::Malformed.into()),
        }
    }

    fn finish(self) -> TipDocument {
        let minders: Vec<Minder> = self.minders.into_iter().flatten().collect();
        TipDocument {
            schema: SchemaTag,
            language: self.language,
            worksite: self.worksite,
            workers: self.workers,
            minders: (!minders.is_empty()).then_some(minders),
            witness: self.witness,
            narrative: self.narrative,
        }
    }
}

/// `N.field` → (N, field), for N below [`MAX_FORM_MINDERS`].
fn minder_index(rest: &str) -> Option<(usize, &str)> {
    let (n, field) = rest.split_once('.')?;
    if n.is_empty() || n.len() > 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: usize = n.parse().ok()?;
    (n < MAX_FORM_MINDERS).then_some((n, field))
}

/// Whether `name` is a field of the form (used to accept it empty).
fn is_known(name: &str) -> bool {
    const SINGLE: [&str; 23] = [
        "language",
        "narrative",
        "witness.relation",
        "witness.may_contact",
        "worksite.name",
        "worksite.employer",
        "worksite.contractor",
        "worksite.agency",
        "worksite.sector",
        "worksite.country",
        "worksite.city",
        "worksite.address",
        "worksite.observed_from",
        "worksite.observed_to",
        "workers.count",
        "workers.nationality",
        "workers.hours_per_day",
        "workers.rest_days_per_month",
        "workers.passports_held_by_others",
        "workers.wages",
        "workers.housing",
        "workers.movement_restricted",
        "workers.injuries",
    ];
    if SINGLE.contains(&name) {
        return true;
    }
    name.strip_prefix("minders.")
        .and_then(minder_index)
        .is_some_and(|(_, f)| matches!(f, "name_or_alias" | "role" | "description" | "actions"))
}

fn empty_worksite() -> Worksite {
    Worksite {
        name: None,
        employer: None,
        contractor: None,
        agency: None,
        sector: None,
        country: None,
        city: None,
        address: None,
        coordinates: None,
        observed_from: None,
        observed_to: None,
    }
}

fn empty_workers() -> Workers {
    Workers {
        count: None,
        nationality: None,
        hours_per_day: None,
        rest_days_per_month: None,
        passports_held_by_others: None,
        wages: None,
        housing: None,
        movement_restricted: None,
        injuries: None,
    }
}

fn empty_minder() -> Minder {
    Minder {
        name_or_alias: None,
        role: None,
        description: None,
        actions: None,
    }
}

fn empty_witness() -> Witness {
    Witness {
        relation: None,
        may_contact: None,
        language: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_filled_in_form_becomes_the_same_document_as_its_json() {
        let doc = TipDocument::from_form(&pairs(&[
            ("language", "ko"),
            ("worksite.name", "Site 7"),
            ("worksite.sector", "construction"),
            ("worksite.country", "ru"),
            ("worksite.observed_from", "2024-03"),
            ("worksite.city", ""),
            ("workers.count", "40"),
            ("workers.passports_held_by_others", "yes"),
            ("workers.movement_restricted", ""),
            ("minders.0.name_or_alias", "Kim"),
            ("minders.0.role", "security_agent"),
            ("minders.0.actions", "confiscates_passports"),
            ("minders.0.actions", "monitors_phones"),
            ("minders.1.name_or_alias", ""),
            ("minders.2.role", "interpreter"),
            ("witness.relation", "co_worker"),
            ("narrative", "line one\r\nline two"),
            ("attachments", ""),
        ]))
        .unwrap();
        let expected = TipDocument::from_json(
            serde_json::json!({
                "schema": "tipseal/tip/v1",
                "language": "ko",
                "worksite": {"name": "Site 7", "sector": "construction", "country": "RU",
                             "observed_from": "2024-03"},
                "workers": {"count": 40, "passports_held_by_others": true},
                "minders": [
                    {"name_or_alias": "Kim", "role": "security_agent",
                     "actions": ["confiscates_passports", "monitors_phones"]},
                    {"role": "interpreter"}
                ],
                "witness": {"relation": "co_worker"},
                "narrative": "line one\nline two"
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(doc, expected);
    }

    #[test]
    fn an_empty_form_has_no_content() {
        let doc =
            TipDocument::from_form(&pairs(&[("language", "en"), ("narrative", "  ")])).unwrap();
        assert!(!doc.has_content());
    }

    #[test]
    fn each_bad_field_names_its_problem_without_the_value() {
        let cases = [
            ("workers.count", "many", FormProblem::Number),
            ("workers.hours_per_day", "25", FormProblem::Number),
            ("worksite.observed_to", "last spring", FormProblem::Date),
            ("worksite.country", "Russia", FormProblem::Country),
            ("worksite.sector", "banking", FormProblem::Choice),
            ("witness.may_contact", "maybe", FormProblem::Choice),
            ("minders.40.role", "other", FormProblem::Malformed),
            ("surprise", "x", FormProblem::Malformed),
        ];
        for (name, value, problem) in cases {
            let err = TipDocument::from_form(&pairs(&[(name, value)])).unwrap_err();
            assert_eq!(err, DomainError::Form(problem), "{name}");
            assert!(!err.to_string().contains(value), "{name}");
        }
    }

    #[test]
    fn a_repeated_single_field_is_refused() {
        let err = TipDocument::from_form(&pairs(&[("narrative", "a"), ("narrative", "b")]));
        assert_eq!(err, Err(DomainError::Form(FormProblem::Malformed)));
    }
}
