//! Connecting as a reviewer: a client for the server, its keyring checked against the
//! one this key accepted before (no rollback, no fork) and its expiry, then a login
//! signed with the reviewer's key. The face unlocks the key (it may prompt) and shows the
//! notes gathered here.
//!
//! Must never: send the secret key, or go on with a keyring the trust memory refused.

use crate::client::api::Session;
use crate::client::trust::{self, Memory, Use};
use crate::client::Client;
use crate::crypto::identity::Identity;
use crate::crypto::keyring::VerifiedKeyring;

use super::Error;

/// A logged-in reviewer: everything the other reviewer operations take.
pub struct ReviewerSession {
    /// The server.
    pub client: Client,
    /// The reviewer's unlocked identity.
    pub me: Identity,
    /// The server's keyring, verified and accepted.
    pub keyring: VerifiedKeyring,
    /// The login.
    pub session: Session,
}

/// Where and how a reviewer connects.
pub struct Target<'a> {
    /// The server's address.
    pub server: &'a str,
    /// A proxy (`client::net::proxy`), e.g. Tor's.
    pub proxy: Option<&'a str>,
    /// What this key remembers of the keyring (`Memory::for_reviewer`).
    pub memory: &'a Memory,
    /// Whether the keyring will be sealed to (an expired one is then refused).
    pub usage: Use,
}

/// Fetches the keyring and checks it against `target.memory` (no rollback, no fork) and
/// its expiry (refused when `target.usage` seals), then logs in as `me`. Warnings and
/// the note of a pin file written are pushed onto `notes`, even when this then fails.
pub fn connect(
    target: Target<'_>,
    me: Identity,
    notes: &mut Vec<String>,
) -> Result<ReviewerSession, Error> {
    let client = Client::new(target.server, target.proxy)?;
    let keyring = client.keyring()?;
    trust::accept(&keyring, target.memory, target.usage, notes)?;
    let session = client.login(&me)?;
    Ok(ReviewerSession {
        client,
        me,
        keyring,
        session,
    })
}
