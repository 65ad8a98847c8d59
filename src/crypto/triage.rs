//! Triage events, sealed and signed: the author signs
//! `"tipseal/triage-event/v1\0" ‖ body JSON` with their Ed25519 key, the signature goes
//! INSIDE the seal (`domain::triage::SignedEventBytes`), and the plaintext is sealed to
//! the team's current epoch with the ordinary envelope code (kind `05`), like the team's
//! copy of a reply. The server sees a fixed-size envelope and nothing else.
//!
//! [`verify_log`] is the reader's gate: it opens a whole log in seq order and refuses,
//! with the reason in words, an event whose signature or signer is wrong, whose signer is
//! not a reviewer of the epoch it claims (a revoked reviewer is absent from later
//! epochs), that claims an epoch older than the event before it (backdating), that names
//! another log or another position (replay, reordering), or whose `prev` hash does not
//! match the event before it.
//!
//! Must never: accept an event on its own say-so (only the keyring names signers), or
//! return an opened plaintext without checking its signature first.

use super::envelope::{open, seal};
use super::identity::{Identity, PublicKeys, SignatureDomain};
use super::intake::IntakePublicKey;
use super::keyring::{intake_secret_for, VerifiedKeyring};
use super::{hash32, CryptoError};
use crate::domain::envelope::{self, Flags, Kind};
use crate::domain::triage::{EventBody, LogRef, SignedEventBytes};
use crate::domain::{DomainError, Epoch};

/// Largest event plaintext: one byte under the smallest envelope bucket (16 KiB), so
/// every sealed event has the same length and its size says nothing about its content.
pub const MAX_EVENT_PLAINTEXT: usize = envelope::BUCKETS[0] as usize - 1;

/// The hash an event's successor puts in `prev`: BLAKE2b-256 of its signed plaintext.
pub fn chain_hash(signed: &SignedEventBytes) -> [u8; 32] {
    hash32(b"tipseal/triage-event/prev/v1", &[&signed.to_bytes()])
}

/// Signs `body` as `me` (setting its author to my key id).
pub fn sign_event(me: &Identity, mut body: EventBody) -> Result<SignedEventBytes, CryptoError> {
    body.author = me.key_id();
    body.check()?;
    let json = body.to_json();
    let sig = me.sign(SignatureDomain::TriageEvent, &json);
    let signed = SignedEventBytes::new(sig, json);
    if signed.to_bytes().len() > MAX_EVENT_PLAINTEXT {
        return Err(
            DomainError::Triage("the event is larger than 16 KiB: split its changes").into(),
        );
    }
    Ok(signed)
}

/// Signs `body` as `me` under the keyring's current epoch and seals it to that epoch.
pub fn seal_event(
    me: &Identity,
    keyring: &VerifiedKeyring,
    mut body: EventBody,
) -> Result<Vec<u8>, CryptoError> {
    body.epoch = keyring.epoch();
    let signed = sign_event(me, body)?;
    seal_signed(&signed, keyring.epoch(), &keyring.intake_public_key())
}

/// Seals already signed bytes to `epoch` (for [`seal_event`], and tests that craft
/// forged events). Refuses a plaintext over [`MAX_EVENT_PLAINTEXT`].
pub fn seal_signed(
    signed: &SignedEventBytes,
    epoch: Epoch,
    to: &IntakePublicKey,
) -> Result<Vec<u8>, CryptoError> {
    let plain = zeroize::Zeroizing::new(signed.to_bytes());
    if plain.len() > MAX_EVENT_PLAINTEXT {
        return Err(CryptoError::TooLarge);
    }
    seal(&plain, Kind::Event, Flags::NONE, epoch, to)
}

/// An event opened but not yet verified.
#[derive(Debug, Clone)]
pub struct OpenedEvent {
    /// Signature and body bytes.
    pub signed: SignedEventBytes,
    /// The epoch its wrap is sealed to now (later than its body's after a rewrap).
    pub wrap_epoch: Epoch,
}

/// Opens one sealed event with `me`'s grant for the epoch it is sealed to.
pub fn open_event(
    blob: &[u8],
    keyring: &VerifiedKeyring,
    me: &Identity,
) -> Result<OpenedEvent, CryptoError> {
    let env = envelope::parse(blob)?;
    if env.header.kind != Kind::Event {
        return Err(DomainError::Envelope("not a triage event").into());
    }
    let sk = intake_secret_for(keyring, env.wrap.epoch, me)?;
    let opened = open(blob, &sk)?;
    Ok(OpenedEvent {
        signed: SignedEventBytes::parse(&opened.plaintext)?,
        wrap_epoch: opened.epoch,
    })
}

/// An event whose signer, position and chain all checked out.
#[derive(Debug, Clone)]
pub struct VerifiedEvent {
    /// What it says.
    pub body: EventBody,
    /// Its [`chain_hash`].
    pub hash: [u8; 32],
}

/// Why [`verify_log`] refused an event. Each says what is wrong in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventRefusal {
    /// Not openable with the reader's keys (or damaged).
    #[error("cannot be opened with your keys: it is damaged or sealed to an epoch you hold no grant for")]
    Unreadable,
    /// Opened, but the bytes are not a well-formed event.
    #[error("is not a well-formed triage event: {0}")]
    Malformed(DomainError),
    /// The body names another log.
    #[error("belongs to {claimed}, not {expected}: replayed from another log")]
    WrongLog {
        /// The log it names.
        claimed: LogRef,
        /// The log it was found in.
        expected: LogRef,
    },
    /// The body names another position.
    #[error("says it is event {claimed} but is stored as event {position}: reordered or replayed")]
    WrongPosition {
        /// The seq it names.
        claimed: u32,
        /// Where it was found.
        position: u32,
    },
    /// The epoch it claims is not on the keyring.
    #[error("claims key epoch {0}, which is not on your keyring: fetch the keyring again")]
    UnknownEpoch(Epoch),
    /// Its author is not a reviewer in the epoch it claims.
    #[error("its author is not a reviewer in key epoch {0}: revoked, or never on the keyring")]
    NotAMember(Epoch),
    /// The signature does not verify with its author's key.
    #[error("its signature does not verify with its author's key: forged or altered")]
    BadSignature,
    /// It claims an older epoch than the event before it.
    #[error(
        "claims key epoch {epoch}, older than epoch {previous} of the event before it: backdated"
    )]
    Backdated {
        /// The epoch it claims.
        epoch: Epoch,
        /// The previous event's.
        previous: Epoch,
    },
    /// It is sealed to an epoch older than the one its body claims.
    #[error("is sealed to an older key epoch than it claims")]
    SealedBeforeItsEpoch,
    /// `prev` is not the hash of the event before it.
    #[error("does not follow the event before it (its prev hash differs): the log was altered")]
    BrokenChain,
}

/// Opens and verifies a whole log, `blobs[i]` being the stored event `i` (from seq 0).
/// One result per blob, in order.
pub fn verify_log(
    log: LogRef,
    blobs: &[&[u8]],
    keyring: &VerifiedKeyring,
    me: &Identity,
) -> Vec<Result<VerifiedEvent, EventRefusal>> {
    let opened: Vec<Option<OpenedEvent>> = blobs
        .iter()
        .map(|b| open_event(b, keyring, me).ok())
        .collect();
    verify_opened(log, &opened, keyring)
}

/// [`verify_log`] over events already opened (`None`: could not be opened).
pub fn verify_opened(
    log: LogRef,
    opened: &[Option<OpenedEvent>],
    keyring: &VerifiedKeyring,
) -> Vec<Result<VerifiedEvent, EventRefusal>> {
    let mut out = Vec::with_capacity(opened.len());
    let mut last_epoch: Option<Epoch> = None;
    for (i, ev) in opened.iter().enumerate() {
        // The chain links to the stored bytes before, verified or not: a refused event
        // does not make every later one unverifiable.
        let prev = match i {
            0 => Some([0u8; 32]),
            _ => opened[i - 1].as_ref().map(|p| chain_hash(&p.signed)),
        };
        let result = match ev {
            None => Err(EventRefusal::Unreadable),
            Some(ev) => verify_one(log, i as u32, ev, prev, last_epoch, keyring),
        };
        if let Ok(v) = &result {
            last_epoch = Some(v.body.epoch);
        }
        out.push(result);
    }
    out
}

fn verify_one(
    log: LogRef,
    position: u32,
    ev: &OpenedEvent,
    prev: Option<[u8; 32]>,
    last_epoch: Option<Epoch>,
    keyring: &VerifiedKeyring,
) -> Result<VerifiedEvent, EventRefusal> {
    let body = ev.signed.body().map_err(EventRefusal::Malformed)?;
    let manifest = keyring
        .manifest(body.epoch)
        .ok_or(EventRefusal::UnknownEpoch(body.epoch))?;
    let author = manifest
        .reviewer(body.author)
        .ok_or(EventRefusal::NotAMember(body.epoch))?;
    let keys = PublicKeys::from_identity(author).map_err(|_| EventRefusal::BadSignature)?;
    if !keys.verify(
        SignatureDomain::TriageEvent,
        ev.signed.body_json(),
        ev.signed.signature(),
    ) {
        return Err(EventRefusal::BadSignature);
    }
    // Only now, with the author known, do the body's claims count.
    if body.log != log {
        return Err(EventRefusal::WrongLog {
            claimed: body.log,
            expected: log,
        });
    }
    if body.seq != position {
        return Err(EventRefusal::WrongPosition {
            claimed: body.seq,
            position,
        });
    }
    if ev.wrap_epoch < body.epoch {
        return Err(EventRefusal::SealedBeforeItsEpoch);
    }
    if let Some(previous) = last_epoch.filter(|&p| body.epoch < p) {
        return Err(EventRefusal::Backdated {
            epoch: body.epoch,
            previous,
        });
    }
    if prev != Some(body.prev) {
        return Err(EventRefusal::BrokenChain);
    }
    Ok(VerifiedEvent {
        hash: chain_hash(&ev.signed),
        body,
    })
}

#[cfg(test)]
mod tests;
