//! The keyring (valid, not expired, with reviewers), the admin pins, and the clock
//! against the keyring's dates.
//!
//! Reads the keyring file and admin `.pub` files only: never a secret key.

use super::{Check, Context, Deployment, Finding, Verdict, EXPIRY_WARNING_DAYS};
use crate::crypto::keyring::{verify_chain, VerifiedKeyring};
use crate::domain::keyring::KeyringFile;
use crate::domain::{Day, KeyId};

/// A clock before this day (2026-01-01) is wrong: this release did not exist yet.
pub const EARLIEST_PLAUSIBLE_DAY: Day = Day::from_days(20_454);

/// The configured keyring, verified (with the pins when they can be read), or why not.
fn read_keyring(d: &Deployment) -> Option<Result<VerifiedKeyring, String>> {
    let path = d.keyring.as_ref()?;
    let name = path.display();
    let read = || -> Result<VerifiedKeyring, String> {
        let len = std::fs::metadata(path)
            .map_err(|e| format!("The keyring file {name} cannot be read ({e})."))?
            .len();
        if len > crate::http::MAX_JSON_BYTES as u64 {
            return Err(format!(
                "The keyring file {name} is {len} bytes, more than the server accepts: it is not a keyring."
            ));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| format!("The keyring file {name} cannot be read ({e})."))?;
        let file = KeyringFile::from_json(&bytes)
            .map_err(|e| format!("The keyring file {name} is not a keyring ({e}): copy the one `tipseal admin init` or `admin publish` wrote."))?;
        verify_chain(&file, None).map_err(|e| {
            format!("The keyring file {name} does not verify ({e}): the server would refuse it.")
        })
    };
    Some(read())
}

/// Valid, not expired (a warning [`EXPIRY_WARNING_DAYS`] ahead), with at least one
/// reviewer.
pub fn keyring(d: &Deployment, ctx: &Context) -> Finding {
    let f = |v, s: String| Finding::new(Check::Keyring, v, s);
    let k = match read_keyring(d) {
        None => {
            return f(
                Verdict::Skipped,
                "No keyring file is configured (server.keyring / --keyring): the keyring \
                 stored in the data directory is checked by the server at start."
                    .into(),
            )
        }
        Some(Err(why)) => return f(Verdict::Fail, why),
        Some(Ok(k)) => k,
    };
    let m = k.current();
    let left = m.expires.days() - ctx.today.days();
    let renew = "run `tipseal admin renew` on the admin's machine, then `admin publish`";
    if left < 0 {
        f(
            Verdict::Fail,
            format!(
                "The keyring (epoch {}) expired on {}: the server takes no tips (503) until you {renew}.",
                m.epoch, m.expires
            ),
        )
    } else if left <= EXPIRY_WARNING_DAYS {
        f(
            Verdict::Warn,
            format!(
                "The keyring (epoch {}) expires on {} (in {left} days): {renew} before then.",
                m.epoch, m.expires
            ),
        )
    } else if !k.has_reviewers() {
        f(
            Verdict::Fail,
            format!(
                "The keyring (epoch {}) names no reviewer: nobody could read a tip. Add one \
                 with `tipseal admin add-reviewer`, then publish.",
                m.epoch
            ),
        )
    } else {
        f(
            Verdict::Ok,
            format!(
                "The keyring verifies: epoch {}, {} reviewer(s), expires on {} (in {left} days).",
                m.epoch,
                m.reviewers.len(),
                m.expires
            ),
        )
    }
}

/// At least one admin `.pub` file is pinned, each reads, and (when the keyring can be
/// read) its genesis lists exactly these admins, each signing it.
pub fn admin_pins(d: &Deployment) -> Finding {
    let f = |v, s: String| Finding::new(Check::AdminPins, v, s);
    if d.admin_pub.is_empty() {
        return f(
            Verdict::Fail,
            "No admin key is pinned (server.admin_pub / --admin-pub): a keyring swapped before \
             the first start would be trusted. Pin every admin's .pub file."
                .into(),
        );
    }
    let mut ids: Vec<KeyId> = Vec::with_capacity(d.admin_pub.len());
    for p in &d.admin_pub {
        match crate::ops::config::read_admin_pub(p) {
            Ok(id) => ids.push(id),
            Err(e) => {
                return f(
                    Verdict::Fail,
                    format!("A pinned admin key cannot be read: {e}. Copy the admin's .pub file (never the secret key)."),
                )
            }
        }
    }
    let n = ids.len();
    match d.keyring.as_ref().map(|p| {
        std::fs::read(p)
            .ok()
            .and_then(|b| KeyringFile::from_json(&b).ok())
    }) {
        Some(Some(file)) => match verify_chain(&file, Some(&ids)) {
            Ok(_) => f(
                Verdict::Ok,
                format!("{n} admin key(s) pinned, and the keyring's genesis lists exactly them, each signing it."),
            ),
            Err(_) => f(
                Verdict::Fail,
                format!(
                    "The keyring's genesis does not list exactly the {n} pinned admin key(s), each \
                     signing it: the server would refuse this keyring. Check that server.admin_pub \
                     names the right .pub files."
                ),
            ),
        },
        // An unreadable keyring is the keyring check's finding.
        _ => f(
            Verdict::Ok,
            format!("{n} admin key(s) pinned (no keyring file to compare them with)."),
        ),
    }
}

/// The clock is not before this release, and not before the keyring's issue day (a
/// clock that is behind makes a fresh keyring look like it comes from the future and an
/// expired one look valid).
pub fn clock(d: &Deployment, ctx: &Context) -> Finding {
    let f = |v, s: String| Finding::new(Check::Clock, v, s);
    if ctx.today < EARLIEST_PLAUSIBLE_DAY {
        return f(
            Verdict::Fail,
            format!(
                "The clock says {}, before this release existed: set the time (enable \
                 systemd-timesyncd or chrony) so keyring expiry means something.",
                ctx.today
            ),
        );
    }
    if let Some(Ok(k)) = read_keyring(d) {
        let issued = k.current().issued;
        if issued > ctx.today {
            return f(
                Verdict::Fail,
                format!(
                    "The clock says {} but the keyring was issued on {issued}: this clock is \
                     behind. Fix it (systemd-timesyncd or chrony) before taking tips.",
                    ctx.today
                ),
            );
        }
    }
    f(
        Verdict::Ok,
        format!("The clock says {} (UTC), which is plausible.", ctx.today),
    )
}
