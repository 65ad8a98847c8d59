//! Which words of a tip go into the index and how much each counts, and the worksite
//! facets a tip document carries.
//!
//! Names (worksite, employer, contractor, agency, minders) weigh most: a reviewer
//! searching for a name wants the tip that names it before one that mentions it in
//! passing. Places come next, then the free text. Closed vocabularies (sector, roles,
//! actions) are not words of the witness and stay out of the index: they are facets.
//!
//! Must never: index anything the witness did not write.

use super::{Facets, Weight};
use crate::domain::tip::conversation::Followup;
use crate::domain::tip::TipDocument;

/// The weighted text fields of a tip document, ready for [`super::Index::upsert`].
pub fn tip_fields(doc: &TipDocument) -> Vec<(Weight, String)> {
    let mut out = Vec::new();
    let mut push = |w: Weight, t: Option<&str>| {
        if let Some(t) = t.filter(|t| !t.trim().is_empty()) {
            out.push((w, t.to_string()));
        }
    };
    if let Some(ws) = &doc.worksite {
        for name in [&ws.name, &ws.employer, &ws.contractor, &ws.agency] {
            push(Weight::NAME, name.as_ref().map(|t| t.as_str()));
        }
        for place in [&ws.city, &ws.address] {
            push(Weight::PLACE, place.as_ref().map(|t| t.as_str()));
        }
    }
    if let Some(wk) = &doc.workers {
        for text in [&wk.wages, &wk.housing, &wk.injuries] {
            push(Weight::NORMAL, text.as_ref().map(|t| t.as_str()));
        }
    }
    for m in doc.minders.iter().flatten() {
        push(Weight::NAME, m.name_or_alias.as_ref().map(|t| t.as_str()));
        push(Weight::NORMAL, m.description.as_ref().map(|t| t.as_str()));
    }
    push(Weight::NORMAL, doc.narrative.as_ref().map(|t| t.as_str()));
    out
}

/// The text of a witness's follow-up, to index with its tip.
pub fn followup_fields(f: &Followup) -> Vec<(Weight, String)> {
    vec![(Weight::NORMAL, f.message.as_str().to_string())]
}

/// Fills the worksite facets (sector code, country, city) from a tip document.
pub fn worksite_facets(doc: &TipDocument, facets: &mut Facets) {
    let Some(ws) = &doc.worksite else {
        return;
    };
    facets.sector = ws
        .sector
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(str::to_string));
    facets.country = ws.country.as_ref().map(|c| c.as_str().to_string());
    facets.city = ws.city.as_ref().map(|c| c.as_str().to_string());
}
