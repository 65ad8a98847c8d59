//! From a [`Config`] to the server's [`ServerSettings`]: every value checked, each
//! refusal naming its option.
//!
//! Admin `.pub` files are read here (public keys only); it must never read a secret key.

use std::path::Path;
use std::time::Duration;

use super::{Config, ConfigError};
use crate::domain::KeyId;
use crate::http::{Budget, OperatorText, RateSettings, ReplyRetention, ServerSettings};

/// Reads an admin's public key file and returns its key id; errors name the file.
pub fn read_admin_pub(path: &Path) -> Result<KeyId, String> {
    crate::crypto::keyfile::read_public(path)
        .map(|k| k.id)
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn invalid(option: &'static str, why: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        option,
        why: why.into(),
    }
}

fn budget(option: &'static str, v: &str) -> Result<Budget, ConfigError> {
    v.parse::<Budget>().map_err(|e| invalid(option, e))
}

fn text(option: &'static str, v: &Option<String>) -> Result<Option<OperatorText>, ConfigError> {
    v.as_deref()
        .map(|v| OperatorText::parse(option, v).map_err(|e| invalid(option, e.to_string())))
        .transpose()
}

/// Seconds as a duration, refusing 0 (a zero timer would spin or cut every request).
fn secs(option: &'static str, n: u64) -> Result<Duration, ConfigError> {
    if n == 0 {
        return Err(invalid(option, "must be at least 1 second"));
    }
    Ok(Duration::from_secs(n))
}

impl Config {
    /// The server's settings, every value checked. Admin pins are read from their
    /// `.pub` files by `read_admin` (the command line words a secret key given in a
    /// public key's place; [`read_admin_pub`] is the plain reader).
    pub fn to_settings(
        &self,
        read_admin: &dyn Fn(&Path) -> Result<KeyId, String>,
    ) -> Result<ServerSettings, ConfigError> {
        let (srv, lim, page, log, rate) = (
            &self.server,
            &self.limits,
            &self.page,
            &self.log,
            &self.rate,
        );
        if srv.listen.trim().is_empty() {
            return Err(invalid(
                "server.listen",
                "is empty: write an address such as 127.0.0.1:8080",
            ));
        }
        let listen: crate::http::Listen = srv
            .listen
            .parse()
            .map_err(|e| invalid("server.listen", format!("{e}")))?;
        let mut s = ServerSettings::new(listen, srv.data.clone());
        s.keyring_file = srv.keyring.clone();
        if !srv.admin_pub.is_empty() {
            let ids = srv
                .admin_pub
                .iter()
                .map(|p| read_admin(p).map_err(|e| invalid("server.admin_pub", e)))
                .collect::<Result<Vec<_>, _>>()?;
            s.pinned_admins = Some(ids);
        }
        s.workers = srv.workers;
        s.min_free_bytes = srv.min_free_bytes;
        s.cache_bytes = srv.cache_bytes;
        s.reply_retention = ReplyRetention::parse(&srv.reply_retention).ok_or_else(|| {
            invalid(
                "server.reply_retention",
                "must be \"keep\" or \"delete-after-read\"",
            )
        })?;
        s.max_body_bytes = lim.max_body_bytes;
        s.max_tip_bytes = lim.max_tip_bytes;
        s.body_timeout = secs("limits.body_timeout_secs", lim.body_timeout_secs)?;
        s.body_stall = secs("limits.body_stall_secs", lim.body_stall_secs)?;
        s.body_min_bytes_per_sec = lim.body_min_rate;
        s.body_budget_bytes = lim.body_budget_bytes;
        s.upload_budget_bytes = lim.upload_budget_bytes;
        s.upload_idle = secs("limits.upload_idle_secs", lim.upload_idle_secs)?;
        s.upload_min_bytes_per_sec = lim.upload_min_rate;
        if !(page.exit_url.starts_with("https://") || page.exit_url.starts_with("http://")) {
            return Err(invalid(
                "page.exit_url",
                "must be an http:// or https:// URL",
            ));
        }
        s.web.onion = page.onion.clone().filter(|o| !o.trim().is_empty());
        s.web.exit_url = page.exit_url.clone();
        s.web.org_name = text("page.org_name", &page.org_name)?;
        s.web.safety_contact = text("page.safety_contact", &page.safety_contact)?;
        s.log_witness_requests = log.witness_requests;
        s.notice_interval = secs("log.notice_interval_secs", log.notice_interval_secs)?;
        s.rate = RateSettings {
            intake: budget("rate.intake", &rate.intake)?,
            reads: budget("rate.reads", &rate.reads)?,
            publish: budget("rate.publish", &rate.publish)?,
            staff: budget("rate.staff", &rate.staff)?,
            mailbox: budget("rate.mailbox", &rate.mailbox)?,
        };
        s.retention = self.retention;
        Ok(s)
    }
}
