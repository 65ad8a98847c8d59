//! Facets of a tip and the filters a reviewer narrows the list with.
//!
//! [`Facets`] is what the desk and the CLI know about each tip besides its words:
//! triage state (status, labels, assignee, star, unread, reminder) and the worksite's
//! sector, country and city, the day it arrived and how many attachments it has.
//! [`Filter`] holds each criterion as an option; an unset one lets everything through,
//! and a tip passes when it passes every set one.
//!
//! Status is a plain string here; wave 2 maps it to `domain::triage::Status`.
//!
//! Must never: do I/O, or reach into the store: callers build the facets.

use unicode_normalization::UnicodeNormalization;

use crate::domain::Day;

/// What is known about one tip, for filtering.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facets {
    /// Triage status (e.g. `"new"`, `"in_review"`, `"closed"`).
    pub status: String,
    /// Labels set on the tip.
    pub labels: Vec<String>,
    /// The assigned reviewer's key id, if any.
    pub assignee: Option<String>,
    /// Starred by this reviewer.
    pub starred: bool,
    /// Worksite sector (the schema's code, e.g. `"construction"`).
    pub sector: Option<String>,
    /// Worksite country (ISO 3166 alpha-2).
    pub country: Option<String>,
    /// Worksite city, as the witness wrote it.
    pub city: Option<String>,
    /// The day the server received the tip.
    pub received: Option<Day>,
    /// Number of attachments.
    pub attachments: u32,
    /// Not yet opened by this reviewer since its last change.
    pub unread: bool,
    /// A reminder set for this day.
    pub reminder: Option<Day>,
}

/// Who a tip must be assigned to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assignee {
    /// Nobody.
    Nobody,
    /// This key id.
    Person(String),
}

/// Every criterion is optional; a tip passes when it meets all that are set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Exactly this status.
    pub status: Option<String>,
    /// Carries this label.
    pub label: Option<String>,
    /// Assigned to this person, or to nobody.
    pub assignee: Option<Assignee>,
    /// Starred (true) or not starred (false).
    pub starred: Option<bool>,
    /// Exactly this sector code.
    pub sector: Option<String>,
    /// This country code (case-insensitive).
    pub country: Option<String>,
    /// This city, compared after NFKC and lowercasing.
    pub city: Option<String>,
    /// Received on or after this day.
    pub received_from: Option<Day>,
    /// Received on or before this day.
    pub received_to: Option<Day>,
    /// With at least one attachment (true) or none (false).
    pub has_attachments: Option<bool>,
    /// Unread (true) or read (false).
    pub unread: Option<bool>,
    /// With a reminder due on or before this day.
    pub reminder_due: Option<Day>,
}

fn fold(s: &str) -> String {
    s.trim().nfkc().flat_map(char::to_lowercase).collect()
}

impl Filter {
    /// Whether a tip with these facets passes every criterion that is set.
    pub fn matches(&self, f: &Facets) -> bool {
        let opt_eq = |want: &Option<String>, have: &Option<String>, norm: fn(&str) -> String| {
            want.as_ref()
                .is_none_or(|w| have.as_ref().is_some_and(|h| norm(h) == norm(w)))
        };
        let received_in = |bound: Option<Day>, ok: fn(Day, Day) -> bool| {
            bound.is_none_or(|b| f.received.is_some_and(|r| ok(r, b)))
        };
        self.status.as_ref().is_none_or(|s| *s == f.status)
            && self.label.as_ref().is_none_or(|l| f.labels.contains(l))
            && self.assignee.as_ref().is_none_or(|a| match a {
                Assignee::Nobody => f.assignee.is_none(),
                Assignee::Person(p) => f.assignee.as_ref() == Some(p),
            })
            && self.starred.is_none_or(|s| s == f.starred)
            && opt_eq(&self.sector, &f.sector, str::to_string)
            && opt_eq(&self.country, &f.country, str::to_ascii_uppercase)
            && opt_eq(&self.city, &f.city, fold)
            && received_in(self.received_from, |r, b| r >= b)
            && received_in(self.received_to, |r, b| r <= b)
            && self
                .has_attachments
                .is_none_or(|h| h == (f.attachments > 0))
            && self.unread.is_none_or(|u| u == f.unread)
            && self
                .reminder_due
                .is_none_or(|d| f.reminder.is_some_and(|r| r <= d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    fn sample() -> Facets {
        Facets {
            status: "in_review".into(),
            labels: vec!["passports".into(), "urgent".into()],
            assignee: Some("ab12".into()),
            starred: true,
            sector: Some("construction".into()),
            country: Some("RU".into()),
            city: Some("Владивосток".into()),
            received: Some(day("2024-06-20")),
            attachments: 2,
            unread: false,
            reminder: Some(day("2024-07-01")),
        }
    }

    #[test]
    fn the_empty_filter_passes_everything() {
        assert!(Filter::default().matches(&sample()));
        assert!(Filter::default().matches(&Facets::default()));
    }

    #[test]
    fn each_criterion_can_pass_and_fail() {
        let f = sample();
        let cases: Vec<(Filter, bool)> = vec![
            (
                Filter {
                    status: Some("in_review".into()),
                    ..Default::default()
                },
                true,
            ),
            (
                Filter {
                    status: Some("new".into()),
                    ..Default::default()
                },
                false,
            ),
            (
                Filter {
                    label: Some("urgent".into()),
                    ..Default::default()
                },
                true,
            ),
            (
                Filter {
                    label: Some("wages".into()),
                    ..Default::default()
                },
                false,
            ),
            (
                Filter {
                    assignee: Some(Assignee::Person("ab12".into())),
                    ..Default::default()
                },
                true,
            ),
            (
                Filter {
                    assignee: Some(Assignee::Nobody),
                    ..Default::default()
                },
                false,
            ),
            (
                Filter {
                    starred: Some(true),
                    ..Default::default()
                },
                true,
            ),
            (
                Filter {
                    starred: Some(false),
                    ..Default::default()
                },
                false,
            ),
            (
                Filter {
                    sector: Some("construction".into()),
                    ..Default::default()
                },
                true,
            ),
            (
                Filter {
                    sector: Some("logging".into()),
                    ..Default::default()
                },
                false,
            ),
            (
                Filter {
                    country: Some("ru".into()),
                    ..Default::default()
                },
                true,
            ),
            (
                Filter {
                    country: Some("CN".into()),
                    ..Default::default()
                },
                false,
            ),
            (
                Filter {
                    city: Some(" владивосток".into()),
                    ..Default::default()
                },
                true,
            ),
            (
                Filter {
                    city: Some("Хабаровск".into()),
                    ..Default::default()
                },
                false,
            ),
            (
                Filter {
                    received_from: Some(day("2024-06-20")),
                    received_to: Some(day("2024-06-20")),
                    ..Default::default()
                },
                true,
            ),
            (
                Filter {
                    received_from: Some(day("2024-06-21")),
                    ..Default::default()
                },
                false,
            ),
            (
                Filter {
                    received_to: Some(day("2024-06-19")),
                    ..Default::default()
                },
                false,
            ),
            (
                Filter {
                    has_attachments: Some(true),
                    ..Default::default()
                },
                true,
            ),
            (
                Filter {
                    has_attachments: Some(false),
                    ..Default::default()
                },
                false,
            ),
            (
                Filter {
                    unread: Some(false),
                    ..Default::default()
                },
                true,
            ),
            (
                Filter {
                    unread: Some(true),
                    ..Default::default()
                },
                false,
            ),
            (
                Filter {
                    reminder_due: Some(day("2024-07-01")),
                    ..Default::default()
                },
                true,
            ),
            (
                Filter {
                    reminder_due: Some(day("2024-06-30")),
                    ..Default::default()
                },
                false,
            ),
        ];
        for (i, (filter, want)) in cases.iter().enumerate() {
            assert_eq!(filter.matches(&f), *want, "case {i}: {filter:?}");
        }
    }

    #[test]
    fn missing_facets_fail_criteria_that_need_them() {
        let bare = Facets::default();
        assert!(!Filter {
            country: Some("RU".into()),
            ..Default::default()
        }
        .matches(&bare));
        assert!(!Filter {
            received_from: Some(day("2000-01-01")),
            ..Default::default()
        }
        .matches(&bare));
        assert!(!Filter {
            reminder_due: Some(day("2999-01-01")),
            ..Default::default()
        }
        .matches(&bare));
        assert!(Filter {
            assignee: Some(Assignee::Nobody),
            ..Default::default()
        }
        .matches(&bare));
    }
}
