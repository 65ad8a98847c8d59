//! Environment overrides: `TIPSEAL_<SECTION>_<KEY>` sets `[section] key`, e.g.
//! `TIPSEAL_SERVER_LISTEN=unix:/run/tipseal/tipseal.sock` or
//! `TIPSEAL_LOG_WITNESS_REQUESTS=false`. Lists (`server.admin_pub`) are separated by
//! commas.
//!
//! A variable whose name starts with a section's prefix (`TIPSEAL_SERVER_`) but names no
//! option is refused, naming it: a misspelt override must not be silently ignored.
//! Other `TIPSEAL_*` variables (`TIPSEAL_LOG`, `TIPSEAL_PASSPHRASE`) are not options and
//! are left alone. It must never read a variable's value into an error message (a value
//! may have been set by mistake to something private).

use super::schema::{self, Kind, OPTIONS};

/// Every override starts with this.
pub const ENV_PREFIX: &str = "TIPSEAL_";

/// Why an environment override was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvError {
    /// The variable names no option of its section.
    #[error(
        "the environment variable {var} names no option: the [{section}] options are set by {known}"
    )]
    Unknown {
        /// The variable's name.
        var: String,
        /// The section its prefix names.
        section: &'static str,
        /// The variables that do exist for that section.
        known: String,
    },
    /// The value is not of the option's kind.
    #[error("the environment variable {var} must be {expected}")]
    Value {
        /// The variable's name.
        var: String,
        /// What it takes.
        expected: &'static str,
    },
}

/// The environment variable that sets `section.key`.
pub fn var_name(section: &str, key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}_{}",
        section.to_ascii_uppercase(),
        key.to_ascii_uppercase()
    )
}

/// Writes every override among `vars` into `table`, over what the file said.
pub fn apply(
    table: &mut toml::Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), EnvError> {
    for (var, value) in vars {
        let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let Some(section) = schema::sections().into_iter().find(|s| {
            rest.len() > s.len()
                && rest[..s.len()].eq_ignore_ascii_case(s)
                && rest.as_bytes()[s.len()] == b'_'
        }) else {
            continue;
        };
        let key = rest[section.len() + 1..].to_ascii_lowercase();
        let Some(spec) = schema::find(section, &key) else {
            let known = OPTIONS
                .iter()
                .filter(|o| o.section == section)
                .map(|o| var_name(o.section, o.key))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(EnvError::Unknown {
                var,
                section,
                known,
            });
        };
        let parsed = parse(spec.kind, &value).ok_or_else(|| EnvError::Value {
            var: var.clone(),
            expected: match spec.kind {
                Kind::Text => "text",
                Kind::Count => "a whole number of 0 or more",
                Kind::Switch => "true or false",
                Kind::Paths => "paths separated by commas",
            },
        })?;
        let entry = table
            .entry(section.to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            // The file's own check refuses this before we get here; be safe anyway.
            *entry = toml::Value::Table(toml::Table::new());
        }
        if let toml::Value::Table(t) = entry {
            t.insert(key, parsed);
        }
    }
    Ok(())
}

fn parse(kind: Kind, value: &str) -> Option<toml::Value> {
    Some(match kind {
        Kind::Text => toml::Value::String(value.to_owned()),
        Kind::Count => toml::Value::Integer(
            value
                .trim()
                .parse::<u64>()
                .ok()
                .and_then(|n| i64::try_from(n).ok())?,
        ),
        Kind::Switch => toml::Value::Boolean(match value.trim() {
            "true" => true,
            "false" => false,
            _ => return None,
        }),
        Kind::Paths => toml::Value::Array(
            value
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| toml::Value::String(p.to_owned()))
                .collect(),
        ),
    })
}
