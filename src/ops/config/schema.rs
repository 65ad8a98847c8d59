//! The list of options and the kind of value each takes, checked before serde sees a
//! table, so a typo or a wrong type is refused with the option's full name
//! (`server.listn`) and the options that do exist.
//!
//! It must list exactly the fields of [`super::Config`] (a test checks it) and never
//! accept a key it does not know.

use std::fmt;

/// The kind of value an option takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string (an address, a path, a budget, a word).
    Text,
    /// A whole number ≥ 0.
    Count,
    /// `true` or `false`.
    Switch,
    /// A list of paths (in the environment: separated by commas).
    Paths,
}

impl Kind {
    fn accepts(self, v: &toml::Value) -> bool {
        match (self, v) {
            (Kind::Text, toml::Value::String(_)) => true,
            (Kind::Count, toml::Value::Integer(n)) => *n >= 0,
            (Kind::Switch, toml::Value::Boolean(_)) => true,
            (Kind::Paths, toml::Value::Array(a)) => a.iter().all(toml::Value::is_str),
            _ => false,
        }
    }

    fn described(self) -> &'static str {
        match self {
            Kind::Text => "a string in double quotes",
            Kind::Count => "a whole number of 0 or more",
            Kind::Switch => "true or false",
            Kind::Paths => "a list of paths, e.g. [\"/etc/tipseal/admin.key.pub\"]",
        }
    }
}

/// One option: its table, its key, its kind.
#[derive(Clone, Copy, Debug)]
pub struct OptionSpec {
    /// The table (`server`), also the `<SECTION>` of its environment variable.
    pub section: &'static str,
    /// The key (`listen`), also the `<KEY>` of its environment variable.
    pub key: &'static str,
    /// What it takes.
    pub kind: Kind,
}

const fn opt(section: &'static str, key: &'static str, kind: Kind) -> OptionSpec {
    OptionSpec { section, key, kind }
}

/// Every option, in the order of `deploy/tipseal.toml`.
pub const OPTIONS: &[OptionSpec] = &[
    opt("server", "listen", Kind::Text),
    opt("server", "data", Kind::Text),
    opt("server", "keyring", Kind::Text),
    opt("server", "admin_pub", Kind::Paths),
    opt("server", "workers", Kind::Count),
    opt("server", "min_free_bytes", Kind::Count),
    opt("server", "cache_bytes", Kind::Count),
    opt("server", "reply_retention", Kind::Text),
    opt("limits", "max_body_bytes", Kind::Count),
    opt("limits", "max_tip_bytes", Kind::Count),
    opt("limits", "body_timeout_secs", Kind::Count),
    opt("limits", "body_stall_secs", Kind::Count),
    opt("limits", "body_min_rate", Kind::Count),
    opt("limits", "body_budget_bytes", Kind::Count),
    opt("limits", "upload_budget_bytes", Kind::Count),
    opt("limits", "upload_idle_secs", Kind::Count),
    opt("limits", "upload_min_rate", Kind::Count),
    opt("page", "onion", Kind::Text),
    opt("page", "exit_url", Kind::Text),
    opt("page", "org_name", Kind::Text),
    opt("page", "safety_contact", Kind::Text),
    opt("log", "witness_requests", Kind::Switch),
    opt("log", "notice_interval_secs", Kind::Count),
    opt("rate", "intake", Kind::Text),
    opt("rate", "reads", Kind::Text),
    opt("rate", "publish", Kind::Text),
    opt("rate", "staff", Kind::Text),
    opt("rate", "mailbox", Kind::Text),
    opt("retention", "closed_tip_days", Kind::Count),
    opt("retention", "unread_reply_days", Kind::Count),
    opt("retention", "unfinished_upload_hours", Kind::Count),
    opt("retention", "max_tip_age_days", Kind::Count),
    opt("retention", "schedule_minutes", Kind::Count),
];

/// The `tipseal serve` flag that sets `section.key`.
pub fn flag_of(section: &str, key: &str) -> String {
    let name = match (section, key) {
        ("rate", k) => format!("rate-{k}"),
        ("retention", k) => format!("retention-{k}"),
        ("log", "witness_requests") => "log-witness-requests".to_owned(),
        (_, k) => k.to_owned(),
    };
    format!("--{}", name.replace('_', "-"))
}

/// How an option is named in a refusal: `page.org_name (--org-name,
/// TIPSEAL_PAGE_ORG_NAME)`, so whoever set it in any layer recognises it.
pub fn full_name(option: &str) -> String {
    match option.split_once('.') {
        Some((section, key)) => format!(
            "{option} ({}, {})",
            flag_of(section, key),
            super::env::var_name(section, key)
        ),
        None => option.to_owned(),
    }
}

/// The tables, in order.
pub fn sections() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for o in OPTIONS {
        if !out.contains(&o.section) {
            out.push(o.section);
        }
    }
    out
}

/// The option `section.key`, if it exists.
pub fn find(section: &str, key: &str) -> Option<&'static OptionSpec> {
    OPTIONS
        .iter()
        .find(|o| o.section == section && o.key == key)
}

/// What is wrong with one option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionProblem {
    /// A table that does not exist.
    UnknownSection(String),
    /// A key that does not exist in its table.
    UnknownOption {
        /// `section.key` as written.
        name: String,
        /// The keys that table has.
        known: Vec<&'static str>,
    },
    /// A top-level key that is not a table.
    NotATable(String),
    /// A value of the wrong kind.
    WrongKind {
        /// `section.key`.
        name: String,
        /// What it takes.
        kind: Kind,
    },
}

impl fmt::Display for OptionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionProblem::UnknownSection(s) => write!(
                f,
                "unknown section [{s}]: the sections are [{}]",
                sections().join("], [")
            ),
            OptionProblem::UnknownOption { name, known } => write!(
                f,
                "unknown option {name}: its section has {}",
                known.join(", ")
            ),
            OptionProblem::NotATable(s) => {
                write!(f, "{s} must be a section ([{s}]), not a single value")
            }
            OptionProblem::WrongKind { name, kind } => {
                write!(f, "the option {name} takes {}", kind.described())
            }
        }
    }
}

/// Checks every key of `table` against [`OPTIONS`]: the first unknown section, unknown
/// key or wrong kind of value is returned.
pub fn check(table: &toml::Table) -> Result<(), OptionProblem> {
    for (section, body) in table {
        if !sections().contains(&section.as_str()) {
            return Err(OptionProblem::UnknownSection(section.clone()));
        }
        let body = body
            .as_table()
            .ok_or_else(|| OptionProblem::NotATable(section.clone()))?;
        for (key, value) in body {
            let name = format!("{section}.{key}");
            let Some(spec) = find(section, key) else {
                let known = OPTIONS
                    .iter()
                    .filter(|o| o.section == section)
                    .map(|o| o.key)
                    .collect();
                return Err(OptionProblem::UnknownOption { name, known });
            };
            if !spec.kind.accepts(value) {
                return Err(OptionProblem::WrongKind {
                    name,
                    kind: spec.kind,
                });
            }
        }
    }
    Ok(())
}
